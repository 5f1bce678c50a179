"""Duty notices through the outbox: the week ahead, the day before (with an .ics), and changes.

* **Week ahead** (``week_ahead``): on the last working day of a week (Friday, or a 调休 Saturday, or
  earlier when Friday is a holiday), the next week's roster to every pool member and the coordinator
  (``center_staff``); the coordinator's copy carries the month's quality figures. Key
  ``roster:weekahead:<Monday of the week covered>:<person>``.
* **Day before** (``day_before``): from the last working day before a duty on, the person on duty gets
  the desk's address and hours and an .ics. Key ``roster:daybefore:<day>:<slot>:<person>:<version>``, the
  version a hash of what the notice says (day, slot, person, hours, address): once per shift, and again
  only if the shift changed.
* **Changes** (``notify_changes``): when a request (swap, leave, regeneration) removes someone's future
  duty, everyone whose future duties it changed is told at once, with an .ics that adds the duties they
  got and cancels those they lost. Key ``roster:change:<request>:<person>``.

Everything is written in the caller's transaction; nothing here commits or sends.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, timedelta
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from legalaid.actions import issue_swap_link
from legalaid.calendar import WorkCalendar
from legalaid.config import Settings
from legalaid.dates import format_month
from legalaid.directory import center_staff
from legalaid.models import DutyShift, Person, utcnow
from legalaid.models.enums import Slot
from legalaid.roster.data import SLOT_ORDER, Shift, settings_desk_days
from legalaid.roster.ics import DutyEvent, ics_attachment
from legalaid.roster.mailing import Labels, NoticeRun, already_queued, notice_job, send
from legalaid.roster.quality import measure, plain_summary
from legalaid.roster.store import ShiftChange, duty_version, load_window


@notice_job("week-ahead")
def week_ahead(session: Session, settings: Settings, run: NoticeRun, calendar: WorkCalendar) -> None:
    """On the last working day of ``as_of``'s week, queue next week's roster for the pool and coordinator."""
    as_of = run.as_of
    last = calendar.last_working_day_of_week(as_of)
    if last != as_of:
        when = f"that is {last}" if last else "the whole week is off"
        run.note = f"{as_of} is not the last working day of its week ({when}): no week-ahead roster"
        return
    first = calendar.next_working_day(as_of)
    monday = first - timedelta(days=first.weekday())
    sunday = monday + timedelta(days=6)
    labels = Labels(settings)
    shifts = _standing(session, monday, sunday)
    people = _people(session, {s.person for s in shifts})
    days = settings_desk_days(settings, calendar, max(monday, first), sunday)
    table = _week_table(labels, settings, days, shifts, people)
    staff = center_staff(session, settings)
    run.problems.extend(staff.problems)
    coordinators = {p.code: p for p in staff.people}
    pool = list(
        session.scalars(
            select(Person).where(Person.active.is_(True), Person.desk_pool.is_(True)).order_by(Person.code)
        )
    )
    quality = _month_quality(session, settings, calendar, first) if coordinators else None
    tell = partial(send, session, settings, run)  # one run's messages, each to one person
    for person in [*coordinators.values(), *(p for p in pool if p.code not in coordinators)]:
        key = f"roster:weekahead:{monday}:{person.code}"
        tell(
            person,
            key=key,
            template="roster_week_ahead",
            context={
                "week": f"{labels.day(monday)} – {labels.day(sunday)}",
                "rows": table,
                "mine": [labels.duty(s.on, s.slot) for s in shifts if s.person == person.code],
                "swap_links": _swap_links(
                    session, settings, run, person, key, [s for s in shifts if s.person == person.code]
                ),
                "coordinator": person.code in coordinators,
                "quality": quality if person.code in coordinators else None,
            },
            unreachable="no week-ahead roster",
        )


def _week_table(
    labels: Labels,
    settings: Settings,
    days: Sequence[date],
    shifts: Sequence[Shift],
    people: dict[str, Person],
) -> list[dict[str, str]]:
    empty = "（空缺）" if labels.locale == "zh_CN" else "(empty)"
    rows = []
    for day in days:
        for slot in settings.roster_slots:
            names = [_name(people, s.person) for s in shifts if s.on == day and s.slot == slot]
            rows.append(
                {
                    "date": labels.day(day),
                    "weekday": labels.weekday(day),
                    "slot": labels.slot(slot),
                    "hours": labels.hours(slot),
                    "people": "、".join(names) if names else empty,
                }
            )
    return rows


def _month_quality(session: Session, settings: Settings, calendar: WorkCalendar, day: date) -> dict[str, Any]:
    start = day.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    window = load_window(session, settings, start=start, end=end, calendar=calendar)
    figures = measure(window.view())
    # In words, as the monthly report says it (month_report.plain_summary): no 均衡度 0.72 or +31%.
    return {
        "month": format_month(start, settings.locale),
        "coverage": f"{figures.coverage:.0%}",
        "balance": f"{figures.balance:.2f}",
        "score": figures.score,
        **plain_summary(figures, settings),
    }


def day_before(
    session: Session,
    settings: Settings,
    *,
    as_of: date,
    hour: int | None = None,
    calendar: WorkCalendar | None = None,
    dry_run: bool = False,
) -> NoticeRun:
    """Queue the day-before notice (with an .ics) of every duty whose notice day has come.

    A duty's notice day is the last working day before it; on ``as_of`` that has come for every duty after
    ``as_of`` up to the next working day (a duty on Monday after a holiday week was told on the Saturday
    or Friday before it). A duty drawn after its notice day is told by the next run, late rather than never.
    ``hour`` (the hourly scheduled run's local hour) before ``roster_notice_hour`` means nothing is due yet:
    the notices go out in the afternoon, when the next day's roster has settled. By hand (no hour) they go.
    """
    calendar = calendar or WorkCalendar.from_settings(settings)
    run = NoticeRun("day-before", as_of, dry_run)
    if hour is not None and hour < settings.roster_notice_hour:
        run.note = f"the day-before notices go out from {settings.roster_notice_hour}:00, not at {hour}:00"
        return run
    until = calendar.next_working_day(as_of)
    shifts = _standing(session, as_of + timedelta(days=1), until)
    people = _people(session, {s.person for s in shifts})
    labels = Labels(settings)
    tell = partial(send, session, settings, run)
    for shift in shifts:
        person = people[shift.person]
        event = DutyEvent(
            shift.on,
            shift.slot,
            person.code,
            person.name,
            sequence=duty_version(session, shift),
            changed_at=_created_at(session, shift, person),
        )
        attachment = ics_attachment([event], settings, file_name=f"duty-{shift.on:%Y%m%d}-{shift.slot}.ics")
        key = f"roster:daybefore:{shift.on}:{shift.slot}:{person.code}:{notice_version(settings, shift)}"
        tell(
            person,
            key=key,
            template="roster_day_before",
            context={
                "swap_link": next(iter(_swap_links(session, settings, run, person, key, [shift])), ""),
                "date": labels.day(shift.on),
                "weekday": labels.weekday(shift.on),
                "slot": labels.slot(shift.slot),
                "hours": labels.hours(shift.slot),
            },
            attachments=[attachment],
            unreachable=f"no day-before notice for {shift.on} {shift.slot}",
        )
    return run


def _swap_links(
    session: Session, settings: Settings, run: NoticeRun, person: Person, key: str, shifts: Sequence[Shift]
) -> list[str]:
    """A link per duty to ask for a swap of it (``/act/<token>``, ``roster.requests``), made only for a
    notice that will be queued: a dry run, a person without an email address or a notice sent before
    (its key queued already) gets none, so no token is made that no message carries."""
    if run.dry_run or not person.email or already_queued(session, [key]):
        return []
    now = utcnow()
    return [
        issue_swap_link(session, settings, person_id=person.id, on=s.on, slot=s.slot, now=now) for s in shifts
    ]


def notice_version(settings: Settings, shift: Shift) -> str:
    """A short hash of what the day-before notice says: a changed shift or desk gets a new notice."""
    labels = Labels(settings)
    facts = [shift.on.isoformat(), shift.slot, shift.person, labels.hours(shift.slot)]
    facts += [settings.roster_desk_name, settings.roster_desk_address]
    return hashlib.sha256("|".join(facts).encode()).hexdigest()[:10]


def notify_changes(
    session: Session,
    settings: Settings,
    changes: Sequence[ShiftChange],
    *,
    today: date,
    requested_by: str,
    reason: str,
    dry_run: bool = False,
) -> NoticeRun:
    """Tell everyone whose future duties a request changed, once per request and person.

    A request that only adds duties to empty positions (a new month drawn) moves nobody's duty and sends
    nothing here: the week-ahead roster and the day-before notice announce those.
    """
    run = NoticeRun("change", today, dry_run)
    future = [c for c in changes if c.on >= today]
    if not any(c.action == "removed" for c in future):
        return run
    people = _people(session, {c.person for c in future} | {requested_by})
    # A request made by a command (``legalaid roster generate``) is the center's.
    asked = people[requested_by].name if requested_by in people else settings.center_name
    labels = Labels(settings)
    tell = partial(send, session, settings, run)
    by_person: dict[str, list[ShiftChange]] = {}
    for change in sorted(future, key=lambda c: (c.on, SLOT_ORDER.get(c.slot, 9))):
        by_person.setdefault(change.person, []).append(change)
    for code, own in sorted(by_person.items()):
        person = people[code]
        events = [
            DutyEvent(
                c.on,
                c.slot,
                code,
                person.name,
                cancelled=c.action == "removed",
                sequence=duty_version(session, Shift(c.on, c.slot, code)),
            )
            for c in own
        ]
        tell(
            person,
            key=f"roster:change:{own[0].request_id}:{code}",
            template="roster_change",
            context={
                "lost": [labels.duty(c.on, c.slot) for c in own if c.action == "removed"],
                "got": [labels.duty(c.on, c.slot) for c in own if c.action == "added"],
                "reason": labels.reason(reason),
                "requested_by": asked,
            },
            attachments=[ics_attachment(events, settings, file_name="duty-changes.ics")],
            unreachable="not told of the change",
        )
    return run


def _standing(session: Session, start: date, end: date) -> list[Shift]:
    rows = session.execute(
        select(DutyShift.on, DutyShift.slot, Person.code)
        .join(Person, Person.id == DutyShift.person_id)
        .where(DutyShift.on >= start, DutyShift.on <= end)
    ).all()
    return sorted((Shift(on, Slot(slot).value, code) for on, slot, code in rows), key=lambda s: s.sort_key)


def _people(session: Session, codes: set[str]) -> dict[str, Person]:
    return {p.code: p for p in session.scalars(select(Person).where(Person.code.in_(codes)))}


def _name(people: dict[str, Person], code: str) -> str:
    person = people.get(code)
    return person.name if person else code


def _created_at(session: Session, shift: Shift, person: Person) -> Any:
    return session.scalar(
        select(DutyShift.created_at).where(
            DutyShift.on == shift.on, DutyShift.slot == Slot(shift.slot), DutyShift.person_id == person.id
        )
    )
