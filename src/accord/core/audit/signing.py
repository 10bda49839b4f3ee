"""The Ed25519 key that signs audit tree heads, kept in a file outside the database."""

from __future__ import annotations

import hashlib
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)
from sqlalchemy.orm import Session

from accord.core.clock import ensure_utc

__all__ = [
    "TREE_HEAD_FORMAT",
    "AuditSigner",
    "format_time",
    "key_id_of",
    "load_public_key",
    "parse_time",
    "public_key_from_key_file",
    "signer_for",
    "signer_for_session",
    "tree_head_message",
    "verify_tree_head_signature",
]

TREE_HEAD_FORMAT = "accord-audit-tree-head/v1"
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_RAW_KEY_SIZE = 32

_signers: dict[Path, AuditSigner] = {}
_signers_lock = threading.Lock()


def format_time(value: datetime) -> str:
    """The one text form of an instant in leaves and signed heads: UTC, microseconds, ``Z``."""
    if value.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return ensure_utc(value).strftime(_TIME_FORMAT)


def parse_time(text: str) -> datetime:
    """An aware UTC datetime from RFC 3339 text; ``ValueError`` if naive or malformed."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"time {text!r} has no UTC offset")
    return value.astimezone(UTC)


# Not from RFC 9162 (whose §4.10 signs a TLS-encoded TreeHeadDataV2): a plain-text equivalent
# binding the same three values, easy to rebuild in any language.
def tree_head_message(size: int, at: datetime, root: bytes) -> bytes:
    """The exact bytes an Ed25519 signature of a tree head covers (docs/audit.md)."""
    if size < 0 or len(root) != hashlib.sha256().digest_size:
        raise ValueError("a tree head needs a non-negative size and a 32-byte root")
    return f"{TREE_HEAD_FORMAT}\n{size}\n{format_time(at)}\n{root.hex()}".encode("ascii")


def key_id_of(public_key: Ed25519PublicKey) -> str:
    """Lowercase hex SHA-256 of the raw 32-byte public key.

    Like RFC 6962 §3.2's LogID, which hashes the key's DER encoding instead.
    """
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def load_public_key(key: str | bytes | Ed25519PublicKey) -> Ed25519PublicKey:
    """An Ed25519 public key from a PEM text, 32 raw bytes, or the key itself."""
    if isinstance(key, Ed25519PublicKey):
        return key
    if isinstance(key, bytes) and len(key) == _RAW_KEY_SIZE:
        return Ed25519PublicKey.from_public_bytes(key)
    data = key.encode("ascii") if isinstance(key, str) else key
    loaded = load_pem_public_key(data)
    if not isinstance(loaded, Ed25519PublicKey):
        raise ValueError("the public key is not an Ed25519 key")
    return loaded


def verify_tree_head_signature(
    public_key: str | bytes | Ed25519PublicKey,
    size: int,
    at: datetime,
    root: bytes,
    signature: bytes,
) -> bool:
    """True when `signature` is the key's Ed25519 signature of the tree head (size, at, root)."""
    key = load_public_key(public_key)
    try:
        key.verify(signature, tree_head_message(size, at, root))
    except (InvalidSignature, ValueError):
        return False
    return True


class AuditSigner:
    """Signs tree heads with one Ed25519 private key; build it with :func:`signer_for`."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id_of(self.public_key)

    def sign(self, size: int, at: datetime, root: bytes) -> bytes:
        """The 64-byte Ed25519 signature of :func:`tree_head_message`."""
        return self._private_key.sign(tree_head_message(size, at, root))

    def public_key_pem(self) -> str:
        """The public key as a SubjectPublicKeyInfo PEM text."""
        pem = self.public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        return pem.decode("ascii")


def _load_private_key(path: Path) -> Ed25519PrivateKey:
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise RuntimeError(f"the audit key at {path} is not an Ed25519 private key")
    return key


def _create_private_key(path: Path) -> Ed25519PrivateKey:
    """Write a new key to `path` atomically; if another process got there first, load theirs."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.parent.chmod(0o700)  # mkdir's mode is filtered by the umask
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    # A private temporary file, written and synced, then linked into place: the key file either
    # does not exist or is complete, and O_EXCL/link make exactly one racing process win.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, path)
    except FileExistsError:
        return _load_private_key(path)
    finally:
        temporary.unlink(missing_ok=True)
    return key


def signer_for(path: Path) -> AuditSigner:
    """The signer of the key file at `path`, created on first use; read once per process."""
    signer = _signers.get(path)
    if signer is not None:
        return signer
    resolved = path.expanduser().resolve()
    with _signers_lock:
        signer = _signers.get(resolved)
        if signer is None:
            if resolved.exists():
                key = _load_private_key(resolved)
            else:
                key = _create_private_key(resolved)
            signer = _signers[resolved] = AuditSigner(key)
        _signers[path] = signer
        return signer


def signer_for_session(session: Session) -> AuditSigner:
    """The signer named by ``session.info["audit_key_path"]`` (set by :class:`Database`)."""
    path = session.info.get("audit_key_path")
    if path is None:
        raise RuntimeError(
            "this database session has no audit key path; open it with "
            "Database(url, audit_key_path=...) so audit tree heads can be signed"
        )
    return signer_for(Path(path))


def public_key_from_key_file(path: Path) -> Ed25519PublicKey:
    """The public half of an existing key file (private or public PEM); never creates one."""
    data = path.read_bytes()
    if b"PRIVATE KEY" in data:
        key = load_pem_private_key(data, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} does not hold an Ed25519 key")
        return key.public_key()
    return load_public_key(data)
