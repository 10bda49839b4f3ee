"""Who is asking: FastAPI dependencies that resolve an API token or a browser session."""

from __future__ import annotations

import base64
import binascii
import hmac
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from fastapi import Request

from accord.auth.domain import grants
from accord.auth.sessions import ResolvedSession, resolve_session
from accord.auth.tokens import authenticate_token
from accord.core.db import Database
from accord.core.errors import Forbidden, Unauthorized
from accord.orgs.domain import Actor, Role, VettingState
from accord.orgs.models import Organization, Person
from accord.settings import Settings

__all__ = [
    "UNSAFE_METHODS",
    "Principal",
    "RedirectTo",
    "api_identity",
    "api_user",
    "check_form_csrf",
    "client_ip",
    "optional_page_user",
    "page_user",
    "pending_api_session",
    "pending_session",
    "same_secret",
    "session_cookie_name",
]

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class RedirectTo(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Send the browser elsewhere (to sign in, or to finish MFA); handled by the app."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


@dataclass(frozen=True)
class Principal:
    """The signed-in person behind a request, and how they proved it."""

    person_id: uuid.UUID
    org_id: uuid.UUID
    email: str
    display_name: str
    role: Role
    cji_cleared: bool
    org_name: str
    actor: Actor
    via: Literal["session", "token"]
    session_id: uuid.UUID | None
    token_id: uuid.UUID | None
    scopes: frozenset[str] | None  # None: a browser session, limited only by the role
    csrf_token: str | None
    ip: str
    mfa_enabled: bool


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison that also takes non-ASCII input (compare_digest on str won't)."""
    return hmac.compare_digest(given.encode(), expected.encode())


def session_cookie_name(settings: Settings) -> str:
    # RFC 6265bis §4.1.3.2: __Host- cookies are Secure, host-only and Path=/.
    return "__Host-accord_session" if settings.secure_cookies else "accord_session"


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _principal(
    db: Database,
    person: Person,
    request: Request,
    org: tuple[str, bool] | None = None,
    **how: object,
) -> Principal:
    """The principal of `person`; `org` is their organization's name and vetting, if known."""
    if org is None:
        with db.reading() as s:
            row = s.get_one(Organization, person.org_id)
            org = row.name, row.vetting_state is VettingState.VETTED
    org_name, vetted = org
    actor = Actor(
        person_id=str(person.id),
        org_id=str(person.org_id),
        role=person.role,
        cji_cleared=person.cji_cleared,
        org_vetted=vetted,
    )
    return Principal(
        person_id=person.id,
        org_id=person.org_id,
        email=person.email,
        display_name=person.display_name,
        role=person.role,
        cji_cleared=person.cji_cleared,
        org_name=org_name,
        actor=actor,
        ip=client_ip(request),
        mfa_enabled=person.mfa_enabled,
        **how,  # type: ignore[arg-type]  # via, session_id, token_id, scopes, csrf_token
    )


def _bearer_secret(request: Request) -> str | None:
    """The token in Authorization: `Bearer`, `Token`, or HTTP Basic (e-mail and token)."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    value = value.strip()
    if scheme in ("bearer", "token") and value:
        return value
    if scheme == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return ""
        _, sep, secret = decoded.partition(":")
        return secret if sep else ""
    return ""


def _from_token(request: Request, secret: str) -> Principal:
    db: Database = request.app.state.db
    holder = authenticate_token(db, secret, at=request.app.state.clock())
    if holder is None:
        raise Unauthorized("The API token is unknown, expired or revoked.")
    return _principal(
        db,
        holder.person,
        request,
        (holder.org_name, holder.org_vetted),
        via="token",
        session_id=None,
        token_id=holder.token.id,
        scopes=frozenset(holder.token.scopes),
        csrf_token=None,
    )


def _resolved(request: Request, *, touch: bool = True) -> ResolvedSession | None:
    settings: Settings = request.app.state.settings
    secret = request.cookies.get(session_cookie_name(settings))
    if not secret:
        return None
    return resolve_session(
        request.app.state.db, settings, secret, at=request.app.state.clock(), touch=touch
    )


def _session_principal(request: Request, resolved: ResolvedSession) -> Principal:
    return _principal(
        request.app.state.db,
        resolved.person,
        request,
        via="session",
        session_id=resolved.session.id,
        token_id=None,
        scopes=None,
        csrf_token=resolved.session.csrf_token,
    )


def _from_cookie(request: Request, *, touch: bool = True) -> Principal | None:
    """The fully signed-in (MFA passed) person of the session cookie, if any."""
    resolved = _resolved(request, touch=touch)
    if resolved is None or not resolved.session.mfa_passed:
        return None
    return _session_principal(request, resolved)


def api_user(
    feature: str, *, write: bool = False, touch: bool = True
) -> Callable[[Request], Principal]:
    """A dependency for JSON routes of `feature`: a token with the scope, or a session + CSRF.

    With `touch=False` a browser session is checked without counting as the person's activity
    (see `resolve_session`): for checks the server repeats by itself.
    """

    def dependency(request: Request) -> Principal:
        secret = _bearer_secret(request)
        if secret is not None:
            principal = _from_token(request, secret)
            assert principal.scopes is not None  # noqa: S101 - tokens always carry scopes
            if not grants(principal.scopes, feature, write=write):
                level = "write" if write else "read"
                raise Forbidden(
                    f"This token lacks the scope {feature}:{level}.",
                    required_scope=f"{feature}:{level}",
                )
            return principal
        signed_in = _from_cookie(request, touch=touch)
        if signed_in is None:
            raise Unauthorized("Sign in, or present an API token.")
        if request.method in UNSAFE_METHODS:
            sent = request.headers.get("x-csrf-token", "")
            if not signed_in.csrf_token or not same_secret(sent, signed_in.csrf_token):
                raise Forbidden("Missing or wrong X-CSRF-Token header.")
        return signed_in

    dependency.__name__ = f"api_user_{feature}_{'write' if write else 'read'}"
    return dependency


def api_identity(request: Request) -> Principal:
    """Any valid credential, whatever its scopes: for asking whom a token belongs to."""
    secret = _bearer_secret(request)
    if secret is not None:
        return _from_token(request, secret)
    signed_in = _from_cookie(request)
    if signed_in is None:
        raise Unauthorized("Sign in, or present an API token.")
    return signed_in


def page_user(request: Request) -> Principal:
    """A dependency for console pages: the signed-in person, or a redirect to sign in or MFA."""
    resolved = _resolved(request)
    if resolved is None:
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        raise RedirectTo(f"/sign-in?next={quote(target, safe='')}")
    if not resolved.session.mfa_passed:
        raise RedirectTo("/mfa" if resolved.person.mfa_enabled else "/mfa/enrol")
    return _session_principal(request, resolved)


def pending_session(request: Request) -> ResolvedSession:
    """A session whose password step is done but whose MFA step may not be (the MFA pages)."""
    resolved = _resolved(request)
    if resolved is None:
        raise RedirectTo("/sign-in")
    return resolved


def pending_api_session(request: Request) -> ResolvedSession:
    """As pending_session, for JSON routes: no session is a 401, not a redirect."""
    resolved = _resolved(request)
    if resolved is None:
        raise Unauthorized("Sign in with e-mail and password first.")
    return resolved


def optional_page_user(request: Request) -> Principal | None:
    return _from_cookie(request)


def check_form_csrf(principal: Principal, token: str | None) -> None:
    """Forms carry the session's CSRF token; a missing or wrong one is refused."""
    if not principal.csrf_token or not token or not same_secret(token, principal.csrf_token):
        raise Forbidden("The form has expired or did not come from Accord. Reload and try again.")
