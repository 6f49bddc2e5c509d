"""A ``set_parameter`` event reaches every group of its kind, including groups sized apart from
it: those built from a place's organisation table and the districts' scaled LIOs
(:mod:`sim.agents.group_params`). Their own values (the table's capacity and funding) stay
theirs; their scaled values follow the kind's times their scale; the rest follow the kind's,
from the event's day and not before."""

from __future__ import annotations

import pandas as pd
import pytest
from support import CONFIGS

import sim
from sim.agents.group_params import FIELDS, DistrictLIOParams, TableGroupParams
from sim.agents.group_state import params_columns
from sim.agents.organisations import GroupKind
from sim.model import CommunityModel
from sim.params import GroupKindParams

SAMPLE = CONFIGS / "places" / "sample"
EVENT_DAY = 3
CHANGES = {  # key: new value (the defaults: 42 days, False, 19.5 GBP, 2.5 hours, ...)
    "groups.community_group.support_days": 90,
    "groups.community_group.accepts_complex": True,
    "groups.formal_charity.fixed_cost_per_day": 60.0,
    "groups.formal_charity.cost_per_client_day": 9.0,
    "groups.lio.fixed_cost_per_day": 300.0,
    "groups.lio.hours_per_application": 6.0,
}


def table_world(changes: dict | None = None, days: int = 5) -> CommunityModel:
    """The shipped sample place with its organisation table (one district; its LIO scaled by
    its residents / 3,000) and a ``set_parameter`` event on day ``EVENT_DAY`` for each of
    ``changes`` (``{}``: the same keys set to the values they have, the control)."""
    cfg = sim.compose([
        "topology=places", f"topology.place_file={SAMPLE / 'areas.csv'}",
        f"topology.practice_file={SAMPLE / 'practices.csv'}",
        f"topology.registration_file={SAMPLE / 'registrations.csv'}",
        f"topology.organisation_file={SAMPLE / 'organisations.csv'}",
        "topology.lio_reference_residents=3000", "run.burn_in_days=0", f"run.days={days}"])
    values = {}
    for key in CHANGES:
        *path, name = key.split(".")
        section = cfg
        for part in path:
            section = getattr(section, part)
        values[key] = getattr(section, name)
    values.update(changes or {})
    cfg.events = {f"change_{k}": {"day": EVENT_DAY, "kind": "set_parameter",
                                  "params": {"key": key, "value": value}}
                  for k, (key, value) in enumerate(values.items())}
    return CommunityModel(cfg)


TABLE = pd.read_csv(SAMPLE / "organisations.csv").set_index("organisation")


def table_groups(m: CommunityModel, kind: GroupKind) -> list:
    """The groups built from the organisation table's rows of ``kind``."""
    return [g for g in m.groups if g.kind is kind and g.name in TABLE.index]


def scale_of(m: CommunityModel, g) -> float:
    """A table group's funding / its kind's; a district LIO's residents / 3,000."""
    if g.kind is GroupKind.LIO:
        return m.district_residents()[g.district] / 3000
    return TABLE.loc[g.name, "funding"] / getattr(sim.Config().groups, g.kind.value).annual_funding


def test_groups_from_the_table_and_scaled_lios_hold_live_views():
    m = table_world()
    charities = table_groups(m, GroupKind.FORMAL_CHARITY)
    groups = table_groups(m, GroupKind.COMMUNITY_GROUP)
    assert len(charities) == 3 and len(groups) == 4  # the sample's table
    assert m.lios and all(isinstance(lio.params, DistrictLIOParams) for lio in m.lios)
    assert all(lio.params.scale == scale_of(m, lio) != 1.0 for lio in m.lios)
    assert all(g.params.scale == scale_of(m, g) for g in charities + groups)
    assert all(g.params.kind is m.cfg.groups.formal_charity for g in charities)
    assert all(lio.params.kind is m.cfg.groups.lio for lio in m.lios)
    # every field is readable, and what the build's copy held (absent an event)
    for g in charities + groups + m.lios:
        assert all(getattr(g.params, name) is not None for name in FIELDS)


def test_a_mid_run_change_reaches_table_groups_and_scaled_lios_from_its_day():
    """Each day, the value each group acts on: the old one before the event's day, the new
    one (times the group's scale for a scaled field) from it; the table's own capacity and
    funding never move."""
    m = table_world(CHANGES, days=6)
    charities = table_groups(m, GroupKind.FORMAL_CHARITY)
    groups = table_groups(m, GroupKind.COMMUNITY_GROUP)
    start = sim.Config().groups  # the values the sections started from
    old, old_charity, old_lio = start.community_group, start.formal_charity, start.lio
    assert old.support_days != 90 and not old.accepts_complex
    own = {g.name: (g.params.staff_client_capacity, g.params.annual_funding)
           for g in charities + groups}
    while m.running:
        m.step()
        new = m.day >= EVENT_DAY
        for g in groups:
            assert g.params.support_days == (90 if new else old.support_days)
            assert g.params.accepts_complex is new
        for g in charities:
            f = scale_of(m, g)
            assert f != 1.0
            assert g.params.fixed_cost_per_day == pytest.approx(
                (60.0 if new else old_charity.fixed_cost_per_day) * f)
            assert g.params.cost_per_client_day == (9.0 if new else
                                                    old_charity.cost_per_client_day)
        for lio in m.lios:
            s = scale_of(m, lio)
            assert lio.params.fixed_cost_per_day == pytest.approx(
                (300.0 if new else old_lio.fixed_cost_per_day) * s)
            assert lio.params.hours_per_application == (6.0 if new else
                                                        old_lio.hours_per_application)
            assert lio.hours_per_application == lio.params.hours_per_application
        for g in charities + groups:
            assert (g.params.staff_client_capacity, g.params.annual_funding) == own[g.name]
        # what the daily passes read: the strain pass's support days, the costs paid
        running, rows = m.running_groups()
        (days,) = params_columns(m, rows, ("support_days",))
        assert [d for g, d in zip(running, days.tolist(), strict=True) if g in groups] == \
               [90 if new else old.support_days] * sum(g in running for g in groups)


def test_a_mid_run_change_of_running_costs_is_paid_by_table_groups_from_its_day():
    """Common random numbers: the day's money spent differs from the control's by nothing
    before the event's day, and on its day by each open group's scaled change of running
    costs (table charities: 60 - 19.5 a day times its scale; the LIO: 300 - its kind's)."""
    change = {"groups.formal_charity.fixed_cost_per_day": 60.0,
              "groups.lio.fixed_cost_per_day": 300.0}
    control, changed = table_world(), table_world(change)
    base = sim.Config().groups
    expected = None
    for day in range(1, EVENT_DAY + 1):
        spent = []
        for m in (control, changed):
            m.step()
            spent.append(m.timeseries()["new_funding_spent"].iloc[-1])
        if day < EVENT_DAY:
            assert spent[0] == spent[1]
            continue
        charities = [g for g in table_groups(changed, GroupKind.FORMAL_CHARITY) if g.is_open]
        lios = [lio for lio in changed.lios if lio.is_open]
        assert charities and lios
        expected = (sum((60.0 - base.formal_charity.fixed_cost_per_day) * scale_of(changed, g)
                        for g in charities)
                    + sum((300.0 - base.lio.fixed_cost_per_day) * scale_of(changed, lio)
                          for lio in lios))
        assert spent[1] - spent[0] == pytest.approx(expected, rel=1e-9)
    assert expected and expected > 0


def test_a_saved_table_world_keeps_its_groups_reading_the_kind(tmp_path):
    """A saved and reloaded model's views read the reloaded configuration, not a copy."""
    m = table_world()
    m.step()
    m = CommunityModel.load(m.save(tmp_path / "table.model"))
    g = table_groups(m, GroupKind.COMMUNITY_GROUP)[0]
    m.apply_event("set_parameter", {"key": "groups.community_group.support_days", "value": 77})
    assert g.params.support_days == 77
    assert m.lios[0].params.kind is m.cfg.groups.lio


def test_each_field_is_decided_once():
    """Every GroupKindParams field of a sized group is its own, scaled or its kind's."""
    for view in (TableGroupParams, DistrictLIOParams):
        assert not set(view.OWN) & set(view.SCALED)
        assert set(view.OWN) | set(view.SCALED) <= set(FIELDS)
    with pytest.raises(TypeError, match="staff_client_capacity, annual_funding"):
        TableGroupParams(GroupKindParams(), 2.0, staff_client_capacity=3)
