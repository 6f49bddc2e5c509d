"""What an exercise exports, built once and shared by the log files and the after-action report.

- :func:`outcome_frame`: every branch's headline figures side by side in the glossary's words
  and units (:mod:`sim.glossary`), with ``X - A`` for each branch X on A's day;
- :func:`money_frame`: each branch's reserves, core funding, money spent and closures;
- :func:`timeline_frame`: a branch's events, the scenario's own and each inject, planned or
  delivered, with the clock time an inject was made or a scenario event happened, and the whole
  description;
- :func:`notes_frame`: the facilitator's notes.

:func:`log_csv` writes them all as one tidy table (a ``section`` column tells outcome, money,
event and log rows apart; one spreadsheet filter shows each); :func:`log_markdown` writes them
as a readable document. The after-action report (:mod:`sim.dashboard.report`) shows the same
frames, so a number is the same in every export and on the screen.
"""

from __future__ import annotations

import json
import time

import pandas as pd

from sim import glossary
from sim.dashboard.charts import summary_table
from sim.dashboard.exercise import LOG_COLUMNS, Exercise, describe

CSV_COLUMNS = ("section", "branch", "day", "time", "entry", "kind", "status", "params", "text",
               "outcome", "unit", "value", "minus_A")
"""The tidy CSV's columns: ``section`` is outcome, money, event or log; the log rows keep the
log's own columns (:data:`sim.dashboard.exercise.LOG_COLUMNS`), figures fill outcome, unit,
value and ``minus_A`` (the branch's figure less branch A's, on the same day)."""


def tables(ex: Exercise) -> dict[str, pd.DataFrame]:
    """Each branch's daily table of the figures shown (the numbers of the full timeseries)."""
    return {k: b.shown_table() for k, b in ex.branches.items()}


def outcome_frame(ex: Exercise) -> pd.DataFrame:
    """The headline figures side by side (:func:`sim.dashboard.charts.summary_table`)."""
    with ex.lock:
        return summary_table(tables(ex))


def money_frame(ex: Exercise) -> pd.DataFrame:
    """Per branch on its day: reserves, core funding, money spent since day 1, groups open and
    closed for want of money (headers in the glossary's words, with units)."""
    rows = []
    with ex.lock:
        for k, b in ex.branches.items():
            if not b.finance:
                continue
            ts, last = b.shown_table(), b.finance[-1]
            rows.append({
                "branch": k, "day": last["day"],
                glossary.term("reserves").heading: round(last["reserves_gbp"]),
                glossary.term("core_funding").heading: round(last["core_funding_gbp_per_year"]),
                glossary.term("funding_spent").heading:
                    round(glossary.value(ts, "funding_spent")),
                glossary.term("groups_open").heading: last["groups_open"],
                glossary.term("groups_closed_funding").heading:
                    glossary.value(ts, "groups_closed_funding")})
    return pd.DataFrame(rows)


def timeline_frame(ex: Exercise, branch: str) -> pd.DataFrame:
    """The branch's events in day order: the scenario's own and each inject, planned or
    delivered, the clock time an inject was made (an inject a fork carried over was made on
    the branch it came from) or a scenario event happened, and the whole description (an
    MSEL row's own, else the event kind's)."""
    made: dict[tuple, list[dict]] = {}
    happened: dict[tuple, list[str]] = {}
    for e in ex.log:
        if e["entry"] in ("inject", "msel"):
            made.setdefault((e["branch"], e["day"], e["kind"]), []).append(e)
            made.setdefault(("*", e["day"], e["kind"]), []).append(e)
        elif e["entry"] == "scenario":
            happened.setdefault((e["day"], e["kind"]), []).append(e["time"])
    rows = []
    for e in ex.timeline(branch):
        clock, text = "", describe(e["kind"])
        if e["source"] == "inject":
            found = made.get((branch, e["day"], e["kind"])) or made.get(("*", e["day"],
                                                                        e["kind"])) or []
            if found:
                entry = found.pop(0)
                clock = entry["time"]
                if entry["entry"] == "msel" and entry["text"]:
                    text = entry["text"]
        elif e["status"] == "delivered":
            clock = (happened.get((e["day"], e["kind"])) or [""])[0]
        rows.append({"day": e["day"], "event": e["kind"], "from": e["source"],
                     "status": e["status"], "clock": clock,
                     "parameters": ", ".join(f"{k}={v}" for k, v in e["params"].items()),
                     "description": text})
    return pd.DataFrame(rows, columns=["day", "event", "from", "status", "clock", "parameters",
                                       "description"])


def notes_frame(ex: Exercise) -> pd.DataFrame:
    return pd.DataFrame([{"clock": e["time"], "branch": e["branch"], "day": e["day"],
                          "note": e["text"]} for e in ex.log if e["entry"] == "note"],
                        columns=["clock", "branch", "day", "note"])


def heading(ex: Exercise) -> list[tuple[str, str]]:
    """(what, value) lines that open an export: scenario, configuration, residents, clock."""
    cfg = ex.base_config
    n = next(iter(ex.branches.values())).model.pop.n if ex.branches else 0
    out = [("scenario", cfg.scenario.name if cfg is not None else str(ex.settings["scenario"]))]
    if cfg is not None and getattr(cfg.scenario, "description", ""):
        out.append(("scenario description", " ".join(str(cfg.scenario.description).split())))
    out += [("configuration", " ".join(ex.overrides)), ("residents", f"{n:,}"),
            ("branches", ", ".join(f"{k} (day {b.day}"
                                   f"{', forked from ' + b.forked_from if b.forked_from else ''})"
                                   for k, b in ex.branches.items())),
            ("exported", time.strftime("%Y-%m-%d %H:%M:%S"))]
    return out


def _figures(frame: pd.DataFrame, section: str) -> list[dict]:
    """Long rows (branch, outcome, unit, value, minus_A) from a side-by-side table."""
    rows = []
    branches = [c for c in frame.columns if c not in ("outcome", "unit") and " - " not in c]
    day = dict(zip(frame["outcome"], frame.index, strict=True)).get("day")
    for b in branches:
        for _, r in frame.iterrows():
            if r["outcome"] == "day":
                continue
            diff = r.get(f"{b} - A") if f"{b} - A" in frame.columns else None
            rows.append({"section": section, "branch": b,
                         "day": frame.loc[day, b] if day is not None else None,
                         "outcome": r["outcome"], "unit": r["unit"], "value": r[b],
                         "minus_A": diff})
    return rows


def _money_rows(money: pd.DataFrame) -> list[dict]:
    rows = []
    for _, r in money.iterrows():
        for col in money.columns:
            if col in ("branch", "day"):
                continue
            label, unit = col.rsplit(" (", 1)
            rows.append({"section": "money", "branch": r["branch"], "day": r["day"],
                         "outcome": label, "unit": unit.rstrip(")"), "value": r[col]})
    a = {r["outcome"]: (r["day"], r["value"]) for r in rows if r["branch"] == "A"}
    for r in rows:
        if r["branch"] != "A" and r["outcome"] in a and a[r["outcome"]][0] == r["day"]:
            r["minus_A"] = r["value"] - a[r["outcome"]][1]
    return rows


def log_csv(ex: Exercise) -> str:
    """One tidy CSV: the headline figures of every branch (section ``outcome``, with the
    difference from A), the money (``money``), every branch's events with clock times and whole
    descriptions (``event``), then the log itself (``log``)."""
    with ex.lock:
        rows = _figures(outcome_frame(ex), "outcome") + _money_rows(money_frame(ex))
        for k in ex.branches:
            for _, e in timeline_frame(ex, k).iterrows():
                rows.append({"section": "event", "branch": k, "day": e["day"],
                             "time": e["clock"], "entry": e["from"], "kind": e["event"],
                             "status": e["status"], "params": e["parameters"],
                             "text": e["description"]})
        for e in ex.log:
            rows.append({"section": "log", **{c: e[c] for c in LOG_COLUMNS if c != "params"},
                         "params": json.dumps(e["params"], sort_keys=True) if e["params"]
                         else ""})
    return pd.DataFrame(rows, columns=list(CSV_COLUMNS)).to_csv(index=False)


def _md_cell(x) -> str:
    if x is None or (isinstance(x, float) and x != x):
        return ""
    return " ".join(str(x).split()).replace("|", "\\|")


def markdown_table(frame: pd.DataFrame) -> str:
    """A pipe table; cell text on one line with ``|`` escaped (a note may hold either)."""
    if frame.empty:
        return "(none)\n"
    head = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(_md_cell(c) for c in head) + " |",
             "|" + "|".join("---" for _ in head) + "|"]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(_md_cell(x) for x in row) + " |")
    return "\n".join(lines) + "\n"


def log_markdown(ex: Exercise) -> str:
    """The exercise as a Markdown document: the scenario, the figures side by side, the money,
    each branch's events, the notes and the full log."""
    with ex.lock:
        parts = ["# Exercise log", ""]
        parts += [f"- **{what}**: {_md_cell(value)}" for what, value in heading(ex)]
        parts += ["", "## Outcomes, branches side by side", "",
                  "Words and units as in the glossary (`sim/glossary.py`); `X - A` is branch X "
                  "less branch A on the same day.", "", markdown_table(outcome_frame(ex)),
                  "## Funding and reserves", "", markdown_table(money_frame(ex))]
        for k in ex.branches:
            parts += [f"## Events of branch {k}", "",
                      "Clock: when an inject was made, or a scenario event happened.", "",
                      markdown_table(timeline_frame(ex, k))]
        parts += ["## Facilitator's notes", "", markdown_table(notes_frame(ex)),
                  "## Log", "", markdown_table(ex.log_frame())]
    return "\n".join(parts)
