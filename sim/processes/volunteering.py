"""Volunteer lifecycle, vectorised: latent -> applied -> onboarding -> active <-> idle -> lapsed
(or stood down). Applications are processed by each organisation's limited volunteer-management
capacity (003:224-226); training is per organisation unless passported (003:232-254); goodwill
decays while waiting or idle and volunteers drop out when it is gone (003:39, 003:164)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.agents.organisations import GroupKind, VCSEGroup
from sim.state import VSTATE as V  # plain ints: fast in numpy

if TYPE_CHECKING:
    from sim.model import CommunityModel

TRAINED_STATES = (V.ACTIVE, V.IDLE)
WAITING_STATES = (V.APPLIED, V.ONBOARDING)


def _rank_within(groups: np.ndarray, order_keys: tuple[np.ndarray, ...]) -> np.ndarray:
    """Rank of each element within its group, ordered by ``order_keys`` (last key primary)."""
    order = np.lexsort(order_keys + (groups,))
    g_sorted = groups[order]
    position = np.arange(groups.size)
    starts = np.empty(groups.size, bool)
    starts[:1] = True
    np.not_equal(g_sorted[1:], g_sorted[:-1], out=starts[1:])
    first = np.maximum.accumulate(np.where(starts, position, 0))  # start of each run
    rank = np.empty(groups.size, np.int64)
    rank[order] = position - first
    return rank


def applications(model: CommunityModel) -> None:
    """Latent volunteers apply (a campaign multiplies the rate) to the volunteer centre or a
    local group."""
    pop, p = model.pop, model.cfg.volunteers
    rng = model.streams.volunteers
    latent = np.flatnonzero(pop.vstate == V.LATENT)
    if latent.size == 0:
        return
    k = int(rng.binomial(latent.size, min(p.p_apply_per_day * p.campaign_multiplier, 1.0)))
    if k == 0:
        return
    chosen = np.sort(rng.choice(latent, size=k, replace=False))
    draw = rng.random(k)
    to_lio = draw < p.share_apply_to_lio
    trust = model.nhs_trust if model.nhs_trust is not None and not model.nhs_trust.stood_down \
        else None
    to_trust = (draw >= 1.0 - p.share_apply_to_hospital) & (trust is not None)
    lio = model.lio if model.lio is not None and model.lio.is_open else None
    orgs = np.full(k, -1, np.int32)
    for j, i in enumerate(chosen.tolist()):
        if to_trust[j]:
            orgs[j] = trust.index
            continue
        if lio is not None and to_lio[j]:
            orgs[j] = lio.index
            continue
        local = [g for g in model.groups_by_unit.get(int(pop.unit[i]), ())
                 if g.is_open and g.kind is not GroupKind.LIO]
        if local:
            orgs[j] = local[int(rng.integers(len(local)))].index
        elif lio is not None:
            orgs[j] = lio.index
    ok = orgs >= 0
    chosen, orgs = chosen[ok], orgs[ok]
    if trust is not None:
        pop.nhs_volunteer[chosen[orgs == trust.index]] = True
    pop.vstate[chosen] = V.APPLIED
    pop.vorg[chosen] = orgs
    pop.vsince[chosen] = model.day
    model.count("new_vol_applications", chosen.size)
    model.create_volunteer_agents(chosen)


def process_applications(model: CommunityModel) -> None:
    """Each organisation processes its queue in order of application, up to its capacity."""
    pop = model.pop
    applied = np.flatnonzero(pop.vstate == V.APPLIED)
    if applied.size == 0:
        return
    cap = np.array([org.applications_to_process() for org in model.organisations], np.int64)
    org = pop.vorg[applied]
    rank = _rank_within(org, (applied, pop.vsince[applied]))
    taken = applied[rank < cap[org]]
    if taken.size:
        _start_training(model, taken)
        model.count("new_vol_processed", taken.size)


def _start_training(model: CommunityModel, idx: np.ndarray) -> None:
    """Onboarding at the volunteer's organisation; passported volunteers skip repeat checks."""
    pop = model.pop
    pop.vstate[idx] = V.ONBOARDING
    pop.vsince[idx] = model.day
    if model.cfg.volunteers.passporting:
        skip = idx[pop.vtrained_at[idx] >= 0]
        _activate(model, skip)
    no_training = idx[model.org_training_days[pop.vorg[idx]] == 0]
    _activate(model, no_training)


def _activate(model: CommunityModel, idx: np.ndarray) -> None:
    pop = model.pop
    pop.vstate[idx] = V.ACTIVE
    pop.vsince[idx] = model.day
    pop.vlast_task[idx] = model.day
    pop.vtrained_at[idx] = pop.vorg[idx]


def finish_onboarding(model: CommunityModel) -> None:
    pop = model.pop
    idx = np.flatnonzero(pop.vstate == V.ONBOARDING)
    done = idx[model.day - pop.vsince[idx] >= model.org_training_days[pop.vorg[idx]]]
    _activate(model, done)
    model.count("new_vol_trained", done.size)


def place_from_lio(model: CommunityModel) -> None:
    """The volunteer centre places trained volunteers with the groups that most need them, as
    many as its placement hours allow (``lio.hours_per_placement`` each, booked when used);
    without a passport the group's own checks and training start again."""
    lio = model.lio
    if lio is None or not lio.is_open:
        return
    pop = model.pop
    p = model.cfg.volunteers
    held = np.flatnonzero(((pop.vstate == V.ACTIVE) | (pop.vstate == V.IDLE))
                          & (pop.vorg == lio.index))
    k = model.lio_functions.placements_affordable(held.size)  # placement hours (sim.agents.lio)
    if k == 0:
        return
    held = held[np.argsort(pop.vsince[held], kind="stable")][:k]
    placed = 0
    for i in held.tolist():
        g = model.group_needing_volunteers(int(pop.unit[i]))
        if g is None:
            break
        placed += 1
        pop.vorg[i] = g.index
        g.n_trained += 1
        if p.passporting or g.training_days == 0:
            pop.vtrained_at[i] = g.index
            continue
        pop.vstate[i] = V.ONBOARDING
        pop.vsince[i] = model.day
        model.count("new_vol_retrained")
    model.lio_functions.book_placements(placed)
    model.count("new_vol_placed", placed)


def refresh_trained_counts(model: CommunityModel) -> None:
    pop = model.pop
    trained = (pop.vstate == V.ACTIVE) | (pop.vstate == V.IDLE)
    counts = np.bincount(pop.vorg[trained], minlength=len(model.organisations))
    for org, c in zip(model.organisations, counts.tolist(), strict=True):
        org.n_trained = c


def assign_hours_offered(model: CommunityModel) -> None:
    """Hours a week each willing resident would give: 'a couple of hours a week', or 'one day a
    week' for a share of them (003:206). Drawn once, from the 'volunteer_hours' stream."""
    pop, p = model.pop, model.cfg.volunteers
    willing = np.flatnonzero(pop.vstate != V.NONE)
    one_day = model.streams.volunteer_hours.random(willing.size) < p.share_one_day_a_week
    pop.vhours_offer[willing] = np.where(one_day, p.hours_one_day_a_week, p.hours_per_week)


def new_week(model: CommunityModel) -> None:
    """Monday: this week's hours start from the ongoing roles that are still running."""
    pop = model.pop
    ended = pop.vcommitted_until <= model.day
    pop.vhours_committed[ended] = 0.0
    pop.vhours_used[:] = pop.vhours_committed
    # ongoing roles (buddying, response-cell support) give their hours again this week
    model.count("new_vol_hours", float(pop.vhours_committed.sum(dtype=np.float64)))


def allocate_tasks(model: CommunityModel) -> None:
    """Organisations hand out today's tasks to their trained volunteers who still have the
    hours this week, at random; tasks nobody has the hours for are not done. Volunteers with
    no task for ``idle_after_days`` are idle."""
    pop, p = model.pop, model.cfg.volunteers
    rng = model.streams.volunteers
    trained = np.flatnonzero((pop.vstate == V.ACTIVE) | (pop.vstate == V.IDLE))
    if trained.size == 0:
        return
    expected = np.array([org.tasks_today() for org in model.organisations])
    tasks = np.floor(expected + rng.random(expected.size)).astype(np.int64)
    org = pop.vorg[trained]
    draw = rng.random(trained.size)
    hospital = pop.nhs_volunteer[trained]
    hours = np.where(hospital, np.float32(p.hospital_task_hours),
                     np.float32(p.group_task_hours))
    free = pop.hours_left(trained) >= hours
    able, able_org, able_hours = trained[free], org[free], hours[free]
    rank = _rank_within(able_org, (draw[free],))
    took = rank < tasks[able_org]
    worked = able[took]
    model.volunteer_tasks(worked, able_hours[took])
    staffed = np.bincount(able_org[took], minlength=tasks.size)
    model.count("new_vol_tasks_unstaffed", int(np.maximum(tasks - staffed, 0).sum()))
    model.count("new_vol_tasks", worked.size)
    model.count("new_vol_tasks_hospital", int(pop.nhs_volunteer[worked].sum()))
    idle = trained[model.day - pop.vlast_task[trained] > p.idle_after_days]
    pop.vstate[trained] = V.ACTIVE
    pop.vstate[idle] = V.IDLE


def goodwill_and_dropout(model: CommunityModel) -> None:
    pop, p = model.pop, model.cfg.volunteers
    vs = pop.vstate
    waiting = np.flatnonzero((vs == V.APPLIED) | (vs == V.ONBOARDING))
    idle = np.flatnonzero((vs == V.IDLE) | (vs == V.STOOD_DOWN))
    pop.goodwill[waiting] -= np.float32(p.goodwill_decay_waiting)
    pop.goodwill[idle] -= np.float32(p.goodwill_decay_idle)
    gone_waiting = waiting[pop.goodwill[waiting] <= 0]
    gone_idle = idle[pop.goodwill[idle] <= 0]
    active = np.flatnonzero(vs == V.ACTIVE)
    attrition = active[model.streams.volunteers.random(active.size) < p.p_attrition_per_day]
    for idx in (gone_waiting, gone_idle, attrition):
        pop.vstate[idx] = V.LAPSED
        pop.vsince[idx] = model.day
    model.count("new_vol_dropouts_waiting", gone_waiting.size)
    model.count("new_vol_dropouts_idle", gone_idle.size)
    model.count("new_vol_attrition", attrition.size)
    if p.rejoin_latent_after_lapse:
        lapsed = np.concatenate([gone_waiting, gone_idle, attrition])
    else:  # willing again after a while
        lapsed = np.flatnonzero(vs == V.LAPSED)
        lapsed = lapsed[model.streams.volunteers.random(lapsed.size)
                        < 1.0 / (365.0 * p.mean_years_lapsed)]
    pop.vstate[lapsed] = V.LATENT
    pop.vorg[lapsed] = -1
    pop.nhs_volunteer[lapsed] = False
    pop.goodwill[lapsed] = 1.0


def release_volunteers_of(model: CommunityModel, group: VCSEGroup) -> None:
    """A group has closed: its volunteers go back to the volunteer centre's queue, or lapse."""
    pop = model.pop
    idx = np.flatnonzero((pop.vorg == group.index) & (pop.vstate >= V.APPLIED)
                         & (pop.vstate <= V.IDLE))
    if idx.size == 0:
        return
    lio = model.lio
    if lio is not None and lio.is_open and lio is not group:
        pop.vorg[idx] = lio.index
        pop.vstate[idx] = np.where(pop.vstate[idx] >= V.ACTIVE, V.ACTIVE, V.APPLIED)
    else:
        pop.vstate[idx] = V.LAPSED
        pop.vsince[idx] = model.day


def step(model: CommunityModel) -> None:
    applications(model)
    process_applications(model)
    finish_onboarding(model)
    place_from_lio(model)
    refresh_trained_counts(model)
    allocate_tasks(model)
    goodwill_and_dropout(model)
