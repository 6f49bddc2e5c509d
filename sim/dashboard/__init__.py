"""War-gaming dashboard for resilience forums (a Solara app on Mesa's visualisation).

Start it with ``python -m sim.dashboard`` (binds to 127.0.0.1; ``--port`` to choose the port).
The exercise logic (branches, injects, log, exports) is in :mod:`sim.dashboard.exercise` and
needs no browser.
"""
