"""What an import did (or, in a dry run, would do)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class AssignmentChange:
    """A case got a lawyer, another lawyer, or lost its lawyer: the assignment letter follows this."""

    case_no: str
    old_lawyer: str | None
    new_lawyer: str | None
    assigned_on: date | None


@dataclass(frozen=True)
class DecisionChange:
    """A case was decided (给予 / 不予), or its decision or decision date changed."""

    case_no: str
    decision: str | None
    decided_on: date | None


@dataclass
class ImportResult:
    kind: str
    file: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_reason: str | None = None  # why nothing was done (a consultations file imported before)
    assignment_changes: list[AssignmentChange] = field(default_factory=list)
    decision_changes: list[DecisionChange] = field(default_factory=list)
    dry_run: bool = False
    import_id: int | None = None  # the row in `imports`; None in a dry run or when skipped
    # What the reader did that a user should know: a title above the header skipped (``file: …``).
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the terminal: ``cases.csv: 165 rows, 160 inserted, 5 updated, 0 unchanged``."""
        if self.skipped_reason:
            return f"{self.file}: {self.skipped_reason}"
        rows = f"{self.rows} row{'' if self.rows == 1 else 's'}"
        counts = f"{self.inserted} inserted, {self.updated} updated, {self.unchanged} unchanged"
        line = f"{self.file}: {rows}, {counts}"
        return f"{line} (dry run: nothing written)" if self.dry_run else line

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
