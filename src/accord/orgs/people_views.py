"""Console pages of people: an organization's list, a person, and what admins do to accounts."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from accord.auth import service as auth_service
from accord.auth.deps import Principal, check_form_csrf, page_user
from accord.core.audit import service as audit
from accord.core.errors import AccordError
from accord.orgs import people, queries
from accord.orgs.domain import (
    Actor,
    Permission,
    Role,
    can,
    can_manage_people_of,
    can_manage_person,
    roles_assignable_by,
)
from accord.orgs.schemas import invitation_read
from accord.web.dashboard import may_read_audit_of
from accord.web.pages import field_errors, parse_enum, redirect, render, url_with

__all__ = ["people_page", "router"]

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
User = Annotated[Principal, Depends(page_user)]
Csrf = Annotated[str, Form(max_length=64)]


def _chosen_org(principal: Principal, org: str) -> uuid.UUID:
    """Platform admins look at any organization's people; everyone else at their own."""
    if org and can(principal.actor, Permission.MANAGE_PLATFORM):
        try:
            return uuid.UUID(org)
        except ValueError:
            pass
    return principal.org_id


def _invitations(s: Session, actor: Actor, org_id: uuid.UUID, at: datetime) -> list[Any]:
    """The organization's latest invitations, each with where it stands at `at`."""
    rows = queries.list_invitations(s, actor=actor, org_id=org_id, limit=20).items
    return [invitation_read(i, at=at) for i in rows]


def people_page(
    request: Request,
    principal: Principal,
    org_id: uuid.UUID,
    *,
    q: str = "",
    cursor: str = "",
    status_code: int = 200,
    **extra: Any,
) -> Response:
    """The people list of `org_id`, its invitations and the invite form; shared with invites."""
    actor = principal.actor
    with request.app.state.db.reading() as s:
        org = queries.get_organization(s, actor=actor, org_id=org_id)
        page = queries.list_people(
            s, actor=actor, org_id=org_id, q=q or None, cursor=cursor or None, limit=PAGE_SIZE
        )
        may_manage = can_manage_people_of(actor, str(org_id))
        invitations = (
            _invitations(s, actor, org_id, request.app.state.clock()) if may_manage else []
        )
        orgs = None
        if can(actor, Permission.MANAGE_PLATFORM):
            orgs = queries.list_organizations(s, actor=actor, limit=200).items
    base = {"org": str(org_id) if orgs is not None else "", "q": q}
    return render(
        request,
        "orgs/people.html",
        {
            "org": org,
            "page": page,
            "orgs": orgs,
            "q": q,
            "may_manage": may_manage,
            "invitations": invitations,
            "roles": roles_assignable_by(actor),
            "next_url": url_with("/people", **base, cursor=page.next_cursor)
            if page.next_cursor
            else None,
            "first_url": url_with("/people", **base) if cursor else None,
            **extra,
        },
        principal=principal,
        status_code=status_code,
    )


@router.get("/people")
def people_list(
    request: Request,
    principal: User,
    org: Annotated[str, Query(max_length=64)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    cursor: Annotated[str, Query(max_length=512)] = "",
) -> Response:
    return people_page(request, principal, _chosen_org(principal, org), q=q.strip(), cursor=cursor)


def _person_page(
    request: Request,
    principal: Principal,
    person_id: uuid.UUID,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    actor = principal.actor
    with request.app.state.db.reading() as s:
        person = queries.get_person(s, actor=actor, person_id=person_id)
        org = queries.get_organization(s, actor=actor, org_id=person.org_id)
        history = _history(s, principal, person.org_id, person_id)
    is_self = person.id == principal.person_id
    return render(
        request,
        "orgs/person.html",
        {
            "person": person,
            "org": org,
            "is_self": is_self,
            "history": history,
            "details": is_self or can_manage_people_of(actor, str(person.org_id)),
            "may_manage": not is_self and can_manage_person(actor, str(person.org_id), person.role),
            "roles": roles_assignable_by(actor),
            **extra,
        },
        principal=principal,
        status_code=status_code,
    )


def _history(
    s: Session, principal: Principal, org_id: uuid.UUID, person_id: uuid.UUID
) -> list[Any] | None:
    if not may_read_audit_of(principal.actor, org_id):
        return None
    entries = audit.list_entries(s, target_type="person", target_id=str(person_id), limit=10)
    return entries.items


@router.get("/people/{person_id}")
def person_detail(person_id: uuid.UUID, request: Request, principal: User) -> Response:
    return _person_page(request, principal, person_id)


def _act(
    request: Request,
    principal: Principal,
    person_id: uuid.UUID,
    csrf_token: str,
    notice: str,
    action: Callable[..., object],
    **arguments: Any,
) -> Response:
    """Run one account action as the signed-in admin; a refusal shows on the person's page."""
    check_form_csrf(principal, csrf_token)
    try:
        action(
            request.app.state.db,
            actor=principal.actor,
            at=request.app.state.clock(),
            person_id=person_id,
            ip=principal.ip,
            **arguments,
        )
    except AccordError as exc:
        if exc.status in (403, 404):
            raise
        return _person_page(
            request, principal, person_id, status_code=exc.status, action_errors=field_errors(exc)
        )
    return redirect(url_with(f"/people/{person_id}", notice=notice))


@router.post("/people/{person_id}/role")
def change_role(
    person_id: uuid.UUID,
    request: Request,
    principal: User,
    csrf_token: Csrf = "",
    role: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    chosen = parse_enum(Role, role)
    if chosen is None:
        check_form_csrf(principal, csrf_token)
        errors = [{"field": "role", "message": "choose a role", "anchor": "role", "label": "Role"}]
        return _person_page(request, principal, person_id, status_code=422, action_errors=errors)
    return _act(
        request, principal, person_id, csrf_token, "role-changed", people.change_role, role=chosen
    )


@router.post("/people/{person_id}/cji")
def change_cji(
    person_id: uuid.UUID,
    request: Request,
    principal: User,
    csrf_token: Csrf = "",
    cleared: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    return _act(
        request,
        principal,
        person_id,
        csrf_token,
        "cji-changed",
        people.set_cji_clearance,
        cleared=cleared == "yes",
    )


@router.post("/people/{person_id}/deactivate")
def deactivate(
    person_id: uuid.UUID, request: Request, principal: User, csrf_token: Csrf = ""
) -> Response:
    return _act(
        request, principal, person_id, csrf_token, "person-deactivated", people.deactivate_person
    )


@router.post("/people/{person_id}/reactivate")
def reactivate(
    person_id: uuid.UUID, request: Request, principal: User, csrf_token: Csrf = ""
) -> Response:
    return _act(
        request, principal, person_id, csrf_token, "person-reactivated", people.reactivate_person
    )


@router.post("/people/{person_id}/release-lock")
def release_lock(
    person_id: uuid.UUID, request: Request, principal: User, csrf_token: Csrf = ""
) -> Response:
    return _act(
        request, principal, person_id, csrf_token, "lock-released", auth_service.release_lock
    )


@router.post("/people/{person_id}/reset-mfa")
def reset_mfa(
    person_id: uuid.UUID, request: Request, principal: User, csrf_token: Csrf = ""
) -> Response:
    return _act(request, principal, person_id, csrf_token, "mfa-reset", auth_service.reset_mfa)
