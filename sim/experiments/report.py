"""The state of a sweep folder and the one-screen report printed when a sweep ends."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sim.experiments.runs import (
    ERROR,
    STATUS,
    Attempt,
    RunState,
    find_run_dirs,
    read_json,
    run_state,
)


@dataclass
class SweepStatus:
    root: Path
    states: dict[Path, RunState] = field(default_factory=dict)
    attempts: Counter = field(default_factory=Counter)  # this invocation: done/skipped/failed
    expected: int | None = None  # jobs in this invocation, if known

    def in_state(self, state: RunState) -> list[Path]:
        return [p for p, s in self.states.items() if s is state]

    @property
    def attempted(self) -> int:
        return sum(self.attempts.values())

    @property
    def not_finished(self) -> int:
        """Jobs of this invocation that reported nothing (killed, lost, never started)."""
        return max(0, (self.expected or 0) - self.attempted)

    @property
    def ok(self) -> bool:
        return self.attempts[Attempt.FAILED] == 0 and self.not_finished == 0


def attempts_since(root: Path, since: float | None) -> Counter:
    """Count the ``status.json`` records written at or after ``since`` (a ``time.time()``)."""
    counts: Counter = Counter()
    if since is None:
        return counts
    for run in find_run_dirs(root):
        f = run / STATUS
        try:
            if f.stat().st_mtime >= since:
                attempt = (read_json(f) or {}).get("attempt")
                if attempt in set(Attempt):  # not an attempt still under way or killed
                    counts[Attempt(attempt)] += 1
        except OSError:
            continue
    return counts


def sweep_status(root: Path, *, since: float | None = None,
                 expected: int | None = None) -> SweepStatus:
    root = Path(root)
    states = {p: run_state(p) for p in find_run_dirs(root)} if root.is_dir() else {}
    return SweepStatus(root, states, attempts_since(root, since), expected)


def format_report(status: SweepStatus, tables: dict | None = None, *, max_failures: int = 8,
                  next_steps: list[str] | None = None) -> str:
    """At most one screen: counts, the first failures, where the tables are, what next."""
    root = status.root
    lines = [f"Sweep {root}"]
    if status.expected is not None or status.attempted:
        total = status.expected if status.expected is not None else status.attempted
        lines.append(f"  this invocation: {total} jobs")
        lines.append(f"    done now      {status.attempts[Attempt.DONE]:6d}")
        lines.append(f"    skipped       {status.attempts[Attempt.SKIPPED]:6d}"
                     "  (already complete with the same configuration)")
        lines.append(f"    failed        {status.attempts[Attempt.FAILED]:6d}")
        if status.expected is not None:
            lines.append(f"    not finished  {status.not_finished:6d}")
    complete = status.in_state(RunState.COMPLETE)
    failed = status.in_state(RunState.FAILED)
    incomplete = status.in_state(RunState.INCOMPLETE)
    lines.append(f"  in the folder: {len(complete)} complete, {len(failed)} failed, "
                 f"{len(incomplete)} incomplete run directories")
    if failed:
        lines.append("  failed runs (details in error.json in each):")
        for p in failed[:max_failures]:
            err = read_json(p / ERROR) or {}
            msg = f"{err.get('error_type', 'Error')}: {err.get('message', '?')}"
            lines.append(f"    {_rel(p, root)}: {_shorten(msg, 110)}")
        if len(failed) > max_failures:
            lines.append(f"    ... and {len(failed) - max_failures} more "
                         "(see tables/failures.parquet)")
    kept = [(p, rec) for p in complete
            if (rec := read_json(p / STATUS) or {}).get("attempt") == str(Attempt.FAILED)]
    if kept:
        lines.append("  complete runs kept, their job this time failed or was refused "
                     "(details in status.json):")
        for p, rec in kept[:max_failures]:
            lines.append(f"    {_rel(p, root)}: {_shorten(rec.get('error', '?'), 110)}")
        if len(kept) > max_failures:
            lines.append(f"    ... and {len(kept) - max_failures} more")
    if tables:
        lines.append(f"  tables in {tables['dir']}:")
        for name in ("timeseries", "summary", "failures"):
            if name in tables:
                lines.append(f"    {name + '.parquet':20s} {tables[name]:8d} rows")
    if failed or incomplete or status.not_finished:
        lines.append("  re-run the same command (same hydra.sweep.dir) to redo failed and "
                     "unfinished runs; complete runs are skipped")
    for step in next_steps or []:
        lines.append(f"  next: {step}")
    return "\n".join(lines)


def _rel(p: Path, root: Path) -> str:
    try:
        return str(p.relative_to(root)) or "."
    except ValueError:
        return str(p)


def _shorten(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 3] + "..."
