"""Emergency actors, mutual aid from ties, joint-work ties (issue 11, area 2), on tiny worlds."""

from __future__ import annotations

import numpy as np
from support import give_need

from sim.agents.organisations import GroupKind
from sim.params import EmergencyParams
from sim.processes.emergency import joint_work_ties
from sim.state import Need, Pathway, VolunteerState

ONLY_LRF = {f"emergency__{a}__coordinator_hours_per_week_per_1000": 0.0
            for a in ("vcs", "local_authority", "national_scheme")}
UNTIED = {"gp__share_vcse_degree_0": 1.0, "gp__share_vcse_degree_1": 0.0,
          "gp__share_vcse_degree_2": 0.0}  # practices start with no tie to a group


def volunteers(model, idx, hours=4.0):
    """Residents ``idx`` volunteer for the world's community group."""
    pop = model.pop
    idx = np.asarray(idx, np.int64)
    group = next(g for g in model.groups if g.kind is GroupKind.COMMUNITY_GROUP)
    pop.vstate[idx] = VolunteerState.ACTIVE
    pop.vorg[idx] = group.index
    pop.vhours_offer[idx] = hours
    pop.goodwill[idx] = 1.0


def vulnerable_in_need(model, idx):
    model.pop.limitation[np.asarray(idx)] = 2
    give_need(model, idx, Need.LOW)


def test_mobilisation_day_is_the_sum_of_the_actor_stages(tiny_model):
    model = tiny_model(n=10)
    actor = model.emergency_actor("lrf_cell")
    p = actor.params
    rng = np.random.default_rng(3)
    day = actor.plan_stages(100, rng)
    names = [name for name, _ in actor.stages]
    assert names == ["decision_1", "decision_2", "decision_3", "sign_off", "contracts", "setup"]
    fixed = p.sign_off_days + p.contract_days + p.setup_days
    assert 100 + 3 + fixed <= day <= 100 + 3 * p.meeting_interval_days + fixed
    assert day == actor.stages[-1][1]


def test_a_plan_removes_stages_and_shortens_mobilisation(tiny_model):
    model = tiny_model(n=10)
    actor = model.emergency_actor("lrf_cell")
    unprepared = [actor.plan_stages(0, np.random.default_rng(k)) for k in range(50)]
    model.cfg.emergency.prepared = True
    prepared = [actor.plan_stages(0, np.random.default_rng(k)) for k in range(50)]
    assert [name for name, _ in actor.stages] == ["decision_1", "sign_off", "setup"]
    assert all(a < b for a, b in zip(prepared, unprepared, strict=True))


def test_default_structures_order_the_actors_as_003_70(tiny_model):
    """The VCS (one meeting) before the council (layers, sign-off, contracts) before the
    national scheme (more layers, checks, an app)."""
    model = tiny_model(n=10)
    mean = {key: np.mean([model.emergency_actor(key).plan_stages(0, np.random.default_rng(k))
                          for k in range(200)])
            for key in ("vcs", "local_authority", "national_scheme")}
    assert mean["vcs"] < mean["local_authority"] < mean["national_scheme"]


def run_lrf(tiny_model, hours_per_week_per_1000, n_volunteers=20, days=70):
    model = tiny_model(n=200, **ONLY_LRF, emergency__prepared=True,
                       topology__urban__community_groups=1,
                       emergency__lrf_cell__coordinator_hours_per_week_per_1000=(
                           hours_per_week_per_1000))
    volunteers(model, range(100, 100 + n_volunteers))
    vulnerable_in_need(model, range(100))
    model.apply_event("emergency", {"need_multiplier": 1.0})
    model.run(days)
    ts = model.timeseries()
    return model, ts


def test_the_cell_takes_on_residents_as_its_coordination_hours_allow(tiny_model):
    model, ts = run_lrf(tiny_model, 50.0)  # 10 hours a week: 10 residents a week
    actor = model.emergency_actor("lrf_cell")
    weeks = (model.day - actor.mobilised_day) / 7
    taken = ts["new_emergency_responses_lrf_cell"].sum()
    assert 0 < taken <= 10 * (weeks + 1)
    assert ts["new_emergency_responses"].sum() == taken
    _, ts2 = run_lrf(tiny_model, 100.0)
    assert ts2["new_emergency_responses_lrf_cell"].sum() > taken  # more hours, more residents
    assert ts["new_emergency_coordination_hours"].sum() == taken * 1.0


def test_without_volunteers_with_hours_the_cell_cannot_take_anyone_on(tiny_model):
    model, ts = run_lrf(tiny_model, 50.0, n_volunteers=0)
    assert ts["new_emergency_responses"].sum() == 0
    assert ts["new_emergency_responses_short_of_volunteers"].sum() > 0
    assert model.emergency_actor("lrf_cell").first_support_day < 0


def test_actors_do_nothing_in_normal_times(tiny_model):
    model = tiny_model(n=50, topology__urban__community_groups=1)
    volunteers(model, range(25, 50))
    vulnerable_in_need(model, range(25))
    model.run(60)
    ts = model.timeseries()
    assert ts["new_emergency_responses"].sum() == 0
    assert all(a.mobilised_day < 0 for a in model.emergency_actors)


def test_mutual_aid_forms_where_fresh_need_meets_ties_and_helps_neighbours(tiny_model):
    n = 60
    ring = [(i, (i + k) % n) for i in range(n) for k in (1, 2, 3, 4, 5)]  # degree 10
    model = tiny_model(n=n, edges=ring, volunteers__latent_share=1.0,
                       groups__mag_formation_per_unit_per_day=1.0,
                       groups__mag_residents_per_group=1000)
    model.pop.vstate[:] = VolunteerState.LATENT
    model.run(8)  # the usual level starts once day-0 need is out of the 7-day fresh window
    assert not any(g.kind is GroupKind.MUTUAL_AID for g in model.groups)  # no need: none
    give_need(model, range(0, n, 3), Need.LOW)  # a third of the street in fresh need
    model.run(5)
    mags = [g for g in model.groups if g.kind is GroupKind.MUTUAL_AID]
    assert len(mags) == 1  # one street-level group per 1,000 residents
    ts = model.timeseries()
    assert ts["new_mutual_aid_groups_formed"].sum() == 1
    assert ts["new_mutual_aid_support"].sum() > 0  # members took neighbours on, unreferred
    assert ts["new_mutual_aid_support_from_health"].sum() == 0
    assert (model.pop.pathway[range(0, n, 3)] == Pathway.GROUP).any()


def test_mutual_aid_group_folds_when_need_falls(tiny_model):
    n = 60
    ring = [(i, (i + k) % n) for i in range(n) for k in (1, 2, 3, 4, 5)]
    model = tiny_model(n=n, edges=ring, volunteers__latent_share=1.0,
                       groups__mag_formation_per_unit_per_day=1.0,
                       groups__mag_p_fold_per_day=1.0)
    model.pop.vstate[:] = VolunteerState.LATENT
    model.run(8)  # days without need: the usual level (started on day 8) is none
    give_need(model, range(0, n, 3), Need.LOW)  # a sudden rise
    model.run(2)
    mag = next(g for g in model.groups if g.kind is GroupKind.MUTUAL_AID)
    model.pop.need[:] = Need.NONE  # need is met and gone
    model.pop.pathway[:] = Pathway.NONE
    model.run(3)
    assert not mag.is_open and mag.closure_reason == "folded"
    assert not (model.pop.vorg == mag.index).any()  # members are willing neighbours again
    assert (model.pop.vstate == VolunteerState.LATENT).sum() == n


def test_joint_cases_tie_a_practice_and_a_group_and_the_tie_lapses(tiny_model):
    model = tiny_model(n=10, topology__urban__community_groups=1, **UNTIED,
                       emergency__p_tie_per_joint_case=1.0, emergency__joint_tie_lapse_days=14)
    group = next(g for g in model.groups if g.kind is GroupKind.COMMUNITY_GROUP)
    gp = model.gp_practices[0]
    assert group.index not in gp.vcse_ties
    ties_before = model.count_health_vcse_ties()
    model.joint_case(gp.index, group.index)
    model.run(1)
    assert group.index in gp.vcse_ties
    assert model.count_health_vcse_ties() == ties_before + 1
    model.run(28)  # no more joint work
    assert group.index not in gp.vcse_ties
    assert model.count_health_vcse_ties() == ties_before
    ts = model.timeseries()
    assert ts["new_joint_work_ties"].sum() == 1 and ts["new_joint_work_ties_lapsed"].sum() == 1


def test_without_joint_work_no_tie_forms(tiny_model):
    model = tiny_model(n=10, topology__urban__community_groups=1, **UNTIED,
                       emergency__p_tie_per_joint_case=0.0)
    group = next(g for g in model.groups if g.kind is GroupKind.COMMUNITY_GROUP)
    model.joint_case(model.gp_practices[0].index, group.index)
    model.run(1)
    assert group.index not in model.gp_practices[0].vcse_ties


def test_default_plan_has_the_lrf_cell_near_cornwalls_14_days():
    """003:103: 14 days from campaign launch to first referral with a plan."""
    p = EmergencyParams().lrf_cell
    fixed = p.sign_off_days + p.setup_days
    layers = p.decision_layers - p.plan_removes_layers
    assert fixed + layers <= 14 <= fixed + layers * p.meeting_interval_days + 2


def test_distanced_groups_suspend_and_close_for_good_when_their_volunteers_go(tiny_model):
    model = tiny_model(n=20, topology__urban__community_groups=2,
                       emergency__p_group_closed_by_distancing=1.0,
                       emergency__p_online_if_distanced=0.0)
    a, b = (g for g in model.groups if g.kind is GroupKind.COMMUNITY_GROUP)
    volunteers(model, [0, 1])
    model.pop.vorg[1] = b.index
    model.apply_event("emergency", {"need_multiplier": 1.0, "distancing": True})
    model.step()
    assert a.distanced and b.distanced and a.is_open and b.is_open
    assert model.timeseries()["n_groups_suspended"].iloc[-1] == 2
    model.pop.vstate[0] = VolunteerState.LAPSED  # a's last volunteer drifts away
    model.run(2)
    assert not a.is_open and a.closure_reason == "volunteers lost while suspended"
    assert b.is_open
    model.apply_event("emergency_end")
    model.step()
    ts = model.timeseries()
    assert ts["new_groups_closed_while_suspended"].sum() == 1
    assert ts["n_groups_suspended"].iloc[-1] == 0 and not b.distanced and b.capacity > 0


def test_online_groups_keep_fewer_places_and_miss_the_digitally_excluded(tiny_model):
    model = tiny_model(n=20, topology__urban__community_groups=1,
                       emergency__p_group_closed_by_distancing=1.0,
                       emergency__p_online_if_distanced=1.0,
                       emergency__online_capacity_share=0.5,
                       columns={"digital": [False] * 5 + [True] * 15})
    group = next(g for g in model.groups if g.kind is GroupKind.COMMUNITY_GROUP)
    model.apply_event("emergency", {"need_multiplier": 1.0, "distancing": True})
    assert group.online and not group.distanced
    give_need(model, range(20), Need.LOW)
    assert model.offer_to_group(0, group.index, "self") == "not_reached"
    results = [model.offer_to_group(i, group.index, "self") for i in range(5, 20)]
    assert 0 < results.count("accepted") < group.capacity  # half its places are gone
    assert "declined" in results
    assert model.flows["new_referrals_not_reached_online"] == 1


def test_a_practice_takes_on_ties_only_while_its_partnership_hours_cover_them(tiny_model):
    """Each tie takes gp.tie_upkeep_hours_per_week of the practice's partnership hours; joint
    work with a third group ties nothing while two ties take all the hours (000:92)."""
    model = tiny_model(n=10, topology__urban__community_groups=3, **UNTIED,
                       emergency__p_tie_per_joint_case=1.0, gp__partnership_hours_lo=2.0,
                       gp__partnership_hours_hi=2.0, gp__tie_upkeep_hours_per_week=1.0)
    gp = model.gp_practices[0]
    groups = [g for g in model.groups if g.kind is GroupKind.COMMUNITY_GROUP]
    assert len(groups) == 3 and gp.vcse_ties == [] and gp.partnership_hours == 2.0
    for g in groups:
        model.joint_case(gp.index, g.index)
    model.run(1)
    assert gp.vcse_ties == [groups[0].index, groups[1].index]
    assert model.rows[-1]["new_joint_work_ties"] == 2
    assert abs(model.rows[-1]["new_gp_partnership_hours"] - 2.0 / 7.0) < 1e-12
    gp.partnership_hours = 3.0  # an hour more a week: the next joint case ties the third
    model.joint_case(gp.index, groups[2].index)
    model.run(1)
    assert sorted(gp.vcse_ties) == sorted(g.index for g in groups)


def test_every_tie_lapses_unused_and_signposting_to_it_is_a_use(tiny_model):
    """A practice's own tie lapses like a joint-work tie when nothing uses it; a patient
    signposted to the group uses it (renewal off so the lapse stays visible)."""
    model = tiny_model(n=10, topology__urban__community_groups=1,
                       gp__share_vcse_degree_0=0.0, gp__share_vcse_degree_1=1.0,
                       gp__share_vcse_degree_2=0.0, gp__vcse_tie_renewal_days=0.0,
                       gp__p_signpost_tied_group=1.0, emergency__joint_tie_lapse_days=14)
    gp = model.gp_practices[0]
    (tied,) = gp.vcse_ties  # its own tie, from the input degree
    model.pop.need[:] = Need.NONE
    model.pop.pathway[:] = Pathway.NONE
    model.run(10)
    gp.engagement_level = 0.0  # not referred to the link worker: signposted to the group
    gp.consult_nonmedical(0)
    assert model.tie_last_use[(gp.index, tied)] == model.day
    model.run(10)
    assert gp.vcse_ties == [tied]  # used 10 days ago: kept
    model.run(21)
    assert gp.vcse_ties == []  # unused for more than 14 days: lapsed
    assert model.timeseries()["new_joint_work_ties_lapsed"].sum() == 1


def test_in_an_emergency_a_tie_takes_fewer_hours_and_after_it_the_least_used_ties_end(
        tiny_model):
    """SF15's mechanism (000:132, 003:308-314): while an emergency is under way a tie takes
    the emergency's tie_upkeep_factor (0.5) of its usual upkeep, so the practice's two
    partnership hours keep four ties up, not two; when it ends the usual cost returns and the
    next day, before its hours are booked, the practice ends the two least recently used ties,
    keeping the ones still in use (its hours are never overdrawn)."""
    from sim.events.emergencies import emergency, emergency_end

    model = tiny_model(n=10, topology__urban__community_groups=4, **UNTIED,
                       emergency__p_tie_per_joint_case=1.0, gp__partnership_hours_lo=2.0,
                       gp__partnership_hours_hi=2.0, gp__tie_upkeep_hours_per_week=1.0)
    gp = model.gp_practices[0]
    groups = [g.index for g in model.groups if g.kind is GroupKind.COMMUNITY_GROUP]
    assert len(groups) == 4 and gp.vcse_ties == []
    emergency(model, {"need_multiplier": 1.0, "distancing": False, "shielding": False,
                      "tie_upkeep_factor": 0.5})
    assert model.tie_upkeep_hours_per_week() == 0.5
    for k in groups:
        model.joint_case(gp.index, k)
    model.run(1)
    assert sorted(gp.vcse_ties) == sorted(groups)  # 4 x 0.5 h: all four fit in 2 h
    assert abs(model.rows[-1]["new_gp_partnership_hours"] - 2.0 / 7.0) < 1e-12
    model.run(2)
    for k in groups[2:]:  # the last two stay in use
        model.joint_case(gp.index, k)
    model.run(1)
    emergency_end(model, {})
    assert model.tie_upkeep_hours_per_week() == 1.0
    model.run(1)  # the next day: 4 h of ties on 2 h; the two least used end before booking
    assert sorted(gp.vcse_ties) == sorted(groups[2:])
    assert model.rows[-1]["new_gp_ties_dropped_no_hours"] == 2
    assert model.rows[-1]["new_gp_partnership_hours"] <= gp.partnership_hours / 7.0 + 1e-12
    assert gp.partnership_load() <= gp.partnership_hours
    model.run(7)
    assert model.timeseries()["new_gp_ties_dropped_no_hours"].sum() == 2


def test_joint_cases_draw_the_same_numbers_whatever_the_practice_is_tied_to(tiny_model):
    """Common random numbers: two joint cases with one group, in an arm whose practice has
    the hours to tie (the second case is then a use of the tie) and one whose practice has
    none; both draw one number per case, so the joint-tie stream and the emergency stream
    (mutual aid, distancing) end in the same state."""
    states, tied = [], []
    for hours in (2.0, 0.0):
        model = tiny_model(n=10, topology__urban__community_groups=1, **UNTIED,
                           emergency__p_tie_per_joint_case=1.0)
        gp = model.gp_practices[0]
        gp.partnership_hours = hours
        group = next(g for g in model.groups if g.kind is GroupKind.COMMUNITY_GROUP)
        for _ in range(2):
            model.joint_case(gp.index, group.index)
            joint_work_ties(model)
        tied.append(len(gp.vcse_ties))
        states.append((model.streams.joint_ties.bit_generator.state,
                       model.streams.emergency.bit_generator.state))
    assert tied == [1, 0]
    assert states[0] == states[1]


def test_without_an_emergency_the_same_practice_keeps_two_ties_and_drops_none(tiny_model):
    """The counterpart of the test above: in normal times a tie costs its usual hour, so the
    same joint cases tie the practice to two groups only and nothing is ever over its hours."""
    model = tiny_model(n=10, topology__urban__community_groups=4, **UNTIED,
                       emergency__p_tie_per_joint_case=1.0, gp__partnership_hours_lo=2.0,
                       gp__partnership_hours_hi=2.0, gp__tie_upkeep_hours_per_week=1.0)
    gp = model.gp_practices[0]
    groups = [g.index for g in model.groups if g.kind is GroupKind.COMMUNITY_GROUP]
    for k in groups:
        model.joint_case(gp.index, k)
    model.run(10)
    assert gp.vcse_ties == groups[:2]
    assert model.timeseries()["new_gp_ties_dropped_no_hours"].sum() == 0




def _officer_and_practice(tiny_model, *, groups: int, officer_hours: float,
                          hours_per_attempt: float, practice_hours: float, days: int):
    """An urban unit with a locality officer that ties every attempt and keeps its ties at
    0.75 of an hour a week each (the practice gives 0.25), an untied practice with
    ``practice_hours`` of partnership hours, and ``groups`` community groups on the radar."""
    return tiny_model(n=8, topology__urban__locality_officer=True,
                      topology__urban__community_groups=groups,
                      topology__urban__share_groups_off_radar=0.0,
                      intermediaries__lo_hours_per_week=officer_hours,
                      intermediaries__lo_hours_per_tie_attempt=hours_per_attempt,
                      intermediaries__p_lo_tie_success=1.0,
                      intermediaries__lo_tie_practice_share=0.25,
                      intermediaries__lo_ties_at_start=False,
                      gp__partnership_hours_lo=practice_hours,
                      gp__partnership_hours_hi=practice_hours,
                      gp__tie_upkeep_hours_per_week=1.0, run__days=days, **UNTIED)


def test_a_locality_officer_keeps_more_ties_up_in_an_emergency(tiny_model):
    """The officer's part of a tie's upkeep falls with the emergency's tie_upkeep_factor: 1.6
    hours a week keep two ties at 0.75 each in normal times, four at 0.375 in a lockdown-like
    emergency (0.5), and two again in an emergency that does not state the factor (a flood)."""
    from sim.agents.intermediaries import LocalityOfficer
    from sim.events.emergencies import emergency

    kept = {}
    for arm, factor in (("normal", None), ("crisis", 0.5), ("flood", 1.0)):
        model = _officer_and_practice(tiny_model, groups=6, officer_hours=1.6,
                                      hours_per_attempt=0.5, practice_hours=2.0, days=60)
        officer = next(h for h in model.intermediaries if isinstance(h, LocalityOfficer))
        if factor is not None:
            p = {"need_multiplier": 1.0, "distancing": False, "shielding": False}
            emergency(model, p if arm == "flood" else {**p, "tie_upkeep_factor": factor})
        model.run(42)
        kept[arm] = (len(officer.kept_ties), len(model.gp_practices[0].vcse_ties))
    assert kept == {"normal": (2, 2), "crisis": (4, 4), "flood": (2, 2)}


def test_after_a_crisis_an_officer_keeps_as_many_ties_as_the_hours_cover(tiny_model):
    """The review's trace: an officer with 4 hours a week (5 ties at 0.75) and a practice with
    1 hour (4 officer-kept ties at 0.25) hold 4 ties; in a lockdown-like emergency (0.5) 8;
    when it ends the usual cost returns mid-week and they fall back to the 4 the hours cover,
    not below (upkeep owed at the day's cost, so no tie that ended is charged for)."""
    from sim.agents.intermediaries import LocalityOfficer
    from sim.events.emergencies import emergency, emergency_end

    model = _officer_and_practice(tiny_model, groups=9, officer_hours=4.0,
                                  hours_per_attempt=2.0, practice_hours=1.0, days=300)
    gp = model.gp_practices[0]
    officer = next(h for h in model.intermediaries if isinstance(h, LocalityOfficer))
    model.run(30)
    assert len(gp.vcse_ties) == len(officer.kept_ties) == 4
    emergency(model, {"need_multiplier": 1.0, "distancing": False, "shielding": False,
                      "tie_upkeep_factor": 0.5})
    model.run(70)
    assert len(gp.vcse_ties) == len(officer.kept_ties) == 8
    emergency_end(model, {})  # day 100, mid-week
    model.run(12)
    for _ in range(3):
        model.run(7)
        assert len(gp.vcse_ties) == len(officer.kept_ties) == 4
    assert gp.partnership_load() <= gp.partnership_hours
