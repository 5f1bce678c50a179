"""Handing the mail a command or a web request queued to the mail queue, right after its commit.

Both front doors call ``hand_over_queued`` once their transaction has committed. With a real broker (Redis)
the ids go to the broker at once: the same hand-off as the tasks' (``tasks.mail.hand_over``: send the ids,
then mark them enqueued; on failure log and leave them to the sweep), on an application built for this one
hand-off and closed after it, so a notice reaches the server within seconds when a worker runs. On the
embedded ``filesystem://`` broker the worker's mail sweep delivers it instead (on a first run there may be
no worker yet, and ``legalaid demo`` delivers its own mail), and the caller is given a line that says so.

Celery is imported only when there is something to hand to a real broker: importing this module is cheap,
so ``legalaid --help`` and the commands that queue nothing never load it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from legalaid.runtime import Runtime

LEFT_TO_THE_SWEEP = "queued; the worker's next mail sweep delivers it"
BROKER_FAILED = "queued; the broker did not take it, so the worker's next mail sweep delivers it"


def hand_over_queued(rt: Runtime, outbox_ids: Sequence[int]) -> str | None:
    """Hand the committed ``outbox_ids`` over when a real broker is configured. Returns the line to show
    when they wait for the worker's sweep instead; None when handed over or nothing was queued."""
    if not outbox_ids:
        return None
    if not rt.settings.uses_redis:
        return LEFT_TO_THE_SWEEP
    return None if hand_over_committed(rt, outbox_ids) else BROKER_FAILED


def hand_over_committed(rt: Runtime, outbox_ids: Sequence[int]) -> bool:
    """Hand committed outbox rows to the mail queue now; False when they are left to the sweep."""
    if not outbox_ids:
        return True
    from tasks.mail import hand_over
    from workers.application import make_celery

    app = make_celery(rt.settings)
    try:
        return hand_over(rt, outbox_ids, app=app)
    finally:
        app.close()  # the producer's broker connection: a front door hands over once, then goes on
