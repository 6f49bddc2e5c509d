"""VCSE organisations (formal charities, community groups, mutual aid groups, the LIO) and the
hospital trust that hosts its own volunteers. Ordinary Mesa agents: few and rich."""

from __future__ import annotations

import math
from bisect import bisect_right
from enum import Enum
from itertools import accumulate
from operator import attrgetter
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim import kernels
from sim.agents.group_params import SizedGroupParams
from sim.agents.group_state import mirrored_column, params_columns, state_column
from sim.params import GroupKindParams
from sim.processes import strain
from sim.state import DOMAINS, Pathway
from sim.state import NEED as Need  # plain ints: fast in numpy

if TYPE_CHECKING:
    from sim.model import CommunityModel


class GroupKind(Enum):
    FORMAL_CHARITY = "formal_charity"
    COMMUNITY_GROUP = "community_group"
    MUTUAL_AID = "mutual_aid"
    LIO = "lio"


_LIO = GroupKind.LIO  # a module constant: no enum attribute lookup in hot paths
KIND_CODES = {kind: code for code, kind in enumerate(GroupKind)}
"""A kind's code in the groups' ``kind_code`` column (sim.agents.group_state)."""


class Organisation(mesa.Agent):
    """Anything residents can volunteer for. ``index`` is its position in
    ``model.organisations`` and the value stored in the volunteer arrays."""

    model: CommunityModel
    sector = "vcse"

    # volunteer management's daily bookings, held as whole columns (sim.agents.group_state)
    vm_hours_left = state_column("vm_hours_left", "hours of this week not yet used (carried to "
                                 "the next day)")
    vm_contact_cover_waiting = state_column("vm_contact_cover_waiting", "share of today's "
                                            "contact need met: applicants")
    vm_contact_cover_trained = state_column("vm_contact_cover_trained", "share of today's "
                                            "contact need met: trained volunteers")
    n_trained = state_column("n_trained", "trained volunteers (active or idle), refreshed "
                             "daily")
    is_open = mirrored_column("is_open", "open (a closed organisation never reopens)")
    unit_key = mirrored_column("unit_key", "its key in the model's by-unit indices: its unit, "
                               "or -1 - district at place level")
    vm_extra_hours_per_week = mirrored_column("vm_extra_hours_per_week", "volunteer-management "
                                              "hours a week of a scale-up in force (paid for)")

    def __init__(self, model: CommunityModel, unit: int, name: str):
        super().__init__(model)
        self.group_state = model.group_state  # its row: the columns of VCSEGroup's state
        self.index = self.group_state.add_row()  # == len(model.organisations)
        model.organisations.append(self)
        self.unit = unit  # -1: place level (reaches every unit of its district)
        self.district = 0  # index into model.districts (the model sets it: its unit's, or given)
        # its key in the model's by-unit indices: the unit, or -1 - district (set with the
        # district: by the model's add_group for a group, by NHSTrust for a trust)
        self.unit_key = unit if unit >= 0 else -1
        self.name = name
        self.is_open = True
        self.n_trained = 0  # trained volunteers (active or idle), refreshed daily
        self.training_days = 0
        # volunteer management (003:224-226): funded staff hours a week, booked each day on
        # inductions, applications and keeping in touch (sim/processes/volunteering.py)
        self.vm_hours_per_week = 0.0
        self.hours_per_application = 0.0
        self.vm_extra_hours_per_week = 0.0  # emergency scale-up in force (paid for)
        self.vm_scale_up_asked_day = -1  # day the scale-up was asked for (-1: not asked)
        self.vm_hours_left = 0.0
        self.vm_contact_cover_waiting = 1.0
        self.vm_contact_cover_trained = 1.0
        # drawn for every organisation, so whether it accepts a passport (draw below
        # volunteers.passport_recognition_share) never shifts another stream
        self.passport_draw = float(model.streams.volunteer_management.random())

    def tasks_today(self) -> float:
        """Expected volunteer tasks the organisation can give today."""
        return 0.0

    def accepts_passport(self) -> bool:
        """Does this organisation recognise checks and training done elsewhere?"""
        v = self.model.cfg.volunteers
        return v.passporting and self.passport_draw < v.passport_recognition_share

    def can_pay_for_staff(self) -> bool:
        """Whether it has money to redeploy or hire management staff (groups with income and
        a positive balance)."""
        return False

    def forget_capacity(self) -> None:
        """Its places must be worked out afresh (nothing to forget here: no places)."""

    def vm_hours_new_today(self) -> float:
        """Management hours this organisation gains today (funded plus any scale-up)."""
        if not self.is_open:
            return 0.0
        return (self.vm_hours_per_week + self.vm_extra_hours_per_week) / 7.0


def _capacity_input(name: str, doc: str) -> property:
    """An attribute that ``VCSEGroup.capacity`` depends on: changing its value forgets the
    cached capacity (reading it is a plain attribute look-up); mirrored in its column."""
    return mirrored_column(name, doc, forgets_capacity=True)


def _listing_flag(doc: str) -> property:
    """Whether a group is on the service directory: a change of value adds 1 to the model's
    ``listing_epoch`` (its cached listings by unit, ``CommunityModel.listed_groups_by_unit``,
    follow: ``CommunityModel._listing_changed``); reading it is a plain attribute look-up. A
    new group's first value is not a change: its opening adds it to the cached listings
    (``CommunityModel._open_groups_change``)."""

    def set_(self, value) -> None:
        old = getattr(self, "_on_directory", None)
        self._on_directory = value
        self.group_state.on_directory[self.index] = value
        if old is not None and old != value:
            model = self.model
            model.listing_epoch = getattr(model, "listing_epoch", 0) + 1
            model._listing_changed(self)

    return property(attrgetter("_on_directory"), set_, doc=doc)


def _staff_changes_list(doc: str) -> property:
    """A group's pending notices and hires, a list read as a plain attribute; each assignment
    also writes its length to the group's ``n_staff_changes`` column, so the daily pass visits
    only the groups with changes due. Assign a new list, never change one in place."""

    def set_(self, value: list) -> None:
        self._staff_changes = value
        self.group_state.n_staff_changes[self.index] = len(value)

    return property(attrgetter("_staff_changes"), set_, doc=doc)


class _KindParameter:
    """A group's value of its parameter ``name`` (``params.<name>``: its kind's live section,
    ``groups.<kind>``, or a live view of it for a group sized apart from its kind,
    :mod:`sim.agents.group_params`), read each time it is used, so a ``set_parameter`` event
    acts from that day on. A value assigned to the attribute replaces it from then on (the
    LIO's books set its management hours each day, :mod:`sim.agents.lio`)."""

    def __init__(self, name: str):
        self.name = name
        self.slot = "_set_" + name

    def __get__(self, group, owner=None):
        if group is None:
            return self
        value = group.__dict__.get(self.slot)
        if value is not None:
            return value
        return getattr(group.params, self.name)

    def __set__(self, group, value) -> None:
        group.__dict__[self.slot] = value


class VCSEGroup(Organisation):
    """A voluntary or community group: accepts or declines referrals, supports clients with its
    volunteers, onboards applicants, and closes when its money runs out."""

    vm_hours_per_week = _KindParameter("vm_hours_per_week")
    hours_per_application = _KindParameter("hours_per_application")

    staff_fte = _capacity_input("staff_fte", "paid staff in post (FTE)")
    staff_changes = _staff_changes_list("(day it takes effect, FTE +/-) of each notice and hire "
                                        "pending")
    on_directory = _listing_flag("listed on the service directory")
    volunteer_hours = state_column("volunteer_hours", "free weekly hours of its trained "
                                   "volunteers", sets_capacity=True)
    extra_places = _capacity_input("extra_places",
                                   "client places commissioned on top of its own capacity")
    disruption = _capacity_input("disruption", "1 when a disruptive placement starts; decays as "
                                               "the group adapts")
    n_clients = mirrored_column("n_clients", "clients supported now")
    n_disruptive = mirrored_column("n_disruptive", "complex clients placed without inclusion "
                                   "capacity")
    distanced = mirrored_column("distanced", "cannot operate face to face (emergency): "
                                "suspended", epoch="reach_epoch")  # groups in reach follow
    online = mirrored_column("online", "moved online under distancing (emergency)",
                             epoch="reach_epoch")  # compiled routing follows (help_seeking)
    annual_funding = mirrored_column("annual_funding", "this year's funding (GBP a year)")
    funding_cut = mirrored_column("funding_cut", "share of core funding removed (events)")
    lio_support_until = mirrored_column("lio_support_until", "day the LIO's support ends (-1: "
                                        "never supported)")
    # the state the daily group passes work on as whole columns (sim.agents.group_state)
    balance = state_column("balance", "reserves (GBP)")
    spent = state_column("spent", "money spent since it opened (GBP)")
    strain = state_column("strain", "smoothed share of demand above its places (0 to 1)")
    unserved = state_column("unserved", "referrals turned away for want of room, still pressing")
    turned_away_today = state_column("turned_away_today", "referrals turned away today")

    def __init__(self, model: CommunityModel, kind: GroupKind,
                 params: GroupKindParams | SizedGroupParams, unit: int, on_directory: bool,
                 name: str = ""):
        super().__init__(model, unit, name or f"{kind.value}-{len(model.organisations)}")
        self._capacity = 0  # cached capacity, valid while _capacity_epoch is the model's
        self._capacity_lost = 0  # the places a disruption cost in it (places_lost_to_disruption)
        self._capacity_epoch = -1
        self._nominal = 0.0  # cached nominal_capacity, valid while _nominal_epoch is the model's
        self._nominal_epoch = -1
        self.kind = kind
        self.group_state.kind_code[self.index] = KIND_CODES[kind]
        self.kind_key = kind.value  # its section of ``groups`` (read each day: no enum look-up)
        self.params = params  # groups.<kind>, or a live view of it (sim.agents.group_params)
        self.on_directory = on_directory
        self.constituted = params.constituted
        self.n_clients = 0
        self.n_disruptive = 0  # complex clients placed without inclusion capacity
        # management hours and hours per application: its params', read each day
        # (_KindParameter)
        self.vm_hours_per_week = self.hours_per_application = None
        self.training_days = params.training_days
        self.distanced = False  # cannot operate face to face (emergency): suspended
        self.online = False  # moved online under distancing (emergency)
        rng = model.streams.groups
        self.funding_factor = (float(rng.lognormal(0.0, params.funding_sd)) if params.funding_sd
                               else 1.0)
        self.annual_funding = params.annual_funding * self.funding_factor
        # the kind's full funding this year's was set from (a mid-run change of the kind's
        # funding reaches the group at its next renewal, as its money does)
        self.full_funding = params.annual_funding
        self.funding_cut = 0.0  # share of core funding removed (events)
        self.extra_places = 0  # client places commissioned on top of its own capacity
        self.extra_funding = 0.0  # yearly money that comes with them
        self.balance = self.annual_funding * params.reserve_months / 12.0
        self.spent = 0.0
        self.opened_day = model.day
        self.closed_day = -1
        self.closure_reason = ""
        # paid staff, volunteer time and strain (sim.processes.strain)
        self.staff_fte = params.staff_fte
        self.staff_changes = []  # (day it takes effect, FTE +/-)
        self.volunteer_hours = 0.0  # free weekly hours of its trained volunteers
        self.strain = 0.0  # smoothed share of demand above its places (0 to 1)
        self.unserved = 0.0  # referrals turned away for want of room, still pressing
        self.turned_away_today = 0
        self.disruption = 0.0  # 1 when a disruptive placement starts; decays as it adapts
        self.reviews_unviable = 0  # staff reviews running that found no viable paid core
        self.lio_support_until = -1
        self.offers = draw_offers(params, model.streams.group_offer)  # need domains (bit mask)

    @property
    def nominal_capacity(self) -> float:
        """The size a referrer believes the group has (its staff and starting volunteers).
        Parameters only: cached until an event (``model.capacity_epoch``)."""
        epoch = self.model.capacity_epoch
        if self._nominal_epoch != epoch:
            p = self.params
            self._nominal = p.staff_client_capacity + self._volunteer_places(
                p.initial_volunteers * self.model.cfg.volunteers.hours_per_week)
            self._nominal_epoch = epoch
        return self._nominal

    def _volunteer_places(self, hours: float) -> float:
        """Client places that ``hours`` of volunteers' free time a week can deliver."""
        v = self.model.cfg.volunteers
        per_client = v.tasks_per_client_per_week * v.group_task_hours
        return hours * self.params.volunteer_client_share / per_client if per_client > 0 else 0.0

    def staff_places(self) -> float:
        """Places the paid staff in post can hold (the establishment's places pro rata)."""
        p = self.params
        if p.staff_fte <= 0:
            return float(p.staff_client_capacity)
        return p.staff_client_capacity * self.staff_fte / p.staff_fte

    def volunteer_places(self) -> float:
        return self._volunteer_places(self.volunteer_hours)

    def raw_capacity(self) -> float:
        """Places from staff hours, volunteer hours and commissioned places, before
        disruption."""
        return self.staff_places() + self.extra_places + self.volunteer_places()

    @property
    def capacity(self) -> int:
        """Clients it can support at once, less places lost to a disruption.

        ``raw_capacity()`` less ``places_lost_to_disruption()``, written out in one function
        (the same arithmetic in the same order). It is asked for every referral and every
        resident a group's outreach reaches, so the value is cached: a change of staff,
        volunteer hours, commissioned places or disruption forgets it, and so does every event
        (parameters may change: ``model.capacity_epoch``; code that changes group or volunteer
        parameters mid-run other than by an event adds 1 to it)."""
        if not self.is_open or self.kind is _LIO or self.distanced:
            return 0
        epoch = self.model.capacity_epoch
        if self._capacity_epoch == epoch:
            return self._capacity
        self._capacity = capacity = self._compute_capacity()
        self._capacity_epoch = epoch
        return capacity

    def forget_capacity(self) -> None:
        self._capacity_epoch = -1

    def _compute_capacity(self) -> int:
        p = self.params
        staff = (float(p.staff_client_capacity) if p.staff_fte <= 0
                 else p.staff_client_capacity * self.staff_fte / p.staff_fte)
        v = self.model.cfg.volunteers
        per_client = v.tasks_per_client_per_week * v.group_task_hours
        volunteer = (self.volunteer_hours * p.volunteer_client_share / per_client
                     if per_client > 0 else 0.0)
        whole = int(staff + self.extra_places + volunteer)
        if self.disruption <= 0:
            self._capacity_lost = 0
            return max(whole, 0)
        lost = int(self.model.cfg.groups.disruption_capacity_loss * min(self.disruption, 1.0)
                   * whole)
        self._capacity_lost = lost
        return max(whole - lost, 0)

    def capacity_and_places_lost(self) -> tuple[int, int]:
        """``(capacity, places_lost_to_disruption())`` of an open group that is neither the
        LIO nor suspended: the places lost are kept with the cached capacity (the same
        arithmetic: ``raw_capacity()`` is the sum ``_compute_capacity`` takes whole), so the
        daily row does not work out the group's raw places a second time."""
        capacity = self.capacity  # brings _capacity_lost up to date with it
        return capacity, self._capacity_lost

    def places_lost_to_disruption(self, raw: float | None = None) -> int:
        """Whole places a disruption costs today (its share shrinks as the group adapts)."""
        if self.disruption <= 0:
            return 0
        raw = self.raw_capacity() if raw is None else raw
        return int(self.model.cfg.groups.disruption_capacity_loss * min(self.disruption, 1.0)
                   * int(raw))

    def can_pay_for_staff(self) -> bool:
        return self.is_open and self.annual_funding > 0 and self.balance > 0

    def fits(self, domain: int) -> bool:
        """Does the group offer support in need domain ``domain`` (sim.state.DOMAINS)?"""
        return bool(self.offers >> domain & 1)

    def has_room(self) -> bool:
        """``n_clients < min(capacity, affordable_places())``; money is looked at only when
        there are places. Asked for every group in reach of each signposting and referral,
        so written out with the attributes' own slots (``mirrored_column``): the cached
        capacity read directly while it holds (as ``capacity`` would), then
        :meth:`affordable_places`' arithmetic in its order."""
        n = self._n_clients
        if (self._capacity_epoch == self.model.capacity_epoch and self._is_open
                and self.kind is not _LIO and not self._distanced):
            capacity = self._capacity
        else:
            capacity = self.capacity
        if n >= capacity:
            return False
        p = self.params
        cost = p.cost_per_client_day
        if cost <= 0:  # affordable_places: unlimited
            return True
        income = self._annual_funding * (1.0 - self._funding_cut)
        if (self.group_state.balance.item(self.index)
                > income * self.model.cfg.groups.reserve_floor_months / 12.0):
            return True
        return n < max((income / 365.0 - p.fixed_cost_per_day) / cost, 0.0)

    def affordable_places(self) -> float:
        """Clients the group can take on: unlimited while reserves last above
        ``groups.reserve_floor_months`` of core funding, then what its income pays for after
        fixed costs (so a funding cut shows in places before it closes a group)."""
        p = self.params
        if p.cost_per_client_day <= 0:
            return math.inf
        income = self.annual_funding * (1.0 - self.funding_cut)
        if self.balance > income * self.model.cfg.groups.reserve_floor_months / 12.0:
            return math.inf
        return max((income / 365.0 - p.fixed_cost_per_day) / p.cost_per_client_day, 0.0)

    def offer(self, i: int, room: bool | None = None) -> str:
        """A referral of resident ``i``: returns 'accepted' or 'declined' (never 'stale': the
        caller checks whether the group is still open). ``room``: :meth:`has_room` if the
        caller has just asked it (nothing changed since), else asked here."""
        if not (self.has_room() if room is None else room):
            self.group_state.turned_away_today[self.index] += 1  # the column, read and written
            return "declined"
        complex_need = self.model.pop.need[i] >= Need.COMPLEX
        if complex_need and not self.params.accepts_complex:
            rng = self.model.streams.groups
            if rng.random() >= self.model.cfg.groups.p_accept_complex_without_inclusion:
                return "declined"
            self.accept_disruptive(i)
            return "accepted"
        self.n_clients += 1
        return "accepted"

    def accept_disruptive(self, i: int) -> None:
        """Resident ``i``, with complex need, is placed here without inclusion capacity: the
        group is disrupted at once and other members may leave (002:366-368)."""
        self.n_disruptive += 1
        self.model.pop.disruptive[i] = True
        self.model.count("new_group_disruptions")
        self.disruption = 1.0
        strain.members_leave(self.model, self)
        self.n_clients += 1

    def release(self, n: int = 1, disruptive: int = 0) -> None:
        self.n_clients = max(self.n_clients - n, 0)
        self.n_disruptive = max(self.n_disruptive - disruptive, 0)

    def tasks_today(self) -> float:
        if not self.is_open or self.distanced:
            return 0.0
        return self.n_clients * self.model.cfg.volunteers.tasks_per_client_per_week / 7.0

    def step_funding(self) -> None:
        """Daily income and spending (:func:`pay_the_day`); closes the group when reserves run
        out."""
        if self.is_open and pay_the_day(self.model, [self])[0]:
            self.close("funding")

    def renew_funding(self) -> None:
        """Yearly: funding for the coming year is redrawn around the kind's level."""
        if self.params.funding_sd:
            self.funding_factor = float(
                self.model.streams.groups.lognormal(0.0, self.params.funding_sd))
        self.full_funding = self.params.annual_funding
        self.annual_funding = self.full_funding * self.funding_factor + self.extra_funding

    def add_places(self, k: int) -> None:
        """``k`` commissioned client places, funded at the group's cost per client-day."""
        self.extra_places += k
        money = k * self.params.cost_per_client_day * 365.0
        self.extra_funding += money
        self.annual_funding += money

    def close(self, reason: str, among: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        """Stop: clients lose their support, volunteers are released, ties are lost. Link
        workers' directories still list the group until they learn otherwise. ``among``:
        supersets of its clients and volunteers, if known (``model.on_group_closed``)."""
        if not self.is_open:
            return
        self.is_open = False
        self.closed_day = self.model.day
        self.closure_reason = reason
        self.model.on_group_closed(self, among)
        self.n_clients = 0
        self.n_disruptive = 0
        self.staff_fte = 0.0
        self.staff_changes = []
        self.disruption = 0.0
        self.model.count("new_groups_closed")
        if reason == "funding":  # reserves ran out, or a persistent shortfall folded it
            self.model.count("new_groups_closed_funding")


class NHSTrust(Organisation):
    """A hospital trust with in-hospital volunteers; can stand them down (003:38, 003:146)."""

    sector = "health"

    def __init__(self, model: CommunityModel, name: str = "nhs-trust",
                 residents: int | None = None, district: int = 0):
        super().__init__(model, -1, name)
        self.district = district
        self.unit_key = -1 - district  # place level, of its district
        # the residents it serves (default: the whole model's): its volunteers and
        # volunteer-management hours scale with them
        self.residents = (residents if residents is not None
                          else model.pop.n if hasattr(model, "pop") else 0)
        self.stood_down = False
        v = model.cfg.volunteers
        self.vm_hours_per_week = (v.hospital_vm_hours_per_week_per_10k * self.residents
                                  / 10000.0 if hasattr(model, "pop") else 0.0)
        self.hours_per_application = v.hospital_hours_per_application
        self.training_days = 14

    def tasks_today(self) -> float:
        """One shift per trained volunteer each ``volunteers.hospital_shifts_per_week`` / 7
        days (read each day: a ``set_parameter`` event changes it)."""
        if self.stood_down:
            return 0.0
        return self.n_trained * self.model.cfg.volunteers.hospital_shifts_per_week / 7.0


def pay_the_day(model: CommunityModel, groups: list[VCSEGroup],
                rows: np.ndarray | None = None) -> np.ndarray:
    """A day's income and spending of the open ``groups`` (``rows``: their indices, if known),
    all at once on the model's columns (:class:`~sim.agents.group_state.GroupState`): income
    is the year's funding after any cut; costs are running costs, clients and paid staff;
    income beyond the reserve cap is not drawn (reserves already held stay). Returns which
    groups ran out of money (reserves below 0 after a day with costs): the caller closes those,
    in group order. ``new_funding_spent`` gains each group's cost in group order (the same
    float sums as one count per group)."""
    if rows is None:
        rows = np.fromiter((g.index for g in groups), np.int64, len(groups))
    fixed, per_client, per_fte = params_columns(
        model, rows, ("fixed_cost_per_day", "cost_per_client_day", "staff_cost_per_fte_year"))
    state = model.group_state
    cost, broke = kernels.pay_the_day(
        rows, state.balance, state.spent, state.annual_funding, state.funding_cut,
        state.n_clients, state.staff_fte, fixed, per_client, per_fte,
        float(model.cfg.groups.reserve_cap_months))
    model.count_each("new_funding_spent", cost)
    return broke


def draw_offers(params: GroupKindParams, rng: np.random.Generator) -> int:
    """The need domains a new group offers, as a bit mask over sim.state.DOMAINS: each with
    its kind's chance (one uniform per domain, always all drawn); a group that draws none
    offers its kind's likeliest domain (none for a kind that offers nothing, e.g. the LIO)."""
    chances = [getattr(params, f"p_offers_{d}") for d in DOMAINS]
    u = rng.random(len(DOMAINS))
    mask = sum(1 << d for d, (x, c) in enumerate(zip(u.tolist(), chances, strict=True))
               if x < c)
    if mask == 0 and max(chances) > 0:
        mask = 1 << chances.index(max(chances))
    return mask


def weighted_choice(rng: np.random.Generator, weights) -> int:
    """Index drawn with probability proportional to ``weights`` (which must not all be zero).

    The same arithmetic as ``np.searchsorted(np.cumsum(w), u * total, side="right")`` (running
    float64 sums, the first cumulative weight above the draw), in plain Python: the lists are
    short and this is called per referral."""
    return choice_by_cumulative(rng, list(accumulate(
        weights.tolist() if isinstance(weights, np.ndarray) else weights)))


def choice_by_cumulative(rng: np.random.Generator, cumulative: list[float]) -> int:
    """:func:`weighted_choice` from the running sums of the weights (one draw)."""
    return bisect_right(cumulative, rng.random() * cumulative[-1])


__all__ = ["GroupKind", "NHSTrust", "Organisation", "Pathway", "VCSEGroup",
           "choice_by_cumulative", "draw_offers", "pay_the_day", "weighted_choice"]
