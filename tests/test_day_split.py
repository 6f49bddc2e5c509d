"""experiments/day_split.py: the phases it times exist, its parts add up to the day it timed,
kernels are told from Python, and everything it wraps is put back."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from support import load_script

ROOT = Path(__file__).resolve().parents[1]


def script():
    return load_script(ROOT / "experiments" / "day_split.py")


def test_every_agent_step_it_times_exists():
    """(The module phases are day_cost_growth's, checked in tests/test_day_cost_growth.py.)"""
    missing = [f"{cls}.{name}" for (module, cls), names in script().METHODS.items()
               for name in names
               if not hasattr(getattr(importlib.import_module(module), cls), name)]
    assert not missing


def test_the_design_midpoint_is_the_middle_of_each_range():
    case = script().midpoint("urban_year")
    assert "topology=urban" in case
    assert "link_worker.caseload_cap=35" in case  # [20, 50]
    assert "need.p_onset_per_day=0.0002" in case  # [0.0001, 0.0003]


def test_a_week_is_split_into_kernels_and_python_and_the_wrappers_are_removed():
    from numba.core.registry import CPUDispatcher

    from sim import kernels
    from sim.model import CommunityModel
    from sim.processes import help_seeking, need

    before = (need.day, CommunityModel.step)
    report = script().measure(["topology=urban"], settle=7, days=5, blocks=1)
    assert (need.day, CommunityModel.step) == before
    # every compiled kernel is the dispatcher again, in sim.kernels and where it was bound
    assert isinstance(kernels.help_seekers_today, CPUDispatcher)
    assert isinstance(help_seeking.kernels.route_seekers, CPUDispatcher)
    assert isinstance(getattr(need, "need_day", kernels.need_day), CPUDispatcher)
    phases = report["phases"]
    for label in ("CommunityModel.step", "need.day", "help_seeking.seek_help",
                  "volunteering.step", "wellbeing.update"):
        assert phases[label]["us"] > 0, label
    # the need pass and the wellbeing update are mostly compiled; the day's own time is not
    assert phases["need.day"]["kernel_calls"] >= 1
    assert phases["wellbeing.update"]["kernel_us"] > phases["wellbeing.update"]["python_us"]
    assert phases["CommunityModel.step"]["kernel_calls"] == 0
    for p in phases.values():
        assert 0.0 <= p["kernel_us"] <= p["us"] + 1e-6
    # the phases' own times add up to the timed day (less the loop around the days)
    assert report["phases_sum_us"] == pytest.approx(report["instrumented_day_us"], rel=0.05)
    assert 0.0 < report["kernel_share"] < 1.0
    assert report["plain_day_us"] > 0


@pytest.mark.parametrize("argv", [["--days", "0"], ["--settle", "-1"], ["--blocks", "0"],
                                  ["--design", "no_such_design"],
                                  ["--design", "none", "--case", "topology=nowhere"],
                                  ["--case", "need.p_onset_per_day=2"]])
def test_bad_arguments_are_refused_with_exit_2_before_anything_runs(argv, capsys,
                                                                    monkeypatch):
    s = script()
    monkeypatch.setattr(s, "measure", lambda *a: pytest.fail("measured"))
    with pytest.raises(SystemExit) as exit_info:
        s.main(argv)
    assert exit_info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_an_existing_out_file_is_not_replaced(tmp_path, capsys):
    out = tmp_path / "split.json"
    out.write_text("mine", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        script().main(["--out", str(out)])
    assert exit_info.value.code == 2
    assert "exists" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "mine"
