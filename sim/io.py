"""Writing run outputs atomically: tables, summary, plots and a manifest written last.

All files are first written to a hidden staging folder inside the run directory and moved into
place only when the run has finished; ``manifest.json`` is moved last, so a directory with a
manifest holds a complete run and a crash never leaves a file that looks like a result.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import pandas as pd

from sim.params import Config, ConfigError

RESULT_FILES = ("timeseries.parquet", "summary.json", "manifest.json")
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


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_revision() -> str:
    root = Path(__file__).resolve().parent.parent
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                             text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, capture_output=True, text=True, timeout=5).stdout
        return rev + ("-dirty" if dirty.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def check_run_dir(out: Path, cfg: Config) -> None:
    """Refuse to replace results of a different configuration unless ``run.overwrite``."""
    manifest = out / "manifest.json"
    if not manifest.is_file() or cfg.run.overwrite:
        return
    try:
        old = json.loads(manifest.read_text())
    except (OSError, ValueError):
        old = {}
    if old.get("config") != config_dict(cfg):
        raise ConfigError("hydra.run.dir", f"{out} already holds results of a different "
                                           "configuration; choose another directory or set "
                                           "run.overwrite=true to replace them")


def write_run(result, out: Path, *, plots: bool = True, extra_manifest: dict | None = None
              ) -> list[Path]:
    """Write a run's outputs into ``out`` atomically; returns the files written."""
    from sim import plotting

    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".partial-", dir=out))
    try:
        result.timeseries.to_parquet(stage / "timeseries.parquet", index=False)
        (stage / "summary.json").write_text(dumps(result.summary))
        names = ["timeseries.parquet", "summary.json"]
        if plots:
            names += plotting.plot_run(result.timeseries, stage, title=_title(result.config))
        if result.event_log:
            (stage / "events.json").write_text(dumps(result.event_log))
            names.append("events.json")
        manifest = {
            "seed": result.config.run.seed,
            "replicate": result.config.run.replicate,
            "scenario": result.config.scenario.name,
            "topology": result.config.topology.kind,
            "config": config_dict(result.config),
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
        stale = out / "manifest.json"
        if stale.exists():
            stale.unlink()  # the old run is being replaced: never leave its manifest behind
        for name in names:
            os.replace(stage / name, out / name)
        os.replace(stage / "manifest.json", out / "manifest.json")
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return [out / n for n in [*names, "manifest.json"]]


def _title(cfg: Config) -> str:
    return f"{cfg.scenario.name} · {cfg.topology.kind} · seed {cfg.run.seed}"


def load_run(path: str | Path) -> tuple[pd.DataFrame, dict, dict]:
    """Read a run directory: (timeseries, summary, manifest)."""
    p = Path(path)
    if not (p / "manifest.json").is_file():
        raise FileNotFoundError(f"{p} has no manifest.json: not a complete run")
    return (pd.read_parquet(p / "timeseries.parquet"),
            json.loads((p / "summary.json").read_text()),
            json.loads((p / "manifest.json").read_text()))
