"""Records of scheduled job runs: one row per job and scheduled time, so a tick runs its work once.

A scheduled task calls these plain functions (no Celery here). The key ``<job>:<scheduled_for>`` (the
scheduled time in UTC, ISO 8601) is unique: a second firing of the same tick, from a second scheduler, a
re-fire after a crash or a redelivered message, finds the key taken and does nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from legalaid.db import transaction
from legalaid.models import JobRun, utcnow

SUCCEEDED = "succeeded"
FAILED = "failed"
RUNNING = "running"


def run_key(job: str, scheduled_for: datetime) -> str:
    """The run's idempotency key: ``heartbeat:2024-05-01T02:00:00+00:00`` (always UTC, whatever zone)."""
    if scheduled_for.tzinfo is None:
        raise ValueError("scheduled_for must carry a time zone")
    return f"{job}:{scheduled_for.astimezone(UTC).isoformat()}"


def start_run(
    session: Session,
    *,
    job: str,
    scheduled_for: datetime,
    worker: str | None = None,
    task_id: str | None = None,
) -> JobRun | None:
    """Record that a tick of ``job`` started; None if that tick already has a run (nothing to do)."""
    key = run_key(job, scheduled_for)
    values = {
        "key": key,
        "job": job,
        "scheduled_for": scheduled_for,
        "status": RUNNING,
        "worker": worker,
        "task_id": task_id,
        "started_at": utcnow(),
    }
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(JobRun).values(values).on_conflict_do_nothing(index_elements=["key"])
        run_id = session.execute(statement.returning(JobRun.id)).scalar_one_or_none()
        return None if run_id is None else session.get(JobRun, run_id)
    # Any other database: insert in a savepoint and treat the unique violation as "already there".
    try:
        with session.begin_nested():
            run = JobRun(**values)
            session.add(run)
    except IntegrityError:
        return None
    return run


def finish_run(
    session: Session,
    *,
    run_id: int,
    status: str = SUCCEEDED,
    error: str | None = None,
    finished_at: datetime | None = None,
) -> None:
    """Mark a run succeeded or failed (with the error's one-line summary)."""
    if status not in (SUCCEEDED, FAILED):
        raise ValueError(f"a run finishes {SUCCEEDED} or {FAILED}, not {status!r}")
    session.execute(
        update(JobRun)
        .where(JobRun.id == run_id)
        .values(status=status, error=error, finished_at=finished_at or utcnow())
    )


def last_runs(session: Session) -> list[JobRun]:
    """The latest run of each job (by scheduled time), ordered by job: what ``legalaid status`` shows."""
    latest = (
        select(JobRun.job, func.max(JobRun.scheduled_for).label("scheduled_for"))
        .group_by(JobRun.job)
        .subquery()
    )
    statement = (
        select(JobRun)
        .join(latest, (JobRun.job == latest.c.job) & (JobRun.scheduled_for == latest.c.scheduled_for))
        .order_by(JobRun.job)
    )
    return list(session.scalars(statement))


@contextmanager
def run_once(
    sessions: sessionmaker[Session],
    *,
    job: str,
    scheduled_for: datetime,
    worker: str | None = None,
    task_id: str | None = None,
) -> Iterator[JobRun | None]:
    """Run the body once per tick: yields the new run, or None when the tick already ran (skip the body).

    The run is recorded in its own transaction before the body and finished in another after it, so a
    failure leaves a ``failed`` row with the error instead of nothing.
    """
    with transaction(sessions) as session:
        run = start_run(session, job=job, scheduled_for=scheduled_for, worker=worker, task_id=task_id)
    if run is None:
        yield None
        return
    try:
        yield run
    except BaseException as exc:
        with transaction(sessions) as session:
            finish_run(session, run_id=run.id, status=FAILED, error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    with transaction(sessions) as session:
        finish_run(session, run_id=run.id, status=SUCCEEDED)


def heartbeat(
    sessions: sessionmaker[Session],
    *,
    scheduled_for: datetime,
    worker: str | None = None,
    task_id: str | None = None,
    job: str = "heartbeat",
) -> bool:
    """The heartbeat job: record that the scheduler fired and a worker ran it; False if the tick already ran.

    It does no other work: its row in ``job_runs`` is the proof that scheduler, broker and worker are alive.
    """
    with run_once(sessions, job=job, scheduled_for=scheduled_for, worker=worker, task_id=task_id) as run:
        return run is not None
