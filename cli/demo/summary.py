"""What the demo's database holds, counted with SQL aggregates: the proof that the import carried the seed
report's figures, not an echo of what the generator meant to write."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.orm import Session

from cli.demo._calendar import StatisticalYear
from legalaid.models import (
    Case,
    CaseGroup,
    Consultation,
    DutyShift,
    Firm,
    GeneratedDocument,
    Leave,
    OutboxMessage,
    Person,
)
from legalaid.models.enums import (
    CaseType,
    ConsultationChannel,
    ConsultationOutcome,
    Decision,
    FirmKind,
    IntakeChannel,
    RecipientGroup,
    Role,
)
from legalaid.reports.sentences import percent_change, share

Figures = dict[str, Any]


def summarize(session: Session, years: Sequence[StatisticalYear]) -> Figures:
    """Firms, people, each statistical year's cases and consultations, growth, the roster, the outbox."""
    per_year = [year_figures(session, year) for year in years]
    summary: Figures = {
        "firms": firm_figures(session),
        "people": people_figures(session),
        "years": per_year,
    }
    if len(per_year) == 2:
        summary["growth"] = growth(per_year[0], per_year[1])
    summary["roster"] = roster_figures(session)
    summary["outbox"] = outbox_figures(session)
    return summary


def _row(
    session: Session, where: ColumnElement[bool] | None = None, **columns: ColumnElement[Any]
) -> Figures:
    """One row of labelled aggregates, as a dict; a SUM over no rows is 0, not NULL."""
    query = select(*(func.coalesce(column, 0).label(name) for name, column in columns.items()))
    if where is not None:
        query = query.where(where)
    return dict(session.execute(query).one()._mapping)


def firm_figures(session: Session) -> Figures:
    count = func.count(Firm.id)
    return _row(
        session,
        firms=count,
        law_firms=count.filter(Firm.kind == FirmKind.law_firm),
        legal_service_offices=count.filter(Firm.kind == FirmKind.legal_service_office),
        accepting_applications=count.filter(Firm.accepts_applications.is_(True)),
    )


def people_figures(session: Session) -> Figures:
    count = func.count(Person.id)
    active = Person.active.is_(True)
    return _row(
        session,
        people=count,
        active=count.filter(active),
        lawyers=count.filter(Person.role == Role.lawyer),
        legal_workers=count.filter(Person.role == Role.legal_worker),
        staff=count.filter(Person.role == Role.staff),
        leaders=count.filter(Person.role == Role.leader),
        desk_pool=count.filter(and_(Person.desk_pool.is_(True), active)),
    )


def year_figures(session: Session, year: StatisticalYear) -> Figures:
    """The cases applied for and the consultations received in one statistical year."""
    count = func.count(Case.id)
    civil = Case.case_type == CaseType.civil
    migrant = exists().where(
        CaseGroup.case_id == Case.id, CaseGroup.group_name == RecipientGroup.migrant_worker
    )
    cases = _row(
        session,
        Case.applied_on.between(year.start, year.end),
        cases=count,
        civil=count.filter(civil),
        criminal=count.filter(Case.case_type == CaseType.criminal),
        administrative=count.filter(Case.case_type == CaseType.administrative),
        civil_migrant=count.filter(and_(civil, migrant)),
        from_desk=count.filter(Case.intake == IntakeChannel.arbitration_desk.value),
        granted=count.filter(Case.decision == Decision.granted),
        awaiting_decision=count.filter(Case.decided_on.is_(None)),
        ended=count.filter(Case.ended_on.is_not(None)),
    )
    migrant_share = share(cases["civil_migrant"], cases["civil"])
    cases["civil_migrant_share"] = float(migrant_share) if migrant_share is not None else None
    tally = func.sum(Consultation.count)
    hotline = Consultation.channel == ConsultationChannel.hotline_148
    desk = Consultation.channel == ConsultationChannel.arbitration_desk
    outcome = Consultation.outcome
    consultations = _row(
        session,
        Consultation.on.between(year.start, year.end),
        hotline_148=tally.filter(hotline),
        visits=tally.filter(Consultation.channel == ConsultationChannel.visit),
        desk=tally.filter(desk),
        desk_answered=tally.filter(and_(desk, outcome == ConsultationOutcome.answered)),
        desk_mediated=tally.filter(and_(desk, outcome == ConsultationOutcome.mediated)),
        desk_converted=tally.filter(and_(desk, outcome == ConsultationOutcome.converted)),
        desk_referred=tally.filter(and_(desk, outcome == ConsultationOutcome.referred)),
    )
    return {
        "label": year.label,
        "start": year.start.isoformat(),
        "end": year.end.isoformat(),
        "cases": cases,
        "consultations": consultations,
    }


def growth(previous: Figures, current: Figures) -> Figures:
    """Change on last year in percent (the seed report's 比去年增长), from the counted figures."""

    def percent(part: str, name: str) -> float | None:
        # The reports' own arithmetic (two decimals, half up), so the demo and the report agree.
        change = percent_change(current[part][name], previous[part][name])
        return float(change) if change is not None else None

    return {
        "cases": percent("cases", "cases"),
        "civil": percent("cases", "civil"),
        "criminal": percent("cases", "criminal"),
        "hotline_148": percent("consultations", "hotline_148"),
    }


def roster_figures(session: Session) -> Figures:
    figures = _row(
        session,
        shifts=func.count(DutyShift.id),
        people=func.count(DutyShift.person_id.distinct()),
    )
    first, last = session.execute(select(func.min(DutyShift.on), func.max(DutyShift.on))).one()
    figures["first"] = first.isoformat() if first else None
    figures["last"] = last.isoformat() if last else None
    figures["leave"] = session.scalar(select(func.count(Leave.id))) or 0
    return figures


def outbox_figures(session: Session) -> Figures:
    """What the import's notices queued: emails waiting for a worker, and the Word documents made."""
    figures = _row(
        session,
        messages=func.count(OutboxMessage.id),
        queued=func.count(OutboxMessage.id).filter(OutboxMessage.status == "queued"),
        sent=func.count(OutboxMessage.id).filter(OutboxMessage.status == "sent"),
    )
    figures["documents"] = session.scalar(select(func.count(GeneratedDocument.id))) or 0
    return figures
