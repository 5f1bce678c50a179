"""Output that is not a terminal (a file, a pipe, a test's capture) is whole: full lines, whole table
cells. Rich assumed 80 columns there and cut cells ("progres…", "2012民 …") and email bodies."""

from __future__ import annotations

import io
from datetime import date

import pytest
from builders import make_case, make_reminders_center
from smtp_server import queue_mail
from sqlalchemy import update

from cli import main
from cli._console import Table, _Console
from legalaid.models import ReportRun
from legalaid.reports import ReportRequest, parse_year
from legalaid.reports.runs import record_failure
from legalaid.runtime import Runtime

LONG_SENTENCE = (
    "张律师您好：受援人李某某诉某建筑公司劳动报酬纠纷一案（2012民援第001号）已于二〇一二年十月八日指派给您，"
    "请于三个工作日内与受援人联系并在系统中登记首次联系日期，逾期未登记的，中心将按规定督办。"
)


def test_a_table_written_to_a_file_keeps_every_cell_whole() -> None:
    out = io.StringIO()
    table = Table("rule", "case", "would_queue")
    table.add_row("progress_stale", "(2012)民初字第01234号之二", "reminder:progress_stale:C1234:2012-10-08")
    _Console(file=out).print(table)
    text = out.getvalue()
    for cell in ("progress_stale", "(2012)民初字第01234号之二", "reminder:progress_stale:C1234:2012-10-08"):
        assert cell in text
    assert "…" not in text


def test_mail_show_prints_the_body_unbroken(rt: Runtime, capsys: pytest.CaptureFixture[str]) -> None:
    outbox_id = queue_mail(rt, "assignment:(2012)001:P7", subject="指派通知", text=LONG_SENTENCE)
    assert main(["mail", "show", str(outbox_id)]) == 0
    assert LONG_SENTENCE in capsys.readouterr().out.splitlines()


def test_report_runs_prints_whole_notes_and_says_when_none_failed(
    rt: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "runs"]) == 0
    assert capsys.readouterr().out.strip() == "no report runs yet"
    error = "TemplateError: the template annual_report.docx has no placeholder {{ 逾期未办 }} (line 12)"
    with rt.transaction() as session:
        request = ReportRequest("annual", parse_year("2012", start_month=1))
        record_failure(session, request, error=error, locale="zh_CN")
    assert main(["report", "runs"]) == 0
    out = capsys.readouterr().out
    assert error in out and "…" not in out
    with rt.transaction() as session:
        session.execute(update(ReportRun).values(status="sent", error=None))
    assert main(["report", "runs", "--failed"]) == 0
    assert capsys.readouterr().out.strip() == "no failed runs"


def test_reminders_dry_run_prints_whole_rows(rt: Runtime, capsys: pytest.CaptureFixture[str]) -> None:
    case_no = "(2012)杭西法援民字第00001号之二"
    with rt.transaction() as session:
        center = make_reminders_center(session)
        make_case(session, case_no=case_no, assigned_on=date(2012, 10, 10), lawyer=center.lawyer_id)
    assert main(["reminders", "run", "--as-of", "2012-10-15", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert case_no in out and "would_queue" in out and "…" not in out
