"""The web console's pages with FastAPI's TestClient on the demo center: signing in and out, the redirect
without a session, CSRF on every form, admin pages, Today and Cases with hostile names, and an assignment
made from a case's page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import api
import pytest
from api import TestClient, csrf_of
from sqlalchemy import func, select

from cli.demo.data import DEFAULT_AS_OF
from cli.demo.run import run_demo
from legalaid import users
from legalaid.config import Settings
from legalaid.models import Case, CaseEvent, GeneratedDocument, OutboxMessage, Person, utcnow
from legalaid.models.enums import Role
from legalaid.runtime import build_runtime
from web import create_app

PASSWORD = "correct horse battery"
HOSTILE_PERSON = "欧阳&<娜>"
HOSTILE_APPLICANT = 'A&B <律所> "联合"'
DAY = DEFAULT_AS_OF.isoformat()


class Center:
    """The demo center, with a lawyer and an applicant renamed to hostile names and two users."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        rt = build_runtime(settings)
        with rt.transaction() as session:
            staff = list(
                session.scalars(select(Person).where(Person.role == Role.staff).order_by(Person.code))
            )
            self.admin, self.staff = staff[0].code, staff[1].code
            users.add_user(session, code=self.admin, role="admin", password=PASSWORD, now=utcnow())
            users.add_user(session, code=self.staff, role="staff", password=PASSWORD, now=utcnow())
            # An open, assigned case with a document: its lawyer and applicant get the hostile names.
            case = session.scalars(
                select(Case)
                .join(GeneratedDocument, GeneratedDocument.case_id == Case.id)
                .where(Case.lawyer_id.is_not(None), Case.ended_on.is_(None))
                .order_by(Case.case_no)
            ).first()
            assert case is not None
            case.applicant = HOSTILE_APPLICANT
            lawyer = session.get(Person, case.lawyer_id)
            assert lawyer is not None
            lawyer.name = HOSTILE_PERSON
            self.case_no, self.lawyer = case.case_no, lawyer.code
            self.assigned_on = case.assigned_on
            other = session.scalars(
                select(Person)
                .where(
                    Person.role == Role.lawyer,
                    Person.active,
                    Person.email.is_not(None),
                    Person.id != lawyer.id,
                )
                .order_by(Person.code)
            ).first()
            assert other is not None
            self.other_lawyer = other.code
        rt.dispose()


@pytest.fixture(scope="module")
def center(tmp_path_factory: pytest.TempPathFactory) -> Center:
    settings = Settings(data_dir=tmp_path_factory.mktemp("console") / "var")
    run_demo(settings)
    return Center(settings)


def make_client(center: Center, base_url: str = "http://testserver", **settings: Any) -> TestClient:
    app = create_app(center.settings.model_copy(update=settings))
    return TestClient(app, base_url=base_url, raise_server_exceptions=True)


@pytest.fixture
def client(center: Center) -> Iterator[TestClient]:
    with make_client(center) as test_client:
        yield test_client


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    return api.sign_in(client, username, password, **{"X-Forwarded-For": "ignored"})


# Signing in. ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", f"/?on={DAY}", "/cases", "/cases?q=2012", "/case?no=X", "/users", "/documents/1"]
)
def test_every_page_without_a_session_redirects_to_login(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    assert client.post("/case/assign", data={"case_no": "X"}, follow_redirects=False).status_code == 303


def test_sign_in_good_and_bad(center: Center, client: TestClient) -> None:
    page = client.get("/login")
    assert 'name="username"' in page.text and 'name="password"' in page.text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page.text
    wrong_password = sign_in(client, center.admin, "not the password")
    unknown_user = sign_in(client, "NOBODY", PASSWORD)
    assert wrong_password.status_code == unknown_user.status_code == 401
    for response in (wrong_password, unknown_user):
        assert "用户名或密码错误" in response.text and "legalaid_session" not in response.headers.get(
            "set-cookie", ""
        )

    good = sign_in(client, center.admin)
    assert good.status_code == 303 and good.headers["location"] == "/"
    cookie = [c for c in good.headers.get_list("set-cookie") if c.startswith("legalaid_session=")][0]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=43200" in cookie
    assert "Secure" not in cookie  # http://: a Secure cookie would never come back
    assert client.get(f"/?on={DAY}").status_code == 200

    logout = client.post(
        "/logout", data={"csrf_token": csrf_of(client.get("/cases").text)}, follow_redirects=False
    )
    assert logout.status_code == 303 and logout.headers["location"] == "/login"
    assert client.get("/cases", follow_redirects=False).status_code == 303


def test_the_cookie_is_secure_behind_https(center: Center) -> None:
    secure = {"web_base_url": "https://legalaid.example", "web_session_hours": 2}
    with make_client(center, base_url="https://testserver", **secure) as client:
        good = sign_in(client, center.admin)
        cookie = [c for c in good.headers.get_list("set-cookie") if c.startswith("legalaid_session=")][0]
        assert "Secure" in cookie and "Max-Age=7200" in cookie


def test_sign_in_is_slowed_after_repeated_failures(center: Center) -> None:
    with make_client(center) as client:
        for _ in range(users.MAX_FAILURES_PER_USER):
            assert sign_in(client, center.staff, "wrong password").status_code == 401
        refused = sign_in(client, center.staff)  # the right password, but too late
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        assert "尝试次数过多" in refused.text
    rt = build_runtime(center.settings)
    with rt.transaction() as session:  # let the staff user in again for the other tests
        from legalaid.models import SignInFailure

        session.execute(SignInFailure.__table__.delete())
    rt.dispose()


def test_the_sign_in_form_without_its_token_is_403(center: Center, client: TestClient) -> None:
    client.get("/login")
    response = client.post("/login", data={"username": center.admin, "password": PASSWORD})
    assert response.status_code == 403


def test_a_form_without_the_csrf_token_is_403(center: Center, client: TestClient) -> None:
    assert sign_in(client, center.admin).status_code == 303
    data = {"case_no": center.case_no, "person": center.other_lawyer, "on": DAY}
    assert client.post("/case/assign", data=data).status_code == 403
    assert client.post("/case/assign", data={**data, "csrf_token": "forged"}).status_code == 403
    assert client.post("/logout", data={}).status_code == 403
    rt = build_runtime(center.settings)
    with rt.sessions() as session:
        case = session.scalar(select(Case).where(Case.case_no == center.case_no))
        lawyer = session.get(Person, case.lawyer_id) if case else None
        assert lawyer is not None and lawyer.code == center.lawyer  # nothing changed
    rt.dispose()


def test_a_staff_user_cannot_reach_an_admin_page(center: Center, client: TestClient) -> None:
    assert sign_in(client, center.staff).status_code == 303
    page = client.get(f"/?on={DAY}")
    assert 'href="/users"' not in page.text
    assert client.get("/users").status_code == 403
    with make_client(center) as admin:
        assert sign_in(admin, center.admin).status_code == 303
        assert admin.get("/users").status_code == 200


def test_a_disabled_user_is_signed_out_at_the_next_page(center: Center) -> None:
    rt = build_runtime(center.settings)
    with rt.transaction() as session:
        person = session.scalars(select(Person).where(Person.role == Role.leader)).first()
        assert person is not None
        users.add_user(session, code=person.code, role="leader", password=PASSWORD, now=utcnow())
        code = person.code
    with make_client(center) as client:
        assert sign_in(client, code).status_code == 303
        assert client.get("/cases").status_code == 200
        with rt.transaction() as session:
            users.disable_user(session, code=code, now=utcnow())
        assert client.get("/cases", follow_redirects=False).status_code == 303
    rt.dispose()


# The pages. ----------------------------------------------------------------------------------------------


def test_today_on_the_demo_center_escapes_hostile_names(center: Center, client: TestClient) -> None:
    sign_in(client, center.admin)
    page = client.get(f"/?on={DAY}")
    assert page.status_code == 200
    for heading in (
        "今日提醒扫描将发送",
        "今日已发送的提醒",
        "逾期事项（按人）",
        "未来一周值班",
        "发送失败的邮件",
    ):
        assert heading in page.text
    assert "欧阳&amp;&lt;娜&gt;" in page.text and HOSTILE_PERSON not in page.text
    assert "<table>" in page.text and 'class="scroll"' in page.text
    assert "console.css" in page.text and client.get("/static/console.css").status_code == 200


def test_cases_search_and_a_cases_page(center: Center, client: TestClient) -> None:
    sign_in(client, center.admin)
    found = client.get("/cases", params={"q": center.lawyer})
    assert found.status_code == 200
    assert "A&amp;B &lt;律所&gt; &#34;联合&#34;" in found.text and HOSTILE_APPLICANT not in found.text
    by_name = client.get("/cases", params={"q": HOSTILE_PERSON})
    assert center.case_no in by_name.text
    exact = client.get("/cases", params={"q": center.case_no}, follow_redirects=False)
    assert exact.status_code == 303 and exact.headers["location"].startswith("/case?no=")
    page = client.get(exact.headers["location"])
    assert page.status_code == 200
    assert "办理步骤" in page.text and "文书" in page.text and "欧阳&amp;&lt;娜&gt;" in page.text
    link = re.search(r'href="(/documents/\d+)"', page.text)
    assert link is not None
    document = client.get(link.group(1))
    assert document.status_code == 200 and document.content[:2] == b"PK"  # a .docx
    assert client.get("/case", params={"no": "2099民援第999号"}).status_code == 404


def test_an_assignment_from_the_cases_page_queues_the_notice_and_records_the_user(
    center: Center, client: TestClient
) -> None:
    sign_in(client, center.admin)
    page = client.get("/case", params={"no": center.case_no})
    rt = build_runtime(center.settings)
    with rt.sessions() as session:
        before = session.scalar(select(func.count()).select_from(OutboxMessage))
    on = max(center.assigned_on or date(2012, 1, 1), DEFAULT_AS_OF).isoformat()
    data = {
        "case_no": center.case_no,
        "person": center.other_lawyer,
        "on": on,
        "csrf_token": csrf_of(page.text),
    }
    done = client.post("/case/assign", data=data)
    assert done.status_code == 200, done.text
    assert "已指派，通知已排队发送" in done.text
    with rt.sessions() as session:
        case = session.scalar(select(Case).where(Case.case_no == center.case_no))
        assert case is not None
        lawyer = session.get(Person, case.lawyer_id)
        assert lawyer is not None and lawyer.code == center.other_lawyer
        events = session.scalars(
            select(CaseEvent.detail).where(CaseEvent.case_id == case.id, CaseEvent.kind == "assigned_on")
        )
        assert f"by user {center.admin}" in list(events)
        keys = list(
            session.scalars(select(OutboxMessage.idempotency_key).order_by(OutboxMessage.id.desc()).limit(5))
        )
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) > before
        assert any(center.case_no in key and center.other_lawyer in key for key in keys)
    rt.dispose()
    again = client.post("/case/assign", data=data)  # the same lawyer again: the command's refusal, shown
    assert again.status_code == 422 and "already assigned" in again.text
    center.lawyer = center.other_lawyer


def test_english_pages_with_the_locale_setting(center: Center) -> None:
    with make_client(center, locale="en") as client:
        assert "Sign in" in client.get("/login").text
        sign_in(client, center.admin)
        page = client.get(f"/?on={DAY}")
        assert "What today&#39;s reminder scan sends" in page.text and "今日" not in page.text


def test_no_template_holds_chinese_text() -> None:
    folder = Path(__file__).parent.parent / "web" / "console" / "templates"
    for template in folder.glob("*.html"):
        assert not re.search(r"[\u4e00-\u9fff]", template.read_text(encoding="utf-8")), template.name
