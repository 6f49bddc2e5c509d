"""The emergency response and joint working, every day.

The emergency actors (:mod:`sim.agents.emergency_actors`) act in turn: each mobilises through
the stages of its own structure and then takes on vulnerable residents as its coordination
hours and the volunteers it can reach allow (003:67-70, 003:119-132, 003:154-190). Once the
LRF volunteering cell is mobilised, volunteer management scales up (far less than supply,
003:224-226).

Joint working builds ties (003:61, 003:308-314; 000:132): every case a GP practice and a VCSE
group handle together (a health referral the group accepts, an emergency case one of its
volunteers delivers) may tie them, and a tie formed this way lapses after a year without a
joint case. In an emergency the volume of joint work rises, so integration accelerates without
a crisis-only rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
    suspended (its running costs go on)."""
    for g in model.open_groups():  # kept as it was while groups close
        if g.distanced and g.is_open and g.n_trained == 0:
            g.close("volunteers lost while suspended")


def stand_down(model: CommunityModel) -> None:
    """The emergency is over: volunteer management returns to its normal capacity."""
    model.processing_multiplier = 1.0


def joint_work_ties(model: CommunityModel) -> None:
    """Today's joint cases may tie a practice and a group; ties without joint work lapse."""
    e = model.cfg.emergency
    rng = model.streams.emergency
    day = model.day
    cases, model.joint_cases_today = model.joint_cases_today, []
    for gp_index, org_index in cases:
        group = model.organisations[org_index]
        if not isinstance(group, VCSEGroup) or not group.is_open:
            continue
        model.count("new_joint_work_cases")
        key = (gp_index, org_index)
        if key in model.joint_ties:
            model.joint_ties[key] = day
            continue
        gp = model.gp_practices[gp_index]
        if org_index in gp.vcse_ties or rng.random() >= e.p_tie_per_joint_case:
            continue
        gp.vcse_ties.append(org_index)
        model.add_tie(gp, group)
        model.joint_ties[key] = day
        model.count("new_joint_work_ties")
    if day % 7:
        return
    for key, last in list(model.joint_ties.items()):
        if day - last <= e.joint_tie_lapse_days:
            continue
        del model.joint_ties[key]
        gp = model.gp_practices[key[0]]
        if key[1] in gp.vcse_ties:
            gp.vcse_ties.remove(key[1])
            group = model.organisations[key[1]]
            model.remove_tie(gp, group)
            model.count("new_joint_work_ties_lapsed")
