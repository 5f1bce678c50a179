"""XLSX workbooks read and written: the one module that imports openpyxl (ruff's banned-api says so).

The importer reads the first sheet's cells here, the import files and the roster sheet are written here,
and the report's appendix builds its workbook with the few operations below. A text is always written as a
text cell: openpyxl takes any text starting with ``=`` for a formula, which must never run in Excel.
"""

from __future__ import annotations

import io
import unicodedata
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
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


def write_titled_sheet(
    path: Path,
    *,
    sheet_name: str,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    date_format: str,
) -> None:
    """A workbook of one sheet named ``sheet_name``: the title in a merged first row, the headers in bold,
    then ``rows``. A date stays a date (an Excel serial number shown with ``date_format``), so the column
    sorts and filters as dates; every column is as wide as its longest text (a Chinese character counts
    two), so nothing is cut off or hidden behind "####" when the file is opened or printed."""
    workbook = Workbook()
    sheet: Any = workbook.active  # Any: openpyxl's stubs type the active sheet as optional
    sheet.title = sheet_name[:31]  # Excel's limit on a sheet name
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(1, len(headers)))
    bold(sheet.cell(row=1, column=1), size=14)
    sheet.cell(row=1, column=1).alignment = Alignment(horizontal="center")
    sheet.append(list(headers))
    for cell in sheet[2]:
        bold(cell)
    widths = [_display_width(str(header)) for header in headers]
    for values in rows:
        sheet.append(list(values))
        for column, value in enumerate(values):
            if isinstance(value, date):
                sheet.cell(row=sheet.max_row, column=column + 1).number_format = date_format
                # 2012年11月30日: the format's width, and one more digit each for a month and a day
                shown = _display_width(date_format.replace('"', "")) + 2
            else:
                shown = _display_width("" if value is None else str(value))
            if column < len(widths):
                widths[column] = max(widths[column], shown)
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width + 2
    sheet.print_title_rows = "1:2"  # a printout repeats the title and headers on every page
    # Printed on A4, as wide as the page (as many pages down as it takes).
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == FORMULA:
                cell.data_type = "s"  # a text that looks like a formula is text
    workbook.save(path)


def _display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: a CJK (wide) character two, anything else one."""
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in text)
