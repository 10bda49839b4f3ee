"""/api/v1/orgs over HTTP: the directory, creating, editing and vetting organizations."""

from __future__ import annotations

import uuid

import pytest
from starlette.testclient import TestClient
from tests.http.orgs.conftest import Auth, World, assert_problem

SQUARE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
NEW_ORG = {"name": "Riverside Campus Security", "sector": "private", "kind": "campus"}


def test_the_directory_needs_credentials(client: TestClient, world: World) -> None:
    body = assert_problem(client.get("/api/v1/orgs"), 401)
    assert body["type"] == "urn:accord:problem:unauthorized"


def test_a_bad_token_is_unauthorized(client: TestClient, world: World) -> None:
    response = client.get("/api/v1/orgs", headers={"authorization": "Bearer acc_nope"})
    assert_problem(response, 401)


def test_the_directory_pages_by_name(client: TestClient, world: World, auth: Auth) -> None:
    headers = auth("analyst")
    first = client.get("/api/v1/orgs", params={"limit": 2}, headers=headers)
    assert first.status_code == 200
    page = first.json()
    assert set(page) == {"items", "next_cursor", "limit"}
    assert [o["name"] for o in page["items"]] == [
        "Bayside Alarm Monitoring",
        "Harbour Point Mall Security",
    ]
    rest = client.get(
        "/api/v1/orgs", params={"cursor": page["next_cursor"], "limit": 50}, headers=headers
    ).json()
    assert [o["name"] for o in rest["items"]] == [
        "Port City Fire Rescue",
        "Port City Partnership Office",
        "Port City Police Department",
    ]
    assert rest["next_cursor"] is None


def test_directory_filters(client: TestClient, world: World, auth: Auth) -> None:
    headers = auth("analyst")
    got = client.get("/api/v1/orgs", params={"sector": "private", "q": "MALL"}, headers=headers)
    assert [o["name"] for o in got.json()["items"]] == ["Harbour Point Mall Security"]
    pending = client.get("/api/v1/orgs", params={"vetting_state": "pending"}, headers=headers)
    assert [o["name"] for o in pending.json()["items"]] == ["Bayside Alarm Monitoring"]


@pytest.mark.parametrize(
    "params",
    [{"sector": "pirate"}, {"limit": "0"}, {"limit": "1000"}, {"cursor": "x" * 600}],
)
def test_bad_list_parameters_are_problems(
    client: TestClient, world: World, auth: Auth, params: dict[str, str]
) -> None:
    assert_problem(client.get("/api/v1/orgs", params=params, headers=auth("analyst")), 422)


def test_a_forged_cursor_is_a_problem(client: TestClient, world: World, auth: Auth) -> None:
    response = client.get("/api/v1/orgs", params={"cursor": "bm9wZQ"}, headers=auth("analyst"))
    assert_problem(response, 422)


def test_an_unvetted_member_sees_only_their_own_organization(
    client: TestClient, world: World, auth: Auth
) -> None:
    headers = auth("pending_admin")
    listed = client.get("/api/v1/orgs", headers=headers).json()["items"]
    assert [o["name"] for o in listed] == ["Bayside Alarm Monitoring"]
    assert_problem(client.get(f"/api/v1/orgs/{world.police.id}", headers=headers), 404)


def test_detail_and_unknown_ids(client: TestClient, world: World, auth: Auth) -> None:
    headers = auth("analyst")
    got = client.get(f"/api/v1/orgs/{world.mall.id}", headers=headers)
    assert got.status_code == 200
    assert got.json()["vetting_state"] == "vetted"
    assert "vetting_reason" not in got.json()
    assert_problem(client.get(f"/api/v1/orgs/{uuid.uuid4()}", headers=headers), 404)
    assert_problem(client.get("/api/v1/orgs/not-a-uuid", headers=headers), 422)


def test_a_platform_admin_creates_an_organization(
    client: TestClient, world: World, auth: Auth
) -> None:
    body = {**NEW_ORG, "service_area": SQUARE, "capabilities": ["CCTV"]}
    body["contacts"] = [{"name": "Control room", "phone": "+1 503 555 0199"}]
    response = client.post("/api/v1/orgs", json=body, headers=auth("platform_admin"))
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == f"/api/v1/orgs/{created['id']}"
    assert created["vetting_state"] == "pending"
    assert created["capabilities"] == ["cctv"]
    assert created["contacts"][0]["title"] == ""
    again = client.get(response.headers["location"], headers=auth("platform_admin"))
    assert again.json() == created


@pytest.mark.parametrize("who", ["org_admin", "analyst"])
def test_others_may_not_create_organizations(
    client: TestClient, world: World, auth: Auth, who: str
) -> None:
    assert_problem(client.post("/api/v1/orgs", json=NEW_ORG, headers=auth(who)), 403)


@pytest.mark.parametrize(
    "body",
    [
        {**NEW_ORG, "vetting_state": "vetted"},
        {**NEW_ORG, "colour": "blue"},
        {**NEW_ORG, "kind": "navy"},
        {**NEW_ORG, "name": ""},
        {**NEW_ORG, "name": "x" * 201},
        {**NEW_ORG, "capabilities": "k9"},
        {**NEW_ORG, "contacts": [{"name": "A", "phone": "1", "fax": "2"}]},
        {**NEW_ORG, "service_area": {"type": "Point", "coordinates": [0, 0]}},
        {"name": "No sector"},
        [],
    ],
)
def test_bad_bodies_are_problems(
    client: TestClient, world: World, auth: Auth, body: object
) -> None:
    response = client.post("/api/v1/orgs", json=body, headers=auth("platform_admin"))
    problem = assert_problem(response, 422)
    assert problem["errors"]


def test_malformed_json_is_a_problem(client: TestClient, world: World, auth: Auth) -> None:
    headers = {**auth("platform_admin"), "content-type": "application/json"}
    assert_problem(client.post("/api/v1/orgs", content=b"{nope", headers=headers), 422)


def test_a_duplicate_name_conflicts(client: TestClient, world: World, auth: Auth) -> None:
    body = {**NEW_ORG, "name": "port city police department"}
    assert_problem(client.post("/api/v1/orgs", json=body, headers=auth("platform_admin")), 409)


def test_an_org_admin_edits_their_profile(client: TestClient, world: World, auth: Auth) -> None:
    change = {"description": "Sworn officers.", "service_area": SQUARE}
    response = client.patch(
        f"/api/v1/orgs/{world.police.id}", json=change, headers=auth("org_admin")
    )
    assert response.status_code == 200, response.text
    assert response.json()["description"] == "Sworn officers."
    assert response.json()["name"] == "Port City Police Department"


def test_profile_edits_are_checked(client: TestClient, world: World, auth: Auth) -> None:
    url = f"/api/v1/orgs/{world.police.id}"
    assert_problem(client.patch(url, json={"name": "x"}, headers=auth("analyst")), 403)
    assert_problem(client.patch(url, json={"name": "x"}, headers=auth("fire_admin")), 403)
    vetting = {"vetting_state": "vetted"}
    assert_problem(client.patch(url, json=vetting, headers=auth("org_admin")), 422)
    assert_problem(client.patch(url, json={"name": None}, headers=auth("org_admin")), 422)
    bad_area = {"service_area": {"type": "Polygon", "coordinates": [[[0, 0], [200, 0]]]}}
    problem = assert_problem(client.patch(url, json=bad_area, headers=auth("org_admin")), 422)
    assert problem["errors"] == [
        {"field": "service_area", "message": "coordinates are not those of a GeoJSON Polygon"}
    ]


def test_a_read_only_token_may_not_write(client: TestClient, world: World, auth: Auth) -> None:
    headers = auth("org_admin", scopes=("orgs:read",))
    response = client.patch(
        f"/api/v1/orgs/{world.police.id}", json={"description": "x"}, headers=headers
    )
    assert_problem(response, 403)


def test_vetting_through_the_api(client: TestClient, world: World, auth: Auth) -> None:
    url = f"/api/v1/orgs/{world.pending.id}/vetting"
    body = {"state": "vetted", "reason": "Licence checked"}
    assert_problem(client.post(url, json=body, headers=auth("org_admin")), 403)
    assert_problem(client.post(url, json={"state": "vetted"}, headers=auth("platform_admin")), 422)
    no_reason = {"state": "vetted", "reason": ""}
    assert_problem(client.post(url, json=no_reason, headers=auth("platform_admin")), 422)
    bad_state = {"state": "approved", "reason": "x"}
    assert_problem(client.post(url, json=bad_state, headers=auth("platform_admin")), 422)
    response = client.post(url, json=body, headers=auth("platform_admin"))
    assert response.status_code == 200, response.text
    assert response.json()["vetting_state"] == "vetted"
    assert_problem(client.post(url, json=body, headers=auth("platform_admin")), 409)
