"""Load a user's social network (GraphML or edge list) and population table (CSV or Parquet).

Population table: one row per resident. Required column ``node`` (the resident's node id in the
graph). Optional columns: ``unit`` (neighbourhood label), ``household``, ``age``, ``female``
(bool) or ``sex`` (F/M/X), ``deprivation`` (IMD quintile 1-5), ``limitation`` (0 none, 1 a
little, 2 a lot), ``digital`` (bool), ``gp_practice`` (label), ``rural`` (bool). Missing columns
are drawn from the population parameters. Columns are parsed strictly: booleans only from
true/false, 1/0 or yes/no (any case), codes only as whole numbers, no blank cells.

Graph: GraphML, or an edge list with one ``u v`` pair per line (``u,v`` in a ``.csv``); a line
with a single id declares a resident without ties. Every resident must be a node of the graph
and every node a resident; a graph without any tie is refused.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.params import ConfigError, TopologyParams
from sim.topology.builders import Topology, UnitInfo, canonical_edges

if TYPE_CHECKING:
    import networkx as nx

GRAPH_KEY = "topology.graph_file"
TABLE_KEY = "topology.population_file"


BOOL_WORDS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
BOOL_COLUMNS = ("female", "digital", "rural")
CODE_COLUMNS = {"deprivation": (1, 5), "limitation": (0, 2)}  # whole numbers only
NUMBER_COLUMNS = {"age": (0, 120)}
LABEL_COLUMNS = ("node", "unit", "household", "gp_practice", "sex")


def _read_edge_list(path: Path) -> nx.Graph:
    import networkx as nx  # only for a user's graph file

    g = nx.Graph()
    sep = "," if path.suffix.lower() == ".csv" else None
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            ids = [t.strip() for t in text.split(sep)]
            if any(not t for t in ids) or len(ids) > 2:
                raise ConfigError(GRAPH_KEY, f"{path} line {number}: expected 'u v' (a tie) or "
                                             f"a single id (a resident without ties), got "
                                             f"{line.strip()!r}")
            if len(ids) == 1:
                g.add_node(ids[0])
            else:
                g.add_edge(*ids)
    return g


def _read_graph(path: Path) -> nx.Graph:
    import networkx as nx  # only for a user's graph file

    if not path.is_file():
        raise ConfigError(GRAPH_KEY, f"file not found: {path}")
    try:
        if path.suffix.lower() in (".graphml", ".xml"):
            g = nx.read_graphml(path)
        else:
            g = _read_edge_list(path)
    except ConfigError:
        raise
    except Exception as exc:  # parse errors of many kinds; report them against the key
        raise ConfigError(GRAPH_KEY, f"cannot read {path} as GraphML or an edge list "
                                     f"(one 'u v' pair per line): {exc}") from exc
    g = nx.Graph(g)
    if g.number_of_edges() == 0:
        raise ConfigError(GRAPH_KEY, f"{path} has no ties between residents (an empty graph "
                                     "or edge list); check the file and its format")
    return g


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
                                     "graph node (columns found: "
                                     f"{', '.join(map(str, df.columns))})")
    if len(df) == 0:
        raise ConfigError(TABLE_KEY, f"{path} has no residents")
    raw = df["node"]
    df = _parse_columns(df, path)
    if df["node"].duplicated().any():
        dup = raw[df["node"].duplicated().to_numpy()].iloc[0]
        raise ConfigError(TABLE_KEY, f"node {_plain(dup)!r} appears more than once")
    return df


def _bad(path: Path, col: str, mask: np.ndarray, df: pd.DataFrame, allowed: str) -> None:
    """Raise naming the column, the first bad row (data rows from 1) and what is allowed."""
    if mask.any():
        row = int(np.flatnonzero(mask)[0])
        value = df[col].iloc[row]
        shown = "a blank cell" if _blank(df[col]).iloc[row] else repr(_plain(value))
        raise ConfigError(TABLE_KEY, f"{path}: column '{col}' must hold {allowed}; row "
                                     f"{row + 1} has {shown}")


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def _word(value) -> str:
    """A cell as a lower-case word; 1.0 and 0.0 (a float column) read as 1 and 0."""
    value = _plain(value)
    if isinstance(value, float) and value in (0.0, 1.0):
        value = int(value)
    return str(value).strip().lower()


def _blank(col: pd.Series) -> pd.Series:
    return col.isna() | col.astype(str).str.strip().eq("")


def _parse_columns(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Strictly typed copies of the known columns (see the module docstring)."""
    df = df.copy()
    for col in LABEL_COLUMNS:
        if col in df.columns:
            _bad(path, col, _blank(df[col]).to_numpy(), df, "a value in every row (no blanks)")
    if "sex" in df.columns:
        sex = df["sex"].astype(str).str.strip().str.upper()
        _bad(path, "sex", ~sex.isin(["F", "M", "X"]).to_numpy(), df, "F, M or X")
        df["sex"] = sex
    for col in BOOL_COLUMNS:
        if col in df.columns:
            words = df[col].map(_word)
            parsed = words.map(BOOL_WORDS)
            _bad(path, col, parsed.isna().to_numpy(), df,
                 "true/false, 1/0 or yes/no (any case)")
            df[col] = parsed.astype(bool)
    for col, (lo, hi) in {**CODE_COLUMNS, **NUMBER_COLUMNS}.items():
        if col not in df.columns:
            continue
        vals = pd.to_numeric(df[col], errors="coerce") if df[col].dtype != bool else None
        if vals is None:
            _bad(path, col, np.ones(len(df), bool), df, f"numbers from {lo} to {hi}")
        whole = col in CODE_COLUMNS
        what = f"whole numbers from {lo} to {hi}" if whole else f"numbers from {lo} to {hi}"
        arr = vals.to_numpy(dtype=float)
        bad = ~np.isfinite(arr) | (arr < lo) | (arr > hi)
        if whole:
            bad |= np.isfinite(arr) & (arr != np.round(arr))
        _bad(path, col, bad, df, what)
        df[col] = arr.astype(np.int64) if whole else arr
    df["node"] = df["node"].map(lambda v: str(_plain(v)).strip())
    return df


def load_topology(t: TopologyParams) -> Topology:
    graph = _read_graph(Path(t.graph_file))
    df = _read_table(Path(t.population_file))
    nodes = set(map(str, graph.nodes))
    missing = nodes - set(df["node"])
    if missing == nodes:
        raise ConfigError(GRAPH_KEY, f"none of the graph's {len(nodes)} node(s) is a resident "
                                     f"of the population table (e.g. {sorted(nodes)[0]!r}): "
                                     "a different file, or a header line in an edge list?")
    if missing:
        raise ConfigError(TABLE_KEY, f"{len(missing)} graph node(s) have no row in the "
                                     f"population table, e.g. {sorted(missing)[0]!r}")
    strays = set(df["node"]) - nodes
    if strays:
        raise ConfigError(GRAPH_KEY, f"{len(strays)} resident(s) of the population table are "
                                     f"not nodes of the graph, e.g. {sorted(strays)[0]!r} "
                                     "(list a resident without ties as a line with its id "
                                     "alone, or a GraphML node)")
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
