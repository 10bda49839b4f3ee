"""/api/v1/groups over HTTP: creating a group, its members and its coordinator."""

from __future__ import annotations

import uuid

from starlette.testclient import TestClient
from tests.http.orgs.conftest import Auth, World, assert_problem


def make_group(client: TestClient, auth: Auth) -> dict[str, object]:
    response = client.post(
        "/api/v1/groups",
        json={"name": "Downtown Retail Security Council"},
        headers=auth("mall_admin"),
    )
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/api/v1/groups/{response.json()['id']}"
    group: dict[str, object] = response.json()
    return group


def test_creating_a_group(client: TestClient, world: World, auth: Auth) -> None:
    group = make_group(client, auth)
    assert group["coordinator_id"] == str(world.people["mall_admin"].id)
    assert [m["name"] for m in group["members"]] == ["Harbour Point Mall Security"]  # type: ignore[attr-defined]
    listed = client.get("/api/v1/groups", headers=auth("analyst")).json()
    assert [g["name"] for g in listed["items"]] == ["Downtown Retail Security Council"]
    detail = client.get(f"/api/v1/groups/{group['id']}", headers=auth("analyst"))
    assert detail.json() == group


def test_group_problems(client: TestClient, world: World, auth: Auth) -> None:
    assert_problem(client.post("/api/v1/groups", json={"name": "x"}, headers=auth("analyst")), 403)
    body = {"name": "x", "members": []}
    assert_problem(client.post("/api/v1/groups", json=body, headers=auth("mall_admin")), 422)
    make_group(client, auth)
    again = {"name": "downtown retail security council"}
    assert_problem(client.post("/api/v1/groups", json=again, headers=auth("org_admin")), 409)
    assert_problem(client.get(f"/api/v1/groups/{uuid.uuid4()}", headers=auth("analyst")), 404)


def test_members_and_coordinator(client: TestClient, world: World, auth: Auth) -> None:
    group = make_group(client, auth)
    members = f"/api/v1/groups/{group['id']}/members"
    police = {"org_id": str(world.police.id)}
    assert_problem(client.post(members, json=police, headers=auth("org_admin")), 403)
    added = client.post(members, json=police, headers=auth("mall_admin"))
    assert added.status_code == 201, added.text
    assert len(added.json()["members"]) == 2
    assert_problem(client.post(members, json=police, headers=auth("mall_admin")), 409)
    pending = {"org_id": str(world.pending.id)}
    assert_problem(client.post(members, json=pending, headers=auth("mall_admin")), 409)
    handover = {"coordinator_id": str(world.people["org_admin"].id)}
    url = f"/api/v1/groups/{group['id']}"
    assert_problem(
        client.patch(url, json={"coordinator_id": None}, headers=auth("mall_admin")), 422
    )
    moved = client.patch(url, json=handover, headers=auth("mall_admin"))
    assert moved.status_code == 200, moved.text
    assert moved.json()["coordinator_id"] == handover["coordinator_id"]
    mall = f"{members}/{world.mall.id}"
    assert_problem(client.delete(mall, headers=auth("mall_admin")), 403)
    removed = client.delete(mall, headers=auth("org_admin"))
    assert removed.status_code == 200, removed.text
    assert [m["name"] for m in removed.json()["members"]] == ["Port City Police Department"]
    assert_problem(client.delete(mall, headers=auth("org_admin")), 404)


def test_unvetted_members_see_only_their_groups(
    client: TestClient, world: World, auth: Auth
) -> None:
    group = make_group(client, auth)
    headers = auth("pending_admin")
    assert client.get("/api/v1/groups", headers=headers).json()["items"] == []
    assert_problem(client.get(f"/api/v1/groups/{group['id']}", headers=headers), 404)
