"""ID-card and mobile numbers on their way out: masked in everything a mail client shows (subject, text,
HTML, attachment names), in the outbox and in the log; whole in the attached case documents, which are
the center's record and must carry them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from builders import make_decided_case, make_lawyer
from mailroom import deliver_all
from readback import docx_text
from safety_scan import parse_eml, unmasked_personal
from sqlalchemy import select

from legalaid.casework import assign_case, notify_case_changes
from legalaid.logs import command_logging
from legalaid.mail import Attachment, enqueue
from legalaid.models import OutboxAttachment, OutboxMessage
from legalaid.runtime import Runtime

OLD_ID, NEW_ID, MOBILE = "330203800101123", "33020319800101123X", "13812345678"
NUMBERS = (OLD_ID, NEW_ID, MOBILE)
DAY = date(2012, 10, 12)  # the assignment, and today: a notice is news
MATTER = f"追索劳动报酬（受援人身份证{NEW_ID}，旧证{OLD_ID}，手机{MOBILE}）"


def _shown(path: Path) -> tuple[str, list[bytes]]:
    """What a mail client shows of an .eml file (subject, text and HTML, attachment names), and the
    attachments' bytes."""
    message = parse_eml(path.read_bytes())
    shown = [str(message["Subject"])]
    attachments = []
    for part in message.walk():
        if part.get_filename():
            shown.append(part.get_filename() or "")
            attachments.append(part.get_payload(decode=True))
        elif part.get_content_maintype() == "text":
            shown.append(part.get_content())
    return "\n".join(shown), [a for a in attachments if isinstance(a, bytes)]


def test_an_assignment_notice_masks_the_numbers_and_its_word_file_keeps_them(
    rt: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    with rt.transaction() as session:
        lawyer = make_lawyer(session)
        lawyer.email = "lawyer@firm.example"
        make_decided_case(session, case_no="2012民援第001号", matter=MATTER, assigned_on=None, lawyer=None)
    settings = rt.settings.model_copy(update={"log_format": "json", "log_level": "DEBUG"})
    with command_logging(settings):
        with rt.transaction() as session:
            change = assign_case(session=session, case_no="2012民援第001号", lawyer_code=lawyer.code, on=DAY)
            report = notify_case_changes(session, rt.settings, assignments=[change], today=DAY)
        assert len(report.queued) == 1
        deliver_all(rt)
    [path] = sorted(rt.settings.mail_dir.rglob("*.eml"))
    shown, [document] = _shown(path)
    assert "3302**********123X" in shown and "3302********123" in shown and "138****5678" in shown
    assert unmasked_personal(shown) == []
    assert all(number in docx_text(document) for number in NUMBERS)
    with rt.sessions() as session:
        row = session.scalars(select(OutboxMessage)).one()
        assert unmasked_personal("\n".join([row.subject, row.body_text, row.body_html or ""])) == []
    log = capsys.readouterr().err
    assert [json.loads(line) for line in log.splitlines()]  # JSON, and something was logged
    assert unmasked_personal(log) == []


def test_subject_bodies_and_attachment_names_are_masked_and_attachment_content_is_not(rt: Runtime) -> None:
    content = f"回执：{NEW_ID} {MOBILE}".encode()
    with rt.transaction() as session:
        enqueue(
            session,
            key="safety:personal",
            to=["staff@center.example"],
            subject=f"受援人{MOBILE}的回访",
            text=f"身份证{OLD_ID}，手机{MOBILE}",
            html=f"<p>身份证{NEW_ID}</p>",
            attachments=[Attachment(f"回执-{MOBILE}.txt", content)],
        )
    deliver_all(rt)
    [path] = sorted(rt.settings.mail_dir.rglob("*.eml"))
    shown, [attachment] = _shown(path)
    assert "受援人138****5678的回访" in shown and "回执-138****5678.txt" in shown
    assert unmasked_personal(shown) == []
    assert attachment == content
    with rt.sessions() as session:
        assert session.scalar(select(OutboxAttachment.filename)) == "回执-138****5678.txt"
