"""An import with its notices: the one sequence ``legalaid import`` and the HTTP API's imports both run.

The assignments and decisions an import makes are emailed with their letters in the import's own
transaction (``import_hook``); the letters' files are put in the documents folder once it has committed.
Handing the queued mail to the broker is the front door's part, after this returns (it is committed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from legalaid.casework.notices import NoticeReport, business_today, import_hook
from legalaid.importing import ImportResult, OnChanges, ProgressDisplay, Row, import_file, import_rows
from legalaid.paths import StagedFiles
from legalaid.runtime import Runtime


@dataclass
class ImportWithNotices:
    """What the import did, and what its notices did (none in a dry run: no hook is called)."""

    result: ImportResult
    notices: list[NoticeReport] = field(default_factory=list)

    @property
    def outbox_ids(self) -> list[int]:
        """The outbox rows queued, committed with the import: for the front door to hand over."""
        return [outbox_id for report in self.notices for outbox_id in report.queued]

    @property
    def problems(self) -> list[str]:
        """The notices that could not be sent, one line each (the import itself went through)."""
        return [line for report in self.notices for line in report.problems]


def import_file_with_notices(
    rt: Runtime,
    kind: str,
    path: Path,
    *,
    dry_run: bool = False,
    progress: ProgressDisplay | None = None,
    name: str | None = None,
) -> ImportWithNotices:
    """``import_file`` with the notices of the changes it makes; raises what it raises."""
    return _with_notices(
        rt,
        lambda hook: import_file(
            rt, kind, path, dry_run=dry_run, progress=progress, on_changes=hook, name=name
        ),
    )


def import_rows_with_notices(
    rt: Runtime, kind: str, rows: Sequence[Row], *, source: str = "body", dry_run: bool = False
) -> ImportWithNotices:
    """``import_rows`` with the notices of the changes it makes; raises what it raises."""
    return _with_notices(
        rt, lambda hook: import_rows(rt, kind, rows, source=source, dry_run=dry_run, on_changes=hook)
    )


def _with_notices(rt: Runtime, run: Callable[[OnChanges], ImportResult]) -> ImportWithNotices:
    notices: list[NoticeReport] = []
    with StagedFiles() as staged:  # published after the import's commit; discarded if it raised
        hook = import_hook(rt.settings, today=business_today(rt.settings), reports=notices, staged=staged)
        result = run(hook)
    return ImportWithNotices(result, notices)
