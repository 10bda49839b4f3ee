"""Identifiers generated in Python: time-ordered UUIDs (version 7) and random secrets."""

from __future__ import annotations

import os
import secrets
import time
import uuid

__all__ = ["new_id", "new_secret"]


def new_id() -> uuid.UUID:
    """A UUIDv7 (RFC 9562 §5.7): 48-bit Unix milliseconds, then random bits.

    Time order keeps B-tree inserts local and makes ids usable as a pagination tiebreak.
    """
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= (rand >> 68) << 64  # 12 bits rand_a
    value |= 0b10 << 62  # RFC 9562 variant
    value |= rand & ((1 << 62) - 1)  # 62 bits rand_b
    return uuid.UUID(int=value)


def new_secret(nbytes: int = 32) -> str:
    """A URL-safe random secret for tokens, links and session identifiers."""
    return secrets.token_urlsafe(nbytes)
