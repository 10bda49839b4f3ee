"""The pure rules of agreements: terms checks, lifecycle, expiry, readable diffs, the digest."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.agreements.domain import (
    TRANSITIONS,
    Action,
    AgreementKind,
    AgreementStatus,
    IncidentType,
    RoleAssignment,
    Terms,
    can_change,
    can_see,
    can_sign_for,
    check_terms,
    diff,
    diff_parties,
    effective_status,
    next_status,
    terms_digest,
    terms_from_json,
    terms_to_json,
    warning_threshold,
)
from accord.orgs.domain import Actor, Role
from accord.sharing.domain import Category, Purpose, Tlp

AT = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
POLICE, GUARDS, MALL, OTHER = "pcpd", "guards", "mall", "outsider"
PARTIES = frozenset({POLICE, GUARDS})
NAMES = {POLICE: "Port City Police Department", GUARDS: "Delta Guard Services", MALL: "Mall"}


def terms(**changes: object) -> Terms:
    base = Terms(
        covered=frozenset({Category.GENERAL, Category.PERSONAL_DATA}),
        sensitive=frozenset({Category.PERSONAL_DATA}),
        purposes=frozenset({Purpose.INVESTIGATION}),
        tlp_ceiling=Tlp.AMBER,
        effective_at=AT,
        expires_at=AT + timedelta(days=365),
        roles=(RoleAssignment(IncidentType.THEFT, lead=POLICE, supports=frozenset({GUARDS})),),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def messages(t: Terms, parties: frozenset[str] = PARTIES) -> list[str]:
    return [e.message for e in check_terms(t, parties, NAMES)]


def test_sound_terms_have_no_problems() -> None:
    assert check_terms(terms(), PARTIES) == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"expires_at": AT - timedelta(seconds=1)},
            "expires_at",
            "Expires: must be after the effective instant.",
        ),
        ({"expires_at": AT}, "expires_at", "Expires: must be after the effective instant."),
        ({"covered": frozenset(), "sensitive": frozenset()}, "covered", "Covered categories: name"),
        ({"purposes": frozenset()}, "purposes", "Permitted purposes: name at least one."),
        (
            {"sensitive": frozenset({Category.VIDEO})},
            "sensitive",
            "Sensitive categories: Video must also be covered by the agreement.",
        ),
        ({"retention_days": 0}, "retention_days", "Retention: between 1 and 3650 days"),
        ({"retention_days": 3651}, "retention_days", "Retention: between 1 and 3650 days"),
        (
            {"effective_at": datetime(2026, 11, 21)},  # noqa: DTZ001 - the point of the test
            "effective_at",
            "Effective: give the instant with its zone.",
        ),
        ({"liability_notes": "x" * 10_001}, "liability_notes", "Liability notes: at most"),
    ],
)
def test_each_problem_names_its_term(changes: dict[str, object], field: str, message: str) -> None:
    problems = check_terms(terms(**changes), PARTIES, NAMES)
    assert [p.field for p in problems] == [field]
    assert problems[0].message.startswith(message)


def test_an_agreement_needs_two_parties() -> None:
    assert messages(terms(roles=()), frozenset({POLICE})) == [
        "Parties: an agreement needs at least two organizations."
    ]


def test_roles_may_only_name_parties_each_once() -> None:
    roles = (
        RoleAssignment(IncidentType.FIRE, lead=MALL),
        RoleAssignment(IncidentType.FIRE, lead=POLICE, supports=frozenset({POLICE})),
        RoleAssignment(
            IncidentType.ALARM, supports=frozenset({GUARDS}), notified=frozenset({GUARDS})
        ),
    )
    assert messages(terms(roles=roles)) == [
        "Roles, fire: Mall is not a party to the agreement.",
        "Roles, fire: the incident type is listed twice.",
        "Roles, fire: the lead cannot also support or be notified.",
        "Roles, alarm: a party either supports or is notified.",
    ]
    assert [e.field for e in check_terms(terms(roles=roles), PARTIES)] == [
        "roles.0",
        "roles.1",
        "roles.1",
        "roles.2",
    ]


ALL_PAIRS = [(s, a) for s in AgreementStatus for a in Action]
ALLOWED = {
    (AgreementStatus.DRAFT, Action.PROPOSE): AgreementStatus.PROPOSED,
    (AgreementStatus.PROPOSED, Action.REVISE): AgreementStatus.DRAFT,
    (AgreementStatus.PROPOSED, Action.ACTIVATE): AgreementStatus.ACTIVE,
    (AgreementStatus.ACTIVE, Action.SUSPEND): AgreementStatus.SUSPENDED,
    (AgreementStatus.SUSPENDED, Action.RESUME): AgreementStatus.ACTIVE,
    (AgreementStatus.DRAFT, Action.TERMINATE): AgreementStatus.TERMINATED,
    (AgreementStatus.PROPOSED, Action.TERMINATE): AgreementStatus.TERMINATED,
    (AgreementStatus.ACTIVE, Action.TERMINATE): AgreementStatus.TERMINATED,
    (AgreementStatus.SUSPENDED, Action.TERMINATE): AgreementStatus.TERMINATED,
    (AgreementStatus.ACTIVE, Action.AMEND): AgreementStatus.ACTIVE,
    (AgreementStatus.SUSPENDED, Action.AMEND): AgreementStatus.SUSPENDED,
}


@pytest.mark.parametrize(("status", "action"), ALL_PAIRS)
def test_the_transition_table(status: AgreementStatus, action: Action) -> None:
    assert next_status(status, action) == ALLOWED.get((status, action))


def test_terminated_and_expired_agreements_go_nowhere() -> None:
    for status in (AgreementStatus.TERMINATED, AgreementStatus.EXPIRED):
        assert all(status not in allowed for allowed, _ in TRANSITIONS.values())


# hypothesis takes naive bounds and attaches the zone itself.
instants = st.datetimes(
    min_value=datetime(2020, 1, 1),  # noqa: DTZ001
    max_value=datetime(2040, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)
STORED = [s for s in AgreementStatus if s is not AgreementStatus.EXPIRED]


@given(st.sampled_from(STORED), st.none() | instants, instants)
def test_expiry_is_read_off_the_clock_to_the_instant(
    stored: AgreementStatus, expires_at: datetime | None, at: datetime
) -> None:
    shown = effective_status(stored, expires_at, at)
    lapsed = expires_at is not None and expires_at <= at
    in_effect = stored in (AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED)
    assert (shown is AgreementStatus.EXPIRED) == (in_effect and lapsed)
    if shown is not AgreementStatus.EXPIRED:
        assert shown is stored


@given(instants, st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60)))
def test_warnings_come_at_30_7_and_1_days(expires_at: datetime, before: timedelta) -> None:
    found = warning_threshold(expires_at, expires_at - before)
    if before == timedelta(0) or before > timedelta(days=30):
        assert found is None
    else:
        expected = 1 if before <= timedelta(days=1) else 7 if before <= timedelta(days=7) else 30
        assert found == expected


def test_a_diff_reads_as_sentences() -> None:
    old = terms(retention_days=90, liability_notes="Each party answers for its own staff.")
    new = terms(
        covered=frozenset({Category.GENERAL, Category.PERSONAL_DATA, Category.VIDEO}),
        tlp_ceiling=Tlp.GREEN,
        expires_at=AT + timedelta(days=730),
        retention_days=None,
        onward_sharing=True,
        area={"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
        roles=(RoleAssignment(IncidentType.THEFT, lead=GUARDS, notified=frozenset({POLICE})),),
        liability_notes="Liability is shared.",
    )
    assert diff(old, new, NAMES) == [
        "Covered categories: + Video",
        "TLP ceiling: TLP:AMBER → TLP:GREEN",
        "Area: anywhere → a new area",
        "Expires: 2027-11-21 12:00 UTC → 2028-11-20 12:00 UTC",
        "Retention: 90 days → none",
        "Onward sharing: not allowed → allowed",
        "Roles, theft, lead: Port City Police Department → Delta Guard Services",
        "Roles, theft, supports: − Delta Guard Services",
        "Roles, theft, notified: + Port City Police Department",
        "Liability notes: reworded",
    ]
    assert diff_parties([POLICE, GUARDS], [POLICE, MALL], NAMES) == [
        "Parties: + Mall, − Delta Guard Services"
    ]


orgs = st.sampled_from([POLICE, GUARDS, MALL])
roles = st.builds(
    RoleAssignment,
    incident_type=st.sampled_from(list(IncidentType)),
    lead=st.none() | orgs,
    supports=st.frozensets(orgs),
    notified=st.frozensets(orgs),
)
any_terms = st.builds(
    Terms,
    covered=st.frozensets(st.sampled_from(list(Category))),
    sensitive=st.frozensets(st.sampled_from(list(Category))),
    purposes=st.frozensets(st.sampled_from(list(Purpose))),
    tlp_ceiling=st.sampled_from(list(Tlp)),
    effective_at=instants,
    expires_at=st.none() | instants,
    retention_days=st.none() | st.integers(1, 3650),
    onward_sharing=st.booleans(),
    area=st.none()
    | st.just(
        {
            "type": "Polygon",
            "coordinates": [[[-121.3, 37.9], [-121.2, 37.9], [-121.2, 38.0], [-121.3, 37.9]]],
        }
    ),
    roles=st.lists(roles, max_size=4, unique_by=lambda r: r.incident_type).map(tuple),
    liability_notes=st.text(max_size=20),
    jurisdiction_notes=st.text(max_size=20),
)


@given(any_terms)
def test_terms_survive_their_canonical_json(t: Terms) -> None:
    again = terms_from_json(terms_to_json(t))
    assert terms_to_json(again) == terms_to_json(t)
    assert diff(t, again) == []


@given(any_terms, any_terms)
def test_a_diff_is_empty_exactly_when_the_terms_are_the_same(a: Terms, b: Terms) -> None:
    assert (diff(a, b) == []) == (terms_to_json(a) == terms_to_json(b))


def _digest(t: Terms, parties: list[str], title: str = "Pact") -> str:
    return terms_digest(t, kind=AgreementKind.MUTUAL_AID, title=title, parties=parties)


@given(any_terms, st.permutations([POLICE, GUARDS, MALL]))
def test_the_digest_ignores_order_and_storage(t: Terms, parties: list[str]) -> None:
    stored = terms_from_json(terms_to_json(t))
    assert _digest(t, parties) == _digest(stored, [POLICE, GUARDS, MALL])
    assert len(_digest(t, parties)) == 64


@given(any_terms, any_terms)
def test_the_digest_changes_with_any_term(a: Terms, b: Terms) -> None:
    same = terms_to_json(a) == terms_to_json(b)
    assert (_digest(a, [POLICE, GUARDS]) == _digest(b, [POLICE, GUARDS])) == same


def test_the_digest_covers_title_and_parties() -> None:
    t = terms()
    assert _digest(t, [POLICE, GUARDS]) != _digest(t, [POLICE, GUARDS, MALL])
    assert _digest(t, [POLICE, GUARDS]) != _digest(t, [POLICE, GUARDS], title="Pact 2")


def _actor(org: str, role: Role) -> Actor:
    return Actor(person_id="p", org_id=org, role=role)


def test_who_may_see_change_and_sign() -> None:
    coordinator = _actor("office", Role.PLATFORM_ADMIN)
    assert can_see(coordinator, PARTIES)
    assert can_change(coordinator, PARTIES)
    assert not can_sign_for(coordinator, POLICE)
    analyst = _actor(POLICE, Role.ANALYST)
    assert can_see(analyst, PARTIES)
    assert not can_change(analyst, PARTIES)
    assert not can_sign_for(analyst, POLICE)
    admin = _actor(POLICE, Role.ORG_ADMIN)
    assert can_change(admin, PARTIES)
    assert can_sign_for(admin, POLICE)
    assert not can_sign_for(admin, GUARDS)
    outsider = _actor(OTHER, Role.ORG_ADMIN)
    assert not can_see(outsider, PARTIES)
    assert not can_change(outsider, PARTIES)
