"""Resident and Volunteer agents: Mesa agents that are views on rows of the population arrays.

They hold no state of their own (one source of truth): reading ``resident.need`` reads
``model.pop.need[resident.index]`` and writing it writes the array.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from sim.state import ONS4, Need, Pathway, VolunteerState

if TYPE_CHECKING:
    from sim.model import CommunityModel


def _array_property(name: str, cast):
    def get(self):
        return cast(getattr(self.model.pop, name)[self.index])

    def set_(self, value):
        getattr(self.model.pop, name)[self.index] = value

    return property(get, set_, doc=f"view on ``model.pop.{name}[index]``")


class Resident(mesa.Agent):
    """A resident (node ``index`` of the social network)."""

    model: CommunityModel

    def __init__(self, model: CommunityModel, index: int):
        super().__init__(model)
        self.index = int(index)

    age = _array_property("age", int)
    female = _array_property("female", bool)
    unit = _array_property("unit", int)
    household = _array_property("household", int)
    deprivation = _array_property("deprivation", int)
    limitation = _array_property("limitation", int)
    digital = _array_property("digital", bool)
    shielded = _array_property("shielded", bool)
    gp_index = _array_property("gp", int)
    need = _array_property("need", Need)
    pathway = _array_property("pathway", Pathway)

    @property
    def wellbeing(self) -> dict[str, float]:
        row = self.model.pop.wellbeing[self.index]
        return {k: float(v) for k, v in zip(ONS4, row, strict=True)}

    @property
    def neighbours(self) -> list[int]:
        return self.model.pop.neighbours(self.index).tolist()

    @property
    def gp_practice(self):
        return self.model.gp_practices[self.gp_index]

    def __repr__(self) -> str:
        return f"Resident({self.index}, need={self.need.name}, pathway={self.pathway.name})"


class Volunteer(mesa.Agent):
    """The volunteering role of resident ``index``; created when the resident applies."""

    model: CommunityModel

    def __init__(self, model: CommunityModel, index: int):
        super().__init__(model)
        self.index = int(index)

    state = _array_property("vstate", VolunteerState)
    goodwill = _array_property("goodwill", float)
    organisation_index = _array_property("vorg", int)

    @property
    def organisation(self):
        k = self.organisation_index
        return self.model.organisations[k] if k >= 0 else None

    @property
    def resident(self) -> Resident:
        return self.model.resident(self.index)

    def __repr__(self) -> str:
        return f"Volunteer({self.index}, state={self.state.name})"
