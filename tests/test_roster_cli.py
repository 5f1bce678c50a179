"""``legalaid roster`` on a real (SQLite) database: generate, check, quality, swap, leave, ics, document."""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import docx
import icalendar
import pytest
from builders import NAMES, make_desk, make_leave, make_person, make_shifts
from mailroom import outbox_addresses
from openpyxl import load_workbook
from readback import stored_shifts
from sqlalchemy import func, select

from cli import main
from legalaid.models import DutyChange, Leave, OutboxMessage, RosterRequest
from legalaid.roster import Shift
from legalaid.runtime import Runtime

OCTOBER = ["--from", "2012-10-01", "--to", "2012-10-31"]


def _json(capsys: pytest.CaptureFixture[str], argv: list[str], code: int = 0) -> Any:
    assert main(argv) == code, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def _error(capsys: pytest.CaptureFixture[str], argv: list[str], code: int = 2) -> str:
    assert main(argv) == code
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1, captured.err
    return captured.err


@pytest.fixture
def desk(rt: Runtime) -> list[str]:
    with rt.transaction() as session:
        return make_desk(session, lawyers=6)


def test_generate_shows_then_writes_and_keeps_what_is_there(
    rt: Runtime, desk: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    shown = _json(capsys, ["roster", "generate", *OCTOBER, "--json"])
    assert stored_shifts(rt) == []  # without --write nothing is written
    assert [row["date"] for row in shown][:2] == ["2012-10-08", "2012-10-09"]
    assert len(shown) == 18 and {"date", "slot", "person"} <= set(shown[0])
    written = _json(capsys, ["roster", "generate", *OCTOBER, "--write", "--json"])
    assert written == shown  # deterministic
    assert [(s.on.isoformat(), s.slot, s.person) for s in stored_shifts(rt)] == [
        (r["date"], r["slot"], r["person"]) for r in shown
    ]
    assert outbox_addresses(rt) == []  # a new month moves nobody's duty: no change notice
    again = _json(capsys, ["roster", "generate", *OCTOBER, "--json"])
    assert not any(row["new"] for row in again)  # everything is kept; nothing empty to fill
    assert main(["roster", "check", *OCTOBER]) == 0
    assert "no problem" in capsys.readouterr().out
    figures = _json(capsys, ["roster", "quality", *OCTOBER, "--json"])
    assert figures["coverage"] == 1.0 and figures["score"] == round(100 * figures["balance"])


def test_generate_replace_tells_who_lost_and_who_got_a_future_duty(
    rt: Runtime, desk: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    put = [(date(2012, 10, d), "day", "L01") for d in (8, 10, 12, 15)]
    with rt.transaction() as session:
        make_shifts(session, put)
    assert main(["roster", "check", *OCTOBER]) == 1  # gaps and an imbalance
    capsys.readouterr()
    _json(capsys, ["roster", "generate", *OCTOBER, "--replace", "--write", "--as-of", "2012-10-11", "--json"])
    after = stored_shifts(rt)
    counts = Counter(s.person for s in after)
    assert len(after) == 18 and max(counts.values()) - min(counts.values()) <= 1
    assert {Shift(date(2012, 10, d), "day", "L01") for d in (8, 10)} <= set(after)  # the past stays
    lost = {Shift(date(2012, 10, d), "day", "L01") for d in (12, 15)} - set(after)
    keys = [key for key, _to in outbox_addresses(rt)]
    assert lost and any(key.endswith(":L01") for key in keys)  # L01 lost a future duty: told
    assert all(key.startswith("roster:change:") for key in keys)
    with rt.transaction() as session:
        request = session.scalars(select(RosterRequest)).one()
        assert request.kind == "generate" and "replace" in (request.note or "")


def test_a_swap_that_would_double_book_is_refused(
    rt: Runtime, desk: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with rt.transaction() as session:
        make_person(session, "AM1", email="x@example.cn", desk_pool=True)
        make_shifts(session, [(date(2012, 10, 8), "day", "L01"), (date(2012, 10, 8), "day", "L02")])
    err = _error(capsys, ["roster", "swap", "2012-10-08", "day", "L01", "L02", "--as-of", "2012-10-01"])
    assert "TO_PERSON: L02" in err and "already on duty on 2012-10-08" in err and "double-book" in err
    assert len(stored_shifts(rt)) == 2 and outbox_addresses(rt) == []  # nothing changed
    with rt.transaction() as session:
        assert session.scalar(select(func.count()).select_from(RosterRequest)) == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["roster", "swap", "2012-10-08", "noon", "L01", "L03"],
            "SLOT: 'noon' is not a slot of the desk (day)",
        ),
        (["roster", "swap", "2012-10-08", "day", "L01", "NOBODY"], "TO_PERSON: no person with code 'NOBODY'"),
        (
            ["roster", "swap", "2012-10-09", "day", "L01", "L03"],
            "FROM_PERSON: L01 王律师 is not on duty on 2012-10-09",
        ),
        (
            ["roster", "swap", "2012-10-08", "day", "L01", "OUT"],
            "TO_PERSON: OUT OUT律师 is not in the desk pool",
        ),
        (
            ["roster", "swap", "2012-10-08", "day", "L01", "L04"],
            "TO_PERSON: L04 刘律师 is on leave on 2012-10-08",
        ),
        (["roster", "swap", "2012-10-08", "day", "L01", "L03", "--by", "X"], "--by: no person with code 'X'"),
        (["roster", "swap", "2012-13-08", "day", "L01", "L03"], "DATE: '2012-13-08' is not a date"),
        (["roster", "generate", "--from", "2012-10-31", "--to", "2012-10-01"], "--to: 2012-10-01 is before"),
        (["roster", "check", "--from", "2012-10-01", "--to", "x"], "--to: 'x' is not a date"),
        (["roster", "ics", "--person", "NOBODY"], "--person: no person with code 'NOBODY'"),
        (["roster", "notify", "--kind", "weekly"], "--kind: 'weekly' is not one of"),
        (["roster", "document", "--month", "2012-13"], "--month: '2012-13' is not a month"),
        (["roster", "leave", "add", "L02", "2012-10-10", "2012-10-09"], "END: 2012-10-09 is before START"),
        (
            ["roster", "leave", "add", "L04", "2012-10-09", "2012-10-12"],
            "START: L04 刘律师 already has leave",
        ),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(
    rt: Runtime, desk: list[str], capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    with rt.transaction() as session:
        make_person(session, "OUT", email="x@example.cn")
        make_shifts(session, [(date(2012, 10, 8), "day", "L01")])
        make_leave(session, "L04", date(2012, 10, 8), date(2012, 10, 10))
    assert message in _error(capsys, argv)
    assert stored_shifts(rt) == [Shift(date(2012, 10, 8), "day", "L01")]
    assert outbox_addresses(rt) == []


def test_a_swap_is_recorded_with_who_asked_and_both_are_told(
    rt: Runtime, desk: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with rt.transaction() as session:
        make_shifts(session, [(date(2012, 10, 8), "day", "L01"), (date(2012, 10, 9), "day", "L02")])
    argv = ["roster", "swap", "2012-10-08", "day", "L01", "L03", "--by", "S01", "--reason", "开庭"]
    dry = _json(capsys, [*argv, "--as-of", "2012-10-01", "--dry-run", "--json"])
    assert dry["dry_run"] and dry["added"] == [{"date": "2012-10-08", "slot": "day", "person": "L03"}]
    assert outbox_addresses(rt) == [] and Shift(date(2012, 10, 8), "day", "L01") in stored_shifts(rt)
    done = _json(capsys, [*argv, "--as-of", "2012-10-01", "--json"])
    assert stored_shifts(rt) == [
        Shift(date(2012, 10, 8), "day", "L03"),
        Shift(date(2012, 10, 9), "day", "L02"),
    ]
    request = done["request"]
    assert sorted(outbox_addresses(rt)) == [
        (f"roster:change:{request}:L01", ["l01@mingli.example.cn"]),
        (f"roster:change:{request}:L03", ["l03@mingli.example.cn"]),
    ]
    with rt.transaction() as session:
        logged = session.get(RosterRequest, request)
        assert logged is not None and (logged.kind, logged.requested_by, logged.note) == (
            "swap",
            "S01",
            "开庭",
        )
        actions = sorted((c.person.code, c.action) for c in logged.changes)
        assert actions == [("L01", "removed"), ("L03", "added")]
        body = session.scalars(
            select(OutboxMessage.body_text).where(OutboxMessage.to_addrs.is_not(None))
        ).all()
    assert any("取消的值班" in text and "2012年10月8日" in text and "陈科员" in text for text in body)
    # A swap next to the taker's own duty is made, with a warning about the run.
    assert main(["roster", "swap", "2012-10-09", "day", "L02", "L03", "--as-of", "2012-10-01"]) == 0
    assert "2 desk days running" in capsys.readouterr().err


def test_leave_moves_future_duties_to_others_fairly(
    rt: Runtime, desk: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["roster", "generate", *OCTOBER, "--write"]) == 0
    capsys.readouterr()
    before = stored_shifts(rt)
    away = [s for s in before if s.person == "L02" and s.on >= date(2012, 10, 15)]
    assert away
    result = _json(
        capsys,
        [
            "roster",
            "leave",
            "add",
            "L02",
            "2012-10-15",
            "2012-10-26",
            "--reason",
            "病假",
            "--as-of",
            "2012-10-12",
            "--json",
        ],
    )
    after = stored_shifts(rt)
    assert not [s for s in after if s.person == "L02" and date(2012, 10, 15) <= s.on <= date(2012, 10, 26)]
    assert len(after) == len(before)  # every vacated position filled
    assert {(r["date"], r["slot"]) for r in result["added"]} == {(s.on.isoformat(), s.slot) for s in away}
    assert main(["roster", "check", *OCTOBER]) == 0, capsys.readouterr().out
    told = {key.rsplit(":", 1)[1] for key, _to in outbox_addresses(rt)}
    assert "L02" in told and told - {"L02"} == {r["person"] for r in result["added"]}
    with rt.transaction() as session:
        leave = session.scalars(select(Leave)).one()
        request = session.scalars(select(RosterRequest).where(RosterRequest.kind == "leave")).one()
        assert request.leave_id == leave.id and request.requested_by == "L02" and leave.reason == "病假"


def test_the_feed_keeps_a_removed_duty_as_cancelled(
    rt: Runtime, desk: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with rt.transaction() as session:
        make_shifts(session, [(date(2012, 10, 8), "day", "L01"), (date(2012, 10, 10), "day", "L01")])
    assert main(["roster", "swap", "2012-10-10", "day", "L01", "L05", "--as-of", "2012-10-01"]) == 0
    capsys.readouterr()
    assert main(["roster", "ics", "--person", "L01"]) == 0
    feed = icalendar.Calendar.from_ical(capsys.readouterr().out)
    events = {str(e["UID"]): e for e in feed.walk("VEVENT")}
    assert set(events) == {
        "duty-2012-10-08-day-L01@localhost",
        "duty-2012-10-10-day-L01@localhost",
    }
    kept, gone = (
        events["duty-2012-10-08-day-L01@localhost"],
        events["duty-2012-10-10-day-L01@localhost"],
    )
    assert (str(kept["STATUS"]), int(kept["SEQUENCE"])) == ("CONFIRMED", 0)
    assert (str(gone["STATUS"]), int(gone["SEQUENCE"])) == ("CANCELLED", 1)
    assert str(gone["DTSTART"].params["TZID"]) == "Asia/Shanghai"
    # Given back: the same UID, confirmed again with a higher SEQUENCE.
    assert main(["roster", "swap", "2012-10-10", "day", "L05", "L01", "--as-of", "2012-10-01"]) == 0
    out = tmp_path / "l01.ics"
    assert main(["roster", "ics", "--person", "L01", "--out", str(out)]) == 0
    again = {str(e["UID"]): e for e in icalendar.Calendar.from_ical(out.read_bytes()).walk("VEVENT")}
    back = again["duty-2012-10-10-day-L01@localhost"]
    assert (str(back["STATUS"]), int(back["SEQUENCE"])) == ("CONFIRMED", 2)
    with rt.transaction() as session:
        assert session.scalar(select(func.count()).select_from(DutyChange)) == 4


def test_the_month_document_and_workbook(
    rt: Runtime, desk: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["roster", "generate", *OCTOBER, "--write"]) == 0
    capsys.readouterr()
    argv = ["roster", "document", "--month", "2012-10", "--out", str(tmp_path / "out"), "--json"]
    result = _json(capsys, [*argv, "--as-of", "2012-09-28"])
    docx_path, xlsx_path = (Path(p) for p in result["files"])
    assert docx_path.name == "值班安排表-2012-10.docx" and result["rows"] == 18
    document = docx.Document(io.BytesIO(docx_path.read_bytes()))
    # The district's name in the title (from the center's, XX区法律援助中心), the month after it.
    assert document.paragraphs[0].text.replace("\n", "") == (
        "XX区劳动人事争议仲裁委员会法律援助咨询点值班安排表（2012年10月）"
    )
    table = document.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["日期", "星期", "班次", "时间", "值班人员", "所属机构"]
    assert [c.text for c in table.rows[1].cells][:3] == ["2012年10月8日", "星期一", "全天"]
    assert table.rows[1].cells[5].text == "明理律师事务所"
    # The 落款: the center, and under it the day the sheet was made.
    assert [p.text for p in document.paragraphs[-2:]] == ["XX区法律援助中心", "2012年9月28日"]
    workbook = load_workbook(xlsx_path)
    sheet = workbook.active
    # A title row above the headers: one row more than the 18 desk days and the header.
    assert sheet is not None and sheet.max_row == 20 and sheet["E3"].value in NAMES
