"""Console pages for signing in, MFA, signing out and one's own account and tokens."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote

import segno
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from accord.auth import service, tokens
from accord.auth.api import clear_session_cookie, set_session_cookie
from accord.auth.deps import (
    Principal,
    check_form_csrf,
    client_ip,
    optional_page_user,
    page_user,
    pending_session,
    same_secret,
)
from accord.auth.domain import SCOPE_FEATURES, MfaStep, mfa_required
from accord.core.errors import AccordError, Forbidden, Invalid
from accord.core.ids import new_secret
from accord.settings import Settings
from accord.web.pages import redirect, render, safe_next

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _presession_cookie(settings: Settings) -> str:
    return "__Host-accord_presession" if settings.secure_cookies else "accord_presession"


def _sign_in_page(
    request: Request, *, next_: str, email: str = "", error: str = "", status_code: int = 200
) -> Response:
    settings: Settings = request.app.state.settings
    cookie = _presession_cookie(settings)
    token = request.cookies.get(cookie) or new_secret(24)
    response = render(
        request,
        "auth/sign_in.html",
        {"csrf_token": token, "next": next_, "email": email, "error": error},
        status_code=status_code,
    )
    # Double-submit token for the one form posted before a session exists.
    response.set_cookie(
        cookie, token, httponly=True, secure=settings.secure_cookies, samesite="strict", path="/"
    )
    return response


@router.get("/sign-in")
def sign_in_form(
    request: Request,
    principal: Annotated[Principal | None, Depends(optional_page_user)],
    next: str = "/",
) -> Response:
    if principal is not None:
        return redirect(safe_next(next))
    return _sign_in_page(request, next_=safe_next(next))


@router.post("/sign-in")
def sign_in_submit(
    request: Request,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=4096)],
    csrf_token: Annotated[str, Form(max_length=64)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    settings: Settings = request.app.state.settings
    expected = request.cookies.get(_presession_cookie(settings), "")
    target = safe_next(next)
    if not expected or not same_secret(expected, csrf_token):
        return _sign_in_page(
            request,
            next_=target,
            email=email,
            status_code=403,
            error="The sign-in form expired. Please try again.",
        )
    try:
        result = service.sign_in(
            request.app.state.db,
            settings,
            email=email,
            password=password,
            at=request.app.state.clock(),
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent", ""),
        )
    except AccordError as exc:
        return _sign_in_page(
            request, next_=target, email=email, error=exc.detail, status_code=exc.status
        )
    step_target = {
        MfaStep.NONE: target,
        MfaStep.VERIFY: f"/mfa?next={quote(target, safe='/')}",
        MfaStep.ENROL: f"/mfa/enrol?next={quote(target, safe='/')}",
    }[result.mfa_step]
    response = redirect(step_target)
    set_session_cookie(response, settings, result.secret)
    response.delete_cookie(
        _presession_cookie(settings),
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="strict",
    )
    return response


def _check_pending_csrf(request: Request, token: str) -> uuid.UUID:
    pending = pending_session(request)
    if not same_secret(pending.session.csrf_token, token):
        raise Forbidden("The form has expired or did not come from Accord. Reload and try again.")
    return pending.session.id


@router.get("/mfa")
def mfa_form(request: Request, next: str = "/") -> Response:
    pending = pending_session(request)
    if pending.session.mfa_passed:
        return redirect(safe_next(next))
    return render(
        request,
        "auth/mfa_verify.html",
        {"csrf_token": pending.session.csrf_token, "next": safe_next(next)},
    )


@router.post("/mfa")
def mfa_submit(
    request: Request,
    code: Annotated[str, Form(max_length=32)],
    csrf_token: Annotated[str, Form(max_length=64)] = "",
    next: str = "/",
) -> Response:
    session_id = _check_pending_csrf(request, csrf_token)
    try:
        service.verify_mfa(
            request.app.state.db,
            request.app.state.settings,
            session_id=session_id,
            code=code,
            at=request.app.state.clock(),
            ip=client_ip(request),
        )
    except AccordError as exc:
        if exc.status == 429 or "expired" in exc.detail:
            return redirect("/sign-in")
        return render(
            request,
            "auth/mfa_verify.html",
            {"csrf_token": csrf_token, "error": exc.detail, "next": safe_next(next)},
            status_code=exc.status,
        )
    return redirect(safe_next(next))


@router.get("/mfa/enrol")
def enrol_form(request: Request, next: str = "/", error: str = "") -> Response:
    pending = pending_session(request)
    settings: Settings = request.app.state.settings
    enrolment = service.begin_mfa_enrolment(
        request.app.state.db,
        settings,
        session_id=pending.session.id,
        at=request.app.state.clock(),
    )
    person = pending.person
    qr = segno.make(enrolment.uri, error="m")
    grouped = " ".join(enrolment.secret[i : i + 4] for i in range(0, len(enrolment.secret), 4))
    return render(
        request,
        "auth/mfa_enrol.html",
        {
            "csrf_token": pending.session.csrf_token,
            "qr_svg": qr.svg_inline(scale=4, title="Authenticator set-up code"),
            "secret_grouped": grouped,
            "next": safe_next(next),
            "error": error,
            "required": mfa_required(
                person.role.value, person.cji_cleared, settings.mfa_required_roles
            ),
        },
    )


@router.post("/mfa/enrol")
def enrol_submit(
    request: Request,
    code: Annotated[str, Form(max_length=32)],
    csrf_token: Annotated[str, Form(max_length=64)] = "",
    next: str = "/",
) -> Response:
    session_id = _check_pending_csrf(request, csrf_token)
    try:
        codes = service.confirm_mfa_enrolment(
            request.app.state.db,
            request.app.state.settings,
            session_id=session_id,
            code=code,
            at=request.app.state.clock(),
            ip=client_ip(request),
        )
    except Invalid as exc:
        return enrol_form(request, next=next, error=exc.detail)
    return render(request, "auth/recovery_codes.html", {"codes": codes, "next": safe_next(next)})


@router.post("/sign-out")
def sign_out(request: Request, csrf_token: Annotated[str, Form(max_length=64)]) -> Response:
    session_id = _check_pending_csrf(request, csrf_token)
    service.sign_out(
        request.app.state.db,
        session_id=session_id,
        at=request.app.state.clock(),
        ip=client_ip(request),
    )
    response = redirect("/sign-in")
    clear_session_cookie(response, request.app.state.settings)
    return response


def _account_page(
    request: Request, principal: Principal, status_code: int = 200, **extra: object
) -> Response:
    with request.app.state.db.reading() as s:
        rows = tokens.list_api_tokens(s, principal.person_id)
    return render(
        request,
        "auth/account.html",
        {"tokens": rows, "scope_features": SCOPE_FEATURES, **extra},
        principal=principal,
        status_code=status_code,
    )


@router.get("/account")
def account(request: Request, principal: Annotated[Principal, Depends(page_user)]) -> Response:
    return _account_page(request, principal)


@router.post("/account/password")
def account_password(
    request: Request,
    principal: Annotated[Principal, Depends(page_user)],
    current_password: Annotated[str, Form(max_length=4096)],
    new_password: Annotated[str, Form(max_length=4096)],
    csrf_token: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    check_form_csrf(principal, csrf_token)
    try:
        service.change_password(
            request.app.state.db,
            request.app.state.settings,
            person_id=principal.person_id,
            current=current_password,
            new=new_password,
            at=request.app.state.clock(),
            ip=principal.ip,
        )
    except Invalid as exc:
        return _account_page(request, principal, status_code=422, password_error=exc.detail)
    response = redirect("/sign-in?next=/account")
    clear_session_cookie(response, request.app.state.settings)
    return response


@router.post("/account/mfa")
def account_mfa(
    principal: Annotated[Principal, Depends(page_user)],
    csrf_token: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    check_form_csrf(principal, csrf_token)
    return redirect("/mfa/enrol?next=/account")


@router.post("/account/tokens")
def account_token_create(
    request: Request,
    principal: Annotated[Principal, Depends(page_user)],
    name: Annotated[str, Form(max_length=120)],
    csrf_token: Annotated[str, Form(max_length=64)] = "",
    scopes: Annotated[list[str] | None, Form()] = None,
    expires_in_days: Annotated[int, Form(ge=1, le=3650)] = 90,
) -> Response:
    check_form_csrf(principal, csrf_token)
    at = request.app.state.clock()
    try:
        secret, _ = tokens.create_api_token(
            request.app.state.db,
            actor=principal.actor,
            person_id=principal.person_id,
            name=name,
            scopes=scopes or [],
            expires_at=at + timedelta(days=expires_in_days),
            at=at,
            ip=principal.ip,
        )
    except AccordError as exc:
        return _account_page(request, principal, status_code=exc.status, token_error=exc.detail)
    return _account_page(request, principal, new_token=secret)


@router.post("/account/tokens/{token_id}/revoke")
def account_token_revoke(
    token_id: uuid.UUID,
    request: Request,
    principal: Annotated[Principal, Depends(page_user)],
    csrf_token: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    check_form_csrf(principal, csrf_token)
    tokens.revoke_api_token(
        request.app.state.db,
        actor=principal.actor,
        token_id=token_id,
        at=request.app.state.clock(),
        ip=principal.ip,
    )
    return redirect("/account")
