"""Duty notices through the outbox: the day before (with an .ics, to a real SMTP server), the week ahead,
alerts once each, the scheduled tasks called directly and run by a real worker process."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path

import icalendar
import pytest
from builders import make_desk, make_shifts
from mailroom import deliver_all
from processes import ProcessGroup, job_runs, legalaid_env, wait_for
from smtp_server import SmtpTestServer, smtp_settings
from sqlalchemy import func, select

from legalaid import migrate
from legalaid.config import Settings
from legalaid.models import OutboxMessage, RosterAlert
from legalaid.roster import alerts, day_before, swap, week_ahead
from legalaid.runtime import Runtime, build_runtime
from workers import make_celery

SATURDAY = date(2012, 9, 29)  # 调休: the last working day before the National Day holiday
MONDAY = date(2012, 10, 8)


@pytest.fixture
def smtp() -> Iterator[SmtpTestServer]:
    with SmtpTestServer() as server:
        yield server


def _count(rt: Runtime, kind: str | None = None) -> int:
    with rt.transaction() as session:
        query = select(func.count()).select_from(OutboxMessage)
        if kind:
            query = query.where(OutboxMessage.kind == kind)
        return int(session.scalar(query) or 0)


def test_the_day_before_notice_arrives_with_an_ics_for_the_right_day_and_slot(
    smtp: SmtpTestServer, tmp_path: Path
) -> None:
    rt = build_runtime(smtp_settings(smtp, tmp_path / "var", roster_slots="am,pm"))
    try:
        migrate.upgrade(rt.engine)
        with rt.transaction() as session:
            make_desk(session, lawyers=3)
            make_shifts(
                session, [(MONDAY, "am", "L01"), (MONDAY, "pm", "L02"), (date(2012, 10, 9), "am", "L03")]
            )
        with rt.transaction() as session:
            run = day_before(session, rt.settings, as_of=SATURDAY)
        assert [m["person"] for m in run.messages] == ["L01", "L02"]  # 10-09's notice day is 10-08
        deliver_all(rt)
    finally:
        rt.dispose()
    received = {m.recipients[0]: m.message for m in smtp.wait_for(2)}
    message = received["l02@mingli.example.cn"]
    assert (
        message["Subject"] == "值班提醒：2012年10月8日（星期一）下午劳动人事争议仲裁委员会法律援助咨询点值班"
    )
    body = message.get_body(("plain",))
    assert body is not None and "13:30-17:00" in body.get_content() and "一楼接待大厅" in body.get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() == "duty-20121008-pm.ics"
    calendar = icalendar.Calendar.from_ical(attachment.get_payload(decode=True))
    [event] = calendar.walk("VEVENT")
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert (start.date(), start.hour, start.minute) == (MONDAY, 13, 30) and (end.hour, end.minute) == (17, 0)
    assert str(start.tzinfo) == "Asia/Shanghai" and str(event["DTSTART"].params["TZID"]) == "Asia/Shanghai"
    assert "下午" in str(event["SUMMARY"]) and str(event["STATUS"]) == "CONFIRMED"
    assert str(event["UID"]) == "duty-2012-10-08-pm-L02@legalaid.example.org"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Asia/Shanghai"]


def test_the_notifier_twice_sends_once_and_again_only_when_the_shift_changed(rt: Runtime) -> None:
    with rt.transaction() as session:
        make_desk(session, lawyers=3)
        make_shifts(session, [(MONDAY, "day", "L01")])
    for _ in range(2):
        with rt.transaction() as session:
            day_before(session, rt.settings, as_of=SATURDAY)
    assert _count(rt, "roster_day_before") == 1
    with rt.transaction() as session:  # a holiday's run finds the notice already sent: nothing new
        assert day_before(session, rt.settings, as_of=date(2012, 10, 3)).messages == []
        swap(session, rt.settings, on=MONDAY, slot="day", from_code="L01", to_code="L02", today=SATURDAY)
    with rt.transaction() as session:
        run = day_before(session, rt.settings, as_of=SATURDAY)
    assert [m["person"] for m in run.messages] == ["L02"]  # the new person; L01 had the change notice
    # The desk moved: the notice says something else now, so it goes again.
    moved = Settings(data_dir=rt.settings.data_dir, roster_desk_address="XX区仲裁院二楼")
    with rt.transaction() as session:
        assert len(day_before(session, moved, as_of=SATURDAY).messages) == 1
        assert day_before(session, moved, as_of=SATURDAY, dry_run=True).messages == []
    assert _count(rt, "roster_day_before") == 3 and _count(rt, "roster_change") == 2


def test_the_week_ahead_goes_on_the_last_working_day_to_pool_and_coordinator(rt: Runtime) -> None:
    with rt.transaction() as session:
        make_desk(session, lawyers=3)
        make_shifts(session, [(date(2012, 10, d), "day", f"L0{d % 3 + 1}") for d in range(8, 13)])
    with rt.transaction() as session:
        friday = week_ahead(session, rt.settings, as_of=date(2012, 9, 28))
        assert friday.messages == [] and "not the last working day" in (friday.note or "")
        run = week_ahead(session, rt.settings, as_of=SATURDAY)
        again = week_ahead(session, rt.settings, as_of=SATURDAY)
    assert sorted(m["person"] for m in run.messages) == ["L01", "L02", "L03", "S01"] and again.messages == []
    assert {m["key"] for m in run.messages} == {
        f"roster:weekahead:2012-10-08:{c}" for c in ("L01", "L02", "L03", "S01")
    }
    with rt.transaction() as session:
        texts = dict(session.execute(select(OutboxMessage.idempotency_key, OutboxMessage.body_text)).all())
    coordinator, lawyer = texts["roster:weekahead:2012-10-08:S01"], texts["roster:weekahead:2012-10-08:L01"]
    assert "2012年10月8日 | 星期一 | 全天 09:00-17:00 | 张律师" in coordinator
    # The month's figures in words (issue 12: no 综合得分 or 均衡度), for the coordinator only.
    assert "本月（2012年10月）排班：应排18班" in coordinator and "本月" not in lawyer
    assert "综合得分" not in coordinator and "均衡度" not in coordinator
    assert "您的值班" in lawyer and "2012年10月12日（星期五）全天" in lawyer


def test_alerts_are_told_once_and_a_gap_once_more_when_it_comes_close(rt: Runtime) -> None:
    with rt.transaction() as session:
        make_desk(session, lawyers=3)
        make_shifts(
            session, [(date(2012, 10, d), "day", f"L0{d % 3 + 1}") for d in (8, 9, 10, 11, 12, 15, 16)]
        )
    with rt.transaction() as session:
        first = alerts(session, rt.settings, as_of=date(2012, 10, 8))  # 17th on is empty, not urgent yet
        assert [m["person"] for m in first.messages] == ["S01"]
        assert alerts(session, rt.settings, as_of=date(2012, 10, 8)).messages == []  # once each
        told = set(session.scalars(select(RosterAlert.key)))
        alerts(session, rt.settings, as_of=date(2012, 10, 9))  # the horizon moved on by a day
        assert set(session.scalars(select(RosterAlert.key))) - told == {"gap:2012-10-23:day:-"}
    with rt.transaction() as session:
        assert "not a working day" in (alerts(session, rt.settings, as_of=date(2012, 10, 14)).note or "")
        later = alerts(session, rt.settings, as_of=date(2012, 10, 15))  # the 17th is now urgent
        urgent = session.scalars(select(RosterAlert.key).where(RosterAlert.urgent.is_(True))).all()
        subject = session.scalar(select(OutboxMessage.subject).where(OutboxMessage.id == later.outbox_ids[0]))
    assert urgent == ["gap:2012-10-17:day:-:urgent"]  # 15, 16 and 17 are the next three desk days
    assert subject is not None and subject.startswith("【紧急】值班安排问题（2012年10月15日）")


def test_the_day_before_task_waits_for_its_hour(task_runtime: Runtime) -> None:
    """Called directly (no worker): the hourly tick sends nothing before roster_notice_hour (16:00)."""
    from tasks import roster as roster_tasks

    rt = task_runtime
    with rt.transaction() as session:
        make_desk(session, lawyers=2)
        make_shifts(session, [(MONDAY, "day", "L01")])
    assert roster_tasks.day_before_task.run(scheduled_for="2012-09-29T15:00:00+08:00") == 0
    assert roster_tasks.day_before_task.run(scheduled_for="2012-09-29T16:00:00+08:00") == 1
    assert roster_tasks.day_before_task.run(scheduled_for="2012-09-29T16:00:00+08:00") == 0  # same tick
    assert roster_tasks.day_before_task.run(scheduled_for="2012-09-29T17:00:00+08:00") == 0  # sent already
    assert (
        roster_tasks.week_ahead_task.run(scheduled_for="2012-09-28T15:00:00+08:00") == 0
    )  # Friday: not last
    assert roster_tasks.week_ahead_task.run(scheduled_for="2012-09-29T15:00:00+08:00") == 3
    assert [r.status for r in job_runs(rt.engine, "roster-day-before")] == ["succeeded"] * 3


@pytest.mark.slow
def test_a_real_worker_runs_the_roster_check(rt: Runtime, tmp_path: Path) -> None:
    with rt.transaction() as session:
        make_desk(session, lawyers=2)
        make_shifts(session, [(MONDAY, "day", "L01")])  # the rest of the fortnight is empty
    app = make_celery(rt.settings)
    with ProcessGroup(tmp_path, legalaid_env(data_dir=rt.settings.data_dir)) as procs:
        procs.start("worker", "worker", "--concurrency=1")
        tick = datetime.fromisoformat("2012-10-08T08:00:00+08:00").isoformat()
        app.send_task("legalaid.roster.check", kwargs={"job": "roster-check", "scheduled_for": tick})
        wait_for(
            lambda: [r for r in job_runs(rt.engine, "roster-check") if r.status == "succeeded"],
            timeout=40,
            what="the roster check run",
            procs=procs,
        )
        mail_dir = rt.settings.mail_dir
        [eml] = wait_for(lambda: list(mail_dir.glob("**/*.eml")), timeout=40, what="the alert", procs=procs)
    parsed = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    assert str(parsed["Subject"]).startswith("【紧急】值班安排问题（2012年10月8日）")
    assert parsed["To"] == "s01@center.example.cn"
