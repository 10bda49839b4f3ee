"""The notes console: sharing from the form, opening a restricted note, managing one's own."""

from __future__ import annotations

import re

from sqlalchemy import select
from starlette.testclient import TestClient
from tests.http.notes.conftest import HTML, SignIn, World, csrf_of

from accord.core.audit.models import AuditEntry
from accord.core.db import Database
from accord.notes.models import NoteAttachment
from accord.sharing.models import SharedRecord

FORM = {
    "title": "Perfume thefts at Harbour Point",
    "body": "Two people took perfume from the ground-floor shop.\nThey left by exit C.",
    "body_category": "general",
    "personal_details": "A woman in a red jacket; a man with a limp.",
    "tlp": "amber",
}


def _share(client: TestClient, csrf: str, **changes: object) -> str:
    response = client.post("/notes", data={**FORM, "csrf_token": csrf, **changes}, headers=HTML)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.endswith("?done=created")
    return location.split("?")[0]


def test_an_officer_shares_a_note_from_the_form(
    client: TestClient, world: World, sign_in: SignIn, db: Database
) -> None:
    csrf = sign_in("officer")
    form = client.get("/notes/new", headers=HTML)
    assert form.status_code == 200
    assert 'name="tlp" value="amber+strict"' in form.text
    assert "Harbour Point Mall Security" in form.text  # a recipient to choose
    blank = client.post("/notes", data={**FORM, "title": " ", "csrf_token": csrf}, headers=HTML)
    assert blank.status_code == 422
    assert 'class="error-summary"' in blank.text
    assert "Two people took perfume" in blank.text  # what was typed is kept
    forged = client.post("/notes", data={**FORM, "csrf_token": "nope"}, headers=HTML)
    assert forged.status_code == 403
    url = _share(
        client,
        csrf,
        org=str(world.outsider.id),
        category="person_location",
        lat="37.95",
        lon="-121.29",
    )
    page = client.get(url + "?done=created", headers=HTML).text
    assert "The note is shared." in page
    assert "TLP:AMBER" in page
    assert "<p>They left by exit C.</p>" in page
    assert "Riverside Alarm Co" in page  # recipients, for the owner
    assert "Location of a person" in page
    with db.reading() as s:
        record = s.scalars(select(SharedRecord)).one()
    assert record.owner_org_id == world.police.id


def test_a_partner_states_a_purpose_and_sees_redaction_markers(
    client: TestClient, world: World, sign_in: SignIn, db: Database
) -> None:
    url = _share(client, sign_in("officer"))
    csrf = sign_in("mall_guard")
    feed = client.get("/feed", headers=HTML).text
    assert "Perfume thefts at Harbour Point" in feed
    assert f'action="{url}/open"' in feed
    assert "Two people took perfume" not in feed  # restricted: no summary in the list
    ask = client.get(url, headers=HTML)
    assert ask.status_code == 200
    assert "State why you open this note" in ask.text
    assert "Harbour Point retail watch" in ask.text
    assert "Two people took perfume" not in ask.text
    assert (
        client.post(f"{url}/open", data={"purpose": "investigation"}, headers=HTML).status_code
        == 403
    )
    wrong = client.post(f"{url}/open", data={"csrf_token": csrf, "purpose": ""}, headers=HTML)
    assert wrong.status_code == 422
    opened = client.post(
        f"{url}/open", data={"csrf_token": csrf, "purpose": "investigation"}, headers=HTML
    )
    assert opened.status_code == 200
    assert "Two people took perfume" in opened.text
    details = opened.text.split('id="personal-details"')[1].split("</div>")[0]
    assert "Redacted personal data." in details
    assert "Not covered by agreement &#34;Harbour Point retail watch&#34; (version 2)" in details
    assert "a man with a limp" not in opened.text
    assert "Change the marking" not in opened.text  # not theirs to manage
    with db.reading() as s:
        actions = list(s.scalars(select(AuditEntry.action)))
    assert "record.read_restricted" in actions


def test_an_unseen_note_is_a_404_page(client: TestClient, world: World, sign_in: SignIn) -> None:
    url = _share(client, sign_in("officer"), tlp="amber+strict")
    sign_in("stranger")
    assert client.get(url, headers=HTML).status_code == 404
    csrf = csrf_of(client.get("/feed", headers=HTML).text)
    answer = client.post(
        f"{url}/open", data={"csrf_token": csrf, "purpose": "investigation"}, headers=HTML
    )
    assert answer.status_code == 404


def test_the_author_manages_marking_recipients_attachments_and_withdraws(
    client: TestClient, world: World, sign_in: SignIn, db: Database
) -> None:
    csrf = sign_in("officer")
    url = _share(client, csrf, tlp="amber+strict")
    added = client.post(
        f"{url}/recipients", data={"csrf_token": csrf, "org": str(world.mall.id)}, headers=HTML
    )
    assert added.status_code == 303
    page = client.get(added.headers["location"], headers=HTML).text
    assert "The recipients were changed." in page
    assert "Harbour Point Mall Security" in page.split('id="recipients"')[1]
    red = client.post(f"{url}/marking", data={"csrf_token": csrf, "tlp": "red"}, headers=HTML)
    assert red.status_code == 422
    assert "remove them first" in red.text
    removed = client.post(
        f"{url}/recipients/organization/{world.mall.id}/remove",
        data={"csrf_token": csrf},
        headers=HTML,
    )
    assert removed.status_code == 303
    green = client.post(f"{url}/marking", data={"csrf_token": csrf, "tlp": "green"}, headers=HTML)
    assert green.status_code == 303
    attached = client.post(
        f"{url}/attachments",
        data={"csrf_token": csrf, "category": "video"},
        files={"file": ("exit C.mp4", b"\x00\x00\x00\x18ftypmp42", "video/mp4")},
        headers=HTML,
    )
    assert attached.status_code == 303, attached.text
    page = client.get(url, headers=HTML).text
    assert "exit C.mp4" in page
    href = re.search(r'href="(/api/v1/notes/[^"]+/attachments/[^"]+)"', page)
    assert href is not None
    download = client.get(href.group(1))
    assert download.status_code == 200
    assert download.content == b"\x00\x00\x00\x18ftypmp42"
    edited = client.post(
        f"{url}/edit",
        data={
            "csrf_token": csrf,
            "title": "Thefts, exit C",
            "body": "Updated.",
            "personal_details": "",
        },
        headers=HTML,
    )
    assert edited.status_code == 303
    page = client.get(url, headers=HTML).text
    assert "Thefts, exit C" in page
    assert "People involved" in page  # the (now empty) field stays editable
    withdrawn = client.post(f"{url}/withdraw", data={"csrf_token": csrf}, headers=HTML)
    assert withdrawn.status_code == 303
    assert "The note was withdrawn" in client.get(withdrawn.headers["location"], headers=HTML).text
    assert client.get(url, headers=HTML).status_code == 404
    with db.reading() as s:
        assert s.scalar(select(NoteAttachment.id)) is None


def test_partners_cannot_manage_someone_elses_note(
    client: TestClient, world: World, sign_in: SignIn
) -> None:
    url = _share(client, sign_in("officer"), tlp="green")
    csrf = sign_in("mall_manager")
    page = client.get(url, headers=HTML)
    assert page.status_code == 200
    assert "Withdraw the note" not in page.text
    assert (
        client.post(f"{url}/withdraw", data={"csrf_token": csrf}, headers=HTML).status_code == 403
    )
    marking = client.post(f"{url}/marking", data={"csrf_token": csrf, "tlp": "clear"}, headers=HTML)
    assert marking.status_code == 403
