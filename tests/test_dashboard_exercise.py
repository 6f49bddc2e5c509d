"""The war-game exercise logic behind the dashboard: injects, log exports, replay, forks."""

from __future__ import annotations

import io
import subprocess
import sys

import pandas as pd
import pytest
import yaml

import sim
from sim.dashboard import exercise as exercise_module
from sim.dashboard.__main__ import build_command, parse_args
from sim.dashboard.charts import summary_table
from sim.dashboard.exercise import Exercise, parse_value
from sim.dashboard.exports import CSV_COLUMNS
from sim.dashboard.network_view import choose_sample, draw_network, resident_status
from sim.params import ConfigError

SMALL = ("rural", "baseline", 7)


def played(days: int = 10) -> Exercise:
    ex = Exercise(*SMALL)
    assert ex.error == ""
    ex.run_to(days)
    return ex


def assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True),
                                  check_dtype=False)


def test_inject_takes_effect_next_day_and_replays_in_process():
    ex = played(10)
    entry = ex.inject("funding_cut", {"share": "0.6", "target": "groups"})
    assert entry == {"day": 11, "kind": "funding_cut", "params": {"share": 0.6,
                                                                  "target": "groups"}}
    model = ex.branches["A"].model
    assert all(g.funding_cut == 0 for g in model.groups)  # not yet applied
    ex.step()
    assert model.event_log[-1]["day"] == 11
    assert any(g.funding_cut == 0.6 for g in model.groups)
    ex.inject("emergency", {"need_multiplier": "3", "shielding": True})
    ex.run_to(30)
    replay = sim.run(ex.replay_config("A"))
    assert replay.event_log == model.event_log
    assert_same(replay.timeseries, model.timeseries())


def test_bad_inject_is_reported_and_changes_nothing():
    ex = played(5)
    control = played(5)
    with pytest.raises(ConfigError, match=r"share: must be <= 1.0 \(got 1.5\)"):
        ex.inject("funding_cut", {"share": "1.5"})
    with pytest.raises(ConfigError, match="unknown event kind 'meteor'"):
        ex.inject("meteor", {})
    with pytest.raises(ConfigError, match="need.no_such_thing"):  # only fails when applied
        ex.inject("set_parameter", {"key": "need.no_such_thing", "value": "1"})
    with pytest.raises(ConfigError, match="no branch 'B'"):
        ex.inject("emergency", {}, branch="B")
    assert ex.log == [] and ex.branches["A"].injects == []
    ex.run_to(15)
    control.run_to(15)
    assert_same(ex.branches["A"].timeseries(), control.branches["A"].timeseries())


def test_fork_equals_original_until_its_day_and_diverges_only_after_an_inject():
    ex = played(10)
    ex.checkpoint()
    ex.run_to(20)  # A moves on; the checkpoint must not
    twin = ex.fork("B")
    assert twin.day == 10
    ex.run_to(40)
    a, b = ex.branches["A"].timeseries(), ex.branches["B"].timeseries()
    assert_same(a, b)  # same state and random streams: no inject, no difference

    ex.fork("B")  # start B again from the day-10 checkpoint, now with an inject
    ex.inject("emergency", {"need_multiplier": "4"}, branch="B")
    ex.run_to(40)
    b = ex.branches["B"].timeseries()
    assert_same(a[a.day <= 10], b[b.day <= 10])
    after_a, after_b = a[a.day > 10].reset_index(drop=True), b[b.day > 10].reset_index(drop=True)
    assert (after_b["new_need_onsets"].sum() > after_a["new_need_onsets"].sum())
    assert ex.branches["B"].forked_from == "A@10"
    table = summary_table({"A": a, "B": b})
    assert list(table.columns) == ["outcome", "unit", "A", "B", "B - A"]


def test_log_exports_csv_markdown_and_scenario_yaml(tmp_path):
    ex = played(10)
    ex.inject("surge_campaign", {"multiplier": "50", "days": "3"})
    ex.note("Room: the volunteer centre cannot process this many | applications")
    ex.checkpoint()
    ex.fork("B")
    ex.inject("nhs_volunteers_stand_down", {}, branch="B")
    ex.run_to(20)

    table = pd.read_csv(io.StringIO(ex.log_csv()))
    assert list(table.columns) == list(CSV_COLUMNS)
    log = table[table.section == "log"].reset_index(drop=True)
    assert list(log.entry) == ["inject", "note", "checkpoint", "fork", "inject"]
    assert log.loc[0, "kind"] == "surge_campaign" and log.loc[0, "day"] == 11
    assert '"multiplier": 50.0' in log.loc[0, "params"]
    assert any("cannot process this many | applications" in t for t in log.text)

    md = ex.log_markdown()
    assert md.startswith("# Exercise log")
    assert "| branch" in md and "nhs_volunteers_stand_down" in md
    assert "this many \\| applications" in md  # a pipe in a note does not break the table

    text = ex.scenario_yaml("B", "drill")
    assert "@package" not in text and "python -m sim replay drill.yaml" in text
    doc = yaml.safe_load(text)
    assert list(doc) == ["scenario", "topology", "overrides", "events"]
    assert doc["scenario"]["name"] == "drill" and doc["topology"] == "rural"
    assert doc["overrides"] == {"run.seed": 7, "run.days": 20}
    assert [(name, e["kind"]) for name, e in doc["events"].items()] == [
        ("inject_1", "surge_campaign"), ("inject_2", "nhs_volunteers_stand_down")]

    path = ex.save_scenario(tmp_path, "B", "drill")
    assert path == tmp_path / "drill.yaml"
    with pytest.raises(ConfigError, match="exists"):
        ex.save_scenario(tmp_path, "B", "drill")
    assert path.read_text() == text
    with pytest.raises(ConfigError, match="step at least one day"):
        Exercise(*SMALL).scenario_yaml("A")


def test_exported_scenario_replays_from_the_command_line(tmp_path):
    ex = Exercise("rural", "surge_recruitment", 7)  # the scenario's own event on day 30
    assert ex.error == ""
    ex.run_to(8)
    ex.inject("emergency", {"need_multiplier": "2.5", "distancing": True, "shielding": True})
    ex.checkpoint()
    ex.fork("B")
    ex.inject("funding_cut", {"share": "0.8"}, branch="B")
    ex.run_to(45)
    path = ex.save_scenario(tmp_path / "exercises", "B", "drill_b")
    out = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "replay", str(path), f"hydra.run.dir={out}",
         "run.plots=false"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    replay = pd.read_parquet(out / "timeseries.parquet")
    assert len(replay) == 45
    assert_same(replay, ex.branches["B"].timeseries())
    assert not replay.equals(ex.branches["A"].timeseries())
    kinds = [e["kind"] for e in ex.branches["B"].model.event_log]
    assert kinds[:3] == ["emergency", "funding_cut", "surge_campaign"]


def test_bad_choices_leave_an_error_not_an_exception():
    ex = Exercise("rural", "no_such_scenario", 7)
    assert "scenario" in ex.error and not ex.branches
    ex.step()  # nothing to step, no crash
    assert Exercise("moon", "baseline", 1).error.startswith("topology: must be one of")
    assert "run.seed" in Exercise("rural", "baseline", -3).error
    assert "run.seed" in Exercise("rural", "baseline", "abc").error
    with pytest.raises(ConfigError, match="run to day"):
        played(1).run_to(-1)
    with pytest.raises(ConfigError, match="note: is empty"):
        played(1).note("  ")


def test_seed_and_size_from_form_text():
    ex = Exercise("urban", "baseline", "11", n_residents="600")
    assert ex.error == ""
    model = ex.branches["A"].model
    assert model.cfg.run.seed == 11 and model.pop.n == 600


def test_scenarios_are_discovered_from_the_config_folder(tmp_path, monkeypatch):
    assert "baseline" in exercise_module.scenario_names()
    (tmp_path / "scenario").mkdir()
    for name in ("zeta", "alpha"):
        (tmp_path / "scenario" / f"{name}.yaml").write_text("# @package _global_\n")
    monkeypatch.setattr(exercise_module, "config_dir", lambda: tmp_path)
    assert exercise_module.scenario_names() == ["alpha", "zeta"]


def test_form_values_are_parsed_as_yaml_scalars():
    assert parse_value("0.5") == 0.5 and parse_value("7") == 7
    assert parse_value("true") is True and parse_value("groups") == "groups"
    assert parse_value("  ") is None and parse_value(False) is False


def test_network_view_draws_a_fixed_sample_coloured_by_state():
    ex = played(30)
    model = ex.branches["A"].model
    s1, s2 = choose_sample(model, max_residents=120), choose_sample(model, max_residents=120)
    assert 0 < s1.residents.size <= 120 and (s1.residents == s2.residents).all()
    assert s1.pos.shape == (s1.residents.size, 2)
    status = resident_status(model, s1.residents)
    need = model.pop.need[s1.residents]
    assert sum(s != "no need" for s in status) == int((need > 0).sum())
    fig = draw_network(model, s1)
    title = fig.axes[0].get_title()
    assert f"Sample: {s1.residents.size} of {model.pop.n:,} residents" in title


def test_dashboard_command_binds_to_localhost_by_default():
    args = parse_args([])
    cmd = build_command(args)
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--port") + 1] == "8765"
    assert "--no-check-version" in cmd and "--production" in cmd
    assert build_command(parse_args(["--port", "9001"]))[cmd.index("--port") + 1] == "9001"
    with pytest.raises(SystemExit):
        parse_args(["--port", "70000"])
