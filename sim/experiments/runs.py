"""One run of a sweep: identity, skip-if-complete, failure records, and the state of a run dir.

A sweep is a folder of run directories. Each run directory is in one of three states:

* **complete**: ``manifest.json`` is present (written last by :func:`sim.io.write_run`) and
  there is no ``error.json``;
* **failed**: ``error.json`` records the last attempt's error (type, message, traceback,
  overrides);
* **incomplete**: neither, e.g. the run was killed (``status.json`` then says the attempt
  started, when and where); it is redone on the next attempt.

:func:`execute` is the one place that runs a job. A job whose directory already holds a complete
run of the same configuration (:func:`sim.io.same_results`: the configuration the run started
with, keys in :data:`sim.io.NON_RESULT_KEYS` ignored) is skipped; any exception is caught and
recorded in ``error.json`` so that one bad job never stops or corrupts the others. After every
attempt ``status.json`` says what that attempt did (done / skipped / failed), which the end-of-
sweep report reads. An attempt never turns a complete run into a failed one: if the folder holds
a complete run when the attempt fails (or is refused as a different configuration), the failure
is recorded in ``status.json`` only and the complete run stays in the tables.
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import os
import platform
import time
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from sim import io
from sim.experiments.gc_freeze import freeze_in_worker, long_lived_frozen  # noqa: F401 - long_lived_frozen: still importable from here
from sim.params import Config, ConfigError

log = logging.getLogger("sim.experiments")

MANIFEST = "manifest.json"
ERROR = "error.json"
STATUS = "status.json"
HYDRA_OVERRIDES = Path(".hydra") / "overrides.yaml"

# Run-control keys that do not change a run's results: they are left out of its identity, so
# changing them never makes a complete run look different (one list, kept in sim.io).
IDENTITY_EXCLUDE = io.NON_RESULT_KEYS


class RunState(StrEnum):
    COMPLETE = "complete"
    FAILED = "failed"
    INCOMPLETE = "incomplete"


class Attempt(StrEnum):
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"


class RunConflict(ConfigError):
    """The run directory already holds a complete run of a different configuration."""


@dataclass(frozen=True)
class Outcome:
    path: Path
    attempt: Attempt
    error: str = ""


# --------------------------------------------------------------------------------------------
# identity
# --------------------------------------------------------------------------------------------


def identity(config: Config | dict) -> dict:
    """The JSON-normalised configuration that identifies a run (results-neutral keys removed)."""
    return io.result_config(config)


def config_hash(config: Config | dict) -> str:
    """A short stable hash of :func:`identity` (16 hex digits; :func:`sim.io.config_hash`)."""
    return io.config_hash(config)


same_run = io.same_run  # does a manifest hold a run of this configuration?


# --------------------------------------------------------------------------------------------
# state of a run directory
# --------------------------------------------------------------------------------------------


def run_state(path: Path) -> RunState:
    if (path / ERROR).is_file():
        return RunState.FAILED
    if (path / MANIFEST).is_file():
        return RunState.COMPLETE
    return RunState.INCOMPLETE


def is_run_dir(path: Path) -> bool:
    """A folder a job has started in (``status.json``, or Hydra's ``.hydra/``) or finished in."""
    return any((path / name).exists() for name in (MANIFEST, ERROR, STATUS, HYDRA_OVERRIDES))


def find_run_dirs(root: Path) -> list[Path]:
    """Every run directory under ``root`` (sorted; hidden folders and ``tables`` skipped)."""
    found = []
    for dirpath, dirnames, _ in os.walk(root):
        here = Path(dirpath)
        if here != root and is_run_dir(here):
            found.append(here)
            dirnames.clear()  # runs are never nested
            continue
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "tables")
    return sorted(found)


def read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def run_overrides(path: Path, manifest: dict | None = None) -> list[str]:
    """The overrides that made a run: from its manifest, else Hydra's ``.hydra/overrides.yaml``."""
    if manifest and manifest.get("overrides") is not None:
        return [str(o) for o in manifest["overrides"]]
    f = path / HYDRA_OVERRIDES
    if f.is_file():
        from omegaconf import OmegaConf

        return [str(o) for o in OmegaConf.load(f)]
    for record in (ERROR, STATUS):
        rec = read_json(path / record)
        if rec and rec.get("overrides") is not None:
            return [str(o) for o in rec["overrides"]]
    return []


# --------------------------------------------------------------------------------------------
# writing records atomically
# --------------------------------------------------------------------------------------------


def write_json_atomic(path: Path, obj: dict) -> None:
    io.atomic_write(path, io.dumps(obj))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def scheduler() -> dict[str, str]:
    """Where this process runs under a batch scheduler: the Slurm job id (``ARRAYJOB_TASK``
    for an array task) and, when submitit started it, the job's log file; ``{}`` elsewhere."""
    env = os.environ
    if "SLURM_JOB_ID" not in env:
        return {}
    job = env["SLURM_JOB_ID"]
    if env.get("SLURM_ARRAY_JOB_ID") and env.get("SLURM_ARRAY_TASK_ID"):
        job = f"{env['SLURM_ARRAY_JOB_ID']}_{env['SLURM_ARRAY_TASK_ID']}"
    found = {"scheduler": "slurm", "slurm_job_id": job}
    if "SUBMITIT_FOLDER" in env:
        try:
            import submitit

            found["log"] = str(submitit.JobEnvironment().paths.stdout)
        except Exception:  # noqa: BLE001 - the job id alone still identifies the job
            pass
    return found


def record_failure(out: Path, exc: BaseException, overrides: list[str],
                   config: Config | None = None, extra: dict | None = None) -> str:
    """Write ``error.json`` for a failed attempt; returns the one-line error message.
    ``extra`` adds fields (a scheduler's job id and log path)."""
    message = f"{type(exc).__name__}: {exc}"
    write_json_atomic(out / ERROR, {**scheduler(), **(extra or {}),
        "error_type": type(exc).__name__,
        "message": str(exc),
        "key": getattr(exc, "key", None),
        "overrides": list(overrides),
        "config_hash": config_hash(config) if config is not None else None,
        "traceback": traceback.format_exception(exc),
        "time": _now(),
        "host": platform.node(),
        "pid": os.getpid(),
    })
    return message


STARTED = "started"  # status.json of an attempt under way (or killed)


def _write_status(out: Path, attempt: Attempt | str, started: float, overrides: list[str],
                  error: str = "") -> None:
    write_json_atomic(out / STATUS, {
        "attempt": str(attempt), "error": error, "time": _now(),
        "seconds": round(time.perf_counter() - started, 3), "host": platform.node(),
        "pid": os.getpid(), "overrides": overrides, **scheduler(),
    })


# --------------------------------------------------------------------------------------------
# running one job
# --------------------------------------------------------------------------------------------




def execute(config: Config | None, out: Path, *, overrides: list[str] | tuple = (),
            error: BaseException | None = None, progress=None,
            share_burn_in: bool = True) -> Outcome:
    """Run ``config`` into ``out`` unless a complete run of the same configuration is there.

    Never raises for a failing job: the error is written to ``out/error.json`` and returned in
    the outcome. ``error`` records a failure that happened before a config existed (e.g. a bad
    value rejected while composing). KeyboardInterrupt and SystemExit pass through: the run is
    left incomplete and is redone next time.

    ``share_burn_in``: save the burnt-in state in the sweep's ``.burn_in`` folder (or load it
    from there) for the other jobs of the sweep that share this job's world; ``False`` when no
    other job can (a sensitivity sample's own parameters), so the state is neither saved nor
    looked up. ``run.burn_in_cache``, when set, is used either way. Outputs are the same.
    """
    from sim import runner

    freeze_in_worker()
    started = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    io.remove_partials(out)
    overrides = list(overrides)
    _write_status(out, STARTED, started, overrides)
    manifest = read_json(out / MANIFEST) if (out / MANIFEST).is_file() else None
    start = None
    try:
        if error is not None:
            raise error
        assert config is not None
        start = copy.deepcopy(config)  # what the manifest records, whatever the run does
        if manifest is not None:
            if same_run(manifest, start):
                (out / ERROR).unlink(missing_ok=True)
                _write_status(out, Attempt.SKIPPED, started, overrides)
                return Outcome(out, Attempt.SKIPPED)
            if not start.run.overwrite:
                old = manifest.get("config") or {}
                raise RunConflict(
                    "hydra.sweep.dir",
                    f"{out} already holds a complete run of a different configuration "
                    f"(config hash {manifest.get('config_hash') or config_hash(old)}, this job "
                    f"{config_hash(config)}); use a new sweep directory, or set "
                    "run.overwrite=true to replace it")
        (out / ERROR).unlink(missing_ok=True)
        # scenarios and replicates that share a world share its burn-in (sim.burn_in)
        sweep_cache = str(out.parent / ".burn_in") if share_burn_in else ""
        cache = config.run.burn_in_cache or sweep_cache
        result = runner.run(config, progress=progress, burn_in_cache=cache)
        io.write_run(result, out, plots=start.run.plots, config=start,
                     extra_manifest={"config_hash": config_hash(start), "overrides": overrides})
    except Exception as exc:  # noqa: BLE001 - a job's failure is recorded, never raised
        if manifest is not None and (out / MANIFEST).is_file():
            # a complete run is here and untouched: it stays complete (and in the tables)
            message = f"{type(exc).__name__}: {exc}"
            log.error("job refused or failed in %s (the complete run there is kept): %s",
                      out, message)
        else:
            message = record_failure(out, exc, overrides, start or config)
            log.error("run failed in %s: %s", out, message)
        _write_status(out, Attempt.FAILED, started, overrides, message)
        return Outcome(out, Attempt.FAILED, message)
    _write_status(out, Attempt.DONE, started, overrides)
    log.info("run done in %s (%.1fs)", out, result.wall_seconds)
    return Outcome(out, Attempt.DONE)


@functools.lru_cache(maxsize=8)
def _composed(overrides: tuple[str, ...]) -> Config:
    """The configuration the CLI composes from ``overrides``: without Hydra's composition
    (milliseconds, not the ~0.7 s a composition costs) when every override is a plain
    ``group=choice`` or ``dotted.key=value`` (values typed by Hydra's own override parser),
    else, or if that is refused, through Hydra (whose result and messages are the reference)."""
    from sim.config import compose

    simple = _plain_overrides(overrides)
    if simple is not None:
        from sim.scenarios import configure

        try:
            return configure(**simple)
        except Exception:  # noqa: BLE001 - Hydra decides, and words any error
            pass
    return compose(list(overrides))


def _plain_overrides(overrides: tuple[str, ...]) -> dict[str, object] | None:
    """``{"topology": "rural", "run.replicate": 3, ...}`` when every override only changes a
    config group's choice or a parameter's value (no ``+``/``~``, package, sweep, ``hydra.*``
    or interpolation); ``None`` otherwise."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.override_parser.types import OverrideType

    from sim.scenarios import GROUPS

    if any("${" in o for o in overrides):
        return None
    try:
        parsed = OverridesParser.create().parse_overrides(list(overrides))
    except Exception:  # noqa: BLE001 - malformed: Hydra words the error
        return None
    out: dict[str, object] = {}
    for o in parsed:
        key = o.key_or_group
        if (o.type is not OverrideType.CHANGE or o.package is not None or o.is_sweep_override()
                or key.startswith("hydra") or key in out):
            return None
        value = o.value()
        if key in GROUPS:  # option names only: a file path is for sim.configure's callers
            names = value if isinstance(value, list) else [value]
            ok = bool(names) and all(isinstance(v, str) and "/" not in v and "\\" not in v
                                     and not v.endswith((".yaml", ".yml")) for v in names)
        else:
            ok = "." in key and isinstance(value, str | int | float | bool)
        if not ok:
            return None
        out[key] = value
    return out


def set_values(config: Config, values: dict[str, object]) -> Config:
    """A validated copy of ``config`` with dotted keys set (``{"need.p_hidden": 0.3}``):
    :func:`sim.configure` with ``config`` as the base (type-checked, events included)."""
    from sim.scenarios import configure

    return configure(config, **values)


def compose_and_execute(out: str | Path, overrides: list[str],
                        values: dict[str, object] | None = None,
                        share_burn_in: bool = True) -> tuple[str, str, str]:
    """Compose ``overrides`` (as the CLI would), set ``values`` by dotted key, and
    :func:`execute` into ``out``.

    The unit of work for the Python executors (joblib, Ray): plain data in and out, so it
    pickles anywhere. Compositions are cached per process, so designs that vary only
    ``values`` (SALib samples) pay for Hydra once per worker. ``share_burn_in``: :func:`execute`'s.
    Returns ``(path, attempt, error)``.
    """
    logging.getLogger("MESA").setLevel(logging.WARNING)
    values = dict(values or {})
    record = [*overrides, *(f"{k}={v}" for k, v in values.items())]
    try:
        config, error = set_values(_composed(tuple(overrides)), values), None
    except Exception as exc:  # noqa: BLE001 - recorded by execute
        config, error = None, exc
    outcome = execute(config, Path(out), overrides=record, error=error,
                      share_burn_in=share_burn_in)
    return str(outcome.path), str(outcome.attempt), outcome.error


def skip_if_complete(out: str | Path, overrides: list[str],
                     values: dict[str, object] | None = None) -> bool:
    """Whether ``out`` already holds a complete run of this job, found without Hydra: only when
    the folder has a manifest and the overrides take the plain path of :func:`_composed`
    (milliseconds). Then the skip is recorded as :func:`execute` records it and ``True`` is
    returned; in every other case ``False`` (the job must be run, or checked, by a worker).

    Lets a scheduler's driver leave complete runs out of a re-submission (a resumed Slurm sweep
    asks only for the jobs that are left) without composing every job on the driver.
    """
    out = Path(out)
    if not (out / MANIFEST).is_file() or (out / ERROR).is_file():
        return False
    if _plain_overrides(tuple(overrides)) is None:
        return False
    try:
        config = set_values(_composed(tuple(overrides)), dict(values or {}))
    except Exception:  # noqa: BLE001 - a worker will record the error
        return False
    record = [*overrides, *(f"{k}={v}" for k, v in (values or {}).items())]
    return skip_complete_config(out, config, record)


def skip_complete_config(out: str | Path, config, overrides: list[str]) -> bool:
    """Whether ``out`` holds a complete run of ``config`` (a :class:`Config` or a job's composed
    DictConfig); if so the skip is recorded as :func:`execute` records it. ``False`` whenever
    that cannot be decided cheaply here: the job's worker will decide."""
    started = time.perf_counter()
    out = Path(out)
    if not (out / MANIFEST).is_file() or (out / ERROR).is_file():
        return False
    manifest = read_json(out / MANIFEST)
    if manifest is None:
        return False
    if not isinstance(config, Config):
        from sim.config import scenario_choice, to_config

        try:
            config = to_config(config, scenario_choice(list(overrides)))
        except Exception:  # noqa: BLE001 - a worker will record the error
            return False
    if not same_run(manifest, config):
        return False
    _write_status(out, Attempt.SKIPPED, started, list(overrides))
    return True


class SchedulerError(RuntimeError):
    """The scheduler ended a job before its run finished (cancelled, timed out, node lost)."""


def slurm_job_ended(job, exc: BaseException) -> tuple[SchedulerError, dict]:
    """The error, and the fields for ``error.json``, of a submitit ``job`` that Slurm ended
    before its run finished (``exc``: submitit's UncompletedJobError or FailedJobError)."""
    state = job.watcher.get_state(job.job_id, mode="cache")
    logfile = job.paths.stdout
    error = SchedulerError(
        f"Slurm job {job.job_id} ended {state} before the run finished; its log: {logfile} "
        f"(submitit said: {' '.join(str(exc).split())[:300]})")
    return error, {"scheduler": "slurm", "slurm_job_id": job.job_id, "slurm_state": state,
                   "log": str(logfile)}


def lost_run(out: Path, exc: BaseException, overrides: list[str],
             extra: dict | None = None) -> tuple[str, str]:
    """A job the scheduler ended: recorded as the run's failure (``error.json`` with ``extra``,
    such as the job id and its log) unless its run is complete. Returns (attempt, error)."""
    out = Path(out)
    record = [*overrides]
    if (out / MANIFEST).is_file():  # finished before it was lost: a complete run stays so
        attempt = (read_json(out / STATUS) or {}).get("attempt")
        return (attempt if attempt in (Attempt.DONE, Attempt.SKIPPED) else str(Attempt.DONE)), ""
    out.mkdir(parents=True, exist_ok=True)
    message = record_failure(out, exc, record, extra=extra)
    _write_status(out, Attempt.FAILED, time.perf_counter(), record, message)
    return str(Attempt.FAILED), message
