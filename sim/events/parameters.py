"""Event kind ``set_parameter``: change any model parameter from a day on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.events.registry import Arg, register
from sim.params import ConfigError, iter_params, validate

if TYPE_CHECKING:
    from sim.model import CommunityModel


@register("set_parameter", key=Arg(str, meaning="dotted parameter key, e.g. need.p_onset_per_day"),
          value=Arg(object, meaning="new value"))
def set_parameter(model: CommunityModel, p: dict) -> None:
    """Set any model parameter from today on (validated like the configuration)."""
    keys = {k for k, _, _ in iter_params(model.cfg)}
    if p["key"] not in keys or p["key"].startswith(("run.", "topology.", "scenario.")):
        raise ConfigError("events.params.key", f"{p['key']!r} is not a model parameter that can "
                                               "change during a run")
    *path, last = p["key"].split(".")
    obj = model.cfg
    for part in path:
        obj = getattr(obj, part)
    old = getattr(obj, last)
    value = type(old)(p["value"]) if isinstance(old, float) and isinstance(p["value"], int) \
        else p["value"]
    setattr(obj, last, value)
    try:
        validate(model.cfg)
    except ConfigError:
        setattr(obj, last, old)
        raise
    if p["key"].startswith(("need.", "population.")):
        from sim.processes.need import onset_probability

        model.onset_p = onset_probability(model)
