"""Tests for the profile field rules in accord.orgs.profile."""

from __future__ import annotations

from typing import Any

import pytest

from accord.core.errors import Invalid
from accord.orgs.profile import (
    MAX_CAPABILITIES,
    clean_capabilities,
    clean_contacts,
    clean_email,
    clean_text,
)


def field_of(exc: pytest.ExceptionInfo[Invalid]) -> str:
    field: str = exc.value.extensions["errors"][0]["field"]
    return field


def test_contacts_are_completed_and_stripped() -> None:
    cleaned = clean_contacts([{"name": " Duty desk ", "phone": "+1 503 555 0100"}])
    assert cleaned == [{"name": "Duty desk", "title": "", "phone": "+1 503 555 0100", "email": ""}]


@pytest.mark.parametrize(
    ("contact", "field"),
    [
        ({"phone": "1"}, "contacts.0.name"),
        ({"name": "Desk"}, "contacts.0"),
        ({"name": "Desk", "phone": "1", "fax": "2"}, "contacts.0"),
        ({"name": "Desk", "phone": 5}, "contacts.0.phone"),
        ({"name": "x" * 201, "phone": "1"}, "contacts.0.name"),
        ("Desk", "contacts.0"),
    ],
)
def test_bad_contacts_name_the_field(contact: Any, field: str) -> None:
    with pytest.raises(Invalid) as caught:
        clean_contacts([contact])
    assert field_of(caught) == field


def test_capabilities_are_lower_cased_and_kept_once() -> None:
    assert clean_capabilities([" K9 ", "drone", "k9"]) == ["k9", "drone"]


def test_too_many_capabilities_are_refused() -> None:
    with pytest.raises(Invalid):
        clean_capabilities([f"c{i}" for i in range(MAX_CAPABILITIES + 1)])


@pytest.mark.parametrize("value", ["  Dispatch@PortCity.Gov ", "a@b.co"])
def test_emails_are_normalized(value: str) -> None:
    assert clean_email(value) == value.strip().lower()


@pytest.mark.parametrize("value", ["", "nobody", "@example.org", "a@b", "a b@example.org"])
def test_non_emails_are_refused(value: str) -> None:
    with pytest.raises(Invalid):
        clean_email(value)


def test_required_text_must_not_be_blank() -> None:
    with pytest.raises(Invalid) as caught:
        clean_text("name", "   ", max_length=10)
    assert field_of(caught) == "name"
