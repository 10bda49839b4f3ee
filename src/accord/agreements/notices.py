"""Messages shown after an agreement page's form succeeds, chosen by a fixed key in the URL."""

from __future__ import annotations

from fastapi import Request

from accord.web.pages import Flash, url_with

__all__ = ["NOTICES", "flashes_for", "notice_url"]

# Fixed texts, so a link cannot make the page say something else.
NOTICES: dict[str, Flash] = {
    "agreement-drafted": Flash(
        "success", "The draft was saved. Propose it to the parties when its terms are agreed."
    ),
    "agreement-saved": Flash("success", "The draft was saved."),
    "agreement-reopened": Flash(
        "warning", "The proposed terms were edited: they are a draft again and must be proposed."
    ),
    "agreement-proposed": Flash(
        "success", "Proposed: an administrator of each party now signs the terms."
    ),
    "agreement-signed": Flash("success", "Signed for your organization."),
    "agreement-in-force": Flash(
        "success", "Signed by every party: the terms are in force and enforced from now on."
    ),
    "agreement-suspended": Flash(
        "success", "Suspended: nothing is shared under it until it is resumed."
    ),
    "agreement-resumed": Flash("success", "Resumed: sharing under the agreement starts again."),
    "agreement-terminated": Flash(
        "success", "Terminated: the next request that relied on it is refused."
    ),
    "agreement-amended": Flash(
        "success", "Amendment started: the version in force stays in force until it is signed."
    ),
    "agreement-withdrawn": Flash("success", "The amendment was withdrawn."),
    "agreement-document": Flash("success", "The signed document was filed with its SHA-256."),
}


def notice_url(path: str, key: str) -> str:
    return url_with(path, notice=f"agreement-{key}")


def flashes_for(request: Request) -> list[Flash]:
    notice = NOTICES.get(request.query_params.get("notice", ""))
    return [notice] if notice else []
