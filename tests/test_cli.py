"""End to end through ``python -m sim``: the four kinds of output, byte-identical repeats, the
manifest, ``--help``, and runs that must not replace another configuration's results."""

from __future__ import annotations

import json
import re
import shutil

import pandas as pd
import pytest
from support import config_groups, config_options, leftovers, run_cli

RURAL_60 = ("topology=rural", "run.days=60", "run.seed=7")
PLOTS = ("need.png", "volunteers.png", "referrals.png", "groups.png", "wellbeing.png")


@pytest.fixture(scope="module")
def rural_run(tmp_path_factory):
    """The issue's example command, run once for this module."""
    out = tmp_path_factory.mktemp("cli") / "rural"
    proc = run_cli(*RURAL_60, f"hydra.run.dir={out}", cwd=out.parent)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture
def existing_run(rural_run, tmp_path):
    """A private copy of the example run's directory, to run into again."""
    out = tmp_path / "existing"
    shutil.copytree(rural_run, out)
    return out


def snapshot(folder) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_run_writes_tables_summary_manifest_and_plots(rural_run):
    names = set(leftovers(rural_run))
    assert {"timeseries.parquet", "summary.json", "manifest.json", *PLOTS} <= names
    assert not [n for n in names if n.startswith(".partial")]  # no staging left behind
    ts = pd.read_parquet(rural_run / "timeseries.parquet")
    assert ts["day"].tolist() == list(range(1, 61))
    assert (ts["n_residents"] == 380).all()
    assert {"n_unmet_need", "new_referrals_total", "n_vol_active", "n_groups_open"} <= set(ts)
    summary = json.loads((rural_run / "summary.json").read_text())
    assert (summary["seed"], summary["days"], summary["topology"]) == (7, 60, "rural")
    assert summary["unmet_need_days"] == int(ts["n_unmet_need"].sum())
    for png in PLOTS:
        assert (rural_run / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_manifest_records_seed_config_versions_revision_and_wall_time(rural_run):
    manifest = json.loads((rural_run / "manifest.json").read_text())
    assert manifest["seed"] == 7
    cfg = manifest["config"]
    assert cfg["run"]["seed"] == 7 and cfg["run"]["days"] == 60
    assert cfg["topology"]["kind"] == "rural" and cfg["topology"]["n_residents"] == 380
    assert cfg["scenario"]["name"] == "baseline"
    assert "p_onset_per_day" in cfg["need"]  # the whole resolved configuration
    versions = manifest["versions"]
    for package in ("python", "mesa", "numpy", "pandas", "networkx", "hydra-core"):
        assert versions[package] and versions[package] != "not installed", package
    assert versions["mesa"].startswith("3.5")
    assert re.fullmatch(r"[0-9a-f]{40}(-dirty)?|unknown", manifest["git_revision"])
    assert manifest["wall_seconds"] > 0
    assert set(manifest["files"]) <= set(leftovers(rural_run))


def test_same_command_twice_gives_byte_identical_results(rural_run, tmp_path):
    out = tmp_path / "again"
    # a different hash seed: set and dict ordering must not leak into the results
    proc = run_cli(*RURAL_60, f"hydra.run.dir={out}", cwd=tmp_path,
                   env={"PYTHONHASHSEED": "12345"})
    assert proc.returncode == 0, proc.stderr
    for name in ("timeseries.parquet", "summary.json", *PLOTS):
        assert (out / name).read_bytes() == (rural_run / name).read_bytes(), name


def test_a_refused_run_leaves_the_existing_run_directory_untouched(existing_run, tmp_path):
    out = existing_run
    before = snapshot(out)
    proc = run_cli("topology=rural", "run.days=60", "run.seed=8", f"hydra.run.dir={out}",
                   cwd=tmp_path)
    assert proc.returncode != 0
    assert "run.overwrite" in proc.stderr and "hydra.run.dir" in proc.stderr
    after = snapshot(out)
    assert after.keys() == before.keys()
    changed = [name for name in before if before[name] != after[name]]
    assert changed == [], f"a refused run changed {changed}"


def test_overwrite_replaces_results_of_another_configuration(existing_run, tmp_path):
    out = existing_run
    old = (out / "timeseries.parquet").read_bytes()
    proc = run_cli("topology=rural", "run.days=60", "run.seed=8", "run.overwrite=true",
                   f"hydra.run.dir={out}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 8 and manifest["config"]["run"]["overwrite"] is True
    assert (out / "timeseries.parquet").read_bytes() != old


def test_rerunning_the_same_configuration_into_its_directory_is_allowed(existing_run, tmp_path):
    out = existing_run
    old = (out / "timeseries.parquet").read_bytes()
    proc = run_cli(*RURAL_60, f"hydra.run.dir={out}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (out / "timeseries.parquet").read_bytes() == old


def test_help_lists_every_config_group_and_option():
    proc = run_cli("--help")
    assert proc.returncode == 0, proc.stderr
    for group in config_groups():
        line = next(ln for ln in proc.stdout.splitlines() if ln.startswith(f"{group}:"))
        listed = {x.strip() for x in line.split(":", 1)[1].split(",")}
        assert listed == set(config_options(group)), group
    assert "hydra.run.dir" in proc.stdout and "run.seed" in proc.stdout
