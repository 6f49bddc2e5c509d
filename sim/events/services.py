"""Event kinds acting on services: funding, link-worker posts, intermediaries, commissioning."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.agents.health import SPECIALISMS
from sim.agents.intermediaries import LocalityOfficer, ParishCouncil
from sim.agents.organisations import GroupKind
from sim.events.registry import Arg, register
from sim.params import ConfigError
from sim.topology.places import _largest_remainder

if TYPE_CHECKING:
    from sim.model import CommunityModel

INTERMEDIARY_KINDS = {"locality_officer": LocalityOfficer, "parish_council": ParishCouncil}


@register("funding_cut",
          share=Arg(float, lo=0.0, hi=1.0, meaning="share of core funding removed"),
          target=Arg(str, "all", choices=("groups", "lio", "all"),
                     meaning="whose funding is cut"))
def funding_cut(model: CommunityModel, p: dict) -> None:
    """Core funding of groups and/or the infrastructure organisation is cut from today
    (002:234-240; services start and stop, 002:244)."""
    for g in model.groups:
        is_lio = g.kind is GroupKind.LIO
        if p["target"] == "all" or (p["target"] == "lio") == is_lio:
            g.funding_cut = p["share"]


@register("add_link_workers",
          per_practice=Arg(int, 1, lo=1, hi=20, meaning="new posts at every practice that "
                                                        "already has a link worker"),
          specialism=Arg(str, "", choices=("", *SPECIALISMS),
                         meaning="target group of specialist posts ('' = generalist)"),
          practices=Arg(str, "with_link_worker", choices=("with_link_worker", "all"),
                        meaning="which practices get the posts: those that already have a "
                                "link worker, or every practice (a new service starts where "
                                "there was none; GP engagement ramps up from then)"),
          host=Arg(str, "", choices=("", "practice", "vcse", "lio", "alternate"),
                   meaning="who hosts the new posts: '' drawn from link_worker.share_hosted_*; "
                           "practice (the worker sits in the surgery), vcse or lio; alternate: "
                           "the practices getting posts in turn, the first practice-hosted, "
                           "the next VCSE-hosted, and so on (co-located and remote practices "
                           "side by side in one place, 004:398-402)"))
def add_link_workers(model: CommunityModel, p: dict) -> None:
    """More link-worker posts (ARRS roll-out, 002:15-17, 105) with no more destination
    capacity; or specialist posts for excluded groups (002:364, 004:524)."""
    every = p["practices"] == "all"
    for k, gp in enumerate([gp for gp in model.gp_practices if every or gp.link_workers]):
        host = p["host"]
        if host == "alternate":
            host = "practice" if k % 2 == 0 else "vcse"
        for _ in range(p["per_practice"]):
            model.add_link_worker(gp, p["specialism"], host)


@register("tapered_grant",
          share_year1=Arg(float, 0.0, lo=0.0, hi=1.0, meaning="statutory share of the cost in "
                                                              "year 1"),
          share_year2=Arg(float, 0.5, lo=0.0, hi=1.0, meaning="… in year 2"),
          share_year3=Arg(float, 0.8, lo=0.0, hi=1.0, meaning="… in year 3 (100 % after)"),
          willingness_mean=Arg(float, 1.0, lo=0.0, meaning="mean share of the cost a "
                                                           "statutory partner will carry "
                                                           "(assumption)"),
          willingness_sd=Arg(float, 0.2, lo=0.0, meaning="spread of that share across "
                                                         "partners (assumption)"))
def tapered_grant(model: CommunityModel, p: dict) -> None:
    """Link-worker posts move onto a grant whose statutory share rises 0/50/80 % over years
    1-3, then 100 % (004:171). Each practice's partner carries the share up to its own
    willingness; past it the posts end (sustainability after year 3 uncertain, 004:264, 686)."""
    shares = (p["share_year1"], p["share_year2"], p["share_year3"])
    for commissioner in model.get_commissioners():  # each district's own practices
        commissioner.start_tapered_grants(shares, p["willingness_mean"], p["willingness_sd"])


@register("commissioning",
          places_per_review=Arg(int, 10, lo=1, meaning="client places funded at each review"),
          review_days=Arg(int, 90, lo=1, meaning="days between reviews"),
          rule=Arg(str, "agile", choices=("agile", "even", "neediest_unit"),
                   meaning="agile: in proportion to the referrals each group turned away "
                           "for want of places (the demand and supply data groups and link "
                           "workers hold, 002:330-336); even: spread over groups; "
                           "neediest_unit: the unit with most unmet need per client place, "
                           "counting residents no service has seen (a new group there if "
                           "none is open)"),
          partners=Arg(int, 1, lo=1, hi=20,
                       meaning="organisations delivering the places in partnership; every "
                               "change needs each to agree (004:288, 524-534)"),
          specialist=Arg(str, "", choices=("", *SPECIALISMS),
                         meaning="target group of a specialist delivery partner (with "
                                 "partners > 1): it brings that group to the places "
                                 "(004:524)"))
def commissioning(model: CommunityModel, p: dict) -> None:
    """Data-driven agile commissioning: real-time demand data from link workers and groups
    decide where new client places are funded (002:304-306, 330-340); 'even' spreads the same
    money over every group (the counterfactual). With several delivery partners each change
    waits until all have agreed (004:284-288, 532-534). With several districts each district's
    commissioner funds its share of the places (in proportion to its residents, largest
    remainders) where its own data say; a district with no open constituted group passes its
    share to the other districts' groups by the same rule, and places that no group can take
    are counted as unplaced (``new_commissioned_places_reallocated``, ``..._unplaced``)."""
    commissioners = model.get_commissioners()
    places = [p["places_per_review"]]
    if len(commissioners) > 1:
        places = _largest_remainder(p["places_per_review"],
                                    model.district_residents().astype(float)).tolist()
    for commissioner, k in zip(commissioners, places, strict=True):
        commissioner.start_commissioning(int(k), p["review_days"], p["rule"], p["partners"],
                                         p["specialist"])


def _check_unit(model: CommunityModel, p: dict, key: str) -> None:
    if p["unit"] >= len(model.units):
        raise ConfigError(f"{key}.params.unit", f"must be -1 or a unit index below "
                                                f"{len(model.units)} (got {p['unit']})")


@register("stand_up_intermediary", check_model=_check_unit,
          kind=Arg(str, choices=tuple(INTERMEDIARY_KINDS), meaning="which intermediary"),
          unit=Arg(int, -1, lo=-1, meaning="unit index (-1: every eligible unit: urban for a "
                                            "locality officer, rural for a parish council)"),
          ties_to_health=Arg(bool, False, meaning="parish council: a nominated councillor "
                                                  "linked to GP and link workers (000:121)"))
def stand_up_intermediary(model: CommunityModel, p: dict) -> None:
    """A locality officer (000:80-92) or parish council hub (000:86, 121) starts work."""
    rural = p["kind"] == "parish_council"
    _check_unit(model, p, "events")
    units = [p["unit"]] if p["unit"] >= 0 else [
        u.index for u in model.units if u.params.rural == rural]
    cls = INTERMEDIARY_KINDS[p["kind"]]
    for u in units:
        if not any(isinstance(h, cls) and h.unit == u for h in model.intermediaries):
            model.add_intermediary(p["kind"], u)
    if rural and p["ties_to_health"]:
        model.cfg.intermediaries.pc_ties_to_health = True


@register("stand_down_intermediary",
          kind=Arg(str, choices=tuple(INTERMEDIARY_KINDS), meaning="which intermediary"))
def stand_down_intermediary(model: CommunityModel, p: dict) -> None:
    """The post ends or the councillors step back (fragile when it rests on a few people,
    000:121-122)."""
    cls = INTERMEDIARY_KINDS[p["kind"]]
    for hub in [h for h in model.intermediaries if isinstance(h, cls)]:
        model.remove_intermediary(hub)


@register("place_hub", signposts_per_day=Arg(int, 10, lo=0, meaning="front-door capacity "
                                                                     "(0 closes the hub)"))
def place_hub(model: CommunityModel, p: dict) -> None:
    """A place-based hub / single front door opens (003:168-170)."""
    model.cfg.intermediaries.hub_signposts_per_day = p["signposts_per_day"]
