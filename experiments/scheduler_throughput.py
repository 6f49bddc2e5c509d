"""Sweep throughput on this machine's one-machine clusters (docs/sweeps.md, "Clusters").

Starts the clusters of the scheduler tests (tests/clusters.py: Slurm with munged, slurmdbd,
slurmctld and slurmd; Ray as a head and a worker node of one CPU each), then times the same
sweep of ``--runs`` runs (urban, 1,000 residents, ``--days`` days, two-week burn-in) from
submission to collected tables, ``--repeats`` times per route, each into a fresh folder:

* ``slurm executor``: ``python -m sim.experiments.executor DIR ... --backend slurm``
  (one job array; each job composes its own configuration);
* ``slurm hydra``: ``python -m sim -m ... hydra/launcher=slurm`` (the Hydra submitit launcher);
* ``ray executor``: ``python -m sim.experiments.executor DIR ... --backend ray``;
* ``ray hydra``: ``python -m sim -m ... hydra/launcher=ray_cluster`` (hydra-ray-launcher: every
  job composed on the driver, then shipped).

Reports the median wall-clock seconds and runs per minute of each route (a scheduler's
throughput is a wall-clock figure; the host's load average is recorded with it, since the two
vCPUs are shared). Needs root and the Slurm packages for the Slurm routes (else they are left
out, with the reason).

    python experiments/scheduler_throughput.py                 # 20 runs, 3 repeats
    python experiments/scheduler_throughput.py --runs 10 --repeats 1 --only ray
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "experiments"))

from benchmark import machine  # noqa: E402 - the machine, as the benchmark names it
from clusters import (  # noqa: E402 - tests/ is not a package
    PARTITION,
    ray_cluster,
    ray_missing,
    slurm_cluster,
    slurm_missing,
)


def sweep_overrides(runs: int, days: int) -> list[str]:
    return ["topology=urban", "topology.n_residents=1000", f"run.days={days}",
            "run.burn_in_days=14", f"run.replicate=range({runs})", "run.plots=false"]


def timed(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=3600)
    seconds = time.perf_counter() - t
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    return seconds


def routes(kind: str, cluster, folder: Path, overrides: list[str]) -> dict[str, list[str]]:
    py = sys.executable
    if kind == "slurm":
        return {
            "slurm executor": [py, "-m", "sim.experiments.executor", str(folder / "ex"),
                               *overrides, "--backend", "slurm", "--partition", PARTITION,
                               "--timeout-min", "30", "--mem-gb", "1",
                               "--array-parallelism", "2"],
            "slurm hydra": [py, "-m", "sim", "-m", f"hydra.sweep.dir={folder / 'hy'}",
                            "hydra/launcher=slurm", f"hydra.launcher.partition={PARTITION}",
                            "hydra.launcher.timeout_min=30", "hydra.launcher.mem_gb=1",
                            "hydra.launcher.array_parallelism=2", *overrides],
        }
    return {
        "ray executor": [py, "-m", "sim.experiments.executor", str(folder / "ex"), *overrides,
                         "--backend", "ray", "--ray-address", cluster.address],
        "ray hydra": [py, "-m", "sim", "-m", f"hydra.sweep.dir={folder / 'hy'}",
                      "hydra/launcher=ray_cluster",
                      f"hydra.launcher.ray.init.address={cluster.address}", *overrides],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--only", choices=("slurm", "ray"))
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    overrides = sweep_overrides(args.runs, args.days)
    results: dict[str, dict] = {}
    skipped: dict[str, str] = {}
    for kind, missing, start in (("slurm", slurm_missing, slurm_cluster),
                                 ("ray", ray_missing, ray_cluster)):
        if args.only and kind != args.only:
            continue
        reason = missing()
        if reason:
            skipped[kind] = reason
            continue
        with tempfile.TemporaryDirectory(prefix=f"throughput-{kind}-") as tmp:
            with start(Path(tmp) / "cluster") as cluster:
                env = dict(cluster.env, RAY_USAGE_STATS_ENABLED="0")
                times: dict[str, list[float]] = {}
                for i in range(args.repeats):
                    folder = Path(tmp) / f"rep{i}"
                    todo = list(routes(kind, cluster, folder, overrides).items())
                    if i % 2:
                        todo.reverse()  # alternate which route goes first
                    for name, cmd in todo:
                        times.setdefault(name, []).append(timed(cmd, env))
                        print(f"{name:16s} repeat {i}: {times[name][-1]:7.1f} s", flush=True)
                for name, ts in times.items():
                    med = statistics.median(ts)
                    results[name] = {"seconds": ts, "median_seconds": round(med, 1),
                                     "runs_per_minute": round(60 * args.runs / med, 1)}
    info = {"runs": args.runs, "days": args.days, "repeats": args.repeats,
            "machine": f"{machine()["cpu"]}, {os.cpu_count()} vCPUs",
            "load_average": os.getloadavg(), "results": results, "skipped": skipped}
    print(json.dumps(info, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(info, indent=2))


if __name__ == "__main__":
    main()
