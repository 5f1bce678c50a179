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
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from celery import shared_task

from legalaid import jobs
from legalaid.mail import dispatch_after_commit
from legalaid.reminders import run_reminders
from tasks._runtime import scheduled_run, task_runtime
from tasks.mail import send_deliveries

log = logging.getLogger(__name__)

SCAN = "legalaid.reminders.scan"


@shared_task(name=SCAN, bind=True)  # type: ignore[untyped-decorator,unused-ignore]  # celery is untyped
def scan(self: Any, *, job: str = "reminders", scheduled_for: str) -> int:
    """Run the scan for the tick ``scheduled_for`` (ISO 8601 with offset); returns the digests queued."""
    rt = task_runtime()
    when = datetime.fromisoformat(scheduled_for)
    as_of = when.astimezone(rt.settings.tz).date()

    def send(ids: Sequence[int]) -> None:
        send_deliveries(ids, app=self.app)

    with scheduled_run(self, job=job, scheduled_for=when) as run:
        if run is None:
            log.info("reminders %s already ran or is taken; nothing to do", jobs.run_key(job, when))
            return 0
        with rt.transaction() as session:
            report = run_reminders(session, rt.settings, as_of=as_of)
            dispatch_after_commit(session, report.outbox_ids, send)
    if not report.working_day:
        log.info("reminders: %s is not a working day; nothing sent", as_of.isoformat())
    else:
        log.info(
            "reminders %s: %d row(s), %d digest(s) queued",
            as_of.isoformat(),
            len(report.lines),
            len(report.outbox_ids),
        )
    return len(report.outbox_ids)
