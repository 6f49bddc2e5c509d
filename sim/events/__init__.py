"""Timed events (injects): a registry of event kinds by name, each validating its parameters.

A scenario is a baseline configuration plus a list of ``{day, kind, params}`` entries. The
same :func:`apply` serves a scenario timeline, a sweep and a live war-game
(``model.apply_event(kind, params)``). Events draw random numbers only from the ``events``
stream and only when they fire, so an event that never fires leaves the run unchanged.

Kinds are grouped by what they act on: ``parameters`` (any parameter), ``emergencies``
(civil emergencies and hospital volunteers), ``volunteering`` (campaigns, training) and
``services`` (funding, link workers, intermediaries, commissioning).
"""

from sim.events import emergencies, parameters, services, volunteering  # noqa: E402,F401  (registers kinds)
from sim.events.registry import (
    REGISTRY,
    Arg,
    Event,
    EventKind,
    Timeline,
    apply,
    apply_due,
    check_event,
    event_kinds,
    register,
)

__all__ = ["REGISTRY", "Arg", "Event", "EventKind", "Timeline", "apply", "apply_due",
           "check_event", "event_kinds", "register"]
