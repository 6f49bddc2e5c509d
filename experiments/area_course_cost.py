"""CPU cost of the per-area time course (``sim.areas.AreaCourse``, ``area_course.parquet``)
against the run it records: the county topology at 100,000 residents (and optionally the
700,000-resident example county) run ``--days`` days with the course observed after every day
as :func:`sim.runner.run` does; the CPU time (``time.process_time``) of the observations, the
table and its Parquet write is compared with the CPU time of the days themselves. Each repeat
builds a fresh model (no burn-in); medians reported.

    python experiments/area_course_cost.py --days 91 --repeat 3 [--period 7] [--example-county]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sim  # noqa: E402
from sim import areas, io  # noqa: E402
from sim.model import CommunityModel  # noqa: E402

CASES = {"county 100k": ["topology=county", "topology.n_residents=100000"],
         "example county": ["topology=example_county"]}


def measure(overrides: list[str], days: int, period: int) -> dict[str, float]:
    model = CommunityModel(sim.compose([*overrides, "run.burn_in_days=0", f"run.days={days}"]))
    course = areas.AreaCourse(model, period)
    step = observe = 0.0
    for _ in range(days):
        c0 = time.process_time()
        model.step()
        c1 = time.process_time()
        course.observe(model)
        c2 = time.process_time()
        step += c1 - c0
        observe += c2 - c1
    c0 = time.process_time()
    course.observe(model, final=True)
    table = course.table()
    c1 = time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        io.write_areas(table, Path(tmp) / "area_course.parquet", "area_course")
        size = (Path(tmp) / "area_course.parquet").stat().st_size
    c2 = time.process_time()
    return {"residents": model.pop.n, "areas": len(model.units), "rows": len(table),
            "step": step, "observe": observe, "table": c1 - c0, "write": c2 - c1,
            "kib": size / 1024}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=91)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--period", type=int, default=7, help="run.area_period_days")
    ap.add_argument("--example-county", action="store_true", help="also the example county")
    args = ap.parse_args(argv)
    print(f"{platform.processor() or platform.machine()}, {args.days} days, period "
          f"{args.period} days, medians of {args.repeat} (CPU time)")
    for name, overrides in CASES.items():
        if name == "example county" and not args.example_county:
            continue
        runs = [measure(overrides, args.days, args.period) for _ in range(args.repeat)]
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        extra = med["observe"] + med["table"] + med["write"]
        print(f"{name}: {int(med['residents']):,} residents, {int(med['areas'])} areas, "
              f"{int(med['rows'])} rows ({med['kib']:.0f} KiB)")
        print(f"  days {med['step']:.2f} s ({1000 * med['step'] / args.days:.1f} ms a day); "
              f"observe {1000 * med['observe']:.1f} ms, table {1000 * med['table']:.1f} ms, "
              f"write {1000 * med['write']:.1f} ms")
        print(f"  the time course adds {100 * extra / med['step']:.2f} % to the run's CPU time "
              f"(observations alone {100 * med['observe'] / med['step']:.2f} %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
