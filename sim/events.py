"""Timed events (injects): a registry of event kinds by name, each validating its parameters.

A scenario is a baseline configuration plus a list of ``{day, kind, params}`` entries. The
same :func:`apply` serves a scenario timeline, a sweep and a live war-game
(``model.apply_event(kind, params)``). Events draw random numbers only from the ``events``
stream and only when they fire, so an event that never fires leaves the run unchanged.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.params import ConfigError, iter_params, validate

if TYPE_CHECKING:
    from sim.model import CommunityModel


@dataclass(frozen=True)
class Arg:
    """One event parameter: type, default and allowed range."""

    type: type
    default: Any = None
    lo: float | None = None
    hi: float | None = None
    choices: tuple | None = None
    meaning: str = ""


@dataclass
class EventKind:
    name: str
    apply: Callable[[CommunityModel, dict], None]
    args: dict[str, Arg]
    doc: str


REGISTRY: dict[str, EventKind] = {}


def register(name: str, **args: Arg):
    """Decorator: register ``fn(model, params)`` as event kind ``name``."""

    def wrap(fn):
        REGISTRY[name] = EventKind(name, fn, args, (fn.__doc__ or "").strip())
        return fn

    return wrap


@dataclass
class Event:
    day: int
    kind: str
    params: dict = field(default_factory=dict)


def check_event(ev: Event, key: str = "events") -> Event:
    """Validate an event; raise ConfigError naming it and what is allowed."""
    if ev.kind not in REGISTRY:
        raise ConfigError(f"{key}.kind", f"unknown event kind {ev.kind!r}; known kinds: "
                                         f"{', '.join(sorted(REGISTRY))}")
    if not isinstance(ev.day, int) or isinstance(ev.day, bool) or ev.day < 0:
        raise ConfigError(f"{key}.day", f"must be a whole number >= 0 (got {ev.day!r})")
    spec = REGISTRY[ev.kind].args
    unknown = set(ev.params) - set(spec)
    if unknown:
        raise ConfigError(f"{key}.params.{sorted(unknown)[0]}",
                          f"not a parameter of {ev.kind!r}; allowed: "
                          f"{', '.join(sorted(spec)) or 'none'}")
    out = {}
    for name, arg in spec.items():
        value = ev.params.get(name, arg.default)
        k = f"{key}.params.{name}"
        if value is None:
            raise ConfigError(k, f"is required for {ev.kind!r} ({arg.meaning})")
        if arg.type is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, arg.type) or (arg.type in (int, float)
                                               and isinstance(value, bool)):
            raise ConfigError(k, f"must be {arg.type.__name__} (got {value!r})")
        if arg.choices is not None and value not in arg.choices:
            raise ConfigError(k, f"must be one of {', '.join(map(str, arg.choices))} "
                                 f"(got {value!r})")
        if arg.lo is not None and value < arg.lo:
            raise ConfigError(k, f"must be >= {arg.lo} (got {value!r})")
        if arg.hi is not None and value > arg.hi:
            raise ConfigError(k, f"must be <= {arg.hi} (got {value!r})")
        out[name] = value
    return Event(ev.day, ev.kind, out)


class Timeline:
    """Events by day, validated up front."""

    def __init__(self, evs: list[Event]):
        self.by_day: dict[int, list[Event]] = {}
        for ev in evs:
            self.by_day.setdefault(ev.day, []).append(ev)

    @classmethod
    def from_config(cls, entries: list) -> Timeline:
        evs = []
        for k, entry in enumerate(entries or []):
            key = f"events[{k}]"
            if not isinstance(entry, dict) or "kind" not in entry or "day" not in entry:
                raise ConfigError(key, "must be a mapping with 'day', 'kind' and optional "
                                       f"'params' (got {entry!r})")
            extra = set(entry) - {"day", "kind", "params"}
            if extra:
                raise ConfigError(f"{key}.{sorted(extra)[0]}", "unknown field; an event has "
                                                               "day, kind and params")
            params = entry.get("params") or {}
            if not isinstance(params, dict):
                raise ConfigError(f"{key}.params", "must be a mapping")
            evs.append(check_event(Event(entry["day"], str(entry["kind"]), dict(params)), key))
        return cls(evs)


def apply_due(model: CommunityModel) -> None:
    for ev in model.timeline.by_day.get(model.day, []):
        apply(model, ev)


def apply(model: CommunityModel, ev: Event) -> None:
    ev = check_event(ev)
    REGISTRY[ev.kind].apply(model, ev.params)
    model.count("new_events")
    model.event_log.append({"day": model.day, "kind": ev.kind, "params": dict(ev.params)})


# ---------------------------------------------------------------------------- event kinds


@register("set_parameter", key=Arg(str, meaning="dotted parameter key, e.g. need.p_onset_per_day"),
          value=Arg(object, meaning="new value"))
def _set_parameter(model: CommunityModel, p: dict) -> None:
    """Set any model parameter from today on (validated like the configuration)."""
    keys = {k for k, _, _ in iter_params(model.cfg)}
    if p["key"] not in keys or p["key"].startswith(("run.", "topology.")):
        raise ConfigError("events.params.key", f"{p['key']!r} is not a model parameter that can "
                                               "change during a run")
    *path, last = p["key"].split(".")
    obj = model.cfg
    for part in path:
        obj = getattr(obj, part)
    old = getattr(obj, last)
    value = type(old)(p["value"]) if isinstance(old, float) and isinstance(p["value"], int) \
        else p["value"]
    setattr(obj, last, value)
    try:
        validate(model.cfg)
    except ConfigError:
        setattr(obj, last, old)
        raise
    if p["key"].startswith("need.") or p["key"].startswith("population."):
        from sim.processes.need import onset_probability

        model.onset_p = onset_probability(model)


@register("surge_campaign",
          multiplier=Arg(float, 100.0, lo=0.0, meaning="multiplier on daily applications"),
          days=Arg(int, 4, lo=1, meaning="how long the call to action runs"))
def _surge_campaign(model: CommunityModel, p: dict) -> None:
    """A call to action: applications multiply for a few days (003:228); onboarding capacity
    does not change."""
    model.cfg.volunteers.campaign_multiplier = p["multiplier"]
    model.timeline.by_day.setdefault(model.day + p["days"], []).insert(
        0, Event(model.day + p["days"], "set_parameter",
                 {"key": "volunteers.campaign_multiplier", "value": 1.0}))


@register("funding_cut",
          share=Arg(float, lo=0.0, hi=1.0, meaning="share of core funding removed"),
          target=Arg(str, "all", choices=("groups", "lio", "all"),
                     meaning="whose funding is cut"))
def _funding_cut(model: CommunityModel, p: dict) -> None:
    """Core funding of groups and/or the infrastructure organisation is cut from today."""
    from sim.agents.organisations import GroupKind

    for g in model.groups:
        is_lio = g.kind is GroupKind.LIO
        if p["target"] == "all" or (p["target"] == "lio") == is_lio:
            g.funding_cut = p["share"]


@register("emergency",
          need_multiplier=Arg(float, 2.0, lo=0.0, meaning="multiplier on need onset"),
          distancing=Arg(bool, False, meaning="face-to-face groups may close"),
          shielding=Arg(bool, False, meaning="the most vulnerable are told to shield"))
def _emergency(model: CommunityModel, p: dict) -> None:
    """A civil emergency starts: need rises, mutual aid groups may form, and with distancing
    some community groups cannot operate (003:298-300)."""
    from sim.agents.organisations import GroupKind
    from sim.state import Need

    cfg = model.cfg
    cfg.emergency.active = True
    cfg.need.emergency_multiplier = p["need_multiplier"]
    rng = model.streams.events
    if p["distancing"]:
        cfg.emergency.distancing = True
        for g in model.groups:
            if g.kind is GroupKind.COMMUNITY_GROUP and g.is_open and (
                    rng.random() < cfg.emergency.p_group_closed_by_distancing):
                g.distanced = True
    if p["shielding"]:
        pop = model.pop
        score = (pop.age >= 70).astype(float) + (pop.limitation == 2) + rng.random(pop.n) * 0.5
        k = int(round(cfg.emergency.shielded_share * pop.n))
        idx = np.argsort(-score, kind="stable")[:k]
        pop.shielded[idx] = True
        fresh = idx[pop.need[idx] == Need.NONE]
        pop.need[fresh] = Need.LOW
        pop.need_onset[fresh] = model.day
        pop.first_support[fresh] = -1
        pop.ever_need[fresh] = True


@register("emergency_end")
def _emergency_end(model: CommunityModel, p: dict) -> None:
    """The emergency is over: need onset returns to normal and groups reopen."""
    cfg = model.cfg
    cfg.emergency.active = False
    cfg.emergency.distancing = False
    cfg.need.emergency_multiplier = 1.0
    model.pop.shielded[:] = False
    for g in model.groups:
        g.distanced = False


@register("nhs_volunteers_stand_down")
def _stand_down(model: CommunityModel, p: dict) -> None:
    """The hospital trust stands its volunteers down (003:38, 003:146)."""
    from sim.state import VolunteerState as V

    trust = model.nhs_trust
    if trust is None:
        return
    trust.stood_down = True
    pop = model.pop
    idx = np.flatnonzero((pop.vorg == trust.index) & ((pop.vstate == V.ACTIVE)
                                                      | (pop.vstate == V.IDLE)))
    pop.vstate[idx] = V.STOOD_DOWN


@register("nhs_volunteers_return")
def _stand_up(model: CommunityModel, p: dict) -> None:
    """Stood-down hospital volunteers who kept their goodwill return."""
    from sim.state import VolunteerState as V

    trust = model.nhs_trust
    if trust is None:
        return
    trust.stood_down = False
    pop = model.pop
    idx = np.flatnonzero((pop.vorg == trust.index) & (pop.vstate == V.STOOD_DOWN))
    pop.vstate[idx] = V.ACTIVE
    pop.vlast_task[idx] = model.day


def event_kinds() -> list[dict]:
    """The registered kinds with their parameters (for docs, CLI help and the dashboard)."""
    return [{"kind": k.name, "doc": k.doc,
             "params": {n: dataclasses.asdict(a) | {"type": a.type.__name__}
                        for n, a in k.args.items()}}
            for k in sorted(REGISTRY.values(), key=lambda k: k.name)]
