"""Real workers run the heartbeat that a real scheduler enqueued: embedded (SQLite, filesystem broker),
on Redis and PostgreSQL, and both under ``legalaid serve``."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from builders import make_decided_case, make_lawyer
from celery.app.utils import find_app
from processes import LEGALAID, ProcessGroup, Run, job_runs, legalaid_env, wait_for, write_schedule
from smtp_server import SmtpTestServer, free_port

from cli import main
from legalaid import migrate
from legalaid.config import Settings
from legalaid.leader import current_leader
from legalaid.runtime import build_runtime
from workers import QUEUES, make_celery, queue_for, worker_argv


def _succeeded(runs: list[Run]) -> list[Run]:
    return [r for r in runs if r.status == "succeeded"]


def _scheduler_and_worker_run_the_heartbeat(tmp_path: Path, settings: Settings) -> None:
    runtime = build_runtime(settings)
    migrate.upgrade(runtime.engine)
    env = legalaid_env(
        data_dir=settings.data_dir,
        database_url=settings.database_url,
        broker_url=settings.broker_url,
        schedule_file=write_schedule(tmp_path / "schedule.toml", second="*/2"),
        leader_lock_ttl=2,
        scheduler_poll_seconds=0.5,
    )
    try:
        with ProcessGroup(tmp_path, env) as procs:
            worker = procs.start("worker", "worker", "--concurrency=1", "--queues=default")
            scheduler = procs.start("scheduler", "scheduler")
            (run,) = wait_for(
                lambda: _succeeded(job_runs(runtime.engine))[:1],
                timeout=25,
                what="a heartbeat run",
                procs=procs,
            )
            assert run.key.startswith("heartbeat:") and run.key.endswith("+00:00")
            assert run.worker is not None and run.worker.startswith("legalaid@")
            assert run.task_id is not None and run.task_id in worker.output()
            assert scheduler.stop() == 0
            assert current_leader(settings, runtime.engine) is None  # released on SIGTERM
            assert worker.stop() == 0
            assert "Traceback" not in procs.logs()
    finally:
        runtime.dispose()


@pytest.mark.slow
def test_embedded_worker_runs_the_scheduled_heartbeat(tmp_path: Path, settings: Settings) -> None:
    _scheduler_and_worker_run_the_heartbeat(tmp_path, settings)
    folders = sorted(p.name for p in settings.broker_folder.iterdir())
    assert folders == ["control", "messages"]
    assert list((settings.broker_folder / "messages").iterdir()) == []  # every message consumed


@pytest.mark.slow
@pytest.mark.parametrize("web", [True, False], ids=["with-web", "no-web"])
def test_serve_runs_worker_scheduler_and_web_and_ctrl_c_stops_them(
    tmp_path: Path, settings: Settings, web: bool
) -> None:
    runtime = build_runtime(settings)
    migrate.upgrade(runtime.engine)
    port = free_port()
    env = legalaid_env(
        data_dir=settings.data_dir,
        schedule_file=write_schedule(tmp_path / "schedule.toml", second="*/2"),
        leader_lock_ttl=2,
        scheduler_poll_seconds=0.5,
        web_port=port,
    )
    expected = ["scheduler", "worker", "web"] if web else ["scheduler", "worker"]
    try:
        with ProcessGroup(tmp_path, env) as procs:
            serve = procs.start("serve", "serve", "--concurrency=1", *([] if web else ["--no-web"]))

            def started() -> dict[str, int]:
                return {
                    name: int(pid) for name, pid in re.findall(r"started (\w+) \(pid (\d+)\)", serve.output())
                }

            children = wait_for(
                lambda: sorted(started()) == sorted(expected) and started(),
                timeout=10,
                what="serve's children",
                procs=procs,
            )
            for pid in children.values():  # every child, so that none outlives a failing test
                procs.adopt(pid)
            wait_for(
                lambda: _succeeded(job_runs(runtime.engine)), timeout=25, what="a heartbeat", procs=procs
            )
            if web:
                health = wait_for(lambda: _health(port), timeout=20, what="the web child", procs=procs)
                assert health.status_code in (200, 503) and "checks" in health.json()

            serve.send(signal.SIGINT)
            assert serve.popen.wait(timeout=20) == 0
            for pid in children.values():
                with pytest.raises(ProcessLookupError):
                    os.kill(pid, 0)
            assert current_leader(settings, runtime.engine) is None
    finally:
        runtime.dispose()


def _health(port: int) -> httpx.Response | None:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=5)
    except httpx.TransportError:
        return None


def test_worker_scheduler_and_serve_refuse_an_old_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEGALAID_DATA_DIR", str(tmp_path / "var"))
    for command in ("worker", "scheduler", "serve"):
        assert main([command]) == 2
        assert "run `legalaid db upgrade` first" in capsys.readouterr().err


# The mail a command queues is handed to the broker right after its commit (a real broker). The shipped
# schedule sweeps the outbox every minute; a hand-off that waited for it would take up to that long.
HAND_OFF_BOUND_S = 10.0


@pytest.mark.slow
@pytest.mark.services
def test_a_case_assigned_on_the_command_line_reaches_the_smtp_server_within_seconds(
    tmp_path: Path, redis_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``legalaid case assign`` on Redis hands its notice to a running worker at once: no scheduler runs
    here, so no sweep could deliver it. Measured from the command's start (its own start-up included)."""
    settings = Settings(data_dir=tmp_path / "var", broker_url=redis_url)
    runtime = build_runtime(settings)
    migrate.upgrade(runtime.engine)
    with runtime.transaction() as session:
        lawyer = make_lawyer(session)
        lawyer.email = "li@firm.example"
        make_decided_case(session, case_no="2012民援第001号", assigned_on=None, lawyer=None)
        code = lawyer.code
    runtime.dispose()
    with SmtpTestServer() as server:
        env = legalaid_env(
            data_dir=settings.data_dir,
            broker_url=redis_url,
            mail_transport="smtp",
            smtp_host=server.host,
            smtp_port=server.port,
            mail_from="center@legalaid.example",
        )
        with ProcessGroup(tmp_path, env) as procs:
            worker = procs.start("worker", "worker", "--concurrency=1", "--queues=mail")
            wait_for(lambda: "ready" in worker.output(), timeout=60, what="the worker", procs=procs)
            started = time.monotonic()
            command = subprocess.Popen(
                [*LEGALAID, "case", "assign", "2012民援第001号", code],
                env=env,
                cwd=tmp_path,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            try:
                # Watched while the command runs: the notice may arrive before the command has exited.
                [received] = server.wait_for(1, timeout=HAND_OFF_BOUND_S)
                arrived = time.monotonic()
                out, err = command.communicate(timeout=60)
            finally:
                command.kill()
            assert command.returncode == 0, err
    assert "sweep" not in out  # handed over, not left to the sweep
    assert received.message["Subject"] == "指派通知书：2012民援第001号（王*明）"  # masked
    with capsys.disabled():
        print(f"\ncase assign → SMTP server: {arrived - started:.2f} s from the command's start")
    assert arrived - started < HAND_OFF_BOUND_S


def test_on_the_embedded_broker_a_command_leaves_its_mail_to_the_sweep_and_loads_no_celery(
    tmp_path: Path,
) -> None:
    """No worker may run yet (a first run): the command says the sweep delivers it, and imports no Celery."""
    settings = Settings(data_dir=tmp_path / "var")
    runtime = build_runtime(settings)
    migrate.upgrade(runtime.engine)
    with runtime.transaction() as session:
        lawyer = make_lawyer(session)
        lawyer.email = "li@firm.example"
        make_decided_case(session, case_no="2012民援第001号", assigned_on=None, lawyer=None)
        code = lawyer.code
    runtime.dispose()
    script = (
        "import sys\nfrom cli import main\n"
        f"code = main(['case', 'assign', '2012民援第001号', {code!r}])\n"
        "print(code, ' '.join(sorted(n for n in sys.modules if n.split('.')[0] in ('celery', 'kombu'))))\n"
    )
    env = legalaid_env(data_dir=settings.data_dir)
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True, cwd=tmp_path
    )
    *_, last = result.stdout.strip().splitlines()
    assert last.strip() == "0"  # exit code 0, and no celery or kombu module loaded
    assert "queued; the worker's next mail sweep delivers it" in result.stdout


def test_legalaid_itself_never_imports_celery_or_apscheduler() -> None:
    """Dependencies point schedules → tasks → legalaid and workers → tasks, never back."""
    code = (
        "import importlib, pkgutil, sys, legalaid\n"
        "for m in pkgutil.walk_packages(legalaid.__path__, 'legalaid.'):\n"
        "    if not ('.migrations' in m.name or m.name.endswith('__main__')):\n"
        "        importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('celery', 'kombu', 'apscheduler'))\n"
        "print(' '.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


# --- configuration of the application (no broker needed) -------------------------------------------------


def test_the_celery_command_finds_the_app() -> None:
    """``celery -A workers …`` (Flower, inspect) resolves ``workers.app``, built from the settings."""
    import workers

    app = find_app("workers")
    assert app is workers.app and app.main == "legalaid"


def test_celery_app_is_json_only_late_acking_and_routes_by_name(settings: Settings) -> None:
    conf = make_celery(settings).conf
    assert conf.task_serializer == conf.result_serializer == "json" and conf.accept_content == ["json"]
    assert conf.task_acks_late and conf.task_reject_on_worker_lost and conf.worker_prefetch_multiplier == 1
    assert conf.task_ignore_result and conf.broker_connection_retry_on_startup
    assert (conf.task_soft_time_limit, conf.task_time_limit) == (300, 360)
    assert sorted(q.name for q in conf.task_queues) == sorted(QUEUES)
    assert conf.broker_url == "filesystem://localhost/"
    options = conf.broker_transport_options
    assert options["data_folder_in"] == options["data_folder_out"] == str(settings.broker_folder / "messages")
    assert (settings.broker_folder / "control").is_dir()


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("legalaid.mail.deliver", "mail"),
        ("legalaid.documents.render", "documents"),
        ("legalaid.reports.annual", "reports"),
        ("legalaid.heartbeat", "default"),
        ("legalaid.reminders.digest", "default"),
    ],
)
def test_routing_by_task_name(settings: Settings, task: str, queue: str) -> None:
    assert queue_for(task) == queue
    app = make_celery(settings)
    assert app.amqp.router.route({}, task)["queue"].name == queue


def test_redis_broker_options(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, broker_url="redis://127.0.0.1:6379/3", task_time_limit=9000,
                        task_soft_time_limit=8000)  # fmt: skip
    conf = make_celery(settings).conf
    assert conf.broker_transport_options == {"visibility_timeout": 18000}
    assert not (tmp_path / "broker").exists()
    assert "--without-gossip" not in worker_argv(settings)
    assert "--without-gossip" in worker_argv(Settings(data_dir=tmp_path))
