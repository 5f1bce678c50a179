"""The tick queries: record, claim, renew, finish, sweep, retry, on ``job_runs`` as leased rows.

The state machine is ``legalaid.leases`` (its docstring describes it); this module names the ticks' states
and columns for it, and adds what only ticks have: a tick is recorded by the scheduler (INSERT … ON
CONFLICT DO NOTHING on its key), and a tick nobody recorded is inserted as claimed by its worker. Nothing
here commits: each function works in the caller's transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import NamedTuple, TypedDict, Unpack

from sqlalchemy import Table, func
from sqlalchemy.orm import Session

from legalaid import leases
from legalaid.db import insert_if_absent
from legalaid.jobs.policy import DEFAULT_POLICY, TickPolicy
from legalaid.models import JobRun, utcnow

log = logging.getLogger(__name__)

SCHEDULED, RUNNING, SUCCEEDED, FAILED, DEAD = "scheduled", "running", "succeeded", "failed", "dead"
STATUSES = (SCHEDULED, RUNNING, SUCCEEDED, FAILED, DEAD)

_TABLE: Table = JobRun.__table__  # type: ignore[assignment]
TICKS = leases.LeasedTable(
    table=_TABLE,
    states=leases.States(waiting=SCHEDULED, retrying=FAILED, running=RUNNING, done=SUCCEEDED, dead=DEAD),
    due="due_at",
    handed_over="dispatched_at",
    error="error",
    lease_expired="lease expired: the worker running it stopped (killed?); run again",
    # A redelivered message need not wait for the sweep to take over from a worker that died.
    take_over_expired=True,
    finished="finished_at",
    undue_at_end=True,
    attempts_at_retry="attempts_at_retry",
    label="key",
)
"""The ticks as leased rows: a failed tick waits as ``failed``; a dead one is revived with a fresh count."""


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


class Claimant(TypedDict, total=False):
    """Who takes a tick, as its row records it: the task that runs it, the worker, the task's id."""

    task: str | None
    worker: str | None
    task_id: str | None


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
    values = {"status": SCHEDULED, "attempts": 0, "due_at": now, "dispatched_at": now}
    return _insert(session, job=job, task=task, scheduled_for=scheduled_for, values=values)


def claim(
    session: Session,
    *,
    job: str,
    scheduled_for: datetime,
    now: datetime,
    policy: TickPolicy = DEFAULT_POLICY,
    **claimant: Unpack[Claimant],
) -> JobRun | None:
    """Take the tick to run it: the ``running`` row with its lease, or None when there is nothing to do.

    A tick nobody recorded (a task sent by hand, or by a scheduler that could not reach the database) is
    inserted as claimed. A recorded one is claimed if it is ``scheduled`` or ``failed`` and due, or
    ``running`` with an expired lease (its worker died; a redelivered message need not wait for the sweep)
    and attempts left. Otherwise (succeeded, dead, running elsewhere, a retry not due yet) None.
    """
    task = claimant.get("task")
    started = {"worker": claimant.get("worker"), "task_id": claimant.get("task_id"), "started_at": now}
    run_id = _insert(
        session,
        job=job,
        task=task,
        scheduled_for=scheduled_for,
        values={
            "status": RUNNING,
            "attempts": 1,
            "due_at": now,
            "lease_until": now + policy.lease,
            **started,
        },
    )
    if run_id is None:
        claimed = leases.claim(
            session,
            TICKS,
            where=TICKS.column("key") == run_key(job, scheduled_for),
            now=now,
            policy=policy.leases,
            values={**started, "task": func.coalesce(TICKS.column("task"), task)},
        )
        if claimed is None:
            return None
        run_id = claimed.id
    return session.get(JobRun, run_id, populate_existing=True)


def _insert(
    session: Session, *, job: str, task: str | None, scheduled_for: datetime, values: dict[str, object]
) -> int | None:
    """Insert the tick with ``values`` unless it is recorded already: its id, or None."""
    tick = {"key": run_key(job, scheduled_for), "job": job, "task": task, "scheduled_for": scheduled_for}
    statement = insert_if_absent(session, JobRun, key=["key"]).values({**tick, **values}).returning(JobRun.id)
    run_id: int | None = session.execute(statement).scalar_one_or_none()
    return run_id


def start_run(
    session: Session,
    *,
    job: str,
    scheduled_for: datetime,
    policy: TickPolicy = DEFAULT_POLICY,
    **claimant: Unpack[Claimant],
) -> JobRun | None:
    """``claim`` at the clock's time: the running tick, or None when there is nothing to do."""
    return claim(session, job=job, scheduled_for=scheduled_for, now=utcnow(), policy=policy, **claimant)


def renew(
    session: Session, *, run_id: int, attempt: int, now: datetime, policy: TickPolicy = DEFAULT_POLICY
) -> bool:
    """Extend the lease of a running claim; False when this claim no longer owns the tick."""
    return leases.renew(session, TICKS, row_id=run_id, attempt=attempt, now=now, policy=policy.leases)


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
        return SUCCEEDED if leases.succeed(session, TICKS, where=TICKS.id == run_id, now=now) else None
    if status != FAILED:
        raise ValueError(f"a run finishes {SUCCEEDED} or {FAILED}, not {status!r}")
    outcome = leases.fail(
        session,
        TICKS,
        row_id=run_id,
        attempt=attempt,
        error=error or "failed",
        now=now,
        policy=policy.leases,
        # Dead or failed, the tick's last hand-off is spent: a retry is handed over when it is due.
        values={"dispatched_at": None},
    )
    if outcome is None:
        log.warning("job run %s: attempt %s no longer owns its tick; failure not recorded", run_id, attempt)
    return outcome


def reclaim_expired(session: Session, *, now: datetime, policy: TickPolicy = DEFAULT_POLICY) -> list[str]:
    """``running`` ticks whose lease has run out (their worker stopped) are scheduled again, due now; those
    whose attempts are used up are dead. Returns the keys reclaimed."""
    keys: list[str] = leases.reclaim_expired(session, TICKS, now=now, policy=policy.leases)
    if keys:
        log.warning("job ticks whose worker stopped: %s", ", ".join(keys))
    return keys


def sweep(
    session: Session, *, now: datetime, policy: TickPolicy = DEFAULT_POLICY, limit: int = 100
) -> list[Tick]:
    """Reclaim expired leases, then take the due ticks whose hand-off is missing or presumed lost and mark
    them handed over now: the caller commits and sends them (``hand_back`` those it could not send)."""
    reclaim_expired(session, now=now, policy=policy)
    columns = [TICKS.column(name) for name in Tick._fields]
    found = leases.lost_hand_offs(session, TICKS, now=now, policy=policy.leases, columns=columns, limit=limit)
    ticks = [Tick._make(row) for row in found]
    leases.mark_handed_over(session, TICKS, [tick.id for tick in ticks], at=now)
    return ticks


def hand_back(session: Session, run_ids: Sequence[int]) -> None:
    """Forget the hand-off of ticks that could not be sent: the next sweep sends them as soon as it runs."""
    leases.mark_handed_over(session, TICKS, run_ids, at=None)


def retry(
    session: Session, *, keys: Sequence[str] = (), dead: bool = False, now: datetime | None = None
) -> list[str]:
    """Schedule dead ticks (or the named dead or failed ones) again, due now, with a fresh allowance of
    attempts: ``legalaid jobs retry``. The leader's next sweep sends them. Returns the keys scheduled."""
    if not dead and not keys:
        return []
    key = TICKS.column("key")
    chosen: list[str] = leases.revive(
        session,
        TICKS,
        named=None if dead else key.in_(list(keys)),
        now=now or utcnow(),
        pick=key,
        order_by=TICKS.column("scheduled_for"),
    )
    return chosen
