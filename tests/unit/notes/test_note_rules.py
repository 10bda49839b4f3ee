"""The pure rules of notes and of how a shared record is shown (categories, summary, markers)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.feed.domain import (
    location_shown,
    permitted_purposes,
    redaction_of,
    summary_shown,
    why_of,
)
from accord.notes.domain import (
    SUMMARY_MAX,
    clean_filename,
    clean_media_type,
    may_edit,
    note_categories,
    summary_of,
)
from accord.orgs.domain import Actor, Role
from accord.sharing.domain import (
    Access,
    Basis,
    Category,
    Grant,
    GrantState,
    Purpose,
    Tlp,
    Viewer,
)

AT = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
GRANT = Grant(
    id="0195f2a0-0000-7000-8000-000000000001",
    title="Harbour Point retail watch",
    version=2,
    state=GrantState.ACTIVE,
    parties=frozenset({"police", "mall"}),
    tlp_ceiling=Tlp.AMBER,
    covered=frozenset({Category.GENERAL}),
    sensitive=frozenset(),
    purposes=frozenset({Purpose.INVESTIGATION}),
    effective_at=AT,
    expires_at=None,
)
GUARD = Viewer(person_id="guard", org_id="mall", org_vetted=True, cji_cleared=False)


def _access(**changes: object) -> Access:
    values: dict[str, object] = {
        "basis": Basis.AGREEMENT,
        "visible": frozenset({Category.GENERAL}),
        "redacted": frozenset({Category.PERSONAL_DATA, Category.CJI}),
        "restricted": True,
        "purposes": frozenset({Purpose.INVESTIGATION}),
        "grant": GRANT,
    }
    values.update(changes)
    return Access(**values)  # type: ignore[arg-type]


def test_categories_follow_the_content() -> None:
    assert note_categories(Category.GENERAL, has_personal_details=False) == {Category.GENERAL}
    assert note_categories(
        Category.CJI,
        has_personal_details=True,
        attachment_categories=[Category.VIDEO, Category.VIDEO],
        declared=[Category.PERSON_LOCATION],
    ) == {Category.CJI, Category.PERSONAL_DATA, Category.VIDEO, Category.PERSON_LOCATION}


@given(st.text(max_size=2000))
def test_a_summary_is_one_short_line_from_the_start_of_the_body(body: str) -> None:
    summary = summary_of(body)
    assert "\n" not in summary
    assert len(summary) <= SUMMARY_MAX + 1
    flat = " ".join(body.split())
    assert flat.startswith(summary.removesuffix("…"))


@pytest.mark.parametrize(
    ("role", "same_org", "is_author", "allowed"),
    [
        (Role.ANALYST, True, True, True),
        (Role.ANALYST, True, False, False),
        (Role.ORG_ADMIN, True, False, True),
        (Role.ORG_ADMIN, False, False, False),
        (Role.PLATFORM_ADMIN, False, False, False),
        (Role.VIEWER, True, True, False),
    ],
)
def test_who_may_edit(role: Role, same_org: bool, is_author: bool, allowed: bool) -> None:
    actor = Actor(person_id="me", org_id="police", role=role)
    assert (
        may_edit(
            actor,
            owner_org_id="police" if same_org else "mall",
            author_id="me" if is_author else "someone",
        )
        is allowed
    )


@pytest.mark.parametrize(
    ("given_name", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\pat\\dock camera.mp4", "dock camera.mp4"),
        ('a"b<c>.txt', "a_b_c_.txt"),
        ("line\r\nbreak.txt", "line__break.txt"),
        ("...", "attachment"),
        ("", "attachment"),
    ],
)
def test_file_names_lose_paths_and_unsafe_characters(given_name: str, kept: str) -> None:
    assert clean_filename(given_name) == kept


@pytest.mark.parametrize(
    ("declared", "kept"),
    [
        ("video/mp4; codecs=avc1", "video/mp4"),
        ("TEXT/Plain", "text/plain"),
        ("text/html\r\nX-Evil: 1", "application/octet-stream"),
        ("nonsense", "application/octet-stream"),
        (None, "application/octet-stream"),
    ],
)
def test_media_types_are_checked(declared: str | None, kept: str) -> None:
    assert clean_media_type(declared) == kept


def test_markers_name_the_agreement_or_the_missing_clearance() -> None:
    access = _access()
    assert redaction_of(access, GUARD, Category.GENERAL) is None
    personal = redaction_of(access, GUARD, Category.PERSONAL_DATA)
    assert personal is not None
    assert personal.reason == 'Not covered by agreement "Harbour Point retail watch" (version 2)'
    cji = redaction_of(access, GUARD, Category.CJI)
    assert cji is not None
    assert cji.reason == "CJI clearance required"
    own = _access(basis=Basis.OWNER, grant=None, redacted=frozenset({Category.VIDEO}))
    other = redaction_of(own, GUARD, Category.VIDEO)
    assert other is not None
    assert other.reason == "Not shared with you"


def test_lists_show_summaries_only_for_unrestricted_visible_text() -> None:
    assert not summary_shown(_access(), Category.GENERAL)  # restricted: opened with a purpose
    open_access = _access(restricted=False, basis=Basis.GREEN, grant=None)
    assert summary_shown(open_access, Category.GENERAL)
    assert not summary_shown(open_access, Category.PERSONAL_DATA)


def test_why_and_purposes() -> None:
    why = why_of(_access())
    assert why.basis == "agreement"
    assert why.agreement_title == "Harbour Point retail watch"
    assert why.agreement_version == 2
    assert permitted_purposes(_access()) == (Purpose.INVESTIGATION,)
    assert permitted_purposes(_access(restricted=False)) == ()
    assert permitted_purposes(_access(purposes=frozenset())) == tuple(
        sorted(Purpose, key=lambda p: p.value)
    )


def test_a_persons_whereabouts_are_masked_with_their_category() -> None:
    assert location_shown(_access())
    assert not location_shown(_access(redacted=frozenset({Category.PERSON_LOCATION})))
