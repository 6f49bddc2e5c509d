"""Replay files: a shared scenario or an exported exercise as **data**, never as Hydra config.

``python -m sim replay FILE.yaml [overrides...]`` reads FILE with a safe YAML loader and accepts
only these keys (anything else is refused with a ConfigError naming it)::

    scenario:                 # optional
      name: drill_b           # the run's scenario name (default: the file name)
      description: text
    topology: rural           # optional: a topology config (configs/topology/NAME.yaml)
    overrides:                # optional: model parameters by dotted key (sim/params.py)
      run.seed: 7
      run.days: 45
      need.p_onset_per_day: 0.0012
    events:                   # optional: name -> {day, kind, params} (or a list of them)
      inject_1: {day: 9, kind: emergency, params: {need_multiplier: 2.5}}

The run starts from the default configuration (the baseline scenario) with that topology, then
the file's overrides and events, then the command line's overrides. Nothing in a replay file
reaches Hydra: no ``hydra`` keys, no ``_target_``, no ``defaults``, no ``${...}``
interpolations, no YAML tags beyond plain data. Values are then validated like any
configuration (:func:`sim.params.validate`, :func:`sim.events.check_event`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sim.params import Config, ConfigError, close_matches, parameter_keys
from sim.scenarios import MAX_BYTES, check_plain, read_yaml  # noqa: F401  (MAX_BYTES: the limit)

TOP_KEYS = ("scenario", "topology", "overrides", "events")
SCENARIO_KEYS = ("name", "description")


@dataclass
class Replay:
    """A validated replay file: what to compose on top of the default configuration."""

    name: str
    description: str = ""
    topology: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    events: dict | None = None

    def node(self) -> dict:
        """The nested configuration this replay sets (plain data for OmegaConf)."""
        out: dict = {"scenario": {"name": self.name}}
        if self.description:
            out["scenario"]["description"] = self.description
        for key, value in self.overrides.items():
            *path, last = key.split(".")
            node = out
            for part in path:
                node = node.setdefault(part, {})
            node[last] = value
        if self.events is not None:
            out["events"] = self.events
        return out


def load(path: Path | str, topologies: list[str] | None = None) -> Replay:
    """Read and check a replay file; ConfigError naming the offending key otherwise.

    ``topologies``: the allowed topology names (default: any word; the CLI passes the options
    found in ``configs/topology``).
    """
    path = Path(path)
    doc = read_yaml(path, "replay")
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ConfigError("replay", f"must be a mapping with keys {', '.join(TOP_KEYS)} (got "
                                    f"{type(doc).__name__})")
    check_plain(doc, "", "a replay file", "replay")
    for key in doc:
        if key not in TOP_KEYS:
            raise ConfigError(key, f"not a replay key; allowed: {', '.join(TOP_KEYS)}"
                                   f"{close_matches(key, list(TOP_KEYS))}")
    return Replay(name=_name(doc.get("scenario"), path), description=_description(doc),
                  topology=_topology(doc.get("topology"), topologies),
                  overrides=_overrides(doc.get("overrides")),
                  events=_events(doc.get("events")))


def _section(doc: dict, key: str) -> dict:
    value = doc.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(key, f"must be a mapping (got {type(value).__name__})")
    return value


def _name(scenario: Any, path: Path) -> str:
    scenario = _section({"scenario": scenario}, "scenario")
    for key in scenario:
        if key not in SCENARIO_KEYS:
            raise ConfigError(f"scenario.{key}", f"not a replay key; a scenario has "
                                                 f"{' and '.join(SCENARIO_KEYS)}")
    name = scenario.get("name", re.sub(r"[^\w.+-]", "_", path.stem)[:100] or "replay")
    if not isinstance(name, str) or not re.fullmatch(r"[\w.+-]{1,100}", name):
        raise ConfigError("scenario.name", "must be 1 to 100 letters, digits or _ . + - "
                                           f"(got {name!r})")
    return name


def _description(doc: dict) -> str:
    value = _section(doc, "scenario").get("description", "")
    if not isinstance(value, str):
        raise ConfigError("scenario.description", f"must be text (got {value!r})")
    return value


def _topology(value: Any, topologies: list[str] | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"\w+", value) or (
            topologies is not None and value not in topologies):
        allowed = f"one of {', '.join(topologies)}" if topologies else "a topology name"
        raise ConfigError("topology", f"must be {allowed} (got {value!r})")
    return value


def _overrides(value: Any) -> dict:
    section = _section({"overrides": value}, "overrides")
    keys = parameter_keys()
    out = {}
    for key, v in section.items():
        where = f"overrides.{key}"
        if key == "events" or key.startswith(("events.", "scenario.")):
            raise ConfigError(where, "set scenario and events in their own sections")
        if key not in keys:
            raise ConfigError(where, f"{key!r} is not a parameter{close_matches(key, keys)}")
        if isinstance(v, dict):
            raise ConfigError(where, f"must be a single value (got a mapping {v!r})")
        out[key] = v
    try:  # types now, so the error names the key (ranges: sim.params.validate, when composed)
        OmegaConf.merge(OmegaConf.structured(Config), Replay("x", overrides=out).node())
    except OmegaConfBaseException as exc:
        from sim.config import schema_type_error

        if (error := schema_type_error(exc, "overrides.")) is not None:
            raise error from exc
        key = getattr(exc, "full_key", None) or "overrides"
        raise ConfigError(f"overrides.{key}", str(exc).splitlines()[0]) from exc
    return out


def _events(value: Any) -> dict | None:
    """The events as a mapping (a list's entries are named ``event_1``, ``event_2``...)."""
    if value is None:
        return None
    if isinstance(value, list):
        value = {f"event_{k + 1}": e for k, e in enumerate(value)}
    if not isinstance(value, dict):
        raise ConfigError("events", "must be a mapping name -> {day, kind, params} or a list")
    return value
