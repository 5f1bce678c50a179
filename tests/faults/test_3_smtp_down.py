"""Scenario 3: the SMTP server down (refusing connections) for several retry intervals, then back.

Each attempt fails at once (connection refused); the row goes back to ``queued``, due again about 1 s later
(``mail_retry_base_seconds`` and ``mail_retry_max_seconds`` 1, jitter ±25 %), the rest of its batch is handed
back, and the sweep (every second) hands the due rows over again: a batch tries one message a round while the
server is down. When the server is back, every message arrives once.
"""

from __future__ import annotations

import time

import pytest
from processes import wait_for
from sqlalchemy import func, select
from stack import Stack, record_tally

from legalaid.models import OutboxMessage

pytestmark = [pytest.mark.services, pytest.mark.slow]

MESSAGES = 50
REFUSED = 3  # times one message is refused before the server comes back


def _most_attempts(stack: Stack) -> int:
    with stack.runtime.sessions() as session:
        return int(session.scalar(select(func.max(OutboxMessage.attempts))) or 0)


def test_smtp_down_for_several_retry_intervals_then_back_loses_nothing(stack: Stack) -> None:
    stack.start_workers(2)
    stack.start_scheduler()
    stack.wait_for_workers(2)
    stack.smtp.refuse_connections()
    down_at = time.monotonic()
    sent = stack.queue_messages(MESSAGES, prefix="smtp-down")

    wait_for(
        lambda: _most_attempts(stack) >= REFUSED,
        timeout=60,
        what=f"a message refused {REFUSED} times",
        procs=stack.procs,
    )
    assert stack.smtp.messages() == [] and stack.statuses(sent)["sent"] == 0
    failures = [e for e in stack.errors(sent).values() if e]
    assert failures and all("refused" in e.lower() or "connect" in e.lower() for e in failures), failures
    stack.smtp.accept_connections()
    back_at = time.monotonic()

    last = stack.wait_until_settled(sent)
    tally = stack.tally(sent.values())
    record_tally(
        f"3 SMTP refusing for {back_at - down_at:.0f} s, then back", tally, recovery_s=last - back_at
    )
    assert (tally.lost, tally.duplicates) == (0, 0), tally
