"""Two-step sign-in: who must use TOTP, enrolment, verification, replay, recovery codes, reset."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pyotp
import pytest
from sqlalchemy import select
from tests.factories import DEFAULT_PASSWORD, actor_of, harbour_mall, make_person

from accord.auth import service
from accord.auth.domain import MfaStep
from accord.auth.models import RecoveryCode, WebSession
from accord.auth.sessions import resolve_session
from accord.core.db import Database
from accord.core.errors import AccordError, Conflict, Invalid, Unauthorized
from accord.core.security import TOTP_PERIOD, hash_password, new_recovery_codes
from accord.orgs.domain import Role
from accord.orgs.models import Organization, Person
from accord.settings import Settings

if TYPE_CHECKING:
    from tests.conftest import MutableClock

AuditLookup = Callable[[Person], list[tuple[str, dict[str, object]]]]
Enrol = Callable[[Person, datetime], str]
RECOVERY_CODE = re.compile(r"^[2-9a-hjkmnp-z]{4}-[2-9a-hjkmnp-z]{4}-[2-9a-hjkmnp-z]{4}$")


def _code(secret: str, at: datetime) -> str:
    return pyotp.TOTP(secret, interval=TOTP_PERIOD).at(at)


def _sign_in(db: Database, settings: Settings, person: Person, at: datetime) -> service.SignIn:
    return service.sign_in(db, settings, email=person.email, password=DEFAULT_PASSWORD, at=at)


def _session(db: Database, session_id: object) -> WebSession:
    with db.reading() as s:
        return s.get_one(WebSession, session_id)


def _person(db: Database, person: Person) -> Person:
    with db.reading() as s:
        return s.get_one(Person, person.id)


def test_platform_admins_must_enrol_before_their_session_counts(
    db: Database, settings: Settings, clock: MutableClock, org: Organization
) -> None:
    admin = make_person(db, org, role=Role.PLATFORM_ADMIN)
    result = _sign_in(db, settings, admin, clock())
    assert result.mfa_step is MfaStep.ENROL
    assert not _session(db, result.session.id).mfa_passed
    assert _person(db, admin).last_sign_in_at is None


def test_cji_cleared_accounts_must_enrol_whatever_their_role(
    db: Database, settings: Settings, clock: MutableClock, org: Organization
) -> None:
    analyst = make_person(db, org, role=Role.ANALYST, cji_cleared=True)
    assert _sign_in(db, settings, analyst, clock()).mfa_step is MfaStep.ENROL


def test_the_operator_can_require_mfa_of_more_roles(
    db: Database, settings: Settings, clock: MutableClock, org: Organization
) -> None:
    dispatcher = make_person(db, org, role=Role.DISPATCHER)
    assert _sign_in(db, settings, dispatcher, clock()).mfa_step is MfaStep.NONE
    stricter = settings.model_copy(update={"mfa_required_roles": ("platform_admin", "dispatcher")})
    assert _sign_in(db, stricter, dispatcher, clock()).mfa_step is MfaStep.ENROL


def test_enrolment_with_a_code_from_the_secret_completes_sign_in_and_gives_recovery_codes(
    db: Database, settings: Settings, clock: MutableClock, org: Organization, audit_of: AuditLookup
) -> None:
    admin = make_person(db, org, role=Role.PLATFORM_ADMIN)
    result = _sign_in(db, settings, admin, clock())
    enrolment = service.begin_mfa_enrolment(db, settings, session_id=result.session.id, at=clock())
    assert pyotp.parse_uri(enrolment.uri).secret == enrolment.secret
    assert admin.email.replace("@", "%40") in enrolment.uri

    codes = service.confirm_mfa_enrolment(
        db,
        settings,
        session_id=result.session.id,
        code=_code(enrolment.secret, clock()),
        at=clock(),
    )

    assert len(codes) == 10
    assert all(RECOVERY_CODE.fullmatch(c) for c in codes)
    row = _person(db, admin)
    assert row.mfa_enabled
    assert row.totp_secret_enc is not None
    assert enrolment.secret not in row.totp_secret_enc  # sealed at rest
    assert row.last_sign_in_at == clock()
    session = _session(db, result.session.id)
    assert session.mfa_passed
    assert session.pending_totp_enc is None
    with db.reading() as s:
        stored = s.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.person_id == admin.id))
        hashes = list(stored)
    assert len(hashes) == 10
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert not set(codes) & set(hashes)
    assert ("auth.mfa.enrolled", {"replaced": False}) in audit_of(admin)

    clock.advance(seconds=TOTP_PERIOD)
    again = _sign_in(db, settings, admin, clock())
    assert again.mfa_step is MfaStep.VERIFY
    service.verify_mfa(db, settings, session_id=again.session.id, code=codes[0], at=clock())
    assert _session(db, again.session.id).mfa_passed


def test_a_wrong_code_does_not_enrol(
    db: Database, settings: Settings, clock: MutableClock, org: Organization
) -> None:
    admin = make_person(db, org, role=Role.PLATFORM_ADMIN)
    result = _sign_in(db, settings, admin, clock())
    enrolment = service.begin_mfa_enrolment(db, settings, session_id=result.session.id, at=clock())
    wrong = _code(enrolment.secret, clock() + timedelta(minutes=5))
    with pytest.raises(Invalid):
        service.confirm_mfa_enrolment(
            db, settings, session_id=result.session.id, code=wrong, at=clock()
        )
    assert not _person(db, admin).mfa_enabled
    assert not _session(db, result.session.id).mfa_passed


def test_confirming_without_a_pending_secret_is_a_conflict(
    db: Database, settings: Settings, clock: MutableClock, org: Organization
) -> None:
    admin = make_person(db, org, role=Role.PLATFORM_ADMIN)
    result = _sign_in(db, settings, admin, clock())
    with pytest.raises(Conflict):
        service.confirm_mfa_enrolment(
            db, settings, session_id=result.session.id, code="123456", at=clock()
        )


def test_a_code_from_the_authenticator_completes_sign_in(
    db: Database,
    settings: Settings,
    clock: MutableClock,
    org: Organization,
    enrol_directly: Enrol,
    audit_of: AuditLookup,
) -> None:
    person = make_person(db, org, cji_cleared=True)
    secret = enrol_directly(person, clock())
    result = _sign_in(db, settings, person, clock())
    assert result.mfa_step is MfaStep.VERIFY
    assert resolve_session(db, settings, result.secret, at=clock()) is not None
    assert not _session(db, result.session.id).mfa_passed

    service.verify_mfa(
        db, settings, session_id=result.session.id, code=_code(secret, clock()), at=clock()
    )

    assert _session(db, result.session.id).mfa_passed
    assert _person(db, person).last_sign_in_at == clock()
    assert ("auth.mfa.verified", {"recovery_code": False}) in audit_of(person)


def test_a_code_one_step_behind_is_accepted_for_clock_drift(
    db: Database, settings: Settings, clock: MutableClock, org: Organization, enrol_directly: Enrol
) -> None:
    person = make_person(db, org)
    secret = enrol_directly(person, clock())
    result = _sign_in(db, settings, person, clock())
    late = _code(secret, clock() - timedelta(seconds=TOTP_PERIOD))
    service.verify_mfa(db, settings, session_id=result.session.id, code=late, at=clock())
    assert _session(db, result.session.id).mfa_passed


def test_a_totp_code_cannot_be_used_twice(
    db: Database, settings: Settings, clock: MutableClock, org: Organization, enrol_directly: Enrol
) -> None:
    person = make_person(db, org)
    secret = enrol_directly(person, clock())
    code = _code(secret, clock())
    first = _sign_in(db, settings, person, clock())
    service.verify_mfa(db, settings, session_id=first.session.id, code=code, at=clock())

    clock.advance(seconds=10)  # same 30-second step, or the next: the code is still "current"
    second = _sign_in(db, settings, person, clock())
    with pytest.raises(Unauthorized):
        service.verify_mfa(db, settings, session_id=second.session.id, code=code, at=clock())
    assert not _session(db, second.session.id).mfa_passed

    clock.advance(seconds=TOTP_PERIOD)
    service.verify_mfa(
        db, settings, session_id=second.session.id, code=_code(secret, clock()), at=clock()
    )
    assert _session(db, second.session.id).mfa_passed


def test_wrong_codes_count_toward_the_lock(
    db: Database,
    settings: Settings,
    clock: MutableClock,
    org: Organization,
    enrol_directly: Enrol,
    audit_of: AuditLookup,
) -> None:
    person = make_person(db, org)
    secret = enrol_directly(person, clock())
    result = _sign_in(db, settings, person, clock())
    wrong = _code(secret, clock() + timedelta(minutes=10))
    for _ in range(5):
        with pytest.raises(Unauthorized):
            service.verify_mfa(db, settings, session_id=result.session.id, code=wrong, at=clock())
    assert _person(db, person).locked_at is not None
    assert "auth.account.locked" in [a for a, _ in audit_of(person)]
    # The lock ended the half-finished session too: even the right code cannot finish it now.
    with pytest.raises(Unauthorized):
        service.verify_mfa(
            db, settings, session_id=result.session.id, code=_code(secret, clock()), at=clock()
        )
    assert _session(db, result.session.id).end_reason == "locked"


def test_re_entering_the_password_does_not_reset_the_count_of_wrong_codes(
    db: Database, settings: Settings, clock: MutableClock, org: Organization, enrol_directly: Enrol
) -> None:
    # Otherwise someone who knows the password could guess codes without end, signing in
    # again before every fifth guess.
    person = make_person(db, org)
    secret = enrol_directly(person, clock())
    wrong = _code(secret, clock() + timedelta(minutes=10))
    first = _sign_in(db, settings, person, clock())
    for _ in range(4):
        with pytest.raises(Unauthorized):
            service.verify_mfa(db, settings, session_id=first.session.id, code=wrong, at=clock())
    clock.advance(seconds=1)
    second = _sign_in(db, settings, person, clock())
    with pytest.raises(Unauthorized):
        service.verify_mfa(db, settings, session_id=second.session.id, code=wrong, at=clock())
    assert _person(db, person).locked_at is not None


def test_a_verified_code_restarts_the_failure_count(
    db: Database, settings: Settings, clock: MutableClock, org: Organization, enrol_directly: Enrol
) -> None:
    person = make_person(db, org)
    secret = enrol_directly(person, clock())
    wrong = _code(secret, clock() + timedelta(minutes=10))
    first = _sign_in(db, settings, person, clock())
    for _ in range(4):
        with pytest.raises(Unauthorized):
            service.verify_mfa(db, settings, session_id=first.session.id, code=wrong, at=clock())
    service.verify_mfa(
        db, settings, session_id=first.session.id, code=_code(secret, clock()), at=clock()
    )
    clock.advance(seconds=TOTP_PERIOD)
    second = _sign_in(db, settings, person, clock())
    with pytest.raises(Unauthorized):
        service.verify_mfa(db, settings, session_id=second.session.id, code=wrong, at=clock())
    assert _person(db, person).locked_at is None


def test_a_pending_session_cannot_replace_an_enrolled_authenticator(
    db: Database, settings: Settings, clock: MutableClock, org: Organization, enrol_directly: Enrol
) -> None:
    # Someone who knows only the password must not get past the second factor by enrolling a
    # fresh authenticator of their own instead of entering a code from the existing one.
    person = make_person(db, org, cji_cleared=True)
    enrol_directly(person, clock())
    sealed_before = _person(db, person).totp_secret_enc
    result = _sign_in(db, settings, person, clock())
    assert result.mfa_step is MfaStep.VERIFY

    try:
        enrolment = service.begin_mfa_enrolment(
            db, settings, session_id=result.session.id, at=clock()
        )
        service.confirm_mfa_enrolment(
            db,
            settings,
            session_id=result.session.id,
            code=_code(enrolment.secret, clock()),
            at=clock(),
        )
    except AccordError:
        pass  # refused: what we want

    assert not _session(db, result.session.id).mfa_passed
    assert _person(db, person).totp_secret_enc == sealed_before


def test_a_recovery_code_works_once_only(
    db: Database,
    settings: Settings,
    clock: MutableClock,
    org: Organization,
    enrol_directly: Enrol,
    audit_of: AuditLookup,
) -> None:
    person = make_person(db, org, cji_cleared=True)
    enrol_directly(person, clock())
    codes = new_recovery_codes(2)  # two rows, not ten: each is an argon2id hash to check
    with db.transaction() as s:
        s.add_all(
            RecoveryCode(person_id=person.id, code_hash=hash_password(c), created_at=clock())
            for c in codes
        )

    first = _sign_in(db, settings, person, clock())
    typed = "  " + codes[0].upper() + " "  # read aloud, typed loosely
    service.verify_mfa(db, settings, session_id=first.session.id, code=typed, at=clock())
    assert _session(db, first.session.id).mfa_passed
    assert ("auth.mfa.verified", {"recovery_code": True}) in audit_of(person)

    clock.advance(minutes=1)
    second = _sign_in(db, settings, person, clock())
    with pytest.raises(Unauthorized):
        service.verify_mfa(db, settings, session_id=second.session.id, code=codes[0], at=clock())
    assert not _session(db, second.session.id).mfa_passed
    service.verify_mfa(db, settings, session_id=second.session.id, code=codes[1], at=clock())
    assert _session(db, second.session.id).mfa_passed
    with db.reading() as s:
        used_at = s.scalars(
            select(RecoveryCode.used_at).where(RecoveryCode.person_id == person.id)
        ).all()
    assert sorted(used_at) == [clock() - timedelta(minutes=1), clock()]


def test_verifying_without_an_enrolled_authenticator_is_a_conflict(
    db: Database, settings: Settings, clock: MutableClock, org: Organization
) -> None:
    admin = make_person(db, org, role=Role.PLATFORM_ADMIN)
    result = _sign_in(db, settings, admin, clock())
    with pytest.raises(Conflict):
        service.verify_mfa(db, settings, session_id=result.session.id, code="123456", at=clock())


def test_an_mfa_reset_clears_the_authenticator_and_ends_every_session(
    db: Database,
    settings: Settings,
    clock: MutableClock,
    org: Organization,
    enrol_directly: Enrol,
    audit_of: AuditLookup,
) -> None:
    admin = make_person(db, org, role=Role.ORG_ADMIN)
    person = make_person(db, org, cji_cleared=True)
    secret = enrol_directly(person, clock())
    sessions = []
    for _ in range(2):
        result = _sign_in(db, settings, person, clock())
        service.verify_mfa(
            db, settings, session_id=result.session.id, code=_code(secret, clock()), at=clock()
        )
        sessions.append(result)
        clock.advance(seconds=TOTP_PERIOD)

    service.reset_mfa(db, actor=actor_of(admin), person_id=person.id, at=clock())

    for result in sessions:
        assert resolve_session(db, settings, result.secret, at=clock()) is None
        assert _session(db, result.session.id).end_reason == "mfa_reset"
    row = _person(db, person)
    assert not row.mfa_enabled
    assert (row.totp_secret_enc, row.totp_last_step) == (None, None)
    assert "auth.mfa.reset" in [a for a, _ in audit_of(person)]
    assert _sign_in(db, settings, person, clock()).mfa_step is MfaStep.ENROL


def test_only_admins_who_manage_the_person_may_reset_mfa(
    db: Database, clock: MutableClock, org: Organization, enrol_directly: Enrol
) -> None:
    outsider = make_person(db, harbour_mall(db), role=Role.ORG_ADMIN)
    person = make_person(db, org)
    enrol_directly(person, clock())
    with pytest.raises(AccordError) as refused:
        service.reset_mfa(db, actor=actor_of(outsider), person_id=person.id, at=clock())
    assert refused.value.status == 404
    assert _person(db, person).mfa_enabled
