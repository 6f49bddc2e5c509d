"""Where a day's CPU time goes: the compiled kernels against the Python around them.

Issue 16's remaining target (a 10,000-run Sobol study of the urban year in 1.5 h on 2 cores)
depends on how much of a day is compiled code and how much is the organisations' Python (their
objects, queues, caches and the calls into the kernels). This script measures that split, by
phase, on the days a Sobol run spends most of its time in (burn-in days):

* the case is built (``--case``: overrides; by default the urban default at the midpoint of
  the ``urban_year`` design's ranges, ``--design``) and ``--settle`` burn-in days are run;
* then ``--blocks`` rounds, each from a copy of that state: ``--days`` days as they run
  (the plain day, nothing wrapped) and the same days with every phase the day calls
  (:data:`PHASES`, :data:`METHODS`) and every compiled kernel (each numba dispatcher in
  ``sim.kernels``, wherever a module bound it) timed with ``time.process_time``, alternating
  which goes first. A kernel's time (with its dispatch) counts to the innermost phase that
  called it; a phase's own time leaves out the phases it calls, so the phases add up to
  the instrumented day.

It prints, per phase, CPU microseconds a day (median over the blocks): in all, in kernels,
in Python, and kernel calls a day; then the plain and the instrumented day (the difference
is the timers' own cost) and the kernels' share of the day.

    python experiments/day_split.py                                  # the Sobol midpoint
    python experiments/day_split.py --case topology=county topology.n_residents=100000 \\
        --design none --days 60
"""

from __future__ import annotations

import argparse
import importlib
import json
import pickle
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import day_cost_growth  # noqa: E402
from benchmark import machine  # noqa: E402

# the phases: day_cost_growth's (the module functions and model methods the day calls), the
# day itself, and the agents' daily steps (module, class): methods
PHASES = day_cost_growth.PHASES
METHODS = {
    ("sim.model", "CommunityModel"): ("step", *day_cost_growth.METHODS, "_renew_gp_ties"),
    ("sim.agents.health", "LinkWorker"): ("step",),
    ("sim.agents.lio", "LIOFunctions"): ("step",),
    ("sim.agents.intermediaries", "LocalityOfficer"): ("step",),
    ("sim.agents.intermediaries", "ParishCouncil"): ("step",),
}


def midpoint(design: str) -> list[str]:
    """The design's base overrides and each parameter at the middle of its range."""
    from sim.experiments.sensitivity import load_design

    d = load_design(design)
    return [*d.base_overrides, *(f"{k}={(lo + hi) / 2:g}" for k, (lo, hi) in
                                 d.parameters.items())]


class Split:
    """The wrappers: each phase's own CPU time, and the kernels' time by calling phase."""

    def __init__(self) -> None:
        self.own: dict[str, float] = defaultdict(float)
        self.kernel: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.stack = ["(outside any phase)"]
        self.nested = [0.0]  # time of the phases called from the current one
        self.restore: list[tuple[object, str, object]] = []

    def _phase(self, owner: object, name: str, label: str) -> None:
        f = getattr(owner, name)
        clock, stack, nested, own = time.process_time, self.stack, self.nested, self.own

        def timed(*args, **kwargs):
            stack.append(label)
            nested.append(0.0)
            t = clock()
            try:
                return f(*args, **kwargs)
            finally:
                spent = clock() - t
                stack.pop()
                own[label] += spent - nested.pop()
                nested[-1] += spent

        self.restore.append((owner, name, f))
        setattr(owner, name, timed)

    def _kernel(self, f):
        clock, stack, kernel, calls = time.process_time, self.stack, self.kernel, self.calls

        def timed(*args, **kwargs):
            t = clock()
            try:
                return f(*args, **kwargs)
            finally:
                kernel[stack[-1]] += clock() - t
                calls[stack[-1]] += 1

        return timed

    def install(self) -> None:
        from numba.core.registry import CPUDispatcher

        from sim import kernels

        for module, names in PHASES.items():
            mod = importlib.import_module(module)
            for name in names:
                self._phase(mod, name, f"{module.rsplit('.', 1)[-1]}.{name}")
        for (module, cls), names in METHODS.items():
            owner = getattr(importlib.import_module(module), cls)
            for name in names:
                self._phase(owner, name, f"{cls}.{name}")
        dispatchers = {name: f for name, f in vars(kernels).items()
                       if isinstance(f, CPUDispatcher)}
        for mod in [m for n, m in list(sys.modules.items()) if n.startswith("sim")]:
            for name, f in dispatchers.items():
                if getattr(mod, name, None) is f:
                    self.restore.append((mod, name, f))
                    setattr(mod, name, self._kernel(f))

    def remove(self) -> None:
        for owner, name, f in reversed(self.restore):
            setattr(owner, name, f)
        self.restore.clear()


def measure(case: list[str], settle: int, days: int, blocks: int) -> dict:
    """Per phase, CPU microseconds a day (medians over ``blocks``), and the plain day."""
    import sim
    from sim.model import CommunityModel

    cfg = sim.compose([*case, f"run.burn_in_days={settle}"])
    state = pickle.dumps(CommunityModel(cfg, start=False))
    plain, timed, rows = [], [], []
    for b in range(blocks):
        for wrapped in ((False, True) if b % 2 == 0 else (True, False)):
            model = pickle.loads(state)
            split = Split()
            if wrapped:
                split.install()
            try:
                t = time.process_time()
                model.burn_in(days)
                spent = (time.process_time() - t) / days * 1e6
            finally:
                split.remove()
            if not wrapped:
                plain.append(spent)
                continue
            timed.append(spent)
            rows.append({label: (split.own[label] / days * 1e6,
                                 split.kernel[label] / days * 1e6, split.calls[label] / days)
                         for label in {*split.own, *split.kernel}})
    labels = sorted({k for r in rows for k in r})

    def med(label: str, k: int) -> float:
        return statistics.median(r.get(label, (0.0, 0.0, 0.0))[k] for r in rows)

    phases = {label: {"us": round(med(label, 0), 1), "kernel_us": round(med(label, 1), 1),
                      "python_us": round(med(label, 0) - med(label, 1), 1),
                      "kernel_calls": round(med(label, 2), 2)} for label in labels}
    day = sum(p["us"] for p in phases.values())
    kernel = sum(p["kernel_us"] for p in phases.values())
    return {"case": case, "settle_days": settle, "days": days, "blocks": blocks,
            "plain_day_us": round(statistics.median(plain), 1),
            "plain_day_us_each": [round(x, 1) for x in plain],
            "instrumented_day_us": round(statistics.median(timed), 1),
            "phases_sum_us": round(day, 1), "kernel_share": round(kernel / day, 3) if day else 0.0,
            "phases": phases, "machine": machine()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", nargs="*", default=None,
                    help="configuration overrides (default: the --design's midpoint)")
    ap.add_argument("--design", default="urban_year",
                    help="sensitivity design whose base and midpoint make the default case "
                         "('none': the case alone)")
    ap.add_argument("--settle", type=int, default=364, help="burn-in days before measuring")
    ap.add_argument("--days", type=int, default=200, help="days measured in each block")
    ap.add_argument("--blocks", type=int, default=3, help="rounds of plain and timed days")
    ap.add_argument("--out", type=Path,
                    help="also write the figures as JSON here (a new file: never replaced)")
    args = ap.parse_args(argv)
    if args.settle < 0 or args.days < 1 or args.blocks < 1:
        ap.error("--settle must be at least 0, --days and --blocks at least 1")
    if args.out is not None and args.out.exists():
        ap.error(f"argument --out: {args.out} exists; choose another path")
    case = list(args.case or [])
    if args.design != "none":
        try:
            case = [*midpoint(args.design), *case]
        except Exception as exc:  # noqa: BLE001  (a bad design name or file: its message)
            ap.error(f"--design {args.design}: {exc}")
    import sim
    from sim.params import ConfigError

    try:  # composed once here, so a bad override is named before anything runs
        sim.compose([*case, f"run.burn_in_days={args.settle}"])
    except ConfigError as exc:
        ap.error(f"--case: {exc}")
    report = measure(case, args.settle, args.days, args.blocks)
    print(f"case: {' '.join(case)}")
    print(f"{report['machine']['cpu']}, {report['machine']['logical_cpus']} logical CPUs; "
          f"CPU time, medians of {args.blocks} blocks of {args.days} burn-in days")
    print(f"{'phase':40s} {'us/day':>8s} {'kernels':>8s} {'Python':>8s} {'calls':>6s}")
    for label, p in sorted(report["phases"].items(), key=lambda kv: -kv[1]["python_us"]):
        print(f"{label:40s} {p['us']:8.1f} {p['kernel_us']:8.1f} {p['python_us']:8.1f} "
              f"{p['kernel_calls']:6.1f}")
    print(f"the day: {report['plain_day_us']:.0f} us as it runs, "
          f"{report['instrumented_day_us']:.0f} us timed (phases add up to "
          f"{report['phases_sum_us']:.0f}); kernels {100 * report['kernel_share']:.0f} % of it")
    if args.out is not None:
        args.out.write_text(json.dumps(report, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
