"""Composing (pure), rendering templates, and the retry policy: no database, no server."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from jinja2 import UndefinedError

from legalaid.mail import (
    Attachment,
    OutgoingMail,
    PermanentFailure,
    RetryPolicy,
    check_templates,
    compose,
    message_id_for,
    normalize_address,
    render_email,
    template_variables,
)
from legalaid.mail.render import template_names

CREATED = datetime(2012, 10, 8, 1, 30, tzinfo=UTC)


def _mail(**overrides: object) -> OutgoingMail:
    values: dict[str, object] = {
        "outbox_id": 7,
        "key": "assignment:(2012)001",
        "message_id": message_id_for("assignment:(2012)001", "center@legalaid.example.org"),
        "to": ("zhang@example.org",),
        "subject": "指派通知",
        "text": "正文\n第二行\n",
        "created_at": CREATED,
    }
    values.update(overrides)
    return OutgoingMail(**values)  # type: ignore[arg-type]


# Compose ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mail_from", "subject", "to"),
    [
        ("法律援助中心 <center@legalaid.example.org>", "指派通知", ("zhang@example.org",)),
        # a long Chinese subject is folded over several encoded words and lines
        (
            "center@legalaid.example.org",
            "指派通知：" + "某区法律援助中心" * 12,
            ("a@example.org", "b@example.org"),
        ),
        (
            "某区法律援助中心（值班） <center@legalaid.example.org>",
            "Re: assignment (2012) 35",
            ("zhang@example.org",),
        ),
    ],
)
def test_decoded_headers_read_as_a_mail_program_reads_them(
    mail_from: str, subject: str, to: tuple[str, ...]
) -> None:
    composed = compose(_mail(subject=subject, to=to, cc=("li@example.org",)), mail_from=mail_from)
    names = ("From", "To", "Cc", "Subject", "Date", "Message-ID", "X-Absent")
    parsed = composed.parsed()  # the email package's modern policy: the reference
    assert composed.decoded_headers(names) == {
        name: str(parsed[name]) for name in names if parsed[name] is not None
    }


def test_the_same_row_composes_to_the_same_bytes() -> None:
    mail = _mail(html="<p>正文</p>", attachments=(Attachment("附件.pdf", b"%PDF-1.4"),))
    first = compose(mail, mail_from="法律援助中心 <center@legalaid.example.org>")
    second = compose(mail, mail_from="法律援助中心 <center@legalaid.example.org>")
    assert first.data == second.data
    message = first.parsed()
    assert message["Message-ID"] == mail.message_id
    assert message["Date"].datetime == CREATED
    assert message["Auto-Submitted"] == "auto-generated"
    assert [p.get_content_type() for p in message.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "application/pdf",
    ]


def test_message_id_depends_on_the_key_only_and_uses_the_sender_domain() -> None:
    one = message_id_for("reminder:closure:C1:7", "a@legalaid.example.org")
    assert one == message_id_for("reminder:closure:C1:7", "中心 <b@legalaid.example.org>")
    assert one != message_id_for("reminder:closure:C1:8", "a@legalaid.example.org")
    # Issue 12: the configured domain itself, not legalaid.<domain> nor a made-up legalaid.local.
    assert one.endswith("@legalaid.example.org>") and "@legalaid.legalaid." not in one
    assert message_id_for("k", "").endswith("@localhost>")  # the fallback sender's domain


def test_without_mail_from_the_fallback_sender_is_used() -> None:
    composed = compose(_mail(), mail_from="")
    assert composed.envelope_from == "legalaid@localhost"
    assert composed.parsed()["From"] == "legalaid@localhost"


def test_the_from_header_names_the_center_rfc2047_encoded() -> None:
    composed = compose(_mail(), mail_from="", sender_name="XX区法律援助中心")
    assert composed.envelope_from == "legalaid@localhost"
    assert composed.parsed()["From"] == "XX区法律援助中心 <legalaid@localhost>"
    raw = composed.data.decode("ascii")  # the header on the wire is ASCII: an encoded word
    assert "From: =?utf-8?b?" in raw and "<legalaid@localhost>" in raw
    # A display name in mail_from itself wins; a bare mail_from gets the center's name.
    named = compose(_mail(), mail_from="援助中心 <c@example.org>", sender_name="XX区法律援助中心")
    assert named.parsed()["From"] == "援助中心 <c@example.org>"
    bare = compose(_mail(), mail_from="c@example.org", sender_name="XX区法律援助中心")
    assert bare.parsed()["From"] == "XX区法律援助中心 <c@example.org>"


def test_a_malformed_mail_from_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="mail_from"):
        compose(_mail(), mail_from="center at example")


def test_recipients_are_deduplicated_and_a_copy_to_a_direct_recipient_dropped() -> None:
    composed = compose(
        _mail(to=("a@example.org", "A@example.org", "a@example.org"), cc=("a@example.org", "b@example.org")),
        mail_from="",
    )
    assert composed.recipients == ("a@example.org", "A@example.org", "b@example.org")
    assert composed.parsed()["Cc"] == "b@example.org"


def test_no_valid_recipient_is_permanent() -> None:
    with pytest.raises(PermanentFailure, match="no valid recipient"):
        compose(_mail(to=("张三",), cc=("x@",)), mail_from="")


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("lawyer@example.org", "lawyer@example.org"),
        ("  lawyer@example.org ", "lawyer@example.org"),
        ("li.si+legalaid@mail.example.cn", "li.si+legalaid@mail.example.cn"),
        ("center@法律援助.中国", "center@xn--7frr31a1mdzrl.xn--fiqs8s"),
        ("lawyer@localhost", "lawyer@localhost"),
        ("lawyer-at-example.org", None),
        ("a@b@example.org", None),
        ("张律师@example.org", None),
        ("lawyer@example..org", None),
        ("lawyer @example.org", None),
        ("<lawyer@example.org>", None),
        ("lawyer@example.org, other@example.org", None),
    ],
)
def test_normalize_address(address: str, expected: str | None) -> None:
    assert normalize_address(address) == expected


def test_a_text_attachment_keeps_its_bytes_and_an_unknown_type_is_octet_stream() -> None:
    raw = "第一行\r\n第二行".encode("gb18030")
    composed = compose(
        _mail(attachments=(Attachment("旧系统导出.txt", raw), Attachment("数据.xyz123", b"\x00\x01"))),
        mail_from="",
    )
    text, blob = list(composed.parsed().iter_attachments())
    assert text.get_payload(decode=True) == raw
    assert text.get_filename() == "旧系统导出.txt"
    assert blob.get_content_type() == "application/octet-stream"


def test_extra_headers_are_written() -> None:
    composed = compose(
        _mail(headers={"X-Legalaid-Kind": "reminder", "Reply-To": "staff@example.org"}), mail_from=""
    )
    message = composed.parsed()
    assert message["X-Legalaid-Kind"] == "reminder"
    assert message["Reply-To"] == "staff@example.org"


# Render ----------------------------------------------------------------------------------------------------

NOTICE = {
    "subject": "关于（2012）民援字第001号案件的通知",
    "recipient_name": "张律师",
    "paragraphs": ["受援人李四，身份证号 330201199001011234，电话 13812345678。", "请于三日内联系。"],
}


def test_notice_renders_in_chinese_with_numbers_masked() -> None:
    email = render_email("notice", NOTICE)
    assert email.subject == NOTICE["subject"]
    assert email.text.startswith("张律师：\n")
    assert "3302**********1234" in email.text and "138****5678" in email.text
    assert "330201199001011234" not in email.text + (email.html or "")
    assert email.html is not None and "<p>请于三日内联系。</p>" in email.html


def test_notice_renders_in_english() -> None:
    email = render_email("notice", NOTICE, locale="en")
    assert email.text.startswith("Dear 张律师,")


def test_html_is_escaped_and_text_is_not() -> None:
    email = render_email("notice", {**NOTICE, "recipient_name": "A & B <律所>"})
    assert "A & B <律所>：" in email.text
    assert email.html is not None and "A &amp; B &lt;律所&gt;" in email.html


def test_a_missing_variable_is_an_error_not_an_empty_string() -> None:
    with pytest.raises(UndefinedError, match="recipient_name"):
        render_email("notice", {"subject": "s", "paragraphs": []})


def test_a_template_cannot_reach_python_internals(tmp_path: Path) -> None:
    folder = tmp_path / "email" / "zh_CN"
    folder.mkdir(parents=True)
    (folder / "evil.subject.txt").write_text("x")
    (folder / "evil.txt").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    from jinja2.exceptions import SecurityError

    with pytest.raises(SecurityError):
        render_email("evil", {}, root=tmp_path)


def test_a_subject_is_one_line() -> None:
    email = render_email("notice", {**NOTICE, "subject": "第一行\n第二行"})
    assert email.subject == "第一行 第二行"


def test_the_shipped_templates_are_complete_in_every_locale() -> None:
    assert check_templates() == []
    assert template_names(locale="zh_CN") == template_names(locale="en")
    assert {"subject", "recipient_name", "paragraphs"} <= template_variables("notice")


def test_check_templates_names_a_missing_translation(tmp_path: Path) -> None:
    for locale in ("zh_CN", "en"):
        (tmp_path / "email" / locale).mkdir(parents=True)
    (tmp_path / "email" / "zh_CN" / "only.subject.txt").write_text("{{ x }}")
    (tmp_path / "email" / "zh_CN" / "only.txt").write_text("{{ x")
    problems = check_templates(root=tmp_path)
    syntax_error = "only.txt:1: unexpected end of template, expected 'end of print statement'."
    assert any(p.endswith(syntax_error) for p in problems)  # the file and the line
    assert any("missing in en" in p for p in problems)


# Retry policy ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempts", "expected"),
    [
        (1, timedelta(minutes=1)),
        (2, timedelta(minutes=2)),
        (3, timedelta(minutes=4)),
        (6, timedelta(minutes=32)),
        (7, timedelta(hours=1)),  # capped
        (500, timedelta(hours=1)),  # no overflow
    ],
)
def test_backoff_doubles_up_to_the_cap(attempts: int, expected: timedelta) -> None:
    assert RetryPolicy(jitter=0).delay(attempts) == expected


def test_jitter_spreads_retries_within_bounds() -> None:
    policy = RetryPolicy(jitter=0.25)
    rng = random.Random(1)
    delays = {policy.delay(3, rng) for _ in range(200)}
    assert len(delays) > 100
    assert min(delays) >= timedelta(minutes=3) and max(delays) <= timedelta(minutes=5)


def test_the_last_attempt_is_made_at_the_horizon_and_then_none() -> None:
    policy = RetryPolicy(jitter=0, horizon=timedelta(hours=1))
    since = CREATED
    assert policy.next_attempt_at(attempts=1, now=since, since=since) == since + timedelta(minutes=1)
    near_end = since + timedelta(minutes=59)
    assert policy.next_attempt_at(attempts=6, now=near_end, since=since) == since + timedelta(hours=1)
    assert policy.next_attempt_at(attempts=7, now=since + timedelta(hours=1), since=since) is None


@pytest.mark.parametrize(
    "filename",
    [
        "指派通知书-2012民援第001号.docx",
        "指派通知书-" + "受援人张三追索劳动报酬纠纷" * 12 + ".docx",  # ~1,400 characters once percent-encoded
        'report "final" 2012.pdf',
        "a" * 120 + ".txt",
    ],
)
def test_attachment_names_of_any_length_keep_lines_short_and_come_back_intact(filename: str) -> None:
    composed = compose(_mail(attachments=(Attachment(filename, b"x"),)), mail_from="")
    assert max(len(line) for line in composed.data.split(b"\r\n")) <= 78
    [attachment] = list(composed.parsed().iter_attachments())
    assert attachment.get_filename() == filename
    assert attachment.get_param("name") == filename


@pytest.mark.parametrize(
    "subject",
    [
        "s" * 200,
        "Reminder: the closure materials of case (2012) No. 001 are due in 7 days; please submit them",
        "关于（2012）民援字第001号案件的指派通知——请于三日内与受援人联系并提交首次联系记录" * 2,
    ],
)
def test_long_subjects_fold_and_come_back_intact(subject: str) -> None:
    composed = compose(_mail(subject=subject), mail_from="")
    assert max(len(line) for line in composed.data.split(b"\r\n")) < 100
    assert composed.parsed()["Subject"] == subject
