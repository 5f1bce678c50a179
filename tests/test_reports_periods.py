"""Statistical years and quarters, publication days and what falls due: pure date arithmetic."""

from __future__ import annotations

from datetime import date

import pytest

from legalaid.calendar import WorkCalendar
from legalaid.errors import UserError
from legalaid.reports.periods import (
    due_periods,
    parse_quarter,
    parse_year,
    period_containing,
    publication_day,
    statistical_quarter,
    statistical_year,
)

CALENDAR = WorkCalendar()


@pytest.mark.parametrize(
    ("text", "start_month", "start", "end"),
    [
        ("2012", 11, date(2011, 11, 1), date(2012, 10, 31)),  # the seed: 年度数据统计从2011年11月至2012年10月
        ("2012", 1, date(2012, 1, 1), date(2012, 12, 31)),
        ("2013", 7, date(2012, 7, 1), date(2013, 6, 30)),
        (" 2012 ", 2, date(2011, 2, 1), date(2012, 1, 31)),
    ],
)
def test_statistical_years(text: str, start_month: int, start: date, end: date) -> None:
    period = parse_year(text, start_month=start_month)
    assert (period.start, period.end, period.key) == (start, end, text.strip())


@pytest.mark.parametrize(
    ("text", "start_month", "start", "end"),
    [
        ("2012Q1", 11, date(2011, 11, 1), date(2012, 1, 31)),  # crosses the calendar year
        ("2012Q2", 11, date(2012, 2, 1), date(2012, 4, 30)),
        ("2012Q3", 11, date(2012, 5, 1), date(2012, 7, 31)),
        ("2012Q4", 11, date(2012, 8, 1), date(2012, 10, 31)),
        ("2012q1", 1, date(2012, 1, 1), date(2012, 3, 31)),
        ("2012-Q4", 1, date(2012, 10, 1), date(2012, 12, 31)),
        ("2013Q1", 12, date(2012, 12, 1), date(2013, 2, 28)),  # crosses the year, ends on 28 February
        ("2012Q1", 12, date(2011, 12, 1), date(2012, 2, 29)),  # a leap year's February
    ],
)
def test_quarters(text: str, start_month: int, start: date, end: date) -> None:
    period = parse_quarter(text, start_month=start_month)
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize(
    ("parse", "text", "option"),
    [
        (parse_quarter, "2012Q5", "--quarter"),
        (parse_quarter, "2012Q0", "--quarter"),
        (parse_quarter, "12Q1", "--quarter"),
        (parse_quarter, "2012", "--quarter"),
        (parse_year, "2012Q1", "--year"),
        (parse_year, "twenty", "--year"),
        (parse_year, "0999", "--year"),
    ],
)
def test_bad_periods_name_the_option(parse: object, text: str, option: str) -> None:
    with pytest.raises(UserError) as raised:
        parse(text, start_month=11)  # type: ignore[operator]
    assert str(raised.value).startswith(f"{option}: {text!r} is not")


def test_year_on_year_and_the_five_periods_before() -> None:
    q1 = statistical_quarter(2012, 1, start_month=11)
    assert q1.year_before() == statistical_quarter(2011, 1, start_month=11)
    assert q1.previous() == statistical_quarter(2011, 4, start_month=11)
    five = q1.last(5)
    assert [p.key for p in five] == ["2011Q1", "2011Q2", "2011Q3", "2011Q4", "2012Q1"]
    assert q1.year_before() in five  # the chart's periods always hold the comparison
    year = statistical_year(2012, start_month=11)
    assert [p.key for p in year.last(5)] == ["2008", "2009", "2010", "2011", "2012"]


@pytest.mark.parametrize(
    ("day", "kind", "key"),
    [
        (date(2011, 11, 1), "year", "2012"),
        (date(2012, 10, 31), "year", "2012"),
        (date(2012, 11, 1), "year", "2013"),
        (date(2011, 12, 31), "quarter", "2012Q1"),
        (date(2012, 1, 31), "quarter", "2012Q1"),
        (date(2012, 2, 1), "quarter", "2012Q2"),
        (date(2012, 10, 31), "quarter", "2012Q4"),
    ],
)
def test_the_period_a_day_falls_in(day: date, kind: str, key: str) -> None:
    assert period_containing(day, kind, start_month=11).key == key  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("period", "published"),
    [
        # 2012-10-31 is a Wednesday: Thu 1, Fri 2, Mon 5, Tue 6, Wed 7 November.
        (statistical_quarter(2012, 4, start_month=11), date(2012, 11, 7)),
        (statistical_year(2012, start_month=11), date(2012, 11, 14)),
        # The calendar year's Q3 ends on 30 September 2012; 1–7 October is National Day.
        (statistical_quarter(2012, 3, start_month=1), date(2012, 10, 12)),
        # 1–3 January 2013 off, then Fri 4, the 调休 Saturday 5 and Sunday 6, Mon 7, Tue 8.
        (statistical_quarter(2012, 4, start_month=1), date(2013, 1, 8)),
    ],
)
def test_publication_days_count_working_days(period: object, published: date) -> None:
    assert publication_day(period, CALENDAR, quarter_days=5, year_days=10) == published  # type: ignore[arg-type]


def test_what_falls_due_and_for_how_long() -> None:
    def due(day: date) -> list[str]:
        periods = due_periods(day, CALENDAR, start_month=11, quarter_days=5, year_days=10)
        return [p.key for p in periods]

    assert due(date(2012, 11, 6)) == []
    assert due(date(2012, 11, 7)) == ["2012Q4"]
    assert due(date(2012, 11, 14)) == ["2012Q4", "2012"]
    assert due(date(2012, 11, 20)) == ["2012Q4", "2012"]  # made up if missed; the ledger sends once
    assert due(date(2012, 11, 21)) == ["2012"]  # 14 days after the quarter's day: history
    assert due(date(2012, 12, 10)) == []
