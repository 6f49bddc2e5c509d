"""LinkWorker: triage, light-touch vs bespoke, caseload cap and waiting list, matching from a
directory that goes stale, declines, disengagement and hand-back to the GP."""

from __future__ import annotations

import numpy as np
import pytest
from support import give_need

from sim.agents.organisations import GroupKind
from sim.state import Need, Pathway


def refer(model, idx, level, source="gp"):
    give_need(model, idx, level)
    for i in np.atleast_1d(idx).tolist():
        assert model.refer_to_link_worker(i, source)


def test_caseload_never_exceeds_cap_and_the_excess_waits(tiny_model):
    model = tiny_model(n=9, link_worker__caseload_cap=2, link_worker__triage_per_day=20,
                       link_worker__bespoke_days=2, link_worker__bespoke_sessions=2,
                       link_worker__hours_per_week=80.0)
    lw = model.link_workers[0]
    refer(model, range(7), Need.MODERATE)
    assert lw.n_waiting == 7
    model.step()
    assert len(lw.caseload) == 2
    assert [e[0] for e in lw.waiting] == [2, 3, 4, 5, 6]  # first come, first served
    pop = model.pop
    assert pop.pathway[[0, 1]].tolist() == [Pathway.LINK_WORKER] * 2
    assert (pop.pathway[2:7] == Pathway.WAITING).all()
    assert model.rows[-1]["n_pathway_waiting"] == 5
    assert model.rows[-1]["n_unmet_moderate"] == 5  # waiting counts as unmet
    admitted_on = {0: 1, 1: 1}
    for _ in range(20):  # two sessions each on consecutive working days
        model.step()
        assert len(lw.caseload) <= 2
        for i in lw.caseload:
            admitted_on.setdefault(i, model.day)
    assert sorted(admitted_on) == list(range(7))
    assert admitted_on[1] < admitted_on[2] <= admitted_on[3] < admitted_on[4] < admitted_on[6]
    assert pop.ever_supported[:7].all()
    assert not lw.waiting


def test_triage_is_limited_per_day(tiny_model):
    model = tiny_model(n=6, link_worker__triage_per_day=2)
    lw = model.link_workers[0]
    refer(model, range(5), Need.MODERATE)
    model.step()
    assert len(lw.inbox) == 3
    assert len(lw.caseload) == 2
    model.step()
    assert len(lw.inbox) == 1


def test_low_need_gets_light_touch_support(tiny_model):
    model = tiny_model(n=4, link_worker__light_touch_days=5)
    lw = model.link_workers[0]
    refer(model, 1, Need.LOW)
    model.step()
    assert lw.light == {1: model.day + 5}
    assert not lw.caseload
    assert model.pop.pathway[1] == Pathway.LINK_WORKER
    for _ in range(7):  # due on day 6, a Saturday: the closing call is made on Monday
        model.step()
    assert 1 not in lw.light
    assert model.pop.pathway[1] == Pathway.NONE  # support over: resolved or one level lower


def test_hidden_need_surfaces_at_triage(tiny_model):
    model = tiny_model(n=4, need__p_hidden_surfaces_on_contact=1.0)
    lw = model.link_workers[0]
    refer(model, 0, Need.LOW)
    model.pop.hidden[0] = True
    model.step()
    assert model.pop.need[0] == Need.MODERATE
    assert 0 in lw.caseload and not lw.light  # now bespoke, not light touch
    assert model.flows["new_hidden_needs_surfaced"] == 1


def directory_world(tiny_model, **extra):
    """One link worker and one formal charity on its directory."""
    return tiny_model(n=6, topology__urban__formal_charities=1, **extra)


def test_bespoke_client_is_matched_and_handed_to_the_group(tiny_model):
    model = directory_world(tiny_model, link_worker__bespoke_days=14,
                            groups__formal_charity__support_days=30)
    lw, charity = model.link_workers[0], model.groups[0]
    assert lw.directory == {charity.index}
    refer(model, 2, Need.MODERATE)
    model.step()
    pop = model.pop
    assert pop.matched[2] and pop.provider[2] == charity.index
    assert charity.n_clients == 1
    assert pop.pathway[2] == Pathway.LINK_WORKER  # the link worker still holds the client
    assert model.flows["new_referrals_result_accepted"] == 1
    assert model.flows["new_health_to_vcse_referrals"] == 1
    for _ in range(14):
        model.step()
    assert 2 not in lw.caseload
    assert pop.pathway[2] == Pathway.GROUP  # group support continues after link-worker support
    assert pop.until[2] == pop.group_until[2] > model.day


def test_stale_directory_entry_fails_and_is_dropped(tiny_model):
    model = directory_world(tiny_model)
    lw, charity = model.link_workers[0], model.groups[0]
    charity.close("test")
    assert charity.index in lw.directory  # link workers learn of closures late
    give_need(model, 3, Need.MODERATE)
    model.flows = {}
    assert not lw.match(3)
    assert charity.index not in lw.directory
    assert model.flows["new_referrals_result_stale"] == 1
    assert model.pop.provider[3] == -1 and not model.pop.matched[3]


def test_lio_directory_hours_forget_closed_and_learn_new_groups(tiny_model):
    model = directory_world(tiny_model, topology__place_lio=True, groups__lio__funding_sd=0.0,
                            lio__directory_hours_per_week=7.0, lio__hours_per_listing_check=2.0)
    lw = model.link_workers[0]
    charity = next(g for g in model.groups if g.kind is GroupKind.FORMAL_CHARITY)
    assert model.lio.index not in lw.directory  # the LIO is not a destination
    charity.close("test")
    late = model.add_group(GroupKind.COMMUNITY_GROUP, 0, True, "late-group")
    model.step()  # one hour a day: no listing verified yet
    assert lw.directory == {charity.index}
    model.step()  # two hours: the listing nobody has verified comes first
    assert lw.directory == {charity.index, late.index}
    model.step()
    model.step()  # then the least recently verified: the closed charity is dropped
    assert lw.directory == {late.index}
    assert model.rows[-1]["frac_directory_accuracy"] == 1.0
    assert model.rows[-1]["new_lio_hours_directory"] == pytest.approx(1.0)


def test_full_group_declines_and_client_stays_with_link_worker(tiny_model):
    model = directory_world(tiny_model, groups__formal_charity__staff_client_capacity=0,
                            link_worker__max_match_attempts=3)
    charity = model.groups[0]
    assert charity.capacity == 0
    refer(model, 0, Need.MODERATE)
    model.step()
    pop = model.pop
    assert model.flows["new_referrals_result_declined"] == 3
    assert charity.n_clients == 0
    assert not pop.matched[0] and pop.provider[0] == -1
    assert pop.pathway[0] == Pathway.LINK_WORKER


def test_complex_client_beyond_scope_bounces_without_reescalation(tiny_model):
    model = tiny_model(n=4, link_worker__p_complex_beyond_scope=1.0,
                       link_worker__p_handback_meets_threshold=0.0)
    lw = model.link_workers[0]
    refer(model, 1, Need.COMPLEX)
    model.step()
    pop = model.pop
    assert pop.pathway[1] == Pathway.NONE
    assert pop.bounces[1] == 1
    assert model.flows["new_referrals_result_bounced"] == 1
    assert 1 not in lw.caseload and 1 not in lw.waiting
    assert model.rows[-1]["n_unmet_complex"] == 1


def test_reescalation_pathway_sends_complex_client_to_statutory_care(tiny_model):
    model = tiny_model(n=4, link_worker__p_complex_beyond_scope=1.0,
                       link_worker__reescalation_pathway=True,
                       link_worker__statutory_support_days=20)
    refer(model, 1, Need.COMPLEX)
    model.step()
    pop = model.pop
    assert pop.pathway[1] == Pathway.STATUTORY
    assert pop.until[1] == model.day + 20
    assert pop.bounces[1] == 0
    assert model.flows["new_reescalations"] == 1


def test_a_full_statutory_service_bounces_even_with_a_pathway(tiny_model):
    # 4 residents at 250 places per 1,000: one place; the second hand-back finds it full
    model = tiny_model(n=4, link_worker__p_complex_beyond_scope=1.0,
                       link_worker__reescalation_pathway=True,
                       link_worker__statutory_places_per_1000=250.0)
    refer(model, [1, 2], Need.COMPLEX)
    model.step()
    pop = model.pop
    assert pop.pathway[1] == Pathway.STATUTORY
    assert pop.pathway[2] == Pathway.NONE and pop.bounces[2] == 1
    assert model.flows["new_bounces_statutory_full"] == 1
    assert model.flows["new_referrals_result_bounced"] == 1


@pytest.mark.parametrize("meets", [0.0, 1.0])
def test_without_a_pathway_the_gp_rereferral_must_meet_the_threshold(tiny_model, meets):
    model = tiny_model(n=4, link_worker__p_complex_beyond_scope=1.0,
                       link_worker__p_handback_meets_threshold=meets)
    refer(model, 1, Need.COMPLEX)
    model.step()
    pop = model.pop
    assert model.flows["new_handbacks_via_gp"] == 1
    if meets:
        assert pop.pathway[1] == Pathway.STATUTORY and pop.bounces[1] == 0
    else:
        assert pop.pathway[1] == Pathway.NONE and pop.bounces[1] == 1
        assert model.flows["new_bounces_threshold_not_met"] == 1


@pytest.mark.parametrize("self_referred", [False, True])
def test_referred_clients_may_disengage_and_self_referrals_less_so(tiny_model, self_referred):
    model = tiny_model(n=4, link_worker__p_client_disengages=1.0,
                       link_worker__self_referral_disengagement_factor=0.0)
    give_need(model, 0, Need.MODERATE)
    model.pop.self_referred[0] = self_referred
    model.refer_to_link_worker(0, "self" if self_referred else "gp")
    model.step()
    if self_referred:
        assert model.pop.pathway[0] == Pathway.LINK_WORKER
    else:
        assert model.pop.pathway[0] == Pathway.NONE
        assert model.flows["new_referrals_disengaged"] == 1
        assert model.flows["new_referrals_disengaged_gp"] == 1


def disengaged_share(tiny_model, wait_days=0, warm=False, face=0.0, **values):
    """Share of 300 GP-referred moderate clients who disengage at triage."""
    model = tiny_model(n=300, link_worker__triage_per_day=1000, link_worker__assessment_hours=0.0,
                       link_worker__session_hours=0.0, link_worker__caseload_cap=1000,
                       topology__urban__lw_travel_hours_per_contact=0.0,
                       link_worker__travel_mph=1e6,
                       link_worker__p_face_to_face=face, link_worker__p_face_to_face_high_need=face,
                       **values)
    lw = model.link_workers[0]
    lw.co_located = warm
    refer(model, range(300), Need.MODERATE)
    model.pop.lw_referred_day[:] = model.day - wait_days
    model.step()
    return model.flows.get("new_referrals_disengaged_gp", 0) / 300


def test_disengagement_rises_with_waiting_and_falls_with_warm_handover_and_face_to_face(
        tiny_model):
    base = disengaged_share(tiny_model, link_worker__p_client_disengages=0.2)
    waited = disengaged_share(tiny_model, wait_days=56, link_worker__p_client_disengages=0.2)
    warm = disengaged_share(tiny_model, warm=True, link_worker__p_client_disengages=0.2)
    face = disengaged_share(tiny_model, face=1.0, link_worker__p_client_disengages=0.2)
    assert base == pytest.approx(0.3, abs=0.08)  # 0.2 x 1.5 by phone
    assert waited > base + 0.1  # eight weeks: +80 %
    assert warm < base - 0.08
    assert face < base - 0.05


def test_contacts_are_booked_by_mode_and_face_to_face_costs_travel(tiny_model):
    model = tiny_model(n=4, link_worker__p_face_to_face=1.0,
                       link_worker__p_face_to_face_high_need=1.0,
                       topology__urban__gp_distance_miles=3.0, link_worker__travel_mph=12.0,
                       topology__urban__lw_travel_hours_per_contact=0.0)
    lw = model.link_workers[0]
    assert lw.travel_hours == pytest.approx(0.5)  # 6 miles at 12 mph
    refer(model, 0, Need.MODERATE)
    model.step()  # assessment and first session, both face to face
    assert model.flows["new_lw_contacts_face_to_face"] == 2
    assert model.flows["new_lw_travel_hours"] == pytest.approx(1.0)
    assert model.flows["new_lw_hours"] == pytest.approx(3.0)
    assert model.flows["new_lw_hours_need_moderate"] == pytest.approx(3.0)


def test_complex_clients_cost_more_hours_and_sessions(tiny_model):
    model = tiny_model(n=4, link_worker__extra_sessions_complex=2,
                       link_worker__complex_session_hours_factor=2.0,
                       link_worker__p_face_to_face=0.0, link_worker__p_face_to_face_high_need=0.0)
    lw = model.link_workers[0]
    refer(model, 0, Need.MODERATE)
    refer(model, 1, Need.COMPLEX)
    model.step()
    p = model.cfg.link_worker
    assert lw.caseload[0][1] == p.bespoke_sessions - 1
    assert lw.caseload[1][1] == p.bespoke_sessions + 2 - 1
    assert model.flows["new_lw_hours_need_complex"] == pytest.approx(1.0 + 2.0)
    assert model.flows["new_lw_hours_need_moderate"] == pytest.approx(2.0)


def test_residents_of_a_practice_without_link_workers_cannot_be_referred(tiny_model):
    model = tiny_model(n=4, topology__urban__link_workers=0)
    assert model.link_workers == []
    give_need(model, 0, Need.MODERATE)
    assert not model.refer_to_link_worker(0, "gp")
    assert model.pop.pathway[0] == Pathway.NONE
    assert model.gp_practices[0].engagement(300) == 0.0


def test_link_worker_hours_are_counted(tiny_model):
    model = tiny_model(n=4, topology__urban__lw_travel_hours_per_contact=1.0,
                       link_worker__light_touch_hours=0.5, link_worker__p_face_to_face=1.0,
                       link_worker__p_face_to_face_high_need=1.0, link_worker__travel_mph=1e6)
    refer(model, [0, 1], Need.MODERATE)
    model.step()
    # client 0: assessment (1 h) and first session (1 h), each with an hour's travel; client
    # 1's assessment does not fit the day's 5.6 contact hours and waits for tomorrow
    lw = model.link_workers[0]
    assert model.flows["new_lw_hours"] == pytest.approx(2 * (1.0 + 1.0))
    assert lw.hours_total == pytest.approx(4.0) and [e[0] for e in lw.inbox] == [1]
    model.step()
    assert lw.hours_total == pytest.approx(8.0) and 1 in lw.caseload


def test_ending_a_post_leaves_no_client_holding_a_group_place_without_support(tiny_model):
    model = directory_world(tiny_model, link_worker__triage_per_day=10,
                            link_worker__hours_per_week=80.0)
    lw, charity = model.link_workers[0], model.groups[0]
    refer(model, [0, 1, 2], Need.MODERATE)
    model.step()
    assert model.pop.provider[0] == charity.index and charity.n_clients == 3
    model.withdraw_link_worker(lw)
    pop = model.pop
    assert model.link_workers == [] and lw not in model.gp_practices[0].link_workers
    assert not (pop.pathway[:3] == Pathway.LINK_WORKER).any()
    # a client either carries on with the group or gives the place back
    held = pop.provider[:3] >= 0
    assert (pop.pathway[:3][held] == Pathway.GROUP).all()
    assert charity.n_clients == int((pop.provider == charity.index).sum())


def hosted_world(tiny_model, host, **values):
    """A world with one listed charity, one unlisted community group and one unlisted group
    tied to the practice; the link worker hosted by ``host``."""
    model = tiny_model(n=6, topology__urban__formal_charities=1,
                       topology__urban__community_groups=2,
                       topology__urban__share_groups_off_radar=1.0,
                       gp__share_vcse_degree_0=1.0, gp__share_vcse_degree_1=0.0,
                       gp__share_vcse_degree_2=0.0, **values)
    lw = model.link_workers[0]
    lw.host, lw.co_located = host, host == "practice"
    gp = model.gp_practices[0]
    tied = [g for g in model.groups if g.kind is GroupKind.COMMUNITY_GROUP][0]
    gp.vcse_ties = [tied.index]
    lw.refresh_directory(model.groups)
    return model, lw, tied


def test_the_host_decides_which_groups_a_link_worker_knows(tiny_model):
    model, lw, tied = hosted_world(tiny_model, "practice")
    community = {g.index for g in model.groups if g.kind is GroupKind.COMMUNITY_GROUP}
    charity = {g.index for g in model.groups if g.kind is GroupKind.FORMAL_CHARITY}
    assert lw.directory == charity | {tied.index}  # listed plus the practice's tie
    model, lw, tied = hosted_world(tiny_model, "vcse")
    assert lw.directory == charity | community  # a VCSE host knows the unlisted groups


def test_an_isolated_link_worker_spends_hours_mapping(tiny_model):
    model, lw, _ = hosted_world(tiny_model, "practice",
                                link_worker__isolated_mapping_hours_per_week=5.0,
                                link_worker__mapping_hours_per_refresh=2.0)
    assert model.lio is None and lw.isolated()
    model.step()  # day 1, a Monday: a working day
    assert model.flows["new_lw_mapping_hours"] == pytest.approx(1.0)
    model.step()
    assert model.flows["new_lw_directory_remapped"] == 1
    model, lw, _ = hosted_world(tiny_model, "vcse")
    assert not lw.isolated()
    model.step()
    assert model.flows.get("new_lw_mapping_hours", 0) == 0

