"""The exercise's exports carry the results: the CSV and Markdown logs and the after-action report
share one set of tables (sim.dashboard.exports): every branch's headline figures in the
glossary's words with the difference from branch A, the money, every branch's events (the
scenario's own and the injects) with clock times and whole descriptions, and the notes. The
figures are those of a command-line run of the branch's replay."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from sim import events, glossary, runner
from sim.dashboard.charts import SUMMARY_ROWS
from sim.dashboard.exercise import Exercise, describe
from sim.dashboard.exports import CSV_COLUMNS, outcome_frame, timeline_frame
from sim.dashboard.report import after_action_html


@pytest.fixture(scope="module")
def exercise() -> Exercise:
    ex = Exercise("rural", "lockdown", 7)  # its own events: emergency day 30, call day 31
    ex.run_to(5)
    ex.inject("surge_campaign", {"multiplier": "60"})
    ex.checkpoint("A")
    ex.fork("B")
    ex.inject("funding_cut", {"share": "0.9"}, branch="B")
    ex.note("B: who | picks up\nthe clients?", "B")
    ex.run_to(33)
    return ex


def test_the_csv_log_has_every_branch_figures_and_the_difference_from_a(exercise):
    table = pd.read_csv(io.StringIO(exercise.log_csv()))
    assert list(table.columns) == list(CSV_COLUMNS)
    assert set(table.section) == {"outcome", "money", "event", "log"}
    out = table[table.section == "outcome"].set_index(["branch", "outcome"])
    side = outcome_frame(exercise).set_index("outcome")
    for key in SUMMARY_ROWS:
        label = glossary.label(key)
        for b in ("A", "B"):
            assert out.loc[(b, label), "value"] == pytest.approx(side.loc[label, b])
            assert out.loc[(b, label), "unit"] == glossary.term(key).unit
            assert out.loc[(b, label), "day"] == 33
        assert out.loc[("B", label), "minus_A"] == pytest.approx(side.loc[label, "B - A"])
    # the cut shows: B's groups have less core funding than A's on the same day
    money = table[table.section == "money"].set_index(["branch", "outcome"])
    assert money.loc[("B", "core funding a year"), "minus_A"] < 0
    assert money.loc[("B", "core funding a year"), "unit"] == "GBP per year"


def test_the_exported_figures_are_the_command_line_replay_figures(exercise):
    table = pd.read_csv(io.StringIO(exercise.log_csv()))
    out = table[table.section == "outcome"].set_index(["branch", "outcome"])
    for b in ("A", "B"):
        summary = runner.run(exercise.replay_config(b)).summary
        for key in ("unmet_need_days", "referrals_to_link_workers", "onward_accepted",
                    "volunteers_registered", "funding_spent"):
            t = glossary.term(key)
            assert out.loc[(b, t.label), "value"] == pytest.approx(summary[t.summary],
                                                                   abs=0.01), (b, key)


def test_events_carry_the_scenario_own_clock_times_and_whole_descriptions(exercise):
    table = pd.read_csv(io.StringIO(exercise.log_csv()), keep_default_na=False)
    ev = table[(table.section == "event") & (table.branch == "B")]
    got = [(int(r.day), r.kind, r.entry, r.status) for r in ev.itertuples()]
    assert (30, "emergency", "scenario", "delivered") in got
    assert (31, "surge_campaign", "scenario", "delivered") in got
    assert (150, "emergency_end", "scenario", "planned") in got
    assert (6, "surge_campaign", "inject", "delivered") in got  # carried over by the fork
    assert (6, "funding_cut", "inject", "delivered") in got
    made = {e["kind"]: e["time"] for e in exercise.log if e["entry"] == "inject"}
    row = ev[ev.kind == "funding_cut"].iloc[0]
    assert row.time == made["funding_cut"]
    assert ev[ev.kind == "surge_campaign"].iloc[0].time == made["surge_campaign"]
    assert ev[ev.kind == "emergency_end"].iloc[0].time == ""  # planned: not happened yet
    assert ev[ev.kind == "emergency"].iloc[0].time != ""
    # the whole first paragraph of the event's description, not its first line
    whole = " ".join(events.REGISTRY["emergency"].doc.split("\n\n")[0].split())
    assert ev[ev.kind == "emergency"].iloc[0].text == whole == describe("emergency")
    assert whole.endswith("until the emergency ends (a scenario input, 000:132, 003:308-310).")
    assert len(whole) > len(events.REGISTRY["emergency"].doc.splitlines()[0])


def test_markdown_log_and_report_show_the_same_tables(exercise):
    md = exercise.log_markdown()
    side = outcome_frame(exercise).set_index("outcome")
    label = glossary.label("unmet_need_days")
    row = side.loc[label]
    assert f"| {label} | resident-days | {row['A']} | {row['B']} | {row['B - A']} |" in md
    for heading in ("## Outcomes, branches side by side", "## Funding and reserves",
                    "## Events of branch A", "## Events of branch B", "## Facilitator's notes",
                    "## Log"):
        assert heading in md
    assert "B: who \\| picks up the clients?" in md  # one line, the pipe escaped
    assert "- **scenario**: lockdown" in md
    page = after_action_html(exercise)
    assert f"<td>{label}</td>" in page and f"<td>{row['B - A']}</td>" in page
    events_b = timeline_frame(exercise, "B")
    assert list(events_b.columns) == ["day", "event", "from", "status", "clock", "parameters",
                                      "description"]
    assert all(f"<td>{d}</td>" in page for d in events_b.description)
