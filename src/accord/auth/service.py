"""Sign-in, lockout, MFA enrolment and verification, recovery codes and password changes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from accord.auth.domain import MfaStep, is_locked_out, mfa_required, next_mfa_step
from accord.auth.models import RecoveryCode, SignInAttempt, WebSession
from accord.auth.sessions import end_all_sessions, start_session
from accord.core.audit.service import record
from accord.core.db import Database
from accord.core.errors import Conflict, Forbidden, Invalid, NotFound, TooManyRequests, Unauthorized
from accord.core.security import (
    FieldCipher,
    PasswordPolicy,
    check_totp,
    digest,
    hash_password,
    new_recovery_codes,
    new_totp_secret,
    password_needs_rehash,
    totp_uri,
    verify_password,
)
from accord.orgs.domain import Actor, can_manage_person
from accord.orgs.models import Person
from accord.settings import Settings

__all__ = [
    "LOCKED_MESSAGE",
    "WRONG_CREDENTIALS",
    "MfaEnrolment",
    "SignIn",
    "begin_mfa_enrolment",
    "change_password",
    "confirm_mfa_enrolment",
    "password_policy",
    "release_lock",
    "reset_mfa",
    "sign_in",
    "sign_out",
    "verify_mfa",
]

WRONG_CREDENTIALS = "Wrong e-mail address or password."
LOCKED_MESSAGE = (
    "This account is locked after too many failed sign-ins. "
    "Ask an administrator of your organization to release it."
)
TOTP_CONTEXT = "totp:"


@dataclass(frozen=True)
class SignIn:
    """A session started by a correct password, and the MFA step still ahead of it."""

    secret: str
    session: WebSession
    person: Person
    mfa_step: MfaStep


@dataclass(frozen=True)
class MfaEnrolment:
    secret: str
    uri: str


def password_policy(settings: Settings) -> PasswordPolicy:
    return PasswordPolicy(
        min_length=settings.password_min_length,
        max_length=settings.password_max_length,
        breached_file=settings.breached_passwords_file,
    )


def _cipher(settings: Settings) -> FieldCipher:
    return FieldCipher(settings.effective_field_key_path)


def _normalize_email(email: str) -> str:
    return email.strip().lower()


def _failures_since_success(
    s: Session, email: str, at: datetime, window: timedelta
) -> list[datetime]:
    last_success = s.scalar(
        select(func.max(SignInAttempt.at)).where(
            SignInAttempt.email_digest == digest(email), SignInAttempt.succeeded.is_(True)
        )
    )
    stmt = select(SignInAttempt.at).where(
        SignInAttempt.email_digest == digest(email),
        SignInAttempt.succeeded.is_(False),
        SignInAttempt.at > at - window,
    )
    if last_success is not None:
        stmt = stmt.where(SignInAttempt.at > last_success)
    return list(s.scalars(stmt))


def sign_in(
    db: Database,
    settings: Settings,
    *,
    email: str,
    password: str,
    at: datetime,
    ip: str = "",
    user_agent: str = "",
) -> SignIn:
    """Check a password under the lockout rule and start a session (MFA may still be due).

    Unknown, deactivated and wrong-password attempts all get the same answer, and failures
    count per e-mail address, so the answers do not reveal which accounts exist.
    """
    email = _normalize_email(email)
    window = timedelta(minutes=settings.lockout_window_minutes)
    locked = False
    with db.transaction() as s:
        person = s.scalar(select(Person).where(Person.email == email))
        if person is not None and person.locked_at is not None:
            if _lock_expired(person.locked_at, settings, at):
                person.locked_at = None
            else:
                locked = True
                # Audited in this committed transaction; the refusal is raised after it.
                _attempt(s, email, person, at, ip, succeeded=None, action="auth.sign_in.locked")
        if not locked:
            locked = is_locked_out(
                _failures_since_success(s, email, at, window),
                at=at,
                attempts=settings.lockout_attempts,
                window=window,
            )
    if locked:
        raise TooManyRequests(LOCKED_MESSAGE)
    ok = verify_password(person.password_hash if person else None, password)
    with db.transaction() as s:
        if person is None or not ok or not person.is_active:
            _fail(s, settings, email, person, at, ip, window)
        else:
            return _succeed(s, settings, person, password, at, ip, user_agent)
    raise Unauthorized(WRONG_CREDENTIALS)


def _lock_expired(locked_at: datetime, settings: Settings, at: datetime) -> bool:
    minutes = settings.lockout_release_minutes
    return minutes is not None and at - locked_at >= timedelta(minutes=minutes)


def _attempt(
    s: Session,
    email: str,
    person: Person | None,
    at: datetime,
    ip: str,
    *,
    succeeded: bool | None,
    action: str,
    details: dict[str, object] | None = None,
) -> None:
    """Audit a sign-in step; `succeeded` None means neither a success nor a failure yet.

    Only a completed sign-in (password, and MFA where due) resets the failure count, so a
    known password cannot be re-entered to keep guessing second-factor codes.
    """
    if succeeded is not None:
        s.add(
            SignInAttempt(
                email_digest=digest(email),
                person_id=person.id if person else None,
                at=at,
                succeeded=succeeded,
                ip=ip[:64],
            )
        )
    record(
        s,
        action=action,
        at=at,
        actor_id=person.id if person else None,
        # An unknown address is not kept in clear: it may be a mistyped password.
        actor_label=email if person else "unknown account",
        org_id=person.org_id if person else None,
        target_type="person",
        target_id=str(person.id) if person else "",
        details=details,
        ip=ip,
    )


def _fail(
    s: Session,
    settings: Settings,
    email: str,
    person: Person | None,
    at: datetime,
    ip: str,
    window: timedelta,
    *,
    reason: str = "",
) -> None:
    if not reason:
        reason = (
            "unknown_account"
            if person is None
            else ("deactivated" if not person.is_active else "wrong_password")
        )
    _attempt(
        s,
        email,
        person,
        at,
        ip,
        succeeded=False,
        action="auth.sign_in.failed",
        details={"reason": reason},
    )
    s.flush()
    failures = _failures_since_success(s, email, at, window)
    if person is not None and is_locked_out(
        failures, at=at, attempts=settings.lockout_attempts, window=window
    ):
        s.execute(update(Person).where(Person.id == person.id).values(locked_at=at))
        end_all_sessions(s, person.id, reason="locked", at=at)
        record(
            s,
            action="auth.account.locked",
            at=at,
            actor_label=email,
            org_id=person.org_id,
            target_type="person",
            target_id=str(person.id),
            details={"failures": len(failures)},
            ip=ip,
        )


def _succeed(
    s: Session,
    settings: Settings,
    person: Person,
    password: str,
    at: datetime,
    ip: str,
    user_agent: str,
) -> SignIn:
    person = s.get_one(Person, person.id)
    if person.password_hash and password_needs_rehash(person.password_hash):
        person.password_hash = hash_password(password)
    step = next_mfa_step(
        person.mfa_enabled,
        mfa_required(person.role.value, person.cji_cleared, settings.mfa_required_roles),
    )
    secret, web_session = start_session(
        s,
        settings,
        person_id=person.id,
        mfa_passed=step is MfaStep.NONE,
        at=at,
        ip=ip,
        user_agent=user_agent,
    )
    if step is MfaStep.NONE:
        person.last_sign_in_at = at
    _attempt(
        s,
        person.email,
        person,
        at,
        ip,
        succeeded=True if step is MfaStep.NONE else None,
        action="auth.sign_in.password_ok" if step is not MfaStep.NONE else "auth.sign_in.succeeded",
        details={"mfa_step": step.value},
    )
    return SignIn(secret=secret, session=web_session, person=person, mfa_step=step)


def verify_mfa(
    db: Database,
    settings: Settings,
    *,
    session_id: uuid.UUID,
    code: str,
    at: datetime,
    ip: str = "",
) -> None:
    """Complete sign-in with a TOTP code or a recovery code; failures count toward the lock."""
    with db.transaction() as s:
        web_session = s.get(WebSession, session_id)
        if web_session is None or web_session.ended_at is not None:
            raise Unauthorized("Your sign-in has expired; start again.")
        person = s.get_one(Person, web_session.person_id)
        if not person.mfa_enabled or person.totp_secret_enc is None:
            raise Conflict("This account has no authenticator enrolled.")
        secret = _cipher(settings).open(person.totp_secret_enc, TOTP_CONTEXT + str(person.id))
        check = check_totp(secret, code, at, person.totp_last_step)
        used_recovery = False
        if check.ok:
            person.totp_last_step = check.step
        else:
            used_recovery = _use_recovery_code(s, person.id, code, at)
        if check.ok or used_recovery:
            web_session.mfa_passed = True
            person.last_sign_in_at = at
            _attempt(
                s,
                person.email,
                person,
                at,
                ip,
                succeeded=True,
                action="auth.mfa.verified",
                details={"recovery_code": used_recovery},
            )
            return
    with db.transaction() as s:
        window = timedelta(minutes=settings.lockout_window_minutes)
        fresh = s.get_one(Person, person.id)
        _fail(s, settings, fresh.email, fresh, at, ip, window, reason="wrong_mfa_code")
    raise Unauthorized("That code is not right. Check your authenticator's clock and try again.")


def _use_recovery_code(s: Session, person_id: uuid.UUID, code: str, at: datetime) -> bool:
    normalized = code.strip().lower().replace(" ", "")
    if len(normalized) != 14:
        return False
    for row in s.scalars(
        select(RecoveryCode).where(
            RecoveryCode.person_id == person_id, RecoveryCode.used_at.is_(None)
        )
    ):
        if verify_password(row.code_hash, normalized):
            row.used_at = at
            return True
    return False


def _enrolment_session(s: Session, session_id: uuid.UUID) -> tuple[WebSession, Person]:
    """The session enrolling, refused when it would replace an authenticator unverified."""
    web_session = s.get(WebSession, session_id)
    if web_session is None or web_session.ended_at is not None:
        raise Unauthorized("Your sign-in has expired; start again.")
    person = s.get_one(Person, web_session.person_id)
    if person.mfa_enabled and not web_session.mfa_passed:
        # Otherwise a password alone could swap in the attacker's authenticator.
        raise Forbidden("Verify with your current authenticator before replacing it.")
    return web_session, person


def begin_mfa_enrolment(
    db: Database, settings: Settings, *, session_id: uuid.UUID, at: datetime
) -> MfaEnrolment:
    """A fresh TOTP secret, held sealed on the session until a code confirms it."""
    with db.transaction() as s:
        web_session, person = _enrolment_session(s, session_id)
        secret = new_totp_secret()
        web_session.pending_totp_enc = _cipher(settings).seal(secret, TOTP_CONTEXT + str(person.id))
        return MfaEnrolment(secret=secret, uri=totp_uri(secret, person.email))


def confirm_mfa_enrolment(
    db: Database,
    settings: Settings,
    *,
    session_id: uuid.UUID,
    code: str,
    at: datetime,
    ip: str = "",
) -> list[str]:
    """Enrol the pending secret when `code` matches; returns recovery codes, shown once."""
    with db.transaction() as s:
        web_session, person = _enrolment_session(s, session_id)
        if not web_session.pending_totp_enc:
            raise Conflict("Start the set-up again: no authenticator is waiting to be confirmed.")
        secret = _cipher(settings).open(web_session.pending_totp_enc, TOTP_CONTEXT + str(person.id))
        check = check_totp(secret, code, at, None)
        if not check.ok:
            raise Invalid(
                "That code does not match. Scan the code again and enter the six digits shown.",
                errors=[{"field": "code", "message": "does not match"}],
            )
        replaced = person.mfa_enabled
        person.totp_secret_enc = web_session.pending_totp_enc
        person.totp_last_step = check.step
        person.mfa_enabled_at = at
        web_session.pending_totp_enc = None
        # A new authenticator starts a clean slate: other sessions end, old codes go.
        end_all_sessions(s, person.id, reason="mfa_changed", at=at, keep=web_session.id)
        web_session.mfa_passed = True
        person.last_sign_in_at = at
        codes = _replace_recovery_codes(s, person.id, at)
        record(
            s,
            action="auth.mfa.enrolled",
            at=at,
            actor_id=person.id,
            actor_label=person.email,
            org_id=person.org_id,
            target_type="person",
            target_id=str(person.id),
            details={"replaced": replaced},
            ip=ip,
        )
        return codes


def _replace_recovery_codes(s: Session, person_id: uuid.UUID, at: datetime) -> list[str]:
    s.execute(
        update(RecoveryCode)
        .where(RecoveryCode.person_id == person_id, RecoveryCode.used_at.is_(None))
        .values(used_at=at)
    )
    codes = new_recovery_codes()
    for code in codes:
        s.add(RecoveryCode(person_id=person_id, code_hash=hash_password(code), created_at=at))
    return codes


def reset_mfa(
    db: Database, *, actor: Actor | None, person_id: uuid.UUID, at: datetime, ip: str = ""
) -> Person:
    """An administrator (or the CLI) clears a lost authenticator; the person enrols again."""
    with db.transaction() as s:
        person = s.get(Person, person_id)
        if person is None or (
            actor is not None and not can_manage_person(actor, str(person.org_id), person.role)
        ):
            raise NotFound("No such person.")
        person.totp_secret_enc = None
        person.totp_last_step = None
        person.mfa_enabled_at = None
        s.execute(
            update(RecoveryCode)
            .where(RecoveryCode.person_id == person.id, RecoveryCode.used_at.is_(None))
            .values(used_at=at)
        )
        end_all_sessions(s, person.id, reason="mfa_reset", at=at)
        record(
            s,
            action="auth.mfa.reset",
            at=at,
            actor_id=uuid.UUID(actor.person_id) if actor else None,
            actor_label="" if actor else "cli",
            org_id=person.org_id,
            target_type="person",
            target_id=str(person.id),
            ip=ip,
        )
        return person


def release_lock(
    db: Database, *, actor: Actor | None, person_id: uuid.UUID, at: datetime, ip: str = ""
) -> Person:
    """CJIS §5.5.3: an administrator releases a locked account."""
    with db.transaction() as s:
        person = s.get(Person, person_id)
        if person is None or (
            actor is not None and not can_manage_person(actor, str(person.org_id), person.role)
        ):
            raise NotFound("No such person.")
        if person.locked_at is None:
            raise Conflict("This account is not locked.")
        person.locked_at = None
        # A success marker restarts the failure count for this address.
        s.add(
            SignInAttempt(
                email_digest=digest(person.email),
                person_id=person.id,
                at=at,
                succeeded=True,
                ip="admin-release",
            )
        )
        record(
            s,
            action="auth.account.released",
            at=at,
            actor_id=uuid.UUID(actor.person_id) if actor else None,
            actor_label="" if actor else "cli",
            org_id=person.org_id,
            target_type="person",
            target_id=str(person.id),
            ip=ip,
        )
        return person


def change_password(
    db: Database,
    settings: Settings,
    *,
    person_id: uuid.UUID,
    current: str,
    new: str,
    at: datetime,
    ip: str = "",
) -> None:
    """Change one's own password; every session of the account ends at once.

    A wrong current password counts toward the lock like a failed sign-in, so a session left
    open cannot be used to guess the password.
    """
    with db.reading() as s:
        person = s.get_one(Person, person_id)
    if not verify_password(person.password_hash, current):
        with db.transaction() as s:
            window = timedelta(minutes=settings.lockout_window_minutes)
            fresh = s.get_one(Person, person_id)
            _fail(s, settings, fresh.email, fresh, at, ip, window, reason="wrong_current_password")
        raise Invalid(
            "Your current password is not right.",
            errors=[{"field": "current_password", "message": "is not right"}],
        )
    problems = password_policy(settings).problems(
        new, (person.email.split("@")[0], person.display_name)
    )
    if problems:
        raise Invalid(
            " ".join(problems), errors=[{"field": "new_password", "message": p} for p in problems]
        )
    if verify_password(person.password_hash, new):
        raise Invalid(
            "Choose a password different from the current one.",
            errors=[{"field": "new_password", "message": "same as current"}],
        )
    with db.transaction() as s:
        row = s.get_one(Person, person_id)
        row.password_hash = hash_password(new)
        row.password_changed_at = at
        end_all_sessions(s, row.id, reason="password_changed", at=at)
        record(
            s,
            action="auth.password.changed",
            at=at,
            actor_id=row.id,
            actor_label=row.email,
            org_id=row.org_id,
            target_type="person",
            target_id=str(row.id),
            ip=ip,
        )


def sign_out(db: Database, *, session_id: uuid.UUID, at: datetime, ip: str = "") -> None:
    """Sign out: every session of the account ends at once, on every device.

    A person who signs out on a shared terminal may have forgotten another open session; the
    safe reading of "sign out" in a system holding criminal-justice data is all of them.
    """
    with db.transaction() as s:
        web_session = s.get(WebSession, session_id)
        if web_session is None or web_session.ended_at is not None:
            return
        person = s.get_one(Person, web_session.person_id)
        ended = end_all_sessions(s, person.id, reason="signed_out", at=at)
        record(
            s,
            action="auth.sign_out",
            at=at,
            actor_id=person.id,
            actor_label=person.email,
            org_id=person.org_id,
            target_type="person",
            target_id=str(person.id),
            details={"sessions_ended": ended},
            ip=ip,
        )
