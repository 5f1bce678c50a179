"""The tick queries: record, claim, renew, finish, sweep, retry (the state machine is in ``legalaid.jobs``).

Nothing here commits: each function works in the caller's transaction. Every change of state is one
conditional UPDATE (or INSERT … ON CONFLICT DO NOTHING) whose WHERE clause is the transition's precondition,
so two processes racing for one tick cannot both win, on SQLite or PostgreSQL.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

from legalaid.jobs.policy import DEFAULT_POLICY, TickPolicy
from legalaid.models import JobRun, utcnow

log = logging.getLogger(__name__)

SCHEDULED, RUNNING, SUCCEEDED, FAILED, DEAD = "scheduled", "running", "succeeded", "failed", "dead"
STATUSES = (SCHEDULED, RUNNING, SUCCEEDED, FAILED, DEAD)
ERROR_LIMIT = 2000

_NO_SYNC = {"synchronize_session": False}
# What happened to an attempt whose worker stopped mid-run, kept on the row whether the sweep or a
# redelivered message notices it first.
_LEASE_EXPIRED = "lease expired: the worker running it stopped (killed?); run again"


class Tick(NamedTuple):
    """A tick to hand to the broker: the task to send and its arguments."""

    id: int
    key: str
    job: str
    task: str | None
    scheduled_for: datetime

    def kwargs(self) -> dict[str, str]:
        """The task's keyword arguments, as the scheduler sends them."""
        return {"job": self.job, "scheduled_for": self.scheduled_for.isoformat()}


def run_key(job: str, scheduled_for: datetime) -> str:
    """The run's idempotency key: ``heartbeat:2024-05-01T02:00:00+00:00`` (always UTC, whatever zone)."""
    if scheduled_for.tzinfo is None:
        raise ValueError("scheduled_for must carry a time zone")
    return f"{job}:{scheduled_for.astimezone(UTC).isoformat()}"


def record_tick(
    session: Session, *, job: str, task: str, scheduled_for: datetime, now: datetime
) -> int | None:
    """The scheduler's first step: record the tick as ``scheduled`` and handed over now (the caller sends it
    next); its id. None when the tick is already recorded (a second firing): then nothing is to be sent."""
    values = {
        "key": run_key(job, scheduled_for),
        "job": job,
        "task": task,
        "scheduled_for": scheduled_for,
        "status": SCHEDULED,
        "attempts": 0,
        "due_at": now,
        "dispatched_at": now,
    }
    statement = _insert_if_absent(session).values(values).returning(JobRun.id)
    run_id: int | None = session.execute(statement).scalar_one_or_none()
    return run_id


def _attempts_left(policy: TickPolicy) -> ColumnElement[bool]:
    """The tick still has attempts left under ``policy``."""
    return (JobRun.attempts - JobRun.attempts_at_retry) < policy.max_attempts


def claim(
    session: Session,
    *,
    job: str,
    scheduled_for: datetime,
    task: str | None = None,
    worker: str | None = None,
    task_id: str | None = None,
    now: datetime,
    policy: TickPolicy = DEFAULT_POLICY,
) -> JobRun | None:
    """Take the tick to run it: the ``running`` row with its lease, or None when there is nothing to do.

    A tick nobody recorded (a task sent by hand, or by a scheduler that could not reach the database) is
    inserted as claimed. A recorded one is claimed if it is ``scheduled`` or ``failed`` and due, or
    ``running`` with an expired lease (its worker died; a redelivered message need not wait for the sweep)
    and attempts left. Otherwise (succeeded, dead, running elsewhere, a retry not due yet) None.
    """
    key = run_key(job, scheduled_for)
    lease_until = now + policy.lease
    inserted = session.execute(
        _insert_if_absent(session)
        .values(
            key=key,
            job=job,
            task=task,
            scheduled_for=scheduled_for,
            status=RUNNING,
            attempts=1,
            due_at=now,
            lease_until=lease_until,
            worker=worker,
            task_id=task_id,
            started_at=now,
        )
        .returning(JobRun.id)
    ).scalar_one_or_none()
    if inserted is not None:
        return session.get(JobRun, inserted, populate_existing=True)
    claimable = (JobRun.status.in_((SCHEDULED, FAILED)) & (JobRun.due_at <= now)) | (
        (JobRun.status == RUNNING) & _lease_expired(now) & _attempts_left(policy)
    )
    claimed = session.execute(
        update(JobRun)
        .where(JobRun.key == key, claimable)
        .values(
            status=RUNNING,
            attempts=JobRun.attempts + 1,
            lease_until=lease_until,
            worker=worker,
            task_id=task_id,
            task=func.coalesce(JobRun.task, task),
            started_at=now,
            finished_at=None,
            # Taken over from a worker that died (the redelivered message came before the sweep): say so,
            # as the sweep would have. A retry of a failed run keeps that run's error.
            error=case((JobRun.status == RUNNING, _LEASE_EXPIRED), else_=JobRun.error),
        )
        .returning(JobRun.id),
        execution_options=_NO_SYNC,
    ).scalar_one_or_none()
    return None if claimed is None else session.get(JobRun, claimed, populate_existing=True)


def start_run(
    session: Session,
    *,
    job: str,
    scheduled_for: datetime,
    task: str | None = None,
    worker: str | None = None,
    task_id: str | None = None,
    policy: TickPolicy = DEFAULT_POLICY,
) -> JobRun | None:
    """``claim`` at the clock's time: the running tick, or None when there is nothing to do."""
    return claim(
        session,
        job=job,
        scheduled_for=scheduled_for,
        task=task,
        worker=worker,
        task_id=task_id,
        now=utcnow(),
        policy=policy,
    )


def renew(
    session: Session, *, run_id: int, attempt: int, now: datetime, policy: TickPolicy = DEFAULT_POLICY
) -> bool:
    """Extend the lease of a running claim; False when this claim no longer owns the tick."""
    result = session.execute(
        update(JobRun)
        .where(JobRun.id == run_id, JobRun.status == RUNNING, JobRun.attempts == attempt)
        .values(lease_until=now + policy.lease),
        execution_options=_NO_SYNC,
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def finish_run(
    session: Session,
    *,
    run_id: int,
    status: str = SUCCEEDED,
    error: str | None = None,
    attempt: int | None = None,
    finished_at: datetime | None = None,
    policy: TickPolicy = DEFAULT_POLICY,
) -> str | None:
    """Record a run's outcome; returns the tick's new status, or None when nothing changed.

    Success is recorded whatever the claim (the tick's work is done, a fact). A failure is recorded only by
    the claim that still owns the tick (``attempt``, when given, is the fencing token): ``failed``, to be
    tried again after the backoff, or ``dead`` when its attempts are used up, the error kept either way.
    """
    now = finished_at or utcnow()
    if status == SUCCEEDED:
        result = session.execute(
            update(JobRun)
            .where(JobRun.id == run_id, JobRun.status != SUCCEEDED)
            .values(status=SUCCEEDED, finished_at=now, lease_until=None, due_at=None),
            execution_options=_NO_SYNC,
        )
        return SUCCEEDED if result.rowcount == 1 else None  # type: ignore[attr-defined]
    if status != FAILED:
        raise ValueError(f"a run finishes {SUCCEEDED} or {FAILED}, not {status!r}")
    owner = (JobRun.id == run_id) & (JobRun.status == RUNNING)
    if attempt is not None:
        owner = owner & (JobRun.attempts == attempt)
    row = session.execute(select(JobRun.attempts, JobRun.attempts_at_retry).where(owner)).one_or_none()
    if row is None:
        log.warning("job run %s: attempt %s no longer owns its tick; failure not recorded", run_id, attempt)
        return None
    used = row.attempts - row.attempts_at_retry
    values: dict[str, Any] = {"finished_at": now, "lease_until": None, "dispatched_at": None}
    if used >= policy.max_attempts:
        values.update(status=DEAD, due_at=None, error=_clip(f"gave up after {used} attempts: {error}"))
    else:
        values.update(status=FAILED, due_at=now + policy.retry_delay(used), error=_clip(error or "failed"))
    session.execute(
        update(JobRun).where(owner, JobRun.attempts == row.attempts).values(**values),
        execution_options=_NO_SYNC,
    )
    return str(values["status"])


def reclaim_expired(session: Session, *, now: datetime, policy: TickPolicy = DEFAULT_POLICY) -> list[str]:
    """``running`` ticks whose lease has run out (their worker stopped) are scheduled again, due now; those
    whose attempts are used up are dead. Returns the keys reclaimed."""
    expired = (JobRun.status == RUNNING) & _lease_expired(now)
    rows = session.execute(
        select(JobRun.id, JobRun.key, JobRun.attempts - JobRun.attempts_at_retry).where(expired)
    ).all()
    if not rows:
        return []
    again = [row.id for row in rows if row[2] < policy.max_attempts]
    spent = [(row.id, row[2]) for row in rows if row[2] >= policy.max_attempts]
    if again:
        session.execute(
            update(JobRun)
            .where(JobRun.id.in_(again), expired)
            .values(
                status=SCHEDULED,
                due_at=now,
                dispatched_at=None,
                lease_until=None,
                error=_LEASE_EXPIRED,
            ),
            execution_options=_NO_SYNC,
        )
    for run_id, used in spent:
        session.execute(
            update(JobRun)
            .where(JobRun.id == run_id, expired)
            .values(
                status=DEAD,
                due_at=None,
                lease_until=None,
                finished_at=now,
                error=f"gave up after {used} attempts: the lease of the last one expired (worker killed?)",
            ),
            execution_options=_NO_SYNC,
        )
    keys = [row.key for row in rows]
    log.warning("job ticks whose worker stopped: %s", ", ".join(keys))
    return keys


def sweep(
    session: Session, *, now: datetime, policy: TickPolicy = DEFAULT_POLICY, limit: int = 100
) -> list[Tick]:
    """Reclaim expired leases, then take the due ticks whose hand-off is missing or presumed lost and mark
    them handed over now: the caller commits and sends them (``hand_back`` those it could not send)."""
    reclaim_expired(session, now=now, policy=policy)
    statement = (
        select(JobRun.id, JobRun.key, JobRun.job, JobRun.task, JobRun.scheduled_for)
        .where(
            JobRun.status.in_((SCHEDULED, FAILED)),
            JobRun.due_at <= now,
            JobRun.dispatched_at.is_(None) | (JobRun.dispatched_at < now - policy.requeue_after),
        )
        .order_by(JobRun.due_at, JobRun.id)
        .limit(limit)
    )
    ticks = [Tick(*row) for row in session.execute(statement)]
    if ticks:
        session.execute(
            update(JobRun)
            .where(JobRun.id.in_([t.id for t in ticks]), JobRun.status.in_((SCHEDULED, FAILED)))
            .values(dispatched_at=now),
            execution_options=_NO_SYNC,
        )
    return ticks


def hand_back(session: Session, run_ids: Sequence[int]) -> None:
    """Forget the hand-off of ticks that could not be sent: the next sweep sends them as soon as it runs."""
    if run_ids:
        session.execute(
            update(JobRun)
            .where(JobRun.id.in_(list(run_ids)), JobRun.status.in_((SCHEDULED, FAILED)))
            .values(dispatched_at=None),
            execution_options=_NO_SYNC,
        )


def retry(
    session: Session, *, keys: Sequence[str] = (), dead: bool = False, now: datetime | None = None
) -> list[str]:
    """Schedule dead ticks (or the named dead or failed ones) again, due now, with a fresh allowance of
    attempts: ``legalaid jobs retry``. The leader's next sweep sends them. Returns the keys scheduled."""
    now = now or utcnow()
    if dead:
        condition = JobRun.status == DEAD
    elif keys:
        condition = JobRun.key.in_(list(keys)) & JobRun.status.in_((DEAD, FAILED))
    else:
        return []
    chosen = list(session.scalars(select(JobRun.key).where(condition).order_by(JobRun.scheduled_for)))
    if chosen:
        session.execute(
            update(JobRun)
            .where(JobRun.key.in_(chosen), condition)
            .values(
                status=SCHEDULED,
                due_at=now,
                dispatched_at=None,
                lease_until=None,
                attempts_at_retry=JobRun.attempts,
            ),
            execution_options=_NO_SYNC,
        )
    return chosen


def _lease_expired(now: datetime) -> ColumnElement[bool]:
    # NULL: a running row without a lease can only come from before leases existed; nobody renews it.
    return JobRun.lease_until.is_(None) | (JobRun.lease_until < now)


def _insert_if_absent(session: Session) -> Insert:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(JobRun).on_conflict_do_nothing(index_elements=["key"])
    if dialect == "sqlite":
        return sqlite.insert(JobRun).on_conflict_do_nothing(index_elements=["key"])
    raise RuntimeError(f"job ticks need SQLite or PostgreSQL, not {dialect}")  # pragma: no cover


def _clip(message: str) -> str:
    message = message.strip()
    return message if len(message) <= ERROR_LIMIT else message[: ERROR_LIMIT - 1] + "…"
