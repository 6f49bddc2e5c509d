"""The daily table's fast paths (issue 16): ``metrics.finalise`` builds the table column-wise
with numpy and ``outputs.arrow_table`` converts numpy columns directly; both must give exactly
what the plain pandas construction gives (``finalise_pandas``, ``arrow_table_pandas``): the
same columns, order, dtypes and values, and the same Parquet bytes."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from support import small_config

import sim
from sim import io as sim_io
from sim import metrics, outputs

DERIVED = {"frac_vol_hours_utilisation", "frac_gp_consultations_nonmedical",
           "cum_unmet_need_days", *("cum_" + n.removeprefix("new_") for n in outputs.CUMULATIVE)}
ROW_KEYS = [n for n in outputs.timeseries_dtypes() if n not in DERIVED]


def synthetic_rows(n_days: int, seed: int = 0) -> list[dict]:
    """Rows with every daily key, as the model's: Python ints for integer columns, floats
    (with whole-number ints on some days) for float columns, NaN in a mean; zero hours offered
    on some days and no GP consultations at first (the ratios' undefined branches)."""
    rng = np.random.default_rng(seed)
    spec = outputs.timeseries_dtypes()
    rows = []
    for d in range(n_days):
        row: dict = {}
        for name in ROW_KEYS:
            if name == "day":
                row[name] = d + 1
            elif spec[name] == "float64":
                x = float(rng.gamma(2.0, 3.0))
                row[name] = int(x) if rng.random() < 0.3 else x  # an hours flow booked whole
            else:
                row[name] = int(rng.integers(0, 40))
        row["n_vol_hours_offered_per_week"] = 0.0 if d % 5 == 0 else float(rng.gamma(5, 20))
        if d < 3:
            row["new_gp_consultations"] = row["new_gp_consultations_nonmedical"] = 0
        row["mean_days_to_first_support"] = np.nan if d % 4 == 0 else float(rng.random())
        rows.append(row)
    return rows


def assert_same_table(fast: pd.DataFrame, plain: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(fast, plain, check_exact=True)
    assert list(fast.columns) == list(plain.columns)
    assert list(fast.dtypes) == list(plain.dtypes)
    assert type(fast.index) is type(plain.index) and fast.index.equals(plain.index)
    for c in fast.columns:  # bit for bit (assert_frame_equal takes -0.0 == 0.0)
        a, b = fast[c].to_numpy(), plain[c].to_numpy()
        assert a.tobytes() == b.tobytes(), c
    assert parquet_bytes(outputs.arrow_table(fast)) == parquet_bytes(
        outputs.arrow_table_pandas(plain))


def parquet_bytes(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="snappy")
    return buf.getvalue()


@pytest.mark.parametrize("n_days", [1, 2, 8, 40])
def test_fast_finalise_equals_pandas_on_synthetic_rows(n_days):
    rows = synthetic_rows(n_days, seed=n_days)
    assert metrics._row_columns(rows) is not None  # the numpy path is the one tested
    assert_same_table(metrics.finalise(rows), metrics.finalise_pandas(rows))


def test_fast_finalise_numpy_scalars_extra_keys_and_nan_in_a_cumulated_flow():
    rows = synthetic_rows(12, seed=3)
    for d, row in enumerate(rows):
        row["n_residents"] = np.int64(row["n_residents"])  # numpy scalars infer as Python's
        row["new_lw_hours"] = np.float64(row["new_lw_hours"])
        row["zz_extra"] = d % 2 == 0  # a column outside the dictionary: a bool, kept at the end
        row["aa_extra"] = d * 1.5
    rows[4]["new_funding_spent"] = np.nan  # a cumulated float: pandas skips NaN in cumsum
    assert metrics._row_columns(rows) is not None
    fast = metrics.finalise(rows)
    assert fast.columns[-2:].tolist() == ["zz_extra", "aa_extra"]
    assert np.isnan(fast["cum_funding_spent"].iloc[4]) and not np.isnan(
        fast["cum_funding_spent"].iloc[5])
    assert_same_table(fast, metrics.finalise_pandas(rows))


def test_rows_with_a_missing_key_go_through_pandas():
    """A key some days lack (the model's rows never do): pandas' union of keys with NaN."""
    rows = synthetic_rows(10, seed=5)
    del rows[3]["n_lw_inbox"], rows[7]["new_lw_hours"]
    rows[5]["zz_some_days"] = 1  # and one only some days have
    assert metrics._row_columns(rows) is None
    fast = metrics.finalise(rows)
    assert fast["n_lw_inbox"].dtype == np.float64 and np.isnan(fast["n_lw_inbox"].iloc[3])
    assert np.isnan(fast["cum_lw_hours"].iloc[7])
    assert_same_table(fast, metrics.finalise_pandas(rows))


@pytest.mark.parametrize("odd", [None, "text", 2**63, np.float32(1.5), np.int32(4)])
def test_values_pandas_must_infer_go_through_pandas(odd):
    rows = synthetic_rows(6, seed=7)
    rows[2]["n_lw_inbox"] = odd
    assert metrics._row_columns(rows) is None
    pd.testing.assert_frame_equal(metrics.finalise(rows), metrics.finalise_pandas(rows),
                                  check_exact=True)


def test_ints_beside_floats_become_float_as_in_pandas():
    rows = synthetic_rows(5, seed=9)
    for d, row in enumerate(rows):
        row["n_lw_inbox"] = d if d % 2 else d + 0.5  # an integer column given floats
    assert metrics._row_columns(rows)["n_lw_inbox"].dtype == np.float64
    assert_same_table(metrics.finalise(rows), metrics.finalise_pandas(rows))


def test_no_rows_gives_every_column_typed():
    """run.collect=false: no rows, the dictionary's columns with their dtypes."""
    fast = metrics.finalise([])
    assert_same_table(fast, metrics.finalise_pandas([]))
    assert list(fast.columns) == list(outputs.timeseries_dtypes())
    assert fast["day"].dtype == np.int32 and len(fast) == 0


def test_arrow_table_fast_path_equals_from_pandas_and_falls_back_for_other_frames():
    ts = metrics.finalise(synthetic_rows(9, seed=11))
    for frame in (ts, ts.iloc[:0], ts.iloc[2:5]):
        fast, plain = outputs.arrow_table(frame), outputs.arrow_table_pandas(frame)
        assert fast.equals(plain, check_metadata=True)
        assert fast.schema.equals(plain.schema, check_metadata=True)
        assert parquet_bytes(fast) == parquet_bytes(plain)
    assert fast.schema.field("n_residents").metadata[b"unit"]  # the dictionary travels
    mixed = ts.assign(label="x")  # a string column: pyarrow's own conversion
    assert outputs.arrow_table(mixed).equals(outputs.arrow_table_pandas(mixed),
                                             check_metadata=True)
    label = outputs.arrow_table(mixed).schema.field("label").type
    assert pa.types.is_string(label) or pa.types.is_large_string(label)


def test_area_tables_fast_path_equals_from_pandas_with_strings_and_missing_values():
    """The per-area, time-course and per-practice tables (numbers and pandas string columns,
    some missing) convert column by column to the table, schema, field metadata and Parquet
    bytes of pyarrow's pandas conversion, with each table's own dictionary entries."""
    r = sim.run(small_config("county", days=20, run__burn_in_days=0))
    frames = {"areas": r.areas, "area_course": r.area_course, "practices": r.practices}
    gaps = r.areas.copy()
    gaps.loc[gaps.index[:3], "district"] = np.nan  # missing strings
    gaps.loc[gaps.index[1:4], gaps.select_dtypes("float").columns[0]] = np.nan
    frames["areas with gaps"] = gaps
    for name, frame in frames.items():
        table = name.split()[0]
        assert any(isinstance(d, pd.StringDtype) for d in frame.dtypes)
        for part in (frame, frame.iloc[:0], frame.iloc[1:3]):
            fast, plain = (outputs.arrow_table(part, table),
                           outputs.arrow_table_pandas(part, table))
            assert fast.equals(plain, check_metadata=True)
            assert fast.schema.equals(plain.schema, check_metadata=True)
            assert parquet_bytes(fast) == parquet_bytes(plain)
    assert outputs.arrow_table(gaps, "areas").column("district").null_count == 3
    field = outputs.arrow_table(r.practices, "practices").schema.field(r.practices.columns[-1])
    assert field.metadata == outputs.field_metadata(field.name, "practices")


def test_a_model_run_takes_the_fast_paths_with_the_same_table_and_bytes():
    r = sim.run(small_config("rural", days=30, run__burn_in_days=0), keep_model=True)
    rows = r.model.rows
    assert len(rows) == 30 and metrics._row_columns(rows) is not None
    assert_same_table(r.timeseries, metrics.finalise_pandas(rows))


def test_write_timeseries_writes_the_bytes_of_the_pandas_conversion(tmp_path):
    ts = metrics.finalise(synthetic_rows(15, seed=13))
    sim_io.write_timeseries(ts, tmp_path / "t.parquet")
    assert (tmp_path / "t.parquet").read_bytes() == parquet_bytes(outputs.arrow_table_pandas(ts))
    assert pq.read_schema(tmp_path / "t.parquet").field("day").metadata[b"unit"] == b"day number"


def test_write_areas_writes_the_bytes_of_a_parquet_file_written_in_place(tmp_path):
    """The per-area, time-course and per-practice tables are encoded in memory and written
    in one go: the same file as ``pq.write_table`` straight to the path."""
    r = sim.run(small_config("rural", days=30, run__burn_in_days=0))
    for which, table in (("areas", r.areas), ("area_course", r.area_course),
                         ("practices", r.practices)):
        sim_io.write_areas(table, tmp_path / f"{which}.parquet", which)
        pq.write_table(outputs.arrow_table(table, which), tmp_path / "direct.parquet",
                       compression="snappy")
        assert ((tmp_path / f"{which}.parquet").read_bytes()
                == (tmp_path / "direct.parquet").read_bytes())


def test_manifest_config_hash_from_the_start_dict_is_the_config_hash():
    """write_run hashes the start configuration's dict (made once); same hash as the Config,
    and result_config's compact round trip gives what the indented one gave."""
    for cfg in (sim.configure(), sim.configure(topology="rural", scenario="flood")):
        plain = sim_io.config_dict(cfg)
        assert sim_io.config_hash(plain) == sim_io.config_hash(cfg)
        old = json.loads(sim_io.dumps(plain))
        for dotted in sim_io.NON_RESULT_KEYS:
            sim_io._pop_dotted(old, dotted)
        assert json.dumps(sim_io.result_config(cfg)) == json.dumps(old)
