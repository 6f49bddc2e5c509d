"""GP practices and social-prescribing link workers (Mesa agents)."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.agents.organisations import GroupKind, VCSEGroup, weighted_choice
from sim.agents.referral_queue import ReferralQueue, WaitingList
from sim.rng import pick_index
from sim.state import NEED as Need  # plain ints: fast in numpy
from sim.state import PATHWAY as Pathway

if TYPE_CHECKING:
    from sim.model import CommunityModel


class GPPractice(mesa.Agent):
    """Registered list, consultations, engagement with social prescribing, and ties to a few
    VCSE organisations (most link with one, 000:97).

    Engagement is learnt (004:340-342, 398-402): it starts low when the practice's link-worker
    service starts, grows with each helped client the practice hears of (more often when a
    link worker sits in the surgery) and with a co-located worker's presence, and falls with
    each referral that disappears (disengaged, gave up waiting, bounced). Each practice has its
    own ceiling, so engagement stays uneven."""

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
        # staff hours a week it can give to keeping up VCSE partnerships (000:92): a resource
        # each tie draws on (``tie_upkeep_hours_per_week``), its own stream so the draw moves
        # nothing else
        self.partnership_hours = float(model.streams.gp_partnership.uniform(
            g.partnership_hours_lo, g.partnership_hours_hi))
        self.link_workers: list[LinkWorker] = []
        self.vcse_ties: list[int] = []  # organisation indices
        self.n_consultations = 0
        self.n_nonmedical = 0
        self.lw_since = 0  # model day its link-worker service started (construction: 0)
        # a service in place when the model is built is established: it starts at its ceiling
        # and the burn-in brings it to the level its feedback sustains; a new service starts
        # low (start_service)
        self.engagement_level = self.engagement_max
        self.initial_vcse_degree = 0  # ties of its own when built (000:97)
        self.vcse_degree_at_start = 0  # ties at output day 0, after the burn-in
        # output tallies from output day 0 (sim.practices): GP referrals to link workers,
        # non-medical consultations, and days a co-located link worker was in the surgery
        self.out_gp_referrals = 0
        self.nonmedical_at_start = 0
        self.out_days_co_located = 0
        self._last_seen_day = -1

    def partnership_load(self) -> float:
        """Hours a week its VCSE ties take from its own partnership hours: a tie's full upkeep
        today (``model.tie_upkeep_hours_per_week``) for each,
        ``intermediaries.lo_tie_practice_share`` of it for a tie a locality officer keeps up
        (``model.officer_ties``)."""
        m = self.model
        kept = m.officer_ties
        n_kept = sum(1 for k in self.vcse_ties if (self.index, k) in kept) if kept else 0
        share = m.cfg.intermediaries.lo_tie_practice_share
        return m.tie_upkeep_hours_per_week() * (len(self.vcse_ties) - n_kept * (1.0 - share))

    def has_tie_room(self, share: float = 1.0) -> bool:
        """Whether its partnership hours would cover ``share`` of the upkeep of one more VCSE
        tie (1: a tie of its own; a locality officer's tie: the officer's practice share)."""
        upkeep = self.model.tie_upkeep_hours_per_week()
        return self.partnership_load() + share * upkeep <= self.partnership_hours + 1e-9

    def partnership_hours_today(self) -> float:
        """Hours its ties take today (a seventh of their weekly upkeep)."""
        return self.partnership_load() / 7.0

    def engagement(self, day: int | None = None) -> float:
        """Chance a raised non-medical need is referred to a link worker (today's level;
        ``day`` is accepted for callers of the former ramp and ignored)."""
        if not self.link_workers:
            return 0.0
        return self.engagement_level

    def start_service(self) -> None:
        """The practice's first link worker arrives: engagement starts from the beginning."""
        g = self.model.cfg.gp
        self.lw_since = self.model.day
        self.engagement_level = g.engagement_start + g.initial_engagement_share * (
            self.engagement_max - g.engagement_start)

    def hear_of_client(self, helped: bool) -> None:
        """A client the practice referred was helped (the practice may hear of it) or
        disappeared (it learns that referrals go nowhere)."""
        g = self.model.cfg.gp
        if helped:
            co_located = any(lw.co_located for lw in self.link_workers)
            p = g.p_feedback_co_located if co_located else g.p_feedback_remote
            if self.model.streams.gp_feedback.random() < p:
                self.engagement_level += g.engagement_gain_per_feedback * (
                    self.engagement_max - self.engagement_level)
                self.model.count("new_gp_feedback_helped")
        else:
            self.engagement_level -= g.engagement_loss_per_lost_referral * max(
                self.engagement_level - g.engagement_start, 0.0)
            self.model.count("new_gp_referrals_lost")

    def see_link_worker(self) -> None:
        """A working day with a link worker in the surgery (004:400)."""
        g = self.model.cfg.gp
        self.engagement_level += g.engagement_gain_presence_per_day * (
            self.engagement_max - self.engagement_level)
        if self._last_seen_day != self.model.day:  # once a day, however many workers
            self._last_seen_day = self.model.day
            self.out_days_co_located += 1

    def open_ties(self) -> list[int]:
        """The open organisations it is tied to (``vcse_ties`` in order, closed ones left
        out): kept while its ties stand (``ties_changed``, called by every change of
        ``vcse_ties``: a group that closes is untied by the closure, and a closed one never
        reopens); the caller must not change it."""
        version, ties = self.__dict__.get("ties_version", 0), self.vcse_ties
        cached = self.__dict__.get("_open_ties")
        if cached is None or cached[0] != version or cached[1] is not ties:  # (a new list
            orgs = self.model.organisations  # given in its place counts as a change)
            cached = self._open_ties = (version, ties, [g for g in ties if orgs[g].is_open])
        return cached[2]

    def ties_changed(self) -> None:
        """Its ``vcse_ties`` changed: the kept :meth:`open_ties` is worked out again."""
        self.ties_version = self.__dict__.get("ties_version", 0) + 1

    def consult_nonmedical(self, i: int) -> None:
        """A consultation in which resident ``i`` raised a non-medical need (by whatever route:
        advice an intermediary gave to see the GP is acted on, ``model.gp_advised``)."""
        m = self.model
        rng = m.streams.gp
        self.n_nonmedical += 1
        m.gp_advised.discard(i)
        if m.pop.pathway[i] != Pathway.NONE:
            return
        if rng.random() < self.engagement():
            m.refer_to_link_worker(i, "gp")
            return
        ties = self.open_ties()
        if ties and rng.random() < m.cfg.gp.p_signpost_tied_group:
            g = ties[pick_index(rng, len(ties))]
            m.tie_last_use[(self.index, g)] = m.day  # the tie is in use
            m.offer_to_group(i, g, "gp")


SPECIALISMS = {
    "digitally_excluded": lambda pop: ~pop.digital,
    "limited_a_lot": lambda pop: pop.limitation == 2,
    "children_young_people": lambda pop: pop.age < 25,
}
"""Groups a specialist link worker targets (002:364 names CYP, BAME, trans, GRT and language
groups; the model represents the attributes it has)."""


NEED_NAMES = ("none", "low", "moderate", "complex")
NEED_HOURS_FLOW = tuple(f"new_lw_hours_need_{name}" for name in NEED_NAMES)
"""Flow names of link-worker contact hours by the client's need level at the contact."""

TRIAGE_GROUP = {"gp": "gp", "self": "self"}
"""Referral sources counted separately at triage and disengagement (the rest: 'other')."""


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
                 specialism: str = "", host: str = ""):
        super().__init__(model)
        self.index = len(model.link_workers)
        model.link_workers.append(self)
        self.unit = unit
        # units whose groups it can reach and whose officers it works with: its own; in a
        # places topology every area its practices serve (a PCN footprint, set by the model)
        self.reach: frozenset[int] = frozenset((unit,))
        self.name = name
        self.specialism = specialism  # "" or a key of SPECIALISMS: reaches out to that group
        p = model.cfg.link_worker
        # hosting (002:149-151, 172): a PCN/practice-hosted post sits in the surgery
        draw = model.streams.lw_hosting.random()
        self.host = host or ("vcse" if draw < p.share_hosted_vcse else
                             "lio" if draw < p.share_hosted_vcse + p.share_hosted_lio
                             else "practice")  # a given host keeps the draw (same streams)
        self.co_located = self.host == "practice"
        # a face-to-face visit: a round trip over the unit's distance to the practice plus the
        # time on site beyond driving (002:166); a phone contact has no travel
        self.site_hours = travel_hours
        self.miles = model.units[unit].params.gp_distance_miles
        # referrals not yet assessed: (resident, source, referral number); the number tells
        # a live entry from one left by an earlier referral of the same resident
        self.inbox = ReferralQueue()
        self.waiting = WaitingList()  # (resident, referral number): assessed, for bespoke support
        self.caseload: dict[int, list[int]] = {}  # resident -> [next session day, sessions left]
        self.light: dict[int, int] = {}  # resident -> day the closing call is due
        # untriaged intake (link_worker.triage false): referral source of those on the
        # waiting list who have not been assessed yet
        self.unassessed_source: dict[int, str] = {}
        self.budget_today = 0.0
        self.hours_today = 0.0
        self.hours_total = 0.0
        self.mapping_hours = 0.0  # mapping done towards the next directory renewal
        # a post shared with patients outside the model works here one day in 1/share
        self.day_share = model.units[unit].params.lw_days_share
        self._day_credit = 0.0

    def __setstate__(self, state: dict) -> None:
        """A link worker saved (``CommunityModel.save``) while its inbox or waiting list was a
        deque of tuples gets the same entries in a :class:`ReferralQueue` or
        :class:`WaitingList`."""
        for name, kind in (("inbox", ReferralQueue), ("waiting", WaitingList)):
            entries = state.get(name)
            if isinstance(entries, deque):
                queue = kind()
                for entry in entries:
                    queue.append(entry)
                state[name] = queue
        self.__dict__.update(state)

    @property
    def travel_hours(self) -> float:
        """Hours of a face-to-face visit beyond the session: time on site plus the round trip at
        today's ``link_worker.travel_mph`` (read each time: an event may change it)."""
        return self.site_hours + 2.0 * self.miles / self.model.cfg.link_worker.travel_mph

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
            # infrastructure work: its own mapping of listings nobody keeps up (sim.agents.lio);
            # an isolated worker also maps groups others already know (duplicated effort)
            mapped = m.lio_functions.map_for(self, self.budget_today)
            self.hours_today += mapped
            if not mapped:
                self._map_groups()
            if self.co_located:
                for gp in m.practices_of_link_worker(self):
                    gp.see_link_worker()
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
        # entries (resident, source, referral number) and (resident, referral number), held
        # as columns: one compiled pass each
        if self.inbox:
            self.inbox.keep_waiting(pop.pathway, pop.lw_referrals, Pathway.WAITING)
        if self.waiting:
            self.waiting.keep_waiting(pop.pathway, pop.lw_referrals, Pathway.WAITING)

    def _assess_inbox(self) -> None:
        m = self.model
        if not m.cfg.link_worker.triage:
            self._take_untriaged()
            return
        done = 0
        while self.inbox and done < m.cfg.link_worker.triage_per_day:
            i, source, k = self.inbox[0]
            if m.pop.pathway[i] != Pathway.WAITING or m.pop.lw_referrals[i] != k:
                self.inbox.popleft()
                continue
            cost, face = self._contact(i, m.cfg.link_worker.assessment_hours)
            if not self._fits(cost):
                return
            self.inbox.popleft()
            self._book(i, cost, face)
            done += 1
            self._triage(i, source, face)

    def _take_untriaged(self) -> None:
        """Untriaged intake (``link_worker.triage`` false): every referral joins the waiting
        list first come, without an assessment; the first bespoke session assesses
        (``_assess_at_first_session``)."""
        pop = self.model.pop
        while self.inbox:
            i, source, k = self.inbox.popleft()
            if pop.pathway[i] == Pathway.WAITING and pop.lw_referrals[i] == k:
                self.waiting.append((i, k))
                self.unassessed_source[i] = source
        self._admit_from_waiting()

    def _decided(self, i: int) -> None:
        """A decision on client ``i``'s referral (light touch, bespoke support or the waiting
        list for it, or hand-back), counted with the days since the referral (004:326-330)."""
        m = self.model
        m.count("new_lw_decisions")
        m.count("sum_lw_days_to_decision", m.day - int(m.pop.lw_referred_day[i]))

    def _assess_at_first_session(self, i: int, source: str, face: bool, cost: float) -> bool:
        """Untriaged intake: the first bespoke session is the assessment. The client may drop
        out (the chance rises with the wait) or be beyond scope and handed back - after
        holding a place on the waiting list and the session's hours. True: support starts."""
        m, p = self.model, self.model.cfg.link_worker
        pop, rng = m.pop, m.streams.link_worker
        group = TRIAGE_GROUP.get(source, "other")
        m.count(f"new_lw_triaged_{group}")
        m.count(f"new_lw_clients_need_{NEED_NAMES[int(pop.need[i])]}")
        weeks = (m.day - int(pop.lw_referred_day[i])) / 7
        if self._disengages(i, face, weeks, p.p_client_disengages):
            self._book(i, cost, face)
            pop.pathway[i] = Pathway.NONE
            m.count("new_referrals_disengaged")
            m.count(f"new_referrals_disengaged_{group}")
            m.tell_referring_practice(i, helped=False)
            return False
        self._decided(i)
        if pop.need[i] >= Need.COMPLEX and rng.random() < p.p_complex_beyond_scope:
            self._book(i, cost, face)
            m.hand_back_to_gp(i)
            return False
        return True

    def _contact(self, i: int, hours: float) -> tuple[float, bool]:
        """Hours of a contact with client ``i`` and whether it is face to face: home visits
        for complex need, limited mobility or no digital access (004:440), phone otherwise
        more often (004:430-436)."""
        m, p = self.model, self.model.cfg.link_worker
        pop = m.pop
        high = pop.need[i] >= Need.COMPLEX or pop.limitation[i] == 2 or not pop.digital[i]
        face = m.streams.lw_contact.random() < (p.p_face_to_face_high_need if high
                                                 else p.p_face_to_face)
        return hours + (self.travel_hours if face else 0.0), bool(face)

    def _book(self, i: int, cost: float, face: bool) -> None:
        """Book a contact's hours today, by contact mode and by the client's need level."""
        m = self.model
        self.hours_today += cost
        if face:
            m.count("new_lw_contacts_face_to_face")
            m.count("new_lw_travel_hours", self.travel_hours)
        else:
            m.count("new_lw_contacts_phone")
        m.count(NEED_HOURS_FLOW[int(m.pop.need[i])], cost)

    def _disengages(self, i: int, face: bool, weeks_waited: float, base: float) -> bool:
        """Does client ``i`` drop out at this contact? The chance rises with the wait, and is
        lower for a motivated (self-referred) client, after a warm handover and face to face
        (004:330, 004:398-402, 004:428-436)."""
        p = self.model.cfg.link_worker
        pop = self.model.pop
        chance = base * (1.0 + p.disengagement_per_week_waited * weeks_waited)
        if pop.self_referred[i]:
            chance *= p.self_referral_disengagement_factor
        if pop.lw_warm[i]:
            chance *= p.warm_handover_disengagement_factor
        if not face:
            chance *= p.phone_disengagement_factor
        return bool(self.model.streams.link_worker.random() < chance)

    def _triage(self, i: int, source: str, face: bool = True) -> None:
        m, p = self.model, self.model.cfg.link_worker
        pop, rng = m.pop, m.streams.link_worker
        m.count(f"new_lw_triaged_{TRIAGE_GROUP.get(source, 'other')}")
        m.surface_hidden_need(i, rng, 1.0 if face else p.phone_hidden_need_factor)
        m.count(f"new_lw_clients_need_{NEED_NAMES[int(pop.need[i])]}")
        weeks = (m.day - int(pop.lw_referred_day[i])) / 7
        if self._disengages(i, face, weeks, p.p_client_disengages):
            pop.pathway[i] = Pathway.NONE
            m.count("new_referrals_disengaged")
            m.count(f"new_referrals_disengaged_{TRIAGE_GROUP.get(source, 'other')}")
            m.tell_referring_practice(i, helped=False)
            return
        self._decided(i)
        if pop.need[i] >= Need.COMPLEX and rng.random() < p.p_complex_beyond_scope:
            m.hand_back_to_gp(i)
            return
        if pop.need[i] <= Need.LOW:
            self._light_touch(i)
        else:
            pop.lw_referred_day[i] = m.day  # from now: time on the waiting list
            self.waiting.append((i, int(pop.lw_referrals[i])))
            self._admit_from_waiting()

    def _light_touch(self, i: int) -> None:
        m = self.model
        if self.match(i):
            m.tell_referring_practice(i, helped=True)
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
            self._book(i, cost, False)
            del self.light[i]
            m.finish_link_worker_support(i)

    def session_interval(self) -> int:
        p = self.model.cfg.link_worker
        return max(round(p.bespoke_days / p.bespoke_sessions), 1)

    def _admit_from_waiting(self) -> None:
        """Admit from the waiting list while the caseload has room and the first session fits
        today. A client who waited may have lost heart (004:330): the disengagement chance of
        the wait alone (no base chance without a wait)."""
        m, p = self.model, self.model.cfg.link_worker
        pop = m.pop
        while self.waiting and len(self.caseload) < p.caseload_cap:
            i, k = self.waiting[0]
            if pop.pathway[i] != Pathway.WAITING or pop.lw_referrals[i] != k:
                self.waiting.popleft()
                continue
            source = self.unassessed_source.pop(i, None) if self.unassessed_source else None
            hours = self.session_hours(i) + (p.assessment_hours if source is not None else 0.0)
            cost, face = self._contact(i, hours)
            if not self._fits(cost):
                if source is not None:
                    self.unassessed_source[i] = source
                return
            self.waiting.popleft()
            weeks = (m.day - int(pop.lw_referred_day[i])) / 7
            if source is not None:
                if not self._assess_at_first_session(i, source, face, cost):
                    continue
            elif weeks > 0 and self._disengages(
                    i, face, 0.0, p.p_client_disengages * p.disengagement_per_week_waited * weeks):
                pop.pathway[i] = Pathway.NONE
                m.count("new_referrals_disengaged")
                m.count("new_referrals_disengaged_waiting_list")
                m.tell_referring_practice(i, helped=False)
                continue
            sessions = p.bespoke_sessions
            days = p.bespoke_days
            if pop.need[i] >= Need.COMPLEX:  # more sessions for complex need (004:418)
                sessions += p.extra_sessions_complex
                days += p.extra_sessions_complex * self.session_interval()
            factor = 1.0 if face else p.phone_hidden_need_factor
            if pop.hidden[i] and m.surface_hidden_need(i, m.streams.link_worker, factor):
                extra = round(p.hidden_need_extra_days / self.session_interval())
                sessions += extra
                days += p.hidden_need_extra_days
            m.start_support(i, Pathway.LINK_WORKER, days)
            self.caseload[i] = [m.day, sessions]
            m.evaluation.baseline(i)
            self._session(i, cost, face)

    def session_hours(self, i: int) -> float:
        """Hours of a bespoke session: longer for a complex need (004:410-420, 698-700)."""
        p = self.model.cfg.link_worker
        factor = p.complex_session_hours_factor if self.model.pop.need[i] >= Need.COMPLEX else 1
        return p.session_hours * factor

    def _hold_sessions(self) -> None:
        """Bespoke sessions due today or overdue, oldest first, while the hours last."""
        m = self.model
        day = m.day
        due = sorted((nxt, i) for i, (nxt, _) in self.caseload.items() if nxt <= day)
        for _, i in due:
            cost, face = self._contact(i, self.session_hours(i))
            if not self._fits(cost):
                m.count("new_lw_sessions_deferred", 1)
                continue
            self._session(i, cost, face)

    def _session(self, i: int, cost: float, face: bool) -> None:
        """One bespoke session with client ``i`` (its hours and mode decided by the caller); a
        destination is sought while the client has none; after the last session support
        ends."""
        m = self.model
        self._book(i, cost, face)
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
            pop.lw_referred_day[i] = m.day
            pop.lw_warm[i] = False
            pop.lw_from_gp[i] = False
            self.inbox.append((i, "self", int(pop.lw_referrals[i])))
            m.count("new_referrals_self")
            m.count("new_lw_referrals")
            m.count("new_outreach_contacts")

    def clients(self) -> list[int]:
        """Everyone this link worker holds: inbox, waiting list, caseload and light touch."""
        return [e[0] for e in self.inbox] + [e[0] for e in self.waiting] + list(
            self.caseload) + list(self.light)

    # -- matching --------------------------------------------------------------------------
    def match(self, i: int, keep_pathway: bool = False) -> bool:
        """Try destinations from the directory; a stale entry fails and is dropped. With
        ``link_worker.fit_matching`` the worker tries only the destinations it knows that offer
        the client's need domain while it knows any that has not turned the client down today
        (002:107, 204; 004:96), then any it knows; so how well placements fit depends on what
        its directory holds and on room in the fitting destinations."""
        m = self.model
        rng = m.streams.link_worker
        pref = m.cfg.link_worker.large_group_preference
        fit_first = m.cfg.link_worker.fit_matching
        domain = int(m.pop.need_domain[i])
        declined: set[int] = set()  # fitting destinations that turned the client down today
        for _ in range(m.cfg.link_worker.max_match_attempts):
            weights, offers = m.referral_weights()  # by organisation index
            options = sorted(self.directory)
            if not options:
                return False
            if fit_first:
                fitting = [g for g in options if offers[g] >> domain & 1
                           and g not in declined]
                if fitting:
                    options = fitting
            w = [weights[g] for g in options]  # float(nominal_capacity) + 1.0
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
            if fit_first:
                declined.add(g)
        return False

    def refresh_directory(self, groups: list[VCSEGroup]) -> None:
        """Replace the directory with the open groups it can reach and knows of through its
        ties (LIO refresh or its own mapping): the listed ones; a VCSE- or LIO-hosted worker
        also the unlisted community groups of its unit, a practice-hosted one its practices'
        tied groups (002:19, 002:290-292)."""
        embedded = self.host != "practice"
        tied: set[int] = set()
        if not embedded:
            for gp in self.model.gp_practices:
                if self in gp.link_workers:
                    tied.update(gp.vcse_ties)
        places = self.model.place_keys_of(self.reach)  # its districts' place-level groups
        self.directory = {g.index for g in groups
                          if g.is_open and g.kind is not GroupKind.LIO
                          and (g.unit in self.reach or (g.unit < 0 and g.unit_key in places))
                          and (g.on_directory or g.index in tied
                               or (embedded and g.kind is GroupKind.COMMUNITY_GROUP))}

    def isolated(self) -> bool:
        """A practice-hosted worker with no open LIO and no locality officer to tie to: no
        peer network keeps its directory (002:19, 002:216, 002:292)."""
        m = self.model
        if self.host != "practice" or m.lio_of_unit(self.unit) is not None:
            return False
        return not any(h.kind_name == "locality_officer" and h.served_units & self.reach
                       for h in m.intermediaries)

    def _map_groups(self) -> None:
        """Infrastructure work on a working day with no stale listing to verify
        (``LIOFunctions.map_for``): an isolated worker maps groups others already know
        (duplicated effort); the hours come out of the day's contact time, and each
        ``mapping_hours_per_refresh`` hours renew its directory."""
        m, p = self.model, self.model.cfg.link_worker
        if not self.isolated():
            return
        weekly = p.isolated_mapping_hours_per_week
        if weekly <= 0:
            return
        hours = min(weekly / p.working_days_per_week, self.budget_today - self.hours_today)
        self.hours_today += hours
        self.mapping_hours += hours
        m.count("new_lw_mapping_hours", hours)
        if self.mapping_hours >= p.mapping_hours_per_refresh:
            self.mapping_hours -= p.mapping_hours_per_refresh
            self.refresh_directory(m.groups)
            m.count("new_lw_directory_remapped")

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
