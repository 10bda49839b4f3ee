"""A rule-based machine shares, re-shares, revokes and re-marks; every step, each sees what is due.

The machine drives the real services on a real database: `sharing.service` shares records, adds
recipients (the owner, or a partner sharing onward under an agreement that allows it), removes
them, re-marks records and puts agreements in force, suspends and terminates them;
`orgs.people`, `orgs.groups` and `orgs.service` change roles, CJI clearance, accounts, group
membership and vetting; and the clock moves, often onto the very instant an agreement starts or
expires or a retention period ends. It keeps its own shadow of the world, and predicts from the
written rules whether each change is allowed. After every step an invariant checks, for every
person, that `access.visible_ids` is exactly what `tests.sharing_worlds.oracle_sight` lets them
see at that instant; rules also read single records (NotFound exactly when unseen, a purpose
when restricted, each restricted read counted and audited) and page through the feed.

It runs 25 sequences of up to 30 steps per engine; for a longer run set both::

    ACCORD_SHARING_RUNS=200 ACCORD_SHARING_STEPS=60 python -m pytest -p no:cacheprovider -q \
        tests/integration/sharing/test_stateful.py
"""

from __future__ import annotations

import os
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, ClassVar

import h3
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select
from tests.sharing_worlds import (
    CATEGORIES,
    MARKINGS,
    PURPOSES,
    SPOTS,
    T0,
    Agreement,
    Org,
    PersonFacts,
    RecordModel,
    Team,
    World,
    actor_of,
    insert_world,
    oracle_can_read,
    oracle_sight,
    pick,
    world_id,
)

from accord.core.audit.models import AuditEntry
from accord.core.db import Base, Database
from accord.core.errors import AccordError, Conflict, Forbidden, Invalid, NotFound
from accord.orgs import groups as org_groups
from accord.orgs import people as org_people
from accord.orgs import service as org_service
from accord.orgs.domain import Role, Sector, VettingState
from accord.sharing import access, service
from accord.sharing.domain import Category, GrantState, Purpose, RecipientKind, Tlp, access_of
from accord.sharing.models import SharedRecord, SharingRead

Refusal = type[Exception] | None  # what the rules expect a change to end in
RUNS = int(os.environ.get("ACCORD_SHARING_RUNS", "25"))
STEPS = int(os.environ.get("ACCORD_SHARING_STEPS", "30"))
US = timedelta(microseconds=1)
ADMINS = (Role.ORG_ADMIN, Role.PLATFORM_ADMIN)
# Which recipients each marking may address (TLP 2.0, as the issue states it).
ADDRESSABLE = {
    Tlp.AMBER: {RecipientKind.ORGANIZATION, RecipientKind.GROUP, RecipientKind.PERSON},
    Tlp.AMBER_STRICT: {RecipientKind.ORGANIZATION},
    Tlp.RED: {RecipientKind.PERSON},
}


def _cast() -> World:
    """Port City's police, a guard company, the mall, an alarm company not yet vetted."""
    world = World()
    police, guards, mall, riverside = (world_id(0, "org", n) for n in range(4))
    for org_id, vetting, sector in (
        (police, VettingState.VETTED, Sector.PUBLIC),
        (guards, VettingState.VETTED, Sector.PRIVATE),
        (mall, VettingState.VETTED, Sector.PRIVATE),
        (riverside, VettingState.PENDING, Sector.PRIVATE),
    ):
        world.orgs[org_id] = Org(org_id, vetting, sector)
    for n, (org_id, role, cji) in enumerate(
        (
            (police, Role.ANALYST, True),  # the detective
            (police, Role.ORG_ADMIN, False),  # the sergeant
            (guards, Role.ANALYST, False),  # the guard
            (guards, Role.ORG_ADMIN, True),  # the guard company's manager
            (mall, Role.DISPATCHER, False),  # the mall's control room
            (mall, Role.VIEWER, False),  # the mall's trainee
            (riverside, Role.ANALYST, False),  # the alarm operator
        )
    ):
        person = PersonFacts(world_id(0, "person", n), org_id, role, cji, True)
        world.people[person.id] = person
    council = Team(world_id(0, "group", 0), frozenset({guards, mall}))
    safety = Team(world_id(0, "group", 1), frozenset({police}))
    world.teams = {council.id: council, safety.id: safety}
    return world


def _area(cells: frozenset[int]) -> dict[str, Any]:
    """A MultiPolygon inside exactly `cells`: each cell's outline drawn a tenth smaller."""
    polygons = []
    for cell in sorted(cells):
        name = h3.int_to_str(cell)
        lat0, lng0 = h3.cell_to_latlng(name)
        ring = [
            [lng0 + 0.9 * (lng - lng0), lat0 + 0.9 * (lat - lat0)]
            for lat, lng in h3.cell_to_boundary(name)
        ]
        polygons.append([[*ring, ring[0]]])
    return {"type": "MultiPolygon", "coordinates": polygons}


def _empty(db: Database) -> None:
    with db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


class SharingMachine(RuleBasedStateMachine):
    db: ClassVar[Database]

    def __init__(self) -> None:
        super().__init__()
        self.world = _cast()
        self.now = T0
        self.made = 0

    # --- set-up and the shadow's helpers ----------------------------------------------------

    @initialize(data=st.data())
    def build_the_world(self, data: st.DataObject) -> None:
        """The cast, an agreement between the police and the guards, and a few notes."""
        with self.db.transaction() as session:
            insert_world(session, self.world)
        police, guards, mall, _ = (world_id(0, "org", n) for n in range(4))
        detective, _, guard, manager, *_ = (world_id(0, "person", n) for n in range(7))
        self._put(
            Agreement(
                id=self._new_id("grant"),
                state=GrantState.ACTIVE,
                parties=frozenset({police, guards}),
                ceiling=Tlp.AMBER,
                covered=frozenset({Category.GENERAL, Category.PERSONAL_DATA}),
                sensitive=frozenset({Category.PERSONAL_DATA}),
                purposes=frozenset({Purpose.INVESTIGATION, Purpose.CRIME_PREVENTION}),
                effective_at=self.now - timedelta(days=1),
                expires_at=self.now + data.draw(st.integers(1, 10)) * timedelta(days=1),
                retention_days=data.draw(st.none() | st.integers(0, 5)),
                onward=True,  # amendments and new agreements through the rules may say no
            )
        )
        general, personal = frozenset({Category.GENERAL}), frozenset({Category.PERSONAL_DATA})
        video = frozenset({Category.VIDEO})
        people = self.world.people
        to_guard = [service.Recipient(RecipientKind.PERSON, guard)]
        to_mall = [service.Recipient(RecipientKind.ORGANIZATION, mall)]
        for author, tlp, categories, recipients in (
            (detective, Tlp.AMBER, general, []),
            (detective, Tlp.AMBER, general | video, []),
            (detective, Tlp.AMBER, general | personal, []),
            (detective, Tlp.AMBER, general | frozenset({Category.CJI}), []),
            (detective, Tlp.RED, general, to_guard),
            (detective, Tlp.AMBER_STRICT, general, to_mall),
            (manager, Tlp.AMBER, general | personal, []),
        ):
            self._share(people[author], tlp, categories, recipients, SPOTS[0])

    def teardown(self) -> None:
        _empty(self.db)

    def _new_id(self, what: str) -> uuid.UUID:
        self.made += 1
        return world_id(1, what, self.made)

    def _person(self, data: st.DataObject, prefer: Any = None) -> PersonFacts:
        """Anyone, though mostly someone `prefer` picks, so that changes mostly get through."""
        people = sorted(self.world.people.values(), key=lambda p: p.id)
        preferred = [p for p in people if prefer(p)] if prefer is not None else []
        if preferred and data.draw(st.integers(0, 3)) > 0:
            people = preferred
        return data.draw(st.sampled_from(people))

    def _record(self, data: st.DataObject, prefer: Any = None) -> RecordModel | None:
        """Any record, though mostly one `prefer` picks."""
        records = sorted(self.world.records.values(), key=lambda r: r.id)
        preferred = [r for r in records if prefer(r)] if prefer is not None else []
        if preferred and data.draw(st.integers(0, 3)) > 0:
            records = preferred
        return data.draw(st.sampled_from(records)) if records else None

    def _recipients(self, data: st.DataObject, tlp: Tlp) -> list[service.Recipient]:
        """One or two recipients, mostly of kinds the marking may address."""
        choices = [
            *((RecipientKind.ORGANIZATION, o) for o in sorted(self.world.orgs)),
            *((RecipientKind.GROUP, t) for t in sorted(self.world.teams)),
            *((RecipientKind.PERSON, p) for p in sorted(self.world.people)),
        ]
        fitting = [c for c in choices if c[0] in ADDRESSABLE.get(tlp, set())]
        if fitting and data.draw(st.integers(0, 3)) > 0:
            choices = fitting
        drawn = data.draw(st.lists(st.sampled_from(choices), min_size=1, max_size=2))
        return [service.Recipient(kind, target) for kind, target in drawn]

    def _fits(self, tlp: Tlp, recipients: list[service.Recipient]) -> bool:
        """The marking may address them, organizations are vetted and people active."""
        for r in recipients:
            if r.kind not in ADDRESSABLE.get(tlp, set()):
                return False
            if r.kind is RecipientKind.ORGANIZATION and not self.world.orgs[r.id].vetted:
                return False
            if r.kind is RecipientKind.PERSON and not self.world.people[r.id].active:
                return False
        return True

    def _may_share(self, person: PersonFacts, categories: frozenset[Category]) -> bool:
        """Active, not a viewer, of a vetted organization, cleared for any CJI it shares."""
        return (
            person.active
            and person.role is not Role.VIEWER
            and self.world.orgs[person.org_id].vetted
            and (Category.CJI not in categories or person.cji)
        )

    def _reaches(self, person: PersonFacts, recipients: list[service.Recipient]) -> bool:
        """Some recipient is the person's own organization, a group of it, or a colleague."""
        org = person.org_id
        for r in recipients:
            if r.kind is RecipientKind.ORGANIZATION and r.id == org:
                return True
            if r.kind is RecipientKind.GROUP and org in self.world.teams[r.id].members:
                return True
            if r.kind is RecipientKind.PERSON and self.world.people[r.id].org_id == org:
                return True
        return False

    def _sees(self, person: PersonFacts, record: RecordModel) -> bool:
        return oracle_sight(self.world, person.id, record.id, self.now) is not None

    def _partner(self, person: PersonFacts, record: RecordModel) -> bool:
        """The person sees the record through an agreement."""
        sight = oracle_sight(self.world, person.id, record.id, self.now)
        return sight is not None and sight.through is not None

    def _changer(self, person: PersonFacts, record: RecordModel) -> Refusal:
        """Who may change a record's recipients or marking: the owner's author or admins."""
        if oracle_sight(self.world, person.id, record.id, self.now) is None:
            return NotFound
        if person.org_id != record.owner:
            return Forbidden
        if person.id != record.author and person.role not in ADMINS:
            return Forbidden
        return None

    def _attempt(self, expected: Refusal, change: Any) -> bool:
        """Run `change` in a transaction; it fails with exactly `expected`, or succeeds."""
        event(f"{change.__qualname__.split('.')[1]}: {expected.__name__ if expected else 'done'}")
        refused: AccordError | None = None
        try:
            with self.db.transaction() as session:
                change(session)
        except AccordError as error:
            refused = error
        if refused is None:
            assert expected is None, f"allowed, but the rules say {expected}"
            return True
        assert type(refused) is expected, f"refused with {refused!r}, the rules say {expected}"
        return False

    # --- sharing ----------------------------------------------------------------------------

    @rule(data=st.data())
    def share(self, data: st.DataObject) -> None:
        author = self._person(data, lambda p: self._may_share(p, frozenset()))
        tlp = data.draw(st.sampled_from(MARKINGS))
        categories = pick(CATEGORIES, data.draw(st.sampled_from((1, 3, 9)) | st.integers(1, 63)))
        recipients = self._recipients(data, tlp) if data.draw(st.booleans()) else []
        spot = data.draw(st.none() | st.sampled_from(SPOTS))
        self._share(author, tlp, categories, recipients, spot)

    def _share(
        self,
        author: PersonFacts,
        tlp: Tlp,
        categories: frozenset[Category],
        recipients: list[service.Recipient],
        spot: tuple[int, float, float] | None,
    ) -> None:
        expected: Refusal = None
        if not self._may_share(author, categories):
            expected = Forbidden
        elif not self._fits(tlp, recipients):
            expected = Invalid
        record_id = self._new_id("record")

        def change(session: Any) -> None:
            service.share_record(
                session,
                actor=actor_of(author, self.world),
                kind="note",
                tlp=tlp,
                categories=categories,
                title="Suspicious van at the harbour",
                summary="Seen twice near the loading dock",
                summary_category=min(categories, key=CATEGORIES.index),
                place=None if spot is None else service.Place(lat=spot[1], lon=spot[2]),
                recipients=recipients,
                at=self.now,
                record_id=record_id,
            )

        if self._attempt(expected, change):
            self.world.records[record_id] = RecordModel(
                id=record_id,
                owner=author.org_id,
                author=author.id,
                tlp=tlp,
                categories=categories,
                created_at=self.now,
                cells=frozenset() if spot is None else frozenset({spot[0]}),
                orgs=frozenset(r.id for r in recipients if r.kind is RecipientKind.ORGANIZATION),
                groups=frozenset(r.id for r in recipients if r.kind is RecipientKind.GROUP),
                people=frozenset(r.id for r in recipients if r.kind is RecipientKind.PERSON),
            )

    @rule(data=st.data())
    def add_recipients(self, data: st.DataObject) -> None:
        record = self._record(data, lambda r: r.tlp is Tlp.AMBER)
        if record is None:
            return
        if data.draw(st.booleans()):  # the owner's authors and administrators
            person = self._person(data, lambda p: self._changer(p, record) is None)
        else:
            person = self._person(data, lambda p: self._sees(p, record))
        self._add(person, record, self._recipients(data, record.tlp))

    @rule(data=st.data())
    def share_onward(self, data: st.DataObject) -> None:
        """A partner that sees a record under an agreement addresses others, or its own."""
        pairs = [
            (p, r)
            for r in sorted(self.world.records.values(), key=lambda r: r.id)
            for p in sorted(self.world.people.values(), key=lambda p: p.id)
            if self._partner(p, r)
        ]
        if not pairs:
            return
        person, record = data.draw(st.sampled_from(pairs))
        teams = sorted(self.world.teams.values(), key=lambda t: t.id)
        choices = [
            *(
                service.Recipient(RecipientKind.ORGANIZATION, o)
                for o in sorted(self.world.orgs)
                if self.world.orgs[o].vetted
            ),
            *(service.Recipient(RecipientKind.GROUP, t.id) for t in teams),
            *(
                service.Recipient(RecipientKind.PERSON, p.id)
                for p in sorted(self.world.people.values(), key=lambda p: p.id)
                if p.active
            ),
        ]
        self._add(person, record, [data.draw(st.sampled_from(choices))])

    def _add(
        self, person: PersonFacts, record: RecordModel, recipients: list[service.Recipient]
    ) -> None:
        sight = oracle_sight(self.world, person.id, record.id, self.now)
        expected: Refusal = None
        if sight is None:
            expected = NotFound
        elif sight.own:
            expected = self._changer(person, record)
        elif sight.through is None:
            expected = Forbidden  # seen by its marking or by addressing: not the partner's to pass
        elif not self.world.agreements[sight.through].onward:
            event("add_recipients: onward sharing not allowed")
            expected = Forbidden
        elif sight.visible != record.categories or self._reaches(person, recipients):
            event("add_recipients: onward, withheld parts or own organization")
            expected = Forbidden  # partners pass on only what they were given, to others
        else:
            event("add_recipients: onward sharing allowed")
        if expected is None and not self._may_share(person, record.categories):
            expected = Forbidden
        if expected is None and not self._fits(record.tlp, recipients):
            expected = Invalid

        def change(session: Any) -> None:
            service.add_recipients(
                session,
                actor=actor_of(person, self.world),
                record_id=record.id,
                recipients=recipients,
                at=self.now,
            )

        if self._attempt(expected, change):
            self.world.records[record.id] = replace(
                record,
                orgs=record.orgs
                | {r.id for r in recipients if r.kind is RecipientKind.ORGANIZATION},
                groups=record.groups | {r.id for r in recipients if r.kind is RecipientKind.GROUP},
                people=record.people | {r.id for r in recipients if r.kind is RecipientKind.PERSON},
            )

    @rule(data=st.data())
    def remove_recipient(self, data: st.DataObject) -> None:
        record = self._record(data, lambda r: bool(r.orgs or r.groups or r.people))
        if record is None:
            return
        person = self._person(data, lambda p: self._changer(p, record) is None)
        addressed = [
            *((RecipientKind.ORGANIZATION, o) for o in sorted(record.orgs)),
            *((RecipientKind.GROUP, g) for g in sorted(record.groups)),
            *((RecipientKind.PERSON, p) for p in sorted(record.people)),
        ]
        if addressed and data.draw(st.integers(0, 4)) > 0:
            kind, target = data.draw(st.sampled_from(addressed))
        else:
            kind, target = RecipientKind.ORGANIZATION, sorted(self.world.orgs)[0]
        expected = self._changer(person, record)
        if expected is None and (kind, target) not in addressed:
            expected = NotFound

        def change(session: Any) -> None:
            service.remove_recipient(
                session,
                actor=actor_of(person, self.world),
                record_id=record.id,
                recipient=service.Recipient(kind, target),
                at=self.now,
            )

        if self._attempt(expected, change):
            field = {
                RecipientKind.ORGANIZATION: "orgs",
                RecipientKind.GROUP: "groups",
                RecipientKind.PERSON: "people",
            }[kind]
            remaining = getattr(record, field) - {target}
            self.world.records[record.id] = replace(record, **{field: remaining})

    @rule(data=st.data())
    def change_marking(self, data: st.DataObject) -> None:
        record = self._record(data)
        if record is None:
            return
        person = self._person(data, lambda p: self._changer(p, record) is None)
        tlp = data.draw(st.sampled_from(MARKINGS))
        expected = self._changer(person, record)
        wider = MARKINGS.index(tlp) < MARKINGS.index(record.tlp)
        if expected is None and wider and not self._may_share(person, record.categories):
            expected = Forbidden
        kinds = {
            kind
            for kind, targets in (
                (RecipientKind.ORGANIZATION, record.orgs),
                (RecipientKind.GROUP, record.groups),
                (RecipientKind.PERSON, record.people),
            )
            if targets
        }
        if expected is None and kinds - ADDRESSABLE.get(tlp, set()):
            expected = Invalid

        def change(session: Any) -> None:
            service.change_marking(
                session,
                actor=actor_of(person, self.world),
                record_id=record.id,
                tlp=tlp,
                at=self.now,
            )

        if self._attempt(expected, change):
            self.world.records[record.id] = replace(record, tlp=tlp)

    # --- agreements -------------------------------------------------------------------------

    @rule(data=st.data())
    def put_agreement(self, data: st.DataObject) -> None:
        existing = sorted(self.world.agreements)
        amend = bool(existing) and data.draw(st.booleans())
        agreement_id = data.draw(st.sampled_from(existing)) if amend else self._new_id("grant")
        version = self.world.agreements[agreement_id].version + 1 if amend else 1
        org_ids = sorted(self.world.orgs)
        covered = pick(CATEGORIES, data.draw(st.integers(1, 63)))
        effective_at = self.now + data.draw(st.integers(-48, 48)) * timedelta(hours=1)
        lasts = data.draw(st.none() | st.integers(1, 240))
        cells = data.draw(st.none() | st.integers(1, 15))
        agreement = Agreement(
            id=agreement_id,
            state=data.draw(st.sampled_from(tuple(GrantState))),
            parties=pick(org_ids, data.draw(st.integers(1, 2 ** len(org_ids) - 1))),
            ceiling=data.draw(st.sampled_from(MARKINGS)),
            covered=covered,
            sensitive=covered & pick(CATEGORIES, data.draw(st.integers(0, 63))),
            purposes=pick(PURPOSES, data.draw(st.integers(0, 127))),
            effective_at=effective_at,
            expires_at=None if lasts is None else effective_at + lasts * timedelta(hours=1),
            retention_days=data.draw(st.none() | st.integers(0, 10)),
            cells=None if cells is None else pick([s[0] for s in SPOTS], cells),
            onward=data.draw(st.booleans()),
            title=f"Agreement {agreement_id.hex[:6]}",
            version=version,
        )
        self._put(agreement)

    def _put(self, agreement: Agreement) -> None:
        terms = service.GrantTerms(
            agreement_id=agreement.id,
            title=agreement.title,
            version=agreement.version,
            parties=agreement.parties,
            tlp_ceiling=agreement.ceiling,
            covered=agreement.covered,
            sensitive=agreement.sensitive,
            purposes=agreement.purposes,
            effective_at=agreement.effective_at,
            expires_at=agreement.expires_at,
            retention_days=agreement.retention_days,
            area=None if agreement.cells is None else _area(agreement.cells),
            onward_sharing=agreement.onward,
        )
        with self.db.transaction() as session:
            service.put_grant(session, terms, state=agreement.state, at=self.now)
        self.world.agreements[agreement.id] = agreement

    @rule(data=st.data())
    def set_agreement_state(self, data: st.DataObject) -> None:
        if not self.world.agreements:
            return
        agreement = data.draw(st.sampled_from(sorted(self.world.agreements.values(), key=str)))
        state = data.draw(st.sampled_from(tuple(GrantState)))
        with self.db.transaction() as session:
            service.set_grant_state(session, agreement.id, state, at=self.now)
        self.world.agreements[agreement.id] = replace(agreement, state=state)

    # --- people, organizations, groups ------------------------------------------------------

    def _last_platform_admin(self, person: PersonFacts) -> bool:
        others = [
            p
            for p in self.world.people.values()
            if p.id != person.id and p.active and p.role is Role.PLATFORM_ADMIN
        ]
        return person.active and person.role is Role.PLATFORM_ADMIN and not others

    @rule(data=st.data())
    def change_role(self, data: st.DataObject) -> None:
        person = self._person(data)
        role = data.draw(st.sampled_from((Role.VIEWER, *Role)))  # viewers do not share
        if role is person.role:
            return
        expected = Conflict if self._last_platform_admin(person) else None
        try:
            org_people.change_role(self.db, actor=None, at=self.now, person_id=person.id, role=role)
        except Conflict:
            assert expected is Conflict
            return
        assert expected is None
        self.world.people[person.id] = replace(person, role=role)

    @rule(data=st.data())
    def change_clearance(self, data: st.DataObject) -> None:
        person = self._person(data)
        org_people.set_cji_clearance(
            self.db, actor=None, at=self.now, person_id=person.id, cleared=not person.cji
        )
        self.world.people[person.id] = replace(person, cji=not person.cji)

    @rule(data=st.data())
    def deactivate_or_reactivate(self, data: st.DataObject) -> None:
        person = self._person(data)
        if person.active:
            if self._last_platform_admin(person):
                return
            org_people.deactivate_person(self.db, actor=None, at=self.now, person_id=person.id)
        else:
            org_people.reactivate_person(self.db, actor=None, at=self.now, person_id=person.id)
        self.world.people[person.id] = replace(person, active=not person.active)

    @rule(data=st.data())
    def change_vetting(self, data: st.DataObject) -> None:
        org = data.draw(st.sampled_from(sorted(self.world.orgs.values(), key=lambda o: o.id)))
        state = data.draw(st.sampled_from([s for s in VettingState if s is not org.vetting]))
        org_service.change_vetting(
            self.db, actor=None, at=self.now, org_id=org.id, state=state, reason="review"
        )
        self.world.orgs[org.id] = replace(org, vetting=state)

    @rule(data=st.data())
    def join_or_leave_a_group(self, data: st.DataObject) -> None:
        team = data.draw(st.sampled_from(sorted(self.world.teams.values(), key=lambda t: t.id)))
        org = data.draw(st.sampled_from(sorted(self.world.orgs.values(), key=lambda o: o.id)))
        if org.id in team.members:
            org_groups.remove_group_member(
                self.db, actor=None, at=self.now, group_id=team.id, org_id=org.id
            )
            self.world.teams[team.id] = replace(team, members=team.members - {org.id})
            return
        try:
            org_groups.add_group_member(
                self.db, actor=None, at=self.now, group_id=team.id, org_id=org.id
            )
        except Conflict:
            assert not org.vetted  # only vetted organizations join groups
            return
        assert org.vetted
        self.world.teams[team.id] = replace(team, members=team.members | {org.id})

    # --- time -------------------------------------------------------------------------------

    def _edges(self) -> list[datetime]:
        """Instants ahead where an answer may change: starts, expiries, ends of retention."""
        edges = set()
        for agreement in self.world.agreements.values():
            edges.add(agreement.effective_at)
            if agreement.expires_at is not None:
                edges.add(agreement.expires_at)
            if agreement.retention_days is not None:
                for record in self.world.records.values():
                    edges.add(record.created_at + timedelta(days=agreement.retention_days))
        return sorted(e for e in edges if e > self.now)

    @rule(data=st.data())
    def advance_the_clock(self, data: st.DataObject) -> None:
        edges = self._edges()
        if edges and data.draw(st.booleans()) is True:
            edge = data.draw(st.sampled_from(edges))
            self.now = max(self.now, edge + data.draw(st.sampled_from((-US, timedelta(0)))))
        else:
            step = data.draw(
                st.sampled_from((US, timedelta(hours=1), timedelta(days=1), timedelta(days=7)))
            )
            self.now += step

    # --- reads ------------------------------------------------------------------------------

    @rule(data=st.data())
    def read_one(self, data: st.DataObject) -> None:
        record = self._record(data)
        if record is None:
            return
        person = self._person(data, lambda p: self._sees(p, record))
        purpose = data.draw(st.none() | st.sampled_from(tuple(Purpose)))
        sight = oracle_sight(self.world, person.id, record.id, self.now)
        allowed = oracle_can_read(self.world, person.id, record.id, purpose, self.now)
        before = self._reads(person.id, record.id)
        actor = actor_of(person, self.world)
        with_kind = "bulletin" if data.draw(st.integers(0, 9)) == 0 else "note"
        try:
            with self.db.transaction() as session:
                viewer = access.viewer_of(session, actor, self.now)
                read = access.read_visible(
                    session,
                    viewer,
                    actor,
                    record.id,
                    purpose,
                    self.now,
                    kind=with_kind,
                    actor_label="machine",
                )
        except NotFound:
            assert sight is None or with_kind != "note"
            return
        except access.PurposeRequired:
            assert sight is not None
            assert not allowed
            return
        assert sight is not None
        assert with_kind == "note"
        assert allowed
        assert read.access.visible == sight.visible
        assert self._reads(person.id, record.id) == before + (1 if sight.restricted else 0)

    def _reads(self, person_id: uuid.UUID, record_id: uuid.UUID) -> int:
        """Restricted reads recorded for accountability, and in the audit log, which agree."""
        with self.db.reading() as session:
            counted = session.scalar(
                select(func.count())
                .select_from(SharingRead)
                .where(
                    SharingRead.viewer_id == person_id,
                    SharingRead.record_id == record_id,
                    SharingRead.outcome == "read",
                )
            )
            audited = session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(
                    AuditEntry.action == "record.read_restricted",
                    AuditEntry.actor_id == person_id,
                    AuditEntry.target_id == str(record_id),
                )
            )
        assert counted == audited
        return counted or 0

    @rule(data=st.data())
    def page_through_the_feed(self, data: st.DataObject) -> None:
        person = self._person(data)
        tlps = tuple(data.draw(st.sets(st.sampled_from(MARKINGS), max_size=2)))
        category = data.draw(st.none() | st.sampled_from(CATEGORIES))
        since = data.draw(st.none() | st.sampled_from((T0, self.now)))
        query = access.FeedQuery(tlps=tlps, category=category, since=since)
        wanted = {
            rid
            for rid, r in self.world.records.items()
            if oracle_sight(self.world, person.id, rid, self.now) is not None
            and (not tlps or r.tlp in tlps)
            and (category is None or category in r.categories)
            and (since is None or r.created_at >= since)
        }
        seen: list[uuid.UUID] = []
        cursor = None
        with self.db.reading() as session:
            viewer = access.viewer_of(session, actor_of(person, self.world), self.now)
            while True:
                page = access.list_visible(
                    session,
                    viewer,
                    self.now,
                    query,
                    cursor=cursor,
                    limit=data.draw(st.integers(1, 4)),
                )
                seen += [item.record.id for item in page.items]
                cursor = page.next_cursor
                if cursor is None:
                    break
        assert len(seen) == len(set(seen))
        assert set(seen) == wanted

    # --- after every step -------------------------------------------------------------------

    @invariant()
    def everyone_sees_exactly_what_the_rules_permit(self) -> None:
        with self.db.reading() as session:
            facts = access.facts_of(session, list(session.scalars(select(SharedRecord))))
            for person in self.world.people.values():
                viewer = access.viewer_of(session, actor_of(person, self.world), self.now)
                sights = {
                    rid: oracle_sight(self.world, person.id, rid, self.now)
                    for rid in self.world.records
                }
                expected = {rid for rid, sight in sights.items() if sight is not None}
                got = access.visible_ids(session, viewer, self.now)
                assert got == expected, (person, self.now)
                for rid in got:  # and the pure rule shows each of them as the rules do
                    shown = access_of(viewer, facts[rid], self.now)
                    assert shown is not None
                    assert shown.visible == sights[rid].visible  # type: ignore[union-attr]


def test_what_each_person_sees_follows_the_rules_after_every_step(db: Database) -> None:
    machine = type("Machine", (SharingMachine,), {"db": db})
    run_state_machine_as_test(  # type: ignore[no-untyped-call]
        machine,
        settings=settings(
            max_examples=RUNS,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
