"""CAP alerts of the demo world around Port City, and hypothesis strategies for any valid alert.

The story: Port City's Office of Emergency Services warns of seepage on the Delta Reach levee in
English and Spanish, updates the warning when crews reinforce it, and cancels it once the levee
holds. The strategies draw alerts that keep every CAP rule, so properties can hold `to_xml` and
`from_xml` to round trips and the OASIS schema to what they write.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from accord.alerts.cap import (
    Alert,
    Area,
    Category,
    Certainty,
    Circle,
    EventCode,
    Geocode,
    Info,
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

PORT_CITY = (37.95, -121.29)
PST = timezone(timedelta(hours=-8))
SENT = datetime(2026, 11, 21, 6, 45, tzinfo=PST)
OES = "oes@portcity.example"
# The Delta Reach levee, west of downtown: a closed ring of (lat, lon) points.
LEVEE_RING = (
    (37.962, -121.318),
    (37.962, -121.296),
    (37.944, -121.296),
    (37.944, -121.318),
    (37.962, -121.318),
)
LEVEE_AREA = Area(
    area_desc="Delta Reach levee and the streets within 2 km of it, Port City",
    polygons=(Polygon(LEVEE_RING),),
    circles=(Circle(37.953, -121.307, 2.0),),
    geocodes=(Geocode("SAME", "006077"),),
)
ZONA_DEL_DIQUE = replace(LEVEE_AREA, area_desc="Dique Delta Reach y calles a 2 km, Port City")


def levee_warning() -> Alert:
    """The public warning, in English and Spanish, that the Delta Reach levee is seeping."""
    english = Info(
        language="en-US",
        categories=(Category.GEO, Category.SAFETY),
        event="Levee seepage",
        response_types=(ResponseType.PREPARE, ResponseType.MONITOR),
        urgency=Urgency.EXPECTED,
        severity=Severity.SEVERE,
        certainty=Certainty.LIKELY,
        event_codes=(EventCode("SAME", "FLW"),),
        effective=SENT,
        expires=SENT + timedelta(hours=12),
        sender_name="Port City Office of Emergency Services",
        headline="Seepage on the Delta Reach levee: be ready to leave",
        description="Crews found water seeping through the Delta Reach levee near Harbour Point.",
        instruction="Pack what you need for two days. Follow official alerts for evacuation.",
        web="https://portcity.example/alerts/levee",
        contact="Port City OES, (209) 555-0100",
        parameters=(Parameter("LeveeGauge", "7.9 ft"),),
        areas=(LEVEE_AREA,),
    )
    spanish = replace(
        english,
        language="es-US",
        event="Filtración en el dique",
        headline="Filtración en el dique Delta Reach: prepárese para salir",
        description="Cuadrillas encontraron filtración de agua en el dique cerca de Harbour Point.",
        instruction="Prepare lo necesario para dos días. Siga las alertas oficiales.",
        web="https://portcity.example/es/alertas/dique",
        areas=(ZONA_DEL_DIQUE,),
    )
    return Alert(
        identifier="PCOES-2026-0042",
        sender=OES,
        sent=SENT,
        status=Status.ACTUAL,
        msg_type=MsgType.ALERT,
        scope=Scope.PUBLIC,
        incidents=("DELTA-REACH-LEVEE",),
        infos=(english, spanish),
    )


def levee_update(earlier: Alert) -> Alert:
    """The warning raised to an evacuation order for the streets nearest the levee."""
    sent = earlier.sent + timedelta(hours=2)
    infos = tuple(
        replace(
            info,
            response_types=(ResponseType.EVACUATE,),
            urgency=Urgency.IMMEDIATE,
            certainty=Certainty.OBSERVED,
            effective=sent,
            expires=sent + timedelta(hours=10),
        )
        for info in earlier.infos
    )
    return replace(
        earlier,
        identifier="PCOES-2026-0043",
        sent=sent,
        msg_type=MsgType.UPDATE,
        references=(earlier.reference(),),
        infos=infos,
    )


def levee_cancel(*earlier: Alert) -> Alert:
    """The all-clear: the levee holds, and the earlier messages are withdrawn."""
    last = earlier[-1]
    return Alert(
        identifier="PCOES-2026-0044",
        sender=OES,
        sent=last.sent + timedelta(hours=20),
        status=Status.ACTUAL,
        msg_type=MsgType.CANCEL,
        scope=Scope.PUBLIC,
        note="The Delta Reach levee holds; crews finished the repair.",
        references=tuple(alert.reference() for alert in earlier),
        incidents=("DELTA-REACH-LEVEE",),
    )


# Strategies. Text draws from every character XML can carry; tokens leave out what CAP forbids.
XML_CHARACTERS = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Cn")) | (
    st.sampled_from("\t\n\r")
)
texts = st.text(XML_CHARACTERS, min_size=1, max_size=30)
required_texts = texts.filter(str.strip)
optional_texts = st.none() | texts
tokens = st.text(
    st.characters(
        codec="utf-8", exclude_categories=("Cc", "Cs", "Cn", "Z"), exclude_characters=",<&"
    ),
    min_size=1,
    max_size=24,
).filter(lambda token: not re.search(r"[\s,<&]", token))
list_values = st.text(XML_CHARACTERS.filter(lambda c: c != '"'), min_size=1, max_size=16).filter(
    str.strip
)
ZONES = (
    UTC,
    PST,
    ZoneInfo("America/Los_Angeles"),
    timezone(timedelta(hours=5, minutes=45)),
    timezone(timedelta(hours=-3, seconds=30)),  # not whole minutes: written in UTC
    timezone(timedelta(hours=16)),  # past xs:dateTime's fourteen hours: written in UTC
)
# hypothesis bounds aware datetimes with naive ones, then adds a zone it draws.
EARLIEST, LATEST = datetime(2000, 1, 1), datetime(2099, 12, 31)  # noqa: DTZ001
moments = st.datetimes(min_value=EARLIEST, max_value=LATEST, timezones=st.sampled_from(ZONES))
later = st.integers(min_value=1, max_value=10**7).map(lambda seconds: timedelta(seconds=seconds))
MIME_TYPES = ["image/png", "application/pdf", "text/plain; charset=utf-8"]
languages = st.sampled_from(["en-US", "es-US"]) | st.from_regex(
    r"\A[a-z]{2,3}(-[A-Za-z0-9]{2,8})?\Z"
)
web_addresses = st.sampled_from(
    ["https://portcity.example/alerts/42", "http://oes.portcity.example/a?b=1&c=%20#top"]
)


@st.composite
def polygons(draw: st.DrawFn) -> Polygon:
    """A ring around a point near Port City, star-shaped about it so it never crosses itself."""
    lat = draw(st.floats(37.5, 38.4))
    lon = draw(st.floats(-121.8, -120.8))
    # No gap between directions reaches 180°, so the centre is inside the ring.
    angles = sorted({0, 120, 240} | draw(st.sets(st.sampled_from(range(0, 360, 30)), max_size=6)))
    radii = draw(st.lists(st.floats(0.005, 0.3), min_size=len(angles), max_size=len(angles)))
    ring = [
        (lat + radius * math.sin(math.radians(angle)), lon + radius * math.cos(math.radians(angle)))
        for angle, radius in zip(angles, radii, strict=True)
    ]
    return Polygon((*ring, ring[0]))


circles = st.builds(
    Circle,
    st.floats(-90, 90),
    st.floats(-180, 180),
    st.floats(min_value=0, max_value=20_000, exclude_min=True),
)


def named(kind: type[Geocode] | type[Parameter] | type[EventCode]) -> st.SearchStrategy:
    return st.builds(kind, required_texts, st.text(XML_CHARACTERS, max_size=16))


@st.composite
def heights(draw: st.DrawFn) -> dict[str, float]:
    altitude = draw(st.none() | st.floats(0, 60_000))
    if altitude is None:
        return {}
    ceiling = draw(st.none() | st.floats(altitude, 60_000))
    return {"altitude": altitude} if ceiling is None else {"altitude": altitude, "ceiling": ceiling}


@st.composite
def areas(draw: st.DrawFn) -> Area:
    return Area(
        area_desc=draw(required_texts),
        polygons=tuple(draw(st.lists(polygons(), max_size=2))),
        circles=tuple(draw(st.lists(circles, max_size=2))),
        geocodes=tuple(draw(st.lists(named(Geocode), max_size=2))),
        **draw(heights()),
    )


@st.composite
def resources(draw: st.DrawFn) -> Resource:
    content = draw(st.binary(min_size=1, max_size=48))
    carried = draw(st.booleans())
    return Resource(
        resource_desc=draw(required_texts),
        mime_type=draw(
            st.sampled_from(["image/png", "application/pdf", "text/plain; charset=utf-8"])
        ),
        size=draw(st.none() | st.just(len(content))),
        uri="levee-map.png" if carried else "https://portcity.example/files/levee-map.png",
        deref_uri=base64.b64encode(content).decode("ascii") if carried else None,
        digest=draw(st.none() | st.just(hashlib.sha1(content).hexdigest())),  # noqa: S324 - CAP 1.2 §3.2.3 names SHA-1
    )


@st.composite
def infos(draw: st.DrawFn, sent: datetime) -> Info:
    effective = draw(st.none() | moments)
    start = sent if effective is None else effective
    expires = draw(st.none() | later.map(lambda delta: start + delta))
    return Info(
        language=draw(
            st.sampled_from(["en-US", "es-US"])
            | st.from_regex(r"\A[a-z]{2,3}(-[A-Za-z0-9]{2,8})?\Z")
        ),
        categories=tuple(draw(st.lists(st.sampled_from(Category), min_size=1, max_size=3))),
        event=draw(required_texts),
        response_types=tuple(draw(st.lists(st.sampled_from(ResponseType), max_size=2))),
        urgency=draw(st.sampled_from(Urgency)),
        severity=draw(st.sampled_from(Severity)),
        certainty=draw(st.sampled_from(Certainty)),
        audience=draw(optional_texts),
        event_codes=tuple(draw(st.lists(named(EventCode), max_size=2))),
        effective=effective,
        onset=draw(st.none() | moments),
        expires=expires,
        sender_name=draw(optional_texts),
        headline=draw(optional_texts),
        description=draw(optional_texts),
        instruction=draw(optional_texts),
        web=draw(st.none() | web_addresses),
        contact=draw(optional_texts),
        parameters=tuple(draw(st.lists(named(Parameter), max_size=2))),
        resources=tuple(draw(st.lists(resources(), max_size=1))),
        areas=tuple(draw(st.lists(areas(), max_size=2))),
    )


@st.composite
def alerts(draw: st.DrawFn) -> Alert:
    """Any alert that keeps CAP 1.2's rules, with every optional part sometimes there."""
    sent = draw(moments)
    scope = draw(st.sampled_from(Scope))
    msg_type = draw(st.sampled_from(MsgType))
    references = draw(
        st.lists(st.builds(Reference, tokens, tokens, moments), max_size=2, min_size=0)
    )
    if msg_type is not MsgType.ALERT and not references:
        references = [Reference(OES, "PCOES-2026-0001", sent - timedelta(hours=1))]
    addresses = draw(st.lists(list_values, max_size=3))
    if scope is Scope.PRIVATE and not addresses:
        addresses = ["Port City PD"]
    restriction = draw(optional_texts)
    if scope is Scope.RESTRICTED and restriction is None:
        restriction = "Partners of the Port City mutual-aid agreement only"
    return Alert(
        identifier=draw(tokens),
        sender=draw(tokens),
        sent=sent,
        status=draw(st.sampled_from(Status)),
        msg_type=msg_type,
        source=draw(optional_texts),
        scope=scope,
        restriction=restriction,
        addresses=tuple(addresses),
        codes=tuple(draw(st.lists(required_texts, max_size=2))),
        note=draw(optional_texts),
        references=tuple(references),
        incidents=tuple(draw(st.lists(list_values, max_size=2))),
        infos=tuple(draw(st.lists(infos(sent), max_size=2))),
    )
