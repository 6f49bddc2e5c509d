"""The per-practice table (``practices.parquet``): one row per GP practice for the run's output
days, so co-location can be judged within one run (practices whose link worker sits in the
surgery against those whose link worker is hosted elsewhere, 004:398-402), and the two summary
figures that compare them (:func:`summary_figures`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim import outputs

if TYPE_CHECKING:
    from sim.model import CommunityModel


def table(model: CommunityModel) -> pd.DataFrame:
    """One row per GP practice (at the end of the run), the columns of the data dictionary's
    ``practices`` table in its order."""
    practices = model.gp_practices
    unit_names = [u.name for u in model.units]
    patients = np.bincount(model.pop.gp, minlength=len(practices)).astype(np.int64)
    cols: dict[str, object] = {
        "practice": np.array([gp.name for gp in practices], object),
        "area": np.array([unit_names[gp.unit] for gp in practices], object),
        "n_patients": patients,
        "n_link_workers": np.array([len(gp.link_workers) for gp in practices], np.int64),
        "n_link_workers_co_located": np.array(
            [sum(lw.co_located for lw in gp.link_workers) for gp in practices], np.int64),
        "days_co_located": np.array([gp.out_days_co_located for gp in practices], np.int64),
        "nonmedical_consultations": np.array(
            [gp.n_nonmedical - gp.nonmedical_at_start for gp in practices], np.int64),
        "gp_referrals": np.array([gp.out_gp_referrals for gp in practices], np.int64),
        "engagement": np.array([gp.engagement() for gp in practices], np.float64),
    }
    cols["co_located"] = (cols["n_link_workers_co_located"] > 0).astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        cols["gp_referrals_per_1000_patients"] = np.where(
            patients > 0, 1000.0 * cols["gp_referrals"] / np.maximum(patients, 1), np.nan)
        nonmed = cols["nonmedical_consultations"]
        cols["gp_referrals_per_100_nonmedical"] = np.where(
            nonmed > 0, 100.0 * cols["gp_referrals"] / np.maximum(nonmed, 1), np.nan)
    return pd.DataFrame({name: cols[name] for name in outputs.names("practices")})


def summary_figures(model: CommunityModel) -> dict[str, float]:
    """GP referrals to link workers per 1,000 patients over the output days, pooled over the
    practices with a link worker in the surgery at the end of the run (``co_located``) and
    over those whose link workers are all hosted elsewhere (``remote``); NaN where there is
    no such practice."""
    t = table(model)
    served = t["n_link_workers"] > 0
    out = {}
    for name, rows in (("co_located", served & (t["co_located"] == 1)),
                       ("remote", served & (t["co_located"] == 0))):
        patients = int(t.loc[rows, "n_patients"].sum())
        out[f"gp_referrals_per_1000_patients_{name}"] = (
            1000.0 * float(t.loc[rows, "gp_referrals"].sum()) / patients if patients
            else float("nan"))
    return out
