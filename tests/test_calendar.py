"""Working days: the 2012 National Day week (调休 included), the 2027 fallback, overrides, the CLI."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from cli import main
from legalaid import calendar as calendar_module
from legalaid.calendar import DaySource, Override, WorkCalendar, load_overrides
from legalaid.config import Settings
from legalaid.errors import UserError

D = date.fromisoformat


@pytest.fixture(autouse=True)
def _fresh_years() -> Iterator[None]:
    """Each test computes its years afresh, so "one warning per year per process" is seen per test."""
    calendar_module._reset_shared_cache()
    yield
    calendar_module._reset_shared_cache()


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


def write_overrides(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "calendar.toml"
    path.write_text(text, encoding="utf-8")
    return path


# The 2012 National Day week: 中秋 on Sunday 09-30, 国庆 10-01..10-07, Saturday 09-29 worked (调休). ---------


@pytest.mark.parametrize(
    ("day", "working", "name"),
    [
        ("2012-09-27", True, None),
        ("2012-09-28", True, None),
        ("2012-09-29", True, "国庆节"),  # Saturday, 调休: worked for the National Day week
        ("2012-09-30", False, "中秋节"),
        ("2012-10-01", False, "国庆节"),
        ("2012-10-02", False, "国庆节"),
        ("2012-10-03", False, "国庆节"),
        ("2012-10-04", False, "国庆节"),
        ("2012-10-05", False, "国庆节"),
        ("2012-10-06", False, "国庆节"),
        ("2012-10-07", False, "国庆节"),
        ("2012-10-08", True, None),
    ],
)
def test_national_day_week_2012(cal: WorkCalendar, day: str, working: bool, name: str | None) -> None:
    info = cal.day(D(day))
    assert (info.working, info.holiday_name) == (working, name)
    assert cal.is_working_day(D(day)) is working
    assert not info.provisional
    assert info.source is DaySource.CHINESE_CALENDAR


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2012-09-22", False),  # an ordinary Saturday
        ("2012-09-23", False),  # an ordinary Sunday
        ("2012-09-24", True),
        ("2012-10-13", False),  # the Saturday after the holiday week is not worked
        ("2012-10-14", False),
        ("2013-01-05", True),  # Saturday and Sunday 调休 for New Year 2013
        ("2013-01-06", True),
    ],
)
def test_weekends(cal: WorkCalendar, day: str, working: bool) -> None:
    assert cal.is_working_day(D(day)) is working


def test_adjusted_means_a_worked_weekend(cal: WorkCalendar) -> None:
    assert cal.day(D("2012-09-29")).adjusted
    assert not cal.day(D("2012-09-28")).adjusted
    assert not cal.day(D("2012-09-30")).adjusted


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2012-09-28", 0, "2012-09-28"),  # a working day is its own day 0
        ("2012-10-03", 0, "2012-10-08"),  # day 0 of a holiday is the next working day
        ("2012-09-27", 1, "2012-09-28"),
        ("2012-09-28", 1, "2012-09-29"),  # the 调休 Saturday counts
        ("2012-09-28", 2, "2012-10-08"),
        ("2012-09-29", 1, "2012-10-08"),
        ("2012-09-30", 1, "2012-10-08"),
        ("2012-10-05", 3, "2012-10-10"),
        ("2012-09-28", 6, "2012-10-12"),
        ("2012-09-21", 1, "2012-09-24"),  # over an ordinary weekend
        ("2012-10-08", -1, "2012-09-29"),
        ("2012-10-08", -2, "2012-09-28"),
        ("2012-10-03", -1, "2012-09-29"),
        ("2012-09-24", -1, "2012-09-21"),
    ],
)
def test_add_working_days(cal: WorkCalendar, start: str, n: int, expected: str) -> None:
    assert cal.add_working_days(D(start), n) == D(expected)


@pytest.mark.parametrize(
    ("last_day", "expected"),
    [
        ("2012-09-28", "2012-09-28"),
        ("2012-09-29", "2012-09-29"),  # a 调休 Saturday is a working day: the period ends on it
        ("2012-09-30", "2012-10-08"),
        ("2012-10-01", "2012-10-08"),
        ("2012-10-07", "2012-10-08"),
        ("2012-10-08", "2012-10-08"),
        ("2012-09-22", "2012-09-24"),  # a period ending on an ordinary Saturday ends on Monday
    ],
)
def test_period_end(cal: WorkCalendar, last_day: str, expected: str) -> None:
    assert cal.period_end(D(last_day)) == D(expected)


def test_next_and_previous_working_day(cal: WorkCalendar) -> None:
    assert cal.next_working_day(D("2012-09-28")) == D("2012-09-29")
    assert cal.next_working_day(D("2012-09-28"), include_self=True) == D("2012-09-28")
    assert cal.next_working_day(D("2012-10-01"), include_self=True) == D("2012-10-08")
    assert cal.previous_working_day(D("2012-10-08")) == D("2012-09-29")
    assert cal.previous_working_day(D("2012-10-08"), include_self=True) == D("2012-10-08")


def test_working_days_between_is_inclusive(cal: WorkCalendar) -> None:
    expected = [D(d) for d in ("2012-09-27", "2012-09-28", "2012-09-29", "2012-10-08", "2012-10-09")]
    assert cal.working_days_between(D("2012-09-27"), D("2012-10-09")) == expected
    assert cal.working_days_between(D("2012-10-01"), D("2012-10-07")) == []
    assert cal.working_days_between(D("2012-10-09"), D("2012-09-27")) == []


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2012-09-26", "2012-09-29"),  # the week's 调休 Saturday
        ("2012-10-03", None),  # the whole National Day week is off
        ("2012-10-10", "2012-10-12"),
        ("2012-10-14", "2012-10-12"),  # a Sunday belongs to the week before it
    ],
)
def test_last_working_day_of_week(cal: WorkCalendar, day: str, expected: str | None) -> None:
    assert cal.last_working_day_of_week(D(day)) == (D(expected) if expected else None)


# A year chinese-calendar does not know yet. -------------------------------------------------------------


def _year_warnings(caplog: pytest.LogCaptureFixture, year: int) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "legalaid.calendar" and r.levelno == logging.WARNING and f" {year};" in r.getMessage()
    ]


def test_2027_falls_back_to_the_holidays_package(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="legalaid.calendar")
    cal = WorkCalendar()
    info = cal.day(D("2027-01-01"))
    assert (info.working, info.holiday_name, info.provisional) == (False, "元旦", True)
    assert info.source is DaySource.HOLIDAYS_ESTIMATE
    assert cal.is_provisional(2027)
    assert not cal.is_provisional(2012)
    assert cal.is_working_day(D("2027-01-04"))
    assert not cal.is_working_day(D("2027-01-02"))
    assert cal.add_working_days(D("2026-12-31"), 1) == D("2027-01-04")
    # Every answer for the year is provisional; a second calendar in the process does not warn again.
    assert all(cal.day(d).provisional for d in cal.working_days_between(D("2027-01-01"), D("2027-12-31")))
    WorkCalendar().day(D("2027-06-01"))
    assert len(_year_warnings(caplog, 2027)) == 1
    assert "chinese-calendar" in _year_warnings(caplog, 2027)[0].getMessage()

    WorkCalendar().day(D("2028-03-01"))
    assert len(_year_warnings(caplog, 2028)) == 1
    assert len(_year_warnings(caplog, 2027)) == 1


def test_a_year_no_package_knows_is_monday_to_friday(cal: WorkCalendar) -> None:
    info = cal.day(D("2101-01-03"))  # a Monday
    assert (info.working, info.provisional, info.source) == (True, True, DaySource.WEEKDAY)
    assert not cal.is_working_day(D("2101-01-01"))  # a Saturday


def test_a_failing_holidays_package_does_not_crash(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("lunar tables missing")

    monkeypatch.setattr(calendar_module.holidays, "country_holidays", broken)
    info = WorkCalendar().day(D("2027-01-01"))  # a Friday: without any holiday data, a working day
    assert (info.working, info.provisional, info.source) == (True, True, DaySource.WEEKDAY)
    assert "the holidays package failed for 2027" in caplog.text


# The overrides file. ------------------------------------------------------------------------------------

OVERRIDES_2027 = """\
# 2027 schedule, before chinese-calendar has it
[[day]]
date = 2027-02-20
working = true
note = "春节调休"

[[day]]
date = "2027-02-11"
working = false
note = "春节"

[[day]]
date = 2012-10-08
working = false
"""


def test_overrides_win(tmp_path: Path) -> None:
    cal = WorkCalendar.from_file(write_overrides(tmp_path, OVERRIDES_2027))
    saturday = cal.day(D("2027-02-20"))
    assert (saturday.working, saturday.holiday_name, saturday.source) == (
        True,
        "春节调休",
        DaySource.OVERRIDE,
    )
    assert saturday.adjusted
    assert saturday.provisional  # the rest of 2027 is still an estimate
    assert cal.add_working_days(D("2027-02-19"), 1) == D("2027-02-20")
    assert not cal.is_working_day(D("2027-02-11"))
    assert cal.day(D("2027-02-11")).holiday_name == "春节"
    # An override wins over chinese-calendar too.
    assert not cal.is_working_day(D("2012-10-08"))
    assert cal.period_end(D("2012-10-07")) == D("2012-10-09")
    # Other calendars in the process are not affected by this one's overrides.
    assert WorkCalendar().is_working_day(D("2012-10-08"))
    assert not WorkCalendar().is_working_day(D("2027-02-20"))


def test_from_settings_reads_the_configured_file(tmp_path: Path) -> None:
    path = write_overrides(tmp_path, OVERRIDES_2027)
    cal = WorkCalendar.from_settings(Settings(data_dir=tmp_path, calendar_overrides_file=path))
    assert cal.is_working_day(D("2027-02-20"))
    assert not WorkCalendar.from_settings(Settings(data_dir=tmp_path)).is_working_day(D("2027-02-20"))


def test_load_overrides(tmp_path: Path) -> None:
    overrides = load_overrides(write_overrides(tmp_path, OVERRIDES_2027))
    assert overrides[D("2027-02-20")] == Override(working=True, note="春节调休")
    assert overrides[D("2012-10-08")] == Override(working=False, note=None)
    assert load_overrides(write_overrides(tmp_path, "# nothing yet\n")) == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[day]]\ndate = 2027-02-20\nworking = tru\n", "3: not valid TOML: Invalid value"),
        ('[[day]]\ndate = "2027-02-30"\nworking = true\n', "2: date '2027-02-30' is not YYYY-MM-DD"),
        ("[[day]]\ndate = 2027-02-20T08:00:00\nworking = true\n", "2: date must be a date (YYYY-MM-DD)"),
        ('[[day]]\ndate = 2027-02-20\nworking = "yes"\n', "3: working must be true or false, not 'yes'"),
        ("[[day]]\ndate = 2027-02-20\nworking = true\nnote = 3\n", "4: note must be a string, not 3"),
        ("[[day]]\ndate = 2027-02-20\n", "1: [[day]] without 'working'"),
        ("[[day]]\nworking = true\n", "1: [[day]] without 'date'"),
        ("[[day]]\ndate = 2027-02-20\nworking = true\nwork = true\n", "4: unknown key 'work'"),
        ("year = 2027\n[[day]]\ndate = 2027-02-20\nworking = true\n", "1: unknown key 'year'"),
        ("day = 3\n", "1: 'day' must be [[day]] tables"),
        (
            "[[day]]\ndate = 2027-02-20\nworking = true\n\n[[day]]\ndate = 2027-02-20\nworking = false\n",
            "5: 2027-02-20 is listed twice (first at line 1)",
        ),
    ],
)
def test_bad_overrides_file(tmp_path: Path, text: str, message: str) -> None:
    path = write_overrides(tmp_path, text)
    with pytest.raises(UserError) as raised:
        WorkCalendar.from_file(path)
    assert str(raised.value).startswith(f"{path}:{message}")


def test_missing_overrides_file(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no such calendar overrides file"):
        WorkCalendar.from_file(tmp_path / "nope.toml")


def test_runaway_overrides_are_an_error_not_a_hang(tmp_path: Path) -> None:
    days_off = {date.fromordinal(D("2030-01-01").toordinal() + i): Override(False) for i in range(400)}
    with pytest.raises(UserError, match="no working day within 366 days after"):
        WorkCalendar(days_off).add_working_days(D("2029-12-31"), 1)


# The command line. --------------------------------------------------------------------------------------


def test_cli_show_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calendar", "show", "--from", "2012-09-28", "--to", "2012-10-08", "--json"]) == 0
    days = json.loads(capsys.readouterr().out)
    assert len(days) == 11
    assert days[1] == {
        "date": "2012-09-29",
        "weekday": "Sat",
        "working": True,
        "adjusted": True,
        "holiday_name": "国庆节",
        "provisional": False,
        "source": "chinese_calendar",
    }
    assert [d["date"] for d in days if d["working"]] == ["2012-09-28", "2012-09-29", "2012-10-08"]


def test_cli_show_text_marks_provisional_days(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calendar", "show", "--from", "2012-09-29", "--to", "2012-09-30"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["2012-09-29  周六  working  调休 国庆节", "2012-09-30  周日  off      中秋节"]
    assert main(["calendar", "show", "--from", "2027-01-01", "--to", "2027-01-01"]) == 0
    assert capsys.readouterr().out.strip() == "2027-01-01  周五  off      元旦  (provisional)"


def test_cli_uses_the_overrides_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEGALAID_CALENDAR_OVERRIDES_FILE", str(write_overrides(tmp_path, OVERRIDES_2027)))
    assert main(["calendar", "next", "--from", "2027-02-19", "--days", "1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["date"], result["source"], result["provisional"]) == ("2027-02-20", "override", True)


@pytest.mark.parametrize(
    ("days", "expected"), [("2", "2012-10-08"), ("0", "2012-09-28"), ("-1", "2012-09-27")]
)
def test_cli_next(capsys: pytest.CaptureFixture[str], days: str, expected: str) -> None:
    assert main(["calendar", "next", "--from", "2012-09-28", "--days", days]) == 0
    assert capsys.readouterr().out.strip() == expected


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["show", "--from", "2012-10-08", "--to", "2012-10-01"],
            "--to 2012-10-01 is before --from 2012-10-08",
        ),
        (["show", "--from", "2012-13-01", "--to", "2012-10-01"], "--from: '2012-13-01' is not a date"),
        (["show", "--from", "2012-01-01", "--to", "2099-01-01"], "at most 3660 days"),
        (["next", "--from", "yesterday"], "--from: 'yesterday' is not a date"),
    ],
)
def test_cli_errors_are_one_line(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    assert main(["calendar", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_cli_bad_overrides_file_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_overrides(tmp_path, '[[day]]\ndate = "soon"\nworking = true\n')
    monkeypatch.setenv("LEGALAID_CALENDAR_OVERRIDES_FILE", str(path))
    assert main(["calendar", "next", "--from", "2012-09-28"]) == 2
    err = capsys.readouterr().err
    assert f"{path}:2: date 'soon' is not YYYY-MM-DD" in err.replace("\n", "")
    assert "Traceback" not in err
