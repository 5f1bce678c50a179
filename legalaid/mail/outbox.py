"""The outbox queries: enqueue, claim, record the outcome, sweep, retry by hand.

An outbox row is a leased row: its states and their transitions are those of ``legalaid.leases``, which
describes them once for the outbox and the job ticks. A row's states are called ``queued`` (waiting, and
waiting for its retry: ``next_attempt_at`` = now + backoff, ``enqueued_at`` cleared), ``sending``
(running), ``sent`` (done) and ``dead``. What only the outbox does:

* a row is dead after a permanent failure (5xx, no valid address: the answer kept) or once a temporary one
  comes past the retry horizon (``RetryPolicy.horizon``, counted from its creation or from its retry by
  hand, ``legalaid mail retry``); there is no limit on the number of attempts.
* a ``sending`` row whose lease expired is queued again only by the sweep; a lease is not renewed (one SMTP
  exchange is far shorter than it).
* the broker only carries ids. ``enqueued_at`` is the last hand-off; the sweeper hands over again a due
  ``queued`` row never handed over or handed over longer than ``RetryPolicy.lost_after`` ago.

Enqueue after commit: a task id handed to the broker before the transaction that wrote the row has
committed may run before the row exists (it then finds nothing and returns). So a function that queues mail
returns the outbox ids, and its caller hands them over once its transaction has committed (then records it
with ``mark_enqueued``); a row whose hand-off was lost anyway is picked up by the sweeper. Nothing here
commits: each function works in the caller's transaction.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, event, func, select, text, update
from sqlalchemy.orm import Session

from legalaid import leases
from legalaid.db import insert_if_absent
from legalaid.logs import mask_personal
from legalaid.mail.compose import Attachment, OutgoingMail, check_headers, message_id_for
from legalaid.mail.retry import DEFAULT_POLICY, RetryPolicy
from legalaid.models.base import utcnow
from legalaid.models.outbox import OutboxAttachment, OutboxMessage

log = logging.getLogger(__name__)

QUEUED, SENDING, SENT, DEAD = "queued", "sending", "sent", "dead"
STATUSES = (QUEUED, SENDING, SENT, DEAD)

_NO_SYNC = {"synchronize_session": False}
_ASYNC_COMMIT = text("SET LOCAL synchronous_commit TO OFF")
# The delivery path runs once per message: plain Core statements on the tables, no ORM unit of work.
_OUTBOX: Table = OutboxMessage.__table__  # type: ignore[assignment]
_ATTACHMENTS: Table = OutboxAttachment.__table__  # type: ignore[assignment]
ROWS = leases.LeasedTable(
    table=_OUTBOX,
    # A failed message waits for its next attempt as queued, like a new one.
    states=leases.States(waiting=QUEUED, retrying=QUEUED, running=SENDING, done=SENT, dead=DEAD),
    due="next_attempt_at",
    handed_over="enqueued_at",
    error="last_error",
    lease_expired="lease expired: the worker delivering it stopped (killed?); queued again",
    # The retry horizon counts from a retry by hand, else from the row's creation.
    retried_at="retried_at",
    created="created_at",
    touched="updated_at",
)
"""The outbox as leased rows (``legalaid.leases``)."""
_CLAIMED = tuple(
    _OUTBOX.c[name]
    for name in (
        "id",
        "idempotency_key",
        "message_id",
        "to_addrs",
        "cc_addrs",
        "subject",
        "body_text",
        "body_html",
        "headers",
        "created_at",
        "attempts",
    )
)


@dataclass(frozen=True)
class NewMessage:
    """A message to add to the outbox: its idempotency key, recipients, subject, bodies, attachments."""

    key: str
    to: Sequence[str]
    subject: str
    text: str
    cc: Sequence[str] = ()
    html: str | None = None
    attachments: Sequence[Attachment] = ()
    kind: str = "notice"
    headers: dict[str, str] | None = None


def enqueue(
    session: Session,
    *,
    key: str,
    to: Sequence[str],
    cc: Sequence[str] = (),
    subject: str,
    text: str,
    html: str | None = None,
    attachments: Iterable[Attachment] = (),
    kind: str = "notice",
    headers: dict[str, str] | None = None,
    mail_from: str = "",
    now: datetime | None = None,
) -> OutboxMessage:
    """Add a message to the outbox in the caller's transaction; an existing ``key`` changes nothing.

    Returns the row for ``key``: the new one, or the one already there (whatever its content). One message
    of ``enqueue_many``, which says how.
    """
    message = NewMessage(key, to, subject, text, cc, html, tuple(attachments), kind, headers)
    (outbox_id,) = enqueue_many(session, [message], mail_from=mail_from, now=now)
    row = session.get(OutboxMessage, outbox_id)
    assert row is not None  # enqueue_many returned its id in this transaction
    return row


def enqueue_many(
    session: Session,
    messages: Sequence[NewMessage],
    *,
    mail_from: str = "",
    now: datetime | None = None,
) -> list[int]:
    """Add messages to the outbox in the caller's transaction; the outbox ids, in the order given.

    A key already in the outbox (or given twice) changes nothing: its id is the existing row's, whatever
    its content. Safe when two processes enqueue the same key at once: INSERT … ON CONFLICT DO NOTHING
    (a concurrent insert of the key waits for the other transaction, then inserts nothing, instead of
    failing on the unique constraint and aborting the caller's transaction), then a SELECT of the keys
    that were there. The Message-ID is derived from the key (and the domain of ``mail_from``) and stored
    now. Subject, bodies and attachment names are stored with ID-card and phone numbers masked.

    The rows go in multi-row INSERTs (SQLAlchemy's insertmanyvalues), not one statement per message: a
    daily reminder run writes a digest for every lawyer with something due, thousands in a province.
    """
    now = now or utcnow()
    rows: dict[str, dict[str, Any]] = {}
    attachments: dict[str, Sequence[Attachment]] = {}
    for message in messages:
        values = _row_values(message, mail_from=mail_from, now=now)
        if message.key not in rows:  # the first of a key given twice wins, as with a key already stored
            rows[message.key] = values
            attachments[message.key] = message.attachments
    if not rows:
        return []
    connection = session.connection()
    inserted = {
        key: outbox_id
        for outbox_id, key in connection.execute(
            insert_if_absent(session, _OUTBOX, key=["idempotency_key"]).returning(
                _OUTBOX.c.id, _OUTBOX.c.idempotency_key
            ),
            list(rows.values()),
        )
    }
    attachment_rows = [
        {
            "message_id": inserted[key],
            # The name shows in every mail client's list; the content (a case document) is left whole.
            "filename": mask_personal(attachment.filename),
            "content_type": attachment.resolved_type(),
            "content": attachment.content,
        }
        for key, outbox_id in inserted.items()
        for attachment in attachments[key]
    ]
    if attachment_rows:
        connection.execute(_ATTACHMENTS.insert(), attachment_rows)
    _log_when_committed(session, [(i, key, rows[key]["message_id"]) for key, i in inserted.items()])
    ids = dict(inserted)
    existing = [key for key in rows if key not in inserted]
    for start in range(0, len(existing), _KEYS_PER_SELECT):
        chunk = existing[start : start + _KEYS_PER_SELECT]
        log.debug("outbox keys %s exist; not enqueued again", ", ".join(chunk[:5]))
        ids.update(
            (key, outbox_id)
            for outbox_id, key in connection.execute(
                select(_OUTBOX.c.id, _OUTBOX.c.idempotency_key).where(_OUTBOX.c.idempotency_key.in_(chunk))
            )
        )
    return [ids[message.key] for message in messages]


def _log_when_committed(session: Session, new: list[tuple[int, str, str]]) -> None:
    """One line per new message once its transaction commits (a dry run's rollback logs nothing): the
    first line of a message's trail through the logs, under its idempotency key and Message-ID."""
    if not new or not log.isEnabledFor(logging.INFO):
        return
    pending: list[tuple[int, str, str]] = session.info.setdefault("legalaid_outbox_new", [])
    pending += new
    if session.info.get("legalaid_outbox_new_listening"):
        return
    session.info["legalaid_outbox_new_listening"] = True

    def after_commit(committed: Session) -> None:
        for outbox_id, key, message_id in committed.info.pop("legalaid_outbox_new", []):
            context = {"idempotency_key": key, "message_id": message_id, "outbox_id": outbox_id}
            log.info("outbox %s (%s) queued as %s", outbox_id, key, message_id, extra=context)

    def after_rollback(rolled_back: Session) -> None:
        rolled_back.info.pop("legalaid_outbox_new", None)

    event.listen(session, "after_commit", after_commit)
    event.listen(session, "after_rollback", after_rollback)


# Keys in one IN (…): well under SQLite's and PostgreSQL's limits on parameters.
_KEYS_PER_SELECT = 5000


def _row_values(message: NewMessage, *, mail_from: str, now: datetime) -> dict[str, Any]:
    key = message.key
    if not key or len(key) > 300:
        raise ValueError("an outbox key is 1 to 300 characters")
    recipients = [a.strip() for a in message.to if a.strip()]
    copies = [a.strip() for a in message.cc if a.strip()]
    if not recipients and not copies:
        raise ValueError(f"{key}: a message needs at least one recipient")
    return {
        "idempotency_key": key,
        "message_id": message_id_for(key, mail_from),
        "kind": message.kind,
        "to_addrs": recipients,
        "cc_addrs": copies,
        "subject": mask_personal(" ".join(message.subject.split()))[:500],
        "body_text": mask_personal(message.text),
        "body_html": mask_personal(message.html) if message.html is not None else None,
        "headers": check_headers(message.headers or {}),
        "status": QUEUED,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
    }


@dataclass(frozen=True)
class Claim:
    """A row taken for delivery: what to send, and the attempt number that fences the claim."""

    mail: OutgoingMail
    attempt: int


def claim(
    session: Session, outbox_id: int, *, now: datetime, policy: RetryPolicy = DEFAULT_POLICY
) -> Claim | None:
    """Take a due queued row for delivery, or None when it is gone, not due, or someone else has it.

    One conditional UPDATE … RETURNING: the caller owns the row only if it changed (returned) exactly one
    row. The caller must commit before sending, so that other workers see the row as ``sending``.
    """
    # Core on the session's connection: the ORM's execute machinery costs more than the statement here.
    connection = session.connection()
    _relaxed_commit(session)
    where = _OUTBOX.c.id == outbox_id
    row = leases.claim(connection, ROWS, where=where, now=now, policy=policy.leases, returning=_CLAIMED)
    if row is None:
        return None
    attachments = connection.execute(
        select(_ATTACHMENTS.c.filename, _ATTACHMENTS.c.content, _ATTACHMENTS.c.content_type)
        .where(_ATTACHMENTS.c.message_id == outbox_id)
        .order_by(_ATTACHMENTS.c.id)
    ).all()
    return Claim(mail=_mail(row, attachments), attempt=row.attempts)


def _relaxed_commit(session: Session) -> None:
    # PostgreSQL: this transaction's commit does not wait for the WAL flush. A claim or an outcome lost to a
    # database crash (not a client crash) only means one more attempt with the same Message-ID, which the
    # outbox allows anyway; waiting for the disk on every message would halve the delivery rate.
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(_ASYNC_COMMIT)


def outgoing(row: OutboxMessage) -> OutgoingMail:
    """The row as plain values for compose and the transports."""
    return _mail(row, row.attachments)


def _mail(row: Any, attachments: Iterable[Any]) -> OutgoingMail:
    """A message's row (an ``OutboxMessage``, or the columns a claim returned) and its attachments' rows."""
    return OutgoingMail(
        outbox_id=row.id,
        key=row.idempotency_key,
        message_id=row.message_id,
        to=tuple(row.to_addrs),
        cc=tuple(row.cc_addrs),
        subject=row.subject,
        text=row.body_text,
        html=row.body_html,
        headers=dict(row.headers),
        created_at=row.created_at,
        attachments=tuple(Attachment(a.filename, a.content, a.content_type) for a in attachments),
    )


def record_sent(session: Session, outbox_id: int, *, now: datetime, note: str | None = None) -> None:
    """The server accepted the message. ``note`` keeps what was dropped (refused or malformed recipients)."""
    values: dict[str, Any] = {"sent_at": now}
    if note:
        values["last_error"] = leases.clip(note)
    _relaxed_commit(session)
    # Queued or sending: a dead message stays dead (someone gave it up), and sent stays sent.
    where = (_OUTBOX.c.id == outbox_id) & (_OUTBOX.c.status != DEAD)
    if not leases.succeed(session, ROWS, where=where, now=now, values=values):
        log.warning("outbox %s was sent but was no longer queued or sending", outbox_id)


def record_failure(
    session: Session,
    outbox_id: int,
    *,
    attempt: int,
    error: str,
    permanent: bool,
    now: datetime,
    policy: RetryPolicy = DEFAULT_POLICY,
    rng: random.Random | None = None,
) -> str | None:
    """Back to queued with a backoff, or dead (permanent, or past the horizon). Returns the new status.

    None when this claim no longer owns the row (its lease expired and the row moved on): nothing changes.
    """
    status = leases.fail(
        session,
        ROWS,
        row_id=outbox_id,
        attempt=attempt,
        error=error,
        permanent=permanent,
        now=now,
        policy=policy.leases,
        rng=rng,
    )
    if status is None:
        log.warning("outbox %s: attempt %s no longer owns the row; failure not recorded", outbox_id, attempt)
    return status


def due_ids(session: Session, *, now: datetime, limit: int | None = None) -> list[int]:
    """Queued rows whose next attempt is due, oldest first."""
    statement = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == QUEUED, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    return list(session.execute(statement).scalars())


def reclaim_expired(session: Session, *, now: datetime, policy: RetryPolicy = DEFAULT_POLICY) -> list[int]:
    """``sending`` rows whose lease has passed (their worker was killed) go back to ``queued``, due now.

    The message may have reached the server before the worker died; the resend carries the same Message-ID,
    so a mail client shows one message.
    """
    ids: list[int] = leases.reclaim_expired(session, ROWS, now=now, policy=policy.leases)
    if ids:
        log.warning("outbox: reclaimed %d message(s) whose worker stopped: %s", len(ids), ids)
    return ids


def sweep(
    session: Session, *, now: datetime | None = None, policy: RetryPolicy = DEFAULT_POLICY, limit: int = 1000
) -> list[int]:
    """Reclaim expired leases, and return the ids of due queued rows whose hand-off to the broker is
    missing or lost (never handed over, or longer ago than ``policy.lost_after``).

    The caller hands the ids to the broker, then calls ``mark_enqueued``.
    """
    now = now or utcnow()
    reclaim_expired(session, now=now, policy=policy)
    return [
        row.id for row in leases.lost_hand_offs(session, ROWS, now=now, policy=policy.leases, limit=limit)
    ]


def mark_enqueued(session: Session, outbox_ids: Sequence[int], *, now: datetime | None = None) -> None:
    """Record that these rows were handed to the broker now (only rows still queued)."""
    if not outbox_ids:
        return
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(list(outbox_ids)), OutboxMessage.status == QUEUED)
        .values(enqueued_at=now or utcnow()),
        execution_options=_NO_SYNC,
    )


def hand_back(session: Session, outbox_ids: Sequence[int]) -> None:
    """Forget the hand-off of rows a task will not deliver after all: the next sweep hands them over again."""
    if outbox_ids:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(list(outbox_ids)), OutboxMessage.status == QUEUED)
            .values(enqueued_at=None),
            execution_options=_NO_SYNC,
        )


def requeue(
    session: Session, *, ids: Sequence[int] = (), dead: bool = False, now: datetime | None = None
) -> list[int]:
    """Make dead (or queued) rows due now again, with a fresh retry horizon: ``legalaid mail retry``.

    Sent rows and rows being delivered are left alone. Returns the ids that were requeued.
    """
    if not dead and not ids:
        return []
    chosen: list[int] = leases.revive(
        session,
        ROWS,
        named=None if dead else _OUTBOX.c.id.in_(list(ids)),
        now=now or utcnow(),
        pick=_OUTBOX.c.id,
        order_by=_OUTBOX.c.id,
    )
    return chosen


def dead_ids(session: Session) -> list[int]:
    return list(
        session.execute(
            select(OutboxMessage.id).where(OutboxMessage.status == DEAD).order_by(OutboxMessage.id)
        )
        .scalars()
        .all()
    )


def counts_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({status: int(n) for status, n in rows})
    return counts
