"""The whole system for one fault scenario: real ``legalaid worker`` and ``legalaid scheduler`` processes on
the scenario's own Redis and PostgreSQL, delivering to a real SMTP server; and the count of what arrived.

    stack.start_workers(2); stack.start_scheduler(); stack.wait_for_workers(2)
    sent = stack.queue_messages(100, prefix="kill")          # outbox id → Message-ID
    ...inject the fault...
    stack.wait_until_settled(sent)                            # every row sent, every Message-ID received
    tally = stack.tally(sent.values())                        # expected / delivered / duplicates / lost

The timings are settings, short here so that a scenario recovers in seconds, not minutes: a claimed message
is presumed lost 5 s after its claim (its worker killed), a handed-over one 3 s after its hand-off (its
broker message lost); the outbox sweep runs every second; a failed delivery is tried again after about 1 s;
the scheduler's leader lock lives 2 s; a scheduled tick's lease and hand-off are trusted for 3 s.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

from fault_report import Outcome, record
from processes import LEGALAID, Proc, ProcessGroup, legalaid_env, wait_for
from services import RedisServer
from smtp_server import MAIL_FROM, SmtpTestServer, _Handler
from sqlalchemy import func, select

import tasks.mail as mail_tasks
from legalaid import migrate
from legalaid.config import Settings
from legalaid.mail import NewMessage, enqueue_many
from legalaid.models import JobRun, OutboxMessage
from legalaid.runtime import Runtime, build_runtime
from workers import make_celery

TIMINGS: dict[str, object] = {
    "leader_lock_ttl": 2,
    "scheduler_poll_seconds": 0.5,
    "mail_lease_seconds": 5,
    "mail_requeue_after_seconds": 3,
    "mail_retry_base_seconds": 1,
    "mail_retry_max_seconds": 1,
    "smtp_timeout": 5,
    "job_lease_seconds": 3,
    "job_requeue_after_seconds": 3,
    "job_retry_base_seconds": 1,
}


class SlowSmtpServer(SmtpTestServer):
    """The test SMTP server, taking ``delay`` seconds over each message once its data has arrived (a batch
    then lasts long enough to be interrupted, and a killed worker is most likely waiting for the server's
    answer: the message is delivered, and the worker never learns it). Notes when each message arrived."""

    def __init__(self, *, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.arrivals: list[float] = []  # time.monotonic() of each accepted message, in order

    def start(self) -> SlowSmtpServer:
        super().start()
        assert self._controller is not None
        # The controller builds a protocol with its handler for every new connection.
        self._controller.handler = _SlowHandler(self)
        return self


class _SlowHandler(_Handler):
    server: SlowSmtpServer

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.server.delay)
        reply = await super().handle_DATA(server, session, envelope)
        if reply.startswith("250"):
            with self.server.lock:
                self.server.arrivals.append(time.monotonic())
        return reply


@dataclass(frozen=True)
class Tally:
    """What the SMTP server received against what should have been sent, per Message-ID."""

    expected: int
    delivered: int  # distinct expected Message-IDs received
    duplicates: int  # extra copies received
    lost: int  # expected, never received
    duplicated: dict[str, int] = field(default_factory=dict)  # Message-ID → copies, for those > 1
    unexpected: int = 0  # received, but not among the expected


def record_tally(scenario: str, tally: Tally, *, recovery_s: float) -> Outcome:
    """The scenario's line of figures, from what the SMTP server received."""
    return record(
        scenario,
        expected=tally.expected,
        delivered=tally.delivered,
        duplicates=tally.duplicates,
        lost=tally.lost,
        recovery_s=recovery_s,
    )


class TickRow(NamedTuple):
    key: str
    scheduled_for: datetime
    status: str
    attempts: int
    error: str | None


def schedule_text(*, sweep_every: int = 1, heartbeat_every: int | None = None, extra: str = "") -> str:
    """A schedule table: the outbox sweep every ``sweep_every`` seconds, a heartbeat if asked, ``extra``."""
    lines = ["[jobs]"]
    every = "*" if sweep_every == 1 else f"*/{sweep_every}"
    lines.append(
        f'mail-sweep = {{ task = "legalaid.mail.sweep", cron = "* * * * *", second = "{every}", '
        "misfire_grace = 30 }"
    )
    if heartbeat_every is not None:
        lines.append(
            f'heartbeat = {{ task = "legalaid.heartbeat", cron = "* * * * *", '
            f'second = "*/{heartbeat_every}", misfire_grace = 30 }}'
        )
    return "\n".join(lines) + "\n" + extra


class Stack:
    """One scenario's system. Processes are killed when the ``with`` block ends (their logs are printed
    when it ends with a failure)."""

    def __init__(self, folder: Path, *, database_url: str, redis: RedisServer, smtp: SlowSmtpServer) -> None:
        self.folder = folder
        self.redis = redis
        self.smtp = smtp
        self.schedule_file = folder / "schedule.toml"
        self.write_schedule(schedule_text())
        self.values: dict[str, object] = {
            "data_dir": folder / "var",
            "database_url": database_url,
            "broker_url": redis.url,
            "mail_transport": "smtp",
            "smtp_host": smtp.host,
            "smtp_port": smtp.port,
            "mail_from": MAIL_FROM,
            "schedule_file": self.schedule_file,
            **TIMINGS,
        }
        self.settings = Settings(**self.values)
        self.env = legalaid_env(**self.values)
        self.runtime: Runtime = build_runtime(self.settings)
        self.app: Any = make_celery(self.settings)
        self.procs = ProcessGroup(folder, self.env)
        self.workers: list[Proc] = []
        self.schedulers: list[Proc] = []

    def __enter__(self) -> Stack:
        migrate.upgrade(self.runtime.engine)
        self.procs.__enter__()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.procs.__exit__(exc_type, exc, tb)
        finally:
            self.app.close()
            self.runtime.dispose()

    # Processes ----------------------------------------------------------------------------------------

    def configure(self, **settings: object) -> None:
        """More LEGALAID_* settings for the processes started from now on (and the commands run)."""
        self.env.update({f"LEGALAID_{name.upper()}": str(value) for name, value in settings.items()})

    def write_schedule(self, text: str) -> None:
        """The schedule table a scheduler started from now on reads."""
        self.schedule_file.write_text(text, encoding="utf-8")

    def start_workers(self, count: int = 2) -> list[Proc]:
        """``count`` worker processes, one task at a time each (so a kill interrupts at most one message)."""
        started = []
        for _ in range(count):
            n = len(self.workers) + 1
            worker = self.procs.start(f"worker-{n}", "worker", "--concurrency=1", f"--hostname=w{n}@%h")
            self.workers.append(worker)
            started.append(worker)
        return started

    def start_scheduler(self) -> Proc:
        scheduler = self.procs.start(f"scheduler-{len(self.schedulers) + 1}", "scheduler")
        self.schedulers.append(scheduler)
        return scheduler

    def wait_for_workers(self, count: int, *, timeout: float = 60) -> None:
        """Until ``count`` workers answer a ping: consuming, not just started."""

        def answering() -> int:
            # A connection of its own each time: a pooled one may be left over from before a Redis restart.
            with self.app.connection_for_write() as connection:
                return len(self.app.control.ping(timeout=0.5, connection=connection) or [])

        wait_for(
            lambda: answering() >= count,
            timeout=timeout,
            what=f"{count} worker(s) to answer",
            procs=self.procs,
        )

    def wait_for_leader(self, *, timeout: float = 30) -> None:
        wait_for(
            lambda: any("leader:" in s.output() for s in self.schedulers),
            timeout=timeout,
            what="a scheduler to lead",
            procs=self.procs,
        )

    def legalaid(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a one-off ``legalaid`` command with the stack's settings; its output as text."""
        return subprocess.run(
            [*LEGALAID, *args],
            env=self.env,
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    # Mail -----------------------------------------------------------------------------------------------

    def queue_messages(
        self, count: int, *, prefix: str, to: Sequence[str] = ("lawyer@example.org",)
    ) -> dict[int, str]:
        """``count`` messages written to the outbox in one transaction and handed to the broker once it has
        committed, as the service's own commands and tasks do; returns outbox id → Message-ID."""
        messages = [
            NewMessage(
                key=f"faults:{prefix}:{n}", to=to, subject=f"案件提醒 {prefix} {n}", text="请及时处理。"
            )
            for n in range(count)
        ]
        with self.runtime.transaction() as session:
            ids = enqueue_many(session, messages, mail_from=MAIL_FROM)
        mail_tasks.hand_over(self.runtime, ids, app=self.app)
        return self.message_ids(ids)

    def message_ids(self, outbox_ids: Iterable[int]) -> dict[int, str]:
        wanted = list(outbox_ids)
        with self.runtime.sessions() as session:
            rows = session.execute(
                select(OutboxMessage.id, OutboxMessage.message_id).where(OutboxMessage.id.in_(wanted))
            )
            found = {int(i): str(m) for i, m in rows}
        return {i: found[i] for i in wanted}

    def statuses(self, outbox_ids: Collection[int] | None = None) -> Counter[str]:
        statement = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        if outbox_ids is not None:
            statement = statement.where(OutboxMessage.id.in_(list(outbox_ids)))
        with self.runtime.sessions() as session:
            return Counter({status: int(n) for status, n in session.execute(statement)})

    def errors(self, outbox_ids: Collection[int]) -> dict[int, str | None]:
        with self.runtime.sessions() as session:
            rows = session.execute(
                select(OutboxMessage.id, OutboxMessage.last_error).where(
                    OutboxMessage.id.in_(list(outbox_ids))
                )
            )
            return {int(i): e for i, e in rows}

    def received_ids(self) -> Counter[str]:
        return Counter(m.message_id for m in self.smtp.messages())

    def wait_until_settled(self, sent: dict[int, str], *, timeout: float = 90) -> float:
        """Until every one of ``sent`` is recorded ``sent`` and its Message-ID has arrived: nothing can
        arrive again after that (sent is final). Returns when the last message arrived (monotonic)."""
        expected = set(sent.values())

        def settled() -> bool:
            return self.statuses(sent)["sent"] == len(sent) and expected <= set(self.received_ids())

        wait_for(
            settled, timeout=timeout, what=f"all {len(sent)} messages sent", procs=self.procs, interval=0.2
        )
        return self.last_arrival()

    def last_arrival(self) -> float:
        with self.smtp.lock:
            return self.smtp.arrivals[-1] if self.smtp.arrivals else time.monotonic()

    def tally(self, expected: Iterable[str]) -> Tally:
        wanted = set(expected)
        received = self.received_ids()
        delivered = wanted & set(received)
        duplicated = {mid: n for mid, n in received.items() if n > 1 and mid in wanted}
        return Tally(
            expected=len(wanted),
            delivered=len(delivered),
            duplicates=sum(n - 1 for n in duplicated.values()),
            lost=len(wanted - delivered),
            duplicated=duplicated,
            unexpected=sum(n for mid, n in received.items() if mid not in wanted),
        )

    # Scheduled ticks -----------------------------------------------------------------------------------

    def wait_for_ticks_to_run(self, job: str, *, until: datetime, timeout: float = 60) -> list[TickRow]:
        """Until every tick of ``job`` recorded for ``until`` or before has run; they are returned. A tick
        lost with the broker is sent again by the scheduler's sweep (``legalaid.jobs``)."""
        wait_for(
            lambda: all(t.status == "succeeded" for t in self.ticks(job) if t.scheduled_for <= until),
            timeout=timeout,
            what=f"every {job} tick to run",
            procs=self.procs,
            interval=0.2,
        )
        return [t for t in self.ticks(job) if t.scheduled_for <= until]

    def ticks(self, job: str) -> list[TickRow]:
        """The recorded ticks of ``job``, oldest first."""
        statement = (
            select(JobRun.key, JobRun.scheduled_for, JobRun.status, JobRun.attempts, JobRun.error)
            .where(JobRun.job == job)
            .order_by(JobRun.scheduled_for)
        )
        with self.runtime.sessions() as session:
            return [TickRow(*row) for row in session.execute(statement)]
