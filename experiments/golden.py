"""Golden output hashes: record, then check that a change to the engine leaves every output
byte as it was.

For a fixed set of configurations (urban, rural, a small county, and event scenarios that fire
emergency, funding_cut, surge_campaign and NHS stand-down events) this runs the model and takes
the sha256 of the ``timeseries.parquet`` bytes and of ``summary.json`` as the CLI writes them.

    python experiments/golden.py --record golden.json   # before a change
    python experiments/golden.py --check golden.json    # after it: exit 1 on any difference

Run the recording from the code before the change (e.g. ``PYTHONPATH=/path/to/old/checkout``).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import time
from pathlib import Path

EVENTS = [
    {"day": 20, "kind": "surge_campaign", "params": {"multiplier": 80.0, "days": 4}},
    {"day": 30, "kind": "emergency",
     "params": {"need_multiplier": 2.5, "distancing": True, "shielding": True}},
    {"day": 35, "kind": "nhs_volunteers_stand_down"},
    {"day": 60, "kind": "funding_cut", "params": {"share": 0.4, "target": "groups"}},
    {"day": 120, "kind": "nhs_volunteers_return"},
    {"day": 150, "kind": "emergency_end"},
]

CASES: dict[str, dict] = {
    "urban": {},
    "urban_seed7_on_demand_agents": {"run.seed": 7, "run.resident_agents": False},
    "rural": {"topology.kind": "rural", "topology.n_residents": 380},
    "county_20k": {"topology.kind": "county", "topology.n_residents": 20000},
    "urban_emergency": {"events": EVENTS},
    "county_emergency": {"topology.kind": "county", "topology.n_residents": 12000,
                         "events": EVENTS, "run.seed": 3},
    "rural_emergency": {"topology.kind": "rural", "topology.n_residents": 380,
                        "events": EVENTS, "run.days": 200},
}


def make_config(overrides: dict):
    from sim.params import Config

    cfg = Config()
    cfg.run.days = 365
    for key, value in overrides.items():
        if key == "events":
            cfg.events = [dict(e) for e in value]
            continue
        obj = cfg
        *path, last = key.split(".")
        for part in path:
            obj = getattr(obj, part)
        setattr(obj, last, value)
    return cfg


def output_hashes(cfg) -> dict[str, str]:
    """sha256 of the timeseries parquet bytes and summary JSON that the CLI would write."""
    from sim import io as sim_io
    from sim import runner

    result = runner.run(cfg)
    buf = io.BytesIO()
    result.timeseries.to_parquet(buf, index=False)
    return {"timeseries.parquet": hashlib.sha256(buf.getvalue()).hexdigest(),
            "summary.json": hashlib.sha256(sim_io.dumps(result.summary).encode()).hexdigest()}


def compute(cases: list[str]) -> dict[str, dict[str, str]]:
    out = {}
    for name in cases:
        t0 = time.perf_counter()
        out[name] = output_hashes(make_config(CASES[name]))
        print(f"{name:32s} {time.perf_counter() - t0:6.1f}s  "
              f"ts {out[name]['timeseries.parquet'][:12]}  "
              f"summary {out[name]['summary.json'][:12]}", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--record", type=Path, metavar="JSON", help="write the hashes here")
    mode.add_argument("--check", type=Path, metavar="JSON",
                      help="compare with hashes recorded earlier; exit 1 on any difference")
    ap.add_argument("--cases", nargs="+", choices=sorted(CASES), default=list(CASES),
                    help="configurations to run (default: all)")
    ap.add_argument("--force", action="store_true", help="--record: replace an existing file")
    args = ap.parse_args(argv)
    if args.record and args.record.exists() and not args.force:
        ap.error(f"--record: {args.record} exists; pass --force to replace it")
    if args.check and not args.check.is_file():
        ap.error(f"--check: no such file {args.check}")
    if args.check:
        try:
            expected = json.loads(args.check.read_text())["hashes"]
        except (ValueError, KeyError) as exc:
            ap.error(f"--check: {args.check} is not a golden-hash file ({exc})")
        missing = [c for c in args.cases if c not in expected]
        if missing:
            ap.error(f"--check: {args.check} has no hashes for {', '.join(missing)}")

    import sim

    hashes = compute(args.cases)
    if args.record:
        args.record.parent.mkdir(parents=True, exist_ok=True)
        args.record.write_text(json.dumps({"sim": str(Path(sim.__file__).parent),
                                           "hashes": hashes}, indent=2) + "\n")
        print(f"recorded {len(hashes)} cases to {args.record}")
        return 0
    bad = [(c, f) for c, h in hashes.items() for f in h if h[f] != expected[c][f]]
    for case, f in bad:
        print(f"DIFFERENT: {case} {f}", file=sys.stderr)
    print(f"{len(hashes) - len({c for c, _ in bad})}/{len(hashes)} cases byte-identical")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
