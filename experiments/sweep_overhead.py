"""What a sweep job costs beyond its simulation, on the Hydra path and the executor path.

    python experiments/sweep_overhead.py              # 12 jobs a sweep, 3 repeats
    python experiments/sweep_overhead.py --jobs 6 --repeat 2
    python experiments/sweep_overhead.py --sizes 6 12 18 24 30 --repeat 5

A job's overhead is everything but the model: composing its configuration, reading it into a
typed ``Config``, Hydra's job set-up and files, writing the run's tables and manifest. It is
measured as CPU time (``time.process_time``) in this process: a sweep of ``--jobs`` jobs whose
simulation is negligible (the 380-resident village, one day, no burn-in), minus the same
simulations run directly, divided by the number of jobs. The reference is an urban year (8,000
residents, 365 days) from a burnt-in state, as sweep jobs sharing a world start. The Hydra
path (``python -m sim -m``: its default launcher, ``direct`` since session 65) is measured
with the cached composition of :mod:`sim.sweep_compose` on and off, alternated within each
repeat, and each further job's cost also on Hydra's basic launcher (``hydra_basic``, what the
default was before); medians are reported with the machine and its load. Each
measurement starts from a collected heap (``gc.collect()`` before its clock: since
2026-12-06; before, a full collection of the garbage earlier measurements left, 0.1-0.3 s,
fell in whichever came next, and the same measurement moved by 2-3 times between repeats)
and, since 2026-12-06 (session 64), ends with one: the garbage it leaves (a sweep's jobs'
configurations and models) is collected inside its own clock, so each measurement pays for
all it made and none of it depends on whether the collector happened to run before the end.

A sweep also has costs paid once, whatever its size (Hydra composing the primary configuration,
the sweeper, the report at the end, the last collection). They are separated from the cost of
each job by timing the Hydra sweep and the executor at several sizes (``--sizes``, default
``--jobs`` times 1/2, 1, 3/2 and 2), in ascending order in one repeat and descending in the
next: what each further job costs is the slope of CPU time on the number of jobs, fitted
within each repeat (a repeat's own level is its intercept, so the host's drift between repeats
does not enter it) and pooled over the repeats, with its standard error and each repeat's own
slope (``marginal``; less the tiny simulation's own CPU time: ``hydra_cached_marginal``,
``executor_marginal``); the intercept is the sweep's fixed cost. Before session 64 it was
the difference between the medians of a sweep of ``--jobs`` and of twice as many, which moved
by about 10 ms a job between rounds, as much as the target's margin (still reported:
``hydra_cached_marginal_two_sizes``). The urban year is also timed with its own burn-in (what
a sweep job pays when no other job shares its world).

Gathering the runs into the sweep's tables (``sim.experiments.collect``: the Hydra callback at
the end of a multirun, the sensitivity driver, or by hand) is timed apart, per run, on urban-year
runs (``collect_per_run``): it is the same on both paths and grows with what each run wrote, so
the Hydra sweeps above are run with ``hydra.callbacks.sweep_report.collect=false`` (before
2026-12-02 they collected, and their tiny runs' collection counted in the Hydra figures but not
in the executor's).

With ``--parallel`` the same tiny sweeps also run as a user runs them, in a child process with 2
workers, on each parallel route: ``hydra/launcher=local`` (ours), ``hydra/launcher=joblib``
(Hydra's), the executor's joblib backend, and for reference the serial launchers in one
process: the default ``direct`` and Hydra's ``basic``. The CPU time of the whole process
tree (the driver and the workers it waited for, ``RUSAGE_CHILDREN``) at ``--jobs`` and twice
as many jobs, alternated route by route in each repeat: the difference per job, less the tiny
simulation's own CPU time, is what each further job costs on that route, driver and worker
together (``parallel_overhead_per_job``).

Target (issue 16): overhead <= 10 % of the urban year, on the Hydra path and the executor alike.
Writes ``experiments/results/sweep_overhead.json``.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "experiments"))

from benchmark import machine  # noqa: E402 - the machine, as the benchmark names it
from sweep_benchmark import children_cpu  # noqa: E402 - CPU time of finished child processes

import sim  # noqa: E402
import sim.cli  # noqa: E402 - installs the cached composition
from sim import sweep_compose  # noqa: E402
from sim.experiments.runs import compose_and_execute  # noqa: E402

COLLECTED_RUNS = 6  # collection per run: 12 urban-year runs gathered minus 6
TINY = ["topology=rural", "run.days=1", "run.burn_in_days=0", "run.plots=false"]


FROZEN_AT_START = gc.get_freeze_count()
"""Objects already frozen when this module is imported: CPython 3.12.1 starts with a few hundred
of its own (375 here; 0 on 3.11 and 3.13). Until 2026-12-06 :func:`cpu` took any frozen object
for a caller's freeze, so on 3.12.1 it never froze: its last collection went through the whole
process (65-85 ms, more after Hydra's sweeps), inside every clock (the urban year read 0.35-0.43
CPU-s instead of 0.26-0.27)."""


def cpu(fn) -> float:
    """CPU time of ``fn()``, from a collected heap to a collected heap: the garbage earlier
    measurements left is collected before the clock starts, so a full collection of it (0.1-0.3
    s with this process's 200,000-400,000 objects) is not charged to whichever measurement it
    happens to fall in; the garbage ``fn`` leaves (a sweep's configurations, models) is
    collected before the clock stops, so ``fn`` pays for it whether or not the collector ran
    while it did. What was there before is frozen meanwhile (``gc.freeze``), so that last
    collection goes through what ``fn`` made, not the whole process; a sweep run in this
    process unfreezes everything as it ends (:mod:`sim.experiments.gc_freeze`), so its last
    collection goes through the process: about the same each time, which the slope over
    sweep sizes puts in the sweep's fixed cost. If something is frozen already (a caller's
    ``gc.freeze()``), nothing is frozen or unfrozen here, so the caller's freeze stands; the
    objects the interpreter froze itself at start-up (:data:`FROZEN_AT_START`) are not a
    caller's freeze."""
    mine = gc.get_freeze_count() <= FROZEN_AT_START
    gc.collect()
    if mine:
        gc.freeze()
    try:
        t = time.process_time()
        fn()
        gc.collect()
        return time.process_time() - t
    finally:
        if mine:
            gc.unfreeze()


def finite(value):
    """``value`` with every float that is not finite (a standard error from too few points)
    as None, so the JSON written is strict JSON."""
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def slope(points: list[tuple[int, int, float]]) -> dict:
    """Least-squares slope of CPU time on the number of jobs from ``points`` (repeat, jobs,
    CPU seconds), fitted within each repeat (each repeat its own intercept: the host's level
    then) and pooled: ``slope`` (seconds a job), its standard error ``se`` (from the residuals,
    on points less repeats less one degrees of freedom; nan when there are none), each
    repeat's own slope (``per_repeat``, repeats with two sizes or more), and ``intercept``,
    the mean of the repeats' intercepts (the fixed cost of a sweep, in seconds)."""
    import numpy as np

    by_repeat: dict[int, list[tuple[int, float]]] = {}
    for r, n, y in points:
        by_repeat.setdefault(r, []).append((n, y))
    sxx = sxy = 0.0
    per_repeat, centred = [], []
    for r in sorted(by_repeat):
        n = np.array([p[0] for p in by_repeat[r]], np.float64)
        y = np.array([p[1] for p in by_repeat[r]], np.float64)
        dn, dy = n - n.mean(), y - y.mean()
        if float(dn @ dn) > 0:
            per_repeat.append(float(dn @ dy) / float(dn @ dn))
        sxx += float(dn @ dn)
        sxy += float(dn @ dy)
        centred.append((n, y, dn, dy))
    if sxx <= 0:
        raise ValueError("a slope needs at least two different numbers of jobs")
    b = sxy / sxx
    residual = sum(float(((dy - b * dn) ** 2).sum()) for _, _, dn, dy in centred)
    dof = len(points) - len(centred) - 1
    se = (residual / dof / sxx) ** 0.5 if dof > 0 else float("nan")
    intercept = statistics.fmean(float(y.mean() - b * n.mean()) for n, y, _, _ in centred)
    return {"slope": b, "se": se, "per_repeat": per_repeat, "intercept": intercept,
            "points": len(points), "repeats": len(centred)}


def tiny_simulations(n: int) -> float:
    """CPU of the sweep's simulations alone (the same configs, run directly)."""
    values = {"run.days": 1, "run.burn_in_days": 0, "run.plots": False}
    return cpu(lambda: [sim.run(sim.configure(topology="rural", **values,
                                              **{"run.replicate": k})) for k in range(n)])


def hydra_sweep(n: int, cached: bool, launcher: str | None = None) -> float:
    """CPU of a Hydra multirun of ``n`` tiny jobs, without gathering the tables at the end
    (:func:`collect_per_run` times that for both paths); on the default launcher (``direct``
    since session 65) or ``hydra/launcher=launcher``."""
    (sweep_compose.install if cached else sweep_compose.uninstall)()
    with tempfile.TemporaryDirectory() as d:
        args = ["-m", *TINY, "run.replicate=" + ",".join(map(str, range(n))),
                f"hydra.sweep.dir={d}/sweep", "hydra.callbacks.sweep_report.collect=false",
                *([f"hydra/launcher={launcher}"] if launcher else [])]
        try:
            return cpu(lambda: sim.cli.main(args))
        except SystemExit as exc:
            if exc.code not in (0, None):
                raise
            return float("nan")
        finally:
            sweep_compose.install()


def executor_jobs(n: int) -> float:
    with tempfile.TemporaryDirectory() as d:
        return cpu(lambda: [compose_and_execute(Path(d) / f"j{k}", [*TINY, f"run.replicate={k}"])
                            for k in range(n)])


SERIAL_ROUTES = ("direct", "basic")
PARALLEL_ROUTES = ("local", "joblib", "executor", "direct", "basic")
"""--parallel: Hydra with our launcher, with Hydra's joblib launcher, the executor; serial: the
default launcher (``direct``) and Hydra's basic launcher."""


def parallel_sweep(route: str, n: int) -> float:
    """CPU time of a sweep of ``n`` tiny jobs run as a user runs it, in a child process (2
    workers but on the serial ``direct`` and ``basic``): the driver and every worker, start-up
    and end included."""
    import subprocess

    with tempfile.TemporaryDirectory() as d:
        values = ["run.replicate=" + ",".join(map(str, range(n))), *TINY]
        if route == "executor":
            args = ["-m", "sim.experiments.executor", f"{d}/sweep", *values, "--backend",
                    "joblib", "--n-jobs", "2", "--no-collect"]
        else:
            launcher = ([f"hydra/launcher={route}"] if route in SERIAL_ROUTES
                        else [f"hydra/launcher={route}", "hydra.launcher.n_jobs=2"])
            args = ["-m", "sim", "-m", *launcher, *values, f"hydra.sweep.dir={d}/sweep",
                    "hydra.callbacks.sweep_report.collect=false"]
        before = children_cpu()
        proc = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"{route} sweep failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
        return children_cpu() - before


URBAN_YEAR = ["topology=urban", "run.days=365", "run.plots=false"]


def urban_runs(folder: Path, cache: Path, k: int) -> tuple[Path, Path]:
    """Two sweep folders of urban-year runs written as a sweep writes them (the executor
    path): ``k`` runs, and the same ``k`` with ``k`` more, for :func:`collect_per_run`."""
    small, large = folder / "small", folder / "large"
    for r in range(2 * k):
        compose_and_execute(large / f"r{r}", [*URBAN_YEAR, f"run.replicate={r}",
                                              f"run.burn_in_cache={cache}"])
        if r < k:
            shutil.copytree(large / f"r{r}", small / f"r{r}")
    return small, large


def collect_per_run(folders: tuple[Path, Path], k: int) -> float:
    """CPU of gathering each further urban-year run into a sweep's tables: collecting ``2k``
    runs minus collecting ``k``, over ``k`` (what a table costs whatever the runs, its writer
    and files, is left out). What a sweep that collects (the Hydra callback,
    ``sim.experiments.collect``, the sensitivity driver) pays for each run, on either path."""
    from sim.experiments.collect import collect

    small, large = folders
    return (cpu(lambda: collect(large, large / "tables"))
            - cpu(lambda: collect(small, small / "tables"))) / k


def urban_year(cache: Path) -> float:
    cfg = sim.configure(topology="urban", **{"run.days": 365, "run.plots": False})
    sim.run(cfg, burn_in_cache=cache)  # the burnt-in state, shared as in a sweep
    return cpu(lambda: sim.run(cfg, burn_in_cache=cache))


def urban_year_with_burn_in() -> float:
    cfg = sim.configure(topology="urban", **{"run.days": 365, "run.plots": False})
    return cpu(lambda: sim.run(cfg))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--jobs", type=int, default=12)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--sizes", type=int, nargs="+", default=None,
                   help="numbers of jobs whose sweeps give each further job's cost (the slope;"
                        " default: --jobs times 1/2, 1, 3/2 and 2)")
    p.add_argument("--parallel", action="store_true",
                   help="also each further job of a 2-worker sweep on each parallel route "
                        "(local, joblib, executor; basic for reference), whole process tree")
    p.add_argument("--out", type=Path, default=ROOT / "experiments" / "results" /
                   "sweep_overhead.json")
    args = p.parse_args(argv)
    n = args.jobs
    sizes = sorted(set(args.sizes or (max(n // 2, 1), n, n + n // 2, 2 * n)))
    if n < 1:
        p.error(f"--jobs must be at least 1 (got {n})")
    if args.repeat < 1:
        p.error(f"--repeat must be at least 1 (got {args.repeat})")
    if len(sizes) < 2 or sizes[0] < 1:
        p.error("--sizes must give two or more different numbers of jobs, each at least 1 "
                f"(got {' '.join(map(str, args.sizes))})")
    logging.getLogger("MESA").setLevel(logging.WARNING)
    load_start = os.getloadavg()[0]
    sim.run(sim.configure(topology="rural", **{"run.days": 1, "run.burn_in_days": 1}))  # warm
    hydra_sweep(2, True)
    rows: dict[str, list[float]] = {"sim": [], "hydra_cached": [], "hydra_hydra": [],
                                    "hydra_cached_2n": [], "executor": [], "urban_year": [],
                                    "urban_year_with_burn_in": [], "collect_per_run": []}
    points: dict[str, list[tuple[int, int, float]]] = {"hydra_cached": [], "hydra_basic": [],
                                                       "executor": []}
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as swept:
        urban = urban_runs(Path(swept), Path(cache), COLLECTED_RUNS)
        for r in range(args.repeat):
            order = ["hydra_cached", "hydra_hydra"] if r % 2 == 0 else ["hydra_hydra",
                                                                      "hydra_cached"]
            rows["sim"].append(tiny_simulations(n) / n)
            for name in order:
                rows[name].append(hydra_sweep(n, name == "hydra_cached") / n)
            rows["hydra_cached_2n"].append(hydra_sweep(2 * n, True) / (2 * n))
            rows["executor"].append(executor_jobs(n) / n)
            for k in sizes[::1 if r % 2 == 0 else -1]:  # each further job: the slope
                points["hydra_cached"].append((r, k, hydra_sweep(k, True)))
                points["hydra_basic"].append((r, k, hydra_sweep(k, True, "basic")))
                points["executor"].append((r, k, executor_jobs(k)))
            rows["collect_per_run"].append(collect_per_run(urban, COLLECTED_RUNS))
            rows["urban_year"].append(urban_year(Path(cache)))
            rows["urban_year_with_burn_in"].append(urban_year_with_burn_in())
            if args.parallel:  # routes in turn, the order reversed every other repeat
                for route in PARALLEL_ROUTES[::1 if r % 2 == 0 else -1]:
                    one, two = parallel_sweep(route, n), parallel_sweep(route, 2 * n)
                    rows.setdefault(f"parallel_{route}_marginal", []).append((two - one) / n)
    med = {k: statistics.median(v) for k, v in rows.items()}
    year = med["urban_year"]
    result = {
        "machine": {"cpu": machine()["cpu"], "cores": os.cpu_count(),
                    "load_start": load_start, "load_end": os.getloadavg()[0]},
        "jobs_per_sweep": n, "repeats": args.repeat, "cpu_seconds": rows,
        "median_cpu_seconds": med,
        "overhead_per_job": {
            "hydra_cached": med["hydra_cached"] - med["sim"],
            "hydra_without_cache": med["hydra_hydra"] - med["sim"],
            "executor": med["executor"] - med["sim"]},
    }
    # per further job: the slope of CPU time on the number of jobs, less the simulation's
    fits = {k: slope(v) for k, v in points.items()}
    result["sizes"] = sizes
    result["slope_points"] = points
    result["marginal"] = {k: {**f, "overhead": f["slope"] - med["sim"],
                              "overhead_per_repeat": [b - med["sim"] for b in f["per_repeat"]]}
                          for k, f in fits.items()}
    marginal = result["marginal"]["hydra_cached"]["overhead"]
    result["overhead_per_job"]["hydra_cached_marginal"] = marginal
    result["overhead_per_job"]["hydra_basic_marginal"] = (
        result["marginal"]["hydra_basic"]["overhead"])
    result["overhead_per_job"]["executor_marginal"] = result["marginal"]["executor"]["overhead"]
    # the method before session 64: T(2n) - T(n) over n jobs, from the two sizes' medians
    result["overhead_per_job"]["hydra_cached_marginal_two_sizes"] = (
        2 * med["hydra_cached_2n"] - med["hydra_cached"] - med["sim"])
    result["hydra_fixed_cost_per_sweep"] = fits["hydra_cached"]["intercept"]
    if args.parallel:
        result["parallel_overhead_per_job"] = {
            route: med[f"parallel_{route}_marginal"] - med["sim"] for route in PARALLEL_ROUTES}
        result["parallel_overhead_share_of_urban_year"] = {
            route: v / year for route, v in result["parallel_overhead_per_job"].items()}
    result["overhead_share_of_urban_year"] = {k: v / year
                                              for k, v in result["overhead_per_job"].items()}
    result["collect_per_run"] = med["collect_per_run"]
    result["overhead_share_of_urban_year_with_collection"] = {
        k: (v + med["collect_per_run"]) / year for k, v in result["overhead_per_job"].items()}
    result["overhead_share_of_urban_year_with_burn_in"] = {
        k: v / med["urban_year_with_burn_in"] for k, v in result["overhead_per_job"].items()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(finite(result), indent=1, allow_nan=False))
    m = result["machine"]
    print(f"{m['cpu']}, {m['cores']} cores, load {m['load_start']:.1f} -> {m['load_end']:.1f}")
    print(f"urban year from a burnt-in state: {year:.3f} CPU-s, with its burn-in "
          f"{med['urban_year_with_burn_in']:.3f} (medians of {args.repeat})")
    for k, v in result["overhead_per_job"].items():
        print(f"  overhead per job, {k:22s} {1000 * v:7.1f} ms  "
              f"({100 * v / year:5.1f} % of an urban year; "
              f"{100 * v / med['urban_year_with_burn_in']:4.1f} % with its burn-in)")
    for route, v in result.get("parallel_overhead_per_job", {}).items():
        kind = "serial" if route in SERIAL_ROUTES else "2-worker"
        print(f"  each further job of a {kind} sweep, "
              f"{route:8s} (driver and workers) {1000 * v:7.1f} ms  "
              f"({100 * v / year:5.1f} % of an urban year)")
    for k, f in result["marginal"].items():
        lo, hi = f["overhead"] - 2 * f["se"], f["overhead"] + 2 * f["se"]
        print(f"  each further job, {k:12s} (slope over {sizes} jobs, {f['repeats']} repeats): "
              f"{1000 * f['overhead']:6.1f} ms +- {1000 * f['se']:.1f} (2 s.e.: "
              f"{100 * lo / year:.1f}-{100 * hi / year:.1f} % of an urban year); repeats "
              + ", ".join(f"{1000 * b:.1f}" for b in f["overhead_per_repeat"]) + " ms")
    c = med["collect_per_run"]
    print(f"  gathering the tables, each further urban-year run (either path): {1000 * c:.1f} ms "
          f"({100 * c / year:.1f} % of an urban year)")
    print(f"  Hydra sweep's fixed cost (once per sweep): "
          f"{result['hydra_fixed_cost_per_sweep']:.2f} CPU-s")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
