"""Reading back what the code wrote, for the tests: Word files as text, the roster's shifts, and a count of
every table's rows."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import docx
from sqlalchemy import func, inspect, select, table

from legalaid.models import DutyShift
from legalaid.models.enums import Slot
from legalaid.roster import Shift
from legalaid.runtime import Runtime


def _word(source: bytes | Path) -> docx.document.Document:
    return docx.Document(io.BytesIO(source.read_bytes() if isinstance(source, Path) else source))


def docx_texts(source: bytes | Path) -> tuple[list[str], list[str]]:
    """The text of every body paragraph, and of every table cell, of a Word file, as python-docx reads
    them: for a test that looks for a whole paragraph or a whole cell."""
    document = _word(source)
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return [p.text for p in document.paragraphs], cells


def docx_text(source: bytes | Path) -> str:
    """Every paragraph, then every table row as its cells joined by ' | ', one per line: for a test that
    looks for a sentence or a row."""
    document = _word(source)
    lines = [p.text for p in document.paragraphs]
    for word_table in document.tables:
        lines.extend(" | ".join(cell.text for cell in row.cells) for row in word_table.rows)
    return "\n".join(lines)


def stored_shifts(rt: Runtime, start: date = date.min, end: date = date.max) -> list[Shift]:
    """The shifts in the database from ``start`` to ``end``, as the roster's plain values, in order."""
    with rt.sessions() as session:
        rows = session.scalars(select(DutyShift).where(DutyShift.on >= start, DutyShift.on <= end))
        shifts = [Shift(row.on, Slot(row.slot).value, row.person.code) for row in rows]
    return sorted(shifts, key=lambda shift: shift.sort_key)


def table_counts(rt: Runtime) -> dict[str, int]:
    """Rows in every table of the database (the migrated schema, whatever the models declare): what a
    refused or repeated action must leave as it was."""
    with rt.engine.connect() as connection:
        return {
            name: connection.execute(select(func.count()).select_from(table(name))).scalar_one()
            for name in inspect(connection).get_table_names()
        }
