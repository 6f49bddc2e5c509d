"""What this package's launchers share with Hydra's: a launch's first steps, and one job
composed and run in the process it lands in. (A leading underscore: Hydra's plugin scan
skips this module, which holds no plugin.)"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hydra.core.utils import JobReturn


def start_launch(launcher) -> Path:
    """As Hydra's launchers start a launch: Hydra's resolvers, its own logging, the sweep
    folder made; returns that folder."""
    from hydra.core.utils import configure_log, setup_globals

    setup_globals()
    assert launcher.config is not None and launcher.hydra_context is not None
    assert launcher.task_function is not None
    configure_log(launcher.config.hydra.hydra_logging, launcher.config.hydra.verbose)
    sweep_dir = Path(str(launcher.config.hydra.sweep.dir))
    sweep_dir.mkdir(parents=True, exist_ok=True)
    return sweep_dir


def compose_and_run_job(hydra_context, config, task_function, overrides: Sequence[str],
                        idx: int, job_id: str) -> JobReturn:
    """Compose job ``idx`` of the sweep ``config`` here (the sweep's composition cache,
    :mod:`sim.sweep_compose`, when installed) and run it as Hydra's launchers do: numbered
    ``idx``, with the id ``job_id`` formats (``{name}``: the composed job's name, ``{idx}``),
    in its folder, with Hydra's logging and callbacks."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.core.utils import run_job
    from omegaconf import open_dict

    from sim.sweep_compose import for_task

    sweep_config = hydra_context.config_loader.load_sweep_config(config, list(overrides))
    with open_dict(sweep_config):
        sweep_config.hydra.job.id = job_id.format(name=sweep_config.hydra.job.name, idx=idx)
        sweep_config.hydra.job.num = idx
    HydraConfig.instance().set_config(sweep_config)
    with for_task(task_function):  # this package's task: run_job's copy may share nodes
        return run_job(hydra_context=hydra_context, task_function=task_function,
                       config=sweep_config, job_dir_key="hydra.sweep.dir",
                       job_subdir_key="hydra.sweep.subdir")
