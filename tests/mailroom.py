"""The outbox as the tests see it: read what was queued, deliver all of it, read a digest's table back.

One reader and one delivery for every test, so that a test says what it expects of the mail, not how it
gets at it.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from legalaid.mail import Outcome, flush, make_transport
from legalaid.models import OutboxMessage
from legalaid.runtime import Runtime


def outbox(rt: Runtime) -> list[OutboxMessage]:
    """Every outbox row with its attachments, in the order it was queued (detached: read them freely)."""
    with rt.sessions() as session:
        query = select(OutboxMessage).options(selectinload(OutboxMessage.attachments))
        return list(session.scalars(query.order_by(OutboxMessage.id)))


def outbox_addresses(rt: Runtime) -> list[tuple[str, list[str]]]:
    """Each queued message as (idempotency key, To addresses), in the order it was queued."""
    return [(row.idempotency_key, list(row.to_addrs)) for row in outbox(rt)]


def deliver_all(rt: Runtime) -> Counter[Outcome]:
    """Hand every message that is due to the transport the runtime's settings name, as ``legalaid mail
    flush`` does; returns the outcomes counted."""
    transport = make_transport(rt.settings)
    try:
        return flush(rt, transport=transport)
    finally:
        transport.close()


def digest_rows(text: str) -> list[list[str]]:
    """The table rows of a digest's text part (lines of cells separated by ' | '), header first."""
    return [line.split(" | ") for line in text.splitlines() if " | " in line]
