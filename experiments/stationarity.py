"""Is the baseline stationary after the burn-in? Slopes of the key stocks, with intervals.

For each topology (urban estate, the estate without an LIO, rural village, county of 20,000)
it runs R replicates of a Y-year baseline (default burn-in, common seed), fits each key
stock's least-squares slope per year in every replicate and reports the mean slope across
replicates with its 95 % t interval, both in the stock's units and as a share of the stock's
mean. It also reports the largest
day-to-day change in the first 60 days of output among stocks whose mean is 50 or more (the
start-up cliffs a room of planners would see).

    python experiments/stationarity.py                 # 10 replicates, 5 years, 2 processes
    python experiments/stationarity.py --replicates 3 --years 2 --jobs 1 --no-docs

Results go to ``experiments/results/stationarity.json`` and, unless ``--no-docs``, into the
"Stationarity" section of ``docs/validation.md`` (between its markers).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOPOLOGIES = {
    "urban": ["topology=urban"],
    "urban_no_lio": ["topology=urban", "topology.place_lio=false"],
    "rural": ["topology=rural"],
    "county": ["topology=county", "topology.n_residents=20000"],
}
STOCKS = {
    "n_unmet_need": "residents in unmet need",
    "n_lw_waiting": "waiting for a link worker (inbox + waiting list)",
    "n_lw_caseload": "link-worker bespoke caseloads",
    "n_vol_active": "volunteers active",
    "n_vol_idle": "volunteers idle",
    "n_vol_applied": "volunteers applied (not yet processed)",
    "n_vol_backlog": "volunteers applied or onboarding",
    "n_groups_open": "groups open",
    "n_group_clients": "group clients",
    "frac_directory_accuracy": "directory accuracy (share of entries still open)",
    "mean_group_strain": "mean strain of open groups",
    "n_gp_vcse_ties": "GP practice-VCSE ties",
}
BEGIN, END = "<!-- stationarity:begin -->", "<!-- stationarity:end -->"


def one_run(topology: str, replicate: int, years: int, extra: list[str]) -> dict:
    from sim import runner
    from sim.config import compose

    cfg = compose([*TOPOLOGIES[topology], f"run.days={365 * years}",
                   f"run.replicate={replicate}", "run.resident_agents=false", *extra])
    t0 = time.process_time()
    res = runner.run(cfg)
    ts = res.timeseries
    ts["n_lw_waiting"] = ts["n_lw_inbox"] + ts["n_lw_waiting_list"]
    return {"topology": topology, "replicate": replicate, "cpu_seconds": time.process_time() - t0,
            "burn_in_days": cfg.run.burn_in_days,
            "series": {k: ts[k].astype(float).tolist() for k in STOCKS}}


def slope_per_year(y: np.ndarray) -> float:
    t = np.arange(y.size) / 365.0
    return float(np.polyfit(t, y, 1)[0])


def summarise(runs: list[dict]) -> dict:
    out = {}
    for key, meaning in STOCKS.items():
        ys = [np.asarray(r["series"][key]) for r in runs]
        slopes = np.array([slope_per_year(y) for y in ys])
        mean = float(np.mean([y.mean() for y in ys]))
        m = float(slopes.mean())
        half = (float(stats.t.ppf(0.975, slopes.size - 1) * slopes.std(ddof=1)
                      / np.sqrt(slopes.size)) if slopes.size > 1 else float("nan"))
        first = np.array([y[:60] for y in ys])
        jumps = np.abs(np.diff(first, axis=1)) / np.maximum(first[:, :-1], 1e-9)
        out[key] = {"meaning": meaning, "mean": mean, "slope_per_year": m,
                    "ci95": [m - half, m + half],
                    "slope_share_of_mean": m / mean if mean else float("nan"),
                    "ci95_share_of_mean": ([(m - half) / mean, (m + half) / mean] if mean
                                           else [float("nan")] * 2),
                    "max_day_to_day_change_first_60_days": float(jumps.max()) if mean >= 50
                    else None}
    return out


def markdown(result: dict) -> str:
    lines = [BEGIN, "",
             f"Baseline, {result['replicates']} replicates of {result['years']} years after a "
             f"burn-in of {result['burn_in_days']} days (seed {result['seed']}); slope of a "
             "least-squares line per replicate, mean across replicates with its 95 % t "
             "interval, as a share of the stock's mean per year. Last column: the largest "
             "day-to-day change in the first 60 days of output (stocks with a mean of 50 or "
             f"more). Made by `experiments/stationarity.py` on {result['machine']} "
             f"({result['cpu_seconds']:.0f} CPU-seconds).", ""]
    for topo, stocks in result["topologies"].items():
        lines += [f"**{topo}**", "",
                  "| stock | mean | slope / year | 95 % interval | share of mean / year | "
                  "95 % interval (share) | max daily change, days 1–60 |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for key, s in stocks.items():
            lo, hi = s["ci95"]
            slo, shi = s["ci95_share_of_mean"]
            jump = s["max_day_to_day_change_first_60_days"]
            lines.append(
                f"| {s['meaning']} (`{key}`) | {s['mean']:.3g} | {s['slope_per_year']:+.3g} | "
                f"[{lo:+.3g}, {hi:+.3g}] | {100 * s['slope_share_of_mean']:+.1f} % | "
                f"[{100 * slo:+.1f} %, {100 * shi:+.1f} %] | "
                f"{'—' if jump is None else f'{100 * jump:.1f} %'} |")
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replicates", type=int, default=10)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--topologies", nargs="+", default=list(TOPOLOGIES), choices=TOPOLOGIES)
    ap.add_argument("--no-docs", action="store_true", help="do not update docs/validation.md")
    ap.add_argument("--out", type=Path, default=ROOT / "experiments" / "results" /
                    "stationarity.json")
    ap.add_argument("overrides", nargs="*", help="extra Hydra overrides for every run")
    args = ap.parse_args(argv)
    if args.replicates < 2 or args.years < 1:
        ap.error("--replicates must be >= 2 and --years >= 1")
    from joblib import Parallel, delayed

    jobs = [(t, r) for t in args.topologies for r in range(args.replicates)]
    runs = Parallel(n_jobs=args.jobs)(delayed(one_run)(t, r, args.years, args.overrides)
                                      for t, r in jobs)
    from sim.config import compose

    cfg = compose(args.overrides)
    result = {"replicates": args.replicates, "years": args.years,
              "burn_in_days": runs[0]["burn_in_days"], "seed": cfg.run.seed,
              "machine": f"{platform.processor() or platform.machine()}, "
                         f"{platform.python_implementation()} {platform.python_version()}",
              "cpu_seconds": sum(r["cpu_seconds"] for r in runs),
              "topologies": {t: summarise([r for r in runs if r["topology"] == t])
                             for t in args.topologies}}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    text = markdown(result)
    print(text)
    if not args.no_docs:
        doc = ROOT / "docs" / "validation.md"
        body = doc.read_text()
        if BEGIN in body and END in body:
            body = body[:body.index(BEGIN)] + text + body[body.index(END) + len(END):]
        else:
            body += "\n## Stationarity of the baseline\n\n" + text + "\n"
        doc.write_text(body)
    worst = max(abs(s["slope_share_of_mean"]) for st in result["topologies"].values()
                for s in st.values() if s["mean"] > 0)
    print(f"largest |slope| share of mean per year: {100 * worst:.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
