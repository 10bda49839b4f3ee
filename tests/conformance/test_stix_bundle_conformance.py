"""Accord's STIX 2.1 bundles, judged by OASIS's stix2-validator and loaded by the stix2 library.

Bundles of records of every kind under every TLP 2.0 marking, a feed mixing them, and bundles of
generated records must validate with no errors and load in `stix2`. The validator may warn only
that the ids Accord derives on purpose are not UUIDv4 (see `accord.intel.stix_bundle`). The TLP
1.0 markings Accord reads are the ones `stix2` ships, and Accord's reading of STIX patterns agrees
with the OASIS pattern validator.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import stix2
from hypothesis import given, settings
from hypothesis import strategies as st
from stix2patterns.validator import run_validator
from stix2validator import ValidationOptions, validate_instance

from accord.intel.observables import Observable, ObservableKind, normalize
from accord.intel.stix_bundle import RECORD_KINDS, ExportRecord, bundle_of, parse_bundle
from accord.intel.stix_markings import (
    TLP1_MARKING_IDS,
    TLP2_MARKING_IDS,
    marking_definition,
    tlp_of,
)
from accord.sharing.domain import Tlp

K = ObservableKind
AT = datetime(2026, 11, 21, 18, 30, tzinfo=UTC)
POLICE = uuid.UUID("3f0c8a7e-5b1d-4c2e-9a6f-8d7e1b2c3a4f")
MALL = uuid.UUID("8b1e4d2a-6c3f-4a5e-b7d9-0f2c4e6a8b1d")
# stix2-validator's check {103}: ids Accord derives as UUIDv5 on purpose.
EXPECTED_WARNING = re.compile(r"\{103\} Given ID value \S+ is not a valid UUIDv4 ID\.")
EVERY_KIND: tuple[Observable, ...] = (
    normalize(K.PERSON, {"sex": "female", "age": "20-25", "clothing": "red jacket"}),
    normalize(K.VEHICLE, {"plate": "7ABC123", "state": "CA", "make": "toyota", "colour": "white"}),
    normalize(K.PHONE, "(209) 555-0142"),
    normalize(K.EMAIL, "tips@portcity-pd.example"),
    normalize(K.IPV4, "203.0.113.5"),
    normalize(K.IPV6, "2001:db8::5"),
    normalize(K.DOMAIN, "bücher.example"),
    normalize(K.URL, "https://harbour-point-mall.example/lost&found/it's here"),
    normalize(K.MD5, "d41d8cd98f00b204e9800998ecf8427e"),
    normalize(K.SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    normalize(K.SHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    normalize(K.PLACE, {"latitude": 37.9503, "longitude": -121.2911, "label": "north gate"}),
)


def record(kind: str, tlp: Tlp, **changes: Any) -> ExportRecord:
    """A record of `kind` under `tlp` from the Port City Police Department, with `changes`."""
    values: dict[str, Any] = {
        "id": uuid.uuid5(POLICE, f"{kind}/{tlp}"),
        "kind": kind,
        "title": f"Port City {kind.replace('_', ' ')}: activity at Harbour Point Mall",
        "description": "Reported by the mall's security office at the north gate.",
        "tlp": tlp,
        "created": AT,
        "modified": AT + timedelta(minutes=10),
        "owner_org_id": POLICE,
        "owner_org_name": "Port City Police Department",
        "observables": EVERY_KIND,
        "place": (37.9501, -121.2907),
        "labels": ("harbour-point",),
    }
    return ExportRecord(**(values | changes))


def judged(bundle: dict[str, Any]) -> tuple[list[str], list[str]]:
    """stix2-validator's errors and its warnings other than the expected one."""
    results = validate_instance(bundle, ValidationOptions(version="2.1"))
    errors = [str(error) for error in results.errors]
    warnings = [str(w) for w in results.warnings if not EXPECTED_WARNING.search(str(w))]
    return errors, warnings


def assert_conforms(bundle: dict[str, Any]) -> None:
    errors, warnings = judged(bundle)
    assert errors == [], "\n".join(errors)
    assert warnings == [], "\n".join(warnings)
    loaded = stix2.parse(json.dumps(bundle), allow_custom=True)
    assert [o["id"] for o in loaded.objects] == [o["id"] for o in bundle["objects"]]


@pytest.mark.parametrize("tlp", list(Tlp))
@pytest.mark.parametrize("kind", RECORD_KINDS)
def test_a_record_of_each_kind_under_each_marking_conforms(kind: str, tlp: Tlp) -> None:
    bundle = bundle_of([record(kind, tlp)])
    assert {o["type"] for o in bundle["objects"]} >= {"report", "indicator", "location"}
    assert_conforms(bundle)


def test_a_feed_of_records_withdrawn_and_bare_conforms() -> None:
    records = [
        record("bolo", Tlp.RED, revoked=True, modified=AT + timedelta(days=2)),
        record("sar", Tlp.GREEN, owner_org_id=MALL, owner_org_name="Harbour Point Mall Security"),
        record("note", Tlp.CLEAR, observables=(), place=None, description="", labels=()),
        record("bulletin", Tlp.AMBER_STRICT, observables=EVERY_KIND[4:6]),
    ]
    bundle = bundle_of(records)
    assert any(o.get("revoked") for o in bundle["objects"])
    assert_conforms(bundle)
    assert parse_bundle(bundle).errors == ()


def test_the_judge_would_catch_a_broken_bundle() -> None:
    bundle = bundle_of([record("cyber_report", Tlp.AMBER)])
    report = next(o for o in bundle["objects"] if o["type"] == "report")
    report["created"] = "2026-11-21 18:30"
    errors, _ = judged(bundle)
    assert errors != []
    [error] = parse_bundle(bundle).errors
    assert error.id == report["id"]


@pytest.mark.parametrize("tlp", list(Tlp))
def test_the_tlp_2_markings_load_in_stix2_as_they_are(tlp: Tlp) -> None:
    loaded = stix2.parse(marking_definition(tlp), allow_custom=True)
    assert isinstance(loaded, stix2.v21.MarkingDefinition)
    assert json.loads(loaded.serialize()) == marking_definition(tlp)
    assert loaded.id == TLP2_MARKING_IDS[tlp]


def test_the_tlp_1_markings_are_the_ones_stix2_ships_and_read_as_tlp_2() -> None:
    shipped = {
        "white": stix2.TLP_WHITE,
        "green": stix2.TLP_GREEN,
        "amber": stix2.TLP_AMBER,
        "red": stix2.TLP_RED,
    }
    assert {colour: marking.id for colour, marking in shipped.items()} == dict(TLP1_MARKING_IDS)
    indicator = stix2.Indicator(
        pattern="[ipv4-addr:value = '203.0.113.5']",
        pattern_type="stix",
        valid_from=AT,
        object_marking_refs=[stix2.TLP_WHITE],
    )
    bundle = stix2.Bundle(*shipped.values(), indicator)
    result = parse_bundle(bundle.serialize())
    assert result.errors == ()
    assert set(result.markings.values()) == {Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.RED}
    [read] = [o for o in result.objects if o["type"] == "indicator"]
    assert tlp_of(read) is Tlp.CLEAR


def test_bundles_stix2_writes_are_read_whole() -> None:
    police = stix2.Identity(name="Port City Police Department", identity_class="organization")
    address = stix2.IPv4Address(value="203.0.113.5")
    place = stix2.Location(latitude=37.95, longitude=-121.29, created_by_ref=police)
    sighting = stix2.Sighting(
        sighting_of_ref=stix2.Indicator(
            pattern="[ipv4-addr:value = '203.0.113.5']", pattern_type="stix", valid_from=AT
        ),
        where_sighted_refs=[police],
        created_by_ref=police,
    )
    report = stix2.Report(
        name="Port City bulletin",
        published=AT,
        object_refs=[address, place, sighting],
        created_by_ref=police,
        object_marking_refs=[TLP2_MARKING_IDS[Tlp.GREEN]],
    )
    objects = [police, address, place, sighting, report]
    result = parse_bundle(stix2.Bundle(*objects).serialize())
    assert result.errors == ()
    assert [o["id"] for o in result.objects] == [o.id for o in objects]


PATTERNS = [
    "[ipv4-addr:value = '203.0.113.5']",
    "[file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']",
    "[email-message:to_refs[*].value LIKE '%@portcity-pd.example']",
    "[network-traffic:dst_port IN (80, 443)] FOLLOWEDBY [domain-name:value = 'a.example']",
    "([file:name = 'a.exe'] OR [file:size > 1024]) WITHIN 300 SECONDS",
    "[process:pid = 4] REPEATS 5 TIMES",
    "[file:name = 'a'] START t'2026-01-01T00:00:00Z' STOP t'2026-12-31T00:00:00Z'",
    "[(file:name = 'a' OR file:name = 'b') AND file:size NOT = 0]",
    "[file:name NOT MATCHES '^report']",
    "[EXISTS windows-registry-key:values]",
    "[artifact:payload_bin = b'aGk=']",
    "[user-account:is_privileged = true]",
    "[ipv4-addr:value = '203.0.113.5'",
    "ipv4-addr:value = '203.0.113.5'",
    "[ipv4-addr:value = 203.0.113.5]",
    "[ipv4-addr:value = 'unterminated]",
    "[ipv4-addr:value == 'x']",
    "[ipv4-addr:value = 'x'] AND",
    "[ipv4-addr:value = 'x'] WITHIN SECONDS",
    "[ipv4-addr:value = 'x'] WITHIN 5 MINUTES",
    "[ipv4-addr:value IN ('a',)]",
    "[ipv4-addr:value LIKE 5]",
    "[ipv4-addr = 'x']",
    "[]",
    "[ipv4-addr:value = 'x'] [ipv4-addr:value = 'y']",
    "[ipv4-addr:value = 'x'; drop]",
    "[ipv4-addr:value == 'x' AND ipv4-addr:value <> 'y']",
    "[NOT EXISTS file:name]",
    "[file:size IN ()] AND [file:size < -0.5]",
    "[file:created > t'2026-11-21T18:30:00.123Z'] WITHIN +2.5 SECONDS",
    "[artifact:payload_bin = h'd41d8c']",
    "[ipv4-addr:value = 'x'] REPEATS 1.5 TIMES",
    "[ipv4-addr:value = 'x'] WITHIN -1 SECONDS",
    "[ipv4-addr:value = 'x'] START '2026-01-01' STOP '2026-12-31'",
    "[file:created = t'2026-13-01T00:00:00Z']",
    "[file:size = 05]",
    "[file:size > true]",
    "[file:name LIKE t'2026-01-01T00:00:00Z']",
    "[file:name-x = 'a']",
    "[NOT file:name = 'a']",
    "[file:name = 'a'] and [file:name = 'b']",
    "[file:hashes.MD5 = h'xyz']",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_accord_reads_patterns_as_the_oasis_pattern_validator_does(pattern: str) -> None:
    """Grammar only: the OASIS validator also judges some values (a file hash's length), which
    Accord's pattern reader leaves to the observables' own rules."""
    indicator = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--6e1fa9a0-3f4a-4b9e-9a47-3c6a5d9e2f10",
        "created": "2026-11-21T18:30:00.000Z",
        "modified": "2026-11-21T18:30:00.000Z",
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": "2026-11-21T18:30:00.000Z",
    }
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": [indicator]}
    oasis_accepts = run_validator(pattern, stix_version="2.1") == []
    assert (parse_bundle(bundle).errors == ()) == oasis_accepts


texts = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=30).filter(
    str.strip
)


@st.composite
def records(draw: st.DrawFn) -> ExportRecord:
    return record(
        draw(st.sampled_from(RECORD_KINDS)),
        draw(st.sampled_from(list(Tlp))),
        id=draw(st.uuids()),
        title=draw(texts),
        description=draw(st.text(max_size=40)),
        observables=tuple(draw(st.lists(st.sampled_from(EVERY_KIND), max_size=4))),
        place=draw(st.none() | st.tuples(st.floats(-90, 90), st.floats(-180, 180))),
        revoked=draw(st.booleans()),
        labels=tuple(draw(st.lists(texts, max_size=2))),
    )


@settings(max_examples=15)
@given(st.lists(records(), min_size=1, max_size=3, unique_by=lambda r: r.id))
def test_bundles_of_generated_records_conform(exported: list[ExportRecord]) -> None:
    assert_conforms(bundle_of(exported))
