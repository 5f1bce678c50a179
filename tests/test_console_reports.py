"""The console's Reports page with FastAPI's TestClient: the ledger, a report built and its files
downloaded, sent once and sent again, a bad period refused in one line; no session, no CSRF token, and a
hostile firm name escaped."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import date

import pytest
from api import TestClient, csrf_of, sign_in
from builders import make_cases, make_reports_center
from mailroom import outbox
from sqlalchemy import select

from legalaid import users
from legalaid.models import Firm, ReportRun, utcnow
from legalaid.runtime import Runtime
from web import create_app

PASSWORD = "correct horse battery"
HOSTILE_FIRM = 'A&B <律所> "联合"'
ANNUAL = {"kind": "annual", "period": "2012", "firm": "", "as_of": "2013-01-20"}


@pytest.fixture
def center(rt: Runtime) -> Runtime:
    with rt.transaction() as session:
        ids = make_reports_center(session)
        make_cases(session, 3, applied_on=date(2012, 9, 3), lawyer=ids["L1"], decided_on=date(2012, 9, 4),
                   assigned_on=date(2012, 9, 5))  # fmt: skip
        firm = session.scalar(select(Firm).where(Firm.code == "F1"))
        assert firm is not None
        firm.name = HOSTILE_FIRM
        users.add_user(session, code="S1", role="staff", password=PASSWORD, now=utcnow())
    return rt


@pytest.fixture
def client(center: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(center.settings), raise_server_exceptions=True) as test_client:
        yield test_client


def signed_in(client: TestClient) -> str:
    """Sign S1 in; the session's CSRF token."""
    assert sign_in(client, "S1", PASSWORD).status_code == 303
    return csrf_of(client.get("/reports").text)


def test_without_a_session_or_the_csrf_token(client: TestClient, center: Runtime) -> None:
    for path in ("/reports", "/reports/runs/1/files/x.docx"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    assert client.post("/reports/build", data=ANNUAL, follow_redirects=False).status_code == 303
    signed_in(client)
    assert client.post("/reports/build", data=ANNUAL).status_code == 403
    assert client.post("/reports/build", data={**ANNUAL, "csrf_token": "forged"}).status_code == 403
    with center.sessions() as session:
        assert session.scalar(select(ReportRun)) is None


def test_a_report_built_and_its_files_downloaded(client: TestClient, center: Runtime) -> None:
    csrf = signed_in(client)
    assert "报表记录" in client.get("/reports").text
    built = client.post("/reports/build", data={**ANNUAL, "csrf_token": csrf, "action": "build"})
    assert built.status_code == 200, built.text
    assert 'role="status"' in built.text and "已生成" in built.text
    links = re.findall(r'href="(/reports/runs/\d+/files/[^"]+)"', built.text)
    assert [link[-5:] for link in links] == [".docx", ".xlsx"]
    for link in links:
        got = client.get(html.unescape(link))
        assert got.status_code == 200 and got.content[:2] == b"PK"
        assert "filename*=UTF-8''" in got.headers["content-disposition"]
    run_id = re.search(r"/reports/runs/(\d+)/", links[0]).group(1)  # type: ignore[union-attr]
    assert client.get(f"/reports/runs/{run_id}/files/..%2F..%2Flegalaid.toml").status_code == 404
    assert client.get("/reports/runs/999/files/x.docx").status_code == 404
    assert outbox(center) == []


def test_sent_once_then_sent_again(client: TestClient, center: Runtime) -> None:
    csrf = signed_in(client)
    sent = client.post("/reports/build", data={**ANNUAL, "csrf_token": csrf, "action": "send"})
    assert sent.status_code == 200 and "h1@center.example.cn" in sent.text
    assert len(outbox(center)) == 1
    assert 'value="resend"' in sent.text  # the ledger's row offers to send it again
    again = client.post("/reports/build", data={**ANNUAL, "csrf_token": csrf, "action": "send"})
    assert again.status_code == 200 and len(outbox(center)) == 1  # sent before: not again
    resent = client.post("/reports/build", data={**ANNUAL, "csrf_token": csrf, "action": "resend"})
    assert resent.status_code == 200 and len(outbox(center)) == 2
    with center.sessions() as session:
        run = session.scalar(select(ReportRun))
        assert run is not None and run.sends == 2


def test_bad_input_is_the_command_lines_one_line(client: TestClient, center: Runtime) -> None:
    csrf = signed_in(client)

    def refusal(**fields: str) -> str:
        answer = client.post("/reports/build", data={**ANNUAL, "csrf_token": csrf, **fields})
        assert answer.status_code == 422
        match = re.search(r'<p class="error" role="alert">([^<]*)</p>', answer.text)
        assert match is not None
        return html.unescape(match.group(1))

    assert (
        refusal(kind="quarterly")
        == "period: '2012' is not a quarter (YYYYQn with n from 1 to 4, e.g. 2012Q1)"
    )
    assert refusal(kind="firm") == "firm: a firm's report needs ?firm=CODE"
    assert refusal(as_of="2013-02-30") == "as_of: '2013-02-30' is not a date (YYYY-MM-DD)"
    assert refusal(kind="weekly").startswith("kind: 'weekly' is not a report")
    with center.sessions() as session:
        assert session.scalar(select(ReportRun)) is None


def test_a_firms_report_with_a_hostile_name_is_escaped(client: TestClient) -> None:
    csrf = signed_in(client)
    data = {**ANNUAL, "kind": "firm", "firm": "F1", "csrf_token": csrf}
    built = client.post("/reports/build", data=data)
    assert built.status_code == 200, built.text
    assert HOSTILE_FIRM not in built.text
    assert "A&amp;B &lt;律所&gt; &#34;联合&#34;" in built.text  # the headline names the firm
