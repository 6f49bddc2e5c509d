"""VCSEGroup (capacity, offers, funding, closure, funding cuts, mutual aid in emergencies), the
hospital trust's stand-down and the volunteer lifecycle (limited onboarding, goodwill)."""

from __future__ import annotations

import numpy as np
import pytest
from support import give_need, set_keys

from sim.agents.organisations import GroupKind
from sim.params import Config, ConfigError, validate
from sim.processes import mutual_aid
from sim.state import Need, Pathway, VolunteerState

V = VolunteerState


def charity_world(tiny_model, **extra):
    """Ten willing adults, one formal charity with steady funding (no random spread)."""
    values = {"topology__urban__formal_charities": 1, "groups__formal_charity__funding_sd": 0.0,
              "groups__formal_charity__initial_volunteers": 0, "volunteers__latent_share": 1.0}
    return tiny_model(n=10, **(values | extra))


def test_group_accepts_up_to_capacity_then_declines(tiny_model):
    model = charity_world(tiny_model, groups__formal_charity__staff_client_capacity=3)
    g = model.groups[0]
    give_need(model, range(5), Need.MODERATE)
    results = [model.offer_to_group(i, g.index, "self") for i in range(5)]
    assert results == ["accepted"] * 3 + ["declined"] * 2
    assert g.n_clients == g.capacity == 3
    assert model.pop.pathway[:5].tolist() == [Pathway.GROUP] * 3 + [Pathway.NONE] * 2
    assert (model.pop.provider[:3] == g.index).all()
    g.release(2)
    assert g.n_clients == 1 and g.has_room()
    g.release(5)
    assert g.n_clients == 0  # never negative


def test_capacity_grows_with_trained_volunteers_and_is_zero_when_unavailable(tiny_model):
    model = charity_world(tiny_model, groups__formal_charity__staff_client_capacity=2,
                          groups__formal_charity__volunteer_client_share=0.75,
                          volunteers__share_one_day_a_week=0.0,
                          groups__formal_charity__initial_volunteers=4)
    g = model.groups[0]
    assert g.n_trained == 4
    assert g.volunteer_hours == 4 * 2.0  # a couple of hours a week each
    assert g.capacity == 2 + 6  # 8 hours x 0.75 at one hour a client a week
    g.distanced = True
    assert g.capacity == 0 and g.tasks_today() == 0.0
    g.distanced = False
    g.close("test")
    assert g.capacity == 0


def test_complex_need_without_inclusion_capacity(tiny_model):
    model = tiny_model(n=6, topology__urban__community_groups=1,
                       topology__urban__share_groups_off_radar=0.0,
                       groups__community_group__staff_client_capacity=10,
                       groups__community_group__initial_volunteers=0,
                       groups__disruption_capacity_loss=0.2,
                       groups__p_accept_complex_without_inclusion=0.0)
    g = model.groups[0]
    assert not g.params.accepts_complex
    give_need(model, [0, 1], Need.COMPLEX)
    assert model.offer_to_group(0, g.index, "self") == "declined"
    model.cfg.groups.p_accept_complex_without_inclusion = 1.0
    assert model.offer_to_group(1, g.index, "self") == "accepted"
    assert g.n_disruptive == 1 and model.pop.disruptive[1]
    assert g.capacity == int(10 - 0.2 * 10)  # a disruptive placement costs places (002:368)
    model.pop.until[1] = model.day + 1
    model.step()  # support ends: the place and the disruption are released
    assert g.n_clients == 0 and g.n_disruptive == 0 and not model.pop.disruptive[1]


def test_daily_funding_follows_income_costs_and_cuts(tiny_model):
    model = charity_world(tiny_model, groups__formal_charity__annual_funding=36500.0,
                          groups__formal_charity__fixed_cost_per_day=40.0,
                          groups__formal_charity__cost_per_client_day=5.0,
                          groups__formal_charity__staff_fte=0.0,  # no paid staff to pay
                          groups__formal_charity__reserve_months=12.0,
                          groups__reserve_cap_months=24.0)
    g = model.groups[0]
    assert g.balance == pytest.approx(36500.0)
    give_need(model, [0, 1], Need.MODERATE)
    model.offer_to_group(0, g.index, "self")
    model.offer_to_group(1, g.index, "self")
    g.step_funding()
    assert g.balance == pytest.approx(36500.0 + 100.0 - 40.0 - 10.0)
    model.apply_event("funding_cut", {"share": 0.5, "target": "groups"})
    assert g.funding_cut == 0.5
    before = g.balance
    g.step_funding()
    assert g.balance == pytest.approx(before + 50.0 - 50.0)
    assert g.spent == pytest.approx(100.0) and g.is_open


@pytest.mark.parametrize("target, cut_groups, cut_lio", [
    ("groups", True, False), ("lio", False, True), ("all", True, True)])
def test_funding_cut_targets(tiny_model, target, cut_groups, cut_lio):
    model = charity_world(tiny_model, topology__place_lio=True)
    model.apply_event("funding_cut", {"share": 0.3, "target": target})
    for g in model.groups:
        expected = cut_lio if g.kind is GroupKind.LIO else cut_groups
        assert g.funding_cut == (0.3 if expected else 0.0), g.name
    assert model.event_log[-1]["kind"] == "funding_cut"


def test_group_closes_when_money_runs_out(tiny_model):
    model = charity_world(tiny_model, groups__formal_charity__annual_funding=0.0,
                          groups__formal_charity__reserve_months=0.0,
                          groups__formal_charity__fixed_cost_per_day=10.0)
    g = model.groups[0]
    model.step()
    assert not g.is_open
    assert g.closure_reason == "funding" and g.closed_day == 1
    assert model.rows[-1]["new_groups_closed"] == 1
    assert model.rows[-1]["n_groups_open"] == 0
    model.step()
    assert model.rows[-1]["new_groups_closed"] == 0  # closes once


def test_a_closed_group_releases_clients_volunteers_and_ties(tiny_model):
    model = charity_world(tiny_model, topology__place_lio=True,
                          groups__formal_charity__initial_volunteers=3,
                          gp__share_vcse_degree_0=0.0, gp__share_vcse_degree_1=1.0,
                          gp__share_vcse_degree_2=0.0)
    pop = model.pop
    g = next(x for x in model.groups if x.kind is GroupKind.FORMAL_CHARITY)
    gp = model.gp_practices[0]
    gp.vcse_ties = [g.index]
    give_need(model, [0, 1], Need.MODERATE)
    assert model.offer_to_group(0, g.index, "self") == "accepted"
    members = np.flatnonzero(pop.vorg == g.index)
    assert members.size == 3
    g.close("test")
    assert pop.pathway[0] == Pathway.NONE and pop.provider[0] == -1
    assert g.n_clients == 0
    assert model.flows["new_support_lost_group_closed"] == 1
    assert (pop.vorg[members] == model.lio.index).all()  # back to the volunteer centre
    assert (pop.vstate[members] == V.ACTIVE).all()
    assert g.index not in gp.vcse_ties
    assert model.offer_to_group(1, g.index, "gp") == "stale"


def test_closed_group_volunteers_lapse_without_a_volunteer_centre(tiny_model):
    model = charity_world(tiny_model, groups__formal_charity__initial_volunteers=3)
    g = model.groups[0]
    members = np.flatnonzero(model.pop.vorg == g.index)
    g.close("test")
    assert (model.pop.vstate[members] == V.LAPSED).all()


def test_link_worker_client_placed_in_a_group_that_closes_loses_the_match(tiny_model):
    model = charity_world(tiny_model)
    lw, g = model.link_workers[0], model.groups[0]
    give_need(model, 0, Need.MODERATE)
    model.refer_to_link_worker(0, "gp")
    model.step()
    assert model.pop.matched[0] and model.pop.provider[0] == g.index
    g.close("test")
    assert not model.pop.matched[0] and model.pop.provider[0] == -1
    assert model.pop.pathway[0] == Pathway.LINK_WORKER and 0 in lw.caseload


def test_mutual_aid_groups_form_where_fresh_need_meets_dense_ties(tiny_model):
    """No emergency switch: an emergency without need forms nothing; fresh need among
    neighbours with dense ties does, in any period (issue 11)."""
    n = 12
    clique = [(a, b) for a in range(n) for b in range(a + 1, n)]  # mean degree 11
    model = tiny_model(n=n, edges=clique, volunteers__latent_share=1.0,
                       groups__mag_formation_per_unit_per_day=1.0,
                       groups__mag_excess_need_half=0.5,
                       groups__mutual_aid__initial_volunteers=5)
    model.apply_event("emergency", {"need_multiplier": 1.0})
    for _ in range(model.cfg.groups.mag_fresh_need_days + 1):  # the usual level starts
        model.step()
    assert not any(g.kind is GroupKind.MUTUAL_AID for g in model.groups)  # no need, no group
    model.apply_event("emergency_end")
    give_need(model, range(0, n, 2), Need.LOW)
    model.step()
    mags = [g for g in model.groups if g.kind is GroupKind.MUTUAL_AID]
    assert len(mags) == 1 and not mags[0].on_directory
    assert (model.pop.vorg == mags[0].index).sum() == 5
    assert model.flows["new_groups_formed"] == 1
    model.step()
    assert len([g for g in model.groups if g.kind is GroupKind.MUTUAL_AID]) == 1  # one street


def mutual_aid_world(tiny_model, **extra):
    """Twelve neighbours all tied to each other (social capital 1), every one willing, one
    street (one group at most); need stays fresh and unmet unless a group takes it on. The
    usual level has started (two days with a one-day fresh window, then the window asked
    for: a usual level waits until day-0 need is out of the window)."""
    n = 12
    clique = [(a, b) for a in range(n) for b in range(a + 1, n)]
    values = {"volunteers__latent_share": 1.0, "groups__mag_formation_per_unit_per_day": 1.0,
              "groups__mag_excess_need_half": 0.5, "groups__mag_unmet_steepness": 4.0,
              "groups__mag_fresh_need_days": 1000, "groups__mag_residents_per_group": n,
              "groups__mag_need_level_days": 2.0, "groups__mutual_aid__initial_volunteers": 2,
              "run__days": 90}
    values |= extra
    model = tiny_model(n=n, edges=clique, **(values | {"groups__mag_fresh_need_days": 1}))
    for _ in range(2):
        model.step()
    assert model.rows[-1]["frac_fresh_unmet_usual"] == 0.0 and "_mag_days_seen" in vars(model)
    model.cfg.groups.mag_fresh_need_days = values["groups__mag_fresh_need_days"]
    return model


def n_mutual_aid(model) -> int:
    return sum(g.kind is GroupKind.MUTUAL_AID for g in model.groups)


def test_mutual_aid_forms_after_a_step_rise_in_need(tiny_model):
    """A sudden rise in fresh unmet need among neighbours above its usual level (none) forms
    a group the same day; the day's outputs show the rise, the usual level and the pull."""
    model = mutual_aid_world(tiny_model)
    for _ in range(3):
        model.step()
    assert n_mutual_aid(model) == 0  # no need: no pull
    assert model.rows[-1]["frac_fresh_unmet"] == 0.0
    give_need(model, range(0, 12, 2), Need.LOW)
    model.step()
    assert n_mutual_aid(model) == 1
    row = model.rows[-1]
    assert row["frac_fresh_unmet"] == 0.5 and row["frac_fresh_unmet_usual"] == 0.0
    assert row["mean_mutual_aid_pull"] > 0.99  # 6 extra neighbours, 12 times the half point
    assert row["new_mutual_aid_groups_formed"] == 1


def test_mutual_aid_does_not_form_under_constant_high_need(tiny_model):
    """Need that has stayed high until the usual level caught up pulls no one: with
    formation possible every day, no group forms while the same six neighbours stay in need;
    a further rise (the other six) forms one at once."""
    model = mutual_aid_world(tiny_model)
    model.cfg.groups.mag_formation_per_unit_per_day = 0.0  # the level catches up first
    give_need(model, range(0, 12, 2), Need.LOW)
    for _ in range(20):
        model.step()
    assert model.rows[-1]["frac_fresh_unmet_usual"] == pytest.approx(0.5, abs=1e-4)
    model.cfg.groups.mag_formation_per_unit_per_day = 1.0
    for _ in range(30):
        model.step()
        assert model.rows[-1]["frac_fresh_unmet"] == 0.5
        assert model.rows[-1]["mean_mutual_aid_pull"] < 1e-6
    assert n_mutual_aid(model) == 0
    give_need(model, range(1, 12, 2), Need.LOW)
    model.step()
    assert n_mutual_aid(model) == 1 and model.rows[-1]["frac_fresh_unmet_usual"] > 0.49


def test_rise_pull_and_running_usual_level():
    """The pull is zero at or below the usual level and one half at groups.mag_excess_need_half
    extra residents per street; under a constant share the usual level converges to it, so
    the pull of a step rise fades."""
    share = np.array([0.01, 0.02, 0.014, 0.024])
    usual = np.full(4, 0.014)
    street = np.array([1000.0, 1000.0, 1000.0, 500.0])
    pull = mutual_aid.rise_pull(share, usual, street, 6.0, 4.0)
    assert pull[0] == 0.0 and pull[2] == 0.0  # below, at the usual level
    assert pull[1] == pytest.approx(0.5)  # 6 extra per street of 1000
    x = (5 / 6) ** 4  # 5 extra in a street of 500: the same share is fewer neighbours
    assert pull[3] == pytest.approx(x / (1 + x)) and pull[3] < pull[1]
    level, pulls = np.array([0.014]), []
    for _ in range(200):  # need doubles and stays doubled
        pulls.append(float(mutual_aid.rise_pull(np.array([0.028]), level,
                                                np.array([1000.0]), 6.0, 4.0)[0]))
        level = mutual_aid.next_usual(level, np.array([0.028]), 28.0)
    assert pulls[0] > 0.9 and pulls[-1] < 1e-3
    assert all(a >= b for a, b in zip(pulls, pulls[1:], strict=False))
    assert level[0] == pytest.approx(0.028, rel=1e-3)


@pytest.mark.parametrize(("key", "value", "allowed"), [
    ("groups.mag_need_level_days", 0.5, "between 1 and 3650"),
    ("groups.mag_need_level_days", float("nan"), "finite"),
    ("groups.mag_excess_need_half", 0.0, "between 0.01 and 1000"),
    ("groups.mag_excess_need_half", -2.0, "between 0.01 and 1000"),
    ("groups.mag_unmet_steepness", 25.0, "between 0.5 and 20"),
])
def test_mutual_aid_formation_parameters_are_checked(key, value, allowed):
    cfg = set_keys(Config(), {key: value})
    with pytest.raises(ConfigError) as err:
        validate(cfg)
    assert err.value.key == key and allowed in str(err.value)


def test_distancing_stops_community_groups_until_the_emergency_ends(tiny_model):
    model = tiny_model(n=6, topology__urban__community_groups=2,
                       emergency__p_group_closed_by_distancing=1.0)
    groups = model.groups
    model.apply_event("emergency", {"need_multiplier": 1.5, "distancing": True})
    assert all(g.distanced and g.capacity == 0 for g in groups)
    assert model.open_groups_reachable(0) == []
    assert model.cfg.need.emergency_multiplier == 1.5
    model.apply_event("emergency_end")
    assert not any(g.distanced for g in groups)
    assert model.cfg.need.emergency_multiplier == 1.0 and not model.cfg.emergency.active


def trust_world(tiny_model, **extra):
    return tiny_model(n=1000, volunteers__latent_share=0.5, topology__nhs_trust=True,
                      topology__nhs_trust_volunteers_per_1000=10.0,
                      topology__urban__formal_charities=1,
                      groups__formal_charity__initial_volunteers=4, **extra)


def test_hospital_volunteers_stand_down_and_return(tiny_model):
    model = trust_world(tiny_model)
    pop, trust = model.pop, model.nhs_trust
    nhs = np.flatnonzero(pop.nhs_volunteer)
    others = np.flatnonzero((pop.vstate == V.ACTIVE) & ~pop.nhs_volunteer)
    assert nhs.size == 10 and others.size == 4
    assert (pop.vorg[nhs] == trust.index).all()
    model.step()
    assert trust.tasks_today() > 0
    model.apply_event("nhs_volunteers_stand_down")
    assert (pop.vstate[nhs] == V.STOOD_DOWN).all()
    assert trust.stood_down and trust.tasks_today() == 0.0
    assert (pop.vstate[others] != V.STOOD_DOWN).all()
    goodwill = pop.goodwill[nhs].copy()
    for _ in range(3):
        model.step()
    assert (pop.vstate[nhs] == V.STOOD_DOWN).all()
    assert (pop.goodwill[nhs] < goodwill).all()  # waiting at home erodes goodwill
    assert model.rows[-1]["n_vol_stood_down"] == 10
    model.apply_event("nhs_volunteers_return")
    assert (pop.vstate[nhs] == V.ACTIVE).all() and not trust.stood_down
    assert (pop.vlast_task[nhs] == model.day).all()


def test_onboarding_is_limited_by_volunteer_management_hours(tiny_model):
    model = charity_world(tiny_model, volunteers__p_apply_per_day=1.0,
                          groups__formal_charity__vm_hours_per_week=7.0,
                          groups__formal_charity__hours_per_application=2.0,
                          groups__formal_charity__training_days=3,
                          volunteers__induction_hours_per_volunteer=0.0,
                          volunteers__contact_hours_per_waiting_per_week=0.0,
                          volunteers__goodwill_decay_waiting=0.0)
    pop = model.pop
    model.step()
    assert (pop.vstate == V.APPLIED).sum() + (pop.vstate == V.ONBOARDING).sum() == 10
    processed = []
    for _ in range(6):
        model.step()
        processed.append(model.flows.get("new_vol_processed", 0))
    # an hour a day, two hours an application: one every second day, never a burst
    assert max(processed) <= 1 and sum(processed) == 3
    onboarding = np.flatnonzero(pop.vstate == V.ONBOARDING)
    active = np.flatnonzero(pop.vstate == V.ACTIVE)
    assert active.size >= 1
    assert ((model.day - pop.vsince[onboarding]) <= 3).all()
    assert (pop.vtrained_at[active] == model.groups[0].index).all()


def test_goodwill_runs_out_while_waiting(tiny_model):
    model = charity_world(tiny_model, volunteers__p_apply_per_day=1.0,
                          groups__formal_charity__vm_hours_per_week=0.0,
                          volunteers__goodwill_decay_waiting=0.25, volunteers__goodwill_sd=0.0,
                          volunteers__uncontacted_decay_factor=1.0)
    pop = model.pop
    for _ in range(3):
        model.step()
    assert (pop.vstate == V.APPLIED).all()
    model.step()  # goodwill 1.0 - 4 * 0.25 = 0
    assert (pop.vstate == V.LAPSED).all()
    assert model.rows[-1]["new_vol_dropouts_waiting"] == 10


def test_passported_volunteers_skip_repeat_training(tiny_model):
    model = charity_world(tiny_model, topology__place_lio=True, volunteers__passporting=True,
                          volunteers__passport_recognition_share=1.0,
                          volunteers__lio_placement_per_day=10.0,
                          groups__lio__initial_volunteers=4,
                          groups__formal_charity__training_days=30)
    pop = model.pop
    at_lio = np.flatnonzero(pop.vorg == model.lio.index)
    assert at_lio.size == 4
    charity = next(g for g in model.groups if g.kind is GroupKind.FORMAL_CHARITY)
    for _ in range(3):
        model.step()
    assert (pop.vorg[at_lio] == charity.index).all()
    # placed after a passport check and a day's local induction, not 30 days of training
    assert (pop.vstate[at_lio] == V.ACTIVE).all()


def test_passported_applicants_start_without_repeat_checks(tiny_model):
    model = charity_world(tiny_model, volunteers__passporting=True,
                          volunteers__passport_recognition_share=1.0,
                          volunteers__p_apply_per_day=1.0,
                          groups__formal_charity__vm_hours_per_week=300.0,
                          groups__formal_charity__training_days=30)
    pop = model.pop
    pop.vtrained_at[:4] = model.groups[0].index  # trained before, e.g. for an earlier role
    for _ in range(3):
        model.step()
    assert (pop.vstate[:4] == V.ACTIVE).all()
    assert (pop.vstate[4:] == V.ONBOARDING).all()


def test_changing_what_counts_as_fresh_need_remeasures_its_usual_level(tiny_model):
    """A set_parameter event on groups.mag_fresh_need_days changes what "fresh" means; the
    usual level is measured afresh that day, so the change alone is not a rise that forms a
    group (old need suddenly counted fresh again)."""
    from sim.events.parameters import set_parameter

    model = mutual_aid_world(tiny_model, groups__mag_fresh_need_days=1)
    model.cfg.groups.mag_formation_per_unit_per_day = 0.0  # the need stays unmet
    give_need(model, range(0, 12, 2), Need.LOW)
    for _ in range(10):  # the need ages out of "fresh": level 0
        model.step()
    assert model.rows[-1]["frac_fresh_unmet"] == 0.0
    model.cfg.groups.mag_formation_per_unit_per_day = 1.0
    set_parameter(model, {"key": "groups.mag_fresh_need_days", "value": 1000})
    for _ in range(5):
        model.step()
        assert model.rows[-1]["frac_fresh_unmet"] == 0.5
        assert model.rows[-1]["mean_mutual_aid_pull"] < 1e-6
    assert n_mutual_aid(model) == 0


def test_a_run_without_burn_in_judges_no_rise_against_day_0_need(tiny_model):
    """Need seeded on day 0 is a prevalence, not a rise: while it is inside the fresh window
    nothing is judged or learnt (no group forms however steep the pull); the usual level
    starts on the first day after, at that day's share, so a later rise is judged against
    the need that began in the run (formerly the day-0 share was the usual level, and a rise
    of a sixth of the street after it aged out pulled no one)."""
    n = 60
    ring = [(i, (i + k) % n) for i in range(n) for k in (1, 2, 3, 4, 5)]  # degree 10
    model = tiny_model(n=n, edges=ring, volunteers__latent_share=1.0,
                       groups__mag_formation_per_unit_per_day=1.0,
                       groups__mag_excess_need_half=0.5, groups__mag_residents_per_group=n)
    model.pop.vstate[:] = VolunteerState.LATENT
    give_need(model, range(0, n, 3), Need.LOW)  # the day-0 prevalence: a third
    window = model.cfg.groups.mag_fresh_need_days
    for _ in range(window):
        model.step()
        row = model.rows[-1]
        assert row["frac_fresh_unmet"] == pytest.approx(1 / 3)
        assert row["mean_mutual_aid_pull"] == 0.0 and row["new_mutual_aid_groups_formed"] == 0
    assert "_mag_need_usual" not in vars(model)  # nothing learnt yet
    model.step()  # day 0 need has aged out: the level starts at today's share (none)
    assert model.rows[-1]["frac_fresh_unmet"] == 0.0
    assert model.rows[-1]["frac_fresh_unmet_usual"] == 0.0
    give_need(model, range(1, n, 6), Need.LOW)  # a sixth of the street, fresh
    model.step()
    row = model.rows[-1]
    assert row["frac_fresh_unmet_usual"] == 0.0 and row["mean_mutual_aid_pull"] > 0.99
    assert n_mutual_aid(model) == 1


def test_the_usual_level_starts_as_the_mean_of_the_days_seen():
    """mutual_aid.learning_window: the usual level is the plain mean of the shares seen for
    its first groups.mag_need_level_days days, then an exponential mean with that window."""
    shares = np.random.default_rng(4).uniform(0.0, 0.05, size=(40, 3))
    level = shares[0]
    for day in range(1, 40):
        if day < 28:  # the mean of the days so far (the level a day's rise is judged against)
            assert level == pytest.approx(shares[:day].mean(axis=0), rel=1e-12)
        step = mutual_aid.learning_window(day + 1, 28.0)
        assert step == min(day + 1, 28)
        level = mutual_aid.next_usual(level, shares[day], step)
    assert mutual_aid.learning_window(0, 28.0) == 1.0  # never a step beyond today's share
