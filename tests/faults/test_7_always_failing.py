"""Scenario 7: work that fails every time, among work that does not.

* A scheduled job whose task always raises: the reminders scan with a hand-edited calendar overrides file
  that is not valid TOML (every scan reads it first). Its tick fails, is tried again after 1 s and 2 s, and
  is ``dead`` after 3 attempts with the error kept.
* A message the SMTP server always refuses for now (451 for its one recipient): tried again about every
  second until its retry horizon (7 s here), then ``dead`` with the server's answer kept.

Both sit at the head of their queues, and neither blocks what comes behind: the heartbeat keeps running on
the default queue, and the messages queued after the refused one are delivered. ``legalaid status`` (the
real command) names both, with their errors, and exits non-zero. The figures count the good messages; the
"recovery" is the time from the hand-off to the last of them arriving.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from processes import wait_for
from stack import Stack, record_tally, schedule_text

pytestmark = [pytest.mark.services, pytest.mark.slow]

GOOD = 30
REFUSED_RECIPIENT = "busy@example.org"


def _check(report: dict[str, Any], name: str) -> dict[str, Any]:
    check: dict[str, Any] = next(c for c in report["checks"] if c["name"] == name)
    return check


def test_a_task_that_always_fails_ends_dead_is_shown_and_blocks_nothing(stack: Stack) -> None:
    overrides = stack.folder / "calendar-overrides.toml"
    overrides.write_text("[[day]\ndate = 2027-02-20\nworking = true\n", encoding="utf-8")  # "]]" missing
    stack.configure(
        calendar_overrides_file=overrides,
        job_max_attempts=3,
        mail_retry_horizon_hours=0.002,  # 7.2 s
    )
    stack.start_workers(2)
    stack.wait_for_workers(2)
    at = (datetime.now(UTC) + timedelta(seconds=5)).astimezone(stack.settings.tz)  # once, in 5 s
    reminders = (
        f'reminders = {{ task = "legalaid.reminders.scan", cron = "{at.minute} {at.hour} * * *", '
        f'second = "{at.second}", misfire_grace = 30 }}\n'
    )
    stack.write_schedule(schedule_text(heartbeat_every=2, extra=reminders))
    stack.start_scheduler()

    # The refused message first, then the good ones, in one hand-off: the refused one heads the first batch.
    stack.smtp.reject_recipient(REFUSED_RECIPIENT, "451 4.2.1 Mailbox busy, try again later")
    refused = stack.queue_messages(1, prefix="refused", to=(REFUSED_RECIPIENT,))
    handed_at = time.monotonic()
    good = stack.queue_messages(GOOD, prefix="good")

    def dead_tick() -> Any:
        return next((t for t in stack.ticks("reminders") if t.status == "dead"), None)

    tick = wait_for(dead_tick, timeout=90, what="the reminders tick to be dead", procs=stack.procs)
    last = stack.wait_until_settled(good)
    wait_for(
        lambda: stack.statuses(refused)["dead"] == 1, timeout=60, what="the refused message to be dead",
        procs=stack.procs,
    )  # fmt: skip
    tally = stack.tally(good.values())
    record_tally("7 a task that always fails (+30 queued after)", tally, recovery_s=last - handed_at)
    assert (tally.lost, tally.duplicates, tally.unexpected) == (0, 0, 0), tally

    # The tick: dead after its attempts, the error kept; the heartbeat ran on behind it.
    assert tick.attempts == 3 and tick.error is not None
    assert "gave up after 3 attempts" in tick.error and "not valid TOML" in tick.error, tick.error
    assert any(
        t.scheduled_for > tick.scheduled_for and t.status == "succeeded" for t in stack.ticks("heartbeat")
    )
    # The message: dead after several attempts, the server's answer kept.
    (refused_error,) = stack.errors(refused).values()
    assert refused_error is not None and "gave up after" in refused_error and "451" in refused_error

    # `legalaid status`, the real command: exit code 1, both named with their errors.
    shown = stack.legalaid("status", "--json")
    assert shown.returncode == 1, shown.stderr
    report = json.loads(shown.stdout)
    jobs, outbox = _check(report, "jobs"), _check(report, "outbox")
    assert not jobs["ok"] and "reminders: 1 dead tick(s)" in jobs["summary"], jobs["summary"]
    assert "not valid TOML" in jobs["summary"] and jobs["detail"]["reminders"]["status"] == "dead"
    assert not outbox["ok"] and "1 dead" in outbox["summary"], outbox["summary"]
    (dead,) = outbox["detail"]["dead"]
    assert dead["to"] == [REFUSED_RECIPIENT] and "451" in dead["last_error"]
    text = stack.legalaid("status")
    assert text.returncode == 1
    assert "reminders: 1 dead tick(s)" in text.stdout and "not valid TOML" in text.stdout, text.stdout
