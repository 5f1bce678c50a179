"""Scenario 4: PostgreSQL restarted while the workers deliver (every session terminated, 2 s of refused
connections, then up again): the workers' connections are re-established (the engine's pre-ping), not
wedged. A batch whose claim failed is handed over again by the sweep; a message the server had accepted
when the database went is recorded ``sent`` once it is back (the worker keeps trying for the claim's lease),
so it is not sent again. The scheduler's job store (in the same database) may pause the schedule for
APScheduler's retry interval (10 s), which then shows in the recovery time.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from services import PostgresServer
from stack import Stack, record_tally

pytestmark = [pytest.mark.services, pytest.mark.slow]

MESSAGES = 200


def test_postgres_restarted_while_workers_run_loses_nothing(
    stack: Stack, postgres_server: PostgresServer
) -> None:
    # Long enough for a worker to outlast the restart holding its claim: here it is the outcome's
    # recording, not the lease, that must cope (the lease's own recovery is scenario 1's).
    stack.configure(mail_lease_seconds=15)
    stack.start_workers(2)
    stack.start_scheduler()
    stack.wait_for_workers(2)
    sent = stack.queue_messages(MESSAGES, prefix="pg-restart")
    stack.smtp.wait_for(MESSAGES // 5, timeout=60)
    postgres_server.restart(down_for=2.0)
    back_at = time.monotonic()
    assert len(stack.smtp.messages()) < MESSAGES, "the batch finished before the restart: make it bigger"

    last = stack.wait_until_settled(sent)
    tally = stack.tally(sent.values())
    record_tally("4 PostgreSQL restarted under load", tally, recovery_s=last - back_at)
    assert (tally.lost, tally.duplicates) == (0, 0), tally
    # The sweep's ticks: those the scheduler could not record were sent anyway and recorded by the worker
    # that ran them; one whose run the restart cut short ran again (attempts 2): every recorded tick ran.
    ticks = stack.wait_for_ticks_to_run("mail-sweep", until=datetime.now(UTC))
    again = [t.key for t in ticks if t.attempts > 1]
    print(f"{len(ticks)} sweep ticks ran; run again after the restart: {again}")
