"""Cheap composition of a multirun's jobs: compose once per choice of config groups, then set
each job's parameter values on a copy.

Hydra composes every job of a multirun from scratch (``ConfigLoaderImpl.load_sweep_config``):
the defaults tree, every YAML file and the schema, about 0.27 CPU-seconds here, while an urban
year from a shared burnt-in state costs about 0.6. Most sweeps vary only values
(``run.replicate=0,1,2``, ``need.p_hidden=0.1,0.2``), which do not change the defaults tree.
:func:`install` replaces ``load_sweep_config`` with a version that composes the job's
*structural* overrides (config-group choices, ``+``/``++``/``~``, packages, ``hydra.*``) with
Hydra itself, once per distinct set in this process, and applies the plain value overrides
(``key=value`` on a parameter) to a copy with Hydra's own ``_apply_overrides_to_config``, then
records the overrides and ``override_dirname`` as Hydra does. The job's config is the same as
Hydra's, key for key (``tests/test_sweep_compose.py`` checks it for every kind of override);
anything the fast path does not recognise goes through Hydra unchanged.

The launchers that compose in this process use it: the basic launcher, joblib's workers (each
keeps its own cache), Ray's driver and submitit's jobs (each composes one job).
"""

from __future__ import annotations

import copy
import os
from collections import OrderedDict

from hydra._internal.config_loader_impl import ConfigLoaderImpl, get_overrides_dirname
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override, OverrideType
from omegaconf import DictConfig, OmegaConf

CACHE_SIZE = 32
"""Compositions kept in this process (distinct structural override sets and config folders)."""

_ORIGINAL = ConfigLoaderImpl.load_sweep_config
_CACHE: OrderedDict[tuple, DictConfig] = OrderedDict()
stats = {"composed": 0, "reused": 0, "fallback": 0}
"""How jobs were composed in this process (for tests and benchmarks)."""


def _is_value(o: Override, loader: ConfigLoaderImpl) -> bool:
    """A plain ``key=value`` on a parameter: no group, package, sweep, ``+``/``~`` or hydra."""
    key = o.key_or_group
    return (o.type is OverrideType.CHANGE and o.package is None and not o.is_sweep_override()
            and not o.is_hydra_override() and "/" not in key and "@" not in key
            and not loader.repository.group_exists(key)
            and "${" not in o.input_line)


def _sources(loader: ConfigLoaderImpl) -> tuple:
    """The config sources, with every file's size and modification time for folders: a
    composition is reused only while the files it was made from are unchanged. (Launchers
    that pickle the loader for each job, as joblib does, give each job a new loader.)"""
    out = []
    for src in loader.repository.get_sources():
        entry: list = [src.scheme(), src.path]
        if src.scheme() == "file":
            for root, _, files in os.walk(src.path):
                for name in sorted(files):
                    st = os.stat(os.path.join(root, name))
                    entry.append((os.path.relpath(os.path.join(root, name), src.path),
                                  st.st_mtime_ns, st.st_size))
        out.append(tuple(entry))
    return tuple(out)


def _split(loader: ConfigLoaderImpl, overrides: list[str]
           ) -> tuple[list[Override], list[str], list[Override]] | None:
    try:
        parsed = OverridesParser.create().parse_overrides(overrides)
    except Exception:  # noqa: BLE001 - malformed: Hydra words the error
        return None
    is_value = [_is_value(o, loader) for o in parsed]
    values = [o for o, v in zip(parsed, is_value, strict=True) if v]
    keys = [o.key_or_group for o in values]
    if len(set(keys)) != len(keys):
        return None
    rest = [o for o, v in zip(parsed, is_value, strict=True) if not v]
    # composed first, values after: exact only when no other override edits the config's
    # keys (group choices shape the defaults tree; hydra.* keys are the job's, not values')
    if not all(o.is_hydra_override() or loader.repository.group_exists(o.key_or_group)
               for o in rest):
        return None
    return parsed, [o.input_line for o in rest], values


def load_sweep_config(self: ConfigLoaderImpl, master_config: DictConfig,
                      sweep_overrides: list[str]) -> DictConfig:
    """``ConfigLoaderImpl.load_sweep_config`` with the structural composition cached."""
    split = _split(self, list(sweep_overrides))
    if split is None or not split[2]:
        stats["fallback"] += 1
        return _ORIGINAL(self, master_config, list(sweep_overrides))
    parsed, structural, values = split
    h = master_config.hydra
    key = (_sources(self), os.getcwd(), h.job.config_name, tuple(h.overrides.hydra),
           tuple(h.overrides.task), tuple((k, os.environ.get(k)) for k in h.job.env_copy),
           tuple(structural))  # what the composition reads: files, folder, overrides, env
    base = _CACHE.get(key)
    if base is None:
        base = _ORIGINAL(self, master_config, structural)
        _CACHE[key] = base
        if len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
        stats["composed"] += 1
    else:
        _CACHE.move_to_end(key)
        stats["reused"] += 1
    cfg = copy.deepcopy(base)
    ConfigLoaderImpl._apply_overrides_to_config(values, cfg)
    app = [o for o in parsed if not o.is_hydra_override()]
    cfg.hydra.overrides.task = [o.input_line for o in app]
    cfg.hydra.job.override_dirname = get_overrides_dirname(
        overrides=app,
        kv_sep=cfg.hydra.job.config.override_dirname.kv_sep,
        item_sep=cfg.hydra.job.config.override_dirname.item_sep,
        exclude_keys=cfg.hydra.job.config.override_dirname.exclude_keys,
    )
    OmegaConf.copy_cache(from_config=master_config, to_config=cfg)
    return cfg


def install() -> None:
    """Use the cached composition for every multirun job composed in this process."""
    ConfigLoaderImpl.load_sweep_config = load_sweep_config  # type: ignore[method-assign]


def uninstall() -> None:
    ConfigLoaderImpl.load_sweep_config = _ORIGINAL  # type: ignore[method-assign]
