"""The STIX 2.1 form of every observable kind, judged by OASIS's stix2-validator and stix2 library.

A bundle made of one observable of each kind, the objects and extension definitions Accord
publishes, an indicator for each pattern, an observed-data and a sighting must validate with no
errors, load in `stix2`, and carry the ids that `stix2` itself derives (STIX 2.1 §2.9). The
validator may warn only that the ids Accord derives on purpose are not UUIDv4 (see the module
docstring of `accord.intel.stix_observables`).
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
import stix2
from hypothesis import given, settings
from hypothesis import strategies as st
from stix2.properties import StringProperty
from stix2.registry import class_for_type
from stix2patterns.v21.pattern import Pattern
from stix2validator import ValidationOptions, validate_instance

from accord.intel.observables import Observable, ObservableKind, normalize
from accord.intel.stix_observables import (
    ACCORD_IDENTITY_ID,
    STIX_EXTENSION_IDS,
    stix_definitions,
    stix_pattern,
    to_stix,
)

K = ObservableKind
AT = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
STAMP = "2026-11-21T12:00:00.000Z"
POLICE = "identity--3f0c8a7e-5b1d-4c2e-9a6f-8d7e1b2c3a4f"
RECORD = "a7d3c0e2-8f41-4b6a-9c15-2e7f9b1d4c68"
# stix2-validator's check {103}: our own SCO types, location and the person description
# carry deterministic UUIDv5 ids by design.
EXPECTED_WARNING = re.compile(r"\{103\} Given ID value \S+ is not a valid UUIDv4 ID\.")

EXAMPLES: dict[ObservableKind, Any] = {
    K.PERSON: {
        "sex": "male",
        "age": "30-40",
        "height": "5'10\"",
        "clothing": "grey hoodie; black jeans",
        "marks": "scar over left eye",
    },
    K.VEHICLE: {"plate": "7ABC123", "state": "CA", "make": "toyota", "colour": "white"},
    K.PHONE: "(209) 555-0142",
    K.EMAIL: "tips+bolo@portcity-pd.example",
    K.IPV4: "203.0.113.5",
    K.IPV6: "2001:db8::5",
    K.DOMAIN: "bücher.example",
    K.URL: "HTTPS://Harbour-Point-Mall.example:443/lost&found/it's here?ref=bolo#top",
    K.MD5: "D41D8CD98F00B204E9800998ECF8427E",
    K.SHA1: "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709",
    K.SHA256: "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
    K.PLACE: {"latitude": 37.9503, "longitude": -121.2911, "label": "Harbour Point Mall"},
}


def _register_accord_types() -> None:
    """Teach `stix2` Accord's types as a partner would, from their extension definitions."""
    if class_for_type("accord-vehicle", "2.1", "observables") is not None:
        return
    stix2.v21.CustomObservable(
        "accord-phone-number",
        [("value", StringProperty(required=True))],
        id_contrib_props=["value"],
        extension_name=STIX_EXTENSION_IDS["accord-phone-number"],
    )(type("AccordPhoneNumber", (), {}))
    stix2.v21.CustomObservable(
        "accord-vehicle",
        [
            ("plate", StringProperty(required=True)),
            ("issuing_state", StringProperty(required=True)),
            ("make", StringProperty()),
            ("model", StringProperty()),
            ("colour", StringProperty()),
        ],
        id_contrib_props=["plate", "issuing_state"],
        extension_name=STIX_EXTENSION_IDS["accord-vehicle"],
    )(type("AccordVehicle", (), {}))
    descriptors = ("sex", "age", "height", "build", "hair", "clothing", "marks")
    stix2.v21.CustomObject(
        "accord-person-description",
        [(name, StringProperty()) for name in descriptors],
        extension_name=STIX_EXTENSION_IDS["accord-person-description"],
    )(type("AccordPersonDescription", (), {}))


def _stix_id(prefix: str) -> str:
    return f"{prefix}--{uuid.uuid4()}"


def _indicator(observable: Observable, pattern: str) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": _stix_id("indicator"),
        "created": STAMP,
        "modified": STAMP,
        "created_by_ref": POLICE,
        "name": f"BOLO: {observable.display}",
        "description": f"Port City Police Department BOLO naming this {observable.kind}.",
        "indicator_types": ["malicious-activity"],
        "pattern": pattern,
        "pattern_type": "stix",
        "pattern_version": "2.1",
        "valid_from": STAMP,
    }


def _bundle(observables: list[Observable]) -> dict[str, Any]:
    police = {
        "type": "identity",
        "spec_version": "2.1",
        "id": POLICE,
        "created": STAMP,
        "modified": STAMP,
        "name": "Port City Police Department",
        "description": "A fictional police department of the Accord demo world.",
        "identity_class": "organization",
        "sectors": ["government-public-services"],
    }
    objects = [*stix_definitions(), police]
    scos = []
    for observable in observables:
        objects.append(to_stix(observable, record_id=RECORD, created=AT))
        if observable.kind not in {K.PLACE, K.PERSON}:
            scos.append(objects[-1]["id"])
        pattern = stix_pattern(observable)
        if pattern is not None:
            objects.append(_indicator(observable, pattern))
    objects.append(
        {
            "type": "observed-data",
            "spec_version": "2.1",
            "id": _stix_id("observed-data"),
            "created": STAMP,
            "modified": STAMP,
            "created_by_ref": POLICE,
            "first_observed": STAMP,
            "last_observed": STAMP,
            "number_observed": 1,
            "object_refs": scos,
        }
    )
    by_type = {o["type"]: o["id"] for o in objects}
    if "accord-person-description" in by_type and "location" in by_type:
        objects.append(
            {
                "type": "sighting",
                "spec_version": "2.1",
                "id": _stix_id("sighting"),
                "created": STAMP,
                "modified": STAMP,
                "created_by_ref": POLICE,
                "description": "A person matching the description was seen at the mall.",
                "sighting_of_ref": by_type["accord-person-description"],
                "where_sighted_refs": [by_type["location"]],
            }
        )
    return {"type": "bundle", "id": _stix_id("bundle"), "objects": objects}


def _judged(bundle: dict[str, Any]) -> tuple[list[str], list[str]]:
    """stix2-validator's errors and unexpected warnings, each prefixed by the object's id."""
    results = validate_instance(bundle, ValidationOptions(version="2.1"))
    errors = [str(error) for error in results.errors]
    warnings = [w for w in results.warnings if not EXPECTED_WARNING.search(str(w))]
    return errors, warnings


def test_a_bundle_of_every_kind_passes_stix2_validator() -> None:
    bundle = _bundle([normalize(kind, raw) for kind, raw in EXAMPLES.items()])
    assert {o["type"] for o in bundle["objects"]} >= {
        "accord-person-description",
        "accord-phone-number",
        "accord-vehicle",
        "domain-name",
        "email-addr",
        "extension-definition",
        "file",
        "indicator",
        "ipv4-addr",
        "ipv6-addr",
        "location",
        "sighting",
        "url",
    }
    errors, warnings = _judged(bundle)
    assert errors == [], "\n".join(errors)
    assert warnings == [], "\n".join(warnings)


def test_the_validator_would_catch_a_broken_observable() -> None:
    bundle = _bundle([normalize(K.SHA256, EXAMPLES[K.SHA256])])
    file_object = next(o for o in bundle["objects"] if o["type"] == "file")
    file_object["hashes"]["SHA-256"] = "e3b0c442"
    errors, _ = _judged(bundle)
    assert errors != []


def test_the_bundle_loads_in_stix2() -> None:
    bundle = _bundle([normalize(kind, raw) for kind, raw in EXAMPLES.items()])
    loaded = stix2.parse(json.dumps(bundle), allow_custom=True)
    assert [o["id"] for o in loaded.objects] == [o["id"] for o in bundle["objects"]]
    standard = [o for o in loaded.objects if not o["type"].startswith("accord-")]
    assert all(isinstance(o, stix2.base._STIXBase) for o in standard)


def test_stix2_derives_the_same_ids_and_reads_accords_types() -> None:
    _register_accord_types()
    for kind, raw in EXAMPLES.items():
        if kind in {K.PLACE, K.PERSON}:
            continue
        emitted = to_stix(normalize(kind, raw))
        rebuilt = stix2.parse({k: v for k, v in emitted.items() if k != "id"})
        assert rebuilt.id == emitted["id"], kind
        assert json.loads(rebuilt.serialize()) == emitted
    for kind in (K.PLACE, K.PERSON):
        emitted = to_stix(normalize(kind, EXAMPLES[kind]), record_id=RECORD, created=AT)
        assert json.loads(stix2.parse(emitted).serialize()) == emitted


def _literal(pattern: str) -> tuple[str, list[str], str]:
    """The one comparison in `pattern` as stix2-patterns parses it, with its literal unescaped."""
    comparisons = Pattern(pattern).inspect().comparisons
    [(stix_type, expressions)] = comparisons.items()
    [(path, operator, literal)] = expressions
    assert operator == "="
    return stix_type, path, re.sub(r"\\(.)", r"\1", literal[1:-1])


@pytest.mark.parametrize("kind", [k for k in K if k not in {K.PLACE, K.PERSON, K.VEHICLE}])
def test_each_pattern_parses_to_the_observables_value(kind: ObservableKind) -> None:
    observable = normalize(kind, EXAMPLES[kind])
    pattern = stix_pattern(observable)
    assert pattern is not None
    stix_type, path, value = _literal(pattern)
    assert stix_type == to_stix(observable)["type"]
    assert value == observable.value
    assert path[0] == ("hashes" if stix_type == "file" else "value")


def test_a_quote_and_a_backslash_survive_a_pattern() -> None:
    tricky = Observable(K.URL, "http://example.com/it's\\here", "http://example.com/it's\\here")
    pattern = stix_pattern(tricky)
    assert pattern is not None
    assert _literal(pattern)[2] == tricky.value
    stix2.Indicator(pattern=pattern, pattern_type="stix", valid_from=AT)


def test_the_definitions_name_their_publisher() -> None:
    identity, *definitions = stix_definitions()
    assert identity["id"] == ACCORD_IDENTITY_ID
    assert {d["id"] for d in definitions} == set(STIX_EXTENSION_IDS.values())
    assert all(d["created_by_ref"] == ACCORD_IDENTITY_ID for d in definitions)


addresses = st.ip_addresses().map(str)
urls = st.builds(
    "https://{}.example/{}".format,
    st.from_regex(r"[a-z0-9]{1,12}", fullmatch=True),
    st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=24),
)
emails = st.from_regex(
    r"[a-z0-9_+-]{1,8}(\.[a-z0-9_+-]{1,8})?@[a-z0-9]{1,8}\.example", fullmatch=True
)
domains = st.text(alphabet="abcxyzäöüжß0-", min_size=1, max_size=12).map(lambda s: f"{s}.example")


@settings(max_examples=40)
@given(raws=st.tuples(addresses, urls, emails, domains))
def test_generated_observables_pass_the_validator_too(raws: tuple[str, str, str, str]) -> None:
    observables = []
    for kind, raw in zip((K.IPV4, K.URL, K.EMAIL, K.DOMAIN), raws, strict=True):
        try:
            observables.append(normalize(kind, raw))
        except ValueError:
            continue
    errors, warnings = _judged(_bundle(observables))
    assert errors == [], "\n".join(errors)
    assert warnings == [], "\n".join(warnings)
