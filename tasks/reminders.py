"""``legalaid.reminders.scan`` (queue ``default``): the daily follow-up scan, once per tick.

The schedule fires it every day at 08:30 in the center's time zone; the business date is the tick's date
there, and on a day off the scan sends nothing (``run_reminders`` says so). The digests' outbox rows are
handed to the mail queue once the scan's transaction has committed; a lost hand-off is the sweeper's.

Idempotent per tick, so a tick run again after a crash (``legalaid.jobs``) sends nothing twice: the scan is
one transaction (killed before the commit, nothing was written); after it, the reminders ledger holds every
item mailed and the outbox every digest by key, so a second scan of the day finds nothing new.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from legalaid.reminders import run_reminders
from tasks._scheduled import on_the_day, run_tick

log = logging.getLogger(__name__)

SCAN = "legalaid.reminders.scan"


@shared_task(name=SCAN, bind=True)  # type: ignore[untyped-decorator,unused-ignore]  # celery is untyped
def scan(self: Any, *, job: str = "reminders", scheduled_for: str) -> int:
    """Run the scan for the tick ``scheduled_for`` (ISO 8601 with offset); returns the digests queued."""
    report = run_tick(self, job=job, scheduled_for=scheduled_for, work=on_the_day(run_reminders))
    if report is None:
        return 0
    if not report.working_day:
        log.info("reminders: %s is not a working day; nothing sent", report.as_of.isoformat())
    else:
        log.info(
            "reminders %s: %d row(s), %d digest(s) queued",
            report.as_of.isoformat(),
            len(report.lines),
            len(report.outbox_ids),
        )
    return len(report.outbox_ids)
