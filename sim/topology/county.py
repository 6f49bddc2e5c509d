"""A synthetic English county at any size, built through the place-table path.

``topology=county`` makes a place table and a practice table in memory from a few parameters
(``topology.n_residents``, ``topology.rural_share`` and the ``topology.county_*`` keys) and
builds them with :func:`sim.topology.places.build_places`, exactly as a user's own tables are
built. The small areas are sampled from a template place table (``topology.county_area_file``,
by default the shipped synthetic example county, docs/places.md), so every area's age and sex
structure, limitation, households and digital access is a plausible LSOA-shaped row:

1. **Districts** (places, local authorities; 002:97): ``max(1, round(n /
   county_district_residents))``, residents shared equally (largest remainder); each district
   has the county's rural share.
2. **Areas**: each district's urban (rural) residents fill ``max(1, round(residents / mean urban
   (rural) template area))`` areas. The county's urban areas take the template's urban rows in
   the template's IMD-decile mix (whole numbers by largest remainder, rows drawn at random within
   each decile, then shuffled and dealt to the districts), likewise the rural areas; the rows'
   people are then rescaled so every district's urban and rural residents add up exactly
   (households in proportion, kept between population / 8 and the population).
3. **Primary care networks** (neighbourhoods; 002:97): ``max(1, round(district residents /
   county_pcn_residents))`` per district, contiguous blocks of the district's areas in an order
   that interleaves its urban and rural areas (a market town with its villages).
4. **Practices**: ``max(1, round(PCN residents / county_practice_list_size))`` per PCN, list
   sizes adding up to the PCN's residents (a Dirichlet split with concentration
   ``county_list_size_concentration``), each based in one of the PCN's urban areas (a rural PCN:
   any area); the PCN's link-worker FTE (``PCN residents / county_patients_per_link_worker_fte``
   in half posts, at least one post) sits with its largest practices, one post each.
5. **Parish councils** acting as hubs in an emergency: in each rural area with chance
   ``county_share_rural_parish_council`` (none in urban areas).

Everything is drawn from the topology generator given, so one seed decides the county; the work
is linear in the number of residents (the template is a few hundred rows).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.params import ConfigError, TopologyParams
from sim.topology.builders import MAX_HOUSEHOLD
from sim.topology.places import (
    POP_COLUMNS,
    PlaceTables,
    _largest_remainder,
    posts_at_largest_practices,
    read_place_table,
)

AREA_KEY = "topology.county_area_file"


def _template(t: TopologyParams) -> pd.DataFrame:
    """The template place table, checked as a user's place table is, with urban and rural
    rows present for each kind the county needs."""
    try:
        areas = read_place_table(t.county_area_file)
    except ConfigError as exc:  # the same checks as a place table, named by this key
        raise ConfigError(AREA_KEY, str(exc)[len(exc.key) + 2:]) from None
    n_rural = int(round(t.n_residents * t.rural_share))
    for is_rural, need in ((False, t.n_residents - n_rural), (True, n_rural)):
        if need > 0 and not (areas["rural"] == is_rural).any():
            kind = "rural" if is_rural else "urban"
            raise ConfigError(AREA_KEY, f"{t.county_area_file}: column 'rural_urban' has no "
                                        f"{kind} area to sample, but the county needs {need:,} "
                                        f"{kind} residents (topology.rural_share="
                                        f"{t.rural_share:g})")
    return areas


def _sample_rows(pool: pd.DataFrame, k: int, rng: np.random.Generator) -> np.ndarray:
    """``k`` row positions of ``pool`` in the pool's IMD-decile mix (whole numbers by largest
    remainder), drawn at random within each decile, in random order."""
    deciles = pool["imd_decile"].to_numpy()
    values, counts = np.unique(deciles, return_counts=True)
    want = _largest_remainder(k, counts.astype(float))
    picks = []
    for value, m in zip(values, want, strict=True):
        rows = np.flatnonzero(deciles == value)
        if m:
            picks.append(rows[rng.integers(0, rows.size, size=int(m))])
    out = np.concatenate(picks) if picks else np.zeros(0, np.int64)
    return out[rng.permutation(out.size)]


def _rescale(rows: pd.DataFrame, total: int) -> pd.DataFrame:
    """The rows' residents by age band and sex rescaled to add up to exactly ``total`` (whole
    numbers by largest remainder; every row keeps at least one resident), households in
    proportion within [population / 8, population]."""
    rows = rows.copy()
    counts = rows[list(POP_COLUMNS)].to_numpy(np.int64)
    new = _largest_remainder(total, counts.ravel().astype(float)).reshape(counts.shape)
    pop = new.sum(axis=1)
    for r in np.flatnonzero(pop == 0):  # only when total < rows: take one from the largest
        donor = int(np.argmax(pop))
        col = int(np.argmax(new[donor]))
        new[donor, col] -= 1
        new[r, POP_COLUMNS.index("female_16_64")] += 1  # a woman of working age
        pop = new.sum(axis=1)
    for j, col in enumerate(POP_COLUMNS):
        rows[col] = new[:, j]
    old_pop = rows["population"].to_numpy()
    rows["population"] = pop
    hh = np.round(rows["households"].to_numpy() * pop / np.maximum(old_pop, 1)).astype(np.int64)
    rows["households"] = np.clip(hh, np.maximum(-(-pop // MAX_HOUSEHOLD), 1), pop)
    return rows


def _interleave(urban: list[int], rural: list[int]) -> list[int]:
    """Urban and rural areas merged evenly (each at its fractional position), so contiguous
    blocks hold a town with its villages."""
    keys = [((i + 0.5) / len(urban), 0, a) for i, a in enumerate(urban)]
    keys += [((i + 0.5) / len(rural), 1, a) for i, a in enumerate(rural)]
    return [a for _, _, a in sorted(keys)]


def make_county_tables(t: TopologyParams, rng: np.random.Generator) -> PlaceTables:
    """The county's place and practice tables (see the module docstring)."""
    template = _template(t)
    n = t.n_residents
    n_districts = max(1, int(round(n / t.county_district_residents)))
    district_pop = _largest_remainder(n, np.ones(n_districts))
    n_rural = np.array([int(round(d * t.rural_share)) for d in district_pop], np.int64)
    n_urban = district_pop - n_rural
    names = [f"District {d + 1}" for d in range(n_districts)]

    # areas: per kind, sampled county-wide in the template's decile mix, dealt to districts
    parts: list[pd.DataFrame] = []
    for is_rural, need in ((False, n_urban), (True, n_rural)):
        pool = template[template["rural"] == is_rural].reset_index(drop=True)
        if pool.empty:
            continue
        mean_area = float(pool["population"].mean())
        k = np.array([max(1, int(round(x / mean_area))) if x > 0 else 0 for x in need])
        picks = _sample_rows(pool, int(k.sum()), rng)
        start = 0
        for d in range(n_districts):
            if k[d] == 0:
                continue
            rows = _rescale(pool.iloc[picks[start:start + k[d]]].reset_index(drop=True),
                            int(need[d]))
            rows["district"] = names[d]
            parts.append(rows)
            start += int(k[d])
    drawn = pd.concat(parts, ignore_index=True)

    # each district's areas: urban and rural interleaved, cut into PCNs of about
    # county_pcn_residents; areas labelled in that order
    ordered = []
    for d, name in enumerate(names):
        rows = drawn.index[drawn["district"] == name]
        urban = [int(r) for r in rows if not drawn.at[r, "rural"]]
        rural = [int(r) for r in rows if drawn.at[r, "rural"]]
        order = _interleave(urban, rural)
        block = drawn.loc[order].reset_index(drop=True)
        k_pcn = max(1, int(round(int(district_pop[d]) / t.county_pcn_residents)))
        edges = np.cumsum(block["population"].to_numpy()) / block["population"].sum() * k_pcn
        pcn = np.minimum(np.floor(edges - 1e-9).astype(int), k_pcn - 1)
        block["pcn"] = [f"{name} PCN {p + 1}" for p in pcn]
        ordered.append(block)
    areas = pd.concat(ordered, ignore_index=True)
    areas["area"] = [f"CTY{k + 1:05d}" for k in range(len(areas))]
    areas["parish_council"] = (areas["rural"].to_numpy()
                               & (rng.random(len(areas)) < t.county_share_rural_parish_council))
    keep = ["area", "district", "pcn", "rural_urban", *POP_COLUMNS, "population", "imd_decile",
            "rural", "share_limited_a_little", "share_limited_a_lot", "share_digital",
            "households", "parish_council"]
    areas = areas[keep]
    return PlaceTables(areas, _practices(t, areas, rng), None)


def _practices(t: TopologyParams, areas: pd.DataFrame,
               rng: np.random.Generator) -> pd.DataFrame:
    """Practices per PCN with list sizes adding up to its residents and its link-worker posts
    at the largest practices."""
    rows = []
    for pcn, d in areas.groupby("pcn", sort=False):
        total = int(d["population"].sum())
        k = max(1, min(int(round(total / t.county_practice_list_size)), total))
        w = (rng.dirichlet(np.full(k, t.county_list_size_concentration)) if k > 1
             else np.ones(1))
        sizes = _largest_remainder(total, w)
        while (sizes == 0).any():  # a practice has patients: move one from the largest
            sizes[int(np.argmax(sizes))] -= 1
            sizes[int(np.flatnonzero(sizes == 0)[0])] += 1
        homes = d.loc[~d["rural"], "area"].tolist() or d["area"].tolist()
        fte_total = max(1.0, round(2 * total / t.county_patients_per_link_worker_fte) / 2)
        fte = posts_at_largest_practices(sizes, fte_total)
        where = rng.integers(0, len(homes), size=k)
        for j in range(k):
            rows.append({"practice": f"{pcn} GP {j + 1}", "pcn": pcn,
                         "area": homes[int(where[j])], "list_size": int(sizes[j]),
                         "link_worker_fte": float(fte[j])})
    return pd.DataFrame(rows)
