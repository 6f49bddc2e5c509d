"""Fuzz tests (Hypothesis): any value on any path is either accepted or refused with a
ConfigError naming a key; never another exception (issue 12). Examples are derandomized so
CI runs are repeatable; the whole file takes about ten seconds."""

from __future__ import annotations

import copy
import math
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import BARE_ORGANISATIONS, QUIET, set_keys

from sim.events import REGISTRY, Timeline
from sim.model import CommunityModel
from sim.params import Config, ConfigError, TopologyParams, iter_params, validate
from sim.topology.loaders import GRAPH_KEY, TABLE_KEY, load_topology

FAST = settings(deadline=None, max_examples=12, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])
BASE = Config()
KEYS = [k for k, _, _ in iter_params(BASE) if k != "events"]
ALL_KEYS = {k for k, _, _ in iter_params(BASE)}
DEFAULTS = {k: v for k, v, _ in iter_params(BASE)}



def _named_key_is_real(key: str) -> bool:
    """A cross-field rule or a size limit may name another key, but always a real one."""
    return key in ALL_KEYS or key.startswith("events")


any_value = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(min_value=-3, max_value=100),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e308, 2**63, 2**64, 0, -1, 0.5]),
    st.text(max_size=12),
    st.just(""),
    st.none(),
)


def _set(cfg: Config, key: str, value) -> Config:
    return set_keys(cfg, {key: value})


def _wrong_kind(default, value) -> bool:
    """A value of the wrong type for the field (bool/int/float/str)."""
    if isinstance(default, bool):
        return not isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, bool) or not isinstance(value, int)
    if isinstance(default, float):
        return isinstance(value, bool) or not isinstance(value, int | float)
    if isinstance(default, str):
        return not isinstance(value, str)
    return False


@pytest.mark.parametrize("key", KEYS)
@FAST
@given(value=any_value)
def test_any_value_for_any_parameter_is_accepted_or_refused_by_name(key, value):
    cfg = _set(copy.deepcopy(BASE), key, value)
    try:
        validate(cfg)
    except ConfigError as err:
        assert _named_key_is_real(err.key), err
        assert str(err).startswith(f"{err.key}: ")
        if _wrong_kind(DEFAULTS[key], value) or (
                isinstance(value, float) and not math.isfinite(value)):
            assert err.key == key, err  # a bad value is blamed on its own key
        return
    if isinstance(value, float):
        assert math.isfinite(value)
    assert not _wrong_kind(DEFAULTS[key], value)


# ------------------------------------------------------------------ events

arg_names = sorted({n for k in REGISTRY.values() for n in k.args} | {"colour", ""})
event_value = st.one_of(any_value, st.sampled_from(sorted(REGISTRY)),
                        st.sampled_from(["need.p_hidden", "need.mult_female", "run.days",
                                         "nope", "groups", "all", "locality_officer"]))
event_entry = st.one_of(
    st.fixed_dictionaries(
        {"day": st.one_of(st.integers(-5, 400), any_value),
         "kind": st.one_of(st.sampled_from(sorted(REGISTRY)), st.text(max_size=8)),
         "params": st.one_of(st.dictionaries(st.sampled_from(arg_names), event_value,
                                             max_size=4), st.none(), any_value)},
        optional={"extra": any_value}),
    any_value,
    st.dictionaries(st.sampled_from(["day", "kind", "params"]), any_value, max_size=3),
)


@settings(deadline=None, max_examples=300, derandomize=True)
@given(entries=st.one_of(st.dictionaries(st.text(min_size=1, max_size=6), event_entry,
                                         max_size=3),
                         st.lists(event_entry, max_size=3)))
def test_any_event_is_accepted_or_refused_by_name(entries):
    try:
        timeline = Timeline.from_config(entries)
    except ConfigError as err:
        assert err.key.startswith("events"), err
        return
    for evs in timeline.by_day.values():
        for ev in evs:
            for value in ev.params.values():
                assert not (isinstance(value, float) and not math.isfinite(value))


@settings(deadline=None, max_examples=60, derandomize=True)
@given(day=st.integers(0, 40),
       mult=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 10**7)))
def test_emergency_events_validate_through_the_whole_configuration(day, mult):
    cfg = copy.deepcopy(BASE)
    cfg.run.days = 30
    cfg.events = {"e": {"day": day, "kind": "emergency", "params": {"need_multiplier": mult}}}
    try:
        validate(cfg)
        Timeline.from_config(cfg.events)
    except ConfigError as err:
        assert err.key in ("events.e.day", "events.e.params.need_multiplier"), err
        return
    assert day <= 30 and math.isfinite(mult) and 0 <= mult <= 1e6


# ------------------------------------------------------------------ population tables

cell = st.one_of(st.integers(-2, 130), st.floats(min_value=-2, max_value=130), st.just(math.nan),
                 st.sampled_from(["", "yes", "no", "TRUE", "false", "1", "0", "maybe", "F",
                                  "M", "X", "2.5", "P1", "P2", "h1", " "]))
COLUMNS = ["unit", "household", "age", "female", "sex", "deprivation", "limitation", "digital",
           "gp_practice", "rural"]


VALID = {"unit": st.sampled_from(["a", "b"]), "household": st.sampled_from(["h1", "h2", 3]),
         "age": st.integers(0, 120), "female": st.sampled_from(["yes", "No", True, 0, "FALSE"]),
         "sex": st.sampled_from(["F", "m", "X"]), "deprivation": st.integers(1, 5),
         "limitation": st.integers(0, 2), "digital": st.sampled_from(["true", "0", False]),
         "gp_practice": st.sampled_from(["P1", "P2"]), "rural": st.sampled_from(["no", "1"])}


@st.composite
def worlds(draw):
    """Small tables: mostly valid columns, some with fuzzed cells; graphs that mostly fit."""
    n = draw(st.integers(2, 7))
    columns = draw(st.lists(st.sampled_from(COLUMNS), unique=True, max_size=5))
    table = {"node": [f"r{i}" for i in range(n)]}
    for col in columns:
        fuzz = draw(st.sampled_from([False, False, True]))
        table[col] = draw(st.lists(cell if fuzz else VALID[col], min_size=n, max_size=n))
    k = draw(st.sampled_from([n, n, n, 0, 1, n - 1, n + 1]))  # nodes of the graph
    edges = [(f"r{i}", f"r{(i + 1) % k}") for i in range(k - 1)] if k > 1 else []
    return table, edges


def _build(folder: Path, table: dict, edges: list) -> Config:
    graph = folder / "ties.txt"
    graph.write_text("".join(f"{a} {b}\n" for a, b in edges))
    people = folder / "people.csv"
    pd.DataFrame(table).to_csv(people, index=False)
    cfg = Config()
    set_keys(cfg, {"topology.kind": "file", "topology.graph_file": str(graph),
                   "topology.population_file": str(people), "run.days": 3,
                   **BARE_ORGANISATIONS, **QUIET})
    return cfg


@settings(deadline=None, max_examples=100, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(world=worlds())
def test_any_population_table_is_loaded_strictly_or_refused_by_name(world):
    table, edges = world
    with tempfile.TemporaryDirectory() as tmp:
        cfg = _build(Path(tmp), table, edges)
        try:
            topo = load_topology(TopologyParams(**{
                "kind": "file", "graph_file": cfg.topology.graph_file,
                "population_file": cfg.topology.population_file}))
        except ConfigError as err:
            assert err.key in (GRAPH_KEY, TABLE_KEY), err
            return
        df = topo.table
        for col in ("female", "digital", "rural"):
            if col in df:
                assert df[col].dtype == bool
        for col in ("deprivation", "limitation"):
            if col in df:
                assert df[col].dtype.kind == "i"
        model = CommunityModel(cfg)  # what loaded also builds and runs
        for _ in range(2):
            model.step()
        assert model.pop.n == len(table["node"])


# ------------------------------------------------------------------ whole runs


@settings(deadline=None, max_examples=25, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_valid_settings_run_or_are_refused_by_name(data):
    cfg = copy.deepcopy(BASE)
    set_keys(cfg, {"topology.kind": "rural", "topology.n_residents": 200, "run.days": 15,
                   "run.resident_agents": False})
    metas = [(k, v, m) for k, v, m in iter_params(BASE)
             if not k.startswith(("run.", "topology.", "scenario.")) and k != "events"]
    for key, default, meta in data.draw(st.lists(st.sampled_from(metas), max_size=6)):
        if isinstance(default, bool):
            value = data.draw(st.booleans())
        elif isinstance(default, int):
            value = data.draw(st.integers(int(meta.get("lo") or 0), 60))
        elif isinstance(default, float):
            lo = meta.get("lo") or 0.0
            hi = min(meta.get("hi") if meta.get("hi") is not None else 10.0, lo + 10.0)
            value = data.draw(st.floats(lo, hi))
        else:
            continue
        set_keys(cfg, {key: value})
    try:
        model = CommunityModel(cfg)
    except ConfigError as err:
        assert _named_key_is_real(err.key), err
        return
    for _ in range(cfg.run.days):
        model.step()
    ts = model.timeseries()
    assert len(ts) == cfg.run.days
