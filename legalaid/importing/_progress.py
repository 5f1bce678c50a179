"""How an import reports its progress: a plain protocol, drawn (or not) by whoever asked for the import.

The domain does not print. ``import_file`` takes a ``ProgressDisplay`` (the command line's draws a bar on
stderr) and, without one, ticks a silent stand-in.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Protocol


class Ticker(Protocol):
    """What the importer tells as it goes: a new stage with its number of steps, then each step done."""

    def advance(self, steps: int = 1) -> None: ...

    def stage(self, description: str, total: int) -> None: ...


class _Silent:
    def advance(self, steps: int = 1) -> None:
        pass

    def stage(self, description: str, total: int) -> None:
        pass


SILENT: Ticker = _Silent()

# Given the file's name and its number of rows, the ticker to use while the file is imported.
ProgressDisplay = Callable[[str, int], AbstractContextManager[Ticker]]


def no_display(title: str, rows: int) -> AbstractContextManager[Ticker]:
    """The display of an import nobody watches."""
    return nullcontext(SILENT)
