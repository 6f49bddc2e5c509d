"""``hydra/launcher=slurm``: Hydra's submitit Slurm launcher, made fit for resumable sweeps.

Two changes to ``hydra_submitit_launcher``'s ``SlurmLauncher`` (everything else, the options
included, is its own):

* a re-submitted sweep asks Slurm only for the runs that are left: a job whose run folder
  already holds a complete run of the same configuration is recorded as skipped on the driver
  (its configuration is composed there with the sweep's composition cache, about 20 ms, and
  compared with the run's manifest), instead of starting an interpreter on a compute node to
  find that out;
* every job of the array is waited for. Hydra's launcher stops at the first job Slurm ended
  (``scancel``, the time limit, a lost node) and leaves the rest unreported; here such a job
  becomes that run's recorded failure (``error.json`` with the Slurm job id, its state and its
  log), as a run's own errors already are, and the sweep's report and tables cover every run.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from hydra.core.utils import JobReturn, JobStatus, filter_overrides
from omegaconf import OmegaConf

try:  # the slurm extra; without it Hydra's plugin scan must find nothing here, not fail
    from hydra_plugins.hydra_submitit_launcher.config import BaseQueueConf
    from hydra_plugins.hydra_submitit_launcher.submitit_launcher import SlurmLauncher
except ImportError:  # pragma: no cover - exercised by the wheel test without the extra
    SlurmLauncher = None

log = logging.getLogger(__name__)


if SlurmLauncher is not None:
    class ResumingSlurmLauncher(SlurmLauncher):
        """Hydra's Slurm launcher that skips complete runs on the driver and waits for every job."""

        def _executor(self):
            """The submitit executor, set up as ``BaseSubmititLauncher.launch`` sets it up."""
            import submitit

            init_keys = {"max_num_timeout", "submitit_folder"}
            init = {"folder": self.params["submitit_folder"]}
            if "max_num_timeout" in self.params:
                init[f"{self._EXECUTOR}_max_num_timeout"] = self.params["max_num_timeout"]
            executor = submitit.AutoExecutor(cluster=self._EXECUTOR, **init)
            base = set(OmegaConf.structured(BaseQueueConf).keys())
            executor.update_parameters(**{k if k in base else f"{self._EXECUTOR}_{k}": v
                                          for k, v in self.params.items() if k not in init_keys})
            return executor

        def _complete(self, overrides: Sequence[str]) -> tuple[Path, bool]:
            """The job's run folder (composed as its worker will compose it), and whether it holds
            a complete run of the job's configuration (the skip is then recorded)."""
            from sim.experiments.runs import MANIFEST, skip_complete_config

            assert self.hydra_context is not None and self.config is not None
            cfg = self.hydra_context.config_loader.load_sweep_config(self.config, list(overrides))
            folder = Path(str(cfg.hydra.sweep.dir)) / str(cfg.hydra.sweep.subdir)
            if not (folder / MANIFEST).is_file():
                return folder, False
            # what the job function receives: the configuration without Hydra's own node
            task = OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"])
            return folder, skip_complete_config(folder, task, list(overrides))

        def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int
                   ) -> Sequence[JobReturn]:
            from submitit.core.utils import FailedJobError, UncompletedJobError

            from sim.experiments.runs import lost_run, slurm_job_ended

            assert self.config is not None
            sweep_dir = Path(str(self.config.hydra.sweep.dir))
            sweep_dir.mkdir(parents=True, exist_ok=True)
            if "mode" in self.config.hydra.sweep:
                os.chmod(sweep_dir, mode=int(str(self.config.hydra.sweep.mode), 8))
            returns: list[JobReturn | None] = [None] * len(job_overrides)
            todo = []
            for i, overrides in enumerate(job_overrides):
                folder, complete = self._complete(overrides)
                if complete:
                    returns[i] = JobReturn(overrides=list(overrides), working_dir=str(folder),
                                           status=JobStatus.COMPLETED, _return_value="skipped")
                else:
                    todo.append((i, folder))
            log.info("Submitit 'slurm' sweep output dir : %s (%d of %d jobs to submit; complete "
                     "runs skipped)", sweep_dir, len(todo), len(job_overrides))
            if not todo:
                return returns
            if shutil.which("sbatch") is None:
                from sim.params import ConfigError

                raise ConfigError("hydra/launcher", f"slurm needs Slurm's sbatch on PATH to submit "
                                  f"{len(todo)} job(s): run on a Slurm login node, or choose "
                                  "another launcher (hydra/launcher=local)")
            params = []
            for i, _ in todo:
                idx = initial_job_idx + i
                log.info("\t#%d : %s", idx, " ".join(filter_overrides(job_overrides[i])))
                params.append((list(job_overrides[i]), "hydra.sweep.dir", idx,
                               f"job_id_for_{idx}", _singleton_state()))
            jobs = self._executor().map_array(self, *zip(*params, strict=True))
            for (i, folder), job in zip(todo, jobs, strict=True):
                try:
                    returns[i] = job.results()[0]
                except (UncompletedJobError, FailedJobError) as exc:
                    error, extra = slurm_job_ended(job, exc)
                    attempt, _ = lost_run(folder, error, list(job_overrides[i]), extra=extra)
                    log.error("%s", error)
                    returns[i] = JobReturn(overrides=list(job_overrides[i]),
                                           working_dir=str(folder), status=JobStatus.COMPLETED,
                                           _return_value=attempt)
            return returns


def _singleton_state():
    from hydra.core.singleton import Singleton

    return Singleton.get_state()
