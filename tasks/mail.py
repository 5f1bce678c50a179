"""``legalaid.mail.*`` (queue ``mail``): deliver one outbox message (``deliver``) or a few in turn
(``deliver_batch``, what bulk hand-offs use); sweep the outbox for lost work (``sweep``).

The outbox row is the truth and the broker only carries its id (Invariant 1). Retries wait in the row's
``next_attempt_at``, never in a Celery countdown: a failed attempt puts the row back to ``queued`` and the
sweep (scheduled every minute or so) hands it over again when it is due.

Handing ids over once the enqueuing transaction has committed (``hand_over``, the one way: scheduled tasks
through ``tasks._scheduled``, the command line through ``workers.handoff``)::

    with rt.transaction() as session:
        report = notify_case_changes(session, ...)  # a domain function returns the outbox ids it queued
    hand_over(rt, report.queued, app=app)
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from celery import current_app, shared_task

from legalaid.mail import Transport, deliver_many, deliver_one, hand_over_lost, make_transport, mark_enqueued
from legalaid.runtime import Runtime
from tasks._runtime import scheduled_run, task_runtime

log = logging.getLogger(__name__)

DELIVER = "legalaid.mail.deliver"
DELIVER_BATCH = "legalaid.mail.deliver_batch"
SWEEP = "legalaid.mail.sweep"
# Ids per deliver_batch task: amortises the broker's cost per task (about 1 ms, a quarter of a delivery)
# while a killed worker leaves at most this many rows for the sweep.
BATCH_SIZE = 10

# One transport (so one SMTP connection, kept open between messages) per worker process, or per thread
# with the threads pool: an smtplib connection must not be shared by two threads.
_local = threading.local()


def process_transport() -> Transport:
    """This process's (or thread's) transport, built on first use from the runtime's settings.

    Rebuilt when the runtime's settings change (tests, or a worker app rebuilt with other settings).
    """
    settings = task_runtime().settings
    transport: Transport | None = getattr(_local, "transport", None)
    if transport is None or getattr(_local, "settings", None) is not settings:
        if transport is not None:
            transport.close()
        transport = make_transport(settings)
        _local.transport, _local.settings = transport, settings
    return transport


def close_transport() -> None:
    """Close this thread's transport (its SMTP connection), if any."""
    transport: Transport | None = getattr(_local, "transport", None)
    _local.transport = _local.settings = None
    if transport is not None:
        transport.close()


def _forget_after_fork() -> None:
    # A forked child must not talk on (nor QUIT) the parent's SMTP connection: forget it without I/O.
    global _local
    transport = getattr(_local, "transport", None)
    abandon = getattr(transport, "abandon", None)
    if abandon is not None:
        abandon()
    _local = threading.local()


os.register_at_fork(after_in_child=_forget_after_fork)


@shared_task(name=DELIVER)  # type: ignore[untyped-decorator,unused-ignore]  # celery is untyped
def deliver(outbox_id: int) -> str:
    """Deliver outbox row ``outbox_id`` if it is due and unclaimed; returns the outcome's name."""
    return deliver_one(task_runtime(), int(outbox_id), transport=process_transport()).value


@shared_task(name=DELIVER_BATCH)  # type: ignore[untyped-decorator,unused-ignore]
def deliver_batch(outbox_ids: list[int]) -> dict[str, int]:
    """Deliver several outbox rows in turn; stops at the first temporary failure (see deliver_many)."""
    outcomes, _untried = deliver_many(
        task_runtime(), [int(i) for i in outbox_ids], transport=process_transport()
    )
    return {outcome.value: count for outcome, count in outcomes.items()}


def send_deliveries(outbox_ids: Sequence[int], app: Any = None, *, batch_size: int = BATCH_SIZE) -> None:
    """Put the ids on the broker over one producer connection: ``deliver`` for a lone id,
    ``deliver_batch`` for up to ``batch_size`` ids at a time."""
    app = app or current_app
    ids = list(outbox_ids)
    with app.producer_or_acquire() as producer:
        for start in range(0, len(ids), batch_size):
            chunk = ids[start : start + batch_size]
            # By name: routing (legalaid.mail.* → mail) applies, and any app can send it.
            if len(chunk) == 1:
                app.send_task(DELIVER, args=[chunk[0]], producer=producer)
            else:
                app.send_task(DELIVER_BATCH, args=[chunk], producer=producer)


def hand_over(rt: Runtime, outbox_ids: Sequence[int], *, app: Any = None) -> bool:
    """Hand committed outbox rows to the mail queue now, then record the hand-off (``mark_enqueued``, in a
    short transaction of its own); False when the broker (or the database, after the hand-off) failed.

    Call it only after the transaction that wrote the rows has committed: a deliver task that ran before
    the commit would find no row and return. A failure is logged, not raised, since the rows are committed
    already: a row never marked enqueued is the sweep's at its next run, so nothing is lost, only later.
    """
    ids = list(dict.fromkeys(outbox_ids))
    if not ids:
        return True
    try:
        send_deliveries(ids, app=app)
    except Exception:
        log.exception("outbox: handing %d message(s) to the broker failed; the sweep will retry", len(ids))
        return False
    try:
        with rt.transaction() as session:
            mark_enqueued(session, ids)
    except Exception:
        # Handed over but not marked: the sweep hands them over once more, and the second deliver task finds
        # each row claimed or sent.
        log.exception("outbox: %d message(s) handed over but not marked enqueued", len(ids))
        return False
    log.info("outbox: handed %d message(s) to the broker: %s", len(ids), _shown(ids))
    return True


def _shown(ids: Sequence[int], most: int = 20) -> str:
    """The ids for a log line, at most ``most`` of them (a daily scan hands over thousands)."""
    more = f" … (+{len(ids) - most})" if len(ids) > most else ""
    return ", ".join(str(i) for i in ids[:most]) + more


@shared_task(name=SWEEP, bind=True)  # type: ignore[untyped-decorator,unused-ignore]
def sweep(self: Any, *, job: str = "mail-sweep", scheduled_for: str | None = None) -> int:
    """Reclaim expired leases and hand due rows whose task was lost to the broker; returns how many.

    Scheduled, it claims its tick (``tasks._runtime.scheduled_run``; ``legalaid status`` shows it); by hand
    it just runs. Idempotent, so a tick run again after a crash is harmless: it only hands ids to the
    broker, and a second deliver task for the same row finds it claimed or sent and returns.
    """
    rt = task_runtime()

    def send(ids: Sequence[int]) -> None:
        send_deliveries(ids, app=self.app)

    if scheduled_for is None:
        return len(hand_over_lost(rt, send))
    when = datetime.fromisoformat(scheduled_for)
    with scheduled_run(self, job=job, scheduled_for=when) as run:
        if run is None:
            return 0
        return len(hand_over_lost(rt, send))
