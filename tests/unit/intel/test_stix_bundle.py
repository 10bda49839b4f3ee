"""Shared records go out as STIX 2.1 bundles and partners' bundles come in, object by object.

The Port City Police Department exports a BOLO for a white Toyota seen near Harbour Point Mall; the
mall's security office exports a suspicious activity report. Exporting a record twice gives the
same bundle; every reference in a bundle resolves inside it; markings are TLP 2.0's published
ones, and partners' TLP 1.0 markings read as TLP 2.0. An incoming bundle is never skipped in
silence: every object is accepted or reported with what is wrong with it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.intel.observables import Observable, ObservableKind, normalize
from accord.intel.stix_bundle import (
    ACCORD_STIX_NAMESPACE,
    RECORD_KINDS,
    ExportRecord,
    InvalidRecord,
    bundle_of,
    parse_bundle,
    parse_objects,
)
from accord.intel.stix_markings import (
    TLP1_MARKING_IDS,
    TLP2_EXTENSION_ID,
    TLP2_MARKING_IDS,
    marking_definition,
    strictest_tlp,
    tlp_of,
    tlp_of_marking,
)
from accord.intel.stix_observables import stix_pattern
from accord.sharing.domain import Tlp

K = ObservableKind
AT = datetime(2026, 11, 21, 18, 30, tzinfo=UTC)
POLICE = uuid.UUID("3f0c8a7e-5b1d-4c2e-9a6f-8d7e1b2c3a4f")
MALL = uuid.UUID("8b1e4d2a-6c3f-4a5e-b7d9-0f2c4e6a8b1d")
BOLO = uuid.UUID("a7d3c0e2-8f41-4b6a-9c15-2e7f9b1d4c68")
SAR = uuid.UUID("c4e8f1a2-3b5d-4c6e-8f7a-9b0c1d2e3f4a")
TOYOTA = normalize(K.VEHICLE, {"plate": "7ABC123", "state": "CA", "make": "toyota"})
DRIVER = normalize(K.PERSON, {"sex": "male", "age": "30-40", "clothing": "grey hoodie"})
PHONE = normalize(K.PHONE, "(209) 555-0142")
ADDRESS = normalize(K.IPV4, "203.0.113.5")
GATE = normalize(K.PLACE, {"latitude": 37.9503, "longitude": -121.2911, "label": "north gate"})
EVERY_KIND: tuple[Observable, ...] = (
    DRIVER,
    TOYOTA,
    PHONE,
    normalize(K.EMAIL, "tips@portcity-pd.example"),
    ADDRESS,
    normalize(K.IPV6, "2001:db8::5"),
    normalize(K.DOMAIN, "harbour-point-mall.example"),
    normalize(K.URL, "https://harbour-point-mall.example/lost-and-found"),
    normalize(K.MD5, "d41d8cd98f00b204e9800998ecf8427e"),
    normalize(K.SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    normalize(K.SHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    GATE,
)
STAMP = "2026-11-21T18:30:00.000Z"


def bolo(**changes: Any) -> ExportRecord:
    """The police department's BOLO for the white Toyota, with `changes`."""
    record = ExportRecord(
        id=BOLO,
        kind="bolo",
        title="BOLO: white Toyota, plate 7ABC123",
        description="Seen leaving Harbour Point Mall's north lot after a purse snatching.",
        tlp=Tlp.AMBER,
        created=AT,
        modified=AT + timedelta(minutes=5),
        owner_org_id=POLICE,
        owner_org_name="Port City Police Department",
        observables=(TOYOTA, DRIVER, PHONE),
        place=(37.9503, -121.2911),
        labels=("vehicle", "theft"),
    )
    return replace(record, **changes)


def sar(**changes: Any) -> ExportRecord:
    """The mall security office's suspicious activity report, with `changes`."""
    record = ExportRecord(
        id=SAR,
        kind="sar",
        title="Man photographing the loading dock",
        description="",
        tlp=Tlp.GREEN,
        created=AT - timedelta(days=1),
        modified=AT - timedelta(days=1),
        owner_org_id=MALL,
        owner_org_name="Harbour Point Mall Security",
        observables=(TOYOTA, ADDRESS),
    )
    return replace(record, **changes)


def by_type(bundle: dict[str, Any], stix_type: str) -> list[dict[str, Any]]:
    return [o for o in bundle["objects"] if o["type"] == stix_type]


def references(stix_object: dict[str, Any]) -> list[str]:
    """Every id `stix_object` refers to through a `_ref` or `_refs` property."""
    found: list[str] = []
    for name, value in stix_object.items():
        if name.endswith("_ref"):
            found.append(value)
        elif name.endswith("_refs"):
            found.extend(value)
    return found


# Export


def test_exporting_a_record_twice_gives_the_same_bundle_byte_for_byte() -> None:
    assert json.dumps(bundle_of([bolo()])) == json.dumps(bundle_of([bolo()]))


def test_a_new_version_of_a_record_keeps_its_ids_with_a_later_modified() -> None:
    first = bundle_of([bolo()])
    later = AT + timedelta(hours=2)
    second = bundle_of([bolo(modified=later, title="BOLO: white Toyota (updated)")])
    assert [o["id"] for o in first["objects"]] == [o["id"] for o in second["objects"]]
    assert first["id"] != second["id"]
    [report] = by_type(second, "report")
    assert report["modified"] == "2026-11-21T20:30:00.000Z"
    assert report["created"] == STAMP


def test_ids_are_uuid5_in_accords_namespace_and_differ_between_records() -> None:
    [bolo_report] = by_type(bundle_of([bolo()]), "report")
    [sar_report] = by_type(bundle_of([sar()]), "report")
    expected = uuid.uuid5(ACCORD_STIX_NAMESPACE, f"record/{BOLO}")
    assert bolo_report["id"] == f"report--{expected}"
    assert uuid.UUID(bolo_report["id"].split("--")[1]).version == 5
    assert bolo_report["id"] != sar_report["id"]
    assert uuid.uuid5(uuid.NAMESPACE_URL, "urn:accord:stix") == ACCORD_STIX_NAMESPACE


def test_every_reference_resolves_inside_the_bundle_and_every_object_is_there_once() -> None:
    bundle = bundle_of([bolo(observables=EVERY_KIND), sar()])
    ids = [o["id"] for o in bundle["objects"]]
    assert len(ids) == len(set(ids))
    missing = {ref for o in bundle["objects"] for ref in references(o)} - set(ids)
    assert missing == set()


def test_the_report_refers_to_the_records_observables_place_and_indicators() -> None:
    bundle = bundle_of([bolo()])
    [report] = by_type(bundle, "report")
    types = sorted(ref.split("--")[0] for ref in report["object_refs"])
    assert types == [
        "accord-person-description",
        "accord-phone-number",
        "accord-vehicle",
        "indicator",
        "indicator",
        "location",
    ]
    patterns = {i["pattern"] for i in by_type(bundle, "indicator")}
    assert patterns == {stix_pattern(TOYOTA), stix_pattern(PHONE)}
    [location] = by_type(bundle, "location")
    assert (location["latitude"], location["longitude"]) == (37.9503, -121.2911)


def test_a_record_with_nothing_to_refer_to_refers_to_its_owner() -> None:
    bundle = bundle_of([bolo(observables=(), place=None)])
    [identity] = by_type(bundle, "identity")
    [report] = by_type(bundle, "report")
    assert report["object_refs"] == [identity["id"]]
    assert report["created_by_ref"] == identity["id"]
    assert identity["identity_class"] == "organization"
    assert identity["name"] == "Port City Police Department"


def test_an_organization_is_one_identity_however_many_records_it_owns() -> None:
    other = bolo(id=uuid.uuid4(), title="BOLO: red scooter", observables=())
    bundle = bundle_of([bolo(), other, sar()])
    names = sorted(identity["name"] for identity in by_type(bundle, "identity"))
    # Accord itself publishes the extensions that define its vehicle and phone number types
    assert names == ["Accord", "Harbour Point Mall Security", "Port City Police Department"]


@pytest.mark.parametrize(
    ("kind", "report_types", "indicator_types"),
    [
        ("bulletin", ["threat-report"], None),
        ("bolo", ["indicator"], None),
        ("sar", ["observed-data"], ["anomalous-activity"]),
        ("cyber_report", ["threat-report", "indicator"], ["malicious-activity"]),
        ("note", None, None),
    ],
)
def test_each_kind_has_its_report_and_indicator_types(
    kind: str, report_types: list[str] | None, indicator_types: list[str] | None
) -> None:
    bundle = bundle_of([bolo(kind=kind)])
    [report] = by_type(bundle, "report")
    assert report.get("report_types") == report_types
    assert {str(i.get("indicator_types")) for i in by_type(bundle, "indicator")} == {
        str(indicator_types)
    }


def test_a_report_carries_the_records_title_description_labels_and_publication() -> None:
    [report] = by_type(bundle_of([bolo()]), "report")
    assert report["name"] == "BOLO: white Toyota, plate 7ABC123"
    assert report["description"].startswith("Seen leaving Harbour Point Mall")
    assert report["labels"] == ["vehicle", "theft"]
    assert report["published"] == STAMP
    [sar_report] = by_type(bundle_of([sar()]), "report")
    assert "description" not in sar_report
    assert "labels" not in sar_report


def test_indicators_are_valid_from_the_records_creation() -> None:
    for indicator in by_type(bundle_of([bolo()]), "indicator"):
        assert indicator["valid_from"] == STAMP
        assert indicator["pattern_type"] == "stix"


def test_times_are_written_in_utc_with_milliseconds() -> None:
    pacific = timezone(timedelta(hours=-8))
    record = bolo(created=datetime(2026, 11, 21, 10, 30, 0, 123456, tzinfo=pacific))
    [report] = by_type(bundle_of([record]), "report")
    assert report["created"] == "2026-11-21T18:30:00.123Z"


# Markings

PUBLISHED_TLP2 = {
    Tlp.CLEAR: ("94868c89-83c2-464b-929b-a1a8aa3c8487", "TLP:CLEAR"),
    Tlp.GREEN: ("bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "TLP:GREEN"),
    Tlp.AMBER: ("55d920b0-5e8b-4f79-9ee9-91f868d9b421", "TLP:AMBER"),
    Tlp.AMBER_STRICT: ("939a9414-2ddd-4d32-a0cd-375ea402b003", "TLP:AMBER+STRICT"),
    Tlp.RED: ("e828b379-4e03-4974-9ac4-e53a884c97c1", "TLP:RED"),
}


@pytest.mark.parametrize("tlp", list(Tlp))
def test_each_marking_is_the_one_oasis_publishes(tlp: Tlp) -> None:
    uuid_part, name = PUBLISHED_TLP2[tlp]
    assert marking_definition(tlp) == {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": f"marking-definition--{uuid_part}",
        "created": "2022-10-01T00:00:00.000Z",
        "name": name,
        "extensions": {
            "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {
                "extension_type": "property-extension",
                "tlp_2_0": tlp.value,
            }
        },
    }
    assert marking_definition(tlp.value) == marking_definition(tlp)


@pytest.mark.parametrize("tlp", list(Tlp))
def test_a_records_marking_goes_out_and_comes_back_as_the_same_tlp(tlp: Tlp) -> None:
    bundle = bundle_of([bolo(tlp=tlp.value)])
    assert by_type(bundle, "marking-definition") == [marking_definition(tlp)]
    marked = [o for o in bundle["objects"] if "object_marking_refs" in o]
    assert {tuple(o["object_marking_refs"]) for o in marked} == {(TLP2_MARKING_IDS[tlp],)}
    result = parse_bundle(bundle)
    assert result.errors == ()
    assert dict(result.markings) == {TLP2_MARKING_IDS[tlp]: tlp}
    assert {tlp_of(o) for o in result.objects if "object_marking_refs" in o} == {tlp}


@pytest.mark.parametrize(
    ("colour", "tlp"),
    [("white", Tlp.CLEAR), ("green", Tlp.GREEN), ("amber", Tlp.AMBER), ("red", Tlp.RED)],
)
def test_tlp_1_markings_read_as_tlp_2(colour: str, tlp: Tlp) -> None:
    assert tlp_of_marking(TLP1_MARKING_IDS[colour]) is tlp
    marking = {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP1_MARKING_IDS[colour],
        "created": "2017-01-20T00:00:00.000Z",
        "definition_type": "tlp",
        "name": f"TLP:{colour.upper()}",
        "definition": {"tlp": colour},
    }
    [report] = by_type(bundle_of([bolo(observables=(), place=None)]), "report")
    report["object_marking_refs"] = [TLP1_MARKING_IDS[colour]]
    result = parse_objects([marking, report])
    assert result.errors == ()
    assert dict(result.markings) == {TLP1_MARKING_IDS[colour]: tlp}
    assert tlp_of(report) is tlp


def test_an_object_under_two_markings_is_read_under_the_stricter() -> None:
    [report] = by_type(bundle_of([bolo(observables=(), place=None)]), "report")
    report["object_marking_refs"] = [TLP1_MARKING_IDS["green"], TLP2_MARKING_IDS[Tlp.RED]]
    assert tlp_of(report) is Tlp.RED
    assert strictest_tlp([]) is None
    assert tlp_of_marking("marking-definition--34098fce-860f-48ae-8e50-000000000000") is None


def test_a_marking_that_contradicts_its_official_id_is_refused() -> None:
    forged = marking_definition(Tlp.RED)
    forged["extensions"][TLP2_EXTENSION_ID]["tlp_2_0"] = "clear"
    stale = {**marking_definition(Tlp.GREEN), "id": TLP1_MARKING_IDS["white"]}
    [first, second] = parse_objects([forged, stale]).errors
    assert "tlp_2_0 is 'clear'" in first.message
    assert "TLP marking 'red'" in first.message
    assert "definition.tlp is missing" in second.message


def test_a_shared_observable_carries_the_strictest_marking_of_its_records() -> None:
    bundle = bundle_of([sar(tlp=Tlp.CLEAR), bolo(tlp=Tlp.RED)])
    [vehicle] = by_type(bundle, "accord-vehicle")
    assert vehicle["object_marking_refs"] == [TLP2_MARKING_IDS[Tlp.RED]]
    [address] = by_type(bundle, "ipv4-addr")
    assert address["object_marking_refs"] == [TLP2_MARKING_IDS[Tlp.CLEAR]]
    assert {m["id"] for m in by_type(bundle, "marking-definition")} == {
        TLP2_MARKING_IDS[Tlp.CLEAR],
        TLP2_MARKING_IDS[Tlp.RED],
    }


# Retraction


def test_a_withdrawn_record_revokes_its_report_indicators_and_domain_objects() -> None:
    bundle = bundle_of([bolo(revoked=True, modified=AT + timedelta(days=1))])
    revoked = {o["type"] for o in bundle["objects"] if o.get("revoked") is True}
    assert revoked == {"report", "indicator", "location", "accord-person-description"}
    kept = {o["type"] for o in bundle["objects"] if "revoked" not in o}
    assert kept == {"marking-definition", "identity", "extension-definition"} | {
        "accord-vehicle",
        "accord-phone-number",
    }
    assert all(
        o["modified"] == "2026-11-22T18:30:00.000Z" for o in bundle["objects"] if "revoked" in o
    )
    assert "revoked" not in json.dumps(bundle_of([bolo()]))


# Bad records


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "rumour"}, "kind"),
        ({"tlp": "white"}, "tlp"),
        ({"title": "   "}, "title"),
        ({"created": datetime(2026, 11, 21, 18, 30)}, "created"),  # noqa: DTZ001
        ({"modified": AT - timedelta(seconds=1)}, "modified"),
        ({"owner_org_name": ""}, "owner_org_name"),
        ({"place": (91.0, -121.29)}, "place"),
        ({"place": ("north", "gate")}, "place"),
        ({"place": (37.95,)}, "place"),
        ({"labels": ("vehicle", "")}, "labels"),
        ({"observables": ("7ABC123",)}, "observables"),
        ({"id": "a7d3c0e2"}, "id"),
    ],
)
def test_a_record_that_cannot_be_exported_names_the_field(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidRecord) as raised:
        bolo(**changes)
    assert raised.value.field == field
    assert str(raised.value).startswith(f"{field}: ")


def test_a_record_is_exported_once_per_bundle() -> None:
    with pytest.raises(InvalidRecord, match="records: each record"):
        bundle_of([bolo(), bolo(title="BOLO again")])


def test_an_empty_export_is_an_empty_bundle() -> None:
    bundle = bundle_of([])
    assert bundle["objects"] == []
    assert parse_bundle(bundle).errors == ()


# Import: what is refused, and why

GOOD_INDICATOR = {
    "type": "indicator",
    "spec_version": "2.1",
    "id": "indicator--6e1fa9a0-3f4a-4b9e-9a47-3c6a5d9e2f10",
    "created": STAMP,
    "modified": STAMP,
    "name": "Harbour Point Mall phishing domain",
    "pattern": "[domain-name:value = 'harbour-point-mall.example']",
    "pattern_type": "stix",
    "valid_from": STAMP,
}


def broken(**changes: Any) -> dict[str, Any]:
    """The good indicator with `changes`; a value of None removes the property."""
    changed = {**GOOD_INDICATOR, **changes}
    return {name: value for name, value in changed.items() if value is not None}


@pytest.mark.parametrize(
    ("stix_object", "message"),
    [
        (broken(id=None), "id must be 'indicator--' and a UUID, not null"),
        (broken(id="indicator--not-a-uuid"), "id must be 'indicator--' and a UUID"),
        (broken(id="report--6e1fa9a0-3f4a-4b9e-9a47-3c6a5d9e2f10"), "id must be 'indicator--'"),
        (broken(created="2026-11-21 18:30:00"), "created must be a UTC timestamp like"),
        (broken(created="2026-11-21T18:30:00+01:00"), "created must be a UTC timestamp"),
        (broken(modified="2026-02-30T00:00:00Z"), "modified must be a UTC timestamp"),
        (broken(valid_from=20261121), "valid_from must be a UTC timestamp like"),
        (broken(created=None), "created is required"),
        (broken(modified="2026-11-20T00:00:00Z"), "modified must not be before created"),
        (broken(spec_version="2.0"), "spec_version must be '2.1', not \"2.0\""),
        (broken(spec_version=None), "spec_version must be '2.1', not null"),
        (broken(type="x-port-city-rumour"), "unknown type 'x-port-city-rumour'"),
        (broken(type="Indicator"), 'type must be a STIX type name, not "Indicator"'),
        (broken(type=None), "type must be a STIX type name, not null"),
        (broken(pattern=None), "required: pattern"),
        (broken(pattern_type="sigma"), "pattern_type must be 'stix'"),
        (broken(pattern="[domain-name:value = 'a.example'"), "pattern does not parse"),
        (broken(pattern="domain-name:value = 'a.example'"), "pattern does not parse"),
        (
            broken(created_by_ref="report--6e1fa9a0-3f4a-4b9e-9a47-3c6a5d9e2f10"),
            "of type 'identity'",
        ),
        (broken(object_marking_refs=["TLP:AMBER"]), "object_marking_refs must be a non-empty"),
        (broken(object_marking_refs=[]), "object_marking_refs must be a non-empty"),
        (broken(revoked="yes"), "revoked must be true or false"),
        (broken(labels=[""]), "labels must be a non-empty list"),
        (["indicator"], 'an object must be a JSON object, not ["indicator"]'),
    ],
    ids=lambda value: str(value)[:40],
)
def test_each_malformed_object_is_reported_with_a_clear_message(
    stix_object: Any, message: str
) -> None:
    result = parse_objects([GOOD_INDICATOR, stix_object])
    assert result.objects == (GOOD_INDICATOR,)
    [error] = result.errors
    assert error.index == 1
    assert message in error.message, error.message
    if isinstance(stix_object, dict) and isinstance(stix_object.get("id"), str):
        assert error.id == stix_object["id"]
        assert str(error).startswith(f"objects[1] ({stix_object['id']}): ")


def test_every_problem_of_an_object_is_named_at_once() -> None:
    [error] = parse_objects([broken(spec_version="2.0", created="yesterday", pattern=None)]).errors
    assert error.message.count(";") == 2
    assert error.type == "indicator"


def test_type_specific_requirements_are_checked() -> None:
    [location] = by_type(bundle_of([bolo()]), "location")
    del location["latitude"]
    vehicle = {
        "type": "accord-vehicle",
        "spec_version": "2.1",
        "id": "accord-vehicle--0d5d8e4f-2b6a-5c1e-9f3d-7a8b9c0d1e2f",
        "plate": "7ABC123",
    }
    errors = parse_objects([location, vehicle]).errors
    assert "required: region or country or latitude" in errors[0].message
    assert "required: issuing_state" in errors[1].message
    assert "extensions must name extension-definition--914e03e8" in errors[1].message


def test_an_object_repeated_with_the_same_version_is_reported_not_taken_twice() -> None:
    result = parse_objects([GOOD_INDICATOR, dict(GOOD_INDICATOR)])
    assert len(result.objects) == 1
    assert result.errors[0].message == "repeats objects[0]: the same id and version"
    newer = broken(modified="2026-11-22T00:00:00.000Z")
    assert parse_objects([GOOD_INDICATOR, newer]).errors == ()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ('{"type": "bundle", ', "not JSON: Expecting property name"),
        ("", "not JSON: Expecting value at line 1 column 1"),
        (b"\xff\xfe\x00{", "not JSON"),
        ('{"type": "bundle", "objects": [{"latitude": NaN}]}', "NaN is not a JSON number"),
        ("[1, 2]", "a bundle is a JSON object, not [1, 2]"),
        (42, "a bundle is a JSON object, not 42"),
        (None, "a bundle is a JSON object, not null"),
    ],
    ids=lambda value: str(value)[:24],
)
def test_a_bundle_that_is_no_json_object_is_one_clear_error(data: object, message: str) -> None:
    result = parse_bundle(data)
    assert result.objects == ()
    [error] = result.errors
    assert (error.index, error.id, error.type) == (None, None, None)
    assert message in error.message, error.message
    assert str(error).startswith("bundle: ")


@pytest.mark.parametrize(
    ("envelope", "message"),
    [
        ({"type": "report"}, "type must be 'bundle', not \"report\""),
        ({"id": "bundle--1"}, "id must be 'bundle--' and a UUID, not \"bundle--1\""),
        ({"id": None}, "id must be 'bundle--' and a UUID, not null"),
        ({"objects": {"0": GOOD_INDICATOR}}, "objects must be a list, not {"),
    ],
)
def test_a_bundle_of_the_wrong_shape_is_reported(envelope: dict[str, Any], message: str) -> None:
    data = {"type": "bundle", "id": "bundle--5d0f0d3a-7f4e-4c1b-9a8e-2b3c4d5e6f70"}
    data |= {"objects": [GOOD_INDICATOR]} | envelope
    result = parse_bundle(json.dumps(data))
    [error] = result.errors
    assert message in error.message, error.message
    assert (error.index, error.type) == (None, "bundle")


def test_the_objects_of_a_misnamed_bundle_are_still_each_judged() -> None:
    result = parse_bundle({"type": "bundle", "id": "bundle--x", "objects": [GOOD_INDICATOR, 7]})
    assert result.objects == (GOOD_INDICATOR,)
    assert [e.index for e in result.errors] == [None, 1]


def test_a_bundle_without_objects_is_empty() -> None:
    result = parse_bundle(
        '{"type": "bundle", "id": "bundle--5d0f0d3a-7f4e-4c1b-9a8e-2b3c4d5e6f70"}'
    )
    assert (result.objects, result.errors) == ((), ())


def test_nothing_is_skipped_silently() -> None:
    objects: list[Any] = [GOOD_INDICATOR, {}, None, broken(type="x-foo"), dict(GOOD_INDICATOR)]
    result = parse_objects(objects)
    assert len(result.objects) + len(result.errors) == len(objects)
    assert [e.index for e in result.errors] == [1, 2, 3, 4]


# STIX patterns

GOOD_PATTERNS = [
    "[ipv4-addr:value = '203.0.113.5']",
    "[file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']",
    "[url:value = 'http://example.com/it\\'s']",
    "[ipv4-addr:value ISSUBSET '198.51.100.0/24' AND ipv4-addr:value != '198.51.100.1']",
    "[email-message:to_refs[*].value LIKE '%@portcity-pd.example']",
    "[network-traffic:dst_port IN (80, 443)] FOLLOWEDBY [domain-name:value = 'a.example']",
    "([file:name = 'a.exe'] OR [file:size > 1024]) WITHIN 300 SECONDS",
    "[process:pid = 4] REPEATS 5 TIMES",
    "[x509-certificate:serial_number = '1'] START t'2026-01-01T00:00:00Z' STOP "
    "t'2026-12-31T00:00:00Z'",
    "[(file:name = 'a' OR file:name = 'b') AND file:size NOT = 0]",
    "[file:name NOT MATCHES '^report']",
    "[EXISTS windows-registry-key:values]",
    "[artifact:payload_bin = b'aGk=']",
    "[file:hashes.MD5 = h'd41d8cd98f00b204e9800998ecf8427e']",
    "[user-account:is_privileged = true]",
    "[ipv4-addr:value == 'x' AND ipv4-addr:value <> 'y']",
    "[NOT EXISTS file:name]",
    "[file:size IN ()] AND [file:size < -0.5]",
    "[file:created > t'2026-11-21T18:30:00.123Z'] WITHIN +2.5 SECONDS",
]
BAD_PATTERNS = [
    "",
    "ipv4-addr:value = '203.0.113.5'",
    "[ipv4-addr:value = '203.0.113.5'",
    "[ipv4-addr:value = 203.0.113.5]",
    "[ipv4-addr:value = 'unterminated]",
    "[ipv4-addr:value = 'x'] AND",
    "[ipv4-addr:value = 'x'] WITHIN SECONDS",
    "[ipv4-addr:value = 'x'] WITHIN 5 MINUTES",
    "[ipv4-addr:value IN ('a',)]",
    "[ipv4-addr:value LIKE 5]",
    "[ipv4-addr = 'x']",
    "[] ",
    "[ipv4-addr:value = 'x'] [ipv4-addr:value = 'y']",
    "[ipv4-addr:value = 'x'] FOLLOWEDBY",
    "[ipv4-addr:value = 'x'; drop]",
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


@pytest.mark.parametrize("pattern", GOOD_PATTERNS)
def test_stix_patterns_parse(pattern: str) -> None:
    assert parse_objects([broken(pattern=pattern)]).errors == ()


@pytest.mark.parametrize("pattern", BAD_PATTERNS)
def test_malformed_patterns_are_refused(pattern: str) -> None:
    [error] = parse_objects([broken(pattern=pattern)]).errors
    assert error.message.startswith("pattern does not parse: ")


# Round trip, for any records

texts = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40).filter(
    str.strip
)
generated = st.one_of(
    st.ip_addresses().map(lambda a: normalize(K.IPV6 if a.version == 6 else K.IPV4, str(a))),
    st.from_regex(r"[a-z0-9]{1,12}\.example", fullmatch=True).map(lambda d: normalize(K.DOMAIN, d)),
    st.sampled_from(EVERY_KIND),
)
# hypothesis bounds aware datetimes by naive ones and applies `timezones` to what it draws
moments = st.datetimes(
    min_value=datetime(2001, 1, 1),  # noqa: DTZ001
    max_value=datetime(2099, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)
places = st.tuples(st.floats(-90, 90), st.floats(-180, 180))


@st.composite
def records(draw: st.DrawFn) -> ExportRecord:
    created = draw(moments)
    return ExportRecord(
        id=draw(st.uuids()),
        kind=draw(st.sampled_from(RECORD_KINDS)),
        title=draw(texts),
        description=draw(st.text(max_size=80)),
        tlp=draw(st.sampled_from(list(Tlp))),
        created=created,
        modified=created
        + draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400))),
        owner_org_id=draw(st.sampled_from([POLICE, MALL])),
        owner_org_name=draw(st.sampled_from(["Port City Police Department", "Harbour Point Mall"])),
        observables=tuple(draw(st.lists(generated, max_size=5))),
        place=draw(st.none() | places),
        revoked=draw(st.booleans()),
        labels=tuple(draw(st.lists(texts, max_size=3))),
    )


@settings(max_examples=60)
@given(st.lists(records(), max_size=4, unique_by=lambda r: r.id))
def test_any_export_reads_back_whole(exported: list[ExportRecord]) -> None:
    bundle = bundle_of(exported)
    for data in (bundle, json.dumps(bundle)):
        result = parse_bundle(data)
        assert result.errors == ()
        assert len(result.objects) == len(bundle["objects"])
    ids = {o["id"] for o in bundle["objects"]}
    assert {ref for o in bundle["objects"] for ref in references(o)} <= ids
    assert len(ids) == len(bundle["objects"])
    for record in exported:
        report_id = f"report--{uuid.uuid5(ACCORD_STIX_NAMESPACE, f'record/{record.id}')}"
        [report] = [o for o in result.objects if o["id"] == report_id]
        assert tlp_of(report) is record.tlp
