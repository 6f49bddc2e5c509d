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

Hydra's sweepers also compose every job of a batch on the driver before launching it, only to
check that it can be composed (``Sweeper.validate_batch_is_legal``), which doubled the cost.
:func:`validate_batch_is_legal` checks a job that takes the fast path by setting its values on
one scratch copy of its cached composition (no copy per job): the same override code raises
the same errors, and a value is set on the scratch copy only where the configuration holds a
plain value (a leaf), so one job's values never change what the next job may set. Other jobs
are composed as Hydra does.

Hydra's ``run_job`` then copies each job's configuration for the task (``copy.deepcopy``, about
15 ms here) and deletes the copy's ``hydra`` node at once; :func:`install` has that module copy
a job's configuration through pickle, without the ``hydra`` node it is about to delete
(:func:`_run_job_copy`: the same task configuration, key for key and in order), hands over
HydraConfig's masked configuration (which ``run_job`` copies for the job's return value and
``hydra.yaml``) as it is, since it holds the job's own read-only ``hydra`` node, and copies any
other configuration through pickle whole (a third of ``copy.deepcopy``'s cost).
``HydraConfig.set_config``, called twice per job by ``run_job`` (once more in joblib's and
Ray's workers), copied the job's ``hydra`` node each time; :func:`set_config` holds the job's
own node instead (made read only, as Hydra makes it; its parent the job's configuration, as
the copy's is). The batch check keeps each job's parsed overrides for the launcher's
composition of the same job, so they are parsed once; each distinct override string is parsed
once in the process (:func:`_parse`: a sweep's jobs repeat most of theirs), a plain value is
set on a composition's scratch copy the first time it is seen only (a leaf's type decides
whether it is legal, not the other values), and what a composition's key reads from the
sweep's configuration is read once per configuration (about 1.5 ms a job in all).

This package's own task (``sim.cli.task``) does not read its copy at all when the job took
the fast path from a composition whose keys (but ``hydra``) are plain values (no
interpolation, nothing missing): :func:`plain_job_config` gives it the job's keys as plain
values, the composition's converted once (``OmegaConf.to_container``, about 2 ms a job
before) with the job's values as OmegaConf converted them on its configuration; while that
task runs (:func:`for_task`), run_job's copy for it holds the job's own nodes, not copies
(:func:`_sharing_root`).
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import os
import pickle
import types
import weakref
from collections import OrderedDict

import hydra.core.utils as hydra_utils
import hydra.version as hydra_version
from hydra._internal.config_loader_impl import ConfigLoaderImpl, get_overrides_dirname
from hydra.conf import HydraConf
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override, OverrideType
from hydra.plugins.sweeper import Sweeper
from omegaconf import DictConfig, ListConfig, OmegaConf

CACHE_SIZE = 32
"""Compositions kept in this process (distinct structural override sets and config folders)."""

_ORIGINAL = ConfigLoaderImpl.load_sweep_config
_ORIGINAL_VALIDATE = Sweeper.validate_batch_is_legal
_ORIGINAL_SET_CONFIG = HydraConfig.set_config
_CACHE: OrderedDict[tuple, DictConfig] = OrderedDict()
_SCRATCH: dict[tuple, DictConfig] = {}  # per cached composition: a copy values are set on
_PICKLED: dict[tuple, bytes | None] = {}  # per cached composition: its pickle, copied from per job
_BATCH_SPLITS: dict[tuple[str, ...], tuple[ConfigLoaderImpl, object]] = {}  # (loader, split)
_PLAIN: dict[tuple, bytes | None] = {}  # per cached composition: its keys but hydra, plain
_PLAIN_JOBS: dict[int, tuple] = {}  # id(job's configuration) -> (weak reference, key, leaves)
_PARSED: dict[str, Override] = {}  # each override as given, parsed once in this process
_PARSED_SIZE = 4096
_MASTER_PARTS: dict[int, tuple] = {}  # id(sweep's configuration) -> (weak reference, parts)
_DIRNAME: dict[tuple, tuple] = {}  # per cached composition: override_dirname's settings
_LEGAL: dict[tuple, set] = {}  # per cached composition: values already set on its scratch copy
_SWEEP_HYDRA: dict[tuple, bool] = {}  # per cached composition: its hydra settings the sweep's
_PER_COMPOSITION = (_SCRATCH, _PICKLED, _PLAIN, _DIRNAME, _LEGAL, _SWEEP_HYDRA)
"""What is kept per cached composition: dropped with it when it is evicted."""
_TASK_READS_PLAIN = contextvars.ContextVar("task_reads_plain", default=False)
"""Whether this package's task is running jobs here (:func:`for_task`; per thread)."""
stats = {"composed": 0, "reused": 0, "fallback": 0, "validated": 0, "direct": 0}
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
            _stamps(src.path, entry)
        out.append(tuple(entry))
    return tuple(out)


def _stamps(folder: str, into: list) -> None:
    """(path, modification time, size) of every file under ``folder``, in a fixed order."""
    with os.scandir(folder) as it:
        entries = sorted(it, key=lambda e: e.name)
    for e in entries:
        if e.is_dir(follow_symlinks=False):  # as os.walk: a linked folder is not entered
            _stamps(e.path, into)
        else:
            st = e.stat()
            into.append((e.path, st.st_mtime_ns, st.st_size))


def _parse(overrides: list[str]) -> list[Override] | None:
    """The overrides parsed by Hydra's parser (``parse_overrides``), each distinct string once
    in this process: a sweep's jobs repeat most of theirs (``topology=rural``, a fixed
    ``run.days=1``), and parsing is about a tenth of a millisecond each. A parsed override is
    read, never changed, by the composition (``Override.value()`` converts afresh each time).
    None when one does not parse: Hydra parses the job again and words the error."""
    missing = [o for o in dict.fromkeys(overrides) if o not in _PARSED]
    if missing:
        if len(_PARSED) + len(missing) > _PARSED_SIZE:  # full: start afresh with this job's
            _PARSED.clear()
            missing = list(dict.fromkeys(overrides))
        try:
            fresh = OverridesParser.create().parse_overrides(missing)
        except Exception:  # noqa: BLE001 - malformed: Hydra words the error
            return None
        _PARSED.update(zip(missing, fresh, strict=True))
    return [_PARSED[o] for o in overrides]


def _split(loader: ConfigLoaderImpl, overrides: list[str]
           ) -> tuple[list[Override], list[str], list[Override]] | None:
    """The job's overrides parsed: (all, the structural ones as given, the plain values); None
    when the job must be composed by Hydra. The batch check (:func:`validate_batch_is_legal`)
    keeps each job's split for the launcher's composition of the same job (parsed once)."""
    kept = _BATCH_SPLITS.pop(tuple(overrides), None)
    if kept is not None and kept[0] is loader:
        return kept[1]
    parsed = _parse(overrides)
    if parsed is None:
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


def _master_parts(master_config: DictConfig) -> tuple:
    """What a composition's key takes from the sweep's configuration (its name, the command
    line's Hydra and task overrides, the environment variables it copies), read once per
    configuration: Hydra hands every job of a sweep the same one and never changes it, and
    reading these through OmegaConf was about 0.3 ms a job, twice (the batch check and the
    launcher's composition)."""
    entry = _MASTER_PARTS.get(id(master_config))
    if entry is not None and entry[0]() is master_config:
        return entry[1]
    h = master_config.hydra
    parts = (h.job.config_name, tuple(h.overrides.hydra), tuple(h.overrides.task),
             tuple(h.job.env_copy))
    job = id(master_config)
    _MASTER_PARTS[job] = (weakref.ref(master_config,
                                      lambda _, job=job: _MASTER_PARTS.pop(job, None)), parts)
    return parts


def _base(loader: ConfigLoaderImpl, master_config: DictConfig,
          structural: list[str]) -> tuple[tuple, DictConfig]:
    """The cached composition of the structural overrides (composed by Hydra if new)."""
    config_name, hydra_overrides, task_overrides, env_copy = _master_parts(master_config)
    key = (_sources(loader), os.getcwd(), config_name, hydra_overrides, task_overrides,
           tuple((k, os.environ.get(k)) for k in env_copy),
           tuple(structural), str(hydra_version.getbase()))
    # what the composition reads: files, folder, overrides, env, and Hydra's version base
    # (recorded as hydra.runtime.version_base; set by whichever entry point ran last)
    base = _CACHE.get(key)
    if base is None:
        base = _ORIGINAL(loader, master_config, structural)
        _CACHE[key] = base
        if len(_CACHE) > CACHE_SIZE:
            evicted, _ = _CACHE.popitem(last=False)
            for per_composition in _PER_COMPOSITION:
                per_composition.pop(evicted, None)
        stats["composed"] += 1
    else:
        _CACHE.move_to_end(key)
        stats["reused"] += 1
    return key, base


def _dirname_settings(key: tuple, base: DictConfig) -> tuple:
    """``hydra.job.config.override_dirname``'s separators and excluded keys, as the job's
    configuration holds them: its composition's (a job's values are never ``hydra.*`` keys),
    read once per composition; the excluded keys a new list for each job."""
    if key not in _DIRNAME:
        settings = base.hydra.job.config.override_dirname
        _DIRNAME[key] = (settings.kv_sep, settings.item_sep, list(settings.exclude_keys))
    kv_sep, item_sep, exclude_keys = _DIRNAME[key]
    return kv_sep, item_sep, list(exclude_keys)


_SWEEP_HYDRA_KEYS = ("sweep", "job_logging", "hydra_logging", "verbose", "output_subdir",
                     "callbacks")
_PER_JOB = ("override_dirname", "id", "num")  # hydra.job's keys that are each job's own


def _sweep_hydra(key: tuple, base: DictConfig, master_config: DictConfig) -> bool:
    """Whether the composition's Hydra settings that decide how its jobs are run (the sweep
    folders, logging, verbosity, ``.hydra`` folder, callbacks, ``hydra.job`` but the job's
    own name for its folder, id and number) are the sweep's, unresolved: what the direct
    launcher checked on the sweep's configuration holds for the job. Worked out once per
    composition (its key holds the sweep configuration's parts)."""
    if key not in _SWEEP_HYDRA:
        def settings(cfg: DictConfig) -> tuple:
            h = OmegaConf.to_container(cfg.hydra, resolve=False)
            job = {k: v for k, v in (h.get("job") or {}).items() if k not in _PER_JOB}
            return tuple(h.get(k) for k in _SWEEP_HYDRA_KEYS), job

        try:
            _SWEEP_HYDRA[key] = settings(base) == settings(master_config)
        except Exception:  # noqa: BLE001 - anything unexpected: Hydra's way
            _SWEEP_HYDRA[key] = False
    return _SWEEP_HYDRA[key]


def load_sweep_config(self: ConfigLoaderImpl, master_config: DictConfig,
                      sweep_overrides: list[str]) -> DictConfig:
    """``ConfigLoaderImpl.load_sweep_config`` with the structural composition cached."""
    split = _split(self, list(sweep_overrides))
    if split is None or not split[2]:
        stats["fallback"] += 1
        return _ORIGINAL(self, master_config, list(sweep_overrides))
    parsed, structural, values = split
    key, base = _base(self, master_config, structural)
    # each job's copy: unpickled from the composition's pickle, a quarter of the cost of
    # copy.deepcopy (the same nodes, types and flags: launchers ship configs by pickle anyway)
    if key not in _PICKLED:
        try:
            _PICKLED[key] = pickle.dumps(base, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - e.g. a class shipped by value to a joblib worker
            _PICKLED[key] = None
    blob = _PICKLED[key]
    # our own pickle of our own composition
    cfg = copy.deepcopy(base) if blob is None else pickle.loads(blob)  # noqa: S301
    ConfigLoaderImpl._apply_overrides_to_config(values, cfg)
    app = [o for o in parsed if not o.is_hydra_override()]
    cfg.hydra.overrides.task = [o.input_line for o in app]
    kv_sep, item_sep, exclude_keys = _dirname_settings(key, base)
    cfg.hydra.job.override_dirname = get_overrides_dirname(
        overrides=app, kv_sep=kv_sep, item_sep=item_sep, exclude_keys=exclude_keys)
    OmegaConf.copy_cache(from_config=master_config, to_config=cfg)
    _note_plain_job(cfg, key, base, values)
    return cfg


def _sharing_root(cfg: DictConfig, drop: str | None = None) -> DictConfig:
    """A new root configuration holding ``cfg``'s own child nodes (not copies; their parent
    stays ``cfg``), all but ``drop``, with a copy of its metadata and flags: what
    ``copy.deepcopy`` would give, key for key and value for value, for a reader."""
    meta = copy.copy(cfg.__dict__["_metadata"])
    if meta.flags is not None:
        meta.flags = dict(meta.flags)
    root = DictConfig.__new__(DictConfig)
    root.__dict__.update(_metadata=meta, _parent=cfg.__dict__["_parent"], _flags_cache=None,
                         _content={k: v for k, v in cfg.__dict__["_content"].items()
                                   if k != drop})
    return root


def _has_interpolation(node) -> bool:
    if node._is_interpolation():
        return True
    if isinstance(node, DictConfig):
        content = node.__dict__["_content"]
        return isinstance(content, dict) and any(map(_has_interpolation, content.values()))
    if isinstance(node, ListConfig):
        content = node.__dict__["_content"]
        return isinstance(content, list) and any(map(_has_interpolation, content))
    return False


def _plain_blob(key: tuple, base: DictConfig) -> bytes | None:
    """The composition's keys but ``hydra`` as plain values, pickled (what
    ``OmegaConf.to_container(..., resolve=True, throw_on_missing=True)`` gives a task's copy
    of a job without values), worked out once per composition; None where a key holds an
    interpolation (a job's values could change what it resolves to) or nothing (missing)."""
    if key not in _PLAIN:
        blob = None
        content = base.__dict__["_content"]
        if isinstance(content, dict) and not any(
                _has_interpolation(v) for k, v in content.items() if k != "hydra"):
            try:
                blob = pickle.dumps(OmegaConf.to_container(
                    _sharing_root(base, drop="hydra"), resolve=True, throw_on_missing=True),
                    protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:  # noqa: BLE001 - e.g. a missing value: the task reports it
                blob = None
        _PLAIN[key] = blob
    return _PLAIN[key]


def _note_plain_job(cfg: DictConfig, key: tuple, base: DictConfig, values: list[Override]
                    ) -> None:
    """Remember a job composed by the fast path for :func:`plain_job_config`: its composition
    and each value as OmegaConf holds it on the job's configuration (converted to the
    parameter's type), where every value is a plain value of a key outside ``hydra``."""
    if _plain_blob(key, base) is None:
        return
    leaves = []
    for o in values:
        name = o.key_or_group
        if name.split(".", 1)[0] == "hydra":
            return
        try:
            value = OmegaConf.select(cfg, name, default=_MISSING, throw_on_missing=True)
        except Exception:  # noqa: BLE001 - missing, or not a plain key: the copy is read
            return
        if value is _MISSING or OmegaConf.is_config(value) or isinstance(value, dict | list):
            return
        leaves.append((tuple(name.split(".")), value))
    job = id(cfg)
    _PLAIN_JOBS[job] = (weakref.ref(cfg, lambda _, job=job: _PLAIN_JOBS.pop(job, None)), key,
                        tuple(leaves))


def _plain_entry(cfg: object) -> tuple | None:
    entry = _PLAIN_JOBS.get(id(cfg))
    return entry if entry is not None and entry[0]() is cfg else None


def plain_job_config() -> dict | None:
    """The keys (but ``hydra``) of the job whose configuration HydraConfig holds, as plain
    values: what ``OmegaConf.to_container(copy, resolve=True, throw_on_missing=True)`` gives
    run_job's copy for the task (``tests/test_sweep_compose.py`` compares them, types
    included), from its composition's plain values (:func:`_plain_blob`) with the job's values
    set. A new dict each time; None unless the job took the fast path (:func:`_note_plain_job`)
    in this process."""
    hydra_cfg = HydraConfig.instance().cfg
    content = hydra_cfg.__dict__.get("_content") if hydra_cfg is not None else None
    node = content.get("hydra") if isinstance(content, dict) else None
    entry = _plain_entry(node.__dict__.get("_parent")) if node is not None else None
    blob = _PLAIN.get(entry[1]) if entry is not None else None
    return _with_leaves(blob, entry[2]) if blob is not None else None


def _with_leaves(blob: bytes, leaves) -> dict | None:
    """A composition's plain values (:func:`_plain_blob`, a new dict) with a job's values set:
    ``leaves`` holds (the key's parts, the value); None if a key is not there."""
    plain = pickle.loads(blob)  # noqa: S301 - our own pickle of our own composition
    for path, value in leaves:
        at = plain
        for name in path[:-1]:
            at = at.get(name) if isinstance(at, dict) else None
        if not isinstance(at, dict) or path[-1] not in at:
            return None
        at[path[-1]] = value
    return plain


def direct_job(loader: ConfigLoaderImpl, master_config: DictConfig, overrides: list[str]
               ) -> tuple[dict, list[str], str] | None:
    """A multirun job's keys (but ``hydra``) as plain values, its task overrides and its
    ``override_dirname``, without composing its configuration: what
    :func:`plain_job_config`, ``hydra.overrides.task`` and ``hydra.job.override_dirname``
    give for the job Hydra's launcher would compose (the direct launcher,
    ``hydra_plugins/community_sim/direct_launcher.py``, runs the job from them). Each value is
    set on its composition's scratch copy (a leaf: the other values do not change it) and
    read back as OmegaConf converted it, as :func:`_note_plain_job` reads it from a job's
    configuration. None when the job must be composed: the cache uninstalled, a ``hydra.*``
    override, no plain values, a composition whose Hydra settings differ from the sweep's
    (a swept group choice can set them: every scenario, topology and sweep file is global) or
    that holds an interpolation, a value that is not a plain value of a leaf, or one OmegaConf
    refuses (the batch check has raised Hydra's error for it)."""
    if ConfigLoaderImpl.load_sweep_config is not load_sweep_config:  # uninstalled: Hydra's
        return None
    split = _split(loader, list(overrides))
    if split is None or not split[2] or any(o.is_hydra_override() for o in split[0]):
        return None
    parsed, structural, values = split
    key, base = _base(loader, master_config, structural)
    blob = _plain_blob(key, base)
    if blob is None or not _sweep_hydra(key, base, master_config) or not all(
            _leaf(base, o.key_or_group)
                               and not isinstance(o.value(), dict | list) for o in values):
        return None
    scratch = _SCRATCH.get(key)
    if scratch is None:
        scratch = _SCRATCH[key] = copy.deepcopy(base)
    leaves = []
    try:
        ConfigLoaderImpl._apply_overrides_to_config(values, scratch)
        for o in values:
            name = o.key_or_group
            parent, _, leaf = name.rpartition(".")
            if OmegaConf.is_interpolation(OmegaConf.select(scratch, parent) if parent
                                          else scratch, leaf):
                return None  # (an escaped "${...}" sets one): it would resolve against the
                # scratch copy's values, not the job's
            value = OmegaConf.select(scratch, name, default=_MISSING, throw_on_missing=True)
            if value is _MISSING or OmegaConf.is_config(value) or isinstance(value, dict | list):
                return None
            leaves.append((name.split("."), value))
    except Exception:  # noqa: BLE001 - refused: Hydra's way raises (and words) it
        return None
    _LEGAL.setdefault(key, set()).update(o.input_line for o in values)
    plain = _with_leaves(blob, leaves)
    if plain is None:
        return None
    kv_sep, item_sep, exclude_keys = _dirname_settings(key, base)
    dirname = get_overrides_dirname(overrides=parsed, kv_sep=kv_sep, item_sep=item_sep,
                                    exclude_keys=exclude_keys)
    stats["direct"] += 1
    return plain, [o.input_line for o in parsed], dirname


@contextlib.contextmanager
def for_task(task_function):
    """While ``task_function`` runs jobs here: if it is one that reads a job's values through
    :func:`plain_job_config` (``task_function.reads_plain_config``, this package's task),
    run_job's copy of a job that took the fast path holds the job's own nodes instead of
    copies (:func:`_run_job_copy`); any other task gets copies, as Hydra gives them."""
    token = _TASK_READS_PLAIN.set(bool(getattr(task_function, "reads_plain_config", False)))
    try:
        yield
    finally:
        _TASK_READS_PLAIN.reset(token)


_MISSING = object()


def _leaf(cfg: DictConfig, key: str) -> bool:
    """Whether ``key`` names a plain value (not a node holding others) in ``cfg``."""
    try:
        node = OmegaConf.select(cfg, key, default=_MISSING, throw_on_missing=False)
    except Exception:  # noqa: BLE001 - an interpolation that does not resolve: Hydra decides
        return False
    return node is not _MISSING and not OmegaConf.is_config(node) and not isinstance(
        node, dict | list)


def validate_job(loader: ConfigLoaderImpl, master_config: DictConfig,
                 overrides: list[str], keep: bool = False) -> None:
    """Raise what composing this job raises; without a copy of the configuration per job when
    the job takes the fast path (its plain values are set on a scratch copy, leaves only).
    ``keep``: keep the parsed overrides for the launcher's composition of the job."""
    if ConfigLoaderImpl.load_sweep_config is not load_sweep_config:  # uninstalled
        loader.load_sweep_config(master_config=master_config, sweep_overrides=overrides)
        return
    split = _split(loader, overrides)
    if keep:
        _BATCH_SPLITS[tuple(overrides)] = (loader, split)
    if split is not None and split[2]:
        _, structural, values = split
        key, base = _base(loader, master_config, structural)
        legal = _LEGAL.setdefault(key, set())
        fresh = [o for o in values if o.input_line not in legal]
        if all(_leaf(base, o.key_or_group) and not isinstance(o.value(), dict | list)
               for o in fresh):
            if fresh:
                scratch = _SCRATCH.get(key)
                if scratch is None:
                    scratch = _SCRATCH[key] = copy.deepcopy(base)
                ConfigLoaderImpl._apply_overrides_to_config(fresh, scratch)
                # a plain value on a leaf is legal or not whatever else is set (a leaf's
                # type and flags decide): each is set on the scratch copy once
                legal.update(o.input_line for o in fresh)
            stats["validated"] += 1
            return
    load_sweep_config(loader, master_config, overrides)


def validate_batch_is_legal(self: Sweeper, batch) -> None:
    """``Sweeper.validate_batch_is_legal`` (every job of the batch can be composed), with
    :func:`validate_job`."""
    loader = (self.hydra_context.config_loader
              if getattr(self, "hydra_context", None) is not None else self.config_loader)
    assert loader is not None and self.config is not None
    _BATCH_SPLITS.clear()  # an earlier batch's jobs that were never launched
    for overrides in batch:
        validate_job(loader, self.config, list(overrides), keep=True)


def deepcopy(obj, memo=None):
    """``copy.deepcopy``, with a DictConfig copied through pickle (a third of the cost).

    The copy is the one ``DictConfig.__deepcopy__`` makes: the node's parent is kept, not
    copied, and its children hang from the copy (HydraConfig's ``hydra`` node, whose parent is
    the job's configuration, then hangs from the copied root, as with ``copy.deepcopy``). The
    parents are detached only while pickling, so nothing outside the node is pickled."""
    if memo is not None or type(obj) is not DictConfig or not isinstance(
            obj.__dict__.get("_content"), dict):
        return copy.deepcopy(obj, memo)
    parent = obj.__dict__["_parent"]
    children = list(obj.__dict__["_content"].values())
    parents = [child.__dict__["_parent"] for child in children]
    try:
        obj.__dict__["_parent"] = None
        for child in children:
            child.__dict__["_parent"] = obj
        blob = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - anything pickle cannot copy, deepcopy does
        blob = None
    finally:
        obj.__dict__["_parent"] = parent
        for child, p in zip(children, parents, strict=True):
            child.__dict__["_parent"] = p
    if blob is None:
        return copy.deepcopy(obj)
    res = pickle.loads(blob)  # noqa: S301 - our own pickle, made just above
    res.__dict__["_parent"] = parent
    return res


def _run_job_copy(obj, memo=None):
    """``copy.deepcopy`` for Hydra's ``run_job`` (its only use of ``copy``): :func:`deepcopy`,
    except that the job's configuration, which ``run_job`` copies for the task and whose
    ``hydra`` node it deletes from the copy at once, is copied without that node: the copy
    holds the job's own (read-only) ``hydra`` node in its place, which ``run_job`` then
    deletes, so the task gets what Hydra gives it (the job's keys, copied) without a copy of
    the ``hydra`` node made only to be thrown away; and that HydraConfig's masked
    configuration, read only, is not copied at all."""
    content = obj.__dict__.get("_content") if type(obj) is DictConfig else None
    node = content.get("hydra") if isinstance(content, dict) else None
    if (memo is None and node is not None and obj is HydraConfig.instance().cfg
            and node._get_flag("readonly")):
        # HydraConfig's masked configuration, which run_job copies for the job's return
        # value and hydra.yaml: it holds the job's own read-only hydra node (set_config
        # below), which nothing changes, and run_job then replaces (not changes) HydraConfig's
        # configuration, so it is handed over as it is, not copied
        return obj
    if memo is not None or node is None or node.__dict__.get("_parent") is not obj:
        return deepcopy(obj, memo)
    if _TASK_READS_PLAIN.get() and _plain_entry(obj) is not None:
        # this package's task reads the job's plain values (plain_job_config), not this copy:
        # the job's own nodes, held by a new root (run_job deletes its hydra key at once)
        return _sharing_root(obj)
    obj.__dict__["_content"] = {k: v for k, v in content.items() if k != "hydra"}
    try:
        res = deepcopy(obj)
    finally:
        obj.__dict__["_content"] = content
    copied = res.__dict__["_content"]
    res.__dict__["_content"] = {k: node if k == "hydra" else copied[k] for k in content}
    return res


_FAST_COPY = types.SimpleNamespace(deepcopy=_run_job_copy)  # hydra.core.utils' ``copy``


def set_config(self: HydraConfig, cfg: DictConfig) -> None:
    """``HydraConfig.set_config`` (two or three times per job) without copying the job's
    ``hydra`` node: Hydra's steps (the node made read only, its type checked) and a masked
    configuration holding the node, whose parent stays the job's configuration, as Hydra's
    copy's does. Read only, the node cannot change through ``HydraConfig``; the job's
    configuration is the job's own (each job gets a fresh one), so nothing else changes it
    except Hydra's ``run_job``, which sets ``hydra.runtime.output_dir`` and calls this again."""
    assert cfg is not None
    OmegaConf.set_readonly(cfg.hydra, True)
    hydra_node_type = OmegaConf.get_type(cfg, "hydra")
    assert hydra_node_type is not None and issubclass(hydra_node_type, HydraConf)
    node = cfg.__dict__["_content"]["hydra"]  # the node itself, as masked_copy takes it
    masked = DictConfig(content={}, flags={"no_deepcopy_set_nodes": True})
    masked["hydra"] = node  # not copied (the flag); its parent is set back below
    masked._set_flag("no_deepcopy_set_nodes", None)
    self.cfg = masked  # type: ignore[assignment]
    self.cfg.hydra._set_parent(cfg)  # type: ignore[union-attr]


def install() -> None:
    """Use the cached composition for every multirun job composed in this process."""
    ConfigLoaderImpl.load_sweep_config = load_sweep_config  # type: ignore[method-assign]
    Sweeper.validate_batch_is_legal = validate_batch_is_legal  # type: ignore[method-assign]
    hydra_utils.copy = _FAST_COPY  # type: ignore[assignment] - run_job's only use of it
    HydraConfig.set_config = set_config  # type: ignore[method-assign]


def uninstall() -> None:
    ConfigLoaderImpl.load_sweep_config = _ORIGINAL  # type: ignore[method-assign]
    Sweeper.validate_batch_is_legal = _ORIGINAL_VALIDATE  # type: ignore[method-assign]
    hydra_utils.copy = copy
    HydraConfig.set_config = _ORIGINAL_SET_CONFIG  # type: ignore[method-assign]
