"""The emergency response and joint working, every day.

The emergency actors (:mod:`sim.agents.emergency_actors`) act in turn: each mobilises through
the stages of its own structure and then takes on vulnerable residents as its coordination
hours and the volunteers it can reach allow (003:67-70, 003:119-132, 003:154-190). Once the
LRF volunteering cell is mobilised, volunteer management scales up (far less than supply,
003:224-226).

Joint working builds ties (003:61, 003:308-314; 000:132): every case a GP practice and a VCSE
group handle together (a health referral the group accepts, an emergency case one of its
volunteers delivers) may tie them while the practice has partnership hours for one more tie
(000:92), and any GP-VCSE tie lapses after a year without use. In an emergency the volume of
joint work rises and, where the emergency event states a ``tie_upkeep_factor`` below 1 (the
lockdown: the administrative blockages set aside, 000:132, 003:308-310), a tie takes fewer hours
to keep up (``emergency.tie_upkeep_factor``), so the same hours hold more ties
and integration accelerates; no rule forms a tie because of the crisis. When it ends the usual
cost returns and practices end the least used ties their hours no longer cover.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.agents.organisations import VCSEGroup

if TYPE_CHECKING:
    from sim.model import CommunityModel


def respond(model: CommunityModel) -> None:
    """Every day: the emergency actors act, then today's joint work may tie organisations."""
    for actor in model.emergency_actors:
        actor.step()
    lrf = model.emergency_actor("lrf_cell")
    if (model.cfg.emergency.active and lrf.emergency_for == model.emergency_start >= 0
            and model.day >= lrf.mobilised_day):
        if model.response_mobilised_day < model.emergency_start:
            model.response_mobilised_day = model.day
        model.processing_multiplier = model.cfg.emergency.processing_multiplier
    joint_work_ties(model)
    suspended_groups_lose_volunteers(model)


def suspended_groups_lose_volunteers(model: CommunityModel) -> None:
    """A suspended group whose volunteers have all drifted away (idle, goodwill gone) does
    not come back: it closes for good (003:298-304). Money can also run out while it is
    suspended (its running costs go on). The suspended ones are found from the groups'
    column (most days in most places there are none), in group order."""
    for g in _suspended_groups(model):
        if g.is_open and g.n_trained == 0:
            g.close("volunteers lost while suspended")


def _suspended_groups(model: CommunityModel) -> list[VCSEGroup]:
    """The open groups that are suspended (``distanced``), in group order: found from the
    groups' column, and kept while the open groups are the same list and no group's
    suspension has changed (``model.reach_epoch``, which every change of ``distanced``
    moves). The list is a snapshot: a group in it may close while it is gone through."""
    groups, epoch = model.open_groups(), model.__dict__.get("reach_epoch", 0)
    cached = model.__dict__.get("_suspended_groups")
    if cached is None or cached[0] is not groups or cached[1] != epoch:
        rows = model.open_group_rows()  # the rows of groups, in its order
        cached = model._suspended_groups = (groups, epoch, [
            groups[k] for k in np.flatnonzero(model.group_state.distanced[rows]).tolist()])
    return cached[2]


def stand_down(model: CommunityModel) -> None:
    """The emergency is over: volunteer management returns to its normal capacity."""
    model.processing_multiplier = 1.0


def joint_work_ties(model: CommunityModel) -> None:
    """Today's joint cases may tie a practice and a group; ties are kept up with the
    practice's partnership hours and lapse when unused.

    A joint case with a group the practice is tied to is a use of the tie; with one it is not
    tied to, it ties them with ``p_tie_per_joint_case`` if the practice's partnership hours
    cover one more tie (``gp.tie_upkeep_hours_per_week`` each, 000:92). Every GP-VCSE tie,
    whatever made it (the practice's own, a locality officer's brokering, joint work), lapses
    after ``joint_tie_lapse_days`` without use (a joint case, or the practice signposting a
    patient to the group), freeing its hours. So a practice keeps the ties it uses most, as
    many as its hours keep up, and the degree reaches a stationary state."""
    e = model.cfg.emergency
    day = model.day
    last_use = model.tie_last_use
    cases, model.joint_cases_today = model.joint_cases_today, []
    # one draw per joint case, on its own stream, before anything about the practice, the
    # group or their tie is checked: paired scenarios whose ties or hours differ keep this
    # stream (and the emergency stream, which mutual aid and distancing draw on) in step
    draws = model.streams.joint_ties.random(len(cases)) if cases else ()
    for (gp_index, org_index), u in zip(cases, draws, strict=True):
        group = model.organisations[org_index]
        if not isinstance(group, VCSEGroup) or not group.is_open:
            continue
        model.count("new_joint_work_cases")
        key = (gp_index, org_index)
        if key in last_use:
            last_use[key] = day
            continue
        if u < e.p_tie_per_joint_case and model.tie_practice(model.gp_practices[gp_index],
                                                             group):
            model.count("new_joint_work_ties")
    if day % 7 == 0:
        for key, last in list(last_use.items()):
            if day - last <= e.joint_tie_lapse_days:
                continue
            model.untie_practice(model.gp_practices[key[0]], key[1])
            model.count("new_joint_work_ties_lapsed")
    drop_ties_beyond_hours(model)
    if not model.burning_in:  # the day's flows are not counted in the burn-in
        hours = sum(gp.partnership_hours_today() for gp in model.gp_practices)
        model.count("new_gp_partnership_hours", hours)


def drop_ties_beyond_hours(model: CommunityModel) -> None:
    """Daily, a practice whose ties take more than its partnership hours (a tie's upkeep rose
    back to its usual cost when an emergency ended, ``emergency.tie_upkeep_factor``, or a
    ``set_parameter`` event raised it) ends its least recently used ties until its hours
    cover the rest, on the day the cost rises and before the day's hours are booked: the
    crisis ties it keeps are the ones still in use (003:312-314)."""
    last_use = model.tie_last_use
    for gp in model.gp_practices:
        if gp.partnership_load() <= gp.partnership_hours + 1e-9:
            continue
        for k in sorted(gp.vcse_ties, key=lambda k: (last_use.get((gp.index, k), -1), k)):
            model.untie_practice(gp, k)
            model.count("new_gp_ties_dropped_no_hours")
            if gp.partnership_load() <= gp.partnership_hours + 1e-9:
                break
