"""The war-gaming dashboard page (Solara). Start it with ``python -m sim.dashboard``.

One exercise per server (:mod:`sim.dashboard.store`): every tab shows it, it is saved on disk
as it goes and restored after a reload or a restart. Everything that takes time runs in a
background thread with a busy indicator; each page has a watcher thread that redraws it when
the exercise changes. The charts are drawn in the browser by ECharts (served by the local
Solara server: the page works offline) and get each new day's points only; the cards whose
figures change every day (monitors, tables, locality tiles, branch list) are sent whole once
and then as patches of what changed (:class:`~sim.dashboard.widgets.PatchedHtmlWidget`); the
network picture is drawn only on request.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import threading
import time
from collections.abc import Callable

import pandas as pd
import solara
from reacton.core import get_render_context

from sim import areas, glossary
from sim.dashboard import msel, store
from sim.dashboard.charts import (
    Chart,
    branch_styles,
    echarts_panels,
    emergency_periods,
    event_marks,
    finance_chart,
    situation_report,
    summary_table,
)
from sim.dashboard.exercise import (
    MAX_STATE_BYTES,
    TOPOLOGIES,
    Exercise,
    scenario_names,
    scenario_override,
)
from sim.dashboard.exports import timeline_frame
from sim.dashboard.network_view import (
    LOCALITY_MEASURES,
    locality_frame,
    locality_groups,
    tiles_html,
)
from sim.dashboard.report import after_action_html
from sim.dashboard.widgets import FileOpen, PatchedHtml
from sim.events import event_kinds
from sim.params import Config, ConfigError

HELP = (
    "The page shows the state after the day shown has been simulated. <b>Injects take effect "
    "at the start of the next day</b>, as a scenario event on that day would, so the exported "
    "replay file replays the branch to the same numbers: "
    "<code>python -m sim replay FILE.yaml</code>. The exercise is saved on this server as it "
    "goes: a reload, another tab or a restarted server shows it again. "
    '<span class="sim-small">Made with <a href="https://solara.dev">Solara</a> and '
    '<a href="https://echarts.apache.org">Apache ECharts</a>.</span>'
)
TABLE_CSS = ("<style>.sim-table td, .sim-table th {padding: 2px 8px; font-size: 14px; "
             "border-bottom: 1px solid #ddd; text-align: left; overflow-wrap: anywhere; "
             "min-width: 3.5em} .sim-table td.sim-n {white-space: nowrap}"  # see NUMBER_CELL
             ".sim-table {max-width: 100%}"
             ".sim-big {font-size: 34px; font-weight: 600; line-height: 1.1}"
             ".sim-small {font-size: 13px; color: #555}</style>")
CHART_HEIGHT = "330px"
PAGE_CSS = """<style>
/* a long file path or name wraps instead of widening the sidebar over the main column */
nav.v-navigation-drawer .v-card, .sim-small {overflow-wrap: anywhere}
@media print {
  /* every panel on paper: the page's scrolling column and the sidebar become plain flow */
  header.v-app-bar, .v-app-bar, .v-tabs, .sim-noprint {display: none !important}
  .v-application, .v-application--wrap, div:has(> nav.v-navigation-drawer),
  div:has(main.solara-content-main), .v-content__wrap, .v-content__wrap > div {
    height: auto !important; min-height: 0 !important; max-height: none !important;
    overflow: visible !important; display: block !important}
  nav.v-navigation-drawer {position: static !important; transform: none !important;
    width: 100% !important; height: auto !important; max-height: none !important;
    visibility: visible !important}
  .v-navigation-drawer__content {height: auto !important; overflow: visible !important}
  main.solara-content-main {padding: 0 !important; height: auto !important}
  .v-card {break-inside: avoid}
}
</style>"""
PRESENTATION_CSS = """<style>
/* presentation mode: type readable from the back of a room */
.v-application {font-size: 20px}
.sim-big {font-size: 60px !important} .sim-small {font-size: 20px !important}
.sim-table td, .sim-table th {font-size: 20px !important; padding: 2px 6px !important}
.sim-table th {font-size: 17px !important}  /* narrower headers: the numbers stay whole */
.v-card__title {font-size: 28px !important}
.v-btn {font-size: 17px !important}
.v-label, .v-select__selection, .v-input input, .v-input textarea {font-size: 19px !important}
</style>"""
PRESENTATION = {"font": 20, "height": "440px", "per_row": 6}  # type size (px), chart height
NORMAL = {"font": 14, "height": CHART_HEIGHT, "per_row": 4}  # per_row: columns of 12 a chart
COUNT_RENDERS = os.environ.get("SIM_DASHBOARD_COUNT_RENDERS") == "1"
"""The control page shows how many times it has been drawn (``data-renders``), for the
browser tests (``tests/support.py`` starts their servers so); off otherwise: it would send a
message to the page at every redraw."""
log = logging.getLogger(__name__)


def Html(text: str, tag: str = "div"):
    """Static HTML (solara.Markdown would fetch KaTeX from a CDN; this page stays offline)."""
    return solara.HTML(tag=tag, unsafe_innerHTML=text)


NUMBER_CELL = re.compile(r"<td>([-+£$]?[\d.,]+%?)</td>")
"""A cell holding a number only: kept on one line (``sim-n``), where other cells may wrap
anywhere to keep a wide table inside its panel."""


def Table(frame, caption: str = ""):
    """A pandas table as HTML (cell text escaped by pandas), sent whole once and then as its
    changes (:class:`~sim.dashboard.widgets.PatchedHtmlWidget`); ``caption`` (HTML) above it
    in the same widget: a caption that changes with the table goes in the same message."""
    body = frame.to_html(index=False, border=0, classes="sim-table", na_rep="")
    return PatchedHtml(TABLE_CSS + caption + NUMBER_CELL.sub(r'<td class="sim-n">\1</td>', body))


def esc(text) -> str:
    import html
    return html.escape(str(text))


# ---------------------------------------------------------------------------- snapshot
_SNAP: dict = {"key": None, "data": None, "world_key": None, "world": None}
_SNAP_LOCK = threading.Lock()


def snapshot(live: store.Live) -> dict | None:
    """What the page shows, read from the exercise once per change (shared by every tab).
    ``world`` (tables, days, timelines, money) is the same object while no branch has moved
    and no inject changed, so the charts are not redrawn for a note or a checkpoint. While a
    long action holds the exercise, the previous snapshot is shown."""
    ex = live.exercise
    if ex is None:
        return None
    key = (id(ex), live.data_version)
    with _SNAP_LOCK:
        if _SNAP["key"] == key:
            return _SNAP["data"]
        if not ex.lock.acquire(timeout=0.05):
            return _SNAP["data"] if _SNAP["data"] and _SNAP["data"]["ex"] is ex else None
        try:
            world_key = (id(ex), tuple((k, id(b), b.day, len(b.injects))
                                       for k, b in ex.branches.items()))
            if _SNAP["world_key"] != world_key:
                _SNAP["world"] = {
                    "tables": {k: b.shown_table() for k, b in ex.branches.items()},
                    "days": {k: b.day for k, b in ex.branches.items()},
                    "forked_from": {k: b.forked_from for k, b in ex.branches.items()},
                    "timeline": {k: ex.timeline(k) for k in ex.branches},
                    # the same table as the exports: clock times, whole descriptions
                    "events": {k: timeline_frame(ex, k) for k in ex.branches},
                    "finance": {k: list(b.finance) for k, b in ex.branches.items()},
                    # the area outputs now (sim.areas), rolled up as the user chooses
                    "localities": {k: areas.snapshot(b.model) for k, b in ex.branches.items()},
                }
                _SNAP["world_key"] = world_key
            data = {
                "ex": ex, "error": ex.error, "day": ex.day, "world": _SNAP["world"],
                "data_version": key[1],
                "overrides": " ".join(ex.overrides),
                "days": _SNAP["world"]["days"],
                "checkpoints": [c["id"] for c in ex.checkpoints],
                "log": ex.log_frame(),
                "n": next(iter(ex.branches.values())).model.pop.n if ex.branches else 0,
            }
        finally:
            ex.lock.release()
        _SNAP.update(key=key, data=data)
        return data


# ---------------------------------------------------------------------------- components
def busy_bar(live: store.Live) -> None:
    """What is running and the last action's result (read from ``live`` at each render: a
    plain function, not a component, so it is never skipped as unchanged). The bar and its
    line are always there, hidden while idle: an action that shows them for a moment (a
    county step) changes their styles and text, instead of making two widgets and closing
    them again."""
    hidden = "display: none"
    solara.ProgressLinear(True, style=None if live.busy else hidden)
    if live.busy:
        text = f'<span data-testid="busy" class="sim-small">Working: {esc(live.busy)}...</span>'
    elif live.playing:
        text = (f'<span data-testid="playing" class="sim-small">Playing at {live.speed:g} days '
                f'per second, redrawing every {live.render_every} day(s)</span>')
    else:
        text = ""
    solara.HTML(tag="div", unsafe_innerHTML=text, style=None if text else hidden)
    kind, text = live.message
    if kind == "error":
        solara.Error(text)
    elif kind == "ok":
        solara.Success(text)


@solara.component
def Controls(live: store.Live, ex: Exercise, ui: tuple = ()):
    """Not given the snapshot (nor the other panels below that need no figures): its
    arguments stay the same from one day to the next, so a day played does not redraw it."""
    target = solara.use_reactive("")
    idle = not live.busy and not live.playing and not ex.error

    def step():
        live.submit("Step", ex.step)

    def run_to():
        try:
            day = int(target.value)
        except ValueError:
            live.message = ("error", f"run to day: must be a whole number (got {target.value!r})")
            live.bump(data=False)
            return
        live.submit(f"Running to day {day}", lambda: ex.run_to(day))

    with solara.Row():
        solara.Button("Step", on_click=step, color="primary", disabled=not idle)
        if live.playing:
            solara.Button("Pause", on_click=live.pause, color="warning")
        else:
            solara.Button("Play", on_click=live.play, color="success", disabled=not idle)
    # the value in the label: the slider's own shows only while it is dragged
    solara.SliderFloat(f"Play speed (days per second): {live.speed:g}", value=live.speed,
                       min=0.5, max=20, step=0.5, on_value=live.set_speed)
    solara.SliderInt(f"Redraw every (days): {live.render_every}", value=live.render_every,
                     min=1, max=30, on_value=live.set_render_every)
    with solara.Row():
        solara.InputText("Run to day", value=target, continuous_update=True)
        solara.Button("Run", on_click=run_to, disabled=not idle)


def day_cell(day: int, own: int) -> str:
    """The monitors' day: the branch's own day ``own``, with the exercise's ``day`` beside it
    when they differ; ``data-day`` is the exercise's day (play pacing and tests read it)."""
    text = f"{own}" if own == day else f'{own} <span class="sim-small">(A: {day})</span>'
    return (f'<span data-testid="day-shown" data-day="{day}" data-branch-day="{own}">'
            f"{text}</span>")


@solara.component
def Monitors(world: dict, day: int, shown: str, on_day_shown=None):
    """The day and headline figures of branch ``shown``. ``day`` is the exercise's (branch
    A's) day, kept in ``data-day`` for pacing (the page reports it to ``on_day_shown`` once
    its browser shows it); the text is the branch's own day, which is earlier when the
    branch was forked from an older checkpoint."""
    ts = world["tables"].get(shown)
    last = ts.iloc[-1] if ts is not None and not ts.empty else None
    fin = world["finance"].get(shown) or []
    cells = [("Day", day_cell(day, world["days"].get(shown, day)))]
    if last is not None:
        cells += [(glossary.label(k), f"{glossary.value(ts, k):,}")
                  for k in ("unmet_need", "volunteers_active", "groups_open")]
    if fin:
        cells.append((glossary.label("reserves"), f"£{fin[-1]['reserves_gbp'] / 1e6:,.2f}m"))
    PatchedHtml(TABLE_CSS + '<div style="display:flex;gap:36px;flex-wrap:wrap">' + "".join(
        f'<div><div class="sim-big">{v}</div><div class="sim-small">{esc(k)} '
        f'{"(branch " + esc(shown) + ")" if k != "Day" else ""}</div></div>'
        for k, v in cells) + "</div>", on_day_shown)


@solara.component
def OutcomeCharts(snap: dict, shown: str, look: dict = NORMAL):
    """``snap``: the ``world`` part of the snapshot; ``look``: :data:`NORMAL` or
    :data:`PRESENTATION`."""
    tables = snap["tables"]
    if all(t.empty for t in tables.values()):
        solara.Info("Step or play to see the outcome charts.")
        return
    timeline = snap["timeline"][shown]
    shade = emergency_periods(timeline, snap["days"][shown])
    day = max(snap["days"].values())
    panels = echarts_panels(tables, event_marks(timeline), shade, day, look["font"])
    styles = branch_styles(tables)
    Html(f'<span class="sim-small">Branches: {esc(styles)}. '
         f'Dashed lines: events of branch {esc(shown)} (scenario and injects; planned ones '
         "grey), labelled above the plot. Shaded: emergency.</span>")
    with solara.ColumnsResponsive(12, medium=6, large=look["per_row"]):
        for _title, option in panels:
            Chart(option, day, look["height"])
    Html("<b>Branches side by side</b>")
    Table(summary_table(tables))


@solara.component
def SituationReport(world: dict, shown: str):
    frame = situation_report(world["tables"][shown], world["finance"][shown])
    if frame.empty:
        solara.Text("Step two days to see what changed since yesterday.")
        return
    Table(frame, f'<div class="sim-small">Branch {esc(shown)}, day {world["days"][shown]} '
                 f'against day {world["days"][shown] - 1}</div>')


@solara.component
def LocalityTiles(world: dict, shown: str):
    """Each area (neighbourhood, parish, small area of a place table), or each PCN, district
    or deprivation decile, as a tile coloured by the chosen outcome (whole population, per
    1,000 residents): the county at a glance, instead of a sampled ring. Drawn from the area
    outputs (:func:`sim.areas.snapshot`, rolled up as ``areas.parquet`` is)."""
    measure = solara.use_reactive(next(iter(LOCALITY_MEASURES)))
    group = solara.use_reactive("areas")
    snapshot = world["localities"][shown]
    groups = locality_groups(snapshot)
    by = group.value if group.value in groups else "areas"
    solara.Select("Colour the tiles by", value=measure.value, values=list(LOCALITY_MEASURES),
                  on_value=measure.set)
    solara.Select("One tile per", value=by, values=groups, on_value=group.set)
    frame = locality_frame(snapshot, by)
    PatchedHtml(TABLE_CSS + f'<div class="sim-small">Branch {esc(shown)}, '
                f'day {world["days"][shown]}: '
                f"{len(frame)} {esc(by) if len(frame) != 1 else 'tile'}</div>"
                + tiles_html(frame, LOCALITY_MEASURES[measure.value]))


@solara.component
def FundingPanel(snap: dict, shown: str, look: dict = NORMAL):
    """``snap``: the ``world`` part of the snapshot."""
    fin = {k: v for k, v in snap["finance"].items() if v}
    if not fin:
        solara.Text("Step to see the groups' money.")
        return
    timeline = snap["timeline"][shown]
    day = max(snap["days"].values())
    Chart(finance_chart(fin, day, event_marks(timeline),
                        emergency_periods(timeline, snap["days"][shown]), look["font"]), day,
          look["height"])
    rows = []
    for k, v in fin.items():
        ts, t = snap["tables"][k], glossary.term
        rows.append({"branch": k, "day": v[-1]["day"],
                     t("reserves").heading: f"{v[-1]['reserves_gbp']:,.0f}",
                     t("core_funding").heading: f"{v[-1]['core_funding_gbp_per_year']:,.0f}",
                     t("funding_spent").heading:
                         f"{glossary.value(ts, 'funding_spent'):,.0f}",
                     t("groups_open").label: v[-1]["groups_open"],
                     t("groups_suspended").label: glossary.value(ts, "groups_suspended"),
                     t("groups_closed_funding").label:
                         glossary.value(ts, "groups_closed_funding")})
    Table(pd.DataFrame(rows))


@solara.component
def Branches(live: store.Live, snap: dict, shown, name, batch: Callable, ui: tuple = ()):
    """``batch``: the page's (:func:`use_live`)."""
    ex: Exercise = snap["ex"]
    source = solara.use_reactive("")
    idle = not live.busy and not live.playing
    origin = snap["world"]["forked_from"]
    PatchedHtml("".join(
        f'<div data-testid="branch-{esc(k)}"><b>{esc(k)}</b>: day {d}'
        f'{", forked from " + esc(origin[k]) if origin[k] else ""}'
        "</div>" for k, d in snap["days"].items()))
    def show(branch: str) -> None:  # here and on the projector view
        shown.set(branch)
        live.project(branch)

    solara.Select("Show branch", value=shown.value if shown.value in snap["days"] else "A",
                  values=list(snap["days"]), on_value=show)
    cps = snap["checkpoints"]
    Html(f"Checkpoints: {esc(', '.join(cps)) if cps else 'none yet'}")
    branch = shown.value if shown.value in snap["days"] else "A"
    # labels without the day: a label that changes every day is a message to every page a day
    solara.Button(f"Checkpoint {branch}", on_click=lambda: live.submit(
        "Checkpoint", lambda: f"Checkpoint {branch}@{ex.checkpoint(branch)}"),
                  disabled=not idle)
    options = [*cps, f"{branch} now"] if cps else [f"{branch} now"]
    chosen = source.value if source.value in options else options[-1] if not cps else cps[-1]
    solara.Select("Fork from", value=chosen, values=options, on_value=source.set)
    solara.InputText("New branch name", value=name, continuous_update=True)

    def fork():
        new = name.value.strip()
        if chosen.endswith(" now"):
            def act():
                ex.checkpoint(branch)
                made = ex.fork(new, ex.checkpoints[-1]["id"])
                return f"Branch {new} forked from {made.forked_from}"
        else:
            def act():
                return f"Branch {new} forked from {ex.fork(new, chosen).forked_from}"
        with batch():  # one redraw for the click's changes and, if quick, the new branch
            if live.submit(f"Forking {new}", act):
                live.settle()
                show(new)
                name.set("")

    solara.Button("Fork", on_click=fork, disabled=not idle or not name.value.strip())


@solara.component
def InjectPanel(live: store.Live, ex: Exercise, shown: str, ui: tuple = ()):
    kinds = {k["kind"]: k for k in event_kinds()}
    kind = solara.use_reactive("surge_campaign" if "surge_campaign" in kinds else next(iter(kinds)))
    values = solara.use_reactive({})
    spec = kinds[kind.value]
    idle = not live.busy and not live.playing

    def choose(k):
        kind.set(k)
        values.set({})

    def apply():
        k, v, b = kind.value, dict(values.value), shown

        def act():
            entry = ex.inject(k, v, branch=b)
            return f"{entry['kind']} scheduled on branch {b} for the start of day {entry['day']}"
        live.submit(f"Checking the {k} inject", act)

    solara.Select("Event", value=kind.value, values=list(kinds), on_value=choose)
    solara.Text(spec["doc"] or "")
    for pname, arg in spec["params"].items():
        current = values.value.get(pname)

        def set_value(v, pname=pname):
            values.set({**values.value, pname: v})

        hint = arg["meaning"]
        if arg["lo"] is not None or arg["hi"] is not None:
            hint += f" [{'' if arg['lo'] is None else arg['lo']}, " \
                    f"{'' if arg['hi'] is None else arg['hi']}]"
        if arg["type"] == "bool":
            solara.Checkbox(label=f"{pname}: {hint}",
                            value=bool(arg["default"]) if current is None else current,
                            on_value=set_value)
        elif arg["choices"]:
            solara.Select(f"{pname}: {hint}", value=current or arg["default"],
                          values=list(arg["choices"]), on_value=set_value)
        else:
            default = "" if arg["default"] is None else str(arg["default"])
            solara.InputText(f"{pname} ({arg['type']}): {hint}",
                             value=default if current is None else current,
                             on_value=set_value, continuous_update=True)
    solara.Button(f"Inject on branch {shown} from the next day",
                  on_click=apply, color="warning", disabled=not idle or bool(ex.error))

    def on_msel(info):
        text, name = info.get("text") or "", info.get("name", "msel")
        if not text:
            live.message = ("error", f"msel: {name!r} is empty or larger than "
                                     f"{msel.MAX_BYTES:,} bytes")
            live.bump(data=False)
            return
        def act():
            planned = ex.load_msel(text, name, shown)
            return f"MSEL {name}: {len(planned)} inject(s) planned on branch {shown}"
        live.submit("Loading the MSEL", act)

    FileOpen("Load MSEL (CSV or YAML)", msel.MAX_BYTES, on_msel,
             accept=".csv,.yaml,.yml,text/csv", testid="load-msel")


@solara.component
def Timeline(live: store.Live, snap: dict, shown: str, ui: tuple = ()):
    ex: Exercise = snap["ex"]
    rows = snap["world"]["timeline"][shown]
    if not rows:
        solara.Text("No events: the scenario has none and nothing has been injected.")
        return
    Html('<span class="sim-small">Clock: when an inject was made, or a scenario event '
         "happened.</span>")
    Table(snap["world"]["events"][shown])
    idle = not live.busy and not live.playing
    for r in rows:
        if r["source"] == "inject" and r["status"] == "planned":
            index = r["index"]
            solara.Button(f"Undo {r['kind']} (day {r['day']})", on_click=lambda index=index:
                          live.submit("Undo", lambda: f"Undone: {ex.undo(shown, index)['kind']}"),
                          disabled=not idle, small=True, outlined=True)


@solara.component
def ExerciseLog(live: store.Live, snap: dict, shown: str):
    ex: Exercise = snap["ex"]
    note = solara.use_reactive("")

    def add_note():  # at once, even while playing: a note changes no model
        try:
            ex.note(note.value, shown)
        except ConfigError as exc:
            live.message = ("error", str(exc))
        else:
            note.set("")
            live.message = ("", "")
            live.save()
        live.bump()

    with solara.Row():
        solara.InputText(f"Note on branch {shown}", value=note, continuous_update=True)
        solara.Button("Add note", on_click=add_note)
    frame = snap["log"]
    if frame.empty:
        solara.Text("No injects or notes yet.")
    else:
        Table(frame)
    with solara.Row(style={"flex-wrap": "wrap"}):  # one button a line if need be
        solara.FileDownload(lambda: ex.log_csv().encode(), filename="exercise_log.csv",
                            label="Log as CSV")
        solara.FileDownload(lambda: ex.log_markdown().encode(), filename="exercise_log.md",
                            label="Log as Markdown")
        solara.FileDownload(lambda: after_action_html(ex).encode(),
                            filename="after_action_report.html", label="After-action report",
                            mime_type="text/html")
        for name, d in snap["days"].items():
            if d >= 1:
                stem = f"exercise_{name.lower()}"
                solara.FileDownload(
                    lambda name=name, stem=stem: ex.scenario_yaml(name, stem).encode(),
                    filename=f"{stem}.yaml", label=f"Replay file ({name})")


@solara.component
def ExerciseFile(live: store.Live, ex: Exercise | None, ui: tuple = ()):
    form = solara.use_reactive({"topology": "urban", "scenario": ["baseline"],
                                "seed": str(Config().run.seed), "n": ""})
    confirm = solara.use_reactive(False)
    names = scenario_names()
    with solara.Column():  # one slot: the cards' widgets below keep their places
        if ex is not None:
            solara.FileDownload(lambda: store.state_text(ex).encode(),
                                filename="exercise.json", label="Save exercise")

    def on_open(info):
        text = info.get("text") or ""
        if info.get("size", 0) > MAX_STATE_BYTES or not text:
            live.message = ("error", f"exercise: {info.get('name', 'the file')!r} is larger "
                                     f"than {MAX_STATE_BYTES:,} bytes or empty")
            live.bump(data=False)
            return
        live.open_state(text.encode("utf-8"))

    FileOpen("Open exercise", MAX_STATE_BYTES, on_open, testid="open-exercise")
    Html(f'<span class="sim-small">Saved on the server at {esc(live.saved_at or "-")} in '
         f"{esc(live.path)}</span>")
    opened = solara.use_reactive(False)
    solara.Button("New exercise" if not opened.value else "Hide new exercise",
                  on_click=lambda: opened.set(not opened.value), text=True)
    if not opened.value:
        return
    with solara.Column():
        f = form.value
        solara.Select("Topology", value=f["topology"], values=list(TOPOLOGIES),
                      on_value=lambda v: form.set({**form.value, "topology": v}))
        chosen = (scenario_override(f["scenario"]).split("=", 1)[1] if f["scenario"]
                  else "(none chosen)")
        solara.SelectMultiple("Scenarios", values=[n for n in f["scenario"] if n in names],
                              all_values=names,
                              on_value=lambda v: form.set({**form.value, "scenario": list(v)}))
        Html('<span class="sim-small">Composed in the order chosen (as <code>scenario=[a,b]'
             "</code> on the command line): a later one wins where both set a parameter; "
             f"their events are joined. Now: <code>{esc(chosen)}</code>"
             "</span>")
        solara.InputText("Seed", value=f["seed"], continuous_update=True,
                         on_value=lambda v: form.set({**form.value, "seed": v}))
        solara.InputText("Residents (blank: topology default)", value=f["n"],
                         continuous_update=True,
                         on_value=lambda v: form.set({**form.value, "n": v}))
        if not confirm.value:
            solara.Button("Start new exercise", on_click=lambda: confirm.set(True),
                          disabled=bool(live.busy))
        else:
            solara.Warning("This replaces the exercise on the screen (its branches, log and "
                           "notes) for every tab. Save it first to keep it.")

            def start():
                confirm.set(False)
                f = form.value
                live.new_exercise(topology=f["topology"], scenario_name=f["scenario"],
                                  seed=f["seed"], n_residents=f["n"] or 0)

            with solara.Row():
                solara.Button("Yes, start anew", on_click=start, color="error")
                solara.Button("Cancel", on_click=lambda: confirm.set(False))


@solara.component
def NetworkPicture(live: store.Live, ex: Exercise, shown: str, ui: tuple = ()):

    def draw():
        def act():
            from matplotlib.backends.backend_agg import FigureCanvasAgg

            from sim.dashboard.network_view import choose_sample, draw_network, population_line
            with ex.lock:
                model = ex.branch(shown).model
                sample = choose_sample(ex.branches["A"].model)
                fig = draw_network(model, sample)
                caption = (f"Branch {shown}, day {model.output_day}. Drawn: a sample of "
                           f"{sample.residents.size} of {model.pop.n:,} residents "
                           f"({sample.households} households and the residents tied to them) "
                           "and every organisation. " + population_line(model) + ".")
            buf = io.BytesIO()
            FigureCanvasAgg(fig).print_png(buf)
            live.network = (id(ex), buf.getvalue(), caption)
            return None
        live.submit("Drawing the network picture", act)

    solara.Button(f"Draw the network picture (branch {shown})",
                  on_click=draw, disabled=bool(live.busy or live.playing))
    picture = live.network
    if picture and picture[0] == id(ex):
        solara.Image(picture[1], width="100%")
        solara.Text(picture[2])


def use_live() -> tuple[store.Live, dict | None, Callable]:
    """The server's exercise, this page's snapshot of it and its ``batch``: a watcher thread
    redraws the page when the exercise changes (play waits for the day the page's browser
    reports showing: :func:`Monitors`, :meth:`store.Live.day_shown`).

    ``with batch():`` around a click's changes draws them once, at the end; what the page
    draws then (a quick action's result: see :meth:`store.Live.settle`) the watcher does not
    draw again (it waits for the batch, then sees the page has drawn that version)."""
    live = store.live()
    live.start()
    tick = solara.use_reactive(0)  # counts the watcher's redraws
    drawn = solara.use_ref(-1)  # the newest version this page has drawn with its data
    stale = solara.use_ref(False)  # its last draw kept an older snapshot (exercise held)
    guard = solara.use_memo(threading.Lock, [])  # held by a click's batch and its drawing
    context = get_render_context()

    def make_batch():
        @contextlib.contextmanager
        def batch():
            with guard, context:  # leaving: the page is drawn, then the watcher may look
                yield
        return batch

    batch = solara.use_memo(make_batch, [])

    def watch(cancel: threading.Event):
        seen = live.version
        live.watching(+1)
        try:
            while not cancel.is_set():
                v = live.wait(seen, 0.5)
                if v == seen:
                    # nothing new; but a draw while a long action (a download) held the
                    # exercise kept the previous snapshot: drawn again once the exercise is
                    # free, so play is not left waiting for a day the page never drew
                    if not stale.current:
                        continue
                    ex = live.exercise
                    if ex is not None:
                        if not ex.lock.acquire(timeout=0.5):
                            continue  # still held: no redraw that would show the same
                        ex.lock.release()
                seen = v
                with guard:
                    # drawn already (by a click's batch) with the data of this version
                    if drawn.current >= v and not stale.current:
                        continue
                    started = time.perf_counter()
                    tick.set(tick.value + 1)
                log.debug("page redrawn for version %d in %.3f s", v,
                          time.perf_counter() - started)
        finally:
            live.watching(-1)

    solara.use_thread(watch, dependencies=[], intrusive_cancel=False)
    _ = tick.value  # read here, so that the watcher's tick.set redraws this page
    version, data_version = live.version, live.data_version
    stale.current = False  # (a snapshot that fails is not retried until the next change)
    snap = snapshot(live)
    if snap is None or snap["data_version"] >= data_version:  # not an older one kept on
        drawn.current = version  # the screen while a long action holds the exercise
    else:
        stale.current = True
    return live, snap, batch


@solara.component
def Projector():
    """The room's view (read-only, large type) at ``/projector``: it follows the exercise
    that the facilitator runs on the control page, and the branch shown there last
    (:meth:`store.Live.project`)."""
    live, snap, _ = use_live()
    solara.Title("War-game: projector")
    Html(PAGE_CSS + "<style>.sim-big {font-size: 64px !important} "
         ".sim-small {font-size: 20px !important} "
         ".sim-table td, .sim-table th {font-size: 20px !important}</style>")
    if snap is None or snap["error"]:
        solara.Info("Waiting for the exercise...")
        return
    branch = live.projected if live.projected in snap["days"] else "A"
    Html(f'<span class="sim-small">{esc(snap["overrides"])}: {snap["n"]:,} residents'
         f'{" - playing" if live.playing else ""}</span>')
    Monitors(snap["world"], snap["day"], branch, live.day_shown)
    OutcomeCharts(snap["world"], branch, PRESENTATION)  # large type in the charts too
    rows = snap["world"]["timeline"][branch]
    if rows:
        Html(f"<b>Events (branch {esc(branch)})</b>")
        Table(pd.DataFrame([{"day": r["day"], "event": r["kind"], "from": r["source"],
                             "status": r["status"]} for r in rows]))


@solara.component
def Page():
    live, snap, batch = use_live()
    renders = solara.use_ref(0)  # this page's renders, for the tests (one per change)
    renders.current += 1  # shown only if COUNT_RENDERS
    shown = solara.use_reactive(live.projected)  # a reload keeps the room's branch
    new_name = solara.use_reactive("")
    presenting = solara.use_reactive(False)  # this tab only
    look = PRESENTATION if presenting.value else NORMAL
    ui = (live.busy, live.playing, live.speed, live.render_every, live.saved_at,
          live.network is not None and id(live.network))  # what components read from live

    solara.Title("Community response war-game")
    Html(PAGE_CSS + (PRESENTATION_CSS if presenting.value else ""))
    with solara.AppBar():
        solara.AppBarTitle("Community response war-game")
        solara.Switch(label="Presentation mode", value=presenting,
                      style={"margin-top": "20px"})
    with solara.Sidebar():
        with solara.Card("Controls"):
            if snap is not None and not snap["error"]:
                Controls(live, snap["ex"], ui=ui)
        with solara.Column():  # one slot, so the cards below keep their state
            if snap is not None and not snap["error"]:
                with solara.Card("Branches"):
                    Branches(live, snap, shown, new_name, batch, ui=ui)
        with solara.Card("Exercise"):
            ExerciseFile(live, snap and snap["ex"], ui=ui)
        Html(HELP)
    with solara.Column(gap="4px"):  # one slot: what appears here never shifts the rest
        if COUNT_RENDERS:
            Html(f'<span data-testid="renders" data-renders="{renders.current}" '
                 f'data-settled="{live.settled_quickly}"></span>')
        busy_bar(live)
    if snap is None:
        solara.Info("Preparing the exercise...")
        return
    if snap["error"]:
        solara.Error(f"Cannot start this exercise: {snap['error']}")
        return
    branch = shown.value if shown.value in snap["days"] else "A"
    Html(f'<span class="sim-small">{esc(snap["overrides"])}: {snap["n"]:,} residents</span>')
    Monitors(snap["world"], snap["day"], branch, live.day_shown)
    with solara.Card("Key outcomes"):
        OutcomeCharts(snap["world"], branch, look)
    with solara.Card("Since yesterday"):
        SituationReport(snap["world"], branch)
    # side by side only on a wide screen (and never in presentation mode): no sideways scrolling
    with solara.ColumnsResponsive(12, xlarge=12 if presenting.value else [7, 5]):
        with solara.Card(f"Timeline of branch {branch}"):
            Timeline(live, snap, branch, ui=ui)
        with solara.Card("Inject"):
            InjectPanel(live, snap["ex"], branch, ui=ui)
    with solara.Card("Funding and reserves"):
        FundingPanel(snap["world"], branch, look)
    with solara.Card("Localities"):
        LocalityTiles(snap["world"], branch)
    with solara.Card("Exercise log"):
        ExerciseLog(live, snap, branch)
    with solara.Card("Network picture (drawn on request)"):
        NetworkPicture(live, snap["ex"], branch, ui=ui)



routes = [
    solara.Route(path="/", component=Page, label="Control"),
    solara.Route(path="projector", component=Projector, label="Projector"),
]
