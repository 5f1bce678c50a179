"""Times as the center reads them: the logs (text and JSON) and every time ``legalaid status`` prints (its
JSON too) in the center's time zone with the offset, as the jobs' schedule is, not in UTC or the machine's
zone without one."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from cli import main
from legalaid import jobs
from legalaid.config import Settings
from legalaid.leader import make_leader_lock
from legalaid.logs import command_logging
from legalaid.mail import enqueue
from legalaid.models import LeaderLock, utcnow
from legalaid.runtime import Runtime


def _logged(settings: Settings, capsys: pytest.CaptureFixture[str]) -> str:
    with command_logging(settings):
        logging.getLogger("legalaid.test").warning("sent")
    [line] = capsys.readouterr().err.splitlines()
    return line


@pytest.mark.parametrize(("zone", "offset"), [("Asia/Shanghai", "+08:00"), ("Asia/Kolkata", "+05:30")])
def test_log_lines_carry_the_centers_time_with_its_offset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], zone: str, offset: str
) -> None:
    before = datetime.now(UTC)
    text = _logged(Settings(data_dir=tmp_path, timezone=zone), capsys)
    stamp = datetime.fromisoformat(text[:29])  # 2012-10-12 09:00:00.123+08:00
    assert text[23:29] == offset and text[29:] == " WARNING legalaid.test: sent"
    assert before - timedelta(seconds=1) <= stamp <= datetime.now(UTC)
    entry = json.loads(_logged(Settings(data_dir=tmp_path, timezone=zone, log_format="json"), capsys))
    assert entry["time"].endswith(offset)
    assert before - timedelta(seconds=1) <= datetime.fromisoformat(entry["time"]) <= datetime.now(UTC)


def test_status_prints_every_time_in_the_centers_zone(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEGALAID_DATA_DIR", str(rt.settings.data_dir))
    assert rt.settings.timezone == "Asia/Shanghai"
    rt.settings.broker_folder.mkdir(parents=True)
    lock = make_leader_lock(rt.settings, rt.engine)
    assert lock.acquire("host:1:a")
    lock.close()
    tick = utcnow().replace(second=0, microsecond=0) - timedelta(minutes=1)
    with rt.transaction() as session:
        session.execute(update(LeaderLock).values(heartbeat_at=utcnow() - timedelta(hours=1)))
        run = jobs.claim(session, job="heartbeat", scheduled_for=tick, task="legalaid.heartbeat", now=tick)
        assert run is not None
        jobs.finish_run(session, run_id=run.id, status="succeeded", finished_at=tick)
        enqueue(session, key="k1", to=["a@example.cn"], subject="s", text="t")
    assert main(["status", "--json"]) == 0
    checks = {check["name"]: check for check in json.loads(capsys.readouterr().out)["checks"]}
    scheduler, heartbeat = checks["scheduler"]["detail"], checks["jobs"]["detail"]["heartbeat"]
    times = [scheduler["renewed_at"], scheduler["expires_at"], scheduler["since"]]
    times += [
        heartbeat["scheduled_for"],
        heartbeat["finished_at"],
        checks["outbox"]["detail"]["oldest_queued_at"],
    ]
    assert all(value.endswith("+08:00") for value in times), times
    assert datetime.fromisoformat(heartbeat["scheduled_for"]) == tick
    local = tick.astimezone(rt.settings.tz)
    assert f"heartbeat succeeded at {local:%Y-%m-%d %H:%M}+08:00" in checks["jobs"]["summary"]
    assert main(["status"]) == 0
    assert f"at {local:%Y-%m-%d %H:%M}+08:00" in capsys.readouterr().out
