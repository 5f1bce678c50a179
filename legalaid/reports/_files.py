"""Writing the report's files: the same content gives the same bytes, and a rebuild replaces the file
whole (a reader never sees half of it)."""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

# A zip entry's time: fixed, so that a report rebuilt from unchanged figures has the same checksum.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def normalised_zip(data: bytes, *, rewrite: Callable[[str, bytes], bytes] | None = None) -> bytes:
    """The same zip (a .docx, a .xlsx) with fixed entry times and permissions; ``rewrite`` may change an
    entry's bytes (a time stamp a library writes whatever it is told)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            content = source.read(entry.filename)
            target.writestr(info, rewrite(entry.filename, content) if rewrite else content)
    return out.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def replace_file(path: Path, content: bytes) -> Path:
    """Write ``content`` to ``path`` through a temporary file and a rename: the old file or the new one,
    never a torn one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path.resolve()
