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
                          env={**os.environ, **env})
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


def test_mesas_spaces_work_when_used_and_replace_their_stand_ins():
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
                          "real": type(sys.modules["mesa.discrete_space"]).__name__}))
    """)
    assert got == {"same": True, "real": "module"}


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


def test_a_stand_in_whose_module_fails_to_import_stays_and_raises_each_time():
    got = fresh("""
        import json, sys
        from sim.deferred_imports import Deferred
        sys.modules["no_such_package_here"] = Deferred("no_such_package_here")
        errors = []
        for _ in range(2):
            try:
                sys.modules["no_such_package_here"].anything
            except ModuleNotFoundError as exc:
                errors.append(exc.name)
        print(json.dumps({"errors": errors,
                          "kept": type(sys.modules["no_such_package_here"]).__name__}))
    """)
    assert got == {"errors": ["no_such_package_here"] * 2, "kept": "Deferred"}
