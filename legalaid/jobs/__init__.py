"""Scheduled job ticks: the database, not the broker, knows every tick, so none is lost and none runs twice.

One row of ``job_runs`` per job and tick, keyed ``<job>:<scheduled_for in UTC>``. A tick is a leased row:
its states and their transitions are those of ``legalaid.leases``, which describes them once for the ticks
and the outbox. A tick's states are called ``scheduled`` (waiting), ``running``, ``succeeded`` (done),
``failed`` (waiting for its retry, ``due_at`` = now + backoff) and ``dead``. What only ticks do:

* **record**: the leader scheduler inserts the tick as ``scheduled`` (INSERT … ON CONFLICT DO NOTHING), with
  its task name and ``dispatched_at`` = now, commits, then sends the task. A second firing of the tick (two
  schedulers, a re-fire after a crash) finds the key taken and sends nothing.
* **claim**: a tick nobody recorded (a task sent by hand; a scheduler that could not reach the database) is
  inserted as claimed. A ``running`` tick whose lease expired is taken over by a redelivered message
  without waiting for the sweep. Anything not claimable is a no-op: a duplicated message does nothing.
* **lease**: the worker renews it every lease/3 while the work runs (``LeaseKeeper``; not past the task
  time limit, so a run hung where no limit applies lets its tick go).
* **sweep**: the leader scheduler's, every ``TickPolicy.sweep_every`` seconds; it sends the ticks it finds
  again.
* **dead** lasts until ``legalaid jobs retry``, which grants as many attempts again
  (``attempts_at_retry``). ``legalaid status`` names every dead tick, and ticks stuck longer than its
  threshold.

Running a tick's work again after a crash is safe because every job's work is idempotent per tick: see the
note at the top of each module in ``tasks/``. Nothing in this package imports Celery or APScheduler.
"""

from legalaid.jobs.policy import DEFAULT_POLICY, TickPolicy
from legalaid.jobs.runner import LeaseKeeper, heartbeat, run_once
from legalaid.jobs.ticks import (
    DEAD,
    FAILED,
    RUNNING,
    SCHEDULED,
    STATUSES,
    SUCCEEDED,
    Claimant,
    Tick,
    claim,
    finish_run,
    hand_back,
    reclaim_expired,
    record_tick,
    renew,
    retry,
    run_key,
    start_run,
    sweep,
)
from legalaid.jobs.views import last_runs, needing_attention, unfinished

__all__ = [
    "DEAD",
    "DEFAULT_POLICY",
    "FAILED",
    "RUNNING",
    "SCHEDULED",
    "STATUSES",
    "SUCCEEDED",
    "Claimant",
    "LeaseKeeper",
    "Tick",
    "TickPolicy",
    "claim",
    "finish_run",
    "hand_back",
    "heartbeat",
    "last_runs",
    "needing_attention",
    "reclaim_expired",
    "record_tick",
    "renew",
    "retry",
    "run_key",
    "run_once",
    "start_run",
    "sweep",
    "unfinished",
]
