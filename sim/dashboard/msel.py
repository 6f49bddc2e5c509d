"""A Master Scenario Events List (MSEL): the injects an exercise's planners prepare, as data.

CSV (a header row, then one inject a row) or YAML (a list of mappings), with these fields::

    day          whole number: the day the inject takes effect (after the branch's day)
    kind         a registered event kind (python -m sim events lists them)
    params       the event's parameters: a JSON object in CSV ({"share": 0.5}), a mapping in
                 YAML; may be empty
    description  optional text for the room (at most 500 characters)
    audience     optional: who receives it (at most 100 characters)

Everything is checked before anything is scheduled: known fields only, each value's type and
range, the event's own parameter checks, and a dry run of the whole list on a copy of the
model; the first problem is reported with its row and field, and nothing is changed.
"""

from __future__ import annotations

import csv
import io
import json

import yaml

from sim import events
from sim.params import ConfigError
from sim.scenarios import DataLoader, check_plain

FIELDS = ("day", "kind", "params", "description", "audience")
MAX_ROWS = 500
MAX_BYTES = 1_000_000
LIMITS = {"description": 500, "audience": 100}


def parse(text: str, name: str = "msel.csv") -> list[dict]:
    """The rows of an MSEL file (``name`` ends in .csv, .yaml or .yml) as plain mappings."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise ConfigError("msel", f"file is larger than {MAX_BYTES:,} bytes")
    lower = name.lower()
    if lower.endswith(".csv"):
        reader = csv.DictReader(io.StringIO(text))
        header = reader.fieldnames or []
        unknown = [h for h in header if h not in FIELDS]
        if unknown or not {"day", "kind"} <= set(header):
            raise ConfigError("msel", f"CSV columns must be day, kind and optionally params, "
                                      f"description, audience (got {', '.join(header) or 'none'})")
        rows = []
        for k, row in enumerate(reader):
            if None in row:
                raise ConfigError(f"msel row {k + 1}", "has more cells than the header")
            params = (row.get("params") or "").strip()
            try:
                row["params"] = json.loads(params) if params else {}
            except json.JSONDecodeError as exc:
                raise ConfigError(f"msel row {k + 1}.params", "must be a JSON object such as "
                                  f'{{"share": 0.5}} ({exc.msg})') from None
            day = (row.get("day") or "").strip()
            row["day"] = int(day) if day.isdigit() else day
            rows.append({k2: v for k2, v in row.items() if v not in (None, "")
                         or k2 in ("day", "kind")})
            if len(rows) > MAX_ROWS:
                break
    elif lower.endswith((".yaml", ".yml")):
        try:
            rows = yaml.load(text, Loader=DataLoader)  # noqa: S506 - a SafeLoader
        except yaml.YAMLError as exc:
            raise ConfigError("msel", f"is not plain YAML data: {' '.join(str(exc).split())}"
                              ) from None
        if not isinstance(rows, list):
            raise ConfigError("msel", "a YAML MSEL is a list of injects (mappings)")
    else:
        raise ConfigError("msel", f"{name!r}: a .csv, .yaml or .yml file is expected")
    if len(rows) > MAX_ROWS:
        raise ConfigError("msel", f"at most {MAX_ROWS} injects")
    check_plain(rows, "", "an MSEL", "msel")
    return rows


def check(rows: list[dict], after_day: int) -> list[dict]:
    """Validated entries ``{day, kind, params, description, audience}`` in file order; each
    day must come after ``after_day`` (the branch's day)."""
    out = []
    for k, row in enumerate(rows):
        where = f"msel row {k + 1}"
        if not isinstance(row, dict):
            raise ConfigError(where, "must be a mapping with day, kind, params...")
        unknown = sorted(set(row) - set(FIELDS))
        if unknown:
            raise ConfigError(f"{where}.{unknown[0]}", f"unknown field; allowed: "
                                                       f"{', '.join(FIELDS)}")
        day = row.get("day")
        if not isinstance(day, int) or isinstance(day, bool) or not after_day < day <= 36500:
            raise ConfigError(f"{where}.day", f"must be a whole number after day {after_day} "
                                              f"(the day shown) and at most 36500 (got {day!r})")
        params = row.get("params") or {}
        if not isinstance(params, dict):
            raise ConfigError(f"{where}.params", "must be a mapping of parameter values")
        if not isinstance(row.get("kind"), str):
            raise ConfigError(f"{where}.kind", "must be an event kind (text)")
        ev = events.check_event(events.Event(day, row["kind"], dict(params)), where)
        entry = {"day": day, "kind": ev.kind, "params": dict(ev.params)}
        for field, limit in LIMITS.items():
            text = row.get(field, "")
            if not isinstance(text, str) or len(text) > limit:
                raise ConfigError(f"{where}.{field}", f"must be text of at most {limit} "
                                                      "characters")
            entry[field] = text.strip()
        out.append(entry)
    return out
