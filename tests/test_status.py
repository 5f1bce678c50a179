"""``legalaid status``: every part's state in one command, exit 1 when something needs a person."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from private_redis import private_redis
from processes import ProcessGroup, job_runs, legalaid_env, wait_for, write_schedule
from smtp_server import SmtpTestServer, free_port
from sqlalchemy import delete, text, update

from cli import main
from legalaid import jobs, migrate
from legalaid.config import Settings
from legalaid.jobs import TickPolicy
from legalaid.leader import make_leader_lock
from legalaid.mail import enqueue
from legalaid.models import JobRun, LeaderLock, OutboxMessage, utcnow
from legalaid.runtime import Runtime, build_runtime
from legalaid.status import STARTING_GRACE


def _status(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, dict[str, Any]]]:
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
            assert checks["broker"]["detail"]["maxmemory_policy"] == "noeviction"
            assert set(checks["broker"]["detail"]["queues"]) == {"mail", "documents", "reports", "default"}
            assert "leader" in str(checks["scheduler"]["summary"])
            assert "heartbeat succeeded" in str(checks["jobs"]["summary"])
        with runtime.transaction() as session:
            assert session.query(OutboxMessage).count() == 0
    finally:
        runtime.dispose()


# Each condition that needs a person, one at a time, from an installation where everything is fine. ----


def _tick(
    rt: Runtime, job: str, minutes_ago: float, outcome: str | None = "succeeded", **policy: Any
) -> None:
    """A tick of ``job`` scheduled ``minutes_ago``: recorded, and unless ``outcome`` is None claimed by a
    worker and finished (``failed``, or ``dead`` with ``max_attempts=1``) through the tick API."""
    tick = utcnow() - timedelta(minutes=minutes_ago)
    task = f"legalaid.{job}"
    with rt.transaction() as session:
        jobs.record_tick(session, job=job, task=task, scheduled_for=tick, now=tick)
    if outcome is None:
        return
    rules = TickPolicy(**policy)
    with rt.transaction() as session:
        run = jobs.claim(session, job=job, scheduled_for=tick, task=task, worker="w1", now=tick, policy=rules)
        assert run is not None
        status = "succeeded" if outcome == "succeeded" else "failed"
        error = None if outcome == "succeeded" else "TemplateError: unexpected '}'"
        jobs.finish_run(session, run_id=run.id, status=status, error=error, finished_at=tick, policy=rules)


@pytest.fixture
def healthy(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    """The embedded installation with a leader that took the lock an hour ago and just renewed it, and a
    heartbeat a minute ago."""
    monkeypatch.setenv("LEGALAID_DATA_DIR", str(rt.settings.data_dir))
    rt.settings.broker_folder.mkdir(parents=True)
    lock = make_leader_lock(rt.settings, rt.engine)
    assert lock.acquire("host:123:abc")
    lock.close()
    _lead_since(rt, minutes_ago=60)
    _tick(rt, "heartbeat", minutes_ago=1)
    return rt


def _lead_since(rt: Runtime, *, minutes_ago: float) -> None:
    """The leader took the lock ``minutes_ago`` (the database lock's row records it in heartbeat_at)."""
    with rt.transaction() as session:
        session.execute(update(LeaderLock).values(heartbeat_at=utcnow() - timedelta(minutes=minutes_ago)))


@pytest.mark.parametrize("last_heartbeat", [None, 10], ids=["fresh installation", "restarted after a stop"])
def test_a_scheduler_that_just_took_the_lead_is_starting_not_a_failure(
    healthy: Runtime, capsys: pytest.CaptureFixture[str], last_heartbeat: int | None
) -> None:
    """``serve``'s first minute: the leader has not had its first heartbeat run yet. That is "starting"
    (exit 0) for STARTING_GRACE from the time it took the lead; after that, a missing heartbeat fails."""
    with healthy.transaction() as session:
        session.execute(delete(JobRun).where(JobRun.job == "heartbeat"))
    if last_heartbeat is not None:
        _tick(healthy, "heartbeat", minutes_ago=last_heartbeat)
    _lead_since(healthy, minutes_ago=0.5)
    code, checks = _status(capsys)
    assert code == 0, checks
    assert str(checks["jobs"]["summary"]).startswith("starting: the scheduler took the lead 30 s ago")
    assert main(["status"]) == 0
    assert "ok   jobs" in capsys.readouterr().out

    _lead_since(healthy, minutes_ago=STARTING_GRACE.total_seconds() / 60 + 0.5)
    code, checks = _status(capsys)
    assert code == 1 and not checks["jobs"]["ok"]
    assert "is a worker running?" in str(checks["jobs"]["summary"])
    assert "starting" not in str(checks["jobs"]["summary"])


def test_all_green_names_the_leader_its_last_renewal_and_every_scheduled_job(
    healthy: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    code, checks = _status(capsys)
    assert code == 0, checks
    scheduler, jobs_check = checks["scheduler"], checks["jobs"]
    assert str(scheduler["summary"]).startswith("leader host:123:abc, last renewed 0 s ago, lock valid")
    assert {"holder", "renewed_at", "expires_at"} <= set(scheduler["detail"])
    # Every job of the shipped schedule is listed: the heartbeat with its outcome, the others not run yet.
    detail = jobs_check["detail"]
    assert isinstance(detail, dict)
    assert detail["heartbeat"]["status"] == "succeeded"
    assert {"mail-sweep", "reminders", "reports"} <= {
        job for job, run in detail.items() if run["status"] is None
    }
    assert "not run yet: mail-sweep" in str(jobs_check["summary"])
    assert str(checks["broker"]["summary"]).endswith("mail 0, documents 0, reports 0, default 0")


@pytest.mark.parametrize(
    ("make_it_so", "check", "named"),
    [
        (lambda rt: _backdate_heartbeats(rt, 10),
         "jobs", "the last heartbeat ran 10 min ago: is a worker running?"),
        (lambda rt: _tick(rt, "reminders", minutes_ago=2, outcome="failed"),
         "jobs", "reminders failed: TemplateError: unexpected '}'"),
        (lambda rt: _tick(rt, "reports", minutes_ago=3, outcome="failed", max_attempts=1),
         "jobs", "reports: 1 dead tick(s)"),
        (lambda rt: _tick(rt, "roster-check", minutes_ago=20, outcome=None),
         "jobs", "roster-check: 1 tick(s) due 20 min ago and not taken"),
        (lambda rt: _queued(rt, minutes_ago=20),
         "outbox", "0 dead (the oldest queued 20 min ago); oldest queued message waiting 20 min"),
        (lambda rt: _queued(rt, minutes_ago=1, dead=True),
         "outbox", "1 dead (see `legalaid mail status`"),
        (lambda rt: _expire_the_leader(rt),
         "scheduler", "no scheduler holds the leader lock"),
        (lambda rt: shutil.rmtree(rt.settings.broker_folder),
         "broker", "no such folder"),
    ],
    ids=["stale heartbeat", "failed run", "dead tick", "tick not taken", "stuck queue", "dead mail",
         "no leader", "no broker folder"],
)  # fmt: skip
def test_each_condition_that_needs_a_person_fails_its_check(
    healthy: Runtime,
    capsys: pytest.CaptureFixture[str],
    make_it_so: Callable[[Runtime], object],
    check: str,
    named: str,
) -> None:
    make_it_so(healthy)
    code, checks = _status(capsys)
    assert code == 1
    assert [name for name, c in checks.items() if not c["ok"]] == [check]
    assert named in str(checks[check]["summary"])
    assert main(["status"]) == 1  # the plain form too
    assert f"FAIL {check}" in capsys.readouterr().out


def _backdate_heartbeats(rt: Runtime, minutes: int) -> None:
    """Every heartbeat tick ran ``minutes`` ago: the worker or the scheduler stopped since."""
    with rt.transaction() as session:
        session.execute(delete(JobRun).where(JobRun.job == "heartbeat"))
    _tick(rt, "heartbeat", minutes_ago=minutes)


def _queued(rt: Runtime, *, minutes_ago: float, dead: bool = False) -> None:
    with rt.transaction() as session:
        row = enqueue(
            session,
            key=f"stuck:{minutes_ago}",
            to=["a@example.org"],
            subject="提醒",
            text="正文",
            now=utcnow() - timedelta(minutes=minutes_ago),
        )
        if dead:
            row.status, row.last_error = "dead", "550 5.1.1 <a@example.org>: user unknown"


def _expire_the_leader(rt: Runtime) -> None:
    with rt.transaction() as session:
        session.execute(update(LeaderLock).values(expires_at=utcnow() - timedelta(seconds=1)))


def test_a_broken_schedule_file_is_named(
    healthy: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    schedule = tmp_path / "schedule.toml"
    schedule.write_text('[jobs]\nheartbeat = { task = "legalaid.heartbeat", cron = "61 * * * *" }\n')
    monkeypatch.setenv("LEGALAID_SCHEDULE_FILE", str(schedule))
    code, checks = _status(capsys)
    assert code == 1 and not checks["schedule"]["ok"]
    assert str(checks["schedule"]["summary"]).startswith(str(schedule))


def test_a_database_that_is_down_is_named_with_its_password_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    monkeypatch.setenv("LEGALAID_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("LEGALAID_DATABASE_URL", f"postgresql+psycopg://legalaid:db-pw-9@127.0.0.1:{port}/x")
    code, checks = _status(capsys)
    assert code == 1 and list(checks) == ["database", "broker", "smtp", "scheduler"]  # no outbox, no jobs
    assert not checks["database"]["ok"] and not checks["scheduler"]["ok"]  # its lock is in the database
    assert str(checks["database"]["summary"]).startswith(
        f"postgresql+psycopg://legalaid:********@127.0.0.1:{port}/x: (psycopg.OperationalError) connection"
    )
    assert main(["status"]) == 1
    assert "db-pw-9" not in json.dumps(checks) + capsys.readouterr().out


@pytest.mark.services
def test_redis_queue_depths_a_policy_that_evicts_and_a_broker_that_is_down(
    rt: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEGALAID_DATA_DIR", str(rt.settings.data_dir))
    with private_redis(tmp_path, password="rd-pw-3") as url:
        client = redis.Redis.from_url(url)
        client.rpush("mail", b"a", b"b")
        client.rpush("reports\x06\x169", b"c")  # a priority list of the reports queue
        client.hset("unacked", "tag", b"d")
        monkeypatch.setenv("LEGALAID_BROKER_URL", url)
        _, checks = _status(capsys)
        broker = checks["broker"]
        assert broker["ok"], broker
        assert broker["detail"] == {
            "queues": {"mail": 2, "documents": 0, "reports": 1, "default": 0},
            "in_flight": 1,
            "maxmemory_policy": "noeviction",
        }
        client.config_set("maxmemory-policy", "allkeys-lru")
        _, checks = _status(capsys)
        assert not checks["broker"]["ok"]
        assert "maxmemory-policy is allkeys-lru, must be noeviction" in str(checks["broker"]["summary"])
        client.close()
    # The same URL with nothing listening any more.
    monkeypatch.setenv("LEGALAID_BROKER_URL", url.replace(url.rsplit(":", 1)[1], f"{free_port()}/0"))
    _, checks = _status(capsys)
    assert not checks["broker"]["ok"] and "Connection refused" in str(checks["broker"]["summary"])
    assert "rd-pw-3" not in json.dumps(checks)


def test_an_smtp_server_that_answers_is_ok(
    healthy: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with SmtpTestServer() as server:
        for name, value in {
            "MAIL_TRANSPORT": "smtp",
            "SMTP_HOST": server.host,
            "SMTP_PORT": server.port,
        }.items():
            monkeypatch.setenv(f"LEGALAID_{name}", str(value))
        code, checks = _status(capsys)
    assert code == 0 and checks["smtp"]["summary"] == f"{server.host}:{server.port}: answers (EHLO 250)"
