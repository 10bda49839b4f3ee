"""How the constructors of CAP values settle and check their fields, and the error they raise.

`FieldCheck` is handed a value in its `__post_init__`: it turns what CAP allows to be given loosely
into one form (lists into tuples, strings into enums, an empty optional text into None, times to
the second in a fixed offset) and collects a `CapProblem` for each field that breaks a rule, so
`InvalidCap` can name every field at fault at once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from typing import TypeVar
from urllib.parse import urlsplit

from accord.core.errors import Invalid

__all__ = ["CapProblem", "FieldCheck", "InvalidCap", "settle_time"]


@dataclass(frozen=True)
class CapProblem:
    """One rule a CAP value breaks: `field` names it (`infos[0].expires`), `message` says how."""

    field: str
    message: str


class InvalidCap(Invalid):
    """A CAP alert, or a part of one, that breaks CAP 1.2; `problems` names every field at fault."""

    def __init__(self, problems: Sequence[CapProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__(
            "; ".join(f"{problem.field}: {problem.message}" for problem in self.problems),
            errors=[{"field": p.field, "message": p.message} for p in self.problems],
        )


E = TypeVar("E", bound=StrEnum)

# XML 1.0 §2.2: the characters a document can carry at all.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# CAP 1.2 §3.2.1: identifiers and senders have no spaces, commas or restricted characters.
_NOT_TOKEN = re.compile(r"[\s,<&]")
_ABSOLUTE_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")
# xs:anyURI as libxml2 checks it: the characters XML Schema lets a URI carry unescaped (non-ASCII,
# <>"{}|\^`') stand for escaped ones, and the rest is an RFC 3986 URI-reference (§3, §4.1).
_LET_THROUGH = re.compile(r"""[^\x21-\x7e]|[<>"{}|\\^`']""")
_PCT = r"%[0-9A-Fa-f]{2}"
_PCHAR = rf"(?:[\w\-.~!$&'()*+,;=:@]|{_PCT})"
_SEGMENT_NC = rf"(?:[\w\-.~!$&'()*+,;=@]|{_PCT})"
_AUTHORITY = (
    rf"(?:(?:[\w\-.~!$&'()*+,;=:]|{_PCT})*@)?"
    rf"(?:\[[0-9A-Fa-f:.]+\]|(?:[\w\-.~!$&'()*+,;=]|{_PCT})*)(?::\d+)?"
)
_PATH = rf"(?:/{_PCHAR}*)*"
_QUERY_FRAGMENT = rf"(?:\?(?:{_PCHAR}|[/?])*)?(?:#(?:{_PCHAR}|[/?])*)?"
_URI = re.compile(
    rf"[A-Za-z][A-Za-z0-9+.\-]*:(?://{_AUTHORITY}{_PATH}|/?(?:{_PCHAR}+{_PATH})?){_QUERY_FRAGMENT}",
    re.ASCII,
)
_RELATIVE_REF = re.compile(
    rf"(?://{_AUTHORITY}{_PATH}|/?(?:{_SEGMENT_NC}+{_PATH})?){_QUERY_FRAGMENT}", re.ASCII
)
# xs:dateTime (XML Schema 1.0 §3.2.7.3) allows offsets of at most fourteen hours.
_MAX_OFFSET = timedelta(hours=14)


class FieldCheck:
    """Settles the fields of one value being constructed and collects the rules they break."""

    def __init__(self, owner: object) -> None:
        self.owner = owner
        self.problems: list[CapProblem] = []

    def fail(self, field: str, message: str) -> None:
        self.problems.append(CapProblem(field, message))

    def done(self) -> None:
        if self.problems:
            raise InvalidCap(self.problems)

    def _set(self, name: str, value: object) -> None:
        object.__setattr__(self.owner, name, value)

    def characters(self, field: str, value: str) -> bool:
        bad = _NOT_XML.search(value)
        if bad:
            self.fail(field, f"holds a character XML cannot carry (U+{ord(bad.group()):04X})")
        return bad is None

    def text(self, name: str, *, required: bool = False) -> None:
        """Free text; an optional one left empty becomes None."""
        value = getattr(self.owner, name)
        if value is None or value == "":
            if required:
                self.fail(name, "is required")
            else:
                self._set(name, None)
        elif not isinstance(value, str):
            self.fail(name, "must be text")
        elif required and not value.strip():
            self.fail(name, "must not be blank")
        else:
            self.characters(name, value)

    def plain(self, name: str) -> None:
        """Text that may be empty but is always there."""
        value = getattr(self.owner, name)
        if not isinstance(value, str):
            self.fail(name, "must be text")
        else:
            self.characters(name, value)

    def token(self, name: str) -> None:
        value = getattr(self.owner, name)
        if not isinstance(value, str) or not value:
            self.fail(name, "is required")
        elif _NOT_TOKEN.search(value):
            self.fail(name, "must not contain spaces, commas, '<' or '&' (CAP 1.2 §3.2.1)")
        else:
            self.characters(name, value)

    def moment(self, name: str, *, required: bool = False) -> datetime | None:
        value = getattr(self.owner, name)
        if value is None:
            if required:
                self.fail(name, "is required")
            return None
        offset = value.utcoffset() if isinstance(value, datetime) else None
        if offset is None:
            self.fail(name, "must be a date and time with a UTC offset (CAP 1.2 §3.3.2)")
            return None
        try:
            settled = settle_time(value, offset)
        except OverflowError:
            self.fail(name, "is out of range")
            return None
        self._set(name, settled)
        return settled

    def enum(self, name: str, kind: type[E]) -> None:
        value = getattr(self.owner, name)
        try:
            self._set(name, kind(value))
        except (ValueError, TypeError):
            self.fail(name, f"{value!r} is not one of {', '.join(kind)}")

    def sequence(self, name: str) -> tuple[object, ...] | None:
        value = getattr(self.owner, name)
        if not isinstance(value, list | tuple):
            self.fail(name, "must be a list")
            return None
        settled = tuple(value)
        self._set(name, settled)
        return settled

    def enums(self, name: str, kind: type[E], *, required: bool = False) -> None:
        values = self.sequence(name)
        if values is None:
            return
        if required and not values:
            self.fail(name, "needs at least one value")
        members: list[E] = []
        for index, value in enumerate(values):
            if isinstance(value, str) and value in kind.__members__.values():
                members.append(kind(value))
            else:
                self.fail(f"{name}[{index}]", f"{value!r} is not one of {', '.join(kind)}")
        self._set(name, tuple(members))

    def items(self, name: str, kind: type) -> None:
        for index, value in enumerate(self.sequence(name) or ()):
            if not isinstance(value, kind):
                self.fail(f"{name}[{index}]", f"must be a {kind.__name__}")

    def words(self, name: str) -> None:
        """A list CAP writes space-separated, quoting the values that hold spaces (§3.2.1)."""
        for index, value in enumerate(self.sequence(name) or ()):
            field = f"{name}[{index}]"
            if not isinstance(value, str) or not value.strip():
                self.fail(field, "must not be blank")
            elif '"' in value:
                self.fail(field, "must not contain '\"', which CAP uses to quote values")
            else:
                self.characters(field, value)

    def number(self, name: str, low: float, high: float) -> None:
        value = getattr(self.owner, name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(name, "must be a number")
            return
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if low <= number <= high:
            self._set(name, number)
        else:
            self.fail(name, f"must be a number from {low:g} to {high:g}")

    def uri(self, name: str, *, absolute: bool, required: bool = False) -> None:
        """A URI (RFC 3986) that xs:anyURI takes; `absolute` ones have a scheme."""
        value = getattr(self.owner, name)
        if value is None or value == "":
            if required:
                self.fail(name, "is required")
            else:
                self._set(name, None)
        elif not isinstance(value, str) or re.search(r"\s", value):
            self.fail(name, "must be a URI without spaces")
        elif absolute and not _ABSOLUTE_URI.fullmatch(value):
            self.fail(name, "must be an absolute URI, such as https://portcity.example/alerts")
        elif not _is_uri(value):
            self.fail(name, "is not a valid URI (RFC 3986)")
        else:
            self.characters(name, value)


def _is_uri(value: str) -> bool:
    escaped = _LET_THROUGH.sub("_", value)
    if not (_URI.fullmatch(escaped) or _RELATIVE_REF.fullmatch(escaped)):
        return False
    try:
        urlsplit(value).port  # noqa: B018 - reading the port checks it
    except ValueError:
        return False
    return True


def settle_time(moment: datetime, offset: timedelta) -> datetime:
    """`moment` to the second in a fixed offset CAP can write (±hh:mm, at most fourteen hours)."""
    if offset % timedelta(minutes=1) or abs(offset) > _MAX_OFFSET:
        moment, offset = moment.astimezone(UTC), timedelta(0)
    return moment.replace(tzinfo=timezone(offset), microsecond=0)
