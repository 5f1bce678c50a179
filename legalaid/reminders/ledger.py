"""The ledger of sent reminders: insert-if-absent, so that each item is sent at most once, ever.

``claim`` inserts one ``reminders_sent`` row per item (status ``sent``) and one per earlier threshold of
the same level (``superseded``) with INSERT … ON CONFLICT DO NOTHING … RETURNING, on SQLite and
PostgreSQL alike, in the caller's transaction; the items whose ``sent`` row this transaction inserted are
the ones it won. A second scan at the same time blocks on the first one's rows until it commits and then
inserts nothing for them, so it mails nothing for them either. Rows go in sorted by their key, so two scans
lock them in the same order and cannot deadlock on each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from legalaid.models.reminders import SENT, SUPERSEDED, ReminderDelivery, ReminderSent
from legalaid.reminders.scan import DueItem

# Rows per INSERT: 9 values a row stays far below both databases' limits on parameters.
CHUNK = 1000


@dataclass(frozen=True)
class Claimed:
    """What a scan won: item key → its ``reminders_sent`` id, and how many thresholds it superseded."""

    sent_ids: dict[str, int]
    superseded: int


def claim(session: Session, items: Iterable[DueItem], *, as_of: date) -> Claimed:
    """Record ``items`` as sent (and their earlier thresholds as superseded) where nobody has yet."""
    by_identity: dict[tuple[int, str, date, int], DueItem] = {}
    rows: list[dict[str, Any]] = []
    for item in items:
        by_identity[(item.case_id, item.rule, item.anchor, item.threshold)] = item
        for threshold, status in [(item.threshold, SENT)] + [(t, SUPERSEDED) for t in item.superseded]:
            rows.append(
                {
                    "case_id": item.case_id,
                    "rule": item.rule,
                    "anchor": item.anchor,
                    "threshold": threshold,
                    "level": item.level,
                    "status": status,
                    "deadline": item.deadline,
                    "as_of": as_of,
                }
            )
    rows.sort(key=lambda r: (r["case_id"], r["rule"], r["anchor"], r["threshold"]))
    sent_ids: dict[str, int] = {}
    superseded = 0
    for start in range(0, len(rows), CHUNK):
        for row in session.execute(_insert_if_absent(session, rows[start : start + CHUNK])):
            if row.status == SENT:
                sent_ids[by_identity[(row.case_id, row.rule, row.anchor, row.threshold)].key] = row.id
            else:
                superseded += 1
    return Claimed(sent_ids=sent_ids, superseded=superseded)


def _insert_if_absent(session: Session, rows: Sequence[dict[str, Any]]) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement: Any = postgresql.insert(ReminderSent)
    elif dialect == "sqlite":
        statement = sqlite.insert(ReminderSent)
    else:  # pragma: no cover - the project supports these two
        raise RuntimeError(f"the reminders ledger needs SQLite or PostgreSQL, not {dialect}")
    return (
        statement.values(list(rows))
        .on_conflict_do_nothing(index_elements=["case_id", "rule", "anchor", "threshold"])
        .returning(
            ReminderSent.id,
            ReminderSent.case_id,
            ReminderSent.rule,
            ReminderSent.anchor,
            ReminderSent.threshold,
            ReminderSent.status,
        )
    )


def record_deliveries(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Who each won item was for and which digest carried it (``reminder_deliveries`` rows)."""
    if rows:
        session.execute(insert(ReminderDelivery), list(rows))
