"""A large synthetic world for benchmarks, by seed: organizations and people in bulk, and with
`accord.ops.synthetic_sharing` the sharing world on top (agreements and shared notes).

Rows are drawn in Python and written with SQLAlchemy Core `insert()` in batches (executemany),
never as ORM objects: a million shared records take minutes, not hours.
"""

from __future__ import annotations

import math
import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any

from sqlalchemy import insert, text

from accord.core.audit.service import record
from accord.core.db import Database
from accord.core.errors import Conflict
from accord.core.security import hash_password
from accord.orgs.domain import OrgKind, Role, Sector, VettingState
from accord.orgs.models import Organization, Person

__all__ = [
    "BATCH",
    "COUNTY_BOUNDS",
    "FIRST",
    "LAST",
    "PLACES",
    "SYNTHETIC_PASSWORD",
    "SeedResult",
    "hexagon",
    "random_uuid",
    "seed_synthetic",
    "synthetic_world",
]

# Every synthetic account signs in with this password (benchmarks sign in too).
SYNTHETIC_PASSWORD = "synthetic-world-password"  # noqa: S105 - published on purpose
BATCH = 5_000
SEED_BASE = datetime(2026, 1, 5, 16, 0, tzinfo=UTC)
METRES_PER_DEGREE = 111_320.0
# The county around Port City: (west, south, east, north) in degrees.
COUNTY_BOUNDS = (-121.55, 37.55, -120.95, 38.25)
PLACES = (
    "Port City", "Lodi", "Manteca", "Tracy", "Ripon", "Escalon", "Lathrop", "French Camp",
    "Lockeford", "Linden", "Thornton", "Farmington", "Acampo", "Woodbridge", "Banta", "Holt",
)  # fmt: skip
FIRST = (
    "Alex", "Ana", "Ben", "Carla", "Chen", "Dana", "Diego", "Elif", "Femi", "Grace", "Hana",
    "Ivan", "Jada", "Kai", "Lena", "Luis", "Maya", "Noah", "Omar", "Priya", "Quinn", "Rosa",
    "Sam", "Tariq", "Uma", "Vic", "Wen", "Yara", "Zoe", "Mateo",
)  # fmt: skip
LAST = (
    "Ahmed", "Baker", "Castro", "Dang", "Evans", "Flores", "Garcia", "Hughes", "Ito", "Jones",
    "Kaur", "Lopez", "Mendez", "Nguyen", "Okafor", "Patel", "Quintero", "Reyes", "Singh",
    "Tran", "Ueda", "Vargas", "Walker", "Xu", "Young", "Zamora",
)  # fmt: skip


@dataclass(frozen=True)
class KindProfile:
    """How organizations of one kind look: sector, size of area and staff, capabilities."""

    sector: Sector
    kind: OrgKind
    radius_m: tuple[int, int]
    staff_weight: int
    capabilities: tuple[str, ...]


# One profile per kind, so every sector and kind appears once there are twelve organizations.
PROFILES = (
    KindProfile(Sector.PUBLIC, OrgKind.POLICE, (3000, 9000), 20, ("patrol", "k9", "swat", "drone")),
    KindProfile(Sector.PUBLIC, OrgKind.FIRE, (3000, 9000), 12, ("ems", "hazmat", "rescue")),
    KindProfile(Sector.PUBLIC, OrgKind.EMS, (4000, 12000), 8, ("als", "bls", "mass_casualty")),
    KindProfile(Sector.PUBLIC, OrgKind.EMERGENCY_MANAGEMENT, (10000, 25000), 3, ("eoc", "alerts")),
    KindProfile(Sector.PUBLIC, OrgKind.FUSION_CENTER, (20000, 30000), 4, ("intel_analysis",)),
    KindProfile(Sector.PRIVATE, OrgKind.GUARD_COMPANY, (2000, 8000), 10, ("patrol", "posts")),
    KindProfile(Sector.PRIVATE, OrgKind.ALARM_MONITORING, (5000, 15000), 5, ("monitoring",)),
    KindProfile(Sector.PRIVATE, OrgKind.BUSINESS, (100, 600), 2, ("cctv", "loss_prevention")),
    KindProfile(Sector.NONPROFIT, OrgKind.CAMPUS, (300, 1200), 4, ("patrol", "cctv", "alerts")),
    KindProfile(Sector.NONPROFIT, OrgKind.HOSPITAL, (150, 500), 4, ("trauma", "decon", "cctv")),
    KindProfile(Sector.PRIVATE, OrgKind.CRITICAL_INFRASTRUCTURE, (300, 2000), 3, ("access",)),
    KindProfile(Sector.COMMUNITY, OrgKind.OTHER, (200, 2000), 1, ("volunteers", "outreach")),
)  # fmt: skip
ROLES = (Role.ORG_ADMIN, Role.ANALYST, Role.DISPATCHER, Role.FIELD_RESPONDER, Role.VIEWER)
ROLE_WEIGHTS = (3, 15, 15, 50, 17)
VETTING = (VettingState.VETTED, VettingState.PENDING, VettingState.SUSPENDED)
VETTING_WEIGHTS = (85, 12, 3)


@dataclass(frozen=True)
class SeedResult:
    organizations: int
    people: int
    seed: int
    elapsed_seconds: float
    agreements: int = 0
    records: int = 0


def random_uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def hexagon(rng: random.Random, radius_m: tuple[int, int]) -> dict[str, Any]:
    """A GeoJSON hexagon of random size around a random point of the county."""
    west, south, east, north = COUNTY_BOUNDS
    lon, lat = rng.uniform(west, east), rng.uniform(south, north)
    radius = rng.uniform(*radius_m)
    ring = []
    for corner in range(6):
        angle = math.radians(60 * corner)
        east_m, north_m = radius * math.cos(angle), radius * math.sin(angle)
        ring.append(
            [
                round(lon + east_m / (METRES_PER_DEGREE * math.cos(math.radians(lat))), 6),
                round(lat + north_m / METRES_PER_DEGREE, 6),
            ]
        )
    ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [ring]}


def _organization(rng: random.Random, index: int, seed: int) -> dict[str, Any]:
    profile = PROFILES[index % len(PROFILES)]
    place = rng.choice(PLACES)
    label = profile.kind.value.replace("_", " ").title()
    domain = f"org{index + 1}.s{seed}.synthetic.example"
    created = SEED_BASE + timedelta(minutes=rng.randrange(200_000))
    state = rng.choices(VETTING, VETTING_WEIGHTS)[0]
    caps = rng.sample(profile.capabilities, rng.randint(1, len(profile.capabilities)))
    return {
        "id": random_uuid(rng),
        "name": f"{place} {label} {seed}-{index + 1:05d}",
        "short_name": f"{label[:24]} {index + 1}",
        "sector": profile.sector,
        "kind": profile.kind,
        "description": f"Synthetic {label.lower()} near {place} (seed {seed}).",
        "service_area": hexagon(rng, profile.radius_m),
        "contacts": [{"name": "Duty desk", "title": "", "phone": "+1 209 555 0199",
                      "email": f"desk@{domain}"}],
        "capabilities": caps,
        "vetting_state": state,
        "vetting_reason": "" if state is VettingState.PENDING else "synthetic",
        "vetting_changed_at": None if state is VettingState.PENDING else created,
        "created_at": created,
        "updated_at": created,
    }  # fmt: skip


def _people(
    rng: random.Random, count: int, orgs: list[dict[str, Any]], password_hash: str
) -> Iterator[dict[str, Any]]:
    """People spread over the organizations by staff weight; each org's first is its admin."""
    weights = [PROFILES[i % len(PROFILES)].staff_weight for i in range(len(orgs))]
    cumulative = list(accumulate(weights))  # drawn by bisection: O(log n) a person
    role_weights = list(accumulate(ROLE_WEIGHTS))
    domains = [org["contacts"][0]["email"].partition("@")[2] for org in orgs]
    positions = range(len(orgs))
    for index in range(count):
        # The first person of each organization (while there are enough) administers it.
        first = index < len(orgs)
        slot = index if first else rng.choices(positions, cum_weights=cumulative)[0]
        org = orgs[slot]
        role = Role.ORG_ADMIN if first else rng.choices(ROLES, cum_weights=role_weights)[0]
        given, family = rng.choice(FIRST), rng.choice(LAST)
        created = org["created_at"] + timedelta(minutes=rng.randrange(1, 100_000))
        yield {
            "id": random_uuid(rng),
            "org_id": org["id"],
            "email": f"{given}.{family}.{index + 1}@{domains[slot]}".lower(),
            "display_name": f"{given} {family}",
            "role": role,
            "cji_cleared": org["sector"] is Sector.PUBLIC and rng.random() < 0.4,
            "password_hash": password_hash,
            "password_changed_at": created,
            "is_active": True,
            "created_at": created,
        }


def synthetic_world(
    seed: int, organizations: int, people: int, password_hash: str
) -> tuple[list[dict[str, Any]], Iterator[dict[str, Any]]]:
    """The rows of the world of `seed`: organizations as a list, people as they are drawn."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    orgs = [_organization(rng, index, seed) for index in range(organizations)]
    return orgs, _people(rng, people, orgs, password_hash)


def _batches(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _analyze(db: Database, tables: tuple[str, ...]) -> None:
    """Fresh planner statistics for the tables just filled, as after any bulk load."""
    with db.engine.connect() as conn:
        for table in tables:
            conn.execute(text(f"ANALYZE {table}"))  # fixed table names, no input
        conn.commit()


def seed_synthetic(
    db: Database,
    *,
    organizations: int,
    people: int,
    seed: int,
    at: datetime,
    agreements: int = 0,
    records: int = 0,
    progress: Callable[[int], None] = lambda _n: None,
) -> SeedResult:
    """Insert the synthetic world of `seed` in one transaction, with one audit entry for it all.

    Every account shares ONE argon2id hash of SYNTHETIC_PASSWORD, computed once: hashing
    100,000 passwords would take hours and prove nothing a benchmark needs. Agreements and
    records are timed relative to `at`: agreements in force around it, records over the year
    before it.
    """
    # Imported here: the sharing world builds on this module's places, names and areas.
    from accord.ops import synthetic_sharing as sharing

    started = time.perf_counter()
    orgs, persons = synthetic_world(seed, organizations, people, hash_password(SYNTHETIC_PASSWORD))
    roster = sharing.Roster.of(orgs)
    with db.transaction() as s:
        if s.get(Organization, orgs[0]["id"]) is not None:
            raise Conflict(
                f"this database already holds the synthetic world of seed {seed}; "
                "choose another --seed or an empty database"
            )
        for batch in _batches(iter(orgs), BATCH):
            s.execute(insert(Organization), batch)
            progress(len(batch))
        for batch in _batches(sharing.rostered(persons, roster), BATCH):
            s.execute(insert(Person), batch)
            progress(len(batch))
        conn = s.connection()
        sharing.write_grants(conn, seed, agreements, roster, at, progress)
        sharing.write_notes(conn, seed, records, roster, at, progress)
        details: dict[str, int] = {"organizations": organizations, "people": people, "seed": seed}
        if agreements or records:
            details |= {"agreements": agreements, "records": records}
        record(s, action="synthetic.seeded", at=at, actor_label="accord seed", details=details)
    if agreements or records:
        _analyze(db, sharing.FILLED_TABLES)
    elapsed = round(time.perf_counter() - started, 3)
    return SeedResult(organizations, people, seed, elapsed, agreements, records)
