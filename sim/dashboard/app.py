"""The war-gaming dashboard page (Solara). Start it with ``python -m sim.dashboard``.

Built on Mesa's Solara visualisation: Mesa's ``ModelController`` (reset, play, pause, step)
and ``ModelCreator`` (the choice of topology, scenario and seed) drive an
:class:`~sim.dashboard.exercise.Exercise`, a Mesa model whose step advances every branch by one
day; Mesa's ``update_counter`` refreshes the views. The rest of the page (network view, charts,
inject panel, exercise log, branches) is this module's own components.
"""

from __future__ import annotations

import solara
from mesa.visualization.solara_viz import ModelController, ModelCreator
from mesa.visualization.utils import force_update, update_counter

from sim.dashboard.charts import draw_outcomes, summary_table
from sim.dashboard.exercise import TOPOLOGIES, Exercise, scenario_names
from sim.dashboard.network_view import choose_sample, draw_network, population_line
from sim.events import event_kinds
from sim.params import Config, ConfigError

HELP = (
    "The page shows the state after the day shown has been simulated. <b>Injects take effect "
    "at the start of the next day</b>, as a scenario event on that day would, so the exported "
    "scenario YAML replays the exercise to the same numbers: save it as "
    "<code>DIR/scenario/NAME.yaml</code> and run "
    "<code>python -m sim --config-dir DIR scenario=NAME</code>."
)
TABLE_CSS = ("<style>.sim-table td, .sim-table th {padding: 2px 8px; font-size: 13px; "
             "border-bottom: 1px solid #ddd; text-align: left}</style>")


def Html(text: str, tag: str = "div"):
    """Static HTML (solara.Markdown would fetch KaTeX from a CDN; this page stays offline)."""
    return solara.HTML(tag=tag, unsafe_innerHTML=text)


def Table(frame):
    """A pandas table as HTML (cell text escaped by pandas)."""
    return Html(TABLE_CSS + frame.to_html(index=False, border=0, classes="sim-table",
                                          na_rep=""))


def exercise_params() -> dict:
    """Mesa ``ModelCreator`` inputs. Scenarios are listed from ``configs/scenario/`` at each
    page load, so a new scenario file appears without restarting the server."""
    names = scenario_names()
    return {
        "topology": {"type": "Select", "value": "urban", "values": list(TOPOLOGIES),
                     "label": "Topology"},
        "scenario_name": {"type": "Select", "values": names, "label": "Scenario",
                          "value": "baseline" if "baseline" in names else names[0]},
        "seed": {"type": "InputText", "value": str(Config().run.seed), "label": "Seed"},
        "n_residents": {"type": "InputText", "value": "",
                        "label": "Residents (blank: topology default)"},
    }


def _errors(fn, *args, **kwargs) -> str:
    """Run an action; return its validation message instead of raising."""
    try:
        fn(*args, **kwargs)
    except (ConfigError, ValueError, TypeError) as exc:
        return str(exc)
    return ""


@solara.component
def RunToDay(ex: Exercise):
    target = solara.use_reactive("")
    message = solara.use_reactive("")

    def run():
        try:
            day = int(target.value)
        except ValueError:
            message.set(f"run to day: must be a whole number (got {target.value!r})")
            return
        message.set(_errors(ex.run_to, day))
        force_update()

    with solara.Row():
        solara.InputText("Run to day", value=target, continuous_update=True)
        solara.Button("Run", on_click=run, color="primary", disabled=bool(ex.error))
    if message.value:
        solara.Error(message.value)


@solara.component
def BranchControls(ex: Exercise):
    update_counter.get()
    message = solara.use_reactive("")

    def checkpoint():
        message.set(_errors(ex.checkpoint, "A"))
        force_update()

    def fork():
        message.set(_errors(ex.fork, "B"))
        force_update()

    cp = ex.checkpoint_state
    solara.Text(
        f"Checkpoint: {'day ' + str(cp.day) if cp else 'none'}. Branches: "
        + ", ".join(f"{b.name} (day {b.day}{', from ' + b.forked_from if b.forked_from else ''})"
                    for b in ex.branches.values()))
    with solara.Row():
        solara.Button(f"Checkpoint A (day {ex.day})", on_click=checkpoint,
                      disabled=bool(ex.error))
        solara.Button("Fork B from checkpoint" if cp else "Fork B from A now", on_click=fork,
                      disabled=bool(ex.error))
    if message.value:
        solara.Error(message.value)


@solara.component
def NetworkView(ex: Exercise, branch: str):
    update_counter.get()
    sample = solara.use_memo(lambda: choose_sample(ex.branches["A"].model), [id(ex)])
    with ex.lock:
        model = ex.branch(branch).model
        fig = draw_network(model, sample)
        caption = (f"Branch {branch}, day {model.output_day}. Drawn: a sample of "
                   f"{sample.residents.size} of {model.pop.n:,} residents ({sample.households} "
                   "households and the residents tied to them) and every organisation. "
                   + population_line(model) + ".")
    solara.FigureMatplotlib(fig, format="png", dependencies=[update_counter.value, id(ex),
                                                             branch])
    solara.Text(caption)


@solara.component
def OutcomeCharts(ex: Exercise):
    update_counter.get()
    with ex.lock:
        tables = {k: b.timeseries() for k, b in ex.branches.items()}
        marks = {k: [e["day"] for e in b.injects] for k, b in ex.branches.items()}
    if all(t.empty for t in tables.values()):
        solara.Info("Step or play to see the outcome charts.")
        return
    solara.FigureMatplotlib(draw_outcomes(tables, marks), format="png",
                            dependencies=[update_counter.value, id(ex)])
    Html("<b>Branches side by side</b>")
    Table(summary_table(tables))


@solara.component
def InjectPanel(ex: Exercise):
    update_counter.get()
    kinds = {k["kind"]: k for k in event_kinds()}
    kind = solara.use_reactive("surge_campaign" if "surge_campaign" in kinds else next(iter(kinds)))
    values = solara.use_reactive({})
    target = solara.use_reactive("A")
    message = solara.use_reactive(("", ""))
    spec = kinds[kind.value]

    def choose(k):
        kind.set(k)
        values.set({})
        message.set(("", ""))

    def apply():
        try:
            entry = ex.inject(kind.value, dict(values.value), branch=target.value)
        except (ConfigError, ValueError, TypeError) as exc:
            message.set(("error", str(exc)))
            return
        message.set(("ok", f"{entry['kind']} scheduled on branch {target.value} for the start "
                           f"of day {entry['day']}"))
        force_update()

    solara.Select("Event", value=kind.value, values=list(kinds), on_value=choose)
    solara.Text(spec["doc"] or "")
    for name, arg in spec["params"].items():
        current = values.value.get(name)

        def set_value(v, name=name):
            values.set({**values.value, name: v})

        hint = arg["meaning"]
        if arg["lo"] is not None or arg["hi"] is not None:
            hint += f" [{'' if arg['lo'] is None else arg['lo']}, " \
                    f"{'' if arg['hi'] is None else arg['hi']}]"
        if arg["type"] == "bool":
            solara.Checkbox(label=f"{name}: {hint}",
                            value=bool(arg["default"]) if current is None else current,
                            on_value=set_value)
        elif arg["choices"]:
            solara.Select(f"{name}: {hint}", value=current or arg["default"],
                          values=list(arg["choices"]), on_value=set_value)
        else:
            default = "" if arg["default"] is None else str(arg["default"])
            solara.InputText(f"{name} ({arg['type']}): {hint}",
                             value=default if current is None else current,
                             on_value=set_value, continuous_update=True)
    with solara.Row():
        solara.Select("Branch", value=target.value, values=list(ex.branches) or ["A"],
                      on_value=target.set)
        solara.Button(f"Inject at start of day {ex.branch(target.value).day + 1}"
                      if target.value in ex.branches else "Inject", on_click=apply,
                      color="warning", disabled=bool(ex.error))
    status, text = message.value
    if status == "error":
        solara.Error(text)
    elif status == "ok":
        solara.Success(text)


@solara.component
def ExerciseLog(ex: Exercise):
    update_counter.get()
    note = solara.use_reactive("")
    message = solara.use_reactive("")

    def add_note():
        error = _errors(ex.note, note.value, "A")
        message.set(error)
        if not error:
            note.set("")
        force_update()

    with solara.Row():
        solara.InputText("Facilitator note", value=note, continuous_update=True)
        solara.Button("Add note", on_click=add_note, disabled=bool(ex.error))
    if message.value:
        solara.Error(message.value)
    frame = ex.log_frame()
    if frame.empty:
        solara.Text("No injects or notes yet.")
    else:
        Table(frame)
    with solara.Row():
        solara.FileDownload(lambda: ex.log_csv().encode(), filename="exercise_log.csv",
                            label="Log as CSV")
        solara.FileDownload(lambda: ex.log_markdown().encode(), filename="exercise_log.md",
                            label="Log as Markdown")
        for name, b in ex.branches.items():
            if b.day >= 1:
                stem = f"exercise_{name.lower()}"
                solara.FileDownload(
                    lambda name=name, stem=stem: ex.scenario_yaml(name, stem).encode(),
                    filename=f"{stem}.yaml", label=f"Replay scenario YAML ({name})")


@solara.component
def Page():
    initial = solara.use_memo(Exercise, [])
    model = solara.use_reactive(initial)
    params = solara.use_reactive({})
    shown = solara.use_reactive("A")
    play_interval = solara.use_reactive(300)
    render_interval = solara.use_reactive(1)
    use_threads = solara.use_reactive(False)
    update_counter.get()
    ex: Exercise = model.value

    solara.Title("Community response war-game")
    with solara.AppBar():
        solara.AppBarTitle("Community response war-game")
    with solara.Sidebar():
        with solara.Card("New exercise"):
            Html("Choose, then press <b>Reset</b> to start a new exercise.")
            ModelCreator(model, exercise_params(), model_parameters=params)
        with solara.Card("Controls"):
            ModelController(model, model_parameters=params, play_interval=play_interval,
                            render_interval=render_interval, use_threads=use_threads)
            RunToDay(ex)
            Html(f"<b>Day {ex.day}</b> completed.")
        with solara.Card("Branches"):
            BranchControls(ex)
        Html(HELP)
    if ex.error:
        solara.Error(f"Cannot start this exercise: {ex.error}")
        return
    with solara.Card("Key outcomes"):
        OutcomeCharts(ex)
    with solara.Columns([3, 2]):
        with solara.Card("Network"):
            if len(ex.branches) > 1:
                solara.Select("Show branch", value=shown.value, values=list(ex.branches),
                              on_value=shown.set)
            NetworkView(ex, shown.value if shown.value in ex.branches else "A")
        with solara.Card("Inject"):
            InjectPanel(ex)
    with solara.Card("Exercise log"):
        ExerciseLog(ex)
