"""The terminal: the one module that imports rich (ruff's banned-api says so).

The command modules take their consoles, tables, styled text and progress bars from here, so the way the
command line draws is decided in one place, and the domain never prints: it reports progress through the
plain ``Ticker`` protocol of the importer or the callbacks of ``flush``, and the bars here draw it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING

from rich.console import Console, ConsoleDimensions
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:  # the importer is loaded by the import command, not by every command
    from legalaid.importing import ProgressDisplay, Ticker

__all__ = ["Table", "Text", "console", "count_bar", "err_console", "import_progress"]

# Wide enough for any line or table the commands print, yet a number rich can lay a table out in.
UNWRAPPED_WIDTH = 10_000


class _Console(Console):
    """A console that wraps to the terminal only when it writes to one.

    Written to a file, a pipe or a test's capture, rich assumes 80 columns (or the width of whichever
    terminal stdin is), wrapping lines and cutting table cells ("progres…", "2012民 …", an email body
    broken mid-sentence): what is saved or piped to grep must be whole. There every line is printed full
    and a table at its natural width.
    """

    @property
    def size(self) -> ConsoleDimensions:
        size = super().size
        return size if self.is_terminal else ConsoleDimensions(UNWRAPPED_WIDTH, size.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self._width, self._height = new_size


console = _Console()
err_console = _Console(stderr=True)

# Below this many rows an import takes a moment and a bar would only flicker.
AUTO_MIN_ROWS = 2_000


class _Stages:
    """A ``Ticker`` drawing one bar per stage of an import (checking, writing), the last one shown."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID | None = None

    def stage(self, description: str, total: int) -> None:
        if self._task is not None:
            self._progress.update(self._task, visible=False)
        self._task = self._progress.add_task(description, total=total)

    def advance(self, steps: int = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, steps)


def import_progress(wanted: bool | None) -> ProgressDisplay:
    """The importer's progress display for ``--progress/--no-progress``: ``True`` always shows a bar on
    stderr, ``False`` never, ``None`` for a big file (more than AUTO_MIN_ROWS rows) when stderr is a
    terminal."""

    def display(title: str, rows: int) -> AbstractContextManager[Ticker]:
        from legalaid.importing import SILENT

        shown = rows > AUTO_MIN_ROWS and sys.stderr.isatty() if wanted is None else wanted
        return _bar(title) if shown else nullcontext(SILENT)

    return display


@contextmanager
def _bar(title: str) -> Iterator[Ticker]:
    columns = (TextColumn(f"{title} {{task.description}}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeRemainingColumn(), console=Console(stderr=True), transient=True) as progress:
        yield _Stages(progress)


def count_bar(title: str, *, disable: bool) -> Progress:
    """A bar on stderr counting up to a total learnt once the work starts (``mail flush``)."""
    return Progress(
        TextColumn(title),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        disable=disable,
    )
