"""Compiled (numba) single-pass kernels for the per-resident work done every day.

Each kernel does in one pass over the residents what would take numpy several passes and
temporaries, and computes exactly the same numbers, bit for bit, as the numpy expression given in
its docstring (same float32 operations in the same order; no fast-math), so swapping one for the
other never changes an output byte. ``tests/test_kernels.py`` checks each against its numpy
reference.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def column_means_f32(w: np.ndarray) -> np.ndarray:
    """``w.mean(axis=0)`` for a C-ordered (n, k) float32 array: numpy sums axis 0 of such an
    array row by row in float32, then divides by n. (Four columns, the ONS4 scores, keep their
    sums in registers: the same additions in the same order.)"""
    n, k = w.shape
    acc = np.zeros(k, np.float32)
    if k == 4:
        a0 = a1 = a2 = a3 = np.float32(0.0)
        for i in range(n):
            a0 += w[i, 0]
            a1 += w[i, 1]
            a2 += w[i, 2]
            a3 += w[i, 3]
        acc[0], acc[1], acc[2], acc[3] = a0, a1, a2, a3
    else:
        for i in range(n):
            for j in range(k):
                acc[j] += w[i, j]
    return acc / np.float32(n)


@njit(cache=True, nogil=True)
def wellbeing_step(w: np.ndarray, need: np.ndarray, pathway: np.ndarray, targets: np.ndarray,
                   offset: np.ndarray, rate: np.float32, supported_from: int) -> None:
    """In place, per resident i and score k (float32)::

        s = 0 if need == 0 else (2 if pathway >= supported_from else 1)
        w += rate * ((targets[s] + offset) - w)
    """
    n, k = w.shape
    for i in range(n):
        if need[i] == 0:
            s = 0
        elif pathway[i] >= supported_from:
            s = 2
        else:
            s = 1
        for j in range(k):
            t = targets[s, j] + offset[i, j]
            w[i, j] += rate * (t - w[i, j])


@njit(cache=True, nogil=True)
def count_need_by_pathway(need: np.ndarray, pathway: np.ndarray, n_levels: int, n_paths: int
                          ) -> np.ndarray:
    """(n_levels, n_paths) counts of residents by need level and pathway."""
    out = np.zeros((n_levels, n_paths), np.int64)
    n_none = 0  # most residents: counted in a register, not a table cell
    for i in range(need.shape[0]):
        if need[i] == 0 and pathway[i] == 0:
            n_none += 1
        else:
            out[need[i], pathway[i]] += 1
    out[0, 0] += n_none
    return out


@njit(cache=True, nogil=True)
def count_codes(codes: np.ndarray, n_codes: int) -> np.ndarray:
    """``np.bincount(codes, minlength=n_codes)`` for small non-negative int8 codes."""
    lanes = np.zeros((4, n_codes), np.int64)  # four tables: runs of one code do not serialise
    n = codes.shape[0]
    for i in range(n):
        lanes[i & 3, codes[i]] += 1
    return lanes.sum(axis=0)


def _warm_up() -> None:
    """Load (or compile, on first use) every kernel for the argument types the model passes,
    so a process pays numba's start-up once, at import, not inside the first simulated day."""
    i8 = np.zeros(2, np.int8)
    w = np.zeros((2, 4), np.float32)
    column_means_f32(w)
    wellbeing_step(w, i8, i8, np.zeros((3, 4), np.float32), w.copy(), np.float32(0.0), 2)
    count_need_by_pathway(i8, i8, 4, 6)
    count_codes(i8, 8)


_warm_up()
