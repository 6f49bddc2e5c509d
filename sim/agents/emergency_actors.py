"""Emergency actors: the VCS adapting its offer, the local authority response, the LRF
volunteering cell and a national volunteer scheme (003:48, 003:67-70, 003:119-132,
003:154-190).

Each actor exists in normal times and does nothing until an emergency starts. It then passes
through the stages of its structure: each decision body decides at its next meeting (bodies
meet on a cadence, on a weekday drawn at the start of the emergency), then sign-off, contracts
with partners, central checks and setting up the referral process. A pre-agreed plan removes
some decision bodies and the contracts of the actors that signed it (003:95-109). The day of
its first referral is therefore a consequence of its structure, not a configured lag; with the
defaults the ordering of 003:70 (VCS faster than the council, the council faster than the
national scheme) follows, and mutual aid (no structure at all, :mod:`sim.model`) is fastest.

Once mobilised, an actor takes on vulnerable residents in unmet need (shielded first) as far
as its coordination hours allow (booked each day; unused hours are lost after a week) and
volunteers it can reach have an hour free this week: its capacity comes from staff time and
volunteers, not a fixed cap.

The local authority is one council per district (a local authority: the *place* of
neighbourhood ⊂ place ⊂ system, 002:97; "all ten Local Authorities", 003:160). Each council
walks its own stages (its own meeting days; a pre-agreed plan if the model's, or its
district's ``council_prepared`` in the place table), has coordination hours in proportion to
its district's residents (``coordinator_hours_per_week_per_1000``), takes on its district's
residents only and reaches the volunteers of its district's groups (or its district's
volunteers on duty). Off the places topology there is one district, so one council for the
whole place, as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.agents.organisations import GroupKind
from sim.state import PATHWAY as Pathway  # plain ints: fast in numpy
from sim.state import VSTATE as V

if TYPE_CHECKING:
    from sim.model import CommunityModel
    from sim.params import EmergencyActorParams

ACTOR_NAMES = ("vcs", "local_authority", "lrf_cell", "national_scheme")
"""The emergency actors, in the order they act each day."""


class EmergencyActor(mesa.Agent):
    """One emergency actor; ``key`` names its parameter section under ``emergency``."""

    model: CommunityModel
    sector = "emergency"

    def __init__(self, model: CommunityModel, key: str, district: int | None = None,
                 prepared: bool = False, name: str | None = None):
        super().__init__(model)
        self.key = key
        self.district = district  # a council's district; None: the whole place
        self.prepared = prepared  # its district has a pre-agreed plan (besides the model's)
        self.name = name or key
        # residents it is responsible for (its district's, or everyone)
        self.n_residents = (model.pop.n if district is None
                            else int(model.district_residents()[district]))
        self.emergency_for = -1  # start day of the emergency it is responding to
        self.mobilised_day = -1  # day of its first possible referral in that emergency
        self.first_support_day = -1  # day it first took a resident on in that emergency
        self.stages: list[tuple[str, int]] = []  # (stage, day it ended) for the emergency
        self.hours_credit = 0.0
        self.n_taken_on = 0
        self.taken_on_by_unit = np.zeros(len(model.units), np.int64)  # residents, by area
        self._district_mask: np.ndarray | None = None  # its district's residents (councils)

    @property
    def params(self) -> EmergencyActorParams:
        return getattr(self.model.cfg.emergency, self.key)

    def plan_stages(self, start: int, rng: np.random.Generator) -> int:
        """Walk the actor's stages from the emergency's ``start``; return the mobilised day."""
        p = self.params
        prepared = self.model.cfg.emergency.prepared or self.prepared
        layers = max(p.decision_layers - (p.plan_removes_layers if prepared else 0), 0)
        day = start
        self.stages = []
        for k in range(layers):
            weekday = int(rng.integers(p.meeting_interval_days))  # the body's meeting day
            day += (weekday - day) % p.meeting_interval_days + 1  # decides, acts next day
            self.stages.append((f"decision_{k + 1}", day))
        contracts = 0 if (prepared and p.plan_removes_contracts) else p.contract_days
        for name, days in (("sign_off", p.sign_off_days), ("contracts", contracts),
                           ("checks", p.checks_days), ("setup", p.setup_days)):
            if days:
                day += days
                self.stages.append((name, day))
        return day

    def step(self) -> None:
        """Called every day: idle in normal times; in an emergency, mobilise, then take on
        residents."""
        m = self.model
        if not m.cfg.emergency.active or m.emergency_start < 0:
            self.hours_credit = 0.0
            return
        if self.emergency_for != m.emergency_start:
            self.emergency_for = m.emergency_start
            self.mobilised_day = self.plan_stages(m.emergency_start, m.streams.emergency)
            self.first_support_day = -1
        if m.day < self.mobilised_day:
            return
        p = self.params
        hours_per_day = p.coordinator_hours_per_week_per_1000 * self.n_residents / 1000.0 / 7.0
        self.hours_credit = min(self.hours_credit + hours_per_day, 7.0 * hours_per_day)
        cases = int(self.hours_credit / p.hours_per_case + 1e-9)
        if cases > 0:
            self.take_on(cases)

    def _in_district(self) -> np.ndarray:
        """Mask of the residents of the actor's district (residents do not move: made once)."""
        mask = self._district_mask
        if mask is None:
            m = self.model
            mask = self._district_mask = m.district_of_unit[m.pop.unit] == self.district
        return mask

    def _helpers(self) -> np.ndarray:
        """Volunteers the actor can reach with the hours for a week of support left."""
        m = self.model
        pop = m.pop
        on_duty = ((pop.vstate == V.ACTIVE) | (pop.vstate == V.IDLE)) & ~pop.nhs_volunteer
        reach = self.params.volunteers_from
        if reach != "any":
            kinds = ((GroupKind.FORMAL_CHARITY, GroupKind.COMMUNITY_GROUP) if reach == "vcs"
                     else (GroupKind.FORMAL_CHARITY, GroupKind.COMMUNITY_GROUP, GroupKind.LIO))
            orgs = np.array([g.index for g in m.groups if g.is_open and g.kind in kinds
                             and not g.distanced
                             and (self.district is None or g.district == self.district)],
                            np.int64)
            on_duty &= np.isin(pop.vorg, orgs)
        elif self.district is not None:  # any volunteer on duty in its district
            on_duty &= self._in_district()
        helpers = np.flatnonzero(on_duty)
        if reach == "any" and m.redeployable_hospital.size:  # stood-down hospital volunteers
            willing = m.redeployable_hospital
            if self.district is not None:
                willing = willing[self._in_district()[willing]]
            helpers = np.union1d(helpers, willing[pop.vstate[willing] == V.STOOD_DOWN])
        hours = m.cfg.volunteers.response_hours_per_week
        return helpers[pop.hours_left(helpers) >= hours]

    def take_on(self, cases: int) -> None:
        """Take on up to ``cases`` vulnerable residents in unmet need, each with a volunteer
        who has the hours; book the coordination hours used."""
        m = self.model
        pop, e = m.pop, m.cfg.emergency
        waiting = pop.unmet() & (pop.pathway == Pathway.NONE)
        vulnerable = waiting & (pop.shielded | (pop.limitation == 2) | (pop.age >= 70))
        if self.district is not None:
            vulnerable &= self._in_district()
        cand = np.flatnonzero(vulnerable)
        if cand.size == 0:
            return
        helpers = self._helpers()
        k = min(cases, cand.size, helpers.size)
        if min(cases, cand.size) > k:
            m.count("new_emergency_responses_short_of_volunteers", min(cases, cand.size) - k)
        if k == 0:
            return
        rng = m.streams.emergency
        chosen = cand[np.argsort(~pop.shielded[cand], kind="stable")[:k]]  # shielded first
        used = np.sort(rng.choice(helpers, size=k, replace=False))
        hours = m.cfg.volunteers.response_hours_per_week
        m.volunteer_tasks(used, hours, weeks_committed_days=e.response_support_days)
        m.count("new_vol_tasks", k)
        redeployed = int(pop.nhs_volunteer[used].sum())
        if redeployed:
            m.count("new_vol_tasks_redeployed_hospital", redeployed)
        for i in chosen.tolist():
            m.start_support(i, Pathway.INFORMAL, e.response_support_days)
        for i, v in zip(np.sort(chosen).tolist(), used.tolist(), strict=True):
            m.joint_case(int(pop.gp[i]), int(pop.vorg[v]))
        self.hours_credit -= k * self.params.hours_per_case
        self.n_taken_on += k
        self.taken_on_by_unit += np.bincount(pop.unit[chosen], minlength=len(m.units))
        if self.first_support_day < self.emergency_for:
            self.first_support_day = m.day
        m.count("new_emergency_responses", k)
        m.count(f"new_emergency_responses_{self.key}", k)
        m.count("new_emergency_coordination_hours", k * self.params.hours_per_case)
