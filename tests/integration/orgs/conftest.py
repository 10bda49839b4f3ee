"""Fixtures of the organization tests: cheap argon2id parameters so accounts are quick to make."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from accord.core import security


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    # Still argon2id, at a tenth of the cost: these tests make dozens of accounts.
    monkeypatch.setattr(
        security, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
