"""Fixtures of the validation suite: one run cache per session, shared by xdist workers."""

from __future__ import annotations

import os

import pytest
from paired import Comparison, RunCache, compare


@pytest.fixture(scope="session")
def run_cache(tmp_path_factory) -> RunCache:
    """Runs cached for this session; under pytest-xdist every worker uses the same folder
    (the parent of the workers' own temporary folders)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    return RunCache(root / "validation-runs")


@pytest.fixture
def paired(run_cache):
    """``paired(fact, scenario, counterfactual, metric, direction, **options)`` ->
    :class:`paired.Comparison` (see :func:`paired.compare`). Each verdict is printed, so
    ``pytest tests/validation -rA`` shows them all."""

    def run(*args, **kwargs) -> Comparison:
        comparison = compare(run_cache, *args, **kwargs)
        print(comparison, end="\n\n")
        return comparison

    return run
