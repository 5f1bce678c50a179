"""The leader's side of the tick state machine (``legalaid.jobs``): record each tick before sending it, and
sweep: send again the ticks the broker lost and those a killed worker left.

Both only enqueue (Invariant 3): the work is the worker's. Two leaders at once (one that lost its lock and
does not know it yet) at worst send a tick twice, which the worker's conditional claim makes harmless.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from legalaid import jobs
from legalaid.db import transaction
from legalaid.models import utcnow
from schedules.table import ScheduleEntry

log = logging.getLogger(__name__)

SendTask = Callable[..., Any]


class TickDispatcher:
    """Records ticks and hands them to the broker, on one database and one way to send tasks."""

    def __init__(
        self,
        *,
        engine: Engine,
        entries: Sequence[ScheduleEntry],
        send: SendTask,
        policy: jobs.TickPolicy = jobs.DEFAULT_POLICY,
    ) -> None:
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        # Rows older than migration 0008 carry no task name: the schedule table knows it.
        self.tasks = {entry.id: entry.task for entry in entries}
        self.send = send
        self.policy = policy

    def record(self, task: str, job: str, scheduled_for: datetime) -> int | None:
        """Record the tick as scheduled and handed over now; None when it is already recorded."""
        with transaction(self.sessions) as session:
            return jobs.record_tick(session, job=job, task=task, scheduled_for=scheduled_for, now=utcnow())

    def hand_back(self, run_ids: Sequence[int]) -> None:
        """These ticks were not sent: the next sweep sends them (best effort; else after requeue_after)."""
        try:
            with transaction(self.sessions) as session:
                jobs.hand_back(session, run_ids)
        except Exception as exc:
            log.warning("cannot note that tick(s) %s were not sent: %s", list(run_ids), exc)

    def sweep(self) -> list[str]:
        """Reclaim expired leases and send again every due tick whose hand-off is missing or lost; the keys
        sent. Stops at the first failed send (the broker is down) and leaves the rest to the next sweep."""
        with transaction(self.sessions) as session:
            ticks = jobs.sweep(session, now=utcnow(), policy=self.policy)
        sent: list[str] = []
        for index, tick in enumerate(ticks):
            task = tick.task or self.tasks.get(tick.job)
            if task is None:
                log.error(
                    "%s: no task is recorded and job %r is not in the schedule: not sent", tick.key, tick.job
                )
                continue
            try:
                self.send(task, kwargs=tick.kwargs())
            except Exception as exc:
                log.warning("sweep: cannot send %s (%s); the next sweep tries again", tick.key, exc)
                self.hand_back([t.id for t in ticks[index:]])
                break
            sent.append(tick.key)
        if sent:
            log.warning("sweep: sent again (lost, left by a worker, or retried): %s", ", ".join(sent))
        return sent


class Sweeper:
    """A thread that sweeps at once, then every ``every`` seconds until stopped (the leader runs one)."""

    def __init__(self, dispatcher: TickDispatcher, every: float) -> None:
        self.dispatcher = dispatcher
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tick-sweep", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.dispatcher.sweep()
            except Exception as exc:  # the database may be restarting: the next sweep tries again
                log.warning("sweep failed: %s", exc)
            self._stop.wait(self.every)
