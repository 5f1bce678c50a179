"""Digests on their way out: through the real outbox to a real SMTP server and read back, and the scheduled
task ``legalaid.reminders.scan`` run by a real ``legalaid worker`` process (the embedded default: SQLite,
the filesystem broker, mail as .eml files)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from builders import make_case, make_reminders_center, scan
from mailroom import deliver_all, digest_rows
from processes import ProcessGroup, job_runs, legalaid_env, wait_for
from smtp_server import MAIL_FROM, SmtpTestServer, smtp_settings
from sqlalchemy import func, select

from legalaid import migrate
from legalaid.models import OutboxMessage, ReminderSent
from legalaid.runtime import Runtime, build_runtime
from workers import make_celery

# 08:30 in Shanghai on the first working day after National Day 2012: the task's business date is 10-08.
TICK = "2012-10-08T08:30:00+08:00"


@pytest.fixture
def smtp() -> Iterator[SmtpTestServer]:
    with SmtpTestServer() as server:
        yield server


def test_a_digest_reaches_a_real_smtp_server(smtp: SmtpTestServer, tmp_path: Path) -> None:
    rt = build_runtime(smtp_settings(smtp, tmp_path / "var"))
    try:
        migrate.upgrade(rt.engine)
        with rt.transaction() as session:
            center = make_reminders_center(session)
            make_case(session, case_no="2012民援第007号", applicant="王小明", applied_on=date(2012, 9, 24))
            make_case(
                session,
                case_no="2012民援第008号",
                applicant="李四",
                assigned_on=date(2012, 9, 26),
                lawyer=center.lawyer_id,
            )
        report = scan(rt, date(2012, 10, 8))
        outcomes = deliver_all(rt)
    finally:
        rt.dispose()
    assert sum(outcomes.values()) == len(report.outbox_ids) == 3  # S1, S2, L1

    received = {m.recipients[0]: m.message for m in smtp.wait_for(3)}
    staff = received["s1@center.example.cn"]
    assert staff["Subject"] == "法律援助案件提醒（2012年10月8日）：1项待办"
    assert staff["From"] == MAIL_FROM
    plain = staff.get_body(("plain",))
    html = staff.get_body(("html",))
    assert plain is not None and html is not None
    assert digest_rows(plain.get_content()) == [
        ["案号", "受援人", "事项", "期限", "剩余/逾期"],
        ["2012民援第007号", "王*明", "审查申请并作出是否给予法律援助的决定", "2012年10月8日", "今日到期"],
    ]
    assert "第四十三条" in plain.get_content()
    assert "<td>王*明</td>" in html.get_content()
    lawyer = received["l1@mingli.example.cn"].get_body(("plain",))
    assert lawyer is not None
    assert digest_rows(lawyer.get_content())[1][:2] == ["2012民援第008号", "李*"]
    # Two digests of the same day to two people: distinct Message-IDs (yagmail's default would collide).
    assert len({m["Message-ID"] for m in received.values()}) == 3


@pytest.mark.slow
def test_a_real_worker_runs_the_scheduled_scan(rt: Runtime, tmp_path: Path) -> None:
    with rt.transaction() as session:
        make_reminders_center(session)
        make_case(session, case_no="C1", applied_on=date(2012, 9, 24))  # review due 10-08
    app = make_celery(rt.settings)
    environment = legalaid_env(data_dir=rt.settings.data_dir)
    with ProcessGroup(tmp_path, environment) as procs:
        procs.start("worker", "worker", "--concurrency=1")
        # By name, as the scheduler sends it: the task lives in the worker, not in this process.
        app.send_task("legalaid.reminders.scan", kwargs={"job": "reminders", "scheduled_for": TICK})
        wait_for(
            lambda: [r for r in job_runs(rt.engine, "reminders") if r.status == "succeeded"],
            timeout=40,
            what="the reminders run",
            procs=procs,
        )
        # The digests were handed to the mail queue after the commit: the same worker delivers them.
        mail_dir = rt.settings.mail_dir
        files = wait_for(
            lambda: sorted(mail_dir.glob("**/*.eml")) if len(list(mail_dir.glob("**/*.eml"))) >= 2 else None,
            timeout=40,
            what="two .eml files",
            procs=procs,
        )
        # The same tick again (a second scheduler, a redelivery) does nothing.
        app.send_task("legalaid.reminders.scan", kwargs={"job": "reminders", "scheduled_for": TICK})
        second = datetime.fromisoformat("2012-10-08T14:00:00+08:00").isoformat()
        app.send_task("legalaid.reminders.scan", kwargs={"job": "reminders", "scheduled_for": second})
        wait_for(
            lambda: len([r for r in job_runs(rt.engine, "reminders") if r.status == "succeeded"]) == 2,
            timeout=40,
            what="the afternoon run",
            procs=procs,
        )
    runs = job_runs(rt.engine, "reminders")
    assert [r.status for r in runs] == ["succeeded", "succeeded"]
    with rt.transaction() as session:
        statuses = session.execute(select(OutboxMessage.kind, OutboxMessage.status)).all()
        ledger = session.execute(select(ReminderSent.threshold, ReminderSent.status)).all()
    assert statuses == [("reminder", "sent"), ("reminder", "sent")]  # S1 and S2, once
    assert sorted(ledger) == [(-2, "superseded"), (0, "sent")]  # D-2 fell on 10-06
    parsed = BytesParser(policy=policy.default).parsebytes(files[0].read_bytes())
    assert parsed["Subject"] == "法律援助案件提醒（2012年10月8日）：1项待办"


def test_the_task_on_a_day_off_sends_nothing(task_runtime: Runtime) -> None:
    """Called directly (no worker): the tick of 2012-10-01 is National Day; the run is still recorded."""
    from tasks import reminders as reminder_tasks

    rt = task_runtime
    with rt.transaction() as session:
        make_reminders_center(session)
        make_case(session, applied_on=date(2012, 9, 20))
    queued = reminder_tasks.scan.run(job="reminders", scheduled_for="2012-10-01T08:30:00+08:00")
    assert queued == 0
    assert [r.status for r in job_runs(rt.engine, "reminders")] == ["succeeded"]
    with rt.transaction() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
