"""``/api/v1/outbox``: the mail outbox a page at a time, one message as ``legalaid mail show`` shows it,
and a retry as ``legalaid mail retry ID`` does it (requeue, commit, then hand over to the broker)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from legalaid.logs import mask_personal
from legalaid.mail import DEAD, QUEUED, requeue
from legalaid.mail.views import message_list, message_report
from legalaid.runtime import Runtime
from web.auth import Reader, Writer
from web.problems import ApiProblem, responses
from web.state import AppRuntime, local_time
from workers.handoff import hand_over_queued

router = APIRouter(tags=["outbox"])

MAX_ID = 2**63 - 1  # a BIGINT: a bigger number names no message
OutboxId = Annotated[int, Path(ge=1, le=MAX_ID, description="The outbox id")]


class MessageRow(BaseModel):
    id: int
    key: str
    kind: str
    status: str
    to: list[str]
    cc: list[str]
    subject: str
    attempts: int
    last_error: str | None
    created_at: datetime | None
    updated_at: datetime | None
    sent_at: datetime | None


class MessagePage(BaseModel):
    messages: list[MessageRow]
    next_before_id: int | None  # the next page: ?before_id=…; null on the last page


class AttachmentOut(BaseModel):
    filename: str
    content_type: str
    size: int  # bytes


class MessageOut(BaseModel):
    id: int
    key: str
    kind: str
    status: str
    attempts: int
    message_id: str
    to: list[str]
    cc: list[str]
    subject: str
    headers: dict[str, str]
    last_error: str | None
    created_at: datetime | None
    updated_at: datetime | None
    next_attempt_at: datetime | None
    lease_until: datetime | None
    enqueued_at: datetime | None
    sent_at: datetime | None
    attachments: list[AttachmentOut]
    text: str  # the plain-text body, ID-card and mobile numbers masked


class Retried(BaseModel):
    queued: list[int]
    note: str | None  # how it gets delivered when no broker took it at once


_TIMES = ("created_at", "updated_at", "sent_at", "next_attempt_at", "lease_until", "enqueued_at")


def _local(row: dict[str, Any], runtime: Runtime) -> dict[str, Any]:
    """The row with its times in the center's zone (they come as ISO text in UTC)."""
    out = dict(row)
    for name in _TIMES:
        if isinstance(out.get(name), str):
            out[name] = local_time(datetime.fromisoformat(out[name]), runtime)
    return out


@router.get("/outbox", response_model=MessagePage, summary="The outbox, newest first, a page at a time")
def list_outbox(
    runtime: AppRuntime,
    _caller: Reader,
    status: Annotated[Literal["queued", "sending", "sent", "dead"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="The last id of the previous page")
    ] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> MessagePage:
    """Messages by id, newest first, optionally of one status; no bodies. Page with ``before_id`` (the
    previous page's ``next_before_id``: stable while new mail arrives) or ``offset``, not both."""
    if before_id is not None and offset:
        raise ApiProblem(422, "before_id, offset: give one of them")
    with runtime.sessions() as session:
        rows = message_list(session, status=status, limit=limit, before_id=before_id, offset=offset)
    messages = [MessageRow.model_validate(_local(row, runtime)) for row in rows]
    return MessagePage(messages=messages, next_before_id=messages[-1].id if len(messages) == limit else None)


_ONE = "One message: recipients, status, attempts, last error, attachments"


# The response model of each route is its return annotation (FastAPI reads it).
@router.get("/outbox/{outbox_id}", summary=_ONE, responses=responses(404))
def show_message(outbox_id: OutboxId, runtime: AppRuntime, _caller: Reader) -> MessageOut:
    """What `legalaid mail show ID --json` prints: headers as sent, recipients, status, attempts, last
    error, attachments' names and sizes (never their bytes), and the text body with personal numbers
    masked."""
    with runtime.sessions() as session:
        report = _report(session, runtime, outbox_id)
    report["text"] = mask_personal(report["text"])
    return MessageOut.model_validate(_local(report, runtime))


@router.post(
    "/outbox/{outbox_id}/retry", summary="Send a dead (or waiting) message again", responses=responses(404)
)
def retry_message(outbox_id: OutboxId, runtime: AppRuntime, _caller: Writer) -> Retried:
    """`legalaid mail retry ID`: due now with a fresh retry horizon, handed to the broker after the
    commit. A message sent or being sent is 409, with the one line the command line prints."""
    with runtime.transaction() as session:
        report = _report(session, runtime, outbox_id)
        if report["status"] not in (DEAD, QUEUED):
            when = report["sent_at"] or report["lease_until"]
            raise ApiProblem(409, f"outbox {outbox_id} is {report['status']} ({when}); nothing to retry")
        ids = requeue(session, ids=[outbox_id])
    return Retried(queued=ids, note=hand_over_queued(runtime, ids))


def _report(session: Any, runtime: Runtime, outbox_id: int) -> dict[str, Any]:
    settings = runtime.settings
    report = message_report(
        session, outbox_id, mail_from=settings.mail_from, sender_name=settings.center_name
    )
    if report is None:
        raise ApiProblem(404, f"no outbox message {outbox_id}")
    return report
