"""Power of the SF39 and S27 validation tests (issue 11): the designs' calculation, made before
their runs from figures already published (tests/validation/README.md and
tests/validation/independent_check.json); no model run.

A test holds when the 95 % BCa bootstrap interval of the mean paired difference lies wholly on
the fact's side of zero (``sim.experiments.compare.mean_ci``, 9,999 resamples, seed 20201:
the suite's rule, tests/validation/paired.py). Power is the share of simulated tests that hold.

SF39. Posts end entering grant year y when the partner's willingness to pay, drawn once per
grant from a normal distribution of mean 1.0 and sd 0.2 (``tapered_grant`` event arguments,
an assumption), is below the year's statutory share and at least the previous year's
(0, 0.5, 0.8, 1.0): the counts of a run are multinomial over its grants, and the metric is
the count ending entering year 4 minus the largest count of years 1-3. Exact model of the
test's metric: nothing else in a run moves it.

S27. The metric (resident-days of unmet need, agile minus even) is not multinomial; its
pairs are simulated as normal (and, as a check of shape, by resampling the ten standardised
differences the independent re-check published) with a mean and spread extrapolated from
the two published figures:
- effect = rate x commissioned place-days (10 places at each quarterly review from day 90 on,
  each counted to the end of the run): the suite's -1,589 at 365 days (5,600 place-days) and
  the re-check's -2,804 at 455 days (9,250) are 0.284 and 0.303 need-days per place-day;
- spread = sd of the paired differences: about 2,700 at 365 days (from the suite's interval
  [-3,548, -193]: half-width x sqrt(10) / 1.96) and 2,883 at 455 days (the re-check's ten
  differences), so it grows about as T**0.3; scaled from 455 days as T**g, g = 0.3
  (observed), 1 (conservative), 1.5 (very conservative).

    python experiments/power_sf39_s27.py            # both tables (42 CPU-seconds)
    python experiments/power_sf39_s27.py --sims 400 # quicker, coarser
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sim.experiments.compare import mean_ci  # noqa: E402

SUITE_BOOTSTRAP_SEED = 20201  # tests/validation/paired.py
LEVEL = 0.95

# SF39: grant-year end probabilities for willingness ~ N(1.0, 0.2) and shares 0/0.5/0.8/1.0
SHARES = (0.0, 0.5, 0.8, 1.0)
WILLINGNESS_MEAN, WILLINGNESS_SD = 1.0, 0.2

# S27: published figures
S27_SUITE = {"days": 365, "difference": -1589.1, "ci": (-3548.1, -193.0), "n": 10}
S27_INDEPENDENT_DIFFS = np.array([
    496380.0 - 499737.0, 511133.0 - 511377.0, 495167.0 - 501061.0, 497645.0 - 498568.0,
    496121.0 - 495065.0, 509403.0 - 516772.0, 485293.0 - 484341.0, 492432.0 - 496251.0,
    487473.0 - 491847.0, 503541.0 - 507606.0])  # independent_check.json, 455 days, seed 4409
S27_INDEPENDENT_DAYS = 455
PLACES_PER_REVIEW, REVIEW_DAYS = 10, 90


def year_probabilities() -> np.ndarray:
    """P(posts end entering year 1..4) and P(never within four years)."""
    cdf = stats.norm(WILLINGNESS_MEAN, WILLINGNESS_SD).cdf
    edges = [-np.inf, *SHARES]
    p = np.array([cdf(edges[y + 1]) - cdf(edges[y]) for y in range(4)])
    return np.append(p, 1.0 - p.sum())


def holds(diffs: np.ndarray, direction: str) -> bool:
    lo, hi = mean_ci(diffs, method="bootstrap", level=LEVEL, seed=SUITE_BOOTSTRAP_SEED)
    return lo > 0 if direction == "higher" else hi < 0


def sf39_power(grants: int, pairs: int, sims: int, rng: np.random.Generator) -> dict:
    p = year_probabilities()
    counts = rng.multinomial(grants, p, size=(sims, pairs))  # (sims, pairs, 5)
    d = counts[..., 3] - counts[..., :3].max(axis=-1)
    ok = sum(holds(d[s].astype(float), "higher") for s in range(sims))
    return {"grants": grants, "pairs": pairs, "mean": float(d.mean()),
            "sd_per_run": float(d.std(ddof=1)), "power": ok / sims}


def place_days(days: int) -> int:
    """Commissioned place-days in a run of ``days``: each review (day 90, 180, ...) adds its
    places to the end of the run."""
    return sum(PLACES_PER_REVIEW * (days - r) for r in range(REVIEW_DAYS, days, REVIEW_DAYS))


def s27_spread_at(days: int, exponent: float) -> float:
    return float(S27_INDEPENDENT_DIFFS.std(ddof=1) * (days / S27_INDEPENDENT_DAYS) ** exponent)


def s27_power(days: int, pairs: int, rate: float, exponent: float, sims: int,
              rng: np.random.Generator, shape: str = "normal") -> dict:
    effect = -rate * place_days(days)
    sd = s27_spread_at(days, exponent)
    if shape == "normal":
        z = rng.standard_normal((sims, pairs))
    else:  # the re-check's ten differences, standardised, resampled
        d0 = S27_INDEPENDENT_DIFFS
        zs = (d0 - d0.mean()) / d0.std(ddof=1)
        z = rng.choice(zs, size=(sims, pairs))
    d = effect + sd * z
    ok = sum(holds(d[s], "lower") for s in range(sims))
    return {"days": days, "pairs": pairs, "rate": rate, "spread_exponent": exponent,
            "shape": shape, "effect": round(effect), "sd_per_run": round(sd),
            "standardised_effect": round(abs(effect) / sd, 2), "power": ok / sims}


def normal_power(effect: float, pairs: int, sims: int, rng: np.random.Generator, sd: float,
                 rounded: bool = False) -> float:
    """Share of simulated tests (pairs drawn normal with ``sd``, ``rounded`` to whole numbers
    for a count metric) whose interval lies wholly above zero."""
    d = rng.normal(effect, sd, size=(sims, pairs))
    if rounded:
        d = np.round(d)
    return sum(holds(row, "higher") for row in d) / sims


def power_table(fact: str, doc: str, effects: tuple[float, ...], pairs: tuple[int, ...],
                power, sd: float, argv: list[str] | None) -> int:
    """Print ``fact``'s power at each pair count and effect (``power(effect, pairs, sims,
    rng)``), one JSON row each; the exit status (2 when the options are refused)."""
    a = arguments(doc, 1000, 20261202, argv)
    if a is None:
        return 2
    rng = np.random.default_rng(a.seed)
    for n in pairs:
        for effect in effects:
            print(fact, json.dumps({"pairs": n, "effect": effect, "sd": sd,
                                    "power": power(effect, n, a.sims, rng)}))
    return 0


def arguments(doc: str, sims: int, seed: int, argv: list[str] | None
              ) -> argparse.Namespace | None:
    """``--sims`` and ``--seed`` of a power script; None (after saying why) when too few."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--sims", type=int, default=sims, help="simulated tests per row (>= 100)")
    ap.add_argument("--seed", type=int, default=seed, help="seed of the simulation")
    a = ap.parse_args(argv)
    if a.sims < 100:
        print("error: --sims must be >= 100", file=sys.stderr)
        return None
    return a


def main(argv: list[str] | None = None) -> int:
    a = arguments(__doc__, 2000, 1, argv)
    if a is None:
        return 2
    rng = np.random.default_rng(a.seed)
    p = year_probabilities()
    print("SF39 year-end probabilities (years 1-4, never):", np.round(p, 4).tolist())
    rows = [sf39_power(n, r, a.sims, rng) for n, r in ((14, 10), (14, 20), (27, 10))]
    for row in rows:
        print("SF39", json.dumps(row))
    suite_sd = (S27_SUITE["ci"][1] - S27_SUITE["ci"][0]) / 2 * np.sqrt(10) / 1.96
    rates = {"suite 365 d": -S27_SUITE["difference"] / place_days(365),
             "re-check 455 d": -S27_INDEPENDENT_DIFFS.mean() / place_days(S27_INDEPENDENT_DAYS)}
    print(f"S27 place-days: 365 d {place_days(365)}, 455 d {place_days(455)}, 730 d "
          f"{place_days(730)}; rates per place-day {json.dumps(rates)}; sd 365 d (from the "
          f"suite's CI) {suite_sd:.0f}, 455 d {S27_INDEPENDENT_DIFFS.std(ddof=1):.0f}")
    rate = min(rates.values())
    cases = [(365, 10, rate, 0.3, "normal"), (730, 10, rate, 0.3, "normal"),
             (730, 10, rate, 1.0, "normal"), (730, 10, rate, 1.5, "normal"),
             (730, 10, rate, 1.0, "re-check shape"),
             (730, 10, 0.7 * rate, 1.0, "normal"), (730, 10, 0.5 * rate, 1.0, "normal")]
    for days, pairs, r, g, shape in cases:
        print("S27", json.dumps(s27_power(days, pairs, r, g, a.sims, rng, shape)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
