"""Fixtures of the auth integration tests: an organization, audit look-ups, a quick enrolment."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from tests.factories import port_city_police

from accord.auth.service import TOTP_CONTEXT
from accord.core.audit.service import list_entries
from accord.core.db import Database
from accord.core.security import FieldCipher, new_totp_secret
from accord.orgs.models import Organization, Person
from accord.settings import Settings

AuditLookup = Callable[[Person], list[tuple[str, dict[str, object]]]]
Enrol = Callable[[Person, datetime], str]


@pytest.fixture
def org(db: Database) -> Organization:
    return port_city_police(db)


@pytest.fixture
def audit_of(db: Database) -> AuditLookup:
    """The `auth.*` audit entries about a person, oldest first, as (action, details)."""

    def lookup(person: Person) -> list[tuple[str, dict[str, object]]]:
        with db.reading() as s:
            page = list_entries(
                s, action_prefix="auth", target_type="person", target_id=str(person.id), limit=200
            )
            return [(e.action, dict(e.details)) for e in reversed(page.items)]

    return lookup


@pytest.fixture
def enrol_directly(db: Database, settings: Settings) -> Enrol:
    """Give a person an authenticator without the sign-in flow (and without recovery codes).

    Enrolment through the service hashes ten recovery codes with argon2id (seconds); tests of
    verification only need the sealed secret in place.
    """

    def enrol(person: Person, at: datetime) -> str:
        secret = new_totp_secret()
        sealed = FieldCipher(settings.effective_field_key_path).seal(
            secret, TOTP_CONTEXT + str(person.id)
        )
        with db.transaction() as s:
            row = s.get_one(Person, person.id)
            row.totp_secret_enc = sealed
            row.mfa_enabled_at = at
        return secret

    return enrol
