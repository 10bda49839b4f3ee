"""The audit log's documented formats: canonical leaves (RFC 8785), signed heads, the key file."""

from __future__ import annotations

import hashlib
import json
import math
import stat
import struct
import threading
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from hypothesis import given
from hypothesis import strategies as st
from tests.unit.core.audit_log import new_signer

from accord.core.audit import signing
from accord.core.audit.export import canonical_json, leaf_data
from accord.core.audit.signing import (
    AuditSigner,
    key_id_of,
    signer_for,
    signer_for_session,
    tree_head_message,
    verify_tree_head_signature,
)

AT = datetime(2026, 11, 21, 15, 0, 0, 123456, tzinfo=UTC)

# RFC 8785 Appendix B: IEEE 754 doubles (hex) and their canonical text.
NUMBER_VECTORS = {
    "0000000000000000": "0",
    "8000000000000000": "0",
    "0000000000000001": "5e-324",
    "8000000000000001": "-5e-324",
    "7fefffffffffffff": "1.7976931348623157e+308",
    "ffefffffffffffff": "-1.7976931348623157e+308",
    "4340000000000000": "9007199254740992",
    "c340000000000000": "-9007199254740992",
    "4430000000000000": "295147905179352830000",
    "44b52d02c7e14af5": "9.999999999999997e+22",
    "44b52d02c7e14af6": "1e+23",
    "444b1ae4d6e2ef4e": "999999999999999700000",
    "444b1ae4d6e2ef4f": "999999999999999900000",
    "444b1ae4d6e2ef50": "1e+21",
    "3eb0c6f7a0b5ed8c": "9.999999999999997e-7",
    "3eb0c6f7a0b5ed8d": "0.000001",
    "41b3de4355555553": "333333333.3333332",
    "41b3de4355555554": "333333333.33333325",
    "41b3de4355555555": "333333333.3333333",
    "41b3de4355555556": "333333333.3333334",
    "41b3de4355555557": "333333333.33333343",
    "becbf647612f3696": "-0.0000033333333333333333",
    "43143ff3c1cb0959": "1424953923781206.2",
}


@pytest.mark.parametrize(("bits", "text"), NUMBER_VECTORS.items())
def test_numbers_are_written_as_rfc_8785_says(bits: str, text: str) -> None:
    assert canonical_json(struct.unpack(">d", bytes.fromhex(bits))[0]) == text


def test_members_are_sorted_by_utf16_code_units_as_in_rfc_8785() -> None:
    # RFC 8785 §3.2.3: the sorting example.
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    keys = ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]
    expected = "{" + ",".join(f'"{k}":"{value[k]}"' for k in keys).replace("\r", "\\r") + "}"
    assert canonical_json(value) == expected


def test_the_rfc_8785_sample_canonicalizes_as_published() -> None:
    value = {
        "numbers": [333333333.33333329, 1e30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": "\u20ac$\u000f\u000aA'\u0042\u0022\u005c\\\"/",
        "literals": [None, True, False],
    }
    assert canonical_json(value) == (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )


@pytest.mark.parametrize(
    "bad",
    [math.nan, math.inf, 2**53, -(2**53), "a\x00b", "\ud800", {1: "x"}, object(), b"bytes"],
)
def test_values_outside_the_canonical_form_are_refused(bad: Any) -> None:
    with pytest.raises(ValueError, match="details"):
        canonical_json({"x": bad}, "details", strict=True)


def entry(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "seq": 7,
        "at": AT,
        "action": "org.vetting.changed",
        "actor_id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "actor_label": "ana@example.org",
        "org_id": None,
        "target_type": "organization",
        "target_id": "42",
        "details": {"old": "pending", "new": "vetted", "n": 1.0},
        "ip": "192.0.2.7",
    }
    return base | fields


def test_the_leaf_is_the_documented_canonical_json() -> None:
    assert leaf_data(entry()) == (
        b'{"action":"org.vetting.changed",'
        b'"actor_id":"12345678-1234-5678-1234-567812345678","actor_label":"ana@example.org",'
        b'"at":"2026-11-21T15:00:00.123456Z","details":{"n":1,"new":"vetted","old":"pending"},'
        b'"ip":"192.0.2.7","org_id":null,"seq":7,"target_id":"42",'
        b'"target_type":"organization","v":1}'
    )


def test_python_values_and_exported_text_give_the_same_leaf() -> None:
    exported = entry(
        at="2026-11-21T16:00:00.123456+01:00",
        actor_id="12345678123456781234567812345678",
        details={"new": "vetted", "old": "pending", "n": 1},
        leaf_hash="ignored",
        kind="entry",
    )
    assert leaf_data(exported) == leaf_data(entry())


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("seq", -1, "seq"),
        ("seq", True, "seq"),
        ("at", datetime(2026, 1, 1), "timezone-aware"),  # noqa: DTZ001 - the point of the test
        ("at", "2026-01-01T00:00:00", "no UTC offset"),
        ("actor_id", "not-a-uuid", "badly formed"),
        ("actor_id", 5, "actor_id"),
        ("ip", None, "ip must be text"),
        ("details", None, "details must be an object"),
    ],
)
def test_a_malformed_entry_has_no_leaf(field: str, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        leaf_data(entry(**{field: value}))


json_text = st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]))
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | json_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(json_text, inner, max_size=4),
    max_leaves=12,
)


@given(json_values)
def test_canonical_json_is_json_and_a_fixed_point(value: Any) -> None:
    text = canonical_json(value, strict=True)
    assert canonical_json(json.loads(text)) == text


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_number_read_back_as_an_exact_decimal_keeps_its_canonical_text(value: float) -> None:
    # PostgreSQL's jsonb keeps numbers as exact decimals and may give 1e+300 back as 10^300.
    text = canonical_json(value)
    decimal = Decimal(text)
    read_back: Any = int(decimal) if decimal == decimal.to_integral_value() else float(decimal)
    assert canonical_json(read_back) == text


def test_a_large_integer_read_back_is_taken_as_the_double_it_was() -> None:
    assert canonical_json(10**300) == "1e+300"
    assert canonical_json(2**53) == "9007199254740992"
    with pytest.raises(ValueError, match="too large"):
        canonical_json(10**400)


def test_the_tree_head_message_is_the_documented_text() -> None:
    root = bytes(range(32))
    assert tree_head_message(42, AT, root) == (
        b"accord-audit-tree-head/v1\n42\n2026-11-21T15:00:00.123456Z\n" + root.hex().encode()
    )


def test_the_message_is_the_same_whatever_the_offset_of_the_time() -> None:
    local = AT.astimezone(timezone(timedelta(hours=-5)))
    assert tree_head_message(1, local, bytes(32)) == tree_head_message(1, AT, bytes(32))


def test_a_signed_head_verifies_and_any_change_breaks_it() -> None:
    signer = new_signer()
    root = bytes(range(32))
    signature = signer.sign(42, AT, root)
    pem = signer.public_key_pem()
    assert verify_tree_head_signature(pem, 42, AT, root, signature)
    assert not verify_tree_head_signature(pem, 43, AT, root, signature)
    assert not verify_tree_head_signature(pem, 42, AT + timedelta(microseconds=1), root, signature)
    assert not verify_tree_head_signature(pem, 42, AT, bytes(32), signature)
    tampered = signature[:-1] + bytes([signature[-1] ^ 0x01])
    assert not verify_tree_head_signature(pem, 42, AT, root, tampered)
    assert not verify_tree_head_signature(new_signer().public_key_pem(), 42, AT, root, signature)
    assert not verify_tree_head_signature(pem, 42, AT, root, b"short")


def test_the_key_id_is_the_sha256_of_the_raw_public_key() -> None:
    signer = new_signer()
    raw = signer.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert signer.key_id == hashlib.sha256(raw).hexdigest() == key_id_of(signer.public_key)


def test_the_signing_key_is_created_private_in_a_private_folder(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "audit.pem"
    signer = signer_for(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert signer_for(path) is signer
    assert list(path.parent.iterdir()) == [path]


def test_an_existing_key_file_is_loaded_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "audit.pem"
    first = signer_for(path)
    signing._signers.clear()
    assert signer_for(path).key_id == first.key_id


def test_racing_creators_end_with_one_key(tmp_path: Path) -> None:
    path = tmp_path / "race" / "audit.pem"
    barrier = threading.Barrier(8)
    keys: list[str] = []

    def create() -> None:
        barrier.wait()
        keys.append(key_id_of(signing._create_private_key(path).public_key()))

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    on_disk = key_id_of(signing.public_key_from_key_file(path))
    assert keys == [on_disk] * 8
    assert [p.name for p in path.parent.iterdir()] == ["audit.pem"]


def test_a_session_without_a_key_path_cannot_sign() -> None:
    session = SimpleNamespace(info={"audit_key_path": None})
    with pytest.raises(RuntimeError, match="audit key path"):
        signer_for_session(session)


def test_a_key_file_of_another_kind_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ec.pem"
    key = ec.generate_private_key(ec.SECP256R1())
    path.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    with pytest.raises(RuntimeError, match="not an Ed25519"):
        signer_for(path)


def test_a_signer_exposes_its_public_key_as_pem() -> None:
    signer = AuditSigner(new_signer()._private_key)
    assert signer.public_key_pem().startswith("-----BEGIN PUBLIC KEY-----")
