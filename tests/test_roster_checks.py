"""The checks and the quality figures as pure functions: each kind found on a roster made to have it."""

from __future__ import annotations

from datetime import date

import pytest

from legalaid.calendar import WorkCalendar
from legalaid.roster import (
    KINDS,
    Away,
    Desk,
    Member,
    Problem,
    RosterView,
    Shift,
    desk_days,
    find_problems,
    generate_rotation,
    measure,
)

CALENDAR = WorkCalendar()
START, END = date(2012, 10, 8), date(2012, 10, 19)  # two weeks after National Day: ten desk days
DAYS = desk_days(CALENDAR, START, END)
POOL = [Member(f"L{i:02d}") for i in range(1, 6)]


def _clean() -> list[Shift]:
    return list(generate_rotation(people=POOL, desk_days=DAYS).shifts)


def _view(shifts: list[Shift], *, people: list[Member] | None = None, **kwargs: object) -> RosterView:
    return RosterView(
        start=START,
        end=END,
        desk_days=DAYS,
        shifts=shifts,
        people=people or POOL,
        **kwargs,  # type: ignore[arg-type]
    )


def _replace(shifts: list[Shift], day: date, person: str, slot: str = "day") -> list[Shift]:
    return [s for s in shifts if s.on != day] + [Shift(day, slot, person)]


def test_a_clean_roster_has_no_problem() -> None:
    view = _view(_clean())
    assert find_problems(view) == []
    figures = measure(view)
    assert figures.coverage == 1.0 and figures.filled == figures.required == 10
    assert figures.balance == 1.0 and figures.score == 100 and figures.over == []


def _kind(problems: list[Problem], kind: str) -> list[Problem]:
    return [p for p in problems if p.kind == kind]


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_is_found(kind: str) -> None:
    shifts = _clean()
    people = list(POOL)
    leave: list[Away] = []
    day = date(2012, 10, 10)
    taken = next(s for s in shifts if s.on == day).person
    other = next(
        m.code
        for m in POOL
        if m.code not in {s.person for s in shifts if s.on in (day, date(2012, 10, 9), date(2012, 10, 11))}
    )
    expect: tuple[date | None, str | None, str | None] = (day, "day", other)
    if kind == "gap":
        shifts = [s for s in shifts if s.on != day]
        expect = (day, "day", None)
    elif kind == "double_booked":
        people = [*POOL, Member("L09")]
        shifts = [*shifts, Shift(day, "am", taken)]
        expect = (day, "am", taken)  # the second of the day's shifts is the one too many
    elif kind == "on_leave":
        shifts = _replace(shifts, day, other)
        leave = [Away(other, date(2012, 10, 10), date(2012, 10, 12))]
    elif kind == "inactive":
        shifts = _replace(shifts, day, "OLD")
        people = [*POOL, Member("OLD", active=False)]
        expect = (day, "day", "OLD")
    elif kind == "not_in_pool":
        shifts = _replace(shifts, day, "STAFF")
        people = [*POOL, Member("STAFF", in_pool=False)]
        expect = (day, "day", "STAFF")
    elif kind == "no_email":
        shifts = _replace(shifts, day, "MUTE")
        people = [*POOL, Member("MUTE", has_email=False)]
        expect = (day, "day", "MUTE")
    elif kind == "non_desk_day":
        shifts = [*shifts, Shift(date(2012, 10, 13), "day", other)]  # a Saturday
        expect = (date(2012, 10, 13), "day", other)
    elif kind == "consecutive":
        before = next(s for s in shifts if s.on == date(2012, 10, 9)).person
        shifts = _replace(shifts, day, before)
        expect = (day, "day", before)
    elif kind == "imbalance":
        busy = "L01"
        shifts = [
            Shift(d, "day", busy if i % 2 == 0 else POOL[1 + (i // 2) % 4].code) for i, d in enumerate(DAYS)
        ]
        expect = (START, None, None)
    problems = find_problems(_view(shifts, people=people, leave=leave))
    found = _kind(problems, kind)
    assert found, problems
    first = found[0]
    assert (first.on, first.slot, first.person) == expect
    row = first.as_dict()
    assert {"kind", "date", "slot", "person", "message"} <= set(row)
    if kind == "imbalance":
        assert row["over"] == ["L01"] and row["under"] == ["L03", "L04", "L05"]  # L02 has two
        assert "over: L01 5" in row["message"]


def test_consecutive_across_the_window_edge_counts_the_days_before() -> None:
    shifts = _clean()
    first_person = shifts[0].person
    view = _view(
        shifts,
        before=[Shift(date(2012, 9, 29), "day", first_person)],
        before_days=[date(2012, 9, 28), date(2012, 9, 29)],
    )
    [problem] = find_problems(view)
    assert (problem.kind, problem.on, problem.person) == ("consecutive", START, first_person)


def test_leave_is_not_held_against_anyone_in_the_quality_figures() -> None:
    leave = [Away("L05", date(2012, 10, 8), date(2012, 10, 12))]
    rotation = generate_rotation(people=POOL, desk_days=DAYS, leave=leave)
    view = _view(list(rotation.shifts), leave=leave)
    assert find_problems(view) == []
    figures = measure(view)
    loads = {load.person: load for load in figures.loads}
    assert loads["L05"].available_days == 5 and loads["L01"].available_days == 10
    assert loads["L05"].share == 1  # 5 desk days shared by 4 people, then 5 by 5
    # As fair as whole duties allow: 10 duties over shares of 2.25 (four) and 1 (L05 on leave).
    assert figures.coverage == 1.0 and figures.balance == figures.best_balance > 0.8


def test_quality_counts_coverage_over_desk_days_and_names_who_is_over() -> None:
    shifts = [s for s in _clean() if s.on != date(2012, 10, 10)]
    shifts = [Shift(s.on, s.slot, "L01") if s.on == date(2012, 10, 12) else s for s in shifts]
    figures = measure(_view(shifts, desk=Desk()))
    assert figures.required == 10 and figures.filled == 9 and figures.coverage == 0.9
    assert figures.over and figures.over[0][0] == "L01" and figures.over[0][1] > 0
    assert 0 < figures.balance < 1 and figures.score == round(0.9 * figures.balance * 100)
    assert figures.as_dict()["over"][0]["over"].startswith("+")
