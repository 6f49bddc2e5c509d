"""The per-area time course (``area_course.parquet``, issue 15 deliverable 2): one row per area
and period, adding up to the per-area table, written by a run, rolled up by PCN, district or
deprivation decile, and collected across the runs of a sweep."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from support import CONFIGS

import sim
from sim import areas, io, outputs, runner
from sim.experiments.collect import collect
from sim.experiments.executor import Job, run_jobs

SAMPLE = CONFIGS / "places" / "sample"
PLACES = ["topology=places", f"topology.place_file={SAMPLE / 'areas.csv'}",
          f"topology.practice_file={SAMPLE / 'practices.csv'}",
          f"topology.registration_file={SAMPLE / 'registrations.csv'}",
          "run.burn_in_days=28", "run.days=30", "run.plots=false"]
FLOW_TOTALS = {"new_residents_in_need": "residents_in_need",
               "new_residents_reached": "residents_reached",
               "unmet_need_days": "unmet_need_days", "lw_referrals": "lw_referrals"}


@pytest.fixture(scope="module")
def result():
    return runner.run(sim.compose(PLACES), keep_model=True)


def test_periods_cover_the_run_and_add_up_to_the_areas_table(result):
    course, by_area = result.area_course, result.areas
    assert list(course.columns) == list(outputs.names("area_course"))
    n_areas = len(by_area)
    assert len(course) == 5 * n_areas  # 30 days: four weeks and two days
    per = course.drop_duplicates("period")
    assert per["first_day"].tolist() == [1, 8, 15, 22, 29]
    assert per["last_day"].tolist() == [7, 14, 21, 28, 30]
    assert (course["area"].to_numpy().reshape(5, n_areas) == by_area["area"].to_numpy()).all()
    totals = course.groupby("area", sort=False)[list(FLOW_TOTALS)].sum()
    for flow, total in FLOW_TOTALS.items():
        assert totals[flow].tolist() == by_area[total].tolist(), flow
    assert course["new_residents_in_need"].sum() > 0 and course["lw_referrals"].sum() > 0
    # the last period's stocks are the end of the run's
    last = course[course["period"] == 4].reset_index(drop=True)
    for col in ("n_unmet_need", "n_vol_trained", "n_residents", "district", "pcn", "imd_decile"):
        assert last[col].tolist() == by_area[col].tolist(), col
    assert np.allclose(last["mean_wellbeing_life_satisfaction"],
                       by_area["mean_wellbeing_life_satisfaction"])
    now = areas.snapshot(result.model)
    for col in areas.COURSE_STOCKS:
        assert last[col].tolist() == now[col].tolist(), col
    pop = result.model.pop
    assert last["n_in_need"].sum() == int((pop.need > 0).sum())
    assert last["n_unmet_need"].sum() == int(pop.unmet().sum())
    assert (last["n_supported"] + last["n_unmet_need"] == last["n_in_need"]).all()


def test_roll_ups_sum_counts_and_recompute_rates_period_by_period(result):
    course = result.area_course
    by_pcn = areas.aggregate_course(course, "pcn")
    assert by_pcn["pcn"].nunique() == 2 and len(by_pcn) == 2 * 5
    whole = areas.aggregate_course(course)
    assert whole["period"].tolist() == list(range(5)) and (whole["n_areas"] == 6).all()
    for col in areas.COURSE_COUNTS:
        assert whole[col].tolist() == by_pcn.groupby("period")[col].sum().tolist(), col
        assert whole[col].tolist() == course.groupby("period")[col].sum().tolist(), col
    expected = whole["unmet_need_days"] / whole["n_residents"]
    assert np.allclose(whole["unmet_days_per_resident"], expected)  # not a mean of rates
    assert np.allclose(whole["frac_in_need_unmet"], whole["n_unmet_need"] / whole["n_in_need"])
    weighted = (course["mean_wellbeing_life_satisfaction"] * course["n_residents"]).groupby(
        course["period"]).sum() / course.groupby("period")["n_residents"].sum()
    assert np.allclose(whole["mean_wellbeing_life_satisfaction"], weighted)
    with pytest.raises(KeyError, match="no column 'nope'"):
        areas.aggregate_course(course, "nope")


def test_a_run_writes_the_time_course_with_the_dictionary_in_its_metadata(result, tmp_path):
    io.write_run(result, tmp_path / "run", plots=False)
    assert (tmp_path / "run" / "area_course.parquet").is_file()
    loaded = io.load_area_course(tmp_path / "run")
    pd.testing.assert_frame_equal(loaded, result.area_course)
    field = pq.read_schema(tmp_path / "run" / "area_course.parquet").field("n_unmet_need")
    assert field.metadata[b"level"] == b"resident per area and period"
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert "area_course.parquet" in manifest["files"]


def test_without_a_period_no_course_and_the_same_results(result):
    off = runner.run(sim.compose([*PLACES, "run.area_period_days=0"]))
    assert off.area_course is None
    pd.testing.assert_frame_equal(off.timeseries, result.timeseries)
    pd.testing.assert_frame_equal(off.areas, result.areas)
    assert io.dumps(off.summary) == io.dumps(result.summary)
    monthly = runner.run(sim.compose([*PLACES, "run.area_period_days=30"])).area_course
    assert monthly["period"].unique().tolist() == [0]
    total = result.area_course.groupby("area", sort=False)["unmet_need_days"].sum()
    assert monthly["unmet_need_days"].tolist() == total.tolist()


def test_area_sums_without_contiguous_residents_match_bincount():
    rng = np.random.default_rng(5)
    unit = rng.integers(0, 7, 500).astype(np.int32)
    unit[unit == 3] = 4  # an empty area
    values = rng.integers(0, 9, (3, 500))
    sums = areas._AreaSums(unit, 7)
    assert not sums.contiguous
    expected = np.stack([np.bincount(unit, weights=v, minlength=7) for v in values])
    assert (sums(values) == expected).all() and (sums(values)[:, 3] == 0).all()
    order = np.argsort(unit, kind="stable")
    fast = areas._AreaSums(np.sort(unit), 7)
    assert not fast.contiguous  # area 3 is empty: reduceat would misread it
    full = np.repeat(np.arange(7), 3).astype(np.int32)
    assert areas._AreaSums(full, 7).contiguous
    assert (fast(values[:, order]) == expected).all()


def test_a_sweep_collects_the_area_tables_of_every_run(tmp_path):
    jobs = [Job(f"seed={s}", (*PLACES, "run.days=9", f"run.seed={s}")) for s in (1, 2)]
    jobs.append(Job("no-course", (*PLACES, "run.days=9", "run.seed=3",
                                  "run.area_period_days=0")))
    run_jobs(jobs, tmp_path, backend="serial", progress=False)
    info = collect(tmp_path)
    assert info["runs"] == 3 and info["areas"] == 3 * 6 and info["area_course"] == 2 * 2 * 6
    tables = tmp_path / "tables"
    per_run = io.load_practices(tmp_path / "seed=1")  # and the per-practice tables
    assert len(per_run) > 0 and info["practices"] == 3 * len(per_run)
    practices = pd.read_parquet(tables / "practices.parquet")
    assert practices.loc[practices["run"] == "seed=1", "gp_referrals"].tolist() == \
        per_run["gp_referrals"].tolist()
    course = pd.read_parquet(tables / "area_course.parquet")
    assert list(course.columns[:6]) == ["run", "config_hash", "scenario", "topology", "seed",
                                        "replicate"]
    assert sorted(course["seed"].unique().tolist()) == [1, 2]
    assert pq.read_schema(tables / "area_course.parquet").field("unmet_need_days").metadata[
        b"unit"] == b"resident-days"
    # rolled up by run and district, each run's rows are that run's own roll-up
    rolled = areas.aggregate_course(course, ["run", "district"])
    for run in ("seed=1", "seed=2"):
        own = areas.aggregate_course(io.load_area_course(tmp_path / run), "district")
        mine = rolled[rolled["run"] == run].reset_index(drop=True)
        assert mine["unmet_need_days"].tolist() == own["unmet_need_days"].tolist()
        assert np.allclose(mine["frac_in_need_unmet"], own["frac_in_need_unmet"],
                           equal_nan=True)
    # across runs by deprivation decile: the runs' counts pooled
    by_decile = areas.aggregate(pd.read_parquet(tables / "areas.parquet"), "imd_decile")
    assert by_decile["n_residents"].sum() == 3 * course[course["period"] == 0][
        "n_residents"].sum() / 2
    # a later collect of runs without time courses leaves no stale table
    for run in ("seed=1", "seed=2"):
        (tmp_path / run / "area_course.parquet").unlink()
    assert "area_course" not in collect(tmp_path)
    assert not (tables / "area_course.parquet").exists()
