"""Deliver outbox rows: claim, compose, send, record. What the task and ``legalaid mail flush`` call."""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from legalaid.logs import log_context
from legalaid.mail import outbox
from legalaid.mail.compose import OutgoingMail, compose
from legalaid.mail.failures import PermanentFailure, TemporaryFailure
from legalaid.mail.retry import RetryPolicy, policy_from_settings
from legalaid.mail.transports import Transport
from legalaid.models.base import utcnow
from legalaid.runtime import Runtime

log = logging.getLogger(__name__)

T = TypeVar("T")


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # temporary failure: queued again with a later next_attempt_at
    DEAD = "dead"
    SKIPPED = "skipped"  # gone, not due, or claimed by someone else: nothing done


def deliver_one(
    rt: Runtime,
    outbox_id: int,
    *,
    transport: Transport,
    policy: RetryPolicy | None = None,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> Outcome:
    """Deliver one outbox row if it is due and nobody else has it; record what happened.

    ``now`` fixes the clock for the whole attempt (tests replay retries with it); by default each step
    reads the time. The claim is committed before the message goes to the transport, and the outcome in a
    transaction of its own, so a crash between the two leaves a ``sending`` row that the sweeper reclaims
    when its lease ends.
    """
    policy = policy or policy_from_settings(rt.settings)

    def clock() -> datetime:
        return now or utcnow()

    with rt.transaction() as session:
        claimed = outbox.claim(session, outbox_id, now=clock(), policy=policy)
    if claimed is None:
        log.debug("outbox %s: not due, gone, or claimed by another worker; nothing to do", outbox_id)
        return Outcome.SKIPPED
    mail = claimed.mail
    # Every line about this message, here and in the transport, names it: its key and its Message-ID.
    with log_context(idempotency_key=mail.key, message_id=mail.message_id, outbox_id=mail.outbox_id):
        log.debug("outbox %s (%s) claimed, attempt %s", mail.outbox_id, mail.key, claimed.attempt)
        return _attempt(rt, claimed, transport=transport, policy=policy, clock=clock, rng=rng)


def _attempt(
    rt: Runtime,
    claimed: outbox.Claim,
    *,
    transport: Transport,
    policy: RetryPolicy,
    clock: Callable[[], datetime],
    rng: random.Random | None,
) -> Outcome:
    """Compose and send a claimed message; record the outcome in a transaction of its own."""
    mail = claimed.mail
    error: str | None = None
    permanent = False
    note: str | None = None
    try:
        composed = compose(mail, mail_from=rt.settings.mail_from, sender_name=rt.settings.center_name)
        note = transport.send(composed)
        if composed.skipped:
            skipped = "malformed address(es) skipped: " + ", ".join(composed.skipped)
            note = f"{skipped}; {note}" if note else skipped
    except PermanentFailure as exc:
        error, permanent = str(exc), True
    except TemporaryFailure as exc:
        error = str(exc)
    except Exception as exc:
        # A bug or a bad setting (malformed mail_from): retry like a temporary failure, so a fix brings the
        # mail out, and let the log show the traceback.
        log.exception("outbox %s (%s): delivery failed unexpectedly", mail.outbox_id, mail.key)
        error = f"{type(exc).__name__}: {exc}"

    if error is None:

        def sent(session: Session) -> None:
            outbox.record_sent(session, mail.outbox_id, now=clock(), note=note)

        _record_outcome(rt, mail, sent, patience=policy.lease)
        log.info(
            "outbox %s (%s) sent as %s, attempt %s",
            mail.outbox_id,
            mail.key,
            mail.message_id,
            claimed.attempt,
        )
        return Outcome.SENT

    def failed(session: Session) -> str | None:
        return outbox.record_failure(
            session,
            mail.outbox_id,
            attempt=claimed.attempt,
            error=error,
            permanent=permanent,
            now=clock(),
            policy=policy,
            rng=rng,
        )

    status = _record_outcome(rt, mail, failed, patience=policy.lease)
    level = logging.ERROR if status == outbox.DEAD else logging.WARNING
    log.log(
        level, "outbox %s (%s) attempt %s: %s -> %s", mail.outbox_id, mail.key, claimed.attempt, error, status
    )
    return Outcome.DEAD if status == outbox.DEAD else Outcome.RETRY


def _record_outcome(
    rt: Runtime, mail: OutgoingMail, record: Callable[[Session], T], *, patience: timedelta
) -> T:
    """Run ``record`` in a transaction of its own; while the database cannot be reached (a restart, a
    fail-over), try again for up to ``patience`` (the claim's lease) before giving up.

    The message has left by now: an outcome lost with the connection would leave the row ``sending``, and
    once its lease ends the sweep would hand it over again and the recipient would get it twice.
    """
    deadline = time.monotonic() + patience.total_seconds()
    pause = 0.2
    while True:
        try:
            with rt.transaction() as session:
                return record(session)
        except OperationalError as exc:
            if time.monotonic() + pause > deadline:
                raise
            log.warning(
                "outbox %s (%s): cannot record the outcome yet (%s); trying again in %.1f s",
                mail.outbox_id, mail.key, str(exc.orig or exc).strip().splitlines()[0], pause,
            )  # fmt: skip
            time.sleep(pause)
            pause = min(pause * 2, 5.0)


def deliver_many(
    rt: Runtime,
    outbox_ids: Sequence[int],
    *,
    transport: Transport,
    policy: RetryPolicy | None = None,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> tuple[Counter[Outcome], list[int]]:
    """Deliver several rows one after the other (one task for many: the broker's cost per message shrinks).

    Stops at the first temporary failure: the server is most likely down, and trying the rest would only
    spend a timeout each. Returns the outcomes and the ids not tried, which are handed back to the sweep
    (their ``enqueued_at`` cleared) so that they wait for the next sweep, not for a lost-task threshold.
    """
    policy = policy or policy_from_settings(rt.settings)
    outcomes: Counter[Outcome] = Counter()
    for position, outbox_id in enumerate(outbox_ids):
        outcome = deliver_one(rt, outbox_id, transport=transport, policy=policy, now=now, rng=rng)
        outcomes[outcome] += 1
        if outcome is Outcome.RETRY:
            untried = list(outbox_ids[position + 1 :])
            if untried:
                with rt.transaction() as session:
                    outbox.hand_back(session, untried)
            return outcomes, untried
    return outcomes, []


def flush(
    rt: Runtime,
    *,
    transport: Transport,
    policy: RetryPolicy | None = None,
    now: datetime | None = None,
    limit: int | None = None,
    rng: random.Random | None = None,
    on_start: Callable[[int], None] | None = None,
    on_each: Callable[[int, Outcome], None] | None = None,
) -> Counter[Outcome]:
    """Deliver, in this process, every row due now (expired leases reclaimed first). Returns the outcomes.

    ``on_start(total)`` and ``on_each(outbox_id, outcome)`` feed a progress bar.
    """
    policy = policy or policy_from_settings(rt.settings)
    with rt.transaction() as session:
        outbox.reclaim_expired(session, now=now or utcnow())
        ids = outbox.due_ids(session, now=now or utcnow(), limit=limit)
    if on_start is not None:
        on_start(len(ids))
    outcomes: Counter[Outcome] = Counter()
    for outbox_id in ids:
        outcome = deliver_one(rt, outbox_id, transport=transport, policy=policy, now=now, rng=rng)
        outcomes[outcome] += 1
        if on_each is not None:
            on_each(outbox_id, outcome)
    return outcomes


def hand_over_lost(
    rt: Runtime,
    send: Callable[[list[int]], None],
    *,
    policy: RetryPolicy | None = None,
    now: datetime | None = None,
) -> list[int]:
    """The sweep: reclaim expired leases, hand due rows whose task was lost to ``send``, mark them enqueued.

    What the periodic ``legalaid.mail.sweep`` task runs (``send`` puts deliver tasks on the broker).
    """
    policy = policy or policy_from_settings(rt.settings)
    with rt.transaction() as session:
        ids = outbox.sweep(session, now=now or utcnow(), policy=policy)
    if ids:
        send(ids)
        with rt.transaction() as session:
            outbox.mark_enqueued(session, ids, now=now or utcnow())
        shown = ", ".join(str(i) for i in ids[:20]) + (", …" if len(ids) > 20 else "")
        log.info("outbox sweep: handed %d message(s) to the broker: %s", len(ids), shown)
    return ids
