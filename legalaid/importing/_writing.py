"""Writing import files: what the demo and the tests generate their sample files with."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from legalaid.importing._reading import marked_as_text
from legalaid.spreadsheet import write_sheet

Row = Mapping[str, object]


def write_csv(path: Path, headers: Sequence[str], rows: Iterable[Row], encoding: str = "utf-8") -> None:
    """A CSV file in ``encoding`` (``utf-8``, ``utf-8-sig`` for a BOM, ``gb18030``), one row per mapping.

    Values: ``None`` is empty, a date is YYYY-MM-DD, a bool is yes/no, a list is joined with ``;``. A text
    that a spreadsheet would take for a formula (``=…``, ``+…``, ``-…``, ``@…``) gets an apostrophe in
    front, as a spreadsheet itself marks text (CSV injection); the importer reads it back without it.
    """
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([_not_formula(header) for header in headers])
        for row in rows:
            writer.writerow([_not_formula(_text(value)) for value in _ordered(row, headers)])


def write_xlsx(path: Path, headers: Sequence[str], rows: Iterable[Row]) -> None:
    """An XLSX workbook of one sheet; dates become Excel date cells, lists are joined with ``;``; a text is
    always a text cell, never a formula, whatever it starts with."""
    write_sheet(path, [headers, *([_xlsx_value(value) for value in _ordered(row, headers)] for row in rows)])


def _not_formula(text: str) -> str:
    # Around such a text whitespace goes: a spreadsheet would skip it, and the importer strips it anyway.
    stripped = text.strip()
    return "'" + stripped if marked_as_text(stripped) else text


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
