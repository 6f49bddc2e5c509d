"""Event kinds acting on volunteering: calls to action and onboarding rules."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.events.registry import Arg, Event, register

if TYPE_CHECKING:
    from sim.model import CommunityModel


@register("surge_campaign",
          multiplier=Arg(float, 100.0, lo=0.0, meaning="multiplier on daily applications"),
          days=Arg(int, 4, lo=1, meaning="how long the call to action runs"))
def surge_campaign(model: CommunityModel, p: dict) -> None:
    """A call to action: applications multiply for a few days (inundated within 48 h,
    003:218-228); onboarding capacity does not change."""
    model.cfg.volunteers.campaign_multiplier = p["multiplier"]
    model.timeline.by_day.setdefault(model.output_day + p["days"], []).insert(
        0, Event(model.output_day + p["days"], "set_parameter",
                 {"key": "volunteers.campaign_multiplier", "value": 1.0}))


@register("relax_training",
          factor=Arg(float, 0.3, lo=0.0, hi=1.0,
                     meaning="share of pre-deployment training days kept (handbook, online "
                             "induction)"))
def relax_training(model: CommunityModel, p: dict) -> None:
    """Organisations relax mandatory training and move it online, which 'significantly
    reduced the onboarding process' (003:232-240). Applies to groups formed later too."""
    cfg = model.cfg.groups
    for kind in (cfg.formal_charity, cfg.community_group, cfg.mutual_aid, cfg.lio):
        kind.training_days = int(round(kind.training_days * p["factor"]))
    for org in model.organisations:
        org.training_days = int(round(org.training_days * p["factor"]))
    model.refresh_training_days()


@register("passporting",
          enabled=Arg(bool, True, meaning="checks and training recognised across organisations"))
def passporting(model: CommunityModel, p: dict) -> None:
    """A volunteer passport: a common standard for ID, training and DBS recognised by all
    organisations, so moving between them needs no repeat onboarding (003:246-254).
    An expectation in the sources, not an observed outcome (003:279)."""
    model.cfg.volunteers.passporting = p["enabled"]
