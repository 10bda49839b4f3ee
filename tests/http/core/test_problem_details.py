"""Bad requests get RFC 9457 problem details (4xx, never 500) that never echo a password back."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning
from tests.factories import make_person, port_city_police, token_for

from accord.app import create_app
from accord.core.db import Database
from accord.core.ids import new_id
from accord.settings import Settings

if TYPE_CHECKING:
    from httpx import Response
    from tests.conftest import MutableClock

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 and warns (an error here) when it finds httpx; same client.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

PROBLEM = "application/problem+json"
SENTINEL = "Sentinel-Passphrase-Must-Never-Be-Echoed-42"
SIGN_IN = "/api/v1/auth/session"


@pytest.fixture
def client(settings: Settings, db: Database, clock: MutableClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, db=db, clock=clock), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def small_client(settings: Settings, db: Database, clock: MutableClock) -> Iterator[TestClient]:
    small = settings.model_copy(update={"max_body_bytes": 1024})
    with TestClient(create_app(small, db=db, clock=clock), raise_server_exceptions=False) as c:
        yield c


def _problem(response: Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:accord:problem:")
    assert body["title"]
    assert body["detail"]
    assert SENTINEL not in response.text
    return body


def _post_raw(client: TestClient, body: bytes, path: str = SIGN_IN) -> Response:
    return client.post(path, content=body, headers={"content-type": "application/json"})


def test_malformed_json_is_a_422_problem(client: TestClient) -> None:
    raw = b'{"email": "a@b.example", "password": "' + SENTINEL.encode()
    body = _problem(_post_raw(client, raw), 422)
    assert body["type"] == "urn:accord:problem:invalid"


def test_wrong_types_are_a_422_problem_naming_the_fields(client: TestClient) -> None:
    response = client.post(SIGN_IN, json={"email": ["not", "text"], "password": {"p": SENTINEL}})
    fields = {e["field"] for e in _problem(response, 422)["errors"]}
    assert fields == {"body.email", "body.password"}


def test_unknown_fields_are_refused_by_name(client: TestClient) -> None:
    response = client.post(
        SIGN_IN, json={"email": "a@b.example", "password": SENTINEL, "remember_me": SENTINEL}
    )
    errors = _problem(response, 422)["errors"]
    assert [e["field"] for e in errors] == ["body.remember_me"]


def test_a_missing_field_is_named(client: TestClient) -> None:
    errors = _problem(client.post(SIGN_IN, json={"password": SENTINEL}), 422)["errors"]
    assert [e["field"] for e in errors] == ["body.email"]


def test_an_over_long_password_is_refused_without_echo(client: TestClient) -> None:
    response = client.post(SIGN_IN, json={"email": "a@b.example", "password": SENTINEL * 200})
    errors = _problem(response, 422)["errors"]
    assert [e["field"] for e in errors] == ["body.password"]


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"null",
        b"[]",
        b'"text"',
        b"12",
        b"{}",
        b'{"email": null, "password": null}',
        b"\xff\xfe\x00",
        b'{"email": "a@b.example", "password": ""}',
        json.dumps({"email": "x" * 300, "password": SENTINEL}).encode(),
    ],
)
def test_junk_bodies_are_4xx_problems_never_500(client: TestClient, raw: bytes) -> None:
    response = _post_raw(client, raw)
    assert 400 <= response.status_code < 500, response.text
    _problem(response, response.status_code)


def test_a_body_declared_larger_than_the_limit_is_a_413_problem(small_client: TestClient) -> None:
    padding = "x" * 2048
    response = small_client.post(
        SIGN_IN, json={"email": "a@b.example", "password": SENTINEL, "pad": padding}
    )
    body = _problem(response, 413)
    assert body["type"] == "urn:accord:problem:payload-too-large"
    assert "1024" in body["detail"]


def test_a_streamed_body_growing_past_the_limit_is_a_413_problem(small_client: TestClient) -> None:
    # No Content-Length: the middleware counts bytes as the app reads them.
    def chunks() -> Iterator[bytes]:
        yield b'{"email": "a@b.example", "password": "' + SENTINEL.encode() + b'", "pad": "'
        for _ in range(8):
            yield b"x" * 512
        yield b'"}'

    response = small_client.post(
        SIGN_IN, content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    _problem(response, 413)


def test_a_body_at_the_limit_is_read(small_client: TestClient) -> None:
    body = json.dumps({"email": "a@b.example", "password": "x"}).encode()
    body += b" " * (1024 - len(body))
    response = _post_raw(small_client, body)
    assert response.status_code == 401


def test_an_unknown_route_is_a_404_problem(client: TestClient) -> None:
    body = _problem(client.get("/api/v1/no-such-endpoint"), 404)
    assert body["type"] == "urn:accord:problem:not-found"


def test_a_wrong_method_is_a_405_problem(client: TestClient) -> None:
    body = _problem(client.put(SIGN_IN, json={"password": SENTINEL}), 405)
    assert body["type"] == "urn:accord:problem:method-not-allowed"


def test_unknown_and_malformed_ids_are_4xx_problems(client: TestClient, db: Database) -> None:
    person = make_person(db, port_city_police(db))
    headers = {"authorization": f"Bearer {token_for(db, person, ['people:write'])}"}
    _problem(client.delete(f"/api/v1/auth/tokens/{new_id()}", headers=headers), 404)
    bad = _problem(client.delete("/api/v1/auth/tokens/not-a-uuid", headers=headers), 422)
    assert bad["errors"][0]["field"] == "path.token_id"
    _problem(client.post(f"/api/v1/auth/people/{new_id()}/release-lock", headers=headers), 404)


def test_a_browser_gets_an_html_error_page(client: TestClient) -> None:
    response = client.get("/no-such-page", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Not found" in response.text


def test_the_api_answers_problems_even_to_a_browser(client: TestClient) -> None:
    response = client.get("/api/v1/no-such-endpoint", headers={"accept": "text/html"})
    assert response.headers["content-type"] == PROBLEM
