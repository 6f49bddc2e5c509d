"""Robustness of the reproduced facts: do they hold away from the default parameters?

For each grade-A or grade-B fact, the parameters its tests depend on (the fact markers'
``depends``) are drawn 20 times by a Latin hypercube (``scipy.stats.qmc.LatinHypercube``,
fixed seed) over their documented ``plausible=(lo, hi)`` ranges (whole numbers rounded). For
each draw, the fact's own test functions run again, unchanged, with a ``paired`` stand-in
that adds the draw's values to every arm (a value an arm sets itself, such as a
counterfactual's ``p_accept_complex_without_inclusion=0``, is kept) and runs ``replicates``
(default 10) seeds per arm, with the mechanism on. Each draw has replicates of its own: draw
``k`` runs replicates ``k * replicates`` to ``(k + 1) * replicates - 1`` (draw 0: 0-9), so
one unusual replicate cannot fail several draws together and the share of draws held is a
share of independent samples (before 2026-12-02 every draw ran replicates 0-2; until the
same day's later run, 3 replicates a draw).

Criterion for one draw: every comparison the fact's tests make has its **mean paired
difference on the fact's side of zero** ("must hold in direction across most parameter
sweeps", SOURCES_EXTRACT section 5); a test of no material difference must keep its CI within
its margin. The bootstrap CI verdict is reported alongside but does not decide (with 3
replicates a draw it mostly measured the number of replicates; with 10 it says which draws
hold clearly). A fact is **robust** when it holds in at least 80 % of its draws.

Facts with the same ``depends`` get the same draws (and replicates), so arms they share
(SF1 and SF5 both run ``surge_recruitment``) are run once. Each draw changes the world, so
each (draw, replicate) pays its own burn-in.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from collections.abc import Sequence

from facts import FACTS, ROBUST_SHARE
from paired import Comparison, RunCache, compare
from results_table import _fact_order, fact_markers
from scipy.stats import qmc

import sim.params as params

FACT_MODULES = ("test_volunteering_facts", "test_intermediary_facts",
                "test_social_prescribing_facts")
N_DRAWS = 20
DRAW_REPLICATES = 10  # 3 until 2026-12-02: too few to tell a small effect from none
LHS_SEED = 20211


def fact_tests() -> dict[str, list[tuple]]:
    """Fact ID -> [(test function, its marker for that fact)], for every fact test."""
    out: dict[str, list[tuple]] = {}
    for mod_name in FACT_MODULES:
        mod = importlib.import_module(mod_name)
        for name, fn in sorted(inspect.getmembers(mod, inspect.isfunction)):
            if name.startswith("test_") and fn.__module__ == mod_name:
                for m in fact_markers(fn):
                    out.setdefault(m["id"], []).append((fn, m))
    return dict(sorted(out.items(), key=lambda kv: _fact_order(kv[0])))


def parameter(dotted: str) -> dataclasses.Field:
    obj: object = params.Config()
    *path, last = dotted.split(".")
    for part in path:
        obj = getattr(obj, part)
    (f,) = [f for f in dataclasses.fields(obj) if f.name == last]
    return f


def depends_of(fact_id: str, tests: dict | None = None) -> tuple[str, ...]:
    """The union of the fact's tests' ``depends``, in first-seen order."""
    tests = fact_tests() if tests is None else tests
    seen: dict[str, None] = {}
    for _, m in tests[fact_id]:
        seen.update(dict.fromkeys(m["depends"]))
    return tuple(seen)


def draws(depends: Sequence[str], n: int = N_DRAWS, seed: int = LHS_SEED) -> list[list[str]]:
    """``n`` Latin-hypercube draws over the parameters' plausible ranges, as overrides."""
    if not depends:
        return []
    unit = qmc.LatinHypercube(d=len(depends), seed=seed).random(n)
    out = []
    for row in unit:
        overrides = []
        for u, dotted in zip(row, depends, strict=True):
            f = parameter(dotted)
            lo, hi = f.metadata["plausible"]
            value = lo + u * (hi - lo)
            if f.type in ("int", int):
                overrides.append(f"{dotted}={int(round(value))}")
            else:
                overrides.append(f"{dotted}={float(value):.6g}")
        out.append(overrides)
    return out


def _key(override: str) -> str:
    return override.lstrip("+~").split("=", 1)[0]


def with_draw(arm: Sequence[str], draw: Sequence[str]) -> list[str]:
    """``arm`` plus the draw's values for the parameters the arm does not set itself."""
    own = {_key(o) for o in arm}
    return [*arm, *(d for d in draw if _key(d) not in own)]


class DrawComparison(Comparison):
    """A comparison judged by the direction of its mean difference; ``expect`` records the
    verdict instead of failing, so every comparison of a test is judged."""

    @property
    def holds(self) -> bool:
        d = self.mean_difference
        return d > 0 if self.direction == "higher" else d < 0

    @property
    def ci_holds(self) -> bool:
        return self.ci_low > 0 if self.direction == "higher" else self.ci_high < 0

    def expect(self, mechanism: str) -> None:
        self.verdict = self.holds

    def expect_no_material_difference(self, mechanism: str, margin: float) -> None:
        self.verdict = self.within(margin)


def first_replicate_of(draw_index: int, replicates: int) -> int:
    """The first of the replicates draw ``draw_index`` runs (each draw has its own)."""
    if draw_index < 0 or replicates < 1:
        raise ValueError(f"draw index must be >= 0 and replicates >= 1 (got {draw_index}, "
                         f"{replicates})")
    return draw_index * replicates


def paired_for_draw(cache: RunCache, draw: Sequence[str], replicates: int, out: list,
                    first_replicate: int = 0):
    """A stand-in for the ``paired`` fixture: every arm gets the draw's values and runs the
    draw's replicates (``first_replicate`` on)."""

    def run(fact, scenario, counterfactual, metric, direction, **kw):
        kw.pop("replicates", None)  # a test's own sample (a power design's) gives way to
        kw.pop("first_replicate", None)  # the draw's own replicates
        c = compare(cache, fact, with_draw(scenario, draw), with_draw(counterfactual, draw),
                    metric, direction, replicates=replicates,
                    first_replicate=first_replicate, **kw)
        d = DrawComparison(c.fact, c.metric, c.direction, c.scenario, c.counterfactual,
                           c.scenario_values, c.counterfactual_values, c.paired)
        d.verdict = None
        out.append(d)
        return d

    return run


def check_draw(fact_id: str, draw: Sequence[str], cache: RunCache,
               replicates: int = DRAW_REPLICATES, tests: dict | None = None, *,
               draw_index: int) -> dict:
    """Run the fact's tests (mechanism on) at one draw (the ``draw_index``-th: it runs that
    draw's own replicates); the draw's verdict and comparisons."""
    tests = fact_tests() if tests is None else tests
    first = first_replicate_of(draw_index, replicates)
    comparisons: list[DrawComparison] = []
    failures: list[str] = []
    for fn, _ in tests[fact_id]:
        if getattr(fn, "pytestmark", None) and any(m.name == "xfail" for m in fn.pytestmark):
            continue  # an expected failure is not reproduced at defaults: nothing to sweep
        kwargs = {"paired": paired_for_draw(cache, draw, replicates, comparisons, first)}
        if "mechanism" in inspect.signature(fn).parameters:
            kwargs["mechanism"] = "on"
        try:
            fn(**kwargs)
        except AssertionError as exc:
            # the test's own check failed at this draw, or its figure is undefined here (e.g.
            # no mutual aid group ever helped anyone, so its days to first support are NaN):
            # the fact does not hold at this draw
            failures.append(f"{fn.__name__}: {str(exc).splitlines()[0][:300]}")
    judged = [c for c in comparisons if c.verdict is not None]
    return {"overrides": list(draw), "replicates_run": [first, first + replicates - 1],
            "holds": bool(judged) and not failures and all(c.verdict for c in judged),
            "failures": failures,
            "ci_holds": bool(judged) and not failures and all(c.ci_holds for c in judged if
                                             c.record.get("check") != "within"),
            "comparisons": [{"test_metric": c.metric, "direction": c.direction,
                             "difference": c.mean_difference, "ci_low": c.ci_low,
                             "ci_high": c.ci_high, "holds": bool(c.verdict)}
                            for c in judged]}


def grade_ab_facts() -> list[str]:
    """Grade-A and grade-B facts that have tests with parameters to vary."""
    tests = fact_tests()
    return [k for k in tests if FACTS[k].grade in ("A", "B") and depends_of(k, tests)]


def _provenance(entry: dict) -> str:
    """When and on which commit a fact's draws were run (``-dirty``: with uncommitted
    changes), and whether each draw had its own replicates (entries recorded until the
    change of 2026-12-02 say neither: every draw ran replicates 0-2)."""
    if "code" not in entry:
        return "on or before 2026-12-02; every draw replicates 0-2"
    code = entry["code"]
    shown = code[:10] + ("-dirty" if "-dirty" in code.split(" ")[0] else "")
    if " " in code:  # the checkout changed while the draws ran
        shown += ", changed during the run"
    own = "" if entry.get("replicates_per_draw") == "own" else "; every draw replicates 0-2"
    return f"{entry['run_date']} (`{shown}`){own}"


def render(results: dict) -> str:
    lines = [
        f"Each grade-A/B fact's tests rerun (mechanism on) at {N_DRAWS} Latin-hypercube "
        "draws of the parameters it depends on, over their plausible ranges; a draw holds "
        "when every comparison's mean paired difference has the fact's sign (no-material-"
        "difference checks: CI within the margin). Robust: held in >= "
        f"{ROBUST_SHARE:.0%} of draws. Each draw runs replicates of its own (draw k: "
        "replicates k x R to k x R + R - 1, R the replicates per draw). Generated by "
        "`experiments/robustness.py`.",
        "",
        "| Fact (grade) | Parameters (plausible range) | Replicates per draw | Draws held "
        "| Share | Robust | Draws whose 95 % CI also held | Run on (code) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for k, r in results.items():
        ranges = ", ".join(f"`{d}` [{lo:g}, {hi:g}]" for d, (lo, hi) in r["ranges"].items())
        share = f"{r['share']:.0%}" if r["share"] == r["share"] else "-"
        lines.append(f"| {k} ({r['grade']}) | {ranges} | {r['replicates']} | {r['held']} of "
                     f"{r['n_draws']} | {share} | {'yes' if r['robust'] else '**no**'} | "
                     f"{r['ci_held']} | {_provenance(r)} |")
    return "\n".join(lines)
