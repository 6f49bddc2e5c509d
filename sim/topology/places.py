"""Real places: a county or system built from a table of small areas and a table of practices.

Place table (``topology.place_file``, CSV or Parquet): one row per small area, the shape of an
LSOA table built from public statistics (docs/places.md):

- ``area`` (label, unique), ``district`` (label: the place, a local authority), ``pcn`` (label:
  the primary care network whose practices the area's residents register with);
- ``female_0_15``, ``female_16_64``, ``female_65_plus``, ``male_0_15``, ``male_16_64``,
  ``male_65_plus``: residents by age band and sex (whole numbers, at least one resident);
- ``imd_decile``: Index of Multiple Deprivation decile, 1 (most deprived) to 10;
- ``rural_urban``: ``urban`` or ``rural``, or an ONS 2011 rural-urban code (A1, B1, C1, C2 are
  urban; D1, D2, E1, E2, F1, F2 rural);
- ``share_limited_a_little``, ``share_limited_a_lot``: shares of residents whose day-to-day
  activities are limited (census), each 0-1 and together at most 1;
- ``households``: households in the area (at least population / 8, the model's largest
  household; at most the population);
- ``share_digital``: share of residents with digital access, 0-1;
- optional: ``formal_charities``, ``community_groups`` (counts of organisations in the area),
  ``locality_officer``, ``parish_council`` (true/false); ``council_prepared`` (true/false, the
  same in every area of a district: the district's council has a pre-agreed emergency
  volunteering plan, 003:95-109).

Practice table (``topology.practice_file``): ``practice`` (label, unique), ``pcn``, ``area`` (the
area the surgery is in: an ``area`` of the place table), ``list_size`` (whole number >= 1),
``link_worker_fte`` (>= 0). Every practice's PCN must be a PCN of the place table and every PCN
of the place table must have a practice.

Registration table (optional, ``topology.registration_file``): ``practice``, ``area``,
``patients`` (whole number >= 0), the shape of NHS Digital's "patients registered at a GP
practice" by LSOA file. Each area's residents are shared among the practices that list patients
there, in proportion; without it, among its PCN's practices in proportion to list size.

Organisation table (optional, ``topology.organisation_file``): ``organisation`` (label,
unique), ``kind`` (``formal_charity`` or ``community_group``), ``area`` (the area it is based
in and serves, an ``area`` of the place table; or a ``district`` of the place table for an
organisation serving the whole district), ``capacity`` (client places its paid staff support at
full establishment, whole number 0-10,000), ``funding`` (core funding a year, GBP, 0 to
100,000,000). With it, the place's charities and community groups are exactly its rows.

Columns are parsed strictly as in :mod:`sim.topology.loaders`: no blank cells, whole numbers
only where a count is meant, every share in [0, 1], and the first bad row is named.

The builder is linear in the number of residents: each area's residents get their age band and
sex, limitation and digital access in exactly the table's counts, households in exactly the
table's number, and the ties of :func:`sim.topology.builders._unit_edges` (household cliques, a
small-world ring over households, community leaders), plus ties between areas of the same
district.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.params import ConfigError, PopulationParams, TopologyParams, UnitParams
from sim.topology.builders import MAX_HOUSEHOLD, Topology, UnitInfo, _unit_edges, canonical_edges
from sim.topology.loaders import BOOL_WORDS, _blank, _plain, _word

PLACE_KEY = "topology.place_file"
PRACTICE_KEY = "topology.practice_file"
REGISTRATION_KEY = "topology.registration_file"
ORGANISATION_KEY = "topology.organisation_file"

BANDS = ("0_15", "16_64", "65_plus")
AGE_RANGE = {"0_15": (0, 15), "16_64": (16, 64), "65_plus": (65, 100)}
POP_COLUMNS = tuple(f"{sex}_{band}" for sex in ("female", "male") for band in BANDS)
PLACE_LABELS = ("area", "district", "pcn", "rural_urban")
PLACE_SHARES = ("share_limited_a_little", "share_limited_a_lot", "share_digital")
PLACE_OPTIONAL_COUNTS = ("formal_charities", "community_groups")
PLACE_OPTIONAL_BOOLS = ("locality_officer", "parish_council")
PRACTICE_COLUMNS = ("practice", "pcn", "area", "list_size", "link_worker_fte")
REGISTRATION_COLUMNS = ("practice", "area", "patients")
ORGANISATION_COLUMNS = ("organisation", "kind", "area", "capacity", "funding")
ORGANISATION_KINDS = ("formal_charity", "community_group")
MAX_CAPACITY = 10_000  # client places of one organisation: a guard against a mistyped column
MAX_FUNDING = 100_000_000.0  # GBP a year of one organisation: likewise
URBAN_CODES = {"urban", "a1", "b1", "c1", "c2"}
RURAL_CODES = {"rural", "d1", "d2", "e1", "e2", "f1", "f2"}
LARGE_FLAG = "set run.allow_large=true to go past the limit"
MAX_FTE = 50.0  # link-worker FTE of one practice: a guard against a mistyped column
SETTLEMENT_TYPES = ("city", "town", "villages")  # an area template's settlement_type


@dataclass
class PracticeSpec:
    """A GP practice of the place: its home area (unit), PCN and link-worker posts."""

    name: str
    pcn: str
    unit: int
    distance_miles: float
    lw_day_shares: list[float]  # one entry per post: the share of its working days here


@dataclass
class PlaceTables:
    """The validated tables (labels as strings, numbers parsed)."""

    areas: pd.DataFrame
    practices: pd.DataFrame
    registrations: pd.DataFrame | None
    organisations: pd.DataFrame | None = None


# ---------------------------------------------------------------------------- reading


def resolve(path: str) -> Path:
    """A relative path is looked up from the working directory, then in ``configs/`` (so a
    shipped table such as the example county is found from anywhere)."""
    p = Path(path)
    if p.is_absolute() or p.is_file():
        return p
    from sim.scenarios import config_dir

    shipped = config_dir() / p
    return shipped if shipped.is_file() else p


def _read(key: str, path_text: str, required: tuple[str, ...]) -> tuple[pd.DataFrame, Path]:
    path = resolve(path_text)
    if not path.is_file():
        raise ConfigError(key, f"file not found: {path_text}")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            df = pd.read_parquet(path)
        else:
            df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as exc:  # parse errors of many kinds; report them against the key
        raise ConfigError(key, f"cannot read {path} as CSV or Parquet: {exc}") from exc
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ConfigError(key, f"{path}: column '{missing[0]}' is missing (required columns: "
                               f"{', '.join(required)}; found: {', '.join(df.columns)})")
    if len(df) == 0:
        raise ConfigError(key, f"{path} has no rows")
    return df, path


def _fail(key: str, path: Path, col: str, mask: np.ndarray, df: pd.DataFrame,
          allowed: str) -> None:
    """Raise naming the column, the first bad row (data rows from 1) and what is allowed."""
    if mask.any():
        row = int(np.flatnonzero(mask)[0])
        shown = ("a blank cell" if _blank(df[col]).iloc[row]
                 else repr(_plain(df[col].iloc[row])))
        raise ConfigError(key, f"{path}: column '{col}' must hold {allowed}; row {row + 1} "
                               f"has {shown}")


def _labels(key: str, path: Path, df: pd.DataFrame, col: str) -> pd.Series:
    _fail(key, path, col, _blank(df[col]).to_numpy(), df, "a label in every row (no blanks)")
    return df[col].map(lambda v: str(_plain(v)).strip())


def _numbers(key: str, path: Path, df: pd.DataFrame, col: str, lo: float, hi: float | None,
             whole: bool) -> np.ndarray:
    vals = pd.to_numeric(df[col].map(lambda v: str(_plain(v)).strip()), errors="coerce")
    arr = vals.to_numpy(dtype=float)
    bad = ~np.isfinite(arr) | (arr < lo)
    if hi is not None:
        bad |= arr > hi
    if whole:
        bad |= np.isfinite(arr) & (arr != np.round(arr))
    top = f" to {hi:g}" if hi is not None else " or more"
    what = f"{'whole numbers' if whole else 'numbers'} from {lo:g}{top}"
    _fail(key, path, col, bad, df, what)
    return arr.astype(np.int64) if whole else arr


def _bools(key: str, path: Path, df: pd.DataFrame, col: str) -> np.ndarray:
    parsed = df[col].map(_word).map(BOOL_WORDS)
    _fail(key, path, col, parsed.isna().to_numpy(), df, "true/false, 1/0 or yes/no (any case)")
    return parsed.astype(bool).to_numpy()


def _unique(key: str, path: Path, labels: pd.Series, col: str) -> None:
    dup = labels.duplicated().to_numpy()
    if dup.any():
        row = int(np.flatnonzero(dup)[0])
        raise ConfigError(key, f"{path}: column '{col}' must name each row once; "
                               f"{labels.iloc[row]!r} appears again in row {row + 1}")


def _unknown(key: str, path: Path, labels: pd.Series, known: set[str], col: str,
             what: str) -> None:
    bad = ~labels.isin(known).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ConfigError(key, f"{path}: column '{col}' must name {what}; row {row + 1} has "
                               f"{labels.iloc[row]!r}, which is not one")


def read_place_table(path_text: str, allow_large: bool = True) -> pd.DataFrame:
    """The place table (``topology.place_file``), checked: its own ``district`` and ``pcn``
    columns place every area. Unless ``allow_large``, a table above the size limits of
    :mod:`sim.limits` (areas, residents) is refused as soon as its rows, then its population
    columns, are read, before the other cells are checked."""
    return _read_areas(PLACE_KEY, path_text, PLACE_LABELS[:3], allow_large=allow_large)


def read_area_template(path_text: str, key: str) -> pd.DataFrame:
    """A table of small areas to sample from (the county topology's template,
    ``topology.county_area_file``), checked as a place table is but without the ``district``
    and ``pcn`` columns, which the sampler assigns itself (any in the file are not read). An
    optional ``settlement_type`` column (``city``, ``town`` or ``villages``) tells a county
    town's areas from a market town's; errors are reported against ``key``."""
    out = _read_areas(key, path_text, ("area",),
                      optional_labels=("settlement_type",))
    if "settlement_type" in out.columns:
        kind = out["settlement_type"].str.lower()
        bad = ~kind.isin(SETTLEMENT_TYPES).to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ConfigError(key, f"{path_text}: column 'settlement_type' must hold one of "
                                   f"{', '.join(SETTLEMENT_TYPES)}; row {row + 1} has "
                                   f"{out['settlement_type'].iloc[row]!r}")
        rural = out["rural_urban"].str.lower().isin(RURAL_CODES).to_numpy()
        clash = (kind == "villages").to_numpy() != rural
        if clash.any():
            row = int(np.flatnonzero(clash)[0])
            raise ConfigError(key, f"{path_text}: column 'settlement_type' must be 'villages' "
                                   f"for a rural area and 'city' or 'town' for an urban one; "
                                   f"row {row + 1} ({out['area'].iloc[row]!r}) is "
                                   f"{out['rural_urban'].iloc[row]!r} but "
                                   f"{out['settlement_type'].iloc[row]!r}")
        out["settlement_type"] = kind
    return out


def _read_areas(key: str, path_text: str, labels: tuple[str, ...],
                optional_labels: tuple[str, ...] = (), allow_large: bool = True
                ) -> pd.DataFrame:
    from sim import limits

    required = (*labels, *POP_COLUMNS, "imd_decile", "rural_urban", *PLACE_SHARES,
                "households")
    raw, path = _read(key, path_text, required)
    if not allow_large and len(raw) > limits.MAX_UNITS:
        raise ConfigError(key, f"{path}: column 'area' names {len(raw):,} areas, above the "
                               f"limit of {limits.MAX_UNITS:,} neighbourhood units; "
                               f"{LARGE_FLAG}")
    out = pd.DataFrame(index=raw.index)
    for col in (*labels, "rural_urban", *(c for c in optional_labels if c in raw.columns)):
        out[col] = _labels(key, path, raw, col)
    _unique(key, path, out["area"], "area")
    for col in POP_COLUMNS:
        out[col] = _numbers(key, path, raw, col, 0, None, whole=True)
    population = out[list(POP_COLUMNS)].sum(axis=1).to_numpy()
    if (population < 1).any():
        row = int(np.flatnonzero(population < 1)[0])
        raise ConfigError(key, f"{path}: columns '{POP_COLUMNS[0]}' to '{POP_COLUMNS[-1]}' "
                               f"must add up to at least one resident; row {row + 1} "
                               f"({out['area'].iloc[row]!r}) has none")
    out["population"] = population
    if not allow_large and int(population.sum()) > limits.MAX_RESIDENTS:
        n = int(population.sum())
        raise ConfigError(key, f"{path}: columns '{POP_COLUMNS[0]}' to '{POP_COLUMNS[-1]}' add "
                               f"up to {n:,} residents, above the limit of "
                               f"{limits.MAX_RESIDENTS:,} (about "
                               f"{n * limits.BYTES_PER_RESIDENT / 2**30:,.0f} GiB); {LARGE_FLAG}")
    out["imd_decile"] = _numbers(key, path, raw, "imd_decile", 1, 10, whole=True)
    ru = out["rural_urban"].str.lower()
    _fail(key, path, "rural_urban", ~ru.isin(URBAN_CODES | RURAL_CODES).to_numpy(), raw,
          "urban or rural, or an ONS 2011 rural-urban code (A1, B1, C1, C2 urban; D1, D2, E1, "
          "E2, F1, F2 rural)")
    out["rural"] = ru.isin(RURAL_CODES).to_numpy()
    for col in PLACE_SHARES:
        out[col] = _numbers(key, path, raw, col, 0, 1, whole=False)
    both = (out["share_limited_a_little"] + out["share_limited_a_lot"]).to_numpy()
    _fail(key, path, "share_limited_a_lot", both > 1 + 1e-9, raw,
          "a share that with share_limited_a_little adds up to at most 1")
    out["households"] = _numbers(key, path, raw, "households", 1, None, whole=True)
    hh = out["households"].to_numpy()
    _fail(key, path, "households", hh > population, raw,
          "at most the area's population (residents by age band and sex)")
    _fail(key, path, "households", hh * MAX_HOUSEHOLD < population, raw,
          f"at least the area's population / {MAX_HOUSEHOLD} (the model's largest household)")
    for col in PLACE_OPTIONAL_COUNTS:
        if col in raw.columns:
            out[col] = _numbers(key, path, raw, col, 0, 10_000, whole=True)
    for col in PLACE_OPTIONAL_BOOLS:
        if col in raw.columns:
            out[col] = _bools(key, path, raw, col)
    if "council_prepared" in raw.columns and "district" in labels:  # one value per district
        out["council_prepared"] = _bools(key, path, raw, "council_prepared")
        first = out.groupby("district", sort=False)["council_prepared"].transform("first")
        _fail(key, path, "council_prepared", (out["council_prepared"] != first).to_numpy(),
              raw, "the same value in every area of a district (it is the district "
                   "council's plan)")
    return out.reset_index(drop=True)


def read_practice_table(path_text: str, areas: pd.DataFrame) -> pd.DataFrame:
    key = PRACTICE_KEY
    raw, path = _read(key, path_text, PRACTICE_COLUMNS)
    out = pd.DataFrame(index=raw.index)
    for col in ("practice", "pcn", "area"):
        out[col] = _labels(key, path, raw, col)
    _unique(key, path, out["practice"], "practice")
    _unknown(key, path, out["area"], set(areas["area"]), "area",
             "an area of the place table (where the surgery is)")
    _unknown(key, path, out["pcn"], set(areas["pcn"]), "pcn",
             "a primary care network of the place table (a practice in no PCN of the place)")
    out["list_size"] = _numbers(key, path, raw, "list_size", 1, None, whole=True)
    out["link_worker_fte"] = _numbers(key, path, raw, "link_worker_fte", 0, MAX_FTE,
                                      whole=False)
    orphan = sorted(set(areas["pcn"]) - set(out["pcn"]))
    if orphan:
        raise ConfigError(key, f"{path}: column 'pcn' names no practice of PCN {orphan[0]!r}, "
                               "which areas of the place table register with (every PCN of "
                               "the place table needs at least one practice)")
    return out.reset_index(drop=True)


def read_registration_table(path_text: str, areas: pd.DataFrame,
                            practices: pd.DataFrame) -> pd.DataFrame:
    key = REGISTRATION_KEY
    raw, path = _read(key, path_text, REGISTRATION_COLUMNS)
    out = pd.DataFrame(index=raw.index)
    for col in ("practice", "area"):
        out[col] = _labels(key, path, raw, col)
    _unknown(key, path, out["practice"], set(practices["practice"]), "practice",
             "a practice of the practice table")
    _unknown(key, path, out["area"], set(areas["area"]), "area", "an area of the place table")
    out["patients"] = _numbers(key, path, raw, "patients", 0, None, whole=True)
    pair = out["practice"] + "\x00" + out["area"]
    dup = pair.duplicated().to_numpy()
    if dup.any():
        row = int(np.flatnonzero(dup)[0])
        raise ConfigError(key, f"{path}: columns 'practice' and 'area' must name each pair "
                               f"once; row {row + 1} repeats {out['practice'].iloc[row]!r} in "
                               f"{out['area'].iloc[row]!r}")
    listed = out.groupby("area")["patients"].sum()
    missing = [a for a in areas["area"] if listed.get(a, 0) <= 0]
    if missing:
        raise ConfigError(key, f"{path}: column 'patients' lists no patients in area "
                               f"{missing[0]!r} (every area's residents need a practice)")
    return out.reset_index(drop=True)


def read_organisation_table(path_text: str, areas: pd.DataFrame) -> pd.DataFrame:
    """The organisation table, checked: labels, kinds, the area or district each serves,
    capacity and funding. Returns ``organisation``, ``kind``, ``area`` (as given), ``unit``
    (the area's row of the place table, -1 for a district-wide organisation), ``district``
    (its district), ``capacity`` and ``funding``."""
    key = ORGANISATION_KEY
    raw, path = _read(key, path_text, ORGANISATION_COLUMNS)
    out = pd.DataFrame(index=raw.index)
    for col in ("organisation", "kind", "area"):
        out[col] = _labels(key, path, raw, col)
    _unique(key, path, out["organisation"], "organisation")
    kind = out["kind"].str.lower()
    _fail(key, path, "kind", ~kind.isin(ORGANISATION_KINDS).to_numpy(), raw,
          " or ".join(ORGANISATION_KINDS))
    out["kind"] = kind
    a_index = {name: k for k, name in enumerate(areas["area"])}
    districts = set(areas["district"])
    both = sorted(set(a_index) & districts)
    if both:
        raise ConfigError(key, f"{path}: column 'area' cannot tell area {both[0]!r} from the "
                               "district of the same name (rename one in the place table)")
    _unknown(key, path, out["area"], set(a_index) | districts, "area",
             "an area or a district of the place table (where the organisation works)")
    unit = out["area"].map(a_index)
    out["unit"] = unit.fillna(-1).astype(np.int64).to_numpy()
    district_of_area = dict(zip(areas["area"], areas["district"], strict=True))
    out["district"] = [district_of_area.get(a, a) for a in out["area"]]
    out["capacity"] = _numbers(key, path, raw, "capacity", 0, MAX_CAPACITY, whole=True)
    out["funding"] = _numbers(key, path, raw, "funding", 0, MAX_FUNDING, whole=False)
    return out.reset_index(drop=True)


def read_tables(t: TopologyParams, allow_large: bool = True) -> PlaceTables:
    """The tables of ``t``, checked; unless ``allow_large`` a place table above the size
    limits is refused before the other tables are read."""
    areas = read_place_table(t.place_file, allow_large=allow_large)
    practices = read_practice_table(t.practice_file, areas)
    regs = (read_registration_table(t.registration_file, areas, practices)
            if t.registration_file else None)
    orgs = (read_organisation_table(t.organisation_file, areas)
            if t.organisation_file else None)
    return PlaceTables(areas, practices, regs, orgs)


def check_sizes(tables: PlaceTables, allow_large: bool) -> None:
    """Refuse tables above the size limits of :mod:`sim.limits` (before anything is built)
    unless ``run.allow_large``; the message names the column."""
    from sim import limits

    if allow_large:
        return
    flag = LARGE_FLAG
    areas = tables.areas
    n = int(areas["population"].sum())
    if n > limits.MAX_RESIDENTS:
        raise ConfigError(PLACE_KEY, f"columns '{POP_COLUMNS[0]}' to '{POP_COLUMNS[-1]}' add up "
                                     f"to {n:,} residents, above the limit of "
                                     f"{limits.MAX_RESIDENTS:,} (about "
                                     f"{n * limits.BYTES_PER_RESIDENT / 2**30:,.0f} GiB); {flag}")
    if len(areas) > limits.MAX_UNITS:
        raise ConfigError(PLACE_KEY, f"column 'area' names {len(areas):,} areas, above the limit "
                                     f"of {limits.MAX_UNITS:,} neighbourhood units; {flag}")
    if tables.organisations is not None:
        orgs = len(tables.practices) + len(tables.organisations)
        if orgs > limits.MAX_ORGANISATIONS:
            raise ConfigError(ORGANISATION_KEY, f"column 'organisation' names {orgs:,} "
                                                f"organisations (with the practices), above the "
                                                f"limit of {limits.MAX_ORGANISATIONS:,}; {flag}")
        return
    orgs = len(tables.practices) + sum(int(areas[c].sum()) for c in PLACE_OPTIONAL_COUNTS
                                       if c in areas.columns)
    if orgs > limits.MAX_ORGANISATIONS:
        raise ConfigError(PLACE_KEY, f"columns 'formal_charities' and 'community_groups' (with "
                                     f"the practices) make {orgs:,} organisations, above the "
                                     f"limit of {limits.MAX_ORGANISATIONS:,}; {flag}")


# ---------------------------------------------------------------------------- building


def _largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Whole numbers in proportion to ``weights`` summing to ``total`` (Hamilton's method)."""
    w = np.asarray(weights, float)
    if total <= 0 or w.sum() <= 0:
        return np.zeros(w.size, np.int64)
    exact = total * w / w.sum()
    out = np.floor(exact).astype(np.int64)
    short = total - int(out.sum())
    if short:
        order = np.argsort(-(exact - out), kind="stable")
        out[order[:short]] += 1
    return out


def posts_at_largest_practices(list_sizes: np.ndarray, fte_total: float) -> np.ndarray:
    """A PCN's link-worker FTE by practice: one full post at each practice in order of list
    size (largest first, ties in table order) until the FTE runs out; a remainder beyond one
    post per practice goes to the largest."""
    order = np.argsort(-np.asarray(list_sizes), kind="stable")
    fte = np.zeros(len(list_sizes))
    left = fte_total
    for j in order:
        if left <= 0:
            break
        fte[j] = min(1.0, left)
        left -= fte[j]
    if left > 0:
        fte[order[0]] += left
    return fte


def _weighted_pick(k: int, weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``k`` items drawn without replacement with the given positive weights
    (Efraimidis-Spirakis keys; linear time)."""
    n = weights.size
    k = int(min(max(k, 0), n))
    if k == 0:
        return np.zeros(0, np.int64)
    keys = np.log(rng.random(n)) / weights
    if k == n:
        return np.arange(n)
    return np.argpartition(-keys, k - 1)[:k]


def _household_sizes(n: int, households: int, rng: np.random.Generator) -> np.ndarray:
    """Exactly ``households`` sizes of 1..MAX_HOUSEHOLD adding up to ``n`` (each household one
    resident, the rest placed at random; overfull households hand residents to small ones)."""
    sizes = 1 + np.bincount(rng.integers(0, households, size=n - households),
                            minlength=households)
    excess = int(np.maximum(sizes - MAX_HOUSEHOLD, 0).sum())
    if excess:
        sizes = np.minimum(sizes, MAX_HOUSEHOLD)
        room = MAX_HOUSEHOLD - sizes
        slots = np.repeat(np.arange(households), room)
        take = rng.choice(slots.size, size=excess, replace=False)
        np.add.at(sizes, slots[take], 1)
    return rng.permutation(sizes)


def _scaled(tables: PlaceTables, scale: float) -> pd.DataFrame:
    """The place table at ``scale`` (every area keeps at least one resident and household)."""
    areas = tables.areas.copy()
    if scale >= 1.0:
        return areas
    for col in POP_COLUMNS:
        areas[col] = np.round(areas[col].to_numpy() * scale).astype(np.int64)
    pop = areas[list(POP_COLUMNS)].sum(axis=1).to_numpy()
    areas.loc[pop == 0, "female_16_64"] = 1
    areas["population"] = areas[list(POP_COLUMNS)].sum(axis=1).to_numpy()
    hh = np.round(areas["households"].to_numpy() * scale).astype(np.int64)
    low = -(-areas["population"].to_numpy() // MAX_HOUSEHOLD)
    areas["households"] = np.clip(hh, np.maximum(low, 1), areas["population"].to_numpy())
    return areas


ORG_FIELDS = ("formal_charities", "community_groups", "n_community_leaders")


def _template_counts(t: TopologyParams, areas: pd.DataFrame) -> dict[str, np.ndarray]:
    """Organisations and community leaders per area at the urban or rural template's rate per
    resident (``topology.urban``: 6 charities, 10 groups and 10 leaders per 8,000 residents;
    ``topology.rural_unit``: 2 leaders per 380), whole numbers shared out by largest remainder
    over the areas of each template, so totals keep the rate at any ``place_scale``."""
    n = areas["population"].to_numpy()
    rural = areas["rural"].to_numpy()
    out = {}
    for name in ORG_FIELDS:
        counts = np.zeros(len(areas), np.int64)
        for is_rural, template in ((False, t.urban), (True, t.rural_unit)):
            rows = np.flatnonzero(rural == is_rural)
            exact = getattr(template, name) * n[rows] / max(template.n_residents, 1)
            counts[rows] = _largest_remainder(int(round(exact.sum())), exact)
        if name in areas.columns:  # the table's own counts come first
            counts = areas[name].to_numpy().astype(np.int64)
        out[name] = counts
    return out


def _area_params(t: TopologyParams, row, n: int, n_practices: int,
                 orgs: dict[str, int]) -> UnitParams:
    """The area's unit parameters: the urban or rural template with the area's people,
    organisations (``orgs``) and intermediaries."""
    template = t.rural_unit if row.rural else t.urban
    return dataclasses.replace(
        template,
        n_residents=n,
        mean_household_size=min(max(n / row.households, 1.0), float(MAX_HOUSEHOLD)),
        deprivation_quintile=int((row.imd_decile + 1) // 2),
        gp_practices=max(n_practices, 1),
        link_workers=0,  # the practice table places the link workers
        # officers come per area from the table's column, else in patches (_officer_clusters)
        locality_officer=bool(getattr(row, "locality_officer", False)),
        parish_council=bool(getattr(row, "parish_council", template.parish_council)),
        lw_days_share=1.0,  # the whole footprint is modelled
        **orgs,
    )


def _officer_clusters(t: TopologyParams, areas: pd.DataFrame) -> list[tuple[int, frozenset[int]]]:
    """Locality officers where the table has no ``locality_officer`` column: in each PCN, its
    urban areas of IMD decile 1..``topology.locality_officer_max_decile`` (in table order) are
    grouped into patches of about ``topology.urban.n_residents`` residents (the Case A estate an
    officer works on, 000:34, 000:80-81), one officer each, based in the patch's most deprived
    area; a remainder under half a patch joins the PCN's previous patch. Returns (home area,
    areas served) per officer."""
    if "locality_officer" in areas.columns:
        return []  # the table places them, one per area (_area_params)
    target = max(t.urban.n_residents, 1)
    eligible = (~areas["rural"]) & (areas["imd_decile"] <= t.locality_officer_max_decile)
    pop = areas["population"].to_numpy()
    decile = areas["imd_decile"].to_numpy()
    out = []
    for _, rows in areas[eligible].groupby("pcn", sort=False).groups.items():
        patches: list[list[int]] = [[]]
        size = 0
        for r in rows:
            if size >= target:
                patches.append([])
                size = 0
            patches[-1].append(int(r))
            size += int(pop[r])
        if len(patches) > 1 and size < target / 2:
            patches[-2].extend(patches.pop())
        for patch in patches:
            home = min(patch, key=lambda r: (decile[r], r))
            out.append((home, frozenset(patch)))
    return out


def _registration_shares(tables: PlaceTables, areas: pd.DataFrame) -> pd.DataFrame:
    """(area, practice, weight) rows: the registration table, or the area's PCN's practices
    weighted by list size."""
    if tables.registrations is not None:
        regs = tables.registrations.rename(columns={"patients": "weight"})
        return regs[regs["weight"] > 0][["area", "practice", "weight"]]
    pr = tables.practices[["practice", "pcn", "list_size"]]
    merged = areas[["area", "pcn"]].merge(pr, on="pcn", how="left", sort=False)
    return merged.rename(columns={"list_size": "weight"})[["area", "practice", "weight"]]


def build_places(t: TopologyParams, rng: np.random.Generator,
                 inter_area_tie_share: float = 0.02,
                 population: PopulationParams | None = None,
                 allow_large: bool = False, tables: PlaceTables | None = None) -> Topology:
    """Residents, households, ties and practices from the place tables (see the module
    docstring; ``tables``: tables made in memory, as by :mod:`sim.topology.county`, instead of
    the files of ``t``); ``inter_area_tie_share`` ties per resident join random pairs of
    residents of the same district. Residents of 65+ are likelier to lack digital access by
    the ratio of ``population.p_digitally_excluded_65plus`` to ``p_digitally_excluded``. Tables
    above the size limits of :mod:`sim.limits` are refused unless ``allow_large``."""
    pp = population or PopulationParams()
    digital_ratio = pp.p_digitally_excluded_65plus / max(pp.p_digitally_excluded, 1e-9)
    if tables is None:
        tables = read_tables(t, allow_large=allow_large)
        areas = _scaled(tables, t.place_scale)
    else:
        areas = tables.areas.copy()
    check_sizes(tables, allow_large)
    practices = tables.practices
    p_index = {name: k for k, name in enumerate(practices["practice"])}
    a_index = {name: k for k, name in enumerate(areas["area"])}
    shares = _registration_shares(tables, areas)
    shares = shares.assign(a=shares["area"].map(a_index), p=shares["practice"].map(p_index))
    by_area = {a: g for a, g in shares.groupby("a", sort=True)}

    org_counts = _template_counts(t, areas)
    if tables.organisations is not None:  # the organisation table places them all
        org_counts["formal_charities"][:] = 0
        org_counts["community_groups"][:] = 0
    n_total = int(areas["population"].sum())
    units: list[UnitInfo] = []
    unit_of = np.empty(n_total, np.int32)
    household = np.empty(n_total, np.int32)
    age = np.empty(n_total, np.int16)
    female = np.empty(n_total, bool)
    limitation = np.zeros(n_total, np.int8)
    digital = np.ones(n_total, bool)
    gp = np.empty(n_total, np.int32)
    edge_parts = []
    practices_of_unit: list[list[int]] = []
    offset = hh_offset = 0
    for k, row in enumerate(areas.itertuples(index=False)):
        n = int(row.population)
        lo, hi = offset, offset + n
        regs = by_area[k]
        counts = _largest_remainder(n, regs["weight"].to_numpy())
        served = regs["p"].to_numpy()[counts > 0]
        p = _area_params(t, row, n, len(served),
                         {name: int(org_counts[name][k]) for name in ORG_FIELDS})
        units.append(UnitInfo(k, str(row.area), p, lo, hi))
        practices_of_unit.append(sorted(int(x) for x in served))
        unit_of[lo:hi] = k
        # people: age band and sex in exactly the table's counts
        ages, sexes = [], []
        for sex in ("female", "male"):
            for band in BANDS:
                c = int(getattr(row, f"{sex}_{band}"))
                a0, a1 = AGE_RANGE[band]
                ages.append(rng.integers(a0, a1 + 1, size=c))
                sexes.append(np.full(c, sex == "female"))
        order = rng.permutation(n)
        age[lo:hi] = np.concatenate(ages)[order]
        female[lo:hi] = np.concatenate(sexes)[order]
        old = age[lo:hi] >= 65
        # limitation in exactly the table's shares, twice as likely at 65+ (as the population
        # defaults, sim.population); digital exclusion weighted to 65+ by the population
        # parameters' ratio
        n_lot = int(round(row.share_limited_a_lot * n))
        n_little = int(round(row.share_limited_a_little * n))
        w = np.where(old, 2.0, 1.0)
        lim = np.zeros(n, np.int8)
        pick = _weighted_pick(n_lot + n_little, w, rng)
        lim[pick[:n_lot]] = 2
        lim[pick[n_lot:]] = 1
        limitation[lo:hi] = lim
        n_off = n - int(round(row.share_digital * n))
        dig = np.ones(n, bool)
        dig[_weighted_pick(n_off, np.where(old, max(digital_ratio, 1e-9), 1.0), rng)] = False
        digital[lo:hi] = dig
        # practices: exact counts by share, residents in random order
        gp[lo:hi] = rng.permutation(np.repeat(regs["p"].to_numpy(), counts))
        # households and ties
        sizes = _household_sizes(n, int(row.households), rng)
        edges, hh = _unit_edges(p, n, rng, sizes=sizes)
        household[lo:hi] = hh + hh_offset
        edge_parts.append(edges + lo)
        offset = hi
        hh_offset += int(sizes.size)
    if inter_area_tie_share > 0:
        district = areas["district"].to_numpy()
        starts = np.array([u.start for u in units])
        stops = np.array([u.stop for u in units])
        for d in pd.unique(district):
            rows = np.flatnonzero(district == d)
            members = np.concatenate([np.arange(starts[r], stops[r]) for r in rows])
            m = int(members.size * inter_area_tie_share)
            if m and len(rows) > 1:
                a = members[rng.integers(0, members.size, size=m)]
                b = members[rng.integers(0, members.size, size=m)]
                edge_parts.append(np.stack([a, b], axis=1))
    edges = canonical_edges(np.concatenate(edge_parts), n_total)
    specs = _practice_specs(t, practices, areas, shares, units, a_index)
    table = pd.DataFrame({"age": age, "female": female,
                          "deprivation": np.array([u.params.deprivation_quintile
                                                   for u in units], np.int8)[unit_of],
                          "limitation": limitation, "digital": digital,
                          "rural": areas["rural"].to_numpy()[unit_of]})
    return Topology(units, unit_of, household, edges, table=table, gp=gp,
                    practices=specs, practices_of_unit=practices_of_unit,
                    areas=areas.reset_index(drop=True), officers=_officer_clusters(t, areas),
                    organisations=tables.organisations)


def _practice_specs(t: TopologyParams, practices: pd.DataFrame, areas: pd.DataFrame,
                    shares: pd.DataFrame, units: list[UnitInfo],
                    a_index: dict[str, int]) -> list[PracticeSpec]:
    """Each practice at its home area; its distance the registration-weighted mean of the
    distances of the areas it serves (the urban or rural template's); its link-worker FTE as
    posts (whole posts and one part-time post, scaled with ``place_scale``)."""
    dist = np.array([u.params.gp_distance_miles for u in units])
    w = shares.assign(d=dist[shares["a"].to_numpy()] * shares["weight"])
    mean_dist = (w.groupby("p")["d"].sum() / w.groupby("p")["weight"].sum()).to_dict()
    out = []
    for k, row in enumerate(practices.itertuples(index=False)):
        home = a_index[row.area]
        fte = float(row.link_worker_fte) * (min(t.place_scale, 1.0) if t.kind == "places"
                                            else 1.0)
        whole = int(np.floor(fte + 1e-9))
        posts = [1.0] * whole
        part = fte - whole
        if part > 1e-6:
            posts.append(max(round(part, 6), 0.001))
        d = mean_dist.get(k, units[home].params.gp_distance_miles)
        out.append(PracticeSpec(str(row.practice), str(row.pcn), home, float(d), posts))
    return out
