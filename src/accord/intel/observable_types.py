"""The types every observable rule shares, and the checks of raw input they all make.

It imports nothing from `accord.intel`, so the rules modules (`normalize_net`,
`normalize_physical`) build on it, and `observables` on them all, without a cycle. Code outside
the rules imports these types from `observables`, the public face of observables.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "InvalidObservable",
    "Observable",
    "ObservableKind",
    "check_keys",
    "clean_text",
    "clean_words",
]

_MAX_TEXT = 8192
_MAX_WORDS = 200


class ObservableKind(StrEnum):
    """What an observable is; with its value, the key correlation matches on.

    IPv4 and IPv6 stay two kinds because STIX has two object types for them, but either kind
    accepts an address of either family and the observable takes the family the address has.
    """

    PERSON = "person"
    VEHICLE = "vehicle"
    PHONE = "phone"
    EMAIL = "email"
    IPV4 = "ipv4"
    IPV6 = "ipv6"
    DOMAIN = "domain"
    URL = "url"
    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"
    PLACE = "place"


class InvalidObservable(ValueError):  # noqa: N818 - the name the intel issue gives it
    """Input that names no observable of its kind; `field` names the part at fault, if any."""

    def __init__(self, kind: str, message: str, *, field: str | None = None) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Observable:
    """A normalized observable. `value` is None for a person description, which never
    correlates; `attributes` are the parts of a structured observable, as text."""

    kind: ObservableKind
    value: str | None
    display: str
    attributes: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "attributes", MappingProxyType(dict(self.attributes)))

    @property
    def correlates(self) -> bool:
        """Whether records holding this observable are matched with each other."""
        return self.value is not None


def clean_text(kind: str, raw: object, what: str, field: str | None = None) -> str:
    """`raw` as text without surrounding space: present, not too long, no control characters.

    `what` names the input in the message, and `field` is the part reported as at fault."""
    problem = None
    if raw is None:
        problem = f"{what} is required"
    elif not isinstance(raw, str):
        problem = f"{what} must be text"
    elif not raw.strip():
        problem = f"{what} is empty"
    elif len(raw) > _MAX_TEXT:
        problem = f"{what} is longer than {_MAX_TEXT} characters"
    elif any(unicodedata.category(char) in {"Cc", "Cs"} for char in raw.strip()):
        problem = f"{what} contains control characters"
    if problem is not None or not isinstance(raw, str):
        raise InvalidObservable(kind, str(problem), field=field)
    return raw.strip()


def clean_words(kind: str, raw: object, name: str) -> str:
    """Free text collapsed to single spaces, at most 200 characters; `name` is the field."""
    text = " ".join(clean_text(kind, raw, name, field=name).split())
    if len(text) > _MAX_WORDS:
        message = f"{name} is longer than {_MAX_WORDS} characters"
        raise InvalidObservable(kind, message, field=name)
    return text


def check_keys(kind: str, parts: Mapping[str, object], allowed: tuple[str, ...]) -> None:
    """Refuse a structured observable that has a field outside `allowed`, naming the field."""
    for key in parts:
        if key not in allowed:
            message = f"unknown field {key!r}; use {', '.join(allowed)}"
            raise InvalidObservable(kind, message, field=str(key))
