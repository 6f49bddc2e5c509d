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
import time

import pandas as pd

from sim.dashboard.charts import draw_outcomes, summary_table
from sim.dashboard.exercise import Exercise

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
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    buf = io.StringIO()
    FigureCanvasSVG(fig).print_svg(buf)
    text = buf.getvalue()
    return text[text.index("<svg"):]  # drop the XML prolog and DOCTYPE


def timeline_frame(ex: Exercise, branch: str) -> pd.DataFrame:
    """The branch's events with the clock time each inject was made (from the log)."""
    made = {}
    for e in ex.log:
        if e["entry"] in ("inject", "msel"):
            made.setdefault((e["branch"], e["day"], e["kind"]), []).append(e["time"])
    rows = []
    for e in ex.timeline(branch):
        times = made.get((branch, e["day"], e["kind"]), [])
        rows.append({"day": e["day"], "event": e["kind"], "from": e["source"],
                     "status": e["status"],
                     "made at (clock)": times.pop(0) if e["source"] == "inject" and times
                     else "",
                     "parameters": ", ".join(f"{k}={v}" for k, v in e["params"].items())})
    return pd.DataFrame(rows)


def after_action_html(ex: Exercise) -> str:
    """The report's text (UTF-8 HTML)."""
    with ex.lock:
        tables = {k: b.timeseries() for k, b in ex.branches.items()}
        cfg = ex.base_config
        parts = [f"<h1>After-action report: {html.escape(cfg.scenario.name)}</h1>",
                 f'<p class="small">Configuration: <code>{html.escape(" ".join(ex.overrides))}'
                 f"</code>; {next(iter(ex.branches.values())).model.pop.n:,} residents. "
                 f"Report made {time.strftime('%Y-%m-%d %H:%M:%S')}.</p>"]
        if getattr(cfg.scenario, "description", ""):
            parts.append(f"<p>{html.escape(str(cfg.scenario.description))}</p>")
        parts.append("<h2>Branches side by side</h2>")
        parts.append(_table(summary_table(tables)))
        parts.append('<p class="small">Branches: ' + ", ".join(
            f"{html.escape(k)} (day {b.day}"
            f"{', forked from ' + html.escape(b.forked_from) if b.forked_from else ''})"
            for k, b in ex.branches.items()) + "</p>")
        money = [{"branch": k, "day": b.finance[-1]["day"],
                  "reserves (GBP)": round(b.finance[-1]["reserves_gbp"]),
                  "core funding a year (GBP)": round(b.finance[-1]["core_funding_gbp_per_year"]),
                  "spent so far (GBP)": round(float(tables[k]["new_funding_spent"].sum())),
                  "groups closed for want of money":
                      int(tables[k]["new_groups_closed_funding"].sum())}
                 for k, b in ex.branches.items() if b.finance]
        parts.append("<h2>Funding and reserves</h2>" + _table(pd.DataFrame(money)))
        for k in ex.branches:
            parts.append(f"<h2>Branch {html.escape(k)}: events</h2>")
            parts.append(_table(timeline_frame(ex, k)))
        if any(not t.empty for t in tables.values()):
            marks = {k: [e["day"] for e in b.injects] for k, b in ex.branches.items()}
            parts.append("<h2>Outcomes</h2>")
            parts.append('<div class="chart">' + _svg(draw_outcomes(tables, marks)) + "</div>")
        notes = pd.DataFrame([{"clock": e["time"], "branch": e["branch"], "day": e["day"],
                               "note": e["text"]} for e in ex.log if e["entry"] == "note"])
        parts.append("<h2>Facilitator's notes</h2>" + _table(notes))
        parts.append("<h2>Exercise log</h2>" + _table(ex.log_frame()))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>After-action report</title><style>{CSS}</style></head><body>\n"
            + "\n".join(parts) + "\n</body></html>\n")
