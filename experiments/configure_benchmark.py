"""CPU time of composing a configuration: ``sim.configure`` (no Hydra) against ``sim.compose``.

    python experiments/configure_benchmark.py [--repeats 50]

Prints, per case, the median CPU time (``time.process_time``) of ``--repeats`` calls after one
warm-up call, and the warm-up call itself (which pays the imports and the first file reads).
Not a test: timings depend on the machine (issue 14 asks for <= 10 ms per composition).
"""

from __future__ import annotations

import argparse
import statistics
import time

CASES = {
    "default (urban, baseline)": ((), {}),
    "rural + lockdown, run.days": (("rural", "lockdown"), {"run.days": 200}),
    "county + [lockdown, preparedness], 3 values": (
        ("county", ["lockdown", "preparedness"]),
        {"run.days": 200, "link_worker.caseload_cap": 30,
         "events.lockdown_starts.params.need_multiplier": 2.0}),
    "urban + funding_loss, event share": (
        ("urban", "funding_loss"), {"events.core_funding_cut.params.share": 0.8}),
}


def cpu_ms(fn, repeats: int) -> tuple[float, float]:
    """(first call, median of ``repeats`` further calls), CPU milliseconds."""
    t = time.process_time()
    fn()
    first = (time.process_time() - t) * 1000
    times = []
    for _ in range(repeats):
        t = time.process_time()
        fn()
        times.append((time.process_time() - t) * 1000)
    return first, statistics.median(times)


def hydra_overrides(base: tuple, values: dict) -> list[str]:
    out = []
    if base:
        topology, scenario = base
        scenario = scenario if isinstance(scenario, str) else f"[{','.join(scenario)}]"
        out += [f"topology={topology}", f"scenario={scenario}"]
    return out + [f"{k}={v}" for k, v in values.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--hydra-repeats", type=int, default=5)
    args = parser.parse_args()
    import sim

    print(f"CPU time per composition, median of {args.repeats} (sim.configure) and "
          f"{args.hydra_repeats} (sim.compose) after one warm-up call")
    print(f"{'case':48s} {'configure':>10s} {'(first)':>9s} {'compose':>9s}")
    for name, (base, values) in CASES.items():
        first, median = cpu_ms(lambda b=base, v=values: sim.configure(b or None, **v),
                               args.repeats)
        _, hydra = cpu_ms(lambda b=base, v=values: sim.compose(hydra_overrides(b, v)),
                          args.hydra_repeats)
        assert sim.configure(base or None, **values) == sim.compose(hydra_overrides(base, values))
        print(f"{name:48s} {median:8.2f}ms {first:7.0f}ms {hydra:7.0f}ms")


if __name__ == "__main__":
    main()
