"""JSON routes under /api/v1/people and /api/v1/invitations, accepting an invitation included."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlalchemy.orm import Session

from accord.app import read_session
from accord.auth.deps import Principal, api_user, client_ip
from accord.auth.service import password_policy
from accord.core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from accord.orgs import invitations, people, queries
from accord.orgs.domain import Role, can_manage_people_of
from accord.orgs.models import Person
from accord.orgs.schemas import (
    AcceptBody,
    CjiChange,
    InvitationCreate,
    InvitationIssued,
    InvitationPage,
    InvitationRead,
    PersonPage,
    PersonRead,
    RoleChange,
    invitation_read,
    person_read,
)
from accord.settings import Settings

__all__ = ["router"]

router = APIRouter()
people_router = APIRouter(prefix="/api/v1/people", tags=["people"])
invitations_router = APIRouter(prefix="/api/v1/invitations", tags=["invitations"])

Reader = Annotated[Principal, Depends(api_user("people"))]
Writer = Annotated[Principal, Depends(api_user("people", write=True))]
ReadSession = Annotated[Session, Depends(read_session)]
Cursor = Annotated[str | None, Query(max_length=512, description="next_cursor of the last page")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


def _read(principal: Principal, person: Person) -> PersonRead:
    details = can_manage_people_of(principal.actor, str(person.org_id))
    return person_read(person, details=details or person.id == principal.person_id)


@people_router.get("", response_model=PersonPage, summary="People of your organization")
def list_people(
    principal: Reader,
    s: ReadSession,
    org_id: uuid.UUID | None = None,
    role: Role | None = None,
    active: bool | None = None,
    q: Annotated[str | None, Query(max_length=200, description="part of the name")] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> PersonPage:
    page = queries.list_people(
        s,
        actor=principal.actor,
        org_id=org_id,
        role=role,
        active=active,
        q=q,
        cursor=cursor,
        limit=limit,
    )
    items = [_read(principal, p) for p in page.items]
    return PersonPage(items=items, next_cursor=page.next_cursor, limit=page.limit)


@people_router.get("/{person_id}", response_model=PersonRead, summary="One person")
def get_person(person_id: uuid.UUID, principal: Reader, s: ReadSession) -> PersonRead:
    return _read(principal, queries.get_person(s, actor=principal.actor, person_id=person_id))


@people_router.post("/{person_id}/role", response_model=PersonRead, summary="Change a role")
def change_role(
    person_id: uuid.UUID, body: RoleChange, principal: Writer, request: Request
) -> PersonRead:
    person = people.change_role(
        request.app.state.db,
        actor=principal.actor,
        at=request.app.state.clock(),
        person_id=person_id,
        role=body.role,
        ip=principal.ip,
    )
    return _read(principal, person)


@people_router.post(
    "/{person_id}/cji-clearance",
    response_model=PersonRead,
    summary="Record whether a person is cleared for criminal-justice information",
)
def set_cji_clearance(
    person_id: uuid.UUID, body: CjiChange, principal: Writer, request: Request
) -> PersonRead:
    person = people.set_cji_clearance(
        request.app.state.db,
        actor=principal.actor,
        at=request.app.state.clock(),
        person_id=person_id,
        cleared=body.cji_cleared,
        ip=principal.ip,
    )
    return _read(principal, person)


@people_router.post(
    "/{person_id}/deactivate",
    response_model=PersonRead,
    summary="Close an account (its history stays); its sessions end at once",
)
def deactivate_person(person_id: uuid.UUID, principal: Writer, request: Request) -> PersonRead:
    person = people.deactivate_person(
        request.app.state.db,
        actor=principal.actor,
        at=request.app.state.clock(),
        person_id=person_id,
        ip=principal.ip,
    )
    return _read(principal, person)


@people_router.post(
    "/{person_id}/reactivate", response_model=PersonRead, summary="Open a closed account again"
)
def reactivate_person(person_id: uuid.UUID, principal: Writer, request: Request) -> PersonRead:
    person = people.reactivate_person(
        request.app.state.db,
        actor=principal.actor,
        at=request.app.state.clock(),
        person_id=person_id,
        ip=principal.ip,
    )
    return _read(principal, person)


@invitations_router.get(
    "", response_model=InvitationPage, summary="An organization's invitations (its admins)"
)
def list_invitations(
    principal: Reader,
    s: ReadSession,
    request: Request,
    org_id: Annotated[uuid.UUID | None, Query(description="default: your organization")] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> InvitationPage:
    page = queries.list_invitations(
        s, actor=principal.actor, org_id=org_id or principal.org_id, cursor=cursor, limit=limit
    )
    at = request.app.state.clock()
    items = [invitation_read(i, at=at) for i in page.items]
    return InvitationPage(items=items, next_cursor=page.next_cursor, limit=page.limit)


@invitations_router.post(
    "",
    response_model=InvitationIssued,
    status_code=status.HTTP_201_CREATED,
    summary="Invite someone; the link in the answer is shown this once",
)
def invite_person(
    body: InvitationCreate, principal: Writer, request: Request, response: Response
) -> InvitationIssued:
    settings: Settings = request.app.state.settings
    at = request.app.state.clock()
    issued = invitations.invite_person(
        request.app.state.db,
        actor=principal.actor,
        at=at,
        public_url=settings.effective_public_url,
        valid_hours=settings.invitation_valid_hours,
        ip=principal.ip,
        **body.model_dump(),
    )
    response.headers["Location"] = f"/api/v1/invitations/{issued.invitation.id}"
    read = invitation_read(issued.invitation, at=at)
    return InvitationIssued(**read.model_dump(), token=issued.secret, link=issued.link)


@invitations_router.post(
    "/accept",
    response_model=PersonRead,
    status_code=status.HTTP_201_CREATED,
    summary="Accept an invitation: set your name and password (no sign-in needed)",
)
def accept_invitation(body: AcceptBody, request: Request, response: Response) -> PersonRead:
    person = invitations.accept_invitation(
        request.app.state.db,
        secret=body.token,
        display_name=body.display_name,
        password=body.password,
        at=request.app.state.clock(),
        policy=password_policy(request.app.state.settings),
        ip=client_ip(request),
    )
    response.headers["Location"] = f"/api/v1/people/{person.id}"
    return person_read(person, details=True)


@invitations_router.get("/{invitation_id}", response_model=InvitationRead, summary="One invitation")
def get_invitation(
    invitation_id: uuid.UUID, principal: Reader, s: ReadSession, request: Request
) -> InvitationRead:
    invitation = queries.get_invitation(s, actor=principal.actor, invitation_id=invitation_id)
    return invitation_read(invitation, at=request.app.state.clock())


@invitations_router.post(
    "/{invitation_id}/revoke", response_model=InvitationRead, summary="Withdraw an invitation"
)
def revoke_invitation(
    invitation_id: uuid.UUID, principal: Writer, request: Request
) -> InvitationRead:
    at = request.app.state.clock()
    invitation = invitations.revoke_invitation(
        request.app.state.db,
        actor=principal.actor,
        at=at,
        invitation_id=invitation_id,
        ip=principal.ip,
    )
    return invitation_read(invitation, at=at)


router.include_router(people_router)
router.include_router(invitations_router)
