"""How a shared record is shown to one viewer: why they see it, and what is masked and why.

Pure functions of the access module's decision (`sharing.domain.Access`), shared by the feed,
its live stream and every record kind's detail view, so each says the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

from accord.sharing.domain import ALL_PURPOSES, Access, Category, Purpose, Viewer

__all__ = [
    "Redaction",
    "Why",
    "is_shown",
    "location_shown",
    "permitted_purposes",
    "redaction_of",
    "summary_shown",
    "why_of",
]


@dataclass(frozen=True)
class Why:
    """Why the viewer sees a record: the basis, in words, and the agreement when there is one."""

    basis: str
    reason: str
    agreement_id: str | None
    agreement_title: str | None
    agreement_version: int | None


@dataclass(frozen=True)
class Redaction:
    """The marker that replaces a masked field: which category, and why it is masked."""

    category: Category
    reason: str


def why_of(access: Access) -> Why:
    grant = access.grant
    return Why(
        basis=access.basis.value,
        reason=access.reason,
        agreement_id=None if grant is None else grant.id,
        agreement_title=None if grant is None else grant.title,
        agreement_version=None if grant is None else grant.version,
    )


def is_shown(access: Access, category: Category) -> bool:
    """True when a field of `category` may be shown (the read itself may still need a purpose)."""
    return category in access.visible and category not in access.redacted


def redaction_of(access: Access, viewer: Viewer, category: Category) -> Redaction | None:
    """The marker for a field of `category`, or None when the viewer may see it.

    Criminal-justice information is masked for want of clearance whatever the basis; anything
    else is masked because the agreement the record reached the viewer through does not cover it.
    """
    if is_shown(access, category):
        return None
    if category is Category.CJI and not viewer.cji_cleared:
        return Redaction(category, "CJI clearance required")
    if access.grant is not None:
        return Redaction(category, f"Not covered by {access.grant.label}")
    return Redaction(category, "Not shared with you")


def permitted_purposes(access: Access) -> tuple[Purpose, ...]:
    """The purposes a restricted read may state (as `sharing.domain.can_view` accepts them)."""
    if not access.restricted:
        return ()
    return tuple(sorted(access.purposes or ALL_PURPOSES, key=lambda p: p.value))


def summary_shown(access: Access, summary_category: Category) -> bool:
    """Lists show a summary only for unrestricted reads whose summary category is visible:
    a restricted record's text is opened with a stated purpose, one record at a time."""
    return not access.restricted and is_shown(access, summary_category)


def location_shown(access: Access) -> bool:
    """A place that is a person's whereabouts is masked with the rest of that category."""
    return Category.PERSON_LOCATION not in access.redacted
