"""Console forms that draft an agreement and edit its draft (or the amendment in progress)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from accord.agreements import queries, service
from accord.agreements.domain import (
    TERMS_FIELDS,
    AgreementKind,
    IncidentType,
    can_change,
    is_coordinator,
)
from accord.agreements.forms import (
    DATETIME_LOCAL,
    DraftForm,
    errors_of,
    form_of_version,
    parse,
    read_form,
)
from accord.agreements.guards import party_ids_of
from accord.agreements.notices import notice_url
from accord.auth.deps import Principal, check_form_csrf, page_user
from accord.core.errors import Conflict, Forbidden, Invalid
from accord.orgs.domain import Role, VettingState
from accord.orgs.models import Group, Organization
from accord.sharing.domain import Category, Purpose, Tlp
from accord.web.pages import redirect, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

User = Annotated[Principal, Depends(page_user)]
# Beyond this many vetted organizations, roles are assigned once the draft's parties are saved.
ROLE_CHOICES_ON_NEW = 60


async def form_data(request: Request) -> FormData:
    return await request.form(max_files=0, max_fields=2000)


Form = Annotated[FormData, Depends(form_data)]


def _choices(session: Session) -> tuple[list[Organization], list[Group]]:
    orgs = list(
        session.scalars(
            select(Organization)
            .where(Organization.vetting_state == VettingState.VETTED)
            .order_by(Organization.name)
        )
    )
    groups = list(session.scalars(select(Group).order_by(Group.name)))
    return orgs, groups


def _page(
    request: Request,
    principal: Principal,
    values: DraftForm,
    *,
    agreement: Any = None,
    version: Any = None,
    errors: list[dict[str, str]] | None = None,
    status_code: int = 200,
) -> Response:
    with request.app.state.db.reading() as s:
        orgs, groups = _choices(s)
    if version is not None:
        named = {p.org_id for p in version.parties}
        role_choices = [o for o in orgs if str(o.id) in named]
    else:
        role_choices = orgs if len(orgs) <= ROLE_CHOICES_ON_NEW else []
    return render(
        request,
        "agreements/form.html",
        {
            "values": values,
            "agreement": agreement,
            "version": None if version is None else version.number,
            "errors": errors,
            "orgs": orgs,
            "groups": groups,
            "role_choices": role_choices,
            "kinds": list(AgreementKind),
            "categories": list(Category),
            "purposes": list(Purpose),
            "tlps": list(Tlp),
            "incident_types": list(IncidentType),
        },
        principal=principal,
        status_code=status_code,
    )


def _may_draft(principal: Principal) -> None:
    if not (is_coordinator(principal.actor) or principal.role is Role.ORG_ADMIN):
        raise Forbidden("Agreements are drafted by organization admins and the coordinator.")


@router.get("/agreements/new")
def new_form(request: Request, principal: User) -> Response:
    _may_draft(principal)
    values = DraftForm(
        effective_at=request.app.state.clock().strftime(DATETIME_LOCAL),
        tlp_ceiling=Tlp.AMBER.value,
    )
    if not is_coordinator(principal.actor):
        values.parties = [str(principal.org_id)]
    return _page(request, principal, values)


@router.post("/agreements/new")
def create(request: Request, principal: User, form: Form) -> Response:
    check_form_csrf(principal, str(form.get("csrf_token") or ""))
    _may_draft(principal)
    values = read_form(form)
    try:
        parsed = parse(values)
        agreement_id = service.draft_agreement(
            request.app.state.db,
            actor=principal.actor,
            at=request.app.state.clock(),
            kind=parsed.kind,
            title=parsed.title,
            terms=parsed.terms,
            organizations=parsed.parties,
            groups=parsed.groups,
            ip=principal.ip,
        )
    except Invalid as exc:
        return _page(request, principal, values, errors=errors_of(exc), status_code=422)
    return redirect(notice_url(f"/agreements/{agreement_id}", "drafted"))


def _draft_of(request: Request, principal: Principal, agreement_id: uuid.UUID) -> Any:
    with request.app.state.db.reading() as s:
        view = queries.get_agreement(s, principal.actor, agreement_id, request.app.state.clock())
        if not can_change(principal.actor, party_ids_of(s, agreement_id)):
            raise Forbidden("Only administrators of a party organization edit this agreement.")
    if view.pending is None:
        raise Conflict("There is no draft to edit: amend the agreement to change its terms.")
    return view


@router.get("/agreements/{agreement_id}/edit")
def edit_form(agreement_id: uuid.UUID, request: Request, principal: User) -> Response:
    view = _draft_of(request, principal, agreement_id)
    values = form_of_version(view.pending)
    return _page(request, principal, values, agreement=view.agreement, version=view.pending)


@router.post("/agreements/{agreement_id}/edit")
def edit(agreement_id: uuid.UUID, request: Request, principal: User, form: Form) -> Response:
    check_form_csrf(principal, str(form.get("csrf_token") or ""))
    view = _draft_of(request, principal, agreement_id)
    values = read_form(form)
    amendment = view.pending.number > 1
    try:
        parsed = parse(values)
        service.update_draft(
            request.app.state.db,
            actor=principal.actor,
            at=request.app.state.clock(),
            agreement_id=agreement_id,
            kind=service.UNSET if amendment else parsed.kind,
            title=parsed.title,
            organizations=parsed.parties,
            groups=parsed.groups,
            changes={name: getattr(parsed.terms, name) for name in TERMS_FIELDS},
            ip=principal.ip,
        )
    except Invalid as exc:
        return _page(
            request,
            principal,
            values,
            agreement=view.agreement,
            version=view.pending,
            errors=errors_of(exc),
            status_code=422,
        )
    return redirect(notice_url(f"/agreements/{agreement_id}", "saved"))
