"""Group capacity from staff hours, volunteer hours and money; strain; disruption.

Every day, for every open group (sources 002:17, 002:302, 002:312; 004:328-330, 004:686-692):

- **Places** come from the paid staff in post (the establishment's places pro rata), the free
  weekly hours of the group's trained volunteers at the hours each client needs
  (``VCSEGroup.capacity``), and commissioned places; money limits them too
  (``VCSEGroup.affordable_places``).
- **Staff follow money**: every ``groups.staff_review_days`` a group works out the paid staff
  its income (after any cut), its reserves above their usual level, its running costs and its
  clients' costs can pay for. Posts it cannot pay for end after ``groups.notice_days`` (paid
  meanwhile, plus redundancy pay); vacancies it can pay for are filled after
  ``groups.hiring_days``. A funding cut therefore shows in places within months, before
  reserves run out.
- **Strain**: referrals turned away for want of room press on the group (they fade over a
  support period); demand above its places, smoothed over ``groups.strain_memory_days``, is
  its strain. Strain drives paid staff out (refilled at the next review, if affordable) and
  volunteers to burn out (they lapse). A group left with no staff and no volunteers closes.
- **Disruption** (002:366-368): a complex client placed in a group without inclusion capacity
  disrupts it at once (places lost, other members may leave); the disruption decays as the
  group adapts (``groups.disruption_adaptation_days``), whether or not the client stays.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim import kernels
from sim.agents.group_state import params_by_index, params_columns
from sim.state import PATHWAY as Pathway  # plain ints: fast in numpy
from sim.state import VSTATE as V

if TYPE_CHECKING:
    from sim.agents.organisations import VCSEGroup
    from sim.model import CommunityModel

NO_STAFF_FTE = 1e-6  # below this a group has no paid staff (float rounding)
_NOBODY = np.zeros(0, np.int64)


def refresh_volunteer_hours(model: CommunityModel, among: np.ndarray | None = None
                            ) -> np.ndarray:
    """Each organisation's trained volunteers and their free weekly hours (offered, less
    ongoing roles elsewhere such as buddying); stored on the groups. Returns the trained
    counts by organisation index (the hours go to ``model.group_state.volunteer_hours``, whole
    columns at once). ``among``: a superset of the trained volunteers, in resident
    order (default: everyone)."""
    pop = model.pop
    n_org = len(model.organisations)
    everyone = among is None  # active and idle: consecutive codes
    hours, counts = kernels.free_hours_by_org(
        _NOBODY if everyone else among, everyone, pop.vstate, pop.vorg, pop.vhours_offer,
        pop.vhours_committed, V.ACTIVE, V.IDLE, n_org)
    held = model.group_state.volunteer_hours[:n_org]  # a view: written in place
    changed = np.flatnonzero(held != hours)
    if changed.size:
        held[changed] = hours[changed]
        orgs = model.organisations
        for k in changed.tolist():  # a change forgets the group's capacity
            orgs[k].forget_capacity()
    return counts


def members_leave(model: CommunityModel, group: VCSEGroup) -> None:
    """A disruptive placement starts: each other client the group supports leaves with
    ``groups.p_member_leaves_on_disruption`` (their need is unmet again)."""
    p = model.cfg.groups.p_member_leaves_on_disruption
    if p <= 0:
        return
    pop = model.pop
    # its clients in group support, in resident order (the per-group client index: no pass
    # over the population)
    clients = model.clients_of(group.index)
    members = clients[pop.pathway[clients] == Pathway.GROUP]
    if members.size == 0:
        return
    leave = members[model.streams.group_strain.random(members.size) < p]
    if leave.size == 0:
        return
    from sim.processes import need  # need imports the organisations module

    need.release_group_places(model, leave)
    pop.pathway[leave] = Pathway.NONE
    pop.matched[leave] = False
    model.count("new_group_members_left_disruption", leave.size)


def _update_strain(model: CommunityModel, groups: list[VCSEGroup], rows: np.ndarray
                   ) -> np.ndarray:
    """Strain and staff lost to it, for running ``groups`` (rows ``rows`` of the model's
    :class:`~sim.agents.group_state.GroupState`) all at once: referrals turned away press on
    a group over a support period; demand above its places, smoothed over
    ``groups.strain_memory_days``, is its strain (not while suspended); strain drives paid
    staff out (``new_group_staff_lost_strain``, each group's in group order), and
    ``new_group_turned_away`` counts the day's referrals turned away for want of room. One
    compiled call (``kernels.strain_day_start``), which also finds the groups with staff
    work today: their positions in ``groups`` are returned."""
    p = model.cfg.groups
    state = model.group_state
    capacity, usual_staff, share, support_days = params_by_index(model, _STRAIN_PARAMETERS)
    lost, turned_away, due = kernels.strain_day_start(
        rows, state.unserved, state.turned_away_today, state.strain, state.distanced,
        state.n_clients, state.staff_fte, state.extra_places, state.volunteer_hours,
        state.disruption, state.n_staff_changes, capacity, usual_staff, share, support_days,
        *_places_constants(model), float(p.strain_memory_days),
        float(p.staff_exit_per_strain_year), model.day, int(p.staff_review_days))
    model.count("new_group_turned_away", int(turned_away))  # whole referrals, counted once
    losing = (lost > 0).nonzero()[0]  # np.flatnonzero's (1-d), without its ravel
    if losing.size:
        # the kernel lowered their column (``staff_fte -= lost``, float64): the attribute
        # follows it and the group's places are worked out afresh (``mirrored_column``)
        staff = state.staff_fte
        for k in losing.tolist():
            g = groups[k]
            g._staff_fte = staff.item(g.index)
            g._capacity_epoch = -1
        model.count_each("new_group_staff_lost_strain", lost[losing])
    return due


_STRAIN_PARAMETERS = ("staff_client_capacity", "staff_fte", "volunteer_client_share",
                      "support_days")
"""The groups' parameters the strain pass reads (``params_by_index``): the first three set
their places (``kernels.group_places``)."""


def _places_constants(model: CommunityModel) -> tuple[float, float]:
    """The volunteer hours a client takes a week and ``groups.disruption_capacity_loss``, as
    ``kernels.group_places`` takes them."""
    v = model.cfg.volunteers
    return (float(v.tasks_per_client_per_week * v.group_task_hours),
            float(model.cfg.groups.disruption_capacity_loss))


def group_places(model: CommunityModel, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``VCSEGroup.capacity`` of the open groups ``rows`` (not the LIO), and the places a
    disruption costs each (``places_lost_to_disruption``), from the groups' columns in one
    compiled call (``kernels.group_places``: the same arithmetic as ``_compute_capacity``)
    instead of each group's cached value, which a change of its volunteers' hours, staff or
    disruption forgets most days."""
    state = model.group_state
    staff_capacity, staff_fte, share = params_columns(model, rows, _STRAIN_PARAMETERS[:3])
    return kernels.group_places(
        rows, state.staff_fte, state.extra_places, state.volunteer_hours, state.disruption,
        state.distanced, staff_capacity, staff_fte, share, *_places_constants(model))


def affordable_staff(model: CommunityModel, g: VCSEGroup) -> float:
    """Paid staff (FTE) the group can pay for over the coming year: income after any cut,
    less running costs and the cost of the clients it supports now, less what it takes to
    rebuild reserves below their usual level within the year (reserves are a cushion for
    notice and redundancy pay, not income to plan on); at most its establishment."""
    p = g.params
    income = g.annual_funding * (1.0 - g.funding_cut)
    usual = min(p.reserve_months, model.cfg.groups.reserve_cap_months)
    spendable = income + min(g.balance - income * usual / 12.0, 0.0)
    money = (spendable - p.fixed_cost_per_day * 365.0
             - p.cost_per_client_day * 365.0 * g.n_clients)
    fte = money / p.staff_cost_per_fte_year if p.staff_cost_per_fte_year > 0 else p.staff_fte
    return min(max(fte, 0.0), p.staff_fte)


def _review_staff(model: CommunityModel, g: VCSEGroup) -> None:
    """Give notice on posts the group cannot pay for; recruit to vacancies it can."""
    p = model.cfg.groups
    day = model.day
    target = affordable_staff(model, g)
    planned = g.staff_fte + sum(d for _, d in g.staff_changes)
    step = p.staff_change_min_share * g.params.staff_fte
    if target < p.min_viable_staff_share * g.params.staff_fte:
        g.reviews_unviable += 1
        if g.reviews_unviable >= p.fold_after_reviews:  # a persistent shortfall
            g.close("funding")
            model.count("new_groups_folded")
            return
    else:
        g.reviews_unviable = 0
    if target <= planned - step:
        g.staff_changes = [(d_day, d) for d_day, d in g.staff_changes if d < 0]  # stop hiring
        planned = g.staff_fte + sum(d for _, d in g.staff_changes)
        cut = planned - target
        if cut > 0:
            g.staff_changes = [*g.staff_changes, (day + p.notice_days, -cut)]
            model.count("new_group_staff_notices", cut)
    elif target >= planned + step:
        g.staff_changes = [*g.staff_changes, (day + p.hiring_days, target - planned)]


def _apply_staff_changes(model: CommunityModel, g: VCSEGroup) -> None:
    """Notices that expire today end posts (with redundancy pay); recruits start."""
    day = model.day
    due = [d for d_day, d in g.staff_changes if d_day <= day]
    if not due:
        return
    g.staff_changes = [(d_day, d) for d_day, d in g.staff_changes if d_day > day]
    p, gp = model.cfg.groups, g.params
    for d in due:
        if d < 0:
            ended = min(-d, g.staff_fte)
            g.staff_fte -= ended
            pay = ended * gp.staff_cost_per_fte_year * p.redundancy_weeks_pay / 52.0
            g.balance -= pay
            g.spent += pay
            model.count("new_funding_spent", pay)
            model.count("new_group_staff_made_redundant", ended)
            model.count("new_group_redundancy_pay", pay)
        else:
            hired = min(d, gp.staff_fte - g.staff_fte)
            g.staff_fte += max(hired, 0.0)
            model.count("new_group_staff_hired", max(hired, 0.0))


_GROUP_STRAIN_STREAM = ("group_strain",)


def step(model: CommunityModel) -> None:
    """The groups' day: strain, staff exits, staff reviews, notices and hires, disruption
    decay, volunteer burnout, closure of groups with no staff and no volunteers, and the
    volunteer hours that set tomorrow's places. Two compiled calls
    (``kernels.strain_day_start`` and ``kernels.strain_day_end``) with the staff pass, one
    group at a time, between them."""
    p = model.cfg.groups
    day = model.day
    running, rows = model.running_groups()
    # strain and staff lost to it; the groups with staff work today: notices or hires
    # pending, or a staff review due
    due = _update_strain(model, running, rows) if running else _NOBODY
    # one group at a time (reviews may close a group); nothing a group does here changes
    # another's
    for g in map(running.__getitem__, due.tolist()):
        if g.staff_changes:
            _apply_staff_changes(model, g)
        if g.params.staff_fte > 0 and (day + g.index) % p.staff_review_days == 0:
            _review_staff(model, g)
    _after_staff(model)


def _after_staff(model: CommunityModel) -> None:
    """The groups' day after the staff pass, in one compiled call
    (``kernels.strain_day_end``, drawing from the 'group_strain' stream as
    ``random(volunteers who could burn out)`` would):

    - disruptions in force fade (a group closed by a review has none left, ``close``);
    - trained volunteers (active or idle) of strained groups lapse (burn out), then each
      organisation's trained volunteers and their free weekly hours (offered, less ongoing
      roles elsewhere such as buddying) are stored (``group_state.volunteer_hours``);
    - groups with neither paid staff nor trained volunteers close, unless hires are pending;
    - the running groups' places from those hours, worked out in the same call, are kept as
      their cached capacity (:func:`_keep_places`; after a closure here it works them out
      afresh for the groups still running).

    The attributes follow the columns (``mirrored_column``): a change of disruption or
    volunteer hours forgets a group's places until they are kept below."""
    from sim.agents.organisations import GroupKind  # it imports this module

    lio = GroupKind.LIO
    pop, state, p = model.pop, model.group_state, model.cfg.groups
    running, rows = model.running_groups()  # after any closure in the staff pass
    groups, open_rows = model.open_groups(), model.open_group_rows()
    n_org = len(model.organisations)
    (stream,) = kernels.model_stream_handles(model, _GROUP_STRAIN_STREAM)
    capacity, usual_staff, share, _ = params_by_index(model, _STRAIN_PARAMETERS)
    (at, values, could, gone, counts, changed, empty, places, lost
     ) = kernels.strain_day_end(
        rows, state.disruption, math.exp(-1.0 / p.disruption_adaptation_days), stream,
        pop.volunteer_rows(), pop.vstate, pop.vorg, pop.vsince, state.strain,
        p.volunteer_burnout_per_strain_year / 365.0, pop.vhours_offer, pop.vhours_committed,
        state.volunteer_hours[:n_org], model.day, int(V.ACTIVE), int(V.IDLE), int(V.LAPSED),
        open_rows, state.staff_fte, NO_STAFF_FTE, state.extra_places, state.volunteer_hours,
        state.distanced, capacity, usual_staff, share, *_places_constants(model))
    for k, d in zip(at.tolist(), values.tolist(), strict=True):
        g = running[k]
        g._disruption = d
        g._capacity_epoch = -1
    if could > 0:
        model.count("new_vol_burnout", gone)
    orgs = model.organisations
    for k in changed.tolist():  # a change forgets the group's capacity
        orgs[k].forget_capacity()
    closed = False
    for k in empty.tolist():
        g = groups[k]
        if (g.is_open and g.kind is not lio
                and not any(d > 0 for _, d in g.staff_changes)):
            g.close("no_staff_or_volunteers")
            model.count("new_groups_closed_no_staff_or_volunteers")
            closed = True
    # the places worked out in the call, unless a closure here left fewer running groups
    _keep_places(model, None if closed else (places, lost))


def _keep_places(model: CommunityModel,
                 known: tuple[np.ndarray, np.ndarray] | None = None) -> None:
    """The running groups' places as their cached capacity (``VCSEGroup.capacity``), from one
    compiled call once the day's volunteer hours are set (a change of volunteers' hours
    forgot most groups' places): the values ``_compute_capacity`` would give when they are
    next asked for, so referrals do not work them out one group at a time. A suspended
    group's is left as it is (it has none while suspended); anything that changes a group's
    places later forgets them as before. ``known``: the running groups' places and places
    lost to disruption (``group_places``), if worked out since the volunteers' hours were
    set and the running groups have not changed."""
    running, rows = model.running_groups()
    if not running:
        return
    places, lost = group_places(model, rows) if known is None else known
    epoch = model.capacity_epoch
    for g, cap, gone in zip(running, places.tolist(), lost.tolist(), strict=True):
        if not g.distanced:
            g._capacity, g._capacity_lost, g._capacity_epoch = cap, gone, epoch
