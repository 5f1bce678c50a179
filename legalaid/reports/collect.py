"""Every figure one report states, gathered from the database in a handful of aggregates.

``ReportRequest`` says which report (annual, quarterly, or a firm's, for a period); ``collect_figures``
asks ``statistics`` and ``timeliness`` for its figures. What the report then says is ``content``'s business,
a pure function of these figures.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal, NamedTuple, TypedDict, Unpack

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from legalaid.calendar import WorkCalendar
from legalaid.config import Settings
from legalaid.errors import UserError
from legalaid.models import Case, Consultation, Firm
from legalaid.models.enums import FirmKind, RecipientGroup
from legalaid.reminders import Rule, load_rules
from legalaid.reports.periods import Period
from legalaid.reports.statistics import (
    CENTER,
    CaseCounts,
    ConsultationFigures,
    FirmFigures,
    GroupCount,
    MatterCount,
    RosterFigures,
    Scope,
    case_counts,
    consultations,
    firm_figures,
    matters,
    recipient_groups,
    roster_figures,
)
from legalaid.reports.timeliness import Timeliness, timeliness

ReportKind = Literal["annual", "quarterly", "firm"]
KINDS: tuple[ReportKind, ...] = ("annual", "quarterly", "firm")
LEADERS = "leaders"
CHART_PERIODS = 5  # the cases chart shows the period and the four before it


class UnknownFirm(UserError):
    """``--firm`` names no firm."""


@dataclass(frozen=True)
class ReportRequest:
    """Which report: the center's (annual or quarterly) or a firm's, for one period."""

    kind: ReportKind
    period: Period
    firm_code: str | None = None

    def __post_init__(self) -> None:
        if (self.kind == "firm") != (self.firm_code is not None):
            raise ValueError("a firm report needs a firm code, a center report none")
        if self.kind == "annual" and self.period.quarter is not None:
            raise ValueError("an annual report is for a year")
        if self.kind == "quarterly" and self.period.quarter is None:
            raise ValueError("a quarterly report is for a quarter")

    @property
    def audience(self) -> str:
        return self.firm_code if self.firm_code is not None else LEADERS

    @property
    def key(self) -> str:
        """``report:annual:2012:leaders``, ``report:firm:2012Q1:HZLS``: the report's identity everywhere."""
        return f"report:{self.kind}:{self.period.key}:{self.audience}"


class FirmInfo(NamedTuple):
    """The firm a firm's report is about, as its row reads."""

    id: int
    code: str
    name: str
    kind: FirmKind

    @property
    def legal_service_office(self) -> bool:
        """A 基层法律服务所: its people are 法律服务工作者, not lawyers."""
        return self.kind == FirmKind.legal_service_office


@dataclass(frozen=True)
class ReportFigures:
    """What one report states, as counted on ``as_of``."""

    request: ReportRequest
    as_of: date
    firm: FirmInfo | None
    cases: dict[Period, CaseCounts]  # the chart's periods and the year before
    chart_periods: list[Period]
    groups: dict[RecipientGroup, GroupCount]
    matters: list[MatterCount]
    timeliness: Timeliness
    firms: dict[int | None, FirmFigures]
    rules: dict[str, Rule]
    consultations: ConsultationFigures | None = None  # the center's reports only
    roster: RosterFigures | None = None  # the center's reports only
    notes: list[str] = field(default_factory=list)
    # The first case applied for and the first consultation recorded, anywhere in the center: a period that
    # ended before is a period without data (the records were not kept), not a period of zero.
    cases_since: date | None = None
    consultations_since: date | None = None

    def has_cases(self, period: Period) -> bool:
        """Whether case records were kept in ``period`` (some day of it on or after the first case)."""
        return self.cases_since is not None and period.end >= self.cases_since

    @property
    def has_consultations_before(self) -> bool:
        """Whether consultations were recorded in the year before the period (what 比去年 compares with)."""
        since = self.consultations_since
        return since is not None and self.period.year_before().end >= since

    @property
    def period(self) -> Period:
        return self.request.period

    @property
    def current(self) -> CaseCounts:
        return self.cases[self.period]

    @property
    def before(self) -> CaseCounts:
        return self.cases[self.period.year_before()]

    @property
    def migrant_civil(self) -> int:
        return self.groups[RecipientGroup.migrant_worker].civil


def find_firm(session: Session, code: str) -> FirmInfo:
    """The firm with ``code``; an UnknownFirm naming ``--firm`` otherwise."""
    row = session.execute(
        select(Firm.id, Firm.code, Firm.name, Firm.kind).where(Firm.code == code)
    ).one_or_none()
    if row is None:
        raise UnknownFirm(
            f"--firm: no firm with code {code!r} (see the firms file, or `legalaid import firms`)"
        )
    return FirmInfo(row.id, row.code, row.name, FirmKind(row.kind))


class FigureOptions(TypedDict, total=False):
    """What a caller counting several reports may pass once read; left out, each is read from the settings.
    One definition for ``collect_figures`` and for every function that hands them on to it."""

    calendar: WorkCalendar | None
    rules: dict[str, Rule] | None


def collect_figures(
    session: Session,
    settings: Settings,
    request: ReportRequest,
    *,
    as_of: date,
    **options: Unpack[FigureOptions],
) -> ReportFigures:
    """Count everything the report states: cases, recipients, matters, timeliness and the firms for any
    report; consultations and the desk roster for the center's."""
    calendar = options.get("calendar") or WorkCalendar.from_settings(settings)
    rules = options.get("rules") or load_rules(settings)
    period = request.period
    firm = find_firm(session, request.firm_code) if request.firm_code is not None else None
    scope = Scope(firm.id) if firm is not None else CENTER
    chart_periods = period.last(CHART_PERIODS)
    cases = case_counts(session, [*chart_periods, period.year_before()], scope)
    on_time = timeliness(session, period, rules, calendar, as_of=as_of, scope=scope)
    # The center's first records (not the firm's: a firm without cases in a year the center recorded had
    # none); each a MIN over an indexed date.
    cases_since = session.scalar(select(func.min(Case.applied_on)))
    consultations_since = session.scalar(select(func.min(Consultation.on)))
    firms = firm_figures(session, period, scope)
    closure = {firm_id: counts.get("closure_due", 0) for firm_id, counts in on_time.overdue_by_firm.items()}
    firms = {
        firm_id: dataclasses.replace(figures, closure_overdue=closure.get(firm_id, 0))
        for firm_id, figures in firms.items()
    }
    figures = ReportFigures(
        request=request,
        as_of=as_of,
        firm=firm,
        cases=cases,
        chart_periods=chart_periods,
        groups=recipient_groups(session, period, scope),
        matters=matters(session, period, scope),
        timeliness=on_time,
        firms=firms,
        rules=rules,
        cases_since=cases_since,
        consultations_since=consultations_since,
    )
    if firm is not None:
        return figures
    return dataclasses.replace(
        figures,
        consultations=consultations(session, period, period.year_before()),
        roster=roster_figures(
            session, period, calendar=calendar, weekdays=settings.roster_weekdays, as_of=as_of
        ),
    )


def figures_dict(figures: ReportFigures) -> dict[str, Any]:
    """The figures as plain JSON values, for ``--json``: no names of applicants (there are none here)."""

    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return float(value)
        if isinstance(value, date):
            return value.isoformat()
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, dict):
            return {str(k.key if isinstance(k, Period) else k): plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    result: dict[str, Any] = {
        "kind": figures.request.kind,
        "period": figures.period.key,
        "start": figures.period.start.isoformat(),
        "end": figures.period.end.isoformat(),
        "as_of": figures.as_of.isoformat(),
        "firm": figures.firm.code if figures.firm else None,
        # A period without records is null, not zeros.
        "cases": {p.key: plain(c) if figures.has_cases(p) else None for p, c in figures.cases.items()},
        "groups": {group.value: plain(count) for group, count in figures.groups.items()},
        "matters": plain(figures.matters),
        "timeliness": plain(figures.timeliness),
        "firms": {
            (f.code or "-"): {k: v for k, v in plain(f).items() if k not in ("code",)}
            for f in figures.firms.values()
        },
    }
    if figures.consultations is not None:
        result["consultations"] = {
            "current": {f"{c.value}:{o.value}": n for (c, o), n in figures.consultations.current.items()},
            "previous": {f"{c.value}:{o.value}": n for (c, o), n in figures.consultations.previous.items()},
        }
    if figures.roster is not None:
        result["roster"] = plain(figures.roster)
    return result
