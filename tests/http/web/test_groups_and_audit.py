"""Groups and the audit viewer through the console."""

from __future__ import annotations

import re

from tests.factories import make_org
from tests.http.web.conftest import SignIn, TestClient, World

from accord.core.db import Database
from accord.orgs.domain import OrgKind, Sector


def test_an_org_admin_creates_a_group_and_manages_its_members(
    client: TestClient, world: World, sign_in: SignIn
) -> None:
    csrf = sign_in(world.people["org_admin"])
    blank = client.post("/groups", data={"csrf_token": csrf, "name": ""})
    assert blank.status_code == 422
    assert 'role="alert"' in blank.text
    created = client.post(
        "/groups",
        data={
            "csrf_token": csrf,
            "name": "Retail Security Council",
            "description": "Shops, mall and police downtown.",
        },
    )
    assert created.status_code == 303
    group_url = created.headers["location"].split("?")[0]
    page = client.get(created.headers["location"]).text
    assert "you coordinate it" in page
    assert "Olive Admin" in page  # the coordinator, a colleague, by name
    options = page.split('id="org_id"')[1].split("</select>")[0]
    assert "Harbour Point Mall Security" in options
    assert "Bayside Alarm Monitoring" not in options  # pending: not offered

    added = client.post(
        f"{group_url}/members", data={"csrf_token": csrf, "org_id": str(world.mall.id)}
    )
    assert added.status_code == 303
    members = client.get(group_url).text.split('id="members"')[1]
    assert "Harbour Point Mall Security" in members
    pending = client.post(
        f"{group_url}/members", data={"csrf_token": csrf, "org_id": str(world.pending.id)}
    )
    assert pending.status_code in (404, 409)  # unvetted: refused with the reason on the page
    removed = client.post(f"{group_url}/members/{world.mall.id}/remove", data={"csrf_token": csrf})
    assert removed.status_code == 303
    assert "The organization left the group." in client.get(removed.headers["location"]).text
    own = client.post(f"{group_url}/members/{world.police.id}/remove", data={"csrf_token": csrf})
    assert own.status_code == 409
    assert "The membership was not changed" in own.text
    assert "Retail Security Council" in client.get("/groups?q=retail").text
    assert "No group matches" in client.get("/groups?q=nothing-like-it").text


def test_the_audit_log_filters_pages_and_shows_the_signed_head(
    client: TestClient, world: World, sign_in: SignIn, db: Database
) -> None:
    for n in range(18):
        make_org(db, f"Seawall Security {n:02d}", sector=Sector.PRIVATE, kind=OrgKind.GUARD_COMPANY)
    sign_in(world.people["platform_admin"])
    first = client.get("/audit").text
    assert first.count('<tr>\n        <td class="num">') == 50
    assert re.search(r'id="head-size">\d+<', first)
    assert re.search(r'id="head-root">[0-9a-f]{64}<', first)
    assert "accord audit verify" in first
    next_url = re.search(r'href="([^"]+)" rel="next">Next page', first)
    assert next_url
    second = client.get(next_url.group(1).replace("&amp;", "&"))
    assert second.status_code == 200
    assert "First page" in second.text

    vetting = client.get("/audit?action=org.vetting").text
    actions = set(re.findall(r"<code>([a-z_.]+)</code></th>", vetting))
    assert actions == {"org.vetting.changed"}
    target = client.get(f"/audit?target_type=organization&target_id={world.mall.id}").text
    assert "Harbour Point Mall Security" in target
    assert "Seawall Security" not in target
    refused = client.get("/audit?action=Not A Prefix")
    assert refused.status_code == 422
    assert 'role="alert"' in refused.text


def test_one_audit_entry_shows_its_fields_and_a_proof_link(
    client: TestClient, world: World, sign_in: SignIn
) -> None:
    sign_in(world.people["platform_admin"])
    page = client.get("/audit/0")
    assert page.status_code == 200
    assert "org.created" in page.text
    assert re.search(r'class="hash">[0-9a-f]{64}<', page.text)
    assert "/api/v1/audit/proofs/inclusion?seq=0" in page.text
    assert client.get("/audit/999999").status_code == 404
    sign_in(world.people["mall_admin"])
    assert client.get("/audit/0").status_code == 404  # the office's entry, not the mall's
