"""``GET /api/v1/health``: the checks of ``legalaid status``, for a load balancer or a monitor.

No token: it tells nothing secret (URLs are shown with their passwords masked, as ``legalaid status`` shows
them). 200 when every check is ok, 503 when something needs a person, with the same body.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from legalaid.errors import UserError
from legalaid.models import utcnow
from legalaid.status import Check, collect_status
from schedules.table import load_schedule, schedule_path
from web.state import AppRuntime
from workers.routing import QUEUES  # the queue names only: no Celery app is built

router = APIRouter(tags=["health"])


class CheckOut(BaseModel):
    name: str
    ok: bool
    summary: str
    detail: dict[str, Any]


class Health(BaseModel):
    ok: bool
    checks: list[CheckOut]


@router.get(
    "/health",
    response_model=Health,
    summary="Whether every part is up",
    responses={503: {"model": Health, "description": "Something needs a person (see the failing checks)"}},
)
def health(runtime: AppRuntime) -> JSONResponse:
    """The checks of `legalaid status`: database, broker, SMTP, scheduler, outbox, jobs."""
    try:
        jobs = [entry.id for entry in load_schedule(schedule_path(runtime.settings))]
        broken = None
    except UserError as exc:
        jobs, broken = [], Check("schedule", False, str(exc))
    report = collect_status(runtime, queues=QUEUES, now=utcnow(), scheduled_jobs=jobs)
    if broken is not None:
        report.checks.append(broken)
    body = Health.model_validate(report.as_dict())
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if report.ok else 503)
