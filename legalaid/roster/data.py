"""The plain values the rotation and its checks work on: shifts, people, leave, the desk's shape.

Nothing here touches the database: ``store.py`` turns rows into these values and back, so that the rotation
(``generate.py``), the checks (``checks.py``) and the quality figures (``quality.py``) are plain functions a
test calls with lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from legalaid.calendar import WorkCalendar
from legalaid.config import Settings

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SLOT_ORDER = {"day": 0, "am": 1, "pm": 2}


@dataclass(frozen=True, slots=True, order=True)
class Shift:
    """One person on duty (值班) at the desk in one slot of one day; ``person`` is a person code."""

    on: date
    slot: str
    person: str

    @property
    def sort_key(self) -> tuple[date, int, str]:
        return (self.on, SLOT_ORDER.get(self.slot, 9), self.person)


@dataclass(frozen=True, slots=True)
class Away:
    """Leave (请假): ``person`` is away from ``start`` to ``end``, both included."""

    person: str
    start: date
    end: date

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True, slots=True)
class Member:
    """A person as the rotation and the checks see them.

    ``joined`` and ``left`` bound the days a person can take a turn (None: no bound); the database knows
    only the current ``active`` and ``in_pool`` flags, the pure functions also take a pool that changes.
    """

    code: str
    active: bool = True
    in_pool: bool = True
    has_email: bool = True
    joined: date | None = None
    left: date | None = None

    def present(self, day: date) -> bool:
        """In the pool and active on ``day`` (leave aside)."""
        if not (self.active and self.in_pool):
            return False
        if self.joined is not None and day < self.joined:
            return False
        return self.left is None or day <= self.left


@dataclass(frozen=True, slots=True)
class Desk:
    """The desk's shape: its slots per desk day, people per slot, most consecutive desk days per person."""

    slots: tuple[str, ...] = ("day",)
    per_slot: int = 1
    max_consecutive: int = 1

    @classmethod
    def from_settings(cls, settings: Settings) -> Desk:
        return cls(
            slots=tuple(settings.roster_slots),
            per_slot=settings.roster_people_per_slot,
            max_consecutive=settings.roster_max_consecutive,
        )

    @property
    def per_day(self) -> int:
        return len(self.slots) * self.per_slot


class LeaveBook:
    """Who is away on a day: the leave spans indexed by person."""

    def __init__(self, leave: Iterable[Away]) -> None:
        self._by_person: dict[str, list[Away]] = {}
        for away in leave:
            self._by_person.setdefault(away.person, []).append(away)

    def away(self, person: str, day: date) -> bool:
        return any(a.covers(day) for a in self._by_person.get(person, ()))

    def spans(self, person: str) -> list[Away]:
        return list(self._by_person.get(person, ()))


def available(member: Member, day: date, leave: LeaveBook) -> bool:
    """Can ``member`` take a turn on ``day``: active, in the pool, joined and not left, not on leave."""
    return member.present(day) and not leave.away(member.code, day)


def desk_days(calendar: WorkCalendar, start: date, end: date, weekdays: Sequence[str] = ()) -> list[date]:
    """The days the desk opens from ``start`` to ``end``: working days of the Chinese calendar (调休
    Saturdays included, holidays not), restricted to ``weekdays`` (``mon``, ``fri``, …) when given."""
    days = calendar.working_days_between(start, end)
    if weekdays:
        wanted = {WEEKDAYS.index(name) for name in weekdays}
        days = [d for d in days if d.weekday() in wanted]
    return days


def settings_desk_days(settings: Settings, calendar: WorkCalendar, start: date, end: date) -> list[date]:
    return desk_days(calendar, start, end, settings.roster_weekdays)


def provisional_warnings(calendar: WorkCalendar, start: date, end: date) -> list[str]:
    """One line per year of the window that chinese-calendar does not know (its desk days are guesses)."""
    return [
        f"{year}: chinese-calendar has no data for this year, so its desk days are provisional (statutory "
        "holidays estimated, no 调休 make-up days); upgrade chinese-calendar or add the official schedule "
        "to calendar_overrides_file"
        for year in range(start.year, end.year + 1)
        if calendar.is_provisional(year)
    ]


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]
