"""Documents are rendered apart from saved: their files appear only once the transaction that recorded
them has committed. A dry run leaves the documents folder and the data dir as they were, and a transaction
that fails leaves no file behind (not even a temporary one)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from builders import make_case, make_person, make_reports_center
from sqlalchemy import func, select

from cli import main
from legalaid.casework import assign_and_notify
from legalaid.casework.notices import business_today
from legalaid.importing import write_csv
from legalaid.models import CaseEvent, GeneratedDocument, OutboxMessage
from legalaid.models.enums import Role
from legalaid.paths import StagedFiles
from legalaid.reports import ReportFailed, ReportRequest, produce_report, statistical_year
from legalaid.runtime import Runtime

CASE_NO = "2012民援第001号"
LETTER = f"指派通知书-{CASE_NO}.docx"


def _files(folder: Path) -> list[str]:
    """Every file under ``folder``, hidden ones too, but the database's own (SQLite keeps its journal
    beside it whenever a process opens it)."""
    if not folder.exists():
        return []
    return sorted(
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file() and not path.name.startswith("legalaid.db")
    )


def _center(rt: Runtime) -> tuple[str, date]:
    """A lawyer with an email address, a staff member, and case 001 applied for three days ago, granted
    yesterday, not yet assigned; the lawyer's code and today."""
    today = business_today(rt.settings)
    with rt.transaction() as session:
        lawyer = make_person(session, "L1", name="李明", email="li@firm.example")
        make_person(session, "S1", name="陈静", email="chen@center.example", role=Role.staff)
        make_case(
            session,
            case_no=CASE_NO,
            applied_on=today - timedelta(days=3),
            decided_on=today - timedelta(days=1),
        )
    return lawyer.code, today


def _counts(rt: Runtime) -> tuple[int, int, int]:
    with rt.sessions() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(table)) or 0
            for table in (OutboxMessage, GeneratedDocument, CaseEvent)
        )


def test_case_assign_dry_run_writes_no_file(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _today = _center(rt)
    monkeypatch.setenv("LEGALAID_DATA_DIR", str(rt.settings.data_dir))
    before = _files(rt.settings.data_dir)
    assert main(["case", "assign", CASE_NO, code, "--dry-run"]) == 0
    assert "1 notice(s) would be queued" in " ".join(capsys.readouterr().out.split())  # rendered
    assert _files(rt.settings.data_dir) == before
    assert not rt.settings.documents_dir.exists()
    assert _counts(rt) == (0, 0, 0)
    # The same command for real: the letter is recorded, queued and written (and nothing else is left).
    assert main(["case", "assign", CASE_NO, code]) == 0
    assert _files(rt.settings.documents_dir) == [LETTER]
    with rt.sessions() as session:
        [record] = session.scalars(select(GeneratedDocument)).all()
    assert Path(record.path) == rt.settings.documents_dir / LETTER


def test_import_dry_run_writes_no_file(rt: Runtime, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    code, today = _center(rt)
    monkeypatch.setenv("LEGALAID_DATA_DIR", str(rt.settings.data_dir))
    headers = ["case_no", "case_type", "applicant", "applied_on", "decided_on", "decision", "assigned_on",
               "lawyer"]  # fmt: skip
    row = {"case_no": "2012民援第010号", "case_type": "civil", "applicant": "赵六",
           "applied_on": today - timedelta(days=4), "decided_on": today - timedelta(days=2),
           "decision": "granted", "assigned_on": today, "lawyer": code}  # fmt: skip
    path = tmp_path / "in" / "cases.csv"
    path.parent.mkdir()
    write_csv(path, headers, [row])
    before = _files(rt.settings.data_dir)
    assert main(["import", "cases", str(path), "--dry-run"]) == 0
    assert _files(rt.settings.data_dir) == before
    assert not rt.settings.documents_dir.exists()
    # For real: the assignment notice and the grant decision, each written once the import committed.
    assert main(["import", "cases", str(path)]) == 0
    assert _files(rt.settings.documents_dir) == [
        "指派通知书-2012民援第010号.docx",
        "给予法律援助决定书-2012民援第010号.docx",
    ]


def test_the_letter_appears_after_the_commit_and_never_after_a_rollback(rt: Runtime) -> None:
    code, today = _center(rt)
    folder = rt.settings.documents_dir
    with pytest.raises(RuntimeError, match="after the notices"):
        with StagedFiles() as staged, rt.transaction() as session:
            assign_and_notify(
                session, rt.settings, case_no=CASE_NO, lawyer_code=code, on=today, today=today, staged=staged
            )
            assert not (folder / LETTER).exists()  # staged beside its name, not yet in place
            raise RuntimeError("a failure after the notices")
    assert _files(folder) == []
    assert _counts(rt) == (0, 0, 0)
    with StagedFiles() as staged, rt.transaction() as session:
        result = assign_and_notify(
            session, rt.settings, case_no=CASE_NO, lawyer_code=code, on=today, today=today, staged=staged
        )
        assert not (folder / LETTER).exists()
    assert len(result.notices.queued) == 1
    assert _files(folder) == [LETTER]


def test_a_report_that_cannot_be_sent_leaves_no_file(rt: Runtime, tmp_path: Path) -> None:
    with rt.transaction() as session:
        make_reports_center(session)  # F2: no email address for its director nor for the firm
    out = tmp_path / "reports"
    request = ReportRequest("firm", statistical_year(2012, start_month=1), "F2")
    with pytest.raises(ReportFailed, match="no email address"):
        produce_report(rt, request, as_of=date(2013, 1, 15), out_dir=out, send=True)
    assert _files(out) == []
    # Built without sending: both files are in place.
    produce_report(rt, request, as_of=date(2013, 1, 15), out_dir=out)
    assert [Path(name).suffix for name in _files(out)] == [".docx", ".xlsx"]
