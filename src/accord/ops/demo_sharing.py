"""The demo world's shared notes and an agreement awaiting signature, made by the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from accord.agreements import service as agreements
from accord.agreements.domain import AgreementKind, Terms
from accord.agreements.models import Agreement
from accord.core.bus import InProcessBus
from accord.core.db import Database
from accord.notes.service import create_note
from accord.ops.demo_orgs import demo_id, org_by_key
from accord.sharing.domain import Category, Purpose, RecipientKind, Tlp
from accord.sharing.models import SharedRecord
from accord.sharing.service import Place, Recipient

__all__ = ["DEMO_AGREEMENT_TITLE", "seed_sharing"]

DEMO_AGREEMENT_TITLE = "Waterfront information sharing"


@dataclass(frozen=True)
class DemoNote:
    author: str  # e-mail of a demo person
    days: int  # after the demo base instant
    tlp: Tlp
    title: str
    body: str
    place: tuple[float, float] | None = None
    body_category: Category = Category.GENERAL
    personal_details: str = ""
    to_orgs: tuple[str, ...] = ()
    to_group: bool = False
    to_people: tuple[str, ...] = ()


DEMO_NOTES: tuple[DemoNote, ...] = (
    DemoNote(
        "luis.ortega@deltacounty-oes.example", 70, Tlp.CLEAR,
        "Sandbag stations open before the weekend storm",
        "Self-serve sandbag stations are open at the county fairgrounds and Fire Station 2 from "
        "Friday 07:00. Please point residents and tenants to them.",
        place=(37.9358, -121.2699),
    ),
    DemoNote(
        "karen.liu@portcitypd.example", 72, Tlp.GREEN,
        "Catalytic converter thefts on the Miracle Mile",
        "Six catalytic converter thefts from parked vehicles on Pacific Avenue between 01:00 and "
        "04:00 in two weeks. Partners with cameras on the avenue: please keep overnight footage "
        "for 30 days.",
        place=(37.9718, -121.3105),
    ),
    DemoNote(
        "victor.salinas@sentinelpatrol.example", 73, Tlp.GREEN,
        "Cut fence at the rail yard on Weber Avenue",
        "Our patrol found the east fence of the rail yard cut about 2 m wide at 03:40. Owner "
        "notified; temporary panel in place.",
        place=(37.9536, -121.2826),
    ),
    DemoNote(
        "monica.hale@deltacrossing.example", 74, Tlp.AMBER,
        "Organized retail theft crew: three stores in one evening",
        "A crew of three hit three apparel stores between 18:10 and 18:50, leaving by the north "
        "lot in a dark grey minivan. Council members: please brief your officers.",
        place=(37.9935, -121.3121),
        personal_details="One suspect: man about 25, red hoodie, white sneakers, tattoo on the "
        "left hand.",
        to_group=True,
    ),
    DemoNote(
        "karen.liu@portcitypd.example", 75, Tlp.AMBER_STRICT,
        "Access-control concern at terminal gate 3",
        "Tailgating observed twice at gate 3 during the 06:00 shift change. Terminal security "
        "and Harborline only; please review the gate procedure.",
        place=(37.9470, -121.3230),
        body_category=Category.CRITICAL_INFRASTRUCTURE,
        to_orgs=("terminal", "harborline"),
    ),
    DemoNote(
        "karen.liu@portcitypd.example", 76, Tlp.AMBER,
        "Vehicle casing ATMs downtown",
        "A white pickup with a ladder rack was seen stopping at four downtown ATMs after "
        "midnight. Guard companies patrolling downtown: report sightings to the watch commander.",
        place=(37.9577, -121.2908),
        personal_details="Driver: woman about 40, short grey hair; plate partly read as 8K.",
    ),
    DemoNote(
        "karen.liu@portcitypd.example", 77, Tlp.RED,
        "Source debrief: planned protest at the port",
        "For Lt. Bell only: a source reports a plan to block terminal gates next Saturday.",
        to_people=("marcus.bell@portcitypd.example",),
    ),
)  # fmt: skip


def _recipients(note: DemoNote) -> list[Recipient]:
    from accord.ops.demo import DEMO_GROUP_NAME, person_by_email

    found = [Recipient(RecipientKind.ORGANIZATION, org_by_key(k).id) for k in note.to_orgs]
    if note.to_group:
        found.append(Recipient(RecipientKind.GROUP, demo_id("group", DEMO_GROUP_NAME)))
    found += [Recipient(RecipientKind.PERSON, person_by_email(e).id) for e in note.to_people]
    return found


def _create_notes(db: Database, base: datetime) -> int:
    from accord.ops.demo import person_by_email

    owners = [org_by_key(k).id for k in ("oes", "police", "sentinel", "mall")]
    with db.reading() as s:
        existing = s.scalar(
            select(func.count())
            .select_from(SharedRecord)
            .where(SharedRecord.owner_org_id.in_(owners))
        )
    if existing:
        return 0
    bus = InProcessBus()  # nobody listens while the demo world is built
    for note in DEMO_NOTES:
        place = None if note.place is None else Place(lat=note.place[0], lon=note.place[1])
        author = person_by_email(note.author).actor()
        create_note(
            db, bus, actor=author, at=base + timedelta(days=note.days),
            title=note.title, body=note.body, tlp=note.tlp, body_category=note.body_category,
            personal_details=note.personal_details, recipients=_recipients(note), place=place,
        )  # fmt: skip
    return len(DEMO_NOTES)


def _propose_agreement(db: Database, base: datetime, now: datetime) -> int:
    """Police and Harborline: drafted and proposed by the coordinator, awaiting both signatures."""
    from accord.ops.demo import DEMO_ADMIN_EMAIL, person_by_email

    with db.reading() as s:
        if s.scalar(select(Agreement.id).where(Agreement.title == DEMO_AGREEMENT_TITLE)):
            return 0
    coordinator = person_by_email(DEMO_ADMIN_EMAIL).actor()
    at = base + timedelta(days=78)
    terms = Terms(
        covered=frozenset({Category.GENERAL, Category.CRITICAL_INFRASTRUCTURE}),
        purposes=frozenset(
            {Purpose.INVESTIGATION, Purpose.CRIME_PREVENTION, Purpose.SITUATIONAL_AWARENESS}
        ),
        tlp_ceiling=Tlp.AMBER,
        effective_at=at,
        expires_at=max(now, at) + timedelta(days=365),
        retention_days=180,
        jurisdiction_notes="Port City limits and the port district.",
    )
    agreement_id = agreements.draft_agreement(
        db, actor=coordinator, at=at, kind=AgreementKind.INFORMATION_SHARING,
        title=DEMO_AGREEMENT_TITLE, terms=terms,
        organizations=[org_by_key("police").id, org_by_key("harborline").id],
    )  # fmt: skip
    agreements.propose(db, actor=coordinator, at=at + timedelta(hours=1), agreement_id=agreement_id)
    return 1


def seed_sharing(db: Database, *, base: datetime, now: datetime) -> int:
    """The demo's notes of every marking and one proposed agreement; 0 when already there."""
    return _create_notes(db, base) + _propose_agreement(db, base, now)
