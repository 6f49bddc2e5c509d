"""Arrays returned by compiled kernels (``sim.numba_boxing``): boxed without unpickling their
type on every call, and the same arrays as numba's own boxer gives."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from numba import njit

from sim import kernels, numba_boxing  # noqa: F401  (kernels installs the boxer)


def test_the_boxer_is_installed_for_this_numba():
    """The replacement is in place with the numba the project installs (a numba whose boxer
    registry changed would leave its own boxer, and this test says so)."""
    from numba.core import pythonapi, types

    assert numba_boxing.install()
    assert pythonapi._boxers.functions[types.Array] is numba_boxing._box_array


@contextlib.contextmanager
def stock_boxer():
    """Numba's own array boxer while compiling inside (the replacement back after)."""
    from numba.core import boxing, pythonapi, types

    functions = pythonapi._boxers.functions
    functions[types.Array] = boxing.box_array
    try:
        yield
    finally:
        functions[types.Array] = numba_boxing._box_array


def both(py_func, *args):
    """``py_func`` compiled with numba's boxer and with the replacement, each called with
    ``args``: ((stock result, stock IR), (result, IR))."""
    stock = njit(py_func)
    with stock_boxer():
        stock_out = stock(*args)
    ours = njit(py_func)
    out = ours(*args)
    return ((stock_out, "\n".join(stock.inspect_llvm().values())),
            (out, "\n".join(ours.inspect_llvm().values())))


def _two(x):
    return x[:2].copy(), x[2:].copy()


def test_a_returned_array_is_boxed_without_unpickling_its_type():
    """The compiled wrapper reads each returned array's type from the environment: numba's
    own boxer calls ``numba_unpickle`` once per returned array (two here) besides its error
    paths, the replacement only on those."""
    (_, stock_ir), (_, ir) = both(_two, np.arange(5))
    calls = "call ptr @numba_unpickle("
    assert stock_ir.count(calls) == ir.count(calls) + 2
    assert ir.count("NRT_adapt_ndarray_to_python_acqref(") >= 2


def _fresh(x):
    return x * 2


def _same(x):
    return x


def _view(x):
    return x[1:]


def _pair(x, y):
    return x[::2].copy(), y > 0.5


def same_array(a, b) -> bool:
    return (type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape
            and a.strides == b.strides and a.flags.writeable == b.flags.writeable
            and a.flags.c_contiguous == b.flags.c_contiguous and np.array_equal(a, b))


@pytest.mark.parametrize("x", [np.arange(7, dtype=np.int64), np.arange(12, dtype=np.float32)
                               .reshape(3, 4), np.array([True, False, True]),
                               np.arange(10, dtype=np.int8)[::3]])
def test_returned_arrays_are_those_numbas_own_boxer_gives(x):
    """New arrays, an argument returned as it is, a view of it and a pair: the same type,
    values, dtype, shape, strides and flags as numba's own boxer gives; an argument comes
    back as the object passed, a view over the argument's data."""
    for f, args in ((_fresh, (x,)), (_same, (x,)), (_view, (x,)),
                    (_pair, (np.ascontiguousarray(x).ravel(), np.linspace(0, 1, 4)))):
        (stock, _), (ours, _) = both(f, *args)
        stock, ours = (stock, ours) if isinstance(ours, tuple) else ((stock,), (ours,))
        assert all(same_array(a, b) for a, b in zip(stock, ours, strict=True)), f.__name__
    assert njit(_same)(x) is x
    view = njit(_view)(x)
    assert np.shares_memory(view, x) and view.base is not None


def test_a_kernel_compiled_to_the_cache_returns_the_same_arrays_when_loaded(tmp_path):
    """A kernel cached by one process (with the type kept in its environment) returns the same
    arrays when another process loads it from the cache."""
    module = tmp_path / "cached_kernel.py"
    module.write_text(textwrap.dedent("""
        import numpy as np
        from numba import njit
        from sim import numba_boxing
        numba_boxing.install()

        @njit(cache=True)
        def pick(x, lo):
            out = np.empty(x.shape[0], np.int64)
            k = 0
            for i in range(x.shape[0]):
                if x[i] >= lo:
                    out[k] = i
                    k += 1
            return out[:k].copy(), x[x >= lo]

        rows, values = pick(np.array([5, 1, 7, 3, 9]), 4)
        print(rows.tolist(), values.tolist(), rows.flags.writeable, len(pick.stats.cache_hits))
    """))
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(tmp_path)}
    runs = [subprocess.run([sys.executable, str(module)], capture_output=True, text=True,
                           env={**os.environ, **env}, timeout=300) for _ in range(2)]
    for run in runs:
        assert run.returncode == 0, run.stderr[-2000:]
    assert runs[0].stdout.split()[:-1] == runs[1].stdout.split()[:-1]
    assert runs[0].stdout.strip().startswith("[0, 2, 4] [5, 7, 9] True")
    assert runs[0].stdout.split()[-1] == "0" and runs[1].stdout.split()[-1] == "1"  # loaded
