"""Volunteer management as staff hours (sim/processes/volunteering.py): hours booked on
keeping in touch, inductions and applications; goodwill lost faster without contact;
passports recognised by some organisations; paid emergency scale-up after a lag."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim import metrics
from sim.agents.organisations import GroupKind
from sim.model import CommunityModel
from sim.params import ConfigError
from sim.processes import volunteering
from sim.state import VSTATE as V


def charity_world(tiny_model, **extra):
    """Ten willing adults, one formal charity with steady funding (no random spread)."""
    values = {"topology__urban__formal_charities": 1, "groups__formal_charity__funding_sd": 0.0,
              "groups__formal_charity__initial_volunteers": 0, "volunteers__latent_share": 1.0}
    return tiny_model(n=10, **(values | extra))


def test_management_hours_are_booked_and_never_exceeded(tiny_model):
    model = charity_world(tiny_model, volunteers__p_apply_per_day=1.0,
                          groups__formal_charity__vm_hours_per_week=7.0,
                          groups__formal_charity__hours_per_application=2.0)
    for _ in range(13):
        model.step()
        f = model.flows
        assert f["new_vm_hours_available"] == 1.0  # 7 hours a week, a seventh a day
        assert f["new_vm_hours_used"] <= 2.0 * 7  # at most the week's hours
        parts = (f.get("new_vm_hours_processing", 0) + f.get("new_vm_hours_induction", 0)
                 + f.get("new_vm_hours_contact", 0))
        assert abs(parts - f["new_vm_hours_used"]) < 1e-9
    used = sum(r["new_vm_hours_used"] for r in model.rows)
    assert used <= sum(r["new_vm_hours_available"] for r in model.rows) + 1e-9
    assert model.rows[-1]["n_vol_backlog"] > 0  # ten applications outrun 13 hours


def test_no_management_hours_means_no_onboarding(tiny_model):
    model = charity_world(tiny_model, volunteers__p_apply_per_day=1.0,
                          groups__formal_charity__vm_hours_per_week=0.0,
                          volunteers__goodwill_decay_waiting=0.0)
    for _ in range(10):
        model.step()
    assert (model.pop.vstate == V.APPLIED).all()
    assert sum(r["new_vol_processed"] for r in model.rows) == 0


def _waiting_goodwill(tiny_model, hours: float, factor: float) -> float:
    model = charity_world(tiny_model, volunteers__p_apply_per_day=1.0,
                          groups__formal_charity__vm_hours_per_week=hours,
                          groups__formal_charity__hours_per_application=40.0,
                          volunteers__contact_hours_per_waiting_per_week=1.0,
                          volunteers__goodwill_sd=0.0, volunteers__goodwill_decay_waiting=0.01,
                          volunteers__uncontacted_decay_factor=factor)
    for _ in range(10):
        model.step()
    pop = model.pop
    assert (pop.vstate == V.APPLIED).all()
    return float(pop.goodwill.mean())


def test_goodwill_decays_faster_when_hours_do_not_cover_keeping_in_touch(tiny_model):
    covered = _waiting_goodwill(tiny_model, hours=10.0, factor=3.0)  # 10 h: all kept in touch
    thin = _waiting_goodwill(tiny_model, hours=2.0, factor=3.0)  # 2 h for 10 h of contact
    assert covered == np.float32(1.0 - 10 * 0.01)
    assert thin < covered - 0.05
    # with the factor at 1 contact makes no difference
    assert _waiting_goodwill(tiny_model, hours=2.0, factor=1.0) == covered


def test_days_from_application_to_first_task(tiny_model):
    model = charity_world(tiny_model)
    for _ in range(10):
        model.step()
    pop = model.pop
    pop.vapplied_day[:3] = model.day - np.array([4, 6, 8])
    pop.vstate[:3] = V.ACTIVE
    pop.vorg[:3] = model.groups[0].index
    model.volunteer_tasks(np.arange(3), 1.0)
    assert model.flows["new_vol_first_tasks"] == 3
    assert model.flows["sum_vol_days_to_first_task"] == 18
    assert (pop.vapplied_day[:3] == -1).all()
    model.volunteer_tasks(np.arange(3), 1.0)  # later tasks are not first tasks
    assert model.flows["new_vol_first_tasks"] == 3


def lio_world(tiny_model, passport: bool, share: float = 1.0, **extra):
    return charity_world(tiny_model, topology__place_lio=True, volunteers__passporting=passport,
                         volunteers__passport_recognition_share=share,
                         volunteers__lio_placement_per_day=10.0,
                         groups__lio__initial_volunteers=4,
                         groups__formal_charity__training_days=10,
                         groups__formal_charity__vm_hours_per_week=3.5,
                         groups__formal_charity__hours_per_application=2.0,
                         volunteers__goodwill_decay_waiting=0.0, **extra)


def _redeploy(tiny_model, passport: bool, share: float = 1.0):
    model = lio_world(tiny_model, passport, share, run__days=40)
    for _ in range(40):
        model.step()
    ts = model.timeseries()
    s = metrics.summary(model, ts)
    charity = next(g for g in model.groups if g.kind is GroupKind.FORMAL_CHARITY)
    moved = np.flatnonzero(model.pop.vorg == charity.index)
    return s, model.pop.vstate[moved]


def test_passport_shortens_redeployment_and_avoids_duplicated_checks(tiny_model):
    with_passport, states_p = _redeploy(tiny_model, passport=True)
    without, states_n = _redeploy(tiny_model, passport=False)
    assert with_passport["vol_redeployed"] == 4 and (states_p >= V.ACTIVE).all()
    assert with_passport["vol_duplicated_checks"] == 0
    assert without["vol_duplicated_checks"] == 4  # each redone by the receiving charity
    assert without["vm_hours_duplicated_checks"] == 8.0
    # checks one at a time at half an hour a day, then 10 training days, against a passport
    # check and a day's induction
    assert with_passport["mean_days_to_redeploy"] <= 3
    assert without["mean_days_to_redeploy"] > 10 + with_passport["mean_days_to_redeploy"]


def test_a_passport_not_recognised_is_no_passport(tiny_model):
    unrecognised, _ = _redeploy(tiny_model, passport=True, share=0.0)
    without, _ = _redeploy(tiny_model, passport=False)
    for key in ("vol_duplicated_checks", "mean_days_to_redeploy", "vol_redeployed"):
        assert unrecognised[key] == without[key]


def test_emergency_scale_up_arrives_after_a_lag_and_is_paid_for(tiny_model):
    model = charity_world(tiny_model, volunteers__vm_scale_up_lag_days=3,
                          volunteers__vm_hour_cost=20.0,
                          groups__formal_charity__vm_hours_per_week=7.0)
    charity = model.groups[0]
    model.step()
    model.processing_multiplier = 3.0  # the response cell asks for three times the hours
    extra = []
    for _ in range(5):
        spent_before = charity.spent
        model.step()
        extra.append(charity.vm_extra_hours_per_week)
        if extra[-1]:
            # two extra hours a day at 20 GBP, booked with the group's spending
            assert model.flows["new_vm_scale_up_cost"] == 40.0
            assert charity.spent - spent_before > 40.0
    assert extra == [0.0, 0.0, 0.0, 14.0, 14.0]
    assert model.flows["new_vm_hours_available"] == 3.0
    model.processing_multiplier = 1.0  # the emergency is over
    model.step()
    assert charity.vm_extra_hours_per_week == 0.0 and "new_vm_scale_up_cost" not in model.flows


def test_groups_without_money_cannot_scale_up(tiny_model):
    model = charity_world(tiny_model, groups__formal_charity__annual_funding=0.0,
                          groups__formal_charity__reserve_months=0.0,
                          groups__formal_charity__fixed_cost_per_day=0.0,
                          groups__formal_charity__cost_per_client_day=0.0,
                          volunteers__vm_scale_up_lag_days=0)
    model.processing_multiplier = 3.0
    for _ in range(3):
        model.step()
    assert model.groups[0].vm_extra_hours_per_week == 0.0


def test_surge_ratio_compares_campaign_applications_with_processable_ones(tiny_model):
    model = charity_world(tiny_model, volunteers__p_apply_per_day=0.05,
                          groups__formal_charity__vm_hours_per_week=7.0,
                          groups__formal_charity__hours_per_application=2.0, run__days=41)
    model.step()
    model.apply_event("surge_campaign", {"multiplier": 20.0, "days": 2})
    for _ in range(40):
        model.step()
    ts = model.timeseries()
    on = ts[ts["n_call_to_action_on"] > 0]
    assert 1 <= len(on) <= 3
    s = metrics.summary(model, ts)
    # half an application a day could be processed; the campaign brought in far more
    expected = on["new_vol_applications"].sum() / (0.5 * len(on))
    assert s["vol_surge_ratio"] == expected and s["vol_surge_ratio"] > 1


@pytest.fixture(scope="module")
def urban_day() -> CommunityModel:
    """An urban model after one day (a few hundred organisations, volunteers in every state)."""
    model = CommunityModel(sim.configure(topology="urban", **{"run.days": 2,
                                                             "run.burn_in_days": 0}))
    model.step()
    return model


def test_daily_passes_go_over_the_open_organisations_only(urban_day):
    model = urban_day
    running = [g for g in model.open_groups() if g.kind is not GroupKind.LIO]
    for g in running[::3]:  # a third of the groups fold
        g.close("funding")
    orgs, idx = volunteering.open_organisations(model)
    expected = sorted(o.index for o in model.organisations if o.is_open)
    assert sorted(idx.tolist()) == expected and [o.index for o in orgs] == idx.tolist()
    assert set(model.nhs_trusts) <= set(orgs)  # trusts never close
    new = model.add_group(GroupKind.COMMUNITY_GROUP, 0, False, "new-group")
    orgs, idx = volunteering.open_organisations(model)
    assert new in orgs and sorted(idx.tolist()) == [*expected, new.index]
    # per-organisation constants: the new group's appended, as a fresh pass would give them
    per_app, accepts = volunteering._org_constants(model)
    assert per_app.tolist() == [o.hours_per_application for o in model.organisations]
    assert accepts.tolist() == [o.accepts_passport() for o in model.organisations]
    # a closed group's hours left are not carried, nor booked; only open ones get new hours
    closed = running[0]
    closed.vm_hours_left = 5.0
    before = model.flows.get("new_vm_hours_available", 0.0)  # today's so far
    volunteering.manage_volunteers(model)
    assert closed.vm_hours_left == 0.0
    assert model.flows["new_vm_hours_available"] - before == pytest.approx(
        sum(o.vm_hours_new_today() for o in model.organisations if o.is_open))
    # trained counts: every organisation's, closed ones included, as the volunteer arrays say
    closed.n_trained = 7  # stale
    volunteering.refresh_trained_counts(model)
    pop = model.pop
    trained = (pop.vstate == V.ACTIVE) | (pop.vstate == V.IDLE)
    for o in model.organisations:
        assert o.n_trained == int(np.count_nonzero(trained & (pop.vorg == o.index)))
        assert isinstance(o.n_trained, int)


def test_scale_up_reset_runs_once_after_a_request(tiny_model):
    model = charity_world(tiny_model, volunteers__vm_scale_up_lag_days=0,
                          groups__formal_charity__vm_hours_per_week=7.0)
    charity = model.groups[0]
    model.processing_multiplier = 2.0
    volunteering.scale_management(model)
    assert charity.vm_extra_hours_per_week == 7.0 and charity.vm_scale_up_asked_day == model.day
    model.processing_multiplier = 1.0
    volunteering.scale_management(model)  # the request has ended: the scale-up stops
    assert charity.vm_extra_hours_per_week == 0.0 and charity.vm_scale_up_asked_day == -1
    model.processing_multiplier = 2.0  # a new request starts the lag again
    model.day += 1
    volunteering.scale_management(model)
    assert charity.vm_scale_up_asked_day == model.day
    model.processing_multiplier = 1.0
    volunteering.scale_management(model)
    assert charity.vm_extra_hours_per_week == 0.0 and charity.vm_scale_up_asked_day == -1


def slow_charity(tiny_model, **extra):
    """The charity world with no applications of its own, 2.4 management hours a week and 3
    hours an application (the urban trust's budget: ``volunteers.hospital_*``), nothing spent
    on keeping in touch and no goodwill lost unless a test says so."""
    values = {"volunteers__p_apply_per_day": 0.0, "run__days": 60,
              "groups__formal_charity__vm_hours_per_week": 2.4,
              "groups__formal_charity__hours_per_application": 3.0,
              "volunteers__contact_hours_per_waiting_per_week": 0.0,
              "volunteers__contact_hours_per_active_per_week": 0.0,
              "volunteers__goodwill_decay_waiting": 0.0, "volunteers__goodwill_sd": 0.0}
    model = charity_world(tiny_model, **(values | extra))
    charity = next(g for g in model.groups if g.kind is GroupKind.FORMAL_CHARITY)
    return model, charity


def apply_to(model, org, k: int) -> np.ndarray:
    """``k`` latent residents apply to ``org`` today, in resident order."""
    pop = model.pop
    idx = np.flatnonzero(pop.vstate == V.LATENT)[:k]
    assert idx.size == k
    pop.vstate[idx] = V.APPLIED
    pop.vorg[idx] = org.index
    pop.vsince[idx] = model.day
    pop.vapplied_day[idx] = model.day
    return idx


def test_an_application_costing_more_than_a_week_is_done_over_two(tiny_model):
    """2.4 hours a week, 3 hours an application: the checks take the hours of 9 days (8.75
    days' worth, booked a day at a time), carried over the weekly reset."""
    model, charity = slow_charity(tiny_model)
    (i,) = apply_to(model, charity, 1)
    states, work = [], []
    for _ in range(14):
        model.step()
        states.append(int(model.pop.vstate[i]))
        work.append(float(model.pop.vwork_hours[i]))
    assert states[:8] == [V.APPLIED] * 8 and states[8] == V.ONBOARDING
    np.testing.assert_allclose(work[:8], 2.4 / 7 * np.arange(1, 9))
    assert work[8] == 0.0  # done: nothing carried into the induction
    processing = [r["new_vm_hours_processing"] for r in model.rows]
    np.testing.assert_allclose(processing[:8], 2.4 / 7)
    assert abs(sum(processing) - 3.0) < 1e-9  # the checks' hours, booked as they were used


def test_every_hour_is_booked_while_applicants_wait_and_never_more(tiny_model):
    """With a queue longer than the hours, each day's hours are used whole (partial work
    included) and never more than arrived."""
    model, charity = slow_charity(tiny_model)
    apply_to(model, charity, 10)  # 30 hours of checks against 19.2 in eight weeks
    for _ in range(56):
        model.step()
        f = model.flows
        booked = f["new_vm_hours_processing"] + f["new_vm_hours_induction"]
        assert abs(f["new_vm_hours_used"] - f["new_vm_hours_available"]) < 1e-9
        assert abs(booked - f["new_vm_hours_used"]) < 1e-9
        assert model.group_state.vm_hours_left[charity.index] >= 0.0
    assert (model.pop.vstate == V.APPLIED).any()  # still a queue at the end
    processed = sum(r["new_vol_processed"] for r in model.rows)
    hours = sum(r["new_vm_hours_processing"] + r["new_vm_hours_induction"] for r in model.rows)
    assert hours <= 56 * 2.4 / 7 + 1e-9
    assert 4 <= processed <= 6  # 19.2 hours: 6 applications at most, fewer with inductions


def test_work_on_an_applicant_who_lapses_is_not_passed_on(tiny_model):
    """The first applicant lapses after 6 days of checks (2.06 hours); the next one's checks
    still take the full 3 hours, from the day after."""
    model, charity = slow_charity(tiny_model, volunteers__goodwill_decay_waiting=0.001)
    first, second = apply_to(model, charity, 2)
    for _ in range(5):
        model.step()
    model.pop.goodwill[first] = 0.0005  # gone at the end of the next day
    model.step()
    assert model.pop.vstate[first] in (V.LAPSED, V.LATENT)
    assert model.pop.vwork_hours[first] == 0.0
    assert model.pop.vwork_hours[second] == 0.0  # nothing booked on it yet
    days = 0
    while model.pop.vstate[second] == V.APPLIED and days < 20:
        model.step()
        days += 1
    assert model.pop.vstate[second] == V.ONBOARDING
    assert days == 9  # 3 hours at 2.4/7 a day, none of the first applicant's 2.06


@pytest.mark.parametrize("shifts", [1.0, 2.0])
def test_a_trust_offers_its_trained_volunteers_the_configured_shifts(tiny_model, shifts):
    """The trust's expected tasks a day are its trained volunteers x
    ``volunteers.hospital_shifts_per_week`` / 7 (one 2-hour shift a week at defaults, the
    'couple of hours' most volunteers give), none when stood down."""
    model = tiny_model(n=10, topology__nhs_trust=True,
                       volunteers__hospital_shifts_per_week=shifts)
    (trust,) = model.nhs_trusts
    trust.n_trained = 14
    assert trust.tasks_today() == pytest.approx(14 * shifts / 7)
    # a set_parameter event changes it from that day on
    model.apply_event("set_parameter", {"key": "volunteers.hospital_shifts_per_week",
                                        "value": 3.5})
    assert trust.tasks_today() == pytest.approx(14 * 3.5 / 7)
    trust.stood_down = True
    assert trust.tasks_today() == 0.0


@pytest.mark.parametrize("key", ["volunteers.hospital_vm_hours_per_week_per_10k",
                                 "volunteers.hospital_hours_per_application"])
def test_the_trusts_build_time_hours_cannot_change_in_a_run(tiny_model, key):
    """Each trust takes its management hours when it is built: a ``set_parameter`` event that
    would silently do nothing is refused, naming the key."""
    model = tiny_model(n=10, topology__nhs_trust=True)
    with pytest.raises(ConfigError, match=key.replace(".", r"\.") + ".*built"):
        model.apply_event("set_parameter", {"key": key, "value": 5.0})


def test_a_closing_groups_part_done_checks_do_not_follow_the_volunteer_to_the_centre():
    """A group closes while an applicant's checks are part done: the applicant goes to the
    volunteer centre (LIO) and its checks there start from nothing."""
    model = CommunityModel(sim.configure(topology="urban", **{"run.days": 1,
                                                             "run.burn_in_days": 0}))
    group = next(o for o in model.organisations if getattr(o, "kind", None)
                 == GroupKind.COMMUNITY_GROUP and o.is_open)
    lio = model.lio_of_district(group.district)
    assert lio is not None and lio is not group
    i = int(np.flatnonzero(model.pop.vstate == V.LATENT)[0])
    model.pop.vstate[i], model.pop.vorg[i], model.pop.vwork_hours[i] = V.APPLIED, group.index, 0.9
    volunteering.release_volunteers_of(model, group)
    assert model.pop.vorg[i] == lio.index and model.pop.vstate[i] == V.APPLIED
    assert model.pop.vwork_hours[i] == 0.0


def test_applicants_to_a_trust_on_duty_become_hospital_volunteers():
    """Each day's applicants are hospital volunteers exactly when they applied to a trust on
    duty (any of the places' trusts but one stood down, which takes nobody), and no one else
    is made one."""
    cfg = sim.compose(["topology=example_county", "topology.place_scale=0.02", "run.days=5",
                       "run.burn_in_days=0", "volunteers.p_apply_per_day=0.05",
                       "volunteers.share_apply_to_hospital=0.5"])
    model = CommunityModel(cfg)
    pop = model.pop
    model.nhs_trusts[0].stood_down = True
    trusts = {t.index for t in model.nhs_trusts[1:]}  # on duty
    assert len(trusts) >= 2  # one per district: the comparison against each trust matters
    hits = set()
    for _ in range(3):
        before = pop.vstate.copy()
        was_hospital = pop.nhs_volunteer.copy()
        volunteering.applications(model)
        new = np.flatnonzero((pop.vstate == V.APPLIED) & (before != V.APPLIED))
        assert new.size > 20
        at_trust = np.isin(pop.vorg[new], list(trusts))
        assert (pop.nhs_volunteer[new] == at_trust).all()
        assert not (pop.vorg[new] == model.nhs_trusts[0].index).any()
        hits |= set(pop.vorg[new[at_trust]].tolist())
        others = np.setdiff1d(np.arange(pop.n), new)
        assert (pop.nhs_volunteer[others] == was_hospital[others]).all()
    assert len(hits) >= 2  # applicants reached more than one trust
