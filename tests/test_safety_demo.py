"""Invariant 6 on a full demo run: no secret in any output or file, no unmasked ID-card or mobile number
in the mail or the logs.

One ``legalaid demo`` in a subprocess (JSON logs at DEBUG, an SMTP password set) builds the data folder
for the module; each test works on its own copy. The secret scan then runs every command that shows
settings or state, delivers over a real SMTP server that checks the password, fails on purpose (a wrong
password, a closed port, a database and a broker that are not there, with passwords in their URLs), and
greps everything: stdout, stderr, every file under the data folder opened up (.eml parts decoded, the XML
inside .docx/.xlsx, the SQLite database dumped and its blobs), for each secret as written,
percent-encoded and base64-encoded (as SMTP AUTH PLAIN and LOGIN carry it).
"""

from __future__ import annotations

import base64
import io
import json
import shutil
import sqlite3
import subprocess
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from processes import LEGALAID, legalaid_env
from safety_scan import (
    Leak,
    files_under,
    find_secrets,
    parse_eml,
    readable_parts,
    unmasked_personal,
)
from smtp_server import MAIL_FROM, SmtpTestServer, free_port, queue_mail
from sqlalchemy import select, text

from cli import main
from cli._common import reset_runtime
from legalaid.config import Settings
from legalaid.mail import Attachment
from legalaid.models import OutboxAttachment, OutboxMessage
from legalaid.runtime import build_runtime

SMTP_USER = "center@legalaid.example.org"
SMTP_PASSWORD = f"Sm7p-{uuid.uuid4().hex[:16]}"
DB_PASSWORD = f"Db9-{uuid.uuid4().hex[:16]}"
BROKER_PASSWORD = f"Rd4-{uuid.uuid4().hex[:16]}"
SECRETS = (SMTP_PASSWORD, DB_PASSWORD, BROKER_PASSWORD)


@dataclass
class DemoRun:
    data_dir: Path
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    folder = tmp_path_factory.mktemp("demo")
    env = legalaid_env(
        data_dir=folder / "var",
        log_format="json",
        log_level="DEBUG",
        smtp_user=SMTP_USER,
        smtp_password=SMTP_PASSWORD,
    )
    done = subprocess.run(
        [*LEGALAID, "demo"], env=env, cwd=folder, capture_output=True, text=True, timeout=240, check=False
    )
    assert done.returncode == 0, done.stderr
    return DemoRun(folder / "var", done.stdout, done.stderr)


@pytest.fixture
def data_dir(demo_run: DemoRun, tmp_path: Path) -> Path:
    """This test's copy of the demo's data folder."""
    copy = tmp_path / "var"
    shutil.copytree(demo_run.data_dir, copy)
    return copy


def _json_log(stderr: str, *, where: str) -> list[dict[str, Any]]:
    """Every line of a JSON-mode log, parsed; a line that is not one JSON object fails the test."""
    entries = []
    for number, line in enumerate(stderr.splitlines(), 1):
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            pytest.fail(f"{where}:{number}: not a JSON log line: {line!r}")
        assert isinstance(entry, dict) and {"time", "level", "logger", "message"} <= set(entry)
        entries.append(entry)
    return entries


@dataclass
class Commands:
    """Runs ``legalaid`` commands in this process and keeps every output for the scan."""

    monkeypatch: pytest.MonkeyPatch
    capsys: pytest.CaptureFixture[str]
    outputs: list[tuple[str, str]] = field(default_factory=list)

    def env(self, **settings: object) -> None:
        for name, value in settings.items():
            variable = f"LEGALAID_{name.upper()}"
            if value is None:
                self.monkeypatch.delenv(variable, raising=False)
            else:
                self.monkeypatch.setenv(variable, str(value))

    def run(self, *argv: str) -> tuple[int, str, str]:
        reset_runtime()  # the settings may have changed since the last command
        code = main(list(argv))
        out, err = self.capsys.readouterr()
        label = f"legalaid {' '.join(argv)}"
        self.outputs += [(f"{label} (stdout)", out), (f"{label} (stderr)", err)]
        # The log is JSON; the one line a person reads when a command fails is not a log line.
        _json_log(
            "\n".join(line for line in err.splitlines() if not line.startswith(("error:", "warning:"))),
            where=label,
        )
        return code, out, err


def test_no_secret_in_any_output_or_file(
    data_dir: Path,
    demo_run: DemoRun,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    commands = Commands(monkeypatch, capsys)
    commands.env(
        data_dir=data_dir,
        log_format="json",
        log_level="DEBUG",
        smtp_user=SMTP_USER,
        smtp_password=SMTP_PASSWORD,
    )
    # Everything that shows settings or state, on the demo's data.
    code, out, _ = commands.run("config")
    assert code == 0 and "smtp_password" in out and "********" in out
    code, out, _ = commands.run("config", "--json")
    assert json.loads(out)["smtp_password"] == "********"
    for argv in (
        ("status",),
        ("status", "--json"),
        ("mail", "status"),
        ("mail", "status", "--json"),
        ("mail", "show", "1"),
        ("mail", "show", "1", "--json"),
        ("demo",),  # refused: the folder holds a center already
    ):
        commands.run(*argv)

    # Deliveries over SMTP with a login: accepted, then refused for a wrong password, then a closed port.
    rt = build_runtime(Settings(data_dir=data_dir))
    try:
        with SmtpTestServer(logins={SMTP_USER: SMTP_PASSWORD}) as server:
            commands.env(
                mail_transport="smtp", smtp_host=server.host, smtp_port=server.port, mail_from=MAIL_FROM
            )
            queue_mail(rt, "safety:accepted", attachments=(Attachment("回执.txt", b"ok"),))
            assert commands.run("mail", "flush")[0] == 0
            [received] = server.wait_for(1)
            assert received.login == SMTP_USER  # the password was really used, and accepted
            commands.run("status", "--json")
        with SmtpTestServer(logins={SMTP_USER: "not-the-configured-one"}) as server:
            commands.env(smtp_port=server.port)
            refused = queue_mail(rt, "safety:wrong-password")
            commands.run("mail", "flush")
            commands.run("mail", "show", str(refused), "--json")
        commands.env(smtp_port=free_port())  # nobody listens there
        unreachable = queue_mail(rt, "safety:closed-port")
        commands.run("mail", "flush")
        commands.run("mail", "show", str(unreachable))
        commands.run("status")
        commands.run("status", "--json")
        with rt.sessions() as session:
            errors = dict(
                session.execute(
                    select(OutboxMessage.id, OutboxMessage.last_error).where(
                        OutboxMessage.id.in_([refused, unreachable])
                    )
                ).all()
            )
        # The failures are kept with the server's answer (and scrubbed, as the scan below checks).
        assert "535" in (errors[refused] or "") and "Connection refused" in (errors[unreachable] or "")
    finally:
        rt.dispose()

    # A database and a broker with passwords in their URLs, neither reachable.
    port = free_port()
    commands.env(
        database_url=f"postgresql+psycopg://legalaid:{DB_PASSWORD}@127.0.0.1:{port}/legalaid",
        broker_url=f"redis://:{BROKER_PASSWORD}@127.0.0.1:{port}/0",
        mail_transport=None,
    )
    code, out, _ = commands.run("config")
    assert code == 0 and f"postgresql+psycopg://legalaid:********@127.0.0.1:{port}/legalaid" in out
    commands.run("config", "--json")
    code, out, _ = commands.run("status", "--json")
    checks = {check["name"]: check for check in json.loads(out)["checks"]}
    assert code == 1 and not checks["database"]["ok"] and not checks["broker"]["ok"]
    for argv in (("status",), ("db", "current"), ("mail", "status"), ("worker",), ("scheduler",)):
        assert commands.run(*argv)[0] != 0
    commands.env(smtp_port="not-a-port")  # a bad setting, with every secret set
    assert commands.run("config")[0] != 0

    leaks: list[Leak] = []
    for where, output in [
        ("demo (stdout)", demo_run.stdout),
        ("demo (stderr)", demo_run.stderr),
        *commands.outputs,
    ]:
        leaks += find_secrets(where, output.encode("utf-8"), SECRETS)
    files = files_under(data_dir)
    assert any(p.suffix == ".eml" for p in files) and any(p.suffix == ".docx" for p in files)
    for path in files:
        for where, content in readable_parts(path):
            leaks += find_secrets(where, content, SECRETS)
    assert leaks == [], "\n".join(map(str, leaks))


def _mail_texts(data_dir: Path) -> Iterator[tuple[str, str]]:
    """What a recipient reads of every message: the outbox rows (subject, bodies, attachment names) and
    the written .eml files decoded (subject, text and HTML parts, attachment names; not the attachments
    themselves, which are case documents that must carry the full numbers)."""
    rt = build_runtime(Settings(data_dir=data_dir))
    try:
        with rt.sessions() as session:
            for row in session.scalars(select(OutboxMessage)):
                yield f"outbox {row.id}", "\n".join([row.subject, row.body_text, row.body_html or ""])
            for name, outbox_id in session.execute(
                select(OutboxAttachment.filename, OutboxAttachment.message_id)
            ):
                yield f"outbox {outbox_id} attachment name", name
    finally:
        rt.dispose()
    for path in sorted(data_dir.rglob("*.eml")):
        message = parse_eml(path.read_bytes())
        parts = [str(message["Subject"])]
        for part in message.walk():
            if part.get_filename():
                parts.append(part.get_filename() or "")
            elif part.get_content_maintype() == "text":
                parts.append(part.get_content())
        yield str(path), "\n".join(parts)


def _personal_numbers(data_dir: Path, log: str) -> list[str]:
    found = [f"{where}: {n}" for where, content in _mail_texts(data_dir) for n in unmasked_personal(content)]
    for entry in _json_log(log, where="log"):
        found += [f"log: {n}" for n in unmasked_personal(json.dumps(entry, ensure_ascii=False))]
    return found


def test_no_unmasked_id_card_or_mobile_in_the_mail_or_the_log(data_dir: Path, demo_run: DemoRun) -> None:
    entries = _json_log(demo_run.stderr, where="demo")
    # The run did log, and about its messages: the scan looked at something.
    assert any(e.get("idempotency_key") for e in entries)
    mails = list(_mail_texts(data_dir))
    assert len([where for where, _ in mails if where.endswith(".eml")]) >= 20
    assert _personal_numbers(data_dir, demo_run.stderr) == []

    # The scan would find one: a message written around the masking, an .eml file and a log line with
    # unmasked numbers.
    rt = build_runtime(Settings(data_dir=data_dir))
    try:
        with rt.engine.begin() as connection:
            connection.execute(
                text("UPDATE outbox SET body_text = body_text || '受援人手机13812345678' WHERE id = 1")
            )
    finally:
        rt.dispose()
    planted = data_dir / "mail" / "planted.eml"
    message = EmailMessage()
    message["Subject"] = "回执：身份证330203800101123"
    message.set_content("正文")
    planted.write_bytes(message.as_bytes(policy=policy.SMTP))
    line = {"time": "t", "level": "INFO", "logger": "x", "message": "id 330203198001011234"}
    log = f"{demo_run.stderr.rstrip()}\n{json.dumps(line)}\n"
    assert sorted(_personal_numbers(data_dir, log)) == [
        f"{planted}: 330203800101123",
        "log: 330203198001011234",
        "outbox 1: 13812345678",
    ]


def test_the_secret_scan_finds_every_form_it_looks_for(tmp_path: Path) -> None:
    """Feed the scan the secret as SMTP AUTH PLAIN and LOGIN carry it, percent-encoded in a URL, inside a
    Word file, a base64-encoded mail part and a database blob: it must find each."""
    secret = SMTP_PASSWORD
    plain = base64.b64encode(f"\0{SMTP_USER}\0{secret}".encode())
    login = base64.b64encode(secret.encode())
    for sample in (plain, login, f"postgresql://u:{quote(secret + '/@')}@h/db".encode()):
        assert find_secrets("sample", b"AUTH PLAIN " + sample, [secret])
    assert find_secrets("ok", base64.b64encode(f"\0{SMTP_USER}\0********".encode()), [secret]) == []

    word = io.BytesIO()
    with zipfile.ZipFile(word, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", f"<w:t>{secret}</w:t>")
    message = EmailMessage()
    message["Subject"] = "s"
    message.set_content(f"正文 {secret}", cte="base64")
    message.add_attachment(word.getvalue(), maintype="application", subtype="octet-stream", filename="a.docx")
    (tmp_path / "m.eml").write_bytes(message.as_bytes(policy=policy.SMTP))
    database = sqlite3.connect(tmp_path / "db.sqlite")
    database.execute("CREATE TABLE t (content BLOB)")
    database.execute("INSERT INTO t VALUES (?)", (word.getvalue(),))
    database.commit()
    database.close()
    found = {
        leak.where
        for path in files_under(tmp_path)
        for where, content in readable_parts(path)
        for leak in find_secrets(where, content, [secret])
    }
    assert any("m.eml (part 1" in where for where in found)  # the base64 text part, decoded
    assert any("m.eml (part 2, a.docx)!word/document.xml" in where for where in found)
    assert any("db.sqlite (t row 0 column 0)!word/document.xml" in where for where in found)
