"""What the follow-up reminders have sent: one row per (rule, case, anchor, threshold), and who got it.

``reminders_sent`` is the ledger that makes a reminder go out at most once, ever: its unique key is the
item, ``(case_id, rule, anchor, threshold)``. A scan inserts the key if absent (INSERT … ON CONFLICT DO
NOTHING) in the same transaction as the digests that carry it, so of two scans at once exactly one wins
each item. The anchor (the date the deadline counts from: the application, the last progress, the next
hearing …) is in the key, so a new anchor starts the thresholds again. ``status`` is ``sent``, or
``superseded`` for an earlier threshold that was never sent because a more urgent one of the same item was
pending at the same scan (a threshold that fell on a holiday).

``reminder_deliveries`` says who an item was for and which digest (outbox row) carried it: an item for a
group (the center staff) has one row per person; an item that could not reach its person (no email,
inactive, no lawyer recorded, no firm director) has a row ``undeliverable`` with the reason, pointing at
the center staff's digest that reported it.

The two extra indexes on ``cases`` serve the reminder scans (each rule filters on "step A on these dates,
step B not yet", like the indexes declared in ``models/cases.py``): review and criminal assignment by
application date, stale progress by the last progress date.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from legalaid.models.base import Base, UTCDateTime, utcnow
from legalaid.models.cases import Case

SENT = "sent"
SUPERSEDED = "superseded"
DELIVERED = "delivered"
UNDELIVERABLE = "undeliverable"
REMINDER = "reminder"
ESCALATION = "escalation"


class ReminderSent(Base):
    __tablename__ = "reminders_sent"
    # The key's column order serves the scan's NOT EXISTS: case, rule and anchor by equality, the
    # threshold as a range ("this threshold or a later one was handled already").
    __table_args__ = (
        UniqueConstraint("case_id", "rule", "anchor", "threshold", name="uq_reminders_sent_item"),
        Index("ix_reminders_sent_as_of", "as_of"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(32))
    anchor: Mapped[date] = mapped_column(Date)
    # Days relative to the deadline: -2 is two days before, 0 the day itself, 1 the day after.
    threshold: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(16))  # reminder (threshold <= 0) or escalation
    status: Mapped[str] = mapped_column(String(16))  # sent or superseded
    deadline: Mapped[date] = mapped_column(Date)
    as_of: Mapped[date] = mapped_column(Date)  # the business date of the scan that recorded it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReminderDelivery(Base):
    __tablename__ = "reminder_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    sent_id: Mapped[int] = mapped_column(ForeignKey("reminders_sent.id", ondelete="CASCADE"), index=True)
    # The person the item was for (a person code); empty when there is nobody to name (no lawyer recorded).
    recipient: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(32))  # center_staff, center_head, lawyer, firm_director
    status: Mapped[str] = mapped_column(String(16))  # delivered or undeliverable
    reason: Mapped[str | None] = mapped_column(Text)
    # The digest that carried it: the person's own, or for an undeliverable item a staff digest reporting it.
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"), index=True)


# Indexes on cases for the reminder scans; declared here so that the reminders' schema is in one place.
Index("ix_cases_applied_open", Case.applied_on, Case.decided_on)
Index("ix_cases_progress_open", Case.last_progress_on, Case.ended_on)
