"""API tokens: shown once, stored as SHA-256, scoped, expiring, revoked on the very next use."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select
from tests.factories import actor_of, harbour_mall, make_person

from accord.auth import service
from accord.auth.models import ApiToken
from accord.auth.tokens import (
    LAST_USED_GRANULARITY,
    TOKEN_PREFIX,
    authenticate_token,
    create_api_token,
    list_api_tokens,
    revoke_api_token,
)
from accord.core.audit.service import list_entries
from accord.core.db import Database
from accord.core.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from accord.core.ids import new_id
from accord.orgs.domain import Actor, Role
from accord.orgs.models import Organization, Person
from accord.orgs.people import deactivate_person
from accord.settings import Settings

if TYPE_CHECKING:
    from tests.conftest import MutableClock

WRONG = "not the right password at all"


@pytest.fixture
def person(db: Database, org: Organization) -> Person:
    return make_person(db, org, role=Role.ANALYST)


@pytest.fixture
def create(db: Database, clock: MutableClock) -> Callable[..., tuple[str, ApiToken]]:
    def make(
        person: Person,
        scopes: tuple[str, ...] = ("orgs:read",),
        *,
        expires_at: datetime | None = None,
        actor: Actor | None = None,
    ) -> tuple[str, ApiToken]:
        return create_api_token(
            db,
            actor=actor,
            person_id=person.id,
            name="dispatch integration",
            scopes=scopes,
            expires_at=expires_at,
            at=clock(),
        )

    return make


def test_a_new_token_is_returned_once_and_stored_only_as_its_sha256(
    db: Database, clock: MutableClock, person: Person, create: Callable[..., tuple[str, ApiToken]]
) -> None:
    secret, token = create(person, ("people:write", "orgs:read", "orgs:read"))
    assert secret.startswith(TOKEN_PREFIX)
    assert len(secret) >= len(TOKEN_PREFIX) + 40
    with db.reading() as s:
        row = s.get_one(ApiToken, token.id)
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert row.prefix == secret[:12]
    stored = [str(getattr(row, c.key)) for c in ApiToken.__table__.columns]
    assert not any(secret in value for value in stored)
    assert row.scopes == ["orgs:read", "people:write"]
    assert row.created_at == clock()


def test_the_token_list_never_holds_a_secret(
    db: Database, person: Person, create: Callable[..., tuple[str, ApiToken]]
) -> None:
    secret, _ = create(person)
    with db.reading() as s:
        rows = list_api_tokens(s, person.id)
    assert len(rows) == 1
    assert secret not in repr(vars(rows[0]))


def test_a_live_token_authenticates_its_person_and_records_its_use(
    db: Database, clock: MutableClock, person: Person, create: Callable[..., tuple[str, ApiToken]]
) -> None:
    secret, token = create(person)
    holder = authenticate_token(db, secret, at=clock())
    assert holder is not None
    assert (holder.person.id, holder.token.id) == (person.id, token.id)
    with db.reading() as s:
        assert s.get_one(ApiToken, token.id).last_used_at == clock()
    clock.advance(seconds=LAST_USED_GRANULARITY.total_seconds() - 1)
    assert authenticate_token(db, secret, at=clock()) is not None
    with db.reading() as s:
        assert s.get_one(ApiToken, token.id).last_used_at == clock() - timedelta(seconds=59)


@pytest.mark.parametrize(
    "presented",
    ["", "acc_", "acc_unknown", "Bearer acc_x", "x" * 60, "acc_" + "y" * 200],
)
def test_unknown_or_malformed_secrets_authenticate_nobody(
    db: Database, clock: MutableClock, presented: str
) -> None:
    assert authenticate_token(db, presented, at=clock()) is None


def test_a_token_stops_working_at_its_expiry(
    db: Database, clock: MutableClock, person: Person, create: Callable[..., tuple[str, ApiToken]]
) -> None:
    expiry = clock() + timedelta(days=1)
    secret, _ = create(person, expires_at=expiry)
    clock.now = expiry - timedelta(seconds=1)
    assert authenticate_token(db, secret, at=clock()) is not None
    clock.now = expiry
    assert authenticate_token(db, secret, at=clock()) is None


def test_revocation_takes_effect_on_the_very_next_use(
    db: Database, clock: MutableClock, person: Person, create: Callable[..., tuple[str, ApiToken]]
) -> None:
    secret, token = create(person)
    assert authenticate_token(db, secret, at=clock()) is not None
    revoked = revoke_api_token(db, actor=actor_of(person), token_id=token.id, at=clock())
    assert revoked.revoked_at == clock()
    assert authenticate_token(db, secret, at=clock()) is None
    with db.reading() as s:
        entries = list_entries(s, action_prefix="auth.token", target_id=str(token.id)).items
    assert {e.action for e in entries} == {"auth.token.created", "auth.token.revoked"}


def test_revoking_twice_is_a_conflict(
    db: Database, clock: MutableClock, person: Person, create: Callable[..., tuple[str, ApiToken]]
) -> None:
    _, token = create(person)
    revoke_api_token(db, actor=None, token_id=token.id, at=clock())
    with pytest.raises(Conflict):
        revoke_api_token(db, actor=None, token_id=token.id, at=clock())


def test_a_deactivated_persons_token_is_refused(
    db: Database, clock: MutableClock, person: Person, create: Callable[..., tuple[str, ApiToken]]
) -> None:
    secret, _ = create(person)
    deactivate_person(db, actor=None, at=clock(), person_id=person.id)
    assert authenticate_token(db, secret, at=clock()) is None


def test_a_locked_persons_token_is_refused(
    db: Database,
    settings: Settings,
    clock: MutableClock,
    person: Person,
    create: Callable[..., tuple[str, ApiToken]],
) -> None:
    secret, _ = create(person)
    quick = settings.model_copy(update={"lockout_attempts": 1})
    with pytest.raises(Unauthorized):  # the failure that locks the account
        service.sign_in(db, quick, email=person.email, password=WRONG, at=clock())
    assert authenticate_token(db, secret, at=clock()) is None


def test_a_deactivated_account_cannot_be_given_a_token(
    db: Database, clock: MutableClock, person: Person, create: Callable[..., tuple[str, ApiToken]]
) -> None:
    deactivate_person(db, actor=None, at=clock(), person_id=person.id)
    with pytest.raises(Conflict):
        create(person)


@pytest.mark.parametrize(
    ("scopes", "field"),
    [((), "scopes"), (("orgs:admin",), "scopes"), (("secrets:read",), "scopes")],
)
def test_bad_scopes_are_refused_with_the_field_named(
    person: Person, create: Callable[..., tuple[str, ApiToken]], scopes: tuple[str, ...], field: str
) -> None:
    with pytest.raises(Invalid) as refused:
        create(person, scopes)
    assert refused.value.extensions["errors"][0]["field"] == field


def test_an_expiry_in_the_past_or_a_blank_name_is_refused(
    db: Database, clock: MutableClock, person: Person, create: Callable[..., tuple[str, ApiToken]]
) -> None:
    with pytest.raises(Invalid, match="future"):
        create(person, expires_at=clock())
    with pytest.raises(Invalid, match="name"):
        create_api_token(
            db,
            actor=None,
            person_id=person.id,
            name="   ",
            scopes=["orgs:read"],
            expires_at=None,
            at=clock(),
        )


def test_people_create_their_own_tokens(
    db: Database, person: Person, create: Callable[..., tuple[str, ApiToken]]
) -> None:
    _, token = create(person, actor=actor_of(person))
    assert token.person_id == person.id


def test_an_org_admin_creates_tokens_for_their_own_staff_only(
    db: Database, org: Organization, person: Person, create: Callable[..., tuple[str, ApiToken]]
) -> None:
    admin = make_person(db, org, role=Role.ORG_ADMIN)
    _, token = create(person, actor=actor_of(admin))
    assert token.person_id == person.id
    outsider = make_person(db, harbour_mall(db), role=Role.ORG_ADMIN)
    with pytest.raises(NotFound):
        create(person, actor=actor_of(outsider))


def test_a_colleague_cannot_create_or_revoke_someone_elses_token(
    db: Database,
    clock: MutableClock,
    org: Organization,
    person: Person,
    create: Callable[..., tuple[str, ApiToken]],
) -> None:
    colleague = make_person(db, org, role=Role.ANALYST)
    with pytest.raises(NotFound):
        create(person, actor=actor_of(colleague))
    _, token = create(person)
    with pytest.raises(NotFound):
        revoke_api_token(db, actor=actor_of(colleague), token_id=token.id, at=clock())


def test_a_viewer_is_told_their_role_may_not_create_tokens(
    db: Database, org: Organization, create: Callable[..., tuple[str, ApiToken]]
) -> None:
    # tokens.create_api_token has a Forbidden for this case, but _may_manage_tokens_of answers
    # False first for a viewer acting on themself, so they get "No such person." (404) instead.
    viewer = make_person(db, org, role=Role.VIEWER)
    with pytest.raises(Forbidden, match="role may not create API tokens"):
        create(viewer, actor=actor_of(viewer))
    with db.reading() as s:
        assert s.scalars(select(ApiToken)).all() == []


def test_revoking_an_unknown_token_is_not_found(db: Database, clock: MutableClock) -> None:
    with pytest.raises(NotFound):
        revoke_api_token(db, actor=None, token_id=new_id(), at=clock())
