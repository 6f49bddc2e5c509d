"""Draw the synthetic population (demographics, GP registration, volunteering willingness)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from sim import kernels
from sim.params import Config
from sim.state import Population, VolunteerState
from sim.topology import Topology


def adjacency(edges: np.ndarray, n: int) -> sp.csr_matrix:
    """Symmetric 0/1 CSR adjacency from unique (i < j) edges, each row's neighbours in
    increasing order. Edges sorted as ``canonical_edges`` gives them (every topology's) are
    laid out in one compiled pass (``kernels.symmetric_csr``; the arrays scipy's COO
    conversion gives, index dtype included, at a fraction of its time for millions of ties);
    others go through scipy."""
    if edges.size == 0:
        return sp.csr_matrix((n, n), dtype=np.int8)
    nnz = 2 * edges.shape[0]
    index_dtype = np.int32 if max(nnz, n) <= np.iinfo(np.int32).max else np.int64
    indices = np.empty(nnz, index_dtype)
    indptr = kernels.symmetric_csr(np.ascontiguousarray(edges, np.int64), n, indices)
    if indptr.size == n + 1:
        return sp.csr_matrix((np.ones(nnz, np.int8), indices, indptr.astype(index_dtype)),
                             shape=(n, n))
    rows = np.concatenate([edges[:, 0], edges[:, 1]])
    cols = np.concatenate([edges[:, 1], edges[:, 0]])
    data = np.ones(rows.size, np.int8)
    return sp.csr_matrix((data, (rows, cols)), shape=(n, n))


def _column(table: pd.DataFrame | None, name: str):
    if table is not None and name in table.columns:
        return table[name].to_numpy()
    return None


def build_population(topo: Topology, cfg: Config, rng: np.random.Generator,
                     gp_of_unit: list[list[int]]) -> Population:
    """Demographics per resident; ``gp_of_unit[u]`` lists the practice indices of unit u.

    Assumptions (no seed figure): ages of children uniform 0-15 and adults 16 + gamma with the
    configured mean; day-to-day limitation twice as likely at 65+; digital exclusion higher at 65+;
    deprivation is the unit's quintile, one quintile either way for a fifth of residents.
    """
    p = cfg.population
    n = topo.n
    table = topo.table
    unit_q = np.array([u.params.deprivation_quintile for u in topo.units], np.int8)
    unit_rural = np.array([u.params.rural for u in topo.units], bool)

    child = rng.random(n) < p.share_children
    adult_age = 16 + rng.gamma(2.2, (p.mean_age_adult - 16) / 2.2, size=n)
    age = np.where(child, rng.integers(0, 16, size=n), np.minimum(adult_age, 100))
    female = rng.random(n) < p.share_female
    old = age >= 65
    u = rng.random(n)
    scale = np.where(old, 2.0, 1.0)
    lim = np.where(u < p.p_limitation_a_lot * scale, 2,
                   np.where(u < (p.p_limitation_a_lot + p.p_limitation_a_little) * scale, 1, 0))
    digital = rng.random(n) >= np.where(old, p.p_digitally_excluded_65plus,
                                        p.p_digitally_excluded)
    shift = rng.choice(np.array([-1, 0, 0, 0, 0, 0, 0, 0, 0, 1]), size=n)
    deprivation = np.clip(unit_q[topo.unit_of] + shift, 1, 5)
    rural = unit_rural[topo.unit_of]
    gp = np.empty(n, np.int32)
    for unit in topo.units:
        practices = np.asarray(gp_of_unit[unit.index], np.int32)
        size = unit.n_residents
        gp[unit.start:unit.stop] = practices[rng.permutation(size) % practices.size]
    willing = (rng.random(n) < cfg.volunteers.latent_share) & (age >= 16)
    goodwill = np.clip(1.0 + cfg.volunteers.goodwill_sd * rng.standard_normal(n), 0.2, 2.0)

    # user-supplied columns override the draws
    if (col := _column(table, "age")) is not None:
        age = col.astype(float)
    if (col := _column(table, "female")) is not None:
        female = col.astype(bool)
    elif (col := _column(table, "sex")) is not None:
        female = pd.Series(col).astype(str).str.upper().eq("F").to_numpy()
    if (col := _column(table, "deprivation")) is not None:
        deprivation = col.astype(int)
    if (col := _column(table, "limitation")) is not None:
        lim = col.astype(int)
    if (col := _column(table, "digital")) is not None:
        digital = col.astype(bool)
    if (col := _column(table, "rural")) is not None:
        rural = col.astype(bool)
    if (col := _column(table, "gp_practice")) is not None:
        gp = _gp_from_labels(pd.Series(col).astype(str), topo, gp_of_unit)
    if topo.gp is not None:  # places topology: registered by the area's practice shares
        gp = topo.gp.astype(np.int32)

    pop = Population(
        unit=topo.unit_of.astype(np.int32), household=topo.household.astype(np.int32),
        age=np.asarray(age).astype(np.int16), female=np.asarray(female, bool),
        deprivation=np.asarray(deprivation, np.int8), limitation=np.asarray(lim, np.int8),
        digital=np.asarray(digital, bool), rural=np.asarray(rural, bool), gp=gp,
        adjacency=adjacency(topo.edges, n),
    )
    pop.vstate[willing] = VolunteerState.LATENT
    pop.goodwill[:] = goodwill
    return pop


def _gp_from_labels(labels: pd.Series, topo: Topology, gp_of_unit: list[list[int]]) -> np.ndarray:
    """Map practice labels to practice indices, unit by unit, in order of first appearance."""
    gp = np.empty(len(labels), np.int32)
    for unit in topo.units:
        lab = labels.iloc[unit.start:unit.stop]
        codes, _ = pd.factorize(lab)
        gp[unit.start:unit.stop] = np.asarray(gp_of_unit[unit.index], np.int32)[codes]
    return gp
