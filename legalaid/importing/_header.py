"""Finding the header row of a file as staff export it, and telling a file of another kind.

A case system's export or a hand-kept sheet often has a title above the header (a merged cell reading
``2012年案件登记表``, perhaps a blank row). The header is the row, among the first ``SEARCHED_ROWS``,
whose cells name the most of the kind's columns, a row naming all the required ones first; the rows above
it are left out and the import says so in one line. A file whose best row names none of the kind's
required columns but all of another kind's is that other kind's file: one line says which.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass

from legalaid.importing._columns import KindSpec
from legalaid.importing._reading import Record, header_texts, is_blank
from legalaid.importing._values import show

# How far down a header is looked for: a title and a blank row or two, never the data.
SEARCHED_ROWS = 10
# How many of a file's matching headers a message quotes before "…".
_QUOTED = 3


@dataclass(frozen=True)
class HeaderMatch:
    """A row that names some of a kind's columns."""

    index: int  # in the file's records
    number: int  # the spreadsheet's row
    names: tuple[str, ...]  # the cells that name a column, as written, in the file's order
    complete: bool  # every required column is named

    @property
    def score(self) -> tuple[bool, int]:
        return self.complete, len(self.names)


def best_row(records: list[Record], spec: KindSpec) -> HeaderMatch | None:
    """The row among the first SEARCHED_ROWS that best matches ``spec``'s columns (the first on a tie)."""
    best: HeaderMatch | None = None
    for index, (number, cells) in enumerate(records[:SEARCHED_ROWS]):
        names: dict[str, str] = {}
        for text in header_texts(cells):
            if text and (column := spec.column_named(text)) is not None:
                names.setdefault(column.name, text)
        if not names:
            continue
        complete = all(c.name in names for c in spec.columns if c.required)
        match = HeaderMatch(index, number, tuple(names.values()), complete)
        if best is None or match.score > best.score:
            best = match
    return best


def header_index(records: list[Record], spec: KindSpec) -> int:
    """Where the header is: the best matching row, else the first non-blank row (its unknown columns are
    then reported as such), else the first row."""
    if (match := best_row(records, spec)) is not None:
        return match.index
    return next((index for index, (_number, cells) in enumerate(records) if not is_blank(cells)), 0)


def skipped_note(records: list[Record], index: int) -> str | None:
    """``header found on row 3; rows 1-2 above it skipped (a title: '…')``, or None for a header on top."""
    if index == 0:
        return None
    above = records[:index]
    first, last = above[0][0], above[-1][0]
    rows = f"row {first}" if first == last else f"rows {first}-{last}"
    texts = [text for _number, cells in above for text in header_texts(cells) if text]
    what = f"a title: {show(texts[0])}" if texts else "blank"
    return f"header found on row {records[index][0]}; {rows} above it skipped ({what})"


def other_kind(
    records: list[Record], spec: KindSpec, specs: Iterable[KindSpec]
) -> tuple[KindSpec, HeaderMatch] | None:
    """The kind the file looks like when it is not ``spec``'s: its header lacks ``spec``'s required
    columns, and names all of another kind's and more of that kind's columns than of ``spec``'s."""
    own = best_row(records, spec)
    if own is not None and own.complete:
        return None
    own_count = len(own.names) if own is not None else 0
    found: tuple[KindSpec, HeaderMatch] | None = None
    for other in specs:
        if other.kind == spec.kind or (match := best_row(records, other)) is None or not match.complete:
            continue
        if len(match.names) > own_count and (found is None or len(match.names) > len(found[1].names)):
            found = other, match
    return found


def other_kind_message(other: KindSpec, match: HeaderMatch, spec: KindSpec, path: str) -> str:
    """``this looks like a people file (编号, 姓名, 邮箱, …), not cases: run legalaid import people …``"""
    names = ", ".join(match.names[:_QUOTED]) + (", …" if len(match.names) > _QUOTED else "")
    return (
        f"this looks like a {other.kind} file ({names}), not {spec.kind}: "
        f"run legalaid import {other.kind} {shlex.quote(path)}"
    )
