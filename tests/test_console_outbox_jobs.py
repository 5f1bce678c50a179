"""The console's Outbox, Jobs and Settings pages with TestClient on the demo center: a dead message with a
hostile subject and attachment name listed by status, shown with its body's personal numbers masked,
retried alone and all together; a dead tick retried from the Jobs page; the settings with their secrets
masked, for an admin only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from api import TestClient, csrf_of
from pydantic import SecretStr
from sqlalchemy import select
from test_console_pages import HOSTILE_APPLICANT, HOSTILE_PERSON, Center, make_client, sign_in

from cli.demo.run import run_demo
from legalaid.config import Settings
from legalaid.mail import Attachment, enqueue
from legalaid.models import JobRun, OutboxMessage, utcnow
from legalaid.runtime import build_runtime

ESCAPED_PERSON = "欧阳&amp;&lt;娜&gt;"
ESCAPED_APPLICANT = "A&amp;B &lt;律所&gt; &#34;联合&#34;"
ID_CARD = "330102198001011234"
SMTP_PASSWORD = "smtp-secret-do-not-show"


class Mail:
    """Two dead messages and a dead tick, made in the demo center's database."""

    def __init__(self, center: Center) -> None:
        rt = build_runtime(center.settings)
        with rt.transaction() as session:
            made = [
                enqueue(
                    session,
                    key=f"console-test-{n}",
                    to=[f"lawyer{n}@example.cn"],
                    subject=f"{HOSTILE_PERSON} 提醒 {n}",
                    text=f"受援人 {HOSTILE_APPLICANT} 身份证 {ID_CARD}",
                    attachments=[Attachment(f"{HOSTILE_APPLICANT}.docx", b"PK\x03\x04")],
                )
                for n in (1, 2)
            ]
            for message in made:
                message.status, message.attempts = "dead", 8
                message.last_error = f"550 mailbox {HOSTILE_PERSON} unavailable"
            self.ids = [message.id for message in made]
            tick = JobRun(
                key="reminders@2012-10-08T08:00",
                job="reminders",
                scheduled_for=utcnow() - timedelta(days=1),
                status="dead",
                attempts=3,
                error=f"failed: {HOSTILE_APPLICANT}",
            )
            session.add(tick)
        rt.dispose()


@pytest.fixture(scope="module")
def center(tmp_path_factory: pytest.TempPathFactory) -> Center:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("console-outbox") / "var",
        center_name=HOSTILE_APPLICANT,
        smtp_password=SecretStr(SMTP_PASSWORD),
    )
    run_demo(settings)
    return Center(settings)


@pytest.fixture(scope="module")
def mail(center: Center) -> Mail:
    return Mail(center)


@pytest.fixture
def client(center: Center) -> Iterator[TestClient]:
    with make_client(center) as test_client:
        yield test_client


def status_of(center: Center, outbox_id: int) -> str:
    rt = build_runtime(center.settings)
    with rt.sessions() as session:
        found = session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == outbox_id))
    rt.dispose()
    return str(found)


def test_the_outbox_by_status_escapes_hostile_names(center: Center, client: TestClient, mail: Mail) -> None:
    sign_in(client, center.staff)
    page = client.get("/outbox", params={"status": "dead"})
    assert page.status_code == 200
    assert ESCAPED_PERSON in page.text and HOSTILE_PERSON not in page.text
    assert f'href="/outbox/{mail.ids[0]}"' in page.text and "重发全部失败邮件 (2)" in page.text
    assert 'href="/outbox?status=sent"' in page.text
    assert client.get("/outbox", params={"status": "nonsense"}).status_code == 200  # all of them
    assert client.get("/outbox", params={"before_id": "x"}).status_code == 422


def test_a_message_is_shown_masked_and_retried(center: Center, client: TestClient, mail: Mail) -> None:
    sign_in(client, center.staff)
    page = client.get(f"/outbox/{mail.ids[0]}")
    assert page.status_code == 200
    assert ID_CARD not in page.text and ESCAPED_APPLICANT in page.text and HOSTILE_APPLICANT not in page.text
    assert f"{ESCAPED_APPLICANT}.docx" in page.text and "lawyer1@example.cn" in page.text
    assert "550 mailbox" in page.text and "重新发送" in page.text
    retried = client.post(f"/outbox/{mail.ids[0]}/retry", data={"csrf_token": csrf_of(page.text)})
    assert retried.status_code == 200 and "已重新排队: 1" in retried.text
    assert status_of(center, mail.ids[0]) == "queued" and status_of(center, mail.ids[1]) == "dead"
    assert client.get("/outbox/999999").status_code == 404


def test_every_dead_message_is_retried(center: Center, client: TestClient, mail: Mail) -> None:
    sign_in(client, center.staff)
    page = client.get("/outbox")
    done = client.post("/outbox/retry-dead", data={"csrf_token": csrf_of(page.text)})
    assert done.status_code == 200 and "已重新排队" in done.text
    assert status_of(center, mail.ids[1]) == "queued"
    assert "重发全部失败邮件" not in done.text  # none dead any more


def test_a_sent_message_is_not_retried(center: Center, client: TestClient) -> None:
    rt = build_runtime(center.settings)
    with rt.sessions() as session:
        sent = session.scalar(select(OutboxMessage.id).where(OutboxMessage.status == "sent").limit(1))
    rt.dispose()
    if sent is None:
        pytest.skip("the demo sent no mail")
    sign_in(client, center.staff)
    page = client.get(f"/outbox/{sent}")
    assert "重新发送" not in page.text
    refused = client.post(f"/outbox/{sent}/retry", data={"csrf_token": csrf_of(page.text)})
    assert refused.status_code == 200 and "无需重发" in refused.text
    assert status_of(center, sent) == "sent"


def test_the_jobs_page_retries_a_dead_tick(center: Center, client: TestClient, mail: Mail) -> None:
    sign_in(client, center.staff)
    page = client.get("/jobs")
    assert page.status_code == 200
    assert "任务表" in page.text and "reminders" in page.text and "下次运行" in page.text
    assert ESCAPED_APPLICANT in page.text and HOSTILE_APPLICANT not in page.text
    key = "reminders@2012-10-08T08:00"
    assert f'name="key" value="{key}"' in page.text
    done = client.post("/jobs/retry", data={"key": key, "csrf_token": csrf_of(page.text)})
    assert done.status_code == 200 and f"已安排重新运行: {key}" in done.text
    rt = build_runtime(center.settings)
    with rt.sessions() as session:
        assert session.scalar(select(JobRun.status).where(JobRun.key == key)) == "scheduled"
    rt.dispose()
    again = client.post("/jobs/retry", data={"key": key, "csrf_token": csrf_of(page.text)})
    assert again.status_code == 200 and "未重新安排" in again.text


def test_settings_are_masked_and_for_admins_only(center: Center, client: TestClient) -> None:
    sign_in(client, center.staff)
    assert 'href="/settings"' not in client.get("/jobs").text
    assert client.get("/settings").status_code == 403
    with make_client(center) as admin:
        sign_in(admin, center.admin)
        page = admin.get("/settings")
        assert page.status_code == 200
        assert "smtp_password" in page.text and SMTP_PASSWORD not in page.text and "********" in page.text
        assert ESCAPED_APPLICANT in page.text and HOSTILE_APPLICANT not in page.text
        assert 'href="/users"' in page.text


def test_english_pages(center: Center, mail: Mail) -> None:
    with make_client(center, locale="en") as client:
        sign_in(client, center.admin)
        for path, heading in (
            ("/import", "Import a spreadsheet"),
            ("/outbox", "Outbox"),
            (f"/outbox/{mail.ids[0]}", "Attachments"),
            ("/jobs", "Scheduled jobs"),
            ("/settings", "Effective settings"),
        ):
            page = client.get(path)
            assert page.status_code == 200 and heading in page.text, path
