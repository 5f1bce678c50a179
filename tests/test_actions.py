"""Links in emails that record one step (``/act/<token>``): a digest line's link records its case's step and
the next scan forgets it; GET changes nothing; a used or expired link is 410, an altered one 404; a date
out of the case's order is refused in one line; a duty notice's link asks for a swap that the coordinator
approves (``roster.requests``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from api import TestClient
from builders import make_case, make_desk, make_reminders_center, make_shifts, scan
from sqlalchemy import select, update

from legalaid.actions import LinkGone, LinkNotFound, issue_swap_link, open_link
from legalaid.errors import UserError
from legalaid.models import ActionToken, Case, CaseEvent, DutyShift, OutboxMessage, Person, RosterRequest
from legalaid.models.actions import APPROVED, PENDING
from legalaid.roster import day_before
from legalaid.roster.requests import approve_swap_request, pending_swap_requests, request_swap
from legalaid.runtime import Runtime
from web import create_app

LINK = re.compile(r"https?://[^\s\"<>]+/act/(act_[A-Za-z0-9_-]+)")
MONDAY = date(2012, 10, 8)  # the first working day after National Day 2012
CASE_NO = "2012民援第008号"


@pytest.fixture
def client(rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(rt.settings)) as test_client:
        yield test_client


def _first_contact_case(rt: Runtime, applicant: str = "李小四") -> None:
    with rt.transaction() as session:
        center = make_reminders_center(session)
        make_case(
            session,
            case_no=CASE_NO,
            applicant=applicant,
            decided_on=date(2012, 9, 25),
            assigned_on=date(2012, 9, 26),
            lawyer=center.lawyer_id,
        )


def _links_to(rt: Runtime, address: str) -> list[str]:
    with rt.transaction() as session:
        rows = session.execute(select(OutboxMessage.to_addrs, OutboxMessage.body_text)).all()
        return [token for to, body in rows if address in to for token in LINK.findall(body)]


def _case(rt: Runtime) -> Case:
    with rt.transaction() as session:
        case = session.scalar(select(Case).where(Case.case_no == CASE_NO))
        assert case is not None
        session.expunge(case)
        return case


def test_a_digest_link_records_the_step_and_the_next_scan_no_longer_reminds(
    rt: Runtime, client: TestClient
) -> None:
    _first_contact_case(rt)
    report = scan(rt, MONDAY)
    assert [(line.item.rule, line.recipient) for line in report.lines] == [("first_contact_due", "L1")]
    (token,) = _links_to(rt, "l1@mingli.example.cn")

    page = client.get(f"/act/{token}")  # what a mail scanner does: nothing changes
    assert page.status_code == 200
    assert CASE_NO in page.text and "李*四" in page.text and "李小四" not in page.text
    assert 'method="post"' in page.text and "<script" not in page.text
    assert _case(rt).first_contact_on is None

    done = client.post(f"/act/{token}", data={"on": "2012-10-08"})
    assert done.status_code == 200 and "已登记" in done.text
    assert _case(rt).first_contact_on == MONDAY
    with rt.transaction() as session:
        event = session.scalar(select(CaseEvent).where(CaseEvent.kind == "first_contact_on"))
        assert event is not None and event.on == MONDAY and event.detail == "by link L1"

    # Without the press, 10-09 would escalate to the firm's director (D+1); now nothing is due.
    assert scan(rt, MONDAY + timedelta(days=1)).lines == []
    again = client.get(f"/act/{token}")
    assert again.status_code == 410 and "已使用或已过期" in again.text
    assert client.post(f"/act/{token}", data={"on": "2012-10-09"}).status_code == 410
    assert _case(rt).first_contact_on == MONDAY
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.get(f"/act/{altered}").status_code == 404
    assert client.post(f"/act/{altered}", data={"on": "2012-10-09"}).status_code == 404


def test_a_date_before_the_assignment_is_refused_in_one_line_and_the_link_stays_usable(
    rt: Runtime, client: TestClient
) -> None:
    _first_contact_case(rt)
    scan(rt, MONDAY)
    (token,) = _links_to(rt, "l1@mingli.example.cn")
    refused = client.post(f"/act/{token}", data={"on": "2012-09-20"})
    assert refused.status_code == 422
    (line,) = re.findall(r'<p class="error" role="alert">([^<]*)</p>', refused.text)
    assert line == "2012-09-20早于指派日期（2012-09-26），未登记"
    assert _case(rt).first_contact_on is None
    bad = client.post(f"/act/{token}", data={"on": "10/08/2012"})
    assert bad.status_code == 422 and "日期格式不正确" in bad.text
    assert client.get(f"/act/{token}").status_code == 200


def test_an_expired_link_is_gone_and_names_are_escaped(rt: Runtime, client: TestClient) -> None:
    _first_contact_case(rt, applicant="欧阳&<娜>")
    scan(rt, MONDAY)
    (token,) = _links_to(rt, "l1@mingli.example.cn")
    page = client.get(f"/act/{token}")
    assert "欧****&gt;" in page.text and "<娜>" not in page.text
    with rt.transaction() as session:
        session.execute(update(ActionToken).values(expires_at=datetime(2012, 1, 1, tzinfo=UTC)))
        with pytest.raises(LinkGone):
            open_link(session, token, now=datetime.now(UTC))
        with pytest.raises(LinkNotFound):
            open_link(session, "act_nothing", now=datetime.now(UTC))
    assert client.get(f"/act/{token}").status_code == 410


def test_the_digest_links_expire_after_the_setting_and_staff_steps_get_none(rt: Runtime) -> None:
    with rt.transaction() as session:
        make_reminders_center(session)
        make_case(session, case_no="2012民援第007号", applicant="王小明", applied_on=date(2012, 9, 24))
    scan(rt, MONDAY)  # review_due to S1 and S2: the center's own step, decided in the office
    assert _links_to(rt, "s1@center.example.cn") == []
    with rt.transaction() as session:
        assert session.scalar(select(ActionToken.id)) is None


def test_a_duty_notice_link_asks_for_a_swap_that_the_coordinator_approves(rt: Runtime) -> None:
    saturday = date(2012, 9, 29)
    with rt.transaction() as session:
        make_desk(session, lawyers=3)
        make_shifts(session, [(MONDAY, "day", "L01")])
    with rt.transaction() as session:
        day_before(session, rt.settings, as_of=saturday)
    (token,) = _links_to(rt, "l01@mingli.example.cn")
    now = datetime.now(UTC)
    with rt.transaction() as session, pytest.raises(UserError, match="TO_PERSON: L01 is FROM_PERSON too"):
        request_swap(session, rt.settings, token, to_code="L01", reason=None, today=saturday, now=now)
    with rt.transaction() as session:
        asked = request_swap(
            session, rt.settings, token, to_code="L02", reason="开庭", today=saturday, now=now
        )
        request_id = asked.id
    with rt.transaction() as session:
        (pending,) = pending_swap_requests(session)
        assert (pending.id, pending.status, pending.reason) == (request_id, PENDING, "开庭")
        with pytest.raises(LinkGone):
            request_swap(session, rt.settings, token, to_code="L03", reason=None, today=saturday, now=now)
    with rt.transaction() as session:  # nothing moved until the coordinator approves
        assert _on_duty(session) == ["L01"]
        approve_swap_request(
            session, rt.settings, request_id=request_id, approved_by="S01", today=saturday, now=now
        )
    with rt.transaction() as session:
        assert _on_duty(session) == ["L02"]
        assert pending_swap_requests(session) == []
        request = session.scalar(select(RosterRequest).where(RosterRequest.kind == "swap"))
        assert request is not None and (request.requested_by, request.note) == ("L01", "开庭")
        with pytest.raises(UserError, match=f"swap request {request_id} is {APPROVED} already"):
            approve_swap_request(
                session, rt.settings, request_id=request_id, approved_by="S01", today=saturday, now=now
            )


def test_a_swap_link_is_refused_for_a_duty_that_has_passed(rt: Runtime) -> None:
    with rt.transaction() as session:
        make_desk(session, lawyers=2)
        person_id = session.scalar(select(Person.id).where(Person.code == "L01"))
        assert person_id is not None
        url = issue_swap_link(
            session, rt.settings, person_id=person_id, on=MONDAY, slot="day", now=datetime.now(UTC)
        )
    token = url.rsplit("/", 1)[1]
    with rt.transaction() as session, pytest.raises(UserError, match="the duty has passed"):
        request_swap(
            session,
            rt.settings,
            token,
            to_code="L02",
            reason=None,
            today=MONDAY + timedelta(days=1),
            now=datetime.now(UTC),
        )


def _on_duty(session: object) -> list[str]:
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    query = (
        select(Person.code).join(DutyShift, DutyShift.person_id == Person.id).where(DutyShift.on == MONDAY)
    )
    return list(session.scalars(query))
