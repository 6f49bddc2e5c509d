"""Builders for the urban, rural and legacy county topologies (MODEL_BRIEF section 3); the
places topology is built by :mod:`sim.topology.places`, the county by :mod:`sim.topology.county`
through the same path."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim import kernels
from sim.params import ConfigError, PopulationParams, TopologyParams, UnitParams

MAX_HOUSEHOLD = 8


@dataclass
class UnitInfo:
    """One neighbourhood unit: an urban estate (PCN-sized) or a rural parish."""

    index: int
    name: str
    params: UnitParams
    start: int  # residents are contiguous: start .. stop-1
    stop: int

    @property
    def n_residents(self) -> int:
        return self.stop - self.start


@dataclass
class Topology:
    units: list[UnitInfo]
    unit_of: np.ndarray  # int32 per resident
    household: np.ndarray  # int32 per resident
    edges: np.ndarray  # int64 (E, 2), i < j, unique
    table: pd.DataFrame | None = None  # user population table (file topology), row i = resident i
    # places topology (sim.topology.places): the practices as the practice table gives them,
    # each resident's practice, the practices serving each unit, and the place table (one row
    # per unit); None for the other topologies, whose practices the model makes per unit
    gp: np.ndarray | None = None
    practices: list | None = None
    practices_of_unit: list[list[int]] | None = None
    areas: pd.DataFrame | None = None
    officers: list | None = None  # places: (home unit, units served) per locality officer
    organisations: pd.DataFrame | None = None  # places: the organisation table, if given

    @property
    def n(self) -> int:
        return int(self.unit_of.shape[0])


def _households(n: int, mean_size: float, rng: np.random.Generator) -> np.ndarray:
    """Household sizes (1 + Poisson) summing to exactly n."""
    lam = max(mean_size - 1.0, 0.0)
    sizes = np.minimum(1 + rng.poisson(lam, size=int(n / max(mean_size, 1.0)) + 16),
                       MAX_HOUSEHOLD)
    while sizes.sum() < n:
        sizes = np.concatenate([sizes, np.minimum(1 + rng.poisson(lam, size=16),
                                                  MAX_HOUSEHOLD)])
    cum = np.cumsum(sizes)
    k = int(np.searchsorted(cum, n))  # households 0..k needed
    sizes = sizes[: k + 1].copy()
    sizes[-1] -= int(cum[k] - n)
    return sizes[sizes > 0]


# the member pairs (a, b), a < b, of a household of MAX_HOUSEHOLD, by b then a: those of a
# household of s members are the first s (s - 1) / 2
_PAIR_B, _PAIR_A = (np.array(x, np.int64) for x in zip(*[(b, a) for b in range(MAX_HOUSEHOLD)
                                                           for a in range(b)], strict=True))


def _unit_edges(p: UnitParams, n: int, rng: np.random.Generator,
                sizes: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Household cliques, a small-world ring over households, and community-leader hubs;
    household ``sizes`` (adding up to n) are drawn when not given."""
    if sizes is None:
        sizes = _households(n, p.mean_household_size, rng)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    household = np.repeat(np.arange(sizes.size, dtype=np.int32), sizes)
    # every pair of members of each household (of its first MAX_HOUSEHOLD), all households
    # at once (no draws; the order of the pairs does not matter: canonical_edges sorts the
    # ties of the whole place)
    members = np.minimum(sizes, MAX_HOUSEHOLD).astype(np.int64)
    n_pairs = members * (members - 1) // 2
    in_clique = np.flatnonzero(n_pairs)
    parts = []
    if in_clique.size:
        counts = n_pairs[in_clique]
        owner = np.repeat(in_clique, counts)
        k = np.arange(owner.size) - np.repeat(np.cumsum(counts) - counts, counts)
        base = starts[owner]
        parts.append(np.stack([base + _PAIR_A[k], base + _PAIR_B[k]], axis=1))
    n_h = sizes.size
    half = p.ties_per_household // 2
    if n_h > 1 and half > 0:
        order = rng.permutation(n_h)
        src = np.repeat(order, half)
        offs = np.tile(np.arange(1, half + 1), n_h)
        dst = order[(np.repeat(np.arange(n_h), half) + offs) % n_h]
        rewire = rng.random(src.size) < p.p_rewire
        dst[rewire] = rng.integers(0, n_h, size=int(rewire.sum()))
        a = starts[src] + (rng.random(src.size) * sizes[src]).astype(np.int64)
        b = starts[dst] + (rng.random(dst.size) * sizes[dst]).astype(np.int64)
        parts.append(np.stack([a, b], axis=1))
    n_leaders = min(p.n_community_leaders, n)
    if n_leaders and p.leader_ties and n > 1:
        leaders = rng.choice(n, size=n_leaders, replace=False)
        a = np.repeat(leaders, p.leader_ties)
        b = rng.integers(0, n, size=a.size)
        parts.append(np.stack([a, b], axis=1))
    edges = np.concatenate(parts) if parts else np.zeros((0, 2), np.int64)
    return edges.astype(np.int64), household


def canonical_edges(edges: np.ndarray, n: int) -> np.ndarray:
    """Drop self-loops and duplicates; return sorted (i < j) pairs (int64, shape (m, 2)).
    The pairs' keys ``i * n + j`` are made in one compiled pass, sorted in place, and split
    back in another (``kernels.pair_keys``, ``kernels.pairs_of_sorted_keys``): at millions of
    ties, the temporaries of the numpy steps cost more in fresh memory than the sort."""
    if edges.size == 0:
        return np.zeros((0, 2), np.int64)
    edges = np.asarray(edges)
    if edges.dtype.kind not in "iu":
        edges = edges.astype(np.int64)
    keys = kernels.pair_keys(edges, n)
    keys.sort()
    return kernels.pairs_of_sorted_keys(keys, n)


def _unit_specs(t: TopologyParams) -> list[tuple[str, UnitParams, int]]:
    if t.kind == "urban":
        return [("urban-1", dataclasses.replace(t.urban, n_residents=t.n_residents), t.n_residents)]
    if t.kind == "rural":
        return [("rural-1", dataclasses.replace(t.rural_unit, n_residents=t.n_residents),
                 t.n_residents)]
    # county_legacy: rural parishes of the rural unit's size, urban neighbourhoods of the urban
    # size (the generator topology=county had before its place tables; kept for tests that
    # build small worlds from the unit templates)
    n_rural = int(round(t.n_residents * t.rural_share))
    n_parishes = int(round(n_rural / max(t.rural_unit.n_residents, 1))) if n_rural else 0
    if n_rural and n_parishes == 0:
        n_parishes = 1
    n_urban = t.n_residents - n_rural
    n_hoods = int(np.ceil(n_urban / max(t.urban.n_residents, 1))) if n_urban else 0
    specs = []
    for k, size in enumerate(_split(n_urban, n_hoods)):
        specs.append((f"urban-{k + 1}", t.urban, size))
    for k, size in enumerate(_split(n_rural, n_parishes)):
        specs.append((f"rural-{k + 1}", t.rural_unit, size))
    return specs


def _split(total: int, parts: int) -> list[int]:
    if parts <= 0:
        return []
    base, extra = divmod(total, parts)
    return [base + (1 if k < extra else 0) for k in range(parts)]


def build_topology(t: TopologyParams, rng: np.random.Generator,
                   inter_unit_tie_share: float = 0.02,
                   population: PopulationParams | None = None,
                   allow_large: bool = False) -> Topology:
    """Build the topology named by ``t.kind`` with generator ``rng`` (``population``: the
    population parameters a places topology weights digital exclusion by; ``allow_large``:
    ``run.allow_large``, for a places topology's table sizes)."""
    if t.kind == "file":
        from sim.topology.loaders import load_topology

        return load_topology(t)
    if t.kind == "places":
        from sim.topology.places import build_places

        return build_places(t, rng, inter_unit_tie_share, population, allow_large)
    if t.kind == "county":
        from sim.topology.county import make_county_tables
        from sim.topology.places import build_places

        return build_places(t, rng, inter_unit_tie_share, population, allow_large,
                            tables=make_county_tables(t, rng))
    units, unit_of, households, edge_parts = [], [], [], []
    offset, hh_offset = 0, 0
    for name, p, size in _unit_specs(t):
        if size < 1:
            continue
        key = "urban" if not p.rural else "rural_unit"
        if p.gp_practices > size:
            raise ConfigError(f"topology.{key}.gp_practices",
                              f"{p.gp_practices} practices for {size} residents would leave a "
                              "practice with no registered residents")
        edges, household = _unit_edges(p, size, rng)
        unit_of.append(np.full(size, len(units), np.int32))
        units.append(UnitInfo(len(units), name, p, offset, offset + size))
        households.append(household + hh_offset)
        edge_parts.append(edges + offset)
        offset += size
        hh_offset += int(household.max()) + 1
    n = offset
    unit_arr = np.concatenate(unit_of)
    if len(units) > 1 and inter_unit_tie_share > 0:
        m = int(n * inter_unit_tie_share)
        a = rng.integers(0, n, size=m)
        b = rng.integers(0, n, size=m)
        edge_parts.append(np.stack([a, b], axis=1))
    edges = canonical_edges(np.concatenate(edge_parts), n)
    return Topology(units, unit_arr, np.concatenate(households).astype(np.int32), edges)
