"""What a whole Sobol study costs on this machine, projected from the first runs of its design.

    python experiments/sobol_cost.py                       # urban_year, first 300 runs, 2 workers
    python experiments/sobol_cost.py --runs 600 --breakdown 4
    python experiments/sobol_cost.py --design volunteering --runs 100   # any sensitivity design

The study is the one a user launches with ``python -m sim.experiments.sensitivity DESIGN
--method sobol`` (default ``configs/sensitivity/urban_year.yaml``: the urban default, 8,000
residents, a year after the default 208-week burn-in, 8 parameters, n 1,024, so 10,240 runs).
Its runs are built by the driver's own code (:func:`sim.experiments.sensitivity.design_jobs`)
and the first ``--runs`` of them, in the design's order, are run on the driver's route:
``run_jobs(..., backend="joblib", n_jobs=2)``. Measured, each in a child process whose CPU time
(``RUSAGE_CHILDREN``: the child and the workers it waited for) and wall time are taken:

1. *start-up*: the interpreter, the imports, reading the design, the outcome check (a one-day
   run), the Saltelli sample and ``design.parquet``;
2. *the runs* of the prefix with 2 workers: wall and CPU per run, and the burn-in states
   saved and loaded (cache misses and hits, from the sweep's ``.burn_in`` folder). The
   workers start once for the whole study, so a first batch of a run per worker starts them
   and the rest of the prefix, on the same workers, gives the cost of a run (the workers'
   CPU read from ``/proc`` while they live); the warm-up's time is a fixed cost of the study;
3. *collecting* the prefix's runs into tables (grows with the runs: scaled per run);
4. *the analysis*: SALib's Sobol analysis of the whole design (``--runs`` of outcomes are not
   enough, so the design's own samples with a smooth synthetic outcome: its cost depends on
   the design's size, not on the values), the figure and the indices files;
5. *one run's parts*, serially in one process (``--breakdown`` runs): composing, the burn-in,
   saving its state, the simulated year, writing the run folder.

The projection for the whole design: start-up + the workers' warm-up + runs x (wall per run)
+ collecting scaled to all runs + the analysis, on the wall clock; and on CPU time, the
runs' and the warm-up's CPU over 2 cores plus the serial parts' CPU. (Before 2026-12-06 the
cost per run was the whole prefix's over its runs, the workers' start-up included: about 3 %
more for 120 runs.) The machine is shared, so the load average (``uptime``) is printed with
every figure; prints a table and writes ``experiments/results/sobol_cost.json``.

Old code against new on the same hour (``--base REV``): on a shared machine the same code's
projection moves by 15 % within a day, more than most changes move it, so two projections made
at different times compare the host's hours. With ``--base`` the whole measurement above is
made ``--rounds`` times for each side, the revision ``REV`` (exported with ``git archive``
into a temporary folder; the checkout is left as it is) and this tree alternated round by
round as ABBA... (old, new, new, old, ...), each in its own interpreters with its own code on
``PYTHONPATH``, after an import of each tree that loads (or compiles) its kernels. Reports
each round's projection, each side's median and the paired ratio new/old of the rounds
(round 2k with 2k+1); writes them all to ``--out``.

    python experiments/sobol_cost.py --runs 120 --breakdown 3 --base HEAD~2 --rounds 2
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_HOURS = 1.5  # issue 16: a 10,000-run Sobol study of the urban year on 2 cores


sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling scripts
import readme_section as sections  # noqa: E402
from benchmark import interpreter  # noqa: E402
from sweep_benchmark import children_cpu, uptime  # noqa: E402


def machine() -> dict:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(),
            "interpreter": interpreter()}


def child(step: str, args: argparse.Namespace, folder: Path) -> dict:
    """Run ``step`` of this script in a fresh interpreter; its JSON, wall and CPU time."""
    load = uptime()
    cmd = [sys.executable, __file__, "--child", step, "--design", args.design,
           "--runs", str(args.runs), "--n-jobs", str(args.n_jobs),
           "--breakdown", str(args.breakdown), "--folder", str(folder)]
    cpu0, t0 = children_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONUNBUFFERED="1"))
    wall, cpu = time.perf_counter() - t0, children_cpu() - cpu0
    if proc.returncode != 0:
        sys.exit(f"{step} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n"
                 f"{proc.stderr[-3000:]}")
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    return {**found, "process_wall": round(wall, 3), "process_cpu": round(cpu, 3),
            "uptime_before": load, "uptime_after": uptime()}


# --------------------------------------------------------------------------------------------
# the child steps
# --------------------------------------------------------------------------------------------


def _timed(fn, *a, **k):
    t, c = time.perf_counter(), time.process_time()
    out = fn(*a, **k)
    return out, time.perf_counter() - t, time.process_time() - c


def step_runs(args: argparse.Namespace) -> dict:
    """Start-up, the prefix's runs with the workers, collecting them (one process)."""
    from sim import io  # noqa: F401 - imported here so its cost counts as imports, as before
    from sim.experiments import sensitivity as sa
    from sim.experiments.collect import collect
    from sim.experiments.executor import run_jobs

    imports_wall, imports_cpu = time.perf_counter() - T_START, time.process_time()
    folder = Path(args.folder)
    t, c = time.perf_counter(), time.process_time()
    design = sa.load_design(args.design)
    sa.check_outcomes(design)
    X = sa.write_design(design, "sobol", folder)
    jobs = sa.design_jobs(design, X)
    setup_wall, setup_cpu = time.perf_counter() - t, time.process_time() - c
    prefix = jobs[:args.runs]
    # the workers start once for the whole study: a first batch (a run per worker) starts
    # them, and the rest of the prefix, on the same workers, gives the cost of a run with
    # them running (their CPU read from /proc while they live)
    warm = args.n_jobs if len(prefix) > args.n_jobs else 0
    marginal = None
    report, runs_wall, runs_driver_cpu = _timed(run_jobs, prefix[:warm], folder / "runs",
                                                backend="joblib", n_jobs=args.n_jobs,
                                                progress=False) if warm else (None, 0.0, 0.0)
    started = workers_cpu()
    rest, rest_wall, rest_driver_cpu = _timed(run_jobs, prefix[warm:], folder / "runs",
                                              backend="joblib", n_jobs=args.n_jobs,
                                              progress=False)
    ended = workers_cpu()
    if warm and started and ended and set(started) == set(ended):  # the same workers
        marginal = {"runs": len(prefix) - warm, "wall": round(rest_wall, 3),
                    "cpu": round(sum(ended.values()) - sum(started.values()) + rest_driver_cpu,
                                 3),
                    "workers_cpu_at_start": round(sum(started.values()), 3),
                    "workers": len(ended)}
    failures = (report.failures if report else []) + rest.failures
    attempts = rest.attempts + (report.attempts if report else type(rest.attempts)())
    runs_wall += rest_wall
    runs_driver_cpu += rest_driver_cpu
    if failures:
        raise SystemExit(f"{len(failures)} runs failed: {failures[:2]}")
    # the loky workers are reaped here, so their CPU time reaches the parent's RUSAGE_CHILDREN
    workers_cpu0 = children_cpu()
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)
    states = sorted((folder / "runs" / ".burn_in").glob("*.state"))
    manifests = [json.loads(p.read_text()) for p in (folder / "runs").glob("*/manifest.json")]
    tables, collect_wall, collect_cpu = _timed(collect, folder / "runs")
    run_dirs = [p for p in (folder / "runs").iterdir() if p.is_dir() and p.name != "tables"
                and not p.name.startswith(".")]
    run_bytes = sum(f.stat().st_size for d in run_dirs for f in d.rglob("*") if f.is_file())
    return {"design_runs": len(jobs), "samples": len(X), "parameters": len(design.parameters),
            "prefix_runs": len(prefix), "attempts": {str(k): v for k, v in
                                                     attempts.items()},
            "warm_up_runs": warm, "after_warm_up": marginal,
            "imports_wall": round(imports_wall, 3), "imports_cpu": round(imports_cpu, 3),
            "setup_wall": round(setup_wall, 3), "setup_cpu": round(setup_cpu, 3),
            "runs_wall": round(runs_wall, 3), "runs_driver_cpu": round(runs_driver_cpu, 3),
            "workers_cpu_before_shutdown": round(workers_cpu0, 3),
            "sum_run_wall": round(sum(m["wall_seconds"] for m in manifests), 3),
            "burn_in_states_saved": len(states),
            "burn_in_state_bytes": sum(p.stat().st_size for p in states),
            "run_folder_bytes": run_bytes,
            "collect_wall": round(collect_wall, 3), "collect_cpu": round(collect_cpu, 3),
            "collected_runs": tables["runs"]}


def step_analysis(args: argparse.Namespace) -> dict:
    """SALib's analysis of the whole design, the figure and the indices files."""
    import numpy as np

    from sim import io
    from sim.experiments import figures
    from sim.experiments import sensitivity as sa

    design = sa.load_design(args.design)
    X = sa.sample(design, "sobol")
    lo = np.array([b[0] for b in design.parameters.values()])
    hi = np.array([b[1] for b in design.parameters.values()])
    u = (X - lo) / (hi - lo)  # each parameter on [0, 1]
    weights = np.arange(1, u.shape[1] + 1, dtype=float)
    Y = {o: np.sin(np.pi * u) @ weights + k * u[:, 0] * u[:, -1]
         for k, o in enumerate(design.outcomes)}
    folder = Path(args.folder)
    t, c = time.perf_counter(), time.process_time()
    indices = sa.analyse(design, "sobol", X, Y)
    io.atomic_write(folder / "indices.parquet", lambda p: indices.to_parquet(p, index=False))
    io.atomic_write(folder / "indices.csv", lambda p: indices.to_csv(p, index=False))
    figures.sensitivity_plot(indices, folder / "sensitivity")
    return {"analysis_wall": round(time.perf_counter() - t, 3),
            "analysis_cpu": round(time.process_time() - c, 3), "samples": len(X),
            "outcomes": len(design.outcomes)}


def step_breakdown(args: argparse.Namespace) -> dict:
    """A few runs of the design one after another in this process, each split into its parts
    by timing the functions the job calls (the job's own code path, unchanged)."""
    from sim import burn_in, io, runner
    from sim.experiments import runs as runs_mod
    from sim.experiments import sensitivity as sa

    parts: dict[str, list[float]] = {}

    def timing(name, fn):
        def wrapped(*a, **k):
            t, c = time.perf_counter(), time.process_time()
            try:
                return fn(*a, **k)
            finally:
                parts.setdefault(name + "_wall", []).append(time.perf_counter() - t)
                parts.setdefault(name + "_cpu", []).append(time.process_time() - c)
        return wrapped

    design = sa.load_design(args.design)
    X = sa.sample(design, "sobol")
    jobs = sa.design_jobs(design, X)[:args.breakdown + 1]
    folder = Path(args.folder) / "runs"
    burn_in.CommunityModel = timing("burn_in", burn_in.CommunityModel)
    burn_in._save = timing("save_state", burn_in._save)
    io.write_run = timing("write_run", io.write_run)
    runs_mod.set_values = timing("compose", runs_mod.set_values)
    years: list[tuple[float, float]] = []
    simulate = runner.run

    def run_and_note(*a, **k):
        result = simulate(*a, **k)
        years.append((result.wall_seconds - result.build_seconds,
                      result.cpu_seconds - result.build_cpu_seconds))
        return result

    runner.run = run_and_note
    job = timing("job", runs_mod.compose_and_execute)
    job(str(folder / jobs[0].name), list(jobs[0].overrides), dict(jobs[0].values),
        jobs[0].share_burn_in)
    parts.clear()  # the first run loads the compiled kernels: not a run's cost
    years.clear()
    for j in jobs[1:]:
        job(str(folder / j.name), list(j.overrides), dict(j.values), j.share_burn_in)
    import statistics

    med = {k: round(statistics.median(v), 4) for k, v in parts.items()}
    # the simulated days and the run's tables: the run's time less its build (the burn-in and
    # its state saved)
    med["year_wall"] = round(statistics.median(w for w, _ in years), 4)
    med["year_cpu"] = round(statistics.median(c for _, c in years), 4)
    med["runs"] = len(years)
    return med


def workers_cpu() -> dict[int, float] | None:
    """CPU seconds (user + system) of this process's live descendants (the loky workers and
    its helpers), by process id, from ``/proc``; None where there is no ``/proc``."""
    try:
        tick = os.sysconf("SC_CLK_TCK")
        children: dict[int, list[int]] = {}
        stats: dict[int, list[str]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                text = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = text[text.rindex(")") + 2:].split()  # after the command's name
            stats[int(entry)] = fields
            children.setdefault(int(fields[1]), []).append(int(entry))
    except (OSError, ValueError):
        return None
    found, todo = {}, list(children.get(os.getpid(), ()))
    while todo:
        pid = todo.pop()
        fields = stats[pid]  # utime and stime: fields 14 and 15 of stat, 12 and 13 here
        found[pid] = (int(fields[11]) + int(fields[12])) / tick
        todo += children.get(pid, ())
    return found


T_START = time.perf_counter()
STEPS = {"runs": step_runs, "analysis": step_analysis, "breakdown": step_breakdown}


# --------------------------------------------------------------------------------------------
# the projection
# --------------------------------------------------------------------------------------------


def project(runs: dict, analysis: dict, n_jobs: int) -> dict:
    n, k = runs["design_runs"], runs["prefix_runs"]
    startup_wall = runs["imports_wall"] + runs["setup_wall"]
    startup_cpu = runs["imports_cpu"] + runs["setup_cpu"]
    # CPU of the workers and the driver while the runs ran (the child's total less its
    # start-up, collecting and the analysis it did not do)
    runs_cpu = runs["process_cpu"] - startup_cpu - runs["collect_cpu"]
    per_run_wall, per_run_cpu = runs["runs_wall"] / k, runs_cpu / k
    # the workers' start-up is paid once, not with every run: with the runs after the warm-up
    # measured apart, a run costs what they cost each, and the rest of the prefix's time (the
    # workers starting, their first runs) is a fixed cost of the study
    marginal = runs.get("after_warm_up")
    if marginal and marginal["runs"] > 0:
        per_run_wall = marginal["wall"] / marginal["runs"]
        per_run_cpu = marginal["cpu"] / marginal["runs"]
    workers_fixed_wall = max(runs["runs_wall"] - per_run_wall * k, 0.0)
    workers_fixed_cpu = max(runs_cpu - per_run_cpu * k, 0.0)
    collect_wall = runs["collect_wall"] / k * n
    collect_cpu = runs["collect_cpu"] / k * n
    wall = (startup_wall + workers_fixed_wall + per_run_wall * n + collect_wall
            + analysis["analysis_wall"])
    cpu_bound = (startup_cpu + (workers_fixed_cpu + per_run_cpu * n) / n_jobs + collect_cpu
                 + analysis["analysis_cpu"])
    return {
        "design_runs": n, "prefix_runs": k,
        "per_run_wall_with_workers": round(per_run_wall, 4),
        "per_run_cpu": round(per_run_cpu, 4),
        "cpu_share_during_runs": round(runs_cpu / runs["runs_wall"], 3),
        "startup_wall": round(startup_wall, 2), "startup_cpu": round(startup_cpu, 2),
        "per_run_from": "runs after the workers' warm-up" if marginal and marginal["runs"] > 0
        else "the whole prefix (the workers' start-up included)",
        "workers_fixed_wall": round(workers_fixed_wall, 2),
        "workers_fixed_cpu": round(workers_fixed_cpu, 2),
        "runs_wall_projected": round(per_run_wall * n, 1),
        "runs_cpu_projected": round(per_run_cpu * n, 1),
        "collect_wall_projected": round(collect_wall, 1),
        "collect_cpu_projected": round(collect_cpu, 1),
        "analysis_wall": analysis["analysis_wall"], "analysis_cpu": analysis["analysis_cpu"],
        "total_hours_wall_clock": round(wall / 3600, 3),
        "total_hours_cpu_over_cores": round(cpu_bound / 3600, 3),
        "burn_in_state_gb_projected": round(runs["burn_in_state_bytes"] / k * n / 1e9, 2),
        "run_folders_gb_projected": round(runs["run_folder_bytes"] / k * n / 1e9, 2),
        "target_hours": TARGET_HOURS,
    }


def alternation(rounds: int) -> list[str]:
    """The sides' order over ``rounds`` rounds of each: old, new, new, old, old, new..."""
    order: list[str] = []
    for k in range(rounds):
        order += ["old", "new"] if k % 2 == 0 else ["new", "old"]
    return order


def paired_ratios(totals: dict[str, list[float]], order: list[str]) -> list[float]:
    """new/old of each round's pair of projections, pairs taken in the order run (rounds
    2k and 2k + 1 of ``order``)."""
    seen = {"old": 0, "new": 0}
    pairs: list[dict[str, float]] = []
    for k, side in enumerate(order):
        if k % 2 == 0:
            pairs.append({})
        pairs[-1][side] = totals[side][seen[side]]
        seen[side] += 1
    return [round(p["new"] / p["old"], 4) for p in pairs if p.get("old")]


def compare(args: argparse.Namespace) -> int:
    """``--base``: this script's whole measurement, old and new alternated (module
    docstring)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from ab_compare import UsageError, export_revision, new_revision, share_kernel_cache

    with tempfile.TemporaryDirectory(prefix="sobol-cost-base-") as tmp:
        try:
            commit = export_revision(args.base, Path(tmp))
        except UsageError as exc:
            print(f"sobol_cost: {exc}", file=sys.stderr)
            return 2
        trees = {"old": Path(tmp) / "tree", "new": ROOT}
        shared = share_kernel_cache(trees["old"])
        for side, tree in trees.items():  # each tree's kernels loaded (or compiled) once
            done = subprocess.run([sys.executable, "-c", "import sim.kernels"], cwd=tree,
                                  capture_output=True, text=True,
                                  env=dict(os.environ, PYTHONPATH=str(tree)))
            if done.returncode != 0:
                sys.exit(f"the {side} code does not import ({done.returncode}):\n"
                         f"{done.stderr[-2000:]}")
        order = alternation(args.rounds)
        rounds, totals = [], {"old": [], "new": []}
        for k, side in enumerate(order):
            tree = trees[side]
            out = Path(tmp) / f"round{k}.json"
            cmd = [sys.executable, str(tree / "experiments" / "sobol_cost.py"), "--design",
                   args.design, "--runs", str(args.runs), "--n-jobs", str(args.n_jobs),
                   "--breakdown", str(args.breakdown), "--out", str(out)]
            proc = subprocess.run(cmd, cwd=tree, capture_output=True, text=True,
                                  env=dict(os.environ, PYTHONPATH=str(tree)))
            if proc.returncode != 0:
                sys.exit(f"round {k + 1} ({side}) failed ({proc.returncode}):\n"
                         f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
            result = json.loads(out.read_text())
            p = result["projection"]
            totals[side].append(p["total_hours_wall_clock"])
            rounds.append({"side": side, "total_hours_wall_clock": p["total_hours_wall_clock"],
                           "total_hours_cpu_over_cores": p["total_hours_cpu_over_cores"],
                           "per_run_cpu": p["per_run_cpu"],
                           "load_before": result["runs"]["uptime_before"],
                           "result": result})
            print(f"round {k + 1} of {len(order)}, {side}: {p['total_hours_wall_clock']:.2f} h "
                  f"on the wall clock, {p['total_hours_cpu_over_cores']:.2f} h from CPU time, "
                  f"{p['per_run_cpu']:.3f} CPU-s a run ({uptime()})", flush=True)
    ratios = paired_ratios(totals, order)
    summary = {side: {"median_hours": round(statistics.median(v), 3),
                      "hours": v} for side, v in totals.items()}
    report = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "machine": machine(), "design": args.design, "runs": args.runs,
              "base": commit, "new": new_revision(), "kernel_cache_shared": shared,
              "order": order, "summary": summary, "paired_ratios_new_over_old": ratios,
              "target_hours": TARGET_HOURS, "rounds": rounds}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nold {commit[:10]}: {', '.join(f'{h:.2f}' for h in totals['old'])} h "
          f"(median {summary['old']['median_hours']:.2f}); new: "
          f"{', '.join(f'{h:.2f}' for h in totals['new'])} h (median "
          f"{summary['new']['median_hours']:.2f}); new/old by pair "
          f"{', '.join(f'{r:.3f}' for r in ratios)}; target {TARGET_HOURS} h")
    print(f"  -> {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--design", default="urban_year", help="sensitivity design (name or path)")
    ap.add_argument("--runs", type=int, default=300, help="first runs of the design to time")
    ap.add_argument("--n-jobs", type=int, default=2, help="joblib workers")
    ap.add_argument("--breakdown", type=int, default=3, help="runs split into their parts")
    ap.add_argument("--out", default=str(ROOT / "experiments" / "results" / "sobol_cost.json"))
    ap.add_argument("--keep", help="keep the study's folders here (default: a temporary one)")
    ap.add_argument("--base", help="also measure this revision, alternated with this tree "
                                   "round by round (old, new, new, old...)")
    ap.add_argument("--rounds", type=int, default=2,
                    help="with --base: rounds of each side (default 2)")
    sections.add_arguments(ap, SECTION, "the projection")
    ap.add_argument("--child", choices=sorted(STEPS), help=argparse.SUPPRESS)
    ap.add_argument("--folder", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(STEPS[args.child](args)))
        return 0
    if args.readme is not None and args.base is not None:
        ap.error("--readme cannot be used with --base (it writes one tree's projection)")
    saved = sections.checked_arguments(ap, args, SECTION, load_result)
    if saved is not None:
        if not write_readme(args.readme, saved, args.from_json):
            return 2
        print(f"wrote the projection of {args.from_json} into {args.readme}")
        return 0
    if args.runs < 1 or args.n_jobs < 1 or args.breakdown < 1:
        ap.error("--runs, --n-jobs and --breakdown must be at least 1")
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    if args.base is not None:
        if args.keep:
            ap.error("--keep cannot be used with --base (each round's folders are temporary)")
        return compare(args)
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="sobol_cost_"))
    base.mkdir(parents=True, exist_ok=True)
    print(f"{machine()}; {uptime()}", flush=True)
    try:
        breakdown = child("breakdown", args, base / "breakdown")
        print(f"one run's parts (median of {breakdown['runs']}, serial): {breakdown}",
              flush=True)
        runs = child("runs", args, base / "study")
        print(f"first {runs['prefix_runs']} of {runs['design_runs']} runs, {args.n_jobs} "
              f"workers: {runs['runs_wall']:.1f} s wall, {runs['process_cpu']:.1f} CPU-s in "
              f"all; {runs['burn_in_states_saved']} burn-in states saved "
              f"({runs['uptime_before'].split('load average:')[-1].strip()})", flush=True)
        analysis = child("analysis", args, base / "analysis")
        print(f"analysis of {analysis['samples']} samples: {analysis['analysis_wall']:.1f} s",
              flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    projection = project(runs, analysis, args.n_jobs)
    result = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine(),
              "design": args.design, "n_jobs": args.n_jobs, "breakdown": breakdown,
              "runs": runs, "analysis": analysis, "projection": projection,
              "git_revision": _git_revision(),
              "command": ["experiments/sobol_cost.py", *(argv if argv is not None
                                                         else sys.argv[1:])]}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    p = projection
    print(f"\nwhole design, {p['design_runs']} runs on {args.n_jobs} workers:")
    print(f"  per run: {p['per_run_wall_with_workers']:.3f} s wall with the workers, "
          f"{p['per_run_cpu']:.3f} CPU-s (CPU share during the runs "
          f"{p['cpu_share_during_runs']:.2f} of {args.n_jobs})")
    print(f"  per run from {p['per_run_from']}; the workers' start-up and first runs "
          f"{p['workers_fixed_cpu']:.1f} CPU-s, {p['workers_fixed_wall']:.1f} s once")
    print(f"  start-up {p['startup_wall']:.1f} s; runs {p['runs_wall_projected'] / 3600:.2f} h "
          f"wall ({p['runs_cpu_projected'] / 3600:.2f} CPU-h); collecting "
          f"{p['collect_wall_projected']:.0f} s; analysis {p['analysis_wall']:.1f} s")
    print(f"  total: {p['total_hours_wall_clock']:.2f} h on the wall clock (this load), "
          f"{p['total_hours_cpu_over_cores']:.2f} h from CPU time over {args.n_jobs} cores; "
          f"target {TARGET_HOURS} h")
    print(f"  disk: burn-in states {p['burn_in_state_gb_projected']:.1f} GB, run folders "
          f"{p['run_folders_gb_projected']:.1f} GB")
    print(f"  -> {args.out}")
    if args.readme is not None:
        if not write_readme(args.readme, result, Path(args.out)):
            return 2
        print(f"  -> {args.readme} (its '{SECTION}' section)")
    return 0


# --------------------------------------------------------------------------------------------
# the README's figure
# --------------------------------------------------------------------------------------------

SECTION = "sobol"
"""The README's section this script rewrites (``--readme``; experiments/readme_section.py)."""


def write_readme(readme: Path, result: dict, saved: Path) -> bool:
    """The README's section from ``result`` (False, with a message, if it no longer takes it:
    :func:`readme_section.write_section`)."""
    return sections.write_section(readme, SECTION, readme_section(result), saved, "sobol_cost")


def _git_revision() -> str:
    from sim import io

    return io.git_revision()


def readme_section(result: dict) -> str:
    """The projection as the README shows it: how it was made, then a table."""
    m, p, b, r = result["machine"], result["projection"], result["breakdown"], result["runs"]
    n_jobs = result["n_jobs"]
    command = sections.shown_command(result["command"][0], result["command"][1:])
    met = "met" if p["total_hours_wall_clock"] <= p["target_hours"] else "**not met**"
    load = r["uptime_before"].split("load average:")[-1].strip()
    rows = [
        ("machine", f"{m['cpu']}, {m['cores']} logical CPUs; "
                    f"{m.get('interpreter') or 'Python ' + m['python']}"),
        ("measured", f"{result['date']}, load average {load} at the start of the runs"),
        ("design", f"`{result['design']}`: {p['design_runs']:,} runs; the first "
                   f"{p['prefix_runs']} run with {n_jobs} joblib workers"),
        ("a run", f"{p['per_run_wall_with_workers']:.3f} s of wall clock with {n_jobs} workers, "
                  f"{p['per_run_cpu']:.3f} CPU-s (from {p['per_run_from']})"),
        ("a run's parts (serial, median of "
         f"{b['runs']})", f"burn-in {b['burn_in_cpu']:.3f} CPU-s, the simulated days and "
                          f"their tables {b['year_cpu']:.3f}, writing the run "
                          f"{b['write_run_cpu']:.3f}"),
        ("the study's fixed parts", f"start-up {p['startup_wall']:.1f} s, the workers' start "
                                    f"{p['workers_fixed_wall']:.1f} s, collecting "
                                    f"{p['collect_wall_projected']:.0f} s, the analysis "
                                    f"{p['analysis_wall']:.1f} s"),
        ("**the whole study**", f"**{p['total_hours_wall_clock']:.2f} h** on the wall clock "
                                f"({p['total_hours_cpu_over_cores']:.2f} h from CPU time over "
                                f"{n_jobs} cores); target {p['target_hours']:g} h: {met}"),
        ("disk", f"run folders {p['run_folders_gb_projected']:.1f} GB, burn-in states "
                 f"{p['burn_in_state_gb_projected']:.2f} GB"),
    ]
    revision = sections.shown_revision(result["git_revision"])
    lines = [f"Made by `{command}` on the code of `{revision}` (written here by the script's "
             "`--readme`).", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    return "\n".join(lines) + "\n"


def load_result(path: Path) -> dict:
    """A results file of this script (``--out``), checked; ValueError otherwise."""
    fields = {"date": str, "machine": dict, "design": str, "n_jobs": int, "breakdown": dict,
              "runs": dict, "projection": dict, "git_revision": str, "command": list}
    return sections.load_results(path, "sobol_cost results file", fields, readme_section)


if __name__ == "__main__":
    sys.exit(main())
