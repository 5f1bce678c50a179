"""`legalaid demo` draws the demo desk's next month, checks it, and sends the notices (issue 6, done when)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from email import policy
from email.parser import BytesParser
from pathlib import Path

import icalendar

from cli.demo.data import generate
from cli.demo.roster import next_month
from cli.demo.run import run_demo
from legalaid.config import Settings
from legalaid.roster import find_problems, load_window
from legalaid.runtime import build_runtime


def test_next_month_is_the_first_whole_month_from_the_demo_date() -> None:
    assert next_month(date(2012, 11, 1)) == (date(2012, 11, 1), date(2012, 11, 30))
    assert next_month(date(2012, 11, 15)) == (date(2012, 12, 1), date(2012, 12, 31))
    assert next_month(date(2012, 12, 3)) == (date(2013, 1, 1), date(2013, 1, 31))


def test_the_demo_draws_checks_and_announces_the_next_month(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", report_year_start_month=11)
    report = run_demo(settings)
    rota = report.steps["roster"]
    assert (rota["month"], rota["shifts"], rota["people"], rota["problems"]) == ("2012-11", 22, 12, [])
    # The day-before notice of 2 November, and October's desk report (1 November is the month's first
    # working day) to the four staff and the head.
    assert rota["coverage"] == 1.0 and rota["notices"] == 1 + 5
    assert [Path(p).name for p in rota["files"]] == ["值班安排表-2012-11.docx", "值班安排表-2012-11.xlsx"]
    rt = build_runtime(settings)
    try:
        with rt.transaction() as session:
            # October (imported) and November (drawn) together: one fair rotation, no problem.
            window = load_window(session, settings, start=date(2012, 10, 1), end=date(2012, 11, 30))
            assert find_problems(window.view()) == []
    finally:
        rt.dispose()
    counts = Counter(s.person for s in window.shifts)
    assert max(counts.values()) - min(counts.values()) <= 2 and len(counts) == 12
    [leave] = [
        row for row in generate().rows("leave") if row["reason"] == "年休假"
    ]  # the next roster's leave
    assert not [
        s for s in window.shifts if s.person == leave["person"] and leave["start"] <= s.on <= leave["end"]
    ]
    [eml] = [p for p in settings.mail_dir.rglob("*.eml") if "roster_daybefore" in p.name]
    message = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    assert str(message["Subject"]).startswith("值班提醒：2012年11月2日（星期五）全天")
    [attachment] = list(message.iter_attachments())
    [event] = icalendar.Calendar.from_ical(attachment.get_payload(decode=True)).walk("VEVENT")
    assert event.decoded("DTSTART").date() == date(2012, 11, 2)
    reports = [p for p in settings.mail_dir.rglob("*.eml") if "roster_month" in p.name]
    assert len(reports) == 5
    report_mail = BytesParser(policy=policy.default).parsebytes(reports[0].read_bytes())
    assert "2012年10月值班月报：" in str(report_mail["Subject"])  # issue 12: words, not 综合得分
