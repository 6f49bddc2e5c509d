"""Does a day cost more late in a year than early? CPU time of each phase of the daily step.

Runs one county year (daily collection on, no burn-in, as ``benchmark.py``) and times, with
``time.process_time``, the whole step and its phases (the module functions and model methods
``CommunityModel.step`` calls, wrapped for this run only) day by day, then prints the median
CPU milliseconds of each phase over the first ``--early`` days and over the last ``--late``
days, with the organisations made and still open at the end. A phase that calls another
(``volunteering.step`` calls ``manage_volunteers``) includes its time. A phase whose cost
grows while the population stays the same is one whose work grows with the model's history
(groups that have closed, clients, volunteers).

    python experiments/day_cost_growth.py --n 100000
    python experiments/day_cost_growth.py --n 1000000 --out /tmp/growth.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

# (module, function) pairs and CommunityModel methods timed as phases: what
# ``CommunityModel.step`` calls (tests/test_day_cost_growth.py checks that each exists)
PHASES = {
    "sim.processes.need": ("day",),
    "sim.processes.help_seeking": ("give_up_waiting", "residents_in_need", "take_gp_advice",
                                   "seek_help", "routine_consultations",
                                   "statutory_referrals"),
    "sim.processes.strain": ("step",),
    "sim.processes.volunteering": ("step", "new_week", "scale_management", "manage_volunteers",
                                   "refresh_trained_counts", "allocate_tasks"),
    "sim.processes.emergency": ("respond",),
    "sim.processes.wellbeing": ("update",),
    "sim.metrics": ("daily_row",),
}
METHODS = ("refresh_unit_flags", "link_worker_hours_today", "_groups_step",
           "_mutual_aid_emerges", "_groups_start_unaided")


def measure(n: int, days: int, early: int, late: int, seed: int) -> dict:
    """Median CPU ms per phase over the first ``early`` and the last ``late`` days."""
    import importlib

    import sim
    from sim.model import CommunityModel

    spent: dict[str, float] = defaultdict(float)
    restore = []

    def wrap(owner, name: str, label: str) -> None:
        f = getattr(owner, name)
        restore.append((owner, name, f))

        def timed(*args, **kwargs):
            t = time.process_time()
            try:
                return f(*args, **kwargs)
            finally:
                spent[label] += time.process_time() - t

        setattr(owner, name, timed)

    for module, names in PHASES.items():
        mod = importlib.import_module(module)
        for name in names:
            wrap(mod, name, f"{module.rsplit('.', 1)[-1]}.{name}")
    for name in METHODS:
        wrap(CommunityModel, name, f"model.{name}")
    try:
        cfg = sim.compose(["topology=county", f"run.days={days}", f"run.seed={seed}",
                           "run.collect=true", "run.burn_in_days=0",
                           f"topology.n_residents={n}"])
        model = CommunityModel(cfg)
        rows = []
        for _ in range(days):
            spent.clear()
            t = time.process_time()
            model.step()
            rows.append({"day": time.process_time() - t, **spent})
    finally:
        for owner, name, f in reversed(restore):
            setattr(owner, name, f)
    labels = ["day", *sorted({k for r in rows for k in r} - {"day"})]

    def median_ms(part: list[dict], key: str) -> float:
        return round(1000.0 * statistics.median(r.get(key, 0.0) for r in part), 3)

    return {"n": n, "days": days, "seed": seed,
            "organisations": len(model.organisations), "open_groups": len(model.open_groups()),
            "ms_early": {k: median_ms(rows[:early], k) for k in labels},
            "ms_late": {k: median_ms(rows[-late:], k) for k in labels}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="county residents")
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--early", type=int, default=30, help="first days compared")
    ap.add_argument("--late", type=int, default=36, help="last days compared")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, help="also write the figures as JSON here")
    args = ap.parse_args(argv)
    if not (args.n > 0 and 0 < args.early <= args.days and 0 < args.late <= args.days):
        ap.error("--n, --early and --late must be positive; --early and --late at most --days")
    report = measure(args.n, args.days, args.early, args.late, args.seed)
    print(f"county {report['n']:,} residents, {report['days']} days: "
          f"{report['organisations']} organisations made, {report['open_groups']} groups open")
    print(f"{'phase':40s} {'early ms':>9s} {'late ms':>9s}")
    for key, early_ms in report["ms_early"].items():
        print(f"{key:40s} {early_ms:9.2f} {report['ms_late'][key]:9.2f}")
    if args.out is not None:
        args.out.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
