"""Job run records: one run per job and tick, whoever fires it and however often."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text, update

from legalaid import jobs, migrate
from legalaid.config import Settings
from legalaid.models import JobRun, utcnow
from legalaid.runtime import Runtime, build_runtime
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


# --- the tick state machine (legalaid.jobs): record, claim, lease, failure, sweep, retry ----------------

POLICY = jobs.TickPolicy(
    lease=timedelta(seconds=10),
    requeue_after=timedelta(seconds=60),
    retry_base=timedelta(seconds=30),
    retry_max=timedelta(minutes=5),
    max_attempts=3,
)
NOW = datetime(2012, 10, 8, 1, 0, 5, tzinfo=UTC)
KEY = "heartbeat:2012-10-08T01:00:00+00:00"


def _record(rt: Runtime, *, now: datetime = NOW, job: str = "heartbeat", tick: datetime = TICK) -> int | None:
    with rt.transaction() as session:
        return jobs.record_tick(session, job=job, task=f"legalaid.{job}", scheduled_for=tick, now=now)


def _claim(rt: Runtime, now: datetime, worker: str = "w1", tick: datetime = TICK) -> JobRun | None:
    with rt.transaction() as session:
        return jobs.claim(
            session, job="heartbeat", scheduled_for=tick, worker=worker, task_id=f"t-{worker}", now=now,
            policy=POLICY,
        )  # fmt: skip


def _fail(rt: Runtime, run: JobRun, now: datetime, error: str = "OperationalError: gone") -> str | None:
    with rt.transaction() as session:
        return jobs.finish_run(
            session, run_id=run.id, status=jobs.FAILED, error=error, attempt=run.attempts, finished_at=now,
            policy=POLICY,
        )  # fmt: skip


def _row(rt: Runtime, key: str = KEY) -> JobRun:
    with rt.sessions() as session:
        row = session.scalar(select(JobRun).where(JobRun.key == key))
    assert row is not None
    return row


def _sweep(rt: Runtime, now: datetime) -> list[str]:
    with rt.transaction() as session:
        return [tick.key for tick in jobs.sweep(session, now=now, policy=POLICY)]


def test_a_recorded_tick_is_claimed_once_and_a_second_firing_records_nothing(any_rt: Runtime) -> None:
    assert _record(any_rt) is not None
    assert _record(any_rt, now=NOW + timedelta(seconds=1)) is None  # a second scheduler, a re-fire
    row = _row(any_rt)
    assert (row.status, row.attempts, row.task, row.worker) == ("scheduled", 0, "legalaid.heartbeat", None)
    assert row.dispatched_at == NOW and row.due_at == NOW

    run = _claim(any_rt, NOW + timedelta(seconds=1))
    assert run is not None and (run.status, run.attempts, run.worker) == ("running", 1, "w1")
    assert run.lease_until == NOW + timedelta(seconds=11)
    assert _claim(any_rt, NOW + timedelta(seconds=2), worker="w2") is None  # a duplicate message
    with any_rt.transaction() as session:
        assert jobs.finish_run(session, run_id=run.id, attempt=1, policy=POLICY) == "succeeded"
    assert _claim(any_rt, NOW + timedelta(hours=1), worker="w3") is None  # a redelivery, much later
    assert (_row(any_rt).status, _row(any_rt).attempts, _row(any_rt).worker) == ("succeeded", 1, "w1")


@pytest.mark.services
def test_many_workers_claiming_a_recorded_tick_one_wins(pg_rt: Runtime) -> None:
    _record(pg_rt)

    def take(n: int) -> bool:
        return _claim(pg_rt, NOW + timedelta(seconds=1), worker=f"w{n}") is not None

    with ThreadPoolExecutor(8) as pool:
        won = list(pool.map(take, range(8)))
    assert won.count(True) == 1 and _row(pg_rt).attempts == 1


def test_an_expired_lease_is_claimed_again_and_fences_the_first_claimant(any_rt: Runtime) -> None:
    _record(any_rt)
    first = _claim(any_rt, NOW)
    assert first is not None
    assert _claim(any_rt, NOW + timedelta(seconds=9), worker="w2") is None  # the lease still holds
    with any_rt.transaction() as session:  # the first worker renews while it lives
        assert jobs.renew(session, run_id=first.id, attempt=1, now=NOW + timedelta(seconds=5), policy=POLICY)
    assert _claim(any_rt, NOW + timedelta(seconds=14), worker="w2") is None
    # The first worker dies: a redelivered message claims the tick once the lease has run out.
    second = _claim(any_rt, NOW + timedelta(seconds=16), worker="w2")
    assert second is not None and second.attempts == 2 and second.worker == "w2"
    assert second.error is not None and second.error.startswith("lease expired")  # what the first did
    with any_rt.transaction() as session:
        assert not jobs.renew(
            session, run_id=first.id, attempt=1, now=NOW + timedelta(seconds=17), policy=POLICY
        )
    assert _fail(any_rt, first, NOW + timedelta(seconds=18)) is None  # a stale failure changes nothing
    assert (_row(any_rt).status, _row(any_rt).worker) == ("running", "w2")
    # A success is a fact whoever reports it: the tick's work is done.
    with any_rt.transaction() as session:
        assert jobs.finish_run(session, run_id=first.id, attempt=1) == "succeeded"
    assert _fail(any_rt, second, NOW + timedelta(seconds=19)) is None
    assert _row(any_rt).status == "succeeded"


def test_a_failure_is_retried_with_backoff_then_dead_with_its_error(any_rt: Runtime) -> None:
    _record(any_rt)
    now = NOW
    for attempt, (status, wait) in enumerate([("failed", 30), ("failed", 60), ("dead", None)], start=1):
        run = _claim(any_rt, now)
        assert run is not None and run.attempts == attempt
        # A retry keeps the error of the run before it until it ends.
        assert run.error == (None if attempt == 1 else f"TemplateError: broken ({attempt - 1})")
        assert _fail(any_rt, run, now, error=f"TemplateError: broken ({attempt})") == status
        row = _row(any_rt)
        assert row.status == status and row.lease_until is None and row.dispatched_at is None
        if wait is None:
            break
        assert (
            row.due_at == now + timedelta(seconds=wait) and row.error == f"TemplateError: broken ({attempt})"
        )
        assert _claim(any_rt, now + timedelta(seconds=wait - 1)) is None  # not due yet
        now += timedelta(seconds=wait)
    row = _row(any_rt)
    assert row.error == "gave up after 3 attempts: TemplateError: broken (3)" and row.due_at is None
    assert _claim(any_rt, now + timedelta(days=1)) is None  # dead stays dead
    assert _sweep(any_rt, now + timedelta(days=1)) == []

    # By hand: a fresh allowance of attempts, the attempt number going on (an old claimant stays fenced).
    with any_rt.transaction() as session:
        assert jobs.retry(session, dead=True, now=now + timedelta(days=1)) == [KEY]
    row = _row(any_rt)
    assert (row.status, row.attempts, row.attempts_at_retry, row.dispatched_at) == ("scheduled", 3, 3, None)
    assert _sweep(any_rt, now + timedelta(days=1)) == [KEY]
    run = _claim(any_rt, now + timedelta(days=1, seconds=1))
    assert run is not None and run.attempts == 4
    assert _fail(any_rt, run, now + timedelta(days=1, seconds=2)) == "failed"  # 1 of 3 again, not dead


def test_retry_by_key_takes_dead_or_failed_ticks_only(rt: Runtime) -> None:
    _record(rt)
    run = _claim(rt, NOW)
    assert run is not None
    with rt.transaction() as session:
        assert jobs.retry(session, keys=[KEY]) == []  # running: not retried
        assert jobs.retry(session) == []  # nothing named
    _fail(rt, run, NOW)
    with rt.transaction() as session:
        assert jobs.retry(session, keys=[KEY, "heartbeat:nothing"], now=NOW + timedelta(seconds=1)) == [KEY]
    assert (_row(rt).status, _row(rt).due_at) == ("scheduled", NOW + timedelta(seconds=1))


def test_the_sweep_resends_lost_hand_offs_and_reclaims_dead_workers(any_rt: Runtime) -> None:
    lost, fresh, orphan, spent = (TICK + timedelta(minutes=n) for n in range(4))
    for tick in (lost, fresh, orphan, spent):
        _record(any_rt, tick=tick)
    with any_rt.transaction() as session:  # handed over later than the others
        session.execute(
            update(JobRun)
            .where(JobRun.scheduled_for == fresh)
            .values(dispatched_at=NOW + timedelta(seconds=50))
        )
        session.execute(update(JobRun).where(JobRun.scheduled_for == spent).values(attempts_at_retry=-2))
    assert _claim(any_rt, NOW, tick=orphan) is not None
    assert _claim(any_rt, NOW, tick=spent) is not None  # its third attempt under POLICY
    assert _sweep(any_rt, NOW + timedelta(seconds=5)) == []  # everything handed over just now, leases hold

    # 70 s on: the workers stopped (no renewal) and the first hand-off is older than requeue_after.
    later = NOW + timedelta(seconds=70)
    keys = _sweep(any_rt, later)
    assert keys == [jobs.run_key("heartbeat", lost), jobs.run_key("heartbeat", orphan)]
    with any_rt.sessions() as session:
        rows = {r.scheduled_for: r for r in session.scalars(select(JobRun))}
    assert rows[orphan].status == "scheduled" and rows[orphan].dispatched_at == later
    assert "lease expired" in (rows[orphan].error or "")
    assert rows[spent].status == "dead" and "gave up after 3 attempts" in (rows[spent].error or "")
    assert rows[fresh].dispatched_at == NOW + timedelta(seconds=50)
    assert _sweep(any_rt, NOW + timedelta(seconds=110)) == []
    assert _sweep(any_rt, NOW + timedelta(seconds=111)) == [jobs.run_key("heartbeat", fresh)]
    # A hand-off that failed is forgotten: the next sweep sends the tick again at once.
    with any_rt.transaction() as session:
        jobs.hand_back(session, [rows[lost].id])
    assert _sweep(any_rt, NOW + timedelta(seconds=112)) == [jobs.run_key("heartbeat", lost)]


def test_a_failed_tick_is_sent_again_when_its_retry_is_due(rt: Runtime) -> None:
    _record(rt)
    run = _claim(rt, NOW)
    assert run is not None
    _fail(rt, run, NOW)
    assert _sweep(rt, NOW + timedelta(seconds=29)) == []
    assert _sweep(rt, NOW + timedelta(seconds=30)) == [KEY]
    assert _sweep(rt, NOW + timedelta(seconds=31)) == []  # handed over; sent again only if lost


def test_a_tick_nobody_recorded_is_claimed_by_its_worker(any_rt: Runtime) -> None:
    """A task sent by hand, or by a scheduler that could not reach the database: the worker records it."""
    with any_rt.transaction() as session:
        run = jobs.claim(
            session, job="heartbeat", scheduled_for=TICK, task="legalaid.heartbeat", now=NOW, policy=POLICY
        )
    assert run is not None and (run.status, run.attempts, run.task) == ("running", 1, "legalaid.heartbeat")


def test_run_once_keeps_its_lease_while_the_work_runs(rt: Runtime) -> None:
    short = jobs.TickPolicy(lease=timedelta(seconds=0.3), max_attempts=3)
    with jobs.run_once(rt.sessions, job="heartbeat", scheduled_for=TICK, policy=short) as run:
        assert run is not None
        time.sleep(1.0)  # more than three leases: renewed, not handed over
        with rt.transaction() as session:
            taken = jobs.claim(session, job="heartbeat", scheduled_for=TICK, now=utcnow(), policy=short)
        assert taken is None
    row = _row(rt)
    assert (row.status, row.attempts, row.lease_until) == ("succeeded", 1, None)


def test_run_once_yields_nothing_for_a_retry_not_due_yet_then_runs_it(rt: Runtime) -> None:
    quick = jobs.TickPolicy(retry_base=timedelta(seconds=0.2), max_attempts=2)
    for expected in ("failed", "dead"):
        with (
            pytest.raises(RuntimeError),
            jobs.run_once(rt.sessions, job="heartbeat", scheduled_for=TICK, policy=quick) as run,
        ):
            assert run is not None
            raise RuntimeError("calendar file missing")
        assert _row(rt).status == expected
        if expected == "failed":
            with jobs.run_once(rt.sessions, job="heartbeat", scheduled_for=TICK, policy=quick) as early:
                assert early is None
            time.sleep(0.25)
    assert _row(rt).error == "gave up after 2 attempts: RuntimeError: calendar file missing"


def test_last_runs_leave_out_ticks_not_taken_and_attention_names_dead_and_stuck(any_rt: Runtime) -> None:
    _record(any_rt)
    _record(any_rt, tick=TICK + timedelta(minutes=1))  # recorded, never taken
    _record(any_rt, job="reports", tick=TICK)
    run = _claim(any_rt, NOW)
    assert run is not None
    with any_rt.transaction() as session:
        jobs.finish_run(session, run_id=run.id, attempt=1)
        session.execute(
            update(JobRun)
            .where(JobRun.job == "reports")
            .values(status="dead", attempts=1, error="boom\nmore")
        )
        latest = jobs.last_runs(session)
        calm = jobs.needing_attention(
            session, now=NOW + timedelta(minutes=5), stuck_after=timedelta(minutes=15)
        )
        later = jobs.needing_attention(
            session, now=NOW + timedelta(minutes=20), stuck_after=timedelta(minutes=15)
        )
    assert [(r.job, r.scheduled_for, r.status) for r in latest] == [
        ("heartbeat", TICK, "succeeded"),
        ("reports", TICK, "dead"),
    ]
    assert calm == [
        "reports: 1 dead tick(s), the last for 2012-10-08 01:00Z: boom "
        "(once the cause is fixed: `legalaid jobs retry --dead`)"
    ]
    assert later[1:] == ["heartbeat: 1 tick(s) due 20 min ago and not taken: is a worker taking its queue?"]
    # A running tick whose worker stopped, with no scheduler to sweep it.
    orphan = _claim(any_rt, NOW + timedelta(minutes=1), tick=TICK + timedelta(minutes=1))
    assert orphan is not None
    with any_rt.sessions() as session:
        left = jobs.needing_attention(
            session, now=NOW + timedelta(minutes=30), stuck_after=timedelta(minutes=15)
        )
    assert left[1:] == [
        "heartbeat: 1 tick(s) left running by a worker that stopped 28 min ago: "
        "is a scheduler running (its sweep hands them over)?"
    ]


def test_migration_0008_hands_over_running_rows_and_makes_failed_ones_dead(settings: Settings) -> None:
    runtime = build_runtime(settings)
    try:
        migrate.upgrade(runtime.engine, "0007")
        with runtime.engine.begin() as connection:
            for n, status in enumerate(["running", "failed", "succeeded"]):
                connection.execute(
                    text(
                        "INSERT INTO job_runs (key, job, scheduled_for, status, error, started_at) "
                        "VALUES (:key, 'heartbeat', :at, :status, :error, :at)"
                    ),
                    {"key": f"heartbeat:{n}", "at": "2012-10-08 01:00:00.000000", "status": status,
                     "error": "boom" if status == "failed" else None},
                )  # fmt: skip
        migrate.upgrade(runtime.engine)
        with runtime.sessions() as session:
            rows = {r.key: r for r in session.scalars(select(JobRun))}
            assert {k: (r.status, r.attempts) for k, r in rows.items()} == {
                "heartbeat:0": ("running", 1),
                "heartbeat:1": ("dead", 1),
                "heartbeat:2": ("succeeded", 1),
            }
            assert rows["heartbeat:0"].lease_until == datetime(2012, 10, 8, 1, 0, tzinfo=UTC)
            assert rows["heartbeat:1"].error == "boom"
            # The sweep hands the running one over (its task name from the schedule: NULL here).
            assert [t.key for t in jobs.sweep(session, now=utcnow())] == ["heartbeat:0"]
    finally:
        runtime.dispose()
