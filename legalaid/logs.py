"""Logging set-up: text or one JSON object per line, with personal data and secrets masked, and the work
in hand (task, scheduled job, outbox message) named on every line.

The work in hand lives in a context variable (``log_context``): the worker binds the Celery task id and
the scheduled job when a task starts (see ``workers.application``), the mail delivery binds the outbox
message's idempotency key and Message-ID while it handles one. A handler filter copies it onto each record,
so no call site passes it, and the lines about one message can be followed through the JSON logs by key.
Nothing here imports Celery.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, tzinfo
from types import MappingProxyType
from typing import Any
from urllib.parse import unquote, urlsplit

from legalaid.config import MASK, Settings

# An 18-digit resident ID (the last may be X), masked keeping four digits at each end. Any such run is
# masked, a mistyped one too; a run after a decimal point ("succeeded in 0.003812…s") is a number, not an ID.
_ID_CARD = re.compile(r"(?<!\d)(?<!\d\.)(\d{4})\d{10}(\d{3}[\dXx])(?!\d|\.\d)")
# The first-generation 15-digit ID (issued until 2004, some still in old files): a 6-digit area code
# (provinces 11…82), the birth date as YYMMDD, 3 digits. The date is checked, so that other 15-digit
# numbers (an amount in 分, a serial) stay as written; it is masked like the 18-digit one.
_OLD_ID_CARD = re.compile(
    r"(?<!\d)(?<!\d\.)([1-8]\d{3})\d{2}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(\d{3})(?!\d|\.\d)"
)
# A mainland mobile, also with +86 or 86 before it, or written 138-1234-5678. (Not with spaces: "165 1470
# 1234" is as likely three figures of a table.)
_MOBILE = re.compile(r"(?<!\d)(?<!\d\.)((?:\+?86-?)?1[3-9]\d)(-?)\d{4}\2(\d{4})(?!\d|\.\d)")
# A token of lowercase hex digits with at least one letter (a digest in an idempotency key or a
# Message-ID, a task id): its digit runs are not phone or ID numbers, and masking them would break the
# key one follows through the logs.
# A UUID (Celery's task ids) likewise: "…e138-1234-5678…" in one is not a mobile written with dashes.
_HEX_TOKEN = re.compile(
    r"(?<![0-9A-Za-z])(?:[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}"
    r"|(?=[0-9a-f]*[a-f])[0-9a-f]{11,})(?![0-9A-Za-z])"
)
# What every number masked above contains: 11 digits in a row, or a mobile's 3-4-4 with dashes. A text
# without one (most of them: a digest of case numbers and dates) is returned as it is after one cheap scan
# instead of four with look-behinds (a day's reminder digests spent seconds here).
_CANDIDATE = re.compile(r"\d{3}-?\d{4}-?\d{4}")
# Credentials in any URL: scheme://user:password@host.
_URL_CREDENTIALS = re.compile(r"\b([a-zA-Z][\w+.-]*://[^\s:/@]*:)[^\s/@]+@")

CONTEXT_FIELDS = ("task_id", "job", "idempotency_key", "message_id", "outbox_id")
_NOTHING: Mapping[str, object] = MappingProxyType({})
_context: ContextVar[Mapping[str, object]] = ContextVar("legalaid_log_context", default=_NOTHING)


def mask_personal(text: str) -> str:
    """ID-card and mobile numbers with their middle digits starred: 3302**********1234, 138****5678.

    Landlines (0571-87654321) are left: they are the offices' and courts' public numbers.
    """
    if not _CANDIDATE.search(text):
        return text
    protected: list[str] = []

    def protect(match: re.Match[str]) -> str:
        protected.append(match.group(0))
        return f"\x00{len(protected) - 1}\x00"

    text = _HEX_TOKEN.sub(protect, text) if "\x00" not in text else text
    text = _ID_CARD.sub(lambda m: f"{m.group(1)}{'*' * 10}{m.group(2)}", text)
    text = _OLD_ID_CARD.sub(lambda m: f"{m.group(1)}{'*' * 8}{m.group(2)}", text)
    text = _MOBILE.sub(lambda m: f"{m.group(1)}{m.group(2)}****{m.group(2)}{m.group(3)}", text)
    if protected:
        text = re.sub(r"\x00(\d+)\x00", lambda m: protected[int(m.group(1))], text)
    return text


def mask_secrets(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` with every given secret and the password of any URL in it replaced by the mask."""
    for secret in secrets:
        text = text.replace(secret, MASK)
    return _URL_CREDENTIALS.sub(rf"\g<1>{MASK}@", text)


def configured_secrets(settings: Settings) -> tuple[str, ...]:
    """The secrets of these settings that a log line must never carry: the SMTP password, and the
    passwords in the database and broker URLs (also when percent-encoded, as a URL carries them)."""
    found: list[str] = []
    if settings.smtp_password is not None:
        found.append(settings.smtp_password.get_secret_value())
    for url in (settings.database_url, settings.broker_url):
        try:
            password = urlsplit(url).password
        except ValueError:
            password = None
        if password:
            found += [password, unquote(password)]
    # Longest first, so that a secret containing another is masked whole.
    return tuple(sorted({s for s in found if s}, key=len, reverse=True))


# The work in hand ---------------------------------------------------------------------------------------


def current_log_context() -> Mapping[str, object]:
    return _context.get()


def bind_log_context(**values: object) -> None:
    """Add to the work in hand of this thread (or task) until ``clear_log_context``; None values are left
    out. For a whole task: the worker binds its id when it starts and clears it when it ends."""
    _context.set({**_context.get(), **{k: v for k, v in values.items() if v is not None}})


def clear_log_context() -> None:
    _context.set(_NOTHING)


@contextmanager
def log_context(**values: object) -> Iterator[None]:
    """Name the work in hand on every line logged in the block: ``with log_context(idempotency_key=k):``."""
    token = _context.set({**_context.get(), **{k: v for k, v in values.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


# Filters and formatters ---------------------------------------------------------------------------------


class _ContextFilter(logging.Filter):
    """Copies the work in hand onto the record (an ``extra=`` given at the call wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _context.get().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


class _MaskingFilter(logging.Filter):
    """Masks personal numbers and secrets in the message, the exception and the stack of each record."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self.secrets = secrets
        self._formatter = logging.Formatter()

    def mask(self, text: str) -> str:
        return mask_secrets(mask_personal(text), self.secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self.mask(record.getMessage()), None
        # Format the traceback here, masked, and keep only the text: formatters use exc_text as it is.
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        record.exc_info = None
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if isinstance(value, str):
                setattr(record, name, mask_secrets(value, self.secrets))
        return True


def local_time(created: float, tz: tzinfo) -> datetime:
    """A record's time in the center's time zone (``timezone``): the logs read in the same hours as the jobs'
    schedule and the business dates (2012-10-12T09:00:00.123456+08:00), the offset written out so that
    a line can still be compared with a UTC timestamp."""
    return datetime.fromtimestamp(created, tz)


class _JsonFormatter(logging.Formatter):
    def __init__(self, tz: tzinfo) -> None:
        super().__init__()
        self.tz = tz

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": local_time(record.created, self.tz).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            if getattr(record, name, None) is not None:
                entry[name] = getattr(record, name)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


class _TextFormatter(logging.Formatter):
    """``time LEVEL logger: message [task_id=… idempotency_key=…]``, the time in the center's zone with its
    offset (``2012-10-12 09:00:00.123+08:00``), not the machine's zone without one."""

    def __init__(self, tz: tzinfo) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.tz = tz

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return local_time(record.created, self.tz).isoformat(sep=" ", timespec="milliseconds")

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        context = [
            f"{name}={getattr(record, name)}"
            for name in CONTEXT_FIELDS
            if getattr(record, name, None) is not None
        ]
        return f"{line} [{' '.join(context)}]" if context else line


class _LegalaidHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler ``make_handler`` builds (so that a command can tell it from a test's own handlers)."""


def make_handler(settings: Settings) -> logging.Handler:
    """A handler on stderr in the settings' format, masking personal data and secrets."""
    # The stream now: Celery's worker later replaces sys.stderr with a proxy that logs what is written to
    # it, and writing there would log each line again.
    handler = _LegalaidHandler(sys.stderr)
    handler.setFormatter(
        _JsonFormatter(settings.tz) if settings.log_format == "json" else _TextFormatter(settings.tz)
    )
    handler.addFilter(_ContextFilter())
    handler.addFilter(_MaskingFilter(configured_secrets(settings)))
    return handler


def configure_logging(settings: Settings) -> None:
    """Route every logger through one handler on stderr, masking personal data and secrets (a process:
    worker, scheduler, serve)."""
    handler = make_handler(settings)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # billiard (Celery's process pool) logs to "multiprocessing", a logger it makes non-propagating when it
    # first uses it: without a handler of its own, its lines (a pool child that exited, a callback that
    # raised) would reach stderr through logging's last resort, bare and unmasked.
    billiard_log = logging.getLogger("multiprocessing")
    billiard_log.handlers[:], billiard_log.propagate = [handler], False
    # Python warnings (Celery's about running as root, a library's deprecation) as log lines too: in JSON
    # mode every line a process writes is one JSON object.
    logging.captureWarnings(True)


@contextmanager
def command_logging(settings: Settings) -> Iterator[None]:
    """Logging for one command of the ``legalaid`` CLI, undone when it ends (tests run many in a process).

    A command logs warnings only, unless ``log_level`` was set (``LEGALAID_LOG_LEVEL=DEBUG legalaid demo``):
    its output is for a person, the log for when something is wrong. A process command (worker, scheduler)
    configures its own logging at ``log_level``.
    """
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    ours = make_handler(settings)
    root.handlers[:] = [h for h in saved_handlers if not isinstance(h, _LegalaidHandler)] + [ours]
    level = logging.getLevelNamesMapping()[settings.log_level]
    root.setLevel(level if "log_level" in settings.model_fields_set else max(level, logging.WARNING))
    try:
        yield
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
