"""Rendering console pages: the shared template context, navigation, notices and form helpers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from accord.core.errors import AccordError
from accord.orgs.domain import Permission, can

__all__ = [
    "NOTICES",
    "Flash",
    "NavItem",
    "detail",
    "field_errors",
    "flashes_for",
    "label",
    "nav_items",
    "parse_enum",
    "redirect",
    "render",
    "safe_next",
    "url_with",
]

E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str


@dataclass(frozen=True)
class Flash:
    """A message above the page: kind is success, info, warning or error."""

    kind: str
    text: str


# Messages a redirect may ask for with ?notice=<key>: fixed texts, so a link cannot inject one.
NOTICES: dict[str, Flash] = {
    "account-created": Flash(
        "success", "Your account is ready. Sign in with your e-mail address and new password."
    ),
    "org-created": Flash("success", "Organization created. It is pending until it is vetted."),
    "org-updated": Flash("success", "The organization's profile was saved."),
    "vetting-changed": Flash("success", "The vetting decision was recorded in the audit log."),
    "role-changed": Flash("success", "The role was changed."),
    "cji-changed": Flash("success", "The CJI clearance was changed."),
    "person-deactivated": Flash("success", "The account was deactivated; its sessions ended."),
    "person-reactivated": Flash("success", "The account was reactivated."),
    "lock-released": Flash("success", "The account lock was released."),
    "mfa-reset": Flash("success", "Two-step sign-in was reset; they enrol again at next sign-in."),
    "invitation-revoked": Flash(
        "success", "The invitation was withdrawn; its link no longer works."
    ),
    "group-created": Flash("success", "The group was created; you coordinate it."),
    "member-added": Flash("success", "The organization joined the group."),
    "member-removed": Flash("success", "The organization left the group."),
}


def nav_items(principal: Any) -> list[NavItem]:
    """The main navigation; later features add their entries here."""
    items = [
        NavItem("/", "Dashboard"),
        NavItem("/feed", "Feed"),
        NavItem("/orgs", "Directory"),
        NavItem("/people", "People"),
        NavItem("/groups", "Groups"),
        NavItem("/agreements", "Agreements"),
    ]
    actor = principal.actor
    if can(actor, Permission.VIEW_AUDIT_ALL) or can(actor, Permission.VIEW_AUDIT_OWN_ORG):
        items.append(NavItem("/audit", "Audit log"))
    items.append(NavItem("/account", "Account"))
    return items


# Values whose plain capitalization reads wrong.
_SPECIAL_LABELS = {"ems": "EMS", "cji": "CJI"}


def label(value: Any) -> str:
    """An enum value as a person reads it: emergency_management -> Emergency management."""
    text = str(getattr(value, "value", value))
    return _SPECIAL_LABELS.get(text) or text.replace("_", " ").capitalize()


def detail(value: Any) -> str:
    """An audit detail as text: strings as they are, other values as JSON (true, [..])."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def flashes_for(request: Request) -> list[Flash]:
    notice = NOTICES.get(request.query_params.get("notice", ""))
    return [notice] if notice else []


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    principal: Any = None,
    status_code: int = 200,
) -> HTMLResponse:
    templates = request.app.state.templates
    values: dict[str, Any] = {
        "principal": principal,
        "nav_items": nav_items,
        "label": label,
        "detail": detail,
        **(context or {}),
    }
    values["flashes"] = [*flashes_for(request), *values.get("flashes", [])]
    response: HTMLResponse = templates.TemplateResponse(
        request, template, values, status_code=status_code
    )
    return response


def safe_next(target: str | None) -> str:
    """Only a path on this site: never another host (open redirect), never a scheme.

    Browsers drop tabs and newlines inside URLs and read a backslash as a slash, so
    `/<tab>/evil.example` would become `//evil.example`: any such character refuses the target.
    """
    if not target or not target.startswith("/") or len(target) > 2000:
        return "/"
    if any(ord(c) < 0x20 or c in "\\\x7f" for c in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return "/"
    return target


def redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)


def url_with(path: str, **params: Any) -> str:
    """`path` with the non-empty `params` as its query string (filters, cursors, notices)."""
    kept = {k: str(v) for k, v in params.items() if v not in (None, "")}
    return f"{path}?{urlencode(kept)}" if kept else path


def parse_enum(enum_cls: type[E], value: str | None) -> E | None:
    """The member whose value is `value`, or None for blank or unknown (an "any" filter)."""
    if not value:
        return None
    try:
        return enum_cls(value)
    except ValueError:
        return None


def _anchor(field: str) -> str:
    """The id of the input a service error names: contacts.2.phone -> contacts-2-phone."""
    parts = field.split(".")
    if parts[0] == "capabilities":
        return "capabilities"
    if parts[0] == "contacts" and len(parts) == 2:
        return f"contacts-{parts[1]}-name"
    return "-".join(parts)


def _label(field: str) -> str:
    """A field's name as a person reads it: contacts.0.phone -> Contact 1 phone."""
    parts = field.split(".")
    if parts[0] == "contacts" and len(parts) > 1 and parts[1].isdigit():
        rest = " ".join(parts[2:])
        return f"Contact {int(parts[1]) + 1} {rest}".strip()
    if parts[0] == "capabilities" and len(parts) > 1 and parts[1].isdigit():
        return f"Capability {int(parts[1]) + 1}"
    return parts[0].replace("_", " ").capitalize()


def field_errors(exc: AccordError) -> list[dict[str, str]]:
    """A service error as an error summary: message, field and the anchor of its input."""
    errors = exc.extensions.get("errors") or []
    summary = [
        {
            "field": str(e.get("field", "")),
            "message": str(e.get("message", "")),
            "anchor": _anchor(str(e.get("field", ""))),
            "label": _label(str(e.get("field", ""))),
        }
        for e in errors
        if isinstance(e, dict) and e.get("field")
    ]
    return summary or [{"field": "", "message": exc.detail, "anchor": "", "label": ""}]
