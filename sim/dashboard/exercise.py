"""A war-game exercise: named branches of a running model, injects, notes, saved state, exports.

No user interface here: the Solara app (``sim.dashboard.app``), the tests and the notebooks
drive an :class:`Exercise` through its methods.

Timing of injects: the dashboard shows the state after day ``N`` has been simulated. An inject
made then is validated at once (on a throw-away copy of the model, so a bad parameter is
reported and changes nothing) and takes effect at the **start of day N+1**, exactly where a
scenario event ``{day: N+1, ...}`` would. That is what makes the exported replay file
(:mod:`sim.replay`, ``python -m sim replay FILE.yaml``) replay the exercise from the command line
to the same numbers.

Branches: ``checkpoint(branch)`` keeps a deep copy of a branch (model state, random streams,
the injects so far, pending ones included); ``fork(name, checkpoint)`` starts a new named branch
from any checkpoint. Step, play and run-to-day advance every branch, so branches are compared
day by day. A pending inject (not yet applied) can be undone.

Saved state: :meth:`Exercise.state` is plain data (the configuration, every branch's injects
and day, the checkpoints, the log); the model is deterministic, so :meth:`Exercise.from_state`
rebuilds every branch by replaying its injects from day 0 to the same numbers. The dashboard
keeps it on disk as the exercise goes (:mod:`sim.dashboard.store`); "Open exercise" reads such
a file with :func:`check_state` (strict: plain JSON data, known keys, bounded sizes).
"""

from __future__ import annotations

import copy
import json
import pickle
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from sim import events
from sim.burn_in import build_model, default_cache_dir
from sim.config import compose, config_dir
from sim.model import CommunityModel
from sim.params import Config, ConfigError, iter_params, parameter_keys
from sim.scenarios import check_plain

TOPOLOGIES = ("urban", "rural", "county")
MAX_DAY = 36500
LOG_COLUMNS = ("time", "branch", "day", "entry", "kind", "params", "text")
STATE_FORMAT = "community-sim exercise"
STATE_VERSION = 1
MAX_STATE_BYTES = 4_000_000  # a saved exercise file (JSON)
MAX_BRANCHES = 12
MAX_CHECKPOINTS = 60
KEPT_CHECKPOINTS = 6  # checkpoints kept in memory; older ones are rebuilt by replay
MAX_INJECTS = 1000  # per branch
MAX_LOG = 20_000
MAX_TEXT = 2000  # characters in a note or log text
MAX_RESIDENTS = 2_000_000
BRANCH_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,23}$")
EXTRA_OVERRIDE = re.compile(r"^([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+)=([A-Za-z0-9_.+-]{1,40})$")


def scenario_names() -> list[str]:
    """Scenario configs found in ``configs/scenario/`` now (new files appear without a
    restart)."""
    return sorted(p.stem for p in (config_dir() / "scenario").glob("*.yaml"))


MAX_COMPOSED = 6  # scenarios composed into one exercise


def check_scenarios(value, key: str = "scenario") -> list[str]:
    """A scenario choice: one name from ``configs/scenario`` or a list of them, composed in
    that order as ``scenario=[a,b]`` on the command line (later ones win where they set the same
    parameter; their events are joined). Returns the list of names; ConfigError naming ``key``
    otherwise (a name not among the files, a repeat, an empty or too long list). Only the
    project's own scenario files: no paths."""
    names = [value] if isinstance(value, str) else value
    known = scenario_names()
    if not isinstance(names, list | tuple) or not names or len(names) > MAX_COMPOSED:
        raise ConfigError(key, f"must be a scenario name or a list of 1 to {MAX_COMPOSED} of "
                               f"them (got {value!r}); known: {', '.join(known)}")
    for k, name in enumerate(names):
        where = key if isinstance(value, str) else f"{key}[{k}]"
        if not isinstance(name, str) or name not in known:
            raise ConfigError(where, f"no scenario {name!r} in configs/scenario; known: "
                                     f"{', '.join(known)}")
        if name in names[:k]:
            raise ConfigError(where, f"{name} is chosen twice")
    return list(names)


def scenario_override(names: list[str]) -> str:
    """``scenario=NAME`` or ``scenario=[A,B]`` (Hydra's list syntax, as on the command line)."""
    return f"scenario={names[0]}" if len(names) == 1 else f"scenario=[{','.join(names)}]"


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
    finance: list[dict] = field(default_factory=list)  # finance_row() after each day
    _cache: tuple = field(default=(-1, None), repr=False)
    _shown: tuple = field(default=(-1, None), repr=False)

    @property
    def day(self) -> int:
        return self.model.output_day

    def advance(self, days: int) -> None:
        """Simulate ``days`` more days, keeping the day's funding and reserves."""
        for _ in range(days):
            self.model.run(1)
            self.finance.append(finance_row(self.model))

    def timeseries(self) -> pd.DataFrame:
        """The daily outcomes so far (cached for the day: the page asks often)."""
        if self._cache[0] != self.day:
            self._cache = (self.day, self.model.timeseries())
        return self._cache[1]

    def shown_table(self) -> pd.DataFrame:
        """The columns the page shows, built cheaply from the daily rows (same numbers as
        :meth:`timeseries`: :func:`sim.dashboard.charts.light_table`)."""
        from sim.dashboard.charts import light_table

        if self._shown[0] != self.day:
            self._shown = (self.day, light_table(self.model.rows))
        return self._shown[1]

    def pending(self) -> list[int]:
        """Indices in ``injects`` of the injects not applied yet (dated after the day)."""
        return [k for k, e in enumerate(self.injects) if e["day"] > self.day]

    def __getstate__(self) -> dict:
        """A copy (checkpoint, fork) leaves the page's table caches behind: they are rebuilt
        from the model's rows when asked for, and copying them costs time and memory."""
        return {k: v for k, v in self.__dict__.items() if k not in ("_cache", "_shown")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, _cache=(-1, None), _shown=(-1, None))


def freeze(obj) -> bytes:
    """A model or branch as bytes (a pickle): a copy nothing can change, of the same state and
    random streams (``CommunityModel.save`` relies on pickling continuing a run byte for
    byte). Checkpoints and the day-0 origin are kept so: taking one costs one pickling, and
    each fork or replay from it one unpickling (:func:`thaw`), not both."""
    return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)


def thaw(data: bytes):
    """A live copy of what :func:`freeze` kept. Only ever bytes this process made from its own
    objects in memory: nothing read from a file is unpickled."""
    return pickle.loads(data)  # noqa: S301


def clone(obj):
    """A deep copy of a model or branch by a pickle round trip (:func:`freeze`, :func:`thaw`),
    for a third of ``copy.deepcopy``'s time on a county."""
    return thaw(freeze(obj))


def finance_row(model: CommunityModel) -> dict:
    """Money of the VCSE groups now: reserves held by open groups and their core funding a
    year after cuts (read from the model, which this never changes)."""
    groups = [g for g in model.groups if g.is_open]
    return {"day": model.output_day,
            "reserves_gbp": float(sum(max(g.balance, 0.0) for g in groups)),
            "core_funding_gbp_per_year": float(sum(g.annual_funding * (1.0 - g.funding_cut)
                                                   for g in groups)),
            "groups_open": len(groups)}


class Exercise:
    """A facilitated exercise on one configuration: named branches, checkpoints, a log.

    ``step()`` advances every branch by one day. Construction never raises for a bad choice;
    the reason is kept in ``error`` and the exercise has no branches. (``scenario_name``, not
    ``scenario``, as Mesa models reserve ``scenario``.) Thread safe: every method holds
    ``lock``.
    """

    def __init__(self, topology: str = "urban", scenario_name: str | list[str] = "baseline",
                 seed: int | str = 20201, n_residents: int | str = 0,
                 overrides: tuple[str, ...] | list[str] = ()):
        self.lock = threading.RLock()
        self.log: list[dict] = []
        self.branches: dict[str, Branch] = {}
        # {id, branch, day, injects, state}: state is the branch frozen (freeze) at the
        # checkpoint, or None (rebuilt by replay when a fork needs it)
        self.checkpoints: list[dict] = []
        self.base_config: Config | None = None
        self.error = ""
        self.settings = {"topology": topology, "scenario": scenario_name, "seed": seed,
                         "n_residents": n_residents, "overrides": list(overrides)}
        self.overrides = [f"topology={topology}", f"scenario={scenario_name}", f"run.seed={seed}"]
        self._origin: bytes = b""  # the model on day 0, frozen: what replays start from
        try:
            if topology not in TOPOLOGIES:
                raise ConfigError("topology", f"must be one of {', '.join(TOPOLOGIES)} "
                                              f"(got {topology!r})")
            names = check_scenarios(scenario_name)
            seed = whole_number(seed, "run.seed")
            n = whole_number(n_residents or 0, "topology.n_residents")
            if n > MAX_RESIDENTS:
                raise ConfigError("topology.n_residents", f"must be at most {MAX_RESIDENTS:,} "
                                                          f"(got {n:,})")
            self.settings.update(seed=seed, n_residents=n,
                                 scenario=names[0] if len(names) == 1 else names)
            self.overrides = [f"topology={topology}", scenario_override(names),
                              f"run.seed={seed}", *([f"topology.n_residents={n}"] if n else []),
                              *overrides]
            self.base_config = compose(self.overrides)
            cache = self.base_config.run.burn_in_cache or default_cache_dir()
            model = build_model(self.base_config, cache)
            self._origin = freeze(model)
            self.branches["A"] = Branch("A", model)
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
            before = self.day
            for b in self.branches.values():
                b.advance(1)
            self._log_scenario(before, self.day)

    def _log_scenario(self, after: int, upto: int) -> None:
        """Log the scenario's own events of days ``after+1 .. upto`` (every branch has them)."""
        for e in self.scenario_events():
            if after < int(e["day"]) <= upto:
                self._log("all", int(e["day"]), "scenario", kind=e["kind"],
                          params=e.get("params") or {}, text=describe(e["kind"]))

    def run_to(self, day: int) -> None:
        """Advance every branch that is behind ``day`` up to it."""
        if not isinstance(day, int) or isinstance(day, bool) or not 0 <= day <= MAX_DAY:
            raise ConfigError("run to day", f"must be a whole number from 0 to {MAX_DAY} "
                                            f"(got {day!r})")
        with self.lock:
            before = self.day
            for b in self.branches.values():
                if b.day < day:
                    b.advance(day - b.day)
            self._log_scenario(before, self.day)

    def branch(self, name: str) -> Branch:
        if name not in self.branches:
            raise ConfigError("branch", f"no branch {name!r}; branches: "
                                        f"{', '.join(self.branches) or 'none'}")
        return self.branches[name]

    def scenario_events(self) -> list[dict]:
        """The scenario's own events ``{day, kind, params, name}`` in day order."""
        if self.base_config is None:
            return []
        out = [{**copy.deepcopy(e), "name": name}
               for name, e in named_events(self.base_config.events).items()]
        return sorted(out, key=lambda e: int(e["day"]))

    def timeline(self, branch: str) -> list[dict]:
        """Every event of ``branch``: the scenario's and its injects, each with ``source``
        (scenario / inject), ``status`` (delivered / planned) and, for injects, ``index``."""
        with self.lock:
            b = self.branch(branch)
            rows = [{"day": int(e["day"]), "kind": e["kind"], "params": dict(e.get("params")
                                                                              or {}),
                     "source": "scenario", "index": None} for e in self.scenario_events()]
            rows += [{**e, "source": "inject", "index": k} for k, e in enumerate(b.injects)]
            for r in rows:
                r["status"] = "delivered" if r["day"] <= b.day else "planned"
            return sorted(rows, key=lambda r: (r["day"], r["source"] != "scenario"))

    # ------------------------------------------------------------------ injects and notes
    def inject(self, kind: str, params: dict | None = None, branch: str = "A") -> dict:
        """Validate an event and schedule it at the start of the branch's next day.

        ``params`` values may be text from a form (parsed with :func:`parse_value`); empty
        values take the event's default. Raises :class:`ConfigError` naming the parameter
        (nothing is changed then). Returns the scheduled entry ``{day, kind, params}``.
        """
        with self.lock:
            b = self.branch(branch)
            if len(b.injects) >= MAX_INJECTS:
                raise ConfigError("inject", f"branch {branch} has {MAX_INJECTS} injects already")
            raw = {k: parse_value(v) for k, v in (params or {}).items()}
            raw = {k: v for k, v in raw.items() if v is not None}
            day = b.day + 1
            ev = events.check_event(events.Event(day, kind, raw), "inject")
            probe = clone(b.model)  # dry run: errors that only show when applied
            probe.apply_event(ev.kind, ev.params)
            entry = self._schedule(b, {"day": day, "kind": ev.kind, "params": dict(ev.params)})
            self._log(branch, day, "inject", kind=ev.kind, params=ev.params,
                      text=describe(ev.kind))
            return entry

    @staticmethod
    def _schedule(b: Branch, entry: dict) -> dict:
        ev = events.Event(entry["day"], entry["kind"], dict(entry["params"]))
        b.model.timeline.by_day.setdefault(entry["day"], []).append(ev)
        b.injects.append(entry)
        return entry

    def undo(self, branch: str, index: int) -> dict:
        """Remove the pending inject ``index`` (position in the branch's injects) before it
        takes effect; an inject already applied cannot be undone (fork from a checkpoint
        before it instead)."""
        with self.lock:
            b = self.branch(branch)
            if not isinstance(index, int) or not 0 <= index < len(b.injects):
                raise ConfigError("undo", f"branch {branch} has no inject {index!r}")
            entry = b.injects[index]
            if entry["day"] <= b.day:
                raise ConfigError("undo", f"{entry['kind']} took effect on day {entry['day']}: "
                                          "only a pending inject can be undone")
            todays = b.model.timeline.by_day.get(entry["day"], [])
            same = [k for k, ev in enumerate(todays)
                    if ev.kind == entry["kind"] and dict(ev.params) == entry["params"]]
            del todays[same[-1]]  # same kind and params on the same day: interchangeable
            del b.injects[index]
            self._log(branch, entry["day"], "undo", kind=entry["kind"], params=entry["params"],
                      text="pending inject removed before it took effect")
            return entry

    def load_msel(self, text: str, name: str, branch: str = "A") -> list[dict]:
        """Schedule a Master Scenario Events List (:mod:`sim.dashboard.msel`) on ``branch``:
        every row checked, then the whole list dry-run on a copy of the model, before any is
        scheduled (all or nothing). Returns the scheduled entries."""
        from sim.dashboard import msel

        rows = msel.parse(text, name)
        with self.lock:
            b = self.branch(branch)
            entries = msel.check(rows, b.day)
            if len(b.injects) + len(entries) > MAX_INJECTS:
                raise ConfigError("msel", f"branch {branch} would have more than {MAX_INJECTS} "
                                          "injects")
            probe = clone(b.model)  # dry run, in day order, as they will happen
            for e in sorted(entries, key=lambda e: e["day"]):
                probe.apply_event(e["kind"], e["params"])
            for e in entries:
                self._schedule(b, {"day": e["day"], "kind": e["kind"], "params": e["params"]})
                text = " - ".join(x for x in (e["description"], e["audience"] and
                                              f"to: {e['audience']}") if x)
                self._log(branch, e["day"], "msel", kind=e["kind"], params=e["params"],
                          text=text or describe(e["kind"]))
            return entries

    def note(self, text: str, branch: str = "A") -> None:
        """A facilitator's note, logged at the branch's current day."""
        text = (text or "").strip()
        if not text:
            raise ConfigError("note", "is empty")
        if len(text) > MAX_TEXT:
            raise ConfigError("note", f"is longer than {MAX_TEXT} characters")
        with self.lock:
            self._log(branch, self.branch(branch).day, "note", text=text)

    def _log(self, branch: str, day: int, entry: str, kind: str = "", params: dict | None = None,
             text: str = "") -> None:
        if len(self.log) >= MAX_LOG:
            raise ConfigError("log", f"the exercise log is full ({MAX_LOG} entries)")
        self.log.append({"time": time.strftime("%Y-%m-%d %H:%M:%S"), "branch": branch,
                         "day": day, "entry": entry, "kind": kind,
                         "params": dict(params or {}), "text": text})

    # ------------------------------------------------------------------ checkpoints and forks
    @property
    def checkpoint_state(self) -> Branch | None:
        """A copy of the newest checkpoint's branch (None before the first checkpoint)."""
        return thaw(self._checkpoint_branch(self.checkpoints[-1])) if self.checkpoints else None

    def checkpoint(self, branch: str = "A") -> int:
        """Keep ``branch`` (state, random streams, injects, pending ones too) at its current
        day; a new branch can be forked from it later. Returns the day."""
        with self.lock:
            b = self.branch(branch)
            if len(self.checkpoints) >= MAX_CHECKPOINTS:
                raise ConfigError("checkpoint", f"at most {MAX_CHECKPOINTS} checkpoints")
            cp_id = f"{branch}@{b.day}"
            if any(c["id"] == cp_id for c in self.checkpoints):
                cp_id += f"#{sum(c['id'].startswith(cp_id) for c in self.checkpoints) + 1}"
            self.checkpoints.append({"id": cp_id, "branch": branch, "day": b.day,
                                     "injects": copy.deepcopy(b.injects),
                                     "state": freeze(b)})
            for old in self.checkpoints[:-KEPT_CHECKPOINTS]:
                old["state"] = None  # rebuilt by replay if a fork needs it
            self._log(branch, b.day, "checkpoint", text=f"checkpoint {cp_id}")
            return b.day

    def _checkpoint_branch(self, cp: dict) -> bytes:
        """The checkpoint's branch, frozen (rebuilt by replay if it is not in memory)."""
        if cp["state"] is None:
            cp["state"] = freeze(self._replay(cp["branch"], cp["injects"], cp["day"]))
        return cp["state"]

    def _replay(self, name: str, injects: list[dict], day: int,
                checkpoints: list[dict] = ()) -> Branch:
        """A branch rebuilt from day 0 with these injects (the model is deterministic). On the
        way it freezes the ``checkpoints`` it passes: those of this branch taken when it had
        exactly these injects (the same state at that day), so a fork from them after a
        restore needs no replay of its own."""
        b = Branch(name, thaw(self._origin))
        for entry in injects:
            self._schedule(b, copy.deepcopy(entry))
        for cp in sorted(checkpoints, key=lambda c: c["day"]):
            if cp["branch"] == name and cp["injects"] == injects and b.day <= cp["day"] <= day:
                b.advance(cp["day"] - b.day)
                cp["state"] = freeze(b)
        b.advance(day - b.day)
        return b

    def fork(self, name: str = "B", checkpoint: str | None = None) -> Branch:
        """Start branch ``name`` from checkpoint ``checkpoint`` (an id such as ``A@20``; the
        newest if not given; branch A now if there is none). Pending injects of the
        checkpoint come with it and are named in the log (undo them on the new branch)."""
        with self.lock:
            check_branch_name(name)
            if name == "A":
                raise ConfigError("branch", "A is the main branch; fork to another name")
            if name not in self.branches and len(self.branches) >= MAX_BRANCHES:
                raise ConfigError("branch", f"at most {MAX_BRANCHES} branches")
            if checkpoint is None:
                new = (thaw(self._checkpoint_branch(self.checkpoints[-1])) if self.checkpoints
                       else clone(self.branch("A")))
            else:
                found = [c for c in self.checkpoints if c["id"] == checkpoint]
                if not found:
                    raise ConfigError("checkpoint", f"no checkpoint {checkpoint!r}; checkpoints: "
                                      f"{', '.join(c['id'] for c in self.checkpoints) or 'none'}")
                new = thaw(self._checkpoint_branch(found[0]))  # one unpickling: the fork
            new.forked_from = f"{new.name}@{new.day}"
            new.name = name
            replaced = name in self.branches
            self.branches[name] = new
            pending = [f"{new.injects[k]['kind']} (day {new.injects[k]['day']})"
                       for k in new.pending()]
            self._log(name, new.day, "fork",
                      text=f"{'replaced: ' if replaced else ''}forked from {new.forked_from}"
                           + (f"; carries pending inject(s) {', '.join(pending)}" if pending
                              else ""))
            return new

    def remove_branch(self, name: str) -> None:
        """Drop a branch (not A)."""
        with self.lock:
            self.branch(name)
            if name == "A":
                raise ConfigError("branch", "A is the main branch and cannot be removed")
            del self.branches[name]
            self._log(name, 0, "remove", text=f"branch {name} removed")

    # ------------------------------------------------------------------ saved state
    def state(self) -> dict:
        """Everything needed to rebuild the exercise, as plain JSON data."""
        with self.lock:
            return {
                "format": STATE_FORMAT, "version": STATE_VERSION,
                "settings": copy.deepcopy(self.settings),
                "branches": {k: {"day": b.day, "forked_from": b.forked_from,
                                 "injects": copy.deepcopy(b.injects)}
                             for k, b in self.branches.items()},
                "checkpoints": [{k: copy.deepcopy(c[k]) for k in ("id", "branch", "day",
                                                                  "injects")}
                                for c in self.checkpoints],
                "log": copy.deepcopy(self.log)}

    def state_json(self) -> str:
        return json.dumps(self.state(), indent=1, sort_keys=False, allow_nan=False)

    @classmethod
    def from_state(cls, doc: dict) -> Exercise:
        """Rebuild an exercise from :meth:`state` (checked with :func:`check_state` first):
        every branch replayed from day 0 with its injects to its day. Raises ConfigError."""
        doc = check_state(doc)
        st = doc["settings"]
        ex = cls(st["topology"], st["scenario"], st["seed"], st["n_residents"],
                 overrides=st["overrides"])
        if ex.error:
            raise ConfigError("settings", ex.error)
        ex.checkpoints = [{**c, "state": None} for c in doc["checkpoints"]]
        kept = ex.checkpoints[-KEPT_CHECKPOINTS:]  # the ones a live exercise keeps in memory
        for name, b in doc["branches"].items():
            new = ex._replay(name, b["injects"], b["day"], kept)
            new.forked_from = b["forked_from"]
            ex.branches[name] = new
        ex.branches = {k: ex.branches[k] for k in doc["branches"]}
        ex.log = doc["log"]
        return ex

    # ------------------------------------------------------------------ exports
    def log_frame(self) -> pd.DataFrame:
        rows = [{**e, "params": json.dumps(e["params"], sort_keys=True) if e["params"] else ""}
                for e in self.log]
        return pd.DataFrame(rows, columns=list(LOG_COLUMNS))

    def log_csv(self) -> str:
        """The log with the outcomes: :func:`sim.dashboard.exports.log_csv`."""
        from sim.dashboard.exports import log_csv

        return log_csv(self)

    def log_markdown(self) -> str:
        """The log with the outcomes: :func:`sim.dashboard.exports.log_markdown`."""
        from sim.dashboard.exports import log_markdown

        return log_markdown(self)

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



def describe(kind: str) -> str:
    """An event kind's description: its first paragraph, whole (the docstring's lines joined,
    never cut mid-sentence)."""
    doc = events.REGISTRY[kind].doc if kind in events.REGISTRY else ""
    return " ".join(doc.strip().split("\n\n")[0].split()) if doc else ""


def check_branch_name(name) -> str:
    if not isinstance(name, str) or not BRANCH_NAME.match(name):
        raise ConfigError("branch", "a name is 1-24 letters, digits, '-' or '_', starting with a "
                                    f"letter or digit (got {name!r})")
    return name


def _need(doc: dict, key: str, types, where: str):
    if key not in doc:
        raise ConfigError(f"{where}.{key}" if where else key, "is missing")
    value = doc[key]
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in (
            types if isinstance(types, tuple) else (types,))):
        names = " or ".join(t.__name__ for t in (types if isinstance(types, tuple) else (types,)))
        raise ConfigError(f"{where}.{key}" if where else key,
                          f"must be {names} (got {type(value).__name__})")
    return value


def _keys(doc: dict, allowed: tuple, where: str) -> None:
    extra = sorted(set(doc) - set(allowed))
    if extra:
        raise ConfigError(f"{where}.{extra[0]}" if where else extra[0],
                          f"unknown key; allowed: {', '.join(allowed)}")


def _whole(value, key: str, hi: int, lo: int = 0) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise ConfigError(key, f"must be a whole number from {lo} to {hi} (got {value!r})")
    return value


def _text(value, key: str, limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise ConfigError(key, f"must be text of at most {limit} characters")
    return value


def _check_injects(items, where: str) -> list[dict]:
    if not isinstance(items, list) or len(items) > MAX_INJECTS:
        raise ConfigError(where, f"must be a list of at most {MAX_INJECTS} injects")
    out = []
    for k, e in enumerate(items):
        key = f"{where}[{k}]"
        if not isinstance(e, dict):
            raise ConfigError(key, "must be a mapping with day, kind and params")
        _keys(e, ("day", "kind", "params"), key)
        day = _whole(_need(e, "day", int, key), f"{key}.day", MAX_DAY, 1)
        kind = _need(e, "kind", str, key)
        params = _need(e, "params", dict, key)
        ev = events.check_event(events.Event(day, kind, dict(params)), key)
        out.append({"day": day, "kind": ev.kind, "params": dict(ev.params)})
    return out


def check_state(doc) -> dict:
    """Check a saved exercise (plain data read from JSON) key by key: known keys only, every
    value of the right type and range, sizes bounded, events valid. Returns the document
    (normalised); ConfigError naming the key otherwise. Nothing in it can run code: it is
    data, and no key may name Hydra settings, ``_target_`` or interpolations."""
    if not isinstance(doc, dict):
        raise ConfigError("exercise", f"must be a JSON object (got {type(doc).__name__})")
    check_plain(doc, "", "an exercise file", "exercise")
    _keys(doc, ("format", "version", "settings", "branches", "checkpoints", "log"), "")
    if doc.get("format") != STATE_FORMAT:
        raise ConfigError("format", f"must be {STATE_FORMAT!r}: this is not a saved exercise")
    if doc.get("version") != STATE_VERSION:
        raise ConfigError("version", f"must be {STATE_VERSION} (got {doc.get('version')!r})")
    st = _need(doc, "settings", dict, "")
    _keys(st, ("topology", "scenario", "seed", "n_residents", "overrides"), "settings")
    topology = _need(st, "topology", str, "settings")
    if topology not in TOPOLOGIES:
        raise ConfigError("settings.topology", f"must be one of {', '.join(TOPOLOGIES)} "
                                               f"(got {topology!r})")
    scenario = _need(st, "scenario", (str, list), "settings")
    names = check_scenarios(scenario, "settings.scenario")
    scenario = names[0] if len(names) == 1 else names
    seed = _whole(_need(st, "seed", int, "settings"), "settings.seed", 2**32 - 1)
    n = _whole(_need(st, "n_residents", int, "settings"), "settings.n_residents", MAX_RESIDENTS)
    overrides = _need(st, "overrides", list, "settings")
    keys = set(parameter_keys())
    if len(overrides) > 50:
        raise ConfigError("settings.overrides", "at most 50 overrides")
    for k, o in enumerate(overrides):
        m = EXTRA_OVERRIDE.match(o) if isinstance(o, str) else None
        if not m or m.group(1) not in keys:
            raise ConfigError(f"settings.overrides[{k}]", "must be KEY=VALUE with a model "
                              f"parameter key and a plain number, word or flag (got {o!r})")
    branches = _need(doc, "branches", dict, "")
    if "A" not in branches or len(branches) > MAX_BRANCHES:
        raise ConfigError("branches", f"must hold branch A and at most {MAX_BRANCHES} branches")
    out_branches = {}
    for name, b in branches.items():
        check_branch_name(name)
        key = f"branches.{name}"
        if not isinstance(b, dict):
            raise ConfigError(key, "must be a mapping with day, forked_from and injects")
        _keys(b, ("day", "forked_from", "injects"), key)
        out_branches[name] = {
            "day": _whole(_need(b, "day", int, key), f"{key}.day", MAX_DAY),
            "forked_from": _text(_need(b, "forked_from", str, key), f"{key}.forked_from", 40),
            "injects": _check_injects(_need(b, "injects", list, key), f"{key}.injects")}
    cps = _need(doc, "checkpoints", list, "")
    if len(cps) > MAX_CHECKPOINTS:
        raise ConfigError("checkpoints", f"at most {MAX_CHECKPOINTS} checkpoints")
    out_cps = []
    for k, c in enumerate(cps):
        key = f"checkpoints[{k}]"
        if not isinstance(c, dict):
            raise ConfigError(key, "must be a mapping with id, branch, day and injects")
        _keys(c, ("id", "branch", "day", "injects"), key)
        out_cps.append({"id": _text(_need(c, "id", str, key), f"{key}.id", 40),
                        "branch": check_branch_name(_need(c, "branch", str, key)),
                        "day": _whole(_need(c, "day", int, key), f"{key}.day", MAX_DAY),
                        "injects": _check_injects(_need(c, "injects", list, key),
                                                  f"{key}.injects")})
    log = _need(doc, "log", list, "")
    if len(log) > MAX_LOG:
        raise ConfigError("log", f"at most {MAX_LOG} entries")
    out_log = []
    for k, e in enumerate(log):
        key = f"log[{k}]"
        if not isinstance(e, dict):
            raise ConfigError(key, "must be a mapping")
        _keys(e, LOG_COLUMNS, key)
        params = _need(e, "params", dict, key)
        if len(json.dumps(params)) > MAX_TEXT:
            raise ConfigError(f"{key}.params", f"longer than {MAX_TEXT} characters")
        out_log.append({"time": _text(_need(e, "time", str, key), f"{key}.time", 40),
                        "branch": _text(_need(e, "branch", str, key), f"{key}.branch", 24),
                        "day": _whole(_need(e, "day", int, key), f"{key}.day", MAX_DAY),
                        "entry": _text(_need(e, "entry", str, key), f"{key}.entry", 20),
                        "kind": _text(_need(e, "kind", str, key), f"{key}.kind", 60),
                        "params": params,
                        "text": _text(_need(e, "text", str, key), f"{key}.text")})
    return {"format": STATE_FORMAT, "version": STATE_VERSION,
            "settings": {"topology": topology, "scenario": scenario, "seed": seed,
                         "n_residents": n, "overrides": list(overrides)},
            "branches": out_branches, "checkpoints": out_cps, "log": out_log}


def read_state(data: bytes | str) -> dict:
    """A saved exercise file's text -> checked state (ConfigError with a clear message)."""
    if len(data) > MAX_STATE_BYTES:
        raise ConfigError("exercise", f"file is larger than {MAX_STATE_BYTES:,} bytes")
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ConfigError("exercise", "is not UTF-8 text (a saved exercise is JSON)") from None

    def no_constants(name):
        raise ConfigError("exercise", f"{name} is not a number (a saved exercise is plain JSON)")

    try:
        doc = json.loads(data, parse_constant=no_constants)
    except json.JSONDecodeError as exc:
        raise ConfigError("exercise", f"is not valid JSON ({exc.msg} at line {exc.lineno}, "
                                      f"column {exc.colno})") from None
    return check_state(doc)
