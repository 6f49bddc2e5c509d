"""The local infrastructure organisation's functions (002:202-236): funded staff hours, split
across volunteer processing and placement, capacity building, partnership brokering and
directory upkeep, each booked when used; and the mapping link workers do themselves when
nobody keeps the directory (002:234).

The LIO itself is a ``VCSEGroup`` of kind ``lio`` (funding, reserves, closure). This service
object keeps its time books. There is one LIO, and one book, per district (``model.districts``):
the place's only one in the urban, rural, county and file topologies; in a places topology one
per local authority district (003:160), its hours scaled with the district's residents
(``scale``), working for the district's link workers and groups. Hours of each function at
full core funding are parameters (``cfg.lio``); the hours funded today are those times the
share of core funding it still has (0 once it has closed or where there is none), so a cut
shows at once in every function.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import kernels
from sim.agents.organisations import KIND_CODES, GroupKind, VCSEGroup
from sim.rng import pick_index

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sim.agents.health import LinkWorker
    from sim.model import CommunityModel

FUNCTIONS = ("volunteer_processing", "volunteer_placement", "capacity_building",
             "partnerships", "directory")
"""The LIO's functions whose hours are booked when used (outputs ``new_lio_hours_<function>``;
volunteer processing's funded hours also as ``new_lio_hours_volunteer_processing_funded``)."""

NEVER = -10**9  # verified-day of a listing nobody has verified


class LIOFunctions:
    """One LIO's time books (one per district) and the listings' verification dates (one dict
    shared by every district's books: a listing verified is verified for all)."""

    def __init__(self, model: CommunityModel, lio: VCSEGroup | None = None, district: int = 0,
                 scale: float = 1.0):
        self.model = model
        self.lio = lio  # the district's LIO (None: no LIO)
        self.district = district  # index into model.districts
        self.scale = scale  # its hours: the full hours (cfg.lio) times this
        self.progress = {"capacity_building": 0.0, "group_support": 0.0, "partnerships": 0.0}
        self.placement_hours = 0.0  # placement hours funded today
        self._placement_credit = 0.0  # placement hours available now
        self.verified_day: dict[int, int] = {}  # group index -> day its listing was verified
        self._directory_progress = 0.0

    # -- funded hours ----------------------------------------------------------------------
    def funded_share(self) -> float:
        """Share of its full core funding the LIO has today (0 when closed or absent): its
        year's funding after any cut over the full funding that year's was set from (a
        mid-run change of ``groups.lio.annual_funding`` acts from the next renewal)."""
        lio = self.lio
        if lio is None or not lio.is_open or lio.full_funding <= 0:
            return 0.0
        return lio.annual_funding * (1.0 - lio.funding_cut) / lio.full_funding

    def full_hours_per_week(self) -> dict[str, float]:
        """Each function's staff hours a week at full core funding (times the district's
        ``scale``)."""
        cfg = self.model.cfg
        p = cfg.lio
        k = self.scale
        return {
            "volunteer_processing": cfg.groups.lio.vm_hours_per_week * k,
            "volunteer_placement": cfg.volunteers.lio_placement_per_day * 7
            * p.hours_per_placement * k,
            "capacity_building": p.capacity_building_hours_per_week * k,
            "partnerships": p.partnership_hours_per_week * k,
            "directory": p.directory_hours_per_week * k,
        }

    def book(self, function: str, hours: float) -> None:
        if hours > 0:
            self.model.count(f"new_lio_hours_{function}", hours)

    # -- the day ---------------------------------------------------------------------------
    def step(self) -> None:
        """Today's hours: set the volunteer-management hours, then capacity building,
        partnership brokering and directory upkeep (groups phase; placement runs with the
        volunteers, :meth:`placements_today`)."""
        m = self.model
        share = self.funded_share()
        hours = {f: h * share / 7.0 for f, h in self.full_hours_per_week().items()}
        lio = self.lio
        if lio is not None:
            # funded today; the hours used are booked by the volunteer management that uses
            # them (sim.processes.volunteering.manage_volunteers)
            lio.vm_hours_per_week = hours["volunteer_processing"] * 7.0
            if lio.is_open:
                m.count("new_lio_hours_volunteer_processing_funded",
                        hours["volunteer_processing"])
        self.placement_hours = hours["volunteer_placement"]
        if share <= 0:
            return
        self._capacity_building(hours["capacity_building"])
        self._broker_partnerships(hours["partnerships"])
        self._keep_directory(hours["directory"])

    def placements_affordable(self, wanted: int) -> int:
        """Whole placements today's placement hours allow (with up to one placement's hours
        carried from earlier days), at most ``wanted``."""
        per = self.model.cfg.lio.hours_per_placement
        self._placement_credit = min(self._placement_credit + self.placement_hours,
                                     per + self.placement_hours)
        self.placement_hours = 0.0
        return min(int(self._placement_credit / per + 1e-9), wanted)

    def book_placements(self, k: int) -> None:
        """Book the hours of ``k`` placements made; unused hours carry over only up to one
        placement (staff time is not banked)."""
        per = self.model.cfg.lio.hours_per_placement
        self._placement_credit = min(self._placement_credit - k * per, per)
        self.book("volunteer_placement", k * per)

    # -- capacity building (002:209, 002:248) ----------------------------------------------
    def _capacity_building(self, hours: float) -> None:
        """A new group where provision was lost comes first; with none short, the hours go to
        supporting the struggling group with the thinnest reserves."""
        m = self.model
        if m.provision_short(self.district):
            self.progress["capacity_building"] += hours
            self.book("capacity_building", hours)
            if self.progress["capacity_building"] >= m.cfg.lio.hours_per_new_group:
                self.progress["capacity_building"] -= m.cfg.lio.hours_per_new_group
                m._build_capacity(self.district)
                m.count("new_lio_groups_formed")
            return
        self.progress["capacity_building"] = 0.0
        struggling = self._struggling_groups()
        if not struggling:
            return
        p = m.cfg.lio
        self.progress["group_support"] += hours
        self.book("capacity_building", hours)
        while self.progress["group_support"] >= p.hours_per_group_support and struggling:
            self.progress["group_support"] -= p.hours_per_group_support
            g = struggling.pop(0)
            g.lio_support_until = m.day + p.support_days
            m.count("new_lio_groups_supported")

    def _struggling_groups(self) -> list[VCSEGroup]:
        """Open charities and community groups of the district not under support with less
        than ``lio.struggling_reserve_months`` of income in reserve, thinnest reserves first
        (reserves over income; no income first), then in group order. Only the district's own
        groups are looked at (``model.open_groups_by_district``), from the groups' columns."""
        m = self.model
        groups = m.open_groups_by_district().get(self.district, ())
        if not groups:
            return []
        cached = self.__dict__.get("_district_rows")
        if cached is None or cached[0] is not groups:
            cached = self._district_rows = (groups, np.fromiter(
                (g.index for g in groups), np.int64, len(groups)))
        state = m.group_state
        order = kernels.struggling_order(  # by thinness, then group index: one call
            cached[1], state.kind_code, state.annual_funding, state.funding_cut, state.balance,
            state.lio_support_until, m.day, float(m.cfg.lio.struggling_reserve_months),
            KIND_CODES[GroupKind.FORMAL_CHARITY], KIND_CODES[GroupKind.COMMUNITY_GROUP])
        return [groups[k] for k in order.tolist()]

    # -- partnership brokering (002:209, 002:234; 000:92) ----------------------------------
    def _untied_pairs(self) -> Iterator[tuple[LinkWorker, VCSEGroup]]:
        """(link worker, group in its reach) pairs with no tie yet, link workers in order and
        each one's groups in reach order; mutual aid groups left out. A generator: whether
        there is any costs only the pairs up to the first (most days need no more)."""
        m = self.model
        for lw in self._link_workers():
            tied = m.tied_agents(lw)
            for g in m.open_groups_in_reach(lw.reach):
                if g.kind is not GroupKind.MUTUAL_AID and g.unique_id not in tied:
                    yield lw, g

    def _any_untied_pair(self) -> bool:
        """Whether :meth:`_untied_pairs` has any pair. The answer is kept while the
        cross-sector ties (``model.tie_epoch``), the district's link workers, their reach and
        the groups in it (kept lists, made anew when they change) stand: nothing else decides
        which pairs are untied (a group's kind and id do not change), so the days with the
        same pairs, every one tied or not, do not go through the workers' groups again."""
        inputs = self._tie_inputs()
        kept = self.__dict__.get("_untied_answer")
        if kept is not None and _same_objects(kept[0], inputs):
            return kept[1]
        answer = next(self._untied_pairs(), None) is not None
        self._untied_answer = (inputs, answer)
        return answer

    def _tie_inputs(self) -> list:
        """What :meth:`_untied_pairs` reads: the ties' epoch, then each link worker, its
        reach and the open groups in it."""
        m = self.model
        key: list = [getattr(m, "tie_epoch", 0)]
        for lw in self._link_workers():
            key += [lw, lw.reach, m.open_groups_in_reach(lw.reach)]
        return key

    def _link_workers(self) -> list[LinkWorker]:
        """The district's link workers (by the unit they are based in), in the model's order;
        kept while the model's link workers are the same ones (the caller must not change
        the list)."""
        m = self.model
        if len(m.districts) == 1:
            return list(m.link_workers)
        posts = tuple(m.link_workers)
        cached = self.__dict__.get("_district_link_workers")
        if cached is None or cached[0] != posts:  # the same workers: compared by identity
            of_unit = m.district_of_unit
            cached = self._district_link_workers = (
                posts, [lw for lw in posts if of_unit[lw.unit] == self.district])
        return cached[1]

    def _broker_partnerships(self, hours: float) -> None:
        """Introduce a link worker to a group it has no tie with: hours accumulate until a tie
        is built; with every pair already tied, no hours are used."""
        m = self.model
        if not self._any_untied_pair():
            return
        self.progress["partnerships"] += hours
        self.book("partnerships", hours)
        if self.progress["partnerships"] < m.cfg.lio.hours_per_tie:
            return
        self.progress["partnerships"] -= m.cfg.lio.hours_per_tie
        pairs = list(self._untied_pairs())  # nothing has changed since the check above
        lw, g = pairs[pick_index(m.streams.infrastructure, len(pairs))]
        m.add_tie(lw, g)
        if g.on_directory:
            lw.directory.add(g.index)
        m.count("new_lio_ties_brokered")

    # -- directory upkeep (002:205, 002:244) -----------------------------------------------
    def listings(self, lws: list[LinkWorker]) -> list[int]:
        """Listings to keep for ``lws``: entries of their directories and open listed groups
        they can reach, least recently verified first."""
        return sorted(self._listed(lws), key=lambda k: (self.verified_day.get(k, NEVER), k))

    def _listed(self, lws: list[LinkWorker]) -> set[int]:
        """:meth:`listings` unordered."""
        m = self.model
        units = set().union(*(lw.reach for lw in lws))
        known: set[int] = set()
        for lw in lws:
            known |= lw.directory
        listed = m.listed_groups_by_unit()  # open, on the directory, not an LIO
        # their districts' place-level groups and the units' own (a set: ordered later)
        for unit in {*m.place_keys_of(units), *units}:
            known.update(listed.get(unit, ()))
        return known

    def verify(self, g: int, lws: list[LinkWorker]) -> None:
        """Verify listing ``g`` for ``lws``: listed if open and on the directory, else
        dropped."""
        m = self.model
        group = m.organisations[g]
        keep = group.is_open and getattr(group, "on_directory", False)
        for lw in lws:
            if keep and (group.unit in lw.reach or (
                    group.unit < 0 and group.unit_key in m.place_keys_of(lw.reach))):
                lw.directory.add(g)
            else:
                lw.directory.discard(g)
        self.verified_day[g] = m.day

    def _keep_directory(self, hours: float) -> None:
        """Verify the least recently verified listings the day's directory hours allow."""
        m = self.model
        lws = self._link_workers()
        if not lws:
            return
        per = m.cfg.lio.hours_per_listing_check
        self._directory_progress += hours
        due = int(self._directory_progress / per + 1e-9)
        # most days the hours build up to no whole check: whether there is any listing to
        # keep is all that matters then, not the listings themselves
        listed = self._listed(lws) if due else None
        if not (listed if due else self._any_listed(lws)):
            self._directory_progress = 0.0
            return
        self.book("directory", hours)
        k = min(due, len(listed)) if due else 0
        if k:  # the k least recently verified (one: the least, without ordering the rest)
            order = lambda j: (self.verified_day.get(j, NEVER), j)  # noqa: E731
            for g in [min(listed, key=order)] if k == 1 else sorted(listed, key=order)[:k]:
                self.verify(g, lws)
        self._directory_progress -= k * per
        m.count("new_lio_listings_verified", k)

    def _any_listed(self, lws: list[LinkWorker]) -> bool:
        """Whether :meth:`_listed` has any listing: an entry of a directory, or a listed group
        of a unit or place-level key the workers reach (:meth:`_keys_of`)."""
        if any(lw.directory for lw in lws):
            return True
        listed = self.model.listed_groups_by_unit()
        return any(key in listed for lw in lws for key in self._keys_of(lw.reach))

    # -- link workers' own mapping (002:234) -----------------------------------------------
    def _stale_listings(self, lw: LinkWorker, due_before: int) -> list[int]:
        """The listings of ``lw`` (``_listed([lw])``) last verified before ``due_before``,
        least recently verified first (by verified day, then index), without a look at
        each of its listings: its directory's entries among those verified before the
        threshold when it was set (a verified day only moves forward, so that is a superset
        of those stale now) or never verified (set operations), and the stale ones of the
        listed groups of the units it reaches (:meth:`_stale_index`)."""
        verified = self.verified_day
        dated, listed_stale = self._stale_index(due_before)
        directory = lw.directory
        found = (directory & dated) | directory.difference(verified)
        if listed_stale:
            for key in self._keys_of(lw.reach):
                found.update(listed_stale.get(key, ()))
        if not found:
            return []
        return sorted((g for g in found if verified.get(g, NEVER) < due_before),
                      key=lambda k: (verified.get(k, NEVER), k))

    def _keys_of(self, reach: frozenset[int]) -> tuple[int, ...]:
        """The by-unit keys of the listings a link worker reaching ``reach`` has: its units
        and its districts' place-level keys (as :meth:`_listed`), kept by reach."""
        cached = self.__dict__.setdefault("_reach_keys", {})
        keys = cached.get(reach)
        if keys is None:
            keys = cached[reach] = (*reach, *self.model.place_keys_of(reach))
        return keys

    def _stale_index(self, due_before: int) -> tuple[set[int], dict[int, list[int]]]:
        """Listings verified before ``due_before`` (a set; those never verified are not in
        it), worked out with one pass over the verification dates when the threshold moves
        (once a day); and the listed groups (``model.listed_groups_by_unit``) last verified
        before it or never, by unit key, worked out afresh when the threshold or the
        listings change (a listed group opens or closes, a listing changes: a few times a
        day in a large place, not with each mutual aid group that forms or folds)."""
        verified = self.verified_day
        cached = self.__dict__.get("_stale_dated")
        if cached is None or cached[0] != due_before or cached[1] is not verified:
            cached = self._stale_dated = (due_before, verified, {
                g for g, day in verified.items() if day < due_before})
        listed = self.model.listed_groups_by_unit()
        by_key = self.__dict__.get("_stale_listed")
        if (by_key is None or by_key[0] != due_before or by_key[1] is not verified
                or by_key[2] is not listed):
            stale: dict[int, list[int]] = {}
            for key, groups in listed.items():
                old = [g for g in groups if verified.get(g, NEVER) < due_before]
                if old:
                    stale[key] = old
            by_key = self._stale_listed = (due_before, verified, listed, stale)
        return cached[2], by_key[3]

    def map_for(self, lw: LinkWorker, hours_free: float) -> float:
        """Hours link worker ``lw`` spends today checking listings nobody has verified for
        ``lio.lw_mapping_after_days`` (at most its weekly mapping hours per working day and
        ``hours_free``); it verifies them for itself. Returns the hours booked."""
        m = self.model
        p = m.cfg.lio
        due_before = m.day - p.lw_mapping_after_days
        stale = self._stale_listings(lw, due_before)
        if not stale:
            lw.mapping_progress = 0.0
            return 0.0
        cap = p.lw_mapping_hours_per_week / m.cfg.link_worker.working_days_per_week
        hours = max(min(cap, hours_free), 0.0)
        if hours <= 0:
            return 0.0
        progress = getattr(lw, "mapping_progress", 0.0) + hours
        k = min(int(progress / p.lw_hours_per_listing_check + 1e-9), len(stale))
        for g in stale[:k]:
            self.verify(g, [lw])
        lw.mapping_progress = progress - k * p.lw_hours_per_listing_check
        m.count("new_lw_mapping_hours", hours)
        m.count("new_lw_listings_verified", k)
        return hours


def _same_objects(a: list, b: list) -> bool:
    """``a`` and ``b`` hold an equal first entry and then the same objects, in order."""
    return (len(a) == len(b) and a[0] == b[0]
            and all(x is y for x, y in zip(a[1:], b[1:], strict=True)))
