"""Console pages render for every role, send strangers to sign in, carry the security headers."""

from __future__ import annotations

import re
import uuid

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from tests.factories import make_org
from tests.http.web.conftest import SignIn, TestClient, World

from accord.core.clock import utcnow
from accord.core.db import Database
from accord.orgs.domain import OrgKind, Sector

ROLES = [
    "platform_admin",
    "org_admin",
    "analyst",
    "dispatcher",
    "field_responder",
    "viewer",
    "mall_admin",
    "pending_admin",
]
# Pages anyone may open: signing in, the MFA steps, an invitation link, static files.
PUBLIC = {"/sign-in", "/mfa", "/mfa/enrol", "/invitations/{secret}"}
SECURITY_HEADERS = {
    "content-security-policy": "script-src 'self'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def console_routes(app: FastAPI, method: str) -> list[str]:
    """Paths of the HTML routes (those left out of the OpenAPI schema) for `method`."""
    return sorted(
        route.path
        for route in iter_route_contexts(app.routes)
        if route.path
        and method in (route.methods or ())
        and not getattr(route, "include_in_schema", True)
        and not route.path.startswith(("/docs", "/openapi"))
    )


def fill(path: str) -> str:
    """A concrete path for a route template: any id will do before sign-in is checked."""
    return re.sub(r"\{seq\}", "1", re.sub(r"\{[a-z_]+_id\}", str(uuid.uuid4()), path))


def assert_security_headers(headers: dict[str, str] | object) -> None:
    for name, expected in SECURITY_HEADERS.items():
        assert expected in headers[name], name  # type: ignore[index]


def test_every_console_page_renders_for_every_role(
    client: TestClient, world: World, sign_in: SignIn
) -> None:
    for role in ROLES:
        person = world.people[role]
        sign_in(person)
        pages = [
            "/",
            "/orgs",
            f"/orgs/{person.org_id}",
            "/people",
            "/groups",
            "/account",
            f"/people/{person.id}",
        ]
        for path in pages:
            response = client.get(path)
            assert response.status_code == 200, (role, path, response.text[:500])
            html = response.text
            assert '<main id="main"' in html
            assert '<nav aria-label="Main">' in html
            assert 'aria-current="page"' in html or path.startswith("/people/")
            assert person.display_name in html


def test_anonymous_visitors_are_sent_to_sign_in_from_every_console_page(
    app: FastAPI, client: TestClient
) -> None:
    paths = [p for p in console_routes(app, "GET") if p not in PUBLIC]
    assert {"/", "/orgs", "/people", "/groups", "/audit"} <= set(paths)
    for path in paths:
        response = client.get(fill(path))
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/sign-in?next=%2F"), path


def test_anonymous_form_posts_are_sent_to_sign_in_too(app: FastAPI, client: TestClient) -> None:
    skip = PUBLIC | {"/sign-out"}
    for path in [p for p in console_routes(app, "POST") if p not in skip]:
        response = client.post(fill(path), data={"csrf_token": "x"})
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/sign-in"), path


def test_pages_and_error_pages_carry_the_security_headers(
    client: TestClient, world: World, sign_in: SignIn
) -> None:
    assert_security_headers(client.get("/sign-in").headers)
    sign_in(world.people["dispatcher"])
    for path, status in [
        ("/", 200),
        ("/orgs", 200),
        ("/no-such-page", 404),
        ("/audit", 404),
        (f"/orgs/{uuid.uuid4()}", 404),
    ]:
        response = client.get(path)
        assert response.status_code == status, path
        assert_security_headers(response.headers)
        assert response.headers["content-type"].startswith("text/html")
    assert client.get("/").headers["cache-control"] == "no-store"


def test_error_pages_explain_the_problem_in_the_layout(
    client: TestClient, world: World, sign_in: SignIn
) -> None:
    sign_in(world.people["org_admin"])
    response = client.get(f"/orgs/{uuid.uuid4()}")
    assert response.status_code == 404
    assert "No such organization." in response.text
    assert 'class="skip-link"' in response.text
    forbidden = client.get("/orgs/new")
    assert forbidden.status_code == 403
    assert "Only platform administrators create organizations." in forbidden.text


def test_console_pages_have_no_inline_script_style_or_handlers(
    client: TestClient, world: World, sign_in: SignIn
) -> None:
    sign_in(world.people["platform_admin"])
    pages = [
        "/",
        "/orgs",
        f"/orgs/{world.police.id}",
        f"/orgs/{world.police.id}/edit",
        "/orgs/new",
        "/people",
        f"/people/{world.people['analyst'].id}",
        "/groups",
        "/audit",
        "/account",
    ]
    for path in pages:
        html = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"\sstyle=", html), path
        assert not re.search(r"\son[a-z]+=", html), path
        assert "<style" not in html, path


def test_static_assets_are_served_from_this_site(client: TestClient) -> None:
    for path, kind in [
        ("/static/accord.css", "text/css"),
        ("/static/accord.js", "javascript"),
        ("/static/favicon.svg", "image/svg+xml"),
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert kind in response.headers["content-type"]
    assert "http" not in client.get("/static/accord.css").text.replace("https://", "")


def test_dashboard_figures_come_from_the_database(
    client: TestClient, world: World, sign_in: SignIn, db: Database
) -> None:
    sign_in(world.people["platform_admin"])
    html = client.get("/").text
    assert re.search(r'id="orgs-total">4<', html)
    assert re.search(r'id="orgs-vetted">3<', html)
    assert "Bayside Alarm Monitoring" in html  # awaiting vetting, with its link
    assert f'href="/orgs/{world.pending.id}"' in html

    make_org(
        db,
        "Quayside Port Authority",
        sector=Sector.PUBLIC,
        kind=OrgKind.CRITICAL_INFRASTRUCTURE,
        vetted=False,
        at=utcnow(),
    )
    html = client.get("/").text
    assert re.search(r'id="orgs-total">5<', html)
    assert "Quayside Port Authority" in html
    assert re.search(r'id="tree-size">\d+<', html)


def test_dashboard_counts_people_of_ones_own_organization_by_role(
    client: TestClient, world: World, sign_in: SignIn
) -> None:
    sign_in(world.people["dispatcher"])
    html = client.get("/").text
    assert "5 active accounts." in html  # org admin, analyst, dispatcher, responder, viewer
    assert "Awaiting vetting" not in html
    assert "Locked accounts" not in html
    assert "Your recent activity" in html
    assert "auth.sign_in.succeeded" in html


def test_an_unvetted_member_sees_only_their_own_organization(
    client: TestClient, world: World, sign_in: SignIn
) -> None:
    sign_in(world.people["pending_admin"])
    html = client.get("/orgs").text
    assert "Bayside Alarm Monitoring" in html
    assert "Port City Police Department" not in html
    assert re.search(r'id="orgs-total">1<', client.get("/").text)
    assert client.get(f"/orgs/{world.police.id}").status_code == 404
