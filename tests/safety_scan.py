"""Scanners for the safety tests: unmasked ID-card and mobile numbers, and secrets in any form a run could
leave them in (as written, percent-encoded, base64 as SMTP AUTH carries them), in text, bytes, files,
Office files, .eml messages and a SQLite database.

Written independently of ``legalaid.logs``: a scan that used the product's own patterns would find only
what the product already masks.
"""

from __future__ import annotations

import base64
import io
import re
import sqlite3
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from urllib.parse import quote

# Digits inside a lowercase hex token (a digest in a key or a Message-ID) or a UUID are not a person's.
_HEX = re.compile(
    r"(?<![0-9A-Za-z])(?:[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}"
    r"|(?=[0-9a-f]*[a-f])[0-9a-f]{11,})(?![0-9A-Za-z])"
)
# Any run that could be an ID card (18 digits, the last may be X; or 15 digits) or a mainland mobile
# (11 digits from 13…19, also +86-prefixed or with dashes); not digits after a decimal point.
_PERSONAL = re.compile(
    r"(?<!\d)(?<!\d\.)(?:\d{17}[\dXx]|\d{15}|1[3-9]\d{9}|1[3-9]\d-\d{4}-\d{4})(?![\dXx]|\.\d)"
)


def unmasked_personal(text: str) -> list[str]:
    """The ID-card and mobile numbers in ``text`` that are not masked."""
    return _PERSONAL.findall(_HEX.sub(" ", text))


# Secrets --------------------------------------------------------------------------------------------------


def base64_cores(secret: bytes) -> list[bytes]:
    """What base64 of any text containing ``secret`` must contain, whatever came before it: for each of the
    three alignments, the characters that depend on the secret's bytes alone (the ones that mix in a
    neighbour's bits are dropped). SMTP AUTH PLAIN sends base64("\\0user\\0password"), AUTH LOGIN
    base64("password")."""
    cores = []
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + secret)
        first = -(-8 * offset // 6)  # the first character made of the secret's bits only
        last = 8 * (offset + len(secret)) // 6  # past the last one
        cores.append(encoded[first:last])
    return cores


def secret_forms(secret: str) -> list[bytes]:
    """The secret as bytes, percent-encoded, and the base64 cores (of the secret in UTF-8)."""
    raw = secret.encode("utf-8")
    forms = {raw, quote(secret, safe="").encode("ascii"), *base64_cores(raw)}
    return sorted(forms, key=len)


@dataclass(frozen=True)
class Leak:
    where: str
    form: bytes

    def __str__(self) -> str:
        return f"{self.where}: contains {self.form!r}"


def find_secrets(where: str, data: bytes, secrets: Iterable[str]) -> list[Leak]:
    return [Leak(where, form) for secret in secrets for form in secret_forms(secret) if form in data]


# What a run leaves behind, opened up ----------------------------------------------------------------------


def readable_parts(path: Path) -> Iterator[tuple[str, bytes]]:
    """A file's bytes, and what is inside it: the XML of an Office file, the decoded parts and headers of
    an .eml file, every row of every table of a SQLite database."""
    data = path.read_bytes()
    yield from _opened(str(path), data)
    if path.suffix == ".eml":
        message = parse_eml(data)
        yield f"{path} (headers)", "\n".join(f"{k}: {v}" for k, v in message.items()).encode()
        for number, part in enumerate(message.walk()):
            payload = None if part.is_multipart() else part.get_payload(decode=True)
            if isinstance(payload, bytes):
                name = part.get_filename() or part.get_content_type()
                yield from _opened(f"{path} (part {number}, {name})", payload)
    elif data[:16] == b"SQLite format 3\x00":
        yield f"{path} (dump)", sqlite_dump(path).encode("utf-8")
        for where, blob in sqlite_blobs(path):
            yield from _opened(f"{path} ({where})", blob)


def _opened(where: str, data: bytes) -> Iterator[tuple[str, bytes]]:
    """The bytes, and each member of a zip (.docx, .xlsx) as well."""
    yield where, data
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                yield f"{where}!{name}", archive.read(name)


def parse_eml(data: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    return message


def sqlite_dump(path: Path) -> str:
    """Every row of every table, as text (bytes columns decoded leniently)."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    connection.text_factory = lambda raw: raw.decode("utf-8", "replace")
    try:
        return "\n".join(connection.iterdump())
    finally:
        connection.close()


def sqlite_blobs(path: Path) -> Iterator[tuple[str, bytes]]:
    """Every bytes value of every table (attachments, documents), which the text dump shows as hex."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for number, row in enumerate(connection.execute(f'SELECT * FROM "{table}"')):
                for column, value in enumerate(row):
                    if isinstance(value, bytes):
                        yield f"{table} row {number} column {column}", value
    finally:
        connection.close()


def files_under(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())
