"""experiments/ab_compare.py: old and new code side by side on the same work; bad arguments
are named (exit status 2) before anything runs, and a report is never written over."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "experiments" / "ab_compare.py"
TINY = "topology=rural run.days=3 run.burn_in_days=0"


def ab(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)


def test_the_same_code_on_both_sides_gives_identical_outputs_and_a_paired_ratio(tmp_path):
    out = tmp_path / "ab.json"
    done = ab("--base", "HEAD", "--pairs", "2", "--case", TINY, "--out", str(out))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    report = json.loads(out.read_text())
    (case,) = report["cases"]
    assert case["case"] == TINY and case["pairs"] == 2 and case["outputs_identical"]
    assert [r["replicate"] for r in case["runs"]] == [0, 1]
    for r in case["runs"]:
        assert r["identical"] and r["old_cpu_s"] > 0 and r["new_cpu_s"] > 0
        assert r["ratio"] == r["new_cpu_s"] / r["old_cpu_s"]
    assert case["ratio_min"] <= case["ratio_median"] <= case["ratio_max"]
    low, high = case["ratio_ci95"]
    assert low <= case["ratio_geometric_mean"] <= high
    assert case["ratio_min"] <= case["ratio_geometric_mean"] <= case["ratio_max"]
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout.strip()
    assert report["base"] == head and report["new"].startswith(head)
    assert report["machine"]["logical_cpus"] >= 1 and "| outputs identical |" in done.stdout
    # each run timed after a warm-up (its kernels loaded), unless --cold
    assert report["timed"] == "after a warm-up run (kernels loaded)"
    assert "timed after a warm-up run" in done.stdout
    # the base's compiled kernels come from the working tree's cache when their source is the
    # same (a clean checkout's HEAD: it is)
    same = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "sim/kernels.py"],
                          cwd=ROOT).returncode == 0
    assert report["kernel_cache_shared"] is same


def test_the_ratios_interval_is_the_t_interval_of_their_logs():
    """Geometric mean and 95 % interval of paired ratios: a t-interval on their logs
    (worked by hand for two and for four ratios), none from one pair."""
    sys.path.insert(0, str(ROOT / "experiments"))
    import ab_compare

    gmean, low, high = ab_compare.geometric_mean_ci([1.0, math.e])
    # logs 0 and 1: mean 0.5, sd 0.7071, se 0.5, t(0.975, 1) = 12.7062
    assert gmean == pytest.approx(math.exp(0.5))
    assert (low, high) == pytest.approx((math.exp(0.5 - 6.35310), math.exp(0.5 + 6.35310)),
                                        rel=1e-4)
    gmean, low, high = ab_compare.geometric_mean_ci([0.9, 1.0, 1.1, 0.95])
    logs = [math.log(r) for r in (0.9, 1.0, 1.1, 0.95)]
    mean = sum(logs) / 4
    sd = math.sqrt(sum((x - mean) ** 2 for x in logs) / 3)
    half = 3.18245 * sd / 2  # t(0.975, 3)
    assert (gmean, low, high) == pytest.approx(
        (math.exp(mean), math.exp(mean - half), math.exp(mean + half)), rel=1e-5)
    assert ab_compare.geometric_mean_ci([0.97]) == (pytest.approx(0.97), None, None)


def test_bad_arguments_are_named_and_nothing_is_written_over(tmp_path):
    kept = tmp_path / "mine.json"
    kept.write_text("a colleague's report\n")
    for args, named in (
            (["--base", "no-such-revision-x"], "--base: 'no-such-revision-x'"),
            (["--base", "HEAD", "--case", "topology=nowhere"], "--case 'topology=nowhere'"),
            (["--base", "HEAD", "--case", "run.days=-4"], "run.days"),
            (["--base", "HEAD", "--pairs", "0"], "--pairs"),
            (["--base", "HEAD", "--out", str(kept)], "exists (kept; --force replaces it)"),
            (["--base", "HEAD", "--out", str(tmp_path / "no" / "such" / "r.json")],
             "cannot write in")):
        done = ab(*args)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert named in done.stderr and "Traceback" not in done.stderr, (args, done.stderr)
        assert "pair" not in done.stdout
    assert kept.read_text() == "a colleague's report\n"
