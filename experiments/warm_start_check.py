"""Would a warm start make a sensitivity study cheaper without changing its answer?

A Sobol study of the urban year (``configs/sensitivity/urban_year.yaml``) pays a 1,456-day
burn-in for every run: each sample changes parameters the burn-in reads, so no two runs share
one (docs/sweeps.md, section 6). A *warm start* would burn in once under the design's base
values, then give each run its own values (as ``set_parameter`` events would) and a shorter
settling period before the measured year. This script measures whether that is the same study:
for ``--rows`` rows of the design's Saltelli sample (every ``--step``-th), it runs

* the run as the study runs it, on replicates 0 and 1 (their difference is the noise of one
  replicate against another), and
* the warm start: replicate 0's burnt-in state under the base values, the row's values set,
  ``--warm-days`` days under them, then the year;

and compares each outcome: the warm start's mean difference from the full runs (bias, with its
t statistic) and the spread of its differences against the spread between two replicates. A
warm start that were the same study would show no bias and the same spread.

    python experiments/warm_start_check.py                    # 48 rows, 365 warm days
    python experiments/warm_start_check.py --rows 24 --warm-days 730

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


def compare(rows: list[dict], outcomes: list[str]) -> dict:
    out = {}
    for j, name in enumerate(outcomes):
        f0, f1, w = (np.array([r[k][j] for r in rows], float) for k in ("full0", "full1", "warm"))
        bias = w - (f0 + f1) / 2
        out[name] = {"between_rows_sd": f0.std(ddof=1),
                     "replicate_difference_sd": (f1 - f0).std(ddof=1),
                     "warm_minus_full_sd": (w - f0).std(ddof=1),
                     "bias": bias.mean(),
                     "bias_t": bias.mean() / (bias.std(ddof=1) / np.sqrt(len(bias))),
                     "r_full0_full1": np.corrcoef(f0, f1)[0, 1],
                     "r_full0_warm": np.corrcoef(f0, w)[0, 1]}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--design", default="urban_year")
    ap.add_argument("--rows", type=int, default=48)
    ap.add_argument("--step", type=int, default=211, help="every step-th row of the sample")
    ap.add_argument("--warm-days", type=int, default=365)
    ap.add_argument("--out", type=Path, default=ROOT / "experiments" / "results" /
                    "warm_start_check.json")
    a = ap.parse_args(argv)
    if a.rows < 3 or a.step < 1 or a.warm_days < 1:
        ap.error("--rows must be at least 3, --step and --warm-days at least 1")
    design = load_design(a.design)
    X = sample(design, "sobol")
    outcomes = list(design.outcomes)
    base = [*design.base_overrides, "run.plots=false"]
    state = pickle.dumps(CommunityModel(compose([*base, "run.replicate=0"]), start=False))
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
        s = warm_run(state, values, [*own, "run.replicate=0"], a.warm_days)
        cpu_warm.append(time.process_time() - t)
        row["warm"] = [s[o] for o in outcomes]
        rows.append(row)
        print(json.dumps(row), flush=True)
    result = {"design": a.design, "warm_days": a.warm_days, "rows": rows,
              "cpu_seconds_median": {"full": float(np.median(cpu_full)),
                                     "warm": float(np.median(cpu_warm))},
              "outcomes": compare(rows, outcomes)}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(result, indent=1, default=float))
    med = result["cpu_seconds_median"]
    print(f"{len(rows)} rows; CPU-s per run, median: full {med['full']:.2f}, "
          f"warm {med['warm']:.2f}")
    for name, c in result["outcomes"].items():
        print(f"{name}: bias {c['bias']:+.4g} (t {c['bias_t']:+.2f}); spread of warm - full "
              f"{c['warm_minus_full_sd']:.4g} vs replicate - replicate "
              f"{c['replicate_difference_sd']:.4g}; between rows {c['between_rows_sd']:.4g}; "
              f"r(full0, full1) {c['r_full0_full1']:.3f}, r(full0, warm) {c['r_full0_warm']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
