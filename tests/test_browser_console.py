"""Chromium on a real ``legalaid web``: a user made with ``legalaid users add --password-stdin`` signs in,
sees Today, retries a dead message from the Outbox, uploads an import with a bad row (the problem by row
and column, nothing written) then a good one and confirms it, looks at Jobs and Settings; a staff user is
refused Settings (403). Hostile names stay text on every page. Each page is kept as a screenshot, on a
desk-sized and a phone-sized viewport."""

from __future__ import annotations

import subprocess
from datetime import date

from browser import Browser, WebServer, browser_fixture, web_server_fixture  # noqa: F401 (fixtures)
from builders import make_case, make_reminders_center
from processes import LEGALAID
from sqlalchemy import func, select

from legalaid.mail import enqueue
from legalaid.models import Case, OutboxMessage, Person

PASSWORD = "correct horse battery"
HOSTILE_PERSON = "欧阳&<娜>"
HOSTILE_APPLICANT = 'A&B <律所> "联合"'
DESK = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
BAD = (
    "case_no,case_type,applicant,applied_on\n"
    "2012民援第901号,civil,王小明,2012-10-08\n"
    "2012民援第902号,civil,李华,2012-13-45\n"
)
GOOD = (
    "case_no,case_type,applicant,applied_on\n"
    '2012民援第901号,civil,"A&B <律所> ""联合""",2012-10-08\n'
    "2012民援第902号,criminal,李华,2012-10-09\n"
)


def add_user(server: WebServer, code: str, role: str) -> None:
    """``legalaid users add CODE --role ROLE --password-stdin``, as the README tells an admin to."""
    done = subprocess.run(
        [*LEGALAID, "users", "add", code, "--role", role, "--password-stdin"],
        input=f"{PASSWORD}\n",
        env=server.procs.env,
        cwd=server.folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def both(browser: Browser, name: str) -> None:
    """The page as a desk and a phone show it."""
    browser.page.set_viewport_size(DESK)  # type: ignore[arg-type]
    browser.shot(f"{name}-desk")
    browser.page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    browser.shot(f"{name}-phone")


def sign_in(browser: Browser, url: str, code: str) -> None:
    page = browser.page
    page.goto(f"{url}/login")
    page.fill('input[name="username"]', code)
    page.fill('input[name="password"]', PASSWORD)
    page.click('form.login button[type="submit"]')
    page.wait_for_selector("header nav")


def assert_escaped(browser: Browser) -> None:
    """No hostile name became markup: the page holds no element a name would have made."""
    html = browser.page.content()
    assert "<娜>" not in html and "<律所>" not in html


def count_cases(server: WebServer) -> int:
    with server.runtime() as rt, rt.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Case)) or 0)


def test_staff_run_the_outbox_imports_jobs_and_settings_from_the_browser(
    web_server: WebServer, browser: Browser
) -> None:
    with web_server.runtime() as rt, rt.transaction() as session:
        center = make_reminders_center(session)
        lawyer = session.get(Person, center.lawyer_id)
        assert lawyer is not None
        lawyer.name = HOSTILE_PERSON
        make_case(
            session,
            case_no="2012民援第008号",
            applicant=HOSTILE_APPLICANT,
            decided_on=date(2012, 9, 25),
            assigned_on=date(2012, 9, 26),
            lawyer=center.lawyer_id,
        )
        dead = enqueue(
            session,
            key="browser-dead-1",
            to=["l1@mingli.example.cn"],
            subject=f"{HOSTILE_PERSON}：待办提醒",
            text=f"受援人 {HOSTILE_APPLICANT}",
        )
        dead.status, dead.attempts, dead.last_error = "dead", 8, "550 5.1.1 mailbox unavailable"
        session.flush()
        dead_id = dead.id
    add_user(web_server, "S1", "admin")
    add_user(web_server, "S2", "staff")
    url = web_server.start()
    page = browser.page

    sign_in(browser, url, "S1")
    assert "今日提醒扫描将发送" in page.inner_text("main")
    assert HOSTILE_PERSON in page.inner_text("main")  # shown as text: the overdue lawyer
    assert_escaped(browser)
    both(browser, "today")

    page.goto(f"{url}/outbox?status=dead")
    assert f"{HOSTILE_PERSON}：待办提醒" in page.inner_text("main")
    assert_escaped(browser)
    both(browser, "outbox-dead")
    page.click(f'a[href="/outbox/{dead_id}"] >> nth=0')
    assert "550 5.1.1" in page.inner_text("main") and HOSTILE_APPLICANT in page.inner_text("main")
    both(browser, "outbox-message")
    page.click('form[action$="/retry"] button')
    page.wait_for_selector(".done")
    assert "已重新排队: 1" in page.inner_text(".done")
    both(browser, "outbox-retried")
    with web_server.runtime() as rt, rt.sessions() as session:
        status = session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == dead_id))
        assert status != "dead"  # queued again (or already handed over and sent)

    before = count_cases(web_server)
    page.goto(f"{url}/import")
    both(browser, "import-form")
    page.select_option('select[name="kind"]', "cases")
    page.set_input_files(
        'input[name="file"]', files=[{"name": "cases.csv", "mimeType": "text/csv", "buffer": BAD.encode()}]
    )
    page.click('form.stack button[type="submit"]')
    page.wait_for_selector("table.problems")
    cells = page.locator("table.problems tr >> nth=1").locator("td").all_inner_texts()
    assert cells[:2] == ["3", "applied_on"], cells
    assert count_cases(web_server) == before
    both(browser, "import-problems")

    page.set_input_files(
        'input[name="file"]', files=[{"name": "cases.csv", "mimeType": "text/csv", "buffer": GOOD.encode()}]
    )
    page.click('form.stack button[type="submit"]')
    page.wait_for_selector('form[action="/import/confirm"]')
    assert count_cases(web_server) == before
    both(browser, "import-checked")
    page.click('form[action="/import/confirm"] button')
    page.wait_for_selector(".done")
    assert count_cases(web_server) == before + 2
    both(browser, "import-done")
    page.goto(f"{url}/cases?q=2012民援第901号")
    assert HOSTILE_APPLICANT in page.inner_text("main")
    assert_escaped(browser)

    page.goto(f"{url}/jobs")
    assert "任务表" in page.inner_text("main")
    both(browser, "jobs")
    page.goto(f"{url}/settings")
    assert "database_url" in page.inner_text("main")
    both(browser, "settings")

    page.click(".signout button")
    sign_in(browser, url, "S2")
    refused = page.goto(f"{url}/settings")
    assert refused is not None and refused.status == 403
    assert "无权访问此页面" in page.inner_text("main")
    assert page.locator('a[href="/settings"]').count() == 0
    both(browser, "settings-refused")
