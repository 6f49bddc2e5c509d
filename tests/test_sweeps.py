"""Hydra multirun sweeps: the 2 x 2 x 5 sweep on our joblib launcher (hydra/launcher=local),
resume after a kill, failing jobs, paired comparison of the result, and the shipped sweep and
launcher configs."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from sweeps_common import (
    DAYS,
    REPLICATES,
    TOPOLOGIES,
    env,
    read_tables,
    report_counts,
    run_key,
    run_sim,
    second_scenario,
    sweep_args,
)

from sim.config import config_dir, register_schema
from sim.experiments.compare import compare

N_RUNS = len(TOPOLOGIES) * 2 * REPLICATES


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    return second_scenario(tmp_path_factory.mktemp("scenario"))


@pytest.fixture(scope="module")
def joblib_sweep(tmp_path_factory, scenario):
    """The 2 topologies x 2 scenarios x 5 replicates sweep on our joblib launcher (local)."""
    name, extra = scenario
    sweep_dir = tmp_path_factory.mktemp("joblib") / "sweep"
    proc = run_sim(sweep_args(sweep_dir, name, extra, launcher="local"))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return sweep_dir, proc


def test_sweep_aggregates_to_runs_times_days(joblib_sweep, scenario):
    sweep_dir, proc = joblib_sweep
    runs = [p for p in sweep_dir.iterdir() if (p / "manifest.json").is_file()]
    assert len(runs) == N_RUNS
    t = read_tables(sweep_dir)
    assert len(t["timeseries"]) == N_RUNS * DAYS
    assert len(t["summary"]) == N_RUNS
    assert len(t["failures"]) == 0
    # every run once, every day once per run; identity columns present
    assert run_key(t["summary"]).is_unique
    assert not t["timeseries"].duplicated(["run", "day"]).any()
    assert set(t["summary"]["scenario"]) == {"baseline", scenario[0]}
    assert set(t["summary"]["topology"]) == set(TOPOLOGIES)
    assert sorted(set(t["summary"]["replicate"])) == list(range(REPLICATES))
    for col in ("seed", "replicate", "scenario", "topology", "config_hash"):
        assert col in t["timeseries"] and col in t["summary"]
    # replicate seeds do not depend on the scenario: same base seed everywhere
    assert t["summary"]["seed"].nunique() == 1
    # the one-screen report
    assert report_counts(proc.stdout) == {"done now": N_RUNS, "skipped": 0, "failed": 0,
                                          "not finished": 0}
    assert "timeseries.parquet" in proc.stdout and str(sweep_dir / "tables") in proc.stdout


def test_paired_effect_of_surge_on_volunteer_utilisation_has_ci(joblib_sweep, scenario):
    sweep_dir, _ = joblib_sweep
    res = compare(sweep_dir, metrics=["mean_frac_volunteer_utilisation",
                                      "unmet_need_days_per_1000_residents"])
    eff = res["effects"]
    util = eff[(eff["metric"] == "mean_frac_volunteer_utilisation")
               & (eff["scenario"] == scenario[0])]
    assert sorted(util["topology"]) == sorted(TOPOLOGIES)
    assert sorted(util["group"]) == sorted(f"topology={t}" for t in TOPOLOGIES)
    assert (util["n_pairs"] == REPLICATES).all()
    for row in util.itertuples():
        assert math.isfinite(row.ci_low) and math.isfinite(row.ci_high)
        assert row.ci_low <= row.mean_difference <= row.ci_high
    assert (util["ci_high"] > util["ci_low"]).any(), "the surge changed nothing in any pair"
    # the table is the paired difference, recomputed here from the summary table
    s = read_tables(sweep_dir)["summary"]
    urban = s[s["topology"] == "urban"].set_index(["scenario", "replicate"])
    d = (urban.loc[scenario[0], "mean_frac_volunteer_utilisation"]
         - urban.loc["baseline", "mean_frac_volunteer_utilisation"])
    row = util[util["topology"] == "urban"].iloc[0]
    assert row.mean_difference == pytest.approx(d.mean())
    # figures: fan charts of key metrics and the effect plot, PNG and SVG
    out = Path(res["dir"])
    for stem in ("fan_frac_volunteer_utilisation", "fan_n_unmet_need", "effects"):
        for ext in (".png", ".svg"):
            assert (out / (stem + ext)).stat().st_size > 1000
    assert (out / "effects.csv").is_file()


def test_compare_is_reproducible(joblib_sweep, tmp_path):
    sweep_dir, _ = joblib_sweep
    a = compare(sweep_dir, out=tmp_path / "a", ci="bootstrap", seed=3)
    b = compare(sweep_dir, out=tmp_path / "b", ci="bootstrap", seed=3)
    assert a["effects"].equals(b["effects"])
    for name in ("effects.png", "effects.svg", "fan_n_unmet_need.svg"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def _complete(sweep_dir: Path) -> dict[str, tuple[int, bytes]]:
    return {p.parent.name: (p.stat().st_mtime_ns, p.read_bytes())
            for p in sweep_dir.glob("*/manifest.json")}


@pytest.mark.slow
def test_killed_sweep_resumes_without_losing_or_duplicating_runs(tmp_path, scenario):
    name, extra = scenario
    sweep_dir = tmp_path / "sweep"
    args = sweep_args(sweep_dir, name, extra, launcher="local")
    proc = subprocess.Popen([sys.executable, "-m", "sim", *args], env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, cwd=Path(__file__).resolve().parent.parent)
    deadline = time.monotonic() + 300
    try:
        while len(_complete(sweep_dir)) < 4:
            assert proc.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the launcher and its workers
        proc.wait()
    before = _complete(sweep_dir)
    assert 4 <= len(before) < N_RUNS
    assert not (sweep_dir / "tables").exists()

    again = run_sim(args)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    after = _complete(sweep_dir)
    assert len(after) == N_RUNS
    for run, stamp in before.items():  # complete runs were skipped, not redone
        assert after[run] == stamp
    statuses = [json.loads(p.read_text())["attempt"] for p in sweep_dir.glob("*/status.json")]
    assert statuses.count("skipped") == len(before)
    assert statuses.count("done") == N_RUNS - len(before)
    t = read_tables(sweep_dir)
    assert len(t["summary"]) == N_RUNS and run_key(t["summary"]).is_unique
    assert len(t["timeseries"]) == N_RUNS * DAYS
    assert not list(sweep_dir.glob("*/.partial-*"))

    # a run whose manifest is gone (a partial write) is redone; the rest are skipped
    gone = sorted(after)[:2]
    for run in gone:
        (sweep_dir / run / "manifest.json").unlink()
    third = run_sim([a for a in args if "launcher" not in a])  # any launcher resumes it

    assert third.returncode == 0
    assert report_counts(third.stdout) == {"done now": 2, "skipped": N_RUNS - 2, "failed": 0,
                                           "not finished": 0}
    final = _complete(sweep_dir)
    assert len(final) == N_RUNS
    for run in set(after) - set(gone):
        assert final[run] == after[run]
    # the redone runs are byte-identical in their tables (one seed decides every byte)
    t2 = read_tables(sweep_dir)
    assert t2["summary"].sort_values("run").reset_index(drop=True).equals(
        t["summary"].sort_values("run").reset_index(drop=True))


def test_failing_job_is_recorded_and_others_complete(tmp_path):
    sweep_dir = tmp_path / "sweep"
    proc = run_sim(["-m", f"hydra.sweep.dir={sweep_dir}", "topology=rural", "run.days=5",
                    "run.plots=false", "run.replicate=0,1", "need.p_onset_per_day=0.0006,1.5"])
    assert proc.returncode == 1  # non-zero, at the end of the sweep only
    complete = list(sweep_dir.glob("*/manifest.json"))
    errors = list(sweep_dir.glob("*/error.json"))
    assert len(complete) == 2 and len(errors) == 2
    for e in errors:
        err = json.loads(e.read_text())
        assert err["key"] == "need.p_onset_per_day"
        assert "between 0.0 and 1.0" in err["message"]
        assert "need.p_onset_per_day=1.5" in err["overrides"]
        assert not (e.parent / "timeseries.parquet").exists()
    t = read_tables(sweep_dir)
    assert len(t["summary"]) == 2 and len(t["timeseries"]) == 2 * 5
    assert sorted(t["failures"]["key"]) == ["need.p_onset_per_day"] * 2
    assert (t["failures"]["state"] == "failed").all()
    assert report_counts(proc.stdout) == {"done now": 2, "skipped": 0, "failed": 2,
                                          "not finished": 0}
    assert "need.p_onset_per_day: must be between" in proc.stdout

    # fixing nothing and re-running retries only the failed jobs
    again = run_sim(["-m", f"hydra.sweep.dir={sweep_dir}", "topology=rural", "run.days=5",
                     "run.plots=false", "run.replicate=0,1", "need.p_onset_per_day=0.0006,1.5"])
    assert again.returncode == 1
    assert report_counts(again.stdout) == {"done now": 0, "skipped": 2, "failed": 2,
                                           "not finished": 0}


def test_single_runs_keep_their_contract(tmp_path):
    """Outside multirun a bad value still exits 2 and leaves nothing behind."""
    out = tmp_path / "run"
    proc = run_sim(["run.days=0", f"hydra.run.dir={out}"])
    assert proc.returncode == 2
    assert "run.days" in proc.stderr
    assert not out.exists() or not any(out.iterdir())


def _hydra_cfg(overrides: list[str]):
    register_schema()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        return compose(config_name="config", overrides=overrides, return_hydra_config=True)


@pytest.mark.parametrize("name", sorted(p.stem for p in (config_dir() / "sweep").glob("*.yaml")))
def test_named_sweeps_compose(name):
    cfg = _hydra_cfg([f"+sweep={name}"])
    assert str(cfg.hydra.mode) == "RunMode.MULTIRUN"
    params = dict(cfg.hydra.sweeper.params)
    assert "run.replicate" in params
    scenarios = {p.stem for p in (config_dir() / "scenario").glob("*.yaml")}
    for value in str(params.get("scenario", "baseline")).split(","):
        assert value.startswith("glob(") or value in scenarios
    assert not cfg.run.plots


def test_launcher_configs_compose():
    slurm = _hydra_cfg(["hydra/launcher=slurm", "hydra.launcher.partition=short"])
    assert slurm.hydra.launcher._target_.endswith("SlurmLauncher")
    assert slurm.hydra.launcher.partition == "short"
    assert slurm.hydra.launcher.cpus_per_task == 1
    ray = _hydra_cfg(["hydra/launcher=ray_cluster"])
    assert ray.hydra.launcher._target_.endswith("RayLauncher")
    assert ray.hydra.launcher.ray.init.address == "auto"
    joblib = _hydra_cfg(["hydra/launcher=joblib"])
    assert joblib.hydra.launcher._target_.endswith("JoblibLauncher")
    local = _hydra_cfg(["hydra/launcher=local", "hydra.launcher.n_jobs=3"])
    assert local.hydra.launcher._target_.endswith("joblib_launcher.LocalLauncher")
    assert local.hydra.launcher.n_jobs == 3  # Hydra's joblib options, typed by its schema
    assert local.hydra.launcher.pre_dispatch == "2*n_jobs"


def test_local_launcher_refuses_a_bad_option_by_name(tmp_path):
    user = {k: v for k, v in env().items() if k != "HYDRA_FULL_ERROR"}  # as a user runs it
    proc = run_sim(["-m", f"hydra.sweep.dir={tmp_path / 'sweep'}", "hydra/launcher=local",
                    "hydra.launcher.n_jobs=two", "run.days=3"], environ=user)
    assert proc.returncode == 2, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "hydra.launcher.n_jobs" in proc.stderr and "Traceback" not in proc.stderr
    assert not any((tmp_path / "sweep").glob("*/manifest.json"))


# runs the CLI and prints what the sweeper got back from the launcher (Hydra.multirun's return:
# not a plugin module, which Hydra's plugin scan would execute again and so undo the wrapping)
_PRINT_RETURNS = """
import json, sys
from hydra._internal.hydra import Hydra
import sim.cli

got = []
multirun = Hydra.multirun
def recording(self, *args, **kwargs):
    batches = multirun(self, *args, **kwargs)
    got.extend(r for batch in batches for r in batch)
    return batches
Hydra.multirun = recording
try:
    sim.cli.main(sys.argv[1:])
finally:
    print("RETURNS " + json.dumps([
        [list(r.overrides), r.status.name, r.return_value, r.working_dir, r.task_name,
         r.cfg is None, r.hydra_cfg is None] for r in got]))
"""


def _launcher_returns(tmp_path, launcher: str) -> list:
    args = ["-m", f"hydra.sweep.dir={tmp_path / launcher}", f"hydra/launcher={launcher}",
            "hydra.launcher.n_jobs=2", "topology=rural", "run.days=2", "run.burn_in_days=0",
            "run.plots=false", "run.replicate=range(3)", "need.p_hidden=0.2,0.3"]
    proc = subprocess.run([sys.executable, "-c", _PRINT_RETURNS, *args], capture_output=True,
                          text=True, timeout=600, env=env(),
                          cwd=Path(__file__).resolve().parent.parent)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RETURNS "))
    return json.loads(line.removeprefix("RETURNS "))


def test_local_launcher_returns_what_hydras_joblib_launcher_returns(tmp_path):
    """The sweeper gets, job by job and in order, the same overrides, status, return value
    (the attempt), working directory and task name from ``hydra/launcher=local`` as from
    Hydra's joblib launcher; the job's two configurations stay in the worker on both (the
    sweep's callback drops them at the job's end, ``SweepReport.on_job_end``, so Hydra's
    launcher no longer pickles them back either)."""
    ours, hydras = _launcher_returns(tmp_path, "local"), _launcher_returns(tmp_path, "joblib")
    assert len(ours) == len(hydras) == 6
    assert [r[:5] for r in ours] == [r[:5] for r in hydras]
    assert {r[1] for r in ours} == {"COMPLETED"} and {r[2] for r in ours} == {"done"}
    assert all(r[5] and r[6] for r in ours + hydras)  # no configurations sent back


# each worker process, at its exit, writes what the launcher and the composition cache did in it
_WORKER_STATS_HOOK = """
import atexit, json, os, sys

def _dump():
    launcher = sys.modules.get("hydra_plugins.community_sim.joblib_launcher")
    compose = sys.modules.get("sim.sweep_compose")
    if launcher is None or compose is None or not launcher.stats["jobs"]:
        return
    unpicklable = sum(blob is None for blob in compose._PICKLED.values())
    with open(os.path.join(os.environ["WORKER_STATS"], f"{os.getpid()}.json"), "w") as f:
        json.dump({**launcher.stats, **compose.stats, "unpicklable": unpicklable}, f)

atexit.register(_dump)
"""


def test_local_launcher_sets_each_worker_up_once(tmp_path):
    """``hydra/launcher=local`` (hydra_plugins/community_sim/joblib_launcher.py): each worker
    sets up the sweep's Hydra state once (not per job, as Hydra's joblib launcher does),
    composes once and copies every later job from the composition's pickle (Hydra's plugin
    scan in a worker makes new config classes; had the state been loaded before it, the
    composition could not be pickled and every job would be deep-copied)."""
    site, stats = tmp_path / "site", tmp_path / "stats"
    site.mkdir()
    stats.mkdir()
    (site / "sitecustomize.py").write_text(_WORKER_STATS_HOOK)
    environ = dict(env(), WORKER_STATS=str(stats), PYTHONPATH=os.pathsep.join(
        p for p in (str(site), os.environ.get("PYTHONPATH", "")) if p))
    proc = run_sim(["-m", f"hydra.sweep.dir={tmp_path / 'sweep'}", "hydra/launcher=local",
                    "hydra.launcher.n_jobs=2", "topology=rural", "run.days=3",
                    "run.burn_in_days=0", "run.plots=false", "run.replicate=range(6)"],
                   environ=environ)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert report_counts(proc.stdout)["done now"] == 6
    workers = [json.loads(p.read_text()) for p in stats.glob("*.json")]
    assert 1 <= len(workers) <= 2 and sum(w["jobs"] for w in workers) == 6
    for w in workers:
        assert w["setups"] == 1, w
        assert (w["composed"], w["reused"], w["fallback"]) == (1, w["jobs"] - 1, 0), w
        assert w["unpicklable"] == 0, w


def test_sweep_runs_are_paired_by_seed_not_scenario(joblib_sweep, scenario):
    """Paired runs share every draw until the scenario's first event (surge on day 30)."""
    if scenario[0] != "surge_recruitment":
        pytest.skip("needs the library's surge_recruitment scenario (first event on day 30)")
    sweep_dir, _ = joblib_sweep
    ts = read_tables(sweep_dir)["timeseries"]
    metrics = ["n_in_need", "n_unmet_need", "n_vol_active", "new_referrals_total"]
    early = ts[ts["day"] < 30].set_index(["topology", "replicate", "day"]).sort_index()
    base = early[early["scenario"] == "baseline"][metrics]
    surge = early[early["scenario"] == "surge_recruitment"][metrics]
    assert len(base) == len(TOPOLOGIES) * REPLICATES * 29
    assert base.equals(surge)
    # and replicates differ from each other
    assert not base.xs(0, level="replicate").equals(base.xs(1, level="replicate"))


def test_a_named_sweep_runs_from_its_file(tmp_path):
    """`+sweep=NAME` alone makes a multirun; command-line values replace the file's."""
    sweep_dir = tmp_path / "named"
    proc = run_sim(["+sweep=surge_vs_baseline", f"hydra.sweep.dir={sweep_dir}",
                    "topology=rural", "run.replicate=range(1)", "run.days=30"])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert report_counts(proc.stdout)["done now"] == 2
    names = sorted(p.name for p in sweep_dir.iterdir() if (p / "manifest.json").is_file())
    assert names == [f"run.days=30,run.replicate=0,scenario={s},topology=rural"
                     for s in ("baseline", "surge_recruitment")]
    manifest = json.loads((sweep_dir / names[0] / "manifest.json").read_text())
    assert manifest["config"]["run"]["plots"] is False  # set by the sweep file


def test_slurm_launcher_skips_complete_runs_on_the_driver(tmp_path):
    """``hydra/launcher=slurm`` (hydra_plugins/community_sim) composes each job on the driver and
    leaves complete runs out of the submission: a sweep finished on another route is resumed on
    Slurm without a single job submitted (no Slurm needed to show it), and a run whose
    configuration changed would be submitted (here: Slurm is absent, so the launcher fails)."""
    sweep_dir = tmp_path / "sweep"
    args = ["-m", f"hydra.sweep.dir={sweep_dir}", "topology=rural", "run.days=3",
            "run.burn_in_days=0", "run.plots=false", "run.replicate=0,1"]
    first = run_sim(args)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    manifests = {p: p.read_bytes() for p in sweep_dir.glob("*/manifest.json")}
    assert len(manifests) == 2
    again = run_sim([*args, "hydra/launcher=slurm", "hydra.launcher.partition=none"])
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert report_counts(again.stdout) == {"done now": 0, "skipped": 2, "failed": 0,
                                           "not finished": 0}
    assert not (sweep_dir / ".submitit").exists()
    assert {p: p.read_bytes() for p in sweep_dir.glob("*/manifest.json")} == manifests
    for status in sweep_dir.glob("*/status.json"):
        assert json.loads(status.read_text())["attempt"] == "skipped"
    # a run not yet complete must go to Slurm: without sbatch that is refused by name
    changed = run_sim([*args[:-1], "run.replicate=2", "hydra/launcher=slurm",
                       "hydra.launcher.partition=none"], environ=dict(env(), PATH="/nonexistent"))
    assert changed.returncode == 2, changed.stdout[-3000:] + changed.stderr[-3000:]
    assert "hydra/launcher" in changed.stderr and "sbatch" in changed.stderr
    assert "Traceback" not in changed.stderr
    assert len(list(sweep_dir.glob("*/manifest.json"))) == 2
