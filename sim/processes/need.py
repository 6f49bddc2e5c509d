"""Need: onset, escalation and self-resolution when unmet, and the outcome of support."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import kernels
from sim.state import NEED as Need  # plain ints: fast in numpy
from sim.state import PATHWAY as Pathway

if TYPE_CHECKING:
    from sim.model import CommunityModel


def onset_probability(model: CommunityModel) -> np.ndarray:
    """Daily onset chance per resident before the emergency multiplier (float32)."""
    pop, p = model.pop, model.cfg.need
    mult = np.ones(pop.n, np.float64)
    mult[pop.limitation == 1] *= p.mult_limitation_a_little
    mult[pop.limitation == 2] *= p.mult_limitation_a_lot
    mult[pop.age >= 65] *= p.mult_age_65plus
    mult[pop.age < 16] *= p.mult_child
    mult[pop.female] *= p.mult_female
    mult *= p.mult_per_deprivation_quintile ** (5 - pop.deprivation.astype(np.float64))
    return np.minimum(p.p_onset_per_day * mult, 1.0).astype(np.float32)


def _levels(v: np.ndarray, model: CommunityModel) -> np.ndarray:
    p = model.cfg.need
    return np.where(v < p.share_onset_low, Need.LOW,
                    np.where(v < 1.0 - p.share_onset_complex, Need.MODERATE, Need.COMPLEX)
                    ).astype(np.int8)


def _domains(u: np.ndarray, model: CommunityModel) -> np.ndarray:
    """Need domain codes (sim.state.DOMAINS) from uniforms ``u``."""
    p = model.cfg.need
    edges = np.cumsum([p.share_need_social, p.share_need_emotional, p.share_need_practical])
    return np.searchsorted(edges, u, side="right").astype(np.int8)


def _domain_edges(model: CommunityModel) -> np.ndarray:
    """:func:`_domains`' cumulative shares, kept on the model while the shares stand."""
    p = model.cfg.need
    key = (p.share_need_social, p.share_need_emotional, p.share_need_practical)
    cached = model.__dict__.get("_need_domain_edges")
    if cached is None or cached[0] != key:
        cached = model._need_domain_edges = (key, np.cumsum(key))
    return cached[1]


def seed_initial_need(model: CommunityModel, rng: np.random.Generator) -> None:
    """Day-0 prevalence, weighted by the same vulnerability as onset. Domains come from the
    'need_domain' stream (one uniform per resident), so the population draws are unchanged."""
    pop = model.pop
    w = model.onset_p.astype(np.float64)
    k = int(round(model.cfg.need.initial_prevalence * pop.n))
    domain_u = model.streams.need_domain.random(pop.n, dtype=np.float32)
    if k <= 0 or not w.sum() > 0:  # nobody can have a need (e.g. onset chance 0)
        return
    idx = np.sort(rng.choice(pop.n, size=min(k, pop.n), replace=False, p=w / w.sum()))
    _start_episode(model, idx, _levels(rng.random(idx.size), model),
                   rng.random(idx.size) < model.cfg.need.p_hidden)
    pop.need_domain[idx] = _domains(domain_u[idx], model)


def _start_episode(model: CommunityModel, idx: np.ndarray, levels: np.ndarray,
                   hidden: np.ndarray) -> None:
    pop = model.pop
    pop.need[idx] = levels
    pop.need_onset[idx] = model.day
    pop.hidden[idx] = hidden
    pop.first_support[idx] = -1
    pop.matched[idx] = False
    pop.self_referred[idx] = False
    pop.episodes[idx] += 1
    pop.ever_need[idx] = True


def _course_rates(model: CommunityModel) -> tuple[np.ndarray, np.ndarray]:
    """The daily chances of an unmet need resolving unaided and escalating, by level (low,
    moderate, complex), kept on the model while the parameters stand (events may change
    them)."""
    p = model.cfg.need
    key = (p.p_self_resolve_low_per_day, p.p_self_resolve_moderate_per_day,
           p.p_self_resolve_complex_per_day, p.p_escalate_low_per_day,
           p.p_escalate_moderate_per_day)
    cached = model.__dict__.get("_need_course_rates")
    if cached is None or cached[0] != key:
        cached = model._need_course_rates = (key, np.array(key[:3]),
                                             np.array([key[3], key[4], 0.0]))
    return cached[1], cached[2]


_NEED_STREAMS = ("need", "need_domain", "need_course")
"""The streams the need pass draws from (``kernels.model_stream_handles``)."""


def day(model: CommunityModel) -> None:
    """The residents' need today, one pass over them (``sim.kernels.need_day``): new needs
    (one uniform per resident from the 'need' stream, which nothing else uses, so scenarios
    with the same seed see the same draws; the level and hidden flag reuse it, conditionally
    uniform below the onset chance; the domain from 'need_domain'), unmet needs that escalate
    (002:370, 004:420) or resolve unaided (one uniform per resident from 'need_course', so a
    resident's draws do not depend on how many others are in unmet need), and the group,
    informal and statutory support that ends today, which then completes
    (:func:`complete_support`)."""
    pop, p = model.pop, model.cfg.need
    need_s, domain_s, course_s = kernels.model_stream_handles(model, _NEED_STREAMS)
    p_resolve, p_escalate = _course_rates(model)
    # the kernel draws from the three streams as it goes: one float32 uniform from each for
    # every resident, in resident order (what random(n, dtype=np.float32) on each gives);
    # those nobody reads (a domain without an onset, a course without unmet need) are
    # skipped by jumping the stream, which ends where drawing them all would leave it
    n_onset, n_unmet, n_resolved, n_escalated, due = kernels.need_day(
        need_s, model.onset_p, np.float32(p.emergency_multiplier), domain_s, course_s,
        np.float32(p.share_onset_low), np.float32(1.0 - p.share_onset_complex),
        np.float32(p.p_hidden), _domain_edges(model), p_resolve, p_escalate,
        int(Pathway.WAITING), int(Pathway.GROUP), model.day, pop.need, pop.pathway, pop.until,
        pop.need_onset, pop.hidden, pop.first_support, pop.matched, pop.self_referred,
        pop.episodes, pop.ever_need, pop.need_domain)
    if n_onset:
        model.count("new_need_onsets", n_onset)
    if n_unmet:
        model.count("new_need_escalations", n_escalated)
        model.count("new_need_self_resolved", n_resolved)
    complete_support(model, due)


def complete_support(model: CommunityModel, idx: np.ndarray, factor: np.ndarray | float = 1.0
                     ) -> None:
    """Support has ended for residents ``idx``: the need resolves, or drops one level and the
    resident is back without support. Group places are released."""
    if idx.size == 0:
        return
    pop, p = model.pop, model.cfg.need
    orgs = model.organisations
    # releasing places draws nothing, so the outcomes' uniforms can come first; then one
    # compiled pass (kernels.complete_support_rows): the places each group releases
    # (release_group_places, on the groups' columns), resolved with the chance of the level
    # (complex or not) times factor, less after a link-worker placement that did not fit the
    # need (002:364-368), otherwise one level lower; pathway NONE
    r = model.streams.support_outcome.random(idx.size)
    state = model.group_state
    clients, disruptive = state.n_clients, state.n_disruptive
    n_resolved, released, onward = kernels.complete_support_rows(
        idx, r, np.asarray(factor, np.float64).reshape(-1), pop.need, pop.pathway,
        pop.provider, pop.disruptive, pop.poor_fit, clients, disruptive, state.on_directory,
        len(orgs), float(p.p_resolve_complex_on_completion), float(p.p_resolve_on_completion),
        float(p.poor_fit_resolution_factor), int(Need.COMPLEX), int(Need.LOW),
        int(Need.MODERATE))
    for g in released.tolist():  # the kernel lowered their columns: the attributes follow
        group = orgs[g]  # (mirrored_column: n_clients, n_disruptive)
        group._n_clients = clients.item(g)
        group._n_disruptive = disruptive.item(g)
    model.count("new_support_completed", idx.size)
    if onward.size:  # a listed group whose client still has a moderate or complex need
        # refers on (004:361)
        draw = model.streams.groups.random(onward.size)
        for i in onward[draw < model.cfg.help_seeking.p_vcse_onward_referral].tolist():
            model.refer_to_link_worker(i, "vcse")
    model.count("new_need_resolved_by_support", n_resolved)


def complete_one(model: CommunityModel, i: int, factor: float = 1.0) -> None:
    """:func:`complete_support` for one resident ``i`` (a link worker's client after the last
    session), in scalar steps: the same draws from the same streams, the same float64
    arithmetic and the same updates, without a dozen numpy calls on one-element arrays."""
    pop, p = model.pop, model.cfg.need
    g = int(pop.provider[i])
    poor = bool(pop.poor_fit[i])
    if g >= 0:  # release_group_places for one resident
        model.organisations[g].release(1, int(bool(pop.disruptive[i])))
    pop.provider[i] = -1
    pop.disruptive[i] = False
    pop.poor_fit[i] = False
    r = model.streams.support_outcome.random()  # the value random(1) would give
    level = int(pop.need[i])
    p_res = (p.p_resolve_complex_on_completion if level >= Need.COMPLEX
             else p.p_resolve_on_completion) * factor
    if poor:  # a link-worker placement that did not fit the need (002:364-368)
        p_res = p_res * p.poor_fit_resolution_factor
    resolved = r < p_res
    pop.need[i] = Need.NONE if resolved else max(level - 1, Need.LOW)
    pop.pathway[i] = Pathway.NONE
    model.count("new_support_completed", 1)
    if (not resolved and g >= 0 and model.organisations[g].on_directory
            and pop.need[i] >= Need.MODERATE):
        # a group whose client still has a moderate or complex need refers on (004:361)
        if model.streams.groups.random() < model.cfg.help_seeking.p_vcse_onward_referral:
            model.refer_to_link_worker(i, "vcse")
    model.count("new_need_resolved_by_support", int(resolved))


def release_group_places(model: CommunityModel, idx: np.ndarray) -> None:
    pop = model.pop
    held = idx[pop.provider[idx] >= 0]
    if held.size:
        n_org = len(model.organisations)
        places = np.bincount(pop.provider[held], minlength=n_org)
        disrupt = np.bincount(pop.provider[held], weights=pop.disruptive[held], minlength=n_org)
        orgs, n_places, n_disrupt = model.organisations, places.tolist(), disrupt.tolist()
        for g in places.nonzero()[0].tolist():
            orgs[g].release(n_places[g], int(n_disrupt[g]))
    pop.provider[idx] = -1
    pop.disruptive[idx] = False
    pop.poor_fit[idx] = False
