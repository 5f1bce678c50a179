"""In-memory rows (JSON objects keyed by the import's column names) as the records a file would give.

``import_rows`` takes rows from a caller that has them already (the HTTP API's request bodies) and hands
them to the same table, header matching, parsing, checks and writing as a file's: only the reading
differs. The field names play the header (numbered row 0: they have no row of their own); the rows are
numbered from 1, in the order given. A field one row leaves out that another gives is an empty cell in
the first (as in a file: it clears the value); a field no row gives is a column left out (left alone).
A text is stripped and an empty text is an empty cell, as in a CSV file; a list is the list cell
``a;b`` (``applicant_groups``); a number or a boolean is a typed cell, as XLSX gives them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence

from legalaid.importing._errors import NO_COLUMN, ErrorLog
from legalaid.importing._reading import Cell, Record, Sheet, Unreadable, tabulate

HEADER_ROW = 0  # ErrorLog leaves row 0 out of a line: the field names are no row of a file
Row = Mapping[str, object]


def rows_sheet(rows: Sequence[Row], log: ErrorLog) -> Sheet:
    """The rows as a table: the union of their field names as the header, each row's values as cells."""
    if not rows:
        raise log.fail(HEADER_ROW, NO_COLUMN, "no rows: give at least one")
    fields = list(dict.fromkeys(name for row in rows for name in row))
    records: list[Record] = [(HEADER_ROW, list[Cell](fields))]
    for number, row in enumerate(rows, start=1):
        records.append((number, [_cell(row[name]) if name in row else None for name in fields]))
    return tabulate(records, 0, log)


def rows_sha256(rows: Sequence[Row]) -> str:
    """The rows' fingerprint, as a file's bytes have theirs: the same rows sent twice are the same."""
    text = json.dumps(list(map(dict, rows)), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _cell(value: object) -> Cell:
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, list | tuple):
        if not all(isinstance(item, str) for item in value):
            return Unreadable("a list of texts expected")
        return ";".join(item.strip() for item in value if item.strip()) or None
    return Unreadable(f"a {type(value).__name__} where a value is expected")
