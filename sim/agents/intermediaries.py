"""Intermediaries: the urban locality officer, the rural parish council and a place-based hub."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.agents.organisations import GroupKind, VCSEGroup
from sim.rng import pick_index
from sim.state import NEED as Need  # plain ints: fast in numpy
from sim.state import PATHWAY as Pathway
from sim.state import VSTATE as VolunteerState

if TYPE_CHECKING:
    from sim.model import CommunityModel


class Intermediary(mesa.Agent):
    """Signposts residents who come to it, up to a daily capacity."""

    model: CommunityModel
    sector = "community"
    reaches_place_groups = True
    # the units a hub serves when not one unit nor the whole place (a places topology's hub
    # on a PCN's areas, 003:170); None: its own unit, or every unit if ``unit`` is -1
    units: frozenset[int] | None = None

    def __init__(self, model: CommunityModel, unit: int, name: str):
        super().__init__(model)
        self.unit = unit  # -1: the whole place
        self.name = name
        self.capacity_left = 0
        self.n_signposted = 0

    @property
    def served_units(self) -> frozenset[int]:
        """The units it works in: ``units`` if set, else its own unit."""
        return self.units if self.units is not None else frozenset((self.unit,))

    def daily_capacity(self) -> int:
        return 0

    def has_health_tie(self) -> bool:
        return False

    def begin_day(self) -> None:
        self.capacity_left = self.daily_capacity()

    def groups_in_reach(self, unit: int) -> list[VCSEGroup]:
        """The open groups of ``unit`` (and its district's place-level ones, if it reaches
        them) with room for a client (``VCSEGroup.has_room``), in group order within each."""
        if self.reaches_place_groups:  # the groups a resident of the unit can go to
            return self.model.groups_with_room(unit)
        return [g for g in self.model.open_groups_by_unit().get(unit, ()) if g.has_room()]

    def signpost(self, i: int) -> bool:
        """Help resident ``i`` find support; False when out of capacity today."""
        if self.capacity_left <= 0:
            return False
        m = self.model
        rng = m.streams.intermediaries
        self.capacity_left -= 1
        self.n_signposted += 1
        m.count(f"new_signposted_{self.kind_name}")
        lw = m.link_worker_for(i)
        if lw is not None and self.has_health_tie() and (
                rng.random() < m.cfg.help_seeking.p_signposted_to_lw):
            m.refer_to_link_worker(i, "signposting")
            return True
        options = self.groups_in_reach(int(m.pop.unit[i]))
        placed = False
        if options:
            g = options[pick_index(rng, len(options))]
            placed = m.offer_to_group(i, g.index, "intermediary") == "accepted"
        if not placed and not self.has_health_tie():
            self.send_on_to_gp(i)
        return True

    def send_on_to_gp(self, i: int) -> None:
        """Nothing local fits and there is no tie to health: with chance
        ``intermediaries.p_unplaced_sent_to_gp`` the intermediary tells resident ``i`` to take
        the need to their GP (000:121; the village's one route to health, 000:87). The
        resident goes from the next day, as far as they reach the practice
        (:func:`sim.processes.help_seeking.take_gp_advice`)."""
        m = self.model
        p = m.cfg.intermediaries.p_unplaced_sent_to_gp
        if p <= 0.0 or i in m.gp_advised or m.pop.pathway[i] != Pathway.NONE:
            return  # nothing to advise: already advised, or waiting for a link worker
        if m.streams.intermediaries.random() >= p:
            return
        m.gp_advised.add(i)
        m.count("new_sent_on_to_gp")

    @property
    def kind_name(self) -> str:
        return "intermediary"


class LocalityOfficer(Intermediary):
    """Urban community worker: brings hyper-local groups onto the directory and ties the GP
    practice and link workers to them, slowly ("that stuff takes time", 000:92), and keeps up
    the ties it brokered: the "bridge" between sectors (000:120) that takes partnership work
    off the practice, which "can't do ... partnership work all day long" (000:94).

    Its hours are a resource: each day ``lo_hours_per_week / 7`` hours, first for residents
    who come to it (``lo_hours_per_signpost`` each, at most ``lo_signposts_per_day``), then the
    upkeep of the ties it keeps up (``1 - lo_tie_practice_share`` of
    ``gp.tie_upkeep_hours_per_week`` each; the practice gives the rest), the rest for new
    partnership work while there is some to do; an attempt costs ``lo_hours_per_tie_attempt``
    hours and succeeds with ``p_lo_tie_success``. It keeps up the ties it brokered and, while
    it has hours, those of the unit's main practice with the groups serving the unit whoever
    made them (``take_over_ties``). Upkeep falls due day by day at the day's cost (a seventh
    of a week's upkeep for each tie it keeps that day, so a tie that ends, or an emergency
    that starts or ends, changes the charge from the next day) and is booked against the
    hours left after residents until it is paid (unpaid upkeep is carried on); each week the
    officer lets go of as many of its least recently used ties as whole weeks of one tie's
    upkeep (at that day's cost) are still unpaid: their whole upkeep falls on the practice,
    and a tie the practice's own partnership hours do not cover either ends.
    It brokers a new tie only while last week's hours left after upkeep would keep one more
    up."""

    kind_name = "locality_officer"

    def __init__(self, model: CommunityModel, unit: int, name: str):
        super().__init__(model, unit, name)
        self.hours_left = 0.0
        self.tie_progress = 0.0
        self.kept_ties: set[tuple[int, int]] = set()  # (practice, organisation) it keeps up
        self.upkeep_owed = 0.0  # upkeep hours fallen due that its hours have not yet covered
        self.spare_hours = 0.0  # hours left after upkeep this week
        # last week's hours left after upkeep (the room for another tie); before its first
        # week, its weekly hours
        self.spare_hours_last_week = model.cfg.intermediaries.lo_hours_per_week

    def begin_day(self) -> None:
        self.hours_left = self.model.cfg.intermediaries.lo_hours_per_week / 7.0
        super().begin_day()

    def daily_capacity(self) -> int:
        p = self.model.cfg.intermediaries
        return min(p.lo_signposts_per_day,
                   int(p.lo_hours_per_week / 7.0 / p.lo_hours_per_signpost + 1e-9))

    def has_health_tie(self) -> bool:
        return True

    def signpost(self, i: int) -> bool:
        if not super().signpost(i):
            return False
        hours = self.model.cfg.intermediaries.lo_hours_per_signpost
        self.hours_left -= hours
        self.model.count("new_lo_hours_signposting", hours)
        return True

    def officer_upkeep_per_week(self) -> float:
        """The officer's part of one tie's weekly upkeep, in hours a week."""
        m = self.model
        return m.tie_upkeep_hours_per_week() * (1.0 - m.cfg.intermediaries.lo_tie_practice_share)

    def has_tie_room(self) -> bool:
        """Whether last week's hours left after upkeep would keep up one more tie."""
        return self.officer_upkeep_per_week() <= self.spare_hours_last_week + 1e-9

    def _keep_up_ties(self) -> None:
        """Today's upkeep of the ties kept today falls due (``per_week / 7`` each, at today's
        cost), and the upkeep owed is booked against today's hours until it is paid (a busy
        day's or week's upkeep is done later, and new partnership work gets only the hours past
        what is owed); weekly, the officer lets go of as many ties as whole weeks of one tie's
        upkeep are still unpaid (least recently used first), or, owing nothing, takes on more
        while last week left it hours to spare."""
        m = self.model
        per_week = self.officer_upkeep_per_week()
        self.upkeep_owed += len(self.kept_ties) * per_week / 7.0
        paid = min(max(self.hours_left, 0.0), self.upkeep_owed)
        self.hours_left -= paid
        self.upkeep_owed -= paid
        self.spare_hours += max(self.hours_left, 0.0)
        if paid:
            m.count("new_lo_hours_tie_upkeep", paid)
        if m.day % 7:
            return
        self.spare_hours_last_week, self.spare_hours = self.spare_hours, 0.0
        if self.upkeep_owed <= 1e-9 or per_week <= 0.0:
            self.upkeep_owed = 0.0
            self.take_over_ties(self._room(self.spare_hours_last_week))
        else:
            n = min(len(self.kept_ties), int((self.upkeep_owed + 1e-9) // per_week))
            if n:
                last_use = m.tie_last_use
                order = sorted(self.kept_ties, key=lambda k: (last_use.get(k, -1), k))
                self.hand_back_ties(order[:n])
                self.upkeep_owed = max(self.upkeep_owed - n * per_week, 0.0)

    def _room(self, hours: float) -> int:
        """How many more ties ``hours`` a week would keep up."""
        per_week = self.officer_upkeep_per_week()
        if per_week <= 0.0:
            return len(self.model.organisations)
        return int((hours + 1e-9) // per_week)

    def take_over_ties(self, room: int) -> None:
        """Take on the upkeep of up to ``room`` ties of its units' main practices with the
        groups serving its units (their own and the place-level ones; not the LIO, not mutual
        aid) that nobody keeps up yet, whoever made them (the bridge between the practice and
        the VCSE, 000:120): the practice then gives only its share of their upkeep."""
        m = self.model
        for u in sorted(self.served_units):
            main = m.main_practice(u)
            if room <= 0:
                return
            if main is None:
                continue
            serving = (*m.groups_by_unit.get(u, ()),
                       *m.groups_by_unit.get(m.place_key_of_unit[u], ()))
            local = {g.index for g in serving
                     if g.kind not in (GroupKind.LIO, GroupKind.MUTUAL_AID)}
            for k in main.vcse_ties:
                key = (main.index, k)
                if k in local and key not in m.officer_ties and room > 0:
                    m.officer_ties[key] = self
                    self.kept_ties.add(key)
                    self.spare_hours_last_week -= self.officer_upkeep_per_week()
                    room -= 1
                    m.count("new_lo_ties_taken_over")

    def hand_back_ties(self, keys: list[tuple[int, int]] | None = None) -> None:
        """Stop keeping up ties ``keys`` (default: all of them): their whole upkeep falls on
        the practice, which ends the least recently used of them until its partnership hours
        cover the rest."""
        m = self.model
        keys = sorted(self.kept_ties) if keys is None else list(keys)
        for key in keys:
            m.release_officer_tie(key)
        last_use = m.tie_last_use
        for key in sorted(keys, key=lambda k: (last_use.get(k, -1), k)):
            gp = m.gp_practices[key[0]]
            if gp.partnership_load() > gp.partnership_hours + 1e-9:
                m.untie_practice(gp, key[1])
                m.count("new_lo_ties_dropped_no_hours")
            else:
                m.count("new_lo_ties_handed_to_practice")

    def _tie_work(self) -> tuple[list[VCSEGroup], list[tuple[object, VCSEGroup]]]:
        """Off-radar groups of the unit, and (practice, group) pairs that would link a group
        no practice of the unit is tied to yet with the unit's main practice (the one
        registering most of its residents), while that practice has partnership hours for its
        share of another tie and the officer's spare hours would keep it up. Mutual aid groups
        are left out here, at build and during the run alike, as in the practices' own ties and
        the LIO's brokering. Once every group has its link to health, or the main practice or
        the officer has no hours left, there is no tie work."""
        m = self.model
        hidden, untied = self._groups_for_tie_work()
        pairs: list[tuple[object, VCSEGroup]] = []
        share = m.cfg.intermediaries.lo_tie_practice_share
        for u, groups in untied if self.has_tie_room() else ():
            main = m.main_practice(u)
            if main is None or not main.has_tie_room(share):
                continue
            pairs += [(main, g) for g in groups]
        return hidden, pairs

    def _groups_for_tie_work(self) -> tuple[list[VCSEGroup], list[tuple[int, list]]]:
        """The off-radar groups of its units, and for each unit (in order) its groups no
        practice of the unit is tied to (not LIOs, not mutual aid), as :meth:`_tie_work` reads
        them. Kept while the open groups (``open_groups_by_unit``: each unit's, in group
        order), the listings (``model.listing_epoch``) and the practices' ties
        (``model.tie_epoch``) stand: nothing else decides them (a group's kind does not
        change), so most days only the hours are looked at. A practice's ties change through
        ``model.tie_practice`` and ``untie_practice`` (and closures), which move
        ``tie_epoch``: code that changes ``vcse_ties`` itself must call
        ``model._ties_changed()``."""
        m = self.model
        by_unit = m.open_groups_by_unit()
        key = (getattr(m, "listing_epoch", 0), getattr(m, "tie_epoch", 0), self.served_units)
        kept = self.__dict__.get("_tie_work_groups")
        if kept is not None and kept[0] is by_unit and kept[1] == key:
            return kept[2], kept[3]
        units = sorted(self.served_units)
        hidden = [g for u in units for g in by_unit.get(u, ())
                  if g.kind is not GroupKind.LIO and not g.on_directory]
        untied = []
        for u in units:
            tied = {k for gp in m.practices_in(u) for k in gp.vcse_ties}
            untied.append((u, [g for g in by_unit.get(u, ())
                               if g.kind not in (GroupKind.LIO, GroupKind.MUTUAL_AID)
                               and g.index not in tied]))
        self._tie_work_groups = (by_unit, key, hidden, untied)
        return hidden, untied

    def tie_groups_at_start(self) -> None:
        """The officer has been in post for years (000:80-81): it keeps up its units' main
        practices' ties with their groups (``take_over_ties``) and the groups of its units that no
        practice of the unit is tied to start tied to the unit's main practice, in drawn order,
        as far as that practice's partnership hours (for its share) and the officer's weekly
        hours go, as its partnership work would have left them; the officer keeps them up
        (its first weeks trim any its hours after signposting do not cover)."""
        m = self.model
        self.take_over_ties(self._room(m.cfg.intermediaries.lo_hours_per_week))
        _, pairs = self._tie_work()
        rng = m.streams.intermediaries
        for k in rng.permutation(len(pairs)).tolist():
            if not self.has_tie_room():
                break
            gp, g = pairs[k]
            if m.tie_practice(gp, g, officer=self):
                self.spare_hours_last_week -= self.officer_upkeep_per_week()

    def step(self) -> None:
        m, p = self.model, self.model.cfg.intermediaries
        self._keep_up_ties()
        hidden, pairs = self._tie_work()
        if not hidden and not pairs:
            self.tie_progress = 0.0
            return
        hours = max(self.hours_left, 0.0)
        self.hours_left = 0.0
        self.tie_progress += hours
        m.count("new_lo_hours_partnerships", hours)
        if self.tie_progress < p.lo_hours_per_tie_attempt:
            return
        self.tie_progress -= p.lo_hours_per_tie_attempt
        rng = m.streams.intermediaries
        if rng.random() >= p.p_lo_tie_success:
            return
        if hidden:
            g = hidden[pick_index(rng, len(hidden))]
            g.on_directory = True
            for lw in m.link_workers:
                if self.served_units & lw.reach:
                    lw.directory.add(g.index)
                    m.add_tie(lw, g)
            m.count("new_groups_brought_on_directory")
            return
        gp, g = pairs[pick_index(rng, len(pairs))]
        if m.tie_practice(gp, g, officer=self):
            self.spare_hours_last_week -= self.officer_upkeep_per_week()
            m.count("new_lo_ties_built")


class ParishCouncil(Intermediary):
    """Rural hub. In normal times a village has "no formal infrastructure" (000:79): the council
    signposts a few residents a day (a nominated councillor, 000:121) and has no tie to health
    unless ``intermediaries.pc_ties_to_health`` (000:87, 000:116).

    In an emergency the response rests on the council's key people (000:86, 000:121), residents
    who act on their own initiative, with no decision body to wait for: from the emergency's
    first day they leaflet every household, ``pc_households_leafleted_per_day`` each a day.
    Each household replies after a few days (mean ``pc_reply_mean_days``): a share of its
    willing residents come forward as the village network (an unconstituted mutual aid group,
    000:86) and its vulnerable residents self-identify. Every day the key people match
    self-identified vulnerable residents in unmet need with two buddies with the hours for it
    (calls, shopping, prescriptions; 000:86), ``pc_matches_per_day`` each. So how soon the
    village acts follows from its households, its key people and who replies when; with fewer
    key people every stage is slower, with none there is no response."""

    kind_name = "parish_council"
    reaches_place_groups = False

    def __init__(self, model: CommunityModel, unit: int, name: str):
        super().__init__(model, unit, name)
        self.key_individuals = model.cfg.intermediaries.pc_key_individuals
        self.n_buddied = 0
        self.mobilised_for = -1  # the emergency (its start day) the council mobilised for
        self.network = None  # the village network group, once formed
        self._to_leaflet = np.zeros(0, np.int64)  # households not yet leafleted, in order
        self._reply_day = np.zeros(0, np.int64)  # by resident of the unit: -1 not leafleted
        self._registered = np.zeros(0, bool)  # by resident: self-identified as vulnerable
        self._leaflet_credit = 0.0  # households' worth of leafleting not yet used
        self._match_credit = 0.0  # matches' worth of the key people's time not yet used

    def daily_capacity(self) -> int:
        return self.model.cfg.intermediaries.pc_signposts_per_day if self.key_individuals else 0

    def has_health_tie(self) -> bool:
        return self.model.cfg.intermediaries.pc_ties_to_health

    def step(self) -> None:
        m, p = self.model, self.model.cfg.intermediaries
        rng = m.streams.intermediaries
        if self.key_individuals and rng.random() < p.p_pc_key_individual_lost_per_year / 365:
            self.key_individuals -= 1
            m.count("new_pc_key_individuals_lost")
        elif self.key_individuals < p.pc_key_individuals and (
                rng.random() < p.p_pc_key_individual_found_per_year / 365):
            self.key_individuals += 1
        if not (self.key_individuals and m.cfg.emergency.active and m.emergency_start >= 0):
            return
        if self.mobilised_for != m.emergency_start:
            self.mobilised_for = m.emergency_start
            self.mobilise()
        self.leaflet()
        self.take_replies()
        self.run_buddy_scheme()

    def mobilise(self) -> None:
        """The key people start a leaflet round of every household of the village, in a random
        order; who has self-identified is forgotten from any earlier emergency."""
        m = self.model
        unit = m.units[self.unit]
        m.count("new_pc_mobilisations")
        households = np.unique(m.pop.household[unit.start:unit.stop])
        self._to_leaflet = m.streams.intermediaries.permutation(households)
        self._reply_day = np.full(unit.stop - unit.start, -1, np.int64)
        self._registered = np.zeros(unit.stop - unit.start, bool)
        self._leaflet_credit = self._match_credit = 0.0

    def leaflet(self) -> None:
        """Today's share of the leaflet round; each leafleted household's reply day is drawn."""
        if self._to_leaflet.size == 0:
            return
        m, p = self.model, self.model.cfg.intermediaries
        self._leaflet_credit += self.key_individuals * p.pc_households_leafleted_per_day
        k = min(int(self._leaflet_credit), self._to_leaflet.size)
        if k == 0:
            return
        self._leaflet_credit -= k
        today, self._to_leaflet = self._to_leaflet[:k], self._to_leaflet[k:]
        unit = m.units[self.unit]
        households = m.pop.household[unit.start:unit.stop]
        reached = np.flatnonzero(np.isin(households, today))
        replies = m.streams.intermediaries.geometric(1.0 / p.pc_reply_mean_days, today.size)
        order = np.argsort(today)
        at = np.searchsorted(today[order], households[reached])
        self._reply_day[reached] = m.day + replies[order][at]

    def take_replies(self) -> None:
        """Households replying today: their vulnerable residents self-identify; where the village
        has an informal network, a share of their willing residents come forward and join it
        (the network forms, held by the council so it does not fold, with the first of
        them)."""
        m = self.model
        replying = np.flatnonzero(self._reply_day == m.day)
        if replying.size == 0:
            return
        pop = m.pop
        unit = m.units[self.unit]
        idx = replying + unit.start
        self._registered[replying] |= self._vulnerable(idx)
        if not unit.params.informal_network:
            return
        latent = idx[pop.vstate[idx] == VolunteerState.LATENT]
        come = latent[m.streams.intermediaries.random(latent.size)
                      < m.cfg.intermediaries.pc_leaflet_share]
        if come.size:
            if self.network is None or not self.network.is_open:
                self.network = m.add_group(GroupKind.MUTUAL_AID, self.unit, False,
                                           f"{unit.name}-network-{m.day}")
                self.network.anchored = True  # the council holds it: it does not fold
                m.count("new_groups_formed")
            pop.vstate[come] = VolunteerState.ACTIVE
            pop.vorg[come] = self.network.index
            pop.vtrained_at[come] = self.network.index
            pop.vlast_task[come] = m.day
            pop.vsince[come] = m.day
            m.create_volunteer_agents(come)

    def _vulnerable(self, idx: np.ndarray) -> np.ndarray:
        pop = self.model.pop
        return (pop.limitation[idx] == 2) | pop.shielded[idx] | (pop.age[idx] >= 75)

    def run_buddy_scheme(self) -> None:
        """Daily: the key people match self-identified vulnerable residents in unmet need with
        nothing under way, as many as their time allows, while volunteers with the hours last;
        each buddy gives ``volunteers.buddy_hours_per_week`` every week of it."""
        m = self.model
        pop = m.pop
        unit = m.units[self.unit]
        p = m.cfg.intermediaries
        # today's time, plus a fraction of a match left from yesterday (time unused is not
        # saved up, but a rate below one a day still matches someone every few days)
        self._match_credit = self._match_credit % 1.0 + self.key_individuals * p.pc_matches_per_day
        sl = slice(unit.start, unit.stop)
        waiting = (self._registered & (pop.need[sl] > Need.NONE)
                   & (pop.pathway[sl] == Pathway.NONE))
        residents = np.flatnonzero(waiting) + unit.start
        if residents.size == 0:
            return
        hours = m.cfg.volunteers.buddy_hours_per_week
        vs = pop.vstate[sl]
        helpers = np.flatnonzero((vs == VolunteerState.ACTIVE) | (vs == VolunteerState.IDLE)
                                 ) + unit.start
        helpers = helpers[pop.hours_left(helpers) >= hours]
        per = max(p.buddies_per_household, 1)
        k = min(residents.size, helpers.size // per, int(self._match_credit))
        if k <= 0:
            return
        self._match_credit -= k
        rng = m.streams.intermediaries
        chosen = rng.choice(residents, size=k, replace=False)
        buddies = rng.choice(helpers, size=k * per, replace=False)
        days = m.cfg.help_seeking.informal_support_days
        m.volunteer_tasks(buddies, hours, weeks_committed_days=days)
        for i in np.sort(chosen):
            m.start_support(int(i), Pathway.INFORMAL, days)
        self.n_buddied += k
        m.count("new_buddied", k)


class PlaceHub(Intermediary):
    """A place-based front door (003:168-170) with ties to health and every unit's groups."""

    kind_name = "hub"

    def daily_capacity(self) -> int:
        return self.model.cfg.intermediaries.hub_signposts_per_day

    def has_health_tie(self) -> bool:
        return True
