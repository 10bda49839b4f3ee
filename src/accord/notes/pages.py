"""Drawing the notes console's pages: a note (or its purpose form) and the recipient choices."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from accord.auth.deps import Principal
from accord.core.errors import Invalid
from accord.feed.domain import permitted_purposes, why_of
from accord.notes import queries
from accord.orgs import queries as org_queries
from accord.orgs.domain import VettingState
from accord.sharing.access import PurposeRequired
from accord.sharing.domain import Category, Purpose, RecipientKind, Tlp
from accord.sharing.service import Recipient
from accord.web.pages import Flash, render

__all__ = ["DONE", "choices", "recipients_of", "render_note"]

# What ?done=… after a change says: fixed texts, so a link cannot inject one.
DONE = {
    "created": "The note is shared. Who sees it follows its marking and your agreements.",
    "updated": "The note was saved.",
    "attached": "The file was attached.",
    "recipients": "The recipients were changed.",
    "marking": "The marking was changed.",
}


def choices(request: Request, principal: Principal) -> dict[str, Any]:
    """Who a note can be addressed to from the console: vetted organizations, groups, colleagues."""
    actor = principal.actor
    with request.app.state.db.reading() as s:
        orgs = org_queries.list_organizations(
            s, actor=actor, vetting_state=VettingState.VETTED, limit=200
        ).items
        groups = org_queries.list_groups(s, actor=actor, limit=200).items
        people = org_queries.list_people(s, actor=actor, org_id=principal.org_id, limit=200).items
    return {"orgs": orgs, "groups": groups, "people": people}


def recipients_of(org: list[str], group: list[str], person: list[str]) -> list[Recipient]:
    chosen = [
        *((RecipientKind.ORGANIZATION, v) for v in org),
        *((RecipientKind.GROUP, v) for v in group),
        *((RecipientKind.PERSON, v) for v in person),
    ]
    try:
        return [Recipient(kind, uuid.UUID(v)) for kind, v in chosen if v]
    except ValueError as exc:
        raise Invalid(
            "Choose recipients from the lists.", errors=[{"field": "recipients"}]
        ) from exc


def render_note(
    request: Request,
    principal: Principal,
    note_id: uuid.UUID,
    purpose: Purpose | None = None,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    """The note; a restricted one is first a form asking why it is opened.

    Every request opens the note through the access module, so a refused one (the agreement
    ended, say) is counted for the agreement's accountability whichever way it was asked.
    """
    at = request.app.state.clock()
    db = request.app.state.db
    try:
        note = queries.read_note(db, principal.actor, note_id, purpose, at, ip=principal.ip)
    except PurposeRequired:
        if purpose is not None:
            raise
        with db.reading() as s:
            shown = queries.peek_note(s, principal.actor, note_id, at)
        return render(
            request,
            "notes/purpose.html",
            {
                "record": shown.record,
                "why": why_of(shown.access),
                "purposes": permitted_purposes(shown.access),
                **extra,
            },
            principal=principal,
            status_code=status_code,
        )
    context: dict[str, Any] = {"note": note, "tlps": list(Tlp), "categories": list(Category)}
    if note.may_edit:
        context.update(choices(request, principal))
    done = DONE.get(request.query_params.get("done", ""))
    flashes = [Flash("success", done)] if done else []
    return render(
        request,
        "notes/note.html",
        {**context, "flashes": flashes, **extra},
        principal=principal,
        status_code=status_code,
    )
