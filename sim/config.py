"""Hydra layer: the structured-config schema, composing configs into typed :class:`Config`.

Only this module and :mod:`sim.cli` know Hydra; the model runs from a plain ``Config``.
"""

from __future__ import annotations

import functools
import re

from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import OverrideType
from hydra.errors import OverrideParseException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import ConfigKeyError, OmegaConfBaseException, ValidationError

from sim.params import (
    MISSING_MESSAGE,
    TYPE_WORDS,
    Config,
    ConfigError,
    field_type,
    type_error,
    unknown_parameter,
    validate,
)
from sim.scenarios import composed_scenario_name, config_dir, no_option


def register_schema() -> None:
    ConfigStore.instance().store(name="base_config", node=Config)


def scenario_choice(overrides: list[str]) -> str | None:
    """The ``scenario=`` override's value, if any."""
    return next((o.split("=", 1)[1] for o in overrides if o.startswith("scenario=")), None)


@functools.cache
def _schema() -> DictConfig:
    """The typed schema as an OmegaConf node, built once (46 ms); ``OmegaConf.merge`` copies
    its first argument, so the cached node is never changed."""
    return OmegaConf.structured(Config)


def to_config(cfg: DictConfig, scenario_choice: object = None,
              plain: dict | None = None) -> Config:
    """Typed, validated Config from a composed DictConfig (errors name the key). When several
    scenarios were composed (``scenario_choice``), the run's scenario name joins theirs.
    ``plain``: ``cfg``'s keys as plain values, if already known (a new dict, which is read
    and changed here: ``sim.sweep_compose.plain_job_config`` for a multirun job), so ``cfg``
    is not converted again (about 2 ms).

    The plain values are first read with the Python API's strict reader
    (:meth:`Config.from_dict`, about 3 ms); anything it refuses goes through OmegaConf's
    schema merge (about 110 ms), which is the reference for what is accepted and for the
    messages. Both give equal configurations (``tests/test_configs.py`` checks every
    topology and scenario file)."""
    try:
        if plain is None:
            plain = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
        plain.pop("hydra", None)
        if (name := composed_scenario_name(scenario_choice)) is not None:
            plain.setdefault("scenario", {})["name"] = name
        try:
            # from_dict reads ``plain`` and copies what it keeps (merge_values), so the
            # schema merge below gets it as it was
            return validate(Config.from_dict(plain, check=False))
        except Exception:  # noqa: BLE001, S110 - the schema merge decides, and words the error
            pass
        merged = OmegaConf.merge(_schema(), plain)  # merges into a copy of the schema
        obj = OmegaConf.to_object(merged)
    except ConfigKeyError as exc:  # e.g. ``+need.nope=1``: added, but not in the schema
        raise unknown_parameter(str(getattr(exc, "full_key", None) or "config")) from exc
    except OmegaConfBaseException as exc:
        if (error := schema_type_error(exc)) is not None:
            raise error from exc
        key = getattr(exc, "full_key", None) or "config"
        msg = str(exc).splitlines()[0]
        if "Missing mandatory value" in msg:
            msg = MISSING_MESSAGE
        raise ConfigError(str(key), msg) from exc
    return validate(obj)


def schema_type_error(exc: BaseException, prefix: str = "") -> ConfigError | None:
    """OmegaConf's refusal to convert a value for a typed parameter, in the words the Python
    API uses (:func:`sim.params.type_error`: "must be a whole number (got 20.7)"); None for
    any other error."""
    key = getattr(exc, "full_key", None)
    if not isinstance(exc, ValidationError) or not key or not hasattr(exc, "value"):
        return None
    ftype = field_type(str(key))
    return (type_error(f"{prefix}{key}", exc.value, ftype) if ftype in TYPE_WORDS else None)


# Hydra settings that instantiate code (callbacks, logging handlers): only from trusted config
# files, never from the command line; our own sweep report's switches stay available.
CODE_KEYS = ("hydra.callbacks", "hydra.job_logging", "hydra.hydra_logging")
ALLOWED_CODE_KEYS = tuple(f"hydra.callbacks.sweep_report.{k}"
                          for k in ("collect", "progress", "poll_seconds"))


def check_overrides(overrides: list[str]) -> None:
    """Refuse bad override syntax and overrides that could make Hydra run code: keys under
    ``hydra.callbacks``, ``hydra.job_logging``, ``hydra.hydra_logging``, or any ``_target_``."""
    parser = OverridesParser.create()
    for line in overrides:
        key = line.split("=", 1)[0].lstrip("+~")
        try:
            (override,) = parser.parse_overrides([line])
        except OverrideParseException as exc:
            msg = " ".join(str(exc).split("See https://")[0].split())
            raise ConfigError(key or "overrides", f"cannot parse the override {line!r}: {msg}"
                              ) from exc
        key = override.key_or_group
        if "_target_" in line:
            raise ConfigError(key, "_target_ is not allowed on the command line (it names code "
                                   "to run); put trusted code in a config file")
        if (override.package or "").startswith(CODE_KEYS):  # group@hydra.callbacks.x=...
            raise ConfigError(key, f"cannot be placed under {override.package} from the "
                                   "command line (callbacks and logging handlers can run code)")
        dotted = key.replace("/", ".")
        if "/" not in key and dotted.startswith(CODE_KEYS) and not (
                override.type == OverrideType.CHANGE and dotted in ALLOWED_CODE_KEYS):
            raise ConfigError(key, "Hydra callbacks and logging handlers cannot be set from the "
                                   "command line (they can run code); use a trusted config file")


def compose(overrides: list[str] | None = None) -> Config:
    """Compose the configuration as the CLI would, without running: ``compose(["topology=rural",
    "run.days=60"])`` -> ``Config``."""
    register_schema()
    check_overrides(list(overrides or []))
    if GlobalHydra.instance().is_initialized():
        GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
            cfg = hydra_compose(config_name="config", overrides=list(overrides or []))
    except ConfigError:
        raise
    except Exception as exc:  # Hydra's override and composition errors
        raise hydra_error(exc) from exc
    return to_config(cfg, scenario_choice(overrides or []))


def hydra_error(exc: BaseException) -> ConfigError:
    """A Hydra composition error as a ConfigError naming the override key or group."""
    text = str(exc).strip()
    cause = exc.__cause__
    if cause is not None and str(cause).strip() and str(cause).strip() not in text:
        text = f"{text}: {str(cause).strip()}"
    text = text.split("Config search path")[0].strip()
    if m := re.match(r"Could not override '([^']+)'", text):  # a key not in the schema
        if m.group(1).startswith("events."):  # events are plain data: only what files set
            return ConfigError(m.group(1), "is not in the composed events (a scenario's event "
                                           "can be changed where its file sets a value); add "
                                           f"it with +{m.group(1)}=VALUE")
        return unknown_parameter(m.group(1))
    if m := re.search(r"Could not find '([\w/]+)/([^']*)'", text):  # a group option
        options = re.findall(r"^\s+(\S+)$", text.split("Available options", 1)[-1], re.M)
        return no_option(m.group(1), m.group(2), options)
    if (error := schema_type_error(cause) or schema_type_error(exc)) is not None:
        return error
    full_key = getattr(cause, "full_key", None) or getattr(exc, "full_key", None)
    if full_key and (m := re.search(r"Error merging override ([^=\s]+)", text)):
        return ConfigError(str(full_key), str(cause).strip().splitlines()[0])
    lines = [ln.strip() for ln in text.splitlines()
             if ln.strip() and not ln.strip().startswith(("full_key:", "object_type="))]
    key = "overrides"
    if m := re.search(r"override '?([\w.\[\]/]+)'?", text):
        key = m.group(1).split("=")[0]
    elif m := re.search(r"Could not find '([\w/]+)/", text):
        key = m.group(1)
    elif full_key:
        key = str(full_key)
    return ConfigError(key, " ".join(lines))
