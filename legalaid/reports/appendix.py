"""The report's appendix: every table of the report in an .xlsx workbook, one sheet each, with the figures
as numbers (shares and changes too), for staff who want to rework them in Excel.

Each number carries the format the report writes it in, so Excel shows what the document shows: counts as
integers (``0``), shares and averages with one decimal (``0.0``: 100.0, not 100), changes with two
(``0.00``: 3.00). Shares stay percent figures (88.8 under a "(%)" header), as the document states them.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

from legalaid.ooxml import normalised_zip
from legalaid.reports.content import Cell, ReportContent
from legalaid.spreadsheet import bold, column_letter, new_workbook, workbook_bytes

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_MODIFIED = re.compile(rb"<dcterms:modified([^>]*)>[^<]*</dcterms:modified>")


INTEGER, ONE_DECIMAL, TWO_DECIMALS = "0", "0.0", "0.00"


def number_format(value: Cell) -> str | None:
    """The cell's number format: a count, a share or average (one decimal), a change (two decimals)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return None
    if isinstance(value, int):
        return INTEGER
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        return TWO_DECIMALS if isinstance(exponent, int) and exponent <= -2 else ONE_DECIMAL
    return ONE_DECIMAL  # a float: an average of days, rounded to one decimal


def _value(value: Cell) -> str | int | float | None:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str) and value.startswith("="):
        return "'" + value  # text, never a formula (a matter typed as "=…" must not run in Excel)
    return value


def render_xlsx(content: ReportContent, *, stamp: datetime) -> bytes:
    """The workbook: a first sheet naming the report, then one sheet per table in the report's order."""
    workbook = new_workbook()
    cover = workbook.active
    assert cover is not None
    cover.title = "说明" if any("\u4e00" <= c <= "\u9fff" for c in content.title) else "About"
    cover.append([content.title])
    cover.append([content.subtitle])
    bold(cover["A1"], size=14)
    used = {cover.title}
    for table in content.tables:
        name = _SHEET_FORBIDDEN.sub("_", table.name)[:31]
        suffix = 2
        while name in used:
            name = f"{name[:28]}-{suffix}"
            suffix += 1
        used.add(name)
        sheet = workbook.create_sheet(name)
        sheet.append([table.title])
        bold(sheet["A1"])
        sheet.append(table.headers)
        for cell in sheet[2]:
            bold(cell)
        for row in table.rows:
            sheet.append([_value(value) for value in row])
            for cell, value in zip(sheet[sheet.max_row], row, strict=False):
                if (fmt := number_format(value)) is not None:
                    cell.number_format = fmt
        for index, header in enumerate(table.headers, start=1):
            width = max([len(str(header)), *(len(str(row[index - 1] or "")) for row in table.rows)])
            sheet.column_dimensions[column_letter(index)].width = min(max(10, width * 2 + 2), 50)
    # Titles and headers hold names from the data too (a firm's report is titled with the firm's name):
    # workbook_bytes makes every text cell a text again, never a formula. Fixed properties: the same
    # figures give the same workbook (and checksum); openpyxl stamps the modification time with the clock
    # when it saves, whatever it is told, so that one is rewritten.
    data = workbook_bytes(workbook, created=stamp)
    modified = f"<dcterms:modified\\1>{stamp:%Y-%m-%dT%H:%M:%SZ}</dcterms:modified>".encode()

    def fixed_time(name: str, content: bytes) -> bytes:
        if name != "docProps/core.xml":
            return content
        return _MODIFIED.sub(modified, content)

    return normalised_zip(data, rewrite=fixed_time)
