"""Fuzzing the configuration path with Hypothesis: any override value for any parameter, and any
event entry, either gives a validated Config or a ConfigError naming the key; never another
exception. A few of the nastiest values also go through the real command line (exit 2)."""

from __future__ import annotations

import functools
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from omegaconf import OmegaConf
from support import leftovers, run_cli

from sim.config import compose, to_config
from sim.events import Timeline
from sim.params import Config, ConfigError, iter_params
from sim.scenarios import configure

KEYS = [k for k, _, _ in iter_params(Config()) if k != "events"]
FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

# override values as typed on a command line: numbers of every size, nan/inf, booleans, null,
# empty, text with the grammar's special characters, lists and mappings
NUMBERS = st.one_of(st.integers(-(10**30), 10**30).map(str),
                    st.floats(allow_nan=True, allow_infinity=True).map(repr),
                    st.sampled_from(["nan", "inf", "-inf", "1e308", "1e400", "-0", "0x10",
                                     "1_000", str(2**63), str(2**64), "1.5e-400"]))
WORDS = st.one_of(st.sampled_from(["", "''", '""', "null", "true", "false", "True", "yes",
                                   "[]", "{}", "[1,2]", "{a:1}", "${run.seed}", "${oc.env:HOME}",
                                   "${nope}", "'a b'", "a=b", "urban", "rural", "file"]),
                  st.text(max_size=12))
VALUES = st.one_of(NUMBERS, WORDS)
PY_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70),
                      st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8),
                      st.lists(st.integers(), max_size=3),
                      st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


def names_the_key(err: ConfigError, key: str) -> bool:
    """The error names the fuzzed key, or (a cross-field rule) a key of the same section."""
    section = key.rsplit(".", 1)[0]
    return err.key == key or key in str(err) or err.key.rsplit(".", 1)[0] == section


@functools.cache
def composed():
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    from sim.config import config_dir, register_schema

    register_schema()
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        return hydra_compose(config_name="config")


@FUZZ
@given(key=st.sampled_from(KEYS), value=VALUES)
def test_any_override_value_composes_or_names_the_key(key, value):
    try:
        cfg = compose([f"{key}={value}"])
    except ConfigError as err:
        assert names_the_key(err, key), str(err)
    else:
        assert isinstance(cfg, Config)


@settings(max_examples=200, deadline=None)
@given(key=st.sampled_from(KEYS), value=PY_VALUES)
def test_any_python_value_validates_or_names_the_key(key, value):
    cfg = OmegaConf.create(OmegaConf.to_container(composed()))
    OmegaConf.update(cfg, key, value, force_add=True)
    try:
        out = to_config(cfg)
    except ConfigError as err:
        assert names_the_key(err, key), str(err)
    else:
        for k, v, _ in iter_params(out):
            assert not (isinstance(v, float) and not math.isfinite(v)), k


@settings(max_examples=300, deadline=None)
@given(key=st.sampled_from(KEYS), value=PY_VALUES)
def test_any_python_value_configures_or_names_the_key(key, value):
    """sim.configure (no Hydra): the value is stored with its declared type, or refused."""
    from sim.params import field_type

    try:
        cfg = configure(**{key: value})
    except ConfigError as err:
        assert names_the_key(err, key), str(err)
    else:
        node = cfg
        for part in key.split("."):
            node = getattr(node, part)
        assert type(node).__name__ == field_type(key), (key, value, node)


EVENT_VALUES = st.one_of(PY_VALUES, st.sampled_from(["emergency", "funding_cut",
                                                     "set_parameter", "surge_campaign"]))
EVENTS = st.one_of(
    st.fixed_dictionaries(
        {"day": st.one_of(st.integers(-5, 10**6), PY_VALUES),
         "kind": st.sampled_from(["emergency", "funding_cut", "set_parameter", "surge_campaign",
                                  "stand_up_intermediary", "bogus", ""])},
        optional={"params": st.one_of(
            st.dictionaries(st.sampled_from(["share", "need_multiplier", "key", "value",
                                             "target", "days", "multiplier", "kind", "unit",
                                             "shielding", "colour"]),
                            EVENT_VALUES, max_size=4),
            PY_VALUES),
            "extra": PY_VALUES}),
    PY_VALUES)


@settings(max_examples=300, deadline=None)
@given(entry=EVENTS)
def test_any_event_entry_is_checked_or_names_the_event(entry):
    try:
        Timeline.from_config({"x": entry})
    except ConfigError as err:
        assert err.key.startswith("events.x"), str(err)


# the real command line: exit 2, the key named, one line, no traceback, no result files
@pytest.mark.parametrize("override,key", [
    ("run.seed=nan", "run.seed"),
    ("need.p_onset_per_day=inf", "need.p_onset_per_day"),
    ("need.p_onset_per_day=''", "need.p_onset_per_day"),
    ("topology.n_residents=1e400", "topology.n_residents"),
    ("run.days=${oc.env:HOME}", "run.days"),
    ("link_worker.caseload_cap=[1,2]", "link_worker.caseload_cap"),
])
def test_cli_refuses_fuzzed_values(override, key, tmp_path):
    out = tmp_path / "run"
    proc = run_cli(override, f"hydra.run.dir={out}", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"error: {key}:"), proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert leftovers(out) == [] and not (tmp_path / "outputs").exists()


REPLAY_KEYS = st.sampled_from(["scenario", "topology", "overrides", "events", "name",
                               "description", "hydra", "hydra.run.dir", "_target_", "defaults",
                               "run.seed", "need.p_onset_per_day", "day", "kind", "params",
                               "x", ""])
REPLAY_DOCS = st.recursive(st.one_of(PY_VALUES, REPLAY_KEYS),
                           lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                   st.dictionaries(REPLAY_KEYS, inner,
                                                                   max_size=4)),
                           max_leaves=12)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=st.dictionaries(REPLAY_KEYS, REPLAY_DOCS, max_size=4))
def test_any_replay_document_loads_or_names_the_key(doc, tmp_path_factory):
    import yaml

    from sim import replay

    path = tmp_path_factory.mktemp("replay") / "r.yaml"
    path.write_text(yaml.safe_dump(doc))
    try:
        data = replay.load(path, ["rural", "urban"])
        if data.events is not None:
            Timeline.from_config(data.events)
    except ConfigError as err:
        assert err.key, str(err)
    else:
        assert set(doc) <= set(replay.TOP_KEYS)
