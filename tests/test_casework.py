"""The case-assigned trigger: the 指派通知书 by email to the lawyer (firm in cc), exactly once per
assignment; a reassignment tells the previous lawyer; decisions send their letters to the center staff."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from builders import make_decided_case, make_lawyer
from mailroom import outbox
from readback import docx_texts
from smtp_server import SmtpTestServer
from sqlalchemy import func, select

from cli import main
from legalaid.casework import NoticeReport, assign_case, import_hook, notify_case_changes
from legalaid.errors import UserError
from legalaid.importing import import_file, write_csv
from legalaid.models import CaseEvent, GeneratedDocument, Person
from legalaid.models.enums import Decision, Role
from legalaid.runtime import Runtime

TODAY = date(2012, 10, 12)


def _center(rt: Runtime) -> dict[str, Person]:
    """Two lawyers of one firm, a staff member and the head of the center."""
    with rt.transaction() as session:
        first = make_lawyer(session, name="李明")
        second = Person(code="L2", name="张华", role=Role.lawyer, email="zhang@firm.example", firm=first.firm)
        first.email = "li@firm.example"
        staff = Person(code="S1", name="陈静", role=Role.staff, email="chen@center.example")
        head = Person(code="H1", name="周主任", role=Role.leader, email="zhou@center.example")
        session.add_all([second, staff, head])
        make_decided_case(session, case_no="2012民援第001号", assigned_on=None, lawyer=None)
        return {"first": first, "second": second, "staff": staff}


def _docx_words(content: bytes) -> list[str]:
    paragraphs, cells = docx_texts(content)
    return paragraphs + cells


def test_assignment_queues_the_notice_with_the_letter_once(rt: Runtime) -> None:
    people = _center(rt)
    with rt.transaction() as session:
        change = assign_case(
            session=session, case_no="2012民援第001号", lawyer_code=people["first"].code, on=TODAY
        )
        report = notify_case_changes(session, rt.settings, assignments=[change], today=TODAY)
    assert len(report.queued) == 1 and report.problems == []
    [message] = outbox(rt)
    assert message.to_addrs == ["li@firm.example"] and message.cc_addrs == ["office@firm.example"]
    assert message.subject == "指派通知书：2012民援第001号（王*明）"  # masked, as the digests mask it
    assert "李明" in message.body_text and "5日内" in message.body_text
    [attachment] = message.attachments
    assert attachment.filename == "指派通知书-2012民援第001号.docx"
    assert {"李明", "2012民援第001号", "王小明"} <= set(_docx_words(attachment.content))
    with rt.transaction() as session:
        assert session.scalar(select(func.count()).select_from(GeneratedDocument)) == 1
        # The same change notified again (a re-run, a second process) adds nothing.
        again = notify_case_changes(session, rt.settings, assignments=[change], today=TODAY)
    assert again.queued == report.queued
    assert len(outbox(rt)) == 1


def test_reassignment_notifies_the_new_lawyer_and_tells_the_previous_one(rt: Runtime) -> None:
    people = _center(rt)
    with rt.transaction() as session:
        first = assign_case(
            session=session, case_no="2012民援第001号", lawyer_code=people["first"].code, on=TODAY
        )
        notify_case_changes(session, rt.settings, assignments=[first], today=TODAY)
    later = TODAY + timedelta(days=3)
    with rt.transaction() as session:
        second = assign_case(session=session, case_no="2012民援第001号", lawyer_code="L2", on=later)
        notify_case_changes(session, rt.settings, assignments=[second], today=later)
        events = session.scalars(select(CaseEvent.detail).where(CaseEvent.kind == "lawyer")).all()
    assert events == [f"→{people['first'].code}", f"{people['first'].code}→L2"]
    notice, moved = outbox(rt)[1:]
    assert notice.to_addrs == ["zhang@firm.example"] and notice.attachments
    assert moved.to_addrs == ["li@firm.example"] and not moved.attachments
    assert moved.subject == "案件已改派：2012民援第001号"
    assert "改派张华承办" in moved.body_text


@pytest.mark.parametrize(
    ("lawyer_code", "message"),
    [
        ("NOBODY", "person NOBODY: no such person"),
        ("S1", "person S1 (陈静) is staff, not a lawyer or legal worker"),
    ],
)
def test_bad_assignment_is_refused_and_changes_nothing(rt: Runtime, lawyer_code: str, message: str) -> None:
    _center(rt)
    with pytest.raises(UserError, match=re.escape(message)), rt.transaction() as session:
        assign_case(session=session, case_no="2012民援第001号", lawyer_code=lawyer_code, on=TODAY)
    assert outbox(rt) == []


def test_denied_case_is_not_assigned(rt: Runtime) -> None:
    people = _center(rt)
    with rt.transaction() as session:
        make_decided_case(session, case_no="2012民援第002号", decision=Decision.denied, assigned_on=None)
    with pytest.raises(UserError, match="legal aid was denied"), rt.transaction() as session:
        assign_case(session=session, case_no="2012民援第002号", lawyer_code=people["first"].code, on=TODAY)


def _cases_file(folder: Path, rows: list[dict[str, object]]) -> Path:
    headers = ["case_no", "case_type", "applicant", "applied_on", "decided_on", "decision", "decision_reason",
               "assigned_on", "lawyer"]  # fmt: skip
    path = folder / "cases.csv"
    write_csv(path, headers, rows)
    return path


def test_import_sends_notices_for_recent_changes_only_and_once(rt: Runtime, tmp_path: Path) -> None:
    people = _center(rt)
    lawyer = people["first"].code
    recent = {"case_type": "civil", "applicant": "赵六", "applied_on": TODAY - timedelta(days=4),
              "decided_on": TODAY - timedelta(days=2), "decision": "granted", "assigned_on": TODAY,
              "lawyer": lawyer}  # fmt: skip
    old = {
        **recent,
        "applied_on": date(2010, 1, 4),
        "decided_on": date(2010, 1, 6),
        "assigned_on": date(2010, 1, 8),
    }
    denied = {"case_type": "civil", "applicant": "钱七", "applied_on": TODAY - timedelta(days=5),
              "decided_on": TODAY - timedelta(days=1), "decision": "denied",
              "decision_reason": "经济状况不符合条件"}  # fmt: skip
    path = _cases_file(
        tmp_path,
        [
            {"case_no": "2012民援第010号", **recent},
            {"case_no": "2010民援第001号", **old},
            {"case_no": "2012民援第011号", **denied},
        ],
    )
    reports: list[NoticeReport] = []
    import_file(rt, "cases", path, on_changes=import_hook(rt.settings, today=TODAY, reports=reports))
    [report] = reports
    # The 2012 case: its assignment notice and its grant letter; the denial letter; the 2010 case is history.
    assert report.history == 2 and report.problems == []
    subjects = sorted(m.subject for m in outbox(rt))
    assert subjects == [
        "不予法律援助决定书：2012民援第011号",
        "指派通知书：2012民援第010号（赵*）",
        "给予法律援助决定书：2012民援第010号",
    ]
    denial = next(m for m in outbox(rt) if m.subject.startswith("不予"))
    assert denial.to_addrs == ["chen@center.example"]
    assert any("经济状况不符合条件" in text for text in _docx_words(denial.attachments[0].content))
    # The same file again changes nothing and sends nothing.
    import_file(rt, "cases", path, on_changes=import_hook(rt.settings, today=TODAY, reports=reports))
    assert len(outbox(rt)) == 3


def test_cli_assign_dry_run_changes_nothing(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    people = _center(rt)
    monkeypatch.setenv("LEGALAID_DATA_DIR", str(rt.settings.data_dir))
    code = people["first"].code
    assert main(["case", "assign", "2012民援第001号", code, "--on", "2012-10-12", "--dry-run"]) == 0
    assert "would be assigned" in capsys.readouterr().out
    assert outbox(rt) == []
    assert main(["case", "assign", "2012民援第001号", code, "--on", "2012-10-12"]) == 0
    assert main(["case", "assign", "2012民援第001号", code, "--on", "2012-10-12"]) == 2
    assert f"already assigned to {code}" in capsys.readouterr().err
    assert main(["case", "assign", "2012民援第001号", code, "--on", "2012-13-01"]) == 2
    assert "--on: '2012-13-01' is not a date" in capsys.readouterr().err


def test_assignment_notice_arrives_over_smtp_and_opens_in_word(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    people = _center(rt)
    with SmtpTestServer() as server:
        for name, value in {
            "LEGALAID_DATA_DIR": str(rt.settings.data_dir),
            "LEGALAID_MAIL_TRANSPORT": "smtp",
            "LEGALAID_SMTP_HOST": server.host,
            "LEGALAID_SMTP_PORT": str(server.port),
            "LEGALAID_MAIL_FROM": "center@legalaid.example",
        }.items():
            monkeypatch.setenv(name, value)
        # A notice is news only within the window around today; the case is assigned today.
        assert main(["case", "assign", "2012民援第001号", people["first"].code]) == 0
        assert main(["mail", "flush"]) == 0
        [received] = server.wait_for(1)
    message = received.message
    assert set(received.recipients) == {"li@firm.example", "office@firm.example"}
    assert message["Subject"] == "指派通知书：2012民援第001号（王*明）"  # masked, as the digests mask it
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "指派通知书-2012民援第001号.docx"
    content = attachment.get_content()
    assert isinstance(content, bytes)
    assert "李明" in "\n".join(_docx_words(content))
