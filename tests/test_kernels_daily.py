"""The daily-step kernels (issue 16) change the population arrays exactly as the numpy code
they replaced did: each is run against that code, kept here as the reference."""

import platform
import sys

import numpy as np
import pytest

from sim import kernels
from sim.state import Pathway

N = 4003


@pytest.fixture
def rng():
    return np.random.default_rng(16)


def _need_state(rng):
    need = rng.integers(0, 4, N).astype(np.int8)
    need[rng.random(N) < 0.6] = 0
    pathway = np.where(need > 0, rng.integers(0, len(Pathway), N), 0).astype(np.int8)
    return need, pathway


def test_unmet_course_matches_numpy(rng):
    need, pathway = _need_state(rng)
    u = rng.random(N, dtype=np.float32)
    p_res = np.array([0.3, 0.2, 0.1])
    p_esc = np.array([0.25, 0.3, 0.0])
    exp_need, exp_path = need.copy(), pathway.copy()
    idx = np.flatnonzero((exp_need > 0) & (exp_path <= Pathway.WAITING))
    r, lvl = u[idx], exp_need[idx]
    pr, pe = p_res[lvl - 1], p_esc[lvl - 1]
    resolved = idx[r < pr]
    escalated = idx[(r >= pr) & (r < pr + pe)]
    exp_need[escalated] += 1
    exp_need[resolved] = 0
    exp_path[resolved] = 0
    got = kernels.unmet_course(u, need, pathway, int(Pathway.WAITING), p_res, p_esc)
    assert got == (idx.size, resolved.size, escalated.size)
    assert resolved.size and escalated.size  # the test exercises both outcomes
    np.testing.assert_array_equal(need, exp_need)
    np.testing.assert_array_equal(pathway, exp_path)


def test_start_episodes_matches_numpy(rng):
    arrays = {
        "need": np.zeros(N, np.int8), "need_onset": np.full(N, -1, np.int32),
        "hidden": np.zeros(N, bool), "first_support": np.full(N, 7, np.int32),
        "matched": np.ones(N, bool), "self_referred": np.ones(N, bool),
        "episodes": rng.integers(0, 3, N).astype(np.int16), "ever_need": np.zeros(N, bool),
        "need_domain": np.full(N, -1, np.int8)}
    expected = {k: v.copy() for k, v in arrays.items()}
    idx = np.sort(rng.choice(N, 300, replace=False))
    levels = rng.integers(1, 4, idx.size).astype(np.int8)
    hidden = rng.random(idx.size) < 0.3
    domain_u = rng.random(N, dtype=np.float32)
    domain_u[idx[:3]] = [0.25, 0.5, 0.75]  # on the edges exactly (side="right")
    edges = np.cumsum([0.25, 0.25, 0.25])
    e = expected
    e["need"][idx] = levels
    e["need_onset"][idx] = 40
    e["hidden"][idx] = hidden
    e["first_support"][idx] = -1
    e["matched"][idx] = False
    e["self_referred"][idx] = False
    e["episodes"][idx] += 1
    e["ever_need"][idx] = True
    e["need_domain"][idx] = np.searchsorted(edges, domain_u[idx], side="right").astype(np.int8)
    kernels.start_episodes(idx, levels, hidden, domain_u, edges, 40, *arrays.values())
    for k in arrays:
        np.testing.assert_array_equal(arrays[k], expected[k], err_msg=k)


def test_tasks_done_matches_volunteer_tasks_and_idling(rng):
    vstate = rng.choice(np.array([1, 4, 5], np.int8), N)
    trained = np.flatnonzero((vstate == 4) | (vstate == 5))
    worked = np.sort(rng.choice(trained, 500, replace=False))
    hours = rng.choice(np.array([1.5, 3.0], np.float32), worked.size)
    used = (rng.random(N) * 5).astype(np.float32)
    last = rng.integers(0, 100, N).astype(np.int32)
    applied = np.where(rng.random(N) < 0.2, rng.integers(0, 90, N), -1).astype(np.int32)
    goodwill = (rng.random(N) * 2.2).astype(np.float32)
    hospital = rng.random(N) < 0.3
    day, gain = 100, np.float32(0.05)
    e_used, e_last, e_applied, e_good, e_state = (a.copy() for a in
                                                  (used, last, applied, goodwill, vstate))
    e_used[worked] += hours
    e_last[worked] = day
    since = e_applied[worked]
    first = since >= 0
    e_applied[worked[first]] = -1
    e_good[worked] = np.minimum(e_good[worked] + gain, 2.0)
    idle = trained[day - e_last[trained] > 14]
    e_state[trained] = 4
    e_state[idle] = 5
    got = kernels.tasks_done(worked, hours, trained, used, last, applied, goodwill, vstate,
                             hospital, day, gain, 14, 4, 5)
    assert got == (int(first.sum()), int((day - since[first]).sum()),
                   int(hospital[worked].sum()))
    for a, b in ((used, e_used), (last, e_last), (applied, e_applied), (goodwill, e_good),
                 (vstate, e_state)):
        assert a.tobytes() == b.tobytes()


def test_lose_goodwill_and_lapse_match_numpy(rng):
    vstate = rng.integers(0, 8, N).astype(np.int8)
    vorg = np.where(vstate >= 2, rng.integers(0, 9, N), -1).astype(np.int32)
    goodwill = (rng.random(N) * 0.2).astype(np.float32)
    cover_w, cover_i = rng.random(9), rng.random(9)
    slow_w, slow_i = 1.0 + 2.0 * (1.0 - cover_w), 1.0 + 2.0 * (1.0 - cover_i)
    expected = goodwill.copy()
    out = []
    for codes, slow, decay in (((2, 3), slow_w, 0.01), ((5, 6), slow_i, 0.02)):
        who = np.flatnonzero(np.isin(vstate, codes))
        loss = (decay * slow[vorg[who]]).astype(np.float32)
        expected[who] -= loss
        out += [loss, who[expected[who] <= 0]]
    everyone = goodwill.copy()
    registered = np.flatnonzero(vstate >= 2)  # every state it reads (none and latent left out)
    got = kernels.lose_goodwill(registered, vstate, vorg, goodwill, cover_w, cover_i, 2.0, 0.01,
                                0.02, 2, 3, 5, 6, 4)
    assert goodwill.tobytes() == expected.tobytes()
    # reading every resident instead gives the same
    got_everyone = kernels.lose_goodwill(np.arange(N), vstate, vorg, everyone, cover_w, cover_i,
                                         2.0, 0.01, 0.02, 2, 3, 5, 6, 4)
    assert everyone.tobytes() == expected.tobytes()
    for a, b in zip(got, got_everyone, strict=True):
        assert a.tobytes() == b.tobytes()
    for a, b in zip(got, (out[0], out[2], out[1], out[3], np.flatnonzero(vstate == 4)),
                    strict=True):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    assert got[2].size and got[3].size
    arrays = [vstate.copy(), np.zeros(N, np.int32), np.zeros(N, np.int32),
              np.zeros(N, np.int32), np.ones(N, bool), np.ones(N)]
    kernels.lapse(got[2], *arrays, 7, 12)
    assert (arrays[0][got[2]] == 7).all() and (arrays[1][got[2]] == 12).all()
    assert (arrays[2][got[2]] == -1).all() and (arrays[3][got[2]] == -1).all()
    assert not arrays[4][got[2]].any() and arrays[4].sum() == N - got[2].size
    assert not arrays[5][got[2]].any() and arrays[5].sum() == N - got[2].size  # work dropped


def test_seekers_today_match_numpy(rng):
    need, pathway = _need_state(rng)
    candidates = np.flatnonzero((need > 0) & (pathway <= Pathway.WAITING))
    u = rng.random(candidates.size)
    waiting = pathway[candidates] == Pathway.WAITING
    chosen = u < np.where(waiting, 0.3 * 0.5, 0.3)
    got, flags = kernels.seekers_today(candidates, u, pathway, int(Pathway.WAITING), 0.3,
                                       0.3 * 0.5)
    np.testing.assert_array_equal(got, candidates[chosen])
    np.testing.assert_array_equal(flags, waiting[chosen])
    assert flags.any() and not flags.all()


@pytest.mark.parametrize("factor", [1.0, 0.7, "each"])
def test_support_outcomes_and_due_match_numpy(rng, factor):
    need, pathway = _need_state(rng)
    until = rng.integers(0, 60, N).astype(np.int32)
    idx = kernels.support_due(pathway, until, int(Pathway.GROUP), 30)
    np.testing.assert_array_equal(
        idx, np.flatnonzero((pathway >= Pathway.GROUP) & (until <= 30)))
    f = rng.random(idx.size) if factor == "each" else factor
    poor = rng.random(idx.size) < 0.3
    r = rng.random(idx.size)
    e_need, e_path = need.copy(), pathway.copy()
    p_res = np.where(e_need[idx] >= 3, 0.4, 0.6) * f
    p_res = np.where(poor, p_res * 0.5, p_res)
    resolved = r < p_res
    e_need[idx[resolved]] = 0
    rest = idx[~resolved]
    e_need[rest] = np.maximum(e_need[rest] - 1, 1)
    e_path[idx] = 0
    got = kernels.support_outcomes(idx, r, np.asarray(f, np.float64).reshape(-1), need,
                                   pathway, poor, 0.4, 0.6, 0.5, 3, 1)
    np.testing.assert_array_equal(got, resolved)
    np.testing.assert_array_equal(need, e_need)
    np.testing.assert_array_equal(pathway, e_path)


def test_codes_between_match_flatnonzero(rng):
    codes = rng.integers(0, 8, N).astype(np.int8)
    for lo, hi in ((4, 5), (0, 7), (3, 3), (6, 2)):
        got = kernels.codes_between(codes, lo, hi)
        expected = np.flatnonzero((codes >= lo) & (codes <= hi))
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)


def test_rows_with_codes_between_match_the_numpy_selection(rng):
    """The rows among ``rows`` whose code is in [lo, hi], in their order and dtype, as the
    gather, comparisons and mask in numpy gave them."""
    codes = rng.integers(0, 8, N).astype(np.int8)
    for rows in (np.sort(rng.choice(N, N // 5, replace=False)).astype(np.int64),
                 rng.permutation(N)[:50].astype(np.int64), np.zeros(0, np.int64)):
        for lo, hi in ((4, 5), (0, 7), (3, 3), (6, 2)):
            got = kernels.rows_with_codes_between(rows, codes, lo, hi)
            expected = rows[(codes[rows] >= lo) & (codes[rows] <= hi)]
            assert got.dtype == expected.dtype
            np.testing.assert_array_equal(got, expected)


def test_members_among_match_the_numpy_selection(rng):
    """An organisation's volunteers in states [lo, hi] among ``rows``, in their order and
    dtype, as the gathers, comparisons and mask in numpy gave them (placements, closures, a
    mutual aid group's fold)."""
    codes = rng.integers(0, 8, N).astype(np.int8)
    orgs = rng.integers(-1, 6, N).astype(np.int32)
    for rows in (np.sort(rng.choice(N, N // 5, replace=False)).astype(np.int64),
                 rng.permutation(N)[:50].astype(np.int64), np.zeros(0, np.int64)):
        for org, lo, hi in ((3, 4, 5), (0, 0, 7), (-1, 2, 5), (5, 6, 2), (9, 0, 7)):
            got = kernels.members_among(rows, orgs, org, codes, lo, hi)
            state = codes[rows]
            expected = rows[(orgs[rows] == org) & (state >= lo) & (state <= hi)]
            assert got.dtype == expected.dtype
            np.testing.assert_array_equal(got, expected)


def test_rows_with_chance_match_the_numpy_selection(rng):
    """The burnout candidates: rows in a state from lo to hi whose organisation has a chance
    above 0, and their chances, as the gather and masks of the numpy version gave them
    (an organisation -1 reads the last chance, as numpy's index does)."""
    codes = rng.integers(0, 8, N).astype(np.int8)
    org = rng.integers(-1, 6, N).astype(np.int32)
    p_org = np.where(rng.random(6) < 0.5, 0.0, rng.random(6))
    p_org[-1] = 0.3
    rows = np.sort(rng.choice(N, N // 4, replace=False)).astype(np.int64)
    for lo, hi in ((4, 5), (0, 7), (6, 2)):
        got_rows, got_chance = kernels.rows_with_chance(rows, codes, lo, hi, org, p_org)
        trained = rows[(codes[rows] >= lo) & (codes[rows] <= hi)]
        chance = p_org[org[trained]]
        np.testing.assert_array_equal(got_rows, trained[chance > 0])
        np.testing.assert_array_equal(got_chance, chance[chance > 0])
        assert got_rows.dtype == trained.dtype and got_chance.dtype == chance.dtype


def test_volunteer_day_counts_match_the_numpy_counts(rng):
    """The daily row's counts by volunteer state, the on-duty rows and those tasked within
    the week, in one pass, equal the bincount, flatnonzero and count they replaced."""
    codes = rng.integers(0, 8, N).astype(np.int8)
    last_task = rng.integers(-1, 60, N).astype(np.int32)
    for lo, hi, since in ((4, 5, 30), (0, 7, -5), (3, 3, 59), (6, 2, 10)):
        counts, on_duty, tasked = kernels.volunteer_day_counts(codes, last_task, 8, lo, hi,
                                                               since)
        np.testing.assert_array_equal(counts, np.bincount(codes, minlength=8))
        expected = np.flatnonzero((codes >= lo) & (codes <= hi))
        assert on_duty.dtype == expected.dtype
        np.testing.assert_array_equal(on_duty, expected)
        assert tasked == np.count_nonzero(last_task[expected] > since)


def test_book_management_hours_read_the_registered_rows_only(rng):
    """The bookings over the registered volunteers' rows equal those over everyone's (the
    states it counts are all registered ones); latent and unwilling rows are never read."""
    n_org = 9
    vstate = rng.integers(0, 8, N).astype(np.int8)
    vorg = np.where(vstate >= 2, rng.integers(0, n_org, N), -1).astype(np.int32)
    vsince = rng.integers(0, 40, N).astype(np.int32)
    passported = rng.random(N) < 0.3
    trained_at = np.where(rng.random(N) < 0.4, rng.integers(0, n_org, N), -1).astype(np.int32)
    moved = np.where(rng.random(N) < 0.2, rng.integers(0, 40, N), -1).astype(np.int32)
    contact_rows = np.full(8, -1, np.int8)
    contact_rows[[4, 5, 7]] = 0
    contact_rows[[2, 3]] = 1
    training = rng.integers(0, 15, n_org).astype(np.int64)
    accepts = rng.random(n_org) < 0.5
    per_app = rng.random(n_org) * 3.0
    hours = rng.random(n_org) * 20.0
    work = np.where(rng.random(N) < 0.3, rng.random(N), 0.0)
    args = (vorg, vstate, vsince, passported, trained_at, moved)
    rest_of_columns = (contact_rows, training, accepts, per_app)
    rest = (0.05, 0.1, 40, 3, 2, 2, 1.0, 2.0, 0.5)
    registered = np.flatnonzero(vstate >= 2)
    h1, h2 = hours.copy(), hours.copy()
    w1, w2 = work.copy(), work.copy()
    got = kernels.book_management_hours(registered, *args, w1, *rest_of_columns, h1, *rest)
    expected = kernels.book_management_hours(np.arange(N), *args, w2, *rest_of_columns, h2,
                                             *rest)
    assert h1.tobytes() == h2.tobytes() and w1.tobytes() == w2.tobytes()
    assert w1.tobytes() != work.tobytes()  # work was carried over
    assert len(got) == len(expected)
    for a, b in zip(got, expected, strict=True):
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes()
    assert got[6].size and got[9].size  # some inductions and applications were booked


def _need_day_arrays(rng, n):
    need, pathway = _need_state(rng) if n == N else (np.zeros(n, np.int8), np.zeros(n, np.int8))
    return {"need": need, "pathway": pathway,
            "until": rng.integers(0, 60, n).astype(np.int32),
            "need_onset": np.full(n, -1, np.int32), "hidden": np.zeros(n, bool),
            "first_support": np.full(n, 7, np.int32), "matched": np.ones(n, bool),
            "self_referred": np.ones(n, bool),
            "episodes": rng.integers(0, 3, n).astype(np.int16),
            "ever_need": np.zeros(n, bool), "need_domain": np.full(n, -1, np.int8)}


def _need_day_numpy(a, u, onset_p, mult, domain_u, course_u, shares, edges, p_res, p_esc, day):
    """Onset, the unmet course and the due-support selection as three passes (the code
    need.day replaced)."""
    low, complex_, p_hidden = shares
    p = onset_p if mult == 1.0 else onset_p * np.float32(mult)
    idx = np.flatnonzero((u < p) & (a["need"] == 0))
    v = u[idx] / p[idx]
    hidden = (v * 997.0) % 1.0 < p_hidden
    levels = np.where(v < low, 1, np.where(v < 1.0 - complex_, 2, 3)).astype(np.int8)
    kernels.start_episodes(idx, levels, hidden, domain_u, edges, day, a["need"],
                           a["need_onset"], a["hidden"], a["first_support"], a["matched"],
                           a["self_referred"], a["episodes"], a["ever_need"], a["need_domain"])
    course = kernels.unmet_course(course_u, a["need"], a["pathway"], int(Pathway.WAITING),
                                  p_res, p_esc)
    due = np.flatnonzero((a["pathway"] >= Pathway.GROUP) & (a["until"] <= day))
    return (idx.size, *course, due)


@pytest.mark.parametrize(("n", "mult"), [(N, 1.0), (N, 2.7), (1, 1.0), (0, 1.0)])
def test_need_day_matches_the_three_passes(rng, n, mult):
    """One pass (kernels.need_day) leaves every array and count as onset, the unmet course
    and the due-support selection did in turn, float32 thresholds included."""
    a = _need_day_arrays(rng, n)
    b = {k: v.copy() for k, v in a.items()}
    u = rng.random(n, dtype=np.float32)
    onset_p = (rng.random(n) * 0.4).astype(np.float32)
    domain_u, course_u = rng.random(n, dtype=np.float32), rng.random(n, dtype=np.float32)
    shares = (0.55, 0.12, 0.25)
    edges = np.cumsum([0.3, 0.3, 0.2])
    p_res, p_esc = np.array([0.3, 0.2, 0.1]), np.array([0.25, 0.3, 0.0])
    expected = _need_day_numpy(a, u, onset_p, mult, domain_u, course_u, shares, edges,
                               p_res, p_esc, 30)
    low, complex_, p_hidden = shares
    got = kernels.need_day(u, onset_p, np.float32(mult), domain_u, course_u, np.float32(low),
                           np.float32(1.0 - complex_), np.float32(p_hidden), edges, p_res,
                           p_esc, int(Pathway.WAITING), int(Pathway.GROUP), 30, *b.values())
    assert got[:4] == expected[:4]
    np.testing.assert_array_equal(got[4], expected[4])
    for k in a:
        np.testing.assert_array_equal(b[k], a[k], err_msg=k)
    if n == N:  # every branch is exercised
        assert expected[0] and expected[2] and expected[3] and expected[4].size
        assert a["hidden"].any() and {1, 2, 3} <= set(a["need"][a["need_onset"] == 30].tolist())


def _need_day_both_ways(a, onset_p, mult, streams, twins, inline):
    """``kernels.need_day`` on arrays ``a`` (changed in place) given the uniforms
    ``random(n, dtype=float32)`` of ``twins`` fills, and on a copy given ``streams``'
    handles (``inline``: the in-line PCG64 step, or the call): the same counts, due rows and
    arrays. Returns the first call's results."""
    b = {k: v.copy() for k, v in a.items()}
    fixed = (np.float32(0.55), np.float32(0.88), np.float32(0.25), np.cumsum([0.3, 0.3, 0.2]),
             np.array([0.3, 0.2, 0.1]), np.array([0.25, 0.3, 0.0]), int(Pathway.WAITING),
             int(Pathway.GROUP), 30)
    n = onset_p.size
    u, domain_u, course_u = (g.random(n, dtype=np.float32) for g in twins)
    expected = kernels.need_day(u, onset_p, np.float32(mult), domain_u, course_u, *fixed,
                                *a.values())
    handles = [kernels.stream_handle(g) for g in streams]
    for h in handles:
        h[2] = inline
    got = kernels.need_day(handles[0], onset_p, np.float32(mult), handles[1], handles[2],
                           *fixed, *b.values())
    assert got[:4] == expected[:4]
    np.testing.assert_array_equal(got[4], expected[4])
    for k in a:
        np.testing.assert_array_equal(b[k], a[k], err_msg=k)
    return expected


@pytest.mark.parametrize("inline", [1, 0])
@pytest.mark.parametrize("n", [N, 1, 0])
def test_need_day_draws_from_the_streams_what_their_arrays_hold(rng, n, inline):
    """Given the three Generators' handles (``kernels.stream_handle``, as ``need.day`` passes
    the model's streams) the kernel leaves every array and count as given the arrays
    ``random(n, dtype=np.float32)`` on the same streams fills, and leaves each stream where
    that fill leaves it (the next draw the same): with the PCG64 stepped in the kernel's own
    code (``inline`` 1) and through the bit generator's ``next_uint32`` (0)."""
    streams = [np.random.Generator(np.random.PCG64(seed)) for seed in (11, 12, 13)]
    twins = [np.random.Generator(np.random.PCG64(seed)) for seed in (11, 12, 13)]
    for g in (*streams, *twins):  # a float32 draw leaves half a word behind: start mid-word
        g.random(3, dtype=np.float32)
    a = _need_day_arrays(rng, n)
    onset_p = (rng.random(n) * 0.4).astype(np.float32)
    expected = _need_day_both_ways(a, onset_p, 1.3, streams, twins, inline)
    for g, twin in zip(streams, twins, strict=True):
        assert g.random(5, dtype=np.float32).tobytes() == twin.random(5, dtype=np.float32).tobytes()
        assert g.random() == twin.random()
    if n == N:  # onsets (which use all three uniforms) and the unmet course happened
        assert expected[0] and expected[2] and expected[3]


def test_stream_handles_step_pcg64_in_line_and_call_other_bit_generators():
    """A PCG64's handle asks for the in-line step (where the import's check agreed: on this
    project's x86-64 Linux machines it must); another bit generator's for the call through
    its ``next_uint32``; both give numpy's float32 uniforms and leave the stream as numpy
    does, also from odd positions (a half word kept) and across many draws."""
    if sys.platform == "linux" and platform.machine() == "x86_64":
        assert kernels._PCG64_INLINE
    for make, inline in ((np.random.PCG64, int(kernels._PCG64_INLINE)),
                         (np.random.SFC64, 0), (np.random.Philox, 0),
                         (np.random.PCG64DXSM, 0)):
        for skip in (0, 1, 2, 5):
            ours, theirs = np.random.Generator(make(99)), np.random.Generator(make(99))
            for g in (ours, theirs):
                g.random(skip, dtype=np.float32)
            handle = kernels.stream_handle(ours)
            assert int(handle[2]) == inline, make
            got = kernels._uniforms_through(handle, 10_001)
            assert got.tobytes() == theirs.random(10_001, dtype=np.float32).tobytes(), make
            assert repr(ours.bit_generator.state) == repr(theirs.bit_generator.state), make
            assert ours.random(7).tobytes() == theirs.random(7).tobytes()


def test_skipped_uniforms_leave_every_stream_where_drawing_leaves_it():
    """Skipping ``k`` float32 uniforms (``kernels._skip_uniforms``) then drawing gives the
    values of ``random(k + n, dtype=float32)[k:]`` and leaves the whole state as numpy does
    (its kept half word and that word's value too), for short and long skips from even and
    odd positions: a PCG64 stepped in line jumps its LCG; one called through
    ``next_uint32``, other bit generators, and a PCG64 whose state was replaced by one with
    another increment (the handle's jumps are not its own) draw what they skip."""
    if sys.platform == "linux" and platform.machine() == "x86_64":
        assert kernels._PCG64_JUMPS
    lengths = [*range(0, 40), 63, 64, 65, 127, 500, 4097, 65_536, 1_000_003]
    for make, inline in ((np.random.PCG64, 1), (np.random.PCG64, 0), (np.random.Philox, 0)):
        for start in (0, 1, 2, 7):
            for k in lengths:
                ours, theirs = np.random.Generator(make(5)), np.random.Generator(make(5))
                handle = kernels.stream_handle(ours)
                if make is np.random.PCG64:
                    handle[2] = inline
                for g in (ours, theirs):
                    g.random(start, dtype=np.float32)
                got = kernels._skip_then_draw(handle, k, 3)
                assert got.tobytes() == theirs.random(k + 3, dtype=np.float32)[k:].tobytes()
                assert repr(ours.bit_generator.state) == repr(theirs.bit_generator.state), (
                    make, inline, start, k)
    # the jumps do run: 2 * (10**15 + 1) draws skipped at once (drawing them would take
    # weeks) leave the stream where advancing it 10**15 steps and drawing the next output's
    # two halves does
    if kernels._PCG64_JUMPS:
        ours, theirs = (np.random.Generator(np.random.PCG64(5)) for _ in range(2))
        handle = kernels.stream_handle(ours)
        assert handle.size == kernels._HANDLE_HEAD + 4 * kernels._JUMPS and handle[2] == 1
        got = kernels._skip_then_draw(handle, 2 * (10**15 + 1), 3)
        theirs.bit_generator.advance(10**15)
        theirs.random(2, dtype=np.float32)
        assert got.tobytes() == theirs.random(3, dtype=np.float32).tobytes()
        assert repr(ours.bit_generator.state) == repr(theirs.bit_generator.state)
    # a handle made before the stream's state was replaced (same memory, another increment)
    ours, theirs = np.random.Generator(np.random.PCG64(5)), np.random.Generator(np.random.PCG64(8))
    handle = kernels.stream_handle(ours)
    handle[2] = 1
    ours.bit_generator.state = theirs.bit_generator.state
    got = kernels._skip_then_draw(handle, 4097, 3)
    assert got.tobytes() == theirs.random(4100, dtype=np.float32)[4097:].tobytes()
    assert repr(ours.bit_generator.state) == repr(theirs.bit_generator.state)


@pytest.mark.parametrize("inline", [1, 0])
def test_need_day_skips_the_uniforms_nobody_reads_as_drawing_them(rng, inline):
    """A large, mostly well population with rare onsets (long runs of domain and course
    uniforms that nobody reads, which the kernel skips): every array, count and stream's
    whole state as given the arrays ``random(n, dtype=float32)`` fills on the same streams."""
    n = 60_000
    streams = [np.random.Generator(np.random.PCG64(seed)) for seed in (21, 22, 23)]
    twins = [np.random.Generator(np.random.PCG64(seed)) for seed in (21, 22, 23)]
    for g in (*streams[:2], *twins[:2]):  # two of them start mid-word
        g.random(1, dtype=np.float32)
    a = _need_day_arrays(rng, n)
    sick = rng.random(n) < 0.01  # a few in need, most of them unmet
    a["need"][sick] = rng.integers(1, 4, int(sick.sum()))
    a["pathway"][sick] = np.where(rng.random(int(sick.sum())) < 0.7, 0, 3)
    onset_p = (rng.random(n) * 0.002).astype(np.float32)
    expected = _need_day_both_ways(a, onset_p, 1.0, streams, twins, inline)
    assert expected[0] >= 20  # onsets happened
    for g, twin in zip(streams, twins, strict=True):
        assert repr(g.bit_generator.state) == repr(twin.bit_generator.state)


def test_need_day_thresholds_are_float32(rng):
    """A level threshold a float32 ratio equals only after rounding to float32 (numpy
    compares a float32 array with a Python float in float32): the kernel, given float32
    thresholds as ``need.day`` passes them, gives numpy's level; float64 ones would not."""
    v = np.float32(0.7)  # below 0.7 in float64, equal to it in float32
    assert float(v) < 0.7
    u, onset_p = np.array([v * np.float32(0.5)], np.float32), np.array([0.5], np.float32)
    assert u[0] / onset_p[0] == v
    zeros = (np.zeros(1, np.float32), np.zeros(1, np.float32))
    rates = (np.cumsum([0.3, 0.3]), np.zeros(3), np.zeros(3))
    a = _need_day_arrays(rng, 1)
    _need_day_numpy(a, u, onset_p, 1.0, *zeros, (0.7, 0.12, 0.25), *rates, 30)
    assert a["need"][0] == 2  # numpy: moderate (v is not below float32(0.7))
    for low, level in ((np.float32(0.7), 2), (0.7, 1)):
        b = _need_day_arrays(rng, 1)
        kernels.need_day(u, onset_p, np.float32(1.0), *zeros, low, np.float32(0.88),
                         np.float32(0.25), *rates, int(Pathway.WAITING), int(Pathway.GROUP),
                         30, *b.values())
        assert b["need"][0] == level


def test_need_day_hidden_flag_is_float32(rng):
    """The hidden flag is numpy's float32 ``v * 997 % 1 < p_hidden``: ratios where float64
    arithmetic would flip the flag get numpy's."""
    cand = rng.random(1_000_000, dtype=np.float32)
    in_f32 = (cand * 997.0) % 1.0 < 0.25
    v = cand[in_f32 != ((cand.astype(np.float64) * 997.0) % 1.0 < 0.25)][:20]
    assert v.size >= 5
    u, onset_p = v * np.float32(0.5), np.full(v.size, 0.5, np.float32)
    zeros = (np.zeros(v.size, np.float32), np.zeros(v.size, np.float32))
    rates = (np.cumsum([0.3, 0.3]), np.zeros(3), np.zeros(3))
    a = _need_day_arrays(rng, v.size)
    b = {k: x.copy() for k, x in a.items()}
    _need_day_numpy(a, u, onset_p, 1.0, *zeros, (0.55, 0.12, 0.25), *rates, 30)
    kernels.need_day(u, onset_p, np.float32(1.0), *zeros, np.float32(0.55), np.float32(0.88),
                     np.float32(0.25), *rates, int(Pathway.WAITING), int(Pathway.GROUP), 30,
                     *b.values())
    np.testing.assert_array_equal(b["hidden"], a["hidden"])
    np.testing.assert_array_equal(a["hidden"], (v * 997.0) % 1.0 < 0.25)


@pytest.mark.parametrize("n", [N, 1, 0])
def test_consulting_today_matches_numpy(rng, n):
    in_need = np.sort(rng.choice(max(n, 1), n, replace=False)).astype(np.int64)
    gp = rng.integers(0, 7, max(n, 1)).astype(np.int32)
    access = np.r_[rng.random(6), 3.0]  # one practice's chance capped at 1
    r = rng.random(n)
    rate = 0.02 * 40.0
    expected = in_need[r < np.minimum(rate * access[gp[in_need]], 1.0)]
    got = kernels.consulting_today(in_need, r, gp, access, rate)
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == np.int64
    if n == N:
        assert 0 < got.size < n and (gp[got] == 6).any() and not (gp[got] == 6).all()
