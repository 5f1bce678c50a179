"""What is wrong with a roster: pure functions of the shifts, the people, the leave and the desk days.

Each problem names its kind, day, slot and person (what applies). Kinds:

``gap``            a desk slot with fewer people able to serve than ``roster_people_per_slot`` (someone on
                   leave, inactive or outside the pool does not count as there)
``double_booked``  one person in two slots of the same day
``on_leave``       a shift during the person's leave
``inactive``       a shift of someone no longer active
``not_in_pool``    a shift of someone outside the desk pool
``no_email``       a shift of someone without an email address: no notice can reach them
``non_desk_day``   a shift on a day the desk is closed (a holiday, a weekend, a weekday it does not open),
                   or in a slot the desk does not have
``consecutive``    more consecutive desk days than ``roster_max_consecutive`` (named on each day past it)
``imbalance``      duty counts over the window further apart than a fair rotation allows: among people
                   available all along, more than one apart; anyone else two or more away from their share
                   (what they were owed on the days they were there). Names who is over and who is under.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

from legalaid.roster.data import SLOT_ORDER, Away, Desk, LeaveBook, Member, Shift, available

KINDS = (
    "gap",
    "double_booked",
    "on_leave",
    "inactive",
    "not_in_pool",
    "no_email",
    "non_desk_day",
    "consecutive",
    "imbalance",
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the roster; ``over``/``under`` only for ``imbalance``."""

    kind: str
    on: date | None
    slot: str | None
    person: str | None
    message: str
    over: tuple[str, ...] = ()
    under: tuple[str, ...] = ()
    missing: int = 0  # for a gap: how many people short

    @property
    def key(self) -> str:
        """A stable identity: the same problem found on two days has the same key."""
        if self.kind == "imbalance":
            return f"imbalance:{self.on}:{','.join(self.over)}:{','.join(self.under)}"
        return f"{self.kind}:{self.on}:{self.slot or '-'}:{self.person or '-'}"

    def as_dict(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "kind": self.kind,
            "date": self.on.isoformat() if self.on else None,
            "slot": self.slot,
            "person": self.person,
            "message": self.message,
        }
        if self.kind == "imbalance":
            row.update(over=list(self.over), under=list(self.under))
        if self.kind == "gap":
            row["missing"] = self.missing
        return row


@dataclass(frozen=True)
class Load:
    """A person's duties over a window and their fair share of them."""

    person: str
    count: int
    share: Fraction
    available_days: int
    full: bool  # available on every desk day of the window


@dataclass
class RosterView:
    """Everything the checks and the quality figures look at, for one window."""

    start: date
    end: date
    desk_days: Sequence[date]
    shifts: Sequence[Shift]
    people: Sequence[Member]  # everyone named by a shift, and the whole pool
    leave: Sequence[Away] = ()
    desk: Desk = field(default_factory=Desk)
    before: Sequence[Shift] = ()  # shifts on the desk days just before the window (consecutive runs)
    before_days: Sequence[date] = ()

    def __post_init__(self) -> None:
        self.book = LeaveBook(self.leave)
        self.by_code = {m.code: m for m in self.people}
        self.open_days = set(self.desk_days)

    def serving(self, shift: Shift) -> bool:
        """Does this shift put someone able to serve at the desk (so it counts for coverage)?"""
        member = self.by_code.get(shift.person)
        return (
            member is not None
            and shift.on in self.open_days
            and shift.slot in self.desk.slots
            and available(member, shift.on, self.book)
        )

    def pool(self) -> list[Member]:
        """The pool members available on at least one desk day of the window."""
        return [m for m in self.people if any(available(m, d, self.book) for d in self.desk_days)]


def find_problems(view: RosterView) -> list[Problem]:
    """Every problem of the window, ordered by day, slot, kind and person; imbalance last."""
    problems = [
        *_gaps(view),
        *_per_shift(view),
        *_double_booked(view),
        *_consecutive(view),
    ]
    problems.sort(
        key=lambda p: (p.on or date.min, SLOT_ORDER.get(p.slot or "", 9), KINDS.index(p.kind), p.person or "")
    )
    return problems + _imbalance(view)


def loads(view: RosterView) -> list[Load]:
    """Each pool member's duties in the window and their share: every desk day's duties are owed equally
    to the people available that day, so leave and a late start are not held against anyone."""
    pool = view.pool()
    counts = {m.code: 0 for m in pool}
    shares = {m.code: Fraction(0) for m in pool}
    days_free = {m.code: 0 for m in pool}
    duties: dict[date, int] = {}
    for shift in view.shifts:
        if view.serving(shift):
            duties[shift.on] = duties.get(shift.on, 0) + 1
            if shift.person in counts:
                counts[shift.person] += 1
    for day in view.desk_days:
        free = [m.code for m in pool if available(m, day, view.book)]
        for code in free:
            days_free[code] += 1
            if duties.get(day):
                shares[code] += Fraction(duties[day], len(free))
    total = len(view.desk_days)
    return [
        Load(m.code, counts[m.code], shares[m.code], days_free[m.code], days_free[m.code] == total)
        for m in sorted(pool, key=lambda m: m.code)
    ]


def _gaps(view: RosterView) -> list[Problem]:
    problems = []
    for day in view.desk_days:
        for slot in view.desk.slots:
            there = [s for s in view.shifts if s.on == day and s.slot == slot and view.serving(s)]
            missing = view.desk.per_slot - len(there)
            if missing > 0:
                problems.append(
                    Problem(
                        "gap",
                        day,
                        slot,
                        None,
                        f"{day} {slot}: {len(there)} of {view.desk.per_slot} on duty",
                        missing=missing,
                    )
                )
    return problems


def _per_shift(view: RosterView) -> list[Problem]:
    problems = []
    for shift in view.shifts:
        at = f"{shift.on} {shift.slot}: {shift.person}"
        member = view.by_code.get(shift.person)
        if shift.on not in view.open_days:
            problems.append(_about(shift, "non_desk_day", f"{at} is on duty on a day the desk is closed"))
        elif shift.slot not in view.desk.slots:
            slots = ",".join(view.desk.slots)
            problems.append(
                _about(shift, "non_desk_day", f"{at}: the desk has no {shift.slot} slot (slots: {slots})")
            )
        if member is None:
            problems.append(_about(shift, "not_in_pool", f"{at} is not a known person"))
            continue
        if view.book.away(shift.person, shift.on):
            problems.append(_about(shift, "on_leave", f"{at} is on leave that day"))
        if not member.active:
            problems.append(_about(shift, "inactive", f"{at} is no longer active"))
        elif not member.present(shift.on) or not member.in_pool:
            problems.append(_about(shift, "not_in_pool", f"{at} is not in the desk pool"))
        if not member.has_email:
            problems.append(_about(shift, "no_email", f"{at} has no email address for the notices"))
    return problems


def _about(shift: Shift, kind: str, message: str) -> Problem:
    return Problem(kind, shift.on, shift.slot, shift.person, message)


def _double_booked(view: RosterView) -> list[Problem]:
    by_person_day: dict[tuple[str, date], list[Shift]] = {}
    for shift in view.shifts:
        by_person_day.setdefault((shift.person, shift.on), []).append(shift)
    problems = []
    for (person, day), shifts in by_person_day.items():
        if len(shifts) > 1:
            slots = sorted((s.slot for s in shifts), key=lambda s: SLOT_ORDER.get(s, 9))
            for shift in sorted(shifts, key=lambda s: s.sort_key)[1:]:
                message = f"{day}: {person} is on duty in {len(shifts)} slots ({', '.join(slots)})"
                problems.append(_about(shift, "double_booked", message))
    return problems


def _consecutive(view: RosterView) -> list[Problem]:
    days = sorted({*view.before_days, *view.desk_days})
    index = {d: i for i, d in enumerate(days)}
    served: dict[str, set[int]] = {}
    first: dict[tuple[str, int], Shift] = {}
    for shift in [*view.before, *view.shifts]:
        if shift.on in index:
            served.setdefault(shift.person, set()).add(index[shift.on])
            first.setdefault((shift.person, index[shift.on]), shift)
    problems = []
    limit = view.desk.max_consecutive
    window = set(view.desk_days)
    for person, indexes in served.items():
        run = 0
        for i in range(len(days)):
            run = run + 1 if i in indexes else 0
            if run > limit and days[i] in window:
                shift = first[(person, i)]
                message = f"{days[i]}: {person} is on duty {run} desk days running (limit {limit})"
                problems.append(_about(shift, "consecutive", message))
    return problems


def _imbalance(view: RosterView) -> list[Problem]:
    table = loads(view)
    full = [load for load in table if load.full]
    over: set[str] = set()
    under: set[str] = set()
    if full:
        high, low = max(load.count for load in full), min(load.count for load in full)
        if high - low > 1:
            over |= {load.person for load in full if load.count == high}
            under |= {load.person for load in full if load.count == low}
    for load in table:
        if not load.full:
            if load.count - load.share >= 2:
                over.add(load.person)
            elif load.share - load.count >= 2:
                under.add(load.person)
    if not over and not under:
        return []
    by_person = {load.person: load for load in table}

    def described(codes: Iterable[str]) -> str:
        return ", ".join(
            f"{code} {by_person[code].count} (share {float(by_person[code].share):.1f})" for code in codes
        )

    over_codes, under_codes = tuple(sorted(over)), tuple(sorted(under))
    parts = []
    if over_codes:
        parts.append(f"over: {described(over_codes)}")
    if under_codes:
        parts.append(f"under: {described(under_codes)}")
    message = f"{view.start} … {view.end}: duty counts out of balance; " + "; ".join(parts)
    return [Problem("imbalance", view.start, None, None, message, over=over_codes, under=under_codes)]
