"""The synthetic sharing world: the counts asked for, agreements and notes the engine can enforce,
and the same world for the same seed."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.conftest import MutableClock
from tests.integration.ops.conftest import FreshDatabase, Invoke

from accord.core.audit.models import AuditEntry
from accord.core.db import Database
from accord.notes.domain import note_categories, summary_of
from accord.notes.models import Note
from accord.ops.synthetic import seed_synthetic, synthetic_world
from accord.ops.synthetic_sharing import Roster, rostered, synthetic_grants, synthetic_notes
from accord.orgs.domain import Actor, Role, VettingState
from accord.orgs.models import Organization, Person
from accord.sharing import access
from accord.sharing.domain import (
    Category,
    GrantState,
    RecipientKind,
    Tlp,
    access_of,
    recipient_kinds_for,
)
from accord.sharing.geo import cells_of_point
from accord.sharing.models import (
    GrantCell,
    GrantParty,
    RecordCell,
    RecordRecipient,
    SharedRecord,
    SharingGrant,
)

ORGS, PEOPLE, AGREEMENTS, RECORDS, SEED = 40, 500, 80, 1_500, 3


@pytest.fixture
def seeded(db: Database, clock: MutableClock) -> Database:
    result = seed_synthetic(
        db, organizations=ORGS, people=PEOPLE, agreements=AGREEMENTS, records=RECORDS,
        seed=SEED, at=clock(),
    )  # fmt: skip
    assert (result.agreements, result.records) == (AGREEMENTS, RECORDS)
    return db


Drawn = list[tuple[list[dict[str, Any]], ...]]


def _drawn(seed: int, at: datetime) -> tuple[Drawn, Drawn]:
    """The agreements and notes of a world, drawn without a database."""
    orgs, persons = synthetic_world(seed, ORGS, PEOPLE, "hash")
    roster = Roster.of(orgs)
    list(rostered(persons, roster))
    return (
        list(synthetic_grants(seed, AGREEMENTS, roster, at)),
        list(synthetic_notes(seed, RECORDS, roster, at)),
    )


def _count(db: Database, model: type) -> int:
    with db.reading() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_the_seed_writes_the_agreements_and_notes_asked_for_with_one_audit_entry(
    seeded: Database,
) -> None:
    assert _count(seeded, SharingGrant) == AGREEMENTS
    assert _count(seeded, SharedRecord) == RECORDS
    assert _count(seeded, Note) == RECORDS
    with seeded.reading() as s:
        details = [e.details for e in s.scalars(select(AuditEntry))]
    assert details == [
        {"organizations": ORGS, "people": PEOPLE, "seed": SEED, "agreements": AGREEMENTS,
         "records": RECORDS}
    ]  # fmt: skip


def test_the_same_seed_draws_the_same_sharing_world_and_another_seed_another(
    clock: MutableClock,
) -> None:
    grants, notes = _drawn(SEED, clock())
    assert (grants, notes) == _drawn(SEED, clock())
    other_grants, other_notes = _drawn(SEED + 1, clock())
    ids = {rows[0][0]["id"] for rows in grants}
    assert ids.isdisjoint({rows[0][0]["id"] for rows in other_grants})
    assert notes != other_notes


def test_the_database_holds_exactly_the_drawn_world(seeded: Database, clock: MutableClock) -> None:
    grants, notes = _drawn(SEED, clock())
    with seeded.reading() as s:
        grant_ids = set(s.scalars(select(SharingGrant.id)))
        record_ids = set(s.scalars(select(SharedRecord.id)))
    assert grant_ids == {rows[0][0]["id"] for rows in grants}
    assert record_ids == {rows[0][0]["id"] for rows in notes}


def test_every_agreement_binds_two_or_more_vetted_organizations_in_a_realistic_mix(
    seeded: Database, clock: MutableClock
) -> None:
    at = clock()
    with seeded.reading() as s:
        parties = Counter(s.scalars(select(GrantParty.grant_id)))
        party_states = set(
            s.scalars(
                select(Organization.vetting_state).join(
                    GrantParty, GrantParty.org_id == Organization.id
                )
            )
        )
        grants = list(s.scalars(select(SharingGrant)))
        with_cells = set(s.scalars(select(GrantCell.grant_id).distinct()))
        party_rows, cell_rows = defaultdict(set), defaultdict(set)
        for grant_id, org_id in s.execute(select(GrantParty.grant_id, GrantParty.org_id)):
            party_rows[grant_id].add(str(org_id))
        for grant_id, cell in s.execute(select(GrantCell.grant_id, GrantCell.cell)):
            cell_rows[grant_id].add(cell)
    # The copies the pure rule reads say what the tables the SQL filter reads say.
    for grant in grants:
        assert set(grant.party_ids) == party_rows[grant.id]
        assert grant.area_cells == (sorted(cell_rows[grant.id]) if grant.has_area else None)
    assert len(parties) == AGREEMENTS
    assert min(parties.values()) >= 2
    assert party_states == {VettingState.VETTED}
    assert {g.state for g in grants} == set(GrantState)
    in_force = [g for g in grants if g.state is GrantState.ACTIVE and g.effective_at <= at]
    assert any(g.expires_at is not None and g.expires_at <= at for g in in_force)  # expired
    assert any(g.effective_at > at for g in grants)  # signed, not in force yet
    assert {g.id for g in grants if g.has_area} == with_cells != set()
    for grant in grants:
        assert grant.covered_mask
        assert grant.purposes
        assert grant.sensitive_mask & ~grant.covered_mask == 0
        assert grant.expires_at is None or grant.expires_at > grant.effective_at


def test_recipients_fit_each_marking_and_authors_belong_to_the_owner(seeded: Database) -> None:
    with seeded.reading() as s:
        records = {r.id: r for r in s.scalars(select(SharedRecord))}
        recipients = list(s.scalars(select(RecordRecipient)))
        people = {p.id: p for p in s.scalars(select(Person))}
        orgs = {o.id: o for o in s.scalars(select(Organization))}
    assert set(Counter(r.tlp for r in records.values())) == set(Tlp)
    for rec in recipients:
        record = records[rec.record_id]
        assert rec.kind in recipient_kinds_for(record.tlp), (record.tlp, rec.kind)
        assert rec.added_by_org_id == record.owner_org_id
        if rec.kind is RecipientKind.ORGANIZATION:
            assert rec.target_id != record.owner_org_id
            assert orgs[rec.target_id].vetting_state is VettingState.VETTED
        else:
            assert people[rec.target_id].is_active
    addressed = {r.record_id for r in recipients}
    strict = [r for r in records.values() if r.tlp in (Tlp.AMBER_STRICT, Tlp.RED)]
    assert sum(r.id in addressed for r in strict) >= 0.9 * len(strict)
    for record in records.values():
        assert record.author_id is not None
        author = people[record.author_id]
        assert author.org_id == record.owner_org_id
        assert author.role is not Role.VIEWER
        assert Category.CJI not in record.categories or author.cji_cleared
        assert orgs[record.owner_org_id].vetting_state is not VettingState.PENDING


def test_notes_and_places_are_as_the_notes_feature_would_write_them(seeded: Database) -> None:
    with seeded.reading() as s:
        rows = list(s.execute(select(SharedRecord, Note).join(Note, Note.id == SharedRecord.id)))
        cells: dict[uuid.UUID, set[int]] = {}
        for record_id, cell in s.execute(select(RecordCell.record_id, RecordCell.cell)):
            cells.setdefault(record_id, set()).add(cell)
    assert len(rows) == RECORDS
    for record, note in rows:
        derived = note_categories(
            note.body_category,
            has_personal_details=bool(note.personal_details),
            declared=note.declared,
        )
        assert derived == record.categories
        assert (record.summary, record.summary_category) == (
            summary_of(note.body),
            note.body_category,
        )
        if record.lat is None:
            assert record.id not in cells
        else:
            assert cells[record.id] == set(cells_of_point(record.lat, record.lon))
    times = sorted(r.created_at for r, _ in rows)
    assert (times[-1] - times[0]).days > 300  # spread over the year before the seed


def test_the_sharing_engine_agrees_with_itself_on_the_seeded_world(
    seeded: Database, clock: MutableClock
) -> None:
    """The SQL filter and the written rule see the same records for members of several orgs."""
    at = clock()
    with seeded.reading() as s:
        members = list(
            s.execute(
                select(Person, Organization)
                .join(Organization, Organization.id == Person.org_id)
                .order_by(Person.email)
            )
        )
        records = list(s.scalars(select(SharedRecord)))
        facts = access.facts_of(s, records)
        sampled: dict[uuid.UUID, tuple[Person, Organization]] = {}
        for person, org in members:  # one person of each organization
            sampled.setdefault(org.id, (person, org))
        seen_grants = 0
        for person, org in sampled.values():
            actor = Actor(
                person_id=str(person.id), org_id=str(org.id), role=person.role,
                cji_cleared=person.cji_cleared,
                org_vetted=org.vetting_state is VettingState.VETTED,
            )  # fmt: skip
            viewer = access.viewer_of(s, actor, at)
            seen_grants += len(viewer.grants)
            expected = {r.id for r in records if access_of(viewer, facts[r.id], at) is not None}
            assert access.visible_ids(s, viewer, at) == expected
    assert seen_grants > 0


def test_the_seed_command_builds_the_sharing_world(
    invoke: Invoke, fresh_database: FreshDatabase
) -> None:
    env = fresh_database.env
    assert invoke("db", "upgrade", env=env).exit_code == 0
    result = invoke(
        "seed", "--orgs", "12", "--people", "120", "--agreements", "15", "--records", "90",
        "--seed", "9", env=env,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "15 agreements and 90 shared records" in result.stdout
    database = Database(fresh_database.url)
    try:
        assert (_count(database, SharingGrant), _count(database, SharedRecord)) == (15, 90)
        with database.reading() as s:
            newest = s.scalar(select(func.max(SharedRecord.created_at)))
    finally:
        database.dispose()
    assert newest is not None
    assert newest <= datetime.now(UTC)
