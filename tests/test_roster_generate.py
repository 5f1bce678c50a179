"""The rotation as a pure function: plain people, leave and desk days in, shifts out."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import date, timedelta
from fractions import Fraction

import pytest

from legalaid import calendar as calendar_module
from legalaid.calendar import WorkCalendar
from legalaid.roster import Away, Desk, Member, Shift, desk_days, generate_rotation
from legalaid.roster.data import LeaveBook, available, provisional_warnings

CALENDAR = WorkCalendar()
POOL = [Member(f"L{i:02d}") for i in range(1, 7)]


def _by_day(shifts: tuple[Shift, ...] | list[Shift]) -> dict[date, list[Shift]]:
    days: dict[date, list[Shift]] = {}
    for shift in shifts:
        days.setdefault(shift.on, []).append(shift)
    return days


def _runs_ok(shifts: list[Shift], days: list[date], limit: int) -> bool:
    """Nobody on more than ``limit`` consecutive desk days."""
    on = _by_day(shifts)
    runs: Counter[str] = Counter()
    for day in days:
        here = {s.person for s in on.get(day, [])}
        runs = Counter({p: runs[p] + 1 for p in here})
        if any(n > limit for n in runs.values()):
            return False
    return True


def _month(year: int, month: int) -> tuple[date, date]:
    start = date(year, month, 1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return start, end


def test_october_2012_skips_national_day_and_starts_on_the_working_saturday() -> None:
    days = desk_days(CALENDAR, date(2012, 9, 29), date(2012, 10, 31))
    assert days[:2] == [date(2012, 9, 29), date(2012, 10, 8)]  # 调休 Saturday, then after the holiday
    assert len(days) == 1 + 18
    rotation = generate_rotation(people=POOL, desk_days=days)
    on = _by_day(rotation.shifts)
    assert set(on) == set(days)  # every desk day staffed, nothing on 1-7 October or a weekend
    assert all(len(shifts) == 1 for shifts in on.values())
    # The Saturday's lawyer is not the next desk day's, a holiday week later: consecutive desk days.
    assert on[date(2012, 9, 29)][0].person != on[date(2012, 10, 8)][0].person
    assert _runs_ok(list(rotation.shifts), days, 1)
    counts = Counter(s.person for s in rotation.shifts)
    assert max(counts.values()) - min(counts.values()) <= 1 and len(counts) == 6
    assert rotation == generate_rotation(people=POOL, desk_days=days)  # deterministic


def test_october_2012_continues_from_the_saturday_before_the_holiday() -> None:
    history_days = desk_days(CALENDAR, date(2012, 9, 17), date(2012, 9, 29))
    september = generate_rotation(people=POOL, desk_days=history_days)
    days = desk_days(CALENDAR, date(2012, 10, 1), date(2012, 10, 31))
    october = generate_rotation(
        people=POOL, desk_days=days, history=september.shifts, history_days=history_days
    )
    saturday = _by_day(september.shifts)[date(2012, 9, 29)][0].person
    assert _by_day(october.shifts)[date(2012, 10, 8)][0].person != saturday
    # The two windows together are one fair rotation: counts within one over both.
    both = Counter(s.person for s in [*september.shifts, *october.shifts])
    assert max(both.values()) - min(both.values()) <= 1
    # Whoever waited longest at the end of September goes first in October.
    last_turn = {s.person: s.on for s in september.shifts}
    waited_longest = min(POOL, key=lambda m: (last_turn.get(m.code, date.min), m.code)).code
    assert october.shifts[0].person == waited_longest


def test_january_2027_uses_the_fallback_calendar_and_warns(caplog: pytest.LogCaptureFixture) -> None:
    calendar_module._reset_shared_cache()
    caplog.set_level(logging.WARNING, logger="legalaid.calendar")
    calendar = WorkCalendar()
    days = desk_days(calendar, date(2027, 1, 1), date(2027, 1, 31))
    assert date(2027, 1, 1) not in days  # 元旦, as the holidays package estimates it
    assert days[0] == date(2027, 1, 4) and all(d.weekday() < 5 for d in days)
    assert any("no data for 2027" in r.getMessage() for r in caplog.records)
    [warning] = provisional_warnings(calendar, date(2027, 1, 1), date(2027, 1, 31))
    assert warning.startswith("2027: ") and "provisional" in warning
    assert provisional_warnings(calendar, date(2012, 10, 1), date(2012, 10, 31)) == []
    rotation = generate_rotation(people=POOL, desk_days=days, desk=Desk(max_consecutive=2))
    counts = Counter(s.person for s in rotation.shifts)
    assert len(rotation.shifts) == len(days) and max(counts.values()) - min(counts.values()) <= 1


def test_nobody_unavailable_is_ever_on_duty() -> None:
    people = [
        *POOL,
        Member("OUT", active=False),
        Member("NOPOOL", in_pool=False),
        Member("LATE", joined=date(2012, 10, 20)),
        Member("GONE", left=date(2012, 10, 12)),
    ]
    leave = [
        Away("L01", date(2012, 10, 8), date(2012, 10, 19)),
        Away("L02", date(2012, 10, 22), date(2012, 10, 31)),
    ]
    days = desk_days(CALENDAR, date(2012, 10, 1), date(2012, 10, 31))
    desk = Desk(slots=("am", "pm"), per_slot=2)
    rotation = generate_rotation(people=people, desk_days=days, desk=desk, leave=leave)
    book = LeaveBook(leave)
    members = {m.code: m for m in people}
    assert rotation.shifts and not rotation.unfilled
    for shift in rotation.shifts:
        assert available(members[shift.person], shift.on, book), shift
    for day, shifts in _by_day(rotation.shifts).items():
        assert len(shifts) == 4 and len({s.person for s in shifts}) == 4, day  # no one in two slots
        assert Counter(s.slot for s in shifts) == {"am": 2, "pm": 2}
    assert {"OUT", "NOPOOL"}.isdisjoint({s.person for s in rotation.shifts})


def test_kept_shifts_stay_and_only_empty_positions_are_filled() -> None:
    days = desk_days(CALENDAR, date(2012, 10, 8), date(2012, 10, 19))
    kept = [Shift(date(2012, 10, 8), "day", "L06"), Shift(date(2012, 10, 10), "day", "L06")]
    rotation = generate_rotation(people=POOL, desk_days=days, existing=kept)
    assert set(kept) <= set(rotation.shifts)
    assert set(rotation.added) == set(rotation.shifts) - set(kept)
    on = _by_day(rotation.shifts)
    assert on[date(2012, 10, 9)][0].person != "L06"  # kept shifts count for the consecutive limit too
    assert on[date(2012, 10, 11)][0].person != "L06"
    counts = Counter(s.person for s in rotation.shifts)
    assert max(counts.values()) - min(counts.values()) <= 1


def test_the_limit_gives_way_only_when_nobody_else_is_free() -> None:
    days = desk_days(CALENDAR, date(2012, 10, 8), date(2012, 10, 12))
    rotation = generate_rotation(
        people=[Member("L01"), Member("L02", left=date(2012, 10, 9))], desk_days=days
    )
    assert [s.person for s in rotation.shifts] == ["L01", "L02", "L01", "L01", "L01"]
    alone = generate_rotation(people=[], desk_days=days)
    assert not alone.shifts and [u.on for u in alone.unfilled] == days


def test_a_late_joiner_gets_a_share_in_proportion() -> None:
    start, end = _month(2012, 11)
    days = desk_days(CALENDAR, start, end)
    joiner = Member("NEW", joined=date(2012, 11, 16))
    rotation = generate_rotation(people=[*POOL, joiner], desk_days=days)
    assert rotation.shares["NEW"] < rotation.shares["L01"]
    for code, count in rotation.counts.items():
        assert abs(count - rotation.shares[code]) < 2, code
    full = [rotation.counts[m.code] for m in POOL]
    assert max(full) - min(full) <= 1


def test_a_year_of_monthly_windows_stays_fair() -> None:
    """Twelve months drawn one after another, each continuing from the ones before, with leave, a lawyer
    joining in April and one leaving in July: each month is fair, and so is the year."""
    people = [
        *(Member(f"L{i:02d}") for i in range(1, 11)),
        Member("J01", joined=date(2013, 4, 10)),
        Member("X01", left=date(2013, 7, 20)),
    ]
    leave = [
        Away("L03", date(2013, 2, 4), date(2013, 2, 22)),
        Away("L05", date(2013, 6, 3), date(2013, 6, 7)),
        Away("L07", date(2013, 9, 1), date(2013, 10, 20)),
    ]
    book = LeaveBook(leave)
    history: list[Shift] = []
    history_days: list[date] = []
    shares: dict[str, Fraction] = {}
    for month in range(1, 13):
        start, end = _month(2013, month)
        days = desk_days(CALENDAR, start, end)
        rotation = generate_rotation(
            people=people, desk_days=days, leave=leave, history=history, history_days=history_days
        )
        assert not rotation.unfilled
        assert _runs_ok([*history[-3:], *rotation.shifts], [*history_days[-3:], *days], 1)
        full = [m.code for m in people if all(available(m, d, book) for d in days)]
        counts = [rotation.counts[code] for code in full]
        assert max(counts) - min(counts) <= 1, (month, rotation.counts)
        for code, share in rotation.shares.items():
            assert abs(rotation.counts[code] - share) < 2, (month, code)
            shares[code] = shares.get(code, Fraction(0)) + share
        history += rotation.shifts
        history_days += days
    year = Counter(s.person for s in history)
    always = [year[f"L{i:02d}"] for i in (1, 2, 4, 6, 8, 9, 10)]
    assert max(always) - min(always) <= 1
    for code in ("L03", "L05", "L07", "J01", "X01"):
        assert abs(year[code] - shares[code]) < 2, (code, year[code], shares[code])
    assert year["J01"] < year["L01"] and year["X01"] < year["L01"] and year["L07"] < year["L01"]


def test_a_desk_open_on_mondays_and_fridays() -> None:
    """``roster_weekdays = mon,fri``: only those working days, and Monday then Friday are consecutive."""
    days = desk_days(CALENDAR, date(2012, 9, 24), date(2012, 10, 31), ["mon", "fri"])
    assert days[:3] == [date(2012, 9, 24), date(2012, 9, 28), date(2012, 10, 8)]  # not the 调休 Saturday
    assert all(d.weekday() in (0, 4) for d in days)
    rotation = generate_rotation(people=POOL[:2], desk_days=days)
    assert [s.person for s in rotation.shifts][:4] == ["L01", "L02", "L01", "L02"]
