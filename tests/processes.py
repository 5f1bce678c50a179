"""Real ``legalaid worker`` / ``scheduler`` / ``serve`` processes for tests, started with LEGALAID_*
variables, their output in a file, and always killed (with everything they started) when the test ends.

    with ProcessGroup(tmp_path, legalaid_env(data_dir=...)) as procs:
        worker = procs.start("worker", "worker", "--concurrency=1")
        wait_for(lambda: ..., timeout=20, what="a heartbeat", procs=procs)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import NamedTuple, TypeVar

from sqlalchemy import Engine, select

from legalaid.models import JobRun

T = TypeVar("T")

LEGALAID = [sys.executable, "-m", "cli"]


def legalaid_env(**settings: object) -> dict[str, str]:
    """This environment without any LEGALAID_* variable, plus LEGALAID_<NAME> for each setting given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEGALAID_")}
    env.update({f"LEGALAID_{name.upper()}": str(value) for name, value in settings.items()})
    env["PYTHONUNBUFFERED"] = "1"
    return env


def write_schedule(
    path: Path, *, second: str = "*/2", misfire_grace: int = 30, task: str = "legalaid.heartbeat"
) -> Path:
    """A schedule file whose heartbeat ticks every few seconds (the shipped one ticks every minute)."""
    path.write_text(
        "[jobs]\n"
        f'heartbeat = {{ task = "{task}", cron = "* * * * *", second = "{second}", '
        f'misfire_grace = {misfire_grace}, comment = "test heartbeat" }}\n',
        encoding="utf-8",
    )
    return path


class Run(NamedTuple):
    key: str
    scheduled_for: datetime
    status: str
    worker: str | None
    task_id: str | None


def job_runs(engine: Engine, job: str = "heartbeat") -> list[Run]:
    """The recorded runs of ``job``, oldest tick first."""
    statement = (
        select(JobRun.key, JobRun.scheduled_for, JobRun.status, JobRun.worker, JobRun.task_id)
        .where(JobRun.job == job)
        .order_by(JobRun.scheduled_for)
    )
    with engine.connect() as connection:
        return [Run(*row) for row in connection.execute(statement)]


class Proc:
    """One started process, the leader of its own session (so it and its children die together)."""

    def __init__(self, name: str, popen: subprocess.Popen[bytes], log_path: Path) -> None:
        self.name = name
        self.popen = popen
        self.log_path = log_path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def running(self) -> bool:
        return self.popen.poll() is None

    def send(self, sig: signal.Signals) -> None:
        if self.running():
            self.popen.send_signal(sig)

    def stop(self, timeout: float = 45) -> int:
        """SIGTERM and wait for a clean exit; the exit code (killed, and failing, if it takes too long).

        The default leaves room for billiard's own wait: a prefork child whose last result the parent has
        not yet counted when the warm shutdown begins waits up to 30 s for it before it exits (CI saw one
        in about ten stops of a worker that had just finished a task).
        """
        self.send(signal.SIGTERM)
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"{self.name} did not stop within {timeout}s:\n{self.output()}") from None

    def kill(self) -> None:
        """SIGKILL the whole session: the process and every process it started."""
        kill_session(self.pid)
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - the kernel does not ignore SIGKILL
            pass


def kill_session(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class ProcessGroup:
    """The processes of one test; leaving the ``with`` block kills whatever is still running."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.env = env
        self.procs: list[Proc] = []
        self.adopted: list[int] = []

    def start(self, name: str, *args: str, env: dict[str, str] | None = None) -> Proc:
        """Start ``legalaid <args>`` with the group's environment (updated by ``env``)."""
        log_path = self.folder / f"{name}-{len(self.procs)}.log"
        with log_path.open("wb") as log:
            popen = subprocess.Popen(
                [*LEGALAID, *args],
                env={**self.env, **(env or {})},
                cwd=self.folder,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        proc = Proc(name, popen, log_path)
        self.procs.append(proc)
        return proc

    def adopt(self, pid: int) -> None:
        """Also kill session ``pid`` at the end (children that ``legalaid serve`` started in own sessions)."""
        self.adopted.append(pid)

    def logs(self) -> str:
        return "\n".join(f"----- {p.name} (pid {p.pid}) -----\n{p.output()}" for p in self.procs)

    def __enter__(self) -> ProcessGroup:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for pid in self.adopted:
            kill_session(pid)
        for proc in self.procs:
            proc.kill()
        if exc is not None and not isinstance(exc, KeyboardInterrupt):
            print(self.logs())  # shown by pytest for the failing test


def wait_for(
    condition: Callable[[], T | None],
    *,
    timeout: float,
    what: str,
    procs: ProcessGroup | None = None,
    interval: float = 0.1,
) -> T:
    """Poll ``condition`` until it returns something truthy; fail naming ``what`` (and show the logs)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            logs = f"\n{procs.logs()}" if procs else ""
            raise AssertionError(f"timed out after {timeout}s waiting for {what}{logs}")
        if procs is not None:
            for proc in procs.procs:
                if proc.popen.poll() not in (None, 0) and proc.popen.returncode != -signal.SIGKILL:
                    raise AssertionError(f"{proc.name} exited with {proc.popen.returncode}{procs.logs()}")
        time.sleep(interval)


def logged_at(output: str, message: str) -> datetime | None:
    """When a process logged ``message`` (its text log's time in the center's zone, to the millisecond,
    with the offset: 2012-10-12 09:00:00.123+08:00), in UTC."""
    for line in output.splitlines():
        if message in line:
            return datetime.fromisoformat(line[:29]).astimezone(UTC)
    return None
