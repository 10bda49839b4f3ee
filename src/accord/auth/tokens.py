"""API tokens for machines: created and shown once, stored hashed, scoped, expiring, revocable."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accord.auth.domain import ScopeError, grants, parse_scopes
from accord.auth.models import ApiToken
from accord.core.audit.service import record
from accord.core.db import Database
from accord.core.errors import Conflict, Forbidden, Invalid, NotFound
from accord.core.ids import new_secret
from accord.core.security import digest
from accord.orgs.domain import Actor, Permission, VettingState, can, can_manage_person
from accord.orgs.models import Organization, Person

__all__ = [
    "TOKEN_PREFIX",
    "TokenHolder",
    "authenticate_token",
    "create_api_token",
    "find_api_token",
    "list_api_tokens",
    "revoke_api_token",
]

TOKEN_PREFIX = "acc_"  # noqa: S105 - a public marker that lets scanners spot leaked tokens
LAST_USED_GRANULARITY = timedelta(minutes=1)


@dataclass(frozen=True)
class TokenHolder:
    token: ApiToken
    person: Person
    org_name: str  # the person's organization, read with the token
    org_vetted: bool


def _may_manage_tokens_of(actor: Actor | None, person: Person) -> bool:
    if actor is None:  # the operator's CLI
        return True
    if actor.person_id == str(person.id):
        return can(actor, Permission.CREATE_API_TOKENS)
    return can_manage_person(actor, str(person.org_id), person.role)


def create_api_token(
    db: Database,
    *,
    actor: Actor | None,
    person_id: uuid.UUID,
    name: str,
    scopes: list[str] | tuple[str, ...],
    expires_at: datetime | None,
    at: datetime,
    ip: str = "",
    within: frozenset[str] | None = None,
) -> tuple[str, ApiToken]:
    """A new token for `person_id`; the secret is returned here and never again.

    `within` is the scopes of the token making the request, if one is: a token cannot mint a
    token that may do more than itself.
    """
    try:
        clean_scopes = parse_scopes(scopes)
    except ScopeError as exc:
        raise Invalid(str(exc), errors=[{"field": "scopes", "message": str(exc)}]) from exc
    if within is not None:
        wider = [
            scope
            for scope in clean_scopes
            if not grants(within, scope.partition(":")[0], write=scope.endswith(":write"))
        ]
        if wider:
            raise Forbidden(
                f"A token cannot create a token with scopes it does not hold: {', '.join(wider)}."
            )
    name = name.strip()
    if not name:
        raise Invalid(
            "Give the token a name, such as the system that will use it.",
            errors=[{"field": "name", "message": "required"}],
        )
    if expires_at is not None and expires_at <= at:
        raise Invalid(
            "The expiry must be in the future.",
            errors=[{"field": "expires_at", "message": "in the past"}],
        )
    with db.transaction() as s:
        person = s.get(Person, person_id)
        if (
            person is not None
            and actor is not None
            and actor.person_id == str(person.id)
            and not can(actor, Permission.CREATE_API_TOKENS)
        ):
            raise Forbidden("Your role may not create API tokens.")
        if person is None or not _may_manage_tokens_of(actor, person):
            raise NotFound("No such person.")
        if not person.is_active:
            raise Conflict("This account is deactivated; it cannot hold tokens.")
        body = new_secret(32)
        secret = TOKEN_PREFIX + body
        token = ApiToken(
            person_id=person.id,
            name=name[:120],
            token_hash=digest(secret),
            prefix=secret[:12],
            scopes=list(clean_scopes),
            created_at=at,
            expires_at=expires_at,
        )
        s.add(token)
        s.flush()
        record(
            s,
            action="auth.token.created",
            at=at,
            actor_id=uuid.UUID(actor.person_id) if actor else None,
            actor_label="" if actor else "cli",
            org_id=person.org_id,
            target_type="api_token",
            target_id=str(token.id),
            details={
                "person_id": str(person.id),
                "scopes": list(clean_scopes),
                "expires_at": expires_at.isoformat() if expires_at else None,
            },
            ip=ip,
        )
        return secret, token


def list_api_tokens(s: Session, person_id: uuid.UUID) -> list[ApiToken]:
    return list(
        s.scalars(
            select(ApiToken)
            .where(ApiToken.person_id == person_id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id)
        )
    )


def find_api_token(s: Session, person_id: uuid.UUID, token_id: uuid.UUID) -> ApiToken | None:
    return s.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.person_id == person_id)
    )


def revoke_api_token(
    db: Database, *, actor: Actor | None, token_id: uuid.UUID, at: datetime, ip: str = ""
) -> ApiToken:
    """Revoke a token; the very next request that presents it is refused."""
    with db.transaction() as s:
        token = s.get(ApiToken, token_id)
        person = s.get(Person, token.person_id) if token else None
        if token is None or person is None or not _may_manage_tokens_of(actor, person):
            raise NotFound("No such token.")
        if token.revoked_at is not None:
            raise Conflict("This token is already revoked.")
        token.revoked_at = at
        record(
            s,
            action="auth.token.revoked",
            at=at,
            actor_id=uuid.UUID(actor.person_id) if actor else None,
            actor_label="" if actor else "cli",
            org_id=person.org_id,
            target_type="api_token",
            target_id=str(token.id),
            details={"person_id": str(person.id)},
            ip=ip,
        )
        return token


def authenticate_token(db: Database, secret: str, *, at: datetime) -> TokenHolder | None:
    """The live token and its account for `secret`: one indexed lookup of its SHA-256.

    Nothing is cached, so a revoked or expired token fails on its very next use.
    """
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    with db.reading() as s:
        found = s.execute(
            select(ApiToken, Person, Organization.name, Organization.vetting_state)
            .join(Person, Person.id == ApiToken.person_id)
            .join(Organization, Organization.id == Person.org_id)
            .where(ApiToken.token_hash == digest(secret))
        ).one_or_none()
    if found is None:
        return None
    token, person, org_name, vetting = found
    if token.revoked_at is not None:
        return None
    if token.expires_at is not None and at >= token.expires_at:
        return None
    if not person.is_active or person.locked_at is not None:
        return None
    if token.last_used_at is None or at - token.last_used_at >= LAST_USED_GRANULARITY:
        with db.transaction() as s:
            s.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=at))
    return TokenHolder(
        token=token,
        person=person,
        org_name=org_name,
        org_vetted=vetting is VettingState.VETTED,
    )
