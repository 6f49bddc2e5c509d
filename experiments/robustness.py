"""Robustness of the reproduced grade-A/B facts over their assumption parameters.

For each fact, 20 Latin-hypercube draws of the parameters its validation tests depend on
(their ``fact`` markers' ``depends``, sampled in each parameter's ``plausible`` range); at
each draw the fact's own tests run again with the draw's values added to every arm, 10
replicates per arm, mechanism on. A draw holds when every comparison's mean paired difference
has the fact's sign; a fact is robust when it holds in >= 80 % of draws (see
tests/validation/robustness.py and tests/validation/README.md).

    python experiments/robustness.py                       # every grade-A/B fact, 2 processes
    python experiments/robustness.py --facts SF1 SF5 --draws 20 --replicates 5 --jobs 2
    python experiments/robustness.py --facts SF34 --draws 4 --no-docs
    python experiments/robustness.py --render-only        # docs from robustness.json, no runs

Results go to ``tests/validation/robustness.json`` (merged by fact: facts not run keep their
entry; the suite's results table reads it) and, unless ``--no-docs``, into the "Robustness"
section of ``docs/validation.md`` (between its markers), and refreshes the summary line of the
results table in tests/validation/README.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VALIDATION = ROOT / "tests" / "validation"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(VALIDATION))
sys.path.append(str(Path(__file__).resolve().parent))  # the sibling scripts, after the
# validation folder (whose robustness module this script's name would otherwise shadow)

import readme_section as sections  # noqa: E402
import results_table  # noqa: E402
import robustness as rb  # noqa: E402
from paired import RunCache  # noqa: E402
from results_table import _write_atomic  # noqa: E402

import sim.io as sim_io  # noqa: E402

JSON_PATH = VALIDATION / "robustness.json"
DOCS = ROOT / "docs" / "validation.md"
BEGIN, END = "<!-- robustness:begin -->", "<!-- robustness:end -->"


def _task(args: tuple) -> tuple[str, int, dict, float]:
    fact_id, k, draw, folder, replicates = args
    t0 = time.process_time()
    result = rb.check_draw(fact_id, draw, RunCache(Path(folder)), replicates, draw_index=k)
    return fact_id, k, result, time.process_time() - t0


def run(facts: list[str], n_draws: int, replicates: int, jobs: int, folder: Path,
        draw_indices: list[int] | None = None) -> tuple[dict, dict]:
    tests = rb.fact_tests()
    tasks = []
    for f in facts:
        all_draws = rb.draws(rb.depends_of(f, tests), n_draws)
        for k in (draw_indices if draw_indices is not None else range(len(all_draws))):
            tasks.append((f, k, all_draws[k], str(folder), replicates))
    t0 = time.time()
    revision = sim_io.git_revision()  # the code the draws run (read before they start)
    run_date = time.strftime("%Y-%m-%d", time.gmtime())
    per: dict[str, list] = {f: [] for f in facts}
    cpu: dict[str, float] = dict.fromkeys(facts, 0.0)
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            results = list(pool.map(_task, tasks))
    else:
        results = [_task(t) for t in tasks]
    for f, k, r, c in results:
        per[f].append({"draw": k, **r})
        cpu[f] += c
    sim_io.git_revision.cache_clear()
    if sim_io.git_revision() != revision:  # a commit or an edit while the draws ran
        revision = f"{revision} (checkout at the end: {sim_io.git_revision()})"
    out = {}
    for f in facts:
        rs = sorted(per[f], key=lambda r: r["draw"])
        held = sum(r["holds"] for r in rs)
        depends = rb.depends_of(f, tests)
        out[f] = {"grade": rb.FACTS[f].grade, "depends": list(depends),
                  "ranges": {d: list(rb.parameter(d).metadata["plausible"]) for d in depends},
                  "replicates": replicates, "n_draws": len(rs), "held": held,
                  "share": held / len(rs) if rs else float("nan"),
                  "robust": bool(rs) and held / len(rs) >= rb.ROBUST_SHARE,
                  "ci_held": sum(r["ci_holds"] for r in rs), "draws": rs,
                  "cpu_seconds": round(cpu[f], 1),  # runs shared with facts before it: free
                  "code": revision, "run_date": run_date, "replicates_per_draw": "own"}
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    me = resource.getrusage(resource.RUSAGE_SELF)
    meta = {"draws": n_draws, "replicates": replicates, "lhs_seed": rb.LHS_SEED,
            "wall_seconds": round(time.time() - t0, 1),
            "cpu_seconds": round(children.ru_utime + children.ru_stime + me.ru_utime
                                 + me.ru_stime, 1),
            "cpu_seconds_by_fact_first_to_run_shared_arms": {f: round(c, 1)
                                                            for f, c in cpu.items()},
            "machine": f"{platform.machine()}, CPython {platform.python_version()}",
            "code": revision, "run_date": run_date, "replicates_per_draw": "own"}
    return out, meta


def write_docs(facts: dict, meta: dict) -> None:
    text = DOCS.read_text(encoding="utf-8")
    which = f" (facts {', '.join(meta['facts'])}; the others' figures are from earlier runs)" \
        if meta.get("facts") and set(meta["facts"]) != set(facts) else ""
    body = (f"{rb.render(facts)}\n\nLast run{which}: {meta['draws']} draws x {meta['replicates']} "
            f"replicates, {meta['cpu_seconds']} CPU-seconds ({meta['wall_seconds']} s wall) on "
            f"{meta['machine']}.")
    if BEGIN not in text:  # the section added at the end, then written as any other
        _write_atomic(DOCS, text.rstrip("\n") + (
            f"\n\n## Robustness of the reproduced facts\n\n{BEGIN}\n{END}\n"))
    sections.replace_section(DOCS, "robustness", body)


def in_run_order(facts: dict) -> dict:
    """``facts`` in the facts' order, each one's parameters in the order it depends on them
    (robustness.json's keys are sorted), as a run of every fact writes them."""
    return {k: {**v, "ranges": {d: v["ranges"][d] for d in v["depends"]}}
            for k, v in sorted(facts.items(), key=lambda kv: rb._fact_order(kv[0]))}


def write_outputs(facts: dict, last_run: dict) -> None:
    """The docs' robustness table and the results table's summary line (it counts robust
    facts), from ``facts`` (robustness.json's entries)."""
    write_docs(facts, last_run)
    if results_table.RESULTS_JSON.exists():
        old_results = json.loads(results_table.RESULTS_JSON.read_text())
        results_table.write(results_table.merge(old_results, {}))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--facts", nargs="*", help="fact IDs (default: every grade-A/B fact "
                    "with parameters to vary)")
    ap.add_argument("--draws", type=int, default=rb.N_DRAWS)
    ap.add_argument("--replicates", type=int, default=rb.DRAW_REPLICATES)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--cache", type=Path, help="run cache folder (default: a temporary one)")
    ap.add_argument("--no-docs", action="store_true")
    ap.add_argument("--render-only", action="store_true",
                    help="no runs: write the docs' table and the results table's summary line "
                         "from robustness.json as it is")
    a = ap.parse_args(argv)
    if a.render_only:
        if a.facts or a.no_docs or a.cache or a.draws != rb.N_DRAWS or (
                a.replicates != rb.DRAW_REPLICATES):
            ap.error("--render-only runs nothing and writes the docs: it takes no --facts, "
                     "--draws, --replicates, --cache or --no-docs")
        recorded = json.loads(JSON_PATH.read_text())
        facts = in_run_order(recorded["facts"])
        write_outputs(facts, recorded["meta"]["last_run"])
        print(rb.render(facts))
        return 0
    facts = a.facts or rb.grade_ab_facts()
    with tempfile.TemporaryDirectory() as tmp:
        folder = a.cache or Path(tmp)
        results, meta = run(facts, a.draws, a.replicates, a.jobs, folder)
    meta["facts"] = list(facts)
    old = json.loads(JSON_PATH.read_text()) if JSON_PATH.exists() else {"facts": {}}
    merged = in_run_order(old["facts"] | results)
    meta = {**old.get("meta", {}), "last_run": meta}
    _write_atomic(JSON_PATH, json.dumps({"meta": meta, "facts": merged}, indent=1,
                                        sort_keys=True) + "\n")
    if not a.no_docs:
        write_outputs(merged, meta["last_run"])
    print(rb.render(merged))
    print(json.dumps(meta["last_run"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
