"""The link worker's inbox and waiting list held as columns (sim.agents.referral_queue):
the deques of ``(resident, source, referral number)`` and ``(resident, referral number)``
tuples they replaced, operation for operation, and the daily purge keeps exactly the entries
still live."""

from __future__ import annotations

import pickle
from collections import deque

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.agents.referral_queue import ReferralQueue, WaitingList
from sim.state import Need, Pathway

SOURCES = ("gp", "self", "vcse", "signposting", "statutory")



def _operations(*entry, max_size: int):
    """Lists of deque operations: appends of ``entry`` (strategies of its fields), poplefts,
    keeps by a seeded mask and pickle round trips."""
    return st.lists(st.one_of(
        st.tuples(st.just("append"), *entry),
        st.tuples(st.just("popleft")),
        st.tuples(st.just("keep"), st.integers(0, 2**32 - 1)),
        st.tuples(st.just("pickle")),
    ), max_size=max_size)


operations = _operations(st.integers(0, 10**9), st.sampled_from(SOURCES), st.integers(1, 50),
                         max_size=300)


@settings(max_examples=200, deadline=None)
@given(operations)
def test_queue_behaves_as_the_deque_of_tuples(ops):
    queue = _behaves_as_the_deque(ReferralQueue(capacity=2), ops)
    assert queue.numbers().tolist() == [e[2] for e in queue]


def _behaves_as_the_deque(queue, ops):
    """Applies ``ops`` to ``queue`` and to a deque, checking they hold the same entries after
    each; returns the queue (it may have been pickled and read back)."""
    reference = deque()
    for op in ops:
        if op[0] == "append":
            queue.append(op[1:])
            reference.append(op[1:])
        elif op[0] == "popleft":
            if reference:
                assert queue.popleft() == reference.popleft()
            else:
                with pytest.raises(IndexError):
                    queue.popleft()
        elif op[0] == "keep":
            mask = np.random.default_rng(op[1]).random(len(reference)) < 0.6
            queue.keep(mask)
            reference = deque(e for e, k in zip(reference, mask, strict=True) if k)
        else:
            queue = pickle.loads(pickle.dumps(queue))
        assert len(queue) == len(reference) and bool(queue) == bool(reference)
        assert list(queue) == list(reference)
        if reference:
            assert queue[0] == reference[0] and queue[-1] == reference[-1]
            assert queue.residents().tolist() == [e[0] for e in reference]
    return queue


def test_queue_rejects_a_mask_of_another_length_and_indices_out_of_range():
    queue = ReferralQueue()
    queue.append((3, "gp", 1))
    with pytest.raises(ValueError, match="mask"):
        queue.keep(np.ones(2, bool))
    with pytest.raises(IndexError):
        queue[1]


def test_purge_keeps_the_live_referrals_of_a_long_inbox_in_order(tiny_model):
    """Many referrals in one inbox, some of them stale in each way (pathway left, a newer
    referral of the same resident): the purge keeps exactly the live ones, in order."""
    model = tiny_model(n=60)
    lw = model.link_workers[0]
    pop = model.pop
    rng = np.random.default_rng(7)
    for i in range(60):
        pop.need[i] = Need.LOW
        pop.pathway[i] = Pathway.WAITING
        pop.lw_referrals[i] = 2
        lw.inbox.append((i, SOURCES[i % 5], 2))
    for i in range(0, 60, 7):
        lw.inbox.append((i, "self", 1))  # left by an earlier referral
    stale_pathway = rng.choice(60, 15, replace=False)
    pop.pathway[stale_pathway] = Pathway.NONE
    expected = [(i, SOURCES[i % 5], 2) for i in range(60) if i not in set(stale_pathway)]
    lw.purge()
    assert list(lw.inbox) == expected
    assert lw.held_in_error() == []


@pytest.mark.parametrize(("name", "kind", "entries"), [
    ("inbox", ReferralQueue, [(4, "gp", 1), (2, "vcse", 3), (9, "self", 1)]),
    ("waiting", WaitingList, [(4, 1), (2, 3), (9, 1)]),
])
def test_a_link_worker_saved_with_deques_loads_with_the_same_entries(tiny_model, name, kind,
                                                                     entries):
    """A model saved before the inbox and the waiting list were held as columns (deques of
    tuples) continues: the entries come back, in order, in queues the purge can read."""
    model = tiny_model(n=10)
    lw = model.link_workers[0]
    state = dict(lw.__dict__, **{name: deque(entries)})
    old = pickle.loads(pickle.dumps(lw))
    old.__dict__.clear()
    old.__setstate__(state)
    queue = getattr(old, name)
    assert isinstance(queue, kind) and list(queue) == entries
    assert queue.residents().tolist() == [4, 2, 9]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_keep_waiting_is_keep_with_the_waiting_mask(seed):
    """The link worker's purge in one compiled pass keeps the entries the mask of residents
    still waiting on that referral keeps, in order, from any head position; appends after it
    go on as before."""
    rng = np.random.default_rng(seed)
    n = 300
    pathway = rng.integers(0, 4, n).astype(np.int8)
    referrals = rng.integers(0, 3, n).astype(np.int16)
    a, b = ReferralQueue(4), ReferralQueue(4)
    for q in (a, b):
        for k in range(120):
            q.append((int(k * 7 % n), ("gp", "self", "vcse")[k % 3], int(k % 3)))
        for _ in range(17):
            q.popleft()
    mask = (pathway[a.residents()] == 1) & (referrals[a.residents()] == a.numbers())
    a.keep(mask)
    b.keep_waiting(pathway, referrals, 1)
    assert list(b) == list(a) and 0 < len(b) < 103
    for q in (a, b):
        q.append((5, "statutory", 2))
    assert list(b) == list(a)


pair_operations = _operations(st.integers(0, 10**9), st.integers(1, 50), max_size=200)


@settings(max_examples=100, deadline=None)
@given(pair_operations)
def test_waiting_list_behaves_as_the_deque_of_pairs(ops):
    """The waiting list (``WaitingList``) is the deque of ``(resident, referral number)`` it
    replaced, operation for operation."""
    queue = _behaves_as_the_deque(WaitingList(capacity=2), ops)
    assert queue.numbers().tolist() == [e[1] for e in queue]


def test_purge_keeps_the_live_entries_of_a_long_waiting_list_in_order(tiny_model):
    """The waiting list's purge (the inbox's compiled pass) keeps exactly the residents who
    still wait on that referral, in order, and drops those whose pathway moved on or whose
    entry an earlier referral left."""
    model = tiny_model(n=60)
    lw = model.link_workers[0]
    pop = model.pop
    for i in range(60):
        pop.need[i] = Need.MODERATE
        pop.pathway[i] = Pathway.WAITING
        pop.lw_referrals[i] = 2
        lw.waiting.append((i, 2))
    for i in range(0, 60, 7):
        lw.waiting.append((i, 1))  # left by an earlier referral
    stale = set(np.random.default_rng(3).choice(60, 15, replace=False).tolist())
    pop.pathway[sorted(stale)] = Pathway.NONE
    lw.purge()
    assert list(lw.waiting) == [(i, 2) for i in range(60) if i not in stale]
    assert lw.held_in_error() == []
