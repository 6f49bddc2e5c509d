"""Configurations in plain Python, without Hydra: :func:`configure` and :func:`load_scenario`.

:func:`configure` composes what ``sim.compose([...])`` (and the command line) composes, in the
same order, and gives an equal :class:`~sim.params.Config`::

    schema defaults -> configs/topology/T.yaml -> configs/scenario/S.yaml (each, in order)
    -> config.yaml's own values -> the caller's values (dotted or nested) -> validate

Files are read as **data** (:func:`read_data_file`: a safe YAML loader; no ``hydra`` keys,
``_target_``, ``defaults`` or ``${...}`` interpolations, no tags beyond plain data), so a
scenario file from someone else cannot run code. Values are type-checked by
:meth:`Config.from_dict <sim.params.Config.from_dict>` and validated by
:func:`sim.params.validate` and the event registry's checks: the same messages as the command
line, naming the dotted key. Parsed files are kept per process (keyed by modification time),
so composing costs a few milliseconds (``experiments/configure_benchmark.py``).
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from sim.params import Config, ConfigError, merge_values, nest_dotted, validate

MAX_BYTES = 1 << 20  # 1 MiB
MAX_DEPTH = 12  # nesting of mappings and lists
MAX_NODES = 100_000  # values in the whole document (aliases counted each time they are used)
MAX_STRING = 10_000  # characters in one string
PLAIN = (str, int, float, bool, type(None))
FORBIDDEN_KEYS = ("_target_", "defaults")
GROUPS = ("topology", "scenario")  # config groups chosen by name (configs/GROUP/NAME.yaml)


def config_dir() -> Path:
    """The ``configs/`` folder: in a source checkout or inside the installed package."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "configs", here / "_configs"):
        if (candidate / "config.yaml").is_file():
            return candidate
    raise FileNotFoundError("cannot find the configs/ folder next to the sim package")


# --------------------------------------------------------------------------------------------
# YAML files as data
# --------------------------------------------------------------------------------------------


class DataLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` read as Hydra's OmegaConf reads YAML: ``1e-3`` is a number, dates
    stay text, a key given twice is refused. Plain data only (no Python tags)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if key_node.value in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    f"found duplicate key {key_node.value}", key_node.start_mark)
            seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


DataLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"""^(?:[-+]?[0-9]+(?:_[0-9]+)*\.[0-9_]*(?:[eE][-+]?[0-9]+)?
                   |[-+]?[0-9]+(?:_[0-9]+)*(?:[eE][-+]?[0-9]+)
                   |\.[0-9]+(?:_[0-9]+)*(?:[eE][-+][0-9]+)?
                   |[-+]?\.(?:inf|Inf|INF)
                   |\.(?:nan|NaN|NAN))$""", re.X),
    list("-+0123456789."))
DataLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in DataLoader.yaml_implicit_resolvers.items()}


def check_plain(value: Any, where: str = "", what: str = "a data file", root: str = "file",
                depth: int = 0, budget: list[int] | None = None) -> None:
    """Refuse anything that is not plain data, or too deep or too large, naming the key
    (``root`` for the whole document): ``hydra`` keys, ``_target_``, ``defaults`` and
    ``${...}`` interpolations included."""
    budget = budget if budget is not None else [MAX_NODES]
    budget[0] -= 1
    if budget[0] < 0:
        raise ConfigError(root, f"too many values (more than {MAX_NODES:,})")
    if depth > MAX_DEPTH:
        raise ConfigError(where or root, f"nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str) or not k:
                raise ConfigError(f"{where}.{k!r}" if where else repr(k),
                                  f"keys must be non-empty text (got {type(k).__name__} {k!r})")
            key = f"{where}.{k}" if where else k
            if k in FORBIDDEN_KEYS or k.startswith("hydra"):
                raise ConfigError(key, f"{k!r} is not allowed in {what} (it is data: no "
                                       "Hydra settings, defaults lists or _target_)")
            check_plain(v, key, what, root, depth + 1, budget)
    elif isinstance(value, list):
        for k, v in enumerate(value):
            check_plain(v, f"{where}[{k}]", what, root, depth + 1, budget)
    elif not isinstance(value, PLAIN):
        raise ConfigError(where or root, f"must be plain data (text, number, true/false, "
                                           f"list or mapping), got {type(value).__name__}")
    elif isinstance(value, str):
        if len(value) > MAX_STRING:
            raise ConfigError(where, f"text longer than {MAX_STRING:,} characters")
        if "${" in value:
            raise ConfigError(where, f"interpolations (${{...}}) are not allowed in {what} "
                                     f"(got {value!r})")


def read_yaml(path: Path | str, key: str = "file") -> Any:
    """One YAML document read with :class:`DataLoader` (at most 1 MiB); errors name ``key``."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(key, f"file not found: {path}")
    with open(path, "rb") as f:
        raw = f.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise ConfigError(key, f"{path} is larger than {MAX_BYTES // 1024} KiB")
    try:
        return yaml.load(raw.decode("utf-8"), Loader=DataLoader)  # noqa: S506 - a SafeLoader
    except UnicodeDecodeError as exc:
        raise ConfigError(key, f"{path} is not UTF-8 text: {exc}") from exc
    except yaml.constructor.ConstructorError as exc:  # !!python/... tags, duplicate keys
        raise ConfigError(key, f"{path}: only plain YAML data is allowed "
                               f"({' '.join(str(exc.problem).split())} at line "
                               f"{exc.problem_mark.line + 1 if exc.problem_mark else '?'})"
                          ) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(key, f"{path} is not valid YAML: {' '.join(str(exc).split())}"
                          ) from exc
    except RecursionError as exc:
        raise ConfigError(key, f"{path} is nested too deeply") from exc


def read_data_file(path: Path | str, key: str = "file", what: str = "a data file") -> dict:
    """A YAML mapping that is plain data (:func:`check_plain`); an empty file is ``{}``."""
    doc = read_yaml(path, key)
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise ConfigError(key, f"{path} must hold a mapping (got {type(doc).__name__})")
    check_plain(doc, "", what, key)
    return doc


@functools.lru_cache(maxsize=128)
def _cached(path: str, mtime_ns: int, size: int) -> dict:
    return read_data_file(path, "scenario file", "a scenario or topology file")


def _read(path: Path) -> dict:
    """A parsed file (a private copy), parsed again only when the file changes."""
    st = path.stat()
    return copy.deepcopy(_cached(str(path), st.st_mtime_ns, st.st_size))


# --------------------------------------------------------------------------------------------
# configuration files by name
# --------------------------------------------------------------------------------------------


def options(group: str) -> list[str]:
    """The names of a config group's files (``options("scenario")``)."""
    return sorted(p.stem for p in (config_dir() / group).glob("*.yaml"))


def no_option(group: str, name: object, choices: list[str]) -> ConfigError:
    """The error for an unknown config-group option (as the command line words it)."""
    hint = f"; options: {', '.join(choices)}" if choices else ""
    return ConfigError(group, f"no option {name!r}{hint}")


def _is_file(name: object) -> bool:
    return isinstance(name, Path) or (isinstance(name, str) and name.endswith((".yaml", ".yml")))


def _group_file(group: str, name: str | Path) -> Path:
    """``configs/GROUP/NAME.yaml``, or a file path (``*.yaml``) given by the caller."""
    if _is_file(name):
        path = Path(name)
        if not path.is_file():
            raise ConfigError(group, f"file not found: {path}")
        return path
    path = config_dir() / group / f"{name}.yaml"
    if not isinstance(name, str) or not re.fullmatch(r"\w+", name) or not path.is_file():
        raise no_option(group, name, options(group))
    return path


def load_scenario(name: str | Path) -> dict:
    """A scenario file as a nested dict (``load_scenario("lockdown")["events"]``): a name from
    ``configs/scenario/`` or the path of your own ``.yaml`` file in the same format. Read as
    data (:func:`read_data_file`); its values are checked when applied by :func:`configure`."""
    return _read(_group_file("scenario", name))


def load_topology(name: str | Path) -> dict:
    """A topology file (``configs/topology/NAME.yaml`` or a path) as a nested dict."""
    return _read(_group_file("topology", name))


@functools.lru_cache(maxsize=1)
def _defaults_cached(path: str, mtime_ns: int) -> tuple[dict, dict]:
    doc = read_yaml(path, "config.yaml") or {}
    choices = {}
    for entry in doc.get("defaults") or []:
        if isinstance(entry, dict):
            choices.update({str(k): v for k, v in entry.items() if k in GROUPS})
    own = {k: v for k, v in doc.items() if k not in ("defaults", "hydra")}
    return choices, own


def _defaults() -> tuple[dict, dict]:
    """config.yaml's default group choices and its own values (applied after the groups)."""
    path = config_dir() / "config.yaml"
    choices, own = _defaults_cached(str(path), path.stat().st_mtime_ns)
    return dict(choices), copy.deepcopy(own)


def composed_scenario_name(choice: object) -> str | None:
    """``lockdown+preparedness`` when several scenario configs were composed, else None."""
    if isinstance(choice, str) and choice.startswith("["):
        choice = [c.strip() for c in choice.strip("[]").split(",") if c.strip()]
    if isinstance(choice, list | tuple) and len(choice) > 1:
        return "+".join(str(c) for c in choice)
    return None


# --------------------------------------------------------------------------------------------
# configure
# --------------------------------------------------------------------------------------------


def _names(group: str, choice: object) -> list:
    if isinstance(choice, str | Path):
        return [choice]
    if group == "scenario" and isinstance(choice, list | tuple) and choice:
        return list(choice)
    several = " (or a list of them)" if group == "scenario" else ""
    raise ConfigError(group, f"must be a name from configs/{group}/{several} or a file path, "
                             f"or a mapping of its parameters (got {choice!r})")


def configure(base: Config | tuple | Mapping | None = None, **values: Any) -> Config:
    """A validated :class:`Config` from plain Python, without Hydra.

    Args:
        base: where to start. ``None``: the default job (``configs/config.yaml``: urban,
            baseline). A :class:`Config` (copied, never changed). A pair of names
            ``("rural", "lockdown")`` (topology, scenario; the scenario may be a list). A
            nested dict as in a manifest's ``config`` (:meth:`Config.from_dict`).
        **values: ``topology="rural"`` and ``scenario="lockdown"`` (or
            ``scenario=["lockdown", "preparedness"]``, or a path to your own YAML file)
            choose configuration files, as ``topology=`` and ``scenario=`` do on the command
            line; every other value sets parameters, by dotted key
            (``**{"link_worker.caseload_cap": 20, "events.core_funding_cut.params.share":
            0.8}``) or nested (``need={"p_hidden": 0.3}``), applied in the order given. A
            mapping for ``events`` adds or changes events by name; ``events=None`` removes
            them all.

    Returns:
        The configuration ``sim.compose([...])`` gives for the same choices (equal
        dataclasses), type-checked and validated: a string or a float for a count, or a string
        for a true/false switch, raises :class:`ConfigError` naming the dotted key and what is
        allowed, as does a malformed event.
    """
    values = dict(values)
    chosen = {g: values.pop(g) for g in GROUPS
              if g in values and not isinstance(values[g], Mapping) and values[g] is not None}
    if isinstance(base, tuple):
        if len(base) != 2:
            raise ConfigError("base", f"must be a (topology, scenario) pair (got {base!r})")
        chosen = {"topology": base[0], "scenario": base[1], **chosen}
        base = None
    if base is None:
        defaults, own = _defaults()
        cfg = Config()
        chosen = {**defaults, **chosen}
    elif isinstance(base, Config):
        cfg, own = copy.deepcopy(base), {}
    elif isinstance(base, Mapping):
        cfg, own = Config.from_dict(base, check=False), {}
    else:
        raise ConfigError("base", "must be None, a Config, a (topology, scenario) pair or a "
                                  f"mapping (got {type(base).__name__})")
    if "topology" in chosen:
        for name in _names("topology", chosen["topology"]):
            merge_values(cfg, load_topology(name))
    if "scenario" in chosen:
        names = _names("scenario", chosen["scenario"])
        for name in names:
            merge_values(cfg, load_scenario(name))
        stems = [Path(n).stem if _is_file(n) else n for n in names]
        if (joined := composed_scenario_name(stems)) is not None:
            cfg.scenario.name = joined
    merge_values(cfg, own)
    for key, value in values.items():
        if "." in key and key.startswith("events."):
            _check_event_exists(cfg, key)
        merge_values(cfg, nest_dotted(key, value))
    return check(cfg)


def _check_event_exists(cfg: Config, dotted: str) -> None:
    """``events.NAME.…`` changes an event that must exist (add one with a whole entry)."""
    name = dotted.split(".")[1]
    if dotted.count(".") > 1 and not (isinstance(cfg.events, dict) and name in cfg.events):
        known = ", ".join(cfg.events) if isinstance(cfg.events, dict) and cfg.events else "none"
        raise ConfigError(f"events.{name}", f"no such event (events: {known}); add one with "
                                            f"events.{name}={{day, kind, params}}")


def check(cfg: Config) -> Config:
    """:func:`sim.params.validate` plus the event registry's checks (as a run makes before its
    first day); returns ``cfg``."""
    validate(cfg)
    if cfg.events:
        from sim.events.registry import Timeline

        Timeline.from_config(cfg.events)
    return cfg


def from_manifest(path: Path | str) -> Config:
    """The configuration a run started with, from its ``manifest.json`` (or its folder)."""
    import json

    path = Path(path)
    if path.is_dir():
        path = path / "manifest.json"
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError("manifest", f"cannot read {path}: {exc}") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("config"), dict):
        raise ConfigError("manifest", f"{path} has no 'config' section (not a run manifest)")
    cfg = Config.from_dict(manifest["config"])
    _warn_if_older(path, manifest, cfg)
    return cfg


def _leaf_keys(tree: dict, prefix: str = "") -> set[str]:
    out: set[str] = set()
    for key, value in tree.items():
        if isinstance(value, dict) and value and key != "events":
            out |= _leaf_keys(value, f"{prefix}{key}.")
        else:
            out.add(f"{prefix}{key}")
    return out


def _warn_if_older(path: Path, manifest: dict, cfg: Config) -> None:
    """Warn when a manifest comes from another version of the model: parameters it does not
    record take today's defaults, so the configuration may not be the one that ran."""
    import warnings

    from sim.io import config_dict, versions

    missing = sorted(_leaf_keys(config_dict(cfg)) - _leaf_keys(manifest["config"]))
    then = (manifest.get("versions") or {}).get("community-response-sim")
    now = versions().get("community-response-sim")
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5
                                          else "")
        warnings.warn(f"{path} does not record {len(missing)} parameter(s) of this version "
                      f"({shown}); they take today's defaults, so this may not be the "
                      f"configuration that ran (written by version {then or 'unknown'}, this "
                      f"is {now})", UserWarning, stacklevel=3)
    elif then and now and then != now:
        warnings.warn(f"{path} was written by version {then} of community-response-sim; this "
                      f"is {now}: the same configuration may give other results",
                      UserWarning, stacklevel=3)

