"""A synthetic English county at any size, built through the place-table path.

``topology=county`` makes a place table and a practice table in memory from a few parameters
(``topology.n_residents``, ``topology.rural_share`` and the ``topology.county_*`` keys) and
builds them with :func:`sim.topology.places.build_places`, exactly as a user's own tables are
built. The small areas are sampled from a template table of small areas
(``topology.county_area_file``, by default the shipped synthetic example county,
docs/places.md), so every area's age and sex structure, limitation, households and digital
access is a plausible LSOA-shaped row. The template's own ``district`` and ``pcn`` columns
are not read (:func:`sim.topology.places.read_area_template`): this module assigns every
area's district and PCN itself, once.

1. **Settlements.** ``round(n * rural_share)`` residents live in villages (rural areas); of
   the urban residents a **county town** holds ``round(n * county_town_share)`` (capped at the
   urban residents) and the rest live in **market towns**.
2. **Districts** (places, local authorities; 002:97). A county town of at least half of
   ``county_district_residents`` is a district of its own (a city council, as Oxford in
   Oxfordshire) and the rest of the county is split into ``max(1, round(rest /
   county_district_residents))`` districts of market towns and villages; a smaller county town
   sits in the first of ``max(1, round(n / county_district_residents))`` districts. The
   residents outside the county town are shared among those districts by a Dirichlet split
   (concentration ``county_district_size_concentration``: districts of unequal size), each
   with the same share of villages among those residents (whole numbers by largest
   remainder).
3. **Market towns**: each district's market-town residents form ``max(1, round(them /
   county_market_town_residents))`` towns, sized by a Dirichlet split (concentration
   ``county_market_town_size_concentration``); the district's villages are shared among its
   towns (the county town too, if it is in the district) in proportion to their residents.
4. **Areas**: each settlement's residents fill ``max(1, round(residents / mean template
   area))`` areas, sampled county-wide from the template's rows of the same kind in the
   template's IMD-decile mix (whole numbers by largest remainder, rows drawn at random within
   each decile, then shuffled and dealt to the settlements): the county town from the
   template's ``settlement_type`` ``city`` rows (deprivation spread over all deciles, the
   most deprived included), market towns from its ``town`` rows (a template without the
   column: its urban rows for both), villages from its rural rows. Each settlement's rows are
   rescaled so its residents add up exactly (households in proportion, kept between
   population / 8 and the population).
5. **Primary care networks** (neighbourhoods; 002:97): per district, the number of PCNs (at
   least one) whose size comes nearest ``county_pcn_residents``, so PCNs are 0.75-1.25 times
   it (30,000-50,000 at the default) whenever the district's size allows; contiguous blocks
   (by residents) of the district's areas in the order town, then its villages (a market town
   with its villages; the county town cut into parts).
6. **Practices**: ``max(1, round(PCN residents / county_practice_list_size))`` per PCN, list
   sizes adding up to the PCN's residents (a Dirichlet split with concentration
   ``county_list_size_concentration``), each based in one of the PCN's urban areas (a rural
   PCN: any area); the PCN's link-worker FTE (``PCN residents /
   county_patients_per_link_worker_fte`` in half posts, at least one post) sits with its
   largest practices, one post each.
7. **Parish councils** acting as hubs in an emergency: in each rural area with chance
   ``county_share_rural_parish_council`` (none in urban areas).

The place table made here carries two more columns for reading results: ``settlement`` (the
county town, a market town, or a town's villages) and ``settlement_type`` (``city``, ``town``,
``villages``). Everything is drawn from the topology generator given, so one seed decides the
county; the work is linear in the number of residents (the template is a few hundred rows).
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
    read_area_template,
)

AREA_KEY = "topology.county_area_file"


def _template(t: TopologyParams) -> pd.DataFrame:
    """The template of small areas, checked as a user's place table is (without its
    ``district`` and ``pcn`` columns), with urban and rural rows present for each kind the
    county needs."""
    areas = read_area_template(t.county_area_file, AREA_KEY)
    n_rural = int(round(t.n_residents * t.rural_share))
    for is_rural, need in ((False, t.n_residents - n_rural), (True, n_rural)):
        if need > 0 and not (areas["rural"] == is_rural).any():
            kind = "rural" if is_rural else "urban"
            raise ConfigError(AREA_KEY, f"{t.county_area_file}: column 'rural_urban' has no "
                                        f"{kind} area to sample, but the county needs {need:,} "
                                        f"{kind} residents (topology.rural_share="
                                        f"{t.rural_share:g})")
    return areas


def _pool(template: pd.DataFrame, kind: str) -> pd.DataFrame:
    """The template rows a settlement of ``kind`` samples: rural rows for villages; for the
    county town (market towns) the urban rows of ``settlement_type`` city (town), or all urban
    rows if the template has no such rows."""
    rural = template["rural"].to_numpy()
    if kind == "villages":
        return template[rural].reset_index(drop=True)
    urban = template[~rural]
    if "settlement_type" in urban.columns:
        typed = urban[urban["settlement_type"] == kind]
        if len(typed):
            return typed.reset_index(drop=True)
    return urban.reset_index(drop=True)


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


MIN_PART_OF_MEAN = 0.25
"""Floor of a district's or market town's share, as a fraction of the mean share (an
assumption): a Dirichlet split at a low concentration can otherwise leave a district of a few
hundred residents with its own LIO, council and trust, or a "town" of one. At the default
concentrations the floor is never reached (it changes nothing there)."""


def _split(total: int, k: int, concentration: float, rng: np.random.Generator) -> np.ndarray:
    """``total`` shared among ``k`` parts by a Dirichlet split (whole numbers by largest
    remainder; a single part takes all). A share below :data:`MIN_PART_OF_MEAN` of the mean
    is raised to it, and the other shares scaled down to make room."""
    if k <= 1:
        return np.array([total], np.int64)
    shares = rng.dirichlet(np.full(k, concentration))
    floor = MIN_PART_OF_MEAN / k
    low = shares < floor
    if low.any():
        shares = np.where(low, floor, shares * (1 - floor * low.sum()) / shares[~low].sum())
    return _largest_remainder(total, shares)


def pcn_count(residents: int, per_pcn: int) -> int:
    """PCNs in a district: the number (at least one) whose PCNs come nearest ``per_pcn``
    residents each (ties to the fewer), so they are 0.75-1.25 times ``per_pcn`` whenever any
    number of PCNs can be."""
    x = residents / per_pcn
    lo = max(1, int(np.floor(x)))
    return min((lo, lo + 1), key=lambda k: abs(residents / k - per_pcn))


def settlements(t: TopologyParams, rng: np.random.Generator) -> pd.DataFrame:
    """The county's settlements (steps 1-3 of the module docstring): one row each with
    ``district`` (0, 1, ...), ``kind`` (city, town, villages), ``name``, ``residents`` and,
    for villages, ``town`` (the row of the settlement they belong to)."""
    n = t.n_residents
    n_rural = int(round(n * t.rural_share))
    n_town = min(int(round(n * t.county_town_share)), n - n_rural)
    rest = n - n_town
    own = n_town >= t.county_district_residents / 2 and n_town > 0
    if own:
        k = max(1, int(round(rest / t.county_district_residents))) if rest else 0
        first = 1
    else:
        k = max(1, int(round(n / t.county_district_residents)))
        first = 0
    sizes = _split(rest, k, t.county_district_size_concentration, rng) if k else []
    villages = _largest_remainder(n_rural, np.asarray(sizes, float)) if k else []
    rows: list[dict] = []
    if n_town:
        rows.append({"district": 0, "kind": "city", "name": "County town",
                     "residents": n_town, "town": -1})
    n_market = 0
    for j in range(k):
        d = first + j
        towns = [r for r in range(len(rows)) if rows[r]["district"] == d]
        market = int(sizes[j]) - int(villages[j])
        if market > 0:
            m = max(1, int(round(market / t.county_market_town_residents)))
            for size in _split(market, m, t.county_market_town_size_concentration, rng):
                if size > 0:
                    n_market += 1
                    towns.append(len(rows))
                    rows.append({"district": d, "kind": "town",
                                 "name": f"Market town {n_market}", "residents": int(size),
                                 "town": -1})
        if villages[j] > 0:  # shared among the district's towns by their residents
            weights = np.array([rows[r]["residents"] for r in towns], float)
            share = (_largest_remainder(int(villages[j]), weights) if towns
                     else np.array([int(villages[j])]))
            for r, v in zip(towns or [-1], share.tolist(), strict=True):
                if v > 0:
                    name = f"{rows[r]['name']} villages" if r >= 0 else f"District {d + 1} villages"
                    rows.append({"district": d, "kind": "villages", "name": name,
                                 "residents": int(v), "town": r})
    return pd.DataFrame(rows)


def make_county_tables(t: TopologyParams, rng: np.random.Generator) -> PlaceTables:
    """The county's place and practice tables (see the module docstring)."""
    template = _template(t)
    places = settlements(t, rng)
    # districts are numbered in order of first appearance, without gaps
    used = list(dict.fromkeys(places["district"].tolist()))
    places["district"] = places["district"].map({d: k for k, d in enumerate(used)})
    names = [f"District {d + 1}" for d in range(len(used))]

    # areas: per kind, sampled county-wide in the template's decile mix, dealt to settlements
    blocks: dict[int, pd.DataFrame] = {}
    for kind in ("city", "town", "villages"):
        rows = places.index[places["kind"] == kind]
        if len(rows) == 0:
            continue
        pool = _pool(template, kind)
        mean_area = float(pool["population"].mean())
        k = [max(1, int(round(places.at[r, "residents"] / mean_area))) for r in rows]
        picks = _sample_rows(pool, int(sum(k)), rng)
        start = 0
        for r, kr in zip(rows, k, strict=True):
            block = _rescale(pool.iloc[picks[start:start + kr]].reset_index(drop=True),
                             int(places.at[r, "residents"]))
            block["settlement"] = places.at[r, "name"]
            block["settlement_type"] = kind
            blocks[int(r)] = block
            start += kr

    # each district's areas: each town followed by its villages, cut into PCNs of about
    # county_pcn_residents; areas labelled in that order
    ordered = []
    for d, name in enumerate(names):
        mine = places.index[places["district"] == d].tolist()
        order = [r for r in mine if places.at[r, "kind"] != "villages"]
        order = [x for r in order for x in
                 (r, *(v for v in mine if places.at[v, "town"] == r))]
        order += [v for v in mine if v not in order]  # villages of a district without towns
        block = pd.concat([blocks[r] for r in order], ignore_index=True)
        block["district"] = name
        pop = block["population"].to_numpy()
        k_pcn = pcn_count(int(pop.sum()), t.county_pcn_residents)
        edges = np.cumsum(pop) / pop.sum() * k_pcn
        pcn = np.minimum(np.floor(edges - 1e-9).astype(int), k_pcn - 1)
        block["pcn"] = [f"{name} PCN {p + 1}" for p in pcn]
        ordered.append(block)
    areas = pd.concat(ordered, ignore_index=True)
    areas["area"] = [f"CTY{k + 1:05d}" for k in range(len(areas))]
    areas["parish_council"] = (areas["rural"].to_numpy()
                               & (rng.random(len(areas)) < t.county_share_rural_parish_council))
    keep = ["area", "district", "pcn", "rural_urban", *POP_COLUMNS, "population", "imd_decile",
            "rural", "share_limited_a_little", "share_limited_a_lot", "share_digital",
            "households", "parish_council", "settlement", "settlement_type"]
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
