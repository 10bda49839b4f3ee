"""Browser sessions: idle and absolute limits on the server, and the events that end them all."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from tests.factories import DEFAULT_PASSWORD, make_person, token_for

from accord.auth import service
from accord.auth.models import WebSession
from accord.auth.sessions import LAST_SEEN_GRANULARITY, resolve_session
from accord.auth.tokens import authenticate_token
from accord.core.db import Database
from accord.core.errors import Invalid, Unauthorized
from accord.orgs.models import Organization, Person
from accord.orgs.people import deactivate_person, reactivate_person
from accord.settings import Settings

if TYPE_CHECKING:
    from tests.conftest import MutableClock

NEW_PASSWORD = "a brand new harbour passphrase 2027"


def _sign_in(db: Database, settings: Settings, person: Person, at: datetime) -> service.SignIn:
    return service.sign_in(db, settings, email=person.email, password=DEFAULT_PASSWORD, at=at)


def _row(db: Database, session_id: uuid.UUID) -> WebSession:
    with db.reading() as s:
        return s.get_one(WebSession, session_id)


@pytest.fixture
def person(db: Database, org: Organization) -> Person:
    return make_person(db, org)


def test_a_session_left_idle_for_thirty_minutes_ends_on_the_server(
    db: Database, settings: Settings, clock: MutableClock, person: Person
) -> None:
    result = _sign_in(db, settings, person, clock())
    clock.advance(minutes=29, seconds=59)
    assert resolve_session(db, settings, result.secret, at=clock()) is not None
    clock.advance(minutes=30)
    assert resolve_session(db, settings, result.secret, at=clock()) is None
    row = _row(db, result.session.id)
    assert (row.ended_at, row.end_reason) == (clock(), "idle_timeout")


def test_each_request_restarts_the_idle_clock(
    db: Database, settings: Settings, clock: MutableClock, person: Person
) -> None:
    result = _sign_in(db, settings, person, clock())
    for _ in range(4):  # two hours of use, a request every 29 minutes
        clock.advance(minutes=29)
        assert resolve_session(db, settings, result.secret, at=clock()) is not None
    assert _row(db, result.session.id).last_seen_at == clock()


def test_requests_close_together_do_not_rewrite_last_seen(
    db: Database, settings: Settings, clock: MutableClock, person: Person
) -> None:
    result = _sign_in(db, settings, person, clock())
    started = clock()
    clock.advance(seconds=LAST_SEEN_GRANULARITY.total_seconds() - 1)
    assert resolve_session(db, settings, result.secret, at=clock()) is not None
    assert _row(db, result.session.id).last_seen_at == started


def test_a_session_ends_twelve_hours_after_sign_in_however_busy(
    db: Database, settings: Settings, clock: MutableClock, person: Person
) -> None:
    result = _sign_in(db, settings, person, clock())
    signed_in = clock()
    while clock() + timedelta(minutes=25) < signed_in + timedelta(hours=12):
        clock.advance(minutes=25)
        assert resolve_session(db, settings, result.secret, at=clock()) is not None
    clock.now = signed_in + timedelta(hours=12)
    assert resolve_session(db, settings, result.secret, at=clock()) is None
    row = _row(db, result.session.id)
    assert (row.ended_at, row.end_reason) == (clock(), "absolute_timeout")


def test_an_ended_session_stays_ended(
    db: Database, settings: Settings, clock: MutableClock, person: Person
) -> None:
    result = _sign_in(db, settings, person, clock())
    clock.advance(minutes=31)
    assert resolve_session(db, settings, result.secret, at=clock()) is None
    clock.advance(seconds=1)
    assert resolve_session(db, settings, result.secret, at=clock()) is None
    assert _row(db, result.session.id).ended_at == clock() - timedelta(seconds=1)


def test_an_unknown_cookie_secret_resolves_to_nothing(
    db: Database, settings: Settings, clock: MutableClock
) -> None:
    assert resolve_session(db, settings, "not-a-session", at=clock()) is None


def test_the_session_limits_follow_the_settings(
    db: Database, settings: Settings, clock: MutableClock, person: Person
) -> None:
    short = settings.model_copy(update={"session_idle_minutes": 5, "session_absolute_hours": 1})
    result = _sign_in(db, short, person, clock())
    assert result.session.expires_at == clock() + timedelta(hours=1)
    clock.advance(minutes=5)
    assert resolve_session(db, short, result.secret, at=clock()) is None
    assert _row(db, result.session.id).end_reason == "idle_timeout"


def test_signing_out_ends_every_session_of_the_account_at_once(
    db: Database, settings: Settings, clock: MutableClock, person: Person
) -> None:
    laptop = _sign_in(db, settings, person, clock())
    phone = _sign_in(db, settings, person, clock())
    service.sign_out(db, session_id=laptop.session.id, at=clock())
    assert resolve_session(db, settings, laptop.secret, at=clock()) is None
    assert resolve_session(db, settings, phone.secret, at=clock()) is None
    assert _row(db, laptop.session.id).end_reason == "signed_out"
    assert _row(db, phone.session.id).end_reason == "signed_out"


def test_signing_out_twice_is_harmless(
    db: Database, settings: Settings, clock: MutableClock, person: Person
) -> None:
    result = _sign_in(db, settings, person, clock())
    service.sign_out(db, session_id=result.session.id, at=clock())
    clock.advance(minutes=1)
    service.sign_out(db, session_id=result.session.id, at=clock())
    assert _row(db, result.session.id).ended_at == clock() - timedelta(minutes=1)


def test_a_password_change_ends_every_session_and_the_old_password_stops_working(
    db: Database, settings: Settings, clock: MutableClock, person: Person
) -> None:
    laptop = _sign_in(db, settings, person, clock())
    phone = _sign_in(db, settings, person, clock())
    service.change_password(
        db, settings, person_id=person.id, current=DEFAULT_PASSWORD, new=NEW_PASSWORD, at=clock()
    )
    for result in (laptop, phone):
        assert resolve_session(db, settings, result.secret, at=clock()) is None
        assert _row(db, result.session.id).end_reason == "password_changed"
    with pytest.raises(Unauthorized):
        _sign_in(db, settings, person, clock())
    assert service.sign_in(db, settings, email=person.email, password=NEW_PASSWORD, at=clock())
    with db.reading() as s:
        assert s.get_one(Person, person.id).password_changed_at == clock()


def test_a_refused_password_change_leaves_sessions_alone(
    db: Database, settings: Settings, clock: MutableClock, person: Person
) -> None:
    result = _sign_in(db, settings, person, clock())
    attempts = [
        (DEFAULT_PASSWORD + "x", NEW_PASSWORD, "current_password"),  # wrong current password
        (DEFAULT_PASSWORD, "too-short", "new_password"),
        (DEFAULT_PASSWORD, "qwertyuiop12", "new_password"),  # breached
        (DEFAULT_PASSWORD, DEFAULT_PASSWORD, "new_password"),  # unchanged
    ]
    for current, new, field in attempts:
        with pytest.raises(Invalid) as refused:
            service.change_password(
                db, settings, person_id=person.id, current=current, new=new, at=clock()
            )
        assert refused.value.extensions["errors"][0]["field"] == field
    assert resolve_session(db, settings, result.secret, at=clock()) is not None


def test_deactivation_ends_every_session_and_refuses_tokens(
    db: Database, settings: Settings, clock: MutableClock, person: Person
) -> None:
    secret = token_for(db, person, ["people:read"])
    laptop = _sign_in(db, settings, person, clock())
    phone = _sign_in(db, settings, person, clock())

    deactivate_person(db, actor=None, at=clock(), person_id=person.id)

    for result in (laptop, phone):
        assert resolve_session(db, settings, result.secret, at=clock()) is None
        assert _row(db, result.session.id).end_reason == "deactivated"
    assert authenticate_token(db, secret, at=clock()) is None


def test_reactivation_does_not_revive_ended_sessions(
    db: Database, settings: Settings, clock: MutableClock, person: Person
) -> None:
    result = _sign_in(db, settings, person, clock())
    deactivate_person(db, actor=None, at=clock(), person_id=person.id)
    reactivate_person(db, actor=None, at=clock(), person_id=person.id)
    assert resolve_session(db, settings, result.secret, at=clock()) is None


def test_guessing_the_current_password_on_an_open_session_locks_the_account(
    db: Database, settings: Settings, clock: MutableClock, person: Person
) -> None:
    session = _sign_in(db, settings, person, clock())
    clock.advance(seconds=1)
    for _ in range(settings.lockout_attempts):
        with pytest.raises(Invalid):
            service.change_password(
                db,
                settings,
                person_id=person.id,
                current="not the password at all",
                new="a brand new harbour lantern phrase",
                at=clock(),
            )
    assert resolve_session(db, settings, session.secret, at=clock()) is None
    with db.reading() as s:
        assert s.get_one(Person, person.id).locked_at == clock()
