"""The outcome schema (sim/outputs.py): every run emits the data dictionary's columns and keys,
no more and no fewer, with NaN where a figure is undefined; the dictionary documents each one
and travels with timeseries.parquet as field metadata."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from support import BARE_ORGANISATIONS, QUIET, set_keys, small_config, write_world

import sim
from sim import metrics, outputs
from sim.agents.emergency_actors import ACTOR_NAMES
from sim.io import load_run, write_run
from sim.params import Config
from sim.state import ONS4, Need, Pathway, VolunteerState

WHERE = ("add an entry to sim/outputs.py (_timeseries_entries for a daily column, "
         "_summary_entries for a summary key), then run `python experiments/make_odd.py`")
PREFIXES = ("n_", "new_", "cum_", "frac_", "mean_", "sum_")


def undocumented(names, table: str) -> list[str]:
    """Emitted names the data dictionary lacks."""
    known = set(outputs.names(table))
    return [n for n in names if n not in known]


def _no_referral_world(folder) -> Config:
    """Ten residents on the file topology with every random process off: nobody is ever in
    need, so nobody is referred (the client profile and most ratios are undefined)."""
    graph, people = write_world(folder, 10, [(i, i + 1) for i in range(9)])
    return set_keys(Config(), {"topology.kind": "file", "topology.graph_file": str(graph),
                               "topology.population_file": str(people), "run.days": 20,
                               "run.seed": 5, **BARE_ORGANISATIONS, **QUIET})


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, sim.RunResult]:
    """One short run of each topology, a scenario with an emergency, run.collect=false and a
    world without referrals."""
    lockdown = sim.configure(small_config("rural", days=30), scenario="lockdown", **{
        "events.lockdown_starts.day": 3, "events.hospital_volunteers_stood_down.day": 3,
        "events.national_call_to_action.day": 4, "events.lockdown_lifts.day": 25,
        "events.hospital_volunteers_return.day": 25})
    cases = {"urban": small_config("urban", days=30), "rural": small_config("rural", days=30),
             "county": small_config("county", days=30), "rural_lockdown": lockdown,
             "urban_collect_false": small_config("urban", days=30, run__collect=False),
             "file_no_referrals": _no_referral_world(tmp_path_factory.mktemp("world"))}
    return {name: sim.run(cfg) for name, cfg in cases.items()}


def test_every_emitted_output_has_a_dictionary_entry(runs):
    for name, r in runs.items():
        extra_ts = undocumented(r.timeseries.columns, "timeseries")
        extra_s = undocumented(r.summary, "summary")
        assert not extra_ts, f"{name}: daily columns without a dictionary entry {extra_ts}: {WHERE}"
        assert not extra_s, f"{name}: summary keys without a dictionary entry {extra_s}: {WHERE}"


def test_the_check_catches_a_new_undocumented_output():
    assert undocumented(["n_unmet_need", "frac_lw_matches_fit"], "timeseries") == [
        "frac_lw_matches_fit"]
    assert undocumented(["unmet_need_days", "lio_hours_used"], "summary") == ["lio_hours_used"]


def test_every_run_has_the_same_columns_and_keys_in_dictionary_order(runs):
    columns, keys = outputs.names("timeseries"), outputs.names("summary")
    for name, r in runs.items():
        assert tuple(r.timeseries.columns) == columns, name
        assert set(r.summary) == set(keys), (name, set(keys) ^ set(r.summary))
        assert not [k for k, v in r.summary.items() if v is None], name


def test_types_follow_the_dictionary_on_every_run(runs):
    py = {"int64": (int,), "float64": (float,), "str": (str,)}
    for name, r in runs.items():
        wrong = {c: str(t) for c, t in r.timeseries.dtypes.items()
                 if str(t) != outputs.get(c, "timeseries").dtype}
        assert not wrong, f"{name}: columns whose dtype is not the dictionary's: {wrong}"
        for k, v in r.summary.items():
            e = outputs.get(k, "summary")
            nan = isinstance(v, float) and math.isnan(v)
            assert nan or type(v) in py[e.dtype], (name, k, type(v), e.dtype)
            assert not (nan and e.dtype == "str"), (name, k)


def test_undefined_figures_are_nan_not_missing(runs):
    s = runs["file_no_referrals"].summary
    assert s["referrals_total"] == 0 and s["eval_n_clients"] == 0
    for k in ("client_mean_age", "client_frac_female", "client_frac_adult",
              "frac_referrals_gp", "mean_lw_referrals_per_referred",
              "frac_reached_by_deprivation_1", "unmet_days_per_resident_by_deprivation_1"):
        assert math.isnan(s[k]), k
    assert s["unmet_days_per_resident_by_deprivation_3"] == 0.0  # everyone is quintile 3
    urban, rural = runs["urban"].summary, runs["rural"].summary
    assert math.isnan(urban["unmet_days_per_resident_by_rural_1"])  # no rural residents
    assert math.isnan(rural["unmet_days_per_resident_by_rural_0"])  # no urban residents
    assert not math.isnan(urban["unmet_days_per_resident_by_rural_0"])
    assert not math.isnan(urban["client_mean_age"])  # referrals happen in the small town
    assert math.isnan(urban["emergency_days_to_first_response"])  # no emergency
    lockdown = runs["rural_lockdown"].summary
    assert lockdown["emergency_start_day"] == 3 and lockdown["days"] == 30
    assert not math.isnan(lockdown["shielded_days_to_first_support"])


def test_collect_false_has_every_column_and_key(runs):
    r = runs["urban_collect_false"]
    ts = r.timeseries
    assert len(ts) == 0 and tuple(ts.columns) == outputs.names("timeseries")
    assert ts["day"].dtype == np.int32 and ts["new_lw_hours"].dtype == np.float64
    s = r.summary
    from_table = [e.name for e in outputs.entries("summary") if e.source != "model output"]
    assert from_table and all(math.isnan(s[k]) for k in from_table)
    # figures from the model's state at the end are defined without the daily table
    assert s["days"] == 30 and s["n_residents"] == 600
    assert isinstance(s["bounced_residents"], int) and isinstance(s["eval_n_clients"], int)
    assert s["scenario"] == "baseline" and s["topology"] == "urban"


def test_summary_figures_from_the_table_match_their_collected_runs(runs):
    """The entries marked as coming from the daily table are NaN only under collect=false:
    with the table they are whatever the run gives, and identical keys either way."""
    assert set(runs["urban"].summary) == set(runs["urban_collect_false"].summary)
    same = ["bounced_residents", "eval_n_clients", "n_residents", "days", "seed",
            "frac_gp_vcse_degree_1", "tapered_grants"]
    for k in same:
        assert runs["urban"].summary[k] == runs["urban_collect_false"].summary[k], k


def test_every_entry_has_a_meaning_unit_level_and_type():
    bad = [f"{e.table}:{e.name}" for e in outputs.entries()
           if not (e.meaning.strip() and e.unit.strip() and e.level.strip() and e.source.strip())
           or e.dtype not in outputs.DTYPES]
    assert not bad, f"entries without a meaning, unit, level, source or known dtype: {bad}"
    assert len(outputs.entries("timeseries")) == len(set(outputs.names("timeseries")))


def test_daily_column_names_follow_the_prefixes():
    odd = [n for n in outputs.names("timeseries") if n != "day" and not n.startswith(PREFIXES)]
    assert not odd, f"daily columns need a prefix {PREFIXES}: {odd}"
    assert all(re.fullmatch(r"[a-z0-9_]+", e.name) for e in outputs.entries())


def test_derived_summary_keys_name_existing_columns():
    columns = set(outputs.names("timeseries"))
    for e in outputs.entries("summary"):
        if e.source != "model output":
            for part in e.source.split(", "):
                pattern = re.escape(part).replace(r"\*", ".+")
                assert any(re.fullmatch(pattern, c) for c in columns), (e.name, part)


def test_the_dictionary_uses_the_models_categories():
    assert outputs.EMERGENCY_ACTORS == ACTOR_NAMES
    assert outputs.ONS4 == tuple(ONS4)
    assert outputs.NEED_LEVELS == tuple(n.name.lower() for n in Need if n is not Need.NONE)
    assert outputs.PATHWAYS == tuple(p.name.lower() for p in Pathway if p is not Pathway.NONE)
    assert outputs.VOLUNTEER_STATES == tuple(
        s.name.lower() for s in VolunteerState if s is not VolunteerState.NONE)
    assert not undocumented(metrics.FLOWS, "timeseries"), WHERE


def test_parquet_fields_carry_meaning_and_unit(runs, tmp_path):
    r = runs["rural_lockdown"]
    write_run(r, tmp_path / "out", plots=False)
    schema = pq.read_schema(tmp_path / "out" / "timeseries.parquet")
    assert schema.names == list(outputs.names("timeseries"))
    for field in schema:
        e = outputs.get(field.name, "timeseries")
        meta = field.metadata
        assert meta[b"meaning"].decode() == e.meaning and meta[b"unit"].decode() == e.unit
        assert meta[b"level"].decode() == f"{e.level} per day"
    assert field.metadata[b"source"]  # the last column (a derived one) names its source
    ts, summary, _ = load_run(tmp_path / "out")
    pd.testing.assert_frame_equal(ts, r.timeseries, check_exact=True)
    assert set(summary) == set(r.summary)


def test_nan_in_summary_json_is_null_and_reads_back_as_nan(runs, tmp_path):
    r = runs["file_no_referrals"]
    write_run(r, tmp_path / "out", plots=False)
    raw = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert raw["client_mean_age"] is None  # JSON has no NaN
    _, summary, _ = load_run(tmp_path / "out")
    assert math.isnan(summary["client_mean_age"]) and summary["referrals_total"] == 0


def test_describe_and_table_for_command_lines():
    assert "unit: residents" in outputs.describe("n_unmet_need").lower()
    with pytest.raises(KeyError, match="did you mean n_unmet_need"):
        outputs.describe("n_unmet_needs")
    t = outputs.table()
    assert list(t.columns) == ["name", "table", "grain", "meaning", "unit", "level", "dtype",
                               "source"]
    assert len(t) == len(outputs.entries())
    assert set(outputs.table("summary")["grain"]) == {"run"}


def test_the_module_lists_outputs_from_the_command_line():
    out = subprocess.run([sys.executable, "-m", "sim.outputs", "client_mean_age"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "client_mean_age (summary, float64)" in out.stdout
    bad = subprocess.run([sys.executable, "-m", "sim.outputs", "no_such_output"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "no output named" in bad.stderr


def test_sweep_tables_carry_the_metadata_and_nan_for_undefined(runs, tmp_path):
    from sim.experiments.collect import collect

    for name in ("urban", "file_no_referrals"):
        write_run(runs[name], tmp_path / "sweep" / name, plots=False)
    info = collect(tmp_path / "sweep")
    assert info["runs"] == 2
    summary = pq.read_table(tmp_path / "sweep" / "tables" / "summary.parquet")
    field = summary.schema.field("client_mean_age")
    assert field.metadata[b"unit"] == b"years" and field.type == "double"
    ages = dict(zip(summary.column("topology").to_pylist(),
                    summary.column("client_mean_age").to_pylist(), strict=True))
    assert ages["file"] is None and ages["urban"] > 16  # null in Parquet, NaN in pandas
    ts_schema = pq.read_schema(tmp_path / "sweep" / "tables" / "timeseries.parquet")
    assert ts_schema.field("n_unmet_need").metadata[b"unit"] == b"residents"
    assert ts_schema.field("seed").metadata is None  # identity columns are not outputs


def test_the_dictionary_is_reachable_from_the_package():
    import importlib

    pkg = importlib.import_module("sim")
    assert pkg.outputs is outputs and len(pkg.outputs.table("timeseries")) == len(
        outputs.names("timeseries"))
