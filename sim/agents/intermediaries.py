"""Intermediaries: the urban locality officer, the rural parish council and a place-based hub."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.agents.organisations import GroupKind, VCSEGroup
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
        by_unit = self.model.open_groups_by_unit()
        return [g for g in by_unit.get(unit, ()) if g.has_room()] + (
            [g for g in by_unit.get(-1, ()) if g.has_room()]
            if self.reaches_place_groups else [])

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
        if options:
            g = options[int(rng.integers(len(options)))]
            m.offer_to_group(i, g.index, "intermediary")
        return True

    @property
    def kind_name(self) -> str:
        return "intermediary"


class LocalityOfficer(Intermediary):
    """Urban community worker: brings hyper-local groups onto the directory and ties the GP
    practice and link workers to them, slowly ("that stuff takes time", 000:92).

    Its hours are a resource: each day ``lo_hours_per_week / 7`` hours, first for residents
    who come to it (``lo_hours_per_signpost`` each, at most ``lo_signposts_per_day``), the rest
    for partnership work while there is some to do; an attempt costs
    ``lo_hours_per_tie_attempt`` hours and succeeds with ``p_lo_tie_success``."""

    kind_name = "locality_officer"

    def __init__(self, model: CommunityModel, unit: int, name: str):
        super().__init__(model, unit, name)
        self.hours_left = 0.0
        self.tie_progress = 0.0

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

    def _tie_work(self) -> tuple[list[VCSEGroup], list[tuple[object, VCSEGroup]]]:
        """Off-radar groups of the unit, and (practice, group) pairs that would link a group
        no practice of the unit is tied to yet (once every group has its link to health there
        is no tie work left: ties then track group turnover)."""
        m = self.model
        units = sorted(self.served_units)
        unit_groups = [g for u in units for g in m.groups_by_unit.get(u, ())
                       if g.is_open and g.kind is not GroupKind.LIO]
        hidden = [g for g in unit_groups if not g.on_directory]
        practices = list({id(gp): gp for u in units for gp in m.practices_in(u)}.values())
        tied = {k for gp in practices for k in gp.vcse_ties}
        pairs = [(gp, g) for g in unit_groups if g.index not in tied for gp in practices]
        return hidden, pairs

    def tie_groups_at_start(self) -> None:
        """The officer has been in post for years (000:80-81): each group of its unit that no
        practice of the unit is tied to starts tied to one of them (drawn), as its partnership
        work would have left it. Built untied, those ties took about seven years to build up,
        longer than the burn-in, and GP signposting to tied groups (so groups' strain) crept up
        through the run."""
        m = self.model
        _, pairs = self._tie_work()
        rng = m.streams.intermediaries
        options: dict[int, tuple[VCSEGroup, list]] = {}
        for gp, g in pairs:
            if g.kind is not GroupKind.MUTUAL_AID:
                options.setdefault(g.index, (g, []))[1].append(gp)
        for g, practices in options.values():
            gp = practices[int(rng.integers(len(practices)))]
            gp.vcse_ties.append(g.index)
            m.add_tie(gp, g)

    def step(self) -> None:
        m, p = self.model, self.model.cfg.intermediaries
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
            g = hidden[int(rng.integers(len(hidden)))]
            g.on_directory = True
            for lw in m.link_workers:
                if self.served_units & lw.reach:
                    lw.directory.add(g.index)
                    m.add_tie(lw, g)
            m.count("new_groups_brought_on_directory")
            return
        gp, g = pairs[int(rng.integers(len(pairs)))]
        gp.vcse_ties.append(g.index)
        m.add_tie(gp, g)
        m.count("new_lo_ties_built")


class ParishCouncil(Intermediary):
    """Rural hub. In normal times a village has "no formal infrastructure" (000:79): the council
    signposts a few residents a day (a nominated councillor, 000:121) and has no tie to health
    unless ``intermediaries.pc_ties_to_health`` (000:87, 000:116). When an emergency starts,
    after ``pc_mobilisation_lag_days`` and while it lasts, the key people leaflet every
    household: willing residents come forward as the village network (000:86), and a weekly
    buddy scheme gives each vulnerable household two volunteers (calls, shopping,
    prescriptions; 000:86). The response rests on a few key people (000:121)."""

    kind_name = "parish_council"
    reaches_place_groups = False

    def __init__(self, model: CommunityModel, unit: int, name: str):
        super().__init__(model, unit, name)
        self.key_individuals = model.cfg.intermediaries.pc_key_individuals
        self.n_buddied = 0
        self.mobilised_for = -1  # the emergency (its start day) the council mobilised for
        self.network = None  # the village network group, once formed

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
        start = m.emergency_start
        if m.day < start + p.pc_mobilisation_lag_days:
            return
        if self.mobilised_for != start:
            self.mobilised_for = start
            self.mobilise()
        if (m.day - start - p.pc_mobilisation_lag_days) % 7 == 0:
            self.run_buddy_scheme()

    def mobilise(self) -> None:
        """Leaflet every household: a share of the village's willing residents come forward and
        form the village network (an unconstituted mutual aid group, 000:86)."""
        m = self.model
        pop = m.pop
        unit = m.units[self.unit]
        m.count("new_pc_mobilisations")
        if not unit.params.informal_network:
            return
        if self.network is None or not self.network.is_open:
            from sim.agents.organisations import GroupKind

            self.network = m.add_group(GroupKind.MUTUAL_AID, self.unit, False,
                                       f"{unit.name}-network-{m.day}")
            self.network.anchored = True  # the council holds it: it does not fold
            m.count("new_groups_formed")
        latent = np.flatnonzero(pop.vstate[unit.start:unit.stop] == VolunteerState.LATENT)
        rng = m.streams.intermediaries
        k = int(rng.binomial(latent.size, m.cfg.intermediaries.pc_leaflet_share))
        if k:
            chosen = np.sort(rng.choice(latent, size=k, replace=False)) + unit.start
            pop.vstate[chosen] = VolunteerState.ACTIVE
            pop.vorg[chosen] = self.network.index
            pop.vtrained_at[chosen] = self.network.index
            pop.vlast_task[chosen] = m.day
            pop.vsince[chosen] = m.day
            m.create_volunteer_agents(chosen)

    def run_buddy_scheme(self) -> None:
        """Weekly: vulnerable residents in unmet need get buddies while volunteers with hours
        left last; each buddy gives ``volunteers.buddy_hours_per_week`` every week of it."""
        m = self.model
        pop = m.pop
        unit = m.units[self.unit]
        sl = slice(unit.start, unit.stop)
        vulnerable = ((pop.need[sl] > Need.NONE) & (pop.pathway[sl] == Pathway.NONE)
                      & ((pop.limitation[sl] == 2) | pop.shielded[sl] | (pop.age[sl] >= 75)))
        residents = np.flatnonzero(vulnerable) + unit.start
        if residents.size == 0:
            return
        hours = m.cfg.volunteers.buddy_hours_per_week
        vs = pop.vstate[sl]
        helpers = np.flatnonzero((vs == VolunteerState.ACTIVE) | (vs == VolunteerState.IDLE)
                                 ) + unit.start
        helpers = helpers[pop.hours_left(helpers) >= hours]
        per = max(m.cfg.intermediaries.buddies_per_household, 1)
        k = min(residents.size, helpers.size // per)
        if k <= 0:
            return
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
