"""The Jinja environment: templates from web/ and from every feature's templates/ folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

__all__ = ["FEATURE_TEMPLATE_DIRS", "make_templates"]

ROOT = Path(__file__).resolve().parent.parent
FEATURE_TEMPLATE_DIRS = ("web", "auth", "orgs", "audit", "agreements", "notes", "feed")


def make_templates(globals_: dict[str, Any]) -> Jinja2Templates:
    """Templates with autoescaping on, looking in each feature's `templates/` folder."""
    loaders = [
        FileSystemLoader(str(ROOT / d / "templates"))
        for d in FEATURE_TEMPLATE_DIRS
        if (ROOT / d / "templates").is_dir()
    ]
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(globals_)
    return Jinja2Templates(env=env)
