"""Pieces of the sweep machinery in process: run identity and skipping, conflicts, the
streaming collector, paired effects and their intervals, the executor."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from scipy import stats

import sim
from sim.experiments import collect as collect_mod
from sim.experiments.collect import collect
from sim.experiments.compare import mean_ci, paired_effects
from sim.experiments.executor import Job, run_jobs
from sim.experiments.runs import (
    Attempt,
    RunState,
    config_hash,
    execute,
    find_run_dirs,
    run_state,
)
from sim.params import ConfigError

TINY = ["topology=rural", "run.days=8", "run.burn_in_days=0", "run.plots=false"]


def test_execute_skips_a_complete_run_of_the_same_configuration(tmp_path):
    cfg = sim.compose(TINY)
    first = execute(cfg, tmp_path / "r", overrides=TINY)
    assert first.attempt is Attempt.DONE
    manifest = (tmp_path / "r" / "manifest.json").read_bytes()
    again = execute(sim.compose([*TINY, "run.plots=true"]), tmp_path / "r", overrides=TINY)
    assert again.attempt is Attempt.SKIPPED  # plots do not change results
    assert (tmp_path / "r" / "manifest.json").read_bytes() == manifest
    m = json.loads(manifest)
    assert m["config_hash"] == config_hash(cfg) and m["overrides"] == TINY


def test_a_different_configuration_is_never_silently_overwritten(tmp_path):
    execute(sim.compose(TINY), tmp_path / "r")
    manifest = (tmp_path / "r" / "manifest.json").read_bytes()
    out = execute(sim.compose([*TINY, "run.seed=9"]), tmp_path / "r")
    assert out.attempt is Attempt.FAILED and "different configuration" in out.error
    assert (tmp_path / "r" / "manifest.json").read_bytes() == manifest  # kept
    # the refusal never turns the complete run into a failed one: it is in status.json only
    assert run_state(tmp_path / "r") is RunState.COMPLETE
    assert not (tmp_path / "r" / "error.json").exists()
    status = json.loads((tmp_path / "r" / "status.json").read_text())
    assert status["attempt"] == "failed" and "hydra.sweep.dir" in status["error"]
    replaced = execute(sim.compose([*TINY, "run.seed=9", "run.overwrite=true"]), tmp_path / "r")
    assert replaced.attempt is Attempt.DONE
    assert run_state(tmp_path / "r") is RunState.COMPLETE
    assert json.loads((tmp_path / "r" / "manifest.json").read_text())["seed"] == 9


def test_a_crash_is_recorded_with_its_traceback_and_retried(tmp_path, monkeypatch):
    from sim import runner

    def boom(*a, **k):
        raise RuntimeError("model blew up")

    monkeypatch.setattr(runner, "run", boom)
    (tmp_path / "r" / ".partial-xyz").mkdir(parents=True)  # left by a killed write
    out = execute(sim.compose(TINY), tmp_path / "r")
    assert out.attempt is Attempt.FAILED
    err = json.loads((tmp_path / "r" / "error.json").read_text())
    assert err["error_type"] == "RuntimeError" and "model blew up" in "".join(err["traceback"])
    assert not (tmp_path / "r" / "manifest.json").exists()
    assert not (tmp_path / "r" / ".partial-xyz").exists()
    monkeypatch.undo()
    assert execute(sim.compose(TINY), tmp_path / "r").attempt is Attempt.DONE
    assert not (tmp_path / "r" / "error.json").exists()


@pytest.fixture(scope="module")
def small_sweep(tmp_path_factory):
    """Six runs (two parameter values x three replicates), one failure, one unfinished."""
    root = tmp_path_factory.mktemp("sweep")
    jobs = [Job(f"cap={cap},rep={r}", (*TINY, f"link_worker.caseload_cap={cap}",
                                       f"run.replicate={r}"))
            for cap in (10, 40) for r in range(3)]
    jobs.append(Job("bad", (*TINY, "run.days=-3")))
    report = run_jobs(jobs, root, backend="serial", progress=False)
    assert report.attempts[Attempt.DONE] == 6 and report.attempts[Attempt.FAILED] == 1
    assert report.failures[0][0] == "bad" and "run.days" in report.failures[0][1]
    # a job killed mid-run leaves only the status of its attempt
    killed = execute(sim.compose(TINY), root / "unfinished", overrides=["run.replicate=7"])
    (killed.path / "manifest.json").unlink()
    status = json.loads((killed.path / "status.json").read_text())
    (killed.path / "status.json").write_text(json.dumps({**status, "attempt": "started"}))
    return root


def test_collect_streams_tidy_tables_with_parameter_columns(small_sweep, monkeypatch):
    monkeypatch.setattr(collect_mod, "BUFFER_BYTES", 20_000)  # force several row groups
    info = collect(small_sweep)
    assert info["runs"] == 6 and info["timeseries"] == 6 * 8 and info["failures"] == 2
    assert info["parameter_columns"] == ["link_worker.caseload_cap"]
    tables = small_sweep / "tables"
    ts = pq.ParquetFile(tables / "timeseries.parquet")
    assert ts.metadata.num_row_groups > 1 and ts.metadata.num_rows == 48
    summary = pd.read_parquet(tables / "summary.parquet")
    assert list(summary.columns[:7]) == ["run", "config_hash", "scenario", "topology", "seed",
                                         "replicate", "link_worker.caseload_cap"]
    assert sorted(summary["link_worker.caseload_cap"]) == [10] * 3 + [40] * 3
    assert summary["config_hash"].is_unique
    assert json.loads(summary["overrides"].iloc[0])[0] == "topology=rural"
    # rows agree with the run's own files
    one = summary.iloc[0]
    own = json.loads((small_sweep / one["run"] / "summary.json").read_text())
    assert one["unmet_need_days"] == own["unmet_need_days"]
    fails = pd.read_parquet(tables / "failures.parquet").set_index("run")
    assert fails.loc["bad", "state"] == "failed" and fails.loc["bad", "key"] == "run.days"
    assert fails.loc["unfinished", "state"] == "incomplete"
    assert "did not finish (killed or still running) (started" in fails.loc["unfinished",
                                                                             "message"]
    assert json.loads(fails.loc["unfinished", "overrides"]) == ["run.replicate=7"]
    assert not list(tables.glob(".*"))  # no temporary files left


def test_sweep_tables_carry_every_configuration_value_with_event_parameters_as_numbers(
        tmp_path):
    """Tables of two sweeps line up (issue 14): constant configuration values are summary
    columns too, event parameters are numeric columns, free text is not a column."""
    base = sim.configure(("rural", "funding_loss"), **{
        "run.days": 8, "run.plots": False, "run.burn_in_days": 0,
        "events.core_funding_cut.day": 3})
    for share in (0.25, 0.75):
        execute(sim.configure(base, **{"events.core_funding_cut.params.share": share}),
                tmp_path / "a" / f"share{share}")
    execute(base, tmp_path / "b" / "one")
    info, _ = collect(tmp_path / "a"), collect(tmp_path / "b")
    assert info["parameter_columns"] == ["events.core_funding_cut.params.share"]
    assert "need.p_hidden" in info["constant_columns"]
    a, b = (pd.read_parquet(tmp_path / s / "tables" / "summary.parquet") for s in "ab")
    assert set(a.columns) == set(b.columns) and len(pd.concat([a, b])) == 3
    # concatenated by name; categorical ids with other categories become plain strings
    both = pd.concat([a, b], ignore_index=True)
    assert list(both.columns) == list(a.columns)
    share = "events.core_funding_cut.params.share"
    assert both[share].tolist() == [*a[share], base.events["core_funding_cut"]["params"]["share"]]
    assert sorted(both["run"]) == ["one", "share0.25", "share0.75"]
    assert not isinstance(both["run"].dtype, pd.CategoricalDtype)
    assert both["scenario"].dtype == "category"  # the same categories in both sweeps
    assert both["run"].astype("category").cat.categories.tolist() == sorted(both["run"])
    assert a["events.core_funding_cut.params.share"].dtype == float
    assert sorted(a["events.core_funding_cut.params.share"]) == [0.25, 0.75]
    assert (a["need.p_hidden"] == base.need.p_hidden).all()
    assert (a["events.core_funding_cut.params.target"] == "all").all()
    assert not {"events", "scenario.description", "run.plots"} & set(a.columns)
    ts = pd.read_parquet(tmp_path / "a" / "tables" / "timeseries.parquet")
    assert "events.core_funding_cut.params.share" in ts and "need.p_hidden" not in ts


CATEGORICAL = ["run", "config_hash", "scenario", "topology"]


def test_identity_columns_are_categorical_with_one_dictionary_in_every_row_group(
        small_sweep, monkeypatch):
    monkeypatch.setattr(collect_mod, "BUFFER_BYTES", 20_000)  # several row groups
    monkeypatch.setattr(collect_mod, "SUMMARY_ROWS_PER_GROUP", 4)
    info = collect(small_sweep)
    tables = small_sweep / "tables"
    runs = sorted(f"cap={c},rep={r}" for c in (10, 40) for r in range(3))
    for name in ("timeseries", "summary"):
        df = pd.read_parquet(tables / f"{name}.parquet")
        assert all(df[c].dtype == "category" for c in CATEGORICAL)
        assert list(df["run"].cat.categories) == runs
        assert list(df["topology"].cat.categories) == ["rural"]
        assert df["config_hash"].cat.categories.is_monotonic_increasing
        f = pq.ParquetFile(tables / f"{name}.parquet")
        assert f.metadata.num_row_groups > 1
        for i in range(f.metadata.num_row_groups):  # the same dictionary in each row group
            assert f.read_row_group(i, columns=["run"])["run"].chunk(0).dictionary.to_pylist() \
                == runs
    # ids stay usable: filter, join the timeseries to the summary on run
    ts = pd.read_parquet(tables / "timeseries.parquet")
    summary = pd.read_parquet(tables / "summary.parquet")
    joined = ts[["run", "day"]].merge(summary[["run", "need.p_hidden"]], on="run")
    assert len(joined) == 48 and len(ts[ts["run"] == "cap=40,rep=2"]) == 8
    # the long tables are not written unless asked for
    assert not list(tables.glob("*_long.parquet")) and "long_excluded" not in info


def test_long_tables_hold_the_wide_values_one_row_per_run_and_outcome(
        small_sweep, tmp_path, monkeypatch):
    from sim import outputs

    monkeypatch.setattr(collect_mod, "BUFFER_BYTES", 100_000)
    monkeypatch.setattr(collect_mod, "SUMMARY_ROWS_PER_GROUP", 4)
    out = tmp_path / "t"
    info = collect(small_sweep, out, long=True)
    ids = ["run", "config_hash", "scenario", "topology", "seed", "replicate",
           "link_worker.caseload_cap"]
    wide = pd.read_parquet(out / "summary.parquet")
    long = pd.read_parquet(out / "summary_long.parquet")
    assert list(long.columns) == [*ids, "outcome", "unit", "value"]
    assert all(long[c].dtype == "category" for c in [*CATEGORICAL, "outcome", "unit"])
    assert long["value"].dtype == np.float64
    outcomes = [c for c in wide.columns[wide.columns.get_loc("overrides") + 1:]
                if pd.api.types.is_numeric_dtype(wide[c])]
    assert sorted(long["outcome"].cat.categories) == sorted(outcomes)
    assert info["long_excluded"] == {"summary": [], "timeseries": []}  # all numeric here
    assert info["summary_long"] == len(long) == 6 * len(outcomes)
    assert not long.duplicated(["run", "outcome"]).any()
    plain = long.astype({"run": str, "outcome": str})
    pd.testing.assert_frame_equal(
        plain.pivot(index="run", columns="outcome", values="value").sort_index(),
        wide.astype({"run": str}).set_index("run")[outcomes].astype(float).sort_index(),
        check_names=False, check_like=True)
    units = long.groupby("outcome", observed=True)["unit"].agg(lambda u: set(u.astype(str)))
    assert units["unmet_need_days"] == {outputs.get("unmet_need_days", "summary").unit}

    ts = pd.read_parquet(out / "timeseries.parquet")
    ts_long = pd.read_parquet(out / "timeseries_long.parquet")
    assert list(ts_long.columns) == [*ids, "day", "outcome", "unit", "value"]
    daily = [c for c in ts.columns[ts.columns.get_loc("day") + 1:]]
    assert info["timeseries_long"] == len(ts_long) == 6 * 8 * len(daily)
    pivot = ts_long.astype({"run": str, "outcome": str}).pivot(
        index=["run", "day"], columns="outcome", values="value")
    want = ts.astype({"run": str}).set_index(["run", "day"])[daily].astype(float)
    pd.testing.assert_frame_equal(pivot.sort_index(), want.sort_index(), check_names=False,
                                  check_like=True)
    f = pq.ParquetFile(out / "timeseries_long.parquet")
    assert f.metadata.num_row_groups > 1  # streamed through the bounded buffer
    # a later collect without --long removes long tables that would no longer match
    collect(small_sweep, out)
    assert not list(out.glob("*_long.parquet"))


def test_long_tables_leave_out_non_numeric_outcomes_and_say_so(small_sweep, tmp_path, capsys):
    import shutil

    for run in ("cap=10,rep=0", "cap=40,rep=0"):
        shutil.copytree(small_sweep / run, tmp_path / "s" / run)
        path = tmp_path / "s" / run / "summary.json"
        path.write_text(json.dumps({**json.loads(path.read_text()), "note": "text"}))
    assert collect_mod.main([str(tmp_path / "s"), "--long"]) == 0
    assert "not numeric, so not in summary_long: note" in capsys.readouterr().out
    info = json.loads((tmp_path / "s" / "tables" / "collect.json").read_text())
    assert info["long_excluded"] == {"summary": ["note"], "timeseries": []}
    long = pd.read_parquet(tmp_path / "s" / "tables" / "summary_long.parquet")
    assert "note" not in set(long["outcome"]) and "unmet_need_days" in set(long["outcome"])
    assert (pd.read_parquet(tmp_path / "s" / "tables" / "summary.parquet")["note"] == "text").all()


def test_collect_is_atomic_when_interrupted(small_sweep, monkeypatch):
    collect(small_sweep)
    before = (small_sweep / "tables" / "summary.parquet").read_bytes()
    calls = {"n": 0}
    real = collect_mod._read  # how collect reads each run's tables

    def flaky(*a, **k):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk gone")
        return real(*a, **k)

    monkeypatch.setattr(collect_mod, "_read", flaky)
    with pytest.raises(OSError):
        collect(small_sweep)
    assert (small_sweep / "tables" / "summary.parquet").read_bytes() == before
    assert not list((small_sweep / "tables").glob(".*"))


def test_collect_streams_through_a_bounded_buffer(small_sweep, monkeypatch):
    """Runs reach the Parquet writer in batches of at most BUFFER_BYTES plus one run, never
    as one table of the whole sweep, so memory does not grow with the sweep."""
    one_run = pq.read_table(next(small_sweep.glob("cap=10,rep=0/timeseries.parquet")))
    monkeypatch.setattr(collect_mod, "BUFFER_BYTES", int(1.5 * one_run.nbytes))
    sizes = []
    real = collect_mod._AtomicParquet.write

    def spy(self, table):
        if self.path.name == "timeseries.parquet":
            sizes.append(table.num_rows)
        return real(self, table)

    monkeypatch.setattr(collect_mod._AtomicParquet, "write", spy)
    collect(small_sweep)
    assert sizes == [16, 16, 16]  # two runs of 8 days per row group


def test_runs_are_read_ahead_in_order_and_boundedly():
    """collect reads runs on threads (``_in_order``): the results come in the runs' order
    whatever order the reads end in, at most two per thread are started ahead of the one
    being written, a failing read raises at its turn (after the runs before it), and
    stopping early starts no further reads."""
    import threading
    import time

    started, lock = [], threading.Lock()

    def read(k):
        with lock:
            started.append(k)
        time.sleep(0.002 * ((7 * k) % 5))  # reads end out of order
        if k == 13:
            raise OSError("run 13 unreadable")
        return k * k

    got = []
    with pytest.raises(OSError, match="run 13"):
        for k, value in enumerate(collect_mod._in_order(read, list(range(40)), 3)):
            assert len(started) <= k + 1 + 2 * 3  # this one and six ahead, no more
            got.append(value)
    assert got == [k * k for k in range(13)]
    started.clear()
    reader = collect_mod._in_order(read, list(range(40)), 2)
    assert [next(reader) for _ in range(3)] == [0, 1, 4]
    reader.close()
    assert len(started) <= 3 + 2 * 2 and sorted(started) == list(range(len(started)))
    assert list(collect_mod._in_order(read, [2, 3], 1)) == [4, 9]  # one thread: in turn


def test_find_run_dirs_skips_tables_and_hidden(small_sweep):
    collect(small_sweep)
    names = {p.name for p in find_run_dirs(small_sweep)}
    assert "tables" not in names and "bad" in names and "unfinished" in names
    assert len(names) == 8


def _summary(diffs, base=None, scen="surge"):
    base = np.arange(len(diffs), dtype=float) if base is None else base
    rows = []
    for rep, (b, d) in enumerate(zip(base, diffs, strict=True)):
        for name, v in (("baseline", b), (scen, b + d)):
            rows.append({"run": f"{name}-{rep}", "scenario": name, "topology": "urban",
                         "seed": 1, "replicate": rep, "m": v,
                         "overrides": json.dumps([f"scenario={name}", f"run.replicate={rep}",
                                                  "topology=urban"])})
    return pd.DataFrame(rows)


def test_paired_effect_is_the_mean_paired_difference_with_a_t_interval():
    diffs = np.array([0.5, 1.5, 1.0, 2.0, 0.0])
    base = np.array([10.0, -4.0, 3.0, 100.0, 7.0])  # large between-pair spread: pairing matters
    eff = paired_effects(_summary(diffs, base), metrics=["m"])
    row = eff.iloc[0]
    assert row.n_pairs == 5 and row.group == "all runs"  # shared overrides left out
    assert row.mean_difference == pytest.approx(1.0)
    half = stats.t.ppf(0.975, 4) * diffs.std(ddof=1) / math.sqrt(5)
    assert (row.ci_low, row.ci_high) == pytest.approx((1.0 - half, 1.0 + half))
    assert row.p_value == pytest.approx(stats.ttest_rel(base + diffs, base).pvalue)


def test_bootstrap_interval_is_seeded_and_covers_the_mean():
    d = np.random.default_rng(0).normal(2.0, 1.0, 30)
    a = mean_ci(d, method="bootstrap", seed=1)
    assert a == mean_ci(d, method="bootstrap", seed=1)
    assert a[0] < d.mean() < a[1]
    assert mean_ci(np.zeros(4)) == (0.0, 0.0)
    assert all(math.isnan(x) for x in mean_ci(np.array([1.0])))


def test_paired_effects_reject_bad_input():
    s = _summary(np.ones(3))
    with pytest.raises(ValueError, match="unknown metric"):
        paired_effects(s, metrics=["nope"])
    with pytest.raises(ValueError, match="baseline scenario 'calm'"):
        paired_effects(s, metrics=["m"], baseline="calm")
    dup = pd.concat([s, s.iloc[[0]].assign(run="copy")])
    with pytest.raises(ValueError, match="cannot pair"):
        paired_effects(dup, metrics=["m"])


def test_collect_cli(small_sweep, tmp_path, capsys):
    assert collect_mod.main([str(small_sweep), "--out", str(tmp_path / "t")]) == 0
    assert "48 rows (runs x days)" in " ".join(capsys.readouterr().out.split())
    assert collect_mod.main([str(tmp_path / "missing")]) == 2
    assert "no such sweep folder" in capsys.readouterr().err
    assert collect_mod.main([str(small_sweep), "--out", str(tmp_path / "t"), "--long"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "timeseries_long.parquet" in out and "(runs x days x outcomes)" in out
    with pytest.raises(SystemExit) as stop:
        collect_mod.main([str(small_sweep), "--wide"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "unrecognized arguments: --wide" in err and "Traceback" not in err


def test_sweep_report_exit_status_and_summary(small_sweep, monkeypatch, capsys):
    """The end-of-sweep callback: counts, failures, tables; non-zero exit when a job failed
    or the tables could not be written."""
    import time

    from omegaconf import OmegaConf

    from sim.experiments.hydra_sweep import SweepReport

    cfg = OmegaConf.create({"hydra": {"sweep": {"dir": str(small_sweep)},
                                      "sweeper": {"_target_": "other"}}})
    report = SweepReport(progress=False)
    report.on_multirun_start(cfg)
    report._start = time.time() - 3600  # count the fixture's attempts as this invocation's
    with pytest.raises(SystemExit) as stop:
        report.on_multirun_end(cfg)
    assert stop.value.code == 1  # the fixture has a failed job
    out = capsys.readouterr().out
    assert "6 complete, 1 failed, 1 incomplete" in out and "bad: ConfigError: run.days" in out
    assert f"tables in {small_sweep / 'tables'}" in out

    def broken(root):
        raise OSError("disk full")

    monkeypatch.setattr(collect_mod, "collect", broken)
    with pytest.raises(SystemExit):
        report.on_multirun_end(cfg)
    assert "collecting the tables failed: OSError: disk full" in capsys.readouterr().out


PLAIN_OVERRIDES = [
    ("topology=urban", "run.replicate=3", "need.p_hidden=1", "volunteers.passporting=false"),
    ("scenario=funding_loss", "events.core_funding_cut.params.share=0.8",
     "events.core_funding_cut.day=0"),
    ("scenario=[lockdown,preparedness]", "topology=rural", "link_worker.caseload_cap=20"),
]


@pytest.mark.parametrize("overrides", PLAIN_OVERRIDES)
def test_plain_overrides_compose_without_hydra_to_the_same_configuration(overrides):
    from sim.config import compose
    from sim.experiments.runs import _composed, _plain_overrides

    assert _plain_overrides(overrides) is not None  # the fast path is taken
    fast = _composed.__wrapped__(overrides)
    assert fast == compose(list(overrides))
    assert config_hash(fast) == config_hash(compose(list(overrides)))


@pytest.mark.parametrize("overrides", [
    ("+events.x={day:0,kind:funding_cut}",), ("~events.core_funding_cut",),
    ("hydra.job.name=x",), ("run.replicate=1,2",), ("run.days=${run.replicate}",),
    ("run.days=3", "run.days=4"), ("topology.urban={n_residents:5}",),
    ("scenario=/tmp/mine.yaml",), ("scenario=[lockdown,mine.yaml]",)])
def test_other_overrides_are_left_to_hydra(overrides):
    from sim.experiments.runs import _plain_overrides

    assert _plain_overrides(overrides) is None


def test_a_refused_plain_override_is_worded_by_hydra(tmp_path):
    from sim.config import compose
    from sim.experiments.runs import _composed

    with pytest.raises(ConfigError) as fast:
        _composed.__wrapped__(("run.days=1e3",))
    with pytest.raises(ConfigError) as hydra:
        compose(["run.days=1e3"])
    assert str(fast.value) == str(hydra.value) and "run.days" in str(fast.value)


def test_a_slurm_job_passes_each_runs_burn_in_sharing_on(tmp_path):
    """A Slurm array task's group of runs (the work tuples run_jobs makes) keeps each job's
    share_burn_in: a run of its own world leaves no state in the sweep's .burn_in."""
    from sim.experiments.executor import _run_group

    base = ["topology=rural", "run.days=3", "run.burn_in_days=7", "run.plots=false"]
    results = _run_group([(str(tmp_path / "own"), base, {"run.replicate": 1}, False),
                          (str(tmp_path / "shared"), base, {"run.replicate": 2}, True)])
    assert [r[1] for r in results] == ["done", "done"]
    assert len(list((tmp_path / ".burn_in").glob("*.state"))) == 1  # the shared run's only


def test_collect_reads_each_run_table_as_pyarrow_read_table_does(small_sweep, monkeypatch):
    """``_read`` (one file, threads only for large tables) gives the table ``read_table``
    gives (the direct comparisons carry this test: the collected files are cast to the
    sweep's schema again when written); the collected files are the same either way."""
    path = next(small_sweep.glob("cap=10,rep=0/timeseries.parquet"))
    assert collect_mod._read(path).equals(pq.read_table(path), check_metadata=True)
    assert collect_mod._schema_of(path).equals(pq.read_schema(path), check_metadata=True)

    def tables() -> dict[str, bytes]:
        collect(small_sweep)
        return {p.name: p.read_bytes() for p in (small_sweep / "tables").glob("*.parquet")}

    ours = tables()
    monkeypatch.setattr(collect_mod, "THREADED_CELLS", 0)  # every table on several threads
    threaded = tables()
    monkeypatch.setattr(collect_mod, "_read", pq.read_table)
    assert ours == threaded == tables() and "timeseries.parquet" in ours


def test_run_tables_take_the_sweep_schema_as_a_cast_would():
    """A run's columns whose type differs from the sweep's (a whole-number column where
    another run has decimals, a column the run lacks) are cast as ``Table.cast`` casts them;
    the others are kept as they are; the sweep's field metadata is on every column."""
    import pyarrow as pa

    # as a run's file gives it: pandas metadata, a dictionary column, an all-null column
    run = pa.table({"day": pa.array([1, 2], pa.int64()), "x": pa.array([3, 4], pa.int64()),
                    "kind": pa.array(["a", "b"]).dictionary_encode(),
                    "z": pa.nulls(2)}).replace_schema_metadata({b"pandas": b"{}"})
    ids = [pa.field("run", pa.string())]
    schema = pa.schema([pa.field("run", pa.string()), pa.field("day", pa.int64()),
                        pa.field("x", pa.float64(), metadata={b"unit": b"people"}),
                        pa.field("kind", pa.dictionary(pa.int32(), pa.string())),
                        pa.field("z", pa.float64()), pa.field("y", pa.float64())])
    got = collect_mod._with_ids(run, schema, ids, {"run": "r0"})
    expected = run.append_column(ids[0], pa.array(["r0", "r0"])).append_column(
        pa.field("y", pa.float64()), pa.nulls(2, pa.float64())).select(schema.names).cast(schema)
    assert got.equals(expected, check_metadata=True)
    assert got.schema.field("x").metadata == {b"unit": b"people"}
    assert got.schema.metadata is None  # the sweep's schema, not the run's pandas metadata
    assert got.column("x").to_pylist() == [3.0, 4.0] and got.column("z").null_count == 2
    assert got.column("kind").to_pylist() == ["a", "b"]
