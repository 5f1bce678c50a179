"""``legalaid.roster.*`` (queue ``default``): the arbitration desk's scheduled notices, once per tick.

* ``week_ahead``: daily; on the last working day of a week it queues next week's roster (the task asks the
  calendar, so a 调休 Saturday or a Friday holiday moves it).
* ``day_before``: hourly; from ``roster_notice_hour`` on (``legalaid.roster.day_before`` decides, given the
  tick's hour), the day-before notices whose day has come. Later ticks of the same day send only what is
  new (a duty swapped in the evening).
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
from typing import Any

from celery import shared_task

from legalaid.roster import NoticeRun, alerts, day_before, month_report, week_ahead
from tasks._scheduled import Work, at_the_hour, on_the_day, run_tick

log = logging.getLogger(__name__)

WEEK_AHEAD = "legalaid.roster.week_ahead"
DAY_BEFORE = "legalaid.roster.day_before"
CHECK = "legalaid.roster.check"
MONTH_REPORT = "legalaid.roster.month_report"


def _run(task: Any, work: Work[NoticeRun], *, job: str, scheduled_for: str) -> int:
    report = run_tick(task, job=job, scheduled_for=scheduled_for, work=work)
    if report is None:
        return 0
    for problem in report.problems:
        log.warning("%s %s: %s", report.kind, report.as_of, problem)
    note = f" ({report.note})" if report.note else ""
    log.info("%s %s: %d message(s) queued%s", job, report.as_of, len(report.outbox_ids), note)
    return len(report.outbox_ids)


@shared_task(name=WEEK_AHEAD, bind=True)  # type: ignore[untyped-decorator,unused-ignore]  # celery is untyped
def week_ahead_task(self: Any, *, job: str = "roster-week-ahead", scheduled_for: str) -> int:
    """Next week's roster, if the tick's day is the last working day of its week; returns messages queued."""
    return _run(self, on_the_day(week_ahead), job=job, scheduled_for=scheduled_for)


@shared_task(name=DAY_BEFORE, bind=True)  # type: ignore[untyped-decorator,unused-ignore]
def day_before_task(self: Any, *, job: str = "roster-day-before", scheduled_for: str) -> int:
    """The day-before notices due at the tick (none before ``roster_notice_hour``: the domain says so)."""
    return _run(self, at_the_hour(day_before), job=job, scheduled_for=scheduled_for)


@shared_task(name=CHECK, bind=True)  # type: ignore[untyped-decorator,unused-ignore]
def check_task(self: Any, *, job: str = "roster-check", scheduled_for: str) -> int:
    """The daily roster check: new problems to the coordinator, each once."""
    return _run(self, on_the_day(alerts), job=job, scheduled_for=scheduled_for)


@shared_task(name=MONTH_REPORT, bind=True)  # type: ignore[untyped-decorator,unused-ignore]
def month_report_task(self: Any, *, job: str = "roster-month-report", scheduled_for: str) -> int:
    """Last month's desk report, if the tick's day is the first working day of its month."""
    return _run(self, on_the_day(month_report), job=job, scheduled_for=scheduled_for)
