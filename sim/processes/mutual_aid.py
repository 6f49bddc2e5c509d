"""What pulls neighbours into forming a mutual aid group: a sudden rise in fresh unmet need
among them, not need that is chronically high (003:53 "sudden shocks", 003:67, 003:99 a
flood's "spontaneous neighbourhood response"). The daily formation and folding of groups is in
:meth:`sim.model.CommunityModel._mutual_aid_emerges`; these are its two vectorised steps over
units."""

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
    ``1 / window_days`` of the way to today's ``share`` (``groups.mag_need_level_days``)."""
    return usual + (share - usual) / window_days
