"""The commissioner: a place's statutory funder (council / health partners at place level,
002:97), one per district, created by funding events; each funds only its own district.

Two schedules: tapered grants for link-worker posts, reviewed yearly (statutory share 0/50/80 %
in years 1-3 then 100 %, 004:171), and commissioning reviews that add client places either
where unmet demand is observed (agile, 002:304-306, 330-340) or evenly across groups.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.agents.organisations import GroupKind, VCSEGroup
from sim.state import PATHWAY as Pathway  # plain ints: fast in numpy

if TYPE_CHECKING:
    from sim.agents.health import GPPractice
    from sim.model import CommunityModel


@dataclass
class TaperedGrant:
    """Link-worker posts at one practice, funded by a grant whose statutory share rises."""

    practice: GPPractice
    start_day: int
    shares: tuple[float, ...]  # statutory share in years 1, 2, 3, ... (last one repeats)
    willingness: float  # largest share of the cost the statutory partner will carry
    ended_day: int = -1

    def share_in_year(self, year: int) -> float:
        return self.shares[min(year, len(self.shares) - 1)]


@dataclass
class CommissioningPlan:
    places_per_review: int
    review_days: int
    rule: str  # "agile" or "even"
    start_day: int
    partners: int = 1  # organisations delivering in partnership; each must agree a change
    specialist: str = ""  # target group of a specialist partner ('' = none)


@dataclass
class PendingChange:
    """A review's decision waiting for every delivery partner to agree (004:284-288)."""

    plan: CommissioningPlan
    decided_day: int
    waiting_for: int  # partners that have not yet agreed


class Commissioner(mesa.Agent):
    """Decides who is funded in its district (``district`` None: the whole place, the one
    commissioner of a single-district model); one per district, created on first use."""

    model: CommunityModel
    sector = "health"

    def __init__(self, model: CommunityModel, district: int | None = None):
        super().__init__(model)
        self.district = district
        self.grants: list[TaperedGrant] = []
        self.plans: list[CommissioningPlan] = []
        self.pending: list[PendingChange] = []
        self.specialist_groups: list[tuple[VCSEGroup, str]] = []  # places with outreach
        self.places_commissioned = 0

    # -- tapered grants ----------------------------------------------------------------------
    def start_tapered_grants(self, shares: tuple[float, ...], mean: float, sd: float) -> None:
        """Every practice's link-worker posts move onto a tapered grant from today; each
        practice's statutory partner has its own willingness to pay (drawn once)."""
        m = self.model
        rng = m.streams.events
        for gp in m.gp_practices:
            if not gp.link_workers or not self._in_district(gp.unit):
                continue
            w = float(rng.normal(mean, sd))
            grant = TaperedGrant(gp, m.day, (*shares, 1.0), w)
            self.grants.append(grant)
            self._review(grant, 0)

    def _review(self, grant: TaperedGrant, year: int) -> None:
        """At each anniversary the partner must carry the new share or the posts end."""
        if grant.share_in_year(year) <= grant.willingness:
            return
        m = self.model
        grant.ended_day = m.day
        for lw in list(grant.practice.link_workers):
            m.withdraw_link_worker(lw)

    # -- commissioning reviews ---------------------------------------------------------------
    def _in_district(self, unit: int) -> bool:
        return self.district is None or int(self.model.district_of_unit[unit]) == self.district

    def start_commissioning(self, places: int, review_days: int, rule: str,
                            partners: int = 1, specialist: str = "") -> None:
        """A plan of ``places`` client places every ``review_days`` days for this district
        (none if ``places`` is 0: the district's share of a small plan)."""
        if places <= 0:
            return
        self.plans.append(CommissioningPlan(places, review_days, rule, self.model.day,
                                            partners, specialist))

    def _reach_out(self) -> None:
        """A specialist delivery partner brings residents of its target group (in unmet need,
        nothing under way, within the group's reach) to the commissioned places, up to
        ``groups.specialist_partner_outreach_per_day`` a day per group (004:524)."""
        from sim.agents.health import SPECIALISMS  # health imports this module's neighbours

        m = self.model
        k = m.cfg.groups.specialist_partner_outreach_per_day
        if not k:
            return
        pop = m.pop
        for g, target in self.specialist_groups:
            if not g.is_open or not g.has_room():
                continue
            mask = SPECIALISMS[target](pop) & pop.unmet() & (pop.pathway == Pathway.NONE)
            if g.unit >= 0:
                mask &= pop.unit == g.unit
            elif self.district is not None:  # the group's district (places reallocated to
                mask &= m.district_of_unit[pop.unit] == g.district  # another are its residents)
            cand = np.flatnonzero(mask)
            if cand.size == 0:
                continue
            chosen = m.streams.partnership.choice(cand, size=min(k, cand.size), replace=False)
            for i in np.sort(chosen).tolist():
                m.count("new_partner_outreach_contacts")
                if m.offer_to_group(i, g.index, "vcse") == "accepted":
                    m.count("new_partner_outreach_placements")

    # -- multi-partner delivery --------------------------------------------------------------
    def _decide(self, plan: CommissioningPlan) -> None:
        """A review decides to fund places: a single provider acts at once; a partnership
        must first get every other partner to agree (options papers, steering groups)."""
        if plan.partners <= 1:
            self._commission(plan)
            self.model.count("new_partnership_changes")
            return
        self.pending.append(PendingChange(plan, self.model.day, plan.partners - 1))

    def _negotiate(self) -> None:
        """Every ``groups.partnership_round_days`` each partner that has not agreed does so
        with ``groups.p_partner_agrees_per_round`` ("three or four different organisations
        speeds", 004:288, 534); the change starts when all have agreed, so its latency grows
        with the number of partners."""
        m = self.model
        p = m.cfg.groups
        rng = m.streams.partnership
        still = []
        for change in self.pending:
            since = m.day - change.decided_day
            if since > 0 and since % p.partnership_round_days == 0:
                agreed = int((rng.random(change.waiting_for)
                              < p.p_partner_agrees_per_round).sum())
                change.waiting_for -= agreed
            if change.waiting_for > 0:
                still.append(change)
                continue
            self._commission(change.plan)
            m.count("new_partnership_changes")
            m.count("sum_partnership_latency_days", since)
        self.pending = still

    def _commission(self, plan: CommissioningPlan) -> None:
        """Fund a review's places by the plan's rule. Agile and even: among the open,
        constituted groups of the commissioner's own district; a district with none
        reallocates its places to the open, constituted groups of every other district by the
        same rule (districts have no geography here, so "neighbouring" is any), counted in
        ``new_commissioned_places_reallocated``; with none anywhere the places are counted in
        ``new_commissioned_places_unplaced``. Neediest unit: always in the district's own
        neediest unit (a new group there if none is open)."""
        m = self.model
        eligible = [g for g in m.groups
                    if g.is_open and g.constituted and g.kind is not GroupKind.LIO]
        groups = [g for g in eligible if self.district is None or g.district == self.district]
        reallocated = False
        if plan.rule == "neediest_unit":
            groups = self._where_demand_is(groups)
        elif not groups and self.district is not None and eligible:
            groups, reallocated = eligible, True
        if not groups:
            m.count("new_commissioned_places_unplaced", plan.places_per_review)
            return
        per = None
        if plan.rule == "agile":
            per = self._shares_of_observed_demand(groups, plan.places_per_review)
        if per is None:
            per = np.full(len(groups), plan.places_per_review // len(groups))
            per[: plan.places_per_review % len(groups)] += 1
        for g, k in zip(groups, per.tolist(), strict=True):
            if k:
                g.add_places(k)
                if plan.specialist and plan.partners > 1 and all(
                        h is not g for h, _ in self.specialist_groups):
                    self.specialist_groups.append((g, plan.specialist))
        self.places_commissioned += plan.places_per_review
        m.count("new_commissioned_places", plan.places_per_review)
        if reallocated:
            m.count("new_commissioned_places_reallocated", plan.places_per_review)

    def _shares_of_observed_demand(self, groups: list[VCSEGroup], places: int
                                   ) -> np.ndarray | None:
        """The agile rule: the real-time data on demand and supply that groups and link
        workers hold (002:330-336) - each group's referrals turned away for want of places,
        smoothed over its support period (``VCSEGroup.unserved``, the figure its strain
        follows every day) - decide where the places go, in proportion (largest remainders;
        ties to the earlier group): places per group. With no demand turned away anywhere
        nothing is observed: None, and the places are spread evenly."""
        if not groups:
            return None
        demand = np.array([g.unserved for g in groups], float)
        total = demand.sum()
        if total <= 0:
            return None
        share = demand * places / total
        per = np.floor(share).astype(np.int64)
        rest = places - int(per.sum())
        if rest:
            order = np.argsort(-(share - per), kind="stable")
            per[order[:rest]] += 1
        return per

    def _where_demand_is(self, groups: list[VCSEGroup]) -> list[VCSEGroup]:
        """The unit with most unmet need per client place (the data link workers and groups
        report); a new group is funded there if none is open."""
        m = self.model
        pop = m.pop
        unmet = np.bincount(pop.unit[pop.unmet()], minlength=len(m.units)).astype(float)
        places = np.zeros(len(m.units))
        for g in groups:
            if g.unit >= 0:
                places[g.unit] += g.capacity
        need = unmet / (1.0 + places)
        if self.district is not None:  # only the district's own units
            need[m.district_of_unit != self.district] = -1.0
        u = int(np.argmax(need))
        local = [g for g in groups if g.unit == u]
        if local:
            return local
        unit = m.units[u]
        return [m.add_group(GroupKind.COMMUNITY_GROUP, u, True,
                            f"{unit.name}-commissioned-{m.day}")]

    # -- the day -----------------------------------------------------------------------------
    def step(self) -> None:
        day = self.model.day
        for grant in self.grants:
            since = day - grant.start_day
            if grant.ended_day < 0 and since > 0 and since % 365 == 0:
                self._review(grant, since // 365)
        for plan in self.plans:
            since = day - plan.start_day
            if since > 0 and since % plan.review_days == 0:
                self._decide(plan)
        if self.pending:
            self._negotiate()
        if self.specialist_groups:
            self._reach_out()
