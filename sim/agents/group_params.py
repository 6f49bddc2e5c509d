"""The parameters of a group sized apart from its kind: a group built from a place's
organisation table, or a district's LIO scaled with its residents.

Such a group's ``params`` is a view over its kind's live section of the configuration
(``model.cfg.groups.<kind>``, the object a ``set_parameter`` event assigns into), not a copy
made at build: every :class:`~sim.params.GroupKindParams` field it does not own is read from
the kind each time it is used, so a mid-run change acts on it from that day, as on the kind's
other groups. Each field is one of three:

* **own**: the group's value, fixed when it is built (an organisation table row's capacity
  and funding);
* **scaled**: the kind's live value times the group's ``scale`` (its size relative to the
  kind's, fixed when it is built: money, staff and hours grow with an organisation's income or
  a district's residents); a whole number is rounded (a scaled LIO's starting volunteers);
* **the kind's**: the kind's live value (every other field).

Absent a mid-run change each value is the one the build's copy held (the same product in the
same order), so outputs are unchanged.
"""

from __future__ import annotations

import dataclasses
from operator import attrgetter

from sim.params import GroupKindParams


def _kind_value(name: str) -> property:
    """A field read from the kind's live section (``view.kind``); a C-level getter: these
    are read per referral and per group each day."""
    return property(attrgetter(f"kind.{name}"), doc=f"the kind's live {name}")


class _ScaledValue:
    """The kind's live value times the view's ``scale``."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __get__(self, view, owner=None):
        if view is None:
            return self
        return getattr(view.kind, self.name) * view.scale


class _ScaledCount(_ScaledValue):
    """The kind's live whole number times the view's ``scale``, rounded."""

    __slots__ = ()

    def __get__(self, view, owner=None):
        if view is None:
            return self
        return int(round(getattr(view.kind, self.name) * view.scale))


_DEFAULTS = GroupKindParams()
FIELDS = tuple(f.name for f in dataclasses.fields(GroupKindParams))


class SizedGroupParams:
    """A group's parameters: its ``OWN`` fields its own (given when it is built), its
    ``SCALED`` fields its kind's times ``scale``, every other field its kind's, all read live
    (module docstring). Reads like a :class:`~sim.params.GroupKindParams`."""

    OWN: tuple[str, ...] = ()
    SCALED: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if (set(cls.OWN) | set(cls.SCALED)) - set(FIELDS) or set(cls.OWN) & set(cls.SCALED):
            raise TypeError(f"{cls.__name__}: OWN and SCALED must be distinct fields of "
                            "GroupKindParams")
        for name in FIELDS:
            if name in cls.OWN:  # the instance's own value (set in __init__)
                continue
            if name in cls.SCALED:
                whole = type(getattr(_DEFAULTS, name)) is int
                setattr(cls, name, (_ScaledCount if whole else _ScaledValue)(name))
            else:
                setattr(cls, name, _kind_value(name))

    def __init__(self, kind: GroupKindParams, scale: float, **own):
        if set(own) != set(self.OWN):
            raise TypeError(f"{type(self).__name__} takes its own values of exactly "
                            f"{', '.join(self.OWN) or 'no field'}")
        self.kind = kind  # the kind's live section: model.cfg.groups.<kind>
        self.scale = scale
        self.__dict__.update(own)

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in FIELDS)
        return f"{type(self).__name__}(scale={self.scale!r}, {values})"


class TableGroupParams(SizedGroupParams):
    """A charity or community group from a place's organisation table: its row's capacity
    (client places of its paid staff at full establishment) and funding are its own; its paid
    staff, running costs and volunteer-management hours are its kind's times ``scale`` (its
    funding / the kind's funding when it was built: an assumption, what an organisation spends
    grows with its income); everything else (costs per client and per FTE, support days,
    inclusion capacity, hours per application, ...) is its kind's."""

    OWN = ("staff_client_capacity", "annual_funding")
    SCALED = ("staff_fte", "fixed_cost_per_day", "vm_hours_per_week")


class DistrictLIOParams(SizedGroupParams):
    """A district's LIO on the places topology: its funding, running costs, management hours,
    paid staff and starting volunteers are its kind's (``groups.lio``) times ``scale`` (its
    district's residents / ``topology.lio_reference_residents``); everything else is its
    kind's. (A change of the kind's funding acts from the next yearly renewal, as for every
    group.)"""

    SCALED = ("annual_funding", "fixed_cost_per_day", "vm_hours_per_week", "staff_fte",
              "initial_volunteers")


__all__ = ["DistrictLIOParams", "SizedGroupParams", "TableGroupParams"]
