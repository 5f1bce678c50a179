"""Reading an import file into a header and rows of cells, whatever its format and encoding.

The format is told by the content, not the name: a ZIP is read as XLSX, anything else as CSV text.
CSV text is UTF-8 with a BOM, else strict UTF-8, else GB18030 (what Excel on a Chinese Windows saves).
Any other encoding is refused in one line naming the accepted ones (see _encoding: GB18030 decodes almost
any bytes, so a Big5 file is recognised by the rare characters its GB18030 reading is made of).
XLSX is read from its first worksheet with openpyxl in read-only mode and *without* ``data_only``, so
that a formula is seen as a formula: a formula cell (in the header too) is an error naming the cell, even
when the file holds a cached value, because that value may be stale or, in files written by scripts,
absent. Paste values instead.

A CSV cell written as ``'=…`` (also ``'+``, ``'-``, ``'@``) is read without its first apostrophe: that is
how ``write_csv`` keeps such a value from being taken for a formula when the file is opened in a
spreadsheet (and how a spreadsheet marks text typed so).
Control characters (other than tab and line breaks) are refused in every cell: no document, workbook or
email could carry them.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from typing import cast

from legalaid.importing._encoding import decode
from legalaid.importing._errors import NO_COLUMN, ErrorLog
from legalaid.importing._values import CellValue, as_text
from legalaid.spreadsheet import ERROR, FORMULA, ReadCell, column_letter, read_first_sheet

# Longer than any column of the schema by far; a bigger cell is a pasted document, not a value.
MAX_CELL_CHARS = 10_000
# What a spreadsheet takes for the start of a formula; write_csv puts an apostrophe before it.
FORMULA_STARTS = ("=", "+", "-", "@")
# Characters XML 1.0 cannot carry (C0 controls but tab and line breaks; U+FFFE, U+FFFF).
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ZIP = b"PK\x03\x04"
_NOT_TABLES = {
    b"\xd0\xcf\x11\xe0": "an old .xls workbook (save it as .xlsx or CSV)",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\x1f\x8b": "gzip data",
    codecs.BOM_UTF16_LE: "UTF-16 text (save it as 'CSV UTF-8')",
    codecs.BOM_UTF16_BE: "UTF-16 text (save it as 'CSV UTF-8')",
}


@dataclass(frozen=True)
class Unreadable:
    """An XLSX cell whose value cannot be taken as it is: a formula, or an error value like #DIV/0!."""

    message: str


Cell = CellValue | Unreadable | None
Record = tuple[int, list[Cell]]


@dataclass
class Sheet:
    """The header (as written, ``""`` where a column has none) and the non-empty rows below it."""

    headers: list[str]
    rows: list[tuple[int, list[CellValue | None]]]
    # Cells already reported (too large, a formula, …) that parsing must skip.
    bad_cells: set[tuple[int, int]] = field(default_factory=set)
    header_row: int = 1  # the spreadsheet's number of the header row (a title may stand above it)


def read_records(data: bytes, log: ErrorLog) -> list[Record]:
    """Every row of the file, numbered as a spreadsheet numbers it; a file that is no table at all raises
    ImportFailed. Which row is the header is for the caller to find (see _header)."""
    for magic, what in _NOT_TABLES.items():
        if data.startswith(magic):
            raise log.fail(1, NO_COLUMN, f"not a CSV or XLSX file: {what}")
    return _xlsx_records(data, log) if data.startswith(_ZIP) else _csv_records(data, log)


def header_texts(cells: list[Cell]) -> list[str]:
    """A row's cells as header names: text, ``""`` for an empty cell or a formula."""
    return ["" if cell is None else as_text(cell).strip("\ufeff ") for cell in _plain(cells)]


def is_blank(cells: list[Cell]) -> bool:
    return all(cell is None for cell in cells)


def _csv_records(data: bytes, log: ErrorLog) -> list[Record]:
    reader = csv.reader(io.StringIO(decode(data, log), newline=""))
    records: list[Record] = []
    try:
        # A spreadsheet row is a CSV record, even one whose quoted cell spans several lines.
        for number, fields in enumerate(reader, start=1):
            records.append((number, [_csv_cell(value) for value in fields]))
    except csv.Error as exc:
        raise log.fail(len(records) + 1, NO_COLUMN, f"not valid CSV: {exc}") from None
    return records


def marked_as_text(value: str) -> bool:
    """Whether a CSV cell's (stripped) text is one that write_csv marks with an apostrophe: one that
    starts, after any apostrophes, like a formula. The reader takes one apostrophe off such a cell."""
    return value.lstrip("'").startswith(FORMULA_STARTS)


def _csv_cell(value: str) -> str | None:
    value = value.strip()
    if value.startswith("'") and marked_as_text(value):
        value = value[1:]  # written so by write_csv: text, not a formula
    return value or None


def _xlsx_records(data: bytes, log: ErrorLog) -> list[Record]:
    try:
        rows = read_first_sheet(data)
    except Exception as exc:  # openpyxl raises many kinds on a damaged or foreign ZIP; all mean the same
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise log.fail(1, NO_COLUMN, f"not a readable XLSX workbook: {reason}") from None
    return [
        (number, [_xlsx_cell(cell, number, column) for column, cell in enumerate(row, 1)])
        for number, row in enumerate(rows, start=1)
    ]


def _xlsx_cell(cell: ReadCell, row: int, column: int) -> Cell:
    value = cell.value
    if value is None:
        return None
    if cell.data_type == FORMULA:
        where = f"{column_letter(column)}{row}"
        return Unreadable(f"cell {where} holds a formula ({as_text(value)[:40]}); paste its value instead")
    if cell.data_type == ERROR:
        return Unreadable(f"cell {column_letter(column)}{row} holds the error value {value}")
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, CellValue):
        return value
    return as_text(value)  # e.g. a timedelta from a duration format


def tabulate(records: list[Record], at: int, log: ErrorLog) -> Sheet:
    """The table whose header is ``records[at]``; the rows above it (a title) are left out, bad cells go to
    ``log``."""
    if not records:
        raise log.fail(1, NO_COLUMN, "empty file: no header row")
    number, first = records[at]
    for index, cell in enumerate(first):
        if isinstance(cell, Unreadable):  # a header that is a formula: not its text, not nothing
            log.add(number, NO_COLUMN, cell.message, position=index)
    headers = header_texts(first)
    rows = records[at + 1 :]
    if not any(headers):
        rest = any(not is_blank(cells) for _number, cells in rows)
        raise log.fail(number, NO_COLUMN, f"row {number} must be the header row" if rest else "empty file")
    sheet = Sheet(headers=headers, rows=[], header_row=number)
    for number, cells in rows:
        if is_blank(cells):
            continue
        sheet.rows.append((number, _checked(number, cells, sheet, log)))
    return sheet


def _plain(cells: list[Cell]) -> list[CellValue | None]:
    return [None if isinstance(cell, Unreadable) else cell for cell in cells]


def _checked(number: int, cells: list[Cell], sheet: Sheet, log: ErrorLog) -> list[CellValue | None]:
    """The row's cells, with every cell that cannot be used reported and blanked."""
    headers = sheet.headers
    unreadable = False
    for index, cell in enumerate(cells):
        if cell is None:
            continue
        header = headers[index] if index < len(headers) else ""
        if not header:
            where = column_letter(index + 1)
            log.add(number, NO_COLUMN, f"a value in column {where}, which has no header", position=index)
        elif isinstance(cell, Unreadable):
            log.add(number, header, cell.message, position=index)
            unreadable = True
        elif isinstance(cell, str) and len(cell) > MAX_CELL_CHARS:
            message = f"cell too large: {len(cell)} characters (limit {MAX_CELL_CHARS})"
            log.add(number, header, message, position=index)
        elif isinstance(cell, str) and (control := _NOT_TEXT.search(cell)):
            message = f"a control character (U+{ord(control.group()):04X}) in the value: retype it"
            log.add(number, header, message, position=index)
        else:
            continue
        sheet.bad_cells.add((number, index))
    # Only XLSX rows can hold Unreadable cells; most rows need no copy.
    return _plain(cells) if unreadable else cast(list[CellValue | None], cells)
