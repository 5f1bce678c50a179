"""The daily follow-up scan, whole: the one function ``legalaid reminders run`` and the scheduled task call.

1. On a day off nothing is sent (digests go out on working days only); the items wait for the first
   working day, whose scan takes every threshold up to it.
2. ``scan``: the due items in SQL (``scan.select_due``).
3. ``digest``: who gets each item, grouped per person; undeliverable items reported to the staff.
4. ``ledger.claim``: insert-if-absent of each item the plan can carry; the items this transaction won
   are the ones it mails (two scans at once mail each item once).
5. One outbox row per digest (``mail.enqueue_many``, keyed by the digest's items) and the delivery rows,
   all in the caller's transaction: either the ledger and the mail are both written, or neither is.

``dry_run`` stops after step 3 (the digests are still rendered, so a broken template fails a dry run too)
and writes nothing at all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from legalaid.actions import digest_links
from legalaid.calendar import WorkCalendar
from legalaid.config import Settings
from legalaid.mail import NewMessage, enqueue_many
from legalaid.models import utcnow
from legalaid.models.reminders import DELIVERED, UNDELIVERABLE
from legalaid.reminders.digest import AddressBook, Digest, Plan, plan_digests, render_digest, restrict
from legalaid.reminders.ledger import Delivery, claim, record_deliveries, sent_on
from legalaid.reminders.rules import Rule, load_rules
from legalaid.reminders.scan import DueItem, select_due

log = logging.getLogger(__name__)

DIGESTS_PER_INSERT = 200


class Line(NamedTuple):
    """One item for one person: a line of the command's output, and a delivery row of the ledger."""

    item: DueItem
    recipient: str  # a person code; empty when there is nobody to name (no lawyer recorded)
    role: str
    delivery: str  # queued, would_queue (dry run) or undeliverable
    reason: str | None
    outbox_id: int | None

    def as_dict(self) -> dict[str, Any]:
        item = self.item
        return {
            "rule": item.rule,
            "case_no": item.case_no,
            "recipient": self.recipient,
            "role": self.role,
            "level": item.level,
            "anchor": item.anchor,
            "deadline": item.deadline,
            "threshold": item.threshold,
            "catch_up": item.catch_up,
            "delivery": self.delivery,
            "reason": self.reason,
            "outbox_id": self.outbox_id,
        }


@dataclass
class RunReport:
    """What a scan did (or, dry, would do): one line per item and person, and what went wrong."""

    as_of: date
    working_day: bool
    dry_run: bool
    holiday_name: str | None = None
    next_working_day: date | None = None
    lines: list[Line] = field(default_factory=list)
    outbox_ids: list[int] = field(default_factory=list)
    digests: dict[str, int] = field(default_factory=dict)  # kind (reminder, escalation) → how many
    superseded: int = 0
    problems: list[str] = field(default_factory=list)
    # When the scan found nothing: how many items earlier scans for the same day sent, and when the last.
    sent_before: int = 0
    sent_before_at: datetime | None = None
    # With a limit (a dry run's preview): whether more items are due than the ``lines`` carry.
    due_more: bool = False

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The lines as plain values, as ``--json`` prints them: rule, case_no, recipient, level, …"""
        return [line.as_dict() for line in self.lines]

    @property
    def undeliverable(self) -> int:
        return sum(1 for line in self.lines if line.delivery == UNDELIVERABLE)


def run_reminders(
    session: Session,
    settings: Settings,
    *,
    as_of: date,
    dry_run: bool = False,
    calendar: WorkCalendar | None = None,
    rules: dict[str, Rule] | None = None,
    limit: int | None = None,
) -> RunReport:
    """Scan for the reminders and escalations due on ``as_of`` and queue their digests (see the module).

    ``limit`` (a dry run only: the console's Today page) looks at the first ``limit`` due items and
    says whether there are more (``RunReport.due_more``): at a province's scale a whole dry run renders
    thousands of digests, which a page that shows a hundred lines does not need. It reads one item more
    rather than counting them all: a count reads the whole due set (50,000 rows, 0.6 s at 1,000,000
    cases), which is the scan's work, not a preview's."""
    if limit is not None and not dry_run:
        raise ValueError("a scan that sends takes every due item: limit is for a dry run")
    calendar = calendar or WorkCalendar.from_settings(settings)
    report = RunReport(as_of=as_of, working_day=calendar.is_working_day(as_of), dry_run=dry_run)
    if not report.working_day:
        report.holiday_name = calendar.day(as_of).holiday_name
        report.next_working_day = calendar.next_working_day(as_of)
        return report
    rules = rules or load_rules(settings)
    selection = select_due(
        list(rules.values()), calendar, as_of=as_of, lookback_days=settings.reminder_lookback_days
    )
    items = selection.items(session, limit=None if limit is None else limit + 1)
    if limit is not None and len(items) > limit:
        report.due_more, items = True, items[:limit]
    book = AddressBook(session, settings, items)
    plan = plan_digests(items, rules, book)
    carried, orphans = plan.carried(), plan.orphans
    if dry_run:
        won = {item.key: 0 for item in items if item.key in carried}
    else:
        claimed = claim(session, (item for item in items if item.key in carried), as_of=as_of)
        won, report.superseded = claimed.sent_ids, claimed.superseded
        plan = restrict(plan, set(won))
    for entry in orphans:
        # An item none of whose people could get it is not recorded (so the next scan tries again); one
        # that reached someone else is, and only this person's part is lost: say which.
        if entry.item.key not in carried:
            then = "the item is tried again on the next scan"
        elif entry.item.key in won:
            then = "the item went to its other recipients"
        else:
            continue  # another scan at the same time had it
        report.problems.append(
            f"{entry.item.case_no} {entry.item.rule}: {entry.unreachable.describe('en')}, and no center "
            f"staff member has an email address to report it to; {then}"
        )
    outbox_ids = _send(session, settings, plan, won, as_of=as_of, rules=rules, book=book, report=report)
    report.outbox_ids = outbox_ids
    for digest in plan.digests:
        report.digests[digest.kind] = report.digests.get(digest.kind, 0) + 1
    for problem in report.problems:
        log.warning("reminders %s: %s", as_of.isoformat(), problem)
    if not report.lines:
        # An empty answer says why when it can: the day's items were sent by an earlier scan.
        report.sent_before, report.sent_before_at = sent_on(session, as_of)
    return report


def _send(
    session: Session,
    settings: Settings,
    plan: Plan,
    won: dict[str, int],
    *,
    as_of: date,
    rules: dict[str, Rule],
    book: AddressBook,
    report: RunReport,
) -> list[int]:
    outbox_ids: list[int] = []
    queued = "would_queue" if report.dry_run else "queued"
    deliveries: list[Delivery] = []
    # The first staff digest that reports an undeliverable item is the one its delivery row points at.
    reported_in: dict[tuple[str, str, str], int | None] = {}
    # Multi-row INSERTs of DIGESTS_PER_INSERT digests at a time: a province's run writes thousands, and
    # only one batch of rendered bodies is held at once.
    ids: list[int | None] = []
    for start in range(0, len(plan.digests), DIGESTS_PER_INSERT):
        batch = plan.digests[start : start + DIGESTS_PER_INSERT]
        # A dry run writes nothing, so its digests carry no links (a link is a row of action_tokens).
        links = {} if report.dry_run else digest_links(session, settings, batch, now=utcnow())
        messages = [
            _message(digest, as_of=as_of, rules=rules, book=book, settings=settings, links=links)
            for digest in batch
        ]
        if report.dry_run:
            ids += [None] * len(messages)
        else:
            new_ids = enqueue_many(session, messages, mail_from=settings.mail_from)
            outbox_ids += new_ids
            ids += new_ids
    for digest, outbox_id in zip(plan.digests, ids, strict=True):
        code = digest.person.code
        for item, role in digest.items:
            report.lines.append(Line(item, code, role, queued, None, outbox_id))
            deliveries.append(Delivery(won[item.key], code, role, DELIVERED, None, outbox_id))
        for entry in digest.undelivered:
            u = entry.unreachable
            reported_in.setdefault((entry.item.key, u.role, u.code), outbox_id)
    for entry in plan.undelivered:
        u = entry.unreachable
        if entry.item.key not in won:
            continue  # an orphan: nobody to report it to, left for the next scan
        outbox_id = reported_in.get((entry.item.key, u.role, u.code))
        reason = u.describe("en")
        report.lines.append(Line(entry.item, u.code, u.role, UNDELIVERABLE, reason, outbox_id))
        deliveries.append(Delivery(won[entry.item.key], u.code, u.role, UNDELIVERABLE, reason, outbox_id))
    if not report.dry_run:
        record_deliveries(session, deliveries)
    report.lines.sort(
        key=lambda line: (
            line.item.deadline,
            line.item.case_no,
            line.item.rule,
            line.item.level,
            line.recipient,
        )
    )
    return outbox_ids


def _message(
    digest: Digest,
    *,
    as_of: date,
    rules: dict[str, Rule],
    book: AddressBook,
    settings: Settings,
    links: dict[tuple[str, str], str],
) -> NewMessage:
    mine = {key: url for (code, key), url in links.items() if code == digest.person.code}
    email = render_digest(digest, as_of=as_of, rules=rules, book=book, settings=settings, links=mine)
    return NewMessage(
        digest.key(as_of),
        [digest.person.email or ""],
        email.subject,
        email.text,
        html=email.html,
        kind=digest.kind,
    )
