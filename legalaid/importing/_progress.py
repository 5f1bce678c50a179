"""A progress bar on stderr for big files; a silent stand-in otherwise."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

# Below this many rows an import takes a moment and a bar would only flicker.
AUTO_MIN_ROWS = 2_000


class Ticker(Protocol):
    def advance(self, steps: int = 1) -> None: ...

    def stage(self, description: str, total: int) -> None: ...


class _Silent:
    def advance(self, steps: int = 1) -> None:
        pass

    def stage(self, description: str, total: int) -> None:
        pass


class _Bar:
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


def wanted(progress: bool | None, rows: int) -> bool:
    """``True`` always shows the bar, ``False`` never, ``None`` for a big file when stderr is a terminal."""
    if progress is None:
        return rows > AUTO_MIN_ROWS and sys.stderr.isatty()
    return progress


@contextmanager
def bar(enabled: bool, title: str) -> Iterator[Ticker]:
    if not enabled:
        yield _Silent()
        return
    columns = (TextColumn(f"{title} {{task.description}}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeRemainingColumn(), console=Console(stderr=True), transient=True) as progress:
        yield _Bar(progress)
