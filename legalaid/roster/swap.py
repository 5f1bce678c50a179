"""Changes a coordinator makes by hand: a swap (调班), leave (请假), and writing a generated rotation.

Each is validated first (a problem is one UserError line naming the argument, and nothing is written),
then written with who asked (``roster_requests``), and everyone whose future duty moved is told at once
(``notices.notify_changes``), all in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from legalaid.calendar import WorkCalendar
from legalaid.config import Settings
from legalaid.errors import UserError
from legalaid.models import Leave, Person
from legalaid.roster.checks import find_problems
from legalaid.roster.data import Away, LeaveBook, Shift
from legalaid.roster.generate import Rotation
from legalaid.roster.notices import notify_changes
from legalaid.roster.store import Window, apply_changes, load_window, person_by_code, rotate


@dataclass
class ChangeResult:
    """What a change did: the shifts added and removed, the notices queued, and warnings."""

    request_id: int | None
    removed: list[Shift] = field(default_factory=list)
    added: list[Shift] = field(default_factory=list)
    outbox_ids: list[int] = field(default_factory=list)
    notices: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        def rows(shifts: list[Shift]) -> list[dict[str, str]]:
            return [{"date": s.on.isoformat(), "slot": s.slot, "person": s.person} for s in shifts]

        return {
            "request": self.request_id,
            "removed": rows(self.removed),
            "added": rows(self.added),
            "notices": self.notices,
            "warnings": self.warnings,
        }


def _requester(session: Session, code: str | None, default: str) -> str:
    if code is None:
        return default
    return person_by_code(session, code, argument="--by").code


def swap(
    session: Session,
    settings: Settings,
    *,
    on: date,
    slot: str,
    from_code: str,
    to_code: str,
    requested_by: str | None = None,
    reason: str | None = None,
    today: date,
    calendar: WorkCalendar | None = None,
    dry_run: bool = False,
    default_requester: str | None = None,
) -> ChangeResult:
    """Give ``from_code``'s duty on ``on`` in ``slot`` to ``to_code``, who must be able to take it.

    Without ``requested_by`` (a person code) the request is recorded as made by ``default_requester`` (the
    API's token name), else by the giver."""
    if slot not in settings.roster_slots:
        raise UserError(f"SLOT: {slot!r} is not a slot of the desk ({', '.join(settings.roster_slots)})")
    giver = person_by_code(session, from_code, argument="FROM_PERSON")
    taker = person_by_code(session, to_code, argument="TO_PERSON")
    if giver.code == taker.code:
        raise UserError(f"TO_PERSON: {taker.code} is FROM_PERSON too; name someone else")
    asked = _requester(session, requested_by, default_requester or giver.code)
    window = load_window(session, settings, start=on, end=on, calendar=calendar)
    given = Shift(on, slot, giver.code)
    if given not in window.shifts:
        raise UserError(f"FROM_PERSON: {giver.code} {giver.name} is not on duty on {on} ({slot})")
    _check_taker(window, taker, on)
    result = ChangeResult(request_id=None, removed=[given], added=[Shift(on, slot, taker.code)])
    after = [s for s in window.shifts if s != given] + [Shift(on, slot, taker.code)]
    result.warnings += _consecutive_warning(session, settings, taker.code, on, after, calendar)
    if dry_run:
        return result
    return _record(
        session, settings, result, kind="swap", asked=asked, note=reason, today=today, source="swap"
    )


def _check_taker(window: Window, taker: Person, on: date) -> None:
    who = f"{taker.code} {taker.name}"
    if not taker.active:
        raise UserError(f"TO_PERSON: {who} is not active")
    if not taker.desk_pool:
        raise UserError(f"TO_PERSON: {who} is not in the desk pool")
    if LeaveBook(window.leave).away(taker.code, on):
        raise UserError(f"TO_PERSON: {who} is on leave on {on}")
    if busy := [s.slot for s in window.shifts if s.person == taker.code and s.on == on]:
        raise UserError(
            f"TO_PERSON: {who} is already on duty on {on} ({', '.join(busy)}); "
            "one person takes one slot a day, so this swap would double-book them"
        )


def _consecutive_warning(
    session: Session,
    settings: Settings,
    code: str,
    on: date,
    day_shifts: list[Shift],
    calendar: WorkCalendar | None,
) -> list[str]:
    span = timedelta(days=14 + settings.roster_max_consecutive * 7)
    around = load_window(session, settings, start=on - span, end=on + span, calendar=calendar)
    around.shifts = [s for s in around.shifts if s.on != on] + day_shifts
    return [
        f"{p.message}; allowed, but `legalaid roster check` will report it"
        for p in find_problems(around.view())
        if p.kind == "consecutive" and p.person == code
    ]


def add_leave(
    session: Session,
    settings: Settings,
    *,
    person_code: str,
    start: date,
    end: date,
    reason: str | None = None,
    requested_by: str | None = None,
    today: date,
    calendar: WorkCalendar | None = None,
    dry_run: bool = False,
    default_requester: str | None = None,
) -> ChangeResult:
    """Record leave and hand the person's duties from ``today`` on within it to others, fairly; recorded
    as asked by ``requested_by``, else ``default_requester``, else the person."""
    person = person_by_code(session, person_code, argument="PERSON")
    if end < start:
        raise UserError(f"END: {end} is before START {start}")
    overlapping = session.scalar(
        select(Leave).where(Leave.person_id == person.id, Leave.start <= end, Leave.end >= start)
    )
    if overlapping is not None:
        raise UserError(
            f"START: {person.code} {person.name} already has leave from {overlapping.start} to "
            f"{overlapping.end}, which overlaps {start} … {end}"
        )
    asked = _requester(session, requested_by, default_requester or person.code)
    result = ChangeResult(request_id=None)
    if end >= today:
        # The replacement is drawn with the leave in place and the lost shifts gone, like any rotation.
        window = load_window(session, settings, start=max(start, today), end=end, calendar=calendar)
        result.removed = [s for s in window.shifts if s.person == person.code]
        window.leave.append(Away(person.code, start, end))
        window.shifts = [s for s in window.shifts if s not in set(result.removed)]
        rotation = rotate(window, fill={(s.on, s.slot) for s in result.removed})
        result.added = list(rotation.added)
        result.warnings += [
            f"{gap.on} {gap.slot}: nobody is free to take {person.code}'s duty; the desk has a gap"
            for gap in rotation.unfilled
        ]
    else:
        result.warnings.append(f"the leave ended before {today}: no duty moved")
    if dry_run:
        return result
    leave = Leave(person_id=person.id, start=start, end=end, reason=reason)
    session.add(leave)
    session.flush()
    return _record(
        session, settings, result, kind="leave", asked=asked, note=reason, today=today, leave_id=leave.id
    )


def write_rotation(
    session: Session,
    settings: Settings,
    *,
    window: Window,
    rotation: Rotation,
    replace: bool,
    requested_by: str | None,
    today: date,
    default_requester: str = "legalaid roster generate",
) -> ChangeResult:
    """Write a generated rotation: add its new shifts; with ``replace`` also remove those it dropped
    from ``today`` on (``rotate(..., replace=True, today=today)`` kept the earlier ones).

    ``requested_by`` is a person code (checked); without one the request is recorded as made by
    ``default_requester``, the command that wrote it.
    """
    asked = _requester(session, requested_by, default_requester)
    new = set(rotation.shifts)
    old = set(window.shifts)
    remove = sorted((s for s in old - new if s.on >= today), key=lambda s: s.sort_key) if replace else []
    add = sorted(new - old, key=lambda s: s.sort_key)
    result = ChangeResult(request_id=None, removed=remove, added=add)
    if not add and not remove:
        return result
    note = f"{window.start} … {window.end}" + (" (replace)" if replace else "")
    return _record(session, settings, result, kind="generate", asked=asked, note=note, today=today)


def _record(
    session: Session,
    settings: Settings,
    result: ChangeResult,
    *,
    kind: str,
    asked: str,
    note: str | None,
    today: date,
    leave_id: int | None = None,
    source: str = "generated",
) -> ChangeResult:
    """Write ``result``'s shifts as one request of ``kind`` (a swap, leave, a rotation drawn) made by
    ``asked``, and tell everyone whose future duty it moved, the kind being the reason they are given."""
    request, changes = apply_changes(
        session,
        kind=kind,
        requested_by=asked,
        note=note,
        add=result.added,
        remove=result.removed,
        leave_id=leave_id,
        source=source,
    )
    result.request_id = request.id
    run = notify_changes(session, settings, changes, today=today, requested_by=asked, reason=kind)
    result.outbox_ids += run.outbox_ids
    result.notices += run.messages
    result.warnings += run.problems
    return result
