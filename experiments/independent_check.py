"""Independent re-check of the reproduced stylised facts (issue 11, "How it will be checked").

Method. Each fact the validation suite counts as reproduced is checked again here, outside the
test suite, from the documented levers and outputs only:

- levers: the scenario files of ``configs/scenario`` and documented parameters, as Hydra
  override strings composed with :func:`sim.compose`; runs with :func:`sim.run` (arms that
  differ only in events share a burnt-in state through ``burn_in_cache``, as the public API
  allows);
- outputs: keys of ``summary.json`` and columns of ``timeseries.parquet`` (docs/outputs.md),
  read from :class:`sim.RunResult` (``result.summary``, ``result.timeseries``); nothing from the
  model's internals and nothing from ``tests/``;
- seeds: base seed ``--seed`` (default 4409, used by no test) with replicates 0..R-1 (default
  R = 10); replicate k of a scenario and of its counterfactual share every random stream, so
  their difference is a pair (common random numbers);
- horizon: ``--days`` (default 365) for the urban estate, instead of the suite's 240, where
  every event of the scenario still falls in the window; facts whose claim fixes a horizon (a
  four-year taper, a funding cut that must outlast reserves) keep a horizon of their own,
  stated in their row;
- verdict: the mean paired difference (scenario minus counterfactual) and its 95 %
  bootstrap interval (BCa, 9,999 resamples, seed 11, percentile where BCa is undefined);
  a check *agrees* when the interval lies wholly on the fact's side of zero (for a check of no
  material difference: within its margin). Two places (the village against the estate) are
  compared unpaired, resampling each sample. A fact holds independently when all its checks
  agree.

Where the suite uses a window (days 31-120, 30-150, 91-240), this script chooses its own
window on the longer horizon and says so in the check's note, so it is not a copy of the
tests. Output: a JSON file (``--out``) with every run's metric values and each check's
figures, and a Markdown table on stdout (fact, check, independent figure, agrees?).

    python experiments/independent_check.py --jobs 2                 # every fact
    python experiments/independent_check.py --facts SF1 SF12 --jobs 1
    python experiments/independent_check.py --list                   # the checks and arms
    python experiments/independent_check.py --facts SF39 S27 \
        --update tests/validation/independent_check.json  # replace only these facts' checks

Cost: each (arm, replicate) is one run; runs are cached in ``--runs`` (a folder; rerunning
with the same seed, replicates and horizon reuses them), so arms shared by facts run once.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

import sim  # noqa: E402
from sim.io import atomic_write  # noqa: E402

RESAMPLES = 9999
BOOTSTRAP_SEED = 11
LEVEL = 0.95


# ----------------------------------------------------------------------------- metrics
# A metric is a summary key (str) or a function of (summary, timeseries) -> float.
Metric = str | Callable[[dict, pd.DataFrame], float]


def window_mean(column: str, first: int, last: int) -> Callable[[dict, pd.DataFrame], float]:
    """Mean of a daily column over output days ``first``..``last``."""
    def f(summary: dict, ts: pd.DataFrame) -> float:
        return float(ts.loc[ts["day"].between(first, last), column].mean())
    f.__name__ = f"mean {column}, days {first}-{last}"
    return f


def window_sum(column: str, first: int, last: int) -> Callable[[dict, pd.DataFrame], float]:
    """Sum of a daily column over output days ``first``..``last``."""
    def f(summary: dict, ts: pd.DataFrame) -> float:
        return float(ts.loc[ts["day"].between(first, last), column].sum())
    f.__name__ = f"sum {column}, days {first}-{last}"
    return f


def rise(column: str, first: int, last: int) -> Callable[[dict, pd.DataFrame], float]:
    """Highest value of a daily column in days ``first+1``..``last`` minus its value on day
    ``first``."""
    def f(summary: dict, ts: pd.DataFrame) -> float:
        s = ts.set_index("day")[column]
        return float(s.loc[first + 1:last].max() - s.loc[first])
    f.__name__ = f"peak {column} in days {first + 1}-{last} minus day {first}"
    return f


def difference(a: str, b: str) -> Callable[[dict, pd.DataFrame], float]:
    """Summary key ``a`` minus summary key ``b``."""
    def f(summary: dict, ts: pd.DataFrame) -> float:
        return float(summary[a]) - float(summary[b])
    f.__name__ = f"{a} - {b}"
    return f


def largest(*keys: str) -> Callable[[dict, pd.DataFrame], float]:
    """The largest of several summary keys."""
    def f(summary: dict, ts: pd.DataFrame) -> float:
        return max(float(summary[k]) for k in keys)
    f.__name__ = "max(" + ", ".join(keys) + ")"
    return f


def gp_share(first: int, last: int) -> Callable[[dict, pd.DataFrame], float]:
    """GP referrals as a share of all link-worker referrals in days ``first``..``last``."""
    def f(summary: dict, ts: pd.DataFrame) -> float:
        w = ts[ts["day"].between(first, last)]
        return float(w["new_referrals_gp"].sum() / w["new_referrals_total"].sum())
    f.__name__ = f"GP share of referrals, days {first}-{last}"
    return f


def days_to_first(columns: Sequence[str]) -> Callable[[dict, pd.DataFrame], float]:
    """Days from the emergency's start (``emergency_start_day``) to the first day any of
    ``columns`` is positive; censored at the day after the last."""
    def f(summary: dict, ts: pd.DataFrame) -> float:
        start = int(summary["emergency_start_day"])
        after = ts[ts["day"] > start]
        hit = after[after[list(columns)].sum(axis=1) > 0]
        end = int(ts["day"].max()) + 1
        return float((int(hit["day"].iloc[0]) if len(hit) else end) - start)
    f.__name__ = "days from the emergency to the first " + " or ".join(columns)
    return f


def metric_name(m: Metric) -> str:
    return m if isinstance(m, str) else m.__name__


def metric_value(m: Metric, summary: dict, ts: pd.DataFrame) -> float:
    return float(summary[m]) if isinstance(m, str) else float(m(summary, ts))


# ----------------------------------------------------------------------------- checks
@dataclass
class Check:
    """One comparison: ``metric`` in ``scenario`` against ``other`` (default: the same metric)
    in ``counterfactual`` (default: the scenario itself, a comparison within runs)."""

    fact: str
    label: str
    scenario: tuple[str, ...]
    metric: Metric
    direction: str  # "higher" | "lower" | "within" (no material difference)
    counterfactual: tuple[str, ...] | None = None
    other: Metric | None = None
    paired: bool = True
    margin_share: float = 0.0  # "within": margin as a share of the counterfactual mean
    note: str = ""
    test_figure: str = ""  # the suite's figure (results table), for the report

    @property
    def arms(self) -> list[tuple[str, ...]]:
        return [self.scenario] + ([self.counterfactual] if self.counterfactual else [])


def urban(days: int, *more: str) -> tuple[str, ...]:
    return ("topology=urban", f"run.days={days}", *more)


def build_checks(days: int) -> list[Check]:
    """Every check, on an urban horizon of ``days`` (events of the urban scenarios fall in
    days 0-150)."""
    d = days
    base = urban(d, "scenario=baseline")
    lockdown = urban(d, "scenario=lockdown")
    surge = urban(d, "scenario=surge_recruitment")
    cfg = sim.configure()  # documented defaults, to scale management hours
    kinds = ("formal_charity", "community_group", "mutual_aid", "lio")
    half_hours = tuple(
        [f"groups.{k}.vm_hours_per_week={getattr(cfg.groups, k).vm_hours_per_week * 0.5}"
         for k in kinds]
        + ["volunteers.hospital_vm_hours_per_week_per_10k="
           f"{cfg.volunteers.hospital_vm_hours_per_week_per_10k * 0.5}"])
    no_lo = ("topology.urban.locality_officer=false",)
    new_service = ("topology.urban.link_workers=0",
                   "+events.service_starts={day:0,kind:add_link_workers,"
                   "params:{per_practice:1,practices:all}}")

    def hosted(share_vcse: float) -> tuple[str, ...]:
        """Hosting set on day 0 by documented set_parameter events, before the new posts
        start (a world with no link workers through its burn-in: hosting cannot act there,
        so both arms share one burnt-in state)."""
        return tuple(f"+events.host_{name}={{day:0,kind:set_parameter,params:{{key:"
                     f"link_worker.share_hosted_{name},value:{value}}}}}"
                     for name, value in (("lio", 0.0), ("vcse", share_vcse)))

    long = 450  # a funding cut from day 90 must outlast reserves: 360 days after it
    cut = urban(long, "scenario=funding_loss")
    base_long = urban(long, "scenario=baseline")
    # SF39 and S27: the suite's raised-power designs (issue 11; tests/validation/README.md,
    # "SF39 and S27 with enough power"): 27 grants a run, and two years of reviews
    county = ("topology=county_legacy", "topology.n_residents=10000", "run.days=730",
              "scenario=agile_commissioning")
    taper = ("topology=county_legacy", "topology.n_residents=6000",
             "topology.urban.n_residents=400", "topology.rural_share=0.3",
             "topology.parishes_per_practice=1", "scenario=tapered_grant", "run.days=1096")
    rural_lockdown = ("topology=rural", f"run.days={d}", "scenario=lockdown")
    rural_base = ("topology=rural", f"run.days={d}", "scenario=baseline")
    estate = sim.configure().topology.urban
    village_as_estate = tuple(
        f"topology.rural_unit.{f.name}={getattr(estate, f.name)}"
        for f in dataclasses.fields(estate) if f.name != "n_residents")
    return [
        Check("SF1", "applications queue after a call to action", surge, "max_n_vol_applied",
              "higher", base, test_figure="+52.8 [+48.4, +55.5]"),
        Check("SF1", "utilisation falls after a call to action", surge,
              window_mean("frac_volunteer_utilisation", 31, 180), "lower", base,
              note="window days 31-180 (suite: 31-120)", test_figure="-0.125 [-0.146, -0.112]"),
        Check("SF2", "plan: LRF cell's first referral sooner",
              urban(d, "scenario=[lockdown,preparedness]"), "emergency_days_to_first_response",
              "lower", lockdown, test_figure="-22.1 [-23.9, -19.6]"),
        Check("SF2", "plan: shielded reach support sooner",
              urban(d, "scenario=[lockdown,preparedness]"), "shielded_days_to_first_support",
              "lower", lockdown, test_figure="-11.44 [-12.64, -10.46]"),
        Check("SF5", "half the management hours: more dropouts while waiting",
              surge + half_hours, "vol_dropouts_waiting", "higher", surge,
              test_figure="+62.5 [+52, +71.5]"),
        Check("SF5", "half the management hours: longer queue", surge + half_hours,
              "max_n_vol_applied", "higher", surge, test_figure="+22.7 [+17.2, +29.6]"),
        Check("SF5", "half the management hours: less keeping in touch", surge + half_hours,
              "frac_vm_contact_met", "lower", surge, test_figure="-0.0050 [-0.0067, -0.0031]"),
        Check("SF7", "passport: faster redeployment", urban(d, "scenario=passporting"),
              "mean_days_to_redeploy", "lower", base, test_figure="-9.87 [-11.19, -8.05]"),
        Check("SF7", "passport: fewer duplicated checks", urban(d, "scenario=passporting"),
              "vol_duplicated_checks", "lower", base, test_figure="-26.6 [-33, -22.5]"),
        Check("SF10", "hub: fewer escalations", urban(d, "scenario=place_based_hub", *no_lo),
              "need_escalations_per_1000_onsets", "lower", base + no_lo,
              note="estate without a locality officer, as the suite (which uses R = 20)",
              test_figure="-3.68 [-5.49, -2.06] (R = 20)"),
        Check("SF12", "lockdown forms more mutual aid groups", lockdown,
              "mutual_aid_groups_formed", "higher", base, test_figure="+4.1 [+2.3, +5.8]"),
        Check("SF12", "mutual aid mostly outside formal referrals", lockdown,
              difference("mutual_aid_placements", "mutual_aid_placements_from_health"),
              "higher", other="mutual_aid_placements_from_health",
              test_figure="+108.5 [+83.6, +147.8]"),
        Check("SF12", "mutual aid first support before the VCS", lockdown,
              "emergency_days_to_first_support_mutual_aid", "lower",
              other="emergency_days_to_first_support_vcs", test_figure="-4.6 [-5.9, -2.9]"),
        Check("SF12", "VCS before the local authority", lockdown,
              "emergency_days_to_first_support_vcs", "lower",
              other="emergency_days_to_first_support_local_authority",
              test_figure="-27.7 [-30.6, -25.8]"),
        Check("SF12", "local authority before the national scheme", lockdown,
              "emergency_days_to_first_support_local_authority", "lower",
              other="emergency_days_to_first_support_national_scheme",
              test_figure="-21.7 [-23.7, -19.2]"),
        Check("SF15", "crisis: more health-VCSE ties", lockdown,
              rise("n_health_vcse_ties", 30, 180), "higher", base,
              note="peak in days 31-180 minus day 30 (suite: day 150 minus day 30)",
              test_figure="+4.9 [+3.5, +6.6]"),
        Check("SF16", "upsurge: more referrals turned away full",
              urban(d, "scenario=link_worker_expansion"), "referrals_declined_full", "higher",
              base, test_figure="+216.3 [+175.4, +266.2]"),
        Check("SF16", "upsurge: group strain", urban(d, "scenario=link_worker_expansion"),
              "mean_group_strain", "higher", base, test_figure="+0.0232 [+0.0174, +0.0304]"),
        Check("SF16", "upsurge: paid staff lost to strain",
              urban(d, "scenario=link_worker_expansion"), "group_staff_lost_strain", "higher",
              base, test_figure="+0.137 [+0.101, +0.180]"),
        Check("SF22", "core funding cut: groups close", cut, "groups_closed", "higher",
              base_long, note=f"{long} days (suite: 540)", test_figure="+7.5 [+5.2, +9.4]"),
        Check("SF22", "core funding cut: directory goes stale", cut,
              "mean_frac_directory_accuracy", "lower", base_long,
              note=f"{long} days (suite: 540)", test_figure="-0.0092 [-0.0117, -0.0058]"),
        Check("SF22", "core funding cut: fewer places within months", cut,
              window_mean("n_group_places", 91, 270), "lower", base_long,
              note="days 91-270 (suite: 91-240)", test_figure="-57.9 [-64.7, -52.0]"),
        Check("SF22", "core funding cut: more unmet need", cut, "unmet_need_days", "higher",
              base_long, note=f"{long} days (suite: 240)", test_figure="+3250 [+2300, +4313]"),
        Check("SF23", "complex referrals disrupt groups", base, "group_disruptions", "higher",
              base + ("groups.p_accept_complex_without_inclusion=0",),
              test_figure="+23.2 [+19.8, +27.8]"),
        Check("SF23", "members leave disrupted groups", base, "group_members_left_disruption",
              "higher", base + ("groups.p_accept_complex_without_inclusion=0",),
              test_figure="+15.3 [+11.5, +20.4]"),
        Check("SF25", "no re-escalation route: more bounces", base, "bounced_residents",
              "higher", urban(d, "scenario=reescalation_pathway"),
              test_figure="+14.9 [+12.3, +17.1]"),
        Check("SF25", "no re-escalation route: repeat referrals", base,
              "mean_lw_referrals_per_referred", "higher",
              urban(d, "scenario=reescalation_pathway"),
              test_figure="+0.0144 [+0.0020, +0.0251]"),
        Check("SF26", "triage: more referrals decided", base, "frac_lw_referrals_decided",
              "higher", base + ("link_worker.triage=false",),
              test_figure="+0.0358 [+0.0295, +0.0449]"),
        Check("SF26", "triage: faster decisions", base, "mean_days_to_lw_decision", "lower",
              base + ("link_worker.triage=false",), test_figure="-11.9 [-14.7, -6.1]"),
        Check("SF34", "co-located: fewer GP referrals disengage at triage",
              base + ("link_worker.share_hosted_vcse=0", "link_worker.share_hosted_lio=0"),
              "frac_disengaged_at_triage_gp", "lower",
              base + ("link_worker.share_hosted_vcse=1", "link_worker.share_hosted_lio=0"),
              test_figure="-0.207 [-0.279, -0.139]"),
        Check("SF34", "new service: co-located brings more GP referrals",
              base + hosted(0.0) + new_service, window_sum("new_referrals_gp", 1, d),
              "higher", base + hosted(1.0) + new_service,
              note="every post co-located vs every post remote",
              test_figure="+102.1 [+75.3, +137.8] (240 days)"),
        Check("SF34", "new service: GP share ramps up", base + new_service,
              gp_share(d - 94, d), "higher", other=gp_share(1, 90),
              note=f"days {d - 94}-{d} vs 1-90 (suite: 151-240 vs 1-90)",
              test_figure="+0.076 [+0.038, +0.113]"),
        Check("SF34", "co-located practice refers more than its remote neighbour",
              base + ("topology.urban.link_workers=0",
                      "+events.service_starts={day:0,kind:add_link_workers,"
                      "params:{per_practice:1,practices:all,host:alternate}}"),
              "gp_referrals_per_1000_patients_co_located", "higher",
              other="gp_referrals_per_1000_patients_remote", test_figure="+11.8 [+5.6, +17.8]"),
        Check("SF36", "specialists level up reach to the digitally excluded",
              urban(d, "scenario=specialist_link_workers"),
              difference("frac_reached_by_digital_0", "frac_reached_by_digital_1"), "higher",
              base, test_figure="+0.042 [+0.027, +0.061]"),
        Check("SF39", "taper: most posts end entering year 4", taper,
              "tapered_grants_ended_entering_year_4", "higher",
              other=largest(*(f"tapered_grants_ended_entering_year_{y}" for y in (1, 2, 3))),
              note="27 grants a run, four years fixed by the claim; new seeds only",
              test_figure="+5.5 [+4, +7.3] (27 grants, base seed 31907)"),
        Check("5.3-volunteer-supply", "call to action fills the backlog", lockdown,
              "max_n_vol_backlog", "higher", lockdown + ("~events.national_call_to_action",),
              test_figure="+65.2 [+60.4, +70.8]"),
        Check("5.3-volunteer-supply", "call to action does not change the response", lockdown,
              "emergency_responses", "within", lockdown + ("~events.national_call_to_action",),
              margin_share=0.05, note="margin: 5 % of the counterfactual mean, as the suite",
              test_figure="+0 [+0, +0] (within +-51.2)"),
        Check("S23", "no LIO: link workers map listings", base + ("topology.place_lio=false",),
              "lw_mapping_hours", "higher", base, test_figure="+70.7 [+67.7, +73.1]"),
        Check("S23", "no LIO: fewer groups open", base + ("topology.place_lio=false",),
              "mean_n_groups_open", "lower", base, test_figure="-2.26 [-2.99, -1.62]"),
        Check("S23", "no LIO: fewer health-VCSE ties", base + ("topology.place_lio=false",),
              "mean_n_health_vcse_ties", "lower", base, test_figure="-17.4 [-18.3, -16.0]"),
        Check("S23", "LIO cut: fewer listings verified",
              urban(d, "scenario=funding_loss", "events.core_funding_cut.day=0",
                    "events.core_funding_cut.params.target=lio",
                    "events.core_funding_cut.params.share=0.8"),
              "lio_listings_verified", "lower", base, test_figure="-81.7 [-83, -80.2]"),
        Check("S27", "agile commissioning: less unmet need", county, "unmet_need_days", "lower",
              county + ("events.agile_reviews.params.rule=even",),
              note="730 days, eight reviews, as the suite",
              test_figure="-7461 [-11140, -2685] (730 days, base seed 42613, 20 pairs on "
                          "replicates 30-49)"),
        Check("S47", "locality officer: more groups on the directory", base,
              window_mean("n_groups_listed", 1, d), "higher", base + no_lo,
              test_figure="+3.68 [+2.57, +4.24]"),
        Check("S47", "locality officer: more GP-VCSE ties", base,
              window_mean("n_gp_vcse_ties", 1, d), "higher", base + no_lo,
              test_figure="+12.8 [+11.6, +14.0]"),
        Check("S48", "parish council mobilises the village", rural_lockdown,
              "community_mobilisation_per_1000_residents", "higher",
              rural_lockdown + ("topology.rural_unit.parish_council=false",),
              test_figure="+544.7 [+494.1, +576.8]"),
        Check("SF21", "village: fewer health-VCSE links", rural_base,
              "health_vcse_links_per_1000_residents", "lower", base, paired=False,
              test_figure="-39.53 [-46.73, -30.83] (rural vs urban)"),
        Check("SF21", "village mobilises (community mobilisation)", rural_lockdown,
              "community_mobilisation_per_1000_residents", "higher", lockdown, paired=False,
              test_figure="+476.4 [+423.6, +509.5]"),
        Check("SF21", "village: coordinated support sooner in a lockdown", rural_lockdown,
              days_to_first(("new_buddied", "new_emergency_responses")), "lower", lockdown,
              paired=False, test_figure="-5.6 [-6.8, -4.1]"),
        Check("SF21", "village reaches fewer in need (size-matched)", rural_base,
              "frac_in_need_referred_to_lw", "lower", rural_base + village_as_estate,
              note="against the village with every attribute of the estate but its size",
              test_figure="-0.121 [-0.135, -0.105] (20 pairs, base seed 8117)"),
    ]


# ----------------------------------------------------------------------------- runs
def run_key(overrides: Sequence[str], seed: int, k: int) -> str:
    text = json.dumps([list(overrides), seed, k])
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def one_run(job: tuple[tuple[str, ...], int, int, str, str]) -> tuple[str, float]:
    """Run one (arm, replicate) and store its summary and daily table; return the key and
    the CPU-seconds it took (0 when it was already stored)."""
    overrides, seed, k, folder, key = job
    stem = Path(folder) / key
    if stem.with_suffix(".json").exists():
        return key, 0.0
    t0 = time.process_time()
    cfg = sim.compose([*overrides, f"run.seed={seed}", f"run.replicate={k}"])
    result = sim.run(cfg, burn_in_cache=Path(folder) / ".burn_in")
    result.timeseries.to_parquet(stem.with_suffix(".parquet"))
    tmp = stem.with_suffix(".tmp")
    tmp.write_text(json.dumps(result.summary, default=lambda v: v.item()))
    tmp.replace(stem.with_suffix(".json"))
    return key, time.process_time() - t0


def load(folder: Path, key: str) -> tuple[dict, pd.DataFrame]:
    stem = folder / key
    return json.loads(stem.with_suffix(".json").read_text()), pd.read_parquet(
        stem.with_suffix(".parquet"))


# ----------------------------------------------------------------------------- statistics
def _mean_diff(a, b, axis=-1):
    return np.mean(a, axis=axis) - np.mean(b, axis=axis)


def interval(x: np.ndarray, y: np.ndarray, paired: bool) -> tuple[float, float]:
    """95 % bootstrap interval of mean(x) - mean(y) (paired: of the mean difference)."""
    data = (x - y,) if paired else (x, y)
    stat = (lambda d, axis=-1: np.mean(d, axis=axis)) if paired else _mean_diff
    if all(np.ptp(a) == 0 for a in data):
        v = float(np.mean(x) - np.mean(y))
        return v, v
    for method in ("BCa", "percentile"):
        with warnings.catch_warnings():  # a degenerate BCa gives NaN: percentile follows
            warnings.simplefilter("ignore", RuntimeWarning)
            warnings.simplefilter("ignore", stats.DegenerateDataWarning)
            res = stats.bootstrap(data, stat, vectorized=True, confidence_level=LEVEL,
                                  n_resamples=RESAMPLES, method=method,
                                  random_state=np.random.default_rng(BOOTSTRAP_SEED))
        lo, hi = res.confidence_interval
        if math.isfinite(lo) and math.isfinite(hi):
            return float(lo), float(hi)
    return float("nan"), float("nan")


def judge(c: Check, x: np.ndarray, y: np.ndarray) -> dict:
    lo, hi = interval(x, y, c.paired)
    diff = float(x.mean() - y.mean())
    row = {"fact": c.fact, "check": c.label, "metric": metric_name(c.metric),
           "direction": c.direction, "paired": c.paired, "n": int(x.size),
           "mean_scenario": float(x.mean()), "mean_counterfactual": float(y.mean()),
           "difference": diff, "ci_low": lo, "ci_high": hi, "note": c.note,
           "test_figure": c.test_figure, "scenario_values": x.tolist(),
           "counterfactual_values": y.tolist()}
    if c.direction == "higher":
        row["agrees"] = lo > 0
    elif c.direction == "lower":
        row["agrees"] = hi < 0
    else:
        margin = c.margin_share * abs(float(y.mean()))
        row["margin"] = margin
        row["agrees"] = -margin <= lo and hi <= margin
    if c.paired:
        d = x - y
        sign = -1 if c.direction == "lower" else 1
        row["pairs_expected"] = int((sign * d > 0).sum()) if c.direction != "within" else None
    return row


def fmt(v: float) -> str:
    return f"{v:+.4g}"


def table(rows: list[dict]) -> str:
    out = ["| Fact | Check | Test's figure (suite: 240 days, base seed 20201, unless noted) | "
           "Independent figure [95 % CI] | Agrees? |", "|---|---|---|---|---|"]
    for r in rows:
        note = f" ({r['note']})" if r["note"] else ""
        kind = "" if r["paired"] else ", unpaired"
        pairs = (f", {r['pairs_expected']} of {r['n']} pairs"
                 if r.get("pairs_expected") is not None else "")
        figure = (f"{fmt(r['difference'])} [{fmt(r['ci_low'])}, {fmt(r['ci_high'])}]"
                  f"{pairs}{kind}")
        if "margin" in r:
            figure += f" (within +-{r['margin']:.4g})"
        out.append(f"| {r['fact']} | {r['check']}{note} | {r['test_figure']} | {figure} | "
                   f"{'yes' if r['agrees'] else '**no**'} |")
    return "\n".join(out)


def read_results(path: Path) -> dict | str:
    """An earlier results file of this script (``--update``): its contents, or what is wrong
    with it. Data only: JSON whose ``checks`` are objects with a ``fact`` and ``agrees``."""
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        return f"cannot be read as JSON ({type(e).__name__})"
    if not isinstance(data, dict) or not isinstance(data.get("checks"), list) or not all(
            isinstance(r, dict) and isinstance(r.get("fact"), str)
            and isinstance(r.get("agrees"), bool) for r in data["checks"]):
        return "is not a results file of this script (no list of checks with fact and agrees)"
    if not isinstance(data.get("meta", {}), dict):
        return "is not a results file of this script (meta is not an object)"
    if not isinstance(data.get("meta", {}).get("updates", []), list):
        return "is not a results file of this script (meta.updates is not a list)"
    return data


def facts_holding(rows: list[dict]) -> dict[str, bool]:
    """A fact holds when every one of its checks agrees."""
    facts: dict[str, bool] = {}
    for r in rows:
        facts[r["fact"]] = facts.get(r["fact"], True) and bool(r["agrees"])
    return facts


def merge_results(old: dict, rows: list[dict], meta: dict) -> dict:
    """``old`` with every check of the facts in ``rows`` replaced by ``rows`` (in the place
    of the fact's first old check; a fact new to ``old`` goes at the end); the other facts'
    checks and the old meta are kept, this run's meta is appended under ``meta.updates``."""
    redone = {r["fact"] for r in rows}
    merged: list[dict] = []
    placed: set[str] = set()
    for r in old["checks"]:
        if r["fact"] not in redone:
            merged.append(r)
        elif r["fact"] not in placed:
            merged.extend(n for n in rows if n["fact"] == r["fact"])
            placed.add(r["fact"])
    merged.extend(n for n in rows if n["fact"] not in placed)
    out_meta = dict(old.get("meta", {}))
    out_meta["updates"] = [*out_meta.get("updates", []),
                           {"facts": sorted(redone), **meta}]
    return {"meta": out_meta, "facts_hold": facts_holding(merged), "checks": merged}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--facts", nargs="*", help="fact IDs to check (default: all)")
    ap.add_argument("--replicates", type=int, default=10)
    ap.add_argument("--seed", type=int, default=4409, help="base seed (default 4409)")
    ap.add_argument("--days", type=int, default=365, help="urban horizon (default 365)")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--runs", type=Path, default=Path("outputs/independent_check"),
                    help="folder of stored runs (reused)")
    ap.add_argument("--out", type=Path, default=None, help="JSON results (default: RUNS/"
                    "results.json)")
    ap.add_argument("--update", type=Path, default=None,
                    help="an earlier results file: replace its checks of the facts run here, "
                         "keep the others, write it back (not with --out)")
    ap.add_argument("--list", action="store_true", help="list the checks and exit")
    a = ap.parse_args(argv)
    bad = [(flag, rule) for flag, ok, rule in (
        ("--facts", a.facts is None or len(a.facts) > 0, "needs at least one fact ID"),
        ("--replicates", a.replicates >= 2, "must be >= 2"),
        ("--days", a.days >= 180, "must be >= 180 (the urban events fall in days 0-150)"),
        ("--jobs", a.jobs >= 1, "must be >= 1"),
        ("--seed", 0 <= a.seed < 2**63, "must be in 0 .. 2**63-1"),
        ("--out", a.out is None or a.out.parent.is_dir(), "its folder must exist"),
        ("--update", a.update is None or a.out is None, "replaces --out: give one of them"),
        ("--update", a.update is None or a.update.is_file(), "must be an existing file"))
        if not ok]
    if bad:
        for flag, rule in bad:
            print(f"error: {flag} {rule}", file=sys.stderr)
        return 2
    old = None
    if a.update is not None:
        old = read_results(a.update)
        if isinstance(old, str):
            print(f"error: --update {a.update} {old}", file=sys.stderr)
            return 2
    checks = build_checks(a.days)
    known = {c.fact for c in checks}
    if a.facts:
        unknown = sorted(set(a.facts) - known)
        if unknown:
            print(f"error: --facts: unknown {unknown}; known: {sorted(known)}", file=sys.stderr)
            return 2
        checks = [c for c in checks if c.fact in a.facts]
    if a.list:
        for c in checks:
            print(f"{c.fact}: {c.label}\n  scenario {' '.join(c.scenario)}\n  counterfactual "
                  f"{' '.join(c.counterfactual) if c.counterfactual else '(same runs)'}")
        return 0
    a.runs.mkdir(parents=True, exist_ok=True)
    arms = list(dict.fromkeys(arm for c in checks for arm in c.arms))
    jobs = [(arm, a.seed, k, str(a.runs), run_key(arm, a.seed, k))
            for arm in arms for k in range(a.replicates)]
    t0, wall0 = time.process_time(), time.perf_counter()
    cpu_runs = 0.0
    if a.jobs == 1:
        for job in jobs:
            cpu_runs += one_run(job)[1]
    else:
        with ProcessPoolExecutor(a.jobs) as pool:
            cpu_runs = sum(cpu for _, cpu in pool.map(one_run, jobs))
    rows = []
    for c in checks:
        x, y = [], []
        for k in range(a.replicates):
            s, ts = load(a.runs, run_key(c.scenario, a.seed, k))
            x.append(metric_value(c.metric, s, ts))
            if c.counterfactual is None:
                y.append(metric_value(c.other, s, ts))
            else:
                s2, ts2 = load(a.runs, run_key(c.counterfactual, a.seed, k))
                y.append(metric_value(c.other or c.metric, s2, ts2))
        rows.append(judge(c, np.array(x), np.array(y)))
    facts = facts_holding(rows)
    meta = {"seed": a.seed, "replicates": a.replicates, "days": a.days, "arms": len(arms),
            "runs": len(jobs), "cpu_seconds_runs": round(cpu_runs, 1),
            "cpu_seconds_main": round(time.process_time() - t0, 1),
            "wall_seconds": round(time.perf_counter() - wall0, 1),
            "load_average": os.getloadavg(), "date": time.strftime("%Y-%m-%d %H:%M UTC",
                                                                   time.gmtime())}
    result = {"meta": meta, "facts_hold": facts, "checks": rows}
    out = a.out or a.runs / "results.json"
    if old is not None:
        result, out = merge_results(old, rows, meta), a.update
    atomic_write(out, json.dumps(result, indent=1))  # an interrupted write keeps the old file
    print(table(rows))
    print()
    facts = result["facts_hold"]  # with --update: over the whole updated file
    held = [f for f, ok in facts.items() if ok]
    print(f"Facts holding independently: {len(held)} of {len(facts)}; not: "
          f"{sorted(f for f, ok in facts.items() if not ok) or 'none'}")
    print(json.dumps(meta))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
