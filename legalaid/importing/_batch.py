"""One checked file on its way into the database, and what each kind does with it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from legalaid.importing._checks import Refs
from legalaid.importing._columns import KindSpec, Layout, ParsedRow
from legalaid.importing._errors import ErrorLog
from legalaid.importing._progress import Ticker
from legalaid.importing._result import ImportResult


@dataclass
class Batch:
    spec: KindSpec
    layout: Layout
    rows: list[ParsedRow]
    refs: Refs
    write: bool  # False in a dry run: plan and count, write nothing
    tick: Ticker
    result: ImportResult  # the kind fills in the counts and changes
    import_id: int | None = None  # the file's row in `imports` (None in a dry run)


# Checks a kind adds to the common ones (references, unique keys): rows that contradict themselves, or
# what the database holds (the session is the import's, read only).
Check = Callable[[Session, list[ParsedRow], Layout, Refs, ErrorLog], None]
Apply = Callable[[Session, Batch], None]


@dataclass(frozen=True)
class Kind:
    spec: KindSpec
    apply: Apply
    check: Check | None = None

    @property
    def appended(self) -> bool:
        """Rows without a key are appended, and a file is imported once (by its SHA-256)."""
        return not self.spec.key
