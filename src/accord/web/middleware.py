"""ASGI middleware: security headers, body limit, request ids, JSON access logs, metrics."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from accord.core.ids import new_secret
from accord.web.metrics import Metrics

__all__ = ["AccordMiddleware"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("accord.access")

# Pages are ours alone: no inline script, no third-party origin, no framing.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI at /docs loads its own bundle inline; it gets a looser policy on that path only.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
SENSITIVE_PREFIXES = (
    "/api/",
    "/account",
    "/admin",
    "/orgs",
    "/people",
    "/audit",
    "/sign-in",
    "/mfa",
    "/invitations",
    "/dashboard",
    "/groups",
    "/tokens",
    "/agreements",
    "/feed",
    "/notes",
)


class AccordMiddleware:
    """One pass around every HTTP request, error responses included."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, hsts: bool, metrics: Metrics) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.hsts = hsts
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = new_secret(9)
        path: str = scope.get("path", "")
        status_holder = {"status": 500}
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await _send_problem(
                send, _too_large(self.max_body_bytes), request_id, self._headers(path)
            )
            self._finish(scope, 413, started, request_id)
            return
        body = await _read_body(receive, self.max_body_bytes)
        if body is None:
            # A body without a length (chunked) that grew past the limit: answered here,
            # before the app, whose body parser would report it as a mere parse error.
            await _send_problem(
                send, _too_large(self.max_body_bytes), request_id, self._headers(path)
            )
            self._finish(scope, 413, started, request_id)
            return
        receive = _replay(body, receive)

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = 1
                headers = list(message.get("headers", []))
                headers.extend(self._headers(path))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            # Answered here, inside this middleware, so a 500 carries the security headers too;
            # the body never includes the exception's text.
            log.exception(
                "unhandled error", extra={"fields": {"request_id": request_id, "path": path}}
            )
            if status_holder.get("started"):
                raise
            status_holder["status"] = 500
            await _send_problem(send, INTERNAL_ERROR, request_id, self._headers(path))
        finally:
            self._finish(scope, status_holder["status"], started, request_id)

    def _headers(self, path: str) -> list[tuple[bytes, bytes]]:
        csp = DOCS_CSP if path in ("/docs", "/redoc") else CSP
        headers = [
            (b"content-security-policy", csp.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=(self)"),
        ]
        if self.hsts:
            headers.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))
        if path == "/" or path.startswith(SENSITIVE_PREFIXES):
            headers.append((b"cache-control", b"no-store"))
        return headers

    def _finish(self, scope: Scope, status: int, started: float, request_id: str) -> None:
        elapsed = time.perf_counter() - started
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        method = scope.get("method", "")
        self.metrics.observe(method, template, status, elapsed)
        # Route templates, not raw paths: raw paths can hold tokens (invitation links).
        log.info(
            "request",
            extra={
                "fields": {
                    "request_id": request_id,
                    "method": method,
                    "route": template,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                }
            },
        )


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None as soon as it passes `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            # The client went away: let the app see the disconnect.
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive() that hands the app the buffered body once, then the real channel."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


INTERNAL_ERROR = {
    "type": "urn:accord:problem:internal",
    "title": "Internal error",
    "status": 500,
    "detail": "Something went wrong on our side; nothing was changed.",
}


def _too_large(limit: int) -> dict[str, Any]:
    return {
        "type": "urn:accord:problem:payload-too-large",
        "title": "Request body too large",
        "status": 413,
        "detail": f"The request body is larger than {limit} bytes.",
    }


async def _send_problem(
    send: Send, problem: dict[str, Any], request_id: str, extra: list[tuple[bytes, bytes]]
) -> None:
    body = json.dumps(problem).encode()
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-request-id", request_id.encode()),
        *extra,
    ]
    await send({"type": "http.response.start", "status": problem["status"], "headers": headers})
    await send({"type": "http.response.body", "body": body})
