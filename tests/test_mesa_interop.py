"""Mesa's own tools on the model: run_model stops at run.days, rng= and keyword parameters,
mesa.batch_run, the DataCollector view read by Solara plot components, save and load."""

from __future__ import annotations

import copy
import json
import pickle
import warnings

import mesa
import numpy as np
import pandas as pd
import pytest
from support import small_config

import sim
from sim import metrics
from sim.model import CommunityModel, RunFinished
from sim.params import ConfigError
from sim.signed import UntrustedFile

# a tiny rural world with a short burn-in: a few seconds for everything below
TINY = {"topology.kind": "rural", "topology.n_residents": 380, "run.burn_in_days": 28,
        "days": 12}


def tiny_config(days: int = 12, seed: int = 5):
    cfg = small_config("rural", days=days, seed=seed)
    cfg.run.burn_in_days = 28
    return cfg


# ------------------------------------------------------------------ stopping at run.days
def test_run_model_stops_after_the_last_day_and_further_steps_are_refused():
    model = CommunityModel(tiny_config(days=12))
    assert model.running and model.steps == 0 and model.time == 0.0  # burn-in not on Mesa's clock
    assert model.day == 28
    model.run_model()
    assert not model.running
    assert (model.output_day, model.steps, model.time, len(model.rows)) == (12, 12, 12.0, 12)
    with pytest.raises(RunFinished, match=r"output day 12 of run.days=12.*extend"):
        model.step()
    assert (model.steps, model.day, len(model.rows)) == (12, 40, 12)  # nothing moved
    model.extend(3)
    assert model.running and model.cfg.run.days == 15
    model.run_model()
    assert (model.output_day, len(model.rows), model.running) == (15, 15, False)
    with pytest.raises(ConfigError, match="days: must be a whole number >= 1"):
        model.extend(0)


def test_stopping_leaves_the_table_as_sim_run_gives_it():
    cfg = tiny_config(days=12)
    model = CommunityModel(cfg)
    model.run_model()
    pd.testing.assert_frame_equal(model.timeseries(), sim.run(cfg).timeseries, check_exact=True)


def test_run_with_days_goes_past_run_days_on_request():
    model = CommunityModel(tiny_config(days=5))
    model.run(8)  # an explicit number of days moves run.days on
    assert (model.output_day, model.cfg.run.days, model.running) == (8, 8, False)
    model.run()  # to the end of run.days: nothing left
    assert model.output_day == 8


# ------------------------------------------------------------------ rng= and keywords
def test_rng_is_the_base_seed_and_decides_every_output():
    a = CommunityModel(tiny_config(seed=5), rng=9)
    b = CommunityModel(tiny_config(seed=9))
    assert a.cfg.run.seed == 9
    a.run_model()
    b.run_model()
    pd.testing.assert_frame_equal(a.timeseries(), b.timeseries(), check_exact=True)
    assert a.random.random() == b.random.random()  # Mesa's generators follow the seed too
    seeded = CommunityModel(tiny_config(), seed=9)  # Mesa's older name for the same thing
    assert seeded.cfg.run.seed == 9


def test_seed_likes_map_deterministically_onto_run_seed():
    cfg = tiny_config()
    cfg.run.days = 1
    from_seq = [CommunityModel(cfg, start=False, rng=np.random.SeedSequence(42)).cfg.run.seed
                for _ in range(2)]
    from_gen = [CommunityModel(cfg, start=False, rng=np.random.default_rng(42)).cfg.run.seed
                for _ in range(2)]
    from_list = CommunityModel(cfg, start=False, rng=[4, 2]).cfg.run.seed
    assert from_seq[0] == from_seq[1] and from_gen[0] == from_gen[1]
    assert 0 <= from_list <= 2**63 - 1 and len({from_seq[0], from_gen[0], from_list}) == 3
    for bad, message in ((-1, "rng: must be between 0"), (1.5, "rng: must be a whole number"),
                         (True, "rng: must be a whole number")):
        with pytest.raises(ConfigError, match=message):
            CommunityModel(cfg, rng=bad)
    with pytest.raises(ConfigError, match="either rng or seed"):
        CommunityModel(cfg, rng=1, seed=2)
    with pytest.raises(ConfigError, match="run.seed"):
        CommunityModel(cfg, rng=1, **{"run.seed": 2})


def test_no_rng_and_no_keywords_builds_exactly_the_config():
    cfg = tiny_config(seed=5)
    plain, keyed = CommunityModel(cfg), CommunityModel(cfg, rng=None)
    plain.run_model()
    keyed.run_model()
    assert keyed.cfg == plain.cfg == cfg
    pd.testing.assert_frame_equal(plain.timeseries(), keyed.timeseries(), check_exact=True)


def test_keyword_parameters_set_dotted_keys_without_touching_the_callers_config():
    cfg = tiny_config()
    model = CommunityModel(cfg, start=False, days=30, replicate=2, link_worker__caseload_cap=7,
                           **{"need.p_hidden": 0.2})
    assert (model.cfg.run.days, model.cfg.run.replicate) == (30, 2)
    assert (model.cfg.link_worker.caseload_cap, model.cfg.need.p_hidden) == (7, 0.2)
    assert cfg.run.days == 12 and cfg.link_worker.caseload_cap != 7
    assert CommunityModel(start=False, **TINY).cfg.topology.n_residents == 380  # from Config()


def test_bad_keyword_parameters_name_the_key_and_what_is_allowed():
    cfg = tiny_config()
    with pytest.raises(ConfigError, match=r"link_worker\.caseload_capp: is not a keyword "
                                          r"parameter \(close matches: link_worker\.caseload_cap"
                                          r".*allowed: dotted parameter keys"):
        CommunityModel(cfg, **{"link_worker.caseload_capp": 3})
    with pytest.raises(ConfigError, match="width: is not a keyword parameter.*allowed:"):
        CommunityModel(cfg, width=10)
    with pytest.raises(ConfigError, match=r"link_worker\.caseload_cap: must be a whole number "
                                          r"\(got '20'\)"):
        CommunityModel(cfg, link_worker__caseload_cap="20")
    with pytest.raises(ConfigError, match="link_worker: is a section"):
        CommunityModel(cfg, link_worker=3)
    with pytest.raises(ConfigError, match="run.days.*'days' sets too|days.*run.days"):
        CommunityModel(cfg, days=3, **{"run.days": 4})
    with pytest.raises(ConfigError, match="topology: chooses config files"):
        CommunityModel(cfg, topology="rural")
    with pytest.raises(ConfigError, match="scenario: must be a scenario name"):
        CommunityModel(scenario=3)


def test_topology_scenario_and_overrides_compose_as_the_command_line_does():
    model = CommunityModel(topology="rural", scenario="lockdown", days=160, start=False,
                           overrides=["run.burn_in_days=0", "run.seed=3"])
    expected = sim.compose(["topology=rural", "scenario=lockdown", "run.burn_in_days=0",
                            "run.seed=3", "run.days=160"])
    assert model.cfg == expected
    assert model.cfg.events  # the lockdown's timeline came with it


# ------------------------------------------------------------------ DataCollector view
def test_datacollector_is_a_mesa_datacollector_over_the_daily_table():
    model = CommunityModel(tiny_config(days=6))
    dc = model.datacollector
    assert isinstance(dc, mesa.DataCollector) and model.datacollector is dc
    assert dc.get_model_vars_dataframe().empty and dc._collection_steps == []
    model.step()
    model.step()
    frame = dc.get_model_vars_dataframe()
    assert frame.index.tolist() == [1, 2] and dc._collection_steps == [1, 2]
    model.run_model()
    frame = dc.get_model_vars_dataframe()
    ts = model.timeseries()
    assert frame.index.tolist() == list(range(1, 7)) and frame.index.name is None
    pd.testing.assert_frame_equal(frame.reset_index(drop=True), ts, check_exact=True)
    assert dc.model_vars["n_unmet_need"] == ts["n_unmet_need"].tolist()
    assert set(dc.model_reporters) == set(ts.columns)
    dc.collect(model)  # the model has collected its day already: no duplicate rows
    assert len(dc.get_model_vars_dataframe()) == 6


def test_solara_plot_components_read_the_daily_table():
    solara = pytest.importorskip("solara")
    from mesa.visualization import make_plot_component

    model = CommunityModel(tiny_config(days=5))
    model.run_model()
    ts = model.timeseries()
    draw, page = make_plot_component("n_unmet_need")  # matplotlib: a PNG of the column
    box, _ = solara.render(draw(model), handle_error=False)
    assert page == 0 and box.children[0].format == "png" and len(box.children[0].value) > 1000
    draw, _ = make_plot_component({"n_unmet_need": "red", "n_in_need": "blue"},
                                  backend="altair")
    box, _ = solara.render(draw(model), handle_error=False)
    (data,) = box.children[0].spec["datasets"].values()
    plotted = {(d["Measure"], d["Step"]): d["Value"] for d in data}
    assert plotted == {(m, day): v for m in ("n_unmet_need", "n_in_need")
                       for day, v in zip(ts["day"], ts[m], strict=True)}


# ------------------------------------------------------------------ batch_run
def test_batch_run_over_two_parameter_values_and_two_seeds():
    params = {**TINY, "link_worker.caseload_cap": [3, 30]}
    rows = mesa.batch_run(CommunityModel, parameters=params, rng=[1, 2], max_steps=1000,
                          number_processes=1, data_collection_period=1, display_progress=False)
    frame = pd.DataFrame(rows)
    assert len(frame) == 2 * 2 * 12  # runs x days: every day of run.days, then it stopped
    assert sorted(frame.groupby(["rng", "link_worker.caseload_cap"]).size().tolist()) == [12] * 4
    assert frame["Step"].tolist()[:12] == list(range(1, 13))
    # each run is exactly what the model gives for that seed and value
    cfg = tiny_config(seed=2)
    cfg.link_worker.caseload_cap = 30
    expected = sim.run(cfg).timeseries
    got = frame[(frame["rng"] == 2) & (frame["link_worker.caseload_cap"] == 30)]
    assert got["n_unmet_need"].tolist() == expected["n_unmet_need"].tolist()
    assert got["new_referrals_total"].tolist() == expected["new_referrals_total"].tolist()
    # and the end-of-run collection (Mesa's default) gives the last day of each run
    last = pd.DataFrame(mesa.batch_run(CommunityModel, parameters=params, rng=[1, 2],
                                       number_processes=1, display_progress=False))
    assert last["Step"].tolist() == [12] * 4
    assert last.set_index(["rng", "link_worker.caseload_cap"])["n_unmet_need"].to_dict() == (
        frame[frame["Step"] == 12].set_index(["rng", "link_worker.caseload_cap"])
        ["n_unmet_need"].to_dict())


def test_batch_run_iterations_without_rng_repeat_the_configured_seed():
    """Mesa's deprecated ``iterations=`` passes rng=None to every run, which means the
    configured run.seed here (one seed decides every output): identical iterations. Vary
    ``rng=[...]`` or ``run.replicate`` for replicates."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        rows = mesa.batch_run(CommunityModel, parameters={**TINY, "days": 4, "replicate": [0, 1]},
                              iterations=2, number_processes=1, display_progress=False)
    frame = pd.DataFrame(rows)
    by_iteration = frame.pivot(index="replicate", columns="iteration", values="n_unmet_need")
    assert (by_iteration[0] == by_iteration[1]).all()
    assert len(frame) == 4


# ------------------------------------------------------------------ save and load
def test_a_saved_and_loaded_model_continues_to_identical_outputs(tmp_path):
    cfg = tiny_config(days=20, seed=8)
    cfg.events = [{"day": 14, "kind": "emergency", "params": {"need_multiplier": 2.0}}]
    never_stopped = CommunityModel(cfg)
    never_stopped.run_model()
    first = CommunityModel(cfg)
    first.run(9)
    first.datacollector.get_model_vars_dataframe()  # a cached view is not saved
    path = first.save(tmp_path / "day9.model")
    loaded = CommunityModel.load(path)
    assert loaded is not first and loaded.output_day == 9 and loaded.steps == 9
    loaded.run_model()
    assert not loaded.running and loaded.output_day == 20
    pd.testing.assert_frame_equal(loaded.timeseries(), never_stopped.timeseries(),
                                  check_exact=True)
    summaries = [metrics.summary(m, m.timeseries()) for m in (loaded, never_stopped)]
    assert sim.io.dumps(summaries[0]) == sim.io.dumps(summaries[1])
    assert loaded.event_log == never_stopped.event_log
    pd.testing.assert_frame_equal(loaded.datacollector.get_model_vars_dataframe(),
                                  never_stopped.datacollector.get_model_vars_dataframe())


def test_load_refuses_files_not_signed_by_this_user(tmp_path, monkeypatch):
    model = CommunityModel(tiny_config(days=3))
    path = model.save(tmp_path / "m.model")
    blob = bytearray(path.read_bytes())
    blob[-5] ^= 0xFF  # changed after saving
    path.write_bytes(bytes(blob))
    with pytest.raises(UntrustedFile, match="not saved by this user account.*trust=True"):
        CommunityModel.load(path)
    other = tmp_path / "other.model"
    model.save(other)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "someone_else"))  # another key
    with pytest.raises(UntrustedFile, match="not saved by this user account"):
        CommunityModel.load(other)
    assert CommunityModel.load(other, trust=True).output_day == 0  # trusted by the caller
    plain = tmp_path / "plain.pickle"
    plain.write_bytes(pickle.dumps(copy.deepcopy(model.cfg)))
    with pytest.raises(UntrustedFile, match="not a model saved by CommunityModel.save"):
        CommunityModel.load(plain)


def test_load_refuses_a_save_of_an_older_state_format(tmp_path):
    """A save of an older state (format 5: no ``intermediaries.p_unplaced_sent_to_gp`` in its
    configuration; format 4: also groups built from an organisation table and scaled
    LIOs hold copies of their kind's parameters, not live views; format 3: also groups' and
    link workers' copies of parameters now read each day; format 2: also no management hours
    carried by volunteers; format 1: also no practice partnership hours, no tie use record)
    is refused with the format it has and the one this version reads, instead of failing days
    later with an AttributeError or missing a mid-run change."""
    from sim import signed

    path = CommunityModel(tiny_config(days=3)).save(tmp_path / "m.model")
    line, _, rest = path.read_bytes().partition(b"\n")
    header = json.loads(line[len(signed.MODEL_MAGIC):])
    assert header["format"] == signed.MODEL_FORMAT == 6
    for older in (1, 2, 3, 4, 5):
        header["format"] = older
        old = tmp_path / "old.model"
        old.write_bytes(signed.MODEL_MAGIC + json.dumps(header).encode() + b"\n" + rest)
        with pytest.raises(UntrustedFile, match=rf"format {older}; this version reads format 6 "
                                                r"only.*run it again from its configuration"):
            CommunityModel.load(old, trust=True)


def test_a_model_saved_before_the_client_index_gets_it_rebuilt_on_load(tmp_path):
    """A model pickled before the per-group client index existed (no ``_group_clients``) has
    it rebuilt from ``pop.provider`` when loaded, and continues to an uninterrupted run's
    outputs (without it, the first group to take a client raised AttributeError)."""
    cfg = small_config("urban", days=40, seed=3)
    cfg.run.burn_in_days = 60
    never_stopped = CommunityModel(cfg)
    never_stopped.run_model()
    first = CommunityModel(cfg)
    first.run(15)
    old = copy.deepcopy(first)
    del old._group_clients  # as an older version's pickle holds it
    loaded = pickle.loads(pickle.dumps(old))
    held = [g.index for g in loaded.groups if np.any(loaded.pop.provider == g.index)]
    assert held, "no group holds a client: the check would prove nothing"
    for g in held:
        np.testing.assert_array_equal(loaded.clients_of(g),
                                      np.flatnonzero(loaded.pop.provider == g))
    loaded.run_model()
    pd.testing.assert_frame_equal(loaded.timeseries(), never_stopped.timeseries(),
                                  check_exact=True)
