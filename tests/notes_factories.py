"""Notes and enforced agreement terms for tests, made through the service functions."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from tests.factories import AT, actor_of

from accord.core.bus import Bus, InProcessBus
from accord.core.db import Database
from accord.notes import service
from accord.orgs.models import Group, Organization, Person
from accord.sharing.domain import Category, GrantState, Purpose, RecipientKind, Tlp
from accord.sharing.service import GrantTerms, Place, Recipient, put_grant

__all__ = [
    "PORT_CITY",
    "make_grant",
    "make_note",
    "to_group",
    "to_org",
    "to_person",
]

# The demo city's centre (fictional Port City).
PORT_CITY = Place(lat=37.95, lon=-121.29)

_numbers = itertools.count(1)


def to_org(org: Organization) -> Recipient:
    return Recipient(RecipientKind.ORGANIZATION, org.id)


def to_group(group: Group) -> Recipient:
    return Recipient(RecipientKind.GROUP, group.id)


def to_person(person: Person) -> Recipient:
    return Recipient(RecipientKind.PERSON, person.id)


def make_note(
    db: Database,
    author: Person,
    *,
    tlp: Tlp = Tlp.GREEN,
    title: str | None = None,
    body: str = "A grey van was seen circling the loading dock twice after closing time.",
    body_category: Category = Category.GENERAL,
    personal_details: str = "",
    categories: Iterable[Category] = (),
    recipients: Sequence[Recipient] = (),
    place: Place | None = None,
    at: datetime | None = None,
    bus: Bus | None = None,
) -> uuid.UUID:
    """A note shared by `author` (as the console would), returning its id."""
    return service.create_note(
        db,
        bus or InProcessBus(),
        actor=actor_of(author),
        at=at or AT,
        title=title or f"Note {next(_numbers)}",
        body=body,
        tlp=tlp,
        body_category=body_category,
        personal_details=personal_details,
        categories=categories,
        recipients=recipients,
        place=place,
    )


def make_grant(
    db: Database,
    parties: Iterable[Organization],
    *,
    title: str = "Retail information sharing",
    version: int = 1,
    covered: Iterable[Category] = (Category.GENERAL,),
    sensitive: Iterable[Category] = (),
    purposes: Iterable[Purpose] = (Purpose.INVESTIGATION, Purpose.CRIME_PREVENTION),
    tlp_ceiling: Tlp = Tlp.AMBER,
    effective_at: datetime | None = None,
    expires_at: datetime | None = None,
    retention_days: int | None = None,
    area: dict[str, Any] | None = None,
    onward_sharing: bool = False,
    state: GrantState = GrantState.ACTIVE,
    at: datetime | None = None,
) -> uuid.UUID:
    """The enforced terms of an agreement in force between `parties` (as signing would make)."""
    agreement_id = uuid.uuid4()
    terms = GrantTerms(
        agreement_id=agreement_id,
        title=title,
        version=version,
        parties=frozenset(p.id for p in parties),
        tlp_ceiling=tlp_ceiling,
        covered=frozenset(covered),
        sensitive=frozenset(sensitive),
        purposes=frozenset(purposes),
        effective_at=effective_at or AT - timedelta(days=1),
        expires_at=expires_at,
        retention_days=retention_days,
        area=area,
        onward_sharing=onward_sharing,
    )
    with db.transaction() as s:
        put_grant(s, terms, state=state, at=at or AT)
    return agreement_id
