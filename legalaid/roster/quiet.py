"""Why a roster notice run queued nothing, in words (``legalaid roster notify`` prints it).

A notifier that is not on its day says so itself (``NoticeRun.note``: the week-ahead roster on the last
working day of the week, the monthly report on the first working day of the month, the alerts on a working
day, the scheduled day-before run from ``roster_notice_hour``). What is left is said here: the messages due
were queued before (when, from the outbox rows of the run's keys), or nothing was due at all.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from legalaid.calendar import WorkCalendar
from legalaid.config import Settings
from legalaid.models import OutboxMessage
from legalaid.roster.mailing import NoticeRun


def why_nothing(session: Session, settings: Settings, run: NoticeRun, calendar: WorkCalendar) -> str | None:
    """The reason a run with no new message had none, or None when it queued some or already says why."""
    if run.messages or run.note:
        return None
    if run.already:
        first, last = session.execute(
            select(func.min(OutboxMessage.created_at), func.max(OutboxMessage.created_at)).where(
                OutboxMessage.idempotency_key.in_(run.already)
            )
        ).one()
        earliest, latest = _local(settings, first), _local(settings, last)
        when = earliest if earliest == latest else f"{earliest} – {latest}"
        return (
            f"{run.as_of}: all {len(run.already)} message(s) due were queued before, at {when} "
            "(each is sent once)"
        )
    if run.kind == "day-before":
        start, until = run.as_of + timedelta(days=1), calendar.next_working_day(run.as_of)
        return (
            f"{run.as_of}: no duty from {start} to {until} to tell (a duty's notice goes out on the last "
            f"working day before it, from {settings.roster_notice_hour}:00)"
        )
    if run.problems:
        return None  # the problems say why (nobody with an email address to send it to)
    return f"{run.as_of}: nobody to send it to"


def _local(settings: Settings, moment: datetime | None) -> str:
    """A stored UTC time in the center's time zone, with its offset (2012-10-12T09:00:00+08:00)."""
    return moment.astimezone(settings.tz).isoformat(timespec="seconds") if moment else "?"
