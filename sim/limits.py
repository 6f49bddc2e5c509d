"""Size limits: refuse, before anything is built, a world that would exhaust memory or hang.

The sizes are counted from the configuration alone (no allocation): residents, neighbourhood
units, organisations and candidate ties. Each has a limit far above the largest world we run
(a county of a million residents); past it the error names the key, the size and a memory
estimate, and ``run.allow_large=true`` lets the run go ahead. Estimates are rough (measured
peak memory of the benchmark, docs: README "Performance"), meant to tell megabytes from
hundreds of gigabytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sim.params import ConfigError

if TYPE_CHECKING:
    from sim.params import Config, UnitParams

MAX_RESIDENTS = 10_000_000
MAX_UNITS = 20_000
MAX_ORGANISATIONS = 200_000
MAX_TIES = 300_000_000  # candidate ties drawn while building (before duplicates are dropped)

BYTES_PER_RESIDENT = 400  # population arrays and daily state (benchmark: ~300 B at 1 M)
BYTES_PER_RESIDENT_AGENT = 1_500  # a Mesa Resident object (run.resident_agents=true)
BYTES_PER_TIE = 100  # candidate pairs, sorting and the sparse adjacency
BYTES_PER_ORGANISATION = 8_000  # a Mesa agent with its lists and dictionaries
MAX_HOUSEHOLD = 8  # as sim.topology.builders
COUNTY_AREA_MIN = 1_000  # county: residents of one area at least (LSOAs hold 1,000-3,000)


@dataclass
class Sizes:
    residents: int = 0
    units: int = 0
    organisations: int = 0
    ties: int = 0
    # the key most responsible for each size, for the message
    keys: dict[str, str] = field(default_factory=dict)

    @property
    def bytes(self) -> int:
        return (self.residents * BYTES_PER_RESIDENT + self.ties * BYTES_PER_TIE
                + self.organisations * BYTES_PER_ORGANISATION)


def _unit_counts(cfg: Config) -> list[tuple[str, UnitParams, int, int]]:
    """``(key, params, units, residents per unit)`` per kind of unit, by arithmetic only."""
    t = cfg.topology
    n = t.n_residents
    if t.kind == "urban":
        return [("topology.urban", t.urban, 1, n)]
    if t.kind == "rural":
        return [("topology.rural_unit", t.rural_unit, 1, n)]
    if t.kind == "county":  # areas of the template's sizes (sim.topology.county), at least
        n_rural = int(round(n * t.rural_share))  # COUNTY_AREA_MIN residents each
        return [(key, p, math.ceil(m / COUNTY_AREA_MIN), COUNTY_AREA_MIN * 2)
                for key, p, m in (("topology.urban", t.urban, n - n_rural),
                                  ("topology.rural_unit", t.rural_unit, n_rural)) if m > 0]
    if t.kind != "county_legacy":
        return []  # file, places: sized by their tables
    n_rural = int(round(n * t.rural_share))
    n_parishes = int(round(n_rural / max(t.rural_unit.n_residents, 1))) if n_rural else 0
    if n_rural and n_parishes == 0:
        n_parishes = 1
    n_urban = n - n_rural
    n_hoods = math.ceil(n_urban / max(t.urban.n_residents, 1)) if n_urban else 0
    out = []
    if n_hoods:
        out.append(("topology.urban", t.urban, n_hoods, math.ceil(n_urban / n_hoods)))
    if n_parishes:
        out.append(("topology.rural_unit", t.rural_unit, n_parishes,
                    math.ceil(n_rural / n_parishes)))
    return out


def estimate(cfg: Config) -> Sizes:
    """The sizes a configuration would build (upper estimates)."""
    t = cfg.topology
    s = Sizes(residents=t.n_residents if t.kind not in ("file", "places") else 0,
              keys={"residents": "topology.n_residents"})
    org_share: dict[str, int] = {"topology.place_charities": t.place_charities}
    tie_share: dict[str, int] = {}
    unit_share: dict[str, int] = {}
    for key, p, units, size in _unit_counts(cfg):
        s.units += units
        unit_share[f"{key}.n_residents"] = units
        per_unit = {"gp_practices": p.gp_practices, "link_workers": p.link_workers,
                    "formal_charities": p.formal_charities,
                    "community_groups": p.community_groups}
        for name, k in per_unit.items():
            org_share[f"{key}.{name}"] = org_share.get(f"{key}.{name}", 0) + k * units
        s.organisations += units * (sum(per_unit.values()) + 3)  # + hubs, councils, networks
        households = size / max(p.mean_household_size, 1.0) + 16
        ring = int(households * (p.ties_per_household // 2)) * units
        leaders = min(p.n_community_leaders, size) * p.leader_ties * units
        cliques = size * (MAX_HOUSEHOLD - 1) // 2 * units
        tie_share[f"{key}.ties_per_household"] = ring
        tie_share[f"{key}.leader_ties"] = leaders
        s.ties += ring + leaders + cliques
    s.organisations += t.place_charities + 3
    s.keys["units"] = max(unit_share, key=unit_share.get, default="topology.n_residents")
    s.keys["organisations"] = max(org_share, key=org_share.get)
    s.keys["ties"] = max(tie_share, key=tie_share.get, default="topology.n_residents")
    return s


def _gib(n_bytes: float) -> str:
    gib = n_bytes / 2**30
    return f"{gib:,.0f} GiB" if gib >= 10 else f"{gib:.1f} GiB"


def check_sizes(cfg: Config) -> None:
    """Refuse sizes above the limits unless ``run.allow_large``; the message names the key."""
    if cfg.run.allow_large:
        return
    s = estimate(cfg)
    total = s.bytes + (s.residents * BYTES_PER_RESIDENT_AGENT if cfg.run.resident_agents
                       else 0)
    need = f"would need about {_gib(total)} of memory"
    flag = "set run.allow_large=true to go past the limit"
    if s.residents > MAX_RESIDENTS:
        raise ConfigError(s.keys["residents"], f"{s.residents:,} residents is above the limit "
                                               f"of {MAX_RESIDENTS:,} ({need}); {flag}")
    if s.units > MAX_UNITS:
        raise ConfigError(s.keys["units"], f"makes {s.units:,} neighbourhood units, above the "
                                           f"limit of {MAX_UNITS:,} ({need}); {flag}")
    if s.organisations > MAX_ORGANISATIONS:
        raise ConfigError(s.keys["organisations"],
                          f"makes about {s.organisations:,} organisations, above the limit of "
                          f"{MAX_ORGANISATIONS:,} ({need}); {flag}")
    if s.ties > MAX_TIES:
        raise ConfigError(s.keys["ties"], f"makes about {s.ties:,} social ties, above the "
                                          f"limit of {MAX_TIES:,} ({need}); {flag}")
