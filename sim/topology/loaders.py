"""Load a user's social network (GraphML or edge list) and population table (CSV or Parquet).

Population table: one row per resident. Required column ``node`` (the resident's node id in the
graph). Optional columns: ``unit`` (neighbourhood label), ``household``, ``age``, ``female``
(bool) or ``sex`` (F/M), ``deprivation`` (IMD quintile 1-5), ``limitation`` (0 none, 1 a little,
2 a lot), ``digital`` (bool), ``gp_practice`` (label), ``rural`` (bool). Missing columns are
drawn from the population parameters.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from sim.params import ConfigError, TopologyParams
from sim.topology.builders import Topology, UnitInfo, canonical_edges

GRAPH_KEY = "topology.graph_file"
TABLE_KEY = "topology.population_file"


def _read_graph(path: Path) -> nx.Graph:
    if not path.is_file():
        raise ConfigError(GRAPH_KEY, f"file not found: {path}")
    try:
        if path.suffix.lower() in (".graphml", ".xml"):
            g = nx.read_graphml(path)
        else:
            g = nx.read_edgelist(path, delimiter="," if path.suffix.lower() == ".csv" else None,
                                 comments="#", data=False)
    except Exception as exc:  # parse errors of many kinds; report them against the key
        raise ConfigError(GRAPH_KEY, f"cannot read {path} as GraphML or an edge list "
                                     f"(one 'u v' pair per line): {exc}") from exc
    return nx.Graph(g)


def _read_table(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise ConfigError(TABLE_KEY, f"file not found: {path}")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            df = pd.read_parquet(path)
        else:
            df = pd.read_csv(path)
    except Exception as exc:
        raise ConfigError(TABLE_KEY, f"cannot read {path} as CSV or Parquet: {exc}") from exc
    if "node" not in df.columns:
        raise ConfigError(TABLE_KEY, f"{path} needs a 'node' column naming each resident's "
                                     f"graph node (columns found: {', '.join(map(str, df.columns))})")
    if df["node"].duplicated().any():
        dup = df.loc[df["node"].duplicated(), "node"].iloc[0]
        raise ConfigError(TABLE_KEY, f"node {dup!r} appears more than once")
    if len(df) == 0:
        raise ConfigError(TABLE_KEY, f"{path} has no residents")
    _check_columns(df)
    return df


def _check_columns(df: pd.DataFrame) -> None:
    rules = {
        "age": (0, 120), "deprivation": (1, 5), "limitation": (0, 2),
    }
    for col, (lo, hi) in rules.items():
        if col in df.columns:
            vals = pd.to_numeric(df[col], errors="coerce")
            if vals.isna().any() or (vals < lo).any() or (vals > hi).any():
                raise ConfigError(TABLE_KEY, f"column '{col}' must hold numbers from {lo} to {hi}")
    if "sex" in df.columns and not df["sex"].astype(str).str.upper().isin(["F", "M", "X"]).all():
        raise ConfigError(TABLE_KEY, "column 'sex' must hold F, M or X")


def load_topology(t: TopologyParams) -> Topology:
    graph = _read_graph(Path(t.graph_file))
    df = _read_table(Path(t.population_file))
    df = df.copy()
    df["node"] = df["node"].astype(str)
    missing = set(map(str, graph.nodes)) - set(df["node"])
    if missing and len(missing) == graph.number_of_nodes():  # not this table's network at all
        raise ConfigError(GRAPH_KEY, f"none of the {len(missing)} graph node(s) is a 'node' in "
                                     f"{t.population_file}, e.g. {sorted(missing)[0]!r}: is "
                                     "this an edge list of resident ids (one 'u v' per line)?")
    if missing:
        raise ConfigError(TABLE_KEY, f"{len(missing)} graph node(s) have no row in the "
                                     f"population table, e.g. {sorted(missing)[0]!r}")
    if "unit" not in df.columns:
        df["unit"] = "unit-1"
    df["unit"] = df["unit"].astype(str)
    df = df.sort_values("unit", kind="stable").reset_index(drop=True)
    index = pd.Series(np.arange(len(df)), index=df["node"])
    labels = list(dict.fromkeys(df["unit"]))
    unit_of = df["unit"].map({lab: k for k, lab in enumerate(labels)}).to_numpy(np.int32)
    units = []
    for k, lab in enumerate(labels):
        rows = np.flatnonzero(unit_of == k)
        rural = bool(df["rural"].iloc[rows].astype(bool).mean() > 0.5) if "rural" in df else False
        template = t.rural_unit if rural else t.urban
        n_gp = (df["gp_practice"].iloc[rows].nunique() if "gp_practice" in df.columns
                else min(template.gp_practices, rows.size))
        p = dataclasses.replace(template, n_residents=int(rows.size), gp_practices=int(n_gp))
        units.append(UnitInfo(k, lab, p, int(rows[0]), int(rows[-1]) + 1))
    if graph.number_of_edges():
        uv = np.array([(index[str(u)], index[str(v)]) for u, v in graph.edges()], np.int64)
    else:
        uv = np.zeros((0, 2), np.int64)
    edges = canonical_edges(uv, len(df))
    household = (pd.factorize(df["household"])[0].astype(np.int32) if "household" in df
                 else np.arange(len(df), dtype=np.int32))
    return Topology(units, unit_of, household, edges, table=df)
