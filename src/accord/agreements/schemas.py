"""API shapes of agreements. Inputs refuse unknown fields: no request sets a status, an id,
a signature or a digest of its own (mass assignment), only the terms people may write."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from accord.agreements.accountability import Accountability, Count
from accord.agreements.domain import (
    MAX_NOTES,
    MAX_TITLE,
    AgreementKind,
    AgreementStatus,
    IncidentType,
    RoleAssignment,
    Terms,
    VersionState,
)
from accord.agreements.queries import AgreementView, ListRow, VersionView
from accord.sharing.domain import Category, Purpose, Tlp

__all__ = [
    "AccountabilityRead",
    "AgreementCreate",
    "AgreementPage",
    "AgreementRead",
    "AgreementSummary",
    "AgreementUpdate",
    "AmendBody",
    "DiffRead",
    "DocumentStored",
    "ReasonBody",
    "SignBody",
    "SignedRead",
    "TermsIn",
    "TermsPatch",
    "accountability_read",
    "agreement_read",
    "summary_read",
    "version_read",
]

Notes = Field(default="", max_length=MAX_NOTES)
Area = Field(default=None, description="GeoJSON Polygon or MultiPolygon (WGS84); null: any place")


class Strict(BaseModel):
    """An input: unknown fields are refused (422), not ignored."""

    model_config = ConfigDict(extra="forbid")


def bounded_instant(value: datetime | None) -> datetime | None:
    """An instant in UTC between 1970 and 9998, so every engine and every sum of days holds it."""
    if value is None:
        return None
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range") from None
    if not 1970 <= utc.year <= 9998:
        raise ValueError("must lie between the years 1970 and 9998")
    return utc


class RoleIn(Strict):
    incident_type: IncidentType
    lead: uuid.UUID | None = Field(default=None, description="the party that leads")
    supports: list[uuid.UUID] = Field(default_factory=list, max_length=200)
    notified: list[uuid.UUID] = Field(default_factory=list, max_length=200)

    def to_role(self) -> RoleAssignment:
        return RoleAssignment(
            incident_type=self.incident_type,
            lead=None if self.lead is None else str(self.lead),
            supports=frozenset(str(o) for o in self.supports),
            notified=frozenset(str(o) for o in self.notified),
        )


class TermsIn(Strict):
    """The terms of a new agreement. Checks that span fields answer 422 naming the term."""

    covered: list[Category] = Field(description="data categories the agreement covers")
    sensitive: list[Category] = Field(
        default_factory=list, description="covered categories whose reads state a purpose"
    )
    purposes: list[Purpose] = Field(description="purposes a restricted read may state")
    tlp_ceiling: Tlp
    area: dict[str, Any] | None = Area
    effective_at: AwareDatetime
    expires_at: AwareDatetime | None = None
    retention_days: int | None = Field(
        default=None, description="days a recipient keeps records received under it"
    )
    onward_sharing: bool = False
    roles: list[RoleIn] = Field(default_factory=list, max_length=len(IncidentType))
    liability_notes: str = Notes
    jurisdiction_notes: str = Notes

    _instants = field_validator("effective_at", "expires_at")(bounded_instant)

    def to_terms(self) -> Terms:
        return Terms(**_typed(self.model_dump(exclude={"roles"}), self.roles))


def _typed(values: dict[str, Any], roles: list[RoleIn] | None) -> dict[str, Any]:
    """Field values as the domain's Terms takes them (sets, roles)."""
    for name in ("covered", "sensitive", "purposes"):
        if name in values:
            values[name] = frozenset(values[name])
    if roles is not None:
        values["roles"] = tuple(r.to_role() for r in roles)
    return values


class TermsPatch(Strict):
    """Only the terms sent change; null clears the area, the expiry or the retention."""

    covered: list[Category] | None = None
    sensitive: list[Category] | None = None
    purposes: list[Purpose] | None = None
    tlp_ceiling: Tlp | None = None
    area: dict[str, Any] | None = Area
    effective_at: AwareDatetime | None = None
    expires_at: AwareDatetime | None = None
    retention_days: int | None = None
    onward_sharing: bool | None = None
    roles: list[RoleIn] | None = Field(default=None, max_length=len(IncidentType))
    liability_notes: str | None = Field(default=None, max_length=MAX_NOTES)
    jurisdiction_notes: str | None = Field(default=None, max_length=MAX_NOTES)

    _instants = field_validator("effective_at", "expires_at")(bounded_instant)

    def changes(self) -> dict[str, Any]:
        sent = self.model_dump(exclude_unset=True, exclude={"roles"})
        nullable = {"area", "expires_at", "retention_days"}
        for name, value in list(sent.items()):
            if value is None and name not in nullable:
                del sent[name]  # null for a required term means "leave it"
        roles = self.roles if "roles" in self.model_fields_set and self.roles is not None else None
        return _typed(sent, roles)


class AgreementCreate(Strict):
    kind: AgreementKind
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    parties: list[uuid.UUID] = Field(
        default_factory=list, max_length=500, description="party organizations"
    )
    groups: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=50,
        description="groups whose member organizations are parties (expanded when proposed)",
    )
    terms: TermsIn


class AgreementUpdate(Strict):
    """Edit the draft; editing proposed terms takes them back to draft."""

    kind: AgreementKind | None = None
    title: str | None = Field(default=None, min_length=1, max_length=MAX_TITLE)
    parties: list[uuid.UUID] | None = Field(default=None, max_length=500)
    groups: list[uuid.UUID] | None = Field(default=None, max_length=50)
    terms: TermsPatch | None = None


class AmendBody(Strict):
    """Start an amendment from the version in force, with these changes (or none yet)."""

    title: str | None = Field(default=None, min_length=1, max_length=MAX_TITLE)
    parties: list[uuid.UUID] | None = Field(default=None, max_length=500)
    groups: list[uuid.UUID] | None = Field(default=None, max_length=50)
    terms: TermsPatch | None = None


class SignBody(Strict):
    digest: str = Field(
        pattern="^[0-9a-fA-F]{64}$", description="the digest of the terms you were shown"
    )
    totp: str = Field(min_length=1, max_length=16, description="a current two-step code")
    version: int | None = Field(default=None, ge=1, description="the version you sign")


class ReasonBody(Strict):
    reason: str = Field(min_length=1, max_length=2000)


class RoleRead(BaseModel):
    incident_type: IncidentType
    lead: str | None
    supports: list[str]
    notified: list[str]


class TermsRead(BaseModel):
    covered: list[Category]
    sensitive: list[Category]
    purposes: list[Purpose]
    tlp_ceiling: Tlp
    area: dict[str, Any] | None
    effective_at: datetime
    expires_at: datetime | None
    retention_days: int | None
    onward_sharing: bool
    roles: list[RoleRead]
    liability_notes: str
    jurisdiction_notes: str


class PartyRead(BaseModel):
    org_id: str
    name: str
    via_group: str | None
    signed_at: datetime | None
    signed_by: str | None


class GroupRef(BaseModel):
    id: str
    name: str


class DocumentRead(BaseModel):
    filename: str
    media_type: str
    size: int
    sha256: str
    uploaded_at: datetime | None
    href: str


class VersionRead(BaseModel):
    number: int
    state: VersionState
    kind: AgreementKind
    title: str
    terms: TermsRead
    digest: str
    proposed_digest: str | None
    proposed_at: datetime | None
    in_force_at: datetime | None
    created_at: datetime
    changed_since_proposed: bool
    parties: list[PartyRead]
    groups: list[GroupRef]
    document: DocumentRead | None


class VersionSummary(BaseModel):
    number: int
    state: VersionState
    created_at: datetime


class AgreementRead(BaseModel):
    id: uuid.UUID
    kind: AgreementKind
    title: str
    status: AgreementStatus
    status_reason: str
    status_changed_at: datetime
    created_at: datetime
    updated_at: datetime
    drafted_by_org_id: uuid.UUID
    current_version: int | None
    expires_at: datetime | None
    in_force: VersionRead | None
    pending: VersionRead | None
    versions: list[VersionSummary]


class PartyRef(BaseModel):
    org_id: str
    name: str


class AgreementSummary(BaseModel):
    id: uuid.UUID
    kind: AgreementKind
    title: str
    status: AgreementStatus
    current_version: int | None
    expires_at: datetime | None
    created_at: datetime
    parties: list[PartyRef]


class AgreementPage(BaseModel):
    items: list[AgreementSummary]
    next_cursor: str | None
    limit: int


class SignedRead(BaseModel):
    version: int
    in_force: bool
    agreement: AgreementRead


class DiffRead(BaseModel):
    from_version: int
    to_version: int
    changes: list[str]


class DocumentStored(BaseModel):
    version: int
    filename: str
    media_type: str
    size: int
    sha256: str


class CountRead(BaseModel):
    org_id: str
    organization: str
    item: str
    count: int


class AccountabilityRead(BaseModel):
    agreement_id: uuid.UUID
    title: str
    status: AgreementStatus
    version: int | None
    generated_at: datetime
    shared_total: int
    reads_total: int
    refused_total: int
    shared_by_tlp: list[CountRead]
    shared_by_category: list[CountRead]
    reads_by_purpose: list[CountRead]
    reads_by_organization: list[CountRead]
    refused_by_organization: list[CountRead]


def _terms_read(terms: Terms) -> TermsRead:
    order = list(IncidentType)
    return TermsRead(
        covered=sorted(terms.covered),
        sensitive=sorted(terms.sensitive),
        purposes=sorted(terms.purposes),
        tlp_ceiling=terms.tlp_ceiling,
        area=None if terms.area is None else dict(terms.area),
        effective_at=terms.effective_at,
        expires_at=terms.expires_at,
        retention_days=terms.retention_days,
        onward_sharing=terms.onward_sharing,
        roles=[
            RoleRead(
                incident_type=r.incident_type,
                lead=r.lead,
                supports=sorted(r.supports),
                notified=sorted(r.notified),
            )
            for r in sorted(terms.roles, key=lambda r: order.index(r.incident_type))
        ],
        liability_notes=terms.liability_notes,
        jurisdiction_notes=terms.jurisdiction_notes,
    )


def version_read(agreement_id: uuid.UUID, v: VersionView) -> VersionRead:
    document = None
    if v.document is not None:
        document = DocumentRead(
            filename=v.document.filename,
            media_type=v.document.media_type,
            size=v.document.size,
            sha256=v.document.sha256,
            uploaded_at=v.document.uploaded_at,
            href=f"/api/v1/agreements/{agreement_id}/versions/{v.number}/document",
        )
    return VersionRead(
        number=v.number,
        state=v.state,
        kind=v.kind,
        title=v.title,
        terms=_terms_read(v.terms),
        digest=v.digest,
        proposed_digest=v.proposed_digest,
        proposed_at=v.proposed_at,
        in_force_at=v.in_force_at,
        created_at=v.created_at,
        changed_since_proposed=v.changed_since_proposed,
        parties=[PartyRead(**p.__dict__) for p in v.parties],
        groups=[GroupRef(id=i, name=n) for i, n in v.groups],
        document=document,
    )


def agreement_read(view: AgreementView) -> AgreementRead:
    a = view.agreement
    return AgreementRead(
        id=a.id,
        kind=a.kind,
        title=a.title,
        status=view.status,
        status_reason=a.status_reason,
        status_changed_at=a.status_changed_at,
        created_at=a.created_at,
        updated_at=a.updated_at,
        drafted_by_org_id=a.drafted_by_org_id,
        current_version=a.current_version,
        expires_at=a.expires_at,
        in_force=None if view.in_force is None else version_read(a.id, view.in_force),
        pending=None if view.pending is None else version_read(a.id, view.pending),
        versions=[VersionSummary(number=n, state=s, created_at=t) for n, s, t in view.versions],
    )


def summary_read(row: ListRow) -> AgreementSummary:
    a = row.agreement
    return AgreementSummary(
        id=a.id,
        kind=a.kind,
        title=a.title,
        status=row.status,
        current_version=a.current_version,
        expires_at=a.expires_at,
        created_at=a.created_at,
        parties=[PartyRef(org_id=i, name=n) for i, n in row.parties],
    )


def _counts(counts: list[Count]) -> list[CountRead]:
    return [CountRead(**c.__dict__) for c in counts]


def accountability_read(report: Accountability) -> AccountabilityRead:
    return AccountabilityRead(
        agreement_id=report.agreement_id,
        title=report.title,
        status=report.status,
        version=report.version,
        generated_at=report.generated_at,
        shared_total=report.shared_total,
        reads_total=report.reads_total,
        refused_total=report.refused_total,
        shared_by_tlp=_counts(report.shared_by_tlp),
        shared_by_category=_counts(report.shared_by_category),
        reads_by_purpose=_counts(report.reads_by_purpose),
        reads_by_organization=_counts(report.reads_by_organization),
        refused_by_organization=_counts(report.refused_by_organization),
    )
