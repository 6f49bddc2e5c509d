"""Charts of the key outcomes for every branch, over result tables.

The dashboard draws them in the browser with ECharts (:func:`echarts_panels`: the page sends
the data, the browser draws; ECharts is served by the local Solara server, no CDN);
:func:`draw_outcomes` draws the same panels with matplotlib for notebooks and reports.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

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
BRANCH_LINES = (  # (its name in captions, ECharts lineStyle.type, matplotlib linestyle)
    ("solid", "solid", "-"),
    ("dashed", "dashed", "--"),
    ("dotted", "dotted", ":"),
    ("dash-dot", [8, 3, 2, 3], "-."),
    ("long dash", [16, 5], (0, (10, 3))),
    ("dash-dot-dot", [8, 3, 2, 3, 2, 3], (0, (6, 2, 1.5, 2, 1.5, 2))),
)
"""One line style per branch, in the order the branches were made: six tell six branches
apart on the page (ECharts) and in the report (matplotlib); a seventh branch repeats the first
style (its name in the legend tells them apart)."""


def branch_line(index: int) -> tuple:
    """The line style (name, ECharts type, matplotlib linestyle) of the ``index``-th branch."""
    return BRANCH_LINES[index % len(BRANCH_LINES)]


def branch_styles(branches) -> str:
    """'A solid, B dashed, ...': each branch with its line style, for a chart's caption."""
    return ", ".join(f"{name} {branch_line(k)[0]}" for k, name in enumerate(branches))
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


def branch_event_marks(timelines: dict[str, list[dict]]) -> list[dict]:
    """:func:`event_marks` over several branches' timelines (:meth:`Exercise.timeline`): an
    event that not every branch has names its branches, ``funding_cut (B, C)``."""
    seen: dict[tuple, list[str]] = {}
    for branch, timeline in timelines.items():
        for e in timeline:
            seen.setdefault((int(e["day"]), e["kind"], e["status"]), []).append(branch)
    return event_marks([{"day": day, "status": status,
                         "kind": kind if len(branches) == len(timelines)
                         else f"{kind} ({', '.join(branches)})"}
                        for (day, kind, status), branches in seen.items()])


LABEL_PT = 7.5  # the report's event labels (points)
LABEL_LINES = 4  # at most this many lines of labels above each panel


def _label_lines(marks: list[dict]) -> int:
    return min(LABEL_LINES, sum(len(m["lines"]) for m in marks))


def place_event_labels(ax, marks: list[dict], renderer, lines: int, key: str) -> None:
    """The event labels of ``marks`` (:func:`event_marks`) in a strip of ``lines`` lines above
    ``ax``, as the page's charts lay them out (:file:`echarts.vue`, ``layoutEvents``): each as
    near over its day as the panel's edges allow, in the first line where it covers no other
    label, else shortened to ``day N`` (the report's timeline lists every event), tied to its
    day by a dotted line where that crosses no other label. The labels are texts with gid
    ``event-label-{key}-K`` (read by the tests)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.lines import Line2D

    fig = ax.figure
    font = FontProperties(size=LABEL_PT)
    lh = LABEL_PT * 1.25 * fig.dpi / 72  # pixels a line
    box = ax.get_window_extent(renderer)
    strip_top = box.y1 + (lines + 0.4) * lh  # display pixels, y up; 0.4 line's gap below
    lo, hi = ax.get_xlim()
    placed = []

    def width(texts):
        return max(renderer.get_text_width_height_descent(t, font, ismath=False)[0]
                   for t in texts) + 2

    def hits(a, b):  # boxes (left, first line, right, line after the last): lines counted down
        return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]

    for m in marks:
        if not lo <= m["day"] <= hi:
            continue
        x = ax.transData.transform((m["day"], 0))[0]
        for texts in (m["lines"], [m["lines"][0].split(":")[0]]):
            w = width(texts)
            left = min(max(x - w / 2, box.x0), box.x1 - w)
            spot = None
            for row in range(lines - len(texts) + 1):
                rect = (left - 3, row, left + w + 3, row + len(texts))
                if not any(hits(rect, p["rect"]) for p in placed):
                    spot = {"rect": rect, "x": x, "left": left, "texts": texts,
                            "planned": m["planned"]}
                    break
            if spot:
                placed.append(spot)
                break
    to_fig = fig.transFigure.inverted()
    for k, p in enumerate(placed):
        colour = "#888888" if p["planned"] else "#333333"
        fx, fy = to_fig.transform((p["left"], strip_top - p["rect"][1] * lh))
        fig.text(fx, fy, "\n".join(p["texts"]), fontsize=LABEL_PT, color=colour, ha="left",
                 va="top", linespacing=1.25, gid=f"event-label-{key}-{k}")
        tie = (p["x"] - 1, p["rect"][3], p["x"] + 1, lines + 1)
        if not any(hits(tie, q["rect"]) for q in placed if q is not p):
            bottom = strip_top - p["rect"][3] * lh
            (x0, y0), (x1, y1) = to_fig.transform([(p["x"], bottom), (p["x"], box.y1)])
            fig.add_artist(Line2D([x0, x1], [y0, y1], color=colour, lw=0.7, ls=(0, (1, 2))))


def draw_outcomes(tables: dict[str, pd.DataFrame], marks: list[dict] | None = None,
                  figsize: tuple[float, float] = (11.0, 6.4)) -> Figure:
    """Six panels of key outcomes, one line style per branch; the days of ``marks``
    (:func:`event_marks` or :func:`branch_event_marks`) as thin lines, labelled above each
    panel as on the page's charts (:func:`place_event_labels`)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if isinstance(marks, dict):
        raise TypeError("draw_outcomes: marks is a list of event marks (event_marks or "
                        "branch_event_marks of the timelines), not {branch: [days]}")
    marks = list(marks or [])
    lines = _label_lines(marks)
    fig = Figure(figsize=(figsize[0], figsize[1] + (2 * lines * LABEL_PT * 1.25 / 72)),
                 dpi=100)
    canvas = FigureCanvasAgg(fig)  # measures the labels
    axes = fig.subplots(2, 3)
    tables = {k: with_derived(v) for k, v in tables.items()}
    last = max((int(t["day"].max()) for t in tables.values() if not t.empty), default=1)
    for ax, (title, keys) in zip(axes.flat, PANELS, strict=True):
        unit = panel_unit(keys)
        drawn = {}  # colour -> measure
        for s_idx, (col, label) in enumerate(panel_series(keys)):
            colour = f"C{s_idx}"
            for b_idx, (branch, ts) in enumerate(tables.items()):
                if ts.empty or col not in ts:
                    continue
                drawn[colour] = label
                ax.plot(ts["day"], ts[col], ls=branch_line(b_idx)[2], color=colour,
                        lw=1.3, label=f"{label} ({branch})" if len(tables) > 1 else label)
        for m in marks:
            if m["day"] <= last:
                ax.axvline(m["day"], color="#999999" if m["planned"] else "#555555", ls="--",
                           lw=0.7)
        ax.set_xlim(0, max(last, 1))
        ax.set_title(title, fontsize=10, pad=4 + (lines + 0.6) * LABEL_PT * 1.25)
        ax.set_ylabel(unit, fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
        if drawn:  # one entry a measure (its colour); the caption names the branches' styles
            ax.legend([Line2D([], [], color=c, lw=1.3) for c in drawn], list(drawn.values()),
                      fontsize=8, frameon=False)
    for ax in axes[1]:
        ax.set_xlabel("day", fontsize=8)
    if len(tables) > 1:
        fig.suptitle(f"Branches: {branch_styles(tables)}; dashed vertical lines mark events, "
                     "labelled above each panel", fontsize=9)
    elif marks:
        fig.suptitle("Dashed vertical lines mark events, labelled above each panel",
                     fontsize=9)
    fig.tight_layout()
    if lines:
        renderer = canvas.get_renderer()
        for k, ax in enumerate(axes.flat):
            place_event_labels(ax, marks, renderer, lines, str(k))
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
FONT = 14


def _points(days: pd.Series, values: pd.Series) -> list:
    """[[day, value], ...] with missing values as null (JSON has no NaN)."""
    # Python floats and math.isfinite: np.isfinite on one number at a time was most of the
    # cost of drawing the charts each day (the same points)
    values = pd.to_numeric(values, errors="coerce").astype(float).tolist()
    return [[int(d), round(v, 3) if math.isfinite(v) else None]
            for d, v in zip(days.tolist(), values, strict=True)]


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
                              "dash": branch_line(b_idx)[1]})
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
                      "dash": branch_line(b_idx)[1],
                      "points": _points(frame["day"], frame["reserves_gbp"] / 1000)})
        lines.append({"name": "core funding a year" + suffix, "colour": COLOURS[2],
                      "dash": branch_line(b_idx)[1],
                      "points": _points(frame["day"], frame["core_funding_gbp_per_year"] / 1000)})
    return line_chart("VCSE groups' money", "GBP thousands", lines, day, marks, shade, font)


VOLATILE = ("data", "showSymbol", "markLine", "markArea")
"""What of a series may change from one day to the next without a whole new option: its
points (only added to), whether points are marked, the event lines and emergency shading."""


def _frame(option: dict) -> dict:
    """An option less what changes from day to day (:data:`VOLATILE`, the x axis's end and
    the event strip): two options with the same frame draw the same chart at other days."""
    out = {k: v for k, v in option.items() if k not in ("series", "xAxis", "eventStrip")}
    out["xAxis"] = {k: v for k, v in option.get("xAxis", {}).items() if k != "max"}
    out["series"] = [{k: v for k, v in s.items() if k not in VOLATILE}
                     for s in option.get("series", ())]
    return out


def chart_update(old: dict | None, new: dict) -> dict | None:
    """What turns the chart drawn from option ``old`` into ``new``, when ``new`` only adds
    points to ``old``'s series (the new day, or days): ``{append: [points added to each
    series], xmax, series: {index: changed parts (showSymbol, markLine, markArea)},
    eventStrip (if changed)}``; its size depends on the days added and the events, not on
    the days already drawn. None when ``new`` needs the whole option: another chart (other
    series, type size or titles: a fork, another branch's lines, presentation mode) or
    points that changed (a new exercise)."""
    if old is None or len(old["series"]) != len(new["series"]) or _frame(old) != _frame(new):
        return None
    append, changed = [], {}
    for k, (a, b) in enumerate(zip(old["series"], new["series"], strict=True)):
        n = len(a["data"])
        if len(b["data"]) < n or b["data"][:n] != a["data"]:
            return None
        append.append(b["data"][n:])
        parts = {key: b.get(key) for key in VOLATILE[1:] if a.get(key) != b.get(key)}
        if parts:
            changed[str(k)] = parts
    out = {"append": append, "xmax": new["xAxis"]["max"], "series": changed}
    if old.get("eventStrip") != new.get("eventStrip"):
        out["eventStrip"] = new.get("eventStrip")
    return out


def apply_update(option: dict, update: dict) -> dict:
    """``option`` with ``update`` (:func:`chart_update`) applied, as the page's chart widget
    (:file:`echarts.vue`, ``applyUpdate``) applies it; a changed part that is None is removed."""
    out = {**option, "xAxis": {**option["xAxis"], "max": update["xmax"]}, "series": []}
    for k, (s, points) in enumerate(zip(option["series"], update["append"], strict=True)):
        s = {**s, "data": s["data"] + points}
        for key, value in update["series"].get(str(k), {}).items():
            if value is None:
                s.pop(key, None)
            else:
                s[key] = value
        out["series"].append(s)
    if "eventStrip" in update:
        if update["eventStrip"] is None:
            out.pop("eventStrip", None)
        else:
            out["eventStrip"] = update["eventStrip"]
    return out


def _json(value) -> str:
    return json.dumps(value, allow_nan=False, separators=(",", ":"))


class ChartFigure:
    """An option handed to the chart widget: compared by identity, so the page's renderer
    (reacton) neither compares nor walks its thousands of points at a redraw."""

    __slots__ = ("option",)

    def __init__(self, option: dict):
        self.option = option


def Chart(option: dict, day: int, height: str = "330px"):
    """An ECharts figure (Solara's widget with this folder's :file:`echarts.vue`, which marks
    the day drawn as ``data-drawn-day``). The widget sends the browser the whole option once
    and then, each day, only what changed (:func:`chart_update`): the new day's points."""
    return _widget().element(figure=ChartFigure(option),
                             attributes={"style": f"height: {height};", "data-day": str(day)},
                             responsive=True, on_mouseover_enabled=False,
                             on_mouseout_enabled=False)


_WIDGET = []


def _widget():
    if not _WIDGET:
        import traitlets
        from solara.components.echarts import EchartsWidget

        class DashboardEcharts(EchartsWidget):
            """Keeps the option it last sent; a new ``figure`` goes to the browser as an
            ``update`` (:func:`chart_update`) when it only adds points, else as the whole
            ``option``. Both carry a sequence number (``_seq``, ``seq``): the page applies
            updates in order and asks for the whole option again (``resync``) if it missed
            one."""

            template_file = (__file__, "echarts.vue")
            figure = traitlets.Any(None, allow_none=True)  # a ChartFigure; not sent as such
            update = traitlets.Unicode("").tag(sync=True)

            def __init__(self, **kwargs):
                import threading

                self._sent, self._seq = None, 0
                # a render (play thread) and a resync (the page's message) must not interleave:
                # a resync must send the option that goes with its sequence number
                self._lock = threading.RLock()
                super().__init__(**kwargs)

            @traitlets.observe("figure")
            def _figure_changed(self, change):
                with self._lock:
                    self._render_figure(change["new"])

            def _render_figure(self, figure):
                if figure is None:
                    return
                new = figure.option
                delta = chart_update(self._sent, new)
                if delta is not None and not any(delta["append"]) and not delta["series"] \
                        and "eventStrip" not in delta and delta["xmax"] == self._sent[
                            "xAxis"]["max"]:
                    return  # nothing new to draw
                self._seq += 1
                if delta is None:
                    self.option = _json({"_seq": self._seq, **new})
                else:
                    self.update = _json({"seq": self._seq, **delta})
                self._sent = new

            def vue_resync(self, _data=None):
                with self._lock:
                    if self._sent is not None:
                        self.option = _json({"_seq": self._seq, **self._sent})

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
