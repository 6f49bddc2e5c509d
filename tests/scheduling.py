"""The order the suite's tests run in, so that two pytest-xdist workers finish together.

``--dist worksteal`` (pyproject.toml) first hands each of the ``n`` workers one contiguous
``1/n`` of the collected items, in order; a worker that runs out takes the second half of the
longest queue left. So the long tests are dealt here, longest first, to the worker whose share
of long tests is the shortest so far (the longest-processing-time rule), those of one module
that share a module-scoped fixture together and in a row (pytest tears a module's fixture down
when the next test is from another module); each worker's share of
the collection starts with its long tests and is filled up with the short ones in their
collection order. Stealing then moves only short tests, from the ends of the queues.

Only the order changes: every test runs, with the same fixtures and assertions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# Wall seconds of the suite's long tests (setup, call and teardown), from a full run on the
# project's AMD EPYC 2-vCPU machine (``-n 2 --dist worksteal --durations=0``); refresh it with
# :func:`durations_from_log` when the suite changes. A test missing there is short, unless it is
# marked slow (then it counts as ``UNLISTED_SLOW_S``).
LONG_TESTS_FILE = Path(__file__).with_name("long_tests.json")
UNLISTED_SLOW_S = 10.0


@dataclass(frozen=True)
class Item:
    """What the order needs to know of a collected test: its id, whether it is marked slow and
    the module-scoped fixtures it uses (a Slurm cluster, a reference sweep, a built site)."""

    nodeid: str
    slow: bool
    module_fixtures: tuple[str, ...] = ()


def long_tests() -> dict[str, float]:
    return json.loads(LONG_TESTS_FILE.read_text(encoding="utf-8"))


def durations_from_log(path: Path, at_least: float = 3.0) -> dict[str, float]:
    """Seconds per test (setup + call + teardown) from a ``--durations=0`` log, for the tests
    that took ``at_least`` seconds."""
    out: dict[str, float] = {}
    for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
        m = re.match(r"\s*([\d.]+)s (?:setup|call|teardown)\s+(\S+::\S+)", line)
        if m:
            out[m.group(2)] = out.get(m.group(2), 0.0) + float(m.group(1))
    return {k: round(v, 1) for k, v in sorted(out.items()) if v >= at_least}


def long_first(items: Sequence[Item], workers: int, known: dict[str, float]) -> list[int]:
    """Positions of ``items`` in run order for ``workers`` worksteal workers (see the module's
    docstring), ``known`` giving the long tests' seconds."""
    n = len(items)
    seconds = [known.get(it.nodeid, UNLISTED_SLOW_S if it.slow else 0.0) for it in items]
    units: dict[str, list[int]] = {}
    short: list[int] = []
    for i, it in enumerate(items):
        if seconds[i] <= 0:
            short.append(i)
            continue
        # long tests of one module sharing a module-scoped fixture go to one worker together,
        # which then builds the fixture once
        module = it.nodeid.split("::")[0]
        key = f"{module}::{it.module_fixtures}" if it.module_fixtures else it.nodeid
        units.setdefault(key, []).append(i)
    load = [0.0] * max(1, workers)
    shares: list[list[int]] = [[] for _ in load]
    for unit in sorted(units.values(), key=lambda u: -sum(seconds[i] for i in u)):
        w = min(range(len(load)), key=lambda k: (load[k], k))
        load[w] += sum(seconds[i] for i in unit)
        shares[w].extend(unit)
    # xdist's first distribution: worker k of w gets len(rest) // (w - k) of what is left
    order: list[int] = []
    rest = n
    for k, share in enumerate(shares):
        size = rest // (len(shares) - k)
        order.extend(share)
        take = max(0, size - len(share))
        order.extend(short[:take])
        short = short[take:]
        rest -= max(size, len(share))
    order.extend(short)
    return order

