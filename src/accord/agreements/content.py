"""The content of a version: cleaning and checking terms and parties, writing and digesting them.

Helpers of `agreements.service` and `agreements.signing`, which own the transactions; each check
raises Invalid naming the term at fault.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

import h3
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.agreements.domain import (
    MAX_TITLE,
    TERMS_FIELDS,
    AgreementKind,
    Terms,
    TermsError,
    check_terms,
    terms_digest,
    terms_from_json,
    terms_to_json,
)
from accord.agreements.guards import in_force_version, org_names
from accord.agreements.models import Agreement, AgreementParty, AgreementVersion
from accord.core.errors import Invalid
from accord.orgs.domain import VettingState
from accord.orgs.geo import clean_service_area
from accord.orgs.models import Group, GroupMember, Organization
from accord.sharing import access
from accord.sharing.domain import Tlp
from accord.sharing.geo import cells_of_geometry

__all__ = [
    "apply_changes",
    "check_ceiling",
    "check_content",
    "clean_area",
    "clean_title",
    "content_digest",
    "expand_parties",
    "invalid",
    "named_parties",
    "refusal",
    "unvetted",
    "write_content",
]


def invalid(errors: list[TermsError]) -> Invalid:
    """One Invalid for all the problems found, each naming its term."""
    return Invalid(
        " ".join(e.message for e in errors),
        errors=[{"field": e.field, "message": e.message} for e in errors],
    )


def refusal(field: str, message: str) -> Invalid:
    return invalid([TermsError(field, message)])


def clean_title(title: str) -> str:
    cleaned = " ".join(title.split())
    if not cleaned:
        raise refusal("title", "Title: give the agreement a title.")
    if len(cleaned) > MAX_TITLE:
        raise refusal("title", f"Title: at most {MAX_TITLE} characters.")
    return cleaned


def clean_area(terms: Terms) -> Terms:
    """A valid GeoJSON area no larger than the engine indexes, or Invalid naming the area."""
    if terms.area is None:
        return terms
    area = clean_service_area(terms.area, field="area")
    assert area is not None  # noqa: S101 - only None in, None out
    try:
        cells_of_geometry(area)
    except (ValueError, TypeError, h3.H3BaseException) as exc:
        raise refusal("area", "Area: the shape cannot be indexed; draw it again.") from exc
    return replace(terms, area=area)


def expand_parties(
    s: Session, organizations: Iterable[uuid.UUID], groups: Iterable[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID | None]:
    """Party organizations: those named, then the members of each named group (via it)."""
    parties: dict[uuid.UUID, uuid.UUID | None] = {}
    for org_id in organizations:
        if s.get(Organization, org_id) is None:
            raise refusal("parties", f"Parties: there is no organization {org_id}.")
        parties[org_id] = None
    for group_id in groups:
        group = s.get(Group, group_id)
        if group is None:
            raise refusal("groups", f"Parties: there is no group {group_id}.")
        members = s.scalars(select(GroupMember.org_id).where(GroupMember.group_id == group_id))
        for org_id in members:
            parties.setdefault(org_id, group_id)
    return parties


def unvetted(s: Session, parties: Iterable[uuid.UUID]) -> list[TermsError]:
    """A refusal naming each party that is not a vetted organization."""
    names = s.scalars(
        select(Organization.name)
        .where(Organization.id.in_(list(parties)))
        .where(Organization.vetting_state != VettingState.VETTED)
        .order_by(Organization.name)
    ).all()
    return [
        TermsError("parties", f"Parties: {name} is not a vetted organization.") for name in names
    ]


def check_content(s: Session, terms: Terms, parties: Mapping[uuid.UUID, uuid.UUID | None]) -> None:
    """Every problem of the terms among these parties at once, each naming its term."""
    errors = unvetted(s, parties) + check_terms(
        terms, [str(p) for p in parties], org_names(s, parties)
    )
    if errors:
        raise invalid(errors)


def content_digest(version: AgreementVersion, parties: Iterable[str] | None = None) -> str:
    """The digest of what `version` says now (read back from what is stored)."""
    return terms_digest(
        terms_from_json(version.terms),
        kind=version.kind,
        title=version.title,
        parties=version.party_ids if parties is None else parties,
        groups=version.party_groups,
    )


def write_content(
    version: AgreementVersion,
    *,
    kind: AgreementKind,
    title: str,
    terms: Terms,
    parties: Mapping[uuid.UUID, uuid.UUID | None],
    groups: Iterable[uuid.UUID],
) -> None:
    """Set a version's content and party rows, and its digest to match."""
    version.kind = kind
    version.title = title
    version.terms = terms_to_json(terms)
    version.party_groups = sorted({str(g) for g in groups})
    existing = {p.org_id: p for p in version.parties}
    for org_id, row in existing.items():
        if org_id not in parties:
            version.parties.remove(row)
        else:
            row.via_group_id = parties[org_id]
    for org_id, via in parties.items():
        if org_id not in existing:
            version.parties.append(AgreementParty(org_id=org_id, via_group_id=via))
    version.digest = content_digest(version, [str(p) for p in parties])


def named_parties(version: AgreementVersion) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """The organizations named directly, and the groups named, of a version."""
    direct = [p.org_id for p in version.parties if p.via_group_id is None]
    return direct, [uuid.UUID(g) for g in version.party_groups]


def check_ceiling(s: Session, agreement: Agreement, terms: Terms) -> None:
    """A ceiling below AMBER may not strand AMBER records already shared under the agreement."""
    if terms.tlp_ceiling.rank >= Tlp.AMBER.rank:
        return
    current = in_force_version(agreement)
    if current is None:
        return
    in_force = terms_from_json(current.terms)
    if in_force.tlp_ceiling.rank < Tlp.AMBER.rank:
        return
    shared = access.count_shared_under(s, [p.org_id for p in current.parties], in_force.covered)
    if shared:
        raise refusal(
            "tlp_ceiling",
            f"TLP ceiling: cannot go below TLP:AMBER while {shared} TLP:AMBER "
            f"record{'s are' if shared != 1 else ' is'} shared under this agreement.",
        )


def apply_changes(terms: Terms, changes: Mapping[str, Any]) -> Terms:
    unknown = sorted(set(changes) - set(TERMS_FIELDS))
    if unknown:
        raise refusal(unknown[0], f"{unknown[0]}: not a term of an agreement.")
    return replace(terms, **changes)
