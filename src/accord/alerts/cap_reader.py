"""Reading a CAP 1.2 document's elements into an `Alert`, with every problem named by element.

`read_alert` takes the root of a parsed document (see `cap_xml.from_xml`, which parses safely) and
checks what the OASIS schema checks: the root is a CAP 1.2 <alert>, children come in the schema's
order, required elements are there and single ones appear once, values are in the vocabularies,
and times and numbers have CAP's formats. It then builds the values of `accord.alerts.cap`, whose
rules go further, and reports their problems under the element they come from, so
`infos[0].expires` is reported as `alert/info[1]/expires`. Every problem of a document is
collected, not just the first. An XML signature after the info blocks (§3.3.4.1) is allowed and
not kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from accord.alerts.cap import (
    CAP_NAMESPACE,
    Alert,
    Area,
    CapProblem,
    Category,
    Certainty,
    Circle,
    EventCode,
    Geocode,
    Info,
    InvalidCap,
    MsgType,
    Parameter,
    Polygon,
    Reference,
    Resource,
    ResponseType,
    Scope,
    Severity,
    Status,
    Urgency,
)

__all__ = ["read_alert"]

_OLDER_CAP = {
    "urn:oasis:names:tc:emergency:cap:1.1": "1.1",
    "http://www.incident.com/cap/1.0": "1.0",
}
_XMLDSIG = "http://www.w3.org/2000/09/xmldsig#"
_CAP_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_INTEGER = re.compile(r"[+-]?\d+")
_WORDS = re.compile(r'\s*((?:"[^"]*"|[^\s"]+)(\s+|$))*')
_WORD = re.compile(r'"([^"]*)"|([^\s"]+)')

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")
Element = Any  # an lxml element; lxml ships without type information
# The children an element may hold, in order: (name, fewest, most or None for unbounded).
_Children = tuple[tuple[str, int, int | None], ...]
_ALERT: _Children = (
    ("identifier", 1, 1),
    ("sender", 1, 1),
    ("sent", 1, 1),
    ("status", 1, 1),
    ("msgType", 1, 1),
    ("source", 0, 1),
    ("scope", 1, 1),
    ("restriction", 0, 1),
    ("addresses", 0, 1),
    ("code", 0, None),
    ("note", 0, 1),
    ("references", 0, 1),
    ("incidents", 0, 1),
    ("info", 0, None),
)
_INFO: _Children = (
    ("language", 0, 1),
    ("category", 1, None),
    ("event", 1, 1),
    ("responseType", 0, None),
    ("urgency", 1, 1),
    ("severity", 1, 1),
    ("certainty", 1, 1),
    ("audience", 0, 1),
    ("eventCode", 0, None),
    ("effective", 0, 1),
    ("onset", 0, 1),
    ("expires", 0, 1),
    ("senderName", 0, 1),
    ("headline", 0, 1),
    ("description", 0, 1),
    ("instruction", 0, 1),
    ("web", 0, 1),
    ("contact", 0, 1),
    ("parameter", 0, None),
    ("resource", 0, None),
    ("area", 0, None),
)
_RESOURCE: _Children = (
    ("resourceDesc", 1, 1),
    ("mimeType", 1, 1),
    ("size", 0, 1),
    ("uri", 0, 1),
    ("derefUri", 0, 1),
    ("digest", 0, 1),
)
_AREA: _Children = (
    ("areaDesc", 1, 1),
    ("polygon", 0, None),
    ("circle", 0, None),
    ("geocode", 0, None),
    ("altitude", 0, 1),
    ("ceiling", 0, 1),
)
_NAMED_VALUE: _Children = (("valueName", 1, 1), ("value", 1, 1))
# The model's field names that differ from CAP's element names.
_ELEMENT_NAMES = {
    "msg_type": "msgType",
    "codes": "code",
    "infos": "info",
    "categories": "category",
    "response_types": "responseType",
    "event_codes": "eventCode",
    "sender_name": "senderName",
    "parameters": "parameter",
    "resources": "resource",
    "areas": "area",
    "area_desc": "areaDesc",
    "polygons": "polygon",
    "circles": "circle",
    "geocodes": "geocode",
    "resource_desc": "resourceDesc",
    "mime_type": "mimeType",
    "deref_uri": "derefUri",
    "value_name": "valueName",
}
_LISTS_IN_ONE_ELEMENT = frozenset({"addresses", "incidents", "references"})
_PARTS_OF_TEXT = {"points": "point", "lat": "latitude", "lon": "longitude", "radius_km": "radius"}


def read_alert(root: Element) -> Alert:
    """The alert whose document has `root`; `InvalidCap` names each element at fault."""
    namespace, name = _split(root.tag)
    if namespace != CAP_NAMESPACE or name != "alert":
        version = _OLDER_CAP.get(namespace) if name == "alert" else None
        if version:
            message = f"is CAP {version}; Accord reads CAP 1.2 ({CAP_NAMESPACE})"
        else:
            message = f"must be a CAP 1.2 <alert> in {CAP_NAMESPACE}, not {_label(root.tag)}"
        raise InvalidCap([CapProblem("document", message)])
    reader = _Reader()
    alert = _read_alert(reader, root)
    if reader.problems or alert is None:
        raise InvalidCap(reader.problems)
    return alert


def _split(tag: str) -> tuple[str, str]:
    namespace, _, name = tag[1:].rpartition("}") if tag.startswith("{") else ("", "", tag)
    return namespace, name


def _label(tag: str) -> str:
    namespace, name = _split(tag)
    return f"<{name}> in {namespace}" if namespace else f"<{name}> in no namespace"


Found = dict[str, list[tuple[str, Element]]]


class _Reader:
    """Reads elements into values, collecting every problem under the element's path."""

    def __init__(self) -> None:
        self.problems: list[CapProblem] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(CapProblem(path, message))

    def children(
        self, element: Element, path: str, spec: _Children, *, signed: bool = False
    ) -> Found:
        """`element`'s children by name, checked against the schema's sequence `spec`."""
        names = [name for name, _, _ in spec]
        found: dict[str, list[Element]] = {name: [] for name in names}
        position, signature = 0, False
        stray_text = _has_text(element.text)
        for child in element:
            stray_text = stray_text or _has_text(child.tail)
            if not isinstance(child.tag, str):  # a comment or processing instruction
                continue
            namespace, name = _split(child.tag)
            if signed and namespace == _XMLDSIG:
                signature = True
            elif namespace != CAP_NAMESPACE or name not in found:
                self.fail(path, f"holds an unexpected element {_label(child.tag)}")
            elif signature:
                self.fail(f"{path}/{name}", "must come before the signature")
            elif names.index(name) < position:
                self.fail(
                    f"{path}/{name}", f"is out of order: it must come before <{names[position]}>"
                )
            else:
                position = names.index(name)
                found[name].append(child)
        if stray_text:
            self.fail(path, "holds text outside its elements")
        by_name: Found = {}
        for name, fewest, most in spec:
            elements = found[name]
            if len(elements) < fewest:
                self.fail(path, f"is missing <{name}>")
            if most is not None and len(elements) > most:
                self.fail(f"{path}/{name}", "appears more than once")
            by_name[name] = [
                (f"{path}/{name}[{n}]" if most is None else f"{path}/{name}", child)
                for n, child in enumerate(elements, 1)
            ]
        return by_name

    def texts(self, found: Found, name: str) -> list[tuple[str, str]]:
        texts = []
        for path, element in found[name]:
            if len(element):
                self.fail(path, "must hold text, not elements")
            else:
                texts.append((path, str(element.text or "")))
        return texts

    def text(self, found: Found, name: str) -> str | None:
        texts = self.texts(found, name)[:1]
        return texts[0][1] if texts else None

    def token(self, found: Found, name: str) -> str | None:
        text = self.text(found, name)
        return None if text is None else text.strip()

    def member(self, path: str, text: str, kind: type[E]) -> E | None:
        try:
            member: E = kind(text.strip())
        except ValueError:
            self.fail(path, f"{text.strip()!r} is not one of {', '.join(kind)}")
            return None
        return member

    def enum(self, found: Found, name: str, kind: type[E]) -> E | None:
        texts = self.texts(found, name)[:1]
        return self.member(*texts[0], kind) if texts else None

    def enums(self, found: Found, name: str, kind: type[E]) -> list[E | None]:
        return [self.member(path, text, kind) for path, text in self.texts(found, name)]

    def time(self, found: Found, name: str) -> datetime | None:
        texts = self.texts(found, name)[:1]
        return self.moment(texts[0][0], texts[0][1].strip()) if texts else None

    def moment(self, path: str, text: str) -> datetime | None:
        if _CAP_TIME.fullmatch(text):
            try:
                return datetime.fromisoformat(text)
            except ValueError:
                pass
        self.fail(
            path,
            f"{text!r} is not a CAP time such as 2026-11-21T15:00:00-08:00 "
            "(to the second, with a numeric offset, never Z; CAP 1.2 §3.3.2)",
        )
        return None

    def decimal(self, path: str, text: str, what: str = "") -> float | None:
        if _DECIMAL.fullmatch(text.strip()):
            return float(text)
        self.fail(path, f"{what}{text.strip()!r} is not a decimal number")
        return None

    def words(self, found: Found, name: str) -> list[str]:
        texts = self.texts(found, name)[:1]
        if not texts:
            return []
        path, text = texts[0]
        if not _WORDS.fullmatch(text):
            self.fail(path, 'must be values separated by spaces, those with spaces in "quotes"')
            return []
        return [quoted or bare for quoted, bare in _WORD.findall(text)]

    def build(self, path: str, kind: Callable[..., T], values: dict[str, Any]) -> T | None:
        """`kind(**values)`, with the model's problems named by the element they come from."""
        try:
            return kind(**values)
        except InvalidCap as exc:
            self.problems.extend(
                CapProblem(_element_path(path, problem.field), problem.message)
                for problem in exc.problems
            )
            return None

    def build_text(self, path: str, kind: Callable[..., T], *values: Any) -> T | None:
        """`kind(*values)` for a value written as one element's text, named by that element."""
        try:
            return kind(*values)
        except InvalidCap as exc:
            self.problems.extend(_within(path, problem) for problem in exc.problems)
            return None


def _has_text(text: str | None) -> bool:
    return bool(text and text.strip())


def _element_path(base: str, field: str) -> str:
    """The element a model field comes from: `infos[0].expires` is `alert/info[1]/expires`."""
    path = base
    for step in field.split("."):
        name, _, index = step.partition("[")
        if name in _LISTS_IN_ONE_ELEMENT:
            return f"{path}/{name}"
        element = _ELEMENT_NAMES.get(name, name)
        path += f"/{element}[{int(index[:-1]) + 1}]" if index else f"/{element}"
    return path


def _within(path: str, problem: CapProblem) -> CapProblem:
    name, _, index = problem.field.partition("[")
    if name == "points" and not index:
        return CapProblem(path, problem.message)
    part = _PARTS_OF_TEXT.get(name, name)
    if index:
        return CapProblem(path, f"{part} {int(index[:-1]) + 1}: {problem.message}")
    return CapProblem(path, f"{part} {problem.message}")


def _read_alert(reader: _Reader, root: Element) -> Alert | None:
    before = len(reader.problems)
    found = reader.children(root, "alert", _ALERT, signed=True)
    values = {
        "identifier": reader.token(found, "identifier"),
        "sender": reader.token(found, "sender"),
        "sent": reader.time(found, "sent"),
        "status": reader.enum(found, "status", Status),
        "msg_type": reader.enum(found, "msgType", MsgType),
        "source": reader.text(found, "source"),
        "scope": reader.enum(found, "scope", Scope),
        "restriction": reader.text(found, "restriction"),
        "addresses": reader.words(found, "addresses"),
        "codes": [text for _, text in reader.texts(found, "code")],
        "note": reader.text(found, "note"),
        "references": _read_references(reader, found),
        "incidents": reader.words(found, "incidents"),
        "infos": [_read_info(reader, path, element) for path, element in found["info"]],
    }
    if len(reader.problems) > before:
        return None
    return reader.build("alert", Alert, values)


def _read_references(reader: _Reader, found: Found) -> list[Reference | None]:
    texts = reader.texts(found, "references")[:1]
    references: list[Reference | None] = []
    for path, text in texts:
        for written in text.split():
            parts = written.split(",")
            if len(parts) != 3:
                reader.fail(path, f"{written!r} is not sender,identifier,sent (CAP 1.2 §3.2.1)")
                continue
            sent = reader.moment(path, parts[2])
            if sent is not None:
                references.append(reader.build_text(path, Reference, parts[0], parts[1], sent))
    return references


def _read_info(reader: _Reader, path: str, element: Element) -> Info | None:
    before = len(reader.problems)
    found = reader.children(element, path, _INFO)
    language = reader.token(found, "language")
    values = {
        "language": "en-US" if language is None else language,
        "categories": reader.enums(found, "category", Category),
        "event": reader.text(found, "event"),
        "response_types": reader.enums(found, "responseType", ResponseType),
        "urgency": reader.enum(found, "urgency", Urgency),
        "severity": reader.enum(found, "severity", Severity),
        "certainty": reader.enum(found, "certainty", Certainty),
        "audience": reader.text(found, "audience"),
        "event_codes": _read_named(reader, found, "eventCode", EventCode),
        "effective": reader.time(found, "effective"),
        "onset": reader.time(found, "onset"),
        "expires": reader.time(found, "expires"),
        "sender_name": reader.text(found, "senderName"),
        "headline": reader.text(found, "headline"),
        "description": reader.text(found, "description"),
        "instruction": reader.text(found, "instruction"),
        "web": reader.token(found, "web"),
        "contact": reader.text(found, "contact"),
        "parameters": _read_named(reader, found, "parameter", Parameter),
        "resources": [_read_resource(reader, p, e) for p, e in found["resource"]],
        "areas": [_read_area(reader, p, e) for p, e in found["area"]],
    }
    if len(reader.problems) > before:
        return None
    return reader.build(path, Info, values)


def _read_named(reader: _Reader, found: Found, name: str, kind: Callable[..., T]) -> list[T | None]:
    named: list[T | None] = []
    for path, element in found[name]:
        before = len(reader.problems)
        pair = reader.children(element, path, _NAMED_VALUE)
        value_name, value = reader.text(pair, "valueName"), reader.text(pair, "value")
        if len(reader.problems) == before:
            named.append(reader.build(path, kind, {"value_name": value_name, "value": value}))
    return named


def _read_resource(reader: _Reader, path: str, element: Element) -> Resource | None:
    before = len(reader.problems)
    found = reader.children(element, path, _RESOURCE)
    size = None
    for size_path, text in reader.texts(found, "size"):
        if _INTEGER.fullmatch(text.strip()):
            size = int(text)
        else:
            reader.fail(size_path, f"{text.strip()!r} is not a whole number of bytes")
    values = {
        "resource_desc": reader.text(found, "resourceDesc"),
        "mime_type": reader.token(found, "mimeType"),
        "size": size,
        "uri": reader.token(found, "uri"),
        "deref_uri": reader.text(found, "derefUri"),
        "digest": reader.token(found, "digest"),
    }
    if len(reader.problems) > before:
        return None
    return reader.build(path, Resource, values)


def _read_area(reader: _Reader, path: str, element: Element) -> Area | None:
    before = len(reader.problems)
    found = reader.children(element, path, _AREA)
    heights: dict[str, float | None] = {}
    for name in ("altitude", "ceiling"):
        for height_path, text in reader.texts(found, name):
            heights[name] = reader.decimal(height_path, text)
    values = {
        "area_desc": reader.text(found, "areaDesc"),
        "polygons": [_read_polygon(reader, p, text) for p, text in reader.texts(found, "polygon")],
        "circles": [_read_circle(reader, p, text) for p, text in reader.texts(found, "circle")],
        "geocodes": _read_named(reader, found, "geocode", Geocode),
        **heights,
    }
    if len(reader.problems) > before:
        return None
    return reader.build(path, Area, values)


def _read_polygon(reader: _Reader, path: str, text: str) -> Polygon | None:
    points = [_read_pair(reader, path, written) for written in text.split()]
    if any(point is None for point in points):
        return None
    return reader.build_text(path, Polygon, tuple(points))


def _read_pair(reader: _Reader, path: str, written: str) -> tuple[float, float] | None:
    parts = written.split(",")
    if len(parts) != 2 or not all(_DECIMAL.fullmatch(part) for part in parts):
        reader.fail(path, f"{written!r} is not a lat,lon pair of decimal degrees")
        return None
    return (float(parts[0]), float(parts[1]))


def _read_circle(reader: _Reader, path: str, text: str) -> Circle | None:
    parts = text.split()
    if len(parts) != 2:
        reader.fail(path, f"{text.strip()!r} is not 'lat,lon radius' (CAP 1.2 §3.2.4)")
        return None
    centre = _read_pair(reader, path, parts[0])
    radius = reader.decimal(path, parts[1], "radius ")
    if centre is None or radius is None:
        return None
    return reader.build_text(path, Circle, *centre, radius)
