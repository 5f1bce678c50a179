"""Scenario 6: the only scheduler SIGKILLed and down across a scheduled time (counted in heartbeat ticks,
one every 4 s): once a scheduler starts again the missed run is made up exactly once.

The job store (in PostgreSQL) keeps the heartbeat's next run time; the new scheduler reconciles the schedule
without moving it, so the missed tick is due at once and runs within its ``misfire_grace``; several missed
ticks would be one run (coalesced), for the latest of them.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from processes import wait_for
from report import record
from stack import Stack, schedule_text

pytestmark = [pytest.mark.services, pytest.mark.slow]

EVERY = 4  # seconds between heartbeat ticks


def test_a_tick_missed_while_the_scheduler_is_down_is_made_up_once(stack: Stack) -> None:
    stack.write_schedule(schedule_text(heartbeat_every=EVERY))
    stack.start_workers(2)
    scheduler = stack.start_scheduler()
    stack.wait_for_workers(2)

    def succeeded() -> list[datetime]:
        return [t.scheduled_for for t in stack.ticks("heartbeat") if t.status == "succeeded"]

    last_before = wait_for(succeeded, timeout=30, what="a first heartbeat", procs=stack.procs)[-1]
    scheduler.kill()
    stopped_at = datetime.now(UTC)
    missed = last_before + timedelta(seconds=EVERY)
    while missed <= stopped_at:  # the kill came after a later tick had been sent: that one was not missed
        missed += timedelta(seconds=EVERY)
    # Down across the next tick, then start again.
    time.sleep(max((missed - datetime.now(UTC)).total_seconds(), 0) + 1)
    restarted = time.monotonic()
    again = stack.start_scheduler()
    made_up = wait_for(
        lambda: [t for t in succeeded() if t >= missed], timeout=40, what="the missed tick to be made up",
        procs=stack.procs,
    )[0]  # fmt: skip
    recovery = time.monotonic() - restarted
    resumed_at = wait_for(
        lambda: _logged_at(again.output(), "Resumed scheduler job processing"),
        timeout=20, what="the restarted scheduler to resume", procs=stack.procs,
    )  # fmt: skip
    # The ticks no scheduler could fire: from the first after the kill to the last before the resume.
    down = [missed + timedelta(seconds=EVERY * n) for n in range(60)]
    down = [t for t in down if t <= resumed_at]
    wait_for(
        lambda: any(t > down[-1] for t in succeeded()),
        timeout=EVERY + 20, what="the first regular tick after the restart", procs=stack.procs,
    )  # fmt: skip

    runs = stack.ticks("heartbeat")
    ran_while_down = [t for t in runs if stopped_at < t.scheduled_for <= down[-1]]
    record(
        "6 scheduler down across a tick (ticks)",
        expected=1,
        delivered=min(len(ran_while_down), 1),
        duplicates=max(len(ran_while_down) - 1, 0) + sum(t.attempts - 1 for t in runs),
        lost=0 if ran_while_down else 1,
        recovery_s=recovery,
    )
    print(f"missed {[t.isoformat() for t in down]}; made up {[t.key for t in ran_while_down]}")
    # Once, for the latest tick missed, and each tick claimed once.
    assert [t.scheduled_for for t in ran_while_down] == [down[-1]] == [made_up]
    assert all(t.attempts == 1 for t in runs)


def _logged_at(output: str, message: str) -> datetime | None:
    """When a process logged ``message`` (its text log's local time, to the millisecond), in UTC."""
    for line in output.splitlines():
        if message in line:
            return datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").astimezone(UTC)
    return None
