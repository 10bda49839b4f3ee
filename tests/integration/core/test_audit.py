"""The audit log on a real database: appends, proofs, signed heads, concurrency and tampering."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select, text

from accord.audit.cli import audit
from accord.cli import CliContext
from accord.core import merkle
from accord.core.audit import service
from accord.core.audit.export import entry_record, leaf_data
from accord.core.audit.models import AuditEntry, AuditState, AuditTreeHead
from accord.core.audit.signing import signer_for, verify_tree_head_signature
from accord.core.db import Database
from accord.core.errors import Invalid, NotFound
from accord.settings import Settings

START = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
ORG = uuid.UUID("0b6f8e2a-58c1-4c4e-9a57-8d1c0e0d7a01")
OTHER_ORG = uuid.UUID("0b6f8e2a-58c1-4c4e-9a57-8d1c0e0d7a02")


def append(db: Database, n: int, *, first: int = 0, **fields: Any) -> None:
    """`n` entries, one transaction each, as the services record them."""
    for i in range(first, first + n):
        values: dict[str, Any] = {
            "action": "test.thing.changed",
            "actor_id": uuid.UUID(int=i + 1),
            "actor_label": f"person{i}@example.org",
            "org_id": ORG if i % 2 else OTHER_ORG,
            "target_type": "thing",
            "target_id": str(i),
            "details": {"n": i, "label": f"élan {i} €"},
            "ip": "192.0.2.1",
        }
        values.update(fields)
        with db.transaction() as s:
            service.record(s, at=START + timedelta(seconds=i), **values)


def leaves(db: Database) -> list[bytes]:
    with db.reading() as s:
        return list(s.scalars(select(AuditEntry.leaf_hash).order_by(AuditEntry.seq)))


def heads(db: Database) -> dict[int, AuditTreeHead]:
    with db.reading() as s:
        return {h.size: h for h in s.scalars(select(AuditTreeHead))}


def public_key_pem(db: Database) -> str:
    with db.reading() as s:
        return signer_for(Path(s.info["audit_key_path"])).public_key_pem()


def test_appends_get_gap_free_seqs_and_one_signed_head_per_size(db: Database) -> None:
    append(db, 12)
    signed = heads(db)
    assert sorted(signed) == list(range(1, 13))
    hashes = leaves(db)
    pem = public_key_pem(db)
    for size, head in signed.items():
        assert head.root_hash == merkle.root_from_leaves(hashes[:size])
        assert verify_tree_head_signature(pem, size, head.at, head.root_hash, head.signature)
    with db.reading() as s:
        state = s.get_one(AuditState, 1)
        assert state.size == 12
        assert service.current_tree_head(s) is not None


def test_each_leaf_hash_is_recomputable_from_the_stored_content(db: Database) -> None:
    details = {
        "float": 1.5e-7,
        "big_float": 1e300,
        "integral_float": 9007199254740992.0,
        "int": -(2**53) + 1,
        "text": 'tab\t quote" emoji 😀 nul-free',
        "nested": {"list": [1, 2.0, None, True, {"é": "ü"}], "": "empty key"},
        "tuple": ("a", "b"),
    }
    append(db, 1, details=details)
    with db.reading() as s:
        entry = service.get_entry(s, 0)
        assert merkle.leaf_hash(leaf_data(entry_record(entry))) == entry.leaf_hash
        assert entry.details["tuple"] == ["a", "b"]


def test_every_inclusion_proof_verifies_against_every_signed_head(db: Database) -> None:
    append(db, 21)
    signed = heads(db)
    hashes = leaves(db)
    with db.reading() as s:
        for size in (1, 2, 7, 8, 13, 21):
            for seq in range(size):
                proof = service.inclusion_proof_for(s, seq, size)
                assert proof.root_hash == signed[size].root_hash
                assert merkle.verify_inclusion(seq, size, hashes[seq], proof.path, proof.root_hash)
        assert service.inclusion_proof_for(s, 3).tree_size == 21


def test_every_consistency_proof_verifies(db: Database) -> None:
    append(db, 17)
    signed = heads(db)
    with db.reading() as s:
        for first in range(1, 18):
            for second in range(first, 18, 3):
                proof = service.consistency_proof_for(s, first, second)
                assert merkle.verify_consistency(
                    first,
                    second,
                    signed[first].root_hash,
                    signed[second].root_hash,
                    proof.path,
                )
        assert service.consistency_proof_for(s, 5).second == 17


@pytest.mark.parametrize(
    ("seq", "size", "error"),
    [(-1, 3, Invalid), (3, 3, Invalid), (0, 0, Invalid), (0, 99, NotFound)],
)
def test_impossible_inclusion_proofs_are_refused(
    db: Database, seq: int, size: int, error: type[Exception]
) -> None:
    append(db, 3)
    with db.reading() as s, pytest.raises(error):
        service.inclusion_proof_for(s, seq, size)


@pytest.mark.parametrize(
    ("first", "second", "error"),
    [(0, 3, Invalid), (4, 3, Invalid), (1, 99, NotFound)],
)
def test_impossible_consistency_proofs_are_refused(
    db: Database, first: int, second: int, error: type[Exception]
) -> None:
    append(db, 3)
    with db.reading() as s, pytest.raises(error):
        service.consistency_proof_for(s, first, second)


def test_an_entry_rolls_back_with_the_change_it_records(db: Database) -> None:
    append(db, 2)

    def fail_after_recording() -> None:
        with db.transaction() as s:
            service.record(s, action="test.thing.changed", at=START)
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError, match="the change failed"):
        fail_after_recording()
    assert len(leaves(db)) == 2
    append(db, 1, first=2)
    assert sorted(heads(db)) == [1, 2, 3]


def test_several_entries_in_one_transaction_chain_correctly(db: Database) -> None:
    with db.transaction() as s:
        for i in range(5):
            service.record(s, action="test.batch.item", at=START, details={"i": i})
    hashes = leaves(db)
    assert heads(db)[5].root_hash == merkle.root_from_leaves(hashes)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"action": "Org.Created"}, "lowercase dotted"),
        ({"action": "created"}, "lowercase dotted"),
        ({"action": "org..created"}, "lowercase dotted"),
        ({"at": datetime(2026, 1, 1)}, "timezone-aware"),  # noqa: DTZ001 - the point
        ({"actor_id": "not-a-uuid"}, "UUIDs"),
        ({"target_id": "x" * 65}, "target_id"),
        ({"actor_label": "a\x00b"}, "actor_label"),
        ({"details": {"x": float("nan")}}, "finite"),
        ({"details": {"x": 2**63}}, "2\\^53"),
        ({"details": {"x": {1, 2}}}, "set is not a JSON value"),
    ],
)
def test_programming_errors_are_value_errors(
    db: Database, fields: dict[str, Any], message: str
) -> None:
    values: dict[str, Any] = {"action": "test.thing.changed", "at": START} | fields
    with db.transaction() as s, pytest.raises(ValueError, match=message):
        service.record(s, **values)


def test_concurrent_appenders_queue_and_leave_no_gaps(db: Database) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def appender(worker: int) -> None:
        try:
            barrier.wait()
            for i in range(15):
                with db.transaction() as s:
                    service.record(
                        s, action="test.race.won", at=START, details={"worker": worker, "i": i}
                    )
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=appender, args=(w,)) for w in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with db.reading() as s:
        seqs = list(s.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)))
    assert seqs == list(range(45))
    assert heads(db)[45].root_hash == merkle.root_from_leaves(leaves(db))


def test_entries_list_newest_first_with_filters_and_cursor(db: Database) -> None:
    append(db, 6)
    append(db, 2, first=6, action="test.thing_other.changed")
    append(db, 1, first=8, action="test.thing")
    with db.reading() as s:
        page = service.list_entries(s, limit=4)
        assert [e.seq for e in page.items] == [8, 7, 6, 5]
        page = service.list_entries(s, limit=4, cursor=page.next_cursor)
        assert [e.seq for e in page.items] == [4, 3, 2, 1]
        page = service.list_entries(s, limit=4, cursor=page.next_cursor)
        assert [e.seq for e in page.items] == [0]
        assert page.next_cursor is None

        def seqs(**filters: Any) -> list[int]:
            return [e.seq for e in service.list_entries(s, **filters).items]

        assert seqs(action_prefix="test.thing") == [8, 5, 4, 3, 2, 1, 0]
        assert seqs(action_prefix="test.thing_other") == [7, 6]
        assert seqs(action_prefix="test.") == list(range(8, -1, -1))
        assert seqs(org_id=ORG) == [7, 5, 3, 1]
        assert seqs(actor_id=uuid.UUID(int=3)) == [2]
        assert seqs(target_type="thing", target_id="4") == [4]
        with pytest.raises(Invalid):
            seqs(action_prefix="test.%")


def test_reading_a_missing_entry_or_head_is_not_found(db: Database) -> None:
    with db.reading() as s:
        assert service.current_tree_head(s) is None
        with pytest.raises(NotFound):
            service.get_entry(s, 0)
        with pytest.raises(NotFound):
            service.get_tree_head(s, 1)


# The command line, on the test database, as an operator or an oversight body would run it.


@pytest.fixture
def run(db: Database, settings: Settings) -> Callable[..., Result]:
    def invoke(*args: str, stdin: str | None = None) -> Result:
        context = CliContext(data_dir=None, _settings=settings, _db=db)
        return CliRunner().invoke(audit, list(args), obj=context, input=stdin)

    return invoke


def tamper(db: Database, sql: str, **params: Any) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(sql), params)


def set_details_sql(db: Database) -> str:
    if db.dialect == "postgresql":
        return "UPDATE audit_entries SET details = CAST(:value AS JSONB) WHERE seq = :seq"
    return "UPDATE audit_entries SET details = :value WHERE seq = :seq"


def test_verify_accepts_an_intact_log(db: Database, run: Callable[..., Result]) -> None:
    append(db, 30)
    result = run("verify")
    assert result.exit_code == 0, result.output
    root = heads(db)[30].root_hash.hex()
    assert result.stdout.startswith(f"audit log verified: 30 entries, tree size 30, root {root}")


def test_verify_names_an_entry_altered_in_the_database(
    db: Database, run: Callable[..., Result]
) -> None:
    append(db, 30)
    tamper(db, set_details_sql(db), seq=11, value=json.dumps({"n": 11, "label": "rewritten"}))
    result = run("verify")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "entry 11: content does not match its recorded hash",
        "entry 11: first tree head whose root no longer matches is size 12 "
        "(entries before 11 are intact)",
    ]


def test_verify_names_the_entry_when_its_leaf_hash_is_rewritten_too(
    db: Database, run: Callable[..., Result]
) -> None:
    append(db, 30)
    tamper(db, "UPDATE audit_entries SET actor_label = 'nobody' WHERE seq = 20")
    with db.reading() as s:
        forged = merkle.leaf_hash(leaf_data(entry_record(service.get_entry(s, 20))))
    tamper(db, "UPDATE audit_entries SET leaf_hash = :h WHERE seq = 20", h=forged)
    result = run("verify")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "entry 20: first tree head whose root no longer matches is size 21 "
        "(entries before 20 are intact)"
    ]


def test_verify_names_the_entry_when_later_roots_are_rewritten_without_the_key(
    db: Database, run: Callable[..., Result]
) -> None:
    append(db, 30)
    tamper(db, "UPDATE audit_entries SET ip = '203.0.113.66' WHERE seq = 9")
    with db.reading() as s:
        forged = merkle.leaf_hash(leaf_data(entry_record(service.get_entry(s, 9))))
    tamper(db, "UPDATE audit_entries SET leaf_hash = :h WHERE seq = 9", h=forged)
    hashes = leaves(db)
    for size in range(10, 31):
        root = merkle.root_from_leaves(hashes[:size])
        tamper(db, "UPDATE audit_tree_heads SET root_hash = :r WHERE size = :s", r=root, s=size)
    result = run("verify")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0].startswith(
        "entry 9: first tree head that fails is size 10 (bad signature)"
    )
    assert "tree heads 10..30: bad signature" in result.stdout


def test_verify_names_a_deleted_entry(db: Database, run: Callable[..., Result]) -> None:
    append(db, 30)
    tamper(db, "DELETE FROM audit_entries WHERE seq = 7")
    result = run("verify")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "entry missing: 7 (later tree heads cannot be recomputed)"
    ]


def test_verify_can_report_as_json(db: Database, run: Callable[..., Result]) -> None:
    append(db, 3)
    tamper(db, "UPDATE audit_entries SET target_id = 'other' WHERE seq = 1")
    result = run("verify", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert report["entries_checked"] == 3
    assert {p["seq"] for p in report["problems"]} == {1}


def test_an_export_verifies_on_its_own(
    db: Database, run: Callable[..., Result], tmp_path: Path
) -> None:
    append(db, 25)
    export = tmp_path / "audit.jsonl"
    assert run("export", str(export)).exit_code == 0
    lines = export.read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    assert header["format"] == "accord-audit-export/v1"
    assert header["tree_size"] == 25
    assert header["public_key_pem"] == public_key_pem(db)
    assert len(lines) == 1 + 25 + 25
    result = run("verify", "--file", str(export))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("audit log verified: 25 entries, tree size 25")
    assert "taken from the export itself" in result.stderr


def test_an_export_verifies_with_a_public_key_obtained_out_of_band(
    db: Database, run: Callable[..., Result], tmp_path: Path
) -> None:
    append(db, 5)
    export, key = tmp_path / "audit.jsonl", tmp_path / "accord-audit.pub.pem"
    key.write_text(public_key_pem(db), encoding="utf-8")
    run("export", str(export))
    result = run("verify", "--file", str(export), "--public-key", str(key))
    assert result.exit_code == 0, result.output
    assert "taken from the export itself" not in result.stderr


def test_an_export_streams_through_standard_output_and_input(
    db: Database, run: Callable[..., Result]
) -> None:
    append(db, 4)
    exported = run("export", "-")
    assert exported.exit_code == 0
    result = run("verify", "--file", "-", stdin=exported.stdout)
    assert result.exit_code == 0, result.output


def test_a_tampered_export_line_is_named(
    db: Database, run: Callable[..., Result], tmp_path: Path
) -> None:
    append(db, 12)
    export = tmp_path / "audit.jsonl"
    run("export", str(export))
    lines = export.read_text(encoding="utf-8").splitlines()
    entry = json.loads(lines[1 + 5])
    entry["details"]["label"] = "changed after export"
    lines[1 + 5] = json.dumps(entry)
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("verify", "--file", str(export))
    assert result.exit_code == 1
    assert "entry 5: content does not match its recorded hash" in result.stdout.splitlines()


def test_an_export_signed_by_another_key_fails_with_the_right_key(
    db: Database, run: Callable[..., Result], tmp_path: Path
) -> None:
    append(db, 3)
    export, other = tmp_path / "audit.jsonl", tmp_path / "other.pem"
    run("export", str(export))
    signer_for(tmp_path / "other-private.pem")
    other.write_text(signer_for(tmp_path / "other-private.pem").public_key_pem())
    result = run("verify", "--file", str(export), "--public-key", str(other))
    assert result.exit_code == 1
    assert "tree heads 1..3: bad signature" in result.stdout.splitlines()


def test_the_live_log_fails_against_another_public_key(
    db: Database, run: Callable[..., Result], tmp_path: Path
) -> None:
    append(db, 3)
    other = tmp_path / "other-private.pem"
    signer_for(other)
    result = run("verify", "--public-key", str(other))
    assert result.exit_code == 1


def test_a_forged_head_signature_in_an_export_is_named(
    db: Database, run: Callable[..., Result], tmp_path: Path
) -> None:
    append(db, 4)
    export = tmp_path / "audit.jsonl"
    run("export", str(export))
    lines = export.read_text(encoding="utf-8").splitlines()
    head = json.loads(lines[-2])
    head["signature"] = base64.b64encode(bytes(64)).decode()
    lines[-2] = json.dumps(head)
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("verify", "--file", str(export))
    assert result.stdout.splitlines() == ["tree head 3: bad signature"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the file is empty"),
        ("{not json\n", "line 1: not valid JSON"),
        ('{"format": "something-else"}\n', "line 1: not an audit export header"),
        ('{"format": "accord-audit-export/v1"}\n[1]\n', "line 2: expected a JSON object"),
        ('{"format": "accord-audit-export/v1"}\n{"kind": "x"}\n', "line 2: neither an entry"),
        (
            '{"format": "accord-audit-export/v1"}\n{"kind": "tree_head"}\n{"kind": "entry"}\n',
            "line 3: an entry after the tree heads",
        ),
        ('{"format": "accord-audit-export/v1"}\n', "holds no public_key_pem"),
    ],
)
def test_an_unreadable_export_is_a_usage_error_with_one_line(
    run: Callable[..., Result], tmp_path: Path, content: str, message: str
) -> None:
    export = tmp_path / "audit.jsonl"
    export.write_text(content, encoding="utf-8")
    result = run("verify", "--file", str(export))
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.output


def test_missing_files_are_usage_errors(run: Callable[..., Result], tmp_path: Path) -> None:
    result = run("verify", "--file", str(tmp_path / "nope.jsonl"))
    assert result.exit_code == 2
    assert "no such file" in result.stderr
    result = run("verify", "--public-key", str(tmp_path / "nope.pem"))
    assert result.exit_code == 2
    assert "no public key at" in result.stderr


def test_verify_never_creates_a_signing_key(
    db: Database, tmp_path: Path, engine_world: Any
) -> None:
    settings = Settings(
        data_dir=tmp_path, database_url=engine_world.url, audit_key_path=tmp_path / "absent.pem"
    )
    context = CliContext(data_dir=None, _settings=settings, _db=db)
    result = CliRunner().invoke(audit, ["verify"], obj=context)
    assert result.exit_code == 2
    assert "no audit signing key at" in result.stderr
    assert not (tmp_path / "absent.pem").exists()


def test_an_empty_log_verifies(run: Callable[..., Result]) -> None:
    result = run("verify")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("audit log verified: 0 entries, tree size 0")


def test_the_signing_key_is_the_one_at_the_settings_path(db: Database, settings: Settings) -> None:
    append(db, 1)
    assert signer_for(settings.effective_audit_key_path).public_key_pem() == public_key_pem(db)
