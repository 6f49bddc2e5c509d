"""Resident and Volunteer agents are views: they read and write the population arrays."""

from __future__ import annotations

import numpy as np
import pytest

from sim.agents.people import Resident, Volunteer
from sim.state import ONS4, Need, Pathway, VolunteerState


def test_resident_reads_the_population_arrays(tiny_model):
    model = tiny_model(n=6, columns={"age": [20, 30, 40, 50, 66, 80],
                                     "limitation": [0, 0, 1, 2, 0, 2],
                                     "digital": [True, False, True, False, True, True]})
    pop = model.pop
    for i in range(pop.n):
        r = model.resident(i)
        assert (r.age, r.limitation, r.digital) == (pop.age[i], pop.limitation[i],
                                                    pop.digital[i])
        assert r.gp_practice is model.gp_practices[pop.gp[i]]
        assert r.wellbeing == pytest.approx(dict(zip(ONS4, pop.wellbeing[i].tolist(), strict=True)))
    assert [model.resident(i).age for i in range(6)] == [20, 30, 40, 50, 66, 80]
    assert model.resident(3).limitation == 2


def test_writing_a_resident_writes_the_array_and_the_reverse(tiny_model):
    model = tiny_model(n=4)
    r = model.resident(2)
    r.need = Need.COMPLEX
    r.pathway = Pathway.GROUP
    r.shielded = True
    assert model.pop.need[2] == Need.COMPLEX
    assert model.pop.pathway[2] == Pathway.GROUP
    assert model.pop.shielded[2]
    model.pop.need[2] = Need.LOW
    assert r.need is Need.LOW  # typed on the way out
    assert model.pop.need[[0, 1, 3]].tolist() == [0, 0, 0]  # only row 2 was touched


def test_resident_neighbours_follow_the_loaded_graph(tiny_model):
    # a star: r0 in the middle, plus an isolated r5
    model = tiny_model(n=6, edges=[(0, 1), (0, 2), (0, 3), (4, 0)])
    assert sorted(model.resident(0).neighbours) == [1, 2, 3, 4]
    assert model.resident(1).neighbours == [0]
    assert model.resident(5).neighbours == []
    assert model.pop.degree.tolist() == [4, 1, 1, 1, 1, 0]


def test_resident_agents_are_registered_once_or_made_on_demand(tiny_world):
    from sim.model import CommunityModel

    kept = CommunityModel(tiny_world(n=7))
    assert len(kept.agents_by_type[Resident]) == 7
    assert kept.resident(3) is kept.resident(3)
    assert {a.index for a in kept.agents_by_type[Resident]} == set(range(7))

    lazy = CommunityModel(tiny_world(n=7, run__resident_agents=False))
    assert Resident not in lazy.agents_by_type or len(lazy.agents_by_type[Resident]) == 0
    r = lazy.resident(4)
    assert r is lazy.resident(4)
    assert len(lazy.agents_by_type[Resident]) == 1


def test_vectorised_steps_are_visible_through_the_agents(tiny_model):
    model = tiny_model(n=5, need__p_onset_per_day=1.0)  # everyone gets a need on day 1
    agents = [model.resident(i) for i in range(5)]
    assert all(a.need is Need.NONE for a in agents)
    model.step()
    assert all(a.need > Need.NONE for a in agents)
    assert [a.need for a in agents] == model.pop.need.tolist()


def volunteer_world(tiny_model, **extra):
    """Eight willing adults and one charity that starts with three of them as volunteers."""
    return tiny_model(n=8, volunteers__latent_share=1.0, topology__urban__formal_charities=1,
                      groups__formal_charity__initial_volunteers=3, **extra)


def test_seeded_volunteers_are_agents_viewing_the_arrays(tiny_model):
    model = volunteer_world(tiny_model)
    pop = model.pop
    charity = model.groups[0]
    volunteers = list(model.agents_by_type[Volunteer])
    assert len(volunteers) == 3
    idx = sorted(v.index for v in volunteers)
    assert np.flatnonzero(pop.vstate == VolunteerState.ACTIVE).tolist() == idx
    for v in volunteers:
        assert v.state is VolunteerState.ACTIVE
        assert v.organisation is charity
        assert v.resident is model.resident(v.index)
        assert v.goodwill == pytest.approx(float(pop.goodwill[v.index]))
    v = volunteers[0]
    v.state = VolunteerState.STOOD_DOWN
    v.goodwill = 0.5
    assert pop.vstate[v.index] == VolunteerState.STOOD_DOWN
    assert pop.goodwill[v.index] == pytest.approx(0.5)
    pop.vorg[v.index] = -1
    assert v.organisation is None


def test_applicants_become_volunteer_agents(tiny_model):
    model = volunteer_world(tiny_model, volunteers__p_apply_per_day=1.0)
    latent = np.flatnonzero(model.pop.vstate == VolunteerState.LATENT)
    assert latent.size == 5
    model.step()
    applied = {v.index for v in model.agents_by_type[Volunteer]}
    assert set(latent.tolist()) <= applied
    assert all(model.pop.vstate[i] >= VolunteerState.APPLIED for i in latent)
