"""JSON routes under /api/v1/auth: sessions, MFA, password, API tokens, account locks."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from accord.app import read_session
from accord.auth import service, tokens
from accord.auth.deps import (
    Principal,
    api_identity,
    api_user,
    client_ip,
    pending_api_session,
    same_secret,
    session_cookie_name,
)
from accord.auth.domain import SCOPE_FEATURES
from accord.auth.models import ApiToken
from accord.auth.sessions import ResolvedSession
from accord.core.db import Database
from accord.core.errors import Forbidden, NotFound
from accord.settings import Settings

__all__ = ["clear_session_cookie", "router", "set_session_cookie"]

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignInBody(Strict):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=4096)


class SessionRead(BaseModel):
    person_id: uuid.UUID
    email: str
    mfa_step: str = Field(description="none: signed in; verify: enter a code; enrol: set up MFA")
    csrf_token: str
    expires_at: datetime


class CodeBody(Strict):
    code: str = Field(min_length=6, max_length=32)


class EnrolmentRead(BaseModel):
    secret: str
    otpauth_uri: str


class RecoveryCodesRead(BaseModel):
    recovery_codes: list[str]


class PasswordBody(Strict):
    current_password: str = Field(min_length=1, max_length=4096)
    new_password: str = Field(min_length=1, max_length=4096)


class MeRead(BaseModel):
    person_id: uuid.UUID
    org_id: uuid.UUID
    org_name: str
    email: str
    display_name: str
    role: str
    cji_cleared: bool
    mfa_enabled: bool
    via: str
    scopes: list[str] | None


class TokenCreate(Strict):
    name: str = Field(min_length=1, max_length=120)
    scopes: list[str] = Field(min_length=1, max_length=len(SCOPE_FEATURES) * 2)
    expires_in_days: int | None = Field(default=90, ge=1, le=3650)
    person_id: uuid.UUID | None = Field(
        default=None, description="Another person's id (administrators only); default yourself."
    )


class TokenRead(BaseModel):
    id: uuid.UUID
    person_id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreated(TokenRead):
    token: str = Field(description="The secret; shown this once only.")


def clear_session_cookie(response: Response, settings: Settings) -> None:
    """Expire the session cookie with the attributes it was set with (a __Host- cookie is
    only replaced by one that is Secure too)."""
    response.delete_cookie(
        session_cookie_name(settings),
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )


def set_session_cookie(response: Response, settings: Settings, secret: str) -> None:
    response.set_cookie(
        session_cookie_name(settings),
        secret,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        path="/",
        max_age=settings.session_absolute_hours * 3600,
    )


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


@router.post("/session", summary="Sign in with e-mail and password; MFA may follow")
def create_session(body: SignInBody, request: Request, response: Response) -> SessionRead:
    settings: Settings = request.app.state.settings
    result = service.sign_in(
        _db(request),
        settings,
        email=body.email,
        password=body.password,
        at=request.app.state.clock(),
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    set_session_cookie(response, settings, result.secret)
    return SessionRead(
        person_id=result.person.id,
        email=result.person.email,
        mfa_step=result.mfa_step.value,
        csrf_token=result.session.csrf_token,
        expires_at=result.session.expires_at,
    )


def _pending_with_csrf(request: Request) -> ResolvedSession:
    pending = pending_api_session(request)
    if not same_secret(request.headers.get("x-csrf-token", ""), pending.session.csrf_token):
        raise Forbidden("Missing or wrong X-CSRF-Token header.")
    return pending


@router.post("/session/mfa", summary="Finish sign-in with a TOTP or recovery code")
def verify_session_mfa(body: CodeBody, request: Request) -> dict[str, str]:
    pending = _pending_with_csrf(request)
    service.verify_mfa(
        _db(request),
        request.app.state.settings,
        session_id=pending.session.id,
        code=body.code,
        at=request.app.state.clock(),
        ip=client_ip(request),
    )
    return {"mfa_step": "none"}


@router.delete("/session", status_code=status.HTTP_204_NO_CONTENT, summary="Sign out")
def delete_session(
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(api_user("people"))],
) -> None:
    if principal.session_id is not None:
        service.sign_out(
            _db(request),
            session_id=principal.session_id,
            at=request.app.state.clock(),
            ip=principal.ip,
        )
    clear_session_cookie(response, request.app.state.settings)


@router.get("/me", summary="Who the credentials belong to (any token, whatever its scopes)")
def me(principal: Annotated[Principal, Depends(api_identity)]) -> MeRead:
    return MeRead(
        person_id=principal.person_id,
        org_id=principal.org_id,
        org_name=principal.org_name,
        email=principal.email,
        display_name=principal.display_name,
        role=principal.role.value,
        cji_cleared=principal.cji_cleared,
        mfa_enabled=principal.mfa_enabled,
        via=principal.via,
        scopes=sorted(principal.scopes) if principal.scopes is not None else None,
    )


@router.post("/mfa/enrolment", summary="Start TOTP enrolment: a new secret to scan")
def begin_enrolment(request: Request) -> EnrolmentRead:
    pending = _pending_with_csrf(request)
    enrolment = service.begin_mfa_enrolment(
        _db(request),
        request.app.state.settings,
        session_id=pending.session.id,
        at=request.app.state.clock(),
    )
    return EnrolmentRead(secret=enrolment.secret, otpauth_uri=enrolment.uri)


@router.post("/mfa/enrolment/confirm", summary="Confirm enrolment with a code; get recovery codes")
def confirm_enrolment(body: CodeBody, request: Request) -> RecoveryCodesRead:
    pending = _pending_with_csrf(request)
    codes = service.confirm_mfa_enrolment(
        _db(request),
        request.app.state.settings,
        session_id=pending.session.id,
        code=body.code,
        at=request.app.state.clock(),
        ip=client_ip(request),
    )
    return RecoveryCodesRead(recovery_codes=codes)


@router.post(
    "/password",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Change your password; every session of the account ends",
)
def change_password(
    body: PasswordBody,
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(api_user("people", write=True))],
) -> None:
    service.change_password(
        _db(request),
        request.app.state.settings,
        person_id=principal.person_id,
        current=body.current_password,
        new=body.new_password,
        at=request.app.state.clock(),
        ip=principal.ip,
    )
    clear_session_cookie(response, request.app.state.settings)


def _token_read(token: ApiToken) -> TokenRead:
    return TokenRead.model_validate(token, from_attributes=True)


@router.get("/tokens", summary="Your API tokens (never their secrets)")
def list_tokens(
    principal: Annotated[Principal, Depends(api_user("people"))],
    s: Annotated[Session, Depends(read_session)],
) -> list[TokenRead]:
    return [_token_read(t) for t in tokens.list_api_tokens(s, principal.person_id)]


@router.post("/tokens", status_code=status.HTTP_201_CREATED, summary="Create an API token")
def create_token(
    body: TokenCreate,
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(api_user("people", write=True))],
) -> TokenCreated:
    at: datetime = request.app.state.clock()
    expires = at + timedelta(days=body.expires_in_days) if body.expires_in_days else None
    secret, token = tokens.create_api_token(
        _db(request),
        actor=principal.actor,
        person_id=body.person_id or principal.person_id,
        name=body.name,
        scopes=body.scopes,
        expires_at=expires,
        at=at,
        ip=principal.ip,
        within=principal.scopes,
    )
    response.headers["location"] = f"/api/v1/auth/tokens/{token.id}"
    return TokenCreated(**_token_read(token).model_dump(), token=secret)


@router.get("/tokens/{token_id}", summary="One of your API tokens (never its secret)")
def get_token(
    token_id: uuid.UUID,
    principal: Annotated[Principal, Depends(api_user("people"))],
    s: Annotated[Session, Depends(read_session)],
) -> TokenRead:
    token = tokens.find_api_token(s, principal.person_id, token_id)
    if token is None:
        raise NotFound("No such token.")
    return _token_read(token)


@router.delete("/tokens/{token_id}", summary="Revoke an API token at once")
def revoke_token(
    token_id: uuid.UUID,
    request: Request,
    principal: Annotated[Principal, Depends(api_user("people", write=True))],
) -> TokenRead:
    token = tokens.revoke_api_token(
        _db(request),
        actor=principal.actor,
        token_id=token_id,
        at=request.app.state.clock(),
        ip=principal.ip,
    )
    return _token_read(token)


@router.post("/people/{person_id}/release-lock", summary="Release a locked account (admins)")
def release_lock(
    person_id: uuid.UUID,
    request: Request,
    principal: Annotated[Principal, Depends(api_user("people", write=True))],
) -> dict[str, str]:
    service.release_lock(
        _db(request),
        actor=principal.actor,
        person_id=person_id,
        at=request.app.state.clock(),
        ip=principal.ip,
    )
    return {"status": "released"}


@router.post("/people/{person_id}/reset-mfa", summary="Clear a lost authenticator (admins)")
def reset_mfa(
    person_id: uuid.UUID,
    request: Request,
    principal: Annotated[Principal, Depends(api_user("people", write=True))],
) -> dict[str, str]:
    service.reset_mfa(
        _db(request),
        actor=principal.actor,
        person_id=person_id,
        at=request.app.state.clock(),
        ip=principal.ip,
    )
    return {"status": "reset"}
