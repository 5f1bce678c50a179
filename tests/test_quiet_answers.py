"""Commands that answer with nothing say why, in words: ``roster notify`` (every kind: not its day, queued
before and when, nothing due), ``mail status`` on an empty outbox, ``jobs status`` with every tick done,
``reminders overdue`` with nothing overdue, ``roster check`` with no problem."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from builders import make_desk, make_shifts
from sqlalchemy import update

from cli import main
from legalaid import jobs
from legalaid.calendar import WorkCalendar
from legalaid.models import JobRun
from legalaid.runtime import Runtime

CALENDAR = WorkCalendar()
OCTOBER_DESK_DAYS = [d for d in (date(2012, 10, n) for n in range(1, 32)) if CALENDAR.is_working_day(d)]
# A time in the center's zone with its offset, as the answers print it.
LOCAL_TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00"


@pytest.fixture
def desk(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three lawyers in turn on October's desk days, coordinator S01; the command line on ``rt``."""
    monkeypatch.setenv("LEGALAID_DATA_DIR", str(rt.settings.data_dir))
    with rt.transaction() as session:
        make_desk(session, lawyers=3)
        make_shifts(session, [(day, "day", f"L0{n % 3 + 1}") for n, day in enumerate(OCTOBER_DESK_DAYS)])


def _notify(capsys: pytest.CaptureFixture[str], kind: str, as_of: str, *, dry_run: bool = True) -> str:
    argv = ["roster", "notify", "--kind", kind, "--as-of", as_of, *(["--dry-run"] if dry_run else [])]
    assert main(argv) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(
    ("kind", "day", "other_day", "not_its_day"),
    [
        ("month-report", "2012-11-01", "2012-11-02", "not the first working day of its month (2012-11-01)"),
        (
            "week-ahead",
            "2012-10-12",
            "2012-10-11",
            "not the last working day of its week (that is 2012-10-12)",
        ),
        ("day-before", "2012-10-12", None, None),
    ],
)
def test_notify_with_nothing_new_says_why(
    desk: None,
    capsys: pytest.CaptureFixture[str],
    kind: str,
    day: str,
    other_day: str | None,
    not_its_day: str | None,
) -> None:
    if other_day is not None:
        assert not_its_day is not None
        out = _notify(capsys, kind, other_day)
        assert f"{kind}: would queue 0 message(s) — {other_day} is {not_its_day}" in out
    sent = _notify(capsys, kind, day, dry_run=False)
    count = int(re.search(r"queued (\d+) message", sent).group(1))  # type: ignore[union-attr]
    assert count >= 1
    again = _notify(capsys, kind, day)
    assert re.search(
        rf"{kind}: would queue 0 message\(s\) — {day}: all {count} message\(s\) due were queued before, "
        rf"at {LOCAL_TIME} \(each is sent once\)",
        again,
    ), again


def test_day_before_with_no_duty_names_the_days_and_the_hour(
    rt: Runtime, desk: None, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _notify(capsys, "day-before", "2012-10-31")  # November has no duty drawn
    assert (
        "day-before: would queue 0 message(s) — 2012-10-31: no duty from 2012-11-01 to 2012-11-01 to tell "
        "(a duty's notice goes out on the last working day before it, "
        f"from {rt.settings.roster_notice_hour}:00)"
    ) in out


def test_empty_answers_are_said_in_words(rt: Runtime, desk: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mail", "status"]) == 0
    assert capsys.readouterr().out.strip() == "the outbox is empty: no message queued or sent yet"
    assert main(["reminders", "overdue", "--as-of", "2012-10-12"]) == 0
    assert capsys.readouterr().out.strip() == (
        "2012-10-12: nothing overdue (no open item is past its deadline)"
    )
    assert main(["roster", "check", "--from", "2012-10-01", "--to", "2012-10-31"]) == 0
    assert "no problem" in capsys.readouterr().out
    now = datetime.now(UTC)
    with rt.transaction() as session:
        run = jobs.claim(session, job="reminders", scheduled_for=now, task="legalaid.reminders.scan", now=now)
        assert run is not None
        session.execute(update(JobRun).values(status=jobs.SUCCEEDED))
    assert main(["jobs", "status"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "reminders succeeded",
        "every tick is done: none dead, failed, waiting or running",
    ]
