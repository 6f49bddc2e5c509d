"""The teaching notebooks, executed once per test session into a shared folder.

``notebooks/test_notebooks.py`` (one test per notebook: pass, or the failing cell and its error)
and the documentation site test (``tests/test_docs_site.py``, which renders these executed
copies, so the site shows the notebooks' figures and tables) both call :func:`executed`.
Whichever asks first executes the notebook; the other reads the result. Under pytest-xdist
every worker uses the same folder (the parent of the workers' own temporary folders) and a
file lock per notebook, so each notebook runs once per session whichever worker asks first.
Nothing is written into the checkout: the kernel's working folder is a temporary one. Nor is
anything left in the temporary folder: the kernel runs with its own ``TMPDIR``, which must be
empty once it has shut down (a notebook's temporary folders go with its kernel).
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
from filelock import FileLock, Timeout
from support import session_folder

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
CELL_TIMEOUT_S = 900  # per cell; every notebook takes about a minute of CPU time or less in all
KERNEL = "community-sim-venv"


@dataclass(frozen=True)
class Execution:
    """One notebook's execution: the executed copy (outputs up to the failing cell, if any)
    and, when a cell failed, which cell and the error."""

    notebook: Path
    error: str | None


def shared_folder(tmp_path_factory) -> Path:
    """The session's folder for executed notebooks, the same for every xdist worker."""
    return session_folder(tmp_path_factory, "executed-notebooks")


def _kernel_folder(folder: Path) -> Path:
    """A kernel spec running this interpreter (the venv's), whatever ``python3`` kernel the
    user's Jupyter folders hold."""
    spec = folder / "kernels" / KERNEL
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python (test venv)", "language": "python"}), encoding="utf-8")
    return folder / "kernels"


def _run(source: Path, target: Path, workdir: Path) -> str | None:
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(source, as_version=4)
    specs = KernelSpecManager(kernel_dirs=[str(_kernel_folder(target.parent))],
                              ensure_native_kernel=False)
    km = KernelManager(kernel_name=KERNEL, kernel_spec_manager=specs)
    client = NotebookClient(nb, km=km, timeout=CELL_TIMEOUT_S,
                            resources={"metadata": {"path": str(workdir)}})
    error = None
    km.shutdown_wait_time = 60  # a shutdown request answered within it: exit handlers run
    scratch = workdir / "tmp"  # the kernel's TMPDIR: empty again once it has shut down
    scratch.mkdir(exist_ok=True)
    # IPython's own folder kept apart (with a read-only home it would make a lasting one in
    # TMPDIR; and the user's startup files do not run in the tests)
    env = {**os.environ, "TMPDIR": str(scratch), "IPYTHONDIR": str(workdir / "ipython")}
    try:
        km.start_kernel(cwd=str(workdir), env=env)
        client.execute()
    except CellExecutionError as exc:
        cell = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"
                     and any(o.get("output_type") == "error" for o in c.get("outputs", []))),
                    None)
        where = f"cell {cell + 1} (counting every cell from 1)" if cell is not None else "a cell"
        error = f"{source.name}, {where}: " + re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    except Exception as exc:  # a kernel that dies or times out: still the notebook's failure
        error = f"{source.name}: {type(exc).__name__}: {exc}"
    finally:  # nbclient leaves a kernel it did not start running; shut down as Jupyter does
        if km.has_kernel:  # (a shutdown request: the kernel's exit handlers run)
            km.shutdown_kernel(now=error is not None)
    left = sorted(p.name for p in scratch.iterdir())
    if error is None and left:
        error = (f"{source.name}: left behind in its temporary folder after the kernel shut "
                 f"down: {', '.join(left)} (a temporary folder must be removed when the "
                 f"kernel exits, e.g. tempfile.TemporaryDirectory)")
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}  # as committed
    nbformat.write(nb, target)
    if error is not None:
        (target.with_suffix(".error")).write_text(error, encoding="utf-8")
    return error


def executed(name: str, folder: Path, wait: bool = True) -> Execution:
    """Notebook ``name`` (e.g. ``01_first_run.ipynb``) executed top to bottom, once per
    session: the first caller runs it, later callers (any worker) read the result. With
    ``wait=False``, raise ``filelock.Timeout`` at once if another worker is running it."""
    target = folder / name
    with FileLock(str(folder / f"{name}.lock"), timeout=-1 if wait else 0):
        if not target.exists():
            workdir = folder / f"{Path(name).stem}.cwd"
            workdir.mkdir(exist_ok=True)
            _run(NOTEBOOKS / name, target, workdir)
    failure = target.with_suffix(".error")
    return Execution(target, failure.read_text(encoding="utf-8") if failure.exists() else None)


def executed_all(folder: Path) -> list[Execution]:
    """Every notebook executed (in name order): those no other worker is running first, then
    waiting for the others, so two workers never queue behind each other notebook by notebook."""
    done: dict[str, Execution] = {}
    pending = names()
    while pending:
        progress = False
        for name in list(pending):
            try:
                done[name] = executed(name, folder, wait=False)
            except Timeout:  # another worker is running it
                continue
            pending.remove(name)
            progress = True
        if pending and not progress:  # every one left is running elsewhere: wait for one
            done[pending[0]] = executed(pending[0], folder)
            pending.pop(0)
    return [done[n] for n in names()]


def names() -> list[str]:
    """The notebooks' file names, in order."""
    return sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
