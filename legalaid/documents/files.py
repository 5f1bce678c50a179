"""Writing a rendered document into a folder with a record of it, under a name made safe from its case
number (legalaid.paths); the file itself is put in place after the commit when the caller stages it."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from sqlalchemy.orm import Session

from legalaid.documents.generate import RenderedDocument
from legalaid.errors import UserError
from legalaid.models import GeneratedDocument
from legalaid.paths import StagedFiles, UnsafeOutputPath, path_inside, safe_file_name, write_atomically

__all__ = ["UnsafeOutputPath", "safe_file_name", "save_document", "write_file"]

# Enough tries to get past the copies of one document a person could make by hand.
_MAX_COPIES = 1000
_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,8}")


def save_document(
    session: Session, doc: RenderedDocument, out_dir: Path, *, staged: StagedFiles | None = None
) -> GeneratedDocument:
    """Record ``doc`` as a file in ``out_dir`` and write it; the caller's transaction commits the record.

    With ``staged`` the file is written beside its name now and put in place only once the caller's
    transaction has committed (``StagedFiles``): a rollback or a dry run leaves no file. Without it the
    file is written at once. A file of the same name with other content is never overwritten (an earlier
    record points at it): the document goes to ``name-2.docx`` and so on. The same content already there
    is recorded again, not written again.
    """
    if staged is None:
        path = write_file(out_dir, doc.file_name, doc.content)
    else:
        path = _place(out_dir, doc.file_name, doc.content, staged)
        if staged.pending(path) is None and not path.exists():
            staged.add(path, doc.content, replace=False)
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
    while True:
        target = _place(out_dir, file_name, content)
        if target.exists() or write_atomically(target, content, replace=False):
            return target
        # Another writer took the name between the look and the write: look again.


def _place(out_dir: Path, file_name: str, content: bytes, staged: StagedFiles | None = None) -> Path:
    """Where ``content`` goes as ``file_name`` in ``out_dir``: the name itself if free or holding the same
    bytes, else the first numbered copy that is (a file staged for a name holds that name)."""
    folder = out_dir.resolve()
    digest = hashlib.sha256(content).hexdigest()
    given = Path(file_name)
    suffix = given.suffix if _SUFFIX.fullmatch(given.suffix) else ""
    name = Path(safe_file_name(given.stem, suffix=suffix))
    for copy in range(1, _MAX_COPIES + 1):
        target = path_inside(folder, name.name if copy == 1 else f"{name.stem}-{copy}{name.suffix}")
        held = (staged.pending(target) if staged else None) or (target if target.exists() else None)
        if held is None or _sha256(held) == digest:
            return target
    raise UserError(f"{folder}: {_MAX_COPIES} files named like {name.name} already; clean the folder")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
