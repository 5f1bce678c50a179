"""Notices of case steps, through the outbox: once per change, with the Word document attached.

* An assignment: the 指派通知书 to the new lawyer, the firm's address in cc; a reassignment also tells
  the previous lawyer that the case has moved.
* A decision: the 给予 / 不予法律援助决定书 to the center staff, who print it and serve it on the applicant.

The documents are rendered to bytes and attached; their files are recorded in the caller's transaction
and, staged (``legalaid.paths.StagedFiles``), put in the documents folder only once it has committed. A
dry run renders and builds everything (a broken template fails it too) and queues, records and writes
nothing.

Each message's idempotency key names the change (``case:assigned:<case>:<lawyer>:<date>``), so running
the same import or command again, or from two processes, sends nothing new. Changes an import finds
older than ``notice_window_days`` are history (a first import of a center's old cases), not news, and send
nothing. A change a person makes by hand (``by_hand``: ``legalaid case assign --on``) is meant, whatever
its date: its notices are sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from legalaid.config import Settings
from legalaid.dates import format_date
from legalaid.directory import center_staff
from legalaid.documents import DocumentNotApplicable, Issuer, RenderedDocument, render_document, save_document
from legalaid.importing import AssignmentChange, DecisionChange, ImportResult
from legalaid.mail import Attachment, enqueue, render_email
from legalaid.models import Case, Person
from legalaid.models.enums import LABELS_ZH, Decision
from legalaid.paths import StagedFiles
from legalaid.reminders.digest import shorten_name

log = logging.getLogger(__name__)

DECISION_DOCUMENTS = {Decision.granted: "grant_decision", Decision.denied: "denial_decision"}


@dataclass
class NoticeReport:
    """What the notices did: the messages built, the outbox rows written (none in a dry run), and what
    could not be sent (one line each)."""

    notices: int = 0  # messages built: queued, or in a dry run that would be
    queued: list[int] = field(default_factory=list)
    history: int = 0  # changes older than the notice window
    problems: list[str] = field(default_factory=list)


def business_today(settings: Settings, now: datetime | None = None) -> date:
    """Today in the center's time zone (Invariant 4: business dates are local, timestamps UTC)."""
    return (now or datetime.now(settings.tz)).astimezone(settings.tz).date()


def notify_case_changes(
    session: Session,
    settings: Settings,
    *,
    assignments: Sequence[AssignmentChange] = (),
    decisions: Sequence[DecisionChange] = (),
    today: date,
    staged: StagedFiles | None = None,
    dry_run: bool = False,
    by_hand: bool = False,
) -> NoticeReport:
    """Write the outbox rows (and document records) for these changes in the caller's transaction.

    The documents' files go into ``staged``, to be put in place after the commit (without it they are
    written at once); ``dry_run`` builds the messages and documents and writes none of them. ``by_hand``:
    the changes are a person's act, not found in a file, so the notice window does not apply (a lawyer
    assigned by hand today to a case dated a month ago still needs the 指派通知书).
    """
    report = NoticeReport()
    # The window tells a center's history (an import of old cases) from news; a person's act is news.
    oldest = date.min if by_hand else today - timedelta(days=settings.notice_window_days)
    notices = _Notices(session, settings, report, staged=staged, dry_run=dry_run)
    for change in assignments:
        if change.assigned_on is None or change.assigned_on < oldest:
            report.history += 1
            continue
        if change.new_lawyer is not None:
            notices.assigned(change)
        if change.old_lawyer is not None:
            notices.moved(change)
    for decision in decisions:
        if decision.decision is None or decision.decided_on is None or decision.decided_on < oldest:
            report.history += 1
            continue
        notices.decided(decision)
    for problem in report.problems:
        log.warning("notice not sent: %s", problem)
    return report


def import_hook(
    settings: Settings, *, today: date, reports: list[NoticeReport], staged: StagedFiles | None = None
) -> Callable[[Session, ImportResult], None]:
    """An ``on_changes`` hook for ``import_file``: the notices are written in the import's transaction,
    their documents' files into ``staged`` (``import_file`` calls no hook in a dry run)."""

    def on_changes(session: Session, result: ImportResult) -> None:
        reports.append(
            notify_case_changes(
                session,
                settings,
                assignments=result.assignment_changes,
                decisions=result.decision_changes,
                today=today,
                staged=staged,
            )
        )

    return on_changes


class _Notices:
    """Builds the messages of one batch of changes; shares the session, settings and report."""

    def __init__(
        self,
        session: Session,
        settings: Settings,
        report: NoticeReport,
        *,
        staged: StagedFiles | None,
        dry_run: bool,
    ) -> None:
        self.session, self.settings, self.report = session, settings, report
        self.staged, self.dry_run = staged, dry_run
        self.issuer = Issuer.from_settings(settings)
        self._cases: dict[str, Case | None] = {}

    def assigned(self, change: AssignmentChange) -> None:
        case, lawyer = self._case(change.case_no), self._person(change.new_lawyer)
        if case is None or lawyer is None:
            return
        if not lawyer.email:
            self.report.problems.append(
                f"case {case.case_no}: lawyer {lawyer.code} {lawyer.name} has no email address; "
                "the assignment notice was not sent"
            )
            return
        try:
            document = self._document("assignment_notice", case)
        except DocumentNotApplicable as exc:
            self.report.problems.append(str(exc))
            return
        firm = lawyer.firm
        self._send(
            key=f"case:assigned:{case.case_no}:{lawyer.code}:{change.assigned_on}",
            template="case_assigned",
            to=[lawyer.email],
            cc=[firm.email] if firm and firm.email else [],
            context={
                **self._case_context(case),
                "recipient_name": lawyer.name,
                "firm_name": firm.name if firm else "",
            },
            document=document,
        )

    def moved(self, change: AssignmentChange) -> None:
        case, previous = self._case(change.case_no), self._person(change.old_lawyer)
        if case is None or previous is None:
            return
        if not previous.email:
            self.report.problems.append(
                f"case {case.case_no}: previous lawyer {previous.code} {previous.name} has no email address"
            )
            return
        successor = self._person(change.new_lawyer) if change.new_lawyer else None
        self._send(
            key=f"case:moved:{case.case_no}:{previous.code}:{change.new_lawyer or '-'}:{change.assigned_on}",
            template="case_moved",
            to=[previous.email],
            context={
                **self._case_context(case),
                "recipient_name": previous.name,
                "successor_name": successor.name if successor else "",
            },
        )

    def decided(self, change: DecisionChange) -> None:
        case = self._case(change.case_no)
        if case is None or case.decision is None:
            return
        staff = center_staff(self.session, self.settings)
        self.report.problems.extend(staff.problems)
        if not staff.addresses:
            self.report.problems.append(
                f"case {case.case_no}: no center staff with an email for the decision letter"
            )
            return
        try:
            document = self._document(DECISION_DOCUMENTS[case.decision], case)
        except DocumentNotApplicable as exc:
            self.report.problems.append(str(exc))
            return
        self._send(
            key=f"case:decided:{case.case_no}:{case.decision.value}:{change.decided_on}",
            template="case_decided",
            to=staff.addresses,
            context={
                **self._case_context(case),
                "recipient_name": "、".join(p.name for p in staff.people if p.email),
                "granted": case.decision == Decision.granted,
            },
            document=document,
        )

    def _send(
        self,
        *,
        key: str,
        template: str,
        to: list[str],
        context: dict[str, Any],
        cc: list[str] | None = None,
        document: RenderedDocument | None = None,
    ) -> None:
        email = render_email(
            template, {**context, "center_name": self.issuer.center_name}, locale=self.settings.locale
        )
        attachments = (
            [Attachment(document.file_name, document.content, document.media_type)] if document else []
        )
        self.report.notices += 1
        if self.dry_run:
            return
        if document is not None:
            save_document(self.session, document, self.settings.documents_dir, staged=self.staged)
        row = enqueue(
            self.session,
            key=key,
            to=to,
            cc=cc or [],
            subject=email.subject,
            text=email.text,
            html=email.html,
            attachments=attachments,
            kind="notice",
            mail_from=self.settings.mail_from,
        )
        self.report.queued.append(row.id)

    def _document(self, kind: str, case: Case) -> RenderedDocument:
        return render_document(
            self.session,
            kind=kind,
            case_no=case.case_no,
            case=case,
            locale=self.settings.locale,
            issuer=self.issuer,
            record_number=not self.dry_run,
        )

    def _case(self, case_no: str) -> Case | None:
        # A case moved to another lawyer has two notices; each query would load the case and its groups again.
        case = self._cases.get(case_no)
        if case is None:
            case = self._cases[case_no] = self.session.scalar(select(Case).where(Case.case_no == case_no))
        if case is None:
            self.report.problems.append(f"case {case_no}: not in the database")
        return case

    def _person(self, code: str | None) -> Person | None:
        if code is None:
            return None
        person = self.session.scalar(select(Person).where(Person.code == code))
        if person is None:
            self.report.problems.append(f"person {code}: not in the database")
        return person

    def _case_context(self, case: Case) -> dict[str, Any]:
        locale = self.settings.locale
        return {
            "case_no": case.case_no,
            "applicant": case.applicant,
            # For subjects, which mail lists and phone notifications show to anyone nearby: 王*明, as in
            # the digests. The body (and the attached document) keeps the full name the lawyer needs.
            "applicant_masked": shorten_name(case.applicant),
            "case_type": LABELS_ZH[case.case_type] if locale == "zh_CN" else case.case_type.value,
            "matter": case.matter or "",
            "applied_on": format_date(case.applied_on, locale),
            "decided_on": format_date(case.decided_on, locale),
            "assigned_on": format_date(case.assigned_on, locale),
        }
