"""Console home: the dashboard of figures and next steps for the signed-in person."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from accord.agreements.queries import expiry_warnings
from accord.app import read_session
from accord.audit import views as audit_views
from accord.auth.deps import Principal, page_user
from accord.orgs.domain import (
    Permission,
    Role,
    can,
    can_edit_organization,
    can_manage_people_of,
)
from accord.web.dashboard import Figures, load_figures
from accord.web.pages import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
# The audit viewer is a console page too; app.py wires only this router for the shell.
router.include_router(audit_views.router)


@dataclass(frozen=True)
class Step:
    """A suggestion on the welcome block: what to do, and where."""

    text: str
    href: str
    link: str


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def next_steps(principal: Principal, figures: Figures) -> list[Step]:
    """What this person could do next, from the figures rather than a fixed list."""
    actor, org = principal.actor, figures.org
    steps: list[Step] = []
    if figures.awaiting_vetting:
        n = len(figures.awaiting_vetting)
        waiting = f"{n}{'+' if figures.awaiting_more else ''} " + _plural(
            n, "organization waits", "organizations wait"
        )
        steps.append(Step(f"{waiting} for vetting.", "/orgs?vetting=pending", "Review them"))
    if figures.locked_total:
        locked = f"{figures.locked_total} " + _plural(
            figures.locked_total, "account is", "accounts are"
        )
        steps.append(Step(f"{locked} locked after failed sign-ins.", "#locked", "See who"))
    if not principal.mfa_enabled:
        steps.append(Step("Protect your account with two-step sign-in.", "/account", "Set it up"))
    if can_manage_people_of(actor, actor.org_id) and figures.people_total <= 1:
        text = "You are the only member of your organization here."
        steps.append(Step(text, "/people", "Invite colleagues"))
    if can_edit_organization(actor, actor.org_id) and not (org.contacts and org.capabilities):
        text = "Your organization's profile lacks contacts or capabilities."
        steps.append(Step(text, f"/orgs/{org.id}/edit", "Complete the profile"))
    if not actor.org_vetted:
        text = "Your organization is not vetted yet, so you see only its own records."
        steps.append(Step(text, f"/orgs/{org.id}", "See its status"))
    text = "Find a partner agency or security organization."
    steps.append(Step(text, "/orgs", "Open the directory"))
    return steps


def _expiring_agreements(request: Request, principal: Principal, session: Session) -> list[Any]:
    """Warnings 30, 7 and 1 days before an agreement expires, for the admins of its parties."""
    actor = principal.actor
    if can(actor, Permission.MANAGE_PLATFORM):
        org_id = None  # the partnership coordinator watches every agreement
    elif actor.role is Role.ORG_ADMIN:
        org_id = principal.org_id
    else:
        return []
    return expiry_warnings(session, org_id, request.app.state.clock())


@router.get("/")
def dashboard(
    request: Request,
    principal: Annotated[Principal, Depends(page_user)],
    session: Annotated[Session, Depends(read_session)],
) -> Response:
    figures = load_figures(session, principal.actor)
    return render(
        request,
        "dashboard.html",
        {
            "figures": figures,
            "expiring": _expiring_agreements(request, principal, session),
            "steps": next_steps(principal, figures),
            "may_vet": can(principal.actor, Permission.VET_ORGANIZATIONS),
        },
        principal=principal,
    )
