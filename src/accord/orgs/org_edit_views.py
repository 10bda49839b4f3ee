"""Console forms that create an organization (platform admins) and edit its profile."""

from __future__ import annotations

import json
import uuid
from itertools import zip_longest
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from accord.auth.deps import Principal, check_form_csrf, page_user
from accord.core.errors import AccordError, Forbidden, Invalid
from accord.orgs import queries, service
from accord.orgs.domain import OrgKind, Permission, Sector, can, can_edit_organization
from accord.web.pages import field_errors, redirect, render, url_with

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

User = Annotated[Principal, Depends(page_user)]
BLANK_CONTACT_ROWS = 2


def _contacts(
    names: list[str], titles: list[str], phones: list[str], emails: list[str]
) -> list[dict[str, str]]:
    """Contact rows from the form's parallel columns; wholly blank rows are dropped."""
    rows = zip_longest(names, titles, phones, emails, fillvalue="")
    return [
        {"name": n, "title": t, "phone": p, "email": e}
        for n, t, p, e in rows
        if any(v.strip() for v in (n, t, p, e))
    ]


def _capabilities(text: str) -> list[str]:
    """One capability per line or comma: "k9, drone" and "k9\\ndrone" read the same."""
    return [part.strip() for line in text.splitlines() for part in line.split(",") if part.strip()]


def _service_area(text: str) -> dict[str, Any] | None:
    """GeoJSON typed or pasted into the form; blank clears the area; a Feature's geometry."""
    if not text.strip():
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise Invalid(
            "service_area: is not valid JSON",
            errors=[{"field": "service_area", "message": "is not valid GeoJSON text"}],
        ) from None
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if not isinstance(value, dict):
        raise Invalid(
            "service_area: must be a GeoJSON object",
            errors=[{"field": "service_area", "message": "must be a GeoJSON Polygon"}],
        )
    return value


def _form_page(
    request: Request,
    principal: Principal,
    *,
    org: Any,
    values: dict[str, Any],
    errors: list[dict[str, str]] | None = None,
    status_code: int = 200,
) -> Response:
    contacts = list(values.get("contacts") or [])
    contacts += [{}] * BLANK_CONTACT_ROWS
    return render(
        request,
        "orgs/org_form.html",
        {
            "org": org,
            "values": values,
            "contacts": contacts,
            "errors": errors or [],
            "sectors": list(Sector),
            "kinds": list(OrgKind),
        },
        principal=principal,
        status_code=status_code,
    )


def _area_text(area: dict[str, Any] | None) -> str:
    return json.dumps(area, indent=2) if area else ""


@router.get("/orgs/new")
def new_org_form(request: Request, principal: User) -> Response:
    if not can(principal.actor, Permission.MANAGE_PLATFORM):
        raise Forbidden("Only platform administrators create organizations.")
    values = {"sector": Sector.PUBLIC.value, "kind": OrgKind.POLICE.value}
    return _form_page(request, principal, org=None, values=values)


class CreateForm(BaseModel):
    """The create-organization form, as posted."""

    csrf_token: str = Field(default="", max_length=64)
    name: str = Field(default="", max_length=200)
    short_name: str = Field(default="", max_length=40)
    sector: str = Field(default="", max_length=40)
    kind: str = Field(default="", max_length=40)
    description: str = Field(default="", max_length=5000)


@router.post("/orgs/new")
def create_org(request: Request, principal: User, form: Annotated[CreateForm, Form()]) -> Response:
    check_form_csrf(principal, form.csrf_token)
    values = form.model_dump(exclude={"csrf_token"})
    try:
        org = service.create_organization(
            request.app.state.db,
            actor=principal.actor,
            at=request.app.state.clock(),
            name=form.name,
            short_name=form.short_name,
            sector=_member(Sector, form.sector, "sector"),
            kind=_member(OrgKind, form.kind, "kind"),
            description=form.description,
            ip=principal.ip,
        )
    except AccordError as exc:
        if exc.status in (403, 404):
            raise
        errors = field_errors(exc)
        return _form_page(
            request, principal, org=None, values=values, errors=errors, status_code=exc.status
        )
    return redirect(url_with(f"/orgs/{org.id}", notice="org-created"))


def _member(enum_cls: type[Sector] | type[OrgKind], value: str, field: str) -> Any:
    try:
        return enum_cls(value)
    except ValueError:
        raise Invalid(
            f"{field}: choose one", errors=[{"field": field, "message": "choose one"}]
        ) from None


@router.get("/orgs/{org_id}/edit")
def edit_org_form(org_id: uuid.UUID, request: Request, principal: User) -> Response:
    with request.app.state.db.reading() as session:
        org = queries.get_organization(session, actor=principal.actor, org_id=org_id)
    if not can_edit_organization(principal.actor, str(org.id)):
        raise Forbidden("Only this organization's administrators may edit its profile.")
    values = {
        "name": org.name,
        "short_name": org.short_name,
        "description": org.description,
        "capabilities": "\n".join(org.capabilities),
        "contacts": org.contacts,
        "service_area": _area_text(org.service_area),
    }
    return _form_page(request, principal, org=org, values=values)


class ProfileForm(BaseModel):
    """The edit-profile form, as posted; contacts come as parallel columns of rows."""

    csrf_token: str = Field(default="", max_length=64)
    name: str = Field(default="", max_length=200)
    short_name: str = Field(default="", max_length=40)
    description: str = Field(default="", max_length=5000)
    capabilities: str = Field(default="", max_length=10_000)
    service_area: str = Field(default="", max_length=900_000)
    contact_name: list[str] = Field(default_factory=list)
    contact_title: list[str] = Field(default_factory=list)
    contact_phone: list[str] = Field(default_factory=list)
    contact_email: list[str] = Field(default_factory=list)


@router.post("/orgs/{org_id}/edit")
def edit_org(
    org_id: uuid.UUID, request: Request, principal: User, form: Annotated[ProfileForm, Form()]
) -> Response:
    check_form_csrf(principal, form.csrf_token)
    contacts = _contacts(
        form.contact_name, form.contact_title, form.contact_phone, form.contact_email
    )
    try:
        service.update_organization(
            request.app.state.db,
            actor=principal.actor,
            at=request.app.state.clock(),
            org_id=org_id,
            name=form.name,
            short_name=form.short_name,
            description=form.description,
            capabilities=_capabilities(form.capabilities),
            contacts=contacts,
            service_area=_service_area(form.service_area),
            ip=principal.ip,
        )
    except AccordError as exc:
        if exc.status in (403, 404):
            raise
        with request.app.state.db.reading() as session:
            org = queries.get_organization(session, actor=principal.actor, org_id=org_id)
        values = {
            **form.model_dump(
                include={"name", "short_name", "description", "capabilities", "service_area"}
            ),
            "contacts": contacts,
        }
        return _form_page(
            request,
            principal,
            org=org,
            values=values,
            errors=field_errors(exc),
            status_code=exc.status,
        )
    return redirect(url_with(f"/orgs/{org_id}", notice="org-updated"))
