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

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sim.params import Config, ConfigError, iter_params

MAX_BYTES = 1 << 20  # 1 MiB
MAX_DEPTH = 12  # nesting of mappings and lists
MAX_NODES = 100_000  # values in the whole document (aliases counted each time they are used)
MAX_STRING = 10_000  # characters in one string
TOP_KEYS = ("scenario", "topology", "overrides", "events")
SCENARIO_KEYS = ("name", "description")
PLAIN = (str, int, float, bool, type(None))
FORBIDDEN_KEYS = ("_target_", "defaults")


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


def parameter_keys() -> list[str]:
    """Every dotted parameter key of the schema (``need.p_onset_per_day``...)."""
    return [k for k, _, _ in iter_params(Config())]


def close_matches(key: str, candidates: list[str]) -> str:
    """`` (close matches: a, b)`` for a mistyped key, or an empty string."""
    found = difflib.get_close_matches(key, candidates, n=3, cutoff=0.6)
    if not found:  # a mistyped last part: compare within the same section
        section = key.rsplit(".", 1)[0] + "."
        found = difflib.get_close_matches(
            key, [c for c in candidates if c.startswith(section)], n=3, cutoff=0.4)
    return f" (close matches: {', '.join(found)})" if found else ""


def _check_plain(value: Any, where: str, depth: int = 0, budget: list[int] | None = None
                 ) -> None:
    """Refuse anything that is not plain data, or too deep or too large, naming the key."""
    budget = budget if budget is not None else [MAX_NODES]
    budget[0] -= 1
    if budget[0] < 0:
        raise ConfigError("replay", f"too many values (more than {MAX_NODES:,})")
    if depth > MAX_DEPTH:
        raise ConfigError(where or "replay", f"nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str) or not k:
                raise ConfigError(f"{where}.{k!r}" if where else repr(k),
                                  f"keys must be non-empty text (got {type(k).__name__} {k!r})")
            key = f"{where}.{k}" if where else k
            if k in FORBIDDEN_KEYS or k.startswith("hydra"):
                raise ConfigError(key, f"{k!r} is not allowed in a replay file (it is data: no "
                                       "Hydra settings, defaults lists or _target_)")
            _check_plain(v, key, depth + 1, budget)
    elif isinstance(value, list):
        for k, v in enumerate(value):
            _check_plain(v, f"{where}[{k}]", depth + 1, budget)
    elif not isinstance(value, PLAIN):
        raise ConfigError(where or "replay", f"must be plain data (text, number, true/false, "
                                             f"list or mapping), got {type(value).__name__}")
    elif isinstance(value, str):
        if len(value) > MAX_STRING:
            raise ConfigError(where, f"text longer than {MAX_STRING:,} characters")
        if "${" in value:
            raise ConfigError(where, f"interpolations (${{...}}) are not allowed in a replay "
                                     f"file (got {value!r})")


def load(path: Path | str, topologies: list[str] | None = None) -> Replay:
    """Read and check a replay file; ConfigError naming the offending key otherwise.

    ``topologies``: the allowed topology names (default: any word; the CLI passes the options
    found in ``configs/topology``).
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError("replay", f"file not found: {path}")
    with open(path, "rb") as f:
        raw = f.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise ConfigError("replay", f"{path} is larger than {MAX_BYTES // 1024} KiB")
    try:
        doc = yaml.safe_load(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError("replay", f"{path} is not UTF-8 text: {exc}") from exc
    except yaml.constructor.ConstructorError as exc:  # !!python/... and other unknown tags
        raise ConfigError("replay", f"{path}: only plain YAML data is allowed "
                                    f"({' '.join(str(exc.problem).split())} at line "
                                    f"{exc.problem_mark.line + 1 if exc.problem_mark else '?'})"
                          ) from exc
    except yaml.YAMLError as exc:
        raise ConfigError("replay", f"{path} is not valid YAML: "
                                    f"{' '.join(str(exc).split())}") from exc
    except RecursionError as exc:
        raise ConfigError("replay", f"{path} is nested too deeply") from exc
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ConfigError("replay", f"must be a mapping with keys {', '.join(TOP_KEYS)} (got "
                                    f"{type(doc).__name__})")
    _check_plain(doc, "")
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
