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
    ("seed-abc", ["run.seed=abc"], "run.seed", "Integer"),
    ("negative-seed", ["run.seed=-1"], "run.seed", ">= 0"),
    ("zero-days", ["run.days=0"], "run.days", "between 1 and"),
    ("not-a-bool", ["run.plots=maybe"], "run.plots", "bool"),
    ("unknown-key", ["nonsense.key=1"], "nonsense.key", "not a parameter"),
    ("unknown-event-kind", [event("{day:5,kind:bogus}")], "events.bad.kind", "known kinds"),
    ("negative-event-day", [event("{day:-5,kind:emergency}")], "events.bad.day", ">= 0"),
    ("event-parameter-out-of-range", [event("{day:5,kind:funding_cut,params:{share:1.5}}")],
     "events.bad.params.share", "<= 1.0"),
    ("event-parameter-wrong-type",
     [event("{day:5,kind:emergency,params:{need_multiplier:lots}}")],
     "events.bad.params.need_multiplier", "float"),
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
     "topology.graph_file", "none of the"),
    ("duplicate-integer-node", ["topology=file", "topology.graph_file={d}/int_ties.txt",
                                "topology.population_file={d}/dup_int.csv"],
     "topology.population_file", "node 3 appears"),
    ("stand-up-in-unknown-unit",
     [event("{day:50,kind:stand_up_intermediary,params:{kind:locality_officer,unit:99}}")],
     "events.bad.params.unit", "unit index"),
]

# End to end through the command line: one case per way an error is raised (schema range,
# Hydra group, Hydra type, topology loader, topology builder, event check, model-dependent event
# check); the API test above covers every case.
CLI_CASES = ["probability-1.5", "unknown-topology", "seed-abc", "missing-graph-file",
             "gp-practice-with-no-residents", "event-parameter-out-of-range",
             "set-parameter-wrong-type", "unknown-key", "mistyped-key", "added-unknown-key",
             "unknown-scenario", "not-a-bool", "bad-override-syntax", "garbage-edge-list",
             "duplicate-integer-node"]


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
