"""/api/v1/notes over HTTP: sharing, opening with a purpose, redaction, attachments, addressing."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient
from tests.http.notes.conftest import Auth, World, assert_problem, share_note

from accord.core.audit.models import AuditEntry
from accord.core.db import Database
from accord.sharing.models import SharedRecord

NOTE = {
    "title": "Shoplifting at Harbour Point",
    "body": "Two people took perfume from the ground-floor shop at 14:10 and left by exit C.",
    "tlp": "amber",
}
DETAILS = "A woman in her thirties in a red jacket; a man with a limp."
RETAIL_WATCH = 'Not covered by agreement "Harbour Point retail watch" (version 2)'


def _share(client: TestClient, auth: Auth, who: str = "officer", **changes: Any) -> dict[str, Any]:
    return share_note(client, auth(who), {**NOTE, **changes})


def _actions(db: Database, note_id: str) -> list[str]:
    with db.reading() as s:
        return list(
            s.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.target_id == note_id)
                .order_by(AuditEntry.seq)
            )
        )


def test_sharing_a_note_returns_it_as_its_owner_sees_it(
    client: TestClient, world: World, auth: Auth, db: Database
) -> None:
    response = client.post(
        "/api/v1/notes",
        json={
            **NOTE,
            "personal_details": DETAILS,
            "location": {"lat": 37.9521, "lon": -121.2905},
            "recipients": [{"kind": "organization", "id": str(world.outsider.id)}],
        },
        headers=auth("officer"),
    )
    assert response.status_code == 201, response.text
    note = response.json()
    assert response.headers["location"] == f"/api/v1/notes/{note['id']}"
    assert note["owner"] == {
        "id": str(world.police.id),
        "name": "Port City Police Department",
        "sector": "public",
    }
    assert note["author"]["name"] == "Olu Officer"
    assert note["categories"] == ["general", "personal_data"]
    assert note["personal_details"] == DETAILS
    assert note["why"]["basis"] == "owner"
    assert note["restricted"] is False
    assert note["redacted"] == []
    assert note["location"] == {"lat": 37.9521, "lon": -121.2905, "area": None}
    assert [r["name"] for r in note["recipients"]] == ["Riverside Alarm Co"]
    assert note["may_edit"] is True
    assert _actions(db, note["id"]) == ["note.created"]


@pytest.mark.parametrize(
    "field",
    [
        {"owner_org_id": "00000000-0000-0000-0000-000000000001"},
        {"author_id": "00000000-0000-0000-0000-000000000001"},
        {"id": "00000000-0000-0000-0000-000000000001"},
        {"created_at": "2020-01-01T00:00:00Z"},
        {"categories_mask": 0},
        {"summary": "forged"},
        {"owner": {"id": "00000000-0000-0000-0000-000000000001"}},
    ],
)
def test_no_request_sets_owner_author_ids_or_times(
    client: TestClient, world: World, auth: Auth, db: Database, field: dict[str, Any]
) -> None:
    response = client.post("/api/v1/notes", json={**NOTE, **field}, headers=auth("officer"))
    body = assert_problem(response, 422)
    assert any(next(iter(field)) in str(e["field"]) for e in body["errors"])  # type: ignore[attr-defined]
    note = _share(client, auth)
    for path, method, payload in [
        (f"/api/v1/notes/{note['id']}", "PATCH", {"title": "x", **field}),
        (f"/api/v1/notes/{note['id']}", "PATCH", {"tlp": "clear"}),
        (f"/api/v1/notes/{note['id']}/marking", "PUT", {"tlp": "green", **field}),
        (
            f"/api/v1/notes/{note['id']}/recipients",
            "POST",
            {"recipients": [{"kind": "organization", "id": str(world.mall.id), **field}]},
        ),
    ]:
        answer = client.request(method, path, json=payload, headers=auth("officer"))
        assert_problem(answer, 422)
    with db.reading() as s:
        record = s.get_one(SharedRecord, uuid.UUID(note["id"]))
    assert record.owner_org_id == world.police.id
    assert record.author_id == world.people["officer"].id
    assert record.title == NOTE["title"]


def test_who_may_share(client: TestClient, world: World, auth: Auth) -> None:
    assert_problem(client.post("/api/v1/notes", json=NOTE), 401)
    assert_problem(client.post("/api/v1/notes", json=NOTE, headers=auth("viewer")), 403)
    read_only = auth("officer", ("notes:read",))
    body = assert_problem(client.post("/api/v1/notes", json=NOTE, headers=read_only), 403)
    assert body["required_scope"] == "notes:write"
    bad = assert_problem(
        client.post("/api/v1/notes", json={**NOTE, "tlp": "purple"}, headers=auth("officer")),
        422,
    )
    assert bad["errors"]


def test_an_unseen_note_is_404_exactly_like_none(
    client: TestClient, world: World, auth: Auth
) -> None:
    note = _share(client, auth, tlp="amber+strict", recipients=[])
    unseen = client.get(f"/api/v1/notes/{note['id']}", headers=auth("stranger"))
    missing_id = uuid.uuid4()
    missing = client.get(f"/api/v1/notes/{missing_id}", headers=auth("stranger"))
    one, other = assert_problem(unseen, 404), assert_problem(missing, 404)
    assert {k: v for k, v in one.items() if k != "instance"} == {
        k: v for k, v in other.items() if k != "instance"
    }
    for who in ("stranger", "mall_guard"):
        for method in ("GET", "PATCH", "DELETE"):
            response = client.request(
                method,
                f"/api/v1/notes/{note['id']}",
                headers=auth(who),
                **({"json": {"title": "x"}} if method == "PATCH" else {}),
            )
            assert_problem(response, 404)
        assert_problem(
            client.put(
                f"/api/v1/notes/{note['id']}/marking", json={"tlp": "clear"}, headers=auth(who)
            ),
            404,
        )


def test_a_restricted_note_needs_a_permitted_purpose_and_is_audited(
    client: TestClient, world: World, auth: Auth, db: Database
) -> None:
    note = _share(client, auth, personal_details=DETAILS)
    url = f"/api/v1/notes/{note['id']}"
    body = assert_problem(client.get(url, headers=auth("mall_guard")), 403)
    assert body["type"] == "urn:accord:problem:purpose-required"
    assert body["purposes"] == ["crime_prevention", "investigation"]
    assert_problem(client.get(url, params={"purpose": "training"}, headers=auth("mall_guard")), 403)
    assert_problem(client.get(url, params={"purpose": "gossip"}, headers=auth("mall_guard")), 422)
    assert _actions(db, note["id"]) == ["note.created"]
    read = client.get(url, params={"purpose": "investigation"}, headers=auth("mall_guard"))
    assert read.status_code == 200, read.text
    seen = read.json()
    assert seen["body"] == NOTE["body"]
    assert seen["purpose"] == "investigation"
    assert seen["why"]["agreement_id"] == str(world.agreement_id)
    assert seen["why"]["agreement_title"] == "Harbour Point retail watch"
    # Personal data is not covered by the agreement: a marker, in the JSON, says so.
    assert seen["personal_details"] == {
        "redacted": True,
        "category": "personal_data",
        "reason": RETAIL_WATCH,
    }
    assert seen["redacted"] == [seen["personal_details"]]
    assert seen["author"] is None  # the owner's business
    assert seen["recipients"] is None
    assert seen["may_edit"] is False
    assert _actions(db, note["id"]) == ["note.created", "record.read_restricted"]


def test_criminal_justice_information_is_masked_without_clearance(
    client: TestClient, world: World, auth: Auth
) -> None:
    note = _share(
        client,
        auth,
        who="detective",
        tlp="green",
        body_category="cji",
        body="Subject has an open county warrant, case 26-0142.",
        personal_details="Jo Example, born 1991.",
    )
    seen = client.get(f"/api/v1/notes/{note['id']}", headers=auth("officer")).json()
    assert seen["body"] == {
        "redacted": True,
        "category": "cji",
        "reason": "CJI clearance required",
    }
    assert seen["personal_details"] == "Jo Example, born 1991."
    feed = client.get("/api/v1/notes", headers=auth("officer")).json()["items"]
    [item] = [i for i in feed if i["id"] == note["id"]]
    assert item["summary"] is None  # the opening of a CJI body is CJI too
    refused = client.post(
        "/api/v1/notes", json={**NOTE, "body_category": "cji"}, headers=auth("officer")
    )
    assert_problem(refused, 403)


def test_attachments_upload_download_and_redaction(
    client: TestClient, world: World, auth: Auth, db: Database
) -> None:
    note = _share(client, auth)
    url = f"/api/v1/notes/{note['id']}/attachments"
    footage = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8
    video = client.post(
        url,
        files={"file": ("dock camera 3.mp4", footage, "video/mp4")},
        data={"category": "video"},
        headers=auth("officer"),
    )
    assert video.status_code == 201, video.text
    assert video.json()["sha256"] == hashlib.sha256(footage).hexdigest()
    statement = client.post(
        url,
        params={"filename": "witness statement.txt", "category": "personal_data"},
        content=b"I saw a tall man with a grey beard.",
        headers={**auth("officer"), "content-type": "text/plain"},
    )
    assert statement.status_code == 201, statement.text
    assert statement.headers["location"] == statement.json()["href"]
    assert_problem(
        client.post(url, content=b"no name", headers=auth("officer")), 422
    )  # raw uploads name the file and its category
    assert_problem(client.post(url, content=b"x" * 2_000_000, headers=auth("officer")), 413)
    assert_problem(
        client.post(
            url,
            files={"file": ("a.txt", b"a", "text/plain")},
            data={"category": "video"},
            headers=auth("mall_guard"),
        ),
        403,
    )

    owner_view = client.get(f"/api/v1/notes/{note['id']}", headers=auth("officer")).json()
    assert owner_view["categories"] == ["general", "personal_data", "video"]
    seen = client.get(
        f"/api/v1/notes/{note['id']}",
        params={"purpose": "investigation"},
        headers=auth("mall_guard"),
    ).json()
    clip, masked = seen["attachments"]
    assert clip["filename"] == "dock camera 3.mp4"
    assert clip["href"].endswith("?purpose=investigation")
    assert masked == {
        "id": statement.json()["id"],
        "category": "personal_data",
        "filename": None,
        "media_type": None,
        "size": None,
        "sha256": None,
        "added_at": masked["added_at"],
        "redacted": {"redacted": True, "category": "personal_data", "reason": RETAIL_WATCH},
        "href": None,
    }
    got = client.get(clip["href"], headers=auth("mall_guard"))
    assert got.status_code == 200
    assert got.content == footage
    assert got.headers["content-type"] == "video/mp4"
    assert (
        got.headers["content-disposition"] == "attachment; filename*=UTF-8''dock%20camera%203.mp4"
    )
    assert any("sandbox" in v for v in got.headers.get_list("content-security-policy"))
    refused = client.get(
        f"{url}/{statement.json()['id']}",
        params={"purpose": "investigation"},
        headers=auth("mall_guard"),
    )
    assert "redacted" in str(assert_problem(refused, 403)["detail"])
    assert_problem(client.get(f"{url}/{masked['id']}", headers=auth("mall_guard")), 403)
    assert_problem(client.get(f"{url}/{masked['id']}", headers=auth("stranger")), 404)
    assert_problem(client.get(f"{url}/{uuid.uuid4()}", headers=auth("officer")), 404)


def test_the_author_edits_partners_may_not_and_withdrawal_removes_it(
    client: TestClient, world: World, auth: Auth
) -> None:
    note = _share(client, auth, tlp="green")
    url = f"/api/v1/notes/{note['id']}"
    edited = client.patch(
        url, json={"title": "Perfume thefts, Harbour Point"}, headers=auth("officer")
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["title"] == "Perfume thefts, Harbour Point"
    assert edited.json()["body"] == NOTE["body"]
    assert_problem(client.patch(url, json={"title": "x"}, headers=auth("mall_guard")), 403)
    assert_problem(client.patch(url, json={"title": "x"}, headers=auth("detective")), 403)
    assert_problem(client.patch(url, json={"title": ""}, headers=auth("officer")), 422)
    assert_problem(client.delete(url, headers=auth("mall_manager")), 403)
    assert client.delete(url, headers=auth("sergeant")).status_code == 204
    assert_problem(client.get(url, headers=auth("officer")), 404)
    assert_problem(client.get(url, headers=auth("mall_guard")), 404)


def test_recipients_and_marking(client: TestClient, world: World, auth: Auth) -> None:
    note = _share(client, auth, tlp="amber+strict")
    url = f"/api/v1/notes/{note['id']}"
    assert_problem(
        client.get(url, params={"purpose": "investigation"}, headers=auth("stranger")), 404
    )
    outsider = {"kind": "organization", "id": str(world.outsider.id)}
    added = client.post(
        f"{url}/recipients", json={"recipients": [outsider]}, headers=auth("officer")
    )
    assert added.status_code == 200, added.text
    assert added.json() == {"added": [outsider]}
    again = client.post(
        f"{url}/recipients", json={"recipients": [outsider]}, headers=auth("officer")
    )
    assert again.json() == {"added": []}
    opened = client.get(url, params={"purpose": "investigation"}, headers=auth("stranger"))
    assert opened.status_code == 200
    assert opened.json()["why"]["basis"] == "recipient_organization"
    assert_problem(
        client.post(f"{url}/recipients", json={"recipients": [outsider]}, headers=auth("stranger")),
        403,
    )  # no agreement lets them pass it on
    assert_problem(client.put(f"{url}/marking", json={"tlp": "red"}, headers=auth("officer")), 422)
    removed = client.delete(
        f"{url}/recipients/organization/{world.outsider.id}", headers=auth("officer")
    )
    assert removed.status_code == 204
    assert_problem(
        client.delete(
            f"{url}/recipients/organization/{world.outsider.id}", headers=auth("officer")
        ),
        404,
    )
    assert_problem(
        client.get(url, params={"purpose": "investigation"}, headers=auth("stranger")), 404
    )
    marked = client.put(f"{url}/marking", json={"tlp": "green"}, headers=auth("officer"))
    assert marked.status_code == 200
    assert marked.json() == {"tlp": "green"}
    assert client.get(url, headers=auth("stranger")).json()["why"]["basis"] == "green"


def test_the_notes_list_holds_only_visible_notes(
    client: TestClient, world: World, auth: Auth
) -> None:
    green = _share(client, auth, tlp="green", title="Green")
    amber = _share(client, auth, tlp="amber", title="Amber")
    strict = _share(client, auth, tlp="amber+strict", title="Strict")
    guard = client.get("/api/v1/notes", headers=auth("mall_guard")).json()
    assert [i["id"] for i in guard["items"]] == [amber["id"], green["id"]]
    stranger = client.get("/api/v1/notes", headers=auth("stranger")).json()
    assert [i["id"] for i in stranger["items"]] == [green["id"]]
    own = client.get("/api/v1/notes", params={"tlp": "amber+strict"}, headers=auth("sergeant"))
    assert [i["id"] for i in own.json()["items"]] == [strict["id"]]
