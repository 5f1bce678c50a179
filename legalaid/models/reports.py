"""The report ledger: each (kind, period, audience) report, its files, and whether it was sent.

One row per report, ever: ``annual``/``quarterly`` for the leadership (audience ``leaders``), ``firm`` for a
firm (audience: the firm's code). A rebuild replaces the files and the checksum; a send counts up ``sends``;
a failure keeps the error and the row, so ``legalaid status`` shows it and the next run retries it. Each build
records the day its figures are counted as of and the figures themselves, so a rebuild that counts other
figures says which ones (``changes``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from legalaid.models.base import Base, UTCDateTime, utcnow

REPORT_BUILT = "built"  # the files are written; not mailed (yet)
REPORT_SENT = "sent"  # mailed: the email is in the outbox (which delivers and retries it)
REPORT_FAILED = "failed"  # the last attempt failed: ``error`` says why; the next run tries again
REPORT_STATUSES = (REPORT_BUILT, REPORT_SENT, REPORT_FAILED)


class ReportRun(Base):
    __tablename__ = "report_runs"
    __table_args__ = (
        UniqueConstraint("kind", "period", "audience", name="uq_report_runs_report"),
        # legalaid status looks for failed reports.
        Index("ix_report_runs_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # annual, quarterly, firm
    period: Mapped[str] = mapped_column(String(8))  # 2012, 2012Q1
    audience: Mapped[str] = mapped_column(String(64))  # leaders, or a firm's code
    locale: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default=REPORT_BUILT)
    docx_path: Mapped[str | None] = mapped_column(String(1000))
    xlsx_path: Mapped[str | None] = mapped_column(String(1000))
    checksum: Mapped[str | None] = mapped_column(String(64))  # sha256 of the Word document
    # The headline figures as sent (no names): what the email said, for `legalaid report runs --json`.
    headline: Mapped[list[str]] = mapped_column(JSON, default=list)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The day the figures are counted as of (数据截至, the signature's date) and the figures (flat JSON:
    # name → value) of the last build; ``changes``: what the last rebuild changed ("name: old → new"), None
    # on the first build or when the figures before were not recorded.
    as_of: Mapped[date | None] = mapped_column(Date)
    figures: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    changes: Mapped[list[str] | None] = mapped_column(JSON)
    sends: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    built_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
