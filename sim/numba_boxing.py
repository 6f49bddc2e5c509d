"""Returning a numpy array from a compiled kernel without a Python call per array.

Numba (since 0.54, numba/numba#7121, through at least 0.68) boxes each array a compiled
function returns by unpickling the array's Python type (``numpy.ndarray``) on every call:
``numba_unpickle`` builds a bytes object and calls ``numba.core.serialize._numba_unpickle``,
about a microsecond per returned array, which a kernel returning two arrays pays twice. The
dtype is not unpickled: numba keeps it in the function's environment, a list read in C. This
module registers a boxer for arrays that does the same for the type: it is the stock boxer
(``numba.core.boxing.box_array``) with the type read from the environment, for arrays of
``numpy.ndarray`` with numba's reference-counted runtime; anything else is boxed by the stock
boxer. ``NRT_adapt_ndarray_to_python_acqref`` only borrows the type (``PyArray_NewFromDescr``),
so a borrowed reference from the environment is enough (the stock path's new reference is
never released). The arrays returned are alike either way: type, data, dtype, shape,
strides and flags, an argument returned as itself (``tests/test_numba_boxing.py``). At the
urban default's 60-odd returned arrays a day this is about 60 us of a 1.3 ms day (urban runs
measured about 3 % faster).

:func:`install` does nothing unless numba's boxer registry holds the stock boxer for arrays
and the pieces the replacement uses exist, so another numba keeps its own behaviour.
"""

from __future__ import annotations

import numpy as np

_installed = False


def install() -> bool:
    """Register :func:`_box_array` for ``types.Array`` (before any kernel is compiled: a kernel
    compiled with either boxer returns the same arrays). Returns whether it is in place."""
    global _installed
    if _installed:
        return True
    try:
        from numba.core import boxing, cgutils, pythonapi, types
        from numba.np import numpy_support
    except ImportError:  # pragma: no cover - numba reorganised: keep its own boxer
        return False
    functions = getattr(getattr(pythonapi, "_boxers", None), "functions", None)
    needed = (getattr(pythonapi.EnvironmentManager, "add_const", None),
              getattr(pythonapi.EnvironmentManager, "read_const", None),
              getattr(pythonapi.PythonAPI, "_get_function", None),
              getattr(cgutils, "alloca_once_value", None),
              getattr(numpy_support, "as_dtype", None))
    if (not isinstance(functions, dict) or functions.get(types.Array) is not boxing.box_array
            or not all(needed)):
        return False
    functions[types.Array] = _box_array
    _installed = True
    return True


def _box_array(typ, val, c):
    """``numba.core.boxing.box_array`` with the array's Python type from the environment."""
    from llvmlite import ir
    from numba.core import boxing, cgutils, types
    from numba.np import numpy_support

    if not c.context.enable_nrt or typ.box_type is not np.ndarray:
        return boxing.box_array(typ, val, c)
    pyapi, builder, env = c.pyapi, c.builder, c.env_manager
    dtype = env.read_const(env.add_const(numpy_support.as_dtype(typ.dtype)))
    pytype = env.read_const(env.add_const(typ.box_type))  # borrowed: the call only reads it
    int32 = ir.IntType(32)
    fnty = ir.FunctionType(pyapi.pyobj, [pyapi.voidptr, pyapi.pyobj, int32, int32, pyapi.pyobj])
    fn = pyapi._get_function(fnty, name="NRT_adapt_ndarray_to_python_acqref")
    ndim = c.context.get_constant(types.int32, typ.ndim)
    writable = c.context.get_constant(types.int32, int(typ.mutable))
    aryptr = cgutils.alloca_once_value(builder, val)
    array = builder.call(fn, [builder.bitcast(aryptr, pyapi.voidptr), pytype, ndim, writable,
                              dtype])
    c.context.nrt.decref(builder, typ, val)  # the call acquired its own reference
    return array
