"""The sharing rule, one written rule per test: TLP 2.0, agreements, categories and purposes.

Each test states a sentence of issue 3 or ARCHITECTURE.md ("The heart: who may see what") and
checks `access_of` / `can_view` on plain values. The Port City Police Department owns the
records; Delta Guard Services is its partner; Harbour Point Mall Security is vetted but has no
agreement; Riverside Alarm Co is not vetted yet.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.sharing_worlds import SPOTS

from accord.sharing.domain import (
    ALL_PURPOSES,
    Basis,
    Category,
    Grant,
    GrantState,
    Purpose,
    RecipientKind,
    RecordFacts,
    Tlp,
    Viewer,
    access_of,
    can_view,
    recipient_kinds_for,
)

AT = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
US = timedelta(microseconds=1)


def _id() -> str:
    return str(uuid.uuid4())


POLICE, GUARDS, MALL, RIVERSIDE = _id(), _id(), _id(), _id()
OFFICER, SERGEANT, GUARD, MALL_MANAGER, ALARM_OPERATOR = _id(), _id(), _id(), _id(), _id()
RETAIL_COUNCIL = _id()
GENERAL = frozenset({Category.GENERAL})
PERSONAL = frozenset({Category.GENERAL, Category.PERSONAL_DATA})


def viewer(person: str, org: str, **changes: Any) -> Viewer:
    base = Viewer(person_id=person, org_id=org, org_vetted=org != RIVERSIDE, cji_cleared=False)
    return replace(base, **changes)


def note(tlp: Tlp, categories: frozenset[Category] = GENERAL, **changes: Any) -> RecordFacts:
    base = RecordFacts(
        id=_id(),
        owner_org_id=POLICE,
        author_id=OFFICER,
        tlp=tlp,
        categories=categories,
        created_at=AT - timedelta(days=1),
    )
    return replace(base, **changes)


def agreement(**changes: Any) -> Grant:
    base = Grant(
        id=_id(),
        title="Retail information sharing",
        version=1,
        state=GrantState.ACTIVE,
        parties=frozenset({POLICE, GUARDS}),
        tlp_ceiling=Tlp.AMBER,
        covered=PERSONAL,
        sensitive=frozenset(),
        purposes=frozenset({Purpose.INVESTIGATION}),
        effective_at=AT - timedelta(days=30),
        expires_at=AT + timedelta(days=30),
    )
    return replace(base, **changes)


def guard(*grants: Grant, **changes: Any) -> Viewer:
    return viewer(GUARD, GUARDS, grants=grants, **changes)


def sees(who: Viewer, record: RecordFacts, at: datetime = AT) -> bool:
    return access_of(who, record, at) is not None


# --- TLP 2.0 markings ------------------------------------------------------------------------


def test_clear_is_public() -> None:
    record = note(Tlp.CLEAR)
    for who in (guard(), viewer(ALARM_OPERATOR, RIVERSIDE), viewer(MALL_MANAGER, MALL)):
        access = access_of(who, record, AT)
        assert access is not None
        assert access.basis is Basis.CLEAR
        assert not access.restricted


def test_green_reaches_every_vetted_member_and_no_one_else() -> None:
    record = note(Tlp.GREEN)
    assert sees(viewer(MALL_MANAGER, MALL), record)
    assert sees(guard(), record)
    assert not sees(viewer(ALARM_OPERATOR, RIVERSIDE), record)


def test_amber_reaches_the_parties_to_an_agreement_in_force_with_the_owner() -> None:
    record = note(Tlp.AMBER)
    grant = agreement()
    access = access_of(guard(grant), record, AT)
    assert access is not None
    assert access.basis is Basis.AGREEMENT
    assert access.grant == grant
    assert access.reason == f"Shared under {grant.label}."
    assert not sees(viewer(MALL_MANAGER, MALL), record)


def test_amber_needs_an_agreement_that_covers_the_records_categories() -> None:
    record = note(Tlp.AMBER, frozenset({Category.VIDEO}))
    assert not sees(guard(agreement()), record)
    assert sees(guard(agreement(covered=frozenset({Category.VIDEO}))), record)


def test_amber_needs_the_owner_to_be_a_party() -> None:
    between_others = agreement(parties=frozenset({GUARDS, MALL}))
    assert not sees(guard(between_others), note(Tlp.AMBER))


@pytest.mark.parametrize(
    ("kind", "changes"),
    [
        ("organization", {"recipient_orgs": frozenset({MALL})}),
        ("group", {"recipient_groups": frozenset({RETAIL_COUNCIL})}),
        ("person", {"recipient_people": frozenset({MALL_MANAGER})}),
    ],
)
def test_amber_reaches_explicit_recipients(kind: str, changes: dict[str, Any]) -> None:
    record = replace(note(Tlp.AMBER), **changes)
    manager = viewer(MALL_MANAGER, MALL, group_ids=frozenset({RETAIL_COUNCIL}))
    access = access_of(manager, record, AT)
    assert access is not None
    assert access.basis.value == f"recipient_{kind}"
    assert access.restricted
    assert access.redacted == frozenset()
    # Addressing does not reach an organization that is not vetted.
    assert not sees(
        viewer(ALARM_OPERATOR, RIVERSIDE, group_ids=frozenset({RETAIL_COUNCIL})), record
    )


def test_amber_strict_reaches_addressed_organizations_only() -> None:
    addressed = note(Tlp.AMBER_STRICT, recipient_orgs=frozenset({MALL}))
    assert sees(viewer(MALL_MANAGER, MALL), addressed)
    assert sees(viewer(SERGEANT, POLICE), addressed)  # the owner's own members
    # Neither an agreement, nor a group, nor naming a person reaches an AMBER+STRICT record.
    assert not sees(guard(agreement(tlp_ceiling=Tlp.RED)), addressed)
    grouped = note(Tlp.AMBER_STRICT, recipient_groups=frozenset({RETAIL_COUNCIL}))
    assert not sees(guard(group_ids=frozenset({RETAIL_COUNCIL})), grouped)
    named = note(Tlp.AMBER_STRICT, recipient_people=frozenset({GUARD}))
    assert not sees(guard(), named)


def test_red_reaches_the_named_people_and_the_author_only() -> None:
    record = note(Tlp.RED, recipient_people=frozenset({GUARD}), recipient_orgs=frozenset({MALL}))
    assert sees(viewer(OFFICER, POLICE), record)  # the author
    assert sees(guard(), record)  # named
    assert not sees(viewer(SERGEANT, POLICE), record)  # the owner's other members
    assert not sees(viewer(MALL_MANAGER, MALL), record)  # an organization cannot be addressed
    assert not sees(viewer(_id(), GUARDS, grants=(agreement(tlp_ceiling=Tlp.RED),)), record)
    assert not sees(
        viewer(ALARM_OPERATOR, RIVERSIDE),
        replace(record, recipient_people=frozenset({ALARM_OPERATOR})),
    )


def test_the_owner_sees_its_records_without_restriction() -> None:
    for tlp in (Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT):
        access = access_of(viewer(SERGEANT, POLICE), note(tlp), AT)
        assert access is not None
        assert access.basis is Basis.OWNER
        assert not access.restricted


def test_only_the_written_recipient_kinds_may_be_addressed() -> None:
    assert recipient_kinds_for(Tlp.CLEAR) == frozenset()
    assert recipient_kinds_for(Tlp.GREEN) == frozenset()
    assert recipient_kinds_for(Tlp.AMBER) == frozenset(RecipientKind)
    assert recipient_kinds_for(Tlp.AMBER_STRICT) == {RecipientKind.ORGANIZATION}
    assert recipient_kinds_for(Tlp.RED) == {RecipientKind.PERSON}


def test_an_unvetted_organization_sees_only_clear_and_its_own_records() -> None:
    operator = viewer(
        ALARM_OPERATOR, RIVERSIDE, grants=(agreement(parties=frozenset({POLICE, RIVERSIDE})),)
    )
    assert sees(operator, note(Tlp.CLEAR))
    assert sees(operator, note(Tlp.AMBER, owner_org_id=RIVERSIDE, author_id=None))
    for tlp in (Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT):
        record = note(tlp, recipient_orgs=frozenset({RIVERSIDE}))
        assert not sees(operator, record)


def test_a_deactivated_account_sees_nothing() -> None:
    gone = viewer(OFFICER, POLICE, active=False)
    for tlp in Tlp:
        assert not sees(gone, note(tlp))


# --- the agreement's terms --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ceiling", "carries"),
    [
        (Tlp.CLEAR, False),
        (Tlp.GREEN, False),
        (Tlp.AMBER, True),
        (Tlp.AMBER_STRICT, True),
        (Tlp.RED, True),
    ],
)
def test_the_agreements_tlp_ceiling_bounds_what_it_carries(ceiling: Tlp, carries: bool) -> None:
    assert sees(guard(agreement(tlp_ceiling=ceiling)), note(Tlp.AMBER)) is carries


def test_only_an_active_agreement_carries_records() -> None:
    record = note(Tlp.AMBER)
    for state in (GrantState.SUSPENDED, GrantState.TERMINATED):
        assert not sees(guard(agreement(state=state)), record)


def test_an_agreement_takes_effect_and_expires_at_the_instant() -> None:
    grant = agreement(effective_at=AT, expires_at=AT + timedelta(days=1))
    record = note(Tlp.AMBER)
    assert not sees(guard(grant), record, AT - US)
    assert sees(guard(grant), record, AT)
    assert sees(guard(grant), record, AT + timedelta(days=1) - US)
    assert not sees(guard(grant), record, AT + timedelta(days=1))


def test_records_leave_the_partners_view_when_the_retention_period_has_passed() -> None:
    grant = agreement(retention=timedelta(days=7))
    record = note(Tlp.AMBER, created_at=AT)
    assert sees(guard(grant), record, AT + timedelta(days=7) - US)
    assert not sees(guard(grant), record, AT + timedelta(days=7))
    # The owner keeps its own records whatever the agreement says.
    assert sees(viewer(SERGEANT, POLICE, grants=(grant,)), record, AT + timedelta(days=70))


def test_an_agreements_area_limits_it_to_records_in_the_area() -> None:
    downtown, harbour = SPOTS[0][0], SPOTS[1][0]
    grant = agreement(cells=frozenset({downtown}))
    assert sees(guard(grant), note(Tlp.AMBER, cells=frozenset({downtown, harbour})))
    assert not sees(guard(grant), note(Tlp.AMBER, cells=frozenset({harbour})))
    assert not sees(guard(grant), note(Tlp.AMBER))  # a record without a place is outside
    assert sees(guard(agreement(cells=None)), note(Tlp.AMBER, cells=frozenset({harbour})))


def test_uncovered_categories_are_redacted_under_the_agreement() -> None:
    record = note(Tlp.AMBER, frozenset({Category.GENERAL, Category.VIDEO}))
    access = access_of(guard(agreement()), record, AT)
    assert access is not None
    assert access.visible == {Category.GENERAL}
    assert access.redacted == {Category.VIDEO}


def test_the_agreement_that_shows_the_most_is_the_basis() -> None:
    narrow = agreement(covered=GENERAL)
    wide = agreement(covered=PERSONAL)
    access = access_of(guard(narrow, wide), note(Tlp.AMBER, PERSONAL), AT)
    assert access is not None
    assert access.grant == wide
    assert access.redacted == frozenset()


# --- criminal-justice information ------------------------------------------------------------


def test_criminal_justice_information_needs_clearance() -> None:
    cji_only = note(Tlp.GREEN, frozenset({Category.CJI}))
    mixed = note(Tlp.GREEN, frozenset({Category.CJI, Category.GENERAL}))
    assert not sees(viewer(SERGEANT, POLICE), cji_only)  # not even the owner's members
    assert sees(viewer(SERGEANT, POLICE, cji_cleared=True), cji_only)
    access = access_of(viewer(MALL_MANAGER, MALL), mixed, AT)
    assert access is not None
    assert access.redacted == {Category.CJI}


def test_an_agreement_never_carries_cji_to_an_uncleared_person() -> None:
    grant = agreement(covered=frozenset({Category.CJI, Category.GENERAL}))
    assert not sees(guard(grant), note(Tlp.AMBER, frozenset({Category.CJI})))
    assert sees(guard(grant, cji_cleared=True), note(Tlp.AMBER, frozenset({Category.CJI})))


# --- restricted reads and purposes -----------------------------------------------------------


def test_a_restricted_read_needs_a_purpose_the_agreement_permits() -> None:
    partner = guard(agreement())
    record = note(Tlp.AMBER)
    without = can_view(partner, record, None, AT)
    assert not without.allowed
    assert without.purpose_required
    assert without.purposes == {Purpose.INVESTIGATION}
    wrong = can_view(partner, record, Purpose.TRAINING, AT)
    assert not wrong.allowed
    assert wrong.purpose_required
    assert can_view(partner, record, Purpose.INVESTIGATION, AT).allowed


def test_an_agreement_that_permits_no_purpose_permits_no_restricted_read() -> None:
    partner = guard(agreement(purposes=frozenset()))
    for purpose in (None, *Purpose):
        assert not can_view(partner, note(Tlp.AMBER), purpose, AT).allowed


def test_addressed_recipients_state_any_listed_purpose() -> None:
    record = note(Tlp.AMBER_STRICT, recipient_orgs=frozenset({MALL}))
    manager = viewer(MALL_MANAGER, MALL)
    assert not can_view(manager, record, None, AT).allowed
    decision = can_view(manager, record, Purpose.TRAINING, AT)
    assert decision.allowed
    assert decision.purposes == ALL_PURPOSES


def test_unrestricted_reads_need_no_purpose() -> None:
    assert can_view(viewer(MALL_MANAGER, MALL), note(Tlp.GREEN), None, AT).allowed
    assert can_view(viewer(SERGEANT, POLICE), note(Tlp.AMBER), None, AT).allowed
    assert can_view(viewer(OFFICER, POLICE), note(Tlp.RED), None, AT).allowed


def test_a_category_the_agreement_marks_sensitive_restricts_the_read() -> None:
    grant = agreement(
        sensitive=frozenset({Category.PERSONAL_DATA}),
        purposes=frozenset({Purpose.EMERGENCY_RESPONSE}),
    )
    record = note(Tlp.GREEN, PERSONAL)
    access = access_of(guard(grant), record, AT)
    assert access is not None
    assert access.restricted
    assert access.sensitive_under == grant
    assert not can_view(guard(grant), record, None, AT).allowed
    assert not can_view(guard(grant), record, Purpose.INVESTIGATION, AT).allowed
    assert can_view(guard(grant), record, Purpose.EMERGENCY_RESPONSE, AT).allowed
    # A suspended agreement marks nothing, and the owner's members are never restricted.
    paused = replace(grant, state=GrantState.SUSPENDED)
    assert can_view(guard(paused), record, None, AT).allowed
    assert can_view(viewer(SERGEANT, POLICE, grants=(grant,)), record, None, AT).allowed


def test_purposes_of_the_basis_and_of_a_sensitive_marking_must_both_permit_the_read() -> None:
    carrying = agreement(purposes=frozenset({Purpose.INVESTIGATION, Purpose.TRAINING}))
    marking = agreement(
        id="0" * 8 + carrying.id[8:],  # sorts first: the engine uses the first by id
        covered=frozenset({Category.PERSONAL_DATA}),
        sensitive=frozenset({Category.PERSONAL_DATA}),
        purposes=frozenset({Purpose.INVESTIGATION, Purpose.THREAT_ASSESSMENT}),
    )
    partner = guard(carrying, marking)
    record = note(Tlp.AMBER, PERSONAL)
    assert can_view(partner, record, Purpose.INVESTIGATION, AT).allowed
    assert not can_view(partner, record, Purpose.TRAINING, AT).allowed
    assert not can_view(partner, record, Purpose.THREAT_ASSESSMENT, AT).allowed
    disjoint = replace(marking, purposes=frozenset({Purpose.EVENT_SECURITY}))
    for purpose in Purpose:
        assert not can_view(guard(carrying, disjoint), record, purpose, AT).allowed


def test_a_refusal_does_not_confirm_that_the_record_exists() -> None:
    decision = can_view(viewer(MALL_MANAGER, MALL), note(Tlp.AMBER), Purpose.INVESTIGATION, AT)
    assert not decision.allowed
    assert decision.access is None
    assert not decision.purpose_required
    assert decision.reason == "The record is not shared with you."
