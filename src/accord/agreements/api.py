"""JSON routes of /api/v1/agreements: drafts, lifecycle, versions, documents, accountability."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Annotated, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from accord.agreements import accountability, queries, service, signing
from accord.agreements.domain import AgreementKind, AgreementStatus
from accord.agreements.guards import announce_change
from accord.agreements.models import AgreementVersion
from accord.agreements.schemas import (
    AccountabilityRead,
    AgreementCreate,
    AgreementPage,
    AgreementRead,
    AgreementUpdate,
    AmendBody,
    DiffRead,
    DocumentStored,
    ReasonBody,
    SignBody,
    SignedRead,
    VersionRead,
    accountability_read,
    agreement_read,
    summary_read,
    version_read,
)
from accord.app import read_session
from accord.auth.deps import Principal, api_user
from accord.core.errors import Invalid, NotFound
from accord.core.pagination import DEFAULT_LIMIT, MAX_LIMIT

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/agreements", tags=["agreements"])

Reader = Annotated[Principal, Depends(api_user("agreements"))]
Writer = Annotated[Principal, Depends(api_user("agreements", write=True))]
ReadSession = Annotated[Session, Depends(read_session)]
Cursor = Annotated[str | None, Query(max_length=512, description="next_cursor of the last page")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
T = TypeVar("T")


def _given(value: T | None) -> T | service.Unset:
    """A field left out (or null, where null means nothing) leaves the value as it is."""
    return service.UNSET if value is None else value


def _read(request: Request, principal: Principal, agreement_id: uuid.UUID) -> AgreementRead:
    """The agreement as it is after a change, read fresh."""
    with request.app.state.db.reading() as s:
        view = queries.get_agreement(s, principal.actor, agreement_id, request.app.state.clock())
        return agreement_read(view)


@router.get("", response_model=AgreementPage, summary="Agreements you are party to")
def list_agreements(
    principal: Reader,
    request: Request,
    s: ReadSession,
    status: AgreementStatus | None = None,
    kind: AgreementKind | None = None,
    party: Annotated[uuid.UUID | None, Query(description="only those this one is party to")] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> AgreementPage:
    at = request.app.state.clock()
    page = queries.list_agreements(
        s, principal.actor, at, status=status, kind=kind, party=party, cursor=cursor, limit=limit
    )
    rows = queries.list_rows(s, page.items, at)
    return AgreementPage(
        items=[summary_read(r) for r in rows], next_cursor=page.next_cursor, limit=page.limit
    )


@router.post(
    "",
    response_model=AgreementRead,
    status_code=status.HTTP_201_CREATED,
    summary="Draft an agreement (the coordinator, or an admin of a party)",
)
def create_agreement(
    body: AgreementCreate, principal: Writer, request: Request, response: Response
) -> AgreementRead:
    agreement_id = service.draft_agreement(
        request.app.state.db,
        actor=principal.actor,
        at=request.app.state.clock(),
        kind=body.kind,
        title=body.title,
        terms=body.terms.to_terms(),
        organizations=body.parties,
        groups=body.groups,
        ip=principal.ip,
    )
    response.headers["Location"] = f"/api/v1/agreements/{agreement_id}"
    return _read(request, principal, agreement_id)


@router.get("/{agreement_id}", response_model=AgreementRead, summary="One agreement")
def get_agreement(
    agreement_id: uuid.UUID, principal: Reader, request: Request, s: ReadSession
) -> AgreementRead:
    at = request.app.state.clock()
    return agreement_read(queries.get_agreement(s, principal.actor, agreement_id, at))


@router.patch(
    "/{agreement_id}",
    response_model=AgreementRead,
    summary="Edit the draft (editing proposed terms takes them back to draft)",
)
def update_agreement(
    agreement_id: uuid.UUID, body: AgreementUpdate, principal: Writer, request: Request
) -> AgreementRead:
    service.update_draft(
        request.app.state.db,
        actor=principal.actor,
        at=request.app.state.clock(),
        agreement_id=agreement_id,
        kind=_given(body.kind),
        title=_given(body.title),
        organizations=_given(body.parties),
        groups=_given(body.groups),
        changes=None if body.terms is None else body.terms.changes(),
        ip=principal.ip,
    )
    return _read(request, principal, agreement_id)


@router.post(
    "/{agreement_id}/propose",
    response_model=AgreementRead,
    summary="Send the draft to every party for signature",
)
def propose(agreement_id: uuid.UUID, principal: Writer, request: Request) -> AgreementRead:
    service.propose(
        request.app.state.db,
        actor=principal.actor,
        at=request.app.state.clock(),
        agreement_id=agreement_id,
        ip=principal.ip,
    )
    return _read(request, principal, agreement_id)


@router.post(
    "/{agreement_id}/sign",
    response_model=SignedRead,
    summary="Sign the proposed terms for your organization (admins; a current two-step code)",
)
def sign(
    agreement_id: uuid.UUID, body: SignBody, principal: Writer, request: Request
) -> SignedRead:
    signed = signing.sign(
        request.app.state.db,
        request.app.state.settings,
        actor=principal.actor,
        at=request.app.state.clock(),
        agreement_id=agreement_id,
        digest=body.digest,
        code=body.totp,
        version=body.version,
        ip=principal.ip,
    )
    if signed.in_force:
        announce_change(request.app.state.db, request.app.state.bus, agreement_id)
    return SignedRead(
        version=signed.version,
        in_force=signed.in_force,
        agreement=_read(request, principal, agreement_id),
    )


StatusChange = Callable[..., AgreementStatus]


def _status_route(name: str, change: StatusChange, summary: str) -> None:
    def handler(
        agreement_id: uuid.UUID, body: ReasonBody, principal: Writer, request: Request
    ) -> AgreementRead:
        change(
            request.app.state.db,
            actor=principal.actor,
            at=request.app.state.clock(),
            agreement_id=agreement_id,
            reason=body.reason,
            ip=principal.ip,
        )
        announce_change(request.app.state.db, request.app.state.bus, agreement_id)
        return _read(request, principal, agreement_id)

    handler.__name__ = name
    router.add_api_route(
        f"/{{agreement_id}}/{name}",
        handler,
        methods=["POST"],
        response_model=AgreementRead,
        summary=summary,
    )


_status_route("suspend", service.suspend, "Suspend sharing under the agreement, with a reason")
_status_route("resume", service.resume, "Resume a suspended agreement, with a reason")
_status_route("terminate", service.terminate, "Terminate the agreement for good, with a reason")


@router.post(
    "/{agreement_id}/amend",
    response_model=AgreementRead,
    status_code=status.HTTP_201_CREATED,
    summary="Start an amendment: version n+1 as a draft; version n stays in force",
)
def amend(
    agreement_id: uuid.UUID,
    principal: Writer,
    request: Request,
    body: Annotated[AmendBody | None, Body()] = None,
) -> AgreementRead:
    body = body or AmendBody()
    service.amend(
        request.app.state.db,
        actor=principal.actor,
        at=request.app.state.clock(),
        agreement_id=agreement_id,
        title=_given(body.title),
        organizations=_given(body.parties),
        groups=_given(body.groups),
        changes=None if body.terms is None else body.terms.changes(),
        ip=principal.ip,
    )
    return _read(request, principal, agreement_id)


@router.post(
    "/{agreement_id}/withdraw-amendment",
    response_model=AgreementRead,
    summary="Drop the amendment in progress; the version in force is untouched",
)
def withdraw_amendment(
    agreement_id: uuid.UUID, principal: Writer, request: Request
) -> AgreementRead:
    service.withdraw_amendment(
        request.app.state.db,
        actor=principal.actor,
        at=request.app.state.clock(),
        agreement_id=agreement_id,
        ip=principal.ip,
    )
    return _read(request, principal, agreement_id)


@router.get(
    "/{agreement_id}/versions",
    response_model=list[VersionRead],
    summary="Every version of the agreement, oldest first",
)
def list_versions(agreement_id: uuid.UUID, principal: Reader, s: ReadSession) -> list[VersionRead]:
    versions = queries.list_versions(s, principal.actor, agreement_id)
    return [version_read(agreement_id, v) for v in versions]


@router.get(
    "/{agreement_id}/versions/{number}",
    response_model=VersionRead,
    summary="One version of the agreement",
)
def get_version(
    agreement_id: uuid.UUID, number: int, principal: Reader, s: ReadSession
) -> VersionRead:
    _, version = queries.get_version(s, principal.actor, agreement_id, number)
    return version_read(agreement_id, version)


@router.get(
    "/{agreement_id}/diff",
    response_model=DiffRead,
    summary="What changed between two versions, one readable line per change",
)
def diff(
    agreement_id: uuid.UUID,
    principal: Reader,
    s: ReadSession,
    from_version: Annotated[int, Query(alias="from", ge=1, le=1_000_000)],
    to_version: Annotated[int, Query(alias="to", ge=1, le=1_000_000)],
) -> DiffRead:
    changes = queries.version_diff(s, principal.actor, agreement_id, from_version, to_version)
    return DiffRead(from_version=from_version, to_version=to_version, changes=changes)


_FILENAME = re.compile(r"""filename\*?=(?:UTF-8'')?"?([^";]+)"?""", re.IGNORECASE)
_DOCUMENT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            **{
                kind: {"schema": {"type": "string", "format": "binary"}}
                for kind in signing.DOCUMENT_TYPES
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["document"],
                    "properties": {"document": {"type": "string", "format": "binary"}},
                }
            },
        },
    }
}
_DOCUMENT_CONTENT = {
    kind: {"schema": {"type": "string", "format": "binary"}} for kind in signing.DOCUMENT_TYPES
}


def _disposition(filename: str) -> str:
    """An attachment header any client reads: an ASCII name, and the exact one (RFC 6266 §4.3)."""
    plain = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


async def _upload(request: Request) -> tuple[str, str, bytes]:
    """The document of a raw body (its Content-Type) or of a multipart form's `document` field."""
    content_type = request.headers.get("content-type", "")
    if content_type.lower().startswith("multipart/form-data"):
        async with request.form(max_files=1, max_fields=5) as form:
            upload = form.get("document")
            if not isinstance(upload, UploadFile):
                message = "Signed document: send the file in the form field “document”."
                raise Invalid(message, errors=[{"field": "document", "message": message}])
            content = await upload.read(signing.DOCUMENT_MAX_BYTES + 1)
            return upload.filename or "", upload.content_type or "", content
    found = _FILENAME.search(request.headers.get("content-disposition", ""))
    filename = found.group(1) if found else request.query_params.get("filename", "")
    return filename, content_type, await request.body()


@router.put(
    "/{agreement_id}/versions/{number}/document",
    response_model=DocumentStored,
    summary="File the signed document of a version (raw body with its Content-Type, or multipart)",
    openapi_extra=_DOCUMENT_BODY,
)
async def put_document(
    agreement_id: uuid.UUID, number: int, principal: Writer, request: Request
) -> DocumentStored:
    filename, media_type, content = await _upload(request)
    sha256 = await run_in_threadpool(
        signing.attach_document,
        request.app.state.db,
        actor=principal.actor,
        at=request.app.state.clock(),
        agreement_id=agreement_id,
        version=number,
        filename=filename,
        media_type=media_type,
        content=content,
        ip=principal.ip,
    )
    with request.app.state.db.reading() as s:
        _, version = queries.get_version(s, principal.actor, agreement_id, number)
    document = version.document
    assert document is not None  # noqa: S101 - just stored
    return DocumentStored(
        version=number,
        filename=document.filename,
        media_type=document.media_type,
        size=document.size,
        sha256=sha256,
    )


@router.get(
    "/{agreement_id}/versions/{number}/document",
    response_class=Response,
    responses={200: {"description": "The signed document", "content": _DOCUMENT_CONTENT}},
    summary="Download the signed document of a version",
)
def get_document(
    agreement_id: uuid.UUID, number: int, principal: Reader, s: ReadSession
) -> Response:
    _, version = queries.get_version(s, principal.actor, agreement_id, number)
    if version.document is None:
        raise NotFound(f"Version {number} has no signed document yet.")
    content = s.scalar(
        select(AgreementVersion.document_bytes).where(
            AgreementVersion.agreement_id == agreement_id, AgreementVersion.number == number
        )
    )
    return Response(
        content=content or b"",
        media_type=version.document.media_type,
        headers={
            "content-disposition": _disposition(version.document.filename),
            "digest": f"sha-256={version.document.sha256}",
            "cache-control": "private, no-store",
        },
    )


@router.get(
    "/{agreement_id}/accountability",
    response_model=AccountabilityRead,
    summary="What was shared under the agreement, restricted reads and refusals (counts)",
)
def get_accountability(
    agreement_id: uuid.UUID, principal: Reader, request: Request, s: ReadSession
) -> AccountabilityRead:
    at = request.app.state.clock()
    report = accountability.get_accountability(s, principal.actor, agreement_id, at)
    return accountability_read(report)


@router.get(
    "/{agreement_id}/accountability.csv",
    response_class=StreamingResponse,
    responses={200: {"description": "The report as CSV", "content": {"text/csv": {}}}},
    summary="The accountability report as CSV",
)
def get_accountability_csv(
    agreement_id: uuid.UUID, principal: Reader, request: Request, s: ReadSession
) -> Response:
    at = request.app.state.clock()
    report = accountability.get_accountability(s, principal.actor, agreement_id, at)
    rows = list(accountability.accountability_csv(report))
    return Response(
        content="".join(rows),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": _disposition(f"agreement-{agreement_id}-accountability.csv"),
            "cache-control": "private, no-store",
        },
    )
