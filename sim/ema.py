"""EMA Workbench adapter: the model as an exploratory-modelling ``Model`` (optional extra ``ema``).

Install with ``pip install "community-response-sim[ema]"`` (EMA Workbench 3.x)::

    from ema_workbench import SequentialEvaluator
    import sim.ema

    model = sim.ema.model(
        uncertainties=["help_seeking.p_signposted_to_lw",       # range from params.py plausible=
                       ("need.p_onset_per_day", 0.0005, 0.003),  # or given
                       ("topology", ["urban", "rural"])],        # configuration files by name
        levers=[("scenario", ["baseline", "passporting"])],
        outcomes=["unmet_need_days_per_1000_residents", "client_mean_age"],  # summary keys
        days=60, constants={"run.burn_in_days": 0})
    with SequentialEvaluator(model) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=8, policies=2)
    sim.ema.provenance(model, experiments)   # config hash per experiment, git revision, versions

**What an experiment runs.** :func:`model` composes a base configuration once, as
:func:`sim.configure` does (``base``, then ``topology=``/``scenario=`` files, then ``days`` as
``run.days``, then ``constants``). Each experiment then calls ``sim.configure(base_config,
topology=..., scenario=..., **values)`` with the experiment's values (uncertainties, levers and
the replicate) by dotted key, runs :func:`sim.run` and returns the requested summary keys as
Python floats. Every run has every documented summary key (:mod:`sim.outputs`), NaN where a
figure is undefined (no referrals, no volunteers...), so an outcome is never missing; EMA stores
NaN as NaN.

**Parameters.** An uncertainty or lever is

* a dotted key (``"need.p_onset_per_day"``): its range is the parameter's documented
  ``plausible=`` range in :mod:`sim.params` and its EMA type follows the declared type
  (``float`` -> ``RealParameter``, ``int`` -> ``IntegerParameter``); a ``bool`` needs no range
  (``BooleanParameter``) and a parameter with declared ``choices`` becomes a
  ``CategoricalParameter``. A key without a plausible range must be given one;
* ``(key, lo, hi)``: an explicit range (an int parameter needs whole-number bounds). Event
  parameters (``events.NAME.params.X``, for an event of the base configuration) always need one;
* ``(key, [choice, ...])``: a ``CategoricalParameter``; ``"scenario"`` and ``"topology"`` take
  the names of configuration files (``configs/scenario``, ``configs/topology``) this way, as
  parameters named ``scenario_file`` and ``topology_file`` (EMA's experiments table has its own
  ``scenario`` and ``policy`` columns: the ids of its samples);
* an EMA parameter object whose ``variable_name`` (or name) is a dotted key.

EMA Workbench 3 wants names that are Python identifiers, so the EMA name of a key (its column in
``experiments``) has ``__`` for ``.`` (:func:`ema_name`: ``need__p_onset_per_day``) and its
``variable_name`` is the dotted key, which is what the model function receives.

Every name is checked when the model is built: an unknown key, an unknown outcome, a range that
the parameter's allowed range refuses (both ends are composed and validated) or a name given
twice raises :class:`~sim.params.ConfigError` naming it (with close matches), before any
experiment runs.

**Seeds (common random numbers).** ``run.seed`` is the same for every experiment (the base
configuration's). With ``replications=1`` an experiment runs the base configuration's
``run.replicate`` (0 unless changed) and :func:`model` returns an EMA ``Model``. With
``replications=k > 1`` it returns a ``ReplicatorModel`` whose replicate ``r`` (0..k-1) runs with
``run.replicate=r``: replicate ``r`` draws the same random streams in every experiment, so two
policies, or two scenarios, are compared on paired runs. Each outcome is then an array of ``k``
values in replicate order (``ArrayOutcome``), or one number if ``aggregate=`` is given (for
instance ``numpy.mean``).

EMA Workbench keeps one outcome class per name in a process (for ``save_results``): a summary
key used as an array outcome cannot later be a scalar one in the same process; :func:`model`
refuses it with a ConfigError saying so.

**Provenance.** It is exposed by the model, not stored as outcomes (EMA outcomes are numbers):
:func:`provenance` ``(model, experiments)`` gives the git revision of the code, the package
versions (:func:`sim.io.versions`) and, per experiment row, the hash of the configuration that
produced it (:func:`sim.io.config_hash`, one per replicate), rebuilt from the experiment's
values; :func:`config` gives the full :class:`~sim.params.Config` of any experiment row, so any
result can be rerun with ``sim.run``.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sim.params import Config, ConfigError, close_matches, unknown_parameter

try:
    import ema_workbench as _ema
except ImportError:  # pragma: no cover - the optional extra is missing
    _ema = None

FILE_GROUPS = ("topology", "scenario")  # chosen by file name, as sim.configure's arguments
# EMA's experiments table has its own ``scenario`` and ``policy`` columns (the sample ids), so
# the file choices are named topology_file and scenario_file there
FILE_PARAMS = {"topology": "topology_file", "scenario": "scenario_file",
               "topology_file": "topology_file", "scenario_file": "scenario_file"}
GROUP_OF = {"topology_file": "topology", "scenario_file": "scenario"}


def _require_ema():
    if _ema is None:
        raise ImportError("sim.ema needs EMA Workbench: pip install "
                          "'community-response-sim[ema]' (or pip install ema_workbench)")
    return _ema


# ---------------------------------------------------------------------------- parameters


def _field(key: str) -> dataclasses.Field | None:
    """The dataclass field of a dotted parameter key, or None."""
    node: Any = Config()
    *path, leaf = key.split(".")
    for part in path:
        node = getattr(node, part, None)
        if not dataclasses.is_dataclass(node):
            return None
    for f in dataclasses.fields(node):
        if f.name == leaf and not dataclasses.is_dataclass(getattr(node, leaf)):
            return f
    return None


def _type_name(f: dataclasses.Field) -> str:
    return f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")


def _event_value(base: Config, key: str) -> Any:
    """The current value of ``events.NAME.params.X`` in ``base``; ConfigError if the event
    (or, for a parameter, the key shape) does not exist."""
    parts = key.split(".")
    events = base.events if isinstance(base.events, dict) else {}
    if len(parts) < 3 or parts[1] not in events:
        known = ", ".join(events) or "none"
        raise ConfigError(key, f"no such event in the base configuration (events: {known})")
    node: Any = events
    for part in parts[1:]:
        node = node.get(part) if isinstance(node, dict) else None
    return node


def ema_name(key: str) -> str:
    """The EMA name of a dotted key: a Python identifier, as EMA Workbench 3 asks of every name
    (``need.p_onset_per_day`` -> ``need__p_onset_per_day``; the parameter's ``variable_name``
    keeps the dotted key, which is what the model function receives)."""
    return key.replace(".", "__")


def dotted_key(name: str) -> str:
    """The dotted key of an EMA name (:func:`ema_name` reversed; a dotted key is kept)."""
    return name.replace("__", ".")


def _whole(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _make_parameter(spec: Any, base: Config, role: str):
    """An EMA parameter from a spec (see the module docstring)."""
    ema = _require_ema()
    if isinstance(spec, ema.em_framework.parameters.Parameter):
        key = spec.variable_name[0] if len(spec.variable_name) == 1 else spec.name
        if spec.name in FILE_GROUPS or key in FILE_GROUPS:
            raise ConfigError(spec.name, f"name the parameter {FILE_PARAMS[spec.name]!r} "
                                         f"(EMA's experiments table has its own {spec.name!r})")
        if key not in FILE_PARAMS:
            key = dotted_key(key)
            _check_key(key, base)
            spec.variable_name = key
        return spec
    if isinstance(spec, str):
        key, rest = dotted_key(spec), ()
    elif isinstance(spec, Sequence) and spec and isinstance(spec[0], str):
        key, rest = dotted_key(spec[0]), tuple(spec[1:])
    else:
        raise ConfigError(role, f"each entry must be a dotted key, (key, lo, hi), (key, [choices])"
                                f" or an EMA parameter (got {spec!r})")
    if len(rest) == 1 and isinstance(rest[0], Sequence) and not isinstance(rest[0], str):
        choices = list(rest[0])
        if len(choices) < 2:
            raise ConfigError(key, f"needs at least two choices (got {choices!r}); fix a single "
                                   "value with constants= (or topology=/scenario=)")
        if key in FILE_PARAMS:
            return ema.CategoricalParameter(FILE_PARAMS[key], choices)
        _check_key(key, base)
        return ema.CategoricalParameter(ema_name(key), choices, variable_name=key)
    if key in FILE_PARAMS:
        raise ConfigError(key, f"give the {GROUP_OF[FILE_PARAMS[key]]} files to choose from: "
                               f"({key!r}, [name, ...])")
    kind = _check_key(key, base)
    f = _field(key)
    meta = dict(f.metadata) if f is not None else {}
    if kind not in ("bool", "int", "float") and not meta.get("choices"):
        raise ConfigError(key, f"is not a number or a switch: give its choices as "
                               f"({key!r}, [a, b, ...])")
    if not rest:
        if kind == "bool":
            return ema.BooleanParameter(ema_name(key), variable_name=key)
        if meta.get("choices"):
            return ema.CategoricalParameter(ema_name(key), list(meta["choices"]),
                                            variable_name=key)
        if not meta.get("plausible"):
            where = ("event parameters have no documented range" if f is None else
                     "it has no plausible= range in sim/params.py")
            raise ConfigError(key, f"give its range as ({key!r}, lo, hi): {where}")
        lo, hi = meta["plausible"]
    elif len(rest) == 2:
        lo, hi = rest
    else:
        raise ConfigError(key, f"give a range as ({key!r}, lo, hi) or choices as "
                               f"({key!r}, [a, b, ...]) (got {spec!r})")
    for bound in (lo, hi):
        if isinstance(bound, bool) or not isinstance(bound, numbers.Real):
            raise ConfigError(key, f"range bounds must be numbers (got {lo!r}, {hi!r})")
    if not lo < hi:
        raise ConfigError(key, f"range must have lo < hi (got {lo!r}, {hi!r})")
    if kind == "bool":
        raise ConfigError(key, "is true or false: give it without a range (a BooleanParameter)")
    if kind == "int":
        if not (_whole(lo) or float(lo).is_integer()) or not (_whole(hi) or
                                                                float(hi).is_integer()):
            raise ConfigError(key, f"is a whole number: its range needs whole-number bounds "
                                   f"(got {lo!r}, {hi!r})")
        return ema.IntegerParameter(ema_name(key), int(lo), int(hi), variable_name=key)
    return ema.RealParameter(ema_name(key), float(lo), float(hi), variable_name=key)


def _check_key(key: str, base: Config) -> str:
    """The type word (``float``, ``int``, ``bool``, ``str``) of a dotted key that an experiment
    may set; ConfigError naming it (with close matches) otherwise."""
    if key in FILE_PARAMS:
        return "str"
    if key.startswith("events."):
        value = _event_value(base, key)
        if isinstance(value, bool):
            return "bool"
        return "int" if _whole(value) else "float" if isinstance(value, numbers.Real) else "str"
    f = _field(key)
    if f is None:
        raise unknown_parameter(key)
    return _type_name(f)


# ---------------------------------------------------------------------------- outcomes


def numeric_outcomes() -> tuple[str, ...]:
    """The summary keys that can be EMA outcomes (every numeric one, in dictionary order)."""
    from sim import outputs

    return tuple(e.name for e in outputs.entries("summary") if e.dtype != "str")


def _outcome_names(outcomes: Iterable[str] | None) -> list[str]:
    from sim import outputs

    allowed = numeric_outcomes()
    if outcomes is None:
        return list(allowed)
    if isinstance(outcomes, str):
        outcomes = [outcomes]
    names = list(outcomes)
    bad = [n for n in names if n not in allowed]
    if bad:
        summary = outputs.names("summary")
        parts = []
        for name in bad:
            if name in summary:
                parts.append(f"{name!r} is text, not a number")
            else:
                parts.append(f"{name!r}{close_matches(str(name), list(allowed))}")
        raise ConfigError("outcomes", "no numeric summary output named " + "; ".join(parts)
                          + " (the outputs: sim.outputs.table('summary'))")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError("outcomes", f"listed twice: {', '.join(twice)}")
    return names


def _scalar(value: Any) -> float:
    """A summary value as an EMA scalar: a Python float, NaN for None or a non-number."""
    if value is None or isinstance(value, str):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


# ---------------------------------------------------------------------------- the runner


@dataclasses.dataclass
class Runner:
    """The function EMA calls: ``runner(**experiment) -> {outcome: float}``. Picklable, so
    EMA's multiprocessing evaluator can send it to its workers.

    ``base`` is the composed base configuration; ``origin``, ``files`` and ``own`` are what it
    was composed from (:func:`sim.configure`'s ``base``, the topology/scenario file choices and
    the dotted constants), so an experiment that chooses other files is composed afresh from
    them (never one scenario file on top of another)."""

    base: Config
    outcomes: list[str]
    origin: Any = None
    files: dict = dataclasses.field(default_factory=dict)
    own: dict = dataclasses.field(default_factory=dict)

    def config(self, **values: Any) -> Config:
        """The validated configuration of one experiment (values by dotted key; ``topology`` and
        ``scenario`` by file name)."""
        import sim

        values = {k: v.item() if hasattr(v, "item") and not isinstance(v, str) else v
                  for k, v in values.items()}
        chosen = {GROUP_OF[p]: values.pop(p) for p in GROUP_OF if p in values}
        if chosen:
            return sim.configure(self.origin, **{**self.files, **chosen}, **self.own, **values)
        return sim.configure(self.base, **values)

    def __call__(self, **values: Any) -> dict[str, float]:
        import sim

        result = sim.run(self.config(**values))
        return {name: _scalar(result.summary.get(name)) for name in self.outcomes}


class _Provenance:
    """Mixed into the EMA model classes: the runner's configuration per experiment row."""

    runner: Runner

    def config(self, experiment: Mapping | Any, replicate: int | None = None) -> Config:
        """The :class:`Config` an experiment row ran (a row of ``experiments`` or a dict of
        its values); ``replicate`` picks one replicate of a replicated model."""
        return config(self, experiment, replicate)


if _ema is not None:
    class CommunityModel(_Provenance, _ema.Model):
        """An EMA ``Model`` of the simulation (one run per experiment)."""

    class CommunityReplicatorModel(_Provenance, _ema.ReplicatorModel):
        """An EMA ``ReplicatorModel``: replicate r runs with ``run.replicate=r``."""


def model(name: str = "community", uncertainties: Iterable[Any] = (),
          levers: Iterable[Any] = (), outcomes: Iterable[str] | None = None,
          replications: int = 1, base: Config | tuple | Mapping | None = None,
          topology: str | None = None, scenario: str | list | None = None,
          days: int | None = None, constants: Mapping[str, Any] | None = None,
          aggregate: Callable[[Sequence[float]], float] | None = None):
    """An EMA Workbench model of the simulation (see the module docstring).

    Args:
        name: the EMA model name (a Python identifier).
        uncertainties, levers: parameters as dotted keys (range from the plausible range),
            ``(key, lo, hi)``, ``(key, [choices])`` or EMA parameter objects.
        outcomes: summary keys (:func:`numeric_outcomes`; default: all of them).
        replications: runs per experiment; replicate r runs with ``run.replicate=r``.
        base, topology, scenario: the starting configuration, as :func:`sim.configure` takes
            them (``base=None``: config.yaml's default, urban baseline).
        days: ``run.days`` of every run.
        constants: other dotted values fixed for every experiment (``{"run.burn_in_days": 0}``).
        aggregate: with ``replications > 1``, a function of the replicates' values giving one
            number per experiment (a ``ScalarOutcome``); by default each outcome is an array of
            the replicates' values (an ``ArrayOutcome``).

    Returns:
        An ``ema_workbench.Model`` (``ReplicatorModel`` when ``replications > 1``) with
        :meth:`config` for any experiment row; :func:`provenance` describes its results.
    """
    import sim

    ema = _require_ema()
    if not _whole(replications) or replications < 1:
        raise ConfigError("replications", f"must be a whole number >= 1 (got {replications!r})")
    values = dict(constants or {})
    for key in values:
        if key in FILE_GROUPS:
            raise ConfigError(key, f"choose it with {key}= (not in constants)")
    if days is not None:
        values["run.days"] = days
    files = {g: v for g, v in (("topology", topology), ("scenario", scenario)) if v is not None}
    base_cfg = sim.configure(base, **files, **values)
    names = _outcome_names(outcomes)

    params = {"uncertainties": [_make_parameter(s, base_cfg, "uncertainties")
                                for s in uncertainties],
              "levers": [_make_parameter(s, base_cfg, "levers") for s in levers]}
    seen: dict[str, str] = {}
    for role, plist in params.items():
        for p in plist:
            key = p.variable_name[0]
            if key in seen:
                raise ConfigError(key, f"is given twice (in {seen[key]} and {role})")
            seen[key] = role
    if replications > 1 and "run.replicate" in seen:
        raise ConfigError("run.replicate", "is set by replications= (replicate r runs "
                                           "run.replicate=r); remove it from the "
                                           f"{seen['run.replicate']}")

    runner = Runner(base_cfg, names, base, files, values)
    for role, plist in params.items():
        for p in plist:
            for value in _extremes(p):  # both ends (every choice) compose, before any run
                try:
                    runner.config(**{p.variable_name[0]: value})
                except ConfigError as exc:
                    raise ConfigError(p.variable_name[0],
                                      f"{value!r} (in the {role}) gives an invalid "
                                      f"configuration: {exc}") from exc

    scalar = replications == 1 or aggregate is not None
    try:
        outs = [ema.ScalarOutcome(n, function=None if replications == 1 else aggregate)
                if scalar else ema.ArrayOutcome(n) for n in names]
    except ValueError as exc:  # EMA keeps one outcome class per name per process
        kind = "arrays (replications > 1 without aggregate=)" if not scalar else "scalars"
        raise ConfigError("outcomes", f"EMA Workbench already has some of these outcomes as "
                                      f"another kind in this process ({exc}); here they would "
                                      f"be {kind}: build models whose outcomes are all scalars "
                                      "or all arrays in one process") from exc
    if replications == 1:
        m = CommunityModel(name, function=runner)
    else:
        m = CommunityReplicatorModel(name, function=runner)
        m.replications = [{"run.replicate": r} for r in range(replications)]
    m.outcomes = outs
    m.uncertainties = params["uncertainties"]
    m.levers = params["levers"]
    m.runner = runner
    m.n_replications = replications
    return m


def _extremes(p) -> list:
    """The values of an EMA parameter checked when a model is built: both ends, or every
    choice."""
    if hasattr(p, "categories"):
        return [c.value for c in p.categories]
    if hasattr(p, "lower_bound"):
        return [p.lower_bound, p.upper_bound]
    return [False, True]


# ---------------------------------------------------------------------------- provenance


def _row_values(m, experiment: Mapping | Any) -> dict:
    """An experiment row's values by dotted key (a row may name them by EMA name or key)."""
    getter = experiment.get if hasattr(experiment, "get") else experiment.__getitem__
    out = {}
    for p in [*m.uncertainties, *m.levers]:
        key = p.variable_name[0]
        value = getter(p.name)
        if value is None:
            value = getter(key)
        if value is None:
            raise ConfigError(p.name, "is missing from the experiment row")
        out[key] = value
    return out


def config(m, experiment: Mapping | Any, replicate: int | None = None) -> Config:
    """The :class:`Config` that a model ``m`` (from :func:`model`) ran for one experiment row
    (a row of ``experiments``, or a dict of the uncertainties' and levers' values);
    ``replicate`` picks a replicate of a replicated model (default 0)."""
    values = _row_values(m, experiment)
    if getattr(m, "n_replications", 1) > 1:
        values["run.replicate"] = 0 if replicate is None else int(replicate)
    elif replicate is not None:
        raise ConfigError("replicate", "this model runs one replicate per experiment")
    return m.runner.config(**values)


def provenance(m, experiments=None) -> dict:
    """Where results of the model ``m`` come from.

    Returns a dict: ``git_revision`` (:func:`sim.io.git_revision`; ``-dirty`` when the checkout
    had uncommitted changes), ``versions`` (:func:`sim.io.versions`), ``base_config_hash`` (the
    base configuration's :func:`sim.io.config_hash`), ``replications``, ``outcomes``; and, when
    ``experiments`` (the DataFrame from ``perform_experiments``) is given,
    ``config_hashes``: a pandas DataFrame with one row per experiment (same index) and a
    ``config_hash`` column (``config_hash_r0`` ... one per replicate for a replicated model),
    each the hash of the configuration that row ran.
    """
    import pandas as pd

    from sim.io import config_hash, git_revision, versions

    reps = getattr(m, "n_replications", 1)
    out = {"git_revision": git_revision(), "versions": versions(),
           "base_config_hash": config_hash(m.runner.base), "replications": reps,
           "outcomes": list(m.runner.outcomes)}
    if experiments is not None:
        rows = []
        for _, row in experiments.iterrows():
            if reps == 1:
                rows.append({"config_hash": config_hash(config(m, row))})
            else:
                rows.append({f"config_hash_r{r}": config_hash(config(m, row, r))
                             for r in range(reps)})
        out["config_hashes"] = pd.DataFrame(rows, index=experiments.index)
    return out


__all__ = ["Runner", "config", "dotted_key", "ema_name", "model", "numeric_outcomes",
           "provenance"]
