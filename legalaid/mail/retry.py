"""The retry policy: exponential backoff with jitter, a horizon after which a message is dead, leases.

Waits live in the database (``outbox.next_attempt_at``), never in Celery ETAs or countdowns: a Redis
broker redelivers a task whose ETA is beyond its visibility timeout, and a flushed broker forgets it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from legalaid.config import Settings
from legalaid.leases import LeasePolicy


@dataclass(frozen=True)
class RetryPolicy:
    """When to try again, when to give up, and how long a claim or a broker hand-off is trusted: the
    outbox's settings (``mail_*``), read by the leased-row state machine as ``leases``."""

    base_delay: timedelta = timedelta(minutes=1)
    max_delay: timedelta = timedelta(hours=1)
    # ± this fraction of the delay, so messages that failed together (server down) do not retry together.
    jitter: float = 0.25
    horizon: timedelta = timedelta(hours=24)
    # A claimed row whose worker has not finished by then is presumed lost (killed) and is reclaimed.
    # Far longer than one SMTP exchange (timeout below), shorter than a person would wait.
    lease: timedelta = timedelta(minutes=5)
    # A queued, due row handed to the broker longer ago than this is presumed lost (broker restarted or
    # flushed) and is handed over again; a second copy of a task is harmless (the claim is conditional).
    lost_after: timedelta = timedelta(minutes=10)
    smtp_timeout: float = 30.0

    @cached_property
    def leases(self) -> LeasePolicy:
        """The outbox's terms in the state machine's words: no limit on attempts, a horizon in time."""
        return LeasePolicy(
            lease=self.lease,
            requeue_after=self.lost_after,
            retry_base=self.base_delay,
            retry_max=self.max_delay,
            jitter=self.jitter,
            # Jitter never brings a retry closer than a second.
            min_delay=timedelta(seconds=1),
            horizon=self.horizon,
        )

    def delay(self, attempts: int, rng: random.Random | None = None) -> timedelta:
        """The wait after the ``attempts``-th failed attempt: base·2^(n-1), capped, with jitter."""
        return self.leases.retry_delay(attempts, rng)

    def next_attempt_at(
        self, *, attempts: int, now: datetime, since: datetime, rng: random.Random | None = None
    ) -> datetime | None:
        """When to try again after a temporary failure, or None when the horizon has passed (dead).

        The last try is made at the horizon itself rather than skipped when the backoff overshoots it.
        """
        return self.leases.retry_at(attempts=attempts, now=now, since=since, rng=rng)


DEFAULT_POLICY = RetryPolicy()


def policy_from_settings(settings: Settings) -> RetryPolicy:
    """The retry policy the settings ask for (``mail_retry_*``, ``mail_lease_seconds``, …)."""
    return RetryPolicy(
        base_delay=timedelta(seconds=settings.mail_retry_base_seconds),
        max_delay=timedelta(seconds=settings.mail_retry_max_seconds),
        horizon=timedelta(hours=settings.mail_retry_horizon_hours),
        lease=timedelta(seconds=settings.mail_lease_seconds),
        lost_after=timedelta(seconds=settings.mail_requeue_after_seconds),
        smtp_timeout=settings.smtp_timeout,
    )
