"""Office files (.docx, .xlsx) made reproducible: the same content gives the same bytes and checksum.

A .docx or .xlsx is a zip whose entries carry the time they were written; re-zipping with a fixed time and
fixed permissions makes a document rendered twice from the same data byte-for-byte the same, so a checksum
tells a changed document from a rebuilt one.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

# A zip entry's time: fixed (the earliest a zip can hold).
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
