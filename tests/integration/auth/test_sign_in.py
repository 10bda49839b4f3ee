"""Signing in with a password: one answer for every failure, lockout after repeated failures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select
from tests.factories import DEFAULT_PASSWORD, actor_of, harbour_mall, make_person

from accord.auth import service
from accord.auth.domain import MfaStep
from accord.auth.models import SignInAttempt, WebSession
from accord.auth.service import LOCKED_MESSAGE, WRONG_CREDENTIALS
from accord.auth.sessions import resolve_session
from accord.core.audit.service import list_entries
from accord.core.db import Database
from accord.core.errors import AccordError, Conflict, NotFound, TooManyRequests, Unauthorized
from accord.core.security import digest
from accord.orgs.domain import Role
from accord.orgs.models import Organization, Person
from accord.orgs.people import deactivate_person
from accord.settings import Settings

if TYPE_CHECKING:
    from tests.conftest import MutableClock

AuditLookup = Callable[[Person], list[tuple[str, dict[str, object]]]]
WRONG = "not the right password at all"


@pytest.fixture
def quick(settings: Settings) -> Settings:
    """Settings that lock after two failures, for tests of what a lock does (argon2 is slow)."""
    return settings.model_copy(update={"lockout_attempts": 2})


def _lock(db: Database, settings: Settings, person: Person, at: datetime) -> None:
    for _ in range(settings.lockout_attempts):
        _failure(db, settings, person.email, WRONG, at)
    assert _person(db, person).locked_at is not None


def _failure(
    db: Database, settings: Settings, email: str, password: str, at: datetime
) -> AccordError:
    with pytest.raises(AccordError) as caught:
        service.sign_in(db, settings, email=email, password=password, at=at)
    return caught.value


def _person(db: Database, person: Person) -> Person:
    with db.reading() as s:
        return s.get_one(Person, person.id)


def test_the_right_password_starts_a_session_stored_only_as_a_digest(
    db: Database, settings: Settings, clock: MutableClock, org: Organization
) -> None:
    person = make_person(db, org, "dana.whitfield@pcpd.example")
    result = service.sign_in(
        db,
        settings,
        email="dana.whitfield@pcpd.example",
        password=DEFAULT_PASSWORD,
        at=clock(),
        ip="203.0.113.7",
        user_agent="pytest",
    )
    assert result.mfa_step is MfaStep.NONE
    assert result.person.id == person.id
    with db.reading() as s:
        row = s.get_one(WebSession, result.session.id)
    assert row.token_hash == digest(result.secret)
    assert result.secret not in (row.token_hash, row.csrf_token)
    assert row.mfa_passed
    assert row.expires_at == clock() + timedelta(hours=12)
    assert (row.ip, row.user_agent) == ("203.0.113.7", "pytest")
    assert _person(db, person).last_sign_in_at == clock()
    resolved = resolve_session(db, settings, result.secret, at=clock())
    assert resolved is not None
    assert resolved.person.id == person.id


def test_the_email_address_is_matched_without_case_or_surrounding_spaces(
    db: Database, settings: Settings, clock: MutableClock, org: Organization
) -> None:
    make_person(db, org, "dana.whitfield@pcpd.example")
    result = service.sign_in(
        db, settings, email="  Dana.Whitfield@PCPD.example ", password=DEFAULT_PASSWORD, at=clock()
    )
    assert result.mfa_step is MfaStep.NONE


def test_a_successful_sign_in_is_audited(
    db: Database, settings: Settings, clock: MutableClock, org: Organization, audit_of: AuditLookup
) -> None:
    person = make_person(db, org)
    service.sign_in(db, settings, email=person.email, password=DEFAULT_PASSWORD, at=clock())
    assert ("auth.sign_in.succeeded", {"mfa_step": "none"}) in audit_of(person)


def test_wrong_password_unknown_account_and_deactivated_account_get_the_same_answer(
    db: Database, settings: Settings, clock: MutableClock, org: Organization, audit_of: AuditLookup
) -> None:
    person = make_person(db, org, "active@pcpd.example")
    gone = make_person(db, org, "gone@pcpd.example")
    deactivate_person(db, actor=None, at=clock(), person_id=gone.id)

    answers = [
        _failure(db, settings, "active@pcpd.example", WRONG, clock()),
        _failure(db, settings, "nobody@pcpd.example", DEFAULT_PASSWORD, clock()),
        _failure(db, settings, "gone@pcpd.example", DEFAULT_PASSWORD, clock()),
    ]
    assert {(type(a), a.status, a.detail) for a in answers} == {
        (Unauthorized, 401, WRONG_CREDENTIALS)
    }
    # The audit log, unlike the answer, says why.
    assert ("auth.sign_in.failed", {"reason": "wrong_password"}) in audit_of(person)
    assert ("auth.sign_in.failed", {"reason": "deactivated"}) in audit_of(gone)
    with db.reading() as s:
        unknown = s.scalars(
            select(SignInAttempt).where(SignInAttempt.email_digest == digest("nobody@pcpd.example"))
        ).all()
    assert [(a.person_id, a.succeeded) for a in unknown] == [(None, False)]


def test_five_failures_in_fifteen_minutes_lock_the_account(
    db: Database, settings: Settings, clock: MutableClock, org: Organization, audit_of: AuditLookup
) -> None:
    person = make_person(db, org)
    for _ in range(5):
        assert _failure(db, settings, person.email, WRONG, clock()).detail == WRONG_CREDENTIALS
        clock.advance(minutes=3)
    assert _person(db, person).locked_at is not None

    sixth = _failure(db, settings, person.email, DEFAULT_PASSWORD, clock())
    assert isinstance(sixth, TooManyRequests)
    assert (sixth.status, sixth.detail) == (429, LOCKED_MESSAGE)

    actions = [action for action, _ in audit_of(person)]
    assert actions.count("auth.sign_in.failed") == 5
    assert actions.count("auth.account.locked") == 1
    assert actions.index("auth.account.locked") > max(
        i for i, a in enumerate(actions) if a == "auth.sign_in.failed"
    )
    assert ("auth.account.locked", {"failures": 5}) in audit_of(person)


def test_a_locked_account_stays_locked_after_the_window_until_an_admin_releases_it(
    db: Database, quick: Settings, clock: MutableClock, org: Organization
) -> None:
    person = make_person(db, org)
    _lock(db, quick, person, clock())
    clock.advance(hours=6)
    assert _failure(db, quick, person.email, DEFAULT_PASSWORD, clock()).detail == LOCKED_MESSAGE


def test_sign_in_attempts_on_a_locked_account_are_audited(
    db: Database, quick: Settings, clock: MutableClock, org: Organization, audit_of: AuditLookup
) -> None:
    person = make_person(db, org)
    _lock(db, quick, person, clock())
    clock.advance(minutes=1)
    _failure(db, quick, person.email, DEFAULT_PASSWORD, clock())
    # service.sign_in records `auth.sign_in.locked` and then raises inside the same
    # transaction, so the attempt must survive the refusal to be of any use to investigators.
    actions = [action for action, _ in audit_of(person)]
    assert "auth.sign_in.locked" in actions


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(
    db: Database, settings: Settings, clock: MutableClock, org: Organization
) -> None:
    person = make_person(db, org)
    for _ in range(6):  # every 15-minute window holds at most four of them
        _failure(db, settings, person.email, WRONG, clock())
        clock.advance(minutes=4)
    assert _person(db, person).locked_at is None
    result = service.sign_in(
        db, settings, email=person.email, password=DEFAULT_PASSWORD, at=clock()
    )
    assert result.mfa_step is MfaStep.NONE


def test_a_successful_sign_in_restarts_the_failure_count(
    db: Database, settings: Settings, clock: MutableClock, org: Organization
) -> None:
    strict = settings.model_copy(update={"lockout_attempts": 3})
    person = make_person(db, org)
    for _ in range(2):
        _failure(db, strict, person.email, WRONG, clock())
    service.sign_in(db, strict, email=person.email, password=DEFAULT_PASSWORD, at=clock())
    clock.advance(seconds=1)
    for _ in range(2):
        _failure(db, strict, person.email, WRONG, clock())
    assert _person(db, person).locked_at is None


def test_an_admin_release_lets_the_person_sign_in_again(
    db: Database, quick: Settings, clock: MutableClock, org: Organization, audit_of: AuditLookup
) -> None:
    admin = make_person(db, org, role=Role.ORG_ADMIN)
    person = make_person(db, org)
    _lock(db, quick, person, clock())
    clock.advance(minutes=2)

    service.release_lock(db, actor=actor_of(admin), person_id=person.id, at=clock())

    assert _person(db, person).locked_at is None
    result = service.sign_in(db, quick, email=person.email, password=DEFAULT_PASSWORD, at=clock())
    assert result.mfa_step is MfaStep.NONE
    assert "auth.account.released" in [a for a, _ in audit_of(person)]


def test_after_a_release_one_more_failure_does_not_lock_again(
    db: Database, quick: Settings, clock: MutableClock, org: Organization
) -> None:
    person = make_person(db, org)
    _lock(db, quick, person, clock())
    service.release_lock(db, actor=None, person_id=person.id, at=clock())
    clock.advance(seconds=1)
    assert _failure(db, quick, person.email, WRONG, clock()).detail == WRONG_CREDENTIALS
    assert _person(db, person).locked_at is None


def test_only_admins_who_manage_the_person_may_release_a_lock(
    db: Database, quick: Settings, clock: MutableClock, org: Organization
) -> None:
    other_admin = make_person(db, harbour_mall(db), role=Role.ORG_ADMIN)
    colleague = make_person(db, org)
    person = make_person(db, org)
    _lock(db, quick, person, clock())
    for actor in (actor_of(other_admin), actor_of(colleague)):
        with pytest.raises(NotFound):
            service.release_lock(db, actor=actor, person_id=person.id, at=clock())
    assert _person(db, person).locked_at is not None


def test_releasing_an_account_that_is_not_locked_is_a_conflict(
    db: Database, clock: MutableClock, org: Organization
) -> None:
    person = make_person(db, org)
    with pytest.raises(Conflict):
        service.release_lock(db, actor=None, person_id=person.id, at=clock())


def test_a_lock_ends_every_session_of_the_account(
    db: Database, quick: Settings, clock: MutableClock, org: Organization
) -> None:
    person = make_person(db, org)
    earlier = service.sign_in(db, quick, email=person.email, password=DEFAULT_PASSWORD, at=clock())
    clock.advance(seconds=1)
    _lock(db, quick, person, clock())
    assert resolve_session(db, quick, earlier.secret, at=clock()) is None
    with db.reading() as s:
        assert s.get_one(WebSession, earlier.session.id).end_reason == "locked"


def test_an_unknown_address_answers_like_a_locked_account_after_five_failures(
    db: Database, settings: Settings, clock: MutableClock
) -> None:
    # Failures count per address, so a locked answer does not reveal that the account exists.
    for _ in range(5):
        _failure(db, settings, "nobody@pcpd.example", WRONG, clock())
    answer = _failure(db, settings, "nobody@pcpd.example", WRONG, clock())
    assert (answer.status, answer.detail) == (429, LOCKED_MESSAGE)


def test_a_lock_releases_itself_when_the_operator_sets_a_release_time(
    db: Database, settings: Settings, clock: MutableClock, org: Organization
) -> None:
    timed = settings.model_copy(update={"lockout_release_minutes": 30, "lockout_attempts": 2})
    person = make_person(db, org)
    _lock(db, timed, person, clock())
    clock.advance(minutes=29)
    assert _failure(db, timed, person.email, DEFAULT_PASSWORD, clock()).status == 429
    clock.advance(minutes=1)
    result = service.sign_in(db, timed, email=person.email, password=DEFAULT_PASSWORD, at=clock())
    assert result.mfa_step is MfaStep.NONE
    assert _person(db, person).locked_at is None


def test_an_address_typed_for_no_account_is_kept_only_as_a_digest(
    db: Database, settings: Settings, clock: MutableClock
) -> None:
    # People sometimes type their password into the e-mail box.
    typed = "Harbour-Passphrase-In-The-Wrong-Box"
    _failure(db, settings, typed, WRONG, clock())
    with db.reading() as s:
        attempts = s.scalars(select(SignInAttempt)).all()
        entries = list_entries(s, action_prefix="auth.sign_in").items
    assert [a.email_digest for a in attempts] == [digest(typed.lower())]
    stored = repr([vars(a) for a in attempts]) + repr([vars(e) for e in entries])
    assert typed.lower() not in stored.lower()
