"""Start-up refuses to mint new keys over data that depends on the old ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update
from tests.conftest import MutableClock
from tests.factories import make_org, make_person

from accord.core.audit.service import record
from accord.core.db import Database
from accord.core.errors import Conflict
from accord.core.security import FieldCipher
from accord.ops.server import check_key_files
from accord.orgs.models import Person
from accord.settings import Settings


def _moved(settings: Settings, tmp_path: Path, **paths: Path) -> Settings:
    return Settings(**{**settings.model_dump(), **paths})


def test_an_empty_world_may_start_without_keys(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    moved = _moved(
        settings,
        tmp_path,
        audit_key_path=tmp_path / "none.pem",
        field_key_path=tmp_path / "none.key",
    )
    check_key_files(db, moved)


def test_a_missing_audit_key_under_an_existing_log_stops_start_up(
    db: Database, settings: Settings, clock: MutableClock, tmp_path: Path
) -> None:
    with db.transaction() as s:
        record(s, action="test.entry", at=clock())
    check_key_files(db, settings)
    missing = tmp_path / "lost" / "audit-ed25519.pem"
    with pytest.raises(Conflict, match=r"signing key .*lost/audit-ed25519\.pem is missing"):
        check_key_files(db, _moved(settings, tmp_path, audit_key_path=missing))


def test_a_missing_field_key_under_sealed_mfa_secrets_stops_start_up(
    db: Database, settings: Settings, clock: MutableClock, tmp_path: Path
) -> None:
    person = make_person(db, make_org(db))
    sealed = FieldCipher(settings.effective_field_key_path).seal("JBSWY3DPEHPK3PXP", "totp:x")
    with db.transaction() as s:
        s.execute(update(Person).where(Person.id == person.id).values(totp_secret_enc=sealed))
    check_key_files(db, settings)
    missing = tmp_path / "lost" / "fields.key"
    with pytest.raises(Conflict, match=r"1 accounts have MFA secrets sealed with .*fields\.key"):
        check_key_files(db, _moved(settings, tmp_path, field_key_path=missing))
