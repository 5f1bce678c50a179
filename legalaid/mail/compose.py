"""Build the RFC 5322 message of an outbox row: a pure function of the row and the sender address.

The same row always gives the same bytes (Message-ID from the idempotency key, Date from created_at,
MIME boundaries from the Message-ID), so a resend after a crash is the same message, and the .eml file a
resend writes is the same file.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email import encoders, policy
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, parseaddr
from typing import Any
from urllib.parse import quote

from legalaid.mail.failures import PermanentFailure

# Used by the file and console transports when mail_from is not configured (the embedded default; the
# smtp transport refuses to start without mail_from). The From header still names the center.
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

    def decoded_headers(self, names: Iterable[str]) -> dict[str, str]:
        """The headers ``names`` that the message has, unfolded and decoded (RFC 2047) as a mail program
        shows them; read without the body, and without the modern policy's header objects, which cost
        ten times as much."""
        from email.header import decode_header, make_header
        from email.parser import BytesHeaderParser

        headers = BytesHeaderParser(policy=policy.compat32).parsebytes(self.data)
        return {
            name: str(make_header(decode_header(_unfolded(value))))
            for name in names
            if (value := headers[name]) is not None
        }


def _unfolded(value: str) -> str:
    return value.replace("\r\n", "").replace("\n", "")  # RFC 5322 §2.2.3: the line breaks go, the blanks stay


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


def mail_domain(mail_from: str) -> str:
    """The center's mail domain: that of ``mail_from`` (or of the fallback sender when it is unset). The
    Message-IDs and the .ics UIDs end in it, so they are the center's own, not a made-up domain."""
    try:
        return sender_address(mail_from).rpartition("@")[2]
    except ValueError:  # a malformed mail_from fails the delivery, not the ids
        return FALLBACK_FROM.rpartition("@")[2]


def message_id_for(key: str, mail_from: str) -> str:
    """The Message-ID of the message with this idempotency key: stable, so a resend carries the same one."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{mail_domain(mail_from)}>"


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


def compose(mail: OutgoingMail, *, mail_from: str, sender_name: str = "") -> ComposedMail:
    """The RFC 5322 message: text (and HTML) alternatives, attachments, RFC 2047/2231 for Chinese.

    The From header's display name is ``mail_from``'s own (``名称 <addr>``) or else ``sender_name`` (the
    center's name), RFC 2047-encoded: a recipient sees who writes, not a bare ``legalaid@localhost``.

    Malformed recipient addresses are dropped and reported in ``skipped``; none left is a permanent
    failure. A malformed ``mail_from`` raises ValueError (configuration, not the message, is wrong).

    Built with the email package's classic (compat32) classes rather than ``EmailMessage``: the same bytes
    a modern policy gives, at a third of the cost (its header objects parse every value back), which
    matters once per message on the delivery path.
    """
    to, bad_to = _valid(mail.to)
    cc, bad_cc = _valid(mail.cc)
    cc = [a for a in cc if a not in to]
    if not to and not cc:
        raise PermanentFailure(f"no valid recipient address: {', '.join(bad_to + bad_cc) or '(none)'}")
    envelope_from = sender_address(mail_from)
    boundary = "=_legalaid_" + hashlib.sha256(mail.message_id.encode("utf-8")).hexdigest()[:24]

    body: Message = _text_part(mail.text, "plain")
    if mail.html is not None:
        body = MIMEMultipart(
            "alternative", boundary=f"{boundary}_alt", _subparts=[body, _text_part(mail.html, "html")]
        )
    message = body
    if mail.attachments:
        message = MIMEMultipart("mixed", boundary=f"{boundary}_mixed", _subparts=[body])
        for attachment in mail.attachments:
            message.attach(_attachment_part(attachment))

    name = (parseaddr(mail_from)[0] if mail_from.strip() else "") or sender_name.strip()
    message["From"] = formataddr((name, envelope_from), charset="utf-8")
    if to:
        message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)
    message["Subject"] = _header(mail.subject)
    message["Date"] = format_datetime(mail.created_at)
    message["Message-ID"] = mail.message_id
    # RFC 3834: tells autoresponders (out-of-office) not to answer a machine.
    message["Auto-Submitted"] = "auto-generated"
    for header_name, value in mail.headers.items():
        message[header_name] = _header(value)
    return ComposedMail(
        outbox_id=mail.outbox_id,
        key=mail.key,
        message_id=mail.message_id,
        envelope_from=envelope_from,
        recipients=tuple(to + cc),
        data=message.as_bytes(policy=_WIRE),
        skipped=tuple(bad_to + bad_cc),
    )


# CRLF line ends, 78-column folding: what smtplib must be handed (it sends bytes as they are).
_WIRE = policy.compat32.clone(linesep="\r\n")


def _text_part(text: str, subtype: str) -> MIMEText:
    # MIME text travels in canonical form: CRLF line ends inside the base64 too (RFC 2046 §4.1.1).
    canonical = text.replace("\r\n", "\n").replace("\n", "\r\n")
    # The email package's utf-8 body encoding is base64 rather than 8bit: the text is mostly Chinese, and a
    # relay without 8BITMIME must not mangle it.
    return MIMEText(canonical, subtype, "utf-8")


_LONG_WORD = re.compile(r"\S{70,}")


def _header(value: str) -> Any:
    # Non-ASCII becomes RFC 2047 encoded words, split on character boundaries; so does ASCII with a word too
    # long to fold (the classic folder would break the line before it and leave a space in the value).
    # (Any: the email package takes a Header wherever a header value goes; typeshed says str.)
    if value.isascii() and not _LONG_WORD.search(value):
        return value
    return Header(value, "utf-8")


def _attachment_part(attachment: Attachment) -> MIMEBase:
    maintype, _, subtype = attachment.resolved_type().partition("/")
    part = MIMEBase(maintype, subtype or "octet-stream")
    part.set_payload(attachment.content)
    encoders.encode_base64(part)
    # name= on Content-Type as well: older Outlook versions look there, not at Content-Disposition.
    part.replace_header(
        "Content-Type", f"{maintype}/{subtype or 'octet-stream'}; {_parameter('name', attachment.filename)}"
    )
    part["Content-Disposition"] = f"attachment; {_parameter('filename', attachment.filename)}"
    return part


_PLAIN_PARAMETER = re.compile(r"^[A-Za-z0-9 !#$&+.^_`{}~()=,-]{1,60}$")
_CHUNK = 54  # " filename*0*=utf-8''" and the chunk stay within 78 columns


def _parameter(name: str, value: str) -> str:
    """A MIME parameter; RFC 2231 (``name*0*=utf-8''…; name*1*=…``) for non-ASCII or long values.

    Continuations keep every header line short however long a Chinese file name is (a single
    ``name*=`` would run past the 998-character line limit at about 110 characters).
    """
    if _PLAIN_PARAMETER.match(value):
        return f'{name}="{value}"'
    encoded = quote(value, safe="")
    chunks: list[str] = []
    while encoded:
        cut = min(_CHUNK, len(encoded))
        # Never split a %XX escape.
        if "%" in encoded[max(cut - 2, 0) : cut]:
            cut = encoded.rindex("%", 0, cut)
        chunks.append(encoded[:cut])
        encoded = encoded[cut:]
    if len(chunks) == 1:
        return f"{name}*=utf-8''{chunks[0]}"
    return "; ".join(
        f"{name}*{n}*={'utf-8' + chr(39) * 2 if n == 0 else ''}{chunk}" for n, chunk in enumerate(chunks)
    )
