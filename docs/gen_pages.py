"""Generated pages of the documentation site (run by the mkdocs-gen-files plugin at build time).

Nothing here is written into the checkout: the pages exist only in the build. They come from the
code and the repository's own files, so the site cannot drift from them:

- ``index.md``: the README, its links rewritten for the site; ``changelog.md``, ``license.md``,
  ``citation.md`` from CHANGELOG.md, LICENSE and CITATION.cff;
- ``reference/cli.md``: ``community-sim --help`` and ``community-sim list --help``;
- ``reference/parameters.md``: every parameter (``sim.catalog.params``: dotted key, default,
  unit, allowed and plausible range, meaning, source);
- ``reference/scenarios.md`` and ``reference/events.md``: the scenario files and the event
  registry, rendered as in docs/ODD.md (``experiments/make_odd.py``);
- ``reference/outputs.md``: the data dictionary (``sim.outputs.table()`` when it exists,
  otherwise the naming convention and the daily flows, pointing at ODD section 4.11);
- ``notebooks/*.ipynb``: the teaching notebooks, rendered by mkdocs-jupyter; their links to
  ``../docs/*.md`` (the glossary) are rewritten into links to the site's pages. They are taken
  from the folder named by the environment variable ``DOCS_NOTEBOOKS_DIR`` when it is set (the
  test suite's executed copies, so the site shows their outputs; every notebook must be there),
  otherwise from notebooks/ as committed (without outputs; ``DOCS_EXECUTE_NOTEBOOKS=true`` has
  mkdocs-jupyter execute them during the build instead).

Build with ``mkdocs build --strict`` (or ``mkdocs serve``) from the repository root.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import mkdocs_gen_files

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # build from a checkout without installing
    sys.path.insert(0, str(ROOT))

from sim import catalog  # noqa: E402
from sim.commands import load_script, parser  # noqa: E402

#: README links to repository files -> pages of the site.
LINKS = {"docs/": "", "CHANGELOG.md": "changelog.md", "LICENSE": "license.md",
         "CITATION.cff": "citation.md", "notebooks/": "notebooks/"}


def site_links(text: str) -> str:
    """Rewrite Markdown links to repository files into links between the site's pages."""

    def fix(m: re.Match) -> str:
        target = m.group(2)
        for old, new in LINKS.items():
            if target == old or (old.endswith("/") and target.startswith(old)):
                return f"{m.group(1)}({new + target[len(old):] if old.endswith('/') else new})"
        return m.group(0)

    return re.sub(r"(\[[^\]]*\])\(([^)\s#]+)\)", fix, text)


def notebook_links(text: str) -> str:
    """Rewrite a notebook's links to pages under docs/ (``../docs/glossary.md``, right in the
    checkout) into links between the site's pages: a notebook is rendered at
    ``notebooks/NAME/``, so ``../docs/glossary.md`` becomes ``../../glossary/``."""

    def fix(m: re.Match) -> str:
        return f"](../../{m.group(1)}/{m.group(2) or ''})"

    return re.sub(r"\]\(\.\./docs/([\w./-]+?)\.md(#[^)\s]*)?\)", fix, text)


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def _table(header: list[str], rows: list[list]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return out + ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]


def parameters_page() -> str:
    rows = catalog.params()
    lines = ["# Parameters", "",
             f"{len(rows)} parameters, generated from `sim/params.py` (`community-sim list "
             "params`). Set any of them by its dotted key: `community-sim run KEY=VALUE`, "
             "`sim.configure(**{'KEY': VALUE})`. *Allowed* is what validation enforces; "
             "*plausible* is the documented range of an uncertain value, which the validation "
             "suite's robustness draws sample. Sources cite a seed document and line "
             "(`004:359`) or say *assumption*; docs/ODD.md section 8 adds the evidence basis."]
    sections: dict[str, list] = {}
    for r in rows:
        sections.setdefault(r["key"].split(".")[0], []).append(r)
    for name, group in sections.items():
        lines += ["", f"## `{name}`", ""]
        lines += _table(["Key", "Default", "Unit", "Allowed", "Plausible", "Meaning", "Source"],
                        [[f"`{r['key']}`", r["default"], r["unit"], r["allowed"],
                          r["plausible"] or "–", r["meaning"], r["source"] or "–"]
                         for r in group])
    return "\n".join(lines) + "\n"


def outputs_page() -> str:
    rows = catalog.outputs()
    lines = ["# Outputs: the data dictionary", ""]
    if catalog.has_data_dictionary():
        lines.append(f"{len(rows)} output columns, generated from `sim.outputs.table()` "
                     "(`community-sim list outputs`).")
    else:
        lines.append("The data dictionary in code (`sim.outputs`) is not part of this version "
                     "yet; when it is, this page lists every timeseries column and summary key "
                     "from it. Until then: the naming convention and the daily flows the model "
                     "counts (`sim.metrics.FLOWS`); [the ODD, section 4.11](../ODD.md#411-"
                     "observation) describes every output.")
    lines += [""] + _table(["Name", "Level", "Unit", "Meaning", "Source"],
                           [[f"`{r['name']}`", r["level"], r["unit"] or "–", r["meaning"],
                             r["source"]] for r in rows])
    return "\n".join(lines) + "\n"


def cli_page() -> str:
    top = parser()
    lst = next(a for a in top._actions if a.dest == "command").choices["list"]
    return ("# Command line\n\n`community-sim` (installed with the package) gathers the model's "
            "tools; `python -m sim [OVERRIDES...]` is the same as `community-sim run`. "
            "`community-sim COMMAND --help` describes each command.\n\n"
            f"```text\n{top.format_help()}```\n\n## `community-sim list`\n\n"
            f"```text\n{lst.format_help()}```\n")


def main() -> None:
    odd = load_script(ROOT / "experiments" / "make_odd.py", "make_odd")
    pages = {
        "index.md": site_links((ROOT / "README.md").read_text(encoding="utf-8")),
        "changelog.md": (ROOT / "CHANGELOG.md").read_text(encoding="utf-8"),
        "license.md": "# Licence\n\n```text\n" + (ROOT / "LICENSE").read_text(encoding="utf-8")
                      + "```\n",
        "citation.md": "# Citation\n\nCite the software with this metadata "
                       "(`CITATION.cff`, Citation File Format 1.2.0):\n\n```yaml\n"
                       + (ROOT / "CITATION.cff").read_text(encoding="utf-8") + "```\n",
        "reference/cli.md": cli_page(),
        "reference/parameters.md": parameters_page(),
        "reference/scenarios.md": "# Scenarios\n\n" + odd.render_scenarios() + "\n",
        "reference/events.md": "# Event kinds\n\n" + odd.render_events() + "\n",
        "reference/outputs.md": outputs_page(),
        # notebooks/README.md links ../docs/X.md (right in the checkout): ../X.md on the site
        "notebooks/index.md": site_links(
            (ROOT / "notebooks" / "README.md").read_text(encoding="utf-8")).replace(
                "](../docs/", "](../"),
    }
    for name, text in pages.items():
        with mkdocs_gen_files.open(name, "w", encoding="utf-8") as f:
            f.write(text)
    executed = os.environ.get("DOCS_NOTEBOOKS_DIR")
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        source = Path(executed) / nb.name if executed else nb
        if not source.is_file():
            raise SystemExit(f"DOCS_NOTEBOOKS_DIR={executed} has no {nb.name}")
        with mkdocs_gen_files.open(f"notebooks/{nb.name}", "w", encoding="utf-8") as f:
            f.write(notebook_links(source.read_text(encoding="utf-8")))


main()
