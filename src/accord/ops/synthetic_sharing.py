"""The sharing part of the synthetic world: agreements in force or not, and shared notes.

Agreements are written as the enforced terms the sharing engine reads (`sharing_grants` with
its parties and area cells); notes as their shared records (marking, categories, place,
explicit recipients) and their text. Each is drawn from a random stream of its own, so a seed's
organizations and people stay the same whether or not agreements and records are asked for.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate
from typing import Any

from sqlalchemy import Connection, insert

from accord.core.errors import Invalid
from accord.notes.domain import note_categories, summary_of
from accord.notes.models import Note
from accord.ops.synthetic import (
    BATCH,
    COUNTY_BOUNDS,
    FIRST,
    LAST,
    PLACES,
    hexagon,
    random_uuid,
)
from accord.orgs.domain import OrgKind, Role, VettingState
from accord.sharing.domain import Category, GrantState, Purpose, RecipientKind, Tlp, mask_of
from accord.sharing.geo import cells_of_geometry, cells_of_point
from accord.sharing.models import (
    GrantCell,
    GrantParty,
    RecordCell,
    RecordRecipient,
    SharedRecord,
    SharingGrant,
)

__all__ = [
    "FILLED_TABLES",
    "Roster",
    "rostered",
    "synthetic_grants",
    "synthetic_notes",
    "write_grants",
    "write_notes",
]

AGREEMENT_KINDS = (
    "Information sharing", "Mutual aid", "Camera access", "Alarm verification",
    "Memorandum of understanding",
)  # fmt: skip
# How readily organizations of each kind enter agreements, and how much they share.
PARTNERING = {
    OrgKind.POLICE: 12, OrgKind.FIRE: 6, OrgKind.EMS: 4, OrgKind.EMERGENCY_MANAGEMENT: 8,
    OrgKind.FUSION_CENTER: 10, OrgKind.GUARD_COMPANY: 5, OrgKind.ALARM_MONITORING: 4,
    OrgKind.BUSINESS: 1, OrgKind.CAMPUS: 2, OrgKind.HOSPITAL: 2,
    OrgKind.CRITICAL_INFRASTRUCTURE: 2, OrgKind.OTHER: 1,
}  # fmt: skip
SHARING = {
    OrgKind.POLICE: 10, OrgKind.FIRE: 4, OrgKind.EMS: 3, OrgKind.EMERGENCY_MANAGEMENT: 3,
    OrgKind.FUSION_CENTER: 8, OrgKind.GUARD_COMPANY: 6, OrgKind.ALARM_MONITORING: 3,
    OrgKind.BUSINESS: 1, OrgKind.CAMPUS: 2, OrgKind.HOSPITAL: 2,
    OrgKind.CRITICAL_INFRASTRUCTURE: 1, OrgKind.OTHER: 1,
}  # fmt: skip
WITHOUT_AGREEMENTS = 0.2  # of vetted organizations, the share that is party to none
PARTY_COUNTS, PARTY_WEIGHTS = (2, 3, 4, 5, 6), (75, 15, 5, 3, 2)
# What became of each agreement: in force, lapsed, suspended, terminated, or not started yet.
FATES, FATE_WEIGHTS = ("active", "expired", "suspended", "terminated", "future"), (78, 8, 6, 5, 3)
CEILINGS, CEILING_WEIGHTS = (Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED, Tlp.GREEN), (70, 10, 10, 10)
COVERAGE = (
    (Category.GENERAL, 0.9), (Category.PERSONAL_DATA, 0.45), (Category.CJI, 0.15),
    (Category.VIDEO, 0.3), (Category.PERSON_LOCATION, 0.2), (Category.CRITICAL_INFRASTRUCTURE, 0.1),
)  # fmt: skip
RETENTIONS, RETENTION_WEIGHTS = (None, 30, 90, 180, 365, 730), (40, 10, 15, 15, 12, 8)
AREA_SHARE = 0.25  # agreements limited to an area; the others cover any place
DAY_S = 86_400
# Records: TLP 2.0 markings in the proportions partners use them, and their categories.
TLPS = (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED)
TLP_WEIGHTS = (10, 45, 30, 10, 5)
RECORD_CATEGORIES = (
    (Category.GENERAL, 0.7), (Category.PERSONAL_DATA, 0.35), (Category.CJI, 0.15),
    (Category.VIDEO, 0.15), (Category.PERSON_LOCATION, 0.1),
    (Category.CRITICAL_INFRASTRUCTURE, 0.08),
)  # fmt: skip
AMBER_ADDRESSED = 0.2  # AMBER records that also name recipients
PLACED = 0.85  # records with a point; the others have no location
RECORD_SPAN = timedelta(days=365)  # records were shared over the year before the seed
SUBJECTS = (
    "Suspicious vehicle", "Shoplifting pattern", "Trespass", "Copper theft", "Road closure",
    "Missing person", "Alarm activation", "Vandalism", "Fire watch", "Crowd at event",
    "Drone sighting", "Power outage", "Hazmat spill", "Burglary series", "Stolen plate",
    "Noise complaint", "Welfare check", "Gate left open",
)  # fmt: skip


Rows = list[dict[str, Any]]


@dataclass
class Roster:
    """Who is in the world, as agreements and records draw them: organizations and people."""

    orgs: list[dict[str, Any]]
    authors: list[list[tuple[uuid.UUID, bool]]]  # per organization: (id, CJI-cleared) of sharers
    members: list[uuid.UUID]  # people of vetted organizations: whom a RED record may name

    @classmethod
    def of(cls, orgs: list[dict[str, Any]]) -> Roster:
        return cls(orgs, [[] for _ in orgs], [])

    def index(self) -> dict[uuid.UUID, int]:
        return {org["id"]: i for i, org in enumerate(self.orgs)}

    def vetted(self) -> list[int]:
        return [i for i, o in enumerate(self.orgs) if o["vetting_state"] is VettingState.VETTED]


def rostered(persons: Iterator[dict[str, Any]], roster: Roster) -> Iterator[dict[str, Any]]:
    """The people as drawn, noting on the way who may share (viewers only read) and who is named."""
    slot = roster.index()
    for person in persons:
        org = slot[person["org_id"]]
        if person["role"] is not Role.VIEWER:
            roster.authors[org].append((person["id"], person["cji_cleared"]))
        if roster.orgs[org]["vetting_state"] is VettingState.VETTED:
            roster.members.append(person["id"])
        yield person


def _uuid7(rng: random.Random, at: datetime) -> uuid.UUID:
    """A UUIDv7 of instant `at` (as `accord.core.ids.new_id` makes them), random bits by `rng`."""
    millis = int(at.timestamp() * 1000) & ((1 << 48) - 1)
    value = millis << 80 | 0x7 << 76 | rng.getrandbits(12) << 64 | 0b10 << 62
    return uuid.UUID(int=value | rng.getrandbits(62))


def _some(rng: random.Random, odds: tuple[tuple[Category, float], ...]) -> set[Category]:
    chosen = {category for category, p in odds if rng.random() < p}
    return chosen or {Category.GENERAL}


def _seconds(rng: random.Random, low_days: int, high_days: int) -> timedelta:
    return timedelta(seconds=rng.randrange(low_days * DAY_S, high_days * DAY_S))


def _lifetime(rng: random.Random, at: datetime) -> tuple[GrantState, datetime, datetime | None]:
    """State, effective and expiry instants of an agreement, relative to the seed's instant."""
    fate = rng.choices(FATES, FATE_WEIGHTS)[0]
    if fate == "future":
        effective = at + _seconds(rng, 1, 90)
        return GrantState.ACTIVE, effective, effective + _seconds(rng, 365, 1095)
    if fate == "expired":
        lapsed = at - _seconds(rng, 1, 365)
        return GrantState.ACTIVE, lapsed - _seconds(rng, 180, 1095), lapsed
    state = {"suspended": GrantState.SUSPENDED, "terminated": GrantState.TERMINATED}.get(
        fate, GrantState.ACTIVE
    )
    expires = None if rng.random() < 0.25 else at + _seconds(rng, 1, 1095)
    return state, at - _seconds(rng, 1, 730), expires


def _covered(rng: random.Random, kind: str) -> set[Category]:
    covered = _some(rng, COVERAGE)
    if kind in ("Camera access", "Alarm verification"):
        covered.add(Category.VIDEO)
    return covered


def _parties(rng: random.Random, partners: list[int], weights: list[int]) -> list[int]:
    count = min(rng.choices(PARTY_COUNTS, PARTY_WEIGHTS)[0], len(partners))
    chosen: dict[int, None] = {}
    for _ in range(50 * count):  # bounded: distinct draws from weighted partners
        chosen[rng.choices(partners, cum_weights=weights)[0]] = None
        if len(chosen) == count:
            break
    return list(chosen)


def _grant(
    rng: random.Random, number: int, roster: Roster, partners: tuple[list[int], list[int]],
    at: datetime,
) -> tuple[Rows, Rows, Rows]:  # fmt: skip
    """One agreement's enforced terms as rows: the grant, its parties, and its area's cells."""
    grant_id = random_uuid(rng)
    kind = rng.choice(AGREEMENT_KINDS)
    state, effective, expires = _lifetime(rng, at)
    covered = _covered(rng, kind)
    sensitive: set[Category] = {
        c for c in covered if c is not Category.GENERAL and rng.random() < 0.25
    }
    purposes = sorted(p.value for p in rng.sample(tuple(Purpose), rng.randint(1, 4)))
    area = hexagon(rng, (4000, 15000)) if rng.random() < AREA_SHARE else None
    grant = {
        "id": grant_id,
        "title": f"{kind} {rng.choice(PLACES)} {number + 1:05d}",
        "version": rng.choices((1, 2, 3), (70, 20, 10))[0],
        "state": state,
        "tlp_ceiling": rng.choices(CEILINGS, CEILING_WEIGHTS)[0],
        "covered_mask": mask_of(covered),
        "sensitive_mask": mask_of(sensitive),
        "purposes": purposes,
        "effective_at": effective,
        "expires_at": expires,
        "retention_days": rng.choices(RETENTIONS, RETENTION_WEIGHTS)[0],
        "has_area": area is not None,
        "onward_sharing": rng.random() < 0.15,
        "updated_at": min(effective, at),
    }
    parties = [
        {"grant_id": grant_id, "org_id": roster.orgs[i]["id"]} for i in _parties(rng, *partners)
    ]
    area_cells = None if area is None else sorted(cells_of_geometry(area))
    grant["party_ids"] = sorted(str(p["org_id"]) for p in parties)
    grant["area_cells"] = area_cells
    cells = [{"grant_id": grant_id, "cell": c} for c in area_cells or ()]
    return [grant], parties, cells


def synthetic_grants(
    seed: int, count: int, roster: Roster, at: datetime
) -> Iterator[tuple[Rows, Rows, Rows]]:
    """The agreements of the world of `seed` at `at`: rows of grants, parties and cells.

    Parties are vetted organizations, drawn by how readily their kind partners; a fifth of the
    vetted organizations are party to none, so viewers without agreements exist too.
    """
    rng = random.Random(f"{seed}:agreements")  # noqa: S311 - reproducible test data
    vetted = roster.vetted()
    if count and len(vetted) < 2:
        raise Invalid(
            "agreements need at least two vetted organizations: add more --orgs",
            errors=[{"field": "agreements", "message": "too few vetted organizations"}],
        )
    partners = [i for i in vetted if rng.random() >= WITHOUT_AGREEMENTS]
    if len(partners) < 2:
        partners = vetted
    weights = list(accumulate(PARTNERING[roster.orgs[i]["kind"]] for i in partners))
    for number in range(count):
        yield _grant(rng, number, roster, (partners, weights), at)


def _named(
    rng: random.Random, kind: RecipientKind, pool: list[uuid.UUID], exclude: uuid.UUID, count: int
) -> list[tuple[RecipientKind, uuid.UUID]]:
    drawn = rng.sample(pool, min(count + 1, len(pool)))
    return [(kind, target) for target in drawn if target != exclude][:count]


def _recipients(
    rng: random.Random, tlp: Tlp, owner: uuid.UUID, author: uuid.UUID, roster: Roster,
    vetted: list[uuid.UUID],
) -> list[tuple[RecipientKind, uuid.UUID]]:  # fmt: skip
    """Explicit recipients fit for the marking (TLP 2.0: RED names people, STRICT organizations)."""
    if tlp is Tlp.RED:
        return _named(rng, RecipientKind.PERSON, roster.members, author, rng.randint(1, 3))
    if tlp is Tlp.AMBER_STRICT:
        return _named(rng, RecipientKind.ORGANIZATION, vetted, owner, rng.randint(1, 3))
    if tlp is not Tlp.AMBER or rng.random() >= AMBER_ADDRESSED:
        return []
    if rng.random() < 0.7:
        return _named(rng, RecipientKind.ORGANIZATION, vetted, owner, rng.randint(1, 2))
    return _named(rng, RecipientKind.PERSON, roster.members, author, rng.randint(1, 2))


def _note(
    rng: random.Random, record_id: uuid.UUID, categories: set[Category], text: str
) -> tuple[dict[str, Any], Category]:
    """The note's own row, consistent with its record: categories as the notes feature derives
    them (the body's, personal data for described people, the rest declared)."""
    body_category = rng.choice(sorted(categories))
    described = Category.PERSONAL_DATA in categories and body_category is not Category.PERSONAL_DATA
    declared = categories - {body_category} - ({Category.PERSONAL_DATA} if described else set())
    note = {
        "id": record_id,
        "body": text,
        "body_category": body_category,
        "personal_details": f"Person seen: {rng.choice(FIRST)} {rng.choice(LAST)}, about "
        f"{rng.randint(18, 70)}, {rng.choice(('red', 'grey', 'blue', 'dark'))} jacket."
        if described
        else "",
        "declared_mask": mask_of(declared),
    }
    assert note_categories(  # noqa: S101 - the seed must not draw a note the feature could not
        body_category, has_personal_details=described, declared=declared
    ) == frozenset(categories)
    return note, body_category


def _record(
    rng: random.Random, created: datetime, number: int, owner: int, roster: Roster,
    vetted: list[uuid.UUID],
) -> tuple[Rows, Rows, Rows, Rows]:  # fmt: skip
    """One note as rows: its shared record, its text, its cells, and its explicit recipients."""
    org = roster.orgs[owner]
    author, cleared = rng.choice(roster.authors[owner])
    tlp = rng.choices(TLPS, TLP_WEIGHTS)[0]
    categories = _some(rng, RECORD_CATEGORIES)
    if not cleared:  # only CJI-cleared people share criminal-justice information
        categories = (categories - {Category.CJI}) or {Category.GENERAL}
    record_id = _uuid7(rng, created)
    subject, place = rng.choice(SUBJECTS), rng.choice(PLACES)
    body = (
        f"{subject} reported near {place} by {org['short_name']} (synthetic note {number + 1}). "
        f"Units on scene {rng.randint(2, 40)} minutes after the first call; "
        f"{rng.choice(('no one hurt', 'area cleared', 'follow-up planned', 'under review'))}."
    )
    note, body_category = _note(rng, record_id, categories, body)
    lat = lon = None
    cells: Rows = []
    if rng.random() < PLACED:
        west, south, east, north = COUNTY_BOUNDS
        lat, lon = round(rng.uniform(south, north), 5), round(rng.uniform(west, east), 5)
        cells = [{"record_id": record_id, "cell": c} for c in cells_of_point(lat, lon)]
    row = {
        "id": record_id,
        "kind": "note",
        "owner_org_id": org["id"],
        "author_id": author,
        "tlp": tlp,
        "categories_mask": mask_of(categories),
        "title": f"{subject} near {place}",
        "summary": summary_of(body),
        "summary_category": body_category,
        "lat": lat,
        "lon": lon,
        "geometry": None,
        "created_at": created,
        "updated_at": created,
    }
    recipients = [
        {"record_id": record_id, "kind": kind, "target_id": target,
         "record_created_at": created, "added_at": created,
         "added_by_org_id": org["id"]}
        for kind, target in _recipients(rng, tlp, org["id"], author, roster, vetted)
    ]  # fmt: skip
    return [row], [note], cells, recipients


def synthetic_notes(
    seed: int, count: int, roster: Roster, at: datetime
) -> Iterator[tuple[Rows, Rows, Rows, Rows]]:
    """The notes of the world of `seed`, oldest first, over the year before `at`.

    Owners are vetted (or since suspended) organizations with someone who may share, drawn by
    how much their kind shares; authors are their people. Ids are UUIDv7 of the creation time,
    as real ones are, and rows come in time order, as a live system writes them.
    """
    rng = random.Random(f"{seed}:records")  # noqa: S311 - reproducible test data
    able = (VettingState.VETTED, VettingState.SUSPENDED)
    owners = [
        i for i, o in enumerate(roster.orgs) if o["vetting_state"] in able and roster.authors[i]
    ]
    if count and not owners:
        raise Invalid(
            "records need a vetted organization with someone who may share: add more --people",
            errors=[{"field": "records", "message": "no one may share"}],
        )
    weights = list(accumulate(SHARING[roster.orgs[i]["kind"]] for i in owners))
    vetted = [roster.orgs[i]["id"] for i in roster.vetted()]
    start, span_us = at - RECORD_SPAN, RECORD_SPAN // timedelta(microseconds=1)
    for number in range(count):
        # Stratified: the n-th record falls in the n-th slice of the year, so times only grow.
        offset = int(span_us * (number + rng.random()) / count)
        created = start + timedelta(microseconds=offset)
        owner = rng.choices(owners, cum_weights=weights)[0]
        yield _record(rng, created, number, owner, roster, vetted)


# Each drawing's tables, parents first (foreign-key order).
GRANT_MODELS = (SharingGrant, GrantParty, GrantCell)
RECORD_MODELS = (SharedRecord, Note, RecordCell, RecordRecipient)
GRANT_TABLES = tuple(model.__table__ for model in GRANT_MODELS)
RECORD_TABLES = tuple(model.__table__ for model in RECORD_MODELS)


def _write(
    conn: Connection, drawn: Iterator[tuple[Rows, ...]], tables: tuple[Any, ...], size: int,
    progress: Callable[[int], None],
) -> None:  # fmt: skip
    """Insert drawn rows (one list per table, parents first) by batches of `size` drawings."""
    batch: list[Rows] = [[] for _ in tables]
    count = 0
    for rows in drawn:
        for pending, new in zip(batch, rows, strict=True):
            pending.extend(new)
        count += 1
        if count == size:
            _flush(conn, batch, tables)
            progress(count)
            count = 0
    _flush(conn, batch, tables)
    if count:
        progress(count)


def _flush(conn: Connection, batch: list[Rows], tables: tuple[Any, ...]) -> None:
    """One executemany per table, in foreign-key order; the batch is emptied."""
    for rows, table in zip(batch, tables, strict=True):
        if rows:
            conn.execute(insert(table), rows)
            rows.clear()


def write_grants(
    conn: Connection, seed: int, count: int, roster: Roster, at: datetime,
    progress: Callable[[int], None],
) -> None:  # fmt: skip
    """Agreements as the enforced terms the sharing engine reads (`sharing_grants` and kin).

    The agreements feature's own rows (drafts, versions, signatures) come beside these later.
    """
    grants = synthetic_grants(seed, count, roster, at)
    _write(conn, grants, GRANT_TABLES, BATCH // 5, progress)


def write_notes(
    conn: Connection, seed: int, count: int, roster: Roster, at: datetime,
    progress: Callable[[int], None],
) -> None:  # fmt: skip
    """Notes: their shared records, their text, their cells and their explicit recipients."""
    _write(conn, synthetic_notes(seed, count, roster, at), RECORD_TABLES, BATCH, progress)


# Tables a seed fills, whose planner statistics are refreshed after it (ANALYZE).
FILLED_TABLES = (
    "organizations", "people",
    *(model.__tablename__ for model in (*GRANT_MODELS, *RECORD_MODELS)),
)  # fmt: skip
