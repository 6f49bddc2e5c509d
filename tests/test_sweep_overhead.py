"""experiments/sweep_overhead.py: each further job's cost is the slope of CPU time on the
number of jobs, fitted within each repeat (the host's drift between repeats stays out of it),
with its standard error; each measurement pays for the garbage it leaves; bad arguments are
named (exit status 2) before anything is measured."""

from __future__ import annotations

import gc
import importlib.util
import math
import subprocess
import sys
import weakref
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "experiments" / "sweep_overhead.py"


@pytest.fixture(scope="module")
def overhead():
    spec = importlib.util.spec_from_file_location("sweep_overhead_under_test", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_slope_is_fitted_within_repeats_so_a_drifting_host_leaves_it_alone(overhead):
    """Three repeats on a host whose level moves by seconds between them (each repeat its own
    intercept) and whose measurements are a little noisy, one repeat missing its small sweeps:
    the pooled slope is the true one within two standard errors, each repeat's own slope is
    near it, and the fixed cost is the mean of the repeats' intercepts. One line through every
    point, as if the host had stood still, is thrown off by the levels and much less sure."""
    rng = np.random.default_rng(3)
    per_job, levels = 0.037, (0.4, 2.9, 1.1)
    sizes = {0: (6, 12, 18, 24), 1: (24, 18), 2: (6, 12, 18, 24)}
    points = [(r, n, levels[r] + per_job * n + rng.normal(0.0, 0.002))
              for r in range(3) for n in sizes[r]]
    fit = overhead.slope(points)
    assert fit["points"] == 10 and fit["repeats"] == 3 and len(fit["per_repeat"]) == 3
    assert 0.0 < fit["se"] < 0.001
    assert abs(fit["slope"] - per_job) < 2 * fit["se"] + 1e-4
    assert all(abs(b - per_job) < 0.002 for b in fit["per_repeat"])
    assert abs(fit["intercept"] - sum(levels) / 3) < 0.02
    x = np.array([p[1] for p in points], float)
    y = np.array([p[2] for p in points])
    (naive, _), cov = np.polyfit(x, y, 1, cov=True)
    assert abs(naive - per_job) > 0.02 and math.sqrt(cov[0, 0]) > 20 * fit["se"]


def test_the_slope_of_exact_points_is_exact_and_its_error_needs_spare_points(overhead):
    exact = [(0, n, 0.5 + 0.02 * n) for n in (4, 8)]
    fit = overhead.slope(exact)
    assert math.isclose(fit["slope"], 0.02) and math.isclose(fit["intercept"], 0.5)
    assert math.isnan(fit["se"])  # two points, one repeat: nothing left to estimate it from
    fit = overhead.slope([*exact, (0, 12, 0.5 + 0.02 * 12)])
    assert math.isclose(fit["slope"], 0.02) and fit["se"] < 1e-9
    with pytest.raises(ValueError, match="two different numbers of jobs"):
        overhead.slope([(0, 6, 1.0), (1, 6, 1.2)])


def test_a_measurement_pays_for_the_garbage_it_leaves_and_leaves_nothing_frozen(overhead,
                                                                                monkeypatch):
    """``cpu(fn)`` collects what ``fn`` left before its clock stops (so a sweep pays for its
    jobs' configurations whether or not the collector ran meanwhile), and what was frozen to
    keep that collection to ``fn``'s own objects is unfrozen again."""
    assert gc.get_freeze_count() <= overhead.FROZEN_AT_START  # no caller's freeze here
    inside = []
    events = []  # the clock's reads and fn's garbage collected, in order
    clock = overhead.time.process_time

    def read_clock():
        events.append("clock")
        return clock()

    monkeypatch.setattr(overhead.time, "process_time", read_clock)

    class Cycle:
        def __init__(self):
            self.me = self

    def leave_cycles():
        inside.append(gc.get_freeze_count())
        weakref.finalize(Cycle(), events.append, "collected")
        for _ in range(50_000):
            Cycle()

    was = gc.isenabled()
    gc.disable()  # the collector would otherwise take some of them while fn runs
    try:
        spent = overhead.cpu(leave_cycles)
        # collected before the clock stopped: the measurement paid for it
        assert events == ["clock", "collected", "clock"], events
        # nothing of fn's was left for the next measurement (not gc.collect() == 0: other
        # threads' garbage, frozen while fn ran, may be there to collect)
        assert not any(type(o) is Cycle for o in gc.get_objects())
    finally:
        if was:
            gc.enable()
    # what was there was frozen while fn ran (also with the objects CPython 3.12.1 freezes
    # itself at start-up, which are no caller's freeze), and nothing stays frozen after
    assert inside[0] > overhead.FROZEN_AT_START + 1000
    assert spent > 0 and gc.get_freeze_count() <= overhead.FROZEN_AT_START


def test_a_callers_freeze_outlives_a_measurement(overhead):
    marker = [[] for _ in range(3)]  # a container the collector tracks, frozen with the rest
    gc.freeze()
    try:
        held = gc.get_freeze_count()
        assert held > overhead.FROZEN_AT_START + 1000
        assert not any(o is marker for o in gc.get_objects())  # frozen: in no generation
        overhead.cpu(lambda: [{"x": []} for _ in range(1000)])
        # not released by the measurement: the marker is still frozen and so is nearly all the
        # rest (the count itself may fall a little: another thread can free frozen objects)
        assert not any(o is marker for o in gc.get_objects())
        start = overhead.FROZEN_AT_START
        assert gc.get_freeze_count() > start + (held - start) // 2
    finally:
        gc.unfreeze()
    assert any(o is marker for o in gc.get_objects())  # the check above can fail


def test_the_report_is_strict_json(overhead):
    import json

    fit = overhead.slope([(0, 4, 0.58), (0, 8, 0.66)])  # no spare point: no standard error
    report = overhead.finite({"marginal": fit, "sizes": [4, 8], "nested": [(1.0, float("inf"))]})
    assert report["marginal"]["se"] is None and report["nested"] == [[1.0, None]]
    json.dumps(report, allow_nan=False)


@pytest.mark.parametrize("args, named", [
    (["--sizes", "12"], "--sizes"),
    (["--sizes", "12", "12"], "--sizes"),
    (["--sizes", "0", "6"], "--sizes"),
    (["--jobs", "0"], "--jobs"),
    (["--repeat", "0"], "--repeat"),
])
def test_bad_arguments_are_named_before_anything_runs(tmp_path, args, named):
    """The error line names the argument at fault (and no other) and what it allows."""
    out = tmp_path / "overhead.json"
    done = subprocess.run([sys.executable, str(SCRIPT), *args, "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    (line,) = [x for x in done.stderr.splitlines() if "error:" in x]
    others = {"--sizes", "--jobs", "--repeat"} - {named}
    assert f"{named} must" in line and not any(o in line for o in others), line
    assert "at least 1" in line and not out.exists()
