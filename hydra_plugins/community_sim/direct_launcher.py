"""``hydra/launcher=direct`` (the default): Hydra's basic launcher, with this package's jobs run
the way the executor runs them.

Hydra's basic launcher composes each job's whole configuration (a copy of the sweep's
composition with the job's values set), and ``run_job`` then sets it as HydraConfig's,
copies it for the task and for the job's return, configures the job's logging from it and
calls the callbacks: about 10 ms a job beyond the run itself, a third of what a sweep job
costs besides its simulation. When the task is this package's (``sim.cli.task``) and the
sweep asks for nothing that needs the job's configuration, this launcher runs each job from
its values: the job's keys as plain values, its task overrides and its folder name
(:func:`sim.sweep_compose.direct_job`, from the cached composition), into the folder Hydra
would give it (``hydra.sweep.dir``/``override_dirname``), with Hydra's default job logging (the same
console and ``<job name>.log`` handlers, format and level, set on the root logger for the
job's run: :func:`job_logging`), and returns the ``JobReturn`` Hydra's
launcher returns (overrides, working folder, status, return value, task name; not the two
configurations, which this package's sweep callback drops at each job's end anyway). The run
folders, manifests, logs and tables are those of Hydra's basic launcher
(``tests/test_direct_launcher.py``).

Anything else goes Hydra's way, job by job (:func:`direct_settings` for the sweep,
:func:`sim.sweep_compose.direct_job` for a job): another task; job logging other than
Hydra's default; ``hydra.job.env_set``; ``hydra.job.chdir``; ``hydra.output_subdir`` (the
``.hydra`` folder); ``hydra.verbose``; a ``hydra.sweep.subdir`` other than the job's
``override_dirname``; a ``hydra.sweep.dir`` or ``hydra.job.name`` that interpolates anything
but ``${now:...}`` (it could resolve to each job's own values); callbacks other than this
package's ``SweepReport`` (whose job-start and job-end steps have nothing to do for such a
job); a job with a ``hydra.*`` override, group choices that set any of these otherwise than
the sweep (every scenario, topology and sweep file is global) or whose composition holds an
interpolation, or a value that is not a parameter's plain value. ``hydra/launcher=basic`` is
Hydra's launcher itself.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from hydra._internal.core_plugins.basic_launcher import BasicLauncher
from hydra.core.utils import JobReturn, JobRuntime, JobStatus, configure_log, filter_overrides
from omegaconf import OmegaConf

from hydra_plugins.community_sim._jobs import compose_and_run_job

log = logging.getLogger(__name__)

SWEEP_REPORT = "sim.experiments.hydra_sweep.SweepReport"
JOB_FOLDER = "${hydra.job.override_dirname}"  # Hydra's hydra.sweep.subdir (and ours)
stats = {"direct": 0, "hydra": 0}
"""Jobs run from their values and jobs run Hydra's way, in this process (for tests)."""


@cache
def hydra_default_job_logging() -> dict:
    """Hydra's default job logging settings (``hydra/job_logging/default.yaml``), unresolved."""
    from importlib import resources

    text = (resources.files("hydra.conf") / "hydra" / "job_logging" / "default.yaml"
            ).read_text(encoding="utf-8")
    return OmegaConf.to_container(OmegaConf.create(text), resolve=False)


_NOW = re.compile(r"\$\{now:[^}]*\}")


def _interpolates(text: object) -> bool:
    """Whether ``text`` (unresolved) holds an interpolation other than ``${now:...}``, which
    resolves to the same value for the sweep and its jobs (Hydra copies its cache to each
    job's configuration); any other could resolve to each job's own values."""
    return "${" in _NOW.sub("", str(text))


def direct_settings(task_function, config) -> dict | None:
    """What running the jobs of the sweep ``config`` of ``task_function`` from their values
    needs (the job logging settings, the job name, the sweep folder), or None when its jobs
    must go Hydra's way."""
    from sim import cli

    if task_function is not cli.task:
        return None
    h = config.hydra
    try:
        job_logging = OmegaConf.to_container(h.job_logging, resolve=False)
        callbacks = OmegaConf.to_container(h.callbacks, resolve=False) or {}
        sweep = OmegaConf.to_container(h.sweep, resolve=False)
        job = OmegaConf.to_container(h.job, resolve=False)
        if (_interpolates(sweep.get("dir")) or _interpolates(job.get("name"))
                or job_logging != hydra_default_job_logging() or h.job.chdir is not False
                or h.output_subdir is not None or h.verbose is not False
                or (h.job.env_set or {}) or sweep.get("subdir") != JOB_FOLDER
                or any(not isinstance(c, dict) or c.get("_target_") != SWEEP_REPORT
                       for c in callbacks.values())):
            return None
        return {"job_logging": job_logging, "name": str(h.job.name),
                "sweep_dir": str(h.sweep.dir)}
    except Exception:  # noqa: BLE001 - anything unexpected: Hydra's way
        return None


@contextlib.contextmanager
def job_logging(settings: dict, out: str):
    """While a job runs: the root logger as Hydra's default job logging sets it (its level;
    a console handler on standard output and a file handler on ``<out>/<job name>.log``, both
    with its format), then the root logger's handlers and level as they were (those Hydra's
    own logging set at the launch's start, which the basic launcher sets again after every
    job). Hydra configures each job's logging and its own again through ``dictConfig`` (about
    1.5 ms a job), which also closes every other handler in the process and enables every
    other logger; here nothing else is touched."""
    conf = settings["job_logging"]
    formatter = logging.Formatter(conf["formatters"]["simple"]["format"])
    console = logging.StreamHandler(sys.stdout)
    file = logging.FileHandler(f"{out}/{settings['name']}.log")
    for handler in (console, file):
        handler.setFormatter(formatter)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    root.handlers = [console, file]
    root.setLevel(conf["root"]["level"])
    try:
        yield
    finally:
        root.handlers = handlers
        root.setLevel(level)
        console.flush()
        file.close()


def run_direct_job(settings: dict, plain: dict, overrides: list[str], dirname: str
                   ) -> JobReturn:
    """One job run from its values, as ``run_job`` runs it for this package's task: its
    folder made, the job's logging set up (:func:`job_logging`), the run."""
    from sim.experiments.hydra_sweep import run_sweep_job

    out = os.path.abspath(os.path.join(settings["sweep_dir"], dirname))
    ret = JobReturn()
    ret.overrides = list(overrides)
    Path(out).mkdir(parents=True, exist_ok=True)
    ret.working_dir = os.getcwd()
    with job_logging(settings, out):
        try:
            ret.return_value = run_sweep_job(Path(out), ret.overrides, plain=plain)
            ret.status = JobStatus.COMPLETED
        except Exception as exc:  # noqa: BLE001 - as run_job: the job failed, the sweep goes on
            ret.return_value = exc
            ret.status = JobStatus.FAILED
        ret.task_name = JobRuntime.instance().get("name")
    return ret


class DirectLauncher(BasicLauncher):
    """Hydra's basic launcher, running this package's jobs from their values when it can."""

    def launch(self, job_overrides: Sequence[Sequence[str]],
               initial_job_idx: int) -> Sequence[JobReturn]:
        from hydra.core.utils import setup_globals

        from sim.sweep_compose import direct_job

        settings = direct_settings(self.task_function, self.config)
        if settings is None:
            stats["hydra"] += len(job_overrides)
            return super().launch(job_overrides, initial_job_idx)
        setup_globals()
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        Path(settings["sweep_dir"]).mkdir(parents=True, exist_ok=True)
        log.info(f"Launching {len(job_overrides)} jobs locally")
        loader = self.hydra_context.config_loader
        runs: list[JobReturn] = []
        for idx, overrides in enumerate(job_overrides):
            idx = initial_job_idx + idx
            log.info(f"\t#{idx} : {' '.join(filter_overrides(overrides))}")
            job = direct_job(loader, self.config, list(overrides))
            if job is None:
                stats["hydra"] += 1
                ret = compose_and_run_job(self.hydra_context, self.config, self.task_function,
                                          overrides, idx, "{idx}")
                configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
            else:  # its logging undone as it ends (job_logging)
                stats["direct"] += 1
                ret = run_direct_job(settings, *job)
            runs.append(ret)
        return runs
