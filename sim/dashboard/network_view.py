"""The network view: a fixed sample of residents and every organisation, coloured by state.

The urban default has 8,000 residents and about 18,000 ties: too many to draw legibly. The view
therefore draws a **sample**: a few households (one per unit first, then more from the largest
units), their members and the residents tied to them, up to ``max_residents``. Every
organisation, GP practice, link worker and intermediary is drawn, on an outer ring. The sample
and the layout are fixed when the exercise starts (from the run seed, with a generator of their
own, so drawing never touches the model's random streams); colours follow the state day by
day. A line under the picture gives the whole-population counts (the aggregate).
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.agents.health import GPPractice, LinkWorker
from sim.agents.intermediaries import LocalityOfficer, ParishCouncil
from sim.agents.organisations import GroupKind, NHSTrust
from sim.model import CommunityModel
from sim.state import Pathway, VolunteerState

RESIDENT_COLOURS = {  # need status -> colour
    "no need": "#d4d4d4",
    "unmet need": "#d62728",
    "waiting for a link worker": "#ff7f0e",
    "supported": "#2ca02c",
}
VOLUNTEER_COLOURS = {
    "applied / onboarding": "#17becf",
    "active": "#08519c",
    "idle": "#9ecae1",
    "stood down": "#252525",
    "lapsed": "#ffffff",
}
ORG_STYLE = {  # label -> (marker, colour)
    "formal charity": ("s", "#7b3294"),
    "community group": ("s", "#c2a5cf"),
    "mutual aid group": ("s", "#e7298a"),
    "infrastructure org (LIO)": ("s", "#e6ab02"),
    "hospital trust": ("s", "#1b9e77"),
    "GP practice": ("P", "#1b9e77"),
    "link worker": ("h", "#66a61e"),
    "locality officer": ("D", "#d95f02"),
    "parish council": ("D", "#7570b3"),
    "place hub": ("D", "#a6761d"),
}
GROUP_LABEL = {GroupKind.FORMAL_CHARITY: "formal charity",
               GroupKind.COMMUNITY_GROUP: "community group",
               GroupKind.MUTUAL_AID: "mutual aid group", GroupKind.LIO: "infrastructure org (LIO)"}


@dataclass
class Sample:
    residents: np.ndarray  # resident indices drawn
    households: int
    edges: np.ndarray  # ties among the drawn residents, as positions in ``residents``
    pos: np.ndarray  # (k, 2) layout of the drawn residents


def choose_sample(model: CommunityModel, max_residents: int = 180, seed: int = 0) -> Sample:
    """A few households and their ties' residents, laid out once (spring layout)."""
    pop = model.pop
    rng = np.random.default_rng([model.cfg.run.seed, seed])
    chosen: list[int] = []
    seen: set[int] = set()
    households = 0
    for attempt in range(400):  # one household per unit in turn until the sample is full
        u = model.units[attempt % len(model.units)]
        i = int(rng.integers(u.start, u.stop))
        if i in seen:
            continue
        members = np.flatnonzero(pop.household == pop.household[i]).tolist()
        ties = [int(j) for m in members for j in pop.neighbours(m)]
        new = [j for j in dict.fromkeys(members + ties) if j not in seen]
        if chosen and len(chosen) + len(members) > max_residents:
            break
        households += 1
        new = new[: max_residents - len(chosen)]
        chosen += new
        seen.update(new)
        if len(chosen) >= max_residents:
            break
    residents = np.array(sorted(chosen), dtype=np.int64)
    where = {int(r): k for k, r in enumerate(residents)}
    e = model.edges
    keep = np.isin(e[:, 0], residents) & np.isin(e[:, 1], residents)
    edges = np.array([[where[int(a)], where[int(b)]] for a, b in e[keep]], dtype=np.int64
                     ).reshape(-1, 2)
    g = nx.Graph()
    g.add_nodes_from(range(residents.size))
    g.add_edges_from(edges.tolist())
    layout = nx.spring_layout(g, seed=int(rng.integers(2**31)), k=1.6 / np.sqrt(max(len(g), 1)))
    pos = np.array([layout[k] for k in range(residents.size)]).reshape(-1, 2)
    if pos.size:
        pos = pos - pos.mean(axis=0)
        pos = pos / max(np.abs(pos).max(), 1e-9)
    return Sample(residents, households, edges, pos)


def _org_nodes(model: CommunityModel) -> list[tuple[object, str, str]]:
    """(agent, style label, short name) for every organisation-like agent."""
    out = []
    for g in model.groups:
        out.append((g, GROUP_LABEL[g.kind], g.name))
    trusts = model.nhs_trusts  # one per district: each its own node
    for trust in trusts:
        out.append((trust, "hospital trust",
                    "hospital trust" if len(trusts) == 1 else trust.name))
    for gp in model.gp_practices:
        out.append((gp, "GP practice", gp.name))
    for lw in model.link_workers:
        out.append((lw, "link worker", lw.name))
    for h in model.intermediaries:
        label = ("locality officer" if isinstance(h, LocalityOfficer) else
                 "parish council" if isinstance(h, ParishCouncil) else "place hub")
        out.append((h, label, h.name))
    return out


def resident_status(model: CommunityModel, idx: np.ndarray) -> list[str]:
    pop = model.pop
    need, path = pop.need[idx], pop.pathway[idx]
    return ["no need" if n == 0 else "waiting for a link worker" if p == Pathway.WAITING
            else "unmet need" if p == Pathway.NONE else "supported"
            for n, p in zip(need.tolist(), path.tolist(), strict=True)]


def volunteer_status(state: int) -> str | None:
    V = VolunteerState
    if state in (V.APPLIED, V.ONBOARDING):
        return "applied / onboarding"
    return {V.ACTIVE: "active", V.IDLE: "idle", V.STOOD_DOWN: "stood down",
            V.LAPSED: "lapsed"}.get(VolunteerState(state))


def population_line(model: CommunityModel) -> str:
    """Whole-population counts (the aggregate beside the sample)."""
    pop = model.pop
    in_need = int((pop.need > 0).sum())
    waiting = int(((pop.need > 0) & (pop.pathway == Pathway.WAITING)).sum())
    unmet = int(((pop.need > 0) & (pop.pathway == Pathway.NONE)).sum())
    vols = np.bincount(pop.vstate, minlength=8)
    return (f"All {pop.n:,} residents: {in_need:,} in need ({unmet:,} unmet, {waiting:,} "
            f"waiting, {in_need - unmet - waiting:,} supported); volunteers "
            f"{int(vols[VolunteerState.ACTIVE]):,} active, {int(vols[VolunteerState.IDLE]):,} "
            f"idle, {int(vols[VolunteerState.APPLIED] + vols[VolunteerState.ONBOARDING]):,} "
            "applied or onboarding")


def draw_network(model: CommunityModel, sample: Sample, title: str = "",
                 figsize: tuple[float, float] = (9.0, 6.4)) -> Figure:
    """Matplotlib figure of the sample and all organisations at the model's current day."""
    pop = model.pop
    fig = Figure(figsize=figsize, dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    ax.set_axis_off()
    ax.set_aspect("equal")
    orgs = _org_nodes(model)
    angle = np.linspace(0, 2 * np.pi, len(orgs), endpoint=False) + np.pi / 2
    org_pos = {id(a): np.array([1.45 * np.cos(t), 1.45 * np.sin(t)])
               for (a, _, _), t in zip(orgs, angle, strict=True)}
    res_pos = {int(r): sample.pos[k] for k, r in enumerate(sample.residents)}
    # ties among the sample
    for a, b in sample.edges:
        pa, pb = sample.pos[a], sample.pos[b]
        ax.plot([pa[0], pb[0]], [pa[1], pb[1]], color="#bdbdbd", lw=0.4, zorder=1)
    # residents to the organisation that supports them or their link worker; volunteers to
    # the organisation they volunteer for
    for i in sample.residents.tolist():
        p = res_pos[i]
        targets = []
        g = int(pop.provider[i])
        if g >= 0 and pop.pathway[i] == Pathway.GROUP:
            targets.append((model.organisations[g], "#2ca02c"))
        if pop.pathway[i] in (Pathway.WAITING, Pathway.LINK_WORKER):
            lw = model.link_worker_for(i)
            if lw is not None:
                targets.append((lw, "#ff7f0e" if pop.pathway[i] == Pathway.WAITING
                                else "#66a61e"))
        v = int(pop.vorg[i])
        if v >= 0 and pop.vstate[i] in (VolunteerState.ACTIVE, VolunteerState.IDLE,
                                        VolunteerState.ONBOARDING, VolunteerState.APPLIED):
            targets.append((model.organisations[v], "#6baed6"))
        for agent, colour in targets:
            q = org_pos.get(id(agent))
            if q is not None:
                ax.plot([p[0], q[0]], [p[1], q[1]], color=colour, lw=0.6, alpha=0.6, zorder=2)
    # organisational ties: practices to their link workers and VCSE ties
    for gp in model.gp_practices:
        for lw in gp.link_workers:
            _tie(ax, org_pos, gp, lw, "#1b9e77")
        for k in gp.vcse_ties:
            _tie(ax, org_pos, gp, model.organisations[k], "#1b9e77")
    # residents: circles by need status; volunteers: triangles by volunteer state
    status = resident_status(model, sample.residents)
    vstat = [volunteer_status(int(s)) for s in pop.vstate[sample.residents]]
    for label, colour in RESIDENT_COLOURS.items():
        k = [n for n, (s, v) in enumerate(zip(status, vstat, strict=True))
             if s == label and v is None]
        if k:
            ax.scatter(sample.pos[k, 0], sample.pos[k, 1], s=26, c=colour,
                       edgecolors="#555555", linewidths=0.4, zorder=3)
    for label, colour in VOLUNTEER_COLOURS.items():
        k = [n for n, v in enumerate(vstat) if v == label]
        if k:
            edge = ["#d62728" if status[n] in ("unmet need", "waiting for a link worker")
                    else "#333333" for n in k]
            ax.scatter(sample.pos[k, 0], sample.pos[k, 1], s=46, c=colour, marker="^",
                       edgecolors=edge, linewidths=0.8, zorder=4)
    # organisations: shape and colour by kind; closed ones hollow and crossed
    for agent, label, name in orgs:
        marker, colour = ORG_STYLE[label]
        q = org_pos[id(agent)]
        open_ = getattr(agent, "is_open", True)
        ax.scatter([q[0]], [q[1]], s=110, marker=marker, c=colour if open_ else "white",
                   edgecolors="#222222" if open_ else colour, linewidths=1.0, zorder=5)
        if not open_:
            ax.scatter([q[0]], [q[1]], s=60, marker="x", c="#222222", zorder=6)
        if isinstance(agent, GPPractice | LinkWorker | NHSTrust) or label in (
                "locality officer", "parish council", "place hub", "infrastructure org (LIO)"):
            ax.annotate(_short(name), q, xytext=(0, 8), textcoords="offset points",
                        ha="center", fontsize=6.5, zorder=7)
    ax.set_xlim(-1.75, 1.75)
    ax.set_ylim(-1.75, 1.75)
    ax.set_title(title or (f"Network view, day {model.output_day}. "
                           f"Sample: {sample.residents.size} of "
                           f"{pop.n:,} residents\n({sample.households} households and their "
                           "ties); all organisations on the outer ring"), fontsize=9)
    handles = [Line2D([], [], ls="", marker="o", mfc=c, mec="#555555", label=f"resident: {k}")
               for k, c in RESIDENT_COLOURS.items()]
    handles += [Line2D([], [], ls="", marker="^", mfc=c, mec="#333333", label=f"volunteer: {k}")
                for k, c in VOLUNTEER_COLOURS.items()]
    handles += [Line2D([], [], ls="", marker=m, mfc=c, mec="#222222", label=k)
                for k, (m, c) in ORG_STYLE.items()]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7,
              frameon=False)
    fig.text(0.01, 0.01, population_line(model), fontsize=7.5)
    fig.subplots_adjust(left=0.0, right=0.7, top=0.92, bottom=0.05)
    return fig


def _tie(ax, org_pos: dict, a, b, colour: str) -> None:
    p, q = org_pos.get(id(a)), org_pos.get(id(b))
    if p is not None and q is not None:
        ax.plot([p[0], q[0]], [p[1], q[1]], color=colour, lw=0.8, alpha=0.5, zorder=1)


def _short(name: str) -> str:
    return name.replace("urban-", "u").replace("rural-", "r")



# ---------------------------------------------------------------------------- locality tiles
LOCALITY_MEASURES = {  # label -> column of locality_frame
    "unmet need per 1,000 residents": "unmet_per_1000",
    "in need per 1,000 residents": "in_need_per_1000",
    "waiting for a link worker per 1,000 residents": "waiting_per_1000",
    "active volunteers per 1,000 residents": "volunteers_active_per_1000",
    "share of those in need not yet supported, waiting included (%)": "unsupported_pct",
}
LOCALITY_GROUPS = {  # label -> column of the area outputs (sim.areas) the tiles group by
    "areas": "area",
    "primary care networks": "pcn",
    "districts": "district",
    "deprivation deciles": "imd_decile",
    "deprivation quintiles": "deprivation_quintile",
}


def locality_groups(snapshot) -> list[str]:
    """The :data:`LOCALITY_GROUPS` that say something for ``snapshot`` (a
    :func:`sim.areas.snapshot`): PCNs and deciles only where the place table gives them,
    districts only when there are several."""
    out = []
    for label, col in LOCALITY_GROUPS.items():
        if col == "pcn" and not (snapshot["pcn"] != "").any():
            continue
        if col == "imd_decile" and not (snapshot["imd_decile"] > 0).any():
            continue
        if col == "district" and snapshot["district"].nunique() < 2:
            continue
        out.append(label)
    return out


def locality_frame(snapshot, by: str = "areas"):
    """Tiles for ``snapshot`` (the area outputs now, :func:`sim.areas.snapshot`): one row per
    area, or per PCN, district or deprivation decile (``by``, a :data:`LOCALITY_GROUPS`
    label) rolled up as the area outputs are (:func:`sim.areas.aggregate_course`: counts
    summed, rates recomputed), with residents and outcomes per 1,000 residents."""
    import pandas as pd

    from sim import areas

    col = LOCALITY_GROUPS[by]
    if col == "area":
        table = snapshot
        names = snapshot["area"].astype(str).tolist()
        kinds = ["parish" if r else "neighbourhood" for r in snapshot["rural"]]
    else:
        table = areas.aggregate_course(snapshot, col)
        values = table[col].tolist()
        names = ([f"IMD decile {v}" for v in values] if col == "imd_decile" else
                 [f"IMD quintile {v}" for v in values] if col == "deprivation_quintile" else
                 [str(v) for v in values])
        kinds = [f"{n} area{'s' if n != 1 else ''}" for n in table["n_areas"]]
    sizes = table["n_residents"].to_numpy(np.int64)
    frame = pd.DataFrame({"unit": names, "kind": kinds, "residents": sizes})
    waiting = table["n_waiting"].to_numpy(np.int64)
    counts = {"in_need": table["n_in_need"].to_numpy(np.int64),
              # the network view's "unmet need": no support and not waiting for a link worker
              "unmet": table["n_unmet_need"].to_numpy(np.int64) - waiting,
              "waiting": waiting,
              "volunteers_active": table["n_vol_active"].to_numpy(np.int64)}
    for name, c in counts.items():
        frame[name] = c
        frame[f"{name}_per_1000"] = np.round(1000.0 * c / np.maximum(sizes, 1), 1)
    frame["unsupported_pct"] = np.round(100.0 * table["frac_in_need_unmet"].fillna(0.0), 1)
    return frame


def locality_table(model: CommunityModel, by: str = "areas"):
    """:func:`locality_frame` of ``model`` now: one row per neighbourhood or parish (or PCN,
    district, deprivation decile), the whole population, not a sample."""
    from sim import areas

    return locality_frame(areas.snapshot(model), by)


def tiles_html(frame, column: str) -> str:
    """Each unit a tile coloured by ``column`` (white at the lowest value, dark red at the
    highest), labelled with its name and value."""
    import html

    values = frame[column].to_numpy(float)
    lo, hi = (float(values.min()), float(values.max())) if len(values) else (0.0, 0.0)
    tiles = []
    # the columns as lists (not frame.iterrows(), slow at a county's hundreds of tiles); the
    # value once (not again in the tooltip): a day's patch of the card carries it once
    for unit, kind, residents, v in zip(frame["unit"].tolist(), frame["kind"].tolist(),
                                        frame["residents"].tolist(), values.tolist(),
                                        strict=True):
        share = 0.0 if hi <= lo else (v - lo) / (hi - lo)
        r, g, b = 255, int(245 - 170 * share), int(240 - 200 * share)
        ink = "#fff" if share > 0.6 else "#222"
        tiles.append(
            f'<div class="sim-tile" title="{html.escape(unit)}" style="background:'
            f'rgb({r},{g},{b});color:{ink};padding:6px;border-radius:4px;min-height:54px">'
            f'<div style="font-size:12px">{html.escape(unit)} ({kind}, '
            f'{int(residents):,})</div><div style="font-size:20px;font-weight:600">'
            f"{v:g}</div></div>")
    return ('<div style="display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));'
            f'gap:6px">{"".join(tiles)}</div>'
            f'<div class="sim-small">Scale: {lo:g} (white) to {hi:g} (dark red).</div>')
