"""``legalaid.roster.*`` (queue ``default``): the arbitration desk's scheduled notices, once per tick.

* ``week_ahead``: daily; on the last working day of a week it queues next week's roster (the task asks the
  calendar, so a 调休 Saturday or a Friday holiday moves it).
* ``day_before``: hourly; from ``roster_notice_hour`` on, the day-before notices whose day has come. Later
  ticks of the same day send only what is new (a duty swapped in the evening).
* ``check``: daily; the roster's new problems to the coordinator, each once.
* ``month_report``: daily; on the first working day of a month, last month's desk report (quality, duties,
  problems, consultations) to the coordinators and the head of the center.

The business date is the tick's date in the center's time zone. The outbox rows are handed to the mail
queue once the transaction has committed; a lost hand-off is the sweeper's.

Idempotent per tick, so a tick run again after a crash (``legalaid.jobs``) sends nothing twice: each run
is one transaction, every message has an outbox key that names it (``roster:weekahead:<monday>:<person>``,
``roster:daybefore:<day>:<slot>:<person>:<version>``, ``roster:alerts:…``, ``roster:month:<month>:<person>``)
and every problem alerted is a ``roster_alerts`` row: a second run finds them and adds nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from celery import shared_task
from sqlalchemy.orm import Session

from legalaid import jobs
from legalaid.config import Settings
from legalaid.mail import dispatch_after_commit
from legalaid.roster import NoticeRun, alerts, day_before, month_report, week_ahead
from tasks._runtime import scheduled_run, task_runtime
from tasks.mail import send_deliveries

log = logging.getLogger(__name__)

WEEK_AHEAD = "legalaid.roster.week_ahead"
DAY_BEFORE = "legalaid.roster.day_before"
CHECK = "legalaid.roster.check"
MONTH_REPORT = "legalaid.roster.month_report"

Notifier = Callable[..., NoticeRun]


def _run(task: Any, notifier: Notifier, *, job: str, scheduled_for: str, hour_gate: bool = False) -> int:
    rt = task_runtime()
    when = datetime.fromisoformat(scheduled_for)
    local = when.astimezone(rt.settings.tz)

    def send(ids: Sequence[int]) -> None:
        send_deliveries(ids, app=task.app)

    with scheduled_run(task, job=job, scheduled_for=when) as run:
        if run is None:
            log.info("%s already ran or is taken; nothing to do", jobs.run_key(job, when))
            return 0
        if hour_gate and local.hour < rt.settings.roster_notice_hour:
            return 0
        with rt.transaction() as session:
            report = _notify(notifier, session, rt.settings, local.date())
            dispatch_after_commit(session, report.outbox_ids, send)
    log.info("%s %s: %d message(s) queued%s", job, local.date(), len(report.outbox_ids), _note(report))
    return len(report.outbox_ids)


def _notify(notifier: Notifier, session: Session, settings: Settings, as_of: date) -> NoticeRun:
    report = notifier(session, settings, as_of=as_of)
    for problem in report.problems:
        log.warning("%s %s: %s", report.kind, as_of, problem)
    return report


def _note(report: NoticeRun) -> str:
    return f" ({report.note})" if report.note else ""


@shared_task(name=WEEK_AHEAD, bind=True)  # type: ignore[untyped-decorator,unused-ignore]  # celery is untyped
def week_ahead_task(self: Any, *, job: str = "roster-week-ahead", scheduled_for: str) -> int:
    """Next week's roster, if the tick's day is the last working day of its week; returns messages queued."""
    return _run(self, week_ahead, job=job, scheduled_for=scheduled_for)


@shared_task(name=DAY_BEFORE, bind=True)  # type: ignore[untyped-decorator,unused-ignore]
def day_before_task(self: Any, *, job: str = "roster-day-before", scheduled_for: str) -> int:
    """The day-before notices due at the tick (none before ``roster_notice_hour``)."""
    return _run(self, day_before, job=job, scheduled_for=scheduled_for, hour_gate=True)


@shared_task(name=CHECK, bind=True)  # type: ignore[untyped-decorator,unused-ignore]
def check_task(self: Any, *, job: str = "roster-check", scheduled_for: str) -> int:
    """The daily roster check: new problems to the coordinator, each once."""
    return _run(self, alerts, job=job, scheduled_for=scheduled_for)


@shared_task(name=MONTH_REPORT, bind=True)  # type: ignore[untyped-decorator,unused-ignore]
def month_report_task(self: Any, *, job: str = "roster-month-report", scheduled_for: str) -> int:
    """Last month's desk report, if the tick's day is the first working day of its month."""
    return _run(self, month_report, job=job, scheduled_for=scheduled_for)
