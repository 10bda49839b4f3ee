"""The password policy (NIST SP 800-63B §5.1.1.2): length, a breached-password list, context."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.core.security import PasswordPolicy, hash_password, verify_password

POLICY = PasswordPolicy()
PASSPHRASE_64 = "the tide turns twice a day at the old harbour lighthouse, rain or shine"
SHORT_MESSAGE = "Use at least 12 characters; a passphrase is best."
BREACHED_MESSAGE = "This password appears in lists of breached passwords; choose another."
CONTEXT_MESSAGE = "Do not use your name or e-mail address in your password."


def test_eleven_characters_are_refused_with_the_minimum_named() -> None:
    assert POLICY.problems("harbourlamp") == [SHORT_MESSAGE]


def test_twelve_characters_that_are_not_breached_are_accepted() -> None:
    assert POLICY.problems("harbour-lamp") == []


def test_the_minimum_length_follows_the_policy_setting() -> None:
    policy = PasswordPolicy(min_length=16)
    assert policy.problems("harbour-lamp-7") == [
        "Use at least 16 characters; a passphrase is best."
    ]


def test_a_passphrase_of_64_characters_or_more_is_accepted() -> None:
    assert len(PASSPHRASE_64) >= 64
    assert POLICY.problems(PASSPHRASE_64) == []


def test_passphrases_are_stored_exactly_as_typed_without_trimming_or_folding() -> None:
    typed = "  Ünïcode SPACES and Ümlauts in the Harbour   at dawn, 64+ chars long… ok  "
    assert POLICY.problems(typed) == []
    stored = hash_password(typed)
    assert verify_password(stored, typed)
    assert not verify_password(stored, typed.strip())
    assert not verify_password(stored, typed.lower())


def test_a_password_longer_than_the_maximum_is_refused() -> None:
    policy = PasswordPolicy(max_length=80)
    assert policy.problems("x7-harbour " * 8) == ["Use at most 80 characters."]
    assert policy.problems(("x7-harbour " * 8)[:80]) == []


@pytest.mark.parametrize(
    "password", ["1q2w3e4r5t6y", "qwertyuiop12", "123456789abc", "1qaz2wsx3edc"]
)
def test_passwords_from_the_built_in_breached_list_are_refused(password: str) -> None:
    assert BREACHED_MESSAGE in POLICY.problems(password)


def test_the_breached_list_is_checked_without_regard_to_case() -> None:
    assert BREACHED_MESSAGE in POLICY.problems("QWERTYUIOP12")


def test_an_operator_breached_list_adds_to_the_built_in_one(tmp_path: Path) -> None:
    # The built-in list (zxcvbn's 30,000 most common) lacks many long breached passwords,
    # such as "password123456"; operators add a larger list through this file.
    extra = tmp_path / "breached.txt"
    extra.write_text("Password123456\n\n  harbour-lamp-2026  \n", encoding="utf-8")
    policy = PasswordPolicy(breached_file=extra)
    assert BREACHED_MESSAGE in policy.problems("password123456")
    assert BREACHED_MESSAGE in policy.problems("HARBOUR-LAMP-2026")
    assert BREACHED_MESSAGE in policy.problems("1q2w3e4r5t6y")  # built-in list still applies
    assert policy.problems("harbour-lamp-2027") == []


def test_two_distinct_characters_are_refused_however_long() -> None:
    assert POLICY.problems("abababababababababab") == ["Use more than two different characters."]


def test_the_local_part_of_the_email_address_is_refused_inside_the_password() -> None:
    problems = POLICY.problems("my-dana.whitfield-pass", ("dana.whitfield", "Dana Whitfield"))
    assert problems == [CONTEXT_MESSAGE]


def test_the_display_name_is_refused_inside_the_password_whatever_the_case() -> None:
    problems = POLICY.problems("XXDANA WHITFIELDXX", ("dw", "Dana Whitfield"))
    assert problems == [CONTEXT_MESSAGE]


def test_the_surname_alone_is_refused_as_part_of_the_name() -> None:
    # "Do not use your name": a surname taken from the display name or the e-mail local part
    # is the name, though the policy only looks for the whole "dana whitfield" / "dana.whitfield".
    problems = POLICY.problems("whitfield-harbour-lights", ("dana.whitfield", "Dana Whitfield"))
    assert problems == [CONTEXT_MESSAGE]


def test_context_words_shorter_than_four_characters_are_ignored() -> None:
    assert POLICY.problems("always-alert-harbour", ("al", "Al")) == []


def test_the_context_message_appears_once_even_when_several_words_match() -> None:
    problems = POLICY.problems("danawhitfield-danawhitfield", ("danawhitfield", "danawhitfield"))
    assert problems == [CONTEXT_MESSAGE]


@given(st.text(min_size=12, max_size=200).filter(lambda p: len(set(p)) > 2))
def test_length_problems_never_appear_between_the_limits(password: str) -> None:
    problems = POLICY.problems(password)
    assert not any(p.startswith(("Use at least", "Use at most")) for p in problems)


@given(st.text(max_size=11))
def test_anything_shorter_than_the_minimum_is_refused(password: str) -> None:
    assert SHORT_MESSAGE in POLICY.problems(password)
