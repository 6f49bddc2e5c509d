"""What a burn-in costs a sweep: the same sweep with and without it, in CPU time.

Runs ``python -m sim -m scenario=A,B 'run.replicate=range(R)'`` through the command line (Hydra's
basic launcher, as a user would), once with ``run.burn_in_days=B`` and once with
``run.burn_in_days=0``, alternating which goes first, ``--repeats`` times; reports the median
CPU seconds of each (user + system of the child processes) and their ratio. With the burn-in,
the two scenarios of a replicate share one saved burnt-in state (``SWEEP_DIR/.burn_in``), so the
burn-in is paid once per replicate, not once per run.

    python experiments/burn_in_sweep_cost.py                    # 2 x 10, 365-day burn-in
    python experiments/burn_in_sweep_cost.py --replicates 3 --repeats 1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def sweep(burn_in: int, args, folder: Path) -> tuple[float, float]:
    cmd = [sys.executable, "-m", "sim", "-m", f"scenario={args.scenarios}",
           f"run.replicate=range({args.replicates})", f"run.days={args.days}",
           f"run.burn_in_days={burn_in}", f"topology={args.topology}", "run.plots=false",
           f"hydra.sweep.dir={folder}"]
    c0, t0 = child_cpu(), time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True,
                   env={**os.environ, "XDG_CACHE_HOME": str(folder / "home-cache")})
    return child_cpu() - c0, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", default="baseline,lockdown")
    ap.add_argument("--replicates", type=int, default=10)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--burn-in", type=int, default=365)
    ap.add_argument("--topology", default="urban")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path,
                    default=ROOT / "experiments" / "results" / "burn_in_sweep_cost.json")
    args = ap.parse_args(argv)
    cpu: dict[str, list[float]] = {"with": [], "without": []}
    wall: dict[str, list[float]] = {"with": [], "without": []}
    for k in range(args.repeats):
        order = ("with", "without") if k % 2 == 0 else ("without", "with")
        for arm in order:
            with tempfile.TemporaryDirectory() as tmp:
                c, w = sweep(args.burn_in if arm == "with" else 0, args, Path(tmp) / "sweep")
            cpu[arm].append(c)
            wall[arm].append(w)
            print(f"repeat {k + 1} {arm:>7} burn-in: {c:.1f} CPU-s, {w:.1f} s wall", flush=True)
    med = {a: statistics.median(v) for a, v in cpu.items()}
    result = {"command": f"python -m sim -m scenario={args.scenarios} "
                         f"'run.replicate=range({args.replicates})' run.days={args.days} "
                         f"topology={args.topology} run.plots=false run.burn_in_days=B",
              "burn_in_days": args.burn_in, "repeats": args.repeats, "cpu_seconds": cpu,
              "wall_seconds": wall, "median_cpu_seconds": med,
              "ratio_with_to_without": med["with"] / med["without"],
              "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
                         f"Python {platform.python_version()}"}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"median CPU: with burn-in {med['with']:.1f} s, without {med['without']:.1f} s; "
          f"ratio {result['ratio_with_to_without']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
