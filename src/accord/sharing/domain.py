"""Who may see a shared record: TLP 2.0, data categories and agreements, as pure functions.

This module is the written rule. `access_of` says whether and how a viewer sees a record at an
instant; `can_view` adds the purpose a restricted read must state. `sharing.filter` expresses the
same rule in SQL for lists, and the property tests check that the two never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache

__all__ = [
    "ALL_CATEGORIES",
    "RESTRICTED_TLPS",
    "Access",
    "Basis",
    "Category",
    "Decision",
    "Grant",
    "GrantState",
    "Purpose",
    "RecipientKind",
    "RecordFacts",
    "Tlp",
    "Viewer",
    "access_of",
    "can_view",
    "categories_of_mask",
    "clearance_of",
    "grant_covers",
    "mask_of",
    "recipient_kinds_for",
]


class Tlp(StrEnum):
    """Traffic Light Protocol 2.0 markings (FIRST TLP 2.0, August 2022)."""

    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    AMBER_STRICT = "amber+strict"
    RED = "red"

    @property
    def rank(self) -> int:
        return _TLP_ORDER.index(self)

    @property
    def label(self) -> str:
        return "TLP:" + self.value.upper()


_TLP_ORDER = (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED)
# AMBER and above are restricted: reading one states a purpose and is written to the audit log.
RESTRICTED_TLPS = frozenset({Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED})


class Category(StrEnum):
    """Kinds of data a record holds; agreements name the ones they cover.

    The order is fixed: each category's bit in a stored mask is its position here, so new
    categories are only ever appended.
    """

    GENERAL = "general"
    PERSONAL_DATA = "personal_data"
    CJI = "cji"  # criminal-justice information (CJIS Security Policy)
    VIDEO = "video"
    PERSON_LOCATION = "person_location"
    CRITICAL_INFRASTRUCTURE = "critical_infrastructure"

    @property
    def bit(self) -> int:
        return 1 << _CATEGORY_ORDER.index(self)

    @property
    def label(self) -> str:
        return _CATEGORY_LABELS[self]


_CATEGORY_ORDER = tuple(Category)
_CATEGORY_LABELS = {
    Category.GENERAL: "General",
    Category.PERSONAL_DATA: "Personal data",
    Category.CJI: "Criminal-justice information",
    Category.VIDEO: "Video",
    Category.PERSON_LOCATION: "Location of a person",
    Category.CRITICAL_INFRASTRUCTURE: "Critical-infrastructure sensitive",
}
ALL_CATEGORIES = frozenset(Category)


class Purpose(StrEnum):
    """Why a restricted record is read; agreements list the ones they permit."""

    INVESTIGATION = "investigation"
    EMERGENCY_RESPONSE = "emergency_response"
    THREAT_ASSESSMENT = "threat_assessment"
    SITUATIONAL_AWARENESS = "situational_awareness"
    CRIME_PREVENTION = "crime_prevention"
    EVENT_SECURITY = "event_security"
    TRAINING = "training"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


ALL_PURPOSES = frozenset(Purpose)


class GrantState(StrEnum):
    """The enforceable state of an agreement; only ACTIVE grants give access."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


class RecipientKind(StrEnum):
    ORGANIZATION = "organization"
    GROUP = "group"
    PERSON = "person"


class Basis(StrEnum):
    """Why a viewer sees a record; shown beside every item of the feed."""

    OWNER = "owner"  # a member of the owner organization
    AUTHOR = "author"  # the person who wrote a RED record
    CLEAR = "clear"  # TLP:CLEAR, public
    GREEN = "green"  # TLP:GREEN, every vetted member
    RECIPIENT_ORGANIZATION = "recipient_organization"
    RECIPIENT_GROUP = "recipient_group"
    RECIPIENT_PERSON = "recipient_person"
    AGREEMENT = "agreement"


def mask_of(categories: frozenset[Category] | set[Category]) -> int:
    """The stored bit mask of a set of categories."""
    mask = 0
    for category in categories:
        mask |= category.bit
    return mask


@cache
def categories_of_mask(mask: int) -> frozenset[Category]:
    """The categories of a stored bit mask (there are few masks: each is worked out once)."""
    return frozenset(c for c in _CATEGORY_ORDER if mask & c.bit)


def recipient_kinds_for(tlp: Tlp) -> frozenset[RecipientKind]:
    """Who may be addressed explicitly under each marking (TLP 2.0 definitions)."""
    if tlp is Tlp.AMBER:
        return frozenset(RecipientKind)
    if tlp is Tlp.AMBER_STRICT:
        # TLP 2.0: AMBER+STRICT restricts sharing to the organization only.
        return frozenset({RecipientKind.ORGANIZATION})
    if tlp is Tlp.RED:
        # TLP 2.0: RED is for the eyes and ears of individual recipients only.
        return frozenset({RecipientKind.PERSON})
    return frozenset()


@dataclass(frozen=True)
class Grant:
    """The enforced terms of one agreement: what the access rule needs, nothing more."""

    id: str
    title: str
    version: int
    state: GrantState
    parties: frozenset[str]
    tlp_ceiling: Tlp
    covered: frozenset[Category]
    sensitive: frozenset[Category]
    purposes: frozenset[Purpose]
    effective_at: datetime
    expires_at: datetime | None
    retention: timedelta | None = None
    cells: frozenset[int] | None = None  # None: no area, the agreement covers any place
    onward_sharing: bool = False

    def in_force(self, at: datetime) -> bool:
        """Active, started, and not yet expired: expiry takes effect at the instant."""
        if self.state is not GrantState.ACTIVE or at < self.effective_at:
            return False
        return self.expires_at is None or at < self.expires_at

    @property
    def label(self) -> str:
        return f'agreement "{self.title}" (version {self.version})'


@dataclass(frozen=True)
class Viewer:
    """The person asking, with the facts about them the rule needs."""

    person_id: str
    org_id: str
    org_vetted: bool
    cji_cleared: bool
    group_ids: frozenset[str] = frozenset()
    grants: tuple[Grant, ...] = ()  # every agreement the viewer's organization is party to
    # False for a deactivated account, or one no longer in `org_id`: it sees nothing shared.
    active: bool = True


@dataclass(frozen=True)
class RecordFacts:
    """The sharing-relevant facts of one record, whatever its kind."""

    id: str
    owner_org_id: str
    author_id: str | None
    tlp: Tlp
    categories: frozenset[Category]
    created_at: datetime
    cells: frozenset[int] = frozenset()
    recipient_orgs: frozenset[str] = frozenset()
    recipient_groups: frozenset[str] = frozenset()
    recipient_people: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Access:
    """How a viewer sees a record: the basis, what is redacted, and whether reads are restricted."""

    basis: Basis
    visible: frozenset[Category]
    redacted: frozenset[Category]
    restricted: bool
    purposes: frozenset[Purpose]
    grant: Grant | None = None
    sensitive_under: Grant | None = None  # an agreement that marks a visible category sensitive

    @property
    def reason(self) -> str:
        return (
            _BASIS_REASONS[self.basis]
            if self.grant is None
            else f"Shared under {self.grant.label}."
        )


_BASIS_REASONS = {
    Basis.OWNER: "Your organization owns this record.",
    Basis.AUTHOR: "You wrote this record.",
    Basis.CLEAR: "TLP:CLEAR: public.",
    Basis.GREEN: "TLP:GREEN: shared with every vetted member.",
    Basis.RECIPIENT_ORGANIZATION: "Your organization is an addressed recipient.",
    Basis.RECIPIENT_GROUP: "A group your organization belongs to is an addressed recipient.",
    Basis.RECIPIENT_PERSON: "You are a named recipient.",
    Basis.AGREEMENT: "Shared under an agreement.",
}


@dataclass(frozen=True)
class Decision:
    """The answer to one read: allowed or not, and why, in words a person can act on."""

    allowed: bool
    reason: str
    access: Access | None = None
    purpose_required: bool = False
    purposes: frozenset[Purpose] = field(default_factory=frozenset)


def clearance_of(viewer: Viewer) -> frozenset[Category]:
    """Categories the person may read at all: criminal-justice information needs clearance."""
    return ALL_CATEGORIES if viewer.cji_cleared else ALL_CATEGORIES - {Category.CJI}


def grant_covers(grant: Grant, record: RecordFacts, viewer: Viewer, at: datetime) -> bool:
    """True when `grant` carries `record` to `viewer` at `at` (TLP:AMBER through an agreement)."""
    if record.tlp is not Tlp.AMBER or grant.tlp_ceiling.rank < Tlp.AMBER.rank:
        return False
    if not grant.in_force(at):
        return False
    if viewer.org_id not in grant.parties or record.owner_org_id not in grant.parties:
        return False
    if not (grant.covered & record.categories & clearance_of(viewer)):
        return False
    if grant.retention is not None and record.created_at + grant.retention <= at:
        return False  # received longer ago than the agreement lets partners keep it
    return grant.cells is None or bool(grant.cells & record.cells)


def _full(basis: Basis, record: RecordFacts, viewer: Viewer, *, restricted: bool) -> Access | None:
    visible = record.categories & clearance_of(viewer)
    if not visible:
        return None
    return Access(
        basis=basis,
        visible=visible,
        redacted=record.categories - visible,
        restricted=restricted,
        purposes=ALL_PURPOSES if restricted else frozenset(),
    )


def _through_grant(record: RecordFacts, viewer: Viewer, at: datetime) -> Access | None:
    """The agreement that shows the most of the record; ties go to the lowest id."""
    best: Access | None = None
    for grant in sorted(viewer.grants, key=lambda g: g.id):
        if not grant_covers(grant, record, viewer, at):
            continue
        visible = grant.covered & record.categories & clearance_of(viewer)
        if best is not None and len(visible) <= len(best.visible):
            continue
        best = Access(
            basis=Basis.AGREEMENT,
            visible=visible,
            redacted=record.categories - visible,
            restricted=True,
            purposes=grant.purposes,
            grant=grant,
        )
    return best


def _with_sensitivity(
    access: Access | None, record: RecordFacts, viewer: Viewer, at: datetime
) -> Access | None:
    """Categories an agreement between the two organizations marks sensitive restrict the read."""
    if access is None or access.basis in (Basis.OWNER, Basis.AUTHOR):
        return access
    for grant in sorted(viewer.grants, key=lambda g: g.id):
        if not grant.in_force(at) or record.owner_org_id not in grant.parties:
            continue
        if viewer.org_id not in grant.parties or not (grant.sensitive & access.visible):
            continue
        purposes = grant.purposes if not access.restricted else access.purposes & grant.purposes
        return replace(access, restricted=True, purposes=purposes, sensitive_under=grant)
    return access


def access_of(viewer: Viewer, record: RecordFacts, at: datetime) -> Access | None:
    """How `viewer` sees `record` at `at`, or None when they may not see it at all."""
    return _with_sensitivity(_basis_of(viewer, record, at), record, viewer, at)


def _basis_of(viewer: Viewer, record: RecordFacts, at: datetime) -> Access | None:
    """The first basis that applies.

    The rules, in order (the first that applies wins):
    1. RED: only the author and the named people (of a vetted organization).
    2. The owner organization's members see its records.
    3. CLEAR: everyone. GREEN: every member of a vetted organization.
    4. AMBER and AMBER+STRICT: addressed organizations; AMBER also addressed groups and people.
    5. AMBER: parties to an agreement in force with the owner that covers the record.
    Criminal-justice information is never shown to a person without clearance.
    """
    if not viewer.active:
        return None
    tlp = record.tlp
    if tlp is Tlp.RED:
        if record.author_id is not None and viewer.person_id == record.author_id:
            return _full(Basis.AUTHOR, record, viewer, restricted=False)
        if viewer.org_vetted and viewer.person_id in record.recipient_people:
            return _full(Basis.RECIPIENT_PERSON, record, viewer, restricted=True)
        return None
    if viewer.org_id == record.owner_org_id:
        return _full(Basis.OWNER, record, viewer, restricted=False)
    if tlp is Tlp.CLEAR:
        return _full(Basis.CLEAR, record, viewer, restricted=False)
    if not viewer.org_vetted:
        return None
    if tlp is Tlp.GREEN:
        return _full(Basis.GREEN, record, viewer, restricted=False)
    if viewer.org_id in record.recipient_orgs:
        return _full(Basis.RECIPIENT_ORGANIZATION, record, viewer, restricted=True)
    if tlp is Tlp.AMBER_STRICT:
        return None
    if viewer.group_ids & record.recipient_groups:
        return _full(Basis.RECIPIENT_GROUP, record, viewer, restricted=True)
    if viewer.person_id in record.recipient_people:
        return _full(Basis.RECIPIENT_PERSON, record, viewer, restricted=True)
    return _through_grant(record, viewer, at)


def can_view(
    viewer: Viewer, record: RecordFacts, purpose: Purpose | None, at: datetime
) -> Decision:
    """May `viewer` read `record` at `at`, stating `purpose`?

    A restricted read (AMBER and above, or a category the agreement marks sensitive) needs a
    purpose the basis permits: the agreement's list, or any listed purpose for an addressed
    recipient.
    """
    access = access_of(viewer, record, at)
    if access is None:
        return Decision(allowed=False, reason="The record is not shared with you.")
    if not access.restricted:
        return Decision(allowed=True, reason=access.reason, access=access)
    # An agreement that permits no purpose (or two that permit none in common) allows no read.
    purposes = access.purposes
    if purpose is None:
        return Decision(
            allowed=False,
            reason="This is a restricted record: state the purpose of reading it.",
            access=access,
            purpose_required=True,
            purposes=purposes,
        )
    if purpose not in purposes:
        return Decision(
            allowed=False,
            reason=f'The purpose "{purpose.value}" is not permitted for this record.',
            access=access,
            purpose_required=True,
            purposes=purposes,
        )
    return Decision(allowed=True, reason=access.reason, access=access, purposes=purposes)
