"""Fixtures of the validation suite: one run cache per session, shared by xdist workers; each
test's fact markers and comparisons recorded for the generated results table
(``results_table.py``, registered from tests/conftest.py)."""

from __future__ import annotations

import pytest
from paired import OFF_PROBE_REPLICATES, Comparison, RunCache, compare
from results_table import fact_markers
from support import VALIDATION_RUNS, session_folder


@pytest.fixture(scope="session")
def run_cache(tmp_path_factory) -> RunCache:
    """Runs cached for this session; under pytest-xdist every worker uses the same folder
    (the parent of the workers' own temporary folders)."""
    return RunCache(session_folder(tmp_path_factory, VALIDATION_RUNS))


@pytest.fixture(autouse=True)
def _record_fact_markers(request):
    """The test's ``fact`` markers, for the results table (sent to the controlling process
    with the test's report)."""
    marks = fact_markers(request.node)
    if marks:
        request.node.user_properties.append(("fact_markers", marks))


@pytest.fixture
def paired(run_cache, request):
    """``paired(fact, scenario, counterfactual, metric, direction, **options)`` ->
    :class:`paired.Comparison` (see :func:`paired.compare`). Each verdict is printed, so
    ``pytest tests/validation -rA`` shows them all, and recorded for the results table."""

    callspec = getattr(request.node, "callspec", None)
    off = callspec is not None and callspec.params.get("mechanism") == "off"

    def run(*args, **kwargs) -> Comparison:
        if off:  # an exact no-difference needs no more than the probe's pairs
            kwargs.setdefault("probe", OFF_PROBE_REPLICATES)
        comparison = compare(run_cache, *args, **kwargs)
        print(comparison, end="\n\n")
        request.node.user_properties.append(("comparison", comparison.record))
        return comparison

    return run
