"""Paired scenario comparisons for the validation suite.

An *arm* is a list of Hydra overrides (``["scenario=lockdown", "run.days=240"]``). Replicate
``k`` of every arm uses ``run.replicate=k``, so a scenario and its counterfactual share their
random streams (common random numbers) and their replicates form pairs. :func:`compare` runs
both arms, takes the paired differences of one metric and asks whether the bootstrap
confidence interval of their mean lies wholly on the expected side of zero; the exact sign
test is reported alongside (see README.md in this folder).

Runs are cached on disk for the session in a folder shared by pytest-xdist workers, one file
per (configuration, replicate). A worker computes the replicates no other worker is computing
and then waits for the rest, so two tests that share an arm never run it twice.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from filelock import FileLock, Timeout
from scipy import stats

import sim
from sim.experiments.compare import mean_ci
from sim.params import Config

REPLICATES = 10
# A mechanism-off check first runs this many replicates; when every pair is identical (the
# scenario cannot act without its mechanism), that exact result is the verdict at any number
# of replicates; otherwise the full number is run (see README.md, "Mechanism off").
OFF_PROBE_REPLICATES = 3
# A mechanism-off check that finds the effect on replicates 0..REPLICATES-1 is repeated on
# replicates CONFIRMATION_FIRST_REPLICATE.. (used by no other check) and fails only if the
# effect is found again: about 15 off checks are not exact, so one in three suite runs would
# otherwise fail one of them by chance (see README.md, "Mechanism off, confirmed").
CONFIRMATION_FIRST_REPLICATE = 100
CONFIDENCE = 0.95
BOOTSTRAP_RESAMPLES = 9999
BOOTSTRAP_SEED = 20201  # fixed: the verdict is a function of the runs alone

Metric = str | Callable[["Run"], float]

# Sizes: small but faithful. The urban estate keeps its full 8,000 residents (Case A,
# 000:34) and runs 240 days, by when every urban scenario's events (days 0-150) have played
# out; the rural village is Case B's whole parish (380 residents, 000:34), run as long.
# Tests that need longer or another place say so.
URBAN = ("topology=urban", "run.days=240")
RURAL = ("topology=rural", "run.days=240")

# Every fact test runs twice: with its mechanism ("on": the fact must hold) and with the
# mechanism switched off ("off": the same check must then fail to find the effect).
ON_OFF = pytest.mark.parametrize("mechanism", ["on", "off"])


def arm(*parts: Sequence[str] | str, off: Sequence[str] = (), mechanism: str = "on"
        ) -> list[str]:
    """Overrides of one arm: ``parts`` joined, plus ``off`` when the mechanism is off."""
    out: list[str] = []
    for p in parts:
        out.extend([p] if isinstance(p, str) else p)
    return out + (list(off) if mechanism == "off" else [])


@functools.cache
def _compose(overrides: tuple[str, ...]) -> Config:
    cfg = sim.compose(list(overrides))
    cfg.run.resident_agents = False  # array views only: same outputs, less time
    return cfg


def replicate_config(overrides: Sequence[str], k: int) -> Config:
    """The arm's configuration for replicate ``k``: the same as
    ``sim.compose([*overrides, f"run.replicate={k}"])`` (composed once per arm)."""
    cfg = copy.deepcopy(_compose(tuple(overrides)))
    cfg.run.replicate = k
    return cfg


def config_key(cfg: Config) -> str:
    """A stable digest of everything that decides a run's outputs."""
    text = json.dumps(dataclasses.asdict(cfg), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def run_outputs(cfg: Config, burn_in_cache: Path | None = None) -> tuple[dict, pd.DataFrame]:
    """Run ``cfg`` with :func:`sim.run` (arms that differ only in events share a burnt-in
    state through ``burn_in_cache``); return its summary and daily table: the contents of
    ``summary.json`` and ``timeseries.parquet``, nothing read from the model's internals."""
    result = sim.run(cfg, burn_in_cache=burn_in_cache)
    return result.summary, result.timeseries


@dataclass
class Run:
    """One replicate's outcome: its summary and (read on first use) its daily table. A
    metric function of a run may read only these two (``summary.json`` keys and
    ``timeseries.parquet`` columns); the suite checks it (test_outputs_only.py)."""

    summary: dict
    timeseries_path: Path

    @functools.cached_property
    def timeseries(self) -> pd.DataFrame:
        return pd.read_parquet(self.timeseries_path)


class RunCache:
    """Runs by (configuration, replicate), in a folder shared across pytest-xdist workers."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def _stem(self, cfg: Config) -> Path:
        return self.folder / f"{config_key(cfg)}-r{cfg.run.replicate}"

    def _lock(self, cfg: Config) -> FileLock:
        """The run's lock; one object per file in this process, so it is re-entrant."""
        return FileLock(self._stem(cfg).with_suffix(".lock"), is_singleton=True)

    def _load_or_run(self, cfg: Config) -> Run:
        stem = self._stem(cfg)
        summary_path, ts_path = stem.with_suffix(".json"), stem.with_suffix(".parquet")
        with self._lock(cfg):
            if not summary_path.exists():
                summary, ts = run_outputs(cfg, self.folder / ".burn_in")
                ts.to_parquet(ts_path)
                tmp = stem.with_suffix(".tmp")
                tmp.write_text(json.dumps(summary, default=lambda v: v.item()))  # numpy scalars
                tmp.replace(summary_path)  # the summary last: its presence means done
            return Run(json.loads(summary_path.read_text()), ts_path)

    def runs(self, overrides: Sequence[str], replicates: int = REPLICATES, first: int = 0
             ) -> list[Run]:
        """Replicates first..first+replicates-1 of the arm ``overrides``: first those no
        other worker is running, then (waiting for them) the rest."""
        cfgs = [replicate_config(overrides, k) for k in range(first, first + replicates)]
        out: dict[int, Run] = {}
        busy = []
        for k, cfg in enumerate(cfgs):
            lock = self._lock(cfg)
            try:
                lock.acquire(timeout=0)
            except Timeout:
                busy.append(k)
                continue
            try:
                out[k] = self._load_or_run(cfg)
            finally:
                lock.release()
        for k in busy:
            out[k] = self._load_or_run(cfgs[k])
        return [out[k] for k in range(replicates)]


def metric_name(metric: Metric) -> str:
    return metric if isinstance(metric, str) else metric.__name__


def metric_values(runs: list[Run], metric: Metric) -> np.ndarray:
    """``metric`` of each run: a summary key, or a function of a :class:`Run`."""
    return np.array([float(r.summary[metric] if isinstance(metric, str) else metric(r))
                     for r in runs])


def _mean_difference(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    return a.mean(axis=axis) - b.mean(axis=axis)


def bootstrap_ci(x: np.ndarray, y: np.ndarray, paired: bool) -> tuple[float, float]:
    """BCa bootstrap CI of mean(x) - mean(y): of the mean paired difference when ``paired``
    (as ``python -m sim.experiments.compare --ci bootstrap`` computes it), else resampling
    the two samples independently; percentile when BCa is undefined; the point itself when
    every resample gives the same value."""
    if paired:
        return mean_ci(x - y, method="bootstrap", level=CONFIDENCE, seed=BOOTSTRAP_SEED)
    if np.ptp(x) == 0 and np.ptp(y) == 0:
        d = float(x.mean() - y.mean())
        return d, d
    for method in ("BCa", "percentile"):
        res = stats.bootstrap((x, y), _mean_difference, vectorized=True,
                              confidence_level=CONFIDENCE, n_resamples=BOOTSTRAP_RESAMPLES,
                              method=method, random_state=np.random.default_rng(BOOTSTRAP_SEED))
        low, high = res.confidence_interval
        if math.isfinite(low) and math.isfinite(high):
            break
    return float(low), float(high)


@dataclass
class Comparison:
    """The verdict on one fact: differences scenario minus counterfactual, replicate by
    replicate when ``paired`` (the same seeds), else between the two samples."""

    fact: str
    metric: str
    direction: str  # "higher" or "lower": the fact's expected sign of the difference
    scenario: str
    counterfactual: str
    scenario_values: np.ndarray
    counterfactual_values: np.ndarray
    paired: bool = True
    # mechanism-off checks: the same comparison on the confirmation replicates, run only if
    # this one finds the effect
    confirm: Callable[[], Comparison] | None = dataclasses.field(default=None, repr=False)

    def __post_init__(self) -> None:
        x, y = self.scenario_values, self.counterfactual_values
        if np.isnan(x).any() or np.isnan(y).any():
            raise AssertionError(f"{self.fact}: {self.metric} is undefined (NaN) in some runs: "
                                 f"scenario {x.tolist()}, counterfactual {y.tolist()}")
        self.mean_difference = float(x.mean() - y.mean())
        self.ci_low, self.ci_high = bootstrap_ci(x, y, self.paired)
        self.record = {  # what the results table shows; expect() adds the check made
            "fact": self.fact, "metric": self.metric, "direction": self.direction,
            "scenario": self.scenario, "counterfactual": self.counterfactual,
            "paired": self.paired, "n": int(x.size), "mean_scenario": float(x.mean()),
            "mean_counterfactual": float(y.mean()), "difference": self.mean_difference,
            "ci_low": self.ci_low, "ci_high": self.ci_high, "holds": self.holds}
        if self.paired:
            sign = 1 if self.direction == "higher" else -1
            self.diffs = x - y
            self.n_expected = int((sign * self.diffs > 0).sum())
            self.n_against = int((sign * self.diffs < 0).sum())
            n = self.n_expected + self.n_against
            self.sign_p = float(stats.binomtest(self.n_expected, n).pvalue) if n else 1.0

    @property
    def holds(self) -> bool:
        """The whole confidence interval lies on the expected side of zero."""
        return self.ci_low > 0 if self.direction == "higher" else self.ci_high < 0

    def within(self, margin: float) -> bool:
        """The whole confidence interval lies within +-``margin`` (no material difference)."""
        return -margin <= self.ci_low and self.ci_high <= margin

    def __str__(self) -> str:
        x, y = self.scenario_values, self.counterfactual_values
        kind = "paired" if self.paired else "unpaired"
        lines = [
            f"{self.fact}: {self.metric}, expected {self.direction} in the scenario",
            f"  scenario       {self.scenario}",
            f"  counterfactual {self.counterfactual}",
            f"  means {x.mean():.4g} vs {y.mean():.4g} (n = {x.size}, {y.size}); difference "
            f"{self.mean_difference:+.4g}, {CONFIDENCE:.0%} {kind} bootstrap CI "
            f"[{self.ci_low:+.4g}, {self.ci_high:+.4g}]",
        ]
        if self.paired:
            ties = self.diffs.size - self.n_expected - self.n_against
            lines.append(f"  pairs in the expected direction {self.n_expected}, against "
                         f"{self.n_against}, ties {ties}; exact sign test p = {self.sign_p:.3g}")
            lines.append(f"  differences {np.round(self.diffs, 4).tolist()}")
        else:
            lines.append(f"  scenario {np.round(x, 4).tolist()}")
            lines.append(f"  counterfactual {np.round(y, 4).tolist()}")
        return "\n".join(lines)

    def expect(self, mechanism: str) -> None:
        """``on``: the fact must hold. ``off`` (its mechanism switched off): the same check
        must not find the effect, which shows that the test fails without the mechanism."""
        _check_mechanism(mechanism)
        self.record["check"] = "direction"
        if mechanism == "on":
            assert self.holds, f"stylised fact not reproduced\n{self}"
            return
        if self.holds and self.confirm is not None:
            again = self.confirm()
            print(f"found with the mechanism off; repeated on the confirmation replicates:\n"
                  f"{again}", end="\n\n")
            self.record["confirmation"] = {
                "first_replicate": CONFIRMATION_FIRST_REPLICATE, "n": again.record["n"],
                "difference": again.mean_difference, "ci_low": again.ci_low,
                "ci_high": again.ci_high, "holds": again.holds}
            assert not again.holds, ("effect still found with the mechanism switched off, "
                                     f"and again on the confirmation replicates\n{self}\n"
                                     f"{again}")
            return
        assert not self.holds, f"effect still found with the mechanism switched off\n{self}"

    def expect_no_material_difference(self, mechanism: str, margin: float) -> None:
        """``on``: the CI lies within +-``margin``; ``off``: it does not."""
        _check_mechanism(mechanism)
        self.record.update(check="within", margin=float(margin), within=self.within(margin))
        verdict = f"(margin +-{margin:.4g})\n{self}"
        if mechanism == "on":
            assert self.within(margin), f"material difference where none is expected {verdict}"
        else:
            assert not self.within(margin), f"no difference found with the mechanism off {verdict}"


def _check_mechanism(mechanism: str) -> None:
    if mechanism not in ("on", "off"):
        raise ValueError(f"mechanism must be 'on' or 'off' (got {mechanism!r})")


def label(overrides: Sequence[str]) -> str:
    return " ".join(overrides)


def compare(cache: RunCache, fact: str, scenario: Sequence[str],
            counterfactual: Sequence[str], metric: Metric, direction: str, *,
            counterfactual_metric: Metric | None = None, paired: bool = True,
            replicates: int = REPLICATES, first_replicate: int = 0,
            probe: int | None = None) -> Comparison:
    """Run both arms over ``replicates`` common seeds (replicates ``first_replicate`` on;
    a power design can take replicates no other check has used) and judge the direction of
    ``metric`` (or of ``metric`` in the scenario against ``counterfactual_metric`` in the
    counterfactual, for a comparison within the same runs).

    ``probe`` (mechanism-off checks): first run that many replicates; if every paired value
    is identical, the scenario makes no difference at all in those pairs and that exact
    comparison is returned (recorded as ``exact``); otherwise all ``replicates`` are run. The
    comparison of a probed (mechanism-off) check can be repeated on ``replicates`` fresh
    replicates from CONFIRMATION_FIRST_REPLICATE (``Comparison.confirm``; see ``expect``)."""
    if direction not in ("higher", "lower"):
        raise ValueError(f"direction must be 'higher' or 'lower' (got {direction!r})")
    other = metric if counterfactual_metric is None else counterfactual_metric
    name = metric_name(metric)
    if other is not metric:
        name = f"{name} vs {metric_name(other)}"
    if probe is not None and paired and probe < replicates:
        x = metric_values(cache.runs(scenario, probe, first_replicate), metric)
        y = metric_values(cache.runs(counterfactual, probe, first_replicate), other)
        if np.array_equal(x, y):  # exact: no pair differs, at any number of replicates
            comparison = Comparison(fact, name, direction, label(scenario),
                                    label(counterfactual), x, y, paired)
            comparison.record["exact"] = True
            if first_replicate:
                comparison.record["first_replicate"] = first_replicate
            return comparison

    def comparison_of(first: int) -> Comparison:
        x = metric_values(cache.runs(scenario, replicates, first), metric)
        y = metric_values(cache.runs(counterfactual, replicates, first), other)
        c = Comparison(fact, name, direction, label(scenario), label(counterfactual), x, y,
                       paired)
        if first:
            c.record["first_replicate"] = first
        return c

    comparison = comparison_of(first_replicate)
    if probe is not None:
        comparison.confirm = lambda: comparison_of(CONFIRMATION_FIRST_REPLICATE)
    return comparison
