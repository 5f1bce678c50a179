"""The error an import raises, carrying every bad row as ``file:row:column: message``."""

from __future__ import annotations

import re

from legalaid.errors import UserError

# The column of a problem that belongs to no one column (the file itself, a whole row).
NO_COLUMN = "-"
# A line break in a file name or a header as written must not break a problem's line: shown escaped.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escape(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


class ImportFailed(UserError):
    """The file has bad rows (or is not a readable table at all); nothing was written."""

    exit_code = 1

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        more = f" (and {len(errors) - 1} more errors)" if len(errors) > 1 else ""
        super().__init__(f"{errors[0]}{more}")


class ErrorLog:
    """Collects the problems of one file, to report them all at once in row order."""

    def __init__(self, file: str) -> None:
        self.file = file
        self._entries: list[tuple[int, int, str]] = []

    def add(self, row: int, column: str, message: str, *, position: int = 0) -> None:
        """Note a problem; ``position`` (the column's index in the file) orders problems within a row."""
        line = f"{self.file}:{row}:{column}: {message}"
        self._entries.append((row, position, _CONTROL.sub(_escape, line)))

    def __len__(self) -> int:
        return len(self._entries)

    def fail(self, row: int, column: str, message: str) -> ImportFailed:
        """An ImportFailed for a problem that ends reading the file, with whatever was noted before it."""
        self.add(row, column, message)
        return ImportFailed(self.lines())

    def lines(self) -> list[str]:
        return [line for _row, _position, line in sorted(self._entries, key=lambda e: e[:2])]

    def raise_if_any(self) -> None:
        if self._entries:
            raise ImportFailed(self.lines())
