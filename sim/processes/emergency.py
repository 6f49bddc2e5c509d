"""The place's emergency response cell (LIO, council and partners), vectorised.

After an emergency starts, the response takes time to mobilise: about two weeks with a
pre-agreed plan (Cornwall: 14 days from campaign to first referral, 003:103), longer without
(003:32, 119-124). Once mobilised it takes on vulnerable residents in unmet need each day
(shielded first) and has volunteers deliver food, medicines and contact (003:316); volunteer
management scales up (but far less than supply, 003:224-226); and health and community
organisations form ties faster than in normal times (003:61, 308-314).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.state import PATHWAY as Pathway  # plain ints: fast in numpy
from sim.state import VSTATE as V

if TYPE_CHECKING:
    from sim.model import CommunityModel


def mobilisation_lag(model: CommunityModel) -> int:
    e = model.cfg.emergency
    return e.mobilisation_lag_days_prepared if e.prepared else e.mobilisation_lag_days_unprepared


def respond(model: CommunityModel) -> None:
    e = model.cfg.emergency
    if not e.active or model.emergency_start < 0:
        return
    if model.day < model.emergency_start + mobilisation_lag(model):
        return
    if model.response_mobilised_day < model.emergency_start:
        model.response_mobilised_day = model.day
        model.processing_multiplier = e.processing_multiplier  # every organisation, new ones too
    _take_on_vulnerable(model)
    if (model.day - model.response_mobilised_day) % 7 == 0:
        _crisis_ties(model)


def stand_down(model: CommunityModel) -> None:
    """The emergency is over: volunteer management returns to its normal capacity."""
    model.processing_multiplier = 1.0


def _take_on_vulnerable(model: CommunityModel) -> None:
    pop, e = model.pop, model.cfg.emergency
    cap = int(e.response_per_1000_per_day * pop.n / 1000.0 + model.streams.events.random())
    if cap <= 0:
        return
    waiting = pop.unmet() & (pop.pathway == Pathway.NONE)
    vulnerable = waiting & (pop.shielded | (pop.limitation == 2) | (pop.age >= 70))
    cand = np.flatnonzero(vulnerable)
    hours = model.cfg.volunteers.response_hours_per_week
    helpers = np.flatnonzero(((pop.vstate == V.ACTIVE) | (pop.vstate == V.IDLE))
                             & ~pop.nhs_volunteer)
    helpers = helpers[pop.hours_left(helpers) >= hours]  # volunteers with the time this week
    k = min(cap, cand.size, helpers.size)
    if cap > k and cand.size > k:
        model.count("new_emergency_responses_short_of_volunteers", min(cap, cand.size) - k)
    if k == 0:
        return
    rng = model.streams.events
    order = np.argsort(~pop.shielded[cand], kind="stable")  # shielded residents first
    chosen = cand[order[:k]]
    model.volunteer_tasks(np.sort(rng.choice(helpers, size=k, replace=False)), hours,
                          weeks_committed_days=e.response_support_days)
    for i in chosen.tolist():
        model.start_support(i, Pathway.INFORMAL, e.response_support_days)
    model.count("new_emergency_responses", k)


def _crisis_ties(model: CommunityModel) -> None:
    rng = model.streams.events
    p = model.cfg.emergency.p_crisis_tie_per_week
    for gp in model.gp_practices:
        if rng.random() >= p:
            continue
        options = [g for g in model.open_groups_reachable(gp.unit) if g.index not in gp.vcse_ties]
        if options:
            g = options[int(rng.integers(len(options)))]
            gp.vcse_ties.append(g.index)
            model.add_tie(gp, g)
            model.count("new_crisis_ties")
