"""Regenerate the generated sections of ``docs/ODD.md`` from the code, so they cannot drift.

Three blocks of the ODD document are rendered from the code and the configs, between marker
comments:

- ``<!-- PARAMETERS:BEGIN -->`` ... ``<!-- PARAMETERS:END -->``: every parameter of
  :class:`sim.params.Config` with its dotted key, default, unit, allowed range, meaning, source
  and evidence basis, from the field metadata (:func:`sim.params.iter_params`);
- ``<!-- EVENTS:BEGIN -->`` ... ``<!-- EVENTS:END -->``: every registered event kind with its
  parameters (:func:`sim.events.event_kinds`);
- ``<!-- SCENARIOS:BEGIN -->`` ... ``<!-- SCENARIOS:END -->``: every ``configs/scenario/*.yaml``
  with its ``scenario.description`` and timeline.

It also renders the data dictionary page, ``docs/outputs.md`` (block ``<!-- OUTPUTS:BEGIN -->``
... ``<!-- OUTPUTS:END -->``): every column of ``timeseries.parquet`` and key of
``summary.json`` from :mod:`sim.outputs`.

Usage (from the repository root)::

    .venv/bin/python experiments/make_odd.py           # rewrite docs/ODD.md, docs/outputs.md
    .venv/bin/python experiments/make_odd.py --check   # exit 1 if either is out of date

``tests/test_docs.py`` runs the same rendering and fails when the committed document differs.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a checkout without installing
    sys.path.insert(0, str(ROOT))

from sim.catalog import allowed_range, display_unit, format_value  # noqa: E402
from sim.catalog import events as event_rows  # noqa: E402
from sim.params import Config, iter_params  # noqa: E402

ODD_PATH = ROOT / "docs" / "ODD.md"
OUTPUTS_PATH = ROOT / "docs" / "outputs.md"
SCENARIO_DIR = ROOT / "configs" / "scenario"

#: A seed citation such as ``004:359`` or ``000:80-81`` (seed file, line or line range).
SEED_CITATION = re.compile(r"\b(\d{3}):(\d+)(?:-(\d+))?")
#: Keys that control a run or name its inputs rather than describe the modelled system.
SETTING_PREFIXES = ("run.", "scenario.", "topology.graph_file", "topology.population_file")
#: Entries of ``Config`` documented elsewhere (the event timeline has its own section).
EXCLUDED_KEYS = ("events",)

BASIS_NOTE = {
    "cited": "the source line grounds the mechanism or the value (see section 8.1 for which)",
    "calibrated": "tuned so that an emergent figure matches a source figure",
    "assumption": "no source figure (a cited line, if any, grounds only the mechanism); sweep it",
    "design": "a design choice named in the model brief",
    "setting": "run control or input file, not a property of the modelled system",
}


# ---------------------------------------------------------------------------- classification


def is_setting(key: str) -> bool:
    return key.startswith(SETTING_PREFIXES)


def evidence_basis(key: str, meta: dict) -> str:
    """How the default is grounded: setting, calibrated, cited, design or assumption."""
    source = str(meta.get("source") or "")
    meaning = str(meta.get("meaning") or "")
    if is_setting(key):
        return "setting"
    if "calibrat" in (meaning + " " + source).lower():
        return "calibrated"
    if "assumption" in source.lower():  # also "assumption; 003:316": the value is assumed
        return "assumption"
    if SEED_CITATION.search(source):
        return "cited"
    if source:
        return "design"
    return "missing"


def model_parameters(cfg: Config | None = None) -> list[tuple[str, Any, dict]]:
    """``(key, default, metadata)`` for every documented parameter, in declaration order."""
    return [(k, v, m) for k, v, m in iter_params(cfg or Config()) if k not in EXCLUDED_KEYS]


# ---------------------------------------------------------------------------- formatting


def _cell(text: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def _table(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> list[str]:
    header = list(header)
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return out


# ---------------------------------------------------------------------------- renderers


def render_parameters(cfg: Config | None = None) -> str:
    """Markdown: a summary of evidence bases and one table per parameter section."""
    params = model_parameters(cfg)
    bases = [evidence_basis(k, m) for k, _, m in params]
    counts = {b: bases.count(b) for b in BASIS_NOTE if b in bases}
    n_model = sum(c for b, c in counts.items() if b != "setting")
    lines = [
        f"{len(params)} parameters: {n_model} describe the modelled system and "
        f"{counts.get('setting', 0)} are run settings. Evidence basis of the model parameters:",
        "",
    ]
    lines += _table(["Basis", "Parameters", "Meaning"],
                    [(b, c, BASIS_NOTE[b]) for b, c in counts.items() if b != "setting"])
    sections: dict[str, list] = {}
    for (key, value, meta), basis in zip(params, bases, strict=True):
        sections.setdefault(key.split(".")[0], []).append((key, value, meta, basis))
    for name, rows in sections.items():
        lines += ["", f"#### `{name}`", ""]
        lines += _table(
            ["Key", "Default", "Unit", "Allowed", "Meaning", "Source", "Basis"],
            [(f"`{key}`", format_value(value), display_unit(key, meta),
              allowed_range(value, meta), meta.get("meaning", ""),
              meta.get("source") or "–", basis)
             for key, value, meta, basis in rows])
    return "\n".join(lines)


def render_events() -> str:
    """Markdown: one subsection per registered event kind with its parameter table."""
    kinds = event_rows()
    lines = [f"{len(kinds)} event kinds are registered (`sim.events.event_kinds()`)."]
    for kind in kinds:
        lines += ["", f"#### `{kind['kind']}`", ""]
        lines.append(kind["doc"] or "(no description)")
        lines.append("")
        if not kind["params"]:
            lines.append("No parameters.")
            continue
        lines += _table(["Parameter", "Type", "Default", "Allowed", "Meaning"],
                        [(f"`{name}`", arg["type"], arg["default"], arg["allowed"],
                          arg["meaning"]) for name, arg in kind["params"].items()])
    return "\n".join(lines)


def _timeline(events: Any) -> str:
    """Events as a mapping name -> {day, kind, params} or a list of entries, in file order."""
    if not events:
        return "none"
    named = events.items() if isinstance(events, dict) else ((None, e) for e in events)
    parts = []
    for name, ev in named:
        label = f"{name}: " if name is not None else ""
        if not isinstance(ev, dict):
            parts.append(label + _cell(ev))
            continue
        params = ev.get("params") or {}
        args = ", ".join(f"{k}={format_value(v)}" for k, v in params.items())
        parts.append(f"{label}day {ev.get('day')} `{ev.get('kind')}`"
                     + (f" ({args})" if args else ""))
    return "; ".join(parts)


def _flatten(data: Any, prefix: str = "") -> list[str]:
    if isinstance(data, dict):
        out = []
        for k, v in data.items():
            out += _flatten(v, f"{prefix}{k}.")
        return out
    return [f"`{prefix.rstrip('.')}={format_value(data)}`"]


#: Top-level YAML keys that are not parameter overrides.
SCENARIO_META_KEYS = ("scenario", "events", "defaults", "hydra")


def render_scenarios(scenario_dir: Path = SCENARIO_DIR) -> str:
    """Markdown: every scenario config with its description, overrides and timeline."""
    files = sorted(scenario_dir.glob("*.yaml"))
    rows = []
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        info = data.get("scenario") or {}
        overrides = _flatten({k: v for k, v in data.items() if k not in SCENARIO_META_KEYS})
        rows.append((f"`{path.stem}`", " ".join(str(info.get("description") or "").split()),
                     ", ".join(overrides) or "none", _timeline(data.get("events"))))
    lines = [f"{len(files)} scenario configs in `configs/scenario/` "
             "(select with `scenario=<name>`, compose with `'scenario=[a,b]'`):", ""]
    lines += _table(["Scenario", "Description (from the YAML)", "Parameter overrides",
                     "Events (name: day, kind, params)"], rows)
    return "\n".join(lines)


def render_outputs() -> str:
    from sim import outputs

    return outputs.markdown()


RENDERERS: dict[str, Callable[[], str]] = {
    "PARAMETERS": render_parameters,
    "EVENTS": render_events,
    "SCENARIOS": render_scenarios,
}
OUTPUT_RENDERERS: dict[str, Callable[[], str]] = {"OUTPUTS": render_outputs}


def renderers_for(path: Path) -> dict[str, Callable[[], str]]:
    """The blocks of a document: the data dictionary page's, or the ODD's."""
    return OUTPUT_RENDERERS if path.name == OUTPUTS_PATH.name else RENDERERS


# ---------------------------------------------------------------------------- document


class MarkerError(ValueError):
    """The document lacks a BEGIN/END marker pair for a generated section."""


def replace_block(text: str, name: str, body: str) -> str:
    begin, end = f"<!-- {name}:BEGIN -->", f"<!-- {name}:END -->"
    i, j = text.find(begin), text.find(end)
    if i < 0 or j < 0 or j < i or text.count(begin) != 1 or text.count(end) != 1:
        raise MarkerError(f"the document needs exactly one '{begin}' followed by one '{end}'")
    return text[: i + len(begin)] + "\n" + body.rstrip("\n") + "\n" + text[j:]


def render(text: str, renderers: dict[str, Callable[[], str]] | None = None) -> str:
    """``text`` with every generated block replaced by a fresh rendering."""
    for name, fn in (renderers or RENDERERS).items():
        text = replace_block(text, name, fn())
    return text


def _write_atomic(path: Path, text: str) -> None:
    from sim import io

    io.atomic_write(path, text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="do not write; exit 1 if the generated sections are out of date")
    ap.add_argument("--path", type=Path, action="append",
                    help="a document to render (default: docs/ODD.md and docs/outputs.md; "
                         "a file named outputs.md gets the data dictionary)")
    args = ap.parse_args(argv)
    status = 0
    for path in args.path or [ODD_PATH, OUTPUTS_PATH]:
        status = max(status, _render_file(path, args.check))
    return status


def _render_file(path: Path, check: bool) -> int:
    if not path.is_file():
        print(f"error: {path} not found", file=sys.stderr)
        return 2
    old = path.read_text(encoding="utf-8")
    try:
        new = render(old, renderers_for(path))
    except MarkerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if check:
        if new != old:
            print(f"{path} is out of date: run python experiments/make_odd.py",
                  file=sys.stderr)
            return 1
        print(f"{path} is up to date")
        return 0
    if new != old:
        _write_atomic(path, new)
        print(f"updated {path}")
    else:
        print(f"{path} already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
