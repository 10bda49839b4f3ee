"""Reads of agreements as each person may see them: lists, one, versions, diffs, warnings."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session, selectinload

from accord.agreements.content import content_digest
from accord.agreements.domain import (
    EXPIRY_WARNING_DAYS,
    AgreementKind,
    AgreementStatus,
    Terms,
    VersionState,
    can_change,
    can_sign_for,
    diff,
    diff_parties,
    is_coordinator,
    terms_from_json,
    warning_threshold,
)
from accord.agreements.guards import (
    group_names,
    in_force_version,
    load_agreement,
    org_names,
    party_clause,
    party_ids_of,
    pending_version,
    status_of,
)
from accord.agreements.models import Agreement, AgreementParty, AgreementVersion
from accord.core.errors import Invalid, NotFound
from accord.core.pagination import DEFAULT_LIMIT, Page, paginate
from accord.orgs.domain import Actor
from accord.orgs.models import Person

__all__ = [
    "AgreementView",
    "ExpiryWarning",
    "ListRow",
    "PartyView",
    "VersionView",
    "expiry_warnings",
    "get_agreement",
    "get_version",
    "list_agreements",
    "list_rows",
    "list_versions",
    "version_diff",
]


@dataclass(frozen=True)
class PartyView:
    org_id: str
    name: str
    via_group: str | None  # the group's name when the party joined as one of its members
    signed_at: datetime | None
    signed_by: str | None


@dataclass(frozen=True)
class DocumentView:
    filename: str
    media_type: str
    size: int
    sha256: str
    uploaded_at: datetime | None


@dataclass(frozen=True)
class VersionView:
    number: int
    state: VersionState
    kind: AgreementKind
    title: str
    terms: Terms
    digest: str
    proposed_digest: str | None
    proposed_at: datetime | None
    in_force_at: datetime | None
    created_at: datetime
    parties: list[PartyView]
    groups: list[tuple[str, str]]  # (id, name) of groups named as parties
    document: DocumentView | None
    names: dict[str, str]  # organization id -> name, for the roles matrix

    @property
    def changed_since_proposed(self) -> bool:
        return self.proposed_digest is not None and self.proposed_digest != self.digest

    @property
    def unsigned(self) -> list[PartyView]:
        return [p for p in self.parties if p.signed_at is None]


@dataclass(frozen=True)
class AgreementView:
    agreement: Agreement
    status: AgreementStatus
    in_force: VersionView | None
    pending: VersionView | None
    versions: list[tuple[int, VersionState, datetime]]
    may_change: bool
    may_sign: bool  # the viewer's organization still has to sign the proposed version

    @property
    def shown(self) -> VersionView:
        """The version a reader sees first: the one in force, else the draft."""
        found = self.in_force or self.pending
        assert found is not None  # noqa: S101 - every agreement has at least one version
        return found


def _version_view(session: Session, version: AgreementVersion) -> VersionView:
    valid = [s for s in version.signatures if s.digest == version.proposed_digest]
    signers = {
        str(p.id): p.display_name
        for p in session.scalars(
            select(Person).where(Person.id.in_([s.person_id for s in valid if s.person_id]))
        )
    }
    by_org = {str(s.org_id): s for s in valid}
    names = org_names(session, [p.org_id for p in version.parties])
    groups = group_names(session, version.party_groups)
    roles_named = {o for r in terms_from_json(version.terms).roles for o in r.named}
    names.update(org_names(session, roles_named - set(names)))
    parties = []
    for party in version.parties:
        signature = by_org.get(str(party.org_id))
        parties.append(
            PartyView(
                org_id=str(party.org_id),
                name=names.get(str(party.org_id), str(party.org_id)),
                via_group=None
                if party.via_group_id is None
                else groups.get(str(party.via_group_id), "a group"),
                signed_at=None if signature is None else signature.signed_at,
                signed_by=None
                if signature is None
                else signers.get(str(signature.person_id), "a former administrator"),
            )
        )
    document = None
    if version.document_sha256 is not None:
        document = DocumentView(
            filename=version.document_filename or "agreement",
            media_type=version.document_media_type or "application/octet-stream",
            size=version.document_size or 0,
            sha256=version.document_sha256,
            uploaded_at=version.document_uploaded_at,
        )
    return VersionView(
        number=version.number,
        state=version.state,
        kind=version.kind,
        title=version.title,
        terms=terms_from_json(version.terms),
        digest=content_digest(version),
        proposed_digest=version.proposed_digest,
        proposed_at=version.proposed_at,
        in_force_at=version.in_force_at,
        created_at=version.created_at,
        parties=sorted(parties, key=lambda p: p.name),
        groups=sorted(groups.items(), key=lambda g: g[1]),
        document=document,
        names=names,
    )


def _loaded(session: Session, actor: Actor, agreement_id: uuid.UUID) -> Agreement:
    load_agreement(session, actor, agreement_id)
    return session.scalars(
        select(Agreement)
        .where(Agreement.id == agreement_id)
        .options(
            selectinload(Agreement.versions).selectinload(AgreementVersion.parties),
            selectinload(Agreement.versions).selectinload(AgreementVersion.signatures),
        )
        .execution_options(populate_existing=True)
    ).one()


def get_agreement(
    session: Session, actor: Actor, agreement_id: uuid.UUID, at: datetime
) -> AgreementView:
    """One agreement as `actor` sees it at `at`; NotFound for anyone not party to it."""
    agreement = _loaded(session, actor, agreement_id)
    in_force = in_force_version(agreement)
    pending = pending_version(agreement)
    pending_view = None if pending is None else _version_view(session, pending)
    may_sign = (
        pending_view is not None
        and pending_view.state is VersionState.PROPOSED
        and not pending_view.changed_since_proposed
        and any(p.org_id == actor.org_id and p.signed_at is None for p in pending_view.parties)
        and can_sign_for(actor, actor.org_id)
    )
    return AgreementView(
        agreement=agreement,
        status=status_of(agreement, at),
        in_force=None if in_force is None else _version_view(session, in_force),
        pending=pending_view,
        versions=[(v.number, v.state, v.created_at) for v in agreement.versions],
        may_change=can_change(actor, party_ids_of(session, agreement.id)),
        may_sign=may_sign,
    )


def get_version(
    session: Session, actor: Actor, agreement_id: uuid.UUID, number: int
) -> tuple[Agreement, VersionView]:
    agreement = _loaded(session, actor, agreement_id)
    version = next((v for v in agreement.versions if v.number == number), None)
    if version is None:
        raise NotFound(f"The agreement has no version {number}.")
    return agreement, _version_view(session, version)


def list_versions(session: Session, actor: Actor, agreement_id: uuid.UUID) -> list[VersionView]:
    """Every version of the agreement, oldest first: each stays viewable."""
    agreement = _loaded(session, actor, agreement_id)
    return [_version_view(session, v) for v in agreement.versions]


def version_diff(
    session: Session, actor: Actor, agreement_id: uuid.UUID, old: int, new: int
) -> list[str]:
    """What changed from version `old` to version `new`, one readable line per change."""
    if old == new:
        raise Invalid(
            "Choose two different versions.", errors=[{"field": "to", "message": "same version"}]
        )
    _, before = get_version(session, actor, agreement_id, old)
    _, after = get_version(session, actor, agreement_id, new)
    names = {**before.names, **after.names}
    lines = []
    if before.title != after.title:
        lines.append(f"Title: {before.title} → {after.title}")
    lines += diff_parties(
        [p.org_id for p in before.parties], [p.org_id for p in after.parties], names
    )
    lines += diff(before.terms, after.terms, names)
    return lines


def _status_condition(status: AgreementStatus, at: datetime) -> ColumnElement[bool]:
    """The status filter in SQL, expiry read off the clock as `domain.effective_status` does."""
    lapsed = and_(Agreement.expires_at.is_not(None), Agreement.expires_at <= at)
    in_effect = Agreement.status.in_([AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED])
    if status is AgreementStatus.EXPIRED:
        return and_(in_effect, lapsed)
    if status in (AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED):
        return and_(
            Agreement.status == status,
            or_(Agreement.expires_at.is_(None), Agreement.expires_at > at),
        )
    return Agreement.status == status


def list_agreements(
    session: Session,
    actor: Actor,
    at: datetime,
    *,
    status: AgreementStatus | None = None,
    kind: AgreementKind | None = None,
    party: uuid.UUID | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[Agreement]:
    """Agreements the actor may see, newest first: their organization's, or all (coordinator)."""
    stmt = select(Agreement)
    if not is_coordinator(actor):
        stmt = stmt.where(party_clause(uuid.UUID(actor.org_id)))
    if status is not None:
        stmt = stmt.where(_status_condition(status, at))
    if kind is not None:
        stmt = stmt.where(Agreement.kind == kind)
    if party is not None:
        stmt = stmt.where(party_clause(party))
    return paginate(
        session,
        stmt,
        [Agreement.created_at, Agreement.id],
        cursor=cursor,
        limit=limit,
        descending=True,
    )


@dataclass(frozen=True)
class ListRow:
    agreement: Agreement
    status: AgreementStatus
    parties: list[tuple[str, str]]  # (id, name), of the version in force or else the draft


def list_rows(session: Session, agreements: list[Agreement], at: datetime) -> list[ListRow]:
    """A page of agreements with their status at `at` and their parties' names."""
    if not agreements:
        return []
    versions = session.execute(
        select(AgreementVersion.agreement_id, AgreementVersion.number, AgreementParty.org_id)
        .join(AgreementParty, AgreementParty.version_id == AgreementVersion.id)
        .where(AgreementVersion.agreement_id.in_([a.id for a in agreements]))
    ).all()
    names = org_names(session, {row.org_id for row in versions})
    rows = []
    for agreement in agreements:
        shown = agreement.current_version or 1
        ids = sorted(
            {
                str(r.org_id)
                for r in versions
                if r.agreement_id == agreement.id and r.number == shown
            }
        )
        rows.append(
            ListRow(
                agreement=agreement,
                status=status_of(agreement, at),
                parties=sorted(((i, names.get(i, i)) for i in ids), key=lambda p: p[1]),
            )
        )
    return rows


@dataclass(frozen=True)
class ExpiryWarning:
    """An agreement in effect that expires within 30, 7 or 1 days."""

    agreement_id: uuid.UUID
    title: str
    expires_at: datetime
    days: int  # the threshold reached: 30, 7 or 1
    left: timedelta

    @property
    def message(self) -> str:
        hours = int(self.left.total_seconds() // 3600)
        when = f"{hours} hours" if hours < 48 else f"{self.left.days} days"
        return (
            f"“{self.title}” expires in {when}, at "
            f"{self.expires_at.strftime('%Y-%m-%d %H:%M UTC')}: amend it to extend it."
        )


def expiry_warnings(
    session: Session, org_id: uuid.UUID | None, at: datetime
) -> list[ExpiryWarning]:
    """Agreements of `org_id` (every one, for None) expiring within 30 days of `at`, soonest first.

    Shown to the admins of each party in the console 30, 7 and 1 days before expiry.
    """
    horizon = at + timedelta(days=max(EXPIRY_WARNING_DAYS))
    stmt = select(Agreement).where(
        Agreement.status.in_([AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED]),
        Agreement.expires_at > at,
        Agreement.expires_at <= horizon,
    )
    if org_id is not None:
        stmt = stmt.where(
            select(AgreementParty.org_id)
            .join(AgreementVersion, AgreementVersion.id == AgreementParty.version_id)
            .where(
                AgreementVersion.agreement_id == Agreement.id,
                AgreementVersion.number == Agreement.current_version,
                AgreementParty.org_id == org_id,
            )
            .exists()
        )
    warnings = []
    for agreement in session.scalars(stmt.order_by(Agreement.expires_at, Agreement.id)):
        expires_at = agreement.expires_at
        days = warning_threshold(expires_at, at)
        if expires_at is None or days is None:
            continue
        warnings.append(
            ExpiryWarning(
                agreement_id=agreement.id,
                title=agreement.title,
                expires_at=expires_at,
                days=days,
                left=expires_at - at,
            )
        )
    return warnings
