"""A council (the local authority's emergency response) per district of a places topology
(issue 15, deliverable 2): each walks its own stages, has hours in proportion to its
district's residents, and takes on its own district's residents with its district's
volunteers; the other topologies keep one council for the whole place."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support import give_need
from test_places_levels import district_of_resident, places_model, two_districts

import sim
from sim import areas
from sim.model import CommunityModel
from sim.params import ConfigError
from sim.state import VSTATE as V
from sim.state import Need

ONLY_COUNCILS = [f"emergency.{a}.coordinator_hours_per_week_per_1000=0"
                 for a in ("vcs", "lrf_cell", "national_scheme")]


def with_council_plans(tmp_path, plans: dict[str, bool]):
    folder = two_districts(tmp_path)
    areas = pd.read_csv(folder / "areas.csv")
    areas["council_prepared"] = areas["district"].map(plans)
    areas.to_csv(folder / "areas.csv", index=False)
    return folder


def test_one_council_per_district_with_hours_for_its_residents(tmp_path):
    m = places_model(with_council_plans(tmp_path, {"Sampleton": True, "Downland": False}))
    councils = m.councils()
    assert [c.name for c in councils] == ["Sampleton-council", "Downland-council"]
    assert [c.district for c in councils] == [0, 1]
    assert [c.prepared for c in councils] == [True, False]
    assert [c.n_residents for c in councils] == m.district_residents().tolist()
    assert m.emergency_actor("local_authority") is councils[0]
    # the other actors stay one for the whole system
    keys = [a.key for a in m.emergency_actors]
    assert keys == ["vcs", "local_authority", "local_authority", "lrf_cell", "national_scheme"]
    assert all(a.district is None and a.n_residents == m.pop.n
               for a in m.emergency_actors if a.key != "local_authority")
    # a council's plan removes its own stages only
    p = m.cfg.emergency.local_authority
    prepared = councils[0].plan_stages(0, np.random.default_rng(1))
    unprepared = councils[1].plan_stages(0, np.random.default_rng(1))
    assert unprepared - prepared >= p.contract_days > 0
    assert [s for s, _ in councils[1].stages][-3:] == ["sign_off", "contracts", "setup"]
    assert "contracts" not in [s for s, _ in councils[0].stages]


def test_each_district_is_helped_by_its_own_council_when_it_mobilises(tmp_path):
    """The prepared district's council mobilises first and takes on only its own residents,
    with its own district's volunteers; the other district waits for its own council."""
    m = places_model(with_council_plans(tmp_path, {"Sampleton": True, "Downland": False}),
                     *ONLY_COUNCILS, "emergency.local_authority.coordinator_hours_per_week_"
                     "per_1000=20", "run.days=120")
    pop = m.pop
    where = district_of_resident(m)
    rng = np.random.default_rng(0)
    needy = np.concatenate([rng.choice(np.flatnonzero(where == d), 60, replace=False)
                            for d in (0, 1)])
    pop.limitation[needy] = 2
    give_need(m, needy, Need.LOW)
    m.apply_event("emergency", {"need_multiplier": 1.0})
    first, second = m.councils()
    taken: dict[int, list[tuple[int, int]]] = {0: [], 1: []}  # council: (day, resident)
    acting: list[int] = []
    start_support = m.start_support

    def recording(i, *args, **kwargs):
        if acting:
            taken[acting[-1]].append((m.day, int(i)))
        return start_support(i, *args, **kwargs)

    m.start_support = recording
    for d, council in enumerate((first, second)):
        take_on = council.take_on

        def wrapped(cases, d=d, take_on=take_on):
            acting.append(d)
            try:
                take_on(cases)
            finally:
                acting.pop()

        council.take_on = wrapped
    course = areas.AreaCourse(m, 1)  # the per-area time course, day by day
    m.step()
    course.observe(m)
    assert first.mobilised_day < second.mobilised_day  # its plan: fewer stages
    for _ in range(second.mobilised_day - m.day + 14):
        m.step()
        course.observe(m)
    for d, council in enumerate((first, second)):
        assert taken[d] and len(taken[d]) == council.n_taken_on
        days = [day for day, _ in taken[d]]
        residents = [i for _, i in taken[d]]
        assert min(days) == council.first_support_day >= council.mobilised_day
        assert (where[residents] == d).all()  # its own district's residents only
    assert min(day for day, _ in taken[1]) > min(day for day, _ in taken[0])
    # the time course by district shows each district's own council taking residents on
    by_district = areas.aggregate_course(course.table(), "district")
    ts = m.timeseries()
    for d, council in enumerate((first, second)):
        rows = by_district[by_district["district"] == m.districts[d]]
        assert rows["new_emergency_responses"].sum() == council.n_taken_on
        started = rows[rows["new_emergency_responses"] > 0]["last_day"].min()
        assert started == council.first_support_day - m.day0
    daily = ts.set_index("day")["new_emergency_responses"]
    total = by_district.groupby("last_day")["new_emergency_responses"].sum()
    assert total.tolist() == daily.loc[total.index].tolist()
    summary_days = sim.metrics._emergency_actor_summary(m, m.timeseries())
    assert summary_days["emergency_days_to_mobilise_local_authority"] == (
        first.mobilised_day - m.emergency_start)  # the earliest council


@pytest.mark.parametrize("reach", ["groups", "any"])
def test_a_council_reaches_only_its_districts_volunteers(tmp_path, reach):
    m = places_model(two_districts(tmp_path), *ONLY_COUNCILS,
                     f"emergency.local_authority.volunteers_from={reach}")
    pop = m.pop
    where = district_of_resident(m)
    idx = np.arange(pop.n)
    charities = {d: next(g for g in m.groups if g.unit < 0 and g.district == d
                         and g.kind.value == "formal_charity") for d in (0, 1)}
    pop.vstate[idx] = V.ACTIVE
    pop.vorg[idx] = [charities[int(d)].index for d in where]
    pop.vhours_offer[idx] = 10.0
    if reach == "any":  # stood-down hospital volunteers of both districts, redeployable
        stood_down = np.concatenate([np.flatnonzero(where == d)[:5] for d in (0, 1)])
        pop.vstate[stood_down] = V.STOOD_DOWN
        m.redeployable_hospital = stood_down.astype(np.int64)
    for d, council in enumerate(m.councils()):
        helpers = council._helpers()
        assert helpers.size > 0 and (where[helpers] == d).all()
        assert council._in_district().sum() == council.n_residents
        if reach == "any":
            assert np.isin(m.redeployable_hospital[where[m.redeployable_hospital] == d],
                           helpers).all()


def test_mixed_plans_within_a_district_are_refused(tmp_path):
    folder = with_council_plans(tmp_path, {"Sampleton": True, "Downland": False})
    areas = pd.read_csv(folder / "areas.csv")
    areas.loc[0, "council_prepared"] = False
    areas.to_csv(folder / "areas.csv", index=False)
    with pytest.raises(ConfigError, match="council_prepared.*every area of a district"):
        places_model(folder)


@pytest.mark.parametrize("value", ["maybe", ""])
def test_cli_refuses_a_bad_council_plan_with_status_2(tmp_path, value):
    from support import refused_place_table

    folder = with_council_plans(tmp_path, {"Sampleton": True, "Downland": False})
    areas_csv = pd.read_csv(folder / "areas.csv", dtype=str, keep_default_na=False)
    areas_csv.loc[3, "council_prepared"] = value
    areas_csv.to_csv(folder / "areas.csv", index=False)
    out = tmp_path / "out"
    stderr = refused_place_table(folder, out)
    assert "topology.place_file" in stderr and "'council_prepared'" in stderr
    assert "row 4" in stderr and "true/false" in stderr
    assert not (out / "manifest.json").exists()


@pytest.mark.parametrize("overrides", [["topology.urban.n_residents=1500"],
                                       ["topology=county_legacy", "topology.n_residents=4000"]])
def test_other_topologies_keep_one_council_for_the_place(overrides):
    m = CommunityModel(sim.compose([*overrides, "run.burn_in_days=0", "run.days=1"]))
    assert [a.key for a in m.emergency_actors] == ["vcs", "local_authority", "lrf_cell",
                                                   "national_scheme"]
    (council,) = m.councils()
    assert council.district is None and council.n_residents == m.pop.n
    assert council.name == "local_authority" and not council.prepared
