"""Volunteer lifecycle, vectorised: latent -> applied -> onboarding -> active <-> idle -> lapsed
(or stood down). Applications are processed by each organisation's limited volunteer-management
capacity (003:224-226); training is per organisation unless passported (003:232-254); goodwill
decays while waiting or idle and volunteers drop out when it is gone (003:39, 003:164)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import kernels
from sim.agents.group_state import params_columns
from sim.agents.organisations import KIND_CODES, GroupKind, Organisation, VCSEGroup
from sim.rng import pick_index
from sim.state import VSTATE as V  # plain ints: fast in numpy

if TYPE_CHECKING:
    from sim.agents.lio import LIOFunctions
    from sim.model import CommunityModel

TRAINED_STATES = (V.ACTIVE, V.IDLE)
WAITING_STATES = (V.APPLIED, V.ONBOARDING)


def _state_rows(*codes: int) -> np.ndarray:
    """A ``kernels.count_by_org`` table counting the volunteer states ``codes`` (row 0)."""
    rows = np.full(len(V), -1, np.int8)
    rows[list(codes)] = 0
    return rows


_TRAINED = _state_rows(V.ACTIVE, V.IDLE)
_TRAINED_OR_STOOD_DOWN = _state_rows(V.ACTIVE, V.IDLE, V.STOOD_DOWN)
_WAITING = _state_rows(*WAITING_STATES)
_CONTACTED = _TRAINED_OR_STOOD_DOWN.copy()  # row 0: trained or stood down; row 1: waiting
_CONTACTED[list(WAITING_STATES)] = 1


def applications(model: CommunityModel) -> None:
    """Latent volunteers apply (a campaign multiplies the rate) to the volunteer centre or a
    local group."""
    pop, p = model.pop, model.cfg.volunteers
    rng = model.streams.volunteers
    # the latent volunteers' number decides how many apply; their rows are needed only when
    # someone does (most days in small places nobody does)
    n_latent = kernels.count_equal(pop.vstate, V.LATENT)
    if n_latent == 0:
        return
    k = int(rng.binomial(n_latent, min(p.p_apply_per_day * p.campaign_multiplier, 1.0)))
    if k == 0:
        return
    # k of the latent (numpy's choice from their rows draws these places among them), found
    # by their places in one pass: the same rows, with no array of every latent volunteer;
    # then a uniform each. Where numpy's choice takes Floyd's algorithm (all but a draw of
    # more than one in fifty of over 10,000), the three in one compiled call drawing as
    # numpy does (kernels.latent_applicants)
    if kernels.floyd_applies(n_latent, k):
        (stream,) = kernels.model_stream_handles(model, _VOLUNTEERS_STREAM)
        chosen, draw = kernels.latent_applicants(stream, pop.vstate, V.LATENT, n_latent, k)
    else:
        at = np.sort(rng.choice(n_latent, size=k, replace=False))
        chosen = kernels.rows_of_code_at_ranks(pop.vstate, V.LATENT, at)
        draw = rng.random(k)
    to_lio = draw < p.share_apply_to_lio
    to_trust = draw >= 1.0 - p.share_apply_to_hospital
    # the applicant's district's trust (on duty) and LIO (open), if any
    trusts = [t if not t.stood_down else None for t in model.nhs_trusts] or [None]
    lios = [model.lio_of_district(d) for d in range(len(model.districts))]
    of_unit = model.district_of_unit
    orgs = np.full(k, -1, np.int32)
    for j, i in enumerate(chosen.tolist()):
        d = int(of_unit[pop.unit[i]])
        trust, lio = trusts[d if len(trusts) > 1 else 0], lios[d]
        if to_trust[j] and trust is not None:
            orgs[j] = trust.index
            continue
        if lio is not None and to_lio[j]:
            orgs[j] = lio.index
            continue
        local = [g for g in model.open_groups_by_unit().get(int(pop.unit[i]), ())
                 if g.kind is not GroupKind.LIO]
        if local:
            orgs[j] = local[pick_index(rng, len(local))].index
        elif lio is not None:
            orgs[j] = lio.index
    ok = orgs >= 0
    chosen, orgs = chosen[ok], orgs[ok]
    on_duty = [t.index for t in trusts if t is not None]
    if on_duty:  # np.isin(orgs, on_duty), as one comparison per trust (a few applicants)
        at_trust = orgs == on_duty[0]
        for t in on_duty[1:]:
            at_trust |= orgs == t
        pop.nhs_volunteer[chosen[at_trust]] = True
    pop.vstate[chosen] = V.APPLIED
    pop.vorg[chosen] = orgs
    pop.vsince[chosen] = model.day
    pop.vapplied_day[chosen] = model.day
    pop.vwork_hours[chosen] = 0.0  # a new item: no hours booked on it yet
    model.count("new_vol_applications", chosen.size)
    model.create_volunteer_agents(chosen)


def scale_management(model: CommunityModel) -> None:
    """An emergency asks organisations for more onboarding capacity
    (``model.processing_multiplier``, set by the response cell). Those that can pay redeploy
    or hire management staff: the extra hours arrive after ``volunteers.vm_scale_up_lag_days``
    and cost ``volunteers.vm_hour_cost`` an hour from the organisation's balance. When the
    request ends, or the money does, the extra hours stop."""
    want, p = model.processing_multiplier, model.cfg.volunteers
    if want <= 1.0:  # nothing asked for: any scale-up stops
        # only this function sets the scale-up attributes: after one pass that resets them
        # nothing is left to reset until a request comes (most days: no pass at all)
        if model.__dict__.pop("_vm_scale_up_asked", False):
            for org in model.organisations:
                if org.vm_scale_up_asked_day != -1 or org.vm_extra_hours_per_week != 0.0:
                    org.vm_extra_hours_per_week = 0.0
                    org.vm_scale_up_asked_day = -1
        return
    model.__dict__["_vm_scale_up_asked"] = True
    cost = 0.0
    for org in model.organisations:
        if want <= 1.0 or not org.can_pay_for_staff():
            org.vm_extra_hours_per_week = 0.0
            org.vm_scale_up_asked_day = -1
            continue
        if org.vm_scale_up_asked_day < 0:
            org.vm_scale_up_asked_day = model.day
        org.vm_extra_hours_per_week = 0.0
        if model.day - org.vm_scale_up_asked_day >= p.vm_scale_up_lag_days:
            extra = (want - 1.0) * org.vm_hours_per_week
            paid = extra / 7.0 * p.vm_hour_cost
            if paid > org.balance:  # the money has run out: no extra hours today
                continue
            org.vm_extra_hours_per_week = extra
            org.balance -= paid
            org.spent += paid
            cost += paid
    if cost:
        model.count("new_funding_spent", cost)
        model.count("new_vm_scale_up_cost", cost)


def open_organisations(model: CommunityModel) -> tuple[list[Organisation], np.ndarray]:
    """The open organisations (the open groups, then the organisations that are not groups,
    which never close) and their indices (rows of ``group_state``), so daily passes skip the
    groups that have closed. Kept while ``model.open_groups()`` is the same list and no
    organisation has been added; the caller must not change them."""
    groups, n = model.open_groups(), len(model.organisations)
    cached = model.__dict__.get("_vm_open_orgs")
    if cached is None or cached[0] is not groups or cached[1] != n:
        seen, others = (cached[1], cached[2]) if cached is not None else (0, [])
        others = [*others, *(o for o in model.organisations[seen:]
                             if not isinstance(o, VCSEGroup))]
        orgs = [*groups, *others]
        cached = model.__dict__["_vm_open_orgs"] = (
            groups, n, others, orgs, np.fromiter((o.index for o in orgs), np.int64, len(orgs)))
    return cached[3], cached[4]


def tasks_and_management_hours(model: CommunityModel) -> tuple[np.ndarray, np.ndarray]:
    """Each organisation's ``tasks_today()`` and ``vm_hours_new_today()`` by index (0 if
    closed): the open groups' from their columns in one compiled call
    (``kernels.groups_tasks_and_hours``: the kind's management hours, as nothing but the LIO's
    books sets a group's own), the LIO's hours and the other organisations' (hospital trusts)
    asked one by one."""
    n_org = len(model.organisations)
    tasks, hours = np.zeros(n_org, np.float64), np.zeros(n_org, np.float64)
    state = model.group_state
    rows = model.open_group_rows()
    lios = kernels.groups_tasks_and_hours(
        rows, state.n_clients, state.distanced,
        float(model.cfg.volunteers.tasks_per_client_per_week),
        params_columns(model, rows, ("vm_hours_per_week",))[0], state.vm_extra_hours_per_week,
        state.kind_code, KIND_CODES[GroupKind.LIO], tasks, hours)
    open_orgs, open_idx = open_organisations(model)
    for k in lios.tolist():
        hours[open_idx[k]] = open_orgs[k].vm_hours_new_today()
    for k in range(rows.size, len(open_orgs)):  # not groups: they never close
        o = open_orgs[k]
        tasks[o.index], hours[o.index] = o.tasks_today(), o.vm_hours_new_today()
    return tasks, hours


def _org_constants(model: CommunityModel) -> tuple[np.ndarray, np.ndarray]:
    """Per organisation: hours to process an application, and whether it recognises a
    passport (``Organisation.accepts_passport``). Kept until an event
    (``model.capacity_epoch``) or the passport settings change; organisations added since
    are appended (no pass over every organisation ever made)."""
    v = model.cfg.volunteers
    orgs = model.organisations
    key = (model.capacity_epoch, v.passporting, v.passport_recognition_share)
    cached = model.__dict__.get("_vm_org_constants")
    fresh = cached is None or cached[0] != key  # (also: no organisation yet)
    seen = 0 if fresh else cached[1].size
    if fresh or seen != len(orgs):
        new = orgs[seen:]
        per_app = np.array([o.hours_per_application for o in new], np.float64)
        accepts = np.array([o.accepts_passport() for o in new], bool)
        if seen:
            per_app = np.concatenate([cached[1], per_app])
            accepts = np.concatenate([cached[2], accepts])
        cached = model.__dict__["_vm_org_constants"] = (key, per_app, accepts)
    return cached[1], cached[2]


def manage_volunteers(model: CommunityModel, volunteers: np.ndarray | None = None,
                      new_hours: np.ndarray | None = None) -> None:
    """Each organisation's volunteer-management hours for today (its funded hours a week / 7,
    plus what is left of this week's) are booked in order (003:162, 224-226, 232-254):

    1. keeping in touch with its trained volunteers;
    2. inductions of onboarding volunteers whose checks and training days are over;
    3. keeping in touch with those waiting (applicants and volunteers in onboarding);
    4. processing applications with the hours left, first come first served (full checks,
       or a passport check).

    In steps 2 and 4 each organisation finishes, in queue order, the items whose remaining
    hours fit; the first that does not fit takes the hours left (an induction: those left
    after step 3) and the work booked on it
    stays with that volunteer (``Population.vwork_hours``) until it is done, so an item
    costing more than a day's or a week's hours is done over several days or weeks. What
    cannot be booked waits: applications queue and inductions slip; where the hours do not
    cover keeping in touch, volunteers lose goodwill faster (``goodwill_and_dropout``).
    ``volunteers``: the volunteers past latent (``Population.volunteer_rows``) if known;
    ``new_hours``: today's ``tasks_and_management_hours(model)[1]``, if known."""
    pop, p = model.pop, model.cfg.volunteers
    if volunteers is None:
        volunteers = model.pop.volunteer_rows()
    n_org = len(model.organisations)
    columns = model.group_state  # hours left and contact covers by organisation index
    # closed organisations: no hours (a pass over the open ones only: about half the
    # organisations of a long run are groups that have closed)
    if new_hours is None:
        new_hours = tasks_and_management_hours(model)[1]
    open_orgs, open_idx = open_organisations(model)
    per_app, accepts = _org_constants(model)
    # 1. trained (and stood-down) volunteers; 2. inductions: those whose checks and training
    # days are over, oldest first; 3. keeping in touch with applicants and onboarding
    # volunteers; 4. processing applications with the hours left, first come first served:
    # the bookings and their effects (the inducted active, the processed in training) in one
    # compiled call, the hours left and contact covers (for goodwill_and_dropout) written
    (used, need_t, used_t, need_w, used_w, booked_i, booked_a, duplicated_cost, n_inducted,
     n_processed, n_duplicated, n_retrained, n_moved, days_moved
     ) = kernels.manage_volunteers_day(
        volunteers, pop.vorg, pop.vstate, pop.vsince, pop.vpassported, pop.vtrained_at,
        pop.vmoved_day, pop.vwork_hours, pop.vlast_task, _CONTACTED, model.org_training_days,
        accepts, per_app, new_hours, open_idx, columns.vm_hours_left,
        columns.vm_contact_cover_trained, columns.vm_contact_cover_waiting,
        p.contact_hours_per_active_per_week / 7.0, p.contact_hours_per_waiting_per_week / 7.0,
        model.day, int(V.ONBOARDING), int(V.APPLIED), int(V.ACTIVE),
        int(p.passport_induction_days), float(p.passport_induction_hours),
        float(p.induction_hours_per_volunteer), float(p.passport_check_hours))
    for books in model.lio_books:  # each LIO's volunteer processing: its hours used today
        if books.lio is not None:
            books.book("volunteer_processing", float(used[books.lio.index]))
    if model.burning_in:  # the day's flows are not counted
        return
    count = model.count
    count("new_vm_hours_available", float(new_hours.sum()))
    count("new_vol_applications_processable",
          float(np.divide(new_hours, per_app, out=np.zeros(n_org), where=per_app > 0).sum()))
    if n_moved:
        count("new_vol_redeployed", n_moved)
        count("sum_vol_days_to_redeploy", days_moved)
    count("new_vol_trained", n_inducted)
    count("new_vol_duplicated_checks", n_duplicated)
    count("new_vm_hours_duplicated_checks", float(duplicated_cost.sum()))
    count("new_vol_retrained", n_retrained)
    if n_processed:
        count("new_vol_processed", n_processed)
    count("new_vm_hours_used", float(used.sum()))
    count("new_vm_hours_processing", float(booked_a.sum()))
    count("new_vm_hours_induction", float(booked_i.sum()))
    count("new_vm_hours_contact", float(used_t.sum() + used_w.sum()))
    count("new_vm_contact_hours_needed", float(need_t.sum() + need_w.sum()))


def move_volunteer(model: CommunityModel, i: int, group: Organisation) -> None:
    """A trained volunteer moves to ``group`` (placed by the volunteer centre). The group's
    own checks come first: full checks and training, or, where it recognises a passport, a
    passport check and a short local induction, booked from its management hours. The time
    until active there is the time to redeploy (none where the group has no training: active
    there at once, ``kernels.activate_volunteer``, as an induction makes a volunteer)."""
    pop = model.pop
    pop.vorg[i] = group.index
    pop.vmoved_day[i] = model.day
    pop.vwork_hours[i] = 0.0  # the new group's checks start from nothing
    if group.training_days == 0:
        took = kernels.activate_volunteer(
            i, pop.vorg, pop.vstate, pop.vsince, pop.vlast_task, pop.vtrained_at,
            pop.vpassported, pop.vwork_hours, pop.vmoved_day, int(V.ACTIVE), model.day)
        model.count("new_vol_redeployed", 1)
        model.count("sum_vol_days_to_redeploy", took)
        return
    pop.vstate[i] = V.APPLIED
    pop.vsince[i] = model.day


def record_first_tasks(model: CommunityModel, idx: np.ndarray) -> None:
    """Volunteers ``idx`` did a task today: for those doing their first since applying,
    the days from application to first task."""
    pop = model.pop
    since = pop.vapplied_day[idx]
    first = since >= 0
    if first.any():
        model.count("new_vol_first_tasks", int(first.sum()))
        model.count("sum_vol_days_to_first_task",
                    int((model.day - since[first]).sum(dtype=np.int64)))
        pop.vapplied_day[idx[first]] = -1


def place_from_lio(model: CommunityModel, volunteers: np.ndarray | None = None) -> None:
    """Each district's volunteer centre (in district order) places trained volunteers with the
    groups that most need them, as many as its placement hours allow
    (``lio.hours_per_placement`` each, booked when used); without a passport the group's own
    checks and training start again. ``volunteers``: the volunteers
    past latent (``Population.volunteer_rows``) if known."""
    open_books = [b for b in model.lio_books if b.lio is not None and b.lio.is_open]
    if not open_books:
        return
    pop = model.pop
    if volunteers is None:
        volunteers = model.pop.volunteer_rows()
    # each LIO's trained volunteers, in one pass over the volunteers each (a centre places
    # only with groups, never with a centre: open_groups_reachable leaves LIOs out, so one's
    # placements leave the others' lists as they were)
    for b in open_books:
        _place_from(model, b, kernels.members_among(volunteers, pop.vorg, b.lio.index,
                                                    pop.vstate, V.ACTIVE, V.IDLE))


def _place_from(model: CommunityModel, books: LIOFunctions, held: np.ndarray) -> None:
    """One LIO's placements: ``held`` are its trained volunteers (in resident order)."""
    pop = model.pop
    k = books.placements_affordable(held.size)  # placement hours (sim.agents.lio)
    if k == 0:
        return
    held = held[np.argsort(pop.vsince[held], kind="stable")][:k]
    placed = 0
    for i in held.tolist():
        g = model.group_needing_volunteers(int(pop.unit[i]))
        if g is None:
            break
        placed += 1
        g.n_trained += 1
        move_volunteer(model, i, g)  # the group's checks: full, or passport (003:246-254)
    books.book_placements(placed)
    model.count("new_vol_placed", placed)


def refresh_trained_counts(model: CommunityModel, volunteers: np.ndarray | None = None
                           ) -> None:
    """Each organisation's trained volunteers (``n_trained``). ``volunteers``: the
    volunteers past latent (``Population.volunteer_rows``) if known: only they are read."""
    pop = model.pop
    if volunteers is None:
        volunteers = model.pop.volunteer_rows()
    n_org = len(model.organisations)
    # every organisation's, closed ones included, as one column (GroupState.n_trained)
    model.group_state.n_trained[:n_org] = kernels.count_by_org(
        pop.vorg, pop.vstate, _TRAINED, 1, n_org, volunteers)[0]


def assign_hours_offered(model: CommunityModel) -> None:
    """Hours a week each willing resident would give: 'a couple of hours a week', or 'one day a
    week' for a share of them (003:206). Drawn once, from the 'volunteer_hours' stream."""
    pop, p = model.pop, model.cfg.volunteers
    willing = kernels.flatnonzero(pop.vstate != V.NONE)
    one_day = model.streams.volunteer_hours.random(willing.size) < p.share_one_day_a_week
    pop.vhours_offer[willing] = np.where(one_day, p.hours_one_day_a_week, p.hours_per_week)


def new_week(model: CommunityModel) -> None:
    """Monday: this week's hours start from the ongoing roles that are still running."""
    pop = model.pop
    ended = pop.vcommitted_until <= model.day
    pop.vhours_committed[ended] = 0.0
    pop.vhours_used[:] = pop.vhours_committed
    model.group_state.vm_hours_left[:] = 0.0  # management hours are a weekly budget too
    # ongoing roles (buddying, response-cell support) give their hours again this week
    model.count("new_vol_hours", float(pop.vhours_committed.sum(dtype=np.float64)))


def allocate_tasks(model: CommunityModel, volunteers: np.ndarray | None = None,
                   group_tasks: np.ndarray | None = None) -> None:
    """Organisations hand out today's tasks to their trained volunteers who still have the
    hours this week, at random; tasks nobody has the hours for are not done. Volunteers with
    no task for ``idle_after_days`` are idle. ``volunteers``: the volunteers
    past latent (``Population.volunteer_rows``) if known. ``group_tasks``: today's
    ``tasks_and_management_hours(model)[0]`` if worked out earlier in the day with the groups'
    clients as they are now: the other organisations' (hospital trusts', by their trained
    volunteers) are asked again here. One compiled call (``kernels.allocate_tasks_day``)
    draws from the 'volunteers' stream as ``random(organisations)`` then
    ``random(trained volunteers)`` would."""
    pop, p = model.pop, model.cfg.volunteers
    if volunteers is None:
        volunteers = model.pop.volunteer_rows()
    # a closed group gives no tasks (VCSEGroup.tasks_today); other organisations never close
    if group_tasks is None:
        expected = tasks_and_management_hours(model)[0]
    else:
        expected = group_tasks
        open_orgs = open_organisations(model)[0]
        for k in range(model.open_group_rows().size, len(open_orgs)):
            o = open_orgs[k]
            expected[o.index] = o.tasks_today()
    (stream,) = kernels.model_stream_handles(model, _VOLUNTEERS_STREAM)
    (n_trained, hours, n_tasks, n_first, days_first, n_hospital, unstaffed
     ) = kernels.allocate_tasks_day(
        stream, volunteers, pop.vorg, pop.vstate, pop.nhs_volunteer, pop.vhours_offer,
        pop.vhours_used, pop.vlast_task, pop.vapplied_day, pop.goodwill, expected,
        np.float32(p.hospital_task_hours), np.float32(p.group_task_hours), model.day,
        np.float32(p.goodwill_gain_task), int(p.idle_after_days), int(V.ACTIVE), int(V.IDLE))
    if n_trained == 0 or model.burning_in:  # nobody to give tasks; or flows not counted
        return
    count = model.count
    count("new_vol_hours", float(np.sum(hours, dtype=np.float64)) if n_tasks else 0.0)
    if n_first:
        count("new_vol_first_tasks", n_first)
        count("sum_vol_days_to_first_task", days_first)
    count("new_vol_tasks_unstaffed", unstaffed)
    count("new_vol_tasks", n_tasks)
    count("new_vol_tasks_hospital", n_hospital)


_VOLUNTEERS_STREAM = ("volunteers",)


def goodwill_and_dropout(model: CommunityModel, volunteers: np.ndarray | None = None) -> None:
    """Goodwill falls while volunteers wait or are idle; those whose goodwill is gone drop
    out, and active volunteers leave at a daily rate; lapsed volunteers become willing again.
    ``volunteers``: the volunteers past latent (``Population.volunteer_rows``) if known.
    One compiled call (``kernels.goodwill_day``): volunteers waiting (applied, onboarding)
    or idle (or stood down) lose goodwill, ``uncontacted_decay_factor`` times faster where
    their organisation had no hours to keep in touch (its contact cover, 003:162-164, from
    ``manage_volunteers``); it draws from the 'volunteers' stream as ``random(active)`` (and
    ``random(lapsed)``, unless lapsed volunteers rejoin at once) would."""
    pop, p = model.pop, model.cfg.volunteers
    if volunteers is None:
        volunteers = model.pop.volunteer_rows()
    n_org, columns = len(model.organisations), model.group_state
    (stream,) = kernels.model_stream_handles(model, _VOLUNTEERS_STREAM)
    loss_w, loss_i, n_gone_waiting, n_gone_idle, n_attrition = kernels.goodwill_day(
        stream, volunteers, pop.vstate, pop.vorg, pop.goodwill,
        columns.vm_contact_cover_waiting[:n_org], columns.vm_contact_cover_trained[:n_org],
        float(p.uncontacted_decay_factor - 1.0), float(p.goodwill_decay_waiting),
        float(p.goodwill_decay_idle), float(p.p_attrition_per_day),
        bool(p.rejoin_latent_after_lapse),
        0.0 if p.rejoin_latent_after_lapse else 1.0 / (365.0 * p.mean_years_lapsed), pop.vsince,
        pop.vapplied_day, pop.vmoved_day, pop.vpassported, pop.vwork_hours, pop.nhs_volunteer,
        int(V.APPLIED), int(V.ONBOARDING), int(V.IDLE), int(V.STOOD_DOWN), int(V.ACTIVE),
        int(V.LAPSED), int(V.LATENT), model.day)
    if model.burning_in:  # the day's flows are not counted
        return
    count = model.count
    count("new_vol_goodwill_lost_waiting", float(loss_w.sum(dtype=np.float64)))
    count("new_vol_goodwill_lost_idle", float(loss_i.sum(dtype=np.float64)))
    count("new_vol_dropouts_waiting", n_gone_waiting)
    count("new_vol_dropouts_idle", n_gone_idle)
    count("new_vol_attrition", n_attrition)


def release_volunteers_of(model: CommunityModel, group: VCSEGroup,
                          among: np.ndarray | None = None) -> None:
    """A group has closed: its volunteers go back to the volunteer centre's queue, or lapse.
    ``among``: a superset of its volunteers in resident order, if known (default: everyone)."""
    pop = model.pop
    if among is None:
        idx = kernels.org_members(pop.vorg, pop.vstate, group.index, V.APPLIED, V.IDLE)
    else:
        idx = kernels.members_among(among, pop.vorg, group.index, pop.vstate, V.APPLIED, V.IDLE)
    if idx.size == 0:
        return
    pop.vwork_hours[idx] = 0.0  # work booked by the closed group is not the centre's
    lio = model.lio_of_district(group.district)  # its district's, if open
    if lio is not None and lio is not group:
        pop.vorg[idx] = lio.index
        pop.vstate[idx] = np.where(pop.vstate[idx] >= V.ACTIVE, V.ACTIVE, V.APPLIED)
    else:
        pop.vstate[idx] = V.LAPSED
        pop.vsince[idx] = model.day
        pop.vapplied_day[idx] = -1
        pop.vmoved_day[idx] = -1


def step(model: CommunityModel) -> None:
    """The volunteers' day. After today's applications nobody leaves the latent (or
    unwilling) states in this phase (placements, bookings, tasks and dropouts move volunteers
    between later states, or back to latent), so one list of the volunteers past latent
    (``Population.volunteer_rows``), made after the applications, holds every volunteer each
    later pass reads."""
    applications(model)
    volunteers = model.pop.volunteer_rows()
    place_from_lio(model, volunteers)  # moves join the receiving group's queue first
    scale_management(model)
    # the groups' tasks and every organisation's management hours, once: nothing until the
    # tasks are handed out changes a group's clients; the trusts' tasks follow their trained
    # volunteers, counted afresh in between, and are asked again (allocate_tasks)
    tasks, hours = tasks_and_management_hours(model)
    manage_volunteers(model, volunteers, hours)
    refresh_trained_counts(model, volunteers)
    allocate_tasks(model, volunteers, tasks)
    goodwill_and_dropout(model, volunteers)
