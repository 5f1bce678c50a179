"""``legalaid.reports.publish`` (queue ``reports``): the scheduled reports, once per tick.

The schedule fires it every day; the business date is the tick's date in the center's time zone, and the
task asks ``legalaid.reports.publish_due`` whether that is the publication day of a report (the 5th working
day after a quarter ends, the 10th after a statistical year ends): a cron line cannot count working days.
Each report is sent once (the report_runs ledger); a failed one is recorded and tried again the next day.
The emails' outbox rows are handed to the mail queue once the run's reports are committed.

Idempotent per tick, so a tick run again after a crash (``legalaid.jobs``) sends nothing twice: each report
is marked sent in the report_runs ledger in the transaction that writes its emails to the outbox, and
``publish_due`` skips a report already sent (a report killed half-built is simply built again).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from celery import shared_task

from legalaid.reports import PublishReport, publish_due
from legalaid.runtime import Runtime
from tasks._scheduled import run_tick

log = logging.getLogger(__name__)

PUBLISH = "legalaid.reports.publish"


def _publish(rt: Runtime, at: datetime) -> PublishReport:
    # Each report commits its own transaction (one failure does not stop the others).
    return publish_due(rt, as_of=at.date())


@shared_task(name=PUBLISH, bind=True)  # type: ignore[untyped-decorator,unused-ignore]  # celery is untyped
def publish(self: Any, *, job: str = "reports", scheduled_for: str) -> int:
    """Send the reports due on the tick's business date; returns how many were sent."""
    report = run_tick(self, job=job, scheduled_for=scheduled_for, work=_publish)
    if report is None:
        return 0
    day = report.as_of.isoformat()
    if not report.periods:
        log.info("reports %s: no report falls due", day)
    for failure in report.failures:
        log.warning("reports %s: %s", day, failure)
    log.info(
        "reports %s: %s due; %d sent, %d failed",
        day,
        ", ".join(period.key for period in report.periods) or "nothing",
        report.sent,
        len(report.failures),
    )
    return report.sent
