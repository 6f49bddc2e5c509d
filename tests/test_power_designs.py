"""experiments/power_sf15.py, power_sf25.py and power_s27.py: the figures SF15's, SF25's and
S27's designs rest on (no model runs)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from support import load_script

ROOT = Path(__file__).resolve().parents[1]
# each script, with an effect its 20 pairs find almost always and 10 pairs less often
DESIGNS = {"power_sf15": 1.75, "power_sf25": 0.0191, "power_s27": 13635.0}


@pytest.mark.parametrize("name, effect", DESIGNS.items())
def test_power_grows_with_pairs_and_vanishes_without_an_effect(name, effect):
    power = load_script(ROOT / "experiments" / f"{name}.py").power
    rng = np.random.default_rng(0)
    ten, twenty = power(effect, 10, 200, rng), power(effect, 20, 200, rng)
    assert 0.6 < ten < twenty and twenty > 0.9  # SF15 about 0.88 / 0.995, SF25 0.77 / 0.97,
    # S27 0.91 / 0.997
    assert power(0.0, 20, 200, rng) < 0.08  # a null is found about 2.5 % of the time


@pytest.mark.parametrize("name", DESIGNS)
def test_too_few_simulations_exit_2(name):
    proc = subprocess.run([sys.executable, str(ROOT / "experiments" / f"{name}.py"),
                           "--sims", "5"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2 and "--sims" in proc.stderr and "Traceback" not in proc.stderr
