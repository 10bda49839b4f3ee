"""Signing: only a party's admin, with a fresh two-step code, and only the terms proposed."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update
from tests.agreements_factories import code_for, enrol_mfa, make_agreement, standard_terms
from tests.factories import AT, actor_of, make_person
from tests.integration.agreements.conftest import World, actions, agreement

from accord.agreements import service, signing
from accord.agreements.domain import AgreementStatus, VersionState
from accord.agreements.models import AgreementSignature, AgreementVersion
from accord.core.db import Database
from accord.core.errors import Conflict, Forbidden, Invalid, NotFound, PayloadTooLarge
from accord.orgs.domain import Role, VettingState
from accord.orgs.service import change_vetting
from accord.settings import Settings
from accord.sharing.domain import Purpose

PDF = b"%PDF-1.7\n% the signed information-sharing agreement\n%%EOF\n"


def _proposed(db: Database, settings: Settings, world: World) -> tuple[uuid.UUID, str]:
    agreement_id = make_agreement(
        db, settings, parties=[world.police, world.guards], status="proposed"
    )
    with db.reading() as s:
        version = s.query(AgreementVersion).filter_by(agreement_id=agreement_id).one()
        assert version.proposed_digest is not None
        return agreement_id, version.proposed_digest


def _sign(db, settings, person, agreement_id, digest, code, at=AT):
    return signing.sign(
        db,
        settings,
        actor=actor_of(person),
        at=at,
        agreement_id=agreement_id,
        digest=digest,
        code=code,
    )


def test_an_admin_without_two_step_sign_in_cannot_sign(
    db: Database, settings: Settings, world: World
) -> None:
    agreement_id, digest = _proposed(db, settings, world)
    with pytest.raises(Forbidden, match="Signing needs two-step sign-in"):
        _sign(db, settings, world.police_admin, agreement_id, digest, "123456")


def test_a_wrong_code_is_refused_and_the_refusal_recorded(
    db: Database, settings: Settings, world: World
) -> None:
    agreement_id, digest = _proposed(db, settings, world)
    secret = enrol_mfa(db, settings, world.police_admin)
    wrong = code_for(secret, AT + timedelta(minutes=10))
    with pytest.raises(Forbidden) as refused:
        _sign(db, settings, world.police_admin, agreement_id, digest, wrong)
    assert refused.value.extensions["errors"][0]["field"] == "totp"
    assert actions(db, agreement_id)[-1] == "agreement.signature_refused"
    with db.reading() as s:
        assert s.query(AgreementSignature).count() == 0


def test_a_code_cannot_be_replayed_to_sign_twice(
    db: Database, settings: Settings, world: World
) -> None:
    first, digest_one = _proposed(db, settings, world)
    second = make_agreement(
        db, settings, parties=[world.police, world.guards], status="proposed", title="Second one"
    )
    with db.reading() as s:
        digest_two = s.query(AgreementVersion).filter_by(agreement_id=second).one().digest
    secret = enrol_mfa(db, settings, world.police_admin)
    code = code_for(secret, AT)
    _sign(db, settings, world.police_admin, first, digest_one, code)
    with pytest.raises(Forbidden, match="already used"):
        _sign(db, settings, world.police_admin, second, digest_two, code)
    # The next code (30 seconds on) signs.
    later = AT + timedelta(seconds=30)
    _sign(db, settings, world.police_admin, second, digest_two, code_for(secret, later), later)


def test_only_an_admin_of_a_party_signs_for_it(
    db: Database, settings: Settings, world: World
) -> None:
    agreement_id, digest = _proposed(db, settings, world)
    for person in (world.officer, world.coordinator):
        secret = enrol_mfa(db, settings, person)
        with pytest.raises(Forbidden, match="Only an administrator of a party"):
            _sign(db, settings, person, agreement_id, digest, code_for(secret, AT))
    secret = enrol_mfa(db, settings, world.stranger)
    with pytest.raises(NotFound):
        _sign(db, settings, world.stranger, agreement_id, digest, code_for(secret, AT))


def test_signing_terms_edited_after_the_proposal_is_refused(
    db: Database, settings: Settings, world: World
) -> None:
    agreement_id, shown = _proposed(db, settings, world)
    service.update_draft(
        db,
        actor=actor_of(world.guards_admin),
        at=AT,
        agreement_id=agreement_id,
        changes={"purposes": frozenset({Purpose.INVESTIGATION, Purpose.EVENT_SECURITY})},
    )
    assert agreement(db, agreement_id).status is AgreementStatus.DRAFT
    secret = enrol_mfa(db, settings, world.police_admin)
    with pytest.raises(Conflict, match="Nothing awaits signature"):
        _sign(db, settings, world.police_admin, agreement_id, shown, code_for(secret, AT))

    fresh = service.propose(
        db, actor=actor_of(world.guards_admin), at=AT, agreement_id=agreement_id
    )
    assert fresh != shown
    later = AT + timedelta(seconds=30)
    with pytest.raises(Conflict, match="not the terms now proposed"):
        _sign(db, settings, world.police_admin, agreement_id, shown, code_for(secret, later), later)
    _sign(db, settings, world.police_admin, agreement_id, fresh, code_for(secret, later), later)


def test_terms_changed_behind_the_services_back_cannot_be_signed(
    db: Database, settings: Settings, world: World
) -> None:
    agreement_id, digest = _proposed(db, settings, world)
    with db.transaction() as s:
        version = s.query(AgreementVersion).filter_by(agreement_id=agreement_id).one()
        terms = dict(version.terms, retention_days=3650)
        s.execute(
            update(AgreementVersion).where(AgreementVersion.id == version.id).values(terms=terms)
        )
    secret = enrol_mfa(db, settings, world.police_admin)
    with pytest.raises(Conflict, match="changed after they were proposed"):
        _sign(db, settings, world.police_admin, agreement_id, digest, code_for(secret, AT))


def test_a_party_that_lost_its_vetting_blocks_signature_by_name(
    db: Database, settings: Settings, world: World
) -> None:
    agreement_id, digest = _proposed(db, settings, world)
    change_vetting(
        db, actor=None, at=AT, org_id=world.guards.id, state=VettingState.SUSPENDED, reason="x"
    )
    secret = enrol_mfa(db, settings, world.police_admin)
    with pytest.raises(Conflict, match="Delta Guard Services is no longer a vetted"):
        _sign(db, settings, world.police_admin, agreement_id, digest, code_for(secret, AT))


def test_an_organization_signs_once(db: Database, settings: Settings, world: World) -> None:
    agreement_id, digest = _proposed(db, settings, world)
    secret = enrol_mfa(db, settings, world.police_admin)
    _sign(db, settings, world.police_admin, agreement_id, digest, code_for(secret, AT))
    colleague = make_person(db, world.police, role=Role.ORG_ADMIN)
    other = enrol_mfa(db, settings, colleague)
    with pytest.raises(Conflict, match="already signed"):
        _sign(db, settings, colleague, agreement_id, digest, code_for(other, AT))


def test_the_signed_document_is_kept_with_its_sha256(
    db: Database, settings: Settings, world: World
) -> None:
    import hashlib

    agreement_id = make_agreement(db, settings, parties=[world.police, world.guards])
    actor = actor_of(world.police_admin)

    def attach(content: bytes, media_type: str = "application/pdf", version: int = 1) -> str:
        return signing.attach_document(
            db,
            actor=actor,
            at=AT,
            agreement_id=agreement_id,
            version=version,
            filename="../../Signed agreement.pdf",
            media_type=media_type,
            content=content,
        )

    with pytest.raises(Invalid, match="not a application/pdf file"):
        attach(b"MZ\x90\x00 an executable")
    with pytest.raises(Invalid, match="send one of"):
        attach(PDF, "text/html")
    with pytest.raises(PayloadTooLarge):
        attach(b"%PDF-" + b"0" * signing.DOCUMENT_MAX_BYTES)
    with pytest.raises(NotFound):
        attach(PDF, version=7)
    assert attach(PDF) == hashlib.sha256(PDF).hexdigest()
    with db.reading() as s:
        version = s.query(AgreementVersion).filter_by(agreement_id=agreement_id).one()
        assert version.state is VersionState.IN_FORCE
        assert (version.document_filename, version.document_size) == (
            "Signed agreement.pdf",
            len(PDF),
        )
        assert version.document_bytes == PDF
    with pytest.raises(Conflict, match="already has its signed document"):
        attach(PDF + b"% altered\n")
    assert actions(db, agreement_id)[-1] == "agreement.document_attached"


def test_terms_may_be_open_ended(db: Database, settings: Settings, world: World) -> None:
    agreement_id = make_agreement(
        db, settings, parties=[world.police, world.guards], terms=standard_terms(expires_at=None)
    )
    assert agreement(db, agreement_id).expires_at is None
    assert agreement(db, agreement_id).status is AgreementStatus.ACTIVE
