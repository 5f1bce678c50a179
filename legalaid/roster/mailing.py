"""What every roster notice shares: the run's report, labels in the center's language, the enqueue to a
person, and the frame of a scheduled notice (``notice_job``).

Each message's idempotency key names what it is about (``roster:daybefore:2012-10-08:am:L001:<version>``),
so the notifier can run any number of times, from any process, and each message is queued once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from legalaid.calendar import WorkCalendar
from legalaid.config import Settings
from legalaid.dates import format_date
from legalaid.mail import Attachment, enqueue, render_email
from legalaid.models import OutboxMessage, Person
from legalaid.roster.ics import SLOT_NAMES, slot_hours

WEEKDAY_NAMES = {
    "zh_CN": ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
PROBLEM_NAMES = {
    "zh_CN": {
        "gap": "缺人",
        "double_booked": "同日重复排班",
        "on_leave": "请假期间排班",
        "inactive": "人员已停用",
        "not_in_pool": "不在值班名单",
        "no_email": "无邮箱、无法通知",
        "non_desk_day": "非值班日排班",
        "consecutive": "连续值班超限",
        "imbalance": "值班次数不均",
    },
    "en": {
        "gap": "gap",
        "double_booked": "double-booked",
        "on_leave": "on leave",
        "inactive": "inactive",
        "not_in_pool": "not in the desk pool",
        "no_email": "no email address",
        "non_desk_day": "desk closed",
        "consecutive": "too many days running",
        "imbalance": "imbalance",
    },
}
REASONS = {
    "zh_CN": {"swap": "调班", "leave": "请假", "generate": "重新排班"},
    "en": {"swap": "a swap", "leave": "leave", "generate": "the rota was drawn again"},
}


@dataclass
class NoticeRun:
    """What a notifier did (or, dry, would do): one row per message new to the outbox, and problems."""

    kind: str
    as_of: date
    dry_run: bool
    messages: list[dict[str, Any]] = field(default_factory=list)
    outbox_ids: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    note: str | None = None  # why nothing was due, when nothing was
    already: list[str] = field(default_factory=list)  # keys of messages due but queued before

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "as_of": self.as_of.isoformat(),
            "dry_run": self.dry_run,
            "messages": self.messages,
            "problems": self.problems,
            "note": self.note,
        }


class Labels:
    """Dates, weekdays, slots and hours as the center's locale writes them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.locale = settings.locale

    def day(self, value: date) -> str:
        return format_date(value, self.locale)

    def weekday(self, value: date) -> str:
        return WEEKDAY_NAMES.get(self.locale, WEEKDAY_NAMES["en"])[value.weekday()]

    def slot(self, slot: str) -> str:
        return SLOT_NAMES.get(self.locale, SLOT_NAMES["en"]).get(slot, slot)

    def hours(self, slot: str) -> str:
        start, end = slot_hours(self.settings, slot)
        return f"{start:%H:%M}-{end:%H:%M}"

    def duty(self, on: date, slot: str) -> str:
        """``2012年10月8日（星期一）上午 09:00-12:00``"""
        if self.locale == "zh_CN":
            return f"{self.day(on)}（{self.weekday(on)}）{self.slot(slot)} {self.hours(slot)}"
        return f"{self.weekday(on)} {self.day(on)}, {self.slot(slot)} {self.hours(slot)}"

    def problem(self, kind: str) -> str:
        return PROBLEM_NAMES.get(self.locale, PROBLEM_NAMES["en"]).get(kind, kind)

    def reason(self, kind: str) -> str:
        return REASONS.get(self.locale, REASONS["en"]).get(kind, kind)

    def desk(self) -> dict[str, str]:
        """The desk's name and address and the center's name, for every template."""
        return {
            "center_name": self.settings.center_name,
            "desk_name": self.settings.roster_desk_name,
            "desk_address": self.settings.roster_desk_address,
        }


def already_queued(session: Session, keys: Sequence[str]) -> set[str]:
    """The keys among ``keys`` the outbox already holds."""
    if not keys:
        return set()
    return set(
        session.scalars(select(OutboxMessage.idempotency_key).where(OutboxMessage.idempotency_key.in_(keys)))
    )


def send(
    session: Session,
    settings: Settings,
    run: NoticeRun,
    person: Person,
    *,
    key: str,
    template: str,
    context: dict[str, Any],
    attachments: Sequence[Attachment] = (),
    unreachable: str = "not told",
) -> None:
    """Render and (unless dry or already there) queue one message to ``person``, greeted by name
    (``recipient_name``); record it in the run's report. Without an email address the run's problems say
    so (``L001 张三 has no email address: <unreachable>``) and nothing is queued."""
    if not person.email:
        run.problems.append(f"{person.code} {person.name} has no email address: {unreachable}")
        return
    context = {**Labels(settings).desk(), "recipient_name": person.name, **context}
    email = render_email(template, context, locale=settings.locale)
    if already_queued(session, [key]):
        run.already.append(key)  # so that a run with nothing new can say when it was sent
        return
    row: dict[str, Any] = {
        "kind": run.kind,
        "key": key,
        "person": person.code,
        "to": person.email,
        "subject": email.subject,
    }
    if not run.dry_run:
        message = enqueue(
            session,
            key=key,
            to=[person.email],
            subject=email.subject,
            text=email.text,
            html=email.html,
            attachments=attachments,
            kind=f"roster_{run.kind.replace('-', '_')}",
            mail_from=settings.mail_from,
        )
        row["outbox_id"] = message.id
        run.outbox_ids.append(message.id)
    run.messages.append(row)


# A scheduled notice's own work: what is due on ``run.as_of``, queued (or, dry, reported) into ``run``.
NoticeBody = Callable[[Session, Settings, NoticeRun, WorkCalendar], None]


class NoticeJob:
    """A scheduled roster notice as the task, the command and the demo call it:
    ``job(session, settings, as_of=…, calendar=…, dry_run=…)`` returns the ``NoticeRun``.

    The body (see ``notice_job``) only decides what is due and queues it; the calendar (the center's
    unless the caller passes one, as the command does for all four notices) and the run are made here.
    ``notices.day_before``, which also takes the hourly run's hour, keeps its own signature.
    """

    def __init__(self, kind: str, body: NoticeBody) -> None:
        self.kind = kind
        self.body = body
        functools.update_wrapper(self, body)  # the body's name and docstring are the job's

    def __call__(
        self,
        session: Session,
        settings: Settings,
        *,
        as_of: date,
        calendar: WorkCalendar | None = None,
        dry_run: bool = False,
    ) -> NoticeRun:
        run = NoticeRun(self.kind, as_of, dry_run)
        self.body(session, settings, run, calendar or WorkCalendar.from_settings(settings))
        return run


def notice_job(kind: str) -> Callable[[NoticeBody], NoticeJob]:
    """Make a notice body a ``NoticeJob`` whose runs are of ``kind`` (``week-ahead``, ``alert``, …)."""

    def wrap(body: NoticeBody) -> NoticeJob:
        return NoticeJob(kind, body)

    return wrap
