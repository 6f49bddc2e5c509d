"""Fixtures for hand-built worlds (helpers live in ``support.py``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import scheduling
from support import (
    BARE_ORGANISATIONS,
    QUIET,
    VALIDATION_RUNS,
    session_folder,
    set_keys,
    write_world,
)

from sim.model import CommunityModel
from sim.params import Config


def pytest_configure(config):
    """The validation suite writes its results table from the controlling process, which
    under pytest-xdist loads this conftest but not tests/validation/conftest.py."""
    sys.path.append(str(Path(__file__).parent / "validation"))
    import results_table

    results_table.register(config)


def pytest_collection_modifyitems(config, items):
    """Long tests first, dealt so that the xdist workers' first shares of the collection hold
    equal seconds of them (``scheduling.py``); with ``--dist worksteal`` (pyproject.toml) an idle
    worker then takes short tests from the end of the other's queue, and the run ends on short
    tests on every worker instead of one worker finishing a minute-long test alone."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    described = [scheduling.Item(item.nodeid, item.get_closest_marker("slow") is not None,
                                 _module_fixtures(item)) for item in items]
    order = scheduling.long_first(described, workers, scheduling.long_tests())
    items[:] = [items[i] for i in order]


def _module_fixtures(item) -> tuple[str, ...]:
    """The module-scoped fixtures ``item`` uses (pytest's fixture closure of the item)."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return ()
    return tuple(sorted(name for name, defs in info.name2fixturedefs.items()
                        if defs and defs[-1].scope == "module"))


@pytest.fixture(scope="session")
def shared_burn_in(tmp_path_factory) -> Path:
    """Burnt-in states shared by the session's tests and xdist workers: the validation suite's
    (its run cache's ``.burn_in``), so a test that runs a world a validation arm also runs
    (same configuration but events and run length, same seed and replicate) pays for its
    burn-in once. A state loaded gives byte-identical outputs
    (test_a_saved_burnt_in_state_gives_byte_identical_outputs)."""
    return session_folder(tmp_path_factory, VALIDATION_RUNS) / ".burn_in"


@pytest.fixture
def tiny_world(tmp_path):
    """``make(n, edges, columns, quiet=True, **dotted)`` -> Config for a hand-built world of
    ``n`` residents on the file topology, with bare organisations unless overridden."""
    counter = iter(range(10**6))

    def make(n: int = 10, edges: list[tuple[int, int]] | None = None,
             columns: dict | None = None, quiet: bool = True, **values) -> Config:
        if edges is None:
            edges = [(i, i + 1) for i in range(n - 1)]  # a path
        graph, people = write_world(tmp_path / f"world{next(counter)}", n, edges, columns)
        cfg = Config()
        set_keys(cfg, {"topology.kind": "file", "topology.graph_file": str(graph),
                       "topology.population_file": str(people), "run.days": 30,
                       "run.seed": 5, **BARE_ORGANISATIONS, **(QUIET if quiet else {})})
        return set_keys(cfg, {k.replace("__", "."): v for k, v in values.items()})

    return make


@pytest.fixture
def tiny_model(tiny_world):
    """``build(**same as tiny_world)`` -> CommunityModel."""

    def build(*args, **kwargs) -> CommunityModel:
        return CommunityModel(tiny_world(*args, **kwargs))

    return build
