"""``legalaid mail status|show|retry|flush`` on the embedded setup (SQLite, .eml files)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from smtp_server import queue_mail

from cli import _common, main
from legalaid.mail import Attachment
from legalaid.runtime import Runtime


@pytest.fixture(autouse=True)
def _fresh_cli_runtime() -> Iterator[None]:
    # The CLI caches its runtime per process; each test has its own database.
    _common.reset_runtime()
    yield
    _common.reset_runtime()


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:  # type: ignore[type-arg]
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_status_flush_show_and_retry(rt: Runtime, capsys: pytest.CaptureFixture[str]) -> None:
    # rt and the CLI share ./var: the test runs in its temporary folder.
    good = queue_mail(
        rt,
        "assignment:(2012)001:P7",
        subject="指派通知",
        text="受援人电话 13812345678",
        attachments=(Attachment("指派通知书-2012民援第001号.docx", b"PK" * 10),),
    )
    bad = queue_mail(rt, "reminder:closure:C2:7", to=("张律师",))

    status = _json(capsys, ["mail", "status", "--json"])
    assert status["counts"] == {"queued": 2, "sending": 0, "sent": 0, "dead": 0}
    assert status["due_now"] == 2 and status["oldest_queued_age_seconds"] >= 0

    assert _json(capsys, ["mail", "flush", "--dry-run", "--json"]) == {"due": [good, bad]}
    assert main(["mail", "flush", "--json"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"sent": 1, "retry": 0, "dead": 1, "skipped": 0}
    assert "1 message(s) not delivered" in captured.err
    assert len(list((rt.settings.mail_dir).rglob("*.eml"))) == 1

    status = _json(capsys, ["mail", "status", "--json"])
    assert status["counts"]["dead"] == 1
    [dead] = status["dead"]
    assert (dead["id"], dead["key"], dead["to"]) == (bad, "reminder:closure:C2:7", ["张律师"])
    assert "no valid recipient address" in dead["last_error"]
    assert main(["mail", "status"]) == 0
    assert "legalaid mail retry" in capsys.readouterr().out

    shown = _json(capsys, ["mail", "show", str(good), "--json"])
    assert shown["status"] == "sent" and shown["attempts"] == 1
    assert shown["headers"]["Subject"] == "指派通知"
    assert shown["headers"]["Message-ID"] == shown["message_id"]
    assert shown["attachments"] == [
        {
            "filename": "指派通知书-2012民援第001号.docx",
            "content_type": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "size": 20,
        }
    ]
    assert shown["text"] == "受援人电话 138****5678"
    assert main(["mail", "show", str(good)]) == 0
    assert "attachment: 指派通知书-2012民援第001号.docx" in capsys.readouterr().out

    assert main(["mail", "retry", "--dead", "--dry-run"]) == 0
    assert f"would queue 1 message(s) again: {bad}" in capsys.readouterr().out
    assert _json(capsys, ["mail", "status", "--json"])["counts"]["dead"] == 1  # dry run changed nothing
    assert main(["mail", "retry", str(bad)]) == 0
    assert f"queued 1 message(s) again: {bad}" in capsys.readouterr().out
    assert _json(capsys, ["mail", "status", "--json"])["counts"] == {
        "queued": 1,
        "sending": 0,
        "sent": 1,
        "dead": 0,
    }


def test_mistakes_are_one_line_errors(rt: Runtime, capsys: pytest.CaptureFixture[str]) -> None:
    sent = queue_mail(rt, "k:sent")
    assert main(["mail", "flush"]) == 0
    capsys.readouterr()

    assert main(["mail", "show", "999"]) == 2
    assert "no outbox message 999" in capsys.readouterr().err
    assert main(["mail", "retry"]) == 2
    assert "name one message ID or --dead" in capsys.readouterr().err
    assert main(["mail", "retry", str(sent)]) == 2
    assert f"outbox {sent} is sent" in capsys.readouterr().err


def test_smtp_settings_missing_is_a_clear_error(
    rt: Runtime, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEGALAID_MAIL_TRANSPORT", "smtp")
    queue_mail(rt, "k:no-smtp")
    assert main(["mail", "flush"]) == 2
    assert "LEGALAID_SMTP_HOST: required" in capsys.readouterr().err


def test_show_never_prints_the_smtp_password(
    rt: Runtime, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEGALAID_SMTP_PASSWORD", "Real-Secret-5821")
    outbox_id = queue_mail(rt, "k:secret")
    for argv in (["mail", "show", str(outbox_id), "--json"], ["mail", "status", "--json"]):
        assert main(argv) == 0
        assert "Real-Secret-5821" not in capsys.readouterr().out
