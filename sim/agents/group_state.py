"""The money and strain of every organisation, and its volunteer-management hours, held as
model-level arrays (struct of arrays).

The daily group passes (income and spending, strain) work on whole columns at once instead of
one Python object at a time; each :class:`~sim.agents.organisations.VCSEGroup` reads and writes
its own row through properties of the same names, so there is one source of truth.
"""

from __future__ import annotations

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
    """

    FLOAT_COLUMNS = ("balance", "spent", "strain", "unserved", "volunteer_hours",
                     "vm_hours_left", "vm_contact_cover_waiting", "vm_contact_cover_trained")
    INT_COLUMNS = ("turned_away_today", "n_trained")

    def __init__(self, rows: int = 64):
        self.n = 0
        for name in self.FLOAT_COLUMNS:
            setattr(self, name, np.zeros(rows, np.float64))
        for name in self.INT_COLUMNS:
            setattr(self, name, np.zeros(rows, np.int64))

    def add_row(self) -> int:
        """A new organisation's row (all columns 0): its index."""
        k = self.n
        size = self.balance.size
        if k == size:  # full: double every column
            for name in (*self.FLOAT_COLUMNS, *self.INT_COLUMNS):
                old = getattr(self, name)
                grown = np.zeros(2 * size, old.dtype)
                grown[:size] = old
                setattr(self, name, grown)
        self.n = k + 1
        return k


def params_columns(model, rows: np.ndarray, names: tuple[str, ...]) -> tuple[np.ndarray, ...]:
    """The parameters ``names`` (``params.<name>``) of the organisations at ``rows`` (their
    indices, e.g. the open groups') as float64 columns in that order.

    Each parameter is kept as one column by organisation index, extended as organisations are
    added and made afresh once an event may have changed parameters (``model.capacity_epoch``,
    as the groups' cached capacities): a group's parameters are read once, not every time the
    open groups change (a closure or a new group each day made every open group's be read
    again, a cost that grew with the place's groups times their daily changes).
    Organisations without the parameter (hospital trusts) hold 0."""
    cache = model.__dict__.setdefault("_params_by_row", {})
    orgs, epoch = model.organisations, model.capacity_epoch
    out = []
    for name in names:
        hit = cache.get(name)
        if hit is None or hit[0] != epoch or hit[1].size < len(orgs):
            values = hit[2] if hit is not None and hit[0] == epoch else []
            values.extend(getattr(o.params, name) if hasattr(o, "params") else 0.0
                          for o in orgs[len(values):])  # a group lacking one: an error
            hit = cache[name] = (epoch, np.array(values, np.float64), values)
        out.append(hit[1][rows])
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


__all__ = ["GroupState", "params_columns", "state_column"]
