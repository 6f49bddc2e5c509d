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


def refresh_targets(model: CommunityModel) -> None:
    """Work out the targets and the isolation offset afresh from the parameters (at build, and
    when an event changes a ``wellbeing.`` parameter)."""
    model.wellbeing_targets = targets(model)
    offset = np.zeros((model.pop.n, 4), np.float32)  # a new array: its cached column follows
    offset[model.pop.degree == 0, 0] = -model.cfg.wellbeing.isolation_penalty
    model.isolation_offset = offset


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


def update(model: CommunityModel) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Each score closes ``adjust_per_day`` of the gap to its target (float32, in place).

    One compiled pass over the residents (``sim.kernels.residents_day_end``) computes, bit for
    bit, the numpy ``target = targets[situation_index(model)] + isolation_offset; target -=
    wellbeing; target *= rate; wellbeing += target``, and, reading the same need and pathway
    columns, adds the day to ``unmet_days`` of each resident in unmet need (waiting
    included) and counts the residents by need level and pathway. Returns the float32 column
    sums of the new scores (the day's mean wellbeing) and the (need levels, pathways) counts,
    both for ``sim.metrics.daily_row``: nothing changes need or pathway later in the day. In
    the burn-in only the scores are updated (``kernels.wellbeing_day``; ``unmet_days`` is
    reset when output starts) and (None, None) is returned."""
    pop = model.pop
    rate = np.float32(model.cfg.wellbeing.adjust_per_day)
    if model.burning_in:  # no daily row, and the tallies start from zero after the burn-in
        kernels.wellbeing_day(pop.wellbeing, model.wellbeing_targets,
                              _life_satisfaction_offset(model), pop.need, pop.pathway,
                              Pathway.LINK_WORKER, rate)
        return None, None
    return kernels.residents_day_end(pop.wellbeing, model.wellbeing_targets,
                                     _life_satisfaction_offset(model), pop.need, pop.pathway,
                                     Pathway.LINK_WORKER, rate, pop.unmet_days,
                                     Pathway.WAITING, len(Need), len(Pathway))


def _life_satisfaction_offset(model: CommunityModel) -> np.ndarray:
    """The isolation offset's first column, contiguous (the only one set: the model builds
    ``isolation_offset`` with life satisfaction alone lowered), kept on the model."""
    cached = model.__dict__.get("_isolation_offset_ls")
    if cached is None or cached[0] is not model.isolation_offset:
        offset = model.isolation_offset
        if offset[:, 1:].any():
            raise ValueError("isolation_offset: only the life-satisfaction column may be set")
        cached = model._isolation_offset_ls = (offset, np.ascontiguousarray(offset[:, 0]))
    return cached[1]
