"""Fixtures of the feed tests: the same world as the notes tests."""

from __future__ import annotations

from tests.http.notes.conftest import app, auth, client, sign_in, world

__all__ = ["app", "auth", "client", "sign_in", "world"]
