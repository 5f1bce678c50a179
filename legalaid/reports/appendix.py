"""The report's appendix: every table of the report in an .xlsx workbook, one sheet each, with the figures
as numbers (shares and changes too), for staff who want to rework them in Excel."""

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
