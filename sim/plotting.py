"""Matplotlib figures over result tables (never over a live model)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

PANELS = {
    "need.png": ("Need and unmet need", [
        ("n_in_need", "in need"), ("n_unmet_need", "unmet need"),
        ("n_pathway_waiting", "waiting for a link worker")]),
    "volunteers.png": ("Volunteers", [
        ("n_vol_registered", "registered"), ("n_vol_active", "active"),
        ("n_vol_idle", "idle"), ("n_vol_lapsed", "lapsed")]),
    "referrals.png": ("Link-worker referrals by source (cumulative)", [
        ("cum_referrals_gp", "GP"), ("cum_referrals_self", "self"),
        ("cum_referrals_signposting", "signposting"), ("cum_referrals_vcse", "VCSE"),
        ("cum_referrals_statutory", "statutory")]),
    "groups.png": ("Groups and directory", [
        ("n_groups_open", "groups open"), ("n_groups_listed", "on the directory"),
        ("n_health_vcse_ties", "health-VCSE ties")]),
    "wellbeing.png": ("Mean ONS4 wellbeing (0-10)", [
        ("mean_wellbeing_life_satisfaction", "life satisfaction"),
        ("mean_wellbeing_worthwhile", "worthwhile"), ("mean_wellbeing_happiness", "happiness"),
        ("mean_wellbeing_anxiety", "anxiety")]),
}


def plot_run(ts: pd.DataFrame, out: Path, title: str = "") -> list[str]:
    """One PNG per panel of key metrics; returns the file names."""
    names = []
    for name, (heading, series) in PANELS.items():
        fig, ax = plt.subplots(figsize=(7, 3.8), dpi=100)
        for col, label in series:
            if col in ts:
                ax.plot(ts["day"], ts[col], label=label, linewidth=1.4)
        ax.set_xlabel("day")
        ax.set_title(f"{heading}\n{title}" if title else heading, fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, frameon=False)
        fig.tight_layout()
        fig.savefig(out / name, metadata={"Software": None})
        plt.close(fig)
        names.append(name)
    return names
