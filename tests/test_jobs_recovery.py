"""Scheduled ticks are never lost, with real processes: a lost message is sent again by the leader's sweep,
a worker killed mid-run leaves a lease that expires and the tick runs again, once; ``legalaid status`` names
dead and stuck ticks. Each on the embedded set-up (SQLite, filesystem broker) and on Redis and PostgreSQL.

The timings are settings, short here: a lease of 2 s (renewed every 0.67 s), a hand-off presumed lost
after 2 s, the sweep every 0.5 s; the heartbeat holds its claim for ``heartbeat_hold_seconds`` (4 s).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import redis
from processes import ProcessGroup, legalaid_env, wait_for, write_schedule
from sqlalchemy import select, update

from cli import main
from legalaid import jobs, migrate
from legalaid.config import Settings
from legalaid.models import JobRun
from legalaid.runtime import Runtime, build_runtime
from schedules.dispatch import TickDispatcher
from schedules.scheduler import enqueue
from workers import make_celery

TIMINGS = {"job_lease_seconds": 2, "job_requeue_after_seconds": 2, "leader_lock_ttl": 2}


@dataclass
class Setup:
    """One deployment for a test: its settings, a runtime on its database, and how to lose queued messages."""

    settings: Settings
    runtime: Runtime
    env: dict[str, object]
    lose_queued_messages: Callable[[], None]


@pytest.fixture(params=["embedded", pytest.param("redis+postgresql", marks=pytest.mark.services)])
def setup(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Setup]:
    data_dir = tmp_path / "var"
    if request.param == "embedded":
        settings = Settings(data_dir=data_dir)
        env: dict[str, object] = {"data_dir": data_dir}

        def lose() -> None:
            for message in (settings.broker_folder / "messages").iterdir():
                message.unlink()

    else:
        redis_url: str = request.getfixturevalue("redis_url")
        postgres_url: str = request.getfixturevalue("postgres_url")
        settings = Settings(data_dir=data_dir, database_url=postgres_url, broker_url=redis_url)
        env = {"data_dir": data_dir, "database_url": postgres_url, "broker_url": redis_url}

        def lose() -> None:  # Redis restarted without persistence, or flushed
            client = redis.Redis.from_url(redis_url)
            client.flushdb()
            client.close()

    runtime = build_runtime(settings)
    migrate.upgrade(runtime.engine)
    try:
        yield Setup(settings, runtime, env, lose)
    finally:
        runtime.dispose()


class Tick(NamedTuple):
    key: str
    status: str
    attempts: int
    dispatched_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None


def _ticks(rt: Runtime) -> dict[str, Tick]:
    columns = (JobRun.key, JobRun.status, JobRun.attempts, JobRun.dispatched_at, JobRun.started_at,
               JobRun.finished_at, JobRun.error)  # fmt: skip
    with rt.sessions() as session:
        return {
            row.key: Tick(*row) for row in session.execute(select(*columns).order_by(JobRun.scheduled_for))
        }


def _queued(settings: Settings) -> int:
    if settings.uses_redis:
        client = redis.Redis.from_url(settings.resolved_broker_url)
        try:
            return int(client.llen("default"))
        finally:
            client.close()
    return len(list((settings.broker_folder / "messages").iterdir()))


@pytest.mark.slow
# On the embedded broker here; Redis restarted and flushed under the real scheduler, with every recorded
# tick run, is scenario 2 of the fault suite (tests/faults/test_2_redis_lost.py).
@pytest.mark.parametrize("setup", ["embedded"], indirect=True)
def test_ticks_whose_messages_were_lost_are_sent_again_and_run_once(setup: Setup, tmp_path: Path) -> None:
    rt = setup.runtime
    env = legalaid_env(
        **setup.env, **TIMINGS, schedule_file=write_schedule(tmp_path / "schedule.toml", second="*/2")
    )
    with ProcessGroup(tmp_path, env) as procs:
        scheduler = procs.start("scheduler", "scheduler")
        # No worker yet: the ticks are recorded and queued, and then the broker loses every message.
        wait_for(lambda: len(_ticks(rt)) >= 3, timeout=30, what="three recorded ticks", procs=procs)
        # The sweep hands every tick nobody took over again each 2 s (job_requeue_after_seconds): a loss
        # that falls just after such a round, or just before one, leaves no tick surely sent before it, or
        # finds them sent again at once. Then the loss is repeated, at most three times, a second apart.
        for _ in range(3):
            setup.lose_queued_messages()
            lost_at = datetime.now(UTC)
            queued_after = _queued(setup.settings)
            # Handed over well before the loss (a send takes milliseconds): their messages are surely gone.
            sent_before = lost_at - timedelta(seconds=0.5)
            lost = {
                key
                for key, tick in _ticks(rt).items()
                if tick.dispatched_at and tick.dispatched_at < sent_before
            }
            if len(lost) >= 2 and queued_after <= 1:
                break
            time.sleep(1)
        assert len(lost) >= 2 and queued_after <= 1  # at most a tick sent after the loss

        procs.start("worker", "worker", "--concurrency=1")
        wait_for(
            lambda: all(_ticks(rt)[key].status == "succeeded" for key in lost),
            timeout=60, what="the lost ticks to run", procs=procs,
        )  # fmt: skip
        ticks = _ticks(rt)
    for key in lost:
        tick = ticks[key]
        # Handed over again after the loss, and run once (one claim), however many copies were sent.
        assert tick.dispatched_at is not None and tick.dispatched_at > lost_at, key
        assert tick.attempts == 1, key
    assert "sweep: sent again" in scheduler.output()
    print(f"{len(lost)} lost ticks sent again and run once each")


def _quiet_schedule(path: Path) -> Path:
    """A schedule that does not fire during the test: the scheduler only leads and sweeps."""
    path.write_text(
        '[jobs]\nheartbeat = { task = "legalaid.heartbeat", cron = "0 3 1 1 *", misfire_grace = 1 }\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.slow
def test_a_tick_whose_worker_is_killed_mid_run_runs_again_after_its_lease(
    setup: Setup, tmp_path: Path
) -> None:
    rt, hold = setup.runtime, 4.0
    env = legalaid_env(
        **setup.env,
        **TIMINGS,
        heartbeat_hold_seconds=hold,
        schedule_file=_quiet_schedule(tmp_path / "s.toml"),
    )
    app = make_celery(setup.settings)
    tick = datetime.now(UTC).replace(microsecond=0)
    key = jobs.run_key("heartbeat", tick)
    with ProcessGroup(tmp_path, env) as procs:
        procs.start("scheduler", "scheduler")
        first = procs.start("worker-a", "worker", "--concurrency=1")
        # What the scheduler does at a tick: record it, then send it.
        ticks = TickDispatcher(engine=rt.engine, entries=[], send=app.send_task)
        enqueue("legalaid.heartbeat", job="heartbeat", scheduled_for=tick, send=app.send_task, ticks=ticks)
        wait_for(
            lambda: _ticks(rt)[key].status == "running", timeout=40, what="worker A to take it", procs=procs
        )
        first.kill()  # SIGKILL, the worker and its pool process, in the middle of the run
        killed_at = datetime.now(UTC)
        assert _ticks(rt)[key].status == "running"

        procs.start("worker-b", "worker", "--concurrency=1")
        wait_for(
            lambda: _ticks(rt)[key].status == "succeeded",
            timeout=60,
            what="the tick to run again",
            procs=procs,
        )
    run = _ticks(rt)[key]
    assert list(_ticks(rt)) == [key]
    assert run.attempts == 2  # the killed claim and the one that finished; the lease held through the hold
    assert run.started_at is not None and run.finished_at is not None and run.started_at > killed_at
    assert (run.finished_at - run.started_at).total_seconds() >= hold  # renewed past two leases
    assert run.error is not None and "lease expired" in run.error  # what happened to the first attempt
    print(f"run again {(run.started_at - killed_at).total_seconds():.1f}s after the kill, finished once")


# --- legalaid status -------------------------------------------------------------------------------------


def _status(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = main(["status", "--json"])
    report = json.loads(capsys.readouterr().out)
    jobs_check: dict[str, Any] = next(c for c in report["checks"] if c["name"] == "jobs")
    return code, jobs_check


def test_status_names_a_dead_tick_and_a_stuck_one_and_exits_non_zero(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEGALAID_DATA_DIR", str(rt.settings.data_dir))
    now = datetime.now(UTC)
    with rt.transaction() as session:  # a heartbeat that ran just now: the jobs check is green
        run = jobs.claim(session, job="heartbeat", scheduled_for=now, now=now)
        assert run is not None
        jobs.finish_run(session, run_id=run.id)
    assert _status(capsys)[1]["ok"]

    with rt.transaction() as session:
        jobs.record_tick(
            session, job="reports", task="legalaid.reports.publish", scheduled_for=now - timedelta(hours=2),
            now=now - timedelta(hours=2),
        )  # fmt: skip
    code, check = _status(capsys)
    assert code == 1 and not check["ok"]
    assert (
        "reports: 1 tick(s) due 120 min ago and not taken: is a worker taking its queue?" in check["summary"]
    )

    with rt.transaction() as session:
        session.execute(
            update(JobRun)
            .where(JobRun.job == "reports")
            .values(
                status="dead", attempts=5, error="gave up after 5 attempts: TemplateError: 'x' is undefined"
            )
        )
    code, check = _status(capsys)
    assert code == 1
    assert "reports: 1 dead tick(s)" in check["summary"]
    assert "gave up after 5 attempts: TemplateError: 'x' is undefined" in check["summary"]
    assert "legalaid jobs retry --dead" in check["summary"]
    assert check["detail"]["reports"]["status"] == "dead"


def test_jobs_retry_schedules_a_dead_tick_again_and_refuses_what_is_not_dead(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEGALAID_DATA_DIR", str(rt.settings.data_dir))
    now = datetime.now(UTC)
    dead_tick, running_tick = now - timedelta(days=1), now - timedelta(seconds=5)
    with rt.transaction() as session:
        for tick in (dead_tick, running_tick):
            run = jobs.claim(
                session, job="reminders", scheduled_for=tick, task="legalaid.reminders.scan", now=now
            )
            assert run is not None
        session.execute(
            update(JobRun).where(JobRun.scheduled_for == dead_tick).values(status="dead", error="boom [x]")
        )
    dead_key, running_key = jobs.run_key("reminders", dead_tick), jobs.run_key("reminders", running_tick)

    assert main(["jobs", "status", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [(t["key"], t["status"]) for t in report["unfinished"]] == [
        (running_key, "running"),
        (dead_key, "dead"),
    ]
    assert report["problems"][0].startswith("reminders: 1 dead tick(s)")
    assert main(["jobs", "status"]) == 1
    assert "boom [x]" in capsys.readouterr().out  # shown as it is, not read as markup

    for argv, message in [
        ([], "name one tick KEY"),
        ([dead_key, "--dead"], "name one tick KEY"),
        (["reminders:1999"], "no tick 'reminders:1999'"),
        ([running_key], f"tick {running_key} is running; only a dead or failed tick is retried"),
    ]:
        assert main(["jobs", "retry", *argv]) != 0
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err

    assert main(["jobs", "retry", "--dead", "--dry-run"]) == 0
    assert f"would schedule 1 tick(s) again: {dead_key}" in capsys.readouterr().out
    assert _status_of(rt, dead_key) == "dead"
    assert main(["jobs", "retry", "--dead"]) == 0
    assert f"scheduled 1 tick(s) again: {dead_key}" in capsys.readouterr().out
    assert _status_of(rt, dead_key) == "scheduled"  # the leader's next sweep sends it
    assert main(["jobs", "status"]) == 0
    capsys.readouterr()


def _status_of(rt: Runtime, key: str) -> str | None:
    with rt.sessions() as session:
        return session.scalar(select(JobRun.status).where(JobRun.key == key))
