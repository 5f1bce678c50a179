"""Uploads kept between an import's dry run and its confirmation: one folder per upload under
``data_dir/console-uploads/``, named by a random id, bound to the user who uploaded it.

The confirm form carries only the id; the server finds the file, its kind and its owner from what it kept
(``upload.json``), never from a path or a kind in the form. An id that is not of the shape this module
makes, belongs to another user or is older than ``KEEP`` is refused as not found. A folder is removed once
its import is confirmed, and every folder older than ``KEEP`` goes whenever an upload is kept or taken.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from legalaid.config import Settings

FOLDER = "console-uploads"
KEEP = 3600.0  # seconds an upload waits for its confirmation
_META = "upload.json"
_FILE = "file"  # the subfolder holding the upload under its own name (so no name can be upload.json)
_ID = re.compile(r"^[A-Za-z0-9_-]{22}$")  # secrets.token_urlsafe(16)


@dataclass(frozen=True)
class Upload:
    """A kept upload: its id, the import kind chosen, the file's name as uploaded and where it is."""

    id: str
    kind: str
    name: str
    path: Path


def root(settings: Settings) -> Path:
    return Path(settings.data_dir) / FOLDER


def keep(settings: Settings, *, user_id: int, kind: str, name: str, data: bytes) -> Upload:
    """Keep ``data`` (uploaded as ``name``, already made safe) for ``user_id`` under a new random id."""
    purge(settings)
    upload_id = secrets.token_urlsafe(16)
    folder = root(settings) / upload_id
    (folder / _FILE).mkdir(parents=True, mode=0o700)
    path = folder / _FILE / name
    path.write_bytes(data)
    meta = {"user_id": user_id, "kind": kind, "name": name, "at": time.time()}
    (folder / _META).write_text(json.dumps(meta), encoding="utf-8")
    return Upload(upload_id, kind, name, path)


def find(settings: Settings, upload_id: str, *, user_id: int) -> Upload | None:
    """The upload ``upload_id`` of ``user_id``, or None: a malformed id, another user's, an expired or
    a removed one."""
    purge(settings)
    if not _ID.match(upload_id):
        return None
    folder = root(settings) / upload_id
    try:
        meta = json.loads((folder / _META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("user_id") != user_id or time.time() - float(meta.get("at", 0)) > KEEP:
        return None
    path = folder / _FILE / str(meta["name"])
    if not path.is_file():
        return None
    return Upload(upload_id, str(meta["kind"]), str(meta["name"]), path)


def discard(settings: Settings, upload_id: str) -> None:
    """Remove an upload's folder (gone already is fine)."""
    if _ID.match(upload_id):
        shutil.rmtree(root(settings) / upload_id, ignore_errors=True)


def purge(settings: Settings, *, now: float | None = None) -> None:
    """Remove every upload folder older than ``KEEP`` (by its folder's time: a broken one goes too)."""
    folder = root(settings)
    if not folder.is_dir():
        return
    limit = (now if now is not None else time.time()) - KEEP
    for entry in folder.iterdir():
        try:
            if entry.is_dir() and entry.stat().st_mtime < limit:
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            continue  # removed by another process meanwhile
