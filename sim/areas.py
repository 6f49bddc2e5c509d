"""Outputs by area: the per-area table of a run (``areas.parquet``) and its roll-up to primary
care networks, districts, deprivation deciles or any other column.

One row per area for the run. An area is a row of the place table (places topology) or a
neighbourhood unit (the other topologies). The figures are the run's equity figures (the
summary's ``frac_reached_by_*`` and ``unmet_days_per_resident_by_*``) broken down by place:
counts over the output days from the residents' own tallies (in need, reached, unmet days,
link-worker referrals, bounces), and stocks at the end of the run (unmet need, trained
volunteers, open groups, wellbeing). Every column is in the data dictionary
(:mod:`sim.outputs`, table ``areas``).

Why one row per area for the run rather than per area per day or month: the residents'
tallies already hold the run's totals, so the table costs a few ``bincount`` calls at the end
(no work in the daily loop, nothing in the model's step), stays small (457 rows for the
700,000-resident example county), and adds up exactly to the run's whole-model equity figures;
the daily table already gives the time course of the whole place.

Roll up with :func:`aggregate`::

    from sim import areas, io
    table = io.load_areas("outputs/run")
    areas.aggregate(table, "pcn")                    # one row per PCN
    areas.aggregate(table, ["district", "imd_decile"])
    areas.aggregate(table)                           # the whole place: one row

Counts are summed, rates recomputed from the summed counts (not averaged), and the wellbeing
means weighted by residents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim import outputs
from sim.state import ONS4, PATHWAY, VSTATE

if TYPE_CHECKING:
    from sim.model import CommunityModel

LABELS = ("area", "district", "pcn", "settlement", "settlement_type", "imd_decile",
          "deprivation_quintile", "rural")
"""Columns describing the area (what a roll-up can group by)."""
COUNTS = ("n_residents", "residents_in_need", "residents_reached", "unmet_need_days",
          "lw_referrals", "bounced_residents", "n_unmet_need", "n_vol_trained",
          "n_groups_open")
"""Columns that add up over areas."""
COMPOSITION = tuple(f"n_{sex}_{band}" for sex in ("female", "male")
                    for band in ("0_15", "16_64", "65_plus")) + (
    "n_households", "n_limited_a_little", "n_limited_a_lot", "n_digital")
"""Who lives in the area, as built (a place table's input columns, to check a build row by
row); they add up over areas too. Tables written before these columns existed lack them."""
RATES = {  # column: (numerator, denominator, factor)
    "frac_reached": ("residents_reached", "residents_in_need", 1.0),
    "unmet_days_per_resident": ("unmet_need_days", "n_residents", 1.0),
    "lw_referrals_per_1000_residents": ("lw_referrals", "n_residents", 1000.0),
}
"""Columns that are a ratio of two count columns (recomputed after summing)."""
MEANS = tuple(f"mean_wellbeing_{name}" for name in ONS4)
"""Columns that are means over the area's residents (weighted by ``n_residents``)."""


def _mode_by(unit: np.ndarray, values: np.ndarray, n_units: int, n_codes: int) -> np.ndarray:
    """The commonest value of ``values`` (0..n_codes-1) among each unit's residents."""
    counts = np.bincount(unit.astype(np.int64) * n_codes + values, minlength=n_units * n_codes)
    return counts.reshape(n_units, n_codes).argmax(axis=1)


def labels(model: CommunityModel) -> dict[str, np.ndarray]:
    """The :data:`LABELS` columns of ``model``'s areas (one value per area)."""
    pop = model.pop
    n_units = len(model.units)
    unit = pop.unit
    areas = model.areas
    cols: dict[str, np.ndarray] = {"area": np.array([u.name for u in model.units], object)}
    if areas is not None:
        cols["district"] = areas["district"].to_numpy(dtype=object)
        cols["pcn"] = areas["pcn"].to_numpy(dtype=object)
        for name in ("settlement", "settlement_type"):  # the county's (or a table's) labels
            cols[name] = (areas[name].fillna("").astype(str).to_numpy(dtype=object)
                          if name in areas.columns else np.full(n_units, "", object))
        cols["imd_decile"] = areas["imd_decile"].to_numpy().astype(np.int64)
    else:
        cols["district"] = np.array([model.districts[d] for d in model.district_of_unit],
                                    object)
        cols["pcn"] = np.full(n_units, "", object)
        cols["settlement"] = np.full(n_units, "", object)
        cols["settlement_type"] = np.full(n_units, "", object)
        cols["imd_decile"] = np.zeros(n_units, np.int64)
    cols["deprivation_quintile"] = _mode_by(unit, pop.deprivation.astype(np.int64), n_units,
                                            6).astype(np.int64)
    cols["rural"] = _mode_by(unit, pop.rural.astype(np.int64), n_units, 2).astype(np.int64)
    return cols


def table(model: CommunityModel) -> pd.DataFrame:
    """The per-area table of ``model`` (at the end of its run): one row per area, the columns
    of the data dictionary's ``areas`` table in its order."""
    pop = model.pop
    n_units = len(model.units)
    unit = pop.unit

    def per_area(weights=None) -> np.ndarray:
        return np.bincount(unit, weights=weights, minlength=n_units)

    cols = labels(model)
    n = per_area().astype(np.int64)
    cols["n_residents"] = n
    for sex, female in (("female", True), ("male", False)):
        for band, (lo, hi) in (("0_15", (0, 15)), ("16_64", (16, 64)),
                               ("65_plus", (65, np.iinfo(np.int16).max))):
            cols[f"n_{sex}_{band}"] = per_area(
                (pop.female == female) & (pop.age >= lo) & (pop.age <= hi)).astype(np.int64)
    if len(pop.household):
        _, first = np.unique(pop.household, return_index=True)
        cols["n_households"] = np.bincount(unit[first], minlength=n_units).astype(np.int64)
    else:
        cols["n_households"] = np.zeros(n_units, np.int64)
    cols["n_limited_a_little"] = per_area(pop.limitation == 1).astype(np.int64)
    cols["n_limited_a_lot"] = per_area(pop.limitation == 2).astype(np.int64)
    cols["n_digital"] = per_area(pop.digital).astype(np.int64)
    cols["residents_in_need"] = per_area(pop.ever_need).astype(np.int64)
    cols["residents_reached"] = per_area(pop.ever_need & pop.ever_supported).astype(np.int64)
    cols["unmet_need_days"] = per_area(pop.unmet_days).astype(np.int64)
    referrals = pop.lw_referrals - getattr(model, "lw_referrals_at_start", 0)
    cols["lw_referrals"] = per_area(referrals).astype(np.int64)
    cols["bounced_residents"] = per_area(pop.bounces > 0).astype(np.int64)
    cols["n_unmet_need"] = per_area(pop.unmet()).astype(np.int64)
    trained = (pop.vstate == VSTATE.ACTIVE) | (pop.vstate == VSTATE.IDLE)
    cols["n_vol_trained"] = per_area(trained).astype(np.int64)
    groups = np.zeros(n_units, np.int64)
    for g in model.open_groups():
        if g.unit >= 0:
            groups[g.unit] += 1
    cols["n_groups_open"] = groups
    for k, name in enumerate(ONS4):
        cols[f"mean_wellbeing_{name}"] = per_area(pop.wellbeing[:, k].astype(np.float64)) / \
            np.maximum(n, 1)
    _rates(cols)
    return pd.DataFrame({name: cols[name] for name in outputs.names("areas")})


def _rates(cols) -> None:
    """Fill the :data:`RATES` columns from their counts (NaN where the denominator is 0)."""
    for name, (num, den, factor) in RATES.items():
        top = np.asarray(cols[num], np.float64)
        bottom = np.asarray(cols[den], np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            cols[name] = np.where(bottom > 0, factor * top / np.where(bottom > 0, bottom, 1),
                                  np.nan)


def aggregate(areas: pd.DataFrame, by: str | list[str] | tuple[str, ...] = ()) -> pd.DataFrame:
    """Roll the per-area table up to groups of areas: one row per value of ``by`` (a column
    such as ``pcn``, ``district``, ``imd_decile``, ``deprivation_quintile`` or ``rural``, or a
    list of them; ``()``: the whole place in one row), with ``n_areas``, the :data:`COUNTS`
    (and the :data:`COMPOSITION` columns the table has)
    summed, the :data:`RATES` recomputed from the sums and the wellbeing :data:`MEANS`
    weighted by residents. Rows in sorted order of ``by``."""
    keys = [by] if isinstance(by, str) else list(by)
    unknown = [k for k in keys if k not in areas.columns]
    if unknown:
        raise KeyError(f"no column {unknown[0]!r} in the areas table (group by any of: "
                       f"{', '.join(LABELS)})")
    df = areas.copy()
    counts = [*COUNTS, *(c for c in COMPOSITION if c in df.columns)]
    weight = df["n_residents"].to_numpy(np.float64)
    for name in MEANS:
        df[name] = df[name].to_numpy(np.float64) * weight
    if keys:
        grouped = df.groupby(keys, sort=True)
        out = grouped[counts + list(MEANS)].sum()
        # runs written before the composition columns existed (collected beside newer ones)
        # hold nulls there: their totals stay missing, not 0
        composition = [c for c in counts if c in COMPOSITION]
        if composition:
            out[composition] = grouped[composition].sum(min_count=1)
        out.insert(0, "n_areas", grouped.size())
        out = out.reset_index()
    else:
        out = pd.DataFrame({"n_areas": [len(df)],
                            **{c: [df[c].sum(min_count=1 if c in COMPOSITION else 0)]
                               for c in (*counts, *MEANS)}})
    cols = {c: out[c].to_numpy() for c in out.columns}
    _rates(cols)
    n = out["n_residents"].to_numpy(np.float64)
    for name in MEANS:
        cols[name] = np.where(n > 0, out[name].to_numpy(np.float64) / np.maximum(n, 1), np.nan)
    order = [*keys, "n_areas", *counts, *RATES, *MEANS]
    return pd.DataFrame({c: cols[c] for c in order})


# ---------------------------------------------------------------------------- time course
COURSE_TIME = ("period", "first_day", "last_day")
"""Columns placing a row of the time course in time (output days, as the daily table's)."""
COURSE_FLOWS = ("new_residents_in_need", "new_residents_reached", "unmet_need_days",
                "lw_referrals", "new_emergency_responses")
"""Counts over the period (from the residents' own tallies; they add up over periods to the
areas table's ``residents_in_need``, ``residents_reached``, ``unmet_need_days`` and
``lw_referrals``; ``new_emergency_responses`` to the emergency actors' residents taken on,
the daily table's ``new_emergency_responses``)."""
COURSE_STOCKS = ("n_in_need", "n_unmet_need", "n_waiting", "n_supported", "n_vol_active",
                 "n_vol_trained")
"""Counts of residents at the end of the period."""
COURSE_COUNTS = ("n_residents", *COURSE_FLOWS, *COURSE_STOCKS)
"""Columns of the time course that add up over areas (and over runs)."""
COURSE_RATES = {
    "frac_in_need_unmet": ("n_unmet_need", "n_in_need", 1.0),
    "unmet_days_per_resident": ("unmet_need_days", "n_residents", 1.0),
    "lw_referrals_per_1000_residents": ("lw_referrals", "n_residents", 1000.0),
}
"""Rates of the time course, recomputed from its counts."""
COURSE_MEANS = ("mean_wellbeing_life_satisfaction",)
"""Means over residents at the end of the period (weighted by ``n_residents`` in roll-ups)."""


class _AreaSums:
    """Per-area sums of per-resident arrays. Residents of an area are contiguous rows (as every
    topology builds them), so a sum is one ``np.add.reduceat`` over a block of arrays; other
    layouts (or an empty area) fall back to ``bincount``."""

    def __init__(self, unit: np.ndarray, n_units: int):
        self.unit, self.n_units = unit, n_units
        self.sizes = np.bincount(unit, minlength=n_units).astype(np.int64)
        self.starts = np.concatenate([[0], np.cumsum(self.sizes)[:-1]]).astype(np.int64)
        self.contiguous = bool(n_units and (self.sizes > 0).all() and (np.diff(unit) >= 0).all())

    def __call__(self, rows, dtype=np.int64) -> np.ndarray:
        """``rows`` (k arrays of one value per resident) summed within each area: k x areas of
        ``dtype`` (row by row: ``reduceat`` along a 2-D block's rows is 2-4 times slower)."""
        if self.contiguous:
            return np.stack([np.add.reduceat(r, self.starts, dtype=dtype) for r in rows])
        return np.stack([np.bincount(self.unit, weights=r, minlength=self.n_units)
                         for r in rows]).astype(dtype)


def _stocks(model: CommunityModel, sums: _AreaSums) -> dict[str, np.ndarray]:
    """The :data:`COURSE_STOCKS` and :data:`COURSE_MEANS` of each area now."""
    pop = model.pop
    in_need = pop.need > 0
    active = pop.vstate == VSTATE.ACTIVE
    masks = (in_need, pop.unmet(), in_need & (pop.pathway == PATHWAY.WAITING),
             pop.pathway > PATHWAY.WAITING,  # the SUPPORTED pathways
             active, active | (pop.vstate == VSTATE.IDLE))
    out = dict(zip(COURSE_STOCKS, sums(masks, np.int32).astype(np.int64), strict=True))
    n = np.maximum(sums.sizes, 1)
    wellbeing = np.ascontiguousarray(pop.wellbeing[:, 0])
    out["mean_wellbeing_life_satisfaction"] = sums([wellbeing], np.float64)[0] / n
    return out


def snapshot(model: CommunityModel) -> pd.DataFrame:
    """The areas of ``model`` now: the :data:`LABELS`, ``n_residents``, the stocks of the time
    course (:data:`COURSE_STOCKS`, :data:`COURSE_MEANS`) and ``frac_in_need_unmet``. The
    dashboard's locality view is drawn from it."""
    sums = _AreaSums(model.pop.unit, len(model.units))
    cols = {**labels(model), "n_residents": sums.sizes, **_stocks(model, sums)}
    cols["frac_in_need_unmet"] = _ratio(cols["n_unmet_need"], cols["n_in_need"])
    return pd.DataFrame(cols)


def _taken_on(model: CommunityModel) -> np.ndarray:
    """Residents of each area the emergency actors have taken on so far."""
    out = np.zeros(len(model.units), np.int64)
    for actor in model.emergency_actors:
        out += actor.taken_on_by_unit
    return out


def _ratio(top, bottom, factor: float = 1.0) -> np.ndarray:
    top = np.asarray(top, np.float64)
    bottom = np.asarray(bottom, np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(bottom > 0, factor * top / np.where(bottom > 0, bottom, 1), np.nan)


class AreaCourse:
    """The per-area time course of a run (``area_course.parquet``): one row per area and
    period of ``period_days`` output days (the last period may be shorter), with counts over
    the period (:data:`COURSE_FLOWS`), stocks at its end (:data:`COURSE_STOCKS`,
    :data:`COURSE_MEANS`) and rates (:data:`COURSE_RATES`).

    Call :meth:`observe` after every day and once more with ``final=True`` at the end of the
    run. The flows are differences of the residents' cumulative tallies between period ends,
    so the daily loop pays nothing but a modulo; at a period's end a dozen masks are summed by
    area in one pass (about 1 ms for 100,000 residents, measured by
    ``experiments/areas_table_cost.py``).
    """

    def __init__(self, model: CommunityModel, period_days: int):
        if period_days < 1:
            raise ValueError("period_days must be at least 1")
        self.period_days = period_days
        self._labels = labels(model)
        self._sums = _AreaSums(model.pop.unit, len(model.units))
        self._before = np.zeros((len(COURSE_FLOWS), len(model.units)), np.int64)
        self._before[4] = _taken_on(model)  # from output day 1 (none in a burn-in)
        self._first_day = model.output_day + 1
        self._rows: list[dict[str, np.ndarray]] = []

    def observe(self, model: CommunityModel, final: bool = False) -> None:
        """Record a period if ``model`` is at the end of one (or ``final`` and days remain)."""
        day = model.output_day
        if day < self._first_day or (day % self.period_days and not final):
            return
        pop = model.pop
        referrals = pop.lw_referrals.astype(np.int32)
        referrals -= getattr(model, "lw_referrals_at_start", 0)
        counts = self._sums((pop.ever_need, pop.ever_need & pop.ever_supported, referrals),
                            np.int32).astype(np.int64)  # at most a few per resident
        days = self._sums((pop.unmet_days,))  # int64: an area's days can pass 2**31
        cum = np.stack([counts[0], counts[1], days[0], counts[2], _taken_on(model)])
        flows, self._before = cum - self._before, cum
        n_units = len(model.units)
        row = {"period": np.full(n_units, len(self._rows), np.int64),
               "first_day": np.full(n_units, self._first_day, np.int64),
               "last_day": np.full(n_units, day, np.int64),
               "n_residents": self._sums.sizes,
               **dict(zip(COURSE_FLOWS, flows, strict=True)),
               **_stocks(model, self._sums)}
        self._rows.append(row)
        self._first_day = day + 1

    def table(self) -> pd.DataFrame:
        """The time course so far: areas within periods, the columns of the data dictionary's
        ``area_course`` table in its order."""
        names = outputs.names("area_course")
        if not self._rows:
            return _empty_course(self._labels)
        k = len(self._rows)
        cols: dict[str, np.ndarray] = {
            name: np.tile(values, k) for name, values in self._labels.items()}
        for name in self._rows[0]:
            cols[name] = np.concatenate([r[name] for r in self._rows])
        for name, (num, den, factor) in COURSE_RATES.items():
            cols[name] = _ratio(cols[num], cols[den], factor)
        return pd.DataFrame({name: cols[name] for name in names})


def _empty_course(label_cols: dict[str, np.ndarray]) -> pd.DataFrame:
    """A time course of no periods, with the dictionary's columns and dtypes."""
    out = {}
    for e in outputs.entries("area_course"):
        if e.name in label_cols:
            out[e.name] = pd.Series(label_cols[e.name][:0])
        else:
            out[e.name] = pd.Series(np.zeros(0, "object" if e.dtype == "str" else e.dtype))
    return pd.DataFrame(out)


def aggregate_course(course: pd.DataFrame,
                     by: str | list[str] | tuple[str, ...] = ()) -> pd.DataFrame:
    """Roll the time course up to groups of areas, period by period: one row per value of
    ``by`` (``pcn``, ``district``, ``imd_decile``, ... or a list; ``()``: the whole place) and
    period, with ``n_areas``, the :data:`COURSE_COUNTS` summed, the :data:`COURSE_RATES`
    recomputed from the sums and the :data:`COURSE_MEANS` weighted by residents. A sweep's
    collected ``area_course`` table (``sim.experiments.collect``) rolls up the same way:
    group by ``run`` (or a swept parameter) as well to keep runs apart; without it, the runs'
    counts are pooled. A :func:`snapshot` (no time columns, no flows) rolls up the same way,
    to one row per value of ``by``."""
    keys = [by] if isinstance(by, str) else list(by)
    unknown = [k for k in keys if k not in course.columns]
    if unknown:
        raise KeyError(f"no column {unknown[0]!r} in the area time course (group by any of: "
                       f"{', '.join(LABELS)})")
    keys = [k for k in keys if k not in COURSE_TIME] + [
        k for k in COURSE_TIME if k in course.columns]
    counts = [c for c in COURSE_COUNTS if c in course.columns]
    means = [c for c in COURSE_MEANS if c in course.columns]
    rates = {k: v for k, v in COURSE_RATES.items() if v[0] in counts and v[1] in counts}
    df = course.copy()
    weight = df["n_residents"].to_numpy(np.float64)
    for name in means:
        df[name] = df[name].to_numpy(np.float64) * weight
    if keys:
        grouped = df.groupby(keys, sort=True, observed=True)
        out = grouped[counts + means].sum()
        out.insert(0, "n_areas", grouped.size())
        out = out.reset_index()
    else:
        out = pd.DataFrame({"n_areas": [len(df)], **{c: [df[c].sum()] for c in counts + means}})
    cols = {c: out[c].to_numpy() for c in out.columns}
    for name, (num, den, factor) in rates.items():
        cols[name] = _ratio(cols[num], cols[den], factor)
    n = out["n_residents"].to_numpy(np.float64)
    for name in means:
        cols[name] = np.where(n > 0, out[name].to_numpy(np.float64) / np.maximum(n, 1), np.nan)
    order = [*keys, "n_areas", *counts, *rates, *means]
    return pd.DataFrame({c: cols[c] for c in order})
