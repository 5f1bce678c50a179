"""The columns of each kind, matching a file's header to them, and parsing its rows.

Each column has an English and a Chinese name; a file may use either (or mix them). A column that is
left out of a file is left alone on update; a column that is in the file but empty in a row clears the
value (or sets its ``default``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any, Literal

from legalaid.importing._errors import ErrorLog
from legalaid.importing._progress import Ticker
from legalaid.importing._reading import Sheet
from legalaid.importing._values import Parser

Ref = Literal["firm", "person"]
_SPACES = re.compile(r"[\s\-]+")


@dataclass(frozen=True)
class Column:
    name: str  # the English header, and the key of the parsed value
    zh: str  # the Chinese header
    parse: Parser
    required: bool = False  # the column must be in the file and have a value in every row
    default: Any = None  # the value of an empty cell
    db: str = ""  # the database column, when it is not `name`
    ref: Ref | None = None  # a code that must name a row of the database; stored as that row's id
    vocabulary: type[StrEnum] | None = None  # the codes the column takes (also by their Chinese labels)

    @property
    def db_name(self) -> str:
        return self.db or self.name


@dataclass(frozen=True)
class KindSpec:
    kind: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # column names; empty for kinds that are appended

    def headers(self, *, chinese: bool = False) -> list[str]:
        return [c.zh if chinese else c.name for c in self.columns]

    def column_named(self, header: str) -> Column | None:
        """The column a header names, in English (any case, spaces or dashes for ``_``) or in Chinese."""
        return self._by_name.get(_normal(header))

    @cached_property
    def _by_name(self) -> dict[str, Column]:
        return {_normal(c.name): c for c in self.columns} | {c.zh: c for c in self.columns}


@dataclass
class Layout:
    """Which of a kind's columns a file has, where, and under which header as written."""

    columns: list[Column]
    position: dict[str, int]
    header: dict[str, str]

    def has(self, name: str) -> bool:
        return name in self.position


@dataclass
class ParsedRow:
    number: int  # the spreadsheet's row (the header is row 1 unless a title stands above it)
    values: dict[str, Any] = field(default_factory=dict)


def _normal(header: str) -> str:
    return _SPACES.sub("_", header.strip().lower())


def map_headers(sheet: Sheet, spec: KindSpec, log: ErrorLog) -> Layout:
    """Match the header row to the kind's columns; unknown, repeated and missing columns are errors.

    Raises ImportFailed on any of them (with the problems noted before): rows cannot be read without
    knowing their columns.
    """
    problems_before = len(log)
    at = sheet.header_row
    layout = Layout(columns=[], position={}, header={})
    chinese = 0
    for index, header in enumerate(sheet.headers):
        if not header:
            continue
        column = spec.column_named(header)
        if column is None:
            expected = ", ".join(f"{c.name}/{c.zh}" for c in spec.columns)
            log.add(at, header, f"unknown column (the columns of {spec.kind}: {expected})", position=index)
        elif column.name in layout.position:
            first = layout.header[column.name]
            log.add(at, header, f"column given twice (also as {first!r})", position=index)
        else:
            layout.columns.append(column)
            layout.position[column.name] = index
            layout.header[column.name] = header
            chinese += header == column.zh
    in_chinese = chinese * 2 > len(layout.columns)
    for column in spec.columns:
        if column.required and column.name not in layout.position:
            name, other = (column.zh, column.name) if in_chinese else (column.name, column.zh)
            log.add(at, name, f"missing required column ({name} or {other})", position=len(sheet.headers))
    if len(log) > problems_before:
        raise log.failed()
    return layout


def parse_rows(sheet: Sheet, layout: Layout, log: ErrorLog, tick: Ticker) -> list[ParsedRow]:
    """Every row's values, parsed; a bad value is logged and left out of its row's values."""
    plan = [(c, layout.position[c.name], layout.header[c.name]) for c in layout.columns]
    bad_cells = sheet.bad_cells
    parsed: list[ParsedRow] = []
    for number, cells in sheet.rows:
        row = ParsedRow(number)
        values = row.values
        width = len(cells)
        for column, index, header in plan:
            cell = cells[index] if index < width else None
            if bad_cells and (number, index) in bad_cells:
                continue  # reported by the reader
            if cell is None:
                if column.required:
                    log.add(number, header, "missing value", position=index)
                else:
                    values[column.name] = column.default
            else:
                try:
                    values[column.name] = column.parse(cell)
                except ValueError as exc:
                    log.add(number, header, str(exc), position=index)
        parsed.append(row)
        tick.advance()
    return parsed
