"""Chromium follows a reminder link from a delivered digest (.eml) to a real ``legalaid web``: the case and
its one button, the confirmation; the same link again is 410, an altered one 404; and the next day's scan
no longer reminds of the step."""

from __future__ import annotations

import re
from datetime import date
from email import policy
from email.parser import BytesParser

from browser import Browser, WebServer, browser_fixture, web_server_fixture  # noqa: F401 (fixtures)
from builders import make_case, make_reminders_center, scan
from mailroom import deliver_all

MONDAY = date(2012, 10, 8)
CASE_NO = "2012民援第008号"


def test_a_lawyer_follows_the_digest_link_and_presses_the_button(
    web_server: WebServer, browser: Browser
) -> None:
    with web_server.runtime() as rt:
        with rt.transaction() as session:
            center = make_reminders_center(session)
            make_case(
                session,
                case_no=CASE_NO,
                applicant="欧阳&<娜>",
                decided_on=date(2012, 9, 25),
                assigned_on=date(2012, 9, 26),
                lawyer=center.lawyer_id,
            )
        scan(rt, MONDAY)
        deliver_all(rt)
    (eml,) = [p for p in web_server.emails() if "l1@mingli.example.cn" in p.read_text("utf-8", "replace")]
    message = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    (link,) = re.findall(r"http://127\.0\.0\.1:\d+/act/act_[A-Za-z0-9_-]+", text)
    web_server.start()
    page = browser.page

    opened = page.goto(link)
    assert opened is not None and opened.status == 200
    assert CASE_NO in page.content() and "欧****>" in page.inner_text("main")
    browser.shot("case-step")
    page.fill('input[name="on"]', "2012-10-08")
    page.click("button[type=submit]")
    page.wait_for_selector(".done")
    assert "已登记" in page.inner_text(".done")
    browser.shot("recorded")

    again = page.goto(link)
    assert again is not None and again.status == 410 and "已使用或已过期" in page.inner_text("main")
    browser.shot("used")
    altered = page.goto(link[:-2] + ("xy" if not link.endswith("xy") else "yz"))
    assert altered is not None and altered.status == 404
    browser.shot("altered")

    with web_server.runtime() as rt:
        assert scan(rt, date(2012, 10, 9)).lines == []  # without the press: the director's escalation
