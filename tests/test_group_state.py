"""Organisations' money and strain as model-level columns (sim.agents.group_state): each group
reads and writes its own row, and the whole-column daily passes give bit for bit what the
one-group-at-a-time arithmetic gives."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.agents.group_state import GroupState, params_columns
from sim.agents.organisations import GroupKind, pay_the_day
from sim.model import CommunityModel
from sim.processes import strain


@pytest.fixture(scope="module")
def model() -> CommunityModel:
    return CommunityModel(sim.configure(topology="urban", **{"run.days": 1,
                                                            "run.burn_in_days": 0}))


def _scramble(model: CommunityModel, seed: int) -> list:
    """Random money, clients, staff, cuts and pressure on every open group but the LIO."""
    rng = np.random.default_rng(seed)
    groups = [g for g in model.open_groups() if g.kind is not GroupKind.LIO]
    for g in groups:
        g.balance = float(rng.normal(2000.0, 4000.0))
        g.n_clients = int(rng.integers(0, 30))
        g.staff_fte = float(rng.uniform(0.0, 3.0))
        g.funding_cut = float(rng.choice([0.0, 0.3, 1.0]))
        g.turned_away_today = int(rng.integers(0, 5))
        g.unserved = float(rng.uniform(0.0, 10.0))
        g.strain = float(rng.uniform(0.0, 1.0))
        g.distanced = bool(rng.random() < 0.2)
    return groups


def test_rows_are_the_organisations_indices_and_grow(model):
    state = model.group_state
    assert state.n == len(model.organisations)
    g = model.groups[-1]
    g.balance = 123.5
    assert state.balance[g.index] == 123.5 and isinstance(g.balance, float)
    g.turned_away_today += 2
    assert state.turned_away_today[g.index] == g.turned_away_today == 2
    g = next(g for g in model.groups if g.kind is GroupKind.COMMUNITY_GROUP)
    places = g.capacity
    g.volunteer_hours = g.volunteer_hours + 40.0  # a change forgets the cached places
    assert state.volunteer_hours[g.index] == g.volunteer_hours and g.capacity > places
    strain.refresh_volunteer_hours(model)  # the daily refresh puts back the volunteers' hours
    assert g.capacity == places
    fresh = GroupState(rows=2)
    assert [fresh.add_row() for _ in range(5)] == [0, 1, 2, 3, 4]
    fresh.balance[4] = 7.0
    assert fresh.balance.size >= 5 and fresh.n == 5 and fresh.balance[4] == 7.0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_day_of_money_for_all_groups_is_each_groups_day(model, seed):
    groups = _scramble(model, seed)
    cap_months = model.cfg.groups.reserve_cap_months
    expected, spent, total = [], [], 0
    for g in groups:  # the arithmetic of one group at a time (as VCSEGroup.step_funding had it)
        p = g.params
        income = g.annual_funding * (1.0 - g.funding_cut) / 365.0
        cost = (p.fixed_cost_per_day + p.cost_per_client_day * g.n_clients
                + g.staff_fte * p.staff_cost_per_fte_year / 365.0)
        balance = g.balance + income - cost
        cap = income * 365.0 * cap_months / 12.0
        if balance > cap:
            balance = max(cap, g.balance)
        expected.append((balance, balance < 0 and cost > 0))
        spent.append(g.spent + cost)
        total += cost
    model.flows = {}
    broke = pay_the_day(model, groups)
    assert [(g.balance, bool(b)) for g, b in zip(groups, broke, strict=True)] == expected
    assert [g.spent for g in groups] == spent
    assert model.flows["new_funding_spent"] == total  # the same sums, in group order
    assert broke.any() and not broke.all()


@pytest.mark.parametrize("seed", [4, 5])
def test_strain_for_all_groups_is_each_groups_strain(model, seed):
    groups = _scramble(model, seed)
    p = model.cfg.groups
    expected, lost_total = [], 0
    for g in groups:  # the arithmetic of one group at a time (as _update_strain had it)
        unserved = g.unserved * (1.0 - 1.0 / g.params.support_days) + g.turned_away_today
        s, staff = g.strain, g.staff_fte
        if not g.distanced:
            demand = g.n_clients + unserved
            share = max(1.0 - max(g.capacity, 1) / demand, 0.0) if demand > 0 else 0.0
            s += (share - s) / p.strain_memory_days
            lost = staff * min(s * p.staff_exit_per_strain_year / 365.0, 1.0)
            if lost > 0:
                staff -= lost
                lost_total += lost
        expected.append((unserved, s, staff, 0))
    model.flows = {}
    rows = np.array([g.index for g in groups], np.int64)
    strain._update_strain(model, groups, rows)
    assert [(g.unserved, g.strain, g.staff_fte, g.turned_away_today) for g in groups] == expected
    assert model.flows["new_group_staff_lost_strain"] == lost_total > 0


def test_a_fold_found_among_the_days_rolls_releases_what_a_full_search_finds():
    """A mutual aid group folding finds its members among the day's rolls and its clients in
    the client index; the same fold with a search of everyone (``close`` without ``among``)
    leaves the same state."""
    import copy

    from sim.state import Pathway, VolunteerState

    base = CommunityModel(sim.configure(topology="urban", **{"run.days": 1,
                                                            "run.burn_in_days": 0}))
    unit = base.units[0]
    g = base._form_mutual_aid(unit, np.random.default_rng(3), usual=0.0)
    members = np.flatnonzero(base.pop.vorg == g.index)
    assert members.size > 1
    base.pop.vstate[members[0]] = VolunteerState.APPLIED  # in the range a fold releases
    base.pop.vwork_hours[members[0]] = 0.7  # checks part done: dropped with the group
    clients = np.arange(unit.start, unit.start + 6)
    base.pop.provider[clients] = g.index
    for i in clients.tolist():  # as offer_to_group does: the per-group client index learns it
        base._note_client(g.index, i)
    base.pop.pathway[clients] = Pathway.GROUP
    g.n_clients = clients.size
    by_rolls, by_search = base, copy.deepcopy(base)
    by_rolls._mag_rolls = None
    by_rolls._fold_mutual_aid(by_rolls.organisations[g.index])
    searched = by_search.organisations[g.index]
    pop = by_search.pop
    found = np.flatnonzero((pop.vorg == g.index) & (pop.vstate >= VolunteerState.APPLIED)
                           & (pop.vstate <= VolunteerState.IDLE))
    pop.vstate[found] = VolunteerState.LATENT
    pop.vorg[found] = -1
    pop.goodwill[found] = 1.0
    pop.vwork_hours[found] = 0.0
    by_search.count("new_mutual_aid_groups_folded")
    searched.close("folded")
    for name in ("vorg", "vstate", "goodwill", "vwork_hours", "provider", "pathway",
                 "matched"):
        np.testing.assert_array_equal(getattr(by_rolls.pop, name), getattr(pop, name), name)
    assert by_rolls.pop.vwork_hours[members[0]] == 0.0
    assert by_rolls.flows == by_search.flows
    assert by_rolls.flows["new_support_lost_group_closed"] == clients.size
    assert not by_rolls.organisations[g.index].is_open


def test_open_groups_kept_up_as_groups_open_and_close_equal_a_fresh_listing():
    """The open-groups lists kept up as groups open and close equal a fresh listing; lists
    already handed out never change (the legacy county has units with no group of their own,
    needed for the last case)."""
    m = CommunityModel(sim.configure(topology="county_legacy", **{
        "run.days": 1, "run.burn_in_days": 0, "topology.n_residents": 3000}))
    handed_out = m.open_groups()
    before = list(handed_out)
    new = m.add_group(GroupKind.COMMUNITY_GROUP, 1, True, "new-one")
    m.groups[0].close("churn")
    empty = next(u.index for u in m.units if u.index not in m.open_groups_by_unit())
    lone = m.add_group(GroupKind.MUTUAL_AID, empty, False, "lone")
    assert m.open_groups_by_unit()[empty] == [lone]
    lone.close("folded")
    assert empty not in m.open_groups_by_unit()  # units with no open group are absent
    assert handed_out == before  # a list handed out is never changed
    kept, kept_by_unit = m.open_groups(), m.open_groups_by_unit()
    m._open_groups = None  # a fresh listing from every group made
    assert kept == m.open_groups() and new in kept and m.groups[0] not in kept
    assert kept_by_unit == m.open_groups_by_unit()
    assert [g.index for g in kept] == sorted(g.index for g in kept)


def test_running_groups_kept_up_as_groups_open_and_close_equal_a_fresh_listing():
    """The running groups (open, not the LIO) and their rows, and the open groups' rows,
    kept up as groups open and close, equal a fresh listing; those handed out before never
    change."""
    m = CommunityModel(sim.configure(topology="urban", **{"run.days": 1,
                                                        "run.burn_in_days": 0}))
    handed_out, rows_out = m.running_groups()
    before, rows_before = list(handed_out), rows_out.copy()
    open_rows_out = m.open_group_rows()
    open_rows_before = open_rows_out.copy()
    m._open_mutual_aid_by_unit()
    m.add_group(GroupKind.COMMUNITY_GROUP, 0, True, "new-one")
    m.running_groups()  # the lists kept up from here on
    m.open_group_rows()
    m._open_mutual_aid_by_unit()
    m.add_group(GroupKind.MUTUAL_AID, 0, False, "lone")
    assert m.groups[1].kind is not GroupKind.LIO and m.groups[1] in m.running_groups()[0]
    m.groups[1].close("churn")
    m.lio_of_district(0).close("funding")  # an LIO is not a running group
    kept, rows = m.running_groups()
    assert handed_out == before and (rows_out == rows_before).all()
    m._running_groups = None  # a fresh listing from the open groups
    fresh, fresh_rows = m.running_groups()
    assert kept == fresh and m.groups[1] not in kept and kept[-1].name == "lone"
    assert rows.dtype == fresh_rows.dtype and rows.tolist() == fresh_rows.tolist()
    assert rows.tolist() == [g.index for g in kept]
    open_rows = m.open_group_rows()
    assert (open_rows_out == open_rows_before).all()
    m._open_group_rows = None  # a fresh listing from the open groups
    fresh_open = m.open_group_rows()
    assert open_rows.dtype == fresh_open.dtype and open_rows.tolist() == fresh_open.tolist()
    assert open_rows.tolist() == [g.index for g in m.open_groups()]
    assert m.groups[1].index not in open_rows.tolist()  # closed

    def mags(by_unit):  # each unit's open mutual aid groups, in group order
        return {unit: [g.index for g in gs] for unit, gs in by_unit.items()}

    def fresh_mags():
        m._open_mags_by_unit = None
        return mags(m._open_mutual_aid_by_unit())

    kept_mags = mags(m._open_mutual_aid_by_unit())  # followed through the "lone" opening
    assert kept_mags == fresh_mags() and [g.index for g in m.groups if g.name == "lone"] == \
        kept_mags[0][-1:]
    second = m.add_group(GroupKind.MUTUAL_AID, 0, False, "second")
    lone = next(g for g in m.groups if g.name == "lone")
    lone.close("folded")  # followed through an opening and a closure in one unit
    for kept_up in ("_open_mags_by_unit", "_open_group_rows"):  # followed, not made again
        assert m.__dict__[kept_up][0] is m.open_groups(), kept_up
    kept_mags = mags(m._open_mutual_aid_by_unit())
    assert kept_mags == fresh_mags() and kept_mags[0][-1] == second.index
    assert lone.index not in kept_mags[0]


def test_parameter_columns_follow_new_groups_and_events():
    """The daily passes' parameter columns (``params_columns``) read each group's own
    parameters, for groups added since they were first made, and afresh once an event may
    have changed parameters (``capacity_epoch``): equal to reading them group by group."""
    m = CommunityModel(sim.configure(topology="urban", **{"run.days": 1,
                                                          "run.burn_in_days": 0}))
    names = ("fixed_cost_per_day", "support_days", "cost_per_client_day")

    def by_hand(groups):
        return [np.array([getattr(g.params, n) for g in groups], np.float64) for n in names]

    def check():
        groups = m.open_groups()
        rows = np.array([g.index for g in groups], np.int64)
        for got, want in zip(params_columns(m, rows, names), by_hand(groups), strict=True):
            assert np.array_equal(got, want)

    check()
    new = m.add_group(GroupKind.MUTUAL_AID, 0, False, "new")  # other parameters than the rest
    check()
    assert params_columns(m, np.array([new.index]), ("support_days",))[0][0] == \
        m.cfg.groups.mutual_aid.support_days
    m.cfg.groups.formal_charity.fixed_cost_per_day += 11.0  # as an event would, with its epoch
    m.capacity_epoch += 1
    check()
    trust = next(o for o in m.organisations if not hasattr(o, "params"))  # no parameters: 0
    assert params_columns(m, np.array([trust.index]), names)[0][0] == 0.0


def test_management_hours_and_contact_covers_are_columns():
    """Every organisation's management hours left and contact covers live in its row of the
    columns: a day's bookings write them there, Monday empties the hours, and an attribute
    written on one organisation changes its row only."""
    from sim.processes import volunteering

    m = CommunityModel(sim.configure(topology="urban", **{"run.days": 3,
                                                        "run.burn_in_days": 0}))
    state = m.group_state
    assert (state.vm_contact_cover_waiting[:len(m.organisations)] == 1.0).all()  # as built
    m.run(3)
    n = len(m.organisations)
    hours = [o.vm_hours_left for o in m.organisations]
    assert hours == state.vm_hours_left[:n].tolist() and any(h > 0 for h in hours)
    covers = state.vm_contact_cover_trained[:n]
    assert [o.vm_contact_cover_trained for o in m.organisations] == covers.tolist()
    assert ((covers >= 0.0) & (covers <= 1.0)).all()
    first, second = m.organisations[0], m.organisations[1]
    before = second.vm_hours_left
    first.vm_hours_left = 12.5
    assert state.vm_hours_left[first.index] == 12.5 and second.vm_hours_left == before
    volunteering.new_week(m)
    assert all(o.vm_hours_left == 0.0 for o in m.organisations)


_MIRRORED = ("is_open", "n_clients", "n_disruptive", "staff_fte", "extra_places", "disruption",
             "distanced", "online", "annual_funding", "funding_cut", "lio_support_until",
             "on_directory", "vm_extra_hours_per_week", "unit_key")


def _columns_hold_the_attributes(model: CommunityModel) -> int:
    """Every organisation's mirrored columns hold its attributes (and its kind's code);
    returns how many rows differ from a fresh group's (so a check that saw nothing happen
    proves nothing)."""
    from sim.agents.organisations import KIND_CODES, VCSEGroup

    state, moved = model.group_state, 0
    for org in model.organisations:
        names = _MIRRORED if isinstance(org, VCSEGroup) else ("is_open", "unit_key",
                                                              "vm_extra_hours_per_week")
        for name in names:
            value = getattr(org, name)
            assert getattr(state, name)[org.index] == value, (org.name, name)
        if isinstance(org, VCSEGroup):
            assert state.kind_code[org.index] == KIND_CODES[org.kind]
            assert state.n_staff_changes[org.index] == len(org.staff_changes)
            moved += bool(org.staff_changes)
            moved += (org.distanced or org.online or org.funding_cut > 0 or org.extra_places > 0
                      or org.lio_support_until >= 0 or not org.is_open or org.disruption > 0)
        else:
            assert state.kind_code[org.index] == -1
    return moved


@pytest.mark.parametrize("scenario", ["[lockdown,funding_loss,agile_commissioning]", "flood"])
def test_mirrored_columns_hold_the_groups_attributes_through_a_run(scenario):
    """Whatever moves a group's clients, staff, money, places, flags or LIO support (events,
    closures, new mutual aid groups, the daily passes), its columns hold the same values."""
    cfg = sim.compose(["topology=county", "topology.n_residents=12000", "run.seed=3",
                       f"scenario={scenario}", "run.days=160", "run.burn_in_days=0"])
    model = CommunityModel(cfg)
    moved = 0
    for day in range(160):
        model.step()
        if day % 20 == 19:
            moved = max(moved, _columns_hold_the_attributes(model))
    assert moved > 5


def test_places_from_the_columns_are_each_groups_capacity(model):
    """``strain.group_places`` (one compiled call) gives each open group's ``capacity`` and
    ``places_lost_to_disruption()``, whatever its staff, volunteers, commissioned places,
    disruption or suspension."""
    rng = np.random.default_rng(11)
    groups = _scramble(model, 11)
    for g in groups:
        g.volunteer_hours = float(rng.uniform(0.0, 200.0))
        g.extra_places = int(rng.integers(0, 4)) * int(rng.random() < 0.3)
        g.disruption = float(rng.choice([0.0, 0.4, 1.0, 1.7]))
    rows = np.array([g.index for g in groups], np.int64)
    places, lost = strain.group_places(model, rows)
    assert places.tolist() == [g.capacity for g in groups]
    assert lost.tolist() == [0 if g.distanced else g.places_lost_to_disruption()
                             for g in groups]
    assert any(lost) and any(g.distanced for g in groups) and len(set(places.tolist())) > 3


def test_the_daily_rows_group_sums_are_the_groups_own(model):
    """The daily row's sums over the open groups (one compiled pass over the columns) equal
    the same sums taken group by group from their attributes, in group order."""
    from sim import metrics

    groups = _scramble(model, 12)
    for k, g in enumerate(groups):
        g.n_disruptive = min(k % 3, g.n_clients)
        g.disruption = 0.5 * (k % 2)
        g.online = k % 4 == 1
        g.on_directory = k % 3 != 0
        g.lio_support_until = model.day + 5 if k % 5 == 0 else -1
    row = metrics.daily_row(model)
    expect = dict.fromkeys(("open", "listed", "clients", "suspended", "online", "lio",
                            "capacity", "no_incl", "no_incl_members", "community",
                            "disrupted"), 0)
    staff = places = strain_sum = lost_sum = before = 0.0
    for g in model.open_groups():
        expect["open"] += 1
        expect["listed"] += bool(g.on_directory)
        expect["clients"] += g.n_clients
        expect["suspended"] += bool(g.distanced)
        expect["online"] += bool(g.online)
        expect["lio"] += g.lio_support_until > model.day
        if g.kind is GroupKind.LIO:
            continue
        if not g.params.accepts_complex:
            expect["no_incl"] += g.n_clients
            expect["no_incl_members"] += g.n_clients - g.n_disruptive
        expect["capacity"] += 1
        staff += g.staff_fte
        cap = 0 if g.distanced else g.capacity
        lost = 0 if g.distanced else g.places_lost_to_disruption()
        places += cap
        strain_sum += g.strain
        if g.kind is GroupKind.COMMUNITY_GROUP:
            expect["community"] += 1
            expect["disrupted"] += g.n_disruptive > 0
            lost_sum += lost
            before += cap + lost
    assert (row["n_groups_open"], row["n_groups_listed"], row["n_group_clients"],
            row["n_groups_suspended"], row["n_groups_online"], row["n_groups_lio_supported"],
            row["n_clients_without_inclusion"], row["n_member_clients_without_inclusion"],
            row["n_community_groups_open"], row["n_community_groups_disrupted"]) == (
        expect["open"], expect["listed"], expect["clients"], expect["suspended"],
        expect["online"], expect["lio"], expect["no_incl"], expect["no_incl_members"],
        expect["community"], expect["disrupted"])
    assert row["n_group_staff_fte"] == staff and row["n_group_places"] == places
    assert row["mean_group_strain"] == strain_sum / expect["capacity"]
    assert row["n_community_group_places_lost_disruption"] == lost_sum > 0
    assert row["n_community_group_places_before_disruption"] == before
    assert 0 < expect["lio"] < expect["open"] and 0 < expect["online"]


@pytest.mark.parametrize("seed", [6, 7])
def test_closures_of_the_day_are_each_groups_draw(seed):
    """Groups out of money close; the others but the LIO draw in group order and close below
    the churn chance (lower while the LIO supports them): the compiled pass closes the groups
    the one-group-at-a-time loop did, for the same reasons, with the same draws."""
    from sim import kernels
    from sim.agents.organisations import KIND_CODES

    rng = np.random.default_rng(seed)
    n_rows = 60
    kind_code = rng.integers(0, 4, n_rows + 5)
    until = np.where(rng.random(n_rows + 5) < 0.3, 12, -1)
    rows = np.sort(rng.choice(n_rows + 5, n_rows, replace=False)).astype(np.int64)
    broke = rng.random(n_rows) < 0.1
    lio = KIND_CODES[GroupKind.LIO]
    n = kernels.at_risk_of_churn(rows, broke, kind_code, lio)
    draws = rng.random(n)
    at, why = kernels.closing_today(rows, broke, kind_code, until, 10, draws, 0.3, 0.1, lio)
    expected, it = [], iter(draws.tolist())
    for j, r in enumerate(rows.tolist()):
        if broke[j]:
            expected.append((j, 0))
        elif kind_code[r] != lio:
            if next(it) < (0.1 if until[r] > 10 else 0.3):
                expected.append((j, 1))
    assert next(it, None) is None  # every draw used
    assert list(zip(at.tolist(), why.tolist(), strict=True)) == expected
    assert {0, 1} <= set(why.tolist()) and len(expected) < n_rows


def test_a_model_saved_before_the_mirrored_columns_fills_them_on_load():
    """A model pickled before the groups' mirrored columns existed (the values plain entries
    of each group, no such columns) gets them filled from its groups when loaded, and
    continues to an uninterrupted run's outputs."""
    import copy
    import pickle

    import pandas as pd

    from sim.agents.group_state import GroupState

    cfg = sim.compose(["topology=urban", "scenario=lockdown", "run.days=60",
                       "run.burn_in_days=30", "run.seed=4", "run.allow_late_events=true"])
    never_stopped = CommunityModel(cfg)
    never_stopped.run_model()
    first = CommunityModel(cfg)
    first.run(35)  # in the lockdown: groups suspended, online
    old = copy.deepcopy(first)
    state = old.group_state
    for name in GroupState.FLOAT_COLUMNS[8:] + GroupState.INT_COLUMNS[2:] + \
            GroupState.BOOL_COLUMNS:  # as an older version's pickle holds them
        delattr(state, name)
    kept_slots = ("on_directory", "staff_fte", "extra_places", "disruption")  # were slots then
    for org in old.organisations:
        for name in _MIRRORED:
            if name not in kept_slots and "_" + name in org.__dict__:
                org.__dict__[name] = org.__dict__.pop("_" + name)
        if org.__dict__.get("lio_support_until") == -1:
            del org.__dict__["lio_support_until"]  # never supported: never set
        if "_staff_changes" in org.__dict__:
            org.__dict__["staff_changes"] = org.__dict__.pop("_staff_changes")
    for cache in ("_params_for_rows", "_open_group_rows"):  # kept since
        old.__dict__.pop(cache, None)
    if "_mag_slots" in old.__dict__:  # then without the residents per street
        old._mag_slots = old._mag_slots[:3]
    for books in old.lio_books:
        books.__dict__.pop("_district_rows", None)
    loaded = pickle.loads(pickle.dumps(old))
    assert _columns_hold_the_attributes(loaded) > 0
    loaded.run_model()
    pd.testing.assert_frame_equal(loaded.timeseries(), never_stopped.timeseries(),
                                  check_exact=True)


def test_tasks_and_management_hours_from_the_columns_are_each_organisations():
    """The volunteers' day reads each organisation's tasks and new management hours from the
    groups' columns (the LIO's and the trusts' asked one by one): the values
    ``tasks_today()`` and ``vm_hours_new_today()`` give, suspended groups, scale-ups and
    closures included."""
    from sim.processes import volunteering

    cfg = sim.compose(["topology=county", "topology.n_residents=12000", "run.seed=5",
                       "scenario=lockdown", "run.days=80", "run.burn_in_days=0",
                       "run.allow_late_events=true"])
    model = CommunityModel(cfg)
    seen = {"suspended": 0, "scaled": 0, "closed": 0}
    for day in range(80):
        if day == 40:
            model.processing_multiplier = 2.0  # as the response cell asks: a scale-up
        model.step()
        if day % 10 != 9:
            continue
        tasks = [o.tasks_today() if o.is_open else 0.0 for o in model.organisations]
        hours = [o.vm_hours_new_today() for o in model.organisations]
        from_columns = volunteering.tasks_and_management_hours(model)
        assert from_columns[0].tolist() == tasks and from_columns[1].tolist() == hours
        seen["suspended"] += sum(g.distanced for g in model.open_groups())
        seen["scaled"] += sum(o.vm_extra_hours_per_week > 0 for o in model.organisations)
        seen["closed"] += sum(not g.is_open for g in model.groups)
    assert all(seen.values()), seen


@pytest.mark.parametrize("seed", [8, 9])
def test_struggling_groups_from_the_columns_are_those_the_groups_own_money_shows(model, seed):
    """The LIO's struggling groups (from the columns): the district's open charities and
    community groups not under support with reserves below its months of income, thinnest
    reserves first, then in group order - as each group's own attributes give them."""
    groups = _scramble(model, seed)
    rng = np.random.default_rng(seed)
    for g in groups:
        g.lio_support_until = int(rng.choice([-1, model.day - 1, model.day + 3]))
        g.annual_funding = float(rng.choice([0.0, 20000.0, 60000.0]))
    groups[0].balance = groups[1].balance = -50.0  # the same thinness: group order decides
    groups[0].annual_funding = groups[1].annual_funding = 20000.0
    groups[0].funding_cut = groups[1].funding_cut = 0.0
    groups[0].lio_support_until = groups[1].lio_support_until = -1
    books = model.lio_books[0]
    months = model.cfg.lio.struggling_reserve_months
    out = []
    for g in model.open_groups_by_district().get(books.district, ()):
        if (g.kind in (GroupKind.FORMAL_CHARITY, GroupKind.COMMUNITY_GROUP)
                and g.lio_support_until <= model.day):
            income = g.annual_funding * (1.0 - g.funding_cut)
            if income <= 0 or g.balance < income * months / 12.0:
                out.append((g.balance / income if income > 0 else -1.0, g.index, g))
    expected = [g for *_, g in sorted(out, key=lambda x: (x[0], x[1]))]
    assert books._struggling_groups() == expected
    assert 2 < len(expected) < len(groups) and groups[0] in expected and groups[1] in expected


def test_places_kept_after_the_groups_day_are_those_each_group_would_work_out():
    """After the groups' day every running group's cached places (filled from one compiled
    call, ``strain._keep_places``) are what ``_compute_capacity`` gives, day after day through
    a lockdown, closures and a funding cut; the next day's referrals read them."""
    cfg = sim.compose(["topology=county", "topology.n_residents=12000", "run.seed=6",
                       "scenario=[lockdown,funding_loss]", "run.days=120", "run.burn_in_days=0",
                       "run.allow_late_events=true"])
    model = CommunityModel(cfg)
    checked = 0
    for _ in range(120):
        model.step()
        for g in model.running_groups()[0]:
            if g._capacity_epoch == model.capacity_epoch and not g.distanced:
                kept = (g._capacity, g._capacity_lost)
                assert kept == (g._compute_capacity(), g._capacity_lost), g.name
                checked += 1
    assert checked > 120 * 15


def test_places_kept_when_a_group_closes_for_want_of_staff_and_volunteers():
    """A group left with no paid staff and no trained volunteers closes in the groups' day;
    the places then kept for the other running groups (worked out afresh, ``_keep_places``)
    are what each works out itself, and the closed group is no longer among them."""
    from sim.state import VolunteerState

    model = CommunityModel(sim.configure(topology="urban", **{"run.days": 30,
                                                             "run.burn_in_days": 0}))
    for _ in range(5):
        model.step()
    running = model.running_groups()[0]
    g = next(g for g in running if g.params.staff_fte > 0 and g.kind.value != "mutual_aid")
    g.staff_fte = 0.0
    g.staff_changes = []
    pop = model.pop
    pop.vstate[(pop.vorg == g.index) & (pop.vstate >= VolunteerState.APPLIED)] = (
        VolunteerState.LAPSED)
    model.step()
    assert not g.is_open and g.closure_reason == "no_staff_or_volunteers"
    after = model.running_groups()[0]
    assert g not in after and len(after) == len(running) - 1
    assert g._capacity_epoch != model.capacity_epoch  # no places kept for it
    for h in after:
        if not h.distanced:
            assert h._capacity_epoch == model.capacity_epoch, h.name
            assert (h._capacity, h._capacity_lost) == (h._compute_capacity(), h._capacity_lost)
