"""Where composed messages go: an SMTP server (through yagmail), ``.eml`` files, or the console.

Chosen by ``settings.mail_transport``. A transport's ``send`` returns None, or a note on recipients the
server refused while accepting the others; it raises TemporaryFailure or PermanentFailure otherwise.
yagmail is used here and nowhere else.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
import sys
from collections.abc import Callable
from datetime import datetime, tzinfo
from pathlib import Path
from typing import IO, Protocol

import yagmail

from legalaid.config import Settings
from legalaid.errors import ConfigError
from legalaid.mail.compose import ComposedMail, sender_address
from legalaid.mail.failures import PermanentFailure, TemporaryFailure
from legalaid.mail.retry import policy_from_settings
from legalaid.models.base import utcnow
from legalaid.paths import path_inside, safe_file_name, write_atomically

log = logging.getLogger(__name__)


class Transport(Protocol):
    """Sends one composed message; keeps whatever connection it likes between calls."""

    def send(self, mail: ComposedMail) -> str | None: ...

    def close(self) -> None: ...


def make_transport(settings: Settings) -> Transport:
    """The transport ``settings.mail_transport`` names, checked (a ConfigError names what is missing)."""
    if settings.mail_transport == "file":
        return FileTransport(settings.mail_dir, tz=settings.tz)
    if settings.mail_transport == "console":
        return ConsoleTransport()
    if not settings.smtp_host:
        raise ConfigError("LEGALAID_SMTP_HOST: required when mail_transport is smtp")
    if not settings.mail_from:
        raise ConfigError("LEGALAID_MAIL_FROM: required when mail_transport is smtp")
    try:
        envelope_from = sender_address(settings.mail_from)
    except ValueError as exc:
        raise ConfigError(f"LEGALAID_MAIL_FROM: {exc}") from None
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    if settings.smtp_user and not password:
        # yagmail would look in the keyring and then prompt on the terminal: a worker would hang.
        raise ConfigError("LEGALAID_SMTP_PASSWORD: required when LEGALAID_SMTP_USER is set")
    ca_file = settings.smtp_ca_file
    return SmtpTransport(
        tls_context=ssl.create_default_context(cafile=str(ca_file)) if ca_file else None,
        host=settings.smtp_host,
        port=settings.smtp_port,
        security=settings.smtp_security,
        user=settings.smtp_user,
        password=password,
        envelope_from=envelope_from,
        timeout=policy_from_settings(settings).smtp_timeout,
    )


class SmtpTransport:
    """SMTP through yagmail's connection handling, one connection kept per process and reopened on failure.

    Why not ``yagmail.SMTP.send()`` (yagmail 0.16, read in sender.py and message.py):

    * it builds its own MIME tree: the text body is turned into an HTML ``<div>`` and a ``text/plain``
      alternative of its own making, attachments must be files or file objects, and extra headers cannot
      replace the From it writes; our composed message (Message-ID from the idempotency key, text and HTML
      alternatives, RFC 2231 attachment names) could not go through unchanged;
    * it calls ``login()`` — a new connection — on every call, leaving the previous one open;
    * on ``SMTPServerDisconnected`` it sleeps 3 + 6 s and then returns False: an outbox decides retries
      itself, and a worker must not sleep on them.

    So yagmail opens the connection (host, port, SSL or STARTTLS, EHLO) and we send our bytes with
    ``sendmail`` on its smtplib connection. Two more traps are avoided on the way in: yagmail is built with
    ``smtp_skip_login=True`` and the envelope sender as its ``user`` (a login name without ``@`` would get
    ``@gmail.com`` appended and become the From; with no password it would read the keyring and then prompt
    on the terminal), and we log in on the smtplib connection ourselves with the configured user.
    """

    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: str = "none",
        user: str = "",
        password: str | None = None,
        envelope_from: str,
        timeout: float = 30.0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host, self.port, self.security = host, port, security
        self.user, self._password = user, password
        self.envelope_from = envelope_from
        self.timeout = timeout
        # smtplib's own default for STARTTLS and SMTP_SSL verifies no certificate: anyone on the path could
        # read the password. Always hand it a verifying context (system CAs unless one is given).
        self.tls_context = tls_context
        self._client: yagmail.SMTP | None = None
        self.connections_opened = 0

    def __repr__(self) -> str:  # never the password
        return f"SmtpTransport({self.host}:{self.port}, security={self.security}, user={self.user or '-'})"

    def _connect(self) -> smtplib.SMTP:
        context = self.tls_context or ssl.create_default_context()
        extra: dict[str, object] = {"timeout": self.timeout}  # yagmail passes these on to smtplib
        if self.security == "ssl":
            extra["context"] = context
        client = yagmail.SMTP(
            user=self.envelope_from,
            password=None,
            host=self.host,
            port=self.port,
            smtp_ssl=self.security == "ssl",
            # A dict is passed to starttls(**…); explicit False, because yagmail's default for a non-SSL
            # connection is to STARTTLS.
            smtp_starttls={"context": context} if self.security == "starttls" else False,
            smtp_skip_login=True,
            soft_email_validation=False,
            **extra,
        )
        # yagmail installs its own stderr handler on construction; our logging (with masking) is enough.
        client.set_logging(None)
        try:
            client.login()  # connect, EHLO, STARTTLS if asked; never reads a password (smtp_skip_login)
            connection: smtplib.SMTP = client.smtp
            if self.user:
                assert self._password is not None  # make_transport refuses a user without a password
                connection.login(self.user, self._password)
        except BaseException:
            _close_quietly(client)
            raise
        self._client = client
        self.connections_opened += 1
        log.debug(
            "SMTP connection to %s:%s open (security %s, %s)",
            self.host,
            self.port,
            self.security,
            f"logged in as {self.user}" if self.user else "no login",
        )
        return connection

    def send(self, mail: ComposedMail) -> str | None:
        reused = self._client is not None
        log.debug(
            "handing %s to SMTP %s:%s for %d recipient(s)",
            mail.message_id,
            self.host,
            self.port,
            len(mail.recipients),
        )
        try:
            try:
                refused = self._sendmail(mail)
            except (smtplib.SMTPServerDisconnected, ConnectionError) as exc:
                if not reused:
                    raise
                # The server dropped a connection we kept idle (timeout, restart): reopen once. That shows
                # at MAIL FROM, before any data went out; in the rare case it died after the data, the
                # second copy carries the same Message-ID.
                log.info("SMTP connection to %s:%s was closed (%s); reconnecting", self.host, self.port, exc)
                self._drop()
                refused = self._sendmail(mail)
        except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as exc:
            # The connection is still good after a refusal (smtplib sent RSET), except after 421.
            if getattr(exc, "smtp_code", 0) == 421:
                self._drop()
            raise self._classify(exc) from None
        except (OSError, smtplib.SMTPException) as exc:
            # Refused, timed out, reset, TLS failure, disconnected: the server, not the message.
            self._drop()
            raise TemporaryFailure(
                self._scrub(f"{self.host}:{self.port}: {type(exc).__name__}: {exc}")
            ) from None
        log.debug("SMTP %s:%s accepted %s", self.host, self.port, mail.message_id)
        if refused:
            return "refused by the server: " + "; ".join(
                f"{address}: {code} {_text(answer)}" for address, (code, answer) in refused.items()
            )
        return None

    def _sendmail(self, mail: ComposedMail) -> dict[str, tuple[int, bytes]]:
        connection = self._client.smtp if self._client is not None else self._connect()
        return connection.sendmail(mail.envelope_from, list(mail.recipients), mail.data)

    def _classify(self, exc: smtplib.SMTPException) -> TemporaryFailure | PermanentFailure:
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            answers = exc.recipients
            text = "; ".join(f"{a}: {code} {_text(answer)}" for a, (code, answer) in answers.items())
            # Every recipient refused; permanent only if every refusal is (5xx: no such user, …).
            if answers and all(code >= 500 for code, _ in answers.values()):
                return PermanentFailure(self._scrub(f"recipients refused: {text}"))
            return TemporaryFailure(self._scrub(f"recipients refused for now: {text}"))
        assert isinstance(exc, smtplib.SMTPResponseException)
        answer = self._scrub(f"{exc.smtp_code} {_text(exc.smtp_error)}")
        if isinstance(exc, _NOT_THE_MESSAGE):
            # The server will not talk to us, or refuses our login or our sender address: the same for
            # every message. Kill none of them; they wait (and show in `legalaid mail status`) until the
            # server or the setting is fixed.
            self._drop()
            return TemporaryFailure(f"{type(exc).__name__}: {answer}")
        if exc.smtp_code >= 500:
            return PermanentFailure(f"{type(exc).__name__}: {answer}")
        return TemporaryFailure(f"{type(exc).__name__}: {answer}")

    def _scrub(self, text: str) -> str:
        # Servers do not echo passwords, but an AUTH exchange in an error text must not carry one into the
        # outbox or a log either.
        if self._password:
            text = text.replace(self._password, "********")
        return text

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            _close_quietly(client, polite=False)

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            _close_quietly(client)

    def abandon(self) -> None:
        """Forget the connection without a word on it (a forked child holding its parent's socket)."""
        client, self._client = self._client, None
        if client is not None:
            client.is_closed = True


_NOT_THE_MESSAGE = (
    smtplib.SMTPConnectError,
    smtplib.SMTPHeloError,
    smtplib.SMTPAuthenticationError,
    smtplib.SMTPSenderRefused,
)


def _close_quietly(client: yagmail.SMTP, *, polite: bool = True) -> None:
    # QUIT when the connection may still be good, then close the socket in every case: smtplib's quit()
    # skips close() when QUIT itself fails, which would leak the socket.
    if polite:
        with contextlib.suppress(Exception):
            client.close()
    if client.smtp is not None:
        with contextlib.suppress(Exception):
            client.smtp.close()
    client.is_closed = True  # yagmail's __del__ would otherwise try QUIT again


def _text(answer: bytes | str) -> str:
    return answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)


class FileTransport:
    """Writes each message to ``<mail_dir>/<yyyy-mm-dd>/<id>-<key>.eml``, atomically (temp file + rename).

    A resend on the same day replaces the file with identical bytes, so a retried message is one file.
    """

    def __init__(
        self, folder: Path, *, tz: tzinfo | None = None, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.folder = folder
        self.tz = tz
        self.clock = clock
        self.written: list[Path] = []

    def path_for(self, mail: ComposedMail) -> Path:
        # The day in the center's time zone: the folder a person looks in for "today's mail".
        day = self.clock().astimezone(self.tz).date().isoformat()
        # The key comes from data (a case number): one safe name, short enough in bytes, in its folder.
        name = safe_file_name(
            mail.key, prefix=f"{mail.outbox_id}-", suffix=".eml", from_key=True, default="mail"
        )
        return path_inside(self.folder / day, name)

    def send(self, mail: ComposedMail) -> str | None:
        path = self.path_for(mail)
        try:
            write_atomically(path, mail.data)
        except OSError as exc:
            raise TemporaryFailure(f"cannot write {path}: {exc}") from None
        self.written.append(path)
        log.debug("%s written to %s", mail.message_id, path)
        return None

    def close(self) -> None:
        return None


class ConsoleTransport:
    """Prints each message, decoded for reading, to stdout: for trying things out."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream

    def send(self, mail: ComposedMail) -> str | None:
        message = mail.parsed()
        out = self.stream or sys.stdout
        lines = [f"--- outbox {mail.outbox_id} ({mail.key}) ---"]
        lines += [
            f"{name}: {message[name]}"
            for name in ("From", "To", "Cc", "Subject", "Date", "Message-ID")
            if message[name]
        ]
        body = message.get_body(("plain",))
        lines += ["", body.get_content().rstrip() if body is not None else "(no text part)"]
        for part in message.iter_attachments():
            size = len(part.get_payload(decode=True) or b"")
            lines.append(f"[attachment] {part.get_filename()} ({part.get_content_type()}, {size} bytes)")
        out.write("\n".join(lines) + "\n\n")
        out.flush()
        return None

    def close(self) -> None:
        return None


def greet_smtp(host: str, port: int, *, use_ssl: bool, timeout: float = 5) -> int:
    """Greet the SMTP server and leave: the code of its answer to EHLO. Reachability only, never a login
    (``legalaid status`` must not spend or show the password). Raises OSError (smtplib's errors are
    OSErrors) when the server cannot be reached or greeted."""
    cls = smtplib.SMTP_SSL if use_ssl else smtplib.SMTP
    connection = cls(host, port, timeout=timeout)
    try:
        code, _ = connection.ehlo()
    finally:
        with contextlib.suppress(OSError):
            connection.quit()
    return code
