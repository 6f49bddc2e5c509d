"""What this package's programs (``python -m sim``, ``community-sim``) set before numpy loads.

No imports beyond the standard library: it must run before anything heavy is imported.
"""

from __future__ import annotations

import os


def one_blas_thread() -> None:
    """One BLAS thread unless the user chose a number (``OPENBLAS_NUM_THREADS``): the model's
    only BLAS calls are dot products over a place's units, and the threads OpenBLAS starts
    when numpy (and scipy, which numba imports) loads spin for a while: 0.2-0.5 CPU-s of a
    short run, and the other core's time (2026-12-07, docs/sweeps.md, section 6, session
    73). A sweep's workers started from the program inherit it. Set for this program only,
    never by ``import sim``: a caller's own numpy keeps its threads."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
