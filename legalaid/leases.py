"""Leased rows: one state machine for a row that a worker claims, holds on a lease and finishes.

Two tables live by it, each with its own names for the states: the job ticks (``job_runs``: scheduled,
running, succeeded, failed, dead; see ``legalaid.jobs``) and the outbox (``outbox``: queued, sending, sent,
dead, a failed message waiting as queued; see ``legalaid.mail.outbox``). ::

    inserted ──► waiting ──claim──► running ──the work is done──────────────────────────► done
                  ▲  ▲  ▲            │
                  │  │  │            ├─ fails, the policy allows a next try ──► retrying (due = now + backoff)
                  │  │  │            ├─ fails for good, or attempts or horizon used up ──► dead (error kept)
                  │  │  │            └─ lease expired, attempts used up ─────────────────► dead (by the sweep)
                  │  │  └── the sweep: lease expired (worker killed), attempts left ◄── running
                  │  └───── the sweep: due, hand-off missing or older than requeue_after: handed over again
                  └──────── revive, by hand (fresh allowance) ◄── dead    retrying ──claim when due──► running

* **claim**: one conditional UPDATE whose WHERE clause is the transition's precondition (waiting or
  retrying and due; where the table allows it, also running with an expired lease and attempts left): it
  sets running, ``attempts + 1`` and ``lease_until`` = now + lease. The caller owns the row only if the
  UPDATE changed it, so two workers racing for a row cannot both win, on SQLite or PostgreSQL.
* **attempts is the claim's fencing token**: a renewal or a failure is recorded only by the claim whose
  attempt number is still the row's; a worker that outlived its lease cannot overwrite the next claimant's
  state. A success is recorded whatever the claim: the work is done, a fact.
* **fail**: the policy says when to try again (``LeasePolicy.retry_at``: exponential backoff, at most
  ``max_attempts`` attempts, or until ``horizon`` after the row's start), or that the row is dead; its
  error is kept either way.
* **sweep**: running rows whose lease expired (NULL counts as expired: nobody renews it) go back to
  waiting, due now, or to dead when their attempts are used up; due rows whose hand-off to the broker is
  missing or older than ``requeue_after`` are the caller's to hand over again. Every wait lives in the row
  (``due``, ``lease_until``), never in a broker's countdown.
* **done** is final; **dead** is final until revived by hand, which makes it due now with a fresh allowance
  (attempts counted from the revival, or the horizon counted from it) while ``attempts`` never goes down,
  so an old claimant stays fenced out.

Nothing here commits: each function works in the caller's transaction, with Core statements on the
table (no ORM unit of work on these paths).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Column, ColumnElement, Row, Table, and_, case, func, literal, select, true, update

ERROR_LIMIT = 2000
"""The longest error text kept on a row: enough for any SMTP answer or traceback line, no runaway text."""

_RNG = random.Random()


@dataclass(frozen=True)
class LeasePolicy:
    """How long a claim is trusted, when a lost hand-off is sent again, when a failure is tried again."""

    # A running row's claim: only a worker that stopped (killed, its machine gone) lets it expire.
    lease: timedelta
    # A due row handed to the broker this long ago and still not claimed is presumed lost (broker restarted
    # or flushed) and is handed over again; a second copy of the task is harmless (the claim is conditional).
    requeue_after: timedelta
    # The wait after the n-th failed attempt: retry_base · 2^(n-1), at most retry_max, ± jitter, at least
    # min_delay (jitter spreads rows that failed together, a server down, so they do not retry together).
    retry_base: timedelta
    retry_max: timedelta
    jitter: float = 0.0
    min_delay: timedelta = timedelta(0)
    # Claims before a row is dead (kills included), and the time from a row's start after which it is.
    max_attempts: int | None = None
    horizon: timedelta | None = None

    def retry_delay(self, attempts: int, rng: random.Random | None = None) -> timedelta:
        """The wait after the ``attempts``-th failed attempt."""
        try:  # a large power of two overflows timedelta: cap the exponent, and the product
            raw = self.retry_base * (2 ** min(max(attempts - 1, 0), 30))
        except OverflowError:
            raw = self.retry_max
        delay = min(raw, self.retry_max)
        if self.jitter:
            spread: float = (rng or _RNG).uniform(-self.jitter, self.jitter)
            delay = delay * (1.0 + spread)
        wait: timedelta = min(max(delay, self.min_delay), self.retry_max)
        return wait

    def attempts_left(self, used: int) -> bool:
        return self.max_attempts is None or used < self.max_attempts

    def retry_at(
        self, *, attempts: int, now: datetime, since: datetime | None = None, rng: random.Random | None = None
    ) -> datetime | None:
        """When to try again after the ``attempts``-th attempt failed, or None: the row is dead.

        ``since`` is when the row's horizon started. The last try is made at the horizon itself rather
        than skipped when the backoff overshoots it.
        """
        if not self.attempts_left(attempts):
            return None
        if self.horizon is None:
            return now + self.retry_delay(attempts, rng)
        if since is None:
            raise ValueError("a policy with a horizon needs the moment it started")
        deadline = since + self.horizon
        return None if now >= deadline else min(now + self.retry_delay(attempts, rng), deadline)


class States(NamedTuple):
    """What a table calls each state: a new or reclaimed row waits; a failed one waits for its retry (the
    same state where the table does not tell them apart); a claimed one runs; done and dead are the ends."""

    waiting: str
    retrying: str
    running: str
    done: str
    dead: str


@dataclass(frozen=True)
class LeasedTable:
    """A table of leased rows: what its states are called and which of its columns play which part."""

    table: Table
    states: States
    # The columns, by name.
    due: str  # claimable from then on
    handed_over: str  # last handed to the broker; NULL: never, or to be handed over again
    error: str
    # Kept on a row whose worker stopped mid-run, whether the sweep or a redelivered message sees it first.
    lease_expired: str
    # A claim may take over a running row whose lease expired (else only the sweep puts it back).
    take_over_expired: bool = False
    # Set at every end of an attempt (cleared by a claim), and cleared when the row is done or dead.
    finished: str | None = None
    undue_at_end: bool = False
    # A revival by hand: the attempts counted from ``attempts_at_retry`` on, or the horizon from
    # ``retried_at`` (else from ``created``).
    attempts_at_retry: str | None = None
    retried_at: str | None = None
    created: str | None = None
    touched: str | None = None  # set to now by every change of state
    label: str = "id"  # the column that names a row in what the sweep returns (and logs)

    def column(self, name: str) -> Column[Any]:
        return self.table.c[name]

    @property
    def waiting(self) -> str:
        return self.states.waiting

    @property
    def retrying(self) -> str:
        return self.states.retrying

    @property
    def running(self) -> str:
        return self.states.running

    @property
    def done(self) -> str:
        return self.states.done

    @property
    def dead(self) -> str:
        return self.states.dead

    @property
    def id(self) -> Column[Any]:
        return self.column("id")

    @property
    def status(self) -> Column[Any]:
        return self.column("status")

    @property
    def attempts(self) -> Column[Any]:
        return self.column("attempts")

    @property
    def lease_until(self) -> Column[Any]:
        return self.column("lease_until")

    @property
    def used(self) -> ColumnElement[int]:
        """The attempts counted against ``max_attempts``: those since the last revival."""
        if self.attempts_at_retry is None:
            return self.attempts
        return self.attempts - self.column(self.attempts_at_retry)

    @property
    def since(self) -> ColumnElement[datetime] | None:
        """When the row's horizon started: its revival, or its creation."""
        if self.created is None:
            return None
        if self.retried_at is None:
            return self.column(self.created)
        return func.coalesce(self.column(self.retried_at), self.column(self.created))

    def touch(self, values: dict[Any, Any], now: datetime) -> dict[Any, Any]:
        if self.touched is not None:
            values[self.touched] = now
        return values

    def lease_ran_out(self, now: datetime) -> ColumnElement[bool]:
        return (self.status == self.running) & (self.lease_until.is_(None) | (self.lease_until < now))

    def with_attempts_left(self, policy: LeasePolicy) -> ColumnElement[bool]:
        return true() if policy.max_attempts is None else self.used < policy.max_attempts

    def due_now(self, now: datetime) -> ColumnElement[bool]:
        return self.status.in_(self.waiting_states) & (self.column(self.due) <= now)

    @property
    def waiting_states(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.waiting, self.retrying)))


def claim(
    session: Any,
    rows: LeasedTable,
    *,
    where: ColumnElement[bool],
    now: datetime,
    policy: LeasePolicy,
    values: Mapping[str, Any] | None = None,
    returning: Sequence[Any] = (),
) -> Row[Any] | None:
    """Take the row ``where`` names for a run: the returned columns (the id by default) of the running row
    the caller now owns, or None when it is not claimable (not due, running elsewhere, done, dead, gone).

    ``values`` are set with the claim (who took it, when it started…). ``session`` is a Session or, on a
    hot path, its Connection.
    """
    claimable = rows.due_now(now)
    changes: dict[Any, Any] = {
        "status": rows.running,
        "attempts": rows.attempts + 1,
        "lease_until": now + policy.lease,
        **(values or {}),
    }
    if rows.take_over_expired:
        claimable = claimable | (rows.lease_ran_out(now) & rows.with_attempts_left(policy))
        # Taken over from a worker that died (the redelivered message came before the sweep): say so, as
        # the sweep would have. A retry of a failed attempt keeps that attempt's error.
        error = rows.column(rows.error)
        changes[rows.error] = case((rows.status == rows.running, rows.lease_expired), else_=error)
    if rows.finished is not None:
        changes[rows.finished] = None
    statement = (
        update(rows.table)
        .where(where, claimable)
        .values(rows.touch(changes, now))
        .returning(*(returning or (rows.id,)))
    )
    found = session.execute(statement).all()
    return found[0] if len(found) == 1 else None


def renew(
    session: Any, rows: LeasedTable, *, row_id: int, attempt: int, now: datetime, policy: LeasePolicy
) -> bool:
    """Extend the lease of a running claim; False when this claim no longer owns the row."""
    result = session.execute(
        update(rows.table)
        .where(rows.id == row_id, rows.status == rows.running, rows.attempts == attempt)
        .values(lease_until=now + policy.lease)
    )
    return bool(result.rowcount == 1)


def succeed(
    session: Any,
    rows: LeasedTable,
    *,
    where: ColumnElement[bool],
    now: datetime,
    values: Mapping[str, Any] | None = None,
) -> bool:
    """Record that the work is done, whatever the claim (a fact); False when the row was done already or
    is not one ``where`` names."""
    changes: dict[Any, Any] = {"status": rows.done, "lease_until": None, **(values or {})}
    if rows.finished is not None:
        changes[rows.finished] = now
    if rows.undue_at_end:
        changes[rows.due] = None
    result = session.execute(
        update(rows.table).where(where, rows.status != rows.done).values(rows.touch(changes, now))
    )
    return bool(result.rowcount == 1)


def fail(
    session: Any,
    rows: LeasedTable,
    *,
    row_id: int,
    attempt: int | None,
    error: str,
    now: datetime,
    policy: LeasePolicy,
    permanent: bool = False,
    rng: random.Random | None = None,
    values: Mapping[str, Any] | None = None,
) -> str | None:
    """Record a failed attempt: retrying (due after the backoff) or dead (``permanent``, or the policy
    allows no other try), the error kept. Returns the new state; None when the claim no longer owns the
    row (``attempt``, when given, is the fencing token): nothing changes then."""
    owner = (rows.id == row_id) & (rows.status == rows.running)
    if attempt is not None:
        owner = owner & (rows.attempts == attempt)
    since = rows.since if rows.since is not None else literal(None)
    row = session.execute(select(rows.attempts, rows.used, since).where(owner)).one_or_none()
    if row is None:
        return None
    attempts, used, started = row
    retry_at = None if permanent else policy.retry_at(attempts=used, now=now, since=started, rng=rng)
    changes: dict[Any, Any] = {"lease_until": None, **(values or {})}
    if rows.finished is not None:
        changes[rows.finished] = now
    if retry_at is not None:
        changes.update({"status": rows.retrying, rows.due: retry_at, rows.handed_over: None})
        changes[rows.error] = clip(error)
    else:
        changes.update(_dead(rows))
        changes[rows.error] = clip(error if permanent else f"gave up after {used} attempts: {error}")
    session.execute(
        update(rows.table).where(owner, rows.attempts == attempts).values(rows.touch(changes, now))
    )
    return str(changes["status"])


def reclaim_expired(session: Any, rows: LeasedTable, *, now: datetime, policy: LeasePolicy) -> list[Any]:
    """Running rows whose lease ran out (their worker stopped) wait again, due now; those whose attempts
    are used up are dead. Returns the rows reclaimed, named by their ``label`` column."""
    expired = rows.lease_ran_out(now)
    found = session.execute(select(rows.id, rows.column(rows.label), rows.used).where(expired)).all()
    again = [row_id for row_id, _label, used in found if policy.attempts_left(used)]
    if again:
        changes = {"status": rows.waiting, rows.due: now, rows.handed_over: None, "lease_until": None}
        changes[rows.error] = rows.lease_expired
        session.execute(
            update(rows.table).where(rows.id.in_(again), expired).values(rows.touch(changes, now))
        )
    for row_id, _label, used in found:
        if row_id in again:
            continue
        changes = {"lease_until": None, **_dead(rows)}
        changes[rows.error] = (
            f"gave up after {used} attempts: the lease of the last one expired (worker killed?)"
        )
        if rows.finished is not None:
            changes[rows.finished] = now
        session.execute(update(rows.table).where(rows.id == row_id, expired).values(rows.touch(changes, now)))
    return [label for _id, label, _used in found]


def lost_hand_offs(
    session: Any,
    rows: LeasedTable,
    *,
    now: datetime,
    policy: LeasePolicy,
    columns: Sequence[Any] = (),
    limit: int | None = None,
) -> list[Row[Any]]:
    """Due rows whose hand-off to the broker is missing or presumed lost, oldest due first: the caller
    hands them over (and records it)."""
    handed_over = rows.column(rows.handed_over)
    statement = (
        select(*(columns or (rows.id,)))
        .where(rows.due_now(now), handed_over.is_(None) | (handed_over < now - policy.requeue_after))
        .order_by(rows.column(rows.due), rows.id)
        .limit(limit)
    )
    return list(session.execute(statement).all())


def mark_handed_over(session: Any, rows: LeasedTable, ids: Sequence[int], *, at: datetime | None) -> None:
    """Record a hand-off to the broker at ``at`` (None: forget it, so the next sweep hands them over), for
    the rows still waiting."""
    if ids:
        session.execute(
            update(rows.table)
            .where(rows.id.in_(list(ids)), rows.status.in_(rows.waiting_states))
            .values({rows.handed_over: at})
        )


def revive(
    session: Any,
    rows: LeasedTable,
    *,
    named: ColumnElement[bool] | None,
    now: datetime,
    pick: Any,
    order_by: Any,
) -> list[Any]:
    """Make dead rows (``named`` None) or the named dead or retrying ones due now, with a fresh allowance:
    the command line's retry. Returns ``pick`` of the rows revived."""
    if named is None:
        condition = rows.status == rows.dead
    else:
        condition = and_(named, rows.status.in_((rows.dead, rows.retrying)))
    chosen = list(session.execute(select(pick).where(condition).order_by(order_by)).scalars())
    if chosen:
        changes = {"status": rows.waiting, rows.due: now, rows.handed_over: None, "lease_until": None}
        if rows.attempts_at_retry is not None:
            changes[rows.attempts_at_retry] = rows.attempts
        if rows.retried_at is not None:
            changes[rows.retried_at] = now
        session.execute(
            update(rows.table).where(pick.in_(chosen), condition).values(rows.touch(changes, now))
        )
    return chosen


def clip(message: str) -> str:
    """An error text as kept on a row: without surrounding blanks, at most ``ERROR_LIMIT`` characters."""
    message = message.strip()
    return message if len(message) <= ERROR_LIMIT else message[: ERROR_LIMIT - 1] + "…"


def _dead(rows: LeasedTable) -> dict[Any, Any]:
    changes: dict[Any, Any] = {"status": rows.dead}
    if rows.undue_at_end:
        changes[rows.due] = None
    return changes
