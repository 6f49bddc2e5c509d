"""Community-response capacity simulation.

Python API (no Hydra needed)::

    import sim
    cfg = sim.compose(["topology=rural", "run.days=60"])
    result = sim.run(cfg)
    result.timeseries, result.summary

    model = sim.CommunityModel(cfg)   # step by step
    model.step()
"""

from sim.params import Config, ConfigError


def __getattr__(name):  # lazy imports keep `import sim` light
    if name == "CommunityModel":
        from sim.model import CommunityModel

        return CommunityModel
    if name in ("run", "RunResult"):
        from sim import runner

        return getattr(runner, name)
    if name == "compose":
        from sim.config import compose

        return compose
    raise AttributeError(name)


__all__ = ["CommunityModel", "Config", "ConfigError", "RunResult", "compose", "run"]
