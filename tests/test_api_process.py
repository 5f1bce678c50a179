"""``legalaid tokens`` on the command line, and a real ``legalaid web`` (uvicorn) answering over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from processes import ProcessGroup, legalaid_env, wait_for
from smtp_server import free_port

from cli import main


def test_tokens_create_list_revoke(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    assert main(["tokens", "create", "case-system", "--scope", "write", "--json"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["token"].startswith("la_") and created["scope"] == "write"
    assert main(["tokens", "list", "--json"]) == 0
    listed = capsys.readouterr().out
    assert created["token"] not in listed and json.loads(listed)[0]["name"] == "case-system"
    assert json.loads(listed)[0]["created_at"].endswith("+08:00")
    assert main(["tokens", "revoke", "case-system"]) == 0
    capsys.readouterr()
    assert main(["tokens", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["revoked_at"] is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tokens", "create", "a", "--scope", "root"], "unknown scope 'root' (use read, write, admin)"),
        (["tokens", "revoke", "nobody"], "no token named 'nobody'"),
        (["tokens", "create", "taken"], "a token named 'taken' exists already"),
    ],
)
def test_token_mistakes_are_one_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade"]) == 0
    assert main(["tokens", "create", "taken"]) == 0
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_a_real_legalaid_web_answers_health(tmp_path: Path) -> None:
    env = legalaid_env(data_dir=tmp_path / "var")
    port = free_port()
    with ProcessGroup(tmp_path, env) as procs:
        assert procs.start("upgrade", "db", "upgrade").popen.wait(timeout=60) == 0
        procs.start("web", "web", "--port", str(port))

        def health() -> httpx.Response | None:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=5)
            except httpx.HTTPError:
                return None

        response = wait_for(health, timeout=30, what="legalaid web to answer", procs=procs)
        assert response.status_code == 503  # no worker or scheduler: something needs a person
        assert response.json()["ok"] is False
        document = httpx.get(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=5).json()
        assert "/api/v1/health" in document["paths"]
