"""Gather a sweep folder into tidy Parquet tables, streaming run by run.

    python -m sim.experiments.collect DIR [--out DIR/tables] [--long]

writes, atomically, into ``DIR/tables/``:

* ``timeseries.parquet`` - one row per run and day;
* ``summary.parquet`` - one row per complete run;
* ``failures.parquet`` - one row per failed or incomplete run, with its error;
* ``areas.parquet`` - one row per run and area (each run's ``areas.parquet``), and
  ``area_course.parquet`` - one row per run, area and period (each run's
  ``area_course.parquet``), when runs have them: roll them up across runs with
  :func:`sim.areas.aggregate` / :func:`sim.areas.aggregate_course`, grouping by ``run``, a
  swept parameter or ``scenario`` together with ``district``, ``pcn``, ``imd_decile``...;
* ``practices.parquet`` - one row per run and GP practice (each run's ``practices.parquet``),
  when runs have it;
* ``collect.json`` - counts and the list of parameter columns;
* with ``--long`` (``collect(..., long=True)``) also ``summary_long.parquet`` (one row per run
  and numeric summary outcome) and ``timeseries_long.parquet`` (one per run, day and numeric
  daily outcome): the identity and parameter columns, then ``outcome``, ``unit`` (from the data
  dictionary) and ``value`` (float64). Non-numeric outcomes are left out and listed in
  ``collect.json`` (``long_excluded``); a collect without ``--long`` deletes earlier long tables.

Every table starts with the run's identity columns: ``run`` (its folder relative to DIR),
``config_hash``, ``scenario``, ``topology``, ``seed``, ``replicate``, then one column per
configuration key that varies across the runs (the swept parameters, by dotted key, e.g.
``volunteers.campaign_multiplier``; event fields by name, e.g.
``events.core_funding_cut.params.share`` as a number; lists as JSON text). The summary table
then has a column for every other configuration value that determines results, constant ones
too (so the tables of two sweeps line up), and ``overrides`` (the job's overrides, a JSON list)
used to pair runs; the timeseries table leaves the constant ones to the summary (join on
``run``). ``scenario.description`` (free text) and :data:`sim.io.NON_RESULT_KEYS` are not
columns. ``run``, ``config_hash``, ``scenario``, ``topology`` (and ``outcome``, ``unit``) are
dictionary-encoded (pandas reads them as ``category``), with one sorted dictionary per table
written in every row group. Output columns carry the data dictionary's meaning, unit, level and
source as field metadata (:mod:`sim.outputs`).

Memory stays flat as sweeps grow: a first pass reads only manifests, summaries and Parquet
footers (keeping the union of columns and the set of varying keys, not the runs); the second pass
appends each run to a ``pyarrow.parquet.ParquetWriter`` through a buffer of at most
:data:`BUFFER_BYTES` (one row group), so peak memory is bounded whatever the sweep's size (what
grows is a path and a dictionary entry per run). The second pass reads the runs on
:data:`READ_THREADS` threads, at most two runs per thread ahead of the one being written, and
writes them in their order: the same files as reading one run at a time.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import sys
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sim import io, outputs
from sim.experiments.runs import (
    ERROR,
    IDENTITY_EXCLUDE,
    MANIFEST,
    STATUS,
    RunState,
    config_hash,
    find_run_dirs,
    read_json,
    run_overrides,
    run_state,
)

IDENTITY = {"scenario.name": "scenario", "topology.kind": "topology", "run.seed": "seed",
            "run.replicate": "replicate"}
ID_COLUMNS = ("run", "config_hash", "scenario", "topology", "seed", "replicate")
CATEGORICAL = ("run", "config_hash", "scenario", "topology")  # dictionary-encoded columns
CATEGORY = pa.dictionary(pa.int32(), pa.string())
BUFFER_BYTES = 16 * 2**20  # timeseries buffered (Arrow bytes) before a row group is written
SUMMARY_ROWS_PER_GROUP = 4_096
FAILURE_SCHEMA = pa.schema([
    ("run", pa.string()), ("state", pa.string()), ("error_type", pa.string()),
    ("message", pa.string()), ("key", pa.string()), ("overrides", pa.string()),
    ("config_hash", pa.string()), ("time", pa.string()), ("traceback", pa.string()),
])


TEXT_KEYS = ("scenario.description",)  # free text that never changes results: not a column


def flatten(d: dict, prefix: str = "") -> Iterator[tuple[str, object]]:
    """Dotted leaf keys of a nested dict (events by name: ``events.NAME.params.share``); lists
    become JSON text."""
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            yield from flatten(v, key + ".")
        elif isinstance(v, list):
            yield key, json.dumps(v, sort_keys=True)
        else:
            yield key, v


THREADED_CELLS = 1_000_000
"""A run's table of more cells (rows x columns) than this is decoded on several threads."""


def _read(path: Path) -> pa.Table:
    """A run's Parquet table, equal to what ``pyarrow.parquet.read_table`` gives, read as one
    file (``read_table`` goes through the dataset layer: twice the time for a run's small
    tables) and on one thread unless it is large (threads cost more than they save on the few
    hundred cells of a short run's table). The values and schema are the same; the chunks can
    differ: the dataset layer splits a row group of more than 131,072 rows into chunks of that
    size, this gives one chunk a row group (so the collected files are byte-identical to
    ``read_table``'s for run tables whose row groups are smaller: every table of a run but a
    long per-area time course of a large place)."""
    with pq.ParquetFile(path) as f:
        md = f.metadata
        return f.read(use_threads=md.num_rows * md.num_columns > THREADED_CELLS)


def _schema_of(path: Path) -> pa.Schema:
    """A Parquet file's Arrow schema, as ``pyarrow.parquet.read_schema`` gives it."""
    with pq.ParquetFile(path) as f:
        return f.schema_arrow


def _flat_identity(manifest: dict) -> dict[str, object]:
    """The run's identity configuration (see :func:`sim.experiments.runs.identity`), flat."""
    return {k: v for k, v in flatten(manifest.get("config", {}))
            if k not in IDENTITY_EXCLUDE and k not in TEXT_KEYS}


class _Kinds:
    """The narrowest Arrow type holding every value seen for each key (nulls allowed)."""

    ORDER = ("bool", "int", "float", "str")

    def __init__(self) -> None:
        self.kinds: dict[str, str] = {}

    def see(self, key: str, value: object) -> None:
        if value is None:
            self.kinds.setdefault(key, "null")
            return
        kind = ("bool" if isinstance(value, bool) else "int" if isinstance(value, int)
                else "float" if isinstance(value, float) else "str")
        old = self.kinds.get(key, "null")
        if old == "null":
            self.kinds[key] = kind
        elif old != kind:
            numeric = {old, kind} <= {"int", "float"}
            self.kinds[key] = "float" if numeric else "str"

    def arrow(self, key: str) -> pa.DataType:
        return {"bool": pa.bool_(), "int": pa.int64(), "float": pa.float64(),
                "str": pa.string(), "null": pa.float64()}[self.kinds[key]]


def _coerce(value: object, kind: str) -> object:
    if value is None:
        return None
    if kind == "str" and not isinstance(value, str):
        return json.dumps(value) if not isinstance(value, bool | int | float) else str(value)
    if kind == "float":
        return float(value)
    return value


def _unify_field(a: pa.DataType, b: pa.DataType) -> pa.DataType:
    if a == b or pa.types.is_null(b):
        return a
    if pa.types.is_null(a):
        return b
    if (pa.types.is_integer(a) or pa.types.is_floating(a) or pa.types.is_boolean(a)) and (
            pa.types.is_integer(b) or pa.types.is_floating(b) or pa.types.is_boolean(b)):
        return pa.float64()
    return pa.string()


class _Plan:
    """What the first pass learns: runs, their state, the columns of every table."""

    def __init__(self, root: Path):
        self.root = root
        self.complete: list[Path] = []
        self.failed: list[tuple[Path, RunState]] = []
        self.first_flat: dict[str, object] | None = None
        self.varying: set[str] = set()
        self.params = _Kinds()
        self.params.kinds.update({"scenario.name": "str", "topology.kind": "str",
                                  "run.seed": "int", "run.replicate": "int"})
        self.summary = _Kinds()
        self.summary_order: list[str] = []
        self.ts_fields: dict[str, pa.DataType] = {}
        self.area_fields: dict[str, dict[str, pa.DataType]] = {t: {} for t in AREA_TABLES}
        self.categories: dict[str, set[str]] = {name: set() for name in CATEGORICAL}

    def scan(self) -> None:
        for path in find_run_dirs(self.root):
            state = run_state(path)
            if state is not RunState.COMPLETE:
                self.failed.append((path, state))
                continue
            manifest = read_json(path / MANIFEST)
            summary = read_json(path / "summary.json")
            if manifest is None or summary is None or not (path / "timeseries.parquet").is_file():
                self.failed.append((path, RunState.INCOMPLETE))
                continue
            self.complete.append(path)
            flat = _flat_identity(manifest)
            for name, value in self._categorical(path, manifest, flat).items():
                if value is not None:
                    self.categories[name].add(value)
            if self.first_flat is None:
                self.first_flat = flat
            else:
                for key in flat.keys() | self.first_flat.keys():
                    if flat.get(key) != self.first_flat.get(key):
                        self.varying.add(key)
            for key, value in flat.items():
                self.params.see(key, value)
            for key, value in summary.items():
                if key not in self.summary.kinds:
                    self.summary_order.append(key)
                self.summary.see(key, value)
            for f in _schema_of(path / "timeseries.parquet"):
                old = self.ts_fields.get(f.name)
                self.ts_fields[f.name] = f.type if old is None else _unify_field(old, f.type)
            for name, fields in self.area_fields.items():
                if (path / f"{name}.parquet").is_file():
                    for f in _schema_of(path / f"{name}.parquet"):
                        old = fields.get(f.name)
                        fields[f.name] = f.type if old is None else _unify_field(old, f.type)

    def _categorical(self, path: Path, manifest: dict, flat: dict) -> dict[str, str | None]:
        return {"run": str(path.relative_to(self.root)),
                "config_hash": manifest.get("config_hash") or config_hash(
                    manifest.get("config", {})),
                "scenario": _coerce(flat.get("scenario.name"), "str"),
                "topology": _coerce(flat.get("topology.kind"), "str")}

    def dictionaries(self) -> dict[str, pa.Array]:
        """The sorted values of each categorical column: one dictionary for every row group."""
        return {name: pa.array(sorted(values), pa.string())
                for name, values in self.categories.items()}

    @property
    def param_columns(self) -> list[str]:
        return sorted(k for k in self.varying if k not in IDENTITY)

    @property
    def constant_columns(self) -> list[str]:
        """Configuration keys the same in every run (or absent from some): summary only."""
        return sorted(k for k in self.params.kinds if k not in IDENTITY and k not in self.varying)

    def constant_fields(self) -> list[pa.Field]:
        return [pa.field(k, self.params.arrow(k)) for k in self.constant_columns]

    def id_fields(self) -> list[pa.Field]:
        fields = [pa.field("run", CATEGORY), pa.field("config_hash", CATEGORY)]
        for key, name in IDENTITY.items():
            fields.append(pa.field(name, CATEGORY if name in CATEGORICAL
                                   else self.params.arrow(key)))
        fields += [pa.field(k, self.params.arrow(k)) for k in self.param_columns]
        return fields

    def id_values(self, path: Path, manifest: dict) -> dict[str, object]:
        flat = _flat_identity(manifest)
        values: dict[str, object] = self._categorical(path, manifest, flat)
        for key, name in IDENTITY.items():
            if name not in values:
                values[name] = _coerce(flat.get(key), self.params.kinds[key])
        for key in self.param_columns + self.constant_columns:
            values[key] = _coerce(flat.get(key), self.params.kinds[key])
        return values


def _recode(name: str, column: pa.ChunkedArray, dictionary: pa.Array) -> pa.ChunkedArray:
    """``column`` (strings, or dictionary-encoded strings) as indices into ``dictionary``."""
    chunks = []
    for chunk in column.chunks:
        if pa.types.is_dictionary(chunk.type):
            if chunk.dictionary.equals(dictionary):
                chunks.append(chunk)
                continue
            indices = pc.take(pc.index_in(chunk.dictionary, value_set=dictionary), chunk.indices)
        else:
            indices = pc.index_in(chunk, value_set=dictionary)
        if indices.null_count != chunk.null_count:
            raise ValueError(f"{name}: a value not seen by the first pass (a run changed "
                             "while being collected?)")
        chunks.append(pa.DictionaryArray.from_arrays(indices.cast(pa.int32()), dictionary))
    return pa.chunked_array(chunks, type=CATEGORY)


class _AtomicParquet:
    """A ParquetWriter on a hidden temporary file (:func:`sim.io.atomic_path`), moved into
    place by :meth:`commit`. Columns named in ``dictionaries`` are written with that same
    dictionary in every row group (so readers see one set of categories)."""

    def __init__(self, path: Path, schema: pa.Schema,
                 dictionaries: dict[str, pa.Array] | None = None):
        self.path = path
        self._ctx = io.atomic_path(path)
        self.tmp = self._ctx.__enter__()
        self.writer = pq.ParquetWriter(self.tmp, schema, compression="zstd")
        self.schema = schema
        self.dictionaries = {k: v for k, v in (dictionaries or {}).items() if k in schema.names}
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        if table.num_rows:
            table = table.select(self.schema.names)
            for name, dictionary in self.dictionaries.items():
                i = table.schema.get_field_index(name)
                table = table.set_column(i, name, _recode(name, table[name], dictionary))
            self.writer.write_table(table.cast(self.schema))
            self.rows += table.num_rows

    def commit(self) -> None:
        self.writer.close()
        self._ctx.__exit__(None, None, None)

    def abort(self) -> None:
        try:
            self.writer.close()
        finally:
            self.tmp.unlink(missing_ok=True)


def _unit(name: str, table: str) -> str | None:
    meta = outputs.field_metadata(name, table)
    return meta[b"unit"].decode() if meta else None


def _numeric(t: pa.DataType) -> bool:
    return (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t)
            or pa.types.is_null(t))


class _Melt:
    """Wide to long: the kept columns, then ``outcome`` and ``unit`` (categorical, the unit from
    the data dictionary) and ``value`` (float64), one row per input row and outcome."""

    FIELDS = [pa.field("outcome", CATEGORY), pa.field("unit", CATEGORY),
              pa.field("value", pa.float64())]

    def __init__(self, names: list[str], table: str):
        self.names = names
        self.outcomes = pa.array(sorted(names), pa.string())
        where = {n: i for i, n in enumerate(sorted(names))}
        self.codes = np.array([where[n] for n in names], np.int32)
        units = [_unit(n, table) for n in names]
        self.units = pa.array(sorted({u for u in units if u is not None}), pa.string())
        where = {u: i for i, u in enumerate(self.units.to_pylist())}
        self.unit_codes = pa.array([where.get(u) for u in units], pa.int32())

    def dictionaries(self) -> dict[str, pa.Array]:
        return {"outcome": self.outcomes, "unit": self.units}

    def __call__(self, table: pa.Table, keep: list[str], *, by_row: bool) -> pa.Table:
        """``by_row``: each input row's outcomes together; else each outcome's rows together."""
        n, k = table.num_rows, len(self.names)
        value = pa.chunked_array([table[c].cast(pa.float64(), safe=False) for c in self.names],
                                 type=pa.float64()).combine_chunks()  # outcome by outcome
        if by_row:
            rows, which = np.repeat(np.arange(n), k), np.tile(np.arange(k), n)
            value = value.take(pa.array(which * n + rows))
        else:
            rows, which = np.tile(np.arange(n), k), np.repeat(np.arange(k), n)
        out = table.select(keep).take(pa.array(rows))
        outcome = pa.DictionaryArray.from_arrays(pa.array(self.codes[which]), self.outcomes)
        unit = pa.DictionaryArray.from_arrays(self.unit_codes.take(pa.array(which)), self.units)
        return (out.append_column("outcome", outcome).append_column("unit", unit)
                .append_column("value", value))


class _Buffer:
    """Tables waiting for one writer, written as one row group once they reach ``limit``
    bytes."""

    def __init__(self, writer: _AtomicParquet, limit: int):
        self.writer, self.limit = writer, limit
        self.tables: list[pa.Table] = []
        self.bytes = 0

    def add(self, table: pa.Table) -> None:
        self.tables.append(table)
        self.bytes += table.nbytes
        if self.bytes >= self.limit:
            self.flush()

    def flush(self) -> None:
        if self.tables:
            self.writer.write(pa.concat_tables(self.tables))
        self.tables, self.bytes = [], 0


READ_THREADS = min(4, os.cpu_count() or 1)
"""Threads reading the runs while the tables are written (1: none). Parquet decoding and
casting release the GIL: on 2 cores gathering 120 urban runs took about four fifths of the wall
time it took one run at a time (1.94-2.11 s against 2.50-2.64), for about 4 % more CPU."""


def _in_order(fn, items: list, threads: int) -> Iterator:
    """``map(fn, items)``, with up to ``2 * threads`` items worked on ahead by ``threads``
    threads (so what is held at once stays bounded whatever the number of items); results in
    the items' order, an item's exception raised when its turn comes."""
    if threads <= 1 or len(items) <= 1:
        yield from map(fn, items)
        return
    ahead = 2 * threads
    with ThreadPoolExecutor(threads, thread_name_prefix="collect") as pool:
        pending: deque = deque()
        todo = iter(items)
        try:
            for item in itertools.islice(todo, ahead):
                pending.append(pool.submit(fn, item))
            while pending:
                result = pending.popleft().result()
                for item in itertools.islice(todo, 1):
                    pending.append(pool.submit(fn, item))
                yield result
        finally:
            for future in pending:
                future.cancel()


LONG_TABLES = ("summary_long", "timeseries_long")
AREA_TABLES = ("areas", "area_course", "practices")  # per-run tables, collected when present


def _with_ids(table: pa.Table, schema: pa.Schema, id_fields: list[pa.Field],
              ids: dict[str, object]) -> pa.Table:
    """``table`` with the run's identity columns first and every column of ``schema``: its
    own columns, cast where their type differs, nulls for those it lacks, in one table made
    from the columns (``table.cast(schema)`` casting only the columns whose type differs;
    ``from_arrays`` does not check nulls against a non-nullable field as ``cast`` does: every
    field of the schemas collect builds is nullable)."""
    assert all(f.nullable for f in schema)
    n = table.num_rows
    own = dict(zip(table.column_names, table.columns, strict=True))
    id_names = {f.name for f in id_fields}
    columns = []
    for f in schema:
        if f.name in id_names:
            column = pa.array([ids[f.name]] * n, type=f.type)
        else:
            column = own.get(f.name)
            if column is None:
                column = pa.nulls(n, type=f.type)
            elif column.type != f.type:
                column = column.cast(f.type)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=schema)


def collect(root: str | Path, out: str | Path | None = None, *, progress: bool = False,
            long: bool = False) -> dict:
    """Gather the runs under ``root`` into Parquet tables in ``out`` (default ``root/tables``);
    ``long=True`` also writes ``summary_long.parquet`` and ``timeseries_long.parquet``.

    Returns ``{"dir": out, "timeseries": rows, "summary": rows, "failures": rows, ...}``.
    """
    root = Path(root).resolve()
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such sweep folder")
    out = Path(out) if out is not None else root / "tables"
    out.mkdir(parents=True, exist_ok=True)
    plan = _Plan(root)
    plan.scan()

    id_fields = plan.id_fields()
    constant_fields = plan.constant_fields()
    id_names = {f.name for f in id_fields + constant_fields}
    ts_schema = pa.schema(id_fields + [
        pa.field(n, t, metadata=outputs.field_metadata(n, "timeseries"))
        for n, t in plan.ts_fields.items() if n not in id_names])
    summary_keys = [k for k in plan.summary_order if k not in id_names]
    summary_schema = pa.schema(id_fields + constant_fields + [pa.field("overrides", pa.string())]
                               + [pa.field(k, plan.summary.arrow(k),
                                           metadata=outputs.field_metadata(k, "summary"))
                                  for k in summary_keys])
    dictionaries = plan.dictionaries()

    writers = {"timeseries": _AtomicParquet(out / "timeseries.parquet", ts_schema, dictionaries),
               "summary": _AtomicParquet(out / "summary.parquet", summary_schema, dictionaries),
               "failures": _AtomicParquet(out / "failures.parquet", FAILURE_SCHEMA)}
    area_schemas = {
        name: pa.schema(id_fields + [pa.field(n, t, metadata=outputs.field_metadata(n, name))
                                     for n, t in fields.items() if n not in id_names])
        for name, fields in plan.area_fields.items() if fields}
    for name, schema in area_schemas.items():
        writers[name] = _AtomicParquet(out / f"{name}.parquet", schema, dictionaries)
    keep = [f.name for f in id_fields]
    ts_keep = keep + [n for n in ("day",) if n in ts_schema.names]
    excluded = {}
    if long:
        ts_names = [f.name for f in ts_schema if f.name not in ts_keep]
        melts = {"summary_long": _Melt([k for k in summary_keys
                                        if plan.summary.kinds[k] != "str"], "summary"),
                 "timeseries_long": _Melt([n for n in ts_names
                                           if _numeric(ts_schema.field(n).type)], "timeseries")}
        excluded = {"summary": [k for k in summary_keys if k not in melts["summary_long"].names],
                    "timeseries": [n for n in ts_names
                                   if n not in melts["timeseries_long"].names]}
        for name, melt, kept in (("summary_long", melts["summary_long"], keep),
                                 ("timeseries_long", melts["timeseries_long"], ts_keep)):
            schema = pa.schema([ts_schema.field(n) for n in kept] + _Melt.FIELDS)
            writers[name] = _AtomicParquet(out / f"{name}.parquet", schema,
                                           dictionaries | melt.dictionaries())
    bar = None
    if progress and plan.complete:
        from tqdm import tqdm

        bar = tqdm(total=len(plan.complete), unit="run", desc="collect", leave=False)
    try:
        ts_buf = _Buffer(writers["timeseries"], BUFFER_BYTES)
        area_bufs = {name: _Buffer(writers[name], BUFFER_BYTES) for name in area_schemas}
        ts_long_buf = _Buffer(writers["timeseries_long"], BUFFER_BYTES) if long else None
        sum_buf: list[dict] = []

        def write_summary() -> None:
            table = pa.Table.from_pylist(sum_buf, schema=summary_schema)
            writers["summary"].write(table)
            if long:
                writers["summary_long"].write(melts["summary_long"](table, keep, by_row=True))
            sum_buf.clear()

        def load(path: Path) -> tuple[pa.Table, dict[str, pa.Table], dict]:
            """A run's tables with its identity columns and its summary row (on a reading
            thread: nothing shared is changed)."""
            manifest = read_json(path / MANIFEST) or {}
            ids = plan.id_values(path, manifest)
            table = _with_ids(_read(path / "timeseries.parquet"), ts_schema, id_fields, ids)
            areas = {name: _with_ids(_read(path / f"{name}.parquet"), area_schemas[name],
                                     id_fields, ids)
                     for name in area_bufs if (path / f"{name}.parquet").is_file()}
            summary = read_json(path / "summary.json") or {}
            row = dict(ids, overrides=json.dumps(run_overrides(path, manifest)))
            for k in summary_keys:
                row[k] = _coerce(summary.get(k), plan.summary.kinds[k])
            return table, areas, row

        # the runs read ahead on threads, written here in their order (closed on any error:
        # the reads under way end, none is started)
        with contextlib.closing(_in_order(load, plan.complete, READ_THREADS)) as loaded:
            for table, areas, row in loaded:
                ts_buf.add(table)
                for name, area in areas.items():
                    area_bufs[name].add(area)
                if long:
                    ts_long_buf.add(melts["timeseries_long"](table, ts_keep, by_row=False))
                sum_buf.append(row)
                if len(sum_buf) >= SUMMARY_ROWS_PER_GROUP:
                    write_summary()
                if bar is not None:
                    bar.update(1)
        ts_buf.flush()
        for buf in area_bufs.values():
            buf.flush()
        if long:
            ts_long_buf.flush()
        if sum_buf:
            write_summary()
        writers["failures"].write(pa.Table.from_pylist(
            [_failure_row(root, p, s) for p, s in plan.failed], schema=FAILURE_SCHEMA))
        for w in writers.values():
            w.commit()
    except BaseException:
        for w in writers.values():
            w.abort()
        raise
    finally:
        if bar is not None:
            bar.close()
    for name in AREA_TABLES:  # no run has it: an earlier collect's table would mislead
        if name not in area_schemas:
            (out / f"{name}.parquet").unlink(missing_ok=True)
    if not long:  # long tables of an earlier collect would no longer match the wide ones
        for name in LONG_TABLES:
            (out / f"{name}.parquet").unlink(missing_ok=True)
    info = {"dir": str(out), "source": str(root), "runs": len(plan.complete),
            **{name: w.rows for name, w in writers.items()},
            "parameter_columns": plan.param_columns,
            "constant_columns": plan.constant_columns}
    if long:
        info["long_excluded"] = excluded
    io.atomic_write(out / "collect.json", json.dumps(info, indent=2) + "\n")
    return info


def _failure_row(root: Path, path: Path, state: RunState) -> dict:
    err = read_json(path / ERROR) or {}
    if state is RunState.INCOMPLETE and not err:
        status = read_json(path / STATUS) or {}
        where = (f" (started {status['time']} on {status.get('host')}, pid {status.get('pid')})"
                 if status.get("time") else "")
        err = {"error_type": "Incomplete",
               "message": "no manifest.json: the run did not finish (killed or still "
                          f"running){where}"}
    return {"run": str(path.relative_to(root)), "state": str(state),
            "error_type": err.get("error_type"), "message": err.get("message"),
            "key": err.get("key"), "overrides": json.dumps(run_overrides(path)),
            "config_hash": err.get("config_hash"), "time": err.get("time"),
            "traceback": "".join(err.get("traceback") or [])}


def main(argv: list[str] | None = None,
         prog: str = "python -m sim.experiments.collect") -> int:
    ap = argparse.ArgumentParser(prog=prog, description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sweep_dir", help="a sweep folder (hydra.sweep.dir) or any folder of runs")
    ap.add_argument("--out", help="where to write the tables (default: SWEEP_DIR/tables)")
    ap.add_argument("--long", action="store_true",
                    help="also write summary_long.parquet and timeseries_long.parquet (one row "
                         "per run [and day] and numeric outcome)")
    args = ap.parse_args(argv)
    try:
        info = collect(args.sweep_dir, args.out, progress=sys.stderr.isatty(), long=args.long)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rows = [("timeseries", "runs x days"), ("summary", ""), ("failures", "")]
    rows += [(name, what) for name, what in (("areas", "runs x areas"),
                                             ("area_course", "runs x areas x periods"),
                                             ("practices", "runs x GP practices"))
             if name in info]
    if args.long:
        rows += [("summary_long", "runs x outcomes"),
                 ("timeseries_long", "runs x days x outcomes")]
    print(f"{info['runs']} complete runs from {info['source']} -> {info['dir']}")
    for name, what in rows:
        print(f"  {name + '.parquet':24s}{info[name]:9d} rows" + (f" ({what})" if what else ""))
    print(f"  parameter columns: {', '.join(info['parameter_columns']) or '(none vary)'}")
    for table, names in info.get("long_excluded", {}).items():
        if names:
            print(f"  not numeric, so not in {table}_long: {', '.join(names)}")
    return 0


if __name__ == "__main__":
    from sim.experiments.gc_freeze import freeze_at_exit

    freeze_at_exit()
    sys.exit(main())
