"""The ledger of sent reminders: insert-if-absent, so that each item is sent at most once, ever.

``claim`` inserts one ``reminders_sent`` row per item (status ``sent``) and one per earlier threshold of
the same level (``superseded``) with INSERT … ON CONFLICT DO NOTHING … RETURNING, in the caller's
transaction; the items whose ``sent`` row this transaction inserted are the ones it won. A second scan at
the same time blocks on the first one's rows until it commits and then inserts nothing for them, so it
mails nothing for them either. Rows go in sorted by their key, so two scans lock them in the same order
and cannot deadlock on each other.

On PostgreSQL the rows travel as one array per column in a single ``INSERT … SELECT FROM unnest(…)``: a
day's 50,000 items are one statement instead of fifty multi-row ones the driver must each parse. SQLite
gets an executemany, which SQLAlchemy batches into multi-row INSERTs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import BindParameter, Date, Table, bindparam, func, insert, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from legalaid.db import insert_if_absent
from legalaid.models.base import UTCDateTime, utcnow
from legalaid.models.reminders import SENT, SUPERSEDED, ReminderDelivery, ReminderSent
from legalaid.reminders.scan import DueItem

_LEDGER: Table = ReminderSent.__table__  # type: ignore[assignment]
_DELIVERIES: Table = ReminderDelivery.__table__  # type: ignore[assignment]
_KEY = ("case_id", "rule", "anchor", "threshold")
# Rows per statement: big enough that a day is a handful of statements, small enough that the arrays and
# the returned rows of one statement stay a few megabytes.
CHUNK = 10_000


def _arrays(table: Table, *names: str) -> list[BindParameter[Any]]:
    """One PostgreSQL array parameter per column of ``table``, for ``unnest``: the rows travel as columns."""
    return [bindparam(name, type_=postgresql.ARRAY(table.c[name].type)) for name in names]


_PG_CLAIM = text(
    """
    INSERT INTO reminders_sent (case_id, rule, anchor, threshold, level, status, deadline, as_of, created_at)
    SELECT case_id, rule, anchor, threshold, level, status, deadline, :as_of, :created_at
    FROM unnest(:case_id, :rule, :anchor, :threshold, :level, :status, :deadline)
         AS row (case_id, rule, anchor, threshold, level, status, deadline)
    ON CONFLICT (case_id, rule, anchor, threshold) DO NOTHING
    RETURNING id, case_id, rule, anchor, threshold, status
    """
).bindparams(
    *_arrays(_LEDGER, "case_id", "rule", "anchor", "threshold", "level", "status", "deadline"),
    bindparam("as_of", type_=Date),
    bindparam("created_at", type_=UTCDateTime),
)
_PG_DELIVERIES = text(
    """
    INSERT INTO reminder_deliveries (sent_id, recipient, role, status, reason, outbox_id)
    SELECT * FROM unnest(:sent_id, :recipient, :role, :status, :reason, :outbox_id)
    """
).bindparams(*_arrays(_DELIVERIES, "sent_id", "recipient", "role", "status", "reason", "outbox_id"))


@dataclass(frozen=True)
class Claimed:
    """What a scan won: item key → its ``reminders_sent`` id, and how many thresholds it superseded."""

    sent_ids: dict[str, int]
    superseded: int


def claim(session: Session, items: Iterable[DueItem], *, as_of: date) -> Claimed:
    """Record ``items`` as sent (and their earlier thresholds as superseded) where nobody has yet."""
    by_identity: dict[tuple[int, str, date, int], DueItem] = {}
    rows: list[tuple[int, str, date, int, str, str, date]] = []
    for item in items:
        by_identity[(item.case_id, item.rule, item.anchor, item.threshold)] = item
        base = (item.case_id, item.rule, item.anchor)
        rows.append((*base, item.threshold, item.level, SENT, item.deadline))
        rows.extend((*base, earlier, item.level, SUPERSEDED, item.deadline) for earlier in item.superseded)
    rows.sort(key=lambda row: row[:4])
    sent_ids: dict[str, int] = {}
    superseded = 0
    # In chunks, in key order: a chunk's arrays and returned rows are all that is held at once.
    for start in range(0, len(rows), CHUNK):
        for row in _insert_if_absent(session, rows[start : start + CHUNK], as_of=as_of):
            if row.status == SENT:
                sent_ids[by_identity[(row.case_id, row.rule, row.anchor, row.threshold)].key] = row.id
            else:
                superseded += 1
    return Claimed(sent_ids=sent_ids, superseded=superseded)


def _insert_if_absent(
    session: Session, rows: list[tuple[int, str, date, int, str, str, date]], *, as_of: date
) -> Sequence[Any]:
    if not rows:
        return []
    connection = session.connection()
    dialect = connection.dialect.name
    now = utcnow()
    if dialect == "postgresql":
        names = ("case_id", "rule", "anchor", "threshold", "level", "status", "deadline")
        columns = {name: list(values) for name, values in zip(names, zip(*rows, strict=True), strict=True)}
        return connection.execute(_PG_CLAIM, {**columns, "as_of": as_of, "created_at": now}).all()
    statement = insert_if_absent(session, _LEDGER, key=_KEY).returning(
        *(_LEDGER.c[name] for name in ("id", *_KEY, "status"))
    )
    parameters = [
        {
            "case_id": case_id,
            "rule": rule,
            "anchor": anchor,
            "threshold": threshold,
            "level": level,
            "status": status,
            "deadline": deadline,
            "as_of": as_of,
            "created_at": now,
        }
        for case_id, rule, anchor, threshold, level, status, deadline in rows
    ]
    # executemany: SQLAlchemy batches the rows into multi-row INSERTs and gathers every batch's RETURNING.
    return connection.execute(statement, parameters).all()


class Delivery(NamedTuple):
    """A ``reminder_deliveries`` row: who a won item was for, and which digest carried it."""

    sent_id: int
    recipient: str
    role: str
    status: str
    reason: str | None
    outbox_id: int | None


def record_deliveries(session: Session, rows: Sequence[Delivery]) -> None:
    """Write the delivery rows of the items this scan won."""
    if not rows:
        return
    connection = session.connection()
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        if connection.dialect.name == "postgresql":
            columns = zip(*chunk, strict=True)
            parameters = {name: list(values) for name, values in zip(Delivery._fields, columns, strict=True)}
            connection.execute(_PG_DELIVERIES, parameters)
        else:
            connection.execute(insert(_DELIVERIES), [row._asdict() for row in chunk])


def sent_on(session: Session, as_of: date) -> tuple[int, datetime | None]:
    """How many items the scans for ``as_of`` recorded as sent, and when the last was: what a scan that
    finds nothing new tells its user (the day's items went out already)."""
    count, last = session.execute(
        select(func.count(), func.max(ReminderSent.created_at)).where(
            ReminderSent.as_of == as_of, ReminderSent.status == SENT
        )
    ).one()
    return int(count), last
