"""CAP 1.2 XML: `to_xml` writes an `Alert` in the schema's order, `from_xml` reads one back.

Writing follows the order of the OASIS schema, gives times a numeric offset (UTC as +00:00, never
Z; §3.3.2), and writes addresses and incidents space-separated, with the values that hold spaces
in double quotes (§3.2.1). Reading takes CAP 1.2 only (`cap_reader` checks the elements and names
the one at fault in each problem). The parser resolves no entities, loads no DTD, touches no
network and keeps libxml2's size limits; a document that declares a DOCTYPE is refused, which
shuts out external entities (XXE) and entity expansion (billion laughs).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from lxml import etree

from accord.alerts.cap import (
    CAP_NAMESPACE,
    Alert,
    Area,
    CapProblem,
    EventCode,
    Geocode,
    Info,
    InvalidCap,
    Parameter,
    Resource,
)
from accord.alerts.cap_reader import read_alert

__all__ = ["from_xml", "to_xml"]

Element = Any  # an lxml element; lxml ships without type information


def to_xml(alert: Alert) -> bytes:
    """The alert as a CAP 1.2 document, UTF-8 with an XML declaration."""
    root = etree.Element(_tag("alert"), nsmap={None: CAP_NAMESPACE})
    _put(root, "identifier", alert.identifier)
    _put(root, "sender", alert.sender)
    _put(root, "sent", _time(alert.sent))
    _put(root, "status", alert.status)
    _put(root, "msgType", alert.msg_type)
    _put(root, "source", alert.source)
    _put(root, "scope", alert.scope)
    _put(root, "restriction", alert.restriction)
    _put(root, "addresses", _words(alert.addresses))
    for code in alert.codes:
        _put(root, "code", code)
    _put(root, "note", alert.note)
    references = " ".join(f"{r.sender},{r.identifier},{_time(r.sent)}" for r in alert.references)
    _put(root, "references", references or None)
    _put(root, "incidents", _words(alert.incidents))
    for info in alert.infos:
        _write_info(etree.SubElement(root, _tag("info")), info)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _write_info(element: Element, info: Info) -> None:
    _put(element, "language", info.language)
    for category in info.categories:
        _put(element, "category", category)
    _put(element, "event", info.event)
    for response_type in info.response_types:
        _put(element, "responseType", response_type)
    _put(element, "urgency", info.urgency)
    _put(element, "severity", info.severity)
    _put(element, "certainty", info.certainty)
    _put(element, "audience", info.audience)
    _put_named(element, "eventCode", info.event_codes)
    for name, moment in (
        ("effective", info.effective),
        ("onset", info.onset),
        ("expires", info.expires),
    ):
        _put(element, name, None if moment is None else _time(moment))
    _put(element, "senderName", info.sender_name)
    _put(element, "headline", info.headline)
    _put(element, "description", info.description)
    _put(element, "instruction", info.instruction)
    _put(element, "web", info.web)
    _put(element, "contact", info.contact)
    _put_named(element, "parameter", info.parameters)
    for resource in info.resources:
        _write_resource(etree.SubElement(element, _tag("resource")), resource)
    for area in info.areas:
        _write_area(etree.SubElement(element, _tag("area")), area)


def _write_resource(element: Element, resource: Resource) -> None:
    _put(element, "resourceDesc", resource.resource_desc)
    _put(element, "mimeType", resource.mime_type)
    _put(element, "size", None if resource.size is None else str(resource.size))
    _put(element, "uri", resource.uri)
    _put(element, "derefUri", resource.deref_uri)
    _put(element, "digest", resource.digest)


def _write_area(element: Element, area: Area) -> None:
    _put(element, "areaDesc", area.area_desc)
    for polygon in area.polygons:
        _put(element, "polygon", " ".join(_pair(lat, lon) for lat, lon in polygon.points))
    for circle in area.circles:
        _put(element, "circle", f"{_pair(circle.lat, circle.lon)} {_decimal(circle.radius_km)}")
    _put_named(element, "geocode", area.geocodes)
    _put(element, "altitude", None if area.altitude is None else _decimal(area.altitude))
    _put(element, "ceiling", None if area.ceiling is None else _decimal(area.ceiling))


def _tag(name: str) -> str:
    return f"{{{CAP_NAMESPACE}}}{name}"


def _put(parent: Element, name: str, value: str | None) -> None:
    if value is not None:
        etree.SubElement(parent, _tag(name)).text = str(value)


def _put_named(
    parent: Element, name: str, values: Iterable[EventCode | Parameter | Geocode]
) -> None:
    for value in values:
        element = etree.SubElement(parent, _tag(name))
        _put(element, "valueName", value.value_name)
        _put(element, "value", value.value)


def _time(moment: datetime) -> str:
    """CAP 1.2 §3.3.2: `2026-11-21T15:00:00-08:00`; the model keeps times to whole seconds."""
    return moment.isoformat()


def _decimal(number: float) -> str:
    """The shortest decimal that reads back as `number`, without an exponent (xs:decimal)."""
    return format(Decimal(repr(number + 0.0)), "f")


def _pair(lat: float, lon: float) -> str:
    return f"{_decimal(lat)},{_decimal(lon)}"


def _words(values: Iterable[str]) -> str | None:
    """CAP 1.2 §3.2.1: space-separated, with the values that hold spaces in double quotes."""
    written = " ".join(f'"{value}"' if re.search(r"\s", value) else value for value in values)
    return written or None


def from_xml(data: bytes) -> Alert:
    """The alert a CAP 1.2 document holds; `InvalidCap` names each element at fault."""
    return read_alert(_parse(data))


def _parse(data: bytes) -> Element:
    if not isinstance(data, bytes):
        raise InvalidCap([CapProblem("document", "must be bytes of XML")])
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise InvalidCap([CapProblem("document", f"is not well-formed XML: {exc}")]) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        message = "must not declare a DOCTYPE: CAP uses none, and Accord expands no entities"
        raise InvalidCap([CapProblem("document", message)])
    return root
