"""Resume never loses a complete run; a run folder holds one whole result; files get the umask's
permissions (issue 12)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pandas as pd
import pytest
from support import REPO, run_cli
from sweeps_common import report_counts

import sim
from sim import io
from sim.experiments.collect import collect
from sim.experiments.runs import Attempt, RunState, execute, run_state

LOCKDOWN = ["topology=rural", "run.days=150", "scenario=lockdown", "run.plots=false"]


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask_022(monkeypatch):
    """The process umask is 022 and sim.io knows it."""
    old = os.umask(0o022)
    monkeypatch.setattr(io, "FILE_MODE", io._file_mode())
    yield
    os.umask(old)


# ------------------------------------------------------------------ identity


def test_manifest_records_the_configuration_the_run_started_with(tmp_path):
    cfg = sim.compose(LOCKDOWN)
    assert execute(cfg, tmp_path / "r").attempt is Attempt.DONE
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert manifest["config"]["emergency"]["active"] is False  # events switch it on day 30
    assert manifest["config"]["need"]["emergency_multiplier"] == 1.0
    assert manifest["config"] == io.config_dict(cfg)
    kinds = [e["kind"] for e in json.loads((tmp_path / "r" / "events.json").read_text())]
    assert "emergency" in kinds  # what the events did is in events.json


def test_only_result_keys_decide_whether_two_runs_are_the_same():
    cfg = sim.compose(LOCKDOWN)
    other = sim.compose([*LOCKDOWN, "run.plots=true", "run.overwrite=true",
                         "run.allow_late_events=true", "run.allow_large=true"])
    assert io.same_results(io.config_dict(cfg), other)
    assert not io.same_results(io.config_dict(cfg), sim.compose([*LOCKDOWN, "run.seed=3"]))
    old = io.config_dict(cfg)
    old["run"].pop("allow_large")  # a result-neutral key missing: still the same run
    old["run"]["burn_in_cache"] = "/somewhere"  # a result-neutral folder: ignored
    assert io.same_results(old, cfg)
    old["need"].pop("p_hidden")  # a manifest from before a result key existed: different
    assert not io.same_results(old, cfg)
    assert {"run.plots", "run.overwrite", "run.burn_in_cache"} <= set(io.NON_RESULT_KEYS)


def test_resume_after_a_failed_replicate_keeps_every_complete_run(tmp_path, monkeypatch):
    """The issue's second case: one replicate fails; resuming must not mark the others failed
    nor drop them from the tables, whether the failure persists or is fixed."""
    from sim import runner

    real_run = runner.run

    def flaky(config, **kw):
        if config.run.replicate == 2:
            raise RuntimeError("injected crash")
        return real_run(config, **kw)

    root = tmp_path / "sweep"
    jobs = {r: [*LOCKDOWN, f"run.replicate={r}"] for r in range(4)}

    def sweep() -> list[Attempt]:
        return [execute(sim.compose(o), root / f"run.replicate={r}", overrides=o).attempt
                for r, o in jobs.items()]

    monkeypatch.setattr(runner, "run", flaky)
    assert sweep() == [Attempt.DONE, Attempt.DONE, Attempt.FAILED, Attempt.DONE]
    assert collect(root)["summary"] == 3
    manifests = {r: (root / f"run.replicate={r}" / "manifest.json").read_bytes()
                 for r in (0, 1, 3)}
    # resume, the failure persisting: complete runs skipped and kept, the table unchanged
    assert sweep() == [Attempt.SKIPPED, Attempt.SKIPPED, Attempt.FAILED, Attempt.SKIPPED]
    for r, data in manifests.items():
        assert (root / f"run.replicate={r}" / "manifest.json").read_bytes() == data
        assert run_state(root / f"run.replicate={r}") is RunState.COMPLETE
    info = collect(root)
    assert (info["summary"], info["failures"]) == (3, 1)
    # resume, the failure fixed: all four
    monkeypatch.setattr(runner, "run", real_run)
    assert sweep() == [Attempt.SKIPPED, Attempt.SKIPPED, Attempt.DONE, Attempt.SKIPPED]
    info = collect(root)
    assert (info["summary"], info["failures"]) == (4, 0)
    summary = pd.read_parquet(root / "tables" / "summary.parquet")
    assert sorted(summary["replicate"]) == [0, 1, 2, 3]


def test_a_failed_attempt_never_marks_a_complete_run_failed(tmp_path):
    out = tmp_path / "r"
    assert execute(sim.compose(LOCKDOWN), out).attempt is Attempt.DONE
    # the same folder, a job whose configuration is refused while composing (e.g. a value a
    # newer version rejects): recorded in status.json, the complete run stays
    bad = execute(None, out, error=sim.params.ConfigError("need.p_hidden", "boom"))
    assert bad.attempt is Attempt.FAILED
    assert run_state(out) is RunState.COMPLETE and not (out / "error.json").exists()
    assert "need.p_hidden" in json.loads((out / "status.json").read_text())["error"]
    from sim.experiments.report import format_report, sweep_status

    report = format_report(sweep_status(tmp_path))
    assert "1 complete, 0 failed" in report and "r: ConfigError: need.p_hidden" in report


@pytest.mark.slow
def test_cli_sweep_run_twice_skips_every_run(tmp_path):
    """The issue's first case, from the command line."""
    args = ["-m", "topology=rural", "run.days=20", "scenario=baseline,passporting",
            "run.replicate=range(2)", "run.plots=false", f"hydra.sweep.dir={tmp_path / 'S'}"]
    first = run_cli(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    # again, with a flag that does not change results: same folders, every run skipped
    second = run_cli(*args, "run.allow_late_events=true", cwd=tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    text = second.stdout + second.stderr
    assert "RunConflict" not in text and "different configuration" not in text
    assert report_counts(second.stdout)["skipped"] == 4
    assert len([p for p in (tmp_path / "S").iterdir() if (p / "manifest.json").is_file()]) == 4
    assert len(pd.read_parquet(tmp_path / "S" / "tables" / "summary.parquet")) == 4
    assert len(pd.read_parquet(tmp_path / "S" / "tables" / "failures.parquet")) == 0


# ------------------------------------------------------------------ single runs, leftovers


@pytest.mark.slow
def test_cli_rerun_of_a_scenario_with_events_and_whole_replacement(tmp_path):
    out = tmp_path / "lockdown"
    base = ["topology=rural", "run.days=150", f"hydra.run.dir={out}"]
    first = run_cli(*base, "scenario=lockdown", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert (out / "events.json").is_file() and list(out.glob("*.png"))
    (out / "my_notes.txt").write_text("mine")  # a user's file: never ours to remove
    (out / ".partial-killed").mkdir()  # staging left by a killed run
    (out / ".partial-killed" / "timeseries.parquet").write_text("half")
    again = run_cli(*base, "scenario=lockdown", cwd=tmp_path)  # identical: accepted
    assert again.returncode == 0, again.stderr
    assert not (out / ".partial-killed").exists()
    plots_off = run_cli(*base, "scenario=lockdown", "run.plots=false", cwd=tmp_path)
    assert plots_off.returncode == 0, plots_off.stderr  # only run.plots changed: accepted
    assert not list(out.glob("*.png"))  # ... and the result is the new one, whole
    refused = run_cli(*base, "scenario=baseline", cwd=tmp_path)
    assert refused.returncode == 2 and "run.overwrite" in refused.stderr
    replaced = run_cli(*base, "scenario=baseline", "run.overwrite=true", cwd=tmp_path)
    assert replaced.returncode == 0, replaced.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario"] == "baseline"
    assert not (out / "events.json").exists()  # the replaced run's events went with it
    on_disk = {p.name for p in out.iterdir() if not p.name.startswith(".")}
    assert on_disk - {"sim.log"} == {*manifest["files"], "manifest.json", "my_notes.txt"}


def test_overwrite_removes_only_files_the_old_manifest_lists(tmp_path):
    out = tmp_path / "r"
    result = sim.run(sim.compose(LOCKDOWN))
    io.write_run(result, out, plots=False, config=sim.compose(LOCKDOWN))
    assert (out / "events.json").is_file()
    (out / "extra.png").write_text("user's")
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["files"] += ["stale.png", "../outside.txt", "/etc/passwd"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    (out / "stale.png").write_text("old plot")
    (tmp_path / "outside.txt").write_text("not in the run folder")
    base = sim.compose(["topology=rural", "run.days=5", "run.plots=false"])
    io.write_run(sim.run(base), out, plots=False, config=base)
    assert not (out / "events.json").exists() and not (out / "stale.png").exists()
    assert (out / "extra.png").exists() and (tmp_path / "outside.txt").exists()


# ------------------------------------------------------------------ file modes


def test_atomic_write_gives_the_umask_mode_and_leaves_nothing_on_error(tmp_path, umask_022):
    p = io.atomic_write(tmp_path / "a.json", "{}\n")
    assert p.read_text() == "{}\n" and mode(p) == 0o644
    assert mode(io.atomic_write(tmp_path / "b.bin", b"\0")) == 0o644
    assert mode(io.atomic_write(tmp_path / "c.csv", lambda t: t.write_text("x"))) == 0o644

    def fail(tmp):
        tmp.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        io.atomic_write(tmp_path / "a.json", fail)
    assert (tmp_path / "a.json").read_text() == "{}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.bin", "c.csv"]


def test_the_mode_follows_the_umask_read_at_import(tmp_path):
    code = ("import os, stat, sys; from sim import io; "
            "p = io.atomic_write(sys.argv[1], 'x'); print(oct(stat.S_IMODE(os.stat(p).st_mode)))")
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "f")], cwd=REPO,
                          capture_output=True, text=True, preexec_fn=lambda: os.umask(0o027))
    assert proc.stdout.strip() == "0o640", proc.stderr


def test_sweep_records_tables_and_effects_are_readable_by_others(tmp_path, umask_022):
    from sim.experiments.compare import compare

    root = tmp_path / "sweep"
    for scen in ("baseline", "passporting"):
        for r in range(2):
            o = ["topology=rural", "run.days=10", "run.plots=false", f"scenario={scen}",
                 f"run.replicate={r}"]
            assert execute(sim.compose(o), root / f"{scen}-{r}", overrides=o).attempt \
                is Attempt.DONE
    collect(root)
    compare(root, plots=False)
    files = [*root.glob("*/status.json"), *root.glob("*/manifest.json"),
             *(root / "tables").iterdir(), *(root / "comparison").glob("effects.*")]
    assert {"collect.json", "summary.parquet", "effects.csv", "effects.parquet"} <= {
        f.name for f in files}
    assert {f.name: oct(mode(f)) for f in files if mode(f) != 0o644} == {}
