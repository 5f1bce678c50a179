"""Writing import files: what the demo and the tests generate their sample files with."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

Row = Mapping[str, object]


def write_csv(path: Path, headers: Sequence[str], rows: Iterable[Row], encoding: str = "utf-8") -> None:
    """A CSV file in ``encoding`` (``utf-8``, ``utf-8-sig`` for a BOM, ``gb18030``), one row per mapping.

    Values: ``None`` is empty, a date is YYYY-MM-DD, a bool is yes/no, a list is joined with ``;``.
    """
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        for row in rows:
            writer.writerow([_text(value) for value in _ordered(row, headers)])


def write_xlsx(path: Path, headers: Sequence[str], rows: Iterable[Row]) -> None:
    """An XLSX workbook of one sheet; dates become Excel date cells, lists are joined with ``;``."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(list(headers))
    for row in rows:
        cells = []
        for value in _ordered(row, headers):
            cell = WriteOnlyCell(sheet, value=_xlsx_value(value))
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # openpyxl would otherwise write a text starting with "=" as a formula
            cells.append(cell)
        sheet.append(cells)
    workbook.save(path)


def _ordered(row: Row, headers: Sequence[str]) -> list[object]:
    if unknown := set(row) - set(headers):
        raise ValueError(f"values for columns not in the header: {sorted(unknown)}")
    return [row.get(header) for header in headers]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return ";".join(sorted(_text(item) for item in value))
    if isinstance(value, list | tuple):
        return ";".join(_text(item) for item in value)
    return str(value)


def _xlsx_value(value: object) -> Any:  # Any: openpyxl takes dates, though its stubs say datetime
    if value is None or isinstance(value, bool | int | float | date):
        return value
    return _text(value)
