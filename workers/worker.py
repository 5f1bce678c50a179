"""The worker process: ``legalaid worker`` and the worker half of ``legalaid serve``."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Sequence
from typing import Any, Literal

from celery.signals import setup_logging

from legalaid.config import Settings
from legalaid.errors import UserError
from legalaid.logs import configure_logging
from workers.application import make_celery
from workers.routing import QUEUES

Pool = Literal["prefork", "solo", "threads"]
DEFAULT_HOSTNAME = "legalaid@%h"


def worker_argv(
    settings: Settings,
    *,
    queues: Sequence[str] = QUEUES,
    concurrency: int | None = None,
    pool: Pool = "prefork",
    hostname: str = DEFAULT_HOSTNAME,
) -> list[str]:
    """The ``celery worker`` arguments for these options (checked: unknown queues are a UserError)."""
    if unknown := [q for q in queues if q not in QUEUES]:
        raise UserError(f"--queues: unknown queue {unknown[0]!r} (known: {', '.join(QUEUES)})")
    if not queues:
        raise UserError("--queues: name at least one queue")
    argv = [
        "worker",
        f"--queues={','.join(queues)}",
        f"--pool={pool}",
        f"--loglevel={settings.log_level}",
        f"--hostname={hostname}",
    ]
    if concurrency is not None:
        argv.append(f"--concurrency={concurrency}")
    if settings.log_format == "json":
        # Celery's banner is printed, not logged: in JSON mode every line of output is a JSON object (the
        # "ready" line is logged all the same). --quiet is an option of the celery command, not the worker.
        argv.insert(0, "--quiet")
    if not settings.uses_redis:
        # Gossip, mingle and worker heartbeats are broadcasts between workers of a cluster; on the
        # filesystem broker a killed worker would leave their queues behind. The embedded case has one worker.
        argv += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    return argv


def run_worker(
    settings: Settings,
    *,
    queues: Sequence[str] = QUEUES,
    concurrency: int | None = None,
    pool: Pool = "prefork",
    hostname: str = DEFAULT_HOSTNAME,
) -> int:
    """Run a worker until it is told to stop (SIGTERM or SIGINT: warm shutdown); returns its exit code."""
    argv = worker_argv(settings, queues=queues, concurrency=concurrency, pool=pool, hostname=hostname)
    configure_logging(settings)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_celery_task_id)
    # With a receiver on setup_logging, Celery leaves the logging configured above alone.
    setup_logging.connect(_keep_legalaid_logging, weak=False)
    if settings.log_format == "json":
        # Celery prints (not logs) its shutdown notices to sys.__stdout__ from its signal handlers: log them,
        # so that every line the worker writes is one JSON object.
        printed = _PrintedToLog(logging.getLogger("celery.worker"))
        sys.stdout = printed
        setattr(sys, "__stdout__", printed)  # noqa: B010 - typeshed marks it final; Celery reads it
    app = make_celery(settings)
    code = app.start(argv)
    return int(code or 0)


def _keep_legalaid_logging(**_kwargs: Any) -> None:
    """Logging is already configured by legalaid.logs.configure_logging."""


def _celery_task_id(record: logging.LogRecord) -> bool:
    """Celery's lines about a task outside its run ("received", a failure's report) name it in an
    ``extra={"data": {"id": …}}``: give them the ``task_id`` field the task's own lines have."""
    data = getattr(record, "data", None)
    if not hasattr(record, "task_id") and isinstance(data, dict) and isinstance(data.get("id"), str):
        record.task_id = data["id"]
    return True


class _PrintedToLog(io.TextIOBase):
    """A stdout whose lines become log lines (blank ones dropped)."""

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__()
        self._logger = logger
        self._partial = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        *lines, self._partial = (self._partial + text).split("\n")
        for line in lines:
            if line.strip():
                self._logger.info("%s", line.strip())
        return len(text)
