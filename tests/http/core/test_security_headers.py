"""Security headers on every response, error responses included; HSTS only over HTTPS."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

from accord.app import create_app
from accord.core.db import Database
from accord.settings import Settings

if TYPE_CHECKING:
    from httpx import Response
    from tests.conftest import MutableClock

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 and warns (an error here) when it finds httpx; same client.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

HTML = {"accept": "text/html"}
EXPLODING_PATH = "/api/v1/test-only/explode"


def _explode() -> None:
    msg = "a bug in a route: the kind of failure the 500 handler is for"
    raise RuntimeError(msg)


def _app(settings: Settings, db: Database, clock: MutableClock) -> FastAPI:
    app = create_app(settings, db=db, clock=clock)
    # A route of the test's own that fails, to see the real error path; nothing else is replaced.
    app.add_api_route(EXPLODING_PATH, _explode, methods=["GET"])
    app.add_api_route("/account/test-only/explode", _explode, methods=["GET"])
    return app


@pytest.fixture
def client(settings: Settings, db: Database, clock: MutableClock) -> Iterator[TestClient]:
    with TestClient(_app(settings, db, clock), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def secure_client(settings: Settings, db: Database, clock: MutableClock) -> Iterator[TestClient]:
    secure = Settings(
        data_dir=settings.data_dir,
        database_url=settings.database_url,
        audit_key_path=settings.audit_key_path,
        field_key_path=settings.field_key_path,
        cookie_secure=True,
    )
    app = _app(secure, db, clock)
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as c:
        yield c


def _assert_security_headers(response: Response) -> None:
    csp = response.headers.get("content-security-policy", "")
    assert "default-src 'self'" in csp, response.headers
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers.get("x-content-type-options") == "nosniff"
    assert response.headers.get("referrer-policy") == "no-referrer"
    assert response.headers.get("x-frame-options") == "DENY"


REQUESTS = [
    pytest.param("GET", "/healthz", {}, None, 200, id="ok"),
    pytest.param("GET", "/sign-in", HTML, None, 200, id="console-page"),
    pytest.param("GET", "/account", HTML, None, 303, id="redirect-to-sign-in"),
    pytest.param("GET", "/api/v1/auth/me", {}, None, 401, id="unauthorized"),
    pytest.param("GET", "/api/v1/no-such-endpoint", {}, None, 404, id="api-404"),
    pytest.param("GET", "/no-such-page", HTML, None, 404, id="html-404"),
    pytest.param("GET", "/api/v1/auth/session", {}, None, 405, id="405"),
    pytest.param(
        "POST", "/api/v1/auth/session", {"content-type": "application/json"}, b"{", 422, id="422"
    ),
]


@pytest.mark.parametrize(("method", "path", "headers", "body", "status"), REQUESTS)
def test_every_response_carries_the_security_headers(
    client: TestClient,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes | None,
    status: int,
) -> None:
    response = client.request(method, path, headers=headers, content=body, follow_redirects=False)
    assert response.status_code == status
    _assert_security_headers(response)
    assert "strict-transport-security" not in response.headers  # plain HTTP: no HSTS


def test_a_too_large_body_answer_carries_the_security_headers(
    settings: Settings, db: Database, clock: MutableClock
) -> None:
    small = settings.model_copy(update={"max_body_bytes": 1024})
    with TestClient(create_app(small, db=db, clock=clock)) as client:
        response = client.post(
            "/api/v1/auth/session",
            content=b"x" * 2048,
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 413
    _assert_security_headers(response)
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("path", [EXPLODING_PATH, "/account/test-only/explode"])
def test_a_server_error_carries_the_security_headers(client: TestClient, path: str) -> None:
    # Starlette runs the handler of `Exception` in ServerErrorMiddleware, outside every
    # middleware added with add_middleware, so AccordMiddleware never sees this response.
    response = client.get(path)
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    _assert_security_headers(response)
    assert response.headers.get("cache-control") == "no-store"


def test_a_server_error_tells_nothing_of_its_cause(client: TestClient) -> None:
    response = client.get(EXPLODING_PATH)
    body = response.json()
    assert (body["status"], body["type"]) == (500, "urn:accord:problem:internal")
    assert "RuntimeError" not in response.text
    assert "a bug in a route" not in response.text


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/api/v1/auth/me", {}),
        ("/api/v1/no-such-endpoint", {}),
        ("/sign-in", HTML),
        ("/account", HTML),
        ("/mfa", HTML),
    ],
)
def test_sensitive_pages_and_api_answers_are_never_cached(
    client: TestClient, path: str, headers: dict[str, str]
) -> None:
    response = client.get(path, headers=headers, follow_redirects=False)
    assert response.headers["cache-control"] == "no-store"


def test_a_request_id_comes_back_on_every_response(client: TestClient) -> None:
    first = client.get("/healthz").headers["x-request-id"]
    second = client.get("/no-such-page").headers["x-request-id"]
    assert first
    assert first != second


@pytest.mark.parametrize(
    ("path", "status"), [("/healthz", 200), ("/no-such-page", 404), ("/api/v1/auth/me", 401)]
)
def test_over_https_every_response_carries_hsts(
    secure_client: TestClient, path: str, status: int
) -> None:
    response = secure_client.get(path)
    assert response.status_code == status
    hsts = response.headers["strict-transport-security"]
    assert "max-age=63072000" in hsts
    assert "includeSubDomains" in hsts
    _assert_security_headers(response)


def test_over_https_a_server_error_carries_hsts(secure_client: TestClient) -> None:
    response = secure_client.get(EXPLODING_PATH)
    assert response.status_code == 500
    assert "strict-transport-security" in response.headers
