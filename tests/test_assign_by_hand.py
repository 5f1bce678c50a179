"""An assignment made by hand sends its 指派通知书 whatever its date: the notice window
(``notice_window_days``) is for imports of a center's history, not for a person's act (an import of old
assignments still sends nothing: tests/test_casework.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from builders import make_decided_case, make_lawyer
from mailroom import outbox

from cli import main
from legalaid.casework import assign_and_notify
from legalaid.casework.notices import business_today
from legalaid.runtime import Runtime

TODAY = date(2012, 11, 11)


def _lawyer_and_case(rt: Runtime) -> str:
    with rt.transaction() as session:
        lawyer = make_lawyer(session, name="李明")
        lawyer.email = "li@firm.example"
        make_decided_case(session, case_no="2012民援第001号", assigned_on=None, lawyer=None)
        return lawyer.code


def test_an_assignment_dated_30_days_ago_queues_the_notice(rt: Runtime) -> None:
    code = _lawyer_and_case(rt)
    on = TODAY - timedelta(days=30)
    assert (TODAY - on).days > rt.settings.notice_window_days
    with rt.transaction() as session:
        result = assign_and_notify(
            session, rt.settings, case_no="2012民援第001号", lawyer_code=code, on=on, today=TODAY
        )
    assert result.notices.notices == 1 and result.notices.history == 0
    [message] = outbox(rt)
    assert message.to_addrs == ["li@firm.example"]
    assert message.idempotency_key == f"case:assigned:2012民援第001号:{code}:{on.isoformat()}"


def test_cli_assign_on_an_old_date_says_one_notice_queued(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _lawyer_and_case(rt)
    monkeypatch.setenv("LEGALAID_DATA_DIR", str(rt.settings.data_dir))
    on = business_today(rt.settings) - timedelta(days=30)
    assert main(["case", "assign", "2012民援第001号", code, "--on", on.isoformat()]) == 0
    assert "1 notice(s) queued" in capsys.readouterr().out
    assert len(outbox(rt)) == 1
