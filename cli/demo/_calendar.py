"""The demo's dates: the seed center's statistical years, working days and the month before a date.

Working days come from ``legalaid.calendar`` (chinese-calendar, 调休 included), handed in as a function so
the generator stays a pure function of its arguments.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

WorkingDay = Callable[[date], bool]


@dataclass(frozen=True)
class StatisticalYear:
    """The seed center's statistical year (年度): 1 November to 31 October, named by the year it ends in."""

    label: int
    start: date
    end: date

    @classmethod
    def ending_in(cls, label: int) -> StatisticalYear:
        return cls(label, date(label - 1, 11, 1), date(label, 10, 31))

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


def statistical_years(as_of: date) -> tuple[StatisticalYear, StatisticalYear]:
    """The last two statistical years complete before ``as_of``: (previous, current)."""
    label = as_of.year if as_of > date(as_of.year, 10, 31) else as_of.year - 1
    return StatisticalYear.ending_in(label - 1), StatisticalYear.ending_in(label)


def working_days(first: date, last: date, working_day: WorkingDay) -> list[date]:
    """The working days from ``first`` to ``last``, both included."""
    days, day = [], first
    while day <= last:
        if working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def month_before(as_of: date) -> date:
    """The same day a month earlier (the last day of that month when it is shorter)."""
    year, month = (as_of.year, as_of.month - 1) if as_of.month > 1 else (as_of.year - 1, 12)
    return date(year, month, min(as_of.day, calendar.monthrange(year, month)[1]))
