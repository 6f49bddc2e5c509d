"""Benchmark: resident-days per second of the vectorised model against a per-agent Mesa baseline.

Measures, each in a fresh Python process (so peak memory of one size does not contaminate
another), a full run with daily collection on (``run.collect=true``):

* the vectorised model (``sim.run``) on the urban default and on the county topology at each
  ``--sizes`` (default 10,000, 100,000 and 1,000,000 residents);
* the per-agent baseline (``per_agent_baseline.py``: one Mesa agent per resident,
  ``shuffle_do("step")`` each day, the same resident daily update) on the urban default and
  the county at each ``--baseline-sizes`` (default 10,000 and 100,000).

It reports build time, run time (wall and CPU), resident-days per CPU-second of the daily run
(the rate the ratios use: a busy machine slows wall time, not CPU time, much), resident-days per
wall second (run only, and including the build), the CPU share and peak resident memory
(``ru_maxrss`` of the child process), prints a Markdown table and the vectorised / baseline
ratios, checks the targets of issues 2, 6 and 16 (``--sizes 3000000`` for issue 16's
three-million year), and writes the
figures with the machine, date and package versions to a JSON file (and the table beside it).

    python experiments/benchmark.py                       # the full benchmark (~5 minutes)
    python experiments/benchmark.py --sizes 2000 --baseline-sizes 2000 --days 20 --out x.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the sibling scripts
import readme_section as sections  # noqa: E402

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
DEFAULT_BASELINE_SIZES = (10_000, 100_000)
TARGETS = {
    "rate_100k_min": 10e6,  # issue 6: resident-days/s at 100,000
    "ratio_urban_min": 10.0,  # issue 2: x baseline at the urban default
    "ratio_100k_min_issue2": 20.0,
    "ratio_100k_min_issue6": 30.0,
    "year_1m_max_s": 120.0,  # issue 6: 1,000,000-resident year, build + run
    "peak_1m_max_mb": 4096.0,
    "cost_ratio_1m_10k_max": 1.5,  # cost per resident-day (build included) at 1M vs 10k
    "ratio_100k_min_issue16": 50.0,  # issue 16: x baseline at 100,000 (CPU time)
    "rate_1m_min": 15e6,  # issue 16: resident-days per CPU-s at 1,000,000
    "year_3m_max_s": 60.0,  # issue 16: 3,000,000-resident year, build + run
    "peak_3m_max_mb": 4096.0,
}


# ------------------------------------------------------------------------------- child side
def _config(topology: str, n: int | None, days: int, seed: int):
    """The configuration the command line would run (``python -m sim topology=... ``)."""
    import sim

    # no burn-in: it is more days of the same step, and the per-agent baseline starts from the
    # same constructed state (experiments/per_agent_baseline.py)
    overrides = [f"topology={topology}", f"run.days={days}", f"run.seed={seed}",
                 "run.collect=true", "run.burn_in_days=0"]
    if n is not None:
        overrides.append(f"topology.n_residents={n}")
    return sim.compose(overrides)


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kilobytes


def child(spec: dict) -> dict:
    """One measurement in this (fresh) process."""
    import logging

    logging.getLogger("MESA").setLevel(logging.WARNING)
    t0 = time.perf_counter()
    if spec["impl"] == "vectorised":
        from sim import runner
    else:
        sys.path.insert(0, str(HERE))
        from per_agent_baseline import timed_run
    import_s = time.perf_counter() - t0  # sim, mesa, pandas, numba (kernels loaded)
    import_rss = _peak_rss_mb()
    cfg = _config(spec["topology"], spec["n"], spec["days"], spec["seed"])
    cpu0 = time.process_time()
    if spec["impl"] == "vectorised":
        result = runner.run(cfg)
        n = int(result.summary["n_residents"])
        build, run = result.build_seconds, result.wall_seconds - result.build_seconds
        build_cpu = result.build_cpu_seconds
        run_cpu = result.cpu_seconds - result.build_cpu_seconds
        rows = len(result.timeseries)
    else:
        out = timed_run(cfg, spec["days"])
        n, build, run, rows = out["n_residents"], out["build_s"], out["run_s"], len(out["rows"])
        build_cpu, run_cpu = out["build_cpu_s"], out["run_cpu_s"]
    cpu = time.process_time() - cpu0
    if rows != spec["days"]:
        raise RuntimeError(f"expected {spec['days']} daily rows, got {rows}")
    days = spec["days"]
    return {**spec, "n": n, "build_s": build, "run_s": run, "cpu_s": cpu,
            "build_cpu_s": build_cpu, "run_cpu_s": run_cpu,
            # the rate the ratios use: resident-days per CPU-second of the daily run
            "resident_days_per_cpu_s": n * days / run_cpu,
            "resident_days_per_s": n * days / run,
            "resident_days_per_s_incl_build": n * days / (build + run),
            "ns_per_resident_day_incl_build": 1e9 * (build + run) / (n * days),
            # share of one core this process got: well below 1 means the machine was busy
            "cpu_share": cpu / (build + run),
            "import_s": import_s, "peak_rss_mb": _peak_rss_mb(),
            "rss_after_imports_mb": import_rss}


# ------------------------------------------------------------------------------ parent side
def positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number (got {text!r})") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1 (got {value})")
    return value


def days_arg(text: str) -> int:
    value = positive_int(text)
    if value > 36500:
        raise argparse.ArgumentTypeError(f"must be between 1 and 36500 (got {value})")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description="Resident-days per second: vectorised model vs per-agent Mesa baseline.")
    ap.add_argument("--sizes", type=positive_int, nargs="+", default=list(DEFAULT_SIZES),
                    metavar="N", help="county sizes for the vectorised model "
                                      "(default: 10000 100000 1000000)")
    ap.add_argument("--baseline-sizes", type=positive_int, nargs="*",
                    default=list(DEFAULT_BASELINE_SIZES), metavar="N",
                    help="county sizes for the per-agent baseline (default: 10000 100000; "
                         "none to skip)")
    ap.add_argument("--days", type=days_arg, default=365, help="days simulated (default 365)")
    ap.add_argument("--no-urban", action="store_true", help="skip the urban default case")
    ap.add_argument("--no-baseline", action="store_true", help="skip the per-agent baseline")
    ap.add_argument("--repeat", type=positive_int, default=1,
                    help="measure each case this many times, alternating the cases, and keep "
                         "the median CPU time (default 1)")
    ap.add_argument("--seed", type=int, default=20201, help="run.seed (default 20201)")
    ap.add_argument("--out", type=Path, default=None, metavar="JSON",
                    help="results file (default: experiments/results/benchmark-<date>.json); "
                         "the Markdown table is written beside it (.md)")
    ap.add_argument("--force", action="store_true", help="replace an existing --out file")
    sections.add_arguments(ap, SECTION, "the tables")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.seed < 0:
        ap.error(f"argument --seed: must be >= 0 (got {args.seed})")
    if args.child:
        return args
    args.report = sections.checked_arguments(ap, args, SECTION, load_report)
    if args.report is not None:  # --from-json: nothing measured, no --out
        return args
    if args.out is None:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        args.out = HERE / "results" / f"benchmark-{stamp}.json"
    if args.out.suffix != ".json":
        ap.error(f"argument --out: must end in .json (got {args.out})")
    if args.out.exists() and not args.force and not args.child:
        ap.error(f"argument --out: {args.out} exists; choose another path or pass --force")
    if args.out.exists() and args.out.is_dir():
        ap.error(f"argument --out: {args.out} is a directory")
    return args


def run_child(spec: dict) -> dict:
    """Measure ``spec`` in a fresh interpreter; a failure is recorded, not raised."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE.parent)
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {**spec, "error": f"exit {proc.returncode}: {tail}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure_once(spec: dict) -> dict:
    r = run_child(spec)
    label = f"{spec['impl']:10s} {spec['topology']:6s} {r.get('n') or spec['n'] or '':>9}"
    if "error" in r:
        print(f"  {label}  FAILED {r['error']}", flush=True)
        return r
    print(f"  {label}  build {r['build_s']:7.2f}s  run {r['run_s']:8.2f}s wall "
          f"{r['run_cpu_s']:8.2f}s CPU  {r['resident_days_per_cpu_s'] / 1e6:7.2f} M "
          f"resident-days per CPU-s  CPU share {r['cpu_share']:.2f}  "
          f"peak {r['peak_rss_mb']:7.0f} MB", flush=True)
    return r


def median_of(runs: list[dict]) -> dict:
    """The repeat with the median daily-run CPU time (the lower middle one for an even count),
    with every repeat's CPU and wall run times listed beside it."""
    ok = [r for r in runs if "error" not in r]
    if len(ok) < len(runs):
        return next(r for r in runs if "error" in r)
    ranked = sorted(ok, key=lambda r: r["run_cpu_s"])
    mid = dict(ranked[(len(ranked) - 1) // 2])
    mid["all_run_cpu_s"] = [r["run_cpu_s"] for r in ok]
    mid["all_run_s"] = [r["run_s"] for r in ok]
    mid["repeats"] = len(ok)
    return mid


def machine() -> dict:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        pass
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    return {"hostname": platform.node(), "cpu": cpu, "logical_cpus": os.cpu_count(),
            "memory_gb": round(mem_gb, 1) if mem_gb else None, "os": platform.platform(),
            "load_average_at_start": load, "interpreter": interpreter()}


def interpreter() -> str:
    """The interpreter and how it was built, as its own records say: the same code ran about
    5 % faster a day on a CPython built with ``--enable-optimizations --with-lto`` than on
    pyenv's default shared build (2026-12-07), so figures from different builds differ.
    (Distributions that optimise with their own build rules, as Debian does, show no flags.)"""
    import sysconfig

    args = shlex.split(str(sysconfig.get_config_var("CONFIG_ARGS") or ""))
    flags = [f for f in ("--enable-optimizations", "--with-lto")
             if any(a == f or (a.startswith(f + "=") and a != f + "=no") for a in args)]
    if sysconfig.get_config_var("Py_ENABLE_SHARED"):
        flags.append("shared libpython")
    return (f"{platform.python_implementation()} {platform.python_version()} "
            f"({', '.join(flags) or 'no optimisation flags recorded'}; "
            f"{platform.python_compiler()})")


def versions() -> dict:
    from sim import io

    return io.versions()


def _key(r: dict) -> tuple:
    return (r["topology"], r["n"] if r["topology"] == "county" else None)


def comparisons(results: list[dict]) -> list[dict]:
    """Vectorised / baseline rate for every case measured both ways."""
    vec = {_key(r): r for r in results if r["impl"] == "vectorised" and "error" not in r}
    out = []
    for b in results:
        if b["impl"] != "baseline" or "error" in b or _key(b) not in vec:
            continue
        v = vec[_key(b)]
        out.append({"topology": b["topology"], "n": v["n"],
                    "vectorised_resident_days_per_cpu_s": v["resident_days_per_cpu_s"],
                    "baseline_resident_days_per_cpu_s": b["resident_days_per_cpu_s"],
                    "ratio": v["resident_days_per_cpu_s"] / b["resident_days_per_cpu_s"],
                    "ratio_wall": v["resident_days_per_s"] / b["resident_days_per_s"],
                    # repeat k of each, measured back to back: their CPU-time ratios
                    "ratio_per_repeat": [bc / vc * v["n"] / b["n"] for vc, bc in zip(
                        v.get("all_run_cpu_s", []), b.get("all_run_cpu_s", []), strict=False)]})
    return out


def target_checks(results: list[dict], ratios: list[dict], days: int) -> list[dict]:
    vec = {_key(r): r for r in results if r["impl"] == "vectorised" and "error" not in r}
    ratio = {(c["topology"], c["n"] if c["topology"] == "county" else None): c["ratio"]
             for c in ratios}
    checks = []

    def check(name, value, limit, ok):
        checks.append({"target": name, "value": value, "limit": limit, "met": bool(ok)})

    def year(r: dict, residents: str, max_s: float, max_mb: float, issue: str = "") -> None:
        """A year's time (build + run) and peak memory against their limits."""
        t = r["build_s"] + r["run_s"]
        check(f"{residents}-resident year (build + run) <= {max_s:g} s{issue}", t, max_s,
              t <= max_s)
        check(f"peak memory at {residents} <= {max_mb / 1024:g} GB (MB){issue}",
              r["peak_rss_mb"], max_mb,
              r["peak_rss_mb"] <= max_mb)

    if days == 365:
        if (r := vec.get(("county", 100_000))) is not None:
            rate = r["resident_days_per_cpu_s"]
            check("resident-days per CPU-s at 100,000 >= 10 M", rate,
                  TARGETS["rate_100k_min"], rate >= TARGETS["rate_100k_min"])
        if (r := vec.get(("county", 1_000_000))) is not None:
            year(r, "1,000,000", TARGETS["year_1m_max_s"], TARGETS["peak_1m_max_mb"])
            if (s := vec.get(("county", 10_000))) is not None:
                c = r["ns_per_resident_day_incl_build"] / s["ns_per_resident_day_incl_build"]
                check("cost per resident-day 1,000,000 / 10,000 <= 1.5", c,
                      TARGETS["cost_ratio_1m_10k_max"], c <= TARGETS["cost_ratio_1m_10k_max"])
            rate = r["resident_days_per_cpu_s"]
            check("resident-days per CPU-s at 1,000,000 >= 15 M (issue 16)", rate,
                  TARGETS["rate_1m_min"], rate >= TARGETS["rate_1m_min"])
        if (r := vec.get(("county", 3_000_000))) is not None:
            year(r, "3,000,000", TARGETS["year_3m_max_s"], TARGETS["peak_3m_max_mb"],
                 " (issue 16)")
    if (x := ratio.get(("urban", None))) is not None:
        check("x baseline at the urban default >= 10", x, TARGETS["ratio_urban_min"],
              x >= TARGETS["ratio_urban_min"])
    if (x := ratio.get(("county", 100_000))) is not None:
        check("x baseline at 100,000 >= 20 (issue 2)", x, TARGETS["ratio_100k_min_issue2"],
              x >= TARGETS["ratio_100k_min_issue2"])
        check("x baseline at 100,000 >= 30 (issue 6)", x, TARGETS["ratio_100k_min_issue6"],
              x >= TARGETS["ratio_100k_min_issue6"])
        check("x baseline at 100,000 >= 50 (issue 16)", x, TARGETS["ratio_100k_min_issue16"],
              x >= TARGETS["ratio_100k_min_issue16"])
    return checks


def markdown(report: dict) -> str:
    m, v = report["machine"], report["versions"]
    lines = [f"Benchmark {report['date']} on {m['cpu']} ({m['logical_cpus']} logical CPUs, "
             f"{m['memory_gb']} GB), one process; "
             f"{m.get('interpreter') or 'Python ' + v['python']}, numpy {v['numpy']}, "
             f"Mesa {v['mesa']}; {report['days']} days, daily collection on; load average "
             f"at start {_load(m)}. CPU share: CPU time / wall time of the measured process "
             "(below 1: it waited for a core).", "",
             "Rates and ratios are per CPU-second of the daily run (median of "
             f"{report['repeat']} repeat(s), the cases alternated); wall-clock figures beside.",
             "",
             "| implementation | topology | residents | import s | build s | run s (wall) | "
             "run CPU s | resident-days per CPU-s | resident-days/s (wall) | incl. build | "
             "CPU share | peak MB |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in report["results"]:
        if "error" in r:
            lines.append(f"| {r['impl']} | {r['topology']} | {r['n'] or 'default'} | "
                         f"failed: {r['error']} |||||||||")
            continue
        lines.append(f"| {r['impl']} | {r['topology']} | {r['n']:,} | {r['import_s']:.2f} | "
                     f"{r['build_s']:.2f} | "
                     f"{r['run_s']:.2f} | {r['run_cpu_s']:.2f} | "
                     f"{r['resident_days_per_cpu_s'] / 1e6:.2f} M | "
                     f"{r['resident_days_per_s'] / 1e6:.2f} M | "
                     f"{r['resident_days_per_s_incl_build'] / 1e6:.2f} M | "
                     f"{r['cpu_share']:.2f} | {r['peak_rss_mb']:.0f} |")
    if report["comparisons"]:
        lines += ["", "| topology | residents | vectorised / per-agent baseline (CPU) | "
                      "wall-clock ratio |", "|---|---:|---:|---:|"]
        for c in report["comparisons"]:
            lines.append(f"| {c['topology']} | {c['n']:,} | {c['ratio']:.1f}x "
                         f"({c['vectorised_resident_days_per_cpu_s'] / 1e6:.2f} M vs "
                         f"{c['baseline_resident_days_per_cpu_s'] / 1e6:.3f} M; repeats: "
                         f"{', '.join(f'{x:.1f}x' for x in c['ratio_per_repeat'])}) | "
                         f"{c['ratio_wall']:.1f}x |")
    if report["targets"]:
        lines += ["", "| target | value | met |", "|---|---:|---|"]
        for t in report["targets"]:
            value = t["value"]
            shown = f"{value / 1e6:.2f} M" if value > 1e5 else f"{value:.2f}"
            lines.append(f"| {t['target']} | {shown} | {'yes' if t['met'] else 'NO'} |")
    return "\n".join(lines) + "\n"


SECTION = "benchmark"
"""The README's section this script rewrites (``--readme``; experiments/readme_section.py)."""
REPORT_KEYS = {"date": str, "machine": dict, "versions": dict, "days": int, "repeat": int,
               "command": list, "git_revision": str, "results": list, "comparisons": list,
               "targets": list}


def readme_section(report: dict) -> str:
    """The README's figures: how they were made (the command and the code's revision), then
    :func:`markdown`'s tables."""
    command = sections.shown_command("experiments/benchmark.py", report["command"][1:])
    revision = sections.shown_revision(report["git_revision"])
    return (f"Made by `{command}` on the code of `{revision}` (written here by the script's "
            f"`--readme`).\n\n{markdown(report)}")


def load_report(path: Path) -> dict:
    """A results file of this script (``--out``), its fields checked; ValueError otherwise."""
    return sections.load_results(path, "benchmark results file", REPORT_KEYS, markdown)


def _git_revision() -> str:
    from sim import io

    return io.git_revision()


def _load(m: dict) -> str:
    load = m.get("load_average_at_start")
    return " / ".join(f"{x:.1f}" for x in load) if load else "unknown"


def _write_atomic(path: Path, text: str) -> None:
    from sim import io

    io.atomic_write(path, text)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return 0
    if args.from_json is not None:
        if not write_readme(args.readme, args.report, args.from_json):
            return 2
        print(f"wrote the report of {args.from_json} into {args.readme}")
        return 0
    specs = []
    base = {"days": args.days, "seed": args.seed}
    if not args.no_urban:
        specs.append({"impl": "vectorised", "topology": "urban", "n": None, **base})
    specs += [{"impl": "vectorised", "topology": "county", "n": n, **base} for n in args.sizes]
    if not args.no_baseline:
        if not args.no_urban:
            specs.append({"impl": "baseline", "topology": "urban", "n": None, **base})
        specs += [{"impl": "baseline", "topology": "county", "n": n, **base}
                  for n in args.baseline_sizes]
    report = {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
              "machine": machine(), "versions": versions(), "git_revision": _git_revision(),
              "days": args.days, "seed": args.seed, "repeat": args.repeat,
              "command": [Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])],
              "results": []}
    print(f"benchmark: {len(specs)} cases, {args.days} days, each in a fresh process", flush=True)
    # repeats alternate the cases (all cases once, then again), so a change in the machine's
    # load during the run falls on the vectorised model and the baseline alike
    runs: list[list[dict]] = [[] for _ in specs]
    for k in range(args.repeat):
        if args.repeat > 1:
            print(f"repeat {k + 1} of {args.repeat}", flush=True)
        for spec, done in zip(specs, runs, strict=True):
            if not (done and "error" in done[-1]):
                done.append(measure_once(spec))
    report["results"] = [median_of(done) for done in runs]
    report["comparisons"] = comparisons(report["results"])
    report["targets"] = target_checks(report["results"], report["comparisons"], args.days)
    table = markdown(report)
    print()
    print(table)
    _write_atomic(args.out, json.dumps(report, indent=2) + "\n")
    _write_atomic(args.out.with_suffix(".md"), table)
    print(f"wrote {args.out} and {args.out.with_suffix('.md')}")
    failed = any("error" in r for r in report["results"])
    if args.readme is not None:
        if failed:  # a failed case's table is not the README's figures
            print(f"benchmark: not written into {args.readme}: a case failed (above)",
                  file=sys.stderr)
        elif not write_readme(args.readme, report, args.out):
            return 2
        else:
            print(f"wrote the tables into {args.readme}")
    return 1 if failed else 0


def write_readme(readme: Path, report: dict, saved: Path) -> bool:
    """The README's section from ``report`` (False, with a message, if it no longer takes it:
    :func:`readme_section.write_section`)."""
    return sections.write_section(readme, SECTION, readme_section(report), saved, "benchmark")


if __name__ == "__main__":
    sys.exit(main())
