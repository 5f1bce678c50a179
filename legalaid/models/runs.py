"""Records of work done: scheduled job runs, imports, and the scheduler's leader lock."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from legalaid.models.base import Base, UTCDateTime, utcnow


class JobRun(Base):
    """One tick of a scheduled job, from the moment the scheduler records it to its outcome.

    The key (job and scheduled time) makes a second firing a no-op; ``attempts`` counts the claims and fences
    them. The state machine is in ``legalaid.jobs``.
    """

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    job: Mapped[str] = mapped_column(String(64), index=True)
    # The Celery task that runs the tick (what the sweep sends again); NULL on rows older than 0008.
    task: Mapped[str | None] = mapped_column(String(200))
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime)
    # scheduled, running, succeeded, failed (to be tried again at due_at), dead
    status: Mapped[str] = mapped_column(String(16), default="scheduled", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # ``legalaid jobs retry`` gives a dead tick a fresh allowance without ever lowering ``attempts``.
    attempts_at_retry: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a worker may claim it from then on
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # last handed to the broker
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the running claim, renewed
    worker: Mapped[str | None] = mapped_column(String(200))
    task_id: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the latest attempt's start
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ImportRecord(Base):
    """One file imported; consultations are appended, so their checksum keeps a second import a no-op."""

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    file_name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    rows: Mapped[int] = mapped_column(Integer)
    inserted: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LeaderLock(Base):
    """The database leader lock (used when there is no Redis): who holds it, until when."""

    __tablename__ = "leader_locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
