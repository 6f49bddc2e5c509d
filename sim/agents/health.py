"""GP practices and social-prescribing link workers (Mesa agents)."""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.agents.organisations import GroupKind, VCSEGroup, weighted_choice
from sim.state import NEED as Need  # plain ints: fast in numpy
from sim.state import PATHWAY as Pathway

if TYPE_CHECKING:
    from sim.model import CommunityModel


class GPPractice(mesa.Agent):
    """Registered list, consultations, engagement with social prescribing that ramps up unevenly
    (004:340-342), and ties to a few VCSE organisations (most link with one, 000:97)."""

    model: CommunityModel
    sector = "health"

    def __init__(self, model: CommunityModel, unit: int, distance_miles: float, name: str):
        super().__init__(model)
        self.index = len(model.gp_practices)
        model.gp_practices.append(self)
        self.unit = unit
        self.name = name
        self.distance_miles = distance_miles
        g = model.cfg.gp
        rng = model.streams.gp
        self.engagement_max = float(rng.uniform(g.engagement_max_lo, g.engagement_max_hi))
        self.link_workers: list[LinkWorker] = []
        self.vcse_ties: list[int] = []  # organisation indices
        self.n_consultations = 0
        self.n_nonmedical = 0
        self.initial_vcse_degree = 0

    def engagement(self, day: int) -> float:
        """Chance a raised non-medical need is referred to a link worker on ``day``."""
        g = self.model.cfg.gp
        if not self.link_workers:
            return 0.0
        ramp = 1.0 - math.exp(-day / g.engagement_ramp_days)
        return g.engagement_start + (self.engagement_max - g.engagement_start) * max(ramp, 0.0)

    def consult_nonmedical(self, i: int) -> None:
        """A consultation in which resident ``i`` raised a non-medical need."""
        m = self.model
        rng = m.streams.gp
        self.n_nonmedical += 1
        if m.pop.pathway[i] != Pathway.NONE:
            return
        if rng.random() < self.engagement(m.day):
            m.refer_to_link_worker(i, "gp")
            return
        ties = [g for g in self.vcse_ties if m.organisations[g].is_open]
        if ties and rng.random() < m.cfg.gp.p_signpost_tied_group:
            g = ties[int(rng.integers(len(ties)))]
            m.offer_to_group(i, g, "gp")


SPECIALISMS = {
    "digitally_excluded": lambda pop: ~pop.digital,
    "limited_a_lot": lambda pop: pop.limitation == 2,
    "children_young_people": lambda pop: pop.age < 25,
}
"""Groups a specialist link worker targets (002:364 names CYP, BAME, trans, GRT and language
groups; the model represents the attributes it has)."""


class LinkWorker(mesa.Agent):
    """A social prescriber: triage, light-touch or bespoke support within a caseload cap,
    waiting list, matching from a directory that goes stale, hand-back to GP."""

    model: CommunityModel
    sector = "health"

    def __init__(self, model: CommunityModel, unit: int, travel_hours: float, name: str,
                 specialism: str = ""):
        super().__init__(model)
        self.index = len(model.link_workers)
        model.link_workers.append(self)
        self.unit = unit
        self.name = name
        self.specialism = specialism  # "" or a key of SPECIALISMS: reaches out to that group
        self.travel_hours = travel_hours
        self.inbox: deque[tuple[int, str]] = deque()
        self.waiting: deque[int] = deque()
        self.caseload: dict[int, int] = {}  # resident -> day bespoke support ends
        self.light: dict[int, int] = {}  # resident -> day light-touch support ends
        self.directory: set[int] = set()  # organisations believed open and taking referrals
        self.hours_today = 0.0
        self.hours_total = 0.0

    # -- daily behaviour -------------------------------------------------------------------
    def step(self) -> None:
        m = self.model
        self.hours_today = 0.0
        self._finish_due(self.light, bespoke=False)
        self._finish_due(self.caseload, bespoke=True)
        self._admit_from_waiting()
        budget = m.cfg.link_worker.hours_per_week / 7.0
        for _ in range(min(m.cfg.link_worker.triage_per_day, len(self.inbox))):
            if self.hours_today >= budget:
                break  # out of hours today (rural travel eats into them, 002:166-168)
            i, source = self.inbox.popleft()
            if m.pop.pathway[i] == Pathway.WAITING:
                self._triage(i, source)
        self._match_caseload()
        if self.specialism:
            self._reach_out()
        self.hours_total += self.hours_today
        m.count("new_lw_hours", self.hours_today)

    def _contact_hours(self, hours: float) -> None:
        self.hours_today += hours + self.travel_hours

    def _triage(self, i: int, source: str) -> None:
        m, p = self.model, self.model.cfg.link_worker
        pop, rng = m.pop, m.streams.link_worker
        self._contact_hours(m.cfg.link_worker.light_touch_hours)
        m.surface_hidden_need(i, rng)
        if not pop.self_referred[i] and rng.random() < p.p_client_disengages:
            pop.pathway[i] = Pathway.NONE
            m.count("new_referrals_disengaged")
            return
        if pop.need[i] >= Need.COMPLEX and rng.random() < p.p_complex_beyond_scope:
            m.hand_back_to_gp(i)
            return
        if pop.need[i] <= Need.LOW:
            self._light_touch(i)
        else:
            self.waiting.append(i)
            self._admit_from_waiting()

    def _light_touch(self, i: int) -> None:
        m = self.model
        if self.match(i):
            return
        days = m.cfg.link_worker.light_touch_days
        m.start_support(i, Pathway.LINK_WORKER, days)
        self.light[i] = m.day + days

    def _admit_from_waiting(self) -> None:
        m, p = self.model, self.model.cfg.link_worker
        while self.waiting and len(self.caseload) < p.caseload_cap:
            i = self.waiting.popleft()
            if m.pop.pathway[i] != Pathway.WAITING:
                continue
            days = p.bespoke_days
            if m.pop.hidden[i]:
                days += p.hidden_need_extra_days if m.surface_hidden_need(
                    i, m.streams.link_worker) else 0
            m.start_support(i, Pathway.LINK_WORKER, days)
            self.caseload[i] = m.day + days
            m.evaluation.baseline(i)

    def _match_caseload(self) -> None:
        """Unmatched bespoke clients are matched at their weekly session."""
        pop, day = self.model.pop, self.model.day
        for i, end in list(self.caseload.items()):
            if (end - day) % 7 == 0 and not pop.matched[i]:
                self.match(i, keep_pathway=True)

    def _finish_due(self, clients: dict[int, int], bespoke: bool) -> None:
        m, pop = self.model, self.model.pop
        day = m.day
        due = [i for i, end in clients.items() if end <= day]
        for i in due:
            del clients[i]
            if pop.pathway[i] != Pathway.LINK_WORKER:
                continue  # support already ended another way (e.g. the group closed)
            hours = (m.cfg.link_worker.bespoke_sessions * m.cfg.link_worker.session_hours
                     if bespoke else 0.0)
            self.hours_today += hours + (m.cfg.link_worker.bespoke_sessions * self.travel_hours
                                         if bespoke else 0.0)
            if bespoke:
                m.evaluation.end(i)
            m.finish_link_worker_support(i)

    def _reach_out(self) -> None:
        """A specialist contacts residents of its target group in unmet need with nothing under
        way among its practices' patients (002:364, 004:524)."""
        m = self.model
        pop = m.pop
        k = m.cfg.link_worker.specialist_outreach_per_day
        practices = [gp.index for gp in m.gp_practices if self in gp.link_workers]
        if not k or not practices:
            return
        target = SPECIALISMS[self.specialism](pop) & pop.unmet() & (pop.pathway == Pathway.NONE)
        cand = np.flatnonzero(target & np.isin(pop.gp, practices))
        if cand.size == 0:
            return
        chosen = m.streams.link_worker.choice(cand, size=min(k, cand.size), replace=False)
        for i in np.sort(chosen).tolist():
            pop.pathway[i] = Pathway.WAITING
            pop.self_referred[i] = True  # a proactive, trusted contact engages like a self-referral
            pop.lw_referrals[i] += 1
            self.inbox.append((i, "self"))
            m.count("new_referrals_self")
            m.count("new_outreach_contacts")

    def clients(self) -> list[int]:
        """Everyone this link worker holds: inbox, waiting list, caseload and light touch."""
        return [i for i, _ in self.inbox] + list(self.waiting) + list(self.caseload) + list(
            self.light)

    # -- matching --------------------------------------------------------------------------
    def match(self, i: int, keep_pathway: bool = False) -> bool:
        """Try destinations from the directory; a stale entry fails and is dropped."""
        m = self.model
        rng = m.streams.link_worker
        pref = m.cfg.link_worker.large_group_preference
        for _ in range(m.cfg.link_worker.max_match_attempts):
            options = sorted(self.directory)
            if not options:
                return False
            w = [float(m.organisations[g].nominal_capacity) + 1.0 for g in options]
            if pref != 1.0:  # x ** 1.0 == x: skip the array round trip in the default case
                w = np.array(w) ** pref
            g = options[weighted_choice(rng, w)]
            group = m.organisations[g]
            assert isinstance(group, VCSEGroup)
            if not group.is_open:
                self.directory.discard(g)
                m.count("new_referrals_result_stale")
                continue
            result = m.offer_to_group(i, g, "link_worker", keep_pathway=keep_pathway)
            if result == "accepted":
                return True
        return False

    def refresh_directory(self, groups: list[VCSEGroup]) -> None:
        """Replace the directory with the open, listed groups it can reach (LIO refresh)."""
        self.directory = {g.index for g in groups
                          if g.is_open and g.on_directory and g.kind is not GroupKind.LIO
                          and g.unit in (-1, self.unit)}

    @property
    def n_waiting(self) -> int:
        return len(self.waiting) + len(self.inbox)
