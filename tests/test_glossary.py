"""One glossary (sim.glossary) for the command line, the run summary, the dashboard and the
exports: every headline figure has one label, its unit and meaning from the data dictionary, and
the figure a daily table gives is the run summary's."""

from __future__ import annotations

import fnmatch
import math
from pathlib import Path

import pytest
from support import small_config

from sim import glossary, outputs, runner
from sim.dashboard.charts import (
    PANELS,
    SITREP,
    SUMMARY_ROWS,
    echarts_panels,
    situation_report,
    summary_table,
)

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_every_term_is_named_once_and_read_from_the_data_dictionary():
    keys = [t.key for t in glossary.TERMS]
    labels = [t.label for t in glossary.TERMS]
    assert len(set(keys)) == len(keys) and len(set(labels)) == len(labels)
    for t in glossary.TERMS:
        assert t.reading in glossary.READINGS
        if t.column is None:  # money read from the model by the dashboard
            assert t.own_unit and t.own_meaning
            continue
        col = outputs.get(t.column, "timeseries")
        if t.summary is not None:
            key = outputs.get(t.summary, "summary")
            sources = [x.strip() for x in key.source.split(",")]
            assert any(fnmatch.fnmatch(t.column, x) for x in sources), t
        expected = key if t.summary is not None and t.reading != "level" else col
        assert (t.unit, t.meaning) == (expected.unit, expected.meaning)
    with pytest.raises(KeyError, match="no glossary term 'referrals'"):
        glossary.term("referrals")


def test_referrals_to_link_workers_and_onward_referrals_are_told_apart():
    to_lw = glossary.term("referrals_to_link_workers")
    assert to_lw.summary == "referrals_total" and "link workers" in to_lw.meaning
    onward = [glossary.term(k) for k in ("onward_accepted", "onward_declined", "onward_stale")]
    assert all(t.label.startswith("onward referrals") and "a group" in t.meaning
               for t in onward)
    assert glossary.term("handbacks_bounced").summary == "referral_results_bounced"
    # no screen says plain "referrals accepted" any more (it meant the onward ones)
    assert not [t.label for t in glossary.TERMS if t.label.startswith("referrals accepted")]


@pytest.fixture(scope="module")
def small_run():
    return runner.run(small_config("rural", days=40, seed=7))


def test_a_daily_table_gives_the_run_summary_figures(small_run):
    ts, summary = small_run.timeseries, small_run.summary
    checked = 0
    for t in glossary.TERMS:
        if t.summary is None:
            continue
        mine, theirs = glossary.value(ts, t.key), summary[t.summary]
        if isinstance(theirs, float) and math.isnan(theirs):
            assert mine is None
        else:
            assert mine == pytest.approx(theirs, abs=0.051), t.key
        checked += 1
    assert checked >= 12
    assert glossary.value(ts.iloc[:0], "unmet_need") is None


def test_the_command_line_summary_uses_the_glossary_words(small_run):
    line = glossary.cli_summary(small_run.summary)
    assert line == (f"unmet need-days {small_run.summary['unmet_need_days']}, referrals to link "
                    f"workers {small_run.summary['referrals_total']}")
    assert glossary.cli_summary({"unmet_need_days": float("nan")}).startswith(
        "unmet need-days n/a")


def test_the_dashboard_tables_and_charts_use_the_glossary_labels(small_run):
    ts = small_run.timeseries
    table = summary_table({"A": ts, "B": ts})
    assert list(table.columns) == ["outcome", "unit", "A", "B", "B - A"]
    assert list(table.outcome) == ["day", *[glossary.label(k) for k in SUMMARY_ROWS]]
    row = table.set_index("outcome").loc["referrals to link workers"]
    assert row["A"] == small_run.summary["referrals_total"] and row["B - A"] == 0
    assert row["unit"] == "referrals"
    labels = {t.label for t in glossary.TERMS}
    for (title, keys), (_, option) in zip(PANELS, echarts_panels({"A": ts}, [], [], 40),
                                          strict=True):
        assert option["title"]["text"] == title
        assert [s["name"] for s in option["series"]] == [glossary.label(k) for k in keys]
        assert option["yAxis"]["name"] == glossary.term(keys[0]).unit + (
            " (running total)" if glossary.term(keys[0]).reading == "total" else "")
    sitrep = situation_report(ts, [])
    assert {m.removesuffix(" (since day 1)") for m in sitrep.measure} <= labels
    assert len(sitrep) == len(SITREP)


def test_the_glossary_page_lists_every_headline_term():
    page = (DOCS / "glossary.md").read_text(encoding="utf-8")
    assert glossary.markdown() in page, (
        "docs/glossary.md: paste the output of "
        "`python -c 'from sim import glossary; print(glossary.markdown())'` under "
        "'Headline outcomes'")


def test_a_panel_with_mixed_units_is_refused():
    from sim.dashboard.charts import panel_unit

    with pytest.raises(ValueError, match="mixes units"):
        panel_unit(("unmet_need", "volunteers_active"))
