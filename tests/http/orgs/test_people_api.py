"""/api/v1/people over HTTP: who sees whom, roles, CJI clearance, deactivation."""

from __future__ import annotations

import uuid

import pytest
from starlette.testclient import TestClient
from tests.http.orgs.conftest import Auth, World, assert_problem

SECRETS = ("password_hash", "totp_secret_enc", "totp_last_step", "token_hash")


def test_colleagues_see_names_and_roles_only(client: TestClient, world: World, auth: Auth) -> None:
    response = client.get("/api/v1/people", headers=auth("analyst"))
    assert response.status_code == 200
    items = response.json()["items"]
    assert [p["display_name"] for p in items] == ["Ana Lyst", "Olive Admin", "Vi"]
    olive = items[1]
    assert olive["role"] == "org_admin"
    assert olive["email"] is None
    assert olive["cji_cleared"] is None
    me = items[0]
    assert me["email"] == "analyst@pcpd.example"


def test_managers_see_account_details_and_never_secrets(
    client: TestClient, world: World, auth: Auth
) -> None:
    response = client.get("/api/v1/people", headers=auth("org_admin"))
    for person in response.json()["items"]:
        assert person["email"]
        assert person["mfa_enabled"] is False
        for secret in SECRETS:
            assert secret not in person
    for secret in SECRETS:
        assert secret not in response.text


def test_other_organizations_people_are_hidden(
    client: TestClient, world: World, auth: Auth
) -> None:
    headers = auth("analyst")
    others = client.get("/api/v1/people", params={"org_id": str(world.fire.id)}, headers=headers)
    assert others.json()["items"] == []
    chief = world.people["fire_admin"]
    assert_problem(client.get(f"/api/v1/people/{chief.id}", headers=headers), 404)
    assert_problem(client.get(f"/api/v1/people/{uuid.uuid4()}", headers=headers), 404)


def test_platform_admins_see_everyone(client: TestClient, world: World, auth: Auth) -> None:
    response = client.get("/api/v1/people", params={"limit": 200}, headers=auth("platform_admin"))
    assert len(response.json()["items"]) == len(world.people)
    chief = world.people["fire_admin"]
    detail = client.get(f"/api/v1/people/{chief.id}", headers=auth("platform_admin")).json()
    assert detail["email"] == "chief@pcfr.example"


def test_people_filters(client: TestClient, world: World, auth: Auth) -> None:
    headers = auth("org_admin")
    viewers = client.get("/api/v1/people", params={"role": "viewer"}, headers=headers).json()
    assert [p["display_name"] for p in viewers["items"]] == ["Vi"]
    assert_problem(client.get("/api/v1/people", params={"role": "boss"}, headers=headers), 422)
    assert_problem(client.get("/api/v1/people", params={"active": "maybe"}, headers=headers), 422)


def test_an_org_admin_changes_a_role(client: TestClient, world: World, auth: Auth) -> None:
    analyst = world.people["analyst"]
    url = f"/api/v1/people/{analyst.id}/role"
    response = client.post(url, json={"role": "dispatcher"}, headers=auth("org_admin"))
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "dispatcher"
    promote = {"role": "platform_admin"}
    assert_problem(client.post(url, json=promote, headers=auth("org_admin")), 403)
    assert_problem(client.post(url, json={"role": "viewer"}, headers=auth("viewer")), 403)
    assert_problem(client.post(url, json={"role": "viewer"}, headers=auth("fire_admin")), 404)
    assert_problem(client.post(url, json={"role": "chief"}, headers=auth("org_admin")), 422)
    extra = {"role": "viewer", "org_id": str(world.fire.id)}
    assert_problem(client.post(url, json=extra, headers=auth("org_admin")), 422)


def test_nobody_changes_their_own_role(client: TestClient, world: World, auth: Auth) -> None:
    admin = world.people["org_admin"]
    url = f"/api/v1/people/{admin.id}/role"
    assert_problem(client.post(url, json={"role": "analyst"}, headers=auth("org_admin")), 409)


def test_cji_clearance(client: TestClient, world: World, auth: Auth) -> None:
    analyst = world.people["analyst"]
    url = f"/api/v1/people/{analyst.id}/cji-clearance"
    response = client.post(url, json={"cji_cleared": True}, headers=auth("org_admin"))
    assert response.status_code == 200, response.text
    assert response.json()["cji_cleared"] is True
    assert_problem(
        client.post(url, json={"cji_cleared": "yes please"}, headers=auth("org_admin")), 422
    )


def test_deactivate_and_reactivate(client: TestClient, world: World, auth: Auth) -> None:
    viewer = world.people["viewer"]
    viewer_headers = auth("viewer")
    admin = auth("org_admin")
    done = client.post(f"/api/v1/people/{viewer.id}/deactivate", headers=admin)
    assert done.status_code == 200, done.text
    assert done.json()["active"] is False
    assert done.json()["deactivated_at"] is not None
    # The deactivated account's token stops working at once.
    assert_problem(client.get("/api/v1/people", headers=viewer_headers), 401)
    assert_problem(client.post(f"/api/v1/people/{viewer.id}/deactivate", headers=admin), 409)
    listed = client.get("/api/v1/people", params={"active": "false"}, headers=admin).json()
    assert [p["display_name"] for p in listed["items"]] == ["Vi"]
    back = client.post(f"/api/v1/people/{viewer.id}/reactivate", headers=admin)
    assert back.json()["active"] is True


@pytest.mark.parametrize("action", ["deactivate", "reactivate"])
def test_staff_may_not_deactivate(
    client: TestClient, world: World, auth: Auth, action: str
) -> None:
    viewer = world.people["viewer"]
    response = client.post(f"/api/v1/people/{viewer.id}/{action}", headers=auth("analyst"))
    assert_problem(response, 403)


def test_people_writes_need_the_people_write_scope(
    client: TestClient, world: World, auth: Auth
) -> None:
    viewer = world.people["viewer"]
    headers = auth("org_admin", scopes=("people:read", "orgs:write"))
    assert_problem(client.post(f"/api/v1/people/{viewer.id}/deactivate", headers=headers), 403)
