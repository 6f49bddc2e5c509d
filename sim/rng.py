"""One seed, named independent random streams (common random numbers).

Each process draws from its own stream, derived from ``(seed, replicate)`` and the stream's
name. Two runs with the same seed and replicate share topology, population and need draws
whatever scenario they run, so scenario comparisons are paired; an event that never fires draws
nothing and leaves the run bit-for-bit unchanged.
"""

from __future__ import annotations

import zlib

import numpy as np

STREAMS = (
    "topology", "population", "need", "need_course", "support_outcome", "help_seeking", "gp",
    "link_worker", "groups", "volunteers", "intermediaries", "wellbeing", "evaluation", "events",
    "mesa", "waiting", "volunteer_hours", "infrastructure", "emergency", "redeployment",
    "volunteer_management", "group_strain", "partnership", "statutory", "lw_contact",
    "gp_feedback", "lw_hosting", "need_domain", "group_offer", "group_formation", "gp_ties",
    "gp_partnership", "joint_ties",
)


def stream_key(name: str) -> int:
    """A stable 32-bit key for a stream name (independent of Python's hash seed)."""
    return zlib.crc32(name.encode("utf-8"))


class Streams:
    """Named ``numpy.random.Generator`` objects derived from one seed."""

    def __init__(self, seed: int, replicate: int = 0):
        self.seed = int(seed)
        self.replicate = int(replicate)
        self._gens: dict[str, np.random.Generator] = {}

    def seed_sequence(self, name: str) -> np.random.SeedSequence:
        return np.random.SeedSequence(entropy=[self.seed, self.replicate],
                                      spawn_key=(stream_key(name),))

    def __getitem__(self, name: str) -> np.random.Generator:
        gen = self._gens.get(name)
        if gen is None:
            gen = np.random.Generator(np.random.PCG64(self.seed_sequence(name)))
            self._gens[name] = gen
        return gen

    def __getattr__(self, name: str) -> np.random.Generator:
        if name.startswith("_"):
            raise AttributeError(name)
        gen = self[name]
        setattr(self, name, gen)  # later look-ups are plain attribute reads (hot paths)
        return gen


_LEMIRE_MAX = 2**32  # integers(n) of numpy draws 32-bit words up to this many options
_kernels = None  # sim.kernels, imported at the first pick (numba is not loaded before)


def pick_index(rng: np.random.Generator, n: int) -> int:
    """``int(rng.integers(n))``, the position of one of ``n`` options drawn uniformly. One
    option draws nothing (``integers(1)`` has a single value and takes no draw from the
    stream), so it is returned without the call; up to 2**32 options the value is drawn by
    a compiled call through the generator's handle as numpy draws it
    (``sim.kernels.index_below``: numpy's ``integers`` spends over a microsecond a call on
    its arguments, on hot paths); the stream is left exactly where ``integers`` would leave
    it."""
    global _kernels
    if n == 1:
        return 0
    if not 2 <= n <= _LEMIRE_MAX:
        return int(rng.integers(n))
    if _kernels is None:
        from sim import kernels as _kernels
    return _kernels.index_below(_kernels.generator_handle(rng), n)
