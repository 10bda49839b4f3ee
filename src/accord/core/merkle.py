"""Merkle tree hashes, proofs and their verification per RFC 9162 section 2.1, with SHA-256."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "EMPTY_ROOT",
    "Frontier",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_from_leaves",
    "verify_consistency",
    "verify_inclusion",
]

_HASH_SIZE = 32
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_LOWER_HEX = frozenset("0123456789abcdef")

# RFC 9162 §2.1.1: the hash of an empty list is the hash of an empty string, MTH({}) = HASH().
EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()


# RFC 9162 §2.1.1: MTH({d(0)}) = HASH(0x00 || d(0)).
def leaf_hash(data: bytes) -> bytes:
    """Return the Merkle tree hash of a single entry (the leaf hash)."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


# RFC 9162 §2.1.1: MTH(D_n) = HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n])).
def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the hash of an interior node from the hashes of its two children."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


# RFC 9162 §2.1.1: k is the largest power of two smaller than n.
def _split(n: int) -> int:
    """Return the largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


# RFC 9162 §2.1.1: MTH(D_n), computed bottom-up.
def root_from_leaves(leaf_hashes: Sequence[bytes]) -> bytes:
    """Return the tree head MTH over entries whose leaf hashes are given, in order.

    Works level by level in O(n) time without recursion: pairing neighbours and carrying
    an odd last node up unchanged builds exactly the tree of the RFC's recursive definition,
    since every left subtree in that definition is perfect.
    """
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


# RFC 9162 §2.1.3.2 step 1 and §2.1.4.2 preconditions: sizes and indices are unsigned.
def _check_size(name: str, value: int) -> None:
    """Raise ``ValueError`` unless ``value`` is a non-negative tree size or index."""
    if value < 0:
        raise ValueError(f"{name} must be non-negative, got {value}")


# RFC 9162 §2.1.3.1 and §2.1.3.2 step 1: 0 <= m < n.
def _check_index(index: int, size: int) -> None:
    """Raise ``ValueError`` unless ``0 <= index < size``."""
    _check_size("index", index)
    _check_size("size", size)
    if index >= size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")


# RFC 9162 §2.1.4.1 and §2.1.4.2: 0 <= m <= n (the RFC itself requires 0 < m < n).
def _check_sizes(old_size: int, new_size: int) -> None:
    """Raise ``ValueError`` unless ``0 <= old_size <= new_size``."""
    _check_size("old_size", old_size)
    _check_size("new_size", new_size)
    if old_size > new_size:
        raise ValueError(f"old_size {old_size} is larger than new_size {new_size}")


# RFC 9162 §2.1.1: the perfect subtrees MTH(D[0:k]), ... whose right fold is MTH(D_n).
@dataclass(frozen=True, slots=True)
class Frontier:
    """Compact state of an append-only Merkle tree: the roots of its perfect subtrees.

    ``hashes`` holds, left to right, the root of one perfect subtree per set bit of ``size``
    (largest first), which is all that is needed to append leaves and compute the tree head.
    """

    size: int
    hashes: tuple[bytes, ...]

    # RFC 9162 §2.1.1: one perfect subtree of 2^i leaves per set bit i of n.
    def __post_init__(self) -> None:
        _check_size("size", self.size)
        if len(self.hashes) != self.size.bit_count():
            raise ValueError(
                f"a frontier of size {self.size} holds {self.size.bit_count()} hashes, "
                f"got {len(self.hashes)}"
            )
        if any(len(h) != _HASH_SIZE for h in self.hashes):
            raise ValueError(f"frontier hashes must be {_HASH_SIZE} bytes long")

    # RFC 9162 §2.1.1: the empty list D_0.
    @classmethod
    def empty(cls) -> Frontier:
        """Return the frontier of the empty tree."""
        return cls(size=0, hashes=())

    # RFC 9162 §2.1.1: appending d(n) merges equal-sized perfect subtrees, right to left.
    def append(self, leaf_hash: bytes) -> Frontier:
        """Return the frontier after appending one leaf (given by its leaf hash), O(log n)."""
        if len(leaf_hash) != _HASH_SIZE:
            raise ValueError(f"a leaf hash must be {_HASH_SIZE} bytes long")
        hashes = list(self.hashes)
        carry = leaf_hash
        size = self.size
        while size & 1:
            carry = node_hash(hashes.pop(), carry)
            size >>= 1
        hashes.append(carry)
        return Frontier(size=self.size + 1, hashes=tuple(hashes))

    # RFC 9162 §2.1.1: MTH(D_n) from the perfect subtrees D[0:k], then the rest, right fold.
    def root(self) -> bytes:
        """Return the tree head MTH of all leaves appended so far."""
        if not self.hashes:
            return EMPTY_ROOT
        result = self.hashes[-1]
        for subtree in reversed(self.hashes[:-1]):
            result = node_hash(subtree, result)
        return result

    # Not from RFC 9162: storage encoding of the §2.1.1 subtree hashes.
    def to_json(self) -> dict[str, int | list[str]]:
        """Return a JSON-ready mapping, hashes as lowercase hex."""
        return {"size": self.size, "hashes": [h.hex() for h in self.hashes]}

    # Not from RFC 9162: inverse of to_json, validated.
    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Frontier:
        """Rebuild a frontier from :meth:`to_json` output; ``ValueError`` if malformed."""
        size = data.get("size")
        hashes = data.get("hashes")
        if not isinstance(size, int) or isinstance(size, bool):
            raise ValueError("frontier JSON needs an integer 'size'")
        if not isinstance(hashes, list) or not all(isinstance(h, str) for h in hashes):
            raise ValueError("frontier JSON needs a list of hex strings 'hashes'")
        decoded: list[bytes] = []
        for text in hashes:
            if len(text) != 2 * _HASH_SIZE or not set(text) <= _LOWER_HEX:
                raise ValueError(f"frontier hash is not {2 * _HASH_SIZE} lowercase hex digits")
            decoded.append(bytes.fromhex(text))
        return cls(size=size, hashes=tuple(decoded))


# RFC 9162 §2.1.3.1: PATH(m, D_n), walked from the root down, then reversed.
def inclusion_proof(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Return the inclusion proof (audit path) for leaf ``index`` in the tree of ``leaf_hashes``.

    Raises ``ValueError`` unless ``0 <= index < len(leaf_hashes)``.
    """
    _check_index(index, len(leaf_hashes))
    lo, hi = 0, len(leaf_hashes)
    path: list[bytes] = []
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            # PATH(m, D_n) = PATH(m, D[0:k]) : MTH(D[k:n])
            path.append(root_from_leaves(leaf_hashes[lo + k : hi]))
            hi = lo + k
        else:
            # PATH(m, D_n) = PATH(m - k, D[k:n]) : MTH(D[0:k])
            path.append(root_from_leaves(leaf_hashes[lo : lo + k]))
            lo = lo + k
    path.reverse()
    return path


# RFC 9162 §2.1.3.2: the iterative verification with fn and sn.
def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """Return whether ``proof`` shows the leaf hash ``leaf`` at ``index`` in the tree ``root``.

    ``leaf`` is the leaf hash (see :func:`leaf_hash`), not the entry itself. Raises
    ``ValueError`` unless ``0 <= index < size``, where the RFC merely fails verification.
    """
    _check_index(index, size)
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


# RFC 9162 §2.1.4.1: PROOF(m, D_n) = SUBPROOF(m, D_n, true), walked down, then reversed.
def consistency_proof(old_size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Return the proof that the tree of the first ``old_size`` leaves prefixes ``leaf_hashes``.

    The proof is empty when ``old_size`` is 0 or ``len(leaf_hashes)``. Raises ``ValueError``
    unless ``0 <= old_size <= len(leaf_hashes)``.
    """
    _check_sizes(old_size, len(leaf_hashes))
    if old_size == 0:
        return []
    lo, hi, m, complete = 0, len(leaf_hashes), old_size, True
    tail: list[bytes] = []
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            # SUBPROOF(m, D_n, b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
            tail.append(root_from_leaves(leaf_hashes[lo + k : hi]))
            hi = lo + k
        else:
            # SUBPROOF(m, D_n, b) = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
            tail.append(root_from_leaves(leaf_hashes[lo : lo + k]))
            lo, m, complete = lo + k, m - k, False
    # SUBPROOF(m, D[m], true) = {} and SUBPROOF(m, D[m], false) = {MTH(D[m])}
    head = [] if complete else [root_from_leaves(leaf_hashes[lo:hi])]
    return head + tail[::-1]


# RFC 9162 §2.1.4.2, steps 2 to 6: fold the path into the old and the new root.
def _consistency_roots(old_size: int, new_size: int, path: list[bytes]) -> tuple[bytes, bytes, int]:
    """Return ``(fr, sr, sn)`` computed from a consistency path (with any prepended hash)."""
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return fr, sr, -1
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr, sr, sn


# RFC 9162 §2.1.4.2: consistency proof verification.
def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Return whether ``proof`` shows the tree ``old_root`` is a prefix of ``new_root``.

    Raises ``ValueError`` unless ``0 <= old_size <= new_size``. Cases outside the RFC's
    ``0 < old_size < new_size``: equal sizes verify iff the proof is empty and the roots are
    equal; from an empty tree (``old_size == 0``) the proof must be empty and ``old_root``
    must be :data:`EMPTY_ROOT`, while ``new_root`` is unconstrained (the empty tree is a
    prefix of every tree) unless ``new_size`` is 0 too.
    """
    _check_sizes(old_size, new_size)
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT and (new_size > 0 or new_root == EMPTY_ROOT)
    if old_size == new_size:
        return not proof and old_root == new_root
    # Step 1: an empty path fails.
    if not proof:
        return False
    path = list(proof)
    # Step 2: if old_size is an exact power of two, prepend old_root.
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fr, sr, sn = _consistency_roots(old_size, new_size, path)
    # Step 7.
    return sn == 0 and fr == old_root and sr == new_root
