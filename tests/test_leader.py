"""The leader lock, on the database (SQLite and PostgreSQL) and on Redis: one holder, expiry, takeover."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from legalaid.config import Settings
from legalaid.leader import DatabaseLeaderLock, LeaderLockBackend, RedisLeaderLock, current_leader, new_holder
from legalaid.models import utcnow
from legalaid.runtime import Runtime

LockFactory = Callable[[float], LeaderLockBackend]


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.services),
        pytest.param("redis", marks=pytest.mark.services),
    ]
)
def make_lock(request: pytest.FixtureRequest) -> Iterator[LockFactory]:
    """A factory ``make_lock(ttl)`` for the backend under test."""
    made: list[LeaderLockBackend] = []
    if request.param == "redis":
        url: str = request.getfixturevalue("redis_url")

        def factory(ttl: float) -> LeaderLockBackend:
            made.append(RedisLeaderLock(url, ttl=ttl))
            return made[-1]
    else:
        runtime: Runtime = request.getfixturevalue("rt" if request.param == "sqlite" else "pg_rt")

        def factory(ttl: float) -> LeaderLockBackend:
            made.append(DatabaseLeaderLock(runtime.engine, ttl=ttl))
            return made[-1]

    yield factory
    for lock in made:
        lock.close()


def test_one_holder_at_a_time(make_lock: LockFactory) -> None:
    lock = make_lock(30)
    assert lock.current() is None
    assert lock.acquire("a")
    assert not lock.acquire("b")
    assert lock.acquire("a")  # ours already: acquiring again renews it
    assert lock.renew("a") and not lock.renew("b")
    leader = lock.current()
    assert leader is not None and leader.holder == "a"
    assert utcnow() + timedelta(seconds=25) < leader.expires_at <= utcnow() + timedelta(seconds=31)

    lock.release("b")  # not b's to release
    assert not lock.acquire("b")
    lock.release("a")
    assert lock.current() is None
    assert lock.acquire("b")


def test_an_expired_lock_is_taken_over_and_the_old_holder_cannot_renew(make_lock: LockFactory) -> None:
    lock = make_lock(0.3)
    assert lock.acquire("a")
    time.sleep(0.45)
    assert lock.current() is None
    assert lock.acquire("b")
    assert not lock.renew("a")
    lock.release("a")
    leader = lock.current()
    assert leader is not None and leader.holder == "b"


def test_racing_standbys_elect_exactly_one(make_lock: LockFactory) -> None:
    locks = [make_lock(30) for _ in range(6)]
    with ThreadPoolExecutor(len(locks)) as pool:
        won = list(pool.map(lambda i: locks[i].acquire(f"holder-{i}"), range(len(locks))))
    assert won.count(True) == 1
    leader = locks[0].current()
    assert leader is not None and leader.holder == f"holder-{won.index(True)}"


def test_current_leader_follows_the_broker(rt: Runtime) -> None:
    """Without Redis the database lock is the one `legalaid status` reads."""
    assert current_leader(rt.settings, rt.engine) is None
    holder = new_holder()
    lock = DatabaseLeaderLock(rt.engine, ttl=rt.settings.leader_lock_ttl)
    assert lock.acquire(holder)
    leader = current_leader(rt.settings, rt.engine)
    assert leader is not None and leader.holder == holder


@pytest.mark.services
def test_current_leader_on_redis(redis_url: str, rt: Runtime) -> None:
    settings = Settings(data_dir=rt.settings.data_dir, broker_url=redis_url, leader_lock_ttl=5)
    assert RedisLeaderLock(redis_url, ttl=5).acquire("scheduler-1")
    leader = current_leader(settings, rt.engine)
    assert leader is not None and leader.holder == "scheduler-1"
    assert current_leader(rt.settings, rt.engine) is None  # the database lock is another lock


def test_an_unreachable_redis_is_a_lost_lock_not_a_crash() -> None:
    lock = RedisLeaderLock("redis://127.0.0.1:1/0", ttl=0.6)
    try:
        assert not lock.acquire("a")
        assert not lock.renew("a")
        lock.release("a")
    finally:
        lock.close()


def test_the_lock_says_since_when_its_holder_leads(make_lock: LockFactory) -> None:
    """``since`` is when the holder took the lock (``legalaid status`` gives a fresh scheduler a grace for
    its first heartbeat): renewing or acquiring it again keeps it, a takeover starts it anew."""
    lock = make_lock(0.6)
    before = utcnow()
    assert lock.acquire("a")
    leader = lock.current()
    assert leader is not None and leader.since is not None
    since = leader.since
    assert before - timedelta(seconds=1) <= since <= utcnow()
    time.sleep(0.05)
    assert lock.renew("a") and lock.acquire("a")
    again = lock.current()
    assert again is not None and again.since == since
    time.sleep(0.7)  # a expires; b takes over
    assert lock.acquire("b")
    taken = lock.current()
    assert taken is not None and taken.holder == "b" and taken.since is not None and taken.since > since
