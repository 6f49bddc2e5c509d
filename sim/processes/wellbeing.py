"""ONS4-style wellbeing (0-10): each score moves a share of the way towards a target set by the
resident's situation: no need (population level), unmet need (client baseline, 004:511-516) or
supported (client follow-up level, 004:511-518). Residents with no ties lose life satisfaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import kernels
from sim.state import NEED as Need  # plain ints: fast in numpy
from sim.state import PATHWAY as Pathway

if TYPE_CHECKING:
    from sim.model import CommunityModel


def targets(model: CommunityModel) -> np.ndarray:
    w = model.cfg.wellbeing
    return np.array([
        [w.population_life_satisfaction, w.population_worthwhile, w.population_happiness,
         w.population_anxiety],
        [w.need_life_satisfaction, w.need_worthwhile, w.need_happiness, w.need_anxiety],
        [w.supported_life_satisfaction, w.supported_worthwhile, w.supported_happiness,
         w.supported_anxiety],
    ], np.float32)


def initialise(model: CommunityModel, rng: np.random.Generator) -> None:
    pop = model.pop
    situation = situation_index(model)
    pop.wellbeing[:] = np.clip(
        model.wellbeing_targets[situation] + model.isolation_offset
        + rng.normal(0.0, 0.5, size=(pop.n, 4)).astype(np.float32), 0, 10)


def situation_index(model: CommunityModel) -> np.ndarray:
    """0 no need, 1 unmet need, 2 supported (int8 per resident)."""
    pop = model.pop
    situation = (pop.pathway >= Pathway.LINK_WORKER).view(np.int8) + np.int8(1)
    situation *= pop.need != Need.NONE
    return situation


def update(model: CommunityModel) -> None:
    """Each score closes ``adjust_per_day`` of the gap to its target (float32, in place).

    One compiled pass (``sim.kernels.wellbeing_step``) computes, bit for bit, the numpy
    ``target = targets[situation_index(model)] + isolation_offset; target -= wellbeing;
    target *= rate; wellbeing += target``."""
    pop = model.pop
    rate = np.float32(model.cfg.wellbeing.adjust_per_day)
    kernels.wellbeing_step(pop.wellbeing, model.wellbeing_targets, model.isolation_offset,
                           pop.need, pop.pathway, Pathway.LINK_WORKER, rate)
