"""/api/v1/agreements over HTTP: the lifecycle, who may know of an agreement, bad input."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient
from tests.agreements_factories import code_for, enrol_mfa, make_agreement
from tests.conftest import MutableClock
from tests.http.agreements.conftest import Auth, assert_problem
from tests.integration.agreements.conftest import World

from accord.core.db import Database
from accord.orgs.models import Person
from accord.settings import Settings

PDF = b"%PDF-1.4\n% Harbour district information-sharing agreement, signed\n%%EOF\n"


def _terms(clock: MutableClock, **changes: Any) -> dict[str, Any]:
    terms = {
        "covered": ["general", "personal_data"],
        "sensitive": ["personal_data"],
        "purposes": ["investigation", "crime_prevention"],
        "tlp_ceiling": "amber",
        "effective_at": clock().isoformat(),
        "expires_at": (clock() + timedelta(days=365)).isoformat(),
        "retention_days": 90,
        "onward_sharing": False,
        "liability_notes": "Each party answers for its own staff.",
        "jurisdiction_notes": "State of California.",
    }
    terms.update(changes)
    return terms


def _body(world: World, clock: MutableClock, **terms: Any) -> dict[str, Any]:
    return {
        "kind": "information_sharing",
        "title": "Harbour district information sharing",
        "parties": [str(world.police.id), str(world.guards.id)],
        "terms": _terms(clock, **terms),
    }


def _sign(
    client: TestClient,
    auth: Auth,
    db: Database,
    settings: Settings,
    person: Person,
    agreement_id: str,
    digest: str,
    clock: MutableClock,
) -> Any:
    secret = enrol_mfa(db, settings, person, clock())
    return client.post(
        f"/api/v1/agreements/{agreement_id}/sign",
        json={"digest": digest, "totp": code_for(secret, clock()), "version": 1},
        headers=auth(person),
    )


def test_an_agreement_is_drafted_proposed_signed_and_enforced_over_the_api(
    client: TestClient,
    auth: Auth,
    db: Database,
    settings: Settings,
    clock: MutableClock,
    world: World,
) -> None:
    coordinator = auth(world.coordinator)
    created = client.post("/api/v1/agreements", json=_body(world, clock), headers=coordinator)
    assert created.status_code == 201, created.text
    agreement = created.json()
    assert created.headers["location"] == f"/api/v1/agreements/{agreement['id']}"
    assert agreement["status"] == "draft"
    assert agreement["pending"]["state"] == "draft"
    url = created.headers["location"]

    proposed = client.post(f"{url}/propose", headers=coordinator).json()
    digest = proposed["pending"]["proposed_digest"]
    assert proposed["status"] == "proposed"
    assert len(digest) == 64

    first = _sign(client, auth, db, settings, world.police_admin, agreement["id"], digest, clock)
    assert first.status_code == 200, first.text
    assert first.json()["in_force"] is False
    second = _sign(client, auth, db, settings, world.guards_admin, agreement["id"], digest, clock)
    assert second.json()["in_force"] is True
    active = second.json()["agreement"]
    assert active["status"] == "active"
    assert active["in_force"]["number"] == 1
    assert {p["signed_by"] for p in active["in_force"]["parties"]} == {
        "Olive Admin",
        "Gil Supervisor",
    }

    listed = client.get(
        "/api/v1/agreements", params={"status": "active"}, headers=auth(world.guard)
    )
    assert [a["id"] for a in listed.json()["items"]] == [agreement["id"]]
    versions = client.get(f"{url}/versions", headers=auth(world.guard)).json()
    assert [(v["number"], v["state"]) for v in versions] == [(1, "in_force")]

    terminated = client.post(
        f"{url}/terminate", json={"reason": "Licence withdrawn."}, headers=auth(world.police_admin)
    )
    assert terminated.json()["status"] == "terminated"
    assert terminated.json()["status_reason"] == "Licence withdrawn."


def test_amendments_have_versions_and_a_readable_diff(
    client: TestClient,
    auth: Auth,
    db: Database,
    settings: Settings,
    world: World,
) -> None:
    agreement_id = make_agreement(db, settings, parties=[world.police, world.guards])
    url = f"/api/v1/agreements/{agreement_id}"
    headers = auth(world.police_admin)
    amended = client.post(
        f"{url}/amend",
        json={"terms": {"tlp_ceiling": "green", "covered": ["general"]}},
        headers=headers,
    )
    assert amended.status_code == 201, amended.text
    assert amended.json()["pending"]["number"] == 2
    assert amended.json()["in_force"]["number"] == 1
    changed = client.get(f"{url}/diff", params={"from": 1, "to": 2}, headers=headers).json()
    assert changed["changes"] == [
        "Covered categories: − Personal data",
        "TLP ceiling: TLP:AMBER → TLP:GREEN",
    ]
    version = client.get(f"{url}/versions/1", headers=auth(world.guard)).json()
    assert version["terms"]["tlp_ceiling"] == "amber"
    assert_problem(client.get(f"{url}/versions/9", headers=headers), 404)
    assert_problem(client.get(f"{url}/diff", params={"from": 1, "to": 1}, headers=headers), 422)


def test_an_outsider_is_told_the_agreement_does_not_exist_on_every_route(
    client: TestClient, auth: Auth, db: Database, settings: Settings, world: World
) -> None:
    agreement_id = make_agreement(db, settings, parties=[world.police, world.guards])
    url = f"/api/v1/agreements/{agreement_id}"
    headers = auth(world.stranger)
    requests = [
        ("GET", url, None),
        ("PATCH", url, {"title": "Mine now"}),
        ("POST", f"{url}/propose", None),
        ("POST", f"{url}/sign", {"digest": "0" * 64, "totp": "123456"}),
        ("POST", f"{url}/suspend", {"reason": "x"}),
        ("POST", f"{url}/resume", {"reason": "x"}),
        ("POST", f"{url}/terminate", {"reason": "x"}),
        ("POST", f"{url}/amend", {}),
        ("POST", f"{url}/withdraw-amendment", None),
        ("GET", f"{url}/versions", None),
        ("GET", f"{url}/versions/1", None),
        ("GET", f"{url}/diff?from=1&to=2", None),
        ("GET", f"{url}/versions/1/document", None),
        ("GET", f"{url}/accountability", None),
        ("GET", f"{url}/accountability.csv", None),
    ]
    for method, path, body in requests:
        response = client.request(method, path, json=body, headers=headers)
        assert_problem(response, 404)
    document = client.put(
        f"{url}/versions/1/document",
        content=PDF,
        headers={**headers, "content-type": "application/pdf"},
    )
    assert_problem(document, 404)
    assert client.get("/api/v1/agreements", headers=headers).json()["items"] == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "active"),
        ("id", "01a2012a-0000-7000-8000-000000000000"),
        ("current_version", 1),
        ("signatures", []),
        ("drafted_by_org_id", "01a2012a-0000-7000-8000-000000000000"),
        ("digest", "0" * 64),
    ],
)
def test_no_request_sets_internal_fields(
    client: TestClient,
    auth: Auth,
    db: Database,
    settings: Settings,
    clock: MutableClock,
    world: World,
    field: str,
    value: Any,
) -> None:
    headers = auth(world.coordinator)
    body = {**_body(world, clock), field: value}
    refused = assert_problem(client.post("/api/v1/agreements", json=body, headers=headers), 422)
    assert any(field in e["field"] for e in refused["errors"])  # type: ignore[union-attr]
    draft = make_agreement(db, settings, parties=[world.police, world.guards], status="draft")
    patched = client.patch(f"/api/v1/agreements/{draft}", json={field: value}, headers=headers)
    assert_problem(patched, 422)
    terms = client.patch(
        f"/api/v1/agreements/{draft}", json={"terms": {field: value}}, headers=headers
    )
    assert_problem(terms, 422)
    if field != "digest":  # the one a signer does send
        signed = client.post(
            f"/api/v1/agreements/{draft}/sign",
            json={"digest": "0" * 64, "totp": "123456", field: value},
            headers=headers,
        )
        assert_problem(signed, 422)
    assert client.get(f"/api/v1/agreements/{draft}", headers=headers).json()["status"] == "draft"


@pytest.mark.parametrize(
    ("changes", "field", "detail"),
    [
        ({"expires_at": "2026-01-01T00:00:00Z"}, "expires_at", "Expires: must be after"),
        ({"sensitive": ["video"]}, "sensitive", "Sensitive categories: Video must also be covered"),
        ({"purposes": []}, "purposes", "Permitted purposes: name at least one"),
        ({"covered": []}, "covered", "Covered categories: name at least one"),
        ({"retention_days": 0}, "retention_days", "Retention: between 1 and"),
        ({"area": {"type": "Point", "coordinates": [0, 0]}}, "area", "area"),
    ],
)
def test_impossible_terms_are_refused_naming_the_term(
    client: TestClient,
    auth: Auth,
    clock: MutableClock,
    world: World,
    changes: dict[str, Any],
    field: str,
    detail: str,
) -> None:
    response = client.post(
        "/api/v1/agreements", json=_body(world, clock, **changes), headers=auth(world.coordinator)
    )
    body = assert_problem(response, 422)
    assert detail in str(body["detail"])
    assert body["errors"][0]["field"] == field  # type: ignore[index]


@pytest.mark.parametrize(
    "instant", ["2026-11-21T15:00:00", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59Z"]
)
def test_instants_without_a_zone_or_out_of_range_are_refused(
    client: TestClient, auth: Auth, clock: MutableClock, world: World, instant: str
) -> None:
    body = _body(world, clock, effective_at=instant)
    assert_problem(
        client.post("/api/v1/agreements", json=body, headers=auth(world.coordinator)), 422
    )


def test_an_unvetted_party_is_refused_by_name(
    client: TestClient, auth: Auth, clock: MutableClock, world: World
) -> None:
    body = {**_body(world, clock), "parties": [str(world.police.id), str(world.pending.id)]}
    refused = assert_problem(
        client.post("/api/v1/agreements", json=body, headers=auth(world.coordinator)), 422
    )
    assert refused["detail"] == "Parties: Bayside Alarm Monitoring is not a vetted organization."


def test_signing_terms_changed_since_they_were_shown_is_a_conflict(
    client: TestClient,
    auth: Auth,
    db: Database,
    settings: Settings,
    clock: MutableClock,
    world: World,
) -> None:
    agreement_id = str(
        make_agreement(db, settings, parties=[world.police, world.guards], status="proposed")
    )
    url = f"/api/v1/agreements/{agreement_id}"
    headers = auth(world.guards_admin)
    shown = client.get(url, headers=headers).json()["pending"]["proposed_digest"]
    edited = client.patch(url, json={"terms": {"retention_days": 7}}, headers=headers).json()
    assert edited["status"] == "draft"
    assert edited["pending"]["changed_since_proposed"] is True
    client.post(f"{url}/propose", headers=headers)
    stale = _sign(client, auth, db, settings, world.police_admin, agreement_id, shown, clock)
    body = assert_problem(stale, 409)
    assert "not the terms now proposed" in str(body["detail"])


def test_signing_needs_a_current_code(
    client: TestClient,
    auth: Auth,
    db: Database,
    settings: Settings,
    clock: MutableClock,
    world: World,
) -> None:
    agreement_id = make_agreement(
        db, settings, parties=[world.police, world.guards], status="proposed"
    )
    url = f"/api/v1/agreements/{agreement_id}"
    headers = auth(world.police_admin)
    digest = client.get(url, headers=headers).json()["pending"]["proposed_digest"]
    no_mfa = client.post(f"{url}/sign", json={"digest": digest, "totp": "123456"}, headers=headers)
    assert "two-step" in str(assert_problem(no_mfa, 403)["detail"])
    secret = enrol_mfa(db, settings, world.police_admin, clock())
    old = code_for(secret, clock() - timedelta(minutes=5))
    wrong = client.post(f"{url}/sign", json={"digest": digest, "totp": old}, headers=headers)
    assert assert_problem(wrong, 403)["errors"] == [  # type: ignore[comparison-overlap]
        {"field": "totp", "message": wrong.json()["detail"]}
    ]
    code = code_for(secret, clock())
    ok = client.post(f"{url}/sign", json={"digest": digest, "totp": code}, headers=headers)
    assert ok.status_code == 200


def test_tokens_need_the_agreements_scope(
    client: TestClient, auth: Auth, clock: MutableClock, world: World
) -> None:
    reader = auth(world.coordinator, ("agreements:read",))
    assert client.get("/api/v1/agreements", headers=reader).status_code == 200
    body = assert_problem(
        client.post("/api/v1/agreements", json=_body(world, clock), headers=reader), 403
    )
    assert body["required_scope"] == "agreements:write"
    assert_problem(client.get("/api/v1/agreements", headers=auth(world.guard, ("orgs:read",))), 403)
    assert_problem(client.get("/api/v1/agreements"), 401)


def test_browser_sessions_need_the_csrf_header_to_change_anything(
    client: TestClient, clock: MutableClock, world: World, sign_in: Any
) -> None:
    csrf = sign_in(world.coordinator)
    body = _body(world, clock)
    assert_problem(client.post("/api/v1/agreements", json=body), 403)
    created = client.post("/api/v1/agreements", json=body, headers={"x-csrf-token": csrf})
    assert created.status_code == 201, created.text


def test_the_signed_document_uploads_raw_or_as_a_form_and_downloads_with_its_digest(
    client: TestClient, auth: Auth, db: Database, settings: Settings, world: World
) -> None:
    agreement_id = make_agreement(db, settings, parties=[world.police, world.guards])
    url = f"/api/v1/agreements/{agreement_id}/versions/1/document"
    headers = auth(world.police_admin)
    wrong = client.put(url, content=b"<html>", headers={**headers, "content-type": "text/html"})
    assert assert_problem(wrong, 422)["errors"][0]["field"] == "document"  # type: ignore[index]
    stored = client.put(
        url,
        content=PDF,
        headers={
            **headers,
            "content-type": "application/pdf",
            "content-disposition": 'attachment; filename="signed.pdf"',
        },
    )
    assert stored.status_code == 200, stored.text
    assert stored.json() == {
        "version": 1,
        "filename": "signed.pdf",
        "media_type": "application/pdf",
        "size": len(PDF),
        "sha256": hashlib.sha256(PDF).hexdigest(),
    }
    downloaded = client.get(url, headers=auth(world.guard))
    assert downloaded.content == PDF
    assert downloaded.headers["content-type"] == "application/pdf"
    assert downloaded.headers["content-disposition"].startswith('attachment; filename="signed.pdf"')
    again = client.put(url, files={"document": ("v2.pdf", PDF, "application/pdf")}, headers=headers)
    assert_problem(again, 409)  # the version in force keeps the document it was filed with

    draft = make_agreement(db, settings, parties=[world.police, world.guards], status="draft")
    form = client.put(
        f"/api/v1/agreements/{draft}/versions/1/document",
        files={"document": ("Draft é.pdf", PDF, "application/pdf")},
        headers=headers,
    )
    assert form.status_code == 200, form.text
    got = client.get(f"/api/v1/agreements/{draft}/versions/1/document", headers=headers)
    assert "filename*=UTF-8''Draft%20%C3%A9.pdf" in got.headers["content-disposition"]


def test_accountability_comes_as_json_and_csv_for_party_admins(
    client: TestClient, auth: Auth, db: Database, settings: Settings, world: World
) -> None:
    agreement_id = make_agreement(db, settings, parties=[world.police, world.guards])
    url = f"/api/v1/agreements/{agreement_id}/accountability"
    report = client.get(url, headers=auth(world.guards_admin)).json()
    assert report["status"] == "active"
    assert report["shared_total"] == 0
    csv = client.get(f"{url}.csv", headers=auth(world.coordinator))
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.startswith("section,organization_id,organization,item,count\r\n")
    assert "attachment" in csv.headers["content-disposition"]
    assert_problem(client.get(url, headers=auth(world.guard)), 403)


def test_lists_page_with_a_cursor_and_filter_by_kind_and_party(
    client: TestClient, auth: Auth, db: Database, settings: Settings, world: World
) -> None:
    for n in range(3):
        make_agreement(
            db, settings, parties=[world.police, world.guards], status="draft", title=f"Draft {n}"
        )
    make_agreement(
        db, settings, parties=[world.guards, world.outsider], status="draft", title="Other"
    )
    headers = auth(world.guard)
    first = client.get("/api/v1/agreements", params={"limit": 2}, headers=headers).json()
    rest = client.get(
        "/api/v1/agreements", params={"cursor": first["next_cursor"]}, headers=headers
    ).json()
    assert len(first["items"]) + len(rest["items"]) == 4
    assert rest["next_cursor"] is None
    other = client.get(
        "/api/v1/agreements", params={"party": str(world.outsider.id)}, headers=headers
    ).json()
    assert [a["title"] for a in other["items"]] == ["Other"]
    none = client.get("/api/v1/agreements", params={"kind": "mutual_aid"}, headers=headers)
    assert none.json()["items"] == []
    assert_problem(
        client.get("/api/v1/agreements", params={"status": "lost"}, headers=headers), 422
    )
