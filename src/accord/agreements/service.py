"""Use cases of agreements: draft, edit, propose, amend, suspend, resume, terminate.

Each function owns its transaction and writes its audit entry. Whenever the enforced terms
change (a version takes effect, the agreement is suspended, resumed or terminated) the grant
of the sharing engine changes in the same transaction, so the very next request anywhere sees
it. Signing and signed documents are in `agreements.signing`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import Enum
from typing import Any, Final

from sqlalchemy.orm import Session

from accord.agreements.content import (
    apply_changes,
    check_ceiling,
    check_content,
    clean_area,
    clean_title,
    expand_parties,
    named_parties,
    refusal,
    write_content,
)
from accord.agreements.domain import (
    Action,
    AgreementKind,
    AgreementStatus,
    Terms,
    VersionState,
    can_change,
    can_draft,
    effective_status,
    next_status,
    terms_from_json,
)
from accord.agreements.guards import (
    in_force_version,
    load_agreement,
    party_ids_of,
    pending_version,
)
from accord.agreements.models import Agreement, AgreementVersion
from accord.core.audit.service import record
from accord.core.db import Database
from accord.core.errors import Conflict, Forbidden
from accord.core.ids import new_id
from accord.orgs.domain import Actor
from accord.sharing.domain import GrantState
from accord.sharing.service import GrantTerms, put_grant, set_grant_state

__all__ = [
    "MAX_REASON",
    "UNSET",
    "Unset",
    "activate_if_complete",
    "amend",
    "audit_entry",
    "draft_agreement",
    "grant_terms_of",
    "propose",
    "resume",
    "suspend",
    "terminate",
    "update_draft",
    "withdraw_amendment",
]

MAX_REASON = 2000


class Unset(Enum):
    """A keyword argument left out of a partial update."""

    UNSET = "unset"


UNSET: Final = Unset.UNSET


def audit_entry(
    s: Session,
    actor: Actor,
    agreement: Agreement,
    action: str,
    at: datetime,
    ip: str,
    **details: Any,
) -> None:
    record(
        s,
        action=action,
        at=at,
        actor_id=uuid.UUID(actor.person_id),
        actor_label="",
        org_id=uuid.UUID(actor.org_id),
        target_type="agreement",
        target_id=str(agreement.id),
        details={"title": agreement.title, **details},
        ip=ip,
    )


def draft_agreement(
    db: Database,
    *,
    actor: Actor,
    at: datetime,
    kind: AgreementKind,
    title: str,
    terms: Terms,
    organizations: Iterable[uuid.UUID],
    groups: Iterable[uuid.UUID] = (),
    ip: str = "",
) -> uuid.UUID:
    """A new agreement in draft: the coordinator between any parties, an org admin for theirs."""
    title = clean_title(title)
    terms = clean_area(terms)
    groups = list(dict.fromkeys(groups))
    with db.transaction() as s:
        parties = expand_parties(s, dict.fromkeys(organizations), groups)
        if not can_draft(actor, [str(p) for p in parties]):
            raise Forbidden(
                "Organization administrators draft agreements to which their organization is "
                "a party; the partnership coordinator drafts any."
            )
        check_content(s, terms, parties)
        agreement = Agreement(
            id=new_id(),
            kind=kind,
            title=title,
            status=AgreementStatus.DRAFT,
            status_changed_at=at,
            created_by_id=uuid.UUID(actor.person_id),
            drafted_by_org_id=uuid.UUID(actor.org_id),
            expires_at=terms.expires_at,
            created_at=at,
            updated_at=at,
        )
        version = AgreementVersion(
            id=new_id(),
            number=1,
            state=VersionState.DRAFT,
            created_at=at,
            created_by_id=uuid.UUID(actor.person_id),
        )
        agreement.versions.append(version)
        write_content(version, kind=kind, title=title, terms=terms, parties=parties, groups=groups)
        s.add(agreement)
        s.flush()
        audit_entry(
            s,
            actor,
            agreement,
            "agreement.drafted",
            at,
            ip,
            kind=kind.value,
            version=1,
            digest=version.digest,
            parties=sorted(str(p) for p in parties),
        )
        return agreement.id


def _changeable(s: Session, actor: Actor, agreement_id: uuid.UUID) -> Agreement:
    agreement = load_agreement(s, actor, agreement_id, for_update=True)
    if not can_change(actor, party_ids_of(s, agreement.id)):
        raise Forbidden("Only administrators of a party organization change this agreement.")
    return agreement


def _edit(
    s: Session,
    actor: Actor,
    agreement: Agreement,
    version: AgreementVersion,
    *,
    kind: AgreementKind | Unset,
    title: str | Unset,
    organizations: Iterable[uuid.UUID] | Unset,
    groups: Iterable[uuid.UUID] | Unset,
    changes: Mapping[str, Any],
    base: AgreementVersion,
) -> list[str]:
    """Write `base`'s content with the changes into `version`; the names of what changed."""
    direct, named_groups = named_parties(base)
    new_direct = direct if isinstance(organizations, Unset) else list(dict.fromkeys(organizations))
    new_groups = named_groups if isinstance(groups, Unset) else list(dict.fromkeys(groups))
    terms = clean_area(apply_changes(terms_from_json(base.terms), changes))
    parties = expand_parties(s, new_direct, new_groups)
    if not can_change(actor, [str(p) for p in parties]):
        raise Forbidden("Your organization would no longer be a party; ask the coordinator.")
    check_content(s, terms, parties)
    if version.number > 1:
        check_ceiling(s, agreement, terms)
    new_kind = base.kind if isinstance(kind, Unset) else kind
    new_title = base.title if isinstance(title, Unset) else clean_title(title)
    write_content(
        version, kind=new_kind, title=new_title, terms=terms, parties=parties, groups=new_groups
    )
    fields = sorted(changes)
    fields += [n for n, v in (("kind", kind), ("title", title)) if not isinstance(v, Unset)]
    fields += [
        n for n, v in (("parties", organizations), ("groups", groups)) if not isinstance(v, Unset)
    ]
    return sorted(fields)


def update_draft(
    db: Database,
    *,
    actor: Actor,
    at: datetime,
    agreement_id: uuid.UUID,
    kind: AgreementKind | Unset = UNSET,
    title: str | Unset = UNSET,
    organizations: Iterable[uuid.UUID] | Unset = UNSET,
    groups: Iterable[uuid.UUID] | Unset = UNSET,
    changes: Mapping[str, Any] | None = None,
    ip: str = "",
) -> None:
    """Edit the version being drafted. A proposed one goes back to draft: propose it again."""
    with db.transaction() as s:
        agreement = _changeable(s, actor, agreement_id)
        version = pending_version(agreement)
        if version is None:
            raise Conflict(
                "There is no draft to edit: the terms in force change through an amendment."
            )
        if version.number > 1 and not isinstance(kind, Unset) and kind is not version.kind:
            raise refusal("kind", "Kind: an amendment keeps the kind of the agreement.")
        reopened = version.state is VersionState.PROPOSED
        fields = _edit(
            s,
            actor,
            agreement,
            version,
            kind=kind,
            title=title,
            organizations=organizations,
            groups=groups,
            changes=changes or {},
            base=version,
        )
        if reopened:
            version.state = VersionState.DRAFT
            if version.number == 1:
                _move(agreement, Action.REVISE, at, "The proposed terms were edited.")
        if version.number == 1:
            agreement.kind = version.kind
            agreement.title = version.title
            agreement.expires_at = terms_from_json(version.terms).expires_at
        agreement.updated_at = at
        audit_entry(
            s,
            actor,
            agreement,
            "agreement.draft_updated",
            at,
            ip,
            version=version.number,
            fields=fields,
            digest=version.digest,
            reopened=reopened,
        )


def _move(agreement: Agreement, action: Action, at: datetime, reason: str) -> AgreementStatus:
    """Apply a lifecycle transition, or Conflict naming why it cannot happen now."""
    status = effective_status(agreement.status, agreement.expires_at, at)
    target = next_status(status, action)
    if target is None:
        raise Conflict(f"A {status.value} agreement cannot be {_PAST[action]}.")
    if target is not agreement.status:
        agreement.status = target
        agreement.status_changed_at = at
        agreement.status_reason = reason
    return target


_PAST = {
    Action.PROPOSE: "proposed",
    Action.REVISE: "revised",
    Action.ACTIVATE: "activated",
    Action.SUSPEND: "suspended",
    Action.RESUME: "resumed",
    Action.TERMINATE: "terminated",
    Action.AMEND: "amended",
}


def propose(
    db: Database, *, actor: Actor, at: datetime, agreement_id: uuid.UUID, ip: str = ""
) -> str:
    """Send the draft to every party for signature; its digest is what they will sign."""
    with db.transaction() as s:
        agreement = _changeable(s, actor, agreement_id)
        version = pending_version(agreement)
        if version is None or version.state is not VersionState.DRAFT:
            raise Conflict("There is no draft to propose.")
        # Named groups expand to their members as they are now.
        direct, groups = named_parties(version)
        parties = expand_parties(s, direct, groups)
        terms = terms_from_json(version.terms)
        check_content(s, terms, parties)
        if terms.expires_at is not None and terms.expires_at <= at:
            raise refusal("expires_at", "Expires: the expiry instant has already passed.")
        if version.number > 1:
            check_ceiling(s, agreement, terms)
        else:
            _move(agreement, Action.PROPOSE, at, "Sent to the parties for signature.")
        write_content(
            version,
            kind=version.kind,
            title=version.title,
            terms=terms,
            parties=parties,
            groups=groups,
        )
        version.state = VersionState.PROPOSED
        version.proposed_digest = version.digest
        version.proposed_at = at
        version.proposed_by_id = uuid.UUID(actor.person_id)
        agreement.updated_at = at
        audit_entry(
            s,
            actor,
            agreement,
            "agreement.proposed",
            at,
            ip,
            version=version.number,
            digest=version.digest,
            parties=sorted(str(p) for p in parties),
        )
        s.flush()
        activate_if_complete(s, actor, agreement, version, at, ip)
        return version.digest


def grant_terms_of(agreement: Agreement, version: AgreementVersion) -> GrantTerms:
    """What the sharing engine enforces for `version` of `agreement`."""
    terms = terms_from_json(version.terms)
    return GrantTerms(
        agreement_id=agreement.id,
        title=version.title,
        version=version.number,
        parties=frozenset(p.org_id for p in version.parties),
        tlp_ceiling=terms.tlp_ceiling,
        covered=terms.covered,
        sensitive=terms.sensitive,
        purposes=terms.purposes,
        effective_at=terms.effective_at,
        expires_at=terms.expires_at,
        retention_days=terms.retention_days,
        area=None if terms.area is None else dict(terms.area),
        onward_sharing=terms.onward_sharing,
    )


def activate_if_complete(
    s: Session,
    actor: Actor,
    agreement: Agreement,
    version: AgreementVersion,
    at: datetime,
    ip: str,
) -> bool:
    """Put `version` in force once every party has signed its proposed digest."""
    signed = {sig.org_id for sig in version.signatures if sig.digest == version.proposed_digest}
    if not {p.org_id for p in version.parties} <= signed:
        return False
    previous = in_force_version(agreement)
    if previous is not None:
        previous.state = VersionState.SUPERSEDED
    version.state = VersionState.IN_FORCE
    version.in_force_at = at
    first = agreement.current_version is None
    if first:
        _move(agreement, Action.ACTIVATE, at, "Signed by every party.")
    agreement.current_version = version.number
    agreement.title = version.title
    agreement.expires_at = terms_from_json(version.terms).expires_at
    agreement.updated_at = at
    # An amendment of a suspended agreement takes effect suspended: it is resumed on its own.
    state = _GRANT_STATE[agreement.status]
    put_grant(s, grant_terms_of(agreement, version), state=state, at=at)
    audit_entry(
        s,
        actor,
        agreement,
        "agreement.activated" if first else "agreement.amendment_in_force",
        at,
        ip,
        version=version.number,
        digest=version.proposed_digest,
        grant_state=state.value,
    )
    return True


def _clean_reason(reason: str) -> str:
    cleaned = reason.strip()
    if not cleaned:
        raise refusal("reason", "Reason: say why; it is kept in the audit log.")
    if len(cleaned) > MAX_REASON:
        raise refusal("reason", f"Reason: at most {MAX_REASON} characters.")
    return cleaned


_GRANT_STATE = {
    AgreementStatus.ACTIVE: GrantState.ACTIVE,
    AgreementStatus.SUSPENDED: GrantState.SUSPENDED,
    AgreementStatus.TERMINATED: GrantState.TERMINATED,
}


def _change_status(
    db: Database,
    action: Action,
    *,
    actor: Actor,
    at: datetime,
    agreement_id: uuid.UUID,
    reason: str,
    ip: str,
) -> AgreementStatus:
    reason = _clean_reason(reason)
    with db.transaction() as s:
        agreement = _changeable(s, actor, agreement_id)
        before = effective_status(agreement.status, agreement.expires_at, at)
        target = _move(agreement, action, at, reason)
        if agreement.current_version is not None:
            # The engine refuses the very next request that relied on the old state.
            set_grant_state(s, agreement.id, _GRANT_STATE[target], at=at)
        if target is AgreementStatus.TERMINATED:
            pending = pending_version(agreement)
            if pending is not None:
                pending.state = VersionState.WITHDRAWN
        agreement.updated_at = at
        audit_entry(
            s,
            actor,
            agreement,
            f"agreement.{_PAST[action]}",
            at,
            ip,
            reason=reason,
            old=before.value,
            new=target.value,
        )
        return target


def suspend(
    db: Database, *, actor: Actor, at: datetime, agreement_id: uuid.UUID, reason: str, ip: str = ""
) -> AgreementStatus:
    """Stop sharing under the agreement at once; it can be resumed."""
    return _change_status(
        db, Action.SUSPEND, actor=actor, at=at, agreement_id=agreement_id, reason=reason, ip=ip
    )


def resume(
    db: Database, *, actor: Actor, at: datetime, agreement_id: uuid.UUID, reason: str, ip: str = ""
) -> AgreementStatus:
    """Sharing under a suspended agreement starts again (unless it expired meanwhile)."""
    return _change_status(
        db, Action.RESUME, actor=actor, at=at, agreement_id=agreement_id, reason=reason, ip=ip
    )


def terminate(
    db: Database, *, actor: Actor, at: datetime, agreement_id: uuid.UUID, reason: str, ip: str = ""
) -> AgreementStatus:
    """End the agreement for good (or abandon a draft); the next request is refused."""
    return _change_status(
        db, Action.TERMINATE, actor=actor, at=at, agreement_id=agreement_id, reason=reason, ip=ip
    )


def amend(
    db: Database,
    *,
    actor: Actor,
    at: datetime,
    agreement_id: uuid.UUID,
    title: str | Unset = UNSET,
    organizations: Iterable[uuid.UUID] | Unset = UNSET,
    groups: Iterable[uuid.UUID] | Unset = UNSET,
    changes: Mapping[str, Any] | None = None,
    ip: str = "",
) -> int:
    """Start version n+1 as a draft from the version in force, which stays in force meanwhile."""
    with db.transaction() as s:
        agreement = _changeable(s, actor, agreement_id)
        _move(agreement, Action.AMEND, at, agreement.status_reason)
        pending = pending_version(agreement)
        if pending is not None:
            raise Conflict(
                f"Version {pending.number} is already being drafted or signed; "
                "finish or withdraw it first."
            )
        base = in_force_version(agreement)
        assert base is not None  # noqa: S101 - active and suspended agreements have one
        version = AgreementVersion(
            id=new_id(),
            number=agreement.versions[-1].number + 1,
            state=VersionState.DRAFT,
            created_at=at,
            created_by_id=uuid.UUID(actor.person_id),
        )
        fields = _edit(
            s,
            actor,
            agreement,
            version,
            kind=UNSET,
            title=title,
            organizations=organizations,
            groups=groups,
            changes=changes or {},
            base=base,
        )
        # Added once complete: the checks above query, and a half-made row must not flush.
        agreement.versions.append(version)
        agreement.updated_at = at
        s.flush()
        audit_entry(
            s,
            actor,
            agreement,
            "agreement.amended",
            at,
            ip,
            version=version.number,
            from_version=base.number,
            fields=fields,
            digest=version.digest,
        )
        return version.number


def withdraw_amendment(
    db: Database, *, actor: Actor, at: datetime, agreement_id: uuid.UUID, ip: str = ""
) -> None:
    """Drop an amendment in progress; the version in force is untouched."""
    with db.transaction() as s:
        agreement = _changeable(s, actor, agreement_id)
        pending = pending_version(agreement)
        if pending is None or pending.number == 1:
            raise Conflict("There is no amendment in progress (a first draft is terminated).")
        pending.state = VersionState.WITHDRAWN
        agreement.updated_at = at
        audit_entry(
            s, actor, agreement, "agreement.amendment_withdrawn", at, ip, version=pending.number
        )
