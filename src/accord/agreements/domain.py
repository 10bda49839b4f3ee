"""Agreements as values: kinds, lifecycle, terms, their checks, readable diffs and the digest.

Nothing here touches the database, the web or the clock: instants are passed in, so the rules
can be tested on their own and hammered with generated terms.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from accord.orgs.domain import Actor, Permission, Role, can
from accord.sharing.domain import Category, Purpose, Tlp

__all__ = [
    "EXPIRY_WARNING_DAYS",
    "MAX_NOTES",
    "MAX_RETENTION_DAYS",
    "MAX_TITLE",
    "TERMS_FIELDS",
    "TRANSITIONS",
    "Action",
    "AgreementKind",
    "AgreementStatus",
    "IncidentType",
    "RoleAssignment",
    "Terms",
    "TermsError",
    "VersionState",
    "can_change",
    "can_draft",
    "can_see",
    "can_sign_for",
    "canonical_json",
    "check_parties",
    "check_terms",
    "diff",
    "diff_parties",
    "effective_status",
    "is_coordinator",
    "next_status",
    "terms_digest",
    "terms_from_json",
    "terms_to_json",
    "warning_threshold",
]

MAX_TITLE = 200
MAX_NOTES = 10_000
MAX_RETENTION_DAYS = 3650
# Party admins are warned this many days before an agreement expires (issue 3, item 6).
EXPIRY_WARNING_DAYS = (30, 7, 1)


class AgreementKind(StrEnum):
    INFORMATION_SHARING = "information_sharing"
    MUTUAL_AID = "mutual_aid"
    CAMERA_ACCESS = "camera_access"
    ALARM_VERIFICATION = "alarm_verification"
    MEMORANDUM_OF_UNDERSTANDING = "memorandum_of_understanding"

    @property
    def label(self) -> str:
        if self is AgreementKind.MEMORANDUM_OF_UNDERSTANDING:
            return "Memorandum of understanding"
        return self.value.replace("_", " ").capitalize()


class AgreementStatus(StrEnum):
    """Where an agreement stands. EXPIRED is never stored: it is read off the clock."""

    DRAFT = "draft"
    PROPOSED = "proposed"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"
    EXPIRED = "expired"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class VersionState(StrEnum):
    """Where one version of the terms stands; every version stays viewable."""

    DRAFT = "draft"
    PROPOSED = "proposed"
    IN_FORCE = "in_force"
    SUPERSEDED = "superseded"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Action(StrEnum):
    """What people do to an agreement; the transition table says from which states."""

    PROPOSE = "propose"
    REVISE = "revise"  # edit a proposed first version: it goes back to draft
    ACTIVATE = "activate"  # the last party signs
    SUSPEND = "suspend"
    RESUME = "resume"
    TERMINATE = "terminate"
    AMEND = "amend"


_S = AgreementStatus
# action -> (the states it may start from, the state it leads to; None keeps the state)
TRANSITIONS: Mapping[Action, tuple[frozenset[AgreementStatus], AgreementStatus | None]] = {
    Action.PROPOSE: (frozenset({_S.DRAFT}), _S.PROPOSED),
    Action.REVISE: (frozenset({_S.PROPOSED}), _S.DRAFT),
    Action.ACTIVATE: (frozenset({_S.PROPOSED}), _S.ACTIVE),
    Action.SUSPEND: (frozenset({_S.ACTIVE}), _S.SUSPENDED),
    Action.RESUME: (frozenset({_S.SUSPENDED}), _S.ACTIVE),
    Action.TERMINATE: (frozenset({_S.DRAFT, _S.PROPOSED, _S.ACTIVE, _S.SUSPENDED}), _S.TERMINATED),
    Action.AMEND: (frozenset({_S.ACTIVE, _S.SUSPENDED}), None),
}


def next_status(status: AgreementStatus, action: Action) -> AgreementStatus | None:
    """The state `action` leads to from `status`, or None when it is not allowed there."""
    allowed, target = TRANSITIONS[action]
    if status not in allowed:
        return None
    return status if target is None else target


def effective_status(
    stored: AgreementStatus, expires_at: datetime | None, at: datetime
) -> AgreementStatus:
    """An active or suspended agreement is expired from its expiry instant on, to the second."""
    in_effect = stored in (AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED)
    if in_effect and expires_at is not None and expires_at <= at:
        return AgreementStatus.EXPIRED
    return stored


def warning_threshold(expires_at: datetime | None, at: datetime) -> int | None:
    """The smallest of 30, 7 and 1 days that the expiry lies within, or None (too far, past)."""
    if expires_at is None or expires_at <= at:
        return None
    left = expires_at - at
    found = None
    for days in EXPIRY_WARNING_DAYS:
        if left <= timedelta(days=days):
            found = days
    return found


class IncidentType(StrEnum):
    FIRE = "fire"
    MEDICAL = "medical"
    PUBLIC_DISTURBANCE = "public_disturbance"
    ACTIVE_THREAT = "active_threat"
    HAZARDOUS_MATERIALS = "hazardous_materials"
    NATURAL_DISASTER = "natural_disaster"
    ALARM = "alarm"
    THEFT = "theft"
    TRESPASS = "trespass"
    CYBER = "cyber"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


@dataclass(frozen=True)
class RoleAssignment:
    """Who leads, supports and is notified for one type of incident (organization ids)."""

    incident_type: IncidentType
    lead: str | None = None
    supports: frozenset[str] = frozenset()
    notified: frozenset[str] = frozenset()

    @property
    def named(self) -> frozenset[str]:
        lead = frozenset() if self.lead is None else frozenset({self.lead})
        return lead | self.supports | self.notified


@dataclass(frozen=True)
class Terms:
    """The terms of one version of an agreement, as signed."""

    covered: frozenset[Category]
    purposes: frozenset[Purpose]
    tlp_ceiling: Tlp
    effective_at: datetime
    expires_at: datetime | None
    sensitive: frozenset[Category] = frozenset()
    area: Mapping[str, Any] | None = None  # GeoJSON Polygon or MultiPolygon; None: anywhere
    retention_days: int | None = None
    onward_sharing: bool = False
    roles: tuple[RoleAssignment, ...] = ()
    liability_notes: str = ""
    jurisdiction_notes: str = ""

    def role_for(self, incident_type: IncidentType) -> RoleAssignment | None:
        return next((r for r in self.roles if r.incident_type is incident_type), None)


# The terms' own fields, in the order forms and diffs show them.
TERMS_FIELDS = tuple(f.name for f in fields(Terms))


@dataclass(frozen=True)
class TermsError:
    """One problem with the terms: the field it concerns and a sentence that names the term."""

    field: str
    message: str


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def check_parties(parties: Iterable[str]) -> list[TermsError]:
    if len(set(parties)) < 2:
        return [TermsError("parties", "Parties: an agreement needs at least two organizations.")]
    return []


def _check_dates(terms: Terms) -> list[TermsError]:
    errors = []
    if terms.effective_at.tzinfo is None:
        errors.append(TermsError("effective_at", "Effective: give the instant with its zone."))
    if terms.expires_at is not None:
        if terms.expires_at.tzinfo is None:
            errors.append(TermsError("expires_at", "Expires: give the instant with its zone."))
        elif terms.effective_at.tzinfo is not None and terms.expires_at <= terms.effective_at:
            errors.append(TermsError("expires_at", "Expires: must be after the effective instant."))
    return errors


def _check_roles(
    terms: Terms, parties: frozenset[str], names: Mapping[str, str]
) -> list[TermsError]:
    errors = []
    seen: set[IncidentType] = set()
    for index, role in enumerate(terms.roles):
        where = f"roles.{index}"
        title = f"Roles, {role.incident_type.label.lower()}"
        if role.incident_type in seen:
            errors.append(TermsError(where, f"{title}: the incident type is listed twice."))
        seen.add(role.incident_type)
        for org in sorted(role.named - parties):
            who = names.get(org, org)
            errors.append(TermsError(where, f"{title}: {who} is not a party to the agreement."))
        if role.lead is not None and role.lead in role.supports | role.notified:
            errors.append(
                TermsError(where, f"{title}: the lead cannot also support or be notified.")
            )
        if role.supports & role.notified:
            errors.append(TermsError(where, f"{title}: a party either supports or is notified."))
    return errors


def check_terms(
    terms: Terms, parties: Iterable[str], names: Mapping[str, str] | None = None
) -> list[TermsError]:
    """Every contradiction or impossibility in `terms` among `parties`, each naming the term."""
    party_set = frozenset(parties)
    names = names or {}
    errors = check_parties(party_set)
    if not terms.covered:
        errors.append(TermsError("covered", "Covered categories: name at least one."))
    if not terms.purposes:
        errors.append(TermsError("purposes", "Permitted purposes: name at least one."))
    outside = terms.sensitive - terms.covered
    if outside:
        listed = ", ".join(sorted(c.label for c in outside))
        errors.append(
            TermsError(
                "sensitive",
                f"Sensitive categories: {listed} must also be covered by the agreement.",
            )
        )
    errors += _check_dates(terms)
    if terms.retention_days is not None and not 1 <= terms.retention_days <= MAX_RETENTION_DAYS:
        errors.append(
            TermsError(
                "retention_days",
                f"Retention: between 1 and {MAX_RETENTION_DAYS} days, or none.",
            )
        )
    for name in ("liability_notes", "jurisdiction_notes"):
        if len(getattr(terms, name)) > MAX_NOTES:
            title = "Liability notes" if name == "liability_notes" else "Jurisdiction notes"
            errors.append(TermsError(name, f"{title}: at most {MAX_NOTES} characters."))
    errors += _check_roles(terms, party_set, names)
    return errors


# Canonical form: what is stored, what is signed, what the digest is taken of.


def _instant(value: datetime | None) -> str | None:
    return None if value is None else _utc(value).isoformat().replace("+00:00", "Z")


def _parse_instant(value: Any) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


def _plain(value: Any) -> Any:
    """GeoJSON with tuples as lists and integral coordinates as floats, the same on any engine."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        number = float(value)
        return number if math.isfinite(number) else None
    return str(value)


def terms_to_json(terms: Terms) -> dict[str, Any]:
    """The terms as plain JSON, every set sorted, so equal terms give equal text."""
    return {
        "covered": sorted(c.value for c in terms.covered),
        "sensitive": sorted(c.value for c in terms.sensitive),
        "purposes": sorted(p.value for p in terms.purposes),
        "tlp_ceiling": terms.tlp_ceiling.value,
        "area": None if terms.area is None else _plain(terms.area),
        "effective_at": _instant(terms.effective_at),
        "expires_at": _instant(terms.expires_at),
        "retention_days": terms.retention_days,
        "onward_sharing": terms.onward_sharing,
        "roles": [
            {
                "incident_type": r.incident_type.value,
                "lead": r.lead,
                "supports": sorted(r.supports),
                "notified": sorted(r.notified),
            }
            for r in sorted(terms.roles, key=lambda r: list(IncidentType).index(r.incident_type))
            if r.named  # a row that names nobody assigns no role
        ],
        "liability_notes": terms.liability_notes,
        "jurisdiction_notes": terms.jurisdiction_notes,
    }


def terms_from_json(data: Mapping[str, Any]) -> Terms:
    """The inverse of terms_to_json."""
    effective = _parse_instant(data["effective_at"])
    if effective is None:
        msg = "terms without an effective instant"
        raise ValueError(msg)
    return Terms(
        covered=frozenset(Category(c) for c in data.get("covered", [])),
        sensitive=frozenset(Category(c) for c in data.get("sensitive", [])),
        purposes=frozenset(Purpose(p) for p in data.get("purposes", [])),
        tlp_ceiling=Tlp(data["tlp_ceiling"]),
        area=data.get("area"),
        effective_at=effective,
        expires_at=_parse_instant(data.get("expires_at")),
        retention_days=data.get("retention_days"),
        onward_sharing=bool(data.get("onward_sharing", False)),
        roles=tuple(
            RoleAssignment(
                incident_type=IncidentType(r["incident_type"]),
                lead=r.get("lead"),
                supports=frozenset(r.get("supports", [])),
                notified=frozenset(r.get("notified", [])),
            )
            for r in data.get("roles", [])
        ),
        liability_notes=str(data.get("liability_notes", "")),
        jurisdiction_notes=str(data.get("jurisdiction_notes", "")),
    )


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: one text for one value (as the audit log hashes)."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def terms_digest(
    terms: Terms,
    *,
    kind: AgreementKind,
    title: str,
    parties: Iterable[str],
    groups: Iterable[str] = (),
) -> str:
    """SHA-256 of everything a signer agrees to: kind, title, parties and terms."""
    content = {
        "kind": kind.value,
        "title": title,
        "parties": sorted(set(parties)),
        "groups": sorted(set(groups)),
        "terms": terms_to_json(terms),
    }
    return hashlib.sha256(canonical_json(content)).hexdigest()


# Readable differences between two versions.


def _when(value: datetime | None) -> str:
    return "none" if value is None else _utc(value).strftime("%Y-%m-%d %H:%M UTC")


def _set_change(title: str, old: Iterable[str], new: Iterable[str]) -> str | None:
    before, after = set(old), set(new)
    if before == after:
        return None
    parts = [f"+ {v}" for v in sorted(after - before)] + [f"− {v}" for v in sorted(before - after)]
    return f"{title}: {', '.join(parts)}"


def _retention(days: int | None) -> str:
    if days is None:
        return "none"
    return "1 day" if days == 1 else f"{days} days"


def _role_lines(old: Terms, new: Terms, names: Mapping[str, str]) -> list[str]:
    lines = []

    def name(org: str | None) -> str:
        return "none" if org is None else names.get(org, org)

    for incident in IncidentType:
        before = old.role_for(incident) or RoleAssignment(incident)
        after = new.role_for(incident) or RoleAssignment(incident)
        title = f"Roles, {incident.label.lower()}"
        if before.lead != after.lead:
            lines.append(f"{title}, lead: {name(before.lead)} → {name(after.lead)}")
        for what in ("supports", "notified"):
            line = _set_change(
                f"{title}, {what}",
                (name(o) for o in getattr(before, what)),
                (name(o) for o in getattr(after, what)),
            )
            if line:
                lines.append(line)
    return lines


def diff(old: Terms, new: Terms, names: Mapping[str, str] | None = None) -> list[str]:
    """What changed from `old` to `new`, one readable line per change, in the terms' order."""
    names = names or {}
    lines: list[str | None] = [
        _set_change(
            "Covered categories",
            (c.label for c in old.covered),
            (c.label for c in new.covered),
        ),
        _set_change(
            "Sensitive categories",
            (c.label for c in old.sensitive),
            (c.label for c in new.sensitive),
        ),
        _set_change(
            "Permitted purposes",
            (p.label for p in old.purposes),
            (p.label for p in new.purposes),
        ),
    ]
    if old.tlp_ceiling is not new.tlp_ceiling:
        lines.append(f"TLP ceiling: {old.tlp_ceiling.label} → {new.tlp_ceiling.label}")
    if _plain(old.area) != _plain(new.area):
        before = "anywhere" if old.area is None else "an area"
        after = "anywhere" if new.area is None else "a new area"
        lines.append(f"Area: {before} → {after}")
    if old.effective_at != new.effective_at:
        lines.append(f"Effective: {_when(old.effective_at)} → {_when(new.effective_at)}")
    if old.expires_at != new.expires_at:
        lines.append(f"Expires: {_when(old.expires_at)} → {_when(new.expires_at)}")
    if old.retention_days != new.retention_days:
        lines.append(
            f"Retention: {_retention(old.retention_days)} → {_retention(new.retention_days)}"
        )
    if old.onward_sharing != new.onward_sharing:
        allowed = {True: "allowed", False: "not allowed"}
        lines.append(
            f"Onward sharing: {allowed[old.onward_sharing]} → {allowed[new.onward_sharing]}"
        )
    lines += _role_lines(old, new, names)
    if old.liability_notes != new.liability_notes:
        lines.append("Liability notes: reworded")
    if old.jurisdiction_notes != new.jurisdiction_notes:
        lines.append("Jurisdiction notes: reworded")
    return [line for line in lines if line]


def diff_parties(
    old: Sequence[str], new: Sequence[str], names: Mapping[str, str] | None = None
) -> list[str]:
    """The parties that joined or left between two versions."""
    names = names or {}
    line = _set_change("Parties", (names.get(o, o) for o in old), (names.get(o, o) for o in new))
    return [line] if line else []


# Who may do what. Party ids are the organizations party to any version of the agreement.


def is_coordinator(actor: Actor) -> bool:
    """Platform admins coordinate the partnership: they see and steer every agreement."""
    return can(actor, Permission.MANAGE_PLATFORM)


def can_see(actor: Actor, party_ids: Iterable[str]) -> bool:
    """Members of party organizations and platform admins; anyone else is told it is not there."""
    return is_coordinator(actor) or actor.org_id in set(party_ids)


def can_change(actor: Actor, party_ids: Iterable[str]) -> bool:
    """Organization admins of a party, and platform admins, edit, propose, suspend, terminate."""
    if is_coordinator(actor):
        return True
    return actor.role is Role.ORG_ADMIN and actor.org_id in set(party_ids)


def can_draft(actor: Actor, party_ids: Iterable[str]) -> bool:
    """The coordinator drafts between any parties; an organization admin only for their own."""
    return can_change(actor, party_ids)


def can_sign_for(actor: Actor, org_id: str) -> bool:
    """Only an administrator of the party itself signs for it; the coordinator cannot."""
    if actor.org_id != org_id:
        return False
    return actor.role in (Role.ORG_ADMIN, Role.PLATFORM_ADMIN)
