"""Duties as iCalendar (RFC 5545): the .ics attached to the notices and a person's feed.

The only module that imports ``icalendar``. Every event has a stable UID made of the day, the slot and
the person (``duty-2012-10-08-am-L001@<mail domain>``), so a calendar app that imports the same duty twice
keeps one event, and a duty removed from someone stays in their feed as ``STATUS:CANCELLED`` with a higher
``SEQUENCE`` (the number of times it was added or removed), which makes the app drop it. Times are local
to the center (``TZID=Asia/Shanghai`` by default) with the VTIMEZONE the standard requires.
DTSTAMP is the time of the duty's last change, not of rendering, so the same duty renders to the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from icalendar import Calendar, Event

from legalaid.config import Settings
from legalaid.mail import Attachment
from legalaid.mail.compose import mail_domain

ICS_MEDIA_TYPE = "text/calendar"
PRODID = "-//legalaid//arbitration desk roster//ZH"
SLOT_NAMES = {
    "zh_CN": {"day": "全天", "am": "上午", "pm": "下午"},
    "en": {"day": "all day", "am": "morning", "pm": "afternoon"},
}


@dataclass(frozen=True)
class DutyEvent:
    """One duty for a calendar."""

    on: date
    slot: str
    person: str  # code
    person_name: str
    cancelled: bool = False
    sequence: int = 0
    changed_at: datetime | None = None


def slot_hours(settings: Settings, slot: str) -> tuple[time, time]:
    """The opening hours of a slot, from the settings (``roster_hours_am`` …)."""
    text = {"day": settings.roster_hours_day, "am": settings.roster_hours_am, "pm": settings.roster_hours_pm}
    start, end = text.get(slot, settings.roster_hours_day).split("-")
    return time.fromisoformat(start), time.fromisoformat(end)


def uid_domain(settings: Settings) -> str:
    """The mail domain of the center (from ``mail_from``), which makes the UIDs globally unique: the same
    domain as the Message-IDs of the mails that carry them."""
    return mail_domain(settings.mail_from)


def duty_uid(on: date, slot: str, person: str, domain: str) -> str:
    return f"duty-{on.isoformat()}-{slot}-{person}@{domain}"


def calendar_bytes(events: Sequence[DutyEvent], settings: Settings, *, name: str | None = None) -> bytes:
    """A VCALENDAR with one VEVENT per duty (and the VTIMEZONE of the center's zone), CRLF lines."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.timezone)
    domain = uid_domain(settings)
    for event in sorted(events, key=lambda e: (e.on, e.slot, e.person)):
        calendar.add_component(_event(event, settings, domain))
    if events:
        calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def _event(duty: DutyEvent, settings: Settings, domain: str) -> Event:
    names = SLOT_NAMES.get(settings.locale, SLOT_NAMES["en"])
    start, end = slot_hours(settings, duty.slot)
    tz = settings.tz
    event = Event()
    event.add("uid", duty_uid(duty.on, duty.slot, duty.person, domain))
    event.add("dtstamp", (duty.changed_at or datetime(2000, 1, 1, tzinfo=UTC)).astimezone(UTC))
    event.add("dtstart", datetime.combine(duty.on, start, tzinfo=tz))
    event.add("dtend", datetime.combine(duty.on, end, tzinfo=tz))
    if settings.locale == "zh_CN":
        summary = f"{settings.roster_desk_name}值班（{names.get(duty.slot, duty.slot)}）"
        description = f"{duty.person_name}值班。{settings.center_name}"
    else:
        summary = f"Duty at the {settings.roster_desk_name} ({names.get(duty.slot, duty.slot)})"
        description = f"{duty.person_name} on duty. {settings.center_name}"
    event.add("summary", summary)
    event.add("location", settings.roster_desk_address)
    event.add("description", description)
    event.add("status", "CANCELLED" if duty.cancelled else "CONFIRMED")
    event.add("sequence", duty.sequence)
    event.add("transp", "TRANSPARENT" if duty.cancelled else "OPAQUE")
    event.add("categories", ["值班" if settings.locale == "zh_CN" else "duty"])
    return event


def ics_attachment(events: Sequence[DutyEvent], settings: Settings, *, file_name: str) -> Attachment:
    """The events as an email attachment (``text/calendar``)."""
    content = calendar_bytes(events, settings)
    return Attachment(file_name, content, ICS_MEDIA_TYPE)
