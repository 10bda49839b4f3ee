"""What happened under an agreement: records its parties shared, restricted reads, refusals.

Shared records are counted with the conditions of the agreement's grant (TLP:AMBER, owned by a
party, in a covered category, inside the area), up to the instant sharing under it stopped.
Reads and refusals come from the sharing engine's log of restricted reads (`SharingRead`).
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.agreements.domain import (
    AgreementStatus,
    Terms,
    can_change,
    terms_from_json,
)
from accord.agreements.guards import (
    in_force_version,
    load_agreement,
    org_names,
    party_ids_of,
    status_of,
)
from accord.agreements.models import Agreement
from accord.core.errors import Forbidden
from accord.orgs.domain import Actor
from accord.sharing import access
from accord.sharing.domain import Tlp
from accord.sharing.models import SharingGrant, SharingRead

__all__ = ["Accountability", "Count", "accountability_csv", "get_accountability"]


@dataclass(frozen=True)
class Count:
    org_id: str
    organization: str
    item: str
    count: int


@dataclass
class Accountability:
    """The per-agreement report; every figure is a count, never a record."""

    agreement_id: uuid.UUID
    title: str
    status: AgreementStatus
    version: int | None
    generated_at: datetime
    shared_by_tlp: list[Count] = field(default_factory=list)
    shared_by_category: list[Count] = field(default_factory=list)
    reads_by_purpose: list[Count] = field(default_factory=list)
    reads_by_organization: list[Count] = field(default_factory=list)
    refused_by_organization: list[Count] = field(default_factory=list)

    @property
    def shared_total(self) -> int:
        return sum(c.count for c in self.shared_by_tlp)

    @property
    def reads_total(self) -> int:
        return sum(c.count for c in self.reads_by_organization)

    @property
    def refused_total(self) -> int:
        return sum(c.count for c in self.refused_by_organization)


def _shared_before(agreement: Agreement, terms: Terms, at: datetime) -> list[datetime]:
    """Records count up to now, and only until sharing under the agreement stopped (if it did)."""
    before = [at + timedelta(microseconds=1)]
    if agreement.status is AgreementStatus.TERMINATED:
        before.append(agreement.status_changed_at)
    if terms.expires_at is not None:
        before.append(terms.expires_at)
    return before


def _shared(session: Session, report: Accountability, agreement: Agreement, at: datetime) -> None:
    version = in_force_version(agreement)
    grant = session.get(SharingGrant, agreement.id)
    if version is None or grant is None:
        return
    terms = terms_from_json(version.terms)
    if terms.tlp_ceiling.rank < Tlp.AMBER.rank:
        return  # the agreement carries nothing above GREEN, which every vetted member sees
    rows = access.shared_under_by_owner(
        session,
        agreement.id,
        [p.org_id for p in version.parties],
        terms.covered,
        has_area=grant.has_area,
        before=_shared_before(agreement, terms, at),
    )
    names = org_names(session, [r[0] for r in rows])
    for owner, total, per_category in sorted(rows, key=lambda r: names.get(str(r[0]), "")):
        org_id = str(owner)
        name = names.get(org_id, org_id)
        report.shared_by_tlp.append(Count(org_id, name, Tlp.AMBER.label, total))
        for category, n in per_category.items():
            if n:
                report.shared_by_category.append(Count(org_id, name, category.label, n))


def _reads(session: Session, report: Accountability, agreement_id: uuid.UUID) -> None:
    base = (SharingRead.agreement_id == agreement_id,)
    by_purpose = session.execute(
        select(SharingRead.purpose, func.count(SharingRead.id))
        .where(*base, SharingRead.outcome == "read")
        .group_by(SharingRead.purpose)
    ).all()
    report.reads_by_purpose = sorted(
        (Count("", "", (p or "none").replace("_", " "), int(n)) for p, n in by_purpose),
        key=lambda c: (-c.count, c.item),
    )
    for outcome, target in (
        ("read", report.reads_by_organization),
        ("refused", report.refused_by_organization),
    ):
        rows = session.execute(
            select(SharingRead.viewer_org_id, func.count(SharingRead.id))
            .where(*base, SharingRead.outcome == outcome)
            .group_by(SharingRead.viewer_org_id)
        ).all()
        names = org_names(session, [r[0] for r in rows])
        target.extend(
            sorted(
                (Count(str(o), names.get(str(o), str(o)), outcome, int(n)) for o, n in rows),
                key=lambda c: c.organization,
            )
        )


def get_accountability(
    session: Session, actor: Actor, agreement_id: uuid.UUID, at: datetime
) -> Accountability:
    """The report for the admins of the parties and the coordinator; others may not read it."""
    agreement = load_agreement(session, actor, agreement_id)
    if not can_change(actor, party_ids_of(session, agreement.id)):
        raise Forbidden(
            "The accountability report is for the administrators of the parties and the "
            "partnership coordinator."
        )
    report = Accountability(
        agreement_id=agreement.id,
        title=agreement.title,
        status=status_of(agreement, at),
        version=agreement.current_version,
        generated_at=at,
    )
    _shared(session, report, agreement, at)
    _reads(session, report, agreement.id)
    return report


def _cell(value: object) -> str:
    """A spreadsheet cannot take a cell for a formula (OWASP: CSV injection)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def accountability_csv(report: Accountability) -> Iterator[str]:
    """The report as CSV rows: section, organization id, organization, item, count."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180 §2: CRLF line breaks

    def row(*values: object) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_cell(v) for v in values])
        return buffer.getvalue()

    yield row("section", "organization_id", "organization", "item", "count")
    yield row("agreement", "", "", report.title, "")
    yield row("status", "", "", report.status.value, "")
    yield row("generated_at", "", "", report.generated_at.isoformat(), "")
    sections = (
        ("shared_by_tlp", report.shared_by_tlp),
        ("shared_by_category", report.shared_by_category),
        ("restricted_reads_by_purpose", report.reads_by_purpose),
        ("restricted_reads_by_organization", report.reads_by_organization),
        ("refused_by_organization", report.refused_by_organization),
    )
    for section, counts in sections:
        for c in counts:
            yield row(section, c.org_id, c.organization, c.item, c.count)
