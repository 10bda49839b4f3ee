"""Console pages of groups: the list, creating one, and a group's members."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response

from accord.auth.deps import Principal, check_form_csrf, page_user
from accord.core.errors import AccordError
from accord.orgs import groups, queries
from accord.orgs.domain import (
    Permission,
    VettingState,
    can,
    can_manage_group,
    can_see_people_of,
)
from accord.orgs.models import Group
from accord.web.pages import field_errors, redirect, render, url_with

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
User = Annotated[Principal, Depends(page_user)]
Csrf = Annotated[str, Form(max_length=64)]


def _groups_page(
    request: Request,
    principal: Principal,
    *,
    q: str = "",
    cursor: str = "",
    status_code: int = 200,
    **extra: Any,
) -> Response:
    with request.app.state.db.reading() as s:
        page = queries.list_groups(
            s, actor=principal.actor, q=q or None, cursor=cursor or None, limit=PAGE_SIZE
        )
    return render(
        request,
        "orgs/groups.html",
        {
            "page": page,
            "q": q,
            "may_create": can(principal.actor, Permission.CREATE_GROUPS),
            "next_url": url_with("/groups", q=q, cursor=page.next_cursor)
            if page.next_cursor
            else None,
            "first_url": url_with("/groups", q=q) if cursor else None,
            **extra,
        },
        principal=principal,
        status_code=status_code,
    )


@router.get("/groups")
def group_list(
    request: Request,
    principal: User,
    q: Annotated[str, Query(max_length=200)] = "",
    cursor: Annotated[str, Query(max_length=512)] = "",
) -> Response:
    return _groups_page(request, principal, q=q.strip(), cursor=cursor)


@router.post("/groups")
def create_group(
    request: Request,
    principal: User,
    csrf_token: Csrf = "",
    name: Annotated[str, Form(max_length=200)] = "",
    description: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    check_form_csrf(principal, csrf_token)
    try:
        group = groups.create_group(
            request.app.state.db,
            actor=principal.actor,
            at=request.app.state.clock(),
            name=name,
            description=description,
            ip=principal.ip,
        )
    except AccordError as exc:
        if exc.status in (403, 404):
            raise
        values = {"name": name, "description": description}
        return _groups_page(
            request,
            principal,
            status_code=exc.status,
            create_errors=field_errors(exc),
            create_values=values,
        )
    return redirect(url_with(f"/groups/{group.id}", notice="group-created"))


def _coordinator(principal: Principal, group: Group) -> dict[str, Any] | None:
    """Who coordinates: by name when the viewer may see that person, else by organization."""
    person = group.coordinator
    if person is None:
        return None
    org = next((m.organization for m in group.members if m.org_id == person.org_id), None)
    named = can_see_people_of(principal.actor, str(person.org_id))
    return {
        "name": person.display_name if named else None,
        "href": f"/people/{person.id}" if named else None,
        "org_name": org.name if org else "",
    }


def _group_page(
    request: Request,
    principal: Principal,
    group_id: uuid.UUID,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    actor = principal.actor
    with request.app.state.db.reading() as s:
        group = queries.get_group(s, actor=actor, group_id=group_id)
        coordinator_id = str(group.coordinator_id) if group.coordinator_id else None
        may_manage = can_manage_group(actor, coordinator_id)
        addable = []
        if may_manage:
            vetted = queries.list_organizations(
                s, actor=actor, vetting_state=VettingState.VETTED, limit=200
            ).items
            members = {m.org_id for m in group.members}
            addable = [o for o in vetted if o.id not in members]
        coordinator = _coordinator(principal, group)
        members_sorted = sorted(group.members, key=lambda m: m.organization.name.lower())
    return render(
        request,
        "orgs/group.html",
        {
            "group": group,
            "members": members_sorted,
            "coordinator": coordinator,
            "may_manage": may_manage,
            "addable": addable,
            **extra,
        },
        principal=principal,
        status_code=status_code,
    )


@router.get("/groups/{group_id}")
def group_detail(group_id: uuid.UUID, request: Request, principal: User) -> Response:
    return _group_page(request, principal, group_id)


def _change(
    request: Request,
    principal: Principal,
    group_id: uuid.UUID,
    csrf_token: str,
    notice: str,
    action: Callable[..., object],
    org_id: uuid.UUID,
) -> Response:
    check_form_csrf(principal, csrf_token)
    try:
        action(
            request.app.state.db,
            actor=principal.actor,
            at=request.app.state.clock(),
            group_id=group_id,
            org_id=org_id,
            ip=principal.ip,
        )
    except AccordError as exc:
        if exc.status == 403:
            raise
        # A group the viewer may not see raises NotFound again while the page is drawn.
        return _group_page(
            request, principal, group_id, status_code=exc.status, member_errors=field_errors(exc)
        )
    return redirect(url_with(f"/groups/{group_id}", notice=notice))


@router.post("/groups/{group_id}/members")
def add_member(
    group_id: uuid.UUID,
    request: Request,
    principal: User,
    csrf_token: Csrf = "",
    org_id: Annotated[uuid.UUID | None, Form()] = None,
) -> Response:
    if org_id is None:
        check_form_csrf(principal, csrf_token)
        errors = [
            {
                "field": "org_id",
                "message": "choose an organization",
                "anchor": "org_id",
                "label": "Organization",
            }
        ]
        return _group_page(request, principal, group_id, status_code=422, member_errors=errors)
    return _change(
        request, principal, group_id, csrf_token, "member-added", groups.add_group_member, org_id
    )


@router.post("/groups/{group_id}/members/{org_id}/remove")
def remove_member(
    group_id: uuid.UUID,
    org_id: uuid.UUID,
    request: Request,
    principal: User,
    csrf_token: Csrf = "",
) -> Response:
    return _change(
        request,
        principal,
        group_id,
        csrf_token,
        "member-removed",
        groups.remove_group_member,
        org_id,
    )
