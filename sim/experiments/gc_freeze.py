"""The cyclic garbage collector kept off a sweep's long-lived objects (``gc.freeze``).

A module of its own, with no imports beyond the standard library, so a sweep's driver can
enter :func:`long_lived_frozen` before it has imported anything heavy (the Hydra command line
launches its workers before it needs pandas).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import multiprocessing


@contextlib.contextmanager
def long_lived_frozen():
    """While a sweep runs in this process: the objects alive at its start (the imported
    modules, compiled kernels, the cached composition: about 275,000 objects) are frozen
    (``gc.freeze()``), so the cyclic garbage collector leaves them out of its collections. A
    sweep's jobs make many short-lived cycles (every configuration node points to its
    parent), and each collection of the oldest generation went through all of those objects
    again: about a sixth of a Hydra sweep's CPU time on one-day jobs. On leaving, they are
    unfrozen, so whatever becomes garbage later (a model a notebook drops) is collected as
    usual (``gc.unfreeze()`` releases every frozen object, a caller's own ``gc.freeze()``
    included). Nested uses freeze once; in a worker that :func:`freeze_in_worker` froze for
    its life, nothing is done."""
    global _FREEZE_DEPTH, _UNFREEZE, _JOB_IMPORTS_FROZEN
    if _FREEZE_DEPTH == 0 and not _WORKER_FROZEN:
        _UNFREEZE = True
        gc.freeze()
    _FREEZE_DEPTH += 1
    try:
        yield
    finally:
        _FREEZE_DEPTH -= 1
        if _FREEZE_DEPTH == 0 and _UNFREEZE:
            _UNFREEZE = False
            _JOB_IMPORTS_FROZEN = False
            gc.unfreeze()


_FREEZE_DEPTH = 0
_UNFREEZE = False


def freeze_in_worker() -> None:
    """Called as a job starts, the model's modules imported. In a worker process a pool
    started for jobs (``multiprocessing.parent_process()`` is set: joblib's loky workers, for
    the executor and Hydra's joblib launcher), freeze the objects alive at its first job for
    the process's life (see :func:`long_lived_frozen`). In a process running a sweep's jobs
    itself inside :func:`long_lived_frozen` (Hydra's basic launcher, the executor's serial
    backend), freeze, at its first job, what the job's imports added since the sweep began
    (numba's kernels, Mesa, pandas: the CLI imports them only for a job that runs), until the
    sweep ends: otherwise each collection of the oldest generation, about one every ten
    one-day jobs, went through them all again (about 170,000 objects, 75-80 ms a collection).
    Does nothing in any other process or outside a sweep, so a notebook never stays frozen."""
    global _WORKER_FROZEN, _JOB_IMPORTS_FROZEN
    if _WORKER_FROZEN:
        return
    if multiprocessing.parent_process() is not None:
        _WORKER_FROZEN = True
        if _FREEZE_DEPTH == 0:
            gc.freeze()
    elif _UNFREEZE and not _JOB_IMPORTS_FROZEN:
        _JOB_IMPORTS_FROZEN = True
        gc.freeze()


_WORKER_FROZEN = False
_JOB_IMPORTS_FROZEN = False  # this sweep's first job has frozen its imports


def freeze_at_exit() -> None:
    """In a process that is one of this package's programs (``python -m sim``,
    ``community-sim``, ``python -m sim.experiments.executor`` ...): when the interpreter exits,
    after the exit handlers registered since, freeze every object (``gc.freeze()``), so the
    collections the interpreter runs while it tears itself down leave them out. Those
    collections went through every object the imports made (numba's, Mesa's, pandas'): about
    0.45 s of every command's wall time, for nothing (the memory goes back to the system
    either way). Objects in reference cycles are then not finalised at exit, which Python
    does not promise anyway; files, logs and pools are closed by their own exit handlers or
    before. Registered once per process; not used by the library's functions, so a script
    or notebook that imports ``sim`` exits as it would without it."""
    global _EXIT_FREEZE
    if not _EXIT_FREEZE:
        _EXIT_FREEZE = True
        atexit.register(gc.freeze)


_EXIT_FREEZE = False
