"""The data dictionary: every column of ``timeseries.parquet``, ``areas.parquet``,
``area_course.parquet`` and ``practices.parquet`` and every key of ``summary.json``.

One entry per output (:class:`Output`: name, table, meaning, unit, level, dtype, source). This
module is the single source of truth for what a run emits:

- :func:`sim.metrics.finalise` and :func:`sim.metrics.summary` pass their results through
  :func:`conform_timeseries` / :func:`conform_summary`, so every run on every topology, scenario
  and ``run.collect`` setting has exactly these columns and keys: NaN (a float) where a figure is
  undefined (no referrals, no emergency, a group of residents absent from the world, no daily
  table under ``run.collect=false``), never missing and never ``None`` in memory
  (``summary.json`` writes NaN as ``null``; :func:`sim.io.load_run` reads it back as NaN);
- :func:`sim.io.write_run` writes each entry's meaning, unit and level into the Parquet field
  metadata of ``timeseries.parquet`` (:func:`arrow_table`);
- ``docs/outputs.md`` is rendered from it (:func:`markdown`, by ``experiments/make_odd.py``);
- :func:`table` and :func:`describe` list it for command lines (``python -m sim.outputs``).

**Adding an output**: add one line to :func:`_timeseries_entries` (a daily column) or
:func:`_summary_entries` (a summary key), next to its neighbours, then run
``python experiments/make_odd.py``. ``tests/test_outputs.py`` fails for an emitted name without
an entry, or an entry without a meaning or unit.

This module imports no model code (listing the dictionary stays fast); the category tuples
below are the model's own (tests check they match).
"""

from __future__ import annotations

import argparse
import difflib
import functools
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass

TABLES = ("timeseries", "summary", "areas", "area_course", "practices")
GRAIN = {"timeseries": "day", "summary": "run", "areas": "area",
         "area_course": "area and period", "practices": "GP practice"}
DTYPES = ("int32", "int64", "float64", "str")
NAN = float("nan")

# categories the outputs are broken down by (the model's own; tests/test_outputs.py checks)
NEED_LEVELS = ("low", "moderate", "complex")
PATHWAYS = ("waiting", "link_worker", "group", "informal", "statutory")
VOLUNTEER_STATES = ("latent", "applied", "onboarding", "active", "idle", "lapsed", "stood_down")
REFERRAL_SOURCES = ("gp", "self", "signposting", "vcse", "statutory")
REFERRAL_RESULTS = ("accepted", "declined", "stale", "bounced")
LIO_FUNCTIONS = ("volunteer_processing", "volunteer_placement", "capacity_building",
                 "partnerships", "directory")
EMERGENCY_ACTORS = ("vcs", "local_authority", "lrf_cell", "national_scheme")
ONS4 = ("life_satisfaction", "worthwhile", "happiness", "anxiety")
EQUITY_GROUPS: dict[str, tuple[int, ...]] = {
    "deprivation": (1, 2, 3, 4, 5),  # IMD quintile, 1 most deprived
    "rural": (0, 1),  # 1 lives in a rural unit
    "digital": (0, 1),  # 1 has digital access
    "limitation": (0, 1, 2),  # day-to-day activities limited: 0 no, 1 a little, 2 a lot
}
"""Resident groups of the equity figures and every code each can take (loaders validate)."""
EQUITY_LABELS = {
    "deprivation": {k: f"IMD quintile {k}" + (" (most deprived)" if k == 1 else
                                              " (least deprived)" if k == 5 else "")
                    for k in EQUITY_GROUPS["deprivation"]},
    "rural": {0: "urban residents", 1: "rural residents"},
    "digital": {0: "digitally excluded residents", 1: "residents with digital access"},
    "limitation": {0: "residents without a limiting condition",
                   1: "residents limited a little", 2: "residents limited a lot"},
}
FLOAT_UNITS = ("hours", "hours per week", "GBP", "FTE", "places", "share (0-1)",
               "score (0-10)", "probability", "goodwill units", "days", "applications",
               "residents per 1000", "referrals per 1000 residents", "per 1000 onsets",
               "hours per client", "hours per client-day", "referrals per referred resident",
               "years", "resident-days per 1000 residents")
"""Units whose figures are fractional: their entries default to float64."""


@dataclass(frozen=True)
class Output:
    """One column of the daily table or one key of the run summary.

    ``level`` is what the figure counts or averages over (resident, volunteer, link worker,
    group, ...; ``model`` for the whole world); the table gives the time grain (a day for
    ``timeseries``, the run for ``summary``). ``source`` is where the figure comes from: a
    ``timeseries`` column it is computed from, or ``model output``.
    """

    name: str
    table: str
    meaning: str
    unit: str
    level: str
    dtype: str
    source: str = "model output"

    @property
    def grain(self) -> str:
        return GRAIN[self.table]

    def metadata(self) -> dict[bytes, bytes]:
        """Parquet/Arrow field metadata."""
        return {b"meaning": self.meaning.encode(), b"unit": self.unit.encode(),
                b"level": f"{self.level} per {self.grain}".encode(),
                b"source": self.source.encode()}

    def __str__(self) -> str:
        return (f"{self.name} ({self.table}, {self.dtype}): {self.meaning}. Unit: {self.unit}; "
                f"level: {self.level} per {self.grain}; source: {self.source}.")


class _Book:
    """Collects entries in order and refuses duplicates within a table."""

    def __init__(self, table: str):
        self.table = table
        self.entries: dict[str, Output] = {}

    def add(self, name: str, unit: str, level: str, meaning: str, dtype: str | None = None,
            source: str = "model output") -> None:
        if name in self.entries:
            raise ValueError(f"{self.table} output {name!r} is listed twice")
        dtype = dtype or ("float64" if unit in FLOAT_UNITS else "int64")
        self.entries[name] = Output(name, self.table, meaning, unit, level, dtype, source)


def _timeseries_entries() -> dict[str, Output]:
    """The daily table, in column order: stocks at the end of the day (``n_``), the day's flows
    (``new_``, ``sum_``), shares and means, then the cumulative columns (``cum_``)."""
    b = _Book("timeseries")
    a = b.add
    a("day", "day number", "model", "output day, 1 for the first day after the burn-in",
      "int32")
    a("n_residents", "residents", "resident", "residents in the world")
    a("n_in_need", "residents", "resident", "residents with a need (any level)")
    for lvl in NEED_LEVELS:
        a(f"n_need_{lvl}", "residents", "resident", f"residents whose need is {lvl}")
        a(f"n_unmet_{lvl}", "residents", "resident",
          f"residents with a {lvl} need not in support (no pathway, or waiting for a link "
          "worker)")
    a("n_unmet_need", "residents", "resident",
      "residents with a need not in support (no pathway, or waiting for a link worker)")
    pathway_meaning = {
        "waiting": "referred to a link worker and waiting (inbox or waiting list)",
        "link_worker": "in light-touch or bespoke link-worker support",
        "group": "supported by a VCSE group",
        "informal": "helped by ties, buddies or mutual aid",
        "statutory": "re-escalated to statutory services"}
    for pw in PATHWAYS:
        a(f"n_pathway_{pw}", "residents", "resident",
          f"residents in need {pathway_meaning[pw]}")
    state_meaning = {
        "latent": "willing to volunteer but not registered",
        "applied": "who applied and wait to be processed",
        "onboarding": "processed and in checks or training",
        "active": "trained, with a task within volunteers.idle_after_days",
        "idle": "trained, without a task for more than volunteers.idle_after_days",
        "lapsed": "who left volunteering",
        "stood_down": "stood down after an emergency (still registered)"}
    for s in VOLUNTEER_STATES:
        a(f"n_vol_{s}", "volunteers", "volunteer", f"volunteers {state_meaning[s]}")
    a("n_vol_registered", "volunteers", "volunteer",
      "registered volunteers (applied, onboarding, active, idle or stood down)")
    a("frac_volunteer_utilisation", "share (0-1)", "volunteer",
      "active volunteers over registered ones (0 with none registered)")
    a("n_vol_backlog", "volunteers", "volunteer",
      "applicants and onboarding volunteers not yet on duty")
    a("n_call_to_action_on", "flag (0/1)", "model",
      "1 while a volunteer call to action runs (campaign multiplier above 1)")
    a("frac_on_duty_tasked_7d", "share (0-1)", "volunteer",
      "on-duty volunteers given a task in the last 7 days (0 with none on duty)")
    a("n_link_workers", "posts", "link worker", "link-worker posts in service")
    a("n_lw_inbox", "referrals", "link worker", "referrals in link workers' inboxes, untriaged")
    a("n_lw_waiting_list", "residents", "link worker", "residents on link workers' waiting lists")
    a("n_lw_caseload", "residents", "link worker", "residents in bespoke link-worker support")
    a("n_lw_light_touch", "residents", "link worker",
      "residents in light-touch link-worker support")
    a("n_lw_hours_available", "hours", "link worker", "link-worker hours available today")
    a("n_vol_hours_offered_per_week", "hours per week", "volunteer",
      "hours a week offered by volunteers on duty (active or idle)")
    a("n_mutual_aid_groups_open", "groups", "group", "open mutual aid groups")
    a("n_groups_suspended", "groups", "group",
      "open groups suspended by distancing (in person paused)")
    a("n_groups_online", "groups", "group", "open groups delivering online")
    a("n_groups_open", "groups", "group", "open VCSE groups (all kinds, the LIO included)")
    a("n_groups_listed", "groups", "group", "open groups listed on the service directory")
    a("n_group_clients", "residents", "group", "clients of all groups")
    a("n_mutual_aid_clients", "residents", "group", "clients of open mutual aid groups")
    a("frac_fresh_unmet", "share (0-1)", "resident",
      "residents in unmet need that began within groups.mag_fresh_need_days (fresh need "
      "neighbours see), over all residents")
    a("frac_fresh_unmet_usual", "share (0-1)", "resident",
      "the running usual level of frac_fresh_unmet that mutual aid formation judged today "
      "against (each unit's exponentially weighted mean over groups.mag_need_level_days, "
      "weighted by residents; in its first groups.mag_need_level_days days a plain running "
      "mean; before it starts, groups.mag_fresh_need_days days into a run with no burn-in or "
      "on the day a parameter change resets it, today's share, and nothing is judged)")
    a("mean_mutual_aid_pull", "share (0-1)", "group",
      "pull of the rise in fresh unmet need above its usual level on mutual aid formation "
      "(0: none; 1: strongest), mean over units weighted by residents")
    a("n_clients_without_inclusion", "residents", "group",
      "clients of open groups without inclusion capacity (not the LIO)")
    a("n_member_clients_without_inclusion", "residents", "group",
      "clients of open groups without inclusion capacity, other than disruptive placements")
    a("n_group_staff_fte", "FTE", "group", "paid staff of open groups (not the LIO)")
    a("n_group_places", "places", "group", "places (client capacity) of open groups (not the "
      "LIO)")
    a("mean_group_strain", "share (0-1)", "group",
      "mean strain of open groups (not the LIO; 0 with none open)")
    a("n_community_groups_open", "groups", "group", "open community groups")
    a("n_community_groups_disrupted", "groups", "group",
      "open community groups with a disruptive placement in force")
    a("n_community_group_places_lost_disruption", "places", "group",
      "places community groups lose to disruptive placements")
    a("n_community_group_places_before_disruption", "places", "group",
      "community groups' places before disruption losses")
    a("n_directory_entries", "entries", "link worker",
      "entries in link workers' directories (summed over link workers)")
    a("frac_directory_accuracy", "share (0-1)", "link worker",
      "directory entries naming a group still open (0 with no entries)")
    a("n_health_vcse_ties", "ties", "organisation",
      "organisational ties joining health (practices, link workers) with VCSE or community "
      "organisations")
    a("n_gp_vcse_ties", "ties", "GP practice", "GP practices' ties to VCSE groups")
    a("n_lio_hours_funded_per_week", "hours per week", "LIO",
      "LIO hours a week funded across its functions")
    a("n_groups_lio_supported", "groups", "group", "open groups in LIO capacity-building support")
    a("n_lw_isolated", "link workers", "link worker",
      "practice-hosted link workers with no open LIO and no locality officer to tie to")
    a("n_lw_co_located", "link workers", "link worker", "link workers hosted in a GP practice")
    a("mean_gp_engagement", "probability", "GP practice",
      "mean chance that a practice refers a raised need to a link worker (its learnt "
      "engagement), over practices served by link workers (0 with none)")
    # the day's flows (sim.metrics.FLOWS)
    flows = [
        ("new_need_onsets", "residents", "resident", "residents whose need began"),
        ("new_need_escalations", "residents", "resident", "needs that escalated a level"),
        ("new_need_self_resolved", "residents", "resident", "needs resolved without support"),
        ("new_need_resolved_by_support", "residents", "resident",
         "needs resolved at the end of support"),
        ("new_support_completed", "residents", "resident", "support episodes that ended as "
         "planned"),
        ("new_first_support", "residents", "resident",
         "residents starting their first support of the need"),
        ("new_help_seekers", "residents", "resident", "residents who sought help"),
        ("new_gp_consultations", "consultations", "GP practice", "GP consultations"),
        ("new_gp_consultations_nonmedical", "consultations", "GP practice",
         "GP consultations for a non-medical (social) need"),
        *[(f"new_referrals_{s}", "referrals", "link worker",
           f"referrals to link workers from {src}") for s, src in (
            ("gp", "GPs"), ("self", "residents themselves"),
            ("signposting", "signposting (intermediaries, hubs)"),
            ("vcse", "VCSE groups"), ("statutory", "statutory services"))],
        ("new_referrals_disengaged", "referrals", "link worker",
         "referred residents who disengaged from link-worker contact (any stage)"),
        ("new_referrals_result_accepted", "referrals", "group",
         "GP and link-worker referrals a group accepted"),
        ("new_referrals_result_declined", "referrals", "group",
         "GP and link-worker referrals a group declined (full, or not reached)"),
        ("new_referrals_result_stale", "referrals", "group",
         "GP and link-worker referrals to a group that had closed (stale directory entry)"),
        ("new_referrals_result_bounced", "referrals", "resident",
         "hand-backs to statutory services that bounced (below threshold, or no place)"),
        ("new_reescalations", "residents", "resident",
         "residents re-escalated to statutory services"),
        ("new_group_referrals", "referrals", "group", "referrals offered to VCSE groups"),
        ("new_health_to_vcse_referrals", "referrals", "organisation",
         "referrals from health services to VCSE groups"),
        ("new_vcse_to_health_referrals", "referrals", "organisation",
         "referrals from VCSE groups to health services"),
        ("new_group_disruptions", "events", "group",
         "disruptive placements that disrupted a group"),
        ("new_support_lost_group_closed", "residents", "resident",
         "residents who lost group support because the group closed"),
        ("new_informal_help", "residents", "resident", "residents helped by their ties"),
        ("new_buddied", "residents", "resident", "residents given a volunteer buddy"),
        ("new_signposted_locality_officer", "residents", "resident",
         "residents signposted by the locality officer"),
        ("new_signposted_parish_council", "residents", "resident",
         "residents signposted by a parish council"),
        ("new_signposted_hub", "residents", "resident", "residents signposted by a place-based "
         "hub"),
        ("new_sent_on_to_gp", "residents", "resident",
         "residents an intermediary with no tie to health could not place locally and told to "
         "see their GP"),
        ("new_gp_visits_advised", "consultations", "GP practice",
         "residents who went to their GP on an intermediary's advice (each is also a "
         "non-medical GP consultation)"),
        ("new_vol_applications", "volunteers", "volunteer", "volunteer applications"),
        ("new_vol_processed", "volunteers", "volunteer", "applications processed"),
        ("new_vol_trained", "volunteers", "volunteer", "volunteers who finished onboarding"),
        ("new_vol_placed", "volunteers", "volunteer",
         "volunteers the LIO placed with a group needing volunteers"),
        ("new_vol_retrained", "volunteers", "volunteer",
         "volunteers trained again after moving role (no passport)"),
        ("new_vol_tasks", "tasks", "volunteer", "tasks volunteers did"),
        ("new_vol_dropouts_waiting", "volunteers", "volunteer",
         "applicants who gave up while waiting to be processed"),
        ("new_vol_dropouts_idle", "volunteers", "volunteer", "idle volunteers who left"),
        ("new_vol_attrition", "volunteers", "volunteer", "volunteers who left (background "
         "attrition)"),
        ("new_groups_closed", "groups", "group", "groups that closed"),
        ("new_groups_formed", "groups", "group", "groups that formed"),
        ("new_groups_formed_unaided", "groups", "group",
         "groups that started without support where a place was short of its usual groups"),
        ("new_groups_brought_on_directory", "groups", "group",
         "groups brought onto a directory by an intermediary"),
        ("new_lw_hours", "hours", "link worker", "link-worker hours worked"),
        ("new_funding_spent", "GBP", "organisation",
         "money organisations spent: running costs, staff, redundancy pay, extra "
         "volunteer-management hours"),
        ("new_pc_key_individuals_lost", "people", "parish council",
         "key individuals parish councils lost"),
        ("new_events", "events", "model", "scenario events and injects applied"),
        ("sum_days_to_first_support", "days", "resident",
         "days from need onset to first support, summed over new_first_support", "int64"),
        ("new_emergency_responses", "residents", "emergency actor",
         "residents taken on by emergency actors"),
        ("new_vol_tasks_hospital", "tasks", "volunteer", "volunteer tasks in hospital roles"),
        ("new_lw_posts_added", "posts", "link worker", "link-worker posts added"),
        ("new_lw_posts_ended", "posts", "link worker", "link-worker posts ended"),
        ("new_commissioned_places", "places", "commissioner",
         "group places commissioned at a review, summed over the districts' commissioners "
         "(those reallocated to another district's groups included)", "int64"),
        ("new_commissioned_places_reallocated", "places", "commissioner",
         "places of a district's review funded in other districts' open constituted groups "
         "because its own district had none (agile and even rules; part of "
         "new_commissioned_places)", "int64"),
        ("new_commissioned_places_unplaced", "places", "commissioner",
         "places of a review funded nowhere: no open constituted group in any district "
         "(not in new_commissioned_places)", "int64"),
        ("new_outreach_contacts", "contacts", "link worker", "link workers' outreach contacts"),
        ("new_referrals_gave_up", "residents", "resident",
         "referred residents who gave up waiting"),
        ("new_lw_sessions", "sessions", "link worker", "link-worker sessions with clients"),
        ("new_lw_sessions_deferred", "sessions", "link worker",
         "link-worker sessions deferred for want of hours"),
        ("new_vol_hours", "hours", "volunteer", "hours volunteers gave"),
        ("new_vol_tasks_unstaffed", "tasks", "volunteer", "tasks no volunteer was free for"),
        ("new_emergency_responses_short_of_volunteers", "residents", "emergency actor",
         "emergency cases not taken on for want of volunteers"),
        ("new_pc_mobilisations", "events", "parish council", "parish-council mobilisations"),
        ("new_mutual_aid_support", "residents", "group",
         "residents taken on by a mutual aid group"),
        *[(f"new_lio_hours_{f}", "hours", "LIO",
           f"LIO hours booked to {f.replace('_', ' ')}") for f in LIO_FUNCTIONS],
        ("new_lio_hours_volunteer_processing_funded", "hours", "LIO",
         "LIO volunteer-processing hours funded (used ones are in "
         "new_lio_hours_volunteer_processing)"),
        ("new_lio_groups_formed", "groups", "LIO", "groups the LIO helped form"),
        ("new_lio_groups_supported", "groups", "LIO", "groups taken into LIO support"),
        ("new_lio_ties_brokered", "ties", "LIO", "ties the LIO brokered"),
        ("new_lio_listings_verified", "listings", "LIO", "directory listings the LIO verified"),
        ("new_lw_mapping_hours", "hours", "link worker",
         "link-worker hours mapping services (out of client hours)"),
        ("new_lw_listings_verified", "listings", "link worker",
         "directory listings link workers verified"),
        ("new_lo_hours_signposting", "hours", "locality officer",
         "locality-officer hours signposting"),
        ("new_lo_hours_partnerships", "hours", "locality officer",
         "locality-officer hours on partnerships"),
        ("new_lo_ties_built", "ties", "locality officer", "ties the locality officer built"),
        ("new_lo_hours_tie_upkeep", "hours", "locality officer",
         "officer hours paid today towards keeping up GP-VCSE ties (those it brokered and those "
         "of its units' main practices it took over): each tie kept today falls due at a "
         "seventh of 1 - intermediaries.lo_tie_practice_share of gp.tie_upkeep_hours_per_week "
         "times today's emergency.tie_upkeep_factor, and today's hours pay what is owed, "
         "earlier days' unpaid upkeep included"),
        ("new_lo_ties_taken_over", "ties", "locality officer",
         "GP-VCSE ties of its units' main practices with groups serving its units whose upkeep "
         "the officer took on (the practice then gives only "
         "intermediaries.lo_tie_practice_share of it)"),
        ("new_lo_ties_handed_to_practice", "ties", "locality officer",
         "ties the officer's hours no longer kept up whose whole upkeep the practice took on"),
        ("new_lo_ties_dropped_no_hours", "ties", "locality officer",
         "ties the officer's hours no longer kept up that ended because the practice's "
         "partnership hours did not cover them either"),
        ("new_gp_vcse_ties_renewed", "ties", "GP practice",
         "VCSE ties practices formed to get back to the number they started with, after ties "
         "ended (a group closed, a tie lapsed unused, or hours no longer covered it)"),
        ("new_gp_partnership_hours", "hours", "GP practice",
         "practice staff hours keeping up VCSE ties: each practice's weekly load / 7 (a tie's "
         "upkeep gp.tie_upkeep_hours_per_week times today's emergency.tie_upkeep_factor; "
         "intermediaries.lo_tie_practice_share of it for a tie a locality officer keeps up)"),
        *[(f"new_emergency_responses_{x}", "residents", "emergency actor",
           f"residents taken on by the emergency actor {x}"
           + (" (places topology: every district's council)" if x == "local_authority" else ""))
          for x in EMERGENCY_ACTORS],
        ("new_emergency_coordination_hours", "hours", "emergency actor",
         "hours emergency actors spent coordinating"),
        ("new_joint_work_cases", "cases", "emergency actor", "cases worked jointly by actors"),
        ("new_joint_work_ties", "ties", "emergency actor", "ties formed by joint working"),
        ("new_joint_work_ties_lapsed", "ties", "GP practice",
         "GP practice-VCSE ties (of any origin) that lapsed unused"),
        ("new_gp_ties_dropped_no_hours", "ties", "GP practice",
         "GP practice-VCSE ties a practice ended because its partnership hours no longer "
         "covered them (weekly, least recently used first; after an emergency, when a tie's "
         "upkeep returns from the emergency's tie_upkeep_factor to its usual cost)"),
        ("new_vol_tasks_redeployed_hospital", "tasks", "volunteer",
         "hospital tasks done by volunteers redeployed from community roles"),
        ("new_mutual_aid_support_from_health", "residents", "group",
         "residents taken on by mutual aid on a GP or link-worker referral"),
        ("new_mutual_aid_groups_formed", "groups", "group",
         "mutual aid groups that formed from residents' ties"),
        ("new_mutual_aid_groups_folded", "groups", "group", "mutual aid groups that folded"),
        ("new_groups_suspended", "groups", "group", "groups suspended by distancing"),
        ("new_groups_moved_online", "groups", "group", "groups that moved online"),
        ("new_groups_closed_while_suspended", "groups", "group",
         "groups that closed while suspended"),
        ("new_referrals_not_reached_online", "referrals", "group",
         "referrals a group online could not reach (digitally excluded)"),
        ("new_vm_hours_available", "hours", "volunteer manager",
         "volunteer-management hours available"),
        ("new_vm_hours_used", "hours", "volunteer manager", "volunteer-management hours used"),
        ("new_vm_hours_processing", "hours", "volunteer manager",
         "volunteer-management hours processing applications, booked when used: partial work "
         "on checks not finished today included (it carries over to later days)"),
        ("new_vm_hours_induction", "hours", "volunteer manager",
         "volunteer-management hours inducting volunteers, booked when used: partial work on "
         "inductions not finished today included (it carries over to later days)"),
        ("new_vm_hours_contact", "hours", "volunteer manager",
         "volunteer-management hours keeping in contact with volunteers"),
        ("new_vm_contact_hours_needed", "hours", "volunteer manager",
         "contact hours volunteers needed"),
        ("new_vm_hours_duplicated_checks", "hours", "volunteer manager",
         "volunteer-management hours repeating checks another organisation had done (the "
         "checks' whole hours, counted on the day they are finished)"),
        ("new_vol_duplicated_checks", "volunteers", "volunteer",
         "volunteers checked again (no passporting)"),
        ("new_vol_applications_processable", "applications", "volunteer manager",
         "applications the day's management hours could process if they did nothing else"),
        ("new_vol_first_tasks", "volunteers", "volunteer", "volunteers given their first task"),
        ("sum_vol_days_to_first_task", "days", "volunteer",
         "days from application to first task, summed over new_vol_first_tasks", "int64"),
        ("new_vol_redeployed", "volunteers", "volunteer", "volunteers redeployed"),
        ("sum_vol_days_to_redeploy", "days", "volunteer",
         "days to redeploy, summed over new_vol_redeployed", "int64"),
        ("new_vol_goodwill_lost_waiting", "goodwill units", "volunteer",
         "goodwill volunteers lost while waiting"),
        ("new_vol_goodwill_lost_idle", "goodwill units", "volunteer",
         "goodwill volunteers lost while idle"),
        ("new_vm_scale_up_cost", "GBP", "volunteer manager",
         "cost of scaling volunteer management up"),
        ("new_referrals_declined_full", "referrals", "group",
         "GP and link-worker referrals a group declined for want of room"),
        ("new_group_turned_away", "referrals", "group", "referrals groups turned away (full)"),
        ("new_group_staff_lost_strain", "FTE", "group", "paid staff groups lost to strain"),
        ("new_group_staff_notices", "FTE", "group", "paid staff groups gave notice to"),
        ("new_group_staff_made_redundant", "FTE", "group",
         "paid staff made redundant (notices that expired)"),
        ("new_group_staff_hired", "FTE", "group", "paid staff groups hired"),
        ("new_group_redundancy_pay", "GBP", "group", "redundancy pay groups paid"),
        ("new_vol_burnout", "volunteers", "volunteer", "volunteers who left burnt out"),
        ("new_group_members_left_disruption", "residents", "group",
         "group members who left because of disruption"),
        ("new_groups_closed_no_staff_or_volunteers", "groups", "group",
         "groups that closed with neither staff nor volunteers"),
        ("new_groups_folded", "groups", "group",
         "groups that folded: staff reviews found too little money for a viable paid core "
         "fold_after_reviews times running"),
        ("new_groups_closed_funding", "groups", "group",
         "groups closed for want of money: reserves ran out, or they folded (new_groups_folded)"),
        ("new_partnership_changes", "changes", "commissioner",
         "changes of commissioned delivery partners: one per district commissioner's plan "
         "(a review on a place of several districts makes one change per district)"),
        ("sum_partnership_latency_days", "days", "commissioner",
         "days from a commissioning review to its places, summed over new_partnership_changes",
         "int64"),
        ("new_partner_outreach_contacts", "contacts", "group",
         "delivery partners' outreach contacts"),
        ("new_partner_outreach_placements", "residents", "group",
         "residents placed through partners' outreach"),
        ("new_handbacks_via_gp", "residents", "link worker",
         "clients link workers handed back through the GP"),
        ("new_bounces_threshold_not_met", "referrals", "resident",
         "statutory referrals bounced as below threshold"),
        ("new_bounces_statutory_full", "referrals", "resident",
         "statutory referrals bounced because services were full"),
        ("new_referrals_back_after_turned_away", "referrals", "resident",
         "link-worker referrals (source statutory) of clients a statutory service had turned "
         "away after a hand-back, referred back while their need is unmet (004:318, 004:412)"),
        *[(f"new_lw_triaged_{s}", "referrals", "link worker",
           f"referrals link workers triaged from {s}") for s in ("gp", "self", "other")],
        *[(f"new_referrals_disengaged_{s}", "referrals", "link worker",
           f"referred residents from {s} who disengaged at triage") for s in (
            "gp", "self", "other")],
        ("new_referrals_disengaged_waiting_list", "referrals", "link worker",
         "referred residents who disengaged on the waiting list"),
        ("new_lw_contacts_face_to_face", "contacts", "link worker",
         "link-worker contacts face to face"),
        ("new_lw_contacts_phone", "contacts", "link worker", "link-worker contacts by phone"),
        ("new_lw_travel_hours", "hours", "link worker", "link-worker hours travelling"),
        *[(f"new_lw_hours_need_{lvl}", "hours", "link worker",
           f"link-worker client hours with residents whose need is {lvl}")
          for lvl in ("none", *NEED_LEVELS)],
        *[(f"new_lw_clients_need_{lvl}", "residents", "link worker",
           f"referred residents link workers triaged whose need is {lvl}")
          for lvl in ("none", *NEED_LEVELS)],
        ("new_gp_feedback_helped", "referrals", "GP practice",
         "referrals whose outcome fed back to the GP as helpful"),
        ("new_gp_referrals_lost", "referrals", "GP practice",
         "GP referrals lost (the practice heard no outcome)"),
        ("new_lw_directory_remapped", "entries", "link worker",
         "directory entries link workers remapped"),
        ("new_lw_matches_fit", "residents", "link worker",
         "link-worker placements with a group offering the client's need domain"),
        ("new_lw_matches_poor_fit", "residents", "link worker",
         "link-worker placements with a group not offering the client's need domain"),
        ("new_lw_referrals", "referrals", "link worker",
         "referrals into link workers' inboxes (every source)"),
        ("new_lw_decisions", "referrals", "link worker",
         "decisions on referrals (light touch, bespoke support or its waiting list, or "
         "hand-back)"),
        ("sum_lw_days_to_decision", "days", "link worker",
         "days from referral to decision, summed over new_lw_decisions", "int64"),
    ]
    for name, unit, level, meaning, *dtype in flows:
        a(name, unit, level, meaning, *dtype)
    a("mean_days_to_first_support", "days", "resident",
      "mean days from need onset to first support of the residents first supported today "
      "(NaN on a day with none)")
    a("new_referrals_total", "referrals", "link worker",
      "referrals to link workers from every source")
    for name in ONS4:
        a(f"mean_wellbeing_{name}", "score (0-10)", "resident",
          f"mean ONS4 {name.replace('_', ' ')} of all residents")
    for name in CUMULATIVE:
        flow = b.entries[name]
        a("cum_" + name.removeprefix("new_"), flow.unit, flow.level,
          f"{flow.meaning}, cumulative since day 1", flow.dtype, name)
    a("cum_unmet_need_days", "resident-days", "resident",
      "resident-days of unmet need since day 1", source="n_unmet_need")
    a("frac_vol_hours_utilisation", "share (0-1)", "volunteer",
      "hours given in the last 7 days per hour a week offered by volunteers on duty (at most "
      "1; 0 with none offered)", source="new_vol_hours, n_vol_hours_offered_per_week")
    a("frac_gp_consultations_nonmedical", "share (0-1)", "GP practice",
      "non-medical share of GP consultations since day 1 (0 before any)",
      source="new_gp_consultations_nonmedical, new_gp_consultations")
    return b.entries


CUMULATIVE = (
    "new_need_onsets", "new_gp_consultations", "new_gp_consultations_nonmedical",
    *[f"new_referrals_{s}" for s in REFERRAL_SOURCES],
    *[f"new_referrals_result_{r}" for r in REFERRAL_RESULTS],
    "new_health_to_vcse_referrals", "new_vcse_to_health_referrals", "new_informal_help",
    "new_buddied", "new_signposted_parish_council", "new_signposted_locality_officer",
    "new_vol_applications", "new_vol_dropouts_waiting", "new_groups_closed", "new_lw_hours",
    "new_funding_spent",
)
"""Flows given a ``cum_`` column by :func:`sim.metrics.finalise`."""


def _summary_entries(ts: dict[str, Output]) -> dict[str, Output]:
    """The run summary: identity first, then figures in the order sim.metrics.summary makes
    them. Most are a daily column summed, averaged, maximised or read on the last day: those
    take the column's meaning and unit from the timeseries entry."""
    b = _Book("summary")
    a = b.add
    per_run = "model"

    def total(name: str, col: str, dtype: str | None = None) -> None:
        c = ts[col]
        a(name, c.unit, c.level, f"{c.meaning}, summed over the run's days",
          dtype or c.dtype, col)

    def mean(name: str, col: str) -> None:
        c = ts[col]
        a(name, c.unit, c.level, f"{c.meaning}, mean over the run's days", "float64", col)

    def final(name: str, col: str) -> None:
        c = ts[col]
        a(name, c.unit, c.level, f"{c.meaning}, on the last day", "float64", col)

    def peak(name: str, col: str) -> None:
        c = ts[col]
        a(name, c.unit, c.level, f"{c.meaning}, the largest over the run's days", "int64", col)

    def days_of(name: str, col: str, unit: str) -> None:
        c = ts[col]
        a(name, unit, c.level, f"{c.meaning}, summed over the run's days", "int64", col)

    a("seed", "id", per_run, "the run's seed (run.seed)")
    a("replicate", "id", per_run, "the replicate number (run.replicate)")
    a("topology", "name", per_run, "the topology kind (urban, rural, county, file)", "str")
    a("scenario", "name", per_run, "the scenario name (scenario.name)", "str")
    a("days", "days", per_run, "output days run (after the burn-in)", "int64")
    a("n_residents", "residents", "resident", "residents in the world")
    days_of("unmet_need_days", "n_unmet_need", "resident-days")
    a("unmet_need_days_per_1000_residents", "resident-days per 1000 residents", "resident",
      "unmet_need_days per 1000 residents", "float64", "n_unmet_need")
    for lvl in NEED_LEVELS:
        days_of(f"unmet_need_days_{lvl}", f"n_unmet_{lvl}", "resident-days")
    mean("mean_n_unmet_need", "n_unmet_need")
    a("mean_days_to_first_support", "days", "resident",
      "mean days from need onset to first support over the run (NaN without first supports)",
      source="sum_days_to_first_support, new_first_support")
    a("referrals_total", "referrals", "link worker",
      "referrals to link workers from every source over the run", source="new_referrals_*")
    a("referrals_per_1000_residents", "referrals per 1000 residents", "link worker",
      "referrals_total per 1000 residents", source="new_referrals_*")
    for s in REFERRAL_SOURCES:
        a(f"frac_referrals_{s}", "share (0-1)", "link worker",
          f"share of link-worker referrals from {s} (NaN without referrals)",
          source=f"new_referrals_{s}")
    for r in REFERRAL_RESULTS:
        total(f"referral_results_{r}", f"new_referrals_result_{r}")
    a("health_vcse_referrals", "referrals", "organisation",
      "referrals between health services and VCSE groups, both ways, over the run",
      source="new_health_to_vcse_referrals, new_vcse_to_health_referrals")
    a("health_vcse_referrals_per_1000_residents", "referrals per 1000 residents",
      "organisation", "health_vcse_referrals per 1000 residents",
      source="new_health_to_vcse_referrals, new_vcse_to_health_referrals")
    a("health_vcse_links_per_1000_residents", "referrals per 1000 residents", "organisation",
      "accepted onward referrals plus VCSE-to-health referrals, per 1000 residents",
      source="new_referrals_result_accepted, new_vcse_to_health_referrals")
    a("parish_council_signposts_per_1000_residents", "residents per 1000", "resident",
      "residents signposted by parish councils over the run, per 1000 residents",
      source="new_signposted_parish_council")
    a("sent_on_to_gp_per_1000_residents", "residents per 1000", "resident",
      "residents an intermediary with no tie to health could not place locally and told to "
      "see their GP, over the run, per 1000 residents", source="new_sent_on_to_gp")
    a("community_mobilisation_per_1000_residents", "residents per 1000", "resident",
      "informal help, buddies and signposting (parish council, locality officer, hub) over "
      "the run, per 1000 residents",
      source="new_informal_help, new_buddied, new_signposted_*")
    peak("max_waiting", "n_pathway_waiting")
    mean("mean_frac_volunteer_utilisation", "frac_volunteer_utilisation")
    total("vol_applications", "new_vol_applications")
    total("vol_dropouts_waiting", "new_vol_dropouts_waiting")
    total("vol_dropouts_idle", "new_vol_dropouts_idle")
    for col in ("n_vol_registered", "n_vol_active", "n_vol_idle", "n_vol_lapsed",
                "n_groups_open", "frac_directory_accuracy", "n_health_vcse_ties"):
        final(f"final_{col}", col)
    total("groups_closed", "new_groups_closed")
    total("groups_formed", "new_groups_formed")
    mean("mean_frac_directory_accuracy", "frac_directory_accuracy")
    final("frac_gp_consultations_nonmedical", "frac_gp_consultations_nonmedical")
    total("lw_hours", "new_lw_hours")
    a("lw_cost", "GBP", "link worker",
      "link-worker salary cost: posts summed over days x link_worker.salary_per_year / 365",
      source="n_link_workers")
    mean("mean_n_vol_backlog", "n_vol_backlog")
    peak("max_n_vol_backlog", "n_vol_backlog")
    mean("mean_frac_on_duty_tasked_7d", "frac_on_duty_tasked_7d")
    total("need_escalations", "new_need_escalations")
    a("need_escalations_per_1000_onsets", "per 1000 onsets", "resident",
      "need escalations per 1000 need onsets over the run",
      source="new_need_escalations, new_need_onsets")
    total("statutory_referrals", "new_referrals_statutory")
    total("reescalations", "new_reescalations")
    total("bounces_threshold_not_met", "new_bounces_threshold_not_met")
    total("bounces_statutory_full", "new_bounces_statutory_full")
    mean("mean_n_statutory_clients", "n_pathway_statutory")
    for s in ("gp", "self", "other"):
        a(f"frac_disengaged_at_triage_{s}", "share (0-1)", "link worker",
          f"referrals from {s} that disengaged at triage, over those triaged (NaN without)",
          source=f"new_referrals_disengaged_{s}, new_lw_triaged_{s}")
    a("frac_lw_contacts_face_to_face", "share (0-1)", "link worker",
      "link-worker contacts face to face over all contacts (NaN without contacts)",
      source="new_lw_contacts_face_to_face, new_lw_contacts_phone")
    total("lw_travel_hours", "new_lw_travel_hours")
    a("frac_lw_hours_travel", "share (0-1)", "link worker",
      "link-worker travel hours over hours worked (NaN without hours worked)",
      source="new_lw_travel_hours, new_lw_hours")
    total("lw_mapping_hours", "new_lw_mapping_hours")
    a("vol_hours_per_group_client_day", "hours per client-day", "volunteer",
      "all volunteer hours over group client-days (NaN without group clients)",
      source="new_vol_hours, n_group_clients")
    mean("mean_gp_engagement", "mean_gp_engagement")
    for lvl in NEED_LEVELS:
        a(f"lw_hours_per_client_need_{lvl}", "hours per client", "link worker",
          f"link-worker client hours per client whose need is {lvl} (NaN without such "
          "clients)", source=f"new_lw_hours_need_{lvl}, new_lw_clients_need_{lvl}")
    total("vol_tasks", "new_vol_tasks")
    total("vol_tasks_hospital", "new_vol_tasks_hospital")
    total("vol_hours", "new_vol_hours")
    mean("mean_frac_vol_hours_utilisation", "frac_vol_hours_utilisation")
    total("vol_tasks_unstaffed", "new_vol_tasks_unstaffed")
    total("referrals_gave_up", "new_referrals_gave_up")
    a("mean_n_lw_waiting", "referrals", "link worker",
      "referrals in link workers' inboxes plus residents on their waiting lists, mean over "
      "the run's days", "float64", "n_lw_inbox, n_lw_waiting_list")
    mean("mean_n_lw_waiting_list", "n_lw_waiting_list")
    a("lw_matches", "residents", "link worker",
      "link-worker placements with a group over the run",
      source="new_lw_matches_fit, new_lw_matches_poor_fit")
    a("frac_lw_matches_fit", "share (0-1)", "link worker",
      "link-worker placements with a group offering the client's need domain, over all "
      "placements (NaN without placements)",
      source="new_lw_matches_fit, new_lw_matches_poor_fit")
    total("lw_decisions", "new_lw_decisions")
    total("lw_referrals", "new_lw_referrals")
    a("frac_lw_referrals_decided", "share (0-1)", "link worker",
      "decisions over referrals to link workers (NaN without referrals; may exceed 1 when "
      "referrals from before day 1 are decided)", source="new_lw_decisions, new_lw_referrals")
    a("mean_days_to_lw_decision", "days", "link worker",
      "mean days from referral to decision (NaN without decisions)",
      source="sum_lw_days_to_decision, new_lw_decisions")
    mean("mean_n_lw_caseload", "n_lw_caseload")
    a("frac_lw_hours_used", "share (0-1)", "link worker",
      "link-worker hours worked over hours available (0 with none available)",
      source="new_lw_hours, n_lw_hours_available")
    a("frac_vol_tasks_community", "share (0-1)", "volunteer",
      "volunteer tasks outside hospital over all tasks (NaN without tasks)",
      source="new_vol_tasks_hospital, new_vol_tasks")
    total("vol_retrainings", "new_vol_retrained")
    total("group_disruptions", "new_group_disruptions")
    total("referrals_declined_full", "new_referrals_declined_full")
    days_of("mutual_aid_client_days", "n_mutual_aid_clients", "client-days")
    days_of("client_days_without_inclusion", "n_clients_without_inclusion", "client-days")
    days_of("member_client_days_without_inclusion", "n_member_clients_without_inclusion",
            "client-days")
    total("emergency_responses", "new_emergency_responses")
    total("joint_work_cases", "new_joint_work_cases")
    total("joint_work_ties_formed", "new_joint_work_ties")
    total("joint_work_ties_lapsed", "new_joint_work_ties_lapsed")
    total("gp_ties_dropped_no_hours", "new_gp_ties_dropped_no_hours")
    total("mutual_aid_groups_formed", "new_mutual_aid_groups_formed")
    total("mutual_aid_groups_folded", "new_mutual_aid_groups_folded")
    total("mutual_aid_placements", "new_mutual_aid_support")
    total("mutual_aid_placements_from_health", "new_mutual_aid_support_from_health")
    a("mutual_aid_placements_outside_referrals", "residents", "group",
      "mutual aid placements not referred by a GP or link worker",
      source="new_mutual_aid_support, new_mutual_aid_support_from_health")
    total("groups_suspended", "new_groups_suspended")
    total("groups_moved_online", "new_groups_moved_online")
    total("groups_closed_while_suspended", "new_groups_closed_while_suspended")
    peak("max_n_groups_suspended", "n_groups_suspended")
    total("referrals_not_reached_online", "new_referrals_not_reached_online")
    total("vol_tasks_redeployed_hospital", "new_vol_tasks_redeployed_hospital")
    for x in EMERGENCY_ACTORS:
        total(f"emergency_responses_{x}", f"new_emergency_responses_{x}")
    total("emergency_coordination_hours", "new_emergency_coordination_hours")
    total("commissioned_places", "new_commissioned_places")
    total("commissioned_places_reallocated", "new_commissioned_places_reallocated")
    total("commissioned_places_unplaced", "new_commissioned_places_unplaced")
    total("lw_posts_added", "new_lw_posts_added")
    total("lw_posts_ended", "new_lw_posts_ended")
    total("funding_spent", "new_funding_spent")
    for f in LIO_FUNCTIONS:
        total(f"lio_hours_{f}", f"new_lio_hours_{f}")
    a("lio_hours", "hours", "LIO", "LIO hours booked to all its functions over the run",
      source="new_lio_hours_*")
    mean("mean_n_lio_hours_funded_per_week", "n_lio_hours_funded_per_week")
    total("lio_hours_volunteer_processing_funded", "new_lio_hours_volunteer_processing_funded")
    total("vol_placed", "new_vol_placed")
    total("lio_groups_formed", "new_lio_groups_formed")
    total("lio_groups_supported", "new_lio_groups_supported")
    total("lio_ties_brokered", "new_lio_ties_brokered")
    total("lio_listings_verified", "new_lio_listings_verified")
    total("lw_listings_verified", "new_lw_listings_verified")
    mean("mean_n_health_vcse_ties", "n_health_vcse_ties")
    mean("mean_n_gp_vcse_ties", "n_gp_vcse_ties")
    mean("mean_n_groups_listed", "n_groups_listed")
    mean("mean_n_groups_open", "n_groups_open")
    total("lo_hours_signposting", "new_lo_hours_signposting")
    total("lo_hours_partnerships", "new_lo_hours_partnerships")
    total("lo_ties_built", "new_lo_ties_built")
    total("lo_hours_tie_upkeep", "new_lo_hours_tie_upkeep")
    total("lo_ties_taken_over", "new_lo_ties_taken_over")
    total("lo_ties_handed_to_practice", "new_lo_ties_handed_to_practice")
    total("lo_ties_dropped_no_hours", "new_lo_ties_dropped_no_hours")
    total("gp_vcse_ties_renewed", "new_gp_vcse_ties_renewed")
    for name in ONS4:
        final(f"final_mean_wellbeing_{name}", f"mean_wellbeing_{name}")
    mean("mean_n_group_staff_fte", "n_group_staff_fte")
    final("final_n_group_staff_fte", "n_group_staff_fte")
    mean("mean_n_group_places", "n_group_places")
    mean("mean_group_strain", "mean_group_strain")
    total("group_turned_away", "new_group_turned_away")
    total("group_staff_lost_strain", "new_group_staff_lost_strain")
    total("group_staff_made_redundant", "new_group_staff_made_redundant", "float64")
    total("group_staff_hired", "new_group_staff_hired")
    total("group_redundancy_pay", "new_group_redundancy_pay")
    total("vol_burnout", "new_vol_burnout")
    total("groups_closed_no_staff_or_volunteers", "new_groups_closed_no_staff_or_volunteers")
    total("group_members_left_disruption", "new_group_members_left_disruption")
    total("groups_folded", "new_groups_folded")
    total("groups_closed_funding", "new_groups_closed_funding")
    total("commissioning_changes", "new_partnership_changes")
    total("partner_outreach_placements", "new_partner_outreach_placements")
    a("mean_commissioning_latency_days", "days", "commissioner",
      "mean days from a commissioning review to its places (NaN without changes)",
      source="sum_partnership_latency_days, new_partnership_changes")
    a("frac_community_group_days_disrupted", "share (0-1)", "group",
      "community-group days with a disruptive placement in force (0 without community groups)",
      source="n_community_groups_disrupted, n_community_groups_open")
    a("frac_community_group_places_lost_disruption", "share (0-1)", "group",
      "share of community groups' places lost to disruption (0 without places)",
      source="n_community_group_places_lost_disruption, "
             "n_community_group_places_before_disruption")
    total("vm_hours_available", "new_vm_hours_available")
    total("vm_hours_used", "new_vm_hours_used")
    a("frac_vm_hours_used", "share (0-1)", "volunteer manager",
      "volunteer-management hours used over available (NaN without hours)",
      source="new_vm_hours_used, new_vm_hours_available")
    a("frac_vm_contact_met", "share (0-1)", "volunteer manager",
      "contact hours found over contact hours needed (NaN without need)",
      source="new_vm_hours_contact, new_vm_contact_hours_needed")
    total("vol_processed", "new_vol_processed")
    peak("max_n_vol_applied", "n_vol_applied")
    total("vol_first_tasks", "new_vol_first_tasks")
    a("mean_days_application_to_first_task", "days", "volunteer",
      "mean days from application to first task (NaN without first tasks)",
      source="sum_vol_days_to_first_task, new_vol_first_tasks")
    total("vol_goodwill_lost_waiting", "new_vol_goodwill_lost_waiting")
    total("vol_goodwill_lost_idle", "new_vol_goodwill_lost_idle")
    total("vol_duplicated_checks", "new_vol_duplicated_checks")
    total("vm_hours_duplicated_checks", "new_vm_hours_duplicated_checks")
    total("vol_redeployed", "new_vol_redeployed")
    a("mean_days_to_redeploy", "days", "volunteer",
      "mean days to redeploy a volunteer (NaN without redeployments)",
      source="sum_vol_days_to_redeploy, new_vol_redeployed")
    total("vm_scale_up_cost", "new_vm_scale_up_cost")
    a("vol_surge_ratio", "share (0-1)", "volunteer manager",
      "applications on the days a call to action ran over the applications the management "
      "hours of those days could process (NaN without a call to action; may exceed 1)",
      source="n_call_to_action_on, new_vol_applications, new_vol_applications_processable")
    a("vol_surge_ratio_28d", "share (0-1)", "volunteer manager",
      "vol_surge_ratio over the four weeks from the call to action's start (NaN without one; "
      "may exceed 1)",
      source="n_call_to_action_on, new_vol_applications, new_vol_applications_processable")
    # from the model's state at the end of the run (defined whether or not rows were collected)
    a("bounced_residents", "residents", "resident",
      "residents bounced by statutory services at least once")
    a("mean_lw_referrals_per_referred", "referrals per referred resident", "resident",
      "mean link-worker referrals per resident referred during the run (NaN without "
      "referrals)")
    a("frac_in_need_referred_to_lw", "share (0-1)", "resident",
      "residents in need at some time during the run (from output day 0) who were referred "
      "to a link worker at least once during it: the reach of social prescribing, the "
      "health-related route to community support (NaN if none in need)")
    for group, codes in EQUITY_GROUPS.items():
        for k in codes:
            who = EQUITY_LABELS[group][k]
            a(f"frac_reached_by_{group}_{k}", "share (0-1)", "resident",
              f"{who} ever in need who were ever supported (NaN if none in need, or none "
              "in the world)")
            a(f"unmet_days_per_resident_by_{group}_{k}", "days", "resident",
              f"mean days of unmet need per resident among {who} (NaN if there are none)")
    client = "residents referred to link workers during the run (NaN without referrals)"
    a("client_mean_age", "years", "resident", f"mean age of {client}")
    a("client_frac_female", "share (0-1)", "resident", f"share female of {client}")
    a("client_frac_limited_a_lot", "share (0-1)", "resident",
      f"share limited a lot, of {client}")
    a("client_frac_limited_a_little", "share (0-1)", "resident",
      f"share limited a little, of {client}")
    a("client_frac_adult", "share (0-1)", "resident", f"share aged 16 or over, of {client}")
    for d in (1, 2):
        a(f"frac_gp_vcse_degree_{d}", "share (0-1)", "GP practice",
          f"practices with {d} VCSE tie{'s' if d > 1 else ''} at output day 0, after the "
          "burn-in (0 without practices)")
    a("mean_gp_vcse_degree_at_start", "ties", "GP practice",
      "mean VCSE ties per practice at output day 0, after the burn-in (0 without practices)",
      "float64")
    for name, which in (("co_located", "with a link worker in the surgery at the end of the "
                                       "run"),
                        ("remote", "with link workers, none in the surgery at the end of the "
                                   "run")):
        a(f"gp_referrals_per_1000_patients_{name}", "referrals per 1000 residents",
          "GP practice", f"GP referrals to link workers per 1,000 registered patients over the "
          f"run's days, pooled over the practices {which} (NaN with none; the practices "
          "table's gp_referrals and n_patients)")
    a("emergency_start_day", "day number", per_run,
      "output day the (latest) emergency started; -1 without an emergency", "int64")
    for x in EMERGENCY_ACTORS:
        councils = (" (places topology: the earliest of the districts' councils)"
                    if x == "local_authority" else "")
        a(f"emergency_days_to_mobilise_{x}", "days", "emergency actor",
          f"days from the emergency's start to {x}'s mobilisation{councils} (NaN without)")
        a(f"emergency_days_to_first_support_{x}", "days", "emergency actor",
          f"days from the emergency's start to the first resident {x} took on{councils} (NaN "
          "without)")
    a("emergency_days_to_first_response", "days", "emergency actor",
      "days from the emergency's start to the LRF volunteering cell's first referral (NaN "
      "without)")
    a("emergency_days_to_first_support_mutual_aid", "days", "group",
      "days from the emergency's start to mutual aid's first support (NaN without)",
      source="new_mutual_aid_support")
    a("emergency_days_to_community_support", "days", "resident",
      "days from the emergency's start to the first resident taken on by emergency community "
      "support: a buddy, the response cell or mutual aid (NaN without)",
      source="new_buddied, new_emergency_responses, new_mutual_aid_support")
    a("shielded_days_to_first_support", "days", "resident",
      "mean days from the start of shielding to a shielded resident's first day in support, "
      "those never supported counted at its last day (NaN without shielding)")
    a("tapered_grants", "grants", "commissioner", "tapered grants made")
    for year in range(1, 5):
        a(f"tapered_grants_ended_entering_year_{year}", "grants", "commissioner",
          f"tapered grants whose posts ended in grant year {year}")
    a("eval_n_clients", "residents", "evaluation record",
      "bespoke link-worker clients with an evaluation record")
    a("eval_n_followup_window_closed", "residents", "evaluation record",
      "records whose follow-up window closed by the end of the run")
    a("eval_n_baseline", "residents", "evaluation record",
      "closed-window records with a baseline")
    a("eval_n_followup_complete", "residents", "evaluation record",
      "closed-window records with baseline and follow-up")
    a("eval_frac_followup_complete", "share (0-1)", "evaluation record",
      "closed-window records complete (NaN with none closed)")
    for name in ONS4:
        label = name.replace("_", " ")
        a(f"eval_mean_baseline_{name}", "score (0-10)", "evaluation record",
          f"mean baseline ONS4 {label} of complete records (NaN with none)")
        a(f"eval_mean_change_{name}", "score (0-10)", "evaluation record",
          f"mean change of ONS4 {label} from baseline to follow-up (NaN with none)")
    return b.entries


def _area_entries() -> dict[str, Output]:
    """The per-area table (``areas.parquet``, :mod:`sim.areas`): one row per area (places
    topology: a row of the place table; other topologies: a neighbourhood unit) for the run's
    output days. Counts add up over areas; the rates and means are recomputed from them by
    :func:`sim.areas.aggregate` (by PCN, district, deprivation decile, ...)."""
    b = _Book("areas")
    a = b.add
    a("area", "label", "area", "area code (places: the place table's `area`; other topologies: "
      "the unit's name)", "str")
    a("district", "label", "area", "district (places: the place table's local authority; other "
      "topologies: 'place')", "str")
    a("pcn", "label", "area", "primary care network (places: the place table's `pcn`; other "
      "topologies: '')", "str")
    a("settlement", "label", "area", "settlement the area belongs to (county topology: 'County "
      "town', 'Market town k' or a town's villages; other topologies: '')", "str")
    a("settlement_type", "label", "area", "kind of settlement (county topology: city, town or "
      "villages; other topologies: '')", "str")
    a("imd_decile", "decile", "area", "IMD decile, 1 most deprived (places: the place table's; "
      "other topologies: 0, unknown)")
    a("deprivation_quintile", "quintile", "area",
      "IMD quintile of most of its residents, 1 most deprived (the scale of the equity figures)")
    a("rural", "flag (0/1)", "area", "1 if most of its residents live in a rural unit")
    a("n_residents", "residents", "area", "residents living in the area")
    for sex, who in (("female", "women and girls"), ("male", "men and boys")):
        for band, ages in (("0_15", "aged 0-15"), ("16_64", "aged 16-64"),
                           ("65_plus", "aged 65 or more")):
            a(f"n_{sex}_{band}", "residents", "area", f"residents of the area who are {who} "
              f"{ages} (places: the place table's `{sex}_{band}`)")
    a("n_households", "households", "area", "households of the area's residents, each counted "
      "in the area of its first resident (places: the place table's `households`)")
    a("n_limited_a_little", "residents", "area", "residents whose day-to-day activities are "
      "limited a little (places: round(share_limited_a_little x population))")
    a("n_limited_a_lot", "residents", "area", "residents whose day-to-day activities are "
      "limited a lot (places: round(share_limited_a_lot x population))")
    a("n_digital", "residents", "area", "residents with digital access (places: "
      "round(share_digital x population))")
    a("residents_in_need", "residents", "resident",
      "residents of the area in need at some time during the run (from output day 0)")
    a("residents_reached", "residents", "resident",
      "of residents_in_need, those who were ever supported")
    a("frac_reached", "share (0-1)", "resident",
      "residents_reached / residents_in_need (NaN if none in need; compare the summary's "
      "frac_reached_by_*)", source="residents_reached, residents_in_need")
    a("unmet_need_days", "resident-days", "resident",
      "days of unmet need of the area's residents during the run, summed")
    a("unmet_days_per_resident", "days", "resident",
      "unmet_need_days / n_residents (compare the summary's unmet_days_per_resident_by_*)",
      source="unmet_need_days, n_residents")
    a("lw_referrals", "referrals", "resident",
      "referrals of the area's residents to link workers during the run")
    a("lw_referrals_per_1000_residents", "referrals per 1000 residents", "resident",
      "1000 * lw_referrals / n_residents", source="lw_referrals, n_residents")
    a("bounced_residents", "residents", "resident",
      "residents of the area bounced by statutory services at least once")
    a("n_unmet_need", "residents", "resident",
      "residents of the area in unmet need at the end of the run")
    a("n_vol_trained", "residents", "volunteer",
      "residents of the area who are trained volunteers (active or idle) at the end of the run")
    a("n_groups_open", "groups", "group",
      "charities, community groups and mutual aid groups based in the area open at the end of "
      "the run (place-level groups are in no area)")
    for name in ONS4:
        a(f"mean_wellbeing_{name}", "score (0-10)", "resident",
          f"mean ONS4 {name.replace('_', ' ')} of the area's residents at the end of the run")
    return b.entries


def _area_course_entries(areas: dict[str, Output]) -> dict[str, Output]:
    """The per-area time course (``area_course.parquet``, :class:`sim.areas.AreaCourse`): one
    row per area and period of ``run.area_period_days`` output days. Counts add up over areas
    (and runs); :func:`sim.areas.aggregate_course` rolls it up period by period."""
    b = _Book("area_course")
    a = b.add
    for name in ("area", "district", "pcn", "settlement", "settlement_type", "imd_decile",
                 "deprivation_quintile", "rural"):
        e = areas[name]
        a(name, e.unit, e.level, e.meaning, e.dtype)
    a("period", "period number", "area", "period of the run, from 0 (run.area_period_days "
      "output days each; the last may be shorter)")
    a("first_day", "day number", "area", "first output day of the period (as the daily "
      "table's `day`)")
    a("last_day", "day number", "area", "last output day of the period; the stocks are at its "
      "end")
    a("n_residents", "residents", "area", "residents living in the area")
    a("new_residents_in_need", "residents", "resident",
      "residents of the area first in need during the run in this period (period 0 includes "
      "those in need at output day 0; over all periods: the areas table's residents_in_need)")
    a("new_residents_reached", "residents", "resident",
      "residents of the area in need during the run who were first counted as reached in this "
      "period (over all periods: the areas table's residents_reached)")
    a("unmet_need_days", "resident-days", "resident",
      "days of unmet need of the area's residents in this period, summed")
    a("lw_referrals", "referrals", "resident",
      "referrals of the area's residents to link workers in this period")
    a("new_emergency_responses", "residents", "emergency actor",
      "residents of the area taken on by an emergency actor (the VCS, the district's council, "
      "the LRF volunteering cell, the national scheme) in this period (over the areas: the "
      "daily table's new_emergency_responses)")
    a("n_in_need", "residents", "resident", "residents of the area in need at the period's end")
    a("n_unmet_need", "residents", "resident",
      "residents of the area in unmet need (no support, waiting included) at the period's end")
    a("n_waiting", "residents", "resident",
      "residents of the area in need waiting for a link worker at the period's end")
    a("n_supported", "residents", "resident",
      "residents of the area supported (by a link worker, a group, informally or by statutory "
      "services) at the period's end")
    a("n_vol_active", "residents", "volunteer",
      "residents of the area who are active volunteers at the period's end")
    a("n_vol_trained", "residents", "volunteer",
      "residents of the area who are trained volunteers (active or idle) at the period's end")
    a("frac_in_need_unmet", "share (0-1)", "resident",
      "n_unmet_need / n_in_need (NaN if none in need)", source="n_unmet_need, n_in_need")
    a("unmet_days_per_resident", "days", "resident",
      "unmet_need_days / n_residents in this period", source="unmet_need_days, n_residents")
    a("lw_referrals_per_1000_residents", "referrals per 1000 residents", "resident",
      "1000 * lw_referrals / n_residents in this period", source="lw_referrals, n_residents")
    a("mean_wellbeing_life_satisfaction", "score (0-10)", "resident",
      "mean ONS4 life satisfaction of the area's residents at the period's end")
    return b.entries


def _practice_entries() -> dict[str, Output]:
    """The per-practice table (``practices.parquet``, :mod:`sim.practices`): one row per GP
    practice for the run's output days, so practices with a link worker in the surgery and
    those without can be compared within one run (004:398-402)."""
    b = _Book("practices")
    a = b.add
    a("practice", "label", "GP practice", "the practice's name", "str")
    a("area", "label", "GP practice", "the area (unit) the practice is in, as the areas "
      "table's `area`", "str")
    a("n_patients", "residents", "resident", "residents registered with the practice")
    a("n_link_workers", "link workers", "link worker",
      "link-worker posts at the practice at the end of the run")
    a("n_link_workers_co_located", "link workers", "link worker",
      "of n_link_workers, posts hosted by the practice (the worker sits in the surgery)")
    a("days_co_located", "days", "GP practice",
      "output days on which a co-located link worker worked in the surgery", "int64")
    a("nonmedical_consultations", "consultations", "GP practice",
      "consultations at the practice in which a patient with nothing under way raised a "
      "non-medical need (those the practice could refer), over the run's days")
    a("gp_referrals", "referrals", "GP practice",
      "the practice's GP referrals to link workers over the run's days (summed over "
      "practices: the daily table's new_referrals_gp)")
    a("engagement", "probability", "GP practice",
      "the practice's learnt chance of referring a raised need to a link worker at the end "
      "of the run (0 without a link worker)")
    a("co_located", "flag (0/1)", "GP practice",
      "1 if a link worker at the practice at the end of the run sits in the surgery",
      source="n_link_workers_co_located")
    a("gp_referrals_per_1000_patients", "referrals per 1000 residents", "GP practice",
      "1000 * gp_referrals / n_patients (NaN with no patients)",
      source="gp_referrals, n_patients")
    a("gp_referrals_per_100_nonmedical", "referrals per 100 consultations", "GP practice",
      "100 * gp_referrals / nonmedical_consultations: referrals per 100 raised non-medical "
      "needs (NaN with none)", "float64", source="gp_referrals, nonmedical_consultations")
    return b.entries


@functools.cache
def _dictionary() -> dict[str, dict[str, Output]]:
    ts = _timeseries_entries()
    areas = _area_entries()
    return {"timeseries": ts, "summary": _summary_entries(ts), "areas": areas,
            "area_course": _area_course_entries(areas), "practices": _practice_entries()}


def entries(table: str | None = None) -> list[Output]:
    """The dictionary's entries, in table order (``table``: ``timeseries``, ``summary``,
    ``areas``, or all)."""
    tables = TABLES if table is None else (_check_table(table),)
    return [e for t in tables for e in _dictionary()[t].values()]


def names(table: str) -> tuple[str, ...]:
    """Column (``timeseries``, ``areas``) or key (``summary``) names, in order."""
    return tuple(_dictionary()[_check_table(table)])


def get(name: str, table: str) -> Output:
    """The entry for ``name`` in ``table``; ``KeyError`` naming close matches otherwise."""
    found = _dictionary()[_check_table(table)].get(name)
    if found is None:
        raise KeyError(_unknown(name, _dictionary()[table]))
    return found


def field_metadata(name: str, table: str) -> dict[bytes, bytes] | None:
    """Arrow field metadata for a column named ``name`` of a ``table`` output (None for a name
    outside the dictionary, e.g. a sweep table's identity and parameter columns)."""
    found = _dictionary()[_check_table(table)].get(name)
    return found.metadata() if found is not None else None


def table(which: str | None = None):
    """The dictionary as a pandas DataFrame: name, table, grain, meaning, unit, level, dtype,
    source (one row per output; ``which`` limits it to one table)."""
    import pandas as pd

    return pd.DataFrame([{**asdict(e), "grain": e.grain} for e in entries(which)],
                        columns=["name", "table", "grain", "meaning", "unit", "level", "dtype",
                                 "source"])


def describe(name: str) -> str:
    """One line per table holding ``name``; ``KeyError`` naming close matches if none does."""
    found = [d[name] for d in _dictionary().values() if name in d]
    if not found:
        raise KeyError(_unknown(name, {n: None for d in _dictionary().values() for n in d}))
    return "\n".join(str(e) for e in found)


def _check_table(table: str) -> str:
    if table not in TABLES:
        raise ValueError(f"unknown output table {table!r}: choose from {', '.join(TABLES)}")
    return table


def _unknown(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=3)
    return f"no output named {name!r}" + (f"; did you mean {', '.join(close)}?" if close else "")


# ---------------------------------------------------------------------------- conforming


def conform_summary(summary: dict) -> dict:
    """``summary`` with every dictionary key: missing ones are added as NaN (after the keys it
    has, which keep their order and values). Keys outside the dictionary are kept (the tests
    fail on them)."""
    missing = [k for k in _dictionary()["summary"] if k not in summary]
    return {**summary, **dict.fromkeys(missing, NAN)} if missing else summary


def conform_timeseries(df):
    """The daily table with every dictionary column in dictionary order, each of its declared
    dtype: integer columns of an empty table (``run.collect=false``) get their integer dtype,
    missing columns of a non-empty one are NaN, columns declared float64 are cast to it (an
    hours flow that booked nothing on any day is still float). Columns outside the dictionary
    are kept at the end (the tests fail on them)."""
    import numpy as np
    import pandas as pd

    spec = _dictionary()["timeseries"]
    n = len(df)
    cols = {}
    for name, e in spec.items():
        if name in df.columns:
            col = df[name]
            if e.dtype == "float64" and col.dtype != np.float64:
                col = col.astype(np.float64)
            elif n == 0 and e.dtype != "float64":
                col = col.astype(e.dtype)
            cols[name] = col
        else:
            cols[name] = pd.Series(np.full(n, np.nan) if n or e.dtype == "float64"
                                   else np.zeros(0, e.dtype), index=df.index)
    extra = [c for c in df.columns if c not in spec]
    for c in extra:
        cols[c] = df[c]
    out = pd.DataFrame(cols, index=df.index)
    return out


@functools.cache
def timeseries_dtypes() -> dict[str, str]:
    """Each daily column's declared dtype, in dictionary order."""
    return {name: e.dtype for name, e in _dictionary()["timeseries"].items()}


def timeseries_frame(columns: dict, n: int):
    """The daily table from ``columns`` (name -> numpy array of ``n`` values, ``n`` > 0):
    :func:`conform_timeseries` of ``pd.DataFrame(columns)``, built once from the arrays."""
    import numpy as np
    import pandas as pd

    cols = {}
    for name, dtype in timeseries_dtypes().items():
        arr = columns.get(name)
        if arr is None:
            arr = np.full(n, np.nan)
        elif dtype == "float64" and arr.dtype != np.float64:
            arr = arr.astype(np.float64)
        cols[name] = arr
    for name, arr in columns.items():
        if name not in cols:
            cols[name] = arr
    return pd.DataFrame(cols)


def arrow_table(df, table: str = "timeseries"):
    """``df`` (a daily table; or the per-area, time-course or per-practice table that
    ``table`` names) as a pyarrow Table whose fields carry the dictionary's meaning, unit,
    level and source as field metadata (what the run's Parquet files are written from).

    The table of :func:`arrow_table_pandas`; a frame of numpy integer, float and bool columns
    and pandas string columns with distinct string names (every table a run writes) is
    converted column by column (the numbers from numpy, the strings as ``from_pandas``
    converts them), its schema (pandas metadata included) made once per set of names and
    dtypes."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    names = df.columns.tolist()
    dtypes = df.dtypes.tolist()
    if (df.attrs or len(set(names)) != len(names)
            or not all(type(n) is str for n in names)
            or not all((isinstance(d, np.dtype) and d.kind in "iufb")
                       or isinstance(d, pd.StringDtype) for d in dtypes)):
        return arrow_table_pandas(df, table)
    key = (table, tuple(names), tuple(str(d) if isinstance(d, pd.StringDtype)
                                      else d.str for d in dtypes))
    schema = _ARROW_SCHEMAS.get(key)
    if schema is None:
        # no values in a schema: 0 rows do
        schema = arrow_table_pandas(df.iloc[:0], table).schema
        if len(_ARROW_SCHEMAS) >= 64:
            _ARROW_SCHEMAS.clear()
        _ARROW_SCHEMAS[key] = schema
    groups: dict = {}
    arrays = [None] * len(names)
    for i, d in enumerate(dtypes):
        if isinstance(d, pd.StringDtype):
            arrays[i] = pa.array(df.iloc[:, i], from_pandas=True)
        else:
            groups.setdefault(d, []).append(i)
    for d, pos in groups.items():  # one copy per dtype, each column a contiguous row of it
        block = np.ascontiguousarray(df.iloc[:, pos].to_numpy(dtype=d).T)
        for j, i in enumerate(pos):
            arrays[i] = pa.array(block[j], from_pandas=True)  # NaN is null, as from_pandas
    return pa.Table.from_arrays(arrays, schema=schema)


_ARROW_SCHEMAS: dict = {}  # (column names, dtypes) -> arrow_table's schema


def arrow_table_pandas(df, table: str = "timeseries"):
    """:func:`arrow_table` through ``pyarrow.Table.from_pandas`` (any frame; ``table`` names
    the dictionary table whose entries give the field metadata)."""
    import pyarrow as pa

    tab = pa.Table.from_pandas(df, preserve_index=False)
    fields = [f.with_metadata(meta) if (meta := field_metadata(f.name, table)) else f
              for f in tab.schema]
    return tab.cast(pa.schema(fields, metadata=tab.schema.metadata))


# ---------------------------------------------------------------------------- rendering


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown() -> str:
    """The data dictionary as Markdown tables (the generated body of ``docs/outputs.md``)."""
    lines: list[str] = []
    for t in TABLES:
        es = entries(t)
        title = {"timeseries": "Daily table: `timeseries.parquet`",
                 "summary": "Run summary: `summary.json`",
                 "areas": "Areas table: `areas.parquet`",
                 "area_course": "Area time course: `area_course.parquet`",
                 "practices": "Practices table: `practices.parquet`"}[t]
        lines += [f"### {title} ({len(es)} {'keys' if t == 'summary' else 'columns'}, one "
                  f"row per {GRAIN[t]})", "",
                  "| Name | Meaning | Unit | Level | Type | Source |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| `{e.name}` | {_cell(e.meaning)} | {_cell(e.unit)} | {_cell(e.level)} | "
                  f"{e.dtype} | {_cell(e.source)} |" for e in es]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sim.outputs",
                                 description="List the model's outputs (the data dictionary).")
    ap.add_argument("names", nargs="*", help="describe these outputs (default: list all)")
    ap.add_argument("--table", choices=TABLES, help="only the daily table or the summary")
    ap.add_argument("--markdown", action="store_true", help="print the docs page tables")
    args = ap.parse_args(argv)
    if args.markdown:
        print(markdown(), end="")
        return 0
    if args.names:
        status = 0
        for name in args.names:
            try:
                print(describe(name))
            except KeyError as exc:
                print(f"error: {exc.args[0]}", file=sys.stderr)
                status = 2
        return status
    for e in entries(args.table):
        print(f"{e.table:10s} {e.name:48s} {e.unit:22s} {e.meaning}")
    return 0


if __name__ == "__main__":
    from sim.experiments.gc_freeze import freeze_at_exit

    freeze_at_exit()
    sys.exit(main())
