"""Global sensitivity analysis with SALib: Morris screening and Sobol indices.

    python -m sim.experiments.sensitivity volunteering --method morris [--out DIR]
           [--backend joblib|serial|ray|slurm] [--n-jobs 2] [--ray-address auto]
           [--partition NAME --timeout-min 30 --mem-gb 2 --runs-per-task 10]

The analysis is declared in a YAML file (``configs/sensitivity/NAME.yaml`` or a path):
``parameters`` maps dotted model keys to ``[low, high]`` bounds (checked against the allowed range
of each parameter in :mod:`sim.params`), ``outcomes`` maps summary keys (``summary.json``) to what
they mean, ``base_overrides`` sets the rest of the configuration, and ``morris`` / ``sobol`` the
design sizes. Every sample is one run (``replicates`` runs with replicates 0..k-1 whose outcomes
are averaged), executed through :mod:`sim.experiments.executor`, so an interrupted analysis
resumes where it stopped and a failed sample is reported with its error.

Outputs in the output folder: ``design.parquet`` (the samples), ``runs/`` (one run folder per
sample and replicate, with ``runs/tables``), ``indices.parquet`` and ``indices.csv`` (one row per
outcome, parameter and index, with the outcome's meaning and the index's definition),
``sensitivity.png`` / ``.svg`` and ``sensitivity.json`` (the resolved problem).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.params import Config, ConfigError, iter_params

if TYPE_CHECKING:
    from sim.experiments.executor import Job

METHODS = ("morris", "sobol")
INDEX_MEANING = {
    "mu": "Morris: mean elementary effect (signed)",
    "mu_star": "Morris: mean absolute elementary effect (overall influence)",
    "sigma": "Morris: standard deviation of elementary effects (non-linearity or interactions)",
    "S1": "Sobol: first-order index, share of outcome variance due to this parameter alone",
    "ST": "Sobol: total-order index, share of outcome variance involving this parameter",
}


@dataclass
class Design:
    """A sensitivity analysis as declared in its YAML file (validated)."""

    name: str
    parameters: dict[str, tuple[float, float]]
    outcomes: dict[str, str]
    base_overrides: list[str] = field(default_factory=list)
    replicates: int = 1
    sample_seed: int = 0
    description: str = ""
    morris: dict = field(default_factory=lambda: {"trajectories": 10, "num_levels": 4})
    sobol: dict = field(default_factory=lambda: {"n": 64, "second_order": False})
    integer_keys: tuple[str, ...] = ()

    @property
    def problem(self) -> dict:
        return {"num_vars": len(self.parameters), "names": list(self.parameters),
                "bounds": [list(b) for b in self.parameters.values()]}


def config_path(name_or_path: str) -> Path:
    from sim.config import config_dir

    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml"):
        if not p.is_file():
            raise ConfigError("sensitivity", f"no such file {p}")
        return p
    p = config_dir() / "sensitivity" / f"{name_or_path}.yaml"
    if not p.is_file():
        names = sorted(f.stem for f in p.parent.glob("*.yaml"))
        raise ConfigError("sensitivity", f"no analysis named {name_or_path!r} in "
                                         f"{p.parent} (available: {', '.join(names)})")
    return p


def _number(key: str, v) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise ConfigError(key, f"must be a finite number (got {v!r})")
    return float(v)


def load_design(name_or_path: str) -> Design:
    """Read and validate a sensitivity YAML; errors name the offending key."""
    from omegaconf import OmegaConf

    path = config_path(name_or_path)
    raw = OmegaConf.to_container(OmegaConf.load(path), resolve=True)
    if not isinstance(raw, dict):
        raise ConfigError("sensitivity", f"{path} must hold a mapping")
    known = {f.name for f in dataclasses.fields(Design)} - {"name", "integer_keys"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(unknown[0], f"unknown key in {path.name}; allowed: "
                                      f"{', '.join(sorted(known))}")
    meta = {k: (v, m) for k, v, m in iter_params(Config())}
    params = raw.get("parameters") or {}
    if not isinstance(params, dict) or len(params) < 2:
        raise ConfigError("parameters", "needs at least two `dotted.key: [low, high]` entries")
    bounds: dict[str, tuple[float, float]] = {}
    integers = []
    for key, b in params.items():
        where = f"parameters.{key}"
        if key not in meta:
            raise ConfigError(where, "is not a model parameter (see sim/params.py)")
        default, m = meta[key]
        if isinstance(default, bool) or not isinstance(default, int | float):
            raise ConfigError(where, f"is not numeric (a {type(default).__name__}); only "
                                     "numeric parameters can be varied")
        if not isinstance(b, list | tuple) or len(b) != 2:
            raise ConfigError(where, f"must be [low, high] (got {b!r})")
        low, high = _number(where, b[0]), _number(where, b[1])
        if not low < high:
            raise ConfigError(where, f"low must be below high (got [{low}, {high}])")
        lo, hi = m.get("lo"), m.get("hi")
        if (lo is not None and low < lo) or (hi is not None and high > hi):
            allowed = f"[{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}]"
            raise ConfigError(where, f"bounds [{low}, {high}] leave the allowed range {allowed} "
                                     f"of {key} ({m.get('meaning', '')})")
        if isinstance(default, int):
            integers.append(key)
        bounds[key] = (low, high)
    outcomes = raw.get("outcomes") or {}
    if isinstance(outcomes, list):
        outcomes = {o: "" for o in outcomes}
    if not isinstance(outcomes, dict) or not outcomes:
        raise ConfigError("outcomes", "needs at least one `summary_key: meaning` entry")
    design = Design(name=path.stem, parameters=bounds,
                    outcomes={str(k): str(v or "") for k, v in outcomes.items()},
                    integer_keys=tuple(integers))
    base = raw.get("base_overrides", [])
    if not isinstance(base, list) or not all(isinstance(o, str) for o in base):
        raise ConfigError("base_overrides", "must be a list of `key=value` strings")
    design.base_overrides = base
    clash = [o for o in base if o.split("=", 1)[0].lstrip("+~") in bounds]
    if clash:
        raise ConfigError("base_overrides", f"{clash[0]} sets a parameter that is varied")
    for key in ("replicates", "sample_seed"):
        if key in raw:
            v = raw[key]
            if isinstance(v, bool) or not isinstance(v, int) or v < (1 if key == "replicates"
                                                                     else 0):
                raise ConfigError(key, f"must be a whole number >= "
                                       f"{1 if key == 'replicates' else 0} (got {v!r})")
            setattr(design, key, v)
    design.description = str(raw.get("description", ""))
    design.morris = {**design.morris, **(raw.get("morris") or {})}
    design.sobol = {**design.sobol, **(raw.get("sobol") or {})}
    t, lv = design.morris.get("trajectories"), design.morris.get("num_levels")
    if not isinstance(t, int) or t < 2:
        raise ConfigError("morris.trajectories", f"must be a whole number >= 2 (got {t!r})")
    if not isinstance(lv, int) or lv < 2 or lv % 2:
        raise ConfigError("morris.num_levels", f"must be an even whole number >= 2 (got {lv!r})")
    n = design.sobol.get("n")
    if not isinstance(n, int) or n < 2 or n & (n - 1):
        raise ConfigError("sobol.n", f"must be a power of 2 (Saltelli/Sobol' sequence; "
                                     f"got {n!r})")
    return design


def sample(design: Design, method: str) -> np.ndarray:
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    if method == "morris":
        return morris_sample.sample(design.problem, design.morris["trajectories"],
                                    num_levels=design.morris["num_levels"],
                                    seed=design.sample_seed)
    return sobol_sample.sample(design.problem, design.sobol["n"],
                               calc_second_order=bool(design.sobol["second_order"]),
                               seed=design.sample_seed)


def job_values(design: Design, row: np.ndarray) -> tuple[tuple[str, object], ...]:
    """One sample as parameter values (whole-number parameters rounded)."""
    return tuple((k, int(round(v)) if k in design.integer_keys else float(v))
                 for k, v in zip(design.parameters, row, strict=True))


STUDY_SETTINGS = ("run.plots=false", "run.resident_agents=false")
"""Settings a study's runs take unless its design sets them: no plots, and no Mesa Resident
object per resident (``model.resident(i)`` makes one on demand; the outputs are the same,
``tests/test_people.py``), which a study never reads: building the urban estate's 8,000 cost
about 17 ms a run, some 1.5 % of a run of the urban year (2026-12-06)."""


def job_overrides(design: Design, replicate: int) -> tuple[str, ...]:
    base = list(design.base_overrides)
    given = {o.split("=", 1)[0] for o in base}
    base += [s for s in STUDY_SETTINGS if s.split("=", 1)[0] not in given]
    return (*base, f"run.replicate={replicate}")


def write_design(design: Design, method: str, out: Path) -> np.ndarray:
    """Draw ``design``'s samples for ``method`` and write them to ``out/design.parquet`` (one row
    per sample: its number, then one column per parameter); returns the samples."""
    from sim import io

    X = sample(design, method)
    table = pd.DataFrame(X, columns=list(design.parameters))
    table.insert(0, "sample", np.arange(len(X)))
    io.atomic_write(out / "design.parquet", lambda p: table.to_parquet(p, index=False))
    return X


def design_jobs(design: Design, X: np.ndarray) -> list[Job]:
    """The study's runs in the design's order: sample ``i``, replicate ``r`` in
    ``s{i:05d}-r{r}``.

    Two runs start from the same burnt-in state only if their overrides (the replicate) and
    the values of every varied parameter the burn-in depends on
    (:func:`sim.burn_in.enters_burn_in`) are the same. A run that shares its burn-in with no
    other run of the study does not save its state in ``runs/.burn_in``: nothing would load it
    (one state a run, some 2 MB for the urban estate). Its outputs are the same either way."""
    from collections import Counter

    from sim.burn_in import enters_burn_in
    from sim.experiments.executor import Job

    jobs = [Job(f"s{i:05d}-r{r}", job_overrides(design, r), job_values(design, X[i]))
            for i in range(len(X)) for r in range(design.replicates)]

    def world(job: Job) -> tuple:
        return job.overrides, tuple((k, v) for k, v in job.values if enters_burn_in(k))

    worlds = Counter(map(world, jobs))
    return [dataclasses.replace(j, share_burn_in=worlds[world(j)] > 1) for j in jobs]


def check_outcomes(design: Design) -> None:
    """Run the base configuration for one day and check every outcome is a summary key."""
    from sim import runner
    from sim.config import compose

    keep = [o for o in design.base_overrides
            if o.split("=", 1)[0] not in ("run.days", "run.plots", "run.burn_in_days",
                                          "run.allow_late_events")]
    # one day from the constructed world: only the summary's keys are read
    probe = compose([*keep, "run.days=1", "run.plots=false", "run.burn_in_days=0",
                     "run.allow_late_events=true"])
    keys = runner.run(probe).summary.keys()
    for outcome in design.outcomes:
        if outcome not in keys:
            raise ConfigError(f"outcomes.{outcome}", "is not a summary outcome; available: "
                                                     f"{', '.join(sorted(keys))}")


def analyse(design: Design, method: str, X: np.ndarray, Y: dict[str, np.ndarray]
            ) -> pd.DataFrame:
    """Tidy indices: one row per (outcome, parameter, index)."""
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze

    rows = []
    for outcome, y in Y.items():
        if method == "morris":
            res = morris_analyze.analyze(design.problem, X, y,
                                         num_levels=design.morris["num_levels"],
                                         seed=design.sample_seed)
            pairs = (("mu_star", "mu_star_conf"), ("sigma", None), ("mu", None))
        else:
            res = sobol_analyze.analyze(design.problem, y,
                                        calc_second_order=bool(design.sobol["second_order"]),
                                        seed=design.sample_seed)
            pairs = (("S1", "S1_conf"), ("ST", "ST_conf"))
        for i, name in enumerate(design.parameters):
            for index, conf in pairs:
                rows.append({
                    "method": method, "outcome": outcome,
                    "outcome_meaning": design.outcomes[outcome], "parameter": name,
                    "low": design.parameters[name][0], "high": design.parameters[name][1],
                    "index": index, "value": float(res[index][i]),
                    "conf": float(res[conf][i]) if conf else math.nan,
                    "index_meaning": INDEX_MEANING[index],
                })
    return pd.DataFrame(rows)


def run_analysis(name_or_path: str, method: str = "morris", *, out: str | Path | None = None,
                 backend: str = "joblib", n_jobs: int | None = None,
                 ray_address: str | None = None, progress: bool | None = None,
                 slurm=None) -> dict:
    """Sample, run (resumably), collect and analyse; returns paths and the indices table.
    ``backend``, ``n_jobs``, ``ray_address`` and ``slurm`` (a
    :class:`~sim.experiments.executor.SlurmOptions`) are :func:`run_jobs`'s."""
    from sim import io
    from sim.experiments import figures
    from sim.experiments.collect import collect
    from sim.experiments.executor import run_jobs
    from sim.experiments.runs import write_json_atomic

    if method not in METHODS:
        raise ConfigError("method", f"must be one of {', '.join(METHODS)} (got {method!r})")
    design = load_design(name_or_path)
    check_outcomes(design)
    if backend == "slurm":  # refused before anything is written
        from sim.experiments.executor import check_slurm, slurm_options

        slurm = slurm or slurm_options()
        check_slurm(slurm)
    out = Path(out) if out is not None else Path("outputs/sensitivity") / f"{design.name}-{method}"
    out.mkdir(parents=True, exist_ok=True)
    X = write_design(design, method, out)
    jobs = design_jobs(design, X)
    report = run_jobs(jobs, out / "runs", backend=backend, n_jobs=n_jobs,
                      ray_address=ray_address, progress=progress, slurm=slurm)
    tables = collect(out / "runs")
    if report.failures:
        first = "; ".join(f"{r}: {e}" for r, e in report.failures[:3])
        raise RuntimeError(f"{len(report.failures)} of {len(jobs)} sample runs failed, so no "
                           f"indices can be computed ({first}); see {out / 'runs'} and re-run "
                           "to retry them (complete runs are skipped)")
    summary = pd.read_parquet(Path(tables["dir"]) / "summary.parquet",
                              columns=["run", *design.outcomes])
    summary["sample"] = summary["run"].str.slice(1, 6).astype(int)
    means = summary.groupby("sample")[list(design.outcomes)].mean().reindex(range(len(X)))
    Y = {}
    for outcome in design.outcomes:
        y = means[outcome].to_numpy(dtype=float)
        bad = int((~np.isfinite(y)).sum())
        if bad:
            raise RuntimeError(f"outcome {outcome} is undefined (NaN) in {bad} samples; choose "
                               "an outcome defined in every run")
        Y[outcome] = y
    indices = analyse(design, method, X, Y)
    io.atomic_write(out / "indices.parquet", lambda p: indices.to_parquet(p, index=False))
    io.atomic_write(out / "indices.csv", lambda p: indices.to_csv(p, index=False))
    files = figures.sensitivity_plot(indices, out / "sensitivity")
    write_json_atomic(out / "sensitivity.json", {
        "name": design.name, "description": design.description, "method": method,
        "problem": design.problem, "integer_parameters": list(design.integer_keys),
        "outcomes": design.outcomes, "indices": {k: v for k, v in INDEX_MEANING.items()
                                                 if k in set(indices["index"])},
        "base_overrides": design.base_overrides, "replicates": design.replicates,
        "sample_seed": design.sample_seed, "morris": design.morris, "sobol": design.sobol,
        "samples": len(X), "runs": len(jobs),
        "attempts": {str(k): v for k, v in report.attempts.items()},
    })
    return {"dir": str(out), "indices": indices, "runs": len(jobs), "samples": len(X),
            "report": report, "files": [str(f) for f in files]}


def main(argv: list[str] | None = None,
         prog: str = "python -m sim.experiments.sensitivity") -> int:
    from sim.experiments.executor import BACKENDS, add_slurm_arguments, slurm_from_arguments

    ap = argparse.ArgumentParser(prog=prog,
                                 description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("config", help="name in configs/sensitivity/ or a YAML path")
    ap.add_argument("--method", choices=METHODS, default="morris")
    ap.add_argument("--out", help="output folder (default outputs/sensitivity/NAME-METHOD)")
    ap.add_argument("--backend", choices=BACKENDS, default="joblib")
    ap.add_argument("--n-jobs", type=int, default=None, help="parallel runs (default: all cores)")
    ap.add_argument("--ray-address", default=None, help="Ray cluster address (e.g. auto)")
    add_slurm_arguments(ap)
    args = ap.parse_args(argv)
    try:
        res = run_analysis(args.config, args.method, out=args.out, backend=args.backend,
                           n_jobs=args.n_jobs, ray_address=args.ray_address,
                           slurm=slurm_from_arguments(args))
    except (ConfigError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    ind = res["indices"]
    top = "mu_star" if args.method == "morris" else "ST"
    print(f"{args.method}: {res['samples']} samples, {res['runs']} runs "
          f"({", ".join(f"{v} {k}" for k, v in res["report"].attempts.items())}) -> {res['dir']}")
    for outcome, g in ind[ind["index"] == top].groupby("outcome", sort=False):
        g = g.sort_values("value", ascending=False)
        ranked = ", ".join(f"{p} {v:.3g}" for p, v in zip(g["parameter"], g["value"],
                                                          strict=True))
        print(f"  {outcome} ({top}): {ranked}")
    print(f"  indices: {res['dir']}/indices.csv; plot: {res['dir']}/sensitivity.png")
    return 0


if __name__ == "__main__":
    from sim.experiments.gc_freeze import freeze_at_exit

    freeze_at_exit()
    sys.exit(main())
