"""The money and strain of every organisation, and its volunteer-management hours, held as
model-level arrays (struct of arrays).

The daily group passes (income and spending, strain) work on whole columns at once instead of
one Python object at a time; each :class:`~sim.agents.organisations.VCSEGroup` reads and writes
its own row through properties of the same names, so there is one source of truth.
"""

from __future__ import annotations

from operator import attrgetter

import numpy as np


class GroupState:
    """Per-organisation columns: row ``k`` is ``model.organisations[k]`` (``Organisation.index``,
    the value the volunteer arrays store in ``vorg``). Rows of organisations that are not VCSE
    groups (hospital trusts) stay 0. The arrays grow (doubling) as organisations are added;
    the first ``n`` rows are in use.

    Columns:
        balance: float64, reserves (GBP).
        spent: float64, money spent since the group opened (GBP).
        strain: float64, smoothed share of demand above the group's places (0 to 1).
        unserved: float64, referrals turned away for want of room, still pressing.
        turned_away_today: int64, referrals turned away today (reset by the strain pass).
        n_trained: int64, trained volunteers (active or idle) of any organisation, closed
            ones included (refreshed daily from the volunteer arrays as one column).
        volunteer_hours: float64, free weekly hours of the group's trained volunteers
            (refreshed daily from the volunteer arrays; a change forgets its cached capacity).
        vm_hours_left: float64, volunteer-management hours of this week not yet used (any
            organisation; carried to the next day, 0 on Mondays).
        vm_contact_cover_waiting, vm_contact_cover_trained: float64, share of today's
            keeping-in-touch need met for applicants and onboarding volunteers, and for
            trained ones (any organisation; 1 until its first day of bookings).

    Mirrored columns (:func:`mirrored_column`: the organisation reads its own value as a plain
    attribute; every assignment also writes its row here), so the daily passes over all open
    groups (strain, money, places, the daily row) read columns instead of each group's
    attributes:
        staff_fte, extra_places, disruption, annual_funding, funding_cut: float64, as the
            groups' attributes of those names.
        vm_extra_hours_per_week: float64, volunteer-management hours of an emergency scale-up
            in force (any organisation).
        n_clients, n_disruptive: int64, clients supported, and those placed without inclusion.
        lio_support_until: int64, day the LIO's support of the group ends (-1: never given).
        kind_code: int64, the group's kind (``organisations.KIND_CODES``; -1: not a VCSE
            group, e.g. a hospital trust).
        n_staff_changes: int64, notices and hires pending (``len(staff_changes)``).
        unit_key: int64, its key in the model's by-unit indices (its unit, or -1 - district
            at place level).
        is_open, distanced, online, on_directory: bool.
    """

    FLOAT_COLUMNS = ("balance", "spent", "strain", "unserved", "volunteer_hours",
                     "vm_hours_left", "vm_contact_cover_waiting", "vm_contact_cover_trained",
                     "staff_fte", "extra_places", "disruption", "annual_funding", "funding_cut",
                     "vm_extra_hours_per_week")
    INT_COLUMNS = ("turned_away_today", "n_trained", "n_clients", "n_disruptive",
                   "lio_support_until", "kind_code", "n_staff_changes", "unit_key")
    BOOL_COLUMNS = ("is_open", "distanced", "online", "on_directory")
    UNSET = {"lio_support_until": -1, "kind_code": -1}
    """A new row's value of the columns that do not start at 0."""

    def __init__(self, rows: int = 64):
        self.n = 0
        self.add_missing_columns(rows)

    def _columns(self) -> tuple[tuple[str, type], ...]:
        return (*((name, np.float64) for name in self.FLOAT_COLUMNS),
                *((name, np.int64) for name in self.INT_COLUMNS),
                *((name, np.bool_) for name in self.BOOL_COLUMNS))

    def add_missing_columns(self, rows: int | None = None) -> list[str]:
        """Columns this object lacks, made (a new state, or one saved before they existed:
        ``CommunityModel.__setstate__`` then fills them from the organisations); returns
        their names."""
        size = rows if rows is not None else self.balance.size
        added = []
        for name, dtype in self._columns():
            if not hasattr(self, name):
                column = np.zeros(size, dtype)
                column[:] = self.UNSET.get(name, 0)
                setattr(self, name, column)
                added.append(name)
        return added

    def add_row(self) -> int:
        """A new organisation's row (all columns 0, but those of ``UNSET``): its index."""
        k = self.n
        size = self.balance.size
        if k == size:  # full: double every column
            for name, dtype in self._columns():
                old = getattr(self, name)
                grown = np.zeros(2 * size, dtype)
                grown[:size] = old
                setattr(self, name, grown)
        for name, value in self.UNSET.items():
            getattr(self, name)[k] = value
        self.n = k + 1
        return k


_NO_VALUES = np.zeros(0, np.float64)


def params_columns(model, rows: np.ndarray, names: tuple[str, ...]) -> tuple[np.ndarray, ...]:
    """The parameters ``names`` (``params.<name>``) of the organisations at ``rows`` (their
    indices, e.g. the open groups') as float64 columns in that order.

    Each parameter is kept as one column by organisation index, extended as organisations are
    added and made afresh once an event may have changed parameters (``model.capacity_epoch``,
    as the groups' cached capacities): a group's parameters are read once, not every time the
    open groups change (a closure or a new group each day made every open group's be read
    again, a cost that grew with the place's groups times their daily changes).
    Organisations without the parameter (hospital trusts) hold 0. Asked again for the same
    ``rows`` object and names with no event and no organisation added since, the columns of
    the last call are returned (the caller must not change them, nor ``rows``)."""
    orgs, epoch = model.organisations, model.capacity_epoch
    # the same rows (the model's kept arrays of its open groups' rows, which nobody changes)
    # and names asked again while nothing changed: the columns made last time
    kept = model.__dict__.setdefault("_params_for_rows", {})
    last = kept.get(names)
    if last is not None and last[0] is rows and last[1] == epoch and last[2] == len(orgs):
        return last[3]
    out = tuple(column[rows] for column in params_by_index(model, names))
    kept[names] = (rows, epoch, len(orgs), out)  # rows held here: its identity stays its own
    return out


def params_by_index(model, names: tuple[str, ...]) -> tuple[np.ndarray, ...]:
    """The parameters ``names`` of every organisation as float64 columns by organisation index
    (what :func:`params_columns` selects rows from; the caller must not change them), made
    afresh once an event may have changed parameters (``model.capacity_epoch``) and
    extended by the organisations added since they were made."""
    orgs, epoch = model.organisations, model.capacity_epoch
    cache = model.__dict__.setdefault("_params_by_row", {})
    out = []
    for name in names:
        hit = cache.get(name)
        if hit is None or hit[0] != epoch or hit[1].size < len(orgs):
            known = hit[1] if hit is not None and hit[0] == epoch else _NO_VALUES
            added = np.array([getattr(o.params, name) if hasattr(o, "params") else 0.0
                              for o in orgs[known.size:]],  # a group lacking one: an error
                             np.float64)
            # the organisations added since: only theirs read (a new group a day in a large
            # place would otherwise make every column again)
            hit = cache[name] = (epoch, np.concatenate((known, added)))
        out.append(hit[1])
    return tuple(out)


def state_column(name: str, doc: str, sets_capacity: bool = False) -> property:
    """An organisation attribute stored in its row of the model's :class:`GroupState` column
    ``name`` (the organisation's ``group_state``); reads give Python numbers, as a plain
    attribute would. ``sets_capacity``: a change of value forgets the group's cached capacity
    (``forget_capacity``)."""

    def get(self):
        return getattr(self.group_state, name).item(self.index)

    def set_(self, value) -> None:
        column = getattr(self.group_state, name)
        if sets_capacity and column[self.index] != value:
            self.forget_capacity()
        column[self.index] = value

    return property(get, set_, doc=doc)


def mirrored_column(name: str, doc: str, forgets_capacity: bool = False, epoch: str = ""
                    ) -> property:
    """An organisation attribute read as a plain attribute (its slot ``_<name>``, as fast as
    one) whose every assignment also writes the organisation's row of the :class:`GroupState`
    column ``name``, so the column always holds what the attribute holds and the daily passes
    over all groups read it at once. ``forgets_capacity``: a change of value forgets the
    group's cached capacity (``VCSEGroup.capacity`` depends on it). ``epoch``: a change of
    value (not the first one given) adds 1 to that attribute of the model, whose caches
    depending on this one hold while it stands."""
    slot = "_" + name

    if epoch:
        def set_(self, value) -> None:
            old = getattr(self, slot, None)
            if old is not None and old != value:
                model = self.model
                setattr(model, epoch, getattr(model, epoch, 0) + 1)
            setattr(self, slot, value)
            getattr(self.group_state, name)[self.index] = value
    elif forgets_capacity:
        def set_(self, value) -> None:
            if getattr(self, slot, None) != value:
                self._capacity_epoch = -1
            setattr(self, slot, value)
            getattr(self.group_state, name)[self.index] = value
    else:
        def set_(self, value) -> None:
            setattr(self, slot, value)
            getattr(self.group_state, name)[self.index] = value

    return property(attrgetter(slot), set_, doc=doc)


def fill_mirrored_columns(organisation) -> None:
    """Writes an organisation's mirrored attributes (:func:`mirrored_column`) to its rows: for
    one unpickled from a save made before they were columns, whose values are plain entries
    of its ``__dict__`` (moved to their slots) or slots of the same name."""
    for name in dir(type(organisation)):
        prop = getattr(type(organisation), name, None)
        if not isinstance(prop, property) or getattr(prop.fset, "__qualname__", "").split(
                ".")[0] != "mirrored_column":
            continue
        state = organisation.__dict__
        if name in state:
            value = state.pop(name)
        elif "_" + name in state:
            value = state["_" + name]
        elif name in GroupState.UNSET:  # never set (no LIO support given): its default
            value = GroupState.UNSET[name]
        else:
            continue
        setattr(organisation, name, value)


__all__ = ["GroupState", "fill_mirrored_columns", "mirrored_column", "params_by_index",
           "params_columns", "state_column"]
