"""Logging: personal numbers masked (and only they: properties over what must and must not be masked),
secrets masked in messages and tracebacks, one JSON object per line, and the work in hand (task, job,
outbox message) named on every line."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from datetime import UTC, date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safety_scan import unmasked_personal

from legalaid.config import Settings
from legalaid.logs import command_logging, log_context, mask_personal, mask_secrets
from legalaid.mail import FileTransport, deliver_one, enqueue
from legalaid.mail.compose import message_id_for
from legalaid.runtime import Runtime

PROPERTIES = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text around a number: anything but ASCII letters and digits next to it (a digit would make it another
# number; Latin letters glued to digits make a word or a hash, see legalaid.logs).
_EDGE = st.characters(blacklist_characters=".+-\x00").filter(
    lambda c: not c.isdecimal() and not (c.isascii() and c.isalnum())
)
_AROUND = st.text(st.characters(blacklist_characters="\x00"), max_size=12)


@st.composite
def _surrounded(draw: st.DrawFn, number: st.SearchStrategy[str]) -> tuple[str, str]:
    """(text with the number in it, the number)."""
    value = draw(number)
    before = draw(st.one_of(st.just(""), st.builds(lambda t, c: t + c, _AROUND, _EDGE)))
    after = draw(st.one_of(st.just(""), st.builds(lambda c, t: c + t, _EDGE, _AROUND)))
    return f"{before}{value}{after}", value


def _birthdays(start: date, end: date) -> st.SearchStrategy[date]:
    return st.dates(min_value=start, max_value=end)


_AREA = st.integers(110000, 829999).map(str)
OLD_IDS = st.builds(
    lambda area, born, serial: f"{area}{born:%y%m%d}{serial:03d}",
    _AREA,
    _birthdays(date(1900, 1, 1), date(2004, 12, 31)),
    st.integers(0, 999),
)
NEW_IDS = st.builds(
    lambda area, born, serial, check: f"{area}{born:%Y%m%d}{serial:03d}{check}",
    _AREA,
    _birthdays(date(1900, 1, 1), date(2024, 12, 31)),
    st.integers(0, 999),
    st.sampled_from("0123456789Xx"),
)
MOBILES = st.builds(
    lambda prefix, second, rest, style: style.format(f"1{second}{rest[0]}", rest[1:5], rest[5:]),
    st.just(""),
    st.sampled_from("3456789"),
    st.text("0123456789", min_size=9, max_size=9),
    st.sampled_from(["{}{}{}", "{}-{}-{}", "+86{}{}{}", "+86-{}{}{}"]),
)


@PROPERTIES
@given(_surrounded(OLD_IDS))
def test_a_15_digit_id_card_is_masked_wherever_it_stands(case: tuple[str, str]) -> None:
    text, number = case
    masked = mask_personal(text)
    assert number not in masked
    assert f"{number[:4]}********{number[-3:]}" in masked
    assert unmasked_personal(masked) == []


@PROPERTIES
@given(_surrounded(NEW_IDS))
def test_an_18_digit_id_card_is_masked_wherever_it_stands(case: tuple[str, str]) -> None:
    text, number = case
    masked = mask_personal(text)
    assert number not in masked
    assert f"{number[:4]}**********{number[-4:]}" in masked


@PROPERTIES
@given(_surrounded(MOBILES))
def test_a_mobile_number_is_masked_wherever_it_stands(case: tuple[str, str]) -> None:
    text, number = case
    masked = mask_personal(text)
    assert number not in masked
    digits = number.replace("-", "")
    assert digits[-4:] in masked and "****" in masked
    assert unmasked_personal(masked) == []


# What is not a person's number: it must come out exactly as it went in.
CASE_NUMBERS = st.builds(
    lambda year, kind, n, style: style.format(year=year, kind=kind, n=n),
    st.integers(1990, 2040),
    st.sampled_from("民刑行"),
    st.integers(1, 9999),
    st.sampled_from(["{year}{kind}援第{n:03d}号", "（{year}）{kind}援字第{n}号", "{year}援{n:03d}"]),
)
AMOUNTS = st.one_of(
    st.integers(0, 9_999_999_999).map(lambda n: f"{n:,}元"),
    st.integers(0, 9_999_999_999).map(str),
    st.decimals(0, Decimal("99999999999.99"), places=2).map(lambda d: f"¥{d}"),
)
DATES = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.dates().map(lambda d: f"{d:%Y%m%d}"),
    st.dates().map(lambda d: f"{d.year}年{d.month}月{d.day}日"),
    st.datetimes(timezones=st.just(UTC)).map(lambda t: t.isoformat()),
    st.datetimes().map(lambda t: f"{t:%Y%m%d%H%M%S}"),
)
MESSAGE_IDS = st.builds(
    message_id_for,
    st.text(min_size=1, max_size=40),
    st.sampled_from(["", "center@legalaid.example.org", "法律援助中心 <c@example.cn>"]),
)
KEYS = st.builds(
    lambda kind, day, person, digest: f"{kind}:{day}:{person}:{digest}",
    st.sampled_from(["reminder-digest", "escalation-digest", "roster:daybefore"]),
    st.dates().map(date.isoformat),
    st.from_regex(r"[A-Z]{2}[0-9]{3}", fullmatch=True),
    st.one_of(
        st.binary(min_size=8, max_size=16).map(bytes.hex),
        # A digest whose digits happen to look like a mobile or an ID.
        st.builds(
            lambda letter, digits, rest: letter + digits + rest,
            st.sampled_from("abcdef"),
            st.one_of(OLD_IDS, NEW_IDS.filter(str.isdigit), MOBILES.filter(str.isdigit)),
            st.binary(max_size=4).map(bytes.hex),
        ),
    ),
)
TIMINGS = st.one_of(
    st.floats(0, 10_000, allow_nan=False).map(lambda s: f"succeeded in {s}s"),
    st.floats(0, 10, allow_nan=False).map(lambda s: f"in {s:.18f}s"),
    st.floats(0, 1, allow_nan=False).map(lambda s: f"{s!r}"),
)
TASK_IDS = st.uuids().map(str)
NOT_PERSONAL = st.one_of(CASE_NUMBERS, AMOUNTS, DATES, MESSAGE_IDS, KEYS, TIMINGS, TASK_IDS)


@PROPERTIES
@given(st.lists(NOT_PERSONAL, min_size=1, max_size=4).map(" ".join))
def test_case_numbers_amounts_dates_message_ids_keys_and_timings_are_left_alone(text: str) -> None:
    assert mask_personal(text) == text


@PROPERTIES
@given(NOT_PERSONAL, _surrounded(st.one_of(OLD_IDS, NEW_IDS, MOBILES)), NOT_PERSONAL)
def test_a_number_among_other_figures_is_masked_and_they_are_not(
    left: str, middle: tuple[str, str], right: str
) -> None:
    text, number = middle
    assert number not in mask_personal(text)
    assert mask_personal(f"{left} {text} {right}") == f"{left} {mask_personal(text)} {right}"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("身份证号330203800101123，", "身份证号3302********123，"),
        ("ID:330203800101123", "ID:3302********123"),
        ("老身份证 110105491231002 与新号", "老身份证 1101********002 与新号"),
        ("330203801301123", "330203801301123"),  # month 13: not a birth date, so not an old ID
        ("电话138-1234-5678", "电话138-****-5678"),
        ("+8613812345678", "+86138****5678"),
        (
            "reminder-digest:2012-11-01:LS017:a13812345678bcde",
            "reminder-digest:2012-11-01:LS017:a13812345678bcde",
        ),
        ("电话0571-87654321", "电话0571-87654321"),  # a landline: the offices' public numbers stay
    ],
)
def test_examples_of_what_is_masked(text: str, masked: str) -> None:
    assert mask_personal(text) == masked


def test_the_scanner_finds_what_it_is_meant_to_find() -> None:
    """The safety scans prove nothing unless they would find a number: feed them known samples."""
    sample = "受援人张三，身份证330203198001011234，旧证330203800101123，手机13812345678，138-1234-5678"
    assert unmasked_personal(sample) == [
        "330203198001011234",
        "330203800101123",
        "13812345678",
        "138-1234-5678",
    ]
    assert unmasked_personal(mask_personal(sample)) == []
    assert unmasked_personal("succeeded in 0.003812345678901234s <a13812345678bcdef0@x>") == []


# Logging ----------------------------------------------------------------------------------------------


def _json_lines(err: str) -> list[dict[str, Any]]:
    lines = err.splitlines()
    assert lines, "nothing was logged"
    return [json.loads(line) for line in lines]  # every line one JSON object, or this fails


def _log_settings(tmp_path: Path, **values: Any) -> Settings:
    return Settings(data_dir=tmp_path / "var", log_format="json", log_level="DEBUG", **values)


def test_json_lines_mask_numbers_and_secrets_in_messages_and_tracebacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = _log_settings(
        tmp_path,
        smtp_password="pw-Kx81-unique",
        database_url="postgresql+psycopg://legalaid:db%2Fpw-77@db.example/legalaid",
        broker_url="redis://:broker-pw-42@redis.example:6379/0",
    )
    log = logging.getLogger("legalaid.test")
    with command_logging(settings):
        log.info("受援人 %s 手机 %s", "张三", "13812345678")
        log.warning("connecting to %s", "postgresql://someone:other-secret@host/db")
        try:
            raise RuntimeError("login with pw-Kx81-unique for 330203198001011234 failed (db/pw-77)")
        except RuntimeError:
            log.exception("delivery failed; broker-pw-42 in the message too")
        log.info("multi\nline\nmessage")
    entries = _json_lines(capsys.readouterr().err)
    assert [e["level"] for e in entries] == ["INFO", "WARNING", "ERROR", "INFO"]
    text = json.dumps(entries, ensure_ascii=False)
    for secret in ("pw-Kx81-unique", "db/pw-77", "db%2Fpw-77", "broker-pw-42", "other-secret"):
        assert secret not in text
    assert entries[0]["message"] == "受援人 张三 手机 138****5678"
    assert entries[1]["message"] == "connecting to postgresql://someone:********@host/db"
    assert (
        "RuntimeError: login with ******** for 3302**********1234 failed (********)"
        in entries[2]["exception"]
    )
    assert entries[3]["message"] == "multi\nline\nmessage"
    assert set(entries[0]) == {"time", "level", "logger", "message"}


def test_the_work_in_hand_is_on_every_line_and_an_extra_wins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = logging.getLogger("legalaid.test")
    with command_logging(_log_settings(tmp_path)):
        with log_context(task_id="t-1", job="mail-sweep"):
            log.info("outer")
            with log_context(idempotency_key="k:1", message_id="<m@x>", outbox_id=7):
                log.info("inner")
                log.info("explicit", extra={"idempotency_key": "k:2"})
            log.info("outer again")
        log.info("none")
    entries = _json_lines(capsys.readouterr().err)
    context = [
        {k: v for k, v in e.items() if k not in ("time", "level", "logger", "message")} for e in entries
    ]
    assert context == [
        {"task_id": "t-1", "job": "mail-sweep"},
        {
            "task_id": "t-1",
            "job": "mail-sweep",
            "idempotency_key": "k:1",
            "message_id": "<m@x>",
            "outbox_id": 7,
        },
        {
            "task_id": "t-1",
            "job": "mail-sweep",
            "idempotency_key": "k:2",
            "message_id": "<m@x>",
            "outbox_id": 7,
        },
        {"task_id": "t-1", "job": "mail-sweep"},
        {},
    ]


def test_text_lines_carry_the_context_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with command_logging(Settings(data_dir=tmp_path, log_level="INFO")):
        with log_context(task_id="t-9", idempotency_key="case:assigned:X"):
            logging.getLogger("legalaid.test").info("sent")
    [line] = capsys.readouterr().err.splitlines()
    assert line.endswith("INFO legalaid.test: sent [task_id=t-9 idempotency_key=case:assigned:X]")


def test_a_command_logs_warnings_only_unless_a_level_is_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    log = logging.getLogger("legalaid.test")
    with command_logging(Settings(data_dir=tmp_path)):  # log_level INFO by default, not set
        log.info("quiet")
        log.warning("loud")
    monkeypatch.setenv("LEGALAID_LOG_LEVEL", "INFO")
    with command_logging(Settings(data_dir=tmp_path)):
        log.info("asked for")
    assert (list(root.handlers), root.level) == before  # undone after each command
    err = capsys.readouterr().err
    assert "quiet" not in err and "loud" in err and "asked for" in err


def test_mask_secrets_masks_url_passwords_and_given_secrets() -> None:
    assert mask_secrets("redis://:pw@host:6379/0 and s3cr3t", ("s3cr3t",)) == (
        "redis://:********@host:6379/0 and ********"
    )
    assert (
        mask_secrets("https://example.org/a:b@c and mailto:x@y") == "https://example.org/a:b@c and mailto:x@y"
    )


class _RollBack(Exception):
    pass


def test_the_lines_about_a_message_name_its_key_and_message_id(
    rt: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    """From the enqueue (once committed) through the claim and the hand-off to the outcome."""
    settings = rt.settings.model_copy(update={"log_format": "json", "log_level": "DEBUG"})
    key = "case:assigned:2012民援第001号:L1:2012-10-12"
    with command_logging(settings):
        with rt.transaction() as session:
            outbox_id = enqueue(session, key=key, to=["l1@example.org"], subject="指派", text="正文").id
        with pytest.raises(_RollBack), rt.transaction() as session:  # rolled back: nothing to log
            enqueue(session, key="rolled-back", to=["x@example.org"], subject="s", text="t")
            raise _RollBack
        outcome = deliver_one(rt, outbox_id, transport=FileTransport(rt.settings.mail_dir))
    assert outcome.value == "sent"
    entries = _json_lines(capsys.readouterr().err)
    message_id = message_id_for(key, "")
    about = [e for e in entries if e.get("idempotency_key") == key]
    assert [(e["logger"], e["message"]) for e in about] == [
        ("legalaid.mail.outbox", f"outbox {outbox_id} ({key}) queued as {message_id}"),
        ("legalaid.mail.delivery", f"outbox {outbox_id} ({key}) claimed, attempt 1"),
        ("legalaid.mail.transports", f"{message_id} written to {next(rt.settings.mail_dir.rglob('*.eml'))}"),
        ("legalaid.mail.delivery", f"outbox {outbox_id} ({key}) sent as {message_id}, attempt 1"),
    ]
    assert all(e["message_id"] == message_id and e["outbox_id"] == outbox_id for e in about)
    assert not any("rolled-back" in json.dumps(e) for e in entries)


def test_a_process_logs_celerys_pool_lines_as_json_too(tmp_path: Path) -> None:
    """billiard, Celery's process pool, logs to a logger of its own that does not propagate; a worker's
    lines about a pool child (one that exited, a callback that raised) are JSON and masked all the same."""
    script = """
import logging, sys
from billiard import util
from legalaid.config import Settings
from legalaid.logs import configure_logging
configure_logging(Settings(data_dir=sys.argv[1], log_format="json"))
util.get_logger().error("Process %r pid:%r exited with %r", "ForkPoolWorker-1", 8151, "13812345678")
util.info("child %s started", 8152)
"""
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, check=True, timeout=60
    )
    entries = _json_lines(done.stderr)
    assert [(e["logger"], e["level"], e["message"]) for e in entries] == [
        ("multiprocessing", "ERROR", "Process 'ForkPoolWorker-1' pid:8151 exited with '138****5678'"),
        ("multiprocessing", "INFO", "child 8152 started"),
    ]
