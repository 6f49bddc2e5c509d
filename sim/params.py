"""Typed model parameters: one line of meaning, a source and an allowed range per number.

Every number the model uses lives here. Each field is declared with :func:`param`, which records
its meaning, its source (``"004:359"`` = seed file 004, line 359; or ``"assumption"``) and the
allowed range. :func:`validate` walks the whole tree and raises :class:`ConfigError` naming the
dotted key (``link_worker.caseload_cap``) and what is allowed, before anything is built.

The same dataclasses are the Hydra schema (``sim.config``) and the plain-Python API
(``sim.CommunityModel(Config())``): the model never needs Hydra.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
import re
from dataclasses import dataclass, field
from typing import Any


class ConfigError(ValueError):
    """An invalid configuration value; the message names the dotted key and what is allowed."""

    def __init__(self, key: str, message: str):
        self.key = key
        message = re.sub(r"\bnp\.(?:[a-z_]+\d*\(([^()]*)\)|(True|False)_)",  # np.int64(3): 3
                         lambda m: m[1] if m[1] is not None else m[2], message)
        super().__init__(f"{key}: {message}")


def param(
    default: Any,
    meaning: str,
    source: str = "assumption",
    *,
    lo: float | None = None,
    hi: float | None = None,
    choices: tuple | None = None,
    unit: str = "",
    plausible: tuple[float, float] | None = None,
    at_build: bool = False,
) -> Any:
    """Declare a parameter field with its meaning, source, unit and allowed range.

    ``plausible`` is the documented range of an uncertain value (an assumption, or a figure
    the sources give loosely): the validation suite's robustness draws sample it (Latin
    hypercube) to check that a fact does not hold at one lucky point only. ``at_build``: the
    value is used only when the model is built (each practice draws its own from it, say), so
    a ``set_parameter`` event cannot change it during a run."""
    meta = {"meaning": meaning, "source": source, "lo": lo, "hi": hi, "choices": choices,
            "unit": unit, "plausible": plausible, "at_build": at_build}
    if isinstance(default, list | dict):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


def prob(default: float, meaning: str, source: str = "assumption", *,
         plausible: tuple[float, float] | None = None, at_build: bool = False) -> Any:
    """A probability in [0, 1]."""
    return param(default, meaning, source, lo=0.0, hi=1.0, unit="probability",
                 plausible=plausible, at_build=at_build)


def count(default: int, meaning: str, source: str = "assumption", lo: int = 0, *,
          plausible: tuple[float, float] | None = None) -> Any:
    """A non-negative whole number."""
    return param(default, meaning, source, lo=lo, unit="count", plausible=plausible)


def section(cls: type) -> Any:
    """A nested parameter section."""
    return field(default_factory=cls)


# --------------------------------------------------------------------------------------------
# Run control
# --------------------------------------------------------------------------------------------


@dataclass
class RunParams:
    seed: int = param(20201, "base seed; with `replicate` it decides every output byte", lo=0,
                      hi=2**63 - 1)
    replicate: int = param(0, "replicate number; replicate k uses the same stream for every "
                              "scenario, so comparisons are paired", lo=0, hi=2**63 - 1)
    days: int = param(365, "days to simulate (one step = one day)", lo=1, hi=36500, unit="days")
    collect: bool = param(True, "collect the daily metrics table")
    area_period_days: int = param(
        7, "days per period of the per-area time course (area_course.parquet: one row per "
           "area and period; docs/places.md); 0: not collected", lo=0, hi=36500, unit="days")
    plots: bool = param(True, "write PNG plots of key metrics (CLI only)")
    resident_agents: bool = param(
        True, "create a Mesa Resident agent object per resident (views on the arrays); "
              "false creates them on demand only")
    overwrite: bool = param(False, "CLI: replace results of a different configuration already "
                                   "in the run directory")
    burn_in_days: int = param(
        1456, "days simulated under baseline conditions before output day 1 (no events, no "
             "outputs), so a run starts from a community in its normal state; scenario events "
             "are dated from the end of the burn-in (docs/validation.md: stationarity); whole "
             "weeks keep output day 1 a Monday",
        "assumption (measured: experiments/stationarity.py)", lo=0, hi=36500, unit="days")
    burn_in_cache: str = param(
        "", "folder where burnt-in states are saved and reused by runs that share topology, "
            "parameters, seed and replicate ('' = none; sweeps use SWEEP_DIR/.burn_in). Files "
            "are signed with a per-user key and only those are loaded")
    allow_late_events: bool = param(False, "accept events dated after the last day (they never "
                                           "fire; refused by default as a likely mistake)")
    allow_large: bool = param(False, "accept sizes above the limits in sim.limits (memory and "
                                     "time grow with them; refused by default)")


# --------------------------------------------------------------------------------------------
# Topology and population
# --------------------------------------------------------------------------------------------


@dataclass
class UnitParams:
    """One neighbourhood unit (urban estate or rural parish) and the organisations inside it."""

    n_residents: int = count(8000, "residents in one unit", "000:34 (Case A estate, thousands)",
                             lo=1)
    mean_household_size: float = param(2.3, "mean residents per household", lo=1.0, hi=10.0)
    ties_per_household: int = count(6, "between-household social ties per household "
                                       "(small-world ring degree, even)", lo=0)
    p_rewire: float = prob(0.05, "share of between-household ties rewired to a random "
                                 "household in the unit (small world)")
    n_community_leaders: int = count(10, "trusted residents tied to many households "
                                         "(community-centre hub)", "000:79-80")
    leader_ties: int = count(40, "ties per community leader")
    deprivation_quintile: int = param(1, "typical IMD quintile of the unit (1 = most deprived)",
                                      "000:34", lo=1, hi=5)
    rural: bool = param(False, "rural unit (no amenities, poor transport)", "000:34")
    gp_practices: int = count(2, "GP practices serving the unit", "assumption")
    gp_distance_miles: float = param(0.5, "distance from residents to their GP practice",
                                     "000:34, 000:87", lo=0.0, unit="miles")
    gp_on_site: bool = param(True, "GP practice inside the unit (false: off-site)", "000:87")
    link_workers: int = count(1, "social-prescribing link workers attached to the unit's "
                                 "practices (PCN)", "002:105, 002:149")
    formal_charities: int = count(6, "formal charities delivering support in the unit")
    community_groups: int = count(10, "community groups in the unit (street-level, clubs)")
    share_groups_off_radar: float = prob(
        0.5, "share of community groups not on the link-worker directory", "000:118; 002:244")
    locality_officer: bool = param(True, "an urban locality officer works in the unit",
                                   "000:80-81, 000:120")
    parish_council: bool = param(False, "a parish council acts as local hub", "000:86, 000:121")
    informal_network: bool = param(False, "in an emergency the parish council's key people "
                                          "form an informal village network (unconstituted, "
                                          "from residents who come forward); none in normal "
                                          "times", "000:79, 000:86, 000:121")
    gp_vcse_ties_reach_unit: bool = param(
        True, "GP practices can form ties with the unit's groups (false: no link to health, "
              "as in Case B)", "000:87, 000:116")
    lw_awareness: float = prob(1.0, "how well residents know they can refer themselves to a "
                                    "link worker (weight on self-referral)", "000:87, 000:116")
    lw_travel_hours_per_contact: float = param(
        0.1, "link-worker time per face-to-face visit beyond driving the distance to the "
             "practice (parking, finding the home; in a rural footprint the other parishes)",
        "002:166", lo=0.0, unit="hours")
    lw_days_share: float = param(
        1.0, "share of its link workers' working days spent on this unit's patients (a rural "
             "PCN's link worker also serves the other parishes of its footprint)",
        "assumption; 002:166-168 (large rural PCN footprints)", lo=0.001, hi=1.0,
        unit="share")


def _rural_unit() -> UnitParams:
    return UnitParams(
        n_residents=380, mean_household_size=2.2, ties_per_household=8, p_rewire=0.02,
        n_community_leaders=2, leader_ties=60, deprivation_quintile=4, rural=True,
        gp_practices=1, gp_distance_miles=6.0, gp_on_site=False, link_workers=1,
        formal_charities=0, community_groups=0, share_groups_off_radar=1.0,
        locality_officer=False, parish_council=True, informal_network=True,
        gp_vcse_ties_reach_unit=False, lw_awareness=0.2, lw_travel_hours_per_contact=1.0,
        lw_days_share=0.1,
    )


@dataclass
class TopologyParams:
    kind: str = param("urban", "network topology", "MODEL_BRIEF s3",
                      choices=("urban", "rural", "county", "county_legacy", "file", "places"))
    n_residents: int = count(8000, "total residents (urban/rural: the one unit; county: all "
                                   "areas; file: taken from the population table)", lo=1)
    rural_share: float = prob(0.25, "county: share of residents living in rural areas "
                                    "(villages; county_legacy: rural parishes)",
                              "assumption (the example county has 0.49; England about 0.17, "
                              "a figure not in the sources)")
    urban: UnitParams = section(UnitParams)
    rural_unit: UnitParams = field(default_factory=_rural_unit)
    parishes_per_practice: int = count(
        8, "county_legacy: neighbouring rural parishes sharing one off-site practice and its link "
           "workers (a rural PCN)", "002:166; 004:872", lo=1)
    place_lio: bool = param(True, "a local infrastructure organisation (CVS / volunteer "
                                  "centre) serves the place (places topology: one in each "
                                  "district)", "002:111, 002:202-214; 003:160")
    lio_reference_residents: int = count(
        100_000, "places topology: residents a district's LIO serves at the default funding "
                 "and hours (groups.lio, lio.*); each district's LIO has them times its "
                 "residents / this (the other topologies' one LIO has them as they are)",
        "assumption (the county topology's 100,000 residents with one LIO; NAVCA's 180 "
        "member LIOs, 002:111, would serve about 310,000 each if they covered England's "
        "56 million, a figure not in the sources)",
        lo=1)
    place_charities: int = count(3, "place-level formal charities reachable from every unit "
                                    "of their district (places and county topologies: this "
                                    "many in each district, serving its areas only)",
                                 "004:790-884")
    nhs_trust: bool = param(True, "a hospital trust with its own volunteers serves the place "
                                  "(places topology: one in each district, volunteers and "
                                  "management hours in proportion to its residents)",
                            "003:38, 003:146")
    nhs_trust_volunteers_per_1000: float = param(
        4.0, "hospital-trust volunteers per 1,000 residents", lo=0.0)
    graph_file: str = param("", "file topology: GraphML or edge-list file of resident ties")
    population_file: str = param("", "file topology: CSV or Parquet population table, one row "
                                     "per resident")
    place_file: str = param(
        "", "places topology: CSV or Parquet table with one row per small area (LSOA-shaped: "
            "population by age band and sex, IMD decile, rural-urban class, limitation, "
            "households, digital access, district, PCN; docs/places.md)")
    practice_file: str = param(
        "", "places topology: CSV or Parquet table with one row per GP practice (list size, "
            "PCN, home area, link-worker FTE)")
    registration_file: str = param(
        "", "places topology: optional CSV or Parquet table of patients registered by practice "
            "and area (the shape of NHS Digital's patients-registered-by-LSOA file); '' = each "
            "area's residents are shared among its PCN's practices in proportion to list size")
    organisation_file: str = param(
        "", "places topology: optional CSV or Parquet table of the place's charities and "
            "community groups, one row each (kind, area or district served, capacity, "
            "funding); '' = organisations per area from the place table's counts or the "
            "templates' rates, and topology.place_charities in each district")
    place_scale: float = param(
        1.0, "places topology: share of every area's population (and households and "
             "link-worker FTE) to build; below 1 builds a scaled-down replica for quick runs",
        lo=0.0001, hi=1.0, unit="share")
    locality_officer_max_decile: int = param(
        2, "places topology: urban areas of IMD decile 1..this have locality officers, one per "
           "patch of about topology.urban.n_residents residents in each PCN, where the place "
           "table has no locality_officer column",
        "assumption (Case A: a locality officer on a most-deprived estate, 000:34, 000:80-81)",
        lo=0, hi=10)
    # the county topology (sim.topology.county): a synthetic place table at any size
    county_area_file: str = param(
        "places/example_county/areas.csv",
        "county: place table whose urban and rural areas the synthetic county samples (in its "
        "IMD-decile mix), then rescales to topology.n_residents and topology.rural_share")
    county_district_residents: int = count(
        140_000, "county: mean residents per district (place, local authority): a county "
                 "town of at least half this is a district of its own (a city council) and "
                 "the rest of the county is split into (rest / this, rounded, at least one) "
                 "districts of market towns and villages; otherwise the county has (residents "
                 "/ this, rounded, at least one) districts, the first holding the county town",
        "assumption (002:97: place = district; the example county has 700,000 in five "
        "districts)", lo=1000, plausible=(100_000, 200_000))
    county_district_size_concentration: float = param(
        20.0, "county: Dirichlet concentration of the split of the residents outside a county "
              "town district among the other districts (higher: more equal districts; 20 "
              "gives sizes about 20 % apart)",
        "assumption (Oxfordshire's districts hold about 115,000-160,000, a figure not in the "
        "sources)", lo=1.0, hi=10_000.0, plausible=(5.0, 100.0))
    county_town_share: float = prob(
        0.24, "county: share of the county's residents living in its county town (urban, "
              "sampled from the template's city areas with their deprivation spread, "
              "most deprived deciles included); capped at the urban residents",
        "assumption (Oxford holds about 160,000 of Oxfordshire's 700,000, a figure not in "
        "the sources; the example county's city 170,000 of 700,000; a city-wide scheme of "
        "about 400,000, 004:820)", plausible=(0.1, 0.4))
    county_market_town_residents: int = count(
        20_000, "county: mean residents per market town: each district's urban residents "
                "outside the county town form (them / this, rounded, at least one) market "
                "towns, each with its share of the district's villages",
        "assumption (the example county's towns hold 9,000-36,000, mean about 21,000)",
        lo=500, plausible=(8_000, 40_000))
    county_market_town_size_concentration: float = param(
        6.0, "county: Dirichlet concentration of the split of a district's market-town "
             "residents among its towns (higher: more equal towns; 6 gives sizes about 40 % "
             "apart)", "assumption (the example county's towns, 9,000-36,000)",
        lo=1.0, hi=10_000.0, plausible=(2.0, 50.0))
    county_pcn_residents: int = count(
        40_000, "county: residents per primary care network (neighbourhood): PCNs per "
                "district: the number (at least one) whose size comes nearest this (PCNs of "
                "0.75-1.25 times this whenever the district's size allows)",
        "assumption (002:97: neighbourhood = PCN; PCNs typically serve 30,000-50,000, a figure "
        "not in the sources)", lo=1000, plausible=(30_000, 50_000))
    county_practice_list_size: int = count(
        10_000, "county: mean registered patients per GP practice: practices per PCN = its "
                "residents / this, rounded, at least one",
        "assumption (English practices average about 10,000 patients, a figure not in the "
        "sources; 004:872: a county system with 62 practices)", lo=500,
        plausible=(7_000, 12_000))
    county_list_size_concentration: float = param(
        6.0, "county: Dirichlet concentration of the split of a PCN's patients among its "
             "practices (higher: more equal list sizes)",
        "assumption (the example county's split, experiments/make_example_county.py)",
        lo=1.0, hi=1000.0)
    county_patients_per_link_worker_fte: int = count(
        20_000, "county: registered patients per link-worker FTE in a PCN (half posts, at "
                "least one post per PCN)",
        "assumption; 002:15, 002:105 (link workers in every PCN), 002:149 (ARRS posts "
        "employed by PCNs), 002:172 (contracts of 2, 4 and 8 posts)", lo=1000,
        plausible=(10_000, 40_000))
    county_share_rural_parish_council: float = prob(
        0.2, "county: chance a rural area's parish council acts as a hub (leaflets, an "
             "informal village network) in an emergency; none in urban areas",
        "assumption; 000:34 (Case B was chosen as a strong community response, not a typical "
        "village), 000:86, 000:121-122 (a parish-council broker role is proposed, not in "
        "place)", plausible=(0.05, 0.5))


# --------------------------------------------------------------------------------------------
# Residents: need, help seeking, wellbeing
# --------------------------------------------------------------------------------------------


@dataclass
class PopulationParams:
    # every one is drawn once per resident when the population is built: at_build
    mean_age_adult: float = param(49.0, "mean age of adults (16+)", lo=16, hi=100, unit="years",
                                  at_build=True)
    share_children: float = prob(0.19, "share of residents under 16", at_build=True)
    share_female: float = prob(0.51, "share of residents who are women", at_build=True)
    p_limitation_a_little: float = prob(0.14, "share limited a little day to day", "assumption "
                                        "(most-deprived estate, 000:34); calibrated with 004:474",
                                        at_build=True)
    p_limitation_a_lot: float = prob(0.11, "share limited a lot day to day", "assumption "
                                     "(most-deprived estate, 000:34); calibrated with 004:474",
                                     at_build=True)
    p_digitally_excluded: float = prob(0.12, "share without digital access", at_build=True)
    p_digitally_excluded_65plus: float = prob(0.35, "share of 65+ without digital access",
                                              at_build=True)


@dataclass
class NeedParams:
    p_onset_per_day: float = prob(
        0.00016, "daily chance a resident with no need develops a non-medical need "
                 "(before multipliers)", "calibrated: ~1 in 5 GP consultations carry one "
                 "(002:95) with the client profile of 004:464-474 (docs/validation.md)")
    share_onset_low: float = prob(0.55, "share of new needs that start low", "004:296-330")
    share_onset_complex: float = prob(0.12, "share of new needs that start complex "
                                            "(rest: moderate)", "004:296-330")
    mult_limitation_a_little: float = param(7.5, "onset multiplier, limited a little",
                                            "calibrated to the client limitation mix, 004:474",
                                            lo=0)
    mult_limitation_a_lot: float = param(36.0, "onset multiplier, limited a lot",
                                         "calibrated to the client limitation mix, 004:474", lo=0)
    mult_age_65plus: float = param(4.0, "onset multiplier, aged 65+", "004:464", lo=0)
    mult_female: float = param(3.0, "onset multiplier, women", "calibrated to 66 % women "
                                                               "among clients, 004:464", lo=0)
    mult_child: float = param(0.15, "onset multiplier, under 16 (few children reach these "
                                    "services)", "004:464", lo=0)
    mult_per_deprivation_quintile: float = param(
        1.15, "onset multiplier per quintile more deprived than least deprived", "002:216", lo=1)
    emergency_multiplier: float = param(1.0, "onset multiplier during a civil emergency "
                                             "(set by events)", lo=0)
    p_escalate_low_per_day: float = prob(0.004, "daily chance an unmet low need becomes "
                                                "moderate", "002:370; 004:420")
    p_escalate_moderate_per_day: float = prob(0.002, "daily chance an unmet moderate need "
                                                     "becomes complex", "002:370; 004:420")
    p_self_resolve_low_per_day: float = prob(0.03, "daily chance an unmet low need resolves")
    p_self_resolve_moderate_per_day: float = prob(0.01, "… moderate need resolves unaided")
    p_self_resolve_complex_per_day: float = prob(0.004, "… complex need resolves unaided")
    p_hidden: float = prob(0.25, "chance a need hides a further issue", "004:420, 004:446-451")
    p_hidden_surfaces_on_contact: float = prob(0.5, "chance a hidden issue surfaces at a "
                                                    "link-worker contact", "004:446-451")
    p_resolve_on_completion: float = prob(
        0.7, "chance support, once completed, resolves the need (else one level lower)",
        "004:510-518")
    p_resolve_complex_on_completion: float = prob(0.35, "same, complex needs", "004:420")
    unmatched_resolution_factor: float = prob(
        0.6, "link-worker support that found no destination resolves needs this much as often",
        "002:205, 004:784")
    initial_prevalence: float = prob(0.04, "share of residents in need on day 0", at_build=True)
    # need domains (what the need is about; sim.state.DOMAINS): the sources name the kinds of
    # need and destination but give no shares, so the shares are assumptions (the rest:
    # physical activity and creative activity, 004:96, 386, 784)
    share_need_social: float = prob(
        0.3, "share of new needs that are social (isolation, loneliness: befriending, groups)",
        "assumption; 004:195, 004:780-784, 004:804, 004:862", plausible=(0.2, 0.4))
    share_need_emotional: float = prob(
        0.25, "share of new needs that are emotional (mental wellbeing, anxiety, low mood: "
              "self-help and peer support)", "assumption; 002:368, 004:412, 004:436, 004:742",
        plausible=(0.15, 0.35))
    share_need_practical: float = prob(
        0.3, "share of new needs that are practical (debt, benefits, housing, employment: "
             "advice services)", "assumption; 004:96, 004:386, 004:738-776",
        plausible=(0.2, 0.4))
    poor_fit_resolution_factor: float = prob(
        0.5, "a link-worker placement with a destination that does not offer the client's need "
             "domain resolves the need this much as often on completion (a group 'that cannot "
             "meet the person's needs')", "assumption; 002:364-368, 004:752",
        plausible=(0.3, 0.9))


@dataclass
class HelpSeekingParams:
    p_seek_per_day: float = prob(0.015, "daily chance a resident in unmet need seeks help")
    weight_gp: float = param(1.0, "channel weight: GP consultation", "004:359", lo=0)
    weight_self_referral: float = param(0.25, "channel weight: self-referral to a link worker",
                                        "calibrated to the referral mix, 004:359-376", lo=0)
    weight_informal: float = param(0.8, "channel weight: ties / mutual aid", "003:67", lo=0)
    weight_group: float = param(0.35, "channel weight: a group the resident knows",
                                "004:361", lo=0)
    weight_intermediary: float = param(0.5, "channel weight: hub, locality officer or parish "
                                            "council (if present)", "000:80-86", lo=0,
                                       plausible=(0.25, 1.0))
    gp_distance_halving_miles: float = param(
        4.0, "GP consultations, and attendance at off-site destinations, halve per this many "
             "miles (poor transport); each practice's access is worked out when the model is "
             "built", "000:34, 002:166", lo=0.01, unit="miles", at_build=True)
    mult_self_referral_digital: float = param(1.3, "self-referral weight with digital access",
                                              lo=0)
    mult_self_referral_excluded: float = param(0.4, "self-referral weight if digitally "
                                                    "excluded", lo=0)
    p_informal_help_per_helper: float = prob(
        0.3, "chance one tie who is an active volunteer helps a resident who asks", "003:67")
    informal_support_days: int = count(10, "days informal help lasts", lo=1)
    p_signposted_to_lw: float = prob(0.2, "chance an intermediary signposts to a link worker "
                                          "(if it has a tie to one)", "004:370-376",
                                     plausible=(0.1, 0.4))
    p_statutory_referral_per_day: float = prob(
        0.0005, "daily chance social care, community services or hospital refer a resident "
                "in unmet moderate/complex need", "004:362-369")
    p_vcse_onward_referral: float = prob(
        0.25, "chance a group refers a client whose need is beyond it to a link worker",
        "004:361")


@dataclass
class GPParams:
    consults_per_year: float = param(4.0, "GP consultations per resident-year without "
                                          "non-medical need", lo=0, unit="per year")
    mult_consults_with_need: float = param(2.5, "consultation-rate multiplier while in need",
                                           lo=0)
    p_raise_nonmedical: float = prob(0.7, "chance a resident in need raises it at a consult",
                                     "002:95")
    engagement_start: float = prob(0.01, "chance a raised need is referred to a link worker "
                                         "on day 0", "004:340-342")
    engagement_max_lo: float = prob(0.04, "lowest ceiling of a practice's learnt engagement",
                                    "004:342; calibrated to the referral mix, 004:359-370",
                                    at_build=True)
    engagement_max_hi: float = prob(0.10, "highest ceiling of a practice's learnt engagement",
                                    "004:342; calibrated to the referral mix, 004:359-370",
                                    at_build=True)
    initial_engagement_share: float = prob(
        0.0, "where a practice's engagement starts when a new link-worker service starts, as a "
             "share of the way from engagement_start to its long-run ceiling (1: fully "
             "engaged at once, no learning needed)", "assumption; 004:340-342")
    p_feedback_remote: float = prob(
        0.3, "chance a practice hears that a client it referred was helped, when none of its "
             "link workers is in the surgery", "assumption; 004:402", plausible=(0.1, 0.6))
    p_feedback_co_located: float = prob(
        0.8, "same, when a link worker is co-located in the surgery", "assumption; 004:398-402",
        plausible=(0.5, 1.0))
    engagement_gain_per_feedback: float = prob(
        0.15, "share of the gap to its ceiling a practice's engagement closes per helped client "
              "it hears of", "assumption; 004:340-342", plausible=(0.05, 0.3))
    engagement_loss_per_lost_referral: float = prob(
        0.001, "share of its engagement above engagement_start a practice loses per referral "
              "that disappears (disengaged, gave up waiting, bounced)",
        "assumption; 004:242, 004:330", plausible=(0.0005, 0.005))
    engagement_gain_presence_per_day: float = prob(
        0.003, "share of the gap to its ceiling closed per working day a link worker is "
               "present in the surgery ('so GPs know they are available')", "assumption; 004:400",
        plausible=(0.0, 0.01))
    p_signpost_tied_group: float = prob(0.3, "chance a raised need not referred is signposted "
                                             "to a VCSE group the practice knows", "000:97")
    share_vcse_degree_0: float = prob(0.05, "share of practices with no VCSE tie",
                                      at_build=True)
    share_vcse_degree_1: float = prob(0.72, "share with ties to one VCSE organisation",
                                      "000:97, 000:403", at_build=True)
    share_vcse_degree_2: float = prob(0.18, "share with ties to two (rest: three)",
                                      "000:97, 000:403", at_build=True)
    partnership_hours_lo: float = param(
        1.0, "fewest staff hours a week a practice can give to keeping up its VCSE partnerships "
             "(each practice draws its own between lo and hi)",
        "assumption; 000:92 (partnership is 'more resource intensive'), 000:116 (checks, "
        "confidentiality, quality standards)", lo=0.0, hi=168.0, unit="hours per week",
        plausible=(0.5, 2.0), at_build=True)
    partnership_hours_hi: float = param(
        3.0, "most staff hours a week a practice can give to keeping up its VCSE partnerships",
        "assumption; 000:92, 000:116", lo=0.0, hi=168.0, unit="hours per week",
        plausible=(2.0, 5.0), at_build=True)
    tie_upkeep_hours_per_week: float = param(
        1.0, "practice staff hours a week one VCSE partnership takes to keep up (contact, "
             "referral pathway, checks); a practice takes on a tie only while its partnership "
             "hours cover one more",
        "assumption; 000:92, 000:116", lo=0.01, hi=168.0,
        unit="hours per week", plausible=(0.5, 2.0))
    vcse_tie_renewal_days: float = param(
        365.0, "mean days before a practice replaces a VCSE relationship of its own that it "
               "lost when the group closed or the tie lapsed unused, if its partnership hours "
               "allow (it keeps up as many as it started with; ties a "
               "locality officer brokered are rebuilt by the officer, not by the practice); 0: "
               "never replaced", "assumption; 000:97 (the degree is what practices keep up), "
               "000:92 (relationships take time)", lo=0.0, hi=36500.0, unit="days",
        plausible=(180.0, 730.0))


@dataclass
class LinkWorkerParams:
    caseload_cap: int = count(35, "bespoke clients a link worker holds at once (no seed "
                                  "gives a caseload, SOURCES 6.8; ~250 a year at 49 days)", lo=1)
    hours_per_week: float = param(37.5, "contracted hours: triage stops for the day once "
                                        "contact and travel time reach a seventh of them",
                                  "assumption (full-time post; 002:160 prices it, 002:166-168 "
                                  "rural travel)", lo=1, hi=80, unit="hours")
    triage_per_day: int = count(4, "new referrals triaged per working day", "004:314", lo=1)
    working_days_per_week: int = param(5, "days a week a link worker works (Monday first); "
                                          "7 = every day", "004:326 ('two working days')",
                                       lo=1, hi=7, unit="days")
    bank_holidays: bool = param(True, "no link-worker work on England's eight bank holidays "
                                      "(fixed days of the model year)", "assumption")
    contact_share: float = prob(0.75, "share of contracted hours available for client contact "
                                      "and travel (the rest: records, supervision, network "
                                      "building)", "assumption; 000:92, 002:160")
    assessment_hours: float = param(1.0, "hours of the initial assessment (triage) contact",
                                    "004:804 ('1-hour initial assessment'), 004:564", lo=0,
                                    unit="hours")
    mean_days_before_giving_up: float = param(
        60.0, "mean days a referred resident waits (inbox or waiting list) before giving up "
              "(daily hazard 1/mean)", "assumption; 004:330, 004:414 (delays harm)", lo=1,
        hi=36500, unit="days")
    waiting_seek_elsewhere: float = prob(
        0.5, "daily chance of seeking help through another channel (ties, a group, an "
             "intermediary) while waiting for a link worker, relative to someone with nothing "
             "under way", "assumption")
    light_touch_days: int = count(14, "length of light-touch support", "004:316, 004:324",
                                  lo=1)
    bespoke_days: int = count(49, "length of bespoke support (6-8 weeks)",
                              "004:324, 004:420", lo=1)
    bespoke_sessions: int = count(6, "sessions in bespoke support", "004:386, 004:734", lo=1)
    session_hours: float = param(1.0, "hours per session", "004:564", lo=0, unit="hours")
    light_touch_hours: float = param(0.5, "hours of the follow-up call that closes light-touch "
                                          "support (phone: no travel)", "004:326, 004:582",
                                     lo=0, unit="hours")
    hidden_need_extra_days: int = count(21, "extra support days when a hidden need surfaces",
                                        "004:420")
    p_complex_beyond_scope: float = prob(0.4, "chance a complex client is beyond the link "
                                              "worker's scope and handed back", "004:318, 004:412",
                                              plausible=(0.2, 0.6))
    reescalation_pathway: bool = param(False, "a fast route back into statutory care exists "
                                              "(false: hand-backs bounce)", "002:370, 002:380")
    statutory_support_days: int = count(60, "days of statutory support after re-escalation",
                                        lo=1)
    p_client_disengages: float = prob(0.15, "chance a client not self-referred misses "
                                            "appointments and drops out", "004:428")
    max_match_attempts: int = count(3, "destinations tried per client per day", lo=1)
    fit_matching: bool = param(
        True, "the link worker looks first among the destinations it knows that offer the "
              "client's need domain, and tries others only when it knows none that is open "
              "(false: any destination it knows)", "002:107, 002:204; 004:96, 004:312")
    triage: bool = param(
        True, "referrals are triaged at a first assessment (light touch for low need, "
              "hand-back of complex cases beyond scope, a waiting list for bespoke support); "
              "false: untriaged intake - referrals join the waiting list first come, and the "
              "first bespoke session does the assessment (no light touch)",
        "004:314, 004:324-330")
    large_group_preference: float = param(1.0, "exponent on destination capacity when "
                                               "choosing (prefers large, stable)", "000:118", lo=0)
    specialist_outreach_per_day: int = count(
        2, "residents of its target group a specialist link worker reaches out to per day",
        "assumption; 002:364, 004:524", plausible=(1, 4))
    salary_per_year: float = param(34000.0, "salary (cost metric)", "002:160", lo=0, unit="GBP")
    statutory_places_per_1000: float = param(
        1.5, "places in the statutory service (secondary mental health, social care) open at "
             "once to clients handed back by link workers, per 1,000 residents; a hand-back "
             "finding it full bounces", "assumption; 004:242, 004:318, 004:412", lo=0.0,
        unit="places per 1,000 residents", plausible=(0.5, 4.0))
    p_handback_meets_threshold: float = prob(
        0.25, "chance a client handed back to the GP without a re-escalation pathway meets the "
             "statutory service's threshold (the 'gap in the middle': too unwell for IAPT, not "
             "enough for CMHT); with the pathway the link worker refers directly on agreed "
             "criteria", "assumption; 004:412, 002:370", plausible=(0.1, 0.5))
    p_turned_away_referred_back_per_day: float = prob(
        0.05, "daily chance that a client the statutory service turned away after a hand-back "
              "(below its threshold, or no place) is referred back to social prescribing while "
              "the need is moderate or complex and unmet: the 'gap in the middle' clients "
              "'many referred onto us', who 'bounce between their services and statutory "
              "services regularly' (about 3 weeks on average)",
        "assumption; 004:318, 004:412, 002:370", plausible=(0.02, 0.2))
    self_referral_disengagement_factor: float = param(
        0.3, "multiplier on the disengagement chance of a self-referred (motivated) client",
        "assumption; 004:420, 004:428", lo=0.0, plausible=(0.1, 0.7))
    disengagement_per_week_waited: float = param(
        0.1, "relative rise in the disengagement chance per week between referral and the "
             "first contact or the first bespoke session", "assumption; 004:330, 004:414",
        lo=0.0, unit="per week", plausible=(0.0, 0.3))
    warm_handover_disengagement_factor: float = param(
        0.5, "multiplier on the disengagement chance of a GP referral handed over in person by "
             "a link worker co-located in the surgery", "assumption; 004:398-402", lo=0.0,
        plausible=(0.3, 0.9))
    p_face_to_face: float = prob(
        0.3, "chance a client contact (assessment or session) is face to face rather than by "
             "phone", "assumption; 004:430-436", plausible=(0.1, 0.6))
    p_face_to_face_high_need: float = prob(
        0.7, "same, for a client with a complex need, limited a lot or without digital access "
             "(home visits)", "assumption; 004:440", plausible=(0.4, 0.9))
    phone_disengagement_factor: float = param(
        1.5, "multiplier on the disengagement chance when the first contact is by phone "
             "(harder to build a relationship)", "assumption; 004:432-434", lo=0.0,
        plausible=(1.0, 2.5))
    phone_hidden_need_factor: float = param(
        0.5, "multiplier on the chance a hidden need surfaces at a phone contact (a home visit "
             "shows other factors)", "assumption; 004:446", lo=0.0, hi=1.0,
        plausible=(0.2, 1.0))
    travel_mph: float = param(
        15.0, "link worker's door-to-door speed on a face-to-face visit (round trip over the "
              "unit's distance to the practice; read at each visit)", "assumption; 002:166", lo=0.1,
        unit="mph",
        plausible=(10.0, 30.0))
    share_hosted_vcse: float = prob(
        0.3, "share of link-worker posts hosted by a VCSE provider (the rest: by the PCN or "
             "practice, co-located in the surgery, or by the LIO); drawn when a post is created: "
             "a mid-run change applies to posts added from then on (add_link_workers)",
        "assumption; 002:149-151",
        plausible=(0.1, 0.6))
    share_hosted_lio: float = prob(
        0.1, "share of link-worker posts hosted by the local infrastructure organisation "
             "(drawn when a post is created, as share_hosted_vcse)",
        "assumption; 002:172, 002:290", plausible=(0.0, 0.3))
    extra_sessions_complex: int = count(
        2, "extra bespoke sessions for a client with a complex need (a session interval "
           "each)", "assumption; 004:418, 004:420", plausible=(0, 4))
    complex_session_hours_factor: float = param(
        1.5, "multiplier on the hours of a session with a complex-need client",
        "assumption; 004:410-420, 004:698-700", lo=1.0, plausible=(1.0, 2.0))
    isolated_mapping_hours_per_week: float = param(
        3.0, "hours a week an isolated link worker (practice-hosted, no open LIO, no locality "
             "officer) spends mapping groups that others already know",
        "assumption; 002:19, 002:216, 002:292", lo=0.0, unit="hours per week",
        plausible=(1.0, 7.5))
    mapping_hours_per_refresh: float = param(
        15.0, "hours of a link worker's own mapping that renew its directory",
        "assumption", lo=0.1, unit="hours", plausible=(7.5, 37.5))


@dataclass
class GroupKindParams:
    """Capacity, staff, funding and onboarding for one kind of VCSE organisation."""

    staff_client_capacity: int = count(
        10, "clients the group's paid staff support at once at full establishment (with "
            "staff_fte FTE); fewer staff support proportionally fewer")
    staff_fte: float = param(1.0, "paid staff at full establishment (full-time equivalents); "
                                  "what the group's funding pays for", "002:302; 004:628",
                             lo=0, hi=1000, unit="FTE", plausible=(0.5, 2.0))
    staff_cost_per_fte_year: float = param(22000.0, "yearly cost of one FTE of paid staff "
                                                    "(salary and on-costs)",
                                           "assumption; cf. 002:153, 160", lo=0, unit="GBP",
                                           plausible=(18000.0, 30000.0))
    volunteer_client_share: float = prob(
        0.55, "share of its volunteers' free weekly hours a group turns into client sessions "
              "(the rest: preparation, travel, admin)", "assumption; 003:206",
        plausible=(0.35, 0.8))
    accepts_complex: bool = param(False, "has inclusion capacity for complex needs", "002:366")
    support_days: int = count(42, "days a client is supported", lo=1)
    annual_funding: float = param(40000.0, "core funding per year (each group's is set when "
                                            "it forms and at each yearly funding renewal: a "
                                            "mid-run change acts from the next renewal)", lo=0,
                                  unit="GBP")
    fixed_cost_per_day: float = param(80.0, "running cost per day other than paid staff "
                                            "(premises, insurance, supplies)", lo=0, unit="GBP")
    cost_per_client_day: float = param(3.0, "cost per client supported per day", lo=0,
                                       unit="GBP")
    reserve_months: float = param(4.0, "starting reserves in months of core funding (when a "
                                       "group forms: a mid-run change applies to groups formed "
                                       "from then on)", lo=0, unit="months")
    funding_sd: float = param(0.15, "spread (lognormal sd) of funding across groups and years "
                                    "(drawn when a group forms and at each yearly renewal)",
                              "002:244; 004:628", lo=0)
    vm_hours_per_week: float = param(
        7.5, "funded volunteer-management staff hours a week (processing applications, "
             "inductions, keeping in touch with volunteers); onboarding capacity follows from "
             "them; read each day, so a mid-run change acts from that day on (the LIO's: its "
             "funded share, set each day)", "assumption; 002:266, 002:270, 003:224-226", lo=0,
        hi=400, unit="hours",
        plausible=(3.0, 15.0))
    hours_per_application: float = param(
        2.5, "management hours to process one application (screening, references, DBS "
             "check); read each day", "assumption; 003:226, 003:254", lo=0, hi=40, unit="hours",
        plausible=(1.0, 4.0))
    training_days: int = count(7, "days of checks and training before a volunteer is active "
                                  "(a set_parameter event sets every group of the kind's to the "
                                  "new value from that day on, as relax_training scales them)",
                               "003:232-234")
    initial_volunteers: int = count(6, "active volunteers at start")
    constituted: bool = param(True, "formally constituted (visible to commissioners); set "
                                    "when a group forms: a mid-run change applies to groups "
                                    "formed from then on",
                              "003:192, 003:266")
    # need domains a group offers (drawn once per group from the 'group_offer' stream; a group
    # that draws none offers its kind's likeliest one): the sources list destinations, not
    # shares, so the chances are assumptions. Drawn when a group forms, so a mid-run change
    # applies to groups formed from then on (not at_build: groups do form during a run)
    p_offers_social: float = prob(
        0.25, "chance a group of this kind offers social support (befriending, clubs)",
        "assumption; 004:96, 004:784")
    p_offers_emotional: float = prob(
        0.25, "chance it offers emotional support (self-help, peer support, wellbeing)",
        "assumption; 002:368, 004:412")
    p_offers_practical: float = prob(
        0.25, "chance it offers practical help or advice (debt, benefits, housing, food, "
              "prescriptions)", "assumption; 004:96, 004:386, 004:756; 003:316")
    p_offers_activity: float = prob(
        0.25, "chance it offers an activity (physical activity, arts, choirs, gardening)",
        "assumption; 004:96, 004:386, 004:618, 004:650")


def _charity() -> GroupKindParams:
    # 2 FTE at 22,000 = 120.5 a day of the former 140 a day of fixed costs
    return GroupKindParams(staff_client_capacity=12, staff_fte=2.0, volunteer_client_share=0.55,
                           accepts_complex=True, support_days=42, annual_funding=90000.0,
                           fixed_cost_per_day=19.5, cost_per_client_day=4.0,
                           vm_hours_per_week=7.5, hours_per_application=2.5, training_days=14,
                           initial_volunteers=10,
                           # advice services, welfare rights, Citizens Advice (004:386, 756)
                           p_offers_social=0.3, p_offers_emotional=0.35, p_offers_practical=0.6,
                           p_offers_activity=0.2)


def _community_group() -> GroupKindParams:
    # a sessional coordinator (0.15 FTE at 22,000 = 9.0 a day of the former 10 a day)
    return GroupKindParams(staff_client_capacity=2, staff_fte=0.15, volunteer_client_share=0.55,
                           accepts_complex=False, support_days=42, annual_funding=6000.0,
                           fixed_cost_per_day=1.0, cost_per_client_day=0.5,
                           vm_hours_per_week=2.5, hours_per_application=1.25, training_days=3,
                           initial_volunteers=5,
                           constituted=True,
                           # clubs, choirs, gardening, befriending, self-help (004:96, 784;
                           # 002:368)
                           p_offers_social=0.5, p_offers_emotional=0.25, p_offers_practical=0.1,
                           p_offers_activity=0.5)


def _mutual_aid() -> GroupKindParams:
    return GroupKindParams(staff_client_capacity=0, staff_fte=0.0, volunteer_client_share=0.7,
                           accepts_complex=False, support_days=21, annual_funding=0.0,
                           fixed_cost_per_day=0.0, cost_per_client_day=0.0, reserve_months=0.0,
                           funding_sd=0.0, vm_hours_per_week=10.0, hours_per_application=0.25,
                           training_days=0,
                           initial_volunteers=8, constituted=False,
                           # food, medicines and isolation support (003:316)
                           p_offers_social=0.6, p_offers_emotional=0.1, p_offers_practical=0.8,
                           p_offers_activity=0.0)


def _lio() -> GroupKindParams:
    return GroupKindParams(staff_client_capacity=0, staff_fte=0.0, volunteer_client_share=0.0,
                           accepts_complex=False, support_days=1, annual_funding=150000.0,
                           fixed_cost_per_day=330.0, funding_sd=0.05, cost_per_client_day=0.0,
                           vm_hours_per_week=37.5, hours_per_application=2.0, training_days=7,
                           initial_volunteers=0, p_offers_social=0.0, p_offers_emotional=0.0,
                           p_offers_practical=0.0, p_offers_activity=0.0)


@dataclass
class GroupParams:
    formal_charity: GroupKindParams = field(default_factory=_charity)
    community_group: GroupKindParams = field(default_factory=_community_group)
    mutual_aid: GroupKindParams = field(default_factory=_mutual_aid)
    lio: GroupKindParams = field(default_factory=_lio)
    p_accept_complex_without_inclusion: float = prob(
        0.1, "chance a group without inclusion capacity takes a complex client anyway "
             "(and is disrupted)", "002:364-368 (one example; rate: assumption)",
        plausible=(0.05, 0.3))
    disruption_capacity_loss: float = prob(
        0.2, "share of places a group loses at the height of a disruption (the loss shrinks "
             "as the group adapts: groups.disruption_adaptation_days)", "002:368",
        plausible=(0.05, 0.4))
    disruption_adaptation_days: float = param(
        21.0, "mean days for a group to adapt to a disruptive placement (the disruption "
              "decays exponentially with this mean life, whether or not the client stays)",
        "assumption; 002:366-368", lo=0.1, hi=3650, unit="days", plausible=(7.0, 60.0))
    p_member_leaves_on_disruption: float = prob(
        0.1, "chance each other client of a group leaves when a disruptive placement starts "
             "(members stop attending)", "002:368 ('many original members stopped "
                                         "attending'; share: assumption)",
        plausible=(0.0, 0.3))
    p_closure_per_year: float = prob(0.04, "yearly chance an open group stops for reasons "
                                           "other than money (provision churn)", "002:244",
                                           plausible=(0.02, 0.08))
    p_unaided_start_per_year: float = prob(
        0.5, "yearly chance that a charity or community group a place is short of (against its "
             "provision as built) is replaced by a new one started without infrastructure "
             "support (slower than an LIO's capacity building, about 0.4 years; fast enough "
             "that a place without an LIO settles within the burn-in: lost groups are replaced "
             "in two years on average)",
        "assumption; 002:244 (services start and stop), 004:628 (schemes fold without being "
        "replaced)", plausible=(0.2, 1.0))
    reserve_floor_months: float = param(
        1.0, "below this many months of core funding in reserve a group takes new clients "
             "only up to what its income pays for (it cuts back before it closes)",
        "assumption; 002:244, 004:628", lo=0, hi=120, unit="months", plausible=(0.5, 3.0))
    mag_formation_per_unit_per_day: float = prob(
        0.2, "highest daily chance a mutual aid group forms in a unit (times social capital "
             "and the pull of fresh unmet need among neighbours)", "assumption; 003:67, 003:190",
        plausible=(0.1, 0.4))
    mag_fresh_need_days: int = count(
        7, "need that began within this many days and is unmet counts as fresh need "
           "neighbours see", "assumption; 003:67", lo=1, plausible=(3, 14))
    mag_need_level_days: float = param(
        28.0, "mean window of the running usual level of fresh unmet need neighbours judge a "
              "rise against (an exponentially weighted mean: each day it moves 1/this of the "
              "way to the day's share; it starts once need seeded on day 0 has left the fresh "
              "window, as the plain mean of the days seen until there are this many); a shock "
              "pulls groups together until the level catches up",
        "assumption; 003:53 (sudden shocks), 003:99 (a flood's spontaneous neighbourhood "
        "response)", lo=1, hi=3650, unit="days", plausible=(14.0, 56.0))
    mag_excess_need_half: float = param(
        4.0, "extra residents in fresh unmet need per street (groups.mag_residents_per_group "
             "residents, or the unit if smaller) above the usual level at which the pull "
             "reaches half", "assumption; 003:53, 003:67, 000:86", lo=0.01, hi=1000,
        unit="residents", plausible=(2.0, 8.0))
    mag_unmet_steepness: float = param(
        4.0, "steepness of the pull in the extra fresh need (higher: chance rises above the "
             "usual level pull less, a shock more)", "assumption", lo=0.5, hi=20.0,
        plausible=(2.0, 8.0))
    mag_residents_per_group: int = count(
        1000, "residents per street-level mutual aid group: a unit holds at most its size over "
              "this many groups at once", "assumption; 003:67, 003:190 (hyper-local)", lo=1,
        plausible=(500, 2000))
    mag_p_fold_per_day: float = prob(
        0.02, "daily chance a mutual aid group folds when its neighbours' need is not pressing "
              "(times one minus the pull): about 50 days on average once need has fallen",
        "assumption: no source gives how long mutual aid groups last. 003:188-196 and "
        "003:272 describe groups still active months after they formed (interviews after "
        "the March-July 2020 build-up, 003:47) and their sustainability as the task ahead; "
        "000:118 smaller providers' instability (tests/validation/README.md: persistence)",
        plausible=(0.01, 0.05))
    mag_fold_idle_days: int = count(
        42, "a mutual aid group folds after this many days without a client (need fell)",
        "assumption: no source gives a timescale (as mag_p_fold_per_day; 003:188-196, 272)",
        lo=1, plausible=(21, 90))
    staff_review_days: int = count(30, "days between a group's reviews of the staff it can "
                                       "afford", "assumption", lo=1, plausible=(14, 90))
    notice_days: int = count(
        30, "days from a redundancy notice to the post ending (paid meanwhile)",
        "assumption (UK notice: one week per year of service up to 12 weeks)",
        plausible=(7, 90))
    redundancy_weeks_pay: float = param(
        4.0, "weeks of pay a group pays per FTE made redundant", "assumption (UK statutory "
             "redundancy pay)", lo=0, hi=104, unit="weeks", plausible=(0.0, 12.0))
    staff_change_min_share: float = prob(
        0.05, "smallest change of paid staff a review acts on, as a share of the group's "
              "establishment", "assumption", plausible=(0.02, 0.2))
    reserve_cap_months: float = param(
        6.0, "most months of core funding a group holds in reserve: income beyond it is not "
             "drawn (restricted grants are spent on other work or returned), so reserves do "
             "not pile up in normal times", "assumption; 004:628", lo=0, hi=1200,
        unit="months", plausible=(3.0, 12.0))
    partnership_round_days: int = count(
        14, "days between rounds of a delivery partnership's decision making (options papers, "
            "steering groups)", "assumption; 004:284-288", lo=1, plausible=(7, 30))
    p_partner_agrees_per_round: float = prob(
        0.5, "chance a delivery partner agrees a change at a round ('three or four different "
             "organisations speeds')", "assumption; 004:284, 004:288, 004:532-534",
        plausible=(0.3, 0.8))
    min_viable_staff_share: float = prob(
        0.25, "share of its paid establishment below which a group that employs staff folds "
              "when its income cannot pay for it at groups.fold_after_reviews reviews running "
              "(schemes 'financially insecure or have to fold')", "assumption; 004:628, 000:117",
        plausible=(0.1, 0.5))
    fold_after_reviews: int = count(
        6, "staff reviews running without a viable paid core before a group folds (time to "
           "shed staff and clients and find other income first)", "assumption; 004:628",
        lo=1, plausible=(3, 12))
    specialist_partner_outreach_per_day: int = count(
        2, "residents of its target group a specialist delivery partner contacts per day "
           "for each commissioned group with room", "assumption; 004:524", plausible=(1, 5))
    hiring_days: int = count(60, "days from deciding to fill a post to the new staff member "
                                 "starting (recruitment)", "assumption", plausible=(30, 120))
    strain_memory_days: float = param(
        30.0, "mean days over which a group's strain builds up and fades (exponential "
              "smoothing of the share of its demand - clients plus referrals turned away for "
              "want of room, each pressing for a support period - above its places)",
        "assumption; 002:302", lo=1, hi=3650, unit="days", plausible=(10.0, 90.0))
    staff_exit_per_strain_year: float = param(
        0.5, "yearly share of paid staff who leave at full strain (strain 1: no demand met "
             "beyond its places; 0.5: demand twice its places), pro rata",
        "assumption; 002:302, 004:686-692", lo=0, hi=100, unit="per year",
        plausible=(0.15, 1.5))
    volunteer_burnout_per_strain_year: float = param(
        0.3, "yearly chance a strained group's trained volunteer burns out and lapses, at full "
             "strain, pro rata", "assumption; 002:302, 003:277", lo=0, hi=100,
        unit="per year", plausible=(0.1, 1.0))


@dataclass
class VolunteerParams:
    latent_share: float = prob(0.2, "share of adults willing to volunteer if asked (drawn "
                                    "once per resident when the model is built)",
                               "003:29, 003:222", plausible=(0.1, 0.3), at_build=True)
    p_apply_per_day: float = prob(0.0002, "daily chance a latent volunteer applies (normal "
                                          "times)")
    campaign_multiplier: float = param(1.0, "multiplier on applications (set by a surge "
                                            "event)", "003:228", lo=0)
    share_apply_to_lio: float = prob(0.5, "share of applications routed to the volunteer "
                                          "centre (LIO) rather than a local group", "003:160")
    share_apply_to_hospital: float = prob(0.1, "share of applications made to the hospital "
                                               "trust's volunteer service (where there is one)",
                                          "assumption; 003:38, 003:146", plausible=(0.05, 0.2))
    hospital_vm_hours_per_week_per_10k: float = param(
        3.0, "volunteer-management hours a week of the hospital trust's volunteer service, per "
             "10,000 residents (set when each trust is built)", "assumption; 003:236", lo=0,
        unit="hours/week/10k", plausible=(1.0, 10.0), at_build=True)
    hospital_hours_per_application: float = param(
        3.0, "the trust's management hours per application (its own checks and induction "
             "paperwork; set when each trust is built)", "assumption; 003:236, 003:238", lo=0,
        hi=40, unit="hours", plausible=(1.5, 6.0), at_build=True)
    goodwill_decay_waiting: float = param(0.02, "goodwill lost per day waiting to be "
                                                "processed or trained while kept in touch "
                                                "(value: assumption)", "003:39, 003:164", lo=0,
                                          plausible=(0.01, 0.04))
    goodwill_decay_idle: float = param(0.012, "goodwill lost per idle day", "003:39, 003:277",
                                       lo=0)
    goodwill_gain_task: float = param(0.05, "goodwill regained per task", lo=0)
    goodwill_sd: float = param(0.25, "spread of starting goodwill (around 1; drawn once per "
                                     "resident when the model is built)", lo=0, at_build=True)
    idle_after_days: int = count(14, "days without a task before an active volunteer counts "
                                     "as idle", "003:277", lo=1)
    p_attrition_per_day: float = prob(0.0011, "daily baseline chance an active volunteer stops "
                                                "(about a third a year)")
    tasks_per_client_per_week: float = param(1.0, "volunteer tasks per supported client per "
                                                  "week", "003:206", lo=0)
    hours_per_week: float = param(2.0, "hours a week offered by most volunteers ('a couple of "
                                       "hours a week')", "003:206", lo=0, hi=80, unit="hours")
    share_one_day_a_week: float = prob(0.15, "share of volunteers who offer one day a week "
                                             "instead (drawn once per volunteer when the "
                                             "model is built)", "003:206 (share: assumption)",
                                       at_build=True)
    hours_one_day_a_week: float = param(7.5, "hours a week of a one-day-a-week volunteer (set "
                                             "per volunteer when the model is built)",
                                        "003:206", lo=0, hi=80, unit="hours", at_build=True)
    group_task_hours: float = param(1.0, "volunteer hours per group task (a session with a "
                                         "supported client)", "assumption", lo=0, hi=24,
                                    unit="hours")
    informal_task_hours: float = param(1.0, "hours a tie who volunteers spends helping a "
                                            "resident who asks", "assumption", lo=0, hi=24,
                                       unit="hours")
    buddy_hours_per_week: float = param(1.0, "hours a week a buddy gives a vulnerable household "
                                             "(calls, shopping, prescriptions)",
                                        "assumption; 000:86, 000:461", lo=0, hi=80,
                                        unit="hours")
    response_hours_per_week: float = param(1.0, "hours a week a response-cell volunteer gives "
                                                "one resident (a weekly delivery of food or "
                                                "medicines, a call)",
                                           "assumption; 003:316", lo=0, hi=80, unit="hours",
                                           plausible=(0.5, 2.0))
    hospital_task_hours: float = param(2.0, "hours of an in-hospital volunteer shift",
                                       "assumption", lo=0, hi=24, unit="hours")
    hospital_shifts_per_week: float = param(
        1.0, "in-hospital shifts a trust offers each trained volunteer a week (one shift of "
             "hospital_task_hours fits the 'couple of hours a week' most volunteers give)",
        "assumption; 003:206", lo=0, hi=7, unit="shifts", plausible=(0.5, 2.0))
    passporting: bool = param(False, "checks and training recognised across organisations",
                              "003:246-254")
    lio_placement_per_day: float = param(4.0, "trained volunteers the LIO places with groups "
                                              "per day", "003:224", lo=0)
    induction_hours_per_volunteer: float = param(
        1.0, "management hours per volunteer to run the induction and training at the end of "
             "onboarding (sessions shared by a few volunteers)", "assumption; 003:232-240",
        lo=0, hi=40, unit="hours", plausible=(0.5, 3.0))
    contact_hours_per_waiting_per_week: float = param(
        0.1, "management hours a week to keep in touch with one volunteer waiting to be "
              "processed or trained (a call or a message)", "assumption; 003:162",
        lo=0, hi=10, unit="hours", plausible=(0.05, 0.5))
    contact_hours_per_active_per_week: float = param(
        0.1, "management hours a week to keep in touch with one trained volunteer",
        "assumption; 003:162", lo=0, hi=10, unit="hours", plausible=(0.05, 0.3))
    uncontacted_decay_factor: float = param(
        2.0, "goodwill decays this many times faster for a volunteer the organisation has no "
             "hours to keep in touch with ('leaving volunteers without regular communication "
             "is likely to alienate people')", "assumption; 003:162-164", lo=1, hi=20,
        plausible=(1.5, 5.0))
    passport_recognition_share: float = prob(
        0.8, "share of organisations that accept a volunteer passport once one exists (no "
             "system had completely solved it)", "assumption; 003:252-254",
        plausible=(0.5, 1.0))
    passport_check_hours: float = param(
        0.25, "management hours to verify a passport instead of full checks",
        "assumption; 003:250", lo=0, hi=40, unit="hours", plausible=(0.1, 0.5))
    passport_induction_hours: float = param(
        0.25, "management hours of the short local induction a passported volunteer needs",
        "assumption; 003:248-254", lo=0, hi=40, unit="hours", plausible=(0.1, 1.0))
    passport_induction_days: int = count(
        1, "days of local induction for a passported volunteer (instead of the "
           "organisation's training days)", "assumption; 003:248-254", plausible=(0, 3))
    vm_scale_up_lag_days: int = count(
        7, "days for an organisation to redeploy or hire management staff once an emergency "
           "asks for more onboarding capacity", "assumption; 003:61, 003:226", lo=0,
        plausible=(2, 21))
    vm_hour_cost: float = param(
        15.0, "cost of one extra management hour (redeployed or hired staff), paid from the "
              "organisation's balance", "assumption", lo=0, unit="GBP/hour",
        plausible=(12.0, 25.0))
    rejoin_latent_after_lapse: bool = param(False, "a lapsed volunteer is at once willing to "
                                                   "apply again (else after "
                                                   "mean_years_lapsed)")
    mean_years_lapsed: float = param(
        1.0, "mean years before a lapsed volunteer is willing again (people's lives change; "
             "keeps the willing pool from draining)", "assumption; 003:29, 003:206", lo=0.01,
        hi=1000, unit="years")


@dataclass
class IntermediaryParams:
    lo_hours_per_week: float = param(
        15.0, "locality officer's hours a week for this work: signposting residents who come to "
              "it first, partnership work (directory and ties) with the rest",
        "assumption; 000:80-81, 000:92", lo=0, hi=168, unit="hours", plausible=(7.5, 30.0))
    lo_hours_per_signpost: float = param(
        0.5, "officer's hours to help one resident who comes to it", "assumption", lo=0.01,
        hi=24, unit="hours", plausible=(0.25, 1.0))
    lo_hours_per_tie_attempt: float = param(
        32.0, "officer's partnership hours per attempt to bring a group onto the directory or "
              "tie the practice to a group ('that stuff takes time')", "assumption; 000:92",
        lo=0.1, hi=10000, unit="hours", plausible=(16.0, 64.0))
    p_lo_tie_success: float = prob(0.5, "chance such an attempt succeeds", "000:92",
                                   plausible=(0.3, 0.7))
    lo_tie_practice_share: float = prob(
        0.25, "share of the weekly upkeep of a GP-VCSE tie a locality officer keeps up (one it "
              "brokered, or one of its unit's main practice it took over) that the practice's "
              "own partnership hours give (the officer's hours give the rest; a tie the "
              "officer's hours no longer cover falls wholly on the practice and ends if its "
              "hours do not cover it either)",
        "assumption; 000:80-81 (links built by the link worker with a dedicated locality "
        "officer), 000:94 (PCNs 'can't do ... partnership work all day long'), 000:120 (the "
        "community worker as the bridge between sectors)", plausible=(0.1, 0.5))
    lo_ties_at_start: bool = param(
        True, "a locality officer in post at the start has done its tie work: each group of its "
              "unit (not mutual aid) that no practice of the unit is tied to starts tied to the "
              "unit's main practice while that practice has partnership hours for it (else "
              "these ties build up over about seven years, beyond the burn-in, and groups' "
              "strain creeps up; measured: experiments/stationarity.py)",
        "assumption; 000:80-81, 000:92", at_build=True)
    lo_signposts_per_day: int = count(4, "residents a locality officer can help per day")
    pc_signposts_per_day: int = count(3, "residents a parish council can help per day",
                                      "000:121", plausible=(2, 5))
    pc_key_individuals: int = count(2, "key people the parish-council response rests on",
                                    "000:86, 000:121", lo=0)
    p_pc_key_individual_lost_per_year: float = prob(0.1, "yearly chance one key person stops",
                                                    "000:121-122")
    p_pc_key_individual_found_per_year: float = prob(
        0.5, "yearly chance the council finds a new key person while it has fewer than "
             "pc_key_individuals (villages renew their volunteers, slowly)",
        "assumption; 000:121-122")
    buddies_per_household: int = count(2, "buddy volunteers per vulnerable household",
                                       "000:86")
    p_unplaced_sent_to_gp: float = prob(
        1.0, "chance an intermediary with no tie to health (a parish council, unless "
             "pc_ties_to_health) that could not place a resident with a local group (none had "
             "room, or the group declined) tells them to take the need to their GP; from "
             "the next day the resident goes, each day with the practice's access (which "
             "halves every gp_distance_halving_miles), until they go, the need ends or other "
             "help is under way, and the practice treats it as a non-medical consultation. "
             "Signposting is the councillor's role (000:121) and the village's only route to "
             "health services and social prescribing is the GP (000:87); 0 is the older "
             "assumption, a council that sends nobody on",
        "assumption; 000:87, 000:121", plausible=(0.5, 1.0))
    pc_ties_to_health: bool = param(False, "a nominated councillor links the parish council to "
                                           "the GP practice and link worker (a proposal, "
                                           "000:121; the village had no such link, 000:87)",
                                    "000:87, 000:116, 000:121")
    pc_leaflet_share: float = prob(
        0.5, "share of the village's willing residents who come forward when the council "
             "leaflets every household in an emergency", "assumption; 000:86")
    pc_households_leafleted_per_day: float = param(
        80.0, "households one key person leaflets a day once an emergency starts: on their own "
              "initiative, with no meeting to wait for (two women leafleted every household "
              "just before lockdown, 000:86)", "assumption; 000:86", lo=0, hi=10000,
        unit="households/day", plausible=(40.0, 150.0))
    pc_reply_mean_days: float = param(
        2.0, "mean days from a household's leaflet to its reply: willing residents offer help, "
             "vulnerable residents self-identify (geometric, at least a day)",
        "assumption; 000:86", lo=1, hi=365, unit="days", plausible=(1.0, 5.0))
    pc_matches_per_day: float = param(
        4.0, "self-identified vulnerable residents one key person can match with buddies a day "
             "(a call to the household and to its volunteers); the response rests on a few "
             "people", "assumption; 000:86, 000:121", lo=0, hi=1000, unit="residents/day",
        plausible=(2.0, 10.0))
    hub_signposts_per_day: int = count(0, "place-based hub front-door capacity (0: no hub)",
                                       "003:168-170")


@dataclass
class WellbeingParams:
    # targets and isolation penalty: worked out when the model is built and afresh when an
    # event changes one of them (sim.processes.wellbeing.refresh_targets)
    population_life_satisfaction: float = param(7.5, "ONS4 life satisfaction, no need", lo=0,
                                                hi=10)
    population_worthwhile: float = param(7.8, "ONS4 worthwhile, no need", lo=0, hi=10)
    population_happiness: float = param(7.4, "ONS4 happiness, no need", lo=0, hi=10)
    population_anxiety: float = param(3.1, "ONS4 anxiety, no need", lo=0, hi=10)
    need_life_satisfaction: float = param(4.8, "… in unmet need (client baseline)",
                                          "004:511", lo=0, hi=10)
    need_worthwhile: float = param(4.7, "… in unmet need", "004:512", lo=0, hi=10)
    need_happiness: float = param(4.6, "… in unmet need", "004:515", lo=0, hi=10)
    need_anxiety: float = param(7.0, "… in unmet need", "004:516", lo=0, hi=10)
    supported_life_satisfaction: float = param(6.3, "… while supported", "004:511", lo=0,
                                               hi=10)
    supported_worthwhile: float = param(6.4, "… while supported", "004:512", lo=0, hi=10)
    supported_happiness: float = param(6.3, "… while supported", "004:515", lo=0, hi=10)
    supported_anxiety: float = param(5.6, "… while supported", "004:516", lo=0, hi=10)
    adjust_per_day: float = prob(0.04, "share of the gap to the target closed per day")
    isolation_penalty: float = param(0.5, "life-satisfaction points lost when a resident has "
                                          "no ties", "004:195", lo=0, hi=10)


@dataclass
class EvaluationParams:
    p_baseline_recorded: float = prob(0.9, "chance a client's ONS4 baseline is recorded",
                                      "004:143-147")
    p_end_recorded: float = prob(0.4, "chance the end-of-support ONS4 is recorded", "004:584")
    p_followup_response: float = prob(0.106, "chance the 3-6 month follow-up is recorded",
                                      "004:506")
    followup_min_days: int = count(90, "earliest follow-up after support ends", "004:147")
    followup_max_days: int = count(180, "latest follow-up after support ends", "004:147")


@dataclass
class EmergencyActorParams:
    """The structure of one emergency actor: the stages it passes before its first referral,
    and the coordination hours that decide how many residents it can take on (003:67-70,
    003:119-132, 003:154-190)."""

    decision_layers: int = count(2, "bodies that must each decide at their next meeting",
                                 "assumption; 003:70, 003:119-130", plausible=(1, 4))
    meeting_interval_days: int = count(7, "days between meetings of each decision body",
                                       "assumption; 000:85 (weekly coordination meetings)",
                                       lo=1, plausible=(3, 14))
    sign_off_days: int = count(0, "days for formal sign-off after the last decision",
                               "assumption; 003:119-124", plausible=(0, 14))
    contract_days: int = count(0, "days to agree contracts or data sharing with partners",
                               "assumption; 003:184, 003:192", plausible=(0, 28))
    checks_days: int = count(0, "days of central registration and checks before volunteers "
                                "can be used", "assumption; 003:154-164, 003:232-234",
                             plausible=(0, 21))
    setup_days: int = count(3, "days to set up the referral and matching process",
                            "assumption; 003:61", plausible=(1, 10))
    plan_removes_layers: int = count(0, "decision bodies a pre-agreed plan makes unnecessary",
                                     "assumption; 003:95-109")
    plan_removes_contracts: bool = param(False, "a pre-agreed plan has the contracts in place",
                                         "assumption; 003:95-109")
    coordinator_hours_per_week_per_1000: float = param(
        1.0, "coordination hours a week per 1,000 residents once mobilised (assessing, "
             "matching, following up)", "assumption; 003:156, 003:168-170", lo=0,
        unit="hours/week/1000", plausible=(0.5, 3.0))
    hours_per_case: float = param(1.0, "coordination hours to take on one resident",
                                  "assumption", lo=0.05, unit="hours", plausible=(0.5, 2.0))
    volunteers_from: str = param("groups", "whose volunteers the actor can reach: its own "
                                           "groups' (vcs), every group's (groups), or any "
                                           "volunteer on duty (any)", "003:154-190",
                                 choices=("vcs", "groups", "any"))


def _vcs_actor() -> EmergencyActorParams:
    """Groups already running adapt their offer: one management meeting (the yacht, 003:70)."""
    return EmergencyActorParams(decision_layers=1, setup_days=2,
                                coordinator_hours_per_week_per_1000=1.4, hours_per_case=1.0,
                                volunteers_from="vcs")


def _local_authority_actor() -> EmergencyActorParams:
    """Council response teams (003:156, 184): gold, silver and bronze groups, sign-off and
    commissioning the VCS (the ferry, 003:70)."""
    return EmergencyActorParams(decision_layers=3, sign_off_days=5, contract_days=14,
                                setup_days=3, plan_removes_layers=1, plan_removes_contracts=True,
                                coordinator_hours_per_week_per_1000=3.5, hours_per_case=1.5,
                                volunteers_from="groups")


def _lrf_cell_actor() -> EmergencyActorParams:
    """The LRF volunteering cell coordinating partners (003:48, 003:180); Cornwall's plan had
    the first referral 14 days after launch (003:103)."""
    return EmergencyActorParams(decision_layers=3, sign_off_days=3, contract_days=14,
                                setup_days=5, plan_removes_layers=2, plan_removes_contracts=True,
                                coordinator_hours_per_week_per_1000=4.2, hours_per_case=1.0,
                                volunteers_from="any")


def _national_scheme_actor() -> EmergencyActorParams:
    """A national volunteer scheme: central decisions, an app, central registration and checks
    (NHS Volunteer Responders; the oil tanker, 003:48, 003:68, 003:70, 003:150)."""
    return EmergencyActorParams(decision_layers=4, sign_off_days=7, contract_days=14,
                                checks_days=14, setup_days=7,
                                coordinator_hours_per_week_per_1000=1.4, hours_per_case=0.5,
                                volunteers_from="any")


@dataclass
class EmergencyParams:
    active: bool = param(False, "a civil emergency is under way (events switch it)")
    distancing: bool = param(False, "social distancing: face-to-face groups may close",
                             "003:298-300")
    p_group_closed_by_distancing: float = prob(0.3, "share of community groups that cannot "
                                                    "operate under distancing", "003:300")
    shielded_share: float = prob(0.04, "share of residents (65+ or limited a lot first) told "
                                       "to shield", "003:148, 003:220")
    prepared: bool = param(False, "a pre-agreed emergency volunteering plan exists (Leeds, "
                                  "Cornwall): it removes decision stages of the actors that "
                                  "signed it", "003:32, 003:95-109")
    processing_multiplier: float = param(
        2.0, "volunteer-management hours requested once the coordinated response (LRF cell) "
             "is mobilised, as a multiple of each organisation's funded hours (the extra hours "
             "come after volunteers.vm_scale_up_lag_days and are paid for)",
        "assumption; 003:224-226 (capacity rose far less than supply)", lo=1.0, hi=100.0,
        plausible=(1.5, 4.0))
    response_support_days: int = count(21, "days of volunteer support a resident taken on by an "
                                           "emergency actor receives", "assumption; 003:316",
                                       lo=1, plausible=(14, 42))
    vcs: EmergencyActorParams = field(default_factory=_vcs_actor)
    local_authority: EmergencyActorParams = field(default_factory=_local_authority_actor)
    lrf_cell: EmergencyActorParams = field(default_factory=_lrf_cell_actor)
    national_scheme: EmergencyActorParams = field(default_factory=_national_scheme_actor)
    p_tie_per_joint_case: float = prob(
        0.01, "chance a case a GP practice and a VCSE group handle jointly (a health referral "
              "a group accepts, or an emergency case a group's volunteer delivers) ties them, "
              "if not yet tied", "assumption; 003:61, 003:308-314; 000:132",
        plausible=(0.003, 0.03))
    joint_tie_lapse_days: int = count(
        365, "a GP practice-VCSE tie (of any origin) lapses after this many days without use: "
             "a joint case, or the practice signposting a patient to the group",
        "assumption; 003:308-314", lo=1, plausible=(180, 730))
    tie_upkeep_factor: float = param(
        1.0, "the hours a week a GP practice-VCSE tie takes to keep up, as a share of "
             "gp.tie_upkeep_hours_per_week (set by events: an emergency's tie_upkeep_factor "
             "while it is under way, 1 otherwise)", lo=0.01, hi=1.0, unit="share")
    p_online_if_distanced: float = prob(
        0.3, "share of the groups that cannot meet face to face that move online instead of "
             "suspending", "assumption; 003:300-304 (2 of 4 new roles virtual)",
        plausible=(0.1, 0.5))
    online_capacity_share: float = prob(
        0.5, "share of its places a group keeps when it moves online (digitally excluded "
             "residents cannot use it)", "assumption; 003:300-304", plausible=(0.3, 0.8))
    p_redeploy_stood_down: float = prob(
        0.5, "share of stood-down hospital volunteers willing to be redeployed to community "
             "roles by the LRF cell or the national scheme", "assumption; 003:38, 003:146",
        plausible=(0.2, 0.8))


@dataclass
class LIOParams:
    """The local infrastructure organisation's funded staff time and what each function costs
    (002:202-236). Hours of a function at full core funding; a cut (or closure) scales them all
    down with the money (002:234). Its volunteer-management hours at full funding are
    ``groups.lio.vm_hours_per_week``."""

    hours_per_placement: float = param(
        0.4, "staff hours to place one trained volunteer with a group that needs volunteers; "
             "with volunteers.lio_placement_per_day it sets the placement hours",
        "assumption; 002:209", lo=0.01, hi=40, unit="hours", plausible=(0.2, 1.0))
    capacity_building_hours_per_week: float = param(
        7.0, "staff hours a week for community capacity building and organisational "
             "development (new groups where provision was lost; support to struggling groups)",
        "assumption; 002:209, 002:248", lo=0, hi=168, unit="hours", plausible=(3.5, 14.0))
    hours_per_new_group: float = param(
        150.0, "capacity-building hours to help one new group start", "assumption; 002:209",
        lo=1, hi=10000, unit="hours", plausible=(75.0, 300.0))
    hours_per_group_support: float = param(
        10.0, "organisational-development hours for one episode of support to a struggling "
              "group", "assumption; 002:209, 002:246", lo=0.1, hi=1000, unit="hours",
        plausible=(5.0, 20.0))
    support_days: int = count(
        180, "days one episode of support lowers a group's chance of stopping",
        "assumption; 002:209", lo=1, plausible=(90, 365))
    support_closure_factor: float = prob(
        0.5, "multiplier on a supported group's yearly chance of stopping for reasons other "
             "than money (groups.p_closure_per_year)", "assumption; 002:209, 002:234",
        plausible=(0.25, 0.9))
    struggling_reserve_months: float = param(
        3.0, "a group with less than this many months of its income in reserve counts as "
             "struggling (first in line for support)", "assumption; 002:244",
        lo=0, hi=120, unit="months", plausible=(1.5, 6.0))
    partnership_hours_per_week: float = param(
        3.5, "staff hours a week for brokering health-VCSE partnerships (introducing link "
             "workers to groups)", "assumption; 002:209, 002:234, 000:92", lo=0, hi=168,
        unit="hours", plausible=(1.5, 7.0))
    hours_per_tie: float = param(
        20.0, "brokering hours to build one link worker-group tie ('that stuff takes time')",
        "assumption; 000:92", lo=0.1, hi=1000, unit="hours", plausible=(10.0, 40.0))
    directory_hours_per_week: float = param(
        3.0, "staff hours a week for directory upkeep (verifying listings, adding new ones)",
        "assumption; 002:205, 002:244", lo=0, hi=168, unit="hours", plausible=(1.5, 6.0))
    hours_per_listing_check: float = param(
        1.0, "hours to verify one directory listing (contact the group, update the entry)",
        "assumption; 002:205, 002:244", lo=0.01, hi=40, unit="hours", plausible=(0.5, 2.0))
    lw_mapping_after_days: int = count(
        120, "a link worker checks a listing itself once nobody has verified it for this many "
             "days (its own mapping: infrastructure work out of client hours, 002:234)",
        "assumption; 002:234, 002:244", lo=1, plausible=(60, 240))
    lw_mapping_hours_per_week: float = param(
        3.0, "most hours a week a link worker gives to its own mapping of groups",
        "assumption; 002:234", lo=0, hi=168, unit="hours", plausible=(1.5, 6.0))
    lw_hours_per_listing_check: float = param(
        2.0, "link-worker hours to verify one listing (without the infrastructure "
             "organisation's expertise and contacts)", "assumption; 002:234", lo=0.01, hi=40,
        unit="hours", plausible=(1.0, 4.0))


@dataclass
class ScenarioInfo:
    name: str = param("baseline", "scenario name (recorded in outputs)")
    description: str = param("", "what the scenario represents and its sources")


@dataclass
class Config:
    """The whole configuration of one run."""

    run: RunParams = section(RunParams)
    scenario: ScenarioInfo = section(ScenarioInfo)
    topology: TopologyParams = section(TopologyParams)
    population: PopulationParams = section(PopulationParams)
    need: NeedParams = section(NeedParams)
    help_seeking: HelpSeekingParams = section(HelpSeekingParams)
    gp: GPParams = section(GPParams)
    link_worker: LinkWorkerParams = section(LinkWorkerParams)
    groups: GroupParams = section(GroupParams)
    volunteers: VolunteerParams = section(VolunteerParams)
    intermediaries: IntermediaryParams = section(IntermediaryParams)
    wellbeing: WellbeingParams = section(WellbeingParams)
    evaluation: EvaluationParams = section(EvaluationParams)
    emergency: EmergencyParams = section(EmergencyParams)
    lio: LIOParams = section(LIOParams)
    events: Any = field(default_factory=dict,
                        metadata={"meaning": "timed events (injects): a mapping name -> {day, "
                                             "kind, params}, so scenarios compose by name "
                                             "(from Python a list also works)", "source": "",
                                  "lo": None, "hi": None, "choices": None, "unit": ""})

    @classmethod
    def from_dict(cls, data: dict, *, check: bool = True) -> Config:
        """A Config from a nested dict (a manifest's ``config``, a YAML file's content):
        missing keys keep their defaults, values are type-checked (:func:`merge_values`) and,
        with ``check``, validated with the events (:func:`sim.scenarios.check`)."""
        cfg = cls()
        merge_values(cfg, data)
        if check:
            from sim.scenarios import check as check_all

            check_all(cfg)
        return cfg

    @classmethod
    def from_manifest(cls, path: str | Any) -> Config:
        """The configuration a run started with, from its ``manifest.json`` (or run folder)."""
        from sim.scenarios import from_manifest

        return from_manifest(path)


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


# Upper bounds for numbers that declare none, by unit: far above any plausible value, and low
# enough that the daily arithmetic cannot overflow (need.emergency_multiplier=1e308 did). Counts
# stay within 32-bit indices; sizes have tighter limits with a memory estimate (sim.limits).
DEFAULT_HI = {"count": 10**9, "days": 36500, "hours": 168, "miles": 1000, "months": 1200,
              "GBP": 1e12, "per year": 3650, "": 1e6}
DEFAULT_HI_OTHER = 1e6  # any other unit
NAME_PATTERN = re.compile(r"(?![.-])[\w.+-]{1,100}")  # names become parts of folder names


def _show(value: Any) -> str:
    """A value for a message: plain Python, never ``np.int64(3)``."""
    if hasattr(value, "item") and not isinstance(value, str):
        try:
            value = value.item()
        except (TypeError, ValueError):
            pass
    return repr(value)


def check_number(key: str, value: Any, lo: float | None = None, hi: float | None = None,
                 unit: str = "") -> None:
    """A number is finite and within ``lo``..``hi`` (``hi`` defaults by unit, DEFAULT_HI)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(key, f"must be a finite number (got {_show(value)})")
    declared = hi is not None
    if not declared:
        hi = DEFAULT_HI.get(unit, DEFAULT_HI_OTHER)
        if type(value) is int or (type(value) is not float
                                  and isinstance(value, numbers.Integral)):
            hi = int(hi)
    if lo is not None and declared and not lo <= value <= hi:
        raise ConfigError(key, f"must be between {lo} and {hi} (got {_show(value)})")
    if lo is not None and value < lo:
        raise ConfigError(key, f"must be >= {lo} (got {_show(value)})")
    if value > hi:
        raise ConfigError(key, f"must be <= {hi} (got {_show(value)})")
    if lo is None and value < -hi:
        raise ConfigError(key, f"must be >= {-hi} (got {_show(value)})")


TYPE_WORDS = {"bool": "true or false", "int": "a whole number", "float": "a number",
              "str": "a string"}


def type_error(key: str, value: Any, ftype: str) -> ConfigError:
    """The one wording of a wrong type, for every path (Python, command line, files)."""
    return ConfigError(key, f"must be {TYPE_WORDS[ftype]} (got {_show(value)})")


def field_type(key: str) -> str | None:
    """The declared type of the parameter at a dotted key (``"int"``), or None."""
    node: Any = Config()
    *path, leaf = key.split(".")
    for part in path:
        node = getattr(node, part, None)
        if not dataclasses.is_dataclass(node):
            return None
    return _fields(type(node)).get(leaf)


# the declared types each plain Python type satisfies (what _check_type's isinstance tests give
# for exactly these types: a bool is not a number here, a whole number is also a float's)
_PLAIN_TYPE_OK = {bool: frozenset({"bool"}), int: frozenset({"int", "float"}),
                  float: frozenset({"float"}), str: frozenset({"str"})}


def _check_type(key: str, value: Any, ftype: Any) -> None:
    name = ftype if isinstance(ftype, str) else getattr(ftype, "__name__", "")
    plain = _PLAIN_TYPE_OK.get(type(value))
    if plain is not None:  # a plain bool, int, float or str: no look through the number ABCs
        if name in TYPE_WORDS and name not in plain:
            raise type_error(key, value, name)
        return
    is_bool = isinstance(value, bool)
    ok = {"bool": is_bool,
          "int": isinstance(value, numbers.Integral) and not is_bool,
          "float": isinstance(value, numbers.Real) and not is_bool,
          "str": isinstance(value, str)}.get(name, True)
    if not ok:
        raise type_error(key, value, name)


def coerce(key: str, value: Any, ftype: Any) -> Any:
    """``value`` as a field of type ``ftype`` stores it, or ConfigError (:func:`_check_type`'s
    words): numpy scalars become Python numbers, a whole number for a float field a float (as
    the command line does); a string for a number, a float for a count or a string for a
    true/false switch is refused."""
    if hasattr(value, "item") and type(value).__module__ == "numpy":
        value = value.item()
    _check_type(key, value, ftype)
    if ftype == "float" and not isinstance(value, float):
        try:
            value = float(value)
        except OverflowError:
            pass  # left as it is: validate's range check names it
    return value


def parameter_keys() -> list[str]:
    """Every dotted parameter key of the schema (``need.p_onset_per_day``...)."""
    return [k for k, _, _ in iter_params(Config())]


def close_matches(key: str, candidates: list[str]) -> str:
    """`` (close matches: a, b)`` for a mistyped key, or an empty string."""
    import difflib

    found = difflib.get_close_matches(key, candidates, n=3, cutoff=0.6)
    if not found:  # a mistyped last part: compare within the same section
        section = key.rsplit(".", 1)[0] + "."
        found = difflib.get_close_matches(
            key, [c for c in candidates if c.startswith(section)], n=3, cutoff=0.4)
    return f" (close matches: {', '.join(found)})" if found else ""


def unknown_parameter(key: str) -> ConfigError:
    """The error for a key that is not in the schema, with close matches."""
    return ConfigError(key, f"is not a parameter{close_matches(key, parameter_keys())}; "
                            "the parameters are listed by `python -m sim --cfg job`")


MISSING = "???"  # a value a config file leaves to the user (Hydra's mandatory value)
MISSING_MESSAGE = "is required (no value given)"


def nest_dotted(key: str, value: Any) -> dict:
    """``("a.b.c", v)`` -> ``{"a": {"b": {"c": v}}}``."""
    *path, last = key.split(".")
    out = {last: value}
    for part in reversed(path):
        out = {part: out}
    return out


def _merge_plain(old: Any, new: Any) -> Any:
    """Merge plain data as composed config files merge: mappings key by key, else replace."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = dict(old)
        for k, v in new.items():
            out[k] = _merge_plain(old.get(k), v) if k in old else _plain_copy(v)
        return out
    return _plain_copy(new)


def _plain_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain_copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_copy(v) for v in value]
    return value


def merge_values(obj: Any, data: Any, prefix: str = "") -> None:
    """Set the values of the nested mapping ``data`` in the dataclass ``obj`` (in place),
    type-checked field by field (:func:`coerce`); an unknown key, or a mapping where a single
    value belongs, raises ConfigError naming the dotted key. ``events`` merges by name (as
    scenario files compose); ``events=None`` empties it."""
    if not isinstance(data, dict):
        raise ConfigError(prefix.rstrip(".") or "config",
                          f"must be a mapping of parameters (got {_show(data)})")
    fields = _fields(type(obj))
    for name, value in data.items():
        key = f"{prefix}{name}"
        if name not in fields:
            while isinstance(value, dict) and len(value) == 1:  # name the whole dotted key
                (sub, value), = value.items()
                key = f"{key}.{sub}"
            raise unknown_parameter(key)
        ftype = fields[name]
        current = getattr(obj, name)
        if dataclasses.is_dataclass(current):
            merge_values(current, value, key + ".")
        elif ftype == "Any":  # events: plain data, checked by the event registry
            setattr(obj, name, {} if value is None else _merge_plain(current, value))
        elif isinstance(value, dict | list | tuple):
            raise ConfigError(key, f"must be a single value (got {_show(value)})")
        elif isinstance(value, str) and value == MISSING:
            setattr(obj, name, value)  # a file leaves it to the user: validate names it
        else:
            setattr(obj, name, coerce(key, value, ftype))


def _fields(cls: type) -> dict[str, Any]:
    """A dataclass's field names and declared types."""
    return {f.name: f.type for f in dataclasses.fields(cls)}


def _check_value(key: str, value: Any, meta: dict, ftype: Any) -> None:
    if ftype is not None:
        _check_type(key, value, ftype)
    choices, lo, hi = meta.get("choices"), meta.get("lo"), meta.get("hi")
    if choices is not None and value not in choices:
        raise ConfigError(key, f"must be one of {', '.join(map(str, choices))} "
                               f"(got {_show(value)})")
    kind = type(value)
    if kind is bool or kind is str or (kind is not int and kind is not float and (
            isinstance(value, bool) or not isinstance(value, numbers.Real))):
        return
    check_number(key, value, lo, hi, meta.get("unit") or "")


@functools.cache
def _typed_fields(cls: type) -> tuple[tuple[str, dict, Any], ...]:
    """A dataclass's fields as (name, metadata, declared type), worked out once per class."""
    return tuple((f.name, dict(f.metadata), f.type) for f in dataclasses.fields(cls))


def _iter_typed(obj: Any, prefix: str = ""):
    """Like :func:`iter_params`, with each field's declared type (the metadata is shared:
    read it, do not change it)."""
    for name, meta, ftype in _typed_fields(type(obj)):
        value = getattr(obj, name)
        key = f"{prefix}{name}"
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            yield from _iter_typed(value, key + ".")
        else:
            yield key, value, meta, ftype


def iter_params(obj: Any, prefix: str = ""):
    """Yield ``(dotted_key, value, metadata)`` for every leaf parameter."""
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        key = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(value):
            yield from iter_params(value, key + ".")
        else:
            yield key, value, dict(f.metadata)


def validate(cfg: Config) -> Config:
    """Check every value against its declared type and range, cross-field rules and size
    limits (:mod:`sim.limits`); return ``cfg``."""
    from sim.limits import check_sizes

    for key, value, meta, ftype in _iter_typed(cfg):
        if isinstance(value, str) and value == MISSING:
            raise ConfigError(key, MISSING_MESSAGE)
        _check_value(key, value, meta, ftype)
    _cross_checks(cfg)
    check_sizes(cfg)
    return cfg


def _event_entries(events: Any) -> list[tuple[str, Any]]:
    if isinstance(events, dict):
        return [(f"events.{name}", e) for name, e in events.items()]
    return [(f"events[{k}]", e) for k, e in enumerate(events)]


def _cross_checks(cfg: Config) -> None:
    t = cfg.topology
    for name in ("urban", "rural_unit"):
        u: UnitParams = getattr(t, name)
        if u.ties_per_household % 2:
            raise ConfigError(f"topology.{name}.ties_per_household",
                              f"must be even (got {u.ties_per_household})")
        if u.n_residents > 0 and u.gp_practices == 0:
            raise ConfigError(f"topology.{name}.gp_practices",
                              "must be >= 1: every resident is registered with a GP practice")
    if t.kind == "places":
        for key in ("place_file", "practice_file"):
            if not getattr(t, key):
                raise ConfigError(f"topology.{key}", "is required when topology.kind=places")
    for key in ("registration_file", "organisation_file"):
        if getattr(t, key) and t.kind != "places":  # the county builds its own tables
            raise ConfigError(f"topology.{key}", f"is read only when topology.kind=places "
                              f"(got topology.kind={t.kind}); leave it empty")
    if t.kind == "file":
        if not t.graph_file:
            raise ConfigError("topology.graph_file", "is required when topology.kind=file")
        if not t.population_file:
            raise ConfigError("topology.population_file",
                              "is required when topology.kind=file")
    g = cfg.gp
    if g.partnership_hours_lo > g.partnership_hours_hi:
        raise ConfigError("gp.partnership_hours_lo", "must be <= gp.partnership_hours_hi")
    if g.engagement_max_lo > g.engagement_max_hi:
        raise ConfigError("gp.engagement_max_lo", "must be <= gp.engagement_max_hi")
    if g.share_vcse_degree_0 + g.share_vcse_degree_1 + g.share_vcse_degree_2 > 1 + 1e-9:
        raise ConfigError("gp.share_vcse_degree_2",
                          "gp.share_vcse_degree_0 + _1 + _2 must not exceed 1")
    n = cfg.need
    if n.share_onset_low + n.share_onset_complex > 1 + 1e-9:
        raise ConfigError("need.share_onset_complex",
                          "need.share_onset_low + need.share_onset_complex must not exceed 1")
    if n.share_need_social + n.share_need_emotional + n.share_need_practical > 1 + 1e-9:
        raise ConfigError("need.share_need_practical",
                          "need.share_need_social + _emotional + _practical must not exceed 1")
    p = cfg.population
    if p.p_limitation_a_little + p.p_limitation_a_lot > 1 + 1e-9:
        raise ConfigError("population.p_limitation_a_lot",
                          "population.p_limitation_a_little + _a_lot must not exceed 1")
    e = cfg.evaluation
    if e.followup_min_days > e.followup_max_days:
        raise ConfigError("evaluation.followup_min_days",
                          "must be <= evaluation.followup_max_days")
    if not isinstance(cfg.events, list | dict):
        raise ConfigError("events", "must be a mapping of name -> {day, kind, params} (or a "
                                    "list of such entries)")
    for key, entry in _event_entries(cfg.events):
        day = entry.get("day") if isinstance(entry, dict) else None
        if (isinstance(day, int) and not isinstance(day, bool) and day > cfg.run.days
                and not cfg.run.allow_late_events):
            raise ConfigError(f"{key}.day", f"day {day} is after the run's last day "
                                            f"(run.days={cfg.run.days}), so the event would "
                                            "never fire; set run.allow_late_events=true to "
                                            "allow it")
    name = cfg.scenario.name
    if not NAME_PATTERN.fullmatch(name):
        raise ConfigError("scenario.name", f"must be 1 to 100 letters, digits or _ . + -, not "
                                           f"starting with . or - (it names folders; got "
                                           f"{name!r})")


def parameter_table(cfg: Config | None = None) -> list[dict]:
    """Every parameter with its default, unit, meaning and source (for docs and manifests)."""
    cfg = cfg or Config()
    return [
        {"key": k, "value": v, "unit": m.get("unit", ""), "meaning": m.get("meaning", ""),
         "source": m.get("source", "")}
        for k, v, m in iter_params(cfg)
    ]
