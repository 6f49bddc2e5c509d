"""Would a warm start make a sensitivity study cheaper without changing its answer?

A Sobol study of the urban year (``configs/sensitivity/urban_year.yaml``) pays a 1,456-day
burn-in for every run: each sample changes parameters the burn-in reads, so no two runs share
one (docs/sweeps.md, section 6). A *warm start* would burn in once under the design's base
values, then give each run its own values (as ``set_parameter`` events would) and a shorter
settling period before the measured year. This script measures whether that is the same study.

For ``--rows`` rows of the design's Saltelli sample (every ``--step``-th) and each of
``--worlds`` worlds (replicates 1..K: a replicate seeds the whole world, ``sim.rng``: its
residents, ties and organisations), it runs

* the run as the study runs it (its own burn-in under the row's values), and
* the warm start: the world's burnt-in state under the base values (one per world), the row's
  values set, ``--warm-days`` days under them (whole weeks, so output day 1 stays a Monday),
  then the year.

Each world's warm starts share that world's burnt-in state, so within a world they are not
independent; the worlds are (their own construction, burn-in and daily draws). Everything that
decides is therefore worked out per world and compared across worlds (a t statistic with
K - 1 degrees of freedom):

* the bias: warm minus full, its mean;
* the parameters' effects: in each world, an ordinary least-squares fit of the outcome on the
  row's values scaled to their ranges (a slope is the change across the whole range) for the
  full runs and for the warm starts; the effect a warm start would report minus the study's,
  per parameter, with its t across worlds. A Sobol study measures how the outcome varies with
  the parameters: a constant bias leaves it alone, a change in these effects does not.

    python experiments/warm_start_check.py                        # 64 rows x 8 worlds, 364 days
    python experiments/warm_start_check.py --rows 24 --worlds 4 --warm-days 728
    python experiments/warm_start_check.py --analyse docs/warm_start_check.json

Measured (and why a warm start is not used): docs/sweeps.md, section 6; the runs' outcomes are
kept in docs/warm_start_check.json.
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
sys.path.insert(0, str(ROOT / "experiments"))  # the sibling scripts

from benchmark import machine  # noqa: E402

from sim import metrics, runner  # noqa: E402
from sim.burn_in import adopt  # noqa: E402
from sim.config import compose  # noqa: E402
from sim.events.parameters import set_parameter  # noqa: E402
from sim.experiments.sensitivity import job_values, load_design, sample  # noqa: E402
from sim.model import CommunityModel  # noqa: E402


def full_run(overrides: list[str], outcomes: list[str]) -> tuple[list[float], float]:
    """The run as the study runs it; its outcomes and CPU seconds."""
    t = time.process_time()
    s = runner.run(compose(overrides)).summary
    return [float(s[o]) for o in outcomes], time.process_time() - t


def warm_run(base_state: bytes, values, overrides: list[str], days: int,
             outcomes: list[str]) -> tuple[list[float], float]:
    """The warm start: the base burnt-in state, the row's values, ``days`` settling days
    under them (burn-in: nothing recorded), then the year; its outcomes and CPU seconds."""
    t = time.process_time()
    model = pickle.loads(base_state)  # noqa: S301 - made by this script, just above
    for key, value in values:
        set_parameter(model, {"key": key, "value": value})
    model.capacity_epoch += 1  # as an event does: groups' capacities afresh
    model.burn_in(days)
    adopt(model, compose(overrides))
    model.start_output()
    for _ in range(model.cfg.run.days):
        model.step()
    s = metrics.summary(model, model.timeseries())
    return [float(s[o]) for o in outcomes], time.process_time() - t


def base_state(overrides: list[str]) -> bytes:
    return pickle.dumps(CommunityModel(compose(overrides), start=False))


def slopes(y: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Least-squares slopes of ``y`` on the columns of ``X`` (with an intercept)."""
    A = np.column_stack([np.ones(len(y)), X])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    return coef[1:]


def across_worlds(values: np.ndarray) -> tuple[float, float]:
    """Mean over worlds (axis 0) and its t statistic (K - 1 degrees of freedom)."""
    k = values.shape[0]
    mean = values.mean(axis=0)
    sd = values.std(axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = mean / (sd / np.sqrt(k))
    return mean, t


def compare(full: np.ndarray, warm: np.ndarray, Xs: np.ndarray, outcomes: list[str],
            names: list[str]) -> dict:
    """``full`` and ``warm``: outcomes by (world, row, outcome); ``Xs``: the rows' values
    scaled to [0, 1] over their ranges."""
    from scipy import stats

    k = full.shape[0]
    out = {}
    for j, name in enumerate(outcomes):
        f, w = full[:, :, j], warm[:, :, j]
        bias_by_world = (w - f).mean(axis=1)
        bias, bias_t = across_worlds(bias_by_world)
        eff_full = np.array([slopes(f[i], Xs) for i in range(k)])  # world x parameter
        eff_warm = np.array([slopes(w[i], Xs) for i in range(k)])
        diff, diff_t = across_worlds(eff_warm - eff_full)
        p = 2 * stats.t.sf(np.abs(diff_t), k - 1)
        out[name] = {
            "mean_full": float(f.mean()),
            "between_rows_sd": float(f.std(axis=1, ddof=1).mean()),
            "between_worlds_sd": float(f.std(axis=0, ddof=1).mean()),
            "bias": float(bias), "bias_t": float(bias_t),
            "bias_by_world": bias_by_world.tolist(),
            "warm_minus_full_sd": float((w - f).std(ddof=1)),
            "effects": {n: {"full": float(eff_full[:, q].mean()),
                            "warm": float(eff_warm[:, q].mean()),
                            "warm_minus_full": float(diff[q]), "t": float(diff_t[q]),
                            "p": float(p[q]),
                            "full_by_world": eff_full[:, q].tolist(),
                            "warm_by_world": eff_warm[:, q].tolist()}
                        for q, n in enumerate(names)},
            "r_full_warm": float(np.corrcoef(f.ravel(), w.ravel())[0, 1])}
    return out


def check_saved(saved: dict, n_sample: int, n_outcomes: int) -> None:
    """A saved result's shapes: outcomes by (world, row, outcome) for both kinds of run, at
    least three worlds and ten rows of the sample; ValueError naming what is wrong."""
    rows = saved["row_numbers"]
    if (not isinstance(rows, list) or len(rows) < 10
            or not all(isinstance(r, int) and 0 <= r < n_sample for r in rows)):
        raise ValueError(f"row_numbers must be at least 10 rows of the sample (0..{n_sample - 1})")
    for kind in ("full", "warm"):
        values = np.asarray(saved[kind], float)
        if values.ndim != 3 or values.shape[0] < 3 or values.shape[1:] != (len(rows), n_outcomes):
            raise ValueError(f"{kind} must hold, for at least 3 worlds, {len(rows)} rows of "
                             f"{n_outcomes} outcomes")
        if not np.isfinite(values).all():
            raise ValueError(f"{kind} holds a value that is not finite")
    if np.shape(saved["full"]) != np.shape(saved["warm"]):
        raise ValueError("full and warm must have the same worlds")


def report(saved: dict, design, X: np.ndarray, out: Path | None) -> dict:
    chosen = saved["row_numbers"]
    lo = np.array([b[0] for b in design.problem["bounds"]])
    hi = np.array([b[1] for b in design.problem["bounds"]])
    Xs = (X[chosen] - lo) / (hi - lo)
    names = [k.rsplit(".", 1)[-1] for k in design.parameters]
    outcomes = list(design.outcomes)
    full, warm = np.array(saved["full"], float), np.array(saved["warm"], float)
    result = {**saved, "outcomes": compare(full, warm, Xs, outcomes, names)}
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=1, default=float))
    k, n = full.shape[:2]
    print(f"{n} rows x {k} worlds, {saved['warm_days']} settling days; CPU-s per run, median: "
          f"full {saved['cpu_seconds_median']['full']:.2f}, warm "
          f"{saved['cpu_seconds_median']['warm']:.2f}")
    for name, c in result["outcomes"].items():
        print(f"\n{name}: mean {c['mean_full']:.4g}, sd between rows {c['between_rows_sd']:.4g}, "
              f"between worlds {c['between_worlds_sd']:.4g}; warm - full {c['bias']:+.4g} "
              f"(t {c['bias_t']:+.2f}, {k - 1} df; by world "
              + ", ".join(f"{b:+.4g}" for b in c["bias_by_world"]) + ")")
        print(f"  {'parameter':<28}{'effect, full':>14}{'warm':>12}{'warm-full':>12}{'t':>7}"
              f"{'p':>8}")
        for pname, e in c["effects"].items():
            print(f"  {pname:<28}{e['full']:>14.4g}{e['warm']:>12.4g}"
                  f"{e['warm_minus_full']:>+12.4g}{e['t']:>+7.2f}{e['p']:>8.3f}")
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--design", default="urban_year")
    ap.add_argument("--rows", type=int, default=64)
    ap.add_argument("--step", type=int, default=157,
                    help="every step-th row of the sample (not a multiple of a power of 2: "
                         "a Sobol sequence's every 16th point keeps to a sixteenth of its "
                         "first dimension)")
    ap.add_argument("--worlds", type=int, default=8, help="replicates 1..K, each a world")
    ap.add_argument("--warm-days", type=int, default=364, help="settling days (whole weeks)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (joblib)")
    ap.add_argument("--out", type=Path, default=ROOT / "experiments" / "results" /
                    "warm_start_check.json", help="JSON file to write (a new file: an "
                    "existing one is not overwritten)")
    ap.add_argument("--analyse", type=Path, help="no runs: the comparison of a saved result")
    a = ap.parse_args(argv)
    if a.analyse is not None:
        try:
            saved = json.loads(a.analyse.read_text())
            design = load_design(saved["design"])
            X = sample(design, "sobol")
            check_saved(saved, len(X), len(design.outcomes))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            ap.error(f"--analyse {a.analyse}: not a saved result of this script ({exc})")
        report(saved, design, X, None)
        return 0
    if a.out.exists():
        ap.error(f"--out {a.out} exists: not overwritten (choose a new file)")
    if (a.rows < 10 or a.step < 1 or a.worlds < 3 or a.jobs < 1 or a.warm_days < 7
            or a.warm_days % 7):
        ap.error("--rows must be at least 10, --step at least 1, --worlds at least 3, --jobs "
                 "at least 1, --warm-days whole weeks (a multiple of 7, so output day 1 stays "
                 "a Monday)")
    from joblib import Parallel, delayed

    design = load_design(a.design)
    X = sample(design, "sobol")
    outcomes = list(design.outcomes)
    base = [*design.base_overrides, "run.plots=false"]
    chosen = list(range(0, len(X), a.step))[:a.rows]
    lo = np.array([b[0] for b in design.problem["bounds"]])
    hi = np.array([b[1] for b in design.problem["bounds"]])
    spread = ((X[chosen] - lo) / (hi - lo)).std(axis=0)
    if (spread < 0.2).any():  # a uniform spread over the whole range has sd 0.29
        narrow = [k for k, s in zip(design.parameters, spread, strict=True) if s < 0.2]
        ap.error(f"--step {a.step} chooses rows that hardly vary {', '.join(narrow)} (sd "
                 "under 0.2 of the range): their effects could not be compared; try another "
                 "step")
    worlds = list(range(1, a.worlds + 1))
    started = time.time()
    pool = Parallel(n_jobs=a.jobs)
    states = pool(delayed(base_state)([*base, f"run.replicate={r}"]) for r in worlds)
    tasks, keys = [], []
    for r, state in zip(worlds, states, strict=True):
        for i in chosen:
            values = job_values(design, X[i])
            own = [*base, *(f"{k}={v}" for k, v in values), f"run.replicate={r}"]
            tasks.append(delayed(full_run)(own, outcomes))
            keys.append(("full", r, i))
            tasks.append(delayed(warm_run)(state, values, own, a.warm_days, outcomes))
            keys.append(("warm", r, i))
    results = pool(tasks)
    got = {key: res for key, res in zip(keys, results, strict=True)}
    saved = {"design": design.name, "warm_days": a.warm_days, "row_numbers": chosen,
             "worlds": worlds,
             "full": [[got[("full", r, i)][0] for i in chosen] for r in worlds],
             "warm": [[got[("warm", r, i)][0] for i in chosen] for r in worlds],
             "cpu_seconds_median": {
                 kind: float(np.median([v[1] for key, v in got.items() if key[0] == kind]))
                 for kind in ("full", "warm")},
             "cpu_seconds_all_runs": float(sum(v[1] for v in got.values())),
             "wall_seconds": time.time() - started,
             "machine": machine()}
    report(saved, design, X, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
