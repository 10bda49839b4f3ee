"""The audit log's interchange formats: the canonical leaf, entry and head records, JSON Lines."""

from __future__ import annotations

import base64
import binascii
import json
import math
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from accord.core.audit.signing import TREE_HEAD_FORMAT, format_time, parse_time

if TYPE_CHECKING:
    from accord.core.audit.models import AuditEntry, AuditTreeHead

__all__ = [
    "EXPORT_FORMAT",
    "LEAF_FORMAT",
    "LEAF_VERSION",
    "ExportError",
    "ExportFile",
    "canonical_json",
    "decode_signature",
    "entry_fields",
    "entry_record",
    "export_header",
    "head_record",
    "leaf_data",
    "read_export",
    "write_export",
]

EXPORT_FORMAT = "accord-audit-export/v1"
LEAF_FORMAT = "accord-audit-leaf/v1"
LEAF_VERSION = 1
# I-JSON (RFC 7493 §2.2): integers beyond 2^53 - 1 do not survive a round trip through a double.
_MAX_SAFE_INTEGER = 2**53 - 1
_UUID_FIELDS = ("actor_id", "org_id")
_TEXT_FIELDS = ("action", "actor_label", "target_type", "target_id", "ip")


# json.dumps(text, ensure_ascii=False) without its per-call set-up: C speed for every string.
_quote: Callable[[str], str] = json.encoder.encode_basestring


class ExportError(ValueError):
    """An export file that cannot be read: the message names the line."""


# RFC 8785 §3.2.2.3: numbers are serialized as ECMAScript serializes an IEEE 754 double.
def _number(value: float, where: str) -> str:
    if not math.isfinite(value):
        raise ValueError(f"{where}: numbers must be finite")
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    digits_tuple, exponent = Decimal(repr(abs(value))).normalize().as_tuple()[1:]
    digits = "".join(str(d) for d in digits_tuple)
    point = len(digits) + int(exponent)  # value = 0.digits × 10^point
    if len(digits) <= point <= 21:
        text = digits + "0" * (point - len(digits))
    elif 0 < point <= 21:
        text = f"{digits[:point]}.{digits[point:]}"
    elif -6 < point <= 0:
        text = f"0.{'0' * -point}{digits}"
    else:
        mantissa = digits[0] + (f".{digits[1:]}" if len(digits) > 1 else "")
        text = f"{mantissa}e{'+' if point - 1 >= 0 else '-'}{abs(point - 1)}"
    return sign + text


def _text(value: str, where: str) -> str:
    if "\x00" in value:
        raise ValueError(f"{where}: text may not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"{where}: text is not valid Unicode (a lone surrogate)") from exc
    # RFC 8785 §3.2.2.2: JSON.stringify's escapes, which json.dumps matches without ASCII.
    return _quote(value)


def _integer(value: int, where: str, strict: bool) -> str:
    # I-JSON (RFC 7493 §2.2): beyond 2^53 - 1 an integer may not survive as a double, so new
    # values are refused there; stored ones (a float read back as an integer) are taken as is.
    if strict and abs(value) > _MAX_SAFE_INTEGER:
        raise ValueError(f"{where}: integers must lie within ±(2^53 - 1); write larger as text")
    try:
        return _number(float(value), where)
    except OverflowError as exc:
        raise ValueError(f"{where}: number too large") from exc


def _scalar(value: Any, where: str, strict: bool) -> str:
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, str):
        return _text(value, where)
    if isinstance(value, int):
        return _integer(value, where, strict)
    if isinstance(value, float):
        return _number(value, where)
    raise ValueError(f"{where}: {type(value).__name__} is not a JSON value")


def canonical_json(value: Any, where: str = "value", *, strict: bool = False) -> str:
    """RFC 8785 (JCS) text of `value`: members sorted by UTF-16 code units, no whitespace.

    ``strict`` also refuses integers a double cannot hold exactly (for values being recorded).
    ``ValueError`` names the offending member.
    """
    if isinstance(value, Mapping):
        parts = []
        for key in _sorted_keys(value):
            if not isinstance(key, str):
                raise ValueError(f"{where}: object keys must be strings")
            member = canonical_json(value[key], f"{where}.{key}", strict=strict)
            parts.append(f"{_text(key, where)}:{member}")
        return "{" + ",".join(parts) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(canonical_json(v, f"{where}[]", strict=strict) for v in value) + "]"
    return _scalar(value, where, strict)


def _sorted_keys(value: Mapping[Any, Any]) -> list[Any]:
    # RFC 8785 §3.2.3: sort by UTF-16 code units; big-endian bytes compare the same way. For
    # ASCII names (nearly all), code unit order is plain string order.
    if all(isinstance(key, str) and key.isascii() for key in value):
        return sorted(value)
    return sorted(value, key=_utf16_key)


def _utf16_key(key: object) -> bytes:
    return key.encode("utf-16-be", "surrogatepass") if isinstance(key, str) else b""


def _uuid_text(value: Any, field: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str):
        return str(uuid.UUID(value))
    raise ValueError(f"{field} must be a UUID or null")


def _time_text(value: Any) -> str:
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, str):
        return format_time(parse_time(value))
    raise ValueError("at must be a time")


def _leaf_object(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The leaf's members, normalized from an entry record or from Python values."""
    seq = entry.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise ValueError("seq must be a non-negative integer")
    details = entry.get("details")
    if not isinstance(details, Mapping):
        raise ValueError("details must be an object")
    leaf: dict[str, Any] = {"v": LEAF_VERSION, "seq": seq, "details": details}
    leaf["at"] = _time_text(entry.get("at"))
    for field in _UUID_FIELDS:
        leaf[field] = _uuid_text(entry.get(field), field)
    for field in _TEXT_FIELDS:
        text = entry.get(field)
        if not isinstance(text, str):
            raise ValueError(f"{field} must be text")
        leaf[field] = text
    return leaf


def leaf_data(entry: Mapping[str, Any]) -> bytes:
    """The bytes whose RFC 9162 §2.1.1 leaf hash is recorded for an entry (docs/audit.md).

    `entry` is an entry record (strings, as exported) or the same fields as Python values
    (datetime, UUID); both give the same bytes. ``ValueError`` names a malformed field.
    """
    return canonical_json(_leaf_object(entry)).encode("utf-8")


def entry_fields(entry: AuditEntry) -> dict[str, Any]:
    """An entry's content as JSON values: what its leaf covers, without the stored hash."""
    return {
        "seq": entry.seq,
        "at": format_time(entry.at),
        "action": entry.action,
        "actor_id": None if entry.actor_id is None else str(entry.actor_id),
        "actor_label": entry.actor_label,
        "org_id": None if entry.org_id is None else str(entry.org_id),
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "details": entry.details,
        "ip": entry.ip,
    }


def _exported_details(details: Any) -> Any:
    """Details as their canonical JSON reads back, whatever the engine stored (docs/audit.md).

    PostgreSQL's jsonb may give a recorded 1e+300 back as a 301-digit integer; normalized, every
    export shows the double that was hashed. Unreadable details are exported as they are.
    """
    try:
        return json.loads(canonical_json(details))
    except ValueError:
        return details


def entry_record(entry: AuditEntry, *, canonical_details: bool = False) -> dict[str, Any]:
    """An entry as one export line: its content, its stored leaf hash, ``kind: entry``.

    ``canonical_details`` writes details as their canonical JSON reads back (for export files,
    so other verifiers see the doubles that were hashed; see :func:`_exported_details`).
    """
    record = {"kind": "entry", **entry_fields(entry), "leaf_hash": entry.leaf_hash.hex()}
    if canonical_details:
        record["details"] = _exported_details(entry.details)
    return record


def head_record(head: AuditTreeHead) -> dict[str, Any]:
    """A signed tree head as one export line (root in hex, signature in base64)."""
    return {
        "kind": "tree_head",
        "size": head.size,
        "root_hash": head.root_hash.hex(),
        "at": format_time(head.at),
        "key_id": head.key_id,
        "signature": base64.b64encode(head.signature).decode("ascii"),
    }


def export_header(
    *, public_key_pem: str, key_id: str, exported_at: datetime, tree_size: int
) -> dict[str, Any]:
    """The first line of an export: formats, the signing public key, when and how much."""
    return {
        "format": EXPORT_FORMAT,
        "leaf_format": LEAF_FORMAT,
        "tree_head_format": TREE_HEAD_FORMAT,
        "exported_at": format_time(exported_at),
        "tree_size": tree_size,
        "key_id": key_id,
        "public_key_pem": public_key_pem,
    }


def write_export(
    out: IO[str],
    header: Mapping[str, Any],
    entries: Iterable[Mapping[str, Any]],
    heads: Iterable[Mapping[str, Any]],
) -> int:
    """Write the JSON Lines export (header, entries, heads); return the number of entries."""
    count = 0
    out.write(_line(header))
    for entry in entries:
        out.write(_line(entry))
        count += 1
    for head in heads:
        out.write(_line(head))
    return count


def _line(record: Mapping[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n"


@dataclass(frozen=True)
class ExportFile:
    """A checked export file: its header, and its entries and heads read lazily, in order.

    Entries and heads are streamed from the file on each iteration, so verifying a large
    export holds only one line of each in memory.
    """

    path: Path
    header: dict[str, Any]
    entry_count: int
    heads_offset: int

    def entries(self) -> Iterator[dict[str, Any]]:
        with self.path.open("rb") as handle:
            position = len(handle.readline())
            while position < self.heads_offset:
                line = handle.readline()
                position += len(line)
                if line.strip():
                    yield json.loads(line)

    def heads(self) -> Iterator[dict[str, Any]]:
        with self.path.open("rb") as handle:
            handle.seek(self.heads_offset)
            for line in handle:
                if line.strip():
                    yield json.loads(line)

    def public_key_pem(self) -> str:
        pem = self.header.get("public_key_pem")
        if not isinstance(pem, str):
            raise ExportError("line 1: the header holds no public_key_pem")
        return pem


def read_export(path: Path) -> ExportFile:
    """Check an export's structure in one pass; ``ExportError`` names the first bad line."""
    header: dict[str, Any] | None = None
    entry_count, heads_offset, offset = 0, -1, 0
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            record = _parse_line(raw, number)
            if number == 1:
                header = _check_header(record)
            elif record is None:
                pass
            elif record.get("kind") == "entry":
                if heads_offset >= 0:
                    raise ExportError(f"line {number}: an entry after the tree heads")
                entry_count += 1
            elif record.get("kind") == "tree_head":
                heads_offset = offset if heads_offset < 0 else heads_offset
            else:
                raise ExportError(f"line {number}: neither an entry nor a tree head")
            offset += len(raw)
    if header is None:
        raise ExportError("the file is empty; expected an audit export")
    return ExportFile(path, header, entry_count, heads_offset if heads_offset >= 0 else offset)


def _parse_line(raw: bytes, number: int) -> dict[str, Any] | None:
    if not raw.strip():
        if number == 1:
            raise ExportError("line 1: expected the export header")
        return None
    try:
        record = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportError(f"line {number}: not valid JSON ({exc})") from exc
    if not isinstance(record, dict):
        raise ExportError(f"line {number}: expected a JSON object")
    return record


def _check_header(record: dict[str, Any] | None) -> dict[str, Any]:
    if record is None or record.get("format") != EXPORT_FORMAT:
        raise ExportError(f"line 1: not an audit export header (expected format {EXPORT_FORMAT})")
    return record


def decode_signature(text: Any) -> bytes:
    """Bytes of a base64 signature; ``ValueError`` if it is not base64."""
    if not isinstance(text, str):
        raise ValueError("signature must be base64 text")
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError("signature is not base64") from exc
