"""The console's Roster page with FastAPI's TestClient: the month as a calendar (a 调休 Saturday a working
day), check and quality, a swap refused in one line and one made with its notices queued, leave, a swap a
lawyer asked for approved and another refused, the 值班安排表 downloaded; no session, no CSRF token, and
hostile names escaped."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from api import TestClient, csrf_of, sign_in
from builders import make_desk
from mailroom import outbox
from readback import stored_shifts
from sqlalchemy import select

from legalaid import users
from legalaid.casework.notices import business_today
from legalaid.models import Firm, Person, RosterRequest, SwapRequest, utcnow
from legalaid.models.actions import APPROVED, PENDING, REFUSED
from legalaid.roster import Shift, load_window, rotate, write_rotation
from legalaid.runtime import Runtime
from web import create_app

PASSWORD = "correct horse battery"
HOSTILE_PERSON = "欧阳&<娜>"
HOSTILE_FIRM = 'A&B <律所> "联合"'


def next_month(rt: Runtime) -> tuple[date, date]:
    first = (business_today(rt.settings).replace(day=1) + timedelta(days=32)).replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


@pytest.fixture
def desk(rt: Runtime) -> Runtime:
    """Six lawyers of F1 (L01 and the firm with hostile names), coordinator S01 a staff user, and next
    month's rota written (every duty in the future, so every change tells someone)."""
    first, last = next_month(rt)
    with rt.transaction() as session:
        make_desk(session, lawyers=6)
        lawyer = session.scalar(select(Person).where(Person.code == "L01"))
        firm = session.scalar(select(Firm))
        assert lawyer is not None and firm is not None
        lawyer.name, firm.name = HOSTILE_PERSON, HOSTILE_FIRM
        users.add_user(session, code="S01", role="staff", password=PASSWORD, now=utcnow())
        window = load_window(session, rt.settings, start=first, end=last)
        write_rotation(
            session, rt.settings, window=window, rotation=rotate(window, today=first), replace=False,
            requested_by=None, today=first,
        )  # fmt: skip
    return rt


@pytest.fixture
def client(desk: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(desk.settings), raise_server_exceptions=True) as test_client:
        yield test_client


def signed_in(client: TestClient) -> str:
    """Sign S01 in; the session's CSRF token."""
    assert sign_in(client, "S01", PASSWORD).status_code == 303
    return csrf_of(client.get("/roster").text)


def a_free_colleague(rt: Runtime, shift: Shift) -> str:
    """A lawyer of the desk not on duty on the shift's day."""
    busy = {s.person for s in stored_shifts(rt, shift.on, shift.on)}
    return next(f"L{i:02d}" for i in range(1, 7) if f"L{i:02d}" not in busy)


def error_line(page: str) -> str:
    """The refusal's one line, as the command line prints it (the page escapes it)."""
    match = re.search(r'<p class="error" role="alert">([^<]*)</p>', page)
    assert match is not None, page
    return html.unescape(match.group(1))


@pytest.mark.parametrize(
    "path", ["/roster", "/roster?month=2012-11", "/roster/document/2012-11.docx", "/reports"]
)
def test_without_a_session_the_roster_redirects_to_login(client: TestClient, path: str) -> None:
    answer = client.get(path, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    for action in ("/roster/swap", "/roster/leave", "/roster/requests/1/approve"):
        assert client.post(action, data={}, follow_redirects=False).status_code == 303


def test_a_form_without_the_csrf_token_is_403_and_changes_nothing(client: TestClient, desk: Runtime) -> None:
    signed_in(client)
    shift = stored_shifts(desk)[0]
    data = {"on": shift.on.isoformat(), "slot": shift.slot, "from_person": shift.person}
    data["to_person"] = a_free_colleague(desk, shift)
    before = stored_shifts(desk)
    assert client.post("/roster/swap", data=data).status_code == 403
    assert client.post("/roster/swap", data={**data, "csrf_token": "forged"}).status_code == 403
    leave = {"person": "L01", "start": shift.on.isoformat(), "end": shift.on.isoformat()}
    assert client.post("/roster/leave", data=leave).status_code == 403
    assert client.post("/roster/requests/1/refuse", data={}).status_code == 403
    assert stored_shifts(desk) == before and outbox(desk) == []


def test_the_month_as_a_calendar_with_check_quality_and_hostile_names_escaped(
    client: TestClient, desk: Runtime
) -> None:
    signed_in(client)
    first, _last = next_month(desk)
    page = client.get("/roster", params={"month": f"{first:%Y-%m}"})
    assert page.status_code == 200
    assert page.text.count('class="day') >= 28 and 'role="grid"' in page.text
    assert "欧阳&amp;&lt;娜&gt;" in page.text and HOSTILE_PERSON not in page.text
    assert "A&amp;B &lt;律所&gt; &#34;联合&#34;" in page.text and HOSTILE_FIRM not in page.text
    assert "排班检查" in page.text and "覆盖率 100.0%" in page.text
    before = (first - timedelta(days=1)).replace(day=1)
    assert f'href="/roster?month={before:%Y-%m}"' in page.text
    assert f'href="/roster/document/{first:%Y-%m}.docx"' in page.text
    # September 2012: Saturday the 29th was a 调休 working day, 30 September the Mid-Autumn holiday.
    september = client.get("/roster", params={"month": "2012-09"}).text
    assert "调休上班" in september
    assert september.count('class="day off') >= 8  # the weekends (but the 29th) and the holiday


def test_a_swap_refused_in_one_line_changes_nothing(client: TestClient, desk: Runtime) -> None:
    csrf = signed_in(client)
    shift = stored_shifts(desk)[0]
    busy = {s.person for s in stored_shifts(desk, shift.on, shift.on)}
    idle = next(f"L{i:02d}" for i in range(1, 7) if f"L{i:02d}" not in busy)
    data = {"csrf_token": csrf, "on": shift.on.isoformat(), "slot": shift.slot, "from_person": idle}
    answer = client.post("/roster/swap", data={**data, "to_person": shift.person})
    assert answer.status_code == 422
    line = error_line(answer.text)
    assert line.startswith(f"FROM_PERSON: {idle} ") and f"is not on duty on {shift.on}" in line
    bad_date = client.post("/roster/swap", data={**data, "on": "2012-13-40", "to_person": "L02"})
    assert bad_date.status_code == 422
    assert error_line(bad_date.text) == "DATE: '2012-13-40' is not a date (YYYY-MM-DD)"
    assert outbox(desk) == []


def test_a_swap_made_queues_both_notices_and_records_the_user(client: TestClient, desk: Runtime) -> None:
    csrf = signed_in(client)
    shift = stored_shifts(desk)[0]
    taker = a_free_colleague(desk, shift)
    data = {
        "csrf_token": csrf,
        "on": shift.on.isoformat(),
        "slot": shift.slot,
        "from_person": shift.person,
        "to_person": taker,
        "reason": "开庭",
    }
    answer = client.post("/roster/swap", data=data)
    assert answer.status_code == 200, answer.text
    assert "2 条通知已排队发送" in answer.text
    assert Shift(shift.on, shift.slot, taker) in stored_shifts(desk) and shift not in stored_shifts(desk)
    keys = [message.idempotency_key for message in outbox(desk)]
    assert any(key.endswith(f":{shift.person}") for key in keys) and any(
        key.endswith(f":{taker}") for key in keys
    )
    with desk.sessions() as session:
        request = session.scalars(select(RosterRequest).order_by(RosterRequest.id.desc())).first()
        assert request is not None and request.kind == "swap" and request.requested_by == "S01"


def test_leave_hands_the_duties_to_others(client: TestClient, desk: Runtime) -> None:
    csrf = signed_in(client)
    first, last = next_month(desk)
    mine = [s for s in stored_shifts(desk) if s.person == "L02"]
    assert mine
    data = {"csrf_token": csrf, "person": "L02", "start": first.isoformat(), "end": last.isoformat()}
    answer = client.post("/roster/leave", data={**data, "reason": "年休假"})
    assert answer.status_code == 200, answer.text
    assert "条通知已排队发送" in answer.text
    assert not [s for s in stored_shifts(desk) if s.person == "L02"]
    again = client.post("/roster/leave", data=data)  # overlapping leave: the command line's refusal
    assert again.status_code == 422 and error_line(again.text).startswith("START: L02 ")


def test_a_swap_asked_for_from_a_notice_is_approved_or_refused(client: TestClient, desk: Runtime) -> None:
    csrf = signed_in(client)
    first_shift, later = stored_shifts(desk)[0], stored_shifts(desk)[-1]
    ids = {}
    with desk.transaction() as session:
        people = dict(session.execute(select(Person.code, Person.id)).all())
        for name, shift in (("approve", first_shift), ("refuse", later)):
            request = SwapRequest(
                on=shift.on, slot=shift.slot, from_person_id=people[shift.person],
                to_person_id=people[a_free_colleague(desk, shift)], reason="家中有事", status=PENDING,
                created_at=utcnow(),
            )  # fmt: skip
            session.add(request)
            session.flush()
            ids[name] = request.id
    page = client.get("/roster", params={"month": f"{first_shift.on:%Y-%m}"})
    assert (
        "待审批的调班申请" in page.text and f'action="/roster/requests/{ids["approve"]}/approve"' in page.text
    )
    approved = client.post(
        f"/roster/requests/{ids['approve']}/approve", data={"csrf_token": csrf, "month": f"{first_shift.on}"}
    )
    assert approved.status_code == 200, approved.text
    assert "条通知已排队发送" in approved.text
    assert first_shift not in stored_shifts(desk) and len(outbox(desk)) == 2
    refused = client.post(f"/roster/requests/{ids['refuse']}/refuse", data={"csrf_token": csrf})
    assert refused.status_code == 200 and later in stored_shifts(desk)
    twice = client.post(f"/roster/requests/{ids['refuse']}/refuse", data={"csrf_token": csrf})
    assert (
        twice.status_code == 422
        and error_line(twice.text) == f"swap request {ids['refuse']} is refused already"
    )
    with desk.sessions() as session:
        statuses = {r.id: (r.status, r.decided_by) for r in session.scalars(select(SwapRequest))}
    assert statuses == {ids["approve"]: (APPROVED, "S01"), ids["refuse"]: (REFUSED, "S01")}


def test_the_duty_roster_sheet_downloads_as_docx_and_xlsx(client: TestClient, desk: Runtime) -> None:
    signed_in(client)
    first, _last = next_month(desk)
    for suffix in ("docx", "xlsx"):
        answer = client.get(f"/roster/document/{first:%Y-%m}.{suffix}")
        assert answer.status_code == 200 and answer.content[:2] == b"PK"
        assert (
            f"filename*=UTF-8''%E5%80%BC%E7%8F%AD%E5%AE%89%E6%8E%92%E8%A1%A8-{first:%Y-%m}.{suffix}"
            in (answer.headers["content-disposition"])
        )
    assert client.get(f"/roster/document/{first:%Y-%m}.pdf").status_code == 404
    assert client.get("/roster/document/2012-13.docx").status_code == 404
    assert not list((desk.settings.data_dir).rglob("值班安排表*"))  # made on request, nothing kept
