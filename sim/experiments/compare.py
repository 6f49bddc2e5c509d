"""Scenario-vs-baseline paired effects with confidence intervals, and their figures.

    python -m sim.experiments.compare DIR [--baseline baseline] [--metrics M ...]
                                          [--ci t|bootstrap] [--level 0.95] [--out DIR/comparison]

Runs are paired when they differ only in the scenario: same overrides apart from ``scenario=``,
hence the same topology, seed and replicate (replicate streams do not depend on the scenario, see
:mod:`sim.rng`), so each pair shares topology, population and need draws. For every scenario,
group (the overrides other than scenario, seed and replicate that differ between runs, e.g.
the topology) and summary metric the table gives the mean paired difference
``scenario - baseline`` with a confidence interval: Student t on the paired differences
(``scipy.stats.ttest_1samp``) or a BCa bootstrap of their mean (``scipy.stats.bootstrap``,
seeded). Writes ``effects.parquet``, ``effects.csv``, fan charts of the key daily metrics and an
effect plot (PNG and SVG).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

# Summary outcomes compared by default (keys of summary.json, see sim.metrics.summary).
KEY_OUTCOMES = (
    "mean_frac_volunteer_utilisation",
    "unmet_need_days_per_1000_residents",
    "referrals_per_1000_residents",
    "mean_days_to_first_support",
    "vol_dropouts_waiting",
    "final_n_vol_active",
    "final_mean_wellbeing_life_satisfaction",
)
# Daily metrics drawn as fan charts (columns of timeseries.parquet, see sim.metrics).
KEY_SERIES = (
    "frac_volunteer_utilisation", "n_vol_active", "n_unmet_need", "n_pathway_waiting",
    "mean_wellbeing_life_satisfaction",
)
PAIR_EXCLUDE = ("scenario", "+scenario", "++scenario")
# left out of the group label: replicate axes, and the named sweep (the same for every run)
GROUP_EXCLUDE = PAIR_EXCLUDE + ("run.replicate", "run.seed", "+sweep", "sweep")


def _override_key(item: str) -> str:
    return item.split("=", 1)[0]


def pair_key(overrides: str, drop: tuple[str, ...]) -> str:
    """The overrides (JSON list text) other than the ``drop`` keys, sorted, space-separated."""
    items = [o for o in json.loads(overrides or "[]") if _override_key(o) not in drop]
    return " ".join(sorted(items))


def _drop_common(groups: list[str]) -> list[str]:
    """Group labels without the overrides every run shares (``run.days=60`` ...)."""
    common = set.intersection(*(set(g.split()) for g in groups)) if groups else set()
    return [" ".join(i for i in g.split() if i not in common) or "all runs" for g in groups]


def mean_ci(d: np.ndarray, *, method: str = "t", level: float = 0.95,
            seed: int = 0) -> tuple[float, float]:
    """Confidence interval of the mean of paired differences ``d``."""
    d = np.asarray(d, dtype=float)
    d = d[np.isfinite(d)]
    if len(d) < 2:
        return math.nan, math.nan
    if np.ptp(d) == 0:  # no spread: the interval is the point
        return float(d[0]), float(d[0])
    if method == "t":
        ci = stats.ttest_1samp(d, 0.0).confidence_interval(confidence_level=level)
        return float(ci.low), float(ci.high)
    if method == "bootstrap":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # BCa warns on small samples; NaN handled below
            res = stats.bootstrap((d,), np.mean, confidence_level=level, method="BCa",
                                  n_resamples=9999, rng=np.random.default_rng(seed))
            low, high = res.confidence_interval
            if not (np.isfinite(low) and np.isfinite(high)):
                res = stats.bootstrap((d,), np.mean, confidence_level=level,
                                      method="percentile", n_resamples=9999,
                                      rng=np.random.default_rng(seed))
                low, high = res.confidence_interval
        return float(low), float(high)
    raise ValueError(f"ci method must be 't' or 'bootstrap' (got {method!r})")


def paired_effects(summary: pd.DataFrame, *, baseline: str = "baseline",
                   metrics: list[str] | tuple[str, ...] = KEY_OUTCOMES, ci: str = "t",
                   level: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """One row per (scenario, group, metric): paired difference scenario - baseline with CI."""
    if "scenario" not in summary:
        raise ValueError("the summary table has no 'scenario' column")
    missing = [m for m in metrics if m not in summary]
    if missing:
        raise ValueError(f"unknown metric(s) {', '.join(missing)}; summary columns include "
                         f"{', '.join(c for c in KEY_OUTCOMES if c in summary)}")
    scenarios = sorted(set(summary["scenario"]))
    if baseline not in scenarios:
        raise ValueError(f"no runs of the baseline scenario {baseline!r} "
                         f"(scenarios: {', '.join(scenarios)})")
    df = summary.copy()
    if "overrides" in df and df["overrides"].fillna("[]").ne("[]").all():
        df["_pair"] = [pair_key(o, PAIR_EXCLUDE) for o in df["overrides"]]
        df["group"] = _drop_common([pair_key(o, GROUP_EXCLUDE) for o in df["overrides"]])
    else:  # runs made without overrides: pair on identity
        df["_pair"] = df[["topology", "seed", "replicate"]].astype(str).agg(" ".join, axis=1)
        df["group"] = "topology=" + df["topology"].astype(str)
    dup = df.duplicated(["scenario", "_pair"])
    if dup.any():
        raise ValueError(f"{int(dup.sum())} runs share scenario and pairing key; cannot pair "
                         f"(e.g. {df.loc[dup, 'run'].iloc[0]})")
    base = df[df["scenario"] == baseline]
    rows = []
    for scen in scenarios:
        if scen == baseline:
            continue
        pairs = df[df["scenario"] == scen].merge(base[["_pair", *metrics]], on="_pair",
                                                 suffixes=("", "_base"))
        for group, g in pairs.groupby("group", sort=True):
            for m in metrics:
                s = g[m].to_numpy(dtype=float)
                b = g[f"{m}_base"].to_numpy(dtype=float)
                ok = np.isfinite(b) & np.isfinite(s)
                d = s[ok] - b[ok]
                low, high = mean_ci(d, method=ci, level=level, seed=seed)
                mean_b = float(b[ok].mean()) if ok.any() else math.nan
                mean_d = float(d.mean()) if len(d) else math.nan
                p = (float(stats.ttest_1samp(d, 0.0).pvalue)
                     if len(d) > 1 and np.ptp(d) > 0 else math.nan)
                rows.append({
                    "scenario": scen, "baseline": baseline,
                    "topology": str(g["topology"].iloc[0]), "group": group, "metric": m,
                    "n_pairs": int(ok.sum()), "baseline_mean": mean_b,
                    "scenario_mean": float(s[ok].mean()) if ok.any() else math.nan,
                    "mean_difference": mean_d, "ci_low": low, "ci_high": high,
                    "ci_method": ci, "confidence": level, "p_value": p,
                    "relative_difference": mean_d / mean_b if mean_b else math.nan,
                })
    return pd.DataFrame(rows)


def compare(sweep_dir: str | Path, *, out: str | Path | None = None,
            baseline: str = "baseline", metrics: list[str] | None = None,
            series: list[str] | None = None, ci: str = "t", level: float = 0.95,
            seed: int = 0, plots: bool = True) -> dict:
    """Effects table and figures for a collected sweep (collects it first if needed)."""
    from sim import io
    from sim.experiments import figures
    from sim.experiments.collect import collect

    sweep_dir = Path(sweep_dir)
    tables = sweep_dir / "tables"
    if not (tables / "summary.parquet").is_file():
        collect(sweep_dir)
    out = Path(out) if out is not None else sweep_dir / "comparison"
    out.mkdir(parents=True, exist_ok=True)
    summary = pd.read_parquet(tables / "summary.parquet")
    metrics = list(metrics or [m for m in KEY_OUTCOMES if m in summary])
    effects = paired_effects(summary, baseline=baseline, metrics=metrics, ci=ci, level=level,
                             seed=seed)
    io.atomic_write(out / "effects.parquet", lambda p: effects.to_parquet(p, index=False))
    io.atomic_write(out / "effects.csv", lambda p: effects.to_csv(p, index=False))
    files = [out / "effects.parquet", out / "effects.csv"]
    if plots:
        series = list(series or KEY_SERIES)
        files += figures.fan_charts(tables / "timeseries.parquet", series, out)
        if not effects.empty:
            files += figures.effect_plot(effects, out / "effects")
    return {"dir": str(out), "effects": effects, "files": [str(f) for f in files]}


def main(argv: list[str] | None = None,
         prog: str = "python -m sim.experiments.compare") -> int:
    ap = argparse.ArgumentParser(prog=prog, description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sweep_dir")
    ap.add_argument("--baseline", default="baseline", help="baseline scenario name")
    ap.add_argument("--metrics", nargs="+", help="summary outcomes to compare")
    ap.add_argument("--series", nargs="+", help="daily metrics for the fan charts")
    ap.add_argument("--ci", choices=("t", "bootstrap"), default="t")
    ap.add_argument("--level", type=float, default=0.95, help="confidence level")
    ap.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    ap.add_argument("--out", help="output folder (default SWEEP_DIR/comparison)")
    ap.add_argument("--no-plots", action="store_true")
    args = ap.parse_args(argv)
    if not 0 < args.level < 1:
        print(f"error: --level must be between 0 and 1 (got {args.level})", file=sys.stderr)
        return 2
    try:
        res = compare(args.sweep_dir, out=args.out, baseline=args.baseline,
                      metrics=args.metrics, series=args.series, ci=args.ci, level=args.level,
                      seed=args.seed, plots=not args.no_plots)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    eff = res["effects"]
    if eff.empty:
        print("no scenario runs pair with the baseline runs: nothing to compare")
    else:
        cols = ["scenario", "group", "metric", "n_pairs", "mean_difference", "ci_low",
                "ci_high"]
        with pd.option_context("display.width", 160, "display.max_colwidth", 40):
            print(eff[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(f"wrote {len(res['files'])} files to {res['dir']}")
    return 0


if __name__ == "__main__":
    from sim.experiments.gc_freeze import freeze_at_exit

    freeze_at_exit()
    sys.exit(main())
