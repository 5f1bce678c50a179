"""The roster's step of ``legalaid demo``: draw the desk's next month, check it, send the notices.

The month is the first whole month from the demo date on (the demo's 2012-11-01: November 2012, with the
annual leave the demo data puts in its second week). The rota continues from the October roster the demo
imported; the notices are those the scheduled jobs would queue on the demo date (the day-before notice of
the next desk day, alerts if the check finds anything, the week-ahead roster if it is the last working
day of its week, last month's desk report if it is the first working day of its month), written as .eml
files with the embedded ``file`` transport, and not queued at all over SMTP (the demo's addresses are
made up). The month's 值班安排表 goes into the demo folder.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from legalaid.calendar import WorkCalendar
from legalaid.mail import flush, make_transport
from legalaid.roster.alerts import alerts
from legalaid.roster.checks import find_problems
from legalaid.roster.document import month_sheet, write_sheet
from legalaid.roster.month_report import month_report
from legalaid.roster.notices import day_before, week_ahead
from legalaid.roster.quality import measure
from legalaid.roster.store import load_window, rotate
from legalaid.roster.swap import write_rotation

if TYPE_CHECKING:
    from cli.demo.run import DemoContext

# The notices the scheduled jobs would queue on the demo date, by the name the summary gives each kind.
NOTIFIERS = (
    ("week-ahead roster", week_ahead),
    ("day-before notice", day_before),
    ("roster alert", alerts),
    ("monthly desk report", month_report),
)


def next_month(as_of: date) -> tuple[date, date]:
    """The first whole month from ``as_of`` on: its first and last day."""
    start = as_of if as_of.day == 1 else (as_of.replace(day=1) + timedelta(days=32)).replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return start, end


def demo_roster(context: DemoContext) -> dict[str, Any]:
    """Draw, check and announce the demo desk's next month; the figures for the demo's summary."""
    rt, as_of = context.rt, context.data.as_of
    settings = rt.settings
    calendar = WorkCalendar.from_settings(settings)
    start, end = next_month(as_of)
    with rt.transaction() as session:
        window = load_window(session, settings, start=start, end=end, calendar=calendar)
        rotation = rotate(window)
        write_rotation(
            session,
            settings,
            window=window,
            rotation=rotation,
            replace=False,
            requested_by=None,
            today=as_of,
            default_requester="legalaid demo",
        )
    with rt.transaction() as session:
        view = load_window(session, settings, start=start, end=end, calendar=calendar).view()
        problems = find_problems(view)
        quality = measure(view)
        sheet = month_sheet(session, settings, month=start, made_on=as_of, calendar=calendar)
    files = write_sheet(sheet, settings, context.folder)
    # Each kind counted apart, so that the summary names them ("1 day-before notice, 5 monthly reports").
    by_kind: dict[str, int] = {}
    if settings.mail_transport != "smtp":
        with rt.transaction() as session:
            for kind, notifier in NOTIFIERS:
                sent = len(notifier(session, settings, as_of=as_of, calendar=calendar).outbox_ids)
                if sent:
                    by_kind[kind] = sent
        if settings.mail_transport == "file":
            flush(rt, transport=make_transport(settings))
    return {
        "month": f"{start:%Y-%m}",
        "from": start.isoformat(),
        "to": end.isoformat(),
        "shifts": len(rotation.shifts),
        "people": len(rotation.counts),
        "problems": [p.as_dict() for p in problems],
        "score": quality.score,
        "coverage": round(quality.coverage, 4),
        "balance": round(quality.balance, 4),
        "notices": sum(by_kind.values()),
        "notices_by_kind": by_kind,
        "files": [str(path.resolve()) for path in files],
    }
