"""The after-action report: one self-contained HTML file (printable to PDF) of an exercise.

It holds the configuration and scenario, every branch's event timeline (the scenario's own
events and each inject, with the clock time it was made and the day it took effect), every
branch's outcome charts (inline SVG, drawn by :func:`sim.dashboard.charts.draw_outcomes`), the
side-by-side table, the funding table, the facilitator's notes and the full log. Nothing in it
is fetched from elsewhere: no scripts, no links to other sites.
"""

from __future__ import annotations

import html
import io

import pandas as pd

from sim.dashboard.charts import branch_event_marks, draw_outcomes
from sim.dashboard.exercise import Exercise
from sim.dashboard.exports import (
    heading,
    money_frame,
    notes_frame,
    outcome_frame,
    timeline_frame,
)

CSS = """
body {font-family: system-ui, sans-serif; margin: 24px; color: #222; max-width: 1200px}
h1 {font-size: 26px} h2 {font-size: 20px; margin-top: 28px; border-bottom: 1px solid #ccc}
table {border-collapse: collapse; margin: 8px 0} td, th {padding: 3px 10px; font-size: 14px;
border-bottom: 1px solid #ddd; text-align: left} .small {color: #555; font-size: 13px}
svg {max-width: 100%; height: auto} @media print {h2 {page-break-before: auto}
.chart {page-break-inside: avoid}}
"""


def _table(frame: pd.DataFrame) -> str:
    if frame.empty:
        return '<p class="small">(none)</p>'
    return frame.to_html(index=False, border=0, na_rep="", escape=True)


def _svg(fig) -> str:
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # text as text: searchable
        FigureCanvasSVG(fig).print_svg(buf)
    text = buf.getvalue()
    return text[text.index("<svg"):]  # drop the XML prolog and DOCTYPE


def after_action_html(ex: Exercise) -> str:
    """The report's text (UTF-8 HTML)."""
    with ex.lock:
        tables = {k: b.timeseries() for k, b in ex.branches.items()}
        cfg = ex.base_config
        parts = [f"<h1>After-action report: {html.escape(cfg.scenario.name)}</h1>",
                 "<table>" + "".join(f"<tr><th>{html.escape(what)}</th>"
                                     f"<td>{html.escape(value)}</td></tr>"
                                     for what, value in heading(ex)) + "</table>"]
        parts.append("<h2>Branches side by side</h2>")
        parts.append('<p class="small">Words and units as in the glossary; X - A is branch X '
                     "less branch A on the same day.</p>")
        parts.append(_table(outcome_frame(ex)))
        parts.append("<h2>Funding and reserves</h2>" + _table(money_frame(ex)))
        for k in ex.branches:
            parts.append(f"<h2>Branch {html.escape(k)}: events</h2>")
            parts.append('<p class="small">Clock: when an inject was made, or a scenario event '
                         "happened.</p>")
            parts.append(_table(timeline_frame(ex, k)))
        if any(not t.empty for t in tables.values()):
            marks = branch_event_marks({k: ex.timeline(k) for k in ex.branches})
            parts.append("<h2>Outcomes</h2>")
            parts.append('<p class="small">Every event (the scenario\'s own and each inject) '
                         "is a dashed line labelled above each panel, a day's events in one "
                         "label as on the dashboard; one that not every branch has names its "
                         "branches; planned ones grey.</p>")
            parts.append('<div class="chart">' + _svg(draw_outcomes(tables, marks)) + "</div>")
        parts.append("<h2>Facilitator's notes</h2>" + _table(notes_frame(ex)))
        parts.append("<h2>Exercise log</h2>" + _table(ex.log_frame()))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>After-action report</title><style>{CSS}</style></head><body>\n"
            + "\n".join(parts) + "\n</body></html>\n")
