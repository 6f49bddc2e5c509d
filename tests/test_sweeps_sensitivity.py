"""SALib sensitivity analysis: validation of the design file, Morris and Sobol indices."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.config import config_dir
from sim.experiments.sensitivity import load_design, run_analysis
from sim.params import ConfigError

TINY = """
base_overrides: [topology=rural, run.days=20, run.burn_in_days=28]
sample_seed: 3
parameters:
  need.p_onset_per_day: [0.0002, 0.003]
  volunteers.p_apply_per_day: [0.0001, 0.002]
  link_worker.caseload_cap: [5, 50]
outcomes:
  unmet_need_days_per_1000_residents: resident-days in unmet need per 1,000 residents
  mean_frac_volunteer_utilisation: mean share of registered volunteers who are active
morris: {trajectories: 3, num_levels: 4}
sobol: {n: 4, second_order: false}
"""


def _write(tmp_path: Path, text: str, name: str = "design.yaml") -> str:
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_morris_ranks_the_parameter_that_drives_the_outcome(tmp_path):
    res = run_analysis(_write(tmp_path, TINY), "morris", out=tmp_path / "out",
                       backend="serial", progress=False)
    ind = res["indices"]
    assert res["samples"] == 3 * (3 + 1) and res["runs"] == 12
    assert set(ind["index"]) == {"mu_star", "sigma", "mu"}
    assert len(ind) == 2 * 3 * 3  # outcomes x parameters x indices
    assert np.isfinite(ind["value"]).all()
    unmet = ind[(ind["outcome"] == "unmet_need_days_per_1000_residents")
                & (ind["index"] == "mu_star")].set_index("parameter")["value"]
    assert unmet.idxmax() == "need.p_onset_per_day" and unmet.max() > 0
    # each row says which outcome it is about and what the index means
    row = ind.iloc[0]
    assert row["outcome_meaning"] and row["index_meaning"].startswith("Morris")
    out = tmp_path / "out"
    for f in ("indices.csv", "indices.parquet", "design.parquet", "sensitivity.png",
              "sensitivity.svg", "sensitivity.json"):
        assert (out / f).is_file()
    info = json.loads((out / "sensitivity.json").read_text())
    assert info["outcomes"]["mean_frac_volunteer_utilisation"].startswith("mean share")
    assert info["integer_parameters"] == ["link_worker.caseload_cap"]
    design = pd.read_parquet(out / "design.parquet")
    assert len(design) == 12
    # integer parameters are run as whole numbers
    manifest = json.loads(next((out / "runs").glob("s00000-r0/manifest.json")).read_text())
    assert isinstance(manifest["config"]["link_worker"]["caseload_cap"], int)

    # resumable: the same analysis again skips every run and gives the same indices
    again = run_analysis(_write(tmp_path, TINY), "morris", out=tmp_path / "out",
                         backend="serial", progress=False)
    assert dict(again["report"].attempts) == {"skipped": 12}
    pd.testing.assert_frame_equal(again["indices"], ind)


@pytest.mark.slow
def test_sobol_indices_on_joblib(tmp_path):
    res = run_analysis(_write(tmp_path, TINY), "sobol", out=tmp_path / "out", backend="joblib",
                       n_jobs=2, progress=False)
    ind = res["indices"]
    assert res["runs"] == 4 * (3 + 2)
    assert set(ind["index"]) == {"S1", "ST"}
    st = ind[(ind["outcome"] == "unmet_need_days_per_1000_residents")
             & (ind["index"] == "ST")].set_index("parameter")["value"]
    assert st.idxmax() == "need.p_onset_per_day"
    assert ind["conf"].notna().all()


@pytest.mark.parametrize("edit, key, words", [
    ("  nope.not_a_key: [0, 1]\n", "parameters.nope.not_a_key", "not a model parameter"),
    ("  need.p_hidden: [0.5, 1.5]\n", "parameters.need.p_hidden", "allowed range [0.0, 1.0]"),
    ("  link_worker.caseload_cap: [0, 10]\n", "parameters.link_worker.caseload_cap",
     "allowed range [1, inf]"),
    ("  scenario.name: [0, 1]\n", "parameters.scenario.name", "not numeric"),
    ("  run.plots: [0, 1]\n", "parameters.run.plots", "not numeric"),
    ("  need.p_hidden: [0.4, 0.2]\n", "parameters.need.p_hidden", "low must be below high"),
    ("  need.p_hidden: 0.3\n", "parameters.need.p_hidden", "must be [low, high]"),
])
def test_bad_bounds_name_the_key(tmp_path, edit, key, words):
    text = TINY.replace("  link_worker.caseload_cap: [5, 50]\n", edit)
    with pytest.raises(ConfigError) as err:
        load_design(_write(tmp_path, text))
    assert err.value.key == key and words in str(err.value)


def test_other_design_errors(tmp_path):
    with pytest.raises(ConfigError, match="sobol.n: must be a power of 2"):
        load_design(_write(tmp_path, TINY.replace("n: 4", "n: 6")))
    with pytest.raises(ConfigError, match="no analysis named 'missing'"):
        load_design("missing")
    bad_outcome = TINY.replace("outcomes:\n", "outcomes:\n  not_an_outcome: x\n")
    with pytest.raises(ConfigError, match="outcomes.not_an_outcome: is not a summary outcome"):
        run_analysis(_write(tmp_path, bad_outcome), "morris", out=tmp_path / "o",
                     backend="serial", progress=False)
    assert not (tmp_path / "o").exists()  # stopped before anything was written


def test_cli_reports_a_bad_design_and_exits_2(tmp_path):
    path = _write(tmp_path, TINY.replace("[0.0002, 0.003]", "[-1, 0.003]"))
    proc = subprocess.run([sys.executable, "-m", "sim.experiments.sensitivity", path,
                           "--out", str(tmp_path / "o")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "parameters.need.p_onset_per_day" in proc.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("extra, key", [
    (["--mem-gb", "-1"], "slurm.mem_gb"),
    (["--runs-per-task", "0"], "slurm.runs_per_task"),
    ([], "sbatch"),  # no Slurm on PATH: refused, not a traceback from submitit
])
def test_slurm_backend_settings_are_checked_before_anything_is_written(tmp_path, extra, key):
    path = _write(tmp_path, TINY)
    proc = subprocess.run([sys.executable, "-m", "sim.experiments.sensitivity", path, "--out",
                           str(tmp_path / "o"), "--backend", "slurm", *extra],
                          capture_output=True, text=True,
                          env={**os.environ, "PATH": os.path.dirname(sys.executable)})
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert key in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("name", sorted(p.stem for p in
                                        (config_dir() / "sensitivity").glob("*.yaml")))
def test_shipped_designs_are_valid(name):
    d = load_design(name)
    assert len(d.parameters) >= 2 and d.outcomes
    assert all(meaning for meaning in d.outcomes.values())


# ---- burn-in states: shared between the runs of one world only (issue 16) --------------------

SHARED = """
base_overrides: [topology=rural, run.burn_in_days=28]
replicates: 2
parameters:
  need.p_onset_per_day: [0.0002, 0.003]
  link_worker.caseload_cap: [5, 50]
  run.days: [10, 30]
outcomes:
  unmet_need_days_per_1000_residents: resident-days in unmet need per 1,000 residents
"""


def test_runs_share_a_burn_in_exactly_when_their_burn_in_keys_are_equal(tmp_path):
    from sim.burn_in import burn_in_key
    from sim.experiments.runs import _composed, set_values
    from sim.experiments.sensitivity import design_jobs

    design = load_design(_write(tmp_path, SHARED))
    X = np.array([[0.001, 10.0, 10.0],
                  [0.001, 10.2, 25.0],   # caseload rounds to 10; only the run length differs
                  [0.002, 10.0, 10.0],   # another onset: a burn-in of its own
                  [0.001, 11.0, 10.0]])  # another caseload: a burn-in of its own
    jobs = design_jobs(design, X)
    assert [j.name for j in jobs][:3] == ["s00000-r0", "s00000-r1", "s00001-r0"]
    shared = {j.name for j in jobs if j.share_burn_in}
    assert shared == {"s00000-r0", "s00000-r1", "s00001-r0", "s00001-r1"}
    keys = {j.name: burn_in_key(set_values(_composed(j.overrides), dict(j.values)))
            for j in jobs}
    for j in jobs:  # a run is marked shared iff another run has its burn-in key
        others = [k for name, k in keys.items() if name != j.name]
        assert j.share_burn_in == (keys[j.name] in others), j.name
    assert keys["s00000-r0"] != keys["s00000-r1"]  # the replicate is part of the burn-in


def test_a_sample_of_its_own_world_saves_no_state_and_its_outputs_are_unchanged(tmp_path):
    import dataclasses

    from sim.experiments.executor import run_jobs
    from sim.experiments.sensitivity import design_jobs, sample

    design = load_design(_write(tmp_path, TINY))
    jobs = design_jobs(design, sample(design, "sobol"))[:4]
    assert not any(j.share_burn_in for j in jobs)  # every sample has its own parameters
    run_jobs(jobs, tmp_path / "own", backend="serial", progress=False)
    assert not list((tmp_path / "own").glob(".burn_in/*.state"))
    saved = [dataclasses.replace(j, share_burn_in=True) for j in jobs]  # as before
    run_jobs(saved, tmp_path / "saved", backend="serial", progress=False)
    assert len(list((tmp_path / "saved").glob(".burn_in/*.state"))) == len(jobs)
    for j in jobs:
        for name in ("timeseries.parquet", "summary.json", "areas.parquet"):
            a, b = tmp_path / "own" / j.name / name, tmp_path / "saved" / j.name / name
            assert a.read_bytes() == b.read_bytes(), (j.name, name)


def test_study_runs_build_no_resident_objects_and_give_the_same_outputs(tmp_path):
    """A study's runs take run.resident_agents=false (and run.plots=false) unless the design
    sets them; the run folder of such a job holds the bytes a run with the agents writes."""
    import dataclasses

    from sim.experiments.executor import run_jobs
    from sim.experiments.sensitivity import design_jobs, job_overrides, sample

    design = load_design(_write(tmp_path, TINY))
    assert job_overrides(design, 2)[-3:] == (
        "run.plots=false", "run.resident_agents=false", "run.replicate=2")
    given = load_design(_write(tmp_path, TINY.replace(
        "run.burn_in_days=28]", "run.burn_in_days=28, run.resident_agents=true]"), "own.yaml"))
    assert [o for o in job_overrides(given, 0) if o.startswith("run.resident_agents")] == [
        "run.resident_agents=true"]
    (job,) = design_jobs(design, sample(design, "sobol"))[:1]
    with_agents = dataclasses.replace(job, overrides=tuple(
        o.replace("resident_agents=false", "resident_agents=true") for o in job.overrides))
    run_jobs([job], tmp_path / "lazy", backend="serial", progress=False)
    run_jobs([with_agents], tmp_path / "agents", backend="serial", progress=False)
    for name in ("timeseries.parquet", "summary.json", "areas.parquet", "practices.parquet"):
        a = (tmp_path / "lazy" / job.name / name).read_bytes()
        assert a == (tmp_path / "agents" / job.name / name).read_bytes(), name


def test_runs_of_one_world_load_the_state_the_first_saved(tmp_path, monkeypatch):
    from sim import burn_in
    from sim.experiments.executor import run_jobs
    from sim.experiments.sensitivity import design_jobs

    saves = []
    save = burn_in._save
    monkeypatch.setattr(burn_in, "_save", lambda model, path: (saves.append(path),
                                                                save(model, path)))

    design = load_design(_write(tmp_path, SHARED))
    design.replicates = 1
    jobs = design_jobs(design, np.array([[0.001, 10.0, 10.0], [0.001, 10.0, 25.0],
                                         [0.002, 10.0, 10.0]]))
    assert [j.share_burn_in for j in jobs] == [True, True, False]
    run_jobs(jobs, tmp_path / "runs", backend="serial", progress=False)
    assert len(list((tmp_path / "runs").glob(".burn_in/*.state"))) == 1
    assert len(saves) == 1  # the second run of the world loaded it
    days = [len(pd.read_parquet(tmp_path / "runs" / j.name / "timeseries.parquet"))
            for j in jobs]
    assert days == [10, 25, 10]


def _sobol_cost_module():
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "experiments" / "sobol_cost.py"
    spec = importlib.util.spec_from_file_location("sobol_cost_script", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sobol_cost_alternates_old_and_new_and_pairs_the_rounds():
    """``--base``: the sides run old, new, new, old, old, new...; each pair of rounds run one
    after the other gives one ratio new/old."""
    cost = _sobol_cost_module()
    assert cost.alternation(1) == ["old", "new"]
    assert cost.alternation(3) == ["old", "new", "new", "old", "old", "new"]
    order = cost.alternation(2)
    totals = {"old": [1.5, 1.6], "new": [1.2, 1.4]}  # in the order each side ran
    assert cost.paired_ratios(totals, order) == [round(1.2 / 1.5, 4), round(1.4 / 1.6, 4)]


def test_sobol_cost_refuses_a_bad_base_or_rounds_and_writes_nothing(tmp_path):
    root = Path(__file__).resolve().parent.parent
    out = tmp_path / "cost.json"
    for extra, message in ((["--base", "no-such-revision"], "is not a revision"),
                           (["--base", "HEAD", "--rounds", "0"], "--rounds must be at least 1"),
                           (["--base", "HEAD", "--keep", str(tmp_path / "k")],
                            "--keep cannot be used with --base")):
        proc = subprocess.run([sys.executable, str(root / "experiments" / "sobol_cost.py"),
                               "--runs", "3", "--out", str(out), *extra],
                              capture_output=True, text=True, cwd=root)
        assert proc.returncode == 2 and message in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr and not out.exists()
    assert not (tmp_path / "k").exists()


@pytest.mark.slow
def test_sobol_cost_compares_a_revision_with_this_tree_round_by_round(tmp_path):
    """``--base HEAD --rounds 1``: the whole measurement for the exported revision, then for
    this tree, each with its own code; both projections and their ratio are reported."""
    root = Path(__file__).resolve().parent.parent
    out = tmp_path / "cost.json"
    proc = subprocess.run([sys.executable, str(root / "experiments" / "sobol_cost.py"),
                           "--design", _write(tmp_path, TINY), "--runs", "3", "--breakdown",
                           "1", "--out", str(out), "--base", "HEAD", "--rounds", "1"],
                          capture_output=True, text=True, cwd=root)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    res = json.loads(out.read_text())
    assert res["order"] == ["old", "new"] and len(res["rounds"]) == 2
    old, new = (r["result"] for r in res["rounds"])
    assert old["runs"]["design_runs"] == new["runs"]["design_runs"] == 4 * (3 + 2)
    assert all(h > 0 for side in ("old", "new") for h in res["summary"][side]["hours"])
    assert res["paired_ratios_new_over_old"] == [round(
        res["summary"]["new"]["hours"][0] / res["summary"]["old"]["hours"][0], 4)]
    assert len(res["base"]) == 40 and "round 2 of 2, new" in proc.stdout


@pytest.mark.slow
def test_sobol_cost_projects_a_study_from_its_first_runs(tmp_path):
    """experiments/sobol_cost.py runs end to end on a small design: the design's first runs on
    2 workers, none saving a burnt-in state, and a projection that adds up."""
    root = Path(__file__).resolve().parent.parent
    out = tmp_path / "cost.json"
    readme = tmp_path / "README.md"
    readme.write_text("before\n<!-- sobol:begin -->\nold\n<!-- sobol:end -->\nafter\n")
    proc = subprocess.run([sys.executable, str(root / "experiments" / "sobol_cost.py"),
                           "--design", _write(tmp_path, TINY), "--runs", "3", "--breakdown",
                           "1", "--out", str(out), "--readme", str(readme)],
                          capture_output=True, text=True, cwd=root)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    res = json.loads(out.read_text())
    runs, p = res["runs"], res["projection"]
    # --readme: the projection between the markers, the rest as it was
    text = readme.read_text()
    assert text.startswith("before\n<!-- sobol:begin -->\n") and "\nold\n" not in text
    assert text.endswith("<!-- sobol:end -->\nafter\n")
    assert f"**{p['total_hours_wall_clock']:.2f} h** on the wall clock" in text
    assert res["git_revision"][:10] in text and "target 1.5 h: " in text
    assert f"{p['design_runs']:,} runs; the first 3 run with 2 joblib workers" in text
    assert runs["design_runs"] == 4 * (3 + 2) and runs["prefix_runs"] == 3
    assert res["machine"]["interpreter"].startswith("CPython ")  # its build flags beside
    assert runs["attempts"] == {"done": 3} and runs["collected_runs"] == 3
    assert runs["burn_in_states_saved"] == 0  # every sample is a world of its own
    assert "save_state_cpu" not in res["breakdown"] and res["breakdown"]["burn_in_cpu"] > 0
    assert res["analysis"]["samples"] == 20
    # the workers' warm-up (a run each) counts once; the third run gives the cost of a run
    assert runs["warm_up_runs"] == 2 and runs["after_warm_up"]["runs"] == 1
    assert p["per_run_from"] == "runs after the workers' warm-up"
    assert p["per_run_cpu"] == pytest.approx(runs["after_warm_up"]["cpu"], abs=1e-3)
    assert p["workers_fixed_cpu"] > 0  # the workers' start-up: imports, kernels, first runs
    wall = (p["startup_wall"] + p["workers_fixed_wall"] + p["runs_wall_projected"]
            + p["collect_wall_projected"] + p["analysis_wall"])
    assert p["total_hours_wall_clock"] == pytest.approx(wall / 3600, abs=1e-3)
    assert 0 < p["total_hours_cpu_over_cores"] < p["total_hours_wall_clock"] * 2
