"""The generated results table: markers are checked, runs merge without wiping tests that did
not run, verdicts count only what is reproduced (and emergently), and writing is atomic."""

from __future__ import annotations

import json

import numpy as np
import pytest
import results_table
from results_table import fact_markers, merge, render


def marked(**kw):
    @pytest.mark.fact("SF5", **kw)
    def test():
        pass

    return test


def test_fact_markers_are_checked_against_the_registry():
    ok = marked(grade="A", nature="emergent", why="goodwill decays", depends=("a.b",))
    assert fact_markers(ok)[0]["depends"] == ["a.b"]
    for bad in (dict(grade="B", nature="emergent", why="x"),  # SF5 is grade A
                dict(grade="A", nature="sort of", why="x"),
                dict(grade="A", nature="emergent", why=""),
                dict(grade="A", nature="emergent", why="x", depends=("nodot",)),
                dict(grade="A", nature="emergent", why="x", typo=1)):
        with pytest.raises(ValueError):
            fact_markers(marked(**bad))


def entry(fact, nature, outcomes, grade="A"):
    comp = {"fact": fact, "metric": "m", "direction": "higher", "difference": 1.0,
            "ci_low": 0.5, "ci_high": 1.5, "check": "direction"}
    return {"file": "f.py", "facts": [{"id": fact, "grade": grade, "nature": nature,
                                       "why": "w", "depends": []}],
            "runs": {k: {"outcome": v, "comparisons": [comp]} for k, v in outcomes.items()}}


def test_merge_keeps_tests_that_did_not_run_and_counts_emergent_reproductions():
    first = merge({}, {"test_a": entry("SF1", "emergent", {"on": "passed", "off": "passed"}),
                       "test_b": entry("SF4", "by construction",
                                       {"on": "passed", "off": "passed"}, "B")})
    s = first["summary"]
    assert s["reproduced"] == ["SF1"] and s["reproduced_emergently"] == ["SF1"]
    assert s["holds_only_by_construction"] == ["SF4"]
    # a -k run of test_c and of test_a's [off] only
    second = merge(first, {"test_c": entry("SF2", "partly by construction",
                                           {"on": "passed", "off": "passed"}),
                           "test_a": entry("SF1", "emergent", {"off": "failed"})})
    assert set(second["tests"]) == {"test_a", "test_b", "test_c"}
    assert second["tests"]["test_a"]["runs"]["on"]["outcome"] == "passed"
    s = second["summary"]
    assert s["not_reproduced"] == ["SF1"] and s["reproduced"] == ["SF2"]
    assert s["reproduced_emergently"] == [] and s["facts_tested"] == 3
    table = render(second)
    assert "Facts tested: 3; reproduced: 1; reproduced emergently: 0" in table
    assert "**effect persists**" in table
    assert render(second) == render(json.loads(json.dumps(second)))  # deterministic


def test_the_table_shows_an_off_checks_confirmation():
    e = entry("SF26", "emergent", {"on": "passed", "off": "passed"}, "C")
    off = e["runs"]["off"]["comparisons"][0]
    off["confirmation"] = {"first_replicate": 100, "n": 10, "difference": -0.004,
                           "ci_low": -0.02, "ci_high": 0.01, "holds": False}
    table = render(merge({}, {"test_sf26": e}))
    assert ("+1 [+0.5, +1.5]; found, so repeated on replicates 100-109: -0.004 [-0.02, "
            "+0.01] (not found)") in table
    off["confirmation"]["holds"] = True
    assert "(found again)" in render(merge({}, {"test_sf26": e}))
    e["runs"]["on"]["comparisons"][0].update(first_replicate=30, n=20)
    assert "+1 [+0.5, +1.5] (replicates 30-49)" in render(merge({}, {"test_sf26": e}))


def test_write_replaces_only_the_marked_section(tmp_path, monkeypatch):
    readme = tmp_path / "README.md"
    readme.write_text(f"top\n{results_table.BEGIN}\nold\n{results_table.END}\nbottom\n")
    monkeypatch.setattr(results_table, "README", readme)
    monkeypatch.setattr(results_table, "RESULTS_JSON", tmp_path / "results.json")
    monkeypatch.setattr(results_table, "ROBUSTNESS_JSON", tmp_path / "none.json")
    results = merge({}, {"test_a": entry("SF1", "emergent", {"on": "passed"})})
    results_table.write(results)
    text = readme.read_text()
    assert text.startswith("top\n") and text.endswith("\nbottom\n") and "\nold\n" not in text
    assert json.loads((tmp_path / "results.json").read_text()) == results
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    # numpy scalars in a record (a check against a numpy margin) are written as plain JSON;
    # a full suite run once lost its results at the end to a numpy.bool_
    comparison = {"metric": "m", "direction": "higher", "difference": np.float64(0.25),
                  "ci_low": np.float64(-0.25), "ci_high": np.float64(0.5), "n": 10,
                  "holds": np.bool_(False), "check": "within", "margin": np.float64(1.0),
                  "within": np.bool_(True)}
    results["tests"]["test_a"]["runs"]["on"]["comparisons"] = [comparison]
    results_table.write(results)
    back = json.loads((tmp_path / "results.json").read_text())
    written = back["tests"]["test_a"]["runs"]["on"]["comparisons"][0]
    assert written["within"] is True and written["holds"] is False
    assert written["margin"] == 1.0 and "(within +-1: yes)" in readme.read_text()
