"""Liveness, readiness and metrics endpoints for load balancers and Prometheus."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from accord.core.db import Database
from accord.web.metrics import Metrics

__all__ = ["router"]

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The process can serve: its database answers")
def readyz(request: Request) -> JSONResponse:
    db: Database = request.app.state.db
    if db.ping():
        return JSONResponse({"status": "ready", "database": "ok"})
    return JSONResponse({"status": "not ready", "database": "unreachable"}, status_code=503)


@router.get(
    "/metrics",
    summary="Request counts and latency per route (Prometheus text format)",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain; version=0.0.4": {"schema": {"type": "string"}}}}},
)
def metrics(request: Request) -> PlainTextResponse:
    registry: Metrics = request.app.state.metrics
    return PlainTextResponse(registry.render(), media_type="text/plain; version=0.0.4")
