"""experiments/power_sf15.py: the figures SF15's design rests on (no model runs)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from support import load_script

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "experiments" / "power_sf15.py"


def test_power_grows_with_pairs_and_vanishes_without_an_effect():
    power = load_script(SCRIPT).power
    rng = np.random.default_rng(0)
    ten, twenty = power(1.75, 10, 200, rng), power(1.75, 20, 200, rng)
    assert 0.75 < ten < twenty and twenty > 0.95  # about 0.88 and 0.995 at 1,000 tests
    assert power(0.0, 20, 200, rng) < 0.08  # a null is found about 2.5 % of the time


def test_too_few_simulations_exit_2():
    proc = subprocess.run([sys.executable, str(SCRIPT), "--sims", "5"], capture_output=True,
                          text=True, cwd=ROOT)
    assert proc.returncode == 2 and "--sims" in proc.stderr and "Traceback" not in proc.stderr
