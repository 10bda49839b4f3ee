"""A pure, in-memory audit log built exactly as the service builds one, for verification tests."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from accord.core import merkle
from accord.core.audit.export import leaf_data
from accord.core.audit.signing import AuditSigner, format_time

__all__ = ["START", "MemoryLog", "new_signer"]

START = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)


def new_signer() -> AuditSigner:
    return AuditSigner(Ed25519PrivateKey.generate())


@dataclass
class MemoryLog:
    """Entry and signed-head records in the export format, appended one at a time."""

    signer: AuditSigner = field(default_factory=new_signer)
    entries: list[dict[str, Any]] = field(default_factory=list)
    heads: list[dict[str, Any]] = field(default_factory=list)
    frontier: merkle.Frontier = field(default_factory=merkle.Frontier.empty)

    @classmethod
    def of_size(cls, n: int) -> MemoryLog:
        log = cls()
        for _ in range(n):
            log.append()
        return log

    def append(self, **fields: Any) -> dict[str, Any]:
        seq = len(self.entries)
        at = START + timedelta(seconds=seq)
        entry: dict[str, Any] = {
            "kind": "entry",
            "seq": seq,
            "at": format_time(at),
            "action": "test.entry.made",
            "actor_id": str(uuid.UUID(int=seq + 1)),
            "actor_label": f"person{seq}@example.org",
            "org_id": None,
            "target_type": "thing",
            "target_id": str(seq),
            "details": {"n": seq},
            "ip": "192.0.2.1",
        }
        entry.update(fields)
        leaf = merkle.leaf_hash(leaf_data(entry))
        entry["leaf_hash"] = leaf.hex()
        self.frontier = self.frontier.append(leaf)
        root = self.frontier.root()
        self.entries.append(entry)
        self.heads.append(
            {
                "kind": "tree_head",
                "size": self.frontier.size,
                "root_hash": root.hex(),
                "at": format_time(at),
                "key_id": self.signer.key_id,
                "signature": base64.b64encode(
                    self.signer.sign(self.frontier.size, at, root)
                ).decode(),
            }
        )
        return entry

    def rewrite_roots_from(self, seq: int) -> None:
        """What a tamperer without the key can do: recompute stored roots from the leaves."""
        leaves = [bytes.fromhex(e["leaf_hash"]) for e in self.entries]
        frontier = merkle.Frontier.empty()
        for leaf in leaves:
            frontier = frontier.append(leaf)
            if frontier.size > seq:
                self.heads[frontier.size - 1]["root_hash"] = frontier.root().hex()
