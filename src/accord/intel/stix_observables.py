"""The STIX 2.1 form of observables: `to_stix`, `stix_pattern` and `stix_definitions`.

`to_stix` gives each observable's STIX 2.1 form and `stix_pattern` the pattern an indicator about
it carries. STIX 2.1 has cyber-observable objects (SCOs) for addresses, domains, URLs, e-mail
addresses and file hashes, and they are used as the standard defines them, with deterministic
UUIDv5 ids over their id-contributing properties (STIX 2.1 §2.9), so every Accord instance and
every partner tool names the same address with the same id. A place is the standard `location`
domain object. For the rest STIX has nothing, and the custom objects of STIX 2.0 style (`x-`
types) are deprecated in 2.1 and flagged by stix2-validator, so they are new object types, each
defined by an Accord extension definition (STIX 2.1 §7.3); `stix_definitions` gives these with
the identity that publishes them, for every bundle that carries such objects:
- `accord-phone-number` and `accord-vehicle` are new SCOs: like an address, a phone number or a
  plate names one thing, so each has id-contributing properties (`value`; `plate` and
  `issuing_state`) and the same deterministic id everywhere, and can be matched by a pattern.
- `accord-person-description` is a new SDO: a description names nobody, so its id is never
  shared between records; like `location`, it is derived from the record that holds it and its
  content, so re-exporting a record gives the same object. Being an SDO, it can be the
  `sighting_of_ref` of a sighting ("a person matching this description was seen here").
stix2-validator warns that the ids of objects it does not know as SCOs (our two new SCOs, and the
SDO forms derived as above) are not UUIDv4; that is the deterministic naming chosen here.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from accord.intel.observable_types import Observable, ObservableKind

__all__ = [
    "ACCORD_IDENTITY_ID",
    "STIX_EXTENSION_IDS",
    "STIX_SCO_NAMESPACE",
    "stix_definitions",
    "stix_pattern",
    "to_stix",
]


# STIX 2.1 §2.9: the namespace of deterministic SCO ids.
STIX_SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")
# Accord's own namespace for the ids of the domain objects derived from a record.
_RECORD_NAMESPACE = uuid.uuid5(STIX_SCO_NAMESPACE, "accord-record-observable")
ACCORD_IDENTITY_ID = "identity--76a0b331-c7d9-4a7e-8478-ce49ce5f81ef"
_DEFINED_AT = "2026-11-22T00:00:00.000Z"
_STANDARD_SCOS = {
    ObservableKind.IPV4: "ipv4-addr",
    ObservableKind.IPV6: "ipv6-addr",
    ObservableKind.DOMAIN: "domain-name",
    ObservableKind.URL: "url",
    ObservableKind.EMAIL: "email-addr",
}
# File hashes are keyed by the names of STIX 2.1's hash-algorithm-ov vocabulary.
_STIX_HASHES = {
    ObservableKind.MD5: "MD5",
    ObservableKind.SHA1: "SHA-1",
    ObservableKind.SHA256: "SHA-256",
}
# One extension definition per new type, as the `stix2` library registers them.
STIX_EXTENSION_IDS = MappingProxyType(
    {
        "accord-phone-number": "extension-definition--6c072240-a1b5-4641-a250-6a4149b05a5c",
        "accord-vehicle": "extension-definition--914e03e8-bb5e-4e63-a921-338f3ff7dcb1",
        "accord-person-description": "extension-definition--28b4112d-6ddc-4983-8228-fbab8452c302",
    }
)
_EXTENSIONS = {
    "accord-phone-number": (
        "new-sco",
        "A telephone number. value: the number in E.164 (+12095550142). "
        "ID-contributing property: value.",
    ),
    "accord-vehicle": (
        "new-sco",
        "A road vehicle known by its licence plate. plate: 1-8 uppercase letters and digits; "
        "issuing_state: the USPS or Canada Post code of the issuing jurisdiction; optional "
        "make and model (uppercase) and colour (lowercase). "
        "ID-contributing properties: plate, issuing_state.",
    ),
    "accord-person-description": (
        "new-sdo",
        "A description of a person who is not identified, with the optional strings sex "
        "(female or male), age (years: N or N-M), height (N cm or N-M cm), build, hair, marks "
        "and clothing (items separated by '; '). A description is not an identity: its id is "
        "derived from the record holding it and is never shared between records.",
    ),
}


def stix_definitions() -> list[dict[str, Any]]:
    """The identity and the extension definitions that Accord's own STIX object types need."""
    common = {"spec_version": "2.1", "created": _DEFINED_AT, "modified": _DEFINED_AT}
    identity = {
        "type": "identity",
        "id": ACCORD_IDENTITY_ID,
        **common,
        "name": "Accord",
        "description": "The open-source Accord project, publisher of Accord's STIX extensions.",
        "identity_class": "organization",
    }
    definitions = [
        {
            "type": "extension-definition",
            "id": STIX_EXTENSION_IDS[stix_type],
            **common,
            "created_by_ref": ACCORD_IDENTITY_ID,
            "name": stix_type,
            "description": f"The {stix_type} object type of Accord.",
            "schema": schema,
            "version": "1.0.0",
            "extension_types": [extension_type],
        }
        for stix_type, (extension_type, schema) in _EXTENSIONS.items()
    ]
    return [identity, *definitions]


def _extension(stix_type: str) -> dict[str, Any]:
    extension_type = _EXTENSIONS[stix_type][0]
    return {STIX_EXTENSION_IDS[stix_type]: {"extension_type": extension_type}}


def to_stix(
    observable: Observable, *, record_id: str | None = None, created: datetime | None = None
) -> dict[str, Any]:
    """The STIX 2.1 object for `observable`.

    SCOs need nothing else. A place (`location`) and a person description are domain objects:
    they need the id of the record that holds them and its creation time (timezone-aware)."""
    if observable.kind in {ObservableKind.PLACE, ObservableKind.PERSON}:
        return _domain_object(observable, record_id, created)
    stix_type, properties, contributing = _sco_parts(observable)
    name = _canonical_json({key: properties[key] for key in contributing})
    sco: dict[str, Any] = {
        "type": stix_type,
        "spec_version": "2.1",
        "id": f"{stix_type}--{uuid.uuid5(STIX_SCO_NAMESPACE, name)}",
        **properties,
    }
    if stix_type.startswith("accord-"):
        sco["extensions"] = _extension(stix_type)
    return sco


def _sco_parts(observable: Observable) -> tuple[str, dict[str, Any], tuple[str, ...]]:
    kind, value = observable.kind, str(observable.value)
    if kind in _STANDARD_SCOS:
        return _STANDARD_SCOS[kind], {"value": value}, ("value",)
    if kind in _STIX_HASHES:
        return "file", {"hashes": {_STIX_HASHES[kind]: value}}, ("hashes",)
    if kind is ObservableKind.PHONE:
        return "accord-phone-number", {"value": value}, ("value",)
    parts = observable.attributes
    properties = {"plate": parts["plate"], "issuing_state": parts["state"]}
    properties |= {name: parts[name] for name in ("make", "model", "colour") if name in parts}
    return "accord-vehicle", properties, ("plate", "issuing_state")


def _domain_object(
    observable: Observable, record_id: str | None, created: datetime | None
) -> dict[str, Any]:
    if record_id is None or created is None or created.tzinfo is None:
        message = (
            f"a {observable.kind} is a STIX domain object: give record_id and an aware created"
        )
        raise ValueError(message)
    stamp = created.astimezone(UTC)
    timestamp = stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
    content = {"record": record_id, "kind": observable.kind.value, **observable.attributes}
    stix_type = (
        "location" if observable.kind is ObservableKind.PLACE else "accord-person-description"
    )
    sdo: dict[str, Any] = {
        "type": stix_type,
        "spec_version": "2.1",
        "id": f"{stix_type}--{uuid.uuid5(_RECORD_NAMESPACE, _canonical_json(content))}",
        "created": timestamp,
        "modified": timestamp,
    }
    parts = observable.attributes
    if observable.kind is ObservableKind.PLACE:
        sdo |= {"latitude": float(parts["latitude"]), "longitude": float(parts["longitude"])}
        if "label" in parts:
            sdo["name"] = parts["label"]
        return sdo
    sdo |= dict(parts)
    sdo["extensions"] = _extension(stix_type)
    return sdo


def _canonical_json(value: Mapping[str, Any]) -> str:
    """RFC 8785 (JCS) serialization, as STIX 2.1 §2.9 asks; our values are strings only."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def stix_pattern(observable: Observable) -> str | None:
    """The STIX 2.1 pattern matching `observable`, or None for a place or a person description,
    which an indicator does not detect."""
    kind = observable.kind
    if kind in {ObservableKind.PLACE, ObservableKind.PERSON}:
        return None
    stix_type, properties, _ = _sco_parts(observable)
    if kind in _STIX_HASHES:
        algorithm = _STIX_HASHES[kind]
        path = algorithm if algorithm.isalnum() else f"'{algorithm}'"
        return f"[file:hashes.{path} = {_quote(str(observable.value))}]"
    if kind is ObservableKind.VEHICLE:
        state, plate = _quote(properties["issuing_state"]), _quote(properties["plate"])
        return f"[{stix_type}:issuing_state = {state} AND {stix_type}:plate = {plate}]"
    return f"[{stix_type}:value = {_quote(str(observable.value))}]"


def _quote(text: str) -> str:
    """A STIX 2.1 pattern string constant: in single quotes, `\\` and `'` escaped by a backslash."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
