"""The demo's data folder: where it lives, the marker that makes it one, and wiping it."""

from __future__ import annotations

import shutil
from pathlib import Path

from accord.core.errors import Conflict
from accord.settings import default_data_dir

__all__ = ["DATABASE_FILES", "MARKER", "demo_folder", "is_demo_folder", "mark", "wipe"]

MARKER = ".accord-demo"
# The SQLite file and its companions (write-ahead log, shared memory, rollback journal).
DATABASE_FILES = ("accord.db", "accord.db-wal", "accord.db-shm", "accord.db-journal")
KEYS = "keys"


def demo_folder(chosen: Path | None) -> Path:
    """The folder given (--data-dir or ACCORD_DATA_DIR), else `demo` in the user data folder."""
    return chosen if chosen is not None else default_data_dir() / "demo"


def is_demo_folder(folder: Path) -> bool:
    """True for a folder the demo made, or one holding no database yet."""
    return (folder / MARKER).exists() or not (folder / DATABASE_FILES[0]).exists()


def mark(folder: Path) -> None:
    """Leave the marker that lets `accord demo --reset` wipe this folder later."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text("This folder holds the Accord demo world.\n", encoding="utf-8")


def wipe(folder: Path) -> list[Path]:
    """Delete the demo database file and keys in `folder`; the paths removed.

    Anything else in the folder stays, and a folder holding a database the demo did not make
    is refused: --data-dir pointed at real data must not lose it.
    """
    if not is_demo_folder(folder):
        raise Conflict(
            f"{folder} holds a database the demo did not create ({MARKER} is missing); "
            "refusing to wipe it"
        )
    removed: list[Path] = []
    for name in DATABASE_FILES:
        path = folder / name
        if path.exists():
            path.unlink()
            removed.append(path)
    keys = folder / KEYS
    if keys.is_dir():
        shutil.rmtree(keys)
        removed.append(keys)
    return removed
