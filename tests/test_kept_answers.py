"""Answers the day's routing asks again and again, kept (or written out) instead of worked out
at each ask (issue 16, session 55): each checked against the same thing worked out from
scratch, as groups open, close and are suspended, ties are made and end, and money and
clients move.

* ``VCSEGroup.has_room`` written out with the attributes' slots: ``n_clients < min(capacity,
  affordable_places())``;
* the suspended open groups (``emergency._suspended_groups``), kept while the open groups and
  their suspensions stand;
* whether an LIO has a link worker and a group in its reach not yet tied
  (``LIOFunctions._any_untied_pair``), kept while the ties (``model.tie_epoch``), the workers
  and the groups in their reach stand;
* a practice's open tied groups (``GPPractice.open_ties``), kept while its ties stand (a
  closure unties the group);
* each unit's flag of an open group in reach (``CommunityModel.refresh_unit_flags``), kept
  while the open groups and their suspensions stand;
* the residents the open mutual aid groups' members are tied to
  (``CommunityModel._mutual_aid_reach``), kept while the same residents are the same groups'
  active or idle members (session 57)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_district_indexes import churn
from test_places_levels import places_model, two_districts

from sim.agents.organisations import GroupKind, VCSEGroup
from sim.processes import emergency


@pytest.fixture
def model(tmp_path):
    return places_model(two_districts(tmp_path), "topology.lio_reference_residents=5000")


def room_from_scratch(g: VCSEGroup) -> bool:
    """``has_room`` as it was: the capacity property and ``affordable_places``."""
    n = g.n_clients
    return n < g.capacity and n < g.affordable_places()


def test_has_room_is_clients_below_places_and_what_the_money_pays_for(model):
    m = model
    groups = [g for g in m.groups if isinstance(g, VCSEGroup)]
    kinds = {g.kind for g in groups}
    assert GroupKind.LIO in kinds and len(kinds) >= 3
    assert any(g.params.cost_per_client_day <= 0 for g in groups)  # money never limits these
    rng = np.random.default_rng(5)
    seen = {True: 0, False: 0}
    money_decided = 0
    for trial in range(40):
        for g in groups:
            if not g.is_open:
                continue
            cap = g.capacity
            g.n_clients = int(rng.integers(0, max(cap, 1) + 2))
            g.funding_cut = float(rng.choice([0.0, 0.3, 1.0]))
            income = g.annual_funding * (1.0 - g.funding_cut)
            floor = income * m.cfg.groups.reserve_floor_months / 12.0
            g.balance = float(rng.choice([floor + 1.0, floor, floor - 1.0, -50.0]))
            if trial % 3 == 1:
                g.forget_capacity()  # worked out afresh on the ask
            if trial % 5 == 2:
                g.distanced = bool(rng.integers(2))
            expected = room_from_scratch(g)
            if trial % 3 == 1:
                g.forget_capacity()
            assert g.has_room() is expected, (trial, g.name)
            seen[expected] += 1
            affordable = g.affordable_places()
            money_decided += math.isfinite(affordable) and g.n_clients < g.capacity
    assert seen[True] > 50 and seen[False] > 50
    assert money_decided > 20  # the reserves and income decided some of the answers
    closed = next(g for g in groups if g.is_open and g.kind is not GroupKind.LIO)
    closed.close("churn")
    assert closed.has_room() is room_from_scratch(closed) is False


def suspended_from_scratch(m) -> list:
    return [g for g in m.open_groups() if g.distanced]


def test_the_suspended_groups_follow_suspensions_and_closures(model):
    m = model
    assert emergency._suspended_groups(m) == suspended_from_scratch(m) == []
    kept = emergency._suspended_groups(m)
    assert emergency._suspended_groups(m) is kept  # nothing changed: not made again
    groups = [g for g in m.open_groups() if g.kind is not GroupKind.LIO]
    for g in groups[:3]:
        g.distanced = True
        assert emergency._suspended_groups(m) == suspended_from_scratch(m)
    assert len(emergency._suspended_groups(m)) == 3
    groups[1].distanced = False
    assert emergency._suspended_groups(m) == suspended_from_scratch(m) == [groups[0], groups[2]]
    groups[2].close("churn")  # a suspended group closes
    assert emergency._suspended_groups(m) == suspended_from_scratch(m) == [groups[0]]
    new = m.add_group(GroupKind.COMMUNITY_GROUP, 0, True, "new")
    new.distanced = True
    assert emergency._suspended_groups(m) == suspended_from_scratch(m)
    assert new in emergency._suspended_groups(m)
    # the daily pass closes a suspended group whose volunteers are all gone, only that one
    new.n_trained = 0
    groups[0].n_trained = 1
    emergency.suspended_groups_lose_volunteers(m)
    assert not new.is_open and groups[0].is_open
    assert emergency._suspended_groups(m) == suspended_from_scratch(m) == [groups[0]]


def untied_from_scratch(lio) -> bool:
    m = lio.model
    for lw in lio._link_workers():
        tied = {uid for tie in m._cross_ties if lw.unique_id in tie for uid in tie}
        for g in m.open_groups_in_reach(lw.reach):
            if g.kind is not GroupKind.MUTUAL_AID and g.unique_id not in tied:
                return True
    return False


def test_whether_a_link_worker_and_a_group_are_still_untied_follows_the_ties(model):
    m = model
    books = [b for b in m.lio_books if b._link_workers()]
    assert books
    for lio in books:
        assert lio._any_untied_pair() is untied_from_scratch(lio) is True
        # tie every pair, one at a time: the answer follows each new tie
        while untied_from_scratch(lio):
            lw, g = next(lio._untied_pairs())
            epoch = m.tie_epoch
            m.add_tie(lw, g)
            assert m.tie_epoch > epoch
            assert lio._any_untied_pair() is untied_from_scratch(lio)
        assert lio._any_untied_pair() is False
        lw = lio._link_workers()[0]
        g = next(g for g in m.open_groups_in_reach(lw.reach)
                 if g.kind is not GroupKind.MUTUAL_AID)
        m.remove_tie(lw, g)  # a tie lapses
        assert lio._any_untied_pair() is untied_from_scratch(lio) is True
        m.add_tie(lw, g)
        assert lio._any_untied_pair() is False
        unit = next(iter(lw.reach))
        new = m.add_group(GroupKind.COMMUNITY_GROUP, unit, True, "new")  # a group opens
        assert lio._any_untied_pair() is untied_from_scratch(lio) is True
        new.distanced = True  # suspended: out of reach
        assert lio._any_untied_pair() is untied_from_scratch(lio) is False
        new.distanced = False
        assert lio._any_untied_pair() is True
        new.close("churn")  # its ties end with it
        assert lio._any_untied_pair() is untied_from_scratch(lio) is False


def ties_from_scratch(gp) -> list[int]:
    return [k for k in gp.vcse_ties if gp.model.organisations[k].is_open]


def test_a_practices_open_ties_follow_ties_made_ended_and_closures(model):
    m = model
    gp = max(m.gp_practices, key=lambda p: len(p.vcse_ties))
    gp.partnership_hours = 1e6  # room for every tie below
    assert gp.open_ties() == ties_from_scratch(gp)
    assert gp.open_ties() is gp.open_ties()  # kept while nothing changes
    candidates = [g for g in m.open_groups()
                  if g.kind is not GroupKind.LIO and g.index not in gp.vcse_ties]
    for g in candidates[:4]:
        assert m.tie_practice(gp, g)
        assert gp.open_ties() == ties_from_scratch(gp)
    assert gp.open_ties()[-4:] == [g.index for g in candidates[:4]]  # in the ties' order
    m.untie_practice(gp, candidates[1].index)
    assert gp.open_ties() == ties_from_scratch(gp)
    assert candidates[1].index not in gp.open_ties()
    candidates[2].close("churn")  # the closure ends the tie
    assert gp.open_ties() == ties_from_scratch(gp)
    assert candidates[2].index not in gp.open_ties()
    churn(m)
    assert gp.open_ties() == ties_from_scratch(gp)
    gp.vcse_ties = list(reversed(gp.vcse_ties))  # a new list given in its place
    assert gp.open_ties() == ties_from_scratch(gp)
    for _ in range(5):  # the model's own days: ties used, made and lapsing
        m.step()
        for p in m.gp_practices:
            assert p.open_ties() == ties_from_scratch(p)


def groups_flags_from_scratch(m) -> list[float]:
    """Per unit, 1.0 if an open group (not an LIO, not suspended) of the unit or its
    district's place level is in reach."""
    flags = []
    for u in range(len(m.units)):
        keys = (u, -1 - int(m.district_of_unit[u]))
        flags.append(float(any(g.unit_key in keys for g in m.open_groups()
                               if g.kind is not GroupKind.LIO and not g.distanced)))
    return flags


def test_the_units_group_flags_follow_openings_closures_and_suspensions(model):
    m = model

    def agrees() -> None:
        m.refresh_unit_flags()
        assert m.unit_has_groups.tolist() == groups_flags_from_scratch(m)

    agrees()
    kept = m.unit_has_groups
    m.refresh_unit_flags()
    assert m.unit_has_groups is kept  # nothing changed: not worked out again
    unit = 0
    mine = [g for g in m.open_groups()
            if g.kind is not GroupKind.LIO and g.unit_key in (unit, -1 - m.district_of_unit[0])]
    for g in mine:  # every group in the unit's reach suspended, then closed
        g.distanced = True
        agrees()
    assert m.unit_has_groups[unit] == 0.0
    mine[0].distanced = False
    agrees()
    assert m.unit_has_groups[unit] == 1.0
    mine[0].close("churn")
    agrees()
    assert m.unit_has_groups[unit] == 0.0
    m.add_group(GroupKind.COMMUNITY_GROUP, unit, True, "new")
    agrees()
    assert m.unit_has_groups[unit] == 1.0
    for _ in range(3):  # the model's own days, then the flags as the next day starts
        m.step()
        agrees()


def tie_work_from_scratch(officer):
    """``LocalityOfficer._tie_work`` over every group its units ever had."""
    m = officer.model
    units = sorted(officer.served_units)
    hidden = [g for u in units for g in m.groups_by_unit.get(u, ())
              if g.is_open and g.kind is not GroupKind.LIO and not g.on_directory]
    pairs = []
    share = m.cfg.intermediaries.lo_tie_practice_share
    for u in units if officer.has_tie_room() else ():
        main = m.main_practice(u)
        if main is None or not main.has_tie_room(share):
            continue
        tied = {k for gp in m.practices_in(u) for k in gp.vcse_ties}
        pairs += [(main, g) for g in m.groups_by_unit.get(u, ())
                  if g.is_open and g.kind not in (GroupKind.LIO, GroupKind.MUTUAL_AID)
                  and g.index not in tied]
    return hidden, pairs


def test_an_officers_tie_work_is_its_units_open_groups_in_group_order(model):
    """The officer's off-radar groups and untied pairs come from its units' open groups (not
    every group they ever had), in group order: the same as from all of them, filtered,
    as groups close, open, come on and off the directory and are tied."""
    from sim.agents.intermediaries import LocalityOfficer

    m = model
    officer = next(h for h in m.intermediaries if isinstance(h, LocalityOfficer))
    unit = min(officer.served_units)
    officer.spare_hours_last_week = 1e6
    m.main_practice(unit).partnership_hours = 1e6
    assert officer._tie_work() == tie_work_from_scratch(officer)
    mine = [g for g in m.open_groups() if g.unit == unit and g.kind is not GroupKind.LIO]
    mine[0].close("churn")
    new = m.add_group(GroupKind.COMMUNITY_GROUP, unit, False, "off radar")
    mine[1].on_directory = not mine[1].on_directory
    hidden, pairs = officer._tie_work()
    assert (hidden, pairs) == tie_work_from_scratch(officer)
    assert new in hidden and any(g is new for _, g in pairs) and mine[0] not in hidden
    assert len(pairs) >= 2
    main, g = pairs[0]
    assert m.tie_practice(main, g, officer=officer)
    assert officer._tie_work() == tie_work_from_scratch(officer)
    for _ in range(3):
        m.step()
        assert officer._tie_work() == tie_work_from_scratch(officer)


def reach_from_scratch(m) -> dict[int, list[int]]:
    """The residents tied to an active or idle member of each open mutual aid group, worked
    out from the adjacency one member at a time."""
    from sim.state import VolunteerState

    pop, out = m.pop, {}
    for g in m.open_groups():
        if g.kind is not GroupKind.MUTUAL_AID:
            continue
        members = np.flatnonzero((pop.vorg == g.index)
                                 & (pop.vstate >= VolunteerState.ACTIVE)
                                 & (pop.vstate <= VolunteerState.IDLE))
        near = {int(j) for i in members.tolist() for j in pop.adjacency.indices[
            pop.adjacency.indptr[i]:pop.adjacency.indptr[i + 1]]}
        if near:
            out[g.index] = sorted(near)
    return out


def test_a_mutual_aid_groups_reach_is_kept_while_its_members_stand(model):
    """The reach of the open mutual aid groups (``CommunityModel._mutual_aid_reach``) is kept
    while the same residents are their active or idle members; a member who leaves or goes
    to another group, a group that folds and one that forms each give the reach worked out
    afresh."""
    from sim.state import VolunteerState

    m = model
    rng = np.random.default_rng(11)
    formed = [m._form_mutual_aid(u, rng, usual=0.0) for u in m.units[:3]]
    assert all(np.count_nonzero(m.pop.vorg == g.index) > 1 for g in formed)

    def reach():
        got = m._mutual_aid_reach()
        assert {k: v.tolist() for k, v in got.items()} == reach_from_scratch(m)
        return got

    first = reach()
    assert len(first) == 3
    again = reach()
    assert again is first  # nothing changed: kept
    a = formed[0]
    members = np.flatnonzero(m.pop.vorg == a.index)
    m.pop.vstate[members[0]] = VolunteerState.IDLE  # active to idle: still a member
    assert reach() is first
    unit = m.units[0]
    latent = np.flatnonzero(m.pop.vstate[unit.start:unit.stop] == VolunteerState.LATENT)
    newcomer = int(latent[0]) + unit.start  # joins as another member leaves: the groups of
    m.pop.vorg[newcomer] = a.index  # the members in resident order are as they were
    m.pop.vstate[newcomer] = VolunteerState.ACTIVE
    m.pop.vstate[members[2]] = VolunteerState.LAPSED
    swapped = reach()
    assert swapped is not first
    m.pop.vstate[members[0]] = VolunteerState.LAPSED  # leaves
    after_leaving = reach()
    assert after_leaving is not swapped
    assert after_leaving[a.index].tolist() != swapped[a.index].tolist()
    m.pop.vorg[members[1]] = formed[1].index  # moves to another group
    assert reach() is not after_leaving
    m._mag_rolls = None
    m._fold_mutual_aid(formed[2])
    assert formed[2].index not in reach()
    m._form_mutual_aid(m.units[3], rng, usual=0.0)
    assert len(reach()) == 3
