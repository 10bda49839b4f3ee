"""STIX 2.1 bundles of shared records: `bundle_of` exports them, `parse_bundle` reads a partner's.

Export. A record is a `report` by its owner's `identity` (an organization), with the record's TLP
2.0 marking (`stix_markings`), referring to its observables' objects (`stix_observables`), a
`location` for its place and an `indicator`, valid from the record's creation, for each observable
a STIX pattern detects, or else to its owner, as a report refers to something (STIX 2.1 §4.14).
Ids are UUIDv5 in `ACCORD_STIX_NAMESPACE` (UUIDv5 of `urn:accord:stix` in the URL namespace) of
the record's id, so exporting a record again gives the same ids and a changed record is a new
version of the same objects: a later `modified`, and `revoked: true` once withdrawn (§3.6). An
organization's identity is derived from its Accord id and has a fixed `created` and `modified`
(Accord does not export when it joined); a bundle's id from the record versions it holds, so one
export is one bundle, byte for byte. stix2-validator warns that these ids are not UUIDv4, which
§2.7 recommends but does not require. SCOs keep their §2.9 ids, shared by every record naming the
same thing, and carry the strictest marking of the records in the bundle that hold them. Every
object a bundle refers to is in it once, but for OASIS's TLP 2.0 extension definition.

Import. `parse_bundle` checks each object on its own and never drops one silently: each is
accepted or reported with its position, id, type and every problem found. The checks are §3's
(known type, spec_version 2.1, `type--UUID` ids and references, UTC timestamps, `modified` not
before `created`), the required properties of the types Accord takes records from, and, for an
indicator, a STIX pattern that parses (§9). TLP markings, 1.0 or 2.0, are read as Accord's.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Literal

from accord.intel.observables import InvalidObservable, Observable, ObservableKind, normalize
from accord.intel.stix_markings import (
    TLP2_MARKING_IDS,
    marking_definition,
    marking_problem,
    tlp_of_marking,
)
from accord.intel.stix_observables import (
    STIX_EXTENSION_IDS,
    stix_definitions,
    stix_pattern,
    to_stix,
)
from accord.sharing.domain import Tlp

__all__ = [
    "ACCORD_STIX_NAMESPACE",
    "RECORD_KINDS",
    "ExportRecord",
    "ImportResult",
    "InvalidRecord",
    "ObjectError",
    "bundle_of",
    "parse_bundle",
    "parse_objects",
]

ACCORD_STIX_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:accord:stix")
RecordKind = Literal["bulletin", "bolo", "sar", "cyber_report", "note"]
RECORD_KINDS: tuple[RecordKind, ...] = ("bulletin", "bolo", "sar", "cyber_report", "note")
# By kind, the report-type-ov and indicator-type-ov values that fit, and none where none does:
# a BOLO may be about a missing person or a stolen car, so it is about what to look out for, and
# its indicators are not called malicious; a note may be about anything.
_REPORT_TYPES = {"bulletin": ["threat-report"], "bolo": ["indicator"], "sar": ["observed-data"]}
_REPORT_TYPES["cyber_report"] = ["threat-report", "indicator"]
_INDICATOR_TYPES = {"sar": ["anomalous-activity"], "cyber_report": ["malicious-activity"]}
_STAMP = "2020-01-01T00:00:00.000Z"  # when organizations' identities are said to be created


class InvalidRecord(ValueError):  # noqa: N818 - named like InvalidObservable
    """A record that cannot be exported as it stands; `field` names the part at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ExportRecord:
    """What a shared record offers to a STIX export. Times are timezone-aware; `place` is a
    WGS84 (latitude, longitude); `tlp` may be given as its value (`"amber+strict"`)."""

    id: uuid.UUID
    kind: RecordKind
    title: str
    description: str
    tlp: Tlp
    created: datetime
    modified: datetime
    owner_org_id: uuid.UUID
    owner_org_name: str
    observables: tuple[Observable, ...] = ()
    place: tuple[float, float] | None = None
    revoked: bool = False
    labels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "observables", tuple(self.observables))
        object.__setattr__(self, "labels", tuple(self.labels))
        try:
            object.__setattr__(self, "tlp", Tlp(self.tlp))
        except ValueError:
            raise InvalidRecord("tlp", f"use one of {', '.join(Tlp)}") from None
        _require(isinstance(self.id, uuid.UUID), "id", "must be a UUID")
        _require(self.kind in RECORD_KINDS, "kind", f"use one of {', '.join(RECORD_KINDS)}")
        _require(_is_text(self.title), "title", "is required")
        _require(isinstance(self.description, str), "description", "must be text")
        for name in ("created", "modified"):
            stamp = getattr(self, name)
            aware = isinstance(stamp, datetime) and stamp.utcoffset() is not None
            _require(aware, name, "must be a timezone-aware datetime")
        _require(self.modified >= self.created, "modified", "must not be before created")
        _require(isinstance(self.owner_org_id, uuid.UUID), "owner_org_id", "must be a UUID")
        _require(_is_text(self.owner_org_name), "owner_org_name", "is required")
        observables_ok = all(isinstance(item, Observable) for item in self.observables)
        _require(observables_ok, "observables", "must be Observables")
        _require(isinstance(self.revoked, bool), "revoked", "must be true or false")
        _require(all(_is_text(label) for label in self.labels), "labels", "must be non-empty text")
        self.place_observable()

    def place_observable(self) -> Observable | None:
        """The record's place as a place observable, or None if it has no place."""
        if self.place is None:
            return None
        try:
            latitude, longitude = self.place
            return normalize(ObservableKind.PLACE, {"latitude": latitude, "longitude": longitude})
        except (TypeError, ValueError) as error:
            detail = error.message if isinstance(error, InvalidObservable) else "two numbers"
            raise InvalidRecord("place", f"must be (latitude, longitude): {detail}") from None


def _require(condition: bool, field: str, message: str) -> None:
    if not condition:
        raise InvalidRecord(field, message)


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def bundle_of(records: Iterable[ExportRecord]) -> dict[str, Any]:
    """One STIX 2.1 bundle holding `records`, each object they refer to in it exactly once."""
    records = tuple(records)
    if len({record.id for record in records}) != len(records):
        raise InvalidRecord("records", "each record may be exported once per bundle")
    content: dict[str, dict[str, Any]] = {}
    identities: dict[str, dict[str, Any]] = {}
    holders: dict[str, list[Tlp]] = {}
    for record in records:
        identity = _identity(record)
        identities.setdefault(identity["id"], identity)
        for stix_object in _record_objects(record, identity["id"]):
            content.setdefault(stix_object["id"], stix_object)
            if "created" not in stix_object:
                holders.setdefault(stix_object["id"], []).append(record.tlp)
    for sco_id, tlps in holders.items():
        strictest = max(tlps, key=lambda tlp: tlp.rank)
        content[sco_id]["object_marking_refs"] = [TLP2_MARKING_IDS[strictest]]
    markings = [marking_definition(tlp) for tlp in Tlp if tlp in {r.tlp for r in records}]
    types = {stix_object["type"] for stix_object in content.values()}
    definitions = [d for d in stix_definitions() if d["type"] == "identity" or d["name"] in types]
    if not types & set(STIX_EXTENSION_IDS):
        definitions = []
    versions = ";".join(f"{record.id}@{_timestamp(record.modified)}" for record in records)
    return {
        "type": "bundle",
        "id": _derived_id("bundle", f"bundle/{versions}"),
        "objects": [*markings, *definitions, *identities.values(), *content.values()],
    }


def _derived_id(stix_type: str, name: str) -> str:
    return f"{stix_type}--{uuid.uuid5(ACCORD_STIX_NAMESPACE, name)}"


def _timestamp(moment: datetime) -> str:
    """STIX 2.1 §3.2: UTC with `Z`, to the millisecond as `stix_observables` writes them."""
    stamp = moment.astimezone(UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def _identity(record: ExportRecord) -> dict[str, Any]:
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": _derived_id("identity", f"organization/{record.owner_org_id}"),
        "created": _STAMP,
        "modified": _STAMP,
        "name": record.owner_org_name.strip(),
        "identity_class": "organization",
    }


def _record_objects(record: ExportRecord, identity_id: str) -> list[dict[str, Any]]:
    """The objects of the record's observables and place, its indicators, then its report."""
    common = {
        "created": _timestamp(record.created),
        "modified": _timestamp(record.modified),
        "created_by_ref": identity_id,
    }
    closing: dict[str, Any] = {"revoked": True} if record.revoked else {}
    closing["object_marking_refs"] = [TLP2_MARKING_IDS[record.tlp]]
    place = record.place_observable()
    things: dict[str, dict[str, Any]] = {}
    indicators: dict[str, dict[str, Any]] = {}
    for observable in [*record.observables, *([place] if place else [])]:
        thing = to_stix(observable, record_id=str(record.id), created=record.created)
        things.setdefault(thing["id"], thing | common | closing if "created" in thing else thing)
        pattern = stix_pattern(observable)
        if pattern is not None:
            indicator = _indicator(record, observable, pattern, common) | closing
            indicators.setdefault(indicator["id"], indicator)
    report_types = _REPORT_TYPES.get(record.kind)
    report = {
        "type": "report",
        "spec_version": "2.1",
        "id": _derived_id("report", f"record/{record.id}"),
        **common,
        "name": record.title.strip(),
        **({"description": record.description} if record.description.strip() else {}),
        **({"report_types": list(report_types)} if report_types else {}),
        "published": common["created"],
        "object_refs": [*things, *indicators] or [identity_id],
        **({"labels": list(record.labels)} if record.labels else {}),
    }
    return [*things.values(), *indicators.values(), report | closing]


def _indicator(
    record: ExportRecord, observable: Observable, pattern: str, common: Mapping[str, Any]
) -> dict[str, Any]:
    kinds = _INDICATOR_TYPES.get(record.kind)
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": _derived_id("indicator", f"record/{record.id}/pattern/{pattern}"),
        **common,
        "name": f"{observable.kind}: {observable.display}",
        "description": f"Named in the record “{record.title.strip()}”.",
        **({"indicator_types": list(kinds)} if kinds else {}),
        "pattern": pattern,
        "pattern_type": "stix",
        "pattern_version": "2.1",
        "valid_from": common["created"],
    }


@dataclass(frozen=True)
class ObjectError:
    """Why one object was not accepted; `index` is its place in `objects`, None for the bundle."""

    index: int | None
    id: str | None
    type: str | None
    message: str

    def __str__(self) -> str:
        where = "bundle" if self.index is None else f"objects[{self.index}]"
        return f"{where} ({self.id}): {self.message}" if self.id else f"{where}: {self.message}"


@dataclass(frozen=True)
class ImportResult:
    """The objects accepted, in bundle order, and an error for every other one.

    `markings` maps each TLP marking-definition id met (TLP 1.0 or 2.0) to Accord's marking;
    `stix_markings.tlp_of` gives the marking an accepted object is under."""

    objects: tuple[Mapping[str, Any], ...]
    errors: tuple[ObjectError, ...]
    markings: Mapping[str, Tlp]


def parse_bundle(data: object) -> ImportResult:
    """Read a STIX 2.1 bundle, given as JSON text or as the decoded object, object by object."""
    bundle, problem = _load(data)
    if bundle is None:
        return ImportResult((), (ObjectError(None, None, None, problem),), MappingProxyType({}))
    envelope = []
    if bundle.get("type") != "bundle":
        envelope.append(f"type must be 'bundle', not {_shown(bundle.get('type'))}")
    if not _is_identifier(bundle.get("id"), "bundle"):
        envelope.append(f"id must be 'bundle--' and a UUID, not {_shown(bundle.get('id'))}")
    objects = bundle.get("objects", [])
    if not isinstance(objects, list):
        envelope.append(f"objects must be a list, not {_shown(objects)}")
        objects = []
    errors = tuple(ObjectError(None, _text(bundle.get("id")), "bundle", m) for m in envelope)
    result = parse_objects(objects)
    return ImportResult(result.objects, errors + result.errors, result.markings)


def parse_objects(objects: Sequence[object]) -> ImportResult:
    """Check each of `objects` (a bundle's or a TAXII envelope's) on its own."""
    accepted: list[Mapping[str, Any]] = []
    errors: list[ObjectError] = []
    markings: dict[str, Tlp] = {}
    versions: dict[tuple[object, object], int] = {}
    for index, stix_object in enumerate(objects):
        problems = _problems(stix_object)
        stated = stix_object if isinstance(stix_object, Mapping) else {}
        version = (stated.get("id"), stated.get("modified"))
        if not problems and version in versions:
            problems = [f"repeats objects[{versions[version]}]: the same id and version"]
        if problems or not isinstance(stix_object, Mapping):
            named = _text(stated.get("id")), _text(stated.get("type"))
            errors.append(ObjectError(index, *named, "; ".join(problems)))
            continue
        versions[version] = index
        accepted.append(stix_object)
        refs = [*stix_object.get("object_marking_refs", []), stix_object["id"]]
        markings |= {ref: tlp for ref in refs if (tlp := tlp_of_marking(ref)) is not None}
    return ImportResult(tuple(accepted), tuple(errors), MappingProxyType(markings))


def _load(data: object) -> tuple[Mapping[str, Any] | None, str]:
    """The bundle as a JSON object, or None and what keeps it from being one."""
    if isinstance(data, str | bytes | bytearray):
        try:
            data = json.loads(data, parse_constant=_no_constant)
        except UnicodeDecodeError:
            return None, "not JSON: the text is not UTF-8"
        except json.JSONDecodeError as error:
            return None, f"not JSON: {error.msg} at line {error.lineno} column {error.colno}"
        except ValueError as error:
            return None, f"not I-JSON (RFC 7493): {error}"
        except RecursionError:
            return None, "not JSON Accord reads: nested too deeply"
    if not isinstance(data, Mapping):
        return None, f"a bundle is a JSON object, not {_shown(data)}"
    return data, ""


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _shown(value: object) -> str:
    """`value` as a message quotes it: its JSON text, cut short."""
    text = json.dumps(value, default=repr, ensure_ascii=False)
    return text if len(text) <= 60 else text[:59] + "…"


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _names(words: str) -> frozenset[str]:
    return frozenset(words.split())


# STIX 2.1 §4-§7: the object types Accord reads, SCOs apart, and Accord's own (stix_observables).
_SCOS = _names(
    "artifact autonomous-system directory domain-name email-addr email-message file ipv4-addr "
    "ipv6-addr mac-addr mutex network-traffic process software url user-account "
    "windows-registry-key x509-certificate accord-phone-number accord-vehicle"
)
_KNOWN = _SCOS | _names(
    "attack-pattern campaign course-of-action grouping identity incident indicator infrastructure "
    "intrusion-set location malware malware-analysis note observed-data opinion report "
    "threat-actor tool vulnerability accord-person-description relationship sighting "
    "marking-definition extension-definition language-content"
)
# The properties, beyond the common ones, of the types Accord takes records, observables and
# sightings from: for each, alternatives of which one must be present in full (STIX 2.1 §4-§7).
_REQUIRED: Mapping[str, tuple[tuple[str, ...], ...]] = MappingProxyType(
    {
        "identity": (("name",),),
        "indicator": (("pattern", "pattern_type", "valid_from"),),
        "location": (("region",), ("country",), ("latitude", "longitude")),
        "report": (("name", "published", "object_refs"),),
        "sighting": (("sighting_of_ref",),),
        "marking-definition": (("definition_type", "definition"), ("extensions",)),
        "file": (("hashes",), ("name",)),
        "accord-vehicle": (("plate", "issuing_state"),),
        **dict.fromkeys(
            _names("domain-name email-addr ipv4-addr ipv6-addr url accord-phone-number"),
            (("value",),),
        ),
    }
)
_TIMESTAMPS = _names(
    "created modified valid_from valid_until published first_observed last_observed "
    "first_seen last_seen"
)
_REF_TYPES = {"created_by_ref": "identity", "object_marking_refs": "marking-definition"}
_TYPE_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}"
_IDENTIFIER = re.compile(rf"([a-z0-9]+(?:-[a-z0-9]+)*)--{_UUID}")
_TIMESTAMP = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}):(\d{2})(?:\.(\d+))?Z")


def _problems(stix_object: object) -> list[str]:
    """Every way `stix_object` falls short of what Accord reads; empty when it is accepted."""
    if not isinstance(stix_object, Mapping):
        return [f"an object must be a JSON object, not {_shown(stix_object)}"]
    stix_type = stix_object.get("type")
    if not isinstance(stix_type, str) or not _TYPE_NAME.fullmatch(stix_type):
        return [f"type must be a STIX type name, not {_shown(stix_type)}"]
    if stix_type not in _KNOWN:
        return [f"unknown type {stix_type!r}: Accord reads the STIX 2.1 types and its own"]
    problems = _common_problems(stix_object, stix_type)
    choices = _REQUIRED.get(stix_type, ())
    if choices and not any(all(name in stix_object for name in group) for group in choices):
        missing = [[name for name in group if name not in stix_object] for group in choices]
        problems.append("required: " + " or ".join(" and ".join(names) for names in missing))
    extension, extensions = STIX_EXTENSION_IDS.get(stix_type), stix_object.get("extensions")
    if extension and not (isinstance(extensions, Mapping) and extension in extensions):
        problems.append(f"extensions must name {extension} (STIX 2.1 §7.3)")
    if stix_type == "indicator":
        problems += _indicator_problems(stix_object)
    if stix_type == "marking-definition" and (problem := marking_problem(stix_object)):
        problems.append(problem)
    return problems


def _common_problems(stix_object: Mapping[str, Any], stix_type: str) -> list[str]:
    """STIX 2.1 §3.2: spec_version, id, timestamps and the common properties; §2.7: references."""
    problems = []
    spec_version = stix_object.get("spec_version")
    if spec_version != "2.1" and (spec_version is not None or stix_type not in _SCOS):
        problems.append(f"spec_version must be '2.1', not {_shown(spec_version)}")
    if not _is_identifier(stix_object.get("id"), stix_type):
        problems.append(
            f"id must be '{stix_type}--' and a UUID, not {_shown(stix_object.get('id'))}"
        )
    if stix_type not in _SCOS:
        stamped = ("created",) if stix_type == "marking-definition" else ("created", "modified")
        problems += [f"{name} is required" for name in stamped if name not in stix_object]
    stamps = {name: _stamp_key(stix_object[name]) for name in _TIMESTAMPS if name in stix_object}
    problems += [
        f"{name} must be a UTC timestamp like {_STAMP}, not {_shown(stix_object[name])}"
        for name, stamp in sorted(stamps.items())
        if stamp is None
    ]
    created, modified = stamps.get("created"), stamps.get("modified")
    if created and modified and modified < created:
        problems.append("modified must not be before created")
    for name, value in stix_object.items():
        wanted = _REF_TYPES.get(name)
        what = f"a STIX id of type {wanted!r}" if wanted else "a STIX id"
        if name.endswith("_ref") and not _is_identifier(value, wanted):
            problems.append(f"{name} must be {what}, not {_shown(value)}")
        elif name.endswith("_refs") and not (
            isinstance(value, list) and value and all(_is_identifier(v, wanted) for v in value)
        ):
            problems.append(f"{name} must be a non-empty list, each {what}")
    if not isinstance(stix_object.get("revoked", False), bool):
        problems.append("revoked must be true or false")
    labels = stix_object.get("labels", ["present"])
    if not isinstance(labels, list) or not labels or not all(_is_text(label) for label in labels):
        problems.append("labels must be a non-empty list of non-empty strings")
    return problems


def _is_identifier(value: object, stix_type: str | None = None) -> bool:
    """STIX 2.1 §2.7: `type--UUID`, with an RFC 4122 UUID, of `stix_type` if given."""
    found = _IDENTIFIER.fullmatch(value) if isinstance(value, str) else None
    return found is not None and stix_type in (None, found[1])


def _stamp_key(value: object) -> str | None:
    """A STIX 2.1 §3.2 timestamp as text that sorts in time order, or None if it is not one."""
    found = _TIMESTAMP.fullmatch(value) if isinstance(value, str) else None
    if found is None:
        return None
    minute, second, fraction = found[1], found[2], found[3] or ""
    try:
        # a leap second (:60) is a valid STIX timestamp that datetime does not read
        datetime.strptime(f"{minute}:{min(second, '59')}", "%Y-%m-%dT%H:%M:%S")  # noqa: DTZ007
    except ValueError:
        return None
    return f"{minute}:{second}.{fraction.ljust(9, '0')}"


def _indicator_problems(indicator: Mapping[str, Any]) -> list[str]:
    """An indicator's pattern must be one Accord can read: a STIX pattern (STIX 2.1 §9)."""
    pattern_type, pattern = indicator.get("pattern_type"), indicator.get("pattern")
    if pattern_type is None or pattern is None:  # reported as required
        return []
    if pattern_type != "stix":
        return [f"pattern_type must be 'stix', the one Accord reads, not {_shown(pattern_type)}"]
    if not isinstance(pattern, str):
        return [f"pattern must be a STIX pattern, not {_shown(pattern)}"]
    try:
        _PatternReader(pattern)
    except ValueError as error:
        return [f"pattern does not parse: {error}"]
    return []


_QUOTED = r"'(?:[^'\\]|\\.)*'"
_STEP = rf"(?:[A-Za-z_]\w*|{_QUOTED})"
_DATE = r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
_TIME = r"(?:[01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60)(?:\.\d+)?Z"
_PATTERN_TOKEN = re.compile(
    rf"\s*(?:(?P<string>{_QUOTED})|(?P<stamp>t'{_DATE}T{_TIME}')"
    r"|(?P<typed>h'(?:[0-9a-fA-F]{2})*'|b'[A-Za-z0-9+/=]*')"
    rf"|(?P<path>[A-Za-z_][\w-]*:{_STEP}(?:\.{_STEP}|\[(?:-?\d+|\*)\])*)"
    r"|(?P<decimal>\+?\d*\.\d+)|(?P<integer>\+?(?:0|[1-9]\d*))|(?P<negative>-\d*\.?\d+)"
    r"|(?P<symbol><=|>=|!=|<>|==|[=<>()\[\],])|(?P<word>[A-Za-z]+))",
    re.ASCII,
)
_ORDERABLE = "string stamp typed integer decimal negative"
# STIX 2.1 §9.3.3: qualifiers, and what they take (words in capitals, kinds of token in lower case)
_QUALIFIERS: dict[str, tuple[str, ...]] = {"START": ("stamp", "STOP", "stamp")}
_QUALIFIERS |= {"WITHIN": ("integer decimal", "SECONDS"), "REPEATS": ("integer", "TIMES")}


class _PatternReader:
    """Reads a pattern by the STIX 2.1 patterning grammar (§9), raising ValueError where it
    departs from it, to refuse what partners' tools could not parse; it builds nothing, and AND,
    OR and FOLLOWEDBY bind alike, as precedence does not change whether a pattern parses."""

    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        self.at, position = 0, 0
        while text[position:].strip():
            found = _PATTERN_TOKEN.match(text, position)
            if found is None or found.lastgroup is None:
                raise ValueError(f"cannot read {text[position:].strip()[:24]!r}")
            self.tokens.append((found.lastgroup, found[found.lastgroup]))
            position = found.end()
        self.expression(inner=False)
        if self.at < len(self.tokens):
            raise ValueError(f"unexpected {self.next()} after the pattern")

    def next(self) -> str:
        return repr(self.tokens[self.at][1]) if self.at < len(self.tokens) else "the end"

    def take(self, kinds: str, *texts: str) -> bool:
        """Move past the next token if it is of one of `kinds` (and one of `texts`, if given)."""
        token = self.tokens[self.at] if self.at < len(self.tokens) else ("end", "")
        if token[0] in kinds.split() and (not texts or token[1] in texts):
            self.at += 1
            return True
        return False

    def need(self, kinds: str, *texts: str) -> None:
        if not self.take(kinds, *texts):
            wanted = " or ".join(texts or kinds.split())
            raise ValueError(f"expected {wanted}, found {self.next()}")

    def expression(self, *, inner: bool) -> None:
        """Observation expressions or, inside brackets, comparison expressions, joined."""
        self.term(inner=inner)
        while self.take("word", "AND", "OR", *([] if inner else ["FOLLOWEDBY"])):
            self.term(inner=inner)

    def term(self, *, inner: bool) -> None:
        if self.take("symbol", "("):
            self.expression(inner=inner)
            self.need("symbol", ")")
        elif inner:
            self.comparison()
        else:
            self.need("symbol", "[", "(")
            self.expression(inner=True)
            self.need("symbol", "]")
        while not inner and self.at < len(self.tokens):
            qualifier = self.tokens[self.at][1]
            if qualifier not in _QUALIFIERS or not self.take("word", qualifier):
                return
            for part in _QUALIFIERS[qualifier]:
                self.need(*(part,) if part.islower() else ("word", part))

    def comparison(self) -> None:
        if self.take("word", "NOT", "EXISTS"):
            if self.tokens[self.at - 1][1] == "NOT":
                self.need("word", "EXISTS")
            self.need("path")
            return
        self.need("path")
        self.take("word", "NOT")
        if self.take("word", "IN"):
            self.need("symbol", "(")
            if not self.take("symbol", ")"):
                self.literal()
                while self.take("symbol", ","):
                    self.literal()
                self.need("symbol", ")")
        elif self.take("word", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET"):
            self.need("string")
        elif self.take("symbol", "<", ">", "<=", ">="):
            self.need(_ORDERABLE)
        else:
            self.need("symbol", "=", "==", "!=", "<>")
            self.literal()

    def literal(self) -> None:
        if not (self.take(_ORDERABLE) or self.take("word", "true", "false")):
            raise ValueError(f"expected a literal, found {self.next()}")
