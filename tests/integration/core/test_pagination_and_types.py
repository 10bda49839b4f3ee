"""Cursor pagination walks a list exactly once; UTC datetimes survive both engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from accord.core.db import Database
from accord.core.errors import Invalid
from accord.core.pagination import encode_cursor, paginate
from accord.orgs.domain import OrgKind, Sector
from accord.orgs.models import Organization

BASE = datetime(2026, 11, 1, tzinfo=UTC)


def _add_orgs(db: Database, names: list[str]) -> None:
    with db.transaction() as s:
        for i, name in enumerate(names):
            s.add(
                Organization(
                    name=name,
                    short_name=name[:10],
                    sector=Sector.PRIVATE,
                    kind=OrgKind.BUSINESS,
                    created_at=BASE + timedelta(minutes=i % 3),
                    updated_at=BASE,
                )
            )


def _walk(db: Database, limit: int, *, descending: bool = False) -> list[str]:
    seen: list[str] = []
    cursor = None
    with db.reading() as s:
        while True:
            page = paginate(
                s,
                select(Organization),
                [Organization.created_at, Organization.id],
                cursor=cursor,
                limit=limit,
                descending=descending,
            )
            seen += [o.name for o in page.items]
            if page.next_cursor is None:
                return seen
            cursor = page.next_cursor


@given(count=st.integers(min_value=0, max_value=23), limit=st.integers(min_value=1, max_value=7))
def test_pages_cover_every_row_once_in_order(db: Database, count: int, limit: int) -> None:
    with db.transaction() as s:
        for org in s.scalars(select(Organization)):
            s.delete(org)
    _add_orgs(db, [f"Business {i:02d}" for i in range(count)])
    forward = _walk(db, limit)
    backward = _walk(db, limit, descending=True)
    assert sorted(forward) == [f"Business {i:02d}" for i in range(count)]
    assert len(set(forward)) == count
    assert backward == list(reversed(forward))


def test_a_tampered_cursor_is_an_invalid_input(db: Database) -> None:
    _add_orgs(db, ["Delta Crossing Mall"])
    with db.reading() as s, pytest.raises(Invalid):
        paginate(
            s,
            select(Organization),
            [Organization.created_at, Organization.id],
            cursor="not-a-cursor!!",
        )
    with db.reading() as s, pytest.raises(Invalid):
        paginate(
            s,
            select(Organization),
            [Organization.created_at, Organization.id],
            cursor=encode_cursor([1]),
        )


def test_limits_outside_the_range_are_refused(db: Database) -> None:
    with db.reading() as s, pytest.raises(Invalid):
        paginate(s, select(Organization), [Organization.id], cursor=None, limit=0)
    with db.reading() as s, pytest.raises(Invalid):
        paginate(s, select(Organization), [Organization.id], cursor=None, limit=201)


def test_datetimes_come_back_as_aware_utc(db: Database) -> None:
    pacific = timezone(timedelta(hours=-8))
    stamp = datetime(2026, 11, 21, 7, 30, 15, 123456, tzinfo=pacific)
    with db.transaction() as s:
        s.add(
            Organization(
                name="Port City Police Department",
                short_name="PCPD",
                sector=Sector.PUBLIC,
                kind=OrgKind.POLICE,
                created_at=stamp,
                updated_at=stamp,
            )
        )
    with db.reading() as s:
        org = s.scalars(select(Organization)).one()
    assert org.created_at == stamp
    assert org.created_at.tzinfo == UTC


def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(Exception, match="naive"), db.transaction() as s:
        s.add(
            Organization(
                name="Naive",
                short_name="N",
                sector=Sector.PUBLIC,
                kind=OrgKind.OTHER,
                created_at=datetime(2026, 1, 1),  # noqa: DTZ001
                updated_at=BASE,
            )
        )
