"""The append-only, tamper-evident audit log (RFC 9162 Merkle tree with signed tree heads)."""
