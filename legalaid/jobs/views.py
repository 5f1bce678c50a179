"""What ``legalaid status`` shows of the ticks: each job's last run, and the ticks that need a person."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from legalaid.jobs.ticks import DEAD, FAILED, RUNNING, SCHEDULED
from legalaid.models import JobRun


def last_runs(session: Session) -> list[JobRun]:
    """The latest tick of each job that a worker has taken (by scheduled time), ordered by job.

    A tick only recorded and not yet taken is left out: it says nothing about how the job went.
    """
    taken = JobRun.attempts > 0
    latest = (
        select(JobRun.job, func.max(JobRun.scheduled_for).label("scheduled_for"))
        .where(taken)
        .group_by(JobRun.job)
        .subquery()
    )
    statement = (
        select(JobRun)
        .join(latest, (JobRun.job == latest.c.job) & (JobRun.scheduled_for == latest.c.scheduled_for))
        .order_by(JobRun.job)
    )
    return list(session.scalars(statement))


def unfinished(session: Session, *, limit: int = 100) -> list[JobRun]:
    """The dead and failed ticks, and those scheduled or running, newest first: ``legalaid jobs status``."""
    statement = (
        select(JobRun)
        .where(JobRun.status.in_((DEAD, FAILED, SCHEDULED, RUNNING)))
        .order_by(JobRun.scheduled_for.desc(), JobRun.job)
        .limit(limit)
    )
    return list(session.scalars(statement))


def needing_attention(session: Session, *, now: datetime, stuck_after: timedelta) -> list[str]:
    """One line per job with dead ticks (until ``legalaid jobs retry``) or ticks stuck longer than
    ``stuck_after``: waiting with no worker taking them, or running on a worker that stopped with no
    scheduler sweeping. Empty when every tick is fine. Aggregates: a job dead every minute for a week is
    one line, not ten thousand rows."""
    problems = []
    for job, count, _first, last in _per_job(session, JobRun.status == DEAD, JobRun.scheduled_for):
        error = session.scalar(
            select(JobRun.error).where(JobRun.job == job, JobRun.status == DEAD, JobRun.scheduled_for == last)
        )
        problems.append(
            f"{job}: {count} dead tick(s), the last for {last:%Y-%m-%d %H:%M}Z: {_first_line(error)} "
            "(once the cause is fixed: `legalaid jobs retry --dead`)"
        )
    waiting = JobRun.status.in_((SCHEDULED, FAILED)) & (JobRun.due_at < now - stuck_after)
    for job, count, since, _last in _per_job(session, waiting, JobRun.due_at):
        problems.append(
            f"{job}: {count} tick(s) due {_minutes(now - since)} min ago and not taken: "
            "is a worker taking its queue?"
        )
    orphaned = (JobRun.status == RUNNING) & (JobRun.lease_until < now - stuck_after)
    for job, count, since, _last in _per_job(session, orphaned, JobRun.lease_until):
        problems.append(
            f"{job}: {count} tick(s) left running by a worker that stopped {_minutes(now - since)} min ago: "
            "is a scheduler running (its sweep hands them over)?"
        )
    return problems


def _per_job(
    session: Session, condition: ColumnElement[bool], moment: InstrumentedAttribute[Any]
) -> list[tuple[str, int, datetime, datetime]]:
    """Per job matching ``condition``: how many ticks, the earliest and the latest ``moment``."""
    statement = (
        select(JobRun.job, func.count(), func.min(moment), func.max(moment))
        .where(condition)
        .group_by(JobRun.job)
        .order_by(JobRun.job)
    )
    # MIN/MAX bypass the column type on SQLite (a string back): read the moments through it.
    return [
        (job, int(count), _as_utc(first), _as_utc(last))
        for job, count, first, last in session.execute(statement)
    ]


def _as_utc(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _first_line(error: str | None) -> str:
    return ((error or "").strip().splitlines() or ["no error recorded"])[0]


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)
