"""The scheduler's leader lock: one holder at a time, with a time to live that the holder keeps renewing.

Two implementations behind one small interface: Redis (when the broker is Redis, so every scheduler sees the
same lock) and the ``leader_locks`` table otherwise (the embedded default). A holder that stops renewing
loses the lock when its time to live runs out, and a standby takes it over.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from datetime import datetime, timedelta
from typing import NamedTuple, Protocol

from sqlalchemy import Engine, case, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from legalaid.config import Settings
from legalaid.models import LeaderLock, utcnow
from legalaid.redis_client import RedisError, connect

log = logging.getLogger(__name__)

SCHEDULER_LOCK = "scheduler"
REDIS_KEY_PREFIX = "legalaid:leader:"

# Extend the lock's time to live only if we still hold it; delete it only if we still hold it. KEYS[2] is
# the time the holder took the lock, living and dying with it.
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('pexpire', KEYS[2], ARGV[2])
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('del', KEYS[2])
  return redis.call('del', KEYS[1])
end
return 0
"""


class Leader(NamedTuple):
    """Who holds a lock, until when and since when (UTC); the holder renews it every ttl/3.

    ``since``: when this holder took the lock, that is when its schedule started (``legalaid status`` gives
    a fresh scheduler time for its first heartbeat); None for a lock taken before it was recorded.
    """

    holder: str
    expires_at: datetime
    since: datetime | None = None


class LeaderLockBackend(Protocol):
    """A named lock with a time to live. Acquire, renew and release log a failure and answer False."""

    name: str
    ttl: float

    def acquire(self, holder: str) -> bool:
        """Take the lock if it is free or expired (or already ours, which renews it)."""

    def renew(self, holder: str) -> bool:
        """Extend our lock by ttl; False if it is no longer ours (expired, taken, or unreachable)."""

    def release(self, holder: str) -> None:
        """Give the lock up if it is still ours, so a standby need not wait for the ttl."""

    def current(self) -> Leader | None:
        """The present holder, or None when nobody holds the lock."""

    def close(self) -> None: ...


def new_holder() -> str:
    """An identity for this process: ``host:pid:random`` (the random part tells a restarted pid 1 apart)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class RedisLeaderLock:
    """``SET key holder NX PX ttl``; renew and release compare the holder first (one Lua script each)."""

    def __init__(self, url: str, *, name: str = SCHEDULER_LOCK, ttl: float) -> None:
        self.name = name
        self.ttl = ttl
        self.key = REDIS_KEY_PREFIX + name
        self.since_key = f"{self.key}:since"
        # A renewal that hangs must not outlive the lock: bound every call well below the ttl.
        timeout = max(ttl / 3, 0.2)
        self._client = connect(url, timeout=timeout)
        self._renew = self._client.register_script(_RENEW)
        self._release = self._client.register_script(_RELEASE)

    @property
    def _ttl_ms(self) -> int:
        return max(int(self.ttl * 1000), 1)

    def acquire(self, holder: str) -> bool:
        try:
            if self._client.set(self.key, holder, nx=True, px=self._ttl_ms):
                self._client.set(self.since_key, utcnow().isoformat(), px=self._ttl_ms)
                return True
        except RedisError as exc:
            log.warning("leader lock %s: Redis: %s", self.name, exc)
            return False
        return self.renew(holder)

    def renew(self, holder: str) -> bool:
        try:
            return bool(self._renew(keys=[self.key, self.since_key], args=[holder, self._ttl_ms]))
        except RedisError as exc:
            log.warning("leader lock %s: cannot renew: Redis: %s", self.name, exc)
            return False

    def release(self, holder: str) -> None:
        try:
            self._release(keys=[self.key, self.since_key], args=[holder])
        except RedisError as exc:
            log.warning("leader lock %s: cannot release: Redis: %s", self.name, exc)

    def current(self) -> Leader | None:
        pipe = self._client.pipeline()
        pipe.get(self.key)
        pipe.pttl(self.key)
        pipe.get(self.since_key)
        holder, pttl, since = pipe.execute()
        if holder is None or pttl is None or pttl < 0:
            return None
        text = holder.decode() if isinstance(holder, bytes) else str(holder)
        taken = (
            None
            if not since
            else datetime.fromisoformat(since.decode() if isinstance(since, bytes) else since)
        )
        return Leader(text, utcnow() + timedelta(milliseconds=int(pttl)), taken)

    def close(self) -> None:
        self._client.close()


class DatabaseLeaderLock:
    """A row in ``leader_locks``, taken by one conditional UPDATE (or the INSERT that creates it).

    Expiry is judged by each process's clock, which is fine for the embedded case (one machine) it is for.
    The row's ``heartbeat_at`` is written when a holder takes the lock, not when it renews it (the renewal is
    ``expires_at - ttl``): it says since when the holder leads.
    """

    def __init__(self, engine: Engine, *, name: str = SCHEDULER_LOCK, ttl: float) -> None:
        self.name = name
        self.ttl = ttl
        self._engine = engine

    def acquire(self, holder: str) -> bool:
        now = utcnow()
        try:
            with self._engine.begin() as connection:
                # Ours already, or expired: take it. Exactly one row changes, or none.
                taken = connection.execute(
                    update(LeaderLock)
                    .where(LeaderLock.name == self.name)
                    .where((LeaderLock.holder == holder) | (LeaderLock.expires_at < now))
                    .values(
                        holder=holder,
                        expires_at=self._until(now),
                        # Taken over: leading since now; ours already: since when it was taken.
                        heartbeat_at=case((LeaderLock.holder == holder, LeaderLock.heartbeat_at), else_=now),
                    )
                )
                if taken.rowcount == 1:
                    return True
                exists = connection.scalar(select(LeaderLock.name).where(LeaderLock.name == self.name))
                if exists is not None:
                    return False
            # No row yet: create it. Two processes may race here; the primary key lets one win.
            with self._engine.begin() as connection:
                connection.execute(
                    insert(LeaderLock).values(
                        name=self.name, holder=holder, expires_at=self._until(now), heartbeat_at=now
                    )
                )
            return True
        except IntegrityError:
            return False
        except SQLAlchemyError as exc:
            log.warning("leader lock %s: database: %s", self.name, exc)
            return False

    def renew(self, holder: str) -> bool:
        now = utcnow()
        try:
            with self._engine.begin() as connection:
                result = connection.execute(
                    update(LeaderLock)
                    .where(LeaderLock.name == self.name)
                    .where(LeaderLock.holder == holder)
                    .where(LeaderLock.expires_at >= now)
                    .values(expires_at=self._until(now))
                )
                return result.rowcount == 1
        except SQLAlchemyError as exc:
            log.warning("leader lock %s: cannot renew: database: %s", self.name, exc)
            return False

    def release(self, holder: str) -> None:
        past = utcnow() - timedelta(seconds=1)
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    update(LeaderLock)
                    .where(LeaderLock.name == self.name)
                    .where(LeaderLock.holder == holder)
                    .values(expires_at=past)
                )
        except SQLAlchemyError as exc:
            log.warning("leader lock %s: cannot release: database: %s", self.name, exc)

    def current(self) -> Leader | None:
        with self._engine.connect() as connection:
            row = connection.execute(
                select(LeaderLock.holder, LeaderLock.expires_at, LeaderLock.heartbeat_at).where(
                    LeaderLock.name == self.name
                )
            ).one_or_none()
        if row is None or row.expires_at <= utcnow():
            return None
        return Leader(row.holder, row.expires_at, row.heartbeat_at)

    def close(self) -> None:
        """Nothing to close: the engine belongs to the caller."""

    def _until(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.ttl)


def make_leader_lock(
    settings: Settings, engine: Engine | None, *, name: str = SCHEDULER_LOCK
) -> LeaderLockBackend:
    """The lock every scheduler of this installation shares: Redis with a Redis broker, else the database
    (``engine`` may be None with Redis: ``legalaid status`` reads the lock without opening the database)."""
    if settings.uses_redis:
        return RedisLeaderLock(settings.resolved_broker_url, name=name, ttl=settings.leader_lock_ttl)
    if engine is None:
        raise ValueError("the database leader lock needs the database's engine")
    return DatabaseLeaderLock(engine, name=name, ttl=settings.leader_lock_ttl)


def current_leader(settings: Settings, engine: Engine | None, *, name: str = SCHEDULER_LOCK) -> Leader | None:
    """Who leads the schedulers now and until when, for ``legalaid status``; None when nobody does."""
    lock = make_leader_lock(settings, engine, name=name)
    try:
        return lock.current()
    finally:
        lock.close()
