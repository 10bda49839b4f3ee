"""Console pages of notes: the form to share one, and a note, opened with a purpose if need be.

Changing a note (text, marking, recipients, files, withdrawal) is in `manage_views`.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from accord.auth.deps import Principal, check_form_csrf, page_user
from accord.core.errors import AccordError, Invalid
from accord.notes import service
from accord.notes.domain import BODY_MAX, DETAILS_MAX, TITLE_MAX
from accord.notes.manage_views import router as manage_router
from accord.notes.pages import choices, recipients_of, render_note
from accord.sharing.domain import Category, Purpose, Tlp
from accord.sharing.service import Place
from accord.web.pages import field_errors, redirect, render, url_with

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

User = Annotated[Principal, Depends(page_user)]
Csrf = Annotated[str, Form(max_length=64)]
Ids = Annotated[list[str], Form(max_length=200)]

TLP_HINTS = {
    Tlp.CLEAR: "Public: anyone may see it.",
    Tlp.GREEN: "Every vetted member organization.",
    Tlp.AMBER: "Partners under an agreement that covers it, and the recipients you name.",
    Tlp.AMBER_STRICT: "Only the organizations you name.",
    Tlp.RED: "Only the people you name (and you).",
}


def _new_page(
    request: Request, principal: Principal, *, status_code: int = 200, **extra: Any
) -> Response:
    return render(
        request,
        "notes/new.html",
        {
            "tlps": list(Tlp),
            "tlp_hints": TLP_HINTS,
            "categories": list(Category),
            "limits": {"title": TITLE_MAX, "body": BODY_MAX, "details": DETAILS_MAX},
            "values": extra.pop("values", {"tlp": Tlp.GREEN.value, "body_category": "general"}),
            **choices(request, principal),
            **extra,
        },
        principal=principal,
        status_code=status_code,
    )


@router.get("/notes/new")
def new_note(request: Request, principal: User) -> Response:
    return _new_page(request, principal)


def _place(lat: str, lon: str) -> Place | None:
    if not lat.strip() and not lon.strip():
        return None
    try:
        return Place(lat=float(lat), lon=float(lon))
    except ValueError as exc:
        raise Invalid(
            "Give the place as two numbers, latitude and longitude.",
            errors=[{"field": "lat", "message": "must be a number"}],
        ) from exc


@router.post("/notes")
def create_note(
    request: Request,
    principal: User,
    csrf_token: Csrf = "",
    title: Annotated[str, Form(max_length=TITLE_MAX)] = "",
    body: Annotated[str, Form(max_length=BODY_MAX)] = "",
    body_category: Annotated[str, Form(max_length=32)] = "general",
    personal_details: Annotated[str, Form(max_length=DETAILS_MAX)] = "",
    tlp: Annotated[str, Form(max_length=16)] = "",
    category: Ids = [],  # noqa: B006 - FastAPI reads the default; it is never mutated
    org: Ids = [],  # noqa: B006
    group: Ids = [],  # noqa: B006
    person: Ids = [],  # noqa: B006
    lat: Annotated[str, Form(max_length=32)] = "",
    lon: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    check_form_csrf(principal, csrf_token)
    values = {
        "title": title,
        "body": body,
        "body_category": body_category,
        "personal_details": personal_details,
        "tlp": tlp,
        "category": category,
        "org": org,
        "group": group,
        "person": person,
        "lat": lat,
        "lon": lon,
    }
    try:
        try:
            marking, main = Tlp(tlp), Category(body_category)
            extra = [Category(c) for c in category]
        except ValueError as exc:
            raise Invalid(
                "Choose a marking and categories from the lists.",
                errors=[{"field": "tlp", "message": "choose one of the markings"}],
            ) from exc
        note_id = service.create_note(
            request.app.state.db,
            request.app.state.bus,
            actor=principal.actor,
            at=request.app.state.clock(),
            title=title,
            body=body,
            tlp=marking,
            body_category=main,
            personal_details=personal_details,
            categories=extra,
            recipients=recipients_of(org, group, person),
            place=_place(lat, lon),
            ip=principal.ip,
        )
    except AccordError as exc:
        if exc.status == 403:
            raise
        return _new_page(
            request, principal, status_code=exc.status, errors=field_errors(exc), values=values
        )
    return redirect(url_with(f"/notes/{note_id}", done="created"))


@router.get("/notes/{note_id}")
def note_page(note_id: uuid.UUID, request: Request, principal: User) -> Response:
    return render_note(request, principal, note_id)


@router.post("/notes/{note_id}/open")
def open_note(
    note_id: uuid.UUID,
    request: Request,
    principal: User,
    csrf_token: Csrf = "",
    purpose: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """A restricted note, opened for the stated purpose (written to the audit log)."""
    check_form_csrf(principal, csrf_token)
    try:
        stated = Purpose(purpose)
    except ValueError:
        return render_note(
            request,
            principal,
            note_id,
            status_code=422,
            errors=[{"field": "purpose", "message": "Choose a purpose.", "anchor": "purpose"}],
        )
    return render_note(request, principal, note_id, stated)


router.include_router(manage_router)
