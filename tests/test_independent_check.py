"""experiments/independent_check.py: bad flags fail cleanly (exit 2, the flag named), every
reproduced fact has a check, and the verdict follows the bootstrap interval of the mean
paired difference (no model runs)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import load_script

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "experiments" / "independent_check.py"


@pytest.fixture(scope="module")
def ic():
    return load_script(SCRIPT)


@pytest.mark.parametrize(("args", "flag"), [
    (["--facts", "SF99"], "--facts"), (["--replicates", "1"], "--replicates"),
    (["--days", "100"], "--days"), (["--jobs", "0"], "--jobs"), (["--seed", "-1"], "--seed"),
    (["--out", "/nonexistent-folder/r.json"], "--out"), (["--facts"], "--facts"),
    (["--update", "/nonexistent-folder/r.json"], "--update")])
def test_bad_flags_exit_2_naming_the_flag(args, flag, tmp_path):
    proc = subprocess.run([sys.executable, str(SCRIPT), *args, "--runs", str(tmp_path / "r")],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2, proc.stderr
    assert flag in proc.stderr and "Traceback" not in proc.stderr
    others = {"--facts", "--replicates", "--days", "--jobs", "--seed", "--out",
              "--update"} - {flag}
    assert not any(o in proc.stderr for o in others), proc.stderr  # only the bad one named
    assert not (tmp_path / "r").exists()  # nothing run, nothing written


def test_every_reproduced_fact_has_a_check(ic):
    results = json.loads((ROOT / "tests" / "validation" / "results.json").read_text())
    reproduced = set(results["summary"]["reproduced"])
    checked = {c.fact for c in ic.build_checks(365)}
    assert reproduced <= checked, reproduced - checked
    for c in ic.build_checks(365):
        assert c.direction in ("higher", "lower", "within")
        assert any("run.days=" in o for o in c.scenario), c.label


def test_verdict_follows_the_paired_interval(ic):
    rng = np.random.default_rng(3)
    base = rng.normal(10.0, 3.0, 10)  # large spread between runs, shared by the pair
    check = ic.Check("X", "x", ("run.days=200",), "m", "higher", ("run.days=200",))
    shifted = ic.judge(check, base + 1.0 + rng.normal(0, 0.1, 10), base)
    assert shifted["agrees"] and shifted["ci_low"] > 0 and shifted["pairs_expected"] == 10
    # the same values unpaired: the spread between runs swamps the shift
    unpaired = ic.judge(ic.Check("X", "x", ("run.days=200",), "m", "higher",
                                 ("run.days=200",), paired=False),
                        base + 1.0 + rng.normal(0, 0.1, 10), base)
    assert not unpaired["agrees"]
    lower = ic.judge(ic.Check("X", "x", ("run.days=200",), "m", "lower", ("run.days=200",)),
                     base + 1.0, base)
    assert not lower["agrees"]
    same = ic.judge(ic.Check("X", "x", ("run.days=200",), "m", "within", ("run.days=200",),
                             margin_share=0.05), base, base)
    assert same["agrees"] and same["ci_low"] == same["ci_high"] == 0.0


def test_metrics_read_documented_columns(ic):
    ts = pd.DataFrame({"day": np.arange(1, 11), "n_health_vcse_ties": np.arange(10, 20),
                       "new_buddied": [0, 0, 0, 0, 0, 0, 1, 0, 0, 0],
                       "new_emergency_responses": [0] * 10})
    assert ic.rise("n_health_vcse_ties", 3, 8)({}, ts) == 5.0  # peak (day 8) minus day 3
    assert ic.window_mean("n_health_vcse_ties", 1, 2)({}, ts) == 10.5
    first = ic.days_to_first(("new_buddied", "new_emergency_responses"))
    assert first({"emergency_start_day": 4}, ts) == 3.0  # day 7
    assert first({"emergency_start_day": 7}, ts) == 4.0  # none after day 7: censored at 11


@pytest.mark.parametrize("content", ["not json", "[1, 2]", '{"checks": [{"fact": 3}]}',
                                     '{"checks": [{"fact": "SF1"}]}',
                                     '{"meta": {"updates": "SF39"}, "checks": []}'])
def test_update_refuses_a_file_that_is_not_a_results_file(content, tmp_path):
    bad = tmp_path / "old.json"
    bad.write_text(content)
    proc = subprocess.run([sys.executable, str(SCRIPT), "--facts", "SF39", "--update", str(bad),
                           "--runs", str(tmp_path / "r")], capture_output=True, text=True,
                          cwd=ROOT)
    assert proc.returncode == 2, proc.stderr
    assert f"error: --update {bad}" in proc.stderr and "Traceback" not in proc.stderr
    assert ("not a results file" in proc.stderr) != ("cannot be read as JSON" in proc.stderr)
    assert bad.read_text() == content and not (tmp_path / "r").exists()


def test_update_replaces_only_the_rerun_facts_checks(ic):
    def row(fact, check, agrees):
        return {"fact": fact, "check": check, "agrees": agrees}

    old = {"meta": {"seed": 4409}, "facts_hold": {},
           "checks": [row("SF1", "a", True), row("SF39", "old", False), row("S27", "old", True),
                      row("S27", "old too", True), row("S47", "b", True)]}
    new = [row("S27", "new", False), row("SF39", "new", True), row("SF99", "added", True)]
    merged = ic.merge_results(old, new, {"seed": 4409, "days": 365})
    assert [(r["fact"], r["check"]) for r in merged["checks"]] == [
        ("SF1", "a"), ("SF39", "new"), ("S27", "new"), ("S47", "b"), ("SF99", "added")]
    assert merged["facts_hold"] == {"SF1": True, "SF39": True, "S27": False, "S47": True,
                                    "SF99": True}
    assert merged["meta"]["seed"] == 4409
    assert merged["meta"]["updates"] == [{"facts": ["S27", "SF39", "SF99"], "seed": 4409,
                                          "days": 365}]
    assert old["checks"][1]["check"] == "old"  # the earlier results are not modified
