"""A real SMTP server for tests (aiosmtpd on a free local port) that records what it receives.

It can be told to refuse connections (stopped, port closed), to answer 550 for a recipient, to answer
451 for a number of messages, and to require a login. What arrived is parsed back with the email package.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from legalaid.config import Settings
from legalaid.mail import Attachment, enqueue
from legalaid.runtime import Runtime

# aiosmtpd itself touches its deprecated Session.login_data on every AUTH and logs a warning about it.
logging.getLogger("mail.log").setLevel(logging.ERROR)

MAIL_FROM = "法律援助中心 <center@legalaid.example.org>"


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (cert file, key file), made with the openssl command."""
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Received:
    """One message as the server accepted it: the envelope and the bytes."""

    mail_from: str
    recipients: tuple[str, ...]
    data: bytes
    login: str | None = None

    @property
    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.data)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass
class _Behaviour:
    reject: dict[str, str] = field(default_factory=dict)  # recipient -> reply to RCPT
    temporary_failures: int = 0  # how many DATA commands to answer 451 before accepting
    temporary_reply: str = "451 4.3.0 Temporary local problem, try again later"


class _Handler:
    def __init__(self, server: SmtpTestServer) -> None:
        self.server = server

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.server.logins is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        reply = self.server.behaviour.reject.get(address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.server.lock:
            if self.server.behaviour.temporary_failures > 0:
                self.server.behaviour.temporary_failures -= 1
                return self.server.behaviour.temporary_reply
            login = session.auth_data.login.decode() if session.auth_data is not None else None
            self.server.received.append(
                Received(envelope.mail_from, tuple(envelope.rcpt_tos), bytes(envelope.content), login)
            )
            self.server.lock.notify_all()
        return "250 Message accepted for delivery"


class SmtpTestServer:
    """``with SmtpTestServer() as smtp:`` — listening on ``smtp.port`` until the block ends."""

    def __init__(
        self,
        port: int | None = None,
        *,
        logins: dict[str, str] | None = None,
        tls: str | None = None,
        certificate: tuple[Path, Path] | None = None,
    ) -> None:
        """``tls``: None, ``"starttls"`` (offered, and required before a login) or ``"ssl"`` (implicit TLS),
        with ``certificate`` = (cert file, key file)."""
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.logins = logins
        self.tls = tls
        self.certificate = certificate
        self.behaviour = _Behaviour()
        self.received: list[Received] = []
        self.lock = threading.Condition()
        self._controller: Controller | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # Life cycle --------------------------------------------------------------------------------------

    def start(self) -> SmtpTestServer:
        assert self._controller is None, "already running"
        self._loop = asyncio.new_event_loop()
        kwargs: dict[str, Any] = {}
        if self.logins is not None:
            # auth_required=True without TLS makes aiosmtpd warn on every connection; handle_RCPT insists
            # on a login instead.
            kwargs.update(authenticator=self._authenticate, auth_require_tls=self.tls == "starttls")
        if self.tls is not None:
            assert self.certificate is not None, "TLS needs a certificate"
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*self.certificate)
            kwargs["tls_context" if self.tls == "starttls" else "ssl_context"] = context
        self._controller = Controller(
            _Handler(self), loop=self._loop, hostname=self.host, port=self.port, **kwargs
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self._loop is not None:
            self._loop.close()
            self._loop = None

    def __enter__(self) -> SmtpTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # Behaviour ----------------------------------------------------------------------------------------

    def refuse_connections(self) -> None:
        """Close the port: a client gets ECONNREFUSED until ``accept_connections``."""
        self.stop()

    def accept_connections(self) -> None:
        self.start()

    def reject_recipient(self, address: str, reply: str | None = None) -> None:
        self.behaviour.reject[address] = reply or f"550 5.1.1 <{address}>: Recipient address rejected"

    def fail_temporarily(self, times: int = 1, reply: str | None = None) -> None:
        """Answer the next ``times`` DATA commands with a 4xx."""
        self.behaviour.temporary_failures = times
        if reply:
            self.behaviour.temporary_reply = reply

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert self.logins is not None
        if isinstance(data, LoginPassword):
            if self.logins.get(data.login.decode()) == data.password.decode():
                return AuthResult(success=True, auth_data=data)
        return AuthResult(success=False, handled=False)

    # What arrived ---------------------------------------------------------------------------------------

    def messages(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        """Wait until at least ``count`` messages arrived (or the timeout passed); return them all."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.lock.wait(left)
            return list(self.received)


# Builders shared by the mail tests ---------------------------------------------------------------------


def smtp_settings(server: SmtpTestServer, data_dir: Path, **overrides: Any) -> Settings:
    """Embedded settings (SQLite under ``data_dir``) that send through ``server``."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "mail_transport": "smtp",
        "smtp_host": server.host,
        "smtp_port": server.port,
        "mail_from": MAIL_FROM,
    }
    values.update(overrides)
    return Settings(**values)


def queue_mail(
    rt: Runtime,
    key: str,
    *,
    to: tuple[str, ...] = ("lawyer@example.org",),
    subject: str = "案件提醒",
    text: str = "您好，请及时处理。",
    attachments: tuple[Attachment, ...] = (),
    **kwargs: Any,
) -> int:
    """Enqueue one message in its own committed transaction; returns the outbox id."""
    with rt.transaction() as session:
        row = enqueue(
            session,
            key=key,
            to=to,
            subject=subject,
            text=text,
            attachments=attachments,
            mail_from=rt.settings.mail_from,
            **kwargs,
        )
        return row.id
