"""Shared pieces of the sweep tests: a tiny 2 x 2 x 5 sweep and how to run it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd

from sim.config import config_dir

DAYS = 60
REPLICATES = 5
TOPOLOGIES = ("urban", "rural")
# tiny populations; 1,000 residents is enough for a surge to change volunteer utilisation.
# A four-week burn-in: these tests check the sweep machinery (the same numbers on every route,
# nothing lost or duplicated), not the model's equilibrium, which the default burn-in of
# four years is for (docs/validation.md: stationarity); it would be 96 % of each run's time.
BURN_IN_DAYS = 28
TINY = ["topology.n_residents=1000", f"run.days={DAYS}", f"run.burn_in_days={BURN_IN_DAYS}",
        "run.plots=false"]


def second_scenario(tmp: Path) -> tuple[str, list[str]]:
    """``surge_recruitment`` if the scenario library has it; otherwise a stand-in scenario
    file added through Hydra's search path (same surge, named ``surge_test``)."""
    if (config_dir() / "scenario" / "surge_recruitment.yaml").is_file():
        return "surge_recruitment", []
    extra = tmp / "extra_configs"
    (extra / "scenario").mkdir(parents=True, exist_ok=True)
    (extra / "scenario" / "surge_test.yaml").write_text(
        "# @package _global_\nscenario:\n  name: surge_test\nvolunteers:\n"
        "  campaign_multiplier: 20.0\n")
    return "surge_test", [f"hydra.searchpath=[file://{extra}]"]


def sweep_args(sweep_dir: Path, scenario: str, extra: list[str], *, launcher: str = "local",
               replicates: int = REPLICATES) -> list[str]:
    args = ["-m", f"hydra.sweep.dir={sweep_dir}", f"topology={','.join(TOPOLOGIES)}",
            f"scenario=baseline,{scenario}", f"run.replicate=range({replicates})", *TINY,
            *extra]
    if launcher:
        args.append(f"hydra/launcher={launcher}")
    if launcher in ("joblib", "local"):
        args.append("hydra.launcher.n_jobs=2")
    return args


def env() -> dict[str, str]:
    e = dict(os.environ)
    e.update({"RAY_USAGE_STATS_ENABLED": "0", "HYDRA_FULL_ERROR": "1", "PYTHONUNBUFFERED": "1"})
    return e


def run_sim(args: list[str], *, timeout: float = 600, environ: dict | None = None
            ) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True,
                          timeout=timeout, env=environ or env(),
                          cwd=Path(__file__).resolve().parent.parent)


def read_tables(sweep_dir: Path) -> dict[str, pd.DataFrame]:
    t = sweep_dir / "tables"
    return {n: pd.read_parquet(t / f"{n}.parquet") for n in ("timeseries", "summary", "failures")}


def report_counts(stdout: str) -> dict[str, int]:
    """The counts in the end-of-sweep report (done now, skipped, failed, not finished)."""
    found = re.findall(r"^\s+(done now|skipped|failed|not finished)\s+(\d+)", stdout, re.M)
    return {k: int(v) for k, v in found}


def run_key(df: pd.DataFrame) -> pd.Series:
    return (df["topology"].astype(str) + "/" + df["scenario"].astype(str) + "/"
            + df["replicate"].astype(str))
