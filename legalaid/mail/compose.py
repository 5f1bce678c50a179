"""Build the RFC 5322 message of an outbox row: a pure function of the row and the sender address.

The same row always gives the same bytes (Message-ID from the idempotency key, Date from created_at,
MIME boundaries from the Message-ID), so a resend after a crash is the same message, and the .eml file a
resend writes is the same file.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from legalaid.mail.failures import PermanentFailure

# Used by the file and console transports when mail_from is not configured (the embedded default).
FALLBACK_FROM = "legalaid@localhost"

# Headers a caller may not set: they are the outbox's to decide.
RESERVED_HEADERS = frozenset(
    h.lower()
    for h in (
        "From",
        "To",
        "Cc",
        "Bcc",
        "Subject",
        "Date",
        "Message-ID",
        "MIME-Version",
        "Content-Type",
        "Content-Transfer-Encoding",
        "Sender",
        "Return-Path",
    )
)

# One address, ASCII, no display name: what the outbox stores. Deliberately stricter than RFC 5322 (no
# quoted local parts, no comments): a person's address from an import, not a general parser.
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")  # printable ASCII without ':' (RFC 5322 field-name)


@dataclass(frozen=True)
class Attachment:
    """A file to send with a message; the content type is guessed from the name when not given."""

    filename: str
    content: bytes
    content_type: str = ""

    def resolved_type(self) -> str:
        if self.content_type:
            return self.content_type
        guessed, _ = mimetypes.guess_type(self.filename, strict=False)
        return guessed or "application/octet-stream"


@dataclass(frozen=True)
class OutgoingMail:
    """What an outbox row says to send, as plain values (no session needed to compose or send it)."""

    outbox_id: int
    key: str
    message_id: str
    to: tuple[str, ...]
    subject: str
    text: str
    created_at: datetime
    cc: tuple[str, ...] = ()
    html: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class ComposedMail:
    """A message ready for a transport: the envelope and the exact bytes."""

    outbox_id: int
    key: str
    message_id: str
    envelope_from: str
    recipients: tuple[str, ...]
    data: bytes
    # Recipients dropped because their address is malformed; reported, not fatal while one remains.
    skipped: tuple[str, ...] = ()

    def parsed(self) -> EmailMessage:
        from email.parser import BytesParser

        message = BytesParser(policy=policy.default).parsebytes(self.data)
        assert isinstance(message, EmailMessage)
        return message


def normalize_address(address: str) -> str | None:
    """The address stripped, with an internationalised domain in its ASCII form; None if malformed."""
    address = address.strip()
    if address.count("@") != 1:
        return None
    local, domain = address.split("@")
    try:
        domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        return None
    candidate = f"{local}@{domain}"
    if not _ADDRESS.match(candidate) or ".." in candidate:
        return None
    return candidate


def sender_address(mail_from: str) -> str:
    """The bare address in ``mail_from`` (which may be ``名称 <addr>``), or the fallback when unset."""
    if not mail_from.strip():
        return FALLBACK_FROM
    _, address = parseaddr(mail_from)
    normalized = normalize_address(address)
    if normalized is None:
        raise ValueError(f"mail_from {mail_from!r} is not an email address")
    return normalized


def message_id_for(key: str, mail_from: str) -> str:
    """The Message-ID of the message with this idempotency key: stable, so a resend carries the same one."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    try:
        domain = sender_address(mail_from).split("@", 1)[1] if mail_from.strip() else "local"
    except ValueError:
        domain = "local"
    return f"<{digest}@legalaid.{domain}>"


def check_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Extra headers as given, refusing reserved names and anything that could inject a header."""
    checked: dict[str, str] = {}
    for name, value in headers.items():
        if not _HEADER_NAME.match(name) or name.lower() in RESERVED_HEADERS:
            raise ValueError(f"header {name!r} may not be set by the caller")
        if "\r" in value or "\n" in value:
            raise ValueError(f"header {name!r}: line breaks are not allowed in a value")
        checked[name] = value
    return checked


def _from_header(mail_from: str) -> Address:
    name = parseaddr(mail_from)[0] if mail_from.strip() else ""
    local, domain = sender_address(mail_from).split("@")
    return Address(display_name=name, username=local, domain=domain)


def _valid(addresses: Sequence[str]) -> tuple[list[str], list[str]]:
    good: list[str] = []
    bad: list[str] = []
    for address in addresses:
        normalized = normalize_address(address)
        if normalized is None:
            bad.append(address)
        elif normalized not in good:
            good.append(normalized)
    return good, bad


def compose(mail: OutgoingMail, *, mail_from: str) -> ComposedMail:
    """The RFC 5322 message: text (and HTML) alternatives, attachments, RFC 2047/2231 for Chinese.

    Malformed recipient addresses are dropped and reported in ``skipped``; none left is a permanent
    failure. A malformed ``mail_from`` raises ValueError (configuration, not the message, is wrong).
    """
    to, bad_to = _valid(mail.to)
    cc, bad_cc = _valid(mail.cc)
    cc = [a for a in cc if a not in to]
    if not to and not cc:
        raise PermanentFailure(f"no valid recipient address: {', '.join(bad_to + bad_cc) or '(none)'}")

    # policy.SMTP: CRLF line ends and RFC 2047 encoded headers, as the wire wants them.
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = _from_header(mail_from)
    if to:
        message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(mail.created_at)
    message["Message-ID"] = mail.message_id
    # RFC 3834: tells autoresponders (out-of-office) not to answer a machine.
    message["Auto-Submitted"] = "auto-generated"
    for name, value in mail.headers.items():
        message[name] = value

    # base64 rather than 8bit: the text is mostly Chinese, and a relay without 8BITMIME must not mangle it.
    message.set_content(mail.text, subtype="plain", charset="utf-8", cte="base64")
    if mail.html is not None:
        message.add_alternative(mail.html, subtype="html", charset="utf-8", cte="base64")
    for attachment in mail.attachments:
        maintype, _, subtype = attachment.resolved_type().partition("/")
        # The email package writes a non-ASCII filename as RFC 2231 (filename*=utf-8''…).
        message.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    _fix_boundaries(message, mail.message_id)
    return ComposedMail(
        outbox_id=mail.outbox_id,
        key=mail.key,
        message_id=mail.message_id,
        envelope_from=sender_address(mail_from),
        recipients=tuple(to + cc),
        data=message.as_bytes(),
        skipped=tuple(bad_to + bad_cc),
    )


def _fix_boundaries(message: EmailMessage, message_id: str) -> None:
    # The email package draws boundaries at random; derive them from the Message-ID instead so the same row
    # always gives the same bytes. Text bodies are base64, so a boundary can never occur inside one.
    seed = hashlib.sha256(message_id.encode("utf-8")).hexdigest()[:24]
    for number, part in enumerate(p for p in message.walk() if p.is_multipart()):
        part.set_boundary(f"=_legalaid_{seed}_{number}")
