"""Pure authentication rules: token scopes, when MFA is required, when an account locks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from enum import StrEnum

__all__ = [
    "SCOPE_FEATURES",
    "MfaStep",
    "ScopeError",
    "grants",
    "is_locked_out",
    "mfa_required",
    "next_mfa_step",
    "parse_scopes",
]

# Features a token may be scoped to; each later feature adds its name here.
SCOPE_FEATURES = (
    "agreements",
    "alerts",
    "audit",
    "cameras",
    "community",
    "feed",
    "intel",
    "notes",
    "orgs",
    "people",
    "response",
    "training",
)
LEVELS = ("read", "write")


class ScopeError(ValueError):
    """A scope string that is not FEATURE:read or FEATURE:write for a known feature."""


def parse_scopes(raw: Iterable[str]) -> tuple[str, ...]:
    """Validated, de-duplicated, sorted scopes; `FEATURE:write` implies `FEATURE:read`."""
    scopes: set[str] = set()
    for item in raw:
        scope = item.strip().lower()
        feature, sep, level = scope.partition(":")
        if not sep or feature not in SCOPE_FEATURES or level not in LEVELS:
            msg = (
                f"unknown scope {item!r}: use FEATURE:read or FEATURE:write, "
                f"with FEATURE one of {', '.join(SCOPE_FEATURES)}"
            )
            raise ScopeError(msg)
        scopes.add(scope)
    if not scopes:
        msg = "a token needs at least one scope"
        raise ScopeError(msg)
    return tuple(sorted(scopes))


def grants(scopes: Iterable[str], feature: str, *, write: bool) -> bool:
    """True when the scopes allow reading (or writing) `feature`."""
    held = set(scopes)
    if f"{feature}:write" in held:
        return True
    return not write and f"{feature}:read" in held


def mfa_required(role: str, cji_cleared: bool, required_roles: Sequence[str]) -> bool:
    """CJIS Security Policy §5.6.2.2: MFA for CJI access; the operator lists more roles."""
    return cji_cleared or role in required_roles


class MfaStep(StrEnum):
    """What a person must still do after a correct password."""

    NONE = "none"  # fully signed in
    VERIFY = "verify"  # enter a code from the enrolled authenticator
    ENROL = "enrol"  # MFA is required and not yet set up


def next_mfa_step(enrolled: bool, required: bool) -> MfaStep:
    if enrolled:
        return MfaStep.VERIFY
    if required:
        return MfaStep.ENROL
    return MfaStep.NONE


def is_locked_out(
    failure_times: Sequence[datetime],
    *,
    at: datetime,
    attempts: int,
    window: timedelta,
) -> bool:
    """CJIS §5.5.3: `attempts` consecutive failures within `window` lock the account."""
    recent = [t for t in failure_times if at - window < t <= at]
    return len(recent) >= attempts
