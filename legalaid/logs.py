"""Logging set-up: text or one JSON object per line, with personal data and secrets masked."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

from legalaid.config import Settings

# An 18-digit resident ID (the last may be X), masked keeping four digits at each end. Any such run is
# masked, a mistyped one too; a run after a decimal point ("succeeded in 0.003812…s") is a number, not an ID.
_ID_CARD = re.compile(r"(?<!\d)(?<!\d\.)(\d{4})\d{10}(\d{3}[\dXx])(?!\d|\.\d)")
_MOBILE = re.compile(r"(?<!\d)(?<!\d\.)(1[3-9]\d)\d{4}(\d{4})(?!\d|\.\d)")


def mask_personal(text: str) -> str:
    """ID-card and mobile numbers with their middle digits starred: 3302**********1234, 138****5678."""
    text = _ID_CARD.sub(lambda m: f"{m.group(1)}{'*' * 10}{m.group(2)}", text)
    return _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)


class _MaskingFilter(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = mask_personal(record.getMessage())
        for secret in self.secrets:
            message = message.replace(secret, "********")
        record.msg, record.args = message, None
        return True


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for extra in ("task_id", "idempotency_key", "job"):
            if hasattr(record, extra):
                entry[extra] = getattr(record, extra)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(settings: Settings) -> None:
    """Route every logger through one handler on stderr, masking personal data and secrets."""
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    secrets = [settings.smtp_password.get_secret_value()] if settings.smtp_password else []
    handler.addFilter(_MaskingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
