"""Independent verification of an audit log names exactly the entries that were tampered with."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.unit.core.audit_log import MemoryLog, new_signer

from accord.core import merkle
from accord.core.audit.export import leaf_data
from accord.core.audit.verify import VerificationResult, verify_log


def verify(log: MemoryLog, **overrides: Any) -> VerificationResult:
    key = overrides.get("key", log.signer.public_key_pem())
    entries = overrides.get("entries", log.entries)
    heads = overrides.get("heads", log.heads)
    return verify_log(entries, heads, key)


def messages(result: VerificationResult) -> list[str]:
    return [p.message for p in result.problems]


def test_an_intact_log_verifies_with_its_size_and_root() -> None:
    log = MemoryLog.of_size(13)
    result = verify(log)
    assert result.ok, messages(result)
    assert result.entries_checked == 13
    assert result.tree_size == 13
    assert result.root_hash == log.frontier.root()
    assert result.key_id == log.signer.key_id


def test_an_empty_log_verifies() -> None:
    result = verify(MemoryLog())
    assert result.ok
    assert result.tree_size == 0
    assert result.root_hash == merkle.EMPTY_ROOT


def test_altered_content_is_named_by_its_hash_and_by_the_first_failing_head() -> None:
    log = MemoryLog.of_size(50)
    log.entries[41]["details"] = {"n": 41, "note": "nothing to see"}
    result = verify(log)
    assert messages(result) == [
        "entry 41: content does not match its recorded hash",
        "entry 41: first tree head whose root no longer matches is size 42 "
        "(entries before 41 are intact)",
    ]
    assert {p.seq for p in result.problems} == {41}


def test_altered_content_with_a_rewritten_leaf_hash_is_still_named() -> None:
    log = MemoryLog.of_size(50)
    log.entries[17]["actor_label"] = "someone.else@example.org"
    log.entries[17]["leaf_hash"] = merkle.leaf_hash(leaf_data(log.entries[17])).hex()
    result = verify(log)
    assert messages(result) == [
        "entry 17: first tree head whose root no longer matches is size 18 "
        "(entries before 17 are intact)"
    ]


def test_rewritten_roots_without_the_key_name_the_entry_through_the_signatures() -> None:
    log = MemoryLog.of_size(50)
    log.entries[30]["ip"] = "203.0.113.9"
    log.entries[30]["leaf_hash"] = merkle.leaf_hash(leaf_data(log.entries[30])).hex()
    log.rewrite_roots_from(30)
    result = verify(log)
    assert messages(result) == [
        "entry 30: first tree head that fails is size 31 (bad signature); entries from 30 on "
        "are not covered by a valid signed tree head (entries before 30 are intact)",
        "tree heads 31..50: bad signature",
    ]
    assert result.problems[0].seq == 30


def test_a_stored_leaf_hash_changed_alone_is_named() -> None:
    log = MemoryLog.of_size(5)
    log.entries[2]["leaf_hash"] = "00" * 32
    assert messages(verify(log)) == ["entry 2: content does not match its recorded hash"]


def test_deleted_entries_are_named_as_a_range() -> None:
    log = MemoryLog.of_size(25)
    del log.entries[17:20]
    result = verify(log)
    assert messages(result) == [
        "entries missing: 17..19 (later tree heads cannot be recomputed)",
    ]
    assert result.problems[0].seq == 17
    assert result.root_hash is None


def test_deleted_last_entries_are_found_through_the_signed_heads() -> None:
    log = MemoryLog.of_size(10)
    del log.entries[8:]
    assert messages(verify(log)) == [
        "entries missing: 8..9 (later tree heads cannot be recomputed)"
    ]


def test_entries_beyond_the_last_signed_head_are_not_covered() -> None:
    log = MemoryLog.of_size(10)
    del log.heads[7:]
    assert messages(verify(log)) == [
        "entry 7: first tree head that fails is size 8 (missing); entries from 7 on are not "
        "covered by a valid signed tree head (entries before 7 are intact)"
    ]


def test_a_missing_head_in_the_middle_is_reported_but_later_heads_still_vouch() -> None:
    log = MemoryLog.of_size(10)
    del log.heads[3:5]
    assert messages(verify(log)) == ["tree heads missing: 4..5"]


def test_a_head_with_a_changed_timestamp_fails_its_signature_alone() -> None:
    log = MemoryLog.of_size(10)
    log.heads[4]["at"] = "2030-01-01T00:00:00.000000Z"
    assert messages(verify(log)) == ["tree head 5: bad signature"]


def test_a_duplicated_entry_is_named() -> None:
    log = MemoryLog.of_size(6)
    log.entries.insert(3, dict(log.entries[2]))
    assert messages(verify(log)) == ["entry 2: appears more than once"]


def test_an_entry_out_of_order_is_named() -> None:
    log = MemoryLog.of_size(6)
    moved = log.entries.pop(1)
    log.entries.insert(4, moved)
    result = verify(log)
    assert "entry 1: out of order" in messages(result)
    assert "entry missing: 1 (later tree heads cannot be recomputed)" in messages(result)


def test_a_malformed_entry_is_named_and_breaks_the_roots_from_there() -> None:
    log = MemoryLog.of_size(6)
    log.entries[3]["at"] = "yesterday"
    result = verify(log)
    assert messages(result)[0].startswith("entry 3: malformed (")
    assert messages(result)[1].startswith("entry 3: first tree head whose root no longer")


def test_an_entry_without_a_seq_is_reported_and_leaves_a_gap() -> None:
    log = MemoryLog.of_size(4)
    log.entries[2]["seq"] = "two"
    result = verify(log)
    assert "entry #3 of the log has no valid seq" in messages(result)
    assert "entry missing: 2 (later tree heads cannot be recomputed)" in messages(result)


def test_a_malformed_head_is_reported() -> None:
    log = MemoryLog.of_size(4)
    log.heads[1]["signature"] = "not base64!"
    log.heads[2]["root_hash"] = "zz"
    assert messages(verify(log)) == [
        "tree head 2: malformed (signature is not base64)",
        "tree head 3: malformed (root_hash must be 64 hex digits)",
    ]


def test_the_wrong_public_key_fails_every_head() -> None:
    log = MemoryLog.of_size(5)
    other = new_signer()
    result = verify(log, key=other.public_key_pem())
    assert not result.ok
    assert result.key_id == other.key_id
    assert messages(result) == [
        "entry 0: first tree head that fails is size 1 (bad signature); entries from 0 on are "
        "not covered by a valid signed tree head",
        "tree heads 1..5: bad signature",
        f"tree heads 1..5: key_id is not the verifying key's ({other.key_id})",
    ]


def test_the_public_key_may_be_raw_bytes() -> None:
    log = MemoryLog.of_size(3)
    raw = log.signer.public_key.public_bytes_raw()
    assert verify(log, key=raw).ok


def test_a_signature_moved_to_another_head_fails() -> None:
    log = MemoryLog.of_size(4)
    log.heads[2]["signature"] = log.heads[1]["signature"]
    assert messages(verify(log)) == ["tree head 3: bad signature"]


def test_progress_is_reported_once_per_entry() -> None:
    log = MemoryLog.of_size(7)
    ticks: list[int] = []
    verify_log(log.entries, log.heads, log.signer.public_key, on_entry=lambda: ticks.append(1))
    assert len(ticks) == 7


def test_verification_works_on_streams() -> None:
    log = MemoryLog.of_size(20)
    result = verify_log(iter(log.entries), iter(log.heads), log.signer.public_key)
    assert result.ok


@given(size=st.integers(1, 40), data=st.data())
def test_any_altered_entry_is_named_even_with_its_hash_and_roots_rewritten(
    size: int, data: st.DataObject
) -> None:
    log = MemoryLog.of_size(size)
    k = data.draw(st.integers(0, size - 1))
    rewrite_roots = data.draw(st.booleans())
    log.entries[k]["details"] = {"n": -1}
    log.entries[k]["leaf_hash"] = merkle.leaf_hash(leaf_data(log.entries[k])).hex()
    if rewrite_roots:
        log.rewrite_roots_from(k)
    result = verify(log)
    assert not result.ok
    first = result.problems[0]
    assert first.seq == k
    assert first.message.startswith(f"entry {k}: first tree head")


@given(size=st.integers(2, 40), data=st.data())
def test_any_deleted_stretch_is_named(size: int, data: st.DataObject) -> None:
    log = MemoryLog.of_size(size)
    first = data.draw(st.integers(0, size - 1))
    last = data.draw(st.integers(first, size - 1))
    del log.entries[first : last + 1]
    result = verify(log)
    span = str(first) if first == last else f"{first}..{last}"
    noun = "entry missing" if first == last else "entries missing"
    assert messages(result) == [f"{noun}: {span} (later tree heads cannot be recomputed)"]


def test_signatures_in_the_records_are_standard_base64() -> None:
    log = MemoryLog.of_size(1)
    assert len(base64.b64decode(log.heads[0]["signature"], validate=True)) == 64


@pytest.mark.parametrize("bad", [[], "text", 3])
def test_details_that_are_not_an_object_make_the_entry_malformed(bad: Any) -> None:
    log = MemoryLog.of_size(2)
    log.entries[1]["details"] = bad
    assert messages(verify(log))[0] == "entry 1: malformed (details must be an object)"
