"""The EMA Workbench adapter (sim/ema.py): experiments run end to end on a tiny world, every
requested outcome is there (NaN allowed), bad names are refused before any run, parameter
ranges default from params.py's plausible= ranges, replicates are paired, provenance rebuilds
each experiment's configuration."""

import dataclasses
import math
import pickle
import warnings

import numpy as np
import pytest

ema = pytest.importorskip(
    "ema_workbench", reason="EMA Workbench is not installed (pip install -e '.[ema]')")

import sim  # noqa: E402
import sim.ema  # noqa: E402
from sim.io import config_hash, git_revision, versions  # noqa: E402
from sim.params import Config, ConfigError  # noqa: E402

# A tiny rural world: 150 residents, 30 days, no burn-in (a run takes a fraction of a second)
TINY = {"topology": "rural", "days": 30,
        "constants": {"run.burn_in_days": 0, "topology.n_residents": 150}}
OUTCOMES = ["unmet_need_days_per_1000_residents", "mean_n_unmet_need", "client_mean_age"]
ARRAY_OUTCOMES = ["unmet_need_days", "mean_n_groups_listed"]


@pytest.fixture(autouse=True)
def fresh_outcome_register(monkeypatch):
    """EMA Workbench keeps, per process, the class of every outcome name it has seen (for
    save_results) and refuses the same name as another class: each test starts afresh."""
    from ema_workbench.em_framework import outcomes

    monkeypatch.setattr(outcomes, "register", outcomes.Register())


def field(key):
    node = Config()
    *path, leaf = key.split(".")
    for part in path:
        node = getattr(node, part)
    return next(f for f in dataclasses.fields(node) if f.name == leaf)


def perform(model, scenarios, policies=None):
    with ema.SequentialEvaluator(model) as evaluator:
        return evaluator.perform_experiments(scenarios=scenarios, policies=policies)


def test_experiments_over_scenarios_and_policies_give_every_outcome():
    with warnings.catch_warnings():  # EMA 3 warns of names that are not Python identifiers
        warnings.simplefilter("error", DeprecationWarning)
        model = sim.ema.model(
            uncertainties=["help_seeking.p_signposted_to_lw",
                           ("need.p_onset_per_day", 0.0005, 0.003),
                           "link_worker.specialist_outreach_per_day"],
            levers=[("scenario", ["baseline", "passporting"])],
            outcomes=OUTCOMES, **TINY)
    experiments, outcomes = perform(model, scenarios=4, policies=2)
    assert {"need__p_onset_per_day", "scenario_file", "scenario", "policy"} <= set(experiments)

    assert len(experiments) == 8
    assert set(experiments["scenario_file"]) == {"baseline", "passporting"}
    assert sorted(outcomes) == sorted(OUTCOMES)
    for name in OUTCOMES:
        assert outcomes[name].shape == (8,)
        assert outcomes[name].dtype.kind == "f"
    # counts over the whole world are always defined; a client figure may be NaN (no clients)
    assert np.isfinite(outcomes["unmet_need_days_per_1000_residents"]).all()
    assert np.isfinite(outcomes["mean_n_unmet_need"]).all()
    # the experiment's values reached the runs: a higher onset rate gives more unmet need
    onset = experiments["need__p_onset_per_day"].to_numpy()
    unmet = outcomes["unmet_need_days_per_1000_residents"]
    assert np.corrcoef(onset, unmet)[0, 1] > 0


def test_every_outcome_on_urban_rural_and_county_without_a_failing_outcome():
    # every numeric summary key (the default) on the three built-in topologies, made small
    model = sim.ema.model(
        uncertainties=[("topology", ["urban", "rural", "county"]),
                       ("need.p_onset_per_day", 0.0005, 0.003)],
        days=30, constants={"run.burn_in_days": 0, "topology.n_residents": 600,
                            "topology.urban.n_residents": 200,
                            "topology.parishes_per_practice": 1})
    experiments, outcomes = perform(model, scenarios=3)  # Latin hypercube: each topology once
    assert sorted(experiments["topology_file"]) == ["county", "rural", "urban"]
    assert list(outcomes) == list(sim.ema.numeric_outcomes())
    assert all(v.shape == (3,) and v.dtype.kind == "f" for v in outcomes.values())
    assert np.isnan(outcomes["client_mean_age"]).sum() <= 3  # allowed, never missing
    assert np.isfinite(outcomes["unmet_need_days"]).all()
    for _, row in experiments.iterrows():  # the topology choice reached the runs
        assert model.config(row).topology.kind == row["topology_file"]
    assert len(set(outcomes["unmet_need_days"])) == 3


def test_each_outcome_equals_a_direct_run_of_the_experiments_configuration():
    model = sim.ema.model(uncertainties=[("need.p_onset_per_day", 0.0005, 0.003)],
                          levers=[("topology", ["rural", "urban"])], outcomes=OUTCOMES, **TINY)
    experiments, outcomes = perform(model, scenarios=2, policies=2)
    for i, row in experiments.iterrows():
        cfg = model.config(row)
        assert cfg.need.p_onset_per_day == pytest.approx(row["need__p_onset_per_day"])
        assert cfg.topology.n_residents == 150  # constants are applied after the topology file
        assert cfg.topology.kind == row["topology_file"]
        assert (cfg.run.days, cfg.run.burn_in_days) == (30, 0)
        summary = sim.run(cfg).summary
        for name in OUTCOMES:
            expected = float(summary[name])
            got = outcomes[name][i]
            assert (math.isnan(expected) and math.isnan(got)) or got == expected


def test_replicates_are_paired_across_policies_and_seeded_by_replicate_number():
    # run.plots only affects the command line's PNG files: two "policies" that differ only in
    # it must give identical results, replicate by replicate (common random numbers)
    model = sim.ema.model(uncertainties=[("need.p_onset_per_day", 0.0005, 0.003)],
                          levers=["run.plots"], outcomes=ARRAY_OUTCOMES, replications=2, **TINY)
    assert isinstance(model, ema.ReplicatorModel)
    experiments, outcomes = perform(model, scenarios=2, policies=2)
    values = outcomes["unmet_need_days"]
    assert values.shape == (len(experiments), 2)
    for _, group in experiments.groupby("scenario"):
        assert group["run__plots"].nunique() == 2
        a, b = group.index
        np.testing.assert_array_equal(values[a], values[b])
    assert not np.array_equal(values[:, 0], values[:, 1])  # the replicates differ
    row = experiments.iloc[0]
    for r in (0, 1):
        cfg = model.config(row, replicate=r)
        assert cfg.run.replicate == r and cfg.run.seed == Config().run.seed
        assert float(sim.run(cfg).summary["unmet_need_days"]) == values[0, r]
    hashes = sim.ema.provenance(model, experiments)["config_hashes"]
    assert list(hashes.columns) == ["config_hash_r0", "config_hash_r1"]
    assert hashes.loc[0, "config_hash_r1"] == config_hash(model.config(row, replicate=1))
    assert (hashes["config_hash_r0"] != hashes["config_hash_r1"]).all()


def test_aggregate_gives_one_number_per_experiment():
    model = sim.ema.model(uncertainties=[("need.p_onset_per_day", 0.0005, 0.003)],
                          outcomes=OUTCOMES[:1], replications=2, aggregate=np.mean, **TINY)
    experiments, outcomes = perform(model, scenarios=2)
    values = outcomes[OUTCOMES[0]]
    assert values.shape == (2,)
    runs = [float(sim.run(model.config(experiments.iloc[0], r)).summary[OUTCOMES[0]])
            for r in (0, 1)]
    assert values[0] == pytest.approx(np.mean(runs))


def test_ranges_default_from_the_plausible_metadata_and_the_declared_type():
    keys = ["help_seeking.p_signposted_to_lw", "link_worker.specialist_outreach_per_day",
            "run.plots"]
    model = sim.ema.model(uncertainties=keys, outcomes=OUTCOMES[:1], **TINY)
    real, integer, boolean = (model.uncertainties[sim.ema.ema_name(k)] for k in keys)
    assert [p.variable_name for p in (real, integer, boolean)] == [[k] for k in keys]
    assert isinstance(real, ema.RealParameter)
    assert (real.lower_bound, real.upper_bound) == field(keys[0]).metadata["plausible"]
    assert isinstance(integer, ema.IntegerParameter)
    assert (integer.lower_bound, integer.upper_bound) == field(keys[1]).metadata["plausible"]
    assert isinstance(boolean, ema.BooleanParameter)
    # a given range wins over the plausible one; an int field with whole bounds stays integer
    model = sim.ema.model(levers=[(keys[0], 0.2, 0.3), (keys[1], 2, 3)], outcomes=OUTCOMES[:1],
                          **TINY)
    given, whole = (model.levers[sim.ema.ema_name(k)] for k in keys[:2])
    assert (given.lower_bound, given.upper_bound) == (0.2, 0.3)
    assert isinstance(whole, ema.IntegerParameter)


def test_event_parameters_take_a_given_range_typed_from_the_events_value():
    model = sim.ema.model(uncertainties=[("events.core_funding_cut.params.share", 0.2, 0.8),
                                         ("events.core_funding_cut.day", 0, 20)],
                          outcomes=OUTCOMES[:1], scenario="funding_loss",
                          **{**TINY, "constants": {**TINY["constants"],
                                                   "run.allow_late_events": True}})
    share = model.uncertainties["events__core_funding_cut__params__share"]
    day = model.uncertainties["events__core_funding_cut__day"]
    assert isinstance(share, ema.RealParameter) and isinstance(day, ema.IntegerParameter)
    cfg = model.config({"events.core_funding_cut.params.share": 0.7,
                        "events.core_funding_cut.day": 12})
    assert cfg.events["core_funding_cut"]["params"]["share"] == 0.7
    assert cfg.events["core_funding_cut"]["day"] == 12


def test_outcomes_default_to_every_numeric_summary_key():
    model = sim.ema.model(**TINY)
    names = [o.name for o in model.outcomes]
    summary = sim.outputs.names("summary")
    assert names == [n for n in summary if sim.outputs.get(n, "summary").dtype != "str"]
    assert "topology" not in names and len(names) == len(summary) - 2


@pytest.mark.parametrize("kwargs, words", [
    ({"outcomes": ["mean_n_unmet_ned", "unmet_need_days", "not_an_output_at_all"]},
     ["'mean_n_unmet_ned'", "close matches: mean_n_unmet_need", "'not_an_output_at_all'"]),
    ({"outcomes": ["scenario"]}, ["'scenario' is text, not a number"]),
    ({"outcomes": ["mean_n_unmet_need", "mean_n_unmet_need"]}, ["listed twice"]),
    ({"uncertainties": ["need.p_onset_per_dya"]},
     ["need.p_onset_per_dya", "is not a parameter", "need.p_onset_per_day"]),
    ({"uncertainties": ["need.p_onset_per_day"]},
     ["need.p_onset_per_day", "give its range", "no plausible= range"]),
    ({"uncertainties": [("link_worker.caseload_cap", 1.5, 20)]},
     ["link_worker.caseload_cap", "whole-number bounds"]),
    ({"uncertainties": [("need.p_onset_per_day", 0.1, 2.0)]},
     ["need.p_onset_per_day: 2.0 (in the uncertainties)", "must be between 0.0 and 1.0"]),
    ({"levers": [("events.core_funding_cut.params.target", ["all", "nope"])],
      "scenario": "funding_loss", "days": 100},
     ["events.core_funding_cut.params.target: 'nope' (in the levers)", "must be one of"]),
    ({"uncertainties": [("need.p_onset_per_day", 0.3, 0.1)]}, ["lo < hi"]),
    ({"uncertainties": [("events.nothing.params.share", 0.1, 0.5)]},
     ["events.nothing.params.share", "no such event"]),
    ({"uncertainties": ["scenario"]}, ["scenario", "give the scenario files"]),
    ({"uncertainties": [("events.core_funding_cut.params.target", 0, 1)],
      "scenario": "funding_loss", "days": 100},
     ["events.core_funding_cut.params.target", "give its choices"]),
    ({"levers": [("scenario", ["baseline", "no_such_scenario"])]},
     ["scenario_file", "no_such_scenario"]),
    ({"uncertainties": ["help_seeking.p_signposted_to_lw"],
      "levers": ["help_seeking.p_signposted_to_lw"]}, ["given twice"]),
    ({"uncertainties": [("run.replicate", 0, 3)], "replications": 2},
     ["run.replicate", "replications="]),
    ({"replications": 0}, ["replications", ">= 1"]),
])
def test_bad_names_and_ranges_are_refused_naming_them_before_any_run(kwargs, words,
                                                                    monkeypatch):
    def no_run(*args, **kw):
        raise AssertionError("a run started")

    monkeypatch.setattr("sim.runner.run", no_run)
    with pytest.raises(ConfigError) as err:
        sim.ema.model(**{**TINY, **kwargs})
    for word in words:
        assert word in str(err.value)


def test_provenance_gives_revision_versions_and_each_experiments_config_hash():
    model = sim.ema.model(uncertainties=[("need.p_onset_per_day", 0.0005, 0.003)],
                          outcomes=OUTCOMES[:1], **TINY)
    experiments, _ = perform(model, scenarios=3)
    prov = sim.ema.provenance(model, experiments)
    assert prov["git_revision"] == git_revision()
    assert prov["versions"] == versions()
    assert prov["outcomes"] == OUTCOMES[:1] and prov["replications"] == 1
    assert prov["base_config_hash"] == config_hash(model.runner.base)
    hashes = prov["config_hashes"]
    assert list(hashes.index) == list(experiments.index)
    assert hashes["config_hash"].nunique() == 3
    for i, row in experiments.iterrows():
        assert hashes.loc[i, "config_hash"] == config_hash(model.config(row))


def test_the_model_pickles_for_multiprocessing_evaluators():
    model = sim.ema.model(levers=[("scenario", ["baseline", "passporting"])],
                          outcomes=OUTCOMES[:1], **TINY)
    copy = pickle.loads(pickle.dumps(model))
    assert type(copy) is type(model)
    assert copy.config({"scenario_file": "passporting"}) == model.config(
        {"scenario_file": "passporting"})
    assert copy.config({"scenario_file": "passporting"}).scenario.name == "passporting"


def test_an_outcome_name_ema_already_holds_as_another_kind_is_refused_clearly():
    name = "mean_n_unmet_need_complex" if "mean_n_unmet_need_complex" in \
        sim.ema.numeric_outcomes() else sim.ema.numeric_outcomes()[-1]
    sim.ema.model(outcomes=[name], **TINY)  # a scalar outcome
    with pytest.raises(ConfigError, match="another kind in this process"):
        sim.ema.model(outcomes=[name], replications=2, **TINY)  # would be an array
    model = sim.ema.model(outcomes=[name], replications=2, aggregate=np.median, **TINY)
    assert isinstance(model.outcomes[name], ema.ScalarOutcome)
