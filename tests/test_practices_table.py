"""The per-practice table (sim.practices, ``practices.parquet``) and the summary figures that
compare practices with a link worker in the surgery against the others within one run."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import sim
from sim import io, outputs, runner
from sim.model import CommunityModel
from sim.params import ConfigError

MIXED = ["topology=urban", "topology.n_residents=2000", "run.burn_in_days=14", "run.days=60",
         "topology.urban.link_workers=0",
         "+events.start={day:0,kind:add_link_workers,"
         "params:{per_practice:1,practices:all,host:alternate}}"]


@pytest.fixture(scope="module")
def mixed_run():
    """A new service on a small estate: the first practice's post in the surgery, the
    second's hosted by a VCSE provider."""
    return runner.run(sim.compose(MIXED), keep_model=True)


def test_one_row_per_practice_adding_up_to_the_daily_table(mixed_run):
    t, ts, model = mixed_run.practices, mixed_run.timeseries, mixed_run.model
    assert list(t.columns) == list(outputs.names("practices"))
    assert len(t) == len(model.gp_practices) == 2
    assert t["n_patients"].sum() == model.pop.n
    assert t["gp_referrals"].sum() == ts["new_referrals_gp"].sum() > 0
    assert 0 < t["nonmedical_consultations"].sum() <= ts["new_gp_consultations_nonmedical"].sum()
    assert (t["gp_referrals"] <= t["nonmedical_consultations"]).all()
    assert t["co_located"].tolist() == [1, 0] and t["n_link_workers"].tolist() == [1, 1]
    # the co-located worker is in the surgery on its working days only; the other never
    assert 0 < t["days_co_located"].iloc[0] < len(ts) and t["days_co_located"].iloc[1] == 0
    assert t["engagement"].tolist() == [gp.engagement() for gp in model.gp_practices]
    expect = 1000 * t["gp_referrals"] / t["n_patients"]
    np.testing.assert_allclose(t["gp_referrals_per_1000_patients"], expect)


def test_summary_compares_co_located_and_remote_practices(mixed_run):
    t, s = mixed_run.practices, mixed_run.summary
    assert s["gp_referrals_per_1000_patients_co_located"] == pytest.approx(
        1000 * t["gp_referrals"].iloc[0] / t["n_patients"].iloc[0])
    assert s["gp_referrals_per_1000_patients_remote"] == pytest.approx(
        1000 * t["gp_referrals"].iloc[1] / t["n_patients"].iloc[1])


def test_counts_start_at_output_day_0():
    """Referrals and consultations during the burn-in are not the run's."""
    cfg = sim.compose(["topology=urban", "topology.n_residents=2000", "run.burn_in_days=60",
                       "run.days=1"])
    result = runner.run(cfg, keep_model=True)
    t = result.practices
    assert t["gp_referrals"].sum() == result.timeseries["new_referrals_gp"].sum()
    assert sum(gp.n_nonmedical for gp in result.model.gp_practices) > \
        t["nonmedical_consultations"].sum()  # the burn-in's are left out
    # no practice with a post in the surgery: that figure is undefined, not zero
    hosts = {lw.host for lw in result.model.link_workers}
    if "practice" not in hosts:
        assert math.isnan(result.summary["gp_referrals_per_1000_patients_co_located"])


@pytest.mark.parametrize("host, flags", [("practice", [1, 1]), ("vcse", [0, 0]),
                                         ("lio", [0, 0])])
def test_a_given_host_sets_every_new_post(host, flags):
    cfg = sim.compose([*MIXED[:4], "run.days=1", "topology.urban.link_workers=0",
                       "+events.start={day:0,kind:add_link_workers,"
                       f"params:{{per_practice:1,practices:all,host:{host}}}}}"])
    result = runner.run(cfg, keep_model=True)
    assert result.practices["co_located"].tolist() == flags
    assert {lw.host for lw in result.model.link_workers} == {host}


def test_an_unknown_host_is_refused_by_name():
    cfg = sim.compose([*MIXED[:5], "+events.start={day:0,kind:add_link_workers,"
                                   "params:{host:garden}}"])
    with pytest.raises(ConfigError, match=r"events\.start\.params\.host: must be one of"):
        CommunityModel(cfg)


def test_written_with_field_metadata_and_read_back(mixed_run, tmp_path):
    out = tmp_path / "run"
    files = io.write_run(mixed_run, out, plots=False)
    assert out / "practices.parquet" in files
    schema = pq.read_schema(out / "practices.parquet")
    assert schema.names == list(outputs.names("practices"))
    for field in schema:
        e = outputs.get(field.name, "practices")
        assert field.metadata[b"meaning"].decode() == e.meaning
        assert field.metadata[b"level"].decode() == f"{e.level} per GP practice"
    pd.testing.assert_frame_equal(io.load_practices(out), mixed_run.practices,
                                  check_exact=True)
    assert "practices.parquet" in io.load_run(out)[2]["files"]
