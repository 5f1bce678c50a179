"""Office files (.docx, .xlsx) made reproducible: the same content gives the same bytes and checksum.

A .docx or .xlsx is a zip whose entries carry the time they were written; re-zipping with a fixed time and
fixed permissions makes a document rendered twice from the same data byte-for-byte the same, so a checksum
tells a changed document from a rebuilt one.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Collection, Mapping

# A zip entry's time: fixed (the earliest a zip can hold).
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def normalised_zip(
    data: bytes,
    *,
    rewrite: Callable[[str, bytes], bytes] | None = None,
    leave_out: Collection[str] = (),
) -> bytes:
    """The same zip (a .docx, a .xlsx) with fixed entry times and permissions; ``rewrite`` may change an
    entry's bytes (a time stamp a library writes whatever it is told); the entries ``leave_out`` names are
    left out (to be added by ``appended_to_zip``)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            if entry.filename in leave_out:
                continue
            content = source.read(entry.filename)
            target.writestr(_entry(entry.filename), rewrite(entry.filename, content) if rewrite else content)
    return out.getvalue()


def appended_to_zip(data: bytes, entries: Mapping[str, bytes]) -> bytes:
    """A normalised zip with ``entries`` (name → bytes) added after its own, as normalised: the entries it
    has are copied as they are, compressed already."""
    out = io.BytesIO(data)
    out.seek(0, io.SEEK_END)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as target:
        for name, content in entries.items():
            target.writestr(_entry(name), content)
    return out.getvalue()


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info
