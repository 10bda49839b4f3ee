"""/api/v1/invitations over HTTP: inviting, listing, revoking, and accepting without signing in."""

from __future__ import annotations

import uuid

from starlette.testclient import TestClient
from tests.factories import DEFAULT_PASSWORD
from tests.http.orgs.conftest import Auth, World, assert_problem

INVITE = {"email": "New.Officer@PCPD.example", "role": "analyst", "display_name": "Nia"}


def invite(client: TestClient, world: World, auth: Auth, **extra: object) -> dict[str, object]:
    body = {**INVITE, "org_id": str(world.police.id), **extra}
    response = client.post("/api/v1/invitations", json=body, headers=auth("org_admin"))
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/api/v1/invitations/{response.json()['id']}"
    created: dict[str, object] = response.json()
    return created


def test_an_invitation_shows_its_link_once(client: TestClient, world: World, auth: Auth) -> None:
    created = invite(client, world, auth)
    assert created["state"] == "pending"
    assert created["email"] == "new.officer@pcpd.example"
    assert created["link"] == f"http://127.0.0.1:8000/invitations/{created['token']}"
    again = client.get(f"/api/v1/invitations/{created['id']}", headers=auth("org_admin")).json()
    assert "token" not in again
    assert "link" not in again
    assert "token_hash" not in again
    listed = client.get("/api/v1/invitations", headers=auth("org_admin")).json()
    assert [i["id"] for i in listed["items"]] == [created["id"]]
    assert (
        str(created["token"])
        not in client.get("/api/v1/invitations", headers=auth("org_admin")).text
    )


def test_who_may_invite(client: TestClient, world: World, auth: Auth) -> None:
    body = {**INVITE, "org_id": str(world.police.id)}
    assert_problem(client.post("/api/v1/invitations", json=body, headers=auth("analyst")), 403)
    assert_problem(client.post("/api/v1/invitations", json=body, headers=auth("fire_admin")), 403)
    pending_body = {**INVITE, "org_id": str(world.police.id)}
    response = client.post("/api/v1/invitations", json=pending_body, headers=auth("pending_admin"))
    assert_problem(response, 404)
    admin_role = {**body, "role": "platform_admin"}
    assert_problem(
        client.post("/api/v1/invitations", json=admin_role, headers=auth("org_admin")), 403
    )


def test_bad_invitations_are_problems(client: TestClient, world: World, auth: Auth) -> None:
    headers = auth("org_admin")
    org_id = str(world.police.id)
    for body in (
        {**INVITE, "org_id": org_id, "email": "not an address"},
        {**INVITE, "org_id": org_id, "role": "sheriff"},
        {**INVITE, "org_id": org_id, "secret": "x"},
        {**INVITE, "org_id": "nope"},
        {**INVITE},
    ):
        assert_problem(client.post("/api/v1/invitations", json=body, headers=headers), 422)
    unknown = {**INVITE, "org_id": str(uuid.uuid4())}
    assert_problem(client.post("/api/v1/invitations", json=unknown, headers=headers), 404)
    taken = {**INVITE, "org_id": org_id, "email": "analyst@pcpd.example"}
    assert_problem(client.post("/api/v1/invitations", json=taken, headers=headers), 409)


def test_accepting_needs_no_sign_in_and_works_once(
    client: TestClient, world: World, auth: Auth
) -> None:
    created = invite(client, world, auth)
    body = {"token": created["token"], "display_name": "Nia Officer", "password": DEFAULT_PASSWORD}
    response = client.post("/api/v1/invitations/accept", json=body)
    assert response.status_code == 201, response.text
    person = response.json()
    assert response.headers["location"] == f"/api/v1/people/{person['id']}"
    assert (person["email"], person["role"], person["org_id"]) == (
        "new.officer@pcpd.example",
        "analyst",
        str(world.police.id),
    )
    assert "password_hash" not in response.text
    problem = assert_problem(client.post("/api/v1/invitations/accept", json=body), 404)
    assert problem["reason"] == "accepted"
    state = client.get(f"/api/v1/invitations/{created['id']}", headers=auth("org_admin")).json()
    assert state["state"] == "accepted"


def test_accept_problems(client: TestClient, world: World, auth: Auth) -> None:
    created = invite(client, world, auth)
    weak = {"token": created["token"], "display_name": "Nia", "password": "password1"}
    problem = assert_problem(client.post("/api/v1/invitations/accept", json=weak), 422)
    assert problem["errors"][0]["field"] == "password"  # type: ignore[index]
    assert "password1" not in str(problem)
    unknown = {"token": "made-up", "display_name": "Nia", "password": DEFAULT_PASSWORD}
    assert (
        assert_problem(client.post("/api/v1/invitations/accept", json=unknown), 404)["detail"]
        == "This invitation link cannot be used."
    )
    extra = {**weak, "password": DEFAULT_PASSWORD, "role": "platform_admin"}
    assert_problem(client.post("/api/v1/invitations/accept", json=extra), 422)
    assert_problem(
        client.post(
            "/api/v1/invitations/accept", content=b"[", headers={"content-type": "application/json"}
        ),
        422,
    )


def test_revoking_stops_the_link(client: TestClient, world: World, auth: Auth) -> None:
    created = invite(client, world, auth)
    url = f"/api/v1/invitations/{created['id']}/revoke"
    assert_problem(client.post(url, headers=auth("fire_admin")), 404)
    response = client.post(url, headers=auth("org_admin"))
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "revoked"
    assert_problem(client.post(url, headers=auth("org_admin")), 409)
    body = {"token": created["token"], "display_name": "Nia", "password": DEFAULT_PASSWORD}
    problem = assert_problem(client.post("/api/v1/invitations/accept", json=body), 404)
    assert problem["reason"] == "revoked"


def test_listing_invitations_is_for_admins(client: TestClient, world: World, auth: Auth) -> None:
    assert_problem(client.get("/api/v1/invitations", headers=auth("analyst")), 403)
    params = {"org_id": str(world.police.id)}
    assert_problem(
        client.get("/api/v1/invitations", params=params, headers=auth("fire_admin")), 403
    )
    assert_problem(
        client.get(f"/api/v1/invitations/{uuid.uuid4()}", headers=auth("org_admin")), 404
    )
