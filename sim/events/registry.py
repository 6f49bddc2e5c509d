"""The event registry: kinds by name, each validating its parameters; timelines.

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

from sim.params import ConfigError, check_number

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
    check: Callable[[dict, str], None] | None = None  # extra validation of the params
    check_model: Callable[[CommunityModel, dict, str], None] | None = None  # ... against a model


REGISTRY: dict[str, EventKind] = {}


def register(name: str, check: Callable[[dict, str], None] | None = None,
             check_model: Callable[[CommunityModel, dict, str], None] | None = None, **args: Arg):
    """Decorator: register ``fn(model, params)`` as event kind ``name``. ``check(params, key)``
    may validate the parameters further; ``check_model(model, params, key)`` against the built
    model (e.g. a unit index) - both before the first day."""

    def wrap(fn):
        REGISTRY[name] = EventKind(name, fn, args, (fn.__doc__ or "").strip(), check,
                                   check_model)
        return fn

    return wrap


@dataclass
class Event:
    day: int
    kind: str
    params: dict = field(default_factory=dict)
    key: str = "events"  # where it came from in the configuration (for error messages)


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
        if arg.type in (int, float):  # finite, <= hi (DEFAULT_HI when none is declared)
            check_number(k, value, None, arg.hi)
        out[name] = value
    if REGISTRY[ev.kind].check is not None:
        REGISTRY[ev.kind].check(out, key)
    return Event(ev.day, ev.kind, out, key)


class Timeline:
    """Events by day, validated up front."""

    def check_against(self, model: CommunityModel) -> None:
        """Validate every event against the built model before the first day."""
        for evs in self.by_day.values():
            for ev in evs:
                kind = REGISTRY[ev.kind]
                if kind.check_model is not None:
                    kind.check_model(model, ev.params, ev.key)

    def __init__(self, evs: list[Event]):
        self.by_day: dict[int, list[Event]] = {}
        for ev in evs:
            self.by_day.setdefault(ev.day, []).append(ev)

    @classmethod
    def from_config(cls, entries: list | dict) -> Timeline:
        """Events from ``cfg.events``: a mapping name -> entry (keys ``events.NAME``) or a
        list (keys ``events[K]``); same-day events apply in the order given."""
        if isinstance(entries, dict):
            keyed = [(f"events.{name}", e) for name, e in entries.items()]
        else:
            keyed = [(f"events[{k}]", e) for k, e in enumerate(entries or [])]
        evs = []
        for key, entry in keyed:
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
    """Apply the events dated today (in output days: day 0 is the end of the burn-in)."""
    for ev in model.timeline.by_day.get(model.output_day, []):
        apply(model, ev)


def apply(model: CommunityModel, ev: Event) -> None:
    ev = check_event(ev, ev.key)
    try:
        REGISTRY[ev.kind].apply(model, ev.params)
    except ConfigError as exc:  # kinds name the bare prefix ``events``: name this event
        if ev.key == "events" or not (exc.key == "events" or exc.key.startswith("events.")):
            raise
        raise ConfigError(ev.key + exc.key[len("events"):],
                          str(exc)[len(exc.key) + 2:]) from exc
    model.capacity_epoch += 1  # parameters may have changed: groups' capacities afresh
    model.count("new_events")
    model.event_log.append({"day": model.output_day, "kind": ev.kind,
                            "params": dict(ev.params)})


def event_kinds() -> list[dict]:
    """The registered kinds with their parameters (for docs, CLI help and the dashboard)."""
    return [{"kind": k.name, "doc": k.doc,
             "params": {n: dataclasses.asdict(a) | {"type": a.type.__name__}
                        for n, a in k.args.items()}}
            for k in sorted(REGISTRY.values(), key=lambda k: k.name)]
