"""What pulls neighbours into forming a mutual aid group: a sudden rise in fresh unmet need
among them, not need that is chronically high (003:53 "sudden shocks", 003:67, 003:99 a
flood's "spontaneous neighbourhood response"). The daily formation and folding of groups is in
:meth:`sim.model.CommunityModel._mutual_aid_emerges`; these are its two steps over units
(the model works out :func:`rise_pull` in two compiled calls around numpy's power,
``kernels.fresh_shares_and_rise`` and ``kernels.pull_and_formation``, with the same
arithmetic; this is their reference)."""

from __future__ import annotations

import numpy as np


def rise_pull(share: np.ndarray, usual: np.ndarray, street: np.ndarray, half: float,
              steepness: float) -> np.ndarray:
    """Pull (0-1) of the rise in fresh unmet need above its usual level, by unit.

    Args:
        share: each unit's share of residents in fresh unmet need today.
        usual: each unit's running usual level of that share.
        street: residents per street-level group in each unit (the unit if smaller).
        half: extra residents in fresh need per street at which the pull is one half
            (``groups.mag_excess_need_half``).
        steepness: exponent of the pull curve (``groups.mag_unmet_steepness``).

    Returns:
        x / (1 + x) with x = (extra / half) ** steepness, where extra is the share above the
        usual level (never below zero) times ``street``: 0 at or below the usual level.
    """
    extra = np.maximum(share - usual, 0.0) * street
    pressure = (extra / half) ** steepness
    return pressure / (1.0 + pressure)


def next_usual(usual: np.ndarray, share: np.ndarray, window_days: float) -> np.ndarray:
    """The usual level after today: an exponentially weighted mean that moves
    ``1 / window_days`` of the way to today's ``share`` (``groups.mag_need_level_days``;
    :func:`learning_window` while it is being learnt)."""
    return usual + (share - usual) / window_days


def learning_window(days_seen: int, window_days: float) -> float:
    """The step of :func:`next_usual` after ``days_seen`` days of learning: the plain mean of
    the days seen while they are fewer than ``window_days``, then the exponential mean.

    How the usual level starts (a run with no burn-in has no history). Need seeded on day 0
    is the community's prevalence, not a rise, yet it counts as fresh while it is inside the
    fresh window (``groups.mag_fresh_need_days``); judged against a level that includes it the
    first week of a run formed groups that no rise in need pulled together, and the inflated
    level then held formation off for about three months while it decayed. So nothing is
    judged or learnt until the window holds only need that began in the run; the level then
    starts at that day's share and is the running mean of the days seen until there are
    ``window_days`` of them (the usual bias-corrected start of an exponential mean; with no
    burn-in the community's need is still building up and the mean follows it). The cost: a
    shock in the first ``mag_fresh_need_days`` days of a run with no burn-in is learnt as the
    usual level, so such a scenario needs a burn-in (every default run has one).
    """
    return float(min(max(days_seen, 1), window_days))
