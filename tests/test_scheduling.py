"""The suite's run order (scheduling.py): every test once, the long ones dealt evenly to the
xdist workers' first shares, those sharing a module fixture together."""

from __future__ import annotations

from scheduling import Item, durations_from_log, long_first

KNOWN = {"a.py::long1": 90.0, "a.py::long2": 60.0, "b.py::long3": 50.0, "b.py::long4": 40.0,
         "c.py::long5": 10.0}


def _items(n_short: int = 20) -> list[Item]:
    out = [Item(f"s.py::short{i}", False) for i in range(n_short // 2)]
    out += [Item(k, False) for k in reversed(KNOWN)]  # shortest first, as collected
    out += [Item(f"s.py::short{i}", False) for i in range(n_short // 2, n_short)]
    return out


def _shares(items: list[Item], order: list[int], workers: int) -> list[list[str]]:
    """The contiguous shares xdist's worksteal hands out first (len(rest) // workers left)."""
    ids = [items[i].nodeid for i in order]
    shares, rest = [], len(ids)
    for k in range(workers):
        size = rest // (workers - k)
        shares.append(ids[len(ids) - rest:len(ids) - rest + size])
        rest -= size
    return shares


def test_every_test_runs_once():
    items = _items()
    order = long_first(items, 2, KNOWN)
    assert sorted(order) == list(range(len(items)))


def test_long_tests_are_dealt_evenly_and_run_first():
    items = _items()
    shares = _shares(items, long_first(items, 2, KNOWN), 2)
    seconds = [sum(KNOWN.get(t, 0.0) for t in share) for share in shares]
    # longest-processing-time: 90 | 60, 90 | 110 (50), 130 (40) | 110, 130 | 120 (10)
    assert sorted(seconds) == [120.0, 130.0]
    for share in shares:
        longs = [t for t in share if t in KNOWN]
        assert share[:len(longs)] == longs  # first, longest first
        assert [KNOWN[t] for t in longs] == sorted((KNOWN[t] for t in longs), reverse=True)
        short = [t for t in share if t not in KNOWN]
        assert short == sorted(short, key=lambda t: int(t.split("short")[1]))  # as collected


def test_long_tests_sharing_a_module_fixture_stay_together_in_a_row():
    """On one worker and one after the other: pytest would otherwise tear the fixture down
    before the test of another module and build it again."""
    known = {**KNOWN, "a.py::long0": 5.0}
    items = [Item("a.py::long1", False, ("cluster",)), Item("a.py::long0", False, ("cluster",)),
             Item("a.py::long2", False, ("cluster",)),
             Item("b.py::long3", False), Item("b.py::long4", False), Item("c.py::long5", False),
             *(Item(f"s.py::short{i}", False) for i in range(10))]
    ids = [items[i].nodeid for i in long_first(items, 2, known)]
    first = ids.index("a.py::long1")
    assert ids[first:first + 3] == ["a.py::long1", "a.py::long0", "a.py::long2"]
    assert first + 3 <= len(ids) // 2 or first >= len(ids) // 2  # within one worker's share


def test_unlisted_slow_tests_count_as_long():
    items = [Item(f"s.py::short{i}", False) for i in range(6)] + [Item("d.py::slow", True)]
    order = long_first(items, 2, {})
    assert items[order[0]].nodeid == "d.py::slow"


def test_one_worker_runs_long_tests_first_longest_first():
    items = _items()
    ids = [items[i].nodeid for i in long_first(items, 1, KNOWN)]
    assert ids[:len(KNOWN)] == sorted(KNOWN, key=lambda t: -KNOWN[t])


def test_durations_are_read_from_a_durations_log(tmp_path):
    log = tmp_path / "run.log"
    log.write_text("=== slowest durations ===\n"
                   "12.50s call     tests/test_x.py::test_a[p-1]\n"
                   "3.00s setup    tests/test_x.py::test_a[p-1]\n"
                   "0.40s teardown tests/test_x.py::test_a[p-1]\n"
                   "2.00s call     tests/test_x.py::test_b\n"
                   "1669 passed in 1318.16s (0:21:58)\n")
    assert durations_from_log(log) == {"tests/test_x.py::test_a[p-1]": 15.9}

