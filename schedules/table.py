"""The schedule table: ``schedules/schedule.toml`` (or the file the setting ``schedule_file`` names).

Parsing is pure: a bad file is one UserError line naming the file and the entry.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import UTC, tzinfo
from pathlib import Path
from typing import Any

from apscheduler.triggers.cron import CronTrigger

from legalaid.config import Settings
from legalaid.errors import UserError

SHIPPED_SCHEDULE = Path(__file__).with_name("schedule.toml")

_JOB_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")
_TASK_NAME = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_]\w*)*$")
_KEYS = {"task", "cron", "second", "misfire_grace", "comment"}
_REQUIRED = ("task", "cron", "misfire_grace")
# A cron expression's five fields, in order, by the names APScheduler's CronTrigger takes them by.
_CRON_FIELDS = ("minute", "hour", "day", "month", "day_of_week")


@dataclass(frozen=True)
class ScheduleEntry:
    """One line of the schedule: job ``id`` enqueues ``task`` at every tick of ``cron`` (+ ``second``)."""

    id: str
    task: str
    cron: str
    misfire_grace: int
    second: str = "0"
    comment: str = ""

    def trigger(self, tz: tzinfo) -> Any:
        """The APScheduler CronTrigger in the center's time zone."""
        return CronTrigger(second=self.second, timezone=tz, **_cron_fields(self.cron))


def schedule_path(settings: Settings) -> Path:
    return settings.schedule_file or SHIPPED_SCHEDULE


def load_schedule(path: Path) -> list[ScheduleEntry]:
    """Read and check the schedule table; every problem is a UserError naming the file and the entry."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"{path}: cannot read the schedule: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: not valid TOML: {exc}") from None
    if extra := sorted(set(data) - {"jobs"}):
        raise UserError(f"{path}: unknown key {extra[0]!r} (the schedule is one [jobs] table)")
    jobs = data.get("jobs")
    if not isinstance(jobs, dict):
        raise UserError(f"{path}: no [jobs] table")
    return [parse_entry(job_id, value, where=f"{path}: job {job_id!r}") for job_id, value in jobs.items()]


def parse_entry(job_id: str, value: Any, *, where: str) -> ScheduleEntry:
    """One entry of the [jobs] table, checked; ``where`` prefixes every error message."""
    if not _JOB_ID.match(job_id):
        raise UserError(f"{where}: a job id is lower-case letters, digits, '-' and '_' (at most 48)")
    if not isinstance(value, dict):
        raise UserError(f"{where}: expected {{ task = …, cron = …, misfire_grace = … }}")
    if unknown := sorted(set(value) - _KEYS):
        raise UserError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_KEYS))})")
    if missing := [key for key in _REQUIRED if key not in value]:
        raise UserError(f"{where}: missing {missing[0]!r}")
    for key in ("task", "cron", "second", "comment"):
        if key in value and not isinstance(value[key], str):
            raise UserError(f"{where}: {key} must be a string")
    task, cron = value["task"], value["cron"]
    second, comment = value.get("second", "0"), value.get("comment", "")
    if not _TASK_NAME.match(task):
        raise UserError(f"{where}: task {task!r} is not a task name (like legalaid.heartbeat)")
    grace = value["misfire_grace"]
    if isinstance(grace, bool) or not isinstance(grace, int) or grace < 1:
        raise UserError(f"{where}: misfire_grace must be a whole number of seconds, at least 1")
    _check_cron(cron, where=where)
    entry = ScheduleEntry(
        id=job_id, task=task, cron=cron, second=second, misfire_grace=grace, comment=comment
    )
    try:
        entry.trigger(UTC)
    except ValueError as exc:
        expression = f"cron {cron!r}" + (f", second {second!r}" if "second" in value else "")
        raise UserError(f"{where}: {expression}: {exc}") from None
    return entry


def _cron_fields(cron: str) -> dict[str, str]:
    """``{"minute": …, "hour": …, "day": …, "month": …, "day_of_week": …}``; ValueError unless five."""
    return dict(zip(_CRON_FIELDS, cron.split(), strict=True))


def _check_cron(cron: str, *, where: str) -> None:
    try:
        fields = _cron_fields(cron)
    except ValueError:
        raise UserError(
            f"{where}: cron {cron!r} has {len(cron.split())} fields; "
            "expected 5: minute hour day month weekday (add seconds with second = …)"
        ) from None
    day, weekday = fields["day"], fields["day_of_week"]
    if any(ch.isdigit() for ch in weekday):
        raise UserError(
            f"{where}: cron {cron!r}: name the weekdays (mon-fri, sat,sun); "
            "APScheduler 3 counts them from Monday = 0, unlike cron"
        )
    if day != "*" and weekday != "*":
        raise UserError(
            f"{where}: cron {cron!r}: restrict the day of the month or the weekday, not both "
            "(APScheduler would require both to match, cron either)"
        )
