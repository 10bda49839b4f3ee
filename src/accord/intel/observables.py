"""Observables: the things records mention, normalized so that the same thing always matches.

`normalize` turns what a person typed or a partner sent into an `Observable` whose `value` is
the one string correlation matches on: stable, and the same for every spelling of one real-world
thing. `display` is the form shown to people; typed back in, it normalizes to the same value.
The rules of each kind are in the docstring of its normalizer: below for file hashes and phone
numbers, in `normalize_net` for IP addresses, domains, URLs and e-mail addresses, and in
`normalize_physical` for vehicles, places and person descriptions. A person description has no
value: a description is not an identity, so it never correlates. The STIX 2.1 form of each
observable is in `stix_observables`.

This module is the public face of observables: the types live in `observable_types`, which the
rules modules build on, and are exported from here with `normalize`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import phonenumbers

from accord.intel.normalize_net import (
    normalize_domain,
    normalize_email,
    normalize_ip,
    normalize_url,
)
from accord.intel.normalize_physical import (
    COORDINATE_DECIMALS,
    normalize_person,
    normalize_place,
    normalize_vehicle,
)
from accord.intel.observable_types import (
    InvalidObservable,
    Observable,
    ObservableKind,
    clean_text,
)

__all__ = [
    "COORDINATE_DECIMALS",
    "InvalidObservable",
    "Observable",
    "ObservableKind",
    "normalize",
]


def normalize(
    kind: ObservableKind | str, raw: str | Mapping[str, object], *, region: str = "US"
) -> Observable:
    """The canonical observable for `raw`, or `InvalidObservable` saying what is wrong.

    `region` is where a phone number written without its country code is read."""
    try:
        kind = ObservableKind(kind)
    except ValueError:
        known = ", ".join(ObservableKind)
        raise InvalidObservable(str(kind), f"unknown kind; use one of {known}") from None
    if kind is ObservableKind.PHONE:
        return _phone(raw, region)
    return _NORMALIZERS[kind](kind, raw)


_HASH_LENGTHS = {ObservableKind.MD5: 32, ObservableKind.SHA1: 40, ObservableKind.SHA256: 64}
_HASH_NAMES = {
    ObservableKind.MD5: "MD5",
    ObservableKind.SHA1: "SHA-1",
    ObservableKind.SHA256: "SHA-256",
}


def _hash(kind: ObservableKind, raw: object) -> Observable:
    """Lowercase hexadecimal digits, exactly as many as the algorithm's digest has."""
    name = _HASH_NAMES[kind]
    text = clean_text(kind, raw, f"the {name} hash").lower()
    if not re.fullmatch(r"[0-9a-f]+", text):
        raise InvalidObservable(kind, f"{name} hashes are hexadecimal digits only")
    expected = _HASH_LENGTHS[kind]
    if len(text) != expected:
        message = f"{name} hashes have {expected} hexadecimal digits, not {len(text)}"
        other = next((k for k, n in _HASH_LENGTHS.items() if n == len(text)), None)
        if other is not None:
            message += f" ({len(text)} is the length of {_HASH_NAMES[other]} hashes)"
        raise InvalidObservable(kind, message)
    return Observable(kind, text, text)


def _phone(raw: object, region: str) -> Observable:
    """E.164 (`+12095550142`), read by `phonenumbers` with `region` for numbers written without
    a country code. The number must be valid in its country's numbering plan, which refuses
    impossible numbers and most typing slips. An extension is kept as an attribute and shown,
    but is no part of the value: one switchboard is one number."""
    kind = ObservableKind.PHONE
    text = clean_text(kind, raw, "the number")
    if region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidObservable(kind, f"{region!r} is not a region phonenumbers knows")
    try:
        number = phonenumbers.parse(text, region.upper())
    except phonenumbers.NumberParseException:
        raise InvalidObservable(kind, f"{text!r} is not a phone number") from None
    if not phonenumbers.is_possible_number(number):
        raise InvalidObservable(kind, f"{text!r} has the wrong number of digits")
    if not phonenumbers.is_valid_number(number):
        message = f"{text!r} is not a number in use in country code +{number.country_code}"
        raise InvalidObservable(kind, message)
    value = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    display = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    if number.extension:
        return Observable(kind, value, display, {"extension": number.extension})
    return Observable(kind, value, display)


_NORMALIZERS: dict[ObservableKind, Callable[[ObservableKind, object], Observable]] = {
    ObservableKind.PERSON: normalize_person,
    ObservableKind.VEHICLE: normalize_vehicle,
    ObservableKind.EMAIL: normalize_email,
    ObservableKind.IPV4: normalize_ip,
    ObservableKind.IPV6: normalize_ip,
    ObservableKind.DOMAIN: normalize_domain,
    ObservableKind.URL: normalize_url,
    ObservableKind.MD5: _hash,
    ObservableKind.SHA1: _hash,
    ObservableKind.SHA256: _hash,
    ObservableKind.PLACE: normalize_place,
}
