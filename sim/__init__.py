"""Community-response capacity simulation.

Python API (no Hydra needed)::

    import sim
    cfg = sim.configure(topology="rural", scenario="lockdown", **{"run.days": 60})
    result = sim.run(cfg)
    result.timeseries, result.summary

    model = sim.CommunityModel(cfg)   # step by step
    model.step()

``sim.outputs.table()`` is the data dictionary of the daily table and the summary (meaning,
unit, level of every column and key); ``sim.outputs.describe(name)`` describes one.

``sim.configure`` composes the project's YAML files without Hydra (a few milliseconds) and
gives the same :class:`Config` as ``sim.compose(["topology=rural", "scenario=lockdown",
"run.days=60"])``; ``Config.from_dict`` and ``Config.from_manifest`` rebuild one from data.
"""

from sim.deferred_imports import defer_mesa_spaces

defer_mesa_spaces()  # before anything imports Mesa: its spaces load when first used

from sim.params import Config, ConfigError  # noqa: E402

_LAZY = {"CommunityModel": "sim.model", "run": "sim.runner", "RunResult": "sim.runner",
         "compose": "sim.config", "configure": "sim.scenarios",
         "load_scenario": "sim.scenarios", "load_topology": "sim.scenarios"}


def __getattr__(name):  # lazy imports keep `import sim` light
    import importlib

    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name == "outputs":  # the data dictionary: sim.outputs.table(), sim.outputs.describe()
        return importlib.import_module("sim.outputs")
    raise AttributeError(name)


__all__ = ["CommunityModel", "Config", "ConfigError", "RunResult", "compose", "configure",
           "load_scenario", "load_topology", "run"]
