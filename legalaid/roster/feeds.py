"""Calendar feeds: per person a secret URL that a calendar app subscribes to, revocable.

The URL is ``web_base_url`` + ``/api/v1/feeds/<secret>/duties.ics``; the secret is its only credential
(calendar apps send no token). Only the secret's SHA-256 is stored, as for the API's tokens: the secret is
random (32 bytes), so a plain hash is enough, and a copy of the table opens no feed. The URL can therefore
be shown only when it is made: ``open_feed`` makes one for a person without a live feed (or, with
``new``, ends the live one and makes another) and otherwise says since when the live one exists.

A feed holds the person's desk duties from a month back to three months ahead (removed ones as
``STATUS:CANCELLED``, which makes an app drop them), rendered by ``legalaid.roster.ics``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from legalaid.config import Settings
from legalaid.errors import UserError
from legalaid.models import CalendarFeed, Person
from legalaid.roster.ics import DutyEvent, calendar_bytes
from legalaid.roster.store import person_by_code, person_duties

FEED_PATH = "/api/v1/feeds/{secret}/duties.ics"
MONTHS_BACK = 1
MONTHS_AHEAD = 3


@dataclass(frozen=True)
class FeedResult:
    """What ``open_feed``/``revoke_feed`` did: ``created`` (``url`` is set, this once), ``exists`` (the
    live feed made at ``created_at``; its URL is not known any more) or ``revoked``."""

    person: str
    name: str
    status: str
    created_at: datetime
    url: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "person": self.person,
            "name": self.name,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
            "url": self.url,
        }


def secret_hash(secret: str) -> str:
    """The stored form of a feed's secret: its SHA-256, in hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def feed_url(settings: Settings, secret: str) -> str:
    return settings.resolved_web_base_url + FEED_PATH.format(secret=secret)


def _live(session: Session, person: Person) -> CalendarFeed | None:
    return session.scalar(
        select(CalendarFeed)
        .where(CalendarFeed.person_id == person.id, CalendarFeed.revoked_at.is_(None))
        .order_by(CalendarFeed.id.desc())
        .limit(1)
    )


def open_feed(
    session: Session, settings: Settings, code: str, *, new: bool = False, now: datetime
) -> FeedResult:
    """The person's feed: made (with its URL) when there is none or ``new`` asks for another (the old one
    is revoked in the same transaction); otherwise the live one, without a URL."""
    person = person_by_code(session, code, argument="PERSON")
    live = _live(session, person)
    if live is not None and not new:
        return FeedResult(person.code, person.name, "exists", live.created_at)
    if live is not None:
        live.revoked_at = now
    secret = secrets.token_urlsafe(32)
    session.add(CalendarFeed(person_id=person.id, secret_hash=secret_hash(secret), created_at=now))
    session.flush()
    return FeedResult(person.code, person.name, "created", now, feed_url(settings, secret))


def revoke_feed(session: Session, code: str, *, now: datetime) -> FeedResult:
    """End the person's live feed: its URL answers 404 from now on."""
    person = person_by_code(session, code, argument="PERSON")
    live = _live(session, person)
    if live is None:
        raise UserError(f"PERSON: {person.code} {person.name} has no calendar feed to revoke")
    live.revoked_at = now
    return FeedResult(person.code, person.name, "revoked", live.created_at)


def feed_person(session: Session, secret: str) -> Person | None:
    """The person of a live feed's secret, or None (unknown or revoked: the caller does not say which)."""
    digest = secret_hash(secret)
    feed = session.scalar(select(CalendarFeed).where(CalendarFeed.secret_hash == digest))
    if feed is None or not hmac.compare_digest(feed.secret_hash, digest) or feed.revoked_at is not None:
        return None
    return feed.person


def feed_window(today: date) -> tuple[date, date]:
    """The days a feed covers: from a month before ``today`` to three months after."""
    return _add_months(today, -MONTHS_BACK), _add_months(today, MONTHS_AHEAD)


def feed_calendar(session: Session, settings: Settings, secret: str, *, today: date) -> bytes | None:
    """The feed's iCalendar bytes, or None for an unknown or revoked secret."""
    person = feed_person(session, secret)
    if person is None:
        return None
    start, end = feed_window(today)
    events = [
        DutyEvent(r.on, r.slot, r.person, person.name, r.cancelled, r.sequence, r.changed_at)
        for r in person_duties(session, person, start=start, end=end)
    ]
    return calendar_bytes(events, settings, name=f"{settings.roster_desk_name} {person.name}")


def _add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, clipped to the month's last day (31 January + 1 month: 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")
