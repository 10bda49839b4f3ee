"""Console forms that change a note: its text, marking, recipients and files, or withdraw it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from accord.auth.deps import Principal, check_form_csrf, page_user
from accord.core.errors import AccordError, Invalid
from accord.notes import service
from accord.notes.domain import BODY_MAX, DETAILS_MAX, TITLE_MAX
from accord.notes.pages import recipients_of, render_note
from accord.sharing.domain import Category, RecipientKind, Tlp
from accord.sharing.service import Recipient
from accord.web.pages import field_errors, redirect, url_with

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

User = Annotated[Principal, Depends(page_user)]
Csrf = Annotated[str, Form(max_length=64)]
Ids = Annotated[list[str], Form(max_length=200)]


def _change(
    request: Request,
    principal: Principal,
    note_id: uuid.UUID,
    csrf_token: str,
    done: str,
    action: Callable[..., object],
    **arguments: Any,
) -> Response:
    check_form_csrf(principal, csrf_token)
    try:
        action(
            request.app.state.db,
            request.app.state.bus,
            actor=principal.actor,
            at=request.app.state.clock(),
            note_id=note_id,
            ip=principal.ip,
            **arguments,
        )
    except AccordError as exc:
        if exc.status in (403, 404):
            raise
        # The whole sentence: these forms are one control each, and it says what to do.
        problem = [{"field": "", "message": exc.detail, "anchor": "", "label": ""}]
        return render_note(request, principal, note_id, status_code=exc.status, errors=problem)
    return redirect(url_with(f"/notes/{note_id}", done=done))


@router.post("/notes/{note_id}/edit")
def edit_note(
    note_id: uuid.UUID,
    request: Request,
    principal: User,
    csrf_token: Csrf = "",
    title: Annotated[str | None, Form(max_length=TITLE_MAX)] = None,
    body: Annotated[str | None, Form(max_length=BODY_MAX)] = None,
    personal_details: Annotated[str | None, Form(max_length=DETAILS_MAX)] = None,
) -> Response:
    return _change(
        request,
        principal,
        note_id,
        csrf_token,
        "updated",
        service.update_note,
        title=title,
        body=body,
        personal_details=personal_details,
    )


@router.post("/notes/{note_id}/marking")
def change_marking(
    note_id: uuid.UUID,
    request: Request,
    principal: User,
    csrf_token: Csrf = "",
    tlp: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    try:
        marking = Tlp(tlp)
    except ValueError:
        check_form_csrf(principal, csrf_token)
        return render_note(
            request,
            principal,
            note_id,
            status_code=422,
            errors=[{"field": "tlp", "message": "Choose a marking.", "anchor": "tlp"}],
        )
    return _change(
        request, principal, note_id, csrf_token, "marking", service.change_note_marking, tlp=marking
    )


@router.post("/notes/{note_id}/recipients")
def add_recipients(
    note_id: uuid.UUID,
    request: Request,
    principal: User,
    csrf_token: Csrf = "",
    org: Ids = [],  # noqa: B006 - FastAPI reads the default; it is never mutated
    group: Ids = [],  # noqa: B006
    person: Ids = [],  # noqa: B006
) -> Response:
    try:
        chosen = recipients_of(org, group, person)
    except Invalid as exc:
        check_form_csrf(principal, csrf_token)
        return render_note(request, principal, note_id, status_code=422, errors=field_errors(exc))
    return _change(
        request,
        principal,
        note_id,
        csrf_token,
        "recipients",
        service.add_note_recipients,
        recipients=chosen,
    )


@router.post("/notes/{note_id}/recipients/{kind}/{target_id}/remove")
def remove_recipient(
    note_id: uuid.UUID,
    kind: RecipientKind,
    target_id: uuid.UUID,
    request: Request,
    principal: User,
    csrf_token: Csrf = "",
) -> Response:
    return _change(
        request,
        principal,
        note_id,
        csrf_token,
        "recipients",
        service.remove_note_recipient,
        recipient=Recipient(kind, target_id),
    )


@router.post("/notes/{note_id}/attachments")
def add_attachment(
    note_id: uuid.UUID,
    request: Request,
    principal: User,
    file: Annotated[UploadFile, File()],
    csrf_token: Csrf = "",
    category: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    try:
        chosen = Category(category)
    except ValueError:
        chosen = None
    if chosen is None:
        check_form_csrf(principal, csrf_token)
        return render_note(
            request,
            principal,
            note_id,
            status_code=422,
            errors=[
                {
                    "field": "category",
                    "message": "Choose the file's category.",
                    "anchor": "category",
                }
            ],
        )
    return _change(
        request,
        principal,
        note_id,
        csrf_token,
        "attached",
        service.add_attachment,
        filename=file.filename or "",
        media_type=file.content_type,
        content=file.file.read(),
        category=chosen,
        max_bytes=request.app.state.settings.max_body_bytes,
    )


@router.post("/notes/{note_id}/withdraw")
def withdraw_note(
    note_id: uuid.UUID, request: Request, principal: User, csrf_token: Csrf = ""
) -> Response:
    check_form_csrf(principal, csrf_token)
    service.withdraw_note(
        request.app.state.db,
        request.app.state.bus,
        actor=principal.actor,
        at=request.app.state.clock(),
        note_id=note_id,
        ip=principal.ip,
    )
    return redirect("/feed?done=withdrawn")
