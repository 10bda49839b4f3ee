"""The audit API over HTTP: public heads, key and proofs; entries only for administrators."""

from __future__ import annotations

import base64
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning
from tests.conftest import MutableClock
from tests.factories import make_org, make_person, token_for

from accord.app import create_app
from accord.core import merkle
from accord.core.audit.signing import parse_time, verify_tree_head_signature
from accord.core.db import Database
from accord.orgs.domain import Role
from accord.orgs.models import Organization
from accord.settings import Settings

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 and warns (an error here) when it finds httpx; same client.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient


@pytest.fixture
def client(settings: Settings, db: Database, clock: MutableClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, db=db, clock=clock)) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def auditor(db: Database, org: Organization, role: Role) -> dict[str, str]:
    person = make_person(db, org, role=role)
    return bearer(token_for(db, person, scopes=("audit:read",)))


def assert_signed(head: dict[str, Any], public_key_pem: str) -> None:
    assert verify_tree_head_signature(
        public_key_pem,
        head["size"],
        parse_time(head["timestamp"]),
        bytes.fromhex(head["root_hash"]),
        base64.b64decode(head["signature"]),
    )


def test_the_empty_log_has_a_signed_head_of_the_empty_tree(client: TestClient) -> None:
    head = client.get("/api/v1/audit/tree-head").json()
    key = client.get("/api/v1/audit/public-key").json()
    assert head["size"] == 0
    assert head["root_hash"] == merkle.EMPTY_ROOT.hex()
    assert head["key_id"] == key["key_id"]
    assert head["format"] == "accord-audit-tree-head/v1"
    assert_signed(head, key["public_key_pem"])


def test_the_tree_head_and_key_are_public_and_verify(client: TestClient, db: Database) -> None:
    make_org(db)  # records org.created and org.vetting.changed
    response = client.get("/api/v1/audit/tree-head")
    assert response.status_code == 200
    head = response.json()
    key = client.get("/api/v1/audit/public-key").json()
    assert key["algorithm"] == "Ed25519"
    assert head["size"] >= 2
    assert_signed(head, key["public_key_pem"])
    same = client.get(f"/api/v1/audit/tree-heads/{head['size']}").json()
    assert same == head


def test_inclusion_and_consistency_proofs_verify_against_signed_heads(
    client: TestClient, db: Database
) -> None:
    for _ in range(3):
        make_org(db)
    size = client.get("/api/v1/audit/tree-head").json()["size"]
    first = client.get("/api/v1/audit/tree-heads/2").json()
    latest = client.get(f"/api/v1/audit/tree-heads/{size}").json()
    for seq in range(size):
        proof = client.get("/api/v1/audit/proofs/inclusion", params={"seq": seq}).json()
        assert proof["tree_size"] == size
        assert proof["root_hash"] == latest["root_hash"]
        assert merkle.verify_inclusion(
            seq,
            size,
            bytes.fromhex(proof["leaf_hash"]),
            [bytes.fromhex(h) for h in proof["audit_path"]],
            bytes.fromhex(latest["root_hash"]),
        )
    proof = client.get(
        "/api/v1/audit/proofs/consistency", params={"first": 2, "second": size}
    ).json()
    assert merkle.verify_consistency(
        2,
        size,
        bytes.fromhex(first["root_hash"]),
        bytes.fromhex(latest["root_hash"]),
        [bytes.fromhex(h) for h in proof["proof"]],
    )


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/api/v1/audit/proofs/inclusion", {"seq": -1, "tree_size": 2}, 422),
        ("/api/v1/audit/proofs/inclusion", {"seq": 2, "tree_size": 2}, 422),
        ("/api/v1/audit/proofs/inclusion", {"seq": "x"}, 422),
        ("/api/v1/audit/proofs/inclusion", {"seq": 0, "tree_size": 999}, 404),
        ("/api/v1/audit/proofs/consistency", {"first": 0, "second": 2}, 422),
        ("/api/v1/audit/proofs/consistency", {"first": 3, "second": 2}, 422),
        ("/api/v1/audit/proofs/consistency", {"first": 1, "second": 999}, 404),
        ("/api/v1/audit/tree-heads/999", {}, 404),
        ("/api/v1/audit/tree-heads/0", {}, 422),
    ],
)
def test_impossible_proof_requests_are_problems(
    client: TestClient, db: Database, path: str, params: dict[str, Any], status: int
) -> None:
    make_org(db)
    response = client.get(path, params=params)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == status


def test_platform_admins_read_every_entry_newest_first(client: TestClient, db: Database) -> None:
    police, fire = make_org(db), make_org(db)
    headers = auditor(db, police, Role.PLATFORM_ADMIN)
    body = client.get("/api/v1/audit/entries", headers=headers).json()
    orgs = {item["org_id"] for item in body["items"]}
    assert {str(police.id), str(fire.id)} <= orgs
    seqs = [item["seq"] for item in body["items"]]
    assert seqs == sorted(seqs, reverse=True)
    assert body["limit"] == 50


def test_organization_admins_read_only_their_organizations_entries(
    client: TestClient, db: Database
) -> None:
    police, fire = make_org(db), make_org(db)
    headers = auditor(db, police, Role.ORG_ADMIN)
    items = client.get("/api/v1/audit/entries", headers=headers).json()["items"]
    assert items
    assert {item["org_id"] for item in items} == {str(police.id)}
    hidden = client.get(
        "/api/v1/audit/entries", params={"limit": 200}, headers=auditor(db, fire, Role.ORG_ADMIN)
    ).json()["items"]
    for item in hidden:
        response = client.get(f"/api/v1/audit/entries/{item['seq']}", headers=headers)
        assert response.status_code == 404
    own = client.get(f"/api/v1/audit/entries/{items[0]['seq']}", headers=headers)
    assert own.status_code == 200
    assert own.json() == items[0]


def test_entries_filter_by_action_actor_and_target(client: TestClient, db: Database) -> None:
    police = make_org(db)
    headers = auditor(db, police, Role.PLATFORM_ADMIN)

    def actions(**params: Any) -> list[str]:
        body = client.get("/api/v1/audit/entries", params=params, headers=headers).json()
        return [item["action"] for item in body["items"]]

    assert set(actions(action="org")) == {"org.created", "org.vetting.changed"}
    assert actions(action="org.vetting") == ["org.vetting.changed"]
    assert actions(target_type="organization", target_id=str(police.id))
    assert actions(actor_id="00000000-0000-0000-0000-000000000000") == []


def test_entries_page_with_a_cursor(client: TestClient, db: Database) -> None:
    police = make_org(db)
    make_org(db)
    headers = auditor(db, police, Role.PLATFORM_ADMIN)
    first = client.get("/api/v1/audit/entries", params={"limit": 2}, headers=headers).json()
    assert len(first["items"]) == 2
    assert first["next_cursor"]
    second = client.get(
        "/api/v1/audit/entries",
        params={"limit": 2, "cursor": first["next_cursor"]},
        headers=headers,
    ).json()
    assert second["items"][0]["seq"] < first["items"][-1]["seq"]
    bad = client.get("/api/v1/audit/entries", params={"cursor": "garbage"}, headers=headers)
    assert bad.status_code == 422


@pytest.mark.parametrize("role", [Role.ANALYST, Role.DISPATCHER, Role.VIEWER])
def test_other_roles_may_not_read_entries(client: TestClient, db: Database, role: Role) -> None:
    org = make_org(db)
    person = make_person(db, org, role=role)
    scopes = ("audit:read",) if role is not Role.VIEWER else ()
    headers = bearer(token_for(db, person, scopes=scopes)) if scopes else {}
    response = client.get("/api/v1/audit/entries", headers=headers)
    assert response.status_code == (403 if scopes else 401)
    response = client.get("/api/v1/audit/entries/0", headers=headers)
    assert response.status_code == (403 if scopes else 401)


def test_anonymous_callers_may_not_read_entries(client: TestClient, db: Database) -> None:
    make_org(db)
    assert client.get("/api/v1/audit/entries").status_code == 401
    assert client.get("/api/v1/audit/entries/0").status_code == 401


def test_a_token_without_the_audit_scope_is_refused(client: TestClient, db: Database) -> None:
    org = make_org(db)
    person = make_person(db, org, role=Role.PLATFORM_ADMIN)
    headers = bearer(token_for(db, person, scopes=("orgs:read",)))
    response = client.get("/api/v1/audit/entries", headers=headers)
    assert response.status_code == 403
