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
        self.lw_since = 0  # model day its link-worker service started (construction: 0)
        self.initial_vcse_degree = 0

    def engagement(self, day: int) -> float:
        """Chance a raised non-medical need is referred to a link worker on ``day``."""
        g = self.model.cfg.gp
        if not self.link_workers:
            return 0.0
        # the ramp runs from when the practice's link-worker service started (004:340-342)
        ramp = 1.0 - math.exp(-(day - self.lw_since) / g.engagement_ramp_days)
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
    waiting list, matching from a directory that goes stale, hand-back to GP.

    Time is booked on the day the work happens, within the day's contact hours
    (``model.lw_budget_today``: a working-day share of the contract, none at weekends or on
    bank holidays): bespoke sessions that are due come first (oldest first), then the calls that
    close light-touch support, then admissions from the waiting list (the first session), then
    assessments of new referrals. Work that does not fit waits for the next working day, so
    support stretches and queues grow when demand exceeds the hours (004:330)."""

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
        # referrals not yet assessed: (resident, source, referral number); the number tells
        # a live entry from one left by an earlier referral of the same resident
        self.inbox: deque[tuple[int, str, int]] = deque()
        self.waiting: deque[tuple[int, int]] = deque()  # assessed, for bespoke support
        self.caseload: dict[int, list[int]] = {}  # resident -> [next session day, sessions left]
        self.light: dict[int, int] = {}  # resident -> day the closing call is due
        self.budget_today = 0.0
        self.hours_today = 0.0
        self.hours_total = 0.0
        # a post shared with patients outside the model works here one day in 1/share
        self.day_share = model.units[unit].params.lw_days_share
        self._day_credit = 0.0

    # -- daily behaviour -------------------------------------------------------------------
    def step(self) -> None:
        m = self.model
        self.hours_today = 0.0
        self.budget_today = m.lw_budget_today
        if self.budget_today > 0 and self.day_share < 1.0:
            self._day_credit += self.day_share
            if self._day_credit >= 1.0 - 1e-9:
                self._day_credit -= 1.0
            else:
                self.budget_today = 0.0  # working elsewhere in the PCN today
        self.purge()
        if self.budget_today > 0:
            # infrastructure work: its own mapping of listings nobody keeps up (sim.agents.lio)
            self.hours_today += m.lio_functions.map_for(self, self.budget_today)
            self._hold_sessions()
            self._close_light_touch()
            self._admit_from_waiting()
            self._assess_inbox()
            if self.specialism:
                self._reach_out()
        self.hours_total += self.hours_today
        m.count("new_lw_hours", self.hours_today)

    def _fits(self, hours: float) -> bool:
        return self.hours_today + hours <= self.budget_today + 1e-9

    def purge(self) -> None:
        """Entries leave the inbox and waiting list when the resident is no longer waiting for
        this referral: the need resolved, they were helped elsewhere or they gave up."""
        pop = self.model.pop
        waiting, seq = pop.pathway, pop.lw_referrals
        w = Pathway.WAITING
        if any(waiting[i] != w or seq[i] != k for i, _, k in self.inbox):
            self.inbox = deque(e for e in self.inbox if waiting[e[0]] == w and seq[e[0]] == e[2])
        if any(waiting[i] != w or seq[i] != k for i, k in self.waiting):
            self.waiting = deque(e for e in self.waiting
                                 if waiting[e[0]] == w and seq[e[0]] == e[1])

    def _assess_inbox(self) -> None:
        m = self.model
        cost = m.cfg.link_worker.assessment_hours + self.travel_hours
        done = 0
        while self.inbox and done < m.cfg.link_worker.triage_per_day and self._fits(cost):
            i, source, k = self.inbox.popleft()
            if m.pop.pathway[i] != Pathway.WAITING or m.pop.lw_referrals[i] != k:
                continue
            self.hours_today += cost
            done += 1
            self._triage(i, source)

    def _triage(self, i: int, source: str) -> None:
        m, p = self.model, self.model.cfg.link_worker
        pop, rng = m.pop, m.streams.link_worker
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
            self.waiting.append((i, int(pop.lw_referrals[i])))
            self._admit_from_waiting()

    def _light_touch(self, i: int) -> None:
        m = self.model
        if self.match(i):
            return
        days = m.cfg.link_worker.light_touch_days
        m.start_support(i, Pathway.LINK_WORKER, days)
        self.light[i] = m.day + days

    def _close_light_touch(self) -> None:
        """The follow-up call that closes light-touch support (phone: no travel, 004:326)."""
        m = self.model
        cost = m.cfg.link_worker.light_touch_hours
        day = m.day
        due = sorted((end, i) for i, end in self.light.items() if end <= day)
        for _, i in due:
            if not self._fits(cost):
                return
            self.hours_today += cost
            del self.light[i]
            m.finish_link_worker_support(i)

    def session_interval(self) -> int:
        p = self.model.cfg.link_worker
        return max(round(p.bespoke_days / p.bespoke_sessions), 1)

    def _admit_from_waiting(self) -> None:
        """Admit from the waiting list while the caseload has room and the first session fits
        today."""
        m, p = self.model, self.model.cfg.link_worker
        pop = m.pop
        cost = p.session_hours + self.travel_hours
        while self.waiting and len(self.caseload) < p.caseload_cap and self._fits(cost):
            i, k = self.waiting.popleft()
            if pop.pathway[i] != Pathway.WAITING or pop.lw_referrals[i] != k:
                continue
            sessions = p.bespoke_sessions
            days = p.bespoke_days
            if pop.hidden[i] and m.surface_hidden_need(i, m.streams.link_worker):
                extra = round(p.hidden_need_extra_days / self.session_interval())
                sessions += extra
                days += p.hidden_need_extra_days
            m.start_support(i, Pathway.LINK_WORKER, days)
            self.caseload[i] = [m.day, sessions]
            m.evaluation.baseline(i)
            self._session(i)

    def _hold_sessions(self) -> None:
        """Bespoke sessions due today or overdue, oldest first, while the hours last."""
        m = self.model
        cost = m.cfg.link_worker.session_hours + self.travel_hours
        day = m.day
        due = sorted((nxt, i) for i, (nxt, _) in self.caseload.items() if nxt <= day)
        for _, i in due:
            if not self._fits(cost):
                m.count("new_lw_sessions_deferred", 1)
                continue
            self._session(i)

    def _session(self, i: int) -> None:
        """One bespoke session with client ``i``: an hour plus travel; a destination is sought
        while the client has none; after the last session support ends."""
        m = self.model
        self.hours_today += m.cfg.link_worker.session_hours + self.travel_hours
        entry = self.caseload[i]
        entry[1] -= 1
        m.count("new_lw_sessions")
        if entry[1] <= 0:
            del self.caseload[i]
            m.evaluation.end(i)
            m.finish_link_worker_support(i)
            return
        entry[0] = m.day + self.session_interval()
        if not m.pop.matched[i]:
            self.match(i, keep_pathway=True)

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
            self.inbox.append((i, "self", int(pop.lw_referrals[i])))
            m.count("new_referrals_self")
            m.count("new_outreach_contacts")

    def clients(self) -> list[int]:
        """Everyone this link worker holds: inbox, waiting list, caseload and light touch."""
        return [e[0] for e in self.inbox] + [e[0] for e in self.waiting] + list(
            self.caseload) + list(self.light)

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

    def held_in_error(self) -> list[int]:
        """Residents this link worker holds who are not in the state its lists imply (a
        consistency check for tests: should always be empty after ``purge``)."""
        pop = self.model.pop
        bad = [i for i, _, k in self.inbox
               if pop.pathway[i] != Pathway.WAITING or pop.lw_referrals[i] != k or pop.need[i] == 0]
        bad += [i for i, k in self.waiting
                if pop.pathway[i] != Pathway.WAITING or pop.lw_referrals[i] != k
                or pop.need[i] == 0]
        bad += [i for i in [*self.caseload, *self.light] if pop.pathway[i] != Pathway.LINK_WORKER]
        return bad
