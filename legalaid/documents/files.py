"""Safe output file names, and writing a rendered document into a folder with a record of it."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from legalaid.documents.registry import DocumentKind, Locale
from legalaid.errors import UserError
from legalaid.models import GeneratedDocument

if TYPE_CHECKING:  # generate imports this module for document_file_name
    from legalaid.documents.generate import RenderedDocument

# Most file systems allow 255 bytes per name; leave room for a "-2" suffix and a ".pdf" beside a ".docx".
MAX_NAME_BYTES = 200
# Path separators and the characters Windows refuses in a name (files are often copied to a share).
_FORBIDDEN = re.compile(r'[/\\:*?"<>|]')
_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,8}")
# Names Windows reserves for devices, with any extension.
_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{n}" for p in ("COM", "LPT") for n in range(1, 10)}
# Enough tries to get past the copies of one document a person could make by hand.
_MAX_COPIES = 1000


class UnsafeOutputPath(UserError):
    """An output path that would land outside the output folder."""


def safe_file_name(name: str, *, suffix: str = ".docx", max_bytes: int = MAX_NAME_BYTES) -> str:
    """``name`` made into one safe file name ending in ``suffix``: Chinese kept, no separator, no control
    character, no leading dot, not a Windows device name, at most ``max_bytes`` bytes in UTF-8."""
    text = unicodedata.normalize("NFC", name)
    kept: list[str] = []
    for char in text:
        category = unicodedata.category(char)
        if category == "Cf":  # invisible format characters (bidi overrides can disguise an extension)
            continue
        if category in ("Cc", "Zl", "Zp") or _FORBIDDEN.match(char):
            kept.append("_")
        elif category == "Zs":
            kept.append(" ")
        else:
            kept.append(char)
    stem = re.sub(r" {2,}", " ", "".join(kept)).strip(" .")
    budget = max_bytes - len(suffix.encode("utf-8"))
    while len(stem.encode("utf-8")) > budget:
        stem = stem[:-1]
    stem = stem.rstrip(" .")
    if not stem:
        stem = "document"
    if stem.split(".")[0].upper() in _RESERVED:
        stem = f"_{stem}"
    return stem + suffix


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
        candidate = folder / (name.name if copy == 1 else f"{name.stem}-{copy}{name.suffix}")
        target = _inside(folder, candidate)
        if target.exists():
            if _sha256(target) == digest:
                return target
            continue
        if _link_new(folder, target, content):
            return target
    raise UserError(f"{folder}: {_MAX_COPIES} files named like {name.name} already; clean the folder")


def _inside(folder: Path, candidate: Path) -> Path:
    # safe_file_name already removed separators; this is the last word, should a name or a symlink in the
    # folder still point elsewhere.
    target = candidate.resolve()
    if not target.is_relative_to(folder) or target.parent != folder:
        raise UnsafeOutputPath(f"{candidate.name!r} would be written outside {folder}")
    return target


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
