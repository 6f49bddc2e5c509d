"""The compiled kernels compute exactly (bit for bit) what their numpy references compute."""

import numpy as np
import pytest

from sim import kernels
from sim.state import Pathway


@pytest.fixture
def state():
    rng = np.random.default_rng(5)
    n = 5003
    need = rng.integers(0, 4, n).astype(np.int8)
    need[rng.random(n) < 0.7] = 0
    pathway = np.where(need > 0, rng.integers(0, len(Pathway), n), 0).astype(np.int8)
    w = (rng.random((n, 4)) * 10).astype(np.float32)
    targets = (rng.random((3, 4)) * 10).astype(np.float32)
    offset = np.zeros((n, 4), np.float32)
    offset[rng.random(n) < 0.05, 0] = -0.5
    return need, pathway, w, targets, offset


def test_column_means_match_numpy_bit_for_bit(state):
    w = state[2]
    assert kernels.column_means_f32(w).tobytes() == w.mean(axis=0).tobytes()
    assert kernels.column_means_f32(w[:1]).tobytes() == w[:1].mean(axis=0).tobytes()
    three = np.ascontiguousarray(w[:, :3])
    assert kernels.column_means_f32(three).tobytes() == three.mean(axis=0).tobytes()


def test_counts_match_bincount(state):
    need, pathway = state[0], state[1]
    table = kernels.count_need_by_pathway(need, pathway, 4, len(Pathway))
    expected = np.bincount(need.astype(np.intp) * len(Pathway) + pathway,
                           minlength=4 * len(Pathway)).reshape(4, len(Pathway))
    np.testing.assert_array_equal(table, expected)
    np.testing.assert_array_equal(kernels.count_codes(pathway, len(Pathway)),
                                  np.bincount(pathway, minlength=len(Pathway)))



def test_fresh_unmet_counts_match_masked_bincount(state):
    need, pathway = state[0], state[1]
    rng = np.random.default_rng(8)
    onset = rng.integers(-1, 60, need.size).astype(np.int32)
    unit = rng.integers(0, 7, need.size).astype(np.int32)
    fresh = (need > 0) & (pathway <= Pathway.WAITING) & (onset >= 30)
    counts = kernels.count_fresh_unmet(need, pathway, onset, unit, int(Pathway.WAITING), 30, 9)
    expected = np.bincount(unit, weights=fresh, minlength=9)
    assert counts.dtype == np.int64
    assert (counts / np.arange(1, 10)).tobytes() == (expected / np.arange(1, 10)).tobytes()
    # residents stored unit by unit, as the model keeps them (runs counted in a register)
    order = np.argsort(unit, kind="stable")
    np.testing.assert_array_equal(
        kernels.count_fresh_unmet(need[order], pathway[order], onset[order], unit[order],
                                  int(Pathway.WAITING), 30, 9), expected.astype(np.int64))
    empty = np.zeros(0, np.int8)
    np.testing.assert_array_equal(
        kernels.count_fresh_unmet(empty, empty, np.zeros(0, np.int32), np.zeros(0, np.int32),
                                  1, 0, 3), np.zeros(3, np.int64))


def test_members_of_match_isin_mask():
    rng = np.random.default_rng(9)
    n = 4001
    vorg = rng.integers(-1, 12, n).astype(np.int32)
    vstate = rng.integers(0, 8, n).astype(np.int8)
    flagged = np.zeros(12, bool)
    flagged[[2, 5, 11]] = True
    got = kernels.members_of(vorg, vstate, flagged, 4, 5)
    expected = np.flatnonzero(np.isin(vorg, [2, 5, 11]) & (vstate >= 4) & (vstate <= 5))
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
    assert kernels.members_of(vorg, vstate, np.zeros(12, bool), 4, 5).size == 0


def test_residents_day_end_matches_numpy_bit_for_bit(state):
    """Wellbeing bit for bit, unmet days and the need-by-pathway counts, as numpy makes them,
    over three days (the scores move; need and pathway differ by resident, some pathway
    codes appear with need 0 too)."""
    need, pathway, w, targets, offset = state
    pathway = pathway.copy()
    pathway[np.flatnonzero(need == 0)[:50]] = Pathway.GROUP  # support ending today: need 0
    rate = np.float32(0.05)
    expected = w.copy()
    expected_days = np.random.default_rng(12).integers(0, 50, need.size).astype(np.int32)
    days = expected_days.copy()
    for _ in range(3):
        situation = (pathway >= Pathway.LINK_WORKER).view(np.int8) + np.int8(1)
        situation *= need != 0
        target = np.take(targets, situation, axis=0)
        target += offset
        target -= expected
        target *= rate
        expected += target
        expected_days += (need > 0) & (pathway <= Pathway.WAITING)
    got = w.copy()
    expected_counts = np.bincount(need.astype(np.intp) * len(Pathway) + pathway,
                                  minlength=4 * len(Pathway)).reshape(4, len(Pathway))
    for _ in range(3):
        sums, counts = kernels.residents_day_end(
            got, targets, np.ascontiguousarray(offset[:, 0]), need, pathway,
            int(Pathway.LINK_WORKER), rate, days, int(Pathway.WAITING), 4, len(Pathway))
        # the sums it returns give the numpy column means of the updated scores, bitwise
        assert (sums / np.float32(need.size)).tobytes() == got.mean(axis=0).tobytes()
        np.testing.assert_array_equal(counts, expected_counts)
        # the same table as the daily row's own count
        np.testing.assert_array_equal(
            counts, kernels.count_need_by_pathway(need, pathway, 4, len(Pathway)))
    assert got.tobytes() == expected.tobytes()
    np.testing.assert_array_equal(days, expected_days)


def test_burn_in_wellbeing_day_is_the_day_ends_wellbeing_bit_for_bit(state):
    """The burn-in's wellbeing pass (no sums, counts or unmet days) leaves the scores bit for
    bit where the full day's end leaves them, day after day, and touches nothing else."""
    need, pathway, w, targets, offset = state
    pathway = pathway.copy()
    pathway[np.flatnonzero(need == 0)[:50]] = Pathway.GROUP
    rate = np.float32(0.05)
    full, lean = w.copy(), w.copy()
    days = np.zeros(need.size, np.int32)
    offset0 = np.ascontiguousarray(offset[:, 0])
    need_before, pathway_before = need.copy(), pathway.copy()
    for _ in range(3):
        kernels.residents_day_end(full, targets, offset0, need, pathway,
                                  int(Pathway.LINK_WORKER), rate, days, int(Pathway.WAITING), 4,
                                  len(Pathway))
        kernels.wellbeing_day(lean, targets, offset0, need, pathway, int(Pathway.LINK_WORKER),
                              rate)
        assert lean.tobytes() == full.tobytes()
    assert not np.array_equal(lean, w)  # the scores moved
    np.testing.assert_array_equal(need, need_before)
    np.testing.assert_array_equal(pathway, pathway_before)


def test_flatnonzero_matches_numpy():
    rng = np.random.default_rng(10)
    for n in (20001, 8000, 300):
        for density in (0.0, 0.01, 0.05, 0.3, 1.0):
            mask = rng.random(n) < density
            got = kernels.flatnonzero(mask)
            assert got.dtype == np.flatnonzero(mask).dtype
            np.testing.assert_array_equal(got, np.flatnonzero(mask))
    strided = (rng.random(10000) < 0.3)[::2]  # not contiguous
    np.testing.assert_array_equal(kernels.flatnonzero(strided), np.flatnonzero(strided))
    codes = rng.integers(0, 3, 50).astype(np.int8)  # not a bool mask: numpy's own
    np.testing.assert_array_equal(kernels.flatnonzero(codes), np.flatnonzero(codes))


def test_count_by_org_matches_bincount():
    rng = np.random.default_rng(11)
    n = 5000
    vstate = rng.integers(0, 8, n).astype(np.int8)
    vorg = np.where(vstate >= 2, rng.integers(0, 13, n), -1).astype(np.int32)
    rows = np.full(8, -1, np.int8)
    rows[[4, 5, 7]] = 0
    rows[[2, 3]] = 1
    got = kernels.count_by_org(vorg, vstate, rows, 2, 15)
    np.testing.assert_array_equal(
        got[0], np.bincount(vorg[(vstate == 4) | (vstate == 5) | (vstate == 7)], minlength=15))
    np.testing.assert_array_equal(
        got[1], np.bincount(vorg[(vstate == 2) | (vstate == 3)], minlength=15))
    # among some residents only: the counts of the columns gathered at them
    among = np.sort(rng.choice(n, n // 7, replace=False)).astype(np.int64)
    np.testing.assert_array_equal(kernels.count_by_org(vorg, vstate, rows, 2, 15, among),
                                  kernels.count_by_org(vorg[among], vstate[among], rows, 2, 15))


def test_org_members_match_numpy():
    rng = np.random.default_rng(13)
    vstate = rng.integers(0, 8, 6000).astype(np.int8)
    vorg = rng.integers(-1, 9, 6000).astype(np.int32)
    for org, lo, hi in ((3, 2, 5), (0, 4, 5), (8, 4, 4), (42, 2, 5)):
        expected = np.flatnonzero((vorg == org) & (vstate >= lo) & (vstate <= hi))
        got = kernels.org_members(vorg, vstate, org, lo, hi)
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)


def test_rows_of_flagged_code_match_flatnonzero():
    rng = np.random.default_rng(17)
    codes = rng.integers(-1, 12, 7000).astype(np.int32)
    flagged = np.zeros(12, bool)
    flagged[[0, 3, 11]] = True
    codes[codes == 11] = 5  # a flagged code that does not occur
    rows = np.flatnonzero(rng.random(7000) < 0.3)
    got = kernels.rows_of_flagged_code(codes, rows, flagged)
    assert sorted(got) == [0, 3]
    for c, found in got.items():
        assert found.dtype == np.int64
        np.testing.assert_array_equal(found, rows[codes[rows] == c])
    assert kernels.rows_of_flagged_code(codes, rows, np.zeros(12, bool)) == {}
    assert kernels.rows_of_flagged_code(codes, rows[:0], flagged) == {}


def _book_in_queue_order_reference(org, cost, progress, hours, partial=True):
    """``kernels.book_in_queue_order`` in plain Python (``hours`` reduced in place): per
    organisation, in queue order, finish the items whose remaining hours fit; the first that
    does not takes the hours left (nothing when not ``partial``); later ones wait."""
    done = np.zeros(org.size, bool)
    taken = np.zeros(org.size)
    booked = np.zeros(hours.size)
    left = hours.copy()
    blocked = set()
    for j in range(org.size):
        o = int(org[j])
        if o in blocked:
            continue
        remaining = max(float(cost[j]) - float(progress[j]), 0.0)
        free = max(left[o], 0.0)
        if remaining <= free + 1e-9:
            done[j], take = True, min(remaining, free)
        else:
            take = free if partial else 0.0
            blocked.add(o)
        taken[j] = take
        booked[o] += take
        left[o] -= take
    hours[:] = np.maximum(left, 0.0)
    return done, booked, taken


@pytest.mark.parametrize("partial", [True, False])
@pytest.mark.parametrize("seed", range(6))
def test_book_in_queue_order_matches_reference(seed, partial):
    rng = np.random.default_rng(seed)
    n_org = int(rng.integers(1, 40))
    n = int(rng.integers(0, 300))
    org = rng.integers(0, n_org, n).astype(np.int32)
    cost = np.where(rng.random(n) < 0.3, 0.1, rng.random(n) * 3.0)
    cost[rng.random(n) < 0.1] = 0.0
    progress = np.where(rng.random(n) < 0.3, rng.random(n) * 3.5, 0.0)  # some above cost
    hours = rng.random(n_org) * 20.0
    hours[rng.random(n_org) < 0.2] = 0.0
    expected_hours = hours.copy()
    done_ref, booked_ref, taken_ref = _book_in_queue_order_reference(org, cost, progress,
                                                                     expected_hours, partial)
    start = hours.copy()
    done, booked, taken = kernels.book_in_queue_order(org, cost, progress, hours, partial)
    np.testing.assert_array_equal(done, done_ref)
    assert booked.tobytes() == booked_ref.tobytes()
    assert taken.tobytes() == taken_ref.tobytes()
    assert hours.tobytes() == expected_hours.tobytes()
    assert (booked <= start + 1e-12).all() and (hours >= 0).all()  # float sums: an ulp
    np.testing.assert_allclose(start - hours, booked, atol=1e-12)
    if n:
        assert done.any() and not done.all()  # the draws cover both outcomes


def test_book_in_queue_order_carries_partial_work():
    """An item bigger than the day's hours takes them all, and the items behind it wait; the
    next day it needs only what is left."""
    org = np.array([0, 0, 1], np.int32)
    cost = np.array([3.0, 0.5, 1.0])
    hours = np.array([2.4, 0.4])
    done, booked, taken = kernels.book_in_queue_order(org, cost, np.zeros(3), hours)
    assert done.tolist() == [False, False, False]
    assert taken.tolist() == [2.4, 0.0, 0.4] and booked.tolist() == [2.4, 0.4]
    assert hours.tolist() == [0.0, 0.0]
    hours = np.array([2.4, 0.4])
    done, booked, taken = kernels.book_in_queue_order(org, cost, taken, hours)
    assert done.tolist() == [True, True, False]
    np.testing.assert_allclose(taken, [0.6, 0.5, 0.4])
    np.testing.assert_allclose(hours, [1.3, 0.0])


def test_an_unfinished_induction_waits_for_keeping_in_touch_with_the_waiting():
    """One organisation with 2.5 hours a week, an induction of 1 hour due and nine applicants
    waiting: while the induction does not fit whole, the ten waiting (the onboarding one
    included) are kept in touch with every day (cover 1) and the induction takes what is left
    (0.357 - 0.143 h a day); on the fourth day its last 0.357 h fit whole and it is done, as
    a whole induction is, before keeping in touch (step 2 before step 3)."""
    n = 10
    vorg = np.zeros(n, np.int32)
    vstate = np.full(n, 2, np.int8)  # applied
    vstate[0] = 3  # onboarding, training over
    vsince = np.zeros(n, np.int32)
    contact_rows = np.full(8, -1, np.int8)
    contact_rows[[4, 5]] = 0
    contact_rows[[2, 3]] = 1
    work = np.zeros(n)
    covers, inducted, partial = [], [], []
    for day in range(20, 25):
        hours = np.array([2.5 / 7])
        out = kernels.book_management_hours(
            np.arange(n), vorg, vstate, vsince, np.zeros(n, bool), np.full(n, -1, np.int32),
            np.full(n, -1, np.int32), work, contact_rows, np.array([3], np.int64),
            np.zeros(1, bool), np.array([1.25]), hours, 0.1 / 7, 0.1 / 7, day, 3, 2, 1, 0.25,
            1.0, 0.25)
        covers.append(float(out[5][0]))
        inducted.append(bool(out[7].any()))
        partial.append(float(work[0]))
        booked = out[1][0] + out[3][0] + out[8][0] + out[12][0]
        assert hours[0] == 0.0 and abs(booked - 2.5 / 7) < 1e-12  # every hour, never more
        if out[7].any():
            vstate[0] = 4
    assert covers[:3] == [1.0] * 3  # before the fix: 0 while the induction was partial
    assert inducted == [False, False, False, True, False]
    daily = 2.5 / 7 - 10 * 0.1 / 7
    np.testing.assert_allclose(partial[:3], [daily, 2 * daily, 3 * daily])
    assert partial[3] == 0.0


def test_member_tie_pairs_match_unique():
    import scipy.sparse as sp

    rng = np.random.default_rng(12)
    n = 600
    a = sp.random(n, n, density=0.02, random_state=4, format="csr")
    a = ((a + a.T) > 0).astype(np.int8).tocsr()
    degree = np.diff(a.indptr).astype(np.int32)
    for size in (1, 7, 60):
        on = np.sort(rng.choice(n, size, replace=False)).astype(np.int64)
        org = rng.integers(0, 6, size).astype(np.int64)
        deg = degree[on].astype(np.int64)
        first = a.indptr[on].astype(np.int64)
        pos = np.repeat(first - (np.cumsum(deg) - deg), deg) + np.arange(int(deg.sum()))
        expected = np.unique(np.repeat(org, deg) * n + a.indices[pos])
        got = kernels.member_tie_pairs(on, org, degree, a.indptr, a.indices, n)
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)


def _rank_within_numpy(groups, keys):
    order = np.lexsort((keys, groups))
    g_sorted = groups[order]
    position = np.arange(groups.size)
    starts = np.empty(groups.size, bool)
    starts[:1] = True
    np.not_equal(g_sorted[1:], g_sorted[:-1], out=starts[1:])
    first = np.maximum.accumulate(np.where(starts, position, 0))
    rank = np.empty(groups.size, np.int64)
    rank[order] = position - first
    return rank


@pytest.mark.parametrize("n", [0, 1, 9, 500, 20_000])
def test_first_within_matches_the_rank_by_lexsort(n):
    """The first ``quota`` of each group by key (ties by position) are those whose rank in
    ``np.lexsort((keys, groups))`` is below the quota: quotas of none, some, all and more,
    groups with no elements, many ties."""
    rng = np.random.default_rng(n)
    for trial in range(20):
        n_groups = int(rng.integers(1, 40))
        groups = rng.integers(0, n_groups, n).astype(np.int32)
        keys = rng.random(n)
        keys[rng.random(n) < 0.3] = 0.5  # ties: by position
        if trial % 2:
            keys = np.round(keys, 1)  # many ties in every group
        sizes = np.bincount(groups, minlength=n_groups)
        quota = np.where(rng.random(n_groups) < 0.3, sizes + rng.integers(0, 3, n_groups),
                         (sizes * rng.random(n_groups)).astype(np.int64)).astype(np.int64)
        quota[rng.random(n_groups) < 0.1] = 0
        expected = _rank_within_numpy(groups, keys) < quota[groups]
        np.testing.assert_array_equal(kernels.first_within(groups, keys, quota), expected)
        # codes outside the groups (no organisation) are never chosen, and the rest as before
        wild = groups.copy()
        off = rng.random(n) < 0.2
        wild[off] = np.where(rng.random(int(off.sum())) < 0.5, -1, n_groups + 3)
        kept = ~off
        expected = np.zeros(n, bool)
        expected[kept] = (_rank_within_numpy(groups[kept], keys[kept])
                          < quota[groups[kept]])
        np.testing.assert_array_equal(kernels.first_within(wild, keys, quota), expected)


def test_dense_selections_match_flatnonzero(state):
    need, pathway = state[0], state[1]
    for need_min, pathway_max in ((1, int(Pathway.WAITING)), (2, 0), (1, len(Pathway) - 1)):
        got = kernels.need_and_pathway(need, pathway, need_min, pathway_max)
        expected = np.flatnonzero((need >= need_min) & (pathway <= pathway_max))
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)
    for code in range(4):
        assert kernels.count_equal(need, code) == np.count_nonzero(need == code)


@pytest.mark.parametrize("layout", ["words", "tail", "strided", "int16"])
def test_rows_at_ranks_among_a_codes_matches(layout):
    """``rows_of_code_at_ranks`` gives ``np.flatnonzero(codes == code)[ranks]`` for ascending
    ranks (none, one, some, every match; the first and last), read eight codes at a time
    (and a tail of fewer than eight) or one by one (strided, wider codes); a rank beyond the
    matches or out of order is refused."""
    rng = np.random.default_rng(5)
    codes = rng.choice(np.arange(8), size=20_003, p=[.3, .1, .3, .1, .05, .05, .05, .05])
    codes = codes.astype(np.int16 if layout == "int16" else np.int8)
    if layout == "tail":
        codes[: codes.size // 8 * 8] = 0  # every match of 1-7 in the last three codes
        codes[-3:] = (3, 1, 3)
    if layout == "strided":
        codes = np.repeat(codes, 2)[::2]
    for code in range(8):
        rows = np.flatnonzero(codes == code)
        for k in (0, 1, 2, 7, rows.size):
            at = np.sort(rng.choice(rows.size, size=min(k, rows.size), replace=False))
            got = kernels.rows_of_code_at_ranks(codes, code, at)
            assert got.dtype == np.int64
            np.testing.assert_array_equal(got, rows[at])
        if rows.size:
            ends = np.array([0, rows.size - 1] if rows.size > 1 else [0], np.int64)
            np.testing.assert_array_equal(kernels.rows_of_code_at_ranks(codes, code, ends),
                                          rows[ends])
        with pytest.raises(ValueError, match="beyond the matches"):
            kernels.rows_of_code_at_ranks(codes, code, np.array([rows.size], np.int64))
        if rows.size >= 2:
            with pytest.raises(ValueError, match="not ascending"):
                kernels.rows_of_code_at_ranks(codes, code, np.array([1, 0], np.int64))


def test_volunteer_queues_match_numpy():
    """``inductions_due`` and ``applications_due``: the selections, queue order (by day, then
    resident: ``np.lexsort``) and costs of the numpy steps they replace, booked as the
    reference books them, with the work not finished carried over per volunteer."""
    rng = np.random.default_rng(13)
    n, n_org = 3000, 9
    vstate = rng.integers(0, 8, n).astype(np.int8)
    vorg = rng.integers(0, n_org, n).astype(np.int32)
    vsince = rng.integers(0, 40, n).astype(np.int32)  # many ties
    vpassported = rng.random(n) < 0.3
    vtrained_at = np.where(rng.random(n) < 0.5, rng.integers(0, n_org, n), -1).astype(np.int32)
    training_days = rng.integers(0, 4, n_org).astype(np.int64) * 7
    accepts = rng.random(n_org) < 0.5
    per_app = rng.random(n_org) * 3
    day = 45
    hours = rng.random(n_org) * 10
    expected_hours = hours.copy()
    onb = np.flatnonzero(vstate == 3)
    org = vorg[onb]
    days_needed = np.where(vpassported[onb], 1, training_days[org])
    onb = onb[(day - vsince[onb]) >= days_needed]
    onb = onb[np.lexsort((onb, vsince[onb]))]
    org = vorg[onb]
    cost = np.where(vpassported[onb], 0.5, np.where(training_days[org] > 0, 2.0, 0.0))
    work = np.where(rng.random(n) < 0.3, rng.random(n) * 2.0, 0.0)
    expected_work = work.copy()
    done_ref, booked_ref, taken_ref = _book_in_queue_order_reference(
        org, cost, work[onb], expected_hours, partial=False)  # partial work comes later
    expected_work[onb] = np.where(done_ref, 0.0, work[onb] + taken_ref)
    got = kernels.inductions_due(np.flatnonzero(vstate == 3), vorg, vsince, vpassported,
                                 training_days, day, 1, 0.5, 2.0, hours, work)
    np.testing.assert_array_equal(got[0], onb)
    np.testing.assert_array_equal(got[1], org)
    np.testing.assert_array_equal(got[2], done_ref)
    assert got[4].tobytes() == cost.tobytes()
    assert got[3].tobytes() == booked_ref.tobytes() and hours.tobytes() == expected_hours.tobytes()
    assert work.tobytes() == expected_work.tobytes()
    applied = np.flatnonzero(vstate == 2)
    applied = applied[np.lexsort((applied, vsince[applied]))]
    org = vorg[applied]
    passport = accepts[org] & (vtrained_at[applied] >= 0)
    cost = np.where(passport, 0.25, per_app[org])
    hours[:] = expected_hours[:] = rng.random(n_org) * 10  # the inductions took some
    done_ref, booked_ref, taken_ref = _book_in_queue_order_reference(org, cost, work[applied],
                                                                     expected_hours)
    expected_work[applied] = np.where(done_ref, 0.0, work[applied] + taken_ref)
    got = kernels.applications_due(np.flatnonzero(vstate == 2), vorg, vsince, vtrained_at,
                                   accepts, per_app, 0.25, hours, work)
    for a, b in zip(got[:5], (applied, org, passport, cost, done_ref), strict=True):
        assert a.tobytes() == b.tobytes()
    assert got[5].tobytes() == booked_ref.tobytes() and hours.tobytes() == expected_hours.tobytes()
    assert work.tobytes() == expected_work.tobytes()
    assert (expected_work[applied][~done_ref] > 0).any()  # some partial work was carried


def test_free_hours_by_org_match_bincount():
    rng = np.random.default_rng(14)
    n, n_org = 4000, 11
    vstate = rng.integers(0, 8, n).astype(np.int8)
    vorg = rng.integers(0, n_org, n).astype(np.int32)
    offer = (rng.integers(0, 4, n) * 2.5).astype(np.float32)
    committed = (rng.random(n) * 6).astype(np.float32)
    among = np.flatnonzero(rng.random(n) < 0.5)
    for idx, everyone in ((np.arange(n), True), (among, False)):
        t = idx[(vstate[idx] >= 4) & (vstate[idx] <= 5)]
        free = np.maximum(offer[t] - committed[t], 0.0)
        expected = np.bincount(vorg[t], weights=free.astype(np.float64), minlength=n_org)
        hours, counts = kernels.free_hours_by_org(np.zeros(0, np.int64) if everyone else idx,
                                                  everyone, vstate, vorg, offer, committed, 4,
                                                  5, n_org)
        assert hours.tobytes() == expected.tobytes()
        np.testing.assert_array_equal(counts, np.bincount(vorg[t], minlength=n_org))


def test_hand_out_tasks_match_numpy():
    rng = np.random.default_rng(15)
    n, n_org = 3000, 8
    vorg = rng.integers(0, n_org, n).astype(np.int32)
    hospital = rng.random(n) < 0.2
    offer = (rng.integers(0, 3, n) * 2.0).astype(np.float32)
    used = (rng.random(n) * 4).astype(np.float32)
    trained = np.flatnonzero(rng.random(n) < 0.3)
    draw = rng.random(trained.size)
    tasks = rng.integers(0, 30, n_org).astype(np.int64)
    h_hosp, h_group = np.float32(3.0), np.float32(1.5)
    org = vorg[trained]
    hours = np.where(hospital[trained], h_hosp, h_group)
    free = offer[trained] - used[trained] >= hours
    able, able_org, able_hours = trained[free], org[free], hours[free]
    took = _rank_within_numpy(able_org, draw[free]) < tasks[able_org]
    worked, worked_hours, staffed = kernels.hand_out_tasks(trained, vorg, hospital, offer, used,
                                                           draw, tasks, h_hosp, h_group)
    assert worked.tobytes() == able[took].tobytes()
    assert worked_hours.tobytes() == able_hours[took].tobytes()
    np.testing.assert_array_equal(staffed, np.bincount(able_org[took], minlength=n_org))


def test_channel_weights_match_numpy():
    rng = np.random.default_rng(16)
    n, n_units = 2000, 4
    gp = rng.integers(0, 3, n).astype(np.int32)
    digital = rng.random(n) < 0.7
    unit = rng.integers(0, n_units, n).astype(np.int32)
    degree = rng.integers(0, 3, n).astype(np.int32)
    gp_access, awareness = rng.random(3), rng.random(n_units)
    groups, hubs = (rng.random(n_units) < 0.5).astype(float), (rng.random(n_units) < 0.5) * 1.0
    idx = np.flatnonzero(rng.random(n) < 0.1)
    c = rng.random(7) * 3 - 0.5  # a negative weight: 0.0 times it keeps its sign
    w = np.zeros((idx.size, 5))
    w[:, 0] = c[0] * gp_access[gp[idx]]
    w[:, 1] = c[1] * np.where(digital[idx], c[2], c[3]) * awareness[unit[idx]]
    w[:, 2] = c[4] * (degree[idx] > 0)
    w[:, 3] = c[5] * groups[unit[idx]]
    w[:, 4] = c[6] * hubs[unit[idx]]
    got = kernels.channel_weights(idx, gp, digital, unit, degree, gp_access, awareness, groups,
                                  hubs, *c.tolist())
    assert got.tobytes() == w.tobytes()


def test_choose_channels_and_onset_candidates_match_numpy():
    rng = np.random.default_rng(17)
    w = rng.random((300, 5)) * (rng.random((300, 5)) < 0.7)
    w[:3] = 0.0
    w[:3, 2] = 1.0  # a single channel
    total = w.sum(axis=1)
    u = rng.random(300)
    cum = np.cumsum(w, axis=1) / total[:, None]
    np.testing.assert_array_equal(kernels.choose_channels(w, total, u),
                                  (u[:, None] > cum).sum(axis=1))
    uu = rng.random(5000, dtype=np.float32)
    p = (rng.random(5000) * 0.3).astype(np.float32)
    need = np.where(rng.random(5000) < 0.8, 0, 2).astype(np.int8)
    np.testing.assert_array_equal(kernels.onset_candidates(uu, p, need),
                                  np.flatnonzero((uu < p) & (need == 0)))


def test_in_need_without_pathway_matches_masks(state):
    need, pathway = state[0], state[1]
    rng = np.random.default_rng(12)
    for size in (0, 1, 40, 3000):
        idx = np.sort(rng.choice(need.size, size=size, replace=False)).astype(np.int64)
        got = kernels.in_need_without_pathway(idx, need, pathway)
        expected = idx[(need[idx] > 0) & (pathway[idx] == Pathway.NONE)]
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)


def test_ties_with_time_matches_numpy_masks():
    import scipy.sparse as sp

    rng = np.random.default_rng(13)
    n = 400
    edges = rng.integers(0, n, (1500, 2))
    a = sp.csr_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    a = ((a + a.T) > 0).astype(np.int8).tocsr()
    vstate = rng.integers(0, 8, n).astype(np.int8)
    offer = rng.choice(np.array([0.0, 1.3, 2.0, 7.5], np.float32), n)
    used = rng.choice(np.array([0.0, 0.5, 1.0], np.float32), n)
    for hours in (1.0, 1.3, 0.7):  # 1.3: float32 rounding decides some comparisons
        for i in range(n):
            nb = a.indices[a.indptr[i]:a.indptr[i + 1]]
            vs = vstate[nb]
            expected = nb[(vs == 4) | (vs == 5)]
            expected = expected[offer[expected] - used[expected] >= hours]
            got = kernels.ties_with_time(i, a.indptr, a.indices, vstate, offer, used, 4, 5,
                                         np.float32(hours))
            assert got.dtype == expected.dtype
            np.testing.assert_array_equal(got, expected)


def test_word_wise_selections_match_numpy():
    """The selections that read one-byte codes eight at a time (``codes_between``,
    ``need_and_pathway``, ``members_of``, ``volunteer_day_counts``) select and count exactly
    what numpy does: any length (the tail after the last whole word), offset and strided
    views, sparse and dense codes, negative and large codes (carries across bytes), bounds
    from below 1 (the plain loop) to above every code (up to 130), an upper bound below the
    lower, and IntEnum bounds."""
    from sim.state import VolunteerState

    rng = np.random.default_rng(41)
    for trial in range(600):
        n = int(rng.integers(0, 70)) if trial % 3 else int(rng.integers(0, 3000))
        wide = trial % 5 == 0  # any int8 value, negatives included
        high = (rng.integers(-128, 128, n) if wide else rng.integers(0, 8, n))
        base = np.where(rng.random(n) < rng.random(), high, rng.integers(0, 2, n)).astype(np.int8)
        codes = base[int(rng.integers(0, 4)):] if trial % 7 else base[::2]
        lo = int(rng.integers(-2, 9)) if trial % 4 else int(rng.integers(-2, 131))
        hi = int(rng.integers(lo - 2, max(lo, 10) + 2))  # below lo now and then: nothing
        np.testing.assert_array_equal(kernels.codes_between(codes, lo, hi),
                                      np.flatnonzero((codes >= lo) & (codes <= hi)))
        pathway = rng.integers(0, len(Pathway), codes.size).astype(np.int8)
        pathway_max = int(rng.integers(0, len(Pathway)))
        np.testing.assert_array_equal(
            kernels.need_and_pathway(codes, pathway, lo, pathway_max),
            np.flatnonzero((codes >= lo) & (pathway <= pathway_max)))
        vorg = rng.integers(-1, 5, codes.size).astype(np.int32)
        flagged = rng.random(5) < 0.5
        np.testing.assert_array_equal(
            kernels.members_of(vorg, codes, flagged, lo, hi),
            np.flatnonzero(np.isin(vorg, np.flatnonzero(flagged)) & (codes >= lo)
                           & (codes <= hi)))
        if not wide:  # states 0 to 7, as the model holds them
            last_task = rng.integers(0, 30, codes.size).astype(np.int32)
            counts, on_duty, tasked = kernels.volunteer_day_counts(codes, last_task, 8, lo, hi,
                                                                   15)
            expected = np.flatnonzero((codes >= lo) & (codes <= hi))
            np.testing.assert_array_equal(counts, np.bincount(codes, minlength=8))
            np.testing.assert_array_equal(on_duty, expected)
            assert tasked == np.count_nonzero(last_task[expected] > 15)
    states = rng.integers(0, 8, 1001).astype(np.int8)
    np.testing.assert_array_equal(
        kernels.codes_between(states, VolunteerState.ACTIVE, VolunteerState.IDLE),
        np.flatnonzero((states >= 4) & (states <= 5)))


def test_doubles_through_a_handle_are_those_of_random():
    """A kernel's float64 draws through a stream handle (``_double_from``: numpy's own
    ``next_double``) are ``random(n)``'s values and leave the stream where it leaves it, also
    after draws that keep half a word (float32 uniforms, small integers), which float64
    draws skip as numpy's do, and for every bit generator (not only PCG64)."""
    for bit_generator in (np.random.PCG64, np.random.Philox):
        for seed, n in ((0, 1), (3, 17), (2**40 + 1, 300)):
            ours, theirs = (np.random.Generator(bit_generator(seed)) for _ in range(2))
            handle = kernels.stream_handle(ours)
            for g in (ours, theirs):
                g.random(3, dtype=np.float32)
                g.integers(5)
            got = kernels._doubles_through(handle, n)
            assert got.tobytes() == theirs.random(n).tobytes()
            after = [(g.random(dtype=np.float32), g.integers(5), g.random(2).tobytes())
                     for g in (ours, theirs)]  # where each stream is now: its next draws
            assert after[0] == after[1]


def _volunteer_arrays(rng, n, n_org):
    """Volunteer columns as the model holds them (dtypes), every state and organisation."""
    return dict(
        vorg=np.where(rng.random(n) < 0.9, rng.integers(0, n_org, n), -1).astype(np.int32),
        vstate=rng.integers(0, 8, n).astype(np.int8),
        vsince=rng.integers(0, 60, n).astype(np.int32),
        vpassported=rng.random(n) < 0.3,
        vtrained_at=np.where(rng.random(n) < 0.5, rng.integers(0, n_org, n), -1
                             ).astype(np.int32),
        vmoved_day=np.where(rng.random(n) < 0.3, rng.integers(0, 60, n), -1).astype(np.int32),
        vwork_hours=np.where(rng.random(n) < 0.2, rng.random(n), 0.0),
        vlast_task=rng.integers(0, 60, n).astype(np.int32),
        vapplied_day=np.where(rng.random(n) < 0.4, rng.integers(0, 60, n), -1
                              ).astype(np.int32),
        hospital=rng.random(n) < 0.2,
        offer=(rng.integers(0, 3, n) * 2.5).astype(np.float32),
        used=(rng.random(n) * 4).astype(np.float32),
        goodwill=(rng.random(n) * 1.2).astype(np.float32))


def _activate_reference(ref, idx, day, moved_days):
    """``volunteering._activate`` as it was in numpy: volunteers ``idx`` active from ``day``;
    the days their moves took are added to ``moved_days``."""
    ref["vstate"][idx] = 4
    ref["vsince"][idx] = ref["vlast_task"][idx] = day
    ref["vtrained_at"][idx] = ref["vorg"][idx]
    ref["vpassported"][idx] = False
    ref["vwork_hours"][idx] = 0.0
    moved = idx[ref["vmoved_day"][idx] >= 0]
    moved_days.extend((day - ref["vmoved_day"][moved]).tolist())
    ref["vmoved_day"][moved] = -1


def test_manage_volunteers_day_matches_its_numpy_steps():
    """``manage_volunteers_day``: ``book_management_hours`` on the open organisations' hours,
    then the inducted active and the processed in training (active at once without any) as
    the numpy steps of ``volunteering.manage_volunteers`` did, the columns written and the
    flows' parts returned."""
    exercised = np.zeros(3, np.int64)
    for seed in range(4):
        rng = np.random.default_rng(40 + seed)
        n, n_org, day = 2000, 7, 61
        a = _volunteer_arrays(rng, n, n_org)
        a["vorg"][a["vorg"] < 0] = 0  # past latent: every volunteer has an organisation
        rows = np.flatnonzero(rng.random(n) < 0.8)
        training = (rng.integers(0, 3, n_org) * 7).astype(np.int64)
        accepts, per_app = rng.random(n_org) < 0.5, rng.random(n_org) * 2
        new_hours = rng.random(n_org) * (5, 60, 60, 15)[seed] * (rng.random(n_org) < 0.8)
        open_rows = np.flatnonzero(new_hours > 0)
        left = rng.random(n_org + 3)  # columns longer than the organisations
        contact = np.full(8, -1, np.int8)
        contact[[4, 5, 7]] = 0
        contact[[2, 3]] = 1
        params = (0.05, 0.1, day, 3, 2, 4, 7, 1.0, 2.0, 0.5)
        ref = {k: v.copy() for k, v in a.items()}
        hours = np.zeros(n_org)
        hours[open_rows] = left[open_rows]
        hours += new_hours
        start = hours.copy()
        out = kernels.book_management_hours(
            rows, ref["vorg"], ref["vstate"], ref["vsince"], ref["vpassported"],
            ref["vtrained_at"], ref["vmoved_day"], ref["vwork_hours"], contact, training,
            accepts, per_app, hours, 0.05, 0.1, day, 3, 2, 7, 1.0, 2.0, 0.5)
        onb, done_i, app, passport, done_a = out[6], out[7], out[9], out[10], out[11]
        moved_days = []
        _activate_reference(ref, onb[done_i], day, moved_days)
        taken, passported = app[done_a], passport[done_a]
        ref["vstate"][taken] = 3
        ref["vsince"][taken] = day
        ref["vpassported"][taken] = passported
        ref["vwork_hours"][taken] = 0.0
        _activate_reference(ref, taken[~passported & (training[ref["vorg"][taken]] == 0)], day,
                            moved_days)
        cover_t, cover_w = np.zeros(n_org + 3), np.zeros(n_org + 3)
        got = kernels.manage_volunteers_day(
            rows, a["vorg"], a["vstate"], a["vsince"], a["vpassported"], a["vtrained_at"],
            a["vmoved_day"], a["vwork_hours"], a["vlast_task"], contact, training, accepts,
            per_app, new_hours, open_rows, left, cover_t, cover_w, *params[:6], 7,
            *params[7:])
        for k in ref:
            assert a[k].tobytes() == ref[k].tobytes(), k
        assert left[:n_org].tobytes() == hours.tobytes()
        assert cover_t[:n_org].tobytes() == out[4].tobytes()
        assert cover_w[:n_org].tobytes() == out[5].tobytes()
        assert got[0].tobytes() == (start - hours).tobytes()
        for g, o in zip(got[1:8], (out[0], out[1], out[2], out[3], out[8], out[12], out[14]),
                        strict=True):
            assert g.tobytes() == o.tobytes()
        assert got[8:] == (int(done_i.sum()), int(done_a.sum()), out[13], out[15],
                           len(moved_days), sum(moved_days))
        exercised += (got[8], got[9], got[12])
    assert (exercised > 0).all()  # inducted, processed and redeployed volunteers were met


def test_allocate_tasks_and_goodwill_days_match_their_numpy_steps():
    """``allocate_tasks_day`` and ``goodwill_day`` change the volunteers' columns as the numpy
    steps of ``volunteering.allocate_tasks`` and ``goodwill_and_dropout`` did, with the same
    draws from the stream (a twin generator's ``random`` calls) and the same flows' parts."""
    V = dict(applied=2, onboarding=3, active=4, idle=5, lapsed=6, stood_down=7, latent=1)
    for seed, rejoin_at_once in ((50, False), (51, True), (52, False)):
        rng = np.random.default_rng(seed)
        n, n_org, day = 3000, 6, 70
        a = _volunteer_arrays(rng, n, n_org)
        rows = np.flatnonzero(a["vstate"] >= 2)
        expected = rng.random(n_org) * 20
        ref = {k: v.copy() for k, v in a.items()}
        ours, theirs = (np.random.default_rng(seed + 100) for _ in range(2))
        stream = kernels.stream_handle(ours)
        # allocate_tasks' numpy steps
        trained = rows[(ref["vstate"][rows] >= 4) & (ref["vstate"][rows] <= 5)]
        tasks = np.floor(expected + theirs.random(n_org)).astype(np.int64)
        draw = theirs.random(trained.size)
        worked, hours, staffed = kernels.hand_out_tasks(
            trained, ref["vorg"], ref["hospital"], ref["offer"], ref["used"], draw, tasks,
            np.float32(3.0), np.float32(1.5))
        firsts = kernels.tasks_done(worked, hours, trained, ref["used"], ref["vlast_task"],
                                    ref["vapplied_day"], ref["goodwill"], ref["vstate"],
                                    ref["hospital"], day, np.float32(0.1), 7, 4, 5)
        got = kernels.allocate_tasks_day(
            stream, rows, a["vorg"], a["vstate"], a["hospital"], a["offer"], a["used"],
            a["vlast_task"], a["vapplied_day"], a["goodwill"], expected, np.float32(3.0),
            np.float32(1.5), day, np.float32(0.1), 7, 4, 5)
        assert got[0] == trained.size > 0 and got[1].tobytes() == hours.tobytes()
        assert got[2:] == (worked.size, *firsts, int(np.maximum(tasks - staffed, 0).sum()))
        # goodwill_and_dropout's numpy steps
        cover_w, cover_i = rng.random(n_org), rng.random(n_org)
        loss_w, loss_i, gone_w, gone_i, act = kernels.lose_goodwill(
            rows, ref["vstate"], ref["vorg"], ref["goodwill"], cover_w, cover_i, 1.5, 0.02,
            0.01, 2, 3, 5, 7, 4)
        left = act[theirs.random(act.size) < 0.05]
        for idx in (gone_w, gone_i, left):
            kernels.lapse(idx, ref["vstate"], ref["vsince"], ref["vapplied_day"],
                          ref["vmoved_day"], ref["vpassported"], ref["vwork_hours"], 6, day)
        if rejoin_at_once:
            back = np.concatenate([gone_w, gone_i, left])
        else:
            back = rows[ref["vstate"][rows] == 6]
            back = back[theirs.random(back.size) < 0.2]
        ref["vstate"][back] = 1
        ref["vorg"][back] = -1
        ref["hospital"][back] = False
        ref["goodwill"][back] = 1.0
        got = kernels.goodwill_day(
            stream, rows, a["vstate"], a["vorg"], a["goodwill"], cover_w, cover_i, 1.5, 0.02,
            0.01, 0.05, rejoin_at_once, 0.0 if rejoin_at_once else 0.2, a["vsince"],
            a["vapplied_day"], a["vmoved_day"], a["vpassported"], a["vwork_hours"],
            a["hospital"], V["applied"], V["onboarding"], V["idle"], V["stood_down"],
            V["active"], V["lapsed"], V["latent"], day)
        assert got[0].tobytes() == loss_w.tobytes() and got[1].tobytes() == loss_i.tobytes()
        assert got[2:] == (gone_w.size, gone_i.size, left.size) and back.size > 0
        for k in ref:
            assert a[k].tobytes() == ref[k].tobytes(), k
        assert ours.bit_generator.state == theirs.bit_generator.state
    # nobody trained: nothing drawn, nothing done
    ours, theirs = (np.random.default_rng(7) for _ in range(2))
    a = _volunteer_arrays(np.random.default_rng(8), 50, 3)
    a["vstate"][:] = 2
    before = {k: v.copy() for k, v in a.items()}
    got = kernels.allocate_tasks_day(
        kernels.stream_handle(ours), np.arange(50), a["vorg"], a["vstate"], a["hospital"],
        a["offer"], a["used"], a["vlast_task"], a["vapplied_day"], a["goodwill"],
        np.ones(3), np.float32(3.0), np.float32(1.5), 70, np.float32(0.1), 7, 4, 5)
    assert got[0] == 0 and got[1].size == 0 and got[2:] == (0, 0, 0, 0, 0)
    assert ours.bit_generator.state == theirs.bit_generator.state
    assert all(a[k].tobytes() == before[k].tobytes() for k in a)


def test_help_seeking_draws_match_their_numpy_steps():
    """``help_seekers_today``, ``consultations_today`` and ``chosen_today`` select and draw as
    the numpy steps of ``help_seeking.seek_help``, ``routine_consultations`` and the daily
    chances did: the same residents and channels, the same draws from the stream (a twin
    generator's ``random`` calls), nothing drawn where nobody is left."""
    rng = np.random.default_rng(60)
    n, n_gp, n_unit = 4000, 3, 5
    need = np.where(rng.random(n) < 0.4, rng.integers(1, 4, n), 0).astype(np.int8)
    pathway = np.where(rng.random(n) < 0.5, rng.integers(0, 6, n), 0).astype(np.int8)
    gp = rng.integers(0, n_gp, n).astype(np.int32)
    digital = rng.random(n) < 0.7
    unit = rng.integers(0, n_unit, n).astype(np.int32)
    degree = np.where(rng.random(n) < 0.8, rng.integers(1, 9, n), 0).astype(np.int32)
    access, aware = rng.random(n_gp), rng.random(n_unit)
    groups = (rng.random(n_unit) < 0.6).astype(np.float64)
    hubs = np.zeros(n_unit)  # with awareness 0 somewhere: some rows weigh nothing
    aware[0] = 0.0
    weights = (1.0, 0.8, 1.2, 0.9, 0.7, 0.6, 0.5)
    in_need = np.flatnonzero(need > 0)
    for p_seek in (0.3, 0.0):
        ours, theirs = (np.random.default_rng(61) for _ in range(2))
        seekers, choice = kernels.help_seekers_today(
            kernels.stream_handle(ours), in_need, need, pathway, 1, 1, p_seek, p_seek / 3,
            gp, digital, unit, degree, access, aware, groups, hubs, *weights)
        cand = in_need[(need[in_need] >= 1) & (pathway[in_need] <= 1)]
        u = theirs.random(cand.size)
        waiting = pathway[cand] == 1
        took = u < np.where(waiting, p_seek / 3, p_seek)
        ref, waiting = cand[took], waiting[took]
        if ref.size:
            w = kernels.channel_weights(ref, gp, digital, unit, degree, access, aware, groups,
                                        hubs, *weights)
            w[waiting, :2] = 0.0
            total = w.sum(axis=1)
            some = total > 0
            assert not some.all()  # rows without weight were met
            ref, w, total = ref[some], w[some], total[some]
            ref_choice = (theirs.random(ref.size)[:, None] > np.cumsum(w, axis=1)
                          / total[:, None]).sum(axis=1)
            np.testing.assert_array_equal(choice, ref_choice)
        np.testing.assert_array_equal(seekers, ref)
        assert ours.random() == theirs.random()  # the streams are at the same place
    ours, theirs = (np.random.default_rng(62) for _ in range(2))
    n_consulting, raised = kernels.consultations_today(kernels.stream_handle(ours), in_need,
                                                       gp, access, 0.4, 0.3)
    consulting = in_need[theirs.random(in_need.size) < np.minimum(0.4 * access[gp[in_need]],
                                                                  1.0)]
    assert n_consulting == consulting.size
    np.testing.assert_array_equal(raised, consulting[theirs.random(consulting.size) < 0.3])
    np.testing.assert_array_equal(
        kernels.chosen_today(kernels.stream_handle(ours), in_need, 0.2),
        in_need[theirs.random(in_need.size) < 0.2])
    assert ours.random() == theirs.random()


def test_chosen_in_need_and_pathway_is_the_selection_then_the_draws():
    """``chosen_in_need_and_pathway``: ``chosen_today`` of ``rows_in_need_and_pathway``, the
    same rows from the same draws (one per matching row, in order), in one pass."""
    rng = np.random.default_rng(90)
    n = 5000
    need = rng.integers(0, 4, n).astype(np.int8)
    pathway = np.where(rng.random(n) < 0.5, 0, rng.integers(1, 6, n)).astype(np.int8)
    rows = np.flatnonzero(need > 0)
    for need_min, pathway_max, p in ((2, 0, 0.3), (1, 1, 0.0), (3, 5, 1.0), (4, 0, 0.5)):
        ours, theirs = (np.random.default_rng(need_min * 10 + pathway_max) for _ in range(2))
        got = kernels.chosen_in_need_and_pathway(kernels.stream_handle(ours), rows, need,
                                                 pathway, need_min, pathway_max, p)
        among = kernels.rows_in_need_and_pathway(rows, need, pathway, need_min, pathway_max)
        expected = kernels.chosen_today(kernels.stream_handle(theirs), among, p)
        np.testing.assert_array_equal(got, expected)
        assert ours.random() == theirs.random()


def test_give_up_today_matches_its_numpy_steps():
    """``give_up_today``: the waiting (a code among others), one uniform each in resident
    order, the chosen set to none and those a GP referred among them, as the numpy steps of
    ``help_seeking.give_up_waiting`` did; nothing drawn with nobody waiting."""
    for seed, p, share in ((100, 0.2, 0.3), (101, 1.0, 0.05), (102, 0.5, 0.0)):
        rng = np.random.default_rng(seed)
        n = 4001  # not a whole number of eight-code words
        pathway = rng.integers(0, 6, n).astype(np.int8)
        pathway[pathway == 1] = 2
        pathway[rng.random(n) < share] = 1  # waiting (none when share is 0)
        from_gp = rng.random(n) < 0.4
        ref = pathway.copy()
        ours, theirs = (np.random.default_rng(seed + 1) for _ in range(2))
        n_waiting, gone, told = kernels.give_up_today(kernels.stream_handle(ours), pathway,
                                                      1, 0, p, from_gp)
        waiting = np.flatnonzero(ref == 1)
        expected = waiting[theirs.random(waiting.size) < p] if waiting.size else waiting
        ref[expected] = 0
        assert n_waiting == waiting.size
        np.testing.assert_array_equal(gone, expected)
        np.testing.assert_array_equal(told, expected[from_gp[expected]])
        np.testing.assert_array_equal(pathway, ref)
        assert ours.random() == theirs.random()
    assert n_waiting == 0 and gone.size == 0


def test_referred_back_today_matches_its_numpy_steps():
    """``referred_back_today``: the flags of ended needs cleared, and among the rest in
    moderate or complex need with no pathway one uniform each, in resident order, as the numpy
    steps of ``help_seeking.refer_back_turned_away`` did; nothing drawn where nobody is
    eligible."""
    for seed, p, share in ((80, 0.4, 0.3), (81, 1.0, 0.9), (82, 0.5, 0.0), (83, 0.0, 0.2)):
        rng = np.random.default_rng(seed)
        n = 3000
        need = rng.integers(0, 4, n).astype(np.int8)
        pathway = np.where(rng.random(n) < 0.6, 0, rng.integers(1, 6, n)).astype(np.int8)
        flags = rng.random(n) < share
        ref = flags.copy()
        ours, theirs = (np.random.default_rng(seed + 1) for _ in range(2))
        away = np.flatnonzero(ref)
        back = kernels.referred_back_today(kernels.stream_handle(ours), away, flags, need,
                                           pathway, 2, 0, p)
        ref[away[need[away] == 0]] = False
        eligible = away[(need[away] >= 2) & (pathway[away] == 0)]
        expected = eligible[theirs.random(eligible.size) < p] if eligible.size else eligible
        np.testing.assert_array_equal(back, expected)
        np.testing.assert_array_equal(flags, ref)
        assert back.dtype == np.int64 and ours.random() == theirs.random()
        if p == 1.0:
            assert back.size == eligible.size > 0


def _volunteer_columns(rng: np.random.Generator, n: int, first_org: int, n_org: int
                       ) -> tuple[np.ndarray, ...]:
    """Random volunteer states, organisations (from ``first_org``), days since, hours offered
    and hours committed for ``n`` residents, with the model's dtypes."""
    vstate = rng.integers(0, 8, n).astype(np.int8)
    vorg = rng.integers(first_org, n_org, n).astype(np.int32)
    vsince = rng.integers(0, 90, n).astype(np.int32)
    offer = (rng.integers(0, 3, n) * 2.5).astype(np.float32)
    committed = (rng.random(n) * 3).astype(np.float32)
    return vstate, vorg, vsince, offer, committed


def test_burnout_and_free_hours_match_their_numpy_steps():
    """``burnout_and_free_hours``: the burnout of the groups' day (``strain._after_staff``:
    chances ``min(strain * rate, 1)`` of strained open organisations, one draw per trained
    volunteer with a chance) and the free hours of ``refresh_volunteer_hours`` after it,
    with the same draws from the stream; nothing drawn without strain or rate."""
    for seed, rate in ((70, 0.3), (71, 0.0), (72, 5.0)):
        rng = np.random.default_rng(seed)
        n, n_org, day = 3000, 8, 90
        vstate, vorg, vsince, offer, committed = _volunteer_columns(rng, n, 0, n_org)
        rows = np.flatnonzero(vstate >= 2)
        open_rows = np.flatnonzero(rng.random(n_org) < 0.7).astype(np.int64)
        strain = np.where(rng.random(n_org) < 0.5, rng.random(n_org), 0.0)
        held = rng.random(n_org)
        held[0] = 0.0  # an organisation whose hours may stay as they were
        ref_state, ref_since, ref_held = vstate.copy(), vsince.copy(), held.copy()
        ours, theirs = (np.random.default_rng(seed + 1) for _ in range(2))
        p_org = np.zeros(n_org)
        strained = [k for k in open_rows.tolist() if strain[k] > 0]
        for k in strained:
            p_org[k] = min(strain[k] * rate, 1.0)
        could = gone = -1
        if rate > 0 and strained:
            trained, chance = kernels.rows_with_chance(rows, ref_state, 4, 5, vorg, p_org)
            lost = trained[theirs.random(trained.size) < chance]
            ref_state[lost] = 6
            ref_since[lost] = day
            could, gone = trained.size, lost.size
        hours, counts = kernels.free_hours_by_org(rows, False, ref_state, vorg, offer,
                                                  committed, 4, 5, n_org)
        changed = np.flatnonzero(ref_held != hours)
        ref_held[changed] = hours[changed]
        got = kernels.burnout_and_free_hours(
            kernels.stream_handle(ours), rows, vstate, vorg, vsince, open_rows, strain, rate,
            offer, committed, held, day, 4, 5, 6)
        assert got[0] == could and (got[1] == gone or could == -1)
        np.testing.assert_array_equal(got[2], counts)
        np.testing.assert_array_equal(got[3], changed)
        assert vstate.tobytes() == ref_state.tobytes() and vsince.tobytes() == ref_since.tobytes()
        assert held.tobytes() == ref_held.tobytes()
        assert ours.random() == theirs.random()
        assert (gone > 0) == (rate > 0)  # burnout happened where it could


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_mutual_aid_pull_and_formation_match_their_numpy_steps(seed):
    """The unit-level steps of the mutual aid day in two compiled calls around numpy's power
    (share, rise, pull, chance of forming, which units may form) give the bytes the numpy
    steps give (``mutual_aid.rise_pull``, the chance, ``_mutual_aid_units``' bound), with
    and without a usual level, for whole and fractional residents per street."""
    from sim.processes import mutual_aid

    rng = np.random.default_rng(seed)
    n = 57
    sizes = rng.integers(1, 4000, n)
    fresh = np.minimum(rng.integers(0, 60, n), sizes)
    share_np = fresh / sizes
    usual = np.where(rng.random(n) < 0.3, share_np, share_np * rng.uniform(0.3, 1.7, n))
    capital = rng.random(n)
    slots = rng.integers(1, 30, n)
    draws = np.where(rng.random(n) < 0.5, rng.random(n) * 1e-3, rng.random(n))
    for street in (np.minimum(sizes, 150), np.minimum(sizes, 137.5)):
        for level in (usual, None):
            share, rise = kernels.fresh_shares_and_rise(
                fresh, sizes, level if level is not None else np.zeros(0), street, 0.8)
            assert share.tobytes() == share_np.tobytes()
            if level is None:
                pull_np = np.zeros(n)
            else:
                pull_np = mutual_aid.rise_pull(share_np, level, street, 0.8, 3.0)
                rise = rise ** 3.0
            pull, p_form, may = kernels.pull_and_formation(rise, level is not None, capital,
                                                           0.02, slots, draws)
            form_np = 0.02 * capital * pull_np
            assert pull.tobytes() == pull_np.tobytes()
            assert p_form.tobytes() == form_np.tobytes()
            assert may.tolist() == (draws < slots * form_np * (1.0 + 1e-9) + 1e-12).tolist()
            if level is not None:
                assert 0 < may.sum() < n and (pull == 0).any() and (pull > 0).any()


def test_staff_work_due_is_the_groups_with_changes_or_reviews():
    """The staff pass visits, in order, the groups with notices or hires pending or a review
    due today: the positions the one-group-at-a-time tests give."""
    rng = np.random.default_rng(7)
    rows = np.sort(rng.choice(400, 250, replace=False)).astype(np.int64)
    changes = np.where(rng.random(400) < 0.1, rng.integers(1, 3, 400), 0)
    usual = np.where(rng.random(250) < 0.7, rng.uniform(0.5, 3.0, 250), 0.0)
    for day in (1, 29, 30, 365):
        due = kernels.staff_work_due(rows, changes, usual, day, 30)
        expected = [j for j, r in enumerate(rows.tolist())
                    if changes[r] > 0 or (usual[j] > 0 and (day + r) % 30 == 0)]
        assert due.tolist() == expected and 0 < len(expected) < 250


def test_decay_disruption_is_each_groups_product_in_place():
    """Disruptions in force (above 0) among the rows fade by the float64 product a group's
    ``disruption *= decay`` gives; the others, and rows not listed, are left as they are."""
    rng = np.random.default_rng(8)
    rows = np.sort(rng.choice(300, 200, replace=False)).astype(np.int64)
    disruption = np.where(rng.random(300) < 0.2, rng.random(300), 0.0)
    disruption[rows[:3]] = [1.0, 1e-300, 0.0]
    decay = float(np.exp(-1.0 / 30.0))
    expected = disruption.copy()
    changed = []
    for j, r in enumerate(rows.tolist()):
        if expected[r] > 0:
            expected[r] = float(expected[r]) * decay
            changed.append(j)
    at, values = kernels.decay_disruption(rows, disruption, decay)
    assert at.tolist() == changed and 0 < len(changed) < len(rows)
    assert disruption.tobytes() == expected.tobytes()
    assert values.tolist() == expected[rows[at]].tolist()


def _strain_columns(rng: np.random.Generator, n_org: int) -> dict:
    """Random group columns and parameters by organisation index, as ``strain.step`` passes
    them: some groups suspended, some disrupted, some without paid staff or an
    establishment."""
    return {
        "unserved": rng.random(n_org) * 4, "turned_away": rng.integers(0, 3, n_org),
        "strain": np.where(rng.random(n_org) < 0.6, rng.random(n_org), 0.0),
        "distanced": rng.random(n_org) < 0.15, "clients": rng.integers(0, 40, n_org),
        "staff": np.where(rng.random(n_org) < 0.2, 0.0, rng.uniform(0.5, 4.0, n_org)),
        "extra": rng.integers(0, 5, n_org).astype(np.float64),
        "disruption": np.where(rng.random(n_org) < 0.3, rng.random(n_org), 0.0),
        "changes": np.where(rng.random(n_org) < 0.1, rng.integers(1, 3, n_org), 0),
        "capacity": rng.uniform(5, 30, n_org), "share": rng.uniform(0.3, 1.0, n_org),
        "usual": np.where(rng.random(n_org) < 0.8, rng.uniform(0.5, 4.0, n_org), 0.0),
        "support_days": rng.uniform(30, 120, n_org)}


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_strain_day_start_is_places_then_strain_then_staff_work_due(seed):
    """``strain_day_start`` (the groups' day up to the staff pass) changes the columns and
    returns what ``group_places``, ``update_strain`` and ``staff_work_due`` give one after
    another, with the parameters gathered by row as ``params_columns`` gives them."""
    rng = np.random.default_rng(seed)
    n_org = 120
    c = _strain_columns(rng, n_org)
    c["hours"] = rng.uniform(0, 40, n_org)
    rows = np.sort(rng.choice(n_org, 90, replace=False)).astype(np.int64)
    ref = {k: v.copy() for k, v in c.items()}
    places = kernels.group_places(rows, ref["staff"], ref["extra"], ref["hours"],
                                  ref["disruption"], ref["distanced"], ref["capacity"][rows],
                                  ref["usual"][rows], ref["share"][rows], 2.5, 0.5)[0]
    lost, turned = kernels.update_strain(
        rows, ref["unserved"], ref["turned_away"], ref["strain"], ref["support_days"][rows],
        ref["distanced"], places, ref["clients"], ref["staff"], 90.0, 0.4)
    due = kernels.staff_work_due(rows, ref["changes"], ref["usual"][rows], 60, 30)
    got = kernels.strain_day_start(
        rows, c["unserved"], c["turned_away"], c["strain"], c["distanced"], c["clients"],
        c["staff"], c["extra"], c["hours"], c["disruption"], c["changes"], c["capacity"],
        c["usual"], c["share"], c["support_days"], 2.5, 0.5, 90.0, 0.4, 60, 30)
    assert got[0].tobytes() == lost.tobytes() and got[1] == turned
    assert got[2].tolist() == due.tolist() and 0 < due.size < rows.size
    for name in c:
        assert c[name].tobytes() == ref[name].tobytes(), name
    assert (lost > 0).any() and turned > 0


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_strain_day_end_is_decay_burnout_empty_groups_then_places(seed):
    """``strain_day_end`` (the groups' day after the staff pass) gives what
    ``decay_disruption``, ``burnout_and_free_hours`` (the same draws), the open groups with
    no paid staff and no trained volunteers (numpy's mask) and ``group_places`` from the
    hours just written give one after another, and leaves the same columns and stream."""
    rng = np.random.default_rng(seed)
    n, n_org, day = 3000, 40, 90
    c = _strain_columns(rng, n_org)
    c["staff"][:4] = 0.0  # with no trained volunteers below: groups that may close
    vstate, vorg, vsince, offer, committed = _volunteer_columns(rng, n, 4, n_org)
    volunteers = np.flatnonzero(vstate >= 2)
    open_rows = np.sort(rng.choice(n_org, 32, replace=False)).astype(np.int64)
    open_rows = np.union1d(open_rows, np.arange(4)).astype(np.int64)
    rows = open_rows[1:]  # the running groups: all open but one (the LIO)
    hours = np.zeros(n_org + 8)  # the column; the first n_org rows are the organisations'
    hours[:n_org] = rng.uniform(0, 40, n_org)
    decay = float(np.exp(-1.0 / 30.0))
    ref = {k: v.copy() for k, v in c.items()}
    ref_v = [vstate.copy(), vsince.copy(), hours.copy()]
    ours, theirs = (np.random.default_rng(seed + 1) for _ in range(2))
    at, values = kernels.decay_disruption(rows, ref["disruption"], decay)
    burnt = kernels.burnout_and_free_hours(
        kernels.stream_handle(theirs), volunteers, ref_v[0], vorg, ref_v[1], rows,
        ref["strain"], 0.3, offer, committed, ref_v[2][:n_org], day, 4, 5, 6)
    empty = np.flatnonzero((ref["staff"][open_rows] <= 1e-6) & (burnt[2][open_rows] == 0))
    places, lost = kernels.group_places(
        rows, ref["staff"], ref["extra"], ref_v[2], ref["disruption"], ref["distanced"],
        ref["capacity"][rows], ref["usual"][rows], ref["share"][rows], 2.5, 0.5)
    got = kernels.strain_day_end(
        rows, c["disruption"], decay, kernels.stream_handle(ours), volunteers, vstate, vorg,
        vsince, c["strain"], 0.3, offer, committed, hours[:n_org], day, 4, 5, 6, open_rows,
        c["staff"], 1e-6, c["extra"], hours, c["distanced"], c["capacity"], c["usual"],
        c["share"], 2.5, 0.5)
    assert got[0].tolist() == at.tolist() and got[1].tobytes() == values.tobytes()
    assert got[2:4] == burnt[:2] and burnt[1] > 0
    assert got[4].tobytes() == burnt[2].tobytes() and got[5].tolist() == burnt[3].tolist()
    assert got[6].tolist() == empty.tolist() and empty.size > 0
    assert got[7].tobytes() == places.tobytes() and got[8].tobytes() == lost.tobytes()
    assert (lost > 0).any() and at.size > 0
    for name in c:
        assert c[name].tobytes() == ref[name].tobytes(), name
    assert [vstate.tobytes(), vsince.tobytes(), hours.tobytes()] == [a.tobytes() for a in ref_v]
    assert ours.random() == theirs.random()


def test_struggling_order_is_numpys_lexsort_of_the_thinnest_reserves():
    """An LIO's struggling groups (``LIOFunctions._struggling_groups``): the positions and
    order numpy's masks and ``lexsort((rows[at], thinness))`` give, over groups in or out of
    row order, with no income, reserves below zero, under support, other kinds, and equal
    thinness (ties broken by row)."""
    def reference(rows, kind, funding, cut, balance, until, day, months):
        k = kind[rows]
        income = funding[rows] * (1.0 - cut[rows])
        bal = balance[rows]
        at = np.flatnonzero(((k == 1) | (k == 2)) & (until[rows] <= day)
                            & ((income <= 0) | (bal < income * months / 12.0)))
        income, bal = income[at], bal[at]
        thin = np.where(income > 0, bal / np.where(income > 0, income, 1.0), -1.0)
        return at[np.lexsort((rows[at], thin))]

    rng = np.random.default_rng(3)
    found = ties = unsorted = 0
    for trial in range(400):
        n_all = int(rng.integers(1, 80))
        n = int(rng.integers(0, n_all + 1))
        rows = rng.permutation(n_all)[:n].astype(np.int64)
        if trial % 2:
            rows = np.sort(rows)
        kind = rng.integers(-1, 5, n_all)
        funding = rng.choice([0.0, 1000.0, 6000.0, 12000.0], n_all)
        cut = rng.choice([0.0, 0.0, 0.5, 1.0], n_all)
        balance = rng.choice([-100.0, 0.0, 250.0, 500.0, 1500.0, 3000.0], n_all)
        until = rng.integers(-1, 20, n_all)
        day = int(rng.integers(0, 20))
        got = kernels.struggling_order(rows, kind, funding, cut, balance, until, day, 3.0, 1, 2)
        expected = reference(rows, kind, funding, cut, balance, until, day, 3.0)
        assert got.dtype == np.int64 and got.tolist() == expected.tolist(), trial
        found += got.size
        thin = [balance[r] / (funding[r] * (1 - cut[r])) if funding[r] * (1 - cut[r]) > 0
                else -1.0 for r in rows[got]]
        ties += len(thin) - len(set(thin))
        unsorted += bool(got.size > 1 and not (trial % 2) and np.any(np.diff(rows[got]) < 0))
    assert found > 1000 and ties > 100 and unsorted > 50


WARM_CHECK = r"""
import json
from numba.core.registry import CPUDispatcher
import sim.kernels as K
kernels = {n: f for n, f in vars(K).items() if isinstance(f, CPUDispatcher)}
cold = sorted(n for n, f in kernels.items() if not f.signatures and not n.startswith("_"))
before = {n: len(f.signatures) for n, f in kernels.items()}
import sim
from sim.model import CommunityModel
for overrides in (["run.days=20", "run.burn_in_days=60", "scenario=lockdown",
                   "run.allow_late_events=true"],
                  ["topology=county", "topology.n_residents=3000", "run.days=10",
                   "run.burn_in_days=20"]):
    CommunityModel(sim.compose(overrides)).run()
grown = sorted(n for n, f in kernels.items() if len(f.signatures) > before[n])
print(json.dumps({"cold": cold, "grown": grown}))
"""


def test_every_kernel_the_model_calls_is_loaded_at_import_for_the_types_it_passes():
    """``kernels._warm_up`` loads every public kernel at import but those only other kernels
    call (``kernels.COMPILED_INTO_OTHERS``), with the argument types the model passes:
    simulated days in a fresh process, an emergency and a county among them, add no compiled
    version to any, and load none of those left out."""
    import json
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", WARM_CHECK], capture_output=True, text=True,
                          timeout=600, check=True)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["cold"] == sorted(kernels.COMPILED_INTO_OTHERS)
    assert found["grown"] == []


def test_kernels_left_cold_at_import_have_no_caller_in_the_model():
    """None of ``kernels.COMPILED_INTO_OTHERS`` (steps of larger kernels, compiled into them,
    or reference versions the tests call) is named anywhere in ``sim`` but ``sim/kernels.py``:
    a Python caller added later would load it inside a run, so it would have to join the
    warm-up."""
    import re
    from pathlib import Path

    from numba.core.registry import CPUDispatcher

    path = Path(kernels.__file__)
    source = path.read_text()
    others = "\n".join(p.read_text() for p in path.parent.rglob("*.py") if p != path)
    assert kernels.COMPILED_INTO_OTHERS
    for name in kernels.COMPILED_INTO_OTHERS:
        assert isinstance(getattr(kernels, name), CPUDispatcher), name
        assert re.search(rf"^def {name}\(", source, re.MULTILINE), name
        assert not re.search(rf"\b{name}\b", others), f"{name}: named outside sim/kernels.py"
