"""`accord audit export` and `accord audit verify`: the audit log checked outside the server."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import click
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from accord.cli import CliContext, fail, pass_cli, print_json
from accord.core.audit import service
from accord.core.audit.export import (
    ExportError,
    entry_record,
    export_header,
    head_record,
    read_export,
    write_export,
)
from accord.core.audit.models import AuditEntry
from accord.core.audit.signing import key_id_of, load_public_key, public_key_from_key_file
from accord.core.audit.verify import VerificationResult, verify_log
from accord.core.clock import utcnow

__all__ = ["audit"]

# Below this many entries verification takes about a second: no progress bar.
PROGRESS_THRESHOLD = 10_000


def _fail(message: str) -> NoReturn:
    fail(message)
    raise SystemExit(2)  # fail() has exited already; this tells the type checker


@click.group()
def audit() -> None:
    """Export and verify the tamper-evident audit log."""


@dataclass(frozen=True)
class _Key:
    public_key: Ed25519PublicKey
    source: str
    embedded: bool = False


def _key_from_file(path: Path, what: str) -> _Key:
    try:
        key = public_key_from_key_file(path)
    except FileNotFoundError:
        _fail(f"no {what} at {path}")
    except (OSError, ValueError, TypeError, UnsupportedAlgorithm) as exc:
        _fail(f"cannot read the {what} at {path}: {exc}")
    return _Key(key, str(path))


def _pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode("ascii")


@contextmanager
def _database_errors() -> Iterator[None]:
    try:
        yield
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        _fail(f"cannot read the audit log from the database: {str(cause).splitlines()[0]}")


@audit.command("export")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=str))
@pass_cli
def export_command(cli: CliContext, file: str) -> None:
    """Write the whole log to FILE as JSON Lines (`-` for standard output).

    The first line is a header with the format and the public key; then one line per entry,
    then one line per signed tree head. See docs/audit.md.
    """
    key = _key_from_file(cli.settings.effective_audit_key_path, "audit signing key")
    with _database_errors(), cli.db(upgrade=False).reading() as session:
        service.use_snapshot(session)
        head = service.current_tree_head(session)
        header = export_header(
            public_key_pem=_pem(key.public_key),
            key_id=key_id_of(key.public_key),
            exported_at=utcnow(),
            tree_size=0 if head is None else head.size,
        )
        entries = (entry_record(e, canonical_details=True) for e in service.iter_entries(session))
        heads = (head_record(h) for h in service.iter_tree_heads(session))
        if file == "-":
            count = write_export(click.get_text_stream("stdout"), header, entries, heads)
        else:
            count = _write_file(Path(file), header, entries, heads)
    click.echo(f"exported {count} audit entries to {file}", err=True)


def _write_file(path: Path, header: dict[str, Any], entries: Any, heads: Any) -> int:
    """Write beside `path`, then rename: a reader never sees half an export. Mode 0600."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        _fail(f"cannot write {path}: {exc.strerror}")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            count = write_export(out, header, entries, heads)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
    return count


@audit.command("verify")
@click.option(
    "--file",
    "file",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=str),
    help="An export to verify (`-` for standard input); default: the live database.",
)
@click.option(
    "--public-key",
    "public_key",
    type=click.Path(dir_okay=False, path_type=Path),
    help="PEM file of the public key, obtained out of band. Default: derived from the "
    "signing key file (live database) or the key inside the export (--file).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_cli
@click.pass_context
def verify_command(
    ctx: click.Context, cli: CliContext, file: str | None, public_key: Path | None, as_json: bool
) -> None:
    """Check every entry's hash, every signed tree head and the order of the log.

    Exit 0 when the log verifies, 1 when it does not (one line per problem, naming the
    entry), 2 when it cannot be read.
    """
    given = _key_from_file(public_key, "public key") if public_key is not None else None
    if file is None:
        key = given or _key_from_file(cli.settings.effective_audit_key_path, "audit signing key")
        with _database_errors(), cli.db(upgrade=False).reading() as session:
            result = _verify_database(session, key)
    else:
        result, key = _verify_file(file, given)
    _report(result, key, as_json)
    ctx.exit(0 if result.ok else 1)


def _verify_database(session: Session, key: _Key) -> VerificationResult:
    service.use_snapshot(session)
    total = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    entries = (entry_record(e) for e in service.iter_entries(session))
    heads = (head_record(h) for h in service.iter_tree_heads(session))
    with _progress(total) as step:
        return verify_log(entries, heads, key.public_key, on_entry=step)


def _verify_file(file: str, given: _Key | None) -> tuple[VerificationResult, _Key]:
    with _readable_path(file) as path:
        try:
            export = read_export(path)
            key = given or _Key(
                load_public_key(export.public_key_pem()), f"{file} (embedded)", embedded=True
            )
        except ExportError as exc:
            _fail(f"{file}: {exc}")
        except OSError as exc:
            _fail(f"cannot read {file}: {exc.strerror}")
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            _fail(f"{file}: line 1: the embedded public key cannot be read ({exc})")
        with _progress(export.entry_count) as step:
            result = verify_log(export.entries(), export.heads(), key.public_key, on_entry=step)
    return result, key


@contextmanager
def _readable_path(file: str) -> Iterator[Path]:
    """The export's path; standard input is first copied to a private temporary file."""
    if file != "-":
        path = Path(file)
        if not path.is_file():
            _fail(f"no such file: {file}")
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="accord-audit-") as folder:
        path = Path(folder) / "export.jsonl"
        with path.open("wb") as out:
            shutil.copyfileobj(click.get_binary_stream("stdin"), out)
        yield path


@contextmanager
def _progress(total: int) -> Iterator[Callable[[], None] | None]:
    """A progress bar on standard error for large logs, when someone is watching it."""
    if total < PROGRESS_THRESHOLD or not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(
        length=total, label="verifying", file=click.get_text_stream("stderr")
    ) as bar:
        yield lambda: bar.update(1)


def _report(result: VerificationResult, key: _Key, as_json: bool) -> None:
    root = result.root_hash.hex() if result.root_hash is not None else None
    note = (
        "the public key was taken from the export itself, which proves only that the file is "
        "consistent; pass --public-key with a key obtained out of band"
        if key.embedded
        else None
    )
    if as_json:
        print_json(
            {
                "ok": result.ok,
                "entries_checked": result.entries_checked,
                "tree_size": result.tree_size,
                "root_hash": root,
                "key_id": result.key_id,
                "key_source": key.source,
                "note": note,
                "problems": [{"seq": p.seq, "message": p.message} for p in result.problems],
            }
        )
        return
    if result.ok:
        click.echo(
            f"audit log verified: {result.entries_checked} entries, tree size "
            f"{result.tree_size}, root {root}, key {result.key_id}"
        )
    else:
        for problem in result.problems:
            click.echo(problem.message)
        click.echo(
            f"audit log NOT verified: {len(result.problems)} problem(s) in "
            f"{result.entries_checked} entries (key {result.key_id})",
            err=True,
        )
    if note:
        click.echo(f"note: {note}", err=True)
