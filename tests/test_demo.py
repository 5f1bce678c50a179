"""``legalaid demo``: the sample center carries the seed report's figures into the database, from real files.

The figures are checked with plain SQL on the demo's database, not through the demo's own summary code.
"""

from __future__ import annotations

import contextlib
import email
import email.message
import email.policy
import io
import json
import os
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import docx
import pytest
from sqlalchemy import create_engine, text

from cli import _common, app, main
from cli.demo.data import DEFAULT_AS_OF, KINDS, SCENARIOS, Row, generate
from cli.demo.run import FILES, STEPS, DemoRefused, DemoStep, prepare_data_dir, run_demo
from cli.demo_cmd import command_names
from legalaid.config import Settings
from legalaid.importing import import_file
from legalaid.runtime import build_runtime

CURRENT = ("2011-11-01", "2012-10-31")
PREVIOUS = ("2010-11-01", "2011-10-31")


@dataclass(frozen=True)
class DemoRun:
    data_dir: Path
    out: str
    err: str
    code: int
    seconds: float

    def sql(self, query: str, **params: Any) -> Any:
        engine = create_engine(f"sqlite:///{self.data_dir / 'legalaid.db'}")
        try:
            with engine.connect() as connection:
                return connection.execute(text(query), params).scalar()
        finally:
            engine.dispose()


def _run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str, float]:
    _common.reset_runtime()
    started = time.perf_counter()
    code = main(argv)
    seconds = time.perf_counter() - started
    captured = capsys.readouterr()
    return code, captured.out, captured.err, seconds


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRun]:
    """The demo, built once through the command line in a folder of its own, its output captured; the
    tests that read it change nothing."""
    folder = tmp_path_factory.mktemp("demo")
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        for name in [
            k for k in os.environ if k.startswith("LEGALAID_") and not k.startswith("LEGALAID_TEST")
        ]:
            patch.delenv(name)
        patch.chdir(folder)
        _common.reset_runtime()
        started = time.perf_counter()
        # Module-scoped, so capsys is not available; the consoles write to whatever sys.stdout is.
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["demo", "--dir", str(folder / "var")])
        seconds = time.perf_counter() - started
        _common.reset_runtime()
    print(f"\nlegalaid demo: wall time {seconds:.2f} s")
    yield DemoRun(folder / "var", out.getvalue(), err.getvalue(), code, seconds)


# The figures, counted in the database ---------------------------------------------------------------------


def test_the_demo_finishes_well_under_a_minute(demo: DemoRun) -> None:
    assert demo.code == 0
    print(f"demo wall time: {demo.seconds:.2f} s")
    assert demo.seconds < 30


@pytest.mark.parametrize(
    ("period", "cases", "civil", "criminal", "migrant"),
    [(PREVIOUS, 147, 88, 59, 64), (CURRENT, 165, 125, 40, 111)],
)
def test_cases_per_statistical_year(
    demo: DemoRun, period: tuple[str, str], cases: int, civil: int, criminal: int, migrant: int
) -> None:
    def count(condition: str) -> Any:
        query = f"SELECT count(*) FROM cases c WHERE applied_on BETWEEN :start AND :end AND {condition}"
        return demo.sql(query, start=period[0], end=period[1])

    migrant_worker = (
        "EXISTS (SELECT 1 FROM case_groups g WHERE g.case_id = c.id AND g.group_name = 'migrant_worker')"
    )
    assert count("1 = 1") == cases
    assert count("case_type = 'civil'") == civil
    assert count("case_type = 'criminal'") == criminal
    assert count(f"case_type = 'civil' AND {migrant_worker}") == migrant


def test_no_case_outside_the_two_years(demo: DemoRun) -> None:
    assert demo.sql("SELECT count(*) FROM cases") == 147 + 165


def test_the_desk_cases_and_other_groups(demo: DemoRun) -> None:
    start, end = CURRENT
    desk = "SELECT count(*) FROM cases WHERE applied_on BETWEEN :start AND :end AND intake = :intake"
    assert demo.sql(desk, start=start, end=end, intake="arbitration_desk") == 47
    groups = demo.sql("SELECT count(DISTINCT group_name) FROM case_groups")
    assert groups == 6  # migrant workers, and 残疾人, 未成年人, 老年人, 军人军属, 妇女


@pytest.mark.parametrize(
    ("period", "channel", "outcome", "total"),
    [
        (CURRENT, "hotline_148", None, 1912),
        (PREVIOUS, "hotline_148", None, 1540),
        (CURRENT, "arbitration_desk", "answered", 482),
        (CURRENT, "arbitration_desk", "mediated", 23),
        (CURRENT, "arbitration_desk", "converted", 47),
    ],
)
def test_consultations(
    demo: DemoRun, period: tuple[str, str], channel: str, outcome: str | None, total: int
) -> None:
    start, end = period
    query = 'SELECT sum("count") FROM consultations WHERE "on" BETWEEN :start AND :end AND channel = :channel'
    if outcome:
        query += " AND outcome = :outcome"
    assert demo.sql(query, start=start, end=end, channel=channel, outcome=outcome) == total


def test_firms_people_and_roster(demo: DemoRun) -> None:
    assert demo.sql("SELECT count(*) FROM firms WHERE accepts_applications") == 6
    assert demo.sql("SELECT count(*) FROM people") == 40
    assert demo.sql("SELECT count(*) FROM people WHERE desk_pool AND active") == 12
    assert demo.sql("SELECT count(*) FROM people WHERE NOT active") == 2
    # October 2012: the National Day week off, so the 18 working days from 8 to 31 October.
    october = 'SELECT count(*) FROM duty_shifts WHERE "on" BETWEEN :start AND :end'
    assert demo.sql(october, start="2012-10-01", end="2012-10-31") == 18
    assert demo.sql("SELECT count(*) FROM leave") == 3


def test_scenarios_are_open_at_the_demo_date(demo: DemoRun) -> None:
    """Each deliberate situation is in the database as described, for reminders to find."""
    data = generate()
    expected_open = {
        "review_overdue": "decided_on",
        "assignment_overdue": "assigned_on",
        "no_first_contact": "first_contact_on",
        "closure_overdue": "closure_submitted_on",
        "return_visit_due": "return_visit_on",
    }
    for name, step in expected_open.items():
        query = f"SELECT {step} IS NULL FROM cases WHERE case_no = :case_no"
        assert demo.sql(query, case_no=data.scenarios[name]) == 1, name
    hearing = "SELECT next_hearing_on FROM cases WHERE case_no = :case_no"
    assert demo.sql(hearing, case_no=data.scenarios["hearing_soon"]) == "2012-11-02"  # the next working day
    assert set(data.scenarios) == set(SCENARIOS)


# The command line ----------------------------------------------------------------------------------------


def test_summary_states_the_seed_figures(demo: DemoRun) -> None:
    assert demo.code == 0, demo.err
    rows = {line.split("│")[0].strip(): line for line in demo.out.splitlines() if "│" in line}
    expected = {
        "cases 援助案件": ("147", "165", "+12.24%"),
        "civil 民事": ("88", "125", "+42.05%"),
        "migrant 农民工": ("64", "111 (88.8%)"),
        "criminal 刑事": ("59", "40"),
        "148 hotline 热线": ("1,540", "1,912"),
        "answered 解答": ("482",),
        "mediated 调解": ("23",),
        "converted 转案件": ("47",),
    }
    for label, figures in expected.items():
        cells = [cell.strip() for cell in rows[label].split("│")[1:]]
        assert all(figure in cells for figure in figures), (label, cells)
    assert "2012年度" in demo.out and "2011年度" in demo.out


def test_next_lists_only_commands_that_exist(demo: DemoRun) -> None:
    available = command_names(app)
    groups = {group.name for group in app.registered_groups}
    # The command is `legalaid`, or its full path when the shell would not find it (see legalaid_command).
    suggested = [
        line.split()[1:]
        for line in demo.out.splitlines()
        if line.split() and Path(line.split()[0]).name == "legalaid"
    ]
    assert len(suggested) >= 3
    for words in suggested:
        assert words[0] in available, words
        if words[0] in groups and not words[1].startswith("-"):
            assert f"{words[0]} {words[1]}" in available, words


def test_a_second_run_refuses_in_one_line(demo: DemoRun, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err, _seconds = _run_cli(["demo", "--dir", str(demo.data_dir)], capsys)
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1 and "already holds data" in err and "--force" in err
    assert demo.sql("SELECT count(*) FROM cases") == 312  # untouched


def test_force_rebuilds_and_json_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = tmp_path / "var"
    assert _run_cli(["demo", "--dir", str(data_dir)], capsys)[0] == 0
    (data_dir / "mail").mkdir(exist_ok=True)
    (data_dir / "mail" / "old.eml").write_text("stale", "utf-8")
    code, out, err, seconds = _run_cli(["demo", "--dir", str(data_dir), "--force", "--json"], capsys)
    print(f"demo --force --json: {seconds:.2f} s")
    assert code == 0, err
    report = json.loads(out)
    current = report["years"][1]
    assert (current["label"], current["start"], current["end"]) == (2012, *CURRENT)
    assert current["cases"]["cases"] == 165 and report["years"][0]["cases"]["cases"] == 147
    assert current["cases"]["civil_migrant"] == 111
    assert current["consultations"]["hotline_148"] == 1912
    assert report["growth"]["cases"] == 12.24
    assert report["as_of"] == DEFAULT_AS_OF.isoformat()
    assert report["next"] and all(isinstance(line, str) for line in report["next"])
    assert not (data_dir / "mail" / "old.eml").exists()  # the old var went first
    engine = create_engine(f"sqlite:///{data_dir / 'legalaid.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM cases")).scalar() == 312  # replaced, not doubled
    engine.dispose()


def test_bad_as_of_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err, _seconds = _run_cli(
        ["demo", "--dir", str(tmp_path / "v"), "--as-of", "2012-13-01"], capsys
    )
    assert code == 2 and err.count("\n") == 1 and "--as-of" in err


# The files -------------------------------------------------------------------------------------------------


def test_files_are_in_the_encodings_claimed(demo: DemoRun) -> None:
    folder = demo.data_dir / "demo"
    for demo_file in FILES:
        data = (folder / demo_file.name).read_bytes()
        if demo_file.encoding == "utf-8-sig":
            assert data.startswith(b"\xef\xbb\xbf"), demo_file.name
            assert data.decode("utf-8-sig").splitlines()[0].split(",")[0] in {"代码", "案号", "人员"}
        elif demo_file.encoding == "gb18030":
            with pytest.raises(UnicodeDecodeError):
                data.decode("utf-8")  # really GB18030, not UTF-8 that happens to decode
            assert data.decode("gb18030").startswith("编号,姓名,")
        else:
            assert zipfile.is_zipfile(folder / demo_file.name), demo_file.name
    assert [f.kind for f in FILES] == list(KINDS)
    assert "report_year_start_month = 11" in (folder / "legalaid.toml").read_text("utf-8")


def test_importing_the_files_again_changes_nothing(demo: DemoRun) -> None:
    rt = build_runtime(Settings(data_dir=demo.data_dir))
    try:
        for demo_file in FILES:
            result = import_file(rt, demo_file.kind, demo.data_dir / "demo" / demo_file.name)
            assert (result.inserted, result.updated) == (0, 0), demo_file.name
    finally:
        rt.dispose()


def _day(row: Row, name: str) -> date | None:
    value = row[name]
    assert value is None or isinstance(value, date), (name, value)
    return value


# The generator ---------------------------------------------------------------------------------------------


def test_the_generator_is_deterministic() -> None:
    first, second = generate(), generate()
    assert first == second
    assert generate(seed=7).rows("cases") != first.rows("cases")


def test_every_dated_step_is_realistic() -> None:
    data = generate()
    as_of = data.as_of
    chain = ("applied_on", "decided_on", "assigned_on", "first_contact_on", "ended_on",
             "closure_submitted_on", "return_visit_on")  # fmt: skip
    prompt_reviews = prompt_assignments = decided = 0
    for case in data.rows("cases"):
        dates = [_day(case, step) for step in chain]
        done = [d for d in dates if d is not None]
        assert dates[: len(done)] == done, case["case_no"]  # no step after an open one
        assert done == sorted(done), case["case_no"]
        assert all(d <= as_of for d in done), case["case_no"]
        assert (case["decision"] is None) == (case["decided_on"] is None)
        assert (case["lawyer"] is None) == (case["assigned_on"] is None)
        applied, decided_on, assigned_on = dates[0], dates[1], dates[2]
        if (progress := _day(case, "last_progress_on")) is not None:
            assert _day(case, "first_contact_on") is not None
            assert dates[3] is not None and dates[3] <= progress <= as_of
        if decided_on is not None and applied is not None:
            decided += 1
            prompt_reviews += 1 <= (decided_on - applied).days <= 7
            if assigned_on is not None:
                prompt_assignments += (assigned_on - decided_on).days <= 3
    # Holidays (Spring Festival, National Day) and the deliberate late steps are the only exceptions.
    assert prompt_reviews / decided > 0.95
    assert prompt_assignments / decided > 0.95


def test_case_numbers_and_people() -> None:
    data = generate()
    numbers = [case["case_no"] for case in data.rows("cases")]
    assert len(set(numbers)) == len(numbers)
    assert "2012民援第001号" in numbers and "2012刑援第001号" in numbers
    phones = [str(p["phone"]) for p in data.rows("people")]
    assert all(len(phone) == 11 and phone.startswith("13") for phone in phones)
    assert all(str(p["email"]).endswith("@example.cn") for p in data.rows("people"))
    assert all(str(f["email"]).endswith("@example.cn") and f["director"] for f in data.rows("firms"))


def test_the_roster_takes_turns_and_respects_leave() -> None:
    data = generate()
    people = [row["person"] for row in data.rows("roster")]
    assert all(a != b for a, b in zip(people, people[1:], strict=False))  # never two days running
    for leave in data.rows("leave"):
        start, end = _day(leave, "start"), _day(leave, "end")
        assert start is not None and end is not None
        for row in data.rows("roster"):
            day = _day(row, "date")
            assert day is not None
            assert not (row["person"] == leave["person"] and start <= day <= end)
    first_day = DEFAULT_AS_OF - timedelta(days=31)
    assert all(first_day <= (_day(row, "date") or first_day) < DEFAULT_AS_OF for row in data.rows("roster"))


def test_other_demo_dates_keep_the_figures() -> None:
    data = generate(date(2025, 11, 3))
    previous, current = data.years
    assert (current.start, current.end) == (date(2024, 11, 1), date(2025, 10, 31))
    assert sum(1 for c in data.rows("cases") if c["applied_on"] in current) == 165
    assert sum(1 for c in data.rows("cases") if c["applied_on"] in previous) == 147


# The extension point --------------------------------------------------------------------------------------


def test_a_later_step_runs_after_the_import_and_reports(tmp_path: Path) -> None:
    def count_open_cases(context: Any) -> dict[str, int]:
        with context.rt.sessions() as session:
            return {"open": session.scalar(text("SELECT count(*) FROM cases WHERE ended_on IS NULL"))}

    report = run_demo(
        Settings(data_dir=tmp_path / "var"),
        steps=[*STEPS, DemoStep("extra", count_open_cases, "a test step")],
    )
    assert report.steps["extra"]["open"] > 0
    assert report.summary["years"][1]["cases"]["cases"] == 165


def test_force_never_empties_another_database(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    settings = Settings(data_dir=tmp_path / "var", database_url=f"sqlite:///{other}")
    run_demo(settings, steps=STEPS)
    with pytest.raises(DemoRefused, match="only the embedded"):
        prepare_data_dir(settings, force=True)
    assert other.exists()


@pytest.mark.services
def test_the_demo_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    """The summary's aggregates (FILTER, a correlated EXISTS) count the same on PostgreSQL."""
    report = run_demo(Settings(data_dir=tmp_path / "var", database_url=postgres_url))
    previous, current = report.summary["years"]
    assert (previous["cases"]["cases"], current["cases"]["cases"]) == (147, 165)
    cases, consultations = current["cases"], current["consultations"]
    assert [cases[name] for name in ("civil", "civil_migrant", "criminal")] == [125, 111, 40]
    desk = ("hotline_148", "desk_answered", "desk_mediated", "desk_converted")
    assert [consultations[name] for name in desk] == [1912, 482, 23, 47]
    with pytest.raises(DemoRefused, match="already holds data"):
        run_demo(Settings(data_dir=tmp_path / "var", database_url=postgres_url))


def test_the_notices_are_eml_files_with_word_documents_attached(demo: DemoRun) -> None:
    """Issue 3's promise: after `legalaid demo` the user finds the assignment notices as .eml files whose
    .docx attachments open in Word."""
    messages = demo.sql("SELECT count(*) FROM outbox")
    assert messages > 0
    assert demo.sql("SELECT count(*) FROM outbox WHERE status = 'sent'") == messages
    files = sorted((demo.data_dir / "mail").rglob("*.eml"))
    assert len(files) == messages
    assigned = [path for path in files if "case_assigned" in path.name]
    assert assigned, [path.name for path in files]
    message = email.message_from_bytes(assigned[0].read_bytes(), policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    assert str(message["Subject"]).startswith("指派通知书：")
    [attachment] = list(message.iter_attachments())
    assert str(attachment.get_filename()).startswith("指派通知书-") and attachment.get_filename().endswith(
        ".docx"
    )
    content = attachment.get_content()
    words = [p.text for p in docx.Document(io.BytesIO(content)).paragraphs]
    assert "指派通知书" in words
    assert f"{messages} sent, 0 queued (as .eml files in" in demo.out


def test_the_reminders_of_the_demo_date_are_sent_as_digests(demo: DemoRun) -> None:
    """Issue 4's promise: the demo shows the reminders due on its demo date, delivered as digests."""
    assert demo.sql("SELECT count(*) FROM reminders_sent WHERE status = 'sent'") > 0
    digests = demo.sql("SELECT count(*) FROM outbox WHERE idempotency_key LIKE 'reminder-digest:%'")
    escalations = demo.sql("SELECT count(*) FROM outbox WHERE idempotency_key LIKE 'escalation-digest:%'")
    assert digests > 0 and escalations > 0
    assert demo.sql("SELECT count(*) FROM outbox WHERE status != 'sent'") == 0
