"""Topologies: the built-in urban, rural and county networks, and a user's own graph (GraphML or
edge list) with a population table (CSV or Parquet)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
from support import small_config, write_world

from sim.model import CommunityModel
from sim.topology.builders import MAX_HOUSEHOLD


def check_edges(model: CommunityModel) -> None:
    e = model.edges
    assert (e[:, 0] < e[:, 1]).all()  # canonical: no self-loops, i < j
    assert len(np.unique(e, axis=0)) == len(e)  # no duplicates
    assert e.max() < model.pop.n


def test_urban_estate():
    model = CommunityModel(small_config("urban", days=1))
    pop = model.pop
    assert pop.n == 600 and len(model.units) == 1 and not pop.rural.any()
    check_edges(model)
    assert np.bincount(pop.household).max() <= MAX_HOUSEHOLD
    assert pop.degree.mean() > 4  # dense, clustered ties
    assert len(model.gp_practices) == 2 and all(gp.link_workers for gp in model.gp_practices)
    assert any(type(h).__name__ == "LocalityOfficer" for h in model.intermediaries)


def test_rural_village():
    model = CommunityModel(small_config("rural", days=1))
    pop = model.pop
    assert pop.n == 380 and pop.rural.all()
    check_edges(model)
    (gp,) = model.gp_practices
    assert gp.distance_miles == 6.0  # off site (000:87)
    assert any(type(h).__name__ == "ParishCouncil" for h in model.intermediaries)
    assert not any(type(h).__name__ == "LocalityOfficer" for h in model.intermediaries)
    assert gp.vcse_ties == [] or all(model.organisations[g].unit == -1 for g in gp.vcse_ties)


def test_legacy_county_units_and_shared_rural_practices():
    cfg = small_config("county_legacy", days=1, topology__n_residents=5000,
                       topology__urban__n_residents=1500, topology__rural_share=0.3,
                       topology__parishes_per_practice=2)
    model = CommunityModel(cfg)
    pop = model.pop
    assert pop.n == 5000
    rural_units = [u for u in model.units if u.params.rural]
    urban_units = [u for u in model.units if not u.params.rural]
    assert sum(u.n_residents for u in rural_units) == 1500 == pop.rural.sum()
    assert len(urban_units) == 3 and len(rural_units) == 4
    # contiguous, non-overlapping residents per unit
    assert [u.start for u in model.units] == [0, *[u.stop for u in model.units[:-1]]]
    assert (pop.unit[np.r_[[u.start for u in model.units]]] == np.arange(len(model.units))).all()
    # neighbouring parishes share one off-site practice, two by two
    practices = [model.practices_of_unit[u.index] for u in rural_units]
    assert practices[0] == practices[1] != practices[2] == practices[3]
    check_edges(model)
    crossing = pop.unit[model.edges[:, 0]] != pop.unit[model.edges[:, 1]]
    assert 0 < crossing.sum() < 0.1 * len(model.edges)  # a few ties between units


def test_graphml_and_parquet_load_like_an_edge_list_and_csv(tmp_path, tiny_world):
    edges = [(0, 1), (1, 2), (2, 0), (3, 4), (5, 1)]
    columns = {"unit": ["a", "a", "a", "b", "b", "b"], "household": [1, 1, 2, 3, 3, 4],
               "gp_practice": ["P1", "P1", "P2", "P3", "P3", "P3"],
               "age": [10, 30, 70, 45, 80, 55], "sex": ["F", "M", "F", "M", "F", "X"]}
    csv_cfg = tiny_world(n=6, edges=edges, columns=columns)
    graph_file, people = write_world(tmp_path / "other", 6, edges, columns)
    graphml = tmp_path / "ties.graphml"
    nx.write_graphml(nx.read_edgelist(graph_file), graphml)
    parquet = tmp_path / "people.parquet"
    pd.read_csv(people).to_parquet(parquet)
    pq_cfg = tiny_world(n=6, edges=edges, columns=columns, topology__graph_file=str(graphml),
                        topology__population_file=str(parquet))
    a, b = CommunityModel(csv_cfg), CommunityModel(pq_cfg)
    assert np.array_equal(a.edges, b.edges)
    for name in ("unit", "household", "age", "female", "gp"):
        assert np.array_equal(getattr(a.pop, name), getattr(b.pop, name)), name
    pop = a.pop
    assert [u.name for u in a.units] == ["a", "b"] and pop.unit.tolist() == [0, 0, 0, 1, 1, 1]
    assert pop.age.tolist() == [10, 30, 70, 45, 80, 55]
    assert pop.female.tolist() == [True, False, True, False, True, False]
    assert pop.household[0] == pop.household[1] != pop.household[2]
    assert len(a.gp_practices) == 3 and pop.gp[0] == pop.gp[1] != pop.gp[2]
    assert sorted(map(tuple, a.edges.tolist())) == [(0, 1), (0, 2), (1, 2), (1, 5), (3, 4)]


def test_household_cliques_are_every_pair_of_the_first_members():
    """``_unit_edges`` ties every pair of a household's members (of its first MAX_HOUSEHOLD),
    made for all households at once: the same ties as the pair-by-pair loop it replaced, in
    any order (the canonical edges sort them); it draws nothing (golden: byte-identical
    worlds)."""
    from sim.params import UnitParams
    from sim.topology import builders

    def cliques_by_loop(sizes):
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        parts = [np.zeros((0, 2), np.int64)]
        for a in range(builders.MAX_HOUSEHOLD):
            for b in range(a + 1, builders.MAX_HOUSEHOLD):
                h = np.flatnonzero(sizes > b)
                parts.append(np.stack([starts[h] + a, starts[h] + b], axis=1))
        return np.concatenate(parts)

    no_ring = UnitParams(ties_per_household=0, n_community_leaders=0)
    rng = np.random.default_rng(12)
    for trial in range(200):
        sizes = rng.integers(1, builders.MAX_HOUSEHOLD + 4, int(rng.integers(1, 60)))
        n = int(sizes.sum())
        edges, household = builders._unit_edges(no_ring, n, np.random.default_rng(trial),
                                                sizes=sizes)
        np.testing.assert_array_equal(builders.canonical_edges(edges, n),
                                      builders.canonical_edges(cliques_by_loop(sizes), n))
        np.testing.assert_array_equal(household, np.repeat(np.arange(sizes.size), sizes))


def test_canonical_edges_match_the_numpy_steps():
    """``canonical_edges`` (compiled key passes around numpy's sort) gives the pairs the numpy
    steps gave: self-loops dropped, each pair once as (i < j), sorted; int64 whatever the
    input's integer type. Mutant: keeping a self-loop, or a duplicate, fails."""
    from sim.topology import builders

    def by_numpy(edges, n):
        edges = edges.astype(np.int64)
        lo, hi = np.minimum(edges[:, 0], edges[:, 1]), np.maximum(edges[:, 0], edges[:, 1])
        key = np.unique(lo[lo != hi] * n + hi[lo != hi])
        return np.stack([key // n, key % n], axis=1)

    rng = np.random.default_rng(41)
    for trial in range(300):
        n = int(rng.integers(1, 80))
        dtype = (np.int64, np.int32, np.uint16)[trial % 3]
        edges = rng.integers(0, n, size=(int(rng.integers(1, 200)), 2)).astype(dtype)
        got = builders.canonical_edges(edges, n)
        assert got.dtype == np.int64 and got.shape[1] == 2
        np.testing.assert_array_equal(got, by_numpy(edges, n))
    assert builders.canonical_edges(np.zeros((0, 2), np.int64), 5).shape == (0, 2)
    assert builders.canonical_edges(np.array([[3, 3], [2, 2]]), 5).shape == (0, 2)


def test_adjacency_is_the_csr_scipy_builds():
    """The residents' adjacency laid out in one pass from canonical edges is the CSR matrix
    scipy builds from the symmetric pairs (row pointers, sorted neighbours, int8 ones, index
    dtypes); edges not in canonical form (unsorted, i > j) take scipy's route to the same
    matrix."""
    import scipy.sparse as sp

    from sim.population import adjacency
    from sim.topology import builders

    def by_scipy(edges, n):
        rows = np.concatenate([edges[:, 0], edges[:, 1]])
        cols = np.concatenate([edges[:, 1], edges[:, 0]])
        return sp.csr_matrix((np.ones(rows.size, np.int8), (rows, cols)), shape=(n, n))

    def same(a, b):
        for name in ("indptr", "indices", "data"):
            x, y = getattr(a, name), getattr(b, name)
            assert x.dtype == y.dtype and x.tobytes() == y.tobytes(), name
        assert a.shape == b.shape

    rng = np.random.default_rng(8)
    for _ in range(200):
        n = int(rng.integers(2, 70))
        edges = builders.canonical_edges(rng.integers(0, n, size=(int(rng.integers(1, 150)), 2)),
                                         n)
        if edges.size == 0:
            continue
        same(adjacency(edges, n), by_scipy(edges, n))
        shuffled = edges[rng.permutation(len(edges))][:, ::-1]  # not canonical
        same(adjacency(shuffled, n), by_scipy(shuffled, n))
    assert adjacency(np.zeros((0, 2), np.int64), 4).nnz == 0
