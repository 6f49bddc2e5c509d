"""Golden output hashes: record, then check that a change to the engine leaves every output
byte as it was.

For a fixed set of configurations (urban, rural, a small county, every scenario config in
``configs/scenario`` and an explicit event list) this runs the model and takes the sha256 of the
daily table as Parquet bytes and of ``summary.json`` as the CLI writes it. The table is written
by pandas without the data dictionary's field metadata that ``sim.io`` adds to
``timeseries.parquet`` (so rewording a dictionary entry leaves the hashes as they were).

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

SCENARIOS = sorted(p.stem for p in (Path(__file__).resolve().parent.parent / "configs"
                                    / "scenario").glob("*.yaml"))

# name -> Hydra overrides (as on the command line)
CASES: dict[str, list[str]] = {
    "urban": [],
    "urban_seed7_on_demand_agents": ["run.seed=7", "run.resident_agents=false"],
    "rural": ["topology=rural"],
    "county_20k": ["topology=county", "topology.n_residents=20000"],
    "county_12k_lockdown": ["topology=county", "topology.n_residents=12000", "run.seed=3",
                            "scenario=lockdown"],
    # two districts (the others have one): district-level groups serve their own district
    "county_220k_two_districts": ["topology=county", "topology.n_residents=220000",
                                  "run.burn_in_days=364", "run.days=60"],
    "rural_flood": ["topology=rural", "scenario=flood"],
    "urban_lockdown_preparedness": ["scenario=[lockdown,preparedness]"],
    **{f"urban_{name}": [f"scenario={name}"] for name in SCENARIOS if name != "baseline"},
    "rural_parish_council": ["topology=rural", "scenario=parish_council"],
    "urban_events": ["run.seed=11", "+events={surge: {day: 20, kind: surge_campaign, params: "
                     "{multiplier: 80.0, days: 4}}, crisis: {day: 30, kind: emergency, params: "
                     "{need_multiplier: 2.5, distancing: true, shielding: true}}, cut: {day: 60, "
                     "kind: funding_cut, params: {share: 0.4, target: groups}}, over: {day: 150, "
                     "kind: emergency_end}}"],
}


def make_config(overrides: list[str]):
    import sim

    return sim.compose(list(overrides))


def output_hashes(cfg) -> dict[str, str]:
    """sha256 of the daily table's Parquet bytes (without field metadata) and of the summary
    JSON the CLI would write."""
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
