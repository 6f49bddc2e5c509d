"""Section 5 accounted for: every fact ID once, every fact test marked, markers valid and
consistent with the registry (facts.py). Fast: nothing is run."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
from pathlib import Path

import pytest
from facts import FACTS, GRADES, NATURES, STATUSES
from results_table import fact_markers

import sim.params as params

HERE = Path(__file__).parent
SOURCES = Path("/work/shared/brief/SOURCES_EXTRACT.md")
FACT_MODULES = ("test_volunteering_facts", "test_intermediary_facts",
                "test_social_prescribing_facts")


def fact_tests() -> dict[str, list[dict]]:
    """Every test function of the fact modules -> its fact markers."""
    out = {}
    for mod_name in FACT_MODULES:
        mod = importlib.import_module(mod_name)
        for name, fn in inspect.getmembers(mod, inspect.isfunction):
            if name.startswith("test_") and fn.__module__ == mod_name:
                out[name] = fact_markers(fn)
    return out


def test_every_fact_test_carries_a_valid_fact_marker():
    tests = fact_tests()
    assert len(tests) >= 20
    unmarked = [name for name, marks in tests.items() if not marks]
    assert not unmarked, f"validation tests without a fact marker: {unmarked}"
    for name, marks in tests.items():
        for m in marks:  # fact_markers() has checked ID, grade and nature against facts.py
            assert m["nature"] in NATURES and m["grade"] in GRADES, name
            assert FACTS[m["id"]].status == "tested", (name, m["id"])


def test_every_tested_fact_has_a_test_and_every_id_is_listed_once():
    marked = {m["id"] for marks in fact_tests().values() for m in marks}
    tested = {k for k, f in FACTS.items() if f.status == "tested"}
    assert marked == tested
    assert all(f.status in STATUSES and f.grade in GRADES for f in FACTS.values())
    assert all(f.note for f in FACTS.values() if f.status != "tested")
    numbered = [int(k[2:]) for k in FACTS if re.fullmatch(r"SF\d+", k)]
    assert sorted(numbered) == list(range(1, 41))  # a dict: each once
    assert sum(k.startswith("5.3-") for k in FACTS) == 4


def test_the_registry_matches_section_5_of_the_sources():
    """IDs and grades as SOURCES_EXTRACT.md section 5 states them; the unassigned numbers
    really are absent from the whole document."""
    if not SOURCES.exists():
        pytest.skip(f"{SOURCES} is not on this machine")
    text = SOURCES.read_text(encoding="utf-8")
    section = text[text.index("## 5. Stylised facts"):text.index("## 6.")]
    rows = dict(re.findall(r"^\| (SF\d+) \|.*?\| ([ABC])\b[^|]*\| [^|]*\|$", section, re.M))
    for k, f in FACTS.items():
        if not k.startswith("SF"):
            continue
        if f.status == "unassigned":
            assert not re.search(rf"\b{k}\b", text), k
        else:
            assert rows.get(k) == f.grade, (k, rows.get(k), f.grade)
    assert set(rows) == {k for k, f in FACTS.items()
                         if k.startswith("SF") and f.status != "unassigned"}
    boundary = section[section.index("### 5.3"):]
    assert boundary.count("\n- **") == 4  # the four boundary facts of 5.3


def test_depends_name_parameters_with_a_plausible_range():
    """Every parameter a fact test depends on exists and has ``plausible=(lo, hi)`` within
    its allowed range (the robustness draws sample it)."""
    for name, marks in fact_tests().items():
        for m in marks:
            for dotted in m["depends"]:
                lo, hi = plausible_range(dotted)
                assert lo < hi, (name, dotted)


def plausible_range(dotted: str) -> tuple[float, float]:
    obj: object = params.Config()
    *path, last = dotted.split(".")
    for part in path:
        obj = getattr(obj, part)
    (f,) = [f for f in dataclasses.fields(obj) if f.name == last]
    meta = f.metadata
    assert meta.get("plausible"), f"{dotted} has no plausible range"
    lo, hi = meta["plausible"]
    if meta.get("lo") is not None:
        assert lo >= meta["lo"], dotted
    if meta.get("hi") is not None:
        assert hi <= meta["hi"], dotted
    return lo, hi


def test_out_of_scope_facts_are_listed_in_the_readme():
    readme = (HERE / "README.md").read_text(encoding="utf-8")
    for k, f in FACTS.items():
        if f.status == "out of scope" and k.startswith("SF"):
            assert f"| {k} " in readme, k
