"""CPU cost of the per-area output table (``sim.areas.table``, ``areas.parquet``) on the
700,000-resident example county: the table built from the model at the end of a short run,
and written as Parquet with its field metadata, each timed ``--repeat`` times (CPU time,
``time.process_time``); medians reported.

    python experiments/areas_table_cost.py --days 7 --repeat 3
"""

from __future__ import annotations

import argparse
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=7, help="days to run before the table")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    model = CommunityModel(sim.compose(["topology=example_county", "run.burn_in_days=0",
                                        f"run.days={args.days}"]))
    c0 = time.process_time()
    model.run()
    run_cpu = time.process_time() - c0
    build, write = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            c0 = time.process_time()
            table = areas.table(model)
            build.append(time.process_time() - c0)
            c0 = time.process_time()
            io.write_areas(table, Path(tmp) / "areas.parquet")
            write.append(time.process_time() - c0)
        size = (Path(tmp) / "areas.parquet").stat().st_size
    per_day = run_cpu / args.days
    b, w = statistics.median(build), statistics.median(write)
    print(f"example county: {model.pop.n:,} residents, {len(table)} areas, {args.days} days "
          f"run in {run_cpu:.1f} CPU s ({per_day:.3f} s a day)")
    def ms(xs):
        return ", ".join(f"{x * 1000:.1f}" for x in xs)

    print(f"areas.table: median {b * 1000:.1f} ms CPU ({ms(build)})")
    print(f"write_areas: median {w * 1000:.1f} ms CPU ({ms(write)}); {size / 1024:.0f} KiB")
    print(f"table + write = {(b + w) / per_day:.2f} days of the run's CPU time; "
          f"{100 * (b + w) / (per_day * 365):.3f} % of a year's run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
