"""``GET /api/v1/jobs``: the schedule table with each job's last and next run, and the ticks not done:
what ``legalaid jobs status`` shows.

The pattern for an endpoint: a scope (``Reader``), the runtime, one read of the domain's own functions in
a session (never a second implementation), and a response model whose times are in the center's zone.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from legalaid import jobs
from legalaid.errors import UserError
from legalaid.models import JobRun, utcnow
from legalaid.runtime import Runtime
from legalaid.status import STUCK_AFTER
from schedules.table import ScheduleEntry, load_schedule, schedule_path
from web.auth import Reader
from web.state import AppRuntime, local_time

router = APIRouter(tags=["jobs"])


class Tick(BaseModel):
    key: str
    job: str
    status: str
    attempts: int
    scheduled_for: datetime
    due_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    worker: str | None
    error: str | None


class Job(BaseModel):
    job: str
    task: str
    cron: str
    comment: str
    last_run: Tick | None
    next_run: datetime | None


class Jobs(BaseModel):
    jobs: list[Job]
    unfinished: list[Tick]
    problems: list[str]


@router.get("/jobs", response_model=Jobs, summary="The scheduled jobs and the ticks not done")
def list_jobs(runtime: AppRuntime, _caller: Reader) -> Jobs:
    """Each job of the schedule table with its last run and next run, the dead, failed, waiting and
    running ticks (newest first, at most 100), and one line per job that needs a person."""
    return jobs_table(runtime)


def jobs_table(runtime: Runtime) -> Jobs:
    """What ``GET /jobs`` answers, for the console's Jobs page too (one reading of the table)."""
    problems: list[str] = []
    try:
        entries = load_schedule(schedule_path(runtime.settings))
    except UserError as exc:
        entries, problems = [], [str(exc)]
    now = utcnow()
    with runtime.sessions() as session:
        last = {run.job: _tick(run, runtime) for run in jobs.last_runs(session)}
        open_ticks = [_tick(run, runtime) for run in jobs.unfinished(session)]
        problems += jobs.needing_attention(session, now=now, stuck_after=STUCK_AFTER)
    listed = [_job(entry, last.pop(entry.id, None), runtime, now) for entry in entries]
    # A job no longer in the table but with runs recorded is still shown: its ticks happened.
    listed += [
        Job(job=name, task="", cron="", comment="not in the schedule table", last_run=tick, next_run=None)
        for name, tick in sorted(last.items())
    ]
    return Jobs(jobs=listed, unfinished=open_ticks, problems=problems)


def _job(entry: ScheduleEntry, last: Tick | None, runtime: Runtime, now: datetime) -> Job:
    next_run = entry.trigger(runtime.settings.tz).get_next_fire_time(None, now)
    return Job(
        job=entry.id,
        task=entry.task,
        cron=entry.cron,
        comment=entry.comment,
        last_run=last,
        next_run=local_time(next_run, runtime),
    )


def _tick(run: JobRun, runtime: Runtime) -> Tick:
    scheduled_for = local_time(run.scheduled_for, runtime)
    assert scheduled_for is not None
    return Tick(
        key=run.key,
        job=run.job,
        status=run.status,
        attempts=run.attempts - run.attempts_at_retry,
        scheduled_for=scheduled_for,
        due_at=local_time(run.due_at, runtime),
        started_at=local_time(run.started_at, runtime),
        finished_at=local_time(run.finished_at, runtime),
        worker=run.worker,
        error=run.error,
    )
