"""Screen for parameters that a ``set_parameter`` event accepts but that do nothing mid-run.

For every parameter that ``set_parameter`` accepts (``iter_params``, minus ``run.``,
``topology.``, ``scenario.`` and those marked ``at_build``) this runs a tiny world twice with the
same seed (common random numbers), each with a ``set_parameter`` event on output day 1 for the
parameter: once setting it to the value it already has (the control: the event itself is
counted and forgets cached capacities), once to a clearly different valid value. A parameter
whose change leaves every output byte identical (daily table, summary, per-area and
per-practice tables) in every scenario of a world is a *candidate* in that world: either it is
read only when the model is built there, or it does not act in that world (a lockdown scenario
is screened too, so emergency parameters are exercised; ``--size`` screens a larger or longer
world). Reading its code decides which.

The worlds (``--world``): the urban estate (600 residents), the rural village (380), and a
places world, the shipped sample place at a tenth of its residents with its organisation table
(every charity and community group built from a row, sized by its funding) and its LIO scaled
by its residents (``topology.lio_reference_residents`` below them), so a parameter those
groups read only at build is caught.

    python experiments/at_build_screen.py                  # every key, urban, both scenarios
    python experiments/at_build_screen.py --world places --prefix groups.
    python experiments/at_build_screen.py --world all --keys groups.vm_hours_per_week

Run time (AMD EPYC, 2 vCPUs, shared, load 4-6): the places world's 109 ``groups.*`` keys under
both scenarios 574 s wall, 189 CPU-s; the rural world's 349 s wall, 119 CPU-s.

Exit status 1 when a candidate is found (so a test can re-run the screen on a list of keys);
2 on a bad option (named, with what is allowed).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import io
import sys
import tempfile
import time
from pathlib import Path

SCENARIOS: dict[str, list[str]] = {
    "baseline": [],
    "lockdown": ["scenario=lockdown"],
}
_SAMPLE = Path(__file__).resolve().parent.parent / "configs" / "places" / "sample"
TOPOLOGIES: dict[str, list[str]] = {
    "urban": ["topology=urban", "topology.n_residents=600"],
    "rural": ["topology=rural"],  # its 380 residents
    "places": ["topology=places", f"topology.place_file={_SAMPLE / 'areas.csv'}",
               f"topology.practice_file={_SAMPLE / 'practices.csv'}",
               f"topology.registration_file={_SAMPLE / 'registrations.csv'}",
               f"topology.organisation_file={_SAMPLE / 'organisations.csv'}",
               "topology.place_scale=0.1", "topology.lio_reference_residents=500"],
}
"""The worlds: overrides before the tiny run's (:data:`TINY`)."""
TINY = ["run.burn_in_days=56", "run.days=160", "run.plots=false", "run.area_period_days=0"]
"""The tiny run: lockdown runs from day 30 to day 150, so its end is screened too."""
SKIP_PREFIXES = ("run.", "topology.", "scenario.")


def screened_keys(cfg) -> list[str]:
    """Keys a ``set_parameter`` event accepts (scalars only: lists and dicts are left out)."""
    from sim.params import iter_params

    return [k for k, v, m in iter_params(cfg)
            if not k.startswith(SKIP_PREFIXES) and not m.get("at_build")
            and isinstance(v, bool | int | float | str)]


def _candidates(value, meta) -> list:
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, str):
        return [c for c in (meta.get("choices") or ()) if c != value]
    lo, hi = meta.get("lo"), meta.get("hi")
    plausible = meta.get("plausible") or ()
    if isinstance(value, int):
        out = [value * 3, value + 3, value // 3, value - 1, value + 1]
    else:
        far = sorted(plausible, key=lambda x: -abs(x - value))
        out = ([value * 3, value / 3] if value else []) + far + [
            x for x in (hi, lo, 0.5, 1.0, 10.0) if x is not None]
        if hi is not None and lo is not None and math_finite(hi) and math_finite(lo):
            out.append(0.5 * (lo + hi))
    return [c for c in out if c != value]


def math_finite(x) -> bool:
    import math

    return isinstance(x, int | float) and math.isfinite(x)


def new_value(cfg, key: str):
    """A clearly different value that ``set_parameter`` accepts for ``key`` in ``cfg``, or
    None."""
    from sim.events.parameters import _assign
    from sim.params import ConfigError, iter_params

    meta = {k: (v, m) for k, v, m in iter_params(cfg)}
    value, m = meta[key]
    for cand in _candidates(value, m):
        try:
            _assign(copy.deepcopy(cfg), {"key": key, "value": cand}, "screen")
        except ConfigError:
            continue
        return cand
    return None


def output_hash(cfg, cache: str) -> str:
    from sim import runner

    result = runner.run(cfg, burn_in_cache=cache)
    h = hashlib.sha256()
    for table in (result.timeseries, result.areas, result.practices):
        if table is not None:
            buf = io.BytesIO()
            table.to_parquet(buf, index=False)
            h.update(buf.getvalue())
    from sim import io as sim_io

    h.update(sim_io.dumps(result.summary).encode())
    return h.hexdigest()


def with_set(cfg, key: str, value):
    """A copy of ``cfg`` with a ``set_parameter`` event for ``key`` on output day 1."""
    cfg = copy.deepcopy(cfg)
    cfg.events = {**cfg.events, "screen_set": {
        "day": 1, "kind": "set_parameter", "params": {"key": key, "value": value}}}
    return cfg


def screen(keys: list[str] | None = None, scenarios: list[str] | None = None, log=print,
           size: list[str] | None = None, topology: str = "urban") -> dict[str, dict]:
    """``{key: {"value": new value, scenario: changed (bool) ...}}`` for each screened key in
    the world ``topology`` (:data:`TOPOLOGIES`) under each of ``scenarios``
    (:data:`SCENARIOS`); ``size``: overrides for the world's size and length (after
    :data:`TINY`)."""
    import sim
    from sim.params import iter_params

    out: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="at_build_screen_") as cache:
        for scenario in scenarios or list(SCENARIOS):
            base = sim.compose(TOPOLOGIES[topology] + TINY + list(size or ())
                               + SCENARIOS[scenario])
            values = {k: v for k, v, _ in iter_params(base)}
            for key in keys if keys is not None else screened_keys(base):
                value = new_value(base, key)
                row = out.setdefault(key, {"value": value})
                if value is None:
                    row[scenario] = None
                    continue
                control, changed = (output_hash(with_set(base, key, v), cache)
                                    for v in (values[key], value))
                row[scenario] = changed != control
                log(f"{topology:6s} {scenario:9s} {key:60s} -> {value!r:12} "
                    f"{'changed' if row[scenario] else 'IDENTICAL'}")
    return out


def _refuse(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keys", nargs="+", help="screen only these keys (default: all)")
    ap.add_argument("--prefix", help="screen only the keys that start with this (e.g. groups.)")
    ap.add_argument("--world", default="urban",
                    help=f"the world to screen: {', '.join(TOPOLOGIES)} or all (default urban)")
    ap.add_argument("--scenarios", nargs="+", default=list(SCENARIOS),
                    help=f"scenarios to run each world under: {', '.join(SCENARIOS)} (default "
                         "both)")
    ap.add_argument("--size", nargs="+", default=[], metavar="KEY=VALUE",
                    help="overrides after the tiny run's (e.g. topology.n_residents=4000 "
                         "run.days=400)")
    args = ap.parse_args(argv)
    if args.world != "all" and args.world not in TOPOLOGIES:
        return _refuse(f"--world: {args.world!r} is not a world; allowed: "
                       f"{', '.join(TOPOLOGIES)}, all")
    unknown = [w for w in args.scenarios if w not in SCENARIOS]
    if unknown:
        return _refuse(f"--scenarios: {unknown[0]!r} is not a scenario the screen runs; "
                       f"allowed: {', '.join(SCENARIOS)}")
    from sim.params import Config

    allowed = screened_keys(Config())
    keys = args.keys
    if args.keys:
        unknown = [k for k in args.keys if k not in allowed]
        if unknown:
            return _refuse(f"--keys: {', '.join(unknown)} is not a parameter a set_parameter "
                           "event accepts (scalars outside run., topology. and scenario., not "
                           "marked at_build)")
    if args.prefix is not None:
        keys = [k for k in (keys or allowed) if k.startswith(args.prefix)]
        if not keys:
            return _refuse(f"--prefix: no parameter a set_parameter event accepts starts with "
                           f"{args.prefix!r}")
    worlds = list(TOPOLOGIES) if args.world == "all" else [args.world]
    t0, c0 = time.perf_counter(), time.process_time()
    found = 0
    for world in worlds:
        w0, wc0 = time.perf_counter(), time.process_time()
        result = screen(keys, args.scenarios, log=lambda s: print(s, flush=True),
                        size=args.size, topology=world)
        candidates = [k for k, r in result.items()
                      if not any(r.get(w) for w in args.scenarios)]
        found += len(candidates)
        print(f"\n{world}: {len(result)} keys screened in {time.perf_counter() - w0:.0f} s "
              f"wall, {time.process_time() - wc0:.0f} CPU-s")
        print(f"{world}: {len(candidates)} candidates (no output byte changed in any "
              "scenario):")
        for k in candidates:
            r = result[k]
            print(f"  {k}" + ("  (no other valid value found)" if r["value"] is None else
                              f"  -> {r['value']!r}"))
    if len(worlds) > 1:
        print(f"\nall worlds: {time.perf_counter() - t0:.0f} s wall, "
              f"{time.process_time() - c0:.0f} CPU-s")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
