"""Job run records: one run per job and tick, whoever fires it and however often."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from legalaid import jobs
from legalaid.models import JobRun
from legalaid.runtime import Runtime
from tasks import TASK_MODULES
from workers import make_celery

TICK = datetime(2012, 10, 8, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def any_rt(request: pytest.FixtureRequest) -> Runtime:
    """The same test on SQLite and on PostgreSQL."""
    name = "rt" if request.param == "sqlite" else "pg_rt"
    runtime: Runtime = request.getfixturevalue(name)
    return runtime


@pytest.mark.parametrize(
    ("scheduled_for", "key"),
    [
        (TICK, "heartbeat:2012-10-08T01:00:00+00:00"),
        (datetime(2012, 10, 8, 1, 0, tzinfo=UTC), "heartbeat:2012-10-08T01:00:00+00:00"),
        (
            datetime(2012, 10, 7, 21, 0, tzinfo=timezone(timedelta(hours=-4))),
            "heartbeat:2012-10-08T01:00:00+00:00",
        ),
    ],
)
def test_run_key_is_the_tick_in_utc_whatever_its_zone(scheduled_for: datetime, key: str) -> None:
    assert jobs.run_key("heartbeat", scheduled_for) == key


def test_run_key_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="time zone"):
        jobs.run_key("heartbeat", datetime(2012, 10, 8, 9, 0))


def test_start_run_records_a_tick_once(any_rt: Runtime) -> None:
    with any_rt.transaction() as session:
        first = jobs.start_run(session, job="heartbeat", scheduled_for=TICK, worker="w1", task_id="t1")
    with any_rt.transaction() as session:
        again = jobs.start_run(session, job="heartbeat", scheduled_for=TICK, worker="w2", task_id="t2")
        other_tick = jobs.start_run(session, job="heartbeat", scheduled_for=TICK + timedelta(minutes=1))
    assert first is not None and first.status == "running" and first.worker == "w1"
    assert first.key == "heartbeat:2012-10-08T01:00:00+00:00"
    assert again is None
    assert other_tick is not None
    with any_rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(JobRun)) == 2
        assert session.scalar(select(JobRun.worker).where(JobRun.key == first.key)) == "w1"


@pytest.mark.services
def test_concurrent_firings_of_one_tick_make_one_run(pg_rt: Runtime) -> None:
    def fire(n: int) -> bool:
        with pg_rt.transaction() as session:
            return jobs.start_run(session, job="heartbeat", scheduled_for=TICK, worker=f"w{n}") is not None

    with ThreadPoolExecutor(8) as pool:
        won = list(pool.map(fire, range(8)))
    assert won.count(True) == 1


def test_finish_run_and_last_runs(rt: Runtime) -> None:
    with rt.transaction() as session:
        old = jobs.start_run(session, job="heartbeat", scheduled_for=TICK)
        new = jobs.start_run(session, job="heartbeat", scheduled_for=TICK + timedelta(minutes=1))
        sweep = jobs.start_run(session, job="mail-sweep", scheduled_for=TICK)
        assert old and new and sweep
        jobs.finish_run(session, run_id=new.id)
        jobs.finish_run(session, run_id=sweep.id, status="failed", error="SMTPServerDisconnected: gone")
    with rt.sessions() as session:
        latest = jobs.last_runs(session)
    assert [(r.job, r.scheduled_for, r.status) for r in latest] == [
        ("heartbeat", TICK + timedelta(minutes=1), "succeeded"),
        ("mail-sweep", TICK, "failed"),
    ]
    assert latest[0].finished_at is not None and latest[1].error == "SMTPServerDisconnected: gone"
    with pytest.raises(ValueError, match="succeeded or failed"):
        jobs.finish_run(session, run_id=new.id, status="running")


def test_run_once_skips_a_tick_that_ran_and_records_a_failure(rt: Runtime) -> None:
    with jobs.run_once(rt.sessions, job="reminders", scheduled_for=TICK) as run:
        assert run is not None
    with jobs.run_once(rt.sessions, job="reminders", scheduled_for=TICK) as run:
        assert run is None
    with (
        pytest.raises(RuntimeError),
        jobs.run_once(rt.sessions, job="reminders", scheduled_for=TICK + timedelta(days=1)),
    ):
        raise RuntimeError("calendar file missing")
    with rt.sessions() as session:
        statuses = dict(session.execute(select(JobRun.scheduled_for, JobRun.status)).all())
        error = session.scalar(select(JobRun.error).where(JobRun.status == "failed"))
    assert statuses == {TICK: "succeeded", TICK + timedelta(days=1): "failed"}
    assert error == "RuntimeError: calendar file missing"


def test_heartbeat_task_records_one_run_per_tick(rt: Runtime) -> None:
    """The task door, called directly (no broker): it parses the tick and records the run once."""
    app = make_celery(rt.settings)
    app.loader.import_default_modules()
    task = app.tasks["legalaid.heartbeat"]
    for _ in range(2):
        task.apply(kwargs={"job": "heartbeat", "scheduled_for": TICK.isoformat()}, task_id="t-1").get()
    with rt.sessions() as session:
        runs = list(session.scalars(select(JobRun)))
    assert [(r.key, r.status, r.task_id) for r in runs] == [
        ("heartbeat:2012-10-08T01:00:00+00:00", "succeeded", "t-1")
    ]
    assert "tasks.heartbeat" in TASK_MODULES
