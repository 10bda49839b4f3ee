"""Signing a proposed version with a fresh two-step code, and attaching the signed document.

A signature binds an organization to one digest: the one its admin was shown. The admin proves
it is them with a current TOTP code (RFC 6238), checked as at sign-in, replays refused (§5.2).
The last signature puts the version in force (`service.activate_if_complete`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.agreements.content import content_digest
from accord.agreements.domain import VersionState, can_change, can_sign_for, terms_from_json
from accord.agreements.guards import load_agreement, org_names, party_ids_of, pending_version
from accord.agreements.models import Agreement, AgreementSignature, AgreementVersion
from accord.agreements.service import activate_if_complete, audit_entry
from accord.auth.service import TOTP_CONTEXT
from accord.core.db import Database
from accord.core.errors import Conflict, Forbidden, Invalid, NotFound, PayloadTooLarge
from accord.core.security import FieldCipher, check_totp
from accord.orgs.domain import Actor, VettingState
from accord.orgs.models import Organization, Person
from accord.settings import Settings

__all__ = [
    "DOCUMENT_MAX_BYTES",
    "DOCUMENT_TYPES",
    "Signed",
    "attach_document",
    "sign",
]

# The signed document is kept in the database; a scanned agreement of a few dozen pages fits.
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
# Accepted media types and the first bytes each must start with, so the label cannot lie.
DOCUMENT_TYPES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/tiff": (b"II*\x00", b"MM\x00*"),
}
WRONG_CODE = (
    "Two-step code: that code is not right, or it was already used. "
    "Wait for your authenticator's next code and sign again."
)


@dataclass(frozen=True)
class Signed:
    version: int
    in_force: bool


def _check_parties_vetted(s: Session, version: AgreementVersion) -> None:
    names = org_names(s, [p.org_id for p in version.parties])
    for org_id in sorted(names, key=names.__getitem__):
        org = s.get_one(Organization, uuid.UUID(org_id))
        if org.vetting_state is not VettingState.VETTED:
            raise Conflict(
                f"Parties: {org.name} is no longer a vetted organization; "
                "the agreement cannot take effect until it is vetted again."
            )


def _proposed(agreement: Agreement, number: int | None) -> AgreementVersion:
    version = pending_version(agreement)
    if version is None or version.state is not VersionState.PROPOSED:
        raise Conflict("Nothing awaits signature: the terms have not been proposed.")
    if number is not None and number != version.number:
        raise Conflict(f"Version {number} is not the one awaiting signature ({version.number}).")
    return version


def _check_digest(version: AgreementVersion, shown: str) -> None:
    """The stored content must still be what was proposed, and what the signer was shown."""
    proposed = version.proposed_digest or ""
    if content_digest(version) != proposed or version.digest != proposed:
        raise Conflict(
            "The terms changed after they were proposed; they must be proposed again before "
            "anyone signs."
        )
    if not hmac.compare_digest(shown.strip().lower().encode(), proposed.encode()):
        raise Conflict(
            "The terms you were shown are not the terms now proposed. Reload the agreement, "
            "read the terms again, and sign those.",
            proposed_digest=proposed,
        )


def _code_ok(s: Session, settings: Settings, person_id: uuid.UUID, code: str, at: datetime) -> bool:
    person = s.get(Person, person_id, with_for_update=True)
    if person is None or not person.is_active:
        raise Forbidden("This account is not active.")
    if not person.mfa_enabled or person.totp_secret_enc is None:
        raise Forbidden(
            "Signing needs two-step sign-in: set up an authenticator on your account page first."
        )
    secret = FieldCipher(settings.effective_field_key_path).open(
        person.totp_secret_enc, TOTP_CONTEXT + str(person.id)
    )
    check = check_totp(secret, code, at, person.totp_last_step)
    if not check.ok:
        return False
    person.totp_last_step = check.step  # the same code cannot sign (or sign in) twice
    return True


def sign(
    db: Database,
    settings: Settings,
    *,
    actor: Actor,
    at: datetime,
    agreement_id: uuid.UUID,
    digest: str,
    code: str,
    version: int | None = None,
    ip: str = "",
) -> Signed:
    """Sign the proposed version for the actor's organization; the last signature activates it."""
    refused: int | None = None
    with db.transaction() as s:
        agreement = load_agreement(s, actor, agreement_id, for_update=True)
        proposed = _proposed(agreement, version)
        if actor.org_id not in proposed.party_ids or not can_sign_for(actor, actor.org_id):
            raise Forbidden("Only an administrator of a party organization signs for it.")
        _check_digest(proposed, digest)
        already = any(
            str(sig.org_id) == actor.org_id and sig.digest == proposed.proposed_digest
            for sig in proposed.signatures
        )
        if already:
            raise Conflict("Your organization has already signed these terms.")
        _check_parties_vetted(s, proposed)
        expires_at = terms_from_json(proposed.terms).expires_at
        if expires_at is not None and expires_at <= at:
            raise Conflict("Expires: the expiry instant has passed; amend the terms first.")
        if _code_ok(s, settings, uuid.UUID(actor.person_id), code, at):
            proposed.signatures.append(
                AgreementSignature(
                    org_id=uuid.UUID(actor.org_id),
                    person_id=uuid.UUID(actor.person_id),
                    signed_at=at,
                    digest=proposed.digest,
                )
            )
            s.flush()
            audit_entry(
                s,
                actor,
                agreement,
                "agreement.signed",
                at,
                ip,
                version=proposed.number,
                digest=proposed.digest,
            )
            in_force = activate_if_complete(s, actor, agreement, proposed, at, ip)
            return Signed(version=proposed.number, in_force=in_force)
        refused = proposed.number
    # Kept apart from the refused signing, so that the refusal itself is on the record.
    with db.transaction() as s:
        agreement = load_agreement(s, actor, agreement_id)
        audit_entry(
            s,
            actor,
            agreement,
            "agreement.signature_refused",
            at,
            ip,
            version=refused,
            reason="wrong_or_reused_code",
        )
    raise Forbidden(WRONG_CODE, errors=[{"field": "totp", "message": WRONG_CODE}])


_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]+')


def _clean_filename(filename: str, media_type: str) -> str:
    """A plain file name to offer back on download (no path, quotes or control characters)."""
    name = unicodedata.normalize("NFC", filename).rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    name = _UNSAFE_NAME.sub("_", name).strip(" .")[:200]
    if not name:
        name = "agreement" + {"application/pdf": ".pdf", "image/png": ".png"}.get(media_type, "")
    return name


def _check_document(content: bytes, media_type: str) -> str:
    kind = media_type.split(";", 1)[0].strip().lower()
    if kind not in DOCUMENT_TYPES:
        accepted = ", ".join(sorted(DOCUMENT_TYPES))
        message = f"Signed document: send one of {accepted}."
        raise Invalid(message, errors=[{"field": "document", "message": message}])
    if not content:
        message = "Signed document: the file is empty."
        raise Invalid(message, errors=[{"field": "document", "message": message}])
    if len(content) > DOCUMENT_MAX_BYTES:
        raise PayloadTooLarge(
            f"Signed document: at most {DOCUMENT_MAX_BYTES // (1024 * 1024)} MiB.",
            max_bytes=DOCUMENT_MAX_BYTES,
        )
    if not content.startswith(DOCUMENT_TYPES[kind]):
        message = f"Signed document: the file is not a {kind} file."
        raise Invalid(message, errors=[{"field": "document", "message": message}])
    return kind


def attach_document(
    db: Database,
    *,
    actor: Actor,
    at: datetime,
    agreement_id: uuid.UUID,
    version: int,
    filename: str,
    media_type: str,
    content: bytes,
    ip: str = "",
) -> str:
    """Keep the signed document of a version and return its SHA-256.

    It may be replaced while the version is drafted or proposed; a version in force takes its
    document once, so what was filed cannot be swapped afterwards.
    """
    kind = _check_document(content, media_type)
    with db.transaction() as s:
        agreement = load_agreement(s, actor, agreement_id, for_update=True)
        if not can_change(actor, party_ids_of(s, agreement.id)):
            raise Forbidden("Only administrators of a party organization file its documents.")
        row = s.scalar(
            select(AgreementVersion).where(
                AgreementVersion.agreement_id == agreement.id, AgreementVersion.number == version
            )
        )
        if row is None:
            raise NotFound(f"The agreement has no version {version}.")
        if row.state in (VersionState.SUPERSEDED, VersionState.WITHDRAWN):
            raise Conflict(f"Version {version} is {row.state.label.lower()}; it is kept as it is.")
        if row.state is VersionState.IN_FORCE and row.document_sha256 is not None:
            raise Conflict(
                "The version in force already has its signed document; amend the agreement to "
                "file a new one."
            )
        sha256 = hashlib.sha256(content).hexdigest()
        replaced = row.document_sha256
        row.document_filename = _clean_filename(filename, kind)
        row.document_media_type = kind
        row.document_size = len(content)
        row.document_sha256 = sha256
        row.document_bytes = content
        row.document_uploaded_at = at
        audit_entry(
            s,
            actor,
            agreement,
            "agreement.document_attached",
            at,
            ip,
            version=version,
            filename=row.document_filename,
            media_type=kind,
            size=len(content),
            sha256=sha256,
            replaced_sha256=replaced,
        )
        return sha256
