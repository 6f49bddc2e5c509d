"""Run a list of jobs (folder name + overrides) in parallel without a Hydra launcher.

    python -m sim.experiments.executor SWEEP_DIR OVERRIDE... --backend ray|slurm|joblib|serial

Used for designs that are not grids (SALib samples), from Python, and for sweeps on clusters
(docs/sweeps.md, "Clusters"). Each job is composed and run by
:func:`sim.experiments.runs.compose_and_execute` *in the worker* (the driver only expands the
sweep's values into jobs), so it follows the same contract as a Hydra sweep job: complete runs
are skipped, failures are recorded in ``error.json`` and never stop the others. Backends:

* ``serial`` - in this process;
* ``joblib`` - local processes (loky), ``n_jobs`` of them;
* ``ray`` - Ray tasks through Ray's public API (``ray.remote`` / ``ray.wait``): a local Ray
  instance with ``n_jobs`` CPUs, or an existing cluster with ``ray_address="auto"`` or
  ``"ray://host:10001"`` (the ``sim`` package must be installed on the workers). A task whose
  worker or node dies is retried (``retries`` times) on the nodes that remain;
* ``slurm`` - one Slurm job array through submitit (``sbatch``), with the partition, time
  limit, memory and array parallelism of :class:`SlurmOptions` (defaults from
  ``configs/hydra/launcher/slurm.yaml``, the Hydra Slurm launcher's file). A job that Slurm
  cancels, times out or loses is recorded as a failed run whose ``error.json`` names the Slurm
  job id and its log file; running the same jobs again redoes it.

The command line expands Hydra's sweep syntax (``topology=urban,rural 'run.replicate=range(20)'``)
into one job per combination, each in a folder named as ``python -m sim -m`` names it, so a sweep
started with one route can be finished or checked with the other.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path

from sim.experiments.gc_freeze import freeze_at_exit, long_lived_frozen
from sim.experiments.runs import (
    Attempt,
    compose_and_execute,
    skip_if_complete,
    slurm_job_ended,
)
from sim.experiments.runs import lost_run as _lost

log = logging.getLogger("sim.experiments")

BACKENDS = ("serial", "joblib", "ray", "slurm")
RAY_RETRIES = 3  # times a Ray task is retried after its worker or node died


@dataclass(frozen=True)
class SlurmOptions:
    """What each Slurm job of the ``slurm`` backend asks for (``sbatch`` options).

    :func:`slurm_options` reads the defaults from ``configs/hydra/launcher/slurm.yaml``, the file
    the Hydra Slurm launcher uses, so both routes ask for the same resources.
    """

    partition: str | None = None  # --partition (None: the cluster's default partition)
    timeout_min: int = 120  # --time, minutes per Slurm job (it does runs_per_task runs)
    mem_gb: float = 4.0  # --mem, per job (its runs are one after another)
    cpus_per_task: int = 1  # --cpus-per-task
    array_parallelism: int = 200  # at most this many jobs of the array at a time (%N)
    max_array_size: int = 1000  # jobs per array (Slurm's MaxArraySize, 1001 by default)
    account: str | None = None  # --account
    qos: str | None = None  # --qos
    setup: tuple[str, ...] = ()  # shell lines run before each job (module load ...)
    poll_seconds: float = 2.0  # how often the driver looks for finished jobs
    # runs done one after another by each Slurm job (1: a job per run). Short runs are better
    # grouped: each job pays an interpreter start and the imports (about 2 s) and a queue slot
    runs_per_task: int = 1

    def __post_init__(self) -> None:
        from sim.params import ConfigError

        def whole(name: str, low: int, high: int) -> None:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
                raise ConfigError(f"slurm.{name}", f"must be a whole number in [{low}, {high}] "
                                  f"(got {v!r})")

        whole("timeout_min", 1, 525_600)
        whole("cpus_per_task", 1, 1024)
        whole("array_parallelism", 1, 1_000_000)
        whole("max_array_size", 1, 4_000_000)
        whole("runs_per_task", 1, 100_000)
        mem = self.mem_gb
        if isinstance(mem, bool) or not isinstance(mem, int | float) or not 0.01 <= mem <= 65536:
            raise ConfigError("slurm.mem_gb", f"must be a number of GB in [0.01, 65536] "
                              f"(got {mem!r})")
        for name in ("partition", "account", "qos"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, str) or not v or len(v) > 200
                                  or any(c.isspace() for c in v)):
                raise ConfigError(f"slurm.{name}", f"must be a name without spaces (got {v!r})")
        if not isinstance(self.setup, tuple) or not all(isinstance(x, str) for x in self.setup):
            raise ConfigError("slurm.setup", "must be a list of shell lines")
        p = self.poll_seconds
        if isinstance(p, bool) or not isinstance(p, int | float) or not 0.1 <= p <= 3600:
            raise ConfigError("slurm.poll_seconds", f"must be seconds in [0.1, 3600] (got {p!r})")

    def sbatch(self) -> dict[str, object]:
        """The parameters of :class:`submitit.SlurmExecutor`."""
        params: dict[str, object] = {
            "time": self.timeout_min, "mem": f"{int(round(self.mem_gb * 1024))}MB",
            "cpus_per_task": self.cpus_per_task, "ntasks_per_node": 1, "nodes": 1,
            "array_parallelism": self.array_parallelism, "job_name": "community-sim"}
        for name in ("partition", "account", "qos"):
            if getattr(self, name) is not None:
                params[name] = getattr(self, name)
        if self.setup:
            params["setup"] = list(self.setup)
        return params


def slurm_options(path: str | Path | None = None, **changes: object) -> SlurmOptions:
    """:class:`SlurmOptions` from a launcher file (default ``configs/hydra/launcher/slurm.yaml``:
    ``partition``, ``timeout_min``, ``mem_gb``, ``cpus_per_task``, ``array_parallelism``,
    ``account``, ``qos``, ``setup``; other keys of the Hydra launcher are ignored), then
    ``changes``. The file is read as plain data (YAML, no interpolation)."""
    import yaml

    from sim.config import config_dir
    from sim.params import ConfigError

    path = Path(path) if path is not None else config_dir() / "hydra" / "launcher" / "slurm.yaml"
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError("slurm", f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError("slurm", f"{path} must hold a mapping of launcher settings")
    known = {f.name for f in fields(SlurmOptions)}
    values = {k: v for k, v in data.items() if k in known}
    values.update(changes)
    if isinstance(values.get("setup"), list):
        values["setup"] = tuple(values["setup"])
    if values.get("setup") is None:
        values["setup"] = ()
    return SlurmOptions(**values)


@dataclass(frozen=True)
class Job:
    name: str  # run folder, relative to the sweep folder
    overrides: tuple[str, ...]  # Hydra overrides, as on the command line
    values: tuple[tuple[str, object], ...] = ()  # then dotted keys set on the composed config
    # False: no other job of the list starts from this job's burnt-in state, so it is neither
    # saved in nor looked up from the sweep's .burn_in folder (runs.execute)
    share_burn_in: bool = True


@dataclass
class ExecutionReport:
    root: Path
    attempts: Counter = field(default_factory=Counter)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (run folder, error)
    seconds: float = 0.0
    # where the jobs ran: Ray node ids, or "slurm"/"local" (a count of jobs each)
    where: Counter = field(default_factory=Counter)


def run_jobs(jobs: Iterable[Job], root: str | Path, *, backend: str = "joblib",
             n_jobs: int | None = None, ray_address: str | None = None,
             retries: int = RAY_RETRIES, slurm: SlurmOptions | None = None,
             progress: bool | None = None) -> ExecutionReport:
    """Run ``jobs`` into ``root/<job.name>``; returns the counts of done/skipped/failed.

    ``retries``: how many times the ``ray`` backend retries a task whose worker process or node
    died (a failing run is not retried: its error is recorded). ``slurm``: the resources of the
    ``slurm`` backend's jobs (default :func:`slurm_options`).
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)} (got {backend!r})")
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    jobs = list(jobs)
    names = [j.name for j in jobs]
    if len(set(names)) != len(names):
        raise ValueError("job names must be unique: two jobs would share a run folder")
    work = [(str(root / j.name), list(j.overrides), dict(j.values), j.share_burn_in)
            for j in jobs]
    report = ExecutionReport(root)
    t0 = time.perf_counter()
    show = sys.stderr.isatty() if progress is None else progress
    from tqdm import tqdm

    with (long_lived_frozen(),  # the collector skips the start-up's objects meanwhile
          tqdm(total=len(work), unit="run", desc=f"runs ({backend})", disable=not show) as bar):
        for path, attempt, error, where in _dispatch(work, backend, n_jobs, ray_address,
                                                     retries, slurm, root):
            report.attempts[Attempt(attempt)] += 1
            report.where[where] += 1
            if attempt == Attempt.FAILED:
                report.failures.append((str(Path(path).relative_to(root)), error))
            bar.update(1)
            bar.set_postfix({str(k): v for k, v in report.attempts.items()}, refresh=False)
    report.seconds = time.perf_counter() - t0
    return report


def _dispatch(work, backend, n_jobs, ray_address, retries, slurm, root
              ) -> Iterator[tuple[str, str, str, str]]:
    if backend == "serial" or not work:
        for w in work:
            yield (*compose_and_execute(*w), "local")
    elif backend == "joblib":
        from joblib import Parallel, delayed

        parallel = Parallel(n_jobs=n_jobs or -1, return_as="generator_unordered")
        for result in parallel(delayed(compose_and_execute)(*w) for w in work):
            yield (*result, "local")
    elif backend == "ray":
        yield from _ray(work, n_jobs, ray_address, retries)
    else:
        yield from _slurm(work, slurm or slurm_options(), root)


def _on_ray_node(out, overrides, values, share_burn_in=True) -> tuple[str, str, str, str]:
    """A Ray task: compose and run one job on this worker; also says which node ran it."""
    import ray

    return (*compose_and_execute(out, overrides, values, share_burn_in),
            ray.get_runtime_context().get_node_id())


def _ray(work, n_jobs, address, retries) -> Iterator[tuple[str, str, str, str]]:
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
        # max_retries covers system failures only (a worker process or its node died): the
        # task runs again elsewhere, and execute() starts its folder afresh. A run's own errors
        # never reach Ray: compose_and_execute records them and returns.
        task = ray.remote(num_cpus=1, max_retries=retries)(_on_ray_node)
        jobs = {task.remote(*w): w for w in work}
        pending = list(jobs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            try:
                yield ray.get(done[0])
            except ray.exceptions.RayError as exc:  # died more than `retries` times
                path, overrides = jobs[done[0]][:2]
                yield path, *_lost(Path(path), exc, overrides), "lost"
    finally:
        if started_here:
            ray.shutdown()


def _minutes(limit: str) -> float | None:
    """Slurm's time limit text (``UNLIMITED``, ``MM``, ``MM:SS``, ``HH:MM:SS``, ``D-HH[:MM[:SS]]``)
    in minutes; ``None`` if unlimited or unreadable."""
    if not limit or limit.upper() in ("UNLIMITED", "INFINITE", "NONE"):
        return None
    try:
        days, _, rest = limit.rpartition("-")
        parts = [int(x) for x in rest.split(":")]
        if days:
            h, m, sec = (parts + [0, 0])[:3]
        else:
            h, m, sec = [0] * (3 - len(parts)) + parts if len(parts) > 1 else (0, parts[0], 0)
        return int(days or 0) * 1440 + h * 60 + m + sec / 60
    except ValueError:
        return None


def check_slurm(options: SlurmOptions) -> None:
    """Refuse, before submitting: no ``sbatch`` on PATH, a partition Slurm does not know, or a
    time limit above the partition's MaxTime (Slurm would otherwise hold the jobs forever,
    reason PartitionTimeLimit)."""
    import shutil
    import subprocess

    from sim.params import ConfigError

    if shutil.which("sbatch") is None:
        raise ConfigError("backend", "slurm needs Slurm's sbatch on PATH: run on a Slurm login "
                          "node, or choose another backend (joblib, ray, serial)")
    scontrol = shutil.which("scontrol")
    if scontrol is None:
        return
    cmd = [scontrol, "show", "partition", "--oneliner"]
    if options.partition:
        cmd.append(options.partition)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise ConfigError("slurm.partition", f"Slurm refused partition {options.partition!r}: "
                          f"{' '.join((p.stderr or p.stdout).split())}")
    blocks = [dict(f.split("=", 1) for f in line.split() if "=" in f)
              for line in p.stdout.splitlines() if line.strip()]
    if not options.partition:
        blocks = [b for b in blocks if b.get("Default") == "YES"]
    if not blocks:
        return
    name, limit = blocks[0].get("PartitionName", "?"), _minutes(blocks[0].get("MaxTime", ""))
    if limit is not None and options.timeout_min > limit:
        raise ConfigError("slurm.timeout_min", f"{options.timeout_min} minutes is above the "
                          f"time limit of partition {name} ({blocks[0]['MaxTime']}): Slurm "
                          "would never start these jobs; ask for less or another partition")


def _slurm(work, options: SlurmOptions, root: Path) -> Iterator[tuple[str, str, str, str]]:
    try:
        import submitit
    except ImportError as exc:
        raise ImportError("the slurm backend needs submitit: pip install "
                          "'community-response-sim[slurm]'") from exc
    from submitit.core.utils import FailedJobError, UncompletedJobError

    check_slurm(options)
    executor = submitit.SlurmExecutor(folder=root / ".submitit" / "%j", max_num_timeout=0)
    executor.update_parameters(**options.sbatch())
    # a re-submission asks Slurm only for what is left: complete runs found cheaply (no
    # Hydra composition on the driver) are recorded as skipped here
    todo = []
    for w in work:
        path, job_overrides, job_values = w[:3]
        if skip_if_complete(path, job_overrides, job_values):
            yield path, str(Attempt.SKIPPED), "", "driver"
        else:
            todo.append(w)
    if not todo:
        return
    size = options.runs_per_task
    groups = [todo[i:i + size] for i in range(0, len(todo), size)]
    pending = {}
    for i in range(0, len(groups), options.max_array_size):
        chunk = groups[i:i + options.max_array_size]
        jobs = executor.map_array(_run_group, chunk)
        log.info("submitted Slurm job array %s (%d jobs, %d runs); logs in %s",
                 jobs[0].job_id.split("_")[0], len(jobs), sum(map(len, chunk)),
                 root / ".submitit")
        pending.update(zip(jobs, chunk, strict=True))
    while pending:
        finished = [j for j in pending if j.done()]
        if not finished:
            time.sleep(options.poll_seconds)
            continue
        for job in finished:
            group = pending.pop(job)
            try:
                results = job.result()
            except (UncompletedJobError, FailedJobError) as exc:
                # the job's complete runs stay complete (_lost finds their manifests); the run
                # it was in and those it had not reached are failed, so a re-submission does them
                error, extra = slurm_job_ended(job, exc)
                for path, job_overrides, *_ in group:
                    yield path, *_lost(Path(path), error, job_overrides, extra=extra), "slurm"
            else:
                for result in results:
                    yield (*result, "slurm")


def _run_group(group: list[tuple[str, list[str], dict, bool]]
               ) -> list[tuple[str, str, str]]:
    """One Slurm job: its runs one after another, each composed and written on its own."""
    return [compose_and_execute(*work) for work in group]


# --------------------------------------------------------------------------------------------
# a sweep on the command line
# --------------------------------------------------------------------------------------------


def sweep_jobs(overrides: list[str]) -> list[Job]:
    """One :class:`Job` per combination of Hydra sweep values (``topology=urban,rural``,
    ``'run.replicate=range(20)'``), named as ``python -m sim -m`` names its run folders
    (``hydra.job.override_dirname``, with the same excluded keys). Only parses: composing each
    job's configuration is left to the workers."""
    from hydra._internal.config_loader_impl import get_overrides_dirname
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from omegaconf import OmegaConf

    from sim.config import check_overrides, config_dir
    from sim.params import ConfigError

    check_overrides(list(overrides))
    for o in overrides:
        if o.lstrip("+~").startswith("hydra"):
            raise ConfigError(o.split("=")[0], "hydra.* settings belong to `python -m sim -m`; "
                              "the executor takes the runs' own overrides only")
    parser = OverridesParser.create()
    try:
        batches = BasicSweeper.split_arguments(parser.parse_overrides(list(overrides)), None)[0]
    except Exception as exc:  # noqa: BLE001 - Hydra's parser words the error
        raise ConfigError("overrides", " ".join(str(exc).split())) from None
    naming = OmegaConf.load(config_dir() / "config.yaml").hydra.job.config.override_dirname
    exclude = list(naming.exclude_keys)
    return [Job(get_overrides_dirname(parser.parse_overrides(batch), exclude, ",", "="),
                tuple(batch)) for batch in batches]


def add_slurm_arguments(ap: argparse.ArgumentParser) -> None:
    """The ``slurm`` backend's options on a command line (the executor's, sensitivity's)."""
    ap.add_argument("--slurm-config", help="Slurm resources file (default "
                    "configs/hydra/launcher/slurm.yaml)")
    ap.add_argument("--partition", help="Slurm partition (else the file's, else the default)")
    ap.add_argument("--timeout-min", type=int, help="Slurm time limit per job, minutes")
    ap.add_argument("--mem-gb", type=float, help="Slurm memory per job, GB")
    ap.add_argument("--array-parallelism", type=int, help="Slurm: jobs of the array at once")
    ap.add_argument("--runs-per-task", type=int,
                    help="Slurm: runs done one after another by each job of the array (default "
                         "1; group short runs: each job pays an interpreter start)")


def slurm_from_arguments(args: argparse.Namespace) -> SlurmOptions | None:
    """:class:`SlurmOptions` from :func:`add_slurm_arguments`'s options when the backend is
    ``slurm`` (else ``None``); a bad value raises ConfigError naming it."""
    if args.backend != "slurm":
        return None
    changes = {k: v for k, v in (("partition", args.partition),
                                 ("timeout_min", args.timeout_min), ("mem_gb", args.mem_gb),
                                 ("array_parallelism", args.array_parallelism),
                                 ("runs_per_task", args.runs_per_task)) if v is not None}
    return slurm_options(args.slurm_config, **changes)


def main(argv: list[str] | None = None,
         prog: str = "python -m sim.experiments.executor") -> int:
    ap = argparse.ArgumentParser(
        prog=prog, description="Run a sweep's jobs on Ray, Slurm, joblib or serially: each "
        "worker composes its own configuration. Re-running the same command skips complete runs "
        "and redoes failed or unfinished ones; the tables are collected at the end.")
    ap.add_argument("sweep_dir", help="the sweep folder (on storage every worker sees)")
    ap.add_argument("overrides", nargs="*",
                    help="Hydra overrides, sweep syntax included: topology=urban,rural "
                         "'run.replicate=range(20)' run.days=365")
    ap.add_argument("--backend", choices=BACKENDS, default="joblib")
    ap.add_argument("--n-jobs", type=int, help="joblib processes / local Ray CPUs")
    ap.add_argument("--ray-address", help="a running Ray cluster: auto, or HOST:PORT")
    ap.add_argument("--retries", type=int, default=RAY_RETRIES,
                    help=f"Ray: retries of a task whose worker or node died ({RAY_RETRIES})")
    add_slurm_arguments(ap)
    ap.add_argument("--no-collect", action="store_true", help="do not gather the tables")
    args = ap.parse_args(argv)
    from sim.params import ConfigError

    root = Path(args.sweep_dir)
    try:
        jobs = sweep_jobs(args.overrides)
        slurm = slurm_from_arguments(args)
        if slurm is not None:
            check_slurm(slurm)  # before the sweep folder is made
        if args.retries < 0:
            raise ConfigError("--retries", f"must be 0 or more (got {args.retries})")
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("sim.experiments").setLevel(logging.WARNING)
    start = time.time()
    try:
        report = run_jobs(jobs, root, backend=args.backend, n_jobs=args.n_jobs,
                          ray_address=args.ray_address, retries=args.retries, slurm=slurm)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from sim.experiments.report import format_report, sweep_status

    status = sweep_status(root, since=start, expected=len(jobs))
    tables = None
    if not args.no_collect and status.states:
        from sim.experiments.collect import collect

        tables = collect(root)
    print(format_report(status, tables), flush=True)
    print(f"  {len(jobs)} jobs in {report.seconds:.1f} s "
          f"({len(jobs) / max(report.seconds, 1e-9):.2f} runs/s) on {args.backend}"
          + (f"; per node: {dict(report.where)}" if args.backend == "ray" else ""))
    return 0 if status.ok else 1


if __name__ == "__main__":
    freeze_at_exit()
    sys.exit(main())
