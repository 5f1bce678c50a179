"""File names made from data, and the one check that a path stays in its folder.

Every file the service writes under a name that comes from data — a case number in a Word document's name,
a firm's name in a report's, an idempotency key in an ``.eml`` file's, the name of an attachment — goes
through ``safe_file_name`` (one name, no separator, no control character, not only dots, not a Windows
device name, short enough for any file system) and, where it is written, ``path_inside`` (the last word:
nothing, not even a symlink already in the folder, takes it elsewhere).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from legalaid.errors import UserError

# Most file systems allow 255 bytes per name; leave room for a "-2" suffix and a ".pdf" beside a ".docx".
MAX_NAME_BYTES = 200
_MAX_FILE_SYSTEM_NAME = 255  # bytes: ext4, XFS, Btrfs, NTFS (in UTF-16 units there, more than enough)
# Path separators and the characters Windows refuses in a name (files are often copied to a share).
_FORBIDDEN = re.compile(r'[/\\:*?"<>|]')
# Names Windows reserves for devices, with any extension (and COM¹, LPT², …: Windows reserves those too).
_DIGITS = "123456789¹²³"
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{p}{n}" for p in ("COM", "LPT") for n in _DIGITS
}


class UnsafeOutputPath(UserError):
    """An output path that would land outside the output folder."""


def safe_file_name(name: str, *, suffix: str = ".docx", max_bytes: int = MAX_NAME_BYTES) -> str:
    """``name`` made into one safe file name ending in ``suffix``: Chinese kept, no separator, no control
    character, no leading dot, not a Windows device name, at most ``max_bytes`` bytes in UTF-8."""
    text = unicodedata.normalize("NFC", name)
    kept: list[str] = []
    for char in text:
        category = unicodedata.category(char)
        if category in ("Cf", "Cs"):  # invisible format characters (bidi overrides can disguise an
            continue  # extension), and lone surrogates (no file system can name a file with one)
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
    if stem.split(".")[0].strip(" ").upper() in _RESERVED:
        stem = f"_{stem}"
    return stem + suffix


def path_inside(folder: Path, name: str) -> Path:
    """``folder / name``, resolved, if it is a file directly in ``folder`` (resolved too); UnsafeOutputPath
    otherwise: a name with a separator or ``..``, an absolute one, or a symlink in the folder pointing out.
    """
    root = folder.resolve()
    if len(name.encode("utf-8", "surrogatepass")) > _MAX_FILE_SYSTEM_NAME:
        raise UnsafeOutputPath(f"{name[:40]!r}…: not a file name {root} can hold (over 255 bytes)")
    try:
        target = (root / name).resolve()
    except (ValueError, OSError) as exc:  # a NUL byte; a name too long for the file system
        raise UnsafeOutputPath(f"{name[:40]!r}…: not a file name {root} can hold ({exc})") from None
    if name in ("", ".", "..") or target.parent != root:
        raise UnsafeOutputPath(f"{name!r} would be written outside {root}")
    return target
