"""Stylised facts on intermediaries, hubs and topology (SOURCES_EXTRACT 5.1-5.2 and scenarios
S9, S47-S49): urban locality officers, rural parish councils and place-based hubs."""

from __future__ import annotations

import dataclasses

import pytest
from paired import ON_OFF, RURAL, URBAN, arm

from sim.params import UnitParams

pytestmark = pytest.mark.slow

URBAN_BASELINE = [*URBAN, "scenario=baseline"]
RURAL_BASELINE = [*RURAL, "scenario=baseline"]
URBAN_LOCKDOWN = [*URBAN, "scenario=lockdown"]
RURAL_LOCKDOWN = [*RURAL, "scenario=lockdown"]
NO_LOCALITY_OFFICER = ["topology.urban.locality_officer=false"]
NO_LIO = ["topology.place_lio=false"]
# the LIO keeps its volunteer centre but gives no hours to its other functions
LIO_WITHOUT_INFRASTRUCTURE_HOURS = ["lio.capacity_building_hours_per_week=0",
                                    "lio.partnership_hours_per_week=0",
                                    "lio.directory_hours_per_week=0"]


@pytest.mark.fact(
    "SF10", grade="C", nature="emergent",
    why="Residents who choose an intermediary each day are signposted by whoever has front-door "
        "capacity left; the hub adds that capacity (its daily signposts), so fewer unmet needs "
        "wait long enough to escalate. The scenario changes only the hub's capacity.",
    # grade C: no robustness draws; these two carry no plausible range yet
    depends=("help_seeking.weight_intermediary", "help_seeking.p_signposted_to_lw"))
@ON_OFF
def test_sf10_place_based_hub_catches_needs_before_they_escalate(paired, mechanism):
    """SF10 (grade C; 003:168-170). A place-based hub (single front door) means a smaller
    share of needs escalates.

    Scenario: scenario=place_based_hub on the urban estate without a locality officer.
    Counterfactual: the same estate without the hub. (Where a locality officer already
    signposts, its spare capacity absorbs the intermediary demand and a hub adds little.)
    Metric: unmet needs that escalate a level per 1,000 need onsets (lower).
    Mechanism off: the hub has no front-door capacity (signposts_per_day=0).
    """
    scenario = arm(URBAN, "scenario=place_based_hub", NO_LOCALITY_OFFICER, mechanism=mechanism,
                   off=["events.hub_opens.params.signposts_per_day=0"])
    counterfactual = [*URBAN_BASELINE, *NO_LOCALITY_OFFICER]
    paired("SF10", scenario, counterfactual, "need_escalations_per_1000_onsets", "lower",
           replicates=20).expect(mechanism)


def groups_on_directory(run) -> float:
    """Mean number of open groups on the link workers' directory over the run."""
    return float(run.timeseries["n_groups_listed"].mean())


def gp_vcse_ties(run) -> float:
    """Mean number of GP practice - VCSE group ties over the run."""
    return float(run.timeseries["n_gp_vcse_ties"].mean())


@pytest.mark.fact(
    "S47", grade="B", nature="emergent",
    why="Every day the officer's hours go first to residents who come to it, the rest to "
        "partnership work; every lo_hours_per_tie_attempt hours an attempt brings an off-radar "
        "group onto the directory or ties the practice to a group. The stocks are what years of "
        "this leave after the burn-in; the scenario only has or lacks the officer.",
    depends=("intermediaries.lo_hours_per_week", "intermediaries.lo_hours_per_tie_attempt",
             "intermediaries.lo_hours_per_signpost"))
@ON_OFF
def test_s47_locality_officer_builds_gp_community_links(paired, mechanism):
    """Scenario S47 with SF21's urban half (grade B; 000:80-81, 92, 116, 120). An urban
    locality officer brings hyper-local groups onto the link workers' directory and builds
    GP-community ties over time.

    Scenario: the urban estate with its locality officer (scenario=baseline).
    Counterfactual: topology.urban.locality_officer=false. Both arms start from their own
    burnt-in state, so the officer's years of work show as stocks. Metrics: groups on the
    directory (higher), mean over the run (GP-VCSE ties: the next test).
    Mechanism off: the officer's tie-building never succeeds
    (intermediaries.p_lo_tie_success=0).
    """
    scenario = arm(URBAN_BASELINE, off=["intermediaries.p_lo_tie_success=0"],
                   mechanism=mechanism)
    counterfactual = [*URBAN_BASELINE, *NO_LOCALITY_OFFICER]
    paired("S47", scenario, counterfactual, groups_on_directory, "higher").expect(mechanism)


@pytest.mark.fact(
    "S47", grade="B", nature="emergent",
    why="Every day the officer's hours left after residents first keep up the ties it brokered "
        "or took over from the unit's main practice (the practice gives only "
        "lo_tie_practice_share of their upkeep), then broker more while the practice's hours "
        "cover its share and the officer's would keep one more up; a week's unpaid upkeep "
        "hands ties back to the practice, which ends those its own hours do not cover, and "
        "unused ties lapse. Without the officer the practice's own hours bound its ties; the "
        "scenario only has or lacks the officer.",
    depends=("intermediaries.lo_hours_per_week", "intermediaries.lo_hours_per_tie_attempt",
             "intermediaries.lo_tie_practice_share", "gp.partnership_hours_lo",
             "gp.partnership_hours_hi", "gp.tie_upkeep_hours_per_week"))
@ON_OFF
def test_s47_locality_officer_adds_gp_vcse_ties(paired, mechanism):
    """Scenario S47's second half (grade B; 000:80-81, 116, 120): the officer builds
    GP-community ties over time, so the estate with its officer holds more GP-VCSE ties.

    Scenario: the urban estate with its locality officer (scenario=baseline).
    Counterfactual: topology.urban.locality_officer=false. Metric: GP-VCSE ties, mean over the
    run (higher). Without an officer nothing but joint work and the practices' own renewals
    rebuild the ties closing groups take with them.
    Mechanism off: the officer is in post but has no partnership capacity: its brokering never
    succeeds (intermediaries.p_lo_tie_success=0), it ties no groups at the start
    (intermediaries.lo_ties_at_start=false) and the practice gives a tie's whole upkeep
    (intermediaries.lo_tie_practice_share=1), so the ties it keeps up cost the practice as
    much as its own and the practice's hours bound its ties as without the officer.
    """
    off = ["intermediaries.p_lo_tie_success=0", "intermediaries.lo_ties_at_start=false",
           "intermediaries.lo_tie_practice_share=1"]
    scenario = arm(URBAN_BASELINE, off=off, mechanism=mechanism)
    counterfactual = [*URBAN_BASELINE, *NO_LOCALITY_OFFICER]
    paired("S47", scenario, counterfactual, gp_vcse_ties, "higher").expect(mechanism)


@pytest.mark.fact("S48", grade="B", nature="partly by construction",
    why=("The emergency switches the council's mobilisation on; how many residents are helped "
         "depends on who is vulnerable, on the key people's leaflet round and matching time, "
         "on when households reply and on volunteers' free hours."),
    depends=("intermediaries.p_lo_tie_success", "intermediaries.pc_signposts_per_day",
             "intermediaries.pc_households_leafleted_per_day",
             "intermediaries.pc_reply_mean_days", "intermediaries.pc_matches_per_day"))
@ON_OFF
def test_s48_parish_council_mobilises_the_village(paired, mechanism):
    """Scenario S48 with SF21's rural half (grade B; 000:79, 86, 121). With no formal
    infrastructure, the parish council leads community mobilisation (signposting, buddy
    schemes of two volunteers per vulnerable household).

    The sources describe this as the village's pandemic response (000:86); in normal times it
    had "no formal infrastructure" (000:79), so the comparison is made in a lockdown.
    Scenario: the rural village with its parish council (scenario=lockdown).
    Counterfactual: topology.rural_unit.parish_council=false. Metric: community
    mobilisation per 1,000 residents (informal help, buddying, intermediary signposting;
    higher).
    Mechanism off: the council has no key people to act (intermediaries.pc_key_individuals=0).
    """
    scenario = arm(RURAL_LOCKDOWN, off=["intermediaries.pc_key_individuals=0"],
                   mechanism=mechanism)
    counterfactual = [*RURAL_LOCKDOWN, "topology.rural_unit.parish_council=false"]
    paired("S48", scenario, counterfactual, "community_mobilisation_per_1000_residents",
           "higher").expect(mechanism)


@pytest.mark.fact("SF21", grade="B", nature="partly by construction",
    why=("The emergency event switches the council's mobilisation on (000:86); how many are "
         "helped is emergent."),
    depends=("intermediaries.p_lo_tie_success", "intermediaries.pc_signposts_per_day"))
@ON_OFF
def test_sf21_rural_village_mobilises(paired, mechanism):
    """SF21, mobilisation (grade B; 000:79-87, 116). In the rural village, community
    mobilisation happens through the parish council and an informal network.

    Scenario: topology=rural (Case B: 380 residents, GP 6 miles away) in a lockdown.
    Counterfactual: topology=urban (Case A: 8,000 residents, locality officer) in the same
    lockdown. Different places, so the comparison is unpaired (10 seeds each). Metric:
    community mobilisation per 1,000 residents (higher).
    Mechanism off: the village has neither parish-council hub nor informal network.
    """
    scenario = arm(RURAL_LOCKDOWN, mechanism=mechanism,
                   off=["topology.rural_unit.parish_council=false",
                        "topology.rural_unit.informal_network=false"])
    paired("SF21", scenario, URBAN_LOCKDOWN, "community_mobilisation_per_1000_residents",
           "higher", paired=False).expect(mechanism)


def days_to_coordinated_support(run) -> float:
    """Days from the emergency's start to the first resident taken on by a coordinated
    response: the parish council's buddy scheme (``new_buddied``) or an emergency actor's
    response cell - VCS, local authority, LRF cell, national scheme
    (``new_emergency_responses``). Independent mutual aid groups (``new_mutual_aid_support``)
    are left out in both places. Censored at the day after the run's last day."""
    ts = run.timeseries
    start = int(run.summary["emergency_start_day"])
    after = ts[ts["day"] > start]
    acted = after[(after["new_buddied"] + after["new_emergency_responses"]) > 0]
    return float((acted["day"].iloc[0] if len(acted) else ts["day"].max() + 1) - start)


@pytest.mark.fact("SF21", grade="B", nature="emergent",
                  why="The same emergency in both places. The village's coordinated response "
                      "follows from its key people's leaflet round (households a day each), the "
                      "days households take to reply and the matches they can make a day; the "
                      "estate's from its emergency actors' stages (meetings on a cadence, "
                      "sign-off, contracts, checks, set-up), coordination hours and reachable "
                      "volunteers. Neither is a configured lag.",
                  depends=("intermediaries.pc_households_leafleted_per_day",
                           "intermediaries.pc_reply_mean_days",
                           "intermediaries.pc_matches_per_day"))
@ON_OFF
def test_sf21_village_mobilises_faster_in_a_lockdown(paired, mechanism):
    """SF21 (grade B; 000:79-87): in the pandemic two women linked to the parish council
    leafleted every household "just before the lockdown" and their network "formed the basis
    of the official response strategy from the Parish Council", with its buddy scheme
    (000:86); the estate's coordinated response was a council-led Locality Response Hub of
    many partners with weekly coordination meetings (000:85), and a system of many
    organisations is slow to coordinate without a plan (003:32, 003:119-124).

    The comparison is coordinated response against coordinated response: the village's
    parish-council scheme (and any emergency actor reaching it) against the estate's
    emergency actors. Mutual aid groups, the 'organisations acting independently' of 003:119
    and the fastest responders of 003:70 in either place, are a different actor and are left
    out of both (they are compared with the formal actors by the 003:70 ranking test). Per
    resident waits are not the sources' measure: they speak of systems mobilising (003:32).
    Metric: ``days_to_coordinated_support`` (lower in the village). Unpaired, 10 seeds each.
    Mechanism off: the village's parish council has no key people to leaflet and match
    (intermediaries.pc_key_individuals=0), so only the actors the estate also has remain.
    """
    village = arm(RURAL_LOCKDOWN, off=["intermediaries.pc_key_individuals=0"],
                  mechanism=mechanism)
    paired("SF21", village, URBAN_LOCKDOWN, days_to_coordinated_support, "lower",
           paired=False).expect(mechanism)


@pytest.mark.fact("SF21", grade="B", nature="emergent", why=(
    "Daily referrals and their acceptance: the village has no local groups, no GP-VCSE ties "
    "that reach it, low awareness of self-referral and a link worker shared across a rural "
    "footprint whose face-to-face visits cost a long round trip; the estate has all of these "
    "close by. Links to health follow from those conditions, not from a switch"), depends=(
    "link_worker.travel_mph", "link_worker.p_face_to_face_high_need"))
@ON_OFF
def test_sf21_rural_mobilisation_has_no_link_to_health(paired, mechanism):
    """SF21, links to health (grade B; 000:79-87, 116). The village's mobilisation has no
    link to health services or social prescribers, while the urban estate with a link worker
    and a locality officer has strong GP-community links.

    Scenario: topology=rural. Counterfactual: topology=urban (unpaired, 10 seeds each).
    Metric: health-VCSE links per 1,000 residents - referrals accepted by destinations plus
    VCSE referrals to link workers (lower).
    Mechanism off: the village has every attribute of the estate but its size (services,
    GP distance and ties, link-worker awareness and travel, intermediaries, social network):
    the difference must then vanish, so it is not an artefact of the village's size.
    """
    estate = UnitParams()
    as_estate = [f"topology.rural_unit.{f.name}={getattr(estate, f.name)}"
                 for f in dataclasses.fields(UnitParams) if f.name != "n_residents"]
    scenario = arm(RURAL_BASELINE, off=as_estate, mechanism=mechanism)
    paired("SF21", scenario, URBAN_BASELINE, "health_vcse_links_per_1000_residents", "lower",
           paired=False).expect(mechanism)


# Seeds of the blind SF21 reach check (issue 11): a base seed no test or diagnostic had used
# when its design was committed (the suite's others run on the default base seed 20201).
FRESH_SEED = ["run.seed=7103"]


@pytest.mark.fact("SF21", grade="B", nature="emergent", why=(
    "Residents reach social prescribing through daily GP consultations (fewer where the "
    "practice is far away), self-referral (rarer where few know of it) and referrals from "
    "groups, statutory services and intermediaries; the village has no local groups, a "
    "distant practice, low awareness and a link worker shared across a rural footprint, the "
    "estate all of these close by. Reach follows from those conditions; no referral rate is "
    "set by place"), depends=("intermediaries.p_unplaced_sent_to_gp",))
@pytest.mark.parametrize("mechanism", ["on"])
def test_sf21_village_has_limited_health_related_support(paired, mechanism):
    """SF21, limited health-related support (grade B; 000:116, 87). "There was an absence of
    contact between the VCSE sector and health agencies and sectors, which led to limited
    health-related support in the rural setting" (000:116); in the village "there were no
    links with more formal NHS health services or any local social prescribers" (000:87).

    Design (issue 11, written and committed before any run of it; blind). The claim is about
    residents' support that runs through health: in normal times, the share of residents in
    need who reach social prescribing (a link-worker referral from any route) is lower in the
    village than on the estate. Reach, not volume: per resident in need, so neither the
    village's size nor its lower need (less deprivation) makes the difference. Metric:
    ``frac_in_need_referred_to_lw`` (residents in need at some time in the 240 days who were
    referred to a link worker at least once, over residents in need). Scenario: topology=rural,
    counterfactual: topology=urban, both scenario=baseline (no emergency), unpaired (different
    worlds), 10 seeds each, the suite's number. Threshold: the sources give no size, so the
    suite's direction check: the 95 % bootstrap interval of village minus estate wholly below
    zero. Seeds: base seed 7103 (FRESH_SEED), replicates 0-9, used by no other run of this
    work. If it fails it stays as a strict expected failure; the model is not tuned to it.
    Its mechanism-off arm (the village with every attribute of the estate but its size, as in
    the links test) still found the effect, -0.027 [-0.058, -0.001] (strict xfail, first and
    only run): that control kept the difference in size. It is replaced by the size-matched
    test below, designed and committed before its run; this on check is kept as it ran.
    """
    village = arm(RURAL_BASELINE, FRESH_SEED)
    paired("SF21", village, [*URBAN_BASELINE, *FRESH_SEED], "frac_in_need_referred_to_lw",
           "lower", paired=False).expect(mechanism)


# Seeds of the pre-registered size-matched SF21 reach check (issue 11): a base seed no test,
# experiment or document used when its design was committed; 20 pairs.
SIZE_MATCHED_SEED = ["run.seed=8117"]
SIZE_MATCHED_REPLICATES = 20
# The village's residents and their social network: what the mechanism-off arm keeps. Every
# other attribute of the unit (organisations, links to health, access) is the estate's there.
VILLAGE_PEOPLE = ("n_residents", "mean_household_size", "ties_per_household", "p_rewire",
                  "n_community_leaders", "leader_ties", "deprivation_quintile")


def estate_attributes(keep: tuple[str, ...] = ("n_residents",)) -> list[str]:
    """Overrides giving the village every attribute of the estate (``topology.urban``)
    except those named in ``keep``."""
    estate = UnitParams()
    return [f"topology.rural_unit.{f.name}={getattr(estate, f.name)}"
            for f in dataclasses.fields(UnitParams) if f.name not in keep]


@pytest.mark.fact("SF21", grade="B", nature="emergent", why=(
    "Residents reach social prescribing through daily GP consultations (fewer where the "
    "practice is far away), self-referral (rarer where few know of it) and referrals from "
    "groups, statutory services and intermediaries; at the same size, seeds and burn-in, the "
    "village's conditions (no local groups, a distant practice, low awareness, a link worker "
    "shared across a rural footprint, no ties to health) against the estate's. Reach follows "
    "from those conditions; no referral rate is set by place"),
    depends=("intermediaries.p_unplaced_sent_to_gp",))
@ON_OFF
def test_sf21_size_matched_village_has_limited_health_related_support(paired, mechanism):
    """SF21, limited health-related support, size-matched (grade B; 000:116, 87).
    Pre-registered (tests/validation/README.md, "SF21, size-matched reach check"; committed
    before any run of it).

    Metric: ``frac_in_need_referred_to_lw`` over 240 normal-time days (lower in the village).
    Counterfactual: the estate at the village's size - the village (topology=rural, 380
    residents, its burn-in) with every attribute of the estate but its size. Scenario: the
    village. Paired (same place kind, size, burn-in and seeds), 20 pairs, base seed 8117.
    Mechanism off: the village keeps its residents and their social network (household size,
    ties, leaders, deprivation) but has the estate's organisations, links to health and
    access; the difference must then vanish.
    """
    counterfactual = arm(RURAL_BASELINE, SIZE_MATCHED_SEED, estate_attributes())
    village = arm(RURAL_BASELINE, SIZE_MATCHED_SEED, mechanism=mechanism,
                  off=estate_attributes(keep=VILLAGE_PEOPLE))
    paired("SF21", village, counterfactual, "frac_in_need_referred_to_lw", "lower",
           replicates=SIZE_MATCHED_REPLICATES).expect(mechanism)


@pytest.mark.fact(
    "S23", grade="B", nature="emergent",
    why="The LIO's funded hours verify listings, broker link worker-group ties and rebuild lost "
        "groups every day; listings nobody has verified for lw_mapping_after_days are checked by "
        "link workers out of their client hours. Without an LIO the same daily processes leave "
        "older listings, fewer ties and unreplaced groups; nothing is switched off by the "
        "scenario but the organisation.",
    depends=("lio.directory_hours_per_week", "lio.hours_per_listing_check",
             "lio.lw_mapping_after_days", "lio.hours_per_new_group", "lio.hours_per_tie"))
@ON_OFF
def test_s23_without_an_lio_link_workers_plug_the_gap(paired, mechanism):
    """Scenario S23, LIO absent (002:234-236): without local infrastructure the VCSE's ability
    to "form partnerships" falls and link workers attempt "to plug the gap".

    Scenario: the urban estate with no LIO (topology.place_lio=false). Counterfactual: the
    estate with its LIO (scenario=baseline). Both start from their own burnt-in state.
    Metrics: link-worker hours spent mapping listings themselves (higher); mean groups open
    (lower: lost groups are not rebuilt) and mean health-VCSE ties (lower), these two with
    the mechanism on only (see the comment below).
    Mechanism off: the counterfactual's LIO gives no hours to capacity building, partnerships
    or the directory (it still runs the volunteer centre).
    """
    scenario = [*URBAN_BASELINE, *NO_LIO]
    counterfactual = arm(URBAN_BASELINE, off=LIO_WITHOUT_INFRASTRUCTURE_HOURS,
                         mechanism=mechanism)
    paired("S23", scenario, counterfactual, "lw_mapping_hours", "higher").expect(mechanism)
    if mechanism == "on":
        # checked with the mechanism on only: an LIO with no capacity-building hours still runs
        # its volunteer centre, which also keeps groups open (-1.3 [-1.6, -0.9] groups with
        # the mechanism off, against -4.3 with it on); each link worker's tie to the LIO
        # itself differs by construction
        paired("S23", scenario, counterfactual, "mean_n_groups_open", "lower").expect("on")
        paired("S23", scenario, counterfactual, "mean_n_health_vcse_ties", "lower").expect("on")


LIO_CUT = ["scenario=funding_loss", "events.core_funding_cut.day=0",
           "events.core_funding_cut.params.target=lio",
           "events.core_funding_cut.params.share=0.8"]


@pytest.mark.fact(
    "S23", grade="B", nature="emergent",
    why="A cut scales the LIO's funded hours (by construction); its listings then age past "
        "lw_mapping_after_days and link workers spend client hours checking them (emergent: "
        "it depends on how many listings there are and how fast the remaining hours cycle "
        "through them).",
    depends=("lio.directory_hours_per_week", "lio.hours_per_listing_check",
             "lio.lw_mapping_after_days", "lio.lw_hours_per_listing_check"))
@ON_OFF
def test_s23_lio_cut_shifts_mapping_onto_link_workers(paired, mechanism):
    """Scenario S23, LIO core funding cut "to unworkable levels" (002:234): fewer listings
    verified by the LIO and more of link workers' time spent on infrastructure work.

    Scenario: 80 % of the LIO's core funding cut from day 0 (scenario=funding_loss aimed at
    the LIO). Counterfactual: scenario=baseline. Metrics: listings the LIO verifies (lower);
    link-worker mapping hours (higher).
    Mechanism off: the cut removes no funding (share 0).
    """
    scenario = arm(URBAN, LIO_CUT, off=["events.core_funding_cut.params.share=0"],
                   mechanism=mechanism)
    paired("S23", scenario, URBAN_BASELINE, "lio_listings_verified", "lower").expect(mechanism)
    paired("S23", scenario, URBAN_BASELINE, "lw_mapping_hours", "higher").expect(mechanism)
