"""CAP 1.2 alerts: the vocabularies, the rules each part keeps, and the XML written and read back.

Port City's levee warning, its update and its cancellation are the story; hypothesis draws any
valid alert for the round trips. Bad input is refused with `InvalidCap` naming the field, or the
element when it comes from a document, and hostile documents (XXE, billion laughs) are refused.
"""

from __future__ import annotations

import math
import re
from copy import deepcopy
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from tests.cap_factories import (
    LEVEE_AREA,
    LEVEE_RING,
    OES,
    SENT,
    alerts,
    levee_cancel,
    levee_update,
    levee_warning,
)

from accord.alerts.cap import (
    CAP_NAMESPACE,
    Alert,
    Area,
    Category,
    Certainty,
    Circle,
    Geocode,
    Info,
    InvalidCap,
    MsgType,
    Polygon,
    Reference,
    Resource,
    ResponseType,
    Scope,
    Severity,
    Status,
    Urgency,
)
from accord.alerts.cap_xml import from_xml, to_xml
from accord.core.errors import Invalid

NS = {"cap": CAP_NAMESPACE}
# The code values of CAP 1.2 (OASIS Standard, §3.2.1 and §3.2.2), spelled as the standard does.
VOCABULARIES: dict[type, list[str]] = {
    Status: ["Actual", "Exercise", "System", "Test", "Draft"],
    MsgType: ["Alert", "Update", "Cancel", "Ack", "Error"],
    Scope: ["Public", "Restricted", "Private"],
    Category: [
        "Geo",
        "Met",
        "Safety",
        "Security",
        "Rescue",
        "Fire",
        "Health",
        "Env",
        "Transport",
        "Infra",
        "CBRNE",
        "Other",
    ],
    ResponseType: [
        "Shelter",
        "Evacuate",
        "Prepare",
        "Execute",
        "Avoid",
        "Monitor",
        "Assess",
        "AllClear",
        "None",
    ],
    Urgency: ["Immediate", "Expected", "Future", "Past", "Unknown"],
    Severity: ["Extreme", "Severe", "Moderate", "Minor", "Unknown"],
    Certainty: ["Observed", "Likely", "Possible", "Unlikely", "Unknown"],
}


def fields_of(error: InvalidCap) -> set[str]:
    return {problem.field for problem in error.problems}


def refused(build: Any, **values: Any) -> InvalidCap:
    with pytest.raises(InvalidCap) as caught:
        build(**values)
    return caught.value


def element_text(xml: bytes, path: str) -> list[str]:
    return [str(node.text) for node in etree.fromstring(xml).findall(path, NS)]


def alert_with(**changes: Any) -> Alert:
    return replace(levee_warning(), **changes)


def info_with(**changes: Any) -> Info:
    return replace(levee_warning().infos[0], **changes)


# Vocabularies


@pytest.mark.parametrize("vocabulary", list(VOCABULARIES), ids=lambda v: v.__name__)
def test_each_vocabulary_is_exactly_caps(vocabulary: type) -> None:
    assert [member.value for member in vocabulary] == VOCABULARIES[vocabulary]


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("scope", list(Scope))
def test_every_status_and_scope_is_written_and_read_back(status: Status, scope: Scope) -> None:
    alert = alert_with(status=status, scope=scope, addresses=("Port City PD",), restriction="OES")
    xml = to_xml(alert)
    assert element_text(xml, "cap:status") == [status.value]
    assert element_text(xml, "cap:scope") == [scope.value]
    assert from_xml(xml) == alert


@pytest.mark.parametrize("msg_type", list(MsgType))
def test_every_message_type_is_written_and_read_back(msg_type: MsgType) -> None:
    warning = levee_warning()
    references = () if msg_type is MsgType.ALERT else (warning.reference(),)
    alert = replace(warning, identifier="PCOES-2026-0050", msg_type=msg_type, references=references)
    xml = to_xml(alert)
    assert element_text(xml, "cap:msgType") == [msg_type.value]
    assert from_xml(xml) == alert


def test_every_info_vocabulary_value_is_written_and_read_back() -> None:
    infos = [
        info_with(
            categories=tuple(Category),
            response_types=tuple(ResponseType),
            urgency=urgency,
            severity=severity,
            certainty=certainty,
        )
        for urgency, severity, certainty in zip(Urgency, Severity, Certainty, strict=True)
    ]
    alert = alert_with(infos=tuple(infos))
    xml = to_xml(alert)
    assert element_text(xml, "cap:info[1]/cap:category") == VOCABULARIES[Category]
    assert element_text(xml, "cap:info[1]/cap:responseType") == VOCABULARIES[ResponseType]
    assert element_text(xml, "cap:info/cap:urgency") == VOCABULARIES[Urgency]
    assert element_text(xml, "cap:info/cap:severity") == VOCABULARIES[Severity]
    assert element_text(xml, "cap:info/cap:certainty") == VOCABULARIES[Certainty]
    assert from_xml(xml) == alert


def test_vocabulary_values_given_as_text_become_members() -> None:
    alert = Alert(
        identifier="PCOES-2026-0060",
        sender=OES,
        sent=SENT,
        status="Exercise",  # type: ignore[arg-type]
        msg_type="Alert",  # type: ignore[arg-type]
        scope="Public",  # type: ignore[arg-type]
        infos=[info_with(categories=["Fire"], urgency="Future")],  # type: ignore[arg-type]
    )
    assert alert.status is Status.EXERCISE
    assert alert.infos[0].categories == (Category.FIRE,)
    assert alert.infos[0].urgency is Urgency.FUTURE
    assert isinstance(alert.infos, tuple)


# The rules, one bad input each


@pytest.mark.parametrize("identifier", ["PCOES 42", "PCOES,42", "PCOES<42", "PCOES&42", ""])
def test_identifier_and_sender_without_spaces_commas_or_restricted_characters(
    identifier: str,
) -> None:
    error = refused(alert_with, identifier=identifier, sender=identifier or "a b")
    assert fields_of(error) == {"identifier", "sender"}


def test_a_time_without_an_offset_is_refused() -> None:
    error = refused(alert_with, sent=datetime(2026, 11, 21, 6, 45))  # noqa: DTZ001 - on purpose
    assert fields_of(error) == {"sent"}
    assert "UTC offset" in str(error)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"status": "Urgent"}, "status"),
        ({"msg_type": "Notice"}, "msg_type"),
        ({"scope": "Everyone"}, "scope"),
        ({"scope": Scope.PRIVATE}, "addresses"),
        ({"scope": Scope.RESTRICTED}, "restriction"),
        ({"addresses": ('Port "City" PD',)}, "addresses[0]"),
        ({"addresses": ("  ",)}, "addresses[0]"),
        ({"incidents": ("",)}, "incidents[0]"),
        ({"codes": (" ",)}, "codes[0]"),
        ({"note": "bell \x07"}, "note"),
        ({"infos": ("not an info",)}, "infos[0]"),
        ({"references": ("PCOES,1,2026-11-21T06:45:00-08:00",)}, "references[0]"),
    ],
)
def test_alert_rules(changes: dict[str, Any], field: str) -> None:
    assert field in fields_of(refused(alert_with, **changes))


@pytest.mark.parametrize("msg_type", [MsgType.UPDATE, MsgType.CANCEL, MsgType.ACK, MsgType.ERROR])
def test_messages_acting_on_others_need_references(msg_type: MsgType) -> None:
    error = refused(alert_with, msg_type=msg_type)
    assert fields_of(error) == {"references"}
    assert str(msg_type) in str(error)


def test_private_alert_with_addresses_and_restricted_with_a_restriction_are_accepted() -> None:
    assert alert_with(scope=Scope.PRIVATE, addresses=("Port City PD",)).addresses
    assert alert_with(scope=Scope.RESTRICTED, restriction="Mutual-aid partners").restriction


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"language": "english US"}, "language"),
        ({"language": ""}, "language"),
        ({"categories": ()}, "categories"),
        ({"categories": ("Weather",)}, "categories[0]"),
        ({"response_types": ("Run",)}, "response_types[0]"),
        ({"event": "   "}, "event"),
        ({"event": None}, "event"),
        ({"urgency": "Soon"}, "urgency"),
        ({"severity": None}, "severity"),
        ({"certainty": "Sure"}, "certainty"),
        ({"expires": SENT}, "expires"),
        ({"expires": SENT - timedelta(minutes=1)}, "expires"),
        ({"onset": datetime(2026, 11, 21)}, "onset"),  # noqa: DTZ001 - naive on purpose
        ({"headline": "nul \x00 inside"}, "headline"),
        ({"web": "/alerts/levee"}, "web"),
        ({"web": "https://portcity.example/levee map"}, "web"),
        ({"web": "https://portcity.example/%zz"}, "web"),
        ({"web": "https://portcity.example/#a#b"}, "web"),
        ({"web": "http://[::1/alerts"}, "web"),
        ({"areas": (LEVEE_RING,)}, "areas[0]"),
    ],
)
def test_info_rules(changes: dict[str, Any], field: str) -> None:
    assert field in fields_of(refused(info_with, **changes))


def test_expires_must_follow_sent_when_no_effective_time_is_given() -> None:
    info = info_with(effective=None, expires=SENT - timedelta(hours=1))
    error = refused(alert_with, infos=(info,))
    assert fields_of(error) == {"infos[0].expires"}


def test_an_info_block_defaults_to_american_english() -> None:
    info = Info(
        categories=(Category.MET,),
        event="Dense fog",
        urgency=Urgency.EXPECTED,
        severity=Severity.MINOR,
        certainty=Certainty.LIKELY,
    )
    assert info.language == "en-US"
    assert info.headline is None


@pytest.mark.parametrize(
    ("points", "message"),
    [
        (LEVEE_RING[:3], "at least four"),
        (LEVEE_RING[:4], "end where it starts"),
        (((37.9, -121.3), (38.0, -121.2), (37.9, -121.2), (38.0, -121.3), (37.9, -121.3)), "cross"),
        (((37.9, -121.3), (37.95, -121.3), (38.0, -121.3), (37.9, -121.3)), "cross"),
        (((91.0, -121.3), (38.0, -121.2), (37.9, -121.2), (91.0, -121.3)), "latitude"),
        (((37.9, -181.0), (38.0, -121.2), (37.9, -121.2), (37.9, -181.0)), "longitude"),
        (((math.nan, 0.0), (1.0, 1.0), (0.0, 1.0), (math.nan, 0.0)), "latitude"),
        (((37.9,), (38.0, -121.2), (37.9, -121.2), (37.9,)), "pair"),
    ],
)
def test_polygon_rules(points: tuple[tuple[float, ...], ...], message: str) -> None:
    error = refused(Polygon, points=points)
    assert message in str(error)
    assert all(problem.field.startswith("points") for problem in error.problems)


def test_a_bow_tie_is_refused_near_where_it_crosses() -> None:
    bow_tie = ((37.9, -121.3), (38.0, -121.2), (37.9, -121.2), (38.0, -121.3), (37.9, -121.3))
    assert "near 37.95,-121.25" in str(refused(Polygon, points=bow_tie))


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"lat": 90.5, "lon": -121.29, "radius_km": 1.0}, "lat"),
        ({"lat": 37.95, "lon": 200.0, "radius_km": 1.0}, "lon"),
        ({"lat": 37.95, "lon": -121.29, "radius_km": 0.0}, "radius_km"),
        ({"lat": 37.95, "lon": -121.29, "radius_km": -2.0}, "radius_km"),
        ({"lat": 37.95, "lon": -121.29, "radius_km": math.nan}, "radius_km"),
        ({"lat": 37.95, "lon": -121.29, "radius_km": math.inf}, "radius_km"),
        ({"lat": True, "lon": -121.29, "radius_km": 1.0}, "lat"),
        ({"lat": "37.95", "lon": -121.29, "radius_km": 1.0}, "lat"),
    ],
)
def test_circle_rules(values: dict[str, Any], field: str) -> None:
    assert fields_of(refused(Circle, **values)) == {field}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"area_desc": ""}, "area_desc"),
        ({"ceiling": 500.0}, "ceiling"),
        ({"altitude": 800.0, "ceiling": 500.0}, "ceiling"),
        ({"altitude": -10.0}, "altitude"),
        ({"altitude": math.inf}, "altitude"),
        ({"polygons": (LEVEE_RING,)}, "polygons[0]"),
        ({"geocodes": (("SAME", "006077"),)}, "geocodes[0]"),
    ],
)
def test_area_rules(changes: dict[str, Any], field: str) -> None:
    assert field in fields_of(refused(lambda **values: replace(LEVEE_AREA, **values), **changes))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"resource_desc": " "}, "resource_desc"),
        ({"mime_type": "a map"}, "mime_type"),
        ({"size": -1}, "size"),
        ({"size": 1.5}, "size"),
        ({"uri": None}, "uri"),
        ({"uri": "levee-map.png"}, "uri"),
        ({"uri": "levee-map.png", "deref_uri": "not base64!"}, "deref_uri"),
        ({"digest": "not-a-sha1"}, "digest"),
    ],
)
def test_resource_rules(changes: dict[str, Any], field: str) -> None:
    values = {"resource_desc": "Levee map", "mime_type": "image/png", "uri": "https://x.example/m"}
    assert field in fields_of(refused(Resource, **(values | changes)))


def test_geocode_needs_a_value_name_and_reference_keeps_token_rules() -> None:
    assert fields_of(refused(Geocode, value_name="", value="006077")) == {"value_name"}
    error = refused(Reference, sender="a b", identifier="x,y", sent=SENT.replace(tzinfo=None))
    assert fields_of(error) == {"sender", "identifier", "sent"}


def test_every_problem_is_named_at_once_and_maps_to_a_problem_response() -> None:
    error = refused(
        alert_with, identifier="has space", scope=Scope.PRIVATE, msg_type=MsgType.CANCEL
    )
    assert fields_of(error) == {"identifier", "addresses", "references"}
    assert isinstance(error, Invalid)
    problem = error.problem()
    assert problem["status"] == 422
    assert {entry["field"] for entry in problem["errors"]} == fields_of(error)


# Times


def test_times_keep_their_offset_drop_microseconds_and_never_use_z() -> None:
    sent = datetime(2026, 11, 21, 14, 45, 7, 999_999, tzinfo=UTC)
    alert = alert_with(sent=sent, infos=())
    assert alert.sent == sent.replace(microsecond=0)
    xml = to_xml(alert)
    assert element_text(xml, "cap:sent") == ["2026-11-21T14:45:07+00:00"]
    assert b"Z<" not in xml
    assert element_text(to_xml(levee_warning()), "cap:sent") == ["2026-11-21T06:45:00-08:00"]


@pytest.mark.parametrize(
    "zone", [timezone(timedelta(hours=-3, seconds=30)), timezone(timedelta(hours=15))]
)
def test_offsets_cap_cannot_write_are_turned_to_utc(zone: timezone) -> None:
    sent = datetime(2026, 11, 21, 12, 0, tzinfo=zone)
    alert = alert_with(sent=sent, infos=())
    assert alert.sent == sent
    assert element_text(to_xml(alert), "cap:sent")[0].endswith("+00:00")


def test_utc_written_as_minus_zero_is_read_as_utc() -> None:
    xml = to_xml(alert_with(infos=())).replace(b"-08:00", b"-00:00")
    assert from_xml(xml).sent == datetime(2026, 11, 21, 6, 45, tzinfo=UTC)


# The story: a bilingual warning, its update and its cancellation


def test_bilingual_warning_carries_an_english_and_a_spanish_info_block() -> None:
    warning = levee_warning()
    xml = to_xml(warning)
    assert element_text(xml, "cap:info/cap:language") == ["en-US", "es-US"]
    assert element_text(xml, "cap:info/cap:event") == ["Levee seepage", "Filtración en el dique"]
    assert from_xml(xml) == warning


def test_update_references_the_earlier_warning_as_sender_identifier_sent() -> None:
    warning = levee_warning()
    update = levee_update(warning)
    xml = to_xml(update)
    assert element_text(xml, "cap:msgType") == ["Update"]
    assert element_text(xml, "cap:references") == [
        "oes@portcity.example,PCOES-2026-0042,2026-11-21T06:45:00-08:00"
    ]
    assert from_xml(xml) == update
    assert from_xml(xml).references == (warning.reference(),)


def test_cancel_withdraws_the_warning_and_its_update() -> None:
    warning = levee_warning()
    update = levee_update(warning)
    cancel = levee_cancel(warning, update)
    xml = to_xml(cancel)
    assert element_text(xml, "cap:references") == [
        "oes@portcity.example,PCOES-2026-0042,2026-11-21T06:45:00-08:00 "
        "oes@portcity.example,PCOES-2026-0043,2026-11-21T08:45:00-08:00"
    ]
    assert element_text(xml, "cap:info") == []
    assert from_xml(xml) == cancel


def test_areas_around_port_city_are_written_as_cap_prescribes() -> None:
    xml = to_xml(levee_warning())
    area = "cap:info[1]/cap:area[1]"
    assert element_text(xml, f"{area}/cap:polygon") == [
        "37.962,-121.318 37.962,-121.296 37.944,-121.296 37.944,-121.318 37.962,-121.318"
    ]
    assert element_text(xml, f"{area}/cap:circle") == ["37.953,-121.307 2.0"]
    assert element_text(xml, f"{area}/cap:geocode/cap:valueName") == ["SAME"]
    assert element_text(xml, f"{area}/cap:geocode/cap:value") == ["006077"]


def test_coordinates_are_written_without_exponents_and_read_back_exactly() -> None:
    circle = Circle(1e-7, -0.0, 5e-5)
    tall = Area(area_desc="Port City airspace", circles=(circle,), altitude=0.0, ceiling=1e20)
    alert = alert_with(infos=(info_with(areas=(tall, replace(LEVEE_AREA, altitude=12.5))),))
    xml = to_xml(alert)
    assert element_text(xml, "cap:info/cap:area[1]/cap:circle") == ["0.0000001,0.0 0.00005"]
    assert element_text(xml, "cap:info/cap:area[1]/cap:ceiling") == ["100000000000000000000"]
    assert from_xml(xml) == alert


def test_addresses_and_incidents_with_spaces_are_quoted() -> None:
    alert = alert_with(
        scope=Scope.PRIVATE,
        addresses=("Port City PD", "mall-security@harbourpoint.example"),
        incidents=("DELTA-REACH-LEVEE", "Harbour Point flooding"),
    )
    xml = to_xml(alert)
    assert element_text(xml, "cap:addresses") == [
        '"Port City PD" mall-security@harbourpoint.example'
    ]
    assert element_text(xml, "cap:incidents") == ['DELTA-REACH-LEVEE "Harbour Point flooding"']
    assert from_xml(xml) == alert


def test_a_document_is_utf8_in_the_cap_namespace_in_schema_order() -> None:
    xml = to_xml(levee_update(levee_warning()))
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = etree.fromstring(xml)
    assert root.tag == f"{{{CAP_NAMESPACE}}}alert"
    order = [etree.QName(child).localname for child in root]
    assert order == (
        [
            "identifier",
            "sender",
            "sent",
            "status",
            "msgType",
            "scope",
            "references",
            "incidents",
            "info",
            "info",
        ]
    )


# Reading documents: errors name the element


def warning_xml(old: str = "", new: str = "") -> bytes:
    return to_xml(levee_warning()).replace(old.encode(), new.encode(), 1)


def read_refused(xml: bytes) -> InvalidCap:
    with pytest.raises(InvalidCap) as caught:
        from_xml(xml)
    return caught.value


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ("<sent>2026-11-21T06:45:00-08:00", "<sent>2026-11-21T14:45:00Z", "alert/sent", "never Z"),
        ("06:45:00-08:00</sent>", "06:45:00.5-08:00</sent>", "alert/sent", "to the second"),
        ("06:45:00-08:00</sent>", "06:45:00</sent>", "alert/sent", "numeric offset"),
        ("2026-11-21T06:45:00-08:00</sent>", "2026-02-30T06:45:00-08:00</sent>", "alert/sent", ""),
        ("<status>Actual", "<status>Urgent", "alert/status", "Actual, Exercise"),
        ("<category>Safety", "<category>Weather", "alert/info[1]/category[2]", "Geo, Met"),
        ("<scope>Public", "<scope>Private", "alert/addresses", "Private"),
        ("<identifier>PCOES-2026-0042", "<identifier>PCOES 42", "alert/identifier", "spaces"),
        ("<language>en-US", "<language>en US", "alert/info[1]/language", "language tag"),
        ("<event>Levee seepage", "<event>", "alert/info[1]/event", "required"),
        ("2026-11-21T18:45:00-08:00", "2026-11-21T06:00:00-08:00", "alert/info[1]/expires", ""),
        ("37.962,-121.318 ", "37.962;-121.318 ", "alert/info[1]/area[1]/polygon[1]", "lat,lon"),
        ("-121.318</polygon>", "-121.317</polygon>", "alert/info[1]/area[1]/polygon[1]", "end"),
        ("-121.307 2.0", "-121.307 -2.0", "alert/info[1]/area[1]/circle[1]", "radius must"),
        ("-121.307 2.0", "-121.307 0", "alert/info[1]/area[1]/circle[1]", "radius must"),
        ("-121.307 2.0", "-121.307 2e3", "alert/info[1]/area[1]/circle[1]", "decimal"),
        ("-121.307 2.0", "-121.307", "alert/info[1]/area[1]/circle[1]", "lat,lon radius"),
        ("<circle>37.953", "<circle>97.953", "alert/info[1]/area[1]/circle[1]", "latitude"),
        ("<valueName>SAME</valueName>", "", "alert/info[1]/eventCode[1]", "<valueName>"),
        ("<web>https://portcity", "<web>portcity", "alert/info[1]/web", "absolute"),
    ],
)
def test_a_bad_value_is_refused_naming_its_element(
    old: str, new: str, field: str, message: str
) -> None:
    xml = warning_xml(old, new)
    assert xml != warning_xml(), "the replacement must change the document"
    error = read_refused(xml)
    assert field in fields_of(error)
    assert message in str(error)


@pytest.mark.parametrize(
    ("xml", "field", "message"),
    [
        (b"<alert xmlns='urn:oasis:names:tc:emergency:cap:1.1'/>", "document", "is CAP 1.1"),
        (b"<alert xmlns='http://www.incident.com/cap/1.0'/>", "document", "is CAP 1.0"),
        (b"<alert/>", "document", "in no namespace"),
        (b"<feed xmlns='http://www.w3.org/2005/Atom'/>", "document", "<feed>"),
        (b"<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'>", "document", "well-formed"),
        (b"", "document", "well-formed"),
    ],
)
def test_documents_that_are_not_cap_12_are_refused(xml: bytes, field: str, message: str) -> None:
    error = read_refused(xml)
    assert fields_of(error) == {field}
    assert message in str(error)


def test_structure_is_checked_as_the_schema_does() -> None:
    xml = to_xml(alert_with(note="Drill"))
    root = etree.fromstring(xml)
    sender, note = root.find("cap:sender", NS), root.find("cap:note", NS)
    root.remove(sender)
    root.append(deepcopy(note))
    etree.SubElement(root, "{urn:accord:test}extra").text = "x"
    root.find("cap:info/cap:event", NS).append(etree.Element(f"{{{CAP_NAMESPACE}}}b"))
    root.find("cap:status", NS).tail = "stray"
    error = read_refused(etree.tostring(root))
    assert {(p.field, p.message) for p in error.problems} >= {
        ("alert", "is missing <sender>"),
        ("alert/note", "is out of order: it must come before <info>"),
        ("alert", "holds an unexpected element <extra> in urn:accord:test"),
        ("alert", "holds text outside its elements"),
        ("alert/info[1]/event", "must hold text, not elements"),
    }


def test_a_repeated_single_element_is_refused() -> None:
    error = read_refused(warning_xml("<status>Actual</status>", "<status>Actual</status>" * 2))
    assert ("alert/status", "appears more than once") in {
        (p.field, p.message) for p in error.problems
    }


def test_quoted_list_values_must_be_balanced() -> None:
    alert = alert_with(scope=Scope.PRIVATE, addresses=("Port City PD",))
    xml = to_xml(alert).replace(b'"Port City PD"', b'"Port City PD')
    assert fields_of(read_refused(xml)) == {"alert/addresses"}


def test_references_must_be_sender_identifier_sent() -> None:
    xml = to_xml(levee_update(levee_warning()))
    bad = xml.replace(b",PCOES-2026-0042,", b",PCOES-2026-0042;")
    assert "sender,identifier,sent" in str(read_refused(bad))
    error = read_refused(xml.replace(b"06:45:00-08:00</ref", b"06:45:00Z</ref"))
    assert fields_of(error) == {"alert/references"}


def test_a_missing_language_reads_as_american_english_and_comments_are_ignored() -> None:
    xml = warning_xml("<language>en-US</language>", "<!-- drafted by OES -->")
    assert from_xml(xml) == levee_warning()


def test_a_signature_after_the_info_blocks_is_allowed_and_not_kept() -> None:
    signature = (
        "</info><Signature xmlns='http://www.w3.org/2000/09/xmldsig#'>"
        "<SignatureValue>c2lnbmVk</SignatureValue></Signature></alert>"
    )
    xml = to_xml(levee_warning())
    signed = xml[: xml.rindex(b"</info>")] + signature.encode()
    assert from_xml(signed) == levee_warning()
    assert "signature" in str(read_refused(signed.replace(b"</alert>", b"<note>x</note></alert>")))


# Hostile documents

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE alert [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&secret;</identifier></alert>"""
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE alert [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol9;</identifier></alert>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE alert SYSTEM "http://127.0.0.1:9/cap.dtd">
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>x</identifier></alert>"""


@pytest.mark.parametrize("xml", [XXE, BILLION_LAUGHS, EXTERNAL_DTD], ids=["xxe", "laughs", "dtd"])
def test_documents_declaring_a_doctype_are_refused(xml: bytes) -> None:
    error = read_refused(xml)
    assert fields_of(error) == {"document"}
    # libxml2 refuses runaway expansion itself, before Accord sees the DOCTYPE.
    assert re.search("DOCTYPE|entity amplification", str(error))
    assert "root:" not in str(error)


def test_a_doctype_ahead_of_a_valid_alert_is_still_refused() -> None:
    xml = to_xml(levee_warning())
    declared = xml.replace(b"?>\n", b"?>\n<!DOCTYPE alert>\n", 1)
    assert "DOCTYPE" in str(read_refused(declared))


def test_from_xml_takes_bytes() -> None:
    error = read_refused(to_xml(levee_warning()).decode())  # type: ignore[arg-type]
    assert fields_of(error) == {"document"}


# Properties


@settings(max_examples=60)
@given(alerts())
def test_any_alert_reads_back_equal_from_its_xml(alert: Alert) -> None:
    xml = to_xml(alert)
    assert from_xml(xml) == alert
    assert to_xml(from_xml(xml)) == xml


@settings(max_examples=40)
@given(alerts())
def test_written_times_have_a_numeric_offset_and_whole_seconds(alert: Alert) -> None:
    root = etree.fromstring(to_xml(alert))
    names = ("sent", "effective", "onset", "expires")
    times = [node.text for name in names for node in root.iter(f"{{{CAP_NAMESPACE}}}{name}")]
    pattern = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+](0\d|1[0-4]):[0-5]\d")
    assert all(pattern.fullmatch(time) for time in times)


@settings(max_examples=40)
@given(
    st.lists(st.tuples(st.floats(-100, 100), st.floats(-200, 200)), min_size=1, max_size=6),
    st.booleans(),
)
def test_a_polygon_is_accepted_only_when_closed_in_range_and_four_points_long(
    points: list[tuple[float, float]], close: bool
) -> None:
    points = [*points, points[0]] if close else points
    in_range = all(-90 <= lat <= 90 and -180 <= lon <= 180 for lat, lon in points)
    try:
        polygon = Polygon(tuple(points))
    except InvalidCap:
        return
    assert in_range
    assert len(polygon.points) >= 4
    assert polygon.points[0] == polygon.points[-1]


@settings(max_examples=40)
@given(st.floats(allow_nan=True), st.floats(allow_nan=True), st.floats(allow_nan=True))
def test_a_circle_is_accepted_only_in_range_with_a_positive_radius(
    lat: float, lon: float, radius: float
) -> None:
    valid = -90 <= lat <= 90 and -180 <= lon <= 180 and 0 < radius < math.inf
    try:
        Circle(lat, lon, radius)
    except InvalidCap:
        assert not valid
    else:
        assert valid


def test_naive_updates_are_refused_even_through_replace() -> None:
    update = levee_update(levee_warning())
    with pytest.raises(InvalidCap):
        replace(update, sent=datetime(2026, 11, 21, 9, 0))  # noqa: DTZ001 - naive on purpose
    assert update.sent.tzinfo is not None
