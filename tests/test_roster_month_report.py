"""The desk's monthly report: last month's roster quality, duties, problems and consultations, once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from builders import make_desk, make_person, make_shifts
from mailroom import deliver_all
from smtp_server import SmtpTestServer, smtp_settings
from sqlalchemy import func, select

from cli import main
from legalaid import migrate
from legalaid.calendar import WorkCalendar
from legalaid.models import Consultation, OutboxMessage
from legalaid.models.enums import ConsultationChannel, ConsultationOutcome, Role
from legalaid.roster import month_figures, month_report, swap
from legalaid.runtime import Runtime, build_runtime

CALENDAR = WorkCalendar()
# October 2012: the National Day holiday takes the 1st to the 7th, so the desk opens on 18 days (8th–31st).
OCTOBER_DESK_DAYS = [d for d in (date(2012, 10, n) for n in range(1, 32)) if CALENDAR.is_working_day(d)]
FIRST_OF_NOVEMBER = date(2012, 11, 1)  # a Thursday


@pytest.fixture
def smtp() -> Iterator[SmtpTestServer]:
    with SmtpTestServer() as server:
        yield server


def _october(rt: Runtime) -> None:
    """Three lawyers in turn over October, one desk day left empty; 47 desk consultations; one swap."""
    with rt.transaction() as session:
        make_desk(session, lawyers=3)
        make_person(session, "H01", email="h01@center.example.cn", role=Role.leader)
        empty = OCTOBER_DESK_DAYS[-1]
        make_shifts(
            session,
            [(day, "day", f"L0{n % 3 + 1}") for n, day in enumerate(OCTOBER_DESK_DAYS) if day != empty],
        )
        for outcome, count in [("answered", 40), ("mediated", 3), ("converted", 4)]:
            session.add(
                Consultation(
                    on=date(2012, 10, 15),
                    channel=ConsultationChannel.arbitration_desk,
                    outcome=ConsultationOutcome(outcome),
                    count=count,
                )
            )
        # Neither counts: another channel, another month.
        session.add(Consultation(on=date(2012, 10, 15), channel=ConsultationChannel.hotline_12348,
                                 outcome=ConsultationOutcome.answered, count=9))  # fmt: skip
        session.add(Consultation(on=date(2012, 11, 1), channel=ConsultationChannel.arbitration_desk,
                                 outcome=ConsultationOutcome.answered, count=5))  # fmt: skip
    with rt.transaction() as session:
        swap(session, rt.settings, on=date(2012, 10, 9), slot="day", from_code="L02", to_code="L03",
             today=date(2012, 10, 8))  # fmt: skip


def test_the_first_working_day_of_a_month_mails_last_months_report_to_coordinator_and_head(
    smtp: SmtpTestServer, tmp_path: Path
) -> None:
    rt = build_runtime(smtp_settings(smtp, tmp_path / "var"))
    try:
        migrate.upgrade(rt.engine)
        _october(rt)
        with rt.transaction() as session:
            assert month_report(session, rt.settings, as_of=date(2012, 10, 31)).messages == []
            run = month_report(session, rt.settings, as_of=FIRST_OF_NOVEMBER)
            figures = month_figures(session, rt.settings, date(2012, 10, 1), CALENDAR)
        assert sorted(m["person"] for m in run.messages) == ["H01", "S01"]  # not the lawyers
        assert {m["key"] for m in run.messages} == {"roster:month:2012-10:H01", "roster:month:2012-10:S01"}
        deliver_all(rt)
    finally:
        rt.dispose()

    quality = figures.quality
    assert (quality.required, quality.filled) == (18, 17)
    assert {load.person: load.count for load in quality.loads} == {"L01": 6, "L02": 5, "L03": 6}
    # The empty last day, and the swap gave L03 the 9th and the 10th running.
    assert figures.problems == {"consecutive": 1, "gap": 1}
    assert figures.changes == {"swap": 1}
    assert figures.consultations == {"answered": 40, "mediated": 3, "converted": 4, "referred": 0}
    arrived = smtp.wait_for(4)  # the two reports, and the swap's notices to L02 and L03
    received = {m.recipients[0]: m.message for m in arrived if "值班月报" in str(m.message["Subject"])}
    assert set(received) == {"s01@center.example.cn", "h01@center.example.cn"}
    message = received["h01@center.example.cn"]
    # Issue 12: plain words (no 综合得分, 均衡度 0.72 or +6%), the month as 2012年10月.
    assert message["Subject"] == "劳动人事争议仲裁委员会法律援助咨询点2012年10月值班月报：缺1班，分配均衡"
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "排班：应排18班，已排17班，缺1班；每人值班5至6天，已是本月工作日数下最均衡的安排。" in text
    assert "均衡度" not in text and "综合得分" not in text and "%" not in text.split("咨询点接待")[0]
    # 17 duties among 3 lawyers available all month: a fair share of 5.7 each. 6, 6 and 5 is the best
    # whole duties allow (quality.best_balance), so nobody is flagged for the 6.
    assert quality.balance == pytest.approx(quality.best_balance)
    assert "王律师 | 6 | 5.7 | 18 | —" in text and "李律师 | 5 | 5.7 | 18 | —" in text
    assert "值班偏多" not in text
    assert "尚存问题：连续值班超限 1 处；缺人 1 处。" in text and "调整：调班 1 次。" in text
    assert "咨询点接待咨询 47 人次：解答 40，调解成功 3，转为援助案件 4，转介 0。" in text


def test_the_report_is_queued_once_however_often_the_job_runs(rt: Runtime) -> None:
    _october(rt)
    for _ in range(3):
        with rt.transaction() as session:
            month_report(session, rt.settings, as_of=FIRST_OF_NOVEMBER)
    with rt.transaction() as session:
        assert (
            session.scalar(select(func.count()).select_from(OutboxMessage)) == 2 + 2
        )  # + the swap's notices
        kinds = session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.kind)).all()
    assert kinds.count("roster_month_report") == 2


def test_a_holiday_on_the_first_moves_the_report_to_the_first_working_day(rt: Runtime) -> None:
    _october(rt)
    # New Year 2013: the 1st to the 3rd are off; the 4th (a Friday) is the first working day.
    days = [date(2013, 1, 1) + timedelta(days=n) for n in range(4)]
    with rt.transaction() as session:
        runs = [month_report(session, rt.settings, as_of=day) for day in days]
    assert [len(run.messages) for run in runs] == [0, 0, 0, 2]
    assert "first working day of its month (2013-01-04)" in (runs[1].note or "")
    assert {m["key"] for m in runs[3].messages} == {"roster:month:2012-12:H01", "roster:month:2012-12:S01"}


def test_notify_month_report_from_the_command_line(rt: Runtime, capsys: pytest.CaptureFixture[str]) -> None:
    _october(rt)
    argv = ["roster", "notify", "--kind", "month-report", "--as-of", "2012-11-01", "--json"]
    assert main([*argv, "--dry-run"]) == 0
    [dry] = json.loads(capsys.readouterr().out)
    assert (dry["kind"], dry["dry_run"], len(dry["messages"])) == ("month-report", True, 2)
    with rt.transaction() as session:
        assert session.scalar(select(func.count()).where(OutboxMessage.kind == "roster_month_report")) == 0
    assert main(argv) == 0
    [run] = json.loads(capsys.readouterr().out)
    assert sorted(m["person"] for m in run["messages"]) == ["H01", "S01"]


def test_a_rota_that_could_be_more_even_says_so_and_names_who_did_more(rt: Runtime) -> None:
    with rt.transaction() as session:
        make_desk(session, lawyers=3)
        make_person(session, "H01", email="h01@center.example.cn", role=Role.leader)
        # 18 desk days: L01 does 10, L02 and L03 four each (a share of 6): 8 could have been 6, 6 and 6.
        who = ["L01"] * 10 + ["L02"] * 4 + ["L03"] * 4
        make_shifts(session, [(day, "day", code) for day, code in zip(OCTOBER_DESK_DAYS, who, strict=True)])
    with rt.transaction() as session:
        month_report(session, rt.settings, as_of=FIRST_OF_NOVEMBER)
        [message, *_] = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "roster_month_report")
        ).all()
        subject, text = message.subject, message.body_text
    assert subject == "劳动人事争议仲裁委员会法律援助咨询点2012年10月值班月报：排班已满，分配可更均衡"
    assert "排班：应排18班，已全部排满；每人值班4至10天，还可以更均衡。" in text
    assert "值班偏多：王律师。" in text
    assert "王律师 | 10 | 6.0 | 18 | 偏多" in text and "李律师 | 4 | 6.0 | 18 | 偏少" in text
