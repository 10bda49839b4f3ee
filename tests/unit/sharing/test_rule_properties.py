"""The pure rule against the written rules, and the ways it may only ever narrow, on random worlds.

`tests.sharing_worlds.oracle_sight` is the rule written afresh from issue 3's text; these
properties hold `access_of` and `can_view` to it for every person, record and edge instant of
a random world, and check monotonicity: giving someone more (a recipient, clearance, vetting)
never hides a record, and taking something away (an agreement, a marking step) never reveals one.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.sharing_worlds import (
    PURPOSES,
    Agreement,
    PersonFacts,
    RecordModel,
    World,
    facts_of_record,
    oracle_can_read,
    oracle_carried,
    oracle_sight,
    viewer_from_world,
    worlds,
)

from accord.orgs.domain import VettingState
from accord.sharing.domain import (
    Category,
    GrantState,
    RecipientKind,
    Tlp,
    access_of,
    can_view,
    recipient_kinds_for,
)

MARKINGS = (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED)


def _seen(world: World, at: datetime) -> dict[tuple[uuid.UUID, uuid.UUID], frozenset[Category]]:
    """What the engine's pure rule shows: (person, record) -> visible categories."""
    shown = {}
    for person_id in world.people:
        viewer = viewer_from_world(world, person_id)
        for record_id, record in world.records.items():
            access = access_of(viewer, facts_of_record(record), at)
            if access is not None:
                shown[person_id, record_id] = access.visible
    return shown


def _no_more(after: World, before: World, at: datetime, *, categories: bool = True) -> None:
    """Nobody sees a record in `after` that they did not see in `before`, nor more of it.

    With `categories=False` only records count: when two agreements carry different parts of
    a record, the engine shows it under the one that shows most (ties to the lowest id), so
    losing one agreement may show another part, which the viewer was entitled to all along.
    """
    earlier = _seen(before, at)
    for key, visible in _seen(after, at).items():
        assert key in earlier, key
        if categories:
            assert visible <= earlier[key], key


@settings(max_examples=300)
@given(world=worlds())
def test_access_and_can_view_follow_the_written_rules(world: World) -> None:
    for person_id in world.people:
        viewer = viewer_from_world(world, person_id)
        for record_id, record in world.records.items():
            facts = facts_of_record(record)
            for at in world.instants:
                want = oracle_sight(world, person_id, record_id, at)
                got = access_of(viewer, facts, at)
                assert (got is None) == (want is None)
                if got is None or want is None:
                    continue
                assert got.visible == want.visible
                assert got.visible | got.redacted == record.categories
                assert not got.visible & got.redacted
                assert got.restricted == want.restricted
                for purpose in (None, *PURPOSES):
                    decision = can_view(viewer, facts, purpose, at)
                    assert decision.allowed == oracle_can_read(
                        world, person_id, record_id, purpose, at
                    )


@settings(max_examples=150)
@given(world=worlds(instants=1), data=st.data())
def test_adding_a_recipient_never_hides_a_record(world: World, data: st.DataObject) -> None:
    at = world.instants[0]
    record = data.draw(st.sampled_from(list(world.records.values())))
    kinds = sorted(recipient_kinds_for(record.tlp))
    if not kinds:
        return
    kind = data.draw(st.sampled_from(kinds))
    more = world_with(world, record=_addressed(world, record, kind, data))
    _no_more(world, more, at)


def _addressed(
    world: World, record: RecordModel, kind: RecipientKind, data: st.DataObject
) -> RecordModel:
    if kind is RecipientKind.ORGANIZATION:
        org = data.draw(st.sampled_from(sorted(world.orgs)))
        return replace(record, orgs=record.orgs | {org})
    if kind is RecipientKind.PERSON:
        person = data.draw(st.sampled_from(sorted(world.people)))
        return replace(record, people=record.people | {person})
    if not world.teams:
        return record
    team = data.draw(st.sampled_from(sorted(world.teams)))
    return replace(record, groups=record.groups | {team})


def world_with(
    world: World, *, record: RecordModel | None = None, agreement: Agreement | None = None
) -> World:
    """A copy of `world` with one record or agreement replaced."""
    copy = replace(world, records=dict(world.records), agreements=dict(world.agreements))
    if record is not None:
        copy.records[record.id] = record
    if agreement is not None:
        copy.agreements[agreement.id] = agreement
    return copy


@settings(max_examples=150)
@given(world=worlds(instants=1), data=st.data())
def test_suspending_or_terminating_an_agreement_never_reveals_a_record(
    world: World, data: st.DataObject
) -> None:
    if not world.agreements:
        return
    at = world.instants[0]
    agreement = data.draw(st.sampled_from(list(world.agreements.values())))
    state = data.draw(st.sampled_from((GrantState.SUSPENDED, GrantState.TERMINATED)))
    ended = world_with(world, agreement=replace(agreement, state=state))
    _no_more(ended, world, at, categories=False)
    # What the viewer now sees of a record, some agreement in force carried before.
    for (person_id, record_id), visible in _seen(ended, at).items():
        sight = oracle_sight(world, person_id, record_id, at)
        assert sight is not None
        if sight.through is not None:
            person, record = world.people[person_id], world.records[record_id]
            assert visible <= _carried_by_any(world, person, record, at)
    # Narrowing the terms never reveals anything either.
    narrower = replace(
        agreement,
        covered=agreement.covered - {data.draw(st.sampled_from(tuple(Category)))},
        parties=agreement.parties - {data.draw(st.sampled_from(sorted(world.orgs)))},
    )
    _no_more(world_with(world, agreement=narrower), world, at, categories=False)


def _carried_by_any(
    world: World, person: PersonFacts, record: RecordModel, at: datetime
) -> frozenset[Category]:
    shown: frozenset[Category] = frozenset()
    for agreement in world.agreements.values():
        shown |= oracle_carried(agreement, person, record, at)
    return shown


@settings(max_examples=150)
@given(world=worlds(instants=1), data=st.data())
def test_raising_the_marking_never_reveals_a_record(world: World, data: st.DataObject) -> None:
    at = world.instants[0]
    record = data.draw(st.sampled_from(list(world.records.values())))
    higher = [t for t in MARKINGS if MARKINGS.index(t) > MARKINGS.index(record.tlp)]
    if not higher:
        return
    tlp = data.draw(st.sampled_from(higher))
    # The service keeps only recipients both markings may address: the owner removes the others
    # before re-marking, and none that the old marking could not address were ever stored.
    kinds = recipient_kinds_for(tlp) & recipient_kinds_for(record.tlp)
    fitted = replace(
        record,
        orgs=record.orgs if RecipientKind.ORGANIZATION in kinds else frozenset(),
        groups=record.groups if RecipientKind.GROUP in kinds else frozenset(),
        people=record.people if RecipientKind.PERSON in kinds else frozenset(),
    )
    raised = replace(fitted, tlp=tlp)
    _no_more(world_with(world, record=raised), world_with(world, record=fitted), at)


@settings(max_examples=150)
@given(world=worlds(instants=1), data=st.data())
def test_taking_clearance_vetting_or_the_account_away_never_reveals_a_record(
    world: World, data: st.DataObject
) -> None:
    at = world.instants[0]
    person = data.draw(st.sampled_from(list(world.people.values())))
    change = data.draw(st.sampled_from(("clearance", "vetting", "account", "group")))
    less = replace(world, people=dict(world.people), orgs=dict(world.orgs), teams=dict(world.teams))
    if change == "clearance":
        less.people[person.id] = replace(person, cji=False)
    elif change == "account":
        less.people[person.id] = replace(person, active=False)
    elif change == "vetting":
        org = world.orgs[person.org_id]
        state = data.draw(st.sampled_from((VettingState.PENDING, VettingState.SUSPENDED)))
        less.orgs[org.id] = replace(org, vetting=state)
    else:
        for team in world.teams.values():
            less.teams[team.id] = replace(team, members=team.members - {person.org_id})
    _no_more(less, world, at)


@settings(max_examples=150)
@given(world=worlds())
def test_nobody_sees_a_red_record_unless_named_or_its_author(world: World) -> None:
    for at in world.instants:
        for (person_id, record_id), _ in _seen(world, at).items():
            record = world.records[record_id]
            if record.tlp is Tlp.RED:
                assert person_id == record.author or person_id in record.people


@settings(max_examples=150)
@given(world=worlds())
def test_unvetted_members_see_only_clear_and_their_own_organizations_records(
    world: World,
) -> None:
    for at in world.instants:
        for (person_id, record_id), visible in _seen(world, at).items():
            person, record = world.people[person_id], world.records[record_id]
            assert person.active
            if not person.cji:
                assert Category.CJI not in visible
            if world.orgs[person.org_id].vetted:
                continue
            assert (
                record.tlp is Tlp.CLEAR
                or (record.tlp is not Tlp.RED and record.owner == person.org_id)
                or (record.tlp is Tlp.RED and record.author == person_id)
            )
