"""The same sweep on joblib (our launcher and Hydra's), on a local Ray instance (Hydra Ray
launcher and our Ray executor) and through submitit's local executor (the Slurm launcher's
local twin). Results must equal the basic launcher's: the launcher never changes a number."""

from __future__ import annotations

import pandas as pd
import pytest
from sweeps_common import (
    DAYS,
    TOPOLOGIES,
    read_tables,
    report_counts,
    run_sim,
    second_scenario,
    sweep_args,
)

from sim.experiments.executor import Job, run_jobs
from sim.experiments.runs import Attempt

pytestmark = pytest.mark.slow
REPLICATES = 2  # 2 topologies x 2 scenarios x 2 replicates
N_RUNS = len(TOPOLOGIES) * 2 * REPLICATES
VALUES = ["mean_frac_volunteer_utilisation", "unmet_need_days", "referrals_total",
          "vol_applications"]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    return second_scenario(tmp_path_factory.mktemp("scenario"))


@pytest.fixture(scope="module")
def reference(tmp_path_factory, scenario):
    """The sweep on the basic (in-process) launcher."""
    sweep_dir = tmp_path_factory.mktemp("basic") / "sweep"
    proc = run_sim(sweep_args(sweep_dir, scenario[0], scenario[1], launcher="",
                              replicates=REPLICATES))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return _by_run(read_tables(sweep_dir)["summary"])


def _by_run(summary: pd.DataFrame) -> pd.DataFrame:
    """Ids as strings: a sweep's categorical ids have its own runs as categories."""
    return (summary.astype({"run": str, "config_hash": str}).set_index("run").sort_index()
            [["config_hash", *VALUES]])


@pytest.mark.parametrize("launcher, replicates, extra", [
    ("local", REPLICATES, []),  # ours: the sweep's Hydra state shipped once per launch
    ("joblib", REPLICATES, []),  # Hydra's
    ("ray", REPLICATES, ["+hydra.launcher.ray.init.num_cpus=2",
                         "+hydra.launcher.ray.init.include_dashboard=false"]),
    # our Ray launcher (each job composed in its Ray task), on a local Ray instance
    ("ray_cluster", REPLICATES, ["hydra.launcher.ray.init.address=null",
                                 "+hydra.launcher.ray.init.num_cpus=2",
                                 "+hydra.launcher.ray.init.include_dashboard=false"]),
    # one process per job: a smaller sweep (replicate 0 of the same runs)
    ("submitit_local", 1, ["hydra.launcher.timeout_min=20"]),
])
def test_same_sweep_on_other_launchers(tmp_path, scenario, reference, launcher, replicates,
                                       extra):
    sweep_dir = tmp_path / "sweep"
    args = sweep_args(sweep_dir, scenario[0], [*scenario[1], *extra], launcher=launcher,
                      replicates=replicates)
    proc = run_sim(args)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    n_runs = len(TOPOLOGIES) * 2 * replicates
    assert report_counts(proc.stdout)["done now"] == n_runs
    t = read_tables(sweep_dir)
    assert len(t["timeseries"]) == n_runs * DAYS
    got = _by_run(t["summary"])
    assert len(got) == n_runs
    pd.testing.assert_frame_equal(got, reference.loc[got.index])
    if launcher == "ray_cluster":
        assert "jobs composed on the workers" in proc.stdout + proc.stderr
    if launcher != "ray":
        return
    # and a re-run on the same launcher skips everything
    again = run_sim(args)
    assert again.returncode == 0
    assert report_counts(again.stdout) == {"done now": 0, "skipped": N_RUNS, "failed": 0,
                                           "not finished": 0}


def test_ray_executor_on_a_local_ray_instance(tmp_path, scenario, reference, monkeypatch):
    ray = pytest.importorskip("ray")
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    name, extra = scenario
    if extra:
        pytest.skip("the executor composes from the package configs only")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        jobs = [Job(run, tuple(f"{o}" for o in run.split(",")))
                for run in reference.index]
        jobs.append(Job("broken", ("run.days=5", "link_worker.caseload_cap=0")))
        report = run_jobs(jobs, tmp_path, backend="ray", progress=False)
        assert ray.is_initialized()  # it used ours and left it running
    finally:
        ray.shutdown()
    assert report.attempts[Attempt.DONE] == N_RUNS
    assert report.attempts[Attempt.FAILED] == 1
    assert "link_worker.caseload_cap" in report.failures[0][1]
    from sim.experiments.collect import collect

    collect(tmp_path)
    summary = pd.read_parquet(tmp_path / "tables" / "summary.parquet")
    pd.testing.assert_frame_equal(_by_run(summary), reference)
