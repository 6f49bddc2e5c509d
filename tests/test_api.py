"""The Python API without Hydra's command line: sim.compose, sim.run, sim.CommunityModel."""

from __future__ import annotations

import pandas as pd
import pytest
from mesa.discrete_space import Network
from support import small_config

import sim
from sim.agents.people import Resident
from sim.params import ConfigError


def test_compose_applies_groups_and_overrides():
    cfg = sim.compose(["topology=rural", "run.days=60", "run.seed=7",
                       "link_worker.caseload_cap=20"])
    assert isinstance(cfg, sim.Config)
    assert (cfg.topology.kind, cfg.topology.n_residents) == ("rural", 380)
    assert (cfg.run.days, cfg.run.seed, cfg.link_worker.caseload_cap) == (60, 7, 20)
    assert sim.compose([]).topology.kind == "urban"  # the default job


def test_run_returns_a_daily_table_and_a_summary():
    cfg = sim.compose(["topology=rural", "run.days=45", "run.seed=7"])
    days_seen = []
    result = sim.run(cfg, progress=lambda day, total: days_seen.append((day, total)))
    assert isinstance(result, sim.RunResult)
    ts = result.timeseries
    assert isinstance(ts, pd.DataFrame) and len(ts) == 45
    assert ts["day"].tolist() == list(range(1, 46))
    assert isinstance(result.summary, dict)
    assert result.summary["days"] == 45 and result.summary["n_residents"] == 380
    assert result.summary["unmet_need_days"] == ts["n_unmet_need"].sum()
    assert days_seen == [(d, 45) for d in range(1, 46)]
    assert result.model is None and result.wall_seconds >= result.build_seconds > 0


def test_stepping_a_model_gives_the_same_table_as_run():
    cfg = small_config("urban", days=30, seed=4)
    model = sim.CommunityModel(cfg)
    assert model.output_day == 0 and model.rows == []
    assert model.day == cfg.run.burn_in_days  # the burn-in is simulated, not recorded
    for day in range(1, 31):
        model.step()
        assert model.output_day == day and len(model.rows) == day
    pd.testing.assert_frame_equal(model.timeseries(), sim.run(cfg).timeseries, check_exact=True)


def test_the_caller_config_is_not_changed_by_a_run():
    cfg = small_config("urban", days=40, seed=4,
                       events=[{"day": 5, "kind": "emergency", "params": {"need_multiplier": 3.0}}])
    model = sim.CommunityModel(cfg)
    model.run()
    assert model.cfg.emergency.active and model.cfg.need.emergency_multiplier == 3.0
    assert not cfg.emergency.active and cfg.need.emergency_multiplier == 1.0


def test_space_is_a_mesa_network_over_the_social_graph_without_layout():
    model = sim.CommunityModel(small_config("rural", days=5))
    space = model.space
    assert isinstance(space, Network)
    assert model.space is space  # built once
    cells = list(space.all_cells)
    assert len(cells) == model.pop.n
    # layout=None: no spring layout, so a cell's position is just its node id (not a 2-D point)
    assert all(cell.position.shape == () and cell.position == cell.coordinate for cell in cells)
    assert space.G.number_of_edges() == len(model.edges)
    for i in (0, 17, model.pop.n - 1):
        around = sorted(c.coordinate for c in space._cells[i].neighborhood)
        assert around == sorted(model.resident(i).neighbours)


def test_resident_accessor():
    model = sim.CommunityModel(small_config("rural", days=5))
    r = model.resident(12)
    assert isinstance(r, Resident) and r.index == 12 and r.model is model
    assert r.age == model.pop.age[12]
    assert "Resident(12" in repr(r)


def test_live_injects_through_the_api():
    model = sim.CommunityModel(small_config("urban", days=10))
    model.step()
    model.apply_event("emergency", {"need_multiplier": 2.5, "shielding": True})
    assert model.cfg.emergency.active and model.pop.shielded.sum() > 0
    assert model.event_log[-1] == {"day": 1, "kind": "emergency",
                                   "params": {"need_multiplier": 2.5, "distancing": False,
                                              "shielding": True, "tie_upkeep_factor": 1.0}}
    with pytest.raises(ConfigError, match="unknown event kind"):
        model.apply_event("alien_invasion")
    with pytest.raises(ConfigError, match="need_multiplier"):
        model.apply_event("emergency", {"need_multiplier": -1.0})
