"""The error an import raises, carrying every bad row as ``file:row:column: message`` (what the command
line prints) and as ``ImportProblem`` objects (what the HTTP API answers), both built in one place."""

from __future__ import annotations

import re
from dataclasses import dataclass

from legalaid.errors import UserError

# The column of a problem that belongs to no one column (the file itself, a whole row).
NO_COLUMN = "-"
# A line break in a file name or a header as written must not break a problem's line: shown escaped.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escape(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


# "file:row:column: message", for an ImportFailed built from lines alone.
_LINE = re.compile(r"^(?P<file>.*?):(?P<row>\d+):(?P<column>[^:]*): (?P<message>.*)$", re.DOTALL)


@dataclass(frozen=True)
class ImportProblem:
    """One bad value: its row as the file numbers it (None for in-memory rows' field names, or a line of
    no known shape), its column as written (None for the file or a whole row), and what is wrong."""

    row: int | None
    column: str | None
    message: str

    @classmethod
    def of_line(cls, line: str) -> ImportProblem:
        """The problem a ``file:row:column: message`` line states; another line whole, as the message."""
        match = _LINE.match(line)
        if match is None:
            return cls(None, None, line)
        column = match["column"]
        return cls(int(match["row"]), None if column == NO_COLUMN else column, match["message"])


class ImportFailed(UserError):
    """The file has bad rows (or is not a readable table at all); nothing was written."""

    exit_code = 1

    def __init__(self, errors: list[str], problems: list[ImportProblem] | None = None) -> None:
        self.errors = errors
        # The same problems as objects: given by ErrorLog; read back from the lines otherwise.
        self.problems = problems if problems is not None else [ImportProblem.of_line(e) for e in errors]
        more = f" (and {len(errors) - 1} more errors)" if len(errors) > 1 else ""
        super().__init__(f"{errors[0]}{more}")


class ErrorLog:
    """Collects the problems of one file, to report them all at once in row order."""

    def __init__(self, file: str) -> None:
        self.file = file
        self._entries: list[tuple[int, int, str, ImportProblem]] = []

    def add(self, row: int, column: str, message: str, *, position: int = 0) -> None:
        """Note a problem; ``position`` (the column's index in the file) orders problems within a row.

        Row 0 is the field names of in-memory rows (``import_rows``), which have no row of their own: the
        line leaves the row out and the problem's row is None."""
        where = f"{row}:{column}" if row > 0 else column
        line = _CONTROL.sub(_escape, f"{self.file}:{where}: {message}")
        problem = ImportProblem(row if row > 0 else None, None if column == NO_COLUMN else column, message)
        self._entries.append((row, position, line, problem))

    def __len__(self) -> int:
        return len(self._entries)

    def fail(self, row: int, column: str, message: str) -> ImportFailed:
        """An ImportFailed for a problem that ends reading the file, with whatever was noted before it."""
        self.add(row, column, message)
        return self.failed()

    def lines(self) -> list[str]:
        return [entry[2] for entry in self._sorted()]

    def failed(self) -> ImportFailed:
        """The ImportFailed of every problem noted, in row order: as lines and as objects."""
        entries = self._sorted()
        return ImportFailed([entry[2] for entry in entries], [entry[3] for entry in entries])

    def raise_if_any(self) -> None:
        if self._entries:
            raise self.failed()

    def _sorted(self) -> list[tuple[int, int, str, ImportProblem]]:
        return sorted(self._entries, key=lambda e: e[:2])
