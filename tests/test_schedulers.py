"""Sweeps on real schedulers: a one-machine Slurm cluster (munged, slurmdbd on MariaDB,
slurmctld, slurmd from Debian's packages) and a Ray cluster of a head and a worker node started
as separate ``ray start`` process trees (tests/clusters.py).

Each sweep has 20 runs (10 replicates x a short and a long run length); one run is stopped in
the middle (``scancel`` of its Slurm array task, or SIGKILL of the Ray worker node running it),
the sweep is re-submitted or retried, and the tables must hold every run exactly once, with the
same numbers as an uninterrupted run. Skipped (with the reason) only where the daemons cannot be
installed; ``.ci/run`` installs them.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from clusters import (
    PARTITION,
    RAY_UP_RECIPE,
    _descendants,
    _ray_cli,
    leftover_processes,
    ray_cluster,
    ray_missing,
    ray_up_config,
    slurm_cluster,
    slurm_missing,
    ssh_nodes,
    ssh_nodes_missing,
)
from sweeps_common import report_counts

pytestmark = pytest.mark.slow

LONG_DAYS, SHORT_DAYS, REPLICATES = 2920, 30, 10
N_RUNS = 2 * REPLICATES
RUNS_PER_TASK = 4  # the executor's Slurm jobs each do 4 runs
# a long run takes about 1.2 s of simulation (3-8 s with the job's start-up), so a job can be
# stopped while its run is under way (see _cancel)
SWEEP = ["topology=urban", "topology.n_residents=1000", f"run.days={SHORT_DAYS},{LONG_DAYS}",
         f"run.replicate=range({REPLICATES})", "run.burn_in_days=14", "run.plots=false"]
TIMESERIES_ROWS = REPLICATES * (SHORT_DAYS + LONG_DAYS)
ROOT = Path(__file__).resolve().parent.parent
SLURM = ["--partition", PARTITION, "--timeout-min", "10", "--mem-gb", "1",
         "--array-parallelism", "2"]


def _statuses(sweep: Path) -> dict[Path, dict]:
    out = {}
    for f in sweep.glob("*/status.json"):
        try:
            out[f.parent] = json.loads(f.read_text())
        except (OSError, ValueError):  # being replaced right now
            continue
    return out


def _long_run_started(sweep: Path, proc: subprocess.Popen, pids: set[int] | None = None,
                      timeout: float = 300, exclude: tuple[Path, ...] = ()
                      ) -> tuple[Path, dict]:
    """Wait for a long run whose attempt has started (and, with ``pids``, runs in one of
    them); returns its folder and status."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for folder, st in _statuses(sweep).items():
            if (st.get("attempt") == "started" and f"run.days={LONG_DAYS}" in folder.name
                    and folder not in exclude
                    and not (folder / "manifest.json").exists()
                    and (pids is None or st.get("pid") in pids)):
                return folder, st
        if proc.poll() is not None:
            raise AssertionError("the sweep ended before a long run started:\n"
                                 + proc.stdout.read()[-3000:] + proc.stderr.read()[-3000:])
        time.sleep(0.05)
    raise AssertionError("no long run started in time")


def _check_tables(sweep: Path) -> pd.DataFrame:
    summary = pd.read_parquet(sweep / "tables" / "summary.parquet")
    ts = pd.read_parquet(sweep / "tables" / "timeseries.parquet")
    failures = pd.read_parquet(sweep / "tables" / "failures.parquet")
    assert len(summary) == N_RUNS and summary["run"].astype(str).is_unique
    assert sorted(zip(summary["run.days"], summary["replicate"], strict=True)) == sorted(
        (d, r) for d in (SHORT_DAYS, LONG_DAYS) for r in range(REPLICATES))
    assert len(ts) == TIMESERIES_ROWS
    assert not ts.duplicated(["run", "day"]).any()
    assert len(failures) == 0
    assert not list(sweep.glob("*/error.json"))
    return summary.astype({"run": str, "config_hash": str}).set_index("run").sort_index()


def _same_as_uninterrupted(folder: Path, tmp: Path) -> None:
    """The run that was stopped and redone equals the same job run once, in this process."""
    from sim.experiments.runs import compose_and_execute

    overrides = json.loads((folder / "manifest.json").read_text())["overrides"]
    again = tmp / "again"
    assert compose_and_execute(str(again), overrides)[1] == "done"
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "timeseries.parquet"),
                                  pd.read_parquet(again / "timeseries.parquet"))


# --------------------------------------------------------------------------------------------
# Slurm
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    reason = slurm_missing()
    if reason:
        pytest.skip(reason)
    with slurm_cluster(tmp_path_factory.mktemp("slurm")) as cluster:
        yield cluster


def _cancel_a_long_run(slurm, sweep: Path, proc: subprocess.Popen) -> tuple[Path, str]:
    """``scancel`` the Slurm job of a long run under way; returns its folder and job id. Should
    the run finish in the second between SIGTERM (which submitit's jobs ignore) and SIGKILL,
    another one is cancelled: the test needs a run stopped in the middle. On failure the sweep's
    driver is stopped (it would otherwise wait on a cluster the fixture tears down)."""
    try:
        return _cancel(slurm, sweep, proc)
    except BaseException:
        proc.kill()
        raise


def _cancel(slurm, sweep: Path, proc: subprocess.Popen) -> tuple[Path, str]:
    tried: tuple[Path, ...] = ()
    for _ in range(4):
        folder, st = _long_run_started(sweep, proc, exclude=tried)
        job = st["slurm_job_id"]
        slurm.run("scancel", job)
        # Slurm's SIGKILL, delivered here at once. Without cgroup tracking the cancelled step's
        # task, which bypasses SIGTERM as submitit's do, is re-parented when its shell ends and
        # escapes Slurm's kill (seen running on to the end of its run). With proctrack/cgroup
        # Slurm kills it itself, but slurmd's log shows that kill landing 5.8-7 s after the
        # cancel even with KillWait=0: longer than a whole long run on a quiet machine, so every
        # cancelled run finished first. What these tests check is the re-submission after a job
        # lost mid-run; Slurm's own kill has its own test
        # (test_slurm_kills_a_cancelled_task_that_ignores_sigterm).
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(st["pid"]), signal.SIGKILL)
        end = time.monotonic() + 30
        while any(j["id"] == job and j["state"] in ("RUNNING", "COMPLETING")
                  for j in slurm.jobs()) and time.monotonic() < end:
            time.sleep(0.2)
        if not (folder / "manifest.json").exists():
            return folder, job
        tried += (folder,)
    raise AssertionError(f"every cancelled run finished all the same: {tried}")


def _killed_by_slurm(pid: int, job: str, timeout: float = 60) -> None:
    """Slurm's own kill reached the cancelled task (proctrack/cgroup): its process is gone
    (5.8-7 s after ``scancel`` on a quiet machine; ``timeout`` leaves room for a loaded one,
    and a task the kill missed sleeps 300 s)."""
    end = time.monotonic() + timeout
    while Path(f"/proc/{pid}").exists() and time.monotonic() < end:
        time.sleep(0.1)
    assert not Path(f"/proc/{pid}").exists(), (
        f"Slurm job {job} was cancelled but its task (pid {pid}) still runs after {timeout} s")


def test_slurm_kills_a_cancelled_task_that_ignores_sigterm(slurm, tmp_path):
    """With cgroup tracking, ``scancel`` stops a job whose task ignores SIGTERM (as submitit's do)
    and outlives its shell: Slurm's SIGKILL reaches it, no help from the test."""
    if slurm.proctrack != "cgroup":
        pytest.skip("this host gives Slurm no cgroup freezer hierarchy: proctrack/linuxproc")
    pid_file = tmp_path / "pid"
    script = tmp_path / "stubborn.py"
    script.write_text("import os, signal, time\n"
                      "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                      f"open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
                      "time.sleep(300)\n")
    job = slurm.run("sbatch", "--parsable", "--partition", PARTITION, "--time", "5",
                    f"--chdir={tmp_path}", f"--output={tmp_path / 'slurm-%j.out'}",
                    "--wrap", f"{sys.executable} {script}").stdout.strip()
    try:
        end = time.monotonic() + 60
        while not (pid_file.is_file() and pid_file.read_text()) and time.monotonic() < end:
            time.sleep(0.2)
        assert pid_file.is_file() and pid_file.read_text(), (
            f"Slurm job {job} did not start its task within 60 s: {slurm.jobs()}")
        pid = int(pid_file.read_text())
        assert Path(f"/proc/{pid}").exists()
    finally:
        slurm.run("scancel", job)
    _killed_by_slurm(pid, job)
    _wait_until_idle(slurm)
    assert _sacct(slurm, job, "State")[0].startswith("CANCELLED")


def _wait_until_idle(slurm, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if all(j["state"] not in ("PENDING", "RUNNING", "COMPLETING") for j in slurm.jobs()):
            return
        time.sleep(0.5)
    raise AssertionError(f"Slurm jobs still running: {slurm.jobs()}")


def _sacct(slurm, job: str, fields: str) -> list[str]:
    out = slurm.run("sacct", "-X", "-n", "-P", "-j", job, "-o", fields).stdout
    return out.strip().splitlines()[0].split("|")


def _run(cmd: list[str], env: dict, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=timeout)


def _slurm_env(slurm) -> dict[str, str]:
    return dict(slurm.env, HYDRA_FULL_ERROR="1", PYTHONUNBUFFERED="1",
                RAY_USAGE_STATS_ENABLED="0")


def test_slurm_hydra_launcher_cancelled_job_resubmitted(slurm, tmp_path):
    sweep = tmp_path / "sweep"
    cmd = [sys.executable, "-m", "sim", "-m", f"hydra.sweep.dir={sweep}", "hydra/launcher=slurm",
           f"hydra.launcher.partition={PARTITION}", "hydra.launcher.timeout_min=10",
           "hydra.launcher.mem_gb=1", "hydra.launcher.array_parallelism=2", *SWEEP]
    env = _slurm_env(slurm)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=ROOT)
    folder, job = _cancel_a_long_run(slurm, sweep, proc)
    out, err = proc.communicate(timeout=600)
    # the launcher waited for the whole array (Hydra's own stops at the first cancelled job):
    # nothing is left running, every other run is done, and the report names the lost run
    assert not [j for j in slurm.jobs() if j["state"] in ("PENDING", "RUNNING", "COMPLETING")]
    assert proc.returncode == 1, out[-3000:] + err[-3000:]
    assert report_counts(out) == {"done now": N_RUNS - 1, "skipped": 0, "failed": 1,
                                  "not finished": 0}
    error = json.loads((folder / "error.json").read_text())
    assert error["error_type"] == "SchedulerError" and error["slurm_job_id"] == job
    assert Path(error["log"]).is_file() and job in error["log"]
    assert error["slurm_state"].startswith("CANCELLED")
    assert not (folder / "manifest.json").exists()
    failures = pd.read_parquet(sweep / "tables" / "failures.parquet")
    assert failures["run"].astype(str).tolist() == [folder.name] and job in out + err
    state, partition, limit, mem = _sacct(slurm, job, "State,Partition,Timelimit,ReqMem")
    assert state.startswith("CANCELLED")
    assert (partition, limit, mem) == (PARTITION, "00:10:00", "1G")  # from the config
    # the documented resume: the same command again; only the lost run goes to Slurm
    arrays = {j["id"].split("_")[0] for j in slurm.jobs()}
    again = _run(cmd, env)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert report_counts(again.stdout) == {"done now": 1, "skipped": N_RUNS - 1, "failed": 0,
                                           "not finished": 0}
    new_jobs = [j for j in slurm.jobs() if j["id"].split("_")[0] not in arrays]
    assert len(new_jobs) == 1, new_jobs
    _check_tables(sweep)
    _same_as_uninterrupted(folder, tmp_path)
    # the executor names run folders as Hydra does: either route can finish the other's sweep
    from sim.experiments.executor import sweep_jobs

    assert sorted(j.name for j in sweep_jobs(SWEEP)) == sorted(
        p.name for p in sweep.iterdir()
        if p.is_dir() and not p.name.startswith(".") and p.name != "tables")


def test_slurm_executor_cancelled_job_resubmitted(slurm, tmp_path):
    """The executor groups runs (``--runs-per-task 4``: an array of 5 jobs of 4 runs each).
    Cancelling a job loses the run it was in and those it had not reached; the runs it had
    finished stay complete, and the re-submission does exactly the lost ones."""
    sweep = tmp_path / "sweep"
    cmd = [sys.executable, "-m", "sim.experiments.executor", str(sweep), *SWEEP,
           "--backend", "slurm", *SLURM, "--runs-per-task", str(RUNS_PER_TASK)]
    env = _slurm_env(slurm)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=ROOT)
    folder, job = _cancel_a_long_run(slurm, sweep, proc)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 1, out[-3000:] + err[-3000:]
    assert f"Slurm job {job} ended CANCELLED" in out
    lost = sorted(f.parent.name for f in sweep.glob("*/error.json"))
    assert folder.name in lost and 1 <= len(lost) <= RUNS_PER_TASK
    assert report_counts(out) == {"done now": N_RUNS - len(lost), "skipped": 0,
                                  "failed": len(lost), "not finished": 0}
    for name in lost:
        error = json.loads((sweep / name / "error.json").read_text())
        assert error["error_type"] == "SchedulerError" and error["slurm_job_id"] == job
        assert Path(error["log"]).is_file() and error["log"] in error["message"]
        assert error["slurm_state"].startswith("CANCELLED")
        assert not (sweep / name / "manifest.json").exists()
    failures = pd.read_parquet(sweep / "tables" / "failures.parquet")
    assert sorted(failures["run"].astype(str)) == lost
    assert all(job in m for m in failures["message"])
    # 5 jobs for 20 runs: the finished runs' status and the lost runs' errors name them
    tasks = {st["slurm_job_id"] for st in _statuses(sweep).values() if "slurm_job_id" in st}
    assert len(tasks | {job}) == N_RUNS // RUNS_PER_TASK
    state, partition, limit, mem = _sacct(slurm, job, "State,Partition,Timelimit,ReqMem")
    assert (partition, limit, mem) == (PARTITION, "00:10:00", "1G")
    _wait_until_idle(slurm)
    again = _run(cmd, env)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert report_counts(again.stdout) == {"done now": len(lost), "skipped": N_RUNS - len(lost),
                                           "failed": 0, "not finished": 0}
    _check_tables(sweep)
    _same_as_uninterrupted(folder, tmp_path)


def test_slurm_executor_refuses_what_the_partition_cannot_run(slurm, tmp_path):
    """A time limit above the partition's MaxTime (60 min here) would leave the array pending
    forever: refused before anything is submitted, naming the setting."""
    sweep = tmp_path / "sweep"
    # the ids, not their count: an earlier test's ended jobs leave squeue's list MinJobAge
    # (300 s) after they end, which on a slow machine can fall during this test
    before = {j["id"] for j in slurm.jobs()}
    base = [sys.executable, "-m", "sim.experiments.executor", str(sweep), *SWEEP,
            "--backend", "slurm", "--mem-gb", "1"]
    too_long = _run([*base, "--partition", PARTITION, "--timeout-min", "120"],
                    _slurm_env(slurm))
    assert too_long.returncode == 2
    assert "slurm.timeout_min" in too_long.stderr and "01:00:00" in too_long.stderr
    assert "Traceback" not in too_long.stderr
    unknown = _run([*base, "--partition", "nosuch", "--timeout-min", "10"], _slurm_env(slurm))
    assert unknown.returncode == 2 and "slurm.partition" in unknown.stderr
    assert not {j["id"] for j in slurm.jobs()} - before, "a job was submitted"
    assert not [p for p in sweep.glob("*") if p.name != ".submitit"]


@pytest.mark.parametrize("extra, key", [
    (["hydra.launcher.n_jobs=2"], "hydra.launcher.n_jobs"),
    (["run.days=(("], "run.days: cannot parse"),
    (["--backend", "slurm", "--mem-gb", "-1"], "slurm.mem_gb"),
    (["--backend", "ray", "--retries", "-1"], "--retries"),
    (["--backend", "slurm", "--runs-per-task", "0"], "slurm.runs_per_task"),
])
def test_executor_command_line_refuses_bad_input(tmp_path, extra, key):
    sweep = tmp_path / "sweep"
    p = _run([sys.executable, "-m", "sim.experiments.executor", str(sweep), "run.days=5",
              *extra], dict(os.environ, PYTHONUNBUFFERED="1"))
    assert p.returncode == 2, p.stdout + p.stderr
    assert key in p.stderr and "Traceback" not in p.stderr
    assert not sweep.exists()


def test_slurm_options_come_from_the_launcher_config(tmp_path):
    from sim.experiments.executor import slurm_options
    from sim.params import ConfigError

    o = slurm_options()
    assert (o.timeout_min, o.mem_gb, o.cpus_per_task, o.array_parallelism) == (120, 4, 1, 200)
    assert o.sbatch()["mem"] == "4096MB" and "partition" not in o.sbatch()
    assert slurm_options(partition="short", mem_gb=0.5).sbatch()["mem"] == "512MB"
    bad = tmp_path / "slurm.yaml"
    bad.write_text("timeout_min: -5\n")
    with pytest.raises(ConfigError, match="slurm.timeout_min"):
        slurm_options(bad)
    with pytest.raises(ConfigError, match="slurm.partition"):
        slurm_options(partition="a b")


# --------------------------------------------------------------------------------------------
# Ray
# --------------------------------------------------------------------------------------------


def test_ray_cluster_sweep_survives_a_lost_worker_node(tmp_path):
    reason = ray_missing()
    if reason:
        pytest.skip(reason)
    sweep = tmp_path / "sweep"
    with ray_cluster(tmp_path / "ray", n_workers=1, cpus=1) as cluster:
        cmd = [sys.executable, "-m", "sim.experiments.executor", str(sweep), *SWEEP,
               "--backend", "ray", "--ray-address", cluster.address]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=cluster.env, cwd=ROOT)
        node = cluster.workers[0].pid
        on_node = {node, *_descendants(node)}
        # the worker node has finished a run and is in the middle of a long one: lose it
        end = time.monotonic() + 300
        while True:
            on_node = {node, *_descendants(node)}
            finished_there = [f for f, st in _statuses(sweep).items()
                              if st.get("attempt") == "done" and st.get("pid") in on_node]
            if finished_there:
                break
            assert time.monotonic() < end and proc.poll() is None, "no run finished there"
            time.sleep(0.1)
        victim, status = _long_run_started(sweep, proc, on_node)
        cluster.kill_worker(0)
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, out[-3000:] + err[-3000:]
        assert report_counts(out) == {"done now": N_RUNS, "skipped": 0, "failed": 0,
                                      "not finished": 0}
        # the lost run was redone on the head node; composition happened in the workers
        final = _statuses(sweep)
        assert final[victim]["attempt"] == "done" and final[victim]["pid"] != status["pid"]
        assert proc.pid not in {st["pid"] for st in final.values()}
        assert len({st["pid"] for st in final.values()}) >= 2
        # resuming on what is left of the cluster skips everything
        again = _run(cmd, cluster.env)
        assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
        assert report_counts(again.stdout) == {"done now": 0, "skipped": N_RUNS, "failed": 0,
                                               "not finished": 0}
    _check_tables(sweep)
    _same_as_uninterrupted(victim, tmp_path)


# the nodes of `ray up` (in a network namespace of their own): not 127.0.0.1, which
# `ray start --node-ip-address` swaps for the host's address; every 127.x address is loopback
RAY_UP_NODES = ("127.0.0.2", "127.0.0.3")
RAY_UP_RUNS = 4
# one `ray exec`: the autoscaler on the head starts the worker node after `ray up` returns
WAIT_FOR_NODES = ("python -c 'import ray, time; ray.init(address=\"auto\", log_to_driver=False)\n"
                  "end = time.monotonic() + 120\n"
                  "while sum(n[\"Alive\"] for n in ray.nodes()) < {n} and time.monotonic() < end:"
                  " time.sleep(0.5)\n"
                  "print(\"nodes alive:\", sum(n[\"Alive\"] for n in ray.nodes()))'")


def test_ray_up_recipe_runs_as_written(tmp_path):
    """docs/sweeps.md's `ray up` recipe (experiments/ray_cluster.yaml, with only hosts, user,
    key, paths, CPU counts and cluster name replaced) on a head and a worker node reached over
    SSH: `ray up`, the executor through `ray exec`, `ray down`; the tables hold every run once
    and nothing of the cluster is left running."""
    reason = ray_missing() or ssh_nodes_missing()
    if reason:
        pytest.skip(reason)
    import getpass
    import hashlib

    shared = tmp_path / "shared"  # the recipe's /shared/$USER: every node sees it
    shared.mkdir()
    sweep = shared / "sweeps" / "small"
    local_tmp = tmp_path / "local-tmp"  # `ray up`'s own state and config cache
    local_tmp.mkdir()
    name = f"sim-test-{os.getpid()}"
    env = dict(os.environ, RAY_UP_enable_autoscaler_v2="0", RAY_USAGE_STATS_ENABLED="0",
               TMPDIR=str(local_tmp))
    env.pop("RAY_ADDRESS", None)

    def digest(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()[:10]

    # Ray's shared SSH connections: /tmp/ray_ssh_<user hash>/<cluster hash>
    control = Path("/tmp") / f"ray_ssh_{digest(getpass.getuser())}" / digest(name)
    executor = (f"python -m sim.experiments.executor {sweep} topology=urban "
                f"topology.n_residents=1000 run.days=30 'run.replicate=range({RAY_UP_RUNS})' "
                "run.burn_in_days=14 run.plots=false --backend ray --ray-address auto")
    try:
        with ssh_nodes(tmp_path / "nodes", RAY_UP_NODES) as cluster:
            nodes = cluster.nodes
            config = str(ray_up_config(tmp_path / "cluster.yaml", nodes, cluster.key,
                                       Path(sys.prefix), shared, cpus=1, name=name))
            ray = [*cluster.enter, _ray_cli()]  # in the nodes' network
            try:
                up = _run([*ray, "up", "-y", config], env)
                assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
                # the worker node first (one SSH session for both)
                run = _run([*ray, "exec", config,
                            WAIT_FOR_NODES.format(n=len(nodes)) + " && " + executor], env)
                assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
                assert f"nodes alive: {len(nodes)}" in run.stdout, run.stdout[-3000:]
            finally:
                down = _run([*ray, "down", "-y", config], env)
            assert down.returncode == 0, down.stdout[-3000:] + down.stderr[-3000:]
        # nothing of the cluster runs on: no process in the nodes' namespaces, no Ray process
        # or SSH connection of this test (an SSH client may take a moment to see its end)
        end = time.monotonic() + 10
        while (left := leftover_processes(nodes, str(tmp_path), f"/tmp/rsim-{os.getpid()}-",
                                          str(control))) and time.monotonic() < end:
            time.sleep(0.2)
        assert not left, "\n".join(left)
    finally:
        shutil.rmtree(control, ignore_errors=True)
        with contextlib.suppress(OSError):  # Ray's folder for all clusters: only if now empty
            control.parent.rmdir()
    assert report_counts(run.stdout) == {"done now": RAY_UP_RUNS, "skipped": 0, "failed": 0,
                                         "not finished": 0}
    # one task per CPU, one CPU a node: both nodes ran runs
    per_node = re.search(r"per node: (\{.*\})", run.stdout)
    assert per_node and len(ast.literal_eval(per_node.group(1))) == len(nodes), run.stdout[-2000:]
    summary = pd.read_parquet(sweep / "tables" / "summary.parquet")
    ts = pd.read_parquet(sweep / "tables" / "timeseries.parquet")
    assert sorted(summary["replicate"]) == list(range(RAY_UP_RUNS))
    assert summary["run"].astype(str).is_unique
    assert len(ts) == RAY_UP_RUNS * 30 and not ts.duplicated(["run", "day"]).any()
    assert len(pd.read_parquet(sweep / "tables" / "failures.parquet")) == 0


def test_ray_up_recipe_in_the_docs_is_the_tested_file():
    """docs/sweeps.md shows experiments/ray_cluster.yaml, the file the test above runs."""
    import yaml

    text = (ROOT / "docs" / "sweeps.md").read_text()
    section = text[text.index("**With Ray's cluster launcher**"):]
    shown = section[section.index("```yaml\n") + 8:]
    shown = shown[:shown.index("```")]
    assert yaml.safe_load(shown) == yaml.safe_load(RAY_UP_RECIPE.read_text())
