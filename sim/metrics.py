"""Outcome definitions: the daily metrics row and the per-run summary (MODEL_BRIEF section 5).

Names: ``n_`` stock, ``new_`` daily flow, ``cum_`` cumulative, ``frac_`` share, ``mean_`` average.
Every column and key has an entry in the data dictionary, :mod:`sim.outputs` (meaning, unit,
level, dtype): add one there when adding an output here. :func:`finalise` and :func:`summary`
return exactly the dictionary's columns and keys (NaN where a figure is undefined).
"""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from mesa.datacollection import DataCollector

from sim import kernels, outputs, practices
from sim.agents.emergency_actors import ACTOR_NAMES
from sim.agents.group_state import params_columns
from sim.agents.organisations import KIND_CODES, GroupKind
from sim.outputs import CUMULATIVE, EQUITY_GROUPS, LIO_FUNCTIONS, REFERRAL_RESULTS, REFERRAL_SOURCES
from sim.processes import strain as strain_process
from sim.state import ONS4, SUPPORTED, Need, Pathway, VolunteerState

if TYPE_CHECKING:
    from sim.model import CommunityModel

FLOWS = (
    "new_need_onsets", "new_need_escalations", "new_need_self_resolved",
    "new_need_resolved_by_support", "new_support_completed", "new_first_support",
    "new_help_seekers", "new_gp_consultations", "new_gp_consultations_nonmedical",
    *[f"new_referrals_{s}" for s in REFERRAL_SOURCES], "new_referrals_disengaged",
    *[f"new_referrals_result_{r}" for r in REFERRAL_RESULTS],
    "new_reescalations", "new_group_referrals", "new_health_to_vcse_referrals",
    "new_vcse_to_health_referrals", "new_group_disruptions", "new_support_lost_group_closed",
    "new_informal_help", "new_buddied", "new_signposted_locality_officer",
    "new_signposted_parish_council", "new_signposted_hub", "new_sent_on_to_gp",
    "new_gp_visits_advised", "new_vol_applications",
    "new_vol_processed", "new_vol_trained", "new_vol_placed", "new_vol_retrained",
    "new_vol_tasks", "new_vol_dropouts_waiting", "new_vol_dropouts_idle", "new_vol_attrition",
    "new_groups_closed", "new_groups_formed", "new_groups_formed_unaided",
    "new_groups_brought_on_directory",
    "new_lw_hours", "new_funding_spent", "new_pc_key_individuals_lost", "new_events",
    "sum_days_to_first_support", "new_emergency_responses",
    "new_vol_tasks_hospital", "new_lw_posts_added", "new_lw_posts_ended",
    "new_commissioned_places", "new_commissioned_places_reallocated",
    "new_commissioned_places_unplaced", "new_outreach_contacts",
    "new_referrals_gave_up", "new_lw_sessions", "new_lw_sessions_deferred", "new_vol_hours",
    "new_vol_tasks_unstaffed", "new_emergency_responses_short_of_volunteers",
    "new_pc_mobilisations", "new_mutual_aid_support",
    *[f"new_lio_hours_{f}" for f in ("volunteer_processing", "volunteer_placement",
                                      "capacity_building", "partnerships", "directory")],
    "new_lio_hours_volunteer_processing_funded",
    "new_lio_groups_formed", "new_lio_groups_supported", "new_lio_ties_brokered",
    "new_lio_listings_verified", "new_lw_mapping_hours", "new_lw_listings_verified",
    "new_lo_hours_signposting", "new_lo_hours_partnerships", "new_lo_ties_built",
    "new_lo_hours_tie_upkeep", "new_lo_ties_taken_over", "new_lo_ties_handed_to_practice",
    "new_lo_ties_dropped_no_hours",
    "new_gp_vcse_ties_renewed", "new_gp_partnership_hours",
    # emergency actors, joint working and redeployment (issue 11, area 2)
    *[f"new_emergency_responses_{a}" for a in ACTOR_NAMES], "new_emergency_coordination_hours",
    "new_joint_work_cases", "new_joint_work_ties", "new_joint_work_ties_lapsed",
    "new_gp_ties_dropped_no_hours",
    "new_vol_tasks_redeployed_hospital", "new_mutual_aid_support_from_health",
    "new_mutual_aid_groups_formed", "new_mutual_aid_groups_folded",
    "new_groups_suspended", "new_groups_moved_online", "new_groups_closed_while_suspended",
    "new_referrals_not_reached_online",
    # volunteer management (sim/processes/volunteering.py): hours in hours, the rest in
    # volunteers; sum_ flows are day totals whose ratio to their count is a mean
    "new_vm_hours_available", "new_vm_hours_used", "new_vm_hours_processing",
    "new_vm_hours_induction", "new_vm_hours_contact", "new_vm_contact_hours_needed",
    "new_vm_hours_duplicated_checks", "new_vol_duplicated_checks",
    "new_vol_applications_processable", "new_vol_first_tasks", "sum_vol_days_to_first_task",
    "new_vol_redeployed", "sum_vol_days_to_redeploy", "new_vol_goodwill_lost_waiting",
    "new_vol_goodwill_lost_idle", "new_vm_scale_up_cost",
    "new_referrals_declined_full",
    # group capacity, staff, strain and disruption (sim.processes.strain)
    "new_group_turned_away", "new_group_staff_lost_strain", "new_group_staff_notices",
    "new_group_staff_made_redundant", "new_group_staff_hired", "new_group_redundancy_pay",
    "new_vol_burnout", "new_group_members_left_disruption",
    "new_groups_closed_no_staff_or_volunteers", "new_groups_folded", "new_groups_closed_funding",
    # multi-partner delivery (sim.agents.commissioning)
    "new_partnership_changes", "sum_partnership_latency_days",
    "new_partner_outreach_contacts", "new_partner_outreach_placements",
    # link workers (issue 11): hand-backs, disengagement, contact mode, workload
    "new_handbacks_via_gp", "new_bounces_threshold_not_met", "new_bounces_statutory_full",
    "new_referrals_back_after_turned_away",
    "new_lw_triaged_gp", "new_lw_triaged_self", "new_lw_triaged_other",
    "new_referrals_disengaged_gp", "new_referrals_disengaged_self",
    "new_referrals_disengaged_other", "new_referrals_disengaged_waiting_list",
    "new_lw_contacts_face_to_face", "new_lw_contacts_phone", "new_lw_travel_hours",
    "new_lw_hours_need_none", "new_lw_hours_need_low", "new_lw_hours_need_moderate",
    "new_lw_hours_need_complex", "new_lw_clients_need_none", "new_lw_clients_need_low",
    "new_lw_clients_need_moderate", "new_lw_clients_need_complex",
    "new_gp_feedback_helped", "new_gp_referrals_lost",
    "new_lw_directory_remapped",
    # need-destination fit and triage (issue 11): link-worker placements whose destination
    # offers the client's need domain or not; decisions on referrals and their days
    "new_lw_matches_fit", "new_lw_matches_poor_fit", "new_lw_referrals", "new_lw_decisions",
    "sum_lw_days_to_decision",
)
"""The day's flows (``model.count``), 0 on a day without any; each has an entry in
:mod:`sim.outputs` (``_timeseries_entries``)."""


def frac_lw_matches_fit(ts: pd.DataFrame) -> float:
    """Share of link-worker placements whose destination offers the client's need domain
    (nan without placements)."""
    fit = float(ts["new_lw_matches_fit"].sum())
    placed = fit + float(ts["new_lw_matches_poor_fit"].sum())
    return fit / placed if placed else float("nan")


def daily_row(model: CommunityModel, wellbeing_sums: np.ndarray | None = None,
              need_by_pathway: np.ndarray | None = None) -> dict[str, float]:
    """Stocks at the end of the day plus the day's flows. ``wellbeing_sums``: the float32
    column sums of the scores as they are now, and ``need_by_pathway``: the residents counted
    by need level and pathway now, if already known (the wellbeing update returns both), so
    neither needs another pass over the residents."""
    pop = model.pop
    row: dict[str, float] = {"day": model.output_day}
    by_level_path = (kernels.count_need_by_pathway(pop.need, pop.pathway, len(Need),
                                                   len(Pathway))
                     if need_by_pathway is None else need_by_pathway)
    need_counts = by_level_path.sum(axis=1)
    unmet_counts = by_level_path[:, :Pathway.WAITING + 1].sum(axis=1)
    path_counts = by_level_path[Need.LOW:].sum(axis=0)  # residents in need, by pathway
    row["n_residents"] = pop.n
    row["n_in_need"] = int(need_counts[1:].sum())
    need_list, unmet_list = need_counts.tolist(), unmet_counts.tolist()
    for lvl, need_key, unmet_key in _NEED_KEYS:
        row[need_key] = need_list[lvl]
        row[unmet_key] = unmet_list[lvl]
    row["n_unmet_need"] = int(unmet_counts[1:].sum())
    path_list = path_counts.tolist()
    for pw, key in _PATHWAY_KEYS:
        row[key] = path_list[pw]
    active, idle = int(VolunteerState.ACTIVE), int(VolunteerState.IDLE)  # plain ints: fast
    # counts by state, the on-duty (active or idle: consecutive codes) and those of them
    # tasked within the week, in one pass over the states
    v, on_duty, tasked_7d = kernels.volunteer_day_counts(
        pop.vstate, pop.vlast_task, len(VolunteerState), active, idle, model.day - 7)
    v = v.tolist()
    for s, key in _VOLUNTEER_KEYS:
        row[key] = v[s]
    registered = sum(v[2:6]) + v[VolunteerState.STOOD_DOWN]
    row["n_vol_registered"] = registered
    row["frac_volunteer_utilisation"] = v[VolunteerState.ACTIVE] / registered if registered else 0.0
    row["n_vol_backlog"] = int(v[VolunteerState.APPLIED] + v[VolunteerState.ONBOARDING])
    row["n_call_to_action_on"] = int(model.cfg.volunteers.campaign_multiplier > 1.0)
    n_on_duty = on_duty.size
    row["frac_on_duty_tasked_7d"] = tasked_7d / n_on_duty if n_on_duty else 0.0
    row["n_link_workers"] = len(model.link_workers)
    inbox = waiting = caseload = light = 0
    for lw in model.link_workers:
        inbox += len(lw.inbox)
        waiting += len(lw.waiting)
        caseload += len(lw.caseload)
        light += len(lw.light)
    row["n_lw_inbox"] = inbox
    row["n_lw_waiting_list"] = waiting
    row["n_lw_caseload"] = caseload
    row["n_lw_light_touch"] = light
    row["n_lw_hours_available"] = sum(lw.budget_today for lw in model.link_workers)
    offered = pop.vhours_offer[on_duty]
    row["n_vol_hours_offered_per_week"] = float(offered.sum(dtype=np.float64))
    # the open groups' counts and, but the LIO's, paid staff, places and strain; community
    # groups with a disruptive placement in force and the places disruption costs them: one
    # compiled pass over the groups' columns (the sums in group order, as they always were)
    state = model.group_state
    running, running_rows = model.running_groups()
    places, lost = strain_process.group_places(model, running_rows)
    (inclusive,) = params_columns(model, running_rows, ("accepts_complex",))
    counts, sums = kernels.open_group_sums(
        model.open_group_rows(), state.kind_code, state.n_clients, state.n_disruptive,
        state.on_directory, state.distanced, state.online, state.lio_support_until,
        state.staff_fte, state.strain, inclusive, places, lost, model.day,
        KIND_CODES[GroupKind.MUTUAL_AID], KIND_CODES[GroupKind.LIO],
        KIND_CODES[GroupKind.COMMUNITY_GROUP])
    (n_open, n_listed, n_clients, n_mags, n_mag_clients, n_suspended, n_online,
     n_lio_supported, n_capacity, n_no_inclusion, n_no_inclusion_members, n_community,
     n_disrupted) = counts.tolist()
    staff, places, strain, lost_community, places_community = sums.tolist()
    row["n_mutual_aid_groups_open"] = n_mags
    row["n_groups_suspended"] = n_suspended
    row["n_groups_online"] = n_online
    row["n_groups_open"] = n_open
    row["n_groups_listed"] = n_listed
    row["n_group_clients"] = n_clients
    row["n_mutual_aid_clients"] = n_mag_clients
    fresh, usual, pull = getattr(model, "_mag_need_today", (0, 0.0, 0.0))
    row["frac_fresh_unmet"] = fresh / pop.n
    row["frac_fresh_unmet_usual"] = usual / pop.n
    row["mean_mutual_aid_pull"] = pull / pop.n
    row["n_clients_without_inclusion"] = n_no_inclusion
    row["n_member_clients_without_inclusion"] = n_no_inclusion_members
    row["n_group_staff_fte"] = staff
    row["n_group_places"] = places
    row["mean_group_strain"] = strain / n_capacity if n_capacity else 0.0
    row["n_community_groups_open"] = n_community
    row["n_community_groups_disrupted"] = n_disrupted
    row["n_community_group_places_lost_disruption"] = lost_community
    row["n_community_group_places_before_disruption"] = places_community
    is_open = state.is_open[:state.n].tolist()  # by organisation index
    n_entries = n_right = 0
    for lw in model.link_workers:
        n_entries += len(lw.directory)
        n_right += sum(map(is_open.__getitem__, lw.directory))
    row["n_directory_entries"] = n_entries
    row["frac_directory_accuracy"] = n_right / n_entries if n_entries else 0.0
    row["n_health_vcse_ties"] = model.count_health_vcse_ties()
    row["n_gp_vcse_ties"] = sum(len(gp.vcse_ties) for gp in model.gp_practices)
    row["n_lio_hours_funded_per_week"] = sum(  # every district's LIO
        books.funded_share() * sum(books.full_hours_per_week().values())
        for books in model.lio_books)
    row["n_groups_lio_supported"] = n_lio_supported
    row["n_lw_isolated"] = sum(lw.isolated() for lw in model.link_workers)
    row["n_lw_co_located"] = sum(lw.co_located for lw in model.link_workers)
    served = [gp.engagement_level for gp in model.gp_practices if gp.link_workers]
    # np.mean(served) without its Python wrapper: the same float64 sum divided by the count
    row["mean_gp_engagement"] = (float(_ADD_REDUCE(np.asarray(served, np.float64)))
                                 / len(served) if served else 0.0)
    flows = model.flows
    get = flows.get
    # each flow in FLOWS order, 0 on a day without any: the zeros in one dict update, then
    # today's flows (a few dozen) in their places, in one more when all of them are FLOWS
    # (most days: a set comparison, not a look-up per flow)
    row.update(_FLOW_ZEROS)
    if flows.keys() <= _FLOW_NAMES:
        row.update(flows)
    else:
        for name, value in flows.items():
            if name in _FLOW_NAMES:
                row[name] = value
    firsts = get("new_first_support", 0)
    row["mean_days_to_first_support"] = (get("sum_days_to_first_support", 0) / firsts
                                         if firsts else np.nan)
    row["new_referrals_total"] = sum(get(key, 0) for key in _REFERRAL_KEYS)
    if wellbeing_sums is None:
        wb = kernels.column_means_f32(pop.wellbeing).tolist()  # == wellbeing.mean(axis=0)
    else:  # the same float32 sums and division: bitwise the same means
        wb = (wellbeing_sums / np.float32(pop.n)).tolist()
    for k, key in enumerate(_WELLBEING_KEYS):
        row[key] = wb[k]
    return row


# the daily row's generated column names, in row order
_FLOW_ZEROS = dict.fromkeys(FLOWS, 0)
_FLOW_NAMES = frozenset(FLOWS)
_ADD_REDUCE = np.add.reduce
_NEED_KEYS = tuple((int(lvl), f"n_need_{lvl.name.lower()}", f"n_unmet_{lvl.name.lower()}")
                   for lvl in (Need.LOW, Need.MODERATE, Need.COMPLEX))
_PATHWAY_KEYS = tuple((int(pw), f"n_pathway_{pw.name.lower()}") for pw in Pathway
                      if pw is not Pathway.NONE)
_VOLUNTEER_KEYS = tuple((int(s), f"n_vol_{s.name.lower()}") for s in VolunteerState
                        if s is not VolunteerState.NONE)
_REFERRAL_KEYS = tuple(f"new_referrals_{s}" for s in REFERRAL_SOURCES)
_WELLBEING_KEYS = tuple(f"mean_wellbeing_{name}" for name in ONS4)


def _group_capacity_summary(ts: pd.DataFrame) -> dict:
    """VCSE sustainability and disruption figures of a run (the group capacity stocks of
    :func:`daily_row`)."""
    s: dict = {}
    s["mean_n_group_staff_fte"] = float(ts["n_group_staff_fte"].mean())
    s["final_n_group_staff_fte"] = float(ts["n_group_staff_fte"].iloc[-1])
    s["mean_n_group_places"] = float(ts["n_group_places"].mean())
    s["mean_group_strain"] = float(ts["mean_group_strain"].mean())
    s["group_turned_away"] = int(ts["new_group_turned_away"].sum())
    s["group_staff_lost_strain"] = float(ts["new_group_staff_lost_strain"].sum())
    s["group_staff_made_redundant"] = float(ts["new_group_staff_made_redundant"].sum())
    s["group_staff_hired"] = float(ts["new_group_staff_hired"].sum())
    s["group_redundancy_pay"] = float(ts["new_group_redundancy_pay"].sum())
    s["vol_burnout"] = int(ts["new_vol_burnout"].sum())
    s["groups_closed_no_staff_or_volunteers"] = int(
        ts["new_groups_closed_no_staff_or_volunteers"].sum())
    s["group_members_left_disruption"] = int(ts["new_group_members_left_disruption"].sum())
    s["groups_folded"] = int(ts["new_groups_folded"].sum())
    s["groups_closed_funding"] = int(ts["new_groups_closed_funding"].sum())
    changes = int(ts["new_partnership_changes"].sum())
    s["commissioning_changes"] = changes
    s["partner_outreach_placements"] = int(ts["new_partner_outreach_placements"].sum())
    s["mean_commissioning_latency_days"] = (
        float(ts["sum_partnership_latency_days"].sum()) / changes if changes else float("nan"))
    days = float(ts["n_community_groups_open"].sum())
    s["frac_community_group_days_disrupted"] = (
        float(ts["n_community_groups_disrupted"].sum()) / days if days else 0.0)
    before = float(ts["n_community_group_places_before_disruption"].sum())
    s["frac_community_group_places_lost_disruption"] = (
        float(ts["n_community_group_places_lost_disruption"].sum()) / before if before else 0.0)
    return s


def finalise(rows: list[dict]) -> pd.DataFrame:
    """The daily rows as a table, with cumulative columns for the key flows.

    The same table as :func:`finalise_pandas` (``pd.DataFrame(rows)`` and pandas column
    operations), built column by column with numpy when every row has the same keys and every
    column holds only Python/numpy ints, floats or bools (a model's rows always do); any other
    row list goes through :func:`finalise_pandas`."""
    cols = _row_columns(rows)
    if cols is None:
        return finalise_pandas(rows)
    n = len(rows)
    spec = outputs.timeseries_dtypes()
    for name, arr in cols.items():  # hours, money and FTE: float whether or not any booked
        if spec.get(name) == "float64" and arr.dtype != np.float64:
            cols[name] = arr.astype(np.float64)
    for name in CUMULATIVE:
        cols["cum_" + name.removeprefix("new_")] = _cumsum(cols[name])
    cols["cum_unmet_need_days"] = _cumsum(cols["n_unmet_need"])
    # pandas' rolling sum (compensated summation): numpy's sums round differently
    week = pd.Series(cols["new_vol_hours"]).rolling(7, min_periods=1).sum().to_numpy() * 7 / \
        np.minimum(np.arange(1, n + 1), 7)
    offered = cols["n_vol_hours_offered_per_week"].astype(float)
    cols["frac_vol_hours_utilisation"] = np.where(
        offered > 0, np.minimum(week / np.where(offered > 0, offered, 1), 1.0), 0.0)
    tot = _cumsum(cols["new_gp_consultations"])
    cols["frac_gp_consultations_nonmedical"] = np.where(
        tot > 0, _cumsum(cols["new_gp_consultations_nonmedical"]) / np.where(tot > 0, tot, 1),
        0.0)
    cols["day"] = cols["day"].astype("int32")
    return outputs.timeseries_frame(cols, n)


def finalise_pandas(rows: list[dict]) -> pd.DataFrame:
    """:func:`finalise` with pandas throughout (``pd.DataFrame(rows)``): any row list, e.g.
    one whose rows differ in their keys or hold other types; the reference the numpy path
    matches."""
    df = pd.DataFrame(rows)
    if df.empty:
        return outputs.conform_timeseries(df)  # no rows, every column (run.collect=false)
    # hours, money and FTE are fractional: the same dtype whether or not a run booked any
    floats = [e.name for e in outputs.entries("timeseries")
              if e.dtype == "float64" and e.name in df.columns]
    df[floats] = df[floats].astype(np.float64)
    for name in CUMULATIVE:
        df["cum_" + name.removeprefix("new_")] = df[name].cumsum()
    df["cum_unmet_need_days"] = df["n_unmet_need"].cumsum()
    week = df["new_vol_hours"].rolling(7, min_periods=1).sum() * 7 / np.minimum(
        np.arange(1, len(df) + 1), 7)
    offered = df["n_vol_hours_offered_per_week"].astype(float)
    # hours given in the last 7 days per hour a week offered by volunteers on duty now (at
    # most 1: volunteers who left during the week gave hours no longer offered)
    df["frac_vol_hours_utilisation"] = np.where(
        offered > 0, np.minimum(week / offered.where(offered > 0, 1), 1.0), 0.0)
    tot = df["new_gp_consultations"].cumsum()
    df["frac_gp_consultations_nonmedical"] = np.where(
        tot > 0, df["new_gp_consultations_nonmedical"].cumsum() / tot.where(tot > 0, 1), 0.0)
    df["day"] = df["day"].astype("int32")
    return outputs.conform_timeseries(df)


_INTS = frozenset({int, np.int64})
_FLOATS = frozenset({float, np.float64})
_NUMBERS = _INTS | _FLOATS
_BOOLS = frozenset({bool, np.bool_})


def _row_columns(rows: list[dict]) -> dict[str, np.ndarray] | None:
    """The rows' columns as numpy arrays of the dtypes ``pd.DataFrame(rows)`` infers (int64
    for ints, float64 for floats or ints mixed with floats, bool for bools), in first-row key
    order; None where pandas has to decide: no rows or keys, rows with different keys (pandas
    takes the union and fills NaN), a value of another type (None, str, numpy int32/float32,
    ...) or an int beyond int64."""
    if not rows or not rows[0]:
        return None
    names = list(rows[0])
    if set(map(len, rows)) != {len(names)}:
        return None
    get = operator.itemgetter(*names)
    try:  # every row has the first row's keys, and as many: the same keys
        columns = (list(zip(*map(get, rows), strict=True)) if len(names) > 1
                   else [[r[names[0]] for r in rows]])
    except KeyError:
        return None
    cols = {}
    for name, values in zip(names, columns, strict=True):
        types = set(map(type, values))
        try:
            if types <= _INTS:
                arr = np.array(values, dtype=np.int64)  # OverflowError beyond int64
            elif types <= _FLOATS:
                arr = np.array(values, dtype=np.float64)
            elif types <= _NUMBERS:  # pandas: float64, unless an int is beyond int64
                arr = np.array(values, dtype=np.float64)
                if (np.abs(arr) >= 2.0 ** 63).any():
                    return None  # (or a float that large: pandas decides)
            elif types <= _BOOLS:
                arr = np.array(values, dtype=bool)
            else:
                return None
        except OverflowError:
            return None
        cols[name] = arr
    return cols


def _cumsum(values: np.ndarray) -> np.ndarray:
    """``pd.Series(values).cumsum()``'s values (NaN kept in place and skipped in the sum)."""
    if values.dtype.kind == "f":
        mask = np.isnan(values)
        if mask.any():
            out = np.cumsum(np.where(mask, 0.0, values))
            out[mask] = np.nan
            return out
    return np.cumsum(values)


class DailyCollector(DataCollector):
    """Mesa's DataCollector as a view on a model's daily table (``model.datacollector``).

    The model records its own rows (:func:`daily_row`, one per output day); this view gives
    them to Mesa's tools: ``mesa.batch_run`` reads ``model_vars`` and ``_collection_steps``,
    Solara's ``make_plot_component("n_unmet_need")`` reads :meth:`get_model_vars_dataframe`.
    Columns are those of ``model.timeseries()`` (``sim.run``'s table: the daily row plus
    ``cum_``/``frac_`` columns); a collection step is an output day (Mesa's ``model.steps``).
    :meth:`collect` does nothing: the model has already collected its day. There are no agent
    reporters (organisations' state is in the daily columns).
    """

    def __init__(self, model: CommunityModel):  # the model's rows are the store: no reporters
        self.model = model
        self.agent_reporters: dict = {}
        self.agenttype_reporters: dict = {}
        self._agent_records: dict = {}
        self._agenttype_records: dict = {}
        self.tables: dict = {}
        self._validated = True
        self._cache: tuple | None = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_cache": None}  # rebuilt from the rows when needed

    def _table(self) -> tuple[pd.DataFrame, dict[str, list]]:
        rows = self.model.rows
        key = (id(rows), len(rows))
        if self._cache is None or self._cache[0] != key:
            frame = self.model.timeseries()
            if not frame.empty:
                frame.index = pd.Index(frame["day"].to_numpy(), dtype="int64")
            self._cache = (key, frame, {c: frame[c].tolist() for c in frame.columns})
        return self._cache[1], self._cache[2]

    @property
    def model_vars(self) -> dict[str, list]:
        """Each daily column's values, one per collection step (read-only view)."""
        return self._table()[1]

    @property
    def _collection_steps(self) -> list[int]:
        frame = self._table()[0]
        return frame["day"].tolist() if not frame.empty else []

    @property
    def model_reporters(self) -> dict[str, str]:
        """The daily columns, each mapped to its own name."""
        return {c: c for c in self._table()[0].columns}

    def collect(self, model) -> None:
        """Nothing to do: the model collects its daily row at the end of every day."""

    def get_model_vars_dataframe(self) -> pd.DataFrame:
        """The daily table (a copy), indexed by output day (Mesa's step)."""
        return self._table()[0].copy()


def _share_by(mask_num: np.ndarray, mask_den: np.ndarray, key: np.ndarray,
              codes: tuple[int, ...]) -> dict:
    """Per code of ``key``: the share of ``mask_den`` residents also in ``mask_num`` (NaN for
    a code without such residents)."""
    out = {}
    for k in codes:
        den = mask_den & (key == k)
        n = int(den.sum())
        out[str(k)] = float((mask_num & den).sum() / n) if n else float("nan")
    return out


def summary(model: CommunityModel, ts: pd.DataFrame) -> dict:
    """One run's outcome figures (a flat dict: the summary table's row)."""
    pop = model.pop
    n, days = pop.n, model.output_day
    s: dict = {"seed": model.cfg.run.seed, "replicate": model.cfg.run.replicate,
               "topology": model.cfg.topology.kind, "days": days, "n_residents": n}
    if not ts.empty:
        last = ts.iloc[-1]
        s["unmet_need_days"] = int(ts["n_unmet_need"].sum())
        s["unmet_need_days_per_1000_residents"] = 1000 * s["unmet_need_days"] / n
        for lvl in ("low", "moderate", "complex"):
            s[f"unmet_need_days_{lvl}"] = int(ts[f"n_unmet_{lvl}"].sum())
        s["mean_n_unmet_need"] = float(ts["n_unmet_need"].mean())
        firsts = ts["new_first_support"].sum()
        s["mean_days_to_first_support"] = (float(ts["sum_days_to_first_support"].sum() / firsts)
                                           if firsts else float("nan"))
        total_ref = int(sum(ts[f"new_referrals_{x}"].sum() for x in REFERRAL_SOURCES))
        s["referrals_total"] = total_ref
        s["referrals_per_1000_residents"] = 1000 * total_ref / n
        for x in REFERRAL_SOURCES:
            s[f"frac_referrals_{x}"] = (float(ts[f"new_referrals_{x}"].sum() / total_ref)
                                        if total_ref else float("nan"))
        for r in REFERRAL_RESULTS:
            s[f"referral_results_{r}"] = int(ts[f"new_referrals_result_{r}"].sum())
        s["health_vcse_referrals"] = int(ts["new_health_to_vcse_referrals"].sum()
                                         + ts["new_vcse_to_health_referrals"].sum())
        s["health_vcse_referrals_per_1000_residents"] = 1000 * s["health_vcse_referrals"] / n
        links = int(ts["new_referrals_result_accepted"].sum()
                    + ts["new_vcse_to_health_referrals"].sum())
        s["health_vcse_links_per_1000_residents"] = 1000 * links / n
        s["parish_council_signposts_per_1000_residents"] = (
            1000 * int(ts["new_signposted_parish_council"].sum()) / n)
        s["sent_on_to_gp_per_1000_residents"] = 1000 * int(ts["new_sent_on_to_gp"].sum()) / n
        s["community_mobilisation_per_1000_residents"] = 1000 * int(
            ts["new_informal_help"].sum() + ts["new_buddied"].sum()
            + ts["new_signposted_parish_council"].sum()
            + ts["new_signposted_locality_officer"].sum() + ts["new_signposted_hub"].sum()) / n
        s["max_waiting"] = int(ts["n_pathway_waiting"].max())
        s["mean_frac_volunteer_utilisation"] = float(ts["frac_volunteer_utilisation"].mean())
        s["vol_applications"] = int(ts["new_vol_applications"].sum())
        s["vol_dropouts_waiting"] = int(ts["new_vol_dropouts_waiting"].sum())
        s["vol_dropouts_idle"] = int(ts["new_vol_dropouts_idle"].sum())
        for col in ("n_vol_registered", "n_vol_active", "n_vol_idle", "n_vol_lapsed",
                    "n_groups_open", "frac_directory_accuracy", "n_health_vcse_ties"):
            s[f"final_{col}"] = float(last[col])
        s["groups_closed"] = int(ts["new_groups_closed"].sum())
        s["groups_formed"] = int(ts["new_groups_formed"].sum())
        s["mean_frac_directory_accuracy"] = float(ts["frac_directory_accuracy"].mean())
        s["frac_gp_consultations_nonmedical"] = float(last["frac_gp_consultations_nonmedical"])
        s["lw_hours"] = float(ts["new_lw_hours"].sum())
        s["lw_cost"] = float(ts["n_link_workers"].sum() * model.cfg.link_worker.salary_per_year
                             / 365)
        s["mean_n_vol_backlog"] = float(ts["n_vol_backlog"].mean())
        s["max_n_vol_backlog"] = int(ts["n_vol_backlog"].max())
        s["mean_frac_on_duty_tasked_7d"] = float(ts["frac_on_duty_tasked_7d"].mean())
        s["need_escalations"] = int(ts["new_need_escalations"].sum())
        s["need_escalations_per_1000_onsets"] = (
            1000 * s["need_escalations"] / max(int(ts["new_need_onsets"].sum()), 1))
        s["statutory_referrals"] = int(ts["new_referrals_statutory"].sum())
        s["reescalations"] = int(ts["new_reescalations"].sum())
        s["bounces_threshold_not_met"] = int(ts["new_bounces_threshold_not_met"].sum())
        s["bounces_statutory_full"] = int(ts["new_bounces_statutory_full"].sum())
        s["mean_n_statutory_clients"] = float(ts["n_pathway_statutory"].mean())
        for src in ("gp", "self", "other"):
            triaged = int(ts[f"new_lw_triaged_{src}"].sum())
            s[f"frac_disengaged_at_triage_{src}"] = (
                float(ts[f"new_referrals_disengaged_{src}"].sum()) / triaged if triaged
                else float("nan"))
        contacts = float(ts["new_lw_contacts_face_to_face"].sum()
                         + ts["new_lw_contacts_phone"].sum())
        s["frac_lw_contacts_face_to_face"] = (
            float(ts["new_lw_contacts_face_to_face"].sum()) / contacts if contacts
            else float("nan"))
        s["lw_travel_hours"] = float(ts["new_lw_travel_hours"].sum())
        s["frac_lw_hours_travel"] = (s["lw_travel_hours"] / s["lw_hours"] if s["lw_hours"]
                                     else float("nan"))
        s["lw_mapping_hours"] = float(ts["new_lw_mapping_hours"].sum())
        # volunteer time per client a group supports (all volunteer hours, incl. ties and
        # emergency roles, over group client-days): compare lw_hours_per_client_need_*
        client_days = float(ts["n_group_clients"].sum())
        s["vol_hours_per_group_client_day"] = (float(ts["new_vol_hours"].sum()) / client_days
                                               if client_days else float("nan"))
        s["mean_gp_engagement"] = float(ts["mean_gp_engagement"].mean())
        for lvl in ("low", "moderate", "complex"):
            clients = int(ts[f"new_lw_clients_need_{lvl}"].sum())
            s[f"lw_hours_per_client_need_{lvl}"] = (
                float(ts[f"new_lw_hours_need_{lvl}"].sum()) / clients if clients
                else float("nan"))
        s["vol_tasks"] = int(ts["new_vol_tasks"].sum())
        s["vol_tasks_hospital"] = int(ts["new_vol_tasks_hospital"].sum())
        s["vol_hours"] = float(ts["new_vol_hours"].sum())
        s["mean_frac_vol_hours_utilisation"] = float(ts["frac_vol_hours_utilisation"].mean())
        s["vol_tasks_unstaffed"] = int(ts["new_vol_tasks_unstaffed"].sum())
        s["referrals_gave_up"] = int(ts["new_referrals_gave_up"].sum())
        s["mean_n_lw_waiting"] = float((ts["n_lw_inbox"] + ts["n_lw_waiting_list"]).mean())
        s["mean_n_lw_waiting_list"] = float(ts["n_lw_waiting_list"].mean())
        s["lw_matches"] = int(ts["new_lw_matches_fit"].sum()
                              + ts["new_lw_matches_poor_fit"].sum())
        s["frac_lw_matches_fit"] = frac_lw_matches_fit(ts)
        decisions = int(ts["new_lw_decisions"].sum())
        s["lw_decisions"] = decisions
        lw_referrals = int(ts["new_lw_referrals"].sum())
        s["lw_referrals"] = lw_referrals
        s["frac_lw_referrals_decided"] = (decisions / lw_referrals if lw_referrals
                                          else float("nan"))
        s["mean_days_to_lw_decision"] = (float(ts["sum_lw_days_to_decision"].sum()) / decisions
                                         if decisions else float("nan"))
        s["mean_n_lw_caseload"] = float(ts["n_lw_caseload"].mean())
        avail = float(ts["n_lw_hours_available"].sum())
        s["frac_lw_hours_used"] = float(ts["new_lw_hours"].sum()) / avail if avail else 0.0
        s["frac_vol_tasks_community"] = (1.0 - s["vol_tasks_hospital"] / s["vol_tasks"]
                                         if s["vol_tasks"] else float("nan"))
        s["vol_retrainings"] = int(ts["new_vol_retrained"].sum())
        s["group_disruptions"] = int(ts["new_group_disruptions"].sum())
        s["referrals_declined_full"] = int(ts["new_referrals_declined_full"].sum())
        s["mutual_aid_client_days"] = int(ts["n_mutual_aid_clients"].sum())
        s["client_days_without_inclusion"] = int(ts["n_clients_without_inclusion"].sum())
        s["member_client_days_without_inclusion"] = int(
            ts["n_member_clients_without_inclusion"].sum())
        s["emergency_responses"] = int(ts["new_emergency_responses"].sum())
        s["joint_work_cases"] = int(ts["new_joint_work_cases"].sum())
        s["joint_work_ties_formed"] = int(ts["new_joint_work_ties"].sum())
        s["joint_work_ties_lapsed"] = int(ts["new_joint_work_ties_lapsed"].sum())
        s["gp_ties_dropped_no_hours"] = int(ts["new_gp_ties_dropped_no_hours"].sum())
        s["mutual_aid_groups_formed"] = int(ts["new_mutual_aid_groups_formed"].sum())
        s["mutual_aid_groups_folded"] = int(ts["new_mutual_aid_groups_folded"].sum())
        s["mutual_aid_placements"] = int(ts["new_mutual_aid_support"].sum())
        s["mutual_aid_placements_from_health"] = int(
            ts["new_mutual_aid_support_from_health"].sum())
        s["mutual_aid_placements_outside_referrals"] = (
            s["mutual_aid_placements"] - s["mutual_aid_placements_from_health"])
        s["groups_suspended"] = int(ts["new_groups_suspended"].sum())
        s["groups_moved_online"] = int(ts["new_groups_moved_online"].sum())
        s["groups_closed_while_suspended"] = int(ts["new_groups_closed_while_suspended"].sum())
        s["max_n_groups_suspended"] = int(ts["n_groups_suspended"].max())
        s["referrals_not_reached_online"] = int(ts["new_referrals_not_reached_online"].sum())
        s["vol_tasks_redeployed_hospital"] = int(ts["new_vol_tasks_redeployed_hospital"].sum())
        for a in ACTOR_NAMES:
            s[f"emergency_responses_{a}"] = int(ts[f"new_emergency_responses_{a}"].sum())
        s["emergency_coordination_hours"] = float(ts["new_emergency_coordination_hours"].sum())
        s["commissioned_places"] = int(ts["new_commissioned_places"].sum())
        s["commissioned_places_reallocated"] = int(
            ts["new_commissioned_places_reallocated"].sum())
        s["commissioned_places_unplaced"] = int(ts["new_commissioned_places_unplaced"].sum())
        s["lw_posts_added"] = int(ts["new_lw_posts_added"].sum())
        s["lw_posts_ended"] = int(ts["new_lw_posts_ended"].sum())
        s["funding_spent"] = float(ts["new_funding_spent"].sum())
        _lio_summary(s, ts)
        for name in ONS4:
            s[f"final_mean_wellbeing_{name}"] = float(last[f"mean_wellbeing_{name}"])
        s.update(_group_capacity_summary(ts))
    if not ts.empty:
        s.update(_volunteer_management_summary(ts))
    s["bounced_residents"] = int((pop.bounces > 0).sum())
    referrals = pop.lw_referrals - getattr(model, "lw_referrals_at_start", 0)
    s["mean_lw_referrals_per_referred"] = (float(referrals[referrals > 0].mean())
                                           if (referrals > 0).any() else float("nan"))
    in_need = pop.ever_need  # in need at some time from output day 0
    s["frac_in_need_referred_to_lw"] = (float((referrals[in_need] > 0).mean())
                                        if in_need.any() else float("nan"))
    # reach and unmet need by group (equity), for every code of every group: NaN for a group
    # the world lacks (e.g. rural residents in the urban topology)
    ever = pop.ever_need
    for label, key in (("deprivation", pop.deprivation), ("rural", pop.rural.astype(int)),
                       ("digital", pop.digital.astype(int)), ("limitation", pop.limitation)):
        codes = EQUITY_GROUPS[label]
        for k, v in _share_by(pop.ever_supported, ever, key, codes).items():
            s[f"frac_reached_by_{label}_{k}"] = v
        for k in codes:
            sel = key == k
            s[f"unmet_days_per_resident_by_{label}_{k}"] = (
                float(pop.unmet_days[sel].mean()) if sel.any() else float("nan"))
    # the client profile of people referred to link workers (compare 004:464-474)
    ref = referrals > 0
    if ref.any():
        adults = ref & (pop.age >= 16)
        s["client_mean_age"] = float(pop.age[ref].mean())
        s["client_frac_female"] = float(pop.female[ref].mean())
        s["client_frac_limited_a_lot"] = float((pop.limitation[ref] == 2).mean())
        s["client_frac_limited_a_little"] = float((pop.limitation[ref] == 1).mean())
        s["client_frac_adult"] = float(adults.sum() / ref.sum())
    degrees = [gp.vcse_degree_at_start for gp in model.gp_practices]  # after the burn-in
    s["frac_gp_vcse_degree_1"] = float(np.mean([d == 1 for d in degrees])) if degrees else 0.0
    s["frac_gp_vcse_degree_2"] = float(np.mean([d == 2 for d in degrees])) if degrees else 0.0
    s["mean_gp_vcse_degree_at_start"] = float(np.mean(degrees)) if degrees else 0.0
    s.update(practices.summary_figures(model))  # co-located practices against the others
    s["emergency_start_day"] = (model.emergency_start - model.day0
                                if model.emergency_start >= 0 else -1)
    s.update(_emergency_actor_summary(model, ts))
    s["emergency_days_to_community_support"] = _days_to_community_support(model, ts)
    s["shielded_days_to_first_support"] = model.shielding.days_to_first_support()
    s.update(_grant_summary(model))
    s.update(model.evaluation.summary())
    s["scenario"] = model.cfg.scenario.name
    # every key of the data dictionary, NaN where undefined: the client profile without
    # referrals, and under run.collect=false every figure from the daily table
    return outputs.conform_summary(s)


def _days_to_community_support(model: CommunityModel, ts: pd.DataFrame) -> float:
    """Days from the emergency's start to the first resident taken on by emergency community
    support (a buddy, the response cell or a mutual aid group); NaN without an emergency or
    without such support."""
    start = model.emergency_start - model.day0 if model.emergency_start >= 0 else -1
    if start < 0 or ts.empty:
        return float("nan")
    after = ts[ts["day"] > start]
    acted = after[(after["new_buddied"] + after["new_emergency_responses"]
                   + after["new_mutual_aid_support"]) > 0]
    return float(acted["day"].iloc[0] - start) if len(acted) else float("nan")


def _emergency_actor_summary(model: CommunityModel, ts: pd.DataFrame) -> dict:
    """Per emergency actor, days from the (latest) emergency's start to its mobilisation and to
    the first resident it took on (NaN if none); mutual aid's first support after the start;
    ``emergency_days_to_first_response`` is the LRF volunteering cell's first referral."""
    out: dict = {}
    start = model.emergency_start
    nan = float("nan")
    for a in model.emergency_actors:  # several councils (one per district): the earliest
        ok = start >= 0 and a.emergency_for == start
        for name, value in (
                (f"emergency_days_to_mobilise_{a.key}",
                 float(a.mobilised_day - start) if ok else nan),
                (f"emergency_days_to_first_support_{a.key}",
                 float(a.first_support_day - start) if ok and a.first_support_day >= start
                 else nan)):
            out[name] = float(np.fmin(out.get(name, nan), value))  # the earliest; NaN: none
    out["emergency_days_to_first_response"] = out["emergency_days_to_first_support_lrf_cell"]
    out["emergency_days_to_first_support_mutual_aid"] = nan
    if start >= 0 and not ts.empty:
        day0 = start - model.day0
        after = ts[(ts["day"] > day0) & (ts["new_mutual_aid_support"] > 0)]
        if len(after):
            out["emergency_days_to_first_support_mutual_aid"] = float(after["day"].iloc[0] - day0)
    return out


def _grant_summary(model: CommunityModel) -> dict:
    """Tapered grants: how many there were and in which grant year the posts ended."""
    grants = [g for c in model.commissioners for g in c.grants]
    out: dict = {"tapered_grants": len(grants)}
    for year in range(1, 5):
        out[f"tapered_grants_ended_entering_year_{year}"] = sum(
            g.ended_day >= 0 and (g.ended_day - g.start_day) // 365 + 1 == year for g in grants)
    return out


def _lio_summary(s: dict, ts: pd.DataFrame) -> None:
    """The LIO's functions (sim.agents.lio): hours booked by function, what they produced, and
    link workers' own mapping (infrastructure work out of client hours)."""
    for f in LIO_FUNCTIONS:
        s[f"lio_hours_{f}"] = float(ts[f"new_lio_hours_{f}"].sum())
    s["lio_hours"] = float(sum(s[f"lio_hours_{f}"] for f in LIO_FUNCTIONS))
    s["mean_n_lio_hours_funded_per_week"] = float(ts["n_lio_hours_funded_per_week"].mean())
    s["lio_hours_volunteer_processing_funded"] = float(
        ts["new_lio_hours_volunteer_processing_funded"].sum())
    s["vol_placed"] = int(ts["new_vol_placed"].sum())
    s["lio_groups_formed"] = int(ts["new_lio_groups_formed"].sum())
    s["lio_groups_supported"] = int(ts["new_lio_groups_supported"].sum())
    s["lio_ties_brokered"] = int(ts["new_lio_ties_brokered"].sum())
    s["lio_listings_verified"] = int(ts["new_lio_listings_verified"].sum())
    s["lw_mapping_hours"] = float(ts["new_lw_mapping_hours"].sum())
    s["lw_listings_verified"] = int(ts["new_lw_listings_verified"].sum())
    s["mean_n_health_vcse_ties"] = float(ts["n_health_vcse_ties"].mean())
    s["mean_n_gp_vcse_ties"] = float(ts["n_gp_vcse_ties"].mean())
    s["mean_n_groups_listed"] = float(ts["n_groups_listed"].mean())
    s["mean_n_groups_open"] = float(ts["n_groups_open"].mean())
    s["lo_hours_signposting"] = float(ts["new_lo_hours_signposting"].sum())
    s["lo_hours_partnerships"] = float(ts["new_lo_hours_partnerships"].sum())
    s["lo_ties_built"] = int(ts["new_lo_ties_built"].sum())
    s["lo_hours_tie_upkeep"] = float(ts["new_lo_hours_tie_upkeep"].sum())
    s["lo_ties_taken_over"] = int(ts["new_lo_ties_taken_over"].sum())
    s["lo_ties_handed_to_practice"] = int(ts["new_lo_ties_handed_to_practice"].sum())
    s["lo_ties_dropped_no_hours"] = int(ts["new_lo_ties_dropped_no_hours"].sum())
    s["gp_vcse_ties_renewed"] = int(ts["new_gp_vcse_ties_renewed"].sum())
def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else float("nan")


def _volunteer_management_summary(ts: pd.DataFrame) -> dict:
    """Volunteer-management hours and what they bought (003:162, 224-226, 246-254)."""
    total = {c: float(ts[c].sum()) for c in (
        "new_vm_hours_available", "new_vm_hours_used", "new_vm_hours_contact",
        "new_vm_contact_hours_needed", "new_vol_first_tasks", "sum_vol_days_to_first_task",
        "new_vol_redeployed", "sum_vol_days_to_redeploy")}
    out = {
        "vm_hours_available": total["new_vm_hours_available"],
        "vm_hours_used": total["new_vm_hours_used"],
        "frac_vm_hours_used": _ratio(total["new_vm_hours_used"],
                                     total["new_vm_hours_available"]),
        "frac_vm_contact_met": _ratio(total["new_vm_hours_contact"],
                                      total["new_vm_contact_hours_needed"]),
        "vol_processed": int(ts["new_vol_processed"].sum()),
        "max_n_vol_applied": int(ts["n_vol_applied"].max()),
        "vol_first_tasks": int(total["new_vol_first_tasks"]),
        "mean_days_application_to_first_task": _ratio(total["sum_vol_days_to_first_task"],
                                                      total["new_vol_first_tasks"]),
        "vol_goodwill_lost_waiting": float(ts["new_vol_goodwill_lost_waiting"].sum()),
        "vol_goodwill_lost_idle": float(ts["new_vol_goodwill_lost_idle"].sum()),
        "vol_duplicated_checks": int(ts["new_vol_duplicated_checks"].sum()),
        "vm_hours_duplicated_checks": float(ts["new_vm_hours_duplicated_checks"].sum()),
        "vol_redeployed": int(total["new_vol_redeployed"]),
        "mean_days_to_redeploy": _ratio(total["sum_vol_days_to_redeploy"],
                                        total["new_vol_redeployed"]),
        "vm_scale_up_cost": float(ts["new_vm_scale_up_cost"].sum()),
    }
    # the call to action against onboarding capacity: applications while it ran, and in
    # the four weeks from its start, over the applications the management hours of the same
    # days could process if they did nothing else
    on = ts.index[ts["n_call_to_action_on"] > 0]
    ratio = ratio_28d = float("nan")
    if len(on):
        first = ts.index.get_loc(on[0])
        campaign = ts.loc[on]
        four_weeks = ts.iloc[first:first + 28]
        ratio = _ratio(campaign["new_vol_applications"].sum(),
                       campaign["new_vol_applications_processable"].sum())
        ratio_28d = _ratio(four_weeks["new_vol_applications"].sum(),
                           four_weeks["new_vol_applications_processable"].sum())
    out["vol_surge_ratio"] = ratio
    out["vol_surge_ratio_28d"] = ratio_28d
    return out


class ShieldingWatch:
    """Residents told to shield and the day each first had support while shielding lasted
    (``shielded_days_to_first_support``); ``observe`` runs at the end of every output day."""

    def __init__(self) -> None:
        self.shielded = np.zeros(0, np.int64)  # residents told to shield, once known
        self.first_support = np.zeros(0, np.int64)  # model day of first support, -1 none yet
        self.days = (-1, -1)  # first and last model day with shielding in force

    def observe(self, model: CommunityModel) -> None:
        pop, day = model.pop, model.day
        if not self.shielded.size:
            if not pop.shielded.any():
                return
            self.shielded = np.flatnonzero(pop.shielded)
            self.first_support = np.full(self.shielded.size, -1, np.int64)
            self.days = (day, day)
        elif not pop.shielded.any():
            return
        self.days = (self.days[0], day)
        new = (self.first_support < 0) & np.isin(pop.pathway[self.shielded], SUPPORTED)
        self.first_support[new] = day

    def days_to_first_support(self) -> float:
        """Mean days from the start of shielding to a shielded resident's first day in
        support, counting those never supported while shielding lasted as supported on its
        last day (a restricted mean); NaN without shielding."""
        if not self.shielded.size:
            return float("nan")
        start, end = self.days
        first = np.where(self.first_support >= 0, self.first_support, end)
        return float((first - start).mean())
