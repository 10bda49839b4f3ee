"""Notes on a real database: sharing, editing, attachments, withdrawal, addressing, reading."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from tests.factories import AT, actor_of, make_org, make_person
from tests.notes_factories import PORT_CITY, make_grant, make_note, to_org, to_person

from accord.core.audit.models import AuditEntry
from accord.core.bus import Event, InProcessBus
from accord.core.db import Database
from accord.core.errors import Forbidden, Invalid, NotFound
from accord.notes import queries, service
from accord.notes.models import Note, NoteAttachment
from accord.orgs.domain import OrgKind, Role, Sector
from accord.orgs.models import Organization, Person
from accord.sharing import access
from accord.sharing.access import PurposeRequired
from accord.sharing.domain import Category, GrantState, Purpose, Tlp
from accord.sharing.models import SharedRecord, SharingRead
from accord.sharing.service import set_grant_state

MB = 1_048_576


@dataclass
class World:
    police: Organization
    guards: Organization
    outsider: Organization
    officer: Person
    sergeant: Person  # the police department's administrator
    viewer: Person
    detective: Person  # CJI-cleared
    guard: Person
    stranger: Person


@pytest.fixture
def world(db: Database) -> World:
    police = make_org(db, "Port City Police Department")
    guards = make_org(db, "Delta Guard Services", sector=Sector.PRIVATE, kind=OrgKind.GUARD_COMPANY)
    outsider = make_org(
        db, "Riverside Alarm Co", sector=Sector.PRIVATE, kind=OrgKind.ALARM_MONITORING
    )
    return World(
        police=police,
        guards=guards,
        outsider=outsider,
        officer=make_person(db, police, name="Olu Officer"),
        sergeant=make_person(db, police, role=Role.ORG_ADMIN, name="Sam Sergeant"),
        viewer=make_person(db, police, role=Role.VIEWER),
        detective=make_person(db, police, cji_cleared=True, name="Dana Detective"),
        guard=make_person(db, guards, name="Gil Guard"),
        stranger=make_person(db, outsider),
    )


def _record(db: Database, note_id: uuid.UUID) -> SharedRecord:
    with db.reading() as s:
        return s.get_one(SharedRecord, note_id)


def _actions(db: Database, note_id: uuid.UUID) -> list[str]:
    with db.reading() as s:
        return list(
            s.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.target_id == str(note_id))
                .order_by(AuditEntry.seq)
            )
        )


def _sees(db: Database, person: Person) -> set[uuid.UUID]:
    with db.reading() as s:
        return access.visible_ids(s, access.viewer_of(s, actor_of(person), AT), AT)


def test_a_new_note_is_a_shared_record_with_derived_categories(db: Database, world: World) -> None:
    note_id = make_note(
        db,
        world.officer,
        tlp=Tlp.AMBER,
        title="Shoplifting ring at Harbour Point",
        body="Two people  took\nperfume from the ground-floor shop. " * 20,
        personal_details="A woman in her thirties, red jacket; a man with a limp.",
        categories=[Category.PERSON_LOCATION],
        place=PORT_CITY,
    )
    record = _record(db, note_id)
    assert record.kind == "note"
    assert record.owner_org_id == world.police.id
    assert record.author_id == world.officer.id
    assert record.categories == {
        Category.GENERAL,
        Category.PERSONAL_DATA,
        Category.PERSON_LOCATION,
    }
    assert record.summary.startswith("Two people took perfume")  # one line, whole words
    assert record.summary.endswith("…")
    assert len(record.summary) <= 281
    assert (record.lat, record.lon) == (37.95, -121.29)
    with db.reading() as s:
        note = s.get_one(Note, note_id)
    assert note.declared == {Category.PERSON_LOCATION}
    assert _actions(db, note_id) == ["note.created"]


def test_creating_publishes_the_id_after_the_commit(db: Database, world: World) -> None:
    bus = InProcessBus()

    async def scenario() -> Event | None:
        async with bus.subscribe("records.") as sub:
            created = await asyncio.to_thread(make_note, db, world.officer, bus=bus)
            event = await sub.next(5)
            assert event is not None
            assert event.data == {"id": str(created), "kind": "note"}
            # The subscriber can already read what the event names: it was committed first.
            with db.reading() as s:
                assert s.get(Note, created) is not None
            return event

    # A loop of its own, in a thread: the browser tests keep one running in the main thread.
    with ThreadPoolExecutor(1) as runner:
        event = runner.submit(asyncio.run, scenario()).result(timeout=30)
    assert event is not None
    assert event.topic == "records.created"


@pytest.mark.parametrize("who", ["viewer", "unvetted"])
def test_viewers_and_unvetted_members_do_not_share(db: Database, world: World, who: str) -> None:
    author = world.viewer
    if who == "unvetted":
        author = make_person(db, make_org(db, "Bayside Alarm Monitoring", vetted=False))
    with pytest.raises(Forbidden):
        make_note(db, author)
    with db.reading() as s:
        assert s.scalar(select(SharedRecord.id)) is None


def test_blank_text_is_refused_with_the_field(db: Database, world: World) -> None:
    with pytest.raises(Invalid) as caught:
        make_note(db, world.officer, body="   ")
    assert caught.value.extensions["errors"][0]["field"] == "body"


def test_criminal_justice_information_needs_clearance(db: Database, world: World) -> None:
    with pytest.raises(Forbidden):
        make_note(db, world.officer, body_category=Category.CJI)
    cji_only = make_note(db, world.detective, body_category=Category.CJI, tlp=Tlp.AMBER)
    assert cji_only not in _sees(db, world.sergeant)  # nothing in it they may read
    note_id = make_note(
        db,
        world.detective,
        body_category=Category.CJI,
        personal_details="Wanted on a county warrant: Jo Example.",
        tlp=Tlp.AMBER,
    )
    # The department's uncleared administrator sees the note, not its body, and cannot edit it.
    read = queries.read_note(db, actor_of(world.sergeant), note_id, None, AT)
    assert read.body.category is Category.CJI  # type: ignore[union-attr]
    assert read.body.reason == "CJI clearance required"  # type: ignore[union-attr]
    with pytest.raises(Forbidden):
        service.update_note(
            db,
            InProcessBus(),
            actor=actor_of(world.sergeant),
            at=AT,
            note_id=note_id,
            body="overwritten",
        )


def test_the_author_and_the_admin_edit_others_do_not(db: Database, world: World) -> None:
    note_id = make_note(db, world.officer, tlp=Tlp.GREEN)
    bus = InProcessBus()
    service.update_note(
        db, bus, actor=actor_of(world.officer), at=AT, note_id=note_id, title="Van seen again"
    )
    service.update_note(
        db,
        bus,
        actor=actor_of(world.sergeant),
        at=AT,
        note_id=note_id,
        body="A grey van, plate partly read: 7AB.",
        personal_details="Driver: tall man, grey beard.",
    )
    record = _record(db, note_id)
    assert record.title == "Van seen again"
    assert record.summary == "A grey van, plate partly read: 7AB."
    assert Category.PERSONAL_DATA in record.categories
    with pytest.raises(Forbidden):  # a colleague who did not write it
        service.update_note(
            db, bus, actor=actor_of(world.detective), at=AT, note_id=note_id, title="x"
        )
    with pytest.raises(Forbidden):  # a partner who sees it (GREEN)
        service.update_note(db, bus, actor=actor_of(world.guard), at=AT, note_id=note_id, title="x")
    amber = make_note(db, world.officer, tlp=Tlp.AMBER)
    with pytest.raises(NotFound):  # one who does not see it
        service.update_note(db, bus, actor=actor_of(world.guard), at=AT, note_id=amber, title="x")
    # Removing the personal details removes the category again.
    service.update_note(
        db, bus, actor=actor_of(world.officer), at=AT, note_id=note_id, personal_details=""
    )
    assert _record(db, note_id).categories == {Category.GENERAL}
    assert _actions(db, note_id) == ["note.created", "note.updated", "note.updated", "note.updated"]


def test_attachments_add_their_category_to_the_record(db: Database, world: World) -> None:
    note_id = make_note(db, world.officer, tlp=Tlp.AMBER)
    footage = b"\x00\x00\x00\x18ftypmp42" + b"\x01" * 2000
    attachment = service.add_attachment(
        db,
        InProcessBus(),
        actor=actor_of(world.officer),
        at=AT,
        note_id=note_id,
        filename="../../dock camera 3.mp4",
        media_type="video/mp4; codecs=avc1",
        content=footage,
        category=Category.VIDEO,
        max_bytes=MB,
    )
    assert attachment.filename == "dock camera 3.mp4"
    assert attachment.media_type == "video/mp4"
    assert attachment.sha256 == hashlib.sha256(footage).hexdigest()
    assert attachment.size == len(footage)
    assert _record(db, note_id).categories == {Category.GENERAL, Category.VIDEO}
    with pytest.raises(Exception, match="larger than"):
        service.add_attachment(
            db,
            InProcessBus(),
            actor=actor_of(world.officer),
            at=AT,
            note_id=note_id,
            filename="big.bin",
            media_type=None,
            content=b"x" * 2048,
            category=Category.GENERAL,
            max_bytes=1024,
        )
    with pytest.raises(Forbidden):
        service.add_attachment(
            db,
            InProcessBus(),
            actor=actor_of(world.officer),
            at=AT,
            note_id=note_id,
            filename="record.pdf",
            media_type="application/pdf",
            content=b"%PDF",
            category=Category.CJI,
            max_bytes=MB,
        )


def test_redaction_under_an_agreement_and_purpose_bound_reads(db: Database, world: World) -> None:
    agreement = make_grant(db, [world.police, world.guards], covered=[Category.GENERAL])
    note_id = make_note(
        db,
        world.officer,
        tlp=Tlp.AMBER,
        personal_details="Suspect: Jo Example, 34.",
    )
    video = service.add_attachment(
        db,
        InProcessBus(),
        actor=actor_of(world.officer),
        at=AT,
        note_id=note_id,
        filename="dock.mp4",
        media_type="video/mp4",
        content=b"footage",
        category=Category.VIDEO,
        max_bytes=MB,
    )
    guard = actor_of(world.guard)
    with pytest.raises(PurposeRequired) as caught:
        queries.read_note(db, guard, note_id, None, AT)
    assert set(caught.value.extensions["purposes"]) == {"crime_prevention", "investigation"}
    read = queries.read_note(db, guard, note_id, Purpose.INVESTIGATION, AT)
    assert read.body.startswith("A grey van")  # type: ignore[union-attr]
    assert read.personal_details.model_dump() == {  # type: ignore[union-attr]
        "redacted": True,
        "category": "personal_data",
        "reason": 'Not covered by agreement "Retail information sharing" (version 1)',
    }
    [masked] = read.attachments
    assert masked.redacted is not None
    assert masked.filename is None
    assert masked.href is None
    assert read.why.agreement_id == agreement
    assert read.recipients is None  # the owner's business
    assert read.author is None
    with pytest.raises(Forbidden, match="redacted"):
        queries.open_attachment(db, guard, note_id, video.id, Purpose.INVESTIGATION, AT)
    assert _actions(db, note_id).count("record.read_restricted") == 1
    # The owner reads everything, with no purpose and no audit entry.
    own = queries.read_note(db, actor_of(world.officer), note_id, None, AT)
    assert own.personal_details == "Suspect: Jo Example, 34."
    download = queries.open_attachment(db, actor_of(world.officer), note_id, video.id, None, AT)
    assert download.content == b"footage"
    assert _actions(db, note_id).count("record.read_restricted") == 1


def test_a_refused_read_is_kept_for_the_agreement(db: Database, world: World) -> None:
    agreement = make_grant(db, [world.police, world.guards])
    note_id = make_note(db, world.officer, tlp=Tlp.AMBER)
    with db.transaction() as s:
        set_grant_state(s, agreement, GrantState.TERMINATED, at=AT)
    with pytest.raises(NotFound):
        queries.read_note(db, actor_of(world.guard), note_id, Purpose.INVESTIGATION, AT)
    with db.reading() as s:
        refused = s.scalars(select(SharingRead).where(SharingRead.outcome == "refused")).all()
    assert [r.agreement_id for r in refused] == [agreement]


def test_withdrawing_deletes_the_note_for_everyone(db: Database, world: World) -> None:
    note_id = make_note(db, world.officer, tlp=Tlp.GREEN)
    service.add_attachment(
        db,
        InProcessBus(),
        actor=actor_of(world.officer),
        at=AT,
        note_id=note_id,
        filename="a.txt",
        media_type="text/plain",
        content=b"a",
        category=Category.GENERAL,
        max_bytes=MB,
    )
    assert note_id in _sees(db, world.guard)
    with pytest.raises(Forbidden):
        service.withdraw_note(
            db, InProcessBus(), actor=actor_of(world.guard), at=AT, note_id=note_id
        )
    service.withdraw_note(
        db, InProcessBus(), actor=actor_of(world.sergeant), at=AT, note_id=note_id
    )
    assert note_id not in _sees(db, world.guard)
    with db.reading() as s:
        assert s.get(Note, note_id) is None
        assert s.scalar(select(NoteAttachment.id)) is None
    assert _actions(db, note_id)[-1] == "note.withdrawn"


def test_recipients_and_marking_decide_who_sees(db: Database, world: World) -> None:
    bus = InProcessBus()
    officer = actor_of(world.officer)
    note_id = make_note(db, world.officer, tlp=Tlp.AMBER_STRICT)
    assert note_id not in _sees(db, world.guard)
    service.add_note_recipients(
        db, bus, actor=officer, at=AT, note_id=note_id, recipients=[to_org(world.guards)]
    )
    assert note_id in _sees(db, world.guard)
    with pytest.raises(Invalid):  # AMBER+STRICT addresses organizations only
        service.add_note_recipients(
            db, bus, actor=officer, at=AT, note_id=note_id, recipients=[to_person(world.stranger)]
        )
    with pytest.raises(Forbidden):  # a recipient does not pass it on without an agreement
        service.add_note_recipients(
            db,
            bus,
            actor=actor_of(world.guard),
            at=AT,
            note_id=note_id,
            recipients=[to_org(world.outsider)],
        )
    with pytest.raises(Invalid):  # RED cannot keep an organization as recipient
        service.change_note_marking(db, bus, actor=officer, at=AT, note_id=note_id, tlp=Tlp.RED)
    service.remove_note_recipient(
        db, bus, actor=officer, at=AT, note_id=note_id, recipient=to_org(world.guards)
    )
    assert note_id not in _sees(db, world.guard)
    service.change_note_marking(db, bus, actor=officer, at=AT, note_id=note_id, tlp=Tlp.GREEN)
    assert note_id in _sees(db, world.guard)
    assert note_id in _sees(db, world.stranger)
    assert _actions(db, note_id) == [
        "note.created",
        "note.recipients_added",
        "note.recipient_removed",
        "note.marking_changed",
    ]


def test_notes_list_only_what_the_viewer_may_see(db: Database, world: World) -> None:
    green = make_note(db, world.officer, tlp=Tlp.GREEN)
    amber = make_note(db, world.officer, tlp=Tlp.AMBER)
    red = make_note(db, world.officer, tlp=Tlp.RED, recipients=[to_person(world.guard)])
    with db.reading() as s:
        guard = queries.list_notes(s, actor_of(world.guard), AT, access.FeedQuery())
        stranger = queries.list_notes(s, actor_of(world.stranger), AT, access.FeedQuery())
    assert {i.id for i in guard.items} == {green, red}
    assert {i.id for i in stranger.items} == {green}
    assert amber not in {i.id for i in guard.items}
