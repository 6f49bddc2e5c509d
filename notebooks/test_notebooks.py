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


@pytest.mark.parametrize("make_folder, left", [
    ("tempfile.mkdtemp(prefix='burn-in-')", True),
    ("FOLDER.name if (FOLDER := tempfile.TemporaryDirectory(prefix='burn-in-')) else ''", False),
])
def test_a_folder_left_in_the_temporary_folder_fails_the_notebook(make_folder, left, tmp_path):
    """The harness runs each kernel with its own TMPDIR and fails a notebook that leaves
    anything there once its kernel has shut down: a folder from ``mkdtemp`` stays; one held
    by a ``TemporaryDirectory`` (as the teaching notebooks keep their burn-in states) is
    removed, with the file written into it, when the kernel exits."""
    import nbformat

    source = tmp_path / "leaves_a_folder.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f"import os, tempfile\npath = {make_folder}\n"
                                          "open(os.path.join(path, 'state'), 'w').close()")]
    nbformat.write(nb, source)
    (tmp_path / "run").mkdir()
    error = notebook_runs._run(source, tmp_path / "run" / source.name, tmp_path / "run")
    if left:
        assert error is not None and "left behind in its temporary folder" in error
        assert "burn-in-" in error
    else:
        assert error is None
