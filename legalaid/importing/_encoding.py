"""Decoding a CSV file's bytes: UTF-8 (with or without a BOM) or GB18030, and nothing else, in one line.

GB18030 decodes almost any byte string, so a file in another double-byte encoding (Big5 from Taiwan or
Hong Kong, Shift-JIS) would import as garbage that no error names. Such a file is told by what its GB18030
reading is made of: Chinese text saved by Excel on a Chinese Windows is nearly all in GB2312's common
block (lead byte 0xB0-0xF7, second byte from 0xA1), while Big5's characters land, read as GB18030, in
the symbol rows, the user-defined area and GBK's rare extensions. A file whose non-ASCII characters are
mostly such rare ones, and that Big5 reads without error, is called Big5; one whose characters are
about half rare is refused as another encoding. UTF-16 without a BOM is told by its NUL bytes at every other
place (a plain NUL byte means a binary file).
"""

from __future__ import annotations

import codecs

from legalaid.importing._errors import NO_COLUMN, ErrorLog

ACCEPTED = "save it as UTF-8 (CSV UTF-8 in Excel) or as .xlsx"
# How much of a file the rare-character test reads: enough text for any verdict, fast on any file.
_SAMPLE_BYTES = 64 * 1024
# At least this many non-ASCII characters before a verdict: a name or two proves nothing.
_MIN_CHARS = 8
# The share of rare characters above which a GB18030 reading is taken for Big5 (when Big5 reads the
# file) or for another encoding altogether. Measured on case-file text: simplified Chinese 0 %, Big5 78 %,
# Shift-JIS 52 %; traditional characters saved as GB18030 (rare here, and Big5 cannot read them) 26 %.
_BIG5_SHARE = 0.3
_FOREIGN_SHARE = 0.45


def decode(data: bytes, log: ErrorLog) -> str:
    """The file's text; anything but UTF-8 or GB18030 raises ImportFailed with one line."""
    if b"\x00" in data:
        if _utf16_without_bom(data):
            raise log.fail(1, NO_COLUMN, f"UTF-16 text without a BOM, not UTF-8 or GB18030; {ACCEPTED}")
        raise log.fail(1, NO_COLUMN, "not a CSV or XLSX file: binary content")
    if data.startswith(codecs.BOM_UTF8):
        attempts = [("UTF-8 with BOM", "utf-8", len(codecs.BOM_UTF8))]
    else:
        attempts = [("UTF-8", "utf-8", 0), ("GB18030", "gb18030", 0)]
    failures: list[tuple[str, int]] = []
    for label, encoding, start in attempts:
        try:
            text = str(memoryview(data)[start:], encoding)
        except UnicodeDecodeError as exc:
            failures.append((label, start + exc.start))
            continue
        if encoding == "gb18030":
            _refuse_lookalikes(data, text, log)
        return text
    # Report where the encoding that got furthest stopped: that is most likely the file's real one.
    offset = max(position for _label, position in failures)
    line = data.count(b"\n", 0, offset) + 1
    names = " or ".join(label for label, _position in failures)
    byte = data[offset : offset + 1].hex()
    raise log.fail(
        line, NO_COLUMN, f"not {names} text (undecodable byte 0x{byte} on line {line}); {ACCEPTED}"
    )


def _utf16_without_bom(data: bytes) -> bool:
    """NUL bytes in most even or most odd places: ASCII (and Latin) text in UTF-16."""
    half = len(data) // 2
    return half >= 2 and max(data[0::2].count(0), data[1::2].count(0)) * 2 > half


def _refuse_lookalikes(data: bytes, text: str, log: ErrorLog) -> None:
    """Refuse a file that GB18030 decodes but that is Big5 or another encoding (see the module's doc)."""
    sample = text[:_SAMPLE_BYTES]
    wide = [ch for ch in sample if ord(ch) > 0x7F]
    if len(wide) < _MIN_CHARS:
        return
    rare = [ch for ch in wide if _rare(ch)]
    share = len(rare) / len(wide)
    if share < _BIG5_SHARE:
        return
    line = sample.count("\n", 0, sample.index(rare[0])) + 1
    if _reads_as_big5(data):
        message = f"this looks like Big5 (traditional Chinese) text, not UTF-8 or GB18030 (line {line})"
        raise log.fail(line, NO_COLUMN, f"{message}; {ACCEPTED}")
    if share >= _FOREIGN_SHARE:
        message = f"not UTF-8 or GB18030 text (line {line} reads as {_quoted(sample, rare[0])})"
        raise log.fail(line, NO_COLUMN, f"{message}; {ACCEPTED}")


def _rare(ch: str) -> bool:
    """A character outside GB2312's hanzi and common punctuation: kana, Greek, Cyrillic, box drawing, a
    user-defined or a GBK-extension character (rows 0xA1-0xA3, the punctuation and full-width forms a
    Chinese file is full of, are common)."""
    if ch.isspace() or ord(ch) < 0x100:
        return False
    encoded = ch.encode("gb18030")
    return len(encoded) != 2 or 0xA4 <= encoded[0] < 0xB0 or encoded[0] > 0xF7 or encoded[1] < 0xA1


def _reads_as_big5(data: bytes) -> bool:
    try:
        data.decode("big5")
    except UnicodeDecodeError:
        return False
    return True


def _quoted(text: str, ch: str) -> str:
    at = text.index(ch)
    return repr(text[at : at + 6].split("\n")[0])
