"""``/jobs``: the schedule table with each job's last and next run, the ticks not done, the jobs that
need a person, and a button that schedules a dead (or failed) tick again.

The table is ``web.routes.jobs.jobs_table`` (what ``GET /api/v1/jobs`` and ``legalaid jobs status``
show); the retry is ``legalaid.jobs.retry`` (``legalaid jobs retry KEY``): due now with a fresh allowance
of attempts, sent by the leader scheduler's next sweep.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from legalaid import jobs
from legalaid.runtime import Runtime
from web.console.pages import CsrfChecked, CurrentViewer, NavItem, render
from web.routes.jobs import jobs_table
from web.state import AppRuntime

router = APIRouter()
NAV = NavItem("/jobs", "nav_jobs", order=70)
log = logging.getLogger(__name__)
RETRIABLE = (jobs.DEAD, jobs.FAILED)


@router.get("/jobs")
def jobs_page(request: Request, runtime: AppRuntime, _viewer: CurrentViewer) -> HTMLResponse:
    return _page(request, runtime)


def _page(
    request: Request, runtime: Runtime, *, retried: list[str] | None = None, key: str = ""
) -> HTMLResponse:
    table = jobs_table(runtime)
    return render(
        request,
        "jobs.html",
        table=table,
        retriable=RETRIABLE,
        minute=_minute,
        retried=retried,
        key=key,
    )


def _minute(value: datetime | None) -> str:
    """A time of the table (already in the center's zone) to the minute; ``—`` for none."""
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else "—"


@router.post("/jobs/retry")
def retry(
    request: Request, runtime: AppRuntime, viewer: CsrfChecked, key: Annotated[str, Form()] = ""
) -> HTMLResponse:
    """One dead or failed tick scheduled again; a tick in another state (or none) is left alone and the
    page says nothing was retried."""
    with runtime.transaction() as session:
        chosen = jobs.retry(session, keys=[key.strip()]) if key.strip() else []
    log.info("tick %r retried by user %s: %s scheduled", key, viewer.code, len(chosen))
    return _page(request, runtime, retried=chosen, key=key.strip())
