"""A measured section of a Markdown file, rewritten by the script that measures it.

The README's performance figures sit between ``<!-- NAME:begin -->`` and ``<!-- NAME:end -->``
(``benchmark`` by ``experiments/benchmark.py --readme README.md``, ``sobol`` by
``experiments/sobol_cost.py --readme README.md``): the script replaces what is between the
markers and leaves the rest of the file as it is, byte for byte (its line endings, and the
file itself where a link points, with its permissions). A file without its markers (or with
them twice, or in the wrong order), or one that cannot be written, is refused before anything
is measured, so a long measurement never ends in a file it cannot write.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path


class SectionError(ValueError):
    """The file cannot take the section: unreadable, or its markers missing or misplaced."""


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:begin -->", f"<!-- {name}:end -->"


def _split(path: Path, name: str) -> tuple[str, str, str]:
    """The file's text before its section (through the begin marker), after it (from the
    end marker), and its line ending."""
    begin, end = markers(name)
    try:
        with open(path, encoding="utf-8", newline="") as f:  # line endings as they are
            text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise SectionError(f"{path}: cannot be read ({exc})") from None
    counts = (text.count(begin), text.count(end))
    if counts != (1, 1) or text.index(begin) > text.index(end):
        raise SectionError(
            f"{path}: needs exactly one '{begin}' followed by one '{end}' (the section "
            f"the figures are written into); found {counts[0]} and {counts[1]}"
            + (", in the wrong order" if counts == (1, 1) else ""))
    head, _, rest = text.partition(begin)
    _, _, tail = rest.partition(end)
    newline = "\r\n" if "\r\n" in text else "\r" if "\r" in text else "\n"
    return head + begin, end + tail, newline


def check_section(path: Path, name: str) -> None:
    """Raise :class:`SectionError` unless ``path`` has the section ``name`` and can be
    written."""
    _split(path, name)
    target = Path(path).resolve()
    if not os.access(target, os.W_OK) or not os.access(target.parent, os.W_OK):
        raise SectionError(f"{path}: cannot be written (permissions)")


def replace_section(path: Path, name: str, body: str) -> None:
    """Put ``body`` between the markers of section ``name`` of ``path`` (atomically, in the
    file a link points to, keeping its permissions and its line endings)."""
    from sim import io

    head, tail, newline = _split(path, name)
    target = Path(path).resolve()
    mode = target.stat().st_mode & 0o7777
    section = body.strip().replace("\n", newline)  # in the file's own line ending
    text = f"{head}{newline}{newline}{section}{newline}{newline}{tail}"
    io.atomic_write(target, text.encode("utf-8"))
    os.chmod(target, mode)


_WHERE_FILES_GO = ("--out", "--readme")


def _names_where_files_go(arg: str) -> bool:
    """``arg`` is ``--out``/``--readme`` or an abbreviation argparse accepts for it."""
    flag = arg.split("=", 1)[0]
    return len(flag) > 2 and any(full.startswith(flag) for full in _WHERE_FILES_GO)


def shown_command(script: str, args: list[str]) -> str:
    """``python SCRIPT ARGS`` as the section shows it: what was measured, without where the
    files went (``--out``, ``--readme``, ``--force``)."""
    shown, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif _names_where_files_go(a):
            skip = "=" not in a
        elif a != "--force":
            shown.append(a)
    return " ".join(shlex.quote(str(a)) for a in ["python", script, *shown])


def shown_revision(revision: str) -> str:
    """A commit as the section shows it: 10 hex digits, and ``-dirty`` where the measured
    tree had uncommitted changes (``sim.io.git_revision``)."""
    return revision[:10] + ("-dirty" if revision.endswith("-dirty") else "")


def write_section(readme: Path, name: str, body: str, saved: Path, program: str) -> bool:
    """:func:`replace_section`, or False with a message on stderr saying how to write the
    results saved in ``saved`` later, if the file no longer takes the section (its markers
    changed while the figures were measured)."""
    import sys

    try:
        replace_section(readme, name, body)
    except SectionError as exc:
        print(f"{program}: argument --readme: {exc}; the results are in {saved}: write them "
              f"with --readme {readme} --from-json {saved}", file=sys.stderr)
        return False
    return True


def load_results(path: Path, what: str, fields: dict[str, type], render) -> dict:
    """A results file a script wrote (``--out``) read back for ``--from-json``: a JSON object
    with ``fields`` of their types that ``render`` can show; ValueError naming what is wrong
    otherwise (the file is data: nothing in it runs)."""
    import json

    try:
        results = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a readable JSON file ({exc})") from None
    if not isinstance(results, dict):
        raise ValueError(f"{path}: not a {what} (a JSON object is expected)")
    for key, kind in fields.items():
        if not isinstance(results.get(key), kind):
            raise ValueError(f"{path}: not a {what} ('{key}' must be a {kind.__name__}; "
                             "files written before 2026-12-07 lack 'git_revision' or "
                             "'command')")
    try:
        render(results)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise ValueError(f"{path}: a field is missing or holds a wrong value "
                         f"({type(exc).__name__}: {exc})") from None
    return results


def add_arguments(ap, name: str, what: str) -> None:
    """A script's ``--readme`` and ``--from-json`` options (section ``name``; ``what`` it
    writes there)."""
    begin, end = markers(name)
    ap.add_argument("--readme", type=Path, metavar="MARKDOWN",
                    help=f"also write {what} into this file's section between '{begin}' and "
                         f"'{end}' (the README's figures: --readme README.md); checked before "
                         "measuring")
    ap.add_argument("--from-json", type=Path, metavar="JSON",
                    help=f"measure nothing: write {what} in this results file (an earlier "
                         "run's --out) into --readme")


def checked_arguments(ap, args, name: str, load) -> dict | None:
    """``--readme`` and ``--from-json`` checked before anything is measured (``ap.error``:
    exit status 2, naming the argument); the results ``--from-json`` names, read by ``load``,
    or None without it."""
    if args.readme is not None:
        try:
            check_section(args.readme, name)
        except SectionError as exc:
            ap.error(f"argument --readme: {exc}")
    if args.from_json is None:
        return None
    if args.readme is None:
        ap.error("argument --from-json: needs --readme (the file to write the results into)")
    try:
        return load(args.from_json)
    except ValueError as exc:
        ap.error(f"argument --from-json: {exc}")
