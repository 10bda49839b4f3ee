"""Security primitives: argon2id passwords, password policy, token digests, TOTP, sealed fields."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "FieldCipher",
    "PasswordPolicy",
    "TotpCheck",
    "check_totp",
    "digest",
    "hash_password",
    "new_recovery_codes",
    "new_totp_secret",
    "password_needs_rehash",
    "totp_uri",
    "verify_password",
]

# argon2id with RFC 9106 §4's second recommended option (64 MiB, 3 passes) tuned for 2 cores.
_HASHER = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=2)
# A valid hash to verify against when the account does not exist, so timing does not tell.
_DUMMY_HASH = _HASHER.hash("accord-timing-equaliser")

TOTP_PERIOD = 30
TOTP_ISSUER = "Accord"


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches; spends the same time when there is no stored hash."""
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_needs_rehash(stored_hash: str) -> bool:
    return _HASHER.check_needs_rehash(stored_hash)


def digest(secret: str) -> str:
    """SHA-256 hex of a high-entropy secret (tokens, session ids, links): a fast keyed lookup.

    Such secrets carry 256 bits of randomness, so a slow password hash adds nothing but latency.
    """
    return hashlib.sha256(secret.encode()).hexdigest()


@lru_cache(maxsize=4)
def _breached_list(extra_file: Path | None) -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    words = {w.lower() for w in FREQUENCY_LISTS["passwords"]}
    if extra_file is not None:
        with extra_file.open(encoding="utf-8", errors="replace") as fh:
            words.update(line.strip().lower() for line in fh if line.strip())
    return frozenset(words)


@dataclass(frozen=True)
class PasswordPolicy:
    """NIST SP 800-63B §5.1.1.2 as the CJIS Security Policy adopts it: length and blocklist only."""

    min_length: int = 12
    max_length: int = 1024
    breached_file: Path | None = None

    def problems(self, password: str, context: Iterable[str] = ()) -> list[str]:
        """Why `password` is refused; empty when it is accepted exactly as typed."""
        found: list[str] = []
        if len(password) < self.min_length:
            found.append(f"Use at least {self.min_length} characters; a passphrase is best.")
        if len(password) > self.max_length:
            found.append(f"Use at most {self.max_length} characters.")
        lowered = password.lower()
        if lowered in _breached_list(self.breached_file):
            found.append("This password appears in lists of breached passwords; choose another.")
        elif len(set(password)) <= 2:
            found.append("Use more than two different characters.")
        words = {w for item in context for w in re.split(r"\W+", item.lower()) if len(w) >= 4}
        if any(word in lowered for word in words):
            found.append("Do not use your name or e-mail address in your password.")
        return found


def new_totp_secret() -> str:
    return pyotp.random_base32(length=32)


def totp_uri(secret: str, account: str) -> str:
    return pyotp.TOTP(secret, interval=TOTP_PERIOD).provisioning_uri(
        name=account, issuer_name=TOTP_ISSUER
    )


@dataclass(frozen=True)
class TotpCheck:
    ok: bool
    step: int | None


def check_totp(secret: str, code: str, at: datetime, last_step: int | None) -> TotpCheck:
    """RFC 6238 check allowing one step of clock drift; a code already used is refused (§5.2)."""
    code = code.strip().replace(" ", "")
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return TotpCheck(False, None)
    totp = pyotp.TOTP(secret, interval=TOTP_PERIOD)
    now_step = int(at.timestamp()) // TOTP_PERIOD
    for step in (now_step, now_step - 1, now_step + 1):
        if last_step is not None and step <= last_step:
            continue
        expected = totp.at(step * TOTP_PERIOD)
        if hmac.compare_digest(expected, code):
            return TotpCheck(True, step)
    return TotpCheck(False, None)


def new_recovery_codes(count: int = 10) -> list[str]:
    """Codes like `7kq3-vx9m-2hpa`: 60 bits each, easy to read aloud and type."""
    alphabet = "23456789abcdefghjkmnpqrstuvwxyz"
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(alphabet) for _ in range(12))
        codes.append(f"{raw[0:4]}-{raw[4:8]}-{raw[8:12]}")
    return codes


class FieldCipher:
    """AES-256-GCM for secrets kept in the database (TOTP seeds), keyed from a file outside it."""

    PREFIX = "v1:"

    def __init__(self, key_path: Path) -> None:
        self._aead = AESGCM(_load_or_create_key(key_path))

    def seal(self, plaintext: str, context: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return self.PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, token: str, context: str) -> str:
        if not token.startswith(self.PREFIX):
            msg = "unknown sealed-field format"
            raise ValueError(msg)
        raw = base64.urlsafe_b64decode(token[len(self.PREFIX) :].encode())
        return self._aead.decrypt(raw[:12], raw[12:], context.encode()).decode()


def _load_or_create_key(path: Path) -> bytes:
    if path.exists():
        key = base64.b64decode(path.read_bytes().strip())
        if len(key) != 32:
            msg = f"{path} does not hold a 256-bit key"
            raise ValueError(msg)
        return key
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = AESGCM.generate_key(bit_length=256)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(base64.b64encode(key) + b"\n")
    return key
