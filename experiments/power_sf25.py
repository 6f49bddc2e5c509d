"""Power of SF25's repeat-referrals validation test (issue 11): the design's calculation, made
before its run from the pilot on replicates 10-29 (tests/validation/README.md, "SF25's repeat
referrals with enough power"); no model run.

The test holds when the 95 % BCa bootstrap interval of the mean paired difference lies wholly
above zero (the suite's rule, tests/validation/paired.py). Its metric, link-worker referrals
per referred resident (baseline minus the re-escalation pathway), is continuous, so pairs are
simulated as normal with the pilot's spread (sd 0.0231 a pair) at four effects: the pilot's
+0.0174, the suite's +0.0191 on replicates 0-9, +0.0144 (before the GP-VCSE ties code) and
+0.0080 (the lowest seen, on the ties code, when the test failed).

    python experiments/power_sf25.py              # the table (about 60 CPU-seconds)
    python experiments/power_sf25.py --sims 200   # quicker, coarser
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from power_sf39_s27 import normal_power, power_table  # noqa: E402  (the same rule)

# the pilot, replicates 10-29 (20 pairs, 2026-12-02): mean +0.01735, sd 0.02308, 14 of 20 > 0
PILOT_SD = 0.0231
EFFECTS = (0.0174, 0.0191, 0.0144, 0.0080)
PAIRS = (10, 20, 30)


def power(effect: float, pairs: int, sims: int, rng: np.random.Generator,
          sd: float = PILOT_SD) -> float:
    """Share of simulated tests whose interval lies wholly above zero."""
    return normal_power(effect, pairs, sims, rng, sd)


def main(argv: list[str] | None = None) -> int:
    return power_table("SF25", __doc__, EFFECTS, PAIRS, power, PILOT_SD, argv)


if __name__ == "__main__":
    raise SystemExit(main())
