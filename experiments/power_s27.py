"""Power of S27's agile-commissioning validation test (issue 11): the design's calculation,
made before its run from the pilot on replicates 10-29 (tests/validation/README.md, "S27 with
enough power, again"); no model run.

The test holds when the 95 % BCa bootstrap interval of the mean paired difference lies wholly
below zero (the suite's rule, tests/validation/paired.py). Its metric, resident-days of unmet
need (agile minus even, two years on a county of 10,000), is continuous, so pairs are
simulated as normal with the pilot's spread (sd 12,331 a pair) at three effects, given as
even minus agile: the pilot's 13,635, the 9,241 of the 10-pair design's failing run on
replicates 0-9 (2026-12-02, on the code where the parish council sends on to the GP) and
half the pilot's.

    python experiments/power_s27.py              # the table (about 60 CPU-seconds)
    python experiments/power_s27.py --sims 200   # quicker, coarser
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from power_sf39_s27 import normal_power, power_table  # noqa: E402  (the same rule)

# the pilot, replicates 10-29 (20 pairs, 2026-12-02, base seed 42613): agile - even
# mean -13,635, sd 12,331, 17 of 20 below zero
PILOT_SD = 12331.0
EFFECTS = (13635.0, 9241.0, 6818.0)
PAIRS = (10, 20, 30)


def power(effect: float, pairs: int, sims: int, rng: np.random.Generator,
          sd: float = PILOT_SD) -> float:
    """Share of simulated tests whose interval lies wholly on the fact's side of zero (pairs
    as even minus agile, so the fact's side is above)."""
    return normal_power(effect, pairs, sims, rng, sd)


def main(argv: list[str] | None = None) -> int:
    return power_table("S27", __doc__, EFFECTS, PAIRS, power, PILOT_SD, argv)


if __name__ == "__main__":
    raise SystemExit(main())
