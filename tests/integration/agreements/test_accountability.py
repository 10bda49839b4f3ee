"""What happened under an agreement, and the warnings before it expires."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from tests.agreements_factories import make_agreement, standard_terms
from tests.factories import AT, actor_of
from tests.integration.agreements.conftest import World, read, share

from accord.agreements import service
from accord.agreements.accountability import accountability_csv, get_accountability
from accord.agreements.domain import AgreementKind, AgreementStatus
from accord.agreements.queries import expiry_warnings, list_agreements, list_rows
from accord.core.db import Database
from accord.core.errors import Forbidden, NotFound
from accord.settings import Settings
from accord.sharing.domain import Category, Purpose, Tlp


def test_the_report_counts_what_was_shared_read_and_refused(
    db: Database, settings: Settings, world: World
) -> None:
    agreement_id = make_agreement(db, settings, parties=[world.police, world.guards])
    first = share(db, world.officer, Tlp.AMBER, frozenset({Category.GENERAL}))
    share(db, world.officer, Tlp.AMBER, frozenset({Category.GENERAL, Category.PERSONAL_DATA}))
    share(db, world.guard, Tlp.AMBER, frozenset({Category.PERSONAL_DATA}))
    share(db, world.officer, Tlp.GREEN)  # shared with every vetted member, not under it
    share(db, world.officer, Tlp.AMBER, frozenset({Category.VIDEO}))  # not covered
    share(db, world.stranger, Tlp.AMBER)  # not a party
    read(db, world.guard, first, AT, Purpose.INVESTIGATION)
    read(db, world.guard, first, AT, Purpose.CRIME_PREVENTION)
    read(db, world.guard, first, AT, Purpose.INVESTIGATION)
    ended = AT + timedelta(minutes=30)
    service.terminate(
        db, actor=actor_of(world.police_admin), at=ended, agreement_id=agreement_id, reason="Ended."
    )
    with pytest.raises(NotFound):
        read(db, world.guard, first, ended)
    share(db, world.officer, Tlp.AMBER, at=AT + timedelta(hours=1))  # after it ended

    with db.reading() as s:
        report = get_accountability(s, actor_of(world.guards_admin), agreement_id, ended)
    police, guards = "Port City Police Department", "Delta Guard Services"
    assert report.status is AgreementStatus.TERMINATED
    assert [(c.organization, c.item, c.count) for c in report.shared_by_tlp] == [
        (guards, "TLP:AMBER", 1),
        (police, "TLP:AMBER", 2),
    ]
    assert [(c.organization, c.item, c.count) for c in report.shared_by_category] == [
        (guards, "Personal data", 1),
        (police, "General", 2),
        (police, "Personal data", 1),
    ]
    assert [(c.item, c.count) for c in report.reads_by_purpose] == [
        ("investigation", 2),
        ("crime prevention", 1),
    ]
    assert [(c.organization, c.count) for c in report.reads_by_organization] == [(guards, 3)]
    assert [(c.organization, c.count) for c in report.refused_by_organization] == [(guards, 1)]

    rows = list(csv.reader(io.StringIO("".join(accountability_csv(report)))))
    assert rows[0] == ["section", "organization_id", "organization", "item", "count"]
    assert ["refused_by_organization", str(world.guards.id), guards, "refused", "1"] in rows


def test_the_report_is_for_party_admins_and_the_coordinator(
    db: Database, settings: Settings, world: World
) -> None:
    agreement_id = make_agreement(db, settings, parties=[world.police, world.guards])
    with db.reading() as s:
        get_accountability(s, actor_of(world.coordinator), agreement_id, AT)
        with pytest.raises(Forbidden):
            get_accountability(s, actor_of(world.guard), agreement_id, AT)
        with pytest.raises(NotFound):
            get_accountability(s, actor_of(world.stranger), agreement_id, AT)


def test_a_csv_cell_never_starts_a_formula(db: Database, settings: Settings, world: World) -> None:
    agreement_id = make_agreement(
        db, settings, parties=[world.police, world.guards], title="=HYPERLINK(evil)"
    )
    with db.reading() as s:
        report = get_accountability(s, actor_of(world.police_admin), agreement_id, AT)
    text = "".join(accountability_csv(report))
    assert "'=HYPERLINK(evil)" in text
    assert "\r\n" in text


@pytest.mark.parametrize(
    ("before", "threshold"),
    [
        (timedelta(days=31), None),
        (timedelta(days=30), 30),
        (timedelta(days=8), 30),
        (timedelta(days=7), 7),
        (timedelta(hours=25), 7),
        (timedelta(days=1), 1),
        (timedelta(seconds=1), 1),
        (timedelta(0), None),
    ],
)
def test_party_admins_are_warned_30_7_and_1_days_before_expiry(
    db: Database, settings: Settings, world: World, before: timedelta, threshold: int | None
) -> None:
    expiry = AT + timedelta(days=60)
    make_agreement(
        db, settings, parties=[world.police, world.guards], terms=standard_terms(expires_at=expiry)
    )
    at = expiry - before
    with db.reading() as s:
        for org in (world.police, world.guards):
            found = [w.days for w in expiry_warnings(s, org.id, at)]
            assert found == ([] if threshold is None else [threshold])
        assert expiry_warnings(s, world.outsider.id, at) == []
        assert len(expiry_warnings(s, None, at)) == (0 if threshold is None else 1)


def test_ended_agreements_raise_no_warning(db: Database, settings: Settings, world: World) -> None:
    terms = standard_terms(expires_at=AT + timedelta(days=3))
    make_agreement(
        db, settings, parties=[world.police, world.guards], terms=terms, status="terminated"
    )
    make_agreement(
        db, settings, parties=[world.police, world.guards], terms=terms, status="proposed"
    )
    with db.reading() as s:
        assert expiry_warnings(s, world.police.id, AT) == []


def test_lists_show_each_person_their_organizations_agreements_filtered_in_sql(
    db: Database, settings: Settings, world: World
) -> None:
    parties = [world.police, world.guards]
    active = make_agreement(db, settings, parties=parties, title="Active one")
    soon = make_agreement(
        db,
        settings,
        parties=parties,
        title="Short one",
        terms=standard_terms(expires_at=AT + timedelta(hours=1)),
        kind=AgreementKind.MUTUAL_AID,
    )
    draft = make_agreement(db, settings, parties=parties, status="draft", title="Draft one")
    other = make_agreement(db, settings, parties=[world.outsider, world.guards], title="Other")
    later = AT + timedelta(hours=2)

    def listed(person, **filters) -> list:
        with db.reading() as s:
            page = list_agreements(s, actor_of(person), later, **filters)
            return [r.agreement.id for r in list_rows(s, page.items, later)]

    assert set(listed(world.officer)) == {active, soon, draft}
    assert set(listed(world.guard)) == {active, soon, draft, other}
    assert set(listed(world.coordinator)) == {active, soon, draft, other}
    assert listed(world.officer, status=AgreementStatus.EXPIRED) == [soon]
    assert listed(world.officer, status=AgreementStatus.ACTIVE) == [active]
    assert listed(world.officer, kind=AgreementKind.MUTUAL_AID) == [soon]
    assert listed(world.guard, party=world.outsider.id) == [other]
    assert listed(world.stranger, party=world.police.id) == []
    with db.reading() as s:
        page = list_agreements(s, actor_of(world.guard), later, limit=2)
        assert len(page.items) == 2
        assert page.next_cursor
        rest = list_agreements(s, actor_of(world.guard), later, cursor=page.next_cursor)
        assert len(rest.items) == 2
        assert rest.next_cursor is None
        row = list_rows(s, page.items[:1], later)[0]
        assert {name for _, name in row.parties} >= {"Delta Guard Services"}
