"""GPPractice (engagement ramp, referrals, signposting to tied groups), LocalityOfficer (tie
building, directory), ParishCouncil (buddy schemes, no tie to health) and PlaceHub."""

from __future__ import annotations

import numpy as np
import pytest
from support import give_need

import sim
from sim import metrics
from sim.agents.intermediaries import LocalityOfficer, ParishCouncil, PlaceHub
from sim.agents.organisations import GroupKind
from sim.model import CommunityModel
from sim.state import Need, Pathway, VolunteerState

V = VolunteerState


def test_engagement_is_learnt_from_feedback_and_lost_with_lost_referrals(tiny_model):
    model = tiny_model(n=40, columns={"gp_practice": ["A", "B", "C", "D"] * 10},
                       topology__urban__link_workers=4, gp__engagement_start=0.01,
                       gp__engagement_max_lo=0.04, gp__engagement_max_hi=0.14,
                       gp__p_feedback_remote=1.0, gp__p_feedback_co_located=1.0,
                       gp__engagement_gain_per_feedback=0.2,
                       gp__engagement_loss_per_lost_referral=0.5)
    practices = model.gp_practices
    assert len(practices) == 4
    for gp in practices:
        assert 0.04 <= gp.engagement_max <= 0.14
        assert gp.engagement() == gp.engagement_max  # an established service at build
        gp.start_service()  # as if new: starts low
        assert gp.engagement() == pytest.approx(0.01)
        levels = [gp.engagement()]
        for _ in range(30):
            gp.hear_of_client(helped=True)
            levels.append(gp.engagement())
        assert all(a < b for a, b in zip(levels, levels[1:], strict=False))
        assert levels[-1] == pytest.approx(gp.engagement_max, rel=0.01)
        gp.hear_of_client(helped=False)  # half the way back to the start
        assert gp.engagement() == pytest.approx((levels[-1] + 0.01) / 2)
    assert len({gp.engagement_max for gp in practices}) == 4  # uneven across practices


def test_a_co_located_link_worker_feeds_back_more_often(tiny_model):
    heard = {}
    for co_located in (False, True):
        model = tiny_model(n=4, gp__p_feedback_remote=0.2, gp__p_feedback_co_located=0.9)
        gp = model.gp_practices[0]
        for lw in gp.link_workers:
            lw.co_located = co_located
        for _ in range(400):
            gp.hear_of_client(helped=True)
        heard[co_located] = model.flows["new_gp_feedback_helped"]
    assert heard[False] == pytest.approx(80, abs=30) and heard[True] == pytest.approx(360, abs=30)


def test_gp_referral_outcomes_reach_the_referring_practice(tiny_model):
    model = tiny_model(n=4, link_worker__p_client_disengages=1.0,
                       link_worker__self_referral_disengagement_factor=0.0)
    gp = model.gp_practices[0]
    gp.engagement_level = 0.5
    give_need(model, 0, Need.MODERATE)
    model.refer_to_link_worker(0, "gp")
    model.step()
    assert model.flows["new_gp_referrals_lost"] == 1 and gp.engagement() < 0.5


def test_every_resident_is_registered_with_a_practice_from_the_table(tiny_model):
    model = tiny_model(n=6, columns={"gp_practice": ["X", "Y", "X", "Y", "Y", "X"]},
                       topology__urban__link_workers=1)
    gp = model.pop.gp
    assert len(model.gp_practices) == 2
    assert gp[0] == gp[2] == gp[5] != gp[1] == gp[3] == gp[4]
    # both practices share the unit's one link worker
    assert all(p.link_workers == model.link_workers for p in model.gp_practices)


def engaged(tiny_model, **extra):
    """A fully engaged practice: every raised non-medical need is referred."""
    return tiny_model(n=6, gp__engagement_start=1.0, gp__engagement_max_lo=1.0,
                      gp__engagement_max_hi=1.0, **extra)


def test_engaged_practice_refers_a_raised_need_to_its_link_worker(tiny_model):
    model = engaged(tiny_model)
    gp, lw = model.gp_practices[0], model.link_workers[0]
    give_need(model, 2, Need.MODERATE)
    gp.consult_nonmedical(2)
    assert model.pop.pathway[2] == Pathway.WAITING
    assert list(lw.inbox) == [(2, "gp", 1)]  # resident, source, referral number
    assert model.pop.lw_referrals[2] == 1
    assert model.flows["new_referrals_gp"] == 1
    gp.consult_nonmedical(2)  # already referred: no second referral
    assert len(lw.inbox) == 1 and gp.n_nonmedical == 2


def test_routine_consultations_feed_referrals(tiny_model):
    model = engaged(tiny_model, gp__consults_per_year=365.0, gp__mult_consults_with_need=1.0,
                    gp__p_raise_nonmedical=1.0, topology__urban__gp_distance_miles=0.0)
    assert model.mean_gp_access == 1.0  # on the doorstep: nobody is put off by distance
    give_need(model, [1, 4], Need.LOW)
    model.step()
    assert model.rows[-1]["new_referrals_gp"] == 2
    assert model.rows[-1]["new_gp_consultations_nonmedical"] == 2
    assert model.rows[-1]["new_gp_consultations"] == 6  # everyone consults at rate 1/day
    assert (model.pop.pathway[[1, 4]] == Pathway.LINK_WORKER).all()  # triaged the same day


def test_unengaged_practice_signposts_to_a_tied_group(tiny_model):
    model = tiny_model(n=6, topology__urban__formal_charities=1, gp__engagement_start=0.0,
                       gp__engagement_max_lo=0.0, gp__engagement_max_hi=0.0,
                       gp__share_vcse_degree_0=0.0, gp__share_vcse_degree_1=1.0,
                       gp__share_vcse_degree_2=0.0, gp__p_signpost_tied_group=1.0)
    gp, charity = model.gp_practices[0], model.groups[0]
    assert gp.vcse_ties == [charity.index] and gp.initial_vcse_degree == 1
    assert model.count_health_vcse_ties() >= 1
    give_need(model, 0, Need.LOW)
    gp.consult_nonmedical(0)
    assert model.pop.pathway[0] == Pathway.GROUP
    assert model.pop.provider[0] == charity.index
    assert model.flows["new_health_to_vcse_referrals"] == 1
    assert not model.link_workers[0].inbox


@pytest.mark.parametrize("renewal_days", [1.0, 0.0])
def test_a_practice_replaces_a_tie_lost_when_its_group_closed(tiny_model, renewal_days):
    model = tiny_model(n=6, topology__urban__formal_charities=2,
                       gp__share_vcse_degree_0=0.0, gp__share_vcse_degree_1=1.0,
                       gp__share_vcse_degree_2=0.0, gp__vcse_tie_renewal_days=renewal_days)
    gp = model.gp_practices[0]
    (tied,) = gp.vcse_ties
    other = next(g for g in model.groups[:2] if g.index != tied)
    model.organisations[tied].close("churn")
    assert gp.vcse_ties == [] and gp.initial_vcse_degree == 1
    model.step()
    if renewal_days:  # replaced the next day (mean 1 day), with the open charity
        assert gp.vcse_ties == [other.index]
        assert model.rows[-1]["new_gp_vcse_ties_renewed"] == 1
    else:  # 0: never replaced
        assert gp.vcse_ties == [] and model.rows[-1]["new_gp_vcse_ties_renewed"] == 0
    model.step()
    assert len(gp.vcse_ties) <= 1  # never more than its own degree


def test_a_practice_short_of_hours_keeps_the_ties_first_drawn_not_the_first_listed(tiny_model):
    """Hours for one of three drawn ties: the practice keeps whichever was drawn first, so
    over seeds it is not always the first group in its list of options."""
    kept = set()
    for seed in range(8):
        model = tiny_model(n=8, topology__urban__community_groups=3,
                           topology__urban__formal_charities=0, gp__share_vcse_degree_0=0.0,
                           gp__share_vcse_degree_1=0.0, gp__share_vcse_degree_2=0.0,
                           gp__partnership_hours_lo=1.0, gp__partnership_hours_hi=1.0,
                           gp__tie_upkeep_hours_per_week=1.0, run__seed=seed)
        gp = model.gp_practices[0]
        options = [g.index for g in model._gp_tie_options(gp)]
        assert len(options) >= 3 and len(gp.vcse_ties) == 1
        kept.add(options.index(gp.vcse_ties[0]))
    assert len(kept) > 1


def test_renewing_a_tie_draws_the_same_numbers_with_or_without_hours(tiny_model):
    """Common random numbers: every practice draws its numbers every day, whether it is
    short of ties or not and whether or not it has the hours, so over three days in which one
    arm's practice renews its tie (and then no longer needs one) and the other's cannot, both
    leave the tie stream in the same state."""
    states, ties = [], []
    for hours in (2.0, 0.0):
        model = tiny_model(n=6, topology__urban__formal_charities=2,
                           gp__share_vcse_degree_0=0.0, gp__share_vcse_degree_1=1.0,
                           gp__share_vcse_degree_2=0.0, gp__vcse_tie_renewal_days=1.0)
        gp = model.gp_practices[0]
        model.organisations[gp.vcse_ties[0]].close("churn")
        gp.partnership_hours = hours
        for _ in range(3):
            model._renew_gp_ties()
        states.append(model.streams.gp_ties.bit_generator.state)
        ties.append(len(gp.vcse_ties))
    assert ties == [1, 0]
    assert states[0] == states[1]


def test_the_reported_degree_is_the_live_one_after_the_burn_in(tiny_world):
    cfg = tiny_world(n=6, topology__urban__formal_charities=2, gp__share_vcse_degree_0=0.0,
                     gp__share_vcse_degree_1=1.0, gp__share_vcse_degree_2=0.0,
                     gp__vcse_tie_renewal_days=0.0, run__days=2)
    model = CommunityModel(cfg, start=False)  # as after a burn-in in which its group closed
    gp = model.gp_practices[0]
    model.organisations[gp.vcse_ties[0]].close("churn")
    model.start_output()
    while model.running:
        model.step()
    s = metrics.summary(model, model.timeseries())
    assert gp.initial_vcse_degree == 1  # what it was built with is not what is reported
    assert s["frac_gp_vcse_degree_1"] == 0.0 and s["mean_gp_vcse_degree_at_start"] == 0.0


def officer_world(tiny_model, **extra):
    """An urban unit with a locality officer, two off-radar community groups."""
    return tiny_model(n=8, topology__urban__locality_officer=True,
                      topology__urban__community_groups=2,
                      topology__urban__share_groups_off_radar=1.0,
                      intermediaries__lo_hours_per_week=14.0,
                      intermediaries__lo_hours_per_tie_attempt=2.0,
                      intermediaries__p_lo_tie_success=1.0,
                      gp__share_vcse_degree_0=1.0, gp__share_vcse_degree_1=0.0,
                      gp__share_vcse_degree_2=0.0,
                      # an officer new in post: its ties are built by the step under test
                      intermediaries__lo_ties_at_start=False, **extra)


def test_locality_officer_brings_groups_onto_the_directory_then_ties_the_practice(tiny_model):
    model = officer_world(tiny_model)
    lw, gp = model.link_workers[0], model.gp_practices[0]
    officer = next(h for h in model.intermediaries if isinstance(h, LocalityOfficer))
    assert model.lio is None and lw.directory == set() and gp.vcse_ties == []
    ties_before = model.count_health_vcse_ties()
    model.step()
    model.step()
    assert all(g.on_directory for g in model.groups)
    assert lw.directory == {g.index for g in model.groups}
    assert model.rows[-1]["new_groups_brought_on_directory"] == 1
    assert model.count_health_vcse_ties() == ties_before + 2
    model.step()  # nothing left to bring on: the officer ties the practice to a group
    assert len(gp.vcse_ties) == 1
    assert officer.has_health_tie()


def test_locality_officer_hours_spent_signposting_delay_partnership_work(tiny_model):
    model = officer_world(tiny_model, intermediaries__lo_hours_per_signpost=0.5)
    officer = next(h for h in model.intermediaries if isinstance(h, LocalityOfficer))
    give_need(model, [0, 1], Need.LOW)
    model.flows = {}
    officer.begin_day()  # two hours today
    assert officer.signpost(0) and officer.signpost(1)
    officer.step()  # one hour left for partnership work: not yet an attempt (two hours)
    assert model.flows["new_lo_hours_signposting"] == pytest.approx(1.0)
    assert model.flows["new_lo_hours_partnerships"] == pytest.approx(1.0)
    assert "new_groups_brought_on_directory" not in model.flows
    officer.begin_day()
    officer.step()
    assert model.flows["new_groups_brought_on_directory"] == 1


def test_locality_officer_signposts_up_to_daily_capacity(tiny_model):
    model = officer_world(tiny_model, intermediaries__lo_signposts_per_day=2,
                          help_seeking__p_signposted_to_lw=1.0)
    officer = next(h for h in model.intermediaries if isinstance(h, LocalityOfficer))
    give_need(model, [0, 1, 2], Need.LOW)
    officer.begin_day()
    assert [officer.signpost(i) for i in range(3)] == [True, True, False]
    assert model.pop.pathway[:3].tolist() == [Pathway.WAITING] * 2 + [Pathway.NONE]
    assert model.flows["new_referrals_signposting"] == 2
    assert model.flows["new_signposted_locality_officer"] == 2


def parish(tiny_model, n=12, household=None, **extra):
    """A rural parish with its parish council and informal network of volunteers (each
    resident a household of their own unless ``household`` labels them)."""
    columns = {"rural": [True] * n, "limitation": [2] * 3 + [0] * (n - 3)}
    if household is not None:
        columns["household"] = household
    return tiny_model(n=n, columns=columns, volunteers__latent_share=1.0,
                      topology__rural_unit__parish_council=True,
                      topology__rural_unit__informal_network=True,
                      groups__mutual_aid__initial_volunteers=4, **extra)


def test_parish_council_buddy_scheme_pairs_two_volunteers_per_household(tiny_model):
    """In an emergency the key people leaflet the village; the day households reply, those who
    come forward form its network, and each self-identified vulnerable household gets two
    buddies with the hours for it (000:86)."""
    model = parish(tiny_model, intermediaries__buddies_per_household=2,
                   intermediaries__pc_leaflet_share=1.0, intermediaries__pc_reply_mean_days=1.0,
                   events=[{"day": 0, "kind": "emergency", "params": {"need_multiplier": 1.0}}])
    pc = next(h for h in model.intermediaries if isinstance(h, ParishCouncil))
    pop = model.pop
    assert pop.rural.all() and pc.unit == 0
    assert not (pop.vstate == V.ACTIVE).any()  # no village network in normal times
    give_need(model, [0, 1, 2], Need.MODERATE)  # three vulnerable (limited a lot) residents
    pop.vhours_offer[3:7] = 1.0  # four residents can give one hour a week, the rest none
    pop.vhours_offer[7:] = 0.0
    pop.vhours_offer[:3] = 0.0
    model.step()  # the leaflet round: every household, nobody has replied yet
    assert (pc._reply_day == model.day + 1).all()
    assert pc.network is None and pc.n_buddied == 0
    model.step()  # every household replies
    active = pop.vstate == V.ACTIVE
    assert pc.network is not None and active[3:7].all()
    assert (pop.vorg[active] == pc.network.index).all()
    buddied = np.flatnonzero(pop.pathway[:3] == Pathway.INFORMAL)
    assert buddied.size == 2  # four volunteers with the hours, two per household
    assert pc.n_buddied == 2 and model.rows[-1]["new_buddied"] == 2
    assert (pop.vlast_task[3:7] == model.day).all()
    assert (pop.vhours_used[3:7] == 1.0).all() and (pop.vhours_used[7:] == 0).all()


@pytest.mark.parametrize("key_people", [1, 2])
def test_parish_council_leaflet_round_takes_longer_with_fewer_key_people(tiny_model,
                                                                         key_people):
    """Each key person leaflets ``pc_households_leafleted_per_day`` households a day, whole
    households at a time; a household replies on one day."""
    household = [h for h in range(6) for _ in range(2)]  # six households of two
    model = parish(tiny_model, household=household,
                   intermediaries__pc_key_individuals=key_people,
                   intermediaries__p_pc_key_individual_lost_per_year=0.0,
                   intermediaries__pc_households_leafleted_per_day=1.5,
                   intermediaries__pc_reply_mean_days=3.0,
                   events=[{"day": 0, "kind": "emergency", "params": {"need_multiplier": 1.0}}])
    pc = next(h for h in model.intermediaries if isinstance(h, ParishCouncil))
    covered = []
    for _ in range(4):
        model.step()
        covered.append(int((pc._reply_day >= 0).sum()))
    # 1.5 households a day each: one key person leaflets 1, 2, 1, 2 households (the half
    # carries over), two leaflet 3 a day and are done on the second day
    per_day = [1, 2, 1, 2] if key_people == 1 else [3, 3, 0, 0]
    assert covered == (2 * np.cumsum(per_day)).tolist()
    leafleted = pc._reply_day >= 0
    pairs = pc._reply_day[leafleted].reshape(-1, 2)
    assert (pairs[:, 0] == pairs[:, 1]).all()  # a household replies together
    assert (pc._reply_day[leafleted] > 0).all()  # never on the day of its leaflet


def test_parish_council_buddies_only_self_identified_residents_as_time_allows(tiny_model):
    """The key people match only vulnerable residents whose household has replied, and no
    more a day than ``pc_matches_per_day`` each allows (the response rests on few people)."""
    model = parish(tiny_model, intermediaries__pc_leaflet_share=1.0,
                   intermediaries__pc_key_individuals=2,
                   intermediaries__p_pc_key_individual_lost_per_year=0.0,
                   intermediaries__pc_matches_per_day=0.25,  # two people: one match every 2 days
                   intermediaries__pc_reply_mean_days=1.0,
                   events=[{"day": 0, "kind": "emergency", "params": {"need_multiplier": 1.0}}])
    pc = next(h for h in model.intermediaries if isinstance(h, ParishCouncil))
    pop = model.pop
    give_need(model, [0, 1, 2], Need.MODERATE)
    pop.vhours_offer[:] = 0.0
    pop.vhours_offer[3:] = 5.0
    model.step()
    pc._reply_day[2] = 10**6  # resident 2's household has not replied
    buddied = []
    for _ in range(6):
        model.step()
        buddied.append(pc.n_buddied)
    assert buddied == [1, 1, 2, 2, 2, 2]  # half a match a day (carried); resident 2 never
    assert pop.pathway[2] == Pathway.NONE and (pop.pathway[:2] == Pathway.INFORMAL).all()


def test_parish_council_has_no_tie_to_health_by_default(tiny_model):
    # nobody sent on to the GP either (its own tests below): only the council's own acts
    model = parish(tiny_model, help_seeking__p_signposted_to_lw=1.0,
                   intermediaries__buddies_per_household=2,
                   intermediaries__p_unplaced_sent_to_gp=0.0)
    pc = next(h for h in model.intermediaries if isinstance(h, ParishCouncil))
    assert not pc.has_health_tie() and not pc.reaches_place_groups
    give_need(model, 5, Need.LOW)
    pc.begin_day()
    assert pc.signpost(5)
    assert model.pop.lw_referrals[5] == 0  # never referred on to a link worker (000:87)
    assert model.pop.pathway[5] == Pathway.NONE  # no formal provision in the village (000:79)
    model.cfg.intermediaries.pc_ties_to_health = True
    give_need(model, 6, Need.LOW)
    assert pc.signpost(6) and model.pop.pathway[6] == Pathway.WAITING


def engaged_parish(tiny_model, engagement=1.0, **extra):
    """A parish whose practice refers a raised non-medical need to its link worker with
    chance ``engagement``, on the doorstep unless a test sets the practice's access."""
    model = parish(tiny_model, gp__engagement_start=engagement,
                   gp__engagement_max_lo=engagement, gp__engagement_max_hi=engagement, **extra)
    model.gp_access[:] = 1.0
    pc = next(h for h in model.intermediaries if isinstance(h, ParishCouncil))
    return model, pc


@pytest.mark.parametrize("p_sent", [1.0, 0.0])
def test_a_council_sends_on_to_the_gp_a_resident_it_cannot_place(tiny_model, p_sent):
    """A council with no tie to health and no village group to offer tells the resident to
    take the need to their GP (000:121; the village's one route to health, 000:87). The
    resident goes from the next day (here on the doorstep, so that day) and it is the
    practice's consultation, which here refers them to its link worker. With
    ``p_unplaced_sent_to_gp=0`` nobody is sent on."""
    model, pc = engaged_parish(tiny_model, intermediaries__p_unplaced_sent_to_gp=p_sent,
                               help_seeking__p_seek_per_day=0.0)
    sent = int(p_sent == 1.0)
    assert not pc.groups_in_reach(0)  # nothing local to offer
    give_need(model, 5, Need.LOW)
    pc.begin_day()
    assert pc.signpost(5)
    assert model.flows.get("new_sent_on_to_gp", 0) == sent
    assert model.gp_advised == ({5} if sent else set())
    assert model.pop.pathway[5] == Pathway.NONE  # not today: the council refers no one
    model.step()
    practice = model.gp_practices[model.pop.gp[5]]
    row = model.rows[-1]
    assert row["new_gp_visits_advised"] == sent and practice.n_nonmedical >= sent
    assert row["new_referrals_gp"] >= sent and row["new_referrals_signposting"] == 0
    assert (model.pop.pathway[5] != Pathway.NONE) == bool(sent) and not model.gp_advised


def test_a_resident_sent_on_goes_to_the_gp_as_far_as_they_reach_the_practice(tiny_model):
    """Told to see their GP, a resident still has to get to the practice: each day they go
    with the practice's access (a quarter here, as at 8 miles), the distance that also weighs
    the GP as a channel, until they go; advice lapses when the need ends."""
    model, pc = engaged_parish(tiny_model, engagement=0.0, help_seeking__p_seek_per_day=0.0,
                               gp__p_raise_nonmedical=0.0, need__p_self_resolve_low_per_day=0.0,
                               need__p_escalate_low_per_day=0.0)
    model.gp_access[:] = 0.25
    advised = np.arange(3, 12)
    give_need(model, advised, Need.LOW)
    model.gp_advised.update(advised.tolist())
    still, went = [], 0
    for _ in range(8):
        model.step()
        went += model.rows[-1]["new_gp_visits_advised"]
        still.append(len(model.gp_advised))
    assert went + still[-1] == advised.size  # each goes once at most
    # expected still waiting after d days: 9 * 0.75 ** d (6.75, 5.06, ... 0.90)
    assert still[0] >= 3 and still[-1] <= 5 and still == sorted(still, reverse=True)
    model.pop.need[list(model.gp_advised)] = Need.NONE
    model.step()
    assert not model.gp_advised and model.rows[-1]["new_gp_visits_advised"] == 0


def test_a_resident_a_village_group_declines_is_sent_on(tiny_model):
    """The group had room but declined (a complex need, no inclusion capacity): the resident
    is advised to see their GP, as when there is no group."""
    model, pc = engaged_parish(tiny_model, topology__rural_unit__community_groups=1,
                               groups__p_accept_complex_without_inclusion=0.0)
    assert [g.kind for g in pc.groups_in_reach(0)] == [GroupKind.COMMUNITY_GROUP]
    give_need(model, 6, Need.COMPLEX)
    pc.begin_day()
    assert pc.signpost(6) and model.pop.pathway[6] == Pathway.NONE
    assert model.flows["new_group_referrals"] == 1 and model.gp_advised == {6}


def test_advice_is_given_once_and_lapses_when_help_starts_or_the_gp_is_seen(tiny_model):
    """A resident already advised, or waiting for a link worker, is not advised (or counted)
    again; advice lapses with no visit when other help starts, and is spent when the resident
    raises the need with the GP by any route (so a visit is not counted twice)."""
    model, pc = engaged_parish(tiny_model, engagement=0.0, help_seeking__p_seek_per_day=0.0,
                               gp__p_raise_nonmedical=0.0)
    give_need(model, [4, 5, 6], Need.LOW)
    pc.begin_day()
    assert pc.signpost(5) and pc.signpost(5)
    assert model.gp_advised == {5} and model.flows["new_sent_on_to_gp"] == 1
    model.pop.pathway[6] = Pathway.WAITING
    assert pc.signpost(6) and model.gp_advised == {5}
    model.gp_advised.update([4, 6])
    model.pop.pathway[6] = Pathway.GROUP  # help under way: the advice lapses
    model.gp_practices[model.pop.gp[4]].consult_nonmedical(4)  # seen by another route
    assert model.gp_advised == {5, 6}
    model.gp_access[:] = 0.0  # nobody reaches the practice today
    model.step()
    assert model.gp_advised == {5} and model.rows[-1]["new_gp_visits_advised"] == 0


def test_a_council_tied_to_health_or_that_places_the_resident_sends_no_one_on(tiny_model):
    """Only what a council without a tie to health cannot place goes on to the GP: one tied
    to health passes residents to the link worker itself (``p_signposted_to_lw``), and a
    resident a village group takes on is helped there."""
    model, pc = engaged_parish(tiny_model, help_seeking__p_signposted_to_lw=0.0)
    model.cfg.intermediaries.pc_ties_to_health = True
    give_need(model, 5, Need.LOW)
    pc.begin_day()
    assert pc.signpost(5)
    assert "new_sent_on_to_gp" not in model.flows
    model, pc = engaged_parish(tiny_model, topology__rural_unit__community_groups=1)
    assert [g.kind for g in pc.groups_in_reach(0)] == [GroupKind.COMMUNITY_GROUP]
    give_need(model, 6, Need.LOW)
    pc.begin_day()
    assert pc.signpost(6) and model.pop.pathway[6] == Pathway.GROUP
    assert "new_sent_on_to_gp" not in model.flows


def test_parish_council_without_key_people_does_nothing(tiny_model):
    model = parish(tiny_model, intermediaries__pc_key_individuals=0)
    pc = next(h for h in model.intermediaries if isinstance(h, ParishCouncil))
    give_need(model, [0, 1, 2], Need.MODERATE)
    for _ in range(7):
        model.step()
    assert pc.daily_capacity() == 0 and pc.n_buddied == 0
    assert not (model.pop.pathway == Pathway.INFORMAL).any()
    assert model.unit_has_intermediary[0] == 0.0


@pytest.mark.parametrize("capacity", [0, 2])
def test_place_hub_front_door(tiny_model, capacity):
    model = tiny_model(n=6, intermediaries__hub_signposts_per_day=capacity,
                       help_seeking__p_signposted_to_lw=1.0)
    hub = next(h for h in model.intermediaries if isinstance(h, PlaceHub))
    assert hub.unit == -1 and hub.has_health_tie()
    model.step()
    assert model.unit_has_intermediary[0] == float(capacity > 0)
    give_need(model, [0, 1, 2], Need.LOW)
    hub.begin_day()
    done = [hub.signpost(i) for i in range(3)]
    assert done == [True] * capacity + [False] * (3 - capacity)
    assert model.pop.lw_referrals[:3].sum() == capacity


def test_officers_broker_ties_with_each_units_main_practice_only():
    """On the county (place-table build, several practices per area) an officer in post ties
    its units' groups to the practice registering most of each unit's residents, within that
    practice's partnership hours, never to mutual aid (at build or later)."""
    cfg = sim.compose(["topology=county", "topology.n_residents=20000", "run.burn_in_days=0",
                       "gp.share_vcse_degree_0=1", "gp.share_vcse_degree_1=0",
                       "gp.share_vcse_degree_2=0", "run.resident_agents=false"])
    model = CommunityModel(cfg, start=False)
    officers = [h for h in model.intermediaries if isinstance(h, LocalityOfficer)]
    assert officers
    units = sorted(set().union(*(h.served_units for h in officers)))
    mains = {model.main_practice(u).index for u in units}
    for u in units:  # the main practice registers at least as many of the unit's residents
        registered = np.bincount(model.pop.gp[model.pop.unit == u],
                                 minlength=len(model.gp_practices))
        assert registered[model.main_practice(u).index] == max(
            registered[gp.index] for gp in model.practices_in(u))
    tied = [gp for gp in model.gp_practices if gp.vcse_ties]
    assert tied and {gp.index for gp in tied} <= mains
    assert len(model.practices_in(units[0])) > 1  # so "main" is a real choice here
    for gp in tied:
        assert gp.partnership_load() <= gp.partnership_hours + 1e-9
        assert all(model.organisations[k].kind is not GroupKind.MUTUAL_AID
                   for k in gp.vcse_ties)
    model.burn_in(60)
    for h in officers:
        _, pairs = h._tie_work()
        assert all(g.kind is not GroupKind.MUTUAL_AID and gp.index in mains
                   for gp, g in pairs)


def kept_ties_world(tiny_model, officer=True, **extra):
    """An urban unit with four community groups on the directory and one practice whose
    partnership hours (1 a week) keep up exactly one tie of its own, which it has; with
    ``officer`` a locality officer in post whose ties take 0.75 of its hours a week each and
    0.25 of the practice's."""
    values = {"intermediaries__lo_hours_per_week": 14.0,
              "topology__urban__community_groups": 4, **extra}
    model = tiny_model(n=8, topology__urban__locality_officer=officer,
                       topology__urban__share_groups_off_radar=0.0,
                       intermediaries__lo_hours_per_tie_attempt=2.0,
                       intermediaries__p_lo_tie_success=1.0,
                       intermediaries__lo_tie_practice_share=0.25,
                       intermediaries__lo_ties_at_start=False,
                       gp__partnership_hours_lo=1.0, gp__partnership_hours_hi=1.0,
                       gp__tie_upkeep_hours_per_week=1.0,
                       gp__share_vcse_degree_0=1.0, gp__share_vcse_degree_1=0.0,
                       gp__share_vcse_degree_2=0.0, **values)
    gp = model.gp_practices[0]
    assert model.tie_practice(gp, model.groups[0]) and not gp.has_tie_room()
    return model, gp


def test_an_officer_with_hours_keeps_more_ties_at_the_practice(tiny_model):
    """The officer takes on the upkeep of the practice's tie and brokers more, each taking a
    quarter of the practice's hour: four ties where the practice alone keeps one."""
    alone, gp_alone = kept_ties_world(tiny_model, officer=False)
    model, gp = kept_ties_world(tiny_model)
    officer = next(h for h in model.intermediaries if isinstance(h, LocalityOfficer))
    for _ in range(21):
        alone.step()
        model.step()
    assert len(gp_alone.vcse_ties) == 1
    assert len(gp.vcse_ties) == 4
    assert officer.kept_ties == {(gp.index, k) for k in gp.vcse_ties}
    assert gp.partnership_load() == pytest.approx(1.0)
    # the officer's week: four ties at 0.75 of an hour each
    assert sum(r["new_lo_hours_tie_upkeep"] for r in model.rows[-7:]) == pytest.approx(3.0)


def test_an_officer_without_spare_hours_keeps_no_ties(tiny_model):
    """With fewer hours a week than one tie's upkeep (0.75) the officer keeps none up and the
    practice keeps the one its own hours cover, as without the officer."""
    model, gp = kept_ties_world(tiny_model, intermediaries__lo_hours_per_week=0.5)
    officer = next(h for h in model.intermediaries if isinstance(h, LocalityOfficer))
    for _ in range(21):
        model.step()
    assert officer.kept_ties == set()
    assert len(gp.vcse_ties) == 1


def test_cutting_the_officers_hours_hands_its_ties_back_and_uncovered_ones_end(tiny_model):
    """Cut to no hours, the officer leaves the week's upkeep unpaid: its ties fall wholly on
    the practice, which keeps the one its hour covers (the most recently used) and ends the
    rest; removing the post does the same at once."""
    for remove in (False, True):
        model, gp = kept_ties_world(tiny_model)
        officer = next(h for h in model.intermediaries if isinstance(h, LocalityOfficer))
        for _ in range(21):
            model.step()
        assert len(gp.vcse_ties) == 4
        newest = max(gp.vcse_ties, key=lambda k: (model.tie_last_use[(gp.index, k)], k))
        if remove:
            model.flows = {}
            model.remove_intermediary(officer)
            dropped = model.flows["new_lo_ties_dropped_no_hours"]
        else:
            model.cfg.intermediaries.lo_hours_per_week = 0.0
            for _ in range(7):
                model.step()
            dropped = sum(r["new_lo_ties_dropped_no_hours"] for r in model.rows[-7:])
        assert gp.vcse_ties == [newest]
        assert officer.kept_ties == set() and not model.officer_ties
        assert dropped == 3


def test_a_tie_that_ends_midweek_stops_costing_the_officer_upkeep(tiny_model):
    """Upkeep accrues day by day at today's cost: a tied group that closes right after a
    week's start costs the officer nothing more, so hours that cover its ties (3.1 a week for
    four at 0.75) never leave upkeep unpaid and no live tie is handed back."""
    model, gp = kept_ties_world(tiny_model, intermediaries__lo_hours_per_week=3.1,
                                topology__urban__community_groups=6, run__days=120)
    officer = next(h for h in model.intermediaries if isinstance(h, LocalityOfficer))
    for _ in range(63):
        model.step()
    assert len(officer.kept_ties) == 4
    k = sorted(officer.kept_ties)[0][1]
    model.organisations[k].close("churn")  # right after the week's start
    assert len(officer.kept_ties) == 3
    for _ in range(14):
        model.step()
    rows = model.rows[-14:]
    assert sum(r["new_lo_ties_handed_to_practice"] for r in rows) == 0
    assert sum(r["new_lo_ties_dropped_no_hours"] for r in rows) == 0
    assert len(officer.kept_ties) >= 3 and officer.upkeep_owed < officer.officer_upkeep_per_week()


def test_ties_ended_by_hand_stop_costing_the_officer_upkeep_the_same_day(tiny_model):
    """Three of four kept ties end the day a week starts: the officer pays for the one left
    (0.75 of an hour a day's share at a time), not for four."""
    model, gp = kept_ties_world(tiny_model)
    officer = next(h for h in model.intermediaries if isinstance(h, LocalityOfficer))
    for _ in range(21):
        model.step()
    assert len(officer.kept_ties) == 4
    for k in list(gp.vcse_ties)[1:]:
        model.organisations[k].close("churn")  # the groups go: no tie to broker again
    assert len(officer.kept_ties) == 1
    paid = 0.0
    for _ in range(7):
        model.step()
        paid += model.rows[-1]["new_lo_hours_tie_upkeep"]
    assert paid == pytest.approx(0.75)


def test_in_normal_times_the_village_council_reaches_residents_only_as_a_help_seeking_channel():
    """The mechanism behind the village council's effect on unmet need in normal times
    (``experiments/village_council_effect.py``): a council chosen by no help-seeker leaves
    every daily output of the village as it is without a council, while a chosen one diverts
    help-seekers (they go to it instead of the GP, self-referral, ties or a group)."""
    def daily(**values):
        cfg = sim.configure(topology="rural", **{"run.days": 240, "run.burn_in_days": 0,
                                                 "run.seed": 5, **values})
        return sim.run(cfg).timeseries

    absent = daily(**{"topology.rural_unit.parish_council": False})
    unchosen = daily(**{"help_seeking.weight_intermediary": 0.0})
    chosen = daily()
    assert unchosen.equals(absent)
    assert chosen["new_signposted_parish_council"].sum() > 0
    assert not chosen["new_gp_consultations_nonmedical"].equals(
        absent["new_gp_consultations_nonmedical"])
