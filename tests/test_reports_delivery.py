"""Reports on their way out: through the real outbox to a real SMTP server with the attachments read back,
the scheduled job twice on its day (one email each), a failure shown by `legalaid status` and retried, the
command line's --send/--resend and its bad input, and the task run by a real worker process."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import docx
import pytest
from builders import make_cases, make_consultations, make_reports_center
from celery import Celery
from mailroom import deliver_all, outbox_addresses
from processes import ProcessGroup, job_runs, legalaid_env, wait_for
from smtp_server import SmtpTestServer, smtp_settings
from sqlalchemy import func, select, update

from cli import main
from legalaid import migrate
from legalaid.config import Settings
from legalaid.models import Firm, OutboxMessage, ReportRun
from legalaid.models.enums import RecipientGroup
from legalaid.reports import ReportRequest, produce_report, publish_due, statistical_quarter
from legalaid.runtime import Runtime, build_runtime
from legalaid.status import check_jobs
from workers import make_celery

Q4 = statistical_quarter(2012, 4, start_month=11)  # 2012-08-01 … 2012-10-31
PUBLISHED = date(2012, 11, 7)  # the 5th working day after 31 October 2012
APPLICANT = "张秘密"


@pytest.fixture
def smtp() -> Iterator[SmtpTestServer]:
    with SmtpTestServer() as server:
        yield server


def _fill(rt: Runtime) -> dict[str, int]:
    with rt.transaction() as session:
        ids = make_reports_center(session)
        make_cases(session, 3, applied_on=date(2012, 9, 3), groups=(RecipientGroup.migrant_worker,),
                  applicant=APPLICANT, lawyer=ids["L1"], decided_on=date(2012, 9, 4),
                  assigned_on=date(2012, 9, 5))  # fmt: skip
        make_cases(session, 2, applied_on=date(2011, 9, 5), applicant=APPLICANT)
        make_consultations(session, date(2012, 9, 3), 120)
    return ids


def test_a_report_reaches_a_real_smtp_server_with_its_files(smtp: SmtpTestServer, tmp_path: Path) -> None:
    rt = build_runtime(smtp_settings(smtp, tmp_path / "var", report_year_start_month=11))
    try:
        migrate.upgrade(rt.engine)
        _fill(rt)
        result = produce_report(rt, ReportRequest("quarterly", Q4), as_of=PUBLISHED, send=True)
        outcomes = deliver_all(rt)
    finally:
        rt.dispose()
    assert result.status == "sent" and sum(outcomes.values()) == 1
    [received] = smtp.wait_for(1)
    assert sorted(received.recipients) == ["h1@center.example.cn", "h2@center.example.cn"]
    message = received.message
    assert message["Subject"] == "XX区法律援助中心2012年度第四季度法律援助工作统计报告"
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "援助中心共办理法律援助案件3件，比去年同期增长50.00%。" in text
    assert "以外来务工人员为受援人的民事案件达3件，占民事案件总数的100.0%。" in text
    # No consultation was recorded a year before: no data, not 0 (issue 12, defect 5: 去年同期为0件 before).
    assert "148法律服务热线共接待群众来电来访120件。" in text
    assert "数据截至2012年11月7日" in text and "2012-11-07" not in text  # no ISO date in Chinese text
    assert APPLICANT not in message.as_string() and APPLICANT not in text
    attachments = {str(part.get_filename()): part.get_content() for part in message.iter_attachments()}
    assert set(attachments) == {
        "XX区法律援助中心2012年度第四季度法律援助工作报告.docx",
        "XX区法律援助中心2012年度第四季度法律援助工作报告.xlsx",
    }
    word = docx.Document(io.BytesIO(attachments["XX区法律援助中心2012年度第四季度法律援助工作报告.docx"]))
    paragraphs = "\n".join(p.text for p in word.paragraphs)
    assert "援助中心共办理法律援助案件3件，比去年同期增长50.00%" in paragraphs
    assert len(word.inline_shapes) == 2  # the two charts
    assert (
        zipfile.ZipFile(
            io.BytesIO(attachments["XX区法律援助中心2012年度第四季度法律援助工作报告.xlsx"])
        ).testzip()
        is None
    )
    # The file on disk is the one attached.
    assert (
        result.files[0].read_bytes() == attachments["XX区法律援助中心2012年度第四季度法律援助工作报告.docx"]
    )


@pytest.fixture
def rt11(tmp_path: Path) -> Iterator[Runtime]:
    """A runtime whose statistical year starts in November, as the seed center's."""
    runtime = build_runtime(Settings(data_dir=tmp_path / "var", report_year_start_month=11))
    migrate.upgrade(runtime.engine)
    yield runtime
    runtime.dispose()


def test_the_scheduled_job_sends_once_and_retries_a_failure(rt11: Runtime) -> None:
    rt = rt11
    _fill(rt)
    assert publish_due(rt, as_of=date(2012, 11, 6)).periods == []  # the 4th working day: nothing due
    first = publish_due(rt, as_of=PUBLISHED)
    assert [p.key for p in first.periods] == ["2012Q4"]
    assert first.sent == 2
    # F2's director has no email address and neither has the firm: recorded, shown, not sent.
    assert len(first.failures) == 1 and "report:firm:2012Q4:F2" in first.failures[0]
    again = publish_due(rt, as_of=PUBLISHED)
    assert again.sent == 0 and [r.status for r in again.results] == ["skipped", "skipped"]
    assert outbox_addresses(rt) == [
        ("report:quarterly:2012Q4:leaders", ["h1@center.example.cn", "h2@center.example.cn"]),
        ("report:firm:2012Q4:F1", ["d1@firm.example.cn"]),
    ]
    jobs = check_jobs(rt, datetime(2012, 11, 7, 2, tzinfo=UTC))
    assert not jobs.ok and "report:firm:2012Q4:F2 failed: " in jobs.summary
    assert "no email address" in jobs.summary
    with rt.transaction() as session:
        session.execute(update(Firm).where(Firm.code == "F2").values(email="office@f2.example.cn"))
    retried = publish_due(rt, as_of=date(2012, 11, 8))  # the next day's run
    assert retried.sent == 1 and not retried.failures
    assert outbox_addresses(rt)[-1] == ("report:firm:2012Q4:F2", ["office@f2.example.cn"])
    assert check_jobs(rt, datetime(2012, 11, 8, 2, tzinfo=UTC)).summary.count("report:") == 0
    with rt.sessions() as session:
        f2 = session.scalars(select(ReportRun).where(ReportRun.audience == "F2")).one()
        assert (f2.status, f2.sends, f2.error) == ("sent", 1, None)


def test_the_command_line_sends_once_and_resends_when_told(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _fill(rt)
    monkeypatch.setenv("LEGALAID_DATA_DIR", str(rt.settings.data_dir))
    monkeypatch.setenv("LEGALAID_REPORT_YEAR_START_MONTH", "11")
    base = ["report", "firm", "--firm", "F1", "--quarter", "2012Q4", "--as-of", "2012-11-07"]
    assert main([*base, "--send"]) == 0
    assert main([*base, "--send"]) == 0
    out = capsys.readouterr().out
    assert "report:firm:2012Q4:F1: sent to d1@firm.example.cn" in out
    assert "unchanged since the last build" in out and "--resend sends it again" in out
    assert main([*base, "--resend"]) == 0
    assert [key for key, _to in outbox_addresses(rt)] == ["report:firm:2012Q4:F1", "report:firm:2012Q4:F1:2"]
    assert main(["report", "runs", "--json"]) == 0
    assert '"sends": 2' in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["quarterly", "--quarter", "2012Q5"], "--quarter: '2012Q5' is not a quarter"),
        (["annual", "--year", "12"], "--year: '12' is not a statistical year"),
        (["firm", "--firm", "NOPE", "--year", "2012"], "--firm: no firm with code 'NOPE'"),
        (["firm", "--firm", "F1"], "--year, --quarter: give one of them"),
        (["firm", "--firm", "F1", "--year", "2012", "--quarter", "2012Q1", "--send"], "--year, --quarter"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(
    rt: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    _fill(rt)
    monkeypatch.setenv("LEGALAID_DATA_DIR", str(rt.settings.data_dir))
    assert main(["report", *argv, "--send"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and message in captured.err
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ReportRun)) == 0
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert not (rt.settings.data_dir / "reports").exists()


def test_a_dry_run_writes_and_sends_nothing(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _fill(rt)
    monkeypatch.setenv("LEGALAID_DATA_DIR", str(rt.settings.data_dir))
    assert main(["report", "annual", "--year", "2012", "--send", "--dry-run"]) == 0
    assert (
        "dry run, nothing written or sent to h1@center.example.cn, h2@center.example.cn"
        in capsys.readouterr().out
    )
    assert outbox_addresses(rt) == [] and not (rt.settings.data_dir / "reports").exists()


def _publish_in_a_worker(rt: Runtime, app: Celery, procs: ProcessGroup, *, times: int = 1) -> None:
    """Start a worker, send it the reports tick of 2012-11-07 ``times`` times, and wait for the run."""
    procs.start("worker", "worker", "--concurrency=1")
    for _ in range(times):
        app.send_task(
            "legalaid.reports.publish",
            kwargs={"job": "reports", "scheduled_for": "2012-11-07T09:00:00+08:00"},
        )
    wait_for(
        lambda: [r for r in job_runs(rt.engine, "reports") if r.status == "succeeded"],
        timeout=60,
        what="the reports run",
        procs=procs,
    )


@pytest.mark.slow
def test_a_real_worker_runs_the_scheduled_reports(rt: Runtime, tmp_path: Path) -> None:
    _fill(rt)
    settings = Settings(data_dir=rt.settings.data_dir, report_year_start_month=11)
    app = make_celery(settings)
    environment = legalaid_env(data_dir=settings.data_dir, report_year_start_month=11)
    with ProcessGroup(tmp_path, environment) as procs:
        _publish_in_a_worker(rt, app, procs, times=2)
        mail_dir = settings.mail_dir
        files = wait_for(
            lambda: sorted(mail_dir.rglob("*.eml")) if len(list(mail_dir.rglob("*.eml"))) >= 2 else None,
            timeout=60,
            what="the reports as .eml files",
            procs=procs,
        )
    assert len(files) == 2  # the center's and F1's; the same tick twice ran once
    assert len(job_runs(rt.engine, "reports")) == 1
    assert (settings.data_dir / "reports" / "XX区法律援助中心2012年度第四季度法律援助工作报告.docx").exists()


@pytest.mark.slow
def test_a_real_worker_renders_from_the_centers_own_templates(rt: Runtime, tmp_path: Path) -> None:
    """templates_dir reaches a worker process from its settings: the report mail it writes has the subject
    of the center's edited template, the firm's the wording the folder kept."""
    _fill(rt)
    own = tmp_path / "our-templates"
    assert main(["templates", "export", str(own)]) == 0
    (own / "email" / "zh_CN" / "report_center.subject.txt").write_text(
        "【中心自定义】{{ title }}\n", encoding="utf-8"
    )
    environment = legalaid_env(data_dir=rt.settings.data_dir, report_year_start_month=11, templates_dir=own)
    app = make_celery(Settings(data_dir=rt.settings.data_dir))
    with ProcessGroup(tmp_path, environment) as procs:
        _publish_in_a_worker(rt, app, procs)
    with rt.sessions() as session:
        subjects = sorted(session.scalars(select(OutboxMessage.subject)))
    assert subjects == [
        "【中心自定义】XX区法律援助中心2012年度第四季度法律援助工作统计报告",
        "明理律师事务所2012年度第四季度法律援助工作报告",  # report_firm.subject.txt, not edited
    ]
