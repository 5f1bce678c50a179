"""The daily check's alerts to the coordinator (``center_staff``): each problem once.

The check looks at the desk days from ``as_of`` to ``roster_alert_days`` ahead, and at the balance of the
current month. A problem is told once: its key goes into ``roster_alerts`` (insert-if-absent, in the
caller's transaction, so two checks at once tell it once). A gap within the next three desk days is
*urgent*, and a gap first told while it was weeks away is told once more when it becomes urgent. The new
problems of a run go to each coordinator in one message, urgent ones first.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from legalaid.calendar import WorkCalendar
from legalaid.config import Settings
from legalaid.db import insert_if_absent
from legalaid.directory import center_staff
from legalaid.models import RosterAlert
from legalaid.roster.checks import Problem, find_problems
from legalaid.roster.data import settings_desk_days
from legalaid.roster.mailing import Labels, NoticeRun, notice_job, send
from legalaid.roster.store import load_window

URGENT_DESK_DAYS = 3


def alert_key(problem: Problem, urgent: bool) -> str:
    return problem.key + (":urgent" if urgent else "")


def daily_problems(
    session: Session, settings: Settings, *, as_of: date, calendar: WorkCalendar
) -> list[tuple[Problem, bool]]:
    """The problems the daily check reports, each with whether it is urgent."""
    end = as_of + timedelta(days=settings.roster_alert_days)
    window = load_window(session, settings, start=as_of, end=end, calendar=calendar)
    found = [p for p in find_problems(window.view()) if p.kind != "imbalance"]
    month_start = as_of.replace(day=1)
    month_end = (month_start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    month = load_window(session, settings, start=month_start, end=month_end, calendar=calendar)
    found += [p for p in find_problems(month.view()) if p.kind == "imbalance"]
    soon = set(settings_desk_days(settings, calendar, as_of, as_of + timedelta(days=31))[:URGENT_DESK_DAYS])
    return [(p, p.kind == "gap" and p.on in soon) for p in found]


@notice_job("alert")
def alerts(session: Session, settings: Settings, run: NoticeRun, calendar: WorkCalendar) -> None:
    """Tell the coordinator the problems not told before; the run says what was queued."""
    as_of, dry_run = run.as_of, run.dry_run
    if not calendar.is_working_day(as_of):
        # Like the reminders: the coordinator reads mail on working days; the next one's check tells it.
        run.note = f"{as_of} is not a working day: no alerts (the next working day's check sends them)"
        return
    found = daily_problems(session, settings, as_of=as_of, calendar=calendar)
    if not found:
        run.note = f"{as_of}: the roster of the next {settings.roster_alert_days} days has no problem"
        return
    staff = center_staff(session, settings)
    run.problems.extend(staff.problems)
    reachable = [p for p in staff.people if p.email]
    if not reachable:
        # Nothing recorded: the problems are told once a coordinator has an address.
        run.problems.append("no center staff member has an email address: roster problems not told")
        return
    keys = {alert_key(p, urgent): (p, urgent) for p, urgent in found}
    new = _unseen(session, list(keys)) if dry_run else _claim(session, keys, as_of=as_of)
    if not new:
        run.note = f"{as_of}: {len(found)} problem(s), all told before"
        return
    labels = Labels(settings)
    items = sorted((keys[k] for k in new), key=lambda item: (not item[1], item[0].on or date.min))
    rows = [_row(labels, problem, urgent) for problem, urgent in items]
    digest = hashlib.sha256("\n".join(sorted(new)).encode()).hexdigest()[:12]
    for person in reachable:
        send(
            session,
            settings,
            run,
            person,
            key=f"roster:alerts:{as_of}:{digest}:{person.code}",
            template="roster_alert",
            context={
                "as_of": labels.day(as_of),
                "problems": rows,
                "urgent": sum(1 for _, urgent in items if urgent),
            },
        )
    if not dry_run:
        first = run.outbox_ids[0] if run.outbox_ids else None
        for row in session.scalars(select(RosterAlert).where(RosterAlert.key.in_(new))):
            row.outbox_id = first


def _row(labels: Labels, problem: Problem, urgent: bool) -> dict[str, Any]:
    return {
        "urgent": urgent,
        "kind": labels.problem(problem.kind),
        "date": labels.day(problem.on) if problem.on and problem.kind != "imbalance" else "",
        "slot": labels.slot(problem.slot) if problem.slot else "",
        "person": problem.person or "",
        "message": problem.message,
    }


def _unseen(session: Session, keys: list[str]) -> list[str]:
    seen = set(session.scalars(select(RosterAlert.key).where(RosterAlert.key.in_(keys))))
    return [k for k in keys if k not in seen]


def _claim(session: Session, keys: dict[str, tuple[Problem, bool]], *, as_of: date) -> list[str]:
    """Insert the keys not yet in the ledger; the ones this transaction inserted are its to tell."""
    rows = [
        {
            "key": key,
            "kind": problem.kind,
            "on": problem.on,
            "slot": problem.slot,
            "person_code": problem.person,
            "urgent": urgent,
            "message": problem.message,
            "as_of": as_of,
        }
        for key, (problem, urgent) in sorted(keys.items())
    ]
    statement = insert_if_absent(session, RosterAlert, key=["key"]).values(rows).returning(RosterAlert.key)
    return list(session.scalars(statement))
