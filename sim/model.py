"""The community-response model."""

from __future__ import annotations

import bisect
import copy
import logging
from itertools import accumulate
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING

import mesa
import numpy as np
import pandas as pd

from sim import events, kernels, metrics
from sim.agents.commissioning import Commissioner
from sim.agents.emergency_actors import ACTOR_NAMES, EmergencyActor
from sim.agents.group_params import DistrictLIOParams, SizedGroupParams, TableGroupParams
from sim.agents.group_state import GroupState, fill_mirrored_columns, params_by_index
from sim.agents.health import GPPractice, LinkWorker
from sim.agents.intermediaries import Intermediary, LocalityOfficer, ParishCouncil, PlaceHub
from sim.agents.lio import LIOFunctions
from sim.agents.organisations import (
    KIND_CODES,
    GroupKind,
    NHSTrust,
    Organisation,
    VCSEGroup,
    pay_the_day,
)
from sim.agents.people import Resident, Volunteer
from sim.evaluation import Evaluation
from sim.params import Config, ConfigError, GroupKindParams, validate
from sim.population import build_population
from sim.processes import emergency, help_seeking, mutual_aid, need, strain, volunteering, wellbeing
from sim.rng import Streams
from sim.state import PATHWAY as Pathway  # plain ints: fast in numpy
from sim.state import VSTATE as VolunteerState
from sim.state import Population
from sim.topology import UnitInfo, build_topology

if TYPE_CHECKING:
    import networkx as nx

logging.getLogger("MESA").setLevel(logging.WARNING)

_MUTUAL_AID = GroupKind.MUTUAL_AID  # a module constant: no enum attribute lookup in loops
_LIO_CODE = KIND_CODES[GroupKind.LIO]  # the LIO's kind code (group_state.kind_code)
_NOBODY = np.zeros(0, np.int64)
_NO_LEVEL = np.zeros(0, np.float64)  # no usual level of fresh unmet need yet
_RESULT_FLOW = {result: f"new_referrals_result_{result}" for result in ("accepted", "declined")}
_RESULT_FLOW["not_reached"] = _RESULT_FLOW["declined"]  # a health referral's outcome as counted

BANK_HOLIDAYS = frozenset((91, 94, 121, 142, 233, 355, 356, 365))
"""Days of the model year (day 1: the first Monday of January) with no link-worker work: Good
Friday, Easter Monday, the May, spring and August bank holidays, Christmas, Boxing Day and New
Year's Day (fixed dates: an assumption)."""


class RunFinished(RuntimeError):
    """A step was asked for after the last day of ``run.days`` (``model.extend`` adds days)."""


def _without(items: list, item) -> list:
    """A new list of ``items`` (organisations in group order: ascending ``index``) without
    ``item`` (a copy if it is not there), found by bisection, not a pass (by a pass if it
    is not where the order puts it)."""
    at = bisect.bisect_left(items, item.index, key=_INDEX)
    kept = items[:]
    if at < len(kept) and kept[at] is item:
        del kept[at]
    elif item in kept:  # out of order (never expected): found as list.index finds it
        del kept[kept.index(item)]
    return kept


_INDEX = attrgetter("index")


def _not_recorded(name: str, k: object = 1) -> None:
    """``CommunityModel.count`` and ``count_each`` in the burn-in: nothing is recorded."""


class CommunityModel(mesa.Model):
    """Residents, volunteers, link workers, VCSE groups, GP practices and intermediaries on a
    social network; one step is one day.

    Step order (every day, after ``model.day`` advances):

    0. **Burn-in**: the model is built and first runs ``run.burn_in_days`` days under
       baseline conditions (no events, nothing recorded), so output day 1 finds a community in
       its normal state; ``model.day`` counts every simulated day, ``model.output_day`` the
       days since the burn-in ended. Scenario events are dated in output days. Mesa's clock
       (``model.steps``, ``model.time``) counts output days only.
    1. **Events** due today are applied (``sim.events``; the scenario timeline). Day-0
       events apply once the burn-in is over, before output day 1.
    2. **Need**: onset (one uniform per resident from the ``need`` stream), escalation or
       self-resolution of unmet need, and the end of group, informal and statutory support
       (resolution, or one level lower).
    2e. **Advised GP visits**: residents a parish council told to see their GP go, each
       with the practice's access (``help_seeking.take_gp_advice``).
    3. **Help seeking**: residents in unmet need with nothing under way may seek help through
       one channel: GP, self-referral to a link worker, ties (mutual aid), a group they know,
       or an intermediary (locality officer, parish council, hub).
    4. **GP practices**: routine consultations; a raised non-medical need is referred to a
       link worker with the practice's (ramping) engagement, or signposted to a tied group.
       Statutory services refer some residents in moderate or complex unmet need.
    5. **Link workers** (in random order): their own mapping of listings nobody has
       verified lately (infrastructure work out of client hours), end due support, admit
       from the waiting list,
       triage the inbox (hand-back / bounce, light-touch, bespoke; with untriaged intake the
       inbox joins the waiting list and the first session assesses), match clients to
       destinations from their directory, those that fit the client's need domain first
       (stale entries fail); specialists reach out to their target group.
    6. **Groups**: funding in and out, closure (money or churn), the LIO's functions on its
       funded hours (capacity building, partnership brokering, directory upkeep;
       ``sim.agents.lio``), mutual aid groups forming in an emergency; the commissioner's
       reviews (tapered link-worker grants, commissioning of client places).
    7. **Volunteers**: applications, processing by limited management capacity, training,
       placement by the LIO, task allocation, idling, goodwill decay and dropout.
    8. **Intermediaries**: locality officer's tie building; parish council's buddy scheme;
       in an emergency, once mobilised (faster with a plan), the response cell takes on
       vulnerable residents with volunteers and health-community ties form.
    9. **Wellbeing**: ONS4 scores move towards the target of each resident's situation.
    10. **Measurement**: evaluation follow-ups fall due; the day's metrics row is collected.
    """

    def __init__(self, config: Config | None = None, *, rng=None, start: bool = True,
                 owned_config: bool = False, **params):
        """Build the world from ``config`` and run its burn-in; with ``start=False`` stop
        before :meth:`start_output` (``sim.burn_in`` saves that state for reuse).

        Mesa's conventions work too (``mesa.batch_run``, Solara pages): ``rng=`` or ``seed=``
        sets the base seed ``run.seed`` (a whole number is the seed itself; other seed-likes:
        :func:`sim.keywords.seed_from_rng`), and keyword parameters set the configuration:
        dotted keys (``**{"link_worker.caseload_cap": 20}`` or ``link_worker__caseload_cap=20``),
        ``days=``, ``replicate=``, and ``topology=``, ``scenario=``, ``overrides=[...]``, which
        compose from ``configs/`` as the command line does (:mod:`sim.keywords`). With none of
        them the model is built from ``config`` as it always was. Every random process draws
        from a named stream derived from ``run.seed`` and ``run.replicate`` (:mod:`sim.rng`);
        Mesa's own ``random``/``rng`` (agent activation order) come from the ``mesa`` stream.
        ``owned_config`` (internal, :func:`sim.burn_in.build_model`): ``config`` is a validated
        copy made for this model, which it uses as it is (not copied and checked again).
        """
        if params or rng is not None:
            from sim.keywords import config_from_keywords

            seed = params.pop("seed", None)  # not in the signature: batch_run then passes rng=
            cfg = config_from_keywords(config, params, rng=rng, seed=seed)
        elif owned_config and config is not None:
            cfg = config
        else:
            cfg = validate(copy.deepcopy(config) if config is not None else Config())
        streams = Streams(cfg.run.seed, cfg.run.replicate)
        self.day = 0  # days simulated so far, burn-in included (0 before the first step)
        super().__init__(rng=int(streams.seed_sequence("mesa").generate_state(1)[0]))
        self.cfg = cfg
        self.streams = streams
        self.flows: dict[str, float] = {}
        self.capacity_epoch = 0  # groups' cached capacities hold while this stands (events)
        self.listing_epoch = 0  # cached listings by unit hold while this stands
        self.reach_epoch = 0  # cached groups in reach hold while this stands (suspensions)
        self.tie_epoch = 0  # answers kept about ties (cross-sector, practices') stand while it does
        self.group_state = GroupState()  # organisations' money and strain, one row each
        # residents each group has taken on (a superset of those it supports: see clients_of)
        self._group_clients: dict[int, list[int]] = {}
        # residents an intermediary told to see their GP who have not gone yet
        # (sim.processes.help_seeking.take_gp_advice)
        self.gp_advised: set[int] = set()
        self.rows: list[dict] = []
        self.organisations: list[Organisation] = []
        self.groups: list[VCSEGroup] = []
        # every group by unit, a district's place-level ones under -1 - district (unit_key)
        self.groups_by_unit: dict[int, list[VCSEGroup]] = {}
        self._open_groups: tuple[list[VCSEGroup], dict[int, list[VCSEGroup]]] | None = None
        self.gp_practices: list[GPPractice] = []
        self.link_workers: list[LinkWorker] = []
        self.intermediaries: list[Intermediary] = []
        self.lio: VCSEGroup | None = None  # the first district's LIO (the only one off places)
        self.nhs_trust: NHSTrust | None = None  # the first district's trust (likewise)
        self.lios: list[VCSEGroup] = []  # one LIO per district (none without topology.place_lio)
        self.lio_books: list[LIOFunctions] = []  # one per district, LIO or not
        self.nhs_trusts: list[NHSTrust] = []  # one hospital trust per district
        self._cross_ties: set[frozenset[int]] = set()
        self._ties_of: dict[int, set[frozenset[int]]] = {}  # agent id -> its cross ties
        self._residents: dict[int, Resident] = {}
        self._volunteers: dict[int, Volunteer] = {}
        self._space = None
        self._graph = None
        self.event_log: list[dict] = []
        self.commissioner: Commissioner | None = None  # the first district's (see below)
        self.commissioners: list[Commissioner] = []  # one per district, made on first use
        self.emergency_start = -1  # day the current emergency began (-1: none)
        self.response_mobilised_day = -1  # day the LRF volunteering cell was mobilised
        self.redeployable_hospital = np.zeros(0, np.int64)  # stood-down, willing to redeploy
        self.joint_cases_today: list[tuple[int, int]] = []  # (practice, organisation)
        # every GP practice-VCSE tie (practice, organisation) -> day it was last used (formed,
        # a joint case, a GP signposting); unused ties lapse (sim.processes.emergency)
        self.tie_last_use: dict[tuple[int, int], int] = {}
        # the ties a locality officer brokered and keeps up with its own hours (the practice
        # gives only lo_tie_practice_share of their upkeep): (practice, organisation) -> officer
        self.officer_ties: dict[tuple[int, int], LocalityOfficer] = {}
        self.shielding = metrics.ShieldingWatch()  # shielded residents' first support
        self.processing_multiplier = 1.0  # volunteer-management scale-up (emergency response)
        self.day0 = 0  # model day on which output day 0 falls (the end of the burn-in)
        self.burning_in = False
        self.started = False
        self.lw_budget_today = 0.0
        self.timeline = events.Timeline.from_config(cfg.events)

        topo = build_topology(cfg.topology, streams.topology, population=cfg.population,
                              allow_large=cfg.run.allow_large)
        self.units: list[UnitInfo] = topo.units
        self.edges = topo.edges
        self.areas = topo.areas  # places topology: the place table, one row per unit
        self._practice_specs = topo.practices
        self._officers = topo.officers or []  # places: locality officers on patches of areas
        self._organisation_table = topo.organisations  # places: the organisation table, or None
        # districts (places: the place table's local authorities, in table order; otherwise
        # one, the place): each has its own LIO and hospital trust
        if self.areas is not None:
            names = self.areas["district"].tolist()
            self.districts: list[str] = list(dict.fromkeys(names))
            where = {d: k for k, d in enumerate(self.districts)}
            self.district_of_unit = np.array([where[d] for d in names], np.int32)
        else:
            self.districts = ["place"]
            self.district_of_unit = np.zeros(len(self.units), np.int32)
        # the key of each unit's district-level groups in the by-unit indices (-1 - district:
        # a district's charities and LIO serve its own areas, as a local authority's, 004:790,
        # 002:97); with one district, -1
        self.place_key_of_unit: list[int] = (-1 - self.district_of_unit).tolist()
        gp_of_unit = (self._build_place_practices(topo) if topo.practices is not None
                      else self._build_practices())
        self.practices_of_unit = gp_of_unit
        self.pop: Population = build_population(topo, cfg, streams.population, gp_of_unit)
        self._build_organisations()
        self._set_link_worker_day_shares()
        # provision as built, by (place key, kind): the place key is the unit, or for a
        # place-level group -1 - its district (-1 off the places topology)
        self.usual_groups: dict[tuple[int, GroupKind], int] = {}
        for g in self.groups:
            if g.kind in (GroupKind.FORMAL_CHARITY, GroupKind.COMMUNITY_GROUP):
                key = (g.unit_key, g.kind)
                self.usual_groups[key] = self.usual_groups.get(key, 0) + 1
        self._build_ties()
        verified = {g.index: 0 for g in self.groups}  # one dict: shared by every district's
        for books in self.lio_books:  # books (a listing verified is verified for all)
            books.verified_day = verified
        volunteering.assign_hours_offered(self)
        self._seed_volunteers()
        strain.refresh_volunteer_hours(self)
        self.onset_p = need.onset_probability(self)
        halving = cfg.help_seeking.gp_distance_halving_miles
        self.gp_access = 0.5 ** (np.array([gp.distance_miles for gp in self.gp_practices])
                                 / halving)
        self.mean_gp_access = float(self.gp_access[self.pop.gp].mean())
        self.refresh_link_worker_reach()
        wellbeing.refresh_targets(self)
        need.seed_initial_need(self, streams.population)
        wellbeing.initialise(self, streams.population)
        self.evaluation = Evaluation(self)
        self.refresh_unit_flags()
        if cfg.run.resident_agents:
            for i in range(self.pop.n):
                self._residents[i] = Resident(self, i)
        self.timeline.check_against(self)
        self._day0_flows: dict[str, float] = {}
        self.burn_in(cfg.run.burn_in_days)
        if start:
            self.start_output()

    # ------------------------------------------------------------------ burn-in and output
    def burn_in(self, days: int) -> None:
        """Run ``days`` days under baseline conditions: no events, nothing recorded. Mesa's
        clock (``steps``, ``time``) does not move: it counts output days."""
        self.burning_in = True
        # the day's flows are counted only to be discarded (no daily rows in the burn-in):
        # the counting is left out (it is about a thirtieth of an urban day)
        self.count = self.count_each = _not_recorded
        try:
            for _ in range(days):
                CommunityModel.step(self)  # the day itself, not Mesa's wrapped step
        finally:
            self.burning_in = False
            del self.count, self.count_each
        self.flows = {}

    def start_output(self) -> None:
        """Output day 0: measurement starts from here and day-0 events set the scenario's
        starting conditions. Per-resident tallies count from here on."""
        if self.started:
            return
        self.started = True
        self.day0 = self.day
        pop = self.pop
        self.rows = []
        self.flows = {}
        pop.unmet_days[:] = 0
        pop.bounces[:] = 0
        self.lw_referrals_at_start = pop.lw_referrals.copy()
        for gp in self.gp_practices:
            gp.vcse_degree_at_start = len(gp.vcse_ties)
            gp.out_gp_referrals = gp.out_days_co_located = 0  # sim.practices counts from here
            gp.nonmedical_at_start = gp.n_nonmedical
        pop.ever_need[:] = pop.need > 0
        # reached in the episode under way: an episode that ended in the burn-in is over
        pop.first_support[pop.need == 0] = -1
        pop.ever_supported[:] = pop.ever_need & (pop.first_support >= 0)
        self.evaluation.records = []
        events.apply_due(self)  # day-0 events set the starting conditions
        self._day0_flows, self.flows = self.flows, {}

    @property
    def output_day(self) -> int:
        """Days simulated since the burn-in ended (0 before output day 1)."""
        return self.day - self.day0

    # ------------------------------------------------------------------ construction
    def _build_practices(self) -> list[list[int]]:
        """Practices per unit; off-site rural practices are shared by
        ``topology.parishes_per_practice`` neighbouring parishes."""
        out = []
        shared: list[int] = []
        n_sharing = 0
        for u in self.units:
            if u.params.rural and not u.params.gp_on_site:
                if n_sharing % self.cfg.topology.parishes_per_practice:
                    out.append(list(shared))
                    n_sharing += 1
                    continue
                n_sharing += 1
            ids = []
            for k in range(u.params.gp_practices):
                gp = GPPractice(self, u.index, u.params.gp_distance_miles, f"{u.name}-gp-{k + 1}")
                ids.append(gp.index)
            out.append(ids)
            if u.params.rural and not u.params.gp_on_site:
                shared = ids
        return out

    def _build_place_practices(self, topo) -> list[list[int]]:
        """Places topology: the practices of the practice table, each at its home area."""
        for spec in topo.practices:
            GPPractice(self, spec.unit, spec.distance_miles, spec.name)
        served: list[set[int]] = [set() for _ in topo.practices]
        for unit, ids in enumerate(topo.practices_of_unit):
            for k in ids:
                served[k].add(unit)
        self._units_served = [frozenset(s or {spec.unit})
                              for s, spec in zip(served, topo.practices, strict=True)]
        return [list(ids) for ids in topo.practices_of_unit]

    def _place_link_workers(self) -> None:
        """Places topology: each practice's link-worker posts (its FTE: whole posts and a
        part-time one working that share of days) at its home area; a practice without posts of
        its own shares its PCN's (PCNs employ or commission the link workers, 002:149)."""
        by_pcn: dict[str, list[LinkWorker]] = {}
        for spec, gp in zip(self._practice_specs, self.gp_practices, strict=True):
            u = self.units[spec.unit]
            for k, share in enumerate(spec.lw_day_shares):
                lw = LinkWorker(self, spec.unit, u.params.lw_travel_hours_per_contact,
                                f"{spec.name}-lw-{k + 1}")
                lw.day_share = share
                gp.link_workers.append(lw)
                by_pcn.setdefault(spec.pcn, []).append(lw)
        seen: dict[str, int] = {}
        for spec, gp in zip(self._practice_specs, self.gp_practices, strict=True):
            pool = by_pcn.get(spec.pcn, [])
            if not gp.link_workers and pool:
                k = seen.get(spec.pcn, 0)
                gp.link_workers.append(pool[k % len(pool)])
                seen[spec.pcn] = k + 1
        for lw in self.link_workers:  # a post reaches every area its practices serve
            lw.reach = frozenset().union(*(self._units_served[gp.index]
                                           for gp in self.gp_practices if lw in gp.link_workers))

    def add_group(self, kind: GroupKind, unit: int, on_directory: bool, name: str = "",
                  district: int = 0,
                  params: GroupKindParams | SizedGroupParams | None = None) -> VCSEGroup:
        """A new group of ``kind`` in ``unit`` (-1: place level, of ``district``; indexed by unit
        under ``unit_key``: the unit, or -1 - district for a district-level group), at build time
        or later; ``params`` default to the kind's (``groups.<kind>``); a group sized apart
        from its kind has a live view of them (:mod:`sim.agents.group_params`)."""
        g = VCSEGroup(self, kind, params if params is not None
                      else getattr(self.cfg.groups, kind.value), unit,
                      on_directory, name)
        g.district = int(self.district_of_unit[unit]) if unit >= 0 else district
        g.unit_key = unit if unit >= 0 else -1 - g.district  # its key in the by-unit indices
        self.groups.append(g)
        self.groups_by_unit.setdefault(g.unit_key, []).append(g)
        self._open_groups_change(g, opened=True)
        if hasattr(self, "org_training_days"):
            self.org_training_days = np.append(self.org_training_days, g.training_days)
        return g

    def district_residents(self) -> np.ndarray:
        """Residents of each district (``model.districts`` order)."""
        sizes = np.array([u.stop - u.start for u in self.units], np.int64)
        return np.bincount(self.district_of_unit, weights=sizes,
                           minlength=len(self.districts)).astype(np.int64)

    def _build_lios(self) -> None:
        """One LIO (and its books, ``sim.agents.lio``) per district: one per local authority
        (003:160; "all ten Local Authorities and all ten ... infrastructure partners"). Off
        the places topology there is one district, the place, and its LIO has the default
        funding and hours (``groups.lio``, ``lio``), as always; in a places topology each
        district's LIO has them times its residents / ``topology.lio_reference_residents``,
        read live from its kind (``DistrictLIOParams``: a mid-run change of ``groups.lio``
        reaches it)."""
        t, cfg = self.cfg.topology, self.cfg
        residents = self.district_residents()
        for d, name in enumerate(self.districts):
            scale = (float(residents[d]) / t.lio_reference_residents if self.areas is not None
                     else 1.0)
            lio = None
            if t.place_lio:
                base = cfg.groups.lio  # its money, staff and hours: the kind's times scale,
                params = base if scale == 1.0 else DistrictLIOParams(base, scale)  # read live
                lio = self.add_group(GroupKind.LIO, -1, False,
                                     "lio" if self.areas is None else f"{name}-lio",
                                     district=d, params=params)
                self.lios.append(lio)
            self.lio_books.append(LIOFunctions(self, lio, d, scale))
        self.lio = self.lios[0] if self.lios else None
        self.lio_functions = self.lio_books[0]

    def lio_of_unit(self, unit: int) -> VCSEGroup | None:
        """The LIO of ``unit``'s district, if it has one and it is open."""
        return self.lio_of_district(int(self.district_of_unit[unit]))

    def lio_of_district(self, district: int) -> VCSEGroup | None:
        """The district's LIO, if it has one and it is open."""
        if not self.lios:
            return None
        lio = self.lios[district]
        return lio if lio.is_open else None

    def _build_organisations(self) -> None:
        t = self.cfg.topology
        rng = self.streams.topology
        self._build_lios()
        # places: topology.place_charities in each district (local authority), so their
        # number scales with the place; they are reachable from every area of their district
        # (a local authority's charities cover its area, 004:790; "place" = district, 002:97)
        # (with an organisation table: its rows instead, _build_table_organisations)
        for d, place in enumerate(self.districts):
            if self._organisation_table is not None:
                break
            for k in range(t.place_charities):
                self.add_group(GroupKind.FORMAL_CHARITY, -1, True, f"{place}-charity-{k + 1}",
                               district=d)
        self._build_table_organisations()
        for u in self.units:
            p = u.params
            for k in range(p.formal_charities):
                self.add_group(GroupKind.FORMAL_CHARITY, u.index, True,
                                f"{u.name}-charity-{k + 1}")
            for k in range(p.community_groups):
                listed = bool(rng.random() >= p.share_groups_off_radar)
                self.add_group(GroupKind.COMMUNITY_GROUP, u.index, listed,
                                f"{u.name}-group-{k + 1}")
            practices = [gp for gp in self.gp_practices if gp.unit == u.index]
            n_lw = p.link_workers if practices else 0  # shared off-site practice: its LWs serve
            for k in range(n_lw):
                lw = LinkWorker(self, u.index, p.lw_travel_hours_per_contact,
                                f"{u.name}-lw-{k + 1}")
                practices[k % len(practices)].link_workers.append(lw)
            unit_lws = [lw for lw in self.link_workers if lw.unit == u.index]
            for k, gp in enumerate(practices):
                if not gp.link_workers and unit_lws:
                    gp.link_workers.append(unit_lws[k % len(unit_lws)])
            if p.locality_officer:
                self.intermediaries.append(LocalityOfficer(self, u.index, f"{u.name}-lo"))
            if p.parish_council:
                self.intermediaries.append(ParishCouncil(self, u.index, f"{u.name}-pc"))
        for home, served in self._officers:
            lo = LocalityOfficer(self, home, f"{self.units[home].name}-lo")
            lo.units = served
            self.intermediaries.append(lo)
        if self._practice_specs is not None:
            self._place_link_workers()
        if self.areas is not None:  # places: one hub on each PCN's areas (003:170)
            pcn = self.areas["pcn"].to_numpy()
            for name in dict.fromkeys(pcn):
                hub = PlaceHub(self, -1, f"hub-{name}")
                hub.units = frozenset(np.flatnonzero(pcn == name).tolist())
                self.intermediaries.append(hub)
        else:
            self.intermediaries.append(PlaceHub(self, -1, "place-hub"))
        if t.nhs_trust:  # one per district, its volunteers and hours scaled to its residents
            residents = self.district_residents()
            for d, name in enumerate(self.districts):
                self.nhs_trusts.append(NHSTrust(
                    self, "nhs-trust" if self.areas is None else f"{name}-nhs-trust",
                    residents=int(residents[d]), district=d))
            self.nhs_trust = self.nhs_trusts[0]
        self.emergency_actors = self._build_emergency_actors()

    def _build_emergency_actors(self) -> list[EmergencyActor]:
        """The emergency actors in ``ACTOR_NAMES`` order; on the places topology the local
        authority is one council per district (``sim.agents.emergency_actors``), prepared
        where the place table's ``council_prepared`` says so."""
        actors = []
        for key in ACTOR_NAMES:
            if key != "local_authority" or self.areas is None:
                actors.append(EmergencyActor(self, key))
                continue
            prepared = (self.areas.groupby("district", sort=False)["council_prepared"].first()
                        if "council_prepared" in self.areas.columns else None)
            for d, name in enumerate(self.districts):
                actors.append(EmergencyActor(
                    self, key, district=d, name=f"{name}-council",
                    prepared=bool(prepared[name]) if prepared is not None else False))
        return actors

    def _build_table_organisations(self) -> None:
        """Places topology with an organisation table: one charity or community group per
        row, in table order, based in its area (or at district level, reachable from every
        area of its district like the district charities), with the row's ``capacity``
        (client places of its paid staff at full establishment, ``staff_client_capacity``)
        and ``funding`` (core funding a year). Its paid staff, running costs and
        volunteer-management hours are its kind's (``groups.<kind>``) times funding / the
        kind's funding (an assumption: what an organisation spends grows with its income),
        its other parameters its kind's, all read live (``TableGroupParams``: a mid-run change
        of its kind's reaches it); a community group in an area is listed on the directory
        with the area's chance (``share_groups_off_radar``)."""
        table = self._organisation_table
        if table is None:
            return
        rng = self.streams.topology
        where = {name: k for k, name in enumerate(self.districts)}
        for row in table.itertuples(index=False):
            kind = GroupKind(row.kind)
            base = getattr(self.cfg.groups, kind.value)
            f = float(row.funding) / base.annual_funding if base.annual_funding > 0 else 1.0
            params = TableGroupParams(base, f, staff_client_capacity=int(row.capacity),
                                      annual_funding=float(row.funding))
            unit = int(row.unit)
            listed = True
            if kind is GroupKind.COMMUNITY_GROUP and unit >= 0:
                listed = bool(rng.random() >= self.units[unit].params.share_groups_off_radar)
            self.add_group(kind, unit, listed, str(row.organisation),
                           district=where[row.district], params=params)

    def _set_link_worker_day_shares(self) -> None:
        """A post whose footprint covers 1/``lw_days_share`` parishes spends that share of its
        days on each modelled unit its practice serves (a rural PCN's other parishes are not
        modelled); the shares of the units a practice serves add up, at most 1."""
        if self._practice_specs is not None:
            return  # places: the posts' shares come from the practice table's FTE
        served: dict[int, int] = {}
        for ids in self.practices_of_unit:
            for k in ids:
                served[k] = served.get(k, 0) + 1
        for gp in self.gp_practices:
            for lw in gp.link_workers:
                share = self.units[lw.unit].params.lw_days_share
                lw.day_share = min(1.0, share * served.get(gp.index, 1))

    def _gp_tie_options(self, gp: GPPractice) -> list[VCSEGroup]:
        """Groups a practice can hold a relationship with: the place-level charities of its
        district (of the districts of the areas it serves), and its unit's groups where
        ``gp_vcse_ties_reach_unit`` (not mutual aid)."""
        if self._practice_specs is not None:  # places: the groups of every area it serves
            served = sorted(self._units_served[gp.index])
            return [x for x in self._place_groups_of(served) + [
                g for u in served if self.units[u].params.gp_vcse_ties_reach_unit
                for g in self.groups_by_unit.get(u, [])] if x.kind is not GroupKind.MUTUAL_AID]
        unit = self.units[gp.unit]
        return [x for x in self._place_groups_of((gp.unit,)) + (
            self.groups_by_unit.get(gp.unit, []) if unit.params.gp_vcse_ties_reach_unit
            else []) if x.kind is not GroupKind.MUTUAL_AID]

    def place_keys_of(self, units) -> list[int]:
        """The by-unit keys of the district-level groups reachable from ``units``: one per
        district among them, in district order ([-1] with one district)."""
        keys = self.place_key_of_unit
        return sorted({keys[u] for u in units}, reverse=True)

    def _place_groups_of(self, units) -> list[VCSEGroup]:
        """Every district-level group (open or not) of the districts of ``units``."""
        return [g for k in self.place_keys_of(units) for g in self.groups_by_unit.get(k, [])]

    def _renew_gp_ties(self) -> None:
        """A practice that has fewer VCSE ties than it started with (a tied group closed, or a
        tie lapsed or was dropped) forms a new one, on average ``gp.vcse_tie_renewal_days``
        later, with an open group it can reach, weighted towards larger organisations (GPs
        and link workers prefer large, stable ones, 000:118), if its partnership hours cover
        one more tie. So the degree practices keep up (000:97) does not wear away as groups
        close.

        Every practice draws its two numbers (whether to renew today, which group) every day
        before anything about its state is checked, so paired scenarios whose practices hold
        different ties or hours keep the ``gp_ties`` stream in step."""
        days = self.cfg.gp.vcse_tie_renewal_days
        if days <= 0 or not self.gp_practices:
            return
        draws = self.streams.gp_ties.random((len(self.gp_practices), 2)).tolist()  # floats
        for gp, (u_renew, u_group) in zip(self.gp_practices, draws, strict=True):
            if len(gp.vcse_ties) >= gp.initial_vcse_degree or u_renew >= 1.0 / days:
                continue
            options = [x for x in self._gp_tie_options(gp)
                       if x.is_open and x.index not in gp.vcse_ties]
            if not options:
                continue
            cdf = np.cumsum([x.nominal_capacity + 1.0 for x in options])
            pick = min(int(np.searchsorted(cdf, u_group * cdf[-1], side="right")),
                       len(options) - 1)
            if self.tie_practice(gp, options[pick]):
                self.count("new_gp_vcse_ties_renewed")

    def tie_upkeep_hours_per_week(self) -> float:
        """Hours a week one GP practice-VCSE tie takes to keep up today:
        ``gp.tie_upkeep_hours_per_week`` times ``emergency.tie_upkeep_factor``, which an
        ``emergency`` event sets to its ``tie_upkeep_factor`` while it is under way (a scenario
        input: in the Covid lockdown the administrative blockages were set aside and
        relationship building went "relatively quickly and with minimal friction", 000:132,
        003:308-310) and ``emergency_end`` returns to 1. Practices and locality officers book
        their ties against it every day, so in such a crisis the same hours keep more ties up;
        when it ends the usual cost returns and the ties the hours no longer cover end
        (``emergency.joint_work_ties``)."""
        return self.cfg.gp.tie_upkeep_hours_per_week * self.cfg.emergency.tie_upkeep_factor

    def tie_practice(self, gp: GPPractice, group: VCSEGroup,
                     officer: LocalityOfficer | None = None) -> bool:
        """Practice ``gp`` takes on a partnership with ``group`` if it has none with it and its
        partnership hours cover one more (``GPPractice.has_tie_room``). With ``officer``, the
        officer brokered it and keeps it up: the practice's hours need cover only
        ``intermediaries.lo_tie_practice_share`` of its upkeep. True: tied."""
        share = 1.0 if officer is None else self.cfg.intermediaries.lo_tie_practice_share
        if group.index in gp.vcse_ties or not gp.has_tie_room(share):
            return False
        gp.vcse_ties.append(group.index)
        gp.ties_changed()
        self.add_tie(gp, group)
        self._ties_changed()  # (add_tie moves it only for a cross-sector tie)
        key = (gp.index, group.index)
        self.tie_last_use[key] = self.day
        if officer is not None:
            self.officer_ties[key] = officer
            officer.kept_ties.add(key)
        return True

    def release_officer_tie(self, key: tuple[int, int]) -> None:
        """The officer stops keeping up tie ``key`` (practice, organisation): its whole upkeep
        falls on the practice (the tie itself stays)."""
        officer = self.officer_ties.pop(key, None)
        if officer is not None:
            officer.kept_ties.discard(key)

    def untie_practice(self, gp: GPPractice, org_index: int) -> None:
        """The partnership of ``gp`` with organisation ``org_index`` ends."""
        self.tie_last_use.pop((gp.index, org_index), None)
        self.release_officer_tie((gp.index, org_index))
        if org_index in gp.vcse_ties:
            gp.vcse_ties.remove(org_index)
            gp.ties_changed()
            self.remove_tie(gp, self.organisations[org_index])  # moves tie_epoch

    def main_practice(self, unit: int) -> GPPractice | None:
        """The practice registering most of the unit's residents (lowest index on a tie):
        the one a locality officer brokers the unit's partnerships with. Fixed at build."""
        cache = self.__dict__.setdefault("_main_practice", {})
        if unit not in cache:
            practices = self.practices_in(unit)
            if not practices:
                cache[unit] = None
            else:  # the unit's residents are contiguous (UnitInfo): no pass over everyone
                u = self.units[unit]
                if u.index != unit:
                    u = next(x for x in self.units if x.index == unit)
                registered = np.bincount(self.pop.gp[u.start:u.stop],
                                         minlength=len(self.gp_practices))
                cache[unit] = max(practices, key=lambda gp: (registered[gp.index], -gp.index))
        return cache[unit]

    def _build_ties(self) -> None:
        """GP-VCSE ties (most practices link with one organisation, 000:97), link workers'
        ties to the LIO and locality officer, and each link worker's directory."""
        g, rng = self.cfg.gp, self.streams.topology
        shares = np.array([g.share_vcse_degree_0, g.share_vcse_degree_1, g.share_vcse_degree_2])
        shares = np.append(shares, max(1.0 - shares.sum(), 0.0))
        for gp in self.gp_practices:
            options = self._gp_tie_options(gp)
            degree = min(int(rng.choice(4, p=shares / shares.sum())), len(options))
            if degree:
                w = np.array([x.nominal_capacity + 1.0 for x in options])
                chosen = rng.choice(len(options), size=degree, replace=False, p=w / w.sum())
                for k in chosen.tolist():  # in drawn order: as many as its hours keep up
                    self.tie_practice(gp, options[k])
            gp.initial_vcse_degree = len(gp.vcse_ties)
        if self.cfg.intermediaries.lo_ties_at_start:
            for hub in self.intermediaries:
                if isinstance(hub, LocalityOfficer):
                    hub.tie_groups_at_start()
        for lw in self.link_workers:
            lio = self.lio_of_unit(lw.unit)
            if lio is not None:
                self.add_tie(lw, lio)
            for hub in self.intermediaries:
                if isinstance(hub, LocalityOfficer) and hub.served_units & lw.reach:
                    self.add_tie(lw, hub)
            lw.refresh_directory(self.groups)

    def _seed_volunteers(self) -> None:
        """Groups start with their volunteers, drawn from willing residents within reach; the
        hospital trust with its in-hospital volunteers."""
        pop, rng = self.pop, self.streams.population
        V = VolunteerState
        district = self.district_of_unit[pop.unit]
        for org in [*self.groups, *self.nhs_trusts]:
            if isinstance(org, NHSTrust):
                k = int(round(self.cfg.topology.nhs_trust_volunteers_per_1000 * org.residents
                              / 1000))
            else:
                k = org.params.initial_volunteers
            if k == 0:
                continue
            if org.unit >= 0:  # only the unit's own residents: linear build time
                u = self.units[org.unit]
                cand = np.flatnonzero(pop.vstate[u.start:u.stop] == V.LATENT) + u.start
            else:  # place level: the residents of its district
                cand = np.flatnonzero((pop.vstate == V.LATENT) & (district == org.district))
            if cand.size == 0:
                continue
            chosen = np.sort(rng.choice(cand, size=min(k, cand.size), replace=False))
            pop.vstate[chosen] = V.ACTIVE
            pop.vorg[chosen] = org.index
            pop.vtrained_at[chosen] = org.index
            pop.vlast_task[chosen] = 0
            if isinstance(org, NHSTrust):
                pop.nhs_volunteer[chosen] = True
            self.create_volunteer_agents(chosen)
        self.refresh_training_days()
        volunteering.refresh_trained_counts(self)

    # ------------------------------------------------------------------ the day
    def step(self) -> None:
        """Simulate one day (the order is in the class docstring). After the last day of
        ``run.days`` the model stops: ``running`` becomes False, so Mesa's ``run_model()`` and
        ``batch_run`` end there, and a further ``step()`` is refused (:class:`RunFinished`)
        until :meth:`extend` adds days."""
        self.day += 1
        self.flows, self._day0_flows = self._day0_flows, {}  # day-0 events count in day 1
        if self.started:
            events.apply_due(self)
        if self.day % 7 == 1:  # Monday
            volunteering.new_week(self)
        need.day(self)  # onset, the course of unmet needs, support that ends today
        help_seeking.give_up_waiting(self)
        self.lw_budget_today = self.link_worker_hours_today()
        self.refresh_unit_flags()
        for hub in self.intermediaries:
            hub.begin_day()
        in_need = help_seeking.residents_in_need(self)  # one pass for the next four
        help_seeking.take_gp_advice(self)
        help_seeking.seek_help(self, in_need)
        help_seeking.routine_consultations(self, in_need)
        help_seeking.statutory_referrals(self, in_need)
        self.agents_by_type[LinkWorker].shuffle_do("step") if self.link_workers else None
        self._groups_step(in_need)
        volunteering.step(self)
        for hub in self.intermediaries:
            if hasattr(hub, "step"):
                hub.step()
        emergency.respond(self)
        # wellbeing, a day more in unmet need (unmet_days += unmet()), and today's residents
        # by need and pathway for the daily row: one pass (sim.processes.wellbeing.update)
        wellbeing_sums, need_by_pathway = wellbeing.update(self)
        self.evaluation.step()
        if self.started:
            self.shielding.observe(self)
        if self.cfg.run.collect and self.started:
            self.rows.append(metrics.daily_row(self, wellbeing_sums, need_by_pathway))
        if self.started and self.output_day >= self.cfg.run.days:
            self.running = False

    def _groups_step(self, in_need: np.ndarray | None = None) -> None:
        """The groups' day. ``in_need``: the day's residents in need
        (:func:`help_seeking.residents_in_need`), if known (see :meth:`_mutual_aid_emerges`)."""
        rng = self.streams.groups
        strain.step(self)  # staff, volunteer hours, strain, disruption (sim.processes.strain)
        groups = self.open_groups()  # a list kept as it was: closures below make a new one
        if self.day % 365 == 0:  # funding redrawn: its draws come between the closure draws
            for g in groups:
                if not g.is_open:
                    continue
                g.renew_funding()
                g.step_funding()
                if g.is_open and g.kind is not GroupKind.LIO and (
                        rng.random() < self._p_churn(g)):
                    g.close("churn")
        else:  # every group's money at once; one closure draw each for the rest (not the LIO)
            rows, state = self.open_group_rows(), self.group_state
            broke = pay_the_day(self, groups, rows)
            lio = KIND_CODES[GroupKind.LIO]
            # the same values as one draw each, in group order
            draws = rng.random(kernels.at_risk_of_churn(rows, broke, state.kind_code, lio))
            at, why = kernels.closing_today(rows, broke, state.kind_code,
                                            state.lio_support_until, self.day, draws,
                                            *self._p_churn_pair(), lio)
            if at.size:  # (group, reason) in group order: the draws are all made already
                self._close_groups([(groups[k], "churn" if w else "funding")
                                    for k, w in zip(at.tolist(), why.tolist(), strict=True)])
        for books in self.lio_books:
            books.step()
        self._groups_start_unaided()
        self._renew_gp_ties()
        self._mutual_aid_emerges(self.streams.emergency, in_need)
        for commissioner in self.commissioners:
            commissioner.step()

    def _close_groups(self, closing: list[tuple[VCSEGroup, str]]) -> None:
        """Close ``closing`` ((group, reason), in group order). Their volunteers and clients
        are found once for all of them (:meth:`_rolls_of`; closures grow with the place, so a
        pass per closure would grow with its square): a closure changes only its own group's
        rows, and its volunteers go to the district's LIO, so an LIO closing the same day
        looks for its own afresh."""
        on_roll, clients = self._rolls_of([g.index for g, _ in closing
                                           if g.kind is not GroupKind.LIO])
        for g, reason in closing:
            if g.kind is GroupKind.LIO:
                g.close(reason)
            else:
                g.close(reason, among=(clients.get(g.index, _NOBODY),
                                       on_roll.get(g.index, _NOBODY)))

    def _p_churn(self, g: VCSEGroup) -> float:
        """Today's chance that open group ``g`` closes for other reasons (churn), lower while
        its district's LIO supports it."""
        plain, supported = self._p_churn_pair()
        return supported if g.lio_support_until > self.day else plain

    def _p_churn_pair(self) -> tuple[float, float]:
        """The daily churn chance of a group without and with its LIO's support (the
        parameters are read afresh: events may change them)."""
        p_year = self.cfg.groups.p_closure_per_year
        return p_year * 1.0 / 365.0, p_year * self.cfg.lio.support_closure_factor / 365.0

    def provision_short(self, district: int | None = None
                        ) -> list[tuple[float, tuple[int, GroupKind]]]:
        """(share lost, (place key, kind)) of each kind and place with fewer open charities or
        community groups than it had as built (``usual_groups``, in its order); only
        ``district``'s units and place-level groups if given."""
        groups = self.open_groups()
        cached = self.__dict__.get("_provision_short")
        if cached is None or cached[0] is not groups:  # worked out once per set of open groups
            open_now = self._open_provision()
            short: list[tuple[float, tuple[int, GroupKind]]] = []
            by_district: dict[int, list[tuple[float, tuple[int, GroupKind]]]] = {}
            for code, key, usual, d in self._usual_provision():
                have = open_now.get(code, 0)
                if have < usual:
                    entry = ((usual - have) / usual, key)
                    short.append(entry)
                    by_district.setdefault(d, []).append(entry)
            cached = self._provision_short = (groups, short, by_district)
        return list(cached[1] if district is None else cached[2].get(district, ()))

    def _usual_provision(self) -> list[tuple[tuple[int, str], tuple[int, GroupKind], int, int]]:
        """``usual_groups`` in its order as (place key and kind value, (place key, kind),
        usual count, district): keys by the kind's value hash as plain strings (an enum's hash
        is a Python call), and each place's district is looked up once."""
        cached = self.__dict__.get("_usual_provision_list")
        if cached is None or cached[0] is not self.usual_groups:
            of_unit = self.district_of_unit
            cached = self._usual_provision_list = (self.usual_groups, [
                ((place, kind.value), (place, kind), usual,
                 int(of_unit[place]) if place >= 0 else -1 - place)
                for (place, kind), usual in self.usual_groups.items()])
        return cached[1]

    def _open_provision(self) -> dict[tuple[int, str], int]:
        """Open charities and community groups (the kinds of ``usual_groups``) by place key
        and kind value; kept while :meth:`open_groups` is the same list."""
        groups = self.open_groups()
        cached = self.__dict__.get("_open_provision_counts")
        if cached is None or cached[0] is not groups:
            open_now: dict[tuple[int, str], int] = {}
            charity, community = GroupKind.FORMAL_CHARITY, GroupKind.COMMUNITY_GROUP
            for g in groups:
                kind = g.kind
                if kind is charity or kind is community:
                    key = (g.unit_key, kind.value)
                    open_now[key] = open_now.get(key, 0) + 1
            cached = self._open_provision_counts = (groups, open_now)
        return cached[1]

    def _new_group_at(self, key: int, kind: GroupKind, label: str) -> None:
        """A new listed group of ``kind`` at place key ``key`` (a unit, or -1 - district)."""
        unit, district = (key, 0) if key >= 0 else (-1, -1 - key)
        name = self.units[unit].name if unit >= 0 else (
            "place" if self.areas is None else self.districts[district])
        self.add_group(kind, unit, True, f"{name}-{label}-{kind.value}-{self.day}",
                       district=district)

    def _groups_start_unaided(self) -> None:
        """Provision churns both ways (002:244): groups also start without infrastructure
        support, slowly (004:628). Each charity or community group a place is short of its usual
        provision (as built) is replaced with a yearly chance
        ``groups.p_unaided_start_per_year``: a new listed group of that kind and place. Without
        it, churn closures in a place with no LIO were never replaced and groups open fell
        without end."""
        q = self.cfg.groups.p_unaided_start_per_year
        if q <= 0:
            return
        open_now = self._open_provision()  # as the day's groups stand before any starts
        rng = self.streams.group_formation
        for code, (unit, kind), usual, _ in self._usual_provision():
            missing = usual - open_now.get(code, 0)
            if missing <= 0:
                continue
            for _ in range(int(rng.binomial(missing, q / 365.0))):
                self._new_group_at(unit, kind, "unaided")
                self.count("new_groups_formed")
                self.count("new_groups_formed_unaided")

    def _build_capacity(self, district: int | None = None) -> None:
        """LIO capacity building (002:209, 002:248): a new group of the kind and place that has
        lost the largest share of its usual provision (charities and community groups of each
        unit and of the place, as built); nothing if none is short. Called when the LIO's
        capacity-building hours have built up to ``lio.hours_per_new_group``
        (``sim.agents.lio``), so lost provision is rebuilt slowly, and not at all without an
        open LIO. A district's LIO builds in its own ``district``."""
        short = self.provision_short(district)
        if not short:
            return
        _, (unit, kind) = max(short, key=lambda x: (x[0], -x[1][0], x[1][1].value))
        self._new_group_at(unit, kind, "new")
        self.count("new_groups_formed")

    def _mutual_aid_emerges(self, rng: np.random.Generator, in_need: np.ndarray | None = None
                            ) -> None:
        """Every day, in any period: a mutual aid group forms from residents' ties where a
        sudden rise in unmet need among neighbours meets social capital, with no statutory
        action (003:53, 003:67, 003:99, 003:190). Neighbours respond to need above its usual
        level, not to need that is chronically high: each unit keeps a running usual level of
        its share of residents in fresh unmet need (need that began within
        ``groups.mag_fresh_need_days`` and is unmet), an exponentially weighted mean over
        ``groups.mag_need_level_days``; the rise neighbours see is today's share above that
        level, as extra residents in fresh need per street (``groups.mag_residents_per_group``
        residents, or the unit if smaller). Its pull is x/(1+x) with x = (extra /
        ``groups.mag_excess_need_half``)^``groups.mag_unmet_steepness``: rare in normal times
        (chance rises), strong after a shock, fading as the usual level catches up. A group
        folds when need falls (daily, likelier the weaker the pull; or no clients for
        ``groups.mag_fold_idle_days``) or its volunteers drift away; its members go back to
        being willing neighbours. Street-level groups: at most one per
        ``groups.mag_residents_per_group`` residents of a unit, at most one new a day."""
        pop, p = self.pop, self.cfg.groups
        n_units = len(self.units)
        if not hasattr(self, "_unit_sizes"):
            self._unit_sizes = np.maximum(np.bincount(pop.unit, minlength=n_units), 1)
            self._unit_capital = np.minimum(
                np.bincount(pop.unit, weights=pop.degree, minlength=n_units)
                / self._unit_sizes / 10.0, 1.0)
        since = self.day - p.mag_fresh_need_days
        if in_need is None:
            fresh = kernels.count_fresh_unmet(pop.need, pop.pathway, pop.need_onset, pop.unit,
                                              Pathway.WAITING, since, n_units)
        else:  # among the day's residents in need: no one's need has begun since that pass
            # (onsets come earlier in the day), so they hold everyone now in need
            fresh = kernels.count_fresh_unmet_among(in_need, pop.need, pop.pathway,
                                                    pop.need_onset, pop.unit, Pathway.WAITING,
                                                    since, n_units)
        usual = self.__dict__.get("_mag_need_usual")
        if usual is not None and usual.shape != (n_units,):
            usual = None
        slots_key = (n_units, p.mag_residents_per_group)
        cached = self.__dict__.get("_mag_slots")
        if cached is None or cached[0] != slots_key or len(cached) < 4:  # street-level slots
            # and residents per street (a model saved before kept no residents per street)
            slots = [max(int(round((u.stop - u.start) / p.mag_residents_per_group)), 1)
                     for u in self.units]  # per unit, also as an array for the bound below
            cached = self._mag_slots = (slots_key, slots, np.array(slots, np.int64),
                                        np.minimum(self._unit_sizes, p.mag_residents_per_group))
        unit_slots, street = cached[1], cached[3]
        # the share in fresh unmet need and its rise (mutual_aid.rise_pull: one compiled call
        # for its steps before the power, numpy's power, one call for the rest)
        share, rise = kernels.fresh_shares_and_rise(
            fresh, self._unit_sizes, usual if usual is not None else _NO_LEVEL, street,
            float(p.mag_excess_need_half))
        judged = usual is not None
        if usual is None:
            # No usual level yet, nothing to judge (mutual_aid.learning_window): at the start
            # of a run, while the need seeded on day 0 (a prevalence, not a rise) is inside the
            # fresh window, nothing is learnt either; otherwise (and after a set_parameter
            # event dropped the level) it starts afresh at today's share.
            shown = share
            if "_mag_days_seen" in self.__dict__ or self.day > p.mag_fresh_need_days:
                usual, self._mag_days_seen = share, 0
        else:
            rise = rise ** p.mag_unmet_steepness
            shown = usual
        draws = rng.random((2, n_units))
        need_pull, p_form, may_form = kernels.pull_and_formation(
            rise, judged, self._unit_capital, float(p.mag_formation_per_unit_per_day),
            cached[2], draws[0])
        # outputs of the day (sim.metrics; none in the burn-in): fresh need, the usual level
        # it was judged against, the pull; then the level moves towards today's share: the
        # mean of the days learnt so far, then 1/mag_need_level_days of the way
        # (mutual_aid.learning_window)
        if not self.burning_in:
            self._mag_need_today = (int(fresh.sum()), float(shown @ self._unit_sizes),
                                    float(need_pull @ self._unit_sizes))
        if usual is not None:
            self._mag_days_seen += 1
            self._mag_need_usual = mutual_aid.next_usual(
                usual, share, mutual_aid.learning_window(self._mag_days_seen,
                                                         p.mag_need_level_days))
        self._mag_reach = None  # residents each group can reach: worked out when first needed
        self._mag_rolls = None  # members of each group: worked out at a first fold
        mags_by_unit = self._open_mutual_aid_by_unit()  # open ones, in group order
        # per unit as Python floats (the same float64 values and arithmetic as numpy scalars)
        day, form = self.day, p_form.tolist()
        share_l, usual_l, street_l = share.tolist(), shown.tolist(), street.tolist()
        half, steep = p.mag_excess_need_half, p.mag_unmet_steepness
        form_draws, fold_draws = draws.tolist()
        # the units to visit from the arrays the lists were made of (the same values)
        for u in self._units_to_visit(mags_by_unit, may_form):
            k = u.index
            mags = mags_by_unit.get(k, ())
            open_mags = mags
            if mags:
                for g in mags:
                    if g.n_clients > 0:
                        g.last_busy_day = day
                    if getattr(g, "anchored", False):
                        continue  # held by a parish council (its village network)
                    # need fell: the need it formed for, against the usual level then
                    x = (max(share_l[k] - g.need_usual_at_start, 0.0) * street_l[k]
                         / half) ** steep
                    p_fold = p.mag_p_fold_per_day * (1.0 - x / (1.0 + x))
                    if (g.n_trained == 0 or day - g.last_busy_day > p.mag_fold_idle_days
                            or fold_draws[k] < p_fold):
                        self._fold_mutual_aid(g)
                open_mags = [g for g in mags if g.is_open]
                for g in open_mags:
                    if not getattr(g, "anchored", False):
                        self._mutual_aid_outreach(g, rng)
            free = unit_slots[k] - len(open_mags)
            if free > 0 and form_draws[k] < 1.0 - (1.0 - form[k]) ** free:
                self._form_mutual_aid(u, rng, usual_l[k])
        self._mag_rolls = None  # today's rolls hold only while the groups take their turns

    def _mutual_aid_units(self, mags_by_unit: dict[int, list[VCSEGroup]],
                          form_draws: np.ndarray | list[float], form: np.ndarray | list[float],
                          unit_slots: np.ndarray | list[int]) -> list[UnitInfo]:
        """The units :meth:`_mutual_aid_emerges` must visit today, in unit order: those with
        open mutual aid groups, and those where a group may form. A group forms when the
        unit's draw is below 1 - (1 - form)^free, which is at most slots x form (free <= slots);
        a unit whose draw is clearly above that bound (a margin far beyond rounding) is left
        out (``kernels.pull_and_formation`` works out the same bound). The units visited do
        the same arithmetic as before, so the outcome is the same."""
        may_form = (np.asarray(form_draws) < np.asarray(unit_slots) * np.asarray(form)
                    * (1.0 + 1e-9) + 1e-12)
        return self._units_to_visit(mags_by_unit, may_form)

    def _units_to_visit(self, mags_by_unit: dict[int, list[VCSEGroup]], may_form: np.ndarray
                        ) -> list[UnitInfo]:
        """:meth:`_mutual_aid_units` from the units where a group may form (``may_form``)."""
        units = self.units
        if not self.__dict__.get("_units_in_index_order"):
            self._units_in_index_order = all(u.index == k for k, u in enumerate(units))
            if not self._units_in_index_order:
                return units
        if mags_by_unit:
            may_form[list(mags_by_unit)] = True
        return [units[k] for k in may_form.nonzero()[0].tolist()]  # 1-d: np.flatnonzero's

    def _mutual_aid_outreach(self, g: VCSEGroup, rng: np.random.Generator) -> None:
        """A mutual aid group's members take on neighbours in unmet need with nothing under
        way, while the group has room: help through ties, outside any referral (003:190-192)."""
        if not g.has_room():
            return
        pop = self.pop
        if self._mag_reach is None:  # a group's reach depends on its own members only, which
            self._mag_reach = self._mutual_aid_reach()  # no other group's fold or start moves
        near = self._mag_reach.get(g.index)
        if near is None:  # no active or idle members
            return
        near = kernels.in_need_without_pathway(near, pop.need, pop.pathway)  # NONE is 0
        if near.size > 1:  # a permutation of one or none draws nothing: none needed
            near = kernels.permuted(kernels.generator_handle(rng), near)  # rng.permutation's
        for i in near.tolist():
            if not g.has_room():
                break
            self.offer_to_group(int(i), g.index, "ties")

    def _mutual_aid_reach(self) -> dict[int, np.ndarray]:
        """Residents tied to an active or idle member of each open mutual aid group, by group
        (sorted, each once); a group with no such members is absent. One pass over the
        population and one sort of the (group, neighbour) pairs a day."""
        pop = self.pop
        mags = [g.index for unit_mags in self._open_mutual_aid_by_unit().values()
                for g in unit_mags]
        if not mags:
            return {}
        flagged = np.zeros(len(self.organisations), bool)
        flagged[mags] = True
        # active or idle (consecutive codes) members of a flagged organisation
        on = kernels.members_of(pop.vorg, pop.vstate, flagged, VolunteerState.ACTIVE,
                                VolunteerState.IDLE)
        if on.size == 0:
            return {}
        org = pop.vorg[on].astype(np.int64)
        adjacency = pop.adjacency
        # the same members of the same groups over the same ties as at the last look (most
        # days: members come and go rarely): the same reach, kept (its arrays are only read)
        kept = self.__dict__.get("_mag_reach_kept")
        if (kept is not None and kept[0] is adjacency and np.array_equal(kept[1], on)
                and np.array_equal(kept[2], org)):
            return kept[3]
        # every member's row of the adjacency (CSR), as sorted distinct group * n + neighbour
        pairs = kernels.member_tie_pairs(on, org, pop.degree, adjacency.indptr,
                                         adjacency.indices, pop.n)
        group, near = np.divmod(pairs, pop.n)
        keys = np.unique(org)
        lo, hi = np.searchsorted(group, keys), np.searchsorted(group, keys, side="right")
        reach = {k: near[a:b] for k, a, b in zip(keys.tolist(), lo.tolist(), hi.tolist(),
                                                 strict=True)}
        self._mag_reach_kept = (adjacency, on, org, reach)
        return reach

    def _form_mutual_aid(self, u: UnitInfo, rng: np.random.Generator, usual: float
                         ) -> VCSEGroup:
        """A street-level group forms in unit ``u`` from willing neighbours; it remembers the
        unit's usual level of fresh unmet need (``usual``), against which it judges whether
        the need it formed for has fallen."""
        pop = self.pop
        g = self.add_group(GroupKind.MUTUAL_AID, u.index, False, f"{u.name}-mag-{self.day}")
        g.last_busy_day = self.day
        g.need_usual_at_start = usual
        latent = np.flatnonzero(pop.vstate[u.start:u.stop] == VolunteerState.LATENT) + u.start
        k = min(g.params.initial_volunteers, latent.size)
        if k:
            # rng.choice(latent, size=k, replace=False) sorted: where numpy's choice takes
            # Floyd's algorithm, the same places drawn in one compiled call
            at = (kernels.choice_ranks(kernels.generator_handle(rng), latent.size, k)
                  if kernels.floyd_applies(latent.size, k)
                  else rng.choice(latent.size, size=k, replace=False))
            chosen = np.sort(latent[at])
            pop.vstate[chosen] = VolunteerState.ACTIVE
            pop.vorg[chosen] = g.index
            pop.vtrained_at[chosen] = g.index
            pop.vlast_task[chosen] = self.day
            pop.goodwill[chosen] = 1.0
            self.create_volunteer_agents(chosen)
            g.n_trained = k
        self.count("new_groups_formed")
        self.count("new_mutual_aid_groups_formed")
        return g

    def _fold_mutual_aid(self, g: VCSEGroup) -> None:
        """A mutual aid group folds: its volunteers become willing neighbours again. Its
        members are found among the day's rolls (:meth:`_mutual_aid_rolls`) and its clients in
        the client index (:meth:`clients_of`), not by passes over the population: folds grow
        with the place, so that would grow with its square."""
        pop = self.pop
        if self._mag_rolls is None:
            self._mag_rolls = self._mutual_aid_rolls()
        on_roll, clients = self._mag_rolls.get(g.index, _NOBODY), self.clients_of(g.index)
        members = kernels.members_among(on_roll, pop.vorg, g.index, pop.vstate,
                                        VolunteerState.APPLIED, VolunteerState.IDLE)
        pop.vstate[members] = VolunteerState.LATENT
        pop.vorg[members] = -1
        pop.vwork_hours[members] = 0.0
        pop.goodwill[members] = 1.0
        self.count("new_mutual_aid_groups_folded")
        g.close("folded", among=(clients, on_roll))

    def _mutual_aid_rolls(self) -> dict[int, np.ndarray]:
        """The volunteers of :meth:`_rolls_of` the open mutual aid groups (one pass over the
        volunteers' rows for all of them). Until today's groups have all had their turn in
        :meth:`_mutual_aid_emerges` these are supersets of each group's members (volunteers
        join only new groups), so a fold filters its own rows; its clients come from the
        client index at its fold (:meth:`clients_of`: one group's, not every group's)."""
        return self._volunteers_of([g.index for unit_mags in
                                    self._open_mutual_aid_by_unit().values() for g in unit_mags])

    def _open_mutual_aid_by_unit(self) -> dict[int, list[VCSEGroup]]:
        """The open mutual aid groups by unit (each unit's in group order; the units' order
        is not to be relied on): kept while :meth:`open_groups` is the same list and followed
        through each opening and closure (:meth:`_open_groups_change`), so the daily pass does
        not go through every open group (about 1,500 in a 1,000,000 county) to find the few
        of this kind; the caller must not change it."""
        groups = self.open_groups()
        cached = self.__dict__.get("_open_mags_by_unit")
        if cached is None or cached[0] is not groups:
            by_unit: dict[int, list[VCSEGroup]] = {}
            for g in groups:
                if g.kind is _MUTUAL_AID:
                    by_unit.setdefault(g.unit, []).append(g)
            cached = self._open_mags_by_unit = (groups, by_unit)
        return cached[1]

    def _rolls_of(self, groups: list[int]
                  ) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
        """For organisations ``groups``: the volunteers past latent (applied to stood down)
        whose organisation each is (one without any is absent), and each one's clients
        (``provider``; every organisation has an entry), in resident order. What a closure or fold
        releases (volunteers from applied to idle, the clients) is among them. From the
        volunteers' rows (one pass over the one-byte states) and the per-group client index
        (:meth:`clients_of`), not passes over the population's organisation and provider
        columns."""
        if not groups:
            return {}, {}
        return self._volunteers_of(groups), {g: self.clients_of(g) for g in groups}

    def _volunteers_of(self, groups: list[int]) -> dict[int, np.ndarray]:
        """:meth:`_rolls_of`'s volunteers: past latent, by organisation, in resident order."""
        if not groups:
            return {}
        flagged = np.zeros(len(self.organisations), bool)
        flagged[groups] = True
        return kernels.rows_of_flagged_code(self.pop.vorg, self.pop.volunteer_rows(), flagged)

    # ------------------------------------------------------------------ shared actions
    def count(self, name: str, k: float = 1) -> None:
        """Add ``k`` to today's flow ``name``."""
        self.flows[name] = self.flows.get(name, 0) + k

    def _note_client(self, g: int, i: int) -> None:
        """Group ``g`` has taken on resident ``i`` (the one place a provider is set): the
        per-group client index (:meth:`clients_of`) gains it; a list grown to twice its
        size at the last look is compacted, so the index stays about as large as the
        groups' current clients."""
        rows = self._group_clients.get(g)
        if rows is None:
            rows = self._group_clients[g] = [0]  # rows[0]: the size that forces a compaction
        rows.append(i)
        if len(rows) > rows[0]:
            self.clients_of(g)

    def clients_of(self, g: int) -> np.ndarray:
        """The residents group ``g`` supports now (``provider == g``), in resident order, as
        ``np.flatnonzero(pop.provider == g)``, from the per-group index rather than a pass over
        the population (disruptive placements, :func:`sim.processes.strain.members_leave`,
        would otherwise grow with the square of the population). The index holds everyone
        the group took on through :meth:`offer_to_group`, the model's only place that sets a
        provider (code that writes ``pop.provider`` itself must call :meth:`_note_client`),
        and is cut to its current clients here. Closures of the day's churn and money
        (:meth:`_rolls_of`) and mutual aid folds read it; other closures search everyone."""
        rows = self._group_clients.get(g)
        if rows is None or len(rows) == 1:
            return _NOBODY
        taken = np.unique(np.array(rows[1:], np.int64))
        clients = taken[self.pop.provider[taken] == g]
        self._group_clients[g] = [2 * clients.size + 64, *clients.tolist()]
        return clients

    def count_each(self, name: str, values: np.ndarray) -> None:
        """Add each of ``values`` to today's flow ``name``, one after another: the same sums
        as one :meth:`count` per value (nothing is counted without values)."""
        if values.size == 0:
            return
        total = self.flows.get(name, 0)
        for k in values.tolist():
            total += k
        self.flows[name] = total

    def start_support(self, i: int, pathway: Pathway, days: int) -> None:
        pop = self.pop
        pop.pathway[i] = pathway
        pop.until[i] = self.day + days
        if pop.first_support[i] < 0:
            pop.first_support[i] = self.day
            pop.ever_supported[i] = True
            self.count("new_first_support")
            self.count("sum_days_to_first_support", self.day - int(pop.need_onset[i]))

    def link_worker_for(self, i: int) -> LinkWorker | None:
        lws = self.gp_practices[self.pop.gp[i]].link_workers
        return lws[i % len(lws)] if lws else None

    def refer_to_link_worker(self, i: int, source: str) -> bool:
        """Put resident ``i`` in their link worker's inbox (False if no link worker serves
        their practice; a resident already waiting keeps their place)."""
        lw = self.link_worker_for(i)
        if lw is None:
            return False
        if self.pop.pathway[i] == Pathway.WAITING:
            return True
        self.pop.pathway[i] = Pathway.WAITING
        self.pop.lw_referrals[i] += 1
        self.pop.turned_away[i] = False  # back with social prescribing, whatever the route
        self.pop.lw_referred_day[i] = self.day
        # a GP referral to a link worker in the surgery is handed over in person (004:398)
        self.pop.lw_warm[i] = source == "gp" and lw.co_located
        self.pop.lw_from_gp[i] = source == "gp"
        lw.inbox.append((i, source, int(self.pop.lw_referrals[i])))
        self.count(f"new_referrals_{source}")
        self.count("new_lw_referrals")
        if source == "gp":
            self.gp_practices[self.pop.gp[i]].out_gp_referrals += 1
        if source == "vcse":
            self.count("new_vcse_to_health_referrals")
        return True

    def offer_to_group(self, i: int, g: int, source: str, keep_pathway: bool = False) -> str:
        """Refer resident ``i`` to organisation ``g``: 'accepted', 'declined' or 'stale'."""
        group = self.organisations[g]
        from_health = source in ("link_worker", "gp")
        self.count("new_group_referrals")
        if from_health:
            self.count("new_health_to_vcse_referrals")
        if not group.is_open:
            if from_health:
                self.count("new_referrals_result_stale")
            return "stale"
        # whether it has room, asked once (nothing changes it before the group's offer)
        room = group.has_room() if from_health else None
        full = from_health and not room
        if group.online:
            result = self._offer_online(i, group)
        else:
            result = group.offer(i, room) if self._attends(i, group) else "not_reached"
        return self._after_offer(i, group, source, result, full, keep_pathway)

    def accept_disruptive_client(self, i: int, g: int, source: str) -> str:
        """:meth:`offer_to_group` of resident ``i`` (complex need) to group ``g`` (no inclusion
        capacity) from the point where the group has accepted them (its draw made, room found:
        ``sim.kernels.route_seekers`` stops there): the disruption (``VCSEGroup.offer``) and
        the rest of the offer."""
        group = self.organisations[g]
        group.accept_disruptive(i)
        return self._after_offer(i, group, source, "accepted", False, False)

    def _after_offer(self, i: int, group: VCSEGroup, source: str, result: str, full: bool,
                     keep_pathway: bool) -> str:
        """The end of :meth:`offer_to_group` once the group has answered: the result of a
        health referral counted, an accepted client supported."""
        g = group.index
        from_health = source in ("link_worker", "gp")
        if from_health:
            self.count(_RESULT_FLOW[result])
            if full and result == "declined":
                self.count("new_referrals_declined_full")
        if result == "accepted":
            pop = self.pop
            if group.kind is GroupKind.MUTUAL_AID:
                self.count("new_mutual_aid_support")
                if from_health:
                    self.count("new_mutual_aid_support_from_health")
            if from_health:
                self.joint_case(int(pop.gp[i]), g)
            if source == "link_worker":  # need-destination fit (sim.state.DOMAINS)
                fit = group.fits(int(pop.need_domain[i]))
                pop.poor_fit[i] = not fit
                self.count("new_lw_matches_fit" if fit else "new_lw_matches_poor_fit")
            pop.provider[i] = g
            self._note_client(g, i)
            pop.matched[i] = True
            days = group.params.support_days
            if keep_pathway:
                pop.group_until[i] = self.day + days
            else:
                self.start_support(i, Pathway.GROUP, days)
        return result

    def _offer_online(self, i: int, group: VCSEGroup) -> str:
        """A group that moved online (003:300-304) keeps a share of its places and cannot
        reach residents without digital access."""
        if not self.pop.digital[i]:
            self.count("new_referrals_not_reached_online")
            return "not_reached"
        places = self.cfg.emergency.online_capacity_share * group.capacity
        return group.offer(i) if group.n_clients < places else "declined"

    def _attends(self, i: int, group: VCSEGroup) -> bool:
        """Rural residents reach place-level (town) destinations less often (000:34)."""
        if group.unit >= 0 or not self.pop.rural[i]:
            return True
        access = self.gp_access[self.pop.gp[i]]
        return access >= 1.0 or self.streams.groups.random() < access

    def hand_back_to_gp(self, i: int) -> None:
        """Needs beyond a link worker's scope go back to statutory care (004:318, 412).

        With a re-escalation pathway the link worker refers directly on agreed criteria;
        without one the client goes back to the GP, whose re-referral meets the statutory
        service's threshold only sometimes (``p_handback_meets_threshold``, the 'gap in the
        middle'). Either way the service takes the client only while it has a free place
        (``statutory_places_per_1000``); otherwise the client bounces (002:370; 004:242)."""
        p = self.cfg.link_worker
        pop = self.pop
        if not p.reescalation_pathway:
            self.count("new_handbacks_via_gp")
            if self.streams.statutory.random() >= p.p_handback_meets_threshold:
                self._bounce(i, "new_bounces_threshold_not_met")
                return
        places = p.statutory_places_per_1000 * pop.n / 1000
        if kernels.count_equal(pop.pathway, Pathway.STATUTORY) >= places:
            self._bounce(i, "new_bounces_statutory_full")
            return
        self.start_support(i, Pathway.STATUTORY, p.statutory_support_days)
        self.count("new_reescalations")

    def _bounce(self, i: int, reason: str) -> None:
        self.pop.pathway[i] = Pathway.NONE
        self.pop.bounces[i] += 1
        self.pop.turned_away[i] = True  # referred back later (help_seeking.statutory_referrals)
        self.count("new_referrals_result_bounced")
        self.count(reason)
        self.tell_referring_practice(i, helped=False)

    def tell_referring_practice(self, i: int, helped: bool) -> None:
        """If resident ``i``'s link-worker referral came from their GP, the practice learns how
        it went (GP engagement, 004:340-342, 398-402)."""
        if self.pop.lw_from_gp[i]:
            self.pop.lw_from_gp[i] = False  # one outcome per referral
            self.gp_practices[self.pop.gp[i]].hear_of_client(helped)

    def finish_link_worker_support(self, i: int) -> None:
        pop = self.pop
        self.tell_referring_practice(i, helped=True)
        g = int(pop.provider[i])
        if g >= 0 and pop.group_until[i] > self.day and self.organisations[g].is_open:
            pop.pathway[i] = Pathway.GROUP
            pop.until[i] = pop.group_until[i]
            return
        factor = 1.0 if pop.matched[i] else self.cfg.need.unmatched_resolution_factor
        need.complete_one(self, i, factor)

    def surface_hidden_need(self, i: int, rng: np.random.Generator, factor: float = 1.0
                            ) -> bool:
        """A contact may surface a hidden need (less often by phone: ``factor``)."""
        pop = self.pop
        if pop.hidden[i] and rng.random() < self.cfg.need.p_hidden_surfaces_on_contact * factor:
            pop.hidden[i] = False
            pop.need[i] = min(int(pop.need[i]) + 1, 3)
            self.count("new_hidden_needs_surfaced")
            return True
        return False

    def on_group_closed(self, group: VCSEGroup,
                        among: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        """Group ``group`` has closed: its clients lose their support, its volunteers are
        released and its ties end. ``among``: supersets, in resident order, of its clients
        (``provider``) and of its volunteers (``vorg``), if known (default: everyone)."""
        self._open_groups_change(group, opened=False)
        pop = self.pop
        if group.distanced:
            self.count("new_groups_closed_while_suspended")
        if among is None:
            clients = kernels.flatnonzero(pop.provider == group.index)
        else:
            clients = among[0][pop.provider[among[0]] == group.index]
        in_group = clients[pop.pathway[clients] == Pathway.GROUP]
        pop.pathway[in_group] = Pathway.NONE
        pop.matched[clients[pop.pathway[clients] == Pathway.LINK_WORKER]] = False
        pop.provider[clients] = -1
        pop.disruptive[clients] = False
        pop.poor_fit[clients] = False
        self.count("new_support_lost_group_closed", in_group.size)
        volunteering.release_volunteers_of(self, group, None if among is None else among[1])
        self._drop_ties(group.unique_id)
        # its partnerships with practices end: a practice's tie's last use and an officer's
        # upkeep of it are held only while the practice is tied (``tie_practice``,
        # ``untie_practice``, tests/test_invariants.py), so only tied practices have anything
        # to drop; untied ones cost a membership test each (still a pass over the practices
        # per closure, a cheaper one: a reverse index would remove it)
        k = group.index
        for gp in self.gp_practices:
            if k in gp.vcse_ties:
                self.tie_last_use.pop((gp.index, k), None)
                self.release_officer_tie((gp.index, k))
                gp.vcse_ties.remove(k)
                gp.ties_changed()
                self._ties_changed()

    def add_link_worker(self, gp: GPPractice, specialism: str = "", host: str = ""
                        ) -> LinkWorker:
        """A new link-worker post at practice ``gp`` (optionally a specialist; ``host``:
        practice, vcse or lio, default drawn from ``link_worker.share_hosted_*``)."""
        unit = self.units[gp.unit]
        lw = LinkWorker(self, gp.unit, unit.params.lw_travel_hours_per_contact,
                        f"{gp.name}-lw-{len(self.link_workers) + 1}", specialism, host)
        if not gp.link_workers:
            gp.start_service()  # a new service: the practice's engagement starts low
        gp.link_workers.append(lw)
        self._set_link_worker_day_shares()
        lio = self.lio_of_unit(lw.unit)
        if lio is not None:
            self.add_tie(lw, lio)
        if self._practice_specs is not None:
            lw.reach = self._units_served[gp.index]
        for hub in self.intermediaries:
            if isinstance(hub, LocalityOfficer) and hub.served_units & lw.reach:
                self.add_tie(lw, hub)
        lw.refresh_directory(self.groups)
        self.refresh_link_worker_reach()
        self.count("new_lw_posts_added")
        return lw

    def withdraw_link_worker(self, lw: LinkWorker) -> None:
        """A post ends: its clients and waiting list lose their link worker."""
        pop = self.pop
        held = np.array(lw.clients(), np.int64)
        held = held[(pop.pathway[held] == Pathway.WAITING)
                    | (pop.pathway[held] == Pathway.LINK_WORKER)]
        need.release_group_places(self, held)
        pop.matched[held] = False
        pop.pathway[held] = Pathway.NONE
        for gp in self.gp_practices:
            if lw in gp.link_workers:
                gp.link_workers.remove(lw)
        self.link_workers.remove(lw)
        self._drop_ties(lw.unique_id)
        lw.remove()
        self.refresh_link_worker_reach()
        self.count("new_lw_posts_ended")

    def add_intermediary(self, kind: str, unit: int) -> Intermediary:
        """Stand up a locality officer or parish council in ``unit`` during a run."""
        u = self.units[unit]
        hub: Intermediary
        if kind == "locality_officer":
            hub = LocalityOfficer(self, unit, f"{u.name}-lo-{self.day}")
            for lw in self.link_workers:
                if hub.served_units & lw.reach:
                    self.add_tie(lw, hub)
        else:
            hub = ParishCouncil(self, unit, f"{u.name}-pc-{self.day}")
        self.intermediaries.append(hub)
        self._hubs_by_unit = None  # re-index intermediaries_for
        return hub

    def remove_intermediary(self, hub: Intermediary) -> None:
        if isinstance(hub, LocalityOfficer):
            hub.hand_back_ties()  # the post goes: its ties fall on the practices' hours
        self.intermediaries.remove(hub)
        self._hubs_by_unit = None
        self._drop_ties(hub.unique_id)
        hub.remove()

    def get_commissioners(self) -> list[Commissioner]:
        """The commissioners, one per district (place level, 002:97: a place's council and
        health partners fund its services), made on first use; with one district a single
        commissioner for the whole place (``district`` None)."""
        if not self.commissioners:
            if len(self.districts) == 1:
                self.commissioners = [Commissioner(self)]
            else:
                self.commissioners = [Commissioner(self, d)
                                      for d in range(len(self.districts))]
            self.commissioner = self.commissioners[0]
        return self.commissioners

    def get_commissioner(self) -> Commissioner:
        """The first district's commissioner (the only one off the multi-district places)."""
        return self.get_commissioners()[0]

    def is_working_day(self, day: int | None = None) -> bool:
        """Link workers' calendar: day 1 is a Monday; ``link_worker.working_days_per_week``
        days from Monday; England's eight bank holidays off (fixed days of the year) when
        ``link_worker.bank_holidays``."""
        p = self.cfg.link_worker
        d = self.day if day is None else day
        if (d - 1) % 7 >= p.working_days_per_week:
            return False
        return not (p.bank_holidays and (d - 1) % 365 + 1 in BANK_HOLIDAYS)

    def link_worker_hours_today(self) -> float:
        """Contact hours each link worker has today (0 on days off)."""
        p = self.cfg.link_worker
        if not self.is_working_day():
            return 0.0
        return p.hours_per_week * p.contact_share / p.working_days_per_week

    def refresh_training_days(self) -> None:
        self.org_training_days = np.array([o.training_days for o in self.organisations])

    def volunteer_tasks(self, idx: np.ndarray, hours: float | np.ndarray,
                        weeks_committed_days: int = 0) -> None:
        """Volunteers ``idx`` did a task of ``hours`` today: the hours come off this week's
        offer (callers choose volunteers with the hours left); a role that goes on for
        ``weeks_committed_days`` days takes the same hours every week until it ends. Goodwill
        rises and they are active."""
        pop = self.pop
        idx = np.asarray(idx, np.int64)
        if idx.size == 0:  # nobody: no hours (as the sum below)
            self.count("new_vol_hours", 0.0)
            return
        h = np.asarray(hours, np.float32)
        pop.vhours_used[idx] += h
        if weeks_committed_days:
            pop.vhours_committed[idx] += h
            pop.vcommitted_until[idx] = np.maximum(pop.vcommitted_until[idx],
                                                   self.day + weeks_committed_days)
        each = h if h.shape == idx.shape else np.broadcast_to(h, idx.shape)  # one hours each
        self.count("new_vol_hours", float(np.sum(each, dtype=np.float64)))
        pop.vlast_task[idx] = self.day
        volunteering.record_first_tasks(self, idx)
        pop.goodwill[idx] = np.minimum(
            pop.goodwill[idx] + np.float32(self.cfg.volunteers.goodwill_gain_task), 2.0)
        trained = idx[(pop.vstate[idx] == VolunteerState.ACTIVE)
                      | (pop.vstate[idx] == VolunteerState.IDLE)]
        pop.vstate[trained] = VolunteerState.ACTIVE

    def create_volunteer_agents(self, idx: np.ndarray) -> None:
        for i in idx.tolist():
            if i not in self._volunteers:
                self._volunteers[i] = Volunteer(self, i)

    def add_tie(self, a: mesa.Agent, b: mesa.Agent) -> None:
        """An organisational tie; counted as cross-sector when it joins health and VCSE."""
        if {a.sector, b.sector} in ({"health", "vcse"}, {"health", "community"}):
            tie = frozenset((a.unique_id, b.unique_id))
            self._cross_ties.add(tie)
            self._ties_of.setdefault(a.unique_id, set()).add(tie)
            self._ties_of.setdefault(b.unique_id, set()).add(tie)
            self._ties_changed()

    def remove_tie(self, a: mesa.Agent, b: mesa.Agent) -> None:
        """A tie between ``a`` and ``b`` has lapsed."""
        tie = frozenset((a.unique_id, b.unique_id))
        self._cross_ties.discard(tie)
        for uid in tie:
            self._ties_of.get(uid, set()).discard(tie)
        self._ties_changed()

    def _drop_ties(self, uid: int) -> None:
        """Every cross-sector tie of agent ``uid`` ends (it closed or left): found through the
        per-agent index, not a pass over all ties (closures grow with the place)."""
        for tie in self._ties_of.pop(uid, ()):
            self._cross_ties.discard(tie)
            for other in tie:
                if other != uid:
                    self._ties_of.get(other, set()).discard(tie)
        self._ties_changed()

    def _ties_changed(self) -> None:
        """Ties may have changed (cross-sector ones, or a practice's ``vcse_ties``): answers
        kept about them (``tie_epoch``) are worked out again when next asked for."""
        self.tie_epoch = getattr(self, "tie_epoch", 0) + 1  # (a model saved before it had one)

    def joint_case(self, gp_index: int, org_index: int) -> None:
        """Practice ``gp_index`` and organisation ``org_index`` handled a case together
        today (it may tie them: :func:`sim.processes.emergency.joint_work_ties`)."""
        if org_index >= 0:
            self.joint_cases_today.append((gp_index, org_index))

    def emergency_actor(self, key: str) -> EmergencyActor:
        """The emergency actor ``key`` (one of ``ACTOR_NAMES``; for ``local_authority`` on
        the places topology, the first district's council: ``councils()`` has them all)."""
        cached = self.__dict__.get("_actor_by_key")
        if cached is None or cached[0] is not self.emergency_actors:  # made once per list
            by_key: dict[str, EmergencyActor] = {}
            for actor in self.emergency_actors:
                by_key.setdefault(actor.key, actor)  # the first of a key, as a search finds
            cached = self._actor_by_key = (self.emergency_actors, by_key)
        return cached[1][key]

    def councils(self) -> list[EmergencyActor]:
        """The local authority actors: one per district (``model.districts`` order)."""
        return [a for a in self.emergency_actors if a.key == "local_authority"]

    def count_health_vcse_ties(self) -> int:
        return len(self._cross_ties)

    def tied_agents(self, agent: mesa.Agent) -> set[int]:
        """The unique ids of the agents ``agent`` has a cross-sector tie with (and its own,
        when it has any tie), from the per-agent index: no pass over all ties."""
        return {uid for tie in self._ties_of.get(agent.unique_id, ()) for uid in tie}

    # ------------------------------------------------------------------ queries
    def refresh_link_worker_reach(self) -> None:
        """Residents can refer themselves only where a link worker serves their practice.
        Called whenever the posts change (set-up, ``add_link_worker``,
        ``withdraw_link_worker``): the practices each post serves are worked out afresh."""
        self.lw_awareness = np.array([u.params.lw_awareness if self._unit_has_lw(u.index)
                                      else 0.0 for u in self.units])
        self._lw_practices = None
        self._lw_routes = None

    def link_worker_routes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`link_worker_for` as arrays for compiled passes: practice ``k``'s link
        workers are entries ``start[k]:start[k + 1]`` of ``workers`` (positions in
        ``link_workers``) and ``co_located`` (whether each is based in the surgery); resident
        ``i``'s is entry ``start[k] + i % (start[k + 1] - start[k])`` of its practice's. Kept
        until the posts change (:meth:`refresh_link_worker_reach`)."""
        routes = self.__dict__.get("_lw_routes")
        if routes is None:
            at = {id(lw): k for k, lw in enumerate(self.link_workers)}
            lists = [gp.link_workers for gp in self.gp_practices]
            start = np.zeros(len(lists) + 1, np.int64)
            np.cumsum([len(lws) for lws in lists], out=start[1:])
            workers = np.array([at[id(lw)] for lws in lists for lw in lws], np.int64)
            co_located = np.array([bool(lw.co_located) for lws in lists for lw in lws],
                                  np.bool_)
            routes = self._lw_routes = (start, workers, co_located)
        return routes

    def practices_of_link_worker(self, lw: LinkWorker) -> list[GPPractice]:
        """The practices whose ``link_workers`` include ``lw``, in practice order: what
        ``[gp for gp in self.gp_practices if lw in gp.link_workers]`` gives, kept until the
        posts change (:meth:`refresh_link_worker_reach`) instead of a pass over every practice
        for each co-located worker each day."""
        served = self.__dict__.get("_lw_practices")
        if served is None:
            served = self._lw_practices = {}
            for gp in self.gp_practices:
                for w in gp.link_workers:
                    mine = served.setdefault(w.unique_id, [])
                    if not mine or mine[-1] is not gp:  # a worker listed twice: once
                        mine.append(gp)
        return served.get(lw.unique_id, [])

    def _unit_has_lw(self, unit: int) -> bool:
        return any(self.gp_practices[k].link_workers for k in self.practices_of_unit[unit])

    def refresh_unit_flags(self) -> None:
        """Per unit: is an open group in reach (its own or its district's), is an
        intermediary with capacity in reach. One pass over the intermediaries (index -1, the
        place level, is the last slot of their flags) and, when the open groups or their
        suspensions have changed since the last, one over the groups."""
        n = len(self.units)
        state = self.group_state
        # the groups' flags: kept while the open groups and their suspensions stand (a
        # group's unit and kind do not change)
        groups, epoch = self.open_groups(), self.__dict__.get("reach_epoch", 0)
        kept = self.__dict__.get("_unit_has_groups_of")
        if kept is None or kept[0] is not groups or kept[1] != epoch:
            self._unit_has_groups_of = (groups, epoch, kernels.units_with_groups(
                self.open_group_rows(), state.unit_key, state.distanced, state.kind_code,
                KIND_CODES[GroupKind.LIO], self.district_of_unit, len(self.districts)))
        self.unit_has_groups = self._unit_has_groups_of[2]
        # the intermediaries' flags: kept while the same units have one with capacity today
        serving = tuple(h.unit for h in self.intermediaries if h.daily_capacity() > 0)
        kept = self.__dict__.get("_unit_has_intermediary_of")
        if kept is None or kept[0] != serving or kept[1] != n:
            hubs = np.zeros(n + 1, bool)
            hubs[list(serving)] = True
            kept = self._unit_has_intermediary_of = (serving, n,
                                                     (hubs[:n] | hubs[n]).astype(float))
        self.unit_has_intermediary = kept[2]
        # the intermediaries' index by unit is rebuilt by intermediaries_for when it is stale

    def open_groups_reachable(self, unit: int) -> list[VCSEGroup]:
        """The open groups a resident of ``unit`` can go to: the unit's and its district's
        (not the LIO, none suspended), in group order within each. Kept (:meth:`_in_reach`);
        the caller must not change it."""
        return self._in_reach(unit)[0]

    def open_groups_in_reach(self, units: frozenset[int]) -> list[VCSEGroup]:
        """:meth:`open_groups_reachable` over several units (a link worker's reach): their
        groups in unit order, then their districts' place-level ones, in district order. Kept
        (:meth:`_in_reach`); the caller must not change it."""
        if len(units) == 1:
            return self.open_groups_reachable(next(iter(units)))
        return self._in_reach(units)[0]

    def reachable_with_weights(self, unit: int) -> tuple[list[VCSEGroup], list[float]]:
        """:meth:`open_groups_reachable` and the running sums of the weights a resident
        choosing among them gives each (its believed size ``nominal_capacity`` + 1, as
        :meth:`referral_weights`), for ``organisations.choice_by_cumulative``; kept with the
        groups while no event changes parameters (``capacity_epoch``)."""
        entry = self._in_reach(unit)
        if entry[2] != self.capacity_epoch:
            weights = self.referral_weights()[0]
            entry[1] = list(accumulate(weights[g.index] for g in entry[0]))
            entry[2] = self.capacity_epoch
        return entry[0], entry[1]

    def groups_with_room(self, unit: int) -> list[VCSEGroup]:
        """:meth:`open_groups_reachable` with room for a client (``VCSEGroup.has_room()``), in
        its order: one compiled pass over their columns (``kernels.groups_with_room``: their
        places worked out as their cached capacity holds them, then the money) instead of a
        Python call per group; their rows are kept with them (:meth:`_in_reach`)."""
        entry = self._in_reach(unit)
        groups = entry[0]
        if not groups:
            return []
        if len(entry) < 4:
            entry.append(np.fromiter((g.index for g in groups), np.int64, len(groups)))
        at = kernels.groups_with_room(entry[3], *self._room_columns())
        return [groups[k] for k in at.tolist()]

    _ROOM_PARAMETERS = ("staff_client_capacity", "staff_fte", "volunteer_client_share",
                        "cost_per_client_day", "fixed_cost_per_day")

    def _room_columns(self) -> tuple:
        """What ``kernels.groups_with_room`` reads after the rows: the groups' columns (read
        afresh: they grow by doubling, and a model saved before some existed makes them on
        load), their parameters by organisation index and the settings (kept while no event
        may have changed parameters, ``capacity_epoch``, and no organisation was added)."""
        state, epoch, n = self.group_state, self.capacity_epoch, len(self.organisations)
        kept = self.__dict__.get("_room_settings")
        if kept is None or kept[0] != epoch or kept[1] != n:
            v, g = self.cfg.volunteers, self.cfg.groups
            kept = self._room_settings = (
                epoch, n, (*params_by_index(self, self._ROOM_PARAMETERS),
                           float(v.tasks_per_client_per_week * v.group_task_hours),
                           float(g.disruption_capacity_loss), float(g.reserve_floor_months)))
        return (state.n_clients, state.is_open, state.kind_code, _LIO_CODE, state.distanced,
                state.staff_fte, state.extra_places, state.volunteer_hours, state.disruption,
                state.annual_funding, state.funding_cut, state.balance, *kept[2])

    def _in_reach(self, key: int | frozenset[int]) -> list:
        """[the open groups in reach of unit ``key`` (or of units ``key``), their running
        weights or None, the ``capacity_epoch`` of those]: made on a first look and kept while
        the open groups (:meth:`open_groups_by_unit`: a new dict once one opens or closes)
        and their suspensions (``reach_epoch``: a group's ``distanced`` changed) stand, so
        each help seeker's and link worker's look is a dictionary look-up, not a pass over
        the unit's and its district's groups."""
        by_unit = self.open_groups_by_unit()
        epoch = self.__dict__.get("reach_epoch", 0)
        cached = self.__dict__.get("_groups_in_reach")
        if cached is None or cached[0] is not by_unit or cached[1] != epoch:
            # (the open groups by unit they were made from, reach_epoch, the entries, the
            # entries' keys by the unit key of the groups they hold: _open_groups_change
            # drops only those a group opening or closing is in)
            cached = self._groups_in_reach = (by_unit, epoch, {}, {})
        entry = cached[2].get(key)
        if entry is None:
            keys = ((*sorted(key), *self.place_keys_of(key)) if isinstance(key, frozenset)
                    else (key, self.place_key_of_unit[key]))
            for k in keys:
                cached[3].setdefault(k, set()).add(key)
            entry = cached[2][key] = [
                [g for u in keys for g in by_unit.get(u, ())
                 if not g.distanced and g.kind is not GroupKind.LIO], None, -1]
        return entry

    def practices_in(self, unit: int) -> list[GPPractice]:
        """The practices of ``unit``: those in it; in a places topology those serving it."""
        if self._practice_specs is not None:
            return [self.gp_practices[k] for k in self.practices_of_unit[unit]]
        return [gp for gp in self.gp_practices if gp.unit == unit]

    def open_groups(self) -> list[VCSEGroup]:
        """The open groups, in group order. A cached list, made anew once a group is added or
        closes (``add_group``, ``on_group_closed``): a caller may iterate it while groups close,
        and must not change it."""
        cached = self.__dict__.get("_open_groups")
        if cached is None:
            groups = [g for g in self.groups if g.is_open]
            by_unit: dict[int, list[VCSEGroup]] = {}
            for g in groups:
                by_unit.setdefault(g.unit_key, []).append(g)
            cached = self._open_groups = (groups, by_unit)
        return cached[0]

    def open_group_rows(self) -> np.ndarray:
        """The indices (rows of ``group_state``) of :meth:`open_groups`, in its order: kept
        while it is the same list; the caller must not change them."""
        groups = self.open_groups()
        cached = self.__dict__.get("_open_group_rows")
        if cached is None or cached[0] is not groups:
            cached = self._open_group_rows = (groups, np.fromiter(
                (g.index for g in groups), np.int64, len(groups)))
        return cached[1]

    def running_groups(self) -> tuple[list[VCSEGroup], np.ndarray]:
        """The open groups but the LIO (those with places and strain), in group order, and
        their indices (rows of ``group_state``): kept while :meth:`open_groups` is the same
        list; the caller must not change them."""
        groups = self.open_groups()
        cached = self.__dict__.get("_running_groups")
        if cached is None or cached[0] is not groups:
            running = [g for g in groups if g.kind is not GroupKind.LIO]
            cached = self._running_groups = (groups, running, np.fromiter(
                (g.index for g in running), np.int64, len(running)))
        return cached[1], cached[2]

    def listed_groups_by_unit(self) -> dict[int, tuple[int, ...]]:
        """Indices of the open groups on the directory (LIOs left out) of each unit (-1 -
        district: that district's place-level ones), in group order; units with none are
        absent. Kept while :meth:`open_groups` is the same list and no group's listing has changed
        (``listing_epoch``), so each link worker's listings need not look at every group in
        its reach, and the place-level ones of every district, each day."""
        groups = self.open_groups()
        cached = self.__dict__.get("_listed_by_unit")
        if cached is None or cached[0] is not groups or cached[1] != self.listing_epoch:
            lio = GroupKind.LIO
            listed: dict[int, tuple[int, ...]] = {}
            for unit, unit_groups in self.open_groups_by_unit().items():
                here = tuple(g.index for g in unit_groups if g.on_directory and g.kind is not lio)
                if here:
                    listed[unit] = here
            cached = self._listed_by_unit = (groups, self.listing_epoch, listed)
        return cached[2]

    def _listing_changed(self, group: VCSEGroup) -> None:
        """``group`` has come on or gone off the directory (``listing_epoch`` has just moved
        on): the cached listings by unit (:meth:`listed_groups_by_unit`), if they were up to
        date, follow with its unit's entry changed, instead of a pass over every open group
        when next asked for (locality officers bring hidden groups on the directory)."""
        listed = self.__dict__.get("_listed_by_unit")
        cached = self.__dict__.get("_open_groups")
        if (listed is None or cached is None or listed[0] is not cached[0]
                or listed[1] != self.listing_epoch - 1):
            return
        by_unit = listed[2]
        if group.is_open and group.kind is not GroupKind.LIO:
            key, j = group.unit_key, group.index
            here = [k for k in by_unit.get(key, ()) if k != j]
            if group.on_directory:
                bisect.insort(here, j)  # group order: ascending indices
            by_unit = {**by_unit, key: tuple(here)}
            if not here:  # units with none are absent
                del by_unit[key]
        self._listed_by_unit = (listed[0], self.listing_epoch, by_unit)

    def referral_weights(self) -> tuple[list[float], list[int]]:
        """Per organisation index: ``float(nominal_capacity) + 1.0``, the weight a link worker
        gives a destination (0.0 for one that is not a VCSE group), and the need domains it
        offers (bit mask; 0 likewise). Kept while no event changes parameters
        (``capacity_epoch``, as the groups' own cached nominal sizes), extended as
        organisations are added, so a match reads two lists instead of a property and an
        attribute per destination. Correct only while ``nominal_capacity`` depends on
        parameters alone and every parameter change goes through an event that bumps
        ``capacity_epoch`` (code that assigns ``model.cfg.groups.*`` directly must bump it)."""
        orgs = self.organisations
        cached = self.__dict__.get("_referral_weights")
        if cached is None or cached[0] != self.capacity_epoch:
            cached = self._referral_weights = (self.capacity_epoch, [], [])
        weights, offers = cached[1], cached[2]
        for org in orgs[len(weights):]:
            group = isinstance(org, VCSEGroup)
            weights.append(float(org.nominal_capacity) + 1.0 if group else 0.0)
            offers.append(org.offers if group else 0)
        return weights, offers

    def open_groups_by_district(self) -> dict[int, list[VCSEGroup]]:
        """The open groups of each district (its units' and its place-level ones), in group
        order; districts with none are absent. Kept while :meth:`open_groups` is the same
        list, so per-district work touches only that district's groups; the caller must not
        change it."""
        groups = self.open_groups()
        cached = self.__dict__.get("_open_groups_by_district")
        if cached is None or cached[0] is not groups:
            by_district: dict[int, list[VCSEGroup]] = {}
            for g in groups:
                by_district.setdefault(g.district, []).append(g)
            cached = self._open_groups_by_district = (groups, by_district)
        return cached[1]

    def _open_groups_change(self, group: VCSEGroup, opened: bool) -> None:
        """``group`` has opened (the newest group) or closed: the cached open groups become
        new lists with it added at the end or taken out (lists already handed out stay as
        they were), instead of a pass over every group ever made."""
        cached = self.__dict__.get("_open_groups")
        if cached is None:
            return
        groups, by_unit = cached
        here = by_unit.get(group.unit_key, [])
        if opened:
            groups, here = [*groups, group], [*here, group]
        else:  # found and copied around in C (list.index: identity first), not a Python pass
            groups, here = _without(groups, group), _without(here, group)
        by_unit = {**by_unit, group.unit_key: here}
        if not here:  # units with no open group are absent
            del by_unit[group.unit_key]
        old_groups, old_by_unit = cached
        self._open_groups = (groups, by_unit)
        # the groups in reach (_in_reach) of the units whose open groups it was among are
        # made again when next looked at; the others' stand (mutual aid groups form and fold
        # many times a day in a large place, one street at a time)
        reach = self.__dict__.get("_groups_in_reach")
        if reach is not None and reach[0] is old_by_unit:
            entries, users = reach[2], reach[3]
            for key in users.pop(group.unit_key, ()):
                entries.pop(key, None)
            self._groups_in_reach = (by_unit, reach[1], entries, users)
        # the open charities and community groups by place and kind follow with one count
        # changed, instead of a count over every open group when next asked for
        counts = self.__dict__.get("_open_provision_counts")
        if counts is not None and counts[0] is old_groups:
            counts = counts[1]
            if group.kind is GroupKind.FORMAL_CHARITY or group.kind is GroupKind.COMMUNITY_GROUP:
                key = (group.unit_key, group.kind.value)
                counts = dict(counts)
                k = counts.get(key, 0) + (1 if opened else -1)
                if k:
                    counts[key] = k
                else:  # places and kinds with none open are absent
                    del counts[key]
            self._open_provision_counts = (groups, counts)
        # the listed groups by unit follow too (a group off the directory leaves them as they
        # are), unless a listing changed since they were made (listing_epoch): mutual aid
        # groups form and fold many times a day in a large place, and each rebuild is a pass
        # over every open group
        listed = self.__dict__.get("_listed_by_unit")
        if listed is not None and listed[0] is old_groups and listed[1] == self.listing_epoch:
            by_unit_listed = listed[2]
            if group.on_directory and group.kind is not GroupKind.LIO:
                key, j = group.unit_key, group.index
                here_listed = by_unit_listed.get(key, ())
                # the newest group comes last (group order), a closing one leaves its place
                here_listed = ((*here_listed, j) if opened
                               else tuple(k for k in here_listed if k != j))
                by_unit_listed = {**by_unit_listed, key: here_listed}
                if not here_listed:  # units with none are absent
                    del by_unit_listed[key]
            self._listed_by_unit = (groups, self.listing_epoch, by_unit_listed)
        # the open groups by district, and the places short of provision (which only
        # charities and community groups change), follow the same way
        by_district = self.__dict__.get("_open_groups_by_district")
        if by_district is not None and by_district[0] is old_groups:
            d, of_district = group.district, by_district[1]
            here_d = of_district.get(d, [])
            here_d = [*here_d, group] if opened else _without(here_d, group)
            of_district = {**of_district, d: here_d}
            if not here_d:  # districts with none are absent
                del of_district[d]
            self._open_groups_by_district = (groups, of_district)
        short = self.__dict__.get("_provision_short")
        if (short is not None and short[0] is old_groups
                and group.kind is not GroupKind.FORMAL_CHARITY
                and group.kind is not GroupKind.COMMUNITY_GROUP):
            self._provision_short = (groups, *short[1:])
        # the running groups (all but the LIO) and their rows follow the same way
        running = self.__dict__.get("_running_groups")
        if running is not None and running[0] is old_groups:
            _, kept, rows = running
            if group.kind is not GroupKind.LIO:
                if opened:
                    kept, rows = [*kept, group], np.append(rows, np.int64(group.index))
                else:  # rows ascend (group order): its place found without a pass
                    at = int(np.searchsorted(rows, group.index))
                    if at < len(kept) and kept[at] is group:
                        kept, rows = kept[:at] + kept[at + 1:], np.delete(rows, at)
            self._running_groups = (groups, kept, rows)
        # and so do the open groups' rows (open_group_rows: ascending, group order) and the
        # open mutual aid groups by unit (_open_mutual_aid_by_unit: each unit's in group order)
        open_rows = self.__dict__.get("_open_group_rows")
        if open_rows is not None and open_rows[0] is old_groups:
            rows = open_rows[1]
            if opened:
                rows = np.append(rows, np.int64(group.index))
            else:
                at = int(np.searchsorted(rows, group.index))
                if at < rows.size and rows[at] == group.index:
                    rows = np.delete(rows, at)
            self._open_group_rows = (groups, rows)
        mags = self.__dict__.get("_open_mags_by_unit")
        if mags is not None and mags[0] is old_groups:
            mags_by_unit = mags[1]
            if group.kind is _MUTUAL_AID:
                here_m = mags_by_unit.get(group.unit, [])
                here_m = [*here_m, group] if opened else _without(here_m, group)
                mags_by_unit = {**mags_by_unit, group.unit: here_m}
                if not here_m:  # units with none are absent
                    del mags_by_unit[group.unit]
            self._open_mags_by_unit = (groups, mags_by_unit)

    def open_groups_by_unit(self) -> dict[int, list[VCSEGroup]]:
        """``groups_by_unit`` with only the open groups (cached with :meth:`open_groups`; units
        with none are absent): keyed by unit, a district's place-level groups by -1 - district
        (``unit_key``)."""
        cached = self.__dict__.get("_open_groups")
        if cached is None:
            self.open_groups()
            cached = self._open_groups
        return cached[1]

    def _index_intermediaries(self) -> None:
        by_unit: dict[int, list[Intermediary]] = {}
        place: list[Intermediary] = []
        for h in self.intermediaries:
            if h.units is not None:  # a hub on several units (a PCN's areas)
                for u in sorted(h.units):
                    by_unit.setdefault(u, list(place)).append(h)
            elif h.unit == -1:
                place.append(h)
                for hubs in by_unit.values():
                    hubs.append(h)
            else:
                by_unit.setdefault(h.unit, list(place)).append(h)
        self._hubs_by_unit = (len(self.intermediaries), by_unit, place)

    def intermediaries_for(self, unit: int) -> list[Intermediary]:
        """Intermediaries serving ``unit`` (its own and place-level ones), in list order."""
        cache = getattr(self, "_hubs_by_unit", None)
        if cache is None or cache[0] != len(self.intermediaries):
            self._index_intermediaries()
            cache = self._hubs_by_unit
        return list(cache[1].get(unit, cache[2]))

    def group_needing_volunteers(self, unit: int) -> VCSEGroup | None:
        """The open group in reach with the most clients per trained volunteer."""
        options = [g for g in self.open_groups_reachable(unit)
                   if g.kind is not GroupKind.MUTUAL_AID]
        if not options:
            return None
        return max(options, key=lambda g: ((g.n_clients + 1) / (g.n_trained + 1), -g.index))

    def resident(self, i: int) -> Resident:
        """The Resident agent for resident ``i`` (created on demand if agents are not kept)."""
        agent = self._residents.get(i)
        if agent is None:
            agent = self._residents[i] = Resident(self, i)
        return agent

    @property
    def social_graph(self) -> nx.Graph:
        """The residents' social network as a networkx graph (built on first use)."""
        import networkx as nx  # only here: a run never needs it

        if self._graph is None:
            g = nx.Graph()
            g.add_nodes_from(range(self.pop.n))
            g.add_edges_from(self.edges.tolist())
            self._graph = g
        return self._graph

    @property
    def space(self):
        """Mesa ``Network`` space over the social graph (built on first use, no layout)."""
        if self._space is None:
            from mesa.discrete_space import Network

            self._space = Network(self.social_graph, random=self.random, layout=None)
        return self._space

    # ------------------------------------------------------------------ running
    def _wrapped_step(self) -> None:
        """Mesa's step (advances ``steps`` and ``time``, then runs :meth:`step`), refused once
        the run is over, before Mesa's clock moves."""
        if self.started and not self.running:
            raise RunFinished(
                f"the run is over: output day {self.output_day} of run.days="
                f"{self.cfg.run.days} (running is False); model.extend(days) adds days")
        super()._wrapped_step()

    def extend(self, days: int) -> None:
        """Add ``days`` to the run (``run.days``), so stepping may go on; ``running`` is True
        again while output days remain."""
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise ConfigError("days", f"must be a whole number >= 1 (got {days!r})")
        self.cfg.run.days += days
        self.running = self.output_day < self.cfg.run.days

    def run(self, days: int | None = None) -> None:
        """Simulate ``days`` more days, extending ``run.days`` if they go past it; without
        ``days``, to the end of ``run.days`` (as Mesa's :meth:`run_model`)."""
        if days is None:
            while self.running:
                self.step()
            return
        over = self.output_day + days - self.cfg.run.days
        if self.started and over > 0:
            self.extend(over)
        for _ in range(days):
            self.step()

    @property
    def datacollector(self) -> metrics.DailyCollector:
        """Mesa's DataCollector view of the daily table (``mesa.batch_run``, Solara plot
        components): ``get_model_vars_dataframe()`` is :meth:`timeseries`, one row per output
        day, indexed by output day (Mesa's step)."""
        view = self.__dict__.get("_datacollector")
        if view is None:
            view = self.__dict__["_datacollector"] = metrics.DailyCollector(self)
        return view

    def timeseries(self) -> pd.DataFrame:
        return metrics.finalise(self.rows)

    # ------------------------------------------------------------------ saving
    def __setstate__(self, state: dict) -> None:
        """Unpickling (:meth:`load`, checkpoints): a model saved before the per-group client
        index existed gets it rebuilt from ``pop.provider``, and one saved before the groups'
        mirrored columns existed (:func:`~sim.agents.group_state.mirrored_column`) gets them
        filled from its organisations, so it continues as it would have."""
        self.__dict__.update(state)
        if self.group_state.add_missing_columns():  # saved before these were columns
            for org in self.organisations:
                fill_mirrored_columns(org)
                if isinstance(org, VCSEGroup):
                    if "staff_changes" in org.__dict__:
                        org.staff_changes = org.__dict__.pop("staff_changes")
                    self.group_state.kind_code[org.index] = KIND_CODES[org.kind]
                    self.group_state.on_directory[org.index] = org._on_directory
        if "_group_clients" not in state:
            provider = self.pop.provider
            held = np.flatnonzero(provider >= 0)
            index: dict[int, list[int]] = {}
            for i, g in zip(held.tolist(), provider[held].tolist(), strict=True):
                index.setdefault(int(g), []).append(i)
            self._group_clients = {g: [2 * len(rows) + 64, *rows] for g, rows in index.items()}

    def save(self, path: str | Path) -> Path:
        """Save the whole model (state, random streams, daily rows) to ``path``, so
        :meth:`load` continues it to byte-identical outputs. The file is a pickle signed with
        this user account's key (:mod:`sim.signed`); written atomically."""
        from sim import signed

        return signed.save_model(self, Path(path))

    @classmethod
    def load(cls, path: str | Path, *, trust: bool = False) -> CommunityModel:
        """A model saved by :meth:`save`. Loading a pickle can run code, so only files signed
        with this user account's key are loaded; ``trust=True`` loads an unsigned or foreign
        file you are sure of (it runs code like any pickle: never a file from others)."""
        from sim import signed

        model = signed.load_model(Path(path), trust=trust)
        if not isinstance(model, cls):
            raise TypeError(f"{path} holds a {type(model).__name__}, not a {cls.__name__}")
        return model

    def apply_event(self, kind: str, params: dict | None = None) -> None:
        """Apply a registered event now (live injects, e.g. from the dashboard)."""
        events.apply(self, events.Event(day=self.day, kind=kind, params=dict(params or {})))
