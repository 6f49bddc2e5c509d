"""Run a list of jobs (folder name + overrides) in parallel without a Hydra launcher.

Used for designs that are not grids (SALib samples) and from Python. Each job is composed and run
by :func:`sim.experiments.runs.compose_and_execute`, so it follows the same contract as a Hydra
sweep job: complete runs are skipped, failures are recorded in ``error.json`` and never stop the
others. Backends:

* ``serial`` - in this process;
* ``joblib`` - local processes (loky), ``n_jobs`` of them;
* ``ray`` - Ray tasks through Ray's public API (``ray.remote`` / ``ray.wait``): a local Ray
  instance with ``n_jobs`` CPUs, or an existing cluster with ``ray_address="auto"`` or
  ``"ray://host:10001"`` (the ``sim`` package must be installed on the workers).
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sim.experiments.runs import Attempt, compose_and_execute, record_failure

BACKENDS = ("serial", "joblib", "ray")


@dataclass(frozen=True)
class Job:
    name: str  # run folder, relative to the sweep folder
    overrides: tuple[str, ...]  # Hydra overrides, as on the command line
    values: tuple[tuple[str, object], ...] = ()  # then dotted keys set on the composed config


@dataclass
class ExecutionReport:
    root: Path
    attempts: Counter = field(default_factory=Counter)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (run folder, error)
    seconds: float = 0.0


def run_jobs(jobs: Iterable[Job], root: str | Path, *, backend: str = "joblib",
             n_jobs: int | None = None, ray_address: str | None = None,
             progress: bool | None = None) -> ExecutionReport:
    """Run ``jobs`` into ``root/<job.name>``; returns the counts of done/skipped/failed."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)} (got {backend!r})")
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    jobs = list(jobs)
    names = [j.name for j in jobs]
    if len(set(names)) != len(names):
        raise ValueError("job names must be unique: two jobs would share a run folder")
    work = [(str(root / j.name), list(j.overrides), dict(j.values)) for j in jobs]
    report = ExecutionReport(root)
    t0 = time.perf_counter()
    show = sys.stderr.isatty() if progress is None else progress
    from tqdm import tqdm

    with tqdm(total=len(work), unit="run", desc=f"runs ({backend})", disable=not show) as bar:
        for path, attempt, error in _dispatch(work, backend, n_jobs, ray_address):
            report.attempts[Attempt(attempt)] += 1
            if attempt == Attempt.FAILED:
                report.failures.append((str(Path(path).relative_to(root)), error))
            bar.update(1)
            bar.set_postfix({str(k): v for k, v in report.attempts.items()}, refresh=False)
    report.seconds = time.perf_counter() - t0
    return report


def _dispatch(work, backend, n_jobs, ray_address) -> Iterator[tuple[str, str, str]]:
    if backend == "serial" or not work:
        for path, overrides, values in work:
            yield compose_and_execute(path, overrides, values)
    elif backend == "joblib":
        from joblib import Parallel, delayed

        parallel = Parallel(n_jobs=n_jobs or -1, return_as="generator_unordered")
        yield from parallel(delayed(compose_and_execute)(*w) for w in work)
    else:
        yield from _ray(work, n_jobs, ray_address)


def _ray(work, n_jobs, address) -> Iterator[tuple[str, str, str]]:
    try:
        import ray
    except ImportError as exc:
        raise ImportError("the ray backend needs Ray: pip install 'community-response-sim[ray]'"
                          ) from exc
    started_here = not ray.is_initialized()
    if started_here:
        # no usage reports to Ray's servers unless the user asked for them
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        kwargs = {"address": address, "include_dashboard": False, "log_to_driver": False}
        if address is None:
            kwargs["num_cpus"] = n_jobs or None
        ray.init(**kwargs)
    try:
        task = ray.remote(num_cpus=1, max_retries=0)(compose_and_execute)
        jobs = {task.remote(*w): w for w in work}
        pending = list(jobs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            try:
                yield ray.get(done[0])
            except ray.exceptions.RayError as exc:  # the worker died: record, go on
                path, overrides, _ = jobs[done[0]]
                message = record_failure(Path(path), exc, overrides)
                yield path, str(Attempt.FAILED), message
    finally:
        if started_here:
            ray.shutdown()
