"""What the parish council does to the village's unmet need in normal times, and why.

Notebook 02 compares the village (380 residents) with its parish council present, absent and
stood up on day 90, on 10 replicates; the unmet-need rows there come and go between seeds.
This script runs more replicates (paired by replicate, common random numbers) and two more
arms that isolate the mechanism:
- the council present but chosen by no help-seeker (``help_seeking.weight_intermediary=0``).
  In normal times the council's only contact with residents is the help-seeking channel, so
  if that arm is exactly the absent arm, any difference the council makes in normal times
  comes through who chooses it instead of the GP, self-referral, ties or a group;
- the council present but sending no one on to the GP
  (``intermediaries.p_unplaced_sent_to_gp=0``, the model before 2026-12-02): it offers
  those who come to it a village group with room and, with no tie to health, nothing else.
  Then a council in post raised unmet need (residents who chose it instead of the GP came
  away with nothing); this arm shows how much of that the onward signposting removes.

    python experiments/village_council_effect.py                      # seed 1, 40 replicates
    python experiments/village_council_effect.py --seed 2020 --replicates 20 --out v.json

Each line: an arm minus the absent arm, the mean over replicates with a 95 % t interval and
how many replicates are below zero. About 4 CPU-seconds a replicate for all five arms
(Intel Xeon, 2 vCPUs: 165 CPU-s for 40 replicates). ``--out`` writes the per-replicate
summaries and the table (JSON); an existing file is not overwritten.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ARMS = {
    "present": {"topology": "rural"},
    "absent": {"topology": "rural", "topology.rural_unit.parish_council": False},
    "stood up on day 90": {"topology": "rural", "scenario": "parish_council"},
    "present, chosen by no one": {"topology": "rural",
                                  "help_seeking.weight_intermediary": 0.0},
    "present, sends no one on": {"topology": "rural",
                                 "intermediaries.p_unplaced_sent_to_gp": 0.0},
}
OUTCOMES = ("unmet_need_days_per_1000_residents", "unmet_need_days_complex",
            "unmet_need_days_moderate", "unmet_need_days_low", "mean_days_to_first_support",
            "referrals_total", "community_mobilisation_per_1000_residents",
            "sent_on_to_gp_per_1000_residents")


def arguments(argv: list[str] | None) -> argparse.Namespace | None:
    """The options; None (after saying why on stderr) when one is out of range."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1, help="base seed (run.seed), >= 0")
    ap.add_argument("--replicates", type=int, default=40, help="paired replicates, 2-1000")
    ap.add_argument("--days", type=int, default=365, help="output days a run, 1-3650")
    ap.add_argument("--out", type=Path, default=None, help="JSON file to write (new file)")
    a = ap.parse_args(argv)
    problems = []
    if a.seed < 0:
        problems.append("--seed must be >= 0")
    if not 2 <= a.replicates <= 1000:
        problems.append("--replicates must be between 2 and 1000")
    if not 1 <= a.days <= 3650:
        problems.append("--days must be between 1 and 3650")
    if a.out is not None and a.out.exists():
        problems.append(f"--out {a.out} exists: not overwritten (choose a new file)")
    if a.out is not None and not a.out.parent.is_dir():
        problems.append(f"--out {a.out}: folder {a.out.parent} does not exist")
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    return None if problems else a


def paired_rows(runs: dict[str, list[dict]]) -> list[dict]:
    """Each arm minus the absent arm, outcome by outcome: mean, 95 % t interval, below zero."""
    from sim.experiments.compare import mean_ci

    rows = []
    for arm in (a for a in ARMS if a != "absent"):
        for outcome in OUTCOMES:
            d = (np.array([s[outcome] for s in runs[arm]], float)
                 - np.array([s[outcome] for s in runs["absent"]], float))
            d = d[np.isfinite(d)]
            low, high = mean_ci(d)
            rows.append({"arm": arm, "outcome": outcome, "mean": float(d.mean()),
                         "low": low, "high": high, "below_zero": int((d < 0).sum()),
                         "replicates": int(d.size)})
    return rows


def main(argv: list[str] | None = None) -> int:
    a = arguments(argv)
    if a is None:
        return 2
    import sim

    runs: dict[str, list[dict]] = {arm: [] for arm in ARMS}
    with tempfile.TemporaryDirectory(prefix="burn-in-") as burn_in:  # arms that differ only
        for k in range(a.replicates):  # in events share a burnt-in state
            for arm, values in ARMS.items():
                cfg = sim.configure(**values, **{"run.days": a.days, "run.seed": a.seed,
                                                 "run.replicate": k})
                runs[arm].append(sim.run(cfg, burn_in_cache=burn_in).summary)
    rows = paired_rows(runs)
    print(f"village, seed {a.seed}, {a.replicates} replicates, {a.days} days: arm - absent")
    for r in rows:
        print(f"{r['arm']:27s} {r['outcome']:43s} {r['mean']:10.2f} "
              f"[{r['low']:10.2f}, {r['high']:10.2f}]  below zero {r['below_zero']}/"
              f"{r['replicates']}")
    if a.out is not None:
        a.out.write_text(json.dumps({"seed": a.seed, "replicates": a.replicates,
                                     "days": a.days, "paired": rows, "runs": runs},
                                    indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
