"""Sweep at scale: time, parallel efficiency and memory of a Hydra multirun with joblib.

    python experiments/sweep_benchmark.py                  # 200 runs + 20-run efficiency check
    python experiments/sweep_benchmark.py --runs 40 --subset 10 --days 120   # quicker
    python experiments/sweep_benchmark.py --efficiency --subset 16 --repeat 3  # issue 16's check

``--efficiency`` measures only the parallel efficiency of 16 urban years (default burn-in
included): serial and joblib with 2 workers, alternated in one run (the order swapped every
repeat), on the Hydra routes (``hydra/launcher=local``, ours, and ``hydra/launcher=joblib``,
Hydra's) and the executor route, wall and CPU time (of the finished child
processes) with medians, ``uptime`` before each sweep, the per-run slowdown, the CPU share the
sweep got, and a worker's start-up; it writes ``sweep_efficiency.json``.

Measures, on this machine:

1. the full sweep: ``--runs`` replicates of the urban default over ``--days`` days through
   ``python -m sim -m hydra/launcher=local hydra.launcher.n_jobs=2`` (plots off), then collecting
   it into Parquet tables: wall time, runs per minute, peak resident memory of any process;
2. parallel efficiency on a subset: the same sweep of ``--subset`` runs with n_jobs=1 and
   n_jobs=2; efficiency = T(1) / (2 x T(2)), end to end (Hydra start-up and worker start
   included), and how much slower each run is when two run at once (from the runs' own times);
3. memory as the sweep grows: peak RSS of collecting the subset, the full sweep, and synthetic
   sweeps of 20, 200 and 2,000 copies of one run (``--collect-scaling``).

Prints a table and writes ``experiments/results/sweep_benchmark.json``. Timings on a shared
2-core machine are noisy: the load average at start and end is printed with them.

Measured 2026-11-23 on the 2-core development machine, shared with other work (load average
2.7 at start, 4.2 at end, i.e. the second core was not free):

    200 runs x 365 days, urban default (8,000 residents), joblib n_jobs=2: 325 s (5.4 min),
      37 runs/minute; 1.08 s per run alone, 1.5x that when two run at once
    20-run subset: n_jobs=1 34.6 s, n_jobs=2 32.2 s -> speed-up 1.07x, efficiency 54 %
      (end to end, with Hydra start-up and loky workers; limited by the busy second core)
    collect: 20 / 200 / 2,000 runs (7,300 / 73,000 / 730,000 rows): peak RSS 142 / 178 /
      193 MB, 0.3 / 2.9 / 24 s; any sweep process: at most 231 MB whatever the sweep size

An earlier run under heavier load (load average 7.7) took 497 s for the 200 runs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


HYDRA_LAUNCHERS = {"hydra": "joblib", "local": "local"}
"""The Hydra routes: Hydra's joblib launcher, and ours (configs/hydra/launcher/local.yaml)."""


def sweep(sweep_dir: Path, runs: int, days: int, n_jobs: int, route: str = "local") -> dict:
    """Run the sweep in a child process; wall time, CPU time and peak RSS of its processes.

    ``route``: ``hydra`` (``python -m sim -m hydra/launcher=joblib``, Hydra's joblib launcher;
    n_jobs=1 runs the jobs in the driver process), ``local`` (``hydra/launcher=local``, ours:
    the sweep's Hydra state shipped once) or ``executor`` (``python -m
    sim.experiments.executor --backend joblib``, serial for n_jobs=1). CPU time is that of the
    finished child processes (``RUSAGE_CHILDREN``): the driver and the worker processes it
    waited for.
    """
    if route in HYDRA_LAUNCHERS:
        args = [sys.executable, "-m", "sim", "-m", f"hydra/launcher={HYDRA_LAUNCHERS[route]}",
                f"hydra.launcher.n_jobs={n_jobs}", f"hydra.sweep.dir={sweep_dir}",
                f"run.replicate=range({runs})", f"run.days={days}", "run.plots=false",
                "hydra.callbacks.sweep_report.collect=false"]
    else:
        args = [sys.executable, "-m", "sim.experiments.executor", str(sweep_dir),
                f"run.replicate=range({runs})", f"run.days={days}", "run.plots=false",
                "--backend", "joblib" if n_jobs > 1 else "serial", "--n-jobs", str(n_jobs),
                "--no-collect"]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    cpu0 = children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    cpu = children_cpu() - cpu0
    if proc.returncode != 0:
        sys.exit(f"sweep failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    manifests = [json.loads(p.read_text()) for p in sweep_dir.glob("*/manifest.json")]
    if len(manifests) != runs:
        sys.exit(f"expected {runs} complete runs, found {len(manifests)}")
    return {"runs": runs, "days": days, "n_jobs": n_jobs, "route": route,
            "wall_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2),
            "sum_run_seconds": round(sum(m["wall_seconds"] for m in manifests), 2),
            "peak_rss_mb_so_far": _children_peak_mb()}


def collect_peak(sweep_dir: Path) -> dict:
    """Collect in a fresh process; its wall time and peak RSS."""
    code = ("import json,resource,sys,time;from sim.experiments.collect import collect;"
            "t=time.perf_counter();i=collect(sys.argv[1]);"
            "print(json.dumps({'seconds':round(time.perf_counter()-t,2),"
            "'rows':i['timeseries'],'runs':i['runs'],"
            "'peak_rss_mb':round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024,1)}))")
    out = subprocess.run([sys.executable, "-c", code, str(sweep_dir)], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def copies(source_run: Path, n: int, folder: Path) -> Path:
    """A sweep folder of ``n`` runs made from one real run (hard links; replicate varies)."""
    manifest = json.loads((source_run / "manifest.json").read_text())
    for i in range(n):
        run = folder / f"run.replicate={i}"
        run.mkdir(parents=True)
        for name in ("timeseries.parquet", "summary.json"):
            os.link(source_run / name, run / name)
        manifest["config"]["run"]["replicate"] = i
        manifest.pop("config_hash", None)
        (run / "manifest.json").write_text(json.dumps(manifest))
    return folder


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def uptime() -> str:
    """``uptime``'s line (the load averages), or the load averages alone."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


WORKER_START = """
import time
t0, c0 = time.perf_counter(), time.process_time()
import sim.cli, sim.experiments.runs, sim.model  # what a joblib or Ray worker imports
t1, c1 = time.perf_counter(), time.process_time()
import sim
sim.run(sim.configure(topology="rural", **{"run.days": 1, "run.burn_in_days": 0}))
t2, c2 = time.perf_counter(), time.process_time()
print(t1 - t0, c1 - c0, t2 - t0, c2 - c0)
"""


def worker_start() -> dict:
    """A fresh interpreter's start-up as a sweep worker: the interpreter itself, the imports
    of a worker, and its first (one-day village) run, which loads the compiled kernels."""
    t0 = time.perf_counter()
    cpu0 = children_cpu()
    out = subprocess.run([sys.executable, "-c", WORKER_START], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    wall, cpu = time.perf_counter() - t0, children_cpu() - cpu0
    imp_wall, imp_cpu, first_wall, first_cpu = map(float, out.stdout.split()[-4:])
    return {"process_wall": round(wall, 3), "process_cpu": round(cpu, 3),
            "imports_wall": round(imp_wall, 3), "imports_cpu": round(imp_cpu, 3),
            "imports_and_first_run_wall": round(first_wall, 3),
            "imports_and_first_run_cpu": round(first_cpu, 3)}


def efficiency(tmp: Path, runs: int, days: int, repeat: int, route: str) -> dict:
    """Serial (n_jobs=1) against joblib with 2 workers, alternated (the order swapped every
    repeat) so both see the same machine; medians, and the load before each sweep."""
    rows: dict[str, list[dict]] = {"n_jobs_1": [], "n_jobs_2": []}
    for r in range(repeat):
        for n in ((1, 2) if r % 2 == 0 else (2, 1)):
            load = uptime()
            res = sweep(tmp / f"eff_{route}_{r}_{n}", runs, days, n, route)
            res["uptime_before"] = load
            rows[f"n_jobs_{n}"].append(res)
            print(f"  {route} repeat {r} n_jobs={n}: wall {res['wall_seconds']:.1f} s, "
                  f"CPU {res['cpu_seconds']:.1f} s ({load.split('load average:')[-1].strip()})",
                  flush=True)
    med = {k: {m: statistics.median(x[m] for x in v) for m in ("wall_seconds", "cpu_seconds")}
           for k, v in rows.items()}
    one, two = med["n_jobs_1"]["wall_seconds"], med["n_jobs_2"]["wall_seconds"]
    # >1: each run takes longer when two run at once (shared cores, memory bandwidth, others)
    slow = statistics.median(b["sum_run_seconds"] / a["sum_run_seconds"]
                             for a, b in zip(rows["n_jobs_1"], rows["n_jobs_2"], strict=True))
    return {"route": route, "runs": runs, "days": days, "repeats": repeat, "sweeps": rows,
            "median": med, "per_run_slowdown_n2_vs_n1": round(slow, 3),
            # the CPU this sweep's processes got per second (2.0: both cores, the whole time);
            # on a shared machine other users' load caps it, whatever n_jobs asks for
            "cpu_share": {k: round(v["cpu_seconds"] / v["wall_seconds"], 3)
                          for k, v in med.items()},
            # the work parallelism adds (worker start-up, runs slowed by sharing the cores):
            # the wall-clock efficiency on an otherwise idle machine cannot exceed it
            "cpu_efficiency": round(med["n_jobs_1"]["cpu_seconds"]
                                    / med["n_jobs_2"]["cpu_seconds"], 3),
            "speedup": round(one / two, 3),
            "efficiency": round(one / (2 * two), 3),
            "efficiency_per_repeat": [round(a["wall_seconds"] / (2 * b["wall_seconds"]), 3)
                                      for a, b in zip(rows["n_jobs_1"], rows["n_jobs_2"],
                                                      strict=True)]}


def _children_peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--subset", type=int, default=20)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--skip-full", action="store_true", help="only the efficiency subset")
    ap.add_argument("--efficiency", action="store_true",
                    help="only the parallel-efficiency check, serial and joblib with 2 workers "
                         "alternated --repeat times (medians), and a worker's start-up; writes "
                         "sweep_efficiency.json")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--routes", default="local,hydra,executor",
                    help="for --efficiency, any of: local (python -m sim -m "
                         "hydra/launcher=local), hydra (hydra/launcher=joblib), executor")
    ap.add_argument("--collect-scaling", default="20,200,2000",
                    help="sizes of the synthetic sweeps (copies of one run) collected to show "
                         "that collection memory does not grow with the sweep")
    ap.add_argument("--out", default=str(ROOT / "experiments" / "results"))
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.efficiency:
        return efficiency_main(args, out)
    load_start = os.getloadavg()
    res: dict = {"cpu_count": os.cpu_count(), "load_start": [round(x, 2) for x in load_start]}
    with tempfile.TemporaryDirectory(prefix="sweep-bench-") as tmp:
        tmp = Path(tmp)
        one = sweep(tmp / "subset_n1", args.subset, args.days, 1)
        two = sweep(tmp / "subset_n2", args.subset, args.days, 2)
        res["subset_n_jobs_1"], res["subset_n_jobs_2"] = one, two
        res["parallel_efficiency_end_to_end"] = round(
            one["wall_seconds"] / (2 * two["wall_seconds"]), 3)
        res["speedup_end_to_end"] = round(one["wall_seconds"] / two["wall_seconds"], 3)
        # >1: each run is slower when two share the machine (memory bandwidth, other users)
        res["per_run_slowdown_n2_vs_n1"] = round(
            two["sum_run_seconds"] / one["sum_run_seconds"], 3)
        res["collect_subset"] = collect_peak(tmp / "subset_n2")
        source = next((tmp / "subset_n2").glob("*/manifest.json")).parent
        res["collect_scaling"] = [
            collect_peak(copies(source, int(n), tmp / f"copies_{n}"))
            for n in args.collect_scaling.split(",") if n.strip()]
        if not args.skip_full:
            full = sweep(tmp / "full", args.runs, args.days, 2)
            res["full_n_jobs_2"] = full
            res["full_runs_per_minute"] = round(60 * args.runs / full["wall_seconds"], 1)
            res["collect_full"] = collect_peak(tmp / "full")
    res["load_end"] = [round(x, 2) for x in os.getloadavg()]
    (out / "sweep_benchmark.json").write_text(json.dumps(res, indent=2) + "\n")

    print(f"urban default, {args.days} days per run, 2 cores; load average at start "
          f"{load_start[0]:.1f}, at end {res['load_end'][0]:.1f}")
    for key in ("subset_n_jobs_1", "subset_n_jobs_2", "full_n_jobs_2"):
        if key in res:
            r = res[key]
            print(f"  {key:16s} {r['runs']:4d} runs  wall {r['wall_seconds']:8.1f} s  "
                  f"(sum of run times {r['sum_run_seconds']:8.1f} s; peak RSS so far "
                  f"{r['peak_rss_mb_so_far']:.0f} MB)")
    print(f"  speedup n_jobs 2 vs 1: {res['speedup_end_to_end']:.2f}x; parallel efficiency "
          f"{res['parallel_efficiency_end_to_end']:.0%} (end to end); each run "
          f"{res['per_run_slowdown_n2_vs_n1']:.2f}x as long when two run at once")
    if "full_n_jobs_2" in res:
        print(f"  full sweep: {res['full_runs_per_minute']:.1f} runs/minute")
    collects = [(k, res[k]) for k in ("collect_subset", "collect_full") if k in res]
    collects += [("collect_copies", c) for c in res["collect_scaling"]]
    for key, c in collects:
        print(f"  {key:16s} {c['runs']:5d} runs {c['rows']:8d} rows  {c['seconds']:6.1f} s  "
              f"peak RSS {c['peak_rss_mb']:.0f} MB")
    print(f"  peak RSS of any sweep process: {_children_peak_mb():.0f} MB")
    print(f"wrote {out / 'sweep_benchmark.json'}")
    return 0


def efficiency_main(args, out: Path) -> int:
    sys.path.insert(0, str(ROOT / "experiments"))
    from benchmark import machine

    res: dict = {"machine": machine(), "uptime_start": uptime()}
    print(f"{res['machine']['cpu']}, {os.cpu_count()} logical CPUs; {res['uptime_start']}")
    starts = []
    for _ in range(args.repeat):
        starts.append(worker_start())
    res["worker_start"] = {"repeats": starts, "median": {
        k: statistics.median(s[k] for s in starts) for k in starts[0]}}
    ws = res["worker_start"]["median"]
    print(f"  worker start-up (median of {args.repeat}): imports {ws['imports_wall']:.2f} s wall "
          f"/ {ws['imports_cpu']:.2f} CPU-s; with the first run "
          f"{ws['imports_and_first_run_wall']:.2f} s / {ws['imports_and_first_run_cpu']:.2f}; "
          f"whole process {ws['process_wall']:.2f} s", flush=True)
    with tempfile.TemporaryDirectory(prefix="sweep-eff-") as tmp:
        for route in [r.strip() for r in args.routes.split(",") if r.strip()]:
            e = efficiency(Path(tmp), args.subset, args.days, args.repeat, route)
            res[f"efficiency_{route}"] = e
            m = e["median"]
            print(f"  {route}: {args.subset} runs x {args.days} days; serial "
                  f"{m['n_jobs_1']['wall_seconds']:.1f} s, 2 workers "
                  f"{m['n_jobs_2']['wall_seconds']:.1f} s (medians of {args.repeat}) -> "
                  f"{e['speedup']:.2f}x, efficiency {e['efficiency']:.0%} (per repeat "
                  f"{', '.join(f'{x:.0%}' for x in e['efficiency_per_repeat'])}); CPU "
                  f"{m['n_jobs_1']['cpu_seconds']:.1f} s serial, "
                  f"{m['n_jobs_2']['cpu_seconds']:.1f} s with 2 workers (CPU efficiency "
                  f"{e['cpu_efficiency']:.0%}; CPU share {e['cpu_share']['n_jobs_1']:.2f} and "
                  f"{e['cpu_share']['n_jobs_2']:.2f} of a core); each run "
                  f"{e['per_run_slowdown_n2_vs_n1']:.2f}x as long when two run at once",
                  flush=True)
    res["uptime_end"] = uptime()
    print(f"  {res['uptime_end']}")
    (out / "sweep_efficiency.json").write_text(json.dumps(res, indent=2) + "\n")
    print(f"wrote {out / 'sweep_efficiency.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
