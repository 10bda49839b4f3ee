"""Agreements for tests, made through the agreements service: drafted, proposed, signed, ..."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pyotp
from sqlalchemy import select
from tests.factories import AT, actor_of, make_person

from accord.agreements import service, signing
from accord.agreements.domain import AgreementKind, Terms
from accord.auth.service import TOTP_CONTEXT
from accord.core.db import Database
from accord.core.security import TOTP_PERIOD, FieldCipher, new_totp_secret
from accord.orgs.domain import Role
from accord.orgs.models import Organization, Person
from accord.settings import Settings
from accord.sharing.domain import Category, Purpose, Tlp

__all__ = [
    "STATUSES",
    "admin_of",
    "code_for",
    "enrol_mfa",
    "make_agreement",
    "standard_terms",
]

STATUSES = ("draft", "proposed", "active", "suspended", "terminated")


def standard_terms(at: datetime = AT, **changes: Any) -> Terms:
    """Information sharing of general and personal data for investigations, for a year."""
    values: dict[str, Any] = {
        "covered": frozenset({Category.GENERAL, Category.PERSONAL_DATA}),
        "purposes": frozenset({Purpose.INVESTIGATION, Purpose.CRIME_PREVENTION}),
        "tlp_ceiling": Tlp.AMBER,
        "effective_at": at - timedelta(days=1),
        "expires_at": at + timedelta(days=365),
    }
    values.update(changes)
    return Terms(**values)


def enrol_mfa(db: Database, settings: Settings, person: Person, at: datetime = AT) -> str:
    """Give `person` an authenticator directly (no recovery codes); returns the TOTP secret."""
    secret = new_totp_secret()
    sealed = FieldCipher(settings.effective_field_key_path).seal(
        secret, TOTP_CONTEXT + str(person.id)
    )
    with db.transaction() as s:
        row = s.get_one(Person, person.id)
        row.totp_secret_enc = sealed
        row.mfa_enabled_at = at
        row.totp_last_step = None
    return secret


def code_for(secret: str, at: datetime) -> str:
    """The code an authenticator shows at `at`."""
    return pyotp.TOTP(secret, interval=TOTP_PERIOD).at(at)


def admin_of(db: Database, org: Organization) -> Person:
    """An organization admin of `org`: the first there is, or a new one."""
    with db.reading() as s:
        found = s.scalars(
            select(Person)
            .where(Person.org_id == org.id, Person.role == Role.ORG_ADMIN)
            .order_by(Person.created_at, Person.id)
            .limit(1)
        ).first()
    return found or make_person(db, org, role=Role.ORG_ADMIN)


def _sign_as(
    db: Database,
    settings: Settings,
    person: Person,
    agreement_id: uuid.UUID,
    digest: str,
    at: datetime,
) -> None:
    secret = enrol_mfa(db, settings, person, at)
    signing.sign(
        db,
        settings,
        actor=actor_of(person),
        at=at,
        agreement_id=agreement_id,
        digest=digest,
        code=code_for(secret, at),
    )


def make_agreement(
    db: Database,
    settings: Settings,
    *,
    parties: Sequence[Organization],
    status: str = "active",
    terms: Terms | None = None,
    title: str = "Port City retail information sharing",
    kind: AgreementKind = AgreementKind.INFORMATION_SHARING,
    at: datetime = AT,
    reason: str = "test world",
) -> uuid.UUID:
    """An agreement between `parties` in `status`, taken there through the service."""
    if status not in STATUSES:
        msg = f"status must be one of {STATUSES}"
        raise ValueError(msg)
    drafter = admin_of(db, parties[0])
    actor = actor_of(drafter)
    agreement_id = service.draft_agreement(
        db,
        actor=actor,
        at=at,
        kind=kind,
        title=title,
        terms=terms or standard_terms(at),
        organizations=[p.id for p in parties],
    )
    if status == "draft":
        return agreement_id
    digest = service.propose(db, actor=actor, at=at, agreement_id=agreement_id)
    if status == "proposed":
        return agreement_id
    for org in parties:
        _sign_as(db, settings, admin_of(db, org), agreement_id, digest, at)
    if status in ("suspended", "terminated"):
        change = service.suspend if status == "suspended" else service.terminate
        change(db, actor=actor, at=at, agreement_id=agreement_id, reason=reason)
    return agreement_id
