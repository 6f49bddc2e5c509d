"""Event kinds for civil emergencies: onset and end, and hospital volunteers stood down."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.agents.organisations import GroupKind
from sim.events.registry import Arg, register
from sim.processes import emergency as response
from sim.state import DOMAINS, Need
from sim.state import VolunteerState as V

if TYPE_CHECKING:
    from sim.model import CommunityModel


@register("emergency",
          need_multiplier=Arg(float, 2.0, lo=0.0, meaning="multiplier on need onset"),
          distancing=Arg(bool, False, meaning="face-to-face groups may close"),
          shielding=Arg(bool, False, meaning="the most vulnerable are told to shield"),
          tie_upkeep_factor=Arg(float, 1.0, lo=0.01, hi=1.0,
                                meaning="hours a GP practice-VCSE tie takes to keep up while "
                                        "the emergency lasts, as a share of the usual "
                                        "(partnership blockages set aside; 1: unchanged)"))
def emergency(model: CommunityModel, p: dict) -> None:
    """A civil emergency starts: need rises, the emergency actors start to mobilise, and with
    distancing some community groups cannot meet face to face (003:298-304): most suspend,
    some move online. With ``tie_upkeep_factor`` below 1 a GP practice-VCSE tie takes fewer
    hours to keep up until the emergency ends (a scenario input, 000:132, 003:308-310)."""
    cfg = model.cfg
    if not cfg.emergency.active:
        model.emergency_start = model.day
    cfg.emergency.active = True
    cfg.need.emergency_multiplier = p["need_multiplier"]
    cfg.emergency.tie_upkeep_factor = p.get("tie_upkeep_factor", 1.0)
    rng = model.streams.events
    if p["distancing"]:
        cfg.emergency.distancing = True
        for g in model.groups:
            if g.kind is GroupKind.COMMUNITY_GROUP and g.is_open and (
                    rng.random() < cfg.emergency.p_group_closed_by_distancing):
                if model.streams.emergency.random() < cfg.emergency.p_online_if_distanced:
                    g.online = True  # fewer places, out of reach of the digitally excluded
                    model.count("new_groups_moved_online")
                else:
                    g.distanced = True  # suspended: may lose its volunteers or money for good
                    model.count("new_groups_suspended")
    if p["shielding"]:
        pop = model.pop
        score = (pop.age >= 70).astype(float) + (pop.limitation == 2) + rng.random(pop.n) * 0.5
        k = int(round(cfg.emergency.shielded_share * pop.n))
        idx = np.argsort(-score, kind="stable")[:k]
        pop.shielded[idx] = True
        fresh = idx[pop.need[idx] == Need.NONE]
        pop.need[fresh] = Need.LOW
        pop.need_onset[fresh] = model.day
        pop.need_domain[fresh] = DOMAINS.index("practical")  # food, medicines (003:316)
        pop.first_support[fresh] = -1
        pop.ever_need[fresh] = True


@register("emergency_end")
def emergency_end(model: CommunityModel, p: dict) -> None:
    """The emergency is over: need onset returns to normal, groups reopen and volunteer
    management returns to normal capacity."""
    cfg = model.cfg
    response.stand_down(model)
    cfg.emergency.active = False
    cfg.emergency.distancing = False
    cfg.need.emergency_multiplier = 1.0
    cfg.emergency.tie_upkeep_factor = 1.0
    model.pop.shielded[:] = False
    for g in model.groups:
        g.distanced = False
        g.online = False


def _move_trust_volunteers(model: CommunityModel, stood_down: bool) -> np.ndarray:
    """Switch the hospital trusts' trained volunteers (every district's) between on duty and
    stood down."""
    trusts = model.nhs_trusts
    if not trusts:
        return np.zeros(0, np.int64)
    for trust in trusts:
        trust.stood_down = stood_down
    pop = model.pop
    states = (V.ACTIVE, V.IDLE) if stood_down else (V.STOOD_DOWN,)
    at_trust = (pop.vorg == trusts[0].index if len(trusts) == 1
                else np.isin(pop.vorg, [t.index for t in trusts]))
    idx = np.flatnonzero(at_trust & np.isin(pop.vstate, states))
    pop.vstate[idx] = V.STOOD_DOWN if stood_down else V.ACTIVE
    return idx


@register("nhs_volunteers_stand_down")
def nhs_volunteers_stand_down(model: CommunityModel, p: dict) -> None:
    """The hospital trust stands its volunteers down (003:38, 003:146); those willing may be
    redeployed to community roles by the LRF cell or the national scheme while stood down
    (the hospital's own tasks stop by construction: it has none for them)."""
    idx = _move_trust_volunteers(model, stood_down=True)
    p_willing = model.cfg.emergency.p_redeploy_stood_down
    willing = model.streams.redeployment.random(idx.size) < p_willing
    model.redeployable_hospital = idx[willing]


@register("nhs_volunteers_return")
def nhs_volunteers_return(model: CommunityModel, p: dict) -> None:
    """Stood-down hospital volunteers who kept their goodwill return."""
    idx = _move_trust_volunteers(model, stood_down=False)
    model.redeployable_hospital = np.zeros(0, np.int64)
    model.pop.vlast_task[idx] = model.day
