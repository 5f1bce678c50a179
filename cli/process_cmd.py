"""``legalaid worker``, ``scheduler``, ``web`` and ``serve``: the long-running processes.

The command line is where the application is put together, so these commands (and only they) reach into
``workers/``, ``schedules/`` and ``web/``; they import them when run, so ``legalaid`` itself never loads
Celery or the web framework.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
import time
from enum import StrEnum
from types import FrameType
from typing import Annotated

import typer

from cli._common import missing_database, no_database
from legalaid.config import Settings, load_settings
from legalaid.errors import UserError
from legalaid.logs import configure_logging

log = logging.getLogger(__name__)


class PoolName(StrEnum):
    prefork = "prefork"
    solo = "solo"
    threads = "threads"


QUEUES_HELP = "Comma-separated queues to consume (mail, documents, reports, default); default: all."


def register(app: typer.Typer) -> None:
    @app.command("worker")
    def worker(
        queues: Annotated[str, typer.Option("--queues", "-Q", help=QUEUES_HELP)] = "",
        concurrency: Annotated[
            int | None, typer.Option("--concurrency", "-c", min=1, help="Worker processes (or threads).")
        ] = None,
        pool: Annotated[PoolName, typer.Option("--pool", "-P", help="Execution pool.")] = PoolName.prefork,
        hostname: Annotated[str, typer.Option("--hostname", "-n", help="Worker node name.")] = "legalaid@%h",
    ) -> None:
        """Run a Celery worker (SIGTERM or Ctrl-C: finish the running tasks, then stop)."""
        from workers import QUEUES, run_worker

        settings = load_settings()
        _require_current_schema(settings)
        chosen = [q.strip() for q in queues.split(",") if q.strip()] or list(QUEUES)
        code = run_worker(
            settings, queues=chosen, concurrency=concurrency, pool=pool.value, hostname=hostname
        )
        raise typer.Exit(code)

    @app.command("scheduler")
    def scheduler() -> None:
        """Run the scheduler: it leads if it gets the leader lock, else it stands by to take over."""
        from schedules import run_scheduler

        settings = load_settings()
        _require_current_schema(settings)
        configure_logging(settings)
        raise typer.Exit(run_scheduler(settings))

    @app.command("web")
    def web(
        host: Annotated[
            str | None, typer.Option("--host", help="Address to listen on (default: the web_host setting).")
        ] = None,
        port: Annotated[
            int | None,
            typer.Option(
                "--port",
                min=1,
                max=65535,
                metavar="PORT",
                help="Port to listen on (default: the web_port setting).",
            ),
        ] = None,
        forwarded_allow_ips: Annotated[
            str,
            typer.Option(
                "--forwarded-allow-ips",
                help="Proxies whose X-Forwarded-For/-Proto are believed (comma-separated, or *).",
            ),
        ] = "127.0.0.1",
    ) -> None:
        """Serve the HTTP API (uvicorn); SIGTERM or Ctrl-C: finish the requests in hand, then stop."""
        import uvicorn

        from web import create_app

        settings = load_settings()
        _require_current_schema(settings)
        configure_logging(settings)
        uvicorn.run(
            create_app(settings),
            host=host or settings.web_host,
            port=port or settings.web_port,
            # Behind the center's reverse proxy the client is the forwarded address (metrics read it).
            proxy_headers=True,
            forwarded_allow_ips=forwarded_allow_ips,
            log_config=None,  # legalaid's logging, configured above, formats uvicorn's lines too
            server_header=False,
        )

    @app.command("serve")
    def serve(
        concurrency: Annotated[int, typer.Option("--concurrency", "-c", min=1, help="Worker processes.")] = 2,
        pool: Annotated[
            PoolName, typer.Option("--pool", "-P", help="Worker execution pool.")
        ] = PoolName.prefork,
        no_web: Annotated[bool, typer.Option("--no-web", help="Leave the HTTP API out.")] = False,
    ) -> None:
        """Run a worker, the scheduler and the HTTP API together (the embedded default); Ctrl-C stops all."""
        settings = load_settings()
        _require_current_schema(settings)
        configure_logging(settings)
        legalaid = [sys.executable, "-m", "cli"]
        children = {
            "scheduler": [*legalaid, "scheduler"],
            "worker": [*legalaid, "worker", f"--concurrency={concurrency}", f"--pool={pool.value}"],
        }
        if not no_web:  # on web_host:web_port, localhost by default
            children["web"] = [*legalaid, "web"]
        # A worker's warm shutdown waits for its running tasks, which end by the hard time limit.
        raise typer.Exit(supervise(children, grace=settings.task_time_limit + 10))


def _require_current_schema(settings: Settings) -> None:
    from legalaid import migrate
    from legalaid.runtime import build_runtime

    # Opening a SQLite file that does not exist would create it, empty: say so before.
    if (missing := missing_database(settings)) is not None:
        raise UserError(no_database(missing))
    runtime = build_runtime(settings)
    try:
        if not migrate.is_current(runtime.engine):
            raise UserError("the database schema is not current: run `legalaid db upgrade` first")
    finally:
        runtime.dispose()


def supervise(commands: dict[str, list[str]], *, grace: float) -> int:
    """Run the commands as children until one exits or we are told to stop; then stop them all.

    The children run in their own sessions, so a Ctrl-C reaches only this process, which passes one SIGTERM
    to each child (a warm shutdown); a second Ctrl-C kills them. Returns 0 after a requested stop, 1 if a
    child exited by itself.
    """
    stop = threading.Event()
    children: dict[str, subprocess.Popen[bytes]] = {}
    signals = 0

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        nonlocal signals
        signals += 1
        if signals == 1:
            log.info("%s: stopping %s", signal.Signals(signum).name, ", ".join(commands))
        else:
            log.warning("%s again: killing %s", signal.Signals(signum).name, ", ".join(commands))
            for child in children.values():
                if child.poll() is None:
                    child.kill()
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    code = 0
    try:
        for name, argv in commands.items():
            children[name] = subprocess.Popen(argv, start_new_session=True)
            log.info("started %s (pid %d)", name, children[name].pid)
        while not stop.wait(0.5):
            exited = {name: child.returncode for name, child in children.items() if child.poll() is not None}
            if exited:
                for name, returncode in exited.items():
                    log.error("%s exited with code %s; stopping the others", name, returncode)
                code = 1
                break
    finally:
        _stop_children(children, grace=grace)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code


def _stop_children(children: dict[str, subprocess.Popen[bytes]], *, grace: float) -> None:
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for name, child in children.items():
        try:
            child.wait(timeout=max(deadline - time.monotonic(), 0))
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop within %.0fs; killing it", name, grace)
            child.kill()
            child.wait()
