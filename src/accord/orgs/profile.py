"""Cleaning an organization's profile fields: names, contacts and capabilities."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from accord.core.errors import Invalid

__all__ = [
    "CONTACT_FIELDS",
    "MAX_CAPABILITIES",
    "MAX_CONTACTS",
    "clean_capabilities",
    "clean_contacts",
    "clean_email",
    "clean_text",
]

# Each contact field and its longest length (RFC 5321 §4.5.3.1 bounds an address at 254).
CONTACT_FIELDS = {"name": 200, "title": 200, "phone": 40, "email": 254}
MAX_CONTACTS = 50
MAX_CAPABILITIES = 100
MAX_CAPABILITY_LENGTH = 80


def _invalid(field: str, message: str) -> Invalid:
    return Invalid(f"{field}: {message}", errors=[{"field": field, "message": message}])


def clean_text(field: str, value: str, *, max_length: int, required: bool = True) -> str:
    """`value` stripped; Invalid when required and blank, or longer than `max_length`."""
    text = value.strip()
    if required and not text:
        raise _invalid(field, "is required")
    if len(text) > max_length:
        raise _invalid(field, f"must be at most {max_length} characters")
    return text


def clean_contacts(
    contacts: Iterable[Mapping[str, Any]], field: str = "contacts"
) -> list[dict[str, str]]:
    """Contacts as {name, title, phone, email}; a name and a way to reach them are required."""
    cleaned: list[dict[str, str]] = []
    for index, contact in enumerate(contacts):
        where = f"{field}.{index}"
        if not isinstance(contact, Mapping):
            raise _invalid(where, "must be an object")
        unknown = set(contact) - set(CONTACT_FIELDS)
        if unknown:
            raise _invalid(where, f"unknown fields: {', '.join(sorted(unknown))}")
        entry: dict[str, str] = {}
        for key, limit in CONTACT_FIELDS.items():
            value = contact.get(key, "")
            if not isinstance(value, str):
                raise _invalid(f"{where}.{key}", "must be text")
            entry[key] = clean_text(
                f"{where}.{key}", value, max_length=limit, required=key == "name"
            )
        if not (entry["phone"] or entry["email"]):
            raise _invalid(where, "give a phone number or an e-mail address")
        cleaned.append(entry)
    if len(cleaned) > MAX_CONTACTS:
        raise _invalid(field, f"at most {MAX_CONTACTS} contacts")
    return cleaned


def clean_capabilities(capabilities: Iterable[str], field: str = "capabilities") -> list[str]:
    """Short capability labels ("k9", "drone", "cctv"), stripped, lower-cased, each once."""
    cleaned: list[str] = []
    for index, item in enumerate(capabilities):
        if not isinstance(item, str):
            raise _invalid(f"{field}.{index}", "must be text")
        label = clean_text(f"{field}.{index}", item, max_length=MAX_CAPABILITY_LENGTH).lower()
        if label not in cleaned:
            cleaned.append(label)
    if len(cleaned) > MAX_CAPABILITIES:
        raise _invalid(field, f"at most {MAX_CAPABILITIES} capabilities")
    return cleaned


def clean_email(value: str, field: str = "email") -> str:
    """An e-mail address, lower-cased: the sign-in name, so one spelling per account."""
    email = value.strip().lower()
    local, at, domain = email.rpartition("@")
    if (
        not at
        or not local
        or "." not in domain.strip(".")
        or len(email) > CONTACT_FIELDS["email"]
        or any(c.isspace() for c in email)
    ):
        raise _invalid(field, "is not an e-mail address")
    return email
