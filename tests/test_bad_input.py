"""Bad input stops before the run with a message naming the config key and what is allowed;
from the command line it exits non-zero and leaves no result files."""

from __future__ import annotations

import pandas as pd
import pytest
from support import leftovers, run_cli, write_world

import sim
from sim.model import CommunityModel
from sim.params import ConfigError


def event(spec: str) -> str:
    return f"+events.bad={spec}"


# (id, overrides ({d}: a folder holding a valid tiny world and broken variants), the key the
#  error names (or a tuple of acceptable keys), a fragment of the message: what is allowed)
CASES = [
    ("probability-1.5", ["need.p_onset_per_day=1.5"], "need.p_onset_per_day",
     "between 0.0 and 1.0"),
    ("negative-count", ["link_worker.caseload_cap=-3"], "link_worker.caseload_cap", ">= 1"),
    ("negative-residents", ["topology.n_residents=-5"], "topology.n_residents", ">= 1"),
    ("unknown-topology", ["topology=nowhere"], "topology", "rural"),
    ("unknown-topology-kind", ["topology.kind=galaxy"], "topology.kind", "urban, rural"),
    ("missing-graph-file", ["topology=file", "topology.graph_file={d}/missing.graphml",
                            "topology.population_file={d}/people.csv"],
     "topology.graph_file", "not found"),
    ("missing-population-file", ["topology=file", "topology.graph_file={d}/ties.txt",
                                 "topology.population_file={d}/missing.csv"],
     "topology.population_file", "not found"),
    ("population-without-node-column", ["topology=file", "topology.graph_file={d}/ties.txt",
                                        "topology.population_file={d}/no_node.csv"],
     "topology.population_file", "'node' column"),
    ("graph-node-without-resident", ["topology=file", "topology.graph_file={d}/ties.txt",
                                     "topology.population_file={d}/too_few.csv"],
     "topology.population_file", "no row"),
    ("gp-practice-with-no-residents", ["topology=rural", "topology.rural_unit.gp_practices=500"],
     "topology.rural_unit.gp_practices", "no registered residents"),
    ("no-gp-practice", ["topology.urban.gp_practices=0"], "topology.urban.gp_practices",
     ">= 1"),
    ("seed-abc", ["run.seed=abc"], "run.seed", "must be a whole number (got 'abc')"),
    ("negative-seed", ["run.seed=-1"], "run.seed", "between 0 and"),
    ("zero-days", ["run.days=0"], "run.days", "between 1 and"),
    ("not-a-bool", ["run.plots=maybe"], "run.plots", "must be true or false"),
    ("unknown-key", ["nonsense.key=1"], "nonsense.key", "not a parameter"),
    ("unknown-event-kind", [event("{day:5,kind:bogus}")], "events.bad.kind", "known kinds"),
    ("negative-event-day", [event("{day:-5,kind:emergency}")], "events.bad.day", ">= 0"),
    ("event-parameter-out-of-range", [event("{day:5,kind:funding_cut,params:{share:1.5}}")],
     "events.bad.params.share", "<= 1.0"),
    ("event-parameter-wrong-type",
     [event("{day:5,kind:emergency,params:{need_multiplier:lots}}")],
     "events.bad.params.need_multiplier", "float"),
    ("tie-upkeep-factor-above-one",
     [event("{day:5,kind:emergency,params:{tie_upkeep_factor:1.5}}")],
     "events.bad.params.tie_upkeep_factor", "<= 1.0"),
    ("tie-upkeep-factor-zero", [event("{day:5,kind:emergency,params:{tie_upkeep_factor:0}}")],
     "events.bad.params.tie_upkeep_factor", ">= 0.01"),
    ("unknown-event-parameter", [event("{day:5,kind:emergency,params:{colour:red}}")],
     "events.bad.params.colour", "allowed"),
    ("event-without-day", [event("{kind:emergency}")], "events.bad", "'day'"),
    # parameters that events check against the model must fail before day 1, not when they fire
    ("set-parameter-unknown-key",
     [event("{day:50,kind:set_parameter,params:{key:need.nope,value:1}}")],
     "events.bad.params.key", "need.nope"),
    ("set-parameter-out-of-range",
     [event("{day:50,kind:set_parameter,params:{key:need.p_onset_per_day,value:1.5}}")],
     ("events.bad.params.value", "need.p_onset_per_day"), "between 0.0 and 1.0"),
    ("set-parameter-drawn-at-build",
     [event("{day:50,kind:set_parameter,params:{key:gp.partnership_hours_hi,value:9.0}}")],
     ("events.bad.params.key", "gp.partnership_hours_hi"), "only when the model is built"),
    ("set-parameter-wrong-type",
     [event("{day:50,kind:set_parameter,params:{key:need.p_onset_per_day,value:abc}}")],
     ("events.bad.params.value", "need.p_onset_per_day"), "need.p_onset_per_day"),
    ("unknown-scenario", ["scenario=nope"], "scenario", "baseline"),
    ("mistyped-key", ["need.p_onset_per_dy=0.1"], "need.p_onset_per_dy",
     "close matches: need.p_onset_per_day"),
    ("added-unknown-key", ["+need.nope=1"], "need.nope", "not a parameter"),
    ("bad-override-syntax", ["run.seed=[1"], "run.seed", "cannot parse"),
    ("garbage-edge-list", ["topology=file", "topology.graph_file={d}/garbage.txt",
                           "topology.population_file={d}/people.csv"],
     "topology.graph_file", "line 1"),
    ("duplicate-integer-node", ["topology=file", "topology.graph_file={d}/int_ties.txt",
                                "topology.population_file={d}/dup_int.csv"],
     "topology.population_file", "node 3 appears"),
    ("stand-up-in-unknown-unit",
     [event("{day:50,kind:stand_up_intermediary,params:{kind:locality_officer,unit:99}}")],
     "events.bad.params.unit", "unit index"),
    # issue 12: values that used to pass silently
    ("nan-event-parameter", [event("{day:5,kind:emergency,params:{need_multiplier:nan}}")],
     "events.bad.params.need_multiplier", "finite"),
    ("inf-event-parameter", [event("{day:5,kind:emergency,params:{need_multiplier:inf}}")],
     "events.bad.params.need_multiplier", "finite"),
    ("huge-event-parameter", [event("{day:5,kind:surge_campaign,params:{multiplier:1e308}}")],
     "events.bad.params.multiplier", "<= 1000000.0"),
    ("nan-set-parameter",
     [event("{day:5,kind:set_parameter,params:{key:need.mult_female,value:nan}}")],
     ("events.bad.params.value", "need.mult_female"), "finite"),
    ("late-event", [event("{day:61,kind:emergency}")], "events.bad.day",
     "run.allow_late_events"),
    ("huge-multiplier", ["need.emergency_multiplier=1e308"], "need.emergency_multiplier",
     "<= 1000000.0"),
    ("nan-parameter", ["need.mult_female=nan"], "need.mult_female", "finite"),
    ("seed-2-to-the-64", ["run.seed=18446744073709551616"], "run.seed",
     "between 0 and 9223372036854775807"),
    ("empty-scenario-name", ["scenario.name="], "scenario.name", "1 to 100 letters"),
    ("scenario-name-with-slash", ["scenario.name=../x"], "scenario.name", "letters, digits"),
    ("huge-population", ["topology.n_residents=1000000000"], "topology.n_residents", "GiB"),
    ("huge-community-groups", ["topology=rural", "topology.rural_unit.community_groups=100000000"],
     "topology.rural_unit.community_groups", "run.allow_large"),
    ("huge-ties", ["topology.urban.ties_per_household=100000000"],
     "topology.urban.ties_per_household", "GiB"),
    ("too-many-units", ["topology=county_legacy", "topology.urban.n_residents=1"],
     "topology.urban.n_residents", "neighbourhood units"),
    ("flag-not-a-boolean", ["topology=file", "topology.graph_file={d}/ties.txt",
                            "topology.population_file={d}/maybe.csv"],
     "topology.population_file", "'digital' must hold true/false, 1/0 or yes/no"),
    ("blank-household", ["topology=file", "topology.graph_file={d}/ties.txt",
                         "topology.population_file={d}/blank_household.csv"],
     "topology.population_file", "'household'"),
    ("blank-gp-practice", ["topology=file", "topology.graph_file={d}/ties.txt",
                           "topology.population_file={d}/blank_gp.csv"],
     "topology.population_file", "row 2 has a blank cell"),
    ("fractional-code", ["topology=file", "topology.graph_file={d}/ties.txt",
                         "topology.population_file={d}/fractional.csv"],
     "topology.population_file", "'deprivation' must hold whole numbers"),
    ("empty-edge-list", ["topology=file", "topology.graph_file={d}/empty.txt",
                         "topology.population_file={d}/people.csv"],
     "topology.graph_file", "no ties"),
    ("garbage-edge-list-wide", ["topology=file", "topology.graph_file={d}/garbage_wide.txt",
                                "topology.population_file={d}/people.csv"],
     "topology.graph_file", "line 2"),
    ("graph-of-other-names", ["topology=file", "topology.graph_file={d}/other_names.txt",
                              "topology.population_file={d}/people.csv"],
     "topology.graph_file", "none of the graph's"),
    ("resident-without-graph-node", ["topology=file", "topology.graph_file={d}/ties.txt",
                                     "topology.population_file={d}/extra_resident.csv"],
     "topology.graph_file", "not nodes of the graph"),
]

# End to end through the command line: one case per way an error is raised (schema range,
# Hydra group, Hydra type, topology loader, topology builder, event check, model-dependent event
# check); the API test above covers every case.
CLI_CASES = ["probability-1.5", "unknown-topology", "seed-abc", "missing-graph-file",
             "gp-practice-with-no-residents", "event-parameter-out-of-range",
             "set-parameter-wrong-type", "unknown-key", "mistyped-key", "added-unknown-key",
             "unknown-scenario", "not-a-bool", "bad-override-syntax", "garbage-edge-list",
             "duplicate-integer-node",
             *(NEW_CLI_CASES := [
                 "nan-event-parameter", "late-event", "huge-population",
                 "huge-community-groups", "blank-household", "resident-without-graph-node"])]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """A folder with a valid tiny world and broken population tables."""
    folder = tmp_path_factory.mktemp("inputs")
    _, people = write_world(folder, 5, [(0, 1), (1, 2), (2, 3), (3, 4)])
    table = pd.read_csv(people)
    table.drop(columns="node").to_csv(folder / "no_node.csv", index=False)
    table.iloc[:3].to_csv(folder / "too_few.csv", index=False)
    (folder / "garbage.txt").write_text("this is not\nan edge list\n")
    (folder / "int_ties.txt").write_text("1 2\n2 3\n")
    dup = table.iloc[:4].copy()
    dup["node"] = [1, 2, 3, 3]
    dup.to_csv(folder / "dup_int.csv", index=False)
    table.assign(digital=["yes", "no", "maybe", "true", "0"]).to_csv(folder / "maybe.csv",
                                                                     index=False)
    table.assign(household=["h1", "h1", None, "h2", "h3"]).to_csv(
        folder / "blank_household.csv", index=False)
    table.assign(gp_practice=["P1", "", "P1", "P1", "P1"]).to_csv(folder / "blank_gp.csv",
                                                                   index=False)
    table.assign(deprivation=[1, 2, 2.5, 3, 3]).to_csv(folder / "fractional.csv", index=False)
    extra = pd.concat([table, table.iloc[[0]].assign(node="r99")])
    extra.to_csv(folder / "extra_resident.csv", index=False)
    (folder / "empty.txt").write_text("# no ties\n\n")
    (folder / "garbage_wide.txt").write_text("r0 r1\nr1 r2 r3 r4\n")
    (folder / "other_names.txt").write_text("source target\nalice bob\n")
    return folder


def overrides_for(case: str, folder) -> tuple[list[str], tuple[str, ...], str]:
    _, overrides, key, fragment = next(c for c in CASES if c[0] == case)
    keys = key if isinstance(key, tuple) else (key,)
    return [o.replace("{d}", str(folder)) for o in overrides], keys, fragment


def test_the_cases_are_well_formed():
    assert len({c[0] for c in CASES}) == len(CASES)
    assert set(CLI_CASES) <= {c[0] for c in CASES}


@pytest.mark.parametrize("case", [c[0] for c in CASES])
def test_api_refuses_bad_input_before_the_first_day(case, inputs):
    overrides, keys, fragment = overrides_for(case, inputs)
    with pytest.raises(ConfigError) as err:
        CommunityModel(sim.compose(["run.days=60", *overrides]))  # building only: no step
    assert err.value.key in keys
    assert str(err.value).startswith(f"{err.value.key}:")
    assert fragment in str(err.value)


@pytest.mark.parametrize("case", CLI_CASES)
def test_cli_refuses_bad_input_and_leaves_nothing(case, inputs, tmp_path):
    overrides, keys, fragment = overrides_for(case, inputs)
    out = tmp_path / "run"
    proc = run_cli("run.days=60", *overrides, f"hydra.run.dir={out}", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert any(f"error: {k}:" in proc.stderr for k in keys), proc.stderr
    assert fragment in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and "np." not in proc.stderr
    assert "use +" not in proc.stderr and "HYDRA_FULL_ERROR" not in proc.stderr
    assert leftovers(out) == []
    assert not list(tmp_path.glob("outputs/**/*.parquet"))


def test_flags_read_no_and_false_as_false(tiny_world):
    words = ["no", "false", "NO", "0", "yes", "TRUE", "1", "Yes"]
    model = CommunityModel(tiny_world(n=8, columns={"digital": words, "rural": [0] * 8,
                                                    "female": ["No"] * 4 + ["Yes"] * 4}))
    assert model.pop.digital.tolist() == [False] * 4 + [True] * 4
    assert model.pop.female.tolist() == [False] * 4 + [True] * 4
    assert not model.pop.rural.any()


def test_late_events_are_allowed_with_the_flag():
    cfg = sim.compose(["run.days=10", "run.allow_late_events=true",
                       event("{day:11,kind:emergency}")])
    assert CommunityModel(cfg).timeline.by_day[11]


def test_large_worlds_are_allowed_with_the_flag():
    cfg = sim.compose(["topology=rural", "topology.rural_unit.community_groups=300000",
                       "run.allow_large=true"])
    assert cfg.topology.rural_unit.community_groups == 300000  # validated, not built


def test_cli_options_still_work(tmp_path):
    assert run_cli("--help", cwd=tmp_path).returncode == 0
    shown = run_cli("--cfg", "job", "run.days=3", cwd=tmp_path)
    assert shown.returncode == 0 and "days: 3" in shown.stdout
    refused = run_cli("--cfg", "job", "run.dayz=3", cwd=tmp_path)
    assert refused.returncode == 2 and "error: run.dayz: is not a parameter" in refused.stderr
    assert not (tmp_path / "outputs").exists()


def test_run_time_event_error_names_the_event(tmp_path):
    """Each set_parameter is valid alone; the second breaks a cross-field rule when it fires."""
    out = tmp_path / "run"
    proc = run_cli("run.days=12", "topology=rural", "topology.n_residents=300",
                   "+events.a={day:3,kind:set_parameter,params:{key:need.share_onset_low,"
                   "value:0.85}}",
                   "+events.boom={day:5,kind:set_parameter,params:{key:need.share_onset_complex,"
                   "value:0.3}}", f"hydra.run.dir={out}", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "error: events.boom.params.value: need.share_onset_complex" in proc.stderr
    assert leftovers(out) == []


def test_numpy_scalars_are_shown_as_plain_numbers():
    import numpy as np

    err = ConfigError("k", f"got {np.int64(3)!r}, {np.float64(0.5)!r} and {np.True_!r}")
    assert str(err) == "k: got 3, 0.5 and True"
