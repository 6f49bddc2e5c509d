"""The county topology (sim.topology.county): a synthetic county at any size, built through the
place-table path, against what the generator promises (population, districts, PCNs, practice
list sizes, link workers, deprivation spread, parish councils), and its bad parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support import leftovers, run_cli

import sim
from sim.model import CommunityModel
from sim.params import ConfigError
from sim.scenarios import config_dir
from sim.topology import build_topology
from sim.topology.county import make_county_tables
from sim.topology.places import _largest_remainder, read_place_table


def county_cfg(n: int, *extra: str):
    return sim.compose(["topology=county", f"topology.n_residents={n}", *extra])


def build(n: int, *extra: str, seed: int = 1):
    cfg = county_cfg(n, *extra)
    return cfg.topology, build_topology(cfg.topology, np.random.default_rng(seed),
                                        population=cfg.population)


@pytest.mark.parametrize("n", [20_000, 100_000, 700_000])
def test_the_county_keeps_its_promises_at_each_size(n):
    t, topo = build(n)
    areas = topo.areas
    # population: exactly n, residents contiguous by area
    assert topo.n == n == int(areas["population"].sum())
    assert [u.n_residents for u in topo.units] == areas["population"].tolist()
    # settlements: villages (rural), the county town and market towns (urban) in their shares
    n_rural = round(n * t.rural_share)
    n_town = min(round(n * t.county_town_share), n - n_rural)
    by_kind = areas.groupby("settlement_type")["population"].sum()
    assert by_kind["villages"] == n_rural == int(areas.loc[areas["rural"], "population"].sum())
    assert by_kind["city"] == n_town and by_kind["town"] == n - n_rural - n_town
    town = areas[areas["settlement_type"] == "city"]
    assert (town["settlement"] == "County town").all() and not town["rural"].any()
    # deprivation: all ten deciles, the county town's among them the most deprived
    if n >= 100_000:
        assert sorted(areas["imd_decile"].unique()) == list(range(1, 11))
        assert {1, 2} <= set(town["imd_decile"])
        assert town["imd_decile"].mean() < areas.loc[areas["rural"], "imd_decile"].mean()
    # districts: a county town of at least half a district's mean is a district of its own;
    # the rest in round(rest / 140,000) districts of unequal size, each with the same share
    # of villages (whole numbers by largest remainder)
    pop_d = areas.groupby("district", sort=False)["population"].sum()
    rural_d = areas[areas["rural"]].groupby("district", sort=False)["population"].sum()
    if n_town >= t.county_district_residents / 2:
        assert set(town["district"]) == {"District 1"} and pop_d["District 1"] == n_town
        others = pop_d.drop("District 1")
        assert len(others) == max(1, round((n - n_town) / t.county_district_residents))
    else:
        others = pop_d
        assert len(pop_d) == max(1, round(n / t.county_district_residents))
    assert rural_d.reindex(others.index).tolist() == _largest_remainder(
        n_rural, others.to_numpy().astype(float)).tolist()
    if len(others) > 2:
        assert others.max() - others.min() > 0.05 * others.mean()  # unequal
        assert others.min() > 0.5 * others.mean() and others.max() < 1.5 * others.mean()
    # market towns: round(district's market-town residents / 20,000) per district, at least
    # one, of unequal size
    market = areas[areas["settlement_type"] == "town"]
    for _, g in market.groupby("district", sort=False):
        sizes = g.groupby("settlement")["population"].sum()
        assert len(sizes) == max(1, round(int(g["population"].sum())
                                          / t.county_market_town_residents))
    # PCNs: with any number of PCNs able to make 30,000-50,000 in a district, each is that
    # size give or take the one area that straddles a cut
    biggest_area = int(areas["population"].max())
    for _, g in areas.groupby("district", sort=False):
        res = int(g["population"].sum())
        sizes = g.groupby("pcn")["population"].sum()
        if any(30_000 <= res / k <= 50_000 for k in range(1, res // 30_000 + 1)):
            assert sizes.min() >= 30_000 - biggest_area and sizes.max() <= 50_000 + biggest_area
        else:
            assert len(sizes) == max(1, round(res / t.county_pcn_residents))
    pcn = areas.groupby("pcn", sort=False)["population"].sum()
    # practices: round(PCN / 10,000) per PCN, list sizes adding up to the PCN; each
    # resident registered in their own PCN, so the lists are the registered residents
    specs = topo.practices
    lists = np.bincount(topo.gp, minlength=len(specs))
    by_pcn = pd.Series(lists).groupby([s.pcn for s in specs], sort=False).agg(["size", "sum"])
    assert (by_pcn["sum"] == pcn[by_pcn.index]).all()
    assert by_pcn["size"].tolist() == [max(1, round(p / t.county_practice_list_size))
                                       for p in pcn[by_pcn.index]]
    assert (lists > 0).all()
    assert 0.75 * 10_000 <= lists.mean() <= 1.5 * 10_000
    pcn_of_resident = areas["pcn"].to_numpy()[topo.unit_of]
    assert (np.array([s.pcn for s in specs])[topo.gp] == pcn_of_resident).all()
    # link workers: each PCN's FTE by its patients (one per 20,000 in half posts, at least 1)
    fte = pd.Series([sum(s.lw_day_shares) for s in specs]).groupby(
        [s.pcn for s in specs], sort=False).sum()
    want = [max(1.0, round(2 * p / t.county_patients_per_link_worker_fte) / 2)
            for p in pcn[fte.index]]
    assert np.allclose(fte.to_numpy(), want)
    # parish councils only in rural areas
    assert not areas.loc[~areas["rural"], "parish_council"].any()


def test_districts_are_of_unequal_size_and_follow_their_concentration():
    """Over seeds, the rural districts' sizes vary about as a Dirichlet split of the given
    concentration says (coefficient of variation sqrt((k - 1) / (k c + 1))), and more
    equally at a higher concentration."""
    def spread(conc: float) -> float:
        cvs = []
        for seed in range(12):
            tables = make_county_tables(county_cfg(
                700_000, f"topology.county_district_size_concentration={conc}").topology,
                np.random.default_rng(seed))
            pop = tables.areas.groupby("district")["population"].sum().drop("District 1")
            cvs.append(pop.std(ddof=0) / pop.mean())
        return float(np.sqrt(np.mean(np.square(cvs))))

    k = 4  # 532,000 outside the county town: four districts
    for conc in (20.0, 200.0):
        want = np.sqrt((k - 1) / (k * conc + 1)) * np.sqrt((k - 1) / k)  # population sd
        assert 0.6 * want <= spread(conc) <= 1.5 * want


def test_the_county_town_has_the_most_deprived_areas_and_deprivation_is_spread():
    t, topo = build(100_000)
    areas = topo.areas
    assert sorted(areas["imd_decile"].unique()) == list(range(1, 11))
    # each kind of settlement takes its template rows in the template's decile mix
    from sim.topology.county import _pool, _template

    template = _template(t)
    for kind in ("city", "town", "villages"):
        got = areas[areas["settlement_type"] == kind]["imd_decile"].value_counts()
        mix = _pool(template, kind)["imd_decile"].value_counts().sort_index()
        want = _largest_remainder(int(got.sum()), mix.to_numpy().astype(float))
        assert got.reindex(mix.index, fill_value=0).tolist() == want.tolist()
    town = areas[areas["settlement_type"] == "city"]
    assert {1, 2} <= set(town["imd_decile"]) and town["imd_decile"].nunique() >= 8
    assert areas.loc[areas["rural"], "imd_decile"].min() >= 2  # villages: few deprived
    # the most deprived urban areas get locality officers; the rural areas none
    officers = topo.officers
    assert officers and all(not areas.at[h, "rural"] for h, _ in officers)


def test_the_template_s_own_districts_and_pcns_are_not_read(tmp_path):
    """The county assigns districts and PCNs itself: a template without those columns (or
    with other values in them) makes the same county."""
    template = pd.read_csv(config_dir() / "places/example_county/areas.csv")
    bare = tmp_path / "bare.csv"
    template.drop(columns=["district", "pcn"]).to_csv(bare, index=False)
    other = tmp_path / "other.csv"
    template.assign(district="X", pcn="Y").to_csv(other, index=False)
    made = [make_county_tables(county_cfg(50_000, f"topology.county_area_file={f}").topology,
                               np.random.default_rng(3)).areas
            for f in ("places/example_county/areas.csv", bare, other)]
    pd.testing.assert_frame_equal(made[0], made[1])
    pd.testing.assert_frame_equal(made[0], made[2])
    # a place table, by contrast, must carry them (its own districts and PCNs are used)
    with pytest.raises(ConfigError, match=r"^topology.place_file: .*column 'district' is "
                                          r"missing"):
        read_place_table(str(bare))


def test_a_template_without_settlement_types_samples_towns_from_all_urban_rows(tmp_path):
    template = pd.read_csv(config_dir() / "places/example_county/areas.csv")
    path = tmp_path / "untyped.csv"
    template.drop(columns=["settlement_type"]).to_csv(path, index=False)
    t = county_cfg(100_000, f"topology.county_area_file={path}").topology
    areas = make_county_tables(t, np.random.default_rng(1)).areas
    assert areas.groupby("settlement_type")["population"].sum().to_dict() == {
        "city": 24_000, "town": 51_000, "villages": 25_000}
    bad = tmp_path / "bad.csv"
    template.assign(settlement_type="hamlet").to_csv(bad, index=False)
    with pytest.raises(ConfigError, match=r"^topology.county_area_file: .*'settlement_type' "
                                          r"must hold one of city, town, villages; row 1"):
        make_county_tables(county_cfg(5000, f"topology.county_area_file={bad}").topology,
                           np.random.default_rng(1))


@pytest.mark.parametrize(("n", "share"), [(1000, 0.0), (1000, 1.0), (50_000, 0.9),
                                          (2_000_000, 0.3)])
def test_any_size_and_rural_share_makes_a_whole_county(n, share):
    t = county_cfg(n, f"topology.rural_share={share}").topology
    areas = make_county_tables(t, np.random.default_rng(2)).areas
    assert int(areas["population"].sum()) == n and (areas["population"] >= 1).all()
    assert int(areas.loc[areas["rural"], "population"].sum()) == round(n * share)
    assert areas["district"].iloc[0] == "District 1" and areas["area"].is_unique


def test_parish_councils_follow_their_share():
    _, none = build(100_000, "topology.county_share_rural_parish_council=0")
    _, every = build(100_000, "topology.county_share_rural_parish_council=1")
    _, some = build(300_000)
    assert not none.areas["parish_council"].any()
    assert (every.areas["parish_council"] == every.areas["rural"]).all()
    rural = int(some.areas["rural"].sum())
    assert 0 < int(some.areas["parish_council"].sum()) < rural / 2


def test_one_seed_decides_the_county():
    t = county_cfg(60_000).topology
    a = make_county_tables(t, np.random.default_rng(5))
    b = make_county_tables(t, np.random.default_rng(5))
    c = make_county_tables(t, np.random.default_rng(6))
    pd.testing.assert_frame_equal(a.areas, b.areas)
    pd.testing.assert_frame_equal(a.practices, b.practices)
    assert not a.areas[["imd_decile", "female_16_64"]].equals(c.areas[["imd_decile",
                                                                       "female_16_64"]])


def test_small_counties_build_and_run_with_districts_pcns_and_hubs():
    m = CommunityModel(county_cfg(3000, "run.burn_in_days=0", "run.days=2"))
    assert m.pop.n == 3000 and m.districts == ["District 1"]
    assert len(m.gp_practices) == 1 and len(m.link_workers) == 1
    assert [h.name for h in m.intermediaries if type(h).__name__ == "PlaceHub"] == \
        ["hub-District 1 PCN 1"]
    m.run(2)
    _, topo = build(1)
    assert topo.n == 1 and len(topo.practices) == 1


@pytest.mark.parametrize(("override", "key", "words"), [
    ("topology.county_pcn_residents=0", "topology.county_pcn_residents", ">= 1000"),
    ("topology.county_practice_list_size=-5", "topology.county_practice_list_size", ">= 500"),
    ("topology.county_share_rural_parish_council=1.5",
     "topology.county_share_rural_parish_council", "between 0.0 and 1.0"),
    ("topology.county_town_share=1.5", "topology.county_town_share", "between 0.0 and 1.0"),
    ("topology.county_market_town_residents=100", "topology.county_market_town_residents",
     ">= 500"),
    ("topology.county_district_size_concentration=0.5",
     "topology.county_district_size_concentration", "between 1.0 and 10000.0"),
    ("topology.county_market_town_size_concentration=nan",
     "topology.county_market_town_size_concentration", "finite"),
    ("topology.county_area_file=/nonexistent/areas.csv", "topology.county_area_file",
     "file not found"),
    ("topology.organisation_file=orgs.csv", "topology.organisation_file",
     "only when topology.kind=places"),
    ("topology.registration_file=regs.csv", "topology.registration_file",
     "only when topology.kind=places"),
])
def test_bad_county_parameters_are_refused_by_name(tmp_path, override, key, words):
    out = tmp_path / "out"
    res = run_cli("topology=county", "topology.n_residents=2000", override, "run.days=2",
                  f"hydra.run.dir={out}")
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    assert key in res.stderr and words in res.stderr, res.stderr
    assert leftovers(out) == []


def test_the_template_file_is_part_of_the_burn_in_key(tmp_path):
    from sim.burn_in import burn_in_key

    template = (config_dir() / "places/example_county/areas.csv").read_text()
    path = tmp_path / "areas.csv"
    path.write_text(template)
    key = burn_in_key(county_cfg(5000, f"topology.county_area_file={path}"))
    assert key == burn_in_key(county_cfg(5000, f"topology.county_area_file={path}"))
    path.write_text(template.replace(",8,C1,", ",7,C1,", 1))
    assert key != burn_in_key(county_cfg(5000, f"topology.county_area_file={path}"))


def test_a_template_without_rural_areas_is_refused_for_a_rural_share(tmp_path):
    template = pd.read_csv(config_dir() / "places/example_county/areas.csv")
    urban = template[template["rural_urban"] == "C1"]
    path = tmp_path / "urban.csv"
    urban.to_csv(path, index=False)
    t = county_cfg(5000, f"topology.county_area_file={path}").topology
    with pytest.raises(ConfigError, match=r"^topology.county_area_file: .*no rural area"):
        make_county_tables(t, np.random.default_rng(1))
    t0 = county_cfg(5000, f"topology.county_area_file={path}", "topology.rural_share=0").topology
    assert not make_county_tables(t0, np.random.default_rng(1)).areas["rural"].any()


# ---------------------------------------------------------------- commissioning per district


@pytest.fixture(scope="module")
def two_districts():
    """A county of three districts (a county town of 72,000 and two of about 114,000), no
    burn-in."""
    return CommunityModel(county_cfg(300_000, "run.burn_in_days=0", "run.days=400"))


@pytest.mark.parametrize("rule", ["agile", "even", "neediest_unit"])
def test_each_district_commissions_its_share_of_places_in_its_own_district(two_districts,
                                                                           rule):
    m = two_districts
    assert len(m.districts) == 3
    m.commissioners, m.commissioner = [], None
    m.apply_event("commissioning", {"places_per_review": 11, "review_days": 90, "rule": rule})
    assert [c.district for c in m.commissioners] == [0, 1, 2]
    assert m.commissioner is m.commissioners[0] is m.get_commissioner()
    residents = m.district_residents()
    assert [c.plans[0].places_per_review for c in m.commissioners] == \
        _largest_remainder(11, residents.astype(float)).tolist()
    groups = list(m.groups)
    for c in m.commissioners:
        before = {g.index: g.extra_places for g in m.groups}
        n_groups = len(m.groups)
        c._commission(c.plans[0])
        added = [(g, g.extra_places - before.get(g.index, 0)) for g in m.groups]
        funded = [g for g, k in added if k > 0]
        assert sum(k for _, k in added) == c.plans[0].places_per_review
        assert funded and all(g.district == c.district for g in funded)
        assert all(g.district == c.district for g in m.groups[n_groups:])  # new groups too
    assert m.groups[:len(groups)] == groups


@pytest.mark.parametrize("rule", ["agile", "even"])
def test_a_district_without_open_groups_reallocates_its_places_to_other_districts(
        two_districts, rule):
    """A district whose groups are all unconstituted funds its share in the other districts'
    groups (counted as reallocated); with no group anywhere the places are counted as
    unplaced, not silently dropped. Neediest unit stays in its own district (a new group)."""
    m = two_districts
    m.commissioners, m.commissioner = [], None
    m.apply_event("commissioning", {"places_per_review": 30, "review_days": 90, "rule": rule})
    c = m.commissioners[1]
    k = c.plans[0].places_per_review
    assert k > 0
    mine = [g for g in m.groups if g.district == 1 and g.constituted]
    everyone = [g for g in m.groups if g.constituted]
    try:
        for g in mine:
            g.constituted = False
        m.flows.clear()
        before = {g.index: g.extra_places for g in m.groups}
        c._commission(c.plans[0])
        added = {g.index: g.extra_places - before[g.index] for g in m.groups}
        assert sum(added.values()) == k
        assert all(g.district != 1 for g in m.groups if added[g.index] > 0)
        assert len({g.district for g in m.groups if added[g.index] > 0}) == 2  # both others
        assert m.flows["new_commissioned_places"] == k
        assert m.flows["new_commissioned_places_reallocated"] == k
        assert "new_commissioned_places_unplaced" not in m.flows
        for g in everyone:
            g.constituted = False
        m.flows.clear()
        c._commission(c.plans[0])
        assert m.flows == {"new_commissioned_places_unplaced": k}
        # the districts that have groups are untouched by the rule: no reallocation
        for g in everyone:
            g.constituted = True
        m.flows.clear()
        m.commissioners[2]._commission(m.commissioners[2].plans[0])
        assert "new_commissioned_places_reallocated" not in m.flows
    finally:
        for g in everyone:
            g.constituted = True


def test_neediest_unit_commissioning_stays_in_its_district(two_districts):
    m = two_districts
    m.commissioners, m.commissioner = [], None
    m.apply_event("commissioning", {"places_per_review": 30, "review_days": 90,
                                    "rule": "neediest_unit"})
    c = m.commissioners[1]
    mine = [g for g in m.groups if g.district == 1 and g.constituted]
    try:
        for g in mine:
            g.constituted = False
        m.flows.clear()
        n_groups = len(m.groups)
        c._commission(c.plans[0])
        assert len(m.groups) == n_groups + 1 and m.groups[-1].district == 1
        assert "new_commissioned_places_reallocated" not in m.flows
    finally:
        for g in mine:
            g.constituted = True


def test_each_district_carries_the_tapered_grants_of_its_own_practices(two_districts):
    m = two_districts
    m.commissioners, m.commissioner = [], None
    m.apply_event("tapered_grant", {})
    with_posts = [gp for gp in m.gp_practices if gp.link_workers]
    grants = [g for c in m.commissioners for g in c.grants]
    assert sorted(g.practice.index for g in grants) == sorted(gp.index for gp in with_posts)
    for c in m.commissioners:
        assert c.grants and all(m.district_of_unit[g.practice.unit] == c.district
                                for g in c.grants)


def test_one_district_keeps_one_commissioner_for_the_whole_place():
    m = CommunityModel(county_cfg(20_000, "run.burn_in_days=0", "run.days=10",
                                  "scenario=agile_commissioning"))
    (c,) = m.commissioners
    assert c.district is None and c.plans[0].places_per_review == 10


def test_an_area_left_empty_by_rescaling_gets_a_working_age_resident():
    """An area that rescaling would leave empty takes one resident from the largest: a woman
    aged 16-64, not an older resident."""
    from sim.topology.county import _rescale, _template
    from sim.topology.places import POP_COLUMNS

    rows = _template(county_cfg(20_000).topology).head(3).reset_index(drop=True)
    cols = list(POP_COLUMNS)
    rows.loc[2, cols] = 0
    rows.loc[2, "male_65_plus"] = 1  # a tiny area of one older man: its share rounds to nobody
    rows["population"] = rows[cols].sum(axis=1)
    counts = _rescale(rows, 50)[cols].to_numpy()
    assert counts.sum() == 50 and (counts.sum(axis=1) >= 1).all()
    assert counts[2].tolist() == [int(c == "female_16_64") for c in cols]


def test_no_district_or_market_town_falls_below_a_quarter_of_the_mean():
    """At the lowest allowed concentrations a Dirichlet split alone leaves districts of a few
    hundred residents (each with its own LIO, council and trust); the floor keeps every
    district and town at least a quarter of its mean (give or take rounding)."""
    from sim.topology.county import settlements

    t = county_cfg(3_000_000, "topology.county_district_residents=100000",
                   "topology.county_district_size_concentration=1",
                   "topology.county_market_town_size_concentration=1").topology
    for seed in range(3):
        s = settlements(t, np.random.default_rng(seed))
        rest = s[s["kind"] != "city"]
        districts = rest.groupby("district")["residents"].sum()
        assert len(districts) == 23  # round(2,280,000 / 100,000) outside the county town
        assert districts.min() >= 0.25 * districts.mean() - 1
        towns = rest[rest["kind"] == "town"].groupby("district")["residents"]
        assert (towns.min() >= 0.25 * towns.mean() - 1).all()


def test_a_template_s_settlement_type_must_agree_with_its_rural_urban_class(tmp_path):
    template = pd.read_csv(config_dir() / "places/example_county/areas.csv")
    row = int(np.flatnonzero(template["settlement_type"] == "villages")[0])
    template.loc[row, "settlement_type"] = "town"  # a rural area typed as a town
    bad = tmp_path / "clash.csv"
    template.to_csv(bad, index=False)
    with pytest.raises(ConfigError, match=rf"^topology.county_area_file: .*'settlement_type' "
                                          rf"must be 'villages' for a rural area.*row {row + 1}"):
        make_county_tables(county_cfg(5000, f"topology.county_area_file={bad}").topology,
                           np.random.default_rng(1))


def test_the_run_s_area_tables_carry_the_county_s_settlements():
    from sim import runner

    cfg = sim.compose(["topology=county", "topology.n_residents=20000",
                       "run.burn_in_days=5", "run.days=3", "run.plots=false"])
    res = runner.run(cfg)
    by_type = res.areas.groupby("settlement_type")["n_residents"].sum()
    assert set(by_type.index) == {"city", "town", "villages"}
    assert by_type.sum() == 20_000
    assert (res.areas.loc[res.areas["settlement_type"] == "city", "settlement"]
            == "County town").all()
    urban = runner.run(sim.compose(["topology=urban", "run.burn_in_days=5", "run.days=3",
                                    "run.plots=false"]))
    assert (urban.areas[["settlement", "settlement_type"]] == "").all().all()
