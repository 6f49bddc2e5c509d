"""Event kind ``set_parameter``: change any model parameter from a day on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.events.registry import Arg, register
from sim.params import Config, ConfigError, iter_params, validate

if TYPE_CHECKING:
    from sim.model import CommunityModel


def _assign(cfg: Config, p: dict, key: str) -> None:
    """Set ``p['key']`` to ``p['value']`` in ``cfg`` and validate; on error restore the old
    value and raise a ConfigError naming the event parameter."""
    meta = {k: m for k, _, m in iter_params(cfg)}
    if p["key"] not in meta or p["key"].startswith(("run.", "topology.", "scenario.")):
        raise ConfigError(f"{key}.params.key", f"{p['key']!r} is not a model parameter that can "
                                               "change during a run")
    if meta[p["key"]].get("at_build"):
        raise ConfigError(f"{key}.params.key", f"{p['key']} is used only when the model is "
                                               "built (residents, practices or trusts draw or "
                                               "take their values from it, or the network or "
                                               "starting state is made with it), so it cannot "
                                               "change during a run: set it in the "
                                               "configuration")
    *path, last = p["key"].split(".")
    obj = cfg
    for part in path:
        obj = getattr(obj, part)
    old = getattr(obj, last)
    value = p["value"]
    if isinstance(old, float) and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if type(value) is not type(old):
        raise ConfigError(f"{key}.params.value", f"{p['key']} takes a {type(old).__name__} "
                                                 f"(got {value!r})")
    setattr(obj, last, value)
    try:
        validate(cfg)
    except ConfigError as exc:
        setattr(obj, last, old)
        raise ConfigError(f"{key}.params.value", str(exc)) from exc


def _check(p: dict, key: str) -> None:
    _assign(Config(), p, key)


@register("set_parameter", check=_check,
          key=Arg(str, meaning="dotted parameter key, e.g. need.p_onset_per_day"),
          value=Arg(object, meaning="new value"))
def set_parameter(model: CommunityModel, p: dict) -> None:
    """Set any model parameter from today on (validated like the configuration)."""
    _assign(model.cfg, p, "events")
    if p["key"].startswith(("need.", "population.")):
        from sim.processes.need import onset_probability

        model.onset_p = onset_probability(model)
    if p["key"] == "groups.mag_fresh_need_days":  # what counts as fresh need changed: its
        model.__dict__.pop("_mag_need_usual", None)  # usual level is measured afresh from today
    if p["key"].startswith("wellbeing."):  # the targets each resident's scores move to
        from sim.processes.wellbeing import refresh_targets

        refresh_targets(model)
    section, _, name = p["key"].rpartition(".")
    if name == "training_days" and section.startswith("groups."):  # each group's copy (which
        kind = section.removeprefix("groups.")  # relax_training also scales) is the kind's
        for group in model.groups:  # from today on
            if group.kind_key == kind:
                group.training_days = p["value"]
        model.refresh_training_days()
