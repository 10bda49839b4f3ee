"""Independent verification of an audit log from its entries, signed heads and public key alone."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from accord.core import merkle
from accord.core.audit.export import decode_signature, leaf_data
from accord.core.audit.signing import (
    key_id_of,
    load_public_key,
    parse_time,
    verify_tree_head_signature,
)

__all__ = ["Problem", "VerificationResult", "verify_log"]

# Stands in for a malformed entry's leaf, so every later root check fails and names it.
_UNREADABLE_LEAF = merkle.leaf_hash(b"accord-audit: unreadable entry")


@dataclass(frozen=True)
class Problem:
    """One finding; `seq` is the (first) entry it names, None when it concerns only heads."""

    seq: int | None
    message: str


@dataclass(frozen=True)
class VerificationResult:
    """What verification found: how much was checked, the recomputed tree, the problems."""

    entries_checked: int
    tree_size: int
    root_hash: bytes | None
    key_id: str
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class _Head:
    size: int
    root: bytes
    key_id: str
    signature_ok: bool


class _Runs:
    """Consecutive numbers gathered into ranges, so a damaged stretch is one line, not many."""

    def __init__(self) -> None:
        self.ranges: list[list[int]] = []

    def add(self, first: int, last: int | None = None) -> None:
        last = first if last is None else last
        if self.ranges and self.ranges[-1][1] + 1 == first:
            self.ranges[-1][1] = last
        else:
            self.ranges.append([first, last])

    def problems(
        self, one: str, many: str, *, seq_of: Callable[[int], int | None]
    ) -> list[Problem]:
        out = []
        for first, last in self.ranges:
            span = str(first) if first == last else f"{first}..{last}"
            out.append(Problem(seq_of(first), (one if first == last else many).format(span)))
        return out


@dataclass
class _Walk:
    """The state of one pass over the entries (in seq order) and the heads (in size order)."""

    key: Ed25519PublicKey
    key_id: str
    frontier: merkle.Frontier = field(default_factory=merkle.Frontier.empty)
    expected: int = 0
    checked: int = 0
    broken: bool = False  # entries are missing: roots beyond the gap cannot be recomputed
    last_head: int = 0
    last_good: int = 0
    first_mismatch: int | None = None
    first_failure: tuple[int, str] | None = None
    problems: list[Problem] = field(default_factory=list)
    altered: _Runs = field(default_factory=_Runs)
    missing: _Runs = field(default_factory=_Runs)
    missing_heads: _Runs = field(default_factory=_Runs)
    bad_signatures: _Runs = field(default_factory=_Runs)
    other_keys: _Runs = field(default_factory=_Runs)

    def entry(self, position: int, entry: Mapping[str, Any]) -> None:
        """Take one entry; one that cannot be placed in the tree is reported and skipped."""
        seq = entry.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            self.problems.append(Problem(None, f"entry #{position} of the log has no valid seq"))
            return
        if seq < self.expected:
            twice = seq == self.expected - 1
            message = "appears more than once" if twice else "out of order"
            self.problems.append(Problem(seq, f"entry {seq}: {message}"))
            return
        if seq > self.expected:
            self.missing.add(self.expected, seq - 1)
            self.broken = True
        leaf = self._leaf(seq, entry)
        if not self.broken:
            self.frontier = self.frontier.append(leaf)
        self.expected = seq + 1
        self.checked += 1

    def _leaf(self, seq: int, entry: Mapping[str, Any]) -> bytes:
        """The leaf hash recomputed from the content, compared with the stored one."""
        try:
            computed = merkle.leaf_hash(leaf_data(entry))
        except ValueError as exc:
            self.problems.append(Problem(seq, f"entry {seq}: malformed ({exc})"))
            return _UNREADABLE_LEAF
        if entry.get("leaf_hash") != computed.hex():
            self.altered.add(seq)
        return computed

    def head(self, head: _Head) -> None:
        """Take one signed head (heads arrive in size order once the entries reach them)."""
        if not self._advance(head.size):
            return
        if head.key_id != self.key_id:
            self.other_keys.add(head.size)
        if not head.signature_ok:
            self.bad_signatures.add(head.size)
            self._fail(head.size, "bad signature")
            return
        if self.broken or head.size != self.frontier.size:
            return
        if head.root == self.frontier.root():
            self.last_good, self.first_failure = head.size, None
        elif self.first_mismatch is None:
            self.first_mismatch = head.size

    def _advance(self, size: int) -> bool:
        """Move to the head of `size`, noting skipped sizes; False if it comes out of order."""
        if size <= self.last_head:
            self.problems.append(Problem(None, f"tree head {size}: out of order or repeated"))
            return False
        if size > self.last_head + 1:
            self.missing_heads.add(self.last_head + 1, size - 1)
            self._fail(self.last_head + 1, "missing")
        self.last_head = size
        return True

    def _fail(self, size: int, reason: str) -> None:
        if self.first_failure is None:
            self.first_failure = (size, reason)

    def malformed_head(self, position: int, size: int | None, error: str) -> None:
        name = f"tree head {size}" if size is not None else f"tree head #{position}"
        self.problems.append(Problem(None, f"{name}: malformed ({error})"))
        if size is not None and size > self.last_head and self._advance(size):
            self._fail(size, "malformed")

    def finish(self) -> VerificationResult:
        if self.last_head > self.expected:
            self.missing.add(self.expected, self.last_head - 1)
            self.broken = True
        problems = [*self.problems, *self._run_problems()]
        located = self._located()
        if located is not None:
            problems.append(located)
        problems.sort(key=lambda p: (p.seq is None, p.seq or 0))
        return VerificationResult(
            entries_checked=self.checked,
            tree_size=self.expected,
            root_hash=None if self.broken else self.frontier.root(),
            key_id=self.key_id,
            problems=tuple(problems),
        )

    def _run_problems(self) -> list[Problem]:
        def entry_seq(n: int) -> int:
            return n

        def head_seq(_: int) -> None:
            return None  # a head problem names no entry by itself

        return [
            *self.altered.problems(
                "entry {}: content does not match its recorded hash",
                "entries {}: content does not match their recorded hashes",
                seq_of=entry_seq,
            ),
            *self.missing.problems(
                "entry missing: {} (later tree heads cannot be recomputed)",
                "entries missing: {} (later tree heads cannot be recomputed)",
                seq_of=entry_seq,
            ),
            *self.missing_heads.problems(
                "tree head missing: {}", "tree heads missing: {}", seq_of=head_seq
            ),
            *self.bad_signatures.problems(
                "tree head {}: bad signature", "tree heads {}: bad signature", seq_of=head_seq
            ),
            *self.other_keys.problems(
                f"tree head {{}}: key_id is not the verifying key's ({self.key_id})",
                f"tree heads {{}}: key_id is not the verifying key's ({self.key_id})",
                seq_of=head_seq,
            ),
        ]

    def _located(self) -> Problem | None:
        """Name the first entry the signed heads no longer vouch for (RFC 9162 §2.1.1 roots)."""
        good = self.last_good
        intact = f" (entries before {good} are intact)" if good else ""
        if self.first_mismatch is not None:
            size = self.first_mismatch
            if good == size - 1:
                return Problem(
                    good,
                    f"entry {good}: first tree head whose root no longer matches is size "
                    f"{size}{intact}",
                )
            return Problem(
                good,
                f"entries {good}..{size - 1}: one of them no longer matches tree head {size}"
                f"{intact}",
            )
        if self.broken or good >= self.expected:
            return None
        size, reason = self.first_failure or (good + 1, "missing")
        return Problem(
            good,
            f"entry {good}: first tree head that fails is size {size} ({reason}); entries from "
            f"{good} on are not covered by a valid signed tree head{intact}",
        )


def _parse_head(record: Mapping[str, Any], key: Ed25519PublicKey) -> _Head:
    """A head record checked against the key; ``ValueError`` if a field is malformed."""
    size = record.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise ValueError("size must be a positive integer")
    root_text = record.get("root_hash")
    if not isinstance(root_text, str) or len(root_text) != 64:
        raise ValueError("root_hash must be 64 hex digits")
    root = bytes.fromhex(root_text)
    at_text = record.get("at")
    if not isinstance(at_text, str):
        raise ValueError("at must be a time")
    at = parse_time(at_text)
    signature = decode_signature(record.get("signature"))
    key_id = record.get("key_id")
    return _Head(
        size=size,
        root=root,
        key_id=key_id if isinstance(key_id, str) else "",
        signature_ok=verify_tree_head_signature(key, size, at, root, signature),
    )


def _heads_upto(
    walk: _Walk, heads: Iterator[tuple[int, Mapping[str, Any]]], pending: list[Any], upto: int
) -> None:
    """Feed the walk every head of size <= `upto`; `pending` holds one head read ahead."""
    while True:
        if not pending:
            nxt = next(heads, None)
            if nxt is None:
                return
            pending.append(nxt)
        position, record = pending[0]
        size = record.get("size") if isinstance(record, Mapping) else None
        if isinstance(size, int) and size > upto:
            return
        pending.clear()
        try:
            walk.head(_parse_head(record, walk.key))
        except ValueError as exc:
            known = size if isinstance(size, int) and not isinstance(size, bool) else None
            walk.malformed_head(position, known, str(exc))


def verify_log(
    entries: Iterable[Mapping[str, Any]],
    heads: Iterable[Mapping[str, Any]],
    public_key: str | bytes | Ed25519PublicKey,
    *,
    on_entry: Callable[[], None] | None = None,
) -> VerificationResult:
    """Verify entry records (seq order) and signed head records (size order), as exported.

    Every leaf hash is recomputed from the entry's content (the stored hash is only compared),
    the tree is rebuilt with a frontier, and each head's signature and root are checked at its
    size: O(n log n) hashing, O(log n) memory. Problems name the entries they concern.
    """
    key = load_public_key(public_key)
    walk = _Walk(key=key, key_id=key_id_of(key))
    head_iter = enumerate(heads, start=1)
    pending: list[Any] = []
    for position, entry in enumerate(entries, start=1):
        walk.entry(position, entry)
        _heads_upto(walk, head_iter, pending, walk.expected)
        if on_entry is not None:
            on_entry()
    _heads_upto(walk, head_iter, pending, 2**63)
    return walk.finish()
