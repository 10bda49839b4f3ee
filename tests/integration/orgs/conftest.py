"""Fixtures of the organization tests: cheap argon2id parameters so accounts are quick to make."""

from __future__ import annotations
