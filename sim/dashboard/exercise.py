"""A war-game exercise: one or two branches of a running model, injects, notes and exports.

No user interface here: the Solara app (``sim.dashboard.app``), the tests and the notebooks
drive an :class:`Exercise` through its methods.

Timing of injects: the dashboard shows the state after day ``N`` has been simulated. An inject
made then is validated at once (on a throw-away copy of the model, so a bad parameter is
reported and changes nothing) and takes effect at the **start of day N+1**, exactly where a
scenario event ``{day: N+1, ...}`` would. That is what makes the exported replay file
(:mod:`sim.replay`, ``python -m sim replay FILE.yaml``) replay the exercise from the command line
to the same numbers.

Branches: ``checkpoint()`` keeps a deep copy of branch A (model state, random streams, the
injects so far); ``fork()`` starts branch B from it. Step, play and run-to-day advance every
branch, so the two are compared day by day.
"""

from __future__ import annotations

import copy
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

import mesa
import pandas as pd
import yaml

from sim import events
from sim.burn_in import build_model, default_cache_dir
from sim.config import compose, config_dir
from sim.model import CommunityModel
from sim.params import Config, ConfigError, iter_params

TOPOLOGIES = ("urban", "rural", "county")
MAX_DAY = 36500
LOG_COLUMNS = ("branch", "day", "entry", "kind", "params", "text")


def scenario_names() -> list[str]:
    """Scenario configs found in ``configs/scenario/`` now (new files appear without a
    restart)."""
    return sorted(p.stem for p in (config_dir() / "scenario").glob("*.yaml"))


def parse_value(text: str | bool | int | float | None):
    """A parameter typed in the inject form: YAML scalar syntax (``0.5``, ``true``, ``7``),
    so the event's own validation sees numbers and booleans, not strings."""
    if not isinstance(text, str):
        return text
    text = text.strip()
    if text == "":
        return None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def whole_number(value, key: str) -> int:
    """A whole number >= 0 from a form (text or int); ConfigError naming ``key`` otherwise."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(key, f"must be a whole number >= 0 (got {value!r})")
    return value


@dataclass
class Branch:
    """One line of play: its model and the injects scheduled on it (replay entries)."""

    name: str
    model: CommunityModel
    injects: list[dict] = field(default_factory=list)
    forked_from: str = ""

    @property
    def day(self) -> int:
        return self.model.output_day

    def timeseries(self) -> pd.DataFrame:
        return self.model.timeseries()


class Exercise(mesa.Model):
    """A facilitated exercise on one configuration.

    A Mesa model, so Mesa's Solara controller (play, pause, step, reset) can drive it: its
    ``step()`` advances every branch by one day. Construction never raises for a bad choice;
    the reason is kept in ``error`` and the exercise has no branches. (``scenario_name``, not
    ``scenario``: Mesa models reserve ``scenario`` for Mesa's own scenario object.)
    """

    def __init__(self, topology: str = "urban", scenario_name: str = "baseline",
                 seed: int | str = 20201, n_residents: int | str = 0,
                 overrides: tuple[str, ...] | list[str] = ()):
        super().__init__()
        self.lock = threading.RLock()
        self.log: list[dict] = []
        self.branches: dict[str, Branch] = {}
        self.checkpoint_state: Branch | None = None
        self.base_config: Config | None = None
        self.error = ""
        self.overrides = [f"topology={topology}", f"scenario={scenario_name}", f"run.seed={seed}"]
        try:
            if topology not in TOPOLOGIES:
                raise ConfigError("topology", f"must be one of {', '.join(TOPOLOGIES)} "
                                              f"(got {topology!r})")
            seed = whole_number(seed, "run.seed")
            n = whole_number(n_residents or 0, "topology.n_residents")
            self.overrides = [f"topology={topology}", f"scenario={scenario_name}",
                              f"run.seed={seed}", *([f"topology.n_residents={n}"] if n else []),
                              *overrides]
            self.base_config = compose(self.overrides)
            cache = self.base_config.run.burn_in_cache or default_cache_dir()
            self.branches["A"] = Branch("A", build_model(self.base_config, cache))
        except ConfigError as exc:
            self.error = str(exc)

    # ------------------------------------------------------------------ playing
    @property
    def day(self) -> int:
        """The day branch A has reached (0 before the first step)."""
        return self.branches["A"].day if self.branches else 0

    def step(self) -> None:
        """Advance every branch by one day (play is open-ended: past ``run.days`` too)."""
        with self.lock:
            for b in self.branches.values():
                b.model.run(1)

    def run_to(self, day: int) -> None:
        """Advance every branch that is behind ``day`` up to it."""
        if not isinstance(day, int) or isinstance(day, bool) or not 0 <= day <= MAX_DAY:
            raise ConfigError("run to day", f"must be a whole number from 0 to {MAX_DAY} "
                                            f"(got {day!r})")
        with self.lock:
            for b in self.branches.values():
                if b.model.output_day < day:
                    b.model.run(day - b.model.output_day)

    def branch(self, name: str) -> Branch:
        if name not in self.branches:
            raise ConfigError("branch", f"no branch {name!r}; branches: "
                                        f"{', '.join(self.branches) or 'none'}")
        return self.branches[name]

    # ------------------------------------------------------------------ injects and notes
    def inject(self, kind: str, params: dict | None = None, branch: str = "A") -> dict:
        """Validate an event and schedule it at the start of the branch's next day.

        ``params`` values may be text from a form (parsed with :func:`parse_value`); empty
        values take the event's default. Raises :class:`ConfigError` naming the parameter
        (nothing is changed then). Returns the scheduled entry ``{day, kind, params}``.
        """
        with self.lock:
            b = self.branch(branch)
            raw = {k: parse_value(v) for k, v in (params or {}).items()}
            raw = {k: v for k, v in raw.items() if v is not None}
            day = b.day + 1
            ev = events.check_event(events.Event(day, kind, raw), "inject")
            probe = copy.deepcopy(b.model)  # dry run: errors that only show when applied
            probe.apply_event(ev.kind, ev.params)
            b.model.timeline.by_day.setdefault(day, []).append(ev)
            entry = {"day": day, "kind": ev.kind, "params": dict(ev.params)}
            b.injects.append(entry)
            self._log(branch, day, "inject", kind=ev.kind, params=ev.params,
                      text=events.REGISTRY[ev.kind].doc.splitlines()[0] if
                      events.REGISTRY[ev.kind].doc else "")
            return entry

    def note(self, text: str, branch: str = "A") -> None:
        """A facilitator's note, logged at the branch's current day."""
        text = (text or "").strip()
        if not text:
            raise ConfigError("note", "is empty")
        with self.lock:
            self._log(branch, self.branch(branch).day, "note", text=text)

    def _log(self, branch: str, day: int, entry: str, kind: str = "", params: dict | None = None,
             text: str = "") -> None:
        self.log.append({"branch": branch, "day": day, "entry": entry, "kind": kind,
                         "params": dict(params or {}), "text": text})

    # ------------------------------------------------------------------ checkpoints and forks
    def checkpoint(self, branch: str = "A") -> int:
        """Keep a deep copy of ``branch`` (state, random streams, injects) at its current day."""
        with self.lock:
            b = self.branch(branch)
            self.checkpoint_state = copy.deepcopy(b)
            self._log(branch, b.day, "checkpoint", text=f"checkpoint of {branch} at day {b.day}")
            return b.day

    def fork(self, name: str = "B") -> Branch:
        """Start branch ``name`` from the checkpoint (or from A now, if there is none)."""
        with self.lock:
            if name == "A":
                raise ConfigError("branch", "A is the main branch; fork to another name")
            source = self.checkpoint_state or self.branch("A")
            new = copy.deepcopy(source)
            new.name = name
            new.forked_from = f"{source.name}@{source.day}"
            replaced = name in self.branches
            self.branches[name] = new
            self._log(name, new.day, "fork",
                      text=f"{'replaced: ' if replaced else ''}forked from {new.forked_from}")
            return new

    # ------------------------------------------------------------------ exports
    def log_frame(self) -> pd.DataFrame:
        rows = [{**e, "params": json.dumps(e["params"], sort_keys=True) if e["params"] else ""}
                for e in self.log]
        return pd.DataFrame(rows, columns=list(LOG_COLUMNS))

    def log_csv(self) -> str:
        return self.log_frame().to_csv(index=False)

    def log_markdown(self) -> str:
        head = ["# Exercise log", "", f"Configuration: `{' '.join(self.overrides)}`", "", ""]
        frame = self.log_frame()
        body = frame.to_markdown(index=False) if not frame.empty else "(no entries)"
        return "\n".join(head) + body + "\n"

    def replay_config(self, branch: str = "A") -> Config:
        """The configuration that replays ``branch`` from day 0 to its current day."""
        b = self.branch(branch)
        if b.day < 1:
            raise ConfigError("run.days", "nothing to export yet: step at least one day")
        cfg = copy.deepcopy(self.base_config)
        events = {**named_events(self.base_config.events),
                  **{f"inject_{k + 1}": copy.deepcopy(e) for k, e in enumerate(b.injects)}}
        # events dated after the branch's day have not happened in it: not part of the replay
        cfg.events = {k: e for k, e in events.items() if int(e["day"]) <= b.day}
        cfg.run.days = b.day
        return cfg

    def replay_data(self, branch: str = "A", name: str = "exercise") -> dict:
        """The replay file's content (:mod:`sim.replay`) for ``branch``: the topology, every
        parameter that differs from that topology's default composition (dotted keys), and
        the events timeline (the scenario's own events followed by the injects, named
        ``inject_1``, ``inject_2``...)."""
        cfg = self.replay_config(branch)
        topology = self.overrides[0].split("=", 1)[1]
        description = (f"Replay of exercise branch {branch} ({' '.join(self.overrides)}) to day "
                       f"{cfg.run.days}, with {len(self.branch(branch).injects)} inject(s).")
        base = compose([f"topology={topology}"])
        base_values = {k: v for k, v, _ in iter_params(base)}
        overrides = {k: v for k, v, _ in iter_params(cfg)
                     if k != "events" and not k.startswith("scenario.")
                     and (k not in base_values or base_values[k] != v)}
        return {"scenario": {"name": name, "description": description}, "topology": topology,
                "overrides": overrides, "events": named_events(cfg.events)}

    def scenario_yaml(self, branch: str = "A", name: str = "exercise") -> str:
        """A replay file (plain data, see :mod:`sim.replay`) that replays ``branch``."""
        body = yaml.safe_dump(self.replay_data(branch, name), sort_keys=False,
                              default_flow_style=False, allow_unicode=True)
        return (f"# Exercise replay, branch {branch} (data only). Run it with:\n"
                f"#   python -m sim replay {name}.yaml\n"
                "# (the run has the same daily numbers as the exercise.)\n" + body)

    def save_scenario(self, folder: Path | str, branch: str = "A", name: str = "exercise"
                      ) -> Path:
        """Write :meth:`scenario_yaml` to ``folder/name.yaml`` (never over a file)."""
        path = Path(folder) / f"{name}.yaml"
        if path.exists():
            raise ConfigError("name", f"{path} exists; choose another name")
        text = self.scenario_yaml(branch, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8") as f:
            f.write(text)
        return path


def named_events(entries: dict | list | None) -> dict:
    """A scenario's events as the mapping ``name -> {day, kind, params}`` (lists get names)."""
    if isinstance(entries, dict):
        return copy.deepcopy(entries)
    return {f"event_{k + 1}": copy.deepcopy(e) for k, e in enumerate(entries or [])}

