"""The validation suite writes its own results table.

Every validation test carries one ``@pytest.mark.fact(id, grade=..., nature=..., why=...,
depends=(...))`` marker per fact it checks, and every comparison it makes through the
``paired`` fixture is recorded (``Comparison.record``). Both travel with the test's report
(``user_properties``), so under pytest-xdist the controlling process sees them. At the end of
a session that was not interrupted, :class:`ResultsTable` merges the tests that ran into
``results.json`` (tests that did not run keep their last entry, so a ``-k`` run does not
wipe the table) and rewrites the table in README.md between ``<!-- results:begin -->`` and
``<!-- results:end -->``. Both files are written atomically, and their contents depend only
on the runs, which are deterministic.

A fact **holds** when every recorded run of every test marked with it passed (``[on]`` and
``[off]``); it is **reproduced** when it holds and not all of its tests are "by
construction"; **reproduced emergently** when it holds and at least one of its tests is
"emergent"; **robust** when it is a reproduced grade-A or grade-B fact that held in at least
80 % of its robustness draws (``robustness.json``, written by ``experiments/robustness.py``).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

import pytest
from facts import FACTS, GRADES, NATURES, ROBUST_SHARE

HERE = Path(__file__).parent
RESULTS_JSON = HERE / "results.json"
ROBUSTNESS_JSON = HERE / "robustness.json"
README = HERE / "README.md"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"


def fact_markers(node_or_function) -> list[dict]:
    """The ``fact`` markers of a test item (or of a test function), checked: a known fact ID,
    its grade as in facts.FACTS, a nature of facts.NATURES, a reason, dotted parameters."""
    if hasattr(node_or_function, "iter_markers"):
        marks = list(node_or_function.iter_markers("fact"))
    else:
        marks = [m for m in getattr(node_or_function, "pytestmark", []) if m.name == "fact"]
    out = []
    for m in marks:
        (fact_id,) = m.args
        kw = {"grade": None, "nature": None, "why": "", "depends": ()} | m.kwargs
        unknown = set(kw) - {"grade", "nature", "why", "depends"}
        if unknown:
            raise ValueError(f"fact marker {fact_id}: unknown keywords {sorted(unknown)}")
        if fact_id not in FACTS:
            raise ValueError(f"fact marker: {fact_id!r} is not in facts.FACTS")
        if kw["grade"] not in GRADES or kw["grade"] != FACTS[fact_id].grade:
            raise ValueError(f"fact marker {fact_id}: grade {kw['grade']!r}, the registry says "
                             f"{FACTS[fact_id].grade!r}")
        if kw["nature"] not in NATURES:
            raise ValueError(f"fact marker {fact_id}: nature {kw['nature']!r} not in {NATURES}")
        if not kw["why"]:
            raise ValueError(f"fact marker {fact_id}: say why (the why= keyword)")
        depends = tuple(kw["depends"])
        if any(not isinstance(d, str) or "." not in d for d in depends):
            raise ValueError(f"fact marker {fact_id}: depends must be dotted parameter names")
        out.append({"id": fact_id, "grade": kw["grade"], "nature": kw["nature"],
                    "why": kw["why"], "depends": list(depends)})
    return out


def _test_name(nodeid: str) -> tuple[str, str, str]:
    """(file, function, parameter id) of a node id."""
    path, _, name = nodeid.partition("::")
    m = re.fullmatch(r"(.*?)(?:\[(.*)\])?", name)
    return Path(path).name, m[1], m[2] or ""


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def merge(old: dict, new_runs: dict) -> dict:
    """``old`` results with the runs of this session (test -> {facts, file, runs}) replacing
    the same tests' same parametrisations."""
    tests = {k: {**v, "runs": dict(v["runs"])} for k, v in old.get("tests", {}).items()}
    for name, entry in new_runs.items():
        t = tests.setdefault(name, {"file": entry["file"], "facts": entry["facts"], "runs": {}})
        t["file"], t["facts"] = entry["file"], entry["facts"]
        if ("" in entry["runs"]) != ("" in t["runs"]):  # (un)parametrised since: old runs stale
            t["runs"] = {}
        t["runs"].update(entry["runs"])
    return {"tests": dict(sorted(tests.items())), "summary": summarise(tests)}


def fact_verdicts(tests: dict) -> dict[str, dict]:
    """Per fact ID: its tests, whether it holds, is reproduced, reproduced emergently."""
    by_fact: dict[str, dict] = {}
    for name, t in sorted(tests.items()):
        ok = bool(t["runs"]) and all(r["outcome"] == "passed" for r in t["runs"].values())
        for f in t["facts"]:
            v = by_fact.setdefault(f["id"], {"tests": [], "natures": [], "holds": True,
                                             "grade": f["grade"]})
            v["tests"].append(name)
            v["natures"].append(f["nature"])
            v["holds"] = v["holds"] and ok
    for v in by_fact.values():
        v["reproduced"] = v["holds"] and any(n != "by construction" for n in v["natures"])
        v["emergent"] = v["holds"] and "emergent" in v["natures"]
    return dict(sorted(by_fact.items(), key=lambda kv: _fact_order(kv[0])))


def _fact_order(fact_id: str) -> int:
    order = list(FACTS)
    return order.index(fact_id) if fact_id in order else len(order)


def robustness_verdicts() -> dict[str, dict]:
    if not ROBUSTNESS_JSON.exists():
        return {}
    return json.loads(ROBUSTNESS_JSON.read_text())["facts"]


def summarise(tests: dict) -> dict:
    verdicts = fact_verdicts(tests)
    robust = robustness_verdicts()
    ab = [k for k, v in verdicts.items() if v["reproduced"] and v["grade"] in ("A", "B")]
    checked = [k for k in ab if k in robust]
    return {
        "facts_tested": len(verdicts),
        "reproduced": sorted((k for k, v in verdicts.items() if v["reproduced"]),
                             key=_fact_order),
        "reproduced_emergently": sorted((k for k, v in verdicts.items() if v["emergent"]),
                                        key=_fact_order),
        "holds_only_by_construction": sorted(
            (k for k, v in verdicts.items() if v["holds"] and not v["reproduced"]),
            key=_fact_order),
        "not_reproduced": sorted((k for k, v in verdicts.items() if not v["holds"]),
                                 key=_fact_order),
        "grade_ab_reproduced": sorted(ab, key=_fact_order),
        "robust": sorted((k for k in checked if robust[k]["share"] >= ROBUST_SHARE),
                         key=_fact_order),
        "robustness_checked": sorted(checked, key=_fact_order),
    }


def _num(x: float) -> str:
    return f"{x:+.4g}" if x == x else "NaN"


def _comparison_cell(c: dict) -> str:
    ci = f"{_num(c['difference'])} [{_num(c['ci_low'])}, {_num(c['ci_high'])}]"
    if c.get("first_replicate"):
        ci += f" (replicates {c['first_replicate']}-{c['first_replicate'] + c['n'] - 1})"
    if c.get("exact"):
        ci += f" (identical in all {c['n']} pairs)"
    if c.get("check") == "within":
        return f"{ci} (within +-{c['margin']:.3g}: {'yes' if c['within'] else 'no'})"
    again = c.get("confirmation")
    if again:
        last = again["first_replicate"] + again["n"] - 1
        ci += (f"; found, so repeated on replicates {again['first_replicate']}-{last}: "
               f"{_num(again['difference'])} [{_num(again['ci_low'])}, "
               f"{_num(again['ci_high'])}] ({'found again' if again['holds'] else 'not found'})")
    return ci


OUTCOME_WORDS = {"on": {"passed": "reproduced", "failed": "**not reproduced**",
                        "xfailed": "not reproduced (strict xfail)",
                        "xpassed": "**xpassed**", "skipped": "skipped"},
                 "off": {"passed": "effect gone", "failed": "**effect persists**",
                         "xfailed": "effect persists (strict xfail)",
                         "xpassed": "**xpassed**", "skipped": "skipped"}}


def _outcome(mechanism: str, outcome: str) -> str:
    return OUTCOME_WORDS["off" if mechanism == "off" else "on"].get(outcome, outcome)


def render(results: dict) -> str:
    """The README's results section: the summary line and one row per test."""
    s = results["summary"]
    lines = [
        "Generated by the suite run (`tests/validation/results_table.py`) from "
        "`results.json`; do not edit by hand. Differences are scenario minus counterfactual "
        "(means over replicates) with the 95 % CI; \"off\" is the same check with the "
        "mechanism switched off.",
        "",
        f"**Facts tested: {s['facts_tested']}; reproduced: {len(s['reproduced'])}; reproduced "
        f"emergently: {len(s['reproduced_emergently'])}; robust: {len(s['robust'])} of the "
        f"{len(s['grade_ab_reproduced'])} reproduced grade-A/B facts "
        f"({len(s['robustness_checked'])} checked).**",
        "",
        f"- reproduced: {', '.join(s['reproduced']) or '-'}",
        f"- reproduced emergently: {', '.join(s['reproduced_emergently']) or '-'}",
        f"- holds only by construction (not counted): "
        f"{', '.join(s['holds_only_by_construction']) or '-'}",
        f"- not reproduced: {', '.join(s['not_reproduced']) or '-'}",
        f"- robust (>= {ROBUST_SHARE:.0%} of draws): {', '.join(s['robust']) or '-'}",
        "",
        "| Fact (grade) | Test | Nature: why | Metric (expected) | On: difference [95 % CI] "
        "| Off: difference [95 % CI] | Verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    rows = []
    for name, t in results["tests"].items():
        facts = " + ".join(f"{f['id']} ({f['grade']})" for f in t["facts"])
        nature = "; ".join(f"{f['nature']}: {f['why']}" for f in t["facts"][:1])
        on = t["runs"].get("on") or t["runs"].get("")
        off = t["runs"].get("off")
        comps = (on or off or {"comparisons": []})["comparisons"]
        metrics = "; ".join(f"{c['metric']} ({c['direction']})" for c in comps)
        on_cell = "; ".join(_comparison_cell(c) for c in on["comparisons"]) if on else "-"
        off_cell = "; ".join(_comparison_cell(c) for c in off["comparisons"]) if off else "-"
        verdict = ", ".join(f"{mech or 'on'}: {_outcome(mech, r['outcome'])}"
                            for mech, r in sorted(t["runs"].items(), key=lambda kv: kv[0] != "on"))
        order = min(_fact_order(f["id"]) for f in t["facts"])
        rows.append((order, name, f"| {facts} | `{name}` | {nature} | {metrics} | {on_cell} | "
                                  f"{off_cell} | {verdict} |"))
    lines += [r[2].replace("\n", " ") for r in sorted(rows)]
    return "\n".join(lines)


def _plain(value):
    """A numpy scalar in a record (a comparison against a numpy margin gives numpy.bool_,
    which json cannot write) as the Python value it holds."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def write(results: dict) -> None:
    """results.json and the README section, atomically."""
    _write_atomic(RESULTS_JSON,
                  json.dumps(results, indent=1, sort_keys=True, default=_plain) + "\n")
    text = README.read_text(encoding="utf-8")
    head, sep, rest = text.partition(BEGIN)
    _, sep2, tail = rest.partition(END)
    if not (sep and sep2):
        raise RuntimeError(f"{README}: markers {BEGIN} ... {END} not found")
    _write_atomic(README, f"{head}{BEGIN}\n{render(results)}\n{END}{tail}")


class ResultsTable:
    """Collects the fact tests' reports in the controlling process and writes the table."""

    name = "validation-results-table"

    def __init__(self) -> None:
        self.runs: dict[str, dict] = {}

    def pytest_runtest_logreport(self, report) -> None:
        props = report.user_properties
        marks = next((v for k, v in props if k == "fact_markers"), None)
        if not marks or report.when != "call":
            return
        file, name, param = _test_name(report.nodeid)
        outcome = report.outcome
        if hasattr(report, "wasxfail"):
            outcome = "xfailed" if report.skipped else "xpassed"
        entry = self.runs.setdefault(name, {"file": file, "facts": marks, "runs": {}})
        entry["runs"][param] = {"outcome": outcome,
                                "comparisons": [v for k, v in props if k == "comparison"]}

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus) -> None:
        if not self.runs or exitstatus in (pytest.ExitCode.INTERRUPTED,
                                           pytest.ExitCode.INTERNAL_ERROR,
                                           pytest.ExitCode.USAGE_ERROR):
            return
        if session.shouldstop or os.environ.get("VALIDATION_RESULTS_READONLY"):
            return
        old = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
        write(merge(old, self.runs))


def register(config) -> None:
    """Register the writer in the controlling process (not in xdist workers)."""
    if hasattr(config, "workerinput") or config.pluginmanager.has_plugin(ResultsTable.name):
        return
    config.pluginmanager.register(ResultsTable(), ResultsTable.name)
