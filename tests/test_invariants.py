"""Invariants checked after every day of full runs: every built-in topology in normal times and
under an emergency with a surge, a stand-down and a deep funding cut; and every scenario file."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from support import SMALL_TOPOLOGIES, as_overrides, config_options, small_config

import sim
from sim.agents.health import LinkWorker
from sim.agents.organisations import GroupKind
from sim.burn_in import build_model
from sim.model import CommunityModel
from sim.state import REGISTERED, Need, Pathway, VolunteerState

V = VolunteerState

CRISIS = [
    {"day": 20, "kind": "emergency",
     "params": {"need_multiplier": 3.0, "distancing": True, "shielding": True}},
    {"day": 22, "kind": "surge_campaign", "params": {"multiplier": 200.0, "days": 4}},
    {"day": 25, "kind": "nhs_volunteers_stand_down"},
    {"day": 40, "kind": "funding_cut", "params": {"share": 1.0, "target": "all"}},
    {"day": 90, "kind": "nhs_volunteers_return"},
    {"day": 150, "kind": "emergency_end"},
]

# Pressure on every mechanism: tight caps, much need, churn, closures, fast directory refresh.
STRESS = {
    "link_worker__caseload_cap": 3, "link_worker__bespoke_days": 10,
    "need__p_onset_per_day": 0.004, "need__p_hidden": 0.9,
    "help_seeking__p_seek_per_day": 0.2, "help_seeking__p_vcse_onward_referral": 1.0,
    "groups__p_closure_per_year": 1.0, "groups__p_accept_complex_without_inclusion": 1.0,
    "lio__directory_hours_per_week": 20.0, "lio__capacity_building_hours_per_week": 100.0,
    "groups__formal_charity__reserve_months": 0.5,
    "volunteers__p_apply_per_day": 0.01, "volunteers__rejoin_latent_after_lapse": True,
    "volunteers__share_apply_to_hospital": 0.6,
    "intermediaries__hub_signposts_per_day": 5, "intermediaries__pc_ties_to_health": True,
}

CASES = {
    "urban": small_config("urban", days=365),
    "rural": small_config("rural", days=365),
    "county": small_config("county", days=365),
    "urban-crisis": small_config("urban", days=365, events=CRISIS,
                                 volunteers__latent_share=0.5,
                                 volunteers__share_apply_to_hospital=0.6,
                                 # 600 residents: the trust's per-10k hours scaled so it
                                 # has volunteers to stand down (6 hours a week)
                                 volunteers__hospital_vm_hours_per_week_per_10k=100.0),
    "rural-crisis-stress": small_config("rural", days=365, events=CRISIS, **STRESS),
    "county-crisis-stress": small_config("county", days=365, seed=3, events=CRISIS, **STRESS),
}


def holds(mask, what: str, day: int) -> None:
    """Assert every entry of ``mask``; name the rule and the first offenders if not."""
    bad = np.flatnonzero(~np.asarray(mask, bool))
    assert bad.size == 0, f"day {day}: {what} fails for {bad.size} (first: {bad[:5].tolist()})"


def check_day(model: CommunityModel, n: int) -> None:
    """Every invariant of the model's state at the end of a day."""
    pop, day, cfg = model.pop, model.day, model.cfg
    # residents are conserved and every state code is valid
    assert pop.n == n and pop.need.shape == pop.pathway.shape == pop.vstate.shape == (n,)
    holds((pop.need >= Need.NONE) & (pop.need <= Need.COMPLEX), "need level valid", day)
    holds((pop.pathway >= Pathway.NONE) & (pop.pathway <= Pathway.STATUTORY), "pathway valid",
          day)
    holds((pop.vstate >= V.NONE) & (pop.vstate <= V.STOOD_DOWN), "volunteer state valid", day)
    assert np.bincount(pop.vstate, minlength=len(V)).sum() == n

    # practice-group partnerships: a tie's last use and an officer's upkeep of it are held
    # only while the practice is tied to the group, and the officer holds what it keeps up
    # (what lets a closing group visit only the practices tied to it: on_group_closed)
    tied = {(gp.index, k) for gp in model.gp_practices for k in gp.vcse_ties}
    assert set(model.tie_last_use) <= tied, f"day {day}: a last use outlives its tie"
    assert set(model.officer_ties) <= tied, f"day {day}: upkeep of a tie that has ended"
    assert all(key in officer.kept_ties for key, officer in model.officer_ties.items()), day
    for hub in model.intermediaries:  # and keeps up nothing the model does not hold it to
        assert all(model.officer_ties.get(key) is hub
                   for key in getattr(hub, "kept_ties", ())), f"day {day}: {hub.name}"

    # link workers: caseloads within caps; everyone waiting is queued; everyone on the
    # link-worker pathway is in exactly one caseload or light-touch list
    queued, held = set(), []
    for lw in model.link_workers:
        assert len(lw.caseload) <= cfg.link_worker.caseload_cap, f"day {day}: {lw.name}"
        queued |= {e[0] for e in lw.inbox} | {e[0] for e in lw.waiting}
        held += [*lw.caseload, *lw.light]
        assert all(left > 0 for _, left in lw.caseload.values())
        assert lw.hours_today <= lw.budget_today + 1e-9, f"day {day}: {lw.name} over its hours"
        assert lw.held_in_error() == [], f"day {day}: {lw.name} holds stale entries"
        assert all(model.organisations[g].kind is not GroupKind.LIO for g in lw.directory)
        # the practices a post serves, as kept between changes of the posts
        assert model.practices_of_link_worker(lw) == [
            gp for gp in model.gp_practices if lw in gp.link_workers], f"day {day}: {lw.name}"
    waiting = pop.pathway == Pathway.WAITING
    holds(~waiting | np.isin(np.arange(n), list(queued)),
          "waiting resident is in an inbox or waiting list", day)
    assert sorted(held) == np.flatnonzero(pop.pathway == Pathway.LINK_WORKER).tolist(), day

    # pathways are consistent with need and with who provides support
    no_need = pop.need == Need.NONE
    holds(~no_need | (pop.pathway == Pathway.NONE), "no need -> no pathway", day)
    has_provider = pop.provider >= 0
    holds(~has_provider | np.isin(pop.pathway, (Pathway.LINK_WORKER, Pathway.GROUP)),
          "holding a group place -> supported by a link worker or the group", day)
    holds((pop.pathway != Pathway.GROUP) | has_provider, "group support -> a provider", day)
    holds((pop.pathway < Pathway.GROUP) | (pop.until > day), "support not overdue", day)
    holds((pop.first_support < 0) | pop.ever_supported, "first support recorded", day)

    # organisations: no negative money or capacity; places match the clients holding them
    places = np.bincount(pop.provider[has_provider], minlength=len(model.organisations))
    is_open = np.array([o.is_open for o in model.organisations])
    for g in model.groups:
        where = f"day {day}: {g.name}"
        assert g.capacity >= 0 and g.n_clients >= 0 and g.n_disruptive >= 0, where
        assert g.annual_funding >= 0 and 0.0 <= g.funding_cut <= 1.0, where
        assert g.n_clients == places[g.index], f"{where}: {g.n_clients} != {places[g.index]}"
        if g.is_open:
            assert g.balance >= 0, where
        else:
            assert g.n_clients == 0 and g.capacity == 0, where
    # volunteers: every registered volunteer belongs to an organisation, open unless stood down
    registered = np.isin(pop.vstate, REGISTERED)
    holds(~registered | (pop.vorg >= 0), "registered volunteer has an organisation", day)
    in_play = (pop.vstate >= V.APPLIED) & (pop.vstate <= V.IDLE)
    holds(~in_play | is_open[pop.vorg], "volunteer's organisation is open", day)
    holds((pop.vstate != V.STOOD_DOWN) | pop.nhs_volunteer, "only hospital volunteers stand down",
          day)
    # management hours carried over: only on the application or induction waited for, and
    # less than it costs (a finished item leaves nothing behind)
    work, vcfg = pop.vwork_hours, cfg.volunteers
    applied, onboarding = pop.vstate == V.APPLIED, pop.vstate == V.ONBOARDING
    holds(np.isfinite(work) & (work >= 0), "carried management hours valid", day)
    holds((work == 0) | applied | onboarding, "no carried hours outside applied, onboarding",
          day)
    per_app = np.array([o.hours_per_application for o in model.organisations])
    app_cost = np.maximum(per_app[pop.vorg[applied]], vcfg.passport_check_hours)
    holds(work[applied] < app_cost, "carried hours below the application's cost", day)
    holds(work[onboarding] < max(vcfg.induction_hours_per_volunteer,
                                 vcfg.passport_induction_hours),
          "carried hours below the induction's cost", day)
    holds(((pop.wellbeing >= 0) & (pop.wellbeing <= 10)).all(axis=1), "ONS4 within 0-10", day)

    # the day's metrics row agrees with the state
    row = model.rows[-1]
    assert row["day"] == model.output_day and row["n_residents"] == n
    holds(pop.vhours_used <= pop.vhours_offer + 1e-4, "volunteer within their weekly hours", day)
    assert row["n_in_need"] == int((~no_need).sum())
    assert row["n_vol_registered"] == int(registered.sum())
    assert row["n_pathway_waiting"] == int(waiting.sum())
    assert row["n_unmet_need"] == int(pop.unmet().sum())


def check_table(ts, days: int) -> None:
    """The finished daily table: one row per day, no negative counts, shares in [0, 1]."""
    assert ts["day"].tolist() == list(range(1, days + 1))
    counts = [c for c in ts.columns if c.startswith(("n_", "new_", "cum_", "sum_"))]
    assert (ts[counts] >= 0).all().all()
    cumulative = [c for c in ts.columns if c.startswith("cum_")]
    assert (ts[cumulative].diff().iloc[1:] >= 0).all().all()
    shares = [c for c in ts.columns if c.startswith("frac_")]
    assert ((ts[shares] >= 0) & (ts[shares] <= 1)).all().all()
    assert ts["n_residents"].nunique() == 1


@pytest.mark.parametrize("case", CASES)
def test_invariants_hold_every_day(case):
    cfg = CASES[case]
    model = CommunityModel(cfg)
    n = model.pop.n
    assert len(model.agents_by_type[LinkWorker]) == len(model.link_workers)
    for _ in range(cfg.run.days):
        model.step()
        check_day(model, n)
    ts = model.timeseries()
    check_table(ts, cfg.run.days)
    if "crisis" in case:
        # the crisis really happened: events fired, groups closed, volunteers stood down
        fired = [(e["day"], e["kind"]) for e in model.event_log]
        assert [(e["day"], e["kind"]) for e in CRISIS] == [f for f in fired
                                                           if f[1] != "set_parameter"]
        assert (26, "set_parameter") in fired  # the surge campaign ends by itself
        assert ts["new_groups_closed"].sum() > 0
        assert ts.loc[ts["day"] == 30, "n_vol_stood_down"].item() > 0
        assert ts.loc[ts["day"] == 100, "n_vol_stood_down"].item() == 0
    if "stress" in case:
        assert ts["new_referrals_total"].sum() > 0
        assert ts["n_pathway_waiting"].max() > 0  # the caps were binding


@pytest.mark.parametrize("scenario", config_options("scenario"))
def test_invariants_hold_every_day_in_every_scenario(scenario, shared_burn_in):
    """Each scenario file, on a small county (urban and rural units), for its whole run. The
    scenarios that only add events share one burnt-in state (16 scenarios, 5 worlds)."""
    cfg = sim.compose(["topology=county", *as_overrides(SMALL_TOPOLOGIES["county"]),
                       f"scenario={scenario}"])
    model = build_model(cfg, cache_dir=shared_burn_in)
    n = model.pop.n
    for _ in range(cfg.run.days):
        model.step()
        check_day(model, n)
    check_table(model.timeseries(), cfg.run.days)


@pytest.mark.parametrize("cached", [False, True])
def test_build_model_leaves_the_callers_configuration_as_it_was(tmp_path, cached):
    """``build_model`` hands the model its own validated copy (``owned_config``: not copied
    and checked a second time): the events the model applies change that copy, never the
    configuration the caller passed, with or without a burn-in cache."""
    cfg = sim.compose(["topology=rural", "run.burn_in_days=7", "run.days=3",
                       "+events={raise: {day: 0, kind: set_parameter, params: "
                       "{key: need.p_onset_per_day, value: 0.01}}}"])
    before = copy.deepcopy(cfg)
    model = build_model(cfg, cache_dir=tmp_path if cached else "")
    assert model.cfg is not cfg and model.cfg.need is not cfg.need
    assert model.cfg.need.p_onset_per_day == 0.01
    model.run()
    assert cfg == before
