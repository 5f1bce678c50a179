"""The scan on PostgreSQL: two ``legalaid reminders run`` processes at once mail each item once, and the
due-item query can be answered from indexes alone."""

from __future__ import annotations

import json
import subprocess
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from builders import make_case, make_reminders_center
from mailroom import digest_rows
from processes import LEGALAID, legalaid_env, wait_for
from sqlalchemy import select, text

from legalaid.calendar import WorkCalendar
from legalaid.models import OutboxMessage, ReminderSent
from legalaid.reminders import load_rules, select_due
from legalaid.runtime import Runtime

pytestmark = pytest.mark.services

AS_OF = date(2012, 10, 8)
REVIEWS, CONTACTS = 300, 200


def _waiting_on_the_ledger(rt: Runtime) -> int:
    query = text(
        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
        "WHERE c.relname = 'reminders_sent' AND NOT l.granted"
    )
    with rt.engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def test_two_scans_at_once_mail_each_item_once(pg_rt: Runtime, postgres_url: str, tmp_path: Path) -> None:
    with pg_rt.transaction() as session:
        center = make_reminders_center(session)
        for n in range(REVIEWS):  # review due on 10-08 (D-2 superseded): to S1 and S2
            make_case(session, case_no=f"R{n:04d}", applied_on=date(2012, 9, 24))
        for n in range(CONTACTS):  # first contact due on 10-08: to L1
            make_case(session, case_no=f"F{n:04d}", assigned_on=date(2012, 9, 26), lawyer=center.lawyer_id)
    environment = legalaid_env(data_dir=tmp_path / "var", database_url=postgres_url)
    command = [*LEGALAID, "reminders", "run", "--as-of", AS_OF.isoformat(), "--json"]

    # Hold the ledger so that both scans select the same due set and then meet on the same rows.
    with pg_rt.engine.connect() as gate:
        gate.execute(text("LOCK TABLE reminders_sent IN EXCLUSIVE MODE"))
        procs = [
            subprocess.Popen(
                command, env=environment, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            for _ in range(2)
        ]
        try:
            wait_for(lambda: _waiting_on_the_ledger(pg_rt) == 2, timeout=30, what="both scans at the ledger")
        except AssertionError:
            for proc in procs:
                proc.kill()
            raise
        time.sleep(0.2)
        gate.rollback()  # let both go at once
    outputs = [proc.communicate(timeout=60) for proc in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()

    listed = [row for out, _ in outputs for row in json.loads(out)]
    per_item = Counter((row["rule"], row["case_no"], row["recipient"]) for row in listed)
    assert len(per_item) == REVIEWS * 2 + CONTACTS
    assert set(per_item.values()) == {1}  # each item to each person once, from one process or the other

    with pg_rt.transaction() as session:
        bodies = session.execute(select(OutboxMessage.to_addrs, OutboxMessage.body_text)).all()
        ledger = Counter(session.execute(select(ReminderSent.status)).scalars())
    lines = Counter((to[0], row[0]) for to, body in bodies for row in digest_rows(body)[1:])
    assert len(lines) == REVIEWS * 2 + CONTACTS and set(lines.values()) == {1}
    assert ledger == {"sent": REVIEWS + CONTACTS, "superseded": REVIEWS}


def test_the_due_items_come_from_indexes(pg_rt: Runtime) -> None:
    """A year of finished cases (every step done) and a few open ones, analysed: the plan of the due-item
    query reads cases through indexes only, whatever the number of cases."""
    day = date(2012, 1, 1).toordinal()
    with pg_rt.transaction() as session:
        center = make_reminders_center(session)
        for n in range(3000):
            on = date.fromordinal(day + n % 300)
            make_case(
                session,
                applied_on=on,
                decided_on=on,
                assigned_on=on,
                first_contact_on=on,
                last_progress_on=on,
                ended_on=on,
                closure_submitted_on=on,
                return_visit_on=on,
                lawyer=center.lawyer_id,
            )
        make_case(session, applied_on=date(2012, 9, 24))
    with pg_rt.engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()
    selection = select_due(
        list(load_rules(pg_rt.settings).values()), WorkCalendar(), as_of=AS_OF, lookback_days=14
    )
    assert selection.statement is not None
    compiled = selection.statement.compile(pg_rt.engine, compile_kwargs={"literal_binds": True})
    with pg_rt.engine.connect() as connection:
        plan = "\n".join(connection.execute(text(f"EXPLAIN {compiled}")).scalars())
    assert "Seq Scan on cases" not in plan, plan


def test_the_catch_up_on_postgresql_sends_what_is_open_and_overdue_once(pg_rt: Runtime) -> None:
    """A first import: finished cases of years past and three open overdue ones; the catch-up sends the
    three, once, at their highest level, and the next day's scan nothing."""
    from builders import scan

    with pg_rt.transaction() as session:
        center = make_reminders_center(session)
        lawyer = center.lawyer_id
        for n in range(200):
            on = date(2004, 1, 5).toordinal() + n * 15
            make_case(session, case_no=f"OLD-{n:03d}", applied_on=date.fromordinal(on),
                      decided_on=date.fromordinal(on + 2), assigned_on=date.fromordinal(on + 3),
                      first_contact_on=date.fromordinal(on + 5), ended_on=date.fromordinal(on + 60),
                      closure_submitted_on=date.fromordinal(on + 70),
                      return_visit_on=date.fromordinal(on + 80), lawyer=lawyer)  # fmt: skip
        contacted: dict[str, Any] = {
            "assigned_on": date(2012, 6, 1),
            "first_contact_on": date(2012, 6, 2),
            "lawyer": lawyer,
        }
        make_case(session, case_no="OPEN-1", ended_on=date(2009, 3, 2), **contacted)
        make_case(session, case_no="OPEN-2", applied_on=date(2011, 6, 1))
        make_case(session, case_no="OPEN-3", ended_on=date(2012, 7, 1),
                  closure_submitted_on=date(2012, 7, 20), **contacted)  # fmt: skip
    report = scan(pg_rt, AS_OF)
    assert {(r["case_no"], r["rule"], r["level"], r["catch_up"]) for r in report.rows} == {
        ("OPEN-1", "closure_due", "escalation", True),
        ("OPEN-2", "review_due", "escalation", True),
        ("OPEN-3", "return_visit_due", "reminder", True),
    }
    assert scan(pg_rt, date(2012, 10, 9)).rows == []
