"""The console's draft form: what was typed, kept as text, and read into terms and parties."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import FormData

from accord.agreements.domain import (
    AgreementKind,
    IncidentType,
    RoleAssignment,
    Terms,
    TermsError,
)
from accord.agreements.queries import VersionView
from accord.core.errors import Invalid
from accord.sharing.domain import Category, Purpose, Tlp

__all__ = [
    "DATETIME_LOCAL",
    "DraftForm",
    "Parsed",
    "RoleRow",
    "errors_of",
    "form_of_version",
    "parse",
    "read_form",
]

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


@dataclass
class RoleRow:
    incident_type: IncidentType
    lead: str = ""
    supports: list[str] = field(default_factory=list)
    notified: list[str] = field(default_factory=list)


@dataclass
class DraftForm:
    """The form's values as typed, so a refused form comes back as it was sent."""

    kind: str = AgreementKind.INFORMATION_SHARING.value
    title: str = ""
    parties: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    covered: list[str] = field(default_factory=list)
    sensitive: list[str] = field(default_factory=list)
    purposes: list[str] = field(default_factory=list)
    tlp_ceiling: str = Tlp.AMBER.value
    effective_at: str = ""
    expires_at: str = ""
    retention_days: str = ""
    onward_sharing: bool = False
    area: str = ""
    liability_notes: str = ""
    jurisdiction_notes: str = ""
    roles: list[RoleRow] = field(default_factory=lambda: [RoleRow(t) for t in IncidentType])


def _local(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).strftime(DATETIME_LOCAL)


def form_of_version(version: VersionView) -> DraftForm:
    """A version's content as the form shows it, to edit."""
    terms = version.terms
    rows = []
    for incident in IncidentType:
        role = terms.role_for(incident) or RoleAssignment(incident)
        rows.append(
            RoleRow(incident, role.lead or "", sorted(role.supports), sorted(role.notified))
        )
    direct = [p.org_id for p in version.parties if p.via_group is None]
    return DraftForm(
        kind=version.kind.value,
        title=version.title,
        parties=direct,
        groups=[g for g, _ in version.groups],
        covered=sorted(c.value for c in terms.covered),
        sensitive=sorted(c.value for c in terms.sensitive),
        purposes=sorted(p.value for p in terms.purposes),
        tlp_ceiling=terms.tlp_ceiling.value,
        effective_at=_local(terms.effective_at),
        expires_at=_local(terms.expires_at),
        retention_days="" if terms.retention_days is None else str(terms.retention_days),
        onward_sharing=terms.onward_sharing,
        area="" if terms.area is None else json.dumps(terms.area),
        liability_notes=terms.liability_notes,
        jurisdiction_notes=terms.jurisdiction_notes,
        roles=rows,
    )


def _strings(form: FormData, name: str, limit: int = 500) -> list[str]:
    return [str(v)[:100] for v in form.getlist(name)[:limit] if str(v).strip()]


def read_form(form: FormData) -> DraftForm:
    """The typed values of a submitted draft form (nothing checked yet)."""

    def text(name: str, limit: int) -> str:
        return str(form.get(name) or "")[:limit]

    return DraftForm(
        kind=text("kind", 40),
        title=text("title", 300),
        parties=_strings(form, "parties"),
        groups=_strings(form, "groups", 50),
        covered=_strings(form, "covered", 20),
        sensitive=_strings(form, "sensitive", 20),
        purposes=_strings(form, "purposes", 20),
        tlp_ceiling=text("tlp_ceiling", 20),
        effective_at=text("effective_at", 40),
        expires_at=text("expires_at", 40),
        retention_days=text("retention_days", 12),
        onward_sharing=form.get("onward_sharing") == "yes",
        area=text("area", 1_000_000),
        liability_notes=text("liability_notes", 20_000),
        jurisdiction_notes=text("jurisdiction_notes", 20_000),
        roles=[
            RoleRow(
                t,
                text(f"role-{t.value}-lead", 40),
                _strings(form, f"role-{t.value}-supports", 200),
                _strings(form, f"role-{t.value}-notified", 200),
            )
            for t in IncidentType
        ],
    )


def _ids(values: list[str], name: str, problems: list[TermsError]) -> list[uuid.UUID]:
    ids = []
    for value in values:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            problems.append(TermsError(name, f"{name.capitalize()}: choose from the list."))
    return ids


def _enums(values: list[str], enum: Any, name: str, title: str, problems: list[TermsError]) -> Any:
    found = []
    for value in values:
        try:
            found.append(enum(value))
        except ValueError:
            problems.append(TermsError(name, f"{title}: choose from the list."))
    return frozenset(found)


def _instant(value: str, name: str, title: str, problems: list[TermsError]) -> datetime | None:
    if not value.strip():
        return None
    try:
        return datetime.strptime(value.strip(), DATETIME_LOCAL).replace(tzinfo=UTC)
    except ValueError:
        problems.append(TermsError(name, f"{title}: give a date and time, e.g. 2027-01-31T17:00."))
        return None


def _area(value: str, problems: list[TermsError]) -> dict[str, Any] | None:
    if not value.strip():
        return None
    try:
        area = json.loads(value)
    except json.JSONDecodeError:
        problems.append(TermsError("area", "Area: this is not GeoJSON text."))
        return None
    if isinstance(area, dict) and area.get("type") == "Feature":
        area = area.get("geometry")
    if not isinstance(area, dict):
        problems.append(TermsError("area", "Area: paste a GeoJSON Polygon or MultiPolygon."))
        return None
    return area


def _roles(draft: DraftForm, problems: list[TermsError]) -> tuple[RoleAssignment, ...]:
    roles = []
    for row in draft.roles:
        lead = _ids([row.lead], "roles", problems) if row.lead else []
        supports = _ids(row.supports, "roles", problems)
        notified = _ids(row.notified, "roles", problems)
        if lead or supports or notified:
            roles.append(
                RoleAssignment(
                    row.incident_type,
                    lead=str(lead[0]) if lead else None,
                    supports=frozenset(str(o) for o in supports),
                    notified=frozenset(str(o) for o in notified),
                )
            )
    return tuple(roles)


@dataclass(frozen=True)
class Parsed:
    kind: AgreementKind
    title: str
    parties: list[uuid.UUID]
    groups: list[uuid.UUID]
    terms: Terms


def parse(draft: DraftForm) -> Parsed:
    """The form's values as the service takes them, or Invalid naming each field at fault."""
    problems: list[TermsError] = []
    kinds = _enums([draft.kind], AgreementKind, "kind", "Kind", problems)
    ceilings = _enums([draft.tlp_ceiling], Tlp, "tlp_ceiling", "TLP ceiling", problems)
    effective = _instant(draft.effective_at, "effective_at", "Effective", problems)
    if effective is None and not draft.effective_at.strip():
        problems.append(TermsError("effective_at", "Effective: give the instant it starts."))
    retention = None
    if draft.retention_days.strip():
        try:
            retention = int(draft.retention_days)
        except ValueError:
            problems.append(TermsError("retention_days", "Retention: a whole number of days."))
    terms_values: dict[str, Any] = {
        "covered": _enums(draft.covered, Category, "covered", "Covered categories", problems),
        "sensitive": _enums(
            draft.sensitive, Category, "sensitive", "Sensitive categories", problems
        ),
        "purposes": _enums(draft.purposes, Purpose, "purposes", "Permitted purposes", problems),
        "expires_at": _instant(draft.expires_at, "expires_at", "Expires", problems),
        "area": _area(draft.area, problems),
        "roles": _roles(draft, problems),
    }
    parties = _ids(draft.parties, "parties", problems)
    groups = _ids(draft.groups, "groups", problems)
    if problems or effective is None:
        raise Invalid(
            " ".join(p.message for p in problems),
            errors=[{"field": p.field, "message": p.message} for p in problems],
        )
    terms = Terms(
        tlp_ceiling=next(iter(ceilings)),
        effective_at=effective,
        retention_days=retention,
        onward_sharing=draft.onward_sharing,
        liability_notes=draft.liability_notes,
        jurisdiction_notes=draft.jurisdiction_notes,
        **terms_values,
    )
    return Parsed(next(iter(kinds)), draft.title, parties, groups, terms)


def errors_of(exc: Invalid | Any) -> list[dict[str, str]]:
    """A refusal as the error summary shows it: the message names the term already."""
    errors = exc.extensions.get("errors") or []
    found = [
        {
            "field": str(e.get("field", "")),
            "message": str(e.get("message", "")),
            "anchor": str(e.get("field", "")).split(".", 1)[0],
            "label": "",
        }
        for e in errors
        if isinstance(e, dict)
    ]
    return found or [{"field": "", "message": exc.detail, "anchor": "", "label": ""}]
