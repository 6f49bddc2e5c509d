"""The places topology (sim.topology.places): the example county against its tables, a small user
table checked row by row, bad tables refused with the column named (also from the CLI), and
a short run."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from support import CONFIGS, refused_place_table, run_cli

import sim
from sim.model import CommunityModel
from sim.params import ConfigError, TopologyParams
from sim.topology.places import POP_COLUMNS, build_places, read_tables

SAMPLE = CONFIGS / "places" / "sample"
COUNTY = CONFIGS / "places" / "example_county"


def sample_params(folder=SAMPLE, registrations: bool = True, **kw) -> TopologyParams:
    return TopologyParams(kind="places", place_file=str(folder / "areas.csv"),
                          practice_file=str(folder / "practices.csv"),
                          registration_file=str(folder / "registrations.csv")
                          if registrations else "", **kw)


def sample_model(**overrides) -> CommunityModel:
    args = ["topology=places", f"topology.place_file={SAMPLE / 'areas.csv'}",
            f"topology.practice_file={SAMPLE / 'practices.csv'}",
            f"topology.registration_file={SAMPLE / 'registrations.csv'}",
            "run.burn_in_days=0", "run.days=2",
            *[f"{k}={v}" for k, v in overrides.items()]]
    return CommunityModel(sim.compose(args))


# ---------------------------------------------------------------- a small table, row by row


def test_sample_table_is_built_row_by_row():
    areas = pd.read_csv(SAMPLE / "areas.csv")
    regs = pd.read_csv(SAMPLE / "registrations.csv")
    m = sample_model()
    pop = m.pop
    assert len(m.units) == len(areas)
    assert pop.n == int(areas[list(POP_COLUMNS)].to_numpy().sum())
    for k, row in areas.iterrows():
        u = m.units[k]
        assert u.name == row["area"]
        sl = slice(u.start, u.stop)
        age, female = pop.age[sl], pop.female[sl]
        n = int(sum(row[c] for c in POP_COLUMNS))
        assert u.n_residents == n
        for sex, is_f in (("female", True), ("male", False)):
            for band, (lo, hi) in {"0_15": (0, 15), "16_64": (16, 64),
                                   "65_plus": (65, 200)}.items():
                got = int(((female == is_f) & (age >= lo) & (age <= hi)).sum())
                assert got == row[f"{sex}_{band}"], (row["area"], sex, band)
        lim = pop.limitation[sl]
        assert (lim == 2).sum() == round(row["share_limited_a_lot"] * n)
        assert (lim == 1).sum() == round(row["share_limited_a_little"] * n)
        assert pop.digital[sl].sum() == round(row["share_digital"] * n)
        assert np.unique(pop.household[sl]).size == row["households"]
        assert (pop.deprivation[sl] == (row["imd_decile"] + 1) // 2).all()
        assert pop.rural[sl].all() == (row["rural_urban"] != "C1")
        assert u.params.formal_charities == row["formal_charities"]
        assert u.params.community_groups == row["community_groups"]
        own = [g for g in m.groups_by_unit.get(k, []) if g.kind.value == "formal_charity"]
        assert len(own) == row["formal_charities"]
        # registered by the registration table's shares (whole residents, largest remainder)
        r = regs[regs["area"] == row["area"]]
        names = np.array([m.gp_practices[g].name for g in pop.gp[sl]])
        for prac, patients in zip(r["practice"], r["patients"], strict=True):
            expect = n * patients / r["patients"].sum()
            assert abs((names == prac).sum() - expect) < 1, (row["area"], prac)
    # households never above the model's largest
    assert np.bincount(pop.household).max() <= 8
    # every tie is between residents; household members are tied
    assert m.edges.min() >= 0 and m.edges.max() < pop.n


def test_sample_practices_link_workers_and_intermediaries():
    m = sample_model()
    practices = pd.read_csv(SAMPLE / "practices.csv")
    assert [gp.name for gp in m.gp_practices] == practices["practice"].tolist()
    by_name = {gp.name: gp for gp in m.gp_practices}
    a_index = {u.name: u.index for u in m.units}
    for row in practices.itertuples():
        assert by_name[row.practice].unit == a_index[row.area]
    # SGP001: one full-time post; SGP002 (no FTE of its own) shares its PCN's post;
    # SGP003: a 0.6 FTE post, working three days in five
    lw1 = by_name["SGP001"].link_workers
    assert len(lw1) == 1 and lw1[0].day_share == 1.0
    assert by_name["SGP002"].link_workers == lw1
    (lw3,) = by_name["SGP003"].link_workers
    assert lw3.day_share == pytest.approx(0.6)
    assert len(m.link_workers) == 2
    kinds = {type(h).__name__: 0 for h in m.intermediaries}
    for h in m.intermediaries:
        kinds[type(h).__name__] += 1
    # urban decile 1-2 areas get a locality officer (SMP0001), rural areas a parish council
    assert kinds == {"LocalityOfficer": 1, "ParishCouncil": 3, "PlaceHub": 2}
    lo = next(h for h in m.intermediaries if type(h).__name__ == "LocalityOfficer")
    assert m.units[lo.unit].name == "SMP0001"


def test_without_registrations_areas_share_their_pcn_by_list_size():
    t = sample_params(registrations=False)
    topo = build_places(t, np.random.default_rng(1))
    tables = read_tables(t)
    pr = tables.practices
    for k, row in tables.areas.iterrows():
        u = topo.units[k]
        serving = pr[pr["pcn"] == row["pcn"]]
        assert topo.practices_of_unit[k] == sorted(serving.index.tolist())
        got = np.bincount(topo.gp[u.start:u.stop], minlength=len(pr))[serving.index]
        expect = u.n_residents * serving["list_size"] / serving["list_size"].sum()
        assert np.all(np.abs(got - expect.to_numpy()) < 1)


def test_same_seed_same_place_and_a_short_run_completes():
    a = sample_model(**{"run.burn_in_days": 7, "run.days": 5})
    b = sample_model(**{"run.burn_in_days": 7, "run.days": 5})
    assert np.array_equal(a.edges, b.edges)
    a.run()
    b.run()
    ta, tb = a.timeseries(), b.timeseries()
    assert len(ta) == 5
    pd.testing.assert_frame_equal(ta, tb)
    assert (ta["n_residents"] == a.pop.n).all()


# ---------------------------------------------------------------- the example county


@pytest.fixture(scope="module")
def county():
    cfg = sim.compose(["topology=example_county", "run.burn_in_days=0", "run.days=1"])
    return CommunityModel(cfg)


def test_example_county_matches_its_tables(county):
    m = county
    areas = pd.read_csv(COUNTY / "areas.csv")
    practices = pd.read_csv(COUNTY / "practices.csv")
    area_pop = areas[list(POP_COLUMNS)].sum(axis=1)
    assert m.pop.n == area_pop.sum()
    assert 650_000 <= m.pop.n <= 750_000
    assert np.array_equal(np.bincount(m.pop.unit), area_pop.to_numpy())
    # practices: about 60, list sizes as the table (an area's residents are whole people: one
    # resident of rounding per area served), averaging about 10,000
    assert 55 <= len(m.gp_practices) <= 70
    lists = np.bincount(m.pop.gp, minlength=len(m.gp_practices))
    served = np.bincount([g for ids in m.practices_of_unit for g in ids],
                         minlength=len(m.gp_practices))
    assert np.all(np.abs(lists - practices["list_size"].to_numpy()) <= served)
    assert 9_000 <= lists.mean() <= 12_500
    assert lists.min() >= 3_000
    # PCNs of 30,000 to 50,000, as the table's areas add up
    pcn_of = areas["pcn"].to_numpy()[m.pop.unit]
    pcn_sizes = pd.Series(pcn_of).value_counts()
    assert pcn_sizes.between(30_000, 50_000).all()
    expected = area_pop.groupby(areas["pcn"]).sum().sort_index()
    assert list(pcn_sizes.sort_index().index) == list(expected.index)
    assert np.array_equal(pcn_sizes.sort_index().to_numpy(), expected.to_numpy())
    # every practice's patients live in its own PCN's areas
    prac_pcn = practices["pcn"].to_numpy()[m.pop.gp]
    assert (prac_pcn == pcn_of).all()
    # deprivation over all ten deciles, residents per decile as the table; quintiles follow
    decile = areas["imd_decile"].to_numpy()[m.pop.unit]
    assert set(np.unique(decile)) == set(range(1, 11))
    assert np.array_equal(np.bincount(decile, minlength=11)[1:],
                          area_pop.groupby(areas["imd_decile"]).sum().to_numpy())
    assert np.array_equal(m.pop.deprivation, (decile + 1) // 2)
    # a city, market towns and villages: urban and rural residents both
    assert 0.3 < m.pop.rural.mean() < 0.7
    # place charities in each of the five districts; one hub on each PCN
    for d in range(len(m.districts)):  # indexed under -1 - district
        place_charities = [g for g in m.groups_by_unit[-1 - d]
                           if g.kind.value == "formal_charity"]
        assert len(place_charities) == 3 and all(g.district == d for g in place_charities)
    assert len(m.districts) == areas["district"].nunique() == 5
    hubs = [h for h in m.intermediaries if type(h).__name__ == "PlaceHub"]
    assert len(hubs) == areas["pcn"].nunique()
    # link workers: the table's FTE as posts
    fte = sum(lw.day_share for lw in m.link_workers)
    assert fte == pytest.approx(practices["link_worker_fte"].sum())


def test_example_county_scales_down():
    cfg = sim.compose(["topology=example_county", "topology.place_scale=0.01",
                       "run.burn_in_days=0", "run.days=1"])
    m = CommunityModel(cfg)
    assert 6_000 < m.pop.n < 8_000
    assert len(m.units) == len(pd.read_csv(COUNTY / "areas.csv"))


# ---------------------------------------------------------------- bad tables


def copy_sample(tmp_path):
    for name in ("areas.csv", "practices.csv", "registrations.csv"):
        shutil.copy(SAMPLE / name, tmp_path / name)
    return tmp_path


def edit(path, row, col, value):
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[row, col] = value
    df.to_csv(path, index=False)


def drop(path, col):
    pd.read_csv(path, dtype=str).drop(columns=[col]).to_csv(path, index=False)


BAD = [
    ("areas.csv", lambda p: drop(p, "imd_decile"), "place_file", "imd_decile", "missing"),
    ("areas.csv", lambda p: drop(p, "pcn"), "place_file", "pcn", "missing"),
    ("areas.csv", lambda p: edit(p, 2, "male_16_64", "-4"), "place_file", "male_16_64",
     "row 3"),
    ("areas.csv", lambda p: edit(p, 0, "female_0_15", "12.5"), "place_file", "female_0_15",
     "whole numbers"),
    ("areas.csv", lambda p: edit(p, 1, "share_digital", "1.2"), "place_file", "share_digital",
     "from 0 to 1"),
    ("areas.csv", lambda p: edit(p, 1, "share_limited_a_lot", "0.95"), "place_file",
     "share_limited_a_lot", "at most 1"),
    ("areas.csv", lambda p: edit(p, 0, "imd_decile", "11"), "place_file", "imd_decile",
     "from 1 to 10"),
    ("areas.csv", lambda p: edit(p, 0, "rural_urban", "suburban"), "place_file",
     "rural_urban", "ONS"),
    ("areas.csv", lambda p: edit(p, 0, "households", "100"), "place_file", "households",
     "population / 8"),
    ("areas.csv", lambda p: edit(p, 0, "households", "9000"), "place_file", "households",
     "at most"),
    ("areas.csv", lambda p: edit(p, 3, "area", "SMP0001"), "place_file", "area", "again"),
    ("areas.csv", lambda p: edit(p, 3, "district", ""), "place_file", "district", "blank"),
    ("areas.csv", lambda p: edit(p, 0, "share_digital", "nan"), "place_file", "share_digital",
     "row 1"),
    ("practices.csv", lambda p: edit(p, 1, "pcn", "Nowhere PCN"), "practice_file", "pcn",
     "no PCN"),
    ("practices.csv", lambda p: edit(p, 2, "pcn", "Sampleton North PCN"), "practice_file",
     "pcn", "Sampleton South PCN"),
    ("practices.csv", lambda p: edit(p, 0, "area", "E01000000"), "practice_file", "area",
     "E01000000"),
    ("practices.csv", lambda p: edit(p, 0, "list_size", "-1"), "practice_file", "list_size",
     "row 1"),
    ("practices.csv", lambda p: edit(p, 0, "link_worker_fte", "inf"), "practice_file",
     "link_worker_fte", "row 1"),
    ("practices.csv", lambda p: drop(p, "list_size"), "practice_file", "list_size",
     "missing"),
    ("registrations.csv", lambda p: edit(p, 0, "area", "E01000000"), "registration_file",
     "area", "E01000000"),
    ("registrations.csv", lambda p: edit(p, 0, "patients", "-3"), "registration_file",
     "patients", "row 1"),
    ("registrations.csv", lambda p: edit(p, 0, "practice", "ZZZ"), "registration_file",
     "practice", "ZZZ"),
]


@pytest.mark.parametrize("name, mutate, key, column, words", BAD,
                         ids=[f"{b[0]}-{b[3]}-{k}" for k, b in enumerate(BAD)])
def test_bad_tables_are_refused_naming_the_column(tmp_path, name, mutate, key, column, words):
    folder = copy_sample(tmp_path)
    mutate(folder / name)
    with pytest.raises(ConfigError) as err:
        read_tables(sample_params(folder))
    msg = str(err.value)
    assert err.value.key == f"topology.{key}"
    assert f"'{column}'" in msg and words in msg, msg


def test_registrations_leaving_an_area_without_patients_are_refused(tmp_path):
    folder = copy_sample(tmp_path)
    regs = pd.read_csv(folder / "registrations.csv")
    regs[regs["area"] != "SMP0005"].to_csv(folder / "registrations.csv", index=False)
    with pytest.raises(ConfigError, match="'patients'.*SMP0005"):
        read_tables(sample_params(folder))


def test_missing_file_and_required_keys_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        read_tables(sample_params(tmp_path))
    with pytest.raises(ConfigError, match="topology.practice_file"):
        sim.compose(["topology=places", f"topology.place_file={SAMPLE / 'areas.csv'}",
                     "topology.practice_file="])


def test_cli_refuses_a_bad_table_with_status_2_and_no_traceback(tmp_path):
    folder = copy_sample(tmp_path)
    edit(folder / "areas.csv", 4, "share_limited_a_little", "1.5")
    out = tmp_path / "out"
    stderr = refused_place_table(folder, out)
    assert "topology.place_file" in stderr and "'share_limited_a_little'" in stderr
    assert "row 5" in stderr
    assert not out.exists() or not any(out.rglob("*.csv"))


def test_parquet_tables_build_the_same_place_as_csv(tmp_path):
    for name in ("areas", "practices", "registrations"):
        pd.read_csv(SAMPLE / f"{name}.csv").to_parquet(tmp_path / f"{name}.parquet")
    pq = TopologyParams(kind="places", place_file=str(tmp_path / "areas.parquet"),
                        practice_file=str(tmp_path / "practices.parquet"),
                        registration_file=str(tmp_path / "registrations.parquet"))
    a = build_places(sample_params(), np.random.default_rng(3))
    b = build_places(pq, np.random.default_rng(3))
    assert np.array_equal(a.edges, b.edges) and np.array_equal(a.gp, b.gp)
    pd.testing.assert_frame_equal(a.table, b.table)


def test_a_table_above_the_size_limits_is_refused_unless_allowed(tmp_path):
    folder = copy_sample(tmp_path)
    edit(folder / "areas.csv", 2, "male_16_64", "20000000")
    edit(folder / "areas.csv", 2, "households", "5000000")
    t = sample_params(folder)
    with pytest.raises(ConfigError, match="'female_0_15' to 'male_65_plus'.*allow_large"):
        build_places(t, np.random.default_rng(0))
    from sim.topology.places import check_sizes
    check_sizes(read_tables(t), allow_large=True)  # allowed: no error (not built: 20 M)


def test_a_place_table_above_the_limits_is_refused_before_its_other_cells_and_tables(
        tmp_path, monkeypatch):
    """Too many areas, or too many residents, are refused as soon as the place table's rows and
    population columns are read, naming the column: not after every cell and the practice
    table are checked (a 1.5-million-row table took 80 s and 1.3 GB before being refused for
    a practice's area). Here the practice table is also wrong, so the size message shows the
    size check came first."""
    from sim import limits

    folder = copy_sample(tmp_path)
    edit(folder / "practices.csv", 1, "area", "NOWHERE")
    edit(folder / "areas.csv", 3, "imd_decile", "11")
    t = sample_params(folder)
    monkeypatch.setattr(limits, "MAX_UNITS", 5)  # the sample has 6 areas
    with pytest.raises(ConfigError, match="column 'area' names 6 areas.*allow_large"):
        build_places(t, np.random.default_rng(0))
    monkeypatch.setattr(limits, "MAX_UNITS", 20_000)
    monkeypatch.setattr(limits, "MAX_RESIDENTS", 1_000)
    with pytest.raises(ConfigError, match="'female_0_15' to 'male_65_plus' add up.*allow_large"):
        build_places(t, np.random.default_rng(0))
    with pytest.raises(ConfigError, match="imd_decile"):  # allowed: the cells are checked
        build_places(t, np.random.default_rng(0), allow_large=True)


def test_link_workers_reach_every_area_their_practices_serve():
    """A PCN's link worker lists groups of all the areas its practices serve (not only the
    area its surgery is in), and works with those areas' locality officers."""
    m = sample_model()
    by_name = {gp.name: gp for gp in m.gp_practices}
    (lw,) = by_name["SGP001"].link_workers  # shared with SGP002: areas SMP0001-0003
    assert lw.reach == frozenset({0, 1, 2})
    (south,) = by_name["SGP003"].link_workers  # SMP0003 (a few patients) to SMP0006
    assert south.reach == frozenset({2, 3, 4, 5})
    listed = {g.index for g in m.groups if g.is_open and g.on_directory
              and g.kind.value != "lio" and g.unit in (-1, 0, 1, 2)}
    assert listed and listed <= lw.directory
    assert any(m.organisations[g].unit == 1 for g in lw.directory)  # beyond its own area
    assert not any(m.organisations[g].unit in (3, 4, 5) for g in lw.directory)
    lo = next(h for h in m.intermediaries if type(h).__name__ == "LocalityOfficer")
    assert frozenset((lw.unique_id, lo.unique_id)) in m._cross_ties
    assert frozenset((south.unique_id, lo.unique_id)) not in m._cross_ties
    # a practice can tie with groups of every area it serves
    options = {g.unit for g in m._gp_tie_options(by_name["SGP002"])}
    assert {0, 1, 2} <= options | {-1} and not options & {3, 4, 5}


def test_one_hub_on_each_pcn_serves_only_its_areas():
    """Place-based hubs on PCN geographies (003:170): each area's residents reach their PCN's
    hub, not the other's; a unit's own intermediaries come too."""
    m = sample_model()
    hubs = [h for h in m.intermediaries if type(h).__name__ == "PlaceHub"]
    assert sorted(h.name for h in hubs) == ["hub-Sampleton North PCN",
                                            "hub-Sampleton South PCN"]
    north = next(h for h in hubs if "North" in h.name)
    assert north.units == frozenset({0, 1, 2})
    for unit in range(6):
        served = [h for h in m.intermediaries_for(unit) if type(h).__name__ == "PlaceHub"]
        assert len(served) == 1 and unit in served[0].units
    assert any(type(h).__name__ == "LocalityOfficer" for h in m.intermediaries_for(0))
    assert any(type(h).__name__ == "ParishCouncil" for h in m.intermediaries_for(4))


def test_a_places_run_with_a_hub_and_an_emergency_saves_loads_and_continues(tmp_path):
    """The scenario machinery runs on a place unchanged: hubs opened by the place_hub event
    signpost, and a saved model continues to the same outputs."""
    over = {"run.burn_in_days": 14, "run.days": 12, "scenario": "place_based_hub"}
    straight = sample_model(**over)
    straight.run()
    first = sample_model(**over)
    first.run(5)
    loaded = CommunityModel.load(first.save(tmp_path / "day5.model"))
    loaded.run()
    pd.testing.assert_frame_equal(loaded.timeseries(), straight.timeseries(), check_exact=True)
    assert straight.timeseries()["new_signposted_hub"].sum() > 0


def test_cli_runs_a_place_table_end_to_end(tmp_path):
    out = tmp_path / "run"
    res = run_cli("topology=places", "topology.place_file=places/sample/areas.csv",
                  "topology.practice_file=places/sample/practices.csv",
                  "topology.registration_file=places/sample/registrations.csv",
                  "run.days=3", "run.burn_in_days=7", "run.plots=false", f"hydra.run.dir={out}",
                  cwd=tmp_path)  # relative paths: found under configs/
    assert res.returncode == 0, res.stderr
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert len(ts) == 3 and (ts["n_residents"] == 9674).all()


def test_the_shipped_example_county_is_what_its_seeded_script_makes(tmp_path):
    from support import REPO, load_script

    module = load_script(REPO / "experiments" / "make_example_county.py")
    module.main(["--out", str(tmp_path)])
    for name in ("areas.csv", "practices.csv"):
        assert (tmp_path / name).read_bytes() == (COUNTY / name).read_bytes(), name


def test_locality_officers_work_patches_of_deprived_urban_areas(county):
    """In each PCN, urban areas of deciles 1-2 are shared among officers in patches of about
    8,000 residents (the Case A estate); every such area has exactly one officer."""
    m = county
    areas = pd.read_csv(COUNTY / "areas.csv")
    pop = areas[list(POP_COLUMNS)].sum(axis=1).to_numpy()
    eligible = set(np.flatnonzero((areas["rural_urban"] == "C1") & (areas["imd_decile"] <= 2)))
    officers = [h for h in m.intermediaries if type(h).__name__ == "LocalityOfficer"]
    covered = [u for h in officers for u in h.served_units]
    assert sorted(covered) == sorted(eligible)  # each eligible area once, no other
    for h in officers:
        units = sorted(h.served_units)
        assert areas["pcn"].iloc[units].nunique() == 1
        assert h.unit in h.served_units
        assert areas["imd_decile"].iloc[h.unit] == areas["imd_decile"].iloc[units].min()
        size = pop[units].sum()
        assert size < 8_000 * 1.5 + pop.max()
        # every area it serves lists it among its intermediaries
        assert all(h in m.intermediaries_for(u) for u in units)
    big = [h for h in officers if len(h.served_units) > 1]
    assert big  # patches span several areas
    assert len(officers) == pytest.approx(pop[sorted(eligible)].sum() / 8_000, rel=0.5)
