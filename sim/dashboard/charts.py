"""Live charts of the key outcomes for one or two branches (matplotlib, over result tables)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

PANELS = (  # title, [(column, label)]
    ("Unmet need (residents)", [("n_unmet_need", "unmet need"),
                                ("n_pathway_waiting", "waiting for a link worker")]),
    ("Time to support (days, cumulative mean)", [("mean_days_to_support_cum", "need onset to "
                                                  "first support")]),
    ("Volunteers", [("n_vol_registered", "registered"), ("n_vol_active", "active"),
                    ("n_vol_idle", "idle")]),
    ("Referrals by result (cumulative)", [("cum_referrals_result_accepted", "accepted"),
                                          ("cum_referrals_result_declined", "declined"),
                                          ("cum_referrals_result_stale", "stale entry"),
                                          ("cum_referrals_result_bounced", "bounced to GP")]),
    ("Groups open", [("n_groups_open", "open"), ("n_groups_listed", "on the directory")]),
    ("Wellbeing (mean ONS4, 0-10)", [("mean_wellbeing_life_satisfaction", "life satisfaction"),
                                     ("mean_wellbeing_anxiety", "anxiety")]),
)
BRANCH_STYLE = {"A": "-", "B": "--"}
SUMMARY_ROWS = (  # label, function of the table
    ("day", lambda ts: int(ts["day"].iloc[-1])),
    ("residents in unmet need now", lambda ts: int(ts["n_unmet_need"].iloc[-1])),
    ("unmet need-days so far", lambda ts: int(ts["n_unmet_need"].sum())),
    ("mean days to first support", lambda ts: _round(ts["mean_days_to_support_cum"].iloc[-1])),
    ("volunteers registered", lambda ts: int(ts["n_vol_registered"].iloc[-1])),
    ("volunteers active", lambda ts: int(ts["n_vol_active"].iloc[-1])),
    ("volunteers idle", lambda ts: int(ts["n_vol_idle"].iloc[-1])),
    ("referrals accepted", lambda ts: int(ts["cum_referrals_result_accepted"].iloc[-1])),
    ("referrals declined", lambda ts: int(ts["cum_referrals_result_declined"].iloc[-1])),
    ("referrals to stale entries", lambda ts: int(ts["cum_referrals_result_stale"].iloc[-1])),
    ("referrals bounced", lambda ts: int(ts["cum_referrals_result_bounced"].iloc[-1])),
    ("groups open", lambda ts: int(ts["n_groups_open"].iloc[-1])),
)


def _round(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 1)


def with_derived(ts: pd.DataFrame) -> pd.DataFrame:
    """Add the cumulative mean time from need onset to first support."""
    ts = ts.copy()
    if ts.empty:
        return ts
    firsts = ts["new_first_support"].cumsum()
    ts["mean_days_to_support_cum"] = np.where(
        firsts > 0, ts["sum_days_to_first_support"].cumsum() / firsts.where(firsts > 0, 1),
        np.nan)
    return ts


def draw_outcomes(tables: dict[str, pd.DataFrame], marks: dict[str, list[int]] | None = None,
                  figsize: tuple[float, float] = (11.0, 6.4)) -> Figure:
    """Six panels of key outcomes; one line style per branch, dotted lines at inject days."""
    fig = Figure(figsize=figsize, dpi=100)
    axes = fig.subplots(2, 3)
    tables = {k: with_derived(v) for k, v in tables.items()}
    for ax, (title, series) in zip(axes.flat, PANELS, strict=True):
        for s_idx, (col, label) in enumerate(series):
            colour = f"C{s_idx}"
            for branch, ts in tables.items():
                if ts.empty or col not in ts:
                    continue
                ax.plot(ts["day"], ts[col], BRANCH_STYLE.get(branch, ":"), color=colour,
                        lw=1.3, label=f"{label} ({branch})" if len(tables) > 1 else label)
        for branch, days in (marks or {}).items():
            for d in sorted(set(days)):
                ax.axvline(d, color="#555555", ls=":" if branch == "A" else "-.", lw=0.8)
        ax.set_title(title, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=6.5, frameon=False)
    for ax in axes[1]:
        ax.set_xlabel("day", fontsize=8)
    if len(tables) > 1:
        fig.suptitle("Branch A solid, branch B dashed; vertical lines mark injects",
                     fontsize=9)
    elif marks and any(marks.values()):
        fig.suptitle("Vertical dotted lines mark injects", fontsize=9)
    fig.tight_layout()
    return fig


def summary_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Key numbers per branch side by side (and B - A when both are on the same day)."""
    data = {}
    for branch, ts in tables.items():
        ts = with_derived(ts)
        data[branch] = [f(ts) if not ts.empty else None for _, f in SUMMARY_ROWS]
    out = pd.DataFrame(data, index=[label for label, _ in SUMMARY_ROWS], dtype=object)
    if {"A", "B"} <= set(out.columns) and out.loc["day", "A"] == out.loc["day", "B"]:
        out["B - A"] = pd.Series([None if a is None or b is None else round(b - a, 1)
                                  for a, b in zip(out["A"], out["B"], strict=True)],
                                 index=out.index, dtype=object)
    out.index.name = "outcome"
    return out.reset_index()
