"""/api/v1/feed over HTTP: what each viewer sees, why, every filter, and cursor pagination."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient
from tests.conftest import MutableClock
from tests.http.notes.conftest import Auth, World, assert_problem, share_note

from accord.orgs.domain import Sector

BODY = "Two people took perfume from the ground-floor shop and left by exit C."
DOCK = {"lat": 37.9481, "lon": -121.2992}  # Port City harbour
AIRPORT = {"lat": 37.8942, "lon": -121.2382}


def _share(client: TestClient, auth: Auth, who: str, title: str, **fields: Any) -> str:
    note = {"title": title, "body": BODY, "tlp": "green", **fields}
    return str(share_note(client, auth(who), note)["id"])


def _ids(client: TestClient, auth: Auth, who: str, **params: Any) -> list[str]:
    response = client.get("/api/v1/feed", params=params, headers=auth(who))
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


@pytest.fixture
def notes(client: TestClient, world: World, auth: Auth) -> dict[str, str]:
    """A small stream of notes from both sides, oldest first."""
    return {
        "green": _share(client, auth, "officer", "Van at the dock", location=DOCK),
        "amber": _share(
            client, auth, "officer", "Perfume thefts", tlp="amber", personal_details="Jo Example"
        ),
        "strict": _share(client, auth, "officer", "Internal only", tlp="amber+strict"),
        "mall_green": _share(client, auth, "mall_manager", "Lost child found", location=AIRPORT),
        "mall_video": _share(
            client, auth, "mall_manager", "Camera 3 clip", tlp="amber", categories=["video"]
        ),
        "red": _share(
            client,
            auth,
            "officer",
            "Named tip",
            tlp="red",
            recipients=[{"kind": "person", "id": str(world.people["mall_guard"].id)}],
        ),
    }


def test_each_viewer_sees_what_the_rules_allow_newest_first(
    client: TestClient, world: World, auth: Auth, notes: dict[str, str]
) -> None:
    n = notes
    assert _ids(client, auth, "officer") == [
        n["red"],
        n["mall_video"],
        n["mall_green"],
        n["strict"],
        n["amber"],
        n["green"],
    ]
    assert _ids(client, auth, "sergeant") == [
        n["mall_video"],
        n["mall_green"],
        n["strict"],
        n["amber"],
        n["green"],
    ]  # RED: the author and the named people only
    assert _ids(client, auth, "mall_guard") == [
        n["red"],
        n["mall_video"],
        n["mall_green"],
        n["amber"],
        n["green"],
    ]
    assert _ids(client, auth, "stranger") == [n["mall_green"], n["green"]]


def test_items_say_why_and_hide_what_is_restricted(
    client: TestClient, world: World, auth: Auth, notes: dict[str, str]
) -> None:
    items = {
        i["id"]: i for i in client.get("/api/v1/feed", headers=auth("mall_guard")).json()["items"]
    }
    amber = items[notes["amber"]]
    assert amber["title"] == "Perfume thefts"
    assert amber["summary"] is None
    assert amber["restricted"] is True
    assert amber["purposes"] == ["crime_prevention", "investigation"]
    assert amber["owner"] == {
        "id": str(world.police.id),
        "name": "Port City Police Department",
        "sector": "public",
    }
    assert amber["tlp"] == "amber"
    assert amber["categories"] == ["general", "personal_data"]
    assert amber["redacted"] == [
        {
            "redacted": True,
            "category": "personal_data",
            "reason": 'Not covered by agreement "Harbour Point retail watch" (version 2)',
        }
    ]
    assert amber["why"] == {
        "basis": "agreement",
        "reason": 'Shared under agreement "Harbour Point retail watch" (version 2).',
        "agreement_id": str(world.agreement_id),
        "agreement_title": "Harbour Point retail watch",
        "agreement_version": 2,
    }
    assert amber["href"] == f"/notes/{notes['amber']}"
    green = items[notes["green"]]
    assert green["summary"] == BODY
    assert green["restricted"] is False
    assert green["purposes"] == []
    assert green["location"] == {**DOCK, "area": None}
    assert green["why"]["basis"] == "green"
    assert items[notes["red"]]["why"]["basis"] == "recipient_person"
    assert items[notes["red"]]["summary"] is None
    assert set(items[notes["mall_green"]]) == set(green)


def test_every_filter_narrows(
    client: TestClient, world: World, auth: Auth, notes: dict[str, str], clock: MutableClock
) -> None:
    n = notes
    everything = _ids(client, auth, "mall_guard")
    narrowed = {
        "kind note": _ids(client, auth, "mall_guard", kind="note"),
        "kind other": _ids(client, auth, "mall_guard", kind="bulletin"),
        "owner": _ids(client, auth, "mall_guard", owner=str(world.mall.id)),
        "sector": _ids(client, auth, "mall_guard", sector=Sector.PUBLIC.value),
        "tlp": _ids(client, auth, "mall_guard", tlp=["amber", "red"]),
        "category": _ids(client, auth, "mall_guard", category="video"),
        "text": _ids(client, auth, "mall_guard", q="THEFTS"),
        "bbox": _ids(client, auth, "mall_guard", bbox="-121.31,37.94,-121.28,37.96"),
    }
    assert narrowed == {
        "kind note": everything,
        "kind other": [],
        "owner": [n["mall_video"], n["mall_green"]],
        "sector": [n["red"], n["amber"], n["green"]],
        "tlp": [n["red"], n["mall_video"], n["amber"]],
        "category": [n["mall_video"]],
        "text": [n["amber"]],
        "bbox": [n["green"]],
    }
    # Notes were shared a minute apart, the first at 15:01 by the test clock.
    start = clock.now - timedelta(minutes=6)
    since = _ids(client, auth, "mall_guard", since=(start + timedelta(minutes=3)).isoformat())
    assert since == [n["red"], n["mall_video"], n["mall_green"]]
    until = _ids(client, auth, "mall_guard", until=(start + timedelta(minutes=3)).isoformat())
    assert until == [n["amber"], n["green"]]


def test_free_text_does_not_search_text_the_viewer_may_not_read(
    client: TestClient, world: World, auth: Auth, notes: dict[str, str]
) -> None:
    # "ground-floor" is only in the bodies; the AMBER one is restricted for the guard.
    found = _ids(client, auth, "mall_guard", q="ground-floor")
    assert notes["amber"] not in found
    assert notes["green"] in found


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "201"},
        {"cursor": "bm9wZQ"},
        {"tlp": "purple"},
        {"sector": "pirate"},
        {"category": "gossip"},
        {"since": "2026-11-21T15:00:00"},
        {"bbox": "1,2,3"},
        {"bbox": "10,0,-10,5"},
        {"bbox": "a,b,c,d"},
        {"owner": "not-an-id"},
    ],
)
def test_bad_parameters_are_problems(
    client: TestClient, world: World, auth: Auth, params: dict[str, str]
) -> None:
    assert_problem(client.get("/api/v1/feed", params=params, headers=auth("officer")), 422)


def test_cursor_pagination_walks_every_item_once(
    client: TestClient, world: World, auth: Auth
) -> None:
    shared = [_share(client, auth, "officer", f"Patrol log {i}") for i in range(7)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/api/v1/feed", params=params, headers=auth("stranger")).json()
        assert page["limit"] == 3
        seen += [i["id"] for i in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == list(reversed(shared))
    default = client.get("/api/v1/feed", headers=auth("stranger")).json()
    assert default["limit"] == 50


def test_the_feed_needs_its_scope(client: TestClient, world: World, auth: Auth) -> None:
    assert_problem(client.get("/api/v1/feed"), 401)
    body = assert_problem(client.get("/api/v1/feed", headers=auth("officer", ("notes:read",))), 403)
    assert body["required_scope"] == "feed:read"
