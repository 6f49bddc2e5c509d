"""Command line: ``python -m sim [overrides]`` (Hydra) and ``python -m sim replay FILE.yaml
[overrides]`` (a replay file: data only, see :mod:`sim.replay`). See ``python -m sim --help``.

Every configuration error, Hydra's included, exits with status 2 and one line naming the key.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from pathlib import Path

import hydra
from hydra._internal.utils import get_args_parser
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from hydra.errors import ConfigCompositionException, OverrideParseException, SearchPathException
from hydra.types import RunMode
from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from sim import glossary, sweep_compose
from sim import replay as replay_file
from sim.config import (
    check_overrides,
    config_dir,
    hydra_error,
    register_schema,
    scenario_choice,
    to_config,
)
from sim.params import ConfigError
from sim.scenarios import options

log = logging.getLogger("sim")


# a multirun's jobs composed once per choice of config groups (sim.sweep_compose); here, at
# import, so joblib's workers, which import this module to run ``task``, use it too
sweep_compose.install()


def _discard_hydra_files(out: Path) -> None:
    """After a rejected configuration, remove what Hydra wrote, so nothing looks like a result
    (previous complete results, if any, are left alone)."""
    if (out / "manifest.json").exists():
        return
    shutil.rmtree(out / ".hydra", ignore_errors=True)
    for f in out.glob("*.log"):
        f.unlink(missing_ok=True)
    try:
        out.rmdir()  # only if now empty
    except OSError:
        pass


def task(cfg: DictConfig) -> str | None:
    if HydraConfig.get().mode == RunMode.MULTIRUN:  # sweeps: see sim.experiments.hydra_sweep
        from sim.experiments.hydra_sweep import sweep_task

        return sweep_task(cfg)
    out = Path(HydraConfig.get().runtime.output_dir)
    try:
        config = to_config(cfg, scenario_choice(list(HydraConfig.get().overrides.task)))
        # the model's modules (numba, Mesa, SciPy: about two CPU-seconds) are imported only
        # for a run that goes ahead, so a refusal comes back at once
        from sim import io

        io.check_run_dir(out, config)
        from sim import runner

        result = runner.run(config, progress=_progress(config.run.days))
    except ConfigError as exc:
        _discard_hydra_files(out)
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    files = io.write_run(result, out, plots=config.run.plots, config=config)  # start config
    s = result.summary
    print(f"{config.scenario.name} on {config.topology.kind}: {s['n_residents']} residents, "
          f"{s['days']} days in {result.wall_seconds:.1f}s; {glossary.cli_summary(s)}")
    print(f"wrote {len(files)} files to {out}")


# a multirun job's configuration is read through sim.sweep_compose.plain_job_config when it
# can be (sweep_task): run_job's copy of it for this task need not be a copy (for_task). The
# contract: this task never writes to the configuration it is given (the copy may then hold
# the job's own nodes, and a write would reach the job's configuration)
task.reads_plain_config = True  # type: ignore[attr-defined]


def _progress(days: int):
    if not sys.stderr.isatty() or days < 50:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    bar = tqdm(total=days, unit="day", leave=False)

    def update(day, total):
        bar.update(1)
        if day == total:
            bar.close()

    return update


CONFIG_FLAGS = ("--config-dir", "-cd", "--config-path", "-cp", "--config-name", "-cn")
HYDRA_CONFIG_ERRORS = (ConfigCompositionException, OverrideParseException, SearchPathException,
                       OmegaConfBaseException)


def replay_arguments(argv: list[str]) -> list[str]:
    """``replay FILE [args]`` -> Hydra arguments; the file's content becomes a config node."""
    if not argv or argv[0].startswith("-"):
        raise ConfigError("replay", "usage: python -m sim replay FILE.yaml [overrides...]")
    path, rest = argv[0], argv[1:]
    if flags := [a for a in rest if a.split("=", 1)[0] in CONFIG_FLAGS]:
        raise ConfigError(flags[0].split("=", 1)[0], "a replay runs on the project's own "
                                                     "configs; --config-dir and friends are "
                                                     "not available with replay")
    data = replay_file.load(path, options("topology"))
    from sim.events.registry import Timeline

    if data.events is not None:
        Timeline.from_config(data.events)  # errors name events.NAME before anything runs
    ConfigStore.instance().store(group="replay", name="file", node=data.node(),
                                 package="_global_")
    overrides = get_args_parser().parse_known_args(rest)[0].overrides
    flags = [a for a in rest if a not in set(overrides)]  # argparse wants overrides together
    chosen = {o.split("=", 1)[0] for o in overrides}
    head = [f"topology={data.topology}"] if data.topology and "topology" not in chosen else []
    return [*flags, *head, "+replay=file", *overrides]


def run_hydra(argv: list[str]) -> None:
    """Hydra's app on ``argv``; its configuration errors become ConfigError (not exit 1)."""
    app = hydra.main(config_path=str(config_dir()), config_name="config",
                     version_base="1.3")(task)
    saved_argv, saved_full = sys.argv, os.environ.get("HYDRA_FULL_ERROR")
    sys.argv = [saved_argv[0], *argv]
    os.environ["HYDRA_FULL_ERROR"] = "1"  # Hydra raises instead of printing and exiting 1
    try:
        with sweep_compose.for_task(task):
            app()
    except HYDRA_CONFIG_ERRORS as exc:
        if saved_full == "1":
            raise
        raise hydra_error(exc) from exc
    finally:
        sys.argv = saved_argv
        if saved_full is None:
            os.environ.pop("HYDRA_FULL_ERROR", None)
        else:
            os.environ["HYDRA_FULL_ERROR"] = saved_full


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.getLogger("MESA").setLevel(logging.WARNING)
    register_schema()
    try:
        if argv[:1] == ["replay"]:
            argv = replay_arguments(argv[1:])
        check_overrides(get_args_parser().parse_known_args(argv)[0].overrides)
        # not sim.experiments.runs: its pandas would delay a sweep's launch by 0.4 s
        from sim.experiments.gc_freeze import long_lived_frozen

        with long_lived_frozen():  # the collector skips the start-up's objects meanwhile
            run_hydra(argv)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    from sim.experiments.gc_freeze import freeze_at_exit

    freeze_at_exit()
    main()
