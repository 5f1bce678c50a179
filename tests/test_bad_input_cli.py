"""Bad input, property-based, over every command's arguments: dates (2012-02-30, 20121008, 0001-01-01),
person and case codes (unknown, empty, huge, with brackets, line breaks or bytes the terminal could not
decode), numbers (negative, huge, not numbers), paths (a file where a folder should be, a folder where a file
should be, one that cannot be made), kinds, locales, slots, months, years and quarters.

The property: the command succeeds, or it prints exactly one ``error:`` line (the last on stderr; an import
lists its bad rows above it), exits non-zero, and not one row of any table changed. Never a traceback.
The command tree is walked, so a new command or option without a strategy here fails the test that says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from bad_input import Outcome, examples, run, snapshot
from factories import SAMPLES, write_file
from hypothesis import event, given
from hypothesis import strategies as st

from cli import _command, main
from cli._common import one_line
from legalaid.importing import KINDS
from legalaid.runtime import Runtime, build_runtime

# Commands that run until stopped, or build a whole demo center: only their refusals are tried.
LONG_RUNNING = {"worker", "serve", "scheduler", "web", "demo"}
# Commands whose exit 1 reports what they found (problems, a service down), printed on stdout.
REPORTING_EXIT = {"roster check", "status", "jobs status"}
# The reports render a Word document with charts (a second each): tried in a test of their own.
REPORTS = {"report annual", "report quarterly", "report firm"}
RECORDED = "(recorded; `legalaid report runs` lists it)"


def _text() -> st.SearchStrategy[str]:
    # No NUL: a process's arguments cannot hold one.
    return st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=12)


AWKWARD = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "[/red]",
            "[bold]x",
            "a\nb",
            "\udcff",
            "x" * 300,
            "../../etc/passwd",
            "-1",
            "--json",
            "%s{}",
        ]
    ),
    _text(),
)


@dataclass(frozen=True)
class Values:
    """A parameter's values: ones a user means (which may still name nothing), and mistakes."""

    good: st.SearchStrategy[str]
    bad: st.SearchStrategy[str]


def _values(good: list[str], bad: list[str], *more_bad: st.SearchStrategy[str]) -> Values:
    return Values(st.sampled_from(good), st.one_of(st.sampled_from(bad), *more_bad, AWKWARD))


DATES = Values(
    st.dates(min_value=date(2011, 1, 1), max_value=date(2013, 12, 31)).map(date.isoformat),
    st.one_of(
        st.dates().map(date.isoformat),  # 0001-01-01 … 9999-12-31
        st.sampled_from(["2012-02-30", "2012-13-01", "20121008", "2012-W40-1", "2012/10/08", "2012-10-8"]),
        AWKWARD,
    ),
)
INTS = Values(
    st.integers(1, 40).map(str),
    st.one_of(
        st.integers(-(10**30), 10**30).map(str),
        st.sampled_from(["0", "abc", "1e3", "0x10", "１２", "9223372036854775808", "3661", "-3661"]),
        AWKWARD,
    ),
)
PERSONS = _values(["L001", "L002", "W001", "S001", "D001"], ["NOBODY", "l001", " L001"])
# Values a parameter takes, good and bad, by the parameter's name (command:name where one name means two
# things).
STRATEGIES: dict[str, Values] = {
    "start": DATES,
    "end": DATES,
    "on": DATES,
    "as_of": DATES,
    "issued_on": DATES,
    "day": DATES,
    "days": INTS,
    "outbox_id": INTS,
    "concurrency": INTS,
    "person": PERSONS,
    "from_person": PERSONS,
    "to_person": PERSONS,
    "by": PERSONS,
    "case_no": _values(["2012援001", "2012援002", "2012援003", "2012援004"], ["2099援999", "2012援01"]),
    "code": _values(["F01", "S01"], ["NOPE", "f01"]),
    "year": _values(["2012", "2011"], ["1900", "3000", "0", "9999", "２０１２", "12"]),
    "quarter": _values(["2012Q1", "2012Q4", "2011Q2"], ["2012Q5", "2012Q0", "Q1", "2012-Q1"]),
    "month": _values(["2012-10", "2012-11"], ["2012-13", "0-1", "99999-1", "x", "2012/10"]),
    "slot": _values(["day"], ["am", "pm", "全天x", "noon"]),
    "locale": _values(["zh_CN", "en"], ["fr", "EN", "zh-CN"]),
    "reason": Values(_text(), st.one_of(st.just("长" * 201), AWKWARD)),
    "key": _values(["reminders:2012-10-08"], ["nope"]),
    "import:kind": _values(list(KINDS), ["lawyers", "Cases"]),
    "documents render:kind": _values(["grant_decision", "denial_decision", "assignment_notice"], ["nope"]),
    "roster notify:kind": _values(["week-ahead", "day-before", "alerts", "month-report"], ["bogus"]),
    # Paths under the test's folder (the working directory).
    "folder": _values(
        ["existing", "out", "out/新 文件夹", "[x]"], ["a-file.txt", "a-file.txt/below", "/proc/x"]
    ),
    "roster ics:out": _values(["duties.ics", "out.ics"], ["existing", "missing/duties.ics", "x" * 300]),
    "file_name": _values(
        ["people.csv", "bad.csv", "people.xlsx"], ["binary.xlsx", "existing", "missing.csv", "a-file.txt"]
    ),
    "queues": _values(["mail"], ["nope", ","]),
    "pool": _values(["solo"], ["bogus"]),
    "hostname": Values(_text(), AWKWARD),
    "host": _values(["127.0.0.1"], ["", "no such host name"]),
    "port": _values(["8000"], ["0", "65536", "http"]),
    "forwarded_allow_ips": _values(["127.0.0.1"], [""]),
    "tokens create:name": _values(["case-system", "报表"], ["", " ", "x" * 200]),
    "tokens revoke:name": _values(["seed-token"], ["", "never-made"]),
    "scope": _values(["read", "write", "admin"], ["all", "READ", ""]),
    "role": _values(["staff", "leader", "admin"], ["root", "ADMIN", ""]),
}
STRATEGIES["out"] = STRATEGIES["data_dir"] = STRATEGIES["folder"]
# Flags: given or not (both --progress and --no-progress for the one that has two).
FLAGS = {
    "as_json",
    "dry_run",
    "pdf",
    "force",
    "write",
    "replace",
    "send",
    "resend",
    "failed",
    "dead",
    "strict",
    "no_web",
    "password_stdin",
    "new",
    "revoke",
}


def _commands() -> dict[str, list[object]]:
    found: dict[str, list[object]] = {}

    def walk(command: object, path: list[str]) -> None:
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for name, sub in subcommands.items():
                walk(sub, [*path, name])
        else:
            found[" ".join(path)] = [p for p in command.params if p.name != "help"]  # type: ignore[attr-defined]

    walk(_command(), [])
    return found


COMMANDS = _commands()


def _strategy(command: str, name: str) -> Values | None:
    return STRATEGIES.get(f"{command}:{name}", STRATEGIES.get(name))


def test_every_option_of_every_command_has_values_to_try() -> None:
    missing = [
        f"{command} {param.name}"  # type: ignore[attr-defined]
        for command, params in COMMANDS.items()
        for param in params
        if param.name not in FLAGS | {"progress"} and _strategy(command, param.name) is None  # type: ignore[attr-defined]
    ]
    assert missing == []
    assert {"import", "case assign", "documents render", "roster swap", "mail retry"} <= set(COMMANDS)


@st.composite
def argvs(draw: st.DrawFn, commands: list[str]) -> list[str]:
    """A command line: every argument given a value and each option given one or left out, all good, all
    but one good, or anything; arguments sometimes in the wrong order, options before them."""
    command = draw(st.sampled_from(commands))
    params = [p for p in COMMANDS[command] if p.name not in FLAGS | {"progress"}]  # type: ignore[attr-defined]
    mode = draw(st.sampled_from(["good", "one bad", "any"]))
    wrong = draw(st.sampled_from(params)) if params and mode == "one bad" else None
    arguments: list[str] = []
    options: list[str] = []
    for param in COMMANDS[command]:
        name, opts = param.name, param.opts  # type: ignore[attr-defined]
        if name in FLAGS:
            options += draw(st.sampled_from([[], [opts[0]]]))
            continue
        if name == "progress":
            options += draw(st.sampled_from([[], ["--progress"], ["--no-progress"]]))
            continue
        values = _strategy(command, name)
        assert values is not None, name
        bad = param is wrong or (mode == "any" and draw(st.booleans()))
        value = values.bad if bad else values.good
        if not opts[0].startswith("-"):  # an argument
            if param.required or param is wrong or draw(st.booleans()):  # type: ignore[attr-defined]
                arguments.append(draw(value))
        elif param.required or param is wrong or draw(st.booleans()):  # type: ignore[attr-defined]
            repeat = 2 if param.multiple and draw(st.booleans()) else 1  # type: ignore[attr-defined]
            for _ in range(repeat):
                options += [opts[0], draw(value)]
    if mode == "any" and draw(st.booleans()):
        arguments = draw(st.permutations(arguments))  # a date where a code should be
    separator = ["--"] if arguments and draw(st.booleans()) else []
    return [*command.split(), *options, *separator, *arguments]


@pytest.fixture
def center(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Runtime]:
    """The sample center (firms, people, cases, a desk roster, leave) with one notice in the outbox, and
    the files the path strategies name, in the embedded database."""
    yield from _center(tmp_path, capsys)


@pytest.fixture
def pg_center(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> Iterator[Runtime]:
    """The same center in PostgreSQL, which refuses what SQLite lets by (a value longer than its column)."""
    monkeypatch.setenv("LEGALAID_DATABASE_URL", postgres_url)
    yield from _center(tmp_path, capsys)


def _center(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Runtime]:
    assert main(["db", "upgrade"]) == 0
    for kind in ("firms", "people", "cases", "roster", "leave"):
        write_file(tmp_path, kind, SAMPLES[kind], name=f"seed-{kind}.csv")
        assert main(["import", kind, f"seed-{kind}.csv"]) == 0
    # A notice in the outbox (mail show 1 works): a reassignment while the case was open.
    assert main(["case", "assign", "2012援001", "L002", "--on", "2012-05-01"]) == 0
    assert main(["tokens", "create", "seed-token", "--scope", "read"]) == 0  # one to revoke
    (tmp_path / "existing").mkdir()
    (tmp_path / "a-file.txt").write_text("not a folder")
    write_file(tmp_path, "people", SAMPLES["people"])
    (tmp_path / "bad.csv").write_text("code,name,role\nP1,,nobody\n", encoding="utf-8")
    (tmp_path / "binary.xlsx").write_bytes(b"PK\x03\x04" + bytes(range(256)))
    capsys.readouterr()
    rt = build_runtime()
    yield rt
    rt.dispose()


def assert_refused_or_done(rt: Runtime, argv: list[str], capsys: pytest.CaptureFixture[str]) -> Outcome:
    before = snapshot(rt.engine)
    outcome = run(argv, capsys)
    assert "Traceback" not in outcome.err, (argv, outcome.err)
    command = " ".join(argv[:2]) if " ".join(argv[:2]) in COMMANDS else argv[0]
    if outcome.code == 0:
        return outcome
    errors = [line for line in outcome.err_lines if line.startswith("error:")]
    if not errors and command in REPORTING_EXIT:
        return outcome  # findings on stdout, exit 1
    assert len(errors) == 1 and outcome.err_lines[-1] == errors[0], (argv, outcome.err)
    if errors[0].endswith(RECORDED):  # a report that could not be sent is in the ledger, by design
        return outcome
    assert _names_a_place(errors[0], argv, command), (argv, errors[0])
    assert snapshot(rt.engine) == before, argv
    return outcome


def _names_a_place(error: str, argv: list[str], command: str) -> bool:
    """Whether the error names where the mistake is: an option or argument of the command (as typed or
    by its metavar), a value given (as the error line shows it), or the file of an import."""
    params = COMMANDS.get(command, [])
    places = {opt for p in params for opt in p.opts if opt.startswith("-")}  # type: ignore[attr-defined]
    places |= {(p.metavar or p.name.upper()) for p in params}  # type: ignore[attr-defined]
    given = argv[len(command.split()) :]
    places |= {one_line(value) for value in given if value.strip()} | {repr(value) for value in given}
    places |= {f"error: {value}:" for value in given}  # a file or folder named " "
    # "No such option: -1" for a value "-10": click read it as the option -1; that is the place it names.
    return any(place in error for place in places) or "argument" in error or "No such option: -" in error


QUICK = sorted(set(COMMANDS) - LONG_RUNNING - REPORTS)


@examples(200)
@given(data=st.data())
def test_every_command_refuses_bad_arguments_in_one_line(
    center: Runtime, capsys: pytest.CaptureFixture[str], data: st.DataObject
) -> None:
    argv = data.draw(argvs(QUICK), label="argv")
    outcome = assert_refused_or_done(center, argv, capsys)
    event(f"{argv[0]}: {'done' if outcome.code == 0 else 'refused'}")  # --hypothesis-show-statistics


@pytest.mark.services
@examples(60)
@given(data=st.data())
def test_every_command_refuses_bad_arguments_in_one_line_on_postgresql(
    pg_center: Runtime, capsys: pytest.CaptureFixture[str], data: st.DataObject
) -> None:
    argv = data.draw(argvs(QUICK), label="argv")
    assert_refused_or_done(pg_center, argv, capsys)


@examples(10)
@given(data=st.data())
def test_the_reports_refuse_bad_arguments_in_one_line(
    center: Runtime, capsys: pytest.CaptureFixture[str], data: st.DataObject
) -> None:
    argv = data.draw(argvs(sorted(REPORTS)), label="argv")
    outcome = assert_refused_or_done(center, argv, capsys)
    event(f"{argv[1]}: {'done' if outcome.code == 0 else 'refused'}")


@examples(25)
@given(data=st.data())
def test_long_running_commands_refuse_before_starting(
    center: Runtime, capsys: pytest.CaptureFixture[str], data: st.DataObject
) -> None:
    command = data.draw(st.sampled_from(["worker", "serve", "demo"]))
    bad = {
        "worker": st.sampled_from([["--concurrency", "0"], ["--pool", "bogus"], ["-c", "abc"], ["--nope"]]),
        "serve": st.sampled_from([["--concurrency", "-1"], ["-P", "fork"], ["extra"]]),
        "demo": st.one_of(
            st.tuples(st.just("--as-of"), st.sampled_from(["2012-02-30", "0001-01-01", "x"])).map(list),
            st.just(["--dir", "a-file.txt"]),
            st.just(["--dir", "a-file.txt/below"]),
        ),
    }[command]
    outcome = assert_refused_or_done(center, [command, *data.draw(bad)], capsys)
    assert outcome.code != 0


@pytest.mark.parametrize(
    ("argv", "naming"),
    [
        (
            ["calendar", "show", "--from", "2012-02-30", "--to", "2012-03-01"],
            "--from: '2012-02-30' is not a date",
        ),
        (["calendar", "next", "--from", "9999-12-31"], "--from: 9999-12-31 is out of range"),
        (["calendar", "next", "--from", "2012-10-08", "--days", "99999999999"], "'--days'"),
        (["reminders", "run", "--as-of", "0001-01-01", "--dry-run"], "--as-of: 0001-01-01 is out of range"),
        (["roster", "notify", "--as-of", "20121008"], "--as-of: '20121008' is not a date"),
        (["mail", "show", "99999999999999999999999"], "Invalid value for 'ID'"),
        (["case", "assign", "2012[/x]", "L001"], "case 2012[/x]: no such case"),
        (["case", "assign", "a\nb", "L001"], "case a\\nb: no such case"),
        (["case", "assign", "\udcff", "L001"], "argument 3 (b'\\xff') is not UTF-8 text"),
        (
            ["documents", "render", "grant_decision", "--case", "2012援001", "--out", "a-file.txt"],
            "--out: a-file.txt",
        ),
        (["roster", "ics", "--person", "L001", "--out", "existing"], "--out: existing is a folder"),
        (
            ["roster", "document", "--month", "2012-10", "--out", "a-file.txt/below"],
            "--out: a-file.txt is a file",
        ),
        (["report", "annual", "--year", "2012", "--out", "a-file.txt"], "--out: a-file.txt is a file"),
        (
            ["roster", "leave", "add", "L001", "2012-12-01", "2012-12-02", "--reason", "长" * 201],
            "--reason: 201",
        ),
        (["templates", "check", "--dir", "missing"], "--dir: missing is not a folder"),
        (["db", "current", "--bogus"], "legalaid db current: No such option: --bogus"),
    ],
)
def test_examples_of_what_was_a_traceback_or_taken_wrongly(
    center: Runtime, capsys: pytest.CaptureFixture[str], argv: list[str], naming: str
) -> None:
    outcome = assert_refused_or_done(center, argv, capsys)
    assert outcome.code != 0 and len(outcome.err_lines) == 1 and naming in outcome.err, outcome.err


@pytest.mark.services
def test_an_overlong_reason_is_refused_on_postgresql_too(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEGALAID_DATABASE_URL", postgres_url)
    assert main(["db", "upgrade"]) == 0
    for kind in ("firms", "people"):
        write_file(tmp_path, kind, SAMPLES[kind], name=f"seed-{kind}.csv")
        assert main(["import", kind, f"seed-{kind}.csv"]) == 0
    rt = build_runtime()
    try:
        argv = ["roster", "leave", "add", "L001", "2030-12-01", "2030-12-02", "--reason", "长" * 201]
        outcome = assert_refused_or_done(rt, argv, capsys)
        assert outcome.err == "error: --reason: 201 characters, at most 200\n"
        argv[-1] = "长" * 200
        assert assert_refused_or_done(rt, argv, capsys).code == 0
    finally:
        rt.dispose()
