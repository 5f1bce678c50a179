"""Scenario 4: PostgreSQL restarted while the workers deliver (every session terminated, 2 s of refused
connections, then up again): the workers' connections are re-established (the engine's pre-ping), not
wedged; a delivery whose claim or outcome could not be written is taken up again; nothing is lost.
"""

from __future__ import annotations

import time

import pytest
from report import record
from services import PostgresServer
from stack import Stack

pytestmark = [pytest.mark.services, pytest.mark.slow]

MESSAGES = 200


def test_postgres_restarted_while_workers_run_loses_nothing(
    stack: Stack, postgres_server: PostgresServer
) -> None:
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
    record(
        "4 PostgreSQL restarted under load",
        expected=tally.expected,
        delivered=tally.delivered,
        duplicates=tally.duplicates,
        lost=tally.lost,
        recovery_s=last - back_at,
    )
    assert (tally.lost, tally.duplicates) == (0, 0), tally
