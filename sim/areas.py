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
from sim.state import ONS4, VSTATE

if TYPE_CHECKING:
    from sim.model import CommunityModel

LABELS = ("area", "district", "pcn", "imd_decile", "deprivation_quintile", "rural")
"""Columns describing the area (what a roll-up can group by)."""
COUNTS = ("n_residents", "residents_in_need", "residents_reached", "unmet_need_days",
          "lw_referrals", "bounced_residents", "n_unmet_need", "n_vol_trained",
          "n_groups_open")
"""Columns that add up over areas."""
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


def table(model: CommunityModel) -> pd.DataFrame:
    """The per-area table of ``model`` (at the end of its run): one row per area, the columns
    of the data dictionary's ``areas`` table in its order."""
    pop = model.pop
    n_units = len(model.units)
    unit = pop.unit

    def per_area(weights=None) -> np.ndarray:
        return np.bincount(unit, weights=weights, minlength=n_units)

    areas = model.areas
    cols: dict[str, np.ndarray] = {"area": np.array([u.name for u in model.units], object)}
    if areas is not None:
        cols["district"] = areas["district"].to_numpy(dtype=object)
        cols["pcn"] = areas["pcn"].to_numpy(dtype=object)
        cols["imd_decile"] = areas["imd_decile"].to_numpy().astype(np.int64)
    else:
        cols["district"] = np.array([model.districts[d] for d in model.district_of_unit],
                                    object)
        cols["pcn"] = np.full(n_units, "", object)
        cols["imd_decile"] = np.zeros(n_units, np.int64)
    cols["deprivation_quintile"] = _mode_by(unit, pop.deprivation.astype(np.int64), n_units,
                                            6).astype(np.int64)
    cols["rural"] = _mode_by(unit, pop.rural.astype(np.int64), n_units, 2).astype(np.int64)
    n = per_area().astype(np.int64)
    cols["n_residents"] = n
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
    summed, the :data:`RATES` recomputed from the sums and the wellbeing :data:`MEANS`
    weighted by residents. Rows in sorted order of ``by``."""
    keys = [by] if isinstance(by, str) else list(by)
    unknown = [k for k in keys if k not in areas.columns]
    if unknown:
        raise KeyError(f"no column {unknown[0]!r} in the areas table (group by any of: "
                       f"{', '.join(LABELS)})")
    df = areas.copy()
    weight = df["n_residents"].to_numpy(np.float64)
    for name in MEANS:
        df[name] = df[name].to_numpy(np.float64) * weight
    if keys:
        grouped = df.groupby(keys, sort=True)
        out = grouped[list(COUNTS) + list(MEANS)].sum()
        out.insert(0, "n_areas", grouped.size())
        out = out.reset_index()
    else:
        out = pd.DataFrame({"n_areas": [len(df)],
                            **{c: [df[c].sum()] for c in (*COUNTS, *MEANS)}})
    cols = {c: out[c].to_numpy() for c in out.columns}
    _rates(cols)
    n = out["n_residents"].to_numpy(np.float64)
    for name in MEANS:
        cols[name] = np.where(n > 0, out[name].to_numpy(np.float64) / np.maximum(n, 1), np.nan)
    order = [*keys, "n_areas", *COUNTS, *RATES, *MEANS]
    return pd.DataFrame({c: cols[c] for c in order})
