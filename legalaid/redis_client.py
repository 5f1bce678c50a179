"""Redis, the one module that imports redis (ruff's banned-api says so): a client with bounded waits, the
error every Redis failure is, and what the status command reads of Celery's queues there.

The scheduler's leader lock (``legalaid.leader``) and ``legalaid status`` are its two users.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import redis

# Every failure of a Redis call: a refused connection, a timeout, an answer that is an error.
RedisError = redis.RedisError

# Celery's Redis transport keeps priorities 3, 6 and 9 of a queue in lists named "<queue>\x06\x16<n>".
_PRIORITY_SEPARATOR = "\x06\x16"
_PRIORITY_STEPS = ("3", "6", "9")


def connect(url: str, *, timeout: float) -> redis.Redis[bytes]:
    """A client of the Redis at ``url`` whose connecting and every call give up after ``timeout`` seconds
    (it connects on its first call)."""
    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)


@dataclass(frozen=True)
class BrokerQueues:
    """What Celery's broker holds: messages waiting in each queue, messages a worker has taken but not
    acknowledged, and Redis's eviction policy (anything but noeviction may drop queued tasks)."""

    depths: dict[str, int]
    in_flight: int
    maxmemory_policy: str


def broker_queues(url: str, queues: Sequence[str], *, timeout: float = 3) -> BrokerQueues:
    """Read the broker's queues at ``url``; raises RedisError when Redis cannot be asked."""
    client = connect(url, timeout=timeout)
    try:
        client.ping()
        depths = {
            queue: sum(
                int(client.llen(key))
                for key in (queue, *(f"{queue}{_PRIORITY_SEPARATOR}{p}" for p in _PRIORITY_STEPS))
            )
            for queue in queues
        }
        in_flight = int(client.hlen("unacked"))
        policy = client.config_get("maxmemory-policy").get("maxmemory-policy", "?")
    finally:
        client.close()
    return BrokerQueues(depths, in_flight, str(policy))
