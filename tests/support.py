"""Helpers shared by the tests: small configurations, hand-built worlds, a CLI runner.

Everything here is cheap and deterministic; callers pass pytest's ``tmp_path`` so the suite
is safe under pytest-xdist.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from sim.model import CommunityModel
from sim.params import Config

REPO = Path(__file__).resolve().parent.parent

TEST_TOOL_CACHES = frozenset({".hypothesis", ".pytest_cache", ".ruff_cache"})
"""Folders the test tools themselves make in the checkout (another xdist worker's first
Hypothesis test makes ``.hypothesis`` whenever it runs; ruff's cache comes from a developer
running it meanwhile), not a build's or a run's output."""


def checkout_entries() -> set[str]:
    """The checkout's top-level entries, less the test tools' caches
    (:data:`TEST_TOOL_CACHES`): what a build that must not write into the checkout leaves as
    it was, whatever the other worker's tests do meanwhile."""
    return set(os.listdir(REPO)) - TEST_TOOL_CACHES

# Small versions of the three built-in topologies (seconds for a year, not minutes).
SMALL_TOPOLOGIES = {
    "urban": {"topology.kind": "urban", "topology.n_residents": 600},
    "rural": {"topology.kind": "rural", "topology.n_residents": 380},
    "county": {"topology.kind": "county", "topology.n_residents": 3000,
               "topology.urban.n_residents": 1000, "topology.rural_share": 0.3},
    # the unit-template generator topology=county had before its place tables
    "county_legacy": {"topology.kind": "county_legacy", "topology.n_residents": 3000,
                      "topology.urban.n_residents": 1000, "topology.rural_share": 0.3,
                      "topology.parishes_per_practice": 1},
}

CONFIGS = REPO / "configs"


def as_overrides(values: dict) -> list[str]:
    """Dotted keys as Hydra command-line overrides."""
    return [f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in values.items()]


def config_options(group: str) -> list[str]:
    """The options of a config group, found on disk (new files are picked up)."""
    return sorted(p.stem for p in (CONFIGS / group).glob("*.yaml"))


def config_groups() -> list[str]:
    """The model's config groups: the folders named in config.yaml's defaults list (sweep and
    sensitivity designs in configs/sweep and configs/sensitivity are tested in test_sweeps*)."""
    defaults = OmegaConf.load(CONFIGS / "config.yaml").defaults
    named = {next(iter(d)) for d in defaults if isinstance(d, dict | DictConfig)}
    return sorted(p.name for p in CONFIGS.iterdir()
                  if p.is_dir() and p.name in named and any(p.glob("*.yaml")))


# Switch off every random process, so a test drives exactly one behaviour by hand.
QUIET = {
    "run.burn_in_days": 0,
    "need.initial_prevalence": 0.0,
    "need.p_onset_per_day": 0.0,
    "need.p_escalate_low_per_day": 0.0,
    "need.p_escalate_moderate_per_day": 0.0,
    "need.p_self_resolve_low_per_day": 0.0,
    "need.p_self_resolve_moderate_per_day": 0.0,
    "need.p_self_resolve_complex_per_day": 0.0,
    "need.p_hidden": 0.0,
    "help_seeking.p_seek_per_day": 0.0,
    "help_seeking.p_statutory_referral_per_day": 0.0,
    "help_seeking.p_vcse_onward_referral": 0.0,
    "gp.consults_per_year": 0.0,
    "link_worker.p_client_disengages": 0.0,
    "link_worker.p_complex_beyond_scope": 0.0,
    "link_worker.isolated_mapping_hours_per_week": 0.0,
    "groups.p_closure_per_year": 0.0,
    "lio.capacity_building_hours_per_week": 0.0,
    "volunteers.latent_share": 0.0,
    "volunteers.p_apply_per_day": 0.0,
    "volunteers.p_attrition_per_day": 0.0,
    "intermediaries.p_pc_key_individual_lost_per_year": 0.0,
    "groups.mag_formation_per_unit_per_day": 0.0,
}

# Organisations of a tiny world unless a test asks for more: one practice (from the table),
# one link worker, nothing else.
BARE_ORGANISATIONS = {
    "topology.urban.formal_charities": 0,
    "topology.urban.community_groups": 0,
    "topology.urban.locality_officer": False,
    "topology.urban.link_workers": 1,
    "topology.rural_unit.formal_charities": 0,
    "topology.rural_unit.community_groups": 0,
    "topology.rural_unit.informal_network": False,
    "topology.rural_unit.parish_council": False,
    "topology.place_lio": False,
    "topology.place_charities": 0,
    "topology.nhs_trust": False,
}


def set_keys(cfg: Config, values: dict) -> Config:
    """Set dotted keys (``"link_worker.caseload_cap"``) on ``cfg`` in place; return it."""
    for key, value in values.items():
        *path, last = key.split(".")
        obj = cfg
        for part in path:
            obj = getattr(obj, part)
        if not hasattr(obj, last):
            raise KeyError(key)
        setattr(obj, last, value)
    return cfg


def small_config(topology: str = "urban", days: int = 60, seed: int = 11, **values) -> Config:
    """A validated-at-build Config for a small built-in topology; extra dotted keys are given
    with ``__`` for ``.`` (``link_worker__caseload_cap=3``)."""
    cfg = set_keys(Config(), SMALL_TOPOLOGIES[topology])
    cfg.run.days, cfg.run.seed = days, seed
    cfg.run.burn_in_days = 365  # small worlds settle in a year (docs/validation.md)
    return set_keys(cfg, {k.replace("__", "."): v for k, v in values.items()})


def write_world(folder: Path, n: int, edges: list[tuple[int, int]],
                columns: dict | None = None, graph_name: str = "ties.txt") -> tuple[Path, Path]:
    """Write an edge list and a population table for ``n`` residents (nodes ``r0``..)."""
    folder.mkdir(parents=True, exist_ok=True)
    graph = folder / graph_name
    lines = [f"r{a} r{b}" for a, b in edges]
    tied = {i for e in edges for i in e}
    lines += [f"r{i}" for i in range(n) if i not in tied]  # residents without ties
    graph.write_text("\n".join(lines) + "\n" if lines else "")
    table = {"node": [f"r{i}" for i in range(n)], "age": [40] * n, "limitation": [0] * n,
             "digital": [True] * n, "deprivation": [3] * n, "gp_practice": ["P1"] * n}
    table.update(columns or {})
    people = folder / "people.csv"
    pd.DataFrame(table).to_csv(people, index=False)
    return graph, people


def give_need(model: CommunityModel, idx, level) -> None:
    """Residents ``idx`` have an unmet need of ``level`` from today."""
    idx = np.atleast_1d(np.asarray(idx))
    model.pop.need[idx] = level
    model.pop.need_onset[idx] = model.day
    model.pop.ever_need[idx] = True


def session_folder(tmp_path_factory, name: str) -> Path:
    """The folder ``name`` of this test session, the same for every pytest-xdist worker (the
    parent of the workers' own temporary folders)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    folder = root / name
    folder.mkdir(exist_ok=True)
    return folder


VALIDATION_RUNS = "validation-runs"
"""The session folder of the validation suite's run cache (tests/validation/paired.py); its
burnt-in states are in its ``.burn_in`` folder."""


def load_script(path: Path) -> types.ModuleType:
    """The script at ``path`` (an ``experiments/`` file, not a package module) imported as the
    module named after its file, registered in ``sys.modules`` (its dataclasses and pickles
    look their module up there)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None
            ) -> subprocess.CompletedProcess:
    """``python -m sim ARGS`` in a fresh interpreter (``env``: extra environment variables)."""
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=cwd or REPO,
                          env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          timeout=300)


def leftovers(folder: Path) -> list[str]:
    """Everything left in a run directory (empty if the directory is absent)."""
    if not folder.exists():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@contextlib.contextmanager
def dashboard_server(timeout: float = 90.0, state_dir: Path | None = None):
    """``python -m sim.dashboard`` on a free local port (:func:`sim.dashboard.local_server.serve`);
    yields the port once the page answers 200, stops the server afterwards (fails the test if it
    exits or does not start). The saved exercise goes to ``state_dir`` (default: a fresh
    temporary folder). The page counts its renders (``SIM_DASHBOARD_COUNT_RENDERS``, see
    :data:`sim.dashboard.app.COUNT_RENDERS`)."""
    import tempfile

    import pytest

    from sim.dashboard.local_server import serve

    with contextlib.ExitStack() as stack:
        if state_dir is None:
            state_dir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        try:
            port = stack.enter_context(serve(state_dir, timeout=timeout,
                                             env={"SIM_DASHBOARD_COUNT_RENDERS": "1"}))
        except RuntimeError as exc:
            pytest.fail(str(exc))
        yield port


def refused_place_table(folder: Path, out: Path, *extra: str) -> str:
    """``python -m sim`` on the place table in ``folder`` (areas.csv, practices.csv and
    ``extra`` overrides), which must be refused: exit status 2, no traceback, nothing written
    to ``out``. Returns stderr for the test's own checks of the message."""
    res = run_cli("topology=places", f"topology.place_file={folder / 'areas.csv'}",
                  f"topology.practice_file={folder / 'practices.csv'}", *extra, "run.days=2",
                  f"hydra.run.dir={out}")
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    assert leftovers(out) == []
    return res.stderr
