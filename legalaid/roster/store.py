"""The roster in the database: load a window as plain values, write shifts with the change log.

``duty_shifts`` holds what stands. Every change made here (a generation written, a swap, leave) is a
``roster_requests`` row saying who asked, with one ``duty_changes`` row per shift added or removed, in the
caller's transaction; the change rows are what the change notices and the calendar feed are built from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session

from legalaid.calendar import WorkCalendar
from legalaid.config import Settings
from legalaid.errors import UserError
from legalaid.models import DutyChange, DutyShift, Leave, Person, RosterRequest
from legalaid.models.base import utcnow
from legalaid.models.enums import Slot
from legalaid.models.roster_log import ADDED, REMOVED
from legalaid.roster.checks import RosterView
from legalaid.roster.data import (
    Away,
    Desk,
    Member,
    Shift,
    provisional_warnings,
    settings_desk_days,
)
from legalaid.roster.generate import Rotation, generate_rotation

# The deficits carried in from history are clipped to ± this many duties: the database knows who is in the
# pool now, not since when, so a member back after a long absence must not be handed a run of duties.
CARRY_LIMIT = Fraction(2)


@dataclass
class Window:
    """A window of the roster as plain values, with the people's rows by code for writing back."""

    start: date
    end: date
    desk: Desk
    desk_days: list[date]
    shifts: list[Shift]  # every shift from start to end, desk day or not
    members: dict[str, Member]  # the pool and everyone a shift names
    leave: list[Away]
    history: list[Shift]  # before the window, within roster_history_days
    history_days: list[date]
    first_duty: dict[str, date]  # each pool member's first duty ever (when they joined, as far as known)
    people: dict[str, Person]
    warnings: list[str] = field(default_factory=list)

    @property
    def pool(self) -> list[Member]:
        return [m for m in self.members.values() if m.active and m.in_pool]

    def view(self) -> RosterView:
        """What the checks and the quality figures look at."""
        before_days = self.history_days[-(self.desk.max_consecutive + 1) :]
        return RosterView(
            start=self.start,
            end=self.end,
            desk_days=self.desk_days,
            shifts=self.shifts,
            people=list(self.members.values()),
            leave=self.leave,
            desk=self.desk,
            before=[s for s in self.history if s.on in set(before_days)],
            before_days=before_days,
        )


def check_window(start: date, end: date) -> None:
    if end < start:
        raise UserError(f"--to: {end} is before --from {start}")
    if (end - start).days > 366:
        raise UserError(f"--to: {start} … {end} is more than a year; take a month or a few at a time")


def load_window(
    session: Session,
    settings: Settings,
    *,
    start: date,
    end: date,
    calendar: WorkCalendar | None = None,
) -> Window:
    """The roster from ``start`` to ``end`` and what surrounds it: the pool, leave, the history before."""
    check_window(start, end)
    calendar = calendar or WorkCalendar.from_settings(settings)
    history_start = start - timedelta(days=settings.roster_history_days)
    rows = session.execute(
        select(DutyShift.on, DutyShift.slot, Person.code)
        .join(Person, Person.id == DutyShift.person_id)
        .where(DutyShift.on >= history_start, DutyShift.on <= end)
    ).all()
    shifts = [Shift(on, Slot(slot).value, code) for on, slot, code in rows]
    in_window = [s for s in shifts if s.on >= start]
    history = [s for s in shifts if s.on < start]
    named = {s.person for s in shifts}
    people = {
        p.code: p
        for p in session.scalars(
            select(Person).where(
                or_(and_(Person.active.is_(True), Person.desk_pool.is_(True)), Person.code.in_(named))
            )
        )
    }
    first_duty = dict(
        session.execute(
            select(Person.code, func.min(DutyShift.on))
            .join(DutyShift, DutyShift.person_id == Person.id)
            .where(Person.code.in_(list(people)))
            .group_by(Person.code)
        ).all()
    )
    leave_rows = session.execute(
        select(Person.code, Leave.start, Leave.end)
        .join(Person, Person.id == Leave.person_id)
        .where(Leave.end >= history_start, Leave.start <= end)
    ).all()
    desk_days = settings_desk_days(settings, calendar, start, end)
    history_days = settings_desk_days(settings, calendar, history_start, start - timedelta(days=1))
    return Window(
        start=start,
        end=end,
        desk=Desk.from_settings(settings),
        desk_days=desk_days,
        shifts=sorted(in_window, key=lambda s: s.sort_key),
        members={code: _member(person) for code, person in people.items()},
        leave=[Away(code, s, e) for code, s, e in leave_rows],
        history=sorted(history, key=lambda s: s.sort_key),
        history_days=history_days,
        first_duty=first_duty,
        people=people,
        warnings=provisional_warnings(calendar, start, end),
    )


def _member(person: Person) -> Member:
    return Member(
        code=person.code, active=person.active, in_pool=person.desk_pool, has_email=bool(person.email)
    )


def rotate(
    window: Window,
    *,
    replace: bool = False,
    today: date | None = None,
    fill: Iterable[tuple[date, str]] | None = None,
) -> Rotation:
    """The rotation for the window: its empty positions filled.

    With ``replace`` every position from ``today`` on is drawn again; the shifts before ``today`` are
    what happened and stay (a redraw must not rewrite who was at the desk last week).
    """
    kept = window.shifts
    if replace:
        kept = [s for s in window.shifts if today is not None and s.on < today]
    # The database knows who is in the pool now, not since when. A member's history starts at their first
    # duty, unless that came within the first round of the recorded history (everyone's first turn comes
    # in some order when a roster starts: the first in line was not in the pool any longer than the last).
    # Someone who never served starts with the window, owed nothing.
    served = sorted({s.on for s in window.history})
    rounds = -(-len(window.pool) // max(1, window.desk.per_day))
    first_round_end = served[min(rounds, len(served)) - 1] if served else None
    pool = [
        Member(
            m.code,
            joined=_joined(window.first_duty.get(m.code), first_round_end, window.start),
            has_email=m.has_email,
        )
        for m in window.pool
    ]
    return generate_rotation(
        people=pool,
        desk_days=window.desk_days,
        desk=window.desk,
        leave=window.leave,
        existing=kept,
        history=window.history,
        history_days=window.history_days,
        fill=set(fill) if fill is not None else None,
        carry_limit=CARRY_LIMIT,
    )


def _joined(first: date | None, first_round_end: date | None, start: date) -> date | None:
    if first is None or first >= start:
        return start
    if first_round_end is None or first <= first_round_end:
        return None
    return first


@dataclass(frozen=True)
class ShiftChange:
    """A shift added or removed by a request: what the change notices and the feed are made of."""

    on: date
    slot: str
    person: str
    action: str  # added or removed
    request_id: int


def person_by_code(session: Session, code: str, *, argument: str) -> Person:
    """The person with ``code``, or a UserError naming the argument."""
    person = session.scalar(select(Person).where(Person.code == code))
    if person is None:
        raise UserError(f"{argument}: no person with code {code!r}")
    return person


def apply_changes(
    session: Session,
    *,
    kind: str,
    requested_by: str,
    note: str | None,
    add: Iterable[Shift] = (),
    remove: Iterable[Shift] = (),
    leave_id: int | None = None,
    source: str = "generated",
) -> tuple[RosterRequest, list[ShiftChange]]:
    """Remove and add shifts, logging each under one request; in the caller's transaction."""
    add, remove = sorted(set(add), key=lambda s: s.sort_key), sorted(set(remove), key=lambda s: s.sort_key)
    codes = {s.person for s in [*add, *remove]}
    ids = dict(session.execute(select(Person.code, Person.id).where(Person.code.in_(codes))).all())
    now = utcnow()
    request = RosterRequest(
        kind=kind, requested_by=requested_by, note=note, leave_id=leave_id, created_at=now
    )
    session.add(request)
    session.flush()
    changes: list[ShiftChange] = []
    for shift in remove:
        session.execute(
            delete(DutyShift).where(
                DutyShift.on == shift.on,
                DutyShift.slot == Slot(shift.slot),
                DutyShift.person_id == ids[shift.person],
            )
        )
        changes.append(_log(session, request, shift, REMOVED, ids, now))
    for shift in add:
        session.add(
            DutyShift(
                on=shift.on, slot=Slot(shift.slot), person_id=ids[shift.person], source=source, created_at=now
            )
        )
        changes.append(_log(session, request, shift, ADDED, ids, now))
    session.flush()
    return request, changes


def _log(
    session: Session,
    request: RosterRequest,
    shift: Shift,
    action: str,
    ids: dict[str, int],
    now: datetime,
) -> ShiftChange:
    session.add(
        DutyChange(
            request_id=request.id,
            on=shift.on,
            slot=Slot(shift.slot),
            person_id=ids[shift.person],
            action=action,
            created_at=now,
        )
    )
    return ShiftChange(shift.on, shift.slot, shift.person, action, request.id)


@dataclass(frozen=True)
class DutyRecord:
    """A person's duty as a calendar sees it: standing or cancelled, its change count and last change."""

    on: date
    slot: str
    person: str
    cancelled: bool
    sequence: int
    changed_at: datetime


def person_duties(
    session: Session, person: Person, *, start: date | None = None, end: date | None = None
) -> list[DutyRecord]:
    """A person's standing duties and those removed from them (``cancelled``), oldest first."""
    lo, hi = start or date.min, end or date.max
    standing = {
        (on, Slot(slot).value): created
        for on, slot, created in session.execute(
            select(DutyShift.on, DutyShift.slot, DutyShift.created_at).where(
                DutyShift.person_id == person.id, DutyShift.on >= lo, DutyShift.on <= hi
            )
        )
    }
    changed: dict[tuple[date, str], tuple[int, datetime | None]] = {}
    for on, slot, count, last in session.execute(
        select(DutyChange.on, DutyChange.slot, func.count(), func.max(DutyChange.created_at))
        .where(DutyChange.person_id == person.id, DutyChange.on >= lo, DutyChange.on <= hi)
        .group_by(DutyChange.on, DutyChange.slot)
    ):
        changed[(on, Slot(slot).value)] = (int(count), _aware(last))
    records = []
    for key in sorted(set(standing) | set(changed)):
        count, changed_at = changed.get(key, (0, None))
        times = [t for t in (changed_at, _aware(standing.get(key))) if t is not None]
        stamp = max(times) if times else datetime(2000, 1, 1, tzinfo=UTC)
        records.append(DutyRecord(key[0], key[1], person.code, key not in standing, count, stamp))
    return records


def _aware(value: datetime | str | None) -> datetime | None:
    # func.max() bypasses the column type on SQLite, which then hands back a naive UTC text value.
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def duty_version(session: Session, shift: Shift) -> int:
    """How many times the shift was added or removed (its iCalendar SEQUENCE)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(DutyChange)
            .join(Person, Person.id == DutyChange.person_id)
            .where(
                DutyChange.on == shift.on, DutyChange.slot == Slot(shift.slot), Person.code == shift.person
            )
        )
        or 0
    )
