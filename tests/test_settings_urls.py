"""The database and broker URLs are checked when the settings load: a wrong one is one line naming the
setting, what is wrong and the accepted forms (never a traceback from SQLAlchemy or kombu later), and the
common ``postgres://`` form runs on the installed driver."""

from __future__ import annotations

import pytest

from cli import main
from legalaid.config import load_settings


@pytest.mark.parametrize(
    ("given", "effective"),
    [
        ("postgres://legalaid@db/legalaid", "postgresql+psycopg://legalaid@db/legalaid"),
        ("postgresql://legalaid@db:5432/legalaid", "postgresql+psycopg://legalaid@db:5432/legalaid"),
        ("postgresql+psycopg://legalaid@db/legalaid", "postgresql+psycopg://legalaid@db/legalaid"),
        ("postgresql:///legalaid", "postgresql+psycopg:///legalaid"),  # the local socket
        ("sqlite:////srv/legalaid.db", "sqlite:////srv/legalaid.db"),
        ("sqlite:///var/legalaid.db", "sqlite:///var/legalaid.db"),
    ],
)
def test_accepted_database_urls_name_the_installed_driver(given: str, effective: str) -> None:
    assert load_settings(database_url=given).resolved_database_url == effective


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("garbage", "'garbage' is not a database URL"),
        ("mysql://x/y", "mysql:// is not a database this service runs on"),
        ("postgresql+psycopg2://u@h/db", "postgresql+psycopg2:// is not a database this service runs on"),
        ("sqlite://", "'sqlite://' names no database file"),
    ],
)
def test_a_wrong_database_url_is_one_line_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], given: str, problem: str
) -> None:
    monkeypatch.setenv("LEGALAID_DATABASE_URL", given)
    assert main(["status"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(f"error: LEGALAID_DATABASE_URL: {problem}; use sqlite:///PATH, or postgresql://")


def test_a_database_password_never_appears_in_the_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEGALAID_DATABASE_URL", "oracle://scott:tiger-pw@db/orcl")
    assert main(["config"]) == 2
    assert "tiger-pw" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("garbage", "'garbage' is not a broker URL"),
        ("redis//oops", "'redis//oops' is not a broker URL"),
        ("amqp://guest@localhost//", "'amqp://guest@localhost//' is not a broker URL"),
        ("redis://", "'redis://' names no Redis host"),
        ("redis://h:abc/0", "'redis://h:abc/0': 'abc' is not a port number"),
        ("redis://:pw-secret@h:6379/x", "'redis://:********@h:6379/x': 'x' is not a Redis database number"),
    ],
)
def test_a_wrong_broker_url_is_one_line_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], given: str, problem: str
) -> None:
    monkeypatch.setenv("LEGALAID_BROKER_URL", given)
    assert main(["status"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(f"error: LEGALAID_BROKER_URL: {problem}; use redis://HOST:6379/0")
    assert "pw-secret" not in err


@pytest.mark.parametrize(
    "given",
    ["redis://localhost:6379/0", "rediss://:pw@cache.example:6380/2", "redis://redis", "filesystem://"],
)
def test_accepted_broker_urls(given: str) -> None:
    assert load_settings(broker_url=given).resolved_broker_url == given
