"""Links in emails that record one step: the action tokens a digest or a duty notice carries, and the swap
requests a duty notice's link records for the coordinator to approve.

Only a token's SHA-256 is stored (as for the API's tokens): a copy of this table opens nothing. A token
names one person and one action: a step of one case (``case_id`` and ``step``, a date column of the case),
or a swap of one duty (``duty_on`` and ``duty_slot``). It is used once (``used_at``) and expires.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from legalaid.models.base import Base, UTCDateTime, utcnow

CASE_STEP = "case_step"
SWAP = "swap"
PENDING = "pending"
APPROVED = "approved"
REFUSED = "refused"


class ActionToken(Base):
    """One link of one email: who it is for, what its one button does, until when, and whether it was used."""

    __tablename__ = "action_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # hex SHA-256
    kind: Mapped[str] = mapped_column(String(16))  # case_step or swap
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    step: Mapped[str | None] = mapped_column(String(32))  # a case date column: first_contact_on, …
    deadline: Mapped[date | None] = mapped_column(Date)  # the step's deadline as the digest said it
    duty_on: Mapped[date | None] = mapped_column(Date)
    duty_slot: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SwapRequest(Base):
    """A lawyer's request, through a duty notice's link, to give a duty to a colleague: pending until the
    coordinator approves it (then the swap is made as ``legalaid roster swap`` makes it, and
    ``roster_request_id`` names the recorded change) or refuses it."""

    __tablename__ = "swap_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    on: Mapped[date] = mapped_column(Date)
    slot: Mapped[str] = mapped_column(String(8))
    from_person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    to_person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)  # pending, approved, refused
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    roster_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("roster_requests.id", ondelete="SET NULL")
    )
