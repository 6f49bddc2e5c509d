"""Old code against new on the same work, at the same time: CPU time and identical outputs.

    python experiments/ab_compare.py --base HEAD~3                       # the urban default
    python experiments/ab_compare.py --base 9277b35 --pairs 8 \\
        --case "topology=county topology.n_residents=1000000 run.burn_in_days=0"

On a shared machine the speed of a core moves by 30 % within minutes, more than most changes
move it, so timing the old code and then the new (or alternating them in turn) measures the
host as much as the change. Here each pair runs the old and the new code **at the same time,
one on each core** (the cores swapping sides from pair to pair), so both meet the same hour
of the host; the change is the paired ratio new/old of CPU time, reported as its median and
range over the pairs, with how many pairs the new code was faster in. Every pair also checks
that both give byte-identical outputs (the daily table and the summary): a speed-up that
changes results is reported as such.

The base revision is exported with ``git archive`` into a temporary folder (the checkout and
its ``.git`` are left as they are); the new code is the working tree, uncommitted changes
included, read afresh by every run (do not edit it while a comparison runs). Each run is a
fresh interpreter: ``sim.run`` of the case's configuration (build, burn-in and days; no
burn-in cache), pair ``k`` on ``run.replicate=k`` for both sides, after one pair that is not
counted (each tree compiles and caches its kernels then). Each run is timed after a warm-up
in its interpreter (the case with a week's burn-in and one day: numba loads the compiled
kernels, about a second of CPU that a sweep's worker pays once, not per run; before
2026-12-06 it was counted in every run, which halved the share a change of the simulation
showed); ``--cold`` times the first run as before. With one CPU the two run in turn,
alternating which goes first (reported as ``mode``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchmark import machine, positive_int  # noqa: E402
from scipy import stats  # noqa: E402

DEFAULT_CASE = "topology=urban"

# What each side runs, in its own interpreter from its own tree (the current folder comes
# first on sys.path with -c, so ``import sim`` is that tree's).
CHILD = r"""
import hashlib, json, sys, time
spec = json.loads(sys.argv[1])
w0, c0 = time.perf_counter(), time.process_time()
import sim
from sim.params import ConfigError
import_cpu = time.process_time() - c0
try:
    cfg = sim.compose(spec["overrides"])
except ConfigError as exc:
    print(json.dumps({"error": str(exc)}))
    sys.exit(0)
if hasattr(cfg.run, "burn_in_cache"):
    cfg.run.burn_in_cache = ""
if spec["warm_up"]:  # a week's burn-in and a day first: the kernels loaded, not timed
    warm = sim.compose([*spec["overrides"], "run.days=1", "run.burn_in_days=7"])
    warm.run.burn_in_cache = ""
    sim.run(warm)
w1, c1 = time.perf_counter(), time.process_time()
result = sim.run(cfg)
cpu, wall = time.process_time() - c1, time.perf_counter() - w1
digest = hashlib.sha256(result.timeseries.to_csv(index=False).encode())
digest.update(json.dumps(result.summary, sort_keys=True, default=repr).encode())
print(json.dumps({"cpu_s": cpu, "wall_s": wall, "import_cpu_s": import_cpu,
                  "outputs": digest.hexdigest(), "sim": sim.__file__}))
"""


class UsageError(Exception):
    """Bad arguments: reported in one line, exit status 2."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", required=True,
                    help="the old code: a git revision (commit, tag, HEAD~2, ...)")
    ap.add_argument("--case", action="append", default=None, metavar="OVERRIDES",
                    help="a workload: command-line overrides in one string (repeatable; "
                         f"default {DEFAULT_CASE!r})")
    ap.add_argument("--pairs", type=positive_int, default=6,
                    help="old/new pairs per case (default 6)")
    ap.add_argument("--out", type=Path, default=None,
                    help="also write the report as JSON here (an existing file is kept "
                         "unless --force)")
    ap.add_argument("--force", action="store_true", help="replace an existing --out file")
    ap.add_argument("--cold", action="store_true",
                    help="time each run from a fresh interpreter's first simulation (numba "
                         "loading its compiled kernels counted too); default: after a warm-up")
    return ap.parse_args(argv)


def export_revision(rev: str, folder: Path) -> str:
    """Write the tree of ``rev`` into ``folder``; its full commit id."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"],
                                cwd=REPO, capture_output=True, text=True, check=True
                                ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        raise UsageError(f"--base: {rev!r} is not a revision of this repository") from None
    archive = folder / "base.tar"
    with archive.open("wb") as out:
        done = subprocess.run(["git", "archive", "--format=tar", commit], cwd=REPO, stdout=out,
                              stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"git archive of {commit} failed: {done.stderr.strip()}")
    with tarfile.open(archive) as tar:
        tar.extractall(folder / "tree", filter="data")
    archive.unlink()
    return commit


def share_kernel_cache(tree: Path) -> bool:
    """When the base's compiled kernels' source (``sim/kernels.py``, the only module with
    numba kernels) is byte-for-byte the working tree's, give the base the working tree's
    numba cache (its files, and the source's modification time that the cache's index is
    stamped with), so the base does not spend minutes compiling the same kernels. True if
    shared."""
    mine, theirs = REPO / "sim" / "kernels.py", tree / "sim" / "kernels.py"
    if not theirs.is_file() or theirs.read_bytes() != mine.read_bytes():
        return False
    cache = tree / "sim" / "__pycache__"
    cache.mkdir(exist_ok=True)
    for f in (REPO / "sim" / "__pycache__").glob("kernels.*.nb[ci]"):
        shutil.copy2(f, cache / f.name)
    stat = mine.stat()
    os.utime(theirs, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return True


def new_revision() -> str:
    """The working tree's commit, marked when it has uncommitted changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=REPO, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" + uncommitted changes" if dirty.strip() else "")


def check_case(text: str) -> list[str]:
    """The case's overrides, composed once here so a bad one is named before anything runs."""
    import sim
    from sim.params import ConfigError

    overrides = shlex.split(text)
    try:
        sim.compose(overrides)
    except ConfigError as exc:
        raise UsageError(f"--case {text!r}: {exc}") from None
    return overrides


def start(tree: Path, overrides: list[str], core: int | None, warm_up: bool = True
          ) -> subprocess.Popen:
    """One run of ``overrides`` with the code in ``tree``, on ``core`` if given. Its
    messages go to a temporary file, not a pipe: a side that writes much while the other's
    output is read first must not stall."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(tree)
    env["PYTHONHASHSEED"] = "0"
    messages = tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, "-c", CHILD,
                             json.dumps({"overrides": overrides, "warm_up": warm_up})],
                            cwd=tree, env=env, stdout=subprocess.PIPE, stderr=messages,
                            text=True)
    proc.messages = messages
    if core is not None:  # pinned at once (before its imports are under way)
        os.sched_setaffinity(proc.pid, {core})
    return proc


def finish(proc: subprocess.Popen, tree: Path, side: str) -> dict:
    out, _ = proc.communicate()
    proc.messages.seek(0)
    err = proc.messages.read().decode(errors="replace")
    proc.messages.close()
    if proc.returncode != 0:
        raise RuntimeError(f"the {side} code's run failed (exit {proc.returncode}):\n"
                           + err[-3000:])
    try:
        result = json.loads(out.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise RuntimeError(f"the {side} code's run printed no result:\n{out[-2000:]}"
                           f"{err[-2000:]}") from None
    if "error" in result:
        raise UsageError(f"the {side} code refuses the case: {result['error']}")
    if not Path(result["sim"]).resolve().is_relative_to(tree.resolve()):
        raise RuntimeError(f"the {side} run imported sim from {result['sim']}, not {tree}")
    return result


def cpu_steal() -> tuple[int, int] | None:
    """(steal, total) jiffies of all CPUs so far (/proc/stat), if the system says."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except (OSError, IndexError):
        return None
    values = [int(x) for x in fields[:8]]
    return (values[7], sum(values)) if len(values) == 8 else None


def measure_pair(base: Path, overrides: list[str], k: int, cores: list[int] | None,
                 warm_up: bool = True) -> dict:
    """Pair ``k``: old and new on ``run.replicate=k``, side by side (or in turn)."""
    overrides = [*overrides, f"run.replicate={k}"]
    trees = {"old": base, "new": REPO}
    if cores:
        # swap the cores' sides every pair, so neither side keeps the better core
        sides = ("old", "new") if k % 2 == 0 else ("new", "old")
        procs = {side: start(trees[side], overrides, core, warm_up)
                 for side, core in zip(sides, cores, strict=True)}
        try:
            res = {side: finish(procs[side], trees[side], side) for side in procs}
        finally:  # one side failed: the other is not left running
            for proc in procs.values():
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
    else:
        order = ("old", "new") if k % 2 == 0 else ("new", "old")
        res = {side: finish(start(trees[side], overrides, None, warm_up), trees[side], side)
               for side in order}
    return {"replicate": k, **{f"{side}_{key}": res[side][key] for side in ("old", "new")
                               for key in ("cpu_s", "wall_s", "import_cpu_s")},
            "ratio": res["new"]["cpu_s"] / res["old"]["cpu_s"],
            "identical": res["old"]["outputs"] == res["new"]["outputs"]}


def geometric_mean_ci(ratios: list[float], level: float = 0.95
                      ) -> tuple[float, float | None, float | None]:
    """The ratios' geometric mean and its ``level`` confidence interval (t on the logs; none
    from one pair)."""
    logs = [math.log(r) for r in ratios]
    mean = statistics.fmean(logs)
    if len(logs) < 2:
        return math.exp(mean), None, None
    half = stats.t.ppf(0.5 + level / 2, len(logs) - 1) * statistics.stdev(logs) / math.sqrt(
        len(logs))
    return math.exp(mean), math.exp(mean - half), math.exp(mean + half)


def summarise(case: str, pairs: list[dict]) -> dict:
    ratios = [p["ratio"] for p in pairs]
    gmean, low, high = geometric_mean_ci(ratios)
    return {
        "case": case, "pairs": len(pairs),
        "old_cpu_s_median": statistics.median(p["old_cpu_s"] for p in pairs),
        "new_cpu_s_median": statistics.median(p["new_cpu_s"] for p in pairs),
        "ratio_median": statistics.median(ratios), "ratio_min": min(ratios),
        "ratio_max": max(ratios), "ratio_geometric_mean": gmean,
        "ratio_ci95": [low, high], "new_faster_in": sum(r < 1.0 for r in ratios),
        "outputs_identical": all(p["identical"] for p in pairs),
        "runs": pairs,
    }


def report_lines(report: dict) -> list[str]:
    m = report["machine"]
    steal = report.get("cpu_steal_share")
    load = " / ".join(f"{x:.1f}" for x in m["load_average_at_start"] or ()) or "unknown"
    lines = [f"old {report['base']}  new {report['new']}",
             f"{m['cpu']}, {m['logical_cpus']} logical CPUs, load average {load}, "
             f"mode {report['mode']}, timed {report.get('timed', 'from the first run')}"
             + (f", CPU steal {100 * steal:.1f} % during the pairs" if steal is not None else ""),
             "", "| case | pairs | old CPU-s | new CPU-s | new/old: median (range) | "
                 "geometric mean [95 % CI] | new faster in | outputs identical |",
             "|---|---:|---:|---:|---|---|---:|---|"]
    for c in report["cases"]:
        low, high = c["ratio_ci95"]
        ci = f"[{low:.3f}, {high:.3f}]" if low is not None else "[one pair: none]"
        lines.append(f"| {c['case']} | {c['pairs']} | {c['old_cpu_s_median']:.2f} | "
                     f"{c['new_cpu_s_median']:.2f} | {c['ratio_median']:.3f} "
                     f"({c['ratio_min']:.3f}-{c['ratio_max']:.3f}) | "
                     f"{c['ratio_geometric_mean']:.3f} {ci} | {c['new_faster_in']} of "
                     f"{c['pairs']} | {'yes' if c['outputs_identical'] else 'NO'} |")
    return lines


def _interrupted(signum, frame):
    raise KeyboardInterrupt  # the runs under way are stopped and the exported tree removed


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        if args.out is not None:
            if args.out.exists() and not args.force:
                raise UsageError(f"--out: {args.out} exists (kept; --force replaces it)")
            folder = args.out.resolve().parent
            if not folder.is_dir() or not os.access(folder, os.W_OK):
                raise UsageError(f"--out: cannot write in {folder} (no such folder, or not "
                                 "writable)")
        cases = {text: check_case(text) for text in (args.case or [DEFAULT_CASE])}
        try:
            cpus = sorted(os.sched_getaffinity(0))
        except AttributeError:  # no affinity on this system: one after the other
            cpus = []
        cores = cpus[:2] if len(cpus) >= 2 else None
        with tempfile.TemporaryDirectory(prefix="ab-compare-") as tmp:
            base_commit = export_revision(args.base, Path(tmp))
            shared = share_kernel_cache(Path(tmp) / "tree")
            report = {"base": base_commit, "new": new_revision(), "machine": machine(),
                      "kernel_cache_shared": shared,
                      "mode": "side by side, one core each" if cores else "in turn",
                      "timed": "from a fresh interpreter's first run" if args.cold else
                               "after a warm-up run (kernels loaded)",
                      "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "cases": []}
            steal0 = cpu_steal()
            for text, overrides in cases.items():
                # not counted: each side compiles its kernels (numba's cache) on first use
                measure_pair(Path(tmp) / "tree", overrides, args.pairs, cores, not args.cold)
                pairs = []
                for k in range(args.pairs):
                    pairs.append(measure_pair(Path(tmp) / "tree", overrides, k, cores,
                                              not args.cold))
                    p = pairs[-1]
                    print(f"{text}: pair {k + 1}/{args.pairs}: old {p['old_cpu_s']:.2f} "
                          f"new {p['new_cpu_s']:.2f} CPU-s, new/old {p['ratio']:.3f}, "
                          f"outputs {'identical' if p['identical'] else 'DIFFER'}",
                          flush=True)
                report["cases"].append(summarise(text, pairs))
            steal1 = cpu_steal()
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:  # a run failed: the code's own error, not the arguments
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stopped: no report written", file=sys.stderr)
        return 130
    if steal0 and steal1 and steal1[1] > steal0[1]:
        report["cpu_steal_share"] = (steal1[0] - steal0[0]) / (steal1[1] - steal0[1])
    report["load_average_at_end"] = os.getloadavg()
    print("\n".join(["", *report_lines(report)]))
    if args.out is not None:
        from sim import io

        io.atomic_write(args.out, json.dumps(report, indent=1) + "\n")
        print(f"wrote {args.out}")
    return 0 if all(c["outputs_identical"] for c in report["cases"]) else 1


if __name__ == "__main__":
    sys.exit(main())
