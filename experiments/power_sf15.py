"""Power of the SF15 validation test (issue 11): the design's calculation, made before its
run from the pilot on replicates 10-29 (tests/validation/README.md, "SF15 with enough
power"); no model run.

The test holds when the 95 % BCa bootstrap interval of the mean paired difference lies wholly
above zero (``sim.experiments.compare.mean_ci``, 9,999 resamples, seed 20201: the suite's
rule, tests/validation/paired.py). Its metric, health-VCSE ties gained from day 30 to day
150, is a whole number, so pairs are simulated as the rounded normal of the pilot's spread
(sd 1.71 ties a run) at three effects: the pilot's +1.75, the +1.5 of the 30 pairs seen so
far pooled, and the suite's +1.0 on replicates 0-9 alone.

    python experiments/power_sf15.py              # the table (about 40 CPU-seconds)
    python experiments/power_sf15.py --sims 200   # quicker, coarser
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from power_sf39_s27 import normal_power, power_table  # noqa: E402  (the same rule)

PILOT_SD = 1.71  # replicates 10-29, 20 pairs (CHANGELOG, session 32)
EFFECTS = (1.75, 1.5, 1.0)
PAIRS = (10, 20, 30)


def power(effect: float, pairs: int, sims: int, rng: np.random.Generator,
          sd: float = PILOT_SD) -> float:
    """Share of simulated tests whose interval lies wholly above zero (whole-number pairs)."""
    return normal_power(effect, pairs, sims, rng, sd, rounded=True)


def main(argv: list[str] | None = None) -> int:
    return power_table("SF15", __doc__, EFFECTS, PAIRS, power, PILOT_SD, argv)


if __name__ == "__main__":
    raise SystemExit(main())
