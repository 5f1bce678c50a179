"""The error an import raises, carrying every bad row as ``file:row:column: message``."""

from __future__ import annotations

from legalaid.errors import UserError

# The column of a problem that belongs to no one column (the file itself, a whole row).
NO_COLUMN = "-"


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
        self._entries.append((row, position, f"{self.file}:{row}:{column}: {message}"))

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
