"""Command line: ``python -m sim [overrides]`` (Hydra). See ``python -m sim --help``."""

from __future__ import annotations

import logging
import shutil
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from sim.config import config_dir, register_schema, scenario_choice, to_config
from sim.params import ConfigError

log = logging.getLogger("sim")


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
    from sim import io, runner

    if HydraConfig.get().mode == RunMode.MULTIRUN:  # sweeps: see sim.experiments.hydra_sweep
        from sim.experiments.hydra_sweep import sweep_task

        return sweep_task(cfg)
    out = Path(HydraConfig.get().runtime.output_dir)
    try:
        config = to_config(cfg, scenario_choice(list(HydraConfig.get().overrides.task)))
        io.check_run_dir(out, config)
        result = runner.run(config, progress=_progress(config.run.days))
    except ConfigError as exc:
        _discard_hydra_files(out)
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    files = io.write_run(result, out, plots=config.run.plots, config=config)  # start config
    s = result.summary
    print(f"{config.scenario.name} on {config.topology.kind}: {s['n_residents']} residents, "
          f"{s['days']} days in {result.wall_seconds:.1f}s; unmet need-days "
          f"{s.get('unmet_need_days', 0)}, referrals {s.get('referrals_total', 0)}")
    print(f"wrote {len(files)} files to {out}")


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


def main() -> None:
    logging.getLogger("MESA").setLevel(logging.WARNING)
    register_schema()
    app = hydra.main(config_path=str(config_dir()), config_name="config",
                     version_base="1.3")(task)
    app()


if __name__ == "__main__":
    main()
