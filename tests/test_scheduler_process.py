"""The schedule table, the persistent store, and real scheduler processes behind the leader lock."""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from apscheduler.triggers.cron import CronTrigger
from processes import ProcessGroup, job_runs, legalaid_env, logged_at, wait_for, write_schedule
from sqlalchemy import select, update

from legalaid import jobs
from legalaid.config import Settings
from legalaid.errors import UserError
from legalaid.leader import Leader, current_leader
from legalaid.models import JobRun
from legalaid.runtime import Runtime, build_runtime
from schedules import (
    SHIPPED_SCHEDULE,
    ScheduleEntry,
    SchedulerProcess,
    check_tasks,
    load_schedule,
    open_scheduler,
)
from schedules.dispatch import TickDispatcher
from schedules.scheduler import enqueue
from workers import make_celery

# --- the schedule table ------------------------------------------------------------------------------


def test_the_shipped_schedule_names_known_tasks() -> None:
    entries = load_schedule(SHIPPED_SCHEDULE)
    assert [e.id for e in entries][:1] == ["heartbeat"]
    assert entries[0].task == "legalaid.heartbeat" and entries[0].cron == "* * * * *"
    # The outbox sweep runs every minute: lost tasks and dead workers cost at most a minute plus the lease.
    by_id = {e.id: e for e in entries}
    assert by_id["mail-sweep"].task == "legalaid.mail.sweep" and by_id["mail-sweep"].cron == "* * * * *"
    app = make_celery(Settings())
    app.loader.import_default_modules()
    check_tasks(entries, set(app.tasks.keys()), path=str(SHIPPED_SCHEDULE))


def test_second_field_and_center_time_zone(tmp_path: Path) -> None:
    (entry,) = load_schedule(write_schedule(tmp_path / "s.toml", second="*/2"))
    assert entry == ScheduleEntry(
        id="heartbeat", task="legalaid.heartbeat", cron="* * * * *", second="*/2", misfire_grace=30,
        comment="test heartbeat",
    )  # fmt: skip
    tz = Settings().tz
    trigger: Any = entry.trigger(tz)
    start = datetime(2012, 10, 8, 9, 0, 1, tzinfo=tz)
    first = trigger.get_next_fire_time(None, start)
    assert first == datetime(2012, 10, 8, 9, 0, 2, tzinfo=tz)
    assert trigger.get_next_fire_time(first, first + timedelta(microseconds=1)) == first + timedelta(
        seconds=2
    )


def test_cron_weekday_names_in_the_center_zone(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(
        '[jobs]\ndigest = { task = "legalaid.digest", cron = "30 7 * * mon-fri", misfire_grace = 60 }\n',
        encoding="utf-8",
    )
    (entry,) = load_schedule(path)
    tz = Settings().tz
    saturday = datetime(2012, 10, 6, 8, 0, tzinfo=tz)
    assert entry.trigger(tz).get_next_fire_time(None, saturday) == datetime(2012, 10, 8, 7, 30, tzinfo=tz)


BAD_ENTRIES = [
    ('x = { task = "legalaid.heartbeat", cron = "* * * *", misfire_grace = 60 }', "has 4 fields"),
    ('x = { task = "legalaid.heartbeat", cron = "61 * * * *", misfire_grace = 60 }', "cron '61 * * * *'"),
    ('x = { task = "legalaid.heartbeat", cron = "0 8 * * 1-5", misfire_grace = 60 }', "name the weekdays"),
    ('x = { task = "legalaid.heartbeat", cron = "0 8 1 * mon", misfire_grace = 60 }', "not both"),
    ('x = { task = "legalaid.heartbeat", cron = "* * * * *", second = "*/0", misfire_grace = 60 }', "second"),
    ('x = { task = "legalaid.heartbeat", cron = "* * * * *" }', "missing 'misfire_grace'"),
    ('x = { task = "legalaid.heartbeat", cron = "* * * * *", misfire_grace = 0 }', "misfire_grace must"),
    ('x = { task = "legalaid heartbeat", cron = "* * * * *", misfire_grace = 60 }', "not a task name"),
    (
        'x = { task = "legalaid.heartbeat", cron = "* * * * *", misfire_grace = 60, when = 1 }',
        "unknown key 'when'",
    ),
    ('Bad_Id = { task = "legalaid.heartbeat", cron = "* * * * *", misfire_grace = 60 }', "a job id is"),
    ('x = "legalaid.heartbeat"', "expected { task"),
]


@pytest.mark.parametrize(("line", "message"), BAD_ENTRIES)
def test_a_bad_entry_is_one_line_naming_file_and_job(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "schedule.toml"
    path.write_text(f"[jobs]\n{line}\n", encoding="utf-8")
    with pytest.raises(UserError) as caught:
        load_schedule(path)
    text = str(caught.value)
    job = line.split(" =", 1)[0]
    assert text.startswith(f"{path}: job '{job}': ") and message in text and "\n" not in text


@pytest.mark.parametrize(
    ("content", "message"),
    [("[jobs\n", "not valid TOML"), ("[other]\n", "unknown key 'other'"), ("", "no [jobs] table")],
)
def test_a_bad_file_is_one_line_naming_it(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "schedule.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UserError, match=re.escape(message)) as caught:
        load_schedule(path)
    assert str(caught.value).startswith(f"{path}: ") and "\n" not in str(caught.value)
    with pytest.raises(UserError, match="cannot read"):
        load_schedule(tmp_path / "missing.toml")


def test_an_unknown_task_is_refused(tmp_path: Path) -> None:
    entries = load_schedule(write_schedule(tmp_path / "s.toml", task="legalaid.mail.sweeep"))
    with pytest.raises(UserError, match="job 'heartbeat': unknown task 'legalaid.mail.sweeep'"):
        check_tasks(entries, {"legalaid.heartbeat", "legalaid.mail.sweep"}, path="s.toml")


# --- the persistent store, in process ------------------------------------------------------------------


class Sent:
    """Stands in for Celery's send_task: records what the scheduler enqueued."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()

    def __call__(self, name: str, *, kwargs: dict[str, str]) -> None:
        with self.lock:
            self.calls.append((name, kwargs))


def _entry(
    second: str = "*", grace: int = 30, task: str = "legalaid.heartbeat", job: str = "heartbeat"
) -> ScheduleEntry:
    return ScheduleEntry(id=job, task=task, cron="* * * * *", second=second, misfire_grace=grace)


def test_restart_keeps_the_stored_next_run_and_makes_a_missed_tick_up_once(rt: Runtime) -> None:
    """The trap: add_job(replace_existing=True) at start would move next_run_time past the missed ticks."""
    tz = rt.settings.tz
    sent = Sent()
    scheduler, done = open_scheduler(engine=rt.engine, entries=[_entry()], send=sent, tz=tz)
    stored_next = scheduler.get_job("heartbeat").next_run_time
    scheduler.shutdown(wait=False)
    assert done.added == ["heartbeat"]

    time.sleep(max((stored_next - datetime.now(UTC)).total_seconds(), 0) + 1.2)  # ≥ 2 ticks missed
    scheduler, done = open_scheduler(engine=rt.engine, entries=[_entry()], send=sent, tz=tz)
    try:
        assert done.kept == ["heartbeat"] and scheduler.get_job("heartbeat").next_run_time == stored_next
        resumed_at = datetime.now(tz)
        scheduler.resume()
        wait_for(lambda: sent.calls, timeout=5, what="the made-up run")
        time.sleep(0.3)
        made_up = [c for c in sent.calls if datetime.fromisoformat(c[1]["scheduled_for"]) <= resumed_at]
    finally:
        scheduler.shutdown()
    # Several ticks were missed; coalesced, they make one run, for the latest of them.
    assert len(made_up) == 1
    name, kwargs = made_up[0]
    tick = datetime.fromisoformat(kwargs["scheduled_for"])
    assert name == "legalaid.heartbeat" and kwargs["job"] == "heartbeat"
    assert stored_next < tick <= resumed_at and resumed_at - tick < timedelta(seconds=1)


def test_a_tick_due_at_shutdown_is_left_for_the_next_leader(rt: Runtime) -> None:
    """APScheduler 3 runs one more round after shutdown() stopped the executors: a tick due then must stay
    due in the store (made up by the next leader), not be marked done without being sent."""
    tz = rt.settings.tz
    sent = Sent()
    scheduler, _ = open_scheduler(engine=rt.engine, entries=[_entry(grace=3600)], send=sent, tz=tz)
    due = datetime.now(tz).replace(microsecond=0) - timedelta(seconds=30)
    scheduler.modify_job("heartbeat", next_run_time=due)
    scheduler.shutdown(wait=True)  # paused, so nothing was to run; the last round must not consume it
    scheduler, _ = open_scheduler(engine=rt.engine, entries=[_entry(grace=3600)], send=sent, tz=tz)
    try:
        assert scheduler.get_job("heartbeat").next_run_time == due and sent.calls == []
    finally:
        scheduler.shutdown(wait=False)


def test_reconcile_replaces_changed_updates_grace_and_removes_dropped(rt: Runtime) -> None:
    tz = rt.settings.tz
    first = [_entry(second="0"), _entry(job="sweep", task="legalaid.mail.sweep"), _entry(job="old")]
    scheduler, _ = open_scheduler(engine=rt.engine, entries=first, send=Sent(), tz=tz)
    kept_next = scheduler.get_job("sweep").next_run_time
    scheduler.shutdown(wait=False)

    second = [
        _entry(second="30"),
        _entry(job="sweep", task="legalaid.mail.sweep", grace=600),
        _entry(job="new"),
    ]
    scheduler, done = open_scheduler(engine=rt.engine, entries=second, send=Sent(), tz=tz)
    try:
        assert (done.replaced, done.updated, done.added, done.removed) == (
            ["heartbeat"],
            ["sweep"],
            ["new"],
            ["old"],
        )
        assert scheduler.get_job("sweep").next_run_time == kept_next
        assert scheduler.get_job("sweep").misfire_grace_time == 600
        assert scheduler.get_job("heartbeat").next_run_time.second == 30
        assert isinstance(scheduler.get_job("heartbeat").trigger, CronTrigger)
    finally:
        scheduler.shutdown(wait=False)


class Broker:
    """Stands in for send_task: records what it was given, and can refuse (a broker that is down)."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.sent: list[tuple[str, dict[str, str]]] = []
        self.fail_after = fail_after

    def __call__(self, name: str, *, kwargs: dict[str, str]) -> None:
        if self.fail_after is not None and len(self.sent) >= self.fail_after:
            raise ConnectionError("broker down")
        self.sent.append((name, kwargs))


def _dispatched(rt: Runtime) -> dict[str, datetime | None]:
    with rt.sessions() as session:
        return dict(session.execute(select(JobRun.key, JobRun.dispatched_at)).all())


def test_enqueue_records_the_tick_then_sends_it_once(rt: Runtime) -> None:
    broker = Broker()
    ticks = TickDispatcher(engine=rt.engine, entries=[_entry()], send=broker)
    tick = datetime(2012, 10, 8, 1, 0, tzinfo=UTC)
    for _ in range(2):  # a second firing of the tick sends nothing
        enqueue("legalaid.heartbeat", job="heartbeat", scheduled_for=tick, send=broker, ticks=ticks)
    assert broker.sent == [("legalaid.heartbeat", {"job": "heartbeat", "scheduled_for": tick.isoformat()})]
    [(key, dispatched_at)] = _dispatched(rt).items()
    assert key == "heartbeat:2012-10-08T01:00:00+00:00" and dispatched_at is not None

    # The broker is down: the tick stays recorded, its hand-off forgotten, so the next sweep sends it.
    down = Broker(fail_after=0)
    later = tick + timedelta(minutes=1)
    with pytest.raises(ConnectionError):
        enqueue("legalaid.heartbeat", job="heartbeat", scheduled_for=later, send=down, ticks=ticks)
    assert _dispatched(rt)["heartbeat:2012-10-08T01:01:00+00:00"] is None
    assert ticks.sweep() == ["heartbeat:2012-10-08T01:01:00+00:00"]


def test_enqueue_sends_a_tick_it_cannot_record(rt: Runtime, tmp_path: Path) -> None:
    """The database unreachable at a tick: the task is sent all the same, and its worker records it."""
    broker = Broker()
    unmigrated = build_runtime(Settings(data_dir=tmp_path / "elsewhere"))  # no job_runs table there
    try:
        ticks = TickDispatcher(engine=unmigrated.engine, entries=[], send=broker)
        tick = datetime(2012, 10, 8, 1, 0, tzinfo=UTC)
        enqueue("legalaid.heartbeat", job="heartbeat", scheduled_for=tick, send=broker, ticks=ticks)
    finally:
        unmigrated.dispose()
    assert [name for name, _ in broker.sent] == ["legalaid.heartbeat"]


def test_the_sweep_stops_at_a_broker_that_is_down_and_names_the_task_of_old_rows(rt: Runtime) -> None:
    entries = [_entry(), _entry(job="reminders", task="legalaid.reminders.scan")]
    first = datetime(2012, 10, 8, 1, 0, tzinfo=UTC)
    with rt.transaction() as session:
        for n in range(3):
            at = first + timedelta(minutes=n)
            jobs.record_tick(session, job="heartbeat", task="legalaid.heartbeat", scheduled_for=at, now=at)
        jobs.record_tick(session, job="reminders", task="x", scheduled_for=first, now=first)
        # A row from before migration 0008: no task name.
        session.execute(update(JobRun).where(JobRun.job == "reminders").values(task=None))
    broker = Broker(fail_after=2)
    ticks = TickDispatcher(engine=rt.engine, entries=entries, send=broker)
    assert len(ticks.sweep()) == 2
    reminders = ("legalaid.reminders.scan", {"job": "reminders", "scheduled_for": first.isoformat()})
    assert reminders in broker.sent
    assert sum(1 for at in _dispatched(rt).values() if at is None) == 2  # the unsent, handed back
    broker.fail_after = None
    assert len(ticks.sweep()) == 2 and len(broker.sent) == 4


class ScriptedLock:
    """A leader lock that grants the lead, then fails a renewal, then sees another leader."""

    name = "scheduler"

    def __init__(self, ttl: float, renewals: int) -> None:
        self.ttl = ttl
        self.renewals = renewals
        self.calls: list[str] = []

    def acquire(self, holder: str) -> bool:
        self.calls.append("acquire")
        return self.calls.count("acquire") == 1

    def renew(self, holder: str) -> bool:
        self.calls.append("renew")
        return self.calls.count("renew") <= self.renewals

    def release(self, holder: str) -> None:
        self.calls.append("release")

    def current(self) -> Leader | None:
        return Leader("someone-else:1:abc", datetime.now(UTC) + timedelta(seconds=self.ttl))

    def close(self) -> None:
        self.calls.append("close")


def test_a_failed_renewal_stops_the_schedule_at_once_and_stands_by(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    import schedules.process

    opened: list[Any] = []

    def spy(**kwargs: Any) -> Any:
        scheduler, done = open_scheduler(**kwargs)
        opened.append(scheduler)
        return scheduler, done

    monkeypatch.setattr(schedules.process, "open_scheduler", spy)
    settings = Settings(data_dir=rt.settings.data_dir, scheduler_poll_seconds=0.05)
    lock = ScriptedLock(ttl=0.3, renewals=3)
    process = SchedulerProcess(settings=settings, runtime=rt, entries=[_entry()], lock=lock, send=Sent())
    stop = threading.Event()
    thread = threading.Thread(target=process.run, args=(stop,))
    thread.start()
    try:
        wait_for(lambda: lock.calls.count("acquire") >= 3, timeout=5, what="standing by after the lost lock")
        # The renewal that failed was the last thing the leader did before stopping the schedule.
        assert lock.calls[: 1 + 4] == ["acquire", "renew", "renew", "renew", "renew"]
        assert len(opened) == 1 and not opened[0].running
    finally:
        stop.set()
        thread.join(timeout=5)
    assert lock.calls[-2:] == ["release", "close"]


# --- real scheduler processes ---------------------------------------------------------------------------

TTL, POLL = 2.0, 0.5


def _leader(settings: Settings, engine: Any) -> Leader | None:
    return current_leader(settings, engine)


def _pid(leader: Leader) -> int:
    return int(leader.holder.split(":")[1])


def _two_schedulers(tmp_path: Path, settings: Settings, runtime: Runtime, **env: object) -> None:
    schedule = write_schedule(tmp_path / "schedule.toml", second="*", misfire_grace=30)
    environment = legalaid_env(
        data_dir=settings.data_dir,
        schedule_file=schedule,
        leader_lock_ttl=TTL,
        scheduler_poll_seconds=POLL,
        **env,
    )
    with ProcessGroup(tmp_path, environment) as procs:
        worker = procs.start("worker", "worker", "--concurrency=1")
        schedulers = {
            p.pid: p
            for p in (procs.start("scheduler-a", "scheduler"), procs.start("scheduler-b", "scheduler"))
        }
        leader = wait_for(lambda: _leader(settings, runtime.engine), timeout=20, what="a leader", procs=procs)
        wait_for(lambda: job_runs(runtime.engine), timeout=20, what="a first heartbeat", procs=procs)

        # ~6 s with both up: one run per tick, no gaps, and only the leader enqueues.
        window_start = datetime.now(UTC)
        time.sleep(6)
        window_end = datetime.now(UTC) - timedelta(seconds=1.5)  # leave the worker time for the last ticks
        ticks = [
            r.scheduled_for for r in job_runs(runtime.engine) if window_start <= r.scheduled_for <= window_end
        ]
        assert len(ticks) == len(set(ticks)) >= 4
        steps = [(b - a).total_seconds() for a, b in zip(ticks, ticks[1:], strict=False)]
        assert all(step in (1.0, 2.0) for step in steps) and steps.count(2.0) <= 1, steps
        standby = next(p for pid, p in schedulers.items() if pid != _pid(leader))
        assert "enqueued legalaid.heartbeat" not in standby.output()
        assert "already ran" not in worker.output()

        # SIGKILL the leader: the standby takes over within ttl + poll, and the heartbeat goes on.
        killed_at = datetime.now(UTC)
        started = time.monotonic()
        schedulers[_pid(leader)].kill()
        new = wait_for(
            lambda: (lead := _leader(settings, runtime.engine)) and lead.holder != leader.holder and lead,
            timeout=TTL + POLL + 5, what="the standby to take over", procs=procs, interval=0.02,
        )  # fmt: skip
        takeover = time.monotonic() - started
        took_over_at = killed_at + timedelta(seconds=takeover)
        print(f"takeover after {takeover:.2f}s (ttl {TTL}s + poll {POLL}s = {TTL + POLL}s)")
        assert _pid(new) == standby.pid
        assert takeover <= TTL + POLL + 0.5
        wait_for(
            lambda: [r for r in job_runs(runtime.engine) if r.scheduled_for > took_over_at and r.worker],
            timeout=10, what="heartbeats from the new leader", procs=procs,
        )  # fmt: skip
        keys = [r.key for r in job_runs(runtime.engine)]
        assert len(keys) == len(set(keys))


@pytest.mark.slow
def test_two_embedded_schedulers_one_heartbeat_per_tick_and_takeover(tmp_path: Path, rt: Runtime) -> None:
    """SQLite, filesystem broker, the database leader lock. (The production set-up, PostgreSQL, Redis and
    the Redis leader lock, is scenario 5 of the fault suite: tests/faults/test_5_6_schedulers.py.)"""
    _two_schedulers(tmp_path, rt.settings, rt)


@pytest.mark.slow
def test_a_tick_missed_while_stopped_is_made_up_once_on_restart(tmp_path: Path, rt: Runtime) -> None:
    every = 3
    schedule = write_schedule(tmp_path / "schedule.toml", second=f"*/{every}", misfire_grace=60)
    environment = legalaid_env(
        data_dir=rt.settings.data_dir,
        schedule_file=schedule,
        leader_lock_ttl=TTL,
        scheduler_poll_seconds=POLL,
    )
    with ProcessGroup(tmp_path, environment) as procs:
        procs.start("worker", "worker", "--concurrency=1")
        first = procs.start("scheduler", "scheduler")
        tick0 = wait_for(lambda: job_runs(rt.engine), timeout=20, what="a first heartbeat", procs=procs)[0]
        assert first.stop() == 0
        stopped_at = datetime.now(UTC)
        assert _leader(rt.settings, rt.engine) is None  # released on SIGTERM

        # Restart with at least two ticks missed. The made-up tick is the latest one before the new
        # scheduler resumed, which a loaded machine can delay by seconds: read when that was from its log.
        time.sleep(2 * every + 0.2)
        again = procs.start("scheduler-again", "scheduler")
        resumed_at = wait_for(
            lambda: logged_at(again.output(), "Resumed scheduler job processing"),
            timeout=20, what="the restarted scheduler to resume", procs=procs,
        )  # fmt: skip
        restart_tick = tick0.scheduled_for
        while restart_tick + timedelta(seconds=every) <= resumed_at:
            restart_tick += timedelta(seconds=every)

        next_tick = restart_tick + timedelta(seconds=every)
        wait_for(
            lambda: any(r.scheduled_for >= next_tick for r in job_runs(rt.engine)),
            timeout=every + 15, what="the first regular tick after the restart", procs=procs,
        )  # fmt: skip
        during = [
            r.scheduled_for for r in job_runs(rt.engine) if stopped_at < r.scheduled_for <= restart_tick
        ]
        missed = sum(
            1 for k in range(1, 10) if stopped_at < restart_tick - timedelta(seconds=every * (k - 1))
        )
        print(f"missed {missed} ticks while stopped; made up: {[t.isoformat() for t in during]}")
        assert missed >= 2
        assert during == [restart_tick]  # once, for the latest missed tick
