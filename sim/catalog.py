"""What the model offers, with meanings: scenarios, event kinds, parameters and outputs.

One source for ``community-sim list scenarios|events|params|outputs``, the generated pages of
the documentation site (``docs/gen_pages.py``) and the generated tables of ``docs/ODD.md``
(``experiments/make_odd.py``). Each function returns plain rows (dicts), read from the code and
the packaged configs, so the lists cannot drift from what a run accepts.
"""

from __future__ import annotations

import dataclasses
from typing import Any

#: Summary prefixes of output names (STYLE.md) and what they mean.
OUTPUT_PREFIXES = {
    "n_": "stock at the end of the day",
    "new_": "the day's flow",
    "cum_": "cumulative total since output day 1",
    "frac_": "share (0-1)",
    "mean_": "average",
}

# ---------------------------------------------------------------------------- formatting


def format_value(value: Any) -> str:
    """A parameter value as the YAML configs and the command line write it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {format_value(v)}" for k, v in value.items()) + "}"
    return str(value)


def _num(x: float) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def display_unit(key: str, meta: dict) -> str:
    """The declared unit; whole-day durations declared with ``count()`` are shown as days."""
    unit = str(meta.get("unit") or "")
    if unit in ("", "count") and key.endswith("_days"):
        return "days"
    return unit or "–"


def allowed_range(value: Any, meta: dict) -> str:
    """The allowed values as declared in the metadata (what validation enforces)."""
    choices, lo, hi = meta.get("choices"), meta.get("lo"), meta.get("hi")
    if choices is not None:
        return " / ".join(format_value(c) for c in choices)
    if isinstance(value, bool):
        return "true / false"
    if lo is not None and hi is not None:
        return f"{_num(lo)} – {_num(hi)}"
    if lo is not None:
        return f"≥ {_num(lo)}"
    if hi is not None:
        return f"≤ {_num(hi)}"
    if isinstance(value, str):
        return "text"
    return "any"


def plausible_range(meta: dict) -> str:
    """The documented plausible range of an uncertain value ('' when none is declared)."""
    plausible = meta.get("plausible")
    return f"{_num(plausible[0])} – {_num(plausible[1])}" if plausible else ""


# ---------------------------------------------------------------------------- the lists


def scenarios() -> list[dict]:
    """Every ``configs/scenario/*.yaml``: ``name``, ``description`` and its ``events``."""
    from sim.scenarios import load_scenario, options

    rows = []
    for name in options("scenario"):
        data = load_scenario(name)
        info = data.get("scenario") or {}
        rows.append({"name": name,
                     "description": " ".join(str(info.get("description") or "").split()),
                     "events": data.get("events") or {}})
    return rows


def events() -> list[dict]:
    """Every registered event kind: ``kind``, ``doc`` and ``params`` (name -> type, default,
    allowed range, meaning), as :func:`sim.events.event_kinds` gives them."""
    from sim.events import event_kinds

    rows = []
    for kind in event_kinds():
        params = {}
        for name, arg in (kind.get("params") or {}).items():
            default = arg.get("default")
            params[name] = {"type": arg.get("type", ""),
                            "default": "required" if default is None else format_value(default),
                            "allowed": allowed_range(default, arg),
                            "meaning": arg.get("meaning", "")}
        rows.append({"kind": kind["kind"], "doc": " ".join(str(kind.get("doc") or "").split()),
                     "params": params})
    return rows


def params() -> list[dict]:
    """Every parameter of :class:`sim.params.Config` (the event timeline excepted): dotted
    ``key``, ``default``, ``unit``, ``allowed``, ``plausible`` range, ``meaning``, ``source``."""
    from sim.params import Config, iter_params

    return [{"key": key, "default": format_value(value), "unit": display_unit(key, meta),
             "allowed": allowed_range(value, meta), "plausible": plausible_range(meta),
             "meaning": meta.get("meaning", ""), "source": meta.get("source") or ""}
            for key, value, meta in iter_params(Config()) if key != "events"]


def _outputs_module():
    """``sim.outputs`` (the data dictionary), or None while this checkout lacks it."""
    try:
        from sim import outputs
    except ImportError:
        return None
    return outputs if hasattr(outputs, "table") else None


def has_data_dictionary() -> bool:
    """Whether ``sim.outputs.table()`` (the data dictionary) is available."""
    return _outputs_module() is not None


def _row(entry: Any) -> dict:
    if dataclasses.is_dataclass(entry) and not isinstance(entry, type):
        return dataclasses.asdict(entry)
    if isinstance(entry, dict):
        return dict(entry)
    return dict(vars(entry))


def outputs() -> list[dict]:
    """The output columns: ``name``, ``table`` (the file it is in: ``timeseries``,
    ``summary``, ``areas``, ``area_course``, ``practices``; a name can be in several),
    ``level``, ``unit``, ``meaning``, ``source``.

    From the data dictionary ``sim.outputs.table()`` when it exists (a DataFrame or a list of
    rows). Without it, the daily flows the model counts (``sim.metrics.FLOWS``, meaning from
    their prefix) and the name prefixes; docs/ODD.md section 4.11 describes the rest."""
    module = _outputs_module()
    if module is not None:
        table = module.table()
        entries = table.to_dict("records") if hasattr(table, "to_dict") else list(table)
        rows = [_row(e) for e in entries]
        return [{"name": r.get("name", ""), "table": r.get("table", ""),
                 "level": r.get("level", ""),
                 "unit": r.get("unit", ""), "meaning": r.get("meaning", ""),
                 "source": r.get("source", "")} for r in rows]
    from sim.metrics import FLOWS

    rows = [{"name": f"{prefix}…", "table": "timeseries, summary",
             "level": "timeseries and summary", "unit": "",
             "meaning": meaning, "source": "naming convention"}
            for prefix, meaning in OUTPUT_PREFIXES.items()]
    rows += [{"name": name, "table": "timeseries", "level": "timeseries", "unit": "",
              "meaning": OUTPUT_PREFIXES["new_"] if name.startswith("new_")
              else "the day's total (a sum over events of the day)",
              "source": "sim.metrics.FLOWS"} for name in FLOWS]
    return rows
