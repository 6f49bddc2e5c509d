"""Charts of the key outcomes for every branch, over result tables.

The dashboard draws them in the browser with ECharts (:func:`echarts_panels`: the page sends
the data, the browser draws; ECharts is served by the local Solara server, no CDN);
:func:`draw_outcomes` draws the same panels with matplotlib for notebooks and reports.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

UNITS = ("residents", "days", "volunteers", "referrals (cumulative)", "groups",
         "score (0-10)")  # the y axis of each panel below
PANELS = (  # title, [(column, label)]
    ("Unmet need (residents)", [("n_unmet_need", "unmet need"),
                                ("n_pathway_waiting", "waiting for a link worker")]),
    ("Time to support (days, cumulative mean)", [("mean_days_to_support_cum", "need onset to "
                                                  "first support")]),
    ("Volunteers", [("n_vol_registered", "registered"), ("n_vol_active", "active"),
                    ("n_vol_idle", "idle")]),
    ("Referrals by result (cumulative)", [("cum_referrals_result_accepted", "accepted"),
                                          ("cum_referrals_result_declined", "declined"),
                                          ("cum_referrals_result_stale", "stale entry"),
                                          ("cum_referrals_result_bounced", "bounced to GP")]),
    ("Groups open", [("n_groups_open", "open"), ("n_groups_listed", "on the directory")]),
    ("Wellbeing (mean ONS4, 0-10)", [("mean_wellbeing_life_satisfaction", "life satisfaction"),
                                     ("mean_wellbeing_anxiety", "anxiety")]),
)
BRANCH_STYLE = {"A": "-", "B": "--"}
SUMMARY_ROWS = (  # label, function of the table
    ("day", lambda ts: int(ts["day"].iloc[-1])),
    ("residents in unmet need now", lambda ts: int(ts["n_unmet_need"].iloc[-1])),
    ("unmet need-days so far", lambda ts: int(ts["n_unmet_need"].sum())),
    ("mean days to first support", lambda ts: _round(ts["mean_days_to_support_cum"].iloc[-1])),
    ("volunteers registered", lambda ts: int(ts["n_vol_registered"].iloc[-1])),
    ("volunteers active", lambda ts: int(ts["n_vol_active"].iloc[-1])),
    ("volunteers idle", lambda ts: int(ts["n_vol_idle"].iloc[-1])),
    ("referrals accepted", lambda ts: int(ts["cum_referrals_result_accepted"].iloc[-1])),
    ("referrals declined", lambda ts: int(ts["cum_referrals_result_declined"].iloc[-1])),
    ("referrals to stale entries", lambda ts: int(ts["cum_referrals_result_stale"].iloc[-1])),
    ("referrals bounced", lambda ts: int(ts["cum_referrals_result_bounced"].iloc[-1])),
    ("groups open", lambda ts: int(ts["n_groups_open"].iloc[-1])),
)


NEEDED = tuple(dict.fromkeys(
    ["day", "new_first_support", "sum_days_to_first_support", "new_funding_spent",
     "n_pathway_waiting",
     "n_groups_suspended", "new_groups_closed_funding", "n_vol_registered", "n_vol_active",
     "n_vol_idle", "n_unmet_need", "n_groups_open"]
    + [col for _, series in PANELS for col, _ in series if col != "mean_days_to_support_cum"]
    + [c for c in ("cum_referrals_result_accepted", "cum_referrals_result_declined",
                   "cum_referrals_result_stale", "cum_referrals_result_bounced")]))


def _round(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 1)


def shown_columns(ts: pd.DataFrame) -> pd.DataFrame:
    """Only the columns the panels and the summary use (a copy of a few columns is cheap;
    the live table has hundreds)."""
    return ts[[c for c in NEEDED if c in ts.columns]]


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
    for ax, (title, series), unit in zip(axes.flat, PANELS, UNITS, strict=True):
        for s_idx, (col, label) in enumerate(series):
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
    """Key numbers per branch side by side (and X - A for each branch X on A's day)."""
    data = {}
    for branch, ts in tables.items():
        ts = with_derived(shown_columns(ts))
        data[branch] = [f(ts) if not ts.empty else None for _, f in SUMMARY_ROWS]
    out = pd.DataFrame(data, index=[label for label, _ in SUMMARY_ROWS], dtype=object)
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


def event_label(e: dict) -> str:
    return f"{e['kind']}{' (planned)' if e['status'] == 'planned' else ''}"


def line_chart(title: str, unit: str, lines: list[dict], day: int,
               marks: list[dict] = (), shade: list[tuple[int, int]] = ()) -> dict:
    """An ECharts option: ``lines`` [{name, points, colour, dash}], vertical labelled lines at
    the ``marks`` [{day, label, planned}] and shaded ``shade`` periods (emergencies)."""
    series = []
    for k, line in enumerate(lines):
        s = {"name": line["name"], "type": "line",
             "showSymbol": len(line["points"]) < 3, "data": line["points"],
             "lineStyle": {"type": line.get("dash", "solid"), "width": 2},
             "itemStyle": {"color": line["colour"]}, "emphasis": {"disabled": True}}
        if k == 0 and marks:
            s["markLine"] = {"symbol": "none", "silent": True, "animation": False, "data": [
                {"xAxis": m["day"], "label": {"formatter": m["label"], "fontSize": 12,
                                              "position": "insideEndTop"},
                 "lineStyle": {"color": "#999" if m.get("planned") else "#444",
                               "type": "dashed", "width": 1}} for m in marks]}
        if k == 0 and shade:
            s["markArea"] = {"silent": True, "itemStyle": {"color": "rgba(214,39,40,0.08)"},
                             "label": {"fontSize": 12, "color": "#a33"},
                             "data": [[{"xAxis": a, "name": "emergency"}, {"xAxis": b}]
                                      for a, b in shade]}
        series.append(s)
    return {
        "animation": False,
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": FONT + 2}},
        "tooltip": {"trigger": "axis", "textStyle": {"fontSize": FONT}},
        "legend": {"type": "scroll", "bottom": 0, "textStyle": {"fontSize": FONT - 1}},
        "grid": {"top": 40, "left": 70, "right": 24, "bottom": 78},
        "xAxis": {"type": "value", "name": "day", "nameLocation": "middle", "nameGap": 26,
                  "min": 0, "max": max(day, 1), "minInterval": 1,
                  "nameTextStyle": {"fontSize": FONT}, "axisLabel": {"fontSize": FONT - 1}},
        "yAxis": {"type": "value", "name": unit, "nameLocation": "middle", "nameGap": 52,
                  "nameTextStyle": {"fontSize": FONT}, "axisLabel": {"fontSize": FONT - 1},
                  "scale": False},
        "series": series,
    }


def echarts_panels(tables: dict[str, pd.DataFrame], marks: list[dict], shade: list[tuple],
                   day: int) -> list[tuple[str, dict]]:
    """The six outcome panels as ECharts options (one colour per measure, one dash per
    branch), inject and scenario events as labelled lines, emergencies shaded."""
    tables = {k: with_derived(shown_columns(v)) for k, v in tables.items()}
    out = []
    for (title, series), unit in zip(PANELS, UNITS, strict=True):
        lines = []
        for s_idx, (col, label) in enumerate(series):
            for b_idx, (branch, ts) in enumerate(tables.items()):
                if ts.empty or col not in ts:
                    continue
                lines.append({"name": f"{label} ({branch})" if len(tables) > 1 else label,
                              "points": _points(ts["day"], ts[col]),
                              "colour": COLOURS[s_idx % len(COLOURS)],
                              "dash": DASHES[b_idx % len(DASHES)]})
        out.append((title, line_chart(title, unit, lines, day, marks, shade)))
    return out


def finance_chart(finance: dict[str, list[dict]], day: int, marks: list[dict],
                  shade: list[tuple]) -> dict:
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
    return line_chart("VCSE groups' money", "GBP thousands", lines, day, marks, shade)


def Chart(option: dict, day: int, height: str = "330px"):
    """An ECharts figure (Solara's widget with this folder's :file:`echarts.vue`, which marks
    the day drawn as ``data-drawn-day``)."""
    return _widget().element(option=option, attributes={"style": f"height: {height};",
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


SITREP = (  # label, column of the page table (or of the money rows), how to read it
    ("residents in unmet need", "n_unmet_need", "level"),
    ("waiting for a link worker", "n_pathway_waiting", "level"),
    ("volunteers active", "n_vol_active", "level"),
    ("volunteers registered", "n_vol_registered", "level"),
    ("groups open", "n_groups_open", "level"),
    ("groups suspended", "n_groups_suspended", "level"),
    ("groups closed for want of money", "new_groups_closed_funding", "flow"),
    ("referrals accepted", "cum_referrals_result_accepted", "level"),
    ("referrals declined", "cum_referrals_result_declined", "level"),
)


def situation_report(ts: pd.DataFrame, finance: list[dict]) -> pd.DataFrame:
    """What changed since yesterday: each measure today, yesterday and the change (for a
    flow such as groups closed, today's count). Empty before day 2."""
    if len(ts) < 2:
        return pd.DataFrame(columns=["measure", "yesterday", "today", "change"])
    today, before = ts.iloc[-1], ts.iloc[-2]
    rows = []
    for label, col, how in SITREP:
        if col not in ts:
            continue
        if how == "flow":
            rows.append({"measure": f"{label} (today)", "yesterday": int(before[col]),
                         "today": int(today[col]), "change": int(today[col])})
        else:
            rows.append({"measure": label, "yesterday": int(before[col]),
                         "today": int(today[col]), "change": int(today[col] - before[col])})
    if len(finance) >= 2:
        a, b = finance[-2]["reserves_gbp"], finance[-1]["reserves_gbp"]
        rows.append({"measure": "group reserves (GBP)", "yesterday": round(a),
                     "today": round(b), "change": round(b - a)})
    out = pd.DataFrame(rows)
    out["change"] = [f"{c:+,}" if c else "0" for c in out["change"]]
    return out
