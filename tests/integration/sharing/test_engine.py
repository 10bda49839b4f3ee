"""The sharing engine end to end on a real database: markings, agreements, redaction, purposes."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from tests.factories import AT, actor_of, make_org, make_person

from accord.core.db import Database
from accord.core.errors import NotFound
from accord.orgs.domain import OrgKind, Sector
from accord.sharing import access
from accord.sharing.domain import Basis, Category, GrantState, Purpose, RecipientKind, Tlp
from accord.sharing.service import GrantTerms, Recipient, put_grant, set_grant_state, share_record


@pytest.fixture
def world(db: Database):
    police = make_org(db, "Port City Police Department")
    guards = make_org(db, "Delta Guard Services", sector=Sector.PRIVATE, kind=OrgKind.GUARD_COMPANY)
    outsider = make_org(
        db, "Riverside Alarm Co", sector=Sector.PRIVATE, kind=OrgKind.ALARM_MONITORING
    )
    return {
        "police": police,
        "guards": guards,
        "outsider": outsider,
        "officer": make_person(db, police),
        "guard": make_person(db, guards),
        "stranger": make_person(db, outsider),
    }


def _share(db: Database, author, tlp: Tlp, categories=frozenset({Category.GENERAL}), recipients=()):
    with db.transaction() as s:
        return share_record(
            s,
            actor=actor_of(author),
            kind="note",
            tlp=tlp,
            categories=frozenset(categories),
            title=f"{tlp.value} note",
            summary="text",
            summary_category=Category.GENERAL,
            place=None,
            recipients=list(recipients),
            at=AT,
        ).id


def _agreement(db: Database, parties, *, covered=frozenset({Category.GENERAL})) -> uuid.UUID:
    agreement_id = uuid.uuid4()
    terms = GrantTerms(
        agreement_id=agreement_id,
        title="Retail information sharing",
        version=1,
        parties=frozenset(p.id for p in parties),
        tlp_ceiling=Tlp.AMBER,
        covered=frozenset(covered),
        sensitive=frozenset(),
        purposes=frozenset({Purpose.INVESTIGATION}),
        effective_at=AT - timedelta(days=1),
        expires_at=AT + timedelta(days=30),
        retention_days=None,
        area=None,
        onward_sharing=False,
    )
    with db.transaction() as s:
        put_grant(s, terms, state=GrantState.ACTIVE, at=AT)
    return agreement_id


def _sees(db: Database, person, at=AT) -> set[uuid.UUID]:
    with db.reading() as s:
        viewer = access.viewer_of(s, actor_of(person), at)
        return access.visible_ids(s, viewer, at)


def test_markings_follow_tlp_2(db: Database, world) -> None:
    clear = _share(db, world["officer"], Tlp.CLEAR)
    green = _share(db, world["officer"], Tlp.GREEN)
    amber = _share(db, world["officer"], Tlp.AMBER)
    strict = _share(
        db,
        world["officer"],
        Tlp.AMBER_STRICT,
        recipients=[Recipient(RecipientKind.ORGANIZATION, world["guards"].id)],
    )
    red = _share(
        db,
        world["officer"],
        Tlp.RED,
        recipients=[Recipient(RecipientKind.PERSON, world["guard"].id)],
    )
    assert _sees(db, world["officer"]) == {clear, green, amber, strict, red}
    assert _sees(db, world["guard"]) == {clear, green, strict, red}
    assert _sees(db, world["stranger"]) == {clear, green}


def test_terminated_agreement_hides_amber_notes_at_once(db: Database, world) -> None:
    amber = _share(db, world["officer"], Tlp.AMBER)
    agreement = _agreement(db, [world["police"], world["guards"]])
    assert amber in _sees(db, world["guard"])
    assert amber not in _sees(db, world["stranger"])
    with db.transaction() as s:
        set_grant_state(s, agreement, GrantState.TERMINATED, at=AT)
    assert amber not in _sees(db, world["guard"])


def test_uncovered_categories_are_redacted_and_reads_need_a_purpose(db: Database, world) -> None:
    amber = _share(db, world["officer"], Tlp.AMBER, {Category.GENERAL, Category.PERSONAL_DATA})
    _agreement(db, [world["police"], world["guards"]])
    guard = actor_of(world["guard"])
    with db.reading() as s:
        viewer = access.viewer_of(s, guard, AT)
        seen = access.get_visible(s, viewer, amber, AT)
    assert seen.access.basis is Basis.AGREEMENT
    assert seen.access.redacted == {Category.PERSONAL_DATA}
    with db.transaction() as s, pytest.raises(access.PurposeRequired):
        access.read_visible(s, viewer, guard, amber, None, AT, kind="note", actor_label="guard")
    with db.transaction() as s:
        read = access.read_visible(
            s, viewer, guard, amber, Purpose.INVESTIGATION, AT, kind="note", actor_label="guard"
        )
    assert read.access.grant is not None


def test_outsider_gets_not_found_for_an_amber_note(db: Database, world) -> None:
    amber = _share(db, world["officer"], Tlp.AMBER)
    stranger = actor_of(world["stranger"])
    with db.transaction() as s:
        viewer = access.viewer_of(s, stranger, AT)
        with pytest.raises(NotFound):
            access.read_visible(
                s, viewer, stranger, amber, Purpose.INVESTIGATION, AT, kind="note", actor_label="x"
            )
