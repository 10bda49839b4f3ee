"""Console pages of the directory: the list of organizations, a profile, the vetting decision."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from accord.app import read_session
from accord.auth.deps import Principal, check_form_csrf, page_user
from accord.core.audit import service as audit
from accord.core.errors import AccordError, Invalid
from accord.orgs import group_views, invitation_views, org_edit_views, people_views, queries
from accord.orgs.area_svg import outline_of
from accord.orgs.domain import (
    Actor,
    OrgKind,
    Permission,
    Sector,
    VettingState,
    can,
    can_edit_organization,
    can_see_people_of,
)
from accord.orgs.service import change_vetting
from accord.web.dashboard import may_read_audit_of
from accord.web.pages import field_errors, parse_enum, redirect, render, url_with

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
# Fixed paths before templated ones (/orgs/new before /orgs/{org_id}, /people/invitations
# before /people/{person_id}): the first route whose path matches is the one that answers.
router.include_router(org_edit_views.router)
router.include_router(invitation_views.router)
router.include_router(people_views.router)
router.include_router(group_views.router)

PAGE_SIZE = 25
User = Annotated[Principal, Depends(page_user)]
ReadSession = Annotated[Session, Depends(read_session)]


@router.get("/orgs")
def directory(
    request: Request,
    principal: User,
    session: ReadSession,
    q: Annotated[str, Query(max_length=200)] = "",
    sector: Annotated[str, Query(max_length=40)] = "",
    kind: Annotated[str, Query(max_length=40)] = "",
    vetting: Annotated[str, Query(max_length=40)] = "",
    cursor: Annotated[str, Query(max_length=512)] = "",
) -> Response:
    filters = {"q": q.strip(), "sector": sector, "kind": kind, "vetting": vetting}
    page = queries.list_organizations(
        session,
        actor=principal.actor,
        q=filters["q"] or None,
        sector=parse_enum(Sector, sector),
        kind=parse_enum(OrgKind, kind),
        vetting_state=parse_enum(VettingState, vetting),
        cursor=cursor or None,
        limit=PAGE_SIZE,
    )
    return render(
        request,
        "orgs/directory.html",
        {
            "page": page,
            "filters": filters,
            "filtered": any(filters.values()),
            "sectors": list(Sector),
            "kinds": list(OrgKind),
            "states": list(VettingState),
            "next_url": url_with("/orgs", **filters, cursor=page.next_cursor)
            if page.next_cursor
            else None,
            "first_url": url_with("/orgs", **filters) if cursor else None,
            "may_create": can(principal.actor, Permission.MANAGE_PLATFORM),
        },
        principal=principal,
    )


def _profile_context(session: Session, actor: Actor, org_id: uuid.UUID) -> dict[str, Any]:
    org = queries.get_organization(session, actor=actor, org_id=org_id)
    people = None
    if can_see_people_of(actor, str(org.id)):
        people = queries.list_people(session, actor=actor, org_id=org.id, limit=PAGE_SIZE)
    history = None
    if may_read_audit_of(actor, org.id):
        history = audit.list_entries(
            session, target_type="organization", target_id=str(org.id), limit=20
        ).items
    groups = queries.list_groups(session, actor=actor, org_id=org.id, limit=PAGE_SIZE).items
    return {
        "org": org,
        "outline": outline_of(org.service_area),
        "people": people,
        "history": history,
        "groups": groups,
        "may_edit": can_edit_organization(actor, str(org.id)),
        "may_vet": can(actor, Permission.VET_ORGANIZATIONS),
        "vetting_choices": [s for s in VettingState if s is not org.vetting_state],
    }


@router.get("/orgs/{org_id}")
def profile(org_id: uuid.UUID, request: Request, principal: User, session: ReadSession) -> Response:
    context = _profile_context(session, principal.actor, org_id)
    return render(request, "orgs/profile.html", context, principal=principal)


@router.post("/orgs/{org_id}/vetting")
def vet(
    org_id: uuid.UUID,
    request: Request,
    principal: User,
    csrf_token: Annotated[str, Form(max_length=64)] = "",
    state: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    check_form_csrf(principal, csrf_token)
    try:
        change_vetting(
            request.app.state.db,
            actor=principal.actor,
            at=request.app.state.clock(),
            org_id=org_id,
            state=_vetting_state(state),
            reason=reason,
            ip=principal.ip,
        )
    except AccordError as exc:
        return _vetting_failed(request, principal, org_id, exc, state, reason)
    return redirect(url_with(f"/orgs/{org_id}", notice="vetting-changed"))


def _vetting_state(value: str) -> VettingState:
    state = parse_enum(VettingState, value)
    if state is None:
        raise Invalid("state: choose one", errors=[{"field": "state", "message": "choose one"}])
    return state


def _vetting_failed(
    request: Request,
    principal: Principal,
    org_id: uuid.UUID,
    exc: AccordError,
    state: str,
    reason: str,
) -> Response:
    """The profile again, with why the decision was refused and what was typed."""
    if exc.status in (403, 404):
        raise exc
    with request.app.state.db.reading() as session:
        context = _profile_context(session, principal.actor, org_id)
    context.update(vetting_errors=field_errors(exc), vetting_state=state, vetting_reason=reason)
    return render(
        request, "orgs/profile.html", context, principal=principal, status_code=exc.status
    )
