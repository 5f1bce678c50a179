"""The leased-row state machine (``legalaid.leases``) on a table of its own, on SQLite and PostgreSQL.

The ticks and the outbox are tested through their own modules (tests/test_jobs.py, tests/test_mail_outbox.py);
here the machine itself: one claim wins, an expired lease is reclaimed and fences its first claimant, a
failure waits for its backoff, and a row whose attempts (or horizon) are used up is dead until revived.
"""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, insert, select

from legalaid import leases
from legalaid.leases import LeasedTable, LeasePolicy, States
from legalaid.models.base import UTCDateTime
from legalaid.runtime import Runtime

METADATA = MetaData()
THINGS = Table(
    "leased_things",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("attempts_at_retry", Integer, nullable=False, default=0),
    Column("due_at", UTCDateTime),
    Column("handed_at", UTCDateTime),
    Column("lease_until", UTCDateTime),
    Column("error", Text),
    Column("finished_at", UTCDateTime),
)
ROWS = LeasedTable(
    table=THINGS,
    states=States(waiting="new", retrying="failed", running="busy", done="done", dead="dead"),
    due="due_at",
    handed_over="handed_at",
    error="error",
    lease_expired="lease expired",
    take_over_expired=True,
    finished="finished_at",
    undue_at_end=True,
    attempts_at_retry="attempts_at_retry",
)
POLICY = LeasePolicy(
    lease=timedelta(seconds=10),
    requeue_after=timedelta(seconds=60),
    retry_base=timedelta(seconds=30),
    retry_max=timedelta(minutes=5),
    max_attempts=3,
)
T0 = datetime(2012, 10, 8, 1, 0, tzinfo=UTC)


@pytest.fixture(params=["rt", pytest.param("pg_rt", marks=pytest.mark.services)])
def any_rt(request: pytest.FixtureRequest) -> Runtime:
    """A migrated database, SQLite or PostgreSQL, with the test's table of leased rows."""
    runtime: Runtime = request.getfixturevalue(request.param)
    METADATA.create_all(runtime.engine)
    return runtime


def _new(rt: Runtime, due: datetime = T0) -> int:
    with rt.transaction() as session:
        row_id: int = session.execute(
            insert(THINGS).values(status="new", attempts=0, due_at=due).returning(THINGS.c.id)
        ).scalar_one()
    return row_id


def _claim(rt: Runtime, row_id: int, now: datetime) -> int | None:
    """The attempt number of the claim, or None when it lost."""
    with rt.transaction() as session:
        row = leases.claim(
            session, ROWS, where=THINGS.c.id == row_id, now=now, policy=POLICY, returning=[THINGS.c.attempts]
        )
    return None if row is None else int(row.attempts)


def _fail(rt: Runtime, row_id: int, attempt: int, now: datetime, error: str = "boom") -> str | None:
    with rt.transaction() as session:
        return leases.fail(session, ROWS, row_id=row_id, attempt=attempt, error=error, now=now, policy=POLICY)


def _row(rt: Runtime, row_id: int) -> dict[str, object]:
    with rt.sessions() as session:
        return dict(session.execute(select(THINGS).where(THINGS.c.id == row_id)).one()._mapping)


def test_of_two_claimers_at_once_one_wins(any_rt: Runtime) -> None:
    row_id = _new(any_rt)
    both_ready = threading.Barrier(2)

    def take(_: int) -> int | None:
        both_ready.wait()
        return _claim(any_rt, row_id, T0)

    with ThreadPoolExecutor(2) as pool:
        won = list(pool.map(take, range(2)))
    assert sorted(won, key=str) == [1, None]
    row = _row(any_rt, row_id)
    assert (row["status"], row["attempts"], row["lease_until"]) == ("busy", 1, T0 + POLICY.lease)
    assert _claim(any_rt, row_id, T0 + timedelta(seconds=1)) is None  # a duplicated message, later


def test_a_row_is_claimed_only_when_due(any_rt: Runtime) -> None:
    row_id = _new(any_rt, due=T0 + timedelta(minutes=1))
    assert _claim(any_rt, row_id, T0) is None
    assert _claim(any_rt, row_id, T0 + timedelta(minutes=1)) == 1


def test_an_expired_lease_is_reclaimed_and_fences_its_first_claimant(any_rt: Runtime) -> None:
    row_id = _new(any_rt)
    assert _claim(any_rt, row_id, T0) == 1
    with any_rt.transaction() as session:  # the worker renews while it lives
        renewed = leases.renew(
            session, ROWS, row_id=row_id, attempt=1, now=T0 + timedelta(seconds=5), policy=POLICY
        )
        assert renewed
        assert leases.reclaim_expired(session, ROWS, now=T0 + timedelta(seconds=14), policy=POLICY) == []
    # The worker dies: the sweep puts the row back, due now, with what happened to it.
    later = T0 + timedelta(seconds=16)
    with any_rt.transaction() as session:
        assert leases.reclaim_expired(session, ROWS, now=later, policy=POLICY) == [row_id]
    row = _row(any_rt, row_id)
    assert (row["status"], row["due_at"], row["lease_until"], row["error"]) == (
        "new",
        later,
        None,
        "lease expired",
    )
    assert _claim(any_rt, row_id, later) == 2
    # The first claimant comes back: its renewal and its failure change nothing; a success is a fact.
    with any_rt.transaction() as session:
        assert not leases.renew(session, ROWS, row_id=row_id, attempt=1, now=later, policy=POLICY)
    assert _fail(any_rt, row_id, 1, later) is None
    assert _row(any_rt, row_id)["status"] == "busy"
    with any_rt.transaction() as session:
        assert leases.succeed(session, ROWS, where=THINGS.c.id == row_id, now=later)
        assert not leases.succeed(session, ROWS, where=THINGS.c.id == row_id, now=later)  # done already
    row = _row(any_rt, row_id)
    assert (row["status"], row["finished_at"], row["due_at"]) == ("done", later, None)


def test_a_claim_takes_over_an_expired_lease_where_the_table_allows_it(any_rt: Runtime) -> None:
    row_id = _new(any_rt)
    assert _claim(any_rt, row_id, T0) == 1
    assert _claim(any_rt, row_id, T0 + timedelta(seconds=9)) is None  # the lease still holds
    assert _claim(any_rt, row_id, T0 + timedelta(seconds=11)) == 2  # a redelivered message, its worker dead
    assert _row(any_rt, row_id)["error"] == "lease expired"


def test_failures_wait_for_their_backoff_then_the_row_is_dead_until_revived(any_rt: Runtime) -> None:
    row_id = _new(any_rt)
    now = T0
    for attempt, (status, wait) in enumerate([("failed", 30), ("failed", 60), ("dead", None)], start=1):
        assert _claim(any_rt, row_id, now) == attempt
        assert _fail(any_rt, row_id, attempt, now, error=f"broken ({attempt})") == status
        row = _row(any_rt, row_id)
        assert (row["status"], row["lease_until"], row["finished_at"]) == (status, None, now)
        if wait is None:
            break
        assert (row["due_at"], row["error"]) == (now + timedelta(seconds=wait), f"broken ({attempt})")
        assert _claim(any_rt, row_id, now + timedelta(seconds=wait - 1)) is None  # not due yet
        now += timedelta(seconds=wait)
    row = _row(any_rt, row_id)
    assert (row["error"], row["due_at"]) == ("gave up after 3 attempts: broken (3)", None)
    assert _claim(any_rt, row_id, now + timedelta(days=1)) is None  # dead stays dead

    with any_rt.transaction() as session:  # by hand: a fresh allowance, the attempt number going on
        revived = leases.revive(session, ROWS, named=None, now=now, pick=THINGS.c.id, order_by=THINGS.c.id)
        assert revived == [row_id]
    assert _claim(any_rt, row_id, now) == 4
    assert _fail(any_rt, row_id, 4, now) == "failed"  # 1 of 3 again, not dead
    with any_rt.transaction() as session:  # a permanent failure is dead at once
        assert leases.revive(
            session, ROWS, named=THINGS.c.id == row_id, now=now, pick=THINGS.c.id, order_by=THINGS.c.id
        )
    assert _claim(any_rt, row_id, now) == 5
    with any_rt.transaction() as session:
        dead = leases.fail(
            session,
            ROWS,
            row_id=row_id,
            attempt=5,
            error="550 no such user",
            now=now,
            policy=POLICY,
            permanent=True,
        )
    assert dead == "dead" and _row(any_rt, row_id)["error"] == "550 no such user"


def test_a_lease_expiring_on_the_last_attempt_makes_the_row_dead(any_rt: Runtime) -> None:
    row_id = _new(any_rt)
    now = T0
    for attempt in (1, 2, 3):
        assert _claim(any_rt, row_id, now) == attempt
        now += POLICY.lease + timedelta(seconds=1)  # the worker dies each time
    with any_rt.transaction() as session:
        assert leases.reclaim_expired(session, ROWS, now=now, policy=POLICY) == [row_id]
    row = _row(any_rt, row_id)
    assert (row["status"], row["due_at"], row["finished_at"]) == ("dead", None, now)
    assert str(row["error"]).startswith("gave up after 3 attempts: the lease of the last one expired")


def test_lost_hand_offs_are_found_again_and_a_hand_back_is_at_once(any_rt: Runtime) -> None:
    handed, never = _new(any_rt), _new(any_rt)
    with any_rt.transaction() as session:
        leases.mark_handed_over(session, ROWS, [handed], at=T0)
        assert [r.id for r in leases.lost_hand_offs(session, ROWS, now=T0, policy=POLICY)] == [never]
        lost = T0 + POLICY.requeue_after + timedelta(seconds=1)
        assert [r.id for r in leases.lost_hand_offs(session, ROWS, now=lost, policy=POLICY)] == [
            handed,
            never,
        ]
        leases.mark_handed_over(session, ROWS, [handed, never], at=T0)
        leases.mark_handed_over(session, ROWS, [handed], at=None)  # could not be sent after all
        assert [r.id for r in leases.lost_hand_offs(session, ROWS, now=T0, policy=POLICY)] == [handed]


# --- the policy: pure date arithmetic -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempts", "seconds"), [(0, 30), (1, 30), (2, 60), (3, 120), (4, 240), (5, 300), (99, 300)]
)
def test_the_backoff_doubles_up_to_its_cap(attempts: int, seconds: int) -> None:
    assert POLICY.retry_delay(attempts) == timedelta(seconds=seconds)


def test_jitter_spreads_the_backoff_and_the_floor_holds() -> None:
    jittery = LeasePolicy(
        lease=timedelta(seconds=1),
        requeue_after=timedelta(seconds=1),
        retry_base=timedelta(seconds=1),
        retry_max=timedelta(hours=1),
        jitter=0.5,
        min_delay=timedelta(seconds=1),
    )
    rng = random.Random(7)
    delays = {jittery.retry_delay(4, rng) for _ in range(50)}
    assert len(delays) > 1 and all(timedelta(seconds=4) <= d <= timedelta(seconds=12) for d in delays)
    assert all(jittery.retry_delay(1, rng) >= timedelta(seconds=1) for _ in range(50))


def test_the_horizon_caps_the_last_retry_then_the_row_is_dead() -> None:
    policy = LeasePolicy(
        lease=timedelta(minutes=5),
        requeue_after=timedelta(minutes=10),
        retry_base=timedelta(minutes=1),
        retry_max=timedelta(hours=1),
        horizon=timedelta(hours=1),
    )
    assert policy.retry_at(attempts=1, now=T0, since=T0) == T0 + timedelta(minutes=1)
    near_end = T0 + timedelta(minutes=50)
    assert policy.retry_at(attempts=6, now=near_end, since=T0) == T0 + timedelta(hours=1)
    assert policy.retry_at(attempts=99, now=T0 + timedelta(hours=1), since=T0) is None
    with pytest.raises(ValueError, match="horizon"):
        policy.retry_at(attempts=1, now=T0)
    assert POLICY.retry_at(attempts=2, now=T0) == T0 + timedelta(seconds=60)
    assert POLICY.retry_at(attempts=3, now=T0) is None  # attempts used up
