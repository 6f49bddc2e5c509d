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

    def __init__(self, model: CommunityModel, unit: int, name: str):
        super().__init__(model)
        self.unit = unit  # -1: the whole place
        self.name = name
        self.capacity_left = 0
        self.n_signposted = 0

    def daily_capacity(self) -> int:
        return 0

    def has_health_tie(self) -> bool:
        return False

    def begin_day(self) -> None:
        self.capacity_left = self.daily_capacity()

    def groups_in_reach(self, unit: int) -> list[VCSEGroup]:
        m = self.model
        return [g for g in m.groups_by_unit.get(unit, ()) if g.is_open and g.has_room()] + (
            [g for g in m.groups_by_unit.get(-1, ()) if g.is_open and g.has_room()]
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
    practice and link workers to them, slowly ("that stuff takes time", 000:92)."""

    kind_name = "locality_officer"

    def daily_capacity(self) -> int:
        return self.model.cfg.intermediaries.lo_signposts_per_day

    def has_health_tie(self) -> bool:
        return True

    def step(self) -> None:
        m, p = self.model, self.model.cfg.intermediaries
        if m.day % p.lo_tie_interval_days or m.day == 0:
            return
        rng = m.streams.intermediaries
        if rng.random() >= p.p_lo_tie_success:
            return
        unit_groups = [g for g in m.groups_by_unit.get(self.unit, ())
                       if g.is_open and g.kind is not GroupKind.LIO]
        hidden = [g for g in unit_groups if not g.on_directory]
        if hidden:
            g = hidden[int(rng.integers(len(hidden)))]
            g.on_directory = True
            for lw in m.link_workers:
                if lw.unit == self.unit:
                    lw.directory.add(g.index)
                    m.add_tie(lw, g)
            m.count("new_groups_brought_on_directory")
            return
        practices = [gp for gp in m.gp_practices if gp.unit == self.unit]
        if practices and unit_groups:
            gp = practices[int(rng.integers(len(practices)))]
            candidates = [g for g in unit_groups if g.index not in gp.vcse_ties]
            if candidates:
                g = candidates[int(rng.integers(len(candidates)))]
                gp.vcse_ties.append(g.index)
                m.add_tie(gp, g)


class ParishCouncil(Intermediary):
    """Rural hub: signposting by a nominated councillor, buddy schemes (2 volunteers per
    vulnerable household, 000:86); rests on a few key people (000:121); no tie to health
    services by default (000:87, 000:116)."""

    kind_name = "parish_council"
    reaches_place_groups = False

    def __init__(self, model: CommunityModel, unit: int, name: str):
        super().__init__(model, unit, name)
        self.key_individuals = model.cfg.intermediaries.pc_key_individuals
        self.n_buddied = 0

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
        if self.key_individuals and m.day % 7 == 0:
            self.run_buddy_scheme()

    def run_buddy_scheme(self) -> None:
        """Weekly: vulnerable residents in unmet need get buddies while volunteers last."""
        m = self.model
        pop = m.pop
        unit = m.units[self.unit]
        sl = slice(unit.start, unit.stop)
        vulnerable = ((pop.need[sl] > Need.NONE) & (pop.pathway[sl] == Pathway.NONE)
                      & ((pop.limitation[sl] == 2) | pop.shielded[sl] | (pop.age[sl] >= 75)))
        residents = np.flatnonzero(vulnerable) + unit.start
        if residents.size == 0:
            return
        vs = pop.vstate[sl]
        helpers = np.flatnonzero((vs == VolunteerState.ACTIVE) | (vs == VolunteerState.IDLE))
        per = max(m.cfg.intermediaries.buddies_per_household, 1)
        k = min(residents.size, helpers.size // per)
        if k <= 0:
            return
        rng = m.streams.intermediaries
        chosen = rng.choice(residents, size=k, replace=False)
        buddies = rng.choice(helpers, size=k * per, replace=False) + unit.start
        m.volunteer_tasks(buddies)
        for i in np.sort(chosen):
            m.start_support(int(i), Pathway.INFORMAL, m.cfg.help_seeking.informal_support_days)
        self.n_buddied += k
        m.count("new_buddied", k)


class PlaceHub(Intermediary):
    """A place-based front door (003:168-170) with ties to health and every unit's groups."""

    kind_name = "hub"

    def daily_capacity(self) -> int:
        return self.model.cfg.intermediaries.hub_signposts_per_day

    def has_health_tie(self) -> bool:
        return True
