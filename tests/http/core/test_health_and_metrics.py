"""Liveness, readiness and Prometheus metrics labelled by route template, never by raw path."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from accord.app import create_app
from accord.core.db import Database
from accord.core.ids import new_id
from accord.settings import Settings

if TYPE_CHECKING:
    from tests.conftest import MutableClock

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 and warns (an error here) when it finds httpx; same client.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

SAMPLE = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [0-9.e+-]+$")


@pytest.fixture
def client(settings: Settings, db: Database, clock: MutableClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, db=db, clock=clock), raise_server_exceptions=False) as c:
        yield c


def test_healthz_answers_ok(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_answers_ready_when_the_database_answers(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "database": "ok"}


def test_readyz_answers_503_when_the_database_does_not(
    settings: Settings, clock: MutableClock
) -> None:
    unreachable = Database("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    try:
        with TestClient(create_app(settings, db=unreachable, clock=clock)) as client:
            response = client.get("/readyz")
    finally:
        unreachable.dispose()
    assert response.status_code == 503
    assert response.json()["status"] == "not ready"


def test_metrics_are_prometheus_text(client: TestClient) -> None:
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    lines = response.text.splitlines()
    assert "# TYPE accord_http_requests_total counter" in lines
    assert "# TYPE accord_http_request_duration_seconds histogram" in lines
    for line in lines:
        assert line.startswith("#") or SAMPLE.match(line), line
    assert 'accord_http_requests_total{method="GET",route="/healthz",status="200"} 1' in lines


def test_requests_are_counted_by_route_template_not_raw_path(client: TestClient) -> None:
    token_id = new_id()
    client.delete(f"/api/v1/auth/tokens/{token_id}")
    text = client.get("/metrics").text
    assert (
        'accord_http_requests_total{method="DELETE",route="/api/v1/auth/tokens/{token_id}",'
        'status="401"} 1'
    ) in text
    assert str(token_id) not in text


def test_unmatched_paths_are_counted_together_without_their_text(client: TestClient) -> None:
    client.get("/invitations-typo/secret-invitation-token-abc123")
    client.get("/another/missing/page")
    text = client.get("/metrics").text
    assert 'accord_http_requests_total{method="GET",route="unmatched",status="404"} 2' in text
    assert "secret-invitation-token-abc123" not in text


def test_the_duration_histogram_counts_every_request(client: TestClient) -> None:
    for _ in range(3):
        client.get("/healthz")
    text = client.get("/metrics").text
    assert 'accord_http_request_duration_seconds_count{method="GET",route="/healthz"} 3' in text
    assert (
        'accord_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="+Inf"} 3'
    ) in text
