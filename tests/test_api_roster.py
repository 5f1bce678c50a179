"""``/api/v1/roster`` on SQLite and PostgreSQL: the duties of a window with their hours in the center's
zone, check and quality as the command line prints them, a swap with its change notices (recorded as asked
by the token), leave handed to others, and bad input as the command line's one line."""

from __future__ import annotations

from datetime import date

import pytest
from api import TestClient, assert_problem, bearer, token
from builders import make_desk
from mailroom import outbox
from readback import stored_shifts
from sqlalchemy import select

from legalaid.models import RosterRequest
from legalaid.roster import Shift, load_window, rotate, write_rotation
from legalaid.runtime import Runtime

OCTOBER = {"from": "2012-10-01", "to": "2012-10-31"}
AS_OF = "2012-10-01"


@pytest.fixture
def api_rt(api_rt: Runtime) -> Runtime:
    """The shared runtime (SQLite, then PostgreSQL) with this file's data."""
    runtime = api_rt
    with runtime.transaction() as session:
        make_desk(session, lawyers=6)
        window = load_window(session, runtime.settings, start=date(2012, 10, 1), end=date(2012, 10, 31))
        rotation = rotate(window, today=date(2012, 10, 1))
        write_rotation(
            session, runtime.settings, window=window, rotation=rotation, replace=False,
            requested_by=None, today=date(2012, 10, 1),
        )  # fmt: skip
    return runtime


def test_the_roster_of_a_window(client: TestClient, api_rt: Runtime) -> None:
    headers = bearer(token(api_rt, "viewer", "read"))
    body = client.get("/api/v1/roster", params=OCTOBER, headers=headers).json()
    assert body["from"] == "2012-10-01" and body["to"] == "2012-10-31"
    assert body["desk_days"][0] == "2012-10-08"  # the National Day week is off
    assert len(body["duties"]) == 18 and len(body["positions"]) == 18
    first = body["duties"][0]
    assert first["date"] == "2012-10-08" and first["name"]
    assert (
        first["starts_at"] == "2012-10-08T09:00:00+08:00" and first["ends_at"] == "2012-10-08T17:00:00+08:00"
    )
    assert all(p["missing"] == 0 and len(p["people"]) == 1 for p in body["positions"])
    stored = {(s.on.isoformat(), s.slot, s.person) for s in stored_shifts(api_rt)}
    assert {(d["date"], d["slot"], d["person"]) for d in body["duties"]} == stored


def test_check_and_quality_as_the_command_line_prints_them(client: TestClient, api_rt: Runtime) -> None:
    headers = bearer(token(api_rt, "viewer", "read"))
    check = client.get("/api/v1/roster/check", params=OCTOBER, headers=headers).json()
    assert check["problems"] == []
    quality = client.get("/api/v1/roster/quality", params=OCTOBER, headers=headers).json()
    assert quality["coverage"] == 1.0 and quality["required"] == quality["filled"] == 18
    assert quality["score"] == 100 and len(quality["loads"]) == 6
    backwards = client.get(
        "/api/v1/roster/check", params={"from": "2012-10-31", "to": "2012-10-01"}, headers=headers
    )
    assert assert_problem(backwards, 422)["detail"] == "--to: 2012-10-01 is before --from 2012-10-31"
    assert_problem(
        client.get("/api/v1/roster/quality", params={"from": "2012-13-01", "to": "x"}, headers=headers), 422
    )
    assert_problem(client.get("/api/v1/roster", headers=headers), 422)


def test_a_swap_tells_both_and_is_recorded_as_the_tokens(client: TestClient, api_rt: Runtime) -> None:
    headers = {**bearer(token(api_rt, "desk-app", "write")), "Idempotency-Key": "s1"}
    duty = stored_shifts(api_rt, date(2012, 10, 8), date(2012, 10, 8))[0]
    taker = next(code for code in ("L01", "L02", "L03") if code != duty.person)
    swap = {
        "date": "2012-10-08",
        "slot": duty.slot,
        "from_person": duty.person,
        "to_person": taker,
        "as_of": AS_OF,
    }
    answer = client.post("/api/v1/roster/swaps", json=swap, headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["removed"] == [{"date": "2012-10-08", "slot": duty.slot, "person": duty.person}]
    assert body["added"] == [{"date": "2012-10-08", "slot": duty.slot, "person": taker}]
    assert sorted(n["person"] for n in body["notices"]) == sorted([duty.person, taker])
    assert body["note"] == "queued; the worker's next mail sweep delivers it"
    queued = {row.id: row for row in outbox(api_rt)}
    assert set(body["outbox_ids"]) == set(queued)
    assert all(row.idempotency_key.startswith(f"roster:change:{body['request']}:") for row in queued.values())
    assert any(a.filename == "duty-changes.ics" for row in queued.values() for a in row.attachments)
    assert Shift(date(2012, 10, 8), duty.slot, taker) in stored_shifts(api_rt)
    with api_rt.sessions() as session:
        request = session.scalar(select(RosterRequest).where(RosterRequest.id == body["request"]))
        assert request is not None and request.requested_by == "desk-app" and request.kind == "swap"
    again = client.post("/api/v1/roster/swaps", json=swap, headers=headers)  # the same key: the first answer
    assert again.json() == body and again.headers["idempotent-replayed"] == "true"


def test_a_bad_swap_is_the_command_lines_line_and_changes_nothing(
    client: TestClient, api_rt: Runtime
) -> None:
    headers = {**bearer(token(api_rt, "desk-app", "write")), "Idempotency-Key": "s2"}
    swap = {"date": "2012-10-08", "slot": "day", "from_person": "L01", "to_person": "X9", "as_of": AS_OF}
    before = stored_shifts(api_rt)
    answer = client.post("/api/v1/roster/swaps", json=swap, headers=headers)
    assert assert_problem(answer, 422)["detail"] == "TO_PERSON: no person with code 'X9'"
    slot = {**swap, "slot": "night", "to_person": "L02"}
    refused = client.post("/api/v1/roster/swaps", json=slot, headers={**headers, "Idempotency-Key": "s3"})
    assert assert_problem(refused, 422)["detail"] == "SLOT: 'night' is not a slot of the desk (day)"
    assert stored_shifts(api_rt) == before and outbox(api_rt) == []


def test_leave_hands_the_duties_to_others(client: TestClient, api_rt: Runtime) -> None:
    headers = {**bearer(token(api_rt, "desk-app", "write")), "Idempotency-Key": "l1"}
    mine = [s for s in stored_shifts(api_rt, date(2012, 10, 15), date(2012, 10, 19)) if s.person == "L02"]
    leave = {
        "person": "L02",
        "start": "2012-10-15",
        "end": "2012-10-19",
        "reason": "年休假",
        "by": "S01",
        "as_of": AS_OF,
    }
    body = client.post("/api/v1/roster/leave", json=leave, headers=headers).json()
    assert [r["person"] for r in body["removed"]] == ["L02"] * len(mine) and len(body["added"]) == len(mine)
    assert all(r["person"] != "L02" for r in body["added"])
    with api_rt.sessions() as session:
        request = session.scalar(select(RosterRequest).where(RosterRequest.id == body["request"]))
        assert request is not None and request.requested_by == "S01"
    backwards = {**leave, "start": "2012-11-02", "end": "2012-11-01"}
    refused = client.post(
        "/api/v1/roster/leave", json=backwards, headers={**headers, "Idempotency-Key": "l2"}
    )
    assert assert_problem(refused, 422)["detail"] == "END: 2012-11-01 is before START 2012-11-02"
    long = {**leave, "reason": "x" * 201}
    assert_problem(
        client.post("/api/v1/roster/leave", json=long, headers={**headers, "Idempotency-Key": "l3"}), 422
    )
