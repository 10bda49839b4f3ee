"""Console pages of agreements: the list, one agreement and its actions, versions, reports."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from accord.agreements import accountability, form_views, queries, service, signing
from accord.agreements.domain import (
    AgreementKind,
    AgreementStatus,
    VersionState,
    diff,
    is_coordinator,
)
from accord.agreements.forms import errors_of
from accord.agreements.guards import announce_change
from accord.agreements.notices import flashes_for, notice_url
from accord.app import read_session
from accord.auth.deps import Principal, check_form_csrf, page_user
from accord.core.errors import AccordError
from accord.orgs.area_svg import outline_of
from accord.orgs.domain import Actor, Role
from accord.web.pages import parse_enum, redirect, render, url_with

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
# /agreements/new before /agreements/{agreement_id}: the first route that matches answers.
router.include_router(form_views.router)

PAGE_SIZE = 25
User = Annotated[Principal, Depends(page_user)]
ReadSession = Annotated[Session, Depends(read_session)]
Csrf = Annotated[str, Form(max_length=64)]


def _warnings(session: Session, actor: Actor, at: Any) -> list[queries.ExpiryWarning]:
    """Expiry warnings for the people who can act on them: party admins and the coordinator."""
    if is_coordinator(actor):
        return queries.expiry_warnings(session, None, at)
    if actor.role is Role.ORG_ADMIN:
        return queries.expiry_warnings(session, uuid.UUID(actor.org_id), at)
    return []


@router.get("/agreements")
def list_page(
    request: Request,
    principal: User,
    session: ReadSession,
    status: Annotated[str, Query(max_length=40)] = "",
    kind: Annotated[str, Query(max_length=40)] = "",
    cursor: Annotated[str, Query(max_length=512)] = "",
) -> Response:
    at = request.app.state.clock()
    filters = {"status": status, "kind": kind}
    page = queries.list_agreements(
        session,
        principal.actor,
        at,
        status=parse_enum(AgreementStatus, status),
        kind=parse_enum(AgreementKind, kind),
        cursor=cursor or None,
        limit=PAGE_SIZE,
    )
    may_draft = is_coordinator(principal.actor) or principal.role is Role.ORG_ADMIN
    return render(
        request,
        "agreements/list.html",
        {
            "rows": queries.list_rows(session, page.items, at),
            "filters": filters,
            "filtered": any(filters.values()),
            "statuses": list(AgreementStatus),
            "kinds": list(AgreementKind),
            "warnings": _warnings(session, principal.actor, at),
            "may_draft": may_draft,
            "next_url": url_with("/agreements", **filters, cursor=page.next_cursor)
            if page.next_cursor
            else None,
            "first_url": url_with("/agreements", **filters) if cursor else None,
            "flashes": flashes_for(request),
        },
        principal=principal,
    )


def _detail(
    request: Request,
    principal: Principal,
    session: Session,
    agreement_id: uuid.UUID,
    **extra: Any,
) -> dict[str, Any]:
    at = request.app.state.clock()
    view = queries.get_agreement(session, principal.actor, agreement_id, at)
    amendment_changes = None
    if view.pending is not None and view.in_force is not None:
        names = {**view.in_force.names, **view.pending.names}
        amendment_changes = diff(view.in_force.terms, view.pending.terms, names)
    warnings = [
        w for w in _warnings(session, principal.actor, at) if w.agreement_id == agreement_id
    ]
    return {
        "view": view,
        "a": view.agreement,
        "shown": view.shown,
        "outline": outline_of(dict(view.shown.terms.area) if view.shown.terms.area else None),
        "amendment_changes": amendment_changes,
        "warnings": warnings,
        "states": VersionState,
        "statuses": AgreementStatus,
        "flashes": flashes_for(request),
        **extra,
    }


@router.get("/agreements/{agreement_id}")
def detail_page(
    agreement_id: uuid.UUID, request: Request, principal: User, session: ReadSession
) -> Response:
    context = _detail(request, principal, session, agreement_id)
    return render(request, "agreements/detail.html", context, principal=principal)


def _refused(
    request: Request,
    principal: Principal,
    agreement_id: uuid.UUID,
    exc: AccordError,
    form: str,
    **values: Any,
) -> Response:
    """The agreement again, with why the action was refused next to its form."""
    if exc.status == 404:
        raise exc
    with request.app.state.db.reading() as session:
        context = _detail(
            request, principal, session, agreement_id, form_errors={form: errors_of(exc)}, **values
        )
    return render(
        request, "agreements/detail.html", context, principal=principal, status_code=exc.status
    )


def _act(
    request: Request,
    principal: Principal,
    agreement_id: uuid.UUID,
    csrf_token: str,
    form: str,
    action: Callable[[], Any],
    notice: str | Callable[[Any], str],
    **values: Any,
) -> Response:
    check_form_csrf(principal, csrf_token)
    try:
        result = action()
    except AccordError as exc:
        return _refused(request, principal, agreement_id, exc, form, **values)
    key = notice(result) if callable(notice) else notice
    return redirect(notice_url(f"/agreements/{agreement_id}", key))


def _common(request: Request, principal: Principal, agreement_id: uuid.UUID) -> dict[str, Any]:
    return {
        "actor": principal.actor,
        "at": request.app.state.clock(),
        "agreement_id": agreement_id,
        "ip": principal.ip,
    }


@router.post("/agreements/{agreement_id}/propose")
def propose(
    agreement_id: uuid.UUID, request: Request, principal: User, csrf_token: Csrf = ""
) -> Response:
    db = request.app.state.db
    return _act(
        request,
        principal,
        agreement_id,
        csrf_token,
        "propose",
        lambda: service.propose(db, **_common(request, principal, agreement_id)),
        "proposed",
    )


@router.post("/agreements/{agreement_id}/sign")
def sign(
    agreement_id: uuid.UUID,
    request: Request,
    principal: User,
    csrf_token: Csrf = "",
    digest: Annotated[str, Form(max_length=64)] = "",
    version: Annotated[int | None, Form(ge=1, le=1_000_000)] = None,
    totp: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    def action() -> signing.Signed:
        signed = signing.sign(
            request.app.state.db,
            request.app.state.settings,
            digest=digest,
            code=totp,
            version=version,
            **_common(request, principal, agreement_id),
        )
        if signed.in_force:
            announce_change(request.app.state.db, request.app.state.bus, agreement_id)
        return signed

    return _act(
        request,
        principal,
        agreement_id,
        csrf_token,
        "sign",
        action,
        lambda signed: "in-force" if signed.in_force else "signed",
    )


def _status_form(name: str, change: Callable[..., AgreementStatus], notice: str) -> None:
    def handler(
        agreement_id: uuid.UUID,
        request: Request,
        principal: User,
        csrf_token: Csrf = "",
        reason: Annotated[str, Form(max_length=5000)] = "",
    ) -> Response:
        db = request.app.state.db

        def action() -> AgreementStatus:
            status = change(db, reason=reason, **_common(request, principal, agreement_id))
            announce_change(db, request.app.state.bus, agreement_id)
            return status

        return _act(
            request, principal, agreement_id, csrf_token, "status", action, notice, reason=reason
        )

    handler.__name__ = f"{name}_page"
    router.add_api_route(f"/agreements/{{agreement_id}}/{name}", handler, methods=["POST"])


_status_form("suspend", service.suspend, "suspended")
_status_form("resume", service.resume, "resumed")
_status_form("terminate", service.terminate, "terminated")


@router.post("/agreements/{agreement_id}/amend")
def amend(
    agreement_id: uuid.UUID, request: Request, principal: User, csrf_token: Csrf = ""
) -> Response:
    check_form_csrf(principal, csrf_token)
    try:
        service.amend(request.app.state.db, **_common(request, principal, agreement_id))
    except AccordError as exc:
        return _refused(request, principal, agreement_id, exc, "amend")
    return redirect(notice_url(f"/agreements/{agreement_id}/edit", "amended"))


@router.post("/agreements/{agreement_id}/withdraw-amendment")
def withdraw_amendment(
    agreement_id: uuid.UUID, request: Request, principal: User, csrf_token: Csrf = ""
) -> Response:
    db = request.app.state.db
    return _act(
        request,
        principal,
        agreement_id,
        csrf_token,
        "amend",
        lambda: service.withdraw_amendment(db, **_common(request, principal, agreement_id)),
        "withdrawn",
    )


@router.post("/agreements/{agreement_id}/document")
async def document(
    agreement_id: uuid.UUID,
    request: Request,
    principal: User,
    csrf_token: Csrf = "",
    version: Annotated[int, Form(ge=1, le=1_000_000)] = 1,
    document: UploadFile | None = None,
) -> Response:
    check_form_csrf(principal, csrf_token)  # before the file is even read
    content = b"" if document is None else await document.read(signing.DOCUMENT_MAX_BYTES + 1)

    def action() -> str:
        return signing.attach_document(
            request.app.state.db,
            version=version,
            filename="" if document is None else document.filename or "",
            media_type="application/pdf" if document is None else document.content_type or "",
            content=content,
            **_common(request, principal, agreement_id),
        )

    return await run_in_threadpool(
        _act, request, principal, agreement_id, csrf_token, "document", action, "document"
    )


@router.get("/agreements/{agreement_id}/versions/{number}")
def version_page(
    agreement_id: uuid.UUID, number: int, request: Request, principal: User, session: ReadSession
) -> Response:
    agreement, version = queries.get_version(session, principal.actor, agreement_id, number)
    return render(
        request,
        "agreements/version.html",
        {
            "a": agreement,
            "version": version,
            "outline": outline_of(dict(version.terms.area) if version.terms.area else None),
            "states": VersionState,
        },
        principal=principal,
    )


@router.get("/agreements/{agreement_id}/diff")
def diff_page(
    agreement_id: uuid.UUID,
    request: Request,
    principal: User,
    session: ReadSession,
    from_version: Annotated[int, Query(alias="from", ge=1, le=1_000_000)] = 1,
    to_version: Annotated[int, Query(alias="to", ge=1, le=1_000_000)] = 2,
) -> Response:
    versions = queries.list_versions(session, principal.actor, agreement_id)
    agreement, _ = queries.get_version(session, principal.actor, agreement_id, versions[0].number)
    lines = None
    if len(versions) > 1:
        lines = queries.version_diff(
            session, principal.actor, agreement_id, from_version, to_version
        )
    return render(
        request,
        "agreements/diff.html",
        {
            "a": agreement,
            "versions": versions,
            "lines": lines,
            "from_version": from_version,
            "to_version": to_version,
        },
        principal=principal,
    )


@router.get("/agreements/{agreement_id}/accountability")
def accountability_page(
    agreement_id: uuid.UUID, request: Request, principal: User, session: ReadSession
) -> Response:
    at = request.app.state.clock()
    report = accountability.get_accountability(session, principal.actor, agreement_id, at)
    return render(
        request,
        "agreements/accountability.html",
        {
            "report": report,
            "warnings": [
                w for w in _warnings(session, principal.actor, at) if w.agreement_id == agreement_id
            ],
        },
        principal=principal,
    )
