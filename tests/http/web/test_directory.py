"""The directory through the console: search, filters, pages, profiles, creation, edits, vetting."""

from __future__ import annotations

import json
import re

from tests.factories import make_org
from tests.http.web.conftest import SignIn, TestClient, World

from accord.core.db import Database
from accord.orgs.domain import OrgKind, Sector

AREA = {
    "type": "Polygon",
    "coordinates": [[[-122.42, 37.77], [-122.39, 37.77], [-122.40, 37.80], [-122.42, 37.77]]],
}


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-org="([^"]+)"', html)


def test_the_directory_searches_filters_and_pages_by_name(
    client: TestClient, world: World, sign_in: SignIn, db: Database
) -> None:
    for n in range(27):
        make_org(
            db, f"Dockside Guard Company {n:02d}", sector=Sector.PRIVATE, kind=OrgKind.GUARD_COMPANY
        )
    sign_in(world.people["analyst"])
    first = client.get("/orgs?q=dockside").text
    assert len(_rows(first)) == 25
    assert _rows(first)[0] == "Dockside Guard Company 00"
    next_url = re.search(r'href="([^"]+)" rel="next">Next page', first)
    assert next_url
    second = client.get(next_url.group(1).replace("&amp;", "&")).text
    assert _rows(second) == ["Dockside Guard Company 25", "Dockside Guard Company 26"]
    assert "Next page" not in second
    assert "First page" in second

    assert _rows(client.get("/orgs?sector=public").text) == [
        "Port City Partnership Office",
        "Port City Police Department",
    ]
    assert _rows(client.get("/orgs?vetting=pending").text) == ["Bayside Alarm Monitoring"]
    assert _rows(client.get("/orgs?kind=business").text) == ["Harbour Point Mall Security"]
    empty = client.get("/orgs?q=zzz-nothing")
    assert "No organization matches these filters." in empty.text


def test_a_platform_admin_creates_an_organization_that_starts_pending(
    client: TestClient, world: World, sign_in: SignIn
) -> None:
    csrf = sign_in(world.people["platform_admin"])
    refused = client.post(
        "/orgs/new", data={"csrf_token": csrf, "name": " ", "sector": "private", "kind": "campus"}
    )
    assert refused.status_code == 422
    assert 'role="alert"' in refused.text
    assert 'href="#name"' in refused.text
    assert 'aria-invalid="true"' in refused.text

    response = client.post(
        "/orgs/new",
        data={
            "csrf_token": csrf,
            "name": "Northgate Campus Security",
            "short_name": "Northgate",
            "sector": "private",
            "kind": "campus",
            "description": "Campus patrol and CCTV.",
        },
    )
    assert response.status_code == 303
    profile = client.get(response.headers["location"])
    assert "Organization created." in profile.text
    assert re.search(r'id="vetting-state">.*Pending', profile.text)
    duplicate = client.post(
        "/orgs/new",
        data={
            "csrf_token": csrf,
            "name": "Northgate Campus Security",
            "sector": "private",
            "kind": "campus",
        },
    )
    assert duplicate.status_code == 409
    assert "already exists" in duplicate.text


def test_vetting_needs_a_reason_and_lands_in_the_audit_log(
    client: TestClient, world: World, sign_in: SignIn
) -> None:
    csrf = sign_in(world.people["platform_admin"])
    url = f"/orgs/{world.pending.id}/vetting"
    refused = client.post(url, data={"csrf_token": csrf, "state": "vetted", "reason": "  "})
    assert refused.status_code == 422
    assert "Give a reason" in refused.text or "is required" in refused.text
    assert 'role="alert"' in refused.text

    done = client.post(
        url,
        data={
            "csrf_token": csrf,
            "state": "vetted",
            "reason": "Licence checked with the state board.",
        },
    )
    assert done.status_code == 303
    profile = client.get(done.headers["location"]).text
    assert "The vetting decision was recorded" in profile
    assert "Licence checked with the state board." in profile  # the history from the audit log
    assert "Bayside Alarm Monitoring" in client.get("/orgs?vetting=vetted").text
    audit = client.get("/audit?action=org.vetting").text
    assert "Licence checked with the state board." in audit


def test_an_org_admin_edits_contacts_capabilities_and_the_service_area(
    client: TestClient, world: World, sign_in: SignIn
) -> None:
    csrf = sign_in(world.people["org_admin"])
    url = f"/orgs/{world.police.id}/edit"
    form = client.get(url).text
    assert 'name="contact_name"' in form
    data = {
        "csrf_token": csrf,
        "name": "Port City Police Department",
        "short_name": "PCPD",
        "description": "Patrol and investigations for the port district.",
        "capabilities": "K9, drone\nmarine unit, k9",
        "service_area": json.dumps({"type": "Feature", "properties": {}, "geometry": AREA}),
        "contact_name": ["Duty Sergeant", ""],
        "contact_title": ["Watch commander", ""],
        "contact_phone": ["+1 555 0100", ""],
        "contact_email": ["", ""],
    }
    response = client.post(url, data=data)
    assert response.status_code == 303
    profile = client.get(response.headers["location"]).text
    assert "The organization&#39;s profile was saved." in profile
    assert "Duty Sergeant" in profile
    assert "<li>k9</li><li>drone</li><li>marine unit</li>" in profile
    assert re.search(r'<path class="area-shape" d="M[\d.]+,[\d.]+ L', profile)

    broken = client.post(url, data={**data, "service_area": "{not json"})
    assert broken.status_code == 422
    assert "is not valid GeoJSON text" in broken.text
    assert "{not json" in broken.text  # what was typed is kept
    no_way = client.post(
        url,
        data={
            **data,
            "contact_name": ["Nobody"],
            "contact_title": [""],
            "contact_phone": [""],
            "contact_email": [""],
        },
    )
    assert no_way.status_code == 422
    assert 'href="#contacts-0-name"' in no_way.text


def test_a_profile_shows_people_only_to_those_who_may_see_them(
    client: TestClient, world: World, sign_in: SignIn
) -> None:
    sign_in(world.people["mall_admin"])
    police = client.get(f"/orgs/{world.police.id}").text
    assert "Port City Police Department" in police
    assert "Dee Spatcher" not in police
    assert "Vetting and profile history" not in police
    sign_in(world.people["viewer"])
    own = client.get(f"/orgs/{world.police.id}").text
    assert "Dee Spatcher" in own
