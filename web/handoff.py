"""The mail a request queued, handed to the mail queue right after the request's commit.

The web's side of ``cli._handoff`` (a front door does not import the other): with a real broker (Redis)
the ids go to the broker at once through ``workers.handoff`` (imported only then), so a notice reaches the
server within seconds; on the embedded ``filesystem://`` broker the worker's mail sweep delivers it, and
the answer says so in ``note``.
"""

from __future__ import annotations

from collections.abc import Sequence

from legalaid.runtime import Runtime

LEFT_TO_THE_SWEEP = "queued; the worker's next mail sweep delivers it"
BROKER_FAILED = "queued; the broker did not take it, so the worker's next mail sweep delivers it"


def hand_over_queued(rt: Runtime, outbox_ids: Sequence[int]) -> str | None:
    """Hand the committed ``outbox_ids`` over when a real broker is configured; the note to return when
    they wait for the sweep instead, None when handed over or nothing was queued."""
    if not outbox_ids:
        return None
    if not rt.settings.uses_redis:
        return LEFT_TO_THE_SWEEP
    from workers.handoff import hand_over_committed  # Celery: only for a real broker

    return None if hand_over_committed(rt, outbox_ids) else BROKER_FAILED
