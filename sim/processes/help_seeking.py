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
from sim.agents.group_state import params_by_index
from sim.agents.organisations import KIND_CODES, GroupKind, choice_by_cumulative
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


COMPILED_ROUTING_FROM = 0
"""Seekers in a day from which :func:`route_in_turn` routes them in one compiled call
(``kernels.route_seekers``); below it, one by one."""


def route_in_turn(model: CommunityModel, seekers: np.ndarray, choice: np.ndarray,
                  rng: np.random.Generator) -> None:
    """Route each of ``seekers`` in order by its channel (``choice``, :data:`CHANNELS`), as
    one at a time: a seeker past waiting for a link worker when their turn comes is passed
    over; the GP's consultation is ``GPPractice.consult_nonmedical``'s (counted as a
    consultation raising a need); asking ties is :func:`ask_ties`, a group
    :func:`approach_group`, an intermediary its signposting.

    From :data:`COMPILED_ROUTING_FROM` seekers on, every route is taken in one compiled call
    (``kernels.route_seekers``, :func:`_compiled_routes`), which stops only where a group
    without inclusion capacity accepts a client with complex need (the disruption is carried
    out here, :meth:`CommunityModel.accept_disruptive_client`, with the rest of that route)
    and goes on after it. On a day with a group working online (an emergency's distancing)
    or an intermediary whose signposting is not ``Intermediary``'s or
    ``LocalityOfficer``'s, the seekers are routed one by one."""
    pop = model.pop
    if seekers.size >= COMPILED_ROUTING_FROM:
        hub_kinds = _compiled_routes(model)
        if hub_kinds is not None:
            _route_compiled(model, seekers, choice, hub_kinds)
            return
    for i, c in zip(seekers.tolist(), choice.tolist(), strict=True):
        if pop.pathway[i] > Pathway.WAITING:
            continue
        if c == 0:
            model.count("new_gp_consultations")
            model.count("new_gp_consultations_nonmedical")
            model.gp_practices[pop.gp[i]].consult_nonmedical(i)
        else:
            _route(model, i, c, rng)


_ROUTE_STREAMS = ("gp", "help_seeking", "intermediaries", "groups")
_REFERRAL_SOURCES = ("gp", "self", "vcse", "signposting")  # kernels' _SRC_ codes, in order


def _compiled_routes(model: CommunityModel) -> tuple | None:
    """Each intermediary's kind (:data:`kernels.HUB_KINDS`), health tie (asked each day: a
    parish council's follows a parameter), reach of place-level groups and whether it is a
    locality officer, as ``kernels.route_seekers`` reads them; or None where the compiled
    routes cannot stand for the Python ones: a group working online, or an intermediary whose
    signposting or reach is its own. All but the health ties are kept while the open groups,
    their suspensions and ways of working (``reach_epoch``) and the intermediaries stand."""
    from sim.agents.intermediaries import Intermediary, LocalityOfficer

    rows, hubs = model.open_group_rows(), model.intermediaries
    key = (model.__dict__.get("reach_epoch", 0), tuple(map(id, hubs)))
    cached = model.__dict__.get("_route_hubs")
    if cached is None or cached[0] is not rows or cached[1] != key:
        kinds = None
        if not model.group_state.online[rows].any() and all(
                type(h).signpost in (Intermediary.signpost, LocalityOfficer.signpost)
                and type(h).groups_in_reach is Intermediary.groups_in_reach
                and type(h).send_on_to_gp is Intermediary.send_on_to_gp
                and h.kind_name in kernels.HUB_KINDS for h in hubs):
            kinds = (np.array([kernels.HUB_KINDS.index(h.kind_name) for h in hubs], np.int64),
                     np.array([bool(h.reaches_place_groups) for h in hubs], np.bool_),
                     np.array([isinstance(h, LocalityOfficer) for h in hubs], np.bool_))
        cached = model._route_hubs = (rows, key, kinds)
    kinds = cached[2]
    if kinds is None:
        return None
    ties = np.array([bool(h.has_health_tie()) for h in hubs], np.bool_)
    return kinds[0], ties, kinds[1], kinds[2]


EVERY_UNIT_UP_TO = 64
"""Places with at most this many units keep :func:`_reach_tables` for every unit at once
(made anew when a group opens or closes); larger ones assemble them each day for the units
of that day's seekers, from pieces kept per unit."""


def _reach_tables(model: CommunityModel, seekers: np.ndarray, choice: np.ndarray) -> tuple:
    """For the units of the day's ``seekers`` who approach a group or an intermediary
    (``choice`` 3 or 4; in a small place every unit): each unit's slot (``unit_slot``, -1
    for the others), and for each slot the
    groups a resident can go to with their running weights
    (:meth:`CommunityModel.reachable_with_weights`), the unit's own open groups
    (``open_groups_by_unit``) and the intermediaries serving it (``intermediaries_for``, as
    positions in ``model.intermediaries``), as flat arrays with each slot's start."""
    n_units = len(model.units)
    if n_units <= EVERY_UNIT_UP_TO:
        by_unit = model.open_groups_by_unit()
        key = (model.__dict__.get("reach_epoch", 0), model.capacity_epoch,
               tuple(map(id, model.intermediaries)))
        cached = model.__dict__.get("_reach_tables")
        if cached is None or cached[0] is not by_unit or cached[1] != key:
            cached = model._reach_tables = (by_unit, key, (
                np.arange(n_units, dtype=np.int64),
                *_assemble([_unit_pieces(model, u) for u in range(n_units)])))
        return cached[2]
    units = np.unique(model.pop.unit[seekers[(choice == 3) | (choice == 4)]])
    unit_slot = np.full(n_units, -1, np.int64)
    unit_slot[units] = np.arange(units.size)
    return (unit_slot, *_assemble([_unit_pieces(model, u) for u in units.tolist()]))


def _unit_pieces(model: CommunityModel, u: int) -> tuple:
    """:func:`_reach_tables`' arrays for unit ``u``, kept while its groups in reach (and the
    parameters their weights come from), its own open groups and the intermediaries stand."""
    groups, cumulative = model.reachable_with_weights(u)
    entry = model._in_reach(u)
    own = model.open_groups_by_unit().get(u, ())
    serving = model.intermediaries_for(u)
    hubs_index = model._hubs_by_unit
    kept = model.__dict__.setdefault("_unit_route_pieces", {})
    hit = kept.get(u)
    if (hit is not None and hit[0] is entry and hit[1] == entry[2] and hit[2] is own
            and hit[3] is hubs_index):
        return hit[4]
    hub_at = {id(h): k for k, h in enumerate(model.intermediaries)}
    pieces = (np.array([g.index for g in groups], np.int64),
              np.array(cumulative, np.float64),
              np.array([g.index for g in own], np.int64),
              np.array([hub_at[id(h)] for h in serving], np.int64))
    kept[u] = (entry, entry[2], own, hubs_index, pieces)
    return pieces


def _assemble(pieces: list[tuple]) -> tuple:
    """The units' pieces (:func:`_unit_pieces`) as flat arrays with each slot's start."""
    if not pieces:
        empty, start = np.zeros(0, np.int64), np.zeros(1, np.int64)
        return start, empty, np.zeros(0), start, empty, start, empty
    reach, cum, own, hubs = zip(*pieces, strict=True)
    return (_starts([p.size for p in reach]), np.concatenate(reach), np.concatenate(cum),
            _starts([p.size for p in own]), np.concatenate(own),
            _starts([p.size for p in hubs]), np.concatenate(hubs))


def _starts(sizes: list[int]) -> np.ndarray:
    start = np.zeros(len(sizes) + 1, np.int64)
    np.cumsum(sizes, out=start[1:])
    return start


def _route_compiled(model: CommunityModel, seekers: np.ndarray, choice: np.ndarray,
                    hub_kinds: tuple) -> None:
    """:func:`route_in_turn` in one compiled call (``kernels.route_seekers``) and what it
    leaves to do at each stop (:func:`_carry_out`). ``hub_kinds``: :func:`_compiled_routes`.
    Parameters are read afresh each day (:func:`_route_settings`), but the groups' own
    (``groups.<kind>``: whether they accept complex needs, support days, places and money)
    from the columns ``params_by_index`` keeps per ``capacity_epoch``, as the groups' room
    always was: code that assigns them without an event must add 1 to it."""
    pop = model.pop
    practices, hubs = model.gp_practices, model.intermediaries
    n = seekers.size
    engagement, ties_start, ties = _practice_routes(model)
    visits = np.zeros(len(practices), np.int64)
    consulted = np.zeros(n, np.bool_)
    gp_referrals = np.zeros(len(practices), np.int64)
    state = model.group_state
    accepts, support_days = params_by_index(model, _ROUTE_PARAMETERS)
    a = pop.adjacency
    people = (pop.pathway, pop.need, pop.gp, pop.unit, pop.rural, pop.self_referred,
              pop.lw_referrals, pop.turned_away, pop.lw_referred_day, pop.lw_warm,
              pop.lw_from_gp, pop.until, pop.first_support, pop.ever_supported, pop.need_onset,
              pop.provider, pop.matched)
    volunteers = (a.indptr, a.indices, pop.vstate, pop.vhours_offer, pop.vhours_used,
                  pop.vlast_task, pop.vapplied_day, pop.goodwill)
    practice_columns = (engagement, ties_start, ties, visits, consulted, model.gp_access,
                        gp_referrals)
    groups = (state.unit_key, state.on_directory, accepts, support_days,
              state.turned_away_today, state.kind_code)
    reach = _reach_tables(model, seekers, choice)
    hub_columns = (*hub_kinds,
                   np.array([h.capacity_left for h in hubs], np.int64),
                   np.array([h.n_signposted for h in hubs], np.int64),
                   np.array([getattr(h, "hours_left", 0.0) for h in hubs], np.float64))
    out = (*_route_buffers(model, n), np.array(sorted(model.gp_advised), np.int64))
    counts = np.zeros(len(kernels.ROUTE_FLOWS), np.int64)
    hours = np.zeros(4)
    settings = _route_settings(model)
    lo_hours = settings[1][6]
    streams = kernels.model_stream_handles(model, _ROUTE_STREAMS)
    lw_routes = model.link_worker_routes()
    recorded = not model.burning_in
    j = 0
    while True:
        if recorded:
            flows = model.flows
            hours[0] = flows.get("new_vol_hours", 0)
            hours[2] = flows.get("new_lo_hours_signposting", 0)
        j, action, group, route = kernels.route_seekers(
            streams, seekers, choice, j, people, volunteers, practice_columns, lw_routes,
            groups, model._room_columns(), reach, hub_columns, out, counts, hours, settings,
            model.day)
        _carry_out(model, out, gp_referrals, hub_columns, counts, hours, recorded)
        if action == kernels.SEEK_DONE:
            break
        i = int(seekers[j])  # a disruptive placement: Python's, with the rest of the route
        if route == 0:
            model.accept_disruptive_client(i, group, "gp")
        elif route == 3:
            model.accept_disruptive_client(i, group, "self")
        else:
            hub = hubs[route - 4]
            model.accept_disruptive_client(i, group, "intermediary")
            if hub_kinds[3][route - 4]:  # LocalityOfficer.signpost: its hours
                hub.hours_left -= lo_hours
                model.count("new_lo_hours_signposting", lo_hours)
                hub_columns[6][route - 4] = hub.hours_left
        j += 1
    n_gp = int(visits.sum())
    if n_gp:
        model.count("new_gp_consultations", n_gp)
        model.count("new_gp_consultations_nonmedical", n_gp)
        for k in visits.nonzero()[0].tolist():  # 1-d: np.flatnonzero's, without its ravel
            practices[k].n_nonmedical += int(visits[k])
        if model.gp_advised:
            model.gp_advised.difference_update(seekers[consulted].tolist())


def _route_settings(model: CommunityModel) -> tuple:
    """The codes and parameters ``kernels.route_seekers`` reads, read afresh each day as the
    Python routes read them (a parameter may be assigned on ``model.cfg`` without an
    event)."""
    cfg = model.cfg
    h, v, g, e = cfg.help_seeking, cfg.volunteers, cfg.groups, cfg.intermediaries
    settings = ((int(Pathway.NONE), int(Pathway.WAITING), int(Pathway.INFORMAL),
                 int(Pathway.GROUP), int(Need.COMPLEX), int(TRAINED[0]), int(TRAINED[1]),
                 _MUTUAL_AID, int(h.informal_support_days)),
                (float(cfg.gp.p_signpost_tied_group), float(h.p_informal_help_per_helper),
                 float(g.p_accept_complex_without_inclusion),
                 float(h.p_vcse_onward_referral), float(h.p_signposted_to_lw),
                 float(e.p_unplaced_sent_to_gp), float(e.lo_hours_per_signpost)),
                (np.float32(v.informal_task_hours), np.float32(v.goodwill_gain_task)))
    return settings


_ROUTE_PARAMETERS = ("accepts_complex", "support_days")
_MUTUAL_AID = KIND_CODES[GroupKind.MUTUAL_AID]


def _route_buffers(model: CommunityModel, n: int) -> tuple:
    """``kernels.route_seekers``'s buffers for ``n`` seekers (each makes at most one entry of
    each): inbox entries, client notes, joint cases, ties used, residents advised to see
    their GP, groups that took a client, and their numbers (emptied after each stop, so the
    same arrays serve every day; larger ones are made when a day has more seekers)."""
    kept = model.__dict__.get("_route_buffers")
    if kept is None or kept[0].shape[0] < n:
        size = max(n, 64)
        kept = model._route_buffers = (  # zeros: a saved model's bytes follow its seed
            np.zeros((size, 4), np.int64), np.zeros((size, 2), np.int64),
            np.zeros((size, 2), np.int64), np.zeros((size, 2), np.int64),
            np.zeros(size, np.int64), np.zeros(size, np.int64), np.zeros(7, np.int64))
    return kept


def _carry_out(model: CommunityModel, out: tuple, gp_referrals: np.ndarray,
               hub_columns: tuple, counts: np.ndarray, hours: np.ndarray,
               recorded: bool) -> None:
    """What ``kernels.route_seekers`` left to do at a stop, in its order: link-worker
    referrals join the inboxes, ties used, client notes and joint cases are recorded,
    residents advised to see their GP are noted, the groups' client counts
    (``mirrored_column``) and the intermediaries' counters follow their columns, the
    practices count their referrals, and (outside the burn-in) the flows are counted (a
    ``sum_`` flow with its count, as ``count`` adds a sum even of 0; the hours as the pass
    added to the day's). The buffers are emptied."""
    entries, notes, joint, ties_used, advised_added, touched, n_out, _ = out
    n_entries, n_notes, n_joint, n_ties, n_advised, n_touched, gp_refs = n_out.tolist()
    if n_entries:
        workers = model.link_workers
        for w, i, number, src in entries[:n_entries].tolist():
            workers[w].inbox.append((i, _REFERRAL_SOURCES[src], number))
    if gp_refs:
        practices = model.gp_practices
        for k in gp_referrals.nonzero()[0].tolist():
            practices[k].out_gp_referrals += int(gp_referrals[k])
        gp_referrals[:] = 0
    if n_ties:
        practices, day = model.gp_practices, model.day
        for k, g in ties_used[:n_ties].tolist():
            model.tie_last_use[(practices[k].index, g)] = day
    if n_notes:
        note = model._note_client
        for g, i in notes[:n_notes].tolist():
            note(g, i)
    if n_joint:
        for gp_index, g in joint[:n_joint].tolist():
            model.joint_case(gp_index, g)
    if n_advised:
        model.gp_advised.update(advised_added[:n_advised].tolist())
    if n_touched:
        orgs, clients = model.organisations, model.group_state.n_clients
        for g in touched[:n_touched].tolist():
            orgs[g]._n_clients = clients.item(g)  # mirrored_column: the attribute follows
    n_out[:] = 0
    capacity, signposted, hours_left = hub_columns[4].tolist(), hub_columns[5].tolist(), None
    for k, hub in enumerate(model.intermediaries):
        hub.capacity_left = capacity[k]
        hub.n_signposted = signposted[k]
        if hub_columns[3][k]:
            if hours_left is None:
                hours_left = hub_columns[6].tolist()
            hub.hours_left = hours_left[k]
    if recorded:
        flows = model.flows
        if hours[1]:
            flows["new_vol_hours"] = float(hours[0])
        if hours[3]:
            flows["new_lo_hours_signposting"] = float(hours[2])
        if counts.any():
            values = counts.tolist()
            for k, name in enumerate(kernels.ROUTE_FLOWS):
                if values[k] or (name.startswith("sum_") and values[k - 1]):
                    model.count(name, values[k])
            counts[:] = 0
        hours[1] = hours[3] = 0.0


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
