"""The mail a command queued, handed to the mail queue right after the command's commit.

With a real broker (Redis) the ids go to the broker at once (``workers.handoff``, imported only then:
Celery is loaded by no other command, and by this one only when there is something to hand over), so a
notice reaches the server within seconds when a worker runs. On the embedded ``filesystem://`` broker the
command leaves them to the worker's mail sweep: on a first run there may be no worker yet (and
``legalaid demo`` delivers its own mail), so the command says so in one line instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from legalaid.runtime import Runtime

LEFT_TO_THE_SWEEP = "queued; the worker's next mail sweep delivers it"
BROKER_FAILED = "queued; the broker did not take it, so the worker's next mail sweep delivers it"


def hand_over_queued(rt: Runtime, outbox_ids: Sequence[int]) -> str | None:
    """Hand the committed ``outbox_ids`` over when a real broker is configured. Returns the line the
    command prints when they wait for the worker's sweep instead; None when handed over or nothing queued.
    """
    if not outbox_ids:
        return None
    if not rt.settings.uses_redis:
        return LEFT_TO_THE_SWEEP
    from workers.handoff import hand_over_committed  # Celery: only here, only for a real broker

    return None if hand_over_committed(rt, outbox_ids) else BROKER_FAILED
