"""Rendering console pages: the template context every page shares, and the navigation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from accord.orgs.domain import Permission, can

__all__ = ["NavItem", "nav_items", "redirect", "render", "safe_next"]


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str


def nav_items(principal: Any) -> list[NavItem]:
    """The main navigation; later features add their entries here."""
    items = [
        NavItem("/", "Dashboard"),
        NavItem("/orgs", "Directory"),
        NavItem("/people", "People"),
        NavItem("/groups", "Groups"),
    ]
    actor = principal.actor
    if can(actor, Permission.VIEW_AUDIT_ALL) or can(actor, Permission.VIEW_AUDIT_OWN_ORG):
        items.append(NavItem("/audit", "Audit log"))
    items.append(NavItem("/account", "Account"))
    return items


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    principal: Any = None,
    status_code: int = 200,
) -> HTMLResponse:
    templates = request.app.state.templates
    values = {"principal": principal, "nav_items": nav_items, **(context or {})}
    response: HTMLResponse = templates.TemplateResponse(
        request, template, values, status_code=status_code
    )
    return response


def safe_next(target: str | None) -> str:
    """Only a path on this site: never another host (open redirect), never a scheme."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)
