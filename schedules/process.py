"""The scheduler process: stand by until it holds the leader lock, then run the schedule; renew or stop.

Only the holder of the lock runs APScheduler (a job store must never be shared by two running schedulers).
The holder renews the lock every ttl/3; a failed renewal stops the schedule at once and the process goes
back to standing by. A standby polls every ``scheduler_poll_seconds``, so it takes over at most
``leader_lock_ttl + scheduler_poll_seconds`` after a leader dies. SIGTERM or SIGINT releases the lock.

While it leads, it also sweeps the ticks (``schedules.dispatch.Sweeper``): at once on taking the lead (what
the previous leader left), then every ``TickPolicy.sweep_every`` seconds.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Sequence
from types import FrameType

from legalaid import jobs
from legalaid.config import Settings
from legalaid.errors import UserError
from legalaid.leader import LeaderLockBackend, make_leader_lock, new_holder
from legalaid.runtime import Runtime, build_runtime
from schedules.dispatch import SendTask, Sweeper, TickDispatcher
from schedules.scheduler import open_scheduler
from schedules.table import ScheduleEntry, load_schedule, schedule_path
from workers import make_celery

log = logging.getLogger(__name__)


class SchedulerProcess:
    """The standby/leader loop around one schedule, one lock and one way to send tasks."""

    def __init__(
        self,
        *,
        settings: Settings,
        runtime: Runtime,
        entries: Sequence[ScheduleEntry],
        lock: LeaderLockBackend,
        send: SendTask,
        holder: str | None = None,
    ) -> None:
        self.settings = settings
        self.runtime = runtime
        self.entries = list(entries)
        self.lock = lock
        self.send = send
        self.holder = holder or new_holder()
        self.policy = jobs.TickPolicy.from_settings(settings)
        self.ticks = TickDispatcher(
            engine=runtime.engine, entries=self.entries, send=send, policy=self.policy
        )

    def run(self, stop: threading.Event) -> None:
        """Lead or stand by until ``stop`` is set; then release the lock."""
        poll = self.settings.scheduler_poll_seconds
        standing_by_for: str | None = None
        log.info("scheduler %s started; lock ttl %ss, poll %ss", self.holder, self.lock.ttl, poll)
        try:
            while not stop.is_set():
                if self.lock.acquire(self.holder):
                    standing_by_for = None
                    self._lead(stop)
                    if stop.is_set():
                        break
                else:
                    standing_by_for = self._note_leader(standing_by_for)
                stop.wait(poll)
        finally:
            self.lock.release(self.holder)
            self.lock.close()
            log.info("scheduler %s stopped; lock released", self.holder)

    def _lead(self, stop: threading.Event) -> None:
        ttl = self.lock.ttl
        log.info("leader: %s holds the scheduler lock; starting the schedule", self.holder)
        try:
            scheduler, done = open_scheduler(
                engine=self.runtime.engine,
                entries=self.entries,
                send=self.send,
                tz=self.settings.tz,
                ticks=self.ticks,
            )
        except Exception:
            log.exception("cannot start the schedule; giving up the lead")
            self.lock.release(self.holder)
            return
        clean = False
        sweeper = Sweeper(self.ticks, self.policy.sweep_every)
        try:
            log.info(
                "schedule reconciled: kept %s, added %s, replaced %s, updated %s, removed %s",
                done.kept, done.added, done.replaced, done.updated, done.removed,
            )  # fmt: skip
            # Starting may have taken a while: be sure the lock is still ours before anything fires.
            if not self.lock.renew(self.holder):
                log.error("lost the scheduler lock while starting; standing by")
                return
            scheduler.resume()
            sweeper.start()
            while True:
                if stop.wait(ttl / 3):
                    clean = True
                    return
                if scheduler.crashed.is_set():
                    log.error("the schedule stopped; giving up the lead")
                    self.lock.release(self.holder)
                    return
                if not self.lock.renew(self.holder):
                    log.error("lost the scheduler lock; stopping the schedule at once")
                    return
        finally:
            sweeper.stop()
            # After a lost lock, stop without waiting: another scheduler may already lead.
            scheduler.shutdown(wait=clean)
            log.info("schedule stopped")

    def _note_leader(self, announced: str | None) -> str | None:
        try:
            leader = self.lock.current()
        except Exception as exc:
            log.warning("standing by: cannot see the leader lock: %s", exc)
            return announced
        holder = leader.holder if leader else None
        if holder != announced and leader is not None:
            log.info("standing by: %s leads (lock valid until %s)", holder, leader.expires_at.isoformat())
        return holder


def check_tasks(entries: Sequence[ScheduleEntry], known: set[str], *, path: str) -> None:
    """Every scheduled task must be one the workers know, or its messages would go nowhere."""
    for entry in entries:
        if entry.task not in known:
            raise UserError(
                f"{path}: job {entry.id!r}: unknown task {entry.task!r} "
                "(is its module in tasks.TASK_MODULES?)"
            )


def run_scheduler(settings: Settings, *, stop: threading.Event | None = None) -> int:
    """``legalaid scheduler``: run until SIGTERM/SIGINT (or ``stop``); exit code 0 on a clean stop.

    The database must be migrated (the command line checks); a bad schedule file is a UserError.
    """
    path = schedule_path(settings)
    entries = load_schedule(path)
    app = make_celery(settings)
    app.loader.import_default_modules()
    check_tasks(entries, set(app.tasks.keys()), path=str(path))
    runtime = build_runtime(settings)
    try:
        stop = stop or threading.Event()
        _stop_on_signals(stop)
        process = SchedulerProcess(
            settings=settings,
            runtime=runtime,
            entries=entries,
            lock=make_leader_lock(settings, runtime.engine),
            send=app.send_task,
        )
        process.run(stop)
    finally:
        runtime.dispose()
    return 0


def _stop_on_signals(stop: threading.Event) -> None:
    if threading.current_thread() is not threading.main_thread():
        return

    def handle(signum: int, _frame: FrameType | None) -> None:
        log.info("%s: stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
