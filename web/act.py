"""``/act/<token>``: the page a link in a reminder digest or a duty notice opens, and its one button.

GET shows what the link is for (a case's step with its deadline, or a duty to swap) and a form; it changes
nothing, so a mail scanner that follows every link in a message records nothing. Only the form's POST acts
(``legalaid.actions.press_case_step``, ``legalaid.roster.requests.request_swap``). A used or expired link is
a plain page with status 410; one that matches no stored token (altered, cut short) 404.

The pages are standalone HTML, Chinese by default (English with ``locale = "en"``), with no script and no
asset: they work on a phone's mail app browser without JavaScript. Every value is HTML-escaped.

No CSRF token on these forms, on purpose: the credential is the single-use token in the URL itself, bound
to one person and one action, and a page elsewhere cannot learn it; a forged POST to a guessed URL is a
404. The console's forms (signed-in sessions, a cookie a browser sends by itself) are another matter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from legalaid.actions import STEP_WORDS, CaseStepView, LinkRefused, case_step_view, open_link, press_case_step
from legalaid.dates import format_date
from legalaid.errors import UserError
from legalaid.models import ActionToken, Person, utcnow
from legalaid.models.actions import CASE_STEP, SWAP
from legalaid.roster.requests import colleagues, request_swap
from legalaid.runtime import Runtime
from web.state import AppRuntime

router = APIRouter(include_in_schema=False)

TEXT: dict[str, dict[str, Any]] = {
    "zh_CN": {
        "lang": "zh-CN",
        "title": "法律援助案件事项登记",
        "swap_title": "值班调班申请",
        "case_no": "案号",
        "applicant": "受援人",
        "step": "事项",
        "deadline": "期限",
        "current": "已登记",
        "for": "登记人",
        "on": "日期",
        "buttons": {
            "first_contact_on": "已首次会见（签订委托协议）",
            "last_progress_on": "今天有办理进展",
            "next_hearing_on": "登记下次开庭日期",
            "closure_submitted_on": "已提交结案材料",
            "return_visit_on": "已完成回访",
        },
        "done": "已登记：{step} {on}。此后的提醒不再包含此事项。",
        "duty": "值班",
        "to": "调给",
        "reason": "原因",
        "ask": "提交调班申请",
        "asked": "调班申请已提交：{duty}，调给{to}。中心审核同意后另行通知，在此之前请照常值班。",
        "gone": "此链接已使用或已过期。如需登记，请联系中心。",
        "not_found": "链接无效。请检查邮件中的链接是否完整。",
        "bad_date": "日期格式不正确：{value}（应为 YYYY-MM-DD）",
        "slots": {"day": "全天", "am": "上午", "pm": "下午"},
    },
    "en": {
        "lang": "en",
        "title": "Record a legal aid case step",
        "swap_title": "Ask for a desk duty swap",
        "case_no": "Case number",
        "applicant": "Recipient",
        "step": "Step",
        "deadline": "Deadline",
        "current": "Recorded",
        "for": "Recorded by",
        "on": "Date",
        "buttons": {
            "first_contact_on": "First contact made",
            "last_progress_on": "Progress today",
            "next_hearing_on": "Record the next hearing date",
            "closure_submitted_on": "Closure materials handed in",
            "return_visit_on": "Return visit done",
        },
        "done": "Recorded: {step} {on}. The reminders no longer include this step.",
        "duty": "Duty",
        "to": "Give it to",
        "reason": "Reason",
        "ask": "Ask for the swap",
        "asked": "Swap asked for: {duty}, to {to}. The center tells you once it approves; until then "
        "the duty stays yours.",
        "gone": "This link has been used or has expired. To record the step, contact the center.",
        "not_found": "This link is not valid. Check that the link from the email is complete.",
        "bad_date": "not a date: {value} (use YYYY-MM-DD)",
        "slots": {"day": "all day", "am": "morning", "pm": "afternoon"},
    },
}


@dataclass(frozen=True)
class Page:
    status: int
    body: str

    def response(self) -> HTMLResponse:
        # No caching anywhere: the page shows whether the link is still usable.
        return HTMLResponse(self.body, status_code=self.status, headers={"Cache-Control": "no-store"})


@router.get("/act/{token}", response_class=HTMLResponse)
def show(token: str, runtime: AppRuntime) -> HTMLResponse:
    """What the link is for, and its form. Changes nothing."""
    return _answer(runtime, lambda session: _form(runtime, session, token, {}, error=None)).response()


@router.post("/act/{token}", response_class=HTMLResponse)
async def act(token: str, request: Request, runtime: AppRuntime) -> HTMLResponse:
    """The button: record the step (or the swap request), once."""
    # A urlencoded form read by hand: two fields do not need python-multipart.
    body = (await request.body()).decode("utf-8", "replace")
    form = {name: values[-1] for name, values in parse_qs(body).items()}

    def press(session: Session) -> Page:
        return _press(runtime, session, token, form)

    try:
        page = await run_in_threadpool(_answer, runtime, press)
    except _Refused as refused:
        # The one line, on the form again, from a new transaction: the refused one was rolled back, so
        # nothing changed and the token is not spent.
        line = refused.line

        def again(session: Session) -> Page:
            return _form(runtime, session, token, form, error=line, status=422)

        page = await run_in_threadpool(_answer, runtime, again)
    return page.response()


class _Refused(Exception):
    """A date or a swap the domain refused (its one line): out of the transaction, which rolls back."""

    def __init__(self, line: str) -> None:
        super().__init__(line)
        self.line = line


def _answer(runtime: Runtime, work: Callable[[Session], Page]) -> Page:
    """``work`` in one transaction; a refused link is its plain page (404 or 410) and nothing is kept. A
    refused date or swap is answered by ``work`` itself after rolling back (``_press``)."""
    text = TEXT[_locale(runtime)]
    try:
        with runtime.transaction() as session:
            return work(session)
    except LinkRefused as refused:
        message = text["gone"] if refused.status == 410 else text["not_found"]
        return Page(refused.status, _html(text, text["title"], f"<p>{escape(message)}</p>"))


def _press(runtime: Runtime, session: Session, token: str, form: dict[str, str]) -> Page:
    settings = runtime.settings
    locale = _locale(runtime)
    text = TEXT[locale]
    now = utcnow()
    today = now.astimezone(settings.tz).date()
    row = open_link(session, token, now=now)
    try:
        if row.kind == CASE_STEP:
            on = _date(form.get("on"), text) if "on" in form else None
            view = press_case_step(session, token, on=on, today=today, now=now, locale=locale)
            recorded = format_date(view.current, locale) if view.current else ""
            step = STEP_WORDS[locale][view.step]
            message = text["done"].format(step=step, on=recorded)
            return Page(200, _html(text, text["title"], _case_table(text, locale, view) + _p(message)))
        request = request_swap(
            session,
            settings,
            token,
            to_code=form.get("to", ""),
            reason=form.get("reason"),
            today=today,
            now=now,
        )
        message = text["asked"].format(
            duty=_duty(text, locale, row), to=_person(session, request.to_person_id)
        )
        return Page(200, _html(text, text["swap_title"], _p(message)))
    except UserError as refused:
        raise _Refused(str(refused)) from None


def _form(
    runtime: Runtime,
    session: Session,
    token: str,
    form: dict[str, str],
    *,
    error: str | None,
    status: int = 200,
) -> Page:
    locale = _locale(runtime)
    text = TEXT[locale]
    now = utcnow()
    today = now.astimezone(runtime.settings.tz).date()
    row = open_link(session, token, now=now)
    problem = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    action = f"/act/{escape(token)}"
    if row.kind == CASE_STEP:
        view = case_step_view(session, row)
        field = ""
        if view.dated:
            value = escape(form.get("on") or today.isoformat())
            field = (
                f'<p><label>{text["on"]} <input type="date" name="on" value="{value}" required></label></p>'
            )
        button = text["buttons"][view.step]
        body = (
            _case_table(text, locale, view) + problem + f'<form method="post" action="{action}">{field}'
            f'<p><button type="submit">{escape(button)}</button></p></form>'
        )
        return Page(status, _html(text, text["title"], body))
    if row.kind != SWAP:
        raise LinkRefused(token)
    options = "".join(
        f'<option value="{escape(p.code)}"{" selected" if p.code == form.get("to") else ""}>'
        f"{escape(p.code)} {escape(p.name)}</option>"
        for p in colleagues(session, row.person_id)
    )
    reason = escape(form.get("reason", ""))
    body = (
        f"<table><tr><th>{text['duty']}</th><td>{escape(_duty(text, locale, row))}</td></tr>"
        f"<tr><th>{text['for']}</th><td>{escape(_person(session, row.person_id))}</td></tr></table>"
        + problem
        + f'<form method="post" action="{action}">'
        f'<p><label>{text["to"]} <select name="to" required>{options}</select></label></p>'
        f"<p><label>{text['reason']} "
        f'<input type="text" name="reason" maxlength="200" value="{reason}"></label></p>'
        f'<p><button type="submit">{escape(text["ask"])}</button></p></form>'
    )
    return Page(status, _html(text, text["swap_title"], body))


def _case_table(text: dict[str, Any], locale: str, view: CaseStepView) -> str:
    rows = [
        (text["case_no"], view.case_no),
        (text["applicant"], view.applicant),
        (text["step"], STEP_WORDS[locale][view.step]),
        (text["deadline"], format_date(view.deadline, locale) if view.deadline else ""),
        (text["for"], view.person),
    ]
    if view.current is not None:
        rows.append((text["current"], format_date(view.current, locale)))
    cells = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    return f"<table>{cells}</table>"


def _duty(text: dict[str, Any], locale: str, row: ActionToken) -> str:
    on = format_date(row.duty_on, locale) if row.duty_on else ""
    return f"{on} {text['slots'].get(row.duty_slot, row.duty_slot)}"


def _person(session: Session, person_id: int) -> str:
    person = session.get(Person, person_id)
    return f"{person.code} {person.name}" if person else ""


def _date(value: str | None, text: dict[str, Any]) -> date:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        raise UserError(text["bad_date"].format(value=value)) from None


def _p(message: str) -> str:
    return f'<p class="done" role="status">{escape(message)}</p>'


def _html(text: dict[str, Any], title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="{text["lang"]}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )


STYLE = (
    "body{font-family:'PingFang SC','Microsoft YaHei','Noto Sans CJK SC',sans-serif;margin:0;padding:1rem;"
    "line-height:1.6}main{max-width:32rem;margin:auto}table{border-collapse:collapse;width:100%}"
    "th,td{text-align:left;padding:.3rem;border-bottom:1px solid #ddd}th{width:7rem;color:#555}"
    "button{font-size:1.1rem;padding:.6rem 1rem}input,select{font-size:1rem;padding:.3rem}"
    ".error{color:#b00}.done{color:#060;font-weight:bold}"
)


def _locale(runtime: Runtime) -> str:
    return "en" if runtime.settings.locale == "en" else "zh_CN"
