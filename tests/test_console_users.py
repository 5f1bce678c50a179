"""Users of the web console: ``legalaid users`` (add, list, disable, password), the Argon2 hashes, the
sign-in and its slowing down after failures (on SQLite and PostgreSQL), and the session key's settings."""

from __future__ import annotations

import io
import json
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from builders import make_person
from sqlalchemy import func, select

from cli import main
from legalaid import users
from legalaid.config import Settings, load_settings
from legalaid.errors import ConfigError, UserError
from legalaid.models import SignInFailure, User, utcnow
from legalaid.models.enums import Role
from legalaid.runtime import Runtime
from web.console.session import KEY_FILE, secret_key

PASSWORD = "correct horse battery"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def any_rt(request: pytest.FixtureRequest) -> Runtime:
    runtime: Runtime = request.getfixturevalue("rt" if request.param == "sqlite" else "pg_rt")
    return runtime


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def _people(rt: Runtime) -> None:
    with rt.transaction() as session:
        make_person(session, "ZX01", name="欧阳&<娜>", role=Role.staff)
        make_person(session, "LD01", name="张主任", role=Role.leader)
        make_person(session, "OLD1", name="离职", role=Role.staff, active=False)
        make_person(session, "ZX20120001", name="李文", role=Role.staff)


# The command line. -------------------------------------------------------------------------------------


def _cli_people() -> None:
    assert main(["db", "upgrade"]) == 0
    from cli._common import runtime

    _people(runtime())


def test_users_add_list_disable_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _cli_people()
    _stdin(monkeypatch, PASSWORD + "\n")
    assert main(["users", "add", "ZX01", "--role", "admin", "--password-stdin"]) == 0
    assert "user ZX01 (欧阳&<娜>) added as admin" in capsys.readouterr().out
    assert main(["users", "list", "--json"]) == 0
    listed = capsys.readouterr().out
    entry = json.loads(listed)[0]
    assert (entry["code"], entry["role"], entry["active"]) == ("ZX01", "admin", True)
    assert PASSWORD not in listed and "argon2" not in listed
    assert entry["created_at"].endswith("+08:00")

    from cli._common import runtime

    with runtime().sessions() as session:
        stored = session.scalars(select(User)).one().password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored

    assert main(["users", "disable", "ZX01"]) == 0
    assert main(["users", "list"]) == 0
    assert "disabled" in capsys.readouterr().out
    _stdin(monkeypatch, "another good one\n")
    assert main(["users", "password", "ZX01", "--password-stdin"]) == 0
    with runtime().sessions() as session:
        user = session.scalars(select(User)).one()
        assert user.active and user.password_hash != stored


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ["users", "add", "ZX01", "--role", "admin", "--password-stdin"],
            "short\n",
            "at least 10 characters",
        ),
        (["users", "add", "ZX20120001", "--password-stdin"], "zx20120001\n", "the person's code"),
        (["users", "add", "ZX01", "--role", "root", "--password-stdin"], PASSWORD, "unknown role 'root'"),
        (["users", "add", "NOBODY", "--password-stdin"], PASSWORD, "person NOBODY: no such person"),
        (["users", "add", "OLD1", "--password-stdin"], PASSWORD, "person OLD1 (离职) is not active"),
        (["users", "add", "LD01", "--password-stdin"], PASSWORD, "person LD01 is a user already"),
        (["users", "add", "ZX01"], "", "--password-stdin: required"),
        (["users", "disable", "NOBODY"], "", "user NOBODY: no such user"),
        (["users", "password", "LD01", "--password-stdin"], "LD01\n", "at least 10 characters"),
        (["users", "password", "NOBODY", "--password-stdin"], PASSWORD, "user NOBODY: no such user"),
    ],
)
def test_users_mistakes_are_one_line_and_change_nothing(
    args: list[str],
    stdin: str,
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _cli_people()
    _stdin(monkeypatch, PASSWORD)
    assert main(["users", "add", "LD01", "--role", "leader", "--password-stdin"]) == 0
    capsys.readouterr()
    _stdin(monkeypatch, stdin)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert main(["users", "list", "--json"]) == 0
    assert [entry["code"] for entry in json.loads(capsys.readouterr().out)] == ["LD01"]


# Signing in, on both databases. --------------------------------------------------------------------------


def _user(rt: Runtime, code: str = "ZX01", role: str = "staff") -> None:
    _people(rt)
    with rt.transaction() as session:
        users.add_user(session, code=code, role=role, password=PASSWORD, now=utcnow())


def _sign_in(
    rt: Runtime, username: str, password: str, client: str = "10.0.0.1", **kw: object
) -> users.SignIn:
    with rt.transaction() as session:
        outcome = users.sign_in(
            session, username=username, password=password, client=client, now=kw.get("now") or utcnow()
        )  # type: ignore[arg-type]
        if outcome.user is not None:
            session.expunge(outcome.user)
        return outcome


def test_sign_in_right_and_wrong(any_rt: Runtime) -> None:
    _user(any_rt)
    assert _sign_in(any_rt, "ZX01", PASSWORD).user is not None
    wrong_password = _sign_in(any_rt, "ZX01", "not the password")
    unknown_user = _sign_in(any_rt, "NOBODY", PASSWORD)
    assert wrong_password == unknown_user == users.SignIn(None, 0)  # nothing tells which part was wrong
    with any_rt.transaction() as session:
        users.disable_user(session, code="ZX01", now=utcnow())
    assert _sign_in(any_rt, "ZX01", PASSWORD).user is None


def test_sign_in_is_refused_after_five_failures_for_a_name_then_allowed_again(any_rt: Runtime) -> None:
    _user(any_rt)
    start = utcnow()
    for attempt in range(users.MAX_FAILURES_PER_USER):
        assert (
            _sign_in(any_rt, "ZX01", f"guess {attempt}", client=f"10.0.0.{attempt}", now=start).user is None
        )
    refused = _sign_in(any_rt, "ZX01", PASSWORD, client="10.9.9.9", now=start + timedelta(minutes=1))
    assert refused.user is None and 0 < refused.retry_after <= 15 * 60  # even the right password waits
    later = start + users.FAILURE_WINDOW + timedelta(seconds=1)
    assert _sign_in(any_rt, "ZX01", PASSWORD, now=later).user is not None
    with any_rt.sessions() as session:  # a success forgets the name's failures
        assert (
            session.scalar(
                select(func.count()).select_from(SignInFailure).where(SignInFailure.username == "ZX01")
            )
            == 0
        )


def test_one_address_guessing_many_names_is_slowed_too(any_rt: Runtime) -> None:
    _user(any_rt)
    now = utcnow()
    for attempt in range(users.MAX_FAILURES_PER_CLIENT):
        _sign_in(any_rt, f"GUESS{attempt}", "whatever1234", client="203.0.113.7", now=now)
    assert _sign_in(any_rt, "ZX01", PASSWORD, client="203.0.113.7", now=now).retry_after > 0
    assert _sign_in(any_rt, "ZX01", PASSWORD, client="10.0.0.2", now=now).user is not None


def test_a_new_password_changes_the_session_fingerprint(rt: Runtime) -> None:
    _user(rt)
    with rt.transaction() as session:
        before = users.password_fingerprint(users.user_by_code(session, "ZX01"))  # type: ignore[arg-type]
        after = users.password_fingerprint(
            users.set_password(session, code="ZX01", password="a new secret!", now=utcnow())
        )
    assert before != after
    with pytest.raises(UserError, match="may not be the person's code"):
        users.check_password("LS00000001", "ls00000001")


# The session key. ----------------------------------------------------------------------------------------


def test_the_session_key_is_made_once_with_mode_0600(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    key = secret_key(settings)
    path = tmp_path / "var" / KEY_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and len(key) >= 32
    assert secret_key(settings) == key
    assert secret_key(Settings(data_dir=tmp_path / "var", web_secret_key="k" * 40)) == "k" * 40


def test_the_secret_key_is_refused_in_the_config_file_and_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "legalaid.toml").write_text('web_secret_key = "abc"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="web_secret_key' may not be set in a config file"):
        load_settings()
    (tmp_path / "legalaid.toml").write_text("web_session_hours = 2\n", encoding="utf-8")
    key_file = tmp_path / "key"
    key_file.write_text("s" * 48 + "\n", encoding="utf-8")
    monkeypatch.setenv("LEGALAID_WEB_SECRET_KEY_FILE", str(key_file))
    settings = load_settings()
    assert settings.web_session_hours == 2
    assert settings.web_secret_key is not None and settings.web_secret_key.get_secret_value() == "s" * 48
    assert settings.masked()["web_secret_key"] == "********"
