"""``legalaid.heartbeat``: proves that the scheduler fired and a worker ran the task (a row in job_runs).

Idempotent per tick: its only effect is the tick's own row, so running it again after a crash is harmless.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from celery import shared_task

from legalaid import jobs
from tasks._runtime import claimant, task_runtime

log = logging.getLogger(__name__)


@shared_task(name="legalaid.heartbeat", bind=True)  # type: ignore[untyped-decorator,unused-ignore]
def heartbeat(self: Any, *, job: str = "heartbeat", scheduled_for: str) -> None:
    """Record the run of tick ``scheduled_for`` (ISO 8601 with offset); a second delivery does nothing."""
    when = datetime.fromisoformat(scheduled_for)
    rt = task_runtime()
    hold = rt.settings.heartbeat_hold_seconds
    ran = jobs.heartbeat(rt.sessions, job=job, scheduled_for=when, hold_seconds=hold, **claimant(self, rt))
    if not ran:
        log.info("heartbeat %s already ran or is taken; nothing to do", jobs.run_key(job, when))
