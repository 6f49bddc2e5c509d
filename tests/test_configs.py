"""Every option of every config group under configs/ composes, validates and builds; options of
different groups compose together. Options are discovered on disk, so new files are covered."""

from __future__ import annotations

import dataclasses
import itertools
import math

import pytest
from omegaconf import OmegaConf
from support import CONFIGS, as_overrides, config_groups, config_options, write_world

import sim
from sim import events
from sim.model import CommunityModel

GROUPS = config_groups()


@pytest.fixture(scope="module")
def file_inputs(tmp_path_factory):
    """Values for the mandatory (``???``) keys an option may leave to the user."""
    graph, people = write_world(tmp_path_factory.mktemp("world"), 30,
                                [(i, (i + 1) % 30) for i in range(30)])
    sample = CONFIGS / "places" / "sample"
    return {"topology.graph_file": str(graph), "topology.population_file": str(people),
            "topology.place_file": str(sample / "areas.csv"),
            "topology.practice_file": str(sample / "practices.csv")}


# residents built by the options whose population comes from a table (the others: 600)
TABLE_SIZES = {"file": 30, "places": 9674}


def option_yaml(group: str, option: str) -> dict:
    return OmegaConf.to_container(OmegaConf.load(CONFIGS / group / f"{option}.yaml")) or {}


def leaves(tree: dict, prefix: str = ""):
    for key, value in tree.items():
        if isinstance(value, dict) and key != "events":
            yield from leaves(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def required_overrides(selection: dict[str, str], file_inputs: dict) -> list[str]:
    """Overrides for the keys the chosen options mark as required (``???``)."""
    out = []
    for group, option in selection.items():
        for key, value in leaves(option_yaml(group, option)):
            if value == "???":
                assert key in file_inputs, f"{group}/{option}: no test value for required {key}"
                out.append(f"{key}={file_inputs[key]}")
    return out


def lookup(cfg, key: str):
    obj = dataclasses.asdict(cfg)
    for part in key.split("."):
        obj = obj[part]
    return obj


def test_the_config_groups_are_found():
    assert {"topology", "scenario"} <= set(GROUPS)
    assert {"urban", "rural", "county", "file"} <= set(config_options("topology"))
    assert "baseline" in config_options("scenario")


@pytest.mark.parametrize("group, option",
                         [(g, o) for g in GROUPS for o in config_options(g)])
def test_every_option_composes_and_its_values_reach_the_typed_config(group, option,
                                                                      file_inputs):
    cfg = sim.compose([f"{group}={option}", *required_overrides({group: option}, file_inputs)])
    assert isinstance(cfg, sim.Config)
    values = dict(leaves(option_yaml(group, option)))
    for key, value in values.items():
        if key == "events":
            assert lookup(cfg, "events") == value
        elif value != "???":
            assert lookup(cfg, key) == value, key
    timeline = events.Timeline.from_config(cfg.events)  # every event entry is valid
    n_events = len(values.get("events") or {})
    assert sum(len(day) for day in timeline.by_day.values()) == n_events


@pytest.mark.parametrize("option", config_options("topology"))
def test_every_topology_builds_and_steps(option, file_inputs):
    selection = {"topology": option}
    small = (["topology.place_scale=0.01", "run.burn_in_days=28"]  # 7,000 residents
             if option == "example_county" else [])
    cfg = sim.compose([f"topology={option}", "topology.n_residents=600", "run.days=3",
                       *small, *required_overrides(selection, file_inputs)])
    model = CommunityModel(cfg)
    if option == "example_county":
        assert 6_000 < model.pop.n < 8_000
    else:
        assert model.pop.n == TABLE_SIZES.get(option, 600)
    assert model.gp_practices and (model.pop.gp >= 0).all()
    model.run()
    assert len(model.timeseries()) == 3


@pytest.mark.parametrize("selection", [
    dict(zip(GROUPS, combo, strict=True))
    for combo in itertools.product(*(config_options(g) for g in GROUPS))
], ids=lambda s: "-".join(s.values()))
def test_options_of_different_groups_compose(selection, file_inputs):
    cfg = sim.compose([*as_overrides(selection), *required_overrides(selection, file_inputs)])
    if "topology" in selection:
        assert cfg.topology.kind == option_yaml("topology", selection["topology"])[
            "topology"]["kind"]
    events.Timeline.from_config(cfg.events)


@pytest.mark.parametrize("option", config_options("scenario"))
def test_scenarios_compose_with_each_other(option):
    cfg = sim.compose([f"scenario=[{option},lockdown]"])
    expected = set(option_yaml("scenario", option).get("events") or {}) | set(
        option_yaml("scenario", "lockdown")["events"])
    assert set(cfg.events) == expected
    events.Timeline.from_config(cfg.events)


@pytest.mark.parametrize("topology", config_options("topology"))
def test_the_fast_typed_reader_equals_the_schema_merge(topology, file_inputs):
    """``sim.config.to_config`` reads composed values with the Python API's strict reader and
    falls back to OmegaConf's schema merge: for every topology and scenario file the two give
    the same configuration, value types included (an int where a float is due would change
    the manifest's bytes). Every scenario file on the urban estate; each other topology with
    the baseline and two scenarios composed."""
    import json

    from hydra import compose, initialize_config_dir

    from sim.config import register_schema, scenario_choice, to_config
    from sim.params import Config, validate

    register_schema()

    def schema_merge(cfg, choice):
        plain = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
        plain.pop("hydra", None)
        from sim.scenarios import composed_scenario_name

        if (name := composed_scenario_name(choice)) is not None:
            plain.setdefault("scenario", {})["name"] = name
        merged = OmegaConf.merge(OmegaConf.structured(Config), plain)
        return validate(OmegaConf.to_object(merged))

    def dump(c):
        return json.dumps(dataclasses.asdict(c), sort_keys=True, default=repr)

    with initialize_config_dir(str(CONFIGS), version_base="1.3"):
        scenarios = (config_options("scenario") if topology == "urban" else ["baseline"])
        for scenario in [*scenarios, "[lockdown,preparedness]"]:
            ov = [f"topology={topology}", f"scenario={scenario}", "run.allow_late_events=true",
                  "gp.consults_per_year=5", *required_overrides({"topology": topology},
                                                                   file_inputs)]
            cfg = compose("config", overrides=ov)
            fast, reference = to_config(cfg, scenario_choice(ov)), schema_merge(
                cfg, scenario_choice(ov))
            assert fast == reference and dump(fast) == dump(reference), ov


def test_type_and_range_checks_of_plain_values_decide_as_the_number_abcs_do():
    """``_check_type``, ``_check_value`` and ``check_number`` decide plain bool, int, float and
    str values without the number ABCs (a faster path): for every declared type, and for
    values of those types and others (numpy scalars, fractions, decimals, an int subclass),
    the outcome (accepted, or the same message) is that of the ABC-only rules they replace."""
    import enum
    import numbers
    from decimal import Decimal
    from fractions import Fraction

    import numpy as np

    from sim import params as P

    class Small(enum.IntEnum):
        ONE = 1

    def reference(key, value, meta, name):
        is_bool = isinstance(value, bool)
        ok = {"bool": is_bool, "int": isinstance(value, numbers.Integral) and not is_bool,
              "float": isinstance(value, numbers.Real) and not is_bool,
              "str": isinstance(value, str)}.get(name, True)
        if not ok:
            raise P.type_error(key, value, name)
        if is_bool or not isinstance(value, numbers.Real):
            return
        lo, hi, unit = meta.get("lo"), meta.get("hi"), meta.get("unit") or ""
        if isinstance(value, float) and not math.isfinite(value):
            raise P.ConfigError(key, f"must be a finite number (got {P._show(value)})")
        if hi is None:
            hi = P.DEFAULT_HI.get(unit, P.DEFAULT_HI_OTHER)
            hi = int(hi) if isinstance(value, numbers.Integral) else hi
            if lo is not None and value < lo:
                raise P.ConfigError(key, f"must be >= {lo} (got {P._show(value)})")
        elif lo is not None and not lo <= value <= hi:
            raise P.ConfigError(key, f"must be between {lo} and {hi} (got {P._show(value)})")
        if value > hi:
            raise P.ConfigError(key, f"must be <= {hi} (got {P._show(value)})")
        if lo is None and value < -hi:
            raise P.ConfigError(key, f"must be >= {-hi} (got {P._show(value)})")

    def outcome(check, *args):
        try:
            check(*args)
        except P.ConfigError as exc:
            return str(exc)
        return "ok"

    values = [True, False, 0, 1, -3, 7, 2.5, -0.5, 1e300, float("nan"), float("inf"), "x",
              "", np.int64(3), np.float64(2.0), np.float32(0.25), np.bool_(True), Fraction(1, 2),
              Decimal("1.5"), Small.ONE, None, [1]]
    metas = [{}, {"lo": 0}, {"lo": 0, "hi": 1}, {"lo": 1, "hi": 5}, {"unit": "days"},
             {"unit": "hours"}]
    seen = set()
    for name in ("bool", "int", "float", "str", "list[str]"):
        for meta in metas:
            for value in values:
                got = outcome(P._check_value, "k", value, meta, name)
                assert got == outcome(reference, "k", value, meta, name), (name, meta, value)
                seen.add(got == "ok")
    assert seen == {True, False}
