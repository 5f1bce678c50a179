"""Consultations: hotline calls, visits, the arbitration desk; a row may be one day's tally."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from legalaid.models.base import Base
from legalaid.models.enums import ConsultationChannel, ConsultationOutcome, db_enum


class Consultation(Base):
    __tablename__ = "consultations"
    __table_args__ = (Index("ix_consultations_on_channel", "on", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    on: Mapped[date] = mapped_column(Date)
    channel: Mapped[ConsultationChannel] = mapped_column(db_enum(ConsultationChannel))
    outcome: Mapped[ConsultationOutcome] = mapped_column(db_enum(ConsultationOutcome))
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    topic: Mapped[str | None] = mapped_column(String(200))
    count: Mapped[int] = mapped_column(Integer, default=1)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"))
