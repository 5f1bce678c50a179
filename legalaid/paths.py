"""File names made from data, and the one check that a path stays in its folder.

Every file the service writes under a name that comes from data — a case number in a Word document's name,
a firm's name in a report's, an idempotency key in an ``.eml`` file's, the name of an attachment — goes
through ``safe_file_name`` (one name, no separator, no control character, not only dots, not a Windows
device name, short enough for any file system) and, where it is written, ``path_inside`` (the last word:
nothing, not even a symlink already in the folder, takes it elsewhere).
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import unicodedata
from pathlib import Path

from legalaid.errors import UserError

log = logging.getLogger(__name__)

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


# A key's part of a name: enough to tell messages apart in a listing (the outbox id comes first).
MAX_KEY_CHARACTERS = 80
_NOT_KEY_CHARACTER = re.compile(r"[^\w.-]+")


class UnsafeOutputPath(UserError):
    """An output path that would land outside the output folder."""


def safe_file_name(
    name: str,
    *,
    suffix: str = ".docx",
    max_bytes: int = MAX_NAME_BYTES,
    prefix: str = "",
    from_key: bool = False,
    default: str = "document",
) -> str:
    """``prefix`` and ``name`` made into one safe file name ending in ``suffix``: Chinese kept, no separator,
    no control character, no leading dot, not a Windows device name, at most ``max_bytes`` bytes in UTF-8;
    ``default`` when nothing is left of ``name``.

    ``from_key``: ``name`` is a machine key (an idempotency key: ``reminder:closure:(2012)民援字第001号:7``),
    kept readable in a folder listing: a run of anything but letters, digits, ``.``, ``-`` and ``_`` becomes
    one ``_``, and at most the first 80 characters are kept.
    """
    if from_key:
        name = _NOT_KEY_CHARACTER.sub("_", name).strip("._")[:MAX_KEY_CHARACTERS] or default
    text = unicodedata.normalize("NFC", prefix + name)
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
        stem = default
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


def write_atomically(path: Path, data: bytes, *, replace: bool = True) -> bool:
    """Write ``data`` to ``path`` through a temporary file in its folder: a reader sees the old file or the
    new one, never a torn one, and a crash leaves no partial file under the name.

    ``replace=False`` never replaces a file already at ``path`` (a Word document an earlier record points
    at), and False says that another writer got there first. The folder is made if needed.
    """
    with StagedFiles() as staged:
        staged.add(path, data, replace=replace)
    return staged.written == [path]


def current_umask() -> int:
    """The process's umask, read from /proc where it can be (setting it to read it, the only portable way,
    would change it for a moment for every thread)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class StagedFiles:
    """Files put in place only once the transaction that recorded them has committed.

    ``add`` writes each file now, to a temporary file beside its name, so that a folder that cannot be
    written or a full disk fails the transaction rather than follow it; ``publish`` renames (or, with
    ``replace=False``, hard-links) them into place after the commit; ``discard`` removes them (a rollback).
    As a context manager it publishes on a clean exit and discards on an error: entered before the
    transaction, ``with StagedFiles() as staged, rt.transaction() as session:`` commits, then publishes.
    """

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path, bool]] = []
        self.written: list[Path] = []  # what publish put in place
        self.taken: list[Path] = []  # replace=False names another writer had taken meanwhile

    def __enter__(self) -> StagedFiles:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None:
            self.publish()
        else:
            self.discard()

    def add(self, path: Path, data: bytes, *, replace: bool = True) -> None:
        """Write ``data`` beside ``path`` now, to be put at ``path`` by ``publish``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
        self._staged.append((Path(temporary), path, replace))
        # mkstemp makes the file 0600; a document is a file like any other, readable as the umask lets
        # (0644 under the usual 022), so that the staff sharing its folder can open it.
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())

    def pending(self, path: Path) -> Path | None:
        """The temporary file staged for ``path`` (not yet in place), if any."""
        return next((temporary for temporary, target, _ in self._staged if target == path), None)

    def publish(self) -> None:
        """Put every staged file in place (a rename within its folder), and forget them."""
        try:
            for temporary, path, replace in self._staged:
                if replace:
                    os.replace(temporary, path)
                    self.written.append(path)
                elif _link(temporary, path):
                    self.written.append(path)
                else:  # a rare race: the record says which bytes are its own; the mail carried them
                    log.warning("%s: another writer put a file there first; this copy was not kept", path)
                    self.taken.append(path)
        finally:
            self.discard()

    def discard(self) -> None:
        """Remove the temporary files still there, and forget them."""
        for temporary, _path, _replace in self._staged:
            temporary.unlink(missing_ok=True)
        self._staged.clear()


def _link(temporary: Path, path: Path) -> bool:
    """``temporary`` linked as ``path`` unless ``path`` exists; False if it does."""
    try:
        # A hard link appears whole or not at all, and fails rather than replace a file that appeared.
        os.link(temporary, path)
    except FileExistsError:
        return False
    except OSError:  # a file system without hard links (FAT, some network shares): exclusive create
        try:
            with open(path, "xb") as stream:
                stream.write(temporary.read_bytes())
        except FileExistsError:
            return False
    return True
