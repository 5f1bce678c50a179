"""Writing a rendered document into a folder with a record of it, under a name made safe from its case
number (legalaid.paths)."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from legalaid.documents.registry import DocumentKind, Locale
from legalaid.errors import UserError
from legalaid.models import GeneratedDocument
from legalaid.paths import UnsafeOutputPath, path_inside, safe_file_name

__all__ = ["UnsafeOutputPath", "document_file_name", "safe_file_name", "save_document", "write_file"]

if TYPE_CHECKING:  # generate imports this module for document_file_name
    from legalaid.documents.generate import RenderedDocument

# Enough tries to get past the copies of one document a person could make by hand.
_MAX_COPIES = 1000
_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,8}")


def document_file_name(kind: DocumentKind, *, case_no: str, locale: Locale) -> str:
    """``指派通知书-2012民援第001号.docx`` (``Notice of Assignment-…`` in English), made safe."""
    return safe_file_name(f"{kind.title(locale)}-{case_no}")


def save_document(session: Session, doc: RenderedDocument, out_dir: Path) -> GeneratedDocument:
    """Write ``doc`` into ``out_dir`` and record it; the caller's transaction commits the record.

    A file of the same name with other content is never overwritten (an earlier record points at it):
    the document goes to ``name-2.docx`` and so on. The same content already there is recorded again,
    not written again.
    """
    path = write_file(out_dir, doc.file_name, doc.content)
    record = GeneratedDocument(
        kind=doc.kind,
        case_id=doc.case_id,
        locale=doc.locale,
        path=str(path),
        sha256=doc.sha256,
        size=doc.size,
    )
    session.add(record)
    session.flush()
    return record


def write_file(out_dir: Path, file_name: str, content: bytes) -> Path:
    """Write ``content`` as ``file_name`` (or a numbered copy of it) inside ``out_dir``; the path written."""
    folder = out_dir.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(content).hexdigest()
    given = Path(file_name)
    suffix = given.suffix if _SUFFIX.fullmatch(given.suffix) else ""
    name = Path(safe_file_name(given.stem, suffix=suffix))
    for copy in range(1, _MAX_COPIES + 1):
        target = path_inside(folder, name.name if copy == 1 else f"{name.stem}-{copy}{name.suffix}")
        if target.exists():
            if _sha256(target) == digest:
                return target
            continue
        if _link_new(folder, target, content):
            return target
    raise UserError(f"{folder}: {_MAX_COPIES} files named like {name.name} already; clean the folder")


def _link_new(folder: Path, target: Path, content: bytes) -> bool:
    """Write ``content`` to ``target`` atomically unless it exists; False if another writer got there."""
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        # A hard link appears whole or not at all, and fails rather than replace a file that appeared.
        os.link(temporary, target)
    except FileExistsError:
        return False
    except OSError:  # a file system without hard links (FAT, some network shares): exclusive create
        try:
            with open(target, "xb") as stream:
                stream.write(content)
        except FileExistsError:
            return False
    finally:
        os.unlink(temporary)
    return True


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
