"""The validation machinery itself: runs are the outputs a user gets, arms compose as the
CLI would, runs are shared through the cache, and verdicts follow the confidence interval."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import numpy as np
import paired
import pytest
from paired import Comparison, RunCache, replicate_config, run_outputs

import sim
from sim.io import load_run, write_run

pytestmark = pytest.mark.slow

SMALL = ["topology.n_residents=600", "run.days=60", "scenario=lockdown",
         "run.allow_late_events=true"]  # the first 60 days of the lockdown


NEW_OUTPUTS = ("referrals_declined_full", "mutual_aid_groups_formed", "mutual_aid_placements",
               "mutual_aid_placements_from_health", "mutual_aid_client_days",
               "client_days_without_inclusion", "member_client_days_without_inclusion",
               "shielded_days_to_first_support")


def test_runs_hold_only_the_outputs_a_user_gets(tmp_path):
    """A cached run is its ``summary.json`` and ``timeseries.parquet`` as ``sim.run`` writes
    them, and nothing else: a metric function of a :class:`paired.Run` can read only those.
    The figures once observed through hooks are summary keys, documented in docs/ODD.md."""
    assert [f.name for f in dataclasses.fields(paired.Run)] == ["summary", "timeseries_path"]
    run = RunCache(tmp_path / "cache").runs(SMALL, 1)[0]
    cfg = replicate_config(SMALL, 0)
    write_run(sim.run(copy.deepcopy(cfg)), tmp_path / "out", plots=False, config=cfg)
    ts, summary, _ = load_run(tmp_path / "out")
    assert run.timeseries.equals(ts)
    assert set(run.summary) == set(summary)
    for key, value in run.summary.items():
        assert summary[key] == value or (value != value and summary[key] != summary[key]), key
    odd = (Path(__file__).parents[2] / "docs" / "ODD.md").read_text(encoding="utf-8")
    for key in NEW_OUTPUTS:
        assert f"`{key}`" in odd, key
    s = run.summary
    assert s["mutual_aid_placements"] >= s["mutual_aid_placements_from_health"]
    assert s["client_days_without_inclusion"] >= s["member_client_days_without_inclusion"]
    assert s["shielded_days_to_first_support"] >= 0 and s["mutual_aid_groups_formed"] >= 0


def test_replicate_config_is_the_composed_override():
    cfg = replicate_config(SMALL, 3)
    composed = sim.compose([*SMALL, "run.replicate=3", "run.resident_agents=false"])
    assert cfg == composed


def test_cache_runs_each_replicate_once(tmp_path, monkeypatch):
    calls = []

    def counting_run(cfg, *args):
        calls.append(cfg.run.replicate)
        return run_outputs(cfg, *args)

    monkeypatch.setattr(paired, "run_outputs", counting_run)
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


class _FakeCache:
    """Runs whose metric ``m`` is given per arm and replicate; records what was asked."""

    def __init__(self, values: dict[str, list[float]]):
        self.values, self.asked = values, []

    def runs(self, overrides, replicates, first=0):
        self.asked.append((overrides[0], replicates) if first == 0
                          else (overrides[0], replicates, first))
        return [paired.Run({"m": v}, Path("unused"))
                for v in self.values[overrides[0]][first:first + replicates]]


def test_off_probe_stops_at_an_exact_no_difference_and_runs_everything_otherwise():
    same = [float(k) for k in range(10)]
    cache = _FakeCache({"a": same, "b": list(same)})
    c = paired.compare(cache, "F", ["a"], ["b"], "m", "higher", probe=3)
    assert cache.asked == [("a", 3), ("b", 3)]
    assert c.record["n"] == 3 and c.record["exact"] and not c.holds
    # the third pair differs: a difference inside the probe sends the check to all 10 pairs
    shifted = [*same[:2], 5.0, *same[3:]]
    cache = _FakeCache({"a": shifted, "b": list(same)})
    c = paired.compare(cache, "F", ["a"], ["b"], "m", "higher", probe=3)
    assert cache.asked == [("a", 3), ("b", 3), ("a", 10), ("b", 10)]
    assert c.record["n"] == 10 and "exact" not in c.record
    # without a probe (mechanism on), always every replicate
    cache = _FakeCache({"a": same, "b": list(same)})
    assert paired.compare(cache, "F", ["a"], ["b"], "m", "higher").record["n"] == 10
    assert cache.asked == [("a", 10), ("b", 10)]
    # a power design's own replicates (e.g. 2-5), probe included
    cache = _FakeCache({"a": same, "b": list(same)})
    c = paired.compare(cache, "F", ["a"], ["b"], "m", "higher", replicates=4,
                       first_replicate=2, probe=3)
    assert cache.asked == [("a", 3, 2), ("b", 3, 2)] and c.record["first_replicate"] == 2
    c = paired.compare(cache, "F", ["a"], ["b"], "m", "higher", replicates=4,
                       first_replicate=2)
    assert cache.asked[-2:] == [("a", 4, 2), ("b", 4, 2)]
    assert c.scenario_values.tolist() == [2.0, 3.0, 4.0, 5.0]


def _screen_and_confirmation(screen: list[float], again: list[float]) -> list[float]:
    """An arm's metric on replicates 0-9 (``screen``) and on the confirmation replicates."""
    gap = paired.CONFIRMATION_FIRST_REPLICATE - len(screen)
    return [*screen, *[float("nan")] * gap, *again]


def test_an_off_check_that_finds_the_effect_is_repeated_on_fresh_replicates():
    """With its mechanism off a check that finds the effect on replicates 0-9 is run again on
    replicates 100-109, and fails only if it finds it again; a check that does not find it,
    and every mechanism-on check, runs no confirmation."""
    base = [float(k) for k in range(10)]
    up = [b + 1 + 0.1 * k for k, b in enumerate(base)]  # found: every pair higher
    noise = [b + (0.5 if k % 2 else -0.5) for k, b in enumerate(base)]  # not found
    confirm = (paired.CONFIRMATION_FIRST_REPLICATE, )
    # found on 0-9, not on 100-109: passes, and the record shows both
    cache = _FakeCache({"a": _screen_and_confirmation(up, noise), "b":
                        _screen_and_confirmation(base, base)})
    c = paired.compare(cache, "F", ["a"], ["b"], "m", "higher", probe=3)
    assert c.holds
    c.expect("off")
    assert cache.asked[-2:] == [("a", 10, *confirm), ("b", 10, *confirm)]
    again = c.record["confirmation"]
    assert again["first_replicate"] == 100 and again["n"] == 10 and not again["holds"]
    assert again["ci_low"] < 0 < again["ci_high"]
    # found on both: fails, naming the confirmation
    cache = _FakeCache({"a": _screen_and_confirmation(up, up), "b":
                        _screen_and_confirmation(base, base)})
    c = paired.compare(cache, "F", ["a"], ["b"], "m", "higher", probe=3)
    with pytest.raises(AssertionError, match="again on the confirmation replicates"):
        c.expect("off")
    assert c.record["confirmation"]["holds"]
    # not found on 0-9: no confirmation run
    cache = _FakeCache({"a": _screen_and_confirmation(noise, up), "b":
                        _screen_and_confirmation(base, base)})
    paired.compare(cache, "F", ["a"], ["b"], "m", "higher", probe=3).expect("off")
    assert all(len(a) == 2 for a in cache.asked)
    # a mechanism-on check has no second chance
    cache = _FakeCache({"a": _screen_and_confirmation(noise, up), "b":
                        _screen_and_confirmation(base, base)})
    c = paired.compare(cache, "F", ["a"], ["b"], "m", "higher")
    assert c.confirm is None
    with pytest.raises(AssertionError, match="not reproduced"):
        c.expect("on")
    assert all(len(a) == 2 for a in cache.asked)
