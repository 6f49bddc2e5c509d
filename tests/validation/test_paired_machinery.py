"""The validation machinery itself: observing a run leaves it unchanged, arms compose as the
CLI would, runs are shared through the cache, and verdicts follow the confidence interval."""

from __future__ import annotations

import numpy as np
import paired
import pytest
from paired import Comparison, RunCache, replicate_config, run_observed

import sim

pytestmark = pytest.mark.slow

SMALL = ["topology.n_residents=600", "run.days=60", "scenario=lockdown",
         "run.allow_late_events=true"]  # the first 60 days of the lockdown


def test_observer_leaves_the_run_unchanged():
    cfg = replicate_config(SMALL, 2)
    observed, ts = run_observed(cfg)
    plain = sim.run(replicate_config(SMALL, 2))
    assert ts.equals(plain.timeseries)
    for key, value in plain.summary.items():
        assert observed[key] == value or (value != value and observed[key] != observed[key]), key
    assert observed["mutual_aid_placements"] >= observed["mutual_aid_placements_from_health"]


def test_replicate_config_is_the_composed_override():
    cfg = replicate_config(SMALL, 3)
    composed = sim.compose([*SMALL, "run.replicate=3", "run.resident_agents=false"])
    assert cfg == composed


def test_cache_runs_each_replicate_once(tmp_path, monkeypatch):
    calls = []

    def counting_run(cfg, *args):
        calls.append(cfg.run.replicate)
        return run_observed(cfg, *args)

    monkeypatch.setattr(paired, "run_observed", counting_run)
    cache = RunCache(tmp_path)
    first = cache.runs(SMALL, 2)
    again = RunCache(tmp_path).runs(SMALL, 2)  # as another worker would see it
    assert calls == [0, 1]
    assert [r.summary for r in first] == [r.summary for r in again]
    assert again[1].timeseries.equals(first[1].timeseries)


def verdict(x, y, direction="higher", paired_=True) -> Comparison:
    return Comparison("test", "metric", direction, "a", "b", np.asarray(x, float),
                      np.asarray(y, float), paired_)


def test_verdict_needs_the_whole_interval_on_the_expected_side():
    base = np.arange(10.0)
    up = verdict(base + 1 + 0.1 * np.arange(10), base)
    assert up.holds and up.n_expected == 10 and up.sign_p < 0.01
    assert not verdict(base + 1, base, "lower").holds
    noisy = verdict(base + np.array([1, -1] * 5), base)
    assert noisy.ci_low < 0 < noisy.ci_high and not noisy.holds
    same = verdict(base, base)
    assert (same.ci_low, same.ci_high) == (0.0, 0.0) and not same.holds and same.within(0.0)
    apart = verdict([5.0, 6, 7, 8], [1.0, 2, 2, 1], paired_=False)
    assert apart.holds and not apart.within(1.0)


def test_verdict_expectations_fail_readably():
    with pytest.raises(AssertionError, match="stylised fact not reproduced"):
        verdict([1.0, 2, 3], [1.0, 2, 3]).expect("on")
    with pytest.raises(AssertionError, match="mechanism switched off"):
        verdict([2.0, 3.1, 4.3], [1.0, 2, 3]).expect("off")
    with pytest.raises(AssertionError, match="undefined"):
        verdict([1.0, float("nan")], [1.0, 2])
