"""What ``legalaid mail status`` and ``legalaid mail show`` report: plain dicts, ready for JSON.

Never a secret: the outbox holds none (the SMTP password is not stored, error texts are scrubbed), and
the bodies were masked when enqueued.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from legalaid.mail import outbox
from legalaid.mail.compose import compose
from legalaid.mail.failures import PermanentFailure
from legalaid.models.outbox import OutboxAttachment, OutboxMessage

SHOWN_HEADERS = ("From", "To", "Cc", "Subject", "Date", "Message-ID")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def status_report(session: Session, *, now: datetime, dead_limit: int = 50) -> dict[str, Any]:
    """Counts by status, the age of the oldest queued message, and the dead ones with their errors."""
    # min() keeps the column's type, so the value comes back as an aware UTC datetime on SQLite too.
    oldest_at: datetime | None = session.execute(
        select(func.min(OutboxMessage.created_at)).where(OutboxMessage.status == outbox.QUEUED)
    ).scalar_one_or_none()
    due = session.execute(
        select(func.count()).where(
            OutboxMessage.status == outbox.QUEUED, OutboxMessage.next_attempt_at <= now
        )
    ).scalar_one()
    dead = session.execute(
        select(OutboxMessage)
        .where(OutboxMessage.status == outbox.DEAD)
        .order_by(OutboxMessage.id)
        .limit(dead_limit)
    ).scalars()
    return {
        "counts": outbox.counts_by_status(session),
        "due_now": int(due),
        "oldest_queued_at": _iso(oldest_at),
        "oldest_queued_age_seconds": round((now - oldest_at).total_seconds()) if oldest_at else None,
        "dead": [
            {
                "id": row.id,
                "key": row.idempotency_key,
                "to": row.to_addrs + row.cc_addrs,
                "subject": row.subject,
                "attempts": row.attempts,
                "last_error": row.last_error,
                "updated_at": _iso(row.updated_at),
            }
            for row in dead
        ],
    }


def message_report(
    session: Session, outbox_id: int, *, mail_from: str, sender_name: str = ""
) -> dict[str, Any] | None:
    """One message as the outbox holds it and as it goes out (headers), without attachment bytes."""
    # The columns, not an ORM object: `mail show` and GET /api/v1/outbox/{id} only read them.
    row = session.execute(
        select(*OutboxMessage.__table__.columns).where(OutboxMessage.id == outbox_id)
    ).one_or_none()
    if row is None:
        return None
    attachments = session.execute(
        select(
            OutboxAttachment.filename, OutboxAttachment.content_type, func.length(OutboxAttachment.content)
        )
        .where(OutboxAttachment.message_id == outbox_id)
        .order_by(OutboxAttachment.id)
    )
    headers: dict[str, str] = {}
    try:
        # The headers as they go out, composed without the attachments and the bodies and read back
        # without parsing a body: they change none of the shown headers, and encoding and parsing them
        # (a .docx or two in base64, the HTML) cost more than all the rest of `mail show` and of
        # GET /api/v1/outbox/{id} (bench/bench_api.py).
        headers_only = dataclasses.replace(outbox._mail(row, ()), text="", html=None)
        headers = compose(headers_only, mail_from=mail_from, sender_name=sender_name).decoded_headers(
            SHOWN_HEADERS
        )
        headers.update({name: str(value) for name, value in row.headers.items()})
    except (PermanentFailure, ValueError) as exc:
        headers = {"(cannot compose)": str(exc)}
    return {
        "id": row.id,
        "key": row.idempotency_key,
        "kind": row.kind,
        "status": row.status,
        "attempts": row.attempts,
        "message_id": row.message_id,
        "to": row.to_addrs,
        "cc": row.cc_addrs,
        "subject": row.subject,
        "headers": headers,
        "last_error": row.last_error,
        "created_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at),
        "next_attempt_at": _iso(row.next_attempt_at) if row.status == outbox.QUEUED else None,
        "lease_until": _iso(row.lease_until),
        "enqueued_at": _iso(row.enqueued_at),
        "sent_at": _iso(row.sent_at),
        "attachments": [
            {"filename": name, "content_type": kind, "size": int(size or 0)}
            for name, kind, size in attachments
        ],
        "text": row.body_text,
    }


def message_list(
    session: Session,
    *,
    status: str | None = None,
    limit: int = 50,
    before_id: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Messages newest first (by id), optionally of one status, a page at a time: ``before_id`` (the
    last id of the previous page; stable while new mail arrives) or ``offset``. No bodies."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit).offset(offset)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    if before_id is not None:
        query = query.where(OutboxMessage.id < before_id)
    return [
        {
            "id": row.id,
            "key": row.idempotency_key,
            "kind": row.kind,
            "status": row.status,
            "to": row.to_addrs,
            "cc": row.cc_addrs,
            "subject": row.subject,
            "attempts": row.attempts,
            "last_error": row.last_error,
            "created_at": _iso(row.created_at),
            "updated_at": _iso(row.updated_at),
            "sent_at": _iso(row.sent_at),
        }
        for row in session.scalars(query)
    ]
