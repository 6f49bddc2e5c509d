"""End to end through ``python -m sim``: the four kinds of output, byte-identical repeats, the
manifest, ``--help``, and runs that must not replace another configuration's results."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest
import yaml
from support import REPO, config_groups, config_options, leftovers, run_cli

RURAL_60 = ("topology=rural", "run.days=60", "run.seed=7")
PLOTS = ("need.png", "volunteers.png", "referrals.png", "groups.png", "wellbeing.png")


@pytest.fixture(scope="module")
def rural_run(tmp_path_factory):
    """The issue's example command, run once for this module."""
    out = tmp_path_factory.mktemp("cli") / "rural"
    proc = run_cli(*RURAL_60, f"hydra.run.dir={out}", cwd=out.parent)
    assert proc.returncode == 0, proc.stderr
    (out.parent / "stdout.txt").write_text(proc.stdout)  # beside the run, not in it
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


def test_the_printed_summary_uses_the_glossary_words(rural_run):
    from sim import glossary

    summary = json.loads((rural_run / "summary.json").read_text())
    printed = (rural_run.parent / "stdout.txt").read_text()
    assert f"; {glossary.cli_summary(summary)}\n" in printed
    assert f"referrals to link workers {summary['referrals_total']}\n" in printed


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


MODEL_MODULES = ("sim.runner", "sim.model", "numba", "mesa", "scipy")


def _refused_in_a_fresh_interpreter(folder: Path, *args: str) -> tuple[str, str]:
    """``python -m sim ARGS`` refused (exit 2) in ``folder``: the model's modules it imported,
    and its stderr."""
    code = ("import sys\nfrom sim.cli import main\ntry:\n"
            f"    main({list(args)!r})\n"
            "except SystemExit as exc:\n"
            f"    print(exc.code, [m for m in {MODEL_MODULES!r} if m in sys.modules])\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=folder, capture_output=True,
                          text=True, timeout=300)
    code, _, imported = proc.stdout.strip().partition(" ")
    assert code == "2", proc.stdout + proc.stderr
    return imported, proc.stderr


def test_a_refusal_comes_before_the_model_is_imported(tmp_path):
    """The configuration and the run directory are checked before the model's modules (numba,
    Mesa, SciPy: about two CPU-seconds) are imported, so a refusal comes back at once."""
    imported, err = _refused_in_a_fresh_interpreter(tmp_path, "need.p_hidden=1.5",
                                                    "hydra.run.dir=out")
    assert imported == "[]", imported
    assert "error: need.p_hidden: must be between 0.0 and 1.0" in err
    assert leftovers(tmp_path / "out") == []
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "manifest.json").write_text("{}")  # another configuration's results
    imported, err = _refused_in_a_fresh_interpreter(tmp_path, f"hydra.run.dir={taken}")
    assert imported == "[]", imported
    assert "already holds results of a different configuration" in err
    assert (taken / "manifest.json").read_text() == "{}"  # left alone


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


# ---------------------------------------------------------------------------- community-sim

COMMANDS = ("run", "sweep", "replay", "collect", "compare", "sensitivity", "executor",
            "calibrate", "dashboard", "list")


def community_sim(*args: str, cwd=None) -> subprocess.CompletedProcess:
    """The ``community-sim`` console script of this environment, in a fresh process."""
    script = Path(sys.executable).parent / "community-sim"
    return subprocess.run([str(script), *args], cwd=cwd or REPO, capture_output=True,
                          text=True, timeout=300)


def refused(proc: subprocess.CompletedProcess, *fragments: str) -> None:
    """Bad input: exit status 2, one clear message, no traceback."""
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    for fragment in fragments:
        assert fragment in proc.stderr, proc.stderr


def test_console_script_is_the_subcommand_tool():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert pyproject["project"]["scripts"]["community-sim"] == "sim.commands:main"
    proc = community_sim("--help")
    assert proc.returncode == 0, proc.stderr
    listed = re.findall(r"^    (\w+)", proc.stdout, re.M)
    assert tuple(listed) == COMMANDS


_BLAS_PROBE = """
import os, sys
{start}
print(os.environ.get("OPENBLAS_NUM_THREADS"), "numpy" in sys.modules)
"""


@pytest.mark.parametrize("start, preset, expected", [
    ("import sim.__main__", None, "1 False"),  # python -m sim: before numpy loads
    ("import sim.__main__", {"OPENBLAS_NUM_THREADS": "3"}, "3 False"),  # the user's choice
    ("import sim.__main__", {"OMP_NUM_THREADS": "2"}, "None False"),  # a cluster job's too
    ("import sim.__main__", {"GOTO_NUM_THREADS": "2"}, "None False"),
    ("import sim.commands as c, sys; sys.argv = ['community-sim', 'nothing']\n"
     "try:\n    c.main()\nexcept SystemExit:\n    pass", None, "1 False"),
    ("import sim, sim.commands, sim.cli", None, "None False"),  # importing sets nothing
])
def test_the_programs_start_with_one_blas_thread_unless_the_user_chose(start, preset, expected):
    """``python -m sim`` and ``community-sim`` set ``OPENBLAS_NUM_THREADS=1`` before numpy
    loads (sim.startup), unless a number of BLAS threads is set already (in it,
    ``OMP_NUM_THREADS`` or ``GOTO_NUM_THREADS``); ``import sim`` leaves it alone."""
    import os

    from sim.startup import BLAS_THREAD_VARIABLES

    env = {k: v for k, v in os.environ.items() if k not in BLAS_THREAD_VARIABLES}
    env.update(preset or {})
    proc = subprocess.run([sys.executable, "-c", _BLAS_PROBE.format(start=start)], env=env,
                          capture_output=True, text=True, cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[-2] == expected


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    proc = community_sim(command, "--help")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"usage: community-sim {command}"), proc.stdout[:200]
    if command in ("run", "sweep"):  # then Hydra's help: the config groups
        assert "scenario: agile_commissioning, baseline" in proc.stdout


def test_list_scenarios_gives_every_scenario_file_with_its_description():
    proc = community_sim("list", "scenarios")
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stdout.split())
    for name in config_options("scenario"):
        data = yaml.safe_load((REPO / "configs" / "scenario" / f"{name}.yaml").read_text())
        assert re.search(rf"^{name}$", proc.stdout, re.M), name
        assert " ".join(data["scenario"]["description"].split()) in text, name
    assert "emergency (day 30), surge_campaign (day 30)" in text  # flood's timeline


def test_list_events_gives_every_kind_with_its_parameters():
    from sim.events import event_kinds

    proc = community_sim("list", "events", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    rows = {r["kind"]: r for r in json.loads(proc.stdout)}
    kinds = event_kinds()
    assert set(rows) == {k["kind"] for k in kinds}
    for kind in kinds:
        assert set(rows[kind["kind"]]["params"]) == set(kind["params"]), kind["kind"]
    cut = rows["funding_cut"]["params"]
    assert cut["share"]["default"] == "required" and cut["share"]["allowed"] == "0 – 1"
    text = community_sim("list", "events", "funding").stdout
    assert "- share: float, default required, allowed 0 – 1: share of core funding" in text


def test_list_params_gives_key_default_meaning_source_and_plausible_range():
    from sim.params import Config, iter_params

    proc = community_sim("list", "params", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    rows = {r["key"]: r for r in json.loads(proc.stdout)}
    assert set(rows) == {k for k, _, _ in iter_params(Config())} - {"events"}
    cap = rows["link_worker.caseload_cap"]
    assert cap["default"] == str(Config().link_worker.caseload_cap)
    assert cap["meaning"].startswith("bespoke clients a link worker holds")
    assert cap["source"] == "assumption"
    plausible = [r for r in rows.values() if r["plausible"]]
    assert plausible and all(" – " in r["plausible"] for r in plausible)
    text = community_sim("list", "params", "need.p_onset").stdout
    assert text.startswith("need.p_onset_per_day = ") and "source: " in text
    assert "link_worker." not in text  # the pattern filters


def test_list_outputs_names_the_columns_or_says_where_they_are():
    from sim import catalog
    from sim.metrics import FLOWS

    proc = community_sim("list", "outputs", "--format", "names")
    assert proc.returncode == 0, proc.stderr
    names = proc.stdout.split()
    if catalog.has_data_dictionary():
        assert names == [r["name"] for r in catalog.outputs()]
    else:
        assert {"n_…", "new_…", "cum_…", "frac_…", "mean_…", *FLOWS} <= set(names)
        text = community_sim("list", "outputs").stdout
        assert "data dictionary (sim.outputs) is not in this version" in text


def test_list_outputs_reads_the_data_dictionary_when_it_exists(monkeypatch):
    import types

    import sim
    from sim import catalog

    fake = types.ModuleType("sim.outputs")
    fake.table = lambda: pd.DataFrame([{"name": "n_unmet_need", "level": "timeseries",
                                        "unit": "residents", "meaning": "in unmet need",
                                        "source": "sim.metrics", "dtype": "int64"}])
    monkeypatch.setitem(sys.modules, "sim.outputs", fake)
    monkeypatch.setattr(sim, "outputs", fake, raising=False)
    assert catalog.has_data_dictionary()
    assert catalog.outputs() == [{"name": "n_unmet_need", "table": "", "level": "timeseries",
                                  "unit": "residents", "meaning": "in unmet need",
                                  "source": "sim.metrics"}]


def test_list_outputs_says_which_table_each_column_is_in():
    """A name in several files (n_link_workers: the daily table and practices.parquet) is
    listed once per file, each entry naming its file, in the text and in JSON."""
    text = community_sim("list", "outputs", "n_link_workers").stdout
    heads = [line for line in text.splitlines() if line.startswith("n_link_workers ")]
    assert "n_link_workers  [timeseries; link worker; posts]" in heads
    assert any(h.startswith("n_link_workers  [practices; ") for h in heads)
    rows = json.loads(community_sim("list", "outputs", "--format", "json").stdout)
    tables = {r["table"] for r in rows}
    assert {"timeseries", "summary", "areas", "area_course", "practices"} <= tables


def test_list_options_may_come_between_what_and_pattern():
    """`list outputs --format names referral` filters by the pattern as `list --format names
    outputs referral` does (it used to fail: unrecognized arguments: referral)."""
    proc = community_sim("list", "outputs", "--format", "names", "referral")
    assert proc.returncode == 0, proc.stderr
    names = proc.stdout.split()
    assert names and all("referral" in n for n in names)
    assert names == community_sim("list", "--format", "names", "outputs", "referral").stdout.split()


def test_a_pattern_matching_nothing_exits_1():
    proc = community_sim("list", "params", "no_such_parameter")
    assert proc.returncode == 1 and "no params match 'no_such_parameter'" in proc.stderr


@pytest.mark.parametrize("args, fragments", [
    (("frobnicate",), ("argument COMMAND: invalid choice: 'frobnicate'", "'run'", "'list'")),
    (("topology=rural",), ("'topology=rural' is not a command", "community-sim run")),
    (("list", "things"), ("argument what: invalid choice: 'things'", "'scenarios'")),
    (("list", "params", "--format", "xml"), ("argument --format: invalid choice",)),
    (("compare", "somewhere", "--ci", "z"), ("argument --ci: invalid choice: 'z'",)),
    (("sensitivity", "volunteering", "--method", "x"), ("argument --method: invalid choice",)),
    (("collect",), ("required: sweep_dir",)),
    (("collect", "somewhere", "--wide"), ("unrecognized arguments: --wide",)),
    (("calibrate", "--replicates", "0"), ("argument --replicates: must be a whole number",)),
    (("dashboard", "--port", "99999"), ("--port: must be between 0 and 65535",)),
    (("replay",), ("replay: needs a FILE.yaml",)),
    (("run", "run.dayz=3"), ("error: run.dayz: is not a parameter", "run.days")),
    (("run", "topology=moon"), ("error: topology: ", "rural")),
])
def test_bad_input_is_refused_naming_the_argument(args, fragments, tmp_path):
    refused(community_sim(*args, cwd=tmp_path), *fragments)
    assert not (tmp_path / "outputs").exists()


def test_calibrate_outside_a_checkout_says_what_it_needs(monkeypatch, capsys):
    from sim import commands

    monkeypatch.setattr(commands, "calibrate_script", lambda: None)
    with pytest.raises(SystemExit) as exc:
        commands.main(["calibrate", "--replicates", "2"])
    assert exc.value.code == 2
    assert "calibrate: needs a source checkout" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        commands.main(["calibrate", "--help"])
    assert exc.value.code == 0 and "needs a source checkout" in capsys.readouterr().out


TINY = ("topology=rural", "run.days=2", "run.burn_in_days=0", "run.plots=false")


def test_run_is_the_hydra_job_of_python_m_sim(tmp_path):
    proc = community_sim("run", *TINY, f"hydra.run.dir={tmp_path / 'a'}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "wrote" in proc.stdout
    same = run_cli(*TINY, f"hydra.run.dir={tmp_path / 'b'}", cwd=tmp_path)
    assert same.returncode == 0, same.stderr
    for name in ("timeseries.parquet", "summary.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert json.loads((tmp_path / "a" / "summary.json").read_text())["days"] == 2


def test_sweep_is_a_multirun_and_collect_gathers_it(tmp_path):
    out = tmp_path / "sweep"
    proc = community_sim("sweep", *TINY, "run.replicate=0,1", f"hydra.sweep.dir={out}",
                         cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    runs = sorted(p.name for p in out.iterdir() if (p / "manifest.json").exists())
    assert len(runs) == 2 and all("run.replicate=" in r for r in runs)
    again = community_sim("collect", str(out), "--out", str(tmp_path / "t"))
    assert again.returncode == 0, again.stderr
    assert len(pd.read_parquet(tmp_path / "t" / "summary.parquet")) == 2
