"""argon2id hashes, token digests, TOTP with replay protection, recovery codes, sealed fields."""

from __future__ import annotations

import hashlib
import re
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from argon2 import PasswordHasher
from cryptography.exceptions import InvalidTag
from hypothesis import given
from hypothesis import strategies as st

from accord.core.security import (
    TOTP_PERIOD,
    FieldCipher,
    check_totp,
    digest,
    hash_password,
    new_recovery_codes,
    new_totp_secret,
    password_needs_rehash,
    totp_uri,
    verify_password,
)

AT = datetime(2026, 11, 21, 15, 0, 7, tzinfo=UTC)
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PASSWORD = "correct horse battery staple orange"
RECOVERY_CODE = re.compile(
    r"^[23456789abcdefghjkmnpqrstuvwxyz]{4}(-[23456789abcdefghjkmnpqrstuvwxyz]{4}){2}$"
)


def _code(at: datetime, secret: str = SECRET) -> str:
    return pyotp.TOTP(secret, interval=TOTP_PERIOD).at(at)


def _step(at: datetime) -> int:
    return int(at.timestamp()) // TOTP_PERIOD


@pytest.fixture(scope="module")
def stored_hash() -> str:
    return hash_password(PASSWORD)


# argon2id


@pytest.mark.real_password_cost
def test_passwords_are_hashed_with_argon2id_at_the_documented_cost() -> None:
    stored_hash = hash_password(PASSWORD)
    assert stored_hash.startswith("$argon2id$v=19$m=65536,t=3,p=2$")
    assert PASSWORD not in stored_hash


def test_the_same_password_hashes_differently_each_time(stored_hash: str) -> None:
    assert hash_password(PASSWORD) != stored_hash


def test_the_right_password_verifies_and_a_wrong_one_does_not(stored_hash: str) -> None:
    assert verify_password(stored_hash, PASSWORD)
    assert not verify_password(stored_hash, PASSWORD + " ")
    assert not verify_password(stored_hash, "")


def test_a_missing_or_garbled_hash_never_verifies() -> None:
    assert not verify_password(None, PASSWORD)
    assert not verify_password("", PASSWORD)
    assert not verify_password("$argon2id$v=19$garbage", PASSWORD)
    assert not verify_password("plain-text-password", "plain-text-password")


@pytest.mark.real_password_cost
def test_a_fresh_hash_needs_no_rehash_but_a_weaker_one_does(stored_hash: str) -> None:
    assert not password_needs_rehash(stored_hash)
    weaker = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    assert verify_password(weaker, PASSWORD)
    assert password_needs_rehash(weaker)


# digests of high-entropy secrets


@given(st.text(max_size=200))
def test_digest_is_the_sha256_hex_of_the_secret(secret: str) -> None:
    value = digest(secret)
    assert value == hashlib.sha256(secret.encode()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", value)


# TOTP (RFC 6238)


def test_the_current_code_is_accepted_and_its_step_returned() -> None:
    check = check_totp(SECRET, _code(AT), AT, None)
    assert check.ok
    assert check.step == _step(AT)


def test_a_code_already_used_in_this_step_is_refused() -> None:
    first = check_totp(SECRET, _code(AT), AT, None)
    replay = check_totp(SECRET, _code(AT), AT + timedelta(seconds=5), first.step)
    assert not replay.ok
    assert replay.step is None


def test_one_step_of_drift_either_way_is_accepted() -> None:
    earlier = check_totp(SECRET, _code(AT - timedelta(seconds=TOTP_PERIOD)), AT, None)
    later = check_totp(SECRET, _code(AT + timedelta(seconds=TOTP_PERIOD)), AT, None)
    assert earlier.ok
    assert earlier.step == _step(AT) - 1
    assert later.ok
    assert later.step == _step(AT) + 1


def test_two_steps_of_drift_are_refused() -> None:
    assert not check_totp(SECRET, _code(AT - timedelta(seconds=2 * TOTP_PERIOD)), AT, None).ok
    assert not check_totp(SECRET, _code(AT + timedelta(seconds=2 * TOTP_PERIOD)), AT, None).ok


def test_after_a_code_from_the_next_step_the_current_code_is_refused() -> None:
    ahead = check_totp(SECRET, _code(AT + timedelta(seconds=TOTP_PERIOD)), AT, None)
    assert ahead.ok
    assert not check_totp(SECRET, _code(AT), AT, ahead.step).ok


def test_an_older_step_code_is_refused_after_a_newer_one_was_used() -> None:
    newer = check_totp(SECRET, _code(AT), AT, None)
    older_code = _code(AT - timedelta(seconds=TOTP_PERIOD))
    assert not check_totp(SECRET, older_code, AT, newer.step).ok


def test_the_next_step_code_is_accepted_after_the_current_one() -> None:
    now = check_totp(SECRET, _code(AT), AT, None)
    later = AT + timedelta(seconds=TOTP_PERIOD)
    assert check_totp(SECRET, _code(later), later, now.step).ok


def test_spaces_inside_a_typed_code_are_ignored() -> None:
    code = _code(AT)
    assert check_totp(SECRET, f" {code[:3]} {code[3:]} ", AT, None).ok


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "12345a", "１２３４５６"])
def test_anything_but_six_ascii_digits_is_refused(typed: str) -> None:
    assert not check_totp(SECRET, typed, AT, None).ok


def test_a_code_of_another_secret_is_refused() -> None:
    other = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    window = {_code(AT + timedelta(seconds=k * TOTP_PERIOD)) for k in (-1, 0, 1)}
    assert _code(AT, other) not in window  # the fixed secrets do not collide at AT
    assert not check_totp(SECRET, _code(AT, other), AT, None).ok


@given(
    offset=st.integers(min_value=-1, max_value=1),
    seconds=st.integers(min_value=0, max_value=10**9),
    used_ahead=st.integers(min_value=0, max_value=3),
)
def test_no_code_at_or_before_the_last_used_step_is_ever_accepted(
    offset: int, seconds: int, used_ahead: int
) -> None:
    at = datetime(2001, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    code_time = at + timedelta(seconds=offset * TOTP_PERIOD)
    last_step = _step(code_time) + used_ahead
    assert not check_totp(SECRET, _code(code_time), at, last_step).ok


def test_new_totp_secrets_are_160_bits_or_more_of_base32() -> None:
    secret = new_totp_secret()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert new_totp_secret() != secret


def test_the_provisioning_uri_names_the_issuer_and_the_account() -> None:
    uri = totp_uri(SECRET, "dana@pcpd.example")
    assert uri.startswith("otpauth://totp/Accord:dana%40pcpd.example?")
    assert f"secret={SECRET}" in uri
    assert "issuer=Accord" in uri
    parsed = pyotp.parse_uri(uri)
    assert isinstance(parsed, pyotp.TOTP)
    assert parsed.at(AT) == _code(AT)


# recovery codes


def test_ten_recovery_codes_in_three_groups_of_four_unambiguous_characters() -> None:
    codes = new_recovery_codes()
    assert len(codes) == 10
    assert len(set(codes)) == 10
    for code in codes:
        assert RECOVERY_CODE.fullmatch(code), code
        assert not set(code) & set("01ilo")


def test_recovery_codes_differ_between_calls() -> None:
    assert set(new_recovery_codes(5)).isdisjoint(new_recovery_codes(5))


# sealed fields (AES-256-GCM)


def test_a_sealed_field_opens_with_the_same_context(tmp_path: Path) -> None:
    cipher = FieldCipher(tmp_path / "keys" / "fields.key")
    sealed = cipher.seal(SECRET, "totp:person-1")
    assert sealed.startswith("v1:")
    assert SECRET not in sealed
    assert cipher.open(sealed, "totp:person-1") == SECRET


def test_a_sealed_field_does_not_open_under_another_context(tmp_path: Path) -> None:
    # The context binds a secret to its row: one person's seed pasted onto another is refused.
    cipher = FieldCipher(tmp_path / "fields.key")
    sealed = cipher.seal(SECRET, "totp:person-1")
    with pytest.raises(InvalidTag):
        cipher.open(sealed, "totp:person-2")


def test_a_sealed_field_does_not_open_with_another_key(tmp_path: Path) -> None:
    sealed = FieldCipher(tmp_path / "a.key").seal(SECRET, "ctx")
    with pytest.raises(InvalidTag):
        FieldCipher(tmp_path / "b.key").open(sealed, "ctx")


def test_a_tampered_sealed_field_is_refused(tmp_path: Path) -> None:
    cipher = FieldCipher(tmp_path / "fields.key")
    sealed = cipher.seal(SECRET, "ctx")
    flipped = sealed[:-3] + ("A" if sealed[-3] != "A" else "B") + sealed[-2:]
    with pytest.raises((InvalidTag, ValueError)):
        cipher.open(flipped, "ctx")


def test_sealing_twice_gives_different_text(tmp_path: Path) -> None:
    cipher = FieldCipher(tmp_path / "fields.key")
    assert cipher.seal(SECRET, "ctx") != cipher.seal(SECRET, "ctx")


def test_the_key_file_is_created_once_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "fields.key"
    sealed = FieldCipher(path).seal(SECRET, "ctx")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    content = path.read_bytes()
    assert FieldCipher(path).open(sealed, "ctx") == SECRET
    assert path.read_bytes() == content


def test_a_key_file_of_the_wrong_length_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fields.key"
    path.write_bytes(b"c2hvcnQ=\n")
    with pytest.raises(ValueError, match="256-bit"):
        FieldCipher(path)


def test_text_without_the_format_prefix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="format"):
        FieldCipher(tmp_path / "fields.key").open("v0:abc", "ctx")


@pytest.fixture(scope="module")
def cipher(tmp_path_factory: pytest.TempPathFactory) -> FieldCipher:
    return FieldCipher(tmp_path_factory.mktemp("cipher") / "fields.key")


@given(plaintext=st.text(max_size=300), context=st.text(max_size=60))
def test_any_text_round_trips_through_sealing(
    cipher: FieldCipher, plaintext: str, context: str
) -> None:
    assert cipher.open(cipher.seal(plaintext, context), context) == plaintext
