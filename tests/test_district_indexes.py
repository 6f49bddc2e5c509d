"""Per-district indexes the LIO's daily work reads (issue 15, the cost of a large county): the
open groups by district, the open charities and community groups by place and kind kept up to
date as groups open and close, and each district's struggling groups, each checked against
the same thing worked out from scratch over every group."""

from __future__ import annotations

import pytest
from test_places_levels import places_model, two_districts

from sim.agents.organisations import GroupKind


@pytest.fixture
def model(tmp_path):
    return places_model(two_districts(tmp_path), "topology.lio_reference_residents=5000")


def recount(m) -> dict[tuple[int, str], int]:
    """Open charities and community groups by (place key, kind value), from every group."""
    counts: dict[tuple[int, str], int] = {}
    for g in m.groups:
        if g.is_open and g.kind in (GroupKind.FORMAL_CHARITY, GroupKind.COMMUNITY_GROUP):
            key = (g.unit if g.unit >= 0 else -1 - g.district, g.kind.value)
            counts[key] = counts.get(key, 0) + 1
    return counts


def by_district(m) -> dict[int, list]:
    out: dict[int, list] = {}
    for g in m.groups:
        if g.is_open:
            out.setdefault(g.district, []).append(g)
    return out


def listed_from_scratch(m) -> dict[int, tuple[int, ...]]:
    """The open listed groups (not LIOs) by unit key, from every group."""
    out: dict[int, tuple[int, ...]] = {}
    for g in m.groups:
        if g.is_open and g.on_directory and g.kind is not GroupKind.LIO:
            out[g.unit_key] = (*out.get(g.unit_key, ()), g.index)
    return out


def churn(m) -> None:
    """Close a community group and a place-level charity in each district; start one group."""
    for d in (0, 1):
        next(g for g in m.open_groups() if g.kind is GroupKind.COMMUNITY_GROUP
             and g.unit >= 0 and g.district == d).close("churn")
        next(g for g in m.open_groups() if g.kind is GroupKind.FORMAL_CHARITY
             and g.unit == -1 and g.district == d).close("churn")
    m._build_capacity(1)


def test_indexes_follow_groups_opening_and_closing(model):
    m = model
    assert m.open_groups_by_district() == by_district(m)
    assert m._open_provision() == recount(m)
    before = m._open_provision()
    churn(m)
    counts = m._open_provision()
    assert counts is not before  # a new dict: one handed out earlier stays as it was
    assert counts == recount(m) and before != counts
    assert m.open_groups_by_district() == by_district(m)
    assert set(m.open_groups_by_district()) == {0, 1}


def test_provision_short_by_district_is_the_whole_list_filtered(model):
    m = model
    churn(m)
    everywhere = m.provision_short()
    assert everywhere  # each district lost a group; one was rebuilt
    of_place = {key: (int(m.district_of_unit[key[0]]) if key[0] >= 0 else -1 - key[0])
                for _, key in everywhere}
    for d in (0, 1):
        assert m.provision_short(d) == [x for x in everywhere if of_place[x[1]] == d]
    assert {of_place[key] for _, key in everywhere} == {0, 1}
    assert m.provision_short(5) == []  # no such district: nothing short


def test_a_districts_struggling_groups_are_its_own_thinnest_first(model):
    m = model
    kinds = (GroupKind.FORMAL_CHARITY, GroupKind.COMMUNITY_GROUP)
    months = m.cfg.lio.struggling_reserve_months
    # run every charity and community group down to a different small reserve
    groups = [g for g in m.open_groups() if g.kind in kinds]
    for k, g in enumerate(groups):
        g.balance = 1.0 + k
    groups[0].lio_support_until = m.day + 10  # under support: left out
    found = {d: m.lio_books[d]._struggling_groups() for d in (0, 1)}
    for d in (0, 1):
        expected = []
        for g in groups:
            income = g.annual_funding * (1.0 - g.funding_cut)
            if (g.district == d and g is not groups[0]
                    and (income <= 0 or g.balance < income * months / 12.0)):
                expected.append((g.balance / income if income > 0 else -1.0, g.index, g))
        assert found[d] == [g for *_, g in sorted(expected, key=lambda x: (x[0], x[1]))]
        assert found[d] and all(g.district == d for g in found[d])
    assert groups[0] not in found[0] + found[1]


def test_closing_the_days_groups_together_is_closing_each_alone(model):
    import pickle

    import numpy as np

    m = model
    m.run()  # five days: groups with clients and volunteers
    pop = m.pop
    busy = [g for g in m.open_groups() if g.kind is not GroupKind.LIO
            and ((pop.provider == g.index).any() or (pop.vorg == g.index).any())]
    # two of Downland's groups with volunteers (who move to its LIO), then one of
    # Sampleton's, then Downland's LIO itself
    downland = [g for g in busy if g.district == 1 and (pop.vorg == g.index).any()][:2]
    other = next(g for g in busy if g.district == 0)
    closing = [(g, "churn") for g in (*downland, other)] + [(m.lios[1], "funding")]
    assert len(closing) == 4
    alone = pickle.loads(pickle.dumps(m))
    for g, reason in closing:  # one at a time, each looking over every resident
        alone.organisations[g.index].close(reason)
    m._close_groups(closing)
    for column in ("vorg", "vstate", "provider", "pathway", "matched", "vsince"):
        assert np.array_equal(getattr(pop, column), getattr(alone.pop, column)), column
    assert all(not g.is_open for g, _ in closing)
    assert m.flows == alone.flows and m.open_groups_by_district() != {}
    # the closed groups' clients and volunteers were released
    for g, _ in closing[:3]:
        assert not (pop.provider == g.index).any()


def test_referral_weights_are_each_groups_nominal_size_and_domains(model):
    m = model
    weights, offers = m.referral_weights()
    assert len(weights) == len(offers) == len(m.organisations)
    for org in m.organisations:
        if org in m.groups:
            assert weights[org.index] == float(org.nominal_capacity) + 1.0
            assert offers[org.index] == org.offers
        else:  # a hospital trust: never a link worker's destination
            assert weights[org.index] == 0.0 and offers[org.index] == 0
    new = m.add_group(GroupKind.COMMUNITY_GROUP, 0, True, "new")
    weights, offers = m.referral_weights()  # extended with the new group
    assert weights[new.index] == float(new.nominal_capacity) + 1.0
    assert offers[new.index] == new.offers
    # an event may change parameters: the weights are worked out afresh
    m.cfg.groups.community_group.staff_client_capacity += 7
    m.capacity_epoch += 1
    again, _ = m.referral_weights()
    assert again[new.index] == weights[new.index] + 7


def test_listings_by_unit_follow_listing_and_closing(model):
    m = model

    def from_scratch():
        out: dict[int, tuple[int, ...]] = {}
        for g in m.groups:
            if g.is_open and g.on_directory and g.kind is not GroupKind.LIO:
                key = g.unit if g.unit >= 0 else -1 - g.district  # a district's own key
                out[key] = (*out.get(key, ()), g.index)
        return out

    assert m.listed_groups_by_unit() == from_scratch()
    unlisted = m.add_group(GroupKind.COMMUNITY_GROUP, 0, False, "unlisted")
    assert unlisted.index not in m.listed_groups_by_unit().get(0, ())
    unlisted.on_directory = True  # a locality officer brings it on the directory
    assert unlisted.index in m.listed_groups_by_unit()[unlisted.unit]
    listed = next(g for g in m.open_groups() if g.on_directory and g.unit >= 0
                  and g.kind is not GroupKind.LIO)
    listed.close("churn")
    assert listed.index not in m.listed_groups_by_unit().get(listed.unit, ())
    assert m.listed_groups_by_unit() == from_scratch()
    # a link worker's listings: its directory and the listed groups in its reach
    lw = m.link_workers[0]
    books = m.lio_books[0]
    districts = {int(m.district_of_unit[u]) for u in lw.reach}  # its own districts' groups
    assert books._listed([lw]) == lw.directory | {
        g.index for g in m.groups if g.is_open and g.on_directory
        and g.kind is not GroupKind.LIO
        and (g.unit in lw.reach or (g.unit == -1 and g.district in districts))}


def test_indexes_follow_a_mutual_aid_group_without_being_worked_out_again(model):
    """Mutual aid groups form and fold many times a day in a large place; they are off the
    directory and are neither charities nor community groups, so the listings by unit and
    the places short of provision stay the same objects, and the open groups by district
    gain and lose them, each equal to what is worked out from scratch. A new listed group
    joins the listings without a change of ``listing_epoch`` (its first value is not a
    change); taking a group off the directory is one."""
    m = model

    def short_from_scratch():
        saved = m.__dict__.pop("_provision_short")
        try:
            return m.provision_short()
        finally:
            m._provision_short = saved

    listed, short = m.listed_groups_by_unit(), m.provision_short()
    cached_short = m._provision_short[1]
    m.open_groups_by_district()
    epoch = m.listing_epoch
    mag = m.add_group(GroupKind.MUTUAL_AID, 0, False, "street")
    assert m.listing_epoch == epoch
    assert m.listed_groups_by_unit() is listed  # carried over, not rebuilt
    assert m._provision_short[1] is cached_short and m.provision_short() == short
    assert m.open_groups_by_district() == by_district(m)
    assert mag in m.open_groups_by_district()[mag.district]
    mag.close("folded")
    assert m.listed_groups_by_unit() is listed
    assert m._provision_short[1] is cached_short
    assert m.open_groups_by_district() == by_district(m)
    assert mag not in m.open_groups_by_district()[mag.district]
    # a listed community group opens in district 1 and another closes: the listings, the
    # places short and the groups by district follow, as from scratch
    new = m.add_group(GroupKind.COMMUNITY_GROUP, int(m.units[-1].index), True, "listed")
    assert m.listing_epoch == epoch
    assert new.index in m.listed_groups_by_unit()[new.unit_key]
    assert m.listed_groups_by_unit() == listed_from_scratch(m)
    assert m.provision_short() == short_from_scratch()
    gone = next(g for g in m.open_groups() if g.on_directory and g.unit_key == -1 - 1
                and g.kind is not GroupKind.LIO)
    gone.close("churn")
    assert gone.index not in m.listed_groups_by_unit().get(gone.unit_key, ())
    assert m.listed_groups_by_unit() == listed_from_scratch(m)
    assert m.provision_short() == short_from_scratch()
    assert m.open_groups_by_district() == by_district(m)
    new.on_directory = False  # off the directory: a change, so worked out afresh
    assert m.listing_epoch == epoch + 1
    assert m.listed_groups_by_unit() == listed_from_scratch(m)


def test_listings_follow_groups_coming_on_and_off_the_directory(model):
    """A listing change (a locality officer brings a hidden group on the directory; a group
    goes off it) moves ``listing_epoch`` on and the cached listings by unit follow with that
    one entry changed, equal to what is worked out from scratch, each unit's indices in group
    order; a closed group's or an LIO's change leaves them as they are; a unit left with none
    is absent."""
    m = model

    def follows(change) -> None:
        m.listed_groups_by_unit()  # up to date before the change
        epoch = m.listing_epoch
        change()
        assert m.listing_epoch == epoch + 1
        cached = m._listed_by_unit
        assert cached[1] == m.listing_epoch  # followed, so not rebuilt when asked for
        assert m.listed_groups_by_unit() is cached[2]
        assert m.listed_groups_by_unit() == listed_from_scratch(m)

    # every listed group of unit 0 goes off the directory, one by one: the unit ends absent
    unit0 = [g for g in m.open_groups() if g.unit_key == 0 and g.on_directory
             and g.kind is not GroupKind.LIO]
    assert len(unit0) >= 2
    for g in unit0:
        follows(lambda g=g: setattr(g, "on_directory", False))
    assert 0 not in m.listed_groups_by_unit()
    # back on, in the reverse order: each index goes back to its place in group order
    for g in reversed(unit0):
        follows(lambda g=g: setattr(g, "on_directory", True))
    assert m.listed_groups_by_unit()[0] == tuple(g.index for g in unit0)
    # a new hidden group in the middle of the groups' order, then brought on the directory
    hidden = m.add_group(GroupKind.COMMUNITY_GROUP, 0, False, "hidden")
    follows(lambda: setattr(hidden, "on_directory", True))
    assert m.listed_groups_by_unit()[0][-1] == hidden.index
    # a place-level (district) group, a closed group and the LIO
    place = next(g for g in m.open_groups() if g.unit_key < 0 and g.on_directory
                 and g.kind is not GroupKind.LIO)
    follows(lambda: setattr(place, "on_directory", False))
    closed = next(g for g in m.open_groups() if g.unit_key == 0 and g.on_directory
                  and g.kind is not GroupKind.LIO)
    closed.close("churn")
    follows(lambda: setattr(closed, "on_directory", False))
    lio = next(g for g in m.groups if g.kind is GroupKind.LIO)
    follows(lambda: setattr(lio, "on_directory", not lio.on_directory))


def test_a_group_is_taken_out_of_an_ordered_list_as_by_a_pass(model):
    """``_without`` (the open-group lists' copy without a closing group) finds it by
    bisection on the groups' order: each group out of every position gives the list a pass
    gives; a group not there gives a copy; a list out of order still loses it."""
    from sim.model import _without

    groups = list(model.open_groups())
    assert [g.index for g in groups] == sorted(g.index for g in groups)
    for g in groups:
        kept = _without(groups, g)
        assert kept == [x for x in groups if x is not g] and kept is not groups
    new = model.add_group(GroupKind.COMMUNITY_GROUP, 0, True, "new")
    copy = _without(groups, new)
    assert copy == groups and copy is not groups
    shuffled = groups[::-1]
    assert _without(shuffled, groups[1]) == [x for x in shuffled if x is not groups[1]]


def reachable_from_scratch(m, units) -> list:
    """The open groups (not LIOs, none suspended) of ``units`` in unit order, then of their
    districts' place-level keys in district order, each in group order, from every group."""
    keys = [*sorted(units), *m.place_keys_of(units)]
    return [g for k in keys for g in m.groups
            if g.unit_key == k and g.is_open and not g.distanced and g.kind is not GroupKind.LIO]


def test_groups_in_reach_follow_openings_closures_and_suspensions(model):
    """The kept groups in reach of a unit (a help seeker's) and of several units (a link
    worker's), and the running sums of a seeker's weights, equal what is worked out from
    scratch as groups open, close, are suspended and come back, and after an event changes
    parameters; a suspension moves ``reach_epoch`` on, setting a group's flag to what it
    already is does not."""
    from itertools import accumulate

    m = model
    units = range(len(m.units))
    reaches = {lw.reach for lw in m.link_workers} | {frozenset(units)}
    assert any(len(r) > 1 for r in reaches)

    def agrees() -> None:
        for u in units:
            assert m.open_groups_reachable(u) == reachable_from_scratch(m, [u])
            options, cumulative = m.reachable_with_weights(u)
            assert options == reachable_from_scratch(m, [u])
            assert cumulative == list(accumulate(g.nominal_capacity + 1.0 for g in options))
        for r in reaches:
            assert m.open_groups_in_reach(r) == reachable_from_scratch(m, r)

    agrees()
    assert m.open_groups_reachable(0) is m.open_groups_reachable(0)  # kept, not made again
    group = next(g for g in m.open_groups_reachable(0) if g.unit == 0)
    place = next(g for g in m.open_groups_reachable(0) if g.unit == -1)
    epoch = m.reach_epoch
    group.distanced = False  # no change: the kept lists stand
    assert m.reach_epoch == epoch
    for g in (group, place):
        g.distanced = True
        assert m.reach_epoch == epoch + 1
        epoch = m.reach_epoch
        assert g not in m.open_groups_reachable(0)
        agrees()
    group.distanced = False
    assert group in m.open_groups_reachable(0)
    agrees()
    churn(m)  # closures in both districts and a new group
    agrees()
    # a unit's group opening or closing leaves the other units' kept lists as they are
    kept = {u: m.open_groups_reachable(u) for u in units}
    new = m.add_group(GroupKind.COMMUNITY_GROUP, 0, True, "new")
    assert new in m.open_groups_reachable(0) and new not in kept[0]
    assert all(m.open_groups_reachable(u) is kept[u] for u in units if u != 0)
    agrees()
    kept = {u: m.open_groups_reachable(u) for u in units}
    new.close("churn")
    assert new not in m.open_groups_reachable(0)
    assert all(m.open_groups_reachable(u) is kept[u] for u in units if u != 0)
    agrees()
    m.cfg.groups.community_group.staff_client_capacity += 7  # as an event would change it
    m.capacity_epoch += 1
    agrees()
    for _ in range(3):  # the model's own days
        m.step()
        agrees()
