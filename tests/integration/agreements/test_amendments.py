"""Amendments: version n+1 is drafted and signed while version n stays in force."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from tests.agreements_factories import admin_of, code_for, enrol_mfa, make_agreement
from tests.factories import AT, actor_of
from tests.integration.agreements.conftest import World, agreement, share

from accord.agreements import service, signing
from accord.agreements.domain import AgreementKind, AgreementStatus, VersionState
from accord.agreements.models import AgreementVersion
from accord.agreements.queries import get_version, list_versions, version_diff
from accord.core.db import Database
from accord.core.errors import Conflict, Invalid
from accord.settings import Settings
from accord.sharing import access
from accord.sharing.domain import Category, GrantState, Purpose, Tlp
from accord.sharing.models import SharingGrant


def _sign_all(db: Database, settings: Settings, world: World, agreement_id: uuid.UUID, at) -> None:
    digest = service.propose(
        db, actor=actor_of(world.police_admin), at=at, agreement_id=agreement_id
    )
    for org in (world.police, world.guards):
        person = admin_of(db, org)
        secret = enrol_mfa(db, settings, person, at)
        signing.sign(
            db,
            settings,
            actor=actor_of(person),
            at=at,
            agreement_id=agreement_id,
            digest=digest,
            code=code_for(secret, at),
        )


def _redacted(db: Database, world: World, record_id: uuid.UUID, at) -> set[Category]:
    with db.reading() as s:
        viewer = access.viewer_of(s, actor_of(world.guard), at)
        return set(access.get_visible(s, viewer, record_id, at).access.redacted)


def _states(db: Database, agreement_id: uuid.UUID) -> list[tuple[int, VersionState]]:
    with db.reading() as s:
        rows = s.query(AgreementVersion).filter_by(agreement_id=agreement_id).order_by("number")
        return [(v.number, v.state) for v in rows]


def test_an_amendment_takes_effect_only_once_every_party_signs_it(
    db: Database, settings: Settings, world: World
) -> None:
    agreement_id = make_agreement(db, settings, parties=[world.police, world.guards])
    video = share(db, world.officer, Tlp.AMBER, frozenset({Category.GENERAL, Category.VIDEO}))
    assert _redacted(db, world, video, AT) == {Category.VIDEO}  # not covered by version 1

    later = AT + timedelta(minutes=5)
    number = service.amend(
        db,
        actor=actor_of(world.guards_admin),
        at=later,
        agreement_id=agreement_id,
        changes={
            "covered": frozenset({Category.GENERAL, Category.PERSONAL_DATA, Category.VIDEO}),
            "tlp_ceiling": Tlp.AMBER_STRICT,
            "expires_at": AT + timedelta(days=730),
        },
    )
    assert number == 2
    assert _states(db, agreement_id) == [(1, VersionState.IN_FORCE), (2, VersionState.DRAFT)]
    assert _redacted(db, world, video, later) == {Category.VIDEO}  # version 1 still in force
    with pytest.raises(Conflict, match="already being drafted"):
        service.amend(db, actor=actor_of(world.police_admin), at=later, agreement_id=agreement_id)

    _sign_all(db, settings, world, agreement_id, later)
    assert _states(db, agreement_id) == [(1, VersionState.SUPERSEDED), (2, VersionState.IN_FORCE)]
    assert _redacted(db, world, video, later) == set()
    row = agreement(db, agreement_id)
    assert (row.current_version, row.expires_at) == (2, AT + timedelta(days=730))
    with db.reading() as s:
        assert s.get_one(SharingGrant, agreement_id).version == 2
        lines = version_diff(s, actor_of(world.guard), agreement_id, 1, 2)
        assert [v.number for v in list_versions(s, actor_of(world.guard), agreement_id)] == [1, 2]
        _, first = get_version(s, actor_of(world.guard), agreement_id, 1)
        assert Category.VIDEO not in first.terms.covered  # every version stays viewable
    assert lines == [
        "Covered categories: + Video",
        "TLP ceiling: TLP:AMBER → TLP:AMBER+STRICT",
        "Expires: 2027-11-21 12:00 UTC → 2028-11-20 12:00 UTC",
    ]


def test_a_ceiling_below_amber_is_refused_while_amber_records_are_shared(
    db: Database, settings: Settings, world: World
) -> None:
    agreement_id = make_agreement(db, settings, parties=[world.police, world.guards])
    actor = actor_of(world.police_admin)
    share(db, world.officer, Tlp.AMBER, frozenset({Category.PERSONAL_DATA}))
    with pytest.raises(Invalid) as refused:
        service.amend(
            db, actor=actor, at=AT, agreement_id=agreement_id, changes={"tlp_ceiling": Tlp.GREEN}
        )
    assert refused.value.extensions["errors"] == [
        {
            "field": "tlp_ceiling",
            "message": "TLP ceiling: cannot go below TLP:AMBER while 1 TLP:AMBER record is "
            "shared under this agreement.",
        }
    ]
    # An amendment drafted first cannot be lowered afterwards either.
    service.amend(db, actor=actor, at=AT, agreement_id=agreement_id)
    with pytest.raises(Invalid, match="TLP ceiling"):
        service.update_draft(
            db, actor=actor, at=AT, agreement_id=agreement_id, changes={"tlp_ceiling": Tlp.CLEAR}
        )


def test_a_ceiling_may_drop_when_nothing_amber_is_shared_under_it(
    db: Database, settings: Settings, world: World
) -> None:
    agreement_id = make_agreement(db, settings, parties=[world.police, world.guards])
    share(db, world.officer, Tlp.AMBER, frozenset({Category.VIDEO}))  # not a covered category
    share(db, world.stranger, Tlp.AMBER)  # not owned by a party
    assert (
        service.amend(
            db,
            actor=actor_of(world.police_admin),
            at=AT,
            agreement_id=agreement_id,
            changes={"tlp_ceiling": Tlp.GREEN},
        )
        == 2
    )


def test_an_amendment_of_a_suspended_agreement_takes_effect_suspended(
    db: Database, settings: Settings, world: World
) -> None:
    agreement_id = make_agreement(
        db, settings, parties=[world.police, world.guards], status="suspended"
    )
    service.amend(
        db,
        actor=actor_of(world.coordinator),
        at=AT,
        agreement_id=agreement_id,
        changes={"purposes": frozenset({Purpose.EMERGENCY_RESPONSE})},
    )
    _sign_all(db, settings, world, agreement_id, AT + timedelta(minutes=1))
    assert agreement(db, agreement_id).status is AgreementStatus.SUSPENDED
    with db.reading() as s:
        grant = s.get_one(SharingGrant, agreement_id)
        assert (grant.version, grant.state) == (2, GrantState.SUSPENDED)


def test_terminating_withdraws_an_amendment_in_progress(
    db: Database, settings: Settings, world: World
) -> None:
    agreement_id = make_agreement(db, settings, parties=[world.police, world.guards])
    actor = actor_of(world.police_admin)
    service.amend(db, actor=actor, at=AT, agreement_id=agreement_id)
    service.propose(db, actor=actor, at=AT, agreement_id=agreement_id)
    service.terminate(db, actor=actor, at=AT, agreement_id=agreement_id, reason="Ended early.")
    assert _states(db, agreement_id) == [(1, VersionState.IN_FORCE), (2, VersionState.WITHDRAWN)]
    with pytest.raises(Conflict, match="terminated agreement cannot be amended"):
        service.amend(db, actor=actor, at=AT, agreement_id=agreement_id)


def test_a_withdrawn_amendment_makes_room_for_another(
    db: Database, settings: Settings, world: World
) -> None:
    agreement_id = make_agreement(db, settings, parties=[world.police, world.guards])
    actor = actor_of(world.guards_admin)
    service.amend(db, actor=actor, at=AT, agreement_id=agreement_id)
    service.withdraw_amendment(db, actor=actor, at=AT, agreement_id=agreement_id)
    assert service.amend(db, actor=actor, at=AT, agreement_id=agreement_id) == 3
    with pytest.raises(Invalid, match="Kind: an amendment keeps the kind"):
        service.update_draft(
            db, actor=actor, at=AT, agreement_id=agreement_id, kind=AgreementKind.MUTUAL_AID
        )
