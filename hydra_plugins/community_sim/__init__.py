"""Hydra plugins of community-response-sim (found by Hydra's plugin discovery, which scans the
``hydra_plugins`` namespace package)."""
