"""``legalaid.reports.publish`` (queue ``reports``): the scheduled reports, once per tick.

The schedule fires it every day; the business date is the tick's date in the center's time zone, and the
task asks ``legalaid.reports.publish_due`` whether that is the publication day of a report (the 5th working
day after a quarter ends, the 10th after a statistical year ends): a cron line cannot count working days.
Each report is sent once (the report_runs ledger); a failed one is recorded and tried again the next day.
The emails' outbox rows are handed to the mail queue once each report's transaction has committed.

Idempotent per tick, so a tick run again after a crash (``legalaid.jobs``) sends nothing twice: each report
is marked sent in the report_runs ledger in the transaction that writes its emails to the outbox, and
``publish_due`` skips a report already sent (a report killed half-built is simply built again).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from celery import shared_task
from sqlalchemy.orm import Session

from legalaid import jobs
from legalaid.mail import dispatch_after_commit
from legalaid.reports import publish_due
from tasks._runtime import scheduled_run, task_runtime
from tasks.mail import send_deliveries

log = logging.getLogger(__name__)

PUBLISH = "legalaid.reports.publish"


@shared_task(name=PUBLISH, bind=True)  # type: ignore[untyped-decorator,unused-ignore]  # celery is untyped
def publish(self: Any, *, job: str = "reports", scheduled_for: str) -> int:
    """Send the reports due on the tick's business date; returns how many were sent."""
    rt = task_runtime()
    when = datetime.fromisoformat(scheduled_for)
    as_of = when.astimezone(rt.settings.tz).date()

    def hand_over(session: Session, ids: Sequence[int]) -> None:
        dispatch_after_commit(session, ids, lambda committed: send_deliveries(committed, app=self.app))

    with scheduled_run(self, job=job, scheduled_for=when) as run:
        if run is None:
            log.info("reports %s already ran or is taken; nothing to do", jobs.run_key(job, when))
            return 0
        report = publish_due(rt, as_of=as_of, on_queued=hand_over)
    if not report.periods:
        log.info("reports %s: no report falls due", as_of.isoformat())
    for failure in report.failures:
        log.warning("reports %s: %s", as_of.isoformat(), failure)
    log.info(
        "reports %s: %s due; %d sent, %d failed",
        as_of.isoformat(),
        ", ".join(period.key for period in report.periods) or "nothing",
        report.sent,
        len(report.failures),
    )
    return report.sent
