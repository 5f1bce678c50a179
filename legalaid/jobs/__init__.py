"""Scheduled job ticks: the database, not the broker, knows every tick, so none is lost and none runs twice.

One row of ``job_runs`` per job and tick, keyed ``<job>:<scheduled_for in UTC>``. State machine of a tick
(``job_runs.status``)::

    scheduler records ──► scheduled ──claim──► running ──the work returns─────────────► succeeded
      (then sends it)      ▲  ▲  ▲               │
                           │  │  │               ├─ raises, attempts left ──► failed (due_at = now + backoff)
                           │  │  │               ├─ raises, none left ──────► dead (error kept)
                           │  │  │               └─ lease expired, none left ► dead (by the sweep)
                           │  │  └── sweep: lease expired (worker killed), attempts left ◄── running
                           │  └───── sweep: due, hand-off older than requeue_after (message lost): re-send
                           └──────── ``legalaid jobs retry`` ◄── dead     failed ──claim when due──► running

* **record**: the leader scheduler inserts the tick as ``scheduled`` (INSERT … ON CONFLICT DO NOTHING), with
  its task name and ``dispatched_at`` = now, commits, then sends the task. A second firing of the tick (two
  schedulers, a re-fire after a crash) finds the key taken and sends nothing.
* **claim**: one conditional UPDATE: ``scheduled``/``failed`` and due, or ``running`` with an expired lease
  and attempts left → ``running``, ``attempts + 1``, ``lease_until`` = now + lease. The worker owns the tick
  only if it changed one row. A tick nobody recorded (a task sent by hand; a scheduler that could not reach
  the database) is inserted as claimed. Anything else (succeeded, dead, running elsewhere, a retry not due
  yet) is a no-op: a redelivered or duplicated message does nothing.
* **attempts is the claim's fencing token**: the worker renews its lease every lease/3 while the work runs
  (``LeaseKeeper``; not past the task time limit, so a run hung where no limit applies lets its tick go),
  and records a failure only while its attempt number is still the row's. A success is recorded whatever
  the claim: the tick's work is done, a fact.
* **sweep** (the leader scheduler, every ``TickPolicy.sweep_every`` seconds): ``running`` rows whose lease
  expired go back to ``scheduled``, due now (or ``dead`` when their attempts are used up); every due
  ``scheduled`` or ``failed`` tick whose hand-off is missing or older than ``requeue_after`` is sent again.
  Every wait lives in the row (``due_at``, ``lease_until``), never in a Celery countdown.
* **succeeded** is final; **dead** is final until ``legalaid jobs retry``, which grants as many attempts
  again (``attempts_at_retry``; ``attempts`` itself never goes down, so an old claimant stays fenced out).
  ``legalaid status`` names every dead tick, and ticks stuck longer than its threshold.

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
