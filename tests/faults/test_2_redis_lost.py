"""Scenario 2: the broker loses its queued work — Redis restarted (no persistence), then Redis flushed —
while a hundred messages are queued and being delivered (two rounds, one line each).

Every deliver task in Redis is gone, the unacknowledged ones too, and so is the scheduler's leader lock (it
takes the lock again). The outbox is the truth: the sweep (the ``mail-sweep`` job, every second here) hands
the rows over again once their hand-off is 3 s old, and the workers, reconnected, deliver them. A task
running when the connection dropped finishes (the workers do not cancel it), so no message may arrive twice.
The sweep's own ticks lost with Redis are sent again by the scheduler (``legalaid.jobs``): every recorded
tick runs, once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from stack import Stack, record_tally

pytestmark = [pytest.mark.services, pytest.mark.slow]

MESSAGES = 100


def test_redis_restarted_then_flushed_with_work_queued_loses_nothing(stack: Stack) -> None:
    faults: list[tuple[str, Callable[[], None]]] = [
        ("restarted", lambda: stack.redis.restart(down_for=1.0)),
        ("flushed", stack.redis.flushall),
    ]
    stack.start_workers(2)
    stack.start_scheduler()
    for name, inject in faults:
        stack.wait_for_workers(2)
        sent = stack.queue_messages(MESSAGES, prefix=f"redis-{name}")
        stack.smtp.wait_for(len(stack.smtp.messages()) + MESSAGES // 5, timeout=60)
        inject()
        fault_over = time.monotonic()
        assert stack.statuses(sent)["sent"] < MESSAGES, "the batch finished before the fault: make it bigger"

        last = stack.wait_until_settled(sent)
        tally = stack.tally(sent.values())
        record_tally(f"2 Redis {name}, work queued", tally, recovery_s=last - fault_over)
        assert (tally.lost, tally.duplicates) == (0, 0), tally

    # The sweep's own ticks, whose messages were lost too: every one recorded ran, once.
    ticks = stack.wait_for_ticks_to_run("mail-sweep", until=datetime.now(UTC))
    assert ticks and all(t.attempts == 1 for t in ticks), [t for t in ticks if t.attempts != 1]
