"""Scenario 1: a worker SIGKILLed in the middle of a batch, early, half-way and late (three rounds, one
line each).

The killed worker's claimed message stays ``sending`` until its lease ends (5 s here), then the outbox sweep
hands it over again; the deliver tasks the broker had given it are gone with it (unacknowledged, hours away
from Redis's redelivery) and the sweep hands their rows over again once their hand-off is 5 s old. The
other worker delivers them while a replacement starts, as a supervisor would start one. A message the
server had accepted when the worker died arrives twice, with the same Message-ID: the one duplicate a kill
may cost.
"""

from __future__ import annotations

import time

import pytest
from stack import Stack, record_tally

pytestmark = [pytest.mark.services, pytest.mark.slow]

MESSAGES = 120
MOMENTS = (("early", 0.1), ("mid", 0.5), ("late", 0.85))


def test_a_worker_killed_mid_batch_loses_nothing(stack: Stack) -> None:
    live = stack.start_workers(2)
    stack.start_scheduler()
    for moment, share in MOMENTS:
        stack.wait_for_workers(2)
        sent = stack.queue_messages(MESSAGES, prefix=f"kill-{moment}")
        stack.smtp.wait_for(len(stack.smtp.messages()) + int(MESSAGES * share), timeout=60)
        victim = live.pop(0)
        victim.kill()  # SIGKILL, its pool process too: no warm shutdown, no ack, no outcome recorded
        killed_at = time.monotonic()
        assert stack.statuses(sent)["sent"] < MESSAGES, "the batch finished before the kill: make it bigger"
        live += stack.start_workers(1)

        last = stack.wait_until_settled(sent)
        tally = stack.tally(sent.values())
        record_tally(f"1 worker SIGKILLed mid-batch, {moment}", tally, recovery_s=last - killed_at)
        assert tally.lost == 0, moment
        # At most the message in the killed worker's hands, which the server had accepted: again, same ID …
        assert tally.duplicates <= 1 and all(n == 2 for n in tally.duplicated.values()), tally
        # … and it is the row whose lease expired (the sweep noted why it handed it over again).
        by_message_id = {mid: outbox_id for outbox_id, mid in sent.items()}
        errors = stack.errors([by_message_id[mid] for mid in tally.duplicated])
        assert all(error and "lease expired" in error for error in errors.values()), errors
