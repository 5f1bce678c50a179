"""Calendar feeds: per person a secret URL a calendar app subscribes to (``…/feeds/<secret>/duties.ics``).

Only the SHA-256 of the secret is stored, like the API's tokens: the URL is printed once, when it is made,
and a copy of this table opens no feed. A person has at most one live feed; making a new one revokes the
old (``revoked_at``), so a leaked URL is ended by handing out another.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from legalaid.models.base import Base, UTCDateTime, utcnow
from legalaid.models.people import Person


class CalendarFeed(Base):
    __tablename__ = "calendar_feeds"
    # `roster feed PERSON` looks for the person's live feed.
    __table_args__ = (Index("ix_calendar_feeds_person_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)  # hex SHA-256 of the URL's secret
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    person: Mapped[Person] = relationship()
