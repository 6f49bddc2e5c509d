"""Group capacity from staff hours, volunteer hours and money; strain; disruption
(sim.processes.strain) on tiny worlds."""

from __future__ import annotations

import numpy as np
import pytest
from support import give_need

from sim import metrics
from sim.processes import strain
from sim.state import Need, Pathway, VolunteerState

V = VolunteerState


def charity(tiny_model, **extra):
    """Ten willing adults and one formal charity on steady funding, without volunteers."""
    values = {"topology__urban__formal_charities": 1, "groups__formal_charity__funding_sd": 0.0,
              "groups__formal_charity__initial_volunteers": 0, "volunteers__latent_share": 1.0,
              "volunteers__share_one_day_a_week": 0.0}
    return tiny_model(n=10, **(values | extra))


def test_places_follow_staff_in_post_and_volunteers_free_hours(tiny_model):
    model = charity(tiny_model, groups__formal_charity__staff_client_capacity=12,
                    groups__formal_charity__staff_fte=2.0,
                    groups__formal_charity__volunteer_client_share=0.5,
                    groups__formal_charity__initial_volunteers=4)
    g = model.groups[0]
    assert g.capacity == 12 + 4  # 4 volunteers x 2 hours x 0.5 at one hour a client
    g.staff_fte = 1.0
    assert g.capacity == 6 + 4  # half the staff hours, half the staff's places
    vols = np.flatnonzero(model.pop.vorg == g.index)
    model.pop.vhours_committed[vols[:2]] = 2.0  # two are buddying elsewhere all week
    strain.refresh_volunteer_hours(model)
    assert g.capacity == 6 + 2


def test_a_cut_ends_posts_after_notice_with_redundancy_pay(tiny_model):
    model = charity(tiny_model, groups__formal_charity__staff_fte=2.0,
                    groups__formal_charity__staff_cost_per_fte_year=20000.0,
                    groups__formal_charity__annual_funding=60000.0,
                    groups__formal_charity__fixed_cost_per_day=0.0,
                    groups__formal_charity__cost_per_client_day=0.0,
                    groups__formal_charity__reserve_months=1.0,
                    groups__staff_review_days=1, groups__notice_days=10,
                    groups__redundancy_weeks_pay=4.0)
    g = model.groups[0]
    model.run(5)
    assert g.staff_fte == 2.0  # affordable: nothing changes
    model.apply_event("funding_cut", {"share": 0.5, "target": "groups"})
    model.step()
    assert g.staff_fte == 2.0 and g.staff_changes  # notice given, still paid
    places_before = g.capacity
    balance_before = g.balance
    model.run(10)
    # 30,000 a year plus reserves above their usual level pay for about 1.6 FTE
    assert 1.0 < g.staff_fte < 2.0
    assert g.capacity < places_before
    made_redundant = sum(r["new_group_staff_made_redundant"] for r in model.rows)
    pay = sum(r["new_group_redundancy_pay"] for r in model.rows)
    assert made_redundant == pytest.approx(2.0 - g.staff_fte)
    assert pay == pytest.approx(made_redundant * 20000.0 * 4 / 52)
    assert g.balance < balance_before and g.is_open  # reserves not yet gone


def test_vacancies_are_filled_after_hiring_days_when_affordable(tiny_model):
    model = charity(tiny_model, groups__formal_charity__staff_fte=2.0,
                    groups__staff_review_days=1, groups__hiring_days=5)
    g = model.groups[0]
    g.staff_fte = 1.0
    model.step()
    assert g.staff_fte == 1.0 and g.staff_changes
    model.run(5)
    assert g.staff_fte == pytest.approx(2.0)
    assert sum(r["new_group_staff_hired"] for r in model.rows) == pytest.approx(1.0)


def test_turned_away_referrals_raise_strain_which_drives_staff_and_volunteers_out(tiny_model):
    model = charity(tiny_model, groups__formal_charity__staff_client_capacity=1,
                    groups__formal_charity__staff_fte=1.0,
                    groups__formal_charity__initial_volunteers=3,
                    groups__formal_charity__volunteer_client_share=0.0,
                    groups__strain_memory_days=1.0, groups__staff_review_days=10000,
                    groups__staff_exit_per_strain_year=73.0,  # 0.2 a day at full strain
                    groups__volunteer_burnout_per_strain_year=100.0)
    g = model.groups[0]
    give_need(model, range(6), Need.MODERATE)
    results = [model.offer_to_group(i, g.index, "self") for i in range(6)]
    assert results == ["accepted"] + ["declined"] * 5
    assert g.turned_away_today == 5
    model.step()
    assert g.strain == pytest.approx(1 - 1 / 6)  # demand 6 for one place
    assert g.staff_fte == pytest.approx(1 - 0.2 * g.strain)
    row = model.rows[-1]
    assert row["new_group_turned_away"] == 5
    assert row["new_group_staff_lost_strain"] == pytest.approx(1 - g.staff_fte)
    model.run(20)
    assert sum(r["new_vol_burnout"] for r in model.rows) > 0
    assert (model.pop.vstate == V.LAPSED).sum() > 0


def test_no_strain_without_demand_above_places(tiny_model):
    model = charity(tiny_model, groups__formal_charity__staff_client_capacity=5,
                    groups__strain_memory_days=1.0)
    g = model.groups[0]
    give_need(model, range(3), Need.MODERATE)
    for i in range(3):
        model.offer_to_group(i, g.index, "self")
    model.run(3)
    assert g.strain == 0.0 and g.staff_fte == g.params.staff_fte


def test_a_group_with_no_staff_and_no_volunteers_closes(tiny_model):
    model = charity(tiny_model, groups__formal_charity__initial_volunteers=1)
    g = model.groups[0]
    g.staff_fte = 0.0
    g.staff_changes = []
    model.step()
    assert g.is_open  # a volunteer still runs it
    model.pop.vstate[model.pop.vorg == g.index] = V.LAPSED
    model.step()
    assert not g.is_open and g.closure_reason == "no_staff_or_volunteers"
    assert model.rows[-1]["new_groups_closed_no_staff_or_volunteers"] == 1


def test_reserves_are_capped(tiny_model):
    model = charity(tiny_model, groups__formal_charity__annual_funding=36500.0,
                    groups__formal_charity__staff_fte=0.0,
                    groups__formal_charity__initial_volunteers=1,
                    groups__formal_charity__fixed_cost_per_day=0.0,
                    groups__formal_charity__cost_per_client_day=0.0,
                    groups__reserve_cap_months=6.0)
    g = model.groups[0]
    model.run(400)
    assert g.balance == pytest.approx(36500.0 / 2)


def disrupted_group(tiny_model, **extra):
    values = {"topology__urban__community_groups": 1,
              "topology__urban__share_groups_off_radar": 0.0,
              "groups__community_group__staff_client_capacity": 10,
              "groups__community_group__initial_volunteers": 0,
              "groups__community_group__support_days": 200,
              "groups__disruption_capacity_loss": 0.5,
              "groups__disruption_adaptation_days": 10.0,
              "groups__p_accept_complex_without_inclusion": 1.0}
    return tiny_model(n=10, **(values | extra))


def test_disruption_is_bounded_and_recoverable(tiny_model):
    model = disrupted_group(tiny_model, groups__p_member_leaves_on_disruption=0.0)
    g = model.groups[0]
    give_need(model, [0], Need.COMPLEX)
    assert model.offer_to_group(0, g.index, "self") == "accepted"
    assert g.capacity == 5  # half its places at the height of the disruption
    model.run(10)
    assert g.disruption == pytest.approx(np.exp(-1.0))
    assert 5 < g.capacity < 10
    model.run(60)
    assert g.n_disruptive == 1  # the client stays ...
    assert g.capacity == 10  # ... and the group has adapted
    assert model.rows[-1]["n_community_groups_disrupted"] == 1


def test_places_lost_kept_with_the_capacity_are_those_worked_out_afresh(tiny_model):
    """The daily row reads the places a disruption costs from the cached capacity
    (``capacity_and_places_lost``): the same whole places as ``places_lost_to_disruption``
    as the disruption decays and the group's volunteer hours change, and the row's sums."""
    model = disrupted_group(tiny_model, groups__p_member_leaves_on_disruption=0.0)
    g = model.groups[0]
    give_need(model, [0], Need.COMPLEX)
    assert model.offer_to_group(0, g.index, "self") == "accepted"
    seen = set()
    for day in range(30):
        if day == 12:
            g.volunteer_hours = 40.0  # more places: the capacity is worked out again
        capacity, lost = g.capacity_and_places_lost()
        assert (capacity, lost) == (g.capacity, g.places_lost_to_disruption())
        seen.add(lost)
        row = model.rows[-1] if model.rows else None
        if row is not None:
            assert row["n_community_group_places_lost_disruption"] == pytest.approx(
                row["n_community_group_places_before_disruption"] - row["n_group_places"])
        model.run(1)
    assert len(seen) > 2  # the loss shrank through several values


def test_members_may_leave_when_a_disruptive_placement_starts(tiny_model):
    model = disrupted_group(tiny_model, groups__p_member_leaves_on_disruption=1.0)
    g = model.groups[0]
    give_need(model, range(4), Need.MODERATE)
    give_need(model, [4], Need.COMPLEX)
    for i in range(4):
        model.offer_to_group(i, g.index, "self")
    assert model.offer_to_group(4, g.index, "self") == "accepted"
    assert g.n_clients == 1 and g.n_disruptive == 1
    assert (model.pop.pathway[:4] == Pathway.NONE).all()
    assert (model.pop.provider[:4] == -1).all()
    assert model.flows["new_group_members_left_disruption"] == 4


def commissioned_world(tiny_model, partners: int, **extra):
    model = charity(tiny_model, **extra)
    model.apply_event("commissioning", {"places_per_review": 4, "review_days": 10,
                                        "rule": "even", "partners": partners})
    return model, model.groups[0]


def test_a_single_provider_adds_commissioned_places_at_the_review(tiny_model):
    model, g = commissioned_world(tiny_model, 1)
    model.run(10)
    assert g.extra_places == 4
    assert model.rows[-1]["new_partnership_changes"] == 1
    assert model.rows[-1]["sum_partnership_latency_days"] == 0


def test_every_partner_must_agree_so_partnerships_change_later(tiny_model):
    model, g = commissioned_world(tiny_model, 3, groups__partnership_round_days=5,
                                  groups__p_partner_agrees_per_round=1.0)
    model.run(10)
    assert g.extra_places == 0  # decided at the review, waiting for the partners
    model.run(5)
    assert g.extra_places == 4  # all agreed at the first round
    assert sum(r["sum_partnership_latency_days"] for r in model.rows) == 5


def test_partnership_latency_grows_with_the_number_of_partners(tiny_model):
    latency = {}
    for partners in (2, 5):
        model, _ = commissioned_world(tiny_model, partners, groups__partnership_round_days=1,
                                      groups__p_partner_agrees_per_round=0.3,
                                      run__seed=3)
        model.run(400)
        ts = model.timeseries()
        latency[partners] = (ts["sum_partnership_latency_days"].sum()
                             / ts["new_partnership_changes"].sum())
    assert latency[5] > latency[2] > 0


def test_a_group_folds_when_its_income_cannot_pay_a_viable_core(tiny_model):
    model = charity(tiny_model, groups__formal_charity__staff_fte=2.0,
                    groups__formal_charity__initial_volunteers=2,
                    groups__staff_review_days=1, groups__fold_after_reviews=3,
                    groups__min_viable_staff_share=0.25)
    g = model.groups[0]
    model.run(5)
    assert g.is_open and g.reviews_unviable == 0
    model.apply_event("funding_cut", {"share": 0.95, "target": "groups"})
    model.run(2)
    assert g.is_open and g.reviews_unviable == 2
    model.step()
    assert not g.is_open and g.closure_reason == "funding"
    assert model.rows[-1]["new_groups_folded"] == 1


def test_a_specialist_partner_brings_its_target_group_to_the_places(tiny_model):
    model, g = commissioned_world(tiny_model, 1)
    model.get_commissioner().plans[-1].partners = 2
    model.get_commissioner().plans[-1].specialist = "digitally_excluded"
    model.cfg.groups.partnership_round_days = 1
    model.cfg.groups.p_partner_agrees_per_round = 1.0
    pop = model.pop
    pop.digital[:] = True
    pop.digital[[3, 4]] = False
    give_need(model, range(6), Need.MODERATE)
    model.run(12)
    placed = np.flatnonzero(pop.provider == g.index)
    assert set(placed.tolist()) == {3, 4}  # only the digitally excluded were reached
    assert sum(r["new_partner_outreach_placements"] for r in model.rows) == 2


@pytest.mark.parametrize("unserved", [(0.0, 0.0, 0.0), (6.0, 0.0, 2.0)])
def test_agile_commissioning_funds_places_where_referrals_are_turned_away(tiny_model,
                                                                          unserved):
    # S27 (002:330-336): the agile rule reads the turned-away demand each group carries;
    # with none anywhere it spreads the places evenly, like the 'even' rule
    from sim.agents.organisations import GroupKind

    model = charity(tiny_model, topology__urban__formal_charities=3)
    groups = [g for g in model.groups if g.kind is GroupKind.FORMAL_CHARITY]
    assert len(groups) == 3
    for g, u in zip(groups, unserved, strict=True):
        g.unserved = u
    model.apply_event("commissioning", {"places_per_review": 4, "review_days": 10,
                                        "rule": "agile"})
    before = [g.extra_places for g in groups]
    model.get_commissioner()._commission(model.get_commissioner().plans[0])
    added = [g.extra_places - b for g, b in zip(groups, before, strict=True)]
    assert sum(added) == 4
    assert added == ([2, 1, 1] if not any(unserved) else [3, 0, 1])


def test_daily_row_sums_the_groups_places_staff_and_listings_as_their_properties(tiny_model):
    """The daily row reads cached capacities and the attributes behind ``staff_fte`` and
    ``on_directory`` directly; its sums must be those of the groups' public properties, with a
    suspended group (no places), a disrupted one (places lost) and capacities forgotten (a
    change of volunteer hours) just before the row is made."""
    model = disrupted_group(tiny_model, groups__p_member_leaves_on_disruption=0.0,
                            topology__urban__community_groups=3,
                            topology__urban__formal_charities=2,
                            topology__urban__share_groups_off_radar=0.5)
    community = [g for g in model.groups if g.kind.value == "community_group"]
    give_need(model, [0], Need.COMPLEX)
    assert model.offer_to_group(0, community[0].index, "self") == "accepted"  # disrupted
    assert community[1].capacity > 0  # its places worked out (cached) ...
    community[1].distanced = True  # ... then it is suspended: no places
    seen_lost = set()
    for day in range(25):
        if day % 5 == 2:  # hours change: the capacities are worked out afresh in the row
            for g in model.groups:
                g.volunteer_hours = g.volunteer_hours + 3.0
        model.run(1)
        row = model.rows[-1]
        running = [g for g in model.open_groups() if g.kind.value != "lio"]
        assert row["n_group_places"] == sum(g.capacity for g in running)
        assert row["n_group_staff_fte"] == pytest.approx(sum(g.staff_fte for g in running))
        assert row["n_groups_listed"] == sum(bool(g.on_directory) for g in model.open_groups())
        lost = sum(g.places_lost_to_disruption() for g in running
                   if g.kind.value == "community_group" and not g.distanced)
        assert row["n_community_group_places_lost_disruption"] == lost
        assert row["n_community_group_places_before_disruption"] == sum(
            g.capacity for g in running if g.kind.value == "community_group") + lost
        seen_lost.add(lost)
    assert len(seen_lost) > 1 and max(seen_lost) > 0  # the disruption cost places, then fewer
    assert 0 < row["n_groups_listed"] < len(model.open_groups())  # some off the directory
    # a group suspended while its cached places still hold has none in the row
    g = community[2]
    places = g.capacity
    assert places > 0 and g._capacity_epoch == model.capacity_epoch
    before = metrics.daily_row(model)["n_group_places"]
    g.distanced = True
    assert metrics.daily_row(model)["n_group_places"] == before - places == sum(
        h.capacity for h in model.open_groups() if h.kind.value != "lio")


def test_a_health_referral_asks_for_room_once_and_counts_its_result(tiny_model, monkeypatch):
    """A GP's or link worker's referral asks whether the group has room once and the group's
    offer takes that answer: the same results and turned-away count as a resident's own
    approach, each result counted under its flow (a full group's declines also as full)."""
    model = charity(tiny_model, groups__formal_charity__staff_client_capacity=2,
                    groups__formal_charity__initial_volunteers=0)
    g = model.groups[0]
    give_need(model, range(5), Need.MODERATE)
    asked = []
    has_room = type(g).has_room
    monkeypatch.setattr(type(g), "has_room",
                        lambda self: asked.append(self.index) or has_room(self))
    results = [model.offer_to_group(i, g.index, "gp") for i in range(5)]
    assert results == ["accepted"] * 2 + ["declined"] * 3
    assert asked == [g.index] * 5  # once per referral
    assert g.turned_away_today == 3
    assert model.flows["new_referrals_result_accepted"] == 2
    assert model.flows["new_referrals_result_declined"] == 3
    assert model.flows["new_referrals_declined_full"] == 3
