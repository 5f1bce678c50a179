"""APScheduler 3 with a persistent job store, whose jobs only enqueue a Celery task for their tick.

Two things APScheduler 3 does not do by itself, done here:

- It does not tell a job which tick it is running for. ``EnqueueExecutor`` passes each run its scheduled
  time, so the task can key its run ``<job>:<tick>`` and a second firing of the same tick does nothing.
- ``add_job(replace_existing=True)`` at start would overwrite the stored next run time and so drop a run
  missed while no scheduler was up. ``open_scheduler`` starts paused and reconciles the schedule table with
  the store instead (unchanged jobs keep their next run time), and the caller resumes it; the coalesced,
  missed tick then runs once if it is within the job's misfire grace.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from apscheduler.executors.base import BaseExecutor, run_job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine

from schedules.table import ScheduleEntry

log = logging.getLogger(__name__)

SendTask = Callable[..., Any]
# The stored jobs refer to this function by name, so a job store survives restarts and upgrades.
ENQUEUE = "schedules.scheduler:enqueue"
JOBS_TABLE = "apscheduler_jobs"


def enqueue(
    task: str, *, job: str, scheduled_for: datetime | None = None, send: SendTask | None = None
) -> None:
    """What every scheduled job does: send ``task`` its job id and tick; the worker does the work.

    ``scheduled_for`` and ``send`` come from EnqueueExecutor at each run (defaults only so that APScheduler
    accepts the stored job, whose arguments are just the task and the job id).
    """
    if scheduled_for is None or send is None:
        raise ValueError("enqueue runs through EnqueueExecutor, which passes scheduled_for and send")
    send(task, kwargs={"job": job, "scheduled_for": scheduled_for.isoformat()})
    log.info("enqueued %s for %s at %s", task, job, scheduled_for.isoformat())


class _Firing:
    """One tick of a stored job, shaped as APScheduler's ``run_job`` expects, with the tick passed in."""

    def __init__(self, job: Any, run_time: datetime, send: SendTask) -> None:
        self.id = job.id
        self.misfire_grace_time = job.misfire_grace_time
        self.func = job.func
        self.args = tuple(job.args)
        self.kwargs = {**job.kwargs, "scheduled_for": run_time, "send": send}
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
    """A thread-pool executor that hands each run its scheduled time and the task sender."""

    def __init__(self, send: SendTask, max_workers: int = 4) -> None:
        super().__init__()
        self._send = send
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers, thread_name_prefix="enqueue")

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        firings = [_Firing(job, run_time, self._send) for run_time in run_times]
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
    *, engine: Engine, entries: Sequence[ScheduleEntry], send: SendTask, tz: tzinfo
) -> tuple[LeaderScheduler, Reconciled]:
    """A started but paused scheduler on the persistent store, reconciled with the table; call resume()."""
    scheduler = LeaderScheduler(
        timezone=tz,
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)},
        executors={"default": EnqueueExecutor(send)},
        job_defaults={"coalesce": True, "max_instances": 1},
    )
    scheduler.start(paused=True)
    try:
        done = reconcile(scheduler, entries, tz)
    except BaseException:
        scheduler.shutdown(wait=False)
        raise
    return scheduler, done
