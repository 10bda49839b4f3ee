"""The synthetic world: the counts asked for, every kind of partner, the same world for a seed."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select
from tests.conftest import MutableClock

from accord.core.audit.models import AuditEntry
from accord.core.db import Database
from accord.core.errors import Conflict
from accord.core.security import verify_password
from accord.ops.synthetic import SYNTHETIC_PASSWORD, seed_synthetic, synthetic_world
from accord.orgs.domain import OrgKind, Role, Sector
from accord.orgs.geo import clean_service_area
from accord.orgs.models import Organization, Person


def test_seed_creates_the_requested_counts_with_one_audit_entry(
    db: Database, clock: MutableClock
) -> None:
    ticks: list[int] = []
    result = seed_synthetic(
        db, organizations=30, people=700, seed=7, at=clock(), progress=ticks.append
    )
    assert (result.organizations, result.people, result.seed) == (30, 700, 7)
    assert sum(ticks) == 730
    with db.reading() as s:
        assert s.scalar(select(func.count()).select_from(Organization)) == 30
        assert s.scalar(select(func.count()).select_from(Person)) == 700
        entries = list(s.scalars(select(AuditEntry)))
        orgs = list(s.scalars(select(Organization)))
        roles = Counter(s.scalars(select(Person.role)))
        hashes = set(s.scalars(select(Person.password_hash)))
        people_per_org = Counter(s.scalars(select(Person.org_id)))
    assert [(e.action, e.details) for e in entries] == [
        ("synthetic.seeded", {"organizations": 30, "people": 700, "seed": 7})
    ]
    assert {o.sector for o in orgs} == set(Sector)
    assert {o.kind for o in orgs} == set(OrgKind)
    assert set(roles) == set(Role) - {Role.PLATFORM_ADMIN}
    assert set(people_per_org) == {o.id for o in orgs}  # everyone has at least an admin
    # One argon2id hash shared by every synthetic account, of the published password.
    assert len(hashes) == 1
    assert verify_password(hashes.pop(), SYNTHETIC_PASSWORD)
    for org in orgs[:5]:
        assert clean_service_area(org.service_area) == org.service_area


def test_the_same_seed_draws_the_same_world_and_another_seed_another() -> None:
    first_orgs, first_people = synthetic_world(3, 12, 50, "hash")
    again_orgs, again_people = synthetic_world(3, 12, 50, "hash")
    other_orgs, _ = synthetic_world(4, 12, 50, "hash")
    assert first_orgs == again_orgs
    assert list(first_people) == list(again_people)
    assert {o["id"] for o in first_orgs}.isdisjoint({o["id"] for o in other_orgs})
    assert {o["name"] for o in first_orgs}.isdisjoint({o["name"] for o in other_orgs})


def test_seeding_the_same_seed_twice_is_refused_and_another_seed_adds(
    db: Database, clock: MutableClock
) -> None:
    seed_synthetic(db, organizations=5, people=20, seed=11, at=clock())
    with pytest.raises(Conflict, match="seed 11"):
        seed_synthetic(db, organizations=5, people=20, seed=11, at=clock())
    seed_synthetic(db, organizations=5, people=20, seed=12, at=clock())
    with db.reading() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 40
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 2
