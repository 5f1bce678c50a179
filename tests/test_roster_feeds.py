"""Calendar feeds: ``legalaid roster feed PERSON`` makes a secret URL (only its hash stored), says since when
one exists, makes a new one with --new and ends one with --revoke; the URL, fetched without a token on
SQLite and PostgreSQL, is the person's duties as iCalendar; an unknown or revoked secret is the same 404."""

from __future__ import annotations

import json
from datetime import date, timedelta

import icalendar
import pytest
from api import TestClient, assert_problem
from builders import make_desk, make_shifts
from sqlalchemy import select

from cli import main
from legalaid.casework.notices import business_today
from legalaid.models import CalendarFeed, utcnow
from legalaid.roster.feeds import feed_window, open_feed, revoke_feed, secret_hash
from legalaid.runtime import Runtime


@pytest.fixture
def api_rt(api_rt: Runtime) -> Runtime:
    """The shared runtime (SQLite, then PostgreSQL) with this file's data."""
    runtime = api_rt
    today = business_today(runtime.settings)
    with runtime.transaction() as session:
        make_desk(session, lawyers=2)
        shifts = [(7, "L01"), (-90, "L01"), (8, "L02")]
        make_shifts(session, [(today + timedelta(days=days), "day", code) for days, code in shifts])
    return runtime


def _path(url: str | None) -> str:
    assert url is not None
    return url[url.index("/api/v1/") :]


def test_a_feed_is_fetched_and_parsed_as_icalendar(client: TestClient, api_rt: Runtime) -> None:
    with api_rt.transaction() as session:
        made = open_feed(session, api_rt.settings, "L01", now=utcnow())
    assert made.status == "created" and made.url is not None
    assert made.url.startswith("http://127.0.0.1:8000/api/v1/feeds/") and made.url.endswith("/duties.ics")
    answer = client.get(_path(made.url))  # no token: the secret is the credential
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(answer.content)
    events = list(calendar.walk("VEVENT"))
    in_a_week = business_today(api_rt.settings) + timedelta(days=7)
    assert [e.decoded("dtstart").date() for e in events] == [in_a_week]  # not L02's, not 90 days back
    assert str(events[0]["uid"]).startswith(f"duty-{in_a_week.isoformat()}-day-L01@")


def test_a_revoked_or_unknown_feed_is_the_same_404(client: TestClient, api_rt: Runtime) -> None:
    with api_rt.transaction() as session:
        old = open_feed(session, api_rt.settings, "L01", now=utcnow())
    with api_rt.transaction() as session:
        new = open_feed(session, api_rt.settings, "L01", new=True, now=utcnow())
    revoked, unknown = client.get(_path(old.url)), client.get("/api/v1/feeds/not-a-secret/duties.ics")
    assert assert_problem(revoked, 404) == assert_problem(unknown, 404)
    assert client.get(_path(new.url)).status_code == 200
    with api_rt.transaction() as session:
        revoke_feed(session, "L01", now=utcnow())
    assert_problem(client.get(_path(new.url)), 404)


def test_only_the_hash_is_stored(api_rt: Runtime) -> None:
    with api_rt.transaction() as session:
        made = open_feed(session, api_rt.settings, "L02", now=utcnow())
    secret = _path(made.url).split("/")[4]
    with api_rt.sessions() as session:
        (row,) = session.scalars(select(CalendarFeed))
    assert row.secret_hash == secret_hash(secret) and secret not in row.secret_hash


def test_the_window_is_a_month_back_and_three_ahead() -> None:
    assert feed_window(date(2012, 5, 31)) == (date(2012, 4, 30), date(2012, 8, 31))
    assert feed_window(date(2012, 1, 15)) == (date(2011, 12, 15), date(2012, 4, 15))


def _run(capsys: pytest.CaptureFixture[str], argv: list[str], code: int = 0) -> str:
    assert main(argv) == code
    captured = capsys.readouterr()
    return captured.out if code == 0 else captured.err


def test_roster_feed_prints_the_url_only_when_it_makes_one(
    rt: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    with rt.transaction() as session:
        make_desk(session, lawyers=1)
    made = json.loads(_run(capsys, ["roster", "feed", "L01", "--json"]))
    assert made["status"] == "created" and made["url"].endswith("/duties.ics")
    again = _run(capsys, ["roster", "feed", "L01"])
    assert "has a calendar feed since" in again and "--new" in again and made["url"] not in again
    renewed = json.loads(_run(capsys, ["roster", "feed", "L01", "--new", "--json"]))
    assert renewed["status"] == "created" and renewed["url"] != made["url"]
    assert "revoked" in _run(capsys, ["roster", "feed", "L01", "--revoke"])
    assert "no calendar feed to revoke" in _run(capsys, ["roster", "feed", "L01", "--revoke"], code=2)
    assert "no person with code 'X9'" in _run(capsys, ["roster", "feed", "X9"], code=2)
    assert "give one of them" in _run(capsys, ["roster", "feed", "L01", "--new", "--revoke"], code=2)
    with rt.sessions() as session:
        rows = list(session.scalars(select(CalendarFeed)))
    assert len(rows) == 2 and all(row.revoked_at is not None for row in rows)
