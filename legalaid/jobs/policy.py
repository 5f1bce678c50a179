"""How long a claim is trusted, when a lost hand-off is sent again, how failures are retried: the ticks'
settings (``job_*``), read by the leased-row state machine (``legalaid.leases``) as ``TickPolicy.leases``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property

from legalaid.config import Settings
from legalaid.leases import LeasePolicy


@dataclass(frozen=True)
class TickPolicy:
    """The timings of the tick state machine (settings ``job_*``; short ones in tests)."""

    # A running tick's claim; its worker renews it every third of this while the run lasts, so only a
    # worker that stopped (killed, its machine gone) lets it expire.
    lease: timedelta = timedelta(seconds=60)
    # A tick handed to the broker this long ago and still not claimed is presumed lost (Redis restarted
    # without persistence or flushed, a killed embedded worker's fetched messages) and is sent again. A
    # second copy of the task is harmless (the claim is conditional). Longer than a queue normally waits.
    requeue_after: timedelta = timedelta(seconds=300)
    retry_base: timedelta = timedelta(seconds=60)
    retry_max: timedelta = timedelta(hours=1)
    # Claims per tick (kills included) before it is dead; ``legalaid jobs retry`` grants as many again.
    max_attempts: int = 5
    # The longest a run can last (Celery's hard time limit kills it then): the lease is not renewed beyond
    # this, so a run hung in a pool without time limits (solo, threads) cannot hold its tick for ever.
    max_run: timedelta = timedelta(seconds=360)

    @classmethod
    def from_settings(cls, settings: Settings) -> TickPolicy:
        return cls(
            lease=timedelta(seconds=settings.job_lease_seconds),
            requeue_after=timedelta(seconds=settings.job_requeue_after_seconds),
            retry_base=timedelta(seconds=settings.job_retry_base_seconds),
            retry_max=max(timedelta(hours=1), timedelta(seconds=settings.job_retry_base_seconds)),
            max_attempts=settings.job_max_attempts,
            max_run=timedelta(seconds=settings.task_time_limit),
        )

    @cached_property
    def leases(self) -> LeasePolicy:
        """The ticks' terms in the state machine's words: a number of attempts, no horizon, no jitter."""
        return LeasePolicy(
            lease=self.lease,
            requeue_after=self.requeue_after,
            retry_base=self.retry_base,
            retry_max=self.retry_max,
            max_attempts=self.max_attempts,
        )

    def retry_delay(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt: retry_base · 2^(n-1), at most retry_max."""
        return self.leases.retry_delay(attempts)

    @property
    def sweep_every(self) -> float:
        """Seconds between two sweeps of the leader: a quarter of the shorter wait, between 0.1 s and 30 s."""
        shorter = min(self.lease, self.requeue_after).total_seconds()
        return min(max(shorter / 4, 0.1), 30.0)


DEFAULT_POLICY = TickPolicy()
