"""Chromium on a real ``legalaid web``: a staff user signs in, opens next month's roster (a rota written
for it, so every duty is in the future), swaps a duty through the form and sees the taker on that day of
the calendar; then opens Reports, builds the annual report, downloads its .docx through the browser's
download (Playwright's ``expect_download``) and reads it with python-docx. Each page is kept as a
screenshot at 1280×900 and 390×844."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import docx
from browser import Browser, WebServer, browser_fixture, web_server_fixture  # noqa: F401 (fixtures)
from builders import make_cases, make_desk, make_person
from readback import stored_shifts
from sqlalchemy import select
from test_browser_console import add_user, assert_escaped, both, sign_in

from legalaid.casework.notices import business_today
from legalaid.models import Person
from legalaid.models.enums import Role
from legalaid.roster import Shift, load_window, rotate, write_rotation

HOSTILE_PERSON = "欧阳&<娜>"


def next_month(today: date) -> tuple[date, date]:
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def test_a_duty_swapped_and_a_report_downloaded_from_the_browser(
    web_server: WebServer, browser: Browser, tmp_path: Path
) -> None:
    with web_server.runtime() as rt:
        first, last = next_month(business_today(rt.settings))
        with rt.transaction() as session:
            codes = make_desk(session, lawyers=6)
            lawyer = session.scalar(select(Person).where(Person.code == codes[0]))
            assert lawyer is not None
            lawyer.name = HOSTILE_PERSON
            # The annual report's people: a leader to send it to, and cases of 2012 for its figures.
            make_person(session, "H1", name="周主任", email="h1@center.example.cn", role=Role.leader)
            make_cases(session, 3, applied_on=date(2012, 9, 3), lawyer=lawyer, decided_on=date(2012, 9, 4),
                       assigned_on=date(2012, 9, 5))  # fmt: skip
            window = load_window(session, rt.settings, start=first, end=last)
            write_rotation(session, rt.settings, window=window, rotation=rotate(window, today=first),
                           replace=False, requested_by=None, today=first)  # fmt: skip
        shift = stored_shifts(rt)[0]
        busy = {s.person for s in stored_shifts(rt) if s.on == shift.on}
        taker = next(code for code in codes if code not in busy)
        with rt.sessions() as session:
            taker_name = session.scalar(select(Person.name).where(Person.code == taker))
    add_user(web_server, "S01", "staff")
    url = web_server.start()
    page = browser.page

    sign_in(browser, url, "S01")
    month = first.strftime("%Y-%m")
    page.goto(f"{url}/roster?month={month}")
    assert first.strftime("%Y-%m") in page.inner_text("h1")
    assert HOSTILE_PERSON in page.inner_text(".month")
    assert_escaped(browser)
    both(browser, "roster")

    form = page.locator("form#swap")
    form.locator('input[name="on"]').fill(shift.on.isoformat())
    form.locator('select[name="slot"]').select_option(shift.slot)
    form.locator('input[name="from_person"]').fill(shift.person)
    form.locator('input[name="to_person"]').fill(taker)
    form.locator('input[name="reason"]').fill("开庭")
    form.locator('button[type="submit"]').click()
    page.wait_for_selector('p.ok[role="status"]')
    assert "2 条通知已排队发送" in page.inner_text('p.ok[role="status"]')
    page.goto(f"{url}/roster?month={month}")
    day = page.locator(".month .day:not(.out)").nth(shift.on.day - 1)
    assert str(shift.on.day) == day.locator(".num").inner_text().split()[0]
    assert taker in day.inner_text() and str(taker_name) in day.inner_text()
    with web_server.runtime() as rt:
        after = stored_shifts(rt)
    assert Shift(shift.on, shift.slot, taker) in after and shift not in after
    both(browser, "roster-swapped")

    page.goto(f"{url}/reports")
    both(browser, "reports")
    build = page.locator("form#build")
    build.locator('select[name="kind"]').select_option("annual")
    build.locator('input[name="period"]').fill("2012")
    build.locator('input[name="as_of"]').fill("2013-01-20")
    build.locator('button[value="build"]').click()
    page.wait_for_selector('div.ok[role="status"]')
    link = page.locator('a[href$=".docx"]').first
    with page.expect_download() as caught:
        link.click()
    download = caught.value
    assert download.suggested_filename.endswith(".docx")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    text = "\n".join(paragraph.text for paragraph in docx.Document(str(saved)).paragraphs)
    assert "2012" in text and "法律援助" in text
    assert_escaped(browser)
    both(browser, "reports-built")
