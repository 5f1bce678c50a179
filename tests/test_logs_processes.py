"""One message followed through the JSON logs of real processes, by its idempotency key and task ids:
``legalaid case assign`` queues the notice and, once committed, hands it to the broker → the worker's
deliver task claims it, hands it to SMTP, records it sent → the SMTP server holds a message with the same
Message-ID. The scheduler's ticks (heartbeat, mail sweep) run beside it, each line under its job.

A scheduler and a prefork worker on a private Redis that wants a password, an SMTP server that wants a
login; every line either process writes is one JSON object, Celery's own included, and neither password
appears in any form.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from builders import make_decided_case, make_lawyer
from private_redis import private_redis
from processes import ProcessGroup, legalaid_env, wait_for
from safety_scan import find_secrets
from smtp_server import MAIL_FROM, SmtpTestServer

from cli import main
from legalaid import migrate
from legalaid.config import Settings
from legalaid.runtime import build_runtime

SMTP_USER = "center@legalaid.example.org"
SMTP_PASSWORD = f"Sm7p-{uuid.uuid4().hex[:16]}"
BROKER_PASSWORD = f"Rd4-{uuid.uuid4().hex[:16]}"
EVERY_2_SECONDS = 'cron = "* * * * *", second = "*/2", misfire_grace = 30, comment = "test"'
SCHEDULE = f"""\
[jobs]
heartbeat = {{ task = "legalaid.heartbeat", {EVERY_2_SECONDS} }}
mail-sweep = {{ task = "legalaid.mail.sweep", {EVERY_2_SECONDS} }}
"""


@pytest.fixture
def broker_url(tmp_path: Path) -> Iterator[str]:
    """A private Redis that wants a password."""
    with private_redis(tmp_path, password=BROKER_PASSWORD) as url:
        yield url


def _entries(output: str, *, where: str) -> list[dict[str, Any]]:
    entries = []
    for number, line in enumerate(output.splitlines(), 1):
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"{where}:{number}: not one JSON object: {line!r}")
    return entries


@pytest.mark.slow
def test_one_message_followed_from_the_enqueue_to_the_smtp_server(
    tmp_path: Path,
    broker_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "schedule.toml").write_text(SCHEDULE, encoding="utf-8")
    with SmtpTestServer(logins={SMTP_USER: SMTP_PASSWORD}) as smtp:
        values: dict[str, object] = {
            "data_dir": tmp_path / "var",
            "broker_url": broker_url,
            "mail_transport": "smtp",
            "smtp_host": smtp.host,
            "smtp_port": smtp.port,
            "smtp_user": SMTP_USER,
            "smtp_password": SMTP_PASSWORD,
            "mail_from": MAIL_FROM,
            "log_format": "json",
            "log_level": "DEBUG",
            "schedule_file": tmp_path / "schedule.toml",
            "leader_lock_ttl": 3,
            "scheduler_poll_seconds": 0.5,
        }
        rt = build_runtime(Settings(data_dir=tmp_path / "var"))
        try:
            migrate.upgrade(rt.engine)
            with rt.transaction() as session:
                lawyer = make_lawyer(session)
                lawyer.email = "lawyer@firm.example"
                make_decided_case(session, case_no="2012民援第001号", assigned_on=None, lawyer=None)
        finally:
            rt.dispose()
        for name, value in values.items():
            monkeypatch.setenv(f"LEGALAID_{name.upper()}", str(value))
        with ProcessGroup(tmp_path, legalaid_env(**values)) as procs:
            scheduler = procs.start("scheduler", "scheduler")
            worker = procs.start("worker", "worker", "--concurrency=1")
            wait_for(
                lambda: '"logger": "celery.app.trace"' in worker.output(),
                timeout=60,
                what="the worker running scheduled ticks",
                procs=procs,
            )
            # The enqueuer: a command in this process, its log on stderr.
            assert main(["case", "assign", "2012民援第001号", lawyer.code]) == 0
            command_log = _entries(capsys.readouterr().err, where="legalaid case assign")
            [queued] = [e for e in command_log if e["message"].startswith("outbox ")]
            key, message_id = queued["idempotency_key"], queued["message_id"]
            [received] = smtp.wait_for(1, timeout=60)
            wait_for(
                lambda: f"sent as {message_id}" in worker.output(),
                timeout=30,
                what="the worker's sent line",
                procs=procs,
            )
            worker.stop()
            scheduler.stop()
            outputs = {"worker": worker.output(), "scheduler": scheduler.output()}

    assert received.message_id == message_id
    assert key.startswith("case:assigned:2012民援第001号:") and received.login == SMTP_USER
    worker_log = _entries(outputs["worker"], where="worker")
    scheduler_log = _entries(outputs["scheduler"], where="scheduler")

    # The worker's lines about the message, all under its key, its Message-ID and one deliver task.
    about = [e for e in worker_log if e.get("idempotency_key") == key]
    messages = [e["message"] for e in about]
    assert messages[0].endswith("claimed, attempt 1")
    recipients, address = len(received.recipients), f"{smtp.host}:{smtp.port}"  # lawyer, firm in cc
    assert (
        messages[1] == f"handing {message_id} to SMTP {smtp.host}:{smtp.port} for {recipients} recipient(s)"
    )
    assert any(m.startswith("SMTP connection to") for m in messages)
    assert messages[-2:] == [
        f"SMTP {address} accepted {message_id}",
        f"outbox {queued['outbox_id']} ({key}) sent as {message_id}, attempt 1",
    ]
    assert {e["message_id"] for e in about} == {message_id}
    [deliver_task] = {e["task_id"] for e in about}
    # Celery's own lines of that task are JSON and carry its id too.
    celery_lines = [
        e for e in worker_log if deliver_task in e["message"] and e["logger"].startswith("celery")
    ]
    [received_line] = [e for e in celery_lines if "received" in e["message"]]
    assert received_line["task_id"] == deliver_task
    [succeeded] = [e for e in celery_lines if "succeeded" in e["message"]]
    assert succeeded["task_id"] == deliver_task and "'sent'" in succeeded["message"]

    # The deliver task was sent by the command itself, right after its commit (a real broker is
    # configured): its log says so. (A sweep tick falling between the commit and the hand-off may send a
    # second deliver task; it finds the row claimed or sent, and the server holds one message.)
    handed = [e for e in command_log if e["message"].startswith("outbox: handed 1 message(s) to the broker")]
    assert [e["message"] for e in handed] == [
        f"outbox: handed 1 message(s) to the broker: {queued['outbox_id']}"
    ]
    # The scheduler's ticks and the worker's lines while it ran them name their job (the "received" line,
    # written before a task runs, has its task id only).
    ticks = [e for e in scheduler_log if e["message"].startswith("enqueued legalaid.")]
    assert ticks and all(e.get("job") for e in ticks)
    for tick in ticks:
        in_tick = [e for e in worker_log if e.get("task_id") == tick["task_id"]]
        assert [e["logger"] for e in in_tick if e.get("job") != tick["job"]] in (
            [],
            ["celery.worker.strategy"],
        )

    leaks = [
        leak
        for where, output in [*outputs.items(), ("command", json.dumps(command_log))]
        for leak in find_secrets(where, output.encode("utf-8"), [SMTP_PASSWORD, BROKER_PASSWORD])
    ]
    assert leaks == []
