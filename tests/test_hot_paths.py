"""The faster forms of hot-path code compute what the plain forms they replaced computed."""

from __future__ import annotations

import json

import numpy as np
import pytest

import sim
from sim import kernels
from sim.agents.organisations import GroupKind, weighted_choice
from sim.model import CommunityModel
from sim.rng import Streams, pick_index
from sim.state import NEED, PATHWAY, VSTATE, Need, Pathway, VolunteerState
from sim.topology.builders import canonical_edges


def test_codes_are_the_enum_values_as_plain_ints():
    for codes, enum in ((NEED, Need), (PATHWAY, Pathway), (VSTATE, VolunteerState)):
        assert len(codes) == len(enum) and list(codes) == [int(m) for m in enum]
        for member in enum:
            value = getattr(codes, member.name)
            assert type(value) is int and value == member
    arr = np.array([0, 1, 2, 3, 5], np.int8)
    assert ((arr >= PATHWAY.GROUP) == (arr >= Pathway.GROUP)).all()
    assert (arr >= PATHWAY.GROUP).dtype == bool


def test_weighted_choice_matches_cumsum_searchsorted():
    weights_rng = np.random.default_rng(3)
    a, b = np.random.default_rng(9), np.random.default_rng(9)
    for _ in range(2000):
        w = weights_rng.integers(1, 40, size=weights_rng.integers(1, 12)) + 1.0
        if weights_rng.random() < 0.5:
            w = w ** 1.7
        c = np.cumsum(w)
        expected = int(np.searchsorted(c, a.random() * c[-1], side="right"))
        assert weighted_choice(b, w if weights_rng.random() < 0.5 else w.tolist()) == expected


def test_canonical_edges_match_unique():
    rng = np.random.default_rng(1)
    n = 500
    edges = rng.integers(0, n, size=(4000, 2))
    lo, hi = np.minimum(edges[:, 0], edges[:, 1]), np.maximum(edges[:, 0], edges[:, 1])
    key = np.unique(lo[lo != hi] * n + hi[lo != hi])
    np.testing.assert_array_equal(canonical_edges(edges, n), np.stack([key // n, key % n], 1))
    assert canonical_edges(np.zeros((0, 2), np.int64), n).shape == (0, 2)
    assert canonical_edges(np.array([[3, 3]]), n).shape == (0, 2)


def test_named_streams_are_the_same_generators_by_attribute_and_key():
    s = Streams(5)
    gen = s.need
    assert s.need is gen is s["need"]
    assert Streams(5).need.random() == Streams(5)["need"].random()


def test_unit_flags_and_intermediaries_match_their_definitions():
    cfg = sim.compose(["topology=county", "topology.n_residents=6000", "run.days=5",
                       "intermediaries.hub_signposts_per_day=3"])
    model = CommunityModel(cfg)
    model.run(3)

    def check():
        model.refresh_unit_flags()
        for u in range(len(model.units)):
            naive = [h for h in model.intermediaries if h.unit in (u, -1)]
            assert model.intermediaries_for(u) == naive
            groups = [g for g in (*model.groups_by_unit.get(u, ()),
                                  *model.groups_by_unit.get(model.place_key_of_unit[u], ()))
                      if g.is_open and not g.distanced and g.kind is not GroupKind.LIO]
            assert model.unit_has_groups[u] == float(bool(groups))
            assert model.unit_has_intermediary[u] == float(
                any(h.daily_capacity() > 0 for h in naive))

    check()
    hub = model.add_intermediary("locality_officer", 0)
    assert hub in model.intermediaries_for(0) and hub not in model.intermediaries_for(1)
    model.remove_intermediary(hub)
    assert hub not in model.intermediaries_for(0)
    for g in model.groups_by_unit.get(0, ()):
        g.distanced = True
    check()
    assert model.unit_has_groups[0] == 1.0  # place-level groups still reach unit 0


def _give_support(model, residents, pathway) -> None:
    """Put ``residents`` (no need today) on ``pathway`` with every need level and every kind
    of provider (none, a listed group, an unlisted one), some poorly fitting, some disruptive,
    their groups' places taken."""
    pop = model.pop
    listed = [g.index for g in model.open_groups() if g.on_directory and g.kind is not
              GroupKind.LIO]
    unlisted = [g.index for g in model.open_groups() if not g.on_directory] or listed
    for k, i in enumerate(residents):
        pop.need[i] = 1 + k % 3
        pop.pathway[i] = pathway
        pop.provider[i] = [-1, listed[k % len(listed)], unlisted[k % len(unlisted)]][(k // 3) % 3]
        pop.poor_fit[i] = k % 4 == 1
        pop.disruptive[i] = pop.provider[i] >= 0 and k % 5 == 2
        if pop.provider[i] >= 0:
            model.organisations[pop.provider[i]].n_clients += 1
            model.organisations[pop.provider[i]].n_disruptive += int(pop.disruptive[i])


def test_complete_one_matches_complete_support_of_one():
    """A link worker's client completing support (scalar steps) ends as the one-element
    array form did: the same need, pathway, group places, draws, flows and onward referrals."""
    import copy

    from sim.processes import need

    cfg = sim.compose(["run.days=30", "run.burn_in_days=20", "run.resident_agents=false",
                       "need.p_resolve_on_completion=0.5",
                       "need.p_resolve_complex_on_completion=0.3",
                       "help_seeking.p_vcse_onward_referral=0.6"])
    base = CommunityModel(cfg)
    base.run(5)
    pop = base.pop
    residents = np.flatnonzero(pop.need == 0)[:60].tolist()
    _give_support(base, residents, Pathway.LINK_WORKER)
    cases = len(residents)
    chosen = np.flatnonzero(pop.pathway == Pathway.LINK_WORKER)[-cases:]
    a, b = copy.deepcopy(base), copy.deepcopy(base)
    a.flows, b.flows = {}, {}
    for k, i in enumerate(chosen.tolist()):
        factor = 1.0 if k % 2 else 0.7
        need.complete_support(a, np.array([i]), factor)
        need.complete_one(b, i, factor)
    for name in ("need", "pathway", "provider", "poor_fit", "disruptive", "lw_referrals"):
        np.testing.assert_array_equal(getattr(a.pop, name), getattr(b.pop, name), name)
    assert a.flows == b.flows and a.flows["new_support_completed"] == cases
    assert 0 < a.flows["new_need_resolved_by_support"] < cases
    assert a.flows.get("new_referrals_vcse", 0) > 0  # onward referrals happened
    assert [(g.n_clients, g.n_disruptive) for g in a.groups] == [
        (g.n_clients, g.n_disruptive) for g in b.groups]
    for stream in ("support_outcome", "groups"):
        assert a.streams[stream].random() == b.streams[stream].random()


def test_ties_dropped_through_the_index_are_every_tie_of_the_agent():
    """A removed intermediary, an ending post and a closing group lose exactly the ties the
    former pass over all ties removed (``{t for t in ties if uid not in t}``)."""
    cfg = sim.compose(["run.days=5", "run.burn_in_days=5", "run.resident_agents=false"])
    model = CommunityModel(cfg)  # urban: a locality officer tied to the link workers
    gp = next(gp for gp in model.gp_practices if gp.vcse_ties)
    group = model.organisations[gp.vcse_ties[0]]
    model.remove_tie(gp, group)  # a lapsed tie leaves the index too
    assert frozenset((gp.unique_id, group.unique_id)) not in model._cross_ties
    assert group.unique_id not in {u for t in model._ties_of.get(gp.unique_id, ()) for u in t}
    model.add_tie(gp, group)  # formed again (practices keep few ties: a group needs one below)
    assert group.unique_id in {u for t in model._ties_of[gp.unique_id] for u in t}

    def tied(agents):
        return next(a for a in agents if model._ties_of.get(a.unique_id))

    for pick, end in ((lambda: tied(model.intermediaries), model.remove_intermediary),
                      (lambda: tied(model.link_workers), model.withdraw_link_worker),
                      (lambda: tied(model.open_groups()), lambda g: g.close("churn"))):
        agent = pick()
        if hasattr(agent, "hand_back_ties"):  # an officer's ties fall on the practices first,
            agent.hand_back_ties()  # some end (tests/test_health_and_intermediaries.py)
        expected = {t for t in model._cross_ties if agent.unique_id not in t}
        assert expected != model._cross_ties
        end(agent)
        assert model._cross_ties == expected
        assert agent.unique_id not in model._ties_of
        assert set().union(*model._ties_of.values()) == model._cross_ties
    model.run(3)


def test_group_client_index_gives_each_groups_clients_in_resident_order():
    from sim import kernels

    cfg = sim.compose(["topology=county", "topology.n_residents=8000", "run.days=120",
                       "groups.p_closure_per_year=1.0"])  # closures release clients
    model = CommunityModel(cfg)
    for _ in range(4):
        model.run(30)
        pop = model.pop
        assert (pop.provider >= 0).sum() > 0  # groups support someone
        for g in range(len(model.organisations)):
            expected = np.flatnonzero(pop.provider == g)
            clients = model.clients_of(g)
            np.testing.assert_array_equal(clients, expected)
            # the clients in group support, as the pass over the population found them
            np.testing.assert_array_equal(
                clients[pop.pathway[clients] == Pathway.GROUP],
                kernels.org_members(pop.provider, pop.pathway, g, Pathway.GROUP, Pathway.GROUP))
    assert model.flows is not None and sum(not g.is_open for g in model.groups) > 0
    # compacted: the index holds about as many rows as the groups' current clients
    held = sum(len(rows) - 1 for rows in model._group_clients.values())
    assert held <= 2 * int((model.pop.provider >= 0).sum()) + 64 * len(model._group_clients)


def test_mutual_aid_units_include_every_unit_where_a_group_may_form():
    model = CommunityModel(sim.compose(["topology=county", "topology.n_residents=20000",
                                        "run.days=1"]))
    n = len(model.units)
    assert n >= 5
    rng = np.random.default_rng(4)
    for trial in range(300):
        form = rng.choice([0.0, 1e-17, 6e-17, 1e-9, 0.01, 0.2, 0.9, 1.0], n)
        form = np.where(rng.random(n) < 0.5, form, rng.random(n) * 0.3).tolist()
        slots = rng.integers(1, 25, n).tolist()
        draws = np.where(rng.random(n) < 0.2, rng.random(n) * 1e-12, rng.random(n)).tolist()
        mags = {int(k): [] for k in rng.choice(n, min(int(rng.integers(0, 3)), n), replace=False)}
        visited = [u.index for u in model._mutual_aid_units(mags, draws, form, slots)]
        assert visited == sorted(set(visited))  # in unit order, each once
        for k in range(n):
            forms = any(draws[k] < 1.0 - (1.0 - form[k]) ** free
                        for free in range(1, slots[k] + 1))
            if forms or k in mags:
                assert k in visited, (trial, k)


def test_batched_support_completion_is_one_at_a_time_in_order():
    """need.complete_support over many residents at once (one compiled pass, the places
    released by group, the listed check only for onward candidates) leaves everything as
    need.complete_one for each in turn: arrays, groups' places, flows and both streams."""
    import copy

    from sim.processes import need

    cfg = sim.compose(["topology=urban", "run.burn_in_days=0", "run.days=30",
                       "help_seeking.p_vcse_onward_referral=0.6"])
    base = CommunityModel(cfg)
    base.run(5)
    chosen = np.flatnonzero(base.pop.need == 0)[:90]
    _give_support(base, chosen.tolist(), Pathway.GROUP)
    factor = np.where(np.arange(chosen.size) % 2 == 0, 0.7, 1.0)
    a, b = copy.deepcopy(base), copy.deepcopy(base)
    a.flows, b.flows = {}, {}
    need.complete_support(a, chosen, factor)
    for i, f in zip(chosen.tolist(), factor.tolist(), strict=True):
        need.complete_one(b, i, f)
    for name in ("need", "pathway", "provider", "poor_fit", "disruptive", "lw_referrals"):
        np.testing.assert_array_equal(getattr(a.pop, name), getattr(b.pop, name), name)
    assert a.flows == b.flows and a.flows["new_support_completed"] == chosen.size
    assert 0 < a.flows["new_need_resolved_by_support"] < chosen.size
    assert a.flows.get("new_referrals_vcse", 0) > 0  # onward referrals happened
    assert [(g.n_clients, g.n_disruptive) for g in a.groups] == [
        (g.n_clients, g.n_disruptive) for g in b.groups]
    assert sum(g.n_disruptive for g in base.groups) > sum(g.n_disruptive for g in a.groups)
    for g in a.groups:  # the batched pass lowered the columns; the attributes follow them
        assert (g.n_clients, g.n_disruptive) == (a.group_state.n_clients[g.index],
                                                 a.group_state.n_disruptive[g.index])
    for stream in ("support_outcome", "groups"):
        assert a.streams[stream].random() == b.streams[stream].random()
    need.complete_support(a, chosen[:0])  # nobody: nothing drawn, nothing counted
    assert a.flows == b.flows


def test_help_seeking_phases_select_among_the_residents_in_need_as_a_full_pass_would(
        monkeypatch):
    """seek_help, routine_consultations and statutory_referrals pick their residents from one
    list of the residents in need made before take_gp_advice: every day, in a county with
    advice to see the GP, hubs and closures, and in a village with a lockdown, each
    selection equals a pass over the whole population at the moment it is made. The groups'
    phase counts fresh unmet need by unit among the same list (mutual aid), later in the
    day: the counts equal a pass over everyone then."""
    from sim import kernels
    from sim.processes import help_seeking

    checked = []
    real = kernels.rows_in_need_and_pathway

    def checked_rows(rows, need, pathway, need_min, pathway_max):
        got = real(rows, need, pathway, need_min, pathway_max)
        np.testing.assert_array_equal(
            got, kernels.need_and_pathway(need, pathway, need_min, pathway_max))
        checked.append((need_min, pathway_max, got.size))
        return got

    monkeypatch.setattr(kernels, "rows_in_need_and_pathway", checked_rows)
    chosen = kernels.chosen_in_need_and_pathway

    def checked_chosen(stream, rows, need, pathway, need_min, pathway_max, p):
        # the statutory referrals' selection and draws in one pass: the selection it draws
        # for, at that moment, is a full pass's
        checked_rows(rows, need, pathway, need_min, pathway_max)
        return chosen(stream, rows, need, pathway, need_min, pathway_max, p)

    monkeypatch.setattr(kernels, "chosen_in_need_and_pathway", checked_chosen)
    routine = help_seeking.routine_consultations

    def checked_routine(model, in_need=None):  # takes the shared list as it is
        np.testing.assert_array_equal(
            in_need, kernels.need_and_pathway(model.pop.need, model.pop.pathway, Need.LOW,
                                              max(Pathway)))
        checked.append((Need.LOW, max(Pathway), in_need.size))
        return routine(model, in_need)

    monkeypatch.setattr(help_seeking, "routine_consultations", checked_routine)
    seekers_today = kernels.help_seekers_today

    def checked_seekers(stream, in_need, need, pathway, need_min, waiting, *rest):
        # the shared list as a full pass gives it; the compiled selection among it is
        # rows_in_need_and_pathway's (tests/test_kernels.py checks it against numpy)
        np.testing.assert_array_equal(
            in_need, kernels.need_and_pathway(need, pathway, Need.LOW, max(Pathway)))
        checked.append((need_min, waiting, kernels.need_and_pathway(
            need, pathway, need_min, waiting).size))
        return seekers_today(stream, in_need, need, pathway, need_min, waiting, *rest)

    monkeypatch.setattr(kernels, "help_seekers_today", checked_seekers)
    fresh_among = kernels.count_fresh_unmet_among
    fresh_counts = []

    def checked_fresh(rows, need, pathway, need_onset, unit, waiting, since, n_units):
        got = fresh_among(rows, need, pathway, need_onset, unit, waiting, since, n_units)
        np.testing.assert_array_equal(got, kernels.count_fresh_unmet(
            need, pathway, need_onset, unit, waiting, since, n_units))
        fresh_counts.append(int(got.sum()))
        return got

    monkeypatch.setattr(kernels, "count_fresh_unmet_among", checked_fresh)
    for overrides in (["topology=county", "topology.n_residents=8000", "run.days=120",
                       "groups.p_closure_per_year=1.0", "run.burn_in_days=0",
                       "intermediaries.hub_signposts_per_day=3"],
                      ["topology=rural", "scenario=lockdown", "run.days=120",
                       "run.burn_in_days=0", "intermediaries.p_unplaced_sent_to_gp=1",
                       "run.allow_late_events=true",
                       "need.p_hidden=0.9"]):
        model = CommunityModel(sim.compose(overrides))
        model.run(120)
    kinds = {(lo, hi) for lo, hi, _ in checked}
    assert kinds == {(Need.LOW, Pathway.WAITING), (Need.LOW, max(Pathway)),
                     (Need.MODERATE, Pathway.NONE)}
    assert len(checked) == 3 * 2 * 120  # each phase, every day
    assert len(fresh_counts) == 2 * 120 and sum(fresh_counts) > 0
    assert sum(size for *_, size in checked) > 0
    assert help_seeking.residents_in_need(model).size == int((model.pop.need > 0).sum())


def test_rolls_of_groups_hold_their_volunteers_and_clients():
    """What a closure or a mutual aid fold releases is found among _rolls_of: every
    volunteer from applied to idle whose organisation it is, and every client."""
    cfg = sim.compose(["topology=county", "topology.n_residents=20000", "run.days=150",
                       "groups.p_closure_per_year=1.0"])
    model = CommunityModel(cfg)
    model.run(150)
    pop = model.pop
    groups = [g.index for g in model.open_groups()]
    assert any(g.kind is GroupKind.MUTUAL_AID for g in model.open_groups())
    on_roll, clients = model._rolls_of(groups)
    for g in groups:
        state = pop.vstate
        members = np.flatnonzero((pop.vorg == g) & (state >= VolunteerState.APPLIED)
                                 & (state <= VolunteerState.IDLE))
        rows = on_roll.get(g, np.zeros(0, np.int64))
        np.testing.assert_array_equal(rows[(state[rows] >= VolunteerState.APPLIED)
                                           & (state[rows] <= VolunteerState.IDLE)], members)
        assert (pop.vorg[rows] == g).all()
        np.testing.assert_array_equal(clients[g], np.flatnonzero(pop.provider == g))
    assert sum(r.size for r in on_roll.values()) > 0
    assert sum(c.size for c in clients.values()) > 0
    assert model._rolls_of([]) == ({}, {})


def test_need_pass_follows_its_streams_when_they_are_replaced():
    """The need pass draws through handles to the model's need streams (kept beside the
    model): streams replaced (a new ``Streams``) give new handles, and the day draws from the
    new streams as a twin of them would, not from the old ones' memory."""
    from sim.processes import need

    model = CommunityModel(sim.compose(["run.days=3", "run.burn_in_days=0"]))
    model.step()
    first = kernels.model_stream_handles(model, need._NEED_STREAMS)
    # made once while the streams stand
    assert kernels.model_stream_handles(model, need._NEED_STREAMS) is first
    model.streams = Streams(99)
    twin = Streams(99)
    model.step()
    n = model.pop.n
    for name in ("need", "need_domain", "need_course"):
        twin[name].random(n, dtype=np.float32)  # what the day drew from each
        assert model.streams[name].random() == twin[name].random(), name
    handles = kernels.model_stream_handles(model, need._NEED_STREAMS)
    assert handles is not first
    for h, name in zip(handles, ("need", "need_domain", "need_course"), strict=True):
        np.testing.assert_array_equal(h, kernels.stream_handle(model.streams[name]))


def test_stream_handles_stay_each_models_own_when_models_take_turns():
    """The handles of the model asked about last are found without the weak dictionary:
    two models asked in turn each get their own streams' handles (the same objects every time
    while their streams stand), and a model made after another is dropped gets its own."""
    import gc

    from sim.processes import need

    a = CommunityModel(sim.compose(["run.days=2", "run.burn_in_days=0"]))
    b = CommunityModel(sim.compose(["run.days=2", "run.burn_in_days=0", "run.seed=7"]))
    first_a = kernels.model_stream_handles(a, need._NEED_STREAMS)
    first_b = kernels.model_stream_handles(b, need._NEED_STREAMS)
    for _ in range(3):
        assert kernels.model_stream_handles(a, need._NEED_STREAMS) is first_a
        assert kernels.model_stream_handles(b, need._NEED_STREAMS) is first_b
    for model, handles in ((a, first_a), (b, first_b)):
        for h, name in zip(handles, need._NEED_STREAMS, strict=True):
            np.testing.assert_array_equal(h, kernels.stream_handle(model.streams[name]))
    del a, b, first_a, first_b
    gc.collect()
    c = CommunityModel(sim.compose(["run.days=2", "run.burn_in_days=0", "run.seed=8"]))
    for h, name in zip(kernels.model_stream_handles(c, need._NEED_STREAMS), need._NEED_STREAMS,
                       strict=True):
        np.testing.assert_array_equal(h, kernels.stream_handle(c.streams[name]))


def test_pick_index_draws_as_integers_and_leaves_the_stream_where_integers_does():
    """One option takes no draw (``integers(1)``): the shortcut must leave the stream where
    ``integers`` leaves it, for every count of options. Up to 2**32 options the pick is a
    compiled Lemire draw through the generator's handle (``kernels.index_below``): numpy's
    value and state, from a kept half word or none, for bounds where the rejection step
    matters (just above a power of two, near 2**32), 2**32 itself, beyond (numpy's own
    call), and none (numpy's error)."""
    for n in (1, 1, 2, 3, 1, 7, 1, 2**20):
        ours, theirs = np.random.default_rng(11), np.random.default_rng(11)
        picks = [pick_index(ours, n) for _ in range(50)]
        assert picks == [int(theirs.integers(n)) for _ in range(50)]
        assert all(0 <= k < n for k in picks)
        assert ours.random() == theirs.random()  # the streams in the same place after
    bounds = [2, 3, 7, 1000, 2**31 + 1, 3 * 2**30, 2**32 - 1, 2**32, 2**32 + 1, 1, 5, 6]
    for seed in (0, 1, 20201, 2**63 + 5):
        for start in (0, 1):  # float32 draws before: a half word kept or not
            ours, theirs = (np.random.Generator(np.random.PCG64(seed)) for _ in range(2))
            ours.random(start, dtype=np.float32)
            theirs.random(start, dtype=np.float32)
            for n in bounds * 20:
                assert pick_index(ours, n) == int(theirs.integers(n))
            assert ours.bit_generator.state == theirs.bit_generator.state
    with pytest.raises(ValueError):
        pick_index(np.random.default_rng(1), 0)
    # the kept handles stay few however many generators come and go
    for k in range(kernels._MAX_GENERATOR_HANDLES + 10):
        pick_index(np.random.default_rng(k), 3)
    assert len(kernels._GENERATOR_HANDLES) <= kernels._MAX_GENERATOR_HANDLES


CHOICES = [(1, 1), (2, 1), (2, 2), (3, 3), (7, 3), (10, 10), (100, 1), (100, 37), (2000, 5),
           (10_000, 9_999), (10_000, 10_000), (10_001, 200), (150_000, 3_000), (2**31 + 5, 3)]


@pytest.mark.parametrize("start", [0, 1])  # float32 draws before: a half word kept or not
@pytest.mark.parametrize("seed", [0, 1, 20201, 2**63 + 5])
def test_compiled_choice_and_permutation_draw_as_numpy(seed, start):
    """``kernels.choice_ranks`` is ``rng.choice(n, size=k, replace=False)`` wherever numpy
    takes Floyd's algorithm (``floyd_applies``: every case here but the tail shuffle of a
    large draw from over 10,000, which stays numpy's), ``kernels.permuted`` is
    ``rng.permutation`` of a 1-d array, and ``latent_applicants`` is the applications'
    sorted choice, rows and uniforms: the same values in the same order, the stream left in
    the same state (a kept half word included), for sizes where the set's collisions, a
    choice of everything and the shuffle's rejections all occur."""
    def pair():
        gens = [np.random.Generator(np.random.PCG64(seed)) for _ in range(2)]
        for g in gens:
            g.random(start, dtype=np.float32)
        return gens
    assert not kernels.floyd_applies(150_000, 3_001) and not kernels.floyd_applies(5, 0)
    assert not kernels.floyd_applies(3, 4) and not kernels.floyd_applies(2**32 + 1, 1)
    for n, k in CHOICES:
        ours, theirs = pair()
        assert kernels.floyd_applies(n, k)
        got = kernels.choice_ranks(kernels.generator_handle(ours), n, k)
        np.testing.assert_array_equal(got, theirs.choice(n, size=k, replace=False))
        assert ours.bit_generator.state == theirs.bit_generator.state
    for n in (0, 1, 2, 3, 17, 1000, 70_000):
        ours, theirs = pair()
        values = np.arange(n, dtype=np.int64) * 3 + 1
        got = kernels.permuted(kernels.generator_handle(ours), values)
        np.testing.assert_array_equal(got, theirs.permutation(values))
        np.testing.assert_array_equal(values, np.arange(n, dtype=np.int64) * 3 + 1)  # a copy
        assert ours.bit_generator.state == theirs.bit_generator.state
    codes = np.random.default_rng(seed % 1000).integers(0, 4, 20_001).astype(np.int8)
    n_code = int((codes == 1).sum())
    for k in (1, 2, 50, n_code // 50):
        ours, theirs = pair()
        rows, draws = kernels.latent_applicants(kernels.generator_handle(ours), codes, 1,
                                                n_code, k)
        at = np.sort(theirs.choice(n_code, size=k, replace=False))
        np.testing.assert_array_equal(rows, np.flatnonzero(codes == 1)[at])
        np.testing.assert_array_equal(draws, theirs.random(k))
        assert ours.bit_generator.state == theirs.bit_generator.state


def test_compiled_choice_does_not_change_a_run(monkeypatch):
    """The applications, a mutual aid group's founders and its outreach order draw through the
    compiled choice and permutation (each is called in this run); the same run with numpy's
    calls instead gives the same outputs."""
    cfg = sim.compose(["topology=urban", "run.days=160", "run.burn_in_days=0", "run.seed=5",
                       "volunteers.p_apply_per_day=0.003", "scenario=lockdown"])
    calls = {"latent_applicants": 0, "choice_ranks": 0, "permuted": 0}

    def counted(name):
        compiled = getattr(kernels, name)

        def call(*args):
            calls[name] += 1
            return compiled(*args)
        return call
    with monkeypatch.context() as patched:
        for name in calls:
            patched.setattr(kernels, name, counted(name))
        compiled = sim.run(cfg)
    assert all(calls.values()), calls
    handles = {}
    real_handle = kernels.generator_handle

    def handle(rng):
        h = real_handle(rng)
        handles[id(h)] = rng
        return h
    monkeypatch.setattr(kernels, "floyd_applies", lambda n, k: False)  # numpy's choice
    monkeypatch.setattr(kernels, "generator_handle", handle)
    monkeypatch.setattr(kernels, "permuted", lambda h, values: handles[id(h)].permutation(values))
    plain = sim.run(cfg)
    assert json.dumps(compiled.summary, sort_keys=True, default=str) == json.dumps(
        plain.summary, sort_keys=True, default=str)  # (NaN is not equal to itself)
    assert compiled.timeseries.equals(plain.timeseries)


def test_open_mutual_aid_by_unit_is_a_fresh_scan_while_groups_form_and_fold():
    """The kept open mutual aid groups by unit (the daily pass, their reach and rolls) are
    what a pass over the open groups finds, each unit's in group order, every day while
    groups form and fold; the same dict is handed out while the open groups stand."""
    cfg = sim.compose(["topology=county", "topology.n_residents=20000", "run.days=60",
                       "run.burn_in_days=0", "scenario=flood"])
    model = CommunityModel(cfg)
    seen_mags, changes = set(), 0
    for _ in range(60):
        model.step()
        fresh: dict[int, list] = {}
        for g in model.open_groups():
            if g.kind is GroupKind.MUTUAL_AID:
                fresh.setdefault(g.unit, []).append(g)
        kept = model._open_mutual_aid_by_unit()
        assert {k: [g.index for g in v] for k, v in kept.items()} == {
            k: [g.index for g in v] for k, v in fresh.items()}
        assert model._open_mutual_aid_by_unit() is kept
        now = {g.index for v in kept.values() for g in v}
        changes += now != seen_mags
        seen_mags = now
    assert changes >= 3  # groups formed or folded on several days


def test_consultations_in_turn_are_the_calls_one_by_one():
    """help_seeking.consult_in_turn (the consultations that lead nowhere in one compiled
    pass, stopping at each referral or signposting) leaves everything as
    GPPractice.consult_nonmedical for each resident in turn: the arrays, the link workers'
    inboxes, the groups' clients, the practices' counts and ties in use, the advised set, the
    flows and the streams. A group that takes a complex client without inclusion capacity
    loses its other members, whose pathway is then none: those later in the list consult
    when their turn comes, as they do one by one."""
    import copy

    from sim.processes import help_seeking

    cfg = sim.compose(["topology=urban", "run.burn_in_days=0", "run.days=60",
                       "gp.p_signpost_tied_group=0.8",
                       "groups.p_accept_complex_without_inclusion=1.0",
                       "groups.p_member_leaves_on_disruption=1.0"])
    base = CommunityModel(cfg)
    base.run(20)
    pop = base.pop
    first, second = base.gp_practices[:2]
    small = next(g for g in base.open_groups() if g.kind is GroupKind.COMMUNITY_GROUP
                 and not g.params.accepts_complex and g.n_clients > 0)
    second.vcse_ties = [small.index]  # one tie: the group is signposted without a pick
    second.ties_changed()
    assert len(first.open_ties()) > 1 and second.open_ties() == [small.index]
    first.engagement_level, second.engagement_level = 0.3, 0.1
    free = np.flatnonzero(pop.pathway == Pathway.NONE)
    complex_at_second = free[pop.gp[free] == second.index][:25]
    pop.need[complex_at_second] = Need.COMPLEX
    members = np.flatnonzero((pop.provider == small.index) & (pop.pathway == Pathway.GROUP))
    others = free[pop.gp[free] == first.index][:80]
    raised = np.concatenate([complex_at_second, members, others]).astype(np.int64)
    base.gp_advised.update(raised[::3].tolist())
    a, b = copy.deepcopy(base), copy.deepcopy(base)
    a.flows, b.flows = {}, {}
    help_seeking.consult_in_turn(a, raised)
    for i in raised.tolist():
        if b.pop.pathway[i] == Pathway.NONE:
            b.gp_practices[b.pop.gp[i]].consult_nonmedical(i)
    for name in ("need", "pathway", "provider", "matched", "until", "lw_referrals",
                 "lw_from_gp", "lw_warm", "disruptive", "first_support"):
        np.testing.assert_array_equal(getattr(a.pop, name), getattr(b.pop, name), name)
    assert a.flows == b.flows
    assert a.flows["new_lw_referrals"] > 0 and a.flows["new_health_to_vcse_referrals"] > 0
    assert a.flows["new_group_members_left_disruption"] > 0  # members left, then consulted
    consulted = [gp.n_nonmedical - old.n_nonmedical
                 for gp, old in zip(a.gp_practices, base.gp_practices, strict=True)]
    assert consulted == [gp.n_nonmedical - old.n_nonmedical
                         for gp, old in zip(b.gp_practices, base.gp_practices, strict=True)]
    assert sum(consulted) > int((pop.pathway[raised] == Pathway.NONE).sum())
    assert [list(lw.inbox) for lw in a.link_workers] == [list(lw.inbox) for lw in b.link_workers]
    assert [g.n_clients for g in a.groups] == [g.n_clients for g in b.groups]
    assert a.tie_last_use == b.tie_last_use and a.gp_advised == b.gp_advised
    assert a.gp_advised < base.gp_advised
    for stream in ("gp", "groups", "group_strain"):
        assert a.streams[stream].random() == b.streams[stream].random()


def _route_both_ways(monkeypatch, overrides, compiled_from, *, complex_share=0.0,
                     channels=(0, 1, 2, 3, 4), online=False, expect_waiting=False,
                     before_route=lambda: None):
    """Route 172 seekers of a model run 25 days both through help_seeking.route_in_turn (with
    COMPILED_ROUTING_FROM ``compiled_from``) and one by one by their channels, from the same
    state; returns the two models (everything is compared by the caller)."""
    import copy

    from sim.processes import help_seeking

    cfg = sim.compose(["run.burn_in_days=0", "run.days=60", "gp.p_signpost_tied_group=0.7",
                       *overrides])
    base = CommunityModel(cfg)
    base.run(25)
    pop = base.pop
    for gp in base.gp_practices:
        gp.engagement_level = 0.25
    rng = np.random.default_rng(5)
    free = np.flatnonzero(pop.pathway == Pathway.NONE)
    seekers = np.sort(rng.choice(free, min(160, free.size), replace=False)).astype(np.int64)
    if complex_share:  # complex needs: a group without inclusion capacity may be disrupted
        pop.need[seekers[rng.random(seekers.size) < complex_share]] = Need.COMPLEX
    waiting = np.flatnonzero(pop.pathway == Pathway.WAITING)[:6]
    busy = np.flatnonzero(pop.pathway > Pathway.WAITING)[:6]
    seekers = np.concatenate([seekers, waiting, busy]).astype(np.int64)
    choice = rng.choice(np.array(channels, np.int64), seekers.size)
    if 2 in channels:
        choice[::4] = 2  # plenty of ties asked, most with nobody free
        helpers = pop.adjacency.indices[pop.adjacency.indptr[seekers[0]]:
                                        pop.adjacency.indptr[seekers[0] + 1]]
        pop.vstate[helpers] = VSTATE.ACTIVE  # one seeker whose ties have time
        pop.vhours_offer[helpers], pop.vhours_used[helpers] = 10.0, 0.0
        choice[0] = 2
    trained = (pop.vstate == VSTATE.ACTIVE) | (pop.vstate == VSTATE.IDLE)
    pop.vapplied_day[trained] = 3  # a first task since applying is counted with its days
    pop.goodwill[trained] = 1.99  # goodwill after a task stops at 2
    if 0 in channels:
        choice[-12:] = 0  # the waiting and the busy see the GP: the former's consultation ends
    if expect_waiting:  # at the pathway check, the latter are passed over
        assert waiting.size and busy.size
    base.gp_advised.update(seekers[::5].tolist())
    if online:
        base.groups[0].online = True
    a, b = copy.deepcopy(base), copy.deepcopy(base)
    a.flows, b.flows = {}, {}
    monkeypatch.setattr(help_seeking, "COMPILED_ROUTING_FROM", compiled_from)
    before_route()
    help_seeking.route_in_turn(a, seekers, choice, a.streams.help_seeking)
    h_rng = b.streams.help_seeking
    for i, c in zip(seekers.tolist(), choice.tolist(), strict=True):
        if b.pop.pathway[i] > Pathway.WAITING:
            continue
        if c == 0:
            b.count("new_gp_consultations")
            b.count("new_gp_consultations_nonmedical")
            b.gp_practices[b.pop.gp[i]].consult_nonmedical(i)
        elif c == 1:
            b.pop.self_referred[i] = True
            b.refer_to_link_worker(i, "self")
        elif c == 2:
            help_seeking.ask_ties(b, i, h_rng)
        elif c == 3:
            help_seeking.approach_group(b, i, h_rng)
        else:
            for hub in b.intermediaries_for(int(b.pop.unit[i])):
                if hub.signpost(i):
                    break
    for name in ("need", "pathway", "provider", "matched", "until", "lw_referrals",
                 "self_referred", "vhours_used", "vlast_task", "first_support",
                 "ever_supported", "turned_away", "lw_referred_day", "lw_warm", "lw_from_gp",
                 "vstate", "vapplied_day", "goodwill", "disruptive"):
        np.testing.assert_array_equal(getattr(a.pop, name), getattr(b.pop, name), name)
    assert a.flows == b.flows
    assert {k: type(v) for k, v in a.flows.items()} == {k: type(v) for k, v in b.flows.items()}
    assert [gp.n_nonmedical for gp in a.gp_practices] == [
        gp.n_nonmedical for gp in b.gp_practices]
    assert [gp.out_gp_referrals for gp in a.gp_practices] == [
        gp.out_gp_referrals for gp in b.gp_practices]
    assert [list(lw.inbox) for lw in a.link_workers] == [list(lw.inbox) for lw in b.link_workers]
    for attr in ("n_clients", "n_disruptive", "disruption", "turned_away_today"):
        assert [getattr(g, attr) for g in a.groups] == [getattr(g, attr) for g in b.groups]
    assert [a.clients_of(g.index).tolist() for g in a.groups] == [
        b.clients_of(g.index).tolist() for g in b.groups]
    assert a.tie_last_use == b.tie_last_use and a.gp_advised == b.gp_advised
    assert list(a.tie_last_use) == list(b.tie_last_use)
    assert a.joint_cases_today == b.joint_cases_today
    for attr in ("capacity_left", "n_signposted"):
        assert [getattr(h, attr) for h in a.intermediaries] == [
            getattr(h, attr) for h in b.intermediaries]
    assert [getattr(h, "hours_left", None) for h in a.intermediaries] == [
        getattr(h, "hours_left", None) for h in b.intermediaries]
    for stream in ("gp", "help_seeking", "groups", "intermediaries", "group_strain"):
        assert a.streams[stream].random() == b.streams[stream].random()
    return a, b


@pytest.mark.parametrize("compiled_from", [0, 10**9])
def test_seekers_routed_in_turn_are_routed_one_by_one(monkeypatch, compiled_from):
    """help_seeking.route_in_turn (every route in one compiled call, kernels.route_seekers,
    or one by one below COMPILED_ROUTING_FROM seekers) leaves everything as routing each
    seeker by its channel in turn did: every channel, seekers past waiting passed over,
    waiting seekers (whose consultation ends at the pathway check), ties with and without
    time, groups approached and intermediaries' signposting."""
    a, _ = _route_both_ways(monkeypatch, ["topology=urban"], compiled_from,
                            expect_waiting=True)
    for flow in ("new_gp_consultations", "new_lw_referrals", "new_group_referrals",
                 "new_informal_help", "new_referrals_gp", "new_referrals_self",
                 "new_vol_hours", "new_vol_first_tasks", "sum_vol_days_to_first_task",
                 "new_signposted_locality_officer", "new_lo_hours_signposting",
                 "new_health_to_vcse_referrals", "new_referrals_signposting"):
        assert a.flows.get(flow, 0) > 0, flow


def test_compiled_routing_stops_at_a_disruption_and_in_a_village(monkeypatch):
    """The compiled routes where they stop and in the village: complex needs placed in
    groups without inclusion capacity (the disruption, other members leaving, and the rest
    of the route, Python's, then the pass goes on), parish councils (no health tie: the
    unplaced sent on to their GP), rural residents reaching town groups less often; and the
    whole pass passed over (one by one) on a day a group works online."""
    from sim.processes import help_seeking

    a, _ = _route_both_ways(monkeypatch, ["topology=urban",
                                          "groups.p_accept_complex_without_inclusion=1.0",
                                          "groups.p_member_leaves_on_disruption=0.5"],
                            0, complex_share=0.6, channels=(0, 3, 4))
    assert a.flows.get("new_group_disruptions", 0) > 0
    assert a.flows.get("new_group_members_left_disruption", 0) > 0
    a, _ = _route_both_ways(monkeypatch, ["topology=rural", "gp.p_signpost_tied_group=0.7",
                                          "intermediaries.p_unplaced_sent_to_gp=0.6"],
                            0, channels=(0, 1, 3, 4))
    assert a.flows.get("new_signposted_parish_council", 0) > 0
    assert a.flows.get("new_sent_on_to_gp", 0) > 0
    assert help_seeking._compiled_routes(a) is not None
    calls, compiled = [], kernels.route_seekers
    monkeypatch.setattr(kernels, "route_seekers",
                        lambda *args: calls.append(args) or compiled(*args))
    a, _ = _route_both_ways(monkeypatch, ["topology=urban"], 0, online=True,
                            before_route=calls.clear)
    assert help_seeking._compiled_routes(a) is None and not calls


@pytest.mark.parametrize("topology, key", [
    ("urban", "help_seeking.p_informal_help_per_helper"),
    ("urban", "gp.p_signpost_tied_group"),
    ("urban", "help_seeking.p_vcse_onward_referral"),
    ("urban", "groups.p_accept_complex_without_inclusion"),
    ("rural", "intermediaries.pc_ties_to_health"),
])
def test_compiled_routing_reads_parameters_assigned_without_an_event(monkeypatch, topology,
                                                                    key):
    """A parameter assigned on model.cfg mid-run (no event) acts on the compiled routes from
    the next day, as on the Python routes: the two give the same days."""
    from sim.processes import help_seeking

    def days(compiled_from):
        monkeypatch.setattr(help_seeking, "COMPILED_ROUTING_FROM", compiled_from)
        m = CommunityModel(sim.compose([f"topology={topology}", "run.burn_in_days=30",
                                        "run.days=40"]))
        m.run(3)
        help_seeking._compiled_routes(m)  # what is kept is made before the change
        section, name = key.split(".")
        old = getattr(getattr(m.cfg, section), name)
        setattr(getattr(m.cfg, section), name, (not old) if isinstance(old, bool) else 1.0)
        assert help_seeking._compiled_routes(m)[1].tolist() == [
            h.has_health_tie() for h in m.intermediaries]
        m.run(12)
        return m.timeseries()

    compiled, one_by_one = days(0), days(10**9)
    assert compiled.equals(one_by_one)


@pytest.mark.parametrize("overrides", [
    ["topology=urban", "scenario=funding_loss", "run.days=120", "run.burn_in_days=84"],
    ["topology=urban", "scenario=lockdown", "run.days=60", "run.burn_in_days=28",
     "run.allow_late_events=true"],
    ["topology=county", "topology.n_residents=6000", "run.days=30", "run.burn_in_days=28",
     "groups.reserve_floor_months=6", "groups.community_group.cost_per_client_day=4"]])
def test_groups_with_room_are_the_reachable_groups_whose_has_room_is_true(overrides):
    """``model.groups_with_room`` (one compiled pass over the columns) is the reachable groups
    whose ``has_room()`` is true, in their order, day after day: through closures, funding
    cuts, suspensions and disruptions, and with money short of places; neither changes a
    cached capacity the other reads (asked in both orders)."""
    model = CommunityModel(sim.compose(overrides))
    units = range(len(model.units))
    seen_room = seen_full = 0
    while model.running:
        model.step()
        for unit in units:
            compiled = model.groups_with_room(unit)
            plain = [g for g in model.open_groups_reachable(unit) if g.has_room()]
            assert compiled == plain, (model.day, unit)
            assert model.groups_with_room(unit) == compiled
            seen_room += len(plain)
            seen_full += len(model.open_groups_reachable(unit)) - len(plain)
    assert seen_room > 0 and seen_full > 0  # both answers were met
