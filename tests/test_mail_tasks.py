"""The Celery tasks called directly (no worker): thin doors into legalaid.mail, routed to the mail queue."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from smtp_server import queue_mail
from sqlalchemy import select

import tasks.mail as mail_tasks
from legalaid.config import Settings
from legalaid.mail import enqueue, sweep
from legalaid.models import JobRun, OutboxMessage
from legalaid.runtime import Runtime
from tasks import _runtime
from workers import make_celery


@pytest.fixture
def app(settings: Settings, rt: Runtime) -> Iterator[Any]:
    """The real application on the embedded filesystem broker under the test's folder."""
    celery = make_celery(settings)
    yield celery
    mail_tasks.close_transport()
    _runtime.task_runtime().dispose()


def _broker_messages(settings: Settings) -> list[dict[str, Any]]:
    found = []
    for path in sorted((settings.broker_folder / "messages").glob("*.msg")):
        found.append(json.loads(path.read_text(encoding="utf-8")))
    return found


def _status(rt: Runtime, outbox_id: int) -> str:
    with rt.transaction() as session:
        return session.execute(select(OutboxMessage.status).where(OutboxMessage.id == outbox_id)).scalar_one()


def test_deliver_sends_through_the_configured_transport_and_returns_the_outcome(
    app: Any, rt: Runtime
) -> None:
    outbox_id = queue_mail(rt, "k:task:deliver")
    assert mail_tasks.deliver(outbox_id) == "sent"
    assert mail_tasks.deliver(outbox_id) == "skipped"  # a second delivery of the task does nothing
    assert mail_tasks.deliver(424242) == "skipped"  # the row is gone: return quietly
    assert _status(rt, outbox_id) == "sent"
    assert len(list(rt.settings.mail_dir.rglob("*.eml"))) == 1


def test_sweep_hands_lost_rows_to_the_mail_queue_in_batches(
    app: Any, rt: Runtime, settings: Settings
) -> None:
    ids = [queue_mail(rt, f"k:task:sweep:{n}") for n in range(mail_tasks.BATCH_SIZE + 1)]

    assert app.tasks[mail_tasks.SWEEP].apply(kwargs={}).get() == len(ids)

    messages = _broker_messages(settings)
    assert {m["properties"]["delivery_info"]["routing_key"] for m in messages} == {"mail"}
    tasks = sorted((m["headers"]["task"], json.loads(_body(m))[0][0]) for m in messages)
    assert tasks == [("legalaid.mail.deliver", ids[-1]), ("legalaid.mail.deliver_batch", ids[:-1])]
    # Handed over: the next sweep leaves them to the broker.
    assert app.tasks[mail_tasks.SWEEP].apply(kwargs={}).get() == 0


def test_deliver_batch_delivers_each_and_skips_what_is_gone(app: Any, rt: Runtime) -> None:
    ids = [queue_mail(rt, f"k:task:batch:{n}") for n in range(3)]
    assert mail_tasks.deliver_batch([*ids, 424242]) == {"sent": 3, "skipped": 1}
    assert {_status(rt, i) for i in ids} == {"sent"}


def _body(message: dict[str, Any]) -> str:
    import base64

    body = message["body"]
    if message["properties"].get("body_encoding") == "base64":
        return base64.b64decode(body).decode("utf-8")
    return str(body)


def test_a_scheduled_sweep_records_its_tick_once(app: Any, rt: Runtime) -> None:
    queue_mail(rt, "k:task:scheduled")
    tick = datetime(2012, 10, 8, 2, 0, tzinfo=UTC).isoformat()
    sweep = app.tasks[mail_tasks.SWEEP]

    assert sweep.apply(kwargs={"job": "mail-sweep", "scheduled_for": tick}).get() == 1
    assert sweep.apply(kwargs={"job": "mail-sweep", "scheduled_for": tick}).get() == 0  # the same tick again
    with rt.transaction() as session:
        [run] = session.execute(select(JobRun).where(JobRun.job == "mail-sweep")).scalars()
        assert run.status == "succeeded"


def test_hand_over_puts_committed_ids_on_the_broker_then_marks_them_enqueued(
    app: Any, rt: Runtime, settings: Settings
) -> None:
    with rt.transaction() as session:
        row = enqueue(session, key="k:task:dispatch", to=["a@example.org"], subject="s", text="t")
    assert _broker_messages(settings) == []

    assert mail_tasks.hand_over(rt, [row.id, row.id], app=app) is True  # a repeated id goes once
    [message] = _broker_messages(settings)
    assert json.loads(_body(message))[0] == [row.id]
    with rt.transaction() as session:
        assert session.get(OutboxMessage, row.id).enqueued_at is not None  # type: ignore[union-attr]
        assert sweep(session) == []  # handed over: the sweep leaves it to the broker


class _BrokerDown:
    """An application whose broker refuses every connection."""

    def producer_or_acquire(self) -> Any:
        raise ConnectionRefusedError("redis is down")


def test_hand_over_leaves_the_rows_to_the_sweep_when_the_broker_is_down(
    rt: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    outbox_id = queue_mail(rt, "k:task:broker-down")

    assert mail_tasks.hand_over(rt, [outbox_id], app=_BrokerDown()) is False  # logged, not raised
    assert "the sweep will retry" in caplog.text
    with rt.transaction() as session:
        assert session.get(OutboxMessage, outbox_id).enqueued_at is None  # type: ignore[union-attr]
        assert sweep(session) == [outbox_id]  # so the sweep hands it over at once


def test_the_transport_follows_the_runtime_settings(app: Any, rt: Runtime, tmp_path: Path) -> None:
    first = mail_tasks.process_transport()
    assert mail_tasks.process_transport() is first  # kept between messages (one SMTP connection)
    make_celery(Settings(data_dir=tmp_path / "other", mail_transport="console"))
    assert type(mail_tasks.process_transport()).__name__ == "ConsoleTransport"
