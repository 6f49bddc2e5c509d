"""Hydra multirun support: the job function used in MULTIRUN mode and the sweep callback.

``sim.cli.task`` hands every multirun job to :func:`sweep_task`, which never raises: a bad value
or a crash in one job is written to that job's ``error.json`` and the others go on (Hydra's
sweeper would otherwise stop the sweep). :class:`SweepReport` (registered in
``configs/config.yaml`` under ``hydra.callbacks``) shows a progress bar while the launcher runs
the jobs, then gathers the tables, prints a one-screen report and exits non-zero if any job
failed or did not finish.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

log = logging.getLogger("sim.experiments")

BASIC_SWEEPER = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"


def sweep_task(cfg: DictConfig) -> str:
    """Run one multirun job into its Hydra output dir; returns the attempt (done/skipped/failed)."""
    from hydra.core.hydra_config import HydraConfig

    from sim.sweep_compose import plain_job_config

    hc = HydraConfig.get()
    # the job's keys as plain values if its composition had them (not cfg, converted)
    return run_sweep_job(Path(hc.runtime.output_dir), [str(o) for o in hc.overrides.task],
                         cfg, plain_job_config())


def run_sweep_job(out: Path, overrides: list[str], cfg: DictConfig | None = None,
                  plain: dict | None = None) -> str:
    """Run one multirun job into ``out`` from its configuration ``cfg`` or its keys as plain
    values ``plain`` (:func:`sweep_task`, and the direct launcher without ``cfg``); returns
    the attempt (done/skipped/failed)."""
    from sim.config import scenario_choice, to_config
    from sim.experiments.runs import execute

    try:
        config = to_config(cfg, scenario_choice(overrides), plain=plain)
        error = None
    except Exception as exc:  # noqa: BLE001 - recorded by execute
        config, error = None, exc
    return str(execute(config, out, overrides=overrides, error=error).attempt)


def count_jobs(config: DictConfig) -> int | None:
    """How many jobs Hydra's basic sweeper will launch for this multirun (None if unknown)."""
    try:
        if OmegaConf.select(config, "hydra.sweeper._target_") != BASIC_SWEEPER:
            return None
        from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
        from hydra.core.override_parser.overrides_parser import OverridesParser

        params = OmegaConf.select(config, "hydra.sweeper.params") or {}
        args = [f"{k}={v}" for k, v in params.items()]
        args += [str(o) for o in config.hydra.overrides.task]
        parsed = OverridesParser.create().parse_overrides(args)
        return sum(len(batch) for batch in BasicSweeper.split_arguments(parsed, None))
    except Exception:  # noqa: BLE001 - the count only feeds the progress bar and report
        return None


class SweepReport(Callback):
    """Progress bar during a multirun, then tables, a one-screen report and the exit status.

    Options (``hydra.callbacks.sweep_report.NAME=...``): ``collect`` gather the Parquet tables
    at the end; ``progress`` show a progress bar; ``poll_seconds`` how often it looks.
    """

    def __init__(self, collect: bool = True, progress: bool = True,
                 poll_seconds: float = 1.0) -> None:
        self.collect = collect
        self.progress = progress
        self.poll_seconds = poll_seconds
        self._start: float | None = None
        self._expected: int | None = None
        self._stop: threading.Event | None = None
        self._thread: threading.Thread | None = None

    def __getstate__(self) -> dict:  # launchers pickle callbacks to their workers
        return {"collect": self.collect, "progress": self.progress,
                "poll_seconds": self.poll_seconds, "_start": self._start,
                "_expected": self._expected, "_stop": None, "_thread": None}

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        self._start = time.time()
        root = Path(str(config.hydra.sweep.dir))
        self._expected = count_jobs(config)
        log.info("sweep folder %s; if interrupted, re-run the same command with "
                 "hydra.sweep.dir=%s to finish it (complete runs are skipped)", root, root)
        if self.progress and sys.stderr.isatty():
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._poll, args=(root,), daemon=True)
            self._thread.start()

    def on_job_end(self, config: DictConfig, job_return: Any, **kwargs: Any) -> None:
        """A multirun job's return keeps its overrides, folder, status and return value, not
        its two configurations (the task's and Hydra's, with the job's whole configuration):
        Hydra's launchers keep every job's return until the sweep ends, and its sweepers
        read only the return values, so each job's configuration (about 5,600 objects for the
        collector, whose collections of the oldest generation went through all of them again:
        about 5 ms a job; memory that grew with the sweep) stayed alive for nothing. Jobs' end
        callbacks are called last registered first, so callbacks listed after this one saw
        them; the run's ``manifest.json`` holds the resolved configuration."""
        if OmegaConf.select(config, "hydra.mode") == RunMode.MULTIRUN:
            job_return.cfg = job_return.hydra_cfg = None

    def _poll(self, root: Path) -> None:
        from tqdm import tqdm

        from sim.experiments.report import attempts_since

        with tqdm(total=self._expected, unit="run", desc="sweep", dynamic_ncols=True) as bar:
            while True:
                stopping = self._stop.wait(self.poll_seconds)
                counts = attempts_since(root, self._start)
                bar.n = sum(counts.values())
                bar.set_postfix({k: counts[k] for k in ("done", "skipped", "failed")},
                                refresh=False)
                bar.refresh()
                if stopping:
                    return

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        from sim.experiments.report import format_report, sweep_status

        if self._thread is not None:
            self._stop.set()
            self._thread.join()
        root = Path(str(config.hydra.sweep.dir))
        status = sweep_status(root, since=self._start, expected=self._expected)
        tables, collect_error = None, None
        if self.collect and status.states:
            from sim.experiments.collect import collect

            try:
                tables = collect(root)
            except Exception as exc:  # noqa: BLE001 - reported; the runs themselves are safe
                collect_error = f"collecting the tables failed: {type(exc).__name__}: {exc}"
        steps = [f"python -m sim.experiments.compare {root}"] if tables else []
        if collect_error:
            steps = [collect_error, f"python -m sim.experiments.collect {root}"]
        print(format_report(status, tables, next_steps=steps), flush=True)
        if not status.ok or collect_error:
            raise SystemExit(1)  # passes through Hydra: the multirun exits non-zero
