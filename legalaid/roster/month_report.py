"""The desk's monthly report (值班月报): last month's roster quality, duties and service, to the center.

On the first working day of a month (the scheduled job runs daily and asks the calendar, so a holiday on
the 1st moves it), the coordinators (``center_staff``) and the head of the center get last month's:

* quality (``quality.measure``): coverage of the required desk positions, balance of the loads scaled by
  each person's available days, who was over their fair share as "+X%", and the score;
* one row per lawyer: duties, fair share, available desk days, over or under;
* the problems the checks still find in the month (gaps, double bookings, duty during leave, …) by kind;
* the swaps and leave that changed the month's duties, and the desk's consultations by outcome.

Each message's key is ``roster:month:<YYYY-MM>:<person>``: one report per month and person, however
often the job runs.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from legalaid.calendar import WorkCalendar
from legalaid.config import Settings
from legalaid.dates import format_month
from legalaid.directory import center_head, center_staff
from legalaid.models import Consultation, Person
from legalaid.models.enums import ConsultationChannel, ConsultationOutcome
from legalaid.models.roster_log import DutyChange, RosterRequest
from legalaid.roster.checks import find_problems
from legalaid.roster.mailing import Labels, NoticeRun, notice_job, send
from legalaid.roster.quality import PLAIN, Quality, measure, plain_summary
from legalaid.roster.store import load_window

OUTCOME_NAMES = {
    "zh_CN": {"answered": "解答", "mediated": "调解成功", "converted": "转为援助案件", "referred": "转介"},
    "en": {
        "answered": "answered",
        "mediated": "mediated",
        "converted": "became aid cases",
        "referred": "referred",
    },
}


def month_bounds(day: date) -> tuple[date, date]:
    """The first and last day of ``day``'s month."""
    first = day.replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


@dataclass(frozen=True)
class MonthFigures:
    """One month of the desk: the quality figures and what stands behind them."""

    start: date
    end: date
    quality: Quality
    problems: dict[str, int]  # check kind → how many
    changes: dict[str, int]  # swap, leave, generate → requests that changed the month's duties
    consultations: dict[str, int]  # outcome → consultations at the desk

    def as_dict(self) -> dict[str, Any]:
        return {
            "month": f"{self.start:%Y-%m}",
            "quality": self.quality.as_dict(),
            "problems": self.problems,
            "changes": self.changes,
            "consultations": self.consultations,
        }


def month_figures(session: Session, settings: Settings, month: date, calendar: WorkCalendar) -> MonthFigures:
    """The figures of the month that contains ``month``."""
    start, end = month_bounds(month)
    window = load_window(session, settings, start=start, end=end, calendar=calendar)
    view = window.view()
    problems = Counter(problem.kind for problem in find_problems(view))
    changes: dict[str, int] = dict(
        session.execute(
            select(RosterRequest.kind, func.count(RosterRequest.id.distinct()))
            .join(DutyChange, DutyChange.request_id == RosterRequest.id)
            .where(DutyChange.on.between(start, end), RosterRequest.kind != "generate")
            .group_by(RosterRequest.kind)
        ).all()
    )
    consultations = dict(
        session.execute(
            select(Consultation.outcome, func.coalesce(func.sum(Consultation.count), 0))
            .where(
                Consultation.on.between(start, end),
                Consultation.channel == ConsultationChannel.arbitration_desk,
            )
            .group_by(Consultation.outcome)
        ).all()
    )
    return MonthFigures(
        start,
        end,
        measure(view),
        dict(sorted(problems.items())),
        {str(kind): int(n) for kind, n in sorted(changes.items())},
        {outcome.value: int(consultations.get(outcome, 0)) for outcome in ConsultationOutcome},
    )


@notice_job("month-report")
def month_report(session: Session, settings: Settings, run: NoticeRun, calendar: WorkCalendar) -> None:
    """On the first working day of a month, queue last month's desk report to the coordinators and head."""
    as_of = run.as_of
    first_working = calendar.next_working_day(as_of.replace(day=1), include_self=True)
    if as_of != first_working:
        run.note = f"{as_of} is not the first working day of its month ({first_working}): no monthly report"
        return
    figures = month_figures(session, settings, as_of.replace(day=1) - timedelta(days=1), calendar)
    staff, head = center_staff(session, settings), center_head(session, settings)
    run.problems.extend([*staff.problems, *head.problems])
    recipients = {p.code: p for p in [*staff.people, *head.people] if p.email}
    context = _context(session, settings, figures)
    for person in recipients.values():
        send(
            session,
            settings,
            run,
            person,
            key=f"roster:month:{figures.start:%Y-%m}:{person.code}",
            template="roster_month_report",
            context=context,
        )


def _context(session: Session, settings: Settings, figures: MonthFigures) -> dict[str, Any]:
    labels = Labels(settings)
    plain = PLAIN.get(labels.locale, PLAIN["en"])
    quality = figures.quality
    names: dict[str, str] = dict(session.execute(select(Person.code, Person.name)).all())
    # The best whole duties allow (within rounding): nobody is flagged, since nothing could be better.
    best = quality.balance >= quality.best_balance - 1e-9
    rows = [
        {
            "name": names.get(load.person, load.person),
            "code": load.person,
            "duties": load.count,
            "share": f"{float(load.share):.1f}",
            "available_days": load.available_days,
            "over": "" if best else _off_share(load.count, load.share, plain),
        }
        for load in sorted(quality.loads, key=lambda load: (-load.count, load.person))
    ]
    outcome_names = OUTCOME_NAMES.get(labels.locale, OUTCOME_NAMES["en"])
    return {
        "month": format_month(figures.start, labels.locale),
        **plain_summary(quality, settings),
        "coverage": f"{quality.coverage:.0%}",
        "filled": quality.filled,
        "required": quality.required,
        "balance": f"{quality.balance:.2f}",
        "best_balance": f"{quality.best_balance:.2f}",
        "score": quality.score,
        # Who did more than their share rounded up (someone else could have taken one), only when the
        # split could be more even.
        "over": ("、" if labels.locale == "zh_CN" else ", ").join(
            str(row["name"]) for row in rows if row["over"] == plain["more"]
        ),
        "rows": rows,
        "problems": [{"kind": labels.problem(kind), "count": n} for kind, n in figures.problems.items()],
        "changes": [{"kind": labels.reason(kind), "count": n} for kind, n in figures.changes.items()],
        "consultations": [
            {"outcome": outcome_names.get(outcome, outcome), "count": n}
            for outcome, n in figures.consultations.items()
        ],
        "consultations_total": sum(figures.consultations.values()),
    }


def _off_share(count: int, share: Fraction, plain: dict[str, str]) -> str:
    """偏多 / 偏少 for a lawyer whose duties are more than the share rounded up or fewer than it rounded
    down: a whole duty someone else should have done. Within them, a count is as fair as it can be."""
    if count > math.ceil(share):
        return plain["more"]
    if count < math.floor(share):
        return plain["fewer"]
    return ""
