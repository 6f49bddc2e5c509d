"""A measured section of a Markdown file, rewritten by the script that measures it.

The README's performance figures sit between ``<!-- NAME:begin -->`` and ``<!-- NAME:end -->``
(``benchmark`` by ``experiments/benchmark.py --readme README.md``, ``sobol`` by
``experiments/sobol_cost.py --readme README.md``): the script replaces what is between the
markers and leaves the rest of the file as it is, byte for byte. A file without its markers
(or with them twice, or in the wrong order) is refused before anything is measured, so a long
measurement never ends in a file it cannot write.
"""

from __future__ import annotations

from pathlib import Path


class SectionError(ValueError):
    """The file cannot take the section: unreadable, or its markers missing or misplaced."""


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:begin -->", f"<!-- {name}:end -->"


def _split(path: Path, name: str) -> tuple[str, str]:
    """The file's text before its section (through the begin marker) and after it (from the
    end marker)."""
    begin, end = markers(name)
    try:
        text = Path(path).read_text(encoding="utf-8")
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
    return head + begin, end + tail


def check_section(path: Path, name: str) -> None:
    """Raise :class:`SectionError` unless ``path`` has the section ``name``."""
    _split(path, name)


def replace_section(path: Path, name: str, body: str) -> None:
    """Put ``body`` between the markers of section ``name`` of ``path`` (atomically)."""
    from sim import io

    head, tail = _split(path, name)
    io.atomic_write(Path(path), f"{head}\n\n{body.strip()}\n\n{tail}")


def shown_command(script: str, args: list[str]) -> str:
    """``python SCRIPT ARGS`` as the section shows it: what was measured, without where the
    files went (``--out``, ``--readme``, ``--force``)."""
    import shlex

    shown, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a in ("--out", "--readme"):
            skip = True
        elif not (a == "--force" or a.startswith(("--out=", "--readme="))):
            shown.append(a)
    return " ".join(shlex.quote(str(a)) for a in ["python", script, *shown])
