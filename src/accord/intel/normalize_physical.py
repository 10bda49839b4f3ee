"""The normalization rules of observables in the physical world: vehicles, places, people.

`observables.normalize` hands these kinds to the normalizers here; the rule of each kind is in
the docstring of its normalizer. Each takes a mapping of its parts or one line of text, and
keeps its parts as the observable's attributes.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping

from accord.intel.observable_types import (
    InvalidObservable,
    Observable,
    ObservableKind,
    check_keys,
    clean_text,
    clean_words,
)

__all__ = ["COORDINATE_DECIMALS", "normalize_person", "normalize_place", "normalize_vehicle"]

COORDINATE_DECIMALS = 4

# USPS codes of the states, DC and territories, then Canada Post codes of the provinces.
_JURISDICTIONS: dict[str, str] = dict(
    re.findall(
        r"([A-Z]{2}) ([^|]+)",
        "AL Alabama|AK Alaska|AZ Arizona|AR Arkansas|CA California|CO Colorado|CT Connecticut|"
        "DE Delaware|DC District of Columbia|FL Florida|GA Georgia|HI Hawaii|ID Idaho|"
        "IL Illinois|IN Indiana|IA Iowa|KS Kansas|KY Kentucky|LA Louisiana|ME Maine|"
        "MD Maryland|MA Massachusetts|MI Michigan|MN Minnesota|MS Mississippi|MO Missouri|"
        "MT Montana|NE Nebraska|NV Nevada|NH New Hampshire|NJ New Jersey|NM New Mexico|"
        "NY New York|NC North Carolina|ND North Dakota|OH Ohio|OK Oklahoma|OR Oregon|"
        "PA Pennsylvania|RI Rhode Island|SC South Carolina|SD South Dakota|TN Tennessee|"
        "TX Texas|UT Utah|VT Vermont|VA Virginia|WA Washington|WV West Virginia|WI Wisconsin|"
        "WY Wyoming|AS American Samoa|GU Guam|MP Northern Mariana Islands|PR Puerto Rico|"
        "VI U.S. Virgin Islands|AB Alberta|BC British Columbia|MB Manitoba|NB New Brunswick|"
        "NL Newfoundland and Labrador|NS Nova Scotia|NT Northwest Territories|NU Nunavut|"
        "ON Ontario|PE Prince Edward Island|QC Quebec|SK Saskatchewan|YT Yukon",
    )
)
_JURISDICTION_CODES = {name.casefold(): code for code, name in _JURISDICTIONS.items()}
_VEHICLE_FIELDS = ("plate", "state", "make", "model", "colour")


def normalize_vehicle(kind: ObservableKind, raw: object) -> Observable:
    """A plate and its issuing jurisdiction; the value is `STATE:PLATE`, as in `CA:7ABC123`.

    The plate is uppercased with spaces, dashes and dots removed, leaving 1-8 letters and
    digits (no plate in the US or Canada is longer); `O` and `0` stay apart, as they are on
    plates. The state is a USPS (or Canada Post) code, or the jurisdiction's name. Make and
    model are kept uppercase, as registration records write them, and colour lowercase; they
    describe the vehicle but are no part of the value. Given as text, a vehicle is
    `STATE:PLATE` or `PLATE (STATE)`."""
    parts = _vehicle_parts(kind, raw)
    check_keys(kind, parts, _VEHICLE_FIELDS)
    plate = unicodedata.normalize("NFKC", clean_text(kind, parts.get("plate"), "plate", "plate"))
    plate = re.sub(r"[\s.\-\u2010-\u2015]", "", plate).upper()
    if not re.fullmatch(r"[A-Z0-9]{1,8}", plate):
        message = "a plate is 1-8 letters and digits, with optional spaces or dashes"
        raise InvalidObservable(kind, message, field="plate")
    state = _jurisdiction(kind, parts.get("state"))
    attributes = {"plate": plate, "state": state}
    for name in ("make", "model", "colour"):
        if parts.get(name) not in (None, ""):
            words = clean_words(kind, parts[name], name)
            attributes[name] = words.lower() if name == "colour" else words.upper()
    return Observable(kind, f"{state}:{plate}", f"{plate} ({state})", attributes)


def _vehicle_parts(kind: ObservableKind, raw: object) -> Mapping[str, object]:
    if isinstance(raw, Mapping):
        return raw
    text = clean_text(kind, raw, "the vehicle")
    coded = re.fullmatch(r"([A-Za-z]{2})\s*:\s*(.+)", text)
    if coded:
        return {"state": coded[1], "plate": coded[2]}
    named = re.fullmatch(r"(.+?)\s*\(\s*([^()]+?)\s*\)", text)
    if named:
        return {"plate": named[1], "state": named[2]}
    raise InvalidObservable(kind, "write a vehicle as STATE:PLATE or PLATE (STATE)")


def _jurisdiction(kind: ObservableKind, raw: object) -> str:
    if raw in (None, ""):
        message = "the issuing state is required: a plate is unique only within its state"
        raise InvalidObservable(kind, message, field="state")
    text = " ".join(clean_text(kind, raw, "state").split())
    if text.upper() in _JURISDICTIONS:
        return text.upper()
    code = _JURISDICTION_CODES.get(text.casefold())
    if code is None:
        message = f"{text!r} is not a US state or territory or a Canadian province"
        raise InvalidObservable(kind, message, field="state")
    return code


def _coordinate(kind: ObservableKind, raw: object, name: str, limit: int) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise InvalidObservable(kind, f"{name} must be a number", field=name)
    try:
        number = float(raw)
    except ValueError:
        raise InvalidObservable(kind, f"{name} {raw!r} is not a number", field=name) from None
    if not math.isfinite(number) or abs(number) > limit:
        raise InvalidObservable(kind, f"{name} must be from -{limit} to {limit}", field=name)
    return number


def normalize_place(kind: ObservableKind, raw: object) -> Observable:
    """WGS84 latitude and longitude rounded to `COORDINATE_DECIMALS` (4) decimal places, about
    11 m: the scale at which two reports of one spot (an entrance, a parking bay) agree, given
    the few metres phones' positions are off. The value is `lat,lon` (`37.9500,-121.2900`); the
    longitude 180 is written -180, and at a pole the longitude is 0. An optional label names
    the place but is no part of the value. Given as text, a place is `lat, lon (label)`."""
    if isinstance(raw, Mapping):
        parts: Mapping[str, object] = raw
    else:
        text = clean_text(kind, raw, "the place")
        found = re.fullmatch(r"([+-]?[\d.]+)\s*[,\s]\s*([+-]?[\d.]+)(?:\s*\((.*)\))?", text)
        if found is None:
            raise InvalidObservable(kind, "write a place as latitude, longitude (label)")
        parts = {"latitude": found[1], "longitude": found[2], "label": found[3]}
    check_keys(kind, parts, ("latitude", "longitude", "label"))
    latitude = _coordinate(kind, parts.get("latitude"), "latitude", 90)
    longitude = _coordinate(kind, parts.get("longitude"), "longitude", 180)
    lat = round(latitude, COORDINATE_DECIMALS) + 0.0
    lon = round(longitude, COORDINATE_DECIMALS) + 0.0
    lon = 0.0 if abs(lat) == 90 else (-180.0 if lon == 180 else lon)
    attributes = {"latitude": f"{lat:.{COORDINATE_DECIMALS}f}"}
    attributes["longitude"] = f"{lon:.{COORDINATE_DECIMALS}f}"
    display = f"{attributes['latitude']}, {attributes['longitude']}"
    if parts.get("label") not in (None, ""):
        attributes["label"] = clean_words(kind, parts["label"], "label")
        display += f" ({attributes['label']})"
    value = f"{attributes['latitude']},{attributes['longitude']}"
    return Observable(kind, value, display, attributes)


_SEXES = {"f": "female", "female": "female", "woman": "female"}
_SEXES |= {"m": "male", "male": "male", "man": "male"}
_PERSON_FIELDS = ("sex", "age", "height", "build", "hair", "clothing", "marks")
_PERSON_PHRASES = {
    "age": "age {}",
    "build": "{} build",
    "hair": "{} hair",
    "clothing": "wearing {}",
}
_RANGE = re.compile(r"\s*(?:-|–|to)\s*")


def normalize_person(kind: ObservableKind, raw: object) -> Observable:
    """A description, never an identity: its value is None, so it correlates with nothing.

    Descriptors: `sex` (female or male, also f/m, woman/man); `age` in years (`35`, `30-40`,
    `30 to 40`, `30s`); `height` in cm (`178 cm`, `1.78 m`, `5'10"`, `5 ft 10 in`, or a
    range of two); `build`, `hair` and `marks` as free text; `clothing` as items (a list, or
    text separated by `;`). Text is lowercased and its spaces collapsed; repeated clothing
    items are dropped. The attributes are themselves valid input and give the same
    description back."""
    if not isinstance(raw, Mapping):
        raise InvalidObservable(kind, f"describe a person by {', '.join(_PERSON_FIELDS)}")
    check_keys(kind, raw, _PERSON_FIELDS)
    attributes: dict[str, str] = {}
    for name in _PERSON_FIELDS:
        given = raw.get(name)
        if given in (None, "", [], ()):
            continue
        describe = _DESCRIPTORS.get(name)
        text = describe(kind, given) if describe else clean_words(kind, given, name).lower()
        attributes[name] = text
    if not attributes:
        raise InvalidObservable(kind, "a description needs at least one descriptor")
    display = ", ".join(_PERSON_PHRASES.get(k, "{}").format(v) for k, v in attributes.items())
    return Observable(kind, None, display, attributes)


def _sex(kind: ObservableKind, raw: object) -> str:
    sex = _SEXES.get(clean_words(kind, raw, "sex").lower())
    if sex is None:
        raise InvalidObservable(kind, "sex is female or male", field="sex")
    return sex


def _age(kind: ObservableKind, raw: object) -> str:
    text = str(raw) if isinstance(raw, int) and not isinstance(raw, bool) else raw
    text = clean_words(kind, text, "age").lower()
    decade = re.fullmatch(r"(\d{1,2}0)s", text)
    bounds = [int(decade[1]), int(decade[1]) + 9] if decade else []
    if not decade and all(p.isdigit() and len(p) <= 3 for p in _RANGE.split(text)):
        bounds = [int(p) for p in _RANGE.split(text)]
    if not 1 <= len(bounds) <= 2 or bounds[0] > bounds[-1] or bounds[-1] > 120:
        message = "age is years from 0 to 120, as 35, 30-40 or 30s"
        raise InvalidObservable(kind, message, field="age")
    return "-".join(str(b) for b in dict.fromkeys(bounds))


_METRIC = re.compile(r"(\d+(?:\.\d+)?)\s*(cm|m)?")
_IMPERIAL = re.compile(
    r"(\d)\s*(?:'|ft|feet|foot)\s*(?:(\d{1,2}(?:\.\d+)?)\s*(?:\"|''|in|inches)?)?"
)


def _height(kind: ObservableKind, raw: object) -> str:
    parts = _RANGE.split(clean_words(kind, raw, "height").lower())
    last_unit = _METRIC.fullmatch(parts[-1])
    cms = []
    for part in parts:
        metric = _METRIC.fullmatch(part)
        imperial = _IMPERIAL.fullmatch(part)
        if metric and (metric[2] or (last_unit and last_unit[2])):
            unit = metric[2] or (last_unit[2] if last_unit else "cm")
            cms.append(round(float(metric[1]) * (100 if unit == "m" else 1)))
        elif imperial and float(imperial[2] or 0) < 12:
            cms.append(round((int(imperial[1]) * 12 + float(imperial[2] or 0)) * 2.54))
        else:
            cms = []
            break
    if not 1 <= len(cms) <= 2 or cms[0] > cms[-1] or cms[0] < 50 or cms[-1] > 250:
        message = "height is 50-250 cm, as 178 cm, 1.78 m, 5'10\" or a range of two"
        raise InvalidObservable(kind, message, field="height")
    return "-".join(str(c) for c in dict.fromkeys(cms)) + " cm"


def _clothing(kind: ObservableKind, raw: object) -> str:
    items = raw if isinstance(raw, list | tuple) else [clean_text(kind, raw, "clothing")]
    split = [part for item in items for part in clean_text(kind, item, "clothing").split(";")]
    words = [clean_words(kind, part, "clothing").lower() for part in split if part.strip()]
    if not words:
        raise InvalidObservable(kind, "clothing lists no item", field="clothing")
    return "; ".join(dict.fromkeys(words))


_DESCRIPTORS: dict[str, Callable[[ObservableKind, object], str]] = {
    "sex": _sex,
    "age": _age,
    "height": _height,
    "clothing": _clothing,
}
