"""``hydra/launcher=ray_cluster``: Hydra's Ray launcher, with each job composed on its worker.

``hydra_ray_launcher``'s ``RayLauncher`` composes every job's configuration serially on the
driver and ships it to a Ray task, so the driver, not the cluster, bounds a large sweep (about
20 ms a job with the composition cache, a whole composition for each new choice of config
groups). Here the driver ships only the job's overrides and number; the Ray task composes the
job with the sweep's composition cache (:mod:`sim.sweep_compose`: once per choice of config
groups in each worker process, which Ray reuses across tasks) and runs it as Hydra's launcher
does (``run_job``, the same job id, folder, logging and return). The Hydra context, the
sweep's configuration and the task function are put in Ray's object store once. Everything
else, the options included, is Hydra's launcher's.

The workers read the config files from the folders the driver composed from, so those must be
at the same paths on every node (the installed package, and any ``--config-dir``, on storage
every node sees, as the sweep folder already is).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from hydra.core.utils import JobReturn

from hydra_plugins.community_sim._jobs import compose_and_run_job, start_launch

try:  # the ray extra; without it Hydra's plugin scan must find nothing here, not fail
    from hydra_plugins.hydra_ray_launcher.ray_launcher import RayLauncher
except ImportError:  # pragma: no cover - exercised by the wheel test without the extra
    RayLauncher = None

log = logging.getLogger(__name__)


def compose_and_run(shared: tuple, overrides: list[str], idx: int) -> JobReturn:
    """A Ray task: compose job ``idx`` from the sweep's configuration and run it."""
    from hydra.core.singleton import Singleton
    from hydra.core.utils import setup_globals

    from sim import sweep_compose

    hydra_context, config, task_function, singleton_state = shared
    setup_globals()
    Singleton.set_state(singleton_state)
    sweep_compose.install()
    return compose_and_run_job(hydra_context, config, task_function, overrides, idx,
                               "job_id_for_{idx}")  # as Hydra's Ray launcher names its jobs


if RayLauncher is not None:
    class WorkerComposingRayLauncher(RayLauncher):
        """Hydra's Ray launcher that composes each job in its Ray task, not on the driver."""

        def launch(self, job_overrides: Sequence[Sequence[str]],
                   initial_job_idx: int) -> Sequence[JobReturn]:
            import ray
            from hydra.core.singleton import Singleton
            from hydra.core.utils import filter_overrides
            from hydra_plugins.hydra_ray_launcher._launcher_util import start_ray
            from omegaconf import OmegaConf

            sweep_dir = start_launch(self)
            log.info("Ray launcher (jobs composed on the workers) is launching %d jobs, "
                     "sweep output dir: %s", len(job_overrides), sweep_dir)
            # as Hydra's launcher: a small object store unless the key is set
            self.ray_cfg.init.setdefault("object_store_memory", 78643200)
            start_ray(self.ray_cfg.init)
            options: dict[str, Any] = (OmegaConf.to_container(self.ray_cfg.remote, resolve=True)
                                       if self.ray_cfg.remote else {})
            task = ray.remote(**options)(compose_and_run) if options else ray.remote(
                compose_and_run)
            shared = ray.put((self.hydra_context, self.config, self.task_function,
                              Singleton.get_state()))
            refs = []
            for idx, overrides in enumerate(job_overrides, start=initial_job_idx):
                log.info("\t#%d : %s", idx, " ".join(filter_overrides(overrides)))
                refs.append(task.remote(shared, list(overrides), idx))
            return [ray.get(ref) for ref in refs]
else:  # pragma: no cover
    WorkerComposingRayLauncher = None
