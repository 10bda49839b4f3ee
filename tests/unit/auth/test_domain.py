"""Pure authentication rules: token scopes, when MFA is due, when an account locks."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from accord.auth.domain import (
    SCOPE_FEATURES,
    MfaStep,
    ScopeError,
    grants,
    is_locked_out,
    mfa_required,
    next_mfa_step,
    parse_scopes,
)

AT = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)
LEVELS = ("read", "write")

features = st.sampled_from(SCOPE_FEATURES)
scopes = st.builds(lambda f, level: f"{f}:{level}", features, st.sampled_from(LEVELS))
unknown_features = st.text(
    alphabet=st.characters(codec="ascii", exclude_characters=":"), min_size=1, max_size=20
).filter(lambda f: f.strip().lower() not in SCOPE_FEATURES)


# parse_scopes


@given(st.lists(scopes, min_size=1, max_size=30))
def test_valid_scopes_come_back_sorted_and_without_duplicates(raw: list[str]) -> None:
    parsed = parse_scopes(raw)
    assert list(parsed) == sorted(set(raw))


def test_scopes_are_trimmed_and_lower_cased() -> None:
    assert parse_scopes([" ORGS:Read ", "people:WRITE"]) == ("orgs:read", "people:write")


@given(unknown_features, st.sampled_from(LEVELS))
def test_unknown_features_are_refused(feature: str, level: str) -> None:
    with pytest.raises(ScopeError, match="unknown scope"):
        parse_scopes([f"{feature}:{level}"])


@pytest.mark.parametrize(
    "raw", ["orgs", "orgs:", ":read", "orgs:admin", "orgs:read:extra", "orgs read", "*:read", "*"]
)
def test_malformed_scopes_are_refused_with_the_valid_form_named(raw: str) -> None:
    with pytest.raises(ScopeError, match="FEATURE:read or FEATURE:write"):
        parse_scopes([raw])


def test_one_bad_scope_refuses_the_whole_list() -> None:
    with pytest.raises(ScopeError, match="'orgs:delete'"):
        parse_scopes(["orgs:read", "orgs:delete"])


def test_a_token_needs_at_least_one_scope() -> None:
    with pytest.raises(ScopeError, match="at least one scope"):
        parse_scopes([])


def test_scope_error_is_a_value_error() -> None:
    assert issubclass(ScopeError, ValueError)


# grants


@given(st.lists(scopes, max_size=10), features)
def test_write_implies_read(held: list[str], feature: str) -> None:
    if grants(held, feature, write=True):
        assert grants(held, feature, write=False)


@given(features)
def test_write_scope_grants_read_and_write(feature: str) -> None:
    held = [f"{feature}:write"]
    assert grants(held, feature, write=False)
    assert grants(held, feature, write=True)


@given(features)
def test_read_scope_does_not_grant_write(feature: str) -> None:
    held = [f"{feature}:read"]
    assert grants(held, feature, write=False)
    assert not grants(held, feature, write=True)


@given(st.lists(scopes, max_size=10), features, st.booleans())
def test_scopes_of_other_features_grant_nothing(held: list[str], feature: str, write: bool) -> None:
    others = [s for s in held if not s.startswith(f"{feature}:")]
    assert not grants(others, feature, write=write)


def test_no_scopes_grant_nothing() -> None:
    assert not grants([], "orgs", write=False)


# mfa_required and next_mfa_step


@given(st.text(max_size=20), st.lists(st.text(max_size=20), max_size=4))
def test_cji_cleared_accounts_always_need_mfa(role: str, required_roles: list[str]) -> None:
    assert mfa_required(role, True, required_roles)


def test_platform_admins_need_mfa_under_the_default_roles() -> None:
    assert mfa_required("platform_admin", False, ("platform_admin",))


def test_other_roles_do_not_need_mfa_unless_listed() -> None:
    assert not mfa_required("analyst", False, ("platform_admin",))
    assert mfa_required("analyst", False, ("platform_admin", "analyst"))
    assert not mfa_required("analyst", False, ())


@pytest.mark.parametrize(
    ("enrolled", "required", "step"),
    [
        (True, True, MfaStep.VERIFY),
        (True, False, MfaStep.VERIFY),
        (False, True, MfaStep.ENROL),
        (False, False, MfaStep.NONE),
    ],
)
def test_the_step_after_a_correct_password(enrolled: bool, required: bool, step: MfaStep) -> None:
    assert next_mfa_step(enrolled, required) is step


# is_locked_out


def _locked(times: list[datetime], attempts: int = 5) -> bool:
    return is_locked_out(times, at=AT, attempts=attempts, window=WINDOW)


offsets_inside = st.lists(
    st.integers(min_value=0, max_value=int(WINDOW.total_seconds()) - 1), max_size=20
)
offsets_outside = st.lists(st.integers(min_value=int(WINDOW.total_seconds()), max_value=86_400))


@given(offsets_inside, st.integers(min_value=1, max_value=10))
def test_failures_inside_the_window_lock_exactly_at_the_threshold(
    offsets: list[int], attempts: int
) -> None:
    times = [AT - timedelta(seconds=o) for o in offsets]
    assert _locked(times, attempts) == (len(times) >= attempts)


@given(offsets_outside)
def test_failures_older_than_the_window_never_lock(offsets: list[int]) -> None:
    assert not _locked([AT - timedelta(seconds=o) for o in offsets], attempts=1)


@given(st.lists(st.integers(min_value=1, max_value=3600), min_size=1, max_size=20))
def test_failures_after_the_moment_asked_about_are_not_counted(offsets: list[int]) -> None:
    assert not _locked([AT + timedelta(seconds=o) for o in offsets], attempts=1)


@given(offsets_inside, offsets_outside, st.integers(min_value=1, max_value=10), st.randoms())
def test_the_order_of_failures_does_not_matter(
    inside: list[int], outside: list[int], attempts: int, rnd: random.Random
) -> None:
    times = [AT - timedelta(seconds=o) for o in inside + outside]
    shuffled = times[:]
    rnd.shuffle(shuffled)
    assert _locked(times, attempts) == _locked(shuffled, attempts)


@given(offsets_inside, st.integers(min_value=0, max_value=86_400))
def test_one_more_failure_never_releases_a_lock(offsets: list[int], extra: int) -> None:
    times = [AT - timedelta(seconds=o) for o in offsets]
    assume(_locked(times))
    assert _locked([*times, AT - timedelta(seconds=extra)])


def test_five_failures_in_fifteen_minutes_lock_and_four_do_not() -> None:
    five = [AT - timedelta(minutes=m) for m in (0, 3, 6, 9, 14)]
    assert _locked(five)
    assert not _locked(five[:4])


def test_a_failure_exactly_fifteen_minutes_old_has_left_the_window() -> None:
    times = [AT - timedelta(minutes=m) for m in (0, 3, 6, 9, 15)]
    assert not _locked(times)


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock() -> None:
    every_four_minutes = [AT - timedelta(minutes=4 * k) for k in range(10)]
    assert not _locked(every_four_minutes)
