"""The demo world shares notes of every marking, each reaching exactly whom its marking allows."""

from __future__ import annotations

from sqlalchemy import select
from tests.conftest import MutableClock

from accord.agreements.domain import AgreementStatus
from accord.agreements.models import Agreement
from accord.core.db import Database
from accord.ops.demo import person_by_email, seed_demo
from accord.ops.demo_sharing import DEMO_AGREEMENT_TITLE, DEMO_NOTES
from accord.settings import Settings
from accord.sharing import access
from accord.sharing.models import SharedRecord


def _titles_seen_by(db: Database, email: str, clock: MutableClock) -> set[str]:
    with db.reading() as s:
        viewer = access.viewer_of(s, person_by_email(email).actor(), clock())
        ids = access.visible_ids(s, viewer, clock())
        return set(s.scalars(select(SharedRecord.title).where(SharedRecord.id.in_(ids))))


def test_demo_notes_reach_whom_their_markings_allow(
    db: Database, settings: Settings, clock: MutableClock
) -> None:
    seed_demo(db, settings, now=clock())
    every = {n.title for n in DEMO_NOTES}
    public = {n.title for n in DEMO_NOTES if n.tlp.value in ("clear", "green")}
    group_note = "Organized retail theft crew: three stores in one evening"
    strict_note = "Access-control concern at terminal gate 3"
    red_note = "Source debrief: planned protest at the port"

    # The police own most notes, are in the retail security council, and Lt. Bell is named.
    assert _titles_seen_by(db, "marcus.bell@portcitypd.example", clock) == every
    assert _titles_seen_by(db, "grace.okoye@harborline.example", clock) == public | {
        group_note,
        strict_note,
    }
    assert _titles_seen_by(db, "elena.fischer@portcityfire.example", clock) == public
    assert red_note not in _titles_seen_by(db, "jordan.avila@portcitypd.example", clock)
    # The pending hotel sees only what is public to everyone.
    hotel = _titles_seen_by(db, "nina.petrova@deltawaterfronthotel.example", clock)
    assert hotel == {n.title for n in DEMO_NOTES if n.tlp.value == "clear"}


def test_the_demo_agreement_awaits_both_signatures_and_reseeding_adds_nothing(
    db: Database, settings: Settings, clock: MutableClock
) -> None:
    seed_demo(db, settings, now=clock())
    with db.reading() as s:
        agreement = s.scalars(
            select(Agreement).where(Agreement.title == DEMO_AGREEMENT_TITLE)
        ).one()
        assert agreement.status is AgreementStatus.PROPOSED
    assert seed_demo(db, settings, now=clock()) == 0
