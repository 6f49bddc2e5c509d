"""Outputs by area (sim.areas, ``areas.parquet``): one row per area, rolled up to PCN, district
and deprivation decile; consistent with the run's equity figures; written with the data
dictionary's field metadata."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from support import CONFIGS

import sim
from sim import areas, io, outputs, runner
from sim.topology.places import POP_COLUMNS

SAMPLE = CONFIGS / "places" / "sample"


@pytest.fixture(scope="module")
def sample_run():
    cfg = sim.compose(["topology=places", f"topology.place_file={SAMPLE / 'areas.csv'}",
                       f"topology.practice_file={SAMPLE / 'practices.csv'}",
                       f"topology.registration_file={SAMPLE / 'registrations.csv'}",
                       "run.burn_in_days=20", "run.days=40", "run.plots=false"])
    return runner.run(cfg, keep_model=True)


def test_one_row_per_area_with_the_dictionarys_columns_and_types(sample_run):
    t = sample_run.areas
    table = pd.read_csv(SAMPLE / "areas.csv")
    assert list(t.columns) == list(outputs.names("areas"))
    for e in outputs.entries("areas"):
        if e.dtype == "str":
            assert pd.api.types.is_string_dtype(t[e.name]), e.name
        else:
            assert t[e.name].dtype == np.dtype(e.dtype), e.name
    assert t["area"].tolist() == table["area"].tolist()
    assert t["pcn"].tolist() == table["pcn"].tolist()
    assert t["district"].tolist() == table["district"].tolist()
    assert t["imd_decile"].tolist() == table["imd_decile"].tolist()
    assert np.array_equal(t["deprivation_quintile"], (table["imd_decile"] + 1) // 2)
    assert np.array_equal(t["rural"], (table["rural_urban"] != "C1").astype(int))
    assert np.array_equal(t["n_residents"], table[list(POP_COLUMNS)].sum(axis=1))
    pop = sample_run.model.pop
    assert t["residents_in_need"].sum() == pop.ever_need.sum() > 0
    assert t["unmet_need_days"].sum() == pop.unmet_days.sum() > 0
    assert t["n_unmet_need"].sum() == pop.unmet().sum()
    assert t["n_groups_open"].sum() == sum(1 for g in sample_run.model.open_groups()
                                           if g.unit >= 0)
    assert (t["residents_reached"] <= t["residents_in_need"]).all()


def test_who_lives_in_each_area_matches_the_place_table_row_by_row(sample_run):
    """The table's input columns come back in areas.parquet, so a user can check a build row
    by row from the outputs alone: residents by sex and age band and households exactly,
    limitation and digital access as round(share x population)."""
    t = sample_run.areas.set_index("area")
    table = pd.read_csv(SAMPLE / "areas.csv").set_index("area")
    population = table[list(POP_COLUMNS)].sum(axis=1)
    for col in POP_COLUMNS:
        assert t[f"n_{col}"].tolist() == table[col].tolist(), col
    assert t["n_households"].tolist() == table["households"].tolist()
    for out, share in (("n_limited_a_little", "share_limited_a_little"),
                       ("n_limited_a_lot", "share_limited_a_lot"), ("n_digital", "share_digital")):
        assert t[out].tolist() == (table[share] * population).round().astype(int).tolist(), out
    whole = areas.aggregate(sample_run.areas)
    assert int(whole["n_households"].iloc[0]) == int(table["households"].sum())
    old = areas.aggregate(sample_run.areas.drop(columns=list(areas.COMPOSITION)), "pcn")
    assert "n_households" not in old.columns  # a table written before these columns
    # an old run collected beside a new one: its composition columns are null, and its
    # totals stay missing rather than 0
    mixed = pd.concat([sample_run.areas.assign(run="new"),
                       sample_run.areas.assign(run="old", **{c: pd.NA for c in areas.COMPOSITION})])
    by_run = areas.aggregate(mixed, "run").set_index("run")
    assert by_run.loc["new", "n_households"] == int(table["households"].sum())
    assert pd.isna(by_run.loc["old", "n_households"])


def test_rolled_up_by_quintile_it_gives_the_summarys_equity_figures(sample_run):
    s = sample_run.summary
    by_q = areas.aggregate(sample_run.areas, "deprivation_quintile")
    assert by_q["deprivation_quintile"].tolist() == sorted(set(by_q["deprivation_quintile"]))
    for row in by_q.itertuples():
        q = row.deprivation_quintile
        assert row.frac_reached == pytest.approx(s[f"frac_reached_by_deprivation_{q}"],
                                                 rel=1e-12)
        assert row.unmet_days_per_resident == pytest.approx(
            s[f"unmet_days_per_resident_by_deprivation_{q}"], rel=1e-12)
    for r in (0, 1):  # and by rural/urban
        row = areas.aggregate(sample_run.areas, "rural").set_index("rural").loc[r]
        assert row["frac_reached"] == pytest.approx(s[f"frac_reached_by_rural_{r}"], rel=1e-12)


def test_roll_ups_by_pcn_district_and_decile_add_up(sample_run):
    t = sample_run.areas
    table = pd.read_csv(SAMPLE / "areas.csv")
    pop = table[list(POP_COLUMNS)].sum(axis=1)
    for col in ("pcn", "district", "imd_decile"):
        up = areas.aggregate(t, col)
        expect = pop.groupby(table[col]).sum().sort_index()
        assert up[col].tolist() == expect.index.tolist()
        assert up["n_residents"].tolist() == expect.tolist()
        assert up["n_areas"].tolist() == table.groupby(col).size().sort_index().tolist()
    whole = areas.aggregate(t)
    assert len(whole) == 1 and whole["n_residents"].iloc[0] == sample_run.model.pop.n
    pop_ = sample_run.model.pop
    assert whole["mean_wellbeing_anxiety"].iloc[0] == pytest.approx(
        float(pop_.wellbeing[:, 3].astype(np.float64).mean()), rel=1e-9)
    two = areas.aggregate(t, ["district", "pcn"])
    assert list(two.columns[:3]) == ["district", "pcn", "n_areas"] and len(two) == 2


def test_rates_are_recomputed_from_summed_counts_not_averaged():
    t = pd.DataFrame({
        "area": ["a", "b"], "district": ["d", "d"], "pcn": ["p", "p"], "imd_decile": [1, 2],
        "deprivation_quintile": [1, 1], "rural": [0, 0], "n_residents": [100, 900],
        "residents_in_need": [10, 0], "residents_reached": [5, 0],
        "unmet_need_days": [100, 900], "lw_referrals": [10, 0], "bounced_residents": [0, 0],
        "n_unmet_need": [1, 2], "n_vol_trained": [3, 4], "n_groups_open": [1, 0],
        **{f"mean_wellbeing_{k}": [2.0, 8.0] for k in ("life_satisfaction", "worthwhile",
                                                         "happiness", "anxiety")}})
    up = areas.aggregate(t, "pcn").iloc[0]
    assert up["n_areas"] == 2 and up["n_residents"] == 1000
    assert up["frac_reached"] == 0.5  # 5 / 10: area b has nobody in need (its rate is NaN)
    assert up["unmet_days_per_resident"] == 1.0  # 1000 / 1000, not the mean of 1 and 1
    assert up["lw_referrals_per_1000_residents"] == 10.0  # not (100 + 0) / 2
    assert up["mean_wellbeing_happiness"] == pytest.approx(7.4)  # weighted by residents
    by_area = areas.aggregate(t, "area").set_index("area")
    assert math.isnan(by_area.loc["b", "frac_reached"])
    with pytest.raises(KeyError, match="no column 'lsoa'"):
        areas.aggregate(t, "lsoa")


def test_written_with_field_metadata_and_read_back(sample_run, tmp_path):
    out = tmp_path / "run"
    files = io.write_run(sample_run, out, plots=False)
    assert out / "areas.parquet" in files
    schema = pq.read_schema(out / "areas.parquet")
    assert schema.names == list(outputs.names("areas"))
    for field in schema:
        e = outputs.get(field.name, "areas")
        assert field.metadata[b"meaning"].decode() == e.meaning
        assert field.metadata[b"unit"].decode() == e.unit
        assert field.metadata[b"level"].decode() == f"{e.level} per area"
    back = io.load_areas(out)
    pd.testing.assert_frame_equal(back, sample_run.areas, check_exact=True)
    manifest = io.load_run(out)[2]
    assert "areas.parquet" in manifest["files"]
    with pytest.raises(FileNotFoundError, match="not a complete run"):
        io.load_areas(tmp_path)


def test_other_topologies_get_one_row_per_unit():
    cfg = sim.compose(["topology=county_legacy", "topology.n_residents=6000", "run.burn_in_days=0",
                       "run.days=3"])
    r = runner.run(cfg, keep_model=True)
    m, t = r.model, r.areas
    assert t["area"].tolist() == [u.name for u in m.units]
    assert set(t["district"]) == {"place"} and set(t["pcn"]) == {""}
    assert (t["imd_decile"] == 0).all()
    assert t["rural"].tolist() == [int(u.params.rural) for u in m.units]
    assert t["deprivation_quintile"].tolist() == [u.params.deprivation_quintile
                                                  for u in m.units]
    assert t["n_residents"].tolist() == [u.stop - u.start for u in m.units]
    assert areas.aggregate(t, "rural")["n_residents"].sum() == m.pop.n
