"""Vectorised daily processes over the population arrays."""
