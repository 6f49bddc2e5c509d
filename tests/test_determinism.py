"""One seed decides every output byte; named streams keep scenario comparisons paired."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest
from support import small_config

import sim
from sim import events, io
from sim.model import CommunityModel

DAYS = 120


def same(a, b) -> None:
    """Two run results are identical: every table cell and every summary figure."""
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries, check_exact=True)
    assert io.dumps(a.summary) == io.dumps(b.summary)


def differs(a, b) -> bool:
    return not a.timeseries.equals(b.timeseries)


@pytest.mark.parametrize("topology", ["urban", "rural", "county"])
def test_same_seed_gives_identical_tables(topology):
    cfg = small_config(topology, days=DAYS, seed=42)
    first = sim.run(cfg)
    np.random.seed(1)  # noqa: NPY002 - the model must not touch global generators
    random.seed(1)
    second = sim.run(cfg)
    same(first, second)
    assert first.timeseries["new_need_onsets"].sum() > 0  # a run where things happen


def test_same_seed_gives_identical_files(tmp_path):
    cfg = small_config("rural", days=DAYS, seed=3)
    written = []
    for name in ("a", "b"):
        io.write_run(sim.run(cfg), tmp_path / name, plots=False)
        written.append({f: (tmp_path / name / f).read_bytes()
                        for f in ("timeseries.parquet", "summary.json")})
    assert written[0] == written[1]
    back = pd.read_parquet(tmp_path / "a" / "timeseries.parquet")
    assert len(back) == DAYS


def test_a_model_is_not_affected_by_other_models_in_the_same_process():
    cfg = small_config("urban", days=30, seed=8)
    alone = sim.run(cfg)
    other = CommunityModel(small_config("urban", days=30, seed=9))
    mine = CommunityModel(cfg)
    for _ in range(30):  # interleaved stepping
        other.step()
        mine.step()
    pd.testing.assert_frame_equal(alone.timeseries, mine.timeseries(), check_exact=True)


@pytest.mark.parametrize("change", [{"seed": 43}, {"run__replicate": 1}])
def test_different_seed_or_replicate_gives_different_tables(change):
    base = small_config("urban", days=DAYS, seed=42)
    other = small_config("urban", days=DAYS, **({"seed": 42} | change))
    a, b = CommunityModel(base), CommunityModel(other)
    assert not np.array_equal(a.edges, b.edges)  # a different graph
    assert not np.array_equal(a.pop.age, b.pop.age)  # and population
    assert differs(sim.run(base), sim.run(other))


def test_scenarios_with_one_seed_share_topology_population_and_need_draws():
    # the world as built (before any burn-in: a parameter is part of the world the burn-in
    # runs, so different parameters burn in to different states; scenarios that differ only in
    # events share the burnt-in state, tests/test_time_and_equilibrium.py)
    base = CommunityModel(small_config("urban", days=5, seed=42, run__burn_in_days=0))
    varied = CommunityModel(small_config("urban", days=5, seed=42, link_worker__caseload_cap=1,
                                         volunteers__passporting=True, run__burn_in_days=0))
    assert np.array_equal(base.edges, varied.edges)
    for name in ("age", "female", "limitation", "digital", "gp", "vstate", "need"):
        assert np.array_equal(getattr(base.pop, name), getattr(varied.pop, name)), name
    base.step()
    varied.step()
    assert base.rows[0]["new_need_onsets"] == varied.rows[0]["new_need_onsets"]


SAMPLE_PARAMS = {"set_parameter": {"key": "need.p_onset_per_day", "value": 0.01}}


def sample_params(kind: str) -> dict:
    """Valid parameters for an event kind: its defaults, or a value inside each range."""
    spec = events.REGISTRY[kind].args
    out = dict(SAMPLE_PARAMS.get(kind, {}))
    for name, arg in spec.items():
        if name in out or arg.default is not None:
            continue
        if arg.choices:
            out[name] = arg.choices[-1]
        elif arg.type is float:
            lo, hi = arg.lo or 0.0, arg.hi if arg.hi is not None else (arg.lo or 0.0) + 1.0
            out[name] = (lo + hi) / 2
        elif arg.type is int:
            out[name] = int(arg.lo or 0) + 1
        elif arg.type is bool:
            out[name] = True
        else:
            pytest.fail(f"add sample parameters for event kind {kind!r} to SAMPLE_PARAMS")
    return events.check_event(events.Event(0, kind, out)).params


@pytest.fixture(scope="module")
def county_60_days():
    """The run every late event is compared with (the same for every kind: made once)."""
    return sim.run(small_config("county", days=60, seed=5))


@pytest.mark.parametrize("kind", sorted(events.REGISTRY))
def test_an_event_after_the_last_day_leaves_the_run_identical(kind, county_60_days):
    baseline = county_60_days
    late = small_config("county", days=60, seed=5, run__allow_late_events=True,
                        events=[{"day": 61, "kind": kind, "params": sample_params(kind)}])
    result = sim.run(late)
    assert result.event_log == []
    same(baseline, result)


def test_an_event_changes_the_run_from_its_day_on():
    cfg = small_config("urban", days=60, seed=5)
    baseline = sim.run(cfg).timeseries
    cfg.events = [{"day": 30, "kind": "emergency", "params": {"need_multiplier": 20.0}}]
    shocked = sim.run(cfg).timeseries
    before, after = shocked["day"] < 30, shocked["day"] >= 30
    pd.testing.assert_frame_equal(baseline[before], shocked[before], check_exact=True)
    assert shocked.loc[after, "new_need_onsets"].sum() > baseline.loc[after,
                                                                      "new_need_onsets"].sum()
