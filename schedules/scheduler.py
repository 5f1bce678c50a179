"""APScheduler 3 with a persistent job store, whose jobs only enqueue a Celery task for their tick.

Two things APScheduler 3 does not do by itself, done here:

- It does not tell a job which tick it is running for. ``EnqueueExecutor`` passes each run its scheduled
  time, so the tick is keyed ``<job>:<tick>``: ``enqueue`` records it in ``job_runs`` (``scheduled``) before
  sending the task, and a second firing of the same tick finds it recorded and sends nothing. From then on
  the database knows the tick: the leader's sweep (``schedules.dispatch``) sends it again if the message is
  lost or its worker dies (the state machine is in ``legalaid.jobs``).
- ``add_job(replace_existing=True)`` at start would overwrite the stored next run time and so drop a run
  missed while no scheduler was up. ``open_scheduler`` starts paused and reconciles the schedule table with
  the store instead (unchanged jobs keep their next run time), and the caller resumes it; the coalesced,
  missed tick then runs once if it is within the job's misfire grace.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from apscheduler.executors.base import BaseExecutor, run_job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from sqlalchemy import Engine

from legalaid.jobs import run_key
from schedules.dispatch import SendTask, TickDispatcher
from schedules.table import ScheduleEntry

log = logging.getLogger(__name__)

# The stored jobs refer to this function by name, so a job store survives restarts and upgrades.
ENQUEUE = "schedules.scheduler:enqueue"
JOBS_TABLE = "apscheduler_jobs"


def enqueue(
    task: str,
    *,
    job: str,
    scheduled_for: datetime | None = None,
    send: SendTask | None = None,
    ticks: TickDispatcher | None = None,
) -> None:
    """What every scheduled job does: record the tick, then send ``task`` its job id and tick; the worker
    does the work.

    ``scheduled_for``, ``send`` and ``ticks`` come from EnqueueExecutor at each run (defaults only so that
    APScheduler accepts the stored job, whose arguments are just the task and the job id). A tick already
    recorded is not sent again. When the database cannot be reached the task is sent all the same: the
    worker records the tick when it claims it, and the message waits in the broker meanwhile.
    """
    if scheduled_for is None or send is None:
        raise ValueError("enqueue runs through EnqueueExecutor, which passes scheduled_for and send")
    key = run_key(job, scheduled_for)
    run_id: int | None = None
    if ticks is not None:
        try:
            run_id = ticks.record(task, job, scheduled_for)
        except Exception as exc:
            log.warning("%s: cannot record the tick (%s); sending it unrecorded", key, exc)
        else:
            if run_id is None:
                log.info("%s is recorded already (a second firing); not sent again", key)
                return
    try:
        sent = send(task, kwargs={"job": job, "scheduled_for": scheduled_for.isoformat()})
    except BaseException:
        if ticks is not None and run_id is not None:
            ticks.hand_back([run_id])  # the next sweep sends it once the broker is back
        raise
    # The task id and the job on the line: the worker's lines of this run carry the same (legalaid.logs).
    context = {"job": job, "task_id": getattr(sent, "id", None)}
    log.info("enqueued %s for %s at %s", task, job, scheduled_for.isoformat(), extra=context)


class _Firing:
    """One tick of a stored job, shaped as APScheduler's ``run_job`` expects, with the tick passed in."""

    def __init__(self, job: Any, run_time: datetime, send: SendTask, ticks: TickDispatcher | None) -> None:
        self.id = job.id
        self.misfire_grace_time = job.misfire_grace_time
        self.func = job.func
        self.args = tuple(job.args)
        self.kwargs = {**job.kwargs, "scheduled_for": run_time, "send": send, "ticks": ticks}
        self._label = f"{job.id} @ {run_time.isoformat()}"

    def __str__(self) -> str:
        return self._label


def _run_firings(firings: list[_Firing], alias: str, run_times: list[datetime], logger: str) -> list[Any]:
    events: list[Any] = []
    for firing, run_time in zip(firings, run_times, strict=True):
        # run_job checks the misfire grace against the tick, logs, and returns the scheduler's events.
        events += run_job(firing, alias, [run_time], logger)
    return events


class EnqueueExecutor(BaseExecutor):  # type: ignore[misc]  # APScheduler 3 is untyped
    """A thread-pool executor that hands each run its scheduled time, the sender and the tick recorder."""

    def __init__(self, send: SendTask, ticks: TickDispatcher | None = None, max_workers: int = 4) -> None:
        super().__init__()
        self._send = send
        self._ticks = ticks
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers, thread_name_prefix="enqueue")

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        firings = [_Firing(job, run_time, self._send, self._ticks) for run_time in run_times]
        future = self._pool.submit(_run_firings, firings, job._jobstore_alias, run_times, self._logger.name)
        future.add_done_callback(lambda done: self._finished(job.id, done))

    def _finished(self, job_id: str, future: concurrent.futures.Future[list[Any]]) -> None:
        exc = future.exception()
        if exc is not None:
            self._run_job_error(job_id, exc, exc.__traceback__)
        else:
            self._run_job_success(job_id, future.result())

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait)


class LeaderScheduler(BackgroundScheduler):  # type: ignore[misc]  # APScheduler 3 is untyped
    """A BackgroundScheduler that says when its loop died (a job store error ends it silently otherwise)."""

    def __init__(self, **options: Any) -> None:
        self.crashed = threading.Event()
        super().__init__(**options)

    def _main_loop(self) -> None:
        try:
            super()._main_loop()
        except Exception:
            log.exception("the scheduler loop failed")
            self.crashed.set()

    def _process_jobs(self) -> float | None:
        # APScheduler 3's loop runs one more round after shutdown() has stopped the executors (even a paused
        # scheduler's): a tick due then fails to submit yet is marked done in the store, so the next leader
        # would not make it up. Check the state under the job store lock, which shutdown() takes before it
        # stops the executors: a round either runs whole before the shutdown or not at all.
        with self._jobstores_lock:
            if self.state == STATE_STOPPED:
                return None
            wait: float | None = super()._process_jobs()
            return wait


@dataclass
class Reconciled:
    """What reconciling the schedule table with the job store did, by job id."""

    kept: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def _job_options(entry: ScheduleEntry, tz: tzinfo) -> dict[str, Any]:
    return {
        "id": entry.id,
        "name": entry.id,
        "trigger": entry.trigger(tz),
        "args": (entry.task,),
        "kwargs": {"job": entry.id},
        "misfire_grace_time": entry.misfire_grace,
        "coalesce": True,
        "max_instances": 1,
    }


def reconcile(scheduler: Any, entries: Sequence[ScheduleEntry], tz: tzinfo) -> Reconciled:
    """Make the stored jobs match the table, keeping the next run time of every unchanged job."""
    done = Reconciled()
    stored = {job.id: job for job in scheduler.get_jobs()}
    for entry in entries:
        options = _job_options(entry, tz)
        job = stored.pop(entry.id, None)
        if job is None:
            scheduler.add_job(ENQUEUE, **options)
            done.added.append(entry.id)
        elif (job.func_ref, tuple(job.args), dict(job.kwargs), repr(job.trigger)) != (
            ENQUEUE,
            options["args"],
            options["kwargs"],
            repr(options["trigger"]),
        ):
            # What or when changed: a new job, whose first run is the next tick of the new trigger.
            scheduler.add_job(ENQUEUE, replace_existing=True, **options)
            done.replaced.append(entry.id)
        elif (job.misfire_grace_time, job.coalesce, job.max_instances) != (entry.misfire_grace, True, 1):
            scheduler.modify_job(
                entry.id, misfire_grace_time=entry.misfire_grace, coalesce=True, max_instances=1
            )
            done.updated.append(entry.id)
        else:
            done.kept.append(entry.id)
    for job_id in stored:
        scheduler.remove_job(job_id)
        done.removed.append(job_id)
    return done


def open_scheduler(
    *,
    engine: Engine,
    entries: Sequence[ScheduleEntry],
    send: SendTask,
    tz: tzinfo,
    ticks: TickDispatcher | None = None,
) -> tuple[LeaderScheduler, Reconciled]:
    """A started but paused scheduler on the persistent store, reconciled with the table; call resume().

    Each firing records its tick through ``ticks`` (by default one on ``engine`` with the default policy).
    """
    ticks = ticks or TickDispatcher(engine=engine, entries=entries, send=send)
    scheduler = LeaderScheduler(
        timezone=tz,
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)},
        executors={"default": EnqueueExecutor(send, ticks)},
        job_defaults={"coalesce": True, "max_instances": 1},
    )
    scheduler.start(paused=True)
    try:
        done = reconcile(scheduler, entries, tz)
    except BaseException:
        scheduler.shutdown(wait=False)
        raise
    return scheduler, done
