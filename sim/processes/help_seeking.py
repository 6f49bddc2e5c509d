"""Help seeking by channel, routine GP consultations and statutory referrals.

Who seeks help and by which channel is drawn vectorised; routing the (few) seekers to
organisations calls the organisation agents.
"""

from __future__ import annotations

import itertools
import operator
from typing import TYPE_CHECKING

import numpy as np

from sim import kernels
from sim.agents.organisations import choice_by_cumulative
from sim.rng import pick_index
from sim.state import NEED as Need  # plain ints: fast in numpy
from sim.state import PATHWAY as Pathway
from sim.state import VSTATE

TRAINED = (VSTATE.ACTIVE, VSTATE.IDLE)

if TYPE_CHECKING:
    from sim.model import CommunityModel

CHANNELS = ("gp", "self_referral", "informal", "group", "intermediary")
_HELP_SEEKING_STREAM, _GP_STREAM, _WAITING_STREAM = ("help_seeking",), ("gp",), ("waiting",)
_STATUTORY_STREAM = ("statutory",)
_ANY_PATHWAY = max(Pathway)  # pathway codes run from 0 (NONE) up to this


def channel_weights(model: CommunityModel, idx: np.ndarray) -> np.ndarray:
    """(k, 5) channel weights for residents ``idx``: GP (by access to the practice), self-referral
    (digital access, awareness where a link worker serves), ties (anyone with one), a group
    in reach, an intermediary in reach (a compiled loop: ``kernels.channel_weights``, with the
    arguments :func:`seek_help`'s kernel takes)."""
    return kernels.channel_weights(np.asarray(idx, np.int64), *_channel_inputs(model))


def _channel_inputs(model: CommunityModel) -> tuple:
    """What ``kernels.channel_weights`` reads after the residents: their columns, the
    practices' access, the units' awareness and reach, and the weights (as floats)."""
    pop, h = model.pop, model.cfg.help_seeking
    return (pop.gp, pop.digital, pop.unit, pop.degree, model.gp_access,
            np.asarray(model.lw_awareness, np.float64), model.unit_has_groups,
            model.unit_has_intermediary, float(h.weight_gp), float(h.weight_self_referral),
            float(h.mult_self_referral_digital), float(h.mult_self_referral_excluded),
            float(h.weight_informal), float(h.weight_group), float(h.weight_intermediary))


def give_up_waiting(model: CommunityModel) -> None:
    """Residents waiting for a link worker (inbox or waiting list) give up at a daily hazard of
    1 / ``link_worker.mean_days_before_giving_up``; their entries leave the lists."""
    pop = model.pop
    (stream,) = kernels.model_stream_handles(model, _WAITING_STREAM)
    # one compiled call: waiting[rng.random(waiting.size) < 1 / mean days] of those waiting,
    # their pathway none, and those a GP referred
    n_waiting, gone, from_gp = kernels.give_up_today(
        stream, pop.pathway, int(Pathway.WAITING), int(Pathway.NONE),
        1.0 / model.cfg.link_worker.mean_days_before_giving_up, pop.lw_from_gp)
    if n_waiting == 0:
        return
    model.count("new_referrals_gave_up", gone.size)
    for i in from_gp.tolist():  # a few a day: the GP hears nothing back
        model.tell_referring_practice(i, helped=False)


def take_gp_advice(model: CommunityModel) -> None:
    """Residents an intermediary told to see their GP (``model.gp_advised``) go, each day with
    the chance that they reach the practice (its access, which halves every
    ``gp_distance_halving_miles``), until they go, their need ends or other support or a
    referral is under way; a visit is a consultation raising a non-medical need. Runs every
    day; nobody is advised where every intermediary has a tie to health."""
    advised = model.gp_advised
    if not advised:
        return
    pop = model.pop
    idx = np.array(sorted(advised), np.int64)
    done = (pop.need[idx] == Need.NONE) | (pop.pathway[idx] != Pathway.NONE)
    advised.difference_update(idx[done].tolist())
    idx = idx[~done]
    if idx.size == 0:
        return
    go = idx[model.streams.intermediaries.random(idx.size) < model.gp_access[pop.gp[idx]]]
    advised.difference_update(go.tolist())
    model.count("new_gp_visits_advised", go.size)
    model.count("new_gp_consultations", go.size)
    model.count("new_gp_consultations_nonmedical", go.size)
    for i in go.tolist():
        model.gp_practices[pop.gp[i]].consult_nonmedical(i)


def residents_in_need(model: CommunityModel) -> np.ndarray:
    """Residents in need (any level, any pathway), in order: one pass over the population
    that :func:`seek_help`, :func:`routine_consultations` and :func:`statutory_referrals`
    share (the first and last select among these by the pathway and level they read then;
    the consultations take them as they are). That is exact while no need level changes
    between this pass and the statutory referrals: onsets and support's end come in
    ``need.day`` and events, earlier in the day, and a hidden need surfaces only at a link
    worker's contact, later (referrals, offers and advice change pathways only).
    ``tests/test_hot_paths.py`` checks each selection against a full pass."""
    pop = model.pop
    return kernels.need_and_pathway(pop.need, pop.pathway, Need.LOW, _ANY_PATHWAY)


def _among_in_need(model: CommunityModel, in_need: np.ndarray | None, need_min: int,
                   pathway_max: int) -> np.ndarray:
    """``np.flatnonzero((need >= need_min) & (pathway <= pathway_max))``, from ``in_need``
    (:func:`residents_in_need` of this phase) if given, else by a pass over everyone."""
    pop = model.pop
    if in_need is None:
        return kernels.need_and_pathway(pop.need, pop.pathway, need_min, pathway_max)
    return kernels.rows_in_need_and_pathway(in_need, pop.need, pop.pathway, need_min,
                                            pathway_max)


def seek_help(model: CommunityModel, in_need: np.ndarray | None = None) -> None:
    """Residents in unmet need with no referral under way seek help through one channel;
    residents waiting for a link worker may also look elsewhere (not the GP or a second
    referral), less often. ``in_need``: :func:`residents_in_need` of this phase, if known.
    Who seeks and by which channel is one compiled call (``kernels.help_seekers_today``:
    the weights of :func:`channel_weights`, drawn from the 'help_seeking' stream as
    ``random(candidates)`` then ``random(seekers with some channel weight)`` would; seekers
    with none drop out uncounted); each seeker is then routed in turn
    (:func:`route_in_turn`)."""
    pop = model.pop
    h = model.cfg.help_seeking
    rng = model.streams.help_seeking
    if in_need is None:
        in_need = residents_in_need(model)
    (stream,) = kernels.model_stream_handles(model, _HELP_SEEKING_STREAM)
    seekers, choice = kernels.help_seekers_today(
        stream, in_need, pop.need, pop.pathway, int(Need.LOW), int(Pathway.WAITING),
        float(h.p_seek_per_day),
        float(h.p_seek_per_day * model.cfg.link_worker.waiting_seek_elsewhere),
        *_channel_inputs(model))
    if seekers.size == 0:
        return
    model.count("new_help_seekers", seekers.size)
    route_in_turn(model, seekers, choice, rng)


COMPILED_ROUTING_FROM = 64
"""Seekers in a day from which :func:`route_in_turn` routes them through the compiled pass:
below it (the urban default's dozen or so) re-entering the pass at every seeker whose route
does something costs more than it saves (measured in place, 2026-12-05: the urban default's
routing 108 us a day one by one, 126 through the pass; a 300,000 county's 1.60 -> 1.30 ms)."""


def route_in_turn(model: CommunityModel, seekers: np.ndarray, choice: np.ndarray,
                  rng: np.random.Generator) -> None:
    """Route each of ``seekers`` in order by its channel (``choice``, :data:`CHANNELS`), as
    one at a time: a seeker past waiting for a link worker when their turn comes is passed
    over; the GP's consultation is ``GPPractice.consult_nonmedical``'s (counted as a
    consultation raising a need); asking ties is :func:`ask_ties`, a group
    :func:`approach_group`, an intermediary its signposting. From
    :data:`COMPILED_ROUTING_FROM` seekers on, those who see their GP and those who ask ties
    with no time to give go through one compiled pass (``kernels.next_seeker_action``) up to
    each seeker whose route does something, carried out here before the pass goes on. As in
    :func:`consult_in_turn`, nothing the pass reads changes meanwhile but the pathways, read
    as they stand: no route of another channel ties a practice or gives it feedback, and none
    draws from the 'gp' stream."""
    pop = model.pop
    if seekers.size < COMPILED_ROUTING_FROM:
        for i, c in zip(seekers.tolist(), choice.tolist(), strict=True):
            if pop.pathway[i] > Pathway.WAITING:
                continue
            if c == 0:
                model.count("new_gp_consultations")
                model.count("new_gp_consultations_nonmedical")
                model.gp_practices[pop.gp[i]].consult_nonmedical(i)
            else:
                _route(model, i, c, rng)
        return
    practices = model.gp_practices
    engagement, ties_start, ties = _practice_routes(model)
    visits = np.zeros(len(practices), np.int64)
    consulted = np.zeros(seekers.size, np.bool_)
    (gp_stream,) = kernels.model_stream_handles(model, _GP_STREAM)
    a = pop.adjacency
    head = (gp_stream, seekers, choice)
    tail = (pop.pathway, int(Pathway.NONE), int(Pathway.WAITING), pop.gp, engagement,
            ties_start, ties, float(model.cfg.gp.p_signpost_tied_group), visits, consulted,
            a.indptr, a.indices, pop.vstate, pop.vhours_offer, pop.vhours_used, TRAINED[0],
            TRAINED[1], np.float32(model.cfg.volunteers.informal_task_hours))
    j = 0
    while True:
        j, action, g = kernels.next_seeker_action(*head, j, *tail)
        if action == kernels.SEEK_DONE:
            break
        i = int(seekers[j])
        if action == kernels.SEEK_GP_REFER:
            model.refer_to_link_worker(i, "gp")
        elif action == kernels.SEEK_GP_OFFER:
            model.tie_last_use[(practices[int(pop.gp[i])].index, g)] = model.day
            model.offer_to_group(i, g, "gp")
        else:
            _route(model, i, int(choice[j]), rng)
        j += 1
    n_gp = int(visits.sum())
    if n_gp:
        model.count("new_gp_consultations", n_gp)
        model.count("new_gp_consultations_nonmedical", n_gp)
        for k in visits.nonzero()[0].tolist():  # 1-d: np.flatnonzero's, without its ravel
            practices[k].n_nonmedical += int(visits[k])
        if model.gp_advised:
            model.gp_advised.difference_update(seekers[consulted].tolist())


def _route(model: CommunityModel, i: int, channel: int, rng: np.random.Generator) -> None:
    """Seeker ``i``'s route by ``channel`` other than the GP (:data:`CHANNELS`)."""
    if channel == 1:
        model.pop.self_referred[i] = True
        model.refer_to_link_worker(i, "self")
    elif channel == 2:
        ask_ties(model, i, rng)
    elif channel == 3:
        approach_group(model, i, rng)
    else:
        for hub in model.intermediaries_for(int(model.pop.unit[i])):
            if hub.signpost(i):
                break


def ask_ties(model: CommunityModel, i: int, rng: np.random.Generator) -> bool:
    """Ask friends, family and neighbours: a tie who volunteers may help (mutual aid)."""
    pop = model.pop
    hours = model.cfg.volunteers.informal_task_hours
    a = pop.adjacency  # trained ties with time left this week
    helpers = kernels.ties_with_time(i, a.indptr, a.indices, pop.vstate, pop.vhours_offer,
                                     pop.vhours_used, TRAINED[0], TRAINED[1], np.float32(hours))
    if helpers.size == 0:
        return False
    p = 1.0 - (1.0 - model.cfg.help_seeking.p_informal_help_per_helper) ** helpers.size
    if rng.random() >= p:
        return False
    model.volunteer_tasks(helpers[pick_index(rng, helpers.size):][:1], hours)
    model.start_support(i, Pathway.INFORMAL, model.cfg.help_seeking.informal_support_days)
    model.count("new_informal_help")
    return True


def approach_group(model: CommunityModel, i: int, rng: np.random.Generator) -> None:
    """Go to a group the resident knows of (listed or not); a group that cannot help may
    refer on to a link worker (004:361)."""
    pop = model.pop
    options, cumulative = model.reachable_with_weights(int(pop.unit[i]))
    if not options:
        return
    g = options[choice_by_cumulative(rng, cumulative)]  # by believed size + 1
    result = model.offer_to_group(i, g.index, "self")
    if result == "declined" and g.on_directory and model.link_worker_for(i) is not None and (
            rng.random() < model.cfg.help_seeking.p_vcse_onward_referral):
        model.refer_to_link_worker(i, "vcse")


def routine_consultations(model: CommunityModel, in_need: np.ndarray | None = None) -> None:
    """GP consultations: residents in need consult more often and may raise the non-medical
    need (1 in 5 consultations carry one, 002:95, emerges from these rates). ``in_need``:
    :func:`residents_in_need` of this phase, if known."""
    pop, g = model.pop, model.cfg.gp
    rng = model.streams.gp
    if in_need is None:  # given, it is this selection already (need levels stand)
        in_need = residents_in_need(model)
    rate = g.consults_per_year / 365.0
    n_other = int(rng.binomial(pop.n - in_need.size, min(rate * model.mean_gp_access, 1.0)))
    model.count("new_gp_consultations", n_other)
    if in_need.size == 0:
        return
    # in_need[r < min(rate * mult * the practice's access, 1)], then those raising a need:
    # one compiled call drawing from the 'gp' stream as two random() arrays would
    (stream,) = kernels.model_stream_handles(model, _GP_STREAM)
    n_consulting, raised = kernels.consultations_today(
        stream, in_need, pop.gp, model.gp_access, rate * g.mult_consults_with_need,
        float(g.p_raise_nonmedical))
    model.count("new_gp_consultations", n_consulting)
    model.count("new_gp_consultations_nonmedical", raised.size)
    if raised.size:
        consult_in_turn(model, raised)


def consult_in_turn(model: CommunityModel, raised: np.ndarray) -> None:
    """``GPPractice.consult_nonmedical(i)`` for each of ``raised`` in order whose pathway is
    none when their turn comes, as the calls one by one would do it: the consultations that
    lead nowhere, and the draws that decide each, in one compiled pass
    (``kernels.next_consultation_action``), stopping at each referral to a link worker or
    signposting to a tied group, which is carried out here before the pass goes on (a
    group's offer may change other residents' pathways). What the pass reads stays as it is
    meanwhile: a practice's engagement and open tied groups change with feedback on
    referrals and with ties made or ended, neither of which a referral or an offer does
    (joint cases are tied later in the day, ``emergency.respond``). Each practice's
    ``n_nonmedical`` and ``model.gp_advised`` are brought up to date at the end."""
    pop, practices = model.pop, model.gp_practices
    engagement, ties_start, ties = _practice_routes(model)
    visits = np.zeros(len(practices), np.int64)
    consulted = np.zeros(raised.size, np.bool_)
    (stream,) = kernels.model_stream_handles(model, _GP_STREAM)
    p_signpost = float(model.cfg.gp.p_signpost_tied_group)
    j, none = 0, int(Pathway.NONE)
    while True:
        j, action, g = kernels.next_consultation_action(
            stream, raised, j, pop.pathway, none, pop.gp, engagement, ties_start, ties,
            p_signpost, visits, consulted)
        if action == kernels.CONSULT_DONE:
            break
        i = int(raised[j])
        if action == kernels.CONSULT_REFER:
            model.refer_to_link_worker(i, "gp")
        else:
            model.tie_last_use[(practices[int(pop.gp[i])].index, g)] = model.day
            model.offer_to_group(i, g, "gp")
        j += 1
    for k in visits.nonzero()[0].tolist():  # 1-d: np.flatnonzero's, without its ravel
        practices[k].n_nonmedical += int(visits[k])
    if model.gp_advised:
        model.gp_advised.difference_update(raised[consulted].tolist())


def _practice_routes(model: CommunityModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each practice's chance of referring a raised need to a link worker
    (``GPPractice.engagement()``, today's) and its open tied groups (``open_ties()``) as
    (start of each practice's, all in practice order), the latter kept while every practice's
    list is the same (``open_ties`` returns the same list while its ties stand)."""
    practices = model.gp_practices
    engagement = np.array([gp.engagement() for gp in practices], np.float64)
    lists = [gp.open_ties() for gp in practices]
    cached = model.__dict__.get("_practice_ties_flat")
    if (cached is None or len(cached[0]) != len(lists)
            or not all(map(operator.is_, cached[0], lists))):
        sizes = np.fromiter(map(len, lists), np.int64, len(lists))
        start = np.zeros(len(lists) + 1, np.int64)
        np.cumsum(sizes, out=start[1:])
        flat = np.fromiter(itertools.chain.from_iterable(lists), np.int64, int(start[-1]))
        cached = model._practice_ties_flat = (lists, start, flat)
    return engagement, cached[1], cached[2]


def statutory_referrals(model: CommunityModel, in_need: np.ndarray | None = None) -> None:
    """Adult social care, community services and hospitals refer some residents in unmet
    moderate or complex need (004:362-369), and refer back to social prescribing the clients
    they turned away after a hand-back (:func:`refer_back_turned_away`). ``in_need``:
    :func:`residents_in_need` of this phase, if known."""
    (stream,) = kernels.model_stream_handles(model, _HELP_SEEKING_STREAM)
    p = float(model.cfg.help_seeking.p_statutory_referral_per_day)
    if in_need is None:
        idx = _among_in_need(model, None, Need.MODERATE, Pathway.NONE)
        chosen = kernels.chosen_today(stream, idx, p)  # idx[rng.random(idx.size) < p]
    else:  # the same selection and draws in one pass over the day's residents in need
        chosen = kernels.chosen_in_need_and_pathway(stream, in_need, model.pop.need,
                                                    model.pop.pathway, int(Need.MODERATE),
                                                    int(Pathway.NONE), p)
    for i in chosen.tolist():
        if model.link_worker_for(i) is not None:
            model.refer_to_link_worker(i, "statutory")
    refer_back_turned_away(model)


def refer_back_turned_away(model: CommunityModel) -> None:
    """Clients a statutory service turned away after a link worker's hand-back (below its
    threshold, or no place) are in the 'gap in the middle': too unwell for social prescribing,
    not enough for the service. While their need is moderate or complex and unmet, each day
    the service (or the GP) refers them back to social prescribing at
    ``link_worker.p_turned_away_referred_back_per_day`` - 'many referred onto us' - where
    the link worker may hand them back again: they bounce between the services
    (004:318, 004:412; 002:370). A need that ends, or any new link-worker referral, ends it.
    Runs every day whatever the scenario; a re-escalation pathway only turns fewer away."""
    pop = model.pop
    away = kernels.flatnonzero(pop.turned_away)  # a few (numpy's search of the flags)
    if away.size == 0:
        return
    # one compiled pass over them: flags of ended needs cleared, and the eligible (moderate
    # or complex need, nothing under way) chosen with one uniform each from the 'statutory'
    # stream, in resident order, as random(eligible) would draw them
    (stream,) = kernels.model_stream_handles(model, _STATUTORY_STREAM)
    back = kernels.referred_back_today(
        stream, away, pop.turned_away, pop.need, pop.pathway, int(Need.MODERATE),
        int(Pathway.NONE), float(model.cfg.link_worker.p_turned_away_referred_back_per_day))
    for i in back.tolist():
        if model.refer_to_link_worker(i, "statutory"):
            model.count("new_referrals_back_after_turned_away")
