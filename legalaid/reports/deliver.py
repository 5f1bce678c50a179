"""Make a report, write its files, record it in the ledger and, when asked, mail it: what the command
line, the scheduled task and the demo call.

``render_report`` is pure rendering (figures → content → .docx and .xlsx bytes); ``produce_report`` does
the rest in one transaction: claim the ledger row, write the files, enqueue the email (with both files
attached, the headline figures in the body, no names of applicants) and mark the row sent. Either the
email and the "sent" mark are both committed, or neither is; a failure is then recorded in a transaction
of its own, so that ``legalaid status`` shows it and the next scheduled run tries again.

``publish_due`` is the scheduled job: on the working day a report falls due (the 5th working day after a
quarter, the 10th after a year, settings ``report_quarter_working_days`` and ``report_year_working_days``)
it sends the center's report to ``report_recipients`` and each firm's to its director, each once.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Unpack

from sqlalchemy import select
from sqlalchemy.orm import Session

from legalaid.calendar import WorkCalendar
from legalaid.config import Settings
from legalaid.dates import format_date
from legalaid.directory import firm_director, report_recipients
from legalaid.errors import UserError
from legalaid.mail import Attachment, enqueue, render_email
from legalaid.models import Firm
from legalaid.models.reports import REPORT_SENT
from legalaid.paths import StagedFiles, path_inside, safe_file_name
from legalaid.reminders import load_rules
from legalaid.reports import runs
from legalaid.reports.appendix import XLSX_MEDIA_TYPE, render_xlsx
from legalaid.reports.collect import (
    FigureOptions,
    ReportFigures,
    ReportRequest,
    collect_figures,
    figures_dict,
    find_firm,
)
from legalaid.reports.content import ReportContent, compose
from legalaid.reports.document import DOCX_MEDIA_TYPE, render_docx
from legalaid.reports.periods import AsOf, Period, due_periods, publication_day, report_as_of
from legalaid.runtime import Runtime

log = logging.getLogger(__name__)

REPORTS_FOLDER = "reports"  # under the data dir, unless --out says otherwise


class ReportFailed(UserError):
    """A report could not be made or sent; the ledger records why."""

    exit_code = 1


class NoRecipients(RuntimeError):
    """Nobody with an email address to send the report to."""


@dataclass(frozen=True)
class RenderedReport:
    figures: ReportFigures
    content: ReportContent
    docx: bytes
    xlsx: bytes

    @property
    def docx_name(self) -> str:
        return safe_file_name(self.content.file_stem, suffix=".docx")

    @property
    def xlsx_name(self) -> str:
        return safe_file_name(self.content.file_stem, suffix=".xlsx")


@dataclass
class ReportResult:
    """What one report run did: ``built``, ``sent``, ``skipped`` (sent already), or ``dry_run``."""

    key: str
    status: str
    headline: list[str]
    files: list[Path] = field(default_factory=list)
    checksum: str | None = None
    changed: bool | None = None  # the document differs from the previous build (None: first build)
    changes: list[str] | None = None  # the figures that changed since the previous build ("name: old → new")
    as_of: AsOf | None = None  # the day the figures are counted as of, and why that day
    recipients: list[str] = field(default_factory=list)
    outbox_id: int | None = None
    note: str | None = None
    problems: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "status": self.status,
            "headline": self.headline,
            "files": [str(path) for path in self.files],
            "checksum": self.checksum,
            "changed": self.changed,
            "changes": self.changes,
            "as_of": self.as_of.day.isoformat() if self.as_of else None,
            "as_of_basis": self.as_of.basis if self.as_of else None,
            "recipients": self.recipients,
            "outbox_id": self.outbox_id,
            "note": self.note,
            "problems": self.problems,
            "figures": self.figures,
        }


def reports_dir(settings: Settings) -> Path:
    return (settings.data_dir / REPORTS_FOLDER).resolve()


def default_as_of(
    settings: Settings,
    period: Period,
    *,
    today: date,
    given: date | None = None,
    calendar: WorkCalendar | None = None,
) -> AsOf:
    """The report's as-of day with the center's settings: ``given``, else the period's publication day
    once it has come, else today (``periods.report_as_of``)."""
    return report_as_of(
        period,
        today,
        calendar or WorkCalendar.from_settings(settings),
        quarter_days=settings.report_quarter_working_days,
        year_days=settings.report_year_working_days,
        given=given,
    )


def render_report(
    session: Session,
    settings: Settings,
    request: ReportRequest,
    *,
    as_of: date,
    **options: Unpack[FigureOptions],
) -> RenderedReport:
    """Count the figures and render the Word document and the workbook (nothing is written)."""
    figures = collect_figures(session, settings, request, as_of=as_of, **options)
    content = compose(figures, locale=settings.locale, center_name=settings.center_name)
    stamp = datetime.combine(as_of, time())
    xlsx_name = safe_file_name(content.file_stem, suffix=".xlsx")
    docx = render_docx(content, author=settings.center_name, as_of_time=stamp, appendix_name=xlsx_name)
    return RenderedReport(figures, content, docx, render_xlsx(content, stamp=stamp))


def report_addresses(
    session: Session, settings: Settings, request: ReportRequest
) -> tuple[list[str], list[str]]:
    """Who gets the report, and what kept anyone out: the leaders (``report_recipients``) for the
    center's, the firm's director for a firm's (the firm's own address when the director has none)."""
    if request.firm_code is None:
        people, plain = report_recipients(session, settings)
        return list(dict.fromkeys([*people.addresses, *plain])), list(people.problems)
    firm = session.scalars(select(Firm).where(Firm.code == request.firm_code)).one()
    director = firm_director(session, firm)
    addresses, problems = director.addresses, list(director.problems)
    if not addresses and firm.email:
        problems.append(f"firm {firm.code}: sent to the firm's address {firm.email} instead")
        addresses = [firm.email]
    return addresses, problems


def produce_report(
    rt: Runtime,
    request: ReportRequest,
    *,
    as_of: date | AsOf,
    out_dir: Path | None = None,
    send: bool = False,
    resend: bool = False,
    dry_run: bool = False,
    unless_sent: bool = False,
) -> ReportResult:
    """Build (and with ``send`` mail) one report; see the module docstring.

    ``send`` mails it unless it was sent before; ``resend`` mails it again all the same (a new outbox key).
    ``unless_sent`` (the scheduled job) does nothing at all for a report already sent. ``dry_run`` counts
    and renders, and writes, records and sends nothing. A mailed report's ``outbox_id`` is committed when
    this returns: the caller hands it to the mail queue.
    """
    settings = rt.settings
    send = send or resend
    stated = as_of if isinstance(as_of, AsOf) else AsOf(as_of, "given")
    as_of = stated.day
    if request.firm_code is not None:
        with rt.sessions() as session:
            find_firm(session, request.firm_code)  # an unknown firm is the user's mistake: nothing recorded
    if dry_run:
        with rt.sessions() as session:
            rendered = render_report(session, settings, request, as_of=as_of)
            addresses, problems = report_addresses(session, settings, request) if send else ([], [])
        folder = out_dir or reports_dir(settings)
        return ReportResult(
            key=request.key,
            status="dry_run",
            headline=rendered.content.headline,
            files=[folder / rendered.docx_name, folder / rendered.xlsx_name],
            checksum=hashlib.sha256(rendered.docx).hexdigest(),
            recipients=addresses,
            problems=problems,
            figures=figures_dict(rendered.figures),
            as_of=stated,
        )
    try:
        # The files are staged in the transaction (a folder that cannot be written fails it) and replace the
        # previous build's only once the ledger row and the email with the same bytes have committed.
        with StagedFiles() as staged, rt.transaction() as session:
            result = _produce(
                session, settings, request, as_of=as_of, out_dir=out_dir or reports_dir(settings),
                send=send, resend=resend, unless_sent=unless_sent, staged=staged,
            )  # fmt: skip
            result.as_of = stated
            return result
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}" if not isinstance(exc, UserError) else str(exc)
        with rt.transaction() as session:
            runs.record_failure(session, request, error=error, locale=settings.locale)
        log.warning("%s failed: %s", request.key, error)
        raise ReportFailed(
            f"{request.key} failed: {error} (recorded; `legalaid report runs` lists it)"
        ) from exc


def _produce(
    session: Session,
    settings: Settings,
    request: ReportRequest,
    *,
    as_of: date,
    out_dir: Path,
    send: bool,
    resend: bool,
    unless_sent: bool,
    staged: StagedFiles,
) -> ReportResult:
    run = runs.claim_run(session, request, locale=settings.locale)
    if unless_sent and run.status == REPORT_SENT:
        return ReportResult(
            key=request.key, status="skipped", headline=list(run.headline), note="sent already"
        )
    rendered = render_report(session, settings, request, as_of=as_of)
    previous = run.checksum
    docx_path = path_inside(out_dir, rendered.docx_name)
    xlsx_path = path_inside(out_dir, rendered.xlsx_name)
    staged.add(docx_path, rendered.docx)
    staged.add(xlsx_path, rendered.xlsx)
    checksum = hashlib.sha256(rendered.docx).hexdigest()
    figures = figures_dict(rendered.figures)
    runs.record_built(
        run,
        docx_path=docx_path,
        xlsx_path=xlsx_path,
        checksum=checksum,
        headline=rendered.content.headline,
        locale=settings.locale,
        as_of=as_of,
        figures=figures,
    )
    result = ReportResult(
        key=request.key,
        status="built",
        headline=rendered.content.headline,
        files=[docx_path, xlsx_path],
        checksum=checksum,
        changed=None if previous is None else previous != checksum,
        changes=run.changes if previous is not None else None,
        figures=figures,
    )
    if not send:
        return result
    if run.status == REPORT_SENT and not resend:
        when = f" on {run.sent_at:%Y-%m-%d %H:%M} UTC" if run.sent_at else ""
        result.note = f"sent already{when}; --resend sends it again"
        return result
    addresses, result.problems = report_addresses(session, settings, request)
    if not addresses:
        raise NoRecipients("; ".join(result.problems) or "nobody to send the report to")
    message = render_email(
        "report_firm" if request.firm_code else "report_center",
        {
            "center_name": settings.center_name,
            "title": rendered.content.title,
            "period": rendered.figures.period.name(settings.locale),
            "span": rendered.figures.period.span(settings.locale),
            "as_of": format_date(as_of, settings.locale),  # 数据截至2012年11月14日, never ISO in prose
            "headline": rendered.content.headline,
            "files": [rendered.docx_name, rendered.xlsx_name],
        },
        locale=settings.locale,
    )
    row = enqueue(
        session,
        key=runs.send_key(request, run.sends),
        to=addresses,
        subject=message.subject,
        text=message.text,
        html=message.html,
        attachments=[
            Attachment(rendered.docx_name, rendered.docx, DOCX_MEDIA_TYPE),
            Attachment(rendered.xlsx_name, rendered.xlsx, XLSX_MEDIA_TYPE),
        ],
        kind="report",
        mail_from=settings.mail_from,
    )
    runs.record_sent(run, recipients=addresses)
    result.status, result.recipients, result.outbox_id = REPORT_SENT, addresses, row.id
    return result


# The scheduled job -----------------------------------------------------------------------------------------


@dataclass
class PublishReport:
    """What one scheduled run did: the periods due on ``as_of`` and each report's result or error."""

    as_of: date
    periods: list[Period]
    results: list[ReportResult] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return sum(1 for result in self.results if result.status == REPORT_SENT)

    @property
    def outbox_ids(self) -> list[int]:
        """The emails this run queued (committed), for the hand-off to the mail queue."""
        return [r.outbox_id for r in self.results if r.status == REPORT_SENT and r.outbox_id is not None]


def due_requests(session: Session, periods: Sequence[Period]) -> list[ReportRequest]:
    """The center's report of each due period, then each firm's."""
    firms = list(session.scalars(select(Firm.code).order_by(Firm.code)))
    requests: list[ReportRequest] = []
    for period in periods:
        requests.append(ReportRequest("annual" if period.quarter is None else "quarterly", period))
        requests.extend(ReportRequest("firm", period, code) for code in firms)
    return requests


def publish_due(
    rt: Runtime,
    *,
    as_of: date,
    calendar: WorkCalendar | None = None,
) -> PublishReport:
    """Send every report due on ``as_of`` that was not sent yet; one failure does not stop the others."""
    settings = rt.settings
    calendar = calendar or WorkCalendar.from_settings(settings)
    periods = due_periods(
        as_of,
        calendar,
        start_month=settings.report_year_start_month,
        quarter_days=settings.report_quarter_working_days,
        year_days=settings.report_year_working_days,
    )
    report = PublishReport(as_of, periods)
    if not periods:
        return report
    load_rules(settings)  # a broken rules file fails the run once, not each report
    with rt.sessions() as session:
        requests = due_requests(session, periods)
    for request in requests:
        # Counted as of the publication day even when made up for days later: the report of the period is
        # the one of its day, whenever it goes out.
        published = publication_day(
            request.period,
            calendar,
            quarter_days=settings.report_quarter_working_days,
            year_days=settings.report_year_working_days,
        )
        try:
            result = produce_report(
                rt, request, as_of=AsOf(published, "publication day"), send=True, unless_sent=True
            )
        except ReportFailed as exc:
            report.failures.append(str(exc))
            continue
        report.results.append(result)
    return report
