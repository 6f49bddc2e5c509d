"""Run one configuration to completion and return its tables."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim import areas, metrics, practices
from sim.burn_in import build_model
from sim.model import CommunityModel
from sim.params import Config


@dataclass
class RunResult:
    config: Config
    timeseries: pd.DataFrame  # one row per day, metric columns
    summary: dict  # the run's outcome figures
    wall_seconds: float
    build_seconds: float
    event_log: list[dict] = field(default_factory=list)
    model: CommunityModel | None = None
    cpu_seconds: float = 0.0  # CPU time of this process for the whole call (build included)
    build_cpu_seconds: float = 0.0
    areas: pd.DataFrame | None = None  # one row per area for the run (sim.areas)
    area_course: pd.DataFrame | None = None  # one row per area and period (sim.areas.AreaCourse)
    practices: pd.DataFrame | None = None  # one row per GP practice (sim.practices)


def run(config: Config | None = None, *, keep_model: bool = False, progress=None,
        burn_in_cache: str | Path | None = None) -> RunResult:
    """Build the model from ``config`` (default: ``Config()``), burn it in (or reuse a saved
    burnt-in state from ``burn_in_cache``, default ``config.run.burn_in_cache``), run
    ``config.run.days`` days and return the daily table, summary, per-area table, per-area
    time course (:mod:`sim.areas`; ``run.area_period_days=0``: no time course) and
    per-practice table (:mod:`sim.practices`).
    ``progress(day, days)`` is called after each day; ``build_seconds`` includes the
    burn-in."""
    t0, c0 = time.perf_counter(), time.process_time()
    model = build_model(config, burn_in_cache)
    t1, c1 = time.perf_counter(), time.process_time()
    days = model.cfg.run.days
    period = model.cfg.run.area_period_days
    course = areas.AreaCourse(model, period) if period > 0 else None
    for day in range(days):
        model.step()
        if course is not None:
            course.observe(model)
        if progress is not None:
            progress(day + 1, days)
    ts = model.timeseries()
    summary = metrics.summary(model, ts)
    by_area = areas.table(model)
    by_practice = practices.table(model)
    if course is not None:
        course.observe(model, final=True)
    t2, c2 = time.perf_counter(), time.process_time()
    return RunResult(model.cfg, ts, summary, t2 - t0, t1 - t0, list(model.event_log),
                     model if keep_model else None, c2 - c0, c1 - c0, by_area,
                     course.table() if course is not None else None, by_practice)
