"""Writing run outputs atomically: tables, summary, plots and a manifest written last.

All files are first written to a hidden staging folder inside the run directory and moved into
place only when the run has finished; ``manifest.json`` is moved last, so a directory with a
manifest holds a complete run and a crash never leaves a file that looks like a result.
Single files (sweep tables, records, reports) go through :func:`atomic_write`, the one helper
for them; files get the permissions the umask allows (0644 under umask 022).

The manifest records the configuration the run *started* with (events applied during the run
are in ``events.json``). Whether a folder already holds "the same run" is decided by
:func:`same_results`, which ignores :data:`NON_RESULT_KEYS`.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

import pandas as pd

from sim.params import Config, ConfigError

RESULT_FILES = ("timeseries.parquet", "summary.json", "manifest.json")
# Keys that never change a run's results (output switches, permission flags, cache folders):
# left out when deciding whether two configurations are the same run. Keys absent from the
# schema are skipped, so a key can be listed before it exists.
NON_RESULT_KEYS = ("run.plots", "run.overwrite", "run.allow_late_events", "run.allow_large",
                   "run.burn_in_cache", "run.resident_agents")
PARTIAL_PREFIX = ".partial-"


def _file_mode() -> int:
    """0o666 masked by the process umask (read once: os.umask can only be read by setting it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


FILE_MODE = _file_mode()  # once, at import: os.umask is process-wide and not thread-safe


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a hidden temporary path beside ``path``; on success it gets :data:`FILE_MODE` and
    replaces ``path``; on any error it is removed and ``path`` is left as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{path.suffix}",
                                dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, FILE_MODE)  # mkstemp creates 0600
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write(path: str | Path, data: str | bytes | Callable[[Path], object]) -> Path:
    """Write ``path`` whole or not at all: ``data`` is text, bytes, or ``data(tmp)`` writing a
    temporary file (``lambda p: table.to_parquet(p)``). Returns ``path``."""
    with atomic_path(path) as tmp:
        if callable(data):
            data(tmp)
        elif isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            with open(tmp, "w", encoding="utf-8", newline="\n") as f:
                f.write(data)
    return Path(path)


def remove_partials(out: Path) -> None:
    """Remove staging folders left in ``out`` by a killed write (never results)."""
    for stage in Path(out).glob(PARTIAL_PREFIX + "*"):
        if stage.is_dir():
            shutil.rmtree(stage, ignore_errors=True)
PACKAGES = ("community-response-sim", "mesa", "numpy", "scipy", "networkx", "pandas", "pyarrow",
            "matplotlib", "hydra-core", "omegaconf", "numba")


def _clean(obj):
    """JSON-safe: NaN/inf become null, numpy scalars become Python numbers."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, str):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def dumps(obj) -> str:
    return json.dumps(_clean(obj), indent=2, sort_keys=True, allow_nan=False) + "\n"


def config_dict(cfg: Config) -> dict:
    return _clean(dataclasses.asdict(cfg))


@functools.lru_cache(maxsize=1)
def _versions() -> tuple[tuple[str, str], ...]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return tuple(out.items())


def versions() -> dict[str, str]:
    """Python's and the packages' versions, read once per process (about 0.14 s of wall
    time each; a process runs the code it imported, whatever is installed later)."""
    return dict(_versions())


@functools.lru_cache(maxsize=1)
def git_revision() -> str:
    """The checkout's commit (``-dirty`` with uncommitted changes), read once per process:
    two ``git`` calls, about 0.08 s of wall time, that a sweep would otherwise pay per run."""
    root = Path(__file__).resolve().parent.parent
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                             text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, capture_output=True, text=True, timeout=5).stdout
        return rev + ("-dirty" if dirty.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _pop_dotted(plain: dict, dotted: str) -> None:
    *path, leaf = dotted.split(".")
    node = plain
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(leaf, None)


def result_config(config: Config | dict) -> dict:
    """The JSON-normalised configuration without :data:`NON_RESULT_KEYS` (what sets results)."""
    plain = config_dict(config) if isinstance(config, Config) else config
    # JSON round trip (numbers and keys as a manifest holds them); compact: the C encoder
    plain = json.loads(json.dumps(_clean(plain), sort_keys=True, allow_nan=False))
    for dotted in NON_RESULT_KEYS:
        _pop_dotted(plain, dotted)
    return plain


def config_hash(config: Config | dict) -> str:
    """A short stable hash of :func:`result_config` (16 hex digits)."""
    text = json.dumps(result_config(config), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _flat(plain: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in plain.items():
        if isinstance(v, dict) and f"{prefix}{k}" != "events":  # events compared whole
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def same_results(old: dict, new: Config | dict) -> bool:
    """Do the configurations ``old`` (a manifest's ``config``) and ``new`` give the same results?

    :data:`NON_RESULT_KEYS` are ignored (whether or not they exist). A result key that one side
    lacks (a parameter added since the other was written, e.g. a burn-in length) makes them
    different: its default may well have changed the results."""
    return _flat(result_config(old or {})) == _flat(result_config(new))


def same_run(manifest: dict, config: Config) -> bool:
    """Does a complete run's manifest hold a run of ``config``? (Manifests written before the
    start configuration was recorded still match by the ``config_hash`` they carry.)"""
    if manifest.get("config_hash") and manifest["config_hash"] == config_hash(config):
        return True
    return same_results(manifest.get("config") or {}, config)


def check_run_dir(out: Path, cfg: Config) -> None:
    """Refuse to replace results of a different configuration unless ``run.overwrite``."""
    manifest = out / "manifest.json"
    if not manifest.is_file() or cfg.run.overwrite:
        return
    try:
        old = json.loads(manifest.read_text())
    except (OSError, ValueError):
        old = {}
    if not isinstance(old, dict) or not same_run(old, cfg):
        raise ConfigError("hydra.run.dir", f"{out} already holds results of a different "
                                           "configuration; choose another directory or set "
                                           "run.overwrite=true to replace them")


def _listed_files(out: Path) -> list[Path]:
    """Files a previous run's manifest lists as its own (plain names inside ``out`` only)."""
    try:
        old = json.loads((out / "manifest.json").read_text())
    except (OSError, ValueError):
        return []
    names = old.get("files") if isinstance(old, dict) else None
    if not isinstance(names, list):
        return []
    return [out / n for n in names
            if isinstance(n, str) and n and Path(n).name == n and n not in (".", "..")]


def write_run(result, out: Path, *, plots: bool = True, extra_manifest: dict | None = None,
              config: Config | None = None) -> list[Path]:
    """Write a run's outputs into ``out`` atomically, replacing any previous result there
    (every file its manifest lists); returns the files written.

    ``config`` is the configuration the run started with (what the manifest records); without
    it the run's final configuration (after events) is recorded, so callers should pass it.
    """
    start = config if config is not None else result.config  # read only: asdict copies
    start_dict = config_dict(start)
    out.mkdir(parents=True, exist_ok=True)
    remove_partials(out)
    stage = Path(tempfile.mkdtemp(prefix=PARTIAL_PREFIX, dir=out))
    try:
        write_timeseries(result.timeseries, stage / "timeseries.parquet")
        (stage / "summary.json").write_text(dumps(result.summary))
        names = ["timeseries.parquet", "summary.json"]
        if getattr(result, "areas", None) is not None:  # one row per area (sim.areas)
            write_areas(result.areas, stage / "areas.parquet")
            names.append("areas.parquet")
        if getattr(result, "area_course", None) is not None:  # per area and period
            write_areas(result.area_course, stage / "area_course.parquet", "area_course")
            names.append("area_course.parquet")
        if getattr(result, "practices", None) is not None:  # one row per GP practice
            write_areas(result.practices, stage / "practices.parquet", "practices")
            names.append("practices.parquet")
        if plots:  # matplotlib imported only here: a run without plots never loads it
            from sim import plotting

            names += plotting.plot_run(result.timeseries, stage, title=_title(result.config))
        if result.event_log:
            (stage / "events.json").write_text(dumps(result.event_log))
            names.append("events.json")
        manifest = {
            "seed": start.run.seed,
            "replicate": start.run.replicate,
            "scenario": start.scenario.name,
            "topology": start.topology.kind,
            "config": start_dict,
            # (== config_hash(start)); a caller's extra_manifest, which wins, may hold it
            "config_hash": ((extra_manifest or {}).get("config_hash")
                            or config_hash(start_dict)),
            "versions": versions(),
            "git_revision": git_revision(),
            "python_executable": sys.executable,
            "wall_seconds": round(result.wall_seconds, 3),
            "build_seconds": round(result.build_seconds, 3),
            "days": int(len(result.timeseries)),
            "files": sorted(names),
            **(extra_manifest or {}),
        }
        (stage / "manifest.json").write_text(dumps(manifest))
        old_files = _listed_files(out)
        stale = out / "manifest.json"
        if stale.exists():
            stale.unlink()  # the old run is being replaced: never leave its manifest behind
        for path in old_files:  # the whole old result goes, not only the files we rewrite
            if path.name not in names and path.is_file():
                path.unlink(missing_ok=True)
        for name in names:
            os.replace(stage / name, out / name)
        os.replace(stage / "manifest.json", out / "manifest.json")
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return [out / n for n in [*names, "manifest.json"]]


def write_timeseries(table: pd.DataFrame, path: str | Path) -> None:
    """Write a daily table as Parquet (as ``table.to_parquet(path, index=False)`` would) with
    the data dictionary's meaning, unit, level and source in each field's metadata
    (:func:`sim.outputs.arrow_table`; read them with ``pyarrow.parquet.read_schema``)."""
    from sim import outputs

    _write_parquet(outputs.arrow_table(table), path)


def write_areas(table: pd.DataFrame, path: str | Path, which: str = "areas") -> None:
    """Write a per-area table (:func:`sim.areas.table`; ``which="area_course"``: the time
    course, :class:`sim.areas.AreaCourse`; ``which="practices"``: the per-practice table,
    :func:`sim.practices.table`) as Parquet with the data dictionary's meaning,
    unit, level and source in each field's metadata."""
    from sim import outputs

    _write_parquet(outputs.arrow_table(table, which), path)


def _write_parquet(table, path: str | Path) -> None:
    """``table`` (pyarrow) as a snappy Parquet file at ``path``, encoded in memory and written
    in one go: the same bytes as ``pq.write_table(table, path)``, for less CPU (about 0.2 ms
    a small table, 1 ms the daily table)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="snappy")
    Path(path).write_bytes(sink.getvalue())


def _load_run_table(path: str | Path, name: str, why: str) -> pd.DataFrame:
    p = Path(path)
    if not (p / "manifest.json").is_file():
        raise FileNotFoundError(f"{p} has no manifest.json: not a complete run")
    if not (p / name).is_file():
        raise FileNotFoundError(f"{p} has no {name} ({why})")
    return pd.read_parquet(p / name)


def load_areas(path: str | Path) -> pd.DataFrame:
    """The per-area table of a complete run directory (roll it up with
    :func:`sim.areas.aggregate`)."""
    return _load_run_table(path, "areas.parquet", "written from this version on")


def load_area_course(path: str | Path) -> pd.DataFrame:
    """The per-area time course of a complete run directory (roll it up with
    :func:`sim.areas.aggregate_course`)."""
    return _load_run_table(path, "area_course.parquet",
                           "written from this version on, unless run.area_period_days=0")


def load_practices(path: str | Path) -> pd.DataFrame:
    """The per-practice table of a complete run directory (:mod:`sim.practices`)."""
    return _load_run_table(path, "practices.parquet", "written from this version on")


def _title(cfg: Config) -> str:
    return f"{cfg.scenario.name} · {cfg.topology.kind} · seed {cfg.run.seed}"


def load_run(path: str | Path) -> tuple[pd.DataFrame, dict, dict]:
    """Read a run directory: (timeseries, summary, manifest). A summary figure that is NaN
    (``null`` in ``summary.json``, which JSON allows no NaN) is read back as NaN."""
    p = Path(path)
    if not (p / "manifest.json").is_file():
        raise FileNotFoundError(f"{p} has no manifest.json: not a complete run")
    summary = json.loads((p / "summary.json").read_text())
    return (pd.read_parquet(p / "timeseries.parquet"),
            {k: math.nan if v is None else v for k, v in summary.items()},
            json.loads((p / "manifest.json").read_text()))
