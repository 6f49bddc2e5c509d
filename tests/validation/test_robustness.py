"""Robustness of the reproduced grade-A/B facts (issue 11, deliverable 3).

The full check (every grade-A/B fact, 20 Latin-hypercube draws, 10 replicates per arm) is
``experiments/robustness.py``; it writes ``robustness.json``. It costs far more than the
suite's budget (each draw needs its own burn-ins), so the suite checks (a) the draws and the
stand-in ``paired`` fixture, (b) that every reproduced grade-A/B fact is robust in
``robustness.json``, or is listed below as not robust or not yet run, and (c) a documented
subset recomputed now - the second draw of S48, replicates 10-19 - equals what the
experiment recorded, so the file is the current code's.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import robustness as rb
from facts import ROBUST_SHARE
from paired import RunCache
from results_table import RESULTS_JSON, ROBUSTNESS_JSON

# Reproduced grade-A/B facts whose full robustness run has not been made yet (the check is
# CPU-hours on two cores; run `python experiments/robustness.py --facts <id>` and remove it).
PENDING: set[str] = set()
# Reproduced grade-A/B facts that held in fewer than 80 % of their draws (divergences).
# (SF12 held in 13 of 20 before mutual aid formed on a rise in need above its usual level;
# 19 of 20 since, while every draw ran replicates 0-2; 15 of 20 with 3 replicates of each
# draw's own, and 16 of 20, robust at the threshold, with 10 of each draw's own, 2026-12-02:
# tests/validation/README.md, "Robustness with 10 replicates a draw".)
# (SF21 held in 15 of 20 on 2026-12-02 before `p_unplaced_sent_to_gp` joined its draws and
# advice was spent by any GP consultation, 17 of 20 after, 19 of 20 with each draw's own
# replicates: its failing draws had all been the one replicate whose council lost its key
# people; 20 of 20 with 10 replicates a draw.)
NOT_ROBUST: dict[str, str] = {}
SUBSET_FACT, SUBSET_DRAWS = "S48", (1,)  # replicates 10-19 (SF34's draws 0-1 until 2026-12-02)


def test_draws_are_a_latin_hypercube_over_the_plausible_ranges():
    depends = ("volunteers.goodwill_decay_waiting", "intermediaries.pc_signposts_per_day")
    draws = rb.draws(depends, 20)
    assert draws == rb.draws(depends, 20)  # fixed seed
    values = np.array([[float(o.split("=")[1]) for o in d] for d in draws])
    (lo0, hi0), (lo1, hi1) = (rb.parameter(d).metadata["plausible"] for d in depends)
    strata = np.floor((values[:, 0] - lo0) / (hi0 - lo0) * 20)
    assert sorted(strata.astype(int)) == list(range(20))  # one draw per twentieth
    assert ((lo1 <= values[:, 1]) & (values[:, 1] <= hi1)).all()
    assert all(d[1].endswith(str(int(v))) for d, v in zip(draws, values[:, 1], strict=True))
    arm = ["scenario=baseline", "volunteers.goodwill_decay_waiting=0"]
    assert rb.with_draw(arm, draws[0]) == [*arm, draws[0][1]]  # the arm's own value wins


def test_each_draw_runs_replicates_of_its_own(monkeypatch):
    """Draw k runs replicates k*R to k*R+R-1 in every arm, whatever replicates the test asks
    for itself, so one unusual replicate cannot decide several draws."""
    asked = []

    def fake_compare(cache, fact, scenario, counterfactual, metric, direction, *,
                     replicates, first_replicate=0, **kw):
        asked.append((tuple(scenario), replicates, first_replicate))
        x = np.arange(replicates, dtype=float) + 1.0
        return rb.DrawComparison(fact, "m", direction, "s", "c", x, x - 1.0, True)

    monkeypatch.setattr(rb, "compare", fake_compare)

    def one_test(paired):  # a fact test that asks for its own sample, as a power design does
        paired("SF1", ["scenario=surge_recruitment"], ["scenario=baseline"], "m", "higher",
               replicates=20, first_replicate=30).expect("on")

    fake_tests = {"SF1": [(one_test, {})]}
    draw = ["volunteers.goodwill_decay_waiting=0.02"]
    for k in (0, 1, 7):
        asked.clear()
        result = rb.check_draw("SF1", draw, cache=None, replicates=3, tests=fake_tests,
                               draw_index=k)
        assert asked == [(("scenario=surge_recruitment", *draw), 3, 3 * k)]
        assert result["replicates_run"] == [3 * k, 3 * k + 2]
        assert result["holds"]
    assert rb.first_replicate_of(4, 5) == 20
    with pytest.raises(ValueError, match="draw index"):
        rb.first_replicate_of(-1, 3)


def test_reproduced_grade_ab_facts_are_robust_or_listed():
    results = json.loads(RESULTS_JSON.read_text())
    facts = json.loads(ROBUSTNESS_JSON.read_text())["facts"]
    reproduced = set(results["summary"]["grade_ab_reproduced"])
    done = {k for k in reproduced if k in facts and facts[k]["n_draws"] == rb.N_DRAWS}
    assert reproduced - done == PENDING - (PENDING - reproduced), "update PENDING"
    assert not (done & PENDING), "a pending fact has been run: remove it from PENDING"
    for k in sorted(done):
        robust = facts[k]["held"] >= ROBUST_SHARE * facts[k]["n_draws"]
        assert robust == (k not in NOT_ROBUST), (k, facts[k]["held"], facts[k]["n_draws"])


def test_every_recorded_fact_ran_each_draw_on_replicates_of_its_own():
    """Entries made when every draw ran replicates 0-2 (until 2026-12-02) are stale: one
    unusual replicate could fail several draws together."""
    facts = json.loads(ROBUSTNESS_JSON.read_text())["facts"]
    shared = sorted(k for k, v in facts.items() if v.get("replicates_per_draw") != "own")
    assert not shared, f"run experiments/robustness.py --facts {' '.join(shared)}"
    for k, v in facts.items():
        starts = [r["replicates_run"][0] for r in v["draws"]]
        assert starts == [r["draw"] * v["replicates"] for r in v["draws"]], k


def test_every_recorded_fact_ran_the_replicates_a_draw_now_asks_for():
    """Entries run with fewer replicates a draw than the check now takes (3 until 2026-12-02,
    too few to tell a small effect from none) are stale: every fact is judged on the same
    sample."""
    facts = json.loads(ROBUSTNESS_JSON.read_text())["facts"]
    fewer = sorted(k for k, v in facts.items() if v["replicates"] != rb.DRAW_REPLICATES)
    assert not fewer, f"run experiments/robustness.py --facts {' '.join(fewer)}"


def test_every_recorded_fact_was_drawn_over_the_parameters_it_depends_on_now():
    """An entry recorded before a fact's test came to depend on other parameters (a new
    mechanism) is stale: run ``experiments/robustness.py --facts <id>`` again."""
    facts = json.loads(ROBUSTNESS_JSON.read_text())["facts"]
    tests = rb.fact_tests()
    stale = {k: (facts[k]["depends"], list(rb.depends_of(k, tests)))
             for k in sorted(facts) if k in tests
             and facts[k]["depends"] != list(rb.depends_of(k, tests))}
    assert not stale, stale


@pytest.mark.slow
def test_a_subset_recomputed_now_equals_the_recorded_draws(tmp_path):
    recorded = json.loads(ROBUSTNESS_JSON.read_text())["facts"][SUBSET_FACT]
    draws = rb.draws(recorded["depends"], rb.N_DRAWS)
    by_draw = {r["draw"]: r for r in recorded["draws"]}
    cache = RunCache(tmp_path)
    for k in SUBSET_DRAWS:
        own = recorded.get("replicates_per_draw") == "own"
        now = rb.check_draw(SUBSET_FACT, draws[k], cache, recorded["replicates"],
                            draw_index=k if own else 0)
        then = by_draw[k]
        assert now["replicates_run"] == then.get("replicates_run", [0, 2]), k
        assert now["overrides"] == then["overrides"]
        assert now["holds"] == then["holds"], k
        assert [c["difference"] for c in now["comparisons"]] == pytest.approx(
            [c["difference"] for c in then["comparisons"]], rel=1e-12), k


def test_the_table_says_which_code_and_replicates_each_fact_was_run_on():
    entry = {"grade": "A", "ranges": {"a.b": [0, 1]}, "replicates": 3, "held": 17,
             "n_draws": 20, "share": 0.85, "robust": True, "ci_held": 9}
    old = rb.render({"SF1": entry})
    assert "on or before 2026-12-02; every draw replicates 0-2" in old.splitlines()[-1]
    new = rb.render({"SF1": {**entry, "code": "0123456789abcdef", "run_date": "2026-12-02",
                             "replicates_per_draw": "own"}})
    row = new.splitlines()[-1]
    assert row.endswith("| 2026-12-02 (`0123456789`) |") and "0-2" not in row
    dirty = rb.render({"SF1": {**entry, "code": "0123456789abcdef-dirty",
                               "run_date": "2026-12-02", "replicates_per_draw": "own"}})
    assert dirty.splitlines()[-1].endswith("| 2026-12-02 (`0123456789-dirty`) |")
    moved = rb.render({"SF1": {**entry, "code": "0123456789abcdef (checkout at the end: ff)",
                               "run_date": "2026-12-02", "replicates_per_draw": "own"}})
    assert "`0123456789, changed during the run`" in moved.splitlines()[-1]
