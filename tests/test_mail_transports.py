"""The file and console transports, the choice of transport, and SMTP settings checks."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from smtp_server import queue_mail

from legalaid.config import Settings
from legalaid.errors import ConfigError
from legalaid.mail import (
    DEFAULT_POLICY,
    Attachment,
    ConsoleTransport,
    FileTransport,
    Outcome,
    SmtpTransport,
    claim,
    compose,
    deliver_one,
    flush,
    make_transport,
)
from legalaid.models import utcnow
from legalaid.paths import safe_file_name
from legalaid.runtime import Runtime


def test_the_file_transport_writes_one_eml_per_message_under_the_day(rt: Runtime) -> None:
    outbox_id = queue_mail(
        rt,
        "reminder:closure:(2012)民援字第001号:7",
        subject="结案材料提交提醒",
        attachments=(Attachment("结案登记表.docx", b"PK"),),
    )
    # 23:30 UTC is already the next day in Shanghai: the folder is the center's day.
    clock = lambda: datetime(2012, 10, 7, 23, 30, tzinfo=UTC)  # noqa: E731
    transport = FileTransport(rt.settings.mail_dir, tz=rt.settings.tz, clock=clock)

    assert deliver_one(rt, outbox_id, transport=transport) is Outcome.SENT

    [path] = transport.written
    assert (
        path == rt.settings.mail_dir / "2012-10-08" / f"{outbox_id}-reminder_closure_2012_民援字第001号_7.eml"
    )
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert message["Subject"] == "结案材料提交提醒"
    assert [a.get_filename() for a in message.iter_attachments()] == ["结案登记表.docx"]
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind


def test_a_resend_after_a_crash_rewrites_the_same_file_with_the_same_bytes(
    rt: Runtime, tmp_path: Path
) -> None:
    outbox_id = queue_mail(rt, "k:resend")
    transport = FileTransport(tmp_path / "mail")
    t0 = utcnow()
    # A worker claims the row, writes the file, and is killed before it can record "sent".
    with rt.transaction() as session:
        claimed = claim(session, outbox_id, now=t0)
    assert claimed is not None
    # As the deliver task composes it (legalaid.mail.delivery): the From header names the center.
    transport.send(
        compose(claimed.mail, mail_from=rt.settings.mail_from, sender_name=rt.settings.center_name)
    )
    first = transport.written[0].read_bytes()

    later = t0 + DEFAULT_POLICY.lease + timedelta(seconds=1)
    assert flush(rt, transport=transport, now=later) == {Outcome.SENT: 1}  # reclaimed, then sent again

    assert transport.written[0] == transport.written[1]
    assert transport.written[1].read_bytes() == first
    assert len(list(transport.written[0].parent.iterdir())) == 1


def test_an_unwritable_folder_is_a_temporary_failure(rt: Runtime, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    outbox_id = queue_mail(rt, "k:unwritable")
    assert deliver_one(rt, outbox_id, transport=FileTransport(blocker)) is Outcome.RETRY


def test_the_console_transport_prints_a_readable_message(rt: Runtime) -> None:
    queue_mail(
        rt,
        "k:console",
        subject="值班提醒：明日上午",
        text="明天上午请到劳动仲裁委法律援助咨询点值班。",
        attachments=(Attachment("值班.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"),),
    )
    out = io.StringIO()
    assert flush(rt, transport=ConsoleTransport(out)) == {Outcome.SENT: 1}
    printed = out.getvalue()
    assert "Subject: 值班提醒：明日上午" in printed
    assert "明天上午请到劳动仲裁委法律援助咨询点值班。" in printed
    assert "[attachment] 值班.ics (text/calendar, 32 bytes)" in printed


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("report:annual:2012:leaders", "report_annual_2012_leaders"),
        ("../../etc/passwd", "etc_passwd"),
        ("::", "mail"),
        ("x" * 200, "x" * 80),
    ],
)
def test_safe_name(key: str, expected: str) -> None:
    assert safe_file_name(key, suffix="", from_key=True, default="mail") == expected


def test_make_transport_follows_the_setting(tmp_path: Path) -> None:
    assert isinstance(make_transport(Settings(data_dir=tmp_path)), FileTransport)
    assert isinstance(make_transport(Settings(data_dir=tmp_path, mail_transport="console")), ConsoleTransport)
    smtp = make_transport(
        Settings(
            data_dir=tmp_path,
            mail_transport="smtp",
            smtp_host="mail.example.org",
            smtp_user="center",
            smtp_password="Real-Secret-5821",
            smtp_security="starttls",
            mail_from="中心 <center@example.org>",
        )
    )
    assert isinstance(smtp, SmtpTransport)
    assert smtp.envelope_from == "center@example.org"
    assert "Real-Secret-5821" not in repr(smtp) + str(vars(smtp).get("user"))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"smtp_host": ""}, "LEGALAID_SMTP_HOST"),
        ({"mail_from": ""}, "LEGALAID_MAIL_FROM"),
        ({"mail_from": "not an address"}, "LEGALAID_MAIL_FROM"),
        # yagmail would read the keyring and then prompt on the terminal: a worker would hang.
        ({"smtp_user": "center"}, "LEGALAID_SMTP_PASSWORD"),
    ],
)
def test_make_transport_refuses_an_incomplete_smtp_setup(
    tmp_path: Path, overrides: dict[str, str], message: str
) -> None:
    values = {
        "data_dir": tmp_path,
        "mail_transport": "smtp",
        "smtp_host": "mail.example.org",
        "mail_from": "center@example.org",
    }
    values.update(overrides)
    with pytest.raises(ConfigError, match=message):
        make_transport(Settings(**values))  # type: ignore[arg-type]
