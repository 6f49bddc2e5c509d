"""Charts of the key outcomes for every branch, over result tables.

The dashboard draws them in the browser with ECharts (:func:`echarts_panels`: the page sends
the data, the browser draws; ECharts is served by the local Solara server, no CDN);
:func:`draw_outcomes` draws the same panels with matplotlib for notebooks and reports.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim import glossary

PANELS = (  # title, glossary keys (sim.glossary): one colour per figure
    ("Unmet need", ("unmet_need", "waiting")),
    ("Days to first support", ("days_to_first_support",)),
    ("Volunteers", ("volunteers_registered", "volunteers_active", "volunteers_idle")),
    ("Referrals since day 1", ("referrals_to_link_workers", "onward_accepted",
                               "onward_declined", "onward_stale", "handbacks_bounced")),
    ("Groups", ("groups_open", "groups_listed")),
    ("Wellbeing (mean ONS4)", ("life_satisfaction", "anxiety")),
)
BRANCH_STYLE = {"A": "-", "B": "--"}
SUMMARY_ROWS = ("unmet_need", "unmet_need_days", "days_to_first_support", "waiting",
                "volunteers_registered", "volunteers_active", "volunteers_idle",
                "referrals_to_link_workers", "onward_accepted", "onward_declined",
                "onward_stale", "handbacks_bounced", "groups_open", "groups_suspended",
                "groups_closed_funding", "funding_spent")
"""The side-by-side table's rows (glossary keys), after the day."""


def panel_series(keys: tuple[str, ...]) -> list[tuple[str, str]]:
    """(column drawn, label) of each figure of a panel."""
    return [(glossary.term(k).chart_column, glossary.label(k)) for k in keys]


def panel_unit(keys: tuple[str, ...]) -> str:
    """A panel's y-axis unit: its figures' one unit (``(running total)`` for totals)."""
    terms = [glossary.term(k) for k in keys]
    units = {t.unit for t in terms}
    if len(units) != 1:
        raise ValueError(f"panel mixes units {sorted(units)}")
    unit = units.pop()
    return unit + (" (running total)" if all(t.reading == "total" for t in terms) else "")


NEEDED = tuple(dict.fromkeys(
    ["day", "new_first_support", "sum_days_to_first_support", "new_funding_spent",
     "n_pathway_waiting",
     "n_groups_suspended", "new_groups_closed_funding", "n_vol_registered", "n_vol_active",
     "n_vol_idle", "n_unmet_need", "n_groups_open"]
    + [glossary.term(k).column for k in SUMMARY_ROWS]
    + [glossary.term(k).chart_column for _, keys in PANELS for k in keys
       if glossary.term(k).chart_column != "mean_days_to_support_cum"]))


def _round(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 1)


def shown_columns(ts: pd.DataFrame) -> pd.DataFrame:
    """Only the columns the panels and the summary use (a copy of a few columns is cheap;
    the live table has hundreds). A running total the model gives no ``cum_`` column for
    (referrals to link workers) is added from its daily flow, as :func:`light_table` does."""
    out = ts[[c for c in NEEDED if c in ts.columns]]
    extra = {c: ts["new_" + c.removeprefix("cum_")].cumsum() for c in NEEDED
             if c.startswith("cum_") and c not in ts.columns
             and "new_" + c.removeprefix("cum_") in ts.columns}
    return out.assign(**extra)[[c for c in NEEDED if c in out.columns or c in extra]]


def light_table(rows: list[dict]) -> pd.DataFrame:
    """The columns the page shows (:data:`NEEDED`), straight from a model's daily rows: the
    same numbers as ``shown_columns(model.timeseries())`` (the ``cum_`` columns are the
    running sums of their ``new_`` flows, as :func:`sim.metrics.finalise` makes them) at a
    small part of the cost, which matters when the page redraws every day."""
    cols = {}
    for c in NEEDED:
        source = "new_" + c.removeprefix("cum_") if c.startswith("cum_") else c
        values = np.array([r[source] for r in rows], dtype=float if rows else np.int64)
        cols[c] = np.cumsum(values) if c.startswith("cum_") else values
    return pd.DataFrame(cols)


def with_derived(ts: pd.DataFrame) -> pd.DataFrame:
    """Add the cumulative mean time from need onset to first support."""
    ts = ts.copy()
    if ts.empty:
        return ts
    for col in NEEDED:  # running totals of flows the model gives no cum_ column
        flow = "new_" + col.removeprefix("cum_")
        if col.startswith("cum_") and col not in ts and flow in ts:
            ts[col] = ts[flow].cumsum()
    firsts = ts["new_first_support"].cumsum()
    ts["mean_days_to_support_cum"] = np.where(
        firsts > 0, ts["sum_days_to_first_support"].cumsum() / firsts.where(firsts > 0, 1),
        np.nan)
    return ts


def draw_outcomes(tables: dict[str, pd.DataFrame], marks: dict[str, list[int]] | None = None,
                  figsize: tuple[float, float] = (11.0, 6.4)) -> Figure:
    """Six panels of key outcomes; one line style per branch, dotted lines at inject days."""
    fig = Figure(figsize=figsize, dpi=100)
    axes = fig.subplots(2, 3)
    tables = {k: with_derived(v) for k, v in tables.items()}
    for ax, (title, keys) in zip(axes.flat, PANELS, strict=True):
        unit = panel_unit(keys)
        for s_idx, (col, label) in enumerate(panel_series(keys)):
            colour = f"C{s_idx}"
            for branch, ts in tables.items():
                if ts.empty or col not in ts:
                    continue
                ax.plot(ts["day"], ts[col], BRANCH_STYLE.get(branch, ":"), color=colour,
                        lw=1.3, label=f"{label} ({branch})" if len(tables) > 1 else label)
        for branch, days in (marks or {}).items():
            for d in sorted(set(days)):
                ax.axvline(d, color="#555555", ls=":" if branch == "A" else "-.", lw=0.8)
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(unit, fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=8, frameon=False)
    for ax in axes[1]:
        ax.set_xlabel("day", fontsize=8)
    if len(tables) > 1:
        fig.suptitle("Branch A solid, branch B dashed; vertical lines mark injects",
                     fontsize=9)
    elif marks and any(marks.values()):
        fig.suptitle("Vertical dotted lines mark injects", fontsize=9)
    fig.tight_layout()
    return fig


def summary_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Key numbers per branch side by side, in the glossary's words and units (and X - A for
    each branch X on A's day): the day, then :data:`SUMMARY_ROWS`."""
    data = {}
    for branch, ts in tables.items():
        ts = shown_columns(ts)
        data[branch] = [int(ts["day"].iloc[-1]) if not ts.empty else None,
                        *[glossary.value(ts, k) for k in SUMMARY_ROWS]]
    labels = ["day", *[glossary.label(k) for k in SUMMARY_ROWS]]
    units = ["day number", *[glossary.term(k).unit for k in SUMMARY_ROWS]]
    out = pd.DataFrame(data, index=labels, dtype=object)
    out.insert(0, "unit", units)
    for other in [b for b in tables if b != "A"] if "A" in out.columns else []:
        if out.loc["day", "A"] == out.loc["day", other]:
            out[f"{other} - A"] = pd.Series(
                [None if a is None or b is None else round(b - a, 1)
                 for a, b in zip(out["A"], out[other], strict=True)],
                index=out.index, dtype=object)
    out.index.name = "outcome"
    return out.reset_index()


# ---------------------------------------------------------------------------- ECharts (browser)
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
DASHES = ("solid", "dashed", "dotted")
FONT = 14


def _points(days: pd.Series, values: pd.Series) -> list:
    """[[day, value], ...] with missing values as null (JSON has no NaN)."""
    out = []
    for d, v in zip(days.tolist(), values.tolist(), strict=True):
        out.append([int(d), None if v is None or not np.isfinite(v) else round(float(v), 3)])
    return out


def emergency_periods(timeline: list[dict], day: int) -> list[tuple[int, int]]:
    """(start, end) days of emergencies in a branch's delivered events (end: today if open)."""
    out, start = [], None
    for e in timeline:
        if e["status"] != "delivered":
            continue
        if e["kind"] == "emergency" and start is None:
            start = e["day"]
        elif e["kind"] == "emergency_end" and start is not None:
            out.append((start, e["day"]))
            start = None
    if start is not None:
        out.append((start, max(day, start)))
    return out


def event_marks(timeline: list[dict]) -> list[dict]:
    """One mark a day for a branch's events (:meth:`Exercise.timeline`): ``{day, lines,
    planned}``, the day's events one a line in one label that starts with the day (events
    on the same day never get labels that overlap), ``planned`` when they have not happened
    yet (a branch's events on one day are all delivered or all planned)."""
    days: dict[int, list[dict]] = {}
    for e in timeline:
        days.setdefault(int(e["day"]), []).append(e)
    out = []
    for day, evs in sorted(days.items()):
        planned = all(e["status"] == "planned" for e in evs)
        lines = list(dict.fromkeys(e["kind"] for e in evs))
        lines[0] = f"day {day}: {lines[0]}"
        if planned:
            lines[-1] += " (planned)"
        out.append({"day": day, "lines": lines, "planned": planned})
    return out


def event_strip(marks: list[dict], day: int, font: int) -> dict:
    """The event labels of a chart, laid out by the page (:file:`echarts.vue`) in a strip
    between the title and the plot: each day's label as near over its day as the chart's
    edges allow, in the first free line (a label never covers another), tied to its day by a
    dotted line where that crosses no other label; the plot starts below the strip, so no
    label covers a line of data. The strip takes as many lines as leave the plot
    ``min_plot_px`` high; a label with no room shrinks to ``day N`` (the timeline lists every
    event); ``top`` is where the strip starts (below the title), ``gap`` the space above the
    plot (the y axis's top label)."""
    return {"marks": [m for m in marks if 0 <= m["day"] <= max(day, 1)],
            "fontSize": font - 2, "top": font + 20, "gap": 14,
            "min_plot_px": 100 + 6 * (font - FONT), "colour": "#333", "planned_colour": "#888"}


def line_chart(title: str, unit: str, lines: list[dict], day: int,
               marks: list[dict] = (), shade: list[tuple[int, int]] = (),
               font: int = FONT) -> dict:
    """An ECharts option: ``lines`` [{name, points, colour, dash}], thin vertical lines at
    the days of the ``marks`` (:func:`event_marks`) with their labels in a strip above the
    plot (``eventStrip``, :func:`event_strip`; the page's chart widget draws it, ECharts never
    sees it) and shaded ``shade`` periods (emergencies); ``font`` the type size in pixels
    (larger in presentation mode)."""
    series = []
    for k, line in enumerate(lines):
        s = {"name": line["name"], "type": "line",
             "showSymbol": len(line["points"]) < 3, "data": line["points"],
             "lineStyle": {"type": line.get("dash", "solid"), "width": 2},
             "itemStyle": {"color": line["colour"]}, "emphasis": {"disabled": True}}
        if k == 0 and marks:  # no label here: in the strip, where it covers no data
            s["markLine"] = {"symbol": "none", "silent": True, "animation": False,
                             "label": {"show": False}, "data": [
                {"xAxis": m["day"],
                 "lineStyle": {"color": "#999" if m.get("planned") else "#444",
                               "type": "dashed", "width": 1}} for m in marks]}
        if k == 0 and shade:  # named in the strip (the emergency event) and the caption
            s["markArea"] = {"silent": True, "itemStyle": {"color": "rgba(214,39,40,0.08)"},
                             "label": {"show": False},
                             "data": [[{"xAxis": a, "name": "emergency"}, {"xAxis": b}]
                                      for a, b in shade]}
        series.append(s)
    big = font - FONT  # presentation mode: room for larger labels
    option = {
        "animation": False,
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": font + 2}},
        "tooltip": {"trigger": "axis", "textStyle": {"fontSize": font}},
        "legend": {"type": "scroll", "bottom": 0, "textStyle": {"fontSize": font - 1}},
        "grid": {"top": 40 + 2 * big, "left": 70 + 3 * big, "right": 24, "bottom": 78 + 4 * big},
        "xAxis": {"type": "value", "name": "day", "nameLocation": "middle", "nameGap": 26 + big,
                  "min": 0, "max": max(day, 1), "minInterval": 1,
                  "nameTextStyle": {"fontSize": font}, "axisLabel": {"fontSize": font - 1}},
        "yAxis": {"type": "value", "name": unit, "nameLocation": "middle", "nameGap": 52 + 3 * big,
                  "nameTextStyle": {"fontSize": font}, "axisLabel": {"fontSize": font - 1},
                  "scale": False},
        "series": series,
    }
    if marks:
        option["eventStrip"] = event_strip(list(marks), day, font)
    return option


def echarts_panels(tables: dict[str, pd.DataFrame], marks: list[dict], shade: list[tuple],
                   day: int, font: int = FONT) -> list[tuple[str, dict]]:
    """The six outcome panels as ECharts options (one colour per measure, one dash per
    branch), inject and scenario events as labelled lines, emergencies shaded."""
    tables = {k: with_derived(shown_columns(v)) for k, v in tables.items()}
    out = []
    for title, keys in PANELS:
        unit = panel_unit(keys)
        lines = []
        for s_idx, (col, label) in enumerate(panel_series(keys)):
            for b_idx, (branch, ts) in enumerate(tables.items()):
                if ts.empty or col not in ts:
                    continue
                lines.append({"name": f"{label} ({branch})" if len(tables) > 1 else label,
                              "points": _points(ts["day"], ts[col]),
                              "colour": COLOURS[s_idx % len(COLOURS)],
                              "dash": DASHES[b_idx % len(DASHES)]})
        out.append((title, line_chart(title, unit, lines, day, marks, shade, font)))
    return out


def finance_chart(finance: dict[str, list[dict]], day: int, marks: list[dict],
                  shade: list[tuple], font: int = FONT) -> dict:
    """Reserves held by open groups and their core funding a year (GBP), per branch."""
    lines = []
    for b_idx, (branch, rows) in enumerate(finance.items()):
        frame = pd.DataFrame(rows, columns=["day", "reserves_gbp", "core_funding_gbp_per_year"])
        suffix = f" ({branch})" if len(finance) > 1 else ""
        lines.append({"name": "reserves" + suffix, "colour": COLOURS[0],
                      "dash": DASHES[b_idx % len(DASHES)],
                      "points": _points(frame["day"], frame["reserves_gbp"] / 1000)})
        lines.append({"name": "core funding a year" + suffix, "colour": COLOURS[2],
                      "dash": DASHES[b_idx % len(DASHES)],
                      "points": _points(frame["day"], frame["core_funding_gbp_per_year"] / 1000)})
    return line_chart("VCSE groups' money", "GBP thousands", lines, day, marks, shade, font)


def Chart(option: dict, day: int, height: str = "330px"):
    """An ECharts figure (Solara's widget with this folder's :file:`echarts.vue`, which marks
    the day drawn as ``data-drawn-day``). The option goes as JSON text: the page's renderer
    (reacton) then compares and walks one string, not thousands of nested points, at every
    redraw of the page."""
    text = json.dumps(option, allow_nan=False, separators=(",", ":"))
    return _widget().element(option=text, attributes={"style": f"height: {height};",
                                                        "data-day": str(day)},
                             responsive=True, on_mouseover_enabled=False,
                             on_mouseout_enabled=False)


_WIDGET = []


def _widget():
    if not _WIDGET:
        from solara.components.echarts import EchartsWidget

        class DashboardEcharts(EchartsWidget):
            template_file = (__file__, "echarts.vue")

        _WIDGET.append(DashboardEcharts)
    return _WIDGET[0]


SITREP = ("unmet_need", "waiting", "volunteers_active", "volunteers_registered", "groups_open",
          "groups_suspended", "groups_closed_funding", "onward_accepted", "onward_declined")
"""The situation report's figures (glossary keys); the money row follows."""


def situation_report(ts: pd.DataFrame, finance: list[dict]) -> pd.DataFrame:
    """What changed since yesterday: each figure (in the glossary's words) yesterday, today
    and the change; a total since day 1 changes by the day's count. Empty before day 2."""
    if len(ts) < 2:
        return pd.DataFrame(columns=["measure", "yesterday", "today", "change"])
    rows = []
    for key in SITREP:
        t = glossary.term(key)
        if t.column not in ts:
            continue
        today, before = glossary.value(ts, key), glossary.value(ts.iloc[:-1], key)
        rows.append({"measure": t.label + (" (since day 1)" if t.reading == "total" else ""),
                     "yesterday": before, "today": today, "change": today - before})
    if len(finance) >= 2:
        a, b = finance[-2]["reserves_gbp"], finance[-1]["reserves_gbp"]
        rows.append({"measure": glossary.term("reserves").heading, "yesterday": round(a),
                     "today": round(b), "change": round(b - a)})
    out = pd.DataFrame(rows)
    out["change"] = [f"{c:+,}" if c else "0" for c in out["change"]]
    return out
