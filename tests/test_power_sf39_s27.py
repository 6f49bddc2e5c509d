"""experiments/power_sf39_s27.py: the figures the SF39 and S27 designs rest on (no model runs)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from support import load_script

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "experiments" / "power_sf39_s27.py"


@pytest.fixture(scope="module")
def power():
    return load_script(SCRIPT)


def test_grant_year_chances_follow_the_taper_and_the_willingness(power):
    p = power.year_probabilities()  # willingness ~ N(1.0, 0.2) against shares 0/0.5/0.8/1.0
    assert p.sum() == pytest.approx(1.0)
    assert p[2] == pytest.approx(0.1524, abs=1e-4) and p[3] == pytest.approx(0.3413, abs=1e-4)
    assert p[4] == pytest.approx(0.5)  # willing to pay in full: never ends


def test_place_days_count_each_review_to_the_end(power):
    assert power.place_days(365) == 10 * (275 + 185 + 95 + 5)
    assert power.place_days(730) == 26_000
    assert power.place_days(90) == 0  # the first review is on day 90


def test_power_grows_with_grants_per_run(power):
    rng = np.random.default_rng(0)
    few = power.sf39_power(14, 10, 200, rng)["power"]
    many = power.sf39_power(27, 10, 200, rng)["power"]
    assert 0.8 < few < 0.96 < many  # about 0.89 and 0.99 with 2,000 simulated tests


def test_too_few_simulations_exit_2():
    proc = subprocess.run([sys.executable, str(SCRIPT), "--sims", "5"], capture_output=True,
                          text=True, cwd=ROOT)
    assert proc.returncode == 2 and "--sims" in proc.stderr and "Traceback" not in proc.stderr
