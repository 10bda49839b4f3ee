"""create_app(settings): the one place routers, middleware, templates and errors are wired."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from swagger_ui_bundle import swagger_ui_path

from accord import __version__
from accord.core.bus import Bus, make_bus
from accord.core.clock import Clock, system_clock
from accord.core.db import Database
from accord.core.errors import AccordError
from accord.settings import Settings
from accord.web.metrics import Metrics
from accord.web.middleware import AccordMiddleware
from accord.web.openapi import install_openapi
from accord.web.templating import make_templates

__all__ = ["create_app", "read_session"]

STATIC_DIR = Path(__file__).resolve().parent / "web" / "static"
PROBLEM_JSON = "application/problem+json"


def create_app(
    settings: Settings,
    *,
    db: Database | None = None,
    clock: Clock = system_clock,
    bus: Bus | None = None,
) -> FastAPI:
    """The ASGI application for `settings`; tests pass their own database and clock."""
    database = db or Database(
        settings.effective_database_url, audit_key_path=settings.effective_audit_key_path
    )
    event_bus = bus or make_bus(settings.bus_url)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if bus is None:  # a bus passed in belongs to the caller
            event_bus.close()

    app = FastAPI(
        lifespan=lifespan,
        title="Accord",
        version=__version__,
        summary="Public safety and private security partners working together under agreements.",
        openapi_url="/openapi.json",
        docs_url=None,  # served below from local files: the console works offline
        redoc_url=None,
    )
    metrics = Metrics()
    app.state.settings = settings
    app.state.db = database
    app.state.clock = clock
    app.state.metrics = metrics
    app.state.bus = event_bus
    app.state.templates = make_templates({"app_version": __version__, "settings": settings})

    _install_error_handlers(app)
    _include_routers(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _install_api_docs(app)
    install_openapi(app)
    app.add_middleware(
        AccordMiddleware,
        max_body_bytes=settings.max_body_bytes,
        hsts=settings.secure_cookies,
        metrics=metrics,
    )
    return app


def read_session(request: Request) -> Iterator[Session]:
    """A session for the reads of one request; writes go through service functions."""
    db: Database = request.app.state.db
    with db.reading() as session:
        yield session


def _install_api_docs(app: FastAPI) -> None:
    """Swagger UI at /docs from the swagger-ui-bundle package, never from a CDN."""
    app.mount("/static/swagger", StaticFiles(directory=swagger_ui_path), name="swagger")

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Accord API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )


def _include_routers(app: FastAPI) -> None:
    from accord.agreements import api as agreements_api
    from accord.agreements import views as agreements_views
    from accord.audit import api as audit_api
    from accord.auth import api as auth_api
    from accord.auth import views as auth_views
    from accord.feed import api as feed_api
    from accord.feed import views as feed_views
    from accord.notes import api as notes_api
    from accord.notes import views as notes_views
    from accord.orgs import api as orgs_api
    from accord.orgs import views as orgs_views
    from accord.web import health
    from accord.web import views as web_views

    app.include_router(health.router)
    app.include_router(auth_api.router)
    app.include_router(orgs_api.router)
    app.include_router(audit_api.router)
    app.include_router(agreements_api.router)
    app.include_router(notes_api.router)
    app.include_router(feed_api.router)
    app.include_router(web_views.router)
    app.include_router(auth_views.router)
    app.include_router(orgs_views.router)
    app.include_router(agreements_views.router)
    app.include_router(notes_views.router)
    app.include_router(feed_views.router)


def _wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/taxii2", "/openapi", "/healthz", "/readyz", "/metrics")):
        return False
    return "text/html" in request.headers.get("accept", "")


def _problem(request: Request, status: int, body: dict[str, Any]) -> Response:
    if _wants_html(request):
        from accord.auth.deps import optional_page_user  # auth imports app helpers
        from accord.web.pages import render

        # The signed-in person's navigation stays on error pages (anonymous: none).
        return render(
            request,
            "error.html",
            {"problem": body},
            principal=optional_page_user(request),
            status_code=status,
        )
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _install_error_handlers(app: FastAPI) -> None:
    from accord.auth.deps import RedirectTo

    @app.exception_handler(RedirectTo)
    async def redirect_to(request: Request, exc: RedirectTo) -> Response:
        return RedirectResponse(exc.location, status_code=303)

    @app.exception_handler(AccordError)
    async def accord_error(request: Request, exc: AccordError) -> Response:
        response = _problem(request, exc.status, exc.problem(request.url.path))
        if exc.status == 401 and not _wants_html(request):
            response.headers["www-authenticate"] = 'Bearer realm="accord"'
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            # No `input` echo: a rejected body can hold a password.
            {"field": ".".join(str(p) for p in err.get("loc", ())), "message": err.get("msg", "")}
            for err in exc.errors()
        ]
        body = {
            "type": "urn:accord:problem:invalid",
            "title": "Invalid input",
            "status": 422,
            "detail": "The request does not match what this endpoint accepts.",
            "instance": request.url.path,
            "errors": errors,
        }
        return _problem(request, 422, body)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        body = {
            "type": f"urn:accord:problem:{slug}",
            "title": str(exc.detail) if exc.status_code != 404 else "Not found",
            "status": exc.status_code,
            "detail": "No such page or endpoint." if exc.status_code == 404 else str(exc.detail),
            "instance": request.url.path,
        }
        response = _problem(request, exc.status_code, body)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response
