"""Keyword parameters of :class:`sim.CommunityModel`, as Mesa's tools pass them.

``mesa.batch_run(CommunityModel, parameters={...}, rng=[...])`` and Mesa's Solara pages build a
model from keyword arguments. They map onto the configuration like this:

- a dotted parameter key, given through a mapping (``**{"link_worker.caseload_cap": 20}``, which
  is what ``batch_run`` does with ``parameters={"link_worker.caseload_cap": [20, 40]}``) or with
  ``__`` for ``.`` (``link_worker__caseload_cap=20``): that parameter (``sim/params.py``);
- ``days=``, ``replicate=``: ``run.days``, ``run.replicate``;
- ``topology="rural"``, ``scenario="lockdown"`` (or a list of scenarios) and ``overrides=[...]``
  (command-line override strings, e.g. ``"+events.cut={day: 9, kind: funding_cut}"``): the
  configuration is composed from ``configs/`` as the command line would (``sim.configure``,
  milliseconds; through Hydra, about a second, only when ``overrides`` are given);
- ``rng=`` / ``seed=`` (Mesa's seed arguments): the run's base seed ``run.seed``
  (:func:`seed_from_rng`).

Without any of these the model is built from ``config`` (default ``Config()``) exactly as before.
A key that is none of these is refused with a :class:`~sim.params.ConfigError` naming it and
listing what is allowed; values are checked like any configuration.
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np

from sim.params import Config, ConfigError, validate

ALIASES = {"days": "run.days", "replicate": "run.replicate"}
"""Short keyword names for run-control keys."""

GROUPS = ("topology", "scenario")
"""Keyword names that choose config files (``configs/topology``, ``configs/scenario``)."""

SEED_MAX = 2**63 - 1  # run.seed's upper bound (sim.params.RunParams)

ALLOWED = ("dotted parameter keys (link_worker.caseload_cap, or link_worker__caseload_cap), "
           "days, replicate, topology, scenario, overrides, rng or seed, config")


def seed_from_rng(rng: Any, key: str = "rng") -> int:
    """The base seed (``run.seed``) that a Mesa ``rng=`` / ``seed=`` value stands for.

    A whole number is the seed itself (``rng=7`` is ``run.seed=7``). A ``SeedSequence`` or a
    sequence of whole numbers gives the first 63 bits of its generated state; a numpy
    ``Generator`` or ``BitGenerator`` gives one draw from it (so the caller's generator decides
    the seed, and advances by one draw). From the seed, every random process draws from its own
    named stream (:mod:`sim.rng`), so one value decides every output byte.
    """
    if isinstance(rng, bool):
        raise ConfigError(key, f"must be a whole number seed, a SeedSequence or a numpy "
                               f"Generator (got {rng!r})")
    if isinstance(rng, numbers.Integral):
        value = int(rng)
        if not 0 <= value <= SEED_MAX:
            raise ConfigError(key, f"must be between 0 and {SEED_MAX} (got {value})")
        return value
    if isinstance(rng, np.random.BitGenerator):
        rng = np.random.Generator(rng)
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(0, SEED_MAX, endpoint=True))
    if isinstance(rng, np.random.SeedSequence):
        seq = rng
    elif (isinstance(rng, list | tuple) and rng
          and all(isinstance(x, numbers.Integral) and not isinstance(x, bool) and x >= 0
                  for x in rng)):
        seq = np.random.SeedSequence([int(x) for x in rng])
    else:
        raise ConfigError(key, f"must be a whole number seed, a sequence of whole numbers >= 0, "
                               f"a SeedSequence or a numpy Generator (got {rng!r})")
    return int(seq.generate_state(1, np.uint64)[0] >> np.uint64(1))


def _dotted(name: str) -> str:
    if name in ALIASES:
        return ALIASES[name]
    return name.replace("__", ".")


def _unknown(key: str) -> ConfigError:
    from sim.replay import close_matches, parameter_keys

    return ConfigError(key, f"is not a keyword parameter{close_matches(key, parameter_keys())}; "
                            f"allowed: {ALLOWED}")


def set_dotted(cfg: Config, key: str, value: Any, given: str) -> None:
    """Set dotted ``key`` on ``cfg`` in place (``given``: the name the caller used)."""
    *path, leaf = key.split(".")
    node: Any = cfg
    for part in path:
        if part.startswith("_") or not hasattr(node, part):
            raise _unknown(given)
        node = getattr(node, part)
    if leaf.startswith("_") or not hasattr(node, leaf) or (
            hasattr(node, "__dataclass_fields__") and leaf not in node.__dataclass_fields__):
        raise _unknown(given)
    if hasattr(getattr(node, leaf), "__dataclass_fields__"):
        raise ConfigError(given, "is a section, not a parameter: set its keys "
                                 f"({key}.<name>=...)")
    setattr(node, leaf, value)


def _compose(topology: Any, scenario: Any, overrides: Any) -> Config:
    from sim.config import compose

    lines: list[str] = []
    if topology is not None:
        if not isinstance(topology, str):
            raise ConfigError("topology", f"must be a topology name from configs/topology "
                                          f"(got {topology!r})")
        lines.append(f"topology={topology}")
    if scenario is not None:
        names = [scenario] if isinstance(scenario, str) else scenario
        if not (isinstance(names, list | tuple) and names
                and all(isinstance(n, str) for n in names)):
            raise ConfigError("scenario", "must be a scenario name from configs/scenario or a "
                                          f"list of them (got {scenario!r})")
        lines.append(f"scenario={names[0]}" if len(names) == 1
                     else f"scenario=[{','.join(names)}]")
    if overrides is not None:
        more = [overrides] if isinstance(overrides, str) else overrides
        if not (isinstance(more, list | tuple) and all(isinstance(o, str) for o in more)):
            raise ConfigError("overrides", "must be a list of command-line override strings "
                                           f"(got {overrides!r})")
        lines += list(more)
    if overrides is None:  # file choices only: the same configuration without Hydra (ms, not s)
        from sim.scenarios import configure

        return configure(**{k: v for k, v in (("topology", topology), ("scenario", scenario))
                            if v is not None})
    return compose(lines)


def config_from_keywords(config: Config | None, params: Mapping[str, Any], *,
                         rng: Any = None, seed: Any = None) -> Config:
    """A validated copy of ``config`` (default ``Config()``) with Mesa-style keyword
    parameters, ``rng`` and ``seed`` applied (see the module docstring). The caller's
    ``config`` is never changed."""
    params = dict(params)
    if rng is not None and seed is not None:
        raise ConfigError("rng", "give either rng or seed, not both (as in Mesa)")
    groups = {name: params.pop(name) for name in (*GROUPS, "overrides") if name in params}
    if groups:
        if config is not None:
            raise ConfigError(next(iter(groups)),
                              "chooses config files, so it cannot be combined with a config "
                              "object; set dotted keys (e.g. topology.n_residents) instead")
        cfg = _compose(groups.get("topology"), groups.get("scenario"), groups.get("overrides"))
    else:
        cfg = copy.deepcopy(config) if config is not None else Config()
    dotted: dict[str, str] = {}
    for name, value in params.items():
        if not isinstance(name, str) or not name:
            raise ConfigError(str(name), f"is not a keyword parameter; allowed: {ALLOWED}")
        key = _dotted(name)
        if key in dotted:
            raise ConfigError(name, f"sets {key}, which {dotted[key]!r} sets too")
        dotted[key] = name
        set_dotted(cfg, key, value, name)
    chosen = rng if rng is not None else seed
    if chosen is not None:
        if "run.seed" in dotted:
            raise ConfigError("rng", f"and {dotted['run.seed']} both set run.seed; give one")
        cfg.run.seed = seed_from_rng(chosen, "rng" if rng is not None else "seed")
    return validate(cfg)
