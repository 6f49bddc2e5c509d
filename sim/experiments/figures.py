"""Matplotlib figures over sweep tables: fan charts, effect plots, sensitivity indices.

Every figure is saved as PNG and SVG (without timestamps, so the same tables give the same
files). Figures read the tables, never a live model.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

BAND = (0.1, 0.5, 0.9)  # fan: 10-90 % band and median over replicates


def save(fig, stem: Path) -> list[Path]:
    """``stem.png`` and ``stem.svg``, reproducible byte for byte."""
    with matplotlib.rc_context({"svg.hashsalt": "community-response-sim"}):
        fig.savefig(stem.with_suffix(".png"), metadata={"Software": None}, dpi=110)
        fig.savefig(stem.with_suffix(".svg"), metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return [stem.with_suffix(".png"), stem.with_suffix(".svg")]


def _design_columns(ts_path: Path) -> list[str]:
    """Swept parameters other than seed and replicate (from collect.json, if present)."""
    info = ts_path.parent / "collect.json"
    if info.is_file():
        return list(json.loads(info.read_text()).get("parameter_columns", []))
    return []


def fan_data(ts_path: Path, metric: str) -> pd.DataFrame:
    """Quantiles over replicates: one row per (topology, line, day) with q10, q50, q90."""
    design = _design_columns(ts_path)
    cols = ["topology", "scenario", "day", metric, *design]
    schema = pq.read_schema(ts_path)
    missing = [c for c in cols if c not in schema.names]
    if missing:
        raise ValueError(f"{ts_path} has no column(s) {', '.join(missing)}")
    df = pq.read_table(ts_path, columns=cols).to_pandas()
    df["line"] = df["scenario"].astype(str)
    for c in design:
        if df[c].nunique(dropna=False) > 1 and c not in ("events", "scenario.description"):
            df["line"] += f" {c.rsplit('.', 1)[-1]}=" + df[c].astype(str)
    # observed=True: topology is categorical (pandas 2 would add unseen combinations)
    q = (df.groupby(["topology", "line", "day"], observed=True)[metric]
         .quantile(list(BAND)).unstack())
    q.columns = ["q10", "q50", "q90"]
    return q.reset_index()


def fan_charts(ts_path: str | Path, metrics: list[str], out: Path) -> list[Path]:
    """One figure per metric: a panel per topology, a median line and 10-90 % band per
    scenario."""
    ts_path = Path(ts_path)
    files: list[Path] = []
    for metric in metrics:
        data = fan_data(ts_path, metric)
        topologies = sorted(data["topology"].unique())
        fig, axes = plt.subplots(1, len(topologies), figsize=(5.2 * len(topologies), 3.8),
                                 squeeze=False, sharey=False)
        for ax, topo in zip(axes[0], topologies, strict=True):
            sub = data[data["topology"] == topo]
            for k, (line, g) in enumerate(sub.groupby("line", sort=True)):
                color = f"C{k % 10}"
                ax.fill_between(g["day"], g["q10"], g["q90"], color=color, alpha=0.25,
                                linewidth=0)
                ax.plot(g["day"], g["q50"], color=color, linewidth=1.5, label=line)
            ax.set_title(f"{topo}", fontsize=10)
            ax.set_xlabel("day")
            ax.grid(alpha=0.3)
        axes[0][0].set_ylabel(metric)
        axes[0][-1].legend(fontsize=8, frameon=False)
        fig.suptitle(f"{metric}: median and 10-90 % band over replicates", fontsize=10)
        fig.tight_layout()
        files += save(fig, out / f"fan_{metric}")
    return files


def effect_plot(effects: pd.DataFrame, stem: Path) -> list[Path]:
    """Forest plot: a panel per metric, one row per scenario and group, mean paired difference
    with its confidence interval; the dashed line is no effect."""
    metrics = list(dict.fromkeys(effects["metric"]))
    labels = list(dict.fromkeys(effects["scenario"] + " | " + effects["group"]))
    ncol = min(3, len(metrics))
    nrow = int(np.ceil(len(metrics) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(5.0 * ncol, 0.5 * len(labels) * nrow + 1.8),
                             squeeze=False)
    for ax, metric in zip(axes.flat, metrics, strict=False):
        sub = effects[effects["metric"] == metric]
        ys = [labels.index(f"{r.scenario} | {r.group}") for r in sub.itertuples()]
        err = np.array([sub["mean_difference"] - sub["ci_low"],
                        sub["ci_high"] - sub["mean_difference"]])
        ax.errorbar(sub["mean_difference"], ys, xerr=np.nan_to_num(err), fmt="o", capsize=3)
        ax.axvline(0, color="grey", linestyle="--", linewidth=1)
        ax.set_yticks(range(len(labels)), labels if ax in axes[:, 0] else [], fontsize=7)
        ax.set_ylim(-0.7, len(labels) - 0.3)
        ax.invert_yaxis()
        ax.set_title(metric, fontsize=9)
        ax.grid(alpha=0.3, axis="x")
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    ci = effects["ci_method"].iloc[0]
    level = effects["confidence"].iloc[0]
    fig.suptitle(f"Paired effect vs {effects['baseline'].iloc[0]} (scenario - baseline), "
                 f"{level:.0%} {ci} interval", fontsize=10)
    fig.tight_layout()
    return save(fig, stem)


def sensitivity_plot(indices: pd.DataFrame, stem: Path) -> list[Path]:
    """Bars per parameter and outcome: Morris mu* (with sigma) or Sobol S1 and ST, with
    confidence intervals."""
    method = indices["method"].iloc[0]
    shown = ("mu_star", "sigma") if method == "morris" else ("S1", "ST")
    outcomes = list(dict.fromkeys(indices["outcome"]))
    fig, axes = plt.subplots(1, len(outcomes), figsize=(5.2 * len(outcomes), 4.2),
                             squeeze=False)
    for ax, outcome in zip(axes[0], outcomes, strict=True):
        sub = indices[indices["outcome"] == outcome]
        params = list(dict.fromkeys(sub["parameter"]))
        y = np.arange(len(params))
        h = 0.38
        for k, name in enumerate(shown):
            part = sub[sub["index"] == name].set_index("parameter").reindex(params)
            ax.barh(y + (k - 0.5) * h, part["value"], height=h, label=name,
                    xerr=np.nan_to_num(part["conf"].to_numpy(dtype=float)), capsize=2)
        ax.set_yticks(y, params, fontsize=7)
        ax.invert_yaxis()
        ax.set_title(outcome, fontsize=9)
        ax.grid(alpha=0.3, axis="x")
        ax.legend(fontsize=8, frameon=False)
    fig.suptitle(f"{method.capitalize()} sensitivity indices", fontsize=10)
    fig.tight_layout()
    return save(fig, stem)
