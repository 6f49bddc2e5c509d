"""A link worker's inbox (referrals waiting for triage) and waiting list (assessed residents
waiting for bespoke support), first come first served, held as columns.

In a large place the inboxes hold tens of thousands of referrals (a 3,000,000-resident county
about 27,000 at once), and every working day each link worker drops the entries whose resident
no longer waits on that referral. Held as a deque of tuples, that purge read every entry back
into arrays each day; held as columns it is one compiled pass over the entries. Entries read
back as the same tuples: ``(resident, source, referral number)`` in the inbox,
``(resident, referral number)`` on the waiting list."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


class ReferralQueue:
    """Referrals ``(resident, source, referral number)`` in arrival order, with the deque
    operations the link worker uses (``append``, ``popleft``, ``[0]``, ``len``, iteration) and
    :meth:`keep` to drop entries by a mask over them. Sources are stored as codes into this
    queue's own list of names (so a pickled queue reads back the same anywhere)."""

    def __init__(self, capacity: int = 16):
        self._resident = np.empty(capacity, np.int64)
        self._number = np.empty(capacity, np.int64)
        self._source = np.empty(capacity, np.int16)
        self._names: list[str] = []
        self._codes: dict[str, int] = {}
        self._head = self._tail = 0

    def __len__(self) -> int:
        return self._tail - self._head

    def __bool__(self) -> bool:
        return self._tail > self._head

    def __repr__(self) -> str:
        return f"ReferralQueue({list(self)!r})"

    def append(self, entry: tuple[int, str, int]) -> None:
        i, source, number = entry
        code = self._codes.get(source)
        if code is None:
            code = self._codes[source] = len(self._names)
            self._names.append(source)
        t = self._tail
        if t == self._resident.size:
            self._make_room()
            t = self._tail
        self._resident[t] = i
        self._number[t] = number
        self._source[t] = code
        self._tail = t + 1

    def _make_room(self) -> None:
        """Room for one more at the tail: entries moved to the front if half the arrays lie
        before the head, else every column doubled."""
        h, t, size = self._head, self._tail, self._resident.size
        n = t - h
        grow = 2 * size if h < size // 2 else size
        for name in ("_resident", "_number", "_source"):
            old = getattr(self, name)
            new = np.empty(max(grow, 16), old.dtype)
            new[:n] = old[h:t]
            setattr(self, name, new)
        self._head, self._tail = 0, n

    def __getitem__(self, k: int) -> tuple[int, str, int]:
        n = self._tail - self._head
        if k < 0:
            k += n
        if not 0 <= k < n:
            raise IndexError("ReferralQueue index out of range")
        j = self._head + k
        return (self._resident.item(j), self._names[self._source.item(j)],
                self._number.item(j))

    def popleft(self) -> tuple[int, str, int]:
        entry = self[0]
        self._head += 1
        return entry

    def __iter__(self) -> Iterator[tuple[int, str, int]]:
        h, t, names = self._head, self._tail, self._names
        return zip(self._resident[h:t].tolist(), [names[c] for c in self._source[h:t].tolist()],
                   self._number[h:t].tolist(), strict=True)

    def residents(self) -> np.ndarray:
        """The residents of the entries in order (a view: read only)."""
        return self._resident[self._head:self._tail]

    def numbers(self) -> np.ndarray:
        """The referral numbers of the entries in order (a view: read only)."""
        return self._number[self._head:self._tail]

    def keep(self, mask: np.ndarray) -> None:
        """Keep the entries where ``mask`` (one bool per entry, in order) is true, in order."""
        h, t = self._head, self._tail
        if mask.shape != (t - h,):
            raise ValueError(f"mask of {mask.shape} for {t - h} entries")
        n = int(np.count_nonzero(mask))
        for name in ("_resident", "_number", "_source"):
            column = getattr(self, name)
            column[:n] = column[h:t][mask]
        self._head, self._tail = 0, n


    def keep_waiting(self, pathway: np.ndarray, lw_referrals: np.ndarray, waiting: int) -> None:
        """Keep the entries whose resident still waits for a link worker on that referral
        (``pathway == waiting`` and ``lw_referrals`` is the entry's number), in order: one
        compiled pass (:meth:`keep` with the mask those tests give)."""
        from sim.kernels import keep_waiting_entries

        self._tail = keep_waiting_entries(self._resident, self._number, self._source,
                                          self._head, self._tail, pathway, lw_referrals,
                                          waiting)
        self._head = 0


class WaitingList(ReferralQueue):
    """A link worker's waiting list: ``(resident, referral number)`` in arrival order, with the
    deque operations the link worker uses, held as a :class:`ReferralQueue`'s columns (its
    source column unused) so the daily purge is the inbox's compiled pass
    (:meth:`ReferralQueue.keep_waiting`) instead of the entries read back into arrays, a mask
    and a new deque."""

    def __repr__(self) -> str:
        return f"WaitingList({list(self)!r})"

    def append(self, entry: tuple[int, int]) -> None:  # type: ignore[override]
        i, number = entry
        super().append((i, "", number))

    def __getitem__(self, k: int) -> tuple[int, int]:  # type: ignore[override]
        i, _, number = super().__getitem__(k)
        return i, number

    def __iter__(self) -> Iterator[tuple[int, int]]:  # type: ignore[override]
        h, t = self._head, self._tail
        return zip(self._resident[h:t].tolist(), self._number[h:t].tolist(), strict=True)


__all__ = ["ReferralQueue", "WaitingList"]
