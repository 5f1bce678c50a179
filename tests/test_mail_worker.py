"""A real ``legalaid worker --queues mail`` on Redis and PostgreSQL delivering to a real SMTP server:
killed mid-batch, and with its broker flushed. The database is the truth; no mail is lost.

The sweep runs in the test with a clock moved past the lease and the hand-off threshold (5 and 10
minutes by default) instead of waiting for them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from processes import ProcessGroup, legalaid_env, wait_for
from smtp_server import MAIL_FROM, SmtpTestServer, queue_mail
from sqlalchemy import func, select

import tasks.mail as mail_tasks
from legalaid import migrate
from legalaid.config import Settings
from legalaid.mail import DEFAULT_POLICY, hand_over_lost, mark_enqueued
from legalaid.models import OutboxMessage, utcnow
from legalaid.runtime import Runtime, build_runtime
from workers import make_celery

pytestmark = [pytest.mark.services, pytest.mark.slow]

# Past any lease a worker took and any hand-off the broker was given: what the sweep sees after a while.
LATER = DEFAULT_POLICY.lease + DEFAULT_POLICY.lost_after + timedelta(seconds=1)


@pytest.fixture
def smtp() -> Iterator[SmtpTestServer]:
    with SmtpTestServer() as server:
        yield server


@pytest.fixture
def setup(
    postgres_url: str, redis_url: str, smtp: SmtpTestServer, tmp_path: Path
) -> Iterator[tuple[Runtime, Any, dict[str, str]]]:
    """The test's runtime, a Celery app to send with, and the worker's environment (same settings)."""
    values: dict[str, Any] = {
        "data_dir": tmp_path / "var",
        "database_url": postgres_url,
        "broker_url": redis_url,
        "mail_transport": "smtp",
        "smtp_host": smtp.host,
        "smtp_port": smtp.port,
        "mail_from": MAIL_FROM,
    }
    runtime = build_runtime(Settings(**values))
    migrate.upgrade(runtime.engine)
    app = make_celery(runtime.settings)
    yield runtime, app, legalaid_env(**values)
    runtime.dispose()


def _hand_over(rt: Runtime, app: Any, ids: list[int]) -> None:
    mail_tasks.send_deliveries(ids, app=app)
    with rt.transaction() as session:
        mark_enqueued(session, ids)


def _counts(rt: Runtime) -> dict[str, int]:
    with rt.transaction() as session:
        rows = session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
        return {status: int(n) for status, n in rows}


def _sent(rt: Runtime) -> int:
    return _counts(rt).get("sent", 0)


def _unsent(rt: Runtime) -> int:
    counts = _counts(rt)
    return counts.get("queued", 0) + counts.get("sending", 0)


def _broker_empty(redis_url: str) -> bool:
    client = redis.Redis.from_url(redis_url)
    try:
        return int(client.llen("mail")) == 0
    finally:
        client.close()


def _idle(app: Any) -> bool:
    """No task running or reserved on any worker (what the broker still holds is not counted)."""
    inspect = app.control.inspect(timeout=1)
    active, reserved = inspect.active() or {}, inspect.reserved() or {}
    return bool(active) and not any(active.values()) and not any(reserved.values())


def _message_ids(rt: Runtime) -> set[str]:
    with rt.transaction() as session:
        return set(session.execute(select(OutboxMessage.message_id)).scalars())


def test_a_worker_killed_mid_batch_loses_nothing(
    setup: tuple[Runtime, Any, dict[str, str]], smtp: SmtpTestServer, redis_url: str, tmp_path: Path
) -> None:
    rt, app, env = setup
    ids = [queue_mail(rt, f"reminder:kill:{n}", subject=f"提醒 {n}") for n in range(200)]
    _hand_over(rt, app, ids)

    with ProcessGroup(tmp_path, env) as procs:
        # One process in the pool: one message in flight when the kill comes.
        worker = procs.start("worker", "worker", "--queues", "mail", "--concurrency=1")
        wait_for(lambda: len(smtp.messages()) >= 40, timeout=60, what="40 messages delivered", procs=procs)
        worker.kill()  # SIGKILL, the pool child too: no warm shutdown, no ack, no "sent" recorded
        killed_at = len(smtp.messages())
        assert killed_at < 200, "the batch finished before the kill: make it bigger"
        assert _sent(rt) < 200

        procs.start("worker", "worker", "--queues", "mail", "--concurrency=1")
        # The tasks the killed worker had taken (the batch it was running, the one it had prefetched) are
        # gone with it, unacknowledged until Redis's visibility timeout, hours away; the rest of the queue
        # goes on. The sweep finds the row it left `sending` and the rows of the batches it held.
        held = 2 * mail_tasks.BATCH_SIZE
        wait_for(
            lambda: _broker_empty(redis_url) and _idle(app) and _unsent(rt) <= held,
            timeout=60,
            what="the queue drained but for the lost tasks",
            procs=procs,
        )
        left = 200 - _sent(rt)
        swept = hand_over_lost(
            rt, lambda lost: mail_tasks.send_deliveries(lost, app=app), now=utcnow() + LATER
        )
        assert 0 < len(swept) == left <= held
        wait_for(lambda: _sent(rt) == 200, timeout=60, what="all 200 sent", procs=procs)

    received = smtp.messages()
    per_message_id = Counter(m.message_id for m in received)
    assert set(per_message_id) == _message_ids(rt)  # every one of the 200 arrived …
    duplicates = {mid: n for mid, n in per_message_id.items() if n > 1}
    assert len(received) - 200 == sum(n - 1 for n in duplicates.values())
    assert len(received) <= 201 and all(
        n == 2 for n in duplicates.values()
    )  # … at most the one in flight twice
    print(
        f"killed after {killed_at} received; swept {swept}; {len(received)} received; duplicates {duplicates}"
    )


def test_a_flushed_broker_loses_nothing(
    setup: tuple[Runtime, Any, dict[str, str]], smtp: SmtpTestServer, redis_url: str, tmp_path: Path
) -> None:
    rt, app, env = setup
    ids = [queue_mail(rt, f"reminder:flush:{n}") for n in range(100)]
    _hand_over(rt, app, ids)
    client = redis.Redis.from_url(redis_url)
    assert client.llen("mail") == math.ceil(100 / mail_tasks.BATCH_SIZE)
    client.flushdb()  # the broker forgets every task: restarted without persistence, or flushed by hand
    client.close()

    with ProcessGroup(tmp_path, env) as procs:
        procs.start("worker", "worker", "--queues", "mail", "--concurrency=2")
        wait_for(
            lambda: app.control.ping(timeout=0.5), timeout=60, what="the worker to be ready", procs=procs
        )
        assert _counts(rt) == {"queued": 100}  # nothing to deliver: the broker has no task

        swept = hand_over_lost(
            rt, lambda lost: mail_tasks.send_deliveries(lost, app=app), now=utcnow() + LATER
        )
        assert sorted(swept) == ids
        wait_for(lambda: _sent(rt) == 100, timeout=60, what="all 100 sent", procs=procs)

    assert sorted(m.message_id for m in smtp.messages()) == sorted(_message_ids(rt))
