"""Statistical years and quarters: pure date arithmetic, named the way the center names them.

A center's statistical year (统计年度) starts on the first of ``report_year_start_month`` and is named by
the calendar year it ends in: with the seed center's November start, ``2012`` is 2011-11-01 … 2012-10-31
("年度数据统计从2011年11月至2012年10月止") and ``2012Q1`` is November 2011 … January 2012. With the default
January start, years and quarters are the calendar's. Year on year compares a period with the same period
one year earlier.

Publication days are working days counted after a period's last day (the 5th after a quarter, the 10th
after a year); the calendar is handed in, so these stay pure functions of their arguments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from legalaid.calendar import WorkCalendar
from legalaid.dates import en_date, zh_date
from legalaid.errors import UserError

PeriodKind = Literal["year", "quarter"]
_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]\s*(\d+)\s*$")
_YEAR = re.compile(r"^\s*(\d{4})\s*$")
_QUARTER_ZH = ("一", "二", "三", "四")
# A report missed on its publication day (no scheduler, no worker for days) is made up by the daily job
# for this many days; later it is history, and a first deployment does not mail last year's reports.
CATCH_UP_DAYS = 14


def _add_months(day: date, months: int) -> date:
    """The first of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True, order=True)
class Period:
    """One statistical year or quarter: ``label`` is the statistical year, ``quarter`` 1–4 or None."""

    start: date
    end: date
    kind: PeriodKind
    label: int
    quarter: int | None
    start_month: int

    @property
    def key(self) -> str:
        """``2012`` or ``2012Q1``: the name in report keys, file names and ``--year``/``--quarter``."""
        return str(self.label) if self.quarter is None else f"{self.label}Q{self.quarter}"

    def year_before(self) -> Period:
        """The same period one year earlier: what 比去年 compares with."""
        if self.quarter is None:
            return statistical_year(self.label - 1, start_month=self.start_month)
        return statistical_quarter(self.label - 1, self.quarter, start_month=self.start_month)

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        if self.quarter is None:
            return self.year_before()
        if self.quarter == 1:
            return statistical_quarter(self.label - 1, 4, start_month=self.start_month)
        return statistical_quarter(self.label, self.quarter - 1, start_month=self.start_month)

    def last(self, count: int) -> list[Period]:
        """This period and the ``count - 1`` before it, oldest first (the charts' five periods)."""
        periods = [self]
        while len(periods) < count:
            periods.append(periods[-1].previous())
        return periods[::-1]

    def name(self, locale: str) -> str:
        """``2012年度`` / ``2012年度第一季度``; ``statistical year 2012`` / ``Q1 of statistical year 2012``.

        A quarter is named by its statistical year, as the center says it: with a November start the
        quarter of November 2011 … January 2012 is 2012年度第一季度, never "2011Q4" nor "2012Q1" alone.
        """
        if locale == "zh_CN":
            year = f"{self.label}年度"
            return year if self.quarter is None else f"{year}第{_QUARTER_ZH[self.quarter - 1]}季度"
        year = f"statistical year {self.label}"
        return year if self.quarter is None else f"Q{self.quarter} of {year}"

    def short_name(self, locale: str) -> str:
        """A chart's axis label, the name on two lines: ``2012年度`` / ``2012年度⏎第一季度``; ``2012`` /
        ``Q1 of⏎stat. year 2012``."""
        if self.quarter is None:
            return f"{self.label}年度" if locale == "zh_CN" else str(self.label)
        if locale == "zh_CN":
            return f"{self.label}年度\n第{_QUARTER_ZH[self.quarter - 1]}季度"
        return f"Q{self.quarter} of\nstat. year {self.label}"

    def span(self, locale: str) -> str:
        """``2011年11月1日至2012年10月31日`` / ``1 November 2011 to 31 October 2012``."""
        if locale == "zh_CN":
            return f"{zh_date(self.start)}至{zh_date(self.end)}"
        return f"{en_date(self.start)} to {en_date(self.end)}"

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def statistical_year(label: int, *, start_month: int) -> Period:
    """Statistical year ``label``: it ends in calendar year ``label`` (a January start: the calendar year)."""
    if not 1 <= start_month <= 12:
        raise ValueError(f"start_month must be 1 to 12, not {start_month}")
    start = date(label if start_month == 1 else label - 1, start_month, 1)
    end = _add_months(start, 12) - timedelta(days=1)
    return Period(start, end, "year", label, None, start_month)


def statistical_quarter(label: int, quarter: int, *, start_month: int) -> Period:
    """Quarter ``quarter`` (1–4) of statistical year ``label``: three months from the year's start on."""
    if not 1 <= quarter <= 4:
        raise ValueError(f"quarter must be 1 to 4, not {quarter}")
    year = statistical_year(label, start_month=start_month)
    start = _add_months(year.start, 3 * (quarter - 1))
    end = _add_months(start, 3) - timedelta(days=1)
    return Period(start, end, "quarter", label, quarter, start_month)


def parse_year(text: str, *, start_month: int, option: str = "--year") -> Period:
    """``--year 2012``; anything else is a UserError naming the option."""
    match = _YEAR.match(text)
    if match is None or not 1900 < int(match.group(1)) < 3000:
        raise UserError(f"{option}: {text!r} is not a statistical year (YYYY, e.g. 2012)")
    return statistical_year(int(match.group(1)), start_month=start_month)


def parse_quarter(text: str, *, start_month: int, option: str = "--quarter") -> Period:
    """``--quarter 2012Q1`` (also ``2012q1``, ``2012-Q1``); anything else is a UserError naming the option."""
    match = _QUARTER.match(text)
    if match is None or not 1900 < int(match.group(1)) < 3000 or not 1 <= int(match.group(2)) <= 4:
        raise UserError(f"{option}: {text!r} is not a quarter (YYYYQn with n from 1 to 4, e.g. 2012Q1)")
    return statistical_quarter(int(match.group(1)), int(match.group(2)), start_month=start_month)


def period_containing(day: date, kind: PeriodKind, *, start_month: int) -> Period:
    """The statistical year or quarter that ``day`` falls in."""
    label = day.year + (1 if start_month > 1 and day.month >= start_month else 0)
    year = statistical_year(label, start_month=start_month)
    if kind == "year":
        return year
    months = (day.year * 12 + day.month) - (year.start.year * 12 + year.start.month)
    return statistical_quarter(label, months // 3 + 1, start_month=start_month)


def publication_day(period: Period, calendar: WorkCalendar, *, quarter_days: int, year_days: int) -> date:
    """The working day a period's report is due: the ``quarter_days``-th (``year_days``-th for a year)
    working day after its last day, that day not counted."""
    days = year_days if period.quarter is None else quarter_days
    return calendar.add_working_days(period.end, days)


@dataclass(frozen=True)
class AsOf:
    """The day a report's figures are counted as of (数据截至, the signature's date), and why that day."""

    day: date
    basis: str  # "given" (--as-of), "publication day", "today" (the period is open or not yet published)

    def describe(self) -> str:
        """``2012-11-14 (the publication day)``: what the command prints."""
        why = {
            "given": "given with --as-of",
            "publication day": "the report's publication day",
            "today": "today: the period is not over or its report not yet due, so a later run may differ",
        }[self.basis]
        return f"{self.day.isoformat()} ({why})"


def report_as_of(
    period: Period,
    today: date,
    calendar: WorkCalendar,
    *,
    quarter_days: int,
    year_days: int,
    given: date | None = None,
) -> AsOf:
    """The as-of day of a report: ``given`` when given; for a closed period its publication day, so that
    the report of a period is the same whenever it is rebuilt (the figures of the day it was due, not of
    the day someone ran it again); today while the period is open or its publication day has not come."""
    if given is not None:
        return AsOf(given, "given")
    published = publication_day(period, calendar, quarter_days=quarter_days, year_days=year_days)
    if published <= today:
        return AsOf(published, "publication day")
    return AsOf(today, "today")


def due_periods(
    as_of: date,
    calendar: WorkCalendar,
    *,
    start_month: int,
    quarter_days: int,
    year_days: int,
    catch_up_days: int = CATCH_UP_DAYS,
) -> list[Period]:
    """The periods whose report falls due on ``as_of``, or fell due within the catch-up days before it.

    Only the last completed quarter and year can be due: a publication day is at most a few weeks after
    the period's end, and a quarter is three months long. The ledger (report_runs) makes a report that
    was already sent a no-op, so a period stays "due" for the whole catch-up window harmlessly.
    """
    due: list[Period] = []
    for kind in ("quarter", "year"):
        current = period_containing(as_of, kind, start_month=start_month)
        completed = current.previous()
        published = publication_day(completed, calendar, quarter_days=quarter_days, year_days=year_days)
        if published <= as_of < published + timedelta(days=catch_up_days):
            due.append(completed)
    return due
