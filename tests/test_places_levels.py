"""Levels of a places topology (issue 15, deliverable 2): one LIO and one hospital trust per
district (place), scaled with its residents, each working for its own district; and the other
topologies as the one-district case."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from support import CONFIGS

import sim
from sim.agents.organisations import GroupKind, NHSTrust
from sim.model import CommunityModel
from sim.state import VSTATE as V

SAMPLE = CONFIGS / "places" / "sample"


def two_districts(tmp_path):
    """The shipped sample with its South PCN's areas (SMP0004-6) in a second district."""
    folder = tmp_path / "two"
    shutil.copytree(SAMPLE, folder)
    areas = pd.read_csv(folder / "areas.csv")
    areas.loc[areas["pcn"] == "Sampleton South PCN", "district"] = "Downland"
    areas.to_csv(folder / "areas.csv", index=False)
    return folder


def places_model(folder, *overrides: str) -> CommunityModel:
    return CommunityModel(sim.compose([
        "topology=places", f"topology.place_file={folder / 'areas.csv'}",
        f"topology.practice_file={folder / 'practices.csv'}",
        f"topology.registration_file={folder / 'registrations.csv'}",
        "run.burn_in_days=0", "run.days=5", *overrides]))


@pytest.fixture
def model(tmp_path):
    return places_model(two_districts(tmp_path), "topology.lio_reference_residents=5000")


def district_of_resident(m):
    return m.district_of_unit[m.pop.unit]


def test_one_lio_and_one_trust_per_district_scaled_with_its_residents(model):
    m = model
    assert m.districts == ["Sampleton", "Downland"]
    residents = m.district_residents()
    assert residents.sum() == m.pop.n and (residents > 0).all()
    assert [g.name for g in m.lios] == ["Sampleton-lio", "Downland-lio"]
    assert [t.name for t in m.nhs_trusts] == ["Sampleton-nhs-trust", "Downland-nhs-trust"]
    assert m.lio is m.lios[0] and m.nhs_trust is m.nhs_trusts[0]
    base = m.cfg.groups.lio
    for d, (lio, books) in enumerate(zip(m.lios, m.lio_books, strict=True)):
        scale = residents[d] / 5000
        assert lio.district == d and books.lio is lio and books.district == d
        assert books.scale == pytest.approx(scale)
        assert lio.params.annual_funding == pytest.approx(base.annual_funding * scale)
        assert lio.params.fixed_cost_per_day == pytest.approx(base.fixed_cost_per_day * scale)
        full = books.full_hours_per_week()
        assert full["volunteer_processing"] == pytest.approx(base.vm_hours_per_week * scale)
        assert full["directory"] == pytest.approx(m.cfg.lio.directory_hours_per_week * scale)
    # the daily figure adds every district's funded hours
    row = sim.metrics.daily_row(m)
    assert row["n_lio_hours_funded_per_week"] == pytest.approx(sum(
        b.funded_share() * sum(b.full_hours_per_week().values()) for b in m.lio_books))
    # each trust: volunteers in proportion to its residents, drawn from its own district
    per_1000 = m.cfg.topology.nhs_trust_volunteers_per_1000
    where = district_of_resident(m)
    for d, trust in enumerate(m.nhs_trusts):
        members = np.flatnonzero(m.pop.vorg == trust.index)
        assert members.size == round(per_1000 * residents[d] / 1000) > 0
        assert (where[members] == d).all()
        assert trust.vm_hours_per_week == pytest.approx(
            m.cfg.volunteers.hospital_vm_hours_per_week_per_10k * residents[d] / 10_000)
    # district charities recruit their first volunteers in their own district
    for g in (*m.groups_by_unit[-1], *m.groups_by_unit[-2]):
        if g.kind is GroupKind.FORMAL_CHARITY:
            members = np.flatnonzero(m.pop.vtrained_at == g.index)
            assert members.size and (where[members] == g.district).all()


def test_district_level_groups_serve_their_own_district_only(model):
    """A district's place-level charities (and its LIO) are reached from its own areas, as a
    local authority's charities serve its area (004:790, 002:97): by residents going to a
    group, link workers' directories and the LIO's listings, practices' ties and the flags
    of a group in reach; not from the other district's areas."""
    m = model
    for _ in range(3):
        m.step()
    of_unit = m.district_of_unit
    assert m.place_keys_of(range(len(m.units))) == [-1, -2]
    for u in range(len(m.units)):
        place = [g for g in m.open_groups_reachable(u) if g.unit == -1]
        assert place and {g.district for g in place} == {int(of_unit[u])}
        assert m.unit_has_groups[u] == 1.0
    for lw in m.link_workers:
        districts = {int(of_unit[u]) for u in lw.reach}
        in_reach = [g for g in m.open_groups_in_reach(lw.reach) if g.unit == -1]
        assert in_reach and {g.district for g in in_reach} == districts
        place = [m.organisations[k] for k in lw.directory if m.organisations[k].unit == -1]
        assert place and {g.district for g in place} <= districts
        lw.refresh_directory(m.open_groups())
        refreshed = {k for k in lw.directory if m.organisations[k].unit == -1}
        assert {m.organisations[k].district for k in refreshed} <= districts
    for d, books in enumerate(m.lio_books):  # its link workers' districts (a PCN may span two)
        lws = books._link_workers()
        listed = [m.organisations[k] for k in books._listed(lws)]
        districts = {int(of_unit[u]) for lw in lws for u in lw.reach}
        assert d in districts
        assert {g.district for g in listed if g.unit == -1} == districts
    for gp in m.gp_practices:
        served = {int(of_unit[u]) for u in m._units_served[gp.index]}
        assert {g.district for g in m._gp_tie_options(gp) if g.unit == -1} == served
    # the other district's charities all closed: its areas have no place-level group left
    for g in m.groups_by_unit[-2]:
        if g.kind is GroupKind.FORMAL_CHARITY and g.is_open:
            g.close("churn")
    south = [u for u in range(len(m.units)) if of_unit[u] == 1]
    for u in south[:1]:  # and one of its areas its own groups too: nothing in reach there
        for g in m.groups_by_unit.get(u, []):
            if g.is_open:
                g.close("churn")
    m.refresh_unit_flags()
    assert all(g.unit != -1 for u in south for g in m.open_groups_reachable(u))
    assert all(g.district == 0 for g in m.open_groups_reachable(0) if g.unit == -1)
    # a group in reach: the unit's own or its own district's, not the other district's
    flags = [float(bool(m.open_groups_reachable(u))) for u in range(len(m.units))]
    assert m.unit_has_groups.tolist() == flags
    assert flags[south[0]] == 0.0 and flags[0] == 1.0


def test_link_workers_tie_to_their_own_districts_lio(model):
    m = model
    for lw in m.link_workers:
        d = m.district_of_unit[lw.unit]
        assert frozenset((lw.unique_id, m.lios[d].unique_id)) in m._cross_ties
        assert frozenset((lw.unique_id, m.lios[1 - d].unique_id)) not in m._cross_ties
        assert m.lio_of_unit(lw.unit) is m.lios[d]


def test_applicants_go_to_their_own_districts_lio_and_trust(tmp_path):
    m = places_model(two_districts(tmp_path), "volunteers.p_apply_per_day=0.05")
    lios = {g.index: g.district for g in m.lios}
    trusts = {t.index: t.district for t in m.nhs_trusts}
    before = m.pop.vorg.copy()
    m.step()
    m.step()
    pop = m.pop
    where = district_of_resident(m)
    new = np.flatnonzero((pop.vorg != before) & (pop.vapplied_day >= 0))
    at_lio = new[np.isin(pop.vorg[new], list(lios))]
    at_trust = new[np.isin(pop.vorg[new], list(trusts))]
    assert at_lio.size > 20 and at_trust.size > 5
    assert all(lios[o] == d for o, d in zip(pop.vorg[at_lio], where[at_lio], strict=True))
    assert all(trusts[o] == d for o, d in zip(pop.vorg[at_trust], where[at_trust], strict=True))
    # both districts' LIOs received some
    assert {lios[o] for o in pop.vorg[at_lio]} == {0, 1}


def test_a_closed_group_hands_its_volunteers_to_its_districts_lio(model):
    m = model
    g = next(g for g in m.groups if g.kind is GroupKind.COMMUNITY_GROUP and g.unit >= 0
             and m.district_of_unit[g.unit] == 1 and (m.pop.vorg == g.index).any())
    members = np.flatnonzero(m.pop.vorg == g.index)
    g.close("churn")
    assert (m.pop.vorg[members] == m.lios[1].index).all()


def test_capacity_building_rebuilds_only_in_its_own_district(model):
    m = model
    g = next(g for g in m.groups if g.kind is GroupKind.COMMUNITY_GROUP and g.unit >= 0
             and m.district_of_unit[g.unit] == 1)
    g.close("churn")
    assert m.provision_short(0) == []
    short = m.provision_short(1)
    assert [key for _, key in short] == [(g.unit, GroupKind.COMMUNITY_GROUP)]
    n = len(m.groups)
    m._build_capacity(0)
    assert len(m.groups) == n  # Sampleton's LIO has nothing to rebuild
    m._build_capacity(1)
    new = m.groups[-1]
    assert len(m.groups) == n + 1 and new.unit == g.unit and new.district == 1
    # a district's place-level charity is rebuilt in its own district
    pc = next(x for x in m.groups_by_unit[-1] if x.kind is GroupKind.FORMAL_CHARITY
              and x.district == 0)
    pc.close("churn")
    assert [key for _, key in m.provision_short(0)] == [(-1, GroupKind.FORMAL_CHARITY)]
    m._build_capacity(0)
    assert m.groups[-1].unit == -1 and m.groups[-1].district == 0
    assert m.groups[-1].name.startswith("Sampleton-new-")


def test_each_districts_centre_places_its_own_volunteers_with_groups(model):
    from sim.processes import volunteering

    m, pop = model, model.pop
    where = district_of_resident(m)
    held = {}
    for d, lio in enumerate(m.lios):
        idx = np.flatnonzero((pop.vstate == V.LATENT) & (where == d))[:4]
        pop.vstate[idx] = V.ACTIVE
        pop.vorg[idx] = pop.vtrained_at[idx] = lio.index
        held[d] = idx
    for books in m.lio_books:
        books.placement_hours = 10 * m.cfg.lio.hours_per_placement
    placed_before = m.flows.get("new_vol_placed", 0)
    volunteering.place_from_lio(m)
    assert m.flows["new_vol_placed"] - placed_before == 8  # both centres placed all four
    lio_index = [lio.index for lio in m.lios]
    for idx in held.values():
        assert not np.isin(pop.vorg[idx], lio_index).any()  # with groups, not a centre


def test_one_districts_lio_closing_leaves_the_other_at_work(model):
    m = model
    m.lios[0].close("funding")
    assert m.lio_of_district(0) is None and m.lio_of_district(1) is m.lios[1]
    assert m.lio_books[0].funded_share() == 0.0 and m.lio_books[1].funded_share() > 0
    for _ in range(3):
        m.step()
    ts = m.timeseries()
    assert (ts["n_lio_hours_funded_per_week"] > 0).all()


def test_stand_down_reaches_every_districts_trust(model):
    from sim.events.emergencies import nhs_volunteers_return, nhs_volunteers_stand_down

    m = model
    on_duty = np.flatnonzero(np.isin(m.pop.vorg, [t.index for t in m.nhs_trusts])
                             & np.isin(m.pop.vstate, (V.ACTIVE, V.IDLE)))
    nhs_volunteers_stand_down(m, {})
    assert all(t.stood_down for t in m.nhs_trusts)
    assert (m.pop.vstate[on_duty] == V.STOOD_DOWN).all()
    nhs_volunteers_return(m, {})
    assert not any(t.stood_down for t in m.nhs_trusts)
    assert (m.pop.vstate[on_duty] == V.ACTIVE).all()


@pytest.mark.parametrize("overrides", [["topology.urban.n_residents=1500"],
                                       ["topology=county_legacy", "topology.n_residents=4000"]])
def test_other_topologies_are_the_one_district_case(overrides):
    m = CommunityModel(sim.compose([*overrides, "run.burn_in_days=0", "run.days=1"]))
    assert m.districts == ["place"] and (m.district_of_unit == 0).all()
    assert m.lios == [m.lio] and m.lio.name == "lio" and m.lio.params is m.cfg.groups.lio
    assert len(m.lio_books) == 1 and m.lio_functions is m.lio_books[0]
    assert m.lio_books[0].scale == 1.0
    assert m.nhs_trusts == [m.nhs_trust] and m.nhs_trust.residents == m.pop.n
    assert isinstance(m.nhs_trust, NHSTrust)


# ---------------------------------------------------------------- the organisation table


def with_organisations(folder, *overrides: str) -> CommunityModel:
    return places_model(folder, f"topology.organisation_file={folder / 'organisations.csv'}",
                        *overrides)


def test_the_organisation_table_places_every_charity_and_community_group(tmp_path):
    folder = two_districts(tmp_path)
    m = with_organisations(folder)
    table = pd.read_csv(folder / "organisations.csv")
    made = [g for g in m.groups if g.kind in (GroupKind.FORMAL_CHARITY,
                                              GroupKind.COMMUNITY_GROUP)]
    assert [g.name for g in made] == table["organisation"].tolist()  # nothing else
    units = {u.name: u.index for u in m.units}
    for g, row in zip(made, table.itertuples(), strict=True):
        base = getattr(m.cfg.groups, row.kind)
        assert g.kind.value == row.kind
        assert g.unit == units.get(row.area, -1)
        district = row.area if row.area in m.districts else m.districts[
            m.district_of_unit[g.unit]]
        assert m.districts[g.district] == district
        assert g.params.staff_client_capacity == row.capacity
        assert g.params.annual_funding == row.funding
        f = row.funding / base.annual_funding
        assert g.params.staff_fte == pytest.approx(base.staff_fte * f)
        assert g.params.fixed_cost_per_day == pytest.approx(base.fixed_cost_per_day * f)
        assert g.staff_fte == pytest.approx(base.staff_fte * f)
        if g.params.staff_fte > 0:  # full establishment: the table's capacity of staff places
            assert g.params.staff_client_capacity * g.staff_fte / g.params.staff_fte == \
                pytest.approx(row.capacity)
    # SORG01 serves the whole district of Sampleton (no area): reachable from its areas
    assert made[0].unit == -1 and made[0] in m.groups_by_unit[-1 - made[0].district]
    # the table's counts win over the place table's and the templates'
    assert all(u.params.formal_charities == 0 and u.params.community_groups == 0
               for u in m.units)
    m.run()
    assert len(m.timeseries()) == 5


def test_the_organisation_tables_bytes_are_in_the_burn_in_key(tmp_path):
    from sim.burn_in import burn_in_key

    folder = two_districts(tmp_path)
    cfg = lambda: sim.compose([  # noqa: E731
        "topology=places", f"topology.place_file={folder / 'areas.csv'}",
        f"topology.practice_file={folder / 'practices.csv'}",
        f"topology.organisation_file={folder / 'organisations.csv'}"])
    before = burn_in_key(cfg())
    orgs = pd.read_csv(folder / "organisations.csv")
    orgs.loc[0, "funding"] = 1000
    orgs.to_csv(folder / "organisations.csv", index=False)
    assert burn_in_key(cfg()) != before


def _edit(path, row, col, value):
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[row, col] = value
    df.to_csv(path, index=False)


BAD_ORGS = [
    (lambda p: pd.read_csv(p).drop(columns=["funding"]).to_csv(p, index=False), "funding",
     "missing"),
    (lambda p: _edit(p, 2, "kind", "hospice"), "kind", "row 3"),
    (lambda p: _edit(p, 1, "area", "E01000000"), "area", "E01000000"),
    (lambda p: _edit(p, 3, "capacity", "-2"), "capacity", "row 4"),
    (lambda p: _edit(p, 3, "capacity", "2.5"), "capacity", "whole numbers"),
    (lambda p: _edit(p, 0, "funding", "1e12"), "funding", "row 1"),
    (lambda p: _edit(p, 0, "funding", ""), "funding", "a blank cell"),
    (lambda p: _edit(p, 4, "organisation", "SORG01"), "organisation", "again in row 5"),
]


@pytest.mark.parametrize("mutate, column, words", BAD_ORGS,
                         ids=[f"{b[1]}-{k}" for k, b in enumerate(BAD_ORGS)])
def test_bad_organisation_tables_are_refused_naming_the_column(tmp_path, mutate, column,
                                                              words):
    from sim.params import ConfigError, TopologyParams
    from sim.topology.places import read_tables

    folder = two_districts(tmp_path)
    mutate(folder / "organisations.csv")
    t = TopologyParams(kind="places", place_file=str(folder / "areas.csv"),
                       practice_file=str(folder / "practices.csv"),
                       organisation_file=str(folder / "organisations.csv"))
    with pytest.raises(ConfigError) as err:
        read_tables(t)
    msg = str(err.value)
    assert err.value.key == "topology.organisation_file"
    assert f"'{column}'" in msg and words in msg, msg


def test_an_area_named_like_a_district_is_refused(tmp_path):
    from sim.params import ConfigError, TopologyParams
    from sim.topology.places import read_tables

    folder = two_districts(tmp_path)
    _edit(folder / "areas.csv", 5, "district", "SMP0001")
    t = TopologyParams(kind="places", place_file=str(folder / "areas.csv"),
                       practice_file=str(folder / "practices.csv"),
                       organisation_file=str(folder / "organisations.csv"))
    with pytest.raises(ConfigError, match="cannot tell area 'SMP0001'"):
        read_tables(t)


def test_cli_refuses_a_bad_organisation_table_with_status_2(tmp_path):
    from support import refused_place_table

    folder = two_districts(tmp_path)
    _edit(folder / "organisations.csv", 1, "capacity", "many")
    out = tmp_path / "out"
    stderr = refused_place_table(
        folder, out, f"topology.organisation_file={folder / 'organisations.csv'}")
    assert "topology.organisation_file" in stderr and "'capacity'" in stderr
    assert "row 2" in stderr
    assert not (out / "manifest.json").exists()


def test_network_view_shows_every_districts_trust(model):
    """The dashboard's network view has a node for each district's hospital trust (before,
    only the first district's: the second trust's volunteers had nothing to link to)."""
    from sim.dashboard.network_view import choose_sample, draw_network

    m = model
    fig = draw_network(m, choose_sample(m, max_residents=60))
    labels = {t.get_text() for t in fig.axes[0].texts}
    assert {"Sampleton-nhs-trust", "Downland-nhs-trust"} <= labels
    # each trust's node is where its volunteers' links end: one ring position per trust
    positions = {tuple(t.xy) for t in fig.axes[0].texts if t.get_text().endswith("nhs-trust")}
    assert len(positions) == 2


def test_network_view_of_one_district_names_its_trust_plainly():
    from sim.dashboard.network_view import choose_sample, draw_network

    m = CommunityModel(sim.compose(["topology=urban", "run.burn_in_days=0", "run.days=2"]))
    labels = [t.get_text() for t in draw_network(m, choose_sample(m, 40)).axes[0].texts]
    assert labels.count("hospital trust") == len(m.nhs_trusts) == 1
