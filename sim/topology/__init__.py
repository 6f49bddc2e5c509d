"""Social-network topologies: urban estate, rural village, county, or the user's own files.

Builders return a :class:`Topology` (units, households, edges); they use only the generator they
are given, so one seed decides the graph. Edges are built with numpy in time linear in the
number of residents.
"""

from sim.topology.builders import Topology, UnitInfo, build_topology

__all__ = ["Topology", "UnitInfo", "build_topology"]
