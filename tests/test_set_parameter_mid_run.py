"""A ``set_parameter`` event acts from its day on, or is refused naming the key: no parameter it
accepts may silently do nothing because it was read only when the model was built (the audit:
experiments/at_build_screen.py)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

import sim
from sim import events
from sim.agents.organisations import GroupKind
from sim.model import CommunityModel
from sim.params import Config, ConfigError, iter_params
from sim.processes.wellbeing import situation_index

# found by the audit to be used only when the model is built (drawn once per resident, the
# starting state, the access geometry, the locality officers' starting ties)
AUDITED_AT_BUILD = [
    "population.mean_age_adult", "population.share_children", "population.share_female",
    "population.p_limitation_a_little", "population.p_limitation_a_lot",
    "population.p_digitally_excluded", "population.p_digitally_excluded_65plus",
    "need.initial_prevalence", "help_seeking.gp_distance_halving_miles",
    "volunteers.latent_share", "volunteers.goodwill_sd", "volunteers.share_one_day_a_week",
    "volunteers.hours_one_day_a_week", "intermediaries.lo_ties_at_start",
]
# found by the audit to be read at build only, now read where they act (or refreshed by the
# event): each must change a run's outputs when set mid-run
READ_WHEN_THEY_ACT = [
    "groups.formal_charity.vm_hours_per_week", "groups.community_group.vm_hours_per_week",
    "groups.formal_charity.hours_per_application",
    "groups.community_group.hours_per_application", "groups.formal_charity.training_days",
    "link_worker.travel_mph", "wellbeing.need_happiness",
]


def small_urban(**values) -> CommunityModel:
    return CommunityModel(sim.configure(topology="urban", **{
        "topology.n_residents": 600, "run.burn_in_days": 0, "run.days": 30, **values}))


def test_every_at_build_key_is_refused_naming_it():
    """Every key marked ``at_build`` (the audit's among them) is refused by ``set_parameter``
    with a message naming it, in a configuration and as a dashboard inject alike."""
    cfg = Config()
    at_build = {k: v for k, v, m in iter_params(cfg) if m.get("at_build")}
    assert set(AUDITED_AT_BUILD) <= set(at_build)
    for key, value in at_build.items():
        for where in ("events.change", "inject"):
            ev = events.Event(1, "set_parameter", {"key": key, "value": value})
            with pytest.raises(ConfigError, match=re.escape(key) + ".*cannot change during "
                                                                   "a run"):
                events.check_event(ev, where)


def test_a_groups_management_hours_follow_a_mid_run_change():
    """``groups.<kind>.vm_hours_per_week`` is read each day: from the event on, every charity
    gains the new hours a week, and the day's management hours available rise by exactly the
    charities' difference (other kinds keep theirs)."""
    runs = {}
    for value in (7.5, 30.0):  # control: the default, set by the same event
        model = small_urban()
        model.apply_event("set_parameter", {"key": "groups.formal_charity.vm_hours_per_week",
                                            "value": value})
        model.step()
        runs[value] = model
    model = runs[30.0]
    charities = [g for g in model.groups if g.kind is GroupKind.FORMAL_CHARITY and g.is_open]
    assert charities and all(g.vm_hours_per_week == 30.0 for g in charities)
    assert all(g.vm_hours_new_today() == pytest.approx(30.0 / 7) for g in charities)
    others = [g for g in model.groups if g.kind is GroupKind.COMMUNITY_GROUP]
    assert others and all(g.vm_hours_per_week == 2.5 for g in others)
    available = {v: m.timeseries()["new_vm_hours_available"].iloc[-1] for v, m in runs.items()}
    assert available[30.0] - available[7.5] == pytest.approx(len(charities) * 22.5 / 7)


def test_hours_per_application_and_training_days_follow_a_mid_run_change():
    """The hours a group needs per application are read each day; its training days are set
    to the kind's new value (as ``relax_training`` scales them) and training uses them."""
    model = small_urban()
    model.apply_event("set_parameter", {"key": "groups.community_group.hours_per_application",
                                        "value": 9.0})
    model.apply_event("set_parameter", {"key": "groups.formal_charity.training_days",
                                        "value": 30})
    groups = [g for g in model.groups if g.kind is GroupKind.COMMUNITY_GROUP]
    assert groups and all(g.hours_per_application == 9.0 for g in groups)
    charities = [g for g in model.groups if g.kind is GroupKind.FORMAL_CHARITY]
    assert all(g.training_days == 30 for g in charities)
    assert (model.org_training_days[[g.index for g in charities]] == 30).all()
    assert (model.org_training_days[[g.index for g in groups]] == 3).all()


def test_link_worker_travel_follows_a_mid_run_change_of_speed():
    """A face-to-face visit's travel time is worked out at each visit from today's speed."""
    model = small_urban(**{"topology.urban.gp_distance_miles": 3.0})
    lw = model.link_workers[0]
    before = lw.travel_hours
    model.apply_event("set_parameter", {"key": "link_worker.travel_mph", "value": 30.0})
    assert lw.travel_hours == pytest.approx(before - 2.0 * 3.0 / 15.0 + 2.0 * 3.0 / 30.0)


def test_wellbeing_targets_follow_a_mid_run_change():
    """Residents' scores move towards today's targets: after a rise of the happiness target of
    those with unmet need, their happiness is higher a day later than in the same run
    without it, and nobody else's scores differ."""
    runs = {}
    for value in (Config().wellbeing.need_happiness, 9.0):
        model = small_urban()
        model.apply_event("set_parameter", {"key": "wellbeing.need_happiness", "value": value})
        model.step()
        runs[value] = model
    low, high = runs.values()
    unmet = situation_index(high) == 1
    assert unmet.any() and (situation_index(low) == situation_index(high)).all()
    diff = high.pop.wellbeing.astype(np.float64) - low.pop.wellbeing
    assert (diff[unmet, 2] > 0).all()
    assert (diff[~unmet] == 0).all() and (diff[:, [0, 1, 3]] == 0).all()


def test_the_isolation_penalty_follows_a_mid_run_change(tiny_model):
    """Residents without ties lose today's ``wellbeing.isolation_penalty`` points of life
    satisfaction from their target."""
    model = tiny_model(n=10, edges=[(i, i + 1) for i in range(8)])  # resident 9: no ties
    model.apply_event("set_parameter", {"key": "wellbeing.isolation_penalty", "value": 2.0})
    alone = model.pop.degree == 0
    assert alone.sum() == 1
    assert (model.isolation_offset[alone, 0] == -2.0).all()
    assert (model.isolation_offset[~alone] == 0).all()


@pytest.mark.slow
def test_the_screen_finds_none_of_the_fixed_keys_inert():
    """The audit's dynamic screen, on the keys it found read at build only and now read where
    they act: each mid-run change changes the tiny world's outputs (with or without a
    lockdown)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "experiments"))
    try:
        from at_build_screen import screen
    finally:
        sys.path.pop(0)
    result = screen(READ_WHEN_THEY_ACT, ["baseline", "lockdown"], log=lambda s: None)
    assert sorted(result) == sorted(READ_WHEN_THEY_ACT)
    assert all(r["value"] is not None for r in result.values())
    assert [k for k, r in result.items() if not (r["baseline"] or r["lockdown"])] == []


def test_the_dashboard_refuses_a_build_only_inject_and_keeps_nothing():
    """A facilitator typing a build-only key in the inject form is told why (the key named),
    and no inject is scheduled."""
    from sim.dashboard.exercise import Exercise

    ex = Exercise("rural", "baseline", 7)
    assert ex.error == ""
    ex.run_to(2)
    with pytest.raises(ConfigError, match=r"volunteers\.latent_share.*cannot change during"):
        ex.inject("set_parameter", {"key": "volunteers.latent_share", "value": "0.5"})
    assert ex.log == [] and ex.branches["A"].injects == []


def test_the_screen_refuses_a_key_it_cannot_screen(capsys):
    """``--keys`` with an unknown or build-only key: a message naming it, exit status 2, no
    run and no traceback."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "experiments"))
    try:
        from at_build_screen import main
    finally:
        sys.path.pop(0)
    for key in ("no.such.key", "volunteers.latent_share"):
        assert main(["--keys", key]) == 2
        err = capsys.readouterr().err
        assert key in err and "set_parameter" in err and "Traceback" not in err


def test_the_screen_refuses_a_world_or_scenario_it_does_not_know(capsys):
    """``--world`` and ``--scenarios`` outside their lists: a message naming the option, the
    value and what is allowed, exit status 2, no run and no traceback."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "experiments"))
    try:
        from at_build_screen import main
    finally:
        sys.path.pop(0)
    for argv, named in ((["--world", "suburb"], "--world: 'suburb'"),
                        (["--scenarios", "flood"], "--scenarios: 'flood'"),
                        (["--prefix", "nothing."], "--prefix: no parameter")):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert named in err and "Traceback" not in err
    assert main(["--world", "mars"]) == 2
    assert "urban, rural, places, all" in capsys.readouterr().err


@pytest.mark.slow
def test_the_screen_finds_group_parameters_acting_on_table_groups():
    """In the places world every charity and community group comes from the organisation
    table and the LIO is scaled: a kind's running costs, support days and hours per
    application must change its outputs there (a copy made at build would leave them
    byte-identical)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "experiments"))
    try:
        from at_build_screen import screen
    finally:
        sys.path.pop(0)
    keys = ["groups.formal_charity.fixed_cost_per_day", "groups.community_group.support_days",
            "groups.lio.fixed_cost_per_day"]
    result = screen(keys, ["baseline"], log=lambda s: None, topology="places")
    assert {k: r["baseline"] for k, r in result.items()} == dict.fromkeys(keys, True)


def test_a_change_of_the_lios_funding_reaches_its_hours_at_the_next_renewal():
    """``groups.lio.annual_funding`` is yearly money, so it acts from the next renewal, as its
    help says: until then the LIO's funded share (and so its hours) stays what its year's
    funding buys; from the renewal its year's funding is set from the new level. (Before, the
    share was measured against the kind's live level, so doubling the funding halved the
    LIO's hours until the renewal.)"""
    model = small_urban(**{"run.days": 400})
    books = model.lio_functions
    for _ in range(10):
        model.step()
    before = books.funded_share()
    base = model.cfg.groups.lio.annual_funding
    model.apply_event("set_parameter", {"key": "groups.lio.annual_funding", "value": 2 * base})
    model.step()
    assert books.funded_share() == before
    while model.day % 365 != 1:  # past the yearly renewal
        model.step()
    lio = books.lio
    assert lio.full_funding == 2 * base
    assert lio.annual_funding == pytest.approx(2 * base * lio.funding_factor + lio.extra_funding)
    assert books.funded_share() == pytest.approx(lio.annual_funding * (1 - lio.funding_cut)
                                                 / (2 * base))
