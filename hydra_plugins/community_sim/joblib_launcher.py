"""``hydra/launcher=local``: Hydra's joblib launcher, with the sweep's state shipped once.

``hydra_joblib_launcher``'s ``JoblibLauncher`` sends every job, with its overrides, the Hydra
context, the sweep's configuration, the task function and the state of Hydra's singletons
(the config store), each pickled again for the job on the driver and unpickled in the
worker, which then resets its singletons to that state and scans Hydra's plugins again. The
scan executes every plugin module anew, so the launcher configs' classes in the config store
are no longer their modules' and the composition cache (:mod:`sim.sweep_compose`) cannot
pickle the job's configuration: every job was deep-copied (about five times slower).

Here the driver pickles those four once per launch; each job carries the same bytes, and a
worker unpickles them (after one plugin scan) and sets its singletons only when they differ
from the bytes its last job brought: the first job of each worker and launch. A worker thus
keeps its Hydra state and its composition cache from job to job, as the basic launcher's
single process does. A job of this package's task runs from its values, as the default
launcher runs it (``direct_launcher.py``: the same folder, files and log, without composing
the job's configuration), when the sweep and the job allow it; any other is composed and run
as Hydra's launcher runs it (``load_sweep_config`` in the worker, the same job id and number,
``run_job``'s folder, files, logging and callbacks). A ``JobReturn`` comes back without the
job's two configurations, which nothing on the driver reads (Hydra's sweepers read the return
value).
Everything else, the options included (``hydra.launcher.n_jobs`` and the other
``joblib.Parallel`` arguments), is Hydra's launcher's.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Sequence
from typing import Any

from hydra.core.utils import JobReturn
from hydra_plugins.hydra_joblib_launcher.joblib_launcher import JoblibLauncher

from hydra_plugins.community_sim._jobs import compose_and_run_job, start_launch

log = logging.getLogger(__name__)

_WORKER: dict[str, Any] = {}
"""In a worker process: the last shared bytes it unpickled (``blob``) and their objects."""
stats = {"setups": 0, "jobs": 0, "direct": 0}
"""In this process: the shared state set up, jobs run, and of them run from their values (for
tests and benchmarks)."""


def _shared_objects(shared: bytes) -> tuple:
    """The Hydra context, sweep configuration and task function of ``shared``; the worker's
    Hydra globals and singletons set from them the first time these bytes come."""
    from hydra.core.plugins import Plugins
    from hydra.core.singleton import Singleton
    from hydra.core.utils import setup_globals

    from sim import sweep_compose

    if _WORKER.get("blob") == shared:
        return _WORKER["objects"]
    # Hydra's plugin scan first: it executes every plugin module again, so the classes the
    # state names (the launchers' config dataclasses) must be loaded after it; otherwise the
    # config store's classes differ from their modules' and the sweep's composition cannot be
    # pickled (every job's copy would then be a deep copy, about five times slower)
    plugins = Plugins.instance()
    hydra_context, config, task_function, singleton_state = pickle.loads(shared)  # noqa: S301 - the driver's own pickle of its own state
    # the same plugins: Singleton.get_state leaves them out, and set_state would scan again
    singleton_state["instances"][Plugins] = plugins
    setup_globals()
    Singleton.set_state(singleton_state)
    sweep_compose.install()
    stats["setups"] += 1
    objects = (hydra_context, config, task_function)
    _WORKER.update(blob=shared, objects=objects)
    return objects


def _direct_settings(shared: bytes, sweep_dir: str) -> dict | None:
    """The direct launcher's settings for this launch's jobs in this worker (worked out once
    per launch), with the sweep folder the driver made; None: Hydra's way."""
    from hydra_plugins.community_sim.direct_launcher import direct_settings

    kept = _WORKER.get("direct")
    if kept is None or kept[0] != (shared, sweep_dir):
        _, config, task_function = _WORKER["objects"]
        settings = direct_settings(task_function, config)
        if settings is not None:
            settings["sweep_dir"] = sweep_dir
        kept = _WORKER["direct"] = ((shared, sweep_dir), settings)
    return kept[1]


def execute_job(idx: int, overrides: Sequence[str], shared: bytes,
                sweep_dir: str | None = None) -> JobReturn:
    """A joblib task: job ``idx`` run in this worker from its values, as the direct launcher
    runs it (``sweep_dir``: the sweep folder the driver made; when the sweep and the job allow
    it), or composed here and run as Hydra's launcher runs it."""
    hydra_context, config, task_function = _shared_objects(shared)
    stats["jobs"] += 1
    settings = _direct_settings(shared, sweep_dir) if sweep_dir is not None else None
    if settings is not None:
        from hydra_plugins.community_sim.direct_launcher import run_direct_job
        from sim.sweep_compose import direct_job

        job = direct_job(hydra_context.config_loader, config, list(overrides))
        if job is not None:
            stats["direct"] += 1
            return run_direct_job(settings, *job)
    ret = compose_and_run_job(hydra_context, config, task_function, overrides, idx,
                              "{name}_{idx}")  # as Hydra's joblib launcher names its jobs
    # sent back: the job's overrides, folder, task name, status and return value (all that
    # Hydra's sweepers read: the return value); not its task and Hydra configurations, two
    # whole configurations pickled here and unpickled by the driver for every job (the run's
    # manifest.json holds the resolved configuration; callbacks saw both in this worker)
    ret.cfg = ret.hydra_cfg = None
    return ret


def shared_state(hydra_context, config, task_function, singleton_state) -> bytes:
    """What every job of a launch carries: the four pickled once, with cloudpickle (the
    pickler joblib ships them with; the state holds OmegaConf's resolvers, which are
    closures)."""
    import cloudpickle

    return cloudpickle.dumps((hydra_context, config, task_function, singleton_state),
                             protocol=pickle.HIGHEST_PROTOCOL)


class LocalLauncher(JoblibLauncher):
    """Hydra's joblib launcher that ships the sweep's state to its workers once per launch."""

    def launch(self, job_overrides: Sequence[Sequence[str]],
               initial_job_idx: int) -> Sequence[JobReturn]:
        from hydra.core.singleton import Singleton
        from hydra.core.utils import filter_overrides
        from hydra_plugins.hydra_joblib_launcher._core import process_joblib_cfg
        from joblib import Parallel, delayed

        sweep_dir = start_launch(self)
        joblib_cfg = self.joblib
        joblib_cfg["backend"] = "loky"  # as Hydra's: threads cannot run Hydra jobs
        process_joblib_cfg(joblib_cfg)
        log.info("Joblib.Parallel(%s) is launching %d jobs (the sweep's state shipped once)",
                 ",".join(f"{k}={v}" for k, v in joblib_cfg.items()), len(job_overrides))
        log.info("Launching jobs, sweep output dir : %s", sweep_dir)
        for idx, overrides in enumerate(job_overrides):
            log.info("\t#%d : %s", idx, " ".join(filter_overrides(overrides)))
        shared = shared_state(self.hydra_context, self.config, self.task_function,
                              Singleton.get_state())
        runs = Parallel(**joblib_cfg)(
            delayed(execute_job)(initial_job_idx + idx, overrides, shared, str(sweep_dir))
            for idx, overrides in enumerate(job_overrides))
        assert isinstance(runs, list) and all(isinstance(r, JobReturn) for r in runs)
        return runs
