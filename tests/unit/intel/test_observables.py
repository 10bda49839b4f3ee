"""Observables normalize so that every spelling of one thing matches, and nothing else does.

Each rule of `accord.intel.observables` is stated once with examples from the Port City demo
world (the police department's dispatcher, Harbour Point Mall's security office), then held by
properties over generated spellings: normalizing a value or a displayed form gives the value back,
and text that is no observable is refused with `InvalidObservable`, never turned into one.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.intel.observables import InvalidObservable, Observable, ObservableKind, normalize
from accord.intel.stix_observables import stix_pattern, to_stix

K = ObservableKind
AT = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
SHA256_EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

SPELLINGS: list[tuple[ObservableKind, list[Any], str]] = [
    (
        K.VEHICLE,
        [
            "CA:7abc-123",
            " 7ABC 123 (CA)",
            "7ABC123 (california)",
            "ca : 7abc.123",
            {"plate": " 7ABC 123 ", "state": "ca"},
            {"plate": "7abc–123", "state": "California", "make": "toyota"},
        ],
        "CA:7ABC123",
    ),
    (
        K.PHONE,
        ["(209) 555-0142", "+1 209 555 0142", "209.555.0142", "1-209-555-0142", "+12095550142"],
        "+12095550142",
    ),
    (
        K.EMAIL,
        [
            "Dana.Reyes@PortCity-PD.example",
            " dana.reyes@portcity-pd.example. ",
            "mailto:DANA.REYES@portcity-pd.example",
            "dana.reyes[@]portcity-pd[.]example",
        ],
        "dana.reyes@portcity-pd.example",
    ),
    (
        K.URL,
        [
            "HTTP://Example.COM:80/a%7eb#frag",
            "http://example.com/a~b",
            "http://EXAMPLE.com./a%7Eb?",
            "hxxp://example[.]com/./a~b",
            "http://example.com:/x/../a%7E%62",
        ],
        "http://example.com/a~b",
    ),
    (
        K.DOMAIN,
        ["Bücher.Example", "xn--bcher-kva.example.", "BÜCHER.EXAMPLE", "bücher[.]example"],
        "xn--bcher-kva.example",
    ),
    (
        K.IPV4,
        ["203.0.113.5", " 203.0.113.5 ", "::ffff:203.0.113.5", "[::ffff:cb00:7105]"],
        "203.0.113.5",
    ),
    (
        K.IPV6,
        ["2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1", "[2001:db8:0:0::1]"],
        "2001:db8::1",
    ),
    (
        K.MD5,
        ["D41D8CD98F00B204E9800998ECF8427E", " d41d8cd98f00b204e9800998ecf8427e "],
        "d41d8cd98f00b204e9800998ecf8427e",
    ),
    (
        K.SHA1,
        ["DA39A3EE5E6B4B0D3255BFEF95601890AFD80709"],
        "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    ),
    (K.SHA256, [SHA256_EMPTY.upper(), SHA256_EMPTY], SHA256_EMPTY),
    (
        K.PLACE,
        [
            "37.95, -121.29",
            "37.95000 -121.29000",
            "37.94996,-121.29004 (Harbour Point Mall)",
            {"latitude": 37.95, "longitude": -121.29},
            {"latitude": "37.950004", "longitude": "-121.289996", "label": "north gate"},
        ],
        "37.9500,-121.2900",
    ),
]


@pytest.mark.parametrize(("kind", "spellings", "value"), SPELLINGS, ids=lambda v: str(v)[:12])
def test_every_spelling_of_one_thing_has_one_value(
    kind: ObservableKind, spellings: list[Any], value: str
) -> None:
    for spelling in spellings:
        observable = normalize(kind, spelling)
        assert (observable.kind, observable.value) == (kind, value), spelling
        assert observable.correlates


def test_kinds_are_given_by_name_too() -> None:
    assert normalize("md5", SHA256_EMPTY[:32]) == normalize(K.MD5, SHA256_EMPTY[:32])


def test_an_ip_address_takes_the_kind_of_its_family() -> None:
    assert normalize(K.IPV6, "::ffff:203.0.113.5").kind is K.IPV4
    assert normalize(K.IPV4, "2001:db8::5").kind is K.IPV6


def test_a_url_keeps_what_a_server_may_tell_apart() -> None:
    url = normalize(K.URL, "https://dana:Secret@Example.com:8443/Reports/Q3.PDF?b=2&a=1#top")
    assert url.value == "https://dana:Secret@example.com:8443/Reports/Q3.PDF?b=2&a=1"


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("http://example.com/%7e%2f%3a?q=%e2%82%ac", "http://example.com/~%2F%3A?q=%E2%82%AC"),
        ("https://example.com/a b/ü", "https://example.com/a%20b/%C3%BC"),
        ('https://example.com/say"hi"<now>', "https://example.com/say%22hi%22%3Cnow%3E"),
        ("http://example.com/100%", "http://example.com/100%25"),
        ("http://example.com/a/b/../c/./d", "http://example.com/a/c/d"),
        ("http://example.com/a/b/..", "http://example.com/a/"),
        ("https://Example.com:443", "https://example.com/"),
        ("https://example.com:0443/", "https://example.com/"),
        ("https://example.com:80/", "https://example.com:80/"),
        ("ftp://files.example:21/pub", "ftp://files.example/pub"),
        ("http://intranet/", "http://intranet/"),
        ("http://[2001:DB8:0::1]:8080/x", "http://[2001:db8::1]:8080/x"),
        ("http://[::ffff:203.0.113.5]/", "http://203.0.113.5/"),
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
        ("https://example.com/it's", "https://example.com/it's"),
    ],
)
def test_a_url_takes_the_rfc_3986_normal_form(raw: str, value: str) -> None:
    assert normalize(K.URL, raw).value == value


def test_an_email_keeps_sub_addresses_and_dots_which_are_other_mailboxes_elsewhere() -> None:
    tagged = normalize(K.EMAIL, "Dana.Reyes+tips@Example.com")
    assert tagged.value == "dana.reyes+tips@example.com"
    assert tagged.value != normalize(K.EMAIL, "danareyes@example.com").value


def test_a_phone_extension_is_shown_but_one_switchboard_is_one_number() -> None:
    desk = normalize(K.PHONE, "(209) 555-0100 ext. 214")
    assert desk.value == normalize(K.PHONE, "209-555-0100").value == "+12095550100"
    assert desk.display == "+1 209-555-0100 ext. 214"
    assert desk.attributes["extension"] == "214"


def test_a_phone_number_is_read_in_the_region_given() -> None:
    london = normalize(K.PHONE, "020 7946 0958", region="GB")
    assert london.value == "+442079460958"
    assert london.display == "+44 20 7946 0958"


def test_a_vehicle_keeps_its_description_beside_the_plate() -> None:
    van = normalize(
        K.VEHICLE,
        {"plate": "8xyz 042", "state": "nv", "make": "ford ", "model": "transit  connect"}
        | {"colour": "Dark  Blue"},
    )
    assert van.value == "NV:8XYZ042"
    assert van.display == "8XYZ042 (NV)"
    assert dict(van.attributes) == {
        "plate": "8XYZ042",
        "state": "NV",
        "make": "FORD",
        "model": "TRANSIT CONNECT",
        "colour": "dark blue",
    }


def test_plates_in_different_states_or_with_o_and_zero_are_different_vehicles() -> None:
    values = {normalize(K.VEHICLE, raw).value for raw in ("CA:7ABC123", "NV:7ABC123", "CA:7ABC12O")}
    assert len(values) == 3


def test_a_place_is_rounded_to_about_eleven_metres_and_its_label_is_no_part_of_it() -> None:
    gate = normalize(K.PLACE, {"latitude": 37.95012, "longitude": -121.29049, "label": "Gate 3"})
    assert gate.value == "37.9501,-121.2905"
    assert gate.display == "37.9501, -121.2905 (Gate 3)"
    assert gate.value == normalize(K.PLACE, "37.95014, -121.29051").value
    assert gate.value != normalize(K.PLACE, "37.95020, -121.29049").value


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("-0.00001, -0.00001", "0.0000,0.0000"),
        ("10, 180", "10.0000,-180.0000"),
        ("10, 179.99999", "10.0000,-180.0000"),
        ("90, 45", "90.0000,0.0000"),
    ],
)
def test_a_place_has_one_value_where_coordinates_have_two_spellings(raw: str, value: str) -> None:
    assert normalize(K.PLACE, raw).value == value


def test_a_person_description_never_correlates() -> None:
    description = {"sex": "M", "age": "30s", "height": "5'10\"", "clothing": "black hoodie"}
    first, second = normalize(K.PERSON, description), normalize(K.PERSON, description)
    assert first.value is None
    assert not first.correlates
    assert first == second
    assert stix_pattern(first) is None


def test_a_person_description_is_a_normalized_set_of_descriptors() -> None:
    person = normalize(
        K.PERSON,
        {
            "sex": "Woman",
            "age": "25 to 35",
            "height": "160-170 cm",
            "build": " Slim ",
            "hair": "Long  BLACK",
            "clothing": ["Red jacket", "blue jeans; red jacket"],
            "marks": "Tattoo on left wrist",
        },
    )
    assert dict(person.attributes) == {
        "sex": "female",
        "age": "25-35",
        "height": "160-170 cm",
        "build": "slim",
        "hair": "long black",
        "clothing": "red jacket; blue jeans",
        "marks": "tattoo on left wrist",
    }
    assert person.display == (
        "female, age 25-35, 160-170 cm, slim build, long black hair, "
        "wearing red jacket; blue jeans, tattoo on left wrist"
    )


@pytest.mark.parametrize(
    ("height", "value"),
    [
        ("178 cm", "178 cm"),
        ("1.78 m", "178 cm"),
        ("5'10\"", "178 cm"),
        ("5 ft 10 in", "178 cm"),
        ("5'8\" - 6'", "173-183 cm"),
        ("175 to 180cm", "175-180 cm"),
    ],
)
def test_heights_are_kept_in_centimetres(height: str, value: str) -> None:
    assert normalize(K.PERSON, {"height": height}).attributes["height"] == value


@pytest.mark.parametrize(
    ("kind", "raw", "says"),
    [
        (K.VEHICLE, "7ABC123", "STATE:PLATE"),
        (K.VEHICLE, {"plate": "7ABC123"}, "issuing state is required"),
        (K.VEHICLE, {"plate": "7ABC@123", "state": "CA"}, "1-8 letters and digits"),
        (K.VEHICLE, {"plate": "7ABC12345", "state": "CA"}, "1-8 letters and digits"),
        (K.VEHICLE, {"plate": "7ABC123", "state": "ZZ"}, "'ZZ' is not a US state"),
        (K.VEHICLE, {"plate": "7ABC123", "state": "CA", "vin": "1HGCM"}, "unknown field 'vin'"),
        (K.VEHICLE, {"state": "CA"}, "plate is required"),
        (K.PHONE, "123", "wrong number of digits"),
        (K.PHONE, "+1 123 555 0142", "not a number in use"),
        (K.PHONE, "call the front desk", "not a phone number"),
        (K.PHONE, "   ", "empty"),
        (K.EMAIL, "dana.reyes", "name@example.com"),
        (K.EMAIL, "@example.com", "name@example.com"),
        (K.EMAIL, "dana@localhost", "at least two labels"),
        (K.EMAIL, "dana..reyes@example.com", "before the @"),
        (K.EMAIL, "dana reyes@example.com", "before the @"),
        (K.EMAIL, "o'brien@example.com", "before the @"),
        (K.EMAIL, "dana@exa_mple.com", "not a valid domain name"),
        (K.URL, "example.com/a", "scheme and a host"),
        (K.URL, "mailto:dana@example.com", "scheme and a host"),
        (K.URL, "http:///path", "no host"),
        (K.URL, "http://example.com:99999/", "port '99999'"),
        (K.URL, "http://2001:db8::1/", "in brackets"),
        (K.URL, "http://[2001:db8::1/", "does not close"),
        (K.URL, "http://300.1.2.3/", "not an IP address"),
        (K.IPV4, "203.0.113.256", "not an IP address"),
        (K.IPV4, "198.51.100.0/24", "a network"),
        (K.IPV4, "010.0.0.1", "not an IP address"),
        (K.IPV6, "fe80::1%eth0", "zone"),
        (K.IPV6, "2001:db8::g", "not an IP address"),
        (K.DOMAIN, "localhost", "at least two labels"),
        (K.DOMAIN, "203.0.113.5", "looks like an IP address"),
        (K.DOMAIN, "exa mple.com", "not a valid domain name"),
        (K.DOMAIN, "-bad.example", "not a valid domain name"),
        (K.DOMAIN, "a..example", "not a valid domain name"),
        (K.DOMAIN, "example.com..", "empty label"),
        (K.DOMAIN, "_dmarc.example.com", "not a valid domain name"),
        (K.DOMAIN, "x" * 64 + ".example", "not a valid domain name"),
        (K.MD5, SHA256_EMPTY[:31], "32 hexadecimal digits, not 31"),
        (K.MD5, SHA256_EMPTY, "64 is the length of SHA-256 hashes"),
        (K.SHA1, "g" * 40, "hexadecimal digits only"),
        (K.SHA256, 12345, "must be text"),
        (K.PLACE, "91, 0", "latitude must be from -90 to 90"),
        (K.PLACE, "0, 181", "longitude must be from -180 to 180"),
        (K.PLACE, {"latitude": "nan", "longitude": 0}, "latitude must be from"),
        (K.PLACE, {"latitude": True, "longitude": 0}, "latitude must be a number"),
        (K.PLACE, "near the fountain", "latitude, longitude"),
        (K.PERSON, "tall man in a red jacket", "describe a person by"),
        (K.PERSON, {}, "at least one descriptor"),
        (K.PERSON, {"sex": "x"}, "female or male"),
        (K.PERSON, {"age": "130"}, "age is years"),
        (K.PERSON, {"age": "40-30"}, "age is years"),
        (K.PERSON, {"height": "3 m"}, "height is 50-250 cm"),
        (K.PERSON, {"height": "tall"}, "height is 50-250 cm"),
        (K.PERSON, {"clothing": ";"}, "no item"),
        (K.PERSON, {"eyes": "blue"}, "unknown field 'eyes'"),
        ("ssn", "078-05-1120", "unknown kind"),
    ],
)
def test_bad_input_is_refused_with_what_is_wrong(
    kind: ObservableKind | str, raw: Any, says: str
) -> None:
    with pytest.raises(InvalidObservable) as caught:
        normalize(kind, raw)
    assert caught.value.kind == kind
    assert says in str(caught.value)
    assert str(caught.value).startswith(f"{kind}: ")
    assert isinstance(caught.value, ValueError)


def test_a_structured_error_names_the_field_at_fault() -> None:
    with pytest.raises(InvalidObservable) as caught:
        normalize(K.VEHICLE, {"plate": "7ABC123", "state": "Atlantis"})
    assert caught.value.field == "state"


def test_attributes_cannot_be_changed_after_normalizing() -> None:
    van = normalize(K.VEHICLE, "NV:8XYZ042")
    with pytest.raises(TypeError):
        van.attributes["plate"] = "1AAA111"  # type: ignore[index]


# Patterns and STIX ids: the shape of what is emitted; tests/conformance/ judges its validity.


@pytest.mark.parametrize(
    ("kind", "raw", "pattern"),
    [
        (K.IPV4, "203.0.113.5", "[ipv4-addr:value = '203.0.113.5']"),
        (K.IPV6, "2001:db8::5", "[ipv6-addr:value = '2001:db8::5']"),
        (K.DOMAIN, "portcity-pd.example", "[domain-name:value = 'portcity-pd.example']"),
        (K.EMAIL, "tips@portcity-pd.example", "[email-addr:value = 'tips@portcity-pd.example']"),
        (K.URL, "https://example.com/it's", "[url:value = 'https://example.com/it\\'s']"),
        (K.MD5, SHA256_EMPTY[:32], f"[file:hashes.MD5 = '{SHA256_EMPTY[:32]}']"),
        (K.SHA1, SHA256_EMPTY[:40], f"[file:hashes.'SHA-1' = '{SHA256_EMPTY[:40]}']"),
        (K.SHA256, SHA256_EMPTY, f"[file:hashes.'SHA-256' = '{SHA256_EMPTY}']"),
        (K.PHONE, "209-555-0142", "[accord-phone-number:value = '+12095550142']"),
        (
            K.VEHICLE,
            "CA:7ABC123",
            "[accord-vehicle:issuing_state = 'CA' AND accord-vehicle:plate = '7ABC123']",
        ),
        (K.PLACE, "37.95, -121.29", None),
        (K.PERSON, {"sex": "female"}, None),
    ],
)
def test_each_kind_has_the_pattern_an_indicator_carries(
    kind: ObservableKind, raw: Any, pattern: str | None
) -> None:
    assert stix_pattern(normalize(kind, raw)) == pattern


def test_pattern_literals_escape_backslashes_and_quotes() -> None:
    odd = Observable(K.URL, "http://example.com/a\\'b", "http://example.com/a\\'b")
    assert stix_pattern(odd) == "[url:value = 'http://example.com/a\\\\\\'b']"


def test_equivalent_spellings_give_one_stix_id() -> None:
    ids = {to_stix(normalize(K.URL, raw))["id"] for raw in SPELLINGS[3][1]}
    assert len(ids) == 1
    assert ids.pop().startswith("url--")


def test_a_vehicle_stix_id_rests_on_plate_and_state_only() -> None:
    bare = to_stix(normalize(K.VEHICLE, "CA:7ABC123"))
    described = to_stix(normalize(K.VEHICLE, {"plate": "7ABC123", "state": "CA", "make": "kia"}))
    assert bare["id"] == described["id"]
    assert described["make"] == "KIA"
    assert described["issuing_state"] == "CA"


def test_place_and_person_need_the_record_that_holds_them() -> None:
    gate = normalize(K.PLACE, "37.95, -121.29 (Harbour Point Mall)")
    with pytest.raises(ValueError, match="record_id"):
        to_stix(gate)
    with pytest.raises(ValueError, match="record_id"):
        to_stix(gate, record_id="note-1", created=datetime(2026, 11, 21, 12, 0))  # noqa: DTZ001
    location = to_stix(gate, record_id="note-1", created=AT)
    assert location["type"] == "location"
    assert (location["latitude"], location["longitude"]) == (37.95, -121.29)
    assert location["name"] == "Harbour Point Mall"
    assert location["created"] == location["modified"] == "2026-11-21T12:00:00.000Z"
    assert to_stix(gate, record_id="note-1", created=AT) == location


def test_one_description_in_two_records_is_two_stix_objects() -> None:
    suspect = normalize(K.PERSON, {"sex": "male", "clothing": "grey hoodie"})
    first = to_stix(suspect, record_id="bolo-1", created=AT)
    again = to_stix(suspect, record_id="bolo-1", created=AT + timedelta(hours=1))
    other = to_stix(suspect, record_id="bolo-2", created=AT)
    assert first["type"] == "accord-person-description"
    assert first["id"] == again["id"]
    assert first["id"] != other["id"]
    assert first["clothing"] == "grey hoodie"


# Properties: generated spellings of generated things.

labels = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,12}[a-z0-9])?", fullmatch=True).filter(
    lambda label: label[2:4] != "--"
)
unicode_labels = st.text(alphabet="abcdeäöüßéñçøåж", min_size=1, max_size=10)
domains = st.builds(
    lambda parts, tld: ".".join([*parts, tld]),
    st.lists(labels | unicode_labels, min_size=1, max_size=3),
    st.sampled_from(["example", "com", "org", "test", "xn--p1ai"]),
)


def messy_case(text: str, data: st.DataObject) -> str:
    flags = data.draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.upper() if f else c for c, f in zip(text, flags, strict=True))


def spelled(kind: ObservableKind, data: st.DataObject) -> Any:
    """A raw spelling of a generated observable of `kind`, as a person or a feed might give it."""
    if kind in {K.IPV4, K.IPV6}:
        address = data.draw(st.ip_addresses(v=4 if kind is K.IPV4 else 6))
        text = address.exploded if data.draw(st.booleans()) else address.compressed
        return messy_case(text, data)
    if kind is K.DOMAIN:
        return messy_case(data.draw(domains), data) + data.draw(st.sampled_from(["", "."]))
    if kind is K.EMAIL:
        local = data.draw(
            st.from_regex(r"[a-z0-9_+-]{1,8}(\.[a-z0-9_+-]{1,8}){0,2}", fullmatch=True)
        )
        return messy_case(f"{local}@{data.draw(domains)}", data)
    if kind is K.URL:
        path = data.draw(st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=20))
        port = data.draw(st.sampled_from(["", ":80", ":443", ":8080", ":00080"]))
        scheme = data.draw(st.sampled_from(["http", "HTTPS", "hxxp", "ftp"]))
        return f"{scheme}://{messy_case(data.draw(domains), data)}{port}/{path}"
    if kind in {K.MD5, K.SHA1, K.SHA256}:
        algorithm = {K.MD5: hashlib.md5, K.SHA1: hashlib.sha1, K.SHA256: hashlib.sha256}[kind]
        digest = algorithm(data.draw(st.binary()), usedforsecurity=False).hexdigest()
        return messy_case(digest, data)
    if kind is K.PHONE:
        area = data.draw(st.sampled_from(["209", "213", "415", "510", "559", "916"]))
        line = f"01{data.draw(st.integers(0, 99)):02d}"
        layout = data.draw(st.sampled_from(["({a}) 555-{l}", "{a}.555.{l}", "+1 {a} 555 {l}"]))
        return layout.format(a=area, l=line)
    if kind is K.VEHICLE:
        plate = data.draw(st.from_regex(r"[A-Z0-9]{1,8}", fullmatch=True))
        junk = data.draw(st.lists(st.sampled_from([" ", "-", "."]), max_size=len(plate)))
        noisy = "".join(c + j for c, j in zip(plate, [*junk, *[""] * len(plate)], strict=False))
        state = data.draw(st.sampled_from(["CA", "ca", "Nevada", "OR", "British Columbia"]))
        colour = data.draw(st.sampled_from(["", "white", "Dark  Blue"]))
        return {"plate": messy_case(noisy.lower(), data), "state": state, "colour": colour}
    if kind is K.PLACE:
        latitude = data.draw(st.floats(-90, 90))
        longitude = data.draw(st.floats(-180, 180))
        label = data.draw(st.sampled_from([None, "Harbour Point Mall", "Gate (north) 3"]))
        return {"latitude": latitude, "longitude": longitude, "label": label}
    descriptors = {
        "sex": st.sampled_from(["f", "Male", "woman"]),
        "age": st.sampled_from(["35", "30-40", "20s", 52]),
        "height": st.sampled_from(["178 cm", "5'10\"", "1.6 m - 1.7 m"]),
        "hair": st.sampled_from(["Short  brown", "bald"]),
        "clothing": st.lists(st.sampled_from(["Red jacket", "blue jeans; cap"]), max_size=3),
    }
    chosen = data.draw(st.lists(st.sampled_from(sorted(descriptors)), min_size=1, unique=True))
    description = {name: data.draw(descriptors[name]) for name in chosen}
    return description if any(description.values()) else {"sex": "f"}


@settings(max_examples=400)
@given(kind=st.sampled_from(list(ObservableKind)), data=st.data())
def test_normalizing_a_value_or_its_display_gives_the_same_value(
    kind: ObservableKind, data: st.DataObject
) -> None:
    observable = normalize(kind, spelled(kind, data))
    if observable.value is None:
        assert kind is K.PERSON
    else:
        again = normalize(observable.kind, observable.value)
        assert (again.kind, again.value) == (observable.kind, observable.value)
        shown = normalize(observable.kind, observable.display)
        assert (shown.kind, shown.value) == (observable.kind, observable.value)
    if observable.attributes and kind is not K.PHONE:
        assert normalize(kind, dict(observable.attributes)) == observable


@settings(max_examples=300)
@given(kind=st.sampled_from(list(ObservableKind)), raw=st.text(max_size=40))
def test_any_text_is_an_observable_that_stays_put_or_refused(
    kind: ObservableKind, raw: str
) -> None:
    try:
        observable = normalize(kind, raw)
    except InvalidObservable as refused:
        refused_as = refused.kind
    else:
        assert observable.value is not None
        assert normalize(observable.kind, observable.value).value == observable.value
        refused_as = kind
    assert refused_as == kind


@given(
    plate=st.from_regex(r"[A-Z0-9]{1,8}", fullmatch=True),
    spaces=st.lists(st.sampled_from([" ", "-", " - "]), min_size=1, max_size=3),
)
def test_spaces_and_dashes_in_a_plate_change_nothing(plate: str, spaces: list[str]) -> None:
    cut = len(plate) // 2
    spelled_out = plate[:cut] + "".join(spaces) + plate[cut:].lower()
    assert normalize(K.VEHICLE, f"{spelled_out} (CA)").value == f"CA:{plate}"
