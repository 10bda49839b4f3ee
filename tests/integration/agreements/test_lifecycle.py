"""An agreement's life on a real database: drafted, proposed, signed, enforced, ended."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.agreements_factories import (
    admin_of,
    code_for,
    enrol_mfa,
    make_agreement,
    standard_terms,
)
from tests.factories import AT, actor_of
from tests.integration.agreements.conftest import World, actions, agreement, read, sees, share

from accord.agreements import service, signing
from accord.agreements.domain import AgreementKind, AgreementStatus, VersionState
from accord.agreements.models import AgreementVersion
from accord.core.db import Database
from accord.core.errors import Conflict, Forbidden, Invalid, NotFound
from accord.settings import Settings
from accord.sharing.domain import GrantState, Tlp
from accord.sharing.models import SharingGrant, SharingRead


def _draft(db: Database, world: World, **terms: object) -> object:
    return service.draft_agreement(
        db,
        actor=actor_of(world.coordinator),
        at=AT,
        kind=AgreementKind.INFORMATION_SHARING,
        title="Harbour district information sharing",
        terms=standard_terms(**terms),
        organizations=[world.police.id, world.guards.id],
    )


def _sign(db: Database, settings: Settings, person, agreement_id, digest, at=AT) -> bool:
    secret = enrol_mfa(db, settings, person, at)
    return signing.sign(
        db,
        settings,
        actor=actor_of(person),
        at=at,
        agreement_id=agreement_id,
        digest=digest,
        code=code_for(secret, at),
    ).in_force


def test_the_coordinator_drafts_both_parties_sign_and_it_takes_effect(
    db: Database, settings: Settings, world: World
) -> None:
    agreement_id = _draft(db, world)
    assert agreement(db, agreement_id).status is AgreementStatus.DRAFT
    digest = service.propose(
        db, actor=actor_of(world.coordinator), at=AT, agreement_id=agreement_id
    )
    assert agreement(db, agreement_id).status is AgreementStatus.PROPOSED

    assert _sign(db, settings, world.police_admin, agreement_id, digest) is False
    with db.reading() as s:
        assert s.get(SharingGrant, agreement_id) is None  # not in force before every party signs
    assert _sign(db, settings, world.guards_admin, agreement_id, digest) is True

    row = agreement(db, agreement_id)
    assert (row.status, row.current_version) == (AgreementStatus.ACTIVE, 1)
    with db.reading() as s:
        grant = s.get_one(SharingGrant, agreement_id)
        assert (grant.state, grant.version, grant.tlp_ceiling) == (GrantState.ACTIVE, 1, Tlp.AMBER)
    assert actions(db, agreement_id) == [
        "agreement.drafted",
        "agreement.proposed",
        "agreement.signed",
        "agreement.signed",
        "agreement.activated",
    ]


def test_terminating_refuses_the_guard_companys_next_read_of_an_amber_note(
    db: Database, settings: Settings, world: World
) -> None:
    note = share(db, world.officer, Tlp.AMBER)
    assert note not in sees(db, world.guard, AT)  # no agreement yet
    agreement_id = make_agreement(db, settings, parties=[world.police, world.guards])
    assert note in sees(db, world.guard, AT)
    assert read(db, world.guard, note, AT).access.grant is not None
    assert note not in sees(db, world.stranger, AT)

    service.terminate(
        db,
        actor=actor_of(world.police_admin),
        at=AT,
        agreement_id=agreement_id,
        reason="The guard company lost its state licence.",
    )

    with pytest.raises(NotFound):
        read(db, world.guard, note, AT)
    assert note not in sees(db, world.guard, AT)
    with db.reading() as s:
        assert s.get_one(SharingGrant, agreement_id).state is GrantState.TERMINATED
        outcomes = [r.outcome for r in s.query(SharingRead).order_by(SharingRead.at)]
    assert outcomes == ["read", "refused"]
    row = agreement(db, agreement_id)
    assert row.status is AgreementStatus.TERMINATED
    assert row.status_reason == "The guard company lost its state licence."


def test_suspending_hides_records_at_once_and_resuming_shows_them_again(
    db: Database, settings: Settings, world: World
) -> None:
    note = share(db, world.officer, Tlp.AMBER)
    agreement_id = make_agreement(db, settings, parties=[world.police, world.guards])
    coordinator = actor_of(world.coordinator)
    service.suspend(
        db, actor=coordinator, at=AT, agreement_id=agreement_id, reason="Audit under way."
    )
    assert note not in sees(db, world.guard, AT)
    with pytest.raises(Conflict, match="suspended agreement cannot be suspended"):
        service.suspend(db, actor=coordinator, at=AT, agreement_id=agreement_id, reason="again")
    service.resume(db, actor=coordinator, at=AT, agreement_id=agreement_id, reason="Audit done.")
    assert note in sees(db, world.guard, AT)
    assert actions(db, agreement_id)[-2:] == ["agreement.suspended", "agreement.resumed"]


def test_a_change_of_status_needs_a_reason(db: Database, settings: Settings, world: World) -> None:
    agreement_id = make_agreement(db, settings, parties=[world.police, world.guards])
    with pytest.raises(Invalid) as refused:
        service.terminate(
            db, actor=actor_of(world.police_admin), at=AT, agreement_id=agreement_id, reason=" "
        )
    assert refused.value.extensions["errors"][0]["field"] == "reason"


def test_the_agreement_expires_at_the_instant(
    db: Database, settings: Settings, world: World
) -> None:
    expiry = AT + timedelta(days=10)
    note = share(db, world.officer, Tlp.AMBER)
    agreement_id = make_agreement(
        db, settings, parties=[world.police, world.guards], terms=standard_terms(expires_at=expiry)
    )
    just_before = expiry - timedelta(seconds=1)
    assert note in sees(db, world.guard, just_before)
    assert note not in sees(db, world.guard, expiry)
    with pytest.raises(NotFound):
        read(db, world.guard, note, expiry)
    with db.reading() as s:
        from accord.agreements.queries import get_agreement

        assert get_agreement(s, actor_of(world.guard), agreement_id, just_before).status is (
            AgreementStatus.ACTIVE
        )
        assert get_agreement(s, actor_of(world.guard), agreement_id, expiry).status is (
            AgreementStatus.EXPIRED
        )
    with pytest.raises(Conflict, match="expired agreement cannot be suspended"):
        service.suspend(
            db,
            actor=actor_of(world.police_admin),
            at=expiry,
            agreement_id=agreement_id,
            reason="too late",
        )


def test_outsiders_are_told_the_agreement_does_not_exist(
    db: Database, settings: Settings, world: World
) -> None:
    agreement_id = make_agreement(db, settings, parties=[world.police, world.guards])
    for change in (service.suspend, service.terminate):
        with pytest.raises(NotFound):
            change(db, actor=actor_of(world.stranger), at=AT, agreement_id=agreement_id, reason="x")
    with pytest.raises(Forbidden):  # a member of a party, but not an admin
        service.suspend(
            db, actor=actor_of(world.guard), at=AT, agreement_id=agreement_id, reason="x"
        )


def test_an_org_admin_drafts_only_agreements_their_organization_is_party_to(
    db: Database, world: World
) -> None:
    with pytest.raises(Forbidden):
        service.draft_agreement(
            db,
            actor=actor_of(world.stranger),
            at=AT,
            kind=AgreementKind.MUTUAL_AID,
            title="Not ours to draft",
            terms=standard_terms(),
            organizations=[world.police.id, world.guards.id],
        )
    own = service.draft_agreement(
        db,
        actor=actor_of(world.police_admin),
        at=AT,
        kind=AgreementKind.MUTUAL_AID,
        title="Police and guards mutual aid",
        terms=standard_terms(),
        organizations=[world.police.id, world.guards.id],
    )
    assert agreement(db, own).drafted_by_org_id == world.police.id


def test_an_unvetted_party_is_refused_by_name(db: Database, world: World) -> None:
    with pytest.raises(Invalid) as refused:
        service.draft_agreement(
            db,
            actor=actor_of(world.coordinator),
            at=AT,
            kind=AgreementKind.ALARM_VERIFICATION,
            title="Alarm verification",
            terms=standard_terms(),
            organizations=[world.police.id, world.pending.id],
        )
    assert refused.value.extensions["errors"] == [
        {
            "field": "parties",
            "message": "Parties: Bayside Alarm Monitoring is not a vetted organization.",
        }
    ]


def test_impossible_terms_are_refused_naming_the_term(db: Database, world: World) -> None:
    with pytest.raises(Invalid) as refused:
        _draft(db, world, expires_at=AT - timedelta(days=5))
    assert refused.value.detail == "Expires: must be after the effective instant."
    assert refused.value.extensions["errors"][0]["field"] == "expires_at"
    with pytest.raises(Invalid, match="Parties: an agreement needs at least two"):
        service.draft_agreement(
            db,
            actor=actor_of(world.coordinator),
            at=AT,
            kind=AgreementKind.CAMERA_ACCESS,
            title="One party only",
            terms=standard_terms(),
            organizations=[world.police.id],
        )


def test_proposing_needs_an_expiry_still_ahead(db: Database, world: World) -> None:
    agreement_id = _draft(db, world, expires_at=AT + timedelta(hours=1))
    with pytest.raises(Invalid, match="Expires: the expiry instant has already passed"):
        service.propose(
            db,
            actor=actor_of(world.coordinator),
            at=AT + timedelta(hours=2),
            agreement_id=agreement_id,
        )


def test_a_group_party_expands_to_its_members_each_of_whom_signs(
    db: Database, settings: Settings, world: World
) -> None:
    from accord.orgs import groups

    council = groups.create_group(
        db, actor=actor_of(world.guards_admin), at=AT, name="Harbour Security Council"
    )
    groups.add_group_member(
        db, actor=actor_of(world.guards_admin), at=AT, group_id=council.id, org_id=world.outsider.id
    )
    agreement_id = service.draft_agreement(
        db,
        actor=actor_of(world.coordinator),
        at=AT,
        kind=AgreementKind.INFORMATION_SHARING,
        title="Police and the harbour council",
        terms=standard_terms(),
        organizations=[world.police.id],
        groups=[council.id],
    )
    digest = service.propose(
        db, actor=actor_of(world.coordinator), at=AT, agreement_id=agreement_id
    )
    with db.reading() as s:
        version = s.query(AgreementVersion).filter_by(agreement_id=agreement_id).one()
        via = {p.org_id: p.via_group_id for p in version.parties}
    assert via == {
        world.police.id: None,
        world.guards.id: council.id,
        world.outsider.id: council.id,
    }
    assert not _sign(db, settings, world.police_admin, agreement_id, digest)
    assert not _sign(db, settings, world.guards_admin, agreement_id, digest)
    assert _sign(db, settings, admin_of(db, world.outsider), agreement_id, digest)


def test_terminating_a_draft_abandons_it_without_a_grant(db: Database, world: World) -> None:
    agreement_id = _draft(db, world)
    service.terminate(
        db, actor=actor_of(world.coordinator), at=AT, agreement_id=agreement_id, reason="Dropped."
    )
    row = agreement(db, agreement_id)
    assert row.status is AgreementStatus.TERMINATED
    with db.reading() as s:
        assert s.get(SharingGrant, agreement_id) is None
        version = s.query(AgreementVersion).filter_by(agreement_id=agreement_id).one()
        assert version.state is VersionState.WITHDRAWN
