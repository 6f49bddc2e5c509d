"""The default launcher (hydra/launcher=direct) runs this package's multirun jobs from their
values and writes what Hydra's basic launcher writes: the same run folders, manifests,
summaries, tables, logs and job returns; whatever needs a job's whole configuration goes
Hydra's way, sweep by sweep or job by job."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from hydra.core.utils import JobStatus

import sim.cli
from hydra_plugins.community_sim import direct_launcher
from sim import sweep_compose

VOLATILE = ("wall_seconds", "build_seconds", "git_revision")  # timing; the tree's state
TABLES = ("timeseries", "areas", "area_course", "practices")
STAMP = re.compile(r"^\[[^]]+\]")
SECONDS = re.compile(r" \(\d+\.\ds\)$")  # a run's wall time: "run done in ... (0.2s)"


def multirun(sweep: Path, *args: str) -> int:
    """``python -m sim -m ARGS`` in this process, into ``sweep``; its exit status."""
    try:
        sim.cli.main(["-m", *args, f"hydra.sweep.dir={sweep}",
                      "hydra.callbacks.sweep_report.collect=false"])
    except SystemExit as exc:
        return exc.code or 0
    return 0


def written(sweep: Path) -> dict[str, dict]:
    """Each run folder's files: manifest (but timing), summary, tables, status attempt, log
    lines (but their time stamps, the sweep's folder and run times), error records."""
    runs = {}
    for run in sorted(p for p in sweep.iterdir() if p.is_dir() and p.name[0] != "."):
        got: dict = {"files": sorted(p.name for p in run.iterdir())}
        if (run / "manifest.json").exists():
            manifest = json.loads((run / "manifest.json").read_text())
            got["manifest"] = {k: v for k, v in manifest.items() if k not in VOLATILE}
            got["config_text"] = json.dumps(manifest["config"])  # types and key order
            got["summary"] = (run / "summary.json").read_text()
            got["tables"] = {t: pd.read_parquet(run / f"{t}.parquet") for t in TABLES}
        if (run / "error.json").exists():
            error = json.loads((run / "error.json").read_text())
            got["error"] = (error.get("type"), error.get("message"), error.get("overrides"))
        got["attempt"] = json.loads((run / "status.json").read_text()).get("attempt")
        got["log"] = [SECONDS.sub("", STAMP.sub("", line).replace(str(sweep), "SWEEP"))
                      for line in (run / "sim.log").read_text().splitlines()]
        runs[run.name] = got
    return runs


def assert_same(direct: dict, basic: dict) -> None:
    assert list(direct) == list(basic) and direct
    for name in basic:
        a, b = direct[name], basic[name]
        assert a.keys() == b.keys(), name
        for key in a:
            if key == "tables":
                for t in TABLES:
                    pd.testing.assert_frame_equal(a[key][t], b[key][t], check_exact=True)
            else:
                assert a[key] == b[key], (name, key)


SWEEPS = [
    # ints into real parameters, a number into text, a value on a scenario's event
    ["topology=rural", "run.days=3", "run.burn_in_days=7", "run.plots=false",
     "run.replicate=0,1", "need.p_hidden=0,1", "scenario.description=42,x"],
    # group choices (each its own composition; the lockdown scenario's events)
    ["topology=rural", "scenario=baseline,lockdown", "run.days=31", "run.burn_in_days=0",
     "run.plots=false", "scenario.description=a,b"],
    # a value the model refuses (each such job records its error; the sweep exits 1)
    ["topology=rural", "run.days=2", "run.burn_in_days=0", "run.plots=false",
     "need.p_hidden=0.5,7"],
]


@pytest.mark.parametrize("args", SWEEPS, ids=["values", "groups", "refused"])
def test_the_default_launcher_writes_what_hydras_basic_launcher_writes(tmp_path, args):
    before = dict(direct_launcher.stats)
    status_direct = multirun(tmp_path / "direct", *args)
    ran = direct_launcher.stats["direct"] - before["direct"]
    status_basic = multirun(tmp_path / "basic", *args, "hydra/launcher=basic")
    assert status_direct == status_basic
    assert direct_launcher.stats["hydra"] == before["hydra"]  # none went Hydra's way
    direct, basic = written(tmp_path / "direct"), written(tmp_path / "basic")
    assert ran == len(basic) and ran >= 2
    assert_same(direct, basic)
    if "need.p_hidden=0.5,7" in args:
        assert status_direct == 1 and sorted(r["attempt"] for r in direct.values()) == [
            "done", "failed"]


SWEEP_LEVEL = [
    ["hydra.job.chdir=true"],
    ["hydra/job_logging=stdout"],
    ["+hydra.job.env_set.COMMUNITY_SIM_TEST=1"],
    ["hydra.sweep.subdir=r_${hydra.job.override_dirname}"],
    ["hydra.verbose=true"],
]


@pytest.mark.parametrize("extra", SWEEP_LEVEL, ids=lambda e: e[0].split("=")[0])
def test_a_sweep_that_needs_its_jobs_configurations_goes_hydras_way(tmp_path, extra,
                                                                    monkeypatch):
    monkeypatch.chdir(tmp_path)  # hydra.job.chdir=true changes into the run folder
    before = dict(direct_launcher.stats)
    args = ["topology=rural", "run.days=2", "run.burn_in_days=0", "run.plots=false",
            "run.replicate=0,1", *extra]
    assert multirun(tmp_path / "sweep", *args) == 0
    assert direct_launcher.stats["direct"] == before["direct"]
    assert direct_launcher.stats["hydra"] == before["hydra"] + 2
    assert len(list((tmp_path / "sweep").glob("*/manifest.json"))) == 2


def test_a_job_that_needs_its_configuration_goes_hydras_way(tmp_path):
    """A job holding an interpolation (``run.seed=${run.days}``) is composed by Hydra, job by
    job, and written as Hydra's basic launcher writes it."""
    args = ["topology=rural", "run.days=2", "run.burn_in_days=0", "run.plots=false",
            "run.seed=${run.days}", "run.replicate=0,1"]
    before = dict(direct_launcher.stats)
    assert multirun(tmp_path / "direct", *args) == 0
    assert direct_launcher.stats["direct"] == before["direct"]
    assert direct_launcher.stats["hydra"] == before["hydra"] + 2
    assert multirun(tmp_path / "basic", *args, "hydra/launcher=basic") == 0
    direct, basic = written(tmp_path / "direct"), written(tmp_path / "basic")
    assert_same(direct, basic)
    assert [r["manifest"]["seed"] for r in direct.values()] == [2, 2]


def test_what_sends_a_sweep_hydras_way():
    """The sweep settings a job run from its values could not honour: another task, another
    callback, job logging, environment, working folder, ``.hydra`` folder, verbosity, job
    folder name. Without them, the settings the launcher needs."""
    from omegaconf import OmegaConf, open_dict, read_write

    from sim.scenarios import config_dir
    from tests.test_sweep_compose import loader_and_master

    _, master = loader_and_master(config_dir())
    settings = direct_launcher.direct_settings(sim.cli.task, master)
    assert settings is not None and settings["name"] == "sim"
    assert settings["job_logging"]["handlers"]["file"]["filename"] == (
        "${hydra.runtime.output_dir}/${hydra.job.name}.log")
    assert direct_launcher.direct_settings(print, master) is None
    changes = {"hydra.callbacks.other": {"_target_": "x.Y"}, "hydra.job.env_set": {"A": "1"},
               "hydra.job.chdir": True, "hydra.output_subdir": ".hydra", "hydra.verbose": True,
               "hydra.job_logging.root.level": "DEBUG", "hydra.sweep.subdir": "x",
               "hydra.sweep.dir": "/out/${run.seed}", "hydra.job.name": "${topology.kind}"}
    for key, value in changes.items():
        cfg = OmegaConf.create(OmegaConf.to_container(master, resolve=False))
        with read_write(cfg), open_dict(cfg):
            OmegaConf.update(cfg, key, value, force_add=True)
        assert direct_launcher.direct_settings(sim.cli.task, cfg) is None, key
    cfg = OmegaConf.create(OmegaConf.to_container(master, resolve=False))
    with read_write(cfg), open_dict(cfg):  # the same folder for the sweep and its jobs
        cfg.hydra.sweep.dir = "/out/${now:%Y-%m-%d}/x"
    assert direct_launcher.direct_settings(sim.cli.task, cfg) is not None


def test_a_direct_job_returns_what_hydras_run_job_returns(tmp_path, monkeypatch):
    """Overrides, working folder, status, return value and task name, as run_job gives them
    to the sweeper (without the two configurations, which the sweep callback drops); a job
    that raises is FAILED with the exception, and the sweep goes on."""
    from hydra.core.utils import JobRuntime

    JobRuntime.instance().set("name", "sim")
    settings = {"job_logging": direct_launcher.hydra_default_job_logging(),
                "name": "sim", "sweep_dir": str(tmp_path / "sweep")}
    from sim.config import Config
    from sim.io import config_dict

    plain = config_dict(Config())
    plain["topology"].update(kind="rural", n_residents=380)
    plain["run"].update(days=1, burn_in_days=0, plots=False)
    ret = direct_launcher.run_direct_job(settings, plain, ["run.days=1"], "job")
    assert ret.status is JobStatus.COMPLETED and ret.return_value == "done"
    assert ret.overrides == ["run.days=1"] and ret.working_dir == str(Path.cwd())
    assert ret.task_name == "sim" and ret.cfg is None and ret.hydra_cfg is None
    assert (tmp_path / "sweep" / "job" / "manifest.json").exists()
    assert "run done" in (tmp_path / "sweep" / "job" / "sim.log").read_text()

    def boom(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("sim.experiments.hydra_sweep.run_sweep_job", boom)
    ret = direct_launcher.run_direct_job(settings, plain, ["run.days=1"], "job2")
    assert ret.status is JobStatus.FAILED and str(ret._return_value) == "boom"


def test_a_job_s_values_are_those_of_its_composed_configuration():
    """:func:`sweep_compose.direct_job` gives the plain values, task overrides and folder name
    Hydra's own composition of the job gives (its keys but ``hydra`` converted as a task's
    copy is, ``hydra.overrides.task``, ``hydra.job.override_dirname``), types and key order
    included; None for what it cannot give, and when the cache is uninstalled."""
    from hydra.core.hydra_config import HydraConfig
    from omegaconf import OmegaConf

    from sim.scenarios import config_dir
    from tests.test_sweep_compose import loader_and_master

    loader, master = loader_and_master(config_dir())
    for job in (["topology=rural", "need.p_hidden=1", "scenario.description=42"],
                ["run.replicate=3", "run.days=5"],
                ["scenario=lockdown", "events.lockdown_starts.day=40", "run.seed=9"]):
        direct = sweep_compose.direct_job(loader, master, list(job))
        cfg = sweep_compose._ORIGINAL(loader, master, list(job))  # Hydra's own
        HydraConfig.instance().set_config(cfg)
        plain = OmegaConf.to_container(sweep_compose._sharing_root(cfg, drop="hydra"),
                                       resolve=True, throw_on_missing=True)
        assert direct is not None
        assert json.dumps(direct[0]) == json.dumps(plain)  # values, types and key order
        assert direct[1] == OmegaConf.to_container(cfg.hydra.overrides.task)
        assert direct[2] == cfg.hydra.job.override_dirname
    for job in (["hydra.job.chdir=true", "run.days=5"],  # a hydra.* override
                ["run.seed=$\\{run.days\\}", "run.days=5"],  # sets an interpolation
                ["scenario=lockdown", "events={}"]):  # replaces a node
        assert sweep_compose.direct_job(loader, master, list(job)) is None, job
    sweep_compose.uninstall()
    try:
        assert sweep_compose.direct_job(loader, master, ["run.days=5"]) is None
    finally:
        sweep_compose.install()


def test_a_direct_job_s_logging_is_hydras_and_is_undone_after_it(tmp_path, capsys):
    """During the job the root logger has Hydra's default job logging (level INFO; standard
    output and ``<folder>/<job name>.log``, Hydra's format); afterwards its own handlers and
    level again, the job's log file closed, and other loggers' handlers left alone."""
    import logging

    root = logging.getLogger()
    before, level = root.handlers[:], root.level
    other = logging.getLogger("community_sim_test_other")
    kept = logging.StreamHandler()
    other.addHandler(kept)
    settings = {"job_logging": direct_launcher.hydra_default_job_logging(), "name": "job",
                "sweep_dir": str(tmp_path)}
    try:
        with pytest.raises(KeyboardInterrupt), direct_launcher.job_logging(settings,
                                                                           str(tmp_path)):
            raise KeyboardInterrupt  # a job that raises (or is interrupted): undone all the same
        assert root.handlers == before and root.level == level
        with direct_launcher.job_logging(settings, str(tmp_path)):
            assert root.level == logging.INFO and len(root.handlers) == 2
            logging.getLogger("sim.experiments").info("hello %s", 1)
            file = root.handlers[1]
        line = (tmp_path / "job.log").read_text().strip()
        assert re.fullmatch(r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\]"
                            r"\[sim.experiments\]\[INFO\] - hello 1", line)
        assert capsys.readouterr().out.strip() == line  # the console handler: stdout
        assert root.handlers == before and root.level == level
        assert file.stream is None  # closed
        assert other.handlers == [kept] and not kept.stream.closed
    finally:
        other.removeHandler(kept)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_our_joblib_launcher_runs_its_jobs_from_their_values_too(tmp_path, n_jobs):
    """``hydra/launcher=local``'s workers run this package's jobs from their values (with one
    worker, joblib runs them in this process, where they are counted) and write what Hydra's
    basic launcher writes."""
    from hydra_plugins.community_sim import joblib_launcher

    args = SWEEPS[0]
    before = joblib_launcher.stats["direct"]
    assert multirun(tmp_path / "local", *args, "hydra/launcher=local",
                    f"hydra.launcher.n_jobs={n_jobs}") == 0
    if n_jobs == 1:
        assert joblib_launcher.stats["direct"] == before + 8
    assert multirun(tmp_path / "basic", *args, "hydra/launcher=basic") == 0
    assert_same(written(tmp_path / "local"), written(tmp_path / "basic"))


def test_a_job_whose_group_choice_sets_hydra_settings_goes_hydras_way(tmp_path):
    """Scenario, topology and sweep files are global: a swept choice can set Hydra settings
    (here ``hydra.job.env_set``, read by the run's scheduler record) that the sweep's own
    configuration does not have; that job is run Hydra's way, the others from their values,
    and every run folder is what the basic launcher writes."""
    extra = tmp_path / "extra" / "scenario"
    extra.mkdir(parents=True)
    (extra / "withhydra.yaml").write_text(
        "# @package _global_\nscenario:\n  name: withhydra\n"
        "hydra:\n  job:\n    env_set:\n      SLURM_JOB_ID: '42'\n")
    args = ["topology=rural", "run.days=2", "run.burn_in_days=0", "run.plots=false",
            "run.replicate=0", "scenario=baseline,withhydra",
            f"hydra.searchpath=[file://{tmp_path / 'extra'}]"]
    before = dict(direct_launcher.stats)
    assert multirun(tmp_path / "direct", *args) == 0
    assert direct_launcher.stats["direct"] == before["direct"] + 1
    assert direct_launcher.stats["hydra"] == before["hydra"] + 1
    assert multirun(tmp_path / "basic", *args, "hydra/launcher=basic") == 0
    assert_same(written(tmp_path / "direct"), written(tmp_path / "basic"))
    status = json.loads(next((tmp_path / "direct").glob("*withhydra*/status.json")).read_text())
    assert "42" in json.dumps(status)  # the job's own Hydra setting was in force


def test_the_sweeper_gets_the_same_job_returns_from_both_launchers(tmp_path, monkeypatch):
    """What Hydra's sweeper receives for each job (overrides, working folder, task name,
    status, return value; the two configurations dropped at the job's end), on the default
    launcher and on Hydra's basic launcher."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

    got: list = []
    real = BasicSweeper.sweep

    def sweep(self, arguments):
        returns = real(self, arguments)
        got.append([(r.overrides, r.working_dir, r.task_name, r.status, r._return_value,
                     r.cfg, r.hydra_cfg) for batch in returns for r in batch])
        return returns

    monkeypatch.setattr(BasicSweeper, "sweep", sweep)
    args = ["topology=rural", "run.days=2", "run.burn_in_days=0", "run.plots=false",
            "need.p_hidden=0.5,7"]  # one done, one failed (recorded; the job returns)
    assert multirun(tmp_path / "direct", *args) == 1
    assert multirun(tmp_path / "basic", *args, "hydra/launcher=basic") == 1
    assert len(got) == 2 and got[0] == got[1]
    assert [r[4] for r in got[0]] == ["done", "failed"]
    assert all(r[3] is JobStatus.COMPLETED and r[5] is None and r[6] is None for r in got[0])
