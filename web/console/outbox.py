"""``/outbox``: the mail outbox by status, a page at a time; one message with its recipients, subject,
status, attempts, error and attachments; retry one message or every dead one.

The reads are ``legalaid.mail.views`` (what ``legalaid mail status``/``show`` and the API's outbox use),
the body's personal numbers masked; a retry is ``legalaid.mail.requeue`` in a transaction (``legalaid
mail retry ID`` / ``--dead``), then the hand-off to the broker after the commit (``workers.handoff``).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from legalaid.logs import mask_personal
from legalaid.mail import DEAD, QUEUED, requeue
from legalaid.mail.outbox import STATUSES, counts_by_status
from legalaid.mail.views import message_list, message_report
from legalaid.runtime import Runtime
from web.console.pages import ConsoleError, CsrfChecked, CurrentViewer, NavItem, render
from web.routes.outbox import MAX_ID
from web.state import AppRuntime
from workers.handoff import hand_over_queued

router = APIRouter()
NAV = NavItem("/outbox", "nav_outbox", order=40)
PAGE = 50
log = logging.getLogger(__name__)
_TIMES = ("created_at", "updated_at", "sent_at", "next_attempt_at", "lease_until", "enqueued_at")


@router.get("/outbox")
def outbox_page(
    request: Request,
    runtime: AppRuntime,
    _viewer: CurrentViewer,
    status: Annotated[str, Query()] = "",
    before_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> HTMLResponse:
    """Messages newest first, of one status or all (``before_id``: the next page, stable while mail
    arrives)."""
    return _list(request, runtime, status=status, before_id=before_id)


def _list(
    request: Request,
    runtime: Runtime,
    *,
    status: str = "",
    before_id: int | None = None,
    status_code: int = 200,
    retried: list[int] | None = None,
    note: str | None = None,
) -> HTMLResponse:
    chosen = status if status in STATUSES else None
    with runtime.sessions() as session:
        counts = counts_by_status(session)
        rows = message_list(session, status=chosen, limit=PAGE, before_id=before_id)
    messages = [_local(row, runtime) for row in rows]
    return render(
        request,
        "outbox.html",
        status_code=status_code,
        statuses=STATUSES,
        counts=counts,
        status=chosen or "",
        messages=messages,
        next_before_id=messages[-1]["id"] if len(messages) == PAGE else None,
        retried=retried,
        note=note,
    )


@router.get("/outbox/{outbox_id}", name="outbox_message")
def message_page(
    request: Request,
    runtime: AppRuntime,
    _viewer: CurrentViewer,
    outbox_id: Annotated[int, Path(ge=1, le=MAX_ID)],
) -> HTMLResponse:
    return _message(request, runtime, outbox_id)


def _message(
    request: Request,
    runtime: Runtime,
    outbox_id: int,
    *,
    retried: list[int] | None = None,
    note: str | None = None,
) -> HTMLResponse:
    settings = runtime.settings
    with runtime.sessions() as session:
        report = message_report(
            session, outbox_id, mail_from=settings.mail_from, sender_name=settings.center_name
        )
    if report is None:
        raise ConsoleError(404, "not_found")
    report = _local(report, runtime)
    report["text"] = mask_personal(report["text"])
    return render(
        request,
        "outbox_message.html",
        message=report,
        can_retry=report["status"] in (DEAD, QUEUED),
        retried=retried,
        note=note,
    )


@router.post("/outbox/{outbox_id}/retry")
def retry_one(
    request: Request,
    runtime: AppRuntime,
    viewer: CsrfChecked,
    outbox_id: Annotated[int, Path(ge=1, le=MAX_ID)],
) -> HTMLResponse:
    """``legalaid mail retry ID``: due now with a fresh retry horizon (a message sent or being sent is
    left alone), handed over after the commit."""
    with runtime.transaction() as session:
        ids = requeue(session, ids=[outbox_id])
    log.info("outbox %s retried by user %s: %s requeued", outbox_id, viewer.code, len(ids))
    return _message(request, runtime, outbox_id, retried=ids, note=hand_over_queued(runtime, ids))


@router.post("/outbox/retry-dead")
def retry_dead(request: Request, runtime: AppRuntime, viewer: CsrfChecked) -> HTMLResponse:
    """``legalaid mail retry --dead``: every dead message due now again, handed over after the commit."""
    with runtime.transaction() as session:
        ids = requeue(session, dead=True)
    log.info("dead outbox messages retried by user %s: %s requeued", viewer.code, len(ids))
    return _list(request, runtime, status=QUEUED, retried=ids, note=hand_over_queued(runtime, ids))


def _local(row: dict[str, Any], runtime: Runtime) -> dict[str, Any]:
    """The row with its times as the center's local minutes (they come as ISO text in UTC)."""
    out = dict(row)
    tz = runtime.settings.tz
    for name in _TIMES:
        if isinstance(out.get(name), str):
            out[name] = datetime.fromisoformat(out[name]).astimezone(tz).strftime("%Y-%m-%d %H:%M")
    return out
