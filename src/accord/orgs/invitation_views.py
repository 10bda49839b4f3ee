"""Console pages of invitations: invite and revoke (admins), and accepting a link (public)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from accord.auth.deps import Principal, check_form_csrf, client_ip, page_user
from accord.auth.service import password_policy
from accord.core.errors import AccordError, Invalid, NotFound
from accord.orgs import invitations
from accord.orgs.domain import Role
from accord.orgs.people_views import people_page
from accord.settings import Settings
from accord.web.pages import field_errors, parse_enum, redirect, render, url_with

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

User = Annotated[Principal, Depends(page_user)]
Csrf = Annotated[str, Form(max_length=64)]
Secret = Annotated[str, Form(max_length=4096)]
MISMATCH = [
    {
        "field": "password_confirm",
        "message": "does not match the password",
        "anchor": "password_confirm",
        "label": "Confirmation",
    }
]


@router.get("/people/invitations")
def invitations_home(principal: User) -> Response:
    """Where a reload after inviting lands: the people page (the link is not shown again)."""
    return redirect("/people")


@router.post("/people/invitations")
def invite(
    request: Request,
    principal: User,
    csrf_token: Csrf = "",
    org_id: Annotated[uuid.UUID | None, Form()] = None,
    email: Annotated[str, Form(max_length=254)] = "",
    display_name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=40)] = "",
    cji_cleared: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    check_form_csrf(principal, csrf_token)
    target = org_id or principal.org_id
    settings: Settings = request.app.state.settings
    values = {
        "email": email,
        "display_name": display_name,
        "role": role,
        "cji_cleared": bool(cji_cleared),
    }
    try:
        issued = invitations.invite_person(
            request.app.state.db,
            actor=principal.actor,
            at=request.app.state.clock(),
            org_id=target,
            email=email,
            display_name=display_name,
            role=_role(role),
            cji_cleared=bool(cji_cleared),
            public_url=settings.effective_public_url,
            valid_hours=settings.invitation_valid_hours,
            ip=principal.ip,
        )
    except AccordError as exc:
        if exc.status in (403, 404):
            raise
        return people_page(
            request,
            principal,
            target,
            status_code=exc.status,
            invite_errors=field_errors(exc),
            invite_values=values,
        )
    # The link is shown this once: only its hash is stored, so there is no redirect here.
    return people_page(request, principal, target, status_code=201, issued=issued)


def _role(value: str) -> Role:
    role = parse_enum(Role, value)
    if role is None:
        raise Invalid("role: choose one", errors=[{"field": "role", "message": "choose a role"}])
    return role


@router.post("/people/invitations/{invitation_id}/revoke")
def revoke(
    invitation_id: uuid.UUID, request: Request, principal: User, csrf_token: Csrf = ""
) -> Response:
    check_form_csrf(principal, csrf_token)
    invitation = invitations.revoke_invitation(
        request.app.state.db,
        actor=principal.actor,
        at=request.app.state.clock(),
        invitation_id=invitation_id,
        ip=principal.ip,
    )
    return redirect(url_with("/people", org=str(invitation.org_id), notice="invitation-revoked"))


def _invalid_link(request: Request, exc: NotFound) -> Response:
    explanation = exc.extensions.get("explanation") or exc.detail
    return render(request, "orgs/invitation.html", {"invalid": explanation}, status_code=404)


# The secret in the path is the capability: whoever holds the link may use it, once. There is
# no session to carry a CSRF token, and a forged request would need the secret anyway.
@router.get("/invitations/{secret}")
def invitation_form(secret: str, request: Request) -> Response:
    try:
        invitation = invitations.find_invitation_by_secret(
            request.app.state.db, secret=secret, at=request.app.state.clock()
        )
    except NotFound as exc:
        return _invalid_link(request, exc)
    return render(
        request,
        "orgs/invitation.html",
        {
            "invitation": invitation,
            "display_name": invitation.display_name,
        },
    )


def _accept(request: Request, secret: str, display_name: str, password: str) -> list[Any]:
    """Create the account; the form's errors, or none when the account now exists."""
    try:
        invitations.accept_invitation(
            request.app.state.db,
            secret=secret,
            display_name=display_name,
            password=password,
            at=request.app.state.clock(),
            policy=password_policy(request.app.state.settings),
            ip=client_ip(request),
        )
    except NotFound:
        raise  # used or withdrawn meanwhile: the page explains the link instead of the form
    except AccordError as exc:
        return field_errors(exc)
    return []


@router.post("/invitations/{secret}")
def accept(
    secret: str,
    request: Request,
    display_name: Annotated[str, Form(max_length=200)] = "",
    password: Secret = "",
    password_confirm: Secret = "",
) -> Response:
    try:
        invitation = invitations.find_invitation_by_secret(
            request.app.state.db, secret=secret, at=request.app.state.clock()
        )
        errors = MISMATCH if password != password_confirm else []
        errors = errors or _accept(request, secret, display_name, password)
    except NotFound as exc:
        return _invalid_link(request, exc)
    if not errors:
        return redirect(url_with("/sign-in", notice="account-created"))
    context = {"invitation": invitation, "display_name": display_name, "errors": errors}
    return render(request, "orgs/invitation.html", context, status_code=422)
