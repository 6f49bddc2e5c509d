"""Burnt-in states: build a model once, reuse it for every run that starts from the same place.

A run's burn-in (``run.burn_in_days`` under baseline conditions, no events) depends only on the
world (topology, every parameter), the seed and replicate, and the code; not on the scenario's
events, the run length or how outputs are written. :func:`build_model` keys a saved state by
exactly that, so the scenarios and replicates of a sweep that share a world pay for its burn-in
once, and scenario comparisons start from identical states (common random numbers).

The saved states are pickles. A pickle can run code when it is loaded, so a state is only
loaded if it carries an HMAC made with this user's own key (:mod:`sim.signed`): a folder
handed over by someone else is never trusted, its states are simply rebuilt.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import logging
import os
import pickle
from functools import lru_cache
from pathlib import Path

from filelock import FileLock

from sim import signed
from sim.model import CommunityModel
from sim.params import Config, validate

log = logging.getLogger("sim.burn_in")

# Run-control and scenario keys that do not change the burnt-in state.
NOT_IN_BURN_IN = {"run": ("days", "plots", "overwrite", "collect", "area_period_days",
                          "burn_in_cache", "allow_late_events", "allow_large"),
                  "scenario": ("name", "description")}


def enters_burn_in(key: str) -> bool:
    """Whether the dotted configuration ``key`` (``need.p_hidden``, ``run.days``) is part of
    what :func:`burn_in_key` hashes: every key but the events and :data:`NOT_IN_BURN_IN`."""
    section, _, name = key.partition(".")
    return section != "events" and name not in NOT_IN_BURN_IN.get(section, ())


def default_cache_dir() -> Path:
    """The user's cache folder for burnt-in states (``$XDG_CACHE_HOME`` or ``~/.cache``)."""
    return signed.cache_root() / "burn_in"


@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of the model's source files and the numeric libraries' versions."""
    from importlib import metadata

    h = hashlib.sha256()
    root = Path(__file__).resolve().parent
    for path in sorted(root.rglob("*.py")):
        if "dashboard" in path.parts or "experiments" in path.parts:
            continue
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    for name in ("numpy", "mesa", "networkx", "scipy"):
        try:
            h.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            pass
    return h.hexdigest()


def burn_in_key(cfg: Config) -> str:
    """What the burnt-in state depends on, hashed: the world, seed, replicate, burn-in length
    and the code (not the events, run length or output options)."""
    plain = json.loads(json.dumps(dataclasses.asdict(cfg), default=str, sort_keys=True))
    plain.pop("events", None)
    for section, keys in NOT_IN_BURN_IN.items():
        for k in keys:
            plain.get(section, {}).pop(k, None)
    files = {}
    user_files = {"file": ("graph_file", "population_file"),
                  "places": ("place_file", "practice_file", "registration_file",
                             "organisation_file"),
                  "county": ("county_area_file",)}  # the template its areas are drawn from
    if cfg.topology.kind in user_files:  # the world is in the user's files: their bytes count
        from sim.topology.places import resolve

        for key in user_files[cfg.topology.kind]:
            if not getattr(cfg.topology, key):
                continue  # an optional table left out
            path = resolve(getattr(cfg.topology, key))
            try:
                files[key] = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                files[key] = "unreadable"
    text = json.dumps({"config": plain, "code": code_version(), "files": files}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _load(path: Path) -> CommunityModel | None:
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    body = signed.verify(blob)
    if body is None:
        log.warning("ignoring %s: not a burnt-in state saved by this user", path)
        return None
    return pickle.loads(body)  # noqa: S301 - authenticated above


def _save(model: CommunityModel, path: Path) -> None:
    from sim.io import atomic_write

    body = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    atomic_write(path, signed.sign(body))  # the umask's mode: colleagues may read, only we sign


def adopt(model: CommunityModel, cfg: Config) -> CommunityModel:
    """Give a burnt-in ``model`` the run's scenario: events, run length and outputs. Only keys
    outside :func:`burn_in_key` differ, and they are copied in place (agents keep references
    to the parameter sections)."""
    model.cfg.run = copy.deepcopy(cfg.run)
    model.cfg.scenario = copy.deepcopy(cfg.scenario)
    model.cfg.events = copy.deepcopy(cfg.events)
    from sim import events

    model.timeline = events.Timeline.from_config(model.cfg.events)
    model.timeline.check_against(model)
    return model


def build_model(config: Config | None = None, cache_dir: str | Path | None = None
                ) -> CommunityModel:
    """A model at output day 0: built and burnt in, or a saved burnt-in state adopted.

    ``cache_dir`` (default ``config.run.burn_in_cache``; empty: no cache) is where states are
    saved and looked up. Outputs are byte-identical either way."""
    cfg = validate(copy.deepcopy(config) if config is not None else Config())
    folder = cache_dir if cache_dir is not None else cfg.run.burn_in_cache
    if not folder or cfg.run.burn_in_days == 0:
        return CommunityModel(cfg, owned_config=True)  # this copy is the model's
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{burn_in_key(cfg)}.state"
    with FileLock(str(path) + ".lock"):
        model = _load(path) if path.is_file() else None
        if model is None:
            model = CommunityModel(cfg, start=False, owned_config=True)  # the model's copy
            try:
                _save(model, path)
            except OSError as exc:
                log.warning("could not save the burnt-in state to %s: %s", path, exc)
        else:
            os.utime(path)  # most recently used
            adopt(model, cfg)
    if folder == default_cache_dir():
        prune(folder, USER_CACHE_KEEP)
    model.start_output()
    return model


USER_CACHE_KEEP = 16
"""Burnt-in states kept in the user's cache (the most recently used; sweep folders keep all)."""


def prune(folder: Path, keep: int) -> None:
    """Remove all but the ``keep`` most recently used states in ``folder``."""
    states = sorted(folder.glob("*.state"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in states[keep:]:
        old.unlink(missing_ok=True)
        Path(str(old) + ".lock").unlink(missing_ok=True)
