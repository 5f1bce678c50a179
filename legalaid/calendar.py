"""Working days in China: weekends, public holidays and 调休 (a weekend made a working day).

The only module that imports ``chinese_calendar`` and ``holidays``. Where a day's answer comes from, first
match wins:

1. the local overrides file (``calendar_overrides_file``), for what the packages do not know yet;
2. chinese-calendar, which carries the State Council's schedule, 调休 included, for the years it knows;
3. for a year chinese-calendar has no data for (it raises NotImplementedError, e.g. a new year before the
   package is upgraded): the ``holidays`` package's China calendar, which estimates the statutory holidays
   but knows no make-up Saturdays. Every answer for such a year is *provisional*, and one warning per year
   per process says so;
4. if neither package knows the year at all: Monday to Friday.

The overrides file is TOML, one ``[[day]]`` table per day::

    # 2027 schedule from the State Council notice, before chinese-calendar has it
    [[day]]
    date = 2027-02-06          # a TOML date, or a string "2027-02-06"
    working = true             # true: a working day (调休上班); false: a day off
    note = "春节调休"            # optional: shown as the day's holiday name

Holiday names are Chinese (元旦, 春节, 清明节, 劳动节, 端午节, 中秋节, 国庆节), whatever the locale.
"""

from __future__ import annotations

import logging
import re
import threading
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, NoReturn

import chinese_calendar
import holidays

from legalaid.config import Settings
from legalaid.errors import UserError

log = logging.getLogger("legalaid.calendar")

# A search for a working day gives up after this many days off in a row: only overrides gone wrong (a
# whole year marked as days off) get there, and an endless loop would hang a worker.
MAX_DAYS_OFF_IN_A_ROW = 366

# chinese-calendar names its holidays in English; the center speaks Chinese, as the holidays package does.
_CHINESE_NAMES = {
    chinese_calendar.Holiday.new_years_day.value: "元旦",
    chinese_calendar.Holiday.spring_festival.value: "春节",
    chinese_calendar.Holiday.tomb_sweeping_day.value: "清明节",
    chinese_calendar.Holiday.labour_day.value: "劳动节",
    chinese_calendar.Holiday.dragon_boat_festival.value: "端午节",
    chinese_calendar.Holiday.national_day.value: "国庆节",
    chinese_calendar.Holiday.mid_autumn_festival.value: "中秋节",
}
_CHINESE_NAMES.update({h.value: h.chinese for h in chinese_calendar.Holiday if h.value not in _CHINESE_NAMES})


class DaySource(StrEnum):
    """Where a day's answer came from."""

    OVERRIDE = "override"
    CHINESE_CALENDAR = "chinese_calendar"
    HOLIDAYS_ESTIMATE = "holidays_estimate"
    WEEKDAY = "weekday"


@dataclass(frozen=True, slots=True)
class DayInfo:
    """One day of the calendar.

    ``holiday_name`` names the holiday the day belongs to: for a day off, the holiday; for a 调休 working
    day, the holiday it makes up for (``working`` tells which); None for an ordinary day or weekend.
    ``provisional`` is True for every day of a year chinese-calendar has no data for.
    """

    date: date
    working: bool
    holiday_name: str | None
    provisional: bool
    source: DaySource

    @property
    def adjusted(self) -> bool:
        """调休上班: a Saturday or Sunday that is a working day."""
        return self.working and self.date.weekday() >= 5


@dataclass(frozen=True, slots=True)
class Override:
    """One ``[[day]]`` of the overrides file."""

    working: bool
    note: str | None = None


class WorkCalendar:
    """Answers "is this a working day" and "add N working days" for China; built once, asked many times.

    Each year is computed once, on first use: the packages' part is shared by every calendar in the
    process, the overrides are merged per calendar.
    """

    def __init__(self, overrides: Mapping[date, Override] | None = None) -> None:
        self._overrides = dict(overrides or {})
        self._years: dict[int, dict[date, DayInfo]] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkCalendar:
        """The calendar with the overrides file the settings name (none when unset)."""
        path = settings.calendar_overrides_file
        return cls(load_overrides(path) if path is not None else None)

    @classmethod
    def from_file(cls, path: Path) -> WorkCalendar:
        return cls(load_overrides(path))

    # One day ---------------------------------------------------------------------------------------------

    def day(self, d: date) -> DayInfo:
        """Everything known about one day."""
        year = self._years.get(d.year)
        if year is None:
            year = self._years[d.year] = self._build_year(d.year)
        return year[d]

    def is_working_day(self, d: date) -> bool:
        return self.day(d).working

    def is_provisional(self, year: int) -> bool:
        """True when chinese-calendar has no data for the year, so its answers are estimates."""
        return _base_year(year).provisional

    # Arithmetic ------------------------------------------------------------------------------------------

    def next_working_day(self, d: date, *, include_self: bool = False) -> date:
        """The first working day after ``d`` (or ``d`` itself, if ``include_self`` and it is one)."""
        if include_self and self.is_working_day(d):
            return d
        return self._step(d, 1)

    def previous_working_day(self, d: date, *, include_self: bool = False) -> date:
        """The last working day before ``d`` (or ``d`` itself, if ``include_self`` and it is one)."""
        if include_self and self.is_working_day(d):
            return d
        return self._step(d, -1)

    def add_working_days(self, d: date, n: int) -> date:
        """The ``n``-th working day after ``d``, not counting ``d`` itself.

        ``n`` < 0 counts back: the ``|n|``-th working day before ``d``. ``n`` == 0 is ``d`` if it is a working
        day, else the next one (a deadline "on the day" of a holiday falls on the next working day).
        Example: from Friday 2012-09-28, one working day is Saturday 2012-09-29 (调休), two is 2012-10-08.
        """
        if n == 0:
            return self.next_working_day(d, include_self=True)
        step = 1 if n > 0 else -1
        for _ in range(abs(n)):
            d = self._step(d, step)
        return d

    def working_days_between(self, start: date, end: date) -> list[date]:
        """The working days from ``start`` to ``end``, both included; empty if ``end`` is before ``start``."""
        days = []
        d = start
        while d <= end:
            if self.is_working_day(d):
                days.append(d)
            d += timedelta(days=1)
        return days

    def period_end(self, d: date) -> date:
        """The day a period whose last day is ``d`` really ends.

        Chinese procedure law (e.g. 民事诉讼法 第八十五条): a period whose last day falls on a statutory
        day off ends on the first working day after it. Weekends count as days off; a 调休 working Saturday
        counts as a working day, as the calendar says. For a period of N days from ``start`` (the first day
        not counted), ask ``period_end(start + timedelta(days=N))``.
        """
        return self.next_working_day(d, include_self=True)

    def last_working_day_of_week(self, d: date) -> date | None:
        """The last working day of the Monday-to-Sunday week holding ``d`` (a 调休 Saturday or Sunday
        included); None when the whole week is off, as in the National Day week of 2012."""
        monday = d - timedelta(days=d.weekday())
        for offset in range(6, -1, -1):
            day = monday + timedelta(days=offset)
            if self.is_working_day(day):
                return day
        return None

    # Internals -------------------------------------------------------------------------------------------

    def _step(self, d: date, step: int) -> date:
        for _ in range(MAX_DAYS_OFF_IN_A_ROW):
            d += timedelta(days=step)
            if self.is_working_day(d):
                return d
        direction = "after" if step > 0 else "before"
        raise UserError(
            f"no working day within {MAX_DAYS_OFF_IN_A_ROW} days {direction} {d.isoformat()}: "
            "check the calendar overrides file"
        )

    def _build_year(self, year: int) -> dict[date, DayInfo]:
        base = _base_year(year)
        days = dict(base.days)
        for d, override in self._overrides.items():
            if d.year == year:
                days[d] = DayInfo(d, override.working, override.note, base.provisional, DaySource.OVERRIDE)
        return days


# The packages' part of a year, shared by every calendar of the process -----------------------------------


@dataclass(frozen=True, slots=True)
class _BaseYear:
    days: dict[date, DayInfo]
    provisional: bool


_BASE_YEARS: dict[int, _BaseYear] = {}
# One lock for building years: two threads asking for 2027 at once must not both warn.
_BASE_LOCK = threading.Lock()


def _base_year(year: int) -> _BaseYear:
    found = _BASE_YEARS.get(year)
    if found is not None:
        return found
    with _BASE_LOCK:
        found = _BASE_YEARS.get(year)
        if found is None:
            found = _BASE_YEARS[year] = _compute_year(year)
        return found


def _reset_shared_cache() -> None:
    """Forget every computed year (and so warn again): for tests."""
    with _BASE_LOCK:
        _BASE_YEARS.clear()


def _days_of(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=i) for i in range((date(year, 12, 31) - first).days + 1)]


def _compute_year(year: int) -> _BaseYear:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return _estimate_year(year)
    days = {}
    for d in _days_of(year):
        # get_holiday_detail names the holiday of a day off and, for a 调休 working day, the one it serves.
        off, name = chinese_calendar.get_holiday_detail(d)
        chinese = _CHINESE_NAMES.get(name, name) if name else None
        days[d] = DayInfo(d, not off, chinese, False, DaySource.CHINESE_CALENDAR)
    return _BaseYear(days, provisional=False)


def _estimate_year(year: int) -> _BaseYear:
    try:
        estimate = holidays.country_holidays("CN", years=year, language="zh_CN")
        known: Mapping[date, str] = dict(estimate)
        # Make-up Saturdays the holidays package knows (none for a year it only estimates).
        weekend_workdays = {d for d in estimate.weekend_workdays if d.year == year}
    except Exception:  # a third-party estimate must never take a worker down: fall back to weekdays
        log.exception("calendar: the holidays package failed for %d", year)
        known, weekend_workdays = {}, set()
    source = DaySource.HOLIDAYS_ESTIMATE if known else DaySource.WEEKDAY
    log.warning(
        "calendar: chinese-calendar %s has no data for %d; its working days are provisional (%s, "
        "no 调休 make-up days): upgrade chinese-calendar or add the official schedule to "
        "calendar_overrides_file",
        chinese_calendar.__version__,
        year,
        "statutory holidays estimated by the holidays package" if known else "Monday to Friday only",
    )
    days = {}
    for d in _days_of(year):
        name = known.get(d)
        working = d in weekend_workdays or (d.weekday() < 5 and name is None)
        days[d] = DayInfo(d, working, name, True, source)
    return _BaseYear(days, provisional=True)


# The overrides file ---------------------------------------------------------------------------------------

_TOML_LINE = re.compile(r"\(at line (\d+), column \d+\)")
_DAY_HEADER = re.compile(r"^\s*\[\[\s*day\s*\]\]")
_DAY_KEYS = {"date", "working", "note"}


def load_overrides(path: Path) -> dict[date, Override]:
    """Read an overrides file; a mistake is a UserError ``file:line: message``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: no such calendar overrides file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read the calendar overrides file: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _TOML_LINE.search(message)
        line = int(match.group(1)) if match else 1
        raise UserError(f"{path}:{line}: not valid TOML: {_TOML_LINE.sub('', message).strip()}") from None
    return _OverridesParser(path, text).parse(data)


class _OverridesParser:
    """Checks the parsed TOML; tomllib keeps no positions, so lines are found again in the text."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.headers = [i + 1 for i, line in enumerate(self.lines) if _DAY_HEADER.match(line)]

    def parse(self, data: dict[str, Any]) -> dict[date, Override]:
        for key in data:
            if key != "day":
                self._fail(self._key_line(key, 1, len(self.lines)), f"unknown key {key!r} (expected [[day]])")
        entries = data.get("day", [])
        if not isinstance(entries, list):
            self._fail(self._key_line("day", 1, len(self.lines)), "'day' must be [[day]] tables")
        result: dict[date, Override] = {}
        first_line: dict[date, int] = {}
        for index, entry in enumerate(entries):
            start = self.headers[index] if index < len(self.headers) else 1
            end = self.headers[index + 1] - 1 if index + 1 < len(self.headers) else len(self.lines)
            day, override = self._entry(entry, start, end)
            if day in result:
                self._fail(start, f"{day.isoformat()} is listed twice (first at line {first_line[day]})")
            result[day] = override
            first_line[day] = start
        return result

    def _entry(self, entry: Any, start: int, end: int) -> tuple[date, Override]:
        if not isinstance(entry, dict):
            self._fail(start, "each [[day]] must be a table")
        if unknown := sorted(set(entry) - _DAY_KEYS):
            key = unknown[0]
            self._fail(self._key_line(key, start, end), f"unknown key {key!r} (expected date, working, note)")
        for key in ("date", "working"):
            if key not in entry:
                self._fail(start, f"[[day]] without {key!r}")
        raw = entry["date"]
        if isinstance(raw, str):
            try:
                raw = date.fromisoformat(raw)
            except ValueError:
                self._fail(self._key_line("date", start, end), f"date {raw!r} is not YYYY-MM-DD")
        if not isinstance(raw, date) or isinstance(raw, datetime):
            self._fail(self._key_line("date", start, end), f"date must be a date (YYYY-MM-DD), not {raw!r}")
        working = entry["working"]
        if not isinstance(working, bool):
            self._fail(
                self._key_line("working", start, end), f"working must be true or false, not {working!r}"
            )
        note = entry.get("note")
        if note is not None and not isinstance(note, str):
            self._fail(self._key_line("note", start, end), f"note must be a string, not {note!r}")
        return raw, Override(working=working, note=note or None)

    def _key_line(self, key: str, start: int, end: int) -> int:
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for number in range(start, end + 1):
            if pattern.match(self.lines[number - 1]):
                return number
        return start

    def _fail(self, line: int, message: str) -> NoReturn:
        raise UserError(f"{self.path}:{line}: {message}")
