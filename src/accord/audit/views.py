"""Console pages of the audit log: entries in the viewer's scope, one entry, the signed head."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from accord.app import read_session
from accord.auth.deps import Principal, page_user
from accord.core.audit import service
from accord.core.audit.models import AuditEntry
from accord.core.errors import Invalid, NotFound
from accord.orgs.domain import Actor, Permission, can
from accord.web.dashboard import actor_names, target_names
from accord.web.pages import field_errors, render, url_with

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
User = Annotated[Principal, Depends(page_user)]
ReadSession = Annotated[Session, Depends(read_session)]
Filter = Annotated[str, Query(max_length=80)]


def _visible_org(actor: Actor) -> uuid.UUID | None:
    """None for auditors of every entry, the own organization for its admins; else NotFound.

    The console answers 404 rather than 403, as for any page a role does not have.
    """
    if can(actor, Permission.VIEW_AUDIT_ALL):
        return None
    if can(actor, Permission.VIEW_AUDIT_OWN_ORG):
        return uuid.UUID(actor.org_id)
    raise NotFound("No such page.")


def _entries(
    session: Session, org_id: uuid.UUID | None, filters: dict[str, str], cursor: str
) -> tuple[list[AuditEntry], str | None, list[dict[str, str]]]:
    """One page of entries in scope, its next cursor, and the errors of a malformed filter."""
    try:
        page = service.list_entries(
            session,
            org_id=org_id,
            action_prefix=filters["action"] or None,
            target_type=filters["target_type"] or None,
            target_id=filters["target_id"] or None,
            cursor=cursor or None,
            limit=PAGE_SIZE,
        )
    except Invalid as exc:
        return [], None, field_errors(exc)
    return page.items, page.next_cursor, []


@router.get("/audit")
def audit_log(
    request: Request,
    principal: User,
    session: ReadSession,
    action: Filter = "",
    target_type: Filter = "",
    target_id: Filter = "",
    cursor: Annotated[str, Query(max_length=512)] = "",
) -> Response:
    org_id = _visible_org(principal.actor)
    filters = {
        "action": action.strip(),
        "target_type": target_type.strip(),
        "target_id": target_id.strip(),
    }
    entries, next_cursor, errors = _entries(session, org_id, filters, cursor)
    return render(
        request,
        "audit/log.html",
        {
            "entries": entries,
            "filters": filters,
            "filtered": any(filters.values()),
            "errors": errors,
            "scope": "all" if org_id is None else "org",
            "names": actor_names(session, principal.actor, entries),
            "targets": target_names(session, principal.actor, entries),
            "head": service.current_tree_head(session),
            "next_url": url_with("/audit", **filters, cursor=next_cursor) if next_cursor else None,
            "first_url": url_with("/audit", **filters) if cursor else None,
        },
        principal=principal,
        status_code=422 if errors else 200,
    )


@router.get("/audit/{seq}")
def audit_entry(
    request: Request,
    principal: User,
    session: ReadSession,
    seq: Annotated[int, Path(ge=0, le=2**62)],
) -> Response:
    org_id = _visible_org(principal.actor)
    entry = service.get_entry(session, seq)
    if org_id is not None and entry.org_id != org_id:
        raise NotFound(f"The audit log has no entry {seq}.")
    head: Any = service.current_tree_head(session)
    return render(
        request,
        "audit/entry.html",
        {
            "entry": entry,
            "head": head,
            "names": actor_names(session, principal.actor, [entry]),
            "targets": target_names(session, principal.actor, [entry]),
        },
        principal=principal,
    )
