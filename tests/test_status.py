"""``legalaid status``: every part's state in one command, exit 1 when something needs a person."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from processes import ProcessGroup, job_runs, legalaid_env, wait_for, write_schedule
from sqlalchemy import text

from legalaid import migrate
from legalaid.cli import main
from legalaid.config import Settings
from legalaid.mail import enqueue
from legalaid.models import OutboxMessage
from legalaid.runtime import Runtime, build_runtime


def _status(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, dict[str, object]]]:
    code = main(["status", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is (code == 0)
    return code, {check["name"]: check for check in report["checks"]}


def test_nothing_running_needs_a_person(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEGALAID_DATA_DIR", str(rt.settings.data_dir))
    code, checks = _status(capsys)
    assert code == 1
    assert checks["database"]["ok"] and checks["smtp"]["ok"] and checks["outbox"]["ok"]
    assert (
        not checks["scheduler"]["ok"]
        and "no scheduler holds the leader lock" in checks["scheduler"]["summary"]
    )
    assert not checks["jobs"]["ok"] and "no heartbeat has run yet" in checks["jobs"]["summary"]
    # The plain form: one line per part.
    assert main(["status"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in lines] == [
        "database",
        "broker",
        "smtp",
        "scheduler",
        "outbox",
        "jobs",
    ]


def test_old_schema_and_dead_mail_are_named(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEGALAID_DATA_DIR", str(rt.settings.data_dir))
    with rt.transaction() as session:
        row = enqueue(session, key="k1", to=["a@example.org"], subject="提醒", text="正文")
        row.status, row.last_error = "dead", "550 5.1.1 <a@example.org>: user unknown"
    _, checks = _status(capsys)
    assert not checks["outbox"]["ok"]
    assert "1 dead" in str(checks["outbox"]["summary"])
    assert "550 5.1.1" in json.dumps(checks["outbox"]["detail"])
    with rt.engine.begin() as connection:  # as if the code was upgraded and the database not yet
        connection.execute(text("UPDATE alembic_version SET version_num = '0003'"))
    _, checks = _status(capsys)
    assert not checks["database"]["ok"]
    assert "run `legalaid db upgrade`" in str(checks["database"]["summary"])


def test_unreachable_smtp_server_is_one_line(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from conftest import free_port

    for name, value in {
        "LEGALAID_DATA_DIR": str(rt.settings.data_dir),
        "LEGALAID_MAIL_TRANSPORT": "smtp",
        "LEGALAID_SMTP_HOST": "127.0.0.1",
        "LEGALAID_SMTP_PORT": str(free_port()),
        "LEGALAID_SMTP_PASSWORD": "pw-that-must-not-show",
    }.items():
        monkeypatch.setenv(name, value)
    _, checks = _status(capsys)
    assert not checks["smtp"]["ok"]
    assert "Connection refused" in str(checks["smtp"]["summary"])
    assert main(["status"]) == 1
    out = capsys.readouterr()
    assert "pw-that-must-not-show" not in out.out + out.err


@pytest.mark.services
@pytest.mark.slow
def test_all_green_with_a_real_scheduler_and_worker_on_redis_and_postgresql(
    tmp_path: Path, postgres_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    settings = Settings(data_dir=tmp_path / "var", database_url=postgres_url, broker_url=redis_url)
    runtime = build_runtime(settings)
    migrate.upgrade(runtime.engine)
    values = {"data_dir": settings.data_dir, "database_url": postgres_url, "broker_url": redis_url}
    env = legalaid_env(
        **values,
        schedule_file=write_schedule(tmp_path / "schedule.toml", second="*/2"),
        leader_lock_ttl=3,
        scheduler_poll_seconds=0.5,
    )
    for name, value in values.items():
        monkeypatch.setenv(f"LEGALAID_{name.upper()}", str(value))
    try:
        with ProcessGroup(tmp_path, env) as procs:
            procs.start("scheduler", "scheduler")
            procs.start("worker", "worker", "--concurrency=1", "--pool=solo")
            wait_for(
                lambda: any(run.status == "succeeded" for run in job_runs(runtime.engine)),
                timeout=40,
                what="a heartbeat run by the worker",
                procs=procs,
            )
            code, checks = _status(capsys)
            assert code == 0, checks
            assert checks["broker"]["detail"]["maxmemory_policy"] == "noeviction"  # type: ignore[index]
            assert set(checks["broker"]["detail"]["queues"]) == {"mail", "documents", "reports", "default"}  # type: ignore[index]
            assert "leader" in str(checks["scheduler"]["summary"])
            assert "heartbeat succeeded" in str(checks["jobs"]["summary"])
        with runtime.transaction() as session:
            assert session.query(OutboxMessage).count() == 0
    finally:
        runtime.dispose()
