"""Would a warm start make a sensitivity study cheaper without changing its answer?

A Sobol study of the urban year (``configs/sensitivity/urban_year.yaml``) pays a 1,456-day
burn-in for every run: each sample changes parameters the burn-in reads, so no two runs share
one (docs/sweeps.md, section 6). A *warm start* would burn in once under the design's base
values, then give each run its own values (as ``set_parameter`` events would) and a shorter
settling period before the measured year. This script measures whether that is the same study:
for ``--rows`` rows of the design's Saltelli sample (every ``--step``-th), it runs

* the run as the study runs it, on replicates 0 and 1 (their difference is the noise of one
  replicate against another), and
* the warm start: replicate 1's burnt-in state under the base values, the row's values set,
  ``--warm-days`` days under them (whole weeks, so output day 1 stays a Monday), then the year;

and compares each outcome of the warm start with replicate 1's full run, the same world (a
replicate seeds the whole world, ``sim.rng``: the same residents, ties and organisations)
reached by a different path: the mean difference (bias, with its t statistic; the rows' warm
starts share one burnt-in state, so they are not independent and the t overstates), the
spread of the differences against that of replicate 1's full run minus replicate 0's (another
world as well as another path), and whether the difference depends on the parameters (an
ordinary least-squares fit on the row's values: R^2, the F test's p-value and each slope's t;
the same fit of replicate 1 minus replicate 0 for reference). A warm start that were the same
study would show no bias and no more spread; a study of sensitivities (Sobol indices) is
changed by a difference that depends on the parameters, not by a constant one.

    python experiments/warm_start_check.py                    # 48 rows, 364 warm days
    python experiments/warm_start_check.py --rows 24 --warm-days 728

Measured 2026-12-02 (Intel Xeon, 2 vCPUs, shared): docs/sweeps.md, section 6.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim import metrics, runner  # noqa: E402
from sim.burn_in import adopt  # noqa: E402
from sim.config import compose  # noqa: E402
from sim.events.parameters import set_parameter  # noqa: E402
from sim.experiments.sensitivity import job_values, load_design, sample  # noqa: E402
from sim.model import CommunityModel  # noqa: E402


def warm_run(base_state: bytes, values, overrides: list[str], days: int) -> dict:
    """The warm start: the base burnt-in state, the row's values, ``days`` settling days
    under them (burn-in: nothing recorded), then the year; its summary."""
    model = pickle.loads(base_state)  # noqa: S301 - made by this script, just above
    for key, value in values:
        set_parameter(model, {"key": key, "value": value})
    model.capacity_epoch += 1  # as an event does: groups' capacities afresh
    model.burn_in(days)
    adopt(model, compose(overrides))
    model.start_output()
    for _ in range(model.cfg.run.days):
        model.step()
    return metrics.summary(model, model.timeseries())


def parameter_dependence(y: np.ndarray, X: np.ndarray) -> dict:
    """An ordinary least-squares fit of ``y`` on ``X`` (with an intercept): R^2, the F test's
    p-value against no dependence, and each slope's t."""
    from scipy import stats

    A = np.column_stack([np.ones(len(y)), X])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    resid = y - A @ coef
    rss = float(resid @ resid)
    tss = float(((y - y.mean()) ** 2).sum())
    k, n = X.shape[1], len(y)
    r2 = 1.0 - rss / tss if tss > 0 else 0.0
    if n - k - 1 <= 0 or rss == 0:
        return {"r2": r2, "p": float("nan"), "slope_t": [float("nan")] * k}
    f = (r2 / k) / ((1.0 - r2) / (n - k - 1))
    cov = rss / (n - k - 1) * np.linalg.pinv(A.T @ A)
    return {"r2": r2, "p": float(stats.f.sf(f, k, n - k - 1)),
            "slope_t": (coef[1:] / np.sqrt(np.diag(cov)[1:])).tolist()}


def compare(rows: list[dict], outcomes: list[str], X: np.ndarray) -> dict:
    out = {}
    for j, name in enumerate(outcomes):
        f0, f1, w = (np.array([r[k][j] for r in rows], float) for k in ("full0", "full1", "warm"))
        bias, other = w - f1, f1 - f0  # the same world by another path; another world
        out[name] = {"mean_full": float(np.concatenate([f0, f1]).mean()),
                     "between_rows_sd": f1.std(ddof=1),
                     "bias": bias.mean(),
                     "bias_t": bias.mean() / (bias.std(ddof=1) / np.sqrt(len(bias))),
                     "warm_minus_full_sd": bias.std(ddof=1),
                     "replicate_difference_mean": other.mean(),
                     "replicate_difference_sd": other.std(ddof=1),
                     "bias_on_parameters": parameter_dependence(bias, X),
                     "replicate_difference_on_parameters": parameter_dependence(other, X),
                     "r_full1_warm": np.corrcoef(f1, w)[0, 1],
                     "r_full0_full1": np.corrcoef(f0, f1)[0, 1]}
    return out


def report(rows: list[dict], design, X: np.ndarray, warm_days: int, cpu: dict,
           out: Path) -> dict:
    """Compare, write ``out`` (JSON) and print the comparison."""
    chosen = [r["row"] for r in rows]
    result = {"design": design.name, "warm_days": warm_days, "rows": rows,
              "cpu_seconds_median": cpu,
              "outcomes": compare(rows, list(design.outcomes), X[chosen])}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, default=float))
    print(f"{len(rows)} rows, {warm_days} warm days; CPU-s per run, median: full "
          f"{cpu['full']:.2f}, warm {cpu['warm']:.2f}")
    names = [k.rsplit(".", 1)[-1] for k in design.parameters]
    for name, c in result["outcomes"].items():
        b, o = c["bias_on_parameters"], c["replicate_difference_on_parameters"]
        print(f"{name} (mean {c['mean_full']:.4g}, between rows {c['between_rows_sd']:.4g}): "
              f"warm - full (same world) {c['bias']:+.4g} (t {c['bias_t']:+.2f}, sd "
              f"{c['warm_minus_full_sd']:.4g}); replicate 1 - 0 "
              f"{c['replicate_difference_mean']:+.4g} (sd {c['replicate_difference_sd']:.4g}); "
              f"on the parameters R^2 {b['r2']:.2f} (p {b['p']:.2g}) vs {o['r2']:.2f} "
              f"(p {o['p']:.2g}); slopes' t: "
              + ", ".join(f"{n} {t:+.1f}" for n, t in zip(names, b["slope_t"], strict=True)))
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--design", default="urban_year")
    ap.add_argument("--rows", type=int, default=48)
    ap.add_argument("--step", type=int, default=211, help="every step-th row of the sample")
    ap.add_argument("--warm-days", type=int, default=364, help="settling days (whole weeks)")
    ap.add_argument("--out", type=Path, default=ROOT / "experiments" / "results" /
                    "warm_start_check.json")
    ap.add_argument("--analyse", type=Path, help="no runs: the comparison of a saved result")
    a = ap.parse_args(argv)
    if a.analyse is not None:
        saved = json.loads(a.analyse.read_text())
        design = load_design(saved["design"])
        X = sample(design, "sobol")
        report(saved["rows"], design, X, saved["warm_days"], saved["cpu_seconds_median"], a.out)
        return 0
    if a.rows < 3 or a.step < 1 or a.warm_days < 7 or a.warm_days % 7:
        ap.error("--rows must be at least 3, --step at least 1, --warm-days whole weeks "
                 "(a multiple of 7, so output day 1 stays a Monday)")
    design = load_design(a.design)
    X = sample(design, "sobol")
    outcomes = list(design.outcomes)
    base = [*design.base_overrides, "run.plots=false"]
    state = pickle.dumps(CommunityModel(compose([*base, "run.replicate=1"]), start=False))
    rows, cpu_full, cpu_warm = [], [], []
    for i in list(range(0, len(X), a.step))[:a.rows]:
        values = job_values(design, X[i])
        own = [*base, *(f"{k}={v}" for k, v in values)]
        row = {"row": i}
        for r in (0, 1):
            t = time.process_time()
            s = runner.run(compose([*own, f"run.replicate={r}"])).summary
            cpu_full.append(time.process_time() - t)
            row[f"full{r}"] = [s[o] for o in outcomes]
        t = time.process_time()
        s = warm_run(state, values, [*own, "run.replicate=1"], a.warm_days)
        cpu_warm.append(time.process_time() - t)
        row["warm"] = [s[o] for o in outcomes]
        rows.append(row)
        print(json.dumps(row), flush=True)
    report(rows, design, X, a.warm_days, {"full": float(np.median(cpu_full)),
                                         "warm": float(np.median(cpu_warm))}, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
