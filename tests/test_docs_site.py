"""The documentation site (mkdocs.yml) builds with --strict, from the README, the ODD, the
validation and sweeps documents, the generated references and the notebooks, executed: the
build renders the copies notebooks/test_notebooks.py executes (tests/notebook_runs.py), so the
notebooks run once per session and the site shows their figures and tables."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import notebook_runs
import pytest
from support import REPO, checkout_entries

from sim import catalog

pytestmark = pytest.mark.slow  # about 15 s for MkDocs, plus the notebooks no worker has run yet

PAGES = ("index.html", "ODD/index.html", "validation/index.html", "sweeps/index.html",
         "changelog/index.html", "license/index.html", "citation/index.html",
         "reference/cli/index.html", "reference/parameters/index.html",
         "reference/scenarios/index.html", "reference/events/index.html",
         "reference/outputs/index.html", "notebooks/index.html")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    before = checkout_entries()
    folder = notebook_runs.shared_folder(tmp_path_factory)
    failed = [run.error for run in notebook_runs.executed_all(folder) if run.error]
    assert not failed, "\n\n".join(failed)
    out = tmp_path_factory.mktemp("site")
    env = {k: v for k, v in os.environ.items() if k != "DOCS_EXECUTE_NOTEBOOKS"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(REPO / "mkdocs.yml"),
         "-d", str(out)], cwd=out, capture_output=True, text=True, timeout=600,
        env={**env, "DOCS_NOTEBOOKS_DIR": str(folder), "NO_MKDOCS_2_WARNING": "1",
             "DISABLE_MKDOCS_2_WARNING": "true"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert checkout_entries() == before, "the build wrote into the checkout"
    return out


def test_key_pages_and_every_notebook_are_built(site):
    for page in PAGES:
        assert (site / page).is_file(), page
    for nb in sorted((REPO / "notebooks").glob("*.ipynb")):
        html = (site / "notebooks" / nb.stem / "index.html").read_text(encoding="utf-8")
        assert "sim." in html, nb.name  # the code cells are rendered


def test_every_notebook_page_shows_its_executed_outputs(site):
    """The figures every notebook draws (matplotlib's inline PNGs) and the text its code cells
    print are on its page: the site renders the executed copies, not the committed ones."""
    for nb in notebook_runs.names():
        html = (site / "notebooks" / nb.removesuffix(".ipynb") / "index.html").read_text(
            encoding="utf-8")
        assert re.search(r'<img [^>]*src="data:image/png;base64,', html), f"{nb}: no figure"
        assert 'data-mime-type="text/plain"' in html, f"{nb}: no printed output"


def test_home_page_is_the_readme_with_site_links(site):
    html = (site / "index.html").read_text(encoding="utf-8")
    assert "community-response-sim" in html and "Quick start" in html
    assert 'href="ODD/"' in html and 'href="docs/ODD.md"' not in html


REFERENCES = {"parameters": (catalog.params, "key"), "events": (catalog.events, "kind"),
              "scenarios": (catalog.scenarios, "name"), "outputs": (catalog.outputs, "name")}


@pytest.mark.parametrize("page", REFERENCES)
def test_reference_pages_list_every_entry(site, page):
    rows, name = REFERENCES[page]
    html = (site / "reference" / page / "index.html").read_text(encoding="utf-8")
    missing = [r[name] for r in rows() if f"<code>{r[name]}</code>" not in html]
    assert not missing, missing


def test_command_line_page_gives_the_help(site):
    cli = (site / "reference/cli/index.html").read_text(encoding="utf-8")
    assert "usage: community-sim" in cli and "sensitivity" in cli
