"""Random sharing worlds for the proof that nothing leaks: the model, the written rules, the DB.

A `World` holds organizations, groups, people, agreements (their enforced terms) and shared
records as plain values. `oracle_sight` is the sharing rule written afresh from issue 3 and
ARCHITECTURE.md ("The heart: who may see what"), on those plain values and without calling
`accord.sharing`: the unit, property and stateful tests hold the engine's pure decision and its
SQL filter to it. The hypothesis strategy `worlds()` draws small worlds whose instants sit on
the edges that matter (an agreement's start and expiry, the end of a retention period), and
`insert_world` writes one to the real database in a few bulk statements.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import h3
from hypothesis import strategies as st
from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from accord.core.db import Base
from accord.orgs.domain import Actor, OrgKind, Role, Sector, VettingState
from accord.orgs.models import Group, GroupMember, Organization, Person
from accord.sharing.domain import (
    Category,
    Grant,
    GrantState,
    Purpose,
    RecipientKind,
    RecordFacts,
    Tlp,
    Viewer,
)
from accord.sharing.models import (
    GrantCell,
    GrantParty,
    RecordCell,
    RecordRecipient,
    SharedRecord,
    SharingGrant,
)

__all__ = [
    "CATEGORIES",
    "MARKINGS",
    "PURPOSES",
    "SPOTS",
    "T0",
    "US",
    "Agreement",
    "Org",
    "PersonFacts",
    "RecordModel",
    "Sight",
    "Team",
    "World",
    "actor_of",
    "facts_of_record",
    "grant_of_agreement",
    "in_force",
    "insert_world",
    "oracle_can_read",
    "oracle_carried",
    "oracle_sight",
    "pick",
    "viewer_from_world",
    "world_id",
    "worlds",
]

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
US = timedelta(microseconds=1)
CATEGORIES = tuple(Category)
PURPOSES = tuple(Purpose)
# The written order of the markings, from public to the named people only.
MARKINGS = (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED)


def _spot(lat: float, lon: float) -> tuple[int, float, float]:
    cell = h3.latlng_to_cell(lat, lon, 7)
    centre = h3.cell_to_latlng(cell)
    return h3.str_to_int(cell), centre[0], centre[1]


# Places in and around Port City, one H3 resolution-7 cell each: (cell, lat, lon of its centre).
SPOTS = (
    _spot(37.9577, -121.2908),  # downtown
    _spot(37.9000, -121.2300),  # the harbour
    _spot(38.0100, -121.3600),  # the north campus
    _spot(37.8500, -121.4000),  # the industrial park
)


# --- the world, as plain values -------------------------------------------------------------


@dataclass(frozen=True)
class Org:
    id: uuid.UUID
    vetting: VettingState
    sector: Sector = Sector.PUBLIC

    @property
    def vetted(self) -> bool:
        return self.vetting is VettingState.VETTED


@dataclass(frozen=True)
class PersonFacts:
    id: uuid.UUID
    org_id: uuid.UUID
    role: Role = Role.ANALYST
    cji: bool = False
    active: bool = True


@dataclass(frozen=True)
class Team:
    """A group: a named community of organizations."""

    id: uuid.UUID
    members: frozenset[uuid.UUID]


@dataclass(frozen=True)
class Agreement:
    """The enforced terms of one agreement."""

    id: uuid.UUID
    state: GrantState
    parties: frozenset[uuid.UUID]
    ceiling: Tlp
    covered: frozenset[Category]
    sensitive: frozenset[Category]
    purposes: frozenset[Purpose]
    effective_at: datetime
    expires_at: datetime | None
    retention_days: int | None = None
    cells: frozenset[int] | None = None
    onward: bool = False
    title: str = "Information sharing"
    version: int = 1


@dataclass(frozen=True)
class RecordModel:
    id: uuid.UUID
    owner: uuid.UUID
    author: uuid.UUID | None
    tlp: Tlp
    categories: frozenset[Category]
    created_at: datetime
    cells: frozenset[int] = frozenset()
    orgs: frozenset[uuid.UUID] = frozenset()
    groups: frozenset[uuid.UUID] = frozenset()
    people: frozenset[uuid.UUID] = frozenset()
    kind: str = "note"
    title: str = "Note"
    lat: float | None = None
    lon: float | None = None

    @property
    def summary(self) -> str:
        return f"{self.title} near the {self.kind}"

    @property
    def summary_category(self) -> Category:
        """The category of the opening text: the first of the record's, in declared order."""
        return min(self.categories, key=CATEGORIES.index)


@dataclass
class World:
    orgs: dict[uuid.UUID, Org] = field(default_factory=dict)
    teams: dict[uuid.UUID, Team] = field(default_factory=dict)
    people: dict[uuid.UUID, PersonFacts] = field(default_factory=dict)
    agreements: dict[uuid.UUID, Agreement] = field(default_factory=dict)
    records: dict[uuid.UUID, RecordModel] = field(default_factory=dict)
    instants: tuple[datetime, ...] = ()

    def teams_of(self, org_id: uuid.UUID) -> frozenset[uuid.UUID]:
        return frozenset(t.id for t in self.teams.values() if org_id in t.members)


# --- the written rules (issue 3, ARCHITECTURE.md), on plain values -------------------------


@dataclass(frozen=True)
class Sight:
    """What the written rules let one person see of one record at one instant."""

    visible: frozenset[Category]
    through: uuid.UUID | None  # the agreement that carries the record, if that is the way
    own: bool  # the owner organization's member (or a RED record's author): no restriction
    restricted: bool
    purposes: frozenset[Purpose]
    sensitive_under: uuid.UUID | None = None


def in_force(agreement: Agreement, at: datetime) -> bool:
    """Active, started, not yet expired: expiry takes effect at the instant itself."""
    if agreement.state is not GrantState.ACTIVE or at < agreement.effective_at:
        return False
    return agreement.expires_at is None or at < agreement.expires_at


def _readable(person: PersonFacts, record: RecordModel) -> frozenset[Category]:
    # Criminal-justice information is for CJI-cleared people only, whatever the marking.
    return record.categories if person.cji else record.categories - {Category.CJI}


def oracle_carried(
    agreement: Agreement, person: PersonFacts, record: RecordModel, at: datetime
) -> frozenset[Category]:
    """The categories `agreement` carries of `record` to `person` at `at` (empty: none)."""
    nothing: frozenset[Category] = frozenset()
    if record.tlp is not Tlp.AMBER:
        return nothing  # agreements carry TLP:AMBER; the other markings do not depend on them
    if MARKINGS.index(agreement.ceiling) < MARKINGS.index(Tlp.AMBER):
        return nothing  # the agreement's TLP ceiling is below the record's marking
    if not in_force(agreement, at):
        return nothing
    if {record.owner, person.org_id} - agreement.parties:
        return nothing  # both the owner and the viewer's organization must be parties
    retention = agreement.retention_days
    if retention is not None and at >= record.created_at + timedelta(days=retention):
        return nothing  # kept longer than the agreement lets partners keep it
    if agreement.cells is not None and not (agreement.cells & record.cells):
        return nothing  # outside the agreement's area
    return agreement.covered & _readable(person, record)


def _in_audience(world: World, person: PersonFacts, record: RecordModel) -> bool:
    """TLP 2.0 as ARCHITECTURE.md states it: who sees the whole record by its marking."""
    vetted = world.orgs[person.org_id].vetted
    owner_member = person.org_id == record.owner
    addressed_org = person.org_id in record.orgs
    addressed_team = bool(world.teams_of(person.org_id) & record.groups)
    named = person.id in record.people
    audience = {
        Tlp.CLEAR: True,
        Tlp.GREEN: owner_member or vetted,
        Tlp.AMBER: owner_member or (vetted and (addressed_org or addressed_team or named)),
        Tlp.AMBER_STRICT: owner_member or (vetted and addressed_org),
        Tlp.RED: person.id == record.author or (vetted and named),
    }
    return audience[record.tlp]


def _by_id(agreements: Iterable[Agreement]) -> list[Agreement]:
    return sorted(agreements, key=lambda a: str(a.id))


def oracle_sight(
    world: World, person_id: uuid.UUID, record_id: uuid.UUID, at: datetime
) -> Sight | None:
    """How the written rules let `person_id` see `record_id` at `at`, or None."""
    person = world.people[person_id]
    record = world.records[record_id]
    if not person.active:
        return None  # a deactivated account sees nothing shared
    own = person.id == record.author if record.tlp is Tlp.RED else person.org_id == record.owner
    through: Agreement | None = None
    if _in_audience(world, person, record):
        visible = _readable(person, record)
        restricted = not own and MARKINGS.index(record.tlp) >= MARKINGS.index(Tlp.AMBER)
        purposes = frozenset(PURPOSES) if restricted else frozenset()
    elif world.orgs[person.org_id].vetted:
        # The agreement that shows the most; on a tie, the lowest id (the engine's tie-break).
        visible = frozenset()
        for agreement in _by_id(world.agreements.values()):
            carried = oracle_carried(agreement, person, record, at)
            if len(carried) > len(visible):
                visible, through = carried, agreement
        restricted = True
        purposes = through.purposes if through is not None else frozenset()
    else:
        return None
    if not visible:
        return None
    sensitive_under = None
    if not own:
        # A category an agreement between the two organizations marks sensitive restricts the
        # read to that agreement's purposes (the first such agreement by id, as the engine).
        for agreement in _by_id(world.agreements.values()):
            if not in_force(agreement, at) or {record.owner, person.org_id} - agreement.parties:
                continue
            if agreement.sensitive & visible:
                purposes = agreement.purposes if not restricted else purposes & agreement.purposes
                restricted, sensitive_under = True, agreement.id
                break
    return Sight(
        visible=visible,
        through=None if through is None else through.id,
        own=own,
        restricted=restricted,
        purposes=purposes,
        sensitive_under=sensitive_under,
    )


def oracle_can_read(
    world: World,
    person_id: uuid.UUID,
    record_id: uuid.UUID,
    purpose: Purpose | None,
    at: datetime,
) -> bool:
    """A restricted read states a purpose its agreement (or addressing) permits."""
    sight = oracle_sight(world, person_id, record_id, at)
    if sight is None:
        return False
    return not sight.restricted or (purpose is not None and purpose in sight.purposes)


# --- the same world as the engine's facts ---------------------------------------------------


def grant_of_agreement(agreement: Agreement) -> Grant:
    return Grant(
        id=str(agreement.id),
        title=agreement.title,
        version=agreement.version,
        state=agreement.state,
        parties=frozenset(str(p) for p in agreement.parties),
        tlp_ceiling=agreement.ceiling,
        covered=agreement.covered,
        sensitive=agreement.sensitive,
        purposes=agreement.purposes,
        effective_at=agreement.effective_at,
        expires_at=agreement.expires_at,
        retention=None
        if agreement.retention_days is None
        else timedelta(days=agreement.retention_days),
        cells=agreement.cells,
        onward_sharing=agreement.onward,
    )


def viewer_from_world(world: World, person_id: uuid.UUID) -> Viewer:
    """The viewer facts of a person, straight from the world (every agreement, in any state)."""
    person = world.people[person_id]
    return Viewer(
        person_id=str(person.id),
        org_id=str(person.org_id),
        org_vetted=world.orgs[person.org_id].vetted,
        cji_cleared=person.cji,
        group_ids=frozenset(str(t) for t in world.teams_of(person.org_id)),
        grants=tuple(
            grant_of_agreement(a)
            for a in _by_id(world.agreements.values())
            if person.org_id in a.parties
        ),
        active=person.active,
    )


def facts_of_record(record: RecordModel) -> RecordFacts:
    return RecordFacts(
        id=str(record.id),
        owner_org_id=str(record.owner),
        author_id=None if record.author is None else str(record.author),
        tlp=record.tlp,
        categories=record.categories,
        created_at=record.created_at,
        cells=record.cells,
        recipient_orgs=frozenset(str(o) for o in record.orgs),
        recipient_groups=frozenset(str(g) for g in record.groups),
        recipient_people=frozenset(str(p) for p in record.people),
    )


def actor_of(person: PersonFacts, world: World) -> Actor:
    return Actor(
        person_id=str(person.id),
        org_id=str(person.org_id),
        role=person.role,
        cji_cleared=person.cji,
        org_vetted=world.orgs[person.org_id].vetted,
    )


# --- hypothesis: small worlds with instants on the edges ------------------------------------


T = TypeVar("T")


def pick(items: Sequence[T], mask: int) -> frozenset[T]:
    return frozenset(item for i, item in enumerate(items) if mask >> i & 1)


def world_id(salt: int, what: str, n: int) -> uuid.UUID:
    digest = hashlib.blake2b(f"{salt}:{what}:{n}".encode(), digest_size=16).digest()
    return uuid.UUID(bytes=digest, version=4)


_MARKING_WEIGHTS = (
    Tlp.CLEAR,
    Tlp.GREEN,
    Tlp.AMBER,
    Tlp.AMBER,
    Tlp.AMBER,
    Tlp.AMBER_STRICT,
    Tlp.RED,
)
_VETTING_WEIGHTS = (VettingState.VETTED,) * 4 + (VettingState.PENDING, VettingState.SUSPENDED)
_STATE_WEIGHTS = (GrantState.ACTIVE,) * 4 + (GrantState.SUSPENDED, GrantState.TERMINATED)
_HOUR = timedelta(hours=1)


def _hours(draw: st.DrawFn, low: int, high: int) -> datetime:
    return T0 + draw(st.integers(low, high)) * _HOUR


def _agreement(draw: st.DrawFn, salt: int, n: int, org_ids: list[uuid.UUID]) -> Agreement:
    # Mostly two or three parties, covering general information, without an area: the
    # agreements that carry records, so that the properties meet them often.
    if len(org_ids) > 1 and draw(st.integers(0, 3)):
        parties = frozenset(
            draw(st.lists(st.sampled_from(org_ids), min_size=2, max_size=3, unique=True))
        )
    else:
        parties = pick(org_ids, draw(st.integers(1, 2 ** len(org_ids) - 1)))
    covered = pick(CATEGORIES, draw(st.integers(0, 63)) | (draw(st.integers(0, 3)) > 0))
    effective_at = _hours(draw, -10 * 24, 3 * 24)
    lasts = draw(st.none() | st.integers(-24, 15 * 24))
    cells = draw(st.none() | st.integers(0, 15)) if draw(st.integers(0, 2)) == 0 else None
    return Agreement(
        id=world_id(salt, "agreement", n),
        state=draw(st.sampled_from(_STATE_WEIGHTS)),
        parties=parties,
        ceiling=draw(st.sampled_from(_MARKING_WEIGHTS)),
        covered=covered,
        sensitive=covered & pick(CATEGORIES, draw(st.integers(0, 63))),
        purposes=pick(PURPOSES, draw(st.integers(0, 127))),
        effective_at=effective_at,
        expires_at=None if lasts is None else effective_at + lasts * _HOUR,
        retention_days=draw(st.none() | st.integers(0, 10)),
        cells=None if cells is None else pick([s[0] for s in SPOTS], cells),
        onward=draw(st.booleans()),
        title=f"Agreement {n}",
    )


def _recipients_for(
    draw: st.DrawFn, tlp: Tlp, world: World
) -> tuple[frozenset[uuid.UUID], frozenset[uuid.UUID], frozenset[uuid.UUID]]:
    """Recipients, mostly of the kinds the marking may address (the service allows no other).

    Now and then of any kind: were a record ever stored with recipients its marking cannot
    address, the rule must ignore them rather than let them see it.
    """
    org_ids, team_ids, people_ids = list(world.orgs), list(world.teams), list(world.people)
    kinds = {
        Tlp.AMBER: {"orgs", "teams", "people"},
        Tlp.AMBER_STRICT: {"orgs"},
        Tlp.RED: {"people"},
    }.get(tlp, set())
    if draw(st.integers(0, 7)) == 0:
        kinds = {"orgs", "teams", "people"}
    orgs = teams = people = frozenset[uuid.UUID]()
    if "orgs" in kinds and draw(st.integers(0, 2)) == 0:
        orgs = pick(org_ids, draw(st.integers(0, 2 ** len(org_ids) - 1)))
    if "teams" in kinds and team_ids and draw(st.integers(0, 2)) == 0:
        teams = pick(team_ids, draw(st.integers(0, 2 ** len(team_ids) - 1)))
    if "people" in kinds and draw(st.integers(0, 2)) == 0:
        people = pick(people_ids, draw(st.integers(0, 2 ** len(people_ids) - 1)))
    return orgs, teams, people


def _record(draw: st.DrawFn, salt: int, n: int, world: World) -> RecordModel:
    owner = draw(st.sampled_from(sorted(world.orgs)))
    members = sorted(p.id for p in world.people.values() if p.org_id == owner)
    author = draw(st.sampled_from(members)) if members else None
    tlp = draw(st.sampled_from(_MARKING_WEIGHTS))
    orgs, teams, people = _recipients_for(draw, tlp, world)
    spots = pick(SPOTS, draw(st.integers(0, 3)) if draw(st.booleans()) else 0)
    first = min(spots) if spots else None
    return RecordModel(
        id=world_id(salt, "record", n),
        owner=owner,
        author=author,
        tlp=tlp,
        categories=pick(CATEGORIES, draw(st.integers(1, 63))),
        created_at=_hours(draw, -10 * 24, 24),
        cells=frozenset(s[0] for s in spots),
        orgs=orgs,
        groups=teams,
        people=people,
        kind=("note", "bulletin")[n % 2],
        title=("Shoplifting ring", "Harbour fire", "Suspicious van")[n % 3],
        lat=None if first is None else first[1],
        lon=None if first is None else first[2],
    )


def _edges(world: World) -> dict[str, list[datetime]]:
    """Instants where the answer may change: starts, expiries and ends of retention."""
    edges: dict[str, set[datetime]] = {"start": set(), "expiry": set(), "retention": set()}
    for agreement in world.agreements.values():
        edges["start"].add(agreement.effective_at)
        if agreement.expires_at is not None:
            edges["expiry"].add(agreement.expires_at)
        if agreement.retention_days is None:
            continue
        for record in world.records.values():
            end = record.created_at + timedelta(days=agreement.retention_days)
            carried = record.tlp is Tlp.AMBER and record.owner in agreement.parties
            if carried and (in_force(agreement, end) or in_force(agreement, end - US)):
                edges["retention"].add(end)
    return {kind: sorted(instants) for kind, instants in edges.items() if instants}


@st.composite
def worlds(
    draw: st.DrawFn,
    *,
    max_orgs: int = 5,
    max_people: int = 6,
    max_grants: int = 4,
    max_records: int = 12,
    instants: int = 2,
) -> World:
    """A small world: a few organizations, people, groups, agreements and records."""
    salt = draw(st.integers(0, 2**32))
    world = World()
    for n in range(draw(st.integers(1, max_orgs))):
        org = Org(
            world_id(salt, "org", n),
            draw(st.sampled_from(_VETTING_WEIGHTS)),
            draw(st.sampled_from(tuple(Sector))),
        )
        world.orgs[org.id] = org
    org_ids = sorted(world.orgs)
    for n in range(draw(st.integers(1, max_people))):
        person = PersonFacts(
            id=world_id(salt, "person", n),
            org_id=draw(st.sampled_from(org_ids)),
            role=draw(st.sampled_from(tuple(Role))),
            cji=draw(st.booleans()),
            active=draw(st.sampled_from((True, True, True, False))),
        )
        world.people[person.id] = person
    for n in range(draw(st.integers(0, 2))):
        members = pick(org_ids, draw(st.integers(0, 2 ** len(org_ids) - 1)))
        team = Team(world_id(salt, "group", n), members)
        world.teams[team.id] = team
    for n in range(draw(st.integers(0, max_grants))):
        agreement = _agreement(draw, salt, n, org_ids)
        world.agreements[agreement.id] = agreement
    # Records cost little next to people (each person is a few queries): mostly many of them.
    fewest = 1 if draw(st.integers(0, 3)) == 0 else max(1, max_records // 2)
    for n in range(draw(st.integers(fewest, max_records))):
        record = _record(draw, salt, n, world)
        world.records[record.id] = record
    edges = {"now": [T0], **_edges(world)}
    nudge = st.sampled_from((-US, timedelta(0), timedelta(0), US, -_HOUR, _HOUR, 3 * 24 * _HOUR))
    world.instants = tuple(
        draw(st.sampled_from(edges[draw(st.sampled_from(sorted(edges)))])) + draw(nudge)
        for _ in range(instants)
    )
    return world


# --- into the database ----------------------------------------------------------------------


def _stamp(at: datetime) -> dict[str, datetime]:
    return {"created_at": at, "updated_at": at}


def insert_world(session: Session, world: World) -> None:
    """Write `world` with bulk inserts in the session's transaction."""
    at = T0 - timedelta(days=400)
    _bulk(
        session,
        Organization,
        [
            {
                "id": o.id,
                "name": f"World organization {o.id.hex}",
                "short_name": o.id.hex[:8],
                "sector": o.sector,
                "kind": OrgKind.OTHER,
                "vetting_state": o.vetting,
                **_stamp(at),
            }
            for o in world.orgs.values()
        ],
    )
    _bulk(
        session,
        Person,
        [
            {
                "id": p.id,
                "org_id": p.org_id,
                "email": f"{p.id.hex}@example.org",
                "display_name": f"Person {p.id.hex[:6]}",
                "role": p.role,
                "cji_cleared": p.cji,
                "is_active": p.active,
                "created_at": at,
            }
            for p in world.people.values()
        ],
    )
    _bulk(
        session,
        Group,
        [
            {"id": t.id, "name": f"World group {t.id.hex}", "created_at": at}
            for t in world.teams.values()
        ],
    )
    _bulk(
        session,
        GroupMember,
        [
            {"group_id": t.id, "org_id": o, "added_at": at}
            for t in world.teams.values()
            for o in sorted(t.members)
        ],
    )
    _bulk(session, SharingGrant, [_grant_row(a, at) for a in world.agreements.values()])
    _bulk(
        session,
        GrantParty,
        [
            {"grant_id": a.id, "org_id": p}
            for a in world.agreements.values()
            for p in sorted(a.parties)
        ],
    )
    _bulk(
        session,
        GrantCell,
        [
            {"grant_id": a.id, "cell": c}
            for a in world.agreements.values()
            for c in sorted(a.cells or ())
        ],
    )
    _bulk(session, SharedRecord, [_record_row(r) for r in world.records.values()])
    _bulk(
        session,
        RecordRecipient,
        [
            {
                "record_id": r.id,
                "kind": kind,
                "target_id": t,
                "record_created_at": r.created_at,
                "added_at": at,
                "added_by_org_id": r.owner,
            }
            for r in world.records.values()
            for kind, targets in _addressed(r)
            for t in sorted(targets)
        ],
    )
    _bulk(
        session,
        RecordCell,
        [{"record_id": r.id, "cell": c} for r in world.records.values() for c in sorted(r.cells)],
    )


def _bulk(session: Session, model: type[Base], rows: list[dict[str, object]]) -> None:
    # Core inserts on the tables: the ORM's bulk path costs more than the database here.
    table = model.__table__
    assert isinstance(table, Table)
    if rows:
        session.execute(insert(table), rows)


def _addressed(record: RecordModel) -> list[tuple[RecipientKind, frozenset[uuid.UUID]]]:
    return [
        (RecipientKind.ORGANIZATION, record.orgs),
        (RecipientKind.GROUP, record.groups),
        (RecipientKind.PERSON, record.people),
    ]


def _grant_row(agreement: Agreement, at: datetime) -> dict[str, object]:
    return {
        "id": agreement.id,
        "title": agreement.title,
        "version": agreement.version,
        "state": agreement.state,
        "tlp_ceiling": agreement.ceiling,
        "covered_mask": _mask(agreement.covered),
        "sensitive_mask": _mask(agreement.sensitive),
        "purposes": sorted(p.value for p in agreement.purposes),
        "effective_at": agreement.effective_at,
        "expires_at": agreement.expires_at,
        "retention_days": agreement.retention_days,
        "has_area": agreement.cells is not None,
        "party_ids": sorted(str(p) for p in agreement.parties),
        "area_cells": None if agreement.cells is None else sorted(agreement.cells),
        "onward_sharing": agreement.onward,
        "updated_at": at,
    }


def _record_row(record: RecordModel) -> dict[str, object]:
    return {
        "id": record.id,
        "kind": record.kind,
        "owner_org_id": record.owner,
        "author_id": record.author,
        "tlp": record.tlp,
        "categories_mask": _mask(record.categories),
        "title": record.title,
        "summary": record.summary,
        "summary_category": record.summary_category,
        "lat": record.lat,
        "lon": record.lon,
        "geometry": None,
        "created_at": record.created_at,
        "updated_at": record.created_at,
    }


def _mask(categories: Iterable[Category]) -> int:
    # The stored mask: bit i is the i-th category in the order the enumeration declares them.
    return sum(1 << CATEGORIES.index(c) for c in set(categories))
