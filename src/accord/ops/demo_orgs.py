"""The demo world's organizations: fictional names at real places around Port City, California."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from accord.orgs.domain import OrgKind, Sector

__all__ = ["DEMO_NAMESPACE", "DEMO_ORGS", "DemoOrganization", "demo_id", "org_by_key"]

# Every demo id is uuid5(DEMO_NAMESPACE, "<kind>:<natural key>"): the same on every machine.
DEMO_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://accord.example/demo-world")
# Metres per degree of latitude; a degree of longitude is this times cos(latitude).
METRES_PER_DEGREE = 111_320.0
Point = tuple[float, float]


def demo_id(kind: str, key: str) -> uuid.UUID:
    """The fixed id of the demo record of `kind` named `key` (a name or an e-mail address)."""
    return uuid.uuid5(DEMO_NAMESPACE, f"{kind}:{key.lower()}")


def _polygon(points: Sequence[Point]) -> dict[str, Any]:
    """A GeoJSON Polygon (RFC 7946 §3.1.6: lon/lat, closed, counter-clockwise outer ring)."""
    ring = [[round(lon, 5), round(lat, 5)] for lon, lat in points]
    ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [ring]}


def _box(lon: float, lat: float, width_m: float, height_m: float) -> dict[str, Any]:
    """A rectangle of real size centred on lon/lat."""
    half_lon = width_m / 2 / (METRES_PER_DEGREE * math.cos(math.radians(lat)))
    half_lat = height_m / 2 / METRES_PER_DEGREE
    return _polygon(
        [
            (lon - half_lon, lat - half_lat),
            (lon + half_lon, lat - half_lat),
            (lon + half_lon, lat + half_lat),
            (lon - half_lon, lat + half_lat),
        ]
    )


# Roughly the city limits of Stockton (Port City's real place), about 15 km by 17 km.
CITY = _polygon(
    [(-121.395, 37.935), (-121.370, 37.905), (-121.300, 37.895), (-121.240, 37.910),
     (-121.225, 37.960), (-121.235, 38.020), (-121.290, 38.050), (-121.360, 38.045),
     (-121.400, 38.000)]
)  # fmt: skip
# The city and the unincorporated fire district around it.
FIRE_DISTRICT = _polygon(
    [(-121.410, 37.930), (-121.380, 37.890), (-121.300, 37.880), (-121.225, 37.900),
     (-121.205, 37.960), (-121.220, 38.030), (-121.290, 38.065), (-121.370, 38.060),
     (-121.420, 38.005)]
)  # fmt: skip
# Roughly San Joaquin County (Delta County's real place): the Delta to the Sierra foothills.
COUNTY = _polygon(
    [(-121.580, 37.800), (-121.560, 37.540), (-121.470, 37.480), (-121.160, 37.640),
     (-120.920, 37.740), (-120.930, 38.080), (-121.030, 38.300), (-121.300, 38.260),
     (-121.500, 38.260), (-121.580, 38.100)]
)  # fmt: skip
# The fusion center's region: the northern San Joaquin Valley and the Sacramento area.
REGION = _polygon(
    [(-122.200, 37.800), (-121.600, 37.100), (-120.500, 36.900), (-119.900, 37.400),
     (-120.600, 38.950), (-122.400, 38.950)]
)  # fmt: skip


@dataclass(frozen=True)
class DemoOrganization:
    """One organization of the demo world; `key` is how personas and tests name it."""

    key: str
    name: str
    short_name: str
    sector: Sector
    kind: OrgKind
    domain: str
    description: str
    service_area: dict[str, Any]
    contacts: tuple[dict[str, str], ...]
    capabilities: tuple[str, ...]
    vetted: bool = True

    @property
    def id(self) -> uuid.UUID:
        return demo_id("organization", self.name)


def _desk(title: str, number: str, mailbox: str, domain: str) -> dict[str, str]:
    # NANP 555-0100..0199 numbers are reserved for fiction; 209 is the real area code.
    phone = f"+1 209 555 {number}"
    return {"name": title, "title": "", "phone": phone, "email": f"{mailbox}@{domain}"}


def _org(key: str, name: str, short: str, sector: Sector, kind: OrgKind, domain: str,
         description: str, area: dict[str, Any], desk: tuple[str, str, str],
         capabilities: tuple[str, ...], *, vetted: bool = True) -> DemoOrganization:  # fmt: skip
    contacts = (_desk(desk[0], desk[1], desk[2], domain),)
    return DemoOrganization(
        key, name, short, sector, kind, domain, description, area, contacts, capabilities, vetted
    )


DEMO_ORGS: tuple[DemoOrganization, ...] = (
    _org("oes", "Delta County Office of Emergency Services", "Delta County OES", Sector.PUBLIC,
         OrgKind.EMERGENCY_MANAGEMENT, "deltacounty-oes.example",
         "Runs the county emergency operations center and coordinates the partnership.",
         COUNTY, ("EOC duty officer", "0100", "eoc"),
         ("eoc", "mass_notification", "evacuation_planning", "exercise_design")),
    _org("police", "Port City Police Department", "PCPD", Sector.PUBLIC, OrgKind.POLICE,
         "portcitypd.example", "Municipal police for Port City: patrol, investigations, "
         "communications and the downtown business liaison unit.",
         CITY, ("Watch commander", "0101", "watch"),
         ("patrol", "k9", "swat", "drone", "licence_plate_readers", "crime_analysis")),
    _org("fire", "Port City Fire Department", "PCFD", Sector.PUBLIC, OrgKind.FIRE,
         "portcityfire.example", "Fire suppression, EMS first response, hazmat and technical "
         "rescue for the city and the surrounding fire district.",
         FIRE_DISTRICT, ("Battalion chief on duty", "0102", "duty"),
         ("fire_suppression", "ems", "hazmat", "technical_rescue", "water_rescue")),
    _org("fusion", "Central Valley Regional Fusion Center", "CVRFC", Sector.PUBLIC,
         OrgKind.FUSION_CENTER, "cvfusion.example",
         "Regional all-hazards fusion center: analysis, bulletins and SAR triage.",
         REGION, ("Watch desk", "0103", "watch"),
         ("intel_analysis", "sar_triage", "critical_infrastructure_liaison")),
    _org("sentinel", "Sentinel Patrol Services", "Sentinel", Sector.PRIVATE,
         OrgKind.GUARD_COMPANY, "sentinelpatrol.example",
         "Licensed guard company: mobile patrol and standing posts across the metro area.",
         _polygon([(-121.420, 37.780), (-121.180, 37.780), (-121.180, 38.150),
                   (-121.420, 38.150)]),
         ("Operations center", "0110", "ops"), ("mobile_patrol", "standing_posts", "cctv")),
    _org("harborline", "Harborline Security", "Harborline", Sector.PRIVATE,
         OrgKind.GUARD_COMPANY, "harborline.example",
         "Guard services for the port, the waterfront and downtown retail.",
         _polygon([(-121.355, 37.935), (-121.285, 37.935), (-121.285, 37.962),
                   (-121.355, 37.962)]),
         ("Dispatch", "0111", "dispatch"), ("standing_posts", "marine_patrol", "access_control")),
    _org("alarm", "Valley Alarm Monitoring Center", "Valley Alarm", Sector.PRIVATE,
         OrgKind.ALARM_MONITORING, "valleyalarm.example",
         "UL-listed central station monitoring intrusion, fire and panic alarms county-wide.",
         COUNTY, ("Central station", "0112", "central"),
         ("alarm_monitoring", "video_verification", "guard_dispatch")),
    _org("mall", "Delta Crossing Mall", "Delta Crossing", Sector.PRIVATE, OrgKind.BUSINESS,
         "deltacrossing.example", "Regional shopping mall on Pacific Avenue, 120 stores.",
         _box(-121.3125, 37.9915, 550, 450), ("Security office", "0120", "security"),
         ("cctv", "loss_prevention", "public_address")),
    _org("hospital", "Port City General Hospital", "PC General", Sector.NONPROFIT,
         OrgKind.HOSPITAL, "pcgeneral.example",
         "Level II trauma center with a helipad and a decontamination bay.",
         _box(-121.2830, 37.9700, 400, 350), ("Security dispatch", "0121", "security"),
         ("trauma_center", "decontamination", "cctv", "helipad")),
    _org("terminal", "Port City Terminal 4 — Harbor Logistics", "Terminal 4", Sector.PRIVATE,
         OrgKind.CRITICAL_INFRASTRUCTURE, "harborlogistics.example",
         "Bulk and break-bulk terminal on the deep-water channel (MTSA-regulated facility).",
         _box(-121.3230, 37.9470, 1400, 900), ("Facility security officer", "0122", "fso"),
         ("access_control", "cctv", "marine_patrol", "twic_escort")),
    _org("campus", "University of the Delta", "UDelta", Sector.NONPROFIT, OrgKind.CAMPUS,
         "udelta.example", "Private university; campus safety runs patrol and emergency alerts.",
         _box(-121.3125, 37.9790, 1100, 1000), ("Campus safety", "0123", "safety"),
         ("patrol", "cctv", "mass_notification", "access_control")),
    _org("hotel", "Delta Waterfront Hotel", "Waterfront Hotel", Sector.PRIVATE,
         OrgKind.BUSINESS, "deltawaterfronthotel.example",
         "Hotel and conference center at the downtown waterfront; applied to join.",
         _box(-121.2920, 37.9555, 200, 150), ("Front desk", "0130", "security"), ("cctv",),
         vetted=False),
    _org("events", "Ironclad Event Staffing", "Ironclad", Sector.PRIVATE,
         OrgKind.GUARD_COMPANY, "ironcladevents.example",
         "Crowd management for the arena and ballpark downtown; applied to join.",
         _box(-121.2925, 37.9545, 1500, 1000), ("Event desk", "0131", "events"),
         ("crowd_management", "standing_posts"), vetted=False),
)  # fmt: skip


def org_by_key(key: str) -> DemoOrganization:
    """The demo organization called `key` ("police", "mall", …)."""
    for org in DEMO_ORGS:
        if org.key == key:
            return org
    raise KeyError(key)
