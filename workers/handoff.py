"""Handing the mail a command queued to the mail queue, from a process that is not a worker.

The command line commits first and then calls ``hand_over_committed``: the same hand-off as the tasks'
(``tasks.mail.hand_over``: send the ids, then mark them enqueued; on failure log and leave them to the
sweep), on an application built for this one hand-off from the command's settings and closed after it.
Only for a real broker: on the embedded one the command line leaves its mail to the worker's sweep (see
``cli._handoff``).
"""

from __future__ import annotations

from collections.abc import Sequence

from legalaid.runtime import Runtime
from tasks.mail import hand_over
from workers.application import make_celery


def hand_over_committed(rt: Runtime, outbox_ids: Sequence[int]) -> bool:
    """Hand committed outbox rows to the mail queue now; False when they are left to the sweep."""
    if not outbox_ids:
        return True
    app = make_celery(rt.settings)
    try:
        return hand_over(rt, outbox_ids, app=app)
    finally:
        app.close()  # the producer's broker connection: a command hands over once, then exits
