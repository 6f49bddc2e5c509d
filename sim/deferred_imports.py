"""Mesa's spaces, loaded when first used rather than with ``import mesa``.

``mesa/__init__.py`` imports ``mesa.discrete_space`` (which imports ``scipy.spatial`` and
``networkx``), ``mesa.space`` (``networkx``) and, through ``mesa.experimental``,
``mesa.experimental.continuous_space`` (``scipy.spatial``): about 0.17 s of every process's
start (a sweep worker's, the command line's), and the model uses none of them (its residents'
ties are a sparse matrix; ``CommunityModel.social_graph`` and the dashboard's network view
load networkx when asked). :func:`defer_mesa_spaces`, called by ``import sim`` before
anything imports Mesa, puts a stand-in for each of the three in ``sys.modules``; the first
attribute read from a stand-in (``mesa.space.NetworkGrid``, ``from mesa.discrete_space import
Network``) imports the real module, which then replaces the stand-in in ``sys.modules`` and
on its parent package, so Mesa behaves as before for whoever uses them. A submodule imported
before its package (``import mesa.discrete_space.grid``) loads the package first, as Python
does, and is not run twice (:class:`PackageFirst`). Where Mesa was imported first, or a module
cannot be found, nothing is deferred.

(``importlib.util.LazyLoader`` is the standard library's way, but its module loads at the
first attribute read of any kind, and the import system reads ``__spec__`` of a module it
finds in ``sys.modules``: ``import mesa`` would load all three at once.)
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import os
import sys
import types

DEFERRED = ("mesa.discrete_space", "mesa.space", "mesa.experimental.continuous_space")
"""The modules ``import mesa`` loads that the model does not use."""

LOADED: set[str] = set()
"""The modules a stand-in held that have since been imported."""


class Deferred(types.ModuleType):
    """A stand-in in ``sys.modules`` for a module not imported yet: its first attribute read
    imports the real module (which takes its place) and reads from it."""

    def __getattr__(self, attr: str):  # only attributes the stand-in does not have
        return getattr(load(self.__name__), attr)


def load(name: str) -> types.ModuleType:
    """The real module ``name``, imported now if a stand-in holds its place; the stand-in
    is then replaced in ``sys.modules`` and on its parent package."""
    module = sys.modules.get(name)
    if not isinstance(module, Deferred):
        return module if module is not None else importlib.import_module(name)
    del sys.modules[name]
    try:
        real = importlib.import_module(name)
    except BaseException:
        sys.modules.setdefault(name, module)  # as it was: a later read tries again
        raise
    LOADED.add(name)
    parent, _, child = name.rpartition(".")
    package = sys.modules.get(parent)
    if package is not None and getattr(package, child, None) is module:
        setattr(package, child, real)
    return real


class PackageFirst:
    """A ``sys.meta_path`` finder for the submodules of packages a stand-in held. A stand-in
    has no ``__path__`` of its own: importing one of its package's submodules reads it,
    which loads the package (its ``__init__``, which may import that very submodule) before
    the submodule is looked for, as Python imports a package before its submodules. The
    import system then looks for the submodule though it may now be loaded: this finder
    gives it back that module (``_Loaded``) instead of a spec that would run it again."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if target is not None or name.rpartition(".")[0] not in LOADED:  # not a reload
            return None
        module = sys.modules.get(name)
        if module is None:
            return None  # not imported by its package: the other finders find it
        return importlib.util.spec_from_loader(name, _Loaded(module))


class _Loaded:
    """A loader that gives back an already loaded module as it is."""

    def __init__(self, module: types.ModuleType):
        self.module, self.spec = module, module.__spec__

    def create_module(self, spec):
        return self.module

    def exec_module(self, module: types.ModuleType) -> None:
        module.__spec__ = self.spec  # the import set the finder's spec on it: its own again


def defer_mesa_spaces() -> list[str]:
    """Stand-ins for :data:`DEFERRED` unless Mesa is imported already (or
    ``SIM_EAGER_MESA`` is set); returns the names deferred."""
    if "mesa" in sys.modules or os.environ.get("SIM_EAGER_MESA"):
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
        stand_in = Deferred(name)
        stand_in.__spec__ = spec
        stand_in.__file__ = spec.origin  # no __path__: reading it loads the package
        sys.modules[name] = stand_in
        deferred.append(name)
    if deferred and not any(f is PackageFirst for f in sys.meta_path):
        sys.meta_path.insert(0, PackageFirst)
    return deferred
