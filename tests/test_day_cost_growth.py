"""experiments/day_cost_growth.py: it times what the day calls, and fails loudly if a phase is
renamed (it had gone stale: ``need.need_onset`` no longer existed)."""

from __future__ import annotations

import importlib
from pathlib import Path

from support import load_script

from sim.model import CommunityModel

ROOT = Path(__file__).resolve().parents[1]


def script():
    return load_script(ROOT / "experiments" / "day_cost_growth.py")


def test_every_phase_it_times_exists():
    s = script()
    missing = [f"{module}.{name}" for module, names in s.PHASES.items()
               for name in names if not hasattr(importlib.import_module(module), name)]
    missing += [f"CommunityModel.{name}" for name in s.METHODS
                if not hasattr(CommunityModel, name)]
    assert not missing


def test_a_small_county_reports_each_phase_and_restores_the_functions():
    from sim.processes import need

    before = need.day
    report = script().measure(n=3000, days=6, early=3, late=3, seed=1)
    assert need.day is before  # the wrappers are removed
    early = report["ms_early"]
    assert early["day"] > 0 and early["need.day"] > 0 and early["help_seeking.seek_help"] >= 0
    assert early["day"] >= early["need.day"]
    s = script()  # every phase it wraps was called on these days (day 1 is a Monday)
    named = {f"{module.rsplit('.', 1)[-1]}.{name}" for module, names in s.PHASES.items()
             for name in names} | {f"model.{name}" for name in s.METHODS}
    assert named <= set(early)
