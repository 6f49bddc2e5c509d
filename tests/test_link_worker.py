"""LinkWorker: triage, light-touch vs bespoke, caseload cap and waiting list, matching from a
directory that goes stale, declines, disengagement and hand-back to the GP."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from support import give_need

from sim import metrics
from sim.agents.organisations import GroupKind
from sim.metrics import FLOWS
from sim.processes import need
from sim.state import DOMAINS, Need, Pathway


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


@pytest.mark.parametrize("back", [0.0, 1.0])
def test_a_client_turned_away_is_referred_back_while_in_need(tiny_model, back):
    # the 'gap in the middle' (004:318, 004:412): the service that turned the client away
    # refers them back to social prescribing the next day (back=1) or never (back=0)
    model = tiny_model(n=4, link_worker__p_complex_beyond_scope=1.0,
                       link_worker__p_handback_meets_threshold=0.0,
                       link_worker__p_turned_away_referred_back_per_day=back,
                       help_seeking__p_seek_per_day=0.0, gp__p_raise_nonmedical=0.0,
                       help_seeking__p_statutory_referral_per_day=0.0)
    refer(model, 1, Need.COMPLEX)
    model.step()
    pop = model.pop
    assert pop.bounces[1] == 1 and pop.turned_away[1]
    model.step()  # referred back (back=1), handed back and turned away again
    assert model.flows.get("new_referrals_back_after_turned_away", 0) == int(back)
    assert model.flows.get("new_referrals_statutory", 0) == int(back)
    assert pop.lw_referrals[1] == 1 + int(back)
    assert pop.bounces[1] == 1 + int(back)
    pop.need[1] = Need.NONE  # the need ends: nothing more to refer back
    model.step()
    assert not pop.turned_away[1]
    assert model.flows.get("new_referrals_back_after_turned_away", 0) == 0


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



# -- need-destination fit (issue 11) --------------------------------------------------------
SOCIAL, EMOTIONAL, PRACTICAL, ACTIVITY = (DOMAINS.index(d) for d in DOMAINS)


def two_charity_world(tiny_model, **extra):
    """One link worker and two roomy charities on its directory: the first offers social
    support only, the second practical help only."""
    model = tiny_model(n=60, topology__urban__formal_charities=2,
                       groups__formal_charity__staff_client_capacity=1000,
                       groups__reserve_floor_months=0, **extra)
    social, practical = model.groups
    social.offers, practical.offers = 1 << SOCIAL, 1 << PRACTICAL
    return model, model.link_workers[0], social, practical


def match_all(model, lw, idx, domain):
    give_need(model, idx, Need.MODERATE)
    model.pop.need_domain[idx] = domain
    model.flows = {}
    for i in idx:
        assert lw.match(i)


def test_groups_offer_need_domains_drawn_from_their_own_stream(tiny_model):
    model = tiny_model(n=6, topology__urban__formal_charities=20,
                       groups__formal_charity__p_offers_social=0.0,
                       groups__formal_charity__p_offers_emotional=0.0,
                       groups__formal_charity__p_offers_practical=1.0,
                       groups__formal_charity__p_offers_activity=0.5)
    offers = [g.offers for g in model.groups]
    assert all(o & 1 << PRACTICAL and not o & (1 << SOCIAL | 1 << EMOTIONAL) for o in offers)
    assert 0 < sum(bool(o & 1 << ACTIVITY) for o in offers) < 20  # about half
    # a group that draws no domain offers its kind's likeliest one
    model = tiny_model(n=6, topology__urban__formal_charities=3,
                       groups__formal_charity__p_offers_social=0.0,
                       groups__formal_charity__p_offers_emotional=1e-9,
                       groups__formal_charity__p_offers_practical=0.0,
                       groups__formal_charity__p_offers_activity=0.0)
    assert [g.offers for g in model.groups] == [1 << EMOTIONAL] * 3


def test_residents_needs_get_domains_in_the_configured_shares(tiny_model):
    model = tiny_model(n=4000, need__p_onset_per_day=1.0,
                       need__share_need_social=0.5, need__share_need_emotional=0.0,
                       need__share_need_practical=0.5)
    model.step()
    domain = model.pop.need_domain[model.pop.need > 0]
    assert domain.size > 3000
    assert not np.isin(domain, [EMOTIONAL, ACTIVITY]).any()
    assert np.mean(domain == PRACTICAL) == pytest.approx(0.5, abs=0.05)


def test_link_worker_places_clients_where_their_need_fits_first(tiny_model):
    model, lw, social, practical = two_charity_world(tiny_model)
    assert lw.directory == {social.index, practical.index}
    match_all(model, lw, range(20), PRACTICAL)
    assert (model.pop.provider[:20] == practical.index).all()
    assert model.flows["new_lw_matches_fit"] == 20 and "new_lw_matches_poor_fit" not in model.flows
    assert not model.pop.poor_fit[:20].any()
    # without the preference, any destination it knows: the larger share goes by size alone
    model, lw, social, practical = two_charity_world(tiny_model, link_worker__fit_matching=False)
    match_all(model, lw, range(20), PRACTICAL)
    assert 0 < (model.pop.provider[:20] == social.index).sum() < 20
    assert model.flows["new_lw_matches_poor_fit"] == model.pop.poor_fit[:20].sum() > 0


def test_a_full_fitting_destination_sends_the_client_to_a_poor_fit(tiny_model):
    model, lw, social, practical = two_charity_world(tiny_model)
    practical.params = dataclasses.replace(practical.params, staff_client_capacity=0)
    practical.volunteer_hours = 0.0
    model.capacity_epoch += 1  # parameters edited directly: drop cached capacities
    assert not practical.has_room()
    match_all(model, lw, [0], PRACTICAL)
    assert model.pop.provider[0] == social.index and model.pop.poor_fit[0]
    assert model.flows["new_referrals_result_declined"] == 1
    assert model.flows["new_lw_matches_poor_fit"] == 1


def test_a_directory_without_fitting_destinations_lowers_the_share_that_fit(tiny_model):
    """The fitting (practical) destination is an unlisted community group: a VCSE-hosted
    link worker knows it, a practice-hosted one does not (002:19, 002:290-292)."""
    shares = {}
    for host in ("vcse", "practice"):
        model = tiny_model(n=60, topology__urban__formal_charities=1,
                           topology__urban__community_groups=1,
                           topology__urban__share_groups_off_radar=1.0,
                           groups__formal_charity__staff_client_capacity=1000,
                           groups__community_group__staff_client_capacity=1000,
                           groups__reserve_floor_months=0,
                           gp__share_vcse_degree_0=1.0, gp__share_vcse_degree_1=0.0,
                           gp__share_vcse_degree_2=0.0)
        charity, group = model.groups
        charity.offers, group.offers = 1 << SOCIAL, 1 << PRACTICAL
        lw = model.link_workers[0]
        lw.host = host
        lw.refresh_directory(model.groups)
        match_all(model, lw, range(30), PRACTICAL)
        shares[host] = model.flows.get("new_lw_matches_fit", 0) / 30
    assert shares == {"vcse": 1.0, "practice": 0.0}


def test_a_poor_fit_resolves_the_need_less_often(tiny_model):
    model = tiny_model(n=2000, need__p_resolve_on_completion=0.8,
                       need__poor_fit_resolution_factor=0.25)
    idx = np.arange(2000)
    give_need(model, idx, Need.MODERATE)
    model.pop.poor_fit[1000:] = True
    need.complete_support(model, idx)
    resolved = model.pop.need == Need.NONE
    assert resolved[:1000].mean() == pytest.approx(0.8, abs=0.04)
    assert resolved[1000:].mean() == pytest.approx(0.2, abs=0.04)
    assert not model.pop.poor_fit.any()  # the placement is over


def test_fit_is_summarised_as_the_share_of_placements_that_fit(tiny_model):
    model, lw, social, practical = two_charity_world(tiny_model)
    match_all(model, lw, range(3), PRACTICAL)
    fit_flows = dict(model.flows)
    match_all(model, lw, range(3, 4), EMOTIONAL)  # neither offers it: a poor fit
    assert fit_flows["new_lw_matches_fit"] == 3 and model.flows["new_lw_matches_poor_fit"] == 1
    ts = pd.DataFrame([{**{f: 0 for f in FLOWS}, "new_lw_matches_fit": 3,
                        "new_lw_matches_poor_fit": 1}])
    assert metrics.frac_lw_matches_fit(ts) == pytest.approx(0.75)


# -- untriaged intake (SF26) ------------------------------------------------------------------
def test_untriaged_intake_has_no_light_touch_and_decides_at_the_first_session(tiny_model):
    model = tiny_model(n=6, link_worker__triage=False, link_worker__caseload_cap=1,
                       link_worker__p_client_disengages=0.0)
    lw = model.link_workers[0]
    refer(model, 0, Need.LOW)
    refer(model, 1, Need.LOW)
    model.step()
    assert not lw.light and not lw.inbox  # no assessment, no light touch
    assert list(lw.caseload) == [0] and [e[0] for e in lw.waiting] == [1]  # first come
    assert model.flows["new_lw_decisions"] == 1  # referred yesterday: decided after a day
    assert model.flows["sum_lw_days_to_decision"] == 1
    assert model.flows["new_lw_hours_need_low"] == pytest.approx(2.0)  # assessment + session
    # the triaged service decides on both at once: light touch for low need
    model = tiny_model(n=6, link_worker__caseload_cap=1, link_worker__p_client_disengages=0.0)
    refer(model, 0, Need.LOW)
    refer(model, 1, Need.LOW)
    model.step()
    assert set(model.link_workers[0].light) == {0, 1}
    assert model.flows["new_lw_decisions"] == 2


def test_untriaged_complex_case_holds_a_place_until_found_beyond_scope(tiny_model):
    model = tiny_model(n=6, link_worker__triage=False, link_worker__caseload_cap=1,
                       link_worker__p_complex_beyond_scope=1.0,
                       link_worker__p_client_disengages=0.0, link_worker__bespoke_sessions=2,
                       link_worker__extra_sessions_complex=0)
    lw = model.link_workers[0]
    refer(model, 0, Need.MODERATE)
    refer(model, 1, Need.COMPLEX)
    model.step()
    assert list(lw.caseload) == [0] and [e[0] for e in lw.waiting] == [1]
    assert model.pop.pathway[1] == Pathway.WAITING  # not handed back at intake
    while model.pop.pathway[1] == Pathway.WAITING:
        model.step()
    assert model.flows["new_handbacks_via_gp"] == 1  # handed back at its first session
    assert model.flows["sum_lw_days_to_decision"] > 20  # after client 0's support
    # triaged: handed back the day it is assessed
    model = tiny_model(n=6, link_worker__caseload_cap=1, link_worker__p_complex_beyond_scope=1.0,
                       link_worker__p_client_disengages=0.0)
    refer(model, 0, Need.MODERATE)
    refer(model, 1, Need.COMPLEX)
    model.step()
    assert model.flows["new_handbacks_via_gp"] == 1
    assert model.flows["sum_lw_days_to_decision"] == 2  # both decided after a day
