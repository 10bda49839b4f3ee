"""What a note is made of, as pure rules: its categories, its summary, who may change it."""

from __future__ import annotations

import re
from collections.abc import Iterable

from accord.orgs.domain import Actor, Role
from accord.sharing.domain import Category

__all__ = [
    "ATTACHMENTS_MAX",
    "BODY_MAX",
    "DETAILS_MAX",
    "FILENAME_MAX",
    "KIND",
    "SUMMARY_MAX",
    "TITLE_MAX",
    "clean_filename",
    "clean_media_type",
    "may_edit",
    "note_categories",
    "summary_of",
]

KIND = "note"  # the `kind` of a note's shared record
TITLE_MAX = 200
BODY_MAX = 20_000
DETAILS_MAX = 5_000
SUMMARY_MAX = 280
FILENAME_MAX = 200
ATTACHMENTS_MAX = 20

# RFC 6838 §4.2: type "/" subtype, each a restricted name.
_MEDIA_TYPE = re.compile(
    r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,63}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,63}$"
)
_UNSAFE_FILENAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


def note_categories(
    body_category: Category,
    *,
    has_personal_details: bool,
    attachment_categories: Iterable[Category] = (),
    declared: Iterable[Category] = (),
) -> frozenset[Category]:
    """The record's categories: the body's, personal data when people are described, each
    attachment's, and any the sender declared on top (e.g. a person's location)."""
    categories = {body_category, *attachment_categories, *declared}
    if has_personal_details:
        categories.add(Category.PERSONAL_DATA)
    return frozenset(categories)


def summary_of(body: str) -> str:
    """The opening of the body for lists and search: whole words, one line."""
    text = " ".join(body.split())
    if len(text) <= SUMMARY_MAX:
        return text
    cut = text[:SUMMARY_MAX].rsplit(" ", 1)[0] or text[:SUMMARY_MAX]
    return cut + "…"


def may_edit(actor: Actor, *, owner_org_id: str, author_id: str | None) -> bool:
    """A note is changed by its author, or by an administrator of the owner organization."""
    if actor.org_id != owner_org_id:
        return False
    if author_id is not None and actor.person_id == author_id and actor.role is not Role.VIEWER:
        return True
    return actor.role in (Role.ORG_ADMIN, Role.PLATFORM_ADMIN)


def clean_filename(name: str) -> str:
    """A file name safe to store and to send back in Content-Disposition: no path, no controls."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE_FILENAME.sub("_", base).strip(" .")
    return cleaned[:FILENAME_MAX] or "attachment"


def clean_media_type(value: str | None) -> str:
    """The declared media type without parameters, or application/octet-stream when unusable."""
    media = (value or "").split(";", 1)[0].strip().lower()
    return media if _MEDIA_TYPE.match(media) else "application/octet-stream"
