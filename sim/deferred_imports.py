"""Mesa's spaces, loaded when first used rather than with ``import mesa``.

``mesa/__init__.py`` imports ``mesa.discrete_space`` (which imports ``scipy.spatial`` and
``networkx``), ``mesa.space`` (``networkx``) and, through ``mesa.experimental``,
``mesa.experimental.continuous_space`` (``scipy.spatial``): about 0.2 s of every process's
start (a sweep worker's, the command line's), and the model uses none of them (its residents'
ties are a sparse matrix; ``CommunityModel.social_graph`` and the dashboard's network view
load networkx when asked). :func:`defer_mesa_spaces`, called by ``import sim`` before
anything imports Mesa, puts a module object of its own in ``sys.modules`` for each of the
three (a :class:`Deferred`). The first use of one (an attribute read, ``dir``, a submodule
imported, ``from ... import *``) imports the module into that very object, through the
import system (its locks: a second thread waits for the first), so whoever took it before it
loaded holds the real module: ``import mesa.space as ms``, ``mock.patch`` and the parent
package's attribute all see one object. Attributes set on it before it loaded are set again
after, as ``importlib.util.LazyLoader`` does. A submodule imported before its package
(``import mesa.discrete_space.grid``) has the package loaded first, as Python does, and is
not run twice (:class:`PackageFirst`). Where Mesa was imported first, or a module cannot be
found, or ``SIM_EAGER_MESA=1``, nothing is deferred.

One difference remains from loading them with ``import mesa``: their first use may come in
any thread. Should one thread import a submodule directly (``import mesa.discrete_space.grid``)
while another loads the package, whose ``__init__`` imports the same submodules, Python's
import locks can report a deadlock (``_DeadlockError``, a ``RuntimeError``) to one of them;
the module is whole afterwards and a second attempt works. A program that starts such
threads before using Mesa's spaces can use them once first, or set ``SIM_EAGER_MESA=1``.
(Nothing in this package uses them: not its runs, nor its dashboard.)

(``LazyLoader`` itself cannot serve: its module loads at the first attribute read of any kind,
and the import system reads ``__spec__`` of a module it finds in ``sys.modules``, so ``import
mesa`` would load all three at once; Python 3.12.1's is not safe across threads either.)
"""

from __future__ import annotations

import copy
import importlib
import importlib.machinery
import importlib.util
import os
import sys
import threading
import types

DEFERRED = ("mesa.discrete_space", "mesa.space", "mesa.experimental.continuous_space")
"""The modules ``import mesa`` loads that the model does not use."""

LOADED: set[str] = set()
"""The modules a stand-in held that have since been imported (into the stand-in)."""

_TURNING: dict[str, Deferred] = {}
"""Stand-ins being imported into, by name (while their import runs)."""
_INITIAL: dict[str, dict] = {}
"""Each stand-in's own attributes when it was made (to tell what was set on it since)."""
_LOCK = threading.Lock()


class Deferred(types.ModuleType):
    """A module object in ``sys.modules`` whose module has not been imported yet: its first
    use imports it into this object, which is a plain module from then on."""

    def __getattr__(self, attr: str):  # only attributes it does not have
        load(self.__name__)
        return getattr(self, attr)  # loaded (or loading in this thread: _Loading's answer)

    def __dir__(self):
        load(self.__name__)
        return dir(self)


class _Loading(types.ModuleType):
    """A stand-in while its module runs in it: an attribute it does not have yet waits for
    the import under way in another thread (the import system's lock), or is missing, as
    on any module partly initialised, in the thread running it (a circular import)."""

    def __getattr__(self, attr: str):
        if attr.startswith("__") and attr.endswith("__"):  # the import system's own probes
            raise AttributeError(attr)
        name = self.__name__
        importlib.import_module(name)  # returns once the import under way is done
        if type(self) is _Loading:  # still running, in this thread
            raise AttributeError(f"partially initialized module {name!r} has no attribute "
                                 f"{attr!r} (most likely due to a circular import)")
        return getattr(self, attr)


def load(name: str) -> types.ModuleType:
    """The module ``name``, imported now if a stand-in holds its place (into the stand-in)."""
    with _LOCK:
        module = sys.modules.get(name)
        turn = isinstance(module, Deferred) and name not in _TURNING
        if turn:
            _TURNING[name] = module
            del sys.modules[name]  # so the import system imports it, into the stand-in
    if not turn:
        return importlib.import_module(name)  # waits for an import under way
    try:
        real = importlib.import_module(name)
    except BaseException:
        with _LOCK:  # as it was: a later use tries again
            if type(module) is not Deferred:  # (not restored by _Into already)
                _restore(module, {})
            sys.modules.setdefault(name, module)
        raise
    finally:
        _TURNING.pop(name, None)
    return real


class PackageFirst:
    """The ``sys.meta_path`` finder of stand-ins and their packages' submodules.

    * A stand-in being loaded (:func:`load`): the module's own spec, with a loader that
      imports it into the stand-in (:class:`_Into`).
    * A submodule of a package a stand-in held: a stand-in has no ``__path__``, so importing
      a submodule reads it and loads the package first (its ``__init__``, which may import
      that very submodule); the import system then looks for the submodule though it may
      now be loaded, and this finder gives back that module (:class:`_Loaded`) instead of a
      spec that would run it again."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if target is not None:  # a reload: as Python does it, a stand-in loaded first
            if isinstance(target, Deferred):
                load(name)
            return None
        stand_in = _TURNING.get(name)
        if stand_in is not None:  # the spec it was made from, loading into it
            spec = copy.copy(_INITIAL[name]["__spec__"])
            spec.loader = _Into(spec.loader, stand_in)
            return spec
        module = sys.modules.get(name)
        if module is None or name.rpartition(".")[0] not in LOADED:
            return None  # not imported by its package: the other finders find it
        return importlib.util.spec_from_loader(name, _Loaded(module),
                                               origin=getattr(module.__spec__, "origin", None))


class _Into:
    """A loader that runs the module ``loader`` loads in ``stand_in`` (a :class:`_Loading`
    meanwhile, a plain module after), then sets again what was set on the stand-in before."""

    def __init__(self, loader, stand_in: Deferred):
        self.loader, self.stand_in, self.set_before = loader, stand_in, {}

    def create_module(self, spec):
        module, initial = self.stand_in, _INITIAL[spec.name]
        self.set_before = {k: v for k, v in module.__dict__.items()
                           if k not in initial or initial[k] is not v}
        module.__class__ = _Loading
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        module.__spec__.loader = module.__loader__ = self.loader  # its own, as if eager
        try:
            self.loader.exec_module(module)
        except BaseException:  # a stand-in again, whichever thread ran it
            _restore(module, self.set_before)
            raise
        module.__dict__.update(self.set_before)
        module.__class__ = types.ModuleType  # a plain module from now on
        LOADED.add(module.__name__)  # (whichever thread ran it)


def _restore(module: types.ModuleType, set_before: dict) -> None:
    """``module`` a stand-in again after its module failed to run in it: its own attributes
    and those set on it before (the import system drops it from ``sys.modules``; :func:`load`
    puts it back)."""
    initial = _INITIAL[module.__spec__.name]  # (read before its attributes go)
    module.__class__ = Deferred
    module.__dict__.clear()
    module.__dict__.update(initial)
    module.__dict__.update(set_before)


class _Loaded:
    """A loader that gives back an already loaded module as it is."""

    def __init__(self, module: types.ModuleType):
        self.module, self.spec = module, module.__spec__

    def create_module(self, spec):
        return self.module

    def exec_module(self, module: types.ModuleType) -> None:
        module.__spec__ = self.spec  # the import set the finder's spec on it: its own again


def defer(spec: importlib.machinery.ModuleSpec) -> Deferred:
    """Put a stand-in for the module ``spec`` finds in ``sys.modules``."""
    stand_in = Deferred(spec.name)
    stand_in.__spec__ = spec  # (no __path__: reading it loads the package)
    stand_in.__file__ = spec.origin
    _INITIAL[spec.name] = dict(stand_in.__dict__)
    sys.modules[spec.name] = stand_in
    if not any(f is PackageFirst for f in sys.meta_path):
        sys.meta_path.insert(0, PackageFirst)
    return stand_in


def defer_mesa_spaces() -> list[str]:
    """Stand-ins for :data:`DEFERRED` unless Mesa is imported already (or
    ``SIM_EAGER_MESA=1``); returns the names deferred."""
    if "mesa" in sys.modules or os.environ.get("SIM_EAGER_MESA", "") not in ("", "0"):
        return []
    try:
        root = importlib.util.find_spec("mesa")  # a top-level package: not imported by this
    except (ImportError, ValueError):
        return []
    if root is None or not root.submodule_search_locations:
        return []
    deferred = []
    for name in DEFERRED:
        if name in sys.modules:
            continue
        parent = name.rpartition(".")[0]
        where = [os.path.join(p, *parent.split(".")[1:]) for p in root.submodule_search_locations]
        spec = importlib.machinery.PathFinder.find_spec(name, where)
        if spec is None or spec.origin is None:
            continue
        defer(spec)
        deferred.append(name)
    return deferred
