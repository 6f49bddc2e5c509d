"""Mesa's spaces load when first used (sim.deferred_imports): a run imports neither networkx
nor scipy.spatial, and whoever uses Mesa's spaces gets the real modules. Each case runs in a
fresh interpreter (this one imported Mesa long ago)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from support import REPO


def fresh(code: str, **env: str) -> dict:
    """Run ``code`` in a fresh interpreter at the checkout; the JSON it prints last."""
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO,
                          capture_output=True, text=True, timeout=120,
                          env={**{k: v for k, v in os.environ.items() if k != "SIM_EAGER_MESA"},
                               **env})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_run_and_a_sweep_workers_imports_load_neither_networkx_nor_scipy_spatial():
    got = fresh("""
        import json, sys
        import sim.cli, sim.experiments.runs, sim.model  # what a sweep worker imports
        import sim
        result = sim.run(sim.configure(topology="rural", **{"run.days": 3, "run.burn_in_days": 0}))
        print(json.dumps({
            "loaded": [m for m in ("networkx", "scipy.spatial") if m in sys.modules],
            "stand_ins": sorted(n for n, m in sys.modules.items()
                                if type(m).__name__ == "Deferred"),
            "days": len(result.timeseries)}))
    """)
    assert got == {"loaded": [], "days": 3,
                   "stand_ins": ["mesa.discrete_space", "mesa.experimental.continuous_space",
                                 "mesa.space"]}


def test_mesas_spaces_work_when_used_and_become_plain_modules():
    got = fresh("""
        import json, sys
        import sim, mesa
        from mesa.discrete_space import Network            # a name from a package
        grid = mesa.space.NetworkGrid                      # an attribute of a module
        import mesa.experimental.continuous_space.continuous_space as cs  # a submodule
        from mesa.experimental.continuous_space import ContinuousSpace
        import mesa.experimental as experimental
        names = ("mesa.discrete_space", "mesa.space", "mesa.experimental.continuous_space")
        print(json.dumps({
            "classes": [Network.__module__, grid.__module__, ContinuousSpace.__module__,
                        cs.ContinuousSpace is ContinuousSpace],
            "real": [type(sys.modules[n]).__name__ == "module" for n in names],
            "on_parent": [mesa.discrete_space is sys.modules[names[0]],
                          mesa.space is sys.modules[names[1]],
                          experimental.continuous_space is sys.modules[names[2]]],
            "networkx": "networkx" in sys.modules}))
    """)
    assert got == {"classes": ["mesa.discrete_space.network", "mesa.space",
                               "mesa.experimental.continuous_space.continuous_space", True],
                   "real": [True, True, True], "on_parent": [True, True, True],
                   "networkx": True}


def test_a_submodule_imported_first_then_its_package():
    got = fresh("""
        import json, sys
        import sim
        import mesa.discrete_space.grid as grid  # the package's __init__ has not run yet
        import mesa
        moore = mesa.discrete_space.OrthogonalMooreGrid
        print(json.dumps({"same": moore is grid.OrthogonalMooreGrid,
                          "real": type(sys.modules["mesa.discrete_space"]).__name__,
                          "spec": [type(grid.__spec__.loader).__name__,
                                   grid.__spec__.origin.endswith("grid.py")]}))
    """)
    assert got == {"same": True, "real": "module", "spec": ["SourceFileLoader", True]}


def test_nothing_is_deferred_when_mesa_came_first_or_on_request():
    code = """
        import json, sys
        {first}
        import sim
        from sim import deferred_imports
        print(json.dumps({{"again": deferred_imports.defer_mesa_spaces(),
                           "stand_ins": [n for n, m in sys.modules.items()
                                         if type(m).__name__ == "Deferred"]}}))
    """
    assert fresh(code.format(first="import mesa")) == {"again": [], "stand_ins": []}
    assert fresh(code.format(first=""), SIM_EAGER_MESA="1") == {"again": [], "stand_ins": []}


def test_whoever_took_a_stand_in_holds_the_real_module():
    got = fresh("""
        import json, sys
        import sim
        import mesa.space as held                   # taken before it loads
        from mesa import discrete_space as held_package
        held.custom = 5                             # set before it loads
        held.MultiGrid = "mine"                     # ... over a name the module defines
        listed = dir(held_package)                  # loads it
        grid = held.NetworkGrid                     # loads it
        print(json.dumps({
            "same": [held is sys.modules["mesa.space"],
                     held_package is sys.modules["mesa.discrete_space"],
                     sys.modules["mesa"].space is held],
            "plain": [type(held).__name__, type(held_package).__name__],
            "listed": "Network" in listed, "docs": bool(held.__doc__),
            "kept": [held.custom, held.MultiGrid], "class": grid.__module__,
            "loaders": [type(held.__loader__).__name__, type(held.__spec__.loader).__name__,
                        type(held_package.__spec__.loader).__name__]}))
    """)
    assert got == {"same": [True, True, True], "plain": ["module", "module"], "listed": True,
                   "docs": True, "kept": [5, "mine"], "class": "mesa.space",
                   "loaders": ["SourceFileLoader"] * 3}


def test_reloading_a_stand_in_loads_it_then_reloads_it_in_place():
    got = fresh("""
        import importlib, json, sys
        import sim
        import mesa.space as held
        again = importlib.reload(held)
        plain = type(held).__name__  # loaded, then reloaded: a plain module
        grid = held.MultiGrid
        hasattr(held, "no_such_name")  # a miss runs nothing more
        print(json.dumps({"same": [again is held, sys.modules["mesa.space"] is held],
                          "plain": plain, "kept": held.MultiGrid is grid}))
    """)
    assert got == {"same": [True, True], "plain": "module", "kept": True}


def test_patching_and_star_imports_see_the_real_module():
    got = fresh("""
        import json
        from unittest import mock
        import sim

        class Fake:
            pass

        with mock.patch("mesa.space.MultiGrid", Fake):
            import mesa.space
            patched = mesa.space.MultiGrid is Fake
        restored = mesa.space.MultiGrid is not Fake
        from mesa.experimental.continuous_space import *  # noqa: F403
        print(json.dumps({"patched": patched, "restored": restored,
                          "star": "ContinuousSpace" in globals()}))
    """)
    assert got == {"patched": True, "restored": True, "star": True}


def test_threads_using_a_stand_in_at_once_all_get_the_loaded_module():
    got = fresh("""
        import json, sys, threading
        sys.setswitchinterval(1e-6)  # switch threads as often as possible
        import sim, mesa
        seen, errors = [], []

        def use(k):
            try:
                if k % 2:
                    from mesa.discrete_space import Network
                    seen.append(("network", id(Network)))
                else:
                    seen.append(("grid", id(mesa.space.MultiGrid)))
            except BaseException as exc:
                errors.append(f"{type(exc).__name__}: {exc}")

        threads = [threading.Thread(target=use, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print(json.dumps({"errors": errors, "kinds": sorted({k for k, _ in seen}),
                          "one_each": len(set(seen)) == 2}))
    """)
    assert got == {"errors": [], "kinds": ["grid", "network"], "one_each": True}


def test_a_stand_in_whose_module_fails_to_import_stays_and_loads_later(tmp_path):
    (tmp_path / "flaky_module_here.py").write_text(
        "import pathlib\n"
        "if pathlib.Path(__file__).with_name('fail').exists():\n"
        "    raise RuntimeError('not now')\n"
        "VALUE = 7\n")
    (tmp_path / "fail").write_text("")
    got = fresh(f"""
        import importlib.machinery, json, pathlib, sys
        from sim.deferred_imports import defer
        folder = {str(tmp_path)!r}
        stand_in = defer(importlib.machinery.PathFinder.find_spec("flaky_module_here", [folder]))
        errors = []
        for _ in range(2):
            try:
                stand_in.VALUE
            except RuntimeError as exc:
                errors.append(str(exc))
        kept = type(sys.modules["flaky_module_here"]).__name__
        pathlib.Path(folder, "fail").unlink()
        print(json.dumps({{"errors": errors, "kept": kept, "value": stand_in.VALUE,
                          "same": sys.modules["flaky_module_here"] is stand_in}}))
    """)
    assert got == {"errors": ["not now"] * 2, "kept": "Deferred", "value": 7, "same": True}


def test_a_submodules_spec_looked_up_first_names_its_file():
    got = fresh("""
        import importlib.util, json
        import sim
        spec = importlib.util.find_spec("mesa.discrete_space.grid")
        print(json.dumps({"origin": spec.origin.replace("\\\\", "/").endswith(
            "mesa/discrete_space/grid.py")}))
    """)
    assert got == {"origin": True}
