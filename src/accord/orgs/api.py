"""JSON routes under /api/v1/orgs and /api/v1/groups; people_api adds people and invitations."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlalchemy.orm import Session

from accord.app import read_session
from accord.auth.deps import Principal, api_user
from accord.core.errors import Invalid
from accord.core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from accord.orgs import groups, queries, service
from accord.orgs.domain import OrgKind, Sector, VettingState
from accord.orgs.people_api import router as people_router
from accord.orgs.schemas import (
    GroupCreate,
    GroupMemberAdd,
    GroupPage,
    GroupRead,
    GroupUpdate,
    OrganizationCreate,
    OrganizationPage,
    OrganizationRead,
    OrganizationUpdate,
    VettingChange,
    group_read,
    organization_read,
)

__all__ = ["router"]

router = APIRouter()
orgs = APIRouter(prefix="/api/v1/orgs", tags=["organizations"])
groups_router = APIRouter(prefix="/api/v1/groups", tags=["groups"])

Reader = Annotated[Principal, Depends(api_user("orgs"))]
Writer = Annotated[Principal, Depends(api_user("orgs", write=True))]
ReadSession = Annotated[Session, Depends(read_session)]
Cursor = Annotated[str | None, Query(max_length=512, description="next_cursor of the last page")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Search = Annotated[str | None, Query(max_length=200, description="part of the name, any case")]


@orgs.get("", response_model=OrganizationPage, summary="The directory of organizations")
def list_organizations(
    principal: Reader,
    s: ReadSession,
    q: Search = None,
    sector: Sector | None = None,
    kind: OrgKind | None = None,
    vetting_state: VettingState | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> OrganizationPage:
    page = queries.list_organizations(
        s,
        actor=principal.actor,
        q=q,
        sector=sector,
        kind=kind,
        vetting_state=vetting_state,
        cursor=cursor,
        limit=limit,
    )
    items = [organization_read(o) for o in page.items]
    return OrganizationPage(items=items, next_cursor=page.next_cursor, limit=page.limit)


@orgs.post(
    "",
    response_model=OrganizationRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create an organization (platform admins); it starts pending vetting",
)
def create_organization(
    body: OrganizationCreate, principal: Writer, request: Request, response: Response
) -> OrganizationRead:
    org = service.create_organization(
        request.app.state.db,
        actor=principal.actor,
        at=request.app.state.clock(),
        ip=principal.ip,
        **body.model_dump(exclude={"contacts"}),
        contacts=[c.model_dump() for c in body.contacts],
    )
    response.headers["Location"] = f"/api/v1/orgs/{org.id}"
    return organization_read(org)


@orgs.get("/{org_id}", response_model=OrganizationRead, summary="One organization")
def get_organization(org_id: uuid.UUID, principal: Reader, s: ReadSession) -> OrganizationRead:
    return organization_read(queries.get_organization(s, actor=principal.actor, org_id=org_id))


@orgs.patch("/{org_id}", response_model=OrganizationRead, summary="Edit an organization's profile")
def update_organization(
    org_id: uuid.UUID, body: OrganizationUpdate, principal: Writer, request: Request
) -> OrganizationRead:
    changes = body.model_dump(exclude_unset=True)
    org = service.update_organization(
        request.app.state.db,
        actor=principal.actor,
        at=request.app.state.clock(),
        org_id=org_id,
        ip=principal.ip,
        **changes,
    )
    return organization_read(org)


@orgs.post(
    "/{org_id}/vetting",
    response_model=OrganizationRead,
    summary="Vet, suspend or return to pending (platform admins), with a reason",
)
def change_vetting(
    org_id: uuid.UUID, body: VettingChange, principal: Writer, request: Request
) -> OrganizationRead:
    org = service.change_vetting(
        request.app.state.db,
        actor=principal.actor,
        at=request.app.state.clock(),
        org_id=org_id,
        state=body.state,
        reason=body.reason,
        ip=principal.ip,
    )
    return organization_read(org)


@groups_router.get("", response_model=GroupPage, summary="Groups of organizations")
def list_groups(
    principal: Reader,
    s: ReadSession,
    q: Search = None,
    org_id: Annotated[
        uuid.UUID | None, Query(description="only groups this one belongs to")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> GroupPage:
    page = queries.list_groups(
        s, actor=principal.actor, q=q, org_id=org_id, cursor=cursor, limit=limit
    )
    items = [group_read(g) for g in page.items]
    return GroupPage(items=items, next_cursor=page.next_cursor, limit=page.limit)


@groups_router.post(
    "",
    response_model=GroupRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create a group; you coordinate it and your organization is its first member",
)
def create_group(
    body: GroupCreate, principal: Writer, request: Request, response: Response
) -> GroupRead:
    group = groups.create_group(
        request.app.state.db,
        actor=principal.actor,
        at=request.app.state.clock(),
        name=body.name,
        description=body.description,
        ip=principal.ip,
    )
    response.headers["Location"] = f"/api/v1/groups/{group.id}"
    return group_read(group)


@groups_router.get("/{group_id}", response_model=GroupRead, summary="One group")
def get_group(group_id: uuid.UUID, principal: Reader, s: ReadSession) -> GroupRead:
    return group_read(queries.get_group(s, actor=principal.actor, group_id=group_id))


@groups_router.patch(
    "/{group_id}", response_model=GroupRead, summary="Rename a group or hand it to a coordinator"
)
def update_group(
    group_id: uuid.UUID, body: GroupUpdate, principal: Writer, request: Request
) -> GroupRead:
    changes = body.model_dump(exclude_unset=True)
    if "coordinator_id" in changes and changes["coordinator_id"] is None:
        raise Invalid(
            "A group always has a coordinator; name the person who takes over.",
            errors=[{"field": "coordinator_id", "message": "cannot be null"}],
        )
    group = groups.update_group(
        request.app.state.db,
        actor=principal.actor,
        at=request.app.state.clock(),
        group_id=group_id,
        ip=principal.ip,
        **changes,
    )
    return group_read(group)


@groups_router.post(
    "/{group_id}/members",
    response_model=GroupRead,
    status_code=status.HTTP_201_CREATED,
    summary="Add a vetted organization to a group (its coordinator or platform admins)",
)
def add_group_member(
    group_id: uuid.UUID,
    body: GroupMemberAdd,
    principal: Writer,
    request: Request,
    response: Response,
) -> GroupRead:
    group = groups.add_group_member(
        request.app.state.db,
        actor=principal.actor,
        at=request.app.state.clock(),
        group_id=group_id,
        org_id=body.org_id,
        ip=principal.ip,
    )
    response.headers["Location"] = f"/api/v1/groups/{group.id}"
    return group_read(group)


@groups_router.delete(
    "/{group_id}/members/{org_id}",
    response_model=GroupRead,
    summary="Remove an organization from a group",
)
def remove_group_member(
    group_id: uuid.UUID, org_id: uuid.UUID, principal: Writer, request: Request
) -> GroupRead:
    group = groups.remove_group_member(
        request.app.state.db,
        actor=principal.actor,
        at=request.app.state.clock(),
        group_id=group_id,
        org_id=org_id,
        ip=principal.ip,
    )
    return group_read(group)


router.include_router(orgs)
router.include_router(groups_router)
router.include_router(people_router)
