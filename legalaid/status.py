"""``legalaid status``: is every part up, and does anything need a person?

Each check is one plain function returning a ``Check``; the report is their list. Nothing here imports
Celery: the queue names are passed in, and the broker is read directly (Redis lists, or the files of the
embedded ``filesystem://`` broker).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, text

from legalaid import jobs, migrate
from legalaid.config import Settings, mask_url
from legalaid.leader import current_leader
from legalaid.mail.transports import greet_smtp
from legalaid.mail.views import status_report
from legalaid.models import JobRun, utcnow
from legalaid.models.reports import REPORT_FAILED, ReportRun
from legalaid.redis_client import RedisError, broker_queues
from legalaid.runtime import Runtime

# A queued message older than this is not just waiting for the next worker: something is stuck.
STUCK_AFTER = timedelta(minutes=15)
# The heartbeat runs every minute; this long without one means no worker is taking tasks.
HEARTBEAT_STALE_AFTER = timedelta(minutes=5)
# A scheduler that took the lead this recently may not have had its first heartbeat run yet: its first
# tick fires at the next minute's start, and the worker may still be starting. Until then the jobs check
# says "starting" instead of asking whether a worker runs.
STARTING_GRACE = timedelta(minutes=3)


@dataclass
class Check:
    name: str
    ok: bool
    summary: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class StatusReport:
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [asdict(check) for check in self.checks]}


def collect_status(
    rt: Runtime, *, queues: Sequence[str], now: datetime, scheduled_jobs: Sequence[str] = ()
) -> StatusReport:
    """Every check, each independent: one part being down never hides the state of the others.

    ``scheduled_jobs``: the job ids of the schedule table, so that a job that never ran is listed too.
    """
    database = check_database(rt)
    scheduler = check_scheduler(rt, now)
    checks = [database, check_broker(rt.settings, queues), check_smtp(rt.settings), scheduler]
    if database.ok:
        since = scheduler.detail.get("since") if scheduler.ok else None
        leading_since = datetime.fromisoformat(since) if isinstance(since, str) else None
        checks += [
            check_outbox(rt, now),
            check_jobs(rt, now, scheduled_jobs=scheduled_jobs, leading_since=leading_since),
        ]
    return StatusReport(checks)


def status_without_database(settings: Settings, *, queues: Sequence[str], missing: Path) -> StatusReport:
    """The report when the SQLite database file does not exist yet. It is not opened (SQLite would create
    it: ``status`` creates nothing); the parts that do not live in it are checked as usual."""
    first = f"no database yet ({missing}): run `legalaid db upgrade` first"
    checks = [Check("database", False, first), check_broker(settings, queues), check_smtp(settings)]
    if settings.uses_redis:  # the leader lock lives in Redis, the database is not needed to read it
        checks.append(_scheduler(settings, None, utcnow()))
    else:
        checks.append(Check("scheduler", False, "no database yet, so no scheduler has run"))
    return StatusReport(checks)


def check_database(rt: Runtime) -> Check:
    url = mask_url(rt.settings.resolved_database_url)
    try:
        with rt.engine.connect() as connection:
            connection.execute(text("select 1"))
        current, head = migrate.current_revision(rt.engine), migrate.head_revision()
    except Exception as exc:
        return Check("database", False, f"{url}: {_first_line(exc)}")
    if current != head:
        return Check(
            "database",
            False,
            f"{url}: schema at {current or 'nothing'}, newest is {head}: run `legalaid db upgrade`",
            {"revision": current, "head": head},
        )
    return Check("database", True, f"{url}: schema {current}", {"revision": current})


def check_broker(settings: Settings, queues: Sequence[str]) -> Check:
    url = settings.resolved_broker_url
    if settings.uses_redis:
        return _redis_broker(url, queues)
    return _filesystem_broker(settings.broker_folder, queues)


def _redis_broker(url: str, queues: Sequence[str]) -> Check:
    try:
        reading = broker_queues(url, queues)
    except RedisError as exc:
        return Check("broker", False, f"{mask_url(url)}: {_first_line(exc)}")
    depths, in_flight, policy = reading.depths, reading.in_flight, reading.maxmemory_policy
    detail = {"queues": depths, "in_flight": in_flight, "maxmemory_policy": policy}
    # Redis evicting keys under memory pressure would silently drop queued tasks.
    if policy != "noeviction":
        return Check(
            "broker", False, f"{mask_url(url)}: maxmemory-policy is {policy}, must be noeviction", detail
        )
    return Check("broker", True, f"{mask_url(url)}: {_depths(depths)}, {in_flight} in flight", detail)


def _filesystem_broker(folder: Path, queues: Sequence[str]) -> Check:
    if not folder.is_dir():
        return Check(
            "broker", False, f"filesystem:// {folder}: no such folder (start a worker: `legalaid serve`)"
        )
    names = [path.name for path in folder.iterdir() if path.name.endswith(".msg")]
    # kombu names each message "<time>_<uuid>.<queue>.msg".
    depths = {queue: sum(1 for name in names if name.endswith(f".{queue}.msg")) for queue in queues}
    return Check("broker", True, f"filesystem:// {folder}: {_depths(depths)}", {"queues": depths})


def check_smtp(settings: Settings) -> Check:
    if settings.mail_transport != "smtp":
        where = f" in {settings.mail_dir}" if settings.mail_transport == "file" else ""
        return Check("smtp", True, f"mail transport is {settings.mail_transport}{where}")
    host, port = settings.smtp_host, settings.smtp_port
    if not host:
        return Check("smtp", False, "mail transport is smtp but LEGALAID_SMTP_HOST is not set")
    try:
        code = greet_smtp(host, port, use_ssl=settings.smtp_security == "ssl")
    except OSError as exc:  # smtplib's errors included
        return Check("smtp", False, f"{host}:{port}: {_first_line(exc)}")
    return Check("smtp", 200 <= code < 300, f"{host}:{port}: answers (EHLO {code})")


def check_scheduler(rt: Runtime, now: datetime) -> Check:
    return _scheduler(rt.settings, rt.engine, now)


def _scheduler(settings: Settings, engine: Engine | None, now: datetime) -> Check:
    """The leader lock's holder; ``engine`` None: the lock is in Redis and the database is not opened."""
    try:
        leader = current_leader(settings, engine)
    except Exception as exc:  # the lock lives in Redis or the database, either may be what is down
        return Check("scheduler", False, f"leader lock unreadable: {_first_line(exc)}")
    if leader is None or leader.expires_at <= now:
        return Check(
            "scheduler", False, "no scheduler holds the leader lock: start `legalaid scheduler` (or serve)"
        )
    left = (leader.expires_at - now).total_seconds()
    # The leader's heartbeat is its renewal of the lock (every ttl/3), which sets the expiry to now + ttl.
    renewed_at = leader.expires_at - timedelta(seconds=settings.leader_lock_ttl)
    ago = max((now - renewed_at).total_seconds(), 0)
    return Check(
        "scheduler",
        True,
        f"leader {leader.holder}, last renewed {ago:.0f} s ago, lock valid {left:.0f} s more",
        {
            "holder": leader.holder,
            "renewed_at": local_time(settings, renewed_at),
            "expires_at": local_time(settings, leader.expires_at),
            "since": local_time(settings, leader.since),
        },
    )


def check_outbox(rt: Runtime, now: datetime) -> Check:
    with rt.sessions() as session:
        report = status_report(session, now=now)
    report["oldest_queued_at"] = _local_iso(rt.settings, report["oldest_queued_at"])
    for row in report["dead"]:
        row["updated_at"] = _local_iso(rt.settings, row["updated_at"])
    counts, dead = report["counts"], report["dead"]
    age = report["oldest_queued_age_seconds"]
    summary = ", ".join(f"{n} {status}" for status, n in counts.items()) or "empty"
    if age is not None:
        summary += f" (the oldest queued {_ago(age)})"
    problems = []
    if dead:
        problems.append(f"{len(dead)} dead (see `legalaid mail status`, resend with `legalaid mail retry`)")
    if age is not None and age > STUCK_AFTER.total_seconds():
        problems.append(f"oldest queued message waiting {age // 60} min")
    return Check("outbox", not problems, "; ".join([summary, *problems]), report)


def check_jobs(
    rt: Runtime, now: datetime, *, scheduled_jobs: Sequence[str] = (), leading_since: datetime | None = None
) -> Check:
    """The last run of every job, and what needs a person: failed runs and reports, dead or stuck ticks,
    a heartbeat missing or late. ``leading_since``: when the present scheduler took the lead; within
    STARTING_GRACE of it a missing or late heartbeat is "starting", not a problem."""
    with rt.sessions() as session:
        runs = jobs.last_runs(session)
        # Reports whose last attempt failed (the daily reports job tries them again).
        failed_reports = list(session.scalars(select(ReportRun).where(ReportRun.status == REPORT_FAILED)))
        # Dead ticks, and ticks that no worker took or whose worker stopped with nobody sweeping.
        tick_problems = jobs.needing_attention(session, now=now, stuck_after=STUCK_AFTER)
    detail = {
        run.job: {
            "status": run.status,
            "scheduled_for": local_time(rt.settings, run.scheduled_for),
            "finished_at": local_time(rt.settings, run.finished_at),
            "error": run.error,
        }
        for run in runs
    }
    problems = [
        f"{run.job} failed: {_first_line(run.error or '')}" for run in runs if run.status == jobs.FAILED
    ]
    problems += [
        f"report:{run.kind}:{run.period}:{run.audience} failed: {_first_line(run.error or '')}"
        for run in failed_reports
    ]
    problems += tick_problems
    heartbeat = next((run for run in runs if run.job == "heartbeat"), None)
    starting = _starting(now, leading_since, heartbeat)
    if starting is not None:
        ...  # the first heartbeat of a scheduler that just took the lead is not late yet
    elif heartbeat is None:
        problems.append("no heartbeat has run yet: is a worker running?")
    elif now - heartbeat.scheduled_for > HEARTBEAT_STALE_AFTER:
        minutes = int((now - heartbeat.scheduled_for).total_seconds() // 60)
        problems.append(f"the last heartbeat ran {minutes} min ago: is a worker running?")
    summary = ", ".join(
        f"{run.job} {run.status} at {local_time(rt.settings, run.scheduled_for, timespec='minutes', sep=' ')}"
        for run in runs
    )
    # A scheduled job with no run yet (a daily one on a new installation) is listed, not a problem by itself.
    never = [job for job in scheduled_jobs if job not in detail]
    detail.update(
        {job: {"status": None, "scheduled_for": None, "finished_at": None, "error": None} for job in never}
    )
    if never:
        summary = ", ".join(filter(None, [summary, f"not run yet: {', '.join(never)}"]))
    if starting is not None:
        summary = "; ".join(filter(None, [starting, summary]))
    return Check("jobs", not problems, "; ".join([summary or "no runs yet", *problems]), detail)


def _starting(now: datetime, leading_since: datetime | None, heartbeat: JobRun | None) -> str | None:
    """The "starting: …" note while a scheduler that took the lead less than STARTING_GRACE ago has had
    no heartbeat run since (a fresh ``serve``, or one restarted after a stop); None otherwise."""
    if leading_since is None or now - leading_since >= STARTING_GRACE:
        return None
    if heartbeat is not None and heartbeat.scheduled_for >= leading_since:
        return None
    ago = max((now - leading_since).total_seconds(), 0)
    return f"starting: the scheduler took the lead {ago:.0f} s ago, its first heartbeat is due in a minute"


def local_time(
    settings: Settings, moment: datetime | None, *, timespec: str = "auto", sep: str = "T"
) -> str | None:
    """A stored (UTC) time as ``status`` shows it: in the center's time zone, with the offset
    (2012-10-12T09:00:00.123456+08:00), as the jobs' schedule and the logs write it; to the microsecond
    unless ``timespec`` says otherwise, so that a time read back (the leader's ``since``) is the same."""
    if moment is None:
        return None
    return moment.astimezone(settings.tz).isoformat(sep=sep, timespec=timespec)


def _local_iso(settings: Settings, value: str | None) -> str | None:
    """An ISO time from a report (the outbox's, in UTC) in the center's zone."""
    return local_time(settings, datetime.fromisoformat(value)) if value else None


def _ago(seconds: float) -> str:
    return f"{seconds:.0f} s ago" if seconds < 120 else f"{seconds // 60:.0f} min ago"


def _depths(depths: dict[str, int]) -> str:
    return ", ".join(f"{queue} {n}" for queue, n in depths.items())


def _first_line(exc: object) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
