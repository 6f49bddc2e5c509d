"""Every teaching notebook runs top to bottom (``pytest notebooks``): one test per notebook,
failing with the notebook's name, the failing cell and its error.

The executed copies are kept for the session (tests/notebook_runs.py): the documentation site
test renders them, so the site shows the notebooks' outputs without running them again."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import notebook_runs  # noqa: E402

pytestmark = pytest.mark.slow  # about a minute of CPU time each, or a little more


@pytest.mark.parametrize("name", notebook_runs.names())
def test_notebook_runs_top_to_bottom(name, tmp_path_factory):
    run = notebook_runs.executed(name, notebook_runs.shared_folder(tmp_path_factory))
    assert run.error is None, run.error
