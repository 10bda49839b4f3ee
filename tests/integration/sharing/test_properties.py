"""Random worlds on a real database: the SQL filter, the pure rule and the written rules agree.

Hypothesis draws small worlds (organizations vetted or not, groups, people cleared or not and
active or not, agreements in every state with their windows, ceilings, categories, purposes,
retention and areas, and records of every marking, category and recipient set) and instants on
the edges where the answer changes. Each world is written to the database inside one
transaction, checked for every person at each instant, and rolled back.

For every person and instant the test checks that these sets of record ids are equal: the
records the independent oracle of `tests.sharing_worlds` lets the person see; those for which
the pure `access_of` answers; and `access.visible_ids`, the SQL filter, with the viewer's facts
loaded by `access.viewer_of` at the first instant (and the pure rule on the database's facts
too) and built straight from the world at the second, where they include agreements in every
state. It also checks how the pure rule shows each record (visible and redacted categories,
restriction, purposes, the agreement) against the oracle.

At least 2,000 worlds per engine by default; for a thorough run set the number of worlds::

    ACCORD_SHARING_WORLDS=20000 python -m pytest -p no:cacheprovider -q \\
        tests/integration/sharing/test_properties.py
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.sharing_worlds import (
    SPOTS,
    T0,
    US,
    Agreement,
    Org,
    PersonFacts,
    RecordModel,
    World,
    actor_of,
    facts_of_record,
    insert_world,
    oracle_can_read,
    oracle_sight,
    viewer_from_world,
    world_id,
    worlds,
)

from accord.core.db import Database
from accord.core.errors import NotFound
from accord.orgs.domain import Sector, VettingState
from accord.sharing import access
from accord.sharing.domain import (
    ALL_CATEGORIES,
    Category,
    GrantState,
    Purpose,
    RecordFacts,
    Tlp,
    Viewer,
    access_of,
)
from accord.sharing.models import SharedRecord, SharingRead

WORLDS = int(os.environ.get("ACCORD_SHARING_WORLDS", "2000"))
# The side paths (feed filters, pages, single reads) cost more per world, and the stateful test
# walks them too: a fortieth as many.
SIDE_WORLDS = max(WORLDS // 40, 50)

_SETTINGS = {
    "deadline": None,
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
    # Every run draws fresh worlds; a failing one is printed and kept in the example database.
    "derandomize": False,
}


@contextmanager
def _inserted(db: Database, world: World) -> Iterator[Session]:
    """The world written in one transaction that is rolled back afterwards."""
    with db.sessions() as session:
        try:
            insert_world(session, world)
            session.flush()
            yield session
        finally:
            session.rollback()


def _oracle_ids(world: World, person_id: uuid.UUID, at: datetime) -> set[uuid.UUID]:
    return {rid for rid in world.records if oracle_sight(world, person_id, rid, at) is not None}


def _pure_ids(viewer: Viewer, facts: dict[uuid.UUID, RecordFacts], at: datetime) -> set[uuid.UUID]:
    return {rid for rid, f in facts.items() if access_of(viewer, f, at) is not None}


def _check_access(
    world: World, viewer: Viewer, person_id: uuid.UUID, at: datetime
) -> set[uuid.UUID]:
    """How the pure rule shows each record agrees with the oracle; the records it shows."""
    shown = set()
    for rid, record in world.records.items():
        got = access_of(viewer, facts_of_record(record), at)
        want = oracle_sight(world, person_id, rid, at)
        if want is None:
            assert got is None, (rid, got)
            continue
        assert got is not None, (rid, want)
        shown.add(rid)
        assert got.visible == want.visible
        assert got.redacted == record.categories - want.visible
        assert got.restricted == want.restricted
        if want.restricted:
            assert got.purposes == want.purposes
        assert (got.grant and uuid.UUID(got.grant.id)) == want.through
        sensitive = got.sensitive_under
        assert (sensitive and uuid.UUID(sensitive.id)) == want.sensitive_under
    return shown


def _check_world(session: Session, world: World) -> None:
    """For every person and instant, the SQL filter and the pure rule agree with the oracle."""
    db_facts = access.facts_of(session, list(session.scalars(select(SharedRecord))))
    assert db_facts == {rid: facts_of_record(r) for rid, r in world.records.items()}
    for person_id, person in world.people.items():
        viewer = viewer_from_world(world, person_id)
        for n, at in enumerate(world.instants):
            expected = _check_access(world, viewer, person_id, at)
            if n % 2:
                assert access.visible_ids(session, viewer, at) == expected
                continue
            # At every other instant, the viewer as the application loads it (four queries).
            loaded = access.viewer_of(session, actor_of(person, world), at)
            assert access.visible_ids(session, loaded, at) == expected
            assert _pure_ids(loaded, db_facts, at) == expected


@settings(max_examples=WORLDS, **_SETTINGS)  # type: ignore[arg-type]
@given(world=worlds())
def test_sql_filter_pure_rule_and_written_rules_agree(db: Database, world: World) -> None:
    with _inserted(db, world) as session:
        _check_world(session, world)


def _edge_world() -> World:
    """Police share with the guards under an agreement with a term, an area and retention."""
    police, guards = (
        Org(world_id(7, "org", 0), VettingState.VETTED),
        Org(world_id(7, "org", 1), VettingState.VETTED),
    )
    guard = PersonFacts(world_id(7, "person", 0), guards.id)
    agreement = Agreement(
        id=world_id(7, "agreement", 0),
        state=GrantState.ACTIVE,
        parties=frozenset({police.id, guards.id}),
        ceiling=Tlp.AMBER,
        covered=frozenset({Category.GENERAL}),
        sensitive=frozenset(),
        purposes=frozenset({Purpose.INVESTIGATION}),
        effective_at=T0,
        expires_at=T0 + timedelta(days=10),
        retention_days=3,
        cells=frozenset({SPOTS[0][0]}),
    )
    inside = RecordModel(
        id=world_id(7, "record", 0),
        owner=police.id,
        author=None,
        tlp=Tlp.AMBER,
        categories=frozenset({Category.GENERAL}),
        created_at=T0 + timedelta(days=1),
        cells=frozenset({SPOTS[0][0]}),
    )
    outside = replace(inside, id=world_id(7, "record", 1), cells=frozenset({SPOTS[1][0]}))
    return World(
        orgs={police.id: police, guards.id: guards},
        people={guard.id: guard},
        agreements={agreement.id: agreement},
        records={inside.id: inside, outside.id: outside},
    )


@pytest.mark.parametrize(
    ("instant", "seen"),
    [
        (T0 - US, False),  # before the agreement takes effect
        (T0, True),  # at the instant it does
        (T0 + timedelta(days=4) - US, True),  # the last microsecond of retention
        (T0 + timedelta(days=4), False),  # retention has passed
    ],
)
def test_edges_at_the_microsecond(db: Database, instant: datetime, seen: bool) -> None:
    world = _edge_world()
    inside = world_id(7, "record", 0)
    world.instants = (instant, instant)
    with _inserted(db, world) as session:
        _check_world(session, world)
        guard = next(iter(world.people))
        assert (inside in _oracle_ids(world, guard, instant)) is seen
    expiring = next(iter(world.agreements.values()))
    world.agreements[expiring.id] = replace(expiring, retention_days=None)
    world.instants = (T0 + timedelta(days=10) - US, T0 + timedelta(days=10))
    with _inserted(db, world) as session:
        _check_world(session, world)
        assert _oracle_ids(world, guard, world.instants[0]) == {inside}
        assert _oracle_ids(world, guard, world.instants[1]) == set()


def _query(data: st.DataObject, world: World) -> access.FeedQuery:
    """A feed query with a random subset of the filters set."""
    maybe = data.draw(st.integers(0, 2**9 - 1))
    lat = sorted(data.draw(st.sampled_from([s[1] for s in SPOTS])) for _ in range(2))
    lon = sorted(data.draw(st.sampled_from([s[2] for s in SPOTS])) for _ in range(2))
    since = T0 + timedelta(days=data.draw(st.integers(-30, 2)))
    return access.FeedQuery(
        kinds=(data.draw(st.sampled_from(("note", "bulletin"))),) if maybe & 1 else (),
        owner_org_id=data.draw(st.sampled_from(sorted(world.orgs))) if maybe & 2 else None,
        sector=data.draw(st.sampled_from(tuple(Sector))) if maybe & 4 else None,
        tlps=tuple(data.draw(st.sets(st.sampled_from(tuple(Tlp)), min_size=1)))
        if maybe & 8
        else (),
        category=data.draw(st.sampled_from(tuple(Category))) if maybe & 16 else None,
        text=data.draw(st.sampled_from(("fire", "VAN", "ring", "%", "_", "NEAR", "bulletin")))
        if maybe & 32
        else "",
        since=since if maybe & 64 else None,
        until=since + timedelta(days=data.draw(st.integers(0, 20))) if maybe & 128 else None,
        bbox=(lon[0] - 0.01, lat[0] - 0.01, lon[1] + 0.01, lat[1] + 0.01) if maybe & 256 else None,
    )


def _matches(
    world: World, person_id: uuid.UUID, rid: uuid.UUID, query: access.FeedQuery, at: datetime
) -> bool:
    """The feed filters, written out on the world's values."""
    r = world.records[rid]
    sight = oracle_sight(world, person_id, rid, at)
    # A search reads a summary only where the person was shown it: read without a purpose, in
    # a category they see. Titles are always shown.
    summary_shown = (
        sight is not None and not sight.restricted and r.summary_category in sight.visible
    )
    needle = query.text.lower()
    found = needle in r.title.lower() or (summary_shown and needle in r.summary.lower())
    checks = [
        not query.kinds or r.kind in query.kinds,
        query.owner_org_id is None or r.owner == query.owner_org_id,
        query.sector is None or world.orgs[r.owner].sector is query.sector,
        not query.tlps or r.tlp in query.tlps,
        query.category is None or query.category in r.categories,
        not query.text or found,
        query.since is None or r.created_at >= query.since,
        query.until is None or r.created_at < query.until,
        query.bbox is None
        or (
            r.lat is not None
            and r.lon is not None
            and query.bbox[1] <= r.lat <= query.bbox[3]
            and query.bbox[0] <= r.lon <= query.bbox[2]
        ),
    ]
    return all(checks)


@settings(max_examples=SIDE_WORLDS, **_SETTINGS)  # type: ignore[arg-type]
@given(world=worlds(instants=1), data=st.data())
def test_feed_filters_and_pages_never_show_more(
    db: Database, world: World, data: st.DataObject
) -> None:
    """Every filter narrows what may be seen, and the pages add up to exactly that."""
    at = world.instants[0]
    with _inserted(db, world) as session:
        for person_id, person in world.people.items():
            viewer = access.viewer_of(session, actor_of(person, world), at)
            seen = _oracle_ids(world, person_id, at)
            query = _query(data, world)
            wanted = {rid for rid in seen if _matches(world, person_id, rid, query, at)}
            assert access.visible_ids(session, viewer, at, query) == wanted
            limit = data.draw(st.integers(1, 5))
            pages: list[uuid.UUID] = []
            cursor = None
            while True:
                page = access.list_visible(session, viewer, at, query, cursor=cursor, limit=limit)
                assert len(page.items) <= limit
                pages += [item.record.id for item in page.items]
                for item in page.items:
                    sight = oracle_sight(world, person_id, item.record.id, at)
                    assert sight is not None
                    assert item.access.visible == sight.visible
                cursor = page.next_cursor
                if cursor is None:
                    break
            assert len(pages) == len(set(pages))
            assert set(pages) == wanted
            keys = [(world.records[r].created_at, r) for r in pages]
            assert keys == sorted(keys, reverse=True)


@settings(max_examples=SIDE_WORLDS, **_SETTINGS)  # type: ignore[arg-type]
@given(world=worlds(instants=1), data=st.data())
def test_single_reads_refuse_exactly_what_is_not_visible(
    db: Database, world: World, data: st.DataObject
) -> None:
    """NotFound when invisible, a purpose when restricted, and restricted reads are recorded."""
    at = world.instants[0]
    with _inserted(db, world) as session:
        for person_id, person in world.people.items():
            actor = actor_of(person, world)
            viewer = access.viewer_of(session, actor, at)
            rid = data.draw(st.sampled_from(sorted(world.records)))
            kind = world.records[rid].kind
            purpose = data.draw(st.none() | st.sampled_from(tuple(Purpose)))
            sight = oracle_sight(world, person_id, rid, at)
            assert (access.find_visible(session, viewer, rid, at, kind=kind) is None) == (
                sight is None
            )
            other = "bulletin" if kind == "note" else "note"
            assert access.find_visible(session, viewer, rid, at, kind=other) is None
            before = _reads(session, rid, person_id)
            try:
                with session.begin_nested():
                    read = access.read_visible(
                        session, viewer, actor, rid, purpose, at, kind=kind, actor_label="tester"
                    )
            except NotFound:
                assert sight is None
                continue
            except access.PurposeRequired:
                assert sight is not None
                assert not oracle_can_read(world, person_id, rid, purpose, at)
                continue
            assert sight is not None
            assert oracle_can_read(world, person_id, rid, purpose, at)
            assert read.access.visible == sight.visible
            assert read.access.visible <= ALL_CATEGORIES
            assert _reads(session, rid, person_id) == before + (1 if sight.restricted else 0)


def _reads(session: Session, record_id: uuid.UUID, person_id: uuid.UUID) -> int:
    return len(
        list(
            session.scalars(
                select(SharingRead.id).where(
                    SharingRead.record_id == record_id,
                    SharingRead.viewer_id == person_id,
                    SharingRead.outcome == "read",
                )
            )
        )
    )
