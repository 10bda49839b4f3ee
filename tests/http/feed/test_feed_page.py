"""The /feed console page: items with marking, owner and why; filters; live-update wiring."""

from __future__ import annotations

from starlette.testclient import TestClient
from tests.http.notes.conftest import HTML, Auth, SignIn, World, share_note

NOTE = {"title": "Van at the dock", "body": "Grey van, two people, 22:40.", "tlp": "green"}


def test_an_empty_feed_says_what_to_do(client: TestClient, world: World, sign_in: SignIn) -> None:
    sign_in("stranger")
    page = client.get("/feed", headers=HTML)
    assert page.status_code == 200
    assert "Nothing has been shared with you yet." in page.text
    assert 'href="/notes/new"' in page.text
    assert 'data-stream="/api/v1/feed/stream"' in page.text
    assert '<script src="/static/feed.js" defer></script>' in page.text
    filtered = client.get("/feed", params={"q": "nothing like it"}, headers=HTML).text
    assert "Nothing shared with you matches these filters." in filtered


def test_items_show_marking_owner_and_why(
    client: TestClient, world: World, sign_in: SignIn, auth: Auth
) -> None:
    share_note(client, auth("officer"), NOTE)
    amber = share_note(client, auth("officer"), {**NOTE, "title": "Perfume thefts", "tlp": "amber"})
    sign_in("mall_guard")
    page = client.get("/feed", headers=HTML).text
    items = page.split('id="feed-items"')[1].split("</ol>")[0]
    assert items.index("Perfume thefts") < items.index("Van at the dock")  # newest first
    assert "TLP:AMBER" in items
    assert "TLP:GREEN" in items
    assert "Port City Police Department" in items
    assert "TLP:GREEN: shared with every vetted member." in items
    assert "Shared under agreement &#34;Harbour Point retail watch&#34; (version 2)." in items
    assert f'action="/notes/{amber["id"]}/open"' in items
    assert "Grey van, two people" in items  # the GREEN note's summary
    assert items.count("Grey van, two people") == 1  # not the AMBER one's


def test_filters_narrow_and_follow_the_live_stream(
    client: TestClient, world: World, sign_in: SignIn, auth: Auth
) -> None:
    share_note(client, auth("officer"), NOTE)
    share_note(client, auth("mall_manager"), {**NOTE, "title": "Lost child found"})
    sign_in("mall_guard")
    page = client.get(
        "/feed", params={"sector": "private", "tlp": ["green"], "q": "child"}, headers=HTML
    ).text
    items = page.split('id="feed-items"')[1].split("</ol>")[0]
    assert "Lost child found" in items
    assert "Van at the dock" not in items
    assert 'data-stream="/api/v1/feed/stream?tlp=green&amp;sector=private&amp;q=child"' in page
    bad = client.get("/feed", params={"bbox": "1,2"}, headers=HTML)
    assert bad.status_code == 200
    assert 'class="error-summary"' in bad.text


def test_later_pages_link_back_and_are_not_live(
    client: TestClient, world: World, sign_in: SignIn, auth: Auth
) -> None:
    for number in range(52):
        share_note(client, auth("officer"), {**NOTE, "title": f"Patrol log {number}"})
    sign_in("stranger")
    first = client.get("/feed", headers=HTML).text
    assert first.count('class="feed-item"') == 50
    next_url = first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = client.get(next_url.replace("&amp;", "&"), headers=HTML).text
    assert second.count('class="feed-item"') == 2
    assert "Patrol log 0" in second
    assert "data-stream" not in second
    assert "First page" in second
