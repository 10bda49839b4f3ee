"""JSON routes of a note's files: attach one (multipart or raw body) and download one."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from accord.auth.deps import Principal, api_user
from accord.core.errors import Invalid
from accord.notes import queries, service
from accord.notes.schemas import AttachmentRead
from accord.sharing.domain import Category, Purpose

__all__ = ["router"]

# Included by `notes.api`, whose prefix (/api/v1/notes) these paths continue.
router = APIRouter(tags=["notes"])

Reader = Annotated[Principal, Depends(api_user("notes"))]
Writer = Annotated[Principal, Depends(api_user("notes", write=True))]
PurposeQuery = Annotated[
    Purpose | None,
    Query(description="Why you open it: required for restricted notes (TLP:AMBER and above)"),
]


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "category"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "category": {"type": "string", "enum": [c.value for c in Category]},
                    },
                }
            },
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


async def _upload(
    request: Request, filename: str | None, category: Category | None
) -> tuple[str, str | None, bytes, Category]:
    """The file of a multipart form (fields `file`, `category`) or of a raw body."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        async with request.form() as form:
            upload = form.get("file")
            chosen = form.get("category") or (category.value if category else None)
            if not isinstance(upload, UploadFile):
                raise Invalid("Send the file in the field `file`.", errors=[{"field": "file"}])
            content = await upload.read()
            name, media_type = upload.filename or filename or "", upload.content_type
        try:
            picked = Category(str(chosen)) if chosen else None
        except ValueError:
            picked = None
        if picked is None:
            raise Invalid("Choose the file's category.", errors=[{"field": "category"}])
        return name, media_type, content, picked
    if not filename or category is None:
        raise Invalid(
            "A raw upload names the file and its category: ?filename=…&category=….",
            errors=[{"field": "filename" if not filename else "category"}],
        )
    return filename, content_type or None, await request.body(), category


@router.post(
    "/{note_id}/attachments",
    response_model=AttachmentRead,
    status_code=status.HTTP_201_CREATED,
    summary="Attach a file (multipart, or the raw body with ?filename=&category=)",
    openapi_extra=UPLOAD_BODY,
)
async def add_attachment(
    note_id: uuid.UUID,
    principal: Writer,
    request: Request,
    response: Response,
    filename: Annotated[str | None, Query(max_length=255)] = None,
    category: Annotated[Category | None, Query(description="The file's data category")] = None,
) -> AttachmentRead:
    name, media_type, content, chosen = await _upload(request, filename, category)
    attachment = await run_in_threadpool(
        lambda: service.add_attachment(
            request.app.state.db,
            request.app.state.bus,
            actor=principal.actor,
            at=_now(request),
            note_id=note_id,
            filename=name,
            media_type=media_type,
            content=content,
            category=chosen,
            max_bytes=request.app.state.settings.max_body_bytes,
            ip=principal.ip,
        )
    )
    href = f"/api/v1/notes/{note_id}/attachments/{attachment.id}"
    response.headers["Location"] = href
    return AttachmentRead(
        id=attachment.id,
        category=attachment.category,
        filename=attachment.filename,
        media_type=attachment.media_type,
        size=attachment.size,
        sha256=attachment.sha256,
        added_at=attachment.added_at,
        redacted=None,
        href=href,
    )


@router.get(
    "/{note_id}/attachments/{attachment_id}",
    summary="Download an attachment",
    description="Read like the note itself (purpose and audit); a redacted one is refused.",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def download_attachment(
    note_id: uuid.UUID,
    attachment_id: uuid.UUID,
    principal: Reader,
    request: Request,
    purpose: PurposeQuery = None,
) -> Response:
    download = queries.open_attachment(
        request.app.state.db,
        principal.actor,
        note_id,
        attachment_id,
        purpose,
        _now(request),
        ip=principal.ip,
    )
    return Response(
        download.content,
        media_type=download.media_type,
        headers={
            # Always a download, never rendered as a page of this site.
            "content-disposition": f"attachment; filename*=UTF-8''{quote(download.filename)}",
            "content-security-policy": "sandbox; default-src 'none'",
            "x-checksum-sha256": download.sha256,
        },
    )
