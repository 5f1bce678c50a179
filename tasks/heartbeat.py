"""``legalaid.heartbeat``: proves that the scheduler fired and a worker ran the task (a row in job_runs)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from celery import shared_task

from legalaid import jobs
from tasks._runtime import task_runtime

log = logging.getLogger(__name__)


@shared_task(name="legalaid.heartbeat", bind=True)  # type: ignore[untyped-decorator,unused-ignore]
def heartbeat(self: Any, *, job: str = "heartbeat", scheduled_for: str) -> None:
    """Record the run of tick ``scheduled_for`` (ISO 8601 with offset); a second delivery does nothing."""
    when = datetime.fromisoformat(scheduled_for)
    ran = jobs.heartbeat(
        task_runtime().sessions,
        job=job,
        scheduled_for=when,
        worker=self.request.hostname,
        task_id=self.request.id,
    )
    if not ran:
        log.info("heartbeat %s already ran; nothing to do", jobs.run_key(job, when))
