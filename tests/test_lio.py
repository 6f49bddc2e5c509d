"""The LIO's functions (sim.agents.lio): funded hours by function, capacity building, support to
struggling groups, partnership brokering, directory upkeep, volunteer placement, and link
workers' own mapping when nobody keeps the directory."""

from __future__ import annotations

import pytest

from sim.agents.organisations import GroupKind
from sim.state import VolunteerState

V = VolunteerState


def lio_world(tiny_model, **extra):
    """An LIO with steady funding, one link worker, and the groups a test asks for."""
    values = {"topology__place_lio": True, "groups__lio__funding_sd": 0.0,
              "groups__formal_charity__funding_sd": 0.0,
              "groups__community_group__funding_sd": 0.0}
    return tiny_model(n=12, **(values | extra))


def test_hours_follow_core_funding_and_stop_when_the_lio_closes(tiny_model):
    model = lio_world(tiny_model)
    f = model.lio_functions
    full = f.full_hours_per_week()
    assert f.funded_share() == pytest.approx(1.0)
    model.step()
    assert model.lio.vm_hours_per_week == pytest.approx(full["volunteer_processing"])
    model.lio.funding_cut = 0.5
    model.step()
    assert f.funded_share() == pytest.approx(0.5)
    assert model.lio.vm_hours_per_week == pytest.approx(full["volunteer_processing"] / 2)
    assert model.rows[-1]["new_lio_hours_volunteer_processing_funded"] == pytest.approx(
        full["volunteer_processing"] / 14)
    assert model.rows[-1]["n_lio_hours_funded_per_week"] == pytest.approx(
        sum(full.values()) / 2)
    model.lio.close("test")
    model.step()
    assert f.funded_share() == 0.0
    assert model.lio.vm_hours_per_week == 0.0
    assert model.rows[-1]["new_lio_hours_volunteer_processing"] == 0
    assert model.rows[-1]["new_lio_hours_volunteer_processing_funded"] == 0


def test_volunteer_processing_books_the_hours_used_not_the_hours_funded(tiny_model):
    """The LIO's processing flow is its volunteer-management hours used (keeping in touch,
    inductions, applications), never more than funded plus what is left of the week; with
    nobody to manage none are used, though they are funded."""
    model = lio_world(tiny_model)
    pop, lio = model.pop, model.lio
    held = (pop.vorg == lio.index) & (pop.vstate != V.NONE)
    pop.vstate[held] = V.LATENT
    pop.vorg[held] = -1
    model.cfg.volunteers.p_apply_per_day = 0.0
    model.step()
    row = model.rows[-1]
    assert row["new_lio_hours_volunteer_processing_funded"] > 0
    assert row["new_lio_hours_volunteer_processing"] == 0
    # applicants: the hours their processing and contact take are booked, within the funded
    applicants = [0, 1, 2]
    pop.vstate[applicants] = V.APPLIED
    pop.vorg[applicants] = lio.index
    pop.vsince[applicants] = model.day
    funded = used = 0.0
    for _ in range(7):
        model.step()
        funded += model.rows[-1]["new_lio_hours_volunteer_processing_funded"]
        used += model.rows[-1]["new_lio_hours_volunteer_processing"]
    assert 0 < used <= funded + row["new_lio_hours_volunteer_processing_funded"] + 1e-9
    assert used < funded  # three applicants do not take a week's funded hours


def test_capacity_building_hours_rebuild_a_lost_group(tiny_model):
    model = lio_world(tiny_model, topology__urban__community_groups=1,
                      lio__capacity_building_hours_per_week=70.0, lio__hours_per_new_group=30.0)
    group = next(g for g in model.groups if g.kind is GroupKind.COMMUNITY_GROUP)
    group.close("test")
    for _ in range(2):
        model.step()
    assert model.rows[-1]["new_lio_hours_capacity_building"] == pytest.approx(10.0)
    assert not any(r["new_lio_groups_formed"] for r in model.rows)
    model.step()  # 30 hours: a new community group in the unit
    assert model.rows[-1]["new_lio_groups_formed"] == 1
    assert sum(g.is_open for g in model.groups if g.kind is GroupKind.COMMUNITY_GROUP) == 1
    model.step()  # nothing short and nobody struggling: no hours used
    assert model.rows[-1]["new_lio_hours_capacity_building"] == 0


def test_a_cut_slows_rebuilding(tiny_model):
    def days_to_rebuild(cut: float) -> int:
        model = lio_world(tiny_model, topology__urban__community_groups=1,
                          lio__capacity_building_hours_per_week=70.0,
                          lio__hours_per_new_group=30.0)
        model.lio.funding_cut = cut
        next(g for g in model.groups if g.kind is GroupKind.COMMUNITY_GROUP).close("test")
        for day in range(1, 30):
            model.step()
            if model.rows[-1]["new_lio_groups_formed"]:
                return day
        return 10**6

    assert days_to_rebuild(0.0) == 3
    assert days_to_rebuild(0.5) == 6
    assert days_to_rebuild(1.0) == 10**6


def test_support_lowers_a_struggling_groups_chance_of_stopping(tiny_model):
    extra = {"topology__urban__community_groups": 10, "groups__p_closure_per_year": 1.0,
             "lio__struggling_reserve_months": 120.0, "lio__hours_per_group_support": 0.1,
             "lio__support_closure_factor": 0.0, "lio__support_days": 1000, "run__days": 365,
             "lio__capacity_building_hours_per_week": 7.0}
    supported = lio_world(tiny_model, **extra)
    supported.run()
    assert sum(r["new_lio_groups_supported"] for r in supported.rows) == 10
    assert all(g.lio_support_until > supported.day for g in supported.groups
               if g.kind is GroupKind.COMMUNITY_GROUP)
    assert sum(r["new_groups_closed"] for r in supported.rows) == 0
    without = lio_world(tiny_model, **extra | {"topology__place_lio": False})
    without.run()
    assert sum(r["new_groups_closed"] for r in without.rows) >= 3


def test_partnership_hours_tie_the_link_worker_to_each_group_once(tiny_model):
    model = lio_world(tiny_model, topology__urban__formal_charities=2,
                      lio__partnership_hours_per_week=70.0, lio__hours_per_tie=10.0)
    lw = model.link_workers[0]
    before = model.count_health_vcse_ties()
    model.step()
    model.step()
    assert sum(r["new_lio_ties_brokered"] for r in model.rows) == 2
    assert model.count_health_vcse_ties() == before + 2
    charities = [g for g in model.groups if g.kind is GroupKind.FORMAL_CHARITY]
    assert all(frozenset((lw.unique_id, g.unique_id)) in model._cross_ties for g in charities)
    model.step()  # every pair is tied: the hours are not used
    assert model.rows[-1]["new_lio_hours_partnerships"] == 0
    assert model.rows[-1]["new_lio_ties_brokered"] == 0


def test_placements_are_limited_by_placement_hours(tiny_model):
    model = lio_world(tiny_model, topology__urban__community_groups=1,
                      groups__community_group__training_days=0,
                      volunteers__lio_placement_per_day=4.0, lio__hours_per_placement=0.5)
    pop = model.pop
    held = list(range(10))
    pop.vstate[held] = V.ACTIVE
    pop.vorg[held] = model.lio.index
    model.lio.funding_cut = 0.5  # two placements' hours a day
    model.step()
    assert model.rows[-1]["new_vol_placed"] == 2
    assert model.rows[-1]["new_lio_hours_volunteer_placement"] == pytest.approx(1.0)
    model.lio.funding_cut = 0.0
    model.step()
    assert model.rows[-1]["new_vol_placed"] == 4


def test_link_worker_maps_listings_nobody_verifies_out_of_client_hours(tiny_model):
    extra = {"topology__urban__formal_charities": 1, "lio__lw_mapping_after_days": 3,
             "lio__lw_mapping_hours_per_week": 10.0, "lio__lw_hours_per_listing_check": 2.0}
    model = tiny_model(n=6, **extra)  # no LIO
    lw, charity = model.link_workers[0], model.groups[0]
    charity.close("test")
    for _ in range(3):
        model.step()
    assert charity.index in lw.directory  # nobody has checked yet
    assert sum(r["new_lw_mapping_hours"] for r in model.rows) == 0
    model.step()  # day 4 (a Thursday): the listing is 4 days old; 2 hours of client time
    assert model.rows[-1]["new_lw_mapping_hours"] == pytest.approx(2.0)
    assert lw.hours_today == pytest.approx(2.0)
    assert charity.index not in lw.directory
    model.step()  # nothing left to check
    assert model.rows[-1]["new_lw_mapping_hours"] == 0


def test_with_an_lio_keeping_the_directory_link_workers_do_no_mapping(tiny_model):
    model = lio_world(tiny_model, topology__urban__formal_charities=1, run__days=60,
                      lio__lw_mapping_after_days=20)
    model.groups[1].close("test")
    model.run()
    assert sum(r["new_lio_listings_verified"] for r in model.rows) > 0
    assert sum(r["new_lw_mapping_hours"] for r in model.rows) == 0
    assert model.groups[1].index not in model.link_workers[0].directory


def _stale_by_every_listing(books, lw, due_before):
    """:meth:`LIOFunctions._stale_listings` as worked out from all of ``lw``'s listings."""
    from sim.agents.lio import NEVER

    verified = books.verified_day
    return sorted((g for g in books._listed([lw]) if verified.get(g, NEVER) < due_before),
                  key=lambda k: (verified.get(k, NEVER), k))


@pytest.mark.parametrize("directory_hours", [0.0, 2.0])
def test_stale_listings_from_the_days_index_are_those_of_every_listing(directory_hours):
    """Each link worker's stale listings, found among those stale when the day's threshold
    was set (and the organisations added since), equal those found by looking at every
    listing it has: every day of a county whose LIO keeps few or none of its listings (so
    many go stale) while groups open, close and change listing, for the day's threshold
    and others above and below it (each a new index)."""
    import sim
    from sim.model import CommunityModel

    m = CommunityModel(sim.compose([
        "topology=county", "topology.n_residents=30000", "run.days=80", "run.burn_in_days=0",
        f"lio.directory_hours_per_week={directory_hours}", "lio.lw_mapping_after_days=10",
        "groups.p_closure_per_year=1.0"]))
    books = m.lio_functions
    # in directories though never verified and not listed: a new group that closed, and a
    # new unlisted one (as a practice's tie is)
    gone = m.add_group(GroupKind.COMMUNITY_GROUP, m.link_workers[0].unit, True, "gone")
    unlisted = m.add_group(GroupKind.COMMUNITY_GROUP, m.link_workers[-1].unit, False, "tie")
    for lw in m.link_workers:
        lw.directory |= {gone.index, unlisted.index}
    gone.close("churn")
    seen_stale = 0
    while m.running:
        due = m.day - m.cfg.lio.lw_mapping_after_days
        for t in (due, due - 7, due + 3, due):
            for lw in m.link_workers:
                got = books._stale_listings(lw, t)
                assert got == _stale_by_every_listing(books, lw, t)
                seen_stale += len(got)
        m.step()
    assert seen_stale > 0
    assert len(m.organisations) > len(books.verified_day)  # groups added and never verified
