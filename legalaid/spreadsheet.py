"""XLSX workbooks read and written: the one module that imports openpyxl (ruff's banned-api says so).

The importer reads the first sheet's cells here, the import files and the roster sheet are written here,
and the report's appendix builds its workbook with the few operations below. A text is always written as a
text cell: openpyxl takes any text starting with ``=`` for a formula, which must never run in Excel.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

# openpyxl's data types of a cell read back: a formula, an error value (#DIV/0!).
FORMULA, ERROR = "f", "e"


@dataclass(frozen=True)
class ReadCell:
    """A cell as read: its value (a str, number, date, time or other Python value) and openpyxl's type."""

    value: Any
    data_type: str | None


def column_letter(column: int) -> str:
    """The spreadsheet's name of a column numbered from 1 (1 → A, 27 → AA)."""
    return str(get_column_letter(column))


def read_first_sheet(data: bytes) -> list[list[ReadCell]]:
    """Every row of the first worksheet, read-only and *without* ``data_only`` (a formula is seen as one).

    Raises whatever openpyxl raises on a damaged or foreign file (many kinds; the caller says "not a
    readable XLSX workbook").
    """
    # openpyxl warns about workbook features it drops (data validation, styles); they do not matter.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        try:
            sheet = workbook.worksheets[0]
            return [
                [ReadCell(cell.value, getattr(cell, "data_type", None)) for cell in row]
                for row in sheet.iter_rows()
            ]
        finally:
            workbook.close()


def write_sheet(path: Path, rows: Iterable[Sequence[Any]]) -> None:
    """A workbook of one sheet holding ``rows`` (values openpyxl takes: text, numbers, dates, None)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in rows:
        sheet.append([_text_cell(sheet, value) for value in row])
    workbook.save(path)


def _text_cell(sheet: Any, value: Any) -> Any:
    cell = WriteOnlyCell(sheet, value=value)
    if cell.data_type == FORMULA:
        cell.data_type = "s"  # openpyxl takes a text starting with "=" for a formula; it is text
    return cell


def new_workbook() -> Any:
    """An empty workbook with its one sheet (``.active``) to build on. Any: what openpyxl gives."""
    return Workbook()


def bold(cell: Any, *, size: float | None = None) -> None:
    """A cell's text in bold, at ``size`` points when given."""
    cell.font = Font(bold=True, size=size) if size is not None else Font(bold=True)


def workbook_bytes(workbook: Any, *, created: datetime) -> bytes:
    """The workbook as the bytes of an .xlsx file, every text cell a text (never a formula), with a fixed
    creation time (openpyxl stamps the modification time with the clock: the caller rewrites it)."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == FORMULA:
                    cell.data_type = "s"
    workbook.properties.created = created
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
