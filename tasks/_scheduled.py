"""``run_tick``: the body every scheduled task shares, so that the task itself only names its domain function.

One tick, in order: the tick's time in the center's time zone (the business date is its date there), the
claim (``tasks._runtime.scheduled_run``: a tick that ran, runs elsewhere or is dead does nothing), the work
(the domain function, which commits its own transaction or transactions and returns what it queued), and
the hand-off of the committed outbox rows to the mail queue (``tasks.mail.hand_over``). A lost hand-off is
the sweep's; a work that raises leaves the tick ``failed`` for its retry, with nothing committed by it.

The domain decides what is due: a day that is not the last working day of its week has no week-ahead
roster, an hour before ``roster_notice_hour`` has no day-before notices. The task only passes the tick.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from legalaid import jobs
from legalaid.runtime import Runtime
from tasks._runtime import scheduled_run, task_runtime
from tasks.mail import hand_over

log = logging.getLogger(__name__)


class Queued(Protocol):
    """What a scheduled domain function returns: at least the outbox ids it queued."""

    @property
    def outbox_ids(self) -> Sequence[int]: ...


Q = TypeVar("Q", bound=Queued)
# The work of a tick: given the runtime and the tick's local time, do it (committed) and say what was queued.
Work = Callable[[Runtime, datetime], Q]


def run_tick(task: Any, *, job: str, scheduled_for: str, work: Work[Q]) -> Q | None:
    """Run ``work`` once for tick ``scheduled_for`` (ISO 8601 with offset) of ``job`` for the bound Celery
    ``task``, then hand what it queued to the mail queue; None when the tick is not this run's to do."""
    rt = task_runtime()
    when = datetime.fromisoformat(scheduled_for)
    with scheduled_run(task, job=job, scheduled_for=when) as run:
        if run is None:
            log.info("%s already ran or is taken; nothing to do", jobs.run_key(job, when))
            return None
        done = work(rt, when.astimezone(rt.settings.tz))
        # Inside the claim, as before the tick is marked done: a worker killed here leaves the rows to the
        # sweep and the tick to its retry, which finds everything keyed and queues nothing twice.
        hand_over(rt, done.outbox_ids, app=task.app)
    return done


def on_the_day(notifier: Callable[..., Q]) -> Work[Q]:
    """``notifier(session, settings, as_of=<the tick's business date>)`` in one transaction."""

    def work(rt: Runtime, at: datetime) -> Q:
        return _in_one_transaction(rt, notifier, as_of=at.date())

    return work


def at_the_hour(notifier: Callable[..., Q]) -> Work[Q]:
    """``notifier(session, settings, as_of=<business date>, hour=<the tick's local hour>)`` in one
    transaction: for what the domain sends only from some hour of the day on."""

    def work(rt: Runtime, at: datetime) -> Q:
        return _in_one_transaction(rt, notifier, as_of=at.date(), hour=at.hour)

    return work


def _in_one_transaction(rt: Runtime, notifier: Callable[..., Q], **arguments: Any) -> Q:
    with rt.transaction() as session:
        return notifier(session, rt.settings, **arguments)
