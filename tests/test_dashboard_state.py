"""The exercise as saved state: undo, named branches from any checkpoint, the saved file
(rebuilt by replay to the same numbers), strict checks of an opened file, and the server's
live exercise (play in the background, pause within a day, restore after a restart)."""

from __future__ import annotations

import copy
import html
import json
import re
import threading
import time

import numpy as np
import pandas as pd
import pytest
from support import CONFIGS

import sim
from sim import areas
from sim.dashboard import store
from sim.dashboard.charts import (
    ChartFigure,
    apply_update,
    branch_event_marks,
    branch_styles,
    chart_update,
    draw_outcomes,
    echarts_panels,
    emergency_periods,
    event_marks,
    finance_chart,
    shown_columns,
    situation_report,
    summary_table,
)
from sim.dashboard.exercise import MAX_STATE_BYTES, Exercise, check_state, read_state
from sim.dashboard.network_view import (
    locality_frame,
    locality_groups,
    locality_table,
    tiles_html,
)
from sim.dashboard.report import after_action_html
from sim.model import CommunityModel
from sim.params import ConfigError

SMALL = ("rural", "baseline", 7)


def assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True),
                                  check_dtype=False)


def played(days: int = 6, scenario: str = "baseline") -> Exercise:
    ex = Exercise("rural", scenario, 7)
    assert ex.error == ""
    ex.run_to(days)
    return ex


def test_undo_removes_a_pending_inject_and_leaves_the_run_unchanged():
    ex, control = played(), played()
    ex.inject("emergency", {"need_multiplier": "4"})
    ex.inject("surge_campaign", {"multiplier": "80"})
    assert [e["kind"] for e in ex.timeline("A") if e["status"] == "planned"] == [
        "emergency", "surge_campaign"]
    assert ex.undo("A", 0)["kind"] == "emergency"
    with pytest.raises(ConfigError, match="no inject 5"):
        ex.undo("A", 5)
    ex.run_to(12)
    control.inject("surge_campaign", {"multiplier": "80"})
    control.run_to(12)
    assert_same(ex.branches["A"].timeseries(), control.branches["A"].timeseries())
    with pytest.raises(ConfigError, match="only a pending inject can be undone"):
        ex.undo("A", 0)
    assert [e["entry"] for e in ex.log] == ["inject", "inject", "undo"]


def test_named_branches_fork_from_any_checkpoint_and_name_pending_injects():
    ex = played(5)
    ex.checkpoint("A")
    ex.inject("funding_cut", {"share": "0.5"})  # pending at the second checkpoint
    ex.checkpoint("A")
    ex.run_to(9)
    early = ex.fork("early", "A@5")
    late = ex.fork("late")  # the newest checkpoint
    assert (early.day, late.day) == (5, 5)
    assert early.injects == [] and [e["kind"] for e in late.injects] == ["funding_cut"]
    assert "carries pending inject(s) funding_cut (day 6)" in ex.log[-1]["text"]
    ex.checkpoint("late")
    ex.fork("third", "late@5")
    assert list(ex.branches) == ["A", "early", "late", "third"]
    assert [c["id"] for c in ex.checkpoints] == ["A@5", "A@5#2", "late@5"]
    with pytest.raises(ConfigError, match="no checkpoint 'Z@1'"):
        ex.fork("x", "Z@1")
    with pytest.raises(ConfigError, match="a name is 1-24 letters"):
        ex.fork("bad name!")
    ex.run_to(12)
    a, late_ts = ex.branches["A"].timeseries(), ex.branches["late"].timeseries()
    assert_same(a, late_ts)  # same state, same pending inject: the same run
    assert ex.branches["early"].timeseries()["n_groups_open"].iloc[-1] is not None


def test_saved_state_rebuilds_every_branch_to_the_same_numbers(tmp_path):
    ex = played(5, "lockdown")
    ex.inject("surge_campaign", {"multiplier": "60"})
    ex.checkpoint("A")
    ex.fork("B")
    ex.inject("funding_cut", {"share": "0.7"}, branch="B")
    ex.note("who picks up the clients?", "B")
    ex.run_to(33)  # past the scenario's own emergency (day 30)
    text = ex.state_json()
    assert len(text) < 20_000 and "_target_" not in text
    again = Exercise.from_state(read_state(text.encode()))
    assert list(again.branches) == ["A", "B"] and again.log == ex.log
    for name in ("A", "B"):
        assert_same(again.branches[name].timeseries(), ex.branches[name].timeseries())
        assert again.branches[name].finance == ex.branches[name].finance
    assert again.branches["B"].forked_from == "A@5"
    fork = again.fork("C", "A@5")  # a checkpoint not in memory: rebuilt by replay
    fork.advance(28)
    assert_same(fork.timeseries().iloc[:5], ex.branches["A"].timeseries().iloc[:5])
    periods = emergency_periods(again.timeline("A"), again.day)
    assert periods == [(30, 33)]
    scenario = [(e["day"], e["kind"]) for e in ex.log if e["entry"] == "scenario"]
    assert scenario == [(30, "emergency"), (30, "nhs_volunteers_stand_down"),
                        (31, "surge_campaign")]  # logged as they happen (lockdown.yaml)


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.update(format="x"), "format: must be 'community-sim exercise'"),
    (lambda d: d.update(extra=1), "extra: unknown key"),
    (lambda d: d["settings"].update(_target_="os.system"), "'_target_' is not allowed"),
    (lambda d: d["settings"].update(topology="moon"), "settings.topology: must be one of"),
    (lambda d: d["settings"].update(seed=-1), "settings.seed: must be a whole number"),
    (lambda d: d["settings"].update(scenario=["lockdown", "lockdown"]),
     r"settings.scenario\[1\]: lockdown is chosen twice"),
    (lambda d: d["settings"].update(scenario=["lockdown", "/etc/passwd"]),
     r"settings.scenario\[1\]: no scenario '/etc/passwd' in configs/scenario"),
    (lambda d: d["settings"].update(scenario=[]), "settings.scenario: must be a scenario name or"),
    (lambda d: d["settings"].update(scenario={"a": 1}), "settings.scenario: must be str or list"),
    (lambda d: d["settings"].update(overrides=["hydra.run.dir=/tmp"]),
     r"settings.overrides\[0\]: must be KEY=VALUE"),
    (lambda d: d["branches"]["A"].update(day=1.5), "branches.A.day: must be int"),
    (lambda d: d["branches"]["A"]["injects"].append({"day": 3, "kind": "meteor", "params": {}}),
     "unknown event kind 'meteor'"),
    (lambda d: d["branches"]["A"]["injects"].append(
        {"day": 3, "kind": "funding_cut", "params": {"share": 7}}), "share: must be <= 1.0"),
    (lambda d: d["branches"].pop("A"), "branches: must hold branch A"),
    (lambda d: d["log"].append({"x": 1}), r"log\[1\].x: unknown key"),
    (lambda d: d["branches"]["A"].update(injects="${oc.env:HOME}"), "interpolation"),
])
def test_an_opened_exercise_file_is_checked_key_by_key(change, message):
    ex = played(2)
    ex.note("a note")
    doc = json.loads(ex.state_json())
    check_state(copy.deepcopy(doc))
    change(doc)
    with pytest.raises(ConfigError, match=message):
        check_state(doc)


@pytest.mark.parametrize(("choice", "message"), [
    ([], r"scenario: must be a scenario name or a list of 1 to 6"),
    (["lockdown", "nope"], r"scenario\[1\]: no scenario 'nope' in configs/scenario; known: "),
    (["flood", "flood"], r"scenario\[1\]: flood is chosen twice"),
    (["lockdown", 3], r"scenario\[1\]: no scenario 3"),
    ("lockdown,preparedness", "scenario: no scenario 'lockdown,preparedness'"),
])
def test_a_bad_scenario_choice_is_named_and_builds_nothing(choice, message):
    ex = Exercise("rural", choice, 7)
    assert re.match(message, ex.error) and ex.branches == {} and ex.base_config is None


def test_composed_scenarios_play_save_and_replay_like_the_command_line():
    ex = Exercise("rural", ["lockdown", "preparedness"], 7)
    assert ex.error == "" and ex.overrides[1] == "scenario=[lockdown,preparedness]"
    assert ex.base_config.scenario.name == "lockdown+preparedness"
    assert ex.base_config.emergency.prepared  # preparedness.yaml's setting
    assert [e["kind"] for e in ex.scenario_events()][:1] == ["emergency"]  # lockdown.yaml's
    ex.run_to(31)
    doc = json.loads(ex.state_json())
    assert doc["settings"]["scenario"] == ["lockdown", "preparedness"]
    again = Exercise.from_state(doc)
    assert_same(again.branches["A"].timeseries(), ex.branches["A"].timeseries())
    cli = sim.compose(["topology=rural", "scenario=[lockdown,preparedness]", "run.seed=7",
                       "run.days=31", "run.allow_late_events=true"])  # lifted on day 150
    from sim import runner

    assert_same(runner.run(cli).timeseries, ex.branches["A"].timeseries())
    assert runner.run(ex.replay_config("A")).summary["unmet_need_days"] == (
        int(ex.branches["A"].timeseries()["n_unmet_need"].sum()))


def test_an_opened_file_that_is_not_json_or_too_big_gets_a_clear_message():
    with pytest.raises(ConfigError, match="is not valid JSON"):
        read_state(b"format: yaml")
    with pytest.raises(ConfigError, match="NaN is not a number"):
        read_state(b'{"format": NaN}')
    with pytest.raises(ConfigError, match="larger than"):
        read_state(b" " * (MAX_STATE_BYTES + 1))
    with pytest.raises(ConfigError, match="not UTF-8"):
        read_state(b"\xff\xfe{}")


def test_the_page_table_has_the_same_numbers_as_the_full_timeseries():
    ex = played(35, "lockdown")
    b = ex.branches["A"]
    assert_same(b.shown_table(), shown_columns(b.timeseries()))
    assert list(summary_table({"A": b.shown_table()}).A) == list(
        summary_table({"A": b.timeseries()}).A)


def test_charts_are_plain_data_with_units_events_and_emergencies():
    ex = played(4, "lockdown")
    ex.inject("surge_campaign", {})
    tables = {"A": ex.branches["A"].timeseries()}
    timeline = ex.timeline("A")
    marks = event_marks(timeline)
    panels = echarts_panels(tables, marks, [(3, 4)], 4)
    assert len(panels) == 6
    json.dumps(panels, allow_nan=False)  # goes to the browser as JSON
    option = panels[0][1]
    assert option["yAxis"]["name"] == "residents" and option["xAxis"]["name"] == "day"
    # thin lines at the events' days, their labels in the strip above the plot (not on it)
    lines = option["series"][0]["markLine"]
    assert lines["label"] == {"show": False}
    assert [m["xAxis"] for m in lines["data"]] == [m["day"] for m in marks]
    assert marks[0] == {"day": 5, "lines": ["day 5: surge_campaign (planned)"],
                        "planned": True}
    assert option["eventStrip"]["marks"] == []  # days 5, 30...: beyond the axis (0-4)
    assert echarts_panels(tables, marks, [], 5)[0][1]["eventStrip"]["marks"] == marks[:1]
    assert option["series"][0]["markArea"]["data"] == [[{"xAxis": 3, "name": "emergency"},
                                                        {"xAxis": 4}]]
    assert option["series"][0]["markArea"]["label"] == {"show": False}
    money = finance_chart({"A": ex.branches["A"].finance}, 4, [], [])
    assert money["yAxis"]["name"] == "GBP thousands"
    assert len(money["series"][0]["data"]) == 4 and money["series"][0]["data"][0][1] > 0


def test_six_branches_have_six_line_styles_on_the_page_and_in_the_report():
    ex = played(3)
    ex.checkpoint("A")
    for name in "BCDEF":
        ex.fork(name)
    tables = {k: b.timeseries() for k, b in ex.branches.items()}
    names = "solid, B dashed, C dotted, D dash-dot, E long dash, F dash-dot-dot"
    assert branch_styles(tables) == "A " + names

    def styles(series) -> dict:  # branch -> the line styles of its lines
        found: dict = {}
        for s in series:
            branch = s["name"].rsplit("(", 1)[1].rstrip(")")
            found.setdefault(branch, set()).add(json.dumps(s["lineStyle"]["type"]))
        return found

    money = finance_chart({k: b.finance for k, b in ex.branches.items()}, 3, [], [])
    for option in [o for _, o in echarts_panels(tables, [], [], 3)] + [money]:
        found = styles(option["series"])
        assert list(found) == list("ABCDEF") and all(len(v) == 1 for v in found.values())
        assert len(set().union(*found.values())) == 6  # no two branches drawn alike
    fig = draw_outcomes(tables, [])
    assert "Branches: A " + names in fig.texts[0].get_text()
    for ax in fig.axes:
        found: dict = {}
        for line in ax.lines:
            if "(" in line.get_label():
                found.setdefault(line.get_label().rsplit("(", 1)[1].rstrip(")"), set()).add(
                    repr(line._unscaled_dash_pattern))
        assert list(found) == list("ABCDEF") and all(len(v) == 1 for v in found.values())
        assert len(set().union(*found.values())) == 6
    # one legend entry a measure (the caption names the branches' styles): a legend of six
    # branches' lines spilled over the panel below it
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        measures = list(dict.fromkeys(line.get_label().rsplit(" (", 1)[0] for line in ax.lines
                                      if line.get_label().endswith(")")))
        legend = ax.get_legend()
        assert [t.get_text() for t in legend.get_texts()] == measures
        box, inside = legend.get_window_extent(renderer), ax.get_window_extent(renderer)
        assert (box.x0 >= inside.x0 and box.x1 <= inside.x1 and box.y0 >= inside.y0
                and box.y1 <= inside.y1), ax.get_title()


def test_events_on_one_day_share_one_label_that_starts_with_the_day():
    ex = played(31, "lockdown")
    marks = {m["day"]: m for m in event_marks(ex.timeline("A"))}
    # the lockdown scenario: an emergency and the NHS volunteers stood down on day 30
    assert marks[30] == {"day": 30, "lines": ["day 30: emergency", "nhs_volunteers_stand_down"],
                         "planned": False}
    assert marks[31]["lines"] == ["day 31: surge_campaign"] and not marks[31]["planned"]
    assert marks[150]["lines"] == ["day 150: emergency_end", "nhs_volunteers_return (planned)"]
    assert marks[150]["planned"] and len(marks) == 3
    strip = echarts_panels({"A": ex.branches["A"].timeseries()}, list(marks.values()), [],
                           31)[0][1]["eventStrip"]
    assert [m["day"] for m in strip["marks"]] == [30, 31]  # day 150: beyond the axis
    assert strip["fontSize"] == 12 and strip["top"] > 16  # below the title


def wait_idle(live: store.Live, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while (live.busy or live.exercise is None) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not live.busy


def test_a_settled_action_has_announced_its_change(tmp_path):
    """A page that settles on a quick action (the fork's click) draws its result in the same
    redraw: when settle returns, the change has been announced (the version moved on), even
    if announcing it is slow."""

    class SlowBump(store.Live):
        def bump(self, data: bool = True) -> None:
            if threading.current_thread() is self._worker:
                time.sleep(0.2)  # the worker announces slowly
            super().bump(data)

    live = SlowBump(tmp_path)
    before = live.data_version
    assert live.submit("Quick", lambda: "done")
    assert live.settle(2.0)
    assert live.data_version == before + 1 and live.message == ("ok", "done")
    assert not live.busy


def test_settle_counts_only_the_actions_it_saw_finish_within_its_wait(tmp_path):
    """``settled_quickly`` (shown to the browser tests beside the page's renders) counts the
    actions a page's settle saw finish: not one that outlasted the wait."""
    live = store.Live(tmp_path)
    assert live.submit("Quick", lambda: "done")
    assert live.settle(5.0) and live.settled_quickly == 1
    release = threading.Event()
    assert live.submit("Slow", lambda: release.wait(10) and "done")
    assert not live.settle(0.05) and live.settled_quickly == 1  # still running: not counted
    release.set()
    deadline = time.monotonic() + 10
    while live.busy and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not live.busy and live.message == ("ok", "done")
    assert live.settled_quickly == 1


def test_live_exercise_plays_pauses_within_a_day_and_survives_a_restart(tmp_path):
    live = store.Live(tmp_path)
    assert live.new_exercise(topology="rural", scenario_name="baseline", seed=7)
    wait_idle(live)
    assert live.message[0] == "ok" and (tmp_path / "exercise.json").exists()
    live.set_speed(20)
    assert live.play()
    assert not live.submit("Step", live.exercise.step)  # refused while playing
    deadline = time.monotonic() + 60
    while live.exercise.day < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    shown = live.exercise.day
    live.pause()
    assert not live.playing and live.exercise.day - shown <= 1
    stopped = live.exercise.day
    time.sleep(0.3)
    assert live.exercise.day == stopped
    ex = live.exercise
    assert live.submit("Inject", lambda: ex.inject("surge_campaign", {}) and None)
    wait_idle(live)
    saved = json.loads((tmp_path / "exercise.json").read_text())
    assert saved["branches"]["A"]["day"] == stopped
    assert [e["kind"] for e in saved["branches"]["A"]["injects"]] == ["surge_campaign"]

    restarted = store.Live(tmp_path)  # a new server on the same state folder
    restarted.start()
    wait_idle(restarted)
    assert restarted.message == (
        "ok", f"Restored the exercise saved at {tmp_path / 'exercise.json'} (day {stopped})")
    assert_same(restarted.exercise.branches["A"].timeseries(), ex.branches["A"].timeseries())
    assert restarted.exercise.branches["A"].injects == ex.branches["A"].injects



def test_play_waits_for_a_slow_page_to_show_the_day(tmp_path):
    """Play does not simulate the next day until a watching page's browser shows the last
    one (its monitors report the day they show), even when that takes seconds (a county of
    100,000 on a busy machine took over 2 s; paced on the server's renders instead, Pause
    overshot by two days in CI); a page still showing an earlier day does not count;
    only pages that have all stalled meet the bound (``DRAW_WAIT_S``), and nobody watching
    means no wait."""
    live = store.Live(tmp_path)
    live.exercise = played(6)  # play has simulated day 6 (reports of later days are dropped)
    live.playing = True
    live.watching(+1)
    live.day_shown(4)  # a page shows day 4; the model has simulated day 5
    late = threading.Timer(0.5, live.day_shown, args=(4,))  # another page, still on 4
    shown = threading.Timer(3.0, live.day_shown, args=(5,))  # the browser shows 5 after 3 s
    t = time.monotonic()  # (before the timers start: a stall here cannot shorten the wait)
    late.start()
    shown.start()
    live._wait_drawn(5)
    waited = time.monotonic() - t
    shown.join()
    assert 2.9 <= waited < store.DRAW_WAIT_S and live.shown == 5
    live.day_shown(3)  # a lagging page's report does not take the day back
    assert live.shown == 5
    t = time.monotonic()  # a page that never shows day 6: the bound (shortened) lets play on
    live._wait_drawn(6, timeout=0.3)
    # (upper bounds: half the full bound, which a wrong wait would take; far above what a
    # busy machine's stalls add)
    assert 0.25 <= time.monotonic() - t < store.DRAW_WAIT_S / 2
    live.watching(-1)  # nobody watching: no wait at all
    t = time.monotonic()
    live._wait_drawn(7)
    assert time.monotonic() - t < store.DRAW_WAIT_S / 2


def test_a_report_of_a_day_the_exercise_has_not_reached_is_dropped(tmp_path):
    """Only a whole day this exercise has reached counts as shown: a later one (a report
    from an exercise replaced since, or a forged message) would let play run ahead of every
    page until the next Play; text, flags, floats and negative days are no day at all, and
    with no exercise nothing is paced."""
    live = store.Live(tmp_path)
    live.day_shown(3)
    assert live.shown == -1  # no exercise yet
    live.exercise = played(6)
    for message in (7, 40, "5", True, 5.0, None, -2):
        live.day_shown(message)
    assert live.shown == -1
    live.day_shown(6)
    assert live.shown == 6
    live.day_shown(7)  # not reached: the day stays
    assert live.shown == 6


def test_a_page_drawn_while_a_download_held_the_exercise_is_drawn_again(tmp_path,
                                                                         monkeypatch):
    """A page redrawn for a new day while a long action (a download) holds the exercise
    shows the previous snapshot; once the exercise is free, the watcher draws it again
    without waiting for another change (otherwise play, waiting for that page to show the
    day, waits the whole ``DRAW_WAIT_S``). The monitors report the day they show."""
    solara = pytest.importorskip("solara")
    from sim.dashboard import app
    from sim.dashboard.widgets import PatchedHtmlWidget

    live = store.Live(tmp_path)
    live._started = True  # no default exercise built: this one
    live.exercise = ex = played(2)
    live.bump()
    monkeypatch.setattr(store, "LIVE", live)
    days = []

    @solara.component
    def Page():
        live, snap, _ = app.use_live()
        days.append(snap["day"])
        app.Monitors(snap["world"], snap["day"], "A", live.day_shown)

    _, rc = solara.render(Page(), handle_error=False)
    try:
        monitors = rc.find(PatchedHtmlWidget).widget
        assert monitors.report_day and monitors.on_day_shown == live.day_shown
        monitors.vue_shown(2)  # what the page's browser sends once it shows day 2
        assert live.shown == 2
        deadline = time.monotonic() + 10  # the watcher is watching: it reads the version,
        while live.viewers < 1 and time.monotonic() < deadline:  # then counts itself in
            time.sleep(0.02)
        assert live.viewers == 1
        with ex.lock:  # a download holds the exercise while play announces day 3
            ex.step()
            drawn_before = len(days)
            live.bump()
            deadline = time.monotonic() + 5
            while len(days) == drawn_before and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(days) > drawn_before and days[-1] == 2  # with the previous snapshot
            drawn_held = len(days)
            time.sleep(1.2)  # held: no redraw that would show the same again
            assert len(days) == drawn_held
        # The page's function runs before its widgets are updated (in the watcher's
        # thread): wait for both, the day drawn and the monitors' HTML.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not (
                days[-1] == 3 and 'data-day="3"' in rc.find(PatchedHtmlWidget).widget.html):
            time.sleep(0.05)
        assert days[-1] == 3
        assert 'data-day="3"' in rc.find(PatchedHtmlWidget).widget.html
    finally:
        rc.close()


def test_play_does_not_take_a_replaced_exercise_day_for_this_one(tmp_path):
    """A report of day 6 from the exercise shown before a new one (started at day 0) does
    not let play run ahead of the page: play starts from the new exercise's day."""
    live = store.Live(tmp_path)
    live.exercise = played(6)
    live.day_shown(6)
    assert live.shown == 6
    live.exercise = Exercise("rural", "baseline", 3)
    live.watching(+1)
    try:
        assert live.play()
        deadline = time.monotonic() + 10
        while live.exercise.day < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # no page reports: play waits (up to DRAW_WAIT_S) after day 1
        assert live.exercise.day == 1 and live.shown == 0
        live.day_shown(1)
        deadline = time.monotonic() + 10
        while live.exercise.day < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert live.exercise.day >= 2
    finally:
        live.pause()
        live.watching(-1)


def test_a_new_play_speed_or_redraw_interval_is_announced_to_every_page(tmp_path):
    live = store.Live(tmp_path)
    seen = live.version
    live.set_speed(4)
    assert live.speed == 4.0 and live.wait(seen, timeout=0.1) > seen  # pages redraw
    seen = live.version
    live.set_render_every(5)
    assert live.render_every == 5 and live.wait(seen, timeout=0.1) > seen


def test_play_redraws_the_pages_every_n_days_as_set(tmp_path):
    """The render interval: while playing, the pages are told of a new day only every N
    days (the model still runs each day)."""
    live = store.Live(tmp_path)
    assert live.new_exercise(topology="rural", scenario_name="baseline", seed=7)
    wait_idle(live)
    live.set_speed(20)
    live.set_render_every(3)
    told = []
    bump = live.bump
    live.bump = lambda data=True: (told.append(live.exercise.day), bump(data))
    assert live.play()
    deadline = time.monotonic() + 60
    while live.exercise.day < 10 and time.monotonic() < deadline:
        time.sleep(0.01)
    live.pause()
    during = told[1:-1]  # after play's own (day 0), before the last (play ends: saved)
    assert len(during) >= 3 and all(d % 3 == 0 for d in during), told
    assert live.exercise.day >= 10 and live.render_every == 3
    live.set_render_every(0)
    assert live.render_every == 1  # at least every day

def test_a_broken_saved_exercise_is_kept_aside_and_reported(tmp_path):
    (tmp_path / "exercise.json").write_text('{"format": "community-sim exercise", "version": 9}')
    live = store.Live(tmp_path)
    live.start()
    wait_idle(live, 300)
    assert live.message[0] == "error" and "version: must be 1" in live.message[1]
    assert any(p.name.startswith("exercise-unreadable-") for p in tmp_path.iterdir())


def test_after_action_report_is_one_self_contained_file_with_the_numbers_and_notes():
    ex = played(5, "lockdown")
    ex.inject("surge_campaign", {"multiplier": "60"})
    ex.checkpoint("A")
    ex.fork("B")
    ex.inject("funding_cut", {"share": "0.7"}, branch="B")
    ex.note("B: <who> picks up the clients?", "B")
    ex.run_to(32)
    page = after_action_html(ex)
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    assert "<script" not in page  # nothing runs, nothing is fetched (xmlns names are not)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "B: &lt;who&gt; picks up the clients?" in page  # escaped, not markup
    table = summary_table({k: b.timeseries() for k, b in ex.branches.items()})
    row = table[table.outcome == "residents in unmet need"].iloc[0]
    assert f"<td>{row['A']}</td>" in page and f"<td>{row['B']}</td>" in page
    made = [e["time"] for e in ex.log if e["entry"] == "inject" and e["kind"] == "funding_cut"]
    assert made[0] in page and "funding_cut" in page and "emergency" in page



def test_the_report_labels_every_event_above_its_panels_covering_nothing():
    ex = played(5, "lockdown")
    ex.inject("surge_campaign", {"multiplier": "60"})
    ex.checkpoint("A")
    ex.fork("B")
    ex.inject("funding_cut", {"share": "0.7"}, branch="B")
    ex.run_to(32)
    marks = branch_event_marks({k: ex.timeline(k) for k in ex.branches})
    # the page's wording: a day's events in one label that starts with the day; an event
    # that not every branch has names its branches
    assert {"day": 6, "lines": ["day 6: surge_campaign", "funding_cut (B)"],
            "planned": False} in marks
    assert {"day": 30, "lines": ["day 30: emergency", "nhs_volunteers_stand_down"],
            "planned": False} in marks
    with pytest.raises(TypeError, match="list of event marks"):  # the form before labels
        draw_outcomes({k: b.timeseries() for k, b in ex.branches.items()}, {"A": [6, 30]})
    fig = draw_outcomes({k: b.timeseries() for k, b in ex.branches.items()}, marks)
    renderer = fig.canvas.get_renderer()
    labels = [t for t in fig.texts if (t.get_gid() or "").startswith("event-label-")]
    boxes = [t.get_window_extent(renderer) for t in labels]
    blocked = [a.get_window_extent(renderer) for a in fig.axes]
    blocked += [a.title.get_window_extent(renderer) for a in fig.axes]

    def covers(a, b):  # by more than half a pixel (boxes that touch do not)
        return min(a.x1, b.x1) - max(a.x0, b.x0) > 0.5 and min(a.y1, b.y1) - max(a.y0, b.y0) > 0.5

    for k, (label, box) in enumerate(zip(labels, boxes, strict=True)):
        assert not any(covers(box, b) for b in blocked), label.get_text()  # no data covered
        assert not any(covers(box, b) for b in boxes[k + 1:]), label.get_text()
    for k in range(6):  # every panel has every day's label (wide enough here for each)
        texts = [t.get_text() for t in labels if t.get_gid().startswith(f"event-label-{k}-")]
        assert sorted(t.split(":")[0].split("\n")[0] for t in texts) == [
            "day 30", "day 31", "day 6"], texts
    # in the report: the labels as text in the SVG, one label (group) a day
    page = after_action_html(ex)
    groups = re.findall(r'<g id="event-label-0-\d+">(.*?)</g>', page, flags=re.S)
    texts = [[html.unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", g, flags=re.S)]
             for g in groups]
    assert ["day 30: emergency", "nhs_volunteers_stand_down"] in texts, texts
    assert ["day 6: surge_campaign", "funding_cut (B)"] in texts, texts


def test_a_chart_sends_its_whole_option_once_then_only_each_days_points():
    """The page's chart widget (charts.Chart): each day only the new day's points (and event
    lines that changed) go to the browser, a payload that does not grow with the day;
    applied in order they give the whole option. Another chart (a fork: more lines) or
    changed points (a new exercise) send the whole option again."""
    from sim.dashboard.charts import _json, _widget

    ex = Exercise("rural", "lockdown", 7)
    widget, mirror, sizes = None, None, {}
    for day in range(1, 46):
        ex.step()
        if day == 3:
            ex.inject("surge_campaign", {})
        timeline = ex.timeline("A")
        option = echarts_panels({"A": ex.branches["A"].shown_table()}, event_marks(timeline),
                                emergency_periods(timeline, day), day)[0][1]
        if widget is None:
            widget = _widget()(figure=ChartFigure(option))
            mirror = json.loads(widget.option)
            continue
        whole = widget.option
        widget.figure = ChartFigure(option)
        assert widget.option == whole  # not sent again
        update = json.loads(widget.update)
        sizes[day] = len(widget.update)
        assert update.pop("seq") == mirror.pop("_seq") + 1
        mirror = {**apply_update(mirror, update), "_seq": widget._seq}
        assert mirror == json.loads(_json({"_seq": widget._seq, **option})), day
    # bounded: from day 32 (the emergency open since day 30: its shading moves daily) the
    # same size each day, while the whole option keeps growing
    assert max(sizes[d] for d in range(33, 46)) <= sizes[32] + 8
    assert max(sizes.values()) < 1500 < len(_json(option))
    sent = (widget._seq, widget.option, widget.update)
    widget.figure = ChartFigure(option)  # the same chart again (a note added): nothing sent
    assert (widget._seq, widget.option, widget.update) == sent
    # a fork (another branch's lines), presentation mode (larger type) or a new exercise
    # (other points): the whole option, numbered on
    b = ex.fork("B")
    b_tables = {"A": ex.branches["A"].shown_table(), "B": b.shown_table()}
    forked = echarts_panels(b_tables, event_marks(timeline), [], 45)[0][1]
    assert chart_update(option, forked) is None
    assert chart_update(option, echarts_panels({"A": ex.branches["A"].shown_table()},
                                                [], [], 45, font=20)[0][1]) is None
    other = Exercise("rural", "baseline", 8)
    other.run_to(45)
    fresh = echarts_panels({"A": other.branches["A"].shown_table()}, event_marks(timeline),
                           emergency_periods(timeline, 45), 45)[0][1]
    assert chart_update(option, fresh) is None
    widget.figure = ChartFigure(forked)
    assert json.loads(widget.option)["_seq"] == 46 and len(json.loads(widget.option)[
        "series"]) == 4
    # the page missed an update: it asks again and gets the whole option as it is now
    widget.vue_resync()
    assert json.loads(widget.option) == json.loads(_json({"_seq": 46, **forked}))

MSEL_CSV = """day,kind,params,description,audience
8,surge_campaign,"{""multiplier"": 40}",Radio appeal for volunteers,volunteer centre
9,funding_cut,"{""share"": 0.3, ""target"": ""groups""}",Council cuts grants,VCSE groups
"""


def test_an_msel_is_planned_replayed_and_undoable():
    ex, control = played(5), played(5)
    entries = ex.load_msel(MSEL_CSV, "plan.csv")
    assert [(e["day"], e["kind"], e["audience"]) for e in entries] == [
        (8, "surge_campaign", "volunteer centre"), (9, "funding_cut", "VCSE groups")]
    assert [e["status"] for e in ex.timeline("A") if e["source"] == "inject"] == [
        "planned", "planned"]
    assert ex.log[0]["text"] == "Radio appeal for volunteers - to: volunteer centre"
    yaml_plan = ("- {day: 8, kind: surge_campaign, params: {multiplier: 40}}\n"
                 "- {day: 9, kind: funding_cut, params: {share: 0.3, target: groups}}\n")
    control.load_msel(yaml_plan, "plan.yaml")
    ex.run_to(12)
    control.run_to(12)
    assert_same(ex.branches["A"].timeseries(), control.branches["A"].timeseries())
    replay = sim.run(ex.replay_config("A"))  # the planned injects replay like any other
    assert_same(replay.timeseries, ex.branches["A"].timeseries())


@pytest.mark.parametrize(("text", "name", "message"), [
    ("day,kind,who\n8,surge_campaign,x\n", "p.csv", "CSV columns must be day, kind"),
    ("day,kind\n3,surge_campaign\n", "p.csv", r"msel row 1.day: must be a whole number after "
                                              "day 5"),
    ("day,kind,params\n8,surge_campaign,{oops}\n", "p.csv", "msel row 1.params: must be a JSON"),
    ("day,kind,params\n8,funding_cut,\"{\"\"share\"\": 2}\"\n", "p.csv", "share: must be <= 1.0"),
    ("day,kind\n8,meteor\n", "p.csv", "unknown event kind 'meteor'"),
    ("- {day: 8, kind: surge_campaign, _target_: os.system}\n", "p.yaml", "'_target_'"),
    ("- !!python/object:os.system {}\n", "p.yaml", "not plain YAML data"),
    ("- {day: 8, kind: set_parameter, params: {key: need.nope, value: 1}}\n", "p.yaml",
     "need.nope"),  # only shows when applied: the dry run catches it
    ("day,kind\n", "p.txt", "a .csv, .yaml or .yml file is expected"),
])
def test_a_bad_msel_is_refused_with_row_and_field_and_changes_nothing(text, name, message):
    ex = played(5)
    with pytest.raises(ConfigError, match=message):
        ex.load_msel(text, name)
    assert ex.branches["A"].injects == [] and ex.log == []
    assert not ex.branches["A"].model.timeline.by_day.get(8)


def test_locality_tiles_cover_the_whole_population_per_unit():
    ex = Exercise("county", "baseline", 7, n_residents=12000)
    assert ex.error == ""
    ex.run_to(3)
    model = ex.branches["A"].model
    frame = locality_table(model)
    assert len(frame) == len(model.units) > 1 and frame.residents.sum() == model.pop.n
    assert set(frame.kind) == {"parish", "neighbourhood"}
    assert frame.unmet.sum() == int(((model.pop.need > 0) & (model.pop.pathway == 0)).sum())
    row = frame.iloc[0]
    assert row.unmet_per_1000 == round(1000 * row.unmet / row.residents, 1)
    page = tiles_html(frame, "unmet_per_1000")
    assert page.count('class="sim-tile"') == len(frame) and html.escape(row.unit) in page
    # drawn from the area outputs: the same counts as sim.areas, rolled up the same way
    snap = areas.snapshot(model)
    assert frame.in_need.tolist() == snap.n_in_need.tolist()
    assert frame.volunteers_active.tolist() == snap.n_vol_active.tolist()
    # the county's areas come from a place table: PCNs and deciles, one district (no rollup)
    assert locality_groups(snap) == ["areas", "primary care networks", "deprivation deciles",
                                     "deprivation quintiles"]
    by_q = locality_frame(snap, "deprivation quintiles")
    assert by_q.residents.sum() == model.pop.n and by_q.unmet.sum() == frame.unmet.sum()
    assert by_q.unit.str.startswith("IMD quintile").all()
    assert page.count("sim-tile") != tiles_html(by_q, "unmet_per_1000").count("sim-tile")


def test_locality_tiles_of_a_place_roll_up_to_pcns_districts_and_deciles():
    folder = CONFIGS / "places" / "sample"
    model = CommunityModel(sim.compose([
        "topology=places", f"topology.place_file={folder / 'areas.csv'}",
        f"topology.practice_file={folder / 'practices.csv'}", "run.burn_in_days=0",
        "run.days=3"]))
    model.run(3)
    snap = areas.snapshot(model)
    assert locality_groups(snap) == ["areas", "primary care networks", "deprivation deciles",
                                     "deprivation quintiles"]  # one district: no choice
    tiles = locality_frame(snap, "areas")
    assert tiles.unit.tolist() == [f"SMP000{k}" for k in range(1, 7)]
    pcns = locality_frame(snap, "primary care networks")
    assert pcns.unit.tolist() == ["Sampleton North PCN", "Sampleton South PCN"]
    assert pcns.kind.tolist() == ["3 areas", "3 areas"]
    assert pcns.in_need.tolist() == [int(tiles.in_need[:3].sum()), int(tiles.in_need[3:].sum())]
    share = 100 * (pcns.unmet + pcns.waiting) / pcns.in_need
    assert np.allclose(pcns.unsupported_pct, share.round(1))
    deciles = locality_frame(snap, "deprivation deciles")
    assert deciles.unit.tolist() == [f"IMD decile {d}" for d in (1, 3, 6, 8, 9, 10)]


def test_situation_report_says_what_changed_since_yesterday():
    ex = played(1)
    b = ex.branches["A"]
    assert situation_report(b.shown_table(), b.finance).empty  # nothing to compare yet
    ex.inject("funding_cut", {"share": "0.9"})
    ex.run_to(6)
    ts = b.shown_table()
    report = situation_report(ts, b.finance).set_index("measure")
    unmet = report.loc["residents in unmet need"]
    assert (unmet.yesterday, unmet.today) == (ts.n_unmet_need.iloc[-2], ts.n_unmet_need.iloc[-1])
    assert unmet.change == (f"{unmet.today - unmet.yesterday:+,}"
                            if unmet.today != unmet.yesterday else "0")
    money = report.loc["group reserves (GBP)"]
    assert money.today == round(b.finance[-1]["reserves_gbp"])


def test_a_checkpoint_is_frozen_and_a_restore_keeps_those_it_passes():
    """A checkpoint is kept as bytes (a fork is one unpickling of them, never a change to
    them); restoring a saved exercise freezes each checkpoint on the way while replaying its
    branch if the branch still has the checkpoint's injects, so a fork after a restart needs
    no replay; the others are rebuilt by replay when forked. Either way the fork has the same
    numbers as one from the live exercise."""
    ex = played(5, "lockdown")
    ex.inject("surge_campaign", {"multiplier": "60"})  # pending at the checkpoint
    ex.checkpoint("A")
    ex.run_to(8)
    ex.inject("funding_cut", {"share": "0.5"})  # A's injects no longer those of A@5
    ex.run_to(10)
    ex.checkpoint("A")
    assert all(isinstance(c["state"], bytes) for c in ex.checkpoints)
    frozen = ex.checkpoints[0]["state"]
    live = {cp: ex.fork(f"from{cp[2:]}", cp) for cp in ("A@5", "A@10")}
    live["A@5"].advance(6)  # the fork moves on; its checkpoint does not
    assert ex.checkpoints[0]["state"] == frozen and ex.checkpoint_state.day == 10

    again = Exercise.from_state(read_state(ex.state_json().encode()))
    kept = {c["id"]: c["state"] for c in again.checkpoints}
    assert kept["A@5"] is None and isinstance(kept["A@10"], bytes)
    for cp, before in live.items():
        fork = again.fork(f"again{cp[2:]}", cp)
        assert fork.forked_from == cp and fork.day == int(cp[2:])
        fork.advance(before.day + 4 - fork.day)
        before.advance(4)
        assert_same(fork.timeseries(), before.timeseries())
        assert fork.finance == before.finance
