"""The roster on PostgreSQL: the SQLite tests' flow, and two daily checks at once tell a problem once."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from builders import make_desk, make_shifts
from readback import stored_shifts
from sqlalchemy import func, select

from legalaid.models import OutboxMessage, Person, RosterAlert
from legalaid.roster import add_leave, alerts, find_problems, load_window, rotate, swap, write_rotation
from legalaid.roster.store import person_duties
from legalaid.runtime import Runtime

pytestmark = pytest.mark.services
OCTOBER = (date(2012, 10, 1), date(2012, 10, 31))


def test_generate_swap_leave_and_feed(pg_rt: Runtime) -> None:
    with pg_rt.transaction() as session:
        make_desk(session, lawyers=5)
    with pg_rt.transaction() as session:
        window = load_window(session, pg_rt.settings, start=OCTOBER[0], end=OCTOBER[1])
        write_rotation(
            session,
            pg_rt.settings,
            window=window,
            rotation=rotate(window),
            replace=False,
            requested_by="S01",
            today=date(2012, 9, 28),
        )
    first = stored_shifts(pg_rt)[0]
    taker = next(
        code
        for code in ("L01", "L02", "L03", "L04", "L05")
        if code not in {s.person for s in stored_shifts(pg_rt) if abs((s.on - first.on).days) <= 1}
    )
    with pg_rt.transaction() as session:
        swap(
            session,
            pg_rt.settings,
            on=first.on,
            slot="day",
            from_code=first.person,
            to_code=taker,
            today=date(2012, 10, 1),
        )
        add_leave(
            session,
            pg_rt.settings,
            person_code="L03",
            start=date(2012, 10, 22),
            end=date(2012, 10, 26),
            today=date(2012, 10, 1),
        )
    with pg_rt.transaction() as session:
        window = load_window(session, pg_rt.settings, start=OCTOBER[0], end=OCTOBER[1])
        assert find_problems(window.view()) == []
        person = session.scalars(select(Person).where(Person.code == first.person)).one()
        records = person_duties(session, person)
        told = session.scalar(select(func.count()).select_from(OutboxMessage))
    # Drawn (added), then swapped away (removed): cancelled, SEQUENCE 2.
    assert any(r.cancelled and r.on == first.on and r.sequence == 2 for r in records)
    assert told and told >= 3


def test_two_checks_at_once_tell_each_problem_once(pg_rt: Runtime) -> None:
    with pg_rt.transaction() as session:
        make_desk(session, lawyers=2)
        make_shifts(session, [(date(2012, 10, 8), "day", "L01")])
    first = pg_rt.sessions()
    second = pg_rt.sessions()
    try:
        alerts(first, pg_rt.settings, as_of=date(2012, 10, 8))
        found: list[int] = []
        worker = threading.Thread(
            target=lambda: found.append(
                len(alerts(second, pg_rt.settings, as_of=date(2012, 10, 8)).outbox_ids)
            )
        )
        worker.start()  # blocks on the first check's uncommitted ledger rows
        worker.join(timeout=1)
        assert worker.is_alive()
        first.commit()
        worker.join(timeout=20)
        second.commit()
    finally:
        first.close()
        second.close()
    assert found == [0]
    with pg_rt.transaction() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
        assert session.scalar(select(func.count()).select_from(RosterAlert)) > 5
