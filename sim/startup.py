"""What this package's programs (``python -m sim``, ``community-sim``) set before numpy loads.

No imports beyond the standard library: it must run before anything heavy is imported.
"""

from __future__ import annotations

import os

BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")
"""The variables numpy's OpenBLAS reads for its number of threads."""


def one_blas_thread() -> None:
    """One BLAS thread (``OPENBLAS_NUM_THREADS=1``) unless the user chose a number in any of
    :data:`BLAS_THREAD_VARIABLES` (a cluster job's ``OMP_NUM_THREADS`` stands): the model's
    only BLAS calls are dot products over a place's units, and the threads OpenBLAS starts
    when numpy (and scipy, which numba imports) loads spin for a while: 0.2-0.5 CPU-s of a
    short run, and the other core's time (2026-12-07, docs/sweeps.md, section 6, session
    73). A sweep's workers started from the program inherit it. Set for these programs
    only, never by ``import sim``: a caller's own numpy keeps its threads. (A dot product of
    more than 10,000 units is split across threads, so in a places table that large two
    summary means may differ in the last bit with the number of threads.)"""
    if not any(os.environ.get(name) for name in BLAS_THREAD_VARIABLES):
        os.environ["OPENBLAS_NUM_THREADS"] = "1"
