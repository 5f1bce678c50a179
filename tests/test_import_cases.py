"""Cases keep their history: events for every dated step, the assignments and decisions that changed,
and a hook that runs in the import's transaction. Also: dry runs, the imports record, consultations."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from factories import CASES, SAMPLES, dump, expected, load, write_file
from readback import table_counts
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from legalaid.importing import AssignmentChange, DecisionChange, ImportResult, import_file
from legalaid.models import Case, CaseEvent, ImportRecord
from legalaid.runtime import Runtime


def events(rt: Runtime, case_no: str) -> list[tuple[str, date | None, str | None]]:
    with rt.sessions() as session:
        query = (
            select(CaseEvent.kind, CaseEvent.on, CaseEvent.detail)
            .join(Case, Case.id == CaseEvent.case_id)
            .where(Case.case_no == case_no)
            .order_by(CaseEvent.id)
        )
        return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


def changed_cases() -> list[dict[str, Any]]:
    """The sample cases a month later: one reassigned, one decided and assigned, one progressed, one new."""
    rows = [dict(row) for row in CASES]
    rows[0].update(last_progress_on=date(2012, 4, 15), applicant_groups=["migrant_worker"])
    rows[1].update(lawyer="L002", assigned_on=date(2012, 4, 10))
    rows[3].update(
        decided_on=date(2012, 6, 12), decision="granted", assigned_on=date(2012, 6, 13), lawyer="L001"
    )
    rows.append(
        {
            "case_no": "2012援005",
            "case_type": "civil",
            "applicant": "钱七",
            "applied_on": date(2012, 7, 2),
            "applicant_groups": [],
        }  # fmt: skip
    )
    return rows


@pytest.fixture
def seeded(rt: Runtime, tmp_path: Path) -> Runtime:
    load(rt, tmp_path, "firms", "people")
    return rt


def test_first_import_logs_every_step_and_reports_assignments_and_decisions(
    seeded: Runtime, tmp_path: Path
) -> None:
    result = import_file(seeded, "cases", write_file(tmp_path, "cases", CASES))

    assert result.assignment_changes == [
        AssignmentChange("2012援001", None, "L001", date(2012, 3, 6)),
        AssignmentChange("2012援002", None, "W001", date(2012, 4, 3)),
    ]
    assert result.decision_changes == [
        DecisionChange("2012援001", "granted", date(2012, 3, 5)),
        DecisionChange("2012援002", "granted", date(2012, 4, 2)),
        DecisionChange("2012援003", "denied", date(2012, 5, 9)),
    ]
    assert events(seeded, "2012援002") == [
        ("applied_on", date(2012, 4, 2), None),
        ("decided_on", date(2012, 4, 2), None),
        ("assigned_on", date(2012, 4, 3), None),
        ("lawyer", date(2012, 4, 3), "→W001"),
    ]
    assert len(events(seeded, "2012援001")) == 11  # ten dated steps and the lawyer


def test_changes_are_logged_with_what_they_replaced(seeded: Runtime, tmp_path: Path) -> None:
    import_file(seeded, "cases", write_file(tmp_path, "cases", CASES))
    result = import_file(seeded, "cases", write_file(tmp_path, "cases", changed_cases(), name="later.csv"))

    assert (result.inserted, result.updated, result.unchanged) == (1, 3, 1)
    assert result.assignment_changes == [
        AssignmentChange("2012援002", "W001", "L002", date(2012, 4, 10)),
        AssignmentChange("2012援004", None, "L001", date(2012, 6, 13)),
    ]
    assert result.decision_changes == [DecisionChange("2012援004", "granted", date(2012, 6, 12))]
    assert events(seeded, "2012援002")[-2:] == [
        ("assigned_on", date(2012, 4, 10), "was 2012-04-03"),
        ("lawyer", date(2012, 4, 10), "W001→L002"),
    ]
    assert events(seeded, "2012援001")[-1] == ("last_progress_on", date(2012, 4, 15), "was 2012-04-01")
    assert events(seeded, "2012援005") == [("applied_on", date(2012, 7, 2), None)]
    assert dump(seeded, "cases") == expected("cases", changed_cases())


def test_reimport_writes_nothing(seeded: Runtime, tmp_path: Path) -> None:
    path = write_file(tmp_path, "cases", CASES)
    import_file(seeded, "cases", path)
    with seeded.engine.connect() as conn:
        stamps = conn.execute(text("SELECT case_no, updated_at FROM cases ORDER BY case_no")).all()
    before = table_counts(seeded)

    again = import_file(seeded, "cases", path)

    assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(CASES))
    assert again.assignment_changes == [] and again.decision_changes == []
    with seeded.engine.connect() as conn:
        assert conn.execute(text("SELECT case_no, updated_at FROM cases ORDER BY case_no")).all() == stamps
    assert table_counts(seeded) == {**before, "imports": before["imports"] + 1}


def test_clearing_a_step_is_logged(seeded: Runtime, tmp_path: Path) -> None:
    import_file(seeded, "cases", write_file(tmp_path, "cases", CASES))
    rows = [dict(CASES[0], next_hearing_on=None)]
    import_file(seeded, "cases", write_file(tmp_path, "cases", rows, name="cleared.csv"))
    assert events(seeded, "2012援001")[-1] == ("next_hearing_on", None, "was 2012-05-10")


def test_the_hook_runs_inside_the_transaction(seeded: Runtime, tmp_path: Path) -> None:
    seen: list[ImportResult] = []

    def on_changes(session: Session, result: ImportResult) -> None:
        assert session.in_transaction()
        # What the hook writes commits with the import: here, a note on the first case.
        case_id = session.scalars(select(Case.id).where(Case.case_no == "2012援001")).one()
        session.add(CaseEvent(case_id=case_id, kind="notice", on=None, detail="assignment letter queued"))
        seen.append(result)

    result = import_file(seeded, "cases", write_file(tmp_path, "cases", CASES), on_changes=on_changes)

    assert seen == [result]
    assert events(seeded, "2012援001")[-1] == ("notice", None, "assignment letter queued")


def test_a_failing_hook_undoes_the_import(seeded: Runtime, tmp_path: Path) -> None:
    def on_changes(session: Session, result: ImportResult) -> None:
        raise RuntimeError("outbox unavailable")

    before = table_counts(seeded)
    with pytest.raises(RuntimeError):
        import_file(seeded, "cases", write_file(tmp_path, "cases", CASES), on_changes=on_changes)
    assert table_counts(seeded) == before


def test_dry_run_reports_and_writes_nothing(seeded: Runtime, tmp_path: Path) -> None:
    path = write_file(tmp_path, "cases", CASES)
    before = table_counts(seeded)
    called: list[ImportResult] = []

    preview = import_file(seeded, "cases", path, dry_run=True, on_changes=lambda s, r: called.append(r))

    assert table_counts(seeded) == before and called == []
    assert (preview.dry_run, preview.import_id) == (True, None)
    assert preview.summary().endswith("4 rows, 4 inserted, 0 updated, 0 unchanged (dry run: nothing written)")
    real = import_file(seeded, "cases", path)
    assert (preview.inserted, preview.assignment_changes, preview.decision_changes) == (
        real.inserted,
        real.assignment_changes,
        real.decision_changes,
    )


def test_every_import_is_recorded(seeded: Runtime, tmp_path: Path) -> None:
    path = write_file(tmp_path, "cases", CASES)
    result = import_file(seeded, "cases", path)
    with seeded.sessions() as session:
        record = session.get_one(ImportRecord, result.import_id)
    assert (record.kind, record.file_name, record.rows, record.inserted, record.updated) == (
        "cases",
        str(path),
        4,
        4,
        0,
    )
    assert record.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_consultations_are_appended_once_per_file(seeded: Runtime, tmp_path: Path) -> None:
    path = write_file(tmp_path, "consultations", SAMPLES["consultations"])
    first = import_file(seeded, "consultations", path)
    before = table_counts(seeded)

    again = import_file(seeded, "consultations", path)

    assert again.skipped_reason is not None
    assert again.skipped_reason.startswith("already imported on ")
    assert again.skipped_reason.endswith(f"(import {first.import_id}); nothing to do")
    assert again.summary() == f"{path}: {again.skipped_reason}"
    assert table_counts(seeded) == before
    with seeded.engine.connect() as conn:
        tagged = conn.execute(text("SELECT DISTINCT import_id FROM consultations")).scalars().all()
    assert tagged == [first.import_id]
    # Another file with the same rows is another day's tally: it is appended.
    other = write_file(tmp_path, "consultations", SAMPLES["consultations"], fmt="gb18030", name="next.csv")
    assert import_file(seeded, "consultations", other).inserted == 3


@pytest.mark.services
def test_cases_on_postgresql(pg_rt: Runtime, tmp_path: Path) -> None:
    load(pg_rt, tmp_path, "firms", "people")
    path = write_file(tmp_path, "cases", CASES, fmt="xlsx")
    assert import_file(pg_rt, "cases", path).inserted == 4
    assert import_file(pg_rt, "cases", path).unchanged == 4
    result = import_file(pg_rt, "cases", write_file(tmp_path, "cases", changed_cases(), name="later.csv"))
    assert (result.inserted, result.updated, result.unchanged) == (1, 3, 1)
    assert result.assignment_changes[0] == AssignmentChange("2012援002", "W001", "L002", date(2012, 4, 10))
    assert dump(pg_rt, "cases") == expected("cases", changed_cases())
    assert events(pg_rt, "2012援002")[-1] == ("lawyer", date(2012, 4, 10), "W001→L002")
