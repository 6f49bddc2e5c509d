"""The built wheel installs into a fresh virtual environment and runs from outside the checkout:
the configs travel inside the package (sim/_configs), the console script and ``python -m sim``
work, and nothing is read from the source tree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from support import REPO, checkout_entries

pytestmark = pytest.mark.slow  # build, a fresh venv, 2 runs


def run(*cmd, cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, f"{cmd}: {proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv outside the checkout with the wheel installed (its dependencies on the
    path from the test's own environment)."""
    tmp = tmp_path_factory.mktemp("wheel")
    before = checkout_entries()
    run(sys.executable, "-m", "build", "--wheel", "--outdir", tmp / "dist", REPO, cwd=tmp)
    assert checkout_entries() == before, "building the wheel wrote into the checkout"
    wheels = list((tmp / "dist").glob("community_response_sim-*.whl"))
    assert len(wheels) == 1
    run(sys.executable, "-m", "venv", tmp / "venv", cwd=tmp)
    bin_dir = tmp / "venv" / "bin"
    # The dependencies come from this interpreter's site-packages, appended to the new venv's
    # path by a .pth line (a path added that way has its own .pth files - this checkout's
    # editable install among them - ignored), so the test does not download and install
    # every dependency again (about 60 s); the wheel itself goes into the venv, first on the
    # path, and the tests check that `sim` and its configs are imported from there.
    purelib = run(bin_dir / "python", "-c", "import sysconfig; print(sysconfig.get_paths()"
                  "['purelib'])", cwd=tmp).stdout.strip()
    Path(purelib, "_test_dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n")
    run(bin_dir / "python", "-m", "pip", "install", "-q", "--no-deps", wheels[0], cwd=tmp,
        timeout=900)
    run(bin_dir / "python", "-m", "pip", "check", cwd=tmp)  # every requirement is satisfied
    work = tmp / "work"
    work.mkdir()
    return bin_dir, work


def test_the_installed_package_reads_its_own_configs(installed):
    bin_dir, work = installed
    out = run(bin_dir / "python", "-c", "import json, sim, sim.scenarios as s; print(json.dumps("
              "[sim.__file__, str(s.config_dir()), s.options('scenario')]))", cwd=work)
    module, configs, scenarios = json.loads(out.stdout)
    site = str(bin_dir.parent)
    assert module.startswith(site) and configs.startswith(site), (module, configs)
    assert configs.endswith(os.path.join("sim", "_configs"))
    assert scenarios == sorted(p.stem for p in (REPO / "configs" / "scenario").glob("*.yaml"))


def test_community_sim_run_works_outside_the_checkout(installed):
    bin_dir, work = installed
    out = work / "run"
    proc = run(bin_dir / "community-sim", "run", "run.days=2", "run.plots=false",
               f"hydra.run.dir={out}", cwd=work)
    assert "baseline on urban" in proc.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["days"] == 2 and summary["topology"] == "urban"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["git_revision"] == "unknown"  # not run from a git checkout
    assert manifest["versions"]["community-response-sim"]


def test_python_m_sim_and_the_list_commands_work_outside_the_checkout(installed):
    bin_dir, work = installed
    out = work / "rural"
    run(bin_dir / "python", "-m", "sim", "topology=rural", "scenario=flood", "run.days=60",
        "run.burn_in_days=0", "run.plots=false", f"hydra.run.dir={out}", cwd=work)
    assert json.loads((out / "summary.json").read_text())["topology"] == "rural"
    events = json.loads((out / "events.json").read_text())  # the packaged scenario's timeline
    assert any(e["kind"] == "emergency" and e["day"] == 30 for e in events)
    listed = run(bin_dir / "community-sim", "list", "scenarios", "--format", "names", cwd=work)
    assert "flood" in listed.stdout.split()
    refused = subprocess.run([str(bin_dir / "community-sim"), "calibrate"], cwd=work,
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "needs a source checkout" in refused.stderr
